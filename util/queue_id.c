/*
 * queue_id - build, check and decode queue IDs
 *
 * A queue ID names a message and is the file name of its queue file. It
 * is made from the time the file was created and the file's inode
 * number: the inode keeps the ID unique among live files on the spool
 * file system, the time keeps a recycled inode from reusing a recent ID.
 * Two forms exist, both understood by Postfix 3.7's tools:
 *
 * Short (enable_long_queue_ids = no): the microseconds as exactly five
 * upper-case hex digits, then the inode number in upper-case hex, for
 * example "3F2A1B7C4D". IDs of this form repeat over time.
 *
 * Long (enable_long_queue_ids = yes): the seconds in base 52 (at least
 * six digits, zero-padded), the microseconds in base 52 (exactly four
 * digits), a literal 'z', and the inode number in base 51. The alphabet
 * is 0-9 followed by the upper- and then the lower-case consonants, so
 * no words form; base 51 stops before the final 'z', which is why the
 * last 'z' of a long ID is always the separator. Digits are written
 * most significant first.
 *
 * Public functions:
 *	queue_id_short(out, usec, inode)	the short form, into out
 *	queue_id_long(out, sec, usec, inode)	the long form, into out
 *	queue_id_valid(id)		non-empty, at most QUEUE_ID_MAX_LEN
 *					characters from [A-Za-z0-9_]
 *	queue_id_is_long(id)		its last 'z' is at index >= 10
 *	queue_id_hash_key(id, key)	the key that names the hash
 *					subdirectories (see below), into key
 *	queue_id_decode_long(id, &sec, &usec, &inode)
 *					take a long ID apart; 0 or -1
 *
 * Hash key: for a short ID the ID itself; for a long ID the four
 * microsecond digits before the separator, decoded and written as five
 * upper-case hex digits, so that subdirectory names are 0-9A-F for both
 * forms and a spool can switch between them. A long-looking name whose
 * microsecond digits do not decode (not made by us) falls back to the
 * name itself.
 *
 * Underscores are allowed because the flush service names its files
 * after domains; such names are valid but are never long IDs we made.
 *
 * Diagnostics: panic on a microsecond value outside 0..999999 or a
 * negative time (caller bugs). Decoding reports malformed input by
 * returning -1.
 *
 * Configuration parameters: none (callers pass enable_long_queue_ids).
 */
#include <limits.h>
#include <string.h>

#include "msg.h"
#include "queue_id.h"

#define QUEUE_ID_USEC_MAX 999999L

static const char queue_id_alphabet[] = QUEUE_ID_LONG_ALPHABET;

/* Index of ch in the long-ID alphabet, or -1 when it is not a digit. */
static int queue_id_digit_value(int ch, unsigned base)
{
    const char *cp;

    if (ch == 0 || (cp = strchr(queue_id_alphabet, ch)) == NULL)
        return -1;
    if ((unsigned)(cp - queue_id_alphabet) >= base)
        return -1;
    return (int)(cp - queue_id_alphabet);
}

/* Append value in base, most significant digit first, zero-padded. */
static void queue_id_append_base(struct buf *out, unsigned long value,
                                 unsigned base, size_t min_width)
{
    char digits[sizeof(unsigned long) * CHAR_BIT];
    size_t count = 0;

    do {
        digits[count++] = queue_id_alphabet[value % base];
        value /= base;
    } while (value > 0);
    for (size_t pad = count; pad < min_width; pad++)
        buf_append_char(out, '0');
    while (count > 0)
        buf_append_char(out, digits[--count]);
}

/* Decode len digits in base; -1 on a bad digit or overflow. */
static int queue_id_decode_base(const char *text, size_t len, unsigned base,
                                unsigned long *value)
{
    unsigned long result = 0;

    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int digit = queue_id_digit_value((unsigned char)text[i], base);

        if (digit < 0)
            return -1;
        if (result > (ULONG_MAX - (unsigned long)digit) / base)
            return -1;
        result = result * base + (unsigned long)digit;
    }
    *value = result;
    return 0;
}

static void queue_id_check_usec(const char *func, long usec)
{
    if (usec < 0 || usec > QUEUE_ID_USEC_MAX)
        msg_panic("%s: microseconds out of range: %ld", func, usec);
}

void queue_id_short(struct buf *out, long usec, unsigned long inode)
{
    queue_id_check_usec("queue_id_short", usec);
    buf_printf(out, "%05lX%lX", (unsigned long)usec, inode);
}

void queue_id_long(struct buf *out, time_t sec, long usec, unsigned long inode)
{
    queue_id_check_usec("queue_id_long", usec);
    if (sec < 0)
        msg_panic("queue_id_long: negative time: %lld", (long long)sec);
    buf_reset(out);
    queue_id_append_base(out, (unsigned long)sec, 52, QUEUE_ID_LONG_TIME_PAD);
    queue_id_append_base(out, (unsigned long)usec, 52, QUEUE_ID_LONG_USEC_PAD);
    buf_append_char(out, QUEUE_ID_LONG_INUM_SEP);
    queue_id_append_base(out, inode, 51, 1);
}

int queue_id_valid(const char *id)
{
    size_t len;

    for (len = 0; id[len]; len++) {
        unsigned char ch = (unsigned char)id[len];

        if (len >= QUEUE_ID_MAX_LEN)
            return 0;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              (ch >= '0' && ch <= '9') || ch == '_'))
            return 0;
    }
    return len > 0;
}

/* The separator of a long ID, or NULL when id is not one. */
static const char *queue_id_find_sep(const char *id)
{
    const char *sep = strrchr(id, QUEUE_ID_LONG_INUM_SEP);

    if (sep == NULL ||
        sep - id < QUEUE_ID_LONG_TIME_PAD + QUEUE_ID_LONG_USEC_PAD)
        return NULL;
    return sep;
}

int queue_id_is_long(const char *id)
{
    return queue_id_find_sep(id) != NULL;
}

void queue_id_hash_key(const char *id, struct buf *key)
{
    const char *sep = queue_id_find_sep(id);
    unsigned long usec;

    if (sep != NULL &&
        queue_id_decode_base(sep - QUEUE_ID_LONG_USEC_PAD,
                             QUEUE_ID_LONG_USEC_PAD, 52, &usec) == 0 &&
        usec <= (unsigned long)QUEUE_ID_USEC_MAX)
        buf_printf(key, "%05lX", usec);
    else
        buf_set_str(key, id);
}

int queue_id_decode_long(const char *id, time_t *sec, long *usec,
                         unsigned long *inode)
{
    const char *sep;
    unsigned long sec_value;
    unsigned long usec_value;
    unsigned long inode_value;
    size_t sec_len;

    if (!queue_id_valid(id) || (sep = queue_id_find_sep(id)) == NULL)
        return -1;
    sec_len = (size_t)(sep - id) - QUEUE_ID_LONG_USEC_PAD;
    if (queue_id_decode_base(id, sec_len, 52, &sec_value) < 0 ||
        queue_id_decode_base(id + sec_len, QUEUE_ID_LONG_USEC_PAD, 52,
                             &usec_value) < 0 ||
        queue_id_decode_base(sep + 1, strlen(sep + 1), 51, &inode_value) < 0)
        return -1;
    if (usec_value > (unsigned long)QUEUE_ID_USEC_MAX)
        return -1;
    /* The seconds must survive the trip through time_t unchanged. */
    if ((time_t)sec_value < 0 || (unsigned long)(time_t)sec_value != sec_value)
        return -1;
    *sec = (time_t)sec_value;
    *usec = (long)usec_value;
    *inode = inode_value;
    return 0;
}
