/*
 * pickup_copy - copy one maildrop file to the cleanup service
 *
 * Reads the records of a maildrop file (written by postdrop, ours or
 * Postfix's) and writes them to a cleanup connection, checking each
 * against what a local user may submit (maildrop.c), and adds what
 * Postfix 3.7's pickup adds (observed on its cleanup connection):
 *	- a T record (the file's modification time) just before the S
 *	  record when the file has none;
 *	- right after the M record, a Received: header as two N records:
 *	  "Received: by <myhostname> (<mail_name>, from userid <uid>)"
 *	  and "<TAB>id <queue ID>; <RFC 5322 date>";
 *	- an empty N record before the first content line when that line
 *	  starts with a space or tab (it must not fold into the Received:
 *	  header; the message then has no headers of its own).
 * Everything else goes through unchanged: rewrite_context and the other
 * allowed attributes, F, S, the envelope and extracted R records.
 *
 * Public functions:
 *	pickup_copy(file, cleanup, info, label, why)
 *		copy file to cleanup. info->sender receives the sender.
 *		label prefixes warnings (the file's path). Returns
 *		PICKUP_COPY_OK, PICKUP_COPY_BAD (malformed file: not records,
 *		a record longer than info->rec_limit, a record type a user
 *		may not send, records in the wrong place, no end record; why
 *		says which) or PICKUP_COPY_WRITE (the cleanup stream failed).
 *
 * Diagnostics: a warning for each attribute record left out. Pointer and
 * padding records are not followed: a maildrop file has none.
 *
 * Configuration parameters: none (the caller passes line_length_limit,
 * myhostname, mail_name).
 */
#include "mail_date.h"
#include "maildrop.h"
#include "msg.h"
#include "pickup.h"
#include "rec_type.h"
#include "record.h"

int pickup_copy(struct stream *file, struct stream *cleanup,
                struct pickup_info *info, const char *label, struct buf *why)
{
    struct maildrop_check check;
    struct buf *rec = buf_alloc(256);
    struct buf *reason = buf_alloc(100);
    struct buf *date = buf_alloc(64);
    int first_content = 1;
    int result;
    int type;

    maildrop_check_init(&check, MAILDROP_CHECK_FILE);
    buf_reset(why);
    buf_reset(info->sender);
    for (;;) {
        type = rec_get_raw(file, rec, info->rec_limit);
        if (type == REC_TYPE_EOF) {
            buf_set_str(why, "no end record (truncated file?)");
            result = PICKUP_COPY_BAD;
            break;
        }
        if (type == REC_TYPE_ERROR) {
            buf_set_str(why, "corrupt record: not a queue file, a record "
                             "longer than line_length_limit, or a record "
                             "cut short");
            result = PICKUP_COPY_BAD;
            break;
        }
        if (type == REC_TYPE_FROM && !check.seen_time &&
            check.segment == MAILDROP_SEG_ENVELOPE) {
            rec_fprintf(cleanup, REC_TYPE_TIME, REC_TYPE_TIME_FORMAT,
                        (long)info->mtime, info->mtime_usec);
            check.seen_time = 1; /* a T after S would be a second one */
        }
        switch (maildrop_check_record(&check, type, buf_str(rec), buf_len(rec),
                                      reason)) {
        case MAILDROP_REC_BAD:
            buf_set(why, buf_str(reason), buf_len(reason));
            result = PICKUP_COPY_BAD;
            goto done;
        case MAILDROP_REC_DROP:
            msg_warn("%s: uid=%ld: %s", label, info->uid, buf_str(reason));
            continue;
        default:
            break;
        }
        if (type == REC_TYPE_FROM)
            buf_set(info->sender, buf_str(rec), buf_len(rec));
        if ((type == REC_TYPE_NORM || type == REC_TYPE_CONT) && first_content) {
            first_content = 0;
            if (buf_len(rec) > 0 &&
                (buf_str(rec)[0] == ' ' || buf_str(rec)[0] == '\t'))
                rec_put(cleanup, REC_TYPE_NORM, "", 0);
        }
        if (type == REC_TYPE_XTRA)
            first_content = 0;
        rec_put(cleanup, type, buf_str(rec), buf_len(rec));
        if (type == REC_TYPE_MESG) {
            mail_date(date, info->now);
            rec_fprintf(cleanup, REC_TYPE_NORM,
                        "Received: by %s (%s, from userid %ld)", info->hostname,
                        info->mail_name, info->uid);
            rec_fprintf(cleanup, REC_TYPE_NORM, "\tid %s; %s", info->queue_id,
                        buf_str(date));
        }
        if (stream_error(cleanup) &
            (STREAM_ERR_IO | STREAM_ERR_TIMEOUT | STREAM_ERR_EOF)) {
            buf_printf(why, "write to the cleanup service: %s",
                       stream_strerror(stream_error(cleanup)));
            result = PICKUP_COPY_WRITE;
            break;
        }
        if (type == REC_TYPE_END) {
            result = PICKUP_COPY_OK;
            break;
        }
    }
done:
    buf_free(rec);
    buf_free(reason);
    buf_free(date);
    return result;
}
