/*
 * test_qmgr_ops - qmgr's scheduler hooks (qmgr/qmgr_ops.c) on qcore's own
 * objects: transports, queues, messages and entries are built with the
 * core's functions (no sockets, no files) and the hooks are called in the
 * order qcore calls them. Checked:
 *	- a small message overtakes a big one to the same destination
 *	  (preemption through the hooks), then the big one goes on;
 *	- a destination whose window is full or that waits for a rate delay
 *	  is not chosen; queue_unblocked lets its jobs go again;
 *	- the first read of a message (recipients_wanted before
 *	  message_added) takes qmgr_message_recipient_limit less what is in
 *	  core, at least qmgr_message_recipient_minimum; a later read follows
 *	  the recipient pool;
 *	- a partly read message becomes fully read when qcore sets
 *	  QC_MSG_FLAG_ALL_READ (seen at the next selection).
 */
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "qc_impl.h"
#include "qmgr_ops.h"
#include "qmgr_sched.h"
#include "unit.h"

/* A message in the active queue with nrcpt recipients for queue q. */
static struct qc_message *message(const char *id, struct qc_queue *q, int nrcpt,
                                  time_t active, int all_read)
{
    struct qc_message *m = qc_message_alloc("active", id);
    struct qc_assign *items = mem_zalloc(sizeof(*items) * (size_t)nrcpt);
    char addr[64];

    m->active_time.tv_sec = active;
    m->rcpt_read = nrcpt;
    if (all_read)
        m->flags |= QC_MSG_FLAG_ALL_READ;
    else
        m->rcpt_unread = 100;
    qmgr_sched_ops.message_added(m);
    for (int i = 0; i < nrcpt; i++) {
        snprintf(addr, sizeof(addr), "r%d@%s", i, q->name);
        items[i].queue = q;
        items[i].rcpt.address = mem_strdup(addr);
        items[i].rcpt.offset = 100 + i;
        items[i].seq = i;
    }
    qc_message_assign(m, items, nrcpt);
    mem_free(items);
    return m;
}

/* Select one entry and deliver it at once; the message's ID or "-". */
static const char *pick(struct qc_transport *t)
{
    static char id[32];
    struct qc_entry *e = qmgr_sched_ops.select_entry(t);

    if (e == NULL)
        return "-";
    snprintf(id, sizeof(id), "%s", e->message->queue_id);
    qmgr_sched_ops.entry_done(e, QC_STAT_OK);
    qc_entry_unlink(e);
    qc_entry_free(e);
    return id;
}

static void done(struct qc_message *m)
{
    qmgr_sched_ops.message_removed(m);
    qc_message_free(m);
}

static void setup(void)
{
    qc_in_test = 1;
    qc_sched = &qmgr_sched_ops;
    qc_params.message_recipient_minimum = 10;
    qc_params.message_recipient_limit = 100;
    qc_recipient_count = 0;
    qmgr_sched_ops.init();
}

static void teardown(void)
{
    struct qc_ring *r;

    QC_RING_FOREACH(r, &qc_transports)
    {
        qmgr_sched_ops.transport_freed(
            QC_RING_OBJ(r, struct qc_transport, link));
    }
    qc_route_reset();
}

static void test_preemption_through_hooks(void)
{
    struct qc_transport *t;
    struct qc_queue *q;
    struct qc_message *big;
    struct qc_message *small;
    int n;

    setup();
    t = qc_transport_create("smtp");
    t->dest_recipient_limit = 1; /* one recipient per entry */
    q = qc_queue_create(t, "slow.example", "slow.example");
    big = message("BIG", q, 40, 0, 1);
    for (int i = 0; i < 5; i++)
        UNIT_CHECK_STR("big first", pick(t), "BIG");
    small = message("SMALL", q, 1, 1, 1);
    UNIT_CHECK_STR("small overtakes", pick(t), "SMALL");
    for (n = 0; strcmp(pick(t), "BIG") == 0; n++)
        ;
    UNIT_CHECK_INT("the rest of big", n, 35);
    UNIT_CHECK_INT("all done", big->refcount + small->refcount, 0);
    done(big);
    done(small);
    teardown();
}

static void test_blocked_destination(void)
{
    struct qc_transport *t;
    struct qc_queue *qa;
    struct qc_queue *qb;
    struct qc_message *ma;
    struct qc_message *mb;

    setup();
    t = qc_transport_create("smtp");
    qa = qc_queue_create(t, "a.example", "a.example");
    qb = qc_queue_create(t, "b.example", "b.example");
    t->dest_recipient_limit = 1;
    ma = message("MA", qa, 2, 0, 1);
    mb = message("MB", qb, 2, 1, 1);
    qa->busy_count = qa->conc.window; /* window full */
    UNIT_CHECK_STR("a full: b", pick(t), "MB");
    qb->flags |= QC_QUEUE_FLAG_RATE;
    UNIT_CHECK_STR("b waits for its rate delay", pick(t), "-");
    qa->busy_count = 0;
    qmgr_sched_ops.queue_unblocked(qa);
    UNIT_CHECK_STR("a free again", pick(t), "MA");
    UNIT_CHECK_STR("a free again", pick(t), "MA");
    qb->flags &= ~QC_QUEUE_FLAG_RATE;
    qmgr_sched_ops.queue_unblocked(qb);
    UNIT_CHECK_STR("b free again", pick(t), "MB");
    UNIT_CHECK_STR("nothing left", pick(t), "-");
    done(ma);
    done(mb);
    teardown();
}

static void test_recipients_wanted(void)
{
    struct qc_transport *t;
    struct qc_queue *q;
    struct qc_message *first;
    struct qc_message *m;
    struct qc_message *partial;
    struct qs_message *sm;

    setup();
    t = qc_transport_create("smtp");
    q = qc_queue_create(t, "x.example", "x.example");
    /* Before message_added: the global room, at least the minimum. */
    first = qc_message_alloc("active", "FIRST");
    UNIT_CHECK_INT("empty core", qmgr_sched_ops.recipients_wanted(first), 100);
    m = message("M", q, 40, 0, 1);
    UNIT_CHECK_INT("40 in core", qmgr_sched_ops.recipients_wanted(first), 60);
    partial = message("P", q, 70, 1, 0);
    UNIT_CHECK_INT("110 in core: the minimum",
                   qmgr_sched_ops.recipients_wanted(first), 10);
    qc_message_free(first);
    /* P is partly read: the pool went to it (the only unread job). */
    sm = partial->sched;
    UNIT_CHECK_INT("P unread", sm->rcpt_unread, 100);
    /* The pool (20000) less M's 40: room beyond its 70 in core. */
    UNIT_CHECK_INT("P may refill", qmgr_sched_ops.recipients_wanted(partial),
                   100);
    /* qcore read the rest: seen at the next selection. */
    partial->flags |= QC_MSG_FLAG_ALL_READ;
    partial->rcpt_unread = 0;
    UNIT_CHECK_STR("selection", pick(t), "M");
    UNIT_CHECK_INT("P fully read", sm->rcpt_unread, 0);
    UNIT_CHECK_INT("P wants nothing", qmgr_sched_ops.recipients_wanted(partial),
                   0);
    while (strcmp(pick(t), "-") != 0)
        ;
    done(m);
    done(partial);
    teardown();
}

static const struct unit_case cases[] = {
    {"a small message overtakes a big one", test_preemption_through_hooks},
    {"blocked destinations and unblocking", test_blocked_destination},
    {"recipients wanted: first read and pools", test_recipients_wanted},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"qmgr_ops", cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
