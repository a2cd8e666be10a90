/*
 * qmqpd - the QMQP server
 *
 * Receives one message per connection over QMQP (spec a.2: a netstring
 * holding the message, the sender and one or more recipients as
 * netstrings; one netstring reply whose first byte is K, Z or D) and
 * hands it to the cleanup service as one queue file. Run by master as an
 * inet service (Postfix's master.cf line: "628 inet n - n - - qmqpd").
 * Postfix 3.7's qmqpd was run under our master with a recording cleanup
 * stand-in: what it sends to cleanup, replies and logs is what this
 * program does (spec a.4).
 *
 * Per connection:
 *	1. look up the client (client_peer.h: verified name or "unknown",
 *	   address, port); log "connect from NAME[ADDR]";
 *	2. qmqpd_authorized_clients (addr_match.h; empty: nobody) decides.
 *	   Not listed: D "Error: NAME[ADDR] is not authorized to use this
 *	   service"; the list failed (a table lookup error, a malformed
 *	   pattern): Z "Error: server configuration error". Neither reply is
 *	   logged, and no queue file is made;
 *	3. connect to public/cleanup (flags: FILTER, BCC_OK, MAP_OK, MILTER,
 *	   less what receive_override_options turns off, plus AUTOUTF8 when
 *	   smtputf8_autodetect_classes names qmqpd); log "QID:
 *	   client=NAME[ADDR]"; write T (arrival) and, with content_filter, L;
 *	4. read the outer netstring's length and ignore it; read the message
 *	   into memory (at most message_size_limit), the sender (at most
 *	   line_length_limit; the VERP convention of qmqpd_proto.c), write S
 *	   (and V), the A records (log_client_name, log_client_address,
 *	   log_client_port, log_message_origin, log_protocol_name=QMQP,
 *	   client_name, client_address, client_port, client_address_type,
 *	   protocol_name=QMQP); then each recipient (at most
 *	   line_length_limit) as R, until the ',' that closes the outer
 *	   netstring;
 *	5. write M, the Received: header, the message (N/L records), X, E;
 *	   read cleanup's verdict and reply (qmqpd_status_reply()):
 *	   K "Ok: queued as QID", or Z/D "Error: ...". Cleanup acknowledges
 *	   only a queue file that is complete and on stable storage.
 *	6. log "disconnect from NAME[ADDR]".
 *
 * Every reply other than K is preceded by qmqpd_error_delay, turned from
 * D into Z by soft_bounce, and (except the access refusals of step 2 and
 * the protocol errors below) logged as "warning: QID: NAME[ADDR]: TEXT".
 *
 * Protocol errors: a malformed netstring or one longer than its limit is
 * answered at once, without reading on (Postfix documents this), with D
 * "netstring format error while STATE" or D "netstring length exceeds
 * storage limit while STATE"; a client that goes away or stays silent
 * for qmqpd_timeout gets nothing. Each is logged as "QID: NAME[ADDR]:
 * REASON while STATE" (NOQUEUE before there is a queue ID), STATE being
 * "receiving QMQP packet header", "receiving message content",
 * "receiving sender address", "receiving recipient address" or "sending
 * completion status"; REASON "netstring format error", "netstring length
 * exceeds storage limit", "lost connection" or "read/write timeout". The
 * cleanup connection is then closed before the end record, so cleanup
 * removes the unfinished file: a client that disconnects halfway leaves
 * nothing in the queue. An unusable VERP sender is answered only once the
 * whole request has been read ("Error: Invalid VERP delimiters: ...").
 *
 * qmqpd_client_port_logging adds ":PORT" to NAME[ADDR] everywhere it is
 * logged, in the refusal text and in log_message_origin. A client that
 * matches debug_peer_list raises the verbose level by debug_peer_level
 * for its session. When a table of qmqpd_authorized_clients or
 * debug_peer_list changes on disk the process exits after the client
 * ("table X has changed -- restarting") and master starts a fresh one.
 *
 * message_size_limit 0 means no limit (Postfix 3.7's qmqpd was seen to
 * accept a message with it). Netstring lengths are read by netstring.c,
 * which refuses an empty length and more than 20 digits; Postfix's qmqpd
 * reads ":" as length 0 and any number of leading zeros.
 *
 * Choices where Postfix's behaviour was not observed: when cleanup
 * cannot be reached the client gets Z "Error: queue file write error"
 * (with a warning) rather than a dropped connection; a stand-alone (-S)
 * or UNIX-domain client is localhost[127.0.0.1] (client_peer.c).
 *
 * Configuration parameters: qmqpd_authorized_clients,
 * qmqpd_client_port_logging, qmqpd_error_delay, qmqpd_timeout,
 * content_filter, receive_override_options, line_length_limit,
 * message_size_limit, soft_bounce, verp_delimiter_filter,
 * default_verp_delimiters (checked at start-up against the filter, as
 * Postfix's daemons do), smtputf8_enable, smtputf8_autodetect_classes,
 * debug_peer_list, debug_peer_level, myhostname, mail_name,
 * parent_domain_matches_subdomains; through the skeleton ipc_timeout (the
 * cleanup connection), max_use, max_idle, daemon_timeout,
 * queue_directory, syslog_name, syslog_facility, maillog_file. cleanup
 * enforces hopcount_limit and the other content limits.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "addr_match.h"
#include "buf.h"
#include "cleanup_client.h"
#include "cleanup_user.h"
#include "client_peer.h"
#include "input_flags.h"
#include "mail_date.h"
#include "mem.h"
#include "msg.h"
#include "netstring.h"
#include "qmqpd.h"
#include "record.h"
#include "server.h"
#include "stream.h"
#include "verp_delims.h"

#define QMQPD_CLEANUP_PATH "public/" CLEANUP_SERVICE
#define QMQPD_NOQUEUE      "NOQUEUE"

/* What the client is doing when something goes wrong, for the logs. */
#define QMQPD_WHERE_HEADER    "receiving QMQP packet header"
#define QMQPD_WHERE_MESSAGE   "receiving message content"
#define QMQPD_WHERE_SENDER    "receiving sender address"
#define QMQPD_WHERE_RECIPIENT "receiving recipient address"
#define QMQPD_WHERE_REPLY     "sending completion status"

/* Parameters. */
static int var_qmqpd_port_logging;
static int var_qmqpd_error_delay;
static int var_qmqpd_timeout;
static char *var_content_filter;
static int var_line_limit;
static long var_message_limit;
static int var_soft_bounce;
static char *var_verp_filter;
static char *var_verp_delims;
static char *var_myhostname;
static char *var_mail_name;
static int var_debug_peer_level;

static const struct server_param qmqpd_params[] = {
    SERVER_INT("qmqpd_client_port_logging", &var_qmqpd_port_logging),
    SERVER_TIME("qmqpd_error_delay", &var_qmqpd_error_delay),
    SERVER_TIME("qmqpd_timeout", &var_qmqpd_timeout),
    SERVER_STR("content_filter", &var_content_filter),
    SERVER_INT("line_length_limit", &var_line_limit),
    SERVER_LONG("message_size_limit", &var_message_limit),
    SERVER_INT("soft_bounce", &var_soft_bounce),
    SERVER_STR("verp_delimiter_filter", &var_verp_filter),
    SERVER_STR("default_verp_delimiters", &var_verp_delims),
    SERVER_STR("myhostname", &var_myhostname),
    SERVER_STR("mail_name", &var_mail_name),
    SERVER_INT("debug_peer_level", &var_debug_peer_level),
    SERVER_PARAM_END,
};

static struct addr_match_list *qmqpd_clients;
static struct addr_match_list *qmqpd_debug_peers;
static int qmqpd_cleanup_flags;

/* One session. */
struct qmqpd_state {
    struct stream *client;
    struct client_peer peer;
    const char *namaddr; /* NAME[ADDR], or NAME[ADDR]:PORT */
    struct cleanup_client *cleanup;
    const char *queue_id; /* or QMQPD_NOQUEUE */
    const char *where;
    struct timeval arrival;
    unsigned err;       /* our own verdict before cleanup's */
    struct buf *reason; /* its text */
    struct buf *message;
    struct buf *sender;
    struct buf *rcpt;
    struct buf *first_rcpt;
    int rcpt_count;
};

/* Send the one reply; log it as a warning when asked. */
static void qmqpd_reply(struct qmqpd_state *state, int log, int code,
                        const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void qmqpd_reply(struct qmqpd_state *state, int log, int code,
                        const char *fmt, ...)
{
    struct buf *text = buf_alloc(100);
    va_list ap;

    buf_append_char(text, code);
    va_start(ap, fmt);
    buf_append_vprintf(text, fmt, ap);
    va_end(ap);
    if (var_soft_bounce && text->data[0] == QMQPD_STAT_HARD)
        text->data[0] = QMQPD_STAT_RETRY;
    if (log)
        msg_warn("%s: %s: %s", state->queue_id, state->namaddr,
                 buf_str(text) + 1);
    /* Slow down clients that keep sending what we refuse. */
    if (text->data[0] != QMQPD_STAT_OK && var_qmqpd_error_delay > 0)
        sleep((unsigned)var_qmqpd_error_delay);
    state->where = QMQPD_WHERE_REPLY;
    netstring_put(state->client, buf_str(text), buf_len(text));
    if (stream_flush(state->client) != 0)
        msg_info("%s: %s: %s while %s", state->queue_id, state->namaddr,
                 (stream_error(state->client) & STREAM_ERR_TIMEOUT)
                     ? "read/write timeout"
                     : "lost connection",
                 state->where);
    buf_free(text);
}

/*
 * A netstring could not be read: log it, answer protocol errors at once,
 * and abandon the queue file.
 */
static void qmqpd_read_error(struct qmqpd_state *state, int err)
{
    const char *reason;

    switch (err) {
    case NETSTRING_ERR_FORMAT:
        reason = "netstring format error";
        break;
    case NETSTRING_ERR_SIZE:
        reason = "netstring length exceeds storage limit";
        break;
    case NETSTRING_ERR_TIME:
        reason = "read/write timeout";
        break;
    default:
        reason = "lost connection";
        break;
    }
    msg_info("%s: %s: %s while %s", state->queue_id, state->namaddr, reason,
             state->where);
    if (err == NETSTRING_ERR_FORMAT || err == NETSTRING_ERR_SIZE)
        qmqpd_reply(state, 0, QMQPD_STAT_HARD, "%s while %s", reason,
                    state->where);
}

/* The envelope sender, with the QMQP VERP convention. */
static void qmqpd_write_sender(struct qmqpd_state *state)
{
    struct buf *sender = buf_alloc(100);
    struct buf *delims = buf_alloc(4);
    struct stream *dst = state->cleanup->stream;

    switch (qmqpd_verp_sender(buf_str(state->sender), buf_len(state->sender),
                              var_verp_filter, sender, delims, state->reason)) {
    case QMQPD_VERP_BAD:
        state->err = CLEANUP_STAT_CONT;
        break;
    case QMQPD_VERP_OK:
        rec_put(dst, REC_TYPE_FROM, buf_str(sender), buf_len(sender));
        rec_put(dst, REC_TYPE_VERP, buf_str(delims), buf_len(delims));
        break;
    default:
        rec_put(dst, REC_TYPE_FROM, buf_str(sender), buf_len(sender));
        break;
    }
    buf_free(sender);
    buf_free(delims);
}

/* Who sent it, for cleanup, the logs of later programs, and policy. */
static void qmqpd_write_attributes(struct qmqpd_state *state)
{
    struct stream *dst = state->cleanup->stream;
    const struct client_peer *peer = &state->peer;

    rec_fprintf(dst, REC_TYPE_ATTR, "log_client_name=%s", peer->name);
    rec_fprintf(dst, REC_TYPE_ATTR, "log_client_address=%s", peer->rfc_addr);
    rec_fprintf(dst, REC_TYPE_ATTR, "log_client_port=%s", peer->port);
    rec_fprintf(dst, REC_TYPE_ATTR, "log_message_origin=%s", state->namaddr);
    rec_fprintf(dst, REC_TYPE_ATTR, "log_protocol_name=%s", QMQPD_PROTOCOL);
    rec_fprintf(dst, REC_TYPE_ATTR, "client_name=%s", peer->name);
    rec_fprintf(dst, REC_TYPE_ATTR, "client_address=%s", peer->addr);
    rec_fprintf(dst, REC_TYPE_ATTR, "client_port=%s", peer->port);
    rec_fprintf(dst, REC_TYPE_ATTR, "client_address_type=%d", peer->family);
    rec_fprintf(dst, REC_TYPE_ATTR, "protocol_name=%s", QMQPD_PROTOCOL);
}

/* Recipients until the ',' that ends the outer netstring; 0 or error. */
static int qmqpd_read_recipients(struct qmqpd_state *state)
{
    int found;
    int err;

    state->where = QMQPD_WHERE_RECIPIENT;
    for (;;) {
        if ((err = netstring_peek_terminator(state->client, &found)) != 0)
            return err;
        if (found)
            return netstring_get_terminator(state->client);
        if ((err = netstring_get(state->client, state->rcpt,
                                 (size_t)var_line_limit)) != 0)
            return err;
        if (state->err == CLEANUP_STAT_OK)
            rec_put(state->cleanup->stream, REC_TYPE_RCPT, buf_str(state->rcpt),
                    buf_len(state->rcpt));
        if (++state->rcpt_count == 1)
            buf_set(state->first_rcpt, buf_str(state->rcpt),
                    buf_len(state->rcpt));
    }
}

/* The content segment and the end: M, Received:, message, X, E. */
static void qmqpd_write_content(struct qmqpd_state *state)
{
    struct stream *dst = state->cleanup->stream;
    struct buf *date = buf_alloc(64);
    struct qmqpd_received received;

    rec_put(dst, REC_TYPE_MESG, "", 0);
    mail_date(date, state->arrival.tv_sec);
    received.client_name = state->peer.name;
    received.rfc_addr = state->peer.rfc_addr;
    received.myhostname = var_myhostname;
    received.mail_name = var_mail_name;
    received.queue_id = state->queue_id;
    received.rcpt_count = state->rcpt_count;
    received.first_rcpt = buf_str(state->first_rcpt);
    received.date = buf_str(date);
    qmqpd_put_received(dst, &received);
    qmqpd_put_content(dst, buf_str(state->message), buf_len(state->message),
                      (size_t)var_line_limit);
    rec_put(dst, REC_TYPE_XTRA, "", 0);
    rec_put(dst, REC_TYPE_END, "", 0);
    buf_free(date);
}

/* An authorized client: receive the request and queue it. */
static void qmqpd_receive(struct qmqpd_state *state)
{
    struct stream *dst;
    size_t outer_len;
    size_t message_limit =
        var_message_limit > 0 ? (size_t)var_message_limit : SIZE_MAX;
    unsigned status;
    int err;
    int code;
    struct buf *text;

    if ((state->cleanup =
             cleanup_client_open(QMQPD_CLEANUP_PATH, qmqpd_cleanup_flags,
                                 server_ipc_timeout)) == NULL) {
        qmqpd_reply(state, 1, QMQPD_STAT_RETRY,
                    "Error: queue file write error");
        return;
    }
    state->queue_id = state->cleanup->queue_id;
    dst = state->cleanup->stream;
    msg_info("%s: client=%s", state->queue_id, state->namaddr);
    gettimeofday(&state->arrival, NULL);
    rec_fprintf(dst, REC_TYPE_TIME, REC_TYPE_TIME_FORMAT,
                (long)state->arrival.tv_sec, (long)state->arrival.tv_usec);
    if (*var_content_filter)
        rec_puts(dst, REC_TYPE_FILT, var_content_filter);

    /* The outer length is not trusted: the ',' after the last recipient
     * ends the request. */
    state->where = QMQPD_WHERE_HEADER;
    if ((err = netstring_get_length(state->client, SIZE_MAX, &outer_len))) {
        qmqpd_read_error(state, err);
        return;
    }
    state->where = QMQPD_WHERE_MESSAGE;
    if ((err = netstring_get(state->client, state->message, message_limit))) {
        qmqpd_read_error(state, err);
        return;
    }
    state->where = QMQPD_WHERE_SENDER;
    if ((err = netstring_get(state->client, state->sender,
                             (size_t)var_line_limit))) {
        qmqpd_read_error(state, err);
        return;
    }
    qmqpd_write_sender(state);
    qmqpd_write_attributes(state);
    if ((err = qmqpd_read_recipients(state)) != 0) {
        qmqpd_read_error(state, err);
        return;
    }

    if (msg_verbose)
        msg_info("%s: %s: %zu bytes of message, sender <%.100s>, %d "
                 "recipient%s",
                 state->queue_id, state->namaddr, buf_len(state->message),
                 buf_str(state->sender), state->rcpt_count,
                 state->rcpt_count == 1 ? "" : "s");

    /* The whole request is in: only now may we answer. */
    if (state->err == CLEANUP_STAT_OK) {
        qmqpd_write_content(state);
        status = (unsigned)cleanup_client_finish(state->cleanup, state->reason);
    } else {
        status = state->err;
    }
    text = buf_alloc(100);
    code = qmqpd_status_reply(status, buf_str(state->reason), state->queue_id,
                              text);
    qmqpd_reply(state, code != QMQPD_STAT_OK, code, "%s", buf_str(text));
    buf_free(text);
}

static void qmqpd_serve(struct stream *client, const char *service, char **argv)
{
    struct qmqpd_state state;
    int saved_verbose = msg_verbose;

    (void)service;
    (void)argv;
    memset(&state, 0, sizeof(state));
    state.client = client;
    state.queue_id = QMQPD_NOQUEUE;
    state.reason = buf_alloc(100);
    state.message = buf_alloc(4096);
    state.sender = buf_alloc(100);
    state.rcpt = buf_alloc(100);
    state.first_rcpt = buf_alloc(100);
    client_peer_lookup(&state.peer, stream_fileno(client));
    state.namaddr =
        var_qmqpd_port_logging ? state.peer.namaddrport : state.peer.namaddr;
    if (!addr_match_list_empty(qmqpd_debug_peers) &&
        addr_match(qmqpd_debug_peers, state.peer.name, state.peer.addr) ==
            ADDR_MATCH_YES)
        msg_verbose += var_debug_peer_level;
    msg_info("connect from %s", state.namaddr);
    stream_set_timeout(client, var_qmqpd_timeout);

    switch (addr_match(qmqpd_clients, state.peer.name, state.peer.addr)) {
    case ADDR_MATCH_YES:
        qmqpd_receive(&state);
        break;
    case ADDR_MATCH_NO:
        qmqpd_reply(&state, 0, QMQPD_STAT_HARD,
                    "Error: %s is not authorized to use this service",
                    state.namaddr);
        break;
    default:
        qmqpd_reply(&state, 0, QMQPD_STAT_RETRY,
                    "Error: server configuration error");
        break;
    }
    msg_info("disconnect from %s", state.namaddr);

    /* Without an end record and a read verdict, cleanup drops the file. */
    cleanup_client_close(state.cleanup);
    client_peer_free(&state.peer);
    buf_free(state.reason);
    buf_free(state.message);
    buf_free(state.sender);
    buf_free(state.rcpt);
    buf_free(state.first_rcpt);
    msg_verbose = saved_verbose;
}

static void qmqpd_post_init(const char *service, char **argv)
{
    struct buf *why = buf_alloc(100);

    (void)service;
    (void)argv;
    if (verp_delims_verify(var_verp_delims, var_verp_filter, why) < 0)
        msg_fatal("default_verp_delimiters: %s", buf_str(why));
    buf_free(why);
    qmqpd_clients =
        addr_match_list_param(server_conf, "qmqpd_authorized_clients");
    qmqpd_debug_peers = addr_match_list_param(server_conf, "debug_peer_list");
    qmqpd_cleanup_flags = input_cleanup_flags(
        server_conf, CLEANUP_FLAG_MASK_EXTERNAL, INPUT_CLASS_QMQPD);
}

/* Between clients: a changed table means a fresh process. */
static int qmqpd_loop(const char *service, char **argv)
{
    const char *table;

    (void)service;
    (void)argv;
    if ((table = addr_match_list_changed(qmqpd_clients)) != NULL ||
        (table = addr_match_list_changed(qmqpd_debug_peers)) != NULL) {
        msg_info("table %s has changed -- restarting", table);
        exit(0);
    }
    return -1;
}

int main(int argc, char **argv)
{
    static const struct server_ops ops = {
        .model = SERVER_SINGLE,
        .params = qmqpd_params,
        .post_init = qmqpd_post_init,
        .serve = qmqpd_serve,
        .loop = qmqpd_loop,
    };

    server_main(argc, argv, &ops);
}
