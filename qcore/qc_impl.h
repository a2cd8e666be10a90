#ifndef POSTERN_QC_IMPL_H
#define POSTERN_QC_IMPL_H

#include <sys/stat.h>

#include "buf.h"
#include "qcore.h"
#include "stream.h"

/*
 * qc_impl - what the modules of the queue manager core tell each other;
 * not for the schedulers (they use qcore.h). Unit tests include it.
 */

/* --- qc_util.c: a string-keyed hash table. */
struct qc_htable;
struct qc_htable *qc_htable_create(void);
void *qc_htable_find(const struct qc_htable *table, const char *key);
void qc_htable_enter(struct qc_htable *table, const char *key, void *value);
void qc_htable_delete(struct qc_htable *table, const char *key);
void qc_htable_free(struct qc_htable *table);

/* --- qc_message.c: queue file reading. */
#define QC_MSG_FLAG_SCANNED     (1 << 8)  /* the whole file was read once */
#define QC_MSG_FLAG_CORRUPT     (1 << 9)  /* found corrupt on a refill */
#define QC_MSG_FLAG_DFXP        (1 << 10) /* override defer_transports */
#define QC_MSG_FLAG_RESUME_XTRA (1 << 11) /* rcpt_offset: extracted seg. */

/* The last resolution of a message (message->resolve_cache). */
struct qc_resolve_cache {
    char *address;
    int rc;
    char *transport;
    char *nexthop;
    int flags;
};

struct qc_message *qc_message_alloc(const char *queue_name, const char *id);
void qc_message_free(struct qc_message *message);
int qc_message_read(struct qc_message *message, struct stream *sp, int limit,
                    struct qc_rcpt_list *out, struct buf *why);

/* --- qc_route.c: transports, queues, entries, grouping. */
struct qc_transport *qc_transport_find(const char *name);
struct qc_transport *qc_transport_create(const char *name);
struct qc_queue *qc_queue_find(struct qc_transport *transport,
                               const char *name);
struct qc_queue *qc_queue_create(struct qc_transport *transport,
                                 const char *name, const char *nexthop);
void qc_queue_free_if_idle(struct qc_queue *queue);
struct qc_entry *qc_entry_create(struct qc_queue *queue,
                                 struct qc_message *message);
void qc_entry_unlink(struct qc_entry *entry); /* off lists, counts fixed */
void qc_entry_free(struct qc_entry *entry);

/* One resolved recipient waiting to be put into an entry. */
struct qc_assign {
    struct qc_queue *queue;
    struct qc_recipient rcpt; /* moved into the entry */
    int seq;                  /* read order, keeps the sort stable */
};

void qc_message_assign(struct qc_message *message, struct qc_assign *items,
                       int count);
void qc_route_reset(void); /* tests: forget all transports */

/* --- qc_active.c: the active queue. */
int qc_active_feed(const char *queue_name, const char *id, int ignore_time);
void qc_active_leftovers(void);
#define QC_FLOW_TOKENS 100 /* in-flow tokens kept ready (Postfix 3.7) */
void qc_flow_refill(void);
void qc_entry_finish(struct qc_entry *entry, int status);
void qc_message_check_done(struct qc_message *message);
void qc_defer_entry(struct qc_entry *entry, const char *status,
                    const char *reason);
void qc_queue_throttle(struct qc_queue *queue, const char *status,
                       const char *reason);
void qc_queue_unthrottle(struct qc_queue *queue);
void qc_transport_throttle(struct qc_transport *transport, const char *status,
                           const char *reason);
void qc_flush_dead(void);
void qc_clog_check(struct qc_queue *queue);
void qc_move_corrupt(const char *queue_name, const char *id);

/*
 * Recipients the queue manager defers or bounces go to the error agents
 * (master.cf "retry" and "error"), with the DSN code and the reason as
 * the next hop; NULL when that transport is out of reach.
 */
#define QC_ERROR_DEFER  "retry"
#define QC_ERROR_BOUNCE "error"
struct qc_queue *qc_error_queue(const char *service, const char *status,
                                const char *reason);

/* qmgr-side outcomes of one recipient of a message (no agent). */
#define QC_DISPOSE_DEFER  1
#define QC_DISPOSE_BOUNCE 2
#define QC_DISPOSE_SENT   3
void qc_dispose(struct qc_message *message, const struct qc_recipient *rcpt,
                int how, const char *status, const char *reason);

/* --- qc_deliver.c: talking to delivery agents. */
void qc_deliver_start(struct qc_transport *transport);
void qc_deliver_feedback(struct qc_queue *queue, const char *dsn_status,
                         const char *hop_reason);

/* --- qc_main.c: the loop. */
extern int qc_in_test; /* unit tests: no services, no logging of timers */
void qc_params_load(void);
void qc_drain(void);

#endif
