/*
 * oqmgr_sched - the old queue manager's scheduler (spec e.5)
 *
 * The struct qc_sched_ops that oqmgr hands to the queue manager core:
 *	select_entry	within a transport, round robin over its destination
 *			queues that may take another delivery (the chosen
 *			queue goes to the end of the transport's list);
 *			within a queue, first in first out
 *	recipients_wanted	a message may hold up to
 *			qmgr_message_recipient_limit * qmgr_fudge_factor / 100
 *			recipients in core (at least
 *			qmgr_message_recipient_minimum)
 *	may_admit	a new message only while fewer than
 *			qmgr_message_recipient_limit recipients are in core
 *
 * Public: oqmgr_sched_ops.
 *
 * Diagnostics: none.
 *
 * Configuration parameters (read by the core): qmgr_message_recipient_limit,
 * qmgr_fudge_factor, qmgr_message_recipient_minimum.
 */
#include <stddef.h>

#include "oqmgr_sched.h"

static struct qc_entry *oqmgr_select_entry(struct qc_transport *t)
{
    struct qc_ring *r;

    QC_RING_FOREACH(r, &t->queues)
    {
        struct qc_queue *q = QC_RING_OBJ(r, struct qc_queue, transport_link);

        if (qc_queue_ready(q)) {
            struct qc_ring *first = QC_RING_FIRST(&q->todo);

            /* Round robin: this destination goes to the back. */
            qc_ring_detach(&q->transport_link);
            qc_ring_append(&t->queues, &q->transport_link);
            return QC_RING_OBJ(first, struct qc_entry, queue_link);
        }
    }
    return NULL;
}

static int oqmgr_recipients_wanted(struct qc_message *m)
{
    long limit =
        (long)qc_params.message_recipient_limit * qc_params.fudge_factor / 100;

    if (limit < qc_params.message_recipient_minimum)
        limit = qc_params.message_recipient_minimum;
    return limit > m->rcpt_count ? (int)(limit - m->rcpt_count) : 0;
}

static int oqmgr_may_admit(void)
{
    return qc_recipient_count < qc_params.message_recipient_limit;
}

const struct qc_sched_ops oqmgr_sched_ops = {
    .name = "oqmgr",
    .select_entry = oqmgr_select_entry,
    .recipients_wanted = oqmgr_recipients_wanted,
    .may_admit = oqmgr_may_admit,
};
