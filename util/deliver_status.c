/*
 * deliver_status - report one recipient's outcome, as every agent does
 *
 * A delivery agent decides per recipient: delivered, failed for good, or
 * try again later. What follows from that is the same in every agent
 * (discard, error, local, smtp, pipe), and is here: the bounce, defer
 * and trace services get their records (bounce_client.h), the log line
 * is written (deliver_log.h), and a recipient whose outcome is on record
 * is marked done in the queue file (deliver_completed()).
 *
 * Public functions:
 *	deliver_status_init()
 *		reads the parameters below from the server skeleton's
 *		configuration (call it from post_init)
 *	deliver_status_configure(soft_bounce, resolution, external)
 *		the same, given directly (tests)
 *	deliver_sent(req, i, relay, dsn)
 *		recipient i was delivered. dsn->status must be of class 2
 *		(otherwise warning 'sent: ignoring dsn code "X"' and 2.0.0).
 *		A trace record (action "delivered") is written when the
 *		request has DEL_REQ_FLAG_RECORD, when the recipient's
 *		NOTIFY has SUCCESS, or with DEL_REQ_FLAG_REC_DLY_SENT when
 *		NOTIFY is empty or has DELAY; if that fails, the recipient
 *		is deferred instead (4.3.0 "QID: trace service failed").
 *		Logs status=sent; marks the recipient done when the request
 *		has DEL_REQ_FLAG_SUCCESS. Returns 0 (or the deferral's -1).
 *	deliver_bounce(req, i, relay, dsn)
 *		recipient i failed for good. dsn->status must be of class 5
 *		(else 'bounce_append: ignoring dsn code' and 5.0.0). The
 *		bounce service logs it (action "failed"), and the trace
 *		service too with DEL_REQ_FLAG_RECORD; then status=bounced is
 *		logged and the recipient marked done (flag or not), and 0
 *		returned. If either service fails, the recipient is
 *		deferred instead (4.3.0 "bounce or trace service failure").
 *		With soft_bounce = yes the recipient is deferred with the
 *		code's class changed to 4, logged as status=SOFTBOUNCE (as
 *		Postfix 3.7 does), and -1 returned.
 *	deliver_defer(req, i, relay, dsn)
 *		recipient i must be tried again. dsn->status must be of
 *		class 4 (else 'defer_append: ignoring dsn code' and 4.0.0).
 *		The defer service logs it (action "delayed"), the trace
 *		service too with DEL_REQ_FLAG_RECORD; a failure is a
 *		warning "QID: defer service failure" and changes nothing
 *		else: the line status=deferred is logged and -1 returned.
 *	deliver_status_log(req, i, relay, dsn_status, word, reason)
 *		just the log line.
 *
 * Verification requests (DEL_REQ_FLAG_USR_VRFY, "sendmail -bv"): nothing
 * is delivered; each outcome becomes a trace record with action
 * "deliverable" (sent) or "undeliverable" (bounce, defer; the code is
 * kept as given), the line says status=deliverable / undeliverable, and
 * the recipient counts as dealt with: 0, and marked done (a sent one only
 * with DEL_REQ_FLAG_SUCCESS), as Postfix 3.7 does. A trace failure is a
 * warning and -1.
 *
 * The services get the request's flags masked with DEL_REQ_TRACE_FLAGS
 * (observed: Postfix passes RECORD etc. through and strips SUCCESS and
 * BOUNCE).
 *
 * Diagnostics: the warnings above; those of bounce_client.c and
 * deliver_completed().
 *
 * Configuration parameters (deliver_status_init): soft_bounce,
 * delay_logging_resolution_limit, info_log_address_format (external or
 * internal; anything else is fatal).
 *
 * Choices where Postfix's behaviour was not observed or not copied:
 * address verification probes (DEL_REQ_FLAG_MTA_VRFY) are reported to
 * Postfix's verify service, which Postern does not have; they are
 * treated like DEL_REQ_FLAG_USR_VRFY (a trace record). When a trace
 * record for a delivered recipient fails, Postfix also writes a trace
 * record for the deferral, which fails again; the second warning is the
 * same here, but nothing depends on it.
 */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "bounce_client.h"
#include "buf.h"
#include "deliver_agent.h"
#include "deliver_log.h"
#include "deliver_status.h"
#include "dsn_split.h"
#include "msg.h"
#include "param.h"
#include "server.h"

static int deliver_soft_bounce;
static int deliver_resolution = DELIVER_LOG_RESOLUTION_DEFAULT;
static int deliver_external = 1;

void deliver_status_configure(int soft_bounce, int resolution, int external)
{
    deliver_soft_bounce = soft_bounce;
    deliver_resolution = resolution;
    deliver_external = external;
}

void deliver_status_init(void)
{
    const char *form = param_str(server_conf, "info_log_address_format");
    int external;

    if (strcmp(form, "external") == 0)
        external = 1;
    else if (strcmp(form, "internal") == 0)
        external = 0;
    else
        msg_fatal("invalid info_log_address_format value \"%s\": expected "
                  "external or internal",
                  form);
    deliver_status_configure(
        param_bool(server_conf, "soft_bounce"),
        param_int(server_conf, "delay_logging_resolution_limit"), external);
}

void deliver_status_log(const struct deliver_request *req, int index,
                        const char *relay, const char *dsn_status,
                        const char *word, const char *reason)
{
    struct buf *line = buf_alloc(256);
    struct deliver_log entry;

    memset(&entry, 0, sizeof(entry));
    entry.queue_id = req->queue_id;
    entry.rcpt = req->rcpt + index;
    entry.relay = relay;
    entry.stats = &req->stats;
    gettimeofday(&entry.now, NULL);
    entry.dsn = dsn_status;
    entry.status = word;
    entry.reason = reason;
    deliver_log_format(line, &entry, deliver_resolution, deliver_external);
    msg_info("%s", buf_str(line));
    buf_free(line);
}

/*
 * The status code if it has the class wanted, else a warning and def.
 * Returns a pointer into code (a copy made by the caller).
 */
static const char *deliver_class(const char *who, const char *status, int class,
                                 const char *def)
{
    if (status && dsn_valid(status) && status[0] == class)
        return status;
    msg_warn("%s: ignoring dsn code \"%s\"", who, status ? status : "");
    return def;
}

static int deliver_service_flags(const struct deliver_request *req)
{
    return req->flags & DEL_REQ_TRACE_FLAGS;
}

/* Verification: a trace record instead of the real thing. */
static int deliver_verify(struct deliver_request *req, int index,
                          const char *relay, const struct bounce_dsn *in,
                          const char *word, int mark)
{
    struct bounce_rcpt *rcpt = req->rcpt + index;
    struct bounce_dsn dsn = *in;

    dsn.action = word;
    if (trace_append(deliver_service_flags(req), req->queue_id, rcpt, &dsn) !=
        0) {
        msg_warn("%s: %s service failure", req->queue_id, BOUNCE_SERVICE_TRACE);
        return -1;
    }
    deliver_status_log(req, index, relay, dsn.status, word, dsn.reason);
    if (mark)
        deliver_completed(req, rcpt->offset);
    return 0;
}

int deliver_defer(struct deliver_request *req, int index, const char *relay,
                  const struct bounce_dsn *in)
{
    struct bounce_rcpt *rcpt = req->rcpt + index;
    struct bounce_dsn dsn = *in;
    int flags = deliver_service_flags(req);

    if (req->flags & DEL_REQ_FLAG_VRFY)
        return deliver_verify(req, index, relay, in, DELIVER_WORD_UNDELIVERABLE,
                              1);
    dsn.status = deliver_class("defer_append", in->status, '4', "4.0.0");
    dsn.action = DSN_ACTION_DELAYED;
    if (defer_append(flags, req->queue_id, rcpt, &dsn) != 0)
        msg_warn("%s: %s service failure", req->queue_id, BOUNCE_SERVICE_DEFER);
    if ((req->flags & DEL_REQ_FLAG_RECORD) &&
        trace_append(flags, req->queue_id, rcpt, &dsn) != 0)
        msg_warn("%s: %s service failure", req->queue_id, BOUNCE_SERVICE_TRACE);
    deliver_status_log(req, index, relay, dsn.status, DELIVER_WORD_DEFERRED,
                       dsn.reason);
    return -1;
}

int deliver_bounce(struct deliver_request *req, int index, const char *relay,
                   const struct bounce_dsn *in)
{
    struct bounce_rcpt *rcpt = req->rcpt + index;
    struct bounce_dsn dsn = *in;
    int flags = deliver_service_flags(req);
    char soft[32];

    if (req->flags & DEL_REQ_FLAG_VRFY)
        return deliver_verify(req, index, relay, in, DELIVER_WORD_UNDELIVERABLE,
                              1);
    dsn.status = deliver_class("bounce_append", in->status, '5', "5.0.0");
    if (deliver_soft_bounce) {
        /* The same code, one class milder. */
        snprintf(soft, sizeof(soft), "4%s", dsn.status + 1);
        dsn.status = soft;
        dsn.action = DSN_ACTION_DELAYED;
        if (defer_append(flags, req->queue_id, rcpt, &dsn) != 0)
            msg_warn("%s: %s service failure", req->queue_id,
                     BOUNCE_SERVICE_DEFER);
        if ((req->flags & DEL_REQ_FLAG_RECORD) &&
            trace_append(flags, req->queue_id, rcpt, &dsn) != 0)
            msg_warn("%s: %s service failure", req->queue_id,
                     BOUNCE_SERVICE_TRACE);
        deliver_status_log(req, index, relay, dsn.status,
                           DELIVER_WORD_SOFTBOUNCE, dsn.reason);
        return -1;
    }
    dsn.action = DSN_ACTION_FAILED;
    if (bounce_append(flags, req->queue_id, rcpt, &dsn) != 0 ||
        ((req->flags & DEL_REQ_FLAG_RECORD) &&
         trace_append(flags, req->queue_id, rcpt, &dsn) != 0)) {
        struct bounce_dsn retry = *in;

        retry.status = "4.3.0";
        retry.reason = BOUNCE_SERVICE_BOUNCE " or " BOUNCE_SERVICE_TRACE
                                             " service failure";
        return deliver_defer(req, index, relay, &retry);
    }
    deliver_status_log(req, index, relay, dsn.status, DELIVER_WORD_BOUNCED,
                       dsn.reason);
    deliver_completed(req, rcpt->offset);
    return 0;
}

int deliver_sent(struct deliver_request *req, int index, const char *relay,
                 const struct bounce_dsn *in)
{
    struct bounce_rcpt *rcpt = req->rcpt + index;
    struct bounce_dsn dsn = *in;
    int notify = rcpt->notify_flags;

    dsn.status = deliver_class("sent", in->status, '2', "2.0.0");
    if (req->flags & DEL_REQ_FLAG_VRFY)
        return deliver_verify(req, index, relay, &dsn, DELIVER_WORD_DELIVERABLE,
                              req->flags & DEL_REQ_FLAG_SUCCESS);
    if ((req->flags & DEL_REQ_FLAG_RECORD) || (notify & DSN_NOTIFY_SUCCESS) ||
        ((req->flags & DEL_REQ_FLAG_REC_DLY_SENT) &&
         (notify == 0 || (notify & DSN_NOTIFY_DELAY)))) {
        dsn.action = DSN_ACTION_DELIVERED;
        if (trace_append(deliver_service_flags(req), req->queue_id, rcpt,
                         &dsn) != 0) {
            struct bounce_dsn retry = *in;
            struct buf *why = buf_alloc(64);
            int ret;

            msg_warn("%s: %s service failure", req->queue_id,
                     BOUNCE_SERVICE_TRACE);
            buf_printf(why, "%s: %s service failed", req->queue_id,
                       BOUNCE_SERVICE_TRACE);
            retry.status = "4.3.0";
            retry.reason = buf_str(why);
            ret = deliver_defer(req, index, relay, &retry);
            buf_free(why);
            return ret;
        }
    }
    deliver_status_log(req, index, relay, dsn.status, DELIVER_WORD_SENT,
                       dsn.reason);
    if (req->flags & DEL_REQ_FLAG_SUCCESS)
        deliver_completed(req, rcpt->offset);
    return 0;
}
