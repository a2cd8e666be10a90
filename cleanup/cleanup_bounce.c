/*
 * cleanup_bounce - return a rejected message to its sender
 *
 * A client that cannot hand a rejection back to a person (pickup: the
 * local user's sendmail has long exited) sets CLEANUP_FLAG_BOUNCE. When
 * such a message is refused for good (too large, too many hops, content
 * or policy: CLEANUP_BOUNCE_STATUS), cleanup returns it to the sender
 * itself and tells the client it was accepted, so that the client can
 * forget it; the message is not lost and not retried for ever.
 *
 *	cleanup_bounce(state, queue, status)
 *		state's queue file (queue/ID, still mode 0600, so no queue
 *		reader takes it) gets what a reader needs to find its end
 *		(X if the content never got there, then E); each recipient
 *		in it gets a bounce log record (bounce_append: the status's
 *		RFC 3463 code, action failed, the rejection reason), and the
 *		bounce service is asked to send the notice (bounce_flush),
 *		which reads this file for the original's headers and sender.
 *		Returns 0 when the notice is queued (the caller removes the
 *		file and answers OK), -1 otherwise (the caller answers with
 *		the rejection, as without the flag).
 *
 * What the notice attaches is what was written before the rejection:
 * for a message refused in its headers, the headers so far.
 *
 * Diagnostics: warnings when the file cannot be reread or the bounce
 * service fails. Configuration parameters: none of its own (the bounce
 * client uses ipc_timeout through cleanup.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce_client.h"
#include "cleanup.h"
#include "cleanup_user.h"
#include "mem.h"
#include "msg.h"
#include "record.h"

/* Terminate the file so that a reader finds X and E. */
static int cleanup_bounce_terminate(struct cleanup_state *state)
{
    if (stream_seek(state->dst, 0, SEEK_END) < 0)
        return -1;
    if (state->segment < CLEANUP_SEG_EXTRACTED)
        rec_put(state->dst, REC_TYPE_XTRA, "", 0);
    rec_put(state->dst, REC_TYPE_END, "", 0);
    return stream_flush(state->dst);
}

/* bounce_append for every recipient (R record) in the file. */
static int cleanup_bounce_recipients(struct cleanup_state *state,
                                     const struct bounce_dsn *dsn)
{
    struct buf *rec = buf_alloc(256);
    struct buf *orig = buf_alloc(64);
    struct buf *orcpt = buf_alloc(64);
    const char *name;
    const char *value;
    int notify = 0;
    int count = 0;
    int type;
    off_t offset;

    if (stream_seek(state->dst, 0, SEEK_SET) < 0) {
        count = -1;
        goto done;
    }
    for (;;) {
        offset = stream_tell(state->dst);
        type = rec_get(state->dst, rec, 0);
        if (type < 0 || type == REC_TYPE_MESG || type == REC_TYPE_END)
            break;
        if (type == REC_TYPE_ORCP) {
            buf_set(orig, buf_str(rec), buf_len(rec));
        } else if (type == REC_TYPE_ATTR &&
                   rec_attr_split(rec, &name, &value) == 0) {
            if (strcmp(name, REC_ATTR_DSN_ORCPT) == 0)
                buf_set_str(orcpt, value);
            else if (strcmp(name, REC_ATTR_DSN_NOTIFY) == 0)
                notify = atoi(value);
        } else if (type == REC_TYPE_RCPT) {
            struct bounce_rcpt rcpt = {buf_str(orig), buf_str(rec),
                                       (long)offset, buf_str(orcpt), notify};

            if (bounce_append(0, state->queue_id, &rcpt, dsn) < 0) {
                count = -1;
                break;
            }
            count++;
            buf_reset(orig);
            buf_reset(orcpt);
            notify = 0;
        }
    }
done:
    buf_free(rec);
    buf_free(orig);
    buf_free(orcpt);
    return count;
}

int cleanup_bounce(struct cleanup_state *state, const char *queue,
                   unsigned status)
{
    const struct cleanup_stat_detail *detail = cleanup_stat_detail(status);
    struct bounce_dsn dsn =
        BOUNCE_DSN_INIT(detail->dsn, DSN_ACTION_FAILED,
                        state->reject_text ? state->reject_text : detail->text);
    struct bounce_msg msg = {
        queue, state->queue_id, "", 0, state->sender ? state->sender : "", "",
        0};
    int count;

    if (!state->have_sender || cleanup_bounce_terminate(state) < 0) {
        msg_warn("%s: cannot return the rejected message to its sender",
                 state->queue_id);
        return -1;
    }
    if ((count = cleanup_bounce_recipients(state, &dsn)) <= 0) {
        msg_warn("%s: %s", state->queue_id,
                 count < 0 ? "bounce service failure"
                           : "no recipients to name in a bounce");
        return -1;
    }
    if (bounce_flush(0, &msg) < 0) {
        msg_warn("%s: bounce service failure", state->queue_id);
        return -1;
    }
    return 0;
}
