/*
 * rewrite_client - ask the trivial-rewrite service to rewrite or resolve
 *
 * For cleanup (canonical addresses), qmgr (where each recipient goes) and
 * bounce. Speaks the protocol in rewrite_proto.h to Postern's or Postfix
 * 3.7's trivial-rewrite. One connection per process, opened on first use
 * and kept open; when the server has closed it (max_idle, max_use, a
 * restart) the request is sent once more on a fresh connection.
 *
 * Public functions:
 *	rewrite_client_init(path, timeout)
 *		where the service is (default "private/rewrite", relative to
 *		the queue directory every daemon runs in) and the timeout in
 *		seconds for connecting and for each read or write (default
 *		3600, the ipc_timeout default; daemons pass their
 *		ipc_timeout). Closes an open connection.
 *	rewrite_client_close()	close the connection (e.g. before a fork)
 *	rewrite_address(context, addr, out)
 *		rewrite addr (external form, as in a header) in context
 *		REWRITE_RULE_LOCAL or REWRITE_RULE_REMOTE; out = the
 *		canonical address, external form. 0, or -1 when the service
 *		could not be asked (warning logged, out unchanged).
 *	rewrite_address_internal(context, addr, out)
 *		the same for an address in internal form (as a queue file
 *		holds it): quoted for the request, the answer unquoted.
 *	resolve_reply_init(reply), resolve_reply_free(reply)
 *	resolve_address(addr, reply)
 *		resolve a recipient (internal form) for delivery: transport,
 *		next hop, recipient (internal form) and flags. 0 or -1 as
 *		above. A reply is never a failure of the call: callers look
 *		at reply->flags (RESOLVE_FLAG_FAIL: try again later;
 *		RESOLVE_FLAG_ERROR: a malformed address, bounce it) before
 *		they use the texts.
 *	resolve_address_sender(request, sender, addr, reply)
 *		the same with a sender (for sender_dependent_* tables) and
 *		request REWRITE_REQ_RESOLVE or REWRITE_REQ_VERIFY.
 *
 * The empty address is answered without asking: rewriting it gives the
 * empty address (the server would only warn).
 *
 * Diagnostics: warnings "connect to PATH: ...", "PATH: unexpected
 * protocol ...", "problem talking to service rewrite: ...".
 * Configuration parameters: none (callers pass path and timeout).
 */
#include <string.h>

#include "addr_token.h"
#include "attr.h"
#include "mem.h"
#include "msg.h"
#include "rewrite_client.h"
#include "sock.h"
#include "stream.h"

#define REWRITE_CLIENT_PATH    "private/" REWRITE_SERVICE
#define REWRITE_CLIENT_TIMEOUT 3600

static char *rc_path;
static int rc_timeout = REWRITE_CLIENT_TIMEOUT;
static struct stream *rc_stream;

void rewrite_client_close(void)
{
    if (rc_stream) {
        stream_close(rc_stream);
        rc_stream = NULL;
    }
}

void rewrite_client_init(const char *path, int timeout)
{
    rewrite_client_close();
    mem_free(rc_path);
    rc_path = mem_strdup(path ? path : REWRITE_CLIENT_PATH);
    rc_timeout = timeout > 0 ? timeout : REWRITE_CLIENT_TIMEOUT;
}

static const char *rc_where(void)
{
    return rc_path ? rc_path : REWRITE_CLIENT_PATH;
}

static int rc_connect(void)
{
    int fd;

    if ((fd = unix_connect(rc_where(), rc_timeout * 1000)) < 0) {
        msg_warn("connect to %s: %m", rc_where());
        return -1;
    }
    rc_stream = stream_fdopen(fd, 1);
    stream_set_timeout(rc_stream, rc_timeout);
    if (attr_expect_announce(rc_stream, REWRITE_PROTOCOL) < 0) {
        rewrite_client_close();
        return -1;
    }
    return 0;
}

/* What one exchange sends and reads; both return 0 or -1. */
struct rc_exchange {
    int (*send)(struct stream *sp, void *ctx);
    int (*receive)(struct stream *sp, void *ctx);
    void *ctx;
};

static int rc_talk(const struct rc_exchange *ex)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (rc_stream == NULL && rc_connect() < 0)
            return -1;
        if (ex->send(rc_stream, ex->ctx) == 0 && stream_flush(rc_stream) == 0 &&
            ex->receive(rc_stream, ex->ctx) == 0)
            return 0;
        /* A server that closed an idle connection deserves one retry. */
        msg_warn("problem talking to service %s: %s", REWRITE_SERVICE,
                 stream_error(rc_stream)
                     ? stream_strerror(stream_error(rc_stream))
                     : "malformed reply");
        rewrite_client_close();
    }
    return -1;
}

/* --- rewrite --- */

struct rc_rewrite {
    const char *context;
    const char *addr;
    struct buf *out;
};

static int rc_rewrite_send(struct stream *sp, void *ctx)
{
    struct rc_rewrite *rw = ctx;

    return attr_print(sp, ATTR_FLAG_NONE,
                      ATTR_SEND_STR(REWRITE_ATTR_REQUEST, REWRITE_REQ_REWRITE),
                      ATTR_SEND_STR(REWRITE_ATTR_RULE, rw->context),
                      ATTR_SEND_STR(REWRITE_ATTR_ADDRESS, rw->addr), ATTR_END);
}

static int rc_rewrite_receive(struct stream *sp, void *ctx)
{
    struct rc_rewrite *rw = ctx;
    int server_flags;

    return attr_scan(sp, ATTR_FLAG_MISSING,
                     ATTR_RECV_INT(REWRITE_ATTR_FLAGS, &server_flags),
                     ATTR_RECV_STR(REWRITE_ATTR_ADDRESS, rw->out),
                     ATTR_END) == 2
               ? 0
               : -1;
}

int rewrite_address(const char *context, const char *addr, struct buf *out)
{
    struct buf *result;
    struct rc_rewrite rw;
    struct rc_exchange ex = {rc_rewrite_send, rc_rewrite_receive, &rw};

    if (*addr == 0) {
        buf_reset(out);
        return 0;
    }
    result = buf_alloc(100);
    rw.context = context;
    rw.addr = addr;
    rw.out = result;
    if (rc_talk(&ex) < 0) {
        buf_free(result);
        return -1;
    }
    buf_set(out, buf_str(result), buf_len(result));
    buf_free(result);
    return 0;
}

int rewrite_address_internal(const char *context, const char *addr,
                             struct buf *out)
{
    struct buf *ext = buf_alloc(100);
    int ret;

    addr_quote_local(addr, ext);
    if ((ret = rewrite_address(context, buf_str(ext), ext)) == 0)
        addr_unquote(buf_str(ext), out);
    buf_free(ext);
    return ret;
}

/* --- resolve --- */

void resolve_reply_init(struct resolve_reply *reply)
{
    reply->transport = buf_alloc(32);
    reply->nexthop = buf_alloc(64);
    reply->recipient = buf_alloc(100);
    reply->flags = 0;
}

void resolve_reply_free(struct resolve_reply *reply)
{
    buf_free(reply->transport);
    buf_free(reply->nexthop);
    buf_free(reply->recipient);
}

struct rc_resolve {
    const char *request;
    const char *sender;
    const char *addr;
    struct resolve_reply *reply;
};

static int rc_resolve_send(struct stream *sp, void *ctx)
{
    struct rc_resolve *rs = ctx;

    return attr_print(sp, ATTR_FLAG_NONE,
                      ATTR_SEND_STR(REWRITE_ATTR_REQUEST, rs->request),
                      ATTR_SEND_STR(REWRITE_ATTR_SENDER, rs->sender),
                      ATTR_SEND_STR(REWRITE_ATTR_ADDRESS, rs->addr), ATTR_END);
}

static int rc_resolve_receive(struct stream *sp, void *ctx)
{
    struct rc_resolve *rs = ctx;
    int server_flags;

    return attr_scan(
               sp, ATTR_FLAG_MISSING,
               ATTR_RECV_INT(REWRITE_ATTR_FLAGS, &server_flags),
               ATTR_RECV_STR(REWRITE_ATTR_TRANSPORT, rs->reply->transport),
               ATTR_RECV_STR(REWRITE_ATTR_NEXTHOP, rs->reply->nexthop),
               ATTR_RECV_STR(REWRITE_ATTR_RECIPIENT, rs->reply->recipient),
               ATTR_RECV_INT(REWRITE_ATTR_FLAGS, &rs->reply->flags),
               ATTR_END) == 5
               ? 0
               : -1;
}

int resolve_address_sender(const char *request, const char *sender,
                           const char *addr, struct resolve_reply *reply)
{
    struct rc_resolve rs = {request, sender ? sender : "", addr, reply};
    struct rc_exchange ex = {rc_resolve_send, rc_resolve_receive, &rs};

    return rc_talk(&ex);
}

int resolve_address(const char *addr, struct resolve_reply *reply)
{
    return resolve_address_sender(REWRITE_REQ_RESOLVE, "", addr, reply);
}
