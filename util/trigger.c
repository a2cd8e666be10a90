/*
 * trigger - send and receive wakeup requests ("triggers")
 *
 * A trigger tells a service that there is work: cleanup tells qmgr that a
 * new queue file exists, postdrop tells pickup, the master wakes services
 * periodically, `postqueue -f` asks qmgr for a deferred run. The client
 * connects to the service's endpoint (public/qmgr, public/pickup, ...),
 * writes a few bytes and closes; there is no reply, and the client never
 * waits longer than its timeout (trigger_timeout, 10 s by default), even
 * when the server is stuck and does not accept.
 *
 * Public functions:
 *	trigger_send(path, data, len, timeout_ms)	look at what path is
 *				(stat(2), following symbolic links): a UNIX
 *				stream socket gets trigger_unix(), a FIFO
 *				trigger_fifo(); anything else is EINVAL
 *	trigger_unix(path, ...)		connect, write, close
 *	trigger_fifo(path, ...)		open O_WRONLY|O_NONBLOCK, write, close;
 *				ENXIO when nobody has the FIFO open for
 *				reading, EINVAL when path is not a FIFO
 *	trigger_inet(addr, ...)		the same over TCP (addr as for
 *				inet_connect())
 *	    All four return 0, or -1 with errno set (ETIMEDOUT when the
 *	    timeout ran out; timeout_ms <= 0 means no limit). The timeout
 *	    covers the connect or open and the write together. A client
 *	    is never killed by SIGPIPE when the server goes away.
 *	trigger_read(fd, out)	one read(2) of at most TRIGGER_BUF_SIZE
 *				bytes into out (replacing its content);
 *				returns the count, 0 at end of file, -1 with
 *				errno (EAGAIN: nothing there on a
 *				non-blocking descriptor)
 *	trigger_collapse(bytes, len, out)	qmgr's reading of a request
 *				buffer: identical requests collapse into one,
 *				and A and F act before D and I. Precisely, out
 *				is: 'A' if present, then 'F' if present, then
 *				every other distinct byte value (unknown bytes
 *				and NUL included) in the order of its first
 *				appearance. "DIDIAF" gives "AFDI", "xIxWI"
 *				gives "xIW". The caller ignores the bytes it
 *				does not know.
 *
 * Diagnostics: none logged; callers report errno with the endpoint name.
 *
 * Configuration parameters: none (callers pass trigger_timeout).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "sock.h"
#include "trigger.h"

static int64_t trigger_clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t trigger_deadline(int timeout_ms)
{
    return timeout_ms > 0 ? trigger_clock_ms() + timeout_ms : 0;
}

/* Time left until the deadline (-1: none), or -1 with ETIMEDOUT. */
static int trigger_time_left(int64_t deadline, int *left_ms)
{
    int64_t left;

    if (deadline == 0) {
        *left_ms = -1;
        return 0;
    }
    left = deadline - trigger_clock_ms();
    if (left <= 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    *left_ms = left > 0x7fffffff ? 0x7fffffff : (int)left;
    return 0;
}

static void trigger_close(int fd)
{
    int saved_errno = errno;

    close(fd);
    errno = saved_errno;
}

/* Write everything to a non-blocking-capable fd before the deadline. */
static int trigger_write(int fd, const void *data, size_t len, int64_t deadline,
                         int is_socket)
{
    const char *cp = data;

    while (len > 0) {
        struct pollfd pfd;
        ssize_t n;
        int left_ms;

        if (is_socket)
            n = send(fd, cp, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        else
            n = write(fd, cp, len);
        if (n > 0) {
            cp += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN)
            return -1;
        if (trigger_time_left(deadline, &left_ms) < 0)
            return -1;
        pfd.fd = fd;
        pfd.events = POLLOUT;
        pfd.revents = 0;
        if (poll(&pfd, 1, left_ms) < 0 && errno != EINTR)
            return -1;
    }
    return 0;
}

/* Write the request on a connected stream socket (or fail: fd < 0), close. */
static int trigger_stream(int fd, const void *data, size_t len,
                          int64_t deadline)
{
    int left_ms;

    if (fd < 0)
        return -1;
    if (trigger_time_left(deadline, &left_ms) < 0 ||
        trigger_write(fd, data, len, deadline, 1) < 0) {
        trigger_close(fd);
        return -1;
    }
    return close(fd) < 0 ? -1 : 0;
}

int trigger_unix(const char *path, const void *data, size_t len, int timeout_ms)
{
    int64_t deadline = trigger_deadline(timeout_ms);

    return trigger_stream(unix_connect(path, timeout_ms), data, len, deadline);
}

int trigger_inet(const char *addr, const void *data, size_t len, int timeout_ms)
{
    int64_t deadline = trigger_deadline(timeout_ms);

    return trigger_stream(inet_connect(addr, timeout_ms), data, len, deadline);
}

int trigger_fifo(const char *path, const void *data, size_t len, int timeout_ms)
{
    int64_t deadline = trigger_deadline(timeout_ms);
    sigset_t pipe_set;
    sigset_t saved_set;
    sigset_t pending;
    struct stat st;
    int was_pending;
    int rc;
    int fd;

    /* O_NONBLOCK: fail with ENXIO instead of waiting for a reader. */
    fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0) {
        trigger_close(fd);
        return -1;
    }
    if (!S_ISFIFO(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }

    /*
     * write(2) on a FIFO whose reader just went away raises SIGPIPE and
     * there is no MSG_NOSIGNAL for it: hold the signal and swallow the
     * one we caused, leaving one that was already pending alone.
     */
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipe_set, &saved_set);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE);
    rc = trigger_write(fd, data, len, deadline, 0);
    if (rc < 0 && errno == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        int saved_errno = errno;

        sigtimedwait(&pipe_set, NULL, &zero);
        errno = saved_errno;
    }
    sigprocmask(SIG_SETMASK, &saved_set, NULL);
    if (rc < 0) {
        trigger_close(fd);
        return -1;
    }
    return close(fd) < 0 ? -1 : 0;
}

int trigger_send(const char *path, const void *data, size_t len, int timeout_ms)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return -1;
    if (S_ISSOCK(st.st_mode))
        return trigger_unix(path, data, len, timeout_ms);
    if (S_ISFIFO(st.st_mode))
        return trigger_fifo(path, data, len, timeout_ms);
    errno = EINVAL;
    return -1;
}

ssize_t trigger_read(int fd, struct buf *out)
{
    ssize_t n;

    buf_reset(out);
    buf_reserve(out, TRIGGER_BUF_SIZE);
    do {
        n = read(fd, out->data, TRIGGER_BUF_SIZE);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        out->len = (size_t)n;
        out->data[n] = 0;
    }
    return n;
}

void trigger_collapse(const char *bytes, size_t len, struct buf *out)
{
    unsigned char present[256];
    unsigned char done[256];

    memset(present, 0, sizeof(present));
    memset(done, 0, sizeof(done));
    buf_reset(out);
    for (size_t i = 0; i < len; i++)
        present[(unsigned char)bytes[i]] = 1;
    if (present[QMGR_REQ_SCAN_ALL])
        buf_append_char(out, QMGR_REQ_SCAN_ALL);
    if (present[QMGR_REQ_FLUSH_DEAD])
        buf_append_char(out, QMGR_REQ_FLUSH_DEAD);
    done[QMGR_REQ_SCAN_ALL] = 1;
    done[QMGR_REQ_FLUSH_DEAD] = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)bytes[i];

        if (!done[ch]) {
            buf_append_char(out, ch);
            done[ch] = 1;
        }
    }
}
