/*
 * postdrop_copy - copy a submission from a client into a maildrop file
 *
 * Reads queue file records from the client until the end record, checks
 * each against what a local user may submit (maildrop.c) and writes the
 * ones that pass to the maildrop file, counting the bytes the file grows
 * by. It never reads past the end record: the client waits for our
 * answer with its end of the connection still open.
 *
 * Public functions:
 *	postdrop_copy(in, out, limits, written, who, why)
 *		copy records from in to out. *written holds the bytes
 *		already in the file (the T record) and is updated; when
 *		limits->size_limit > 0 and the file would grow beyond it,
 *		the copy stops. Records longer than limits->rec_limit are
 *		malformed input. who prefixes warnings ("uid=1000").
 *		Returns POSTDROP_COPY_OK (E copied), _EOF (input ended
 *		cleanly before E: the client gave up), _BAD (malformed
 *		input: not records, a record too long, cut short, or a
 *		record type a user may not send; why says which), _SIZE
 *		or _WRITE (out failed).
 *	postdrop_rec_size(len)	bytes a record with a len-byte payload
 *		takes in a file
 *
 * Diagnostics: a warning for each attribute record left out (an
 * attribute a user may not set); record.c warns about corrupt records.
 *
 * Configuration parameters: none (the caller passes message_size_limit
 * and line_length_limit). Like Postfix 3.7's postdrop, the size limit
 * applies to the maildrop file as a whole, record headers included.
 */
#include "maildrop.h"
#include "msg.h"
#include "postdrop.h"
#include "rec_type.h"
#include "record.h"

long postdrop_rec_size(size_t len)
{
    long size = 1 + (long)len;

    do {
        size++;
        len >>= 7;
    } while (len > 0);
    return size;
}

int postdrop_copy(struct stream *in, struct stream *out,
                  const struct postdrop_limits *limits, long *written,
                  const char *who, struct buf *why)
{
    struct maildrop_check check;
    struct buf *rec = buf_alloc(256);
    struct buf *reason = buf_alloc(100);
    int result = POSTDROP_COPY_EOF;
    int type;

    maildrop_check_init(&check, MAILDROP_CHECK_CLIENT);
    buf_reset(why);
    for (;;) {
        type = rec_get_raw(in, rec, limits->rec_limit);
        if (type == REC_TYPE_EOF) {
            result = POSTDROP_COPY_EOF;
            break;
        }
        if (type == REC_TYPE_ERROR) {
            buf_set_str(why, "malformed input: not a record stream, a "
                             "record longer than line_length_limit, or "
                             "a record cut short");
            result = POSTDROP_COPY_BAD;
            break;
        }
        switch (maildrop_check_record(&check, type, buf_str(rec), buf_len(rec),
                                      reason)) {
        case MAILDROP_REC_BAD:
            buf_printf(why, "malformed input: %s", buf_str(reason));
            result = POSTDROP_COPY_BAD;
            goto done;
        case MAILDROP_REC_DROP:
            msg_warn("%s: %s", who, buf_str(reason));
            continue;
        default:
            break;
        }
        *written += postdrop_rec_size(buf_len(rec));
        if (limits->size_limit > 0 && *written > limits->size_limit) {
            buf_printf(why, "message too large (message_size_limit = %ld)",
                       limits->size_limit);
            result = POSTDROP_COPY_SIZE;
            break;
        }
        if (rec_put(out, type, buf_str(rec), buf_len(rec)) == REC_TYPE_ERROR) {
            buf_printf(why, "write error: %s",
                       stream_strerror(stream_error(out)));
            result = POSTDROP_COPY_WRITE;
            break;
        }
        if (type == REC_TYPE_END) {
            result = POSTDROP_COPY_OK;
            break;
        }
    }
done:
    buf_free(rec);
    buf_free(reason);
    return result;
}
