/*
 * qmgr - the queue manager with the preemptive message scheduler.
 *
 * qmgr is qcore (the queue scans, messages, recipient resolution,
 * destination queues and their concurrency windows, deliveries, status
 * reports, triggers: qcore/qcore.h) plus the preemptive scheduler and
 * recipient pools of qmgr_sched.c, hooked into qcore by qmgr_ops.c.
 *
 * Public functions: main().
 *
 * Diagnostics and configuration parameters: those of qcore and of
 * qmgr_ops.c (see man/qmgr.8).
 */
#include <stddef.h>

#include "qcore.h"
#include "qmgr_ops.h"

int main(int argc, char **argv)
{
    qc_main(argc, argv, &qmgr_sched_ops, NULL);
}
