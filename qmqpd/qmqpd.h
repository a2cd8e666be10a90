#ifndef POSTERN_QMQPD_H
#define POSTERN_QMQPD_H

#include <stddef.h>

#include "buf.h"
#include "stream.h"

/*
 * qmqpd: the QMQP server. qmqpd.c is the daemon (session, replies,
 * parameters); qmqpd_proto.c holds what needs no sockets, shared with
 * the unit tests.
 */

/* The first byte of a reply (spec a.2). */
#define QMQPD_STAT_OK    'K' /* accepted for every recipient */
#define QMQPD_STAT_RETRY 'Z' /* temporary failure */
#define QMQPD_STAT_HARD  'D' /* permanent failure */

#define QMQPD_PROTOCOL "QMQP" /* Received: "with", protocol_name */

/* The QMQP convention for VERP: the sender ends in this. */
#define QMQPD_VERP_SUFFIX "-@[]"

/* qmqpd_verp_sender() results. */
#define QMQPD_VERP_NONE 0    /* not a VERP sender: use it as it is */
#define QMQPD_VERP_OK   1    /* rewritten, with delimiters */
#define QMQPD_VERP_BAD  (-1) /* VERP, but delimiters not allowed */

/* The header prefix given to a leading mbox "From " line. */
#define QMQPD_MAILBOX_LINE "X-Mailbox-Line: "

/* Where the Received: header gets its pieces. */
struct qmqpd_received {
    const char *client_name; /* verified name or "unknown" */
    const char *rfc_addr;    /* address, IPv6 with "IPv6:" */
    const char *myhostname;
    const char *mail_name;
    const char *queue_id;
    int rcpt_count;
    const char *first_rcpt; /* internal form */
    const char *date;       /* RFC 5322 date of arrival */
};

int qmqpd_status_reply(unsigned status, const char *reason,
                       const char *queue_id, struct buf *text);
int qmqpd_verp_sender(const char *sender, size_t len, const char *filter,
                      struct buf *out, struct buf *delims, struct buf *why);
void qmqpd_put_received(struct stream *dst, const struct qmqpd_received *r);
void qmqpd_put_content(struct stream *dst, const char *data, size_t len,
                       size_t limit);

#endif
