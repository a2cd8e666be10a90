/*
 * deliver_agent - the two ends of a delivery request connection
 *
 * The socket and file work around the wire format of deliver_request.c:
 * what an agent does with a request before and after it delivers, and
 * how the queue manager reaches an agent (spec d.2).
 *
 * Agent side:
 *	deliver_agent_init()
 *		reads the parameters below from the server skeleton's
 *		configuration (call it from post_init)
 *	deliver_agent_read(client, &req)
 *		announces the protocol, reads the request, opens the queue
 *		file O_RDWR (relative to the queue directory) and takes a
 *		shared non-blocking flock on it; failure to lock is fatal
 *		(the queue manager holds the exclusive lock only while it
 *		reads a file, so a busy lock means someone else owns the
 *		file; Postfix 3.7 does the same). A request whose hand-off
 *		time is 0 (Postfix's qmgr sends that) gets the time of
 *		receipt, as Postfix's agents stamp it. 0 with *reqp set; -1 when
 *		the request was refused: a warning was logged and, if the
 *		client is still there, it got the error reply (status -1)
 *		and was waited for. The caller then just returns.
 *	deliver_agent_done(client, req, hop, status)
 *		sends the reply, waits for the client to close (at most
 *		ipc_timeout: the stream's timeout), frees req (may be
 *		NULL). 0, or -1 if the reply could not be sent.
 *	deliver_completed(req, offset)
 *		marks the recipient whose R record is at offset as done: the
 *		one type byte becomes D, in place (spec b.5). Offset -1 (or
 *		any negative offset) means "do not mark" and does nothing.
 *		Call it only after the recipient's outcome is on record
 *		(delivered, or its bounce logged by the bounce service,
 *		which fsyncs before it answers). 0, or -1 after a warning
 *		when the byte at offset is not an R or D record type (a
 *		wrong offset must not corrupt the file); a failed write is
 *		fatal. The write is not fsynced (as Postfix): losing it in
 *		a crash means a duplicate delivery, never a lost message.
 *
 * Client side (the queue manager):
 *	deliver_agent_connect(transport, timeout)
 *		connects to private/<transport> (relative to the current
 *		directory: daemons run in the queue directory) and checks
 *		the agent's announcement; the stream has timeout seconds
 *		per operation. NULL after a warning. Then
 *		deliver_request_send() and deliver_reply_get(). A queue
 *		manager that must not block connects by itself and calls
 *		attr_expect_announce() when the socket becomes readable.
 *
 * Diagnostics: "open QUEUE QID: reason" (Postfix's text); fatal "shared
 * lock QUEUE/QID: reason" (Postfix's text); "QID: recipient offset N is
 * not a recipient record: not marked done"; "connect to transport
 * private/NAME: reason"; those of deliver_request.c.
 *
 * Configuration parameters (deliver_agent_init): line_length_limit
 * (attribute values up to 4 times that), qmgr_message_recipient_limit
 * (the most recipients a request may carry: the queue manager never
 * holds more in memory), hash_queue_names, hash_queue_depth.
 *
 * Choices where Postfix differs: Postfix panics on a recipient offset of
 * 0; we warn and leave the file alone. deliver_completed() looks at the
 * byte it overwrites (Postfix does not).
 */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/time.h>
#include <unistd.h>

#include "attr.h"
#include "deliver_agent.h"
#include "mail_queue.h"
#include "msg.h"
#include "param.h"
#include "rec_type.h"
#include "server.h"
#include "sock.h"

/* Default until deliver_agent_init() reads the parameter. */
static int deliver_rcpt_limit = 20000;

void deliver_agent_init(void)
{
    attr_set_limit(4 * (size_t)param_int(server_conf, "line_length_limit"));
    deliver_rcpt_limit = param_int(server_conf, "qmgr_message_recipient_limit");
    if (mail_queue_set_hashing(param_str(server_conf, "hash_queue_names"),
                               param_int(server_conf, "hash_queue_depth")) < 0)
        msg_fatal("bad hash_queue_names or hash_queue_depth");
}

/* Wait for the client to close (or the stream's timeout). */
static void deliver_wait_close(struct stream *client)
{
    while (stream_getc(client) != STREAM_EOF)
        /* discard */;
}

int deliver_agent_read(struct stream *client, struct deliver_request **reqp)
{
    struct deliver_request *req;

    *reqp = NULL;
    if (attr_announce(client, DELIVER_REQUEST_PROTOCOL) < 0)
        return -1;
    req = deliver_request_alloc();
    if (deliver_request_get(client, req, deliver_rcpt_limit) < 0)
        goto refuse;
    /* Postfix's qmgr leaves the hand-off time to the agent (it sends 0):
     * stamp it on receipt, or the log's delays= would count the whole
     * delivery as time in the active queue. */
    if (req->stats.agent_handoff.tv_sec == 0 &&
        req->stats.agent_handoff.tv_usec == 0)
        gettimeofday(&req->stats.agent_handoff, NULL);
    if ((req->fd = mail_queue_open(req->queue_name, req->queue_id, O_RDWR, 0)) <
        0) {
        msg_warn("open %s %s: %m", req->queue_name, req->queue_id);
        goto refuse;
    }
    if (flock(req->fd, LOCK_SH | LOCK_NB) < 0)
        msg_fatal("shared lock %s/%s: %m", req->queue_name, req->queue_id);
    *reqp = req;
    return 0;

refuse:
    deliver_request_free(req);
    /* End of input, timeout or I/O error: nobody to answer. */
    if (stream_error(client) == 0)
        deliver_agent_done(client, NULL, NULL, DELIVER_STAT_DEFER);
    return -1;
}

int deliver_agent_done(struct stream *client, struct deliver_request *req,
                       const struct bounce_dsn *hop, int status)
{
    int ret = deliver_reply_send(client, hop, status);

    if (ret < 0)
        msg_warn("%s: cannot send the delivery status: %s",
                 req ? req->queue_id : "request",
                 stream_strerror(stream_error(client)));
    else
        deliver_wait_close(client);
    deliver_request_free(req);
    return ret;
}

int deliver_completed(struct deliver_request *req, long offset)
{
    char type;
    ssize_t n;

    if (offset < 0)
        return 0;
    if (offset == 0 || (n = pread(req->fd, &type, 1, (off_t)offset)) != 1 ||
        (type != REC_TYPE_RCPT && type != REC_TYPE_DONE)) {
        msg_warn("%s: recipient offset %ld is not a recipient record: "
                 "not marked done",
                 req->queue_id, offset);
        return -1;
    }
    if (type == REC_TYPE_DONE)
        return 0;
    type = REC_TYPE_DONE;
    if (pwrite(req->fd, &type, 1, (off_t)offset) != 1)
        msg_fatal("%s: update queue file %s/%s at offset %ld: %m",
                  req->queue_id, req->queue_name, req->queue_id, offset);
    return 0;
}

/* --- client side --- */

struct stream *deliver_agent_connect(const char *transport, int timeout)
{
    struct buf *path = buf_alloc(64);
    struct stream *sp;
    int fd;

    buf_printf(path, "private/%s", transport);
    if ((fd = unix_connect(buf_str(path), timeout * 1000)) < 0) {
        msg_warn("connect to transport %s: %m", buf_str(path));
        buf_free(path);
        return NULL;
    }
    sp = stream_fdopen(fd, 1);
    stream_set_timeout(sp, timeout);
    if (attr_expect_announce(sp, DELIVER_REQUEST_PROTOCOL) < 0) {
        stream_close(sp);
        buf_free(path);
        return NULL;
    }
    buf_free(path);
    return sp;
}
