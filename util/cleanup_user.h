#ifndef POSTERN_CLEANUP_USER_H
#define POSTERN_CLEANUP_USER_H

/*
 * The cleanup service's client-visible vocabulary (spec d.3): the request
 * flags a client sends after cleanup's announcement, and the status
 * bitmask cleanup answers with. Numbers are Postfix 3.7's, so either side
 * may be Postfix.
 */

#define CLEANUP_PROTOCOL "cleanup_protocol"
#define CLEANUP_SERVICE  "cleanup" /* public/cleanup */

/* Request flags. */
#define CLEANUP_FLAG_NONE       0
#define CLEANUP_FLAG_BOUNCE     (1 << 0)  /* cleanup bounces content problems */
#define CLEANUP_FLAG_FILTER     (1 << 1)  /* header/body checks */
#define CLEANUP_FLAG_HOLD       (1 << 2)  /* queue in hold/ */
#define CLEANUP_FLAG_DISCARD    (1 << 3)  /* accept and throw away */
#define CLEANUP_FLAG_BCC_OK     (1 << 4)  /* automatic Bcc allowed */
#define CLEANUP_FLAG_MAP_OK     (1 << 5)  /* canonical/virtual mapping */
#define CLEANUP_FLAG_MILTER     (1 << 6)  /* milter inspection */
#define CLEANUP_FLAG_SMTP_REPLY (1 << 7)  /* reason is an SMTP reply */
#define CLEANUP_FLAG_SMTPUTF8   (1 << 8)  /* SMTPUTF8 requested */
#define CLEANUP_FLAG_AUTOUTF8   (1 << 9)  /* detect SMTPUTF8 need */
#define CLEANUP_FLAG_REQTLS     (1 << 10) /* REQUIRETLS */

/* What external sources (qmqpd, smtpd) ask for; pickup adds BOUNCE. */
#define CLEANUP_FLAG_MASK_EXTERNAL                                             \
    (CLEANUP_FLAG_FILTER | CLEANUP_FLAG_MILTER | CLEANUP_FLAG_BCC_OK |         \
     CLEANUP_FLAG_MAP_OK)
#define CLEANUP_FLAG_MASK_ALL ((1 << 11) - 1)

/* Status bits. */
#define CLEANUP_STAT_OK      0
#define CLEANUP_STAT_BAD     (1 << 0)  /* internal protocol error */
#define CLEANUP_STAT_WRITE   (1 << 1)  /* queue file write error */
#define CLEANUP_STAT_SIZE    (1 << 2)  /* message too large */
#define CLEANUP_STAT_CONT    (1 << 3)  /* content rejected */
#define CLEANUP_STAT_HOPS    (1 << 4)  /* too many hops */
#define CLEANUP_STAT_RCPT    (1 << 6)  /* no recipients */
#define CLEANUP_STAT_PROXY   (1 << 7)  /* proxy reject */
#define CLEANUP_STAT_DEFER   (1 << 8)  /* temporary reject */
#define CLEANUP_STAT_NOPERM  (1 << 9)  /* denied by policy */
#define CLEANUP_STAT_BARE_LF (1 << 16) /* bare LF received */

/* A status's most important bit, as an SMTP reply and DSN code. */
struct cleanup_stat_detail {
    unsigned status;  /* the one bit described, or 0 */
    int smtp;         /* e.g. 451 */
    const char *dsn;  /* e.g. "4.3.0" */
    const char *text; /* e.g. "queue file write error" */
};

const struct cleanup_stat_detail *cleanup_stat_detail(unsigned status);
const char *cleanup_strerror(unsigned status);

#endif
