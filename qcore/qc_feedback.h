#ifndef POSTERN_QC_FEEDBACK_H
#define POSTERN_QC_FEEDBACK_H

/*
 * qc_feedback - per-destination concurrency window of the queue managers
 *
 * The concurrency scheduler of qmgr(8) and oqmgr(8) (spec e.2): every
 * destination queue has a window (how many deliveries may run at once),
 * which grows by positive feedback after deliveries that had no
 * connection or handshake failure and shrinks by negative feedback after
 * deliveries that had one; after enough failed pseudo-cohorts the
 * destination is dead (delivery suspended) until revived. This module is
 * the arithmetic only: no queues, no timers, no I/O (debug logging aside).
 *
 * Feedback values (main.cf, case-insensitive, blanks allowed around '/';
 * a number is decimal with optional fraction and exponent, "1e-1"):
 *	"1", "0.5", any number in [0,1]		constant g = number
 *	"a/b" (numbers, b > 0, a/b in [0,1])	constant g = a/b
 *	"a/concurrency"	(a in [0,1])		g = a / window
 *	"a/sqrt_concurrency" (a in [0,1])	g = a / sqrt(window)
 *	Postfix 3.7 rejects the sqrt form (warning, uses 1); Postern
 *	accepts it as asked for by the issue.
 *
 * Public functions:
 *	qc_feedback_parse(text, &fb, err)	parse a feedback value; 0, or
 *				-1 with the reason in err (nothing logged)
 *	qc_feedback_eval(&fb, window)	g(window) or f(window), window >= 1
 *	qc_feedback_format(&fb, out)	canonical text ("1/concurrency")
 *	qc_feedback_params_init(&p, initial, limit)	defaults: feedback 1,
 *				failed cohort limit 1, debug off
 *	qc_feedback_params_load(&p, conf, transport, err)	read the
 *				<transport>_... parameters (transport NULL:
 *				the default_... ones); 0, or -1 with err for
 *				a bad number or an empty feedback value. A
 *				malformed feedback value is, as in Postfix 3.7,
 *				a warning and the value 1 is used.
 *	qc_conc_init(&c, initial, limit)	window = initial, clamped to
 *				limit (0 = unlimited), counters 0, alive
 *	qc_conc_positive(&c, &p, busy, name)	after a delivery without
 *				connection/handshake failure
 *	qc_conc_negative(&c, &p, busy, name)	after a delivery with one
 *	qc_conc_revive(&c, &p, busy)	a dead destination comes back (its
 *				timer of minimal_backoff_time went off, or an
 *				F trigger): window = busy or initial
 *	qc_conc_may_start(&c, busy)	1 if one more delivery may start
 *	qc_conc_log(&c, &p, name, positive)	with feedback debug on, log
 *				the state line (e.g. after qc_conc_revive
 *				from the dead timer, as Postfix does)
 *	The qc_conc_* functions that change state return QC_CONC_SAME,
 *	QC_CONC_GREW, QC_CONC_SHRANK, QC_CONC_REVIVED or QC_CONC_DIED.
 *	"busy" is the destination's number of deliveries in progress, counting
 *	the one whose result is being reported; "name" (may be NULL) only
 *	labels debug log lines.
 *
 * Diagnostics: qc_feedback_parse puts the reason in err (e.g. "feedback
 * number must be in the range 0..1"), logs nothing. qc_feedback_params_load:
 * "invalid NAME value "TEXT": reason" in err; warning "NAME: ignoring
 * malformed or unreasonable feedback: VALUE" (Postfix 3.7's text; NAME is
 * the parameter that supplied the value). With
 * destination_concurrency_feedback_debug = yes, Postfix 3.7's line shapes:
 *	"TRANSPORT: NAME feedback type T value at INITIAL: G" (load; T 0
 *	constant, 1 per concurrency, 2 per sqrt)
 *	"qmgr_queue_unthrottle: feedback G" (positive, when it applies)
 *	"qmgr_queue_throttle: feedback F" (negative, unless it kills)
 *	"qmgr_queue_(un)throttle: queue DEST: limit L window W success S
 *	failure F fail_cohorts C" (after every positive/negative call)
 *
 * Parameters: initial_destination_concurrency,
 * default_destination_concurrency_limit,
 * default_destination_concurrency_positive_feedback,
 * default_destination_concurrency_negative_feedback,
 * default_destination_concurrency_failed_cohort_limit (and their
 * <transport>_ forms), destination_concurrency_feedback_debug.
 */

#include "buf.h"
#include "conf.h"

enum qc_feedback_scale {
    QC_FEEDBACK_CONSTANT = 0,    /* value */
    QC_FEEDBACK_PER_WINDOW,      /* value / window */
    QC_FEEDBACK_PER_SQRT_WINDOW, /* value / sqrt(window) */
};

struct qc_feedback {
    double value; /* in [0,1] */
    enum qc_feedback_scale scale;
};

int qc_feedback_parse(const char *text, struct qc_feedback *fb,
                      struct buf *err);
double qc_feedback_eval(const struct qc_feedback *fb, int window);
void qc_feedback_format(const struct qc_feedback *fb, struct buf *out);

/* One transport's settings. */
struct qc_feedback_params {
    int initial;             /* <t>_initial_destination_concurrency, >= 1 */
    int limit;               /* <t>_destination_concurrency_limit, 0: none */
    int failed_cohort_limit; /* <t>_..._failed_cohort_limit, 0: never dead */
    struct qc_feedback positive; /* <t>_..._positive_feedback (g) */
    struct qc_feedback negative; /* <t>_..._negative_feedback (f) */
    int debug;                   /* destination_concurrency_feedback_debug */
};

void qc_feedback_params_init(struct qc_feedback_params *p, int initial,
                             int limit);
int qc_feedback_params_load(struct qc_feedback_params *p, struct conf *conf,
                            const char *transport, struct buf *err);

/* One destination's state. */
struct qc_conc {
    int window;          /* allowed concurrency; 0 while dead */
    double success;      /* positive feedback not yet turned into +1 */
    double failure;      /* negative feedback not yet turned into -1 */
    double fail_cohorts; /* failed pseudo-cohorts since the last success */
    int dead;            /* delivery suspended */
};

#define QC_CONC_SAME    0 /* window unchanged */
#define QC_CONC_GREW    1 /* window increased */
#define QC_CONC_SHRANK  2 /* window decreased */
#define QC_CONC_REVIVED 3 /* was dead, is alive */
#define QC_CONC_DIED    4 /* is dead now (or still) */

void qc_conc_init(struct qc_conc *c, int initial, int limit);
int qc_conc_positive(struct qc_conc *c, const struct qc_feedback_params *p,
                     int busy, const char *name);
int qc_conc_negative(struct qc_conc *c, const struct qc_feedback_params *p,
                     int busy, const char *name);
int qc_conc_revive(struct qc_conc *c, const struct qc_feedback_params *p,
                   int busy);
int qc_conc_may_start(const struct qc_conc *c, int busy);
void qc_conc_log(const struct qc_conc *c, const struct qc_feedback_params *p,
                 const char *name, int positive);

#endif
