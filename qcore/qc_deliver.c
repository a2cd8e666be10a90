/*
 * qc_deliver - hand entries to delivery agents without blocking
 *
 * For a transport with work, the core connects to private/<transport>
 * and waits (event loop) for the agent's protocol announcement, which
 * also says that an agent process is free (spec d.2). Only then does the
 * scheduler pick an entry (select_entry), which is sent as one delivery
 * request; the reply is read when it arrives. Several deliveries run at
 * once, at most one connection per transport waits for an agent.
 *
 * The reply's status: 0 = every recipient dealt with, other = some were
 * deferred (the agent logged them and wrote the defer records). A
 * non-empty hop status reason means the destination is in trouble:
 * negative concurrency feedback, possibly a dead destination whose
 * remaining entries are deferred "delivery temporarily suspended:
 * REASON"; otherwise positive feedback. No reply or a malformed one is a
 * crash: every recipient of the entry is deferred 4.3.0 "unknown mail
 * transport error" and the transport is suspended for
 * transport_retry_time. A transport that cannot be reached (no socket,
 * connection refused, no announcement) is suspended the same way with
 * "mail transport unavailable".
 *
 * <transport>_destination_rate_delay and <transport>_transport_rate_delay
 * are applied when a delivery starts: the destination (transport) takes
 * no other delivery until the delay has passed.
 *
 * Connection caching on demand (spec e.2): a destination's requests ask
 * the agent to reuse a cached connection and to cache its own
 * (DEL_REQ_FLAG_CONN_LOAD | DEL_REQ_FLAG_CONN_STORE; Postfix's smtp then
 * uses its scache service) once deliveries to it run back to back (one
 * started at most a second after another one ended), and while they
 * stay back to back or concurrent (another one still running). Not for
 * a first burst of concurrent deliveries alone. Our choice where the
 * details are not known: "back to back" is judged in whole seconds
 * (time()), and the flags go off when a delivery starts with none
 * running and none ended in the last second. Without this, Postfix's
 * smtp opened a new connection for each of 30 queued messages to one
 * destination (no conn_use= in its log), where under Postfix's qmgr it
 * reused them for 27 (tests/system/test_mixed_qmgr.py).
 *
 * Public functions (qc_impl.h): qc_deliver_start(transport),
 * qc_deliver_feedback(queue, dsn_status, hop_reason).
 *
 * Diagnostics: "connect to transport private/NAME: REASON"; "transport
 * NAME failure -- see a previous warning/fatal/panic logfile record for
 * the problem description"; those of deliver_request.c and attr.c.
 *
 * Configuration parameters: qmgr_ipc_timeout (connect and each read or
 * write), transport_retry_time.
 */
#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "verp_delims.h"
#include "attr.h"
#include "events.h"
#include "mem.h"
#include "msg.h"
#include "qc_impl.h"
#include "sock.h"

struct qc_agent {
    struct qc_transport *transport;
    struct stream *sp;
    int fd;
    struct qc_entry *entry;
    struct bounce_rcpt *rcpt;
    struct buf *verp_sender; /* this delivery's VERP sender, or NULL */
};

static void qc_agent_free(struct qc_agent *a)
{
    if (a->sp) {
        event_disable_readwrite(a->fd);
        stream_close(a->sp);
    }
    mem_free(a->rcpt);
    if (a->verp_sender)
        buf_free(a->verp_sender);
    mem_free(a);
}

static void qc_rate_clear_queue(int event, void *context)
{
    struct qc_queue *q = context;

    (void)event;
    q->flags &= ~QC_QUEUE_FLAG_RATE;
    if (qc_queue_ready(q) && qc_sched && qc_sched->queue_unblocked)
        qc_sched->queue_unblocked(q);
    qc_queue_free_if_idle(q);
}

static void qc_rate_clear_transport(int event, void *context)
{
    struct qc_transport *t = context;

    (void)event;
    t->flags &= ~QC_TRANSPORT_FLAG_RATE;
}

void qc_deliver_feedback(struct qc_queue *q, const char *dsn_status,
                         const char *hop_reason)
{
    struct qc_transport *t = q->transport;
    int result;

    if (hop_reason && *hop_reason) {
        result = qc_conc_negative(&q->conc, &t->fb, q->busy_count, q->name);
        if ((result == QC_CONC_DIED || q->conc.dead) &&
            !(q->flags & QC_QUEUE_FLAG_DEAD))
            qc_queue_throttle(q, dsn_status, hop_reason);
    } else {
        result = qc_conc_positive(&q->conc, &t->fb, q->busy_count, q->name);
        if (result == QC_CONC_REVIVED && (q->flags & QC_QUEUE_FLAG_DEAD))
            qc_queue_unthrottle(q);
    }
}

static void qc_agent_done(struct qc_agent *a, int status,
                          struct deliver_reply *reply)
{
    struct qc_transport *t = a->transport;
    struct qc_entry *e = a->entry;

    t->busy--;
    e->queue->last_done = time(NULL);
    qc_agent_free(a);
    if (status == QC_STAT_CRASH) {
        msg_warn("transport %s failure -- see a previous warning/fatal/panic "
                 "logfile record for the problem description",
                 t->name);
        qc_defer_entry(e, "4.3.0", "unknown mail transport error");
        qc_transport_throttle(t, "4.3.0", "unknown mail transport error");
        return;
    }
    /* Feedback while the entry still counts as busy (e.2). */
    qc_deliver_feedback(e->queue, buf_str(reply->status),
                        buf_str(reply->reason));
    qc_entry_finish(e, status);
}

static void qc_agent_reply(int event, void *context)
{
    struct qc_agent *a = context;
    struct deliver_reply *reply = deliver_reply_alloc();
    int status;

    (void)event;
    event_disable_readwrite(a->fd);
    if (deliver_reply_get(a->sp, reply) < 0)
        status = QC_STAT_CRASH;
    else
        status = reply->deliver_status == 0 ? QC_STAT_OK : QC_STAT_DEFER;
    qc_agent_done(a, status, reply);
    deliver_reply_free(reply);
}

/* Connection caching on demand: decide as a delivery starts. */
static void qc_conn_cache_update(struct qc_queue *q)
{
    int back_to_back = q->last_done != 0 && q->last_done + 1 >= time(NULL);

    if (q->conn_flags == 0) {
        if (back_to_back)
            q->conn_flags = DEL_REQ_FLAG_CONN_LOAD | DEL_REQ_FLAG_CONN_STORE;
    } else if (!back_to_back && q->busy_count == 0) {
        q->conn_flags = 0;
    }
}

/* Move an entry from todo to busy. */
static void qc_entry_busy(struct qc_entry *e)
{
    struct qc_queue *q = e->queue;
    struct qc_transport *t = q->transport;

    qc_ring_detach(&e->queue_link);
    qc_ring_append(&q->busy, &e->queue_link);
    q->todo_count--;
    q->todo_rcpt -= e->rcpt.len;
    qc_conn_cache_update(q);
    q->busy_count++;
    e->busy = 1;
    t->busy++;
    if (qc_sched && qc_sched->entry_selected)
        qc_sched->entry_selected(e);
    qc_clog_check(q);
    if (t->dest_rate_delay > 0 && !qc_in_test) {
        q->flags |= QC_QUEUE_FLAG_RATE;
        event_request_timer(qc_rate_clear_queue, q, t->dest_rate_delay * 1000);
    }
    if (t->transport_rate_delay > 0 && !qc_in_test) {
        t->flags |= QC_TRANSPORT_FLAG_RATE;
        event_request_timer(qc_rate_clear_transport, t,
                            t->transport_rate_delay * 1000);
    }
}

static void qc_agent_send(struct qc_agent *a)
{
    struct qc_entry *e = a->entry;
    struct qc_message *m = e->message;
    struct deliver_request req;
    struct deliver_reply *none;

    memset(&req, 0, sizeof(req));
    req.flags = DEL_REQ_FLAG_DEFLT | (m->tflags & DEL_REQ_TRACE_FLAGS) |
                e->queue->conn_flags;
    if (m->warn_time == -1 && qc_params.confirm_delay_cleared)
        req.flags |= DEL_REQ_FLAG_REC_DLY_SENT;
    req.queue_name = (char *)m->queue_name;
    req.queue_id = m->queue_id;
    req.data_offset = m->data_offset;
    req.data_size = m->cont_length;
    req.nexthop = e->queue->nexthop;
    req.encoding = m->encoding;
    req.smtputf8 = m->sendopts;
    req.sender = m->sender;
    if (m->verp_delims != NULL && *m->sender && e->rcpt.len == 1) {
        /* VERP: this delivery's own sender (one recipient per entry). */
        if (a->verp_sender == NULL)
            a->verp_sender = buf_alloc(64);
        verp_sender(a->verp_sender, m->verp_delims, m->sender,
                    e->rcpt.info[0].address);
        req.sender = buf_str(a->verp_sender);
    }
    req.envelope_id = m->envelope_id;
    req.ret_flags = m->ret_flags;
    req.stats.incoming_arrival = m->arrival;
    req.stats.active_arrival = m->active_time;
    gettimeofday(&req.stats.agent_handoff, NULL);
    req.client_name = m->client_name;
    req.client_addr = m->client_addr;
    req.client_port = m->client_port;
    req.client_proto = m->client_proto;
    req.client_helo = m->client_helo;
    req.sasl_method = m->sasl_method;
    req.sasl_username = m->sasl_username;
    req.sasl_sender = m->sasl_sender;
    req.log_ident = m->log_ident;
    req.rewrite_context = m->rewrite_context;
    req.rcpt_count = e->rcpt.len;
    a->rcpt =
        mem_alloc((size_t)(e->rcpt.len ? e->rcpt.len : 1) * sizeof(*a->rcpt));
    for (int i = 0; i < e->rcpt.len; i++) {
        struct qc_recipient *r = e->rcpt.info + i;

        a->rcpt[i].original_recipient = r->orig_rcpt ? r->orig_rcpt : "";
        a->rcpt[i].recipient = r->address;
        a->rcpt[i].offset = r->offset;
        a->rcpt[i].dsn_orig_rcpt = r->dsn_orig_rcpt ? r->dsn_orig_rcpt : "";
        a->rcpt[i].notify_flags = r->notify_flags;
    }
    req.rcpt = a->rcpt;
    req.fd = -1;
    if (deliver_request_send(a->sp, &req) < 0 || stream_flush(a->sp) < 0) {
        none = deliver_reply_alloc();
        qc_agent_done(a, QC_STAT_CRASH, none);
        deliver_reply_free(none);
        return;
    }
    event_enable_read(a->fd, qc_agent_reply, a);
}

static void qc_agent_announce(int event, void *context)
{
    struct qc_agent *a = context;
    struct qc_transport *t = a->transport;

    (void)event;
    event_disable_readwrite(a->fd);
    t->pending--;
    if (attr_expect_announce(a->sp, DELIVER_REQUEST_PROTOCOL) < 0) {
        qc_agent_free(a);
        qc_transport_throttle(t, "4.3.0", "mail transport unavailable");
        return;
    }
    if (!qc_transport_has_work(t) ||
        (a->entry = qc_sched->select_entry(t)) == NULL) {
        qc_agent_free(a);
        return;
    }
    if (a->entry->busy || !qc_queue_ready(a->entry->queue))
        msg_panic("%s: scheduler selected an entry that may not start",
                  qc_sched->name);
    qc_entry_busy(a->entry);
    qc_agent_send(a);
}

void qc_deliver_start(struct qc_transport *t)
{
    struct buf *path = buf_alloc(64);
    struct qc_agent *a;
    int fd;

    buf_printf(path, "private/%s", t->name);
    fd = unix_connect(buf_str(path), qc_params.ipc_timeout * 1000);
    if (fd < 0) {
        msg_warn("connect to transport %s: %m", buf_str(path));
        buf_free(path);
        qc_transport_throttle(t, "4.3.0", "mail transport unavailable");
        return;
    }
    buf_free(path);
    a = mem_zalloc(sizeof(*a));
    a->transport = t;
    a->fd = fd;
    a->sp = stream_fdopen(fd, 1);
    stream_set_timeout(a->sp, qc_params.ipc_timeout);
    t->pending++;
    event_enable_read(fd, qc_agent_announce, a);
}
