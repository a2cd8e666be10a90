/*
 * testagent - a delivery agent that fails on demand, for queue manager
 * system tests
 *
 * master.cf: "test unix - - n - - testagent /abs/path/to/FILE". It reads
 * one delivery request per connection (util/deliver_agent.h) and deals
 * with each recipient by its local part:
 *
 *	ok-*		delivered (status=sent, 2.0.0)
 *	defer-*		deferred 4.4.1 "test deferral" (defer service)
 *	bounce-*	bounced 5.1.1 "test bounce" (bounce service)
 *	hop-*		deferred 4.4.1 "test destination unreachable", and the
 *			reply carries that as its hop status: the queue
 *			manager sees a destination in trouble
 *	crash-*		the agent exits without a reply
 *	garbage-*	the agent replies a malformed attribute list
 *	slow<N>-*	sleeps N * 100 ms, then delivered
 *	anything else	delivered
 *
 * A crash or garbage recipient decides for the whole request (the queue
 * manager defers every recipient of it, 4.3.0). Slow recipients add up
 * their sleeps.
 *
 * For each request it appends one line to FILE (one write(2), O_APPEND,
 * so concurrent agents do not mix lines), before a crash or garbage reply
 * and after the deliveries otherwise:
 *
 *	pid start_ms end_ms queue_id nexthop recipient...
 *
 * start_ms and end_ms are wall-clock milliseconds (CLOCK_REALTIME) when
 * the request was read and when it was dealt with; tests use them to see
 * overlapping deliveries (concurrency), order and rate delays.
 *
 * Public functions: none (main()).
 *
 * Diagnostics: fatal without the FILE argument or when FILE cannot be
 * opened; warnings of util/deliver_request.c about malformed requests.
 *
 * Configuration parameters: those of deliver_agent_init(),
 * deliver_status_init() and the server skeleton.
 *
 * Choices: FILE must be an absolute path (the skeleton chdir()s to the
 * queue directory); a crash is _exit(1) so that nothing is flushed or
 * replied.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "deliver_agent.h"
#include "deliver_request.h"
#include "deliver_status.h"
#include "dsn.h"
#include "msg.h"
#include "server.h"
#include "stream.h"

enum testagent_action {
    TA_OK,
    TA_DEFER,
    TA_BOUNCE,
    TA_HOP,
    TA_CRASH,
    TA_GARBAGE,
};

static long long testagent_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int testagent_has_prefix(const char *addr, const char *prefix)
{
    return strncmp(addr, prefix, strlen(prefix)) == 0;
}

/* What to do with one recipient; *sleep_ms grows for slow<N>-. */
static enum testagent_action testagent_classify(const char *addr,
                                                long *sleep_ms)
{
    if (testagent_has_prefix(addr, "defer-"))
        return TA_DEFER;
    if (testagent_has_prefix(addr, "bounce-"))
        return TA_BOUNCE;
    if (testagent_has_prefix(addr, "hop-"))
        return TA_HOP;
    if (testagent_has_prefix(addr, "crash-"))
        return TA_CRASH;
    if (testagent_has_prefix(addr, "garbage-"))
        return TA_GARBAGE;
    if (testagent_has_prefix(addr, "slow")) {
        char *end;
        long n = strtol(addr + 4, &end, 10);

        if (end > addr + 4 && *end == '-' && n > 0 && n < 1000)
            *sleep_ms += n * 100;
    }
    return TA_OK;
}

static void testagent_log(const char *file, const struct deliver_request *req,
                          long long start_ms)
{
    struct buf *line = buf_alloc(256);
    int fd;

    buf_printf(line, "%ld %lld %lld %s %s", (long)getpid(), start_ms,
               testagent_now_ms(), req->queue_id, req->nexthop);
    for (int i = 0; i < req->rcpt_count; i++)
        buf_append_printf(line, " %s", req->rcpt[i].recipient);
    buf_append_char(line, '\n');
    if ((fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0644)) < 0)
        msg_fatal("open %s: %m", file);
    if (write(fd, buf_str(line), buf_len(line)) != (ssize_t)buf_len(line))
        msg_fatal("write %s: %m", file);
    close(fd);
    buf_free(line);
}

static void testagent_serve(struct stream *client, const char *service,
                            char **argv)
{
    static const char garbage[] = "bogus_attribute\0no such thing\0\0";
    struct bounce_dsn sent = BOUNCE_DSN_INIT("2.0.0", "", "test delivery");
    struct bounce_dsn defer = BOUNCE_DSN_INIT("4.4.1", "", "test deferral");
    struct bounce_dsn bounce = BOUNCE_DSN_INIT("5.1.1", "", "test bounce");
    struct bounce_dsn hop =
        BOUNCE_DSN_INIT("4.4.1", "", "test destination unreachable");
    struct deliver_request *req;
    enum testagent_action *act;
    long sleep_ms = 0;
    int crash = 0;
    int junk = 0;
    int any_hop = 0;
    int status = DELIVER_STAT_OK;
    long long start_ms;

    (void)service;
    if (deliver_agent_read(client, &req) < 0)
        return;
    start_ms = testagent_now_ms();
    act = calloc((size_t)req->rcpt_count + 1, sizeof(*act));
    if (act == NULL)
        msg_fatal("out of memory");
    for (int i = 0; i < req->rcpt_count; i++) {
        act[i] = testagent_classify(req->rcpt[i].recipient, &sleep_ms);
        crash |= act[i] == TA_CRASH;
        junk |= act[i] == TA_GARBAGE;
        any_hop |= act[i] == TA_HOP;
    }
    if (crash || junk) {
        testagent_log(argv[0], req, start_ms);
        if (crash)
            _exit(1);
        stream_write(client, garbage, sizeof(garbage) - 1);
        stream_flush(client);
        free(act);
        deliver_request_free(req);
        return;
    }
    if (sleep_ms > 0) {
        struct timespec ts = {sleep_ms / 1000, (sleep_ms % 1000) * 1000000};

        while (nanosleep(&ts, &ts) < 0)
            /* interrupted: sleep the rest */;
    }
    for (int i = 0; i < req->rcpt_count; i++) {
        switch (act[i]) {
        case TA_DEFER:
            status |= deliver_defer(req, i, "none", &defer);
            break;
        case TA_BOUNCE:
            status |= deliver_bounce(req, i, "none", &bounce);
            break;
        case TA_HOP:
            status |= deliver_defer(req, i, "none", &hop);
            break;
        default:
            status |= deliver_sent(req, i, "none", &sent);
            break;
        }
    }
    testagent_log(argv[0], req, start_ms);
    free(act);
    deliver_agent_done(client, req, any_hop ? &hop : NULL, status);
}

static void testagent_post_init(const char *service, char **argv)
{
    (void)service;
    if (argv[0] == NULL || argv[0][0] != '/')
        msg_fatal("usage: testagent /absolute/path/of/log/file");
    deliver_agent_init();
    deliver_status_init();
}

int main(int argc, char **argv)
{
    static const struct server_ops ops = {
        .model = SERVER_SINGLE,
        .serve = testagent_serve,
        .post_init = testagent_post_init,
    };

    server_main(argc, argv, &ops);
}
