#ifndef POSTERN_STREAM_H
#define POSTERN_STREAM_H

#include <setjmp.h>
#include <stddef.h>
#include <sys/types.h>

/* Sticky error bits; also the values passed to longjmp() at the error point. */
#define STREAM_ERR_EOF     1 /* peer closed, or end of file */
#define STREAM_ERR_TIMEOUT 2 /* no progress within the timeout */
#define STREAM_ERR_IO      4 /* read/write system call failed */

#define STREAM_EOF (-1)

struct stream {
    int fd;         /* read side (and the write side unless wfd differs) */
    int wfd;        /* write side */
    int own_fd;     /* close fd in stream_close() */
    int timeout_ms; /* per read/write operation; 0 = wait forever */
    int error;      /* STREAM_ERR_* bits */
    jmp_buf *jmp;   /* error point, or NULL */
    unsigned char *rbuf;
    size_t rpos; /* next byte to hand out */
    size_t rlen; /* bytes in rbuf */
    unsigned char *wbuf;
    size_t wlen; /* bytes waiting to be written */
    size_t bufsize;
};

struct stream *stream_fdopen(int fd, int own_fd);
struct stream *stream_fdopen2(int rfd, int wfd, int own_fd);
int stream_close(struct stream *sp);
void stream_set_timeout(struct stream *sp, int seconds);
void stream_set_timeout_ms(struct stream *sp, int msec);
void stream_set_jmp(struct stream *sp, jmp_buf *jmp);
int stream_getc(struct stream *sp);
int stream_peekc(struct stream *sp);
size_t stream_read(struct stream *sp, void *data, size_t len);
size_t stream_buffered(const struct stream *sp);
int stream_fill(struct stream *sp);
void stream_write(struct stream *sp, const void *data, size_t len);
void stream_putc(struct stream *sp, int ch);
void stream_puts(struct stream *sp, const char *str);
void stream_printf(struct stream *sp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int stream_flush(struct stream *sp);
int stream_fsync(struct stream *sp);
off_t stream_tell(struct stream *sp);
int stream_seek(struct stream *sp, off_t offset, int whence);
const char *stream_strerror(int error);

#define stream_error(sp)    ((sp)->error)
#define stream_clearerr(sp) ((sp)->error = 0)
#define stream_fileno(sp)   ((sp)->fd)

#endif
