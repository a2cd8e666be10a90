/*
 * test_oqmgr_sched - oqmgr's scheduler against an in-memory queue
 *
 * Transports, destination queues and entries are built with the core's
 * own functions (no sockets, no files); the cases check:
 *	- round robin among the destinations of a transport, first in first
 *	  out within one, a destination that may not start (window full,
 *	  rate delay, dead) skipped, NULL when nothing may start;
 *	- the per-message recipient allowance (qmgr_message_recipient_limit
 *	  times qmgr_fudge_factor percent, at least the minimum) and the
 *	  admission rule (in-core recipients below the limit).
 */
#include <string.h>

#include "mem.h"
#include "oqmgr_sched.h"
#include "qc_impl.h"
#include "unit.h"

static struct qc_message *messages[8];
static int nmessages;

static void add(struct qc_queue *q, const char *addr)
{
    struct qc_message *m = qc_message_alloc("active", "ABCDEF0000");
    struct qc_assign a;

    memset(&a, 0, sizeof(a));
    a.queue = q;
    a.rcpt.address = mem_strdup(addr);
    a.rcpt.offset = 100;
    qc_message_assign(m, &a, 1);
    messages[nmessages++] = m;
}

static const char *pick(struct qc_transport *t)
{
    struct qc_entry *e = oqmgr_sched_ops.select_entry(t);

    if (e == NULL)
        return "(none)";
    /* Hand it out: it leaves todo for good in this test. */
    qc_entry_unlink(e);
    {
        static char addr[64];

        snprintf(addr, sizeof(addr), "%s", e->rcpt.info[0].address);
        qc_entry_free(e);
        return addr;
    }
}

static void test_round_robin(void)
{
    struct qc_transport *t;
    struct qc_queue *qa;
    struct qc_queue *qb;
    struct qc_queue *qc;
    static const char *const want[] = {"a1", "b1", "c1",    "a2",
                                       "b2", "a3", "(none)"};

    qc_in_test = 1;
    qc_sched = &oqmgr_sched_ops;
    nmessages = 0;
    t = qc_transport_create("smtp");
    qa = qc_queue_create(t, "a", "a");
    qb = qc_queue_create(t, "b", "b");
    qc = qc_queue_create(t, "c", "c");
    add(qa, "a1");
    add(qa, "a2");
    add(qa, "a3");
    add(qb, "b1");
    add(qb, "b2");
    add(qc, "c1");
    for (size_t i = 0; i < UNIT_COUNT(want); i++)
        UNIT_CHECK_STR("round robin", pick(t), want[i]);

    /* Blocked destinations are skipped. */
    add(qa, "a4");
    add(qb, "b3");
    qb->flags |= QC_QUEUE_FLAG_RATE;
    UNIT_CHECK_STR("rate delay", pick(t), "a4");
    UNIT_CHECK_STR("rate delay", pick(t), "(none)");
    qb->flags &= ~QC_QUEUE_FLAG_RATE;
    qb->busy_count = qb->conc.window; /* window full */
    UNIT_CHECK_STR("window full", pick(t), "(none)");
    qb->busy_count = 0;
    UNIT_CHECK_STR("window free", pick(t), "b3");

    for (int i = 0; i < nmessages; i++)
        qc_message_free(messages[i]);
    qc_route_reset();
}

static void test_recipient_allowance(void)
{
    struct qc_message *m = qc_message_alloc("active", "ABCDEF0000");

    qc_params.message_recipient_limit = 1000;
    qc_params.message_recipient_minimum = 10;
    qc_params.fudge_factor = 100;
    CU_ASSERT_EQUAL(oqmgr_sched_ops.recipients_wanted(m), 1000);
    m->rcpt_count = 400;
    CU_ASSERT_EQUAL(oqmgr_sched_ops.recipients_wanted(m), 600);
    qc_params.fudge_factor = 10;
    CU_ASSERT_EQUAL(oqmgr_sched_ops.recipients_wanted(m), 0);
    m->rcpt_count = 0;
    CU_ASSERT_EQUAL(oqmgr_sched_ops.recipients_wanted(m), 100);
    qc_params.message_recipient_limit = 50; /* 5 < minimum 10 */
    CU_ASSERT_EQUAL(oqmgr_sched_ops.recipients_wanted(m), 10);

    qc_recipient_count = 49;
    CU_ASSERT_TRUE(oqmgr_sched_ops.may_admit());
    qc_recipient_count = 50;
    CU_ASSERT_FALSE(oqmgr_sched_ops.may_admit());
    qc_recipient_count = 0;
    qc_message_free(m);
}

static const struct unit_case cases[] = {
    {"round robin and FIFO", test_round_robin},
    {"recipient allowance and admission", test_recipient_allowance},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"oqmgr_sched", cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
