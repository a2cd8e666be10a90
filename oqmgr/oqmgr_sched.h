#ifndef POSTERN_OQMGR_SCHED_H
#define POSTERN_OQMGR_SCHED_H

#include "qcore.h"

/* oqmgr's scheduler for the queue manager core (oqmgr_sched.c). */
extern const struct qc_sched_ops oqmgr_sched_ops;

#endif
