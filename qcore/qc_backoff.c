/*
 * qc_backoff - retry times, expiry and delay warnings of queued messages
 *
 * The time arithmetic of the queue managers, as pure functions of their
 * arguments (the caller passes the clock), so that the scheduler tests can
 * run on a simulated clock.
 *
 * Public functions (see qc_backoff.h for the contract):
 *	qc_backoff_params_init, qc_backoff_params_load, qc_backoff_params_fix,
 *	qc_backoff_next, qc_backoff_file_due, qc_backoff_lifetime,
 *	qc_backoff_expired, qc_backoff_warn_due
 *
 * Facts (spec b.7, e.4, f.5): after an attempt that leaves recipients
 * undelivered, delay = now - arrival clamped to [minimal_backoff_time,
 * maximal_backoff_time] and the deferred file's atime and mtime become
 * now + delay, so the interval roughly doubles with the message's age. A
 * scan takes a file when its mtime <= now + 1, or always when it ignores
 * time stamps (trigger A). bounce_queue_lifetime is lowered to
 * maximal_queue_lifetime when larger; null-sender messages use it. A
 * delay warning is due when W > 0 and now >= W - 1.
 *
 * Choices where Postfix's behaviour was not known to us:
 *	- expiry is "the time in the queue has reached the lifetime"
 *	  (postconf(5) wording): now - arrival >= lifetime. A lifetime of 0
 *	  therefore expires at the first deferral (try once).
 *	- an arrival time in the future (clock stepped back) gives a negative
 *	  age: the delay is minimal_backoff_time, the message does not expire.
 *	- minimal_backoff_time > maximal_backoff_time is a configuration
 *	  error (qc_backoff_params_load returns -1).
 *
 * Diagnostics: qc_backoff_params_load error texts only; nothing is logged.
 *
 * Parameters: minimal_backoff_time, maximal_backoff_time,
 * maximal_queue_lifetime, bounce_queue_lifetime.
 */
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "param.h"
#include "qc_backoff.h"

void qc_backoff_params_init(struct qc_backoff_params *p)
{
    p->min_backoff = 300;
    p->max_backoff = 4000;
    p->max_lifetime = 5 * 86400;
    p->bounce_lifetime = 5 * 86400;
}

void qc_backoff_params_fix(struct qc_backoff_params *p)
{
    if (p->bounce_lifetime > p->max_lifetime)
        p->bounce_lifetime = p->max_lifetime;
}

int qc_backoff_params_load(struct qc_backoff_params *p, struct conf *conf,
                           struct buf *err)
{
    if (param_get_time(conf, "minimal_backoff_time", &p->min_backoff, err) <
            0 ||
        param_get_time(conf, "maximal_backoff_time", &p->max_backoff, err) <
            0 ||
        param_get_time(conf, "maximal_queue_lifetime", &p->max_lifetime, err) <
            0 ||
        param_get_time(conf, "bounce_queue_lifetime", &p->bounce_lifetime,
                       err) < 0)
        return -1;
    if (p->min_backoff > p->max_backoff) {
        buf_printf(err,
                   "minimal_backoff_time (%lds) is larger than "
                   "maximal_backoff_time (%lds)",
                   p->min_backoff, p->max_backoff);
        return -1;
    }
    qc_backoff_params_fix(p);
    return 0;
}

time_t qc_backoff_next(const struct qc_backoff_params *p, time_t now,
                       time_t arrival)
{
    long delay = arrival < now ? (long)(now - arrival) : 0;

    if (delay > p->max_backoff)
        delay = p->max_backoff;
    if (delay < p->min_backoff)
        delay = p->min_backoff;
    return now + delay;
}

int qc_backoff_file_due(time_t mtime, time_t now, int ignore_time)
{
    return ignore_time || mtime <= now + 1;
}

long qc_backoff_lifetime(const struct qc_backoff_params *p, int null_sender)
{
    if (null_sender)
        return p->bounce_lifetime < p->max_lifetime ? p->bounce_lifetime
                                                    : p->max_lifetime;
    return p->max_lifetime;
}

int qc_backoff_expired(const struct qc_backoff_params *p, time_t now,
                       time_t arrival, int null_sender)
{
    long lifetime = qc_backoff_lifetime(p, null_sender);

    if (lifetime <= 0)
        return 1;
    if (now < arrival)
        return 0;
    return (long long)now - (long long)arrival >= lifetime;
}

int qc_backoff_warn_due(time_t now, long warn_time)
{
    return warn_time > 0 && (long long)now >= (long long)warn_time - 1;
}
