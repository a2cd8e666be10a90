/*
 * events - the per-process event loop: descriptors (epoll) and timers
 *
 * Every Postern daemon is a single-threaded loop around this module: the
 * master watches listen sockets, status pipes and its self-pipe; a server
 * watches its listen socket and the master's status pipe; qmgr watches
 * delivery agents and keeps many timers. There is one loop per process,
 * so the state is module-level.
 *
 * Public functions:
 *	event_enable_read(fd, cb, ctx)	call cb(EVENT_READ, ctx) while fd is
 *					readable (level-triggered)
 *	event_enable_write(fd, cb, ctx)	the same for writability
 *	event_disable_readwrite(fd)	forget fd (both directions); call it
 *					before close(fd). A no-op for a fd
 *					that is not registered.
 *	event_request_timer(cb, ctx, ms) call cb(EVENT_TIME, ctx) once, ms
 *					milliseconds from now; returns the
 *					deadline (event_now_ms() scale)
 *	event_cancel_timer(cb, ctx)	remove a pending timer; 1 if there
 *					was one, 0 otherwise
 *	event_loop(timeout_ms)		one iteration: wait, dispatch ready
 *					descriptors, then due timers; returns
 *					the number of callbacks run
 *	event_now_ms()			monotonic time in ms, as read after
 *					the last wait
 *	event_fork()			in a child after fork(): give the
 *					child its own epoll instance with the
 *					same registrations
 *
 * Descriptors: a fd may be registered for read and for write at the same
 * time, each direction with its own callback. Enabling a direction again
 * with the same callback only replaces the context; enabling it with a
 * different callback while the first is still registered is a caller
 * bug (two owners of one descriptor) and panics: disable first. A ready
 * descriptor first runs its read callback (EVENT_READ, plus EVENT_XCPT on
 * error or hangup), then its write callback (EVENT_WRITE, plus
 * EVENT_XCPT), unless the first callback disabled it. On hangup or error
 * both registered callbacks are told, so a write-only watcher learns
 * about a dead peer too.
 *
 * Why a generation number travels with each kernel registration: a
 * callback may disable (and close) another descriptor that epoll already
 * reported in the same batch, and may even open a new one that gets the
 * same number. Each disable bumps the descriptor's generation, and a
 * reported event whose generation is stale is dropped, so neither the
 * old owner nor the new one sees an event that was not meant for it.
 *
 * Timers: identified by (callback, context), as in Postfix: requesting
 * an existing timer again moves its deadline (it still fires once).
 * Deadlines are taken from a fresh clock reading, so a timer never fires
 * early even if the caller spent long in a callback. Timers live in a
 * binary heap ordered by (deadline, request sequence) and a hash table by
 * identity, so request/cancel/fire are O(log n) with many timers (qmgr).
 * Timers due at the same millisecond run in the order they were
 * requested. A timer requested from within the timer phase of an
 * iteration runs in a later iteration at the earliest, so a callback that
 * re-requests itself with delay 0 cannot starve the descriptors.
 *
 * Waiting: event_loop(-1) waits until a descriptor is ready or the
 * earliest timer is due; event_loop(n) at most n ms; event_loop(0) only
 * polls. With no descriptors and no timers, event_loop(-1) blocks until a
 * signal arrives. A signal (EINTR) ends the wait early; due timers still
 * run, descriptors are looked at again in the next iteration.
 *
 * Diagnostics: panic for caller bugs (descriptor out of range, a null
 * callback, a second read or write callback for a fd, a negative timer
 * delay, a fd that was closed before event_disable_readwrite()); fatal
 * when epoll itself fails (including a descriptor epoll cannot watch, such
 * as a regular file).
 *
 * Configuration parameters: none.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "mem.h"
#include "msg.h"

/* Ready descriptors taken per wait; the rest come next iteration. */
#define EVENT_BATCH 128

struct event_fd {
    EVENT_CALLBACK read_cb;
    void *read_ctx;
    EVENT_CALLBACK write_cb;
    void *write_ctx;
    uint32_t mask; /* EPOLLIN/EPOLLOUT as registered in the kernel */
    uint32_t gen;  /* bumped on every disable */
};

struct event_timer {
    EVENT_CALLBACK callback;
    void *context;
    int64_t when;
    uint64_t seq;
    size_t heap_index;
    struct event_timer *hash_next;
};

static int event_epfd = -1;
static struct event_fd *event_fds;
static int event_fds_size;

static struct event_timer **event_heap;
static size_t event_heap_len;
static size_t event_heap_size;
static struct event_timer **event_hash;
static size_t event_hash_size; /* a power of two */
static uint64_t event_timer_seq;

static int64_t event_present;
static int event_present_valid;

static int64_t event_clock_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        msg_fatal("clock_gettime(CLOCK_MONOTONIC): %m");
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t event_now_ms(void)
{
    if (!event_present_valid) {
        event_present = event_clock_ms();
        event_present_valid = 1;
    }
    return event_present;
}

static void event_init(void)
{
    if (event_epfd >= 0)
        return;
    if ((event_epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
        msg_fatal("epoll_create1: %m");
}

/* --- descriptors --- */

static void event_check_fd(const char *myname, int fd)
{
    if (fd < 0 || fd >= EVENT_FD_LIMIT)
        msg_panic("%s: bad file descriptor %d", myname, fd);
}

static void event_fds_grow(int fd)
{
    int new_size;

    if (fd < event_fds_size)
        return;
    new_size = event_fds_size ? event_fds_size : 64;
    while (new_size <= fd)
        new_size *= 2;
    if (new_size > EVENT_FD_LIMIT)
        new_size = EVENT_FD_LIMIT;
    event_fds = mem_realloc(event_fds, (size_t)new_size * sizeof(*event_fds));
    memset(event_fds + event_fds_size, 0,
           (size_t)(new_size - event_fds_size) * sizeof(*event_fds));
    event_fds_size = new_size;
}

static uint64_t event_fd_data(int fd)
{
    return ((uint64_t)event_fds[fd].gen << 32) | (uint32_t)fd;
}

static void event_fd_update(const char *myname, int fd)
{
    struct event_fd *ep = event_fds + fd;
    struct epoll_event ev;
    uint32_t mask = 0;

    if (ep->read_cb)
        mask |= EPOLLIN;
    if (ep->write_cb)
        mask |= EPOLLOUT;
    if (mask == ep->mask)
        return;
    memset(&ev, 0, sizeof(ev));
    ev.events = mask;
    ev.data.u64 = event_fd_data(fd);
    if (epoll_ctl(event_epfd, ep->mask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd,
                  &ev) < 0)
        msg_fatal("%s: epoll_ctl fd %d: %m", myname, fd);
    ep->mask = mask;
}

/* Register one direction of fd; the other direction is left alone. */
static void event_enable(const char *myname, int fd, int write,
                         EVENT_CALLBACK callback, void *context)
{
    struct event_fd *ep;
    EVENT_CALLBACK *cbp;
    void **ctxp;

    event_check_fd(myname, fd);
    if (callback == NULL)
        msg_panic("%s: fd %d: null callback", myname, fd);
    event_init();
    event_fds_grow(fd);
    ep = event_fds + fd;
    cbp = write ? &ep->write_cb : &ep->read_cb;
    ctxp = write ? &ep->write_ctx : &ep->read_ctx;
    if (*cbp != NULL && *cbp != callback)
        msg_panic("%s: fd %d already has a different %s callback", myname, fd,
                  write ? "write" : "read");
    *cbp = callback;
    *ctxp = context;
    event_fd_update(myname, fd);
}

void event_enable_read(int fd, EVENT_CALLBACK callback, void *context)
{
    event_enable("event_enable_read", fd, 0, callback, context);
}

void event_enable_write(int fd, EVENT_CALLBACK callback, void *context)
{
    event_enable("event_enable_write", fd, 1, callback, context);
}

void event_disable_readwrite(int fd)
{
    const char *myname = "event_disable_readwrite";
    struct event_fd *ep;

    event_check_fd(myname, fd);
    if (fd >= event_fds_size || event_fds[fd].mask == 0)
        return;
    ep = event_fds + fd;
    if (epoll_ctl(event_epfd, EPOLL_CTL_DEL, fd, NULL) < 0) {
        if (errno == EBADF || errno == ENOENT)
            msg_panic("%s: fd %d was closed before it was disabled", myname,
                      fd);
        msg_fatal("%s: epoll_ctl fd %d: %m", myname, fd);
    }
    ep->read_cb = NULL;
    ep->read_ctx = NULL;
    ep->write_cb = NULL;
    ep->write_ctx = NULL;
    ep->mask = 0;
    ep->gen++;
}

/* The registration the kernel reported is still the one we have. */
static int event_fd_current(int fd, uint32_t gen)
{
    return fd >= 0 && fd < event_fds_size && event_fds[fd].mask != 0 &&
           event_fds[fd].gen == gen;
}

void event_fork(void)
{
    if (event_epfd < 0)
        return;
    /* The inherited epoll instance is shared with the parent: leave it. */
    close(event_epfd);
    if ((event_epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
        msg_fatal("event_fork: epoll_create1: %m");
    for (int fd = 0; fd < event_fds_size; fd++) {
        struct epoll_event ev;

        if (event_fds[fd].mask == 0)
            continue;
        memset(&ev, 0, sizeof(ev));
        ev.events = event_fds[fd].mask;
        ev.data.u64 = event_fd_data(fd);
        if (epoll_ctl(event_epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
            msg_fatal("event_fork: epoll_ctl fd %d: %m", fd);
    }
    event_present_valid = 0;
}

/* --- timers: heap by (when, seq), hash by (callback, context) --- */

static int event_timer_before(const struct event_timer *a,
                              const struct event_timer *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void event_heap_set(size_t i, struct event_timer *tp)
{
    event_heap[i] = tp;
    tp->heap_index = i;
}

static void event_heap_up(size_t i)
{
    struct event_timer *tp = event_heap[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;

        if (!event_timer_before(tp, event_heap[parent]))
            break;
        event_heap_set(i, event_heap[parent]);
        i = parent;
    }
    event_heap_set(i, tp);
}

static void event_heap_down(size_t i)
{
    struct event_timer *tp = event_heap[i];

    for (;;) {
        size_t child = 2 * i + 1;

        if (child >= event_heap_len)
            break;
        if (child + 1 < event_heap_len &&
            event_timer_before(event_heap[child + 1], event_heap[child]))
            child++;
        if (!event_timer_before(event_heap[child], tp))
            break;
        event_heap_set(i, event_heap[child]);
        i = child;
    }
    event_heap_set(i, tp);
}

static void event_heap_insert(struct event_timer *tp)
{
    if (event_heap_len == event_heap_size) {
        event_heap_size = event_heap_size ? 2 * event_heap_size : 64;
        event_heap =
            mem_realloc(event_heap, event_heap_size * sizeof(*event_heap));
    }
    event_heap_set(event_heap_len++, tp);
    event_heap_up(event_heap_len - 1);
}

static void event_heap_remove(struct event_timer *tp)
{
    size_t i = tp->heap_index;
    struct event_timer *last = event_heap[--event_heap_len];

    if (i == event_heap_len)
        return;
    event_heap_set(i, last);
    if (i > 0 && event_timer_before(last, event_heap[(i - 1) / 2]))
        event_heap_up(i);
    else
        event_heap_down(i);
}

static size_t event_hash_index(EVENT_CALLBACK callback, void *context,
                               size_t size)
{
    uint64_t h = (uint64_t)(uintptr_t)callback * 0x9e3779b97f4a7c15ULL;

    h ^= (uint64_t)(uintptr_t)context + 0x632be59bd9b4e019ULL + (h << 6) +
         (h >> 2);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return (size_t)(h & (size - 1));
}

static struct event_timer **event_hash_slot(EVENT_CALLBACK callback,
                                            void *context)
{
    struct event_timer **tpp;

    if (event_hash_size == 0)
        return NULL;
    tpp = event_hash + event_hash_index(callback, context, event_hash_size);
    for (; *tpp != NULL; tpp = &(*tpp)->hash_next)
        if ((*tpp)->callback == callback && (*tpp)->context == context)
            return tpp;
    return NULL;
}

static void event_hash_grow(void)
{
    size_t new_size = event_hash_size ? 2 * event_hash_size : 64;
    struct event_timer **new_hash = mem_zalloc(new_size * sizeof(*new_hash));

    for (size_t i = 0; i < event_hash_size; i++) {
        struct event_timer *tp = event_hash[i];

        while (tp != NULL) {
            struct event_timer *next = tp->hash_next;
            size_t h = event_hash_index(tp->callback, tp->context, new_size);

            tp->hash_next = new_hash[h];
            new_hash[h] = tp;
            tp = next;
        }
    }
    mem_free(event_hash);
    event_hash = new_hash;
    event_hash_size = new_size;
}

static void event_hash_insert(struct event_timer *tp)
{
    size_t h;

    if (event_heap_len >= event_hash_size)
        event_hash_grow();
    h = event_hash_index(tp->callback, tp->context, event_hash_size);
    tp->hash_next = event_hash[h];
    event_hash[h] = tp;
}

/* Unlink from both structures; the caller frees. */
static void event_timer_unlink(struct event_timer **slot)
{
    struct event_timer *tp = *slot;

    *slot = tp->hash_next;
    event_heap_remove(tp);
}

int64_t event_request_timer(EVENT_CALLBACK callback, void *context,
                            int delay_ms)
{
    const char *myname = "event_request_timer";
    struct event_timer **slot;
    struct event_timer *tp;
    int64_t when;

    if (callback == NULL)
        msg_panic("%s: null callback", myname);
    if (delay_ms < 0)
        msg_panic("%s: invalid delay: %d", myname, delay_ms);
    when = event_clock_ms() + delay_ms;
    if ((slot = event_hash_slot(callback, context)) != NULL) {
        tp = *slot;
        event_heap_remove(tp);
        tp->when = when;
        tp->seq = event_timer_seq++;
        event_heap_insert(tp);
        return when;
    }
    tp = mem_zalloc(sizeof(*tp));
    tp->callback = callback;
    tp->context = context;
    tp->when = when;
    tp->seq = event_timer_seq++;
    event_hash_insert(tp);
    event_heap_insert(tp);
    return when;
}

int event_cancel_timer(EVENT_CALLBACK callback, void *context)
{
    struct event_timer **slot = event_hash_slot(callback, context);
    struct event_timer *tp;

    if (slot == NULL)
        return 0;
    tp = *slot;
    event_timer_unlink(slot);
    mem_free(tp);
    return 1;
}

/* --- the loop --- */

static int event_dispatch_fds(const struct epoll_event *ev, int count)
{
    int calls = 0;

    for (int i = 0; i < count; i++) {
        int fd = (int)(uint32_t)(ev[i].data.u64 & 0xffffffffu);
        uint32_t gen = (uint32_t)(ev[i].data.u64 >> 32);
        uint32_t bits = ev[i].events;
        int xcpt = (bits & (EPOLLERR | EPOLLHUP)) ? EVENT_XCPT : 0;

        /* The table may move inside a callback: index it afresh. */
        if (!event_fd_current(fd, gen))
            continue;
        if (event_fds[fd].read_cb != NULL && ((bits & EPOLLIN) || xcpt)) {
            calls++;
            event_fds[fd].read_cb(((bits & EPOLLIN) ? EVENT_READ : 0) | xcpt,
                                  event_fds[fd].read_ctx);
            if (!event_fd_current(fd, gen))
                continue;
        }
        if (event_fds[fd].write_cb != NULL && ((bits & EPOLLOUT) || xcpt)) {
            calls++;
            event_fds[fd].write_cb(((bits & EPOLLOUT) ? EVENT_WRITE : 0) | xcpt,
                                   event_fds[fd].write_ctx);
        }
    }
    return calls;
}

static int event_dispatch_timers(void)
{
    uint64_t last_seq = event_timer_seq;
    int calls = 0;

    while (event_heap_len > 0) {
        struct event_timer *tp = event_heap[0];
        EVENT_CALLBACK callback;
        void *context;

        /*
         * Everything requested during this phase sorts after the timers
         * that were pending when it began, so stop at the first one.
         */
        if (tp->when > event_present || tp->seq >= last_seq)
            break;
        callback = tp->callback;
        context = tp->context;
        event_cancel_timer(callback, context);
        calls++;
        callback(EVENT_TIME, context);
    }
    return calls;
}

int event_loop(int timeout_ms)
{
    struct epoll_event ev[EVENT_BATCH];
    int wait_ms = timeout_ms < 0 ? -1 : timeout_ms;
    int count;
    int calls;

    event_init();
    if (event_heap_len > 0) {
        int64_t until = event_heap[0]->when - event_clock_ms();

        if (until < 0)
            until = 0;
        if (until > INT_MAX)
            until = INT_MAX;
        if (wait_ms < 0 || until < wait_ms)
            wait_ms = (int)until;
    }
    count = epoll_wait(event_epfd, ev, EVENT_BATCH, wait_ms);
    if (count < 0) {
        if (errno != EINTR)
            msg_fatal("event_loop: epoll_wait: %m");
        count = 0;
    }
    event_present = event_clock_ms();
    event_present_valid = 1;
    calls = event_dispatch_fds(ev, count);
    calls += event_dispatch_timers();
    return calls;
}
