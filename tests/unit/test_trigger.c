/*
 * test_trigger - unit tests for triggers (util/trigger.c)
 *
 * Triggers to a UNIX socket server (read in this process, and by a forked
 * server), to a FIFO, to TCP, to a server that never accepts (must give
 * up at the timeout; skipped if a full backlog cannot be produced), to
 * missing and wrong endpoints; trigger_read() limits; and the table of
 * trigger_collapse() results.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "mem.h"
#include "sock.h"
#include "trigger.h"
#include "unit.h"

/* Read everything a client sent until it closed. */
static void read_all(int fd, struct buf *out)
{
    struct buf *chunk = buf_alloc(TRIGGER_BUF_SIZE);

    buf_reset(out);
    while (trigger_read(fd, chunk) > 0)
        buf_append(out, buf_str(chunk), buf_len(chunk));
    buf_free(chunk);
}

static void test_unix_trigger(void)
{
    static const struct {
        const char *name;
        int (*send)(const char *, const void *, size_t, int);
        const char *data;
    } cases[] = {
        {"trigger_send", trigger_send, "W"},
        {"trigger_unix", trigger_unix, "FADI"},
    };
    char *path = unit_tmpfile("public-qmgr");
    struct buf *got = buf_alloc(16);
    int lfd = unix_listen(path, 10, 0);

    CU_ASSERT_FATAL(lfd >= 0);
    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        int afd;

        /* The kernel queues the connection and the bytes: accept later. */
        CU_ASSERT_EQUAL(
            cases[i].send(path, cases[i].data, strlen(cases[i].data), 1000), 0);
        afd = sock_accept(lfd);
        CU_ASSERT_FATAL(afd >= 0);
        read_all(afd, got);
        CU_ASSERT_STRING_EQUAL(buf_str(got), cases[i].data);
        close(afd);
    }
    close(lfd);
    buf_free(got);
    mem_free(path);
}

/* A forked server accepts, reads once and reports what it got. */
static void test_unix_trigger_forked_server(void)
{
    char *path = unit_tmpfile("public-pickup");
    struct buf *got = buf_alloc(16);
    pid_t pid;
    int status;
    int report[2];
    int lfd = unix_listen(path, 10, 0);

    CU_ASSERT_FATAL(lfd >= 0);
    CU_ASSERT_FATAL(pipe(report) == 0);
    if ((pid = fork()) == 0) {
        struct buf *req = buf_alloc(TRIGGER_BUF_SIZE);
        int afd = sock_accept(lfd);
        ssize_t n = afd >= 0 ? trigger_read(afd, req) : -1;

        if (n > 0 && write(report[1], buf_str(req), (size_t)n) != n)
            _exit(2);
        _exit(n > 0 ? 0 : 1);
    }
    CU_ASSERT_FATAL(pid > 0);
    close(report[1]);
    CU_ASSERT_EQUAL(trigger_send(path, "W", 1, 2000), 0);
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    read_all(report[0], got);
    CU_ASSERT_STRING_EQUAL(buf_str(got), "W");
    close(report[0]);
    close(lfd);
    buf_free(got);
    mem_free(path);
}

/* A server that never accepts must not hold the client past the timeout. */
static void test_unix_trigger_stuck_server(void)
{
    char *path = unit_tmpfile("stuck");
    struct unit_backlog backlog;

    if (unit_backlog_fill(&backlog, path, 100)) {
        errno = 0;
        CU_ASSERT_EQUAL(trigger_send(path, "W", 1, 200), -1);
        CU_ASSERT_EQUAL(errno, ETIMEDOUT);
    }
    unit_backlog_close(&backlog);
    mem_free(path);
}

static void test_fifo_trigger(void)
{
    char *path = unit_tmpfile("fifo-qmgr");
    struct buf *got = buf_alloc(16);
    int fd = fifo_listen(path, 0622);

    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(trigger_send(path, "IW", 2, 1000), 0);
    CU_ASSERT_EQUAL(trigger_fifo(path, "D", 1, 1000), 0);
    CU_ASSERT_EQUAL(trigger_read(fd, got), 3);
    CU_ASSERT_STRING_EQUAL(buf_str(got), "IWD");
    /* Nothing more, and no end-of-file either. */
    errno = 0;
    CU_ASSERT_EQUAL(trigger_read(fd, got), -1);
    CU_ASSERT_EQUAL(errno, EAGAIN);
    CU_ASSERT_EQUAL(buf_len(got), 0);
    close(fd);
    unlink(path);
    mem_free(path);
    buf_free(got);
}

static void test_fifo_no_reader(void)
{
    char *path = unit_tmpfile("fifo-nobody");

    CU_ASSERT_FATAL(mkfifo(path, 0600) == 0);
    errno = 0;
    CU_ASSERT_EQUAL(trigger_send(path, "W", 1, 1000), -1);
    CU_ASSERT_EQUAL(errno, ENXIO);
    errno = 0;
    CU_ASSERT_EQUAL(trigger_fifo(path, "W", 1, 1000), -1);
    CU_ASSERT_EQUAL(errno, ENXIO);
    unlink(path);
    mem_free(path);
}

static void test_bad_endpoints(void)
{
    char *missing = unit_tmpfile("no-such-endpoint");
    char *file = unit_tmpfile("plain-file");
    char *dir = unit_tmpfile("a-directory");
    static const struct {
        const char *name;
        int (*send)(const char *, const void *, size_t, int);
        int which; /* 0 missing, 1 file, 2 dir */
        int want_errno;
    } cases[] = {
        {"send missing", trigger_send, 0, ENOENT},
        {"unix missing", trigger_unix, 0, ENOENT},
        {"fifo missing", trigger_fifo, 0, ENOENT},
        {"send file", trigger_send, 1, EINVAL},
        {"fifo file", trigger_fifo, 1, EINVAL},
        {"unix file", trigger_unix, 1, ECONNREFUSED},
        {"send dir", trigger_send, 2, EINVAL},
        {"fifo dir", trigger_fifo, 2, EISDIR},
    };
    const char *paths[3];
    size_t len;
    char *data;

    unit_write_file(file, "keep", 4);
    CU_ASSERT_FATAL(mkdir(dir, 0700) == 0);
    paths[0] = missing;
    paths[1] = file;
    paths[2] = dir;
    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        errno = 0;
        CU_ASSERT_EQUAL(cases[i].send(paths[cases[i].which], "W", 1, 500), -1);
        CU_ASSERT_EQUAL(errno, cases[i].want_errno);
        if (errno != cases[i].want_errno)
            fprintf(stderr, "\n%s: errno %d\n", cases[i].name, errno);
    }
    /* Nothing was written into the plain file. */
    data = unit_read_file(file, &len);
    CU_ASSERT(data != NULL && len == 4 && memcmp(data, "keep", 4) == 0);
    mem_free(data);
    rmdir(dir);
    unlink(file);
    mem_free(missing);
    mem_free(file);
    mem_free(dir);
}

static void test_inet_trigger(void)
{
    struct buf *got = buf_alloc(16);
    struct sockaddr_storage ss;
    socklen_t ss_len = sizeof(ss);
    char addr[64];
    int lfd = inet_listen("127.0.0.1:0", 10, 0);
    int afd;

    CU_ASSERT_FATAL(lfd >= 0);
    CU_ASSERT_FATAL(getsockname(lfd, (struct sockaddr *)&ss, &ss_len) == 0);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d",
             ntohs(((struct sockaddr_in *)&ss)->sin_port));
    CU_ASSERT_EQUAL(trigger_inet(addr, "W", 1, 1000), 0);
    afd = sock_accept(lfd);
    CU_ASSERT_FATAL(afd >= 0);
    read_all(afd, got);
    CU_ASSERT_STRING_EQUAL(buf_str(got), "W");
    close(afd);
    close(lfd);
    errno = 0;
    CU_ASSERT_EQUAL(trigger_inet(addr, "W", 1, 1000), -1);
    CU_ASSERT_EQUAL(errno, ECONNREFUSED);
    buf_free(got);
}

static void test_trigger_read_limit(void)
{
    struct buf *got = buf_alloc(16);
    char *data = mem_alloc(2000);
    int p[2];

    for (int i = 0; i < 2000; i++)
        data[i] = (char)('A' + i % 26);
    CU_ASSERT_FATAL(pipe(p) == 0);
    CU_ASSERT_EQUAL(write(p[1], data, 2000), 2000);
    CU_ASSERT_EQUAL(trigger_read(p[0], got), TRIGGER_BUF_SIZE);
    CU_ASSERT_EQUAL(buf_len(got), TRIGGER_BUF_SIZE);
    CU_ASSERT(memcmp(buf_str(got), data, TRIGGER_BUF_SIZE) == 0);
    CU_ASSERT_EQUAL(buf_str(got)[TRIGGER_BUF_SIZE], 0);
    CU_ASSERT_EQUAL(trigger_read(p[0], got), 2000 - TRIGGER_BUF_SIZE);
    CU_ASSERT(memcmp(buf_str(got), data + TRIGGER_BUF_SIZE,
                     2000 - TRIGGER_BUF_SIZE) == 0);
    /* Binary safe: NUL bytes are data. */
    CU_ASSERT_EQUAL(write(p[1], "\0W\0", 3), 3);
    CU_ASSERT_EQUAL(trigger_read(p[0], got), 3);
    CU_ASSERT_EQUAL(buf_len(got), 3);
    CU_ASSERT(memcmp(buf_str(got), "\0W\0", 3) == 0);
    close(p[1]);
    CU_ASSERT_EQUAL(trigger_read(p[0], got), 0);
    CU_ASSERT_EQUAL(buf_len(got), 0);
    close(p[0]);
    mem_free(data);
    buf_free(got);
}

static void test_trigger_collapse(void)
{
    static const struct {
        const char *in;
        size_t in_len;
        const char *want;
        size_t want_len;
    } cases[] = {
        {"", 0, "", 0},           {"W", 1, "W", 1},
        {"WWWW", 4, "W", 1},      {"I", 1, "I", 1},
        {"DIDIAF", 6, "AFDI", 4}, {"FA", 2, "AF", 2},
        {"FADI", 4, "AFDI", 4},   {"IDAF", 4, "AFID", 4},
        {"IADFI", 5, "AFID", 4},  {"DF", 2, "FD", 2},
        {"xIxWI", 5, "xIW", 3},   {"F A D I", 7, "AF DI", 5},
        {"D\0I\0", 4, "D\0I", 3}, {"\0\0A", 3, "A\0", 2},
        {"zyAxF", 5, "AFzyx", 5},
    };
    struct buf *out = buf_alloc(4);
    char *all = mem_alloc(1024);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        buf_set_str(out, "junk");
        trigger_collapse(cases[i].in, cases[i].in_len, out);
        CU_ASSERT_EQUAL(buf_len(out), cases[i].want_len);
        CU_ASSERT(buf_len(out) == cases[i].want_len &&
                  memcmp(buf_str(out), cases[i].want, cases[i].want_len) == 0);
    }

    /* A full buffer of every byte value: each value exactly once. */
    for (int i = 0; i < 1024; i++)
        all[i] = (char)(255 - i % 256);
    trigger_collapse(all, 1024, out);
    CU_ASSERT_EQUAL(buf_len(out), 256);
    CU_ASSERT_EQUAL(buf_str(out)[0], 'A');
    CU_ASSERT_EQUAL(buf_str(out)[1], 'F');
    CU_ASSERT_EQUAL((unsigned char)buf_str(out)[2], 255);
    mem_free(all);
    buf_free(out);
}

static const struct unit_case send_cases[] = {
    {"unix socket server", test_unix_trigger},
    {"unix socket, forked server", test_unix_trigger_forked_server},
    {"server that never accepts", test_unix_trigger_stuck_server},
    {"fifo", test_fifo_trigger},
    {"fifo without a reader", test_fifo_no_reader},
    {"missing and wrong endpoints", test_bad_endpoints},
    {"inet", test_inet_trigger},
    {NULL, NULL},
};

static const struct unit_case server_cases[] = {
    {"trigger_read reads at most 1024 bytes", test_trigger_read_limit},
    {"trigger_collapse table", test_trigger_collapse},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"trigger: clients", send_cases},
    {"trigger: servers", server_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
