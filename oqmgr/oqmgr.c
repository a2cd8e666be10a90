/*
 * oqmgr - the old queue manager: per-destination FIFO scheduling
 *
 * The queue manager core (qcore/) with the simplest scheduler (spec
 * e.5): no jobs, no preemption, no per-transport recipient pools.
 *
 *	- Entry selection: within a transport, round robin over its
 *	  destination queues (the chosen queue goes to the end of the
 *	  transport's queue list); within a queue, first in first out.
 *	  Transports take turns in the core's drain loop.
 *	- Recipients in core: each message may hold up to
 *	  qmgr_message_recipient_limit * qmgr_fudge_factor / 100 recipients
 *	  in core (at least qmgr_message_recipient_minimum on the first
 *	  read); more are read when the in-core ones are done. A new
 *	  message is admitted only while the total number of in-core
 *	  recipients is below qmgr_message_recipient_limit (and the core's
 *	  qmgr_message_active_limit allows it). Designed for an equal delay
 *	  per message rather than per recipient.
 *
 * The scheduler is in oqmgr_sched.c (unit-tested without sockets).
 *
 * Public functions: main().
 *
 * Diagnostics: those of the core.
 *
 * Configuration parameters: qmgr_message_recipient_limit,
 * qmgr_fudge_factor, qmgr_message_recipient_minimum (via the core), and
 * every parameter of the core (see man/oqmgr.8).
 */
#include "oqmgr_sched.h"

int main(int argc, char **argv)
{
    qc_main(argc, argv, &oqmgr_sched_ops, NULL);
}
