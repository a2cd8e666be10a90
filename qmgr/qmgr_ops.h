#ifndef POSTERN_QMGR_OPS_H
#define POSTERN_QMGR_OPS_H

#include "qcore.h"

/* qmgr's scheduler (qmgr_sched.c) as qcore's scheduler hooks. */
extern const struct qc_sched_ops qmgr_sched_ops;

#endif
