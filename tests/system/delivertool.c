/*
 * delivertool - the client side of the delivery request protocol, for tests
 *
 *	delivertool QUEUE_DIR TRANSPORT QUEUE_NAME QUEUE_ID NEXTHOP FLAGS
 *		OFFSET=RECIPIENT...
 *
 * Plays the queue manager with util/deliver_agent.c's client side:
 * connects to QUEUE_DIR/private/TRANSPORT, checks the announcement,
 * sends one request (data offset and size 0, arrival 5 s ago, active
 * queue 3 s later, hand-off 1 s after that, so that the agent logs
 * delays=3/1/0/...), reads the reply and prints it on one line:
 *
 *	status=<dsn> action=<action> reason=<reason> deliver_status=<n>
 *
 * Exit status 0 when a reply came, 1 when it did not (the warning says
 * why), 2 on usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "deliver_agent.h"
#include "deliver_request.h"
#include "mem.h"
#include "msg.h"
#include "stream.h"

int main(int argc, char **argv)
{
    struct deliver_request req;
    struct deliver_reply *reply;
    struct stream *sp;
    struct timeval now;
    int count = argc - 7;

    msg_open("delivertool");
    if (argc < 8) {
        fprintf(stderr, "usage: delivertool QUEUE_DIR TRANSPORT QUEUE_NAME "
                        "QUEUE_ID NEXTHOP FLAGS OFFSET=RECIPIENT...\n");
        return 2;
    }
    if (chdir(argv[1]) < 0)
        msg_fatal("chdir %s: %m", argv[1]);
    memset(&req, 0, sizeof(req));
    req.fd = -1;
    req.queue_name = argv[3];
    req.queue_id = argv[4];
    req.nexthop = argv[5];
    req.flags = atoi(argv[6]);
    req.sender = "sender@example.org";
    req.log_ident = argv[4];
    req.rewrite_context = "local";
    gettimeofday(&now, NULL);
    req.stats.incoming_arrival.tv_sec = now.tv_sec - 5;
    req.stats.active_arrival.tv_sec = now.tv_sec - 2;
    req.stats.agent_handoff.tv_sec = now.tv_sec - 1;
    req.rcpt_count = count;
    req.rcpt = mem_zalloc(sizeof(*req.rcpt) * (size_t)count);
    for (int i = 0; i < count; i++) {
        char *arg = argv[7 + i];
        char *eq = strchr(arg, '=');

        if (eq == NULL)
            msg_fatal("bad recipient argument: %s", arg);
        *eq = 0;
        req.rcpt[i].offset = atol(arg);
        req.rcpt[i].recipient = eq + 1;
        req.rcpt[i].original_recipient = "";
        req.rcpt[i].dsn_orig_rcpt = "";
    }
    if ((sp = deliver_agent_connect(argv[2], 30)) == NULL)
        return 1;
    if (deliver_request_send(sp, &req) < 0) {
        msg_warn("cannot send the request");
        return 1;
    }
    reply = deliver_reply_alloc();
    if (deliver_reply_get(sp, reply) < 0)
        return 1;
    printf("status=%s action=%s reason=%s deliver_status=%d\n",
           buf_str(reply->status), buf_str(reply->action),
           buf_str(reply->reason), reply->deliver_status);
    deliver_reply_free(reply);
    stream_close(sp);
    mem_free(req.rcpt);
    return 0;
}
