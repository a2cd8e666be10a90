/*
 * test_sock - unit tests for socket helpers (util/sock.c)
 *
 * Real sockets in the unit temporary directory and on the loopback
 * interface: UNIX stream and datagram round trips, stale-file handling,
 * TCP over 127.0.0.1 and (when this machine has it) ::1, the wildcard
 * listener, connect failures and the full-backlog timeout (skipped when
 * it cannot be produced), FIFOs, descriptor flags, sock_peer(), and a
 * table of good and malformed addresses for inet_addr_split().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "mem.h"
#include "sock.h"
#include "unit.h"

static int is_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);

    return flags >= 0 && (flags & FD_CLOEXEC);
}

static int is_nonblock(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    return flags >= 0 && (flags & O_NONBLOCK);
}

static int local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

/* Send a few bytes one way and read them on the other side. */
static void check_round_trip(int from, int to)
{
    char got[8];

    CU_ASSERT_EQUAL(write(from, "ping", 4), 4);
    CU_ASSERT_EQUAL(read(to, got, sizeof(got)), 4);
    CU_ASSERT(memcmp(got, "ping", 4) == 0);
}

/* --- UNIX domain --- */

static void test_unix_round_trip(void)
{
    char *path = unit_tmpfile("stream.sock");
    struct buf *addr = buf_alloc(16);
    struct buf *port = buf_alloc(16);
    struct stat st;
    int lfd;
    int cfd;
    int afd;

    lfd = unix_listen(path, 10, 0);
    CU_ASSERT_FATAL(lfd >= 0);
    CU_ASSERT(is_cloexec(lfd));
    CU_ASSERT_FALSE(is_nonblock(lfd));
    CU_ASSERT(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode));
    cfd = unix_connect(path, 1000);
    CU_ASSERT_FATAL(cfd >= 0);
    CU_ASSERT(is_cloexec(cfd));
    CU_ASSERT_FALSE(is_nonblock(cfd));
    afd = sock_accept(lfd);
    CU_ASSERT_FATAL(afd >= 0);
    CU_ASSERT(is_cloexec(afd));
    check_round_trip(cfd, afd);
    check_round_trip(afd, cfd);
    CU_ASSERT_EQUAL(sock_peer(afd, addr, port), 0);
    CU_ASSERT_STRING_EQUAL(buf_str(addr), "local");
    CU_ASSERT_STRING_EQUAL(buf_str(port), "");
    close(afd);
    close(cfd);
    close(lfd);
    buf_free(addr);
    buf_free(port);
    mem_free(path);
}

static void test_unix_nonblock_listener(void)
{
    char *path = unit_tmpfile("nb.sock");
    int lfd = unix_listen(path, 10, 1);

    CU_ASSERT_FATAL(lfd >= 0);
    CU_ASSERT(is_nonblock(lfd));
    CU_ASSERT(is_cloexec(lfd));
    errno = 0;
    CU_ASSERT_EQUAL(sock_accept(lfd), -1);
    CU_ASSERT(errno == EAGAIN || errno == EWOULDBLOCK);
    close(lfd);
    mem_free(path);
}

static void test_unix_stale_files(void)
{
    char *path = unit_tmpfile("stale.sock");
    struct stat st;
    size_t len;
    char *data;
    int lfd;

    /* A socket left behind by a previous listener. */
    lfd = unix_listen(path, 10, 0);
    CU_ASSERT_FATAL(lfd >= 0);
    close(lfd);
    lfd = unix_listen(path, 10, 0);
    CU_ASSERT(lfd >= 0);
    if (lfd >= 0)
        close(lfd);

    /* A FIFO from a fifo-type service that became unix. */
    unlink(path);
    CU_ASSERT_FATAL(mkfifo(path, 0600) == 0);
    lfd = unix_listen(path, 10, 0);
    CU_ASSERT(lfd >= 0);
    CU_ASSERT(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode));
    if (lfd >= 0)
        close(lfd);

    /* Somebody's regular file stays. */
    unlink(path);
    unit_write_file(path, "data", 4);
    errno = 0;
    CU_ASSERT_EQUAL(unix_listen(path, 10, 0), -1);
    CU_ASSERT_EQUAL(errno, EEXIST);
    data = unit_read_file(path, &len);
    CU_ASSERT(data != NULL && len == 4 && memcmp(data, "data", 4) == 0);
    mem_free(data);
    unlink(path);
    mem_free(path);
}

static void test_unix_bad_paths(void)
{
    char long_path[300];

    memset(long_path, 'a', sizeof(long_path) - 1);
    long_path[sizeof(long_path) - 1] = 0;
    errno = 0;
    CU_ASSERT_EQUAL(unix_listen(long_path, 10, 0), -1);
    CU_ASSERT_EQUAL(errno, ENAMETOOLONG);
    errno = 0;
    CU_ASSERT_EQUAL(unix_connect(long_path, 100), -1);
    CU_ASSERT_EQUAL(errno, ENAMETOOLONG);
    errno = 0;
    CU_ASSERT_EQUAL(unix_connect("", 100), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    errno = 0;
    CU_ASSERT_EQUAL(unix_dgram_send(long_path, "x", 1), -1);
    CU_ASSERT_EQUAL(errno, ENAMETOOLONG);
}

static void test_unix_connect_no_listener(void)
{
    char *missing = unit_tmpfile("missing.sock");
    char *stale = unit_tmpfile("dead.sock");
    int lfd;

    errno = 0;
    CU_ASSERT_EQUAL(unix_connect(missing, 5000), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);

    /* The socket file exists but nobody listens on it any more. */
    lfd = unix_listen(stale, 10, 0);
    CU_ASSERT_FATAL(lfd >= 0);
    close(lfd);
    errno = 0;
    CU_ASSERT_EQUAL(unix_connect(stale, 5000), -1);
    CU_ASSERT_EQUAL(errno, ECONNREFUSED);
    unlink(stale);
    mem_free(missing);
    mem_free(stale);
}

/*
 * A listener that never accepts, with backlog 0: after the kernel has
 * queued what it allows, the next connect must give up after the
 * timeout. Skipped if the kernel keeps accepting into the queue.
 */
static void test_unix_connect_timeout(void)
{
    char *path = unit_tmpfile("full.sock");
    struct unit_backlog backlog;

    if (unit_backlog_fill(&backlog, path, 200))
        CU_ASSERT_EQUAL(backlog.error, ETIMEDOUT);
    unit_backlog_close(&backlog);
    mem_free(path);
}

static void test_unix_dgram(void)
{
    char *path = unit_tmpfile("dgram.sock");
    char *missing = unit_tmpfile("no-dgram.sock");
    char got[32];
    int fd;

    fd = unix_dgram_listen(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT(is_cloexec(fd));
    CU_ASSERT_EQUAL(unix_dgram_send(path, "hello", 5), 0);
    CU_ASSERT_EQUAL(unix_dgram_send(path, "", 0), 0);
    CU_ASSERT_EQUAL(recv(fd, got, sizeof(got), 0), 5);
    CU_ASSERT(memcmp(got, "hello", 5) == 0);
    CU_ASSERT_EQUAL(recv(fd, got, sizeof(got), 0), 0);
    errno = 0;
    CU_ASSERT_EQUAL(unix_dgram_send(missing, "x", 1), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    close(fd);
    unlink(path);
    mem_free(path);
    mem_free(missing);
}

/* --- FIFO --- */

static void test_fifo_listen(void)
{
    char *path = unit_tmpfile("service.fifo");
    char *file = unit_tmpfile("plain.file");
    struct stat st;
    mode_t old_umask;
    char got[8];
    int wfd;
    int fd;

    old_umask = umask(077);
    fd = fifo_listen(path, 0622);
    umask(old_umask);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT(is_cloexec(fd));
    CU_ASSERT(is_nonblock(fd));
    CU_ASSERT(lstat(path, &st) == 0 && S_ISFIFO(st.st_mode));
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0622);

    wfd = open(path, O_WRONLY | O_NONBLOCK);
    CU_ASSERT_FATAL(wfd >= 0);
    CU_ASSERT_EQUAL(write(wfd, "W", 1), 1);
    close(wfd);
    CU_ASSERT_EQUAL(read(fd, got, sizeof(got)), 1);
    CU_ASSERT_EQUAL(got[0], 'W');
    /* The writer went away, but we hold a write end: no end-of-file. */
    errno = 0;
    CU_ASSERT_EQUAL(read(fd, got, sizeof(got)), -1);
    CU_ASSERT_EQUAL(errno, EAGAIN);
    close(fd);

    /* Re-creating over a stale FIFO works; over a plain file it does not. */
    fd = fifo_listen(path, 0600);
    CU_ASSERT(fd >= 0);
    if (fd >= 0)
        close(fd);
    unit_write_file(file, "x", 1);
    errno = 0;
    CU_ASSERT_EQUAL(fifo_listen(file, 0600), -1);
    CU_ASSERT_EQUAL(errno, EEXIST);
    unlink(path);
    unlink(file);
    mem_free(path);
    mem_free(file);
}

/* --- Internet --- */

static void test_inet_ipv4(void)
{
    struct buf *addr = buf_alloc(16);
    struct buf *port = buf_alloc(16);
    char text[64];
    int lfd;
    int cfd;
    int afd;
    int lport;

    lfd = inet_listen("127.0.0.1:0", 10, 0);
    CU_ASSERT_FATAL(lfd >= 0);
    CU_ASSERT(is_cloexec(lfd));
    lport = local_port(lfd);
    CU_ASSERT_FATAL(lport > 0);
    snprintf(text, sizeof(text), "127.0.0.1:%d", lport);
    cfd = inet_connect(text, 2000);
    CU_ASSERT_FATAL(cfd >= 0);
    CU_ASSERT(is_cloexec(cfd));
    CU_ASSERT_FALSE(is_nonblock(cfd));
    afd = sock_accept(lfd);
    CU_ASSERT_FATAL(afd >= 0);
    check_round_trip(cfd, afd);

    CU_ASSERT_EQUAL(sock_peer(afd, addr, port), 0);
    CU_ASSERT_STRING_EQUAL(buf_str(addr), "127.0.0.1");
    snprintf(text, sizeof(text), "%d", local_port(cfd));
    CU_ASSERT_STRING_EQUAL(buf_str(port), text);
    CU_ASSERT_EQUAL(sock_peer(cfd, addr, port), 0);
    CU_ASSERT_STRING_EQUAL(buf_str(addr), "127.0.0.1");
    snprintf(text, sizeof(text), "%d", lport);
    CU_ASSERT_STRING_EQUAL(buf_str(port), text);

    close(afd);
    close(cfd);
    close(lfd);
    buf_free(addr);
    buf_free(port);
}

static void test_inet_ipv6(void)
{
    struct buf *addr = buf_alloc(16);
    struct buf *port = buf_alloc(16);
    char text[64];
    int lfd;
    int cfd;
    int afd;

    lfd = inet_listen("[::1]:0", 10, 1);
    if (lfd < 0) {
        fprintf(stderr, "[no IPv6 loopback: skipped] ");
        buf_free(addr);
        buf_free(port);
        return;
    }
    CU_ASSERT(is_nonblock(lfd));
    snprintf(text, sizeof(text), "[::1]:%d", local_port(lfd));
    cfd = inet_connect(text, 2000);
    CU_ASSERT_FATAL(cfd >= 0);
    afd = sock_accept(lfd);
    CU_ASSERT_FATAL(afd >= 0);
    check_round_trip(afd, cfd);
    CU_ASSERT_EQUAL(sock_peer(afd, addr, port), 0);
    CU_ASSERT_STRING_EQUAL(buf_str(addr), "::1");
    close(afd);
    close(cfd);
    close(lfd);
    buf_free(addr);
    buf_free(port);
}

/* All interfaces, in both spellings; an IPv4 client shows as IPv4. */
static void test_inet_wildcard(void)
{
    static const char *const forms[] = {"*:0", "0", ":0"};
    struct buf *addr = buf_alloc(16);
    struct buf *port = buf_alloc(16);

    for (size_t i = 0; i < UNIT_COUNT(forms); i++) {
        char text[64];
        int lfd = inet_listen(forms[i], 10, 0);
        int cfd;
        int afd;

        CU_ASSERT_FATAL(lfd >= 0);
        snprintf(text, sizeof(text), "127.0.0.1:%d", local_port(lfd));
        cfd = inet_connect(text, 2000);
        CU_ASSERT_FATAL(cfd >= 0);
        afd = sock_accept(lfd);
        CU_ASSERT_FATAL(afd >= 0);
        CU_ASSERT_EQUAL(sock_peer(afd, addr, port), 0);
        CU_ASSERT_STRING_EQUAL(buf_str(addr), "127.0.0.1");
        close(afd);
        close(cfd);
        close(lfd);
    }
    buf_free(addr);
    buf_free(port);
}

static void test_inet_listen_in_use(void)
{
    char text[64];
    int lfd = inet_listen("127.0.0.1:0", 10, 0);

    CU_ASSERT_FATAL(lfd >= 0);
    snprintf(text, sizeof(text), "127.0.0.1:%d", local_port(lfd));
    errno = 0;
    CU_ASSERT_EQUAL(inet_listen(text, 10, 0), -1);
    CU_ASSERT_EQUAL(errno, EADDRINUSE);
    close(lfd);
}

static void test_inet_connect_errors(void)
{
    char text[64];
    int lfd = inet_listen("127.0.0.1:0", 10, 0);

    CU_ASSERT_FATAL(lfd >= 0);
    snprintf(text, sizeof(text), "127.0.0.1:%d", local_port(lfd));
    close(lfd);
    errno = 0;
    CU_ASSERT_EQUAL(inet_connect(text, 5000), -1);
    CU_ASSERT_EQUAL(errno, ECONNREFUSED);
    errno = 0;
    CU_ASSERT_EQUAL(inet_connect("[::1", 1000), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    errno = 0;
    CU_ASSERT_EQUAL(inet_listen("127.0.0.1:", 10, 0), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
}

static void test_inet_addr_split(void)
{
    static const struct {
        const char *addr;
        int ret;
        const char *host;
        const char *port;
    } cases[] = {
        /* Good. */
        {"25", 0, "", "25"},
        {"0", 0, "", "0"},
        {"65535", 0, "", "65535"},
        {"00025", 0, "", "25"},
        {"127.0.0.1:25", 0, "127.0.0.1", "25"},
        {"localhost:10025", 0, "localhost", "10025"},
        {"mail.example.com:628", 0, "mail.example.com", "628"},
        {"[::1]:25", 0, "::1", "25"},
        {"[::]:0", 0, "::", "0"},
        {"[fe80::1%eth0]:25", 0, "fe80::1%eth0", "25"},
        {"[192.0.2.1]:25", 0, "192.0.2.1", "25"},
        {"*:25", 0, "", "25"},
        {":25", 0, "", "25"},
        /* Malformed. */
        {"", -1, "", ""},
        {"[::1", -1, "", ""},
        {"[::1]", -1, "", ""},
        {"[::1]25", -1, "", ""},
        {"[::1]:", -1, "", ""},
        {"[]:25", -1, "", ""},
        {"[::1]:25:", -1, "", ""},
        {"host:", -1, "", ""},
        {"host", -1, "", ""},
        {"*", -1, "", ""},
        {"65536", -1, "", ""},
        {"99999999999999999999999", -1, "", ""},
        {"host:-1", -1, "", ""},
        {"host:+25", -1, "", ""},
        {"host:25x", -1, "", ""},
        {"::1:25", -1, "", ""},
        {"a b:25", -1, "", ""},
        {"ho/st:25", -1, "", ""},
        {"host%eth0:25", -1, "", ""},
        {"[a]b]:25", -1, "", ""},
        {"host:no-such-service-xyz", -1, "", ""},
        {"host:smtp/tcp", -1, "", ""},
    };
    struct buf *host = buf_alloc(16);
    struct buf *port = buf_alloc(16);
    struct buf *big;

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        buf_set_str(host, "junk");
        buf_set_str(port, "junk");
        int ret = inet_addr_split(cases[i].addr, host, port);

        CU_ASSERT_EQUAL(ret, cases[i].ret);
        CU_ASSERT_STRING_EQUAL(buf_str(host), cases[i].host);
        CU_ASSERT_STRING_EQUAL(buf_str(port), cases[i].port);
        if (ret != cases[i].ret)
            fprintf(stderr, "\ninet_addr_split(\"%s\") = %d\n", cases[i].addr,
                    ret);
    }

    /* A service name, if this machine's services database has it. */
    if (getservbyname("smtp", "tcp") != NULL) {
        CU_ASSERT_EQUAL(inet_addr_split("host:smtp", host, port), 0);
        CU_ASSERT_STRING_EQUAL(buf_str(host), "host");
        CU_ASSERT_STRING_EQUAL(buf_str(port), "25");
    }
    CU_ASSERT_EQUAL(inet_addr_split(NULL, host, port), -1);

    /* Limits: host at most INET_HOST_MAX, text at most INET_ADDR_MAX. */
    big = buf_alloc(INET_ADDR_MAX + 10);
    for (int i = 0; i < INET_HOST_MAX; i++)
        buf_append_char(big, 'a');
    buf_append_str(big, ":25");
    CU_ASSERT_EQUAL(inet_addr_split(buf_str(big), host, port), 0);
    CU_ASSERT_EQUAL(buf_len(host), INET_HOST_MAX);
    buf_reset(big);
    for (int i = 0; i < INET_HOST_MAX + 1; i++)
        buf_append_char(big, 'a');
    buf_append_str(big, ":25");
    CU_ASSERT_EQUAL(inet_addr_split(buf_str(big), host, port), -1);
    buf_reset(big);
    for (int i = 0; i < INET_ADDR_MAX + 1; i++)
        buf_append_char(big, '1');
    CU_ASSERT_EQUAL(inet_addr_split(buf_str(big), host, port), -1);
    buf_free(big);
    buf_free(host);
    buf_free(port);
}

/* --- flags and peers --- */

static void test_flags(void)
{
    int p[2];

    CU_ASSERT_FATAL(pipe(p) == 0);
    CU_ASSERT_FALSE(is_cloexec(p[0]));
    CU_ASSERT_EQUAL(sock_set_cloexec(p[0], 1), 0);
    CU_ASSERT(is_cloexec(p[0]));
    CU_ASSERT_EQUAL(sock_set_cloexec(p[0], 0), 0);
    CU_ASSERT_FALSE(is_cloexec(p[0]));
    CU_ASSERT_EQUAL(sock_set_nonblock(p[1], 1), 0);
    CU_ASSERT(is_nonblock(p[1]));
    CU_ASSERT_EQUAL(sock_set_nonblock(p[1], 0), 0);
    CU_ASSERT_FALSE(is_nonblock(p[1]));
    close(p[0]);
    close(p[1]);
    CU_ASSERT_EQUAL(sock_set_nonblock(p[0], 1), -1);
    CU_ASSERT_EQUAL(sock_set_cloexec(p[0], 1), -1);
}

static void test_sock_peer_errors(void)
{
    struct buf *addr = buf_alloc(16);
    struct buf *port = buf_alloc(16);
    int p[2];

    CU_ASSERT_FATAL(pipe(p) == 0);
    errno = 0;
    CU_ASSERT_EQUAL(sock_peer(p[0], addr, port), -1);
    CU_ASSERT_EQUAL(errno, ENOTSOCK);
    CU_ASSERT_EQUAL(buf_len(addr), 0);
    close(p[0]);
    close(p[1]);
    buf_free(addr);
    buf_free(port);
}

static const struct unit_case unix_cases[] = {
    {"unix listen/connect/accept round trip", test_unix_round_trip},
    {"non-blocking unix listener", test_unix_nonblock_listener},
    {"stale socket and fifo replaced, file kept", test_unix_stale_files},
    {"bad unix paths", test_unix_bad_paths},
    {"connect without a listener", test_unix_connect_no_listener},
    {"connect timeout on a full backlog", test_unix_connect_timeout},
    {"unix datagrams", test_unix_dgram},
    {"fifo_listen", test_fifo_listen},
    {NULL, NULL},
};

static const struct unit_case inet_cases[] = {
    {"127.0.0.1 port 0 round trip and peers", test_inet_ipv4},
    {"[::1] when available", test_inet_ipv6},
    {"wildcard listeners", test_inet_wildcard},
    {"address in use", test_inet_listen_in_use},
    {"connect errors", test_inet_connect_errors},
    {"inet_addr_split table", test_inet_addr_split},
    {NULL, NULL},
};

static const struct unit_case misc_cases[] = {
    {"cloexec and nonblock flags", test_flags},
    {"sock_peer on a pipe", test_sock_peer_errors},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"sock: unix and fifo", unix_cases},
    {"sock: inet", inet_cases},
    {"sock: misc", misc_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
