/*
 * test_qc_units - unit tests for the queue managers' pure algorithm
 * modules (qcore/qc_feedback.c, qc_backoff.c, qc_trigger.c)
 *
 * Feedback: the value parser (valid and malformed forms), g/f evaluation,
 * per-transport parameter loading; tables of success/failure sequences
 * with the window expected after every event (classic constant 1,
 * 1/concurrency, 1/sqrt_concurrency, fractions; the limit clamp; the
 * window < busy + initial rule; shrinking, the floor of 1, death after
 * the failed pseudo-cohort limit, revival); a simulated clock drives a
 * destination through rounds of deliveries, an outage, death and the
 * revival timer. Backoff: the doubling retry sequence and its clamps,
 * the due test, lifetime choice and expiry boundaries, the delay warning
 * boundary, parameter loading. Triggers: buffer -> ordered actions, and
 * the scan state machine (restart during a scan, A for the next scan).
 * The expected windows were worked out by hand from the formulas of spec
 * e.2, not by running the code.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "msg.h"
#include "qc_backoff.h"
#include "qc_feedback.h"
#include "qc_trigger.h"
#include "unit.h"

#define ALMOST(a, b) (fabs((a) - (b)) < 1e-9)

/* --- feedback values --- */

static void test_feedback_parse_valid(void)
{
    static const struct {
        const char *text;
        double value;
        enum qc_feedback_scale scale;
        const char *formatted;
    } cases[] = {
        {"1", 1, QC_FEEDBACK_CONSTANT, "1"},
        {"0", 0, QC_FEEDBACK_CONSTANT, "0"},
        {"0.5", 0.5, QC_FEEDBACK_CONSTANT, "0.5"},
        {".25", 0.25, QC_FEEDBACK_CONSTANT, "0.25"},
        {"1.", 1, QC_FEEDBACK_CONSTANT, "1"},
        {"1.000", 1, QC_FEEDBACK_CONSTANT, "1"},
        {"1/2", 0.5, QC_FEEDBACK_CONSTANT, "0.5"},
        {"2/4", 0.5, QC_FEEDBACK_CONSTANT, "0.5"},
        {"3/3", 1, QC_FEEDBACK_CONSTANT, "1"},
        {"0/7", 0, QC_FEEDBACK_CONSTANT, "0"},
        {" 1 / 4 ", 0.25, QC_FEEDBACK_CONSTANT, "0.25"},
        {"1/concurrency", 1, QC_FEEDBACK_PER_WINDOW, "1/concurrency"},
        {"1/CONCURRENCY", 1, QC_FEEDBACK_PER_WINDOW, "1/concurrency"},
        {" 0.5 / Concurrency ", 0.5, QC_FEEDBACK_PER_WINDOW, "0.5/concurrency"},
        {"1/sqrt_concurrency", 1, QC_FEEDBACK_PER_SQRT_WINDOW,
         "1/sqrt_concurrency"},
        {"0.5/Sqrt_Concurrency", 0.5, QC_FEEDBACK_PER_SQRT_WINDOW,
         "0.5/sqrt_concurrency"},
        {"\t1\t", 1, QC_FEEDBACK_CONSTANT, "1"},
        {"1e-1", 0.1, QC_FEEDBACK_CONSTANT, "0.1"},
        {"5E-1/concurrency", 0.5, QC_FEEDBACK_PER_WINDOW, "0.5/concurrency"},
        {"1/1e1", 0.1, QC_FEEDBACK_CONSTANT, "0.1"},
    };
    struct buf *err = buf_alloc(64);
    struct buf *out = buf_alloc(64);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct qc_feedback fb;
        int ret = qc_feedback_parse(cases[i].text, &fb, err);

        UNIT_CHECK_INT(cases[i].text, ret, 0);
        if (ret != 0)
            continue;
        CU_ASSERT(ALMOST(fb.value, cases[i].value));
        UNIT_CHECK_INT(cases[i].text, fb.scale, cases[i].scale);
        qc_feedback_format(&fb, out);
        UNIT_CHECK_STR(cases[i].text, buf_str(out), cases[i].formatted);
    }
    buf_free(err);
    buf_free(out);
}

static void test_feedback_parse_malformed(void)
{
    static const struct {
        const char *text;
        const char *reason;
    } cases[] = {
        {"", "empty"},
        {"   ", "empty"},
        {"2", "range 0..1"},
        {"1.5", "range 0..1"},
        {"-1", "expected a number"},
        {"+1", "expected a number"},
        {"abc", "expected a number"},
        {"nan", "expected a number"},
        {"inf", "expected a number"},
        {"0x1", "expected a number"},
        {"1e5", "range 0..1"},
        {"1e", "expected a number"},
        {"1e+", "expected a number"},
        {"1e999", "range 0..1"},
        {"1 2", "expected a number"},
        {".", "expected a number"},
        {"/2", "expected a number"},
        {"1/", "after \"/\""},
        {"1//2", "after \"/\""},
        {"1/2/3", "after \"/\""},
        {"1/concurrencyx", "after \"/\""},
        {"1/concurrency x", "after \"/\""},
        {"1/sqrt", "after \"/\""},
        {"1/-2", "after \"/\""},
        {"1/0", "division by zero"},
        {"1/0.0", "division by zero"},
        {"3/2", "range 0..1"},
        {"2/concurrency", "range 0..1"},
        {"1.01/sqrt_concurrency", "range 0..1"},
    };
    struct buf *err = buf_alloc(64);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct qc_feedback fb;

        buf_reset(err);
        UNIT_CHECK_INT(cases[i].text,
                       qc_feedback_parse(cases[i].text, &fb, err), -1);
        UNIT_CHECK_HAS(cases[i].text, buf_str(err), cases[i].reason);
    }
    buf_free(err);
}

static void test_feedback_eval(void)
{
    static const struct {
        const char *text;
        int window;
        double want;
    } cases[] = {
        {"1", 7, 1},
        {"1/4", 7, 0.25},
        {"1/concurrency", 4, 0.25},
        {"1/concurrency", 1, 1},
        {"1/concurrency", 0, 1}, /* dead window counts as 1 */
        {"0.5/concurrency", 5, 0.1},
        {"1/sqrt_concurrency", 4, 0.5},
        {"1/sqrt_concurrency", 16, 0.25},
        {"1/sqrt_concurrency", 2, 0.70710678118654752},
        {"0/sqrt_concurrency", 9, 0},
    };
    struct buf *err = buf_alloc(64);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct qc_feedback fb;
        double got;

        CU_ASSERT_FATAL(qc_feedback_parse(cases[i].text, &fb, err) == 0);
        got = qc_feedback_eval(&fb, cases[i].window);
        if (!ALMOST(got, cases[i].want))
            fprintf(stderr, "\n  case %s at %d: got %.17g want %.17g\n",
                    cases[i].text, cases[i].window, got, cases[i].want);
        CU_ASSERT(ALMOST(got, cases[i].want));
    }
    buf_free(err);
}

/* Every log line (any level) while a test wants them. */
static struct buf *log_lines;

static void log_capture(enum msg_level level, const char *text)
{
    (void)level;
    if (log_lines) {
        buf_append_str(log_lines, text);
        buf_append_char(log_lines, '\n');
    }
}

static void log_start(void)
{
    log_lines = buf_alloc(256);
    msg_set_capture(log_capture);
}

static void log_stop(void)
{
    msg_set_capture(NULL);
    buf_free(log_lines);
    log_lines = NULL;
}

static void test_feedback_params_load(void)
{
    static const struct {
        const char *name;
        const char *maincf;
        const char *transport;
        int ret;
        int initial;
        int limit;
        int cohorts;
        double pos_value;
        enum qc_feedback_scale pos_scale;
        double neg_value;
        int debug;
        const char *error; /* ret -1: in err; ret 0: in the log ("" none) */
    } cases[] = {
        {"defaults", "", NULL, 0, 5, 20, 1, 1, QC_FEEDBACK_CONSTANT, 1, 0, ""},
        {"defaults smtp", "", "smtp", 0, 5, 20, 1, 1, QC_FEEDBACK_CONSTANT, 1,
         0, ""},
        {"local limit 2", "", "local", 0, 5, 2, 1, 1, QC_FEEDBACK_CONSTANT, 1,
         0, ""},
        {"defaults changed",
         "initial_destination_concurrency = 2\n"
         "default_destination_concurrency_limit = 0\n"
         "default_destination_concurrency_failed_cohort_limit = 10\n"
         "default_destination_concurrency_positive_feedback = 1/concurrency\n"
         "default_destination_concurrency_negative_feedback = 1/8\n"
         "destination_concurrency_feedback_debug = yes\n",
         "relay", 0, 2, 0, 10, 1, QC_FEEDBACK_PER_WINDOW, 0.125, 1,
         "relay: default_destination_concurrency_positive_feedback feedback "
         "type 1 value at 2: 0.5\n"
         "relay: default_destination_concurrency_negative_feedback feedback "
         "type 0 value at 2: 0.125\n"},
        {"transport override",
         "smtp_destination_concurrency_positive_feedback = "
         "0.5/sqrt_concurrency\n"
         "smtp_initial_destination_concurrency = 4\n"
         "destination_concurrency_feedback_debug = yes\n",
         "smtp", 0, 4, 20, 1, 0.5, QC_FEEDBACK_PER_SQRT_WINDOW, 1, 1,
         "smtp: smtp_destination_concurrency_positive_feedback feedback type "
         "2 value at 4: 0.25\n"
         "smtp: default_destination_concurrency_negative_feedback feedback "
         "type 0 value at 4: 1\n"},
        {"override of another transport",
         "smtp_destination_concurrency_positive_feedback = 0.5\n", "relay", 0,
         5, 20, 1, 1, QC_FEEDBACK_CONSTANT, 1, 0, ""},
        {"exponent",
         "default_destination_concurrency_negative_feedback = 1e-1\n", NULL, 0,
         5, 20, 1, 1, QC_FEEDBACK_CONSTANT, 0.1, 0, ""},
        /* Postfix 3.7: a warning, and the value 1. */
        {"bad transport feedback",
         "smtp_destination_concurrency_negative_feedback = 2\n", "smtp", 0, 5,
         20, 1, 1, QC_FEEDBACK_CONSTANT, 1, 0,
         "warning: smtp_destination_concurrency_negative_feedback: ignoring "
         "malformed or unreasonable feedback: 2\n"},
        {"bad default feedback",
         "default_destination_concurrency_positive_feedback = 1/zero\n", NULL,
         0, 5, 20, 1, 1, QC_FEEDBACK_CONSTANT, 1, 0,
         "warning: default_destination_concurrency_positive_feedback: "
         "ignoring malformed or unreasonable feedback: 1/zero\n"},
        {"bad default through the fallback",
         "default_destination_concurrency_positive_feedback = 1/8x\n", "smtp",
         0, 5, 20, 1, 1, QC_FEEDBACK_CONSTANT, 1, 0,
         "warning: default_destination_concurrency_positive_feedback: "
         "ignoring malformed or unreasonable feedback: 1/8x\n"},
        /* Postfix 3.7: fatal (bad string length 0 < 1). */
        {"empty feedback", "smtp_destination_concurrency_positive_feedback =\n",
         "smtp", -1, 0, 0, 0, 0, 0, 0, 0,
         "invalid smtp_destination_concurrency_positive_feedback value \"\""},
        {"bad limit", "smtp_destination_concurrency_limit = many\n", "smtp", -1,
         0, 0, 0, 0, 0, 0, 0, "smtp_destination_concurrency_limit"},
        {"initial zero", "initial_destination_concurrency = 0\n", NULL, -1, 0,
         0, 0, 0, 0, 0, 0, "initial_destination_concurrency"},
        {"negative cohort limit",
         "smtp_destination_concurrency_failed_cohort_limit = -1\n", "smtp", -1,
         0, 0, 0, 0, 0, 0, 0, "failed_cohort_limit"},
        {"bad debug", "destination_concurrency_feedback_debug = perhaps\n",
         NULL, -1, 0, 0, 0, 0, 0, 0, 0,
         "destination_concurrency_feedback_debug"},
    };
    struct buf *err = buf_alloc(64);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct conf *conf = conf_create();
        struct qc_feedback_params p;
        int ret;

        buf_reset(err);
        CU_ASSERT_FATAL(conf_read_text(conf, "main.cf", cases[i].maincf,
                                       strlen(cases[i].maincf), err) == 0);
        if (cases[i].transport)
            conf_add_transport(conf, cases[i].transport);
        log_start();
        ret = qc_feedback_params_load(&p, conf, cases[i].transport, err);
        UNIT_CHECK_INT(cases[i].name, ret, cases[i].ret);
        if (ret == 0 && cases[i].ret == 0) {
            UNIT_CHECK_INT(cases[i].name, p.initial, cases[i].initial);
            UNIT_CHECK_INT(cases[i].name, p.limit, cases[i].limit);
            UNIT_CHECK_INT(cases[i].name, p.failed_cohort_limit,
                           cases[i].cohorts);
            CU_ASSERT(ALMOST(p.positive.value, cases[i].pos_value));
            UNIT_CHECK_INT(cases[i].name, p.positive.scale, cases[i].pos_scale);
            CU_ASSERT(ALMOST(p.negative.value, cases[i].neg_value));
            UNIT_CHECK_INT(cases[i].name, p.debug, cases[i].debug);
            UNIT_CHECK_STR(cases[i].name, buf_str(log_lines), cases[i].error);
        } else if (ret < 0) {
            UNIT_CHECK_HAS(cases[i].name, buf_str(err), cases[i].error);
        }
        log_stop();
        conf_free(conf);
    }
    buf_free(err);
}

/* The debug lines have Postfix 3.7's shapes (observed, see qc_feedback.c). */
static void test_feedback_debug_lines(void)
{
    struct qc_feedback_params p;
    struct qc_conc c;

    qc_feedback_params_init(&p, 5, 20);
    p.debug = 1;
    qc_conc_init(&c, 5, 20);
    log_start();
    qc_conc_negative(&c, &p, 5, "[127.0.0.1]:9");
    qc_conc_negative(&c, &p, 4, "[127.0.0.1]:9");
    qc_conc_negative(&c, &p, 3, "[127.0.0.1]:9");
    qc_conc_revive(&c, &p, 0);
    qc_conc_log(&c, &p, "[127.0.0.1]:9", 1);
    qc_conc_positive(&c, &p, 5, "[127.0.0.1]:9");
    qc_conc_positive(&c, &p, 1, "[127.0.0.1]:9");
    UNIT_CHECK_STR(
        "debug lines", buf_str(log_lines),
        "qmgr_queue_throttle: feedback 1\n"
        "qmgr_queue_throttle: queue [127.0.0.1]:9: limit 20 window 3 success 0 "
        "failure 1 fail_cohorts 0.2\n"
        "qmgr_queue_throttle: feedback 1\n"
        "qmgr_queue_throttle: queue [127.0.0.1]:9: limit 20 window 2 success 0 "
        "failure 1 fail_cohorts 0.533333\n"
        "qmgr_queue_throttle: queue [127.0.0.1]:9: limit 20 window 0 success 0 "
        "failure 1 fail_cohorts 1.03333\n"
        "qmgr_queue_unthrottle: queue [127.0.0.1]:9: limit 20 window 5 success "
        "0 failure 0 fail_cohorts 0\n"
        "qmgr_queue_unthrottle: feedback 1\n"
        "qmgr_queue_unthrottle: queue [127.0.0.1]:9: limit 20 window 6 success "
        "0 failure 0 fail_cohorts 0\n"
        "qmgr_queue_unthrottle: queue [127.0.0.1]:9: limit 20 window 6 success "
        "0 failure 0 fail_cohorts 0\n");
    log_stop();
}

/* --- the concurrency window: event sequences --- */

/*
 * events: 's' success, 'f' failure (connection/handshake), 'r' revival
 * by timer/flush. windows: the window after each event, one character
 * each: '0'..'9', then 'a' = 10, 'b' = 11, ... ('0' = dead). busy: the
 * busy count passed; -1 means "the current window" (a saturated
 * destination, so that only the formula and the limit matter).
 */
struct conc_case {
    const char *name;
    const char *pos;
    const char *neg;
    int initial;
    int limit;
    int cohort_limit;
    int busy;
    const char *events;
    const char *windows;
};

static int window_char(int window)
{
    return window < 10 ? '0' + window : 'a' + window - 10;
}

static void run_conc_cases(const struct conc_case *cases, size_t count)
{
    struct buf *err = buf_alloc(64);
    struct buf *got = buf_alloc(64);

    for (size_t i = 0; i < count; i++) {
        const struct conc_case *cc = cases + i;
        struct qc_feedback_params p;
        struct qc_conc c;

        qc_feedback_params_init(&p, cc->initial, cc->limit);
        p.failed_cohort_limit = cc->cohort_limit;
        CU_ASSERT_FATAL(qc_feedback_parse(cc->pos, &p.positive, err) == 0);
        CU_ASSERT_FATAL(qc_feedback_parse(cc->neg, &p.negative, err) == 0);
        qc_conc_init(&c, cc->initial, cc->limit);
        buf_reset(got);
        for (const char *ev = cc->events; *ev; ev++) {
            int busy = cc->busy < 0 ? c.window : cc->busy;

            if (*ev == 's')
                qc_conc_positive(&c, &p, busy, cc->name);
            else if (*ev == 'f')
                qc_conc_negative(&c, &p, busy, cc->name);
            else
                qc_conc_revive(&c, &p, busy);
            CU_ASSERT(c.window >= (c.dead ? 0 : 1));
            CU_ASSERT(c.dead == (c.window == 0));
            buf_append_char(got, window_char(c.window));
        }
        UNIT_CHECK_STR(cc->name, buf_str(got), cc->windows);
    }
    buf_free(err);
    buf_free(got);
}

static void test_conc_positive(void)
{
    static const struct conc_case cases[] = {
        /* Constant 1: +1 per success, the window doubles per cohort. */
        {"classic 1", "1", "1", 5, 20, 1, -1, "sssss", "6789a"},
        /* +1 per pseudo-cohort: 5 successes at 5, then 6 at 6. */
        {"1/concurrency", "1/concurrency", "1", 5, 20, 1, -1, "sssssssssss",
         "55556666667"},
        /* g = 1/2 at 4; 1/sqrt(5) = .447 (2 more); 1/sqrt(6) = .408 (3). */
        {"1/sqrt_concurrency", "1/sqrt_concurrency", "1", 4, 20, 1, -1,
         "sssssss", "4556667"},
        /* The step comes at the END of a run of 1/g = 4. */
        {"constant 1/4", "1/4", "1", 5, 20, 1, -1, "ssssssss", "55566667"},
        {"zero feedback", "0", "1", 5, 20, 1, -1, "ssssssss", "55555555"},
        {"limit clamp", "1", "1", 5, 7, 1, -1, "ssss", "6777"},
        {"limit below initial", "1", "1", 5, 2, 1, -1, "ss", "22"},
        {"unlimited", "1", "1", 5, 0, 1, -1, "ssssssssssssssssssss",
         "6789abcdefghijklmnop"},
        /* window < busy + initial: idle destination stays at initial. */
        {"safety busy 0", "1", "1", 5, 20, 1, 0, "sss", "555"},
        {"safety busy 1", "1", "1", 5, 20, 1, 1, "sss", "666"},
        {"safety busy 3", "1", "1", 5, 20, 1, 3, "ssss", "6788"},
    };

    run_conc_cases(cases, UNIT_COUNT(cases));
}

static void test_conc_negative(void)
{
    static const struct conc_case cases[] = {
        /* Literal e.2 formula: from failure == 0, f = 1 steps twice. */
        {"classic 1 never dead", "1", "1", 5, 20, 0, -1, "ffff", "3211"},
        /* The step comes at the START: 1st failure, then a cohort later. */
        {"1/concurrency never dead", "1", "1/concurrency", 5, 20, 0, -1,
         "fffffff", "4443332"},
        {"constant 1/4 never dead", "1", "1/4", 10, 20, 0, -1, "ffffffff",
         "99988887"},
        {"zero feedback never dead", "1", "0", 5, 20, 0, -1, "ffffffffff",
         "5555555555"},
        /* fail_cohorts: .2 + 1/3 + 1/2 >= 1 */
        {"classic dies", "1", "1", 5, 20, 1, -1, "ffff", "3200"},
        /* .2 .45 .7 .95 (w 3 after the 4th), + 1/3 >= 1 */
        {"1/concurrency dies", "1", "1/concurrency", 5, 20, 1, -1, "fffff",
         "44430"},
        /* Immune window, cohort limit 2 at window 4: 8 failures. */
        {"zero feedback dies at limit 2", "1", "0", 4, 20, 2, -1, "ffffffff",
         "44444440"},
        /* Window 7: seven times 1/7 must count as one cohort. */
        {"one cohort of 7", "1", "0", 7, 20, 1, -1, "fffffff", "7777770"},
        /* A success resets fail_cohorts (and grows: window 5 < 5 + 5). */
        {"success resets cohorts", "1", "0", 5, 20, 1, -1, "ffffsffff",
         "555566666"},
        {"dead ignores failure", "1", "1", 5, 20, 1, -1, "ffffff", "320000"},
    };

    run_conc_cases(cases, UNIT_COUNT(cases));
}

static void test_conc_revival(void)
{
    static const struct conc_case cases[] = {
        /* Success while dead: window = busy (3 in flight). */
        {"revive by success busy 3", "1", "1", 5, 20, 1, 3, "fffs", "3203"},
        /* Nothing in flight: back to the initial concurrency. */
        {"revive by success busy 0", "1", "1", 5, 20, 1, 0, "fffs", "3205"},
        {"revive by timer", "1", "1", 5, 20, 1, 0, "fffrs", "32055"},
        {"revive clamps to limit", "1", "1", 5, 4, 1, 0, "fffr", "2104"},
        {"revive busy over limit", "1", "1", 5, 4, 1, 9, "fffs", "2104"},
        /* After revival the counters start over: dies again the same way. */
        {"dies again", "1", "1", 5, 20, 1, 0, "fffrfff", "3205320"},
        {"revive alive is a reset", "1", "1", 5, 20, 1, 0, "sr", "55"},
    };

    run_conc_cases(cases, UNIT_COUNT(cases));
}

static void test_conc_results(void)
{
    struct qc_feedback_params p;
    struct qc_conc c;

    qc_feedback_params_init(&p, 2, 3);
    qc_conc_init(&c, 2, 3);
    CU_ASSERT_EQUAL(qc_conc_may_start(&c, 1), 1);
    CU_ASSERT_EQUAL(qc_conc_may_start(&c, 2), 0);
    CU_ASSERT_EQUAL(qc_conc_positive(&c, &p, 2, "x"), QC_CONC_GREW);
    CU_ASSERT_EQUAL(qc_conc_positive(&c, &p, 3, "x"), QC_CONC_SAME);
    CU_ASSERT_EQUAL(c.window, 3);
    CU_ASSERT_EQUAL(qc_conc_negative(&c, &p, 3, "x"), QC_CONC_SHRANK);
    CU_ASSERT_EQUAL(c.window, 1);
    /* fail_cohorts 1/3 + 1/1 */
    CU_ASSERT_EQUAL(qc_conc_negative(&c, &p, 1, "x"), QC_CONC_DIED);
    CU_ASSERT_EQUAL(c.dead, 1);
    CU_ASSERT_EQUAL(qc_conc_may_start(&c, 0), 0);
    CU_ASSERT_EQUAL(qc_conc_negative(&c, &p, 1, "x"), QC_CONC_DIED);
    CU_ASSERT_EQUAL(qc_conc_positive(&c, &p, 1, "x"), QC_CONC_REVIVED);
    CU_ASSERT_EQUAL(c.window, 1);
    CU_ASSERT_EQUAL(c.fail_cohorts, 0);
    CU_ASSERT_EQUAL(qc_conc_may_start(&c, 0), 1);
    CU_ASSERT_EQUAL(qc_conc_revive(&c, &p, 0), QC_CONC_SAME);
    CU_ASSERT_EQUAL(c.window, 2);

    /* Debug lines go out as info and change nothing. */
    p.debug = 1;
    CU_ASSERT_EQUAL(qc_conc_positive(&c, &p, 2, "example.com"), QC_CONC_GREW);
    CU_ASSERT_EQUAL(qc_conc_positive(&c, &p, 3, NULL), QC_CONC_SAME);
}

/*
 * A simulated clock: one destination with plenty of mail. Every round
 * (one simulated minute) starts as many deliveries as the window allows,
 * then they complete one by one (busy counts down from the number started
 * to 1), successfully or, during the outage, with a connection failure.
 * A dead destination comes back when its minimal_backoff_time timer goes
 * off. With g = 1 and initial 5, the rule window < busy + 5 allows +3 per
 * round (see below).
 */
static void test_conc_simulated_clock(void)
{
    struct qc_feedback_params p;
    struct qc_backoff_params bp;
    struct qc_conc c;
    time_t now = 1000000;
    time_t outage_start = now + 6 * 60;
    time_t outage_end = now + 9 * 60;
    time_t revive_at = 0;
    struct buf *got = buf_alloc(64);

    qc_feedback_params_init(&p, 5, 20);
    qc_backoff_params_init(&bp);
    qc_conc_init(&c, p.initial, p.limit);
    for (int round = 0; round < 16; round++, now += 60) {
        int started = 0;
        int failing = now >= outage_start && now < outage_end;

        if (c.dead && revive_at && now >= revive_at) {
            qc_conc_revive(&c, &p, 0);
            revive_at = 0;
        }
        while (qc_conc_may_start(&c, started))
            started++;
        for (int busy = started; busy > 0; busy--) {
            if (!failing) {
                qc_conc_positive(&c, &p, busy, "sim");
            } else if (qc_conc_negative(&c, &p, busy, "sim") == QC_CONC_DIED &&
                       revive_at == 0) {
                revive_at = now + bp.min_backoff;
            }
        }
        buf_append_char(got, window_char(c.window));
    }
    /*
     * Rounds 0-5 grow by 3 each (at window w the completions see busy
     * w, w-1, ...; growth stops once window >= busy + 5), clamped at 20
     * ("k"). Round 6 (outage): 20 deliveries fail; the window shrinks
     * 20 -> 18 -> 17 -> ... and fail_cohorts (1/20 + 1/18 + 1/17 + ...
     * + 1/7) passes 1 at the 13th failure: dead; the other 7 results
     * change nothing. Rounds 7-10: dead, nothing starts (the outage
     * ended at round 9). Round 11 (minimal_backoff_time later): the
     * timer revives it at 5 and it grows again by 3 per round.
     */
    UNIT_CHECK_STR("simulated clock", buf_str(got), "8behkk000008behk");
    buf_free(got);
}

/* --- backoff --- */

static void test_backoff_next(void)
{
    static const struct {
        const char *name;
        long min;
        long max;
        time_t arrival;
        time_t now;
        time_t want;
    } cases[] = {
        {"age 0: minimal", 300, 4000, 1000, 1000, 1300},
        {"age 100: minimal", 300, 4000, 1000, 1100, 1400},
        {"age 300", 300, 4000, 1000, 1300, 1600},
        {"age 301", 300, 4000, 1000, 1301, 1602},
        {"age 3999", 300, 4000, 1000, 4999, 8998},
        {"age 4000", 300, 4000, 1000, 5000, 9000},
        {"age 4001: maximal", 300, 4000, 1000, 5001, 9001},
        {"age 5 days: maximal", 300, 4000, 0, 432000, 436000},
        {"arrival in the future", 300, 4000, 2000, 1000, 1300},
        {"min == max", 60, 60, 0, 10000, 10060},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct qc_backoff_params p;

        qc_backoff_params_init(&p);
        p.min_backoff = cases[i].min;
        p.max_backoff = cases[i].max;
        UNIT_CHECK_INT(cases[i].name,
                       qc_backoff_next(&p, cases[i].now, cases[i].arrival),
                       cases[i].want);
    }
}

/* Each retry happens when due: the intervals double, then stay at max. */
static void test_backoff_doubling(void)
{
    static const time_t want[] = {1300, 1600, 2200, 3400, 5800, 9800, 13800};
    struct qc_backoff_params p;
    time_t now = 1000;
    time_t arrival = 1000;

    qc_backoff_params_init(&p);
    for (size_t i = 0; i < UNIT_COUNT(want); i++) {
        time_t next = qc_backoff_next(&p, now, arrival);

        UNIT_CHECK_INT("doubling", next, want[i]);
        /* Not due one second too early (mtime > now + 1), due at next-1. */
        CU_ASSERT_EQUAL(qc_backoff_file_due(next, next - 2, 0), 0);
        CU_ASSERT_EQUAL(qc_backoff_file_due(next, next - 1, 0), 1);
        CU_ASSERT_EQUAL(qc_backoff_file_due(next, next - 2, 1), 1);
        now = next;
    }
}

static void test_backoff_due(void)
{
    static const struct {
        const char *name;
        time_t mtime;
        time_t now;
        int ignore;
        int want;
    } cases[] = {
        {"past", 900, 1000, 0, 1},         {"now", 1000, 1000, 0, 1},
        {"now + 1", 1001, 1000, 0, 1},     {"now + 2", 1002, 1000, 0, 0},
        {"far future", 99999, 1000, 0, 0}, {"A: far future", 99999, 1000, 1, 1},
        {"A: past", 0, 1000, 1, 1},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++)
        UNIT_CHECK_INT(
            cases[i].name,
            qc_backoff_file_due(cases[i].mtime, cases[i].now, cases[i].ignore),
            cases[i].want);
}

static void test_backoff_expiry(void)
{
    static const struct {
        const char *name;
        long max_lifetime;
        long bounce_lifetime;
        int null_sender;
        time_t age;
        int want;
    } cases[] = {
        {"5d: young", 432000, 432000, 0, 1000, 0},
        {"5d: one second short", 432000, 432000, 0, 431999, 0},
        {"5d: reached", 432000, 432000, 0, 432000, 1},
        {"5d: past", 432000, 432000, 0, 500000, 1},
        {"bounce 1d: null sender short", 432000, 86400, 1, 86399, 0},
        {"bounce 1d: null sender reached", 432000, 86400, 1, 86400, 1},
        {"bounce 1d: other sender", 432000, 86400, 0, 86400, 0},
        {"bounce 10d lowered to 5d", 432000, 864000, 1, 432000, 1},
        {"bounce 10d lowered: short", 432000, 864000, 1, 431999, 0},
        {"lifetime 0: try once", 0, 0, 0, 0, 1},
        {"bounce lifetime 0", 432000, 0, 1, 0, 1},
        {"bounce lifetime 0, other sender", 432000, 0, 0, 0, 0},
        {"arrival in the future", 432000, 432000, 0, -100, 0},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct qc_backoff_params p;
        time_t arrival = 1000000;

        qc_backoff_params_init(&p);
        p.max_lifetime = cases[i].max_lifetime;
        p.bounce_lifetime = cases[i].bounce_lifetime;
        UNIT_CHECK_INT(cases[i].name,
                       qc_backoff_expired(&p, arrival + cases[i].age, arrival,
                                          cases[i].null_sender),
                       cases[i].want);
    }
}

static void test_backoff_lifetime_fix(void)
{
    struct qc_backoff_params p;

    qc_backoff_params_init(&p);
    p.bounce_lifetime = 999999;
    UNIT_CHECK_INT("lifetime before fix", qc_backoff_lifetime(&p, 1), 432000);
    qc_backoff_params_fix(&p);
    UNIT_CHECK_INT("fix", p.bounce_lifetime, 432000);
    UNIT_CHECK_INT("normal sender", qc_backoff_lifetime(&p, 0), 432000);
    p.bounce_lifetime = 3600;
    qc_backoff_params_fix(&p);
    UNIT_CHECK_INT("smaller kept", qc_backoff_lifetime(&p, 1), 3600);
}

static void test_backoff_warn(void)
{
    static const struct {
        const char *name;
        long warn;
        time_t now;
        int want;
    } cases[] = {
        {"none asked", 0, 5000, 0},      {"already sent", -1, 5000, 0},
        {"two early", 5000, 4998, 0},    {"one early", 5000, 4999, 1},
        {"on time", 5000, 5000, 1},      {"late", 5000, 90000, 1},
        {"other negative", -7, 5000, 0},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++)
        UNIT_CHECK_INT(cases[i].name,
                       qc_backoff_warn_due(cases[i].now, cases[i].warn),
                       cases[i].want);
}

static void test_backoff_params_load(void)
{
    static const struct {
        const char *name;
        const char *maincf;
        int ret;
        long min;
        long max;
        long lifetime;
        long bounce;
        const char *error;
    } cases[] = {
        {"defaults", "", 0, 300, 4000, 432000, 432000, ""},
        {"units",
         "minimal_backoff_time = 1m\nmaximal_backoff_time = 2h\n"
         "maximal_queue_lifetime = 1w\nbounce_queue_lifetime = 12h\n",
         0, 60, 7200, 604800, 43200, ""},
        {"bare numbers: days for lifetimes",
         "maximal_queue_lifetime = 2\nbounce_queue_lifetime = 1\n", 0, 300,
         4000, 172800, 86400, ""},
        {"bounce lowered", "maximal_queue_lifetime = 1d\n", 0, 300, 4000, 86400,
         86400, ""},
        {"min > max", "minimal_backoff_time = 5000s\n", -1, 0, 0, 0, 0,
         "minimal_backoff_time (5000s) is larger than maximal_backoff_time "
         "(4000s)"},
        {"bad time", "maximal_backoff_time = soon\n", -1, 0, 0, 0, 0,
         "maximal_backoff_time"},
    };
    struct buf *err = buf_alloc(64);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct conf *conf = conf_create();
        struct qc_backoff_params p;
        int ret;

        buf_reset(err);
        CU_ASSERT_FATAL(conf_read_text(conf, "main.cf", cases[i].maincf,
                                       strlen(cases[i].maincf), err) == 0);
        ret = qc_backoff_params_load(&p, conf, err);
        UNIT_CHECK_INT(cases[i].name, ret, cases[i].ret);
        if (ret == 0 && cases[i].ret == 0) {
            UNIT_CHECK_INT(cases[i].name, p.min_backoff, cases[i].min);
            UNIT_CHECK_INT(cases[i].name, p.max_backoff, cases[i].max);
            UNIT_CHECK_INT(cases[i].name, p.max_lifetime, cases[i].lifetime);
            UNIT_CHECK_INT(cases[i].name, p.bounce_lifetime, cases[i].bounce);
        } else if (ret < 0) {
            UNIT_CHECK_HAS(cases[i].name, buf_str(err), cases[i].error);
        }
        conf_free(conf);
    }
    buf_free(err);
}

/* --- triggers --- */

static void test_trigger_actions(void)
{
    static const struct {
        const char *name;
        const char *bytes;
        size_t len;
        const char *want; /* A F D I per action */
    } cases[] = {
        {"I", UNIT_BYTES("I"), "I"},
        {"W is I", UNIT_BYTES("W"), "I"},
        {"W and I collapse", UNIT_BYTES("IWWI"), "I"},
        {"D", UNIT_BYTES("D"), "D"},
        {"flush order", UNIT_BYTES("FADI"), "AFDI"},
        {"A F first", UNIT_BYTES("DIDIAF"), "AFDI"},
        {"F before D", UNIT_BYTES("DF"), "FD"},
        {"I before D kept", UNIT_BYTES("IDA"), "AID"},
        {"W then D", UNIT_BYTES("WD"), "ID"},
        {"A alone", UNIT_BYTES("A"), "A"},
        {"duplicates", UNIT_BYTES("AAAAFFFF"), "AF"},
        {"unknown ignored", UNIT_BYTES("xyz?"), ""},
        {"unknown between", UNIT_BYTES("xDyIz"), "DI"},
        {"lower case is unknown", UNIT_BYTES("adfiw"), ""},
        {"NUL ignored", UNIT_BYTES("\0D\0"), "D"},
        {"empty", "", 0, ""},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        enum qc_trigger_action out[QC_TRIGGER_MAX_ACTIONS];
        size_t n = qc_trigger_actions(cases[i].bytes, cases[i].len, out);
        char got[QC_TRIGGER_MAX_ACTIONS + 1];

        CU_ASSERT_FATAL(n <= QC_TRIGGER_MAX_ACTIONS);
        for (size_t j = 0; j < n; j++)
            got[j] = out[j] == QC_TRIGGER_IGNORE_TIME     ? 'A'
                     : out[j] == QC_TRIGGER_FLUSH         ? 'F'
                     : out[j] == QC_TRIGGER_SCAN_DEFERRED ? 'D'
                     : out[j] == QC_TRIGGER_SCAN_INCOMING ? 'I'
                                                          : '?';
        got[n] = 0;
        UNIT_CHECK_STR(cases[i].name, got, cases[i].want);
    }
}

/* Only the first TRIGGER_BUF_SIZE bytes are one wakeup's worth. */
static void test_trigger_buffer_limit(void)
{
    char bytes[TRIGGER_BUF_SIZE + 10];
    enum qc_trigger_action out[QC_TRIGGER_MAX_ACTIONS];

    memset(bytes, 'x', sizeof(bytes));
    bytes[TRIGGER_BUF_SIZE - 1] = 'D';
    bytes[TRIGGER_BUF_SIZE] = 'I';
    CU_ASSERT_EQUAL(qc_trigger_actions(bytes, sizeof(bytes), out), 1);
    CU_ASSERT_EQUAL(out[0], QC_TRIGGER_SCAN_DEFERRED);
}

/*
 * Scan state machine. Ops: 'i'/'d' = trigger buffer "I"/"D" applied,
 * 'a' = "A", 'f' = "F", 'I'/'D' = start attempt on incoming/deferred,
 * 'x'/'y' = incoming/deferred scan done, 't' = timer request for a
 * deferred scan. Output per op: for a start attempt '0' (nothing
 * started), 'S' (started, honours time stamps), 'A' (started, ignores
 * them); for 'f' 'F' when the flush bit came back; '.' otherwise.
 */
static void test_scan_machine(void)
{
    static const struct {
        const char *name;
        const char *ops;
        const char *want;
    } cases[] = {
        {"idle: nothing starts", "ID", "00"},
        {"incoming request starts once", "iII", ".S0"},
        {"restart during scan", "iIiIxIxI", ".S.0.S.0"},
        {"many requests, one restart", "iIiiixIxI", ".S....S.0"},
        {"request after the end is a new scan", "iIxiI", ".S..S"},
        {"deferred independent of incoming", "dDI", ".S0"},
        {"A alone starts nothing", "aDI", ".00"},
        {"A then D ignores time", "adD", "..A"},
        {"A applies to one scan only", "adDydD", "..A..S"},
        {"A for incoming too", "aiI", "..A"},
        {"A during a scan: running keeps, restart ignores", "dDadyD", ".S...A"},
        {"A during a scan without restart waits", "dDayD", ".S..0"},
        {"A kept for next request", "dDaytD", ".S...A"},
        {"timer request", "tD", ".S"},
        {"flush reported", "f", "F"},
        {"flush starts nothing", "fID", "F00"},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct qc_scan in;
        struct qc_scan def;
        struct buf *got = buf_alloc(16);

        qc_scan_init(&in);
        qc_scan_init(&def);
        for (const char *op = cases[i].ops; *op; op++) {
            struct qc_scan *s = 0;
            char out = '.';

            switch (*op) {
            case 'i':
                qc_trigger_apply("I", 1, &in, &def);
                break;
            case 'd':
                qc_trigger_apply("D", 1, &in, &def);
                break;
            case 'a':
                qc_trigger_apply("A", 1, &in, &def);
                break;
            case 'f':
                if (qc_trigger_apply("F", 1, &in, &def) & QC_TRIGGER_FLUSH_DEAD)
                    out = 'F';
                break;
            case 't':
                qc_scan_request(&def, QC_SCAN_START);
                break;
            case 'I':
            case 'D':
                s = *op == 'I' ? &in : &def;
                out = !qc_scan_start(s)        ? '0'
                      : qc_scan_ignore_time(s) ? 'A'
                                               : 'S';
                break;
            case 'x':
                qc_scan_done(&in);
                break;
            case 'y':
                qc_scan_done(&def);
                break;
            }
            buf_append_char(got, out);
        }
        UNIT_CHECK_STR(cases[i].name, buf_str(got), cases[i].want);
        buf_free(got);
    }
}

static void test_scan_flags(void)
{
    struct qc_scan s;
    struct qc_scan t;

    qc_scan_init(&s);
    qc_scan_init(&t);
    CU_ASSERT_EQUAL(qc_scan_busy(&s), 0);
    CU_ASSERT_EQUAL(qc_scan_pending(&s), 0);
    /* postqueue -f: everything at once, in any order. */
    CU_ASSERT_EQUAL(qc_trigger_apply(UNIT_BYTES("IDFA"), &s, &t),
                    QC_TRIGGER_FLUSH_DEAD);
    CU_ASSERT_EQUAL(qc_scan_pending(&s), 1);
    CU_ASSERT_EQUAL(qc_scan_pending(&t), 1);
    CU_ASSERT_EQUAL(qc_scan_start(&t), 1);
    CU_ASSERT_EQUAL(qc_scan_busy(&t), 1);
    CU_ASSERT_EQUAL(qc_scan_pending(&t), 0);
    CU_ASSERT_EQUAL(qc_scan_ignore_time(&t), 1);
    qc_trigger_apply(UNIT_BYTES("D"), &s, &t);
    CU_ASSERT_EQUAL(qc_scan_pending(&t), 0); /* still running */
    CU_ASSERT_EQUAL(t.restart, 1);
    qc_scan_done(&t);
    CU_ASSERT_EQUAL(qc_scan_ignore_time(&t), 0);
    CU_ASSERT_EQUAL(qc_scan_pending(&t), 1);
    CU_ASSERT_EQUAL(qc_scan_start(&t), 1);
    CU_ASSERT_EQUAL(qc_scan_ignore_time(&t), 0);
    qc_scan_done(&t);
    CU_ASSERT_EQUAL(qc_scan_pending(&t), 0);
    CU_ASSERT_EQUAL(qc_scan_busy(&t), 0);
}

/* qc_scan_done without a running scan is a broken invariant: panic. */
static void test_scan_done_panics(void)
{
    pid_t pid;
    int status;

    fflush(NULL);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        struct qc_scan s;

        signal(SIGABRT, SIG_DFL);
        /* Keep the expected panic line out of the test output. */
        if (freopen("/dev/null", "w", stderr) == NULL)
            _exit(3);
        qc_scan_init(&s);
        qc_scan_done(&s);
        _exit(0);
    }
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(!(WIFEXITED(status) && WEXITSTATUS(status) == 0));
}

static const struct unit_case feedback_cases[] = {
    {"parse valid", test_feedback_parse_valid},
    {"parse malformed", test_feedback_parse_malformed},
    {"eval", test_feedback_eval},
    {"params load", test_feedback_params_load},
    {"debug lines", test_feedback_debug_lines},
    {"window: positive feedback", test_conc_positive},
    {"window: negative feedback", test_conc_negative},
    {"window: revival", test_conc_revival},
    {"window: result codes", test_conc_results},
    {"window: simulated clock", test_conc_simulated_clock},
    {NULL, NULL},
};

static const struct unit_case backoff_cases[] = {
    {"next retry", test_backoff_next},
    {"doubling", test_backoff_doubling},
    {"due", test_backoff_due},
    {"expiry", test_backoff_expiry},
    {"lifetime fix", test_backoff_lifetime_fix},
    {"delay warning", test_backoff_warn},
    {"params load", test_backoff_params_load},
    {NULL, NULL},
};

static const struct unit_case trigger_cases[] = {
    {"actions", test_trigger_actions},
    {"buffer limit", test_trigger_buffer_limit},
    {"scan machine", test_scan_machine},
    {"scan flags", test_scan_flags},
    {"scan done panics", test_scan_done_panics},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"qc_feedback", feedback_cases},
    {"qc_backoff", backoff_cases},
    {"qc_trigger", trigger_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
