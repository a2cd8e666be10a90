/*
 * cleanup_out - write queue file records for the cleanup daemon
 *
 * Every record cleanup writes goes through here, so that the size limit,
 * the line length limit and write errors are dealt with in one place.
 *
 *	cleanup_out(state, type, data, len)
 *		write one record. Nothing is written once the message has
 *		failed (state->errs), since the file is going to be removed.
 *		The bytes written are counted (state->file_size: the file
 *		offset, for the size record's offsets); when the file grows
 *		beyond message_size_limit (the limit covers the whole queue
 *		file, envelope included, as Postfix's does) the message
 *		fails with CLEANUP_STAT_SIZE and the warning "queue file
 *		size limit exceeded". A write error (full disk) fails it
 *		with CLEANUP_STAT_WRITE.
 *	cleanup_out_str(state, type, str)
 *	cleanup_out_format(state, type, fmt, ...)
 *		the same for text.
 *	cleanup_out_split(state, type, data, len)
 *		a content line (type N) or line fragment (type L): a payload
 *		longer than line_length_limit goes out as L records of
 *		exactly line_length_limit bytes followed by the rest in a
 *		record of the original type, which is how Postfix 3.7's
 *		cleanup was seen to store a 100000-byte line (48 L records
 *		of 2048 bytes and an N of 1696).
 *	cleanup_out_pointer(state)
 *		a dummy pointer record ("p", offset 0, fixed width): the
 *		places where a later editor (a milter, header checks) may
 *		link in changed content, and what Postfix writes when it
 *		may edit a file.
 *	cleanup_out_size_record(state)
 *		flush, seek to the start and rewrite the size record with
 *		the final counts (its fixed width keeps the length). 0, or
 *		-1 with the message failed (CLEANUP_STAT_WRITE).
 *
 * Diagnostics: warnings for write errors and the size limit.
 * Configuration parameters: message_size_limit, line_length_limit (via
 * cleanup_config).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cleanup_user.h"
#include "msg.h"
#include "record.h"

/* Bytes a record takes on disk: type, base-128 length, payload. */
static off_t cleanup_record_size(size_t len)
{
    off_t size = 1 + (off_t)len;

    do {
        size++;
        len >>= 7;
    } while (len != 0);
    return size;
}

void cleanup_out(struct cleanup_state *state, int type, const char *data,
                 size_t len)
{
    if (state->errs != 0)
        return;
    state->file_size += cleanup_record_size(len);
    if (cleanup_config.message_size_limit > 0 &&
        state->file_size > cleanup_config.message_size_limit) {
        msg_warn("%s: queue file size limit exceeded", state->queue_id);
        state->errs |= CLEANUP_STAT_SIZE;
        return;
    }
    if (rec_put(state->dst, type, data, len) == REC_TYPE_ERROR) {
        msg_warn("%s: write queue file: %s", state->queue_id,
                 stream_strerror(stream_error(state->dst)));
        state->errs |= CLEANUP_STAT_WRITE;
    }
}

void cleanup_out_str(struct cleanup_state *state, int type, const char *str)
{
    cleanup_out(state, type, str, strlen(str));
}

void cleanup_out_format(struct cleanup_state *state, int type, const char *fmt,
                        ...)
{
    va_list ap;

    buf_reset(state->scratch);
    va_start(ap, fmt);
    buf_append_vprintf(state->scratch, fmt, ap);
    va_end(ap);
    cleanup_out(state, type, buf_str(state->scratch), buf_len(state->scratch));
}

void cleanup_out_split(struct cleanup_state *state, int type, const char *data,
                       size_t len)
{
    size_t limit = (size_t)cleanup_config.line_length_limit;

    while (limit > 0 && len > limit) {
        cleanup_out(state, REC_TYPE_CONT, data, limit);
        data += limit;
        len -= limit;
    }
    cleanup_out(state, type, data, len);
}

void cleanup_out_pointer(struct cleanup_state *state)
{
    cleanup_out_format(state, REC_TYPE_PTR, REC_TYPE_PTR_FORMAT,
                       REC_TYPE_PTR_DUMMY);
}

int cleanup_out_size_record(struct cleanup_state *state)
{
    long content_size = (long)(state->xtra_offset - state->data_offset);
    long qmgr_flags = (state->mixed ? REC_SIZE_FLAG_MIXED_RCPT_OTHER : 0) |
                      ((long)state->notify_bits << REC_SIZE_FLAG_NOTIFY_SHIFT);
    long sendopts = (state->flags & CLEANUP_FLAG_SMTPUTF8) ? 1 : 0;

    if (state->errs != 0)
        return -1;
    if (stream_flush(state->dst) != 0 ||
        stream_seek(state->dst, 0, SEEK_SET) != 0) {
        msg_warn("%s: write queue file: %m", state->queue_id);
        state->errs |= CLEANUP_STAT_WRITE;
        return -1;
    }
    if (rec_fprintf(state->dst, REC_TYPE_SIZE, REC_TYPE_SIZE_FORMAT,
                    content_size, (long)state->data_offset, state->rcpt_count,
                    qmgr_flags, content_size, sendopts) == REC_TYPE_ERROR ||
        stream_flush(state->dst) != 0) {
        msg_warn("%s: write queue file: %s", state->queue_id,
                 stream_strerror(stream_error(state->dst)));
        state->errs |= CLEANUP_STAT_WRITE;
        return -1;
    }
    return 0;
}
