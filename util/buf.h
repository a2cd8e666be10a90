#ifndef POSTERN_BUF_H
#define POSTERN_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A length-tracked, binary-safe, growable byte buffer. data[len] is always
 * a NUL byte so that text can be used as a C string, but the content may
 * itself contain NUL bytes: len is the truth.
 */
struct buf {
    char *data;
    size_t len;
    size_t size; /* allocated bytes, always > len */
};

#define buf_str(b) ((b)->data)
#define buf_len(b) ((b)->len)
#define buf_end(b) ((b)->data + (b)->len)

struct buf *buf_alloc(size_t initial);
void buf_free(struct buf *bp);
char *buf_export(struct buf *bp);
void buf_reset(struct buf *bp);
void buf_reserve(struct buf *bp, size_t more);
void buf_truncate(struct buf *bp, size_t len);
void buf_append(struct buf *bp, const void *data, size_t len);
void buf_append_str(struct buf *bp, const char *str);
void buf_append_char(struct buf *bp, int ch);
void buf_set(struct buf *bp, const void *data, size_t len);
void buf_set_str(struct buf *bp, const char *str);
void buf_printf(struct buf *bp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_append_printf(struct buf *bp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_append_vprintf(struct buf *bp, const char *fmt, va_list ap);
void buf_lower(struct buf *bp);
int buf_equal_str(const struct buf *bp, const char *str);

#endif
