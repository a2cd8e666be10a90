/*
 * test_qmgr_sched - unit tests for qmgr's preemptive scheduler and
 * recipient pools (qmgr/qmgr_sched.c), without sockets: an in-memory set
 * of destination queues (busy count and window), deliveries that take a
 * fixed number of simulated seconds, and a simulated clock.
 *
 * The simulator: at each simulated second, deliveries whose time is up
 * finish (qs_entry_done, the queue's busy count drops), then entries are
 * selected (round-robin over transports) until nothing can go; each
 * selection is logged as "<time>:<message label>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "qmgr_sched.h"
#include "unit.h"

/* ------------------------------------------------------------ simulator */

struct sim_queue {
    const char *name;
    int window;
    int busy;
    int duration; /* seconds per delivery */
};

static int sim_queue_ready(void *queue)
{
    struct sim_queue *q = queue;

    return q->busy < q->window;
}

#define SIM_MAX_BUSY 256
#define SIM_MAX_LOG  8192

struct sim {
    struct qs_sched sched;
    time_t now;
    struct {
        struct qs_entry *entry;
        struct sim_queue *queue;
        time_t end;
    } busy[SIM_MAX_BUSY];
    int nbusy;
    struct {
        time_t when;
        const char *label;
        const char *queue;
        const char *transport;
    } log[SIM_MAX_LOG];
    int nlog;
};

static void sim_init(struct sim *sim, int rcpt_minimum, int rcpt_limit)
{
    memset(sim, 0, sizeof(*sim));
    qs_sched_init(&sim->sched, sim_queue_ready, rcpt_minimum, rcpt_limit);
}

/* A message with `entries` entries of `per` recipients to one queue. */
static struct qs_message *sim_message(struct sim *sim, const char *label,
                                      struct qs_transport *t,
                                      struct sim_queue *q, int entries, int per)
{
    struct qs_message *m =
        qs_message_create(&sim->sched, (void *)label, sim->now, entries * per);

    for (int i = 0; i < entries; i++)
        qs_entry_create(m, t, q, (void *)label, per);
    qs_message_set_unread(m, 0);
    return m;
}

static void sim_finish(struct sim *sim)
{
    for (int i = 0; i < sim->nbusy;) {
        if (sim->busy[i].end <= sim->now) {
            sim->busy[i].queue->busy--;
            qs_entry_done(sim->busy[i].entry);
            sim->busy[i] = sim->busy[--sim->nbusy];
        } else {
            i++;
        }
    }
}

static void sim_select(struct sim *sim)
{
    struct qs_entry *e;
    struct qs_transport *t;

    while ((e = qs_select_any(&sim->sched, sim->now, &t)) != NULL) {
        struct sim_queue *q = e->peer->queue;

        CU_ASSERT_FATAL(sim->nbusy < SIM_MAX_BUSY);
        CU_ASSERT_FATAL(sim->nlog < SIM_MAX_LOG);
        CU_ASSERT(q->busy < q->window);
        q->busy++;
        sim->busy[sim->nbusy].entry = e;
        sim->busy[sim->nbusy].queue = q;
        sim->busy[sim->nbusy].end = sim->now + q->duration;
        sim->nbusy++;
        sim->log[sim->nlog].when = sim->now;
        sim->log[sim->nlog].label = e->owner;
        sim->log[sim->nlog].queue = q->name;
        sim->log[sim->nlog].transport = t->name;
        sim->nlog++;
    }
}

/* One simulated second. */
static void sim_step(struct sim *sim)
{
    sim_finish(sim);
    sim_select(sim);
    sim->now++;
}

static void sim_run_until(struct sim *sim, time_t until)
{
    while (sim->now < until)
        sim_step(sim);
}

/* Run until nothing is busy and nothing could be selected. */
static void sim_drain(struct sim *sim, time_t limit)
{
    do {
        sim_step(sim);
    } while (sim->nbusy > 0 && sim->now < limit);
}

/* Index of the first selection of a message, -1 if none. */
static int sim_first(const struct sim *sim, const char *label)
{
    for (int i = 0; i < sim->nlog; i++)
        if (strcmp(sim->log[i].label, label) == 0)
            return i;
    return -1;
}

static int sim_count_before(const struct sim *sim, const char *label, int end)
{
    int n = 0;

    for (int i = 0; i < end && i < sim->nlog; i++)
        if (strcmp(sim->log[i].label, label) == 0)
            n++;
    return n;
}

static void sim_free_transport(struct qs_transport *t)
{
    qs_transport_free(t);
}

/* ------------------------------------------------------ slot arithmetic */

static void test_slot_arithmetic(void)
{
    static const struct {
        const char *name;
        int cost, loan, discount;
        int slots, needed;
        int want;
    } cases[] = {
        {"defaults, one entry, one slot earned", 5, 3, 50, 5, 1, 1},
        {"defaults, nothing earned yet", 5, 3, 50, 0, 1, 0},
        {"defaults, loan covers half of 6", 5, 3, 50, 4, 6, 1},
        {"defaults, loan short of half of 7", 5, 3, 50, 4, 7, 0},
        {"defaults, 2 slots + 3 loan = half of 10", 5, 3, 50, 10, 10, 1},
        {"defaults, 5 < half of 11", 5, 3, 50, 10, 11, 0},
        {"no loan no discount, exact", 5, 0, 0, 50, 10, 1},
        {"no loan no discount, one entry short", 5, 0, 0, 49, 10, 0},
        {"slots in debt", 5, 3, 50, -5, 1, 0},
        {"cost 1 disables", 1, 3, 50, 100, 1, 0},
        {"cost 0 disables", 0, 3, 50, 100, 1, 0},
        {"cost 2 is the least that works", 2, 0, 0, 2, 1, 1},
        {"full discount", 5, 0, 100, 1, 1000, 1},
        {"large numbers do not overflow", 5, 3, 50, 2000000000, 800000006, 1},
        {"large numbers, one short", 5, 3, 50, 2000000000, 800000007, 0},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct qs_params p = QS_PARAMS_DEFAULT;

        p.slot_cost = cases[i].cost;
        p.slot_loan = cases[i].loan;
        p.slot_discount = cases[i].discount;
        UNIT_CHECK_INT(
            cases[i].name,
            qs_slots_allow_preempt(&p, cases[i].slots, cases[i].needed),
            cases[i].want);
    }
}

/* ---------------------------------------------------------- preemption */

/*
 * A 5,000-recipient message (100 entries of 50) to one slow destination
 * (window 5, 10 s per delivery), then at t=3 a 1-recipient message to
 * the same destination: with the default slot cost it takes the first
 * delivery slot that frees up (t=10, the 6th selection) while the big
 * message still has 95 entries to go; with preemption disabled it waits
 * until every entry of the big message has been handed out.
 */
static void test_small_overtakes_big(void)
{
    static const struct {
        const char *name;
        int slot_cost;
        int want_index; /* of the small message's selection */
        time_t want_time;
        int want_preemptions;
    } cases[] = {
        {"preemptive (slot cost 5)", 5, 5, 10, 1},
        {"slot cost 2", 2, 5, 10, 1},
        {"preemption disabled (slot cost 0)", 0, 100, 200, 0},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct sim *sim = mem_alloc(sizeof(*sim));
        struct qs_params p = QS_PARAMS_DEFAULT;
        struct sim_queue q = {"big.example", 5, 0, 10};
        struct qs_transport *t;
        struct qs_message *big;
        struct qs_message *small;
        int idx;

        sim_init(sim, 10, 20000);
        p.slot_cost = cases[i].slot_cost;
        t = qs_transport_create(&sim->sched, "smtp", NULL, &p);
        UNIT_CHECK_INT(cases[i].name, qs_recipients_first(&sim->sched), 5000);
        big = sim_message(sim, "big", t, &q, 100, 50);
        UNIT_CHECK_INT(cases[i].name, sim->sched.rcpt_in_core, 5000);
        sim_run_until(sim, 3);
        small = sim_message(sim, "small", t, &q, 1, 1);
        sim_drain(sim, 1000);

        idx = sim_first(sim, "small");
        UNIT_CHECK_INT(cases[i].name, idx, cases[i].want_index);
        if (idx >= 0)
            UNIT_CHECK_INT(cases[i].name, sim->log[idx].when,
                           cases[i].want_time);
        UNIT_CHECK_INT(cases[i].name, sim_count_before(sim, "big", idx), idx);
        UNIT_CHECK_INT(cases[i].name, t->preemptions,
                       cases[i].want_preemptions);
        /* Everything was delivered, and nothing twice. */
        UNIT_CHECK_INT(cases[i].name, sim->nlog, 101);
        UNIT_CHECK_INT(cases[i].name, sim->sched.rcpt_in_core, 0);
        UNIT_CHECK_INT(cases[i].name, q.busy, 0);
        CU_ASSERT_PTR_NULL(qs_transport_first_job(t));
        /* All the recipient limit went back to the pool. */
        UNIT_CHECK_INT(cases[i].name, t->rcpt_unused, 20000);
        UNIT_CHECK_INT(cases[i].name, t->extra_unused, 1000);
        qs_message_free(big);
        qs_message_free(small);
        sim_free_transport(t);
        mem_free(sim);
    }
}

/*
 * The preemption condition step by step: the big job's slot count, the
 * charge, the stack, and its end. Window 1 so that each step is one
 * selection.
 */
static void test_preemption_accounting(void)
{
    struct sim *sim = mem_alloc(sizeof(*sim));
    struct qs_params p = QS_PARAMS_DEFAULT;
    struct sim_queue q = {"one.example", 1, 0, 1};
    struct qs_transport *t;
    struct qs_message *big;
    struct qs_message *mid;
    struct qs_job *jbig;
    struct qs_job *jmid;

    sim_init(sim, 10, 20000);
    t = qs_transport_create(&sim->sched, "smtp", NULL, &p);
    big = sim_message(sim, "big", t, &q, 40, 1);
    jbig = qs_job_find(big, t);
    sim_run_until(sim, 3); /* t=0,1,2: three entries of big */
    UNIT_CHECK_INT("big earned", jbig->slots_available, 3);
    UNIT_CHECK_INT("big selected", jbig->selected_entries, 3);

    /* 8 entries: needs 8 * 50% = 4 slots; big has 0 + 3 loan. */
    mid = sim_message(sim, "mid", t, &q, 8, 1);
    jmid = qs_job_find(mid, t);
    CU_ASSERT_PTR_EQUAL(qs_transport_candidate(t, sim->now), jmid);
    /* t=3: 3/5 + 3 = 3 and then 4/5 + 3 = 3 slots: short of 4. */
    sim_run_until(sim, 4);
    UNIT_CHECK_INT("no preemption before 5 entries", t->preemptions, 0);
    UNIT_CHECK_INT("big earned more", jbig->slots_available, 4);
    /* t=4: big's 5th entry, then 5/5 + 3 = 4 >= 8 * 50%: mid preempts
     * (and waits for the queue, busy until t=5). */
    sim_step(sim);
    UNIT_CHECK_INT("preempted", t->preemptions, 1);
    UNIT_CHECK_INT("not yet selected", jmid->selected_entries, 0);
    sim_step(sim); /* t=5 */
    CU_ASSERT_PTR_EQUAL(t->current, jmid);
    CU_ASSERT_PTR_EQUAL(jmid->stack_parent, jbig);
    UNIT_CHECK_INT("stack level", jmid->stack_level, 1);
    UNIT_CHECK_INT("charged 8 * cost", jbig->slots_available, 5 - 40);
    CU_ASSERT_PTR_EQUAL(qs_transport_first_job(t), jmid);
    UNIT_CHECK_INT("mid selected", jmid->selected_entries, 1);
    UNIT_CHECK_STR("t=5", sim->log[5].label, "mid");
    /* mid runs to its end, then big is current again (stack pop). */
    sim_run_until(sim, 13);
    for (int i = 5; i < 13; i++)
        UNIT_CHECK_STR("mid runs", sim->log[i].label, "mid");
    sim_step(sim);
    UNIT_CHECK_STR("big again", sim->log[13].label, "big");
    CU_ASSERT_PTR_EQUAL(t->current, jbig);
    /* The loan is repaid before big may be preempted again. */
    UNIT_CHECK_INT("in debt", jbig->slots_available, -34);
    sim_drain(sim, 1000);
    UNIT_CHECK_INT("one preemption", t->preemptions, 1);
    UNIT_CHECK_INT("all delivered", sim->nlog, 48);
    qs_message_free(big);
    qs_message_free(mid);
    qs_transport_free(t);
    mem_free(sim);
}

/* Nested preemption: B preempts A, C preempts B; C ends -> B is current
 * again, B ends -> A. C cannot be preempted by A (A is on its stack). */
static void test_nested_preemption(void)
{
    struct sim *sim = mem_alloc(sizeof(*sim));
    struct qs_params p = QS_PARAMS_DEFAULT;
    struct sim_queue q = {"one.example", 1, 0, 1};
    struct qs_transport *t;
    struct qs_message *a;
    struct qs_message *b;
    struct qs_message *c;
    struct qs_job *ja;
    struct qs_job *jb;

    sim_init(sim, 10, 20000);
    t = qs_transport_create(&sim->sched, "smtp", NULL, &p);
    a = sim_message(sim, "A", t, &q, 100, 1);
    ja = qs_job_find(a, t);
    sim_step(sim);
    /* B: 15 entries fit (100 / 5 = 20 slots); they need 25/5 + 3 >= 7.5. */
    b = sim_message(sim, "B", t, &q, 15, 1);
    jb = qs_job_find(b, t);
    sim_run_until(sim, 24);
    UNIT_CHECK_INT("not yet", t->preemptions, 0);
    sim_run_until(sim, 25);
    UNIT_CHECK_INT("B preempted A", t->preemptions, 1);
    CU_ASSERT_PTR_EQUAL(t->current, jb);
    CU_ASSERT_PTR_EQUAL(jb->stack_parent, ja);
    UNIT_CHECK_INT("A has a child", ja->stack_children, 1);
    sim_run_until(sim, 27);
    UNIT_CHECK_STR("t=25", sim->log[25].label, "B");
    UNIT_CHECK_STR("t=26", sim->log[26].label, "B");
    c = sim_message(sim, "C", t, &q, 1, 1);
    sim_step(sim); /* t=27: C preempts B, goes, retires */
    UNIT_CHECK_STR("t=27", sim->log[27].label, "C");
    UNIT_CHECK_INT("C preempted B", t->preemptions, 2);
    CU_ASSERT_PTR_EQUAL(t->current, jb);
    UNIT_CHECK_INT("B has no child left", jb->stack_children, 0);
    UNIT_CHECK_INT("B level", jb->stack_level, 1);
    sim_run_until(sim, 41);
    for (int i = 28; i < 41; i++)
        UNIT_CHECK_STR("B to its end", sim->log[i].label, "B");
    CU_ASSERT_PTR_EQUAL(t->current, ja);
    UNIT_CHECK_INT("A has no child left", ja->stack_children, 0);
    sim_drain(sim, 1000);
    UNIT_CHECK_INT("all delivered", sim->nlog, 116);
    UNIT_CHECK_INT("two preemptions", t->preemptions, 2);
    qs_message_free(a);
    qs_message_free(b);
    qs_message_free(c);
    qs_transport_free(t);
    mem_free(sim);
}

/* A message with fewer than min_slots * slot_cost entries is never
 * preempted; at exactly that many it is. */
static void test_minimum_slots(void)
{
    static const struct {
        const char *name;
        int big_entries;
        int want_preemptions;
    } cases[] = {
        {"14 entries < 3 * 5", 14, 0},
        {"15 entries = 3 * 5", 15, 1},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct sim *sim = mem_alloc(sizeof(*sim));
        struct qs_params p = QS_PARAMS_DEFAULT;
        struct sim_queue q = {"one.example", 1, 0, 1};
        struct qs_transport *t;
        struct qs_message *big;
        struct qs_message *small;

        sim_init(sim, 10, 20000);
        t = qs_transport_create(&sim->sched, "smtp", NULL, &p);
        big = sim_message(sim, "big", t, &q, cases[i].big_entries, 1);
        sim_run_until(sim, 2);
        small = sim_message(sim, "small", t, &q, 1, 1);
        sim_drain(sim, 100);
        UNIT_CHECK_INT(cases[i].name, t->preemptions,
                       cases[i].want_preemptions);
        UNIT_CHECK_INT(cases[i].name, sim_first(sim, "small"),
                       cases[i].want_preemptions ? 2 : cases[i].big_entries);
        qs_message_free(big);
        qs_message_free(small);
        qs_transport_free(t);
        mem_free(sim);
    }
}

/* Candidate choice: must fit the slots the current job can still earn;
 * among those, the highest (now - queued + 1) / max_entries. */
static void test_candidate_choice(void)
{
    static const struct {
        const char *name;
        int a_entries; /* queued at t=0 */
        int b_entries; /* queued at t=1 */
        int c_entries; /* queued at t=2 */
        const char *want;
    } cases[] = {
        /* current: 20 entries, 2 selected, 2 earned: (18 + 2) / 5 = 4. */
        {"fits: only the 4-entry one", 5, 6, 4, "c"},
        {"nothing fits", 5, 6, 7, NULL},
        {"score: older and smaller", 2, 2, 2, "a"},
        {"score: 9/1 beats 10/2", 2, 1, 4, "b"},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct sim *sim = mem_alloc(sizeof(*sim));
        struct qs_params p = QS_PARAMS_DEFAULT;
        struct sim_queue q = {"one.example", 0, 0, 1};
        struct qs_transport *t;
        struct qs_message *m[4];
        struct qs_job *got;
        const char *got_label;

        sim_init(sim, 10, 20000);
        t = qs_transport_create(&sim->sched, "smtp", NULL, &p);
        m[0] = sim_message(sim, "cur", t, &q, 20, 1);
        sim->now = 0;
        m[1] = sim_message(sim, "a", t, &q, cases[i].a_entries, 1);
        sim->now = 1;
        m[2] = sim_message(sim, "b", t, &q, cases[i].b_entries, 1);
        sim->now = 2;
        m[3] = sim_message(sim, "c", t, &q, cases[i].c_entries, 1);
        /* The current job has handed out 2 entries and earned 2. */
        qs_job_find(m[0], t)->selected_entries = 2;
        qs_job_find(m[0], t)->slots_available = 2;
        got = qs_transport_candidate(t, 9);
        got_label = got ? got->message->owner : "(none)";
        UNIT_CHECK_STR(cases[i].name, got_label,
                       cases[i].want ? cases[i].want : "(none)");
        /* A blocker is never a candidate: the next best wins. */
        if (got == qs_job_find(m[1], t)) {
            got->blocker_tag = t->blocker_tag;
            got = qs_transport_candidate(t, 10);
            CU_ASSERT_PTR_EQUAL(got, qs_job_find(m[2], t));
        }
        /* The choice is cached for the second and the current job. */
        CU_ASSERT_PTR_EQUAL(qs_transport_candidate(t, t->cand_time), got);
        qs_transport_free(t);
        for (int k = 0; k < 4; k++)
            qs_message_free(m[k]);
        mem_free(sim);
    }
}

/* --------------------------------------------------------------- blockers */

static void test_blockers(void)
{
    struct sim *sim = mem_alloc(sizeof(*sim));
    struct qs_params p = QS_PARAMS_DEFAULT;
    struct sim_queue qa = {"a.example", 1, 0, 5};
    struct sim_queue qb = {"b.example", 1, 0, 5};
    struct qs_transport *t;
    struct qs_message *m1;
    struct qs_message *m2;
    struct qs_message *m3;
    struct qs_job *j1;
    struct qs_job *j2;
    struct qs_job *j3;

    sim_init(sim, 10, 20000);
    p.slot_cost = 0; /* the walk alone, no preemption */
    t = qs_transport_create(&sim->sched, "smtp", NULL, &p);
    m1 = sim_message(sim, "m1", t, &qa, 20, 1);
    m2 = sim_message(sim, "m2", t, &qa, 1, 1);
    m3 = sim_message(sim, "m3", t, &qb, 1, 1);
    j1 = qs_job_find(m1, t);
    j2 = qs_job_find(m2, t);
    j3 = qs_job_find(m3, t);
    sim_step(sim); /* t=0 */
    /* m1 takes a's only slot; m2 is stuck behind a; m3 goes to b. */
    UNIT_CHECK_INT("two selected", sim->nlog, 2);
    UNIT_CHECK_STR("first", sim->log[0].label, "m1");
    UNIT_CHECK_STR("second", sim->log[1].label, "m3");
    UNIT_CHECK_INT("m1 blocker", qs_job_is_blocker(j1), 1);
    UNIT_CHECK_INT("m2 blocker", qs_job_is_blocker(j2), 1);
    UNIT_CHECK_INT("m3 no blocker", qs_job_is_blocker(j3), 0);
    /* A delivery on a finishes at t=5: the blockers are cleared. */
    sim_run_until(sim, 5);
    UNIT_CHECK_INT("still blocker at t=4", qs_job_is_blocker(j2), 1);
    sim_finish(sim);
    UNIT_CHECK_INT("m1 unblocked", qs_job_is_blocker(j1), 0);
    UNIT_CHECK_INT("m2 unblocked", qs_job_is_blocker(j2), 0);
    /* An explicit unblock (a window grew) also clears them. */
    sim_select(sim);
    UNIT_CHECK_INT("blocked again", qs_job_is_blocker(j1), 1);
    qs_transport_unblock(t);
    UNIT_CHECK_INT("unblocked by the caller", qs_job_is_blocker(j1), 0);
    sim_drain(sim, 1000);
    UNIT_CHECK_INT("all delivered", sim->nlog, 22);
    qs_message_free(m1);
    qs_message_free(m2);
    qs_message_free(m3);
    qs_transport_free(t);
    mem_free(sim);
}

/* ----------------------------------------------------------- round robin */

static void test_round_robin_destinations(void)
{
    struct sim *sim = mem_alloc(sizeof(*sim));
    struct qs_params p = QS_PARAMS_DEFAULT;
    struct sim_queue q[3] = {
        {"a.example", 10, 0, 100},
        {"b.example", 10, 0, 100},
        {"c.example", 10, 0, 100},
    };
    struct qs_transport *t;
    struct qs_message *m;
    static const char *want[] = {"a.example", "b.example", "c.example",
                                 "a.example", "b.example", "c.example",
                                 "a.example", "c.example", "c.example"};

    sim_init(sim, 10, 20000);
    t = qs_transport_create(&sim->sched, "smtp", NULL, &p);
    m = qs_message_create(&sim->sched, "m", 0, 9);
    /* Entries in file order a a a b b c c c c. */
    for (int i = 0; i < 3; i++)
        qs_entry_create(m, t, &q[0], "m", 1);
    for (int i = 0; i < 2; i++)
        qs_entry_create(m, t, &q[1], "m", 1);
    for (int i = 0; i < 4; i++)
        qs_entry_create(m, t, &q[2], "m", 1);
    qs_message_set_unread(m, 0);
    sim_step(sim);
    UNIT_CHECK_INT("all selected", sim->nlog, 9);
    for (size_t i = 0; i < UNIT_COUNT(want) && i < (size_t)sim->nlog; i++)
        UNIT_CHECK_STR(want[i], sim->log[i].queue, want[i]);
    sim_drain(sim, 1000);
    qs_message_free(m);
    qs_transport_free(t);
    mem_free(sim);
}

static void test_round_robin_transports(void)
{
    struct sim *sim = mem_alloc(sizeof(*sim));
    struct qs_params p = QS_PARAMS_DEFAULT;
    struct sim_queue qs = {"remote.example", 10, 0, 100};
    struct sim_queue ql = {"local", 10, 0, 100};
    struct qs_transport *smtp;
    struct qs_transport *local;
    struct qs_message *m1;
    struct qs_message *m2;
    static const char *want[] = {"smtp",  "local", "smtp",
                                 "local", "smtp",  "smtp"};

    sim_init(sim, 10, 20000);
    smtp = qs_transport_create(&sim->sched, "smtp", NULL, &p);
    local = qs_transport_create(&sim->sched, "local", NULL, &p);
    m1 = sim_message(sim, "m1", smtp, &qs, 4, 1);
    m2 = sim_message(sim, "m2", local, &ql, 2, 1);
    sim_step(sim);
    UNIT_CHECK_INT("all selected", sim->nlog, 6);
    for (size_t i = 0; i < UNIT_COUNT(want) && i < (size_t)sim->nlog; i++)
        UNIT_CHECK_STR(want[i], sim->log[i].transport, want[i]);
    sim_drain(sim, 1000);
    qs_message_free(m1);
    qs_message_free(m2);
    qs_transport_free(smtp);
    qs_transport_free(local);
    mem_free(sim);
}

/* ------------------------------------------------------- recipient pools */

/* Read up to `n` recipients of a message: one entry each to queue q. */
static int pool_read(struct qs_message *m, struct qs_transport *t,
                     struct sim_queue *q, int *unread, int n, time_t now)
{
    if (n > *unread)
        n = *unread;
    for (int i = 0; i < n; i++)
        qs_entry_create(m, t, q, m->owner, 1);
    *unread -= n;
    qs_message_set_unread(m, *unread);
    qs_message_read(m, now);
    return n;
}

/* Deliver (select + done) n entries of one message. */
static void pool_deliver(struct qs_transport *t, const char *label, int n,
                         time_t now)
{
    struct qs_entry *done[64];
    int k = 0;

    while (k < n) {
        struct qs_entry *e = qs_entry_select(t, now);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        CU_ASSERT_STRING_EQUAL(e->owner, label);
        done[k++] = e;
        CU_ASSERT_FATAL(k <= 64);
    }
    for (int i = 0; i < k; i++)
        qs_entry_done(done[i]);
}

static void test_recipient_pools(void)
{
    struct sim *sim = mem_alloc(sizeof(*sim));
    /* Slot cost 0: no preemption, pools alone. */
    struct qs_params p = {0, 3, 50, 3, 100, 10, 20, 5};
    struct sim_queue q = {"x.example", 1000000, 0, 1};
    struct qs_transport *t;
    struct qs_message *a;
    struct qs_message *b;
    struct qs_message *c;
    struct qs_job *ja;
    struct qs_job *jb;
    struct qs_job *jc;
    int ua = 300;
    int ub = 50;
    int uc = 50;
    int n;

    /* qmgr_message_recipient_minimum 10, _limit 100. */
    sim_init(sim, 10, 100);
    t = qs_transport_create(&sim->sched, "smtp", NULL, &p);

    /* First reads: a gets the whole global room, b and c the minimum. */
    a = qs_message_create(&sim->sched, "a", 0, ua);
    n = qs_recipients_first(&sim->sched);
    UNIT_CHECK_INT("a first read", n, 100);
    pool_read(a, t, &q, &ua, n, 0);
    b = qs_message_create(&sim->sched, "b", 0, ub);
    UNIT_CHECK_INT("b first read", qs_recipients_first(&sim->sched), 10);
    pool_read(b, t, &q, &ub, 10, 0);
    c = qs_message_create(&sim->sched, "c", 0, uc);
    pool_read(c, t, &q, &uc, qs_recipients_first(&sim->sched), 0);
    ja = qs_job_find(a, t);
    jb = qs_job_find(b, t);
    jc = qs_job_find(c, t);
    UNIT_CHECK_INT("pool overdrawn by the minimums", t->rcpt_unused, -20);
    UNIT_CHECK_INT("a's limit", ja->rcpt_limit, 100);
    UNIT_CHECK_INT("in core", sim->sched.rcpt_in_core, 120);

    /* a refills in batches of at least refill_limit (20) ... */
    UNIT_CHECK_INT("a full", qs_recipients_wanted(a, 1), 0);
    pool_deliver(t, "a", 19, 1);
    UNIT_CHECK_INT("19 free < 20", qs_recipients_wanted(a, 1), 0);
    pool_deliver(t, "a", 1, 1);
    UNIT_CHECK_INT("20 free", qs_recipients_wanted(a, 1), 20);
    pool_read(a, t, &q, &ua, 20, 1);
    /* ... or whatever room it has once refill_delay (5s) has passed. */
    pool_deliver(t, "a", 3, 2);
    UNIT_CHECK_INT("3 free, 1s later", qs_recipients_wanted(a, 2), 0);
    UNIT_CHECK_INT("3 free, 5s later", qs_recipients_wanted(a, 6), 3);
    pool_read(a, t, &q, &ua, 3, 6);
    /* b and c got nothing from the pool while a reads. */
    UNIT_CHECK_INT("b limit", jb->rcpt_limit, 10);
    UNIT_CHECK_INT("c limit", jc->rcpt_limit, 10);
    UNIT_CHECK_INT("b waits", qs_recipients_wanted(b, 100), 0);

    /* a reads the rest in refills; in core never exceeds its limit. */
    while (ua > 0) {
        pool_deliver(t, "a", 20, 7);
        n = qs_recipients_wanted(a, 7);
        UNIT_CHECK_INT("a refill", n, ua < 20 ? ua : 20);
        pool_read(a, t, &q, &ua, n, 7);
        CU_ASSERT(ja->rcpt_count <= 100);
    }
    /* a fully read: it keeps what is in core (97) and gives back the
     * 3 spare, which only reduce the overdraft. */
    UNIT_CHECK_INT("a keeps what is in core", ja->rcpt_limit, 97);
    UNIT_CHECK_INT("a in core", ja->rcpt_count, 97);
    UNIT_CHECK_INT("still overdrawn", t->rcpt_unused, -17);
    UNIT_CHECK_INT("b unchanged", jb->rcpt_limit, 10);
    /* As a's recipients are delivered, the overdraft is repaid and the
     * rest goes to b (first unread job in arrival order), not to c. */
    pool_deliver(t, "a", 50, 8);
    pool_deliver(t, "a", 47, 8);
    UNIT_CHECK_INT("pool handed on", t->rcpt_unused, 0);
    UNIT_CHECK_INT("b has the rest", jb->rcpt_limit, 10 + 97 - 17);
    UNIT_CHECK_INT("c untouched", jc->rcpt_limit, 10);
    UNIT_CHECK_INT("b reads the rest at once", qs_recipients_wanted(b, 8), 40);
    pool_read(b, t, &q, &ub, 40, 8);
    /* b fully read: its spare goes to c. */
    UNIT_CHECK_INT("c gets the spare", jc->rcpt_limit, 10 + (90 - 50));
    /* c: all its in-core recipients done -> it may read again. */
    pool_deliver(t, "b", 50, 9);
    pool_deliver(t, "c", 10, 9);
    UNIT_CHECK_INT("c reads the rest", qs_recipients_wanted(c, 9), 40);
    pool_read(c, t, &q, &uc, 40, 9);
    pool_deliver(t, "c", 40, 10);
    UNIT_CHECK_INT("pool whole again", t->rcpt_unused, 100);
    UNIT_CHECK_INT("nothing in core", sim->sched.rcpt_in_core, 0);
    UNIT_CHECK_INT("no jobs", qs_transport_first_job(t) == NULL, 1);
    qs_message_free(a);
    qs_message_free(b);
    qs_message_free(c);
    qs_transport_free(t);
    mem_free(sim);
}

/* The minimum read when nothing is in core; no read when all is read. */
static void test_recipients_wanted_edges(void)
{
    struct qs_sched sched;
    struct qs_params p = QS_PARAMS_DEFAULT;
    struct sim_queue q = {"x", 10, 0, 1};
    struct qs_transport *t;
    struct qs_message *m;
    struct qs_entry *e;

    qs_sched_init(&sched, sim_queue_ready, 10, 20000);
    t = qs_transport_create(&sched, "smtp", NULL, &p);
    m = qs_message_create(&sched, "m", 0, 0);
    UNIT_CHECK_INT("all read", qs_recipients_wanted(m, 0), 0);
    qs_message_set_unread(m, 7000);
    UNIT_CHECK_INT("no job yet, nothing in core: minimum",
                   qs_recipients_wanted(m, 0), 10);
    e = qs_entry_create(m, t, &q, "m", 5);
    qs_message_set_unread(m, 6995);
    qs_message_read(m, 0);
    /* Pool of 20000 handed to the only unread job: one batch max. */
    UNIT_CHECK_INT("batch cap", qs_recipients_wanted(m, 0), 5000);
    qs_entry_done(e);
    qs_message_set_unread(m, 0);
    UNIT_CHECK_INT("pool back", t->rcpt_unused, 20000);
    qs_message_free(m);
    qs_transport_free(t);
}

/* The extra pool: half of it to a preempting job with unread recipients. */
static void test_extra_pool(void)
{
    struct sim *sim = mem_alloc(sizeof(*sim));
    struct qs_params p = QS_PARAMS_DEFAULT;
    struct sim_queue q = {"one.example", 1, 0, 1};
    struct qs_transport *t;
    struct qs_message *big;
    struct qs_message *small;
    struct qs_job *js;

    sim_init(sim, 10, 20000);
    t = qs_transport_create(&sim->sched, "smtp", NULL, &p);
    big = sim_message(sim, "big", t, &q, 40, 1);
    sim_run_until(sim, 5);
    /* small: 1 read, 1 unread (needs 2 entries at most). */
    small = qs_message_create(&sim->sched, "small", sim->now, 2);
    qs_entry_create(small, t, &q, "small", 1);
    qs_message_set_unread(small, 1);
    js = qs_job_find(small, t);
    /* The pool went to the only job with unread recipients. */
    UNIT_CHECK_INT("small limit before", js->rcpt_limit,
                   20000 - qs_job_find(big, t)->rcpt_count);
    sim_step(sim);
    UNIT_CHECK_INT("preempted", t->preemptions, 1);
    UNIT_CHECK_INT("half the extra pool", js->rcpt_extra, 500);
    UNIT_CHECK_INT("extra left", t->extra_unused, 500);
    /* Read the last recipient: the extra goes back. */
    qs_entry_create(small, t, &q, "small", 1);
    qs_message_set_unread(small, 0);
    UNIT_CHECK_INT("extra back", t->extra_unused, 1000);
    sim_drain(sim, 1000);
    UNIT_CHECK_INT("all delivered", sim->nlog, 42);
    UNIT_CHECK_INT("pool back", t->rcpt_unused, 20000);
    qs_message_free(big);
    qs_message_free(small);
    qs_transport_free(t);
    mem_free(sim);
}

/* Entries disposed of before selection (a dead destination's todo is
 * deferred): they leave the job's counts, the job retires and is freed;
 * a grown entry charges the pool for the added recipients. */
static void test_dispose_and_grow(void)
{
    struct qs_sched sched;
    struct qs_params p = {5, 3, 50, 3, 100, 10, 20, 5};
    struct sim_queue dead = {"dead.example", 0, 0, 1};
    struct sim_queue live = {"live.example", 5, 0, 1};
    struct qs_transport *t;
    struct qs_message *m;
    struct qs_entry *e[4];
    struct qs_entry *got;
    struct qs_job *job;

    qs_sched_init(&sched, sim_queue_ready, 10, 20000);
    t = qs_transport_create(&sched, "smtp", NULL, &p);
    m = qs_message_create(&sched, "m", 0, 0);
    for (int i = 0; i < 3; i++)
        e[i] = qs_entry_create(m, t, &dead, "m", 2);
    e[3] = qs_entry_create(m, t, &live, "m", 1);
    job = qs_job_find(m, t);
    UNIT_CHECK_INT("read", job->read_entries, 4);
    UNIT_CHECK_INT("charged", t->rcpt_unused, 100 - 7);
    qs_entry_grow(e[3], 4);
    UNIT_CHECK_INT("grown", job->rcpt_count, 11);
    UNIT_CHECK_INT("charged more", t->rcpt_unused, 100 - 11);
    UNIT_CHECK_INT("in core", sched.rcpt_in_core, 11);
    /* Only the live queue can go. */
    got = qs_entry_select(t, 0);
    CU_ASSERT_PTR_EQUAL(got, e[3]);
    CU_ASSERT_PTR_NULL(qs_entry_select(t, 0));
    UNIT_CHECK_INT("blocker", qs_job_is_blocker(job), 1);
    /* The dead queue's entries are deferred without selection. */
    for (int i = 0; i < 3; i++)
        qs_entry_done(e[i]);
    UNIT_CHECK_INT("read after dispose", job->read_entries, 1);
    UNIT_CHECK_INT("todo after dispose", job->todo_entries, 0);
    UNIT_CHECK_INT("retired", job->in_list, 0);
    CU_ASSERT_PTR_NULL(qs_transport_first_job(t));
    qs_entry_done(e[3]);
    CU_ASSERT_PTR_NULL(qs_job_find(m, t));
    UNIT_CHECK_INT("pool whole", t->rcpt_unused, 100);
    UNIT_CHECK_INT("nothing in core", sched.rcpt_in_core, 0);
    qs_message_free(m);
    qs_transport_free(t);
}

static const struct unit_case sched_cases[] = {
    {"slot cost/loan/discount arithmetic", test_slot_arithmetic},
    {"a small message overtakes a 5000-recipient one",
     test_small_overtakes_big},
    {"preemption charge, stack and pop", test_preemption_accounting},
    {"nested preemption and stack pops", test_nested_preemption},
    {"minimum delivery slots", test_minimum_slots},
    {"candidate choice", test_candidate_choice},
    {"blocker jobs", test_blockers},
    {"round robin over destinations", test_round_robin_destinations},
    {"round robin over transports", test_round_robin_transports},
    {"entries disposed of, entries grown", test_dispose_and_grow},
    {NULL, NULL},
};

static const struct unit_case pool_cases[] = {
    {"hand-out and refill along the arrival order", test_recipient_pools},
    {"recipients wanted: edges", test_recipients_wanted_edges},
    {"extra pool on preemption", test_extra_pool},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"qmgr scheduler", sched_cases},
    {"qmgr recipient pools", pool_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
