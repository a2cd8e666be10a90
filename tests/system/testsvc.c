/*
 * testsvc - a daemon built on the server skeleton, for master's tests
 *
 * Run by master from a test's master.cf; what it does depends on its
 * first argument:
 *	(none), echo	single server: greets each client with
 *			"hello SERVICE PID GENERATION\n", then answers each
 *			line "X" with "ok X\n" until the client closes
 *	multi		multi server: the same, many clients in one process
 *	fail		exits with status 1 during start-up (throttle tests)
 *	trigger FILE	trigger server: appends "SERVICE PID BYTES\n" to FILE
 *			for each trigger message (wakeup tests)
 *	slow SECONDS	single server that waits before its greeting
 *
 * It also prints the value of the parameter testsvc_param (a -o
 * override) in its greeting when set, so that tests see configuration
 * changes after a reload.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "server.h"
#include "stream.h"

static const char *testsvc_mode(char **argv)
{
    return argv[0] ? argv[0] : "echo";
}

static void testsvc_greet(struct stream *client, const char *service)
{
    const char *param = conf_raw(server_conf, "testsvc_param");

    stream_printf(client, "hello %s %ld %s%s%s\n", service, (long)getpid(),
                  getenv("GENERATION") ? getenv("GENERATION") : "-",
                  param ? " " : "", param ? param : "");
    stream_flush(client);
}

/* Answer one line; 0 when the client is gone. */
static int testsvc_answer(struct stream *client)
{
    struct buf *line = buf_alloc(100);
    int ch;

    while ((ch = stream_getc(client)) != STREAM_EOF && ch != '\n')
        buf_append_char(line, ch);
    if (ch == '\n') {
        stream_printf(client, "ok %s\n", buf_str(line));
        stream_flush(client);
    }
    buf_free(line);
    return ch == '\n';
}

static void testsvc_single(struct stream *client, const char *service,
                           char **argv)
{
    if (strcmp(testsvc_mode(argv), "slow") == 0 && argv[1])
        sleep((unsigned)atoi(argv[1]));
    testsvc_greet(client, service);
    while (testsvc_answer(client))
        /* keep serving this client */;
}

static void testsvc_multi(struct stream *client, const char *service,
                          char **argv)
{
    (void)argv;
    /* A fresh client has sent nothing yet: greet it on its first line. */
    if (!testsvc_answer(client)) {
        server_disconnect(client);
        return;
    }
    (void)service;
}

static void testsvc_trigger(const char *data, size_t len, const char *service,
                            char **argv)
{
    char line[2048];
    int fd;
    int n;

    if (argv[1] == NULL)
        msg_fatal("usage: testsvc trigger FILE");
    n = snprintf(line, sizeof(line), "%s %ld %.*s\n", service, (long)getpid(),
                 (int)len, data);
    if ((fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644)) < 0)
        msg_fatal("open %s: %m", argv[1]);
    if (write(fd, line, (size_t)n) != n)
        msg_fatal("write %s: %m", argv[1]);
    close(fd);
}

static void testsvc_post_init(const char *service, char **argv)
{
    (void)service;
    if (strcmp(testsvc_mode(argv), "fail") == 0)
        msg_fatal("failing at start-up, as asked");
}

int main(int argc, char **argv)
{
    static struct server_ops ops = {
        .model = SERVER_SINGLE,
        .serve = testsvc_single,
        .post_init = testsvc_post_init,
    };
    int i;

    /* The mode is the first argument after the skeleton's options. */
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "multi") == 0) {
            ops.model = SERVER_MULTI;
            ops.serve = testsvc_multi;
        } else if (strcmp(argv[i], "trigger") == 0) {
            ops.model = SERVER_TRIGGER;
            ops.trigger = testsvc_trigger;
        }
    }
    server_main(argc, argv, &ops);
}
