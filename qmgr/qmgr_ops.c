/*
 * qmgr_ops - qmgr's scheduler hooks for qcore: the pure scheduler of
 * qmgr_sched.c adapted to struct qc_sched_ops (qcore/qcore.h):
 *	init			the scheduler state, with
 *				qmgr_message_recipient_minimum and _limit
 *	transport_created	a scheduler transport with the per-transport
 *				parameters below
 *	message_added/removed	a scheduler message (queued_time = when it
 *				entered the active queue)
 *	entry_created/grown/done	the job and peer bookkeeping
 *	select_entry		qs_entry_select(): preemption, job walk,
 *				round robin over peers
 *	queue_unblocked		blocker jobs of that transport may go again
 *	recipients_wanted	first read (before message_added):
 *				qmgr_message_recipient_minimum, or more while
 *				the global in-core count is below
 *				qmgr_message_recipient_limit; later reads: the
 *				per-transport recipient pools
 *	periodic		refills: more recipients of a partly read
 *				message when its pools allow a batch of
 *				<t>_recipient_refill_limit or when
 *				<t>_recipient_refill_delay has passed
 * qcore round-robins over transports (one agent connection at a time per
 * transport) and calls select_entry for each.
 *
 * Public: qmgr_sched_ops (qmgr_ops.h).
 *
 * Diagnostics: fatal on an invalid parameter value (param.h).
 *
 * Configuration parameters: default_delivery_slot_cost, _slot_loan,
 * _slot_discount, default_minimum_delivery_slots, default_recipient_limit,
 * default_extra_recipient_limit, default_recipient_refill_limit,
 * default_recipient_refill_delay, and their <transport>_ overrides;
 * qmgr_message_recipient_minimum, qmgr_message_recipient_limit (read by
 * qcore into qc_params).
 *
 * Choices: the scheduler's, documented in qmgr_sched.c. The recipient
 * count a message still has in its file is qcore's estimate; while the
 * file is not fully read it counts as at least 1. A message whose
 * in-core recipients are all done is left to qcore, which asks
 * recipients_wanted itself.
 */
#include <stddef.h>
#include <time.h>

#include "msg.h"
#include "param.h"
#include "qcore.h"
#include "qmgr_ops.h"
#include "qmgr_sched.h"
#include "server.h"

static struct qs_sched qmgr_sched;

static int qmgr_queue_ready(void *queue)
{
    return qc_queue_ready(queue);
}

/* What qcore knows about the recipients not yet read. */
static int qmgr_unread(const struct qc_message *m)
{
    if (m->flags & (QC_MSG_FLAG_ALL_READ | QC_MSG_FLAG_DONE))
        return 0;
    return m->rcpt_unread > 0 ? m->rcpt_unread : 1;
}

static void qmgr_sync(struct qc_message *m)
{
    if (m->sched)
        qs_message_set_unread(m->sched, qmgr_unread(m));
}

/* Messages whose last read may have reached the end of the file. */
static void qmgr_sync_partial(void)
{
    struct qs_link *l;
    struct qs_link *next;

    for (l = qmgr_sched.partial.next; l != &qmgr_sched.partial; l = next) {
        struct qs_message *sm =
            (struct qs_message *)((char *)l -
                                  offsetof(struct qs_message, partial_link));
        next = l->next;
        qmgr_sync(sm->owner);
    }
}

static int qmgr_transport_int(const struct qc_transport *t, const char *suffix)
{
    return qc_transport_param_int(t, suffix);
}

static int qmgr_transport_time(const struct qc_transport *t, const char *suffix,
                               int dflt)
{
    return server_conf ? (int)param_transport_time(server_conf, t->name, suffix)
                       : dflt;
}

/* -------------------------------------------------------------- hooks */

static void qmgr_init(void)
{
    qs_sched_init(&qmgr_sched, qmgr_queue_ready,
                  qc_params.message_recipient_minimum,
                  qc_params.message_recipient_limit);
}

static void qmgr_transport_created(struct qc_transport *t)
{
    struct qs_params p = QS_PARAMS_DEFAULT;

    p.slot_cost = qmgr_transport_int(t, "_delivery_slot_cost");
    p.slot_loan = qmgr_transport_int(t, "_delivery_slot_loan");
    p.slot_discount = qmgr_transport_int(t, "_delivery_slot_discount");
    p.min_slots = qmgr_transport_int(t, "_minimum_delivery_slots");
    p.rcpt_limit = qmgr_transport_int(t, "_recipient_limit");
    p.extra_limit = qmgr_transport_int(t, "_extra_recipient_limit");
    p.refill_limit = qmgr_transport_int(t, "_recipient_refill_limit");
    p.refill_delay =
        qmgr_transport_time(t, "_recipient_refill_delay", p.refill_delay);
    t->sched = qs_transport_create(&qmgr_sched, t->name, t, &p);
}

static void qmgr_transport_freed(struct qc_transport *t)
{
    if (t->sched)
        qs_transport_free(t->sched);
    t->sched = NULL;
}

static void qmgr_queue_unblocked(struct qc_queue *q)
{
    if (q->transport->sched)
        qs_transport_unblock(q->transport->sched);
}

static void qmgr_message_added(struct qc_message *m)
{
    m->sched = qs_message_create(&qmgr_sched, m, m->active_time.tv_sec,
                                 qmgr_unread(m));
}

static void qmgr_message_removed(struct qc_message *m)
{
    if (m->sched)
        qs_message_free(m->sched);
    m->sched = NULL;
}

static void qmgr_entry_created(struct qc_entry *e)
{
    qmgr_sync(e->message);
    e->sched = qs_entry_create(e->message->sched, e->queue->transport->sched,
                               e->queue, e, e->rcpt.len);
}

static void qmgr_entry_grown(struct qc_entry *e, int added)
{
    if (e->sched)
        qs_entry_grow(e->sched, added);
}

static struct qc_entry *qmgr_select_entry(struct qc_transport *t)
{
    struct qs_entry *se;

    qmgr_sync_partial();
    se = qs_entry_select(t->sched, time(NULL));
    return se ? se->owner : NULL;
}

static void qmgr_entry_done(struct qc_entry *e, int status)
{
    (void)status;
    qmgr_sync(e->message);
    if (e->sched)
        qs_entry_done(e->sched);
    e->sched = NULL;
}

static int qmgr_recipients_wanted(struct qc_message *m)
{
    time_t now = time(NULL);
    int n;

    /* The first read comes before message_added. */
    if (m->sched == NULL || m->rcpt_read == 0)
        return qs_recipients_first(&qmgr_sched);
    qmgr_sync(m);
    n = qs_recipients_wanted(m->sched, now);
    if (n > 0)
        qs_message_read(m->sched, now);
    return n;
}

static int qmgr_periodic(time_t now)
{
    struct qs_link *l;
    struct qs_link *next;

    qmgr_sync_partial();
    for (l = qmgr_sched.partial.next; l != &qmgr_sched.partial; l = next) {
        struct qs_message *sm =
            (struct qs_message *)((char *)l -
                                  offsetof(struct qs_message, partial_link));
        struct qc_message *m = sm->owner;
        int n;

        next = l->next;
        if (m->flags & (QC_MSG_FLAG_READING | QC_MSG_FLAG_DONE))
            continue;
        if (m->rcpt_count == 0)
            continue; /* qcore reads it when its last entry is done */
        if ((n = qs_recipients_wanted(sm, now)) <= 0)
            continue;
        qs_message_read(sm, now);
        if (qc_message_refill(m, n) < 0)
            break; /* the message is being disposed of: lists changed */
        qmgr_sync(m);
    }
    return qmgr_sched.partial.next != &qmgr_sched.partial ? 1000 : -1;
}

const struct qc_sched_ops qmgr_sched_ops = {
    .name = "qmgr",
    .init = qmgr_init,
    .transport_created = qmgr_transport_created,
    .transport_freed = qmgr_transport_freed,
    .queue_unblocked = qmgr_queue_unblocked,
    .message_added = qmgr_message_added,
    .message_removed = qmgr_message_removed,
    .entry_created = qmgr_entry_created,
    .entry_grown = qmgr_entry_grown,
    .select_entry = qmgr_select_entry,
    .entry_done = qmgr_entry_done,
    .recipients_wanted = qmgr_recipients_wanted,
    .periodic = qmgr_periodic,
};
