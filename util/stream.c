/*
 * stream - buffered I/O over a file descriptor, with timeouts
 *
 * The one stream type for protocol and file I/O. Reads and writes are
 * buffered (few system calls per request); each read or write system call
 * waits at most timeout for progress (poll(2)), as Postfix's per-operation
 * timeouts (ipc_timeout, qmqpd_timeout) require. Works on sockets, pipes
 * and regular files; seeking is for files.
 *
 * Errors are sticky bits (end of file, timeout, I/O error). Protocol code
 * keeps one error point: after stream_set_jmp(sp, &jb) and setjmp(jb),
 * the first error longjmp()s there with the error bit as value, so the
 * parsing code in between needs no per-call checks. Without an error
 * point, callers test stream_error() where convenient: once set, reads
 * return STREAM_EOF / short counts and writes are discarded.
 *
 * Writes to a socket use send(MSG_NOSIGNAL): a peer that went away is an
 * I/O error, never a SIGPIPE.
 *
 * Public functions:
 *	stream_fdopen(fd, own_fd)	wrap a descriptor (own_fd: close it
 *					in stream_close)
 *	stream_fdopen2(rfd, wfd, own_fd) read one descriptor, write another
 *					(standard input/output of a daemon
 *					run stand-alone)
 *	stream_close(sp)		flush, free; -1 if anything failed
 *	stream_set_timeout(sp, s), stream_set_timeout_ms(sp, ms)
 *	stream_set_jmp(sp, &jb)		install (NULL: remove) the error point
 *	stream_getc, stream_peekc	one byte or STREAM_EOF
 *	stream_read(sp, data, len)	exactly len bytes unless an error
 *					occurs; returns the count read
 *	stream_buffered(sp)		bytes readable without a system call
 *	stream_fill(sp)			one read system call into the buffer
 *	stream_write, stream_putc, stream_puts, stream_printf
 *	stream_flush(sp)		write out; -1 on error
 *	stream_fsync(sp)		flush and fsync(2); -1 on error
 *	stream_tell, stream_seek	file position (flushes first)
 *	stream_strerror(error)		text for an error bit
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "stream.h"

#define STREAM_BUFSIZE 8192

struct stream *stream_fdopen(int fd, int own_fd)
{
    struct stream *sp = mem_zalloc(sizeof(*sp));

    sp->fd = fd;
    sp->wfd = fd;
    sp->own_fd = own_fd;
    sp->bufsize = STREAM_BUFSIZE;
    return sp;
}

static void stream_fail(struct stream *sp, int error)
{
    sp->error |= error;
    if (sp->jmp)
        longjmp(*sp->jmp, error);
}

struct stream *stream_fdopen2(int rfd, int wfd, int own_fd)
{
    struct stream *sp = stream_fdopen(rfd, own_fd);

    sp->wfd = wfd;
    return sp;
}

void stream_set_timeout(struct stream *sp, int seconds)
{
    sp->timeout_ms = seconds > 0 ? seconds * 1000 : 0;
}

void stream_set_timeout_ms(struct stream *sp, int msec)
{
    sp->timeout_ms = msec > 0 ? msec : 0;
}

void stream_set_jmp(struct stream *sp, jmp_buf *jmp)
{
    sp->jmp = jmp;
}

/* Wait until fd is ready for events; 0 when ready, else an error bit. */
static int stream_wait(struct stream *sp, int fd, short events)
{
    struct pollfd pfd;
    int n;

    if (sp->timeout_ms <= 0)
        return 0;
    pfd.fd = fd;
    pfd.events = events;
    for (;;) {
        n = poll(&pfd, 1, sp->timeout_ms);
        if (n > 0)
            return 0;
        if (n == 0)
            return STREAM_ERR_TIMEOUT;
        if (errno != EINTR)
            return STREAM_ERR_IO;
    }
}

int stream_fill(struct stream *sp)
{
    ssize_t n;
    int err;

    if (sp->error)
        return -1;
    if (sp->rbuf == NULL)
        sp->rbuf = mem_alloc(sp->bufsize);
    if (sp->rpos < sp->rlen)
        return (int)(sp->rlen - sp->rpos);
    /* Anything we owe the peer goes out before we wait for its answer. */
    if (sp->wlen > 0 && stream_flush(sp) < 0)
        return -1;
    sp->rpos = sp->rlen = 0;
    for (;;) {
        if ((err = stream_wait(sp, sp->fd, POLLIN)) != 0) {
            stream_fail(sp, err);
            return -1;
        }
        n = read(sp->fd, sp->rbuf, sp->bufsize);
        if (n > 0) {
            sp->rlen = (size_t)n;
            return (int)n;
        }
        if (n == 0) {
            stream_fail(sp, STREAM_ERR_EOF);
            return -1;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (sp->timeout_ms > 0)
                continue;
            struct pollfd pfd = {.fd = sp->fd, .events = POLLIN};
            poll(&pfd, 1, -1);
            continue;
        }
        stream_fail(sp, STREAM_ERR_IO);
        return -1;
    }
}

int stream_getc(struct stream *sp)
{
    if (sp->rpos >= sp->rlen && stream_fill(sp) < 0)
        return STREAM_EOF;
    return sp->rbuf[sp->rpos++];
}

int stream_peekc(struct stream *sp)
{
    if (sp->rpos >= sp->rlen && stream_fill(sp) < 0)
        return STREAM_EOF;
    return sp->rbuf[sp->rpos];
}

size_t stream_read(struct stream *sp, void *data, size_t len)
{
    unsigned char *dst = data;
    size_t done = 0;

    while (done < len) {
        size_t avail;

        if (sp->rpos >= sp->rlen && stream_fill(sp) < 0)
            break;
        avail = sp->rlen - sp->rpos;
        if (avail > len - done)
            avail = len - done;
        memcpy(dst + done, sp->rbuf + sp->rpos, avail);
        sp->rpos += avail;
        done += avail;
    }
    return done;
}

size_t stream_buffered(const struct stream *sp)
{
    return sp->rlen - sp->rpos;
}

static ssize_t stream_write_syscall(struct stream *sp, const void *data,
                                    size_t len)
{
    ssize_t n = send(sp->wfd, data, len, MSG_NOSIGNAL);

    if (n < 0 && errno == ENOTSOCK)
        n = write(sp->wfd, data, len);
    return n;
}

int stream_flush(struct stream *sp)
{
    size_t done = 0;
    int err;

    if (sp->error & (STREAM_ERR_IO | STREAM_ERR_TIMEOUT)) {
        sp->wlen = 0;
        return -1;
    }
    while (done < sp->wlen) {
        ssize_t n;

        if ((err = stream_wait(sp, sp->wfd, POLLOUT)) != 0) {
            sp->wlen = 0;
            stream_fail(sp, err);
            return -1;
        }
        n = stream_write_syscall(sp, sp->wbuf + done, sp->wlen - done);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (sp->timeout_ms <= 0) {
                struct pollfd pfd = {.fd = sp->wfd, .events = POLLOUT};
                poll(&pfd, 1, -1);
            }
            continue;
        }
        sp->wlen = 0;
        stream_fail(sp, STREAM_ERR_IO);
        return -1;
    }
    sp->wlen = 0;
    return 0;
}

void stream_write(struct stream *sp, const void *data, size_t len)
{
    const unsigned char *src = data;

    if (sp->error & (STREAM_ERR_IO | STREAM_ERR_TIMEOUT))
        return;
    if (sp->wbuf == NULL)
        sp->wbuf = mem_alloc(sp->bufsize);
    while (len > 0) {
        size_t room = sp->bufsize - sp->wlen;

        if (room == 0) {
            if (stream_flush(sp) < 0)
                return;
            room = sp->bufsize;
        }
        if (room > len)
            room = len;
        memcpy(sp->wbuf + sp->wlen, src, room);
        sp->wlen += room;
        src += room;
        len -= room;
    }
}

void stream_putc(struct stream *sp, int ch)
{
    unsigned char byte = (unsigned char)ch;

    stream_write(sp, &byte, 1);
}

void stream_puts(struct stream *sp, const char *str)
{
    stream_write(sp, str, strlen(str));
}

void stream_printf(struct stream *sp, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (len < 0)
        msg_panic("stream_printf: bad format \"%s\"", fmt);
    if ((size_t)len < sizeof(small)) {
        stream_write(sp, small, (size_t)len);
    } else {
        char *big = mem_alloc((size_t)len + 1);

        va_start(ap, fmt);
        vsnprintf(big, (size_t)len + 1, fmt, ap);
        va_end(ap);
        stream_write(sp, big, (size_t)len);
        mem_free(big);
    }
}

int stream_fsync(struct stream *sp)
{
    if (stream_flush(sp) < 0)
        return -1;
    if (fsync(sp->wfd) < 0) {
        stream_fail(sp, STREAM_ERR_IO);
        return -1;
    }
    return 0;
}

off_t stream_tell(struct stream *sp)
{
    off_t pos = lseek(sp->fd, 0, SEEK_CUR);

    if (pos < 0)
        return -1;
    return pos + (off_t)sp->wlen - (off_t)(sp->rlen - sp->rpos);
}

int stream_seek(struct stream *sp, off_t offset, int whence)
{
    if (stream_flush(sp) < 0)
        return -1;
    if (whence == SEEK_CUR)
        offset -= (off_t)(sp->rlen - sp->rpos);
    sp->rpos = sp->rlen = 0;
    sp->error &= ~STREAM_ERR_EOF;
    return lseek(sp->fd, offset, whence) < 0 ? -1 : 0;
}

int stream_close(struct stream *sp)
{
    int ret = 0;

    sp->jmp = NULL;
    if (sp->wlen > 0 && stream_flush(sp) < 0)
        ret = -1;
    if (sp->error & (STREAM_ERR_IO | STREAM_ERR_TIMEOUT))
        ret = -1;
    if (sp->own_fd && close(sp->fd) < 0)
        ret = -1;
    if (sp->own_fd && sp->wfd != sp->fd && close(sp->wfd) < 0)
        ret = -1;
    mem_free(sp->rbuf);
    mem_free(sp->wbuf);
    mem_free(sp);
    return ret;
}

const char *stream_strerror(int error)
{
    if (error & STREAM_ERR_TIMEOUT)
        return "time limit exceeded";
    if (error & STREAM_ERR_IO)
        return "I/O error";
    if (error & STREAM_ERR_EOF)
        return "unexpected disconnect";
    return "no error";
}
