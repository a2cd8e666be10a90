/*
 * record - read and write queue file records
 *
 * Queue files and the record stream sent to the cleanup service are
 * sequences of records: a type byte, a base-128 length, the payload (the
 * format and every record letter are specified in rec_type.h). This
 * module writes records, reads them back with limits, follows the
 * pointer records cleanup uses to edit a file before committing it, and
 * rewrites a type byte in place (how a recipient is marked done).
 *
 * Public functions:
 *	rec_put(sp, type, data, len)	write one record (not flushed);
 *					returns type, or REC_TYPE_ERROR if
 *					the stream has a write error/timeout
 *	rec_puts(sp, type, str)		the same for a C string
 *	rec_fprintf(sp, type, fmt, ...)	the same for formatted text
 *	rec_get_raw(sp, bp, maxlen)	read one record into bp; returns its
 *					type, REC_TYPE_EOF at a clean end of
 *					input before a type byte, or
 *					REC_TYPE_ERROR
 *	rec_get(sp, bp, maxlen)		as rec_get_raw(), but follow pointer
 *					records and skip padding records
 *	rec_get_at(sp, bp, maxlen, &offset)	as rec_get(), and set offset
 *					to where the record returned starts
 *					(past any pointer or padding record
 *					before it: the place rec_put_type()
 *					must overwrite)
 *	rec_put_type(sp, type, offset)	overwrite the type byte at offset
 *					and flush; 0 or -1
 *	rec_attr_split(bp, &name, &value)	split an 'A' payload
 *					"name=value" in place; 0 or -1
 *	rec_attr_map(name)		the pseudo record type an attribute
 *					name stands for, or 0
 *
 * rec_get_raw() fails (REC_TYPE_ERROR, with a warning naming the
 * problem) on: a length that needs more than REC_LEN_BYTES_MAX bytes; a
 * length or payload cut short by the end of input; a payload longer than
 * maxlen (when maxlen > 0) - that record is read and discarded first, so
 * that the caller may go on with the next record; a stream timeout or
 * I/O error. Payloads are read in bounded steps: a corrupt length makes
 * us allocate only as much as the file really holds.
 *
 * rec_get() follows a pointer record by seeking to its offset; offset 0
 * is a placeholder and is skipped. A pointer that is not a decimal
 * offset, a pointer on a stream that cannot seek, or more than
 * REC_JUMP_LIMIT backward jumps in one file (a pointer loop) is an error.
 * The jump count is kept for the most recently read file (identified by
 * stream, descriptor, device and inode) and starts from zero when a
 * different file is read. Like Postfix, a process that reads the same
 * open stream many times over shares one count; REC_JUMP_LIMIT is far
 * above what cleanup ever writes (one backward jump per edit).
 *
 * rec_put_type() leaves the stream positioned just after the byte it
 * wrote; the caller seeks elsewhere before reading on.
 *
 * None of these functions need a stream error point; with one installed,
 * a stream error longjmp()s there and nothing leaks (the only scratch
 * memory is a static buffer reused by rec_fprintf()).
 *
 * Diagnostics: warnings for corrupt records as above. Panic on a type
 * outside 0..255, a payload longer than REC_LEN_MAX or a negative offset
 * (caller bugs).
 *
 * Configuration parameters: none (callers pass limits such as
 * line_length_limit).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msg.h"
#include "record.h"

/* Most payload bytes asked of the stream at once. */
#define REC_READ_CHUNK 65536

/* Bits of the length per length byte, and the "more follows" bit. */
#define REC_LEN_SHIFT 7
#define REC_LEN_MASK  0x7f
#define REC_LEN_MORE  0x80

/* A type byte in a warning: its letter (if printable), value and name. */
#define REC_WARN_TYPE "record type %c (%d, %s)"
#define REC_WARN_TYPE_ARGS(type)                                               \
    ((type) >= 0x21 && (type) < 0x7f ? (type) : '?'), (type),                  \
        rec_type_name(type)

static void rec_check_type(const char *myname, int type)
{
    if (type < 0 || type > 0xff)
        msg_panic("%s: bad record type %d", myname, type);
}

int rec_put(struct stream *sp, int type, const void *data, size_t len)
{
    unsigned char head[1 + REC_LEN_BYTES_MAX];
    size_t head_len = 0;
    size_t left = len;

    rec_check_type("rec_put", type);
    if (len > (size_t)REC_LEN_MAX)
        msg_panic("rec_put: record type %d: length %zu exceeds %ld", type, len,
                  REC_LEN_MAX);
    head[head_len++] = (unsigned char)type;
    do {
        unsigned char byte = left & REC_LEN_MASK;

        left >>= REC_LEN_SHIFT;
        if (left != 0)
            byte |= REC_LEN_MORE;
        head[head_len++] = byte;
    } while (left != 0);
    stream_write(sp, head, head_len);
    stream_write(sp, data, len);
    if (stream_error(sp) & (STREAM_ERR_IO | STREAM_ERR_TIMEOUT))
        return REC_TYPE_ERROR;
    return type;
}

int rec_puts(struct stream *sp, int type, const char *str)
{
    return rec_put(sp, type, str, strlen(str));
}

int rec_fprintf(struct stream *sp, int type, const char *fmt, ...)
{
    static struct buf *scratch;
    va_list ap;

    if (scratch == NULL)
        scratch = buf_alloc(100);
    buf_reset(scratch);
    va_start(ap, fmt);
    buf_append_vprintf(scratch, fmt, ap);
    va_end(ap);
    return rec_put(sp, type, buf_str(scratch), buf_len(scratch));
}

int rec_put_type(struct stream *sp, int type, off_t offset)
{
    rec_check_type("rec_put_type", type);
    if (offset < 0)
        msg_panic("rec_put_type: bad offset %ld", (long)offset);
    if (stream_seek(sp, offset, SEEK_SET) < 0)
        return -1;
    stream_putc(sp, type);
    return stream_flush(sp);
}

/* After a failed read: why it failed, for a warning. */
static const char *rec_read_problem(struct stream *sp)
{
    if (stream_error(sp) & (STREAM_ERR_TIMEOUT | STREAM_ERR_IO))
        return stream_strerror(stream_error(sp));
    return "premature end of file";
}

int rec_get_raw(struct stream *sp, struct buf *bp, size_t maxlen)
{
    size_t len = 0;
    int type;
    int ch;

    buf_reset(bp);
    if ((type = stream_getc(sp)) == STREAM_EOF) {
        if (stream_error(sp) & (STREAM_ERR_TIMEOUT | STREAM_ERR_IO)) {
            msg_warn("record read: %s", stream_strerror(stream_error(sp)));
            return REC_TYPE_ERROR;
        }
        return REC_TYPE_EOF;
    }
    for (int i = 0;; i++) {
        if (i == REC_LEN_BYTES_MAX) {
            msg_warn(REC_WARN_TYPE ": length needs more than %d bytes",
                     REC_WARN_TYPE_ARGS(type), REC_LEN_BYTES_MAX);
            return REC_TYPE_ERROR;
        }
        if ((ch = stream_getc(sp)) == STREAM_EOF) {
            msg_warn(REC_WARN_TYPE ": %s in the length",
                     REC_WARN_TYPE_ARGS(type), rec_read_problem(sp));
            return REC_TYPE_ERROR;
        }
        len |= (size_t)(ch & REC_LEN_MASK) << (REC_LEN_SHIFT * i);
        if ((ch & REC_LEN_MORE) == 0)
            break;
    }

    /*
     * An oversized record is consumed before we report it, so that the
     * reader stays in step with the record boundaries (pickup, for one,
     * goes on to read the rest of a submission it will reject).
     */
    if (maxlen > 0 && len > maxlen) {
        size_t skipped = 0;

        while (skipped < len) {
            size_t want = len - skipped;
            size_t got;

            if (want > REC_READ_CHUNK)
                want = REC_READ_CHUNK;
            buf_reserve(bp, want);
            got = stream_read(sp, bp->data, want);
            skipped += got;
            if (got < want)
                break;
        }
        buf_reset(bp);
        msg_warn(REC_WARN_TYPE ": length %zu exceeds limit %zu -- skipped",
                 REC_WARN_TYPE_ARGS(type), len, maxlen);
        return REC_TYPE_ERROR;
    }
    while (bp->len < len) {
        size_t want = len - bp->len;
        size_t got;

        if (want > REC_READ_CHUNK)
            want = REC_READ_CHUNK;
        buf_reserve(bp, want);
        got = stream_read(sp, buf_end(bp), want);
        bp->len += got;
        bp->data[bp->len] = 0;
        if (got < want) {
            msg_warn(REC_WARN_TYPE ": %s after %zu of %zu payload bytes",
                     REC_WARN_TYPE_ARGS(type), rec_read_problem(sp), bp->len,
                     len);
            return REC_TYPE_ERROR;
        }
    }
    return type;
}

/*
 * Backward pointer jumps in the file being read: the count belongs to
 * one stream on one open file, and starts over for any other.
 */
static struct {
    struct stream *sp;
    int fd;
    dev_t dev;
    ino_t ino;
    int count;
} rec_jumps;

static int rec_jump_backward(struct stream *sp)
{
    struct stat st;

    if (fstat(stream_fileno(sp), &st) < 0)
        memset(&st, 0, sizeof(st));
    if (rec_jumps.sp != sp || rec_jumps.fd != stream_fileno(sp) ||
        rec_jumps.dev != st.st_dev || rec_jumps.ino != st.st_ino) {
        rec_jumps.sp = sp;
        rec_jumps.fd = stream_fileno(sp);
        rec_jumps.dev = st.st_dev;
        rec_jumps.ino = st.st_ino;
        rec_jumps.count = 0;
    }
    return ++rec_jumps.count;
}

/* Act on a pointer record whose payload is in bp; 0 or -1. */
static int rec_goto(struct stream *sp, const struct buf *bp)
{
    const char *cp = buf_str(bp);
    char *end;
    long offset;
    off_t here;

    while (*cp == ' ')
        cp++;
    errno = 0;
    offset = strtol(cp, &end, 10);
    if (*cp < '0' || *cp > '9' || end != buf_end(bp) || errno == ERANGE) {
        msg_warn("pointer record: bad offset \"%.30s\" (corrupt file)",
                 buf_str(bp));
        return -1;
    }
    if (offset == REC_TYPE_PTR_DUMMY)
        return 0;
    if ((here = stream_tell(sp)) < 0) {
        msg_warn("pointer record on a stream that cannot seek");
        return -1;
    }
    if (offset < here && rec_jump_backward(sp) > REC_JUMP_LIMIT) {
        msg_warn("pointer record: more than %d backward jumps in one file "
                 "(pointer loop?)",
                 REC_JUMP_LIMIT);
        return -1;
    }
    if (stream_seek(sp, (off_t)offset, SEEK_SET) < 0) {
        msg_warn("pointer record: seek to offset %ld: %m", offset);
        return -1;
    }
    return 0;
}

int rec_get_at(struct stream *sp, struct buf *bp, size_t maxlen, off_t *offset)
{
    int type;

    for (;;) {
        *offset = stream_tell(sp);
        type = rec_get_raw(sp, bp, maxlen);
        if (type == REC_TYPE_DTXT)
            continue;
        if (type != REC_TYPE_PTR)
            return type;
        if (rec_goto(sp, bp) < 0)
            return REC_TYPE_ERROR;
    }
}

int rec_get(struct stream *sp, struct buf *bp, size_t maxlen)
{
    off_t offset;

    return rec_get_at(sp, bp, maxlen, &offset);
}

int rec_attr_split(struct buf *bp, const char **name, const char **value)
{
    char *sep = memchr(bp->data, REC_ATTR_SEPARATOR, bp->len);

    /* A name is text: empty or NUL-bearing names are corrupt. */
    if (sep == NULL || sep == bp->data ||
        memchr(bp->data, 0, (size_t)(sep - bp->data)) != NULL)
        return -1;
    *sep = 0;
    *name = bp->data;
    *value = sep + 1;
    return 0;
}

int rec_attr_map(const char *name)
{
    static const struct {
        const char *name;
        int type;
    } map[] = {
        {REC_ATTR_CTIME, REC_TYPE_CTIME},
        {REC_ATTR_DSN_ORCPT, REC_TYPE_DSN_ORCPT},
        {REC_ATTR_DSN_NOTIFY, REC_TYPE_DSN_NOTIFY},
        {REC_ATTR_DSN_ENVID, REC_TYPE_DSN_ENVID},
        {REC_ATTR_DSN_RET, REC_TYPE_DSN_RET},
    };

    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(name, map[i].name) == 0)
            return map[i].type;
    return 0;
}
