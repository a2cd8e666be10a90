/*
 * bounce_client - ask the bounce, defer and trace services to log or notify
 *
 * Delivery agents report each recipient they could not deliver (or, for
 * trace, each one they did) to the bounce service, which keeps one log
 * file per message and later sends the sender an RFC 3464 delivery status
 * notification. The queue managers ask for those notices. The protocol is
 * specified in bounce_proto.h: connect to private/<service>, read the
 * delivery_status_protocol announcement, send one attribute list with
 * nrequest first, read status=<int>.
 *
 * Public functions (bounce_client.h):
 *	bounce_append(flags, queue_id, rcpt, dsn)	APPEND to private/bounce
 *	defer_append(flags, queue_id, rcpt, dsn)	APPEND to private/defer
 *	trace_append(flags, queue_id, rcpt, dsn)	APPEND to private/trace
 *	bounce_flush(flags, msg)	FLUSH to private/bounce
 *	defer_flush(flags, msg)		FLUSH to private/defer
 *	defer_warn(flags, msg)		WARN to private/defer
 *	trace_flush(flags, msg)		TRACE to private/trace
 *	bounce_one(flags, msg, rcpt, dsn)	ONE to private/bounce
 *	bounce_client_set_timeout(seconds)
 * Each returns 0 when the service answered status 0, else -1. NULL
 * strings travel as "". A recipient's notify_flags and offset travel as
 * given (the offset -1 as the unsigned text of -1, as Postfix sends it).
 *
 * Who logs what: the caller logs its own delivery line ("to=<...>,
 * relay=..., status=bounced (...)"); these functions log nothing on
 * success. A caller whose bounce_append() failed should defer the
 * recipient instead (defer_append), as Postfix's agents do.
 *
 * soft_bounce is the caller's business too: an agent with soft_bounce =
 * yes calls defer_append() where it would call bounce_append().
 *
 * Diagnostics: a warning naming the service when it cannot be reached,
 * announces another protocol, or answers with a broken reply.
 *
 * Configuration parameters: ipc_timeout (through the server skeleton's
 * server_ipc_timeout when set; bounce_client_set_timeout() overrides).
 */
#include <string.h>

#include "attr.h"
#include "bounce_client.h"
#include "buf.h"
#include "msg.h"
#include "server.h"
#include "sock.h"
#include "stream.h"

static int bounce_client_timeout;

void bounce_client_set_timeout(int seconds)
{
    bounce_client_timeout = seconds;
}

static int bounce_client_get_timeout(void)
{
    if (bounce_client_timeout > 0)
        return bounce_client_timeout;
    if (server_ipc_timeout > 0)
        return server_ipc_timeout;
    return 3600;
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

/* Connect to private/<service> and check the announcement. */
static struct stream *bounce_client_connect(const char *service)
{
    struct buf *path = buf_alloc(64);
    struct stream *sp;
    int timeout = bounce_client_get_timeout();
    int fd;

    buf_printf(path, "%s/%s", BOUNCE_CLASS_PRIVATE, service);
    if ((fd = unix_connect(buf_str(path), timeout * 1000)) < 0) {
        msg_warn("connect to %s: %m", buf_str(path));
        buf_free(path);
        return NULL;
    }
    sp = stream_fdopen(fd, 1);
    stream_set_timeout(sp, timeout);
    if (attr_expect_announce(sp, BOUNCE_PROTOCOL) < 0) {
        msg_warn("%s: no %s service announcement", buf_str(path), service);
        stream_close(sp);
        buf_free(path);
        return NULL;
    }
    buf_free(path);
    return sp;
}

/* Send what the caller wrote, read status=<int>; 0 or -1. */
static int bounce_client_finish(struct stream *sp, const char *service)
{
    int status = -1;

    if (stream_flush(sp) < 0 || stream_error(sp)) {
        msg_warn("write to private/%s: %s", service,
                 stream_strerror(stream_error(sp)));
    } else if (attr_scan(sp, ATTR_FLAG_STRICT,
                         ATTR_RECV_INT(BOUNCE_ATTR_STATUS, &status),
                         ATTR_END) != 1) {
        msg_warn("private/%s: malformed or missing reply", service);
        status = -1;
    }
    stream_close(sp);
    return status == 0 ? 0 : -1;
}

static void print_rcpt_dsn(struct stream *sp, const struct bounce_rcpt *rcpt,
                           const struct bounce_dsn *dsn)
{
    attr_print(
        sp, ATTR_FLAG_MORE,
        ATTR_SEND_STR(BOUNCE_ATTR_ORCPT,
                      str_or_empty(rcpt->original_recipient)),
        ATTR_SEND_STR(BOUNCE_ATTR_RECIP, str_or_empty(rcpt->recipient)),
        ATTR_SEND_LONG(BOUNCE_ATTR_OFFSET, rcpt->offset),
        ATTR_SEND_STR(BOUNCE_ATTR_DSN_ORCPT, str_or_empty(rcpt->dsn_orig_rcpt)),
        ATTR_SEND_INT(BOUNCE_ATTR_NOTIFY_FLAGS, rcpt->notify_flags),
        ATTR_SEND_STR(BOUNCE_ATTR_DSN_STATUS, str_or_empty(dsn->status)),
        ATTR_SEND_STR(BOUNCE_ATTR_DIAG_TYPE, str_or_empty(dsn->diag_type)),
        ATTR_SEND_STR(BOUNCE_ATTR_DIAG_TEXT, str_or_empty(dsn->diag_text)),
        ATTR_SEND_STR(BOUNCE_ATTR_MTA_TYPE, str_or_empty(dsn->mta_type)),
        ATTR_SEND_STR(BOUNCE_ATTR_MTA_MNAME, str_or_empty(dsn->mta_mname)),
        ATTR_SEND_STR(BOUNCE_ATTR_ACTION, str_or_empty(dsn->action)),
        ATTR_SEND_STR(BOUNCE_ATTR_REASON, str_or_empty(dsn->reason)), ATTR_END);
}

static int bounce_client_append(const char *service, int flags,
                                const char *queue_id,
                                const struct bounce_rcpt *rcpt,
                                const struct bounce_dsn *dsn)
{
    struct stream *sp;

    if ((sp = bounce_client_connect(service)) == NULL)
        return -1;
    attr_print(
        sp, ATTR_FLAG_MORE, ATTR_SEND_INT(BOUNCE_ATTR_NREQ, BOUNCE_CMD_APPEND),
        ATTR_SEND_INT(BOUNCE_ATTR_FLAGS, flags),
        ATTR_SEND_STR(BOUNCE_ATTR_QUEUEID, str_or_empty(queue_id)), ATTR_END);
    print_rcpt_dsn(sp, rcpt, dsn);
    attr_print(sp, ATTR_FLAG_NONE, ATTR_END);
    return bounce_client_finish(sp, service);
}

int bounce_append(int flags, const char *queue_id,
                  const struct bounce_rcpt *rcpt, const struct bounce_dsn *dsn)
{
    return bounce_client_append(BOUNCE_SERVICE_BOUNCE, flags, queue_id, rcpt,
                                dsn);
}

int defer_append(int flags, const char *queue_id,
                 const struct bounce_rcpt *rcpt, const struct bounce_dsn *dsn)
{
    return bounce_client_append(BOUNCE_SERVICE_DEFER, flags, queue_id, rcpt,
                                dsn);
}

int trace_append(int flags, const char *queue_id,
                 const struct bounce_rcpt *rcpt, const struct bounce_dsn *dsn)
{
    return bounce_client_append(BOUNCE_SERVICE_TRACE, flags, queue_id, rcpt,
                                dsn);
}

/* The attributes every notice request starts with, list left open. */
static void print_msg(struct stream *sp, int nrequest, int flags,
                      const struct bounce_msg *msg)
{
    attr_print(sp, ATTR_FLAG_MORE, ATTR_SEND_INT(BOUNCE_ATTR_NREQ, nrequest),
               ATTR_SEND_INT(BOUNCE_ATTR_FLAGS, flags),
               ATTR_SEND_STR(BOUNCE_ATTR_QUEUE, str_or_empty(msg->queue_name)),
               ATTR_SEND_STR(BOUNCE_ATTR_QUEUEID, str_or_empty(msg->queue_id)),
               ATTR_SEND_STR(BOUNCE_ATTR_ENCODING, str_or_empty(msg->encoding)),
               ATTR_SEND_INT(BOUNCE_ATTR_SMTPUTF8, msg->smtputf8),
               ATTR_SEND_STR(BOUNCE_ATTR_SENDER, str_or_empty(msg->sender)),
               ATTR_SEND_STR(BOUNCE_ATTR_ENVID, str_or_empty(msg->envelope_id)),
               ATTR_SEND_INT(BOUNCE_ATTR_RET, msg->ret_flags), ATTR_END);
}

static int bounce_client_notify(const char *service, int nrequest, int flags,
                                const struct bounce_msg *msg)
{
    struct stream *sp;

    if ((sp = bounce_client_connect(service)) == NULL)
        return -1;
    print_msg(sp, nrequest, flags, msg);
    attr_print(sp, ATTR_FLAG_NONE, ATTR_END);
    return bounce_client_finish(sp, service);
}

int bounce_flush(int flags, const struct bounce_msg *msg)
{
    return bounce_client_notify(BOUNCE_SERVICE_BOUNCE, BOUNCE_CMD_FLUSH, flags,
                                msg);
}

int defer_flush(int flags, const struct bounce_msg *msg)
{
    return bounce_client_notify(BOUNCE_SERVICE_DEFER, BOUNCE_CMD_FLUSH, flags,
                                msg);
}

int defer_warn(int flags, const struct bounce_msg *msg)
{
    return bounce_client_notify(BOUNCE_SERVICE_DEFER, BOUNCE_CMD_WARN, flags,
                                msg);
}

int trace_flush(int flags, const struct bounce_msg *msg)
{
    return bounce_client_notify(BOUNCE_SERVICE_TRACE, BOUNCE_CMD_TRACE, flags,
                                msg);
}

int bounce_one(int flags, const struct bounce_msg *msg,
               const struct bounce_rcpt *rcpt, const struct bounce_dsn *dsn)
{
    struct stream *sp;

    if ((sp = bounce_client_connect(BOUNCE_SERVICE_BOUNCE)) == NULL)
        return -1;
    print_msg(sp, BOUNCE_CMD_ONE, flags, msg);
    print_rcpt_dsn(sp, rcpt, dsn);
    attr_print(sp, ATTR_FLAG_NONE, ATTR_END);
    return bounce_client_finish(sp, BOUNCE_SERVICE_BOUNCE);
}
