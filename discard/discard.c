/*
 * discard - the delivery agent that delivers nothing
 *
 * Serves the transports that point at it in master.cf (stock entry:
 * "discard unix - - n - - discard"). It reads one delivery request per
 * connection from the queue manager (util/deliver_request.h), reports
 * every recipient as delivered without touching the message, and
 * answers. The next hop is the reason: "discard:spam from bad client"
 * in a transport table gives next hop "spam from bad client", logged as
 *
 *	QID: to=<rcpt>, relay=none, delay=..., delays=..., dsn=2.0.0,
 *	status=sent (spam from bad client)
 *
 * A next hop that starts with an RFC 3463 code of class 2 ("2.1.5
 * whatever") sets the dsn and the rest is the reason; a code of another
 * class is ignored with a warning (observed with Postfix 3.7). Each
 * recipient is marked done in the queue file when the request asks for
 * it (DEL_REQ_FLAG_SUCCESS, as the queue manager always does); trace
 * records for "sendmail -v", DSN NOTIFY=SUCCESS and "sendmail -bv" are
 * written as util/deliver_status.c describes.
 *
 * Public functions: none (main()).
 *
 * Diagnostics: the warnings of util/deliver_request.c about malformed
 * requests (answered with status -1); "QID: empty nexthop hostname"
 * (answered with status -1: the queue manager defers the message).
 *
 * Configuration parameters: delay_logging_resolution_limit,
 * info_log_address_format, line_length_limit,
 * qmgr_message_recipient_limit, hash_queue_names, hash_queue_depth,
 * soft_bounce (no effect here), ipc_timeout, and the server skeleton's
 * (max_use, max_idle, daemon_timeout, ...).
 *
 * Choice where Postern differs from Postfix: Postfix's discard exits
 * with a fatal error on an empty next hop (the queue manager then
 * defers the message as a crash); this one logs a warning and answers
 * status -1 (which also defers it), and stays up.
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

static int discard_deliver(struct deliver_request *req)
{
    struct buf *code = buf_alloc(16);
    struct bounce_dsn dsn = BOUNCE_DSN_INIT("", "", "");
    int status = DELIVER_STAT_OK;

    dsn.reason = dsn_split(req->nexthop, "2.0.0", code);
    dsn.status = buf_str(code);
    for (int i = 0; i < req->rcpt_count; i++)
        status |= deliver_sent(req, i, "none", &dsn);
    buf_free(code);
    return status;
}

static void discard_serve(struct stream *client, const char *service,
                          char **argv)
{
    struct deliver_request *req;
    int status;

    (void)service;
    (void)argv;
    if (deliver_agent_read(client, &req) < 0)
        return;
    if (*req->nexthop == 0) {
        msg_warn("%s: empty nexthop hostname", req->queue_id);
        status = DELIVER_STAT_DEFER;
    } else {
        status = discard_deliver(req);
    }
    deliver_agent_done(client, req, NULL, status);
}

static void discard_post_init(const char *service, char **argv)
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
        .serve = discard_serve,
        .post_init = discard_post_init,
    };

    server_main(argc, argv, &ops);
}
