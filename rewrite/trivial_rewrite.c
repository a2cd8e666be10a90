/*
 * trivial-rewrite - address rewriting and resolution service
 *
 * A multi-client server on private/rewrite (master.cf: "rewrite unix - -
 * n - - trivial-rewrite"). It speaks Postfix 3.7's trivial-rewrite
 * protocol (util/rewrite_proto.h): on accept it announces
 * protocol=trivial_rewrite_protocol, then answers, one at a time and for
 * as long as the client stays connected, requests to
 *	rewrite an address to canonical form in a context (local or remote;
 *	tr_rewrite.c), or
 *	resolve a recipient to transport, next hop and recipient, with
 *	class and status flags (resolve, or verify for address probes;
 *	tr_resolve.c).
 * So Postfix's cleanup and qmgr can use this server, and Postern's
 * cleanup, qmgr and bounce (util/rewrite_client.c) can use Postfix's.
 *
 * A request with an unknown name, an unknown rewrite context, missing
 * attributes or attributes out of order gets no reply: a warning, and
 * the connection is closed (as Postfix does).
 *
 * Lookup tables are opened at start-up. When one is replaced on disk the
 * server logs "table NAME has changed -- restarting" and exits as soon as
 * no client is connected, so master starts a fresh one.
 *
 * Diagnostics: warnings "bad command NAME", "unknown context: NAME",
 * "missing attribute NAME in input from rewrite socket", and those of the
 * rewrite and resolve modules.
 *
 * Configuration parameters: those of tr_config.c (see trivial-rewrite(8)),
 * and the skeleton's (max_use, max_idle, ipc_timeout, daemon_timeout,
 * queue_directory, mail_owner, syslog_name, syslog_facility,
 * maillog_file).
 *
 * Choices where Postfix's behaviour was not known: the first "flags"
 * attribute of each reply (server flags) is always 0, the only value we
 * saw Postfix 3.7 send.
 */
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "buf.h"
#include "msg.h"
#include "rewrite_proto.h"
#include "server.h"
#include "stream.h"
#include "trivial_rewrite.h"

static struct tr_config tr_cfg;
static struct buf *tr_request;
static struct buf *tr_rule;
static struct buf *tr_address;
static struct buf *tr_sender;
static struct buf *tr_result;
static struct tr_reply tr_reply;
static const char *tr_changed_table;

static void tr_connect(struct stream *client, const char *service, char **argv)
{
    (void)service;
    (void)argv;
    if (attr_announce(client, REWRITE_PROTOCOL) < 0)
        server_disconnect(client);
}

/* Read the named attributes that follow "request"; 0 if all arrived. */
static int tr_read(struct stream *client, const char *name1, struct buf *val1,
                   const char *name2, struct buf *val2)
{
    int count = attr_scan(client, ATTR_FLAG_NONE, ATTR_RECV_STR(name1, val1),
                          ATTR_RECV_STR(name2, val2), ATTR_END);

    if (count < 0)
        return -1;
    if (count < 2) {
        msg_warn("missing attribute %s in input from %s socket",
                 count == 0 ? name1 : name2, REWRITE_SERVICE);
        return -1;
    }
    return 0;
}

static int tr_serve_rewrite(struct stream *client)
{
    if (tr_read(client, REWRITE_ATTR_RULE, tr_rule, REWRITE_ATTR_ADDRESS,
                tr_address) < 0)
        return -1;
    if (tr_rewrite(&tr_cfg, buf_str(tr_rule), buf_str(tr_address), tr_result) <
        0) {
        msg_warn("unknown context: %.100s", buf_str(tr_rule));
        return -1;
    }
    attr_print(client, ATTR_FLAG_NONE, ATTR_SEND_INT(REWRITE_ATTR_FLAGS, 0),
               ATTR_SEND_STR(REWRITE_ATTR_ADDRESS, buf_str(tr_result)),
               ATTR_END);
    return stream_flush(client);
}

static int tr_serve_resolve(struct stream *client, int verify)
{
    if (tr_read(client, REWRITE_ATTR_SENDER, tr_sender, REWRITE_ATTR_ADDRESS,
                tr_address) < 0)
        return -1;
    tr_resolve(&tr_cfg, verify, buf_str(tr_sender), buf_str(tr_address),
               &tr_reply);
    attr_print(
        client, ATTR_FLAG_NONE, ATTR_SEND_INT(REWRITE_ATTR_FLAGS, 0),
        ATTR_SEND_STR(REWRITE_ATTR_TRANSPORT, buf_str(tr_reply.transport)),
        ATTR_SEND_STR(REWRITE_ATTR_NEXTHOP, buf_str(tr_reply.nexthop)),
        ATTR_SEND_STR(REWRITE_ATTR_RECIPIENT, buf_str(tr_reply.recipient)),
        ATTR_SEND_INT(REWRITE_ATTR_FLAGS, tr_reply.flags), ATTR_END);
    return stream_flush(client);
}

static void tr_serve(struct stream *client, const char *service, char **argv)
{
    int count;
    int ret;

    (void)service;
    (void)argv;
    count =
        attr_scan(client, ATTR_FLAG_MORE,
                  ATTR_RECV_STR(REWRITE_ATTR_REQUEST, tr_request), ATTR_END);
    if (count != 1) {
        /* A clean disconnect between requests is the normal end. */
        if (count == 0)
            msg_warn("missing attribute %s in input from %s socket",
                     REWRITE_ATTR_REQUEST, REWRITE_SERVICE);
        server_disconnect(client);
        return;
    }
    if (strcmp(buf_str(tr_request), REWRITE_REQ_REWRITE) == 0) {
        ret = tr_serve_rewrite(client);
    } else if (strcmp(buf_str(tr_request), REWRITE_REQ_RESOLVE) == 0) {
        ret = tr_serve_resolve(client, 0);
    } else if (strcmp(buf_str(tr_request), REWRITE_REQ_VERIFY) == 0) {
        ret = tr_serve_resolve(client, 1);
    } else {
        msg_warn("bad command %.100s", buf_str(tr_request));
        ret = -1;
    }
    if (ret < 0)
        server_disconnect(client);
}

static void tr_pre_init(const char *service, char **argv)
{
    (void)service;
    (void)argv;
    tr_config_load(server_conf, &tr_cfg);
    tr_request = buf_alloc(16);
    tr_rule = buf_alloc(16);
    tr_address = buf_alloc(100);
    tr_sender = buf_alloc(100);
    tr_result = buf_alloc(100);
    tr_reply_init(&tr_reply);
}

static int tr_loop(const char *service, char **argv)
{
    (void)service;
    (void)argv;
    if (tr_changed_table == NULL &&
        tr_config_changed(&tr_cfg, &tr_changed_table))
        msg_info("table %s has changed -- restarting", tr_changed_table);
    if (tr_changed_table && server_client_count() == 0)
        exit(0);
    /* Look again for changes now and then while idle. */
    return 10000;
}

int main(int argc, char **argv)
{
    static const struct server_ops ops = {
        .model = SERVER_MULTI,
        .pre_init = tr_pre_init,
        .connect = tr_connect,
        .serve = tr_serve,
        .loop = tr_loop,
    };

    server_main(argc, argv, &ops);
}
