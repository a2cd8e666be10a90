#ifndef POSTERN_QMGR_SCHED_H
#define POSTERN_QMGR_SCHED_H

#include <time.h>

/*
 * qmgr_sched - the preemptive message scheduler of qmgr (spec e.3) and
 * its recipient pools (spec e.4), as a pure module: an in-memory model
 * of jobs and peers with no I/O and no clock of its own (every call that
 * needs the time takes `now`). qmgr.c adapts it to qcore's struct
 * qc_sched_ops; the unit tests drive it with a simulated queue and clock.
 *
 * Objects (all allocated and freed here, except struct qs_sched, which
 * the caller owns):
 *
 *	qs_transport	one per delivery transport: the job list in
 *			scheduling order, the job list in arrival order,
 *			the current job, the recipient pools
 *	qs_message	one per message in the active queue
 *	qs_job		one message within one transport
 *	qs_peer		a job's entries for one destination queue
 *	qs_entry	one entry (a batch of recipients for one queue)
 *
 * Queues are the caller's: a peer refers to one by an opaque pointer
 * and asks sched->queue_ready(queue) whether it may take one more
 * delivery now (busy < window, not dead, no rate delay pending).
 */

/* A doubly linked ring; a list head is a ring without an owner. */
struct qs_link {
    struct qs_link *prev;
    struct qs_link *next;
};

/* Per-transport parameters (<transport>_<suffix>, else default_<suffix>). */
struct qs_params {
    int slot_cost;     /* _delivery_slot_cost; < 2 disables preemption */
    int slot_loan;     /* _delivery_slot_loan */
    int slot_discount; /* _delivery_slot_discount, percent */
    int min_slots;     /* _minimum_delivery_slots */
    int rcpt_limit;    /* _recipient_limit: the recipient pool */
    int extra_limit;   /* _extra_recipient_limit: the extra pool */
    int refill_limit;  /* _recipient_refill_limit */
    int refill_delay;  /* _recipient_refill_delay, seconds */
};

/* Postfix 3.7 defaults of the above. */
#define QS_PARAMS_DEFAULT                                                      \
    {                                                                          \
        5, 3, 50, 3, 20000, 1000, 100, 5                                       \
    }

/* Largest number of recipients read in one batch (spec e.4). */
#define QS_READ_BATCH_MAX 5000

struct qs_sched {
    /* May the queue start one more delivery now? */
    int (*queue_ready)(void *queue);
    int rcpt_minimum; /* qmgr_message_recipient_minimum */
    int rcpt_limit;   /* qmgr_message_recipient_limit */
    int rcpt_in_core; /* recipients in core, all messages (kept here) */
    struct qs_link transports;
    struct qs_link partial; /* messages with unread recipients */
    struct qs_transport *rr_next;
    unsigned long job_seq; /* arrival numbers of jobs */
};

struct qs_transport {
    struct qs_sched *sched;
    void *owner; /* the caller's transport */
    char *name;
    struct qs_params params;
    struct qs_link jobs;         /* scheduling order (preemption reorders) */
    struct qs_link arrivals;     /* arrival order, jobs whose message has
                              * unread recipients (recipient pools) */
    struct qs_link all_jobs;     /* every job, retired ones too */
    struct qs_job *current;      /* top of the preemption stack */
    int rcpt_unused;             /* recipient pool; < 0 while overdrawn */
    int extra_unused;            /* extra pool */
    unsigned long blocker_tag;   /* a job with this tag is a blocker */
    struct qs_job *cand;         /* candidate cache ... */
    struct qs_job *cand_current; /* ... computed for this current job */
    time_t cand_time;            /* ... in this second */
    int cand_valid;
    int preemptions; /* statistics, for tests and logging */
    struct qs_link link;
};

struct qs_message {
    struct qs_sched *sched;
    void *owner;        /* the caller's message */
    time_t queued_time; /* when it entered the active queue */
    int rcpt_unread;    /* recipients still in the file (estimate) */
    int rcpt_in_core;   /* recipients of its entries not yet done */
    time_t refill_time; /* last read of recipients */
    struct qs_link jobs;
    struct qs_link partial_link; /* in sched->partial while unread */
};

struct qs_job {
    struct qs_message *message;
    struct qs_transport *transport;
    unsigned long seq;    /* arrival number */
    int in_list;          /* on transport->jobs (not retired) */
    int read_entries;     /* entries created (min_entries) */
    int selected_entries; /* entries handed out */
    int todo_entries;     /* entries waiting */
    int live_entries;     /* entries not done */
    int slots_available;  /* selected entries while current, less
                              * what preemptions charged (may be < 0) */
    int stack_level;      /* 0: not preempting anyone */
    struct qs_job *stack_parent;
    int stack_children; /* jobs whose stack_parent this is */
    unsigned long blocker_tag;
    int rcpt_count; /* in-core recipients of this job */
    int rcpt_limit; /* recipients granted to this job */
    int rcpt_extra; /* part of rcpt_limit from the extra pool */
    struct qs_link peers;
    struct qs_peer *peer_next;   /* round-robin cursor */
    struct qs_link list_link;    /* transport->jobs */
    struct qs_link arrival_link; /* transport->arrivals */
    struct qs_link all_link;     /* transport->all_jobs */
    struct qs_link message_link; /* message->jobs */
};

struct qs_peer {
    struct qs_job *job;
    void *queue;      /* the caller's queue */
    int live_entries; /* entries not done */
    struct qs_link todo;
    struct qs_link link; /* job->peers */
};

struct qs_entry {
    struct qs_peer *peer;
    void *owner; /* the caller's entry */
    int nrcpt;
    int selected;
    struct qs_link link; /* peer->todo while waiting */
};

/* Set-up and objects. */
void qs_sched_init(struct qs_sched *sched, int (*queue_ready)(void *),
                   int rcpt_minimum, int rcpt_limit);
struct qs_transport *qs_transport_create(struct qs_sched *sched,
                                         const char *name, void *owner,
                                         const struct qs_params *params);
void qs_transport_free(struct qs_transport *transport);
struct qs_message *qs_message_create(struct qs_sched *sched, void *owner,
                                     time_t queued_time, int rcpt_unread);
void qs_message_free(struct qs_message *message);
void qs_message_set_unread(struct qs_message *message, int rcpt_unread);

/* Entries: created when recipients are read, selected, done. */
struct qs_entry *qs_entry_create(struct qs_message *message,
                                 struct qs_transport *transport, void *queue,
                                 void *owner, int nrcpt);
void qs_entry_grow(struct qs_entry *entry, int added);
struct qs_entry *qs_entry_select(struct qs_transport *transport, time_t now);
struct qs_entry *qs_select_any(struct qs_sched *sched, time_t now,
                               struct qs_transport **transportp);
void qs_entry_done(struct qs_entry *entry);
void qs_transport_unblock(struct qs_transport *transport);

/* Recipient reading policy (spec e.4). */
int qs_recipients_first(const struct qs_sched *sched);
int qs_recipients_wanted(struct qs_message *message, time_t now);
void qs_message_read(struct qs_message *message, time_t now);

/* Queries (tests, logging). */
struct qs_job *qs_job_find(struct qs_message *message,
                           struct qs_transport *transport);
int qs_job_max_entries(const struct qs_job *job);
int qs_job_is_blocker(const struct qs_job *job);
struct qs_job *qs_transport_first_job(struct qs_transport *transport);
struct qs_job *qs_transport_candidate(struct qs_transport *transport,
                                      time_t now);
int qs_slots_allow_preempt(const struct qs_params *params, int slots_available,
                           int needed_entries);

#endif
