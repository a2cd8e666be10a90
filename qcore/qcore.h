#ifndef POSTERN_QCORE_H
#define POSTERN_QCORE_H

#include <stddef.h>
#include <sys/time.h>
#include <time.h>

#include "deliver_request.h"
#include "dsn.h"
#include "qc_backoff.h"
#include "qc_feedback.h"

/*
 * qcore - what the two queue managers (qmgr, oqmgr) share: the queue
 * scans, the in-core message, recipient resolution and grouping into
 * entries, per-destination queues with the concurrency window and dead
 * state, per-transport state, delivery through private/<transport>,
 * status reports, expiry and deferral, triggers and timers. The two
 * programs differ only in their scheduler, a struct qc_sched_ops that the
 * core calls (below). See qcore.c for the behaviour and the parameters.
 *
 * Object model (spec e.1):
 *
 *	qc_transport	one per master.cf delivery service that mail resolved
 *	  |		to; holds its queues
 *	  +- qc_queue	one per transport + next hop ("destination"); the
 *	       |	concurrency window, todo and busy entry lists
 *	       +- qc_entry	recipients of ONE message for ONE queue, at
 *				most <transport>_destination_recipient_limit
 *	qc_message	one queue file in the active queue; owns its entries
 *			(counted in refcount) and the in-core recipients
 *
 * Building: a queue manager's main() calls qc_main() with its ops;
 * mk/qcore.am defines QCORE_CPPFLAGS (adds -I qcore) and QCORE_LIBS
 * (qcore/libqcore.a, qcore/libqcunits.a and util) to link with.
 *
 * Recipients the core must defer or bounce without their own transport
 * (defer_transports, dead destinations and transports, resolver
 * failures, bad addresses) become ordinary entries of the "retry" or
 * "error" transport, whose queue name and next hop is "X.Y.Z reason"
 * (as Postfix 3.7 does): the scheduler sees them like any other entry.
 *
 * Ownership and life cycle: the core creates and frees every object.
 * Each object has a `sched` pointer the scheduler may use for its own
 * state (qmgr: the job of a message per transport, the peer of an entry);
 * the core never touches it. Lists are intrusive rings (struct qc_ring).
 */

/* ---------------------------------------------------------------- rings */

/* An intrusive doubly linked ring; a list head is a ring with no owner. */
struct qc_ring {
    struct qc_ring *prev;
    struct qc_ring *next;
};

void qc_ring_init(struct qc_ring *head);
void qc_ring_append(struct qc_ring *head, struct qc_ring *item);  /* tail */
void qc_ring_prepend(struct qc_ring *head, struct qc_ring *item); /* head */
void qc_ring_insert_before(struct qc_ring *where, struct qc_ring *item);
void qc_ring_detach(struct qc_ring *item); /* item becomes a lone ring */
int qc_ring_empty(const struct qc_ring *head);
size_t qc_ring_count(const struct qc_ring *head);

/* The object that holds a ring member: QC_RING_OBJ(r, struct qc_entry,
 * queue_link). */
#define QC_RING_OBJ(ring, type, member)                                        \
    ((type *)((char *)(ring)-offsetof(type, member)))
/* First/last member of a list, NULL when empty. */
#define QC_RING_FIRST(head) ((head)->next == (head) ? NULL : (head)->next)
#define QC_RING_LAST(head)  ((head)->prev == (head) ? NULL : (head)->prev)
#define QC_RING_FOREACH(pos, head)                                             \
    for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

/* ----------------------------------------------------------- the objects */

/* Delivery outcome of an entry, as the core reports it (spec d.2). */
#define QC_STAT_OK    0 /* every recipient dealt with */
#define QC_STAT_DEFER 1 /* some recipients must be tried again */
#define QC_STAT_CRASH 2 /* no or malformed reply: all deferred, 4.3.0 */

/* One recipient held in core. */
struct qc_recipient {
    char *address;       /* envelope recipient (R record), as in the file */
    char *orig_rcpt;     /* original recipient (O record), or NULL */
    char *dsn_orig_rcpt; /* DSN ORCPT, or NULL */
    int notify_flags;    /* DSN NOTIFY bits, 0 = not given */
    long offset;         /* file offset of its R record */
};

/* A growable array of recipients (message batch, entry contents). */
struct qc_rcpt_list {
    struct qc_recipient *info;
    int len;
    int avail;
};

/* qc_message.flags */
#define QC_MSG_FLAG_DEFERRED  (1 << 0) /* some recipient was deferred */
#define QC_MSG_FLAG_ALL_READ  (1 << 1) /* no unread recipients in the file */
#define QC_MSG_FLAG_EXPIRED   (1 << 2) /* past its queue lifetime */
#define QC_MSG_FLAG_FORCE_EXP (1 << 3) /* postsuper -f (mode g+x) */
#define QC_MSG_FLAG_READING   (1 << 4) /* recipients being read right now */
#define QC_MSG_FLAG_DONE      (1 << 5) /* finished: removed or deferred */

/* One queue file in the active queue. */
struct qc_message {
    char *queue_id;
    const char *queue_name;     /* where the file is now ("active") */
    struct timeval arrival;     /* T record: incoming arrival */
    time_t create_time;         /* create_time attribute, else arrival */
    struct timeval active_time; /* when it entered the active queue */
    char *sender;               /* S record, "" = null sender */
    char *verp_delims;          /* V record, or NULL */
    char *filter;               /* L record (content_filter), or NULL */
    char *envelope_id;          /* DSN ENVID, or NULL */
    int ret_flags;              /* DSN RET */
    char *encoding;             /* "encoding" attribute, or NULL */
    int sendopts;               /* C field 6 (SMTPUTF8, REQUIRETLS) */
    char *rewrite_context;      /* "local" / "remote", or NULL */
    char *client_name;          /* log_client_name etc., or NULL */
    char *client_addr;
    char *client_port;
    char *client_proto;
    char *client_helo;
    char *sasl_method;
    char *sasl_username;
    char *sasl_sender;
    char *log_ident;    /* log_ident attribute, else the queue id */
    long data_offset;   /* C field 2: just after the M record */
    long data_size;     /* C field 1: content segment size */
    long cont_length;   /* C field 5: for size= and the request */
    int rcpt_total;     /* C field 3: recipient count (upper bound) */
    int qmgr_flags;     /* C field 4 */
    int tflags;         /* trace_flags attribute (DEL_REQ_FLAG_*) */
    long tflags_offset; /* offset of that A record, or -1 */
    time_t warn_time;   /* W record: 0 none, -1 sent */
    long warn_offset;   /* offset of the W record, or -1 */
    int flags;          /* QC_MSG_FLAG_* */

    /* Recipient reading (spec e.4). */
    long rcpt_offset; /* where to continue reading; 0 = all read */
    int rcpt_count;   /* recipients in core, not yet done */
    int rcpt_read;    /* recipients read so far (all batches) */
    int rcpt_unread;  /* estimate of recipients still in the file */
    int rcpt_limit;   /* per-message in-core limit (scheduler's choice) */
    int refcount;     /* entries alive (todo + busy) */

    struct qc_ring active_link; /* in the list of active messages */
    void *resolve_cache;        /* core: address -> transport/nexthop */
    void *sched;                /* scheduler's per-message state */
};

/* One delivery transport (master.cf service that mail is resolved to). */
struct qc_transport {
    char *name;
    /* Per-transport parameters (<name>_<suffix>, else the default). */
    struct qc_feedback_params fb; /* initial window, limit, feedback */
    int dest_recipient_limit;     /* recipients per entry, 0 = unlimited */
    int dest_rate_delay;          /* seconds; > 0 forces window 1 */
    int transport_rate_delay;     /* seconds between deliveries */

    /* State. */
    int flags;                  /* QC_TRANSPORT_FLAG_* */
    char *dead_reason;          /* why it is throttled, or NULL */
    char dead_status[16];       /* its DSN code ("4.3.0") */
    int pending;                /* agent connections not yet announced */
    int busy;                   /* deliveries in progress */
    long long last_delivery_ms; /* for transport_rate_delay */
    struct qc_ring queues;      /* its queues, round-robin order */
    void *queue_table;          /* core: nexthop -> queue */
    struct qc_ring link;        /* in the list of all transports */
    void *sched;                /* scheduler's per-transport state */
};

/* qc_transport.flags */
#define QC_TRANSPORT_FLAG_DEAD  (1 << 0) /* unreachable: transport_retry_time */
#define QC_TRANSPORT_FLAG_DEFER (1 << 1) /* listed in defer_transports */
#define QC_TRANSPORT_FLAG_RATE  (1 << 2) /* waiting for transport_rate_delay */

/* One destination: transport + next hop (or + recipient, see e.1). */
struct qc_queue {
    char *name;    /* nexthop, or recipient when limit 1 */
    char *nexthop; /* what the agent gets as "nexthop" */
    struct qc_transport *transport;
    int todo_count; /* entries waiting */
    int busy_count; /* entries being delivered */
    int todo_rcpt;  /* recipients in todo entries */
    /* Concurrency window (spec e.2): conc.window, conc.dead. */
    struct qc_conc conc;
    char *dead_reason;          /* "delivery temporarily suspended: ..." */
    char dead_status[16];       /* its DSN code ("4.4.1") */
    int flags;                  /* QC_QUEUE_FLAG_* */
    long long last_delivery_ms; /* for dest_rate_delay */
    time_t clog_warned;         /* last clog warning */
    time_t last_done;           /* when a delivery last ended */
    int conn_flags;             /* DEL_REQ_FLAG_CONN_LOAD|STORE or 0 */
    struct qc_ring todo;        /* entries waiting (FIFO) */
    struct qc_ring busy;        /* entries being delivered */
    struct qc_ring transport_link;
    void *sched; /* scheduler's per-queue state */
};

/* qc_queue.flags */
#define QC_QUEUE_FLAG_DEAD (1 << 0) /* throttled: todo is deferred */
#define QC_QUEUE_FLAG_RATE (1 << 1) /* waiting for dest_rate_delay */

/* A batch of recipients of one message for one queue. */
struct qc_entry {
    struct qc_message *message;
    struct qc_queue *queue;
    struct qc_rcpt_list rcpt;
    int busy;                  /* handed to an agent */
    struct qc_ring queue_link; /* queue->todo or queue->busy */
    struct qc_ring sched_link; /* free for the scheduler (qmgr: peer) */
    void *sched;               /* scheduler's per-entry state (peer) */
};

/* ------------------------------------------------- the scheduler's side */

/*
 * What the core asks of a scheduler. Every hook except select_entry and
 * recipients_wanted may be NULL.
 *
 * Order of calls for one message: message_added (it has entered the
 * active queue; no recipients yet), then for each batch of recipients
 * read: entry_created for each new entry (already on queue->todo; a
 * batch may also add recipients to an entry created earlier for the
 * same message and queue while it is still on todo: entry_grown); for
 * each entry, once: entry_done (delivered or disposed of, with its
 * status; the entry is still on its queue's list, busy or todo, and is
 * freed right after); finally message_removed (deferred or removed;
 * refcount is 0).
 *
 * Entry selection: the core keeps one agent connection attempt per
 * transport at a time; when an agent announces itself the core calls
 * select_entry(transport). The scheduler returns an entry on the todo
 * list of a queue of that transport for which qc_queue_ready() is true,
 * or NULL (the connection is then closed). The core then moves the
 * entry to queue->busy and sends the request. The core starts a
 * connection only when qc_transport_has_work(transport) is true (some
 * queue of it is ready), so select_entry should normally find one.
 *
 * queue_unblocked(queue): the queue may take another delivery again
 * (busy fell below the window, a dead queue was revived, a rate delay
 * passed); qmgr clears the "blocker" state of jobs (spec e.3).
 * queue_dead(queue): the queue was declared dead; the core defers its
 * todo entries right after (entry_done with QC_STAT_DEFER for each).
 *
 * recipients_wanted(message): how many more recipients the core may
 * read into core for this message now (0: none). Called when the
 * message is opened (first read) and whenever its in-core recipients
 * are all done while unread ones remain; qmgr also calls
 * qc_message_refill() itself (refill limit/delay). The core clamps
 * one read batch to QC_READ_BATCH_MAX.
 *
 * may_admit(): whether another message may be opened now (the core
 * already checks qmgr_message_active_limit); oqmgr: the global
 * in-core recipient count is below qmgr_message_recipient_limit.
 *
 * periodic(now): called from every pass of the main loop; returns the
 * longest wait in milliseconds before it wants to run again (-1: none).
 */
struct qc_sched_ops {
    const char *name;   /* "oqmgr", "qmgr": for diagnostics */
    void (*init)(void); /* parameters loaded, before the first scan */
    void (*transport_created)(struct qc_transport *transport);
    void (*transport_freed)(struct qc_transport *transport);
    void (*queue_created)(struct qc_queue *queue);
    void (*queue_freed)(struct qc_queue *queue);
    void (*queue_unblocked)(struct qc_queue *queue);
    void (*queue_dead)(struct qc_queue *queue);
    void (*message_added)(struct qc_message *message);
    void (*message_removed)(struct qc_message *message);
    void (*entry_created)(struct qc_entry *entry);
    void (*entry_grown)(struct qc_entry *entry, int added);
    struct qc_entry *(*select_entry)(struct qc_transport *transport);
    void (*entry_selected)(struct qc_entry *entry); /* now busy */
    void (*entry_done)(struct qc_entry *entry, int status);
    int (*recipients_wanted)(struct qc_message *message);
    int (*may_admit)(void);
    int (*periodic)(time_t now);
};

/* Largest number of recipients read in one batch (spec e.4). */
#define QC_READ_BATCH_MAX 5000

/* ------------------------------------------------- the core's interface */

/* Parameters the core read (valid after server post_init). */
struct qc_params {
    int message_active_limit;         /* qmgr_message_active_limit */
    int message_recipient_limit;      /* qmgr_message_recipient_limit */
    int message_recipient_minimum;    /* qmgr_message_recipient_minimum */
    int fudge_factor;                 /* qmgr_fudge_factor (oqmgr) */
    int clog_warn_time;               /* qmgr_clog_warn_time */
    struct qc_backoff_params backoff; /* backoff times, queue lifetimes */
    int queue_run_delay;
    int transport_retry_time;
    int delay_warning_time;
    int confirm_delay_cleared;
    int ipc_timeout;    /* qmgr_ipc_timeout */
    int daemon_timeout; /* qmgr_daemon_timeout: the watchdog */
    int helpful_warnings;
    int allow_min_user; /* recipients may start with '-' */
    int delay_logging_resolution_limit;
    char *defer_transports;
    char *default_filter_nexthop;
    char *double_bounce_sender;
    char *myhostname;
};

extern struct qc_params qc_params;
extern const struct qc_sched_ops *qc_sched;

/* Global counters. */
extern int qc_message_count;   /* messages in the active queue (in core) */
extern int qc_recipient_count; /* recipients in core, all messages */
extern struct qc_ring qc_transports; /* all transports */
extern struct qc_ring qc_messages;   /* active messages, arrival order */

/*
 * Run a queue manager: the persistent SERVER_TRIGGER daemon. extra is a
 * list of additional parameters the scheduler reads (may be NULL; ends
 * with SERVER_PARAM_END); the scheduler's init() runs after all are
 * loaded.
 */
struct server_param;
void qc_main(int argc, char **argv, const struct qc_sched_ops *ops,
             const struct server_param *extra) __attribute__((noreturn));

/* State queries the scheduler may use. */
int qc_queue_ready(const struct qc_queue *queue);   /* may start one more */
int qc_queue_blocked(const struct qc_queue *queue); /* todo, but window full */
int qc_transport_has_work(const struct qc_transport *transport);
int qc_transport_param_int(const struct qc_transport *transport,
                           const char *suffix); /* "_recipient_limit" */

/* Read up to `count` more recipients of a message now (qmgr's refill);
 * returns how many were read, -1 if the file turned out corrupt (the
 * message is then being disposed of). */
int qc_message_refill(struct qc_message *message, int count);

/* Ask the main loop to run again soon (after scheduler state changed). */
void qc_wakeup(void);

/* Recipient lists. */
void qc_rcpt_list_init(struct qc_rcpt_list *list);
void qc_rcpt_list_add(struct qc_rcpt_list *list, const struct qc_recipient *r);
void qc_rcpt_list_free(struct qc_rcpt_list *list);
void qc_recipient_free(struct qc_recipient *rcpt);

#endif
