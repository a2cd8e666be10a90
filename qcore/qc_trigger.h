#ifndef POSTERN_QC_TRIGGER_H
#define POSTERN_QC_TRIGGER_H

/*
 * qc_trigger - what the queue managers do with a trigger buffer, and the
 * per-queue scan state machine
 *
 * A trigger buffer (up to TRIGGER_BUF_SIZE bytes read in one wakeup, spec
 * d.4, qmgr(8) TRIGGERS) becomes an ordered list of actions: identical
 * requests collapse, A and F come before D and I, W means the same as I,
 * unknown bytes are ignored. Each queue that is scanned (incoming,
 * deferred) has a struct qc_scan: a scan asked for while one is running
 * is not lost, it starts again as soon as the running one ends.
 *
 * Public functions:
 *	qc_trigger_actions(bytes, len, out)	fill out[] (at most
 *				QC_TRIGGER_MAX_ACTIONS) with the actions in the
 *				order they must be applied; returns the count
 *	qc_trigger_apply(bytes, len, incoming, deferred)	apply a buffer
 *				to the two scan states: A marks the next
 *				deferred and incoming scans as "ignore time
 *				stamps" (Postfix 3.7 does both, observed), D requests a deferred scan, I and W an
 *				incoming scan; returns QC_TRIGGER_FLUSH_DEAD
 *				when F was present (the caller forgets its dead
 *				transports and destinations), else 0
 *	qc_scan_init(&s)		idle, nothing requested
 *	qc_scan_request(&s, flags)	ask for a scan (flags: QC_SCAN_START,
 *				QC_SCAN_IGNORE_TIME, or both). While a scan
 *				runs, QC_SCAN_START sets the restart flag.
 *				QC_SCAN_IGNORE_TIME alone starts nothing; it
 *				applies to the next scan that starts.
 *	qc_scan_start(&s)		1 if a scan starts now (one was requested
 *				and none runs): it becomes the running scan and
 *				takes over the pending flags; else 0
 *	qc_scan_ignore_time(&s)	1 if the running scan ignores file times
 *	qc_scan_done(&s)		the running scan reached the end of its
 *				queue: it stops; if a scan was requested while
 *				it ran (restart), that one is now requested
 *				and the next qc_scan_start() starts it.
 *				Calling it with no scan running is a panic.
 *	qc_scan_busy(&s)		1 while a scan runs
 *	qc_scan_pending(&s)		1 if a scan is requested and not started
 *
 * Diagnostics: panic on qc_scan_done without a running scan.
 *
 * Parameters: none (queue_run_delay timers call qc_scan_request).
 */

#include <stddef.h>

#include "trigger.h"

enum qc_trigger_action {
    QC_TRIGGER_IGNORE_TIME = 1, /* A */
    QC_TRIGGER_FLUSH,           /* F */
    QC_TRIGGER_SCAN_DEFERRED,   /* D */
    QC_TRIGGER_SCAN_INCOMING,   /* I or W */
};

#define QC_TRIGGER_MAX_ACTIONS 4

/* qc_trigger_apply() result bit. */
#define QC_TRIGGER_FLUSH_DEAD 1

/* qc_scan_request() flags. */
#define QC_SCAN_START       1 /* start (or restart) a scan */
#define QC_SCAN_IGNORE_TIME 2 /* the next scan ignores file time stamps */

struct qc_scan {
    int requested;   /* QC_SCAN_* flags asked for the next scan */
    int running;     /* a scan is in progress */
    int restart;     /* a scan was requested while this one ran */
    int ignore_time; /* the running scan ignores time stamps */
};

size_t qc_trigger_actions(const char *bytes, size_t len,
                          enum qc_trigger_action out[QC_TRIGGER_MAX_ACTIONS]);
int qc_trigger_apply(const char *bytes, size_t len, struct qc_scan *incoming,
                     struct qc_scan *deferred);
void qc_scan_init(struct qc_scan *s);
void qc_scan_request(struct qc_scan *s, int flags);
int qc_scan_start(struct qc_scan *s);
int qc_scan_ignore_time(const struct qc_scan *s);
void qc_scan_done(struct qc_scan *s);
int qc_scan_busy(const struct qc_scan *s);
int qc_scan_pending(const struct qc_scan *s);

#endif
