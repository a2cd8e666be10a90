#ifndef POSTERN_BOUNCE_CLIENT_H
#define POSTERN_BOUNCE_CLIENT_H

#include "bounce_proto.h"
#include "dsn.h"

/*
 * The client side of the bounce, defer and trace services (see
 * bounce_client.c and bounce_proto.h). Each call connects to
 * private/<service> relative to the current directory (daemons run in
 * queue_directory), sends one request and returns 0 when the service
 * answered status 0, -1 otherwise (with a warning for a failed
 * connection or a broken reply).
 *
 * flags: BOUNCE_FLAG_* (bounce_proto.h), possibly with delivery request
 * flags passed through. The caller logs its own "to=<...>, ...,
 * status=bounced|deferred|sent" line; these calls log nothing on success.
 */

/* Append one recipient's status to bounce/<id>, defer/<id>, trace/<id>. */
int bounce_append(int flags, const char *queue_id,
                  const struct bounce_rcpt *rcpt, const struct bounce_dsn *dsn);
int defer_append(int flags, const char *queue_id,
                 const struct bounce_rcpt *rcpt, const struct bounce_dsn *dsn);
int trace_append(int flags, const char *queue_id,
                 const struct bounce_rcpt *rcpt, const struct bounce_dsn *dsn);

/*
 * The message a notice is about: queue_name + queue_id locate the queue
 * file; encoding ("", "7bit", "8bit"), smtputf8 (sendopts), sender,
 * envelope_id (DSN ENVID) and ret_flags (DSN_RET_*) come from it.
 */
struct bounce_msg {
    const char *queue_name;
    const char *queue_id;
    const char *encoding;
    int smtputf8;
    const char *sender;
    const char *envelope_id;
    int ret_flags;
};

/* Send the non-delivery notice for bounce/<id>; the service removes it. */
int bounce_flush(int flags, const struct bounce_msg *msg);
/* Send a non-delivery notice for defer/<id> (expired mail). */
int defer_flush(int flags, const struct bounce_msg *msg);
/* Send a delay warning for defer/<id>, which stays. */
int defer_warn(int flags, const struct bounce_msg *msg);
/* Send the delivery status report for trace/<id>; the service removes it. */
int trace_flush(int flags, const struct bounce_msg *msg);
/* Send a non-delivery notice about one recipient (no log file). */
int bounce_one(int flags, const struct bounce_msg *msg,
               const struct bounce_rcpt *rcpt, const struct bounce_dsn *dsn);

/* Seconds for connect and each read or write; default: ipc_timeout of the
 * server skeleton when it is set, else 3600. */
void bounce_client_set_timeout(int seconds);

#endif
