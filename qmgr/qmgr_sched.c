/*
 * qmgr_sched - qmgr's preemptive message scheduler and recipient pools,
 * a pure module over an in-memory model (see qmgr_sched.h for the
 * objects). No I/O, no clock: the caller passes `now`.
 *
 * Public functions:
 *	qs_sched_init(), qs_transport_create/free(), qs_message_create/
 *	free(), qs_message_set_unread()	the model
 *	qs_entry_create(), qs_entry_grow(), qs_entry_done()	entries as
 *		the caller reads recipients and deliveries finish
 *	qs_entry_select(transport, now)	the next entry to deliver over a
 *		transport, or NULL; qs_select_any() round-robin over
 *		transports
 *	qs_transport_unblock()	a queue may take deliveries again
 *	qs_recipients_first(), qs_recipients_wanted(), qs_message_read()
 *		how many recipients to read into core, and when
 *	qs_job_find(), qs_job_max_entries(), qs_job_is_blocker(),
 *	qs_transport_first_job(), qs_transport_candidate(),
 *	qs_slots_allow_preempt()	queries
 *
 * The algorithm (spec e.3, e.4):
 *	Entry selection walks the transport's job list from its head (the
 *	current job: the top of the preemption stack) and takes, within
 *	the first job that can deliver, the first peer in round-robin order
 *	whose queue is ready. A job with waiting entries none of which can
 *	go (all its queues are at their window) is a blocker: it carries the
 *	transport's blocker tag and is skipped by selection and candidacy
 *	until qs_transport_unblock() (or an entry of it finishing, or a new
 *	entry) changes the tag.
 *	Each entry selected from the current job adds one to its
 *	slots_available; slots_available / slot_cost is the number of
 *	delivery slots it has earned. Before each selection, if the current
 *	job has slots_available > 0 and at least min_slots * slot_cost
 *	entries (max_entries), the best candidate is sought among the other
 *	jobs in the list that are neither blockers nor on the current job's
 *	stack: its remaining entries (max_entries - selected) must fit in
 *	(read_entries - selected + slots_available) / slot_cost of the
 *	current job, and among those the highest (now - queued_time + 1) /
 *	max_entries wins (the choice is cached for the current second and
 *	the current job). The candidate preempts when
 *	slots_available / slot_cost + slot_loan >=
 *	needed * (100 - slot_discount) / 100: it moves in front of the
 *	current job, becomes current with the old current as its stack
 *	parent, and the old job is charged needed * slot_cost (its
 *	slots_available may go negative: the loan is repaid by later
 *	deliveries). A job whose entries have all been selected and whose
 *	message has no unread recipients retires from the list; if it was
 *	current, its stack parent becomes current again.
 *	max_entries(job) = read_entries + the message's unread recipients
 *	(each could become an entry: an upper bound).
 *	Recipient pools: each transport has a pool of rcpt_limit recipients
 *	and an extra pool of extra_limit. Recipients a job takes into core
 *	beyond what it was granted are charged to the pool (which may go
 *	below zero: the first read of a message is not refused). A job
 *	whose message is fully read gives back what it does not use; the
 *	pool is then handed to the first job in arrival order whose message
 *	still has unread recipients (the arrival list holds only those). A
 *	preempting job with unread recipients
 *	gets half of the extra pool (rounded up), returned when it is done.
 *
 * Choices where Postfix's behaviour was not known to us:
 *	- a slot cost below 2 disables preemption (postconf(5): 0 disables,
 *	  2 is the least the algorithm can use);
 *	- the preemption test is done in exact integer arithmetic:
 *	  (slots_available / slot_cost + slot_loan) * 100 >=
 *	  needed * (100 - slot_discount);
 *	- a job with no waiting entries is skipped but is not a blocker;
 *	- an entry disposed of before it was selected (dead queue) no longer
 *	  counts in read_entries;
 *	- refill (qs_recipients_wanted): a message with unread recipients
 *	  may read more when all its in-core recipients are done (at least
 *	  qmgr_message_recipient_minimum), or when one of its jobs has room
 *	  for at least <t>_recipient_refill_limit recipients, or when one has
 *	  any room and <t>_recipient_refill_delay has passed since the last
 *	  read (postconf(5): batches of "at least" the refill limit, "at
 *	  least once every" the refill delay). A refill asks for the sum of
 *	  the room of the message's jobs, at most the unread count and
 *	  QS_READ_BATCH_MAX; recipients that turn out to be for a transport
 *	  with less room overdraw that transport's pool (bounded by the
 *	  refill size);
 *	- only entries of the current job earn slots; entries selected from
 *	  other jobs (while the current one is blocked) earn nothing;
 *	- a preempting job with unread recipients gets half of what is left
 *	  of the extra pool, rounded up.
 *
 * Diagnostics: msg_panic() when a message is freed while entries of it
 * are alive (a broken invariant of the caller).
 *
 * Configuration parameters: none read here; qmgr.c passes them in
 * (struct qs_params per transport; qmgr_message_recipient_minimum and
 * qmgr_message_recipient_limit to qs_sched_init()).
 */
#include <stddef.h>

#include "mem.h"
#include "msg.h"
#include "qmgr_sched.h"

#define QS_OBJ(link, type, member)                                             \
    ((type *)((char *)(link)-offsetof(type, member)))

static void qs_link_init(struct qs_link *head)
{
    head->prev = head->next = head;
}

static int qs_link_empty(const struct qs_link *head)
{
    return head->next == head;
}

static void qs_link_insert_before(struct qs_link *where, struct qs_link *item)
{
    item->next = where;
    item->prev = where->prev;
    where->prev->next = item;
    where->prev = item;
}

static void qs_link_append(struct qs_link *head, struct qs_link *item)
{
    qs_link_insert_before(head, item);
}

static void qs_link_detach(struct qs_link *item)
{
    item->prev->next = item->next;
    item->next->prev = item->prev;
    item->prev = item->next = item;
}

/* ------------------------------------------------------------- the model */

void qs_sched_init(struct qs_sched *sched, int (*queue_ready)(void *),
                   int rcpt_minimum, int rcpt_limit)
{
    sched->queue_ready = queue_ready;
    sched->rcpt_minimum = rcpt_minimum > 0 ? rcpt_minimum : 1;
    sched->rcpt_limit = rcpt_limit;
    sched->rcpt_in_core = 0;
    qs_link_init(&sched->transports);
    qs_link_init(&sched->partial);
    sched->rr_next = NULL;
    sched->job_seq = 0;
}

struct qs_transport *qs_transport_create(struct qs_sched *sched,
                                         const char *name, void *owner,
                                         const struct qs_params *params)
{
    struct qs_transport *t = mem_zalloc(sizeof(*t));

    t->sched = sched;
    t->owner = owner;
    t->name = mem_strdup(name);
    t->params = *params;
    if (t->params.slot_discount < 0)
        t->params.slot_discount = 0;
    if (t->params.slot_discount > 100)
        t->params.slot_discount = 100;
    qs_link_init(&t->jobs);
    qs_link_init(&t->arrivals);
    qs_link_init(&t->all_jobs);
    t->rcpt_unused = params->rcpt_limit;
    t->extra_unused = params->extra_limit;
    t->blocker_tag = 1;
    qs_link_append(&sched->transports, &t->link);
    return t;
}

static void qs_job_free(struct qs_job *job);

void qs_transport_free(struct qs_transport *t)
{
    struct qs_sched *sched = t->sched;

    while (!qs_link_empty(&t->all_jobs)) {
        struct qs_job *job = QS_OBJ(t->all_jobs.next, struct qs_job, all_link);
        qs_job_free(job);
    }
    if (sched->rr_next == t)
        sched->rr_next = NULL;
    qs_link_detach(&t->link);
    mem_free(t->name);
    mem_free(t);
}

struct qs_message *qs_message_create(struct qs_sched *sched, void *owner,
                                     time_t queued_time, int rcpt_unread)
{
    struct qs_message *m = mem_zalloc(sizeof(*m));

    m->sched = sched;
    m->owner = owner;
    m->queued_time = queued_time;
    m->refill_time = queued_time;
    qs_link_init(&m->jobs);
    qs_link_init(&m->partial_link);
    m->rcpt_unread = 0;
    qs_message_set_unread(m, rcpt_unread);
    return m;
}

void qs_message_free(struct qs_message *m)
{
    while (!qs_link_empty(&m->jobs)) {
        struct qs_job *job = QS_OBJ(m->jobs.next, struct qs_job, message_link);
        if (job->live_entries > 0)
            msg_panic("qs_message_free: job with %d live entries",
                      job->live_entries);
        qs_job_free(job);
    }
    qs_link_detach(&m->partial_link);
    mem_free(m);
}

/* ------------------------------------------------------- recipient pools */

/* Give the pool to the first job in arrival order that can use it. */
static void qs_pool_move(struct qs_transport *t)
{
    struct qs_job *job;

    if (t->rcpt_unused <= 0 || qs_link_empty(&t->arrivals))
        return;
    job = QS_OBJ(t->arrivals.next, struct qs_job, arrival_link);
    job->rcpt_limit += t->rcpt_unused;
    t->rcpt_unused = 0;
}

/* Return what a job was granted beyond `keep`: extra first. */
static void qs_job_release(struct qs_job *job, int keep)
{
    struct qs_transport *t = job->transport;
    int spare = job->rcpt_limit - keep;
    int extra;

    if (spare <= 0)
        return;
    extra = spare < job->rcpt_extra ? spare : job->rcpt_extra;
    t->extra_unused += extra;
    job->rcpt_extra -= extra;
    t->rcpt_unused += spare - extra;
    job->rcpt_limit = keep;
}

/* Recipients came into core for a job: charge the pool for the excess. */
static void qs_job_charge(struct qs_job *job, int added)
{
    job->rcpt_count += added;
    job->message->rcpt_in_core += added;
    job->message->sched->rcpt_in_core += added;
    if (job->rcpt_count > job->rcpt_limit) {
        job->transport->rcpt_unused -= job->rcpt_count - job->rcpt_limit;
        job->rcpt_limit = job->rcpt_count;
    }
}

static void qs_job_retire(struct qs_job *job);

void qs_message_set_unread(struct qs_message *m, int rcpt_unread)
{
    struct qs_link *l;
    int was = m->rcpt_unread;

    m->rcpt_unread = rcpt_unread > 0 ? rcpt_unread : 0;
    if (m->rcpt_unread > 0 && was == 0) {
        qs_link_detach(&m->partial_link);
        qs_link_append(&m->sched->partial, &m->partial_link);
        for (l = m->jobs.next; l != &m->jobs; l = l->next) {
            struct qs_job *job = QS_OBJ(l, struct qs_job, message_link);
            qs_link_detach(&job->arrival_link);
            qs_link_append(&job->transport->arrivals, &job->arrival_link);
            qs_pool_move(job->transport);
        }
    }
    if (m->rcpt_unread == 0 && was > 0) {
        qs_link_detach(&m->partial_link);
        /* Fully read: keep only what is in core; retire what is done. */
        for (l = m->jobs.next; l != &m->jobs;) {
            struct qs_job *job = QS_OBJ(l, struct qs_job, message_link);
            l = l->next;
            qs_link_detach(&job->arrival_link);
            qs_job_release(job, job->rcpt_count);
            qs_pool_move(job->transport);
            if (job->in_list && job->todo_entries == 0)
                qs_job_retire(job);
            if (!job->in_list && job->live_entries == 0)
                qs_job_free(job);
        }
    }
}

int qs_recipients_first(const struct qs_sched *sched)
{
    int room = sched->rcpt_limit - sched->rcpt_in_core;

    if (room > QS_READ_BATCH_MAX)
        room = QS_READ_BATCH_MAX;
    return room > sched->rcpt_minimum ? room : sched->rcpt_minimum;
}

int qs_recipients_wanted(struct qs_message *m, time_t now)
{
    struct qs_link *l;
    int room = 0;
    int due = 0;
    int want;

    if (m->rcpt_unread <= 0)
        return 0;
    for (l = m->jobs.next; l != &m->jobs; l = l->next) {
        struct qs_job *job = QS_OBJ(l, struct qs_job, message_link);
        const struct qs_params *p = &job->transport->params;
        int r = job->rcpt_limit - job->rcpt_count;

        if (r <= 0)
            continue;
        room += r;
        if (r >= p->refill_limit || now - m->refill_time >= p->refill_delay)
            due = 1;
    }
    if (m->rcpt_in_core == 0) {
        want = room > m->sched->rcpt_minimum ? room : m->sched->rcpt_minimum;
    } else if (due) {
        want = room;
    } else {
        return 0;
    }
    if (want > QS_READ_BATCH_MAX)
        want = QS_READ_BATCH_MAX;
    return want < m->rcpt_unread ? want : m->rcpt_unread;
}

void qs_message_read(struct qs_message *m, time_t now)
{
    m->refill_time = now;
}

/* ------------------------------------------------------------ jobs, peers */

struct qs_job *qs_job_find(struct qs_message *m, struct qs_transport *t)
{
    struct qs_link *l;

    for (l = m->jobs.next; l != &m->jobs; l = l->next) {
        struct qs_job *job = QS_OBJ(l, struct qs_job, message_link);
        if (job->transport == t)
            return job;
    }
    return NULL;
}

int qs_job_max_entries(const struct qs_job *job)
{
    return job->read_entries + job->message->rcpt_unread;
}

int qs_job_is_blocker(const struct qs_job *job)
{
    return job->blocker_tag == job->transport->blocker_tag;
}

struct qs_job *qs_transport_first_job(struct qs_transport *t)
{
    return qs_link_empty(&t->jobs)
               ? NULL
               : QS_OBJ(t->jobs.next, struct qs_job, list_link);
}

static struct qs_job *qs_job_create(struct qs_message *m,
                                    struct qs_transport *t)
{
    struct qs_job *job = mem_zalloc(sizeof(*job));

    job->message = m;
    job->transport = t;
    job->seq = ++m->sched->job_seq;
    qs_link_init(&job->peers);
    qs_link_append(&t->jobs, &job->list_link);
    job->in_list = 1;
    if (m->rcpt_unread > 0)
        qs_link_append(&t->arrivals, &job->arrival_link);
    else
        qs_link_init(&job->arrival_link);
    qs_link_append(&t->all_jobs, &job->all_link);
    qs_link_append(&m->jobs, &job->message_link);
    t->cand_valid = 0;
    return job;
}

/* Out of the scheduling list; the stack closes over it. */
static void qs_job_retire(struct qs_job *job)
{
    struct qs_transport *t = job->transport;
    struct qs_link *l;

    if (!job->in_list)
        return;
    qs_link_detach(&job->list_link);
    job->in_list = 0;
    /* Its children (rare: it preempted and was then itself preempted)
     * move up to its parent; the scan is done only when there are any. */
    for (l = t->jobs.next; job->stack_children > 0 && l != &t->jobs;
         l = l->next) {
        struct qs_job *j = QS_OBJ(l, struct qs_job, list_link);
        if (j->stack_parent == job) {
            j->stack_parent = job->stack_parent;
            j->stack_level = job->stack_level;
            job->stack_children--;
            if (j->stack_parent)
                j->stack_parent->stack_children++;
        }
    }
    if (job->stack_parent)
        job->stack_parent->stack_children--;
    if (t->current == job)
        t->current = job->stack_parent;
    job->stack_parent = NULL;
    job->stack_level = 0;
    t->cand_valid = 0;
}

/* Back into the list (an entry came after it retired): at the tail. */
static void qs_job_unretire(struct qs_job *job)
{
    if (job->in_list)
        return;
    qs_link_append(&job->transport->jobs, &job->list_link);
    job->in_list = 1;
    job->transport->cand_valid = 0;
}

static void qs_job_free(struct qs_job *job)
{
    struct qs_transport *t = job->transport;

    while (!qs_link_empty(&job->peers)) {
        struct qs_peer *peer = QS_OBJ(job->peers.next, struct qs_peer, link);
        while (!qs_link_empty(&peer->todo)) {
            struct qs_entry *e = QS_OBJ(peer->todo.next, struct qs_entry, link);
            qs_link_detach(&e->link);
            mem_free(e);
        }
        qs_link_detach(&peer->link);
        mem_free(peer);
    }
    qs_job_retire(job);
    job->message->rcpt_in_core -= job->rcpt_count;
    job->message->sched->rcpt_in_core -= job->rcpt_count;
    job->rcpt_count = 0;
    qs_job_release(job, 0);
    qs_link_detach(&job->arrival_link);
    qs_link_detach(&job->all_link);
    qs_link_detach(&job->message_link);
    if (t->current == job)
        t->current = NULL;
    t->cand_valid = 0;
    mem_free(job);
    qs_pool_move(t);
}

static struct qs_peer *qs_peer_obtain(struct qs_job *job, void *queue)
{
    struct qs_link *l;
    struct qs_peer *peer;

    for (l = job->peers.next; l != &job->peers; l = l->next) {
        peer = QS_OBJ(l, struct qs_peer, link);
        if (peer->queue == queue)
            return peer;
    }
    peer = mem_zalloc(sizeof(*peer));
    peer->job = job;
    peer->queue = queue;
    qs_link_init(&peer->todo);
    qs_link_append(&job->peers, &peer->link);
    return peer;
}

/* ------------------------------------------------------------- entries */

struct qs_entry *qs_entry_create(struct qs_message *m, struct qs_transport *t,
                                 void *queue, void *owner, int nrcpt)
{
    struct qs_job *job = qs_job_find(m, t);
    struct qs_peer *peer;
    struct qs_entry *e;

    if (job == NULL)
        job = qs_job_create(m, t);
    qs_job_unretire(job);
    peer = qs_peer_obtain(job, queue);
    e = mem_zalloc(sizeof(*e));
    e->peer = peer;
    e->owner = owner;
    e->nrcpt = nrcpt;
    qs_link_append(&peer->todo, &e->link);
    peer->live_entries++;
    job->read_entries++;
    job->todo_entries++;
    job->live_entries++;
    job->blocker_tag = 0; /* it may be able to go now */
    t->cand_valid = 0;
    qs_job_charge(job, nrcpt);
    qs_pool_move(t);
    return e;
}

void qs_entry_grow(struct qs_entry *e, int added)
{
    e->nrcpt += added;
    qs_job_charge(e->peer->job, added);
}

void qs_transport_unblock(struct qs_transport *t)
{
    t->blocker_tag++;
    t->cand_valid = 0;
}

void qs_entry_done(struct qs_entry *e)
{
    struct qs_peer *peer = e->peer;
    struct qs_job *job = peer->job;
    struct qs_transport *t = job->transport;

    if (!e->selected) {
        qs_link_detach(&e->link);
        job->todo_entries--;
        job->read_entries--;
    }
    job->rcpt_count -= e->nrcpt;
    job->message->rcpt_in_core -= e->nrcpt;
    job->message->sched->rcpt_in_core -= e->nrcpt;
    if (job->message->rcpt_unread == 0) {
        qs_job_release(job, job->rcpt_count);
        qs_pool_move(t);
    }
    job->live_entries--;
    peer->live_entries--;
    mem_free(e);
    if (peer->live_entries == 0) {
        if (job->peer_next == peer)
            job->peer_next = NULL;
        qs_link_detach(&peer->link);
        mem_free(peer);
    }
    if (job->in_list && job->todo_entries == 0 &&
        job->message->rcpt_unread == 0)
        qs_job_retire(job);
    if (!job->in_list && job->live_entries == 0 &&
        job->message->rcpt_unread == 0)
        qs_job_free(job);
    /* A busy slot was freed (or the queue changed): blockers may go. */
    qs_transport_unblock(t);
}

/* --------------------------------------------------------- preemption */

int qs_slots_allow_preempt(const struct qs_params *p, int slots_available,
                           int needed_entries)
{
    long have;

    if (p->slot_cost < 2 || slots_available <= 0)
        return 0;
    have = (long)(slots_available / p->slot_cost) + p->slot_loan;
    return have * 100 >= (long)needed_entries * (100 - p->slot_discount);
}

static int qs_on_stack(const struct qs_job *job, const struct qs_job *current)
{
    const struct qs_job *j;

    for (j = current->stack_parent; j != NULL; j = j->stack_parent)
        if (j == job)
            return 1;
    return 0;
}

static struct qs_job *qs_current(struct qs_transport *t)
{
    if (t->current == NULL || !t->current->in_list)
        t->current = qs_transport_first_job(t);
    return t->current;
}

struct qs_job *qs_transport_candidate(struct qs_transport *t, time_t now)
{
    struct qs_job *cur = qs_current(t);
    struct qs_job *best = NULL;
    double best_score = 0;
    struct qs_link *l;
    int max_slots;

    if (cur == NULL)
        return NULL;
    if (t->cand_valid && t->cand_time == now && t->cand_current == cur)
        return t->cand;
    max_slots = t->params.slot_cost > 0
                    ? (cur->read_entries - cur->selected_entries +
                       cur->slots_available) /
                          t->params.slot_cost
                    : 0;
    for (l = t->jobs.next; l != &t->jobs; l = l->next) {
        struct qs_job *job = QS_OBJ(l, struct qs_job, list_link);
        int total = qs_job_max_entries(job);
        int needed = total - job->selected_entries;
        double score;

        if (job == cur || qs_job_is_blocker(job) || qs_on_stack(job, cur))
            continue;
        if (needed <= 0 || needed > max_slots)
            continue;
        score = (double)(now - job->message->queued_time + 1) / total;
        if (best == NULL || score > best_score) {
            best = job;
            best_score = score;
        }
    }
    t->cand = best;
    t->cand_current = cur;
    t->cand_time = now;
    t->cand_valid = 1;
    return best;
}

/* Preempt the current job if it has earned enough slots; the new current. */
static struct qs_job *qs_preempt(struct qs_transport *t, time_t now)
{
    const struct qs_params *p = &t->params;
    struct qs_job *cur = qs_current(t);
    struct qs_job *cand;
    int needed;

    if (cur == NULL || p->slot_cost < 2 || cur->slots_available <= 0 ||
        qs_job_max_entries(cur) < p->min_slots * p->slot_cost)
        return cur;
    if ((cand = qs_transport_candidate(t, now)) == NULL)
        return cur;
    needed = qs_job_max_entries(cand) - cand->selected_entries;
    if (!qs_slots_allow_preempt(p, cur->slots_available, needed))
        return cur;

    qs_link_detach(&cand->list_link);
    qs_link_insert_before(&cur->list_link, &cand->list_link);
    if (cand->stack_parent)
        cand->stack_parent->stack_children--;
    cand->stack_parent = cur;
    cur->stack_children++;
    cand->stack_level = cur->stack_level + 1;
    cur->slots_available -= needed * p->slot_cost;
    t->current = cand;
    t->cand_valid = 0;
    t->preemptions++;
    if (cand->message->rcpt_unread > 0 && t->extra_unused > 0) {
        int grant = (t->extra_unused + 1) / 2;
        t->extra_unused -= grant;
        cand->rcpt_limit += grant;
        cand->rcpt_extra += grant;
    }
    return cand;
}

/* ----------------------------------------------------------- selection */

static struct qs_peer *qs_peer_select(struct qs_job *job)
{
    struct qs_sched *sched = job->message->sched;
    struct qs_link *start;
    struct qs_link *l;

    start = job->peer_next ? &job->peer_next->link : job->peers.next;
    l = start;
    do {
        if (l != &job->peers) {
            struct qs_peer *peer = QS_OBJ(l, struct qs_peer, link);
            if (!qs_link_empty(&peer->todo) &&
                (sched->queue_ready == NULL ||
                 sched->queue_ready(peer->queue))) {
                struct qs_link *n =
                    l->next == &job->peers ? job->peers.next : l->next;
                job->peer_next = QS_OBJ(n, struct qs_peer, link);
                return peer;
            }
        }
        l = l->next;
    } while (l != start);
    return NULL;
}

struct qs_entry *qs_entry_select(struct qs_transport *t, time_t now)
{
    struct qs_link *l;

    qs_preempt(t, now);
    for (l = t->jobs.next; l != &t->jobs; l = l->next) {
        struct qs_job *job = QS_OBJ(l, struct qs_job, list_link);
        struct qs_peer *peer;
        struct qs_entry *e;

        if (job->todo_entries == 0 || qs_job_is_blocker(job))
            continue;
        if ((peer = qs_peer_select(job)) == NULL) {
            job->blocker_tag = t->blocker_tag;
            t->cand_valid = 0;
            continue;
        }
        e = QS_OBJ(peer->todo.next, struct qs_entry, link);
        qs_link_detach(&e->link);
        e->selected = 1;
        job->todo_entries--;
        job->selected_entries++;
        if (job == t->current && t->params.slot_cost >= 2)
            job->slots_available++;
        if (job->todo_entries == 0 && job->message->rcpt_unread == 0)
            qs_job_retire(job);
        return e;
    }
    return NULL;
}

struct qs_entry *qs_select_any(struct qs_sched *sched, time_t now,
                               struct qs_transport **tp)
{
    struct qs_link *start;
    struct qs_link *l;

    if (qs_link_empty(&sched->transports))
        return NULL;
    start = sched->rr_next ? &sched->rr_next->link : sched->transports.next;
    l = start;
    do {
        if (l != &sched->transports) {
            struct qs_transport *t = QS_OBJ(l, struct qs_transport, link);
            struct qs_entry *e = qs_entry_select(t, now);
            if (e != NULL) {
                struct qs_link *n = l->next == &sched->transports
                                        ? sched->transports.next
                                        : l->next;
                sched->rr_next = QS_OBJ(n, struct qs_transport, link);
                if (tp)
                    *tp = t;
                return e;
            }
        }
        l = l->next;
    } while (l != start);
    return NULL;
}
