/*
 * qc_feedback - per-destination concurrency window of the queue managers
 *
 * The arithmetic of the concurrency scheduler (spec e.2); qmgr-core keeps
 * one struct qc_conc per destination queue and one struct
 * qc_feedback_params per transport, and calls qc_conc_positive() or
 * qc_conc_negative() when a delivery agent reports on a delivery. No
 * queues, no timers, no I/O here except the feedback debug log lines.
 *
 * Public functions (see qc_feedback.h for the contract):
 *	qc_feedback_parse, qc_feedback_eval, qc_feedback_format,
 *	qc_feedback_params_init, qc_feedback_params_load,
 *	qc_conc_init, qc_conc_positive, qc_conc_negative, qc_conc_revive,
 *	qc_conc_may_start, qc_conc_log
 *
 * The rules, as spec e.2 gives them:
 *	positive (no connection/handshake failure): fail_cohorts = 0; a dead
 *	destination is revived (below). Otherwise, only while window <
 *	busy + initial (so that negative feedback stays effective) and
 *	window < limit (0: none): success += g(window); while success +
 *	g/2 >= 1: window += 1, success -= 1, failure = 0; clamp to limit.
 *	The step comes at the END of a run of 1/g successes.
 *	negative (connection/handshake failure): fail_cohorts += 1/window;
 *	when failed_cohort_limit > 0 and fail_cohorts >= that limit the
 *	destination is dead (window 0). Otherwise failure -= f(window);
 *	while failure - f/2 < 0: window -= 1, success = 0, failure += 1;
 *	floor 1. The step comes at the START of a run of 1/f failures.
 *	A consequence of that formula, which Postfix 3.7 shows too: from
 *	failure == 0 (fresh or after a step up), f = 1 takes two steps at
 *	once (failure goes -1 -> 0 -> 1), later failures one each; with f = 1/concurrency the
 *	first failure takes one step and the next one comes a pseudo-cohort
 *	later.
 *
 * Observed with Postfix 3.7.11 (destination_concurrency_feedback_debug,
 * an SMTP sink and a refused port): the formulas above step by step
 * (f = 1 from a fresh queue at 5: window 3, failure 1, fail_cohorts 0.2;
 * then 2 (0.533), then dead at 1.033 with failed_cohort_limit 1); with
 * g = 1 and 5 deliveries in flight the window goes 5 -> 8 (busy counts
 * the finishing delivery: window < busy + initial holds for 3 of them);
 * the dead timer revives at the initial concurrency with all counters
 * 0; malformed feedback values are warnings with the value 1 used, an
 * empty one is fatal; "1e-1" is accepted; "1/sqrt_concurrency" is not
 * (Postern accepts it, see qc_feedback.h).
 *
 * Choices where Postfix's behaviour was not known to us:
 *	- revival (positive feedback on a dead destination, the dead timer,
 *	  an F trigger): window = busy when busy > 0, else initial, clamped
 *	  to the limit; success, failure, fail_cohorts = 0.
 *	- negative feedback on a destination that is already dead changes
 *	  nothing (deliveries that were in flight when it died).
 *	- fail_cohorts is compared with the limit with a tolerance of 1e-9,
 *	  so that exactly one pseudo-cohort of failures (window failures of
 *	  1/window each) counts as one even where the binary sum is 0.99...
 *	- g and f are evaluated with window >= 1 (a dead window of 0 would
 *	  divide by zero).
 *	- feedback syntax: a number is digits with an optional fraction and
 *	  exponent ("0.25", ".5", "1.", "1e-1"); no sign, hex, inf or nan. Blanks
 *	  around '/' and around the value are allowed. "a/b" must have
 *	  b > 0 and a/b in [0,1]; "a/concurrency" and "a/sqrt_concurrency"
 *	  need a in [0,1]. Keywords are case-insensitive.
 *
 * Diagnostics: see qc_feedback.h (parse errors as text; the Postfix
 * warning for a malformed value; Postfix's debug line shapes).
 *
 * Parameters: initial_destination_concurrency,
 * default_destination_concurrency_limit,
 * default_destination_concurrency_positive_feedback,
 * default_destination_concurrency_negative_feedback,
 * default_destination_concurrency_failed_cohort_limit (all with their
 * <transport>_ forms), destination_concurrency_feedback_debug.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "msg.h"
#include "param.h"
#include "qc_feedback.h"

/* Square root without libm: windows are small positive integers. */
static double qc_sqrt(double x)
{
    double r = x > 1 ? x : 1;

    if (x <= 0)
        return 0;
    for (int i = 0; i < 64; i++) {
        double next = (r + x / r) / 2;

        if (next >= r)
            break;
        r = next;
    }
    return r;
}

static const char *qc_skip_blanks(const char *cp)
{
    while (*cp == ' ' || *cp == '\t')
        cp++;
    return cp;
}

/*
 * A decimal number: digits, an optional fraction, an optional exponent
 * ("1e-1", which Postfix accepts too); at least one mantissa digit. The
 * syntax is checked here, so that strtod() never sees "nan", "inf" or
 * hex; strtod() does the exact conversion.
 */
static int qc_parse_number(const char **cpp, double *out)
{
    const char *cp = *cpp;
    char text[64];
    size_t len;
    int digits = 0;

    while (isdigit((unsigned char)*cp)) {
        cp++;
        digits++;
    }
    if (*cp == '.') {
        cp++;
        while (isdigit((unsigned char)*cp)) {
            cp++;
            digits++;
        }
    }
    if (digits == 0)
        return -1;
    if (*cp == 'e' || *cp == 'E') {
        const char *ep = cp + 1;

        if (*ep == '+' || *ep == '-')
            ep++;
        if (isdigit((unsigned char)*ep)) {
            while (isdigit((unsigned char)*ep))
                ep++;
            cp = ep;
        }
    }
    len = (size_t)(cp - *cpp);
    if (len >= sizeof(text))
        return -1;
    memcpy(text, *cpp, len);
    text[len] = 0;
    *out = strtod(text, NULL);
    *cpp = cp;
    return 0;
}

/* The keyword ends at a blank or the end; compared case-insensitively. */
static int qc_keyword(const char *cp, const char *word)
{
    size_t len = strlen(word);

    if (strncasecmp(cp, word, len) != 0)
        return 0;
    return *qc_skip_blanks(cp + len) == 0;
}

int qc_feedback_parse(const char *text, struct qc_feedback *fb, struct buf *err)
{
    const char *cp = qc_skip_blanks(text);
    double num;
    double den;

    if (*cp == 0) {
        buf_set_str(err, "empty feedback value");
        return -1;
    }
    if (qc_parse_number(&cp, &num) < 0) {
        buf_set_str(err, "expected a number, number/number, "
                         "number/concurrency or number/sqrt_concurrency");
        return -1;
    }
    cp = qc_skip_blanks(cp);
    if (*cp == 0) {
        if (num > 1) {
            buf_set_str(err, "feedback number must be in the range 0..1");
            return -1;
        }
        fb->value = num;
        fb->scale = QC_FEEDBACK_CONSTANT;
        return 0;
    }
    if (*cp != '/') {
        buf_set_str(err, "expected a number, number/number, "
                         "number/concurrency or number/sqrt_concurrency");
        return -1;
    }
    cp = qc_skip_blanks(cp + 1);
    if ((qc_keyword(cp, "concurrency") || qc_keyword(cp, "sqrt_concurrency")) &&
        num > 1) {
        buf_set_str(err, "feedback number must be in the range 0..1");
        return -1;
    }
    if (qc_keyword(cp, "concurrency")) {
        fb->value = num;
        fb->scale = QC_FEEDBACK_PER_WINDOW;
        return 0;
    }
    if (qc_keyword(cp, "sqrt_concurrency")) {
        fb->value = num;
        fb->scale = QC_FEEDBACK_PER_SQRT_WINDOW;
        return 0;
    }
    if (qc_parse_number(&cp, &den) < 0 || *qc_skip_blanks(cp) != 0) {
        buf_set_str(err, "after \"/\" expected a number, \"concurrency\" "
                         "or \"sqrt_concurrency\"");
        return -1;
    }
    if (den <= 0) {
        buf_set_str(err, "division by zero in feedback value");
        return -1;
    }
    if (num / den > 1) {
        buf_set_str(err, "feedback number/number must be in the range 0..1");
        return -1;
    }
    fb->value = num / den;
    fb->scale = QC_FEEDBACK_CONSTANT;
    return 0;
}

double qc_feedback_eval(const struct qc_feedback *fb, int window)
{
    if (window < 1)
        window = 1;
    switch (fb->scale) {
    case QC_FEEDBACK_PER_WINDOW:
        return fb->value / window;
    case QC_FEEDBACK_PER_SQRT_WINDOW:
        return fb->value / qc_sqrt(window);
    case QC_FEEDBACK_CONSTANT:
    default:
        return fb->value;
    }
}

void qc_feedback_format(const struct qc_feedback *fb, struct buf *out)
{
    switch (fb->scale) {
    case QC_FEEDBACK_PER_WINDOW:
        buf_printf(out, "%g/concurrency", fb->value);
        break;
    case QC_FEEDBACK_PER_SQRT_WINDOW:
        buf_printf(out, "%g/sqrt_concurrency", fb->value);
        break;
    case QC_FEEDBACK_CONSTANT:
    default:
        buf_printf(out, "%g", fb->value);
        break;
    }
}

void qc_feedback_params_init(struct qc_feedback_params *p, int initial,
                             int limit)
{
    p->initial = initial < 1 ? 1 : initial;
    p->limit = limit < 0 ? 0 : limit;
    p->failed_cohort_limit = 1;
    p->positive.value = 1;
    p->positive.scale = QC_FEEDBACK_CONSTANT;
    p->negative = p->positive;
    p->debug = 0;
}

/*
 * <transport><suffix> (or its default_ fallback) as a feedback value. As
 * Postfix 3.7 does: an empty value is an error; a malformed or
 * unreasonable one is a warning and the value 1 is used.
 */
static int qc_feedback_load_one(struct conf *conf, const char *transport,
                                const char *suffix, const char *default_name,
                                const struct qc_feedback_params *p,
                                struct qc_feedback *fb, struct buf *err)
{
    struct buf *value = buf_alloc(32);
    struct buf *name = buf_alloc(64);
    struct buf *why = buf_alloc(64);
    int ret;

    /* The parameter that supplies the value names it in the logs. */
    buf_printf(name, "%s%s", transport ? transport : "", suffix);
    if (transport == NULL || conf_raw(conf, buf_str(name)) == NULL)
        buf_set_str(name, default_name);
    if (transport)
        ret = param_get_transport_str(conf, transport, suffix, value, err);
    else
        ret = param_get_str(conf, default_name, value, err);
    if (ret == 0 && buf_len(value) == 0) {
        buf_printf(err, "invalid %s value \"\": empty feedback value",
                   buf_str(name));
        ret = -1;
    } else if (ret == 0 && qc_feedback_parse(buf_str(value), fb, why) < 0) {
        msg_warn("%s: ignoring malformed or unreasonable feedback: %s",
                 buf_str(name), buf_str(value));
        fb->value = 1;
        fb->scale = QC_FEEDBACK_CONSTANT;
    }
    if (ret == 0 && p->debug && transport)
        msg_info("%s: %s feedback type %d value at %d: %g", transport,
                 buf_str(name), (int)fb->scale, p->initial,
                 qc_feedback_eval(fb, p->initial));
    buf_free(value);
    buf_free(name);
    buf_free(why);
    return ret;
}

static int qc_int_load_one(struct conf *conf, const char *transport,
                           const char *suffix, const char *default_name,
                           int *out, struct buf *err)
{
    if (transport)
        return param_get_transport_int(conf, transport, suffix, out, err);
    return param_get_int(conf, default_name, out, err);
}

int qc_feedback_params_load(struct qc_feedback_params *p, struct conf *conf,
                            const char *transport, struct buf *err)
{
    int initial;
    int limit;

    if (qc_int_load_one(conf, transport, "_initial_destination_concurrency",
                        "initial_destination_concurrency", &initial, err) < 0 ||
        qc_int_load_one(conf, transport, "_destination_concurrency_limit",
                        "default_destination_concurrency_limit", &limit,
                        err) < 0)
        return -1;
    if (initial < 1) {
        buf_printf(err, "invalid %s%s value \"%d\": must be at least 1",
                   transport ? transport : "",
                   transport ? "_initial_destination_concurrency"
                             : "initial_destination_concurrency",
                   initial);
        return -1;
    }
    if (limit < 0) {
        buf_printf(err, "invalid %s%s value \"%d\": must not be negative",
                   transport ? transport : "",
                   transport ? "_destination_concurrency_limit"
                             : "default_destination_concurrency_limit",
                   limit);
        return -1;
    }
    qc_feedback_params_init(p, initial, limit);
    if (qc_int_load_one(conf, transport,
                        "_destination_concurrency_failed_cohort_limit",
                        "default_destination_concurrency_failed_cohort_limit",
                        &p->failed_cohort_limit, err) < 0)
        return -1;
    if (p->failed_cohort_limit < 0) {
        buf_printf(err, "invalid %s%s value \"%d\": must not be negative",
                   transport ? transport : "",
                   transport
                       ? "_destination_concurrency_failed_cohort_limit"
                       : "default_destination_concurrency_failed_cohort_limit",
                   p->failed_cohort_limit);
        return -1;
    }
    if (param_get_bool(conf, "destination_concurrency_feedback_debug",
                       &p->debug, err) < 0)
        return -1;
    if (qc_feedback_load_one(
            conf, transport, "_destination_concurrency_positive_feedback",
            "default_destination_concurrency_positive_feedback", p,
            &p->positive, err) < 0)
        return -1;
    return qc_feedback_load_one(
        conf, transport, "_destination_concurrency_negative_feedback",
        "default_destination_concurrency_negative_feedback", p, &p->negative,
        err);
}

#define QC_FEEDBACK_EPSILON 1e-9

static int qc_clamp(int window, int limit)
{
    return limit > 0 && window > limit ? limit : window;
}

void qc_conc_init(struct qc_conc *c, int initial, int limit)
{
    c->window = qc_clamp(initial < 1 ? 1 : initial, limit);
    c->success = 0;
    c->failure = 0;
    c->fail_cohorts = 0;
    c->dead = 0;
}

void qc_conc_log(const struct qc_conc *c, const struct qc_feedback_params *p,
                 const char *name, int positive)
{
    if (p->debug)
        msg_info("%s: queue %s: limit %d window %d success %g failure %g "
                 "fail_cohorts %g",
                 positive ? "qmgr_queue_unthrottle" : "qmgr_queue_throttle",
                 name ? name : "(destination)", p->limit, c->window, c->success,
                 c->failure, c->fail_cohorts);
}

static void qc_conc_log_feedback(const struct qc_feedback_params *p,
                                 int positive, double feedback)
{
    if (p->debug)
        msg_info("%s: feedback %g",
                 positive ? "qmgr_queue_unthrottle" : "qmgr_queue_throttle",
                 feedback);
}

int qc_conc_revive(struct qc_conc *c, const struct qc_feedback_params *p,
                   int busy)
{
    int was_dead = c->dead;

    c->window = qc_clamp(busy > 0 ? busy : p->initial, p->limit);
    c->success = 0;
    c->failure = 0;
    c->fail_cohorts = 0;
    c->dead = 0;
    return was_dead ? QC_CONC_REVIVED : QC_CONC_SAME;
}

int qc_conc_positive(struct qc_conc *c, const struct qc_feedback_params *p,
                     int busy, const char *name)
{
    int before = c->window;
    double g;

    if (c->dead) {
        qc_conc_revive(c, p, busy);
        qc_conc_log(c, p, name, 1);
        return QC_CONC_REVIVED;
    }
    c->fail_cohorts = 0;
    if ((p->limit == 0 || c->window < p->limit) &&
        c->window < busy + p->initial) {
        g = qc_feedback_eval(&p->positive, c->window);
        qc_conc_log_feedback(p, 1, g);
        c->success += g;
        /* g/2: a run of 1/g additions may fall short of 1 by rounding. */
        while (c->success + g / 2 >= 1) {
            c->window += 1;
            c->success -= 1;
            c->failure = 0;
        }
        c->window = qc_clamp(c->window, p->limit);
    }
    qc_conc_log(c, p, name, 1);
    return c->window > before ? QC_CONC_GREW : QC_CONC_SAME;
}

int qc_conc_negative(struct qc_conc *c, const struct qc_feedback_params *p,
                     int busy, const char *name)
{
    int before = c->window;
    double f;

    (void)busy;
    if (c->dead)
        return QC_CONC_DIED;
    c->fail_cohorts += 1.0 / (c->window < 1 ? 1 : c->window);
    /* A pseudo-cohort of window failures sums 1/window window times,
     * which in binary can fall short of 1 by a few ulps (window 7). */
    if (p->failed_cohort_limit > 0 &&
        c->fail_cohorts + QC_FEEDBACK_EPSILON >= p->failed_cohort_limit) {
        c->dead = 1;
        c->window = 0;
        qc_conc_log(c, p, name, 0);
        return QC_CONC_DIED;
    }
    f = qc_feedback_eval(&p->negative, c->window);
    qc_conc_log_feedback(p, 0, f);
    c->failure -= f;
    while (c->failure - f / 2 < 0) {
        c->window -= 1;
        c->success = 0;
        c->failure += 1;
    }
    if (c->window < 1)
        c->window = 1;
    qc_conc_log(c, p, name, 0);
    return c->window < before ? QC_CONC_SHRANK : QC_CONC_SAME;
}

int qc_conc_may_start(const struct qc_conc *c, int busy)
{
    return !c->dead && busy < c->window;
}
