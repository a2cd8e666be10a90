/*
 * netstring - netstring encoding and decoding
 *
 * QMQP frames everything as netstrings (spec a.1, a.2): "<len>:<bytes>,".
 * The encoder appends one to a buffer or writes one to a stream. The
 * stream decoder comes in pieces because qmqpd reads a nested structure
 * without trusting the outer length: it reads and ignores the outer
 * length, reads the inner netstrings one by one, and finds the end of the
 * outer one by peeking for its ','. An in-memory parser handles data that
 * was read already.
 *
 * Public functions:
 *	netstring_encode(out, data, len)	append "len:data," to out
 *	netstring_put(sp, data, len)	write one netstring (not flushed);
 *					0, or -1 if the stream has a write
 *					error or timeout
 *	netstring_get_length(sp, limit, &len)	read "<digits>:"
 *	netstring_get_data(sp, bp, len)	read len bytes into bp (replacing
 *					its content) and the ','
 *	netstring_get_terminator(sp)	read one ','
 *	netstring_peek_terminator(sp, &found)	look whether the next byte
 *					is ',' without consuming it
 *	netstring_get(sp, bp, limit)	a whole netstring into bp
 *	netstring_parse(data, len, limit, &value, &value_len, &consumed)
 *					one netstring at the start of data
 *	netstring_strerror(code)	text for a result code
 *
 * The decoders return NETSTRING_OK or one of NETSTRING_ERR_EOF (end of
 * input, disconnect or I/O error), NETSTRING_ERR_TIME (stream timeout),
 * NETSTRING_ERR_FORMAT (a non-digit in the length, an empty length, more
 * than NETSTRING_DIGITS_MAX digits, a missing ':' or ','),
 * NETSTRING_ERR_SIZE (length above the caller's limit; detected digit by
 * digit, so no digit string can overflow). The texts of
 * netstring_strerror() are Postfix's.
 *
 * The stream decoder needs no error point: it reads through the stream's
 * sticky error bits. If the caller has installed one, a stream error
 * longjmp()s there as usual; the decoders allocate nothing that would
 * leak. Data is read in bounded steps, so a peer that announces a large
 * length and then sends little makes us allocate only what it sent.
 *
 * Leading zeros in a length ("05:hello,") are accepted. netstrings.txt
 * forbids them, but Postfix's reader accepts them and nothing is gained
 * by failing a client that Postfix serves; our encoder never writes them.
 *
 * netstring_parse() reports incomplete input (a prefix of a valid
 * netstring) as NETSTRING_ERR_EOF, so a caller can read more and retry.
 *
 * Diagnostics: none; the callers log with the peer's name and state.
 *
 * Configuration parameters: none (callers pass their limits, such as
 * message_size_limit and line_length_limit).
 */
#include <stdio.h>
#include <string.h>

#include "netstring.h"

/* Most bytes asked of the stream at once while reading data. */
#define NETSTRING_READ_CHUNK 65536

void netstring_encode(struct buf *out, const void *data, size_t len)
{
    buf_append_printf(out, "%zu%c", len, NETSTRING_COLON);
    buf_append(out, data, len);
    buf_append_char(out, NETSTRING_COMMA);
}

int netstring_put(struct stream *sp, const void *data, size_t len)
{
    stream_printf(sp, "%zu%c", len, NETSTRING_COLON);
    stream_write(sp, data, len);
    stream_putc(sp, NETSTRING_COMMA);
    return (stream_error(sp) & (STREAM_ERR_IO | STREAM_ERR_TIMEOUT)) ? -1 : 0;
}

/* The result code for a read that failed on a stream error. */
static int netstring_stream_error(struct stream *sp)
{
    if (stream_error(sp) & STREAM_ERR_TIMEOUT)
        return NETSTRING_ERR_TIME;
    return NETSTRING_ERR_EOF;
}

/*
 * One length digit: fold ch into *len, or report that the length exceeds
 * limit. The comparison is arranged so that it cannot overflow.
 */
static int netstring_add_digit(size_t *len, int ch, size_t limit)
{
    size_t digit = (size_t)(ch - '0');

    if (digit > limit || *len > (limit - digit) / 10)
        return NETSTRING_ERR_SIZE;
    *len = *len * 10 + digit;
    return NETSTRING_OK;
}

int netstring_get_length(struct stream *sp, size_t limit, size_t *len)
{
    size_t value = 0;
    size_t digits = 0;
    int ch;
    int err;

    for (;;) {
        if ((ch = stream_getc(sp)) == STREAM_EOF)
            return netstring_stream_error(sp);
        if (ch == NETSTRING_COLON) {
            if (digits == 0)
                return NETSTRING_ERR_FORMAT;
            *len = value;
            return NETSTRING_OK;
        }
        if (ch < '0' || ch > '9' || ++digits > NETSTRING_DIGITS_MAX)
            return NETSTRING_ERR_FORMAT;
        if ((err = netstring_add_digit(&value, ch, limit)) != NETSTRING_OK)
            return err;
    }
}

int netstring_get_terminator(struct stream *sp)
{
    int ch;

    if ((ch = stream_getc(sp)) == STREAM_EOF)
        return netstring_stream_error(sp);
    return ch == NETSTRING_COMMA ? NETSTRING_OK : NETSTRING_ERR_FORMAT;
}

int netstring_peek_terminator(struct stream *sp, int *found)
{
    int ch;

    if ((ch = stream_peekc(sp)) == STREAM_EOF)
        return netstring_stream_error(sp);
    *found = (ch == NETSTRING_COMMA);
    return NETSTRING_OK;
}

int netstring_get_data(struct stream *sp, struct buf *bp, size_t len)
{
    buf_reset(bp);
    while (bp->len < len) {
        size_t want = len - bp->len;
        size_t got;

        if (want > NETSTRING_READ_CHUNK)
            want = NETSTRING_READ_CHUNK;
        buf_reserve(bp, want);
        got = stream_read(sp, buf_end(bp), want);
        bp->len += got;
        bp->data[bp->len] = 0;
        if (got < want)
            return netstring_stream_error(sp);
    }
    return netstring_get_terminator(sp);
}

int netstring_get(struct stream *sp, struct buf *bp, size_t limit)
{
    size_t len;
    int err;

    if ((err = netstring_get_length(sp, limit, &len)) != NETSTRING_OK)
        return err;
    return netstring_get_data(sp, bp, len);
}

int netstring_parse(const char *data, size_t len, size_t limit,
                    const char **value, size_t *value_len, size_t *consumed)
{
    size_t pos = 0;
    size_t slen = 0;
    int err;

    for (;;) {
        if (pos >= len)
            return NETSTRING_ERR_EOF;
        if (data[pos] == NETSTRING_COLON)
            break;
        if (data[pos] < '0' || data[pos] > '9' || pos >= NETSTRING_DIGITS_MAX)
            return NETSTRING_ERR_FORMAT;
        if ((err = netstring_add_digit(&slen, data[pos], limit)) !=
            NETSTRING_OK)
            return err;
        pos++;
    }
    if (pos == 0)
        return NETSTRING_ERR_FORMAT;
    pos++; /* the ':' */
    /* Written as a subtraction: pos + slen could wrap around. */
    if (len - pos < slen)
        return NETSTRING_ERR_EOF;
    if (len - pos == slen)
        return NETSTRING_ERR_EOF; /* all but the ',' */
    if (data[pos + slen] != NETSTRING_COMMA)
        return NETSTRING_ERR_FORMAT;
    *value = data + pos;
    *value_len = slen;
    *consumed = pos + slen + 1;
    return NETSTRING_OK;
}

const char *netstring_strerror(int code)
{
    switch (code) {
    case NETSTRING_OK:
        return "no error";
    case NETSTRING_ERR_EOF:
        return "unexpected disconnect";
    case NETSTRING_ERR_TIME:
        return "time limit exceeded";
    case NETSTRING_ERR_FORMAT:
        return "input format error";
    case NETSTRING_ERR_SIZE:
        return "input exceeds size limit";
    default:
        return "unknown netstring error";
    }
}
