/*
 * bounce_notify - send delivery status notifications through cleanup
 *
 * The FLUSH, WARN, TRACE, ONE (and VERP) requests (bounce_proto.h): read
 * the status log and the original queue file, decide who gets a notice
 * (spec f.3, f.4), compose each notice (bounce_notice.c) and hand it to
 * the cleanup service as a new message from the null sender (or from
 * double_bounce_sender for the postmaster's copies). A log is removed
 * only after cleanup said the notice is queued; when cleanup fails the
 * request fails and the log stays, so the queue manager asks again.
 *
 * Public functions (bounce.h):
 *	bounce_notify_flush(log_queue, req, defer_failed)
 *		non-delivery notice for bounce/<id> (or defer/<id> when a
 *		message expired: defer_failed shows "delayed" as
 *		"failed"), then removes the log.
 *	bounce_notify_warn(req)	delay warning for defer/<id>; the log stays.
 *	bounce_notify_trace(req)	delivery report for trace/<id>, then
 *		removes the log.
 *	bounce_notify_one(req, rcpt, dsn)	non-delivery notice about
 *		one recipient; no log file is involved.
 * Each returns 0 (done, or nothing to do) or -1 (try again later).
 *
 * Who gets what:
 *	- sender non-empty: the sender gets the notice, with the
 *	  recipients whose DSN NOTIFY asks for it (none: no notice). With
 *	  notify_classes "bounce" (failures) or "delay" (warnings) the
 *	  postmaster (bounce_notice_recipient, delay_notice_recipient)
 *	  also gets a copy with every recipient and the headers only,
 *	  from double_bounce_sender@myorigin.
 *	- null sender (a bounce that bounced): with notify_classes
 *	  "2bounce" or "bounce", 2bounce_notice_recipient gets the whole
 *	  notice ("double bounce") from double_bounce_sender@myorigin;
 *	  otherwise it is dropped.
 *	- sender = double_bounce_sender@myorigin (a postmaster notice that
 *	  failed): nothing is sent; warning "QUEUEID: undeliverable
 *	  postmaster notification discarded". No loops.
 * Log lines: "QUEUEID: sender non-delivery notification: NEWID",
 * "postmaster non-delivery notification", "sender delay notification",
 * "postmaster delay notification", "sender delivery status
 * notification".
 *
 * Records sent to cleanup (flags CLEANUP_FLAG_MAP_OK), as Postfix 3.7's
 * bounce sends them: T "<sec> <usec>", A log_message_origin=local,
 * A trace_flags=0, S <envelope sender>, R <notice recipient>, M, one N
 * per text line, X, E.
 *
 * Diagnostics: warnings for unreadable logs, malformed log records,
 * cleanup failures. Configuration parameters: see bounce.c.
 *
 * Choices: a missing log means nothing to report (reply 0, no notice),
 * where Postfix sends a notice without recipients. A failed postmaster
 * copy is a warning, not a failure of the request (retrying would send
 * the sender's notice twice).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"
#include "bounce_proto.h"
#include "bounce_qfile.h"
#include "cleanup_client.h"
#include "cleanup_user.h"
#include "mail_queue.h"
#include "mem.h"
#include "msg.h"
#include "queue_id.h"
#include "record.h"

#define CLEANUP_PATH "public/cleanup"

/* Read and parse queue/id; NULL when there is no log. */
static struct bounce_log *read_log(const char *queue, const char *queue_id)
{
    static const char *const defaults[][2] = {
        {MAIL_QUEUE_BOUNCE, "5.0.0"},
        {MAIL_QUEUE_DEFER, "4.0.0"},
        {MAIL_QUEUE_TRACE, "2.0.0"},
    };
    const char *def = "5.0.0";
    struct bounce_log *log;
    struct buf *data;
    char chunk[8192];
    ssize_t n;
    size_t i;
    int fd;

    for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
        if (strcmp(queue, defaults[i][0]) == 0)
            def = defaults[i][1];
    if ((fd = mail_queue_open(queue, queue_id, O_RDONLY | O_CLOEXEC, 0)) < 0) {
        if (errno != ENOENT)
            msg_warn("open %s/%s: %m", queue, queue_id);
        return NULL;
    }
    data = buf_alloc(4096);
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            msg_warn("read %s/%s: %m", queue, queue_id);
            break;
        }
        buf_append(data, chunk, (size_t)n);
    }
    close(fd);
    log = bounce_log_parse(buf_str(data), buf_len(data), def);
    if (log->bad)
        msg_warn("%s: %zu malformed record(s) in %s log ignored", queue_id,
                 log->bad, queue);
    buf_free(data);
    return log;
}

static void remove_log(const char *queue, const char *queue_id)
{
    if (mail_queue_remove(queue, queue_id) < 0 && errno != ENOENT)
        msg_warn("remove %s/%s: %m", queue, queue_id);
}

/* double_bounce_sender, qualified with myorigin. */
static void double_bounce_addr(struct buf *out)
{
    buf_set_str(out, var_double_bounce_sender);
    if (strchr(var_double_bounce_sender, '@') == NULL)
        buf_append_printf(out, "@%s", var_myorigin);
}

static int is_double_bounce(const char *sender)
{
    struct buf *db = buf_alloc(64);
    int ret;

    double_bounce_addr(db);
    ret = *sender != 0 && strcasecmp(sender, buf_str(db)) == 0;
    buf_free(db);
    return ret;
}

/* Send one notice; 0 when cleanup queued it. */
static int send_notice(struct bounce_notice *notice,
                       const struct bounce_original *orig,
                       const struct bounce_log *log, const char *env_sender,
                       const char *label)
{
    struct cleanup_client *cl;
    struct buf *text;
    struct buf *reason;
    struct timeval tv;
    const char *p;
    const char *nl;
    unsigned status;

    if ((cl = cleanup_client_open(CLEANUP_PATH, CLEANUP_FLAG_MAP_OK,
                                  var_ipc_timeout)) == NULL) {
        msg_warn("%s: cannot send %s: cleanup service unavailable",
                 orig->queue_id, label);
        return -1;
    }
    gettimeofday(&tv, NULL);
    notice->now = tv.tv_sec;
    notice->new_queue_id = cl->queue_id;
    text = buf_alloc(8192);
    bounce_notice_compose(text, notice, orig, log);

    rec_fprintf(cl->stream, REC_TYPE_TIME, REC_TYPE_TIME_FORMAT,
                (long)tv.tv_sec, (long)tv.tv_usec);
    rec_puts(cl->stream, REC_TYPE_ATTR, "log_message_origin=local");
    rec_puts(cl->stream, REC_TYPE_ATTR, "trace_flags=0");
    rec_puts(cl->stream, REC_TYPE_FROM, env_sender);
    rec_puts(cl->stream, REC_TYPE_RCPT, notice->to);
    rec_put(cl->stream, REC_TYPE_MESG, "", 0);
    for (p = buf_str(text); p < buf_end(text); p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(buf_end(text) - p));
        if (nl == NULL)
            nl = buf_end(text);
        rec_put(cl->stream, REC_TYPE_NORM, p, (size_t)(nl - p));
    }
    rec_put(cl->stream, REC_TYPE_XTRA, "", 0);
    rec_put(cl->stream, REC_TYPE_END, "", 0);
    reason = buf_alloc(100);
    status = (unsigned)cleanup_client_finish(cl, reason);
    if (status == CLEANUP_STAT_OK)
        msg_info("%s: %s: %s", orig->queue_id, label, cl->queue_id);
    else
        msg_warn("%s: %s not queued: %s", orig->queue_id, label,
                 buf_len(reason) ? buf_str(reason) : cleanup_strerror(status));
    cleanup_client_close(cl);
    buf_free(reason);
    buf_free(text);
    return status == CLEANUP_STAT_OK ? 0 : -1;
}

static void notice_init(struct bounce_notice *n, enum bounce_notice_kind kind,
                        const struct bounce_request *req)
{
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->smtputf8 = req->smtputf8 != 0;
    n->myhostname = var_myhostname;
    n->myorigin = var_myorigin;
    n->mail_name = var_mail_name;
    n->delay_warning_time = var_delay_warn_time;
    n->max_queue_lifetime = var_max_queue_lifetime;
}

static struct bounce_qfile *original_init(struct bounce_original *orig,
                                          const struct bounce_request *req)
{
    struct bounce_qfile *qf = bounce_qfile_create();

    memset(orig, 0, sizeof(*orig));
    orig->queue_id = req->queue_id;
    orig->sender = req->sender;
    orig->envelope_id = req->envelope_id;
    if (mail_queue_name_ok(req->queue_name) &&
        bounce_qfile_read(qf, req->queue_name, req->queue_id,
                          var_bounce_size_limit) == 0) {
        orig->have_file = 1;
        orig->arrival = qf->arrival;
        orig->headers = buf_str(qf->headers);
        orig->body = buf_str(qf->body);
        orig->too_big = qf->too_big;
    }
    return qf;
}

/* Non-delivery notices for a log (FLUSH, ONE); 0 or -1. */
static int notify_failure(const struct bounce_request *req,
                          const struct bounce_log *log, int defer_failed)
{
    struct bounce_original orig;
    struct bounce_qfile *qf;
    struct bounce_notice n;
    struct buf *db = buf_alloc(64);
    struct buf *to = buf_alloc(64);
    int classes = bounce_notify_classes(var_notify_classes);
    int ret = 0;

    if (is_double_bounce(req->sender)) {
        msg_warn("%s: undeliverable postmaster notification discarded",
                 req->queue_id);
        goto out;
    }
    double_bounce_addr(db);
    qf = original_init(&orig, req);
    if (*req->sender) {
        notice_init(&n, BOUNCE_NOTICE_FAILURE, req);
        n.defer_failed = defer_failed;
        n.headers_only = (req->ret_flags & DSN_RET_HDRS) != 0;
        bounce_quote_addr(to, req->sender);
        n.to = buf_str(to);
        if (bounce_notice_count(&n, log) > 0 &&
            send_notice(&n, &orig, log, "",
                        "sender non-delivery notification") < 0)
            ret = -1;
        if (ret == 0 && (classes & NOTIFY_CLASS_BOUNCE)) {
            notice_init(&n, BOUNCE_NOTICE_FAILURE, req);
            n.postmaster = 1;
            n.defer_failed = defer_failed;
            n.headers_only = 1;
            n.to = var_bounce_rcpt;
            (void)send_notice(&n, &orig, log, buf_str(db),
                              "postmaster non-delivery notification");
        }
    } else if (classes & (NOTIFY_CLASS_2BOUNCE | NOTIFY_CLASS_BOUNCE)) {
        notice_init(&n, BOUNCE_NOTICE_FAILURE, req);
        n.postmaster = 1;
        n.defer_failed = defer_failed;
        n.to = var_2bounce_rcpt;
        if (send_notice(&n, &orig, log, buf_str(db),
                        "postmaster non-delivery notification") < 0)
            ret = -1;
    }
    bounce_qfile_free(qf);
out:
    buf_free(db);
    buf_free(to);
    return ret;
}

int bounce_notify_flush(const char *log_queue, const struct bounce_request *req,
                        int defer_failed)
{
    struct bounce_log *log;
    int ret;

    if (!queue_id_valid(req->queue_id)) {
        msg_warn("malformed queue ID in request: \"%.100s\"", req->queue_id);
        return -1;
    }
    if ((log = read_log(log_queue, req->queue_id)) == NULL)
        return 0;
    ret = notify_failure(req, log, defer_failed);
    if (ret == 0)
        remove_log(log_queue, req->queue_id);
    bounce_log_free(log);
    return ret;
}

int bounce_notify_one(const struct bounce_request *req,
                      const struct bounce_rcpt *rcpt,
                      const struct bounce_dsn *dsn)
{
    struct bounce_log *log;
    int ret;

    if (!queue_id_valid(req->queue_id)) {
        msg_warn("malformed queue ID in request: \"%.100s\"", req->queue_id);
        return -1;
    }
    log = bounce_log_create();
    bounce_log_add(log, rcpt, dsn);
    ret = notify_failure(req, log, 0);
    bounce_log_free(log);
    return ret;
}

int bounce_notify_warn(const struct bounce_request *req)
{
    struct bounce_original orig;
    struct bounce_qfile *qf;
    struct bounce_notice n;
    struct bounce_log *log;
    struct buf *db;
    struct buf *to;
    int classes = bounce_notify_classes(var_notify_classes);
    int ret = 0;

    if (!queue_id_valid(req->queue_id)) {
        msg_warn("malformed queue ID in request: \"%.100s\"", req->queue_id);
        return -1;
    }
    if (is_double_bounce(req->sender))
        return 0;
    if ((log = read_log(MAIL_QUEUE_DEFER, req->queue_id)) == NULL)
        return 0;
    db = buf_alloc(64);
    to = buf_alloc(64);
    double_bounce_addr(db);
    qf = original_init(&orig, req);
    if (*req->sender) {
        notice_init(&n, BOUNCE_NOTICE_DELAY, req);
        n.headers_only = 1;
        bounce_quote_addr(to, req->sender);
        n.to = buf_str(to);
        if (bounce_notice_count(&n, log) > 0 &&
            send_notice(&n, &orig, log, "", "sender delay notification") < 0)
            ret = -1;
    }
    if (ret == 0 && (classes & NOTIFY_CLASS_DELAY)) {
        notice_init(&n, BOUNCE_NOTICE_DELAY, req);
        n.postmaster = 1;
        n.headers_only = 1;
        n.to = var_delay_rcpt;
        (void)send_notice(&n, &orig, log, buf_str(db),
                          "postmaster delay notification");
    }
    bounce_qfile_free(qf);
    bounce_log_free(log);
    buf_free(db);
    buf_free(to);
    return ret;
}

int bounce_notify_trace(const struct bounce_request *req)
{
    struct bounce_original orig;
    struct bounce_qfile *qf;
    struct bounce_notice n;
    struct bounce_log *log;
    struct buf *to;
    int ret = 0;

    if (!queue_id_valid(req->queue_id)) {
        msg_warn("malformed queue ID in request: \"%.100s\"", req->queue_id);
        return -1;
    }
    if ((log = read_log(MAIL_QUEUE_TRACE, req->queue_id)) == NULL)
        return 0;
    if (*req->sender && !is_double_bounce(req->sender)) {
        to = buf_alloc(64);
        qf = original_init(&orig, req);
        notice_init(&n,
                    (req->flags & BOUNCE_FLAG_RECORD) ? BOUNCE_NOTICE_RECORD
                                                      : BOUNCE_NOTICE_SUCCESS,
                    req);
        n.headers_only = 1;
        bounce_quote_addr(to, req->sender);
        n.to = buf_str(to);
        if (bounce_notice_count(&n, log) > 0 &&
            send_notice(&n, &orig, log, "",
                        "sender delivery status notification") < 0)
            ret = -1;
        bounce_qfile_free(qf);
        buf_free(to);
    }
    if (ret == 0)
        remove_log(MAIL_QUEUE_TRACE, req->queue_id);
    bounce_log_free(log);
    return ret;
}
