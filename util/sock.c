/*
 * sock - listening and connecting sockets, FIFOs, and descriptor flags
 *
 * The master opens every service endpoint with these functions and hands
 * the descriptors to its children; clients (triggers, the cleanup and
 * bounce clients, the commands) connect with them. Every descriptor made
 * here is close-on-exec, so nothing leaks into a spawned program by
 * accident: the master clears the flag on purpose on the descriptors a
 * child must inherit.
 *
 * Public functions (all return a descriptor or 0 on success, -1 with
 * errno set on failure, unless said otherwise):
 *	unix_listen(path, backlog, nonblock)	UNIX stream listener. A stale
 *				socket or FIFO at path is removed first (a
 *				service may move from fifo to unix, as pickup
 *				and qmgr did in Postfix 2.10); any other kind
 *				of file there is left alone: EEXIST. The
 *				socket file's mode follows the umask; the
 *				caller sets the real mode with chmod(2).
 *	unix_connect(path, timeout_ms)	connect to a UNIX stream socket;
 *				waits at most timeout_ms (<= 0: no limit) for
 *				room in a full listen backlog, then fails with
 *				ETIMEDOUT. Returns a blocking descriptor.
 *	unix_dgram_listen(path)	bound UNIX datagram socket (stale file
 *				removed as for unix_listen)
 *	unix_dgram_send(path, data, len)	one datagram, never blocks
 *				(EAGAIN when the receiver's queue is full)
 *	inet_listen(addr, backlog, nonblock)	TCP listener; addr as for
 *				inet_addr_split(). An empty or "*" host means
 *				all interfaces: one IPv6 socket that also
 *				accepts IPv4 (dual stack) when the host has
 *				IPv6, else an IPv4 socket. An explicit IPv6
 *				address, "[::]" included, gets an IPv6-only
 *				socket so that "0.0.0.0:n" and "[::]:n" can
 *				both be bound, as Postfix does. SO_REUSEADDR
 *				is set; of several addresses a host name has,
 *				the first that can be bound is used.
 *	inet_connect(addr, timeout_ms)	TCP connect, trying each address
 *				of the host in turn within one overall
 *				timeout (<= 0: no limit of ours). An empty
 *				host means the loopback address. Returns a
 *				blocking descriptor.
 *	inet_addr_split(addr, host, port)	parse "[host:]port",
 *				"[ipv6addr]:port", "host:port", "*:port" or
 *				"port" into host ("" = all interfaces) and a
 *				decimal port (a service name is looked up).
 *				Returns 0, or -1 for malformed input.
 *	fifo_listen(path, mode)	make a FIFO with exactly this mode (not
 *				subject to the umask) and open it read-write
 *				non-blocking: holding a write end ourselves,
 *				the reader never sees end-of-file when a
 *				client closes. A stale socket or FIFO is
 *				replaced, another file is EEXIST.
 *	sock_accept(listen_fd)	accept a connection, close-on-exec
 *	sock_peer(fd, addr, port)	numeric address and port of the peer
 *				of a TCP socket; an IPv4 peer on a dual-stack
 *				socket is shown as plain IPv4 ("127.0.0.1",
 *				not "::ffff:127.0.0.1"). A UNIX socket has no
 *				peer address worth showing: addr is "local"
 *				and port "". EAFNOSUPPORT for other families.
 *	sock_peer_sockaddr(fd, ss, len)	the peer's socket address, an
 *				IPv4-mapped IPv6 one as IPv4; 0 or -1
 *	sock_set_nonblock(fd, on), sock_set_cloexec(fd, on)
 *
 * Limits and errors: a UNIX path longer than the kernel's sockaddr_un
 * allows is ENAMETOOLONG; an address text is at most INET_ADDR_MAX bytes
 * with a host of at most INET_HOST_MAX; a malformed address is EINVAL; a
 * host name that does not resolve is ENXIO (EAGAIN when the resolver
 * failed temporarily).
 *
 * Diagnostics: none logged; callers report errno.
 *
 * Configuration parameters: none (callers pass inet_interfaces, ports
 * and timeouts).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "sock.h"

/* Longest service name or port text. */
#define SOCK_PORT_MAX 32

static void sock_close_keep_errno(int fd)
{
    int saved_errno = errno;

    close(fd);
    errno = saved_errno;
}

static int64_t sock_clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sock_set_nonblock(int fd, int on)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0)
        return -1;
    flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    return fcntl(fd, F_SETFL, flags) < 0 ? -1 : 0;
}

int sock_set_cloexec(int fd, int on)
{
    int flags = fcntl(fd, F_GETFD);

    if (flags < 0)
        return -1;
    flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
    return fcntl(fd, F_SETFD, flags) < 0 ? -1 : 0;
}

/* --- UNIX domain --- */

static int sock_unix_addr(const char *path, struct sockaddr_un *sun,
                          socklen_t *len)
{
    size_t path_len;

    if (path == NULL || *path == 0) {
        errno = EINVAL;
        return -1;
    }
    path_len = strlen(path);
    if (path_len >= sizeof(sun->sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, path, path_len + 1);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len + 1);
    return 0;
}

/*
 * A socket or FIFO left behind by a previous master is ours to replace;
 * anything else at that path is somebody's data.
 */
static int sock_remove_stale(const char *path)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISSOCK(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        errno = EEXIST;
        return -1;
    }
    if (unlink(path) < 0 && errno != ENOENT)
        return -1;
    return 0;
}

static int sock_unix_bind(const char *path, int type)
{
    struct sockaddr_un sun;
    socklen_t len;
    int fd;

    if (sock_unix_addr(path, &sun, &len) < 0 || sock_remove_stale(path) < 0)
        return -1;
    if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&sun, len) < 0) {
        sock_close_keep_errno(fd);
        return -1;
    }
    return fd;
}

int unix_listen(const char *path, int backlog, int nonblock)
{
    int fd = sock_unix_bind(path, SOCK_STREAM);

    if (fd < 0)
        return -1;
    if (listen(fd, backlog) < 0 || (nonblock && sock_set_nonblock(fd, 1) < 0)) {
        sock_close_keep_errno(fd);
        return -1;
    }
    return fd;
}

static int sock_set_sndtimeo(int fd, int64_t ms)
{
    struct timeval tv;

    tv.tv_sec = (time_t)(ms / 1000);
    tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
    return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int unix_connect(const char *path, int timeout_ms)
{
    struct sockaddr_un sun;
    socklen_t len;
    int64_t deadline = sock_clock_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    int fd;

    if (sock_unix_addr(path, &sun, &len) < 0)
        return -1;
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;

    /*
     * A non-blocking connect to a UNIX listener with a full backlog fails
     * at once with EAGAIN and cannot be polled for completion. A blocking
     * connect waits for room, and Linux bounds that wait by the send
     * timeout: that is our connect timeout.
     */
    for (;;) {
        if (timeout_ms > 0) {
            int64_t left = deadline - sock_clock_ms();

            if (left <= 0) {
                errno = ETIMEDOUT;
                break;
            }
            if (sock_set_sndtimeo(fd, left) < 0)
                break;
        }
        if (connect(fd, (struct sockaddr *)&sun, len) == 0 || errno == EISCONN)
            goto connected;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EINPROGRESS)
            errno = ETIMEDOUT;
        break;
    }
    sock_close_keep_errno(fd);
    return -1;

connected:
    if (timeout_ms > 0 && sock_set_sndtimeo(fd, 0) < 0) {
        sock_close_keep_errno(fd);
        return -1;
    }
    return fd;
}

int unix_dgram_listen(const char *path)
{
    return sock_unix_bind(path, SOCK_DGRAM);
}

int unix_dgram_send(const char *path, const void *data, size_t len)
{
    struct sockaddr_un sun;
    socklen_t sun_len;
    ssize_t n;
    int fd;

    if (sock_unix_addr(path, &sun, &sun_len) < 0)
        return -1;
    if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    do {
        n = sendto(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL,
                   (struct sockaddr *)&sun, sun_len);
    } while (n < 0 && errno == EINTR);
    if (n < 0 || (size_t)n != len) {
        if (n >= 0)
            errno = EMSGSIZE;
        sock_close_keep_errno(fd);
        return -1;
    }
    close(fd);
    return 0;
}

int fifo_listen(const char *path, mode_t mode)
{
    struct stat st;
    int fd;

    if (path == NULL || *path == 0) {
        errno = EINVAL;
        return -1;
    }
    if (sock_remove_stale(path) < 0 || mkfifo(path, mode) < 0)
        return -1;
    if ((fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW)) < 0)
        return -1;
    /* Somebody may have swapped the FIFO before we opened it. */
    if (fstat(fd, &st) < 0) {
        sock_close_keep_errno(fd);
        return -1;
    }
    if (!S_ISFIFO(st.st_mode)) {
        close(fd);
        errno = EEXIST;
        return -1;
    }
    if (fchmod(fd, mode) < 0) {
        sock_close_keep_errno(fd);
        return -1;
    }
    return fd;
}

int sock_accept(int listen_fd)
{
    int fd;

    do {
        fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

/* --- Internet --- */

static int sock_host_char_ok(int ch, int bracketed)
{
    if (isalnum(ch) || ch == '.' || ch == '-' || ch == '_')
        return 1;
    /* Colons and a scope ("fe80::1%eth0") only where brackets protect. */
    return bracketed && (ch == ':' || ch == '%');
}

/* Convert a port number or service name into a decimal port. */
static int sock_port_parse(const char *text, size_t len, struct buf *port)
{
    char name[SOCK_PORT_MAX + 1];
    struct addrinfo hints;
    struct addrinfo *res;
    unsigned long value = 0;
    size_t i;

    if (len == 0 || len > SOCK_PORT_MAX)
        return -1;
    for (i = 0; i < len && isdigit((unsigned char)text[i]); i++) {
        value = value * 10 + (unsigned long)(text[i] - '0');
        if (value > 65535)
            return -1;
    }
    if (i == len) {
        buf_printf(port, "%lu", value);
        return 0;
    }
    if (!isalpha((unsigned char)text[0]))
        return -1;
    for (i = 0; i < len; i++)
        if (!isalnum((unsigned char)text[i]) && text[i] != '-' &&
            text[i] != '_')
            return -1;
    memcpy(name, text, len);
    name[len] = 0;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if (getaddrinfo(NULL, name, &hints, &res) != 0)
        return -1;
    if (res == NULL || res->ai_family != AF_INET) {
        if (res)
            freeaddrinfo(res);
        return -1;
    }
    buf_printf(port, "%u",
               (unsigned)ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port));
    freeaddrinfo(res);
    return 0;
}

int inet_addr_split(const char *addr, struct buf *host, struct buf *port)
{
    const char *host_start;
    const char *host_end;
    const char *port_start;
    const char *colon;
    int bracketed = 0;
    size_t len;

    buf_reset(host);
    buf_reset(port);
    if (addr == NULL)
        return -1;
    len = strnlen(addr, INET_ADDR_MAX + 1);
    if (len == 0 || len > INET_ADDR_MAX)
        return -1;
    if (addr[0] == '[') {
        bracketed = 1;
        host_start = addr + 1;
        if ((host_end = strchr(host_start, ']')) == NULL ||
            host_end[1] != ':' || host_end == host_start)
            return -1;
        port_start = host_end + 2;
    } else if ((colon = strchr(addr, ':')) == NULL) {
        host_start = host_end = addr;
        port_start = addr;
    } else {
        /* An IPv6 address needs brackets to be told from its port. */
        if (strchr(colon + 1, ':') != NULL)
            return -1;
        host_start = addr;
        host_end = colon;
        port_start = colon + 1;
    }
    if ((size_t)(host_end - host_start) > INET_HOST_MAX)
        return -1;
    if (!bracketed && host_end - host_start == 1 && *host_start == '*')
        host_end = host_start;
    for (const char *cp = host_start; cp < host_end; cp++)
        if (!sock_host_char_ok((unsigned char)*cp, bracketed))
            return -1;
    if (sock_port_parse(port_start, strlen(port_start), port) < 0) {
        buf_reset(port);
        return -1;
    }
    buf_set(host, host_start, (size_t)(host_end - host_start));
    return 0;
}

static int sock_gai_errno(int gai_error)
{
    switch (gai_error) {
    case EAI_SYSTEM:
        return errno;
    case EAI_AGAIN:
        return EAGAIN;
    case EAI_MEMORY:
        return ENOMEM;
    case EAI_SERVICE:
    case EAI_BADFLAGS:
        return EINVAL;
    default:
        return ENXIO;
    }
}

/* Split and resolve; returns 0 or -1 with errno. */
static int sock_resolve(const char *addr, int family, int flags,
                        struct addrinfo **res)
{
    struct buf *host = buf_alloc(64);
    struct buf *port = buf_alloc(8);
    struct addrinfo hints;
    int err;

    if (inet_addr_split(addr, host, port) < 0) {
        buf_free(host);
        buf_free(port);
        errno = EINVAL;
        return -1;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = flags | AI_NUMERICSERV;
    err = getaddrinfo(buf_len(host) ? buf_str(host) : NULL, buf_str(port),
                      &hints, res);
    buf_free(host);
    buf_free(port);
    if (err != 0) {
        errno = sock_gai_errno(err);
        return -1;
    }
    return 0;
}

static int sock_inet_listen_one(const struct addrinfo *ai, int v6only,
                                int backlog, int nonblock)
{
    int on = 1;
    int fd;

    fd = socket(ai->ai_family,
                ai->ai_socktype | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0),
                ai->ai_protocol);
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
        goto fail;
    if (ai->ai_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
        goto fail;
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, backlog) < 0)
        goto fail;
    return fd;

fail:
    sock_close_keep_errno(fd);
    return -1;
}

static int sock_inet_listen_list(const struct addrinfo *res, int v6only,
                                 int backlog, int nonblock)
{
    int fd = -1;

    errno = EADDRNOTAVAIL;
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        if ((fd = sock_inet_listen_one(ai, v6only, backlog, nonblock)) >= 0)
            break;
    }
    return fd;
}

int inet_listen(const char *addr, int backlog, int nonblock)
{
    struct buf *host = buf_alloc(64);
    struct buf *port = buf_alloc(8);
    struct addrinfo *res;
    int wildcard;
    int fd;

    if (inet_addr_split(addr, host, port) < 0) {
        buf_free(host);
        buf_free(port);
        errno = EINVAL;
        return -1;
    }
    wildcard = buf_len(host) == 0;
    buf_free(host);
    buf_free(port);

    if (!wildcard) {
        if (sock_resolve(addr, AF_UNSPEC, AI_PASSIVE, &res) < 0)
            return -1;
        fd = sock_inet_listen_list(res, 1, backlog, nonblock);
        freeaddrinfo(res);
        return fd;
    }

    /* All interfaces: dual-stack IPv6 if the kernel has it, else IPv4. */
    if (sock_resolve(addr, AF_INET6, AI_PASSIVE, &res) == 0) {
        fd = sock_inet_listen_list(res, 0, backlog, nonblock);
        freeaddrinfo(res);
        if (fd >= 0 || errno == EADDRINUSE || errno == EACCES)
            return fd;
    }
    if (sock_resolve(addr, AF_INET, AI_PASSIVE, &res) < 0)
        return -1;
    fd = sock_inet_listen_list(res, 0, backlog, nonblock);
    freeaddrinfo(res);
    return fd;
}

/* Non-blocking connect, bounded by the deadline (0: none). */
static int sock_inet_connect_one(const struct addrinfo *ai, int64_t deadline)
{
    struct pollfd pfd;
    socklen_t len;
    int err;
    int fd;

    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                ai->ai_protocol);
    if (fd < 0)
        return -1;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS && errno != EINTR)
            goto fail;
        for (;;) {
            int wait_ms = -1;
            int n;

            if (deadline) {
                int64_t left = deadline - sock_clock_ms();

                if (left <= 0) {
                    errno = ETIMEDOUT;
                    goto fail;
                }
                wait_ms = left > 0x7fffffff ? 0x7fffffff : (int)left;
            }
            pfd.fd = fd;
            pfd.events = POLLOUT;
            pfd.revents = 0;
            if ((n = poll(&pfd, 1, wait_ms)) > 0)
                break;
            if (n < 0 && errno != EINTR)
                goto fail;
        }
        len = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            goto fail;
        if (err != 0) {
            errno = err;
            goto fail;
        }
    }
    if (sock_set_nonblock(fd, 0) < 0)
        goto fail;
    return fd;

fail:
    sock_close_keep_errno(fd);
    return -1;
}

int inet_connect(const char *addr, int timeout_ms)
{
    int64_t deadline = timeout_ms > 0 ? sock_clock_ms() + timeout_ms : 0;
    struct addrinfo *res;
    int fd = -1;

    if (sock_resolve(addr, AF_UNSPEC, 0, &res) < 0)
        return -1;
    errno = EADDRNOTAVAIL;
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        if ((fd = sock_inet_connect_one(ai, deadline)) >= 0 ||
            errno == ETIMEDOUT)
            break;
    }
    freeaddrinfo(res);
    return fd;
}

int sock_peer_sockaddr(int fd, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    struct sockaddr_in sin;

    memset(ss, 0, sizeof(*ss));
    *len = sizeof(*ss);
    if (getpeername(fd, (struct sockaddr *)ss, len) < 0)
        return -1;
    /* An IPv4 client of a dual-stack socket is an IPv4 client. */
    if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_port = sin6->sin6_port;
        memcpy(&sin.sin_addr, sin6->sin6_addr.s6_addr + 12, 4);
        memset(ss, 0, sizeof(*ss));
        memcpy(ss, &sin, sizeof(sin));
        *len = sizeof(sin);
    }
    return 0;
}

int sock_peer(int fd, struct buf *addr, struct buf *port)
{
    struct sockaddr_storage ss;
    struct sockaddr *sa = (struct sockaddr *)&ss;
    socklen_t len;
    char host_text[NI_MAXHOST];
    char port_text[NI_MAXSERV];
    int err;

    buf_reset(addr);
    buf_reset(port);
    if (sock_peer_sockaddr(fd, &ss, &len) < 0)
        return -1;
    switch (sa->sa_family) {
    case AF_UNIX:
        buf_set_str(addr, "local");
        return 0;
    case AF_INET:
    case AF_INET6:
        break;
    default:
        errno = EAFNOSUPPORT;
        return -1;
    }
    err = getnameinfo(sa, len, host_text, sizeof(host_text), port_text,
                      sizeof(port_text), NI_NUMERICHOST | NI_NUMERICSERV);
    if (err != 0) {
        errno = sock_gai_errno(err);
        return -1;
    }
    buf_set_str(addr, host_text);
    buf_set_str(port, port_text);
    return 0;
}
