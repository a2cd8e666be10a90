/*
 * error - the delivery agent that fails every recipient
 *
 * Serves the transports that point at it in master.cf. Stock entries:
 *
 *	error	unix - - n - - error	every recipient bounces
 *	retry	unix - - n - - error	every recipient is deferred
 *
 * The service name decides which: "retry" defers, any other name
 * bounces (as Postfix 3.7 does). It reads one delivery request per
 * connection from the queue manager (util/deliver_request.h); the next
 * hop is the reason ("error:5.1.1 mailbox unknown" in a transport table
 * gives next hop "5.1.1 mailbox unknown"). A leading RFC 3463 code sets
 * the dsn (default 5.0.0 for error, 4.0.0 for retry); a code of the
 * wrong class is ignored with a warning 'bounce_append: ignoring dsn
 * code "4.4.1"' (or defer_append: ...), as Postfix does.
 *
 * error: each recipient goes to the bounce service (bounce/<QID>, which
 * the queue manager later turns into a non-delivery notice), is logged
 *
 *	QID: to=<rcpt>, relay=none, delay=..., delays=..., dsn=5.0.0,
 *	status=bounced (reason)
 *
 * and, once the bounce service has it on record, is marked done in the
 * queue file. If the bounce service fails, the recipient is deferred
 * instead (4.3.0). With soft_bounce = yes every bounce becomes a
 * deferral (code class 4, logged status=SOFTBOUNCE).
 *
 * retry: each recipient goes to the defer service (defer/<QID>: the
 * reason mailq shows), is logged status=deferred, and stays to do.
 *
 * The reply status is 0 when every recipient was bounced, -1 when any
 * must be tried again (always for retry). Trace records for "sendmail
 * -v" and "sendmail -bv" are written as util/deliver_status.c
 * describes.
 *
 * Public functions: none (main()).
 *
 * Diagnostics: the warnings of util/deliver_request.c about malformed
 * requests (answered with status -1); "QID: empty nexthop hostname"
 * (answered with status -1); those of util/deliver_status.c when the
 * bounce services fail.
 *
 * Configuration parameters: soft_bounce, delay_logging_resolution_limit,
 * info_log_address_format, line_length_limit,
 * qmgr_message_recipient_limit, hash_queue_names, hash_queue_depth,
 * ipc_timeout (also for the bounce services), and the server skeleton's.
 *
 * Choice where Postern differs from Postfix: Postfix's error agent exits
 * with a fatal error on an empty next hop; this one warns, answers
 * status -1 (the queue manager defers the message) and stays up.
 */
#include <string.h>

#include "buf.h"
#include "deliver_agent.h"
#include "deliver_request.h"
#include "deliver_status.h"
#include "dsn.h"
#include "dsn_split.h"
#include "msg.h"
#include "server.h"
#include "stream.h"

#define ERROR_SERVICE_RETRY "retry"

static int error_deliver(struct deliver_request *req, int retry)
{
    struct buf *code = buf_alloc(16);
    struct bounce_dsn dsn = BOUNCE_DSN_INIT("", "", "");
    int status = DELIVER_STAT_OK;

    dsn.reason = dsn_split(req->nexthop, retry ? "4.0.0" : "5.0.0", code);
    dsn.status = buf_str(code);
    for (int i = 0; i < req->rcpt_count; i++)
        status |= retry ? deliver_defer(req, i, "none", &dsn)
                        : deliver_bounce(req, i, "none", &dsn);
    buf_free(code);
    return status;
}

static void error_serve(struct stream *client, const char *service, char **argv)
{
    struct deliver_request *req;
    int status;

    (void)argv;
    if (deliver_agent_read(client, &req) < 0)
        return;
    if (*req->nexthop == 0) {
        msg_warn("%s: empty nexthop hostname", req->queue_id);
        status = DELIVER_STAT_DEFER;
    } else {
        status = error_deliver(req, strcmp(service, ERROR_SERVICE_RETRY) == 0);
    }
    deliver_agent_done(client, req, NULL, status);
}

static void error_post_init(const char *service, char **argv)
{
    (void)service;
    if (argv[0])
        msg_fatal("unexpected command-line argument: %s", argv[0]);
    deliver_agent_init();
    deliver_status_init();
}

int main(int argc, char **argv)
{
    static const struct server_ops ops = {
        .model = SERVER_SINGLE,
        .serve = error_serve,
        .post_init = error_post_init,
    };

    server_main(argc, argv, &ops);
}
