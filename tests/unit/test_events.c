/*
 * test_events - unit tests for the event loop (util/events.c)
 *
 * Descriptor readiness over real pipes and socketpairs, hangup, a
 * callback that disables a descriptor reported in the same batch,
 * timer ordering, re-arming, cancelling, timers requested from timer
 * callbacks, 1000 timers, event_fork() isolation and the caller-bug
 * panics (in a forked child). Timing is only asserted as a loose lower
 * bound: "it waited at least about that long" and "the timer fired".
 * Every case leaves the loop empty (fds disabled, timers cancelled).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "mem.h"
#include "msg.h"
#include "unit.h"

/* Enough iterations for any test; a loop that needs more is a failure. */
#define LOOP_CAP 10000

struct record {
    int count;
    int last_event;
    int order[16];
};

static void record_event(int event, void *context)
{
    struct record *rec = context;

    if (rec->count < 16)
        rec->order[rec->count] = event;
    rec->count++;
    rec->last_event = event;
}

static void record_event_too(int event, void *context)
{
    record_event(event, context);
}

static int64_t clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* --- descriptors --- */

static void test_read_ready(void)
{
    struct record rec = {0};
    int p[2];

    CU_ASSERT_FATAL(pipe2(p, O_CLOEXEC) == 0);
    event_enable_read(p[0], record_event, &rec);
    /* Nothing to read yet: a poll runs no callback. */
    CU_ASSERT_EQUAL(event_loop(0), 0);
    CU_ASSERT_EQUAL(rec.count, 0);
    CU_ASSERT_EQUAL(write(p[1], "x", 1), 1);
    CU_ASSERT_EQUAL(event_loop(1000), 1);
    CU_ASSERT_EQUAL(rec.count, 1);
    CU_ASSERT_EQUAL(rec.last_event, EVENT_READ);
    /* Level-triggered: still readable, so it is reported again. */
    CU_ASSERT_EQUAL(event_loop(1000), 1);
    CU_ASSERT_EQUAL(rec.count, 2);
    event_disable_readwrite(p[0]);
    CU_ASSERT_EQUAL(event_loop(0), 0);
    CU_ASSERT_EQUAL(rec.count, 2);
    close(p[0]);
    close(p[1]);
}

static void test_write_ready(void)
{
    struct record rec = {0};
    int p[2];

    CU_ASSERT_FATAL(pipe2(p, O_CLOEXEC) == 0);
    event_enable_write(p[1], record_event, &rec);
    CU_ASSERT_EQUAL(event_loop(1000), 1);
    CU_ASSERT_EQUAL(rec.count, 1);
    CU_ASSERT_EQUAL(rec.last_event, EVENT_WRITE);
    event_disable_readwrite(p[1]);
    close(p[0]);
    close(p[1]);
}

static void test_hangup(void)
{
    struct record rec = {0};
    int p[2];

    CU_ASSERT_FATAL(pipe2(p, O_CLOEXEC) == 0);
    event_enable_read(p[0], record_event, &rec);
    close(p[1]);
    CU_ASSERT_EQUAL(event_loop(1000), 1);
    CU_ASSERT_EQUAL(rec.count, 1);
    CU_ASSERT(rec.last_event & EVENT_XCPT);
    CU_ASSERT_FALSE(rec.last_event & EVENT_WRITE);
    event_disable_readwrite(p[0]);
    close(p[0]);
}

static void test_read_and_write_same_fd(void)
{
    struct record rrec = {0};
    struct record wrec = {0};
    struct record other = {0};
    int sv[2];

    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) ==
                    0);
    event_enable_read(sv[0], record_event, &rrec);
    event_enable_write(sv[0], record_event_too, &wrec);
    CU_ASSERT_EQUAL(write(sv[1], "y", 1), 1);
    CU_ASSERT_EQUAL(event_loop(1000), 2);
    CU_ASSERT_EQUAL(rrec.count, 1);
    CU_ASSERT_EQUAL(rrec.last_event, EVENT_READ);
    CU_ASSERT_EQUAL(wrec.count, 1);
    CU_ASSERT_EQUAL(wrec.last_event, EVENT_WRITE);
    /* Same callback again: only the context changes. */
    event_enable_read(sv[0], record_event, &other);
    CU_ASSERT_EQUAL(event_loop(1000), 2);
    CU_ASSERT_EQUAL(rrec.count, 1);
    CU_ASSERT_EQUAL(other.count, 1);
    CU_ASSERT_EQUAL(wrec.count, 2);
    event_disable_readwrite(sv[0]);
    close(sv[0]);
    close(sv[1]);
}

/*
 * Two readable pipes in one batch; whichever callback runs first
 * disables and closes the other pipe and puts a fresh, empty pipe in its
 * place (likely with the same descriptor number). The other callback
 * must not run, and the newcomer must not receive the stale event.
 */
struct batch {
    int p[2][2];
    int calls[2];
    int fresh[2];
    int fresh_calls;
    int reused;
};

static struct batch batch;

static void batch_fresh(int event, void *context)
{
    (void)event;
    (void)context;
    batch.fresh_calls++;
}

static void batch_read(int event, void *context)
{
    int me = (int)(intptr_t)context;
    int other = 1 - me;
    int old_fd = batch.p[other][0];

    (void)event;
    batch.calls[me]++;
    if (batch.p[other][0] < 0)
        return;
    event_disable_readwrite(old_fd);
    close(batch.p[other][0]);
    close(batch.p[other][1]);
    batch.p[other][0] = batch.p[other][1] = -1;
    if (pipe2(batch.fresh, O_CLOEXEC) == 0) {
        batch.reused = (batch.fresh[0] == old_fd || batch.fresh[1] == old_fd);
        if (batch.fresh[0] == old_fd)
            event_enable_read(batch.fresh[0], batch_fresh, NULL);
        else if (batch.fresh[1] == old_fd)
            event_enable_read(batch.fresh[1], batch_fresh, NULL);
    }
}

static void test_disable_in_batch(void)
{
    memset(&batch, 0, sizeof(batch));
    batch.fresh[0] = batch.fresh[1] = -1;
    CU_ASSERT_FATAL(pipe2(batch.p[0], O_CLOEXEC) == 0);
    CU_ASSERT_FATAL(pipe2(batch.p[1], O_CLOEXEC) == 0);
    CU_ASSERT_EQUAL(write(batch.p[0][1], "a", 1), 1);
    CU_ASSERT_EQUAL(write(batch.p[1][1], "b", 1), 1);
    event_enable_read(batch.p[0][0], batch_read, (void *)(intptr_t)0);
    event_enable_read(batch.p[1][0], batch_read, (void *)(intptr_t)1);
    CU_ASSERT_EQUAL(event_loop(1000), 1);
    CU_ASSERT_EQUAL(batch.calls[0] + batch.calls[1], 1);
    CU_ASSERT_EQUAL(batch.fresh_calls, 0);
    /* The read end of an empty pipe never becomes ready. */
    CU_ASSERT_EQUAL(event_loop(0), 1);
    CU_ASSERT_EQUAL(batch.fresh_calls, 0);
    for (int i = 0; i < 2; i++) {
        if (batch.p[i][0] >= 0) {
            event_disable_readwrite(batch.p[i][0]);
            close(batch.p[i][0]);
            close(batch.p[i][1]);
        }
        if (batch.fresh[i] >= 0) {
            event_disable_readwrite(batch.fresh[i]);
            close(batch.fresh[i]);
        }
    }
}

static void test_disable_unregistered(void)
{
    int p[2];

    CU_ASSERT_FATAL(pipe2(p, O_CLOEXEC) == 0);
    /* Never registered: a no-op, twice. */
    event_disable_readwrite(p[0]);
    event_disable_readwrite(p[0]);
    close(p[0]);
    close(p[1]);
    CU_PASS("no panic");
}

/* --- timers --- */

static int timer_log[2000];
static int timer_log_len;
static int64_t timer_deadline[2000];

static void timer_note(int event, void *context)
{
    int id = (int)(intptr_t)context;

    CU_ASSERT_EQUAL(event, EVENT_TIME);
    if (timer_log_len < 2000)
        timer_log[timer_log_len] = id;
    timer_log_len++;
}

static void run_until(int want, int timeout_ms)
{
    for (int i = 0; i < LOOP_CAP && timer_log_len < want; i++)
        event_loop(timeout_ms);
}

static void test_timer_order(void)
{
    static const struct {
        int id;
        int delay;
    } cases[] = {{3, 60}, {1, 20}, {2, 40}};

    timer_log_len = 0;
    for (size_t i = 0; i < 3; i++)
        event_request_timer(timer_note, (void *)(intptr_t)cases[i].id,
                            cases[i].delay);
    run_until(3, -1);
    CU_ASSERT_EQUAL_FATAL(timer_log_len, 3);
    CU_ASSERT_EQUAL(timer_log[0], 1);
    CU_ASSERT_EQUAL(timer_log[1], 2);
    CU_ASSERT_EQUAL(timer_log[2], 3);
}

static void test_timer_same_time_request_order(void)
{
    timer_log_len = 0;
    for (int id = 0; id < 5; id++)
        event_request_timer(timer_note, (void *)(intptr_t)id, 0);
    sleep_ms(2);
    CU_ASSERT_EQUAL(event_loop(0), 5);
    CU_ASSERT_EQUAL_FATAL(timer_log_len, 5);
    for (int id = 0; id < 5; id++)
        CU_ASSERT_EQUAL(timer_log[id], id);
}

static void test_timer_rearm_fires_once(void)
{
    int64_t first;
    int64_t second;

    timer_log_len = 0;
    first = event_request_timer(timer_note, (void *)(intptr_t)7, 5000);
    second = event_request_timer(timer_note, (void *)(intptr_t)7, 10);
    CU_ASSERT(second < first);
    run_until(1, -1);
    CU_ASSERT_EQUAL(timer_log_len, 1);
    CU_ASSERT_EQUAL(timer_log[0], 7);
    event_loop(50);
    CU_ASSERT_EQUAL(timer_log_len, 1);
    CU_ASSERT_EQUAL(event_cancel_timer(timer_note, (void *)(intptr_t)7), 0);
}

static void test_timer_rearm_later(void)
{
    timer_log_len = 0;
    event_request_timer(timer_note, (void *)(intptr_t)8, 10);
    event_request_timer(timer_note, (void *)(intptr_t)8, 5000);
    sleep_ms(30);
    CU_ASSERT_EQUAL(event_loop(0), 0);
    CU_ASSERT_EQUAL(timer_log_len, 0);
    CU_ASSERT_EQUAL(event_cancel_timer(timer_note, (void *)(intptr_t)8), 1);
    CU_ASSERT_EQUAL(event_cancel_timer(timer_note, (void *)(intptr_t)8), 0);
}

static void test_timer_cancel(void)
{
    timer_log_len = 0;
    event_request_timer(timer_note, (void *)(intptr_t)1, 10);
    event_request_timer(timer_note, (void *)(intptr_t)2, 10);
    /* Same callback, different context: a different timer. */
    CU_ASSERT_EQUAL(event_cancel_timer(timer_note, (void *)(intptr_t)1), 1);
    CU_ASSERT_EQUAL(event_cancel_timer(timer_note, (void *)(intptr_t)3), 0);
    CU_ASSERT_EQUAL(event_cancel_timer(record_event, (void *)(intptr_t)2), 0);
    run_until(1, -1);
    event_loop(50);
    CU_ASSERT_EQUAL(timer_log_len, 1);
    CU_ASSERT_EQUAL(timer_log[0], 2);
}

/* A timer that asks for itself again with delay 0, a few times. */
static int again_left;

static void timer_again(int event, void *context)
{
    (void)event;
    timer_note(event, context);
    if (again_left-- > 0)
        event_request_timer(timer_again, context, 0);
}

static void test_timer_requested_in_timer(void)
{
    timer_log_len = 0;
    again_left = 3;
    event_request_timer(timer_again, NULL, 0);
    sleep_ms(2);
    /* One run per iteration: the re-request waits for the next one. */
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(event_loop(0), 1);
    CU_ASSERT_EQUAL(event_loop(0), 0);
    CU_ASSERT_EQUAL(timer_log_len, 4);
    CU_ASSERT_EQUAL(event_cancel_timer(timer_again, NULL), 0);
}

/* A timer callback cancels another timer that is due at the same time. */
static void timer_cancel_other(int event, void *context)
{
    timer_note(event, context);
    event_cancel_timer(timer_note, (void *)(intptr_t)2);
}

static void test_timer_cancel_from_timer(void)
{
    timer_log_len = 0;
    event_request_timer(timer_cancel_other, (void *)(intptr_t)1, 0);
    event_request_timer(timer_note, (void *)(intptr_t)2, 0);
    event_request_timer(timer_note, (void *)(intptr_t)3, 0);
    sleep_ms(2);
    CU_ASSERT_EQUAL(event_loop(0), 2);
    CU_ASSERT_EQUAL_FATAL(timer_log_len, 2);
    CU_ASSERT_EQUAL(timer_log[0], 1);
    CU_ASSERT_EQUAL(timer_log[1], 3);
}

static void test_loop_timeout(void)
{
    int64_t start = clock_ms();

    CU_ASSERT_EQUAL(event_loop(100), 0);
    /* Loose lower bound only (ms truncation); no upper bound. */
    CU_ASSERT(clock_ms() - start >= 90);
}

static void test_timer_bounds_wait(void)
{
    timer_log_len = 0;
    event_request_timer(timer_note, (void *)(intptr_t)5, 30);
    /* -1 would wait forever, but never past the earliest timer. */
    for (int i = 0; i < 100 && timer_log_len == 0; i++)
        event_loop(-1);
    CU_ASSERT_EQUAL(timer_log_len, 1);
}

static void test_many_timers(void)
{
    enum { N = 1000 };
    unsigned seed = 12345;

    timer_log_len = 0;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        timer_deadline[i] = event_request_timer(timer_note, (void *)(intptr_t)i,
                                                (int)((seed >> 16) % 50));
    }
    run_until(N, -1);
    CU_ASSERT_EQUAL_FATAL(timer_log_len, N);
    for (int i = 1; i < N; i++) {
        int a = timer_log[i - 1];
        int b = timer_log[i];

        /* By deadline; equal deadlines in request order. */
        CU_ASSERT(timer_deadline[a] < timer_deadline[b] ||
                  (timer_deadline[a] == timer_deadline[b] && a < b));
    }
    /* Every timer exactly once. */
    {
        char *seen = mem_zalloc(N);
        int dup = 0;

        for (int i = 0; i < N; i++) {
            if (seen[timer_log[i]])
                dup++;
            seen[timer_log[i]] = 1;
        }
        CU_ASSERT_EQUAL(dup, 0);
        mem_free(seen);
    }
}

static void test_many_timers_cancel_half(void)
{
    enum { N = 1000 };

    timer_log_len = 0;
    for (int i = 0; i < N; i++)
        event_request_timer(timer_note, (void *)(intptr_t)i, 5 + i % 20);
    for (int i = 0; i < N; i += 2)
        CU_ASSERT_EQUAL(event_cancel_timer(timer_note, (void *)(intptr_t)i), 1);
    run_until(N / 2, -1);
    event_loop(30);
    CU_ASSERT_EQUAL_FATAL(timer_log_len, N / 2);
    for (int i = 0; i < N / 2; i++)
        CU_ASSERT(timer_log[i] % 2 == 1);
}

static void test_now_monotonic(void)
{
    int64_t before = event_now_ms();

    event_loop(5);
    CU_ASSERT(event_now_ms() >= before);
    CU_ASSERT(event_now_ms() >= clock_ms() - 1000);
}

/* --- fork --- */

static void test_fork_isolated(void)
{
    struct record rec = {0};
    pid_t pid;
    int status;
    int p[2];

    CU_ASSERT_FATAL(pipe2(p, O_CLOEXEC) == 0);
    event_enable_read(p[0], record_event, &rec);
    if ((pid = fork()) == 0) {
        /* Own epoll instance; dropping the fd here must not touch ours. */
        event_fork();
        event_disable_readwrite(p[0]);
        if (write(p[1], "c", 1) != 1)
            _exit(2);
        _exit(event_loop(100) == 0 && rec.count == 0 ? 0 : 1);
    }
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* The child's byte is in the pipe, and our registration survived. */
    CU_ASSERT_EQUAL(event_loop(1000), 1);
    CU_ASSERT_EQUAL(rec.count, 1);
    event_disable_readwrite(p[0]);
    close(p[0]);
    close(p[1]);
}

static void test_fork_child_loop(void)
{
    struct record rec = {0};
    pid_t pid;
    int status;
    int p[2];

    CU_ASSERT_FATAL(pipe2(p, O_CLOEXEC) == 0);
    event_enable_read(p[0], record_event, &rec);
    if ((pid = fork()) == 0) {
        event_fork();
        if (write(p[1], "d", 1) != 1)
            _exit(2);
        _exit(event_loop(1000) == 1 && rec.count == 1 ? 0 : 1);
    }
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    event_disable_readwrite(p[0]);
    close(p[0]);
    close(p[1]);
}

/* --- caller bugs panic --- */

static int panic_fd = -1;

static void bug_negative_fd(void)
{
    event_enable_read(-1, record_event, NULL);
}

static void bug_fd_too_large(void)
{
    event_enable_write(EVENT_FD_LIMIT, record_event, NULL);
}

static void bug_second_read_callback(void)
{
    event_enable_read(panic_fd, record_event, NULL);
    event_enable_read(panic_fd, record_event_too, NULL);
}

static void bug_negative_delay(void)
{
    event_request_timer(timer_note, NULL, -1);
}

static void bug_closed_before_disable(void)
{
    event_enable_read(panic_fd, record_event, NULL);
    close(panic_fd);
    event_disable_readwrite(panic_fd);
}

static void expect_panic(void (*bug)(void))
{
    pid_t pid;
    int status;
    int p[2];

    CU_ASSERT_FATAL(pipe2(p, O_CLOEXEC) == 0);
    if ((pid = fork()) == 0) {
        int devnull = open("/dev/null", O_WRONLY);

        if (devnull >= 0)
            dup2(devnull, 2);
        event_fork();
        panic_fd = p[0];
        bug();
        _exit(0);
    }
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    close(p[0]);
    close(p[1]);
}

static void test_panics(void)
{
    static const struct {
        const char *name;
        void (*bug)(void);
    } cases[] = {
        {"negative fd", bug_negative_fd},
        {"fd too large", bug_fd_too_large},
        {"second read callback", bug_second_read_callback},
        {"negative delay", bug_negative_delay},
        {"closed before disable", bug_closed_before_disable},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++)
        expect_panic(cases[i].bug);
}

static const struct unit_case fd_cases[] = {
    {"read readiness on a pipe", test_read_ready},
    {"write readiness on a pipe", test_write_ready},
    {"hangup gives EVENT_XCPT", test_hangup},
    {"read and write callbacks on one fd", test_read_and_write_same_fd},
    {"disable a fd ready in the same batch", test_disable_in_batch},
    {"disable an unregistered fd", test_disable_unregistered},
    {NULL, NULL},
};

static const struct unit_case timer_cases[] = {
    {"timers fire in time order", test_timer_order},
    {"same deadline in request order", test_timer_same_time_request_order},
    {"re-request re-arms, fires once", test_timer_rearm_fires_once},
    {"re-request to a later time", test_timer_rearm_later},
    {"cancel", test_timer_cancel},
    {"timer requested from a timer", test_timer_requested_in_timer},
    {"timer cancelled from a timer", test_timer_cancel_from_timer},
    {"loop timeout with nothing ready", test_loop_timeout},
    {"timer bounds an infinite wait", test_timer_bounds_wait},
    {"1000 timers in order", test_many_timers},
    {"1000 timers, half cancelled", test_many_timers_cancel_half},
    {"event_now_ms", test_now_monotonic},
    {NULL, NULL},
};

static const struct unit_case fork_cases[] = {
    {"event_fork isolates the child", test_fork_isolated},
    {"event_fork child keeps registrations", test_fork_child_loop},
    {"caller bugs panic", test_panics},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"events: descriptors", fd_cases},
    {"events: timers", timer_cases},
    {"events: fork and panics", fork_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
