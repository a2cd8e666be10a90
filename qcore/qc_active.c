/*
 * qc_active - the active queue of the queue manager core
 *
 * Moving messages in and out of active/, reading and resolving their
 * recipients, and what happens when an entry or a message is finished.
 *
 * Queue states and moves (spec b.6, b.7; only the queue manager moves a
 * file between these):
 *	incoming/, deferred/ -> active/	when a scan admits it (complete file:
 *			owner bits exactly rwx; deferred only when its mtime
 *			is due, unless the scan ignores time stamps)
 *	active/ -> deferred/	some recipient must be tried again: atime
 *			and mtime = next retry time (qc_backoff_next) first
 *	active/ -> (removed)	every recipient dealt with; "QID: removed"
 *	active/ -> corrupt/	the file cannot be read as a queue file
 *	active/ -> incoming/	at start-up (leftovers of a previous run,
 *			mtime now), or when another process holds its lock
 *			(mtime now + 60: "skipped, still being delivered")
 *
 * Recipients are resolved with trivial-rewrite (resolve_address); a
 * message with a content filter record (L in the envelope,
 * "transport:nexthop") sends every deliverable recipient to the filter
 * instead (qc_filter_route; default_filter_nexthop). A
 * recipient to the local double-bounce address is discarded by the
 * queue manager itself (spec b.5, f.4: logged as sent, relay=none,
 * "undeliverable postmaster notification discarded", marked done).
 * Others it does not hand to their own transport go to the error agents
 * (master.cf "error" and "retry"), with "X.Y.Z reason" as next hop:
 *	error 5.1.3 bad address syntax	invalid address, or one starting
 *					with '-' while allow_min_user = no
 *	retry 4.3.0 address resolver failure	trivial-rewrite failed
 *	retry 4.3.2 deferred transport	its transport is in defer_transports
 *					(unless the message was admitted by
 *					a scan that ignores time stamps, as
 *					"sendmail -q" does)
 *	retry <code> <reason>		its transport or destination is dead
 *					(the waiting entries of a destination
 *					or transport that dies go there too)
 *
 * When a message has no entries left: more recipients are read if the
 * file has any; otherwise the bounce log is flushed (non-delivery
 * notice), the trace log too when the message asked for one, and then:
 * if some recipient was deferred, the message is returned to the
 * sender when it is past its lifetime ("status=expired, returned to
 * sender", the defer log flushed as a bounce), else a delay warning is
 * sent when due (the W record rewritten to -1), and the file goes to
 * deferred/; if none was deferred the file is removed.
 *
 * Public functions (qc_impl.h): qc_active_feed, qc_active_leftovers,
 * qc_flow_refill, qc_entry_finish, qc_message_check_done, qc_defer_entry,
 * qc_queue_throttle, qc_queue_unthrottle, qc_transport_throttle,
 * qc_flush_dead, qc_clog_check, qc_move_corrupt, qc_dispose;
 * (qcore.h) qc_message_refill.
 *
 * Diagnostics: "QID: from=<S>, size=N, nrcpt=N (queue active)";
 * "QID: removed"; "QID: from=<S>, status=expired, returned to sender";
 * "QID: skipped, still being delivered"; warnings "QID: corrupt queue
 * file: REASON" then 'saving corrupt file "QID" from queue "Q" to queue
 * "corrupt"'; "mail for X is using up N of M active queue entries" and
 * its hints (at most every qmgr_clog_warn_time per destination, with
 * helpful_warnings); rename and utime
 * failures (fatal when the file is there but cannot be moved).
 *
 * Configuration parameters (read by qc_main.c): minimal_backoff_time,
 * maximal_backoff_time, maximal_queue_lifetime, bounce_queue_lifetime,
 * transport_retry_time, qmgr_message_recipient_minimum,
 * qmgr_clog_warn_time, qmgr_message_active_limit, double_bounce_sender,
 * confirm_delay_cleared, allow_min_user, defer_transports.
 *
 * In-flow control: one token is written to master's flow pipe for each
 * message taken from incoming/ (our choice of rate; Postfix's exact
 * rule was not observed).
 *
 * Choices: the clog warning (checked when an entry is handed to an
 * agent) fires when one destination has entries of more than 90% of the
 * messages in core and more than a fifth of qmgr_message_active_limit,
 * as observed with Postfix 3.7's oqmgr; its hints name Postern where
 * Postfix names itself. Recipients the queue manager must defer or
 * bounce itself go to the retry or error agent with "X.Y.Z reason" as
 * next hop, as Postfix 3.7 does (observed); only when that agent is out
 * of reach does the queue manager write the records itself. A dead
 * destination is revived after
 * minimal_backoff_time, an unreachable transport after
 * transport_retry_time. VERP senders are passed on unexpanded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "bounce_client.h"
#include "deliver_status.h"
#include "events.h"
#include "mail_queue.h"
#include "master_proto.h"
#include "mem.h"
#include "msg.h"
#include "qc_impl.h"
#include "addr_token.h"
#include "rec_type.h"
#include "record.h"
#include "rewrite_client.h"

int qc_message_count;
int qc_recipient_count;
struct qc_ring qc_messages = {&qc_messages, &qc_messages};

/* --- moving files */

void qc_move_corrupt(const char *queue_name, const char *id)
{
    if (mail_queue_rename(id, queue_name, MAIL_QUEUE_CORRUPT) < 0) {
        if (errno != ENOENT)
            msg_fatal("save corrupt file queue %s id %s: %m", queue_name, id);
    } else {
        msg_warn("saving corrupt file \"%s\" from queue \"%s\" to queue "
                 "\"%s\"",
                 id, queue_name, MAIL_QUEUE_CORRUPT);
    }
}

/* Set a queue file's atime and mtime. */
static int qc_set_time(const char *queue_name, const char *id, time_t when)
{
    struct buf *path = buf_alloc(64);
    struct utimbuf tbuf;
    int ret;

    mail_queue_path(path, queue_name, id);
    tbuf.actime = tbuf.modtime = when;
    if ((ret = utime(buf_str(path), &tbuf)) < 0 && errno != ENOENT)
        msg_fatal("set time of %s: %m", buf_str(path));
    buf_free(path);
    return ret;
}

/* Put a file back into incoming/, due at `when`. */
static void qc_back_to_incoming(const char *id, time_t when)
{
    if (qc_set_time(MAIL_QUEUE_ACTIVE, id, when) < 0)
        return;
    if (mail_queue_rename(id, MAIL_QUEUE_ACTIVE, MAIL_QUEUE_INCOMING) < 0 &&
        errno != ENOENT)
        msg_fatal("move %s from %s to %s: %m", id, MAIL_QUEUE_ACTIVE,
                  MAIL_QUEUE_INCOMING);
}

void qc_active_leftovers(void)
{
    struct mail_scan *scan = mail_scan_open(MAIL_QUEUE_ACTIVE);
    const char *id;
    time_t now = time(NULL);

    if (scan == NULL) {
        msg_warn("open directory %s: %m", MAIL_QUEUE_ACTIVE);
        return;
    }
    while ((id = mail_scan_next(scan)) != NULL) {
        int fd = mail_queue_open(MAIL_QUEUE_ACTIVE, id, O_RDONLY, 0);
        time_t when = now;

        if (fd < 0)
            continue;
        /* Still locked: an agent of the previous run is delivering it. */
        if (flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK)
            when = now + 60;
        close(fd);
        qc_back_to_incoming(id, when);
    }
    mail_scan_close(scan);
}

/* --- qmgr-side outcomes */

static void qc_request_fill(struct deliver_request *req,
                            const struct qc_message *m)
{
    memset(req, 0, sizeof(*req));
    req->flags = DEL_REQ_FLAG_DEFLT | (m->tflags & DEL_REQ_TRACE_FLAGS);
    if (m->warn_time == REC_TYPE_WARN_SENT && qc_params.confirm_delay_cleared)
        req->flags |= DEL_REQ_FLAG_REC_DLY_SENT;
    req->queue_name = (char *)m->queue_name;
    req->queue_id = m->queue_id;
    req->data_offset = m->data_offset;
    req->data_size = m->cont_length;
    req->encoding = m->encoding;
    req->smtputf8 = m->sendopts;
    req->sender = m->sender;
    req->envelope_id = m->envelope_id;
    req->ret_flags = m->ret_flags;
    req->stats.incoming_arrival = m->arrival;
    req->stats.active_arrival = m->active_time;
    req->client_name = m->client_name;
    req->client_addr = m->client_addr;
    req->client_port = m->client_port;
    req->client_proto = m->client_proto;
    req->client_helo = m->client_helo;
    req->sasl_method = m->sasl_method;
    req->sasl_username = m->sasl_username;
    req->sasl_sender = m->sasl_sender;
    req->log_ident = m->log_ident;
    req->rewrite_context = m->rewrite_context;
    req->fd = -1;
}

void qc_dispose(struct qc_message *m, const struct qc_recipient *r, int how,
                const char *status, const char *reason)
{
    struct deliver_request req;
    struct bounce_rcpt br;
    struct bounce_dsn dsn = BOUNCE_DSN_INIT(status, DSN_ACTION_DELAYED, reason);
    int deferred = 0;

    qc_request_fill(&req, m);
    br.original_recipient = r->orig_rcpt ? r->orig_rcpt : "";
    br.recipient = r->address;
    br.offset = r->offset;
    br.dsn_orig_rcpt = r->dsn_orig_rcpt ? r->dsn_orig_rcpt : "";
    br.notify_flags = r->notify_flags;
    req.rcpt = &br;
    req.rcpt_count = 1;
    if (how != QC_DISPOSE_DEFER &&
        (req.fd = mail_queue_open(m->queue_name, m->queue_id, O_RDWR, 0)) < 0) {
        msg_warn("%s: open %s/%s: %m", m->queue_id, m->queue_name, m->queue_id);
        how = QC_DISPOSE_DEFER;
        dsn.status = "4.3.0";
    }
    switch (how) {
    case QC_DISPOSE_SENT:
        dsn.action = DSN_ACTION_DELIVERED;
        deferred = deliver_sent(&req, 0, "none", &dsn) != 0;
        break;
    case QC_DISPOSE_BOUNCE:
        dsn.action = DSN_ACTION_FAILED;
        deferred = deliver_bounce(&req, 0, "none", &dsn) != 0;
        break;
    default:
        deliver_defer(&req, 0, "none", &dsn);
        deferred = 1;
        break;
    }
    if (req.fd >= 0)
        close(req.fd);
    if (deferred)
        m->flags |= QC_MSG_FLAG_DEFERRED;
}

/* --- resolving and assigning a batch */

static int qc_is_double_bounce(const char *addr)
{
    const char *at = strrchr(addr, '@');
    size_t len = at ? (size_t)(at - addr) : strlen(addr);
    const char *db = qc_params.double_bounce_sender;

    return db && strlen(db) == len && strncasecmp(addr, db, len) == 0;
}

struct qc_queue *qc_error_queue(const char *service, const char *status,
                                const char *reason)
{
    struct qc_transport *t;
    struct qc_queue *q;
    struct buf *name;

    if ((t = qc_transport_find(service)) == NULL)
        t = qc_transport_create(service);
    if (t->flags & QC_TRANSPORT_FLAG_DEAD)
        return NULL;
    /* The next hop is what the error agent reports: "X.Y.Z text". */
    name = buf_alloc(64);
    buf_printf(name, "%s %s", status, reason);
    if ((q = qc_queue_find(t, buf_str(name))) == NULL)
        q = qc_queue_create(t, buf_str(name), buf_str(name));
    buf_free(name);
    return q;
}

/*
 * The destination a content filter sets: "transport:nexthop"; an empty
 * next hop is default_filter_nexthop, or else the recipient's domain
 * (as Postfix documents it). A filter without a transport is ignored.
 */
static void qc_filter_route(const char *filter, const char *rcpt,
                            char **transport, char **nexthop)
{
    const char *colon = strchr(filter, ':');
    const char *at = strrchr(rcpt, '@');
    const char *hop;

    if (colon == NULL || colon == filter)
        return;
    hop = colon + 1;
    if (*hop == 0)
        hop = *qc_params.default_filter_nexthop
                  ? qc_params.default_filter_nexthop
                  : (at ? at + 1 : "");
    mem_free(*transport);
    *transport = mem_strndup(filter, (size_t)(colon - filter));
    mem_free(*nexthop);
    *nexthop = mem_strdup(hop);
}

static void qc_message_resolve(struct qc_message *m, struct qc_rcpt_list *batch)
{
    struct qc_assign *items =
        mem_alloc((size_t)(batch->len > 0 ? batch->len : 1) * sizeof(*items));
    struct resolve_reply reply;
    struct buf *qname = buf_alloc(64);
    int n = 0;

    resolve_reply_init(&reply);
    for (int i = 0; i < batch->len; i++) {
        struct qc_recipient *r = batch->info + i;
        struct qc_resolve_cache *c = m->resolve_cache;
        struct qc_transport *t;
        struct qc_queue *q;

        if (c == NULL || strcmp(c->address, r->address) != 0) {
            if (c == NULL)
                m->resolve_cache = c = mem_zalloc(sizeof(*c));
            mem_free(c->address);
            mem_free(c->transport);
            mem_free(c->nexthop);
            c->address = mem_strdup(r->address);
            c->rc = resolve_address(r->address, &reply);
            c->transport = mem_strdup(buf_str(reply.transport));
            c->nexthop = mem_strdup(buf_str(reply.nexthop));
            c->flags = reply.flags;
        }
        q = NULL;
        /* A content filter (the message's L record, "transport:nexthop")
         * takes every deliverable recipient; trivial-rewrite still
         * decides which addresses are deliverable at all. */
        if (m->filter != NULL && c->rc >= 0 &&
            !(c->flags & (RESOLVE_FLAG_FAIL | RESOLVE_FLAG_ERROR)))
            qc_filter_route(m->filter, r->address, &c->transport, &c->nexthop);
        if (!qc_params.allow_min_user && r->address[0] == '-') {
            q = qc_error_queue(QC_ERROR_BOUNCE, "5.1.3", "bad address syntax");
        } else if (c->rc < 0 || (c->flags & RESOLVE_FLAG_FAIL)) {
            q = qc_error_queue(QC_ERROR_DEFER, "4.3.0",
                               "address resolver failure");
        } else if (c->flags & RESOLVE_FLAG_ERROR) {
            q = qc_error_queue(QC_ERROR_BOUNCE, "5.1.3", "bad address syntax");
        } else if ((c->flags & RESOLVE_CLASS_LOCAL) &&
                   qc_is_double_bounce(r->address)) {
            qc_dispose(m, r, QC_DISPOSE_SENT, "2.0.0",
                       "undeliverable postmaster notification discarded");
            qc_recipient_free(r);
            continue;
        } else {
            if ((t = qc_transport_find(c->transport)) == NULL)
                t = qc_transport_create(c->transport);
            if ((t->flags & QC_TRANSPORT_FLAG_DEFER) &&
                !(m->flags & QC_MSG_FLAG_DFXP)) {
                q = qc_error_queue(QC_ERROR_DEFER, "4.3.2",
                                   "deferred transport");
            } else if (t->flags & QC_TRANSPORT_FLAG_DEAD) {
                q = qc_error_queue(QC_ERROR_DEFER, t->dead_status,
                                   t->dead_reason);
            } else {
                /* Per-recipient destinations when the limit is 1 (e.1). */
                buf_set_str(qname, t->dest_recipient_limit == 1 ? r->address
                                                                : c->nexthop);
                buf_lower(qname);
                if ((q = qc_queue_find(t, buf_str(qname))) == NULL)
                    q = qc_queue_create(t, buf_str(qname), c->nexthop);
                if (q->flags & QC_QUEUE_FLAG_DEAD) {
                    struct qc_queue *dead = q;

                    q = qc_error_queue(QC_ERROR_DEFER, dead->dead_status,
                                       dead->dead_reason);
                    qc_queue_free_if_idle(dead);
                }
            }
        }
        if (q == NULL) {
            /* The error agent itself is out of reach: say it ourselves. */
            qc_dispose(m, r, QC_DISPOSE_DEFER, "4.3.0",
                       "mail transport unavailable");
            qc_recipient_free(r);
            continue;
        }
        items[n].queue = q;
        items[n].rcpt = *r;
        items[n].seq = n;
        memset(r, 0, sizeof(*r));
        n++;
    }
    /* The recipients moved into items; the batch keeps only empties. */
    batch->len = 0;
    qc_message_assign(m, items, n);
    resolve_reply_free(&reply);
    buf_free(qname);
    mem_free(items);
}

/* How many recipients to read now. */
static int qc_wanted(struct qc_message *m, int first)
{
    int want = qc_sched && qc_sched->recipients_wanted
                   ? qc_sched->recipients_wanted(m)
                   : qc_params.message_recipient_minimum;

    if (first && want < qc_params.message_recipient_minimum)
        want = qc_params.message_recipient_minimum;
    if (want > QC_READ_BATCH_MAX)
        want = QC_READ_BATCH_MAX;
    return want;
}

int qc_message_refill(struct qc_message *m, int count)
{
    struct qc_rcpt_list batch;
    struct buf *why;
    struct stream *sp;
    int fd;
    int n;

    if ((m->flags & (QC_MSG_FLAG_ALL_READ | QC_MSG_FLAG_DONE)) || count <= 0)
        return 0;
    if (count > QC_READ_BATCH_MAX)
        count = QC_READ_BATCH_MAX;
    if ((fd = mail_queue_open(m->queue_name, m->queue_id, O_RDWR, 0)) < 0) {
        msg_warn("%s: open %s/%s: %m", m->queue_id, m->queue_name, m->queue_id);
        m->flags |= QC_MSG_FLAG_ALL_READ | QC_MSG_FLAG_DEFERRED;
        return -1;
    }
    qc_rcpt_list_init(&batch);
    why = buf_alloc(64);
    sp = stream_fdopen(fd, 1);
    n = qc_message_read(m, sp, count, &batch, why);
    stream_close(sp);
    if (n < 0) {
        msg_warn("%s: corrupt queue file: %s", m->queue_id, buf_str(why));
        m->flags |= QC_MSG_FLAG_CORRUPT | QC_MSG_FLAG_ALL_READ;
    } else {
        qc_message_resolve(m, &batch);
    }
    qc_rcpt_list_free(&batch);
    buf_free(why);
    return n;
}

/* --- admitting a message */

static void qc_log_opened(const struct qc_message *m)
{
    struct buf *line = buf_alloc(128);

    addr_external_append(m->sender, line);
    msg_info("%s: from=<%s>, size=%ld, nrcpt=%d (queue active)", m->queue_id,
             buf_str(line), m->cont_length,
             m->rcpt_total > 0 ? m->rcpt_total : m->rcpt_read + m->rcpt_unread);
    buf_free(line);
}

static void qc_message_open(const char *id, int ignore_time)
{
    struct qc_message *m;
    struct qc_rcpt_list batch;
    struct stream *sp;
    struct stat st;
    struct buf *why;
    int fd;
    int n;

    if ((fd = mail_queue_open(MAIL_QUEUE_ACTIVE, id, O_RDWR, 0)) < 0) {
        if (errno != ENOENT)
            msg_warn("open %s/%s: %m", MAIL_QUEUE_ACTIVE, id);
        return;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        close(fd);
        if (errno == EWOULDBLOCK) {
            msg_info("%s: skipped, still being delivered", id);
            qc_back_to_incoming(id, time(NULL) + 60);
        } else {
            msg_warn("lock %s/%s: %m", MAIL_QUEUE_ACTIVE, id);
        }
        return;
    }
    if (fstat(fd, &st) < 0)
        msg_fatal("fstat %s/%s: %m", MAIL_QUEUE_ACTIVE, id);
    m = qc_message_alloc(MAIL_QUEUE_ACTIVE, id);
    gettimeofday(&m->active_time, NULL);
    if (ignore_time)
        m->flags |= QC_MSG_FLAG_DFXP;
    /* An agent that found the file corrupt left it read-only (b.6). */
    if ((st.st_mode & S_IRWXU) != MAIL_QUEUE_STAT_READY) {
        close(fd);
        msg_warn("%s: corrupt queue file: marked corrupt by a delivery agent",
                 id);
        qc_move_corrupt(MAIL_QUEUE_ACTIVE, id);
        qc_message_free(m);
        return;
    }
    if (st.st_mode & MAIL_QUEUE_STAT_UNTHROTTLE) {
        qc_flush_dead();
        if (fchmod(fd, st.st_mode & ~MAIL_QUEUE_STAT_UNTHROTTLE & 07777) < 0)
            msg_warn("fchmod %s/%s: %m", MAIL_QUEUE_ACTIVE, id);
    }
    if (st.st_mode & MAIL_QUEUE_STAT_EXPIRE)
        m->flags |= QC_MSG_FLAG_FORCE_EXP;

    qc_rcpt_list_init(&batch);
    why = buf_alloc(64);
    sp = stream_fdopen(fd, 1);
    n = qc_message_read(m, sp, qc_wanted(m, 1), &batch, why);
    stream_close(sp); /* releases the lock before any delivery */
    if (n < 0) {
        msg_warn("%s: corrupt queue file: %s", id, buf_str(why));
        qc_move_corrupt(MAIL_QUEUE_ACTIVE, id);
        qc_rcpt_list_free(&batch);
        qc_message_free(m);
        buf_free(why);
        return;
    }
    buf_free(why);
    /* The defer log always describes the latest attempt (f.1). */
    if (mail_queue_remove(MAIL_QUEUE_DEFER, id) < 0 && errno != ENOENT)
        msg_warn("remove %s/%s: %m", MAIL_QUEUE_DEFER, id);
    qc_log_opened(m);
    qc_ring_append(&qc_messages, &m->active_link);
    qc_message_count++;
    if (qc_sched && qc_sched->message_added)
        qc_sched->message_added(m);
    qc_message_resolve(m, &batch);
    qc_rcpt_list_free(&batch);
    qc_message_check_done(m);
}

/*
 * In-flow control (spec d.5): tokens on master's flow pipe, for
 * receivers that wait for one (Postfix's cleanup waits in_flow_delay
 * when the pipe is empty). As Postfix 3.7's qmgr does (observed: a
 * start-up write of 100 NUL bytes to descriptor 4; after any event,
 * even a W trigger with no mail, the pipe is back at 100 however many
 * were taken, and a receiver that takes none never makes it grow), the
 * pipe is topped up to QC_FLOW_TOKENS tokens (NUL bytes) at start-up and
 * after every event. Only when descriptor 3 really is a pipe (run by
 * master); a full pipe or no reader is not our problem.
 */
void qc_flow_refill(void)
{
    static const char tokens[QC_FLOW_TOKENS];
    static int checked;
    static int ok;
    struct stat st;
    int have = 0;

    if (qc_in_test)
        return;
    if (!checked) {
        checked = 1;
        ok = fstat(MASTER_FLOW_READ, &st) == 0 && S_ISFIFO(st.st_mode);
    }
    if (!ok || ioctl(MASTER_FLOW_READ, FIONREAD, &have) < 0) {
        ok = 0;
        return;
    }
    if (have < QC_FLOW_TOKENS &&
        write(MASTER_FLOW_WRITE, tokens, (size_t)(QC_FLOW_TOKENS - have)) < 0 &&
        errno != EAGAIN)
        ok = 0;
}

int qc_active_feed(const char *queue_name, const char *id, int ignore_time)
{
    struct buf *path = buf_alloc(64);
    struct stat st;
    int ok;

    mail_queue_path(path, queue_name, id);
    ok = stat(buf_str(path), &st) == 0 && S_ISREG(st.st_mode) &&
         mail_queue_file_ready(&st) && st.st_nlink == 1 &&
         qc_backoff_file_due(st.st_mtime, time(NULL), ignore_time);
    buf_free(path);
    if (!ok)
        return 0;
    if (mail_queue_rename(id, queue_name, MAIL_QUEUE_ACTIVE) < 0) {
        if (errno != ENOENT)
            msg_warn("move %s from %s to %s: %m", id, queue_name,
                     MAIL_QUEUE_ACTIVE);
        return 0;
    }
    qc_message_open(id, ignore_time);
    return 1;
}

/* --- finishing */

static void qc_kill_record(const struct qc_message *m, long offset)
{
    int fd;
    char type = REC_TYPE_KILL;

    if (offset < 0)
        return;
    if ((fd = mail_queue_open(m->queue_name, m->queue_id, O_RDWR, 0)) < 0)
        return;
    if (pwrite(fd, &type, 1, (off_t)offset) != 1)
        msg_warn("%s: update record at offset %ld: %m", m->queue_id, offset);
    close(fd);
}

/* Rewrite the W record to "warning sent" (-1), in place. */
static void qc_warn_sent(struct qc_message *m)
{
    char text[REC_TYPE_WARN_LEN + 1];
    int fd;

    if (m->warn_offset < 0)
        return;
    snprintf(text, sizeof(text), REC_TYPE_WARN_FORMAT, REC_TYPE_WARN_SENT);
    if ((fd = mail_queue_open(m->queue_name, m->queue_id, O_RDWR, 0)) < 0)
        return;
    /* Type byte, one length byte (15 < 128), then the payload. */
    if (pwrite(fd, text, REC_TYPE_WARN_LEN, (off_t)m->warn_offset + 2) !=
        REC_TYPE_WARN_LEN)
        msg_warn("%s: update warning time: %m", m->queue_id);
    close(fd);
    m->warn_time = REC_TYPE_WARN_SENT;
}

static int qc_log_exists(const char *queue, const char *id)
{
    struct buf *path = buf_alloc(64);
    int ret;

    mail_queue_path(path, queue, id);
    ret = access(buf_str(path), F_OK) == 0;
    buf_free(path);
    return ret;
}

static void qc_active_done(struct qc_message *m)
{
    struct bounce_msg bm;
    time_t now = time(NULL);

    m->flags |= QC_MSG_FLAG_DONE;
    bm.queue_name = m->queue_name;
    bm.queue_id = m->queue_id;
    bm.encoding = m->encoding ? m->encoding : "";
    bm.smtputf8 = m->sendopts;
    bm.sender = m->sender;
    bm.envelope_id = m->envelope_id ? m->envelope_id : "";
    bm.ret_flags = m->ret_flags;

    if (m->flags & QC_MSG_FLAG_CORRUPT) {
        qc_move_corrupt(m->queue_name, m->queue_id);
        goto free;
    }
    /* Non-delivery notice for what bounced in this round. */
    if (qc_log_exists(MAIL_QUEUE_BOUNCE, m->queue_id) &&
        bounce_flush(0, &bm) != 0)
        m->flags |= QC_MSG_FLAG_DEFERRED;
    /* "sendmail -v" / "-bv" reports, delay-cleared notices. */
    if (m->tflags & (DEL_REQ_FLAG_USR_VRFY | DEL_REQ_FLAG_RECORD |
                     DEL_REQ_FLAG_REC_DLY_SENT)) {
        if (qc_log_exists(MAIL_QUEUE_TRACE, m->queue_id) &&
            trace_flush(m->tflags & DEL_REQ_TRACE_FLAGS, &bm) != 0)
            m->flags |= QC_MSG_FLAG_DEFERRED;
        else if (!(m->flags & QC_MSG_FLAG_DEFERRED))
            qc_kill_record(m, m->tflags_offset);
    }
    if (m->flags & QC_MSG_FLAG_DEFERRED) {
        int null_sender = m->sender == NULL || *m->sender == 0;

        if ((m->flags & QC_MSG_FLAG_FORCE_EXP) ||
            qc_backoff_expired(&qc_params.backoff, now, m->create_time,
                               null_sender)) {
            struct buf *addr = buf_alloc(64);

            addr_external_append(m->sender ? m->sender : "", addr);
            msg_info("%s: from=<%s>, status=%s, returned to sender",
                     m->queue_id, buf_str(addr),
                     (m->flags & QC_MSG_FLAG_FORCE_EXP) ? "force-expired"
                                                        : "expired");
            buf_free(addr);
            if (defer_flush(0, &bm) == 0)
                m->flags &= ~QC_MSG_FLAG_DEFERRED;
        } else if (qc_backoff_warn_due(now, m->warn_time)) {
            if (defer_warn(0, &bm) == 0)
                qc_warn_sent(m);
        }
    }
    if (m->flags & QC_MSG_FLAG_DEFERRED) {
        time_t next = qc_backoff_next(&qc_params.backoff, now, m->create_time);

        if (qc_set_time(m->queue_name, m->queue_id, next) == 0 &&
            mail_queue_rename(m->queue_id, m->queue_name, MAIL_QUEUE_DEFERRED) <
                0 &&
            errno != ENOENT)
            msg_fatal("move %s from %s to %s: %m", m->queue_id, m->queue_name,
                      MAIL_QUEUE_DEFERRED);
    } else {
        if (mail_queue_remove(m->queue_name, m->queue_id) < 0) {
            if (errno != ENOENT)
                msg_fatal("remove %s/%s: %m", m->queue_name, m->queue_id);
        } else {
            msg_info("%s: removed", m->queue_id);
        }
    }
free:
    qc_ring_detach(&m->active_link);
    qc_message_count--;
    if (qc_sched && qc_sched->message_removed)
        qc_sched->message_removed(m);
    qc_message_free(m);
}

void qc_message_check_done(struct qc_message *m)
{
    while (m->refcount == 0 && !(m->flags & QC_MSG_FLAG_DONE)) {
        if (!(m->flags & QC_MSG_FLAG_ALL_READ)) {
            int want = qc_wanted(m, 0);

            if (want <= 0)
                want = 1; /* nothing in core: always make progress */
            qc_message_refill(m, want);
            continue;
        }
        qc_active_done(m);
        return;
    }
}

void qc_entry_finish(struct qc_entry *e, int status)
{
    struct qc_queue *q = e->queue;
    struct qc_message *m = e->message;

    if (qc_sched && qc_sched->entry_done)
        qc_sched->entry_done(e, status);
    if (status != QC_STAT_OK)
        m->flags |= QC_MSG_FLAG_DEFERRED;
    qc_entry_unlink(e);
    qc_entry_free(e);
    if (qc_queue_ready(q) && qc_sched && qc_sched->queue_unblocked)
        qc_sched->queue_unblocked(q);
    qc_queue_free_if_idle(q);
    qc_message_check_done(m);
}

void qc_defer_entry(struct qc_entry *e, const char *status, const char *reason)
{
    struct qc_message *m = e->message;
    const char *service = e->queue->transport->name;
    struct qc_queue *errq = NULL;

    /*
     * As Postfix 3.7 does (observed), the retry agent defers them: it
     * logs and writes the defer records. Only when that cannot be (the
     * entry is the error agents' own, or retry is out of reach) do we
     * write them ourselves.
     */
    if (strcmp(service, QC_ERROR_DEFER) != 0 &&
        strcmp(service, QC_ERROR_BOUNCE) != 0)
        errq = qc_error_queue(QC_ERROR_DEFER, status, reason);
    if (errq != NULL) {
        struct qc_assign *items =
            mem_alloc((size_t)(e->rcpt.len ? e->rcpt.len : 1) * sizeof(*items));
        int n = e->rcpt.len;
        int was_deferred = m->flags & QC_MSG_FLAG_DEFERRED;

        for (int i = 0; i < n; i++) {
            items[i].queue = errq;
            items[i].rcpt = e->rcpt.info[i];
            items[i].seq = i;
            memset(e->rcpt.info + i, 0, sizeof(e->rcpt.info[i]));
        }
        /* New entries first: the message must not look finished. */
        qc_message_assign(m, items, n);
        mem_free(items);
        qc_entry_finish(e, QC_STAT_DEFER);
        /* Not deferred yet: the retry agent's reply will say so. */
        if (!was_deferred)
            m->flags &= ~QC_MSG_FLAG_DEFERRED;
        return;
    }
    for (int i = 0; i < e->rcpt.len; i++)
        qc_dispose(m, e->rcpt.info + i, QC_DISPOSE_DEFER, status, reason);
    qc_entry_finish(e, QC_STAT_DEFER);
}

/* --- dead destinations and transports */

static void qc_queue_revive_event(int event, void *context)
{
    (void)event;
    qc_queue_unthrottle(context);
}

void qc_queue_throttle(struct qc_queue *q, const char *status,
                       const char *reason)
{
    struct buf *text = buf_alloc(128);

    buf_printf(text, "delivery temporarily suspended: %s", reason);
    mem_free(q->dead_reason);
    q->dead_reason = buf_export(text);
    snprintf(q->dead_status, sizeof(q->dead_status), "%s",
             status && status[0] == '4' ? status : "4.0.0");
    q->flags |= QC_QUEUE_FLAG_DEAD;
    if (qc_sched && qc_sched->queue_dead)
        qc_sched->queue_dead(q);
    if (!qc_in_test)
        event_request_timer(qc_queue_revive_event, q,
                            qc_params.backoff.min_backoff * 1000);
    /* The queue is kept while dead: entries can be finished safely. */
    while (!qc_ring_empty(&q->todo))
        qc_defer_entry(QC_RING_OBJ(q->todo.next, struct qc_entry, queue_link),
                       q->dead_status, q->dead_reason);
}

void qc_queue_unthrottle(struct qc_queue *q)
{
    if (!(q->flags & QC_QUEUE_FLAG_DEAD))
        return;
    if (!qc_in_test)
        event_cancel_timer(qc_queue_revive_event, q);
    q->flags &= ~QC_QUEUE_FLAG_DEAD;
    mem_free(q->dead_reason);
    q->dead_reason = NULL;
    qc_conc_revive(&q->conc, &q->transport->fb, q->busy_count);
    if (qc_sched && qc_sched->queue_unblocked)
        qc_sched->queue_unblocked(q);
    qc_queue_free_if_idle(q);
}

static void qc_transport_revive_event(int event, void *context)
{
    struct qc_transport *t = context;
    struct qc_ring *r;

    (void)event;
    if (!(t->flags & QC_TRANSPORT_FLAG_DEAD))
        return;
    t->flags &= ~QC_TRANSPORT_FLAG_DEAD;
    mem_free(t->dead_reason);
    t->dead_reason = NULL;
    if (qc_sched && qc_sched->queue_unblocked)
        QC_RING_FOREACH(r, &t->queues)
        {
            qc_sched->queue_unblocked(
                QC_RING_OBJ(r, struct qc_queue, transport_link));
        }
}

void qc_transport_throttle(struct qc_transport *t, const char *status,
                           const char *reason)
{
    struct qc_entry **list = NULL;
    size_t count = 0;
    size_t avail = 0;
    struct qc_ring *r;
    struct qc_ring *er;

    if (t->flags & QC_TRANSPORT_FLAG_DEAD)
        return;
    t->flags |= QC_TRANSPORT_FLAG_DEAD;
    mem_free(t->dead_reason);
    t->dead_reason = mem_strdup(reason);
    snprintf(t->dead_status, sizeof(t->dead_status), "%s", status);
    if (!qc_in_test)
        event_request_timer(qc_transport_revive_event, t,
                            qc_params.transport_retry_time * 1000);
    /* Collect first: finishing entries may free their queues. */
    QC_RING_FOREACH(r, &t->queues)
    {
        struct qc_queue *q = QC_RING_OBJ(r, struct qc_queue, transport_link);

        QC_RING_FOREACH(er, &q->todo)
        {
            if (count >= avail) {
                avail = avail ? avail * 2 : 16;
                list = mem_realloc(list, avail * sizeof(*list));
            }
            list[count++] = QC_RING_OBJ(er, struct qc_entry, queue_link);
        }
    }
    for (size_t i = 0; i < count; i++)
        qc_defer_entry(list[i], t->dead_status, t->dead_reason);
    mem_free(list);
}

void qc_flush_dead(void)
{
    struct qc_ring *r;

    QC_RING_FOREACH(r, &qc_transports)
    {
        struct qc_transport *t = QC_RING_OBJ(r, struct qc_transport, link);
        struct qc_ring *qr;
        struct qc_ring *next;

        if (t->flags & QC_TRANSPORT_FLAG_DEAD) {
            if (!qc_in_test)
                event_cancel_timer(qc_transport_revive_event, t);
            qc_transport_revive_event(EVENT_TIME, t);
        }
        for (qr = t->queues.next; qr != &t->queues; qr = next) {
            next = qr->next; /* unthrottling may free the queue */
            qc_queue_unthrottle(
                QC_RING_OBJ(qr, struct qc_queue, transport_link));
        }
    }
}

void qc_clog_check(struct qc_queue *q)
{
    struct qc_transport *t = q->transport;
    int length = q->todo_count + q->busy_count;
    int limit = qc_params.message_active_limit;
    time_t now;

    /* One destination holds (nearly) the whole active queue, and more
     * than a fifth of what it may hold: observed thresholds. */
    if (!qc_params.helpful_warnings || qc_params.clog_warn_time <= 0 ||
        qc_message_count <= 0 || length <= limit / 5 ||
        length * 10 <= qc_message_count * 9)
        return;
    now = time(NULL);
    if (now < q->clog_warned)
        return;
    q->clog_warned = now + qc_params.clog_warn_time;
    msg_warn("mail for %s is using up %d of %d active queue entries",
             q->nexthop, length, qc_message_count);
    if (t->fb.limit > 0 && q->busy_count >= t->fb.limit) {
        msg_warn("you may need to increase the main.cf %s%s from %d", t->name,
                 "_destination_concurrency_limit", t->fb.limit);
    } else if (q->conc.window > limit) {
        msg_warn("you may need to increase the main.cf %s from %d",
                 "qmgr_message_active_limit", limit);
    } else {
        msg_warn("you may need to reduce %s connect and helo timeouts",
                 t->name);
        msg_warn("so that Postern quickly skips unavailable hosts");
        msg_warn("you may need to increase the main.cf %s and %s",
                 "minimal_backoff_time", "maximal_backoff_time");
        msg_warn("so that Postern wastes less time on undeliverable mail");
        msg_warn("you may need to increase the master.cf %s process limit",
                 t->name);
    }
    msg_warn("please avoid flushing the whole queue when you have");
    msg_warn("lots of deferred mail, that is bad for performance");
    msg_warn("to turn off these warnings specify: %s = 0",
             "qmgr_clog_warn_time");
}
