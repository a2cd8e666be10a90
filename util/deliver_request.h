#ifndef POSTERN_DELIVER_REQUEST_H
#define POSTERN_DELIVER_REQUEST_H

#include <sys/time.h>

#include "buf.h"
#include "dsn.h"
#include "stream.h"

/*
 * deliver_request - the queue manager -> delivery agent protocol
 * (spec d.2), as Postfix 3.7 speaks it (observed on the wire with
 * Debian's discard and error agents). deliver_request.c reads and writes
 * it; deliver_agent.h has the connection and queue file work of both
 * ends.
 *
 * One connection carries one request. Attribute lists use the "0"
 * encoding of attr.h; every list below ends with its own terminator.
 *
 *	agent -> qmgr	protocol=delivery_request_protocol		(list)
 *	qmgr -> agent	the request: flags, queue_name, queue_id, offset,
 *			size, nexthop, encoding, smtputf8, sender,
 *			envelope_id, ret_flags, time, log_client_name,
 *			log_client_address, log_client_port,
 *			log_protocol_name, log_helo_name, sasl_method,
 *			sasl_username, sasl_sender, log_ident,
 *			rewrite_context, recipient_count	(one list,
 *			exactly these names in this order)
 *	qmgr -> agent	recipient_count recipient lists, each exactly:
 *			original_recipient, recipient, offset,
 *			dsn_orig_rcpt, notify_flags
 *	agent -> qmgr	the reply: the "hop status" status, diag_type,
 *			diag_text, mta_type, mta_mname, action, reason
 *			(empty unless the whole destination is in
 *			trouble), then status (int)		(one list;
 *			"status" twice, the DSN code first)
 *	qmgr closes, then the agent (it waits for the close: some kernels
 *	drop data sent just before a close).
 *
 * Values: unavailable strings travel as "". Integers and longs as
 * unsigned decimal (-1 is 4294967295 or 18446744073709551615). offset
 * (request) is the queue file's data offset (just after the M record),
 * size its content length; a recipient's offset is the file offset of
 * its R record, -1 for "do not mark" (a recipient handed on by another
 * agent). time is struct msg_stats below as raw bytes, base64-encoded.
 *
 * Reply status: 0 when every recipient was dealt with (delivered,
 * bounced, or a bounce logged), non-zero (Postfix sends -1) when some
 * must be tried again. A malformed request is answered with an empty
 * hop status and status -1; a request cut short by a disconnect gets no
 * reply. The queue manager treats a missing or malformed reply as a
 * crash of the agent: every recipient deferred, 4.3.0 "unknown mail
 * transport error".
 *
 * Postfix 3.7 calls the sendopts attribute "smtputf8" (later versions
 * renamed it "sendopts"; a 3.7 agent refuses that name).
 */
#define DELIVER_REQUEST_PROTOCOL "delivery_request_protocol"

/* Request attribute names, in wire order. */
#define DELIVER_ATTR_FLAGS        "flags"
#define DELIVER_ATTR_QUEUE_NAME   "queue_name"
#define DELIVER_ATTR_QUEUE_ID     "queue_id"
#define DELIVER_ATTR_OFFSET       "offset"
#define DELIVER_ATTR_SIZE         "size"
#define DELIVER_ATTR_NEXTHOP      "nexthop"
#define DELIVER_ATTR_ENCODING     "encoding"
#define DELIVER_ATTR_SMTPUTF8     "smtputf8"
#define DELIVER_ATTR_SENDER       "sender"
#define DELIVER_ATTR_ENVID        "envelope_id"
#define DELIVER_ATTR_RET          "ret_flags"
#define DELIVER_ATTR_TIME         "time"
#define DELIVER_ATTR_CLIENT_NAME  "log_client_name"
#define DELIVER_ATTR_CLIENT_ADDR  "log_client_address"
#define DELIVER_ATTR_CLIENT_PORT  "log_client_port"
#define DELIVER_ATTR_CLIENT_PROTO "log_protocol_name"
#define DELIVER_ATTR_CLIENT_HELO  "log_helo_name"
#define DELIVER_ATTR_SASL_METHOD  "sasl_method"
#define DELIVER_ATTR_SASL_USER    "sasl_username"
#define DELIVER_ATTR_SASL_SENDER  "sasl_sender"
#define DELIVER_ATTR_LOG_IDENT    "log_ident"
#define DELIVER_ATTR_RWR_CONTEXT  "rewrite_context"
#define DELIVER_ATTR_RCPT_COUNT   "recipient_count"

/* Recipient attribute names, in wire order. */
#define DELIVER_ATTR_ORCPT        "original_recipient"
#define DELIVER_ATTR_RECIPIENT    "recipient"
#define DELIVER_ATTR_RCPT_OFFSET  "offset"
#define DELIVER_ATTR_DSN_ORCPT    "dsn_orig_rcpt"
#define DELIVER_ATTR_NOTIFY_FLAGS "notify_flags"

/* Reply attribute names, in wire order ("status" twice). */
#define DELIVER_ATTR_DSN_STATUS "status"
#define DELIVER_ATTR_DIAG_TYPE  "diag_type"
#define DELIVER_ATTR_DIAG_TEXT  "diag_text"
#define DELIVER_ATTR_MTA_TYPE   "mta_type"
#define DELIVER_ATTR_MTA_MNAME  "mta_mname"
#define DELIVER_ATTR_ACTION     "action"
#define DELIVER_ATTR_REASON     "reason"
#define DELIVER_ATTR_STATUS     "status"

/*
 * Request flags. What the agent does with a recipient's outcome
 * (deliver_status.c):
 *	SUCCESS		mark a delivered recipient done in the queue file
 *			(bounced recipients are marked done whenever their
 *			bounce record is logged, flag or not: observed)
 *	BOUNCE		(the queue manager always sets it with SUCCESS;
 *			agents do not look at it)
 *	MTA_VRFY	address verification probe: report to the verify
 *			service instead of delivering
 *	USR_VRFY	"sendmail -bv": log deliverable/undeliverable and
 *			write a trace record instead of delivering
 *	RECORD		"sendmail -v": also write a trace record of every
 *			outcome
 *	CONN_LOAD	smtp: may use a cached connection
 *	CONN_STORE	smtp: may cache the connection after delivery
 *	REC_DLY_SENT	the sender had a delay warning: write a trace
 *			record for delivered recipients whose NOTIFY is
 *			empty or includes DELAY ("delay cleared" notice)
 */
#define DEL_REQ_FLAG_SUCCESS      (1 << 0)
#define DEL_REQ_FLAG_BOUNCE       (1 << 1)
#define DEL_REQ_FLAG_MTA_VRFY     (1 << 8)
#define DEL_REQ_FLAG_USR_VRFY     (1 << 9)
#define DEL_REQ_FLAG_RECORD       (1 << 10)
#define DEL_REQ_FLAG_CONN_LOAD    (1 << 11)
#define DEL_REQ_FLAG_CONN_STORE   (1 << 12)
#define DEL_REQ_FLAG_REC_DLY_SENT (1 << 13)

#define DEL_REQ_FLAG_DEFLT (DEL_REQ_FLAG_SUCCESS | DEL_REQ_FLAG_BOUNCE)
#define DEL_REQ_FLAG_VRFY  (DEL_REQ_FLAG_MTA_VRFY | DEL_REQ_FLAG_USR_VRFY)
/* The request flags an agent passes on to bounce/defer/trace (observed:
 * SUCCESS and BOUNCE are stripped, the trace flags travel). */
#define DEL_REQ_TRACE_FLAGS                                                    \
    (DEL_REQ_FLAG_VRFY | DEL_REQ_FLAG_RECORD | DEL_REQ_FLAG_REC_DLY_SENT)

/* Reply status sent by agents; inside the queue manager a missing reply
 * counts as a third outcome, the crash. */
#define DELIVER_STAT_OK    0
#define DELIVER_STAT_DEFER (-1)

/*
 * The "time" attribute: the message's timestamps so far, as Postfix's
 * struct of five timevals and an int. It travels as its raw bytes
 * (native byte order: the peers share a host), so its size is the ABI's:
 * 88 bytes on amd64 (5 x 16-byte timeval, int, 4 bytes padding). A
 * reader refuses any other size. A timestamp whose tv_sec is 0 is
 * "not yet".
 */
struct msg_stats {
    struct timeval incoming_arrival; /* queue file created */
    struct timeval active_arrival;   /* moved into the active queue */
    struct timeval agent_handoff;    /* request sent to the agent */
    struct timeval conn_setup_done;  /* agent: connection set up */
    struct timeval deliver_done;     /* agent: delivery done */
    int reuse_count;                 /* agent: cached connection uses */
};

/*
 * A request. A request read by deliver_request_get() owns its strings
 * (free with deliver_request_free()); a request a client builds for
 * deliver_request_send() may borrow them, and is not freed with it
 * (NULL strings travel as "").
 */
struct deliver_request {
    int flags;
    char *queue_name;
    char *queue_id;
    long data_offset; /* "offset" */
    long data_size;   /* "size" */
    char *nexthop;
    char *encoding;
    int smtputf8;
    char *sender;
    char *envelope_id;
    int ret_flags;
    struct msg_stats stats; /* "time" */
    char *client_name;
    char *client_addr;
    char *client_port;
    char *client_proto;
    char *client_helo;
    char *sasl_method;
    char *sasl_username;
    char *sasl_sender;
    char *log_ident;
    char *rewrite_context;
    int rcpt_count;
    struct bounce_rcpt *rcpt; /* rcpt_count recipients */
    /* Agent side: the queue file, open O_RDWR with a shared flock. */
    int fd;
};

/* The reply's hop status, as a client reads it. */
struct deliver_reply {
    struct buf *status;
    struct buf *diag_type;
    struct buf *diag_text;
    struct buf *mta_type;
    struct buf *mta_mname;
    struct buf *action;
    struct buf *reason; /* non-empty: the destination is in trouble */
    int deliver_status; /* 0 or non-zero */
};

/* Both sides: the wire format. */
struct deliver_request *deliver_request_alloc(void);
void deliver_request_free(struct deliver_request *req);
int deliver_request_get(struct stream *sp, struct deliver_request *req,
                        int rcpt_limit);
int deliver_request_send(struct stream *sp, const struct deliver_request *req);
int deliver_reply_send(struct stream *sp, const struct bounce_dsn *hop,
                       int status);
struct deliver_reply *deliver_reply_alloc(void);
void deliver_reply_free(struct deliver_reply *reply);
int deliver_reply_get(struct stream *sp, struct deliver_reply *reply);

#endif
