/*
 * cleanup_state - one message's way through the cleanup daemon
 *
 * The daemon (cleanup.c) creates the queue file, makes a state for it,
 * hands it each record the client sends, and at the end asks whether the
 * message is good. This module is that state machine without the
 * socket and the spool, so that it can be tested on its own.
 *
 *	cleanup_state_create(queue_id, dst, flags, create_time)
 *		a state for the queue file open on dst (a new, empty file).
 *		Writes the size record placeholder (all counts zero; it is
 *		rewritten in place at the end).
 *	cleanup_record(state, type, data, len)
 *		one record from the client (data has a NUL after len bytes,
 *		as record.h delivers it). Dispatches on the segment: the
 *		envelope (cleanup_envelope.c) up to M, the content
 *		(cleanup_message.c) up to X, the extracted segment
 *		(cleanup_extracted.c) up to E. Returns 1 once E has been
 *		read, else 0. After a rejection the records are read and
 *		dropped until E, so that the client, which writes the whole
 *		message before it reads the verdict, still gets it.
 *	cleanup_reject(state, status, fmt, ...)
 *		fail the message with a CLEANUP_STAT_* bit, logging
 *		"<QID>: message rejected: <text>" as a warning, as Postfix
 *		does; nothing more is looked at or written.
 *	cleanup_finish(state)
 *		after E: a message without recipients fails with
 *		CLEANUP_STAT_RCPT; otherwise the size record gets its final
 *		values. Returns the status bits (0 = write the file to
 *		stable storage and accept it).
 *	cleanup_state_free(state)
 *		(does not close dst)
 *
 * Diagnostics: the warnings above, and those of the segment modules.
 * Configuration parameters: those of cleanup_config.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "cleanup_user.h"
#include "mem.h"
#include "msg.h"
#include "record.h"

struct cleanup_config cleanup_config;

struct cleanup_state *cleanup_state_create(const char *queue_id,
                                           struct stream *dst, int flags,
                                           time_t create_time)
{
    struct cleanup_state *state = mem_zalloc(sizeof(*state));

    state->queue_id = mem_strdup(queue_id);
    state->dst = dst;
    state->flags = flags;
    state->create_time = create_time;
    state->segment = CLEANUP_SEG_ENVELOPE;
    state->dup = cleanup_dup_create(cleanup_config.duplicate_filter_limit);
    state->line = buf_alloc(100);
    state->hdr = buf_alloc(100);
    state->scratch = buf_alloc(100);
    state->in_headers = 1;
    state->line_class = CLEANUP_LINE_NONE;
    cleanup_out_format(state, REC_TYPE_SIZE, REC_TYPE_SIZE_FORMAT, 0L, 0L, 0L,
                       0L, 0L, 0L);
    return state;
}

void cleanup_state_free(struct cleanup_state *state)
{
    mem_free(state->reject_text);
    mem_free(state->queue_id);
    mem_free(state->sender);
    mem_free(state->fullname);
    mem_free(state->orig_rcpt);
    mem_free(state->dsn_orcpt);
    cleanup_dup_free(state->dup);
    buf_free(state->line);
    buf_free(state->hdr);
    buf_free(state->scratch);
    mem_free(state);
}

void cleanup_reject(struct cleanup_state *state, unsigned status,
                    const char *fmt, ...)
{
    struct buf *text = buf_alloc(100);
    va_list ap;

    va_start(ap, fmt);
    buf_append_vprintf(text, fmt, ap);
    va_end(ap);
    msg_warn("%s: message rejected: %s", state->queue_id, buf_str(text));
    if (state->reject_text == NULL)
        state->reject_text = buf_export(text);
    else
        buf_free(text);
    state->errs |= status;
    state->fatal = 1;
}

int cleanup_record(struct cleanup_state *state, int type, const char *data,
                   size_t len)
{
    if (state->segment == CLEANUP_SEG_DONE)
        return 1;

    /*
     * Pointers and padding are cleanup's own business: a client that
     * sends them could make the file point anywhere (Postfix: "record
     * type 112 not allowed - discarding this message").
     */
    if (!state->fatal && (type == REC_TYPE_PTR || type == REC_TYPE_DTXT)) {
        msg_warn("%s: record type %d not allowed - discarding this message",
                 state->queue_id, type);
        state->errs |= CLEANUP_STAT_BAD;
        state->fatal = 1;
    }
    /* An early E still ends the client's message. */
    if (type == REC_TYPE_END && state->segment != CLEANUP_SEG_EXTRACTED) {
        if (!state->fatal && state->errs == 0)
            cleanup_reject(state, CLEANUP_STAT_BAD,
                           "unexpected record type %d in %s", type,
                           state->segment == CLEANUP_SEG_ENVELOPE
                               ? "envelope"
                               : "message content");
        state->segment = CLEANUP_SEG_DONE;
        return 1;
    }
    if (state->fatal || state->errs != 0) {
        /* Read on to the end, quietly; only E matters now. */
        if (type == REC_TYPE_END)
            state->segment = CLEANUP_SEG_DONE;
        return state->segment == CLEANUP_SEG_DONE;
    }
    switch (state->segment) {
    case CLEANUP_SEG_ENVELOPE:
        cleanup_envelope(state, type, data, len);
        break;
    case CLEANUP_SEG_CONTENT:
        cleanup_message(state, type, data, len);
        break;
    case CLEANUP_SEG_EXTRACTED:
        cleanup_extracted(state, type, data, len);
        break;
    case CLEANUP_SEG_DONE:
        break;
    }
    return state->segment == CLEANUP_SEG_DONE;
}

int cleanup_finish(struct cleanup_state *state)
{
    if (state->errs == 0 && state->rcpt_count == 0)
        state->errs |= CLEANUP_STAT_RCPT;
    if (state->errs == 0)
        cleanup_out_size_record(state);
    return (int)state->errs;
}
