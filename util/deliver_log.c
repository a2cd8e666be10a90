/*
 * deliver_log - the per-recipient delivery log line
 *
 * Every delivery agent, and the queue manager for recipients it disposes
 * of itself, logs one line per recipient outcome, in the shape log
 * analysers (pflogsumm, postfix_exporter) parse (spec g):
 *
 *	QID: to=<rcpt>, [orig_to=<orig>, ]relay=RELAY, [conn_use=N, ]
 *	delay=D, delays=a/b/c/d, dsn=X.Y.Z, status=WORD (reason)
 *
 * Public functions:
 *	deliver_log_format(out, entry, resolution, external)
 *		puts the line for entry in out (without a newline; the
 *		caller hands it to msg_info()). Addresses in external
 *		(quoted) form when external is set (info_log_address_format
 *		= external), else as they are; the empty address is <>.
 *		orig_to appears when the original recipient is not empty
 *		and differs from the recipient other than in case
 *		(observed). conn_use=N appears when the stats' reuse count
 *		is positive, as that count + 1 (observed).
 *	deliver_log_delay(out, usec, resolution)
 *		appends one delay value (microseconds).
 *
 * Delays (all observed with Postfix 3.7): the end of delivery is the
 * stats' deliver_done, or entry->now when that is unset (tv_sec 0). An
 * unset active_arrival or agent_handoff counts as the end of delivery;
 * an unset conn_setup_done as the hand-off (so c is 0). Then
 *	delay = end - incoming_arrival
 *	a = active_arrival - incoming_arrival	(before the active queue)
 *	b = agent_handoff - active_arrival	(in the active queue)
 *	c = conn_setup_done - agent_handoff	(connection set-up)
 *	d = end - conn_setup_done		(transmission)
 * each clamped at 0. With no stats at all every value is 0.
 *
 * Each value is printed with two significant digits, but with no more
 * than resolution decimals (delay_logging_resolution_limit, 0..6):
 * rounded half up, trailing zeros (and a bare point) dropped. Values of
 * 10 s and more are whole seconds. Examples at resolution 2: 0.004999 ->
 * 0, 0.005 -> 0.01, 0.125 -> 0.13, 0.995 -> 1, 1.05 -> 1.1, 9.95 -> 10,
 * 10.5 -> 11; at resolution 6: 0.000499 -> 0.0005, 0.00125 -> 0.0013;
 * at resolution 0: 0.45 -> 0, 0.6 -> 1, 2.5 -> 3.
 *
 * Diagnostics: none. Configuration parameters: none here (the callers
 * pass delay_logging_resolution_limit and info_log_address_format).
 */
#include <string.h>
#include <strings.h>

#include "deliver_log.h"
#include "addr_token.h"

#define DELIVER_LOG_SIG_DIGITS 2
#define USEC_PER_SEC           1000000LL

void deliver_log_delay(struct buf *out, long long usec, int resolution)
{
    long long unit = 1;
    long long scaled = 1;
    long long q;
    int decimals;

    if (resolution < 0)
        resolution = 0;
    if (resolution > DELIVER_LOG_RESOLUTION_MAX)
        resolution = DELIVER_LOG_RESOLUTION_MAX;
    if (usec <= 0) {
        buf_append_char(out, '0');
        return;
    }
    if (usec >= USEC_PER_SEC) {
        int digits = 0;

        for (long long s = usec / USEC_PER_SEC; s > 0; s /= 10)
            digits++;
        decimals = digits >= DELIVER_LOG_SIG_DIGITS
                       ? 0
                       : DELIVER_LOG_SIG_DIGITS - digits;
    } else {
        /* Zeros between the point and the first significant digit. */
        int zeros = 0;

        for (long long t = USEC_PER_SEC / 10; usec < t; t /= 10)
            zeros++;
        decimals = zeros + DELIVER_LOG_SIG_DIGITS;
    }
    if (decimals > resolution)
        decimals = resolution;
    for (int i = decimals; i < 6; i++)
        unit *= 10;
    for (int i = 0; i < decimals; i++)
        scaled *= 10;
    q = (usec + unit / 2) / unit;
    buf_append_printf(out, "%lld", q / scaled);
    if (decimals > 0 && q % scaled != 0) {
        char frac[8];
        int len = decimals;

        for (int i = decimals - 1; i >= 0; i--) {
            frac[i] = (char)('0' + q % 10);
            q /= 10;
        }
        while (len > 0 && frac[len - 1] == '0')
            len--;
        buf_append_char(out, '.');
        buf_append(out, frac, (size_t)len);
    }
}

static long long tv_usec(const struct timeval *tv)
{
    return (long long)tv->tv_sec * USEC_PER_SEC + (long long)tv->tv_usec;
}

static long long tv_diff(long long later, long long earlier)
{
    return later > earlier ? later - earlier : 0;
}

static void deliver_log_addr(struct buf *out, const char *addr, int external)
{
    buf_append_char(out, '<');
    if (external)
        addr_external_append(addr, out);
    else
        buf_append_str(out, addr);
    buf_append_char(out, '>');
}

void deliver_log_format(struct buf *out, const struct deliver_log *entry,
                        int resolution, int external)
{
    const struct bounce_rcpt *rcpt = entry->rcpt;
    const char *addr = rcpt->recipient ? rcpt->recipient : "";
    const char *orig = rcpt->original_recipient;
    const struct msg_stats *st = entry->stats;
    long long end;
    long long arrival;
    long long active;
    long long handoff;
    long long conn;

    buf_printf(out, "%s: to=", entry->queue_id);
    deliver_log_addr(out, addr, external);
    if (orig && *orig && strcasecmp(orig, addr) != 0) {
        buf_append_str(out, ", orig_to=");
        deliver_log_addr(out, orig, external);
    }
    buf_append_printf(out, ", relay=%s", entry->relay ? entry->relay : "none");
    if (st && st->reuse_count > 0)
        buf_append_printf(out, ", conn_use=%d", st->reuse_count + 1);

    end = (st && st->deliver_done.tv_sec) ? tv_usec(&st->deliver_done)
                                          : tv_usec(&entry->now);
    if (st) {
        arrival = tv_usec(&st->incoming_arrival);
        active = st->active_arrival.tv_sec ? tv_usec(&st->active_arrival) : end;
        handoff = st->agent_handoff.tv_sec ? tv_usec(&st->agent_handoff) : end;
        conn = st->conn_setup_done.tv_sec ? tv_usec(&st->conn_setup_done)
                                          : handoff;
    } else {
        arrival = active = handoff = conn = end;
    }
    buf_append_str(out, ", delay=");
    deliver_log_delay(out, tv_diff(end, arrival), resolution);
    buf_append_str(out, ", delays=");
    deliver_log_delay(out, tv_diff(active, arrival), resolution);
    buf_append_char(out, '/');
    deliver_log_delay(out, tv_diff(handoff, active), resolution);
    buf_append_char(out, '/');
    deliver_log_delay(out, tv_diff(conn, handoff), resolution);
    buf_append_char(out, '/');
    deliver_log_delay(out, tv_diff(end, conn), resolution);
    buf_append_printf(out, ", dsn=%s, status=%s (%s)", entry->dsn,
                      entry->status, entry->reason ? entry->reason : "");
}
