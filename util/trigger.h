#ifndef POSTERN_TRIGGER_H
#define POSTERN_TRIGGER_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

/*
 * A trigger is a few bytes written to a service endpoint, with no reply.
 * The generic wakeup byte 'W' (TRIGGER_REQ_WAKEUP) is defined with the
 * master protocol in master_proto.h; the queue manager's request bytes
 * are these (Postfix qmgr(8), "TRIGGERS"):
 */
#define QMGR_REQ_SCAN_DEFERRED 'D' /* start a deferred queue scan */
#define QMGR_REQ_SCAN_INCOMING 'I' /* start an incoming queue scan */
#define QMGR_REQ_SCAN_ALL      'A' /* ignore deferred file time stamps */
#define QMGR_REQ_FLUSH_DEAD    'F' /* forget dead transports/destinations */

/* A trigger server reads at most this much per wakeup. */
#define TRIGGER_BUF_SIZE 1024

int trigger_send(const char *path, const void *data, size_t len,
                 int timeout_ms);
int trigger_unix(const char *path, const void *data, size_t len,
                 int timeout_ms);
int trigger_fifo(const char *path, const void *data, size_t len,
                 int timeout_ms);
int trigger_inet(const char *addr, const void *data, size_t len,
                 int timeout_ms);
ssize_t trigger_read(int fd, struct buf *out);
void trigger_collapse(const char *bytes, size_t len, struct buf *out);

#endif
