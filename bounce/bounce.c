/*
 * bounce - the bounce, defer and trace services
 *
 * One program serves three master.cf services (spec f.1-f.5):
 *	bounce	unix - - n - 0 bounce	non-delivery: bounce/<id> logs
 *	defer	unix - - n - 0 bounce	delays: defer/<id> logs
 *	trace	unix - - n - 0 bounce	delivery reports: trace/<id> logs
 * Which log a connection works on is the service name it was started
 * for ("defer" -> defer/, "trace" -> trace/, anything else -> bounce/).
 *
 * Protocol (bounce_proto.h): on accept the service announces
 * delivery_status_protocol; the client sends one attribute list,
 * nrequest first; the service answers status=0 (done) or non-zero (try
 * again later). Requests:
 *	APPEND	add a recipient's status to the log (bounce_append.c)
 *	FLUSH	send the non-delivery notice for the log and remove it
 *		(on the defer service: an expired message's defer log,
 *		delayed recipients reported as failed)
 *	WARN	send a delay warning for the defer log, keep it
 *	TRACE	send the delivery report for the trace log, remove it
 *	ONE	send a non-delivery notice about one recipient
 *	VERP	as FLUSH (one combined notice; Postern does not split it
 *		per recipient)
 * A malformed request (missing or unexpected attributes, unknown
 * nrequest) gets status -1 and a warning "malformed request" or
 * "unknown command: N", as Postfix's bounce answers.
 *
 * Notices (bounce_notify.c, bounce_notice.c) are RFC 3464 reports sent
 * through the cleanup service (public/cleanup).
 *
 * Configuration parameters (main.cf, defaults as Postfix 3.7):
 *	bounce_size_limit (50000) attach only the headers of larger
 *		messages
 *	bounce_notice_recipient (postmaster) postmaster copies of
 *		non-delivery notices (notify_classes bounce)
 *	2bounce_notice_recipient (postmaster) undeliverable notices
 *		(notify_classes 2bounce)
 *	delay_notice_recipient (postmaster) postmaster copies of delay
 *		warnings (notify_classes delay)
 *	error_notice_recipient (postmaster) read for completeness: the
 *		classes it serves (protocol, policy, resource, software)
 *		are reported by smtpd and cleanup, not by bounce
 *	double_bounce_sender (double-bounce) sender of postmaster notices
 *	notify_classes (resource, software)
 *	maximal_queue_lifetime (5d) Will-Retry-Until and the delay text
 *	delay_warning_time (0h) the delay text
 *	backwards_bounce_logfile_compatibility (yes) legacy log line
 *	myhostname, myorigin, mail_name, ipc_timeout,
 *	hash_queue_names, hash_queue_depth
 *	bounce_template_file (empty) not supported: a non-empty value is
 *		ignored with a warning; the built-in templates are used
 *
 * Diagnostics: warnings for malformed requests and failed log or cleanup
 * operations; fatal only for configuration errors.
 */
#include <string.h>
#include <strings.h>

#include "attr.h"
#include "bounce.h"
#include "bounce_proto.h"
#include "conf.h"
#include "mail_queue.h"
#include "mem.h"
#include "msg.h"
#include "param.h"
#include "server.h"

int var_bounce_size_limit;
char *var_bounce_rcpt;
char *var_2bounce_rcpt;
char *var_delay_rcpt;
char *var_error_rcpt;
char *var_double_bounce_sender;
char *var_notify_classes;
int var_max_queue_lifetime;
int var_delay_warn_time;
int var_bounce_logfile_compat;
char *var_myhostname;
char *var_myorigin;
char *var_mail_name;
int var_ipc_timeout;
static char *var_hash_queue_names;
static int var_hash_queue_depth;
static char *var_bounce_template_file;
static int var_line_length_limit;

static const struct server_param bounce_params[] = {
    SERVER_INT("bounce_size_limit", &var_bounce_size_limit),
    SERVER_STR("bounce_notice_recipient", &var_bounce_rcpt),
    SERVER_STR("2bounce_notice_recipient", &var_2bounce_rcpt),
    SERVER_STR("delay_notice_recipient", &var_delay_rcpt),
    SERVER_STR("error_notice_recipient", &var_error_rcpt),
    SERVER_STR("double_bounce_sender", &var_double_bounce_sender),
    SERVER_STR("notify_classes", &var_notify_classes),
    SERVER_TIME("maximal_queue_lifetime", &var_max_queue_lifetime),
    SERVER_TIME("delay_warning_time", &var_delay_warn_time),
    SERVER_INT("backwards_bounce_logfile_compatibility",
               &var_bounce_logfile_compat),
    SERVER_STR("myhostname", &var_myhostname),
    SERVER_STR("myorigin", &var_myorigin),
    SERVER_STR("mail_name", &var_mail_name),
    SERVER_TIME("ipc_timeout", &var_ipc_timeout),
    SERVER_STR("hash_queue_names", &var_hash_queue_names),
    SERVER_INT("hash_queue_depth", &var_hash_queue_depth),
    SERVER_STR("bounce_template_file", &var_bounce_template_file),
    SERVER_INT("line_length_limit", &var_line_length_limit),
    SERVER_PARAM_END,
};

int bounce_notify_classes(const char *list)
{
    static const struct {
        const char *name;
        int bit;
    } classes[] = {
        {"policy", NOTIFY_CLASS_POLICY},
        {"protocol", NOTIFY_CLASS_PROTOCOL},
        {"bounce", NOTIFY_CLASS_BOUNCE},
        {"software", NOTIFY_CLASS_SOFTWARE},
        {"resource", NOTIFY_CLASS_RESOURCE},
        {"2bounce", NOTIFY_CLASS_2BOUNCE},
        {"delay", NOTIFY_CLASS_DELAY},
        {"data", NOTIFY_CLASS_DATA},
    };
    const char *p = list ? list : "";
    const char *word;
    size_t len;
    size_t i;
    int mask = 0;

    while (*p) {
        while (*p && strchr(", \t\r\n", *p))
            p++;
        word = p;
        while (*p && !strchr(", \t\r\n", *p))
            p++;
        if ((len = (size_t)(p - word)) == 0)
            continue;
        for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
            if (strlen(classes[i].name) == len &&
                strncasecmp(classes[i].name, word, len) == 0) {
                mask |= classes[i].bit;
                break;
            }
        }
        if (i == sizeof(classes) / sizeof(classes[0]))
            msg_warn("unknown notify_classes value: %.*s", (int)len, word);
    }
    return mask;
}

/* The log queue of this service. */
static const char *service_queue(const char *service)
{
    if (strcmp(service, BOUNCE_SERVICE_DEFER) == 0)
        return MAIL_QUEUE_DEFER;
    if (strcmp(service, BOUNCE_SERVICE_TRACE) == 0)
        return MAIL_QUEUE_TRACE;
    return MAIL_QUEUE_BOUNCE;
}

/* Scratch buffers of one request. */
struct bounce_bufs {
    struct buf *queue_name;
    struct buf *queue_id;
    struct buf *encoding;
    struct buf *sender;
    struct buf *envid;
    struct buf *verp;
    struct buf *orcpt;
    struct buf *rcpt;
    struct buf *dsn_orcpt;
    struct buf *status;
    struct buf *diag_type;
    struct buf *diag_text;
    struct buf *mta_type;
    struct buf *mta_mname;
    struct buf *action;
    struct buf *reason;
};

static void bufs_alloc(struct bounce_bufs *b)
{
    b->queue_name = buf_alloc(32);
    b->queue_id = buf_alloc(32);
    b->encoding = buf_alloc(16);
    b->sender = buf_alloc(64);
    b->envid = buf_alloc(64);
    b->verp = buf_alloc(16);
    b->orcpt = buf_alloc(64);
    b->rcpt = buf_alloc(64);
    b->dsn_orcpt = buf_alloc(64);
    b->status = buf_alloc(16);
    b->diag_type = buf_alloc(16);
    b->diag_text = buf_alloc(128);
    b->mta_type = buf_alloc(16);
    b->mta_mname = buf_alloc(64);
    b->action = buf_alloc(16);
    b->reason = buf_alloc(128);
}

static void bufs_free(struct bounce_bufs *b)
{
    buf_free(b->queue_name);
    buf_free(b->queue_id);
    buf_free(b->encoding);
    buf_free(b->sender);
    buf_free(b->envid);
    buf_free(b->verp);
    buf_free(b->orcpt);
    buf_free(b->rcpt);
    buf_free(b->dsn_orcpt);
    buf_free(b->status);
    buf_free(b->diag_type);
    buf_free(b->diag_text);
    buf_free(b->mta_type);
    buf_free(b->mta_mname);
    buf_free(b->action);
    buf_free(b->reason);
}

#define RCPT_DSN_ITEMS(b, r)                                                   \
    ATTR_RECV_STR(BOUNCE_ATTR_ORCPT, (b)->orcpt),                              \
        ATTR_RECV_STR(BOUNCE_ATTR_RECIP, (b)->rcpt),                           \
        ATTR_RECV_LONG(BOUNCE_ATTR_OFFSET, &(r)->offset),                      \
        ATTR_RECV_STR(BOUNCE_ATTR_DSN_ORCPT, (b)->dsn_orcpt),                  \
        ATTR_RECV_INT(BOUNCE_ATTR_NOTIFY_FLAGS, &(r)->notify_flags),           \
        ATTR_RECV_STR(BOUNCE_ATTR_DSN_STATUS, (b)->status),                    \
        ATTR_RECV_STR(BOUNCE_ATTR_DIAG_TYPE, (b)->diag_type),                  \
        ATTR_RECV_STR(BOUNCE_ATTR_DIAG_TEXT, (b)->diag_text),                  \
        ATTR_RECV_STR(BOUNCE_ATTR_MTA_TYPE, (b)->mta_type),                    \
        ATTR_RECV_STR(BOUNCE_ATTR_MTA_MNAME, (b)->mta_mname),                  \
        ATTR_RECV_STR(BOUNCE_ATTR_ACTION, (b)->action),                        \
        ATTR_RECV_STR(BOUNCE_ATTR_REASON, (b)->reason)
#define RCPT_DSN_COUNT 12

#define MSG_ITEMS(b, q)                                                        \
    ATTR_RECV_INT(BOUNCE_ATTR_FLAGS, &(q)->flags),                             \
        ATTR_RECV_STR(BOUNCE_ATTR_QUEUE, (b)->queue_name),                     \
        ATTR_RECV_STR(BOUNCE_ATTR_QUEUEID, (b)->queue_id),                     \
        ATTR_RECV_STR(BOUNCE_ATTR_ENCODING, (b)->encoding),                    \
        ATTR_RECV_INT(BOUNCE_ATTR_SMTPUTF8, &(q)->smtputf8),                   \
        ATTR_RECV_STR(BOUNCE_ATTR_SENDER, (b)->sender),                        \
        ATTR_RECV_STR(BOUNCE_ATTR_ENVID, (b)->envid),                          \
        ATTR_RECV_INT(BOUNCE_ATTR_RET, &(q)->ret_flags)
#define MSG_COUNT 8

static void fill_rcpt_dsn(struct bounce_bufs *b, struct bounce_rcpt *r,
                          struct bounce_dsn *d)
{
    r->original_recipient = buf_str(b->orcpt);
    r->recipient = buf_str(b->rcpt);
    r->dsn_orig_rcpt = buf_str(b->dsn_orcpt);
    d->status = buf_str(b->status);
    d->action = buf_str(b->action);
    d->reason = buf_str(b->reason);
    d->diag_type = buf_str(b->diag_type);
    d->diag_text = buf_str(b->diag_text);
    d->mta_type = buf_str(b->mta_type);
    d->mta_mname = buf_str(b->mta_mname);
}

static void fill_request(struct bounce_bufs *b, struct bounce_request *q)
{
    q->queue_name = buf_str(b->queue_name);
    q->queue_id = buf_str(b->queue_id);
    q->encoding = buf_str(b->encoding);
    q->sender = buf_str(b->sender);
    q->envelope_id = buf_str(b->envid);
}

/* Read the rest of the request and do it; the reply status. */
static int bounce_request(struct stream *client, const char *service,
                          int nrequest, struct bounce_bufs *b)
{
    struct bounce_request req;
    struct bounce_rcpt rcpt;
    struct bounce_dsn dsn;
    int flags = 0;
    int n;

    memset(&req, 0, sizeof(req));
    memset(&rcpt, 0, sizeof(rcpt));
    memset(&dsn, 0, sizeof(dsn));
    switch (nrequest) {
    case BOUNCE_CMD_APPEND:
        n = attr_scan(client, ATTR_FLAG_STRICT,
                      ATTR_RECV_INT(BOUNCE_ATTR_FLAGS, &flags),
                      ATTR_RECV_STR(BOUNCE_ATTR_QUEUEID, b->queue_id),
                      RCPT_DSN_ITEMS(b, &rcpt), ATTR_END);
        if (n != 2 + RCPT_DSN_COUNT)
            break;
        fill_rcpt_dsn(b, &rcpt, &dsn);
        return bounce_append_log(service_queue(service), buf_str(b->queue_id),
                                 &rcpt, &dsn);
    case BOUNCE_CMD_FLUSH:
    case BOUNCE_CMD_WARN:
    case BOUNCE_CMD_TRACE:
        n = attr_scan(client, ATTR_FLAG_STRICT, MSG_ITEMS(b, &req), ATTR_END);
        if (n != MSG_COUNT)
            break;
        fill_request(b, &req);
        if (nrequest == BOUNCE_CMD_WARN)
            return bounce_notify_warn(&req);
        if (nrequest == BOUNCE_CMD_TRACE)
            return bounce_notify_trace(&req);
        return bounce_notify_flush(
            service_queue(service), &req,
            strcmp(service_queue(service), MAIL_QUEUE_DEFER) == 0);
    case BOUNCE_CMD_VERP:
        n = attr_scan(client, ATTR_FLAG_STRICT, MSG_ITEMS(b, &req),
                      ATTR_RECV_STR(BOUNCE_ATTR_VERPDL, b->verp), ATTR_END);
        if (n != MSG_COUNT + 1)
            break;
        if (buf_len(b->verp) != 2) {
            msg_warn("malformed verp delimiter string: %.100s",
                     buf_str(b->verp));
            return -1;
        }
        fill_request(b, &req);
        return bounce_notify_flush(service_queue(service), &req, 0);
    case BOUNCE_CMD_ONE:
        n = attr_scan(client, ATTR_FLAG_STRICT, MSG_ITEMS(b, &req),
                      RCPT_DSN_ITEMS(b, &rcpt), ATTR_END);
        if (n != MSG_COUNT + RCPT_DSN_COUNT)
            break;
        fill_request(b, &req);
        fill_rcpt_dsn(b, &rcpt, &dsn);
        return bounce_notify_one(&req, &rcpt, &dsn);
    default:
        msg_warn("unknown command: %d", nrequest);
        return -1;
    }
    msg_warn("malformed request");
    return -1;
}

static void bounce_serve(struct stream *client, const char *service,
                         char **argv)
{
    struct bounce_bufs b;
    int nrequest = -1;
    int status;

    (void)argv;
    if (attr_announce(client, BOUNCE_PROTOCOL) < 0)
        return;
    bufs_alloc(&b);
    if (attr_scan(client, ATTR_FLAG_MORE | ATTR_FLAG_STRICT,
                  ATTR_RECV_INT(BOUNCE_ATTR_NREQ, &nrequest), ATTR_END) != 1) {
        /* The client went away or sent something else: say no. */
        if (stream_error(client) == 0) {
            msg_warn("malformed request");
            status = -1;
            goto reply;
        }
        goto out;
    }
    status = bounce_request(client, service, nrequest, &b);
reply:
    attr_print(client, ATTR_FLAG_NONE,
               ATTR_SEND_INT(BOUNCE_ATTR_STATUS, status == 0 ? 0 : -1),
               ATTR_END);
    stream_flush(client);
out:
    bufs_free(&b);
}

static void bounce_post_init(const char *service, char **argv)
{
    (void)service;
    (void)argv;
    if (mail_queue_set_hashing(var_hash_queue_names, var_hash_queue_depth) < 0)
        msg_fatal("invalid hash_queue_names or hash_queue_depth");
    if (var_bounce_template_file && *var_bounce_template_file)
        msg_warn("bounce_template_file is not supported; using the built-in "
                 "templates");
    if (var_line_length_limit > 0)
        attr_set_limit(4 * (size_t)var_line_length_limit);
}

int main(int argc, char **argv)
{
    static const struct server_ops ops = {
        .model = SERVER_SINGLE,
        .params = bounce_params,
        .post_init = bounce_post_init,
        .serve = bounce_serve,
    };

    server_main(argc, argv, &ops);
}
