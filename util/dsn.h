#ifndef POSTERN_DSN_H
#define POSTERN_DSN_H

/*
 * One recipient and one delivery status, as the delivery agents, the
 * queue managers and the bounce service pass them around (spec d.2, f.1).
 * Field names are the attribute names of the wire protocol
 * (bounce_proto.h) and of the bounce/defer/trace log files.
 *
 * All strings are borrowed: the caller owns them and keeps them alive for
 * the duration of the call they are passed to. NULL and "" both mean
 * "not known" and travel as "".
 */

/* A recipient: the attributes of one delivery request recipient (d.2). */
struct bounce_rcpt {
    const char *original_recipient; /* before aliasing/rewriting, or "" */
    const char *recipient;          /* the envelope recipient */
    long offset;                    /* queue file offset of its R record,
                                       -1: none */
    const char *dsn_orig_rcpt;      /* DSN ORCPT ("rfc822;a@b"), or "" */
    int notify_flags;               /* DSN NOTIFY mask (below), 0: none
                                       given (legacy: as if FAILURE|DELAY) */
};

/*
 * A delivery status (RFC 3464 per-recipient fields). status is an
 * RFC 3463 code "x.y.z" (2 success, 4 transient, 5 permanent); action is
 * one of the DSN_ACTION_* words; reason is the human text that goes into
 * the log line and the notice. diag_type + diag_text go together
 * ("smtp", "550 5.1.1 no such user"), and so do mta_type + mta_mname
 * ("dns", "mx.example.com").
 */
struct bounce_dsn {
    const char *status;    /* "5.1.1" */
    const char *action;    /* DSN_ACTION_* */
    const char *reason;    /* human-readable text */
    const char *diag_type; /* "smtp", or "" */
    const char *diag_text; /* the remote reply, or "" */
    const char *mta_type;  /* "dns", or "" */
    const char *mta_mname; /* remote MTA name, or "" */
};

/* RFC 3464 Action values. */
#define DSN_ACTION_FAILED    "failed"
#define DSN_ACTION_DELAYED   "delayed"
#define DSN_ACTION_DELIVERED "delivered"
#define DSN_ACTION_RELAYED   "relayed"
#define DSN_ACTION_EXPANDED  "expanded"

/* DSN NOTIFY bits (same values as rec_type.h REC_DSN_NOTIFY_*). */
#define DSN_NOTIFY_NEVER   1
#define DSN_NOTIFY_SUCCESS 2
#define DSN_NOTIFY_FAILURE 4
#define DSN_NOTIFY_DELAY   8
#define DSN_NOTIFY_ANY                                                         \
    (DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY)

/* DSN RET values (same values as rec_type.h REC_DSN_RET_*). */
#define DSN_RET_FULL 1
#define DSN_RET_HDRS 2

/* Convenience initializer for a struct bounce_dsn. */
#define BOUNCE_DSN_INIT(status, action, reason)                                \
    {                                                                          \
        (status), (action), (reason), "", "", "", ""                           \
    }

#endif
