/*
 * qc_trigger - what the queue managers do with a trigger buffer, and the
 * per-queue scan state machine
 *
 * Public functions (see qc_trigger.h for the contract):
 *	qc_trigger_actions, qc_trigger_apply,
 *	qc_scan_init, qc_scan_request, qc_scan_start, qc_scan_ignore_time,
 *	qc_scan_done, qc_scan_busy, qc_scan_pending
 *
 * Facts (spec d.4, qmgr(8) TRIGGERS): the buffer of one wakeup is read
 * whole; identical requests collapse (trigger_collapse() in util/), A and
 * F come before D and I, W means I, unknown bytes are ignored. D and I
 * start a scan of their queue, or, when that scan is already running,
 * restart it as soon as it finishes. A makes the next deferred queue scan
 * ignore file time stamps; F forgets dead transports and destinations.
 *
 * Observed with Postfix 3.7.11: A also applies to the incoming queue: an
 * incoming file with mtime one hour ahead is skipped by an "I" trigger
 * and taken by "AI". So A marks the next incoming and deferred scans.
 *
 * Choices where Postfix's behaviour was not known to us:
 *	- A alone starts no scan (qmgr(8): it "affects the next deferred
 *	  queue scan").
 *	- D and I keep the order of their first appearance in the buffer.
 *	- A flag set while a scan runs belongs to the next scan (which a
 *	  restart starts); the running scan keeps its own setting.
 *
 * Diagnostics: msg_panic("qc_scan_done: no scan running").
 *
 * Parameters: none.
 */
#include <stddef.h>

#include "buf.h"
#include "master_proto.h"
#include "msg.h"
#include "qc_trigger.h"
#include "trigger.h"

size_t qc_trigger_actions(const char *bytes, size_t len,
                          enum qc_trigger_action out[QC_TRIGGER_MAX_ACTIONS])
{
    struct buf *collapsed = buf_alloc(16);
    size_t count = 0;
    int seen_incoming = 0;

    if (len > TRIGGER_BUF_SIZE)
        len = TRIGGER_BUF_SIZE;
    trigger_collapse(bytes, len, collapsed);
    for (size_t i = 0; i < buf_len(collapsed); i++) {
        switch (buf_str(collapsed)[i]) {
        case QMGR_REQ_SCAN_ALL:
            out[count++] = QC_TRIGGER_IGNORE_TIME;
            break;
        case QMGR_REQ_FLUSH_DEAD:
            out[count++] = QC_TRIGGER_FLUSH;
            break;
        case QMGR_REQ_SCAN_DEFERRED:
            out[count++] = QC_TRIGGER_SCAN_DEFERRED;
            break;
        case QMGR_REQ_SCAN_INCOMING:
        case TRIGGER_REQ_WAKEUP:
            if (!seen_incoming)
                out[count++] = QC_TRIGGER_SCAN_INCOMING;
            seen_incoming = 1;
            break;
        default:
            break;
        }
    }
    buf_free(collapsed);
    return count;
}

int qc_trigger_apply(const char *bytes, size_t len, struct qc_scan *incoming,
                     struct qc_scan *deferred)
{
    enum qc_trigger_action actions[QC_TRIGGER_MAX_ACTIONS];
    size_t count = qc_trigger_actions(bytes, len, actions);
    int result = 0;

    for (size_t i = 0; i < count; i++) {
        switch (actions[i]) {
        case QC_TRIGGER_IGNORE_TIME:
            qc_scan_request(deferred, QC_SCAN_IGNORE_TIME);
            qc_scan_request(incoming, QC_SCAN_IGNORE_TIME);
            break;
        case QC_TRIGGER_FLUSH:
            result |= QC_TRIGGER_FLUSH_DEAD;
            break;
        case QC_TRIGGER_SCAN_DEFERRED:
            qc_scan_request(deferred, QC_SCAN_START);
            break;
        case QC_TRIGGER_SCAN_INCOMING:
            qc_scan_request(incoming, QC_SCAN_START);
            break;
        }
    }
    return result;
}

void qc_scan_init(struct qc_scan *s)
{
    s->requested = 0;
    s->running = 0;
    s->restart = 0;
    s->ignore_time = 0;
}

void qc_scan_request(struct qc_scan *s, int flags)
{
    if (flags & QC_SCAN_IGNORE_TIME)
        s->requested |= QC_SCAN_IGNORE_TIME;
    if (flags & QC_SCAN_START) {
        if (s->running)
            s->restart = 1;
        else
            s->requested |= QC_SCAN_START;
    }
}

int qc_scan_start(struct qc_scan *s)
{
    if (s->running || !(s->requested & QC_SCAN_START))
        return 0;
    s->running = 1;
    s->ignore_time = (s->requested & QC_SCAN_IGNORE_TIME) != 0;
    s->requested = 0;
    return 1;
}

int qc_scan_ignore_time(const struct qc_scan *s)
{
    return s->running && s->ignore_time;
}

void qc_scan_done(struct qc_scan *s)
{
    if (!s->running)
        msg_panic("qc_scan_done: no scan running");
    s->running = 0;
    s->ignore_time = 0;
    if (s->restart) {
        s->restart = 0;
        s->requested |= QC_SCAN_START;
    }
}

int qc_scan_busy(const struct qc_scan *s)
{
    return s->running;
}

int qc_scan_pending(const struct qc_scan *s)
{
    return !s->running && (s->requested & QC_SCAN_START) != 0;
}
