/*
 * deliver_request - the delivery request protocol's wire format
 *
 * The queue manager hands one message (one queue file, one or more of
 * its recipients for one next hop) to a delivery agent per connection;
 * the agent answers with one status. The wire format is specified in
 * deliver_request.h (spec d.2, as Postfix 3.7 speaks it). This module
 * reads and writes it, for both sides, and does nothing else (no files,
 * no sockets: deliver_agent.c does those), so that it can be tested and
 * fuzzed on its own.
 *
 * Public functions:
 *	deliver_request_alloc(), deliver_request_free(req)
 *		an empty request (fd -1); free releases what
 *		deliver_request_get() stored and closes req->fd (NULL: no-op)
 *	deliver_request_get(sp, req, rcpt_limit)
 *		reads the request list and its recipient lists into req.
 *		0, or -1 after a warning: a missing, extra or misordered
 *		attribute, a malformed number, a "time" of the wrong size,
 *		a bad queue name or queue ID, no recipients, more than
 *		rcpt_limit recipients (checked before any is read), or end
 *		of input, timeout or I/O error (stream_error() tells these
 *		from malformed input)
 *	deliver_request_send(sp, req)
 *		writes req and flushes; 0, or -1 on a write error
 *	deliver_reply_send(sp, hop, status)
 *		writes the reply (hop NULL: empty hop status) and flushes
 *	deliver_reply_alloc(), deliver_reply_free(reply),
 *	deliver_reply_get(sp, reply)
 *		reads a reply; 0, or -1 after a warning when it is
 *		malformed or cut short (the caller's "crash")
 *
 * Diagnostics (the texts are Postfix's where it has one): "unexpected
 * attribute X ... (expecting: Y)" and "missing attribute X" (attr.c),
 * "deliver_request_get: error receiving common attributes" / "...
 * recipient attributes", "msg_stats_scan: size mis-match: N != 88", "bad
 * mail queue name: X", "bad mail queue ID: X", "QID: no recipients in
 * delivery request for destination X", "QID: recipient count N exceeds
 * limit L", "malformed delivery agent reply: ...".
 *
 * Configuration parameters: none here (the caller gives the recipient
 * limit; attr_set_limit() bounds names and values).
 *
 * Choices where Postfix differs or was not known: Postfix panics on a
 * bad queue name or ID; we warn and refuse the request. Postfix reads
 * recipients until the input ends whatever recipient_count says; we
 * refuse a count above the limit before reading. Postfix only warns
 * about an extra attribute at the end of a recipient list; we refuse
 * it, as it does in the request list.
 */
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "deliver_request.h"
#include "mail_queue.h"
#include "mem.h"
#include "msg.h"
#include "queue_id.h"

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

struct deliver_request *deliver_request_alloc(void)
{
    struct deliver_request *req = mem_zalloc(sizeof(*req));

    req->fd = -1;
    return req;
}

static void deliver_rcpt_free(struct bounce_rcpt *rcpt)
{
    /* The reader allocated these; the struct borrows for others. */
    mem_free((void *)rcpt->original_recipient);
    mem_free((void *)rcpt->recipient);
    mem_free((void *)rcpt->dsn_orig_rcpt);
}

static void deliver_request_free_strings(struct deliver_request *req)
{
    char **strings[] = {
        &req->queue_name,      &req->queue_id,    &req->nexthop,
        &req->encoding,        &req->sender,      &req->envelope_id,
        &req->client_name,     &req->client_addr, &req->client_port,
        &req->client_proto,    &req->client_helo, &req->sasl_method,
        &req->sasl_username,   &req->sasl_sender, &req->log_ident,
        &req->rewrite_context,
    };

    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        mem_free(*strings[i]);
}

void deliver_request_free(struct deliver_request *req)
{
    if (req == NULL)
        return;
    deliver_request_free_strings(req);
    for (int i = 0; req->rcpt && i < req->rcpt_count; i++)
        deliver_rcpt_free(req->rcpt + i);
    mem_free(req->rcpt);
    if (req->fd >= 0)
        close(req->fd);
    mem_free(req);
}

/* --- reading a request --- */

/* The string attributes of the request list, in wire order after size. */
#define DELIVER_STR_COUNT 16

static int deliver_request_get_header(struct stream *sp,
                                      struct deliver_request *req)
{
    struct buf *b[DELIVER_STR_COUNT];
    struct buf *time_buf = buf_alloc(sizeof(struct msg_stats) * 2);
    int ret = -1;
    int n;

    for (int i = 0; i < DELIVER_STR_COUNT; i++)
        b[i] = buf_alloc(32);
    n = attr_scan(
        sp, ATTR_FLAG_STRICT, ATTR_RECV_INT(DELIVER_ATTR_FLAGS, &req->flags),
        ATTR_RECV_STR(DELIVER_ATTR_QUEUE_NAME, b[0]),
        ATTR_RECV_STR(DELIVER_ATTR_QUEUE_ID, b[1]),
        ATTR_RECV_LONG(DELIVER_ATTR_OFFSET, &req->data_offset),
        ATTR_RECV_LONG(DELIVER_ATTR_SIZE, &req->data_size),
        ATTR_RECV_STR(DELIVER_ATTR_NEXTHOP, b[2]),
        ATTR_RECV_STR(DELIVER_ATTR_ENCODING, b[3]),
        ATTR_RECV_INT(DELIVER_ATTR_SMTPUTF8, &req->smtputf8),
        ATTR_RECV_STR(DELIVER_ATTR_SENDER, b[4]),
        ATTR_RECV_STR(DELIVER_ATTR_ENVID, b[5]),
        ATTR_RECV_INT(DELIVER_ATTR_RET, &req->ret_flags),
        ATTR_RECV_DATA(DELIVER_ATTR_TIME, time_buf),
        ATTR_RECV_STR(DELIVER_ATTR_CLIENT_NAME, b[6]),
        ATTR_RECV_STR(DELIVER_ATTR_CLIENT_ADDR, b[7]),
        ATTR_RECV_STR(DELIVER_ATTR_CLIENT_PORT, b[8]),
        ATTR_RECV_STR(DELIVER_ATTR_CLIENT_PROTO, b[9]),
        ATTR_RECV_STR(DELIVER_ATTR_CLIENT_HELO, b[10]),
        ATTR_RECV_STR(DELIVER_ATTR_SASL_METHOD, b[11]),
        ATTR_RECV_STR(DELIVER_ATTR_SASL_USER, b[12]),
        ATTR_RECV_STR(DELIVER_ATTR_SASL_SENDER, b[13]),
        ATTR_RECV_STR(DELIVER_ATTR_LOG_IDENT, b[14]),
        ATTR_RECV_STR(DELIVER_ATTR_RWR_CONTEXT, b[15]),
        ATTR_RECV_INT(DELIVER_ATTR_RCPT_COUNT, &req->rcpt_count), ATTR_END);
    if (n == 23) {
        if (buf_len(time_buf) != sizeof(req->stats)) {
            msg_warn("msg_stats_scan: size mis-match: %zu != %zu",
                     buf_len(time_buf), sizeof(req->stats));
        } else {
            memcpy(&req->stats, buf_str(time_buf), sizeof(req->stats));
            ret = 0;
        }
    }
    /* Otherwise attr.c has warned (missing, extra or malformed). */
    req->queue_name = mem_strdup(buf_str(b[0]));
    req->queue_id = mem_strdup(buf_str(b[1]));
    req->nexthop = mem_strdup(buf_str(b[2]));
    req->encoding = mem_strdup(buf_str(b[3]));
    req->sender = mem_strdup(buf_str(b[4]));
    req->envelope_id = mem_strdup(buf_str(b[5]));
    req->client_name = mem_strdup(buf_str(b[6]));
    req->client_addr = mem_strdup(buf_str(b[7]));
    req->client_port = mem_strdup(buf_str(b[8]));
    req->client_proto = mem_strdup(buf_str(b[9]));
    req->client_helo = mem_strdup(buf_str(b[10]));
    req->sasl_method = mem_strdup(buf_str(b[11]));
    req->sasl_username = mem_strdup(buf_str(b[12]));
    req->sasl_sender = mem_strdup(buf_str(b[13]));
    req->log_ident = mem_strdup(buf_str(b[14]));
    req->rewrite_context = mem_strdup(buf_str(b[15]));
    for (int i = 0; i < DELIVER_STR_COUNT; i++)
        buf_free(b[i]);
    buf_free(time_buf);
    return ret;
}

static int deliver_request_get_rcpt(struct stream *sp, struct bounce_rcpt *rcpt)
{
    struct buf *orig = buf_alloc(64);
    struct buf *addr = buf_alloc(64);
    struct buf *dsn_orcpt = buf_alloc(16);
    int n;

    n = attr_scan(sp, ATTR_FLAG_STRICT, ATTR_RECV_STR(DELIVER_ATTR_ORCPT, orig),
                  ATTR_RECV_STR(DELIVER_ATTR_RECIPIENT, addr),
                  ATTR_RECV_LONG(DELIVER_ATTR_RCPT_OFFSET, &rcpt->offset),
                  ATTR_RECV_STR(DELIVER_ATTR_DSN_ORCPT, dsn_orcpt),
                  ATTR_RECV_INT(DELIVER_ATTR_NOTIFY_FLAGS, &rcpt->notify_flags),
                  ATTR_END);
    rcpt->original_recipient = buf_export(orig);
    rcpt->recipient = buf_export(addr);
    rcpt->dsn_orig_rcpt = buf_export(dsn_orcpt);
    return n == 5 ? 0 : -1;
}

int deliver_request_get(struct stream *sp, struct deliver_request *req,
                        int rcpt_limit)
{
    if (deliver_request_get_header(sp, req) < 0) {
        msg_warn("deliver_request_get: error receiving common attributes");
        return -1;
    }
    if (!mail_queue_name_ok(req->queue_name)) {
        msg_warn("bad mail queue name: %.100s", req->queue_name);
        return -1;
    }
    if (!queue_id_valid(req->queue_id)) {
        msg_warn("bad mail queue ID: %.100s", req->queue_id);
        return -1;
    }
    if (req->rcpt_count <= 0) {
        msg_warn("%s: no recipients in delivery request for destination "
                 "%.100s",
                 req->queue_id, req->nexthop);
        req->rcpt_count = 0;
        return -1;
    }
    if (req->rcpt_count > rcpt_limit) {
        msg_warn("%s: recipient count %d exceeds limit %d", req->queue_id,
                 req->rcpt_count, rcpt_limit);
        req->rcpt_count = 0;
        return -1;
    }
    req->rcpt = mem_zalloc(sizeof(*req->rcpt) * (size_t)req->rcpt_count);
    for (int i = 0; i < req->rcpt_count; i++) {
        if (deliver_request_get_rcpt(sp, req->rcpt + i) < 0) {
            /* Keep what was allocated countable for the free. */
            req->rcpt_count = i + 1;
            msg_warn("deliver_request_get: error receiving recipient "
                     "attributes");
            return -1;
        }
    }
    return 0;
}

/* --- writing a request --- */

int deliver_request_send(struct stream *sp, const struct deliver_request *req)
{
    attr_print(
        sp, ATTR_FLAG_NONE, ATTR_SEND_INT(DELIVER_ATTR_FLAGS, req->flags),
        ATTR_SEND_STR(DELIVER_ATTR_QUEUE_NAME, str_or_empty(req->queue_name)),
        ATTR_SEND_STR(DELIVER_ATTR_QUEUE_ID, str_or_empty(req->queue_id)),
        ATTR_SEND_LONG(DELIVER_ATTR_OFFSET, req->data_offset),
        ATTR_SEND_LONG(DELIVER_ATTR_SIZE, req->data_size),
        ATTR_SEND_STR(DELIVER_ATTR_NEXTHOP, str_or_empty(req->nexthop)),
        ATTR_SEND_STR(DELIVER_ATTR_ENCODING, str_or_empty(req->encoding)),
        ATTR_SEND_INT(DELIVER_ATTR_SMTPUTF8, req->smtputf8),
        ATTR_SEND_STR(DELIVER_ATTR_SENDER, str_or_empty(req->sender)),
        ATTR_SEND_STR(DELIVER_ATTR_ENVID, str_or_empty(req->envelope_id)),
        ATTR_SEND_INT(DELIVER_ATTR_RET, req->ret_flags),
        ATTR_SEND_DATA(DELIVER_ATTR_TIME, &req->stats, sizeof(req->stats)),
        ATTR_SEND_STR(DELIVER_ATTR_CLIENT_NAME, str_or_empty(req->client_name)),
        ATTR_SEND_STR(DELIVER_ATTR_CLIENT_ADDR, str_or_empty(req->client_addr)),
        ATTR_SEND_STR(DELIVER_ATTR_CLIENT_PORT, str_or_empty(req->client_port)),
        ATTR_SEND_STR(DELIVER_ATTR_CLIENT_PROTO,
                      str_or_empty(req->client_proto)),
        ATTR_SEND_STR(DELIVER_ATTR_CLIENT_HELO, str_or_empty(req->client_helo)),
        ATTR_SEND_STR(DELIVER_ATTR_SASL_METHOD, str_or_empty(req->sasl_method)),
        ATTR_SEND_STR(DELIVER_ATTR_SASL_USER, str_or_empty(req->sasl_username)),
        ATTR_SEND_STR(DELIVER_ATTR_SASL_SENDER, str_or_empty(req->sasl_sender)),
        ATTR_SEND_STR(DELIVER_ATTR_LOG_IDENT, str_or_empty(req->log_ident)),
        ATTR_SEND_STR(DELIVER_ATTR_RWR_CONTEXT,
                      str_or_empty(req->rewrite_context)),
        ATTR_SEND_INT(DELIVER_ATTR_RCPT_COUNT, req->rcpt_count), ATTR_END);
    for (int i = 0; i < req->rcpt_count; i++) {
        const struct bounce_rcpt *r = req->rcpt + i;

        attr_print(
            sp, ATTR_FLAG_NONE,
            ATTR_SEND_STR(DELIVER_ATTR_ORCPT,
                          str_or_empty(r->original_recipient)),
            ATTR_SEND_STR(DELIVER_ATTR_RECIPIENT, str_or_empty(r->recipient)),
            ATTR_SEND_LONG(DELIVER_ATTR_RCPT_OFFSET, r->offset),
            ATTR_SEND_STR(DELIVER_ATTR_DSN_ORCPT,
                          str_or_empty(r->dsn_orig_rcpt)),
            ATTR_SEND_INT(DELIVER_ATTR_NOTIFY_FLAGS, r->notify_flags),
            ATTR_END);
    }
    if (stream_flush(sp) < 0 || stream_error(sp))
        return -1;
    return 0;
}

/* --- the reply --- */

int deliver_reply_send(struct stream *sp, const struct bounce_dsn *hop,
                       int status)
{
    static const struct bounce_dsn empty = {"", "", "", "", "", "", ""};

    if (hop == NULL)
        hop = &empty;
    attr_print(
        sp, ATTR_FLAG_NONE,
        ATTR_SEND_STR(DELIVER_ATTR_DSN_STATUS, str_or_empty(hop->status)),
        ATTR_SEND_STR(DELIVER_ATTR_DIAG_TYPE, str_or_empty(hop->diag_type)),
        ATTR_SEND_STR(DELIVER_ATTR_DIAG_TEXT, str_or_empty(hop->diag_text)),
        ATTR_SEND_STR(DELIVER_ATTR_MTA_TYPE, str_or_empty(hop->mta_type)),
        ATTR_SEND_STR(DELIVER_ATTR_MTA_MNAME, str_or_empty(hop->mta_mname)),
        ATTR_SEND_STR(DELIVER_ATTR_ACTION, str_or_empty(hop->action)),
        ATTR_SEND_STR(DELIVER_ATTR_REASON, str_or_empty(hop->reason)),
        ATTR_SEND_INT(DELIVER_ATTR_STATUS, status), ATTR_END);
    if (stream_flush(sp) < 0 || stream_error(sp))
        return -1;
    return 0;
}

struct deliver_reply *deliver_reply_alloc(void)
{
    struct deliver_reply *reply = mem_zalloc(sizeof(*reply));

    reply->status = buf_alloc(16);
    reply->diag_type = buf_alloc(16);
    reply->diag_text = buf_alloc(64);
    reply->mta_type = buf_alloc(16);
    reply->mta_mname = buf_alloc(64);
    reply->action = buf_alloc(16);
    reply->reason = buf_alloc(64);
    return reply;
}

void deliver_reply_free(struct deliver_reply *reply)
{
    if (reply == NULL)
        return;
    buf_free(reply->status);
    buf_free(reply->diag_type);
    buf_free(reply->diag_text);
    buf_free(reply->mta_type);
    buf_free(reply->mta_mname);
    buf_free(reply->action);
    buf_free(reply->reason);
    mem_free(reply);
}

int deliver_reply_get(struct stream *sp, struct deliver_reply *reply)
{
    int n;

    n = attr_scan(sp, ATTR_FLAG_STRICT,
                  ATTR_RECV_STR(DELIVER_ATTR_DSN_STATUS, reply->status),
                  ATTR_RECV_STR(DELIVER_ATTR_DIAG_TYPE, reply->diag_type),
                  ATTR_RECV_STR(DELIVER_ATTR_DIAG_TEXT, reply->diag_text),
                  ATTR_RECV_STR(DELIVER_ATTR_MTA_TYPE, reply->mta_type),
                  ATTR_RECV_STR(DELIVER_ATTR_MTA_MNAME, reply->mta_mname),
                  ATTR_RECV_STR(DELIVER_ATTR_ACTION, reply->action),
                  ATTR_RECV_STR(DELIVER_ATTR_REASON, reply->reason),
                  ATTR_RECV_INT(DELIVER_ATTR_STATUS, &reply->deliver_status),
                  ATTR_END);
    if (n != 8) {
        msg_warn("malformed delivery agent reply: %s",
                 stream_error(sp) ? stream_strerror(stream_error(sp))
                                  : "bad attribute list");
        return -1;
    }
    return 0;
}
