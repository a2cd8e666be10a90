/*
 * qc_route - transports, destination queues and entries of the queue
 * manager core
 *
 * A transport is created the first time a recipient resolves to it and
 * lives as long as the process (its parameters are read then: the
 * <transport>_ forms of the concurrency, feedback, recipient limit and
 * rate delay parameters). A queue (transport + next hop) is created for
 * the first entry that needs it and freed when it has no entries left
 * and is not dead (a dead queue is kept so that new recipients for it
 * are deferred at once). An entry holds recipients of one message for
 * one queue, at most <transport>_destination_recipient_limit of them.
 *
 * Grouping (qc_message_assign): the recipients of one read batch are
 * sorted by queue (stable: in file order within a queue) and put into
 * entries; an entry created earlier for the same message and queue that
 * is still waiting (todo) and has room is filled up first. Postfix does
 * the same per batch (it sorts the batch and fills the last entry).
 *
 * Public functions (qc_impl.h): qc_transport_find/create,
 * qc_queue_find/create/free_if_idle, qc_entry_create/unlink/free,
 * qc_message_assign, qc_route_reset; (qcore.h) qc_queue_ready,
 * qc_queue_blocked, qc_transport_has_work, qc_transport_param_int.
 *
 * Diagnostics: fatal on a bad per-transport parameter value.
 *
 * Configuration parameters: <transport>_destination_concurrency_limit,
 * <transport>_initial_destination_concurrency,
 * <transport>_destination_concurrency_{positive,negative}_feedback,
 * <transport>_destination_concurrency_failed_cohort_limit,
 * <transport>_destination_recipient_limit,
 * <transport>_destination_rate_delay, <transport>_transport_rate_delay
 * (each falls back to its default_ parameter), defer_transports.
 */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "param.h"
#include "qc_impl.h"
#include "server.h"

struct qc_ring qc_transports = {&qc_transports, &qc_transports};
static struct qc_htable *qc_transport_table;

struct qc_transport *qc_transport_find(const char *name)
{
    return qc_transport_table ? qc_htable_find(qc_transport_table, name) : NULL;
}

int qc_transport_param_int(const struct qc_transport *t, const char *suffix)
{
    if (server_conf == NULL) {
        /* Unit tests: the family's default. */
        const struct param_family *fam = param_family_lookup(suffix);
        const struct param_def *def =
            fam ? param_table_lookup(fam->fallback) : NULL;

        return def ? atoi(def->defval) : 0;
    }
    return param_transport_int(server_conf, t->name, suffix);
}

static int qc_transport_param_time(const struct qc_transport *t,
                                   const char *suffix)
{
    struct buf *err;
    long secs = 0;

    if (server_conf == NULL)
        return 0;
    err = buf_alloc(64);
    if (param_get_transport_time(server_conf, t->name, suffix, &secs, err) < 0)
        msg_fatal("%s", buf_str(err));
    buf_free(err);
    return (int)secs;
}

static int qc_transport_deferred(const char *name)
{
    char **argv;
    int found = 0;

    if (qc_params.defer_transports == NULL || !*qc_params.defer_transports)
        return 0;
    if ((argv = conf_split_list_argv(qc_params.defer_transports)) == NULL)
        return 0;
    for (char **cpp = argv; *cpp; cpp++)
        if (strcmp(*cpp, name) == 0)
            found = 1;
    conf_argv_free(argv);
    return found;
}

struct qc_transport *qc_transport_create(const char *name)
{
    struct qc_transport *t = mem_zalloc(sizeof(*t));

    t->name = mem_strdup(name);
    qc_feedback_params_init(&t->fb, 5, 20);
    if (server_conf != NULL) {
        struct buf *err = buf_alloc(64);

        conf_add_transport(server_conf, name);
        if (qc_feedback_params_load(&t->fb, server_conf, name, err) < 0)
            msg_fatal("%s", buf_str(err));
        buf_free(err);
    }
    t->dest_recipient_limit =
        qc_transport_param_int(t, "_destination_recipient_limit");
    t->dest_rate_delay = qc_transport_param_time(t, "_destination_rate_delay");
    t->transport_rate_delay =
        qc_transport_param_time(t, "_transport_rate_delay");
    /* A rate delay means one delivery at a time per destination (e.1). */
    if (t->dest_rate_delay > 0) {
        t->fb.initial = 1;
        t->fb.limit = 1;
    }
    if (qc_transport_deferred(name))
        t->flags |= QC_TRANSPORT_FLAG_DEFER;
    qc_ring_init(&t->queues);
    t->queue_table = qc_htable_create();
    if (qc_transport_table == NULL)
        qc_transport_table = qc_htable_create();
    qc_htable_enter(qc_transport_table, name, t);
    qc_ring_append(&qc_transports, &t->link);
    if (qc_sched && qc_sched->transport_created)
        qc_sched->transport_created(t);
    return t;
}

struct qc_queue *qc_queue_find(struct qc_transport *t, const char *name)
{
    return qc_htable_find(t->queue_table, name);
}

struct qc_queue *qc_queue_create(struct qc_transport *t, const char *name,
                                 const char *nexthop)
{
    struct qc_queue *q = mem_zalloc(sizeof(*q));

    q->name = mem_strdup(name);
    q->nexthop = mem_strdup(nexthop);
    q->transport = t;
    qc_conc_init(&q->conc, t->fb.initial, t->fb.limit);
    qc_ring_init(&q->todo);
    qc_ring_init(&q->busy);
    qc_htable_enter(t->queue_table, name, q);
    qc_ring_append(&t->queues, &q->transport_link);
    if (qc_sched && qc_sched->queue_created)
        qc_sched->queue_created(q);
    return q;
}

void qc_queue_free_if_idle(struct qc_queue *q)
{
    if (q->todo_count > 0 || q->busy_count > 0 ||
        (q->flags & (QC_QUEUE_FLAG_DEAD | QC_QUEUE_FLAG_RATE)))
        return;
    if (qc_sched && qc_sched->queue_freed)
        qc_sched->queue_freed(q);
    qc_htable_delete(q->transport->queue_table, q->name);
    qc_ring_detach(&q->transport_link);
    mem_free(q->dead_reason);
    mem_free(q->name);
    mem_free(q->nexthop);
    mem_free(q);
}

int qc_queue_ready(const struct qc_queue *q)
{
    return q->todo_count > 0 && !(q->flags & QC_QUEUE_FLAG_RATE) &&
           !(q->flags & QC_QUEUE_FLAG_DEAD) &&
           qc_conc_may_start(&q->conc, q->busy_count);
}

int qc_queue_blocked(const struct qc_queue *q)
{
    return q->todo_count > 0 && !qc_queue_ready(q);
}

int qc_transport_has_work(const struct qc_transport *t)
{
    const struct qc_ring *r;

    if (t->flags & (QC_TRANSPORT_FLAG_DEAD | QC_TRANSPORT_FLAG_RATE))
        return 0;
    QC_RING_FOREACH(r, &t->queues)
    {
        if (qc_queue_ready(QC_RING_OBJ(r, struct qc_queue, transport_link)))
            return 1;
    }
    return 0;
}

struct qc_entry *qc_entry_create(struct qc_queue *q, struct qc_message *m)
{
    struct qc_entry *e = mem_zalloc(sizeof(*e));

    e->message = m;
    e->queue = q;
    qc_rcpt_list_init(&e->rcpt);
    qc_ring_init(&e->sched_link);
    qc_ring_append(&q->todo, &e->queue_link);
    q->todo_count++;
    m->refcount++;
    return e;
}

void qc_entry_unlink(struct qc_entry *e)
{
    qc_ring_detach(&e->queue_link);
    if (e->busy)
        e->queue->busy_count--;
    else {
        e->queue->todo_count--;
        e->queue->todo_rcpt -= e->rcpt.len;
    }
    e->message->refcount--;
    e->message->rcpt_count -= e->rcpt.len;
    qc_recipient_count -= e->rcpt.len;
}

void qc_entry_free(struct qc_entry *e)
{
    qc_rcpt_list_free(&e->rcpt);
    mem_free(e);
}

static int qc_assign_cmp(const void *a, const void *b)
{
    const struct qc_assign *x = a;
    const struct qc_assign *y = b;
    int c;

    if (x->queue != y->queue) {
        c = strcmp(x->queue->transport->name, y->queue->transport->name);
        if (c == 0)
            c = strcmp(x->queue->name, y->queue->name);
        if (c != 0)
            return c;
    }
    return x->seq - y->seq;
}

/* A waiting entry of this message for this queue with room, or NULL. */
/*
 * Recipients per entry: the transport's destination recipient limit, but
 * one for a VERP message (each delivery has its own sender).
 */
static int qc_entry_limit(const struct qc_queue *q, const struct qc_message *m)
{
    if (m->verp_delims != NULL && m->sender != NULL && *m->sender)
        return 1;
    return q->transport->dest_recipient_limit;
}

static struct qc_entry *qc_entry_open(struct qc_queue *q, struct qc_message *m)
{
    struct qc_ring *r;
    int limit = qc_entry_limit(q, m);

    /* The newest entries are at the tail; look at a few only. */
    int looked = 0;

    for (r = q->todo.prev; r != &q->todo && looked < 8; r = r->prev, looked++) {
        struct qc_entry *e = QC_RING_OBJ(r, struct qc_entry, queue_link);

        if (e->message == m && (limit <= 0 || e->rcpt.len < limit))
            return e;
    }
    return NULL;
}

void qc_message_assign(struct qc_message *m, struct qc_assign *items, int n)
{
    struct qc_entry *e = NULL;
    int added = 0;
    int is_new = 0;

    qsort(items, (size_t)n, sizeof(*items), qc_assign_cmp);
    for (int i = 0; i <= n; i++) {
        struct qc_queue *q = i < n ? items[i].queue : NULL;
        int limit = q ? qc_entry_limit(q, m) : 0;

        /* Close the current entry when the queue changes or it is full. */
        if (e != NULL &&
            (q != e->queue || (limit > 0 && e->rcpt.len >= limit))) {
            if (is_new) {
                if (qc_sched && qc_sched->entry_created)
                    qc_sched->entry_created(e);
            } else if (added > 0 && qc_sched && qc_sched->entry_grown)
                qc_sched->entry_grown(e, added);
            e = NULL;
        }
        if (q == NULL)
            break;
        if (e == NULL) {
            added = 0;
            if ((e = qc_entry_open(q, m)) != NULL) {
                is_new = 0;
            } else {
                e = qc_entry_create(q, m);
                is_new = 1;
            }
        }
        qc_rcpt_list_add(&e->rcpt, &items[i].rcpt);
        memset(&items[i].rcpt, 0, sizeof(items[i].rcpt));
        added++;
        q->todo_rcpt++;
        m->rcpt_count++;
        qc_recipient_count++;
    }
}

void qc_route_reset(void)
{
    while (!qc_ring_empty(&qc_transports)) {
        struct qc_transport *t =
            QC_RING_OBJ(qc_transports.next, struct qc_transport, link);

        while (!qc_ring_empty(&t->queues)) {
            struct qc_queue *q =
                QC_RING_OBJ(t->queues.next, struct qc_queue, transport_link);

            q->flags = 0;
            q->todo_count = q->busy_count = 0;
            qc_queue_free_if_idle(q);
        }
        qc_htable_free(t->queue_table);
        qc_ring_detach(&t->link);
        mem_free(t->dead_reason);
        mem_free(t->name);
        mem_free(t);
    }
    qc_htable_free(qc_transport_table);
    qc_transport_table = NULL;
}
