/*
 * buf - length-tracked, binary-safe growable buffer
 *
 * The one buffer type for protocol data, file records and text in
 * Postern. Growth is geometric so appending a byte at a time is cheap;
 * the content is always followed by a NUL byte (not counted in len) so
 * that a buffer holding text is also a C string.
 *
 * Public functions:
 *	buf_alloc(initial)		new empty buffer
 *	buf_free(bp)			release buffer and content
 *	buf_export(bp)			release the buffer, keep the content
 *					(caller frees it with mem_free)
 *	buf_reset(bp)			make empty, keep the memory
 *	buf_reserve(bp, more)		make room for more bytes
 *	buf_truncate(bp, len)		shorten (never lengthens)
 *	buf_append(bp, data, len)	append bytes (may contain NUL)
 *	buf_append_str, buf_append_char	append a string or one byte
 *	buf_set(bp, data, len), buf_set_str	replace the content
 *	buf_printf, buf_append_printf	formatted replace/append
 *	buf_lower(bp)			fold ASCII upper case to lower case
 *	buf_equal_str(bp, str)		content equals a C string exactly
 *
 * Diagnostics: allocation failure is fatal (see mem.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "mem.h"
#include "msg.h"

struct buf *buf_alloc(size_t initial)
{
    struct buf *bp = mem_alloc(sizeof(*bp));

    bp->size = initial < 16 ? 16 : initial + 1;
    bp->data = mem_alloc(bp->size);
    bp->len = 0;
    bp->data[0] = 0;
    return bp;
}

void buf_free(struct buf *bp)
{
    if (bp == NULL)
        return;
    mem_free(bp->data);
    mem_free(bp);
}

char *buf_export(struct buf *bp)
{
    char *data = bp->data;

    mem_free(bp);
    return data;
}

void buf_reset(struct buf *bp)
{
    bp->len = 0;
    bp->data[0] = 0;
}

void buf_reserve(struct buf *bp, size_t more)
{
    size_t need;

    if (more >= (size_t)-1 - bp->len - 1)
        msg_panic("buf_reserve: length overflow");
    need = bp->len + more + 1;
    if (need <= bp->size)
        return;
    while (bp->size < need)
        bp->size = bp->size * 2;
    bp->data = mem_realloc(bp->data, bp->size);
}

void buf_truncate(struct buf *bp, size_t len)
{
    if (len < bp->len) {
        bp->len = len;
        bp->data[len] = 0;
    }
}

void buf_append(struct buf *bp, const void *data, size_t len)
{
    if (len == 0)
        return;
    buf_reserve(bp, len);
    memcpy(bp->data + bp->len, data, len);
    bp->len += len;
    bp->data[bp->len] = 0;
}

void buf_append_str(struct buf *bp, const char *str)
{
    buf_append(bp, str, strlen(str));
}

void buf_append_char(struct buf *bp, int ch)
{
    if (bp->len + 1 >= bp->size)
        buf_reserve(bp, 1);
    bp->data[bp->len++] = (char)ch;
    bp->data[bp->len] = 0;
}

void buf_set(struct buf *bp, const void *data, size_t len)
{
    buf_reset(bp);
    buf_append(bp, data, len);
}

void buf_set_str(struct buf *bp, const char *str)
{
    buf_set(bp, str, strlen(str));
}

void buf_append_vprintf(struct buf *bp, const char *fmt, va_list ap)
{
    va_list ap2;
    int need;

    va_copy(ap2, ap);
    need = vsnprintf(bp->data + bp->len, bp->size - bp->len, fmt, ap2);
    va_end(ap2);
    if (need < 0)
        msg_panic("buf_append_vprintf: bad format \"%s\"", fmt);
    if ((size_t)need >= bp->size - bp->len) {
        buf_reserve(bp, (size_t)need);
        vsnprintf(bp->data + bp->len, bp->size - bp->len, fmt, ap);
    }
    bp->len += (size_t)need;
    bp->data[bp->len] = 0;
}

void buf_printf(struct buf *bp, const char *fmt, ...)
{
    va_list ap;

    buf_reset(bp);
    va_start(ap, fmt);
    buf_append_vprintf(bp, fmt, ap);
    va_end(ap);
}

void buf_append_printf(struct buf *bp, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    buf_append_vprintf(bp, fmt, ap);
    va_end(ap);
}

void buf_lower(struct buf *bp)
{
    for (size_t i = 0; i < bp->len; i++)
        bp->data[i] = (char)tolower((unsigned char)bp->data[i]);
}

int buf_equal_str(const struct buf *bp, const char *str)
{
    size_t len = strlen(str);

    return len == bp->len && memcmp(bp->data, str, len) == 0;
}
