#ifndef POSTERN_BOUNCE_PROTO_H
#define POSTERN_BOUNCE_PROTO_H

/*
 * The delivery status protocol: what clients (delivery agents, queue
 * managers) say to the bounce, defer and trace services, which are one
 * program (bounce) listening on private/bounce, private/defer and
 * private/trace (spec d.1, f.1). Postfix 3.7's numbers and names, as
 * observed on the wire, so either side may be Postfix.
 *
 * Every connection carries one request:
 *
 *	server -> client	protocol=delivery_status_protocol, end
 *	client -> server	one attribute list, nrequest first
 *	server -> client	status=<int>, end   (0 = done; non-zero = not)
 *
 * Requests, by nrequest (attributes in this order; every request's list
 * ends after its last attribute):
 *
 *   APPEND (0)   flags, queue_id,
 *		  original_recipient, recipient, offset, dsn_orig_rcpt,
 *		  notify_flags,
 *		  status, diag_type, diag_text, mta_type, mta_mname, action,
 *		  reason
 *		append one record to bounce/<id>, defer/<id> or trace/<id>
 *		(which one: the service the client connected to).
 *   FLUSH (1)    flags, queue_name, queue_id, encoding, smtputf8, sender,
 *		  envelope_id, ret_flags
 *		send the notice for the whole log, then delete the log.
 *   WARN (2)     as FLUSH; send a delay warning, keep the log.
 *   VERP (3)     as FLUSH, then verp_delimiters: one notice per recipient
 *		  (VERP); Postern's bounce serves it like FLUSH.
 *   ONE (4)      as FLUSH, then the APPEND recipient and status
 *		  attributes: a notice about one recipient, no log file.
 *   TRACE (5)    as FLUSH; send the delivery status report from trace/<id>,
 *		  then delete it.
 *
 * A reply status of 0 means done (logged, or the notice was queued or
 * was not needed); anything else means the client must try again later.
 */

#define BOUNCE_PROTOCOL "delivery_status_protocol"

/* Service names (master.cf), sockets under private/. */
#define BOUNCE_SERVICE_BOUNCE "bounce"
#define BOUNCE_SERVICE_DEFER  "defer"
#define BOUNCE_SERVICE_TRACE  "trace"
#define BOUNCE_CLASS_PRIVATE  "private"

/* nrequest values. */
#define BOUNCE_CMD_APPEND 0
#define BOUNCE_CMD_FLUSH  1
#define BOUNCE_CMD_WARN   2
#define BOUNCE_CMD_VERP   3
#define BOUNCE_CMD_ONE    4
#define BOUNCE_CMD_TRACE  5

/* Attribute names. */
#define BOUNCE_ATTR_NREQ     "nrequest"
#define BOUNCE_ATTR_FLAGS    "flags"
#define BOUNCE_ATTR_QUEUE    "queue_name"
#define BOUNCE_ATTR_QUEUEID  "queue_id"
#define BOUNCE_ATTR_ENCODING "encoding"
#define BOUNCE_ATTR_SMTPUTF8 "smtputf8"
#define BOUNCE_ATTR_SENDER   "sender"
#define BOUNCE_ATTR_ENVID    "envelope_id"
#define BOUNCE_ATTR_RET      "ret_flags"
#define BOUNCE_ATTR_VERPDL   "verp_delimiters"
#define BOUNCE_ATTR_STATUS   "status" /* the reply's status (int) */

/* Recipient attributes (struct bounce_rcpt, dsn.h). */
#define BOUNCE_ATTR_ORCPT        "original_recipient"
#define BOUNCE_ATTR_RECIP        "recipient"
#define BOUNCE_ATTR_OFFSET       "offset"
#define BOUNCE_ATTR_DSN_ORCPT    "dsn_orig_rcpt"
#define BOUNCE_ATTR_NOTIFY_FLAGS "notify_flags"

/* Status attributes (struct bounce_dsn, dsn.h); "status" again. */
#define BOUNCE_ATTR_DSN_STATUS "status"
#define BOUNCE_ATTR_DIAG_TYPE  "diag_type"
#define BOUNCE_ATTR_DIAG_TEXT  "diag_text"
#define BOUNCE_ATTR_MTA_TYPE   "mta_type"
#define BOUNCE_ATTR_MTA_MNAME  "mta_mname"
#define BOUNCE_ATTR_ACTION     "action"
#define BOUNCE_ATTR_REASON     "reason"

/*
 * Request flags ("flags"). The low bits are the bounce protocol's own;
 * the others are delivery request flags (spec d.2) that clients pass
 * through unchanged.
 */
#define BOUNCE_FLAG_NONE    0
#define BOUNCE_FLAG_CLEAN   (1 << 0) /* on failure, remove the log */
#define BOUNCE_FLAG_DELRCPT (1 << 1) /* delete the recipient from the file */
/* Delivery request flags that clients pass through (spec d.2). */
#define BOUNCE_FLAG_MTA_VRFY     0x100  /* address verification probe */
#define BOUNCE_FLAG_USR_VRFY     0x200  /* sendmail -bv */
#define BOUNCE_FLAG_RECORD       0x400  /* sendmail -v: delivery report */
#define BOUNCE_FLAG_REC_DLY_SENT 0x2000 /* delay warning sent */

/* Reply values. */
#define BOUNCE_STAT_OK   0
#define BOUNCE_STAT_FAIL (-1)

#endif
