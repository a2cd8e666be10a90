#ifndef POSTERN_DELIVER_LOG_H
#define POSTERN_DELIVER_LOG_H

#include <sys/time.h>

#include "buf.h"
#include "deliver_request.h"
#include "dsn.h"

/*
 * The per-recipient delivery log line (spec g), in Postfix's shape:
 *
 *	QID: to=<rcpt>, [orig_to=<orig>, ]relay=RELAY, [conn_use=N, ]
 *	delay=D, delays=a/b/c/d, dsn=X.Y.Z, status=WORD (reason)
 *
 * (one line; see deliver_log.c for the rules).
 */
struct deliver_log {
    const char *queue_id;
    const struct bounce_rcpt *rcpt;
    const char *relay;             /* "none", "local", "host[addr]:port" */
    const struct msg_stats *stats; /* NULL: no timestamps known */
    struct timeval now;            /* used when deliver_done is unset */
    const char *dsn;               /* "2.0.0" */
    const char *status;            /* "sent", "bounced", "deferred", ... */
    const char *reason;
};

/* Log formatting options (main.cf). */
#define DELIVER_LOG_RESOLUTION_DEFAULT 2 /* delay_logging_resolution_limit */
#define DELIVER_LOG_RESOLUTION_MAX     6

void deliver_log_format(struct buf *out, const struct deliver_log *entry,
                        int resolution, int external);
void deliver_log_delay(struct buf *out, long long usec, int resolution);

#endif
