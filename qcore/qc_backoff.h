#ifndef POSTERN_QC_BACKOFF_H
#define POSTERN_QC_BACKOFF_H

/*
 * qc_backoff - retry times, expiry and delay warnings of queued messages
 *
 * Time arithmetic of the queue managers (spec b.7, e.4, f.5); pure
 * functions of their arguments (the clock is a parameter), no I/O.
 *
 * Public functions:
 *	qc_backoff_params_init(&p)	Postfix 3.7 defaults (300s, 4000s, 5d, 5d)
 *	qc_backoff_params_load(&p, conf, err)	read the parameters; 0, or -1
 *				with the reason in err. bounce_queue_lifetime
 *				is lowered to maximal_queue_lifetime when
 *				larger (silently, as Postfix does).
 *	qc_backoff_params_fix(&p)	apply that rule to hand-made params
 *	qc_backoff_next(&p, now, arrival)	the next retry time of a message
 *				that keeps undelivered recipients: the caller
 *				sets the deferred file's atime and mtime to it.
 *				delay = now - arrival clamped to
 *				[minimal_backoff_time, maximal_backoff_time];
 *				returns now + delay.
 *	qc_backoff_file_due(mtime, now, ignore_time)	1 if a queue scan
 *				takes the file: ignore_time (trigger A), or
 *				mtime <= now + 1
 *	qc_backoff_lifetime(&p, null_sender)	the lifetime that applies:
 *				bounce_queue_lifetime for a message with the
 *				null sender (bounces), else
 *				maximal_queue_lifetime
 *	qc_backoff_expired(&p, now, arrival, null_sender)	1 if a message
 *				that failed with a temporary error must now be
 *				returned: now >= arrival + lifetime. A lifetime
 *				of 0 expires at once (Postfix: no retry).
 *	qc_backoff_warn_due(now, warn_time)	1 if the delay warning of a
 *				deferred message must be sent now: the W record
 *				time is > 0 and now >= warn_time - 1
 *				(0: none asked, -1: already sent)
 *
 * Diagnostics: qc_backoff_params_load: "minimal_backoff_time (N) is
 * larger than maximal_backoff_time (M)" and bad-value texts from param.h.
 *
 * Parameters: minimal_backoff_time, maximal_backoff_time,
 * maximal_queue_lifetime, bounce_queue_lifetime (delay_warning_time is
 * applied by cleanup, which writes the W record).
 */

#include <time.h>

#include "buf.h"
#include "conf.h"

struct qc_backoff_params {
    long min_backoff;     /* minimal_backoff_time, seconds */
    long max_backoff;     /* maximal_backoff_time, seconds */
    long max_lifetime;    /* maximal_queue_lifetime, seconds */
    long bounce_lifetime; /* bounce_queue_lifetime, <= max_lifetime */
};

void qc_backoff_params_init(struct qc_backoff_params *p);
int qc_backoff_params_load(struct qc_backoff_params *p, struct conf *conf,
                           struct buf *err);
void qc_backoff_params_fix(struct qc_backoff_params *p);
time_t qc_backoff_next(const struct qc_backoff_params *p, time_t now,
                       time_t arrival);
int qc_backoff_file_due(time_t mtime, time_t now, int ignore_time);
long qc_backoff_lifetime(const struct qc_backoff_params *p, int null_sender);
int qc_backoff_expired(const struct qc_backoff_params *p, time_t now,
                       time_t arrival, int null_sender);
int qc_backoff_warn_due(time_t now, long warn_time);

#endif
