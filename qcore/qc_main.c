/*
 * qc_main - the queue manager daemon around a scheduler
 *
 * qc_main() runs a queue manager as a persistent SERVER_TRIGGER daemon
 * (util/server.h) with the scheduler it is given (qmgr: preemptive,
 * oqmgr: per-destination FIFO). It owns the main loop (spec d.5):
 *
 *	- triggers (public/qmgr; qc_trigger.h): D, I/W, A, F; identical
 *	  bytes collapse, A and F act before D and I;
 *	- scans: incoming and deferred are read a file at a time, one scan
 *	  of each at most, a scan asked for while one runs starts again
 *	  when it ends; the deferred queue is scanned every
 *	  queue_run_delay, and both at start-up (after leftovers in active/
 *	  went back to incoming/);
 *	- admission (leaky bucket): a file is opened only while fewer than
 *	  qmgr_message_active_limit messages are in core and the
 *	  scheduler's may_admit() agrees; fairness: the two scans take
 *	  turns, and when the active queue was full the incoming scan goes
 *	  first;
 *	- drain: every transport with a destination that may take another
 *	  delivery gets an agent connection (qc_deliver.c).
 * At start-up and after every event it tops master's in-flow pipe up to
 * QC_FLOW_TOKENS tokens (qc_flow_refill), as Postfix 3.7's qmgr does.
 *
 * The loop callback of the skeleton runs before every wait, so every
 * event (trigger, agent reply, timer) is followed by a pass. A pass
 * examines at most QC_FEED_BUDGET queue files, so that replies of agents
 * are not kept waiting behind a long directory.
 *
 * Public functions: qc_main() (qcore.h), qc_wakeup(), qc_params_load()
 * and qc_drain() (qc_impl.h).
 *
 * Diagnostics: fatal on bad parameter values; warnings when
 * qmgr_message_recipient_limit is raised to qmgr_message_active_limit and
 * when bounce_queue_lifetime is lowered to maximal_queue_lifetime
 * ("bounce_queue_lifetime is larger than maximal_queue_lifetime -
 * adjusting bounce_queue_lifetime", Postfix 3.7's text).
 *
 * Configuration parameters: qmgr_message_active_limit,
 * qmgr_message_recipient_limit, qmgr_message_recipient_minimum,
 * qmgr_fudge_factor, qmgr_clog_warn_time, queue_run_delay,
 * transport_retry_time, minimal_backoff_time, maximal_backoff_time,
 * maximal_queue_lifetime, bounce_queue_lifetime, delay_warning_time,
 * confirm_delay_cleared, qmgr_ipc_timeout, qmgr_daemon_timeout, helpful_warnings, allow_min_user,
 * delay_logging_resolution_limit, defer_transports,
 * double_bounce_sender, myhostname (and those of the modules it calls:
 * deliver_agent_init, deliver_status_init); the scheduler's own.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounce_client.h"
#include "deliver_agent.h"
#include "deliver_status.h"
#include "events.h"
#include "mail_queue.h"
#include "mem.h"
#include "msg.h"
#include "param.h"
#include "qc_impl.h"
#include "qc_trigger.h"
#include "rewrite_client.h"
#include "server.h"

#define QC_FEED_BUDGET 100

struct qc_params qc_params;
const struct qc_sched_ops *qc_sched;
int qc_in_test;

static struct qc_scan qc_scan_in;
static struct qc_scan qc_scan_def;
static struct mail_scan *qc_dir_in;
static struct mail_scan *qc_dir_def;
static int qc_turn_deferred; /* whose turn it is */

static const struct server_param qc_core_params[] = {
    SERVER_INT("qmgr_message_active_limit", &qc_params.message_active_limit),
    SERVER_INT("qmgr_message_recipient_limit",
               &qc_params.message_recipient_limit),
    SERVER_INT("qmgr_message_recipient_minimum",
               &qc_params.message_recipient_minimum),
    SERVER_INT("qmgr_fudge_factor", &qc_params.fudge_factor),
    SERVER_TIME("qmgr_clog_warn_time", &qc_params.clog_warn_time),
    SERVER_TIME("queue_run_delay", &qc_params.queue_run_delay),
    SERVER_TIME("transport_retry_time", &qc_params.transport_retry_time),
    SERVER_TIME("delay_warning_time", &qc_params.delay_warning_time),
    SERVER_INT("confirm_delay_cleared", &qc_params.confirm_delay_cleared),
    SERVER_TIME("qmgr_ipc_timeout", &qc_params.ipc_timeout),
    SERVER_TIME("qmgr_daemon_timeout", &qc_params.daemon_timeout),
    SERVER_INT("helpful_warnings", &qc_params.helpful_warnings),
    SERVER_INT("allow_min_user", &qc_params.allow_min_user),
    SERVER_INT("delay_logging_resolution_limit",
               &qc_params.delay_logging_resolution_limit),
    SERVER_STR("defer_transports", &qc_params.defer_transports),
    SERVER_STR("default_filter_nexthop", &qc_params.default_filter_nexthop),
    SERVER_STR("double_bounce_sender", &qc_params.double_bounce_sender),
    SERVER_STR("myhostname", &qc_params.myhostname),
    SERVER_PARAM_END,
};

void qc_wakeup(void)
{
    /* The skeleton runs the loop callback after every event. */
}

void qc_params_load(void)
{
    struct buf *err = buf_alloc(64);

    /* Observed with Postfix 3.7's oqmgr: this adjustment is logged. */
    if (param_time(server_conf, "bounce_queue_lifetime") >
        param_time(server_conf, "maximal_queue_lifetime"))
        msg_warn("%s is larger than %s - adjusting %s", "bounce_queue_lifetime",
                 "maximal_queue_lifetime", "bounce_queue_lifetime");
    qc_backoff_params_init(&qc_params.backoff);
    if (qc_backoff_params_load(&qc_params.backoff, server_conf, err) < 0)
        msg_fatal("%s", buf_str(err));
    buf_free(err);
    if (qc_params.message_recipient_limit < qc_params.message_active_limit) {
        msg_warn("%s is smaller than %s - adjusting %s",
                 "qmgr_message_recipient_limit", "qmgr_message_active_limit",
                 "qmgr_message_recipient_limit");
        qc_params.message_recipient_limit = qc_params.message_active_limit;
    }
    if (qc_params.ipc_timeout <= 0)
        qc_params.ipc_timeout = 60;
    /* The queue managers' watchdog: one loop iteration may take at most
     * qmgr_daemon_timeout, not the generic daemon_timeout. */
    if (qc_params.daemon_timeout > 0)
        server_daemon_timeout = qc_params.daemon_timeout;
}

static void qc_deferred_timer(int event, void *context)
{
    (void)event;
    qc_scan_request(&qc_scan_def, QC_SCAN_START);
    event_request_timer(qc_deferred_timer, context,
                        qc_params.queue_run_delay * 1000);
}

static void qc_post_init(const char *service, char **argv)
{
    (void)service;
    (void)argv;
    qc_params_load();
    rewrite_client_init(NULL, qc_params.ipc_timeout);
    deliver_agent_init();
    deliver_status_init();
    qc_active_leftovers();
    qc_flow_refill();
    qc_scan_init(&qc_scan_in);
    qc_scan_init(&qc_scan_def);
    qc_scan_request(&qc_scan_in, QC_SCAN_START);
    qc_scan_request(&qc_scan_def, QC_SCAN_START);
    event_request_timer(qc_deferred_timer, NULL,
                        qc_params.queue_run_delay * 1000);
    if (qc_sched->init)
        qc_sched->init();
}

static void qc_trigger_event(const char *data, size_t len, const char *service,
                             char **argv)
{
    (void)service;
    (void)argv;
    if (qc_trigger_apply(data, len, &qc_scan_in, &qc_scan_def) &
        QC_TRIGGER_FLUSH_DEAD)
        qc_flush_dead();
}

void qc_drain(void)
{
    struct qc_ring *r;

    QC_RING_FOREACH(r, &qc_transports)
    {
        struct qc_transport *t = QC_RING_OBJ(r, struct qc_transport, link);

        if (t->pending == 0 && qc_transport_has_work(t))
            qc_deliver_start(t);
    }
}

static int qc_may_admit(void)
{
    return qc_message_count < qc_params.message_active_limit &&
           (qc_sched->may_admit == NULL || qc_sched->may_admit());
}

/* Open the directory of a scan that starts; 1 if one is open. */
static int qc_scan_open(struct qc_scan *s, struct mail_scan **dir,
                        const char *queue)
{
    while (*dir == NULL && qc_scan_start(s)) {
        if ((*dir = mail_scan_open(queue)) == NULL) {
            msg_warn("open directory %s: %m", queue);
            qc_scan_done(s);
            return 0;
        }
    }
    return *dir != NULL;
}

/* Take the next file of a scan; 0 when the scan is over. */
static int qc_scan_step(struct qc_scan *s, struct mail_scan **dir,
                        const char *queue)
{
    const char *id;

    if ((id = mail_scan_next(*dir)) == NULL) {
        mail_scan_close(*dir);
        *dir = NULL;
        qc_scan_done(s);
        return 0;
    }
    qc_active_feed(queue, id, qc_scan_ignore_time(s));
    return 1;
}

static int qc_loop(const char *service, char **argv)
{
    int budget = QC_FEED_BUDGET;
    int timeout = -1;
    int busy;

    (void)service;
    (void)argv;
    while (budget > 0) {
        int in = qc_scan_open(&qc_scan_in, &qc_dir_in, MAIL_QUEUE_INCOMING);
        int def = qc_scan_open(&qc_scan_def, &qc_dir_def, MAIL_QUEUE_DEFERRED);

        if (!in && !def)
            break;
        if (!qc_may_admit()) {
            qc_turn_deferred = 0; /* incoming first when there is room */
            break;
        }
        if ((qc_turn_deferred && def) || !in)
            qc_scan_step(&qc_scan_def, &qc_dir_def, MAIL_QUEUE_DEFERRED);
        else
            qc_scan_step(&qc_scan_in, &qc_dir_in, MAIL_QUEUE_INCOMING);
        qc_turn_deferred = !qc_turn_deferred;
        budget--;
    }
    qc_drain();
    qc_flow_refill();
    if (qc_sched->periodic)
        timeout = qc_sched->periodic(time(NULL));
    busy = (qc_dir_in != NULL || qc_dir_def != NULL ||
            qc_scan_pending(&qc_scan_in) || qc_scan_pending(&qc_scan_def)) &&
           qc_may_admit();
    return busy ? 0 : timeout;
}

void qc_main(int argc, char **argv, const struct qc_sched_ops *ops,
             const struct server_param *extra)
{
    static struct server_ops sops;
    struct server_param *params;
    size_t ncore = sizeof(qc_core_params) / sizeof(qc_core_params[0]) - 1;
    size_t nextra = 0;

    if (ops->select_entry == NULL || ops->recipients_wanted == NULL)
        msg_panic("qc_main: scheduler %s lacks select_entry or "
                  "recipients_wanted",
                  ops->name);
    qc_sched = ops;
    while (extra && extra[nextra].name)
        nextra++;
    params = mem_zalloc((ncore + nextra + 1) * sizeof(*params));
    memcpy(params, qc_core_params, ncore * sizeof(*params));
    if (nextra)
        memcpy(params + ncore, extra, nextra * sizeof(*params));
    sops.model = SERVER_TRIGGER;
    sops.params = params;
    sops.persistent = 1;
    sops.post_init = qc_post_init;
    sops.trigger = qc_trigger_event;
    sops.loop = qc_loop;
    server_main(argc, argv, &sops);
}
