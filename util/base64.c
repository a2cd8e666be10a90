/*
 * base64 - standard base64 encoding and strict decoding
 *
 * The attribute protocols carry binary values (DATA attributes such as
 * the delivery request's "time" statistics) as base64 text, so that a
 * value never contains the NUL byte that ends it on the wire. This is the
 * RFC 4648 alphabet with '=' padding; no line breaks are produced or
 * accepted.
 *
 * Public functions:
 *	base64_encode(out, data, len)	append the encoding of len bytes to
 *					out (always padded to a multiple of
 *					four characters)
 *	base64_decode(out, text, len)	append the decoded bytes of len
 *					characters of text to out; 0 on
 *					success, -1 on malformed input (out
 *					is then left as it was)
 *
 * Decoding rejects: a length that is not a multiple of four, any byte
 * outside the alphabet (white space included), '=' anywhere but in the
 * last two positions, and a '=' followed by a non-'=' character. The
 * unused low bits of the last group are not checked: Postfix does not
 * check them either, and a non-canonical encoding still has exactly one
 * meaning.
 *
 * Diagnostics: none; callers report malformed input in their own terms.
 *
 * Configuration parameters: none.
 */
#include "base64.h"

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

#define BASE64_PAD '='

void base64_encode(struct buf *out, const void *data, size_t len)
{
    const unsigned char *in = data;
    size_t i;
    char *dst;

    buf_reserve(out, BASE64_ENCODED_LEN(len));
    dst = buf_end(out);
    for (i = 0; i + 3 <= len; i += 3) {
        unsigned long group = ((unsigned long)in[i] << 16) |
                              ((unsigned long)in[i + 1] << 8) | in[i + 2];

        *dst++ = base64_alphabet[(group >> 18) & 077];
        *dst++ = base64_alphabet[(group >> 12) & 077];
        *dst++ = base64_alphabet[(group >> 6) & 077];
        *dst++ = base64_alphabet[group & 077];
    }
    if (i < len) {
        unsigned long group = (unsigned long)in[i] << 16;

        if (i + 1 < len)
            group |= (unsigned long)in[i + 1] << 8;
        *dst++ = base64_alphabet[(group >> 18) & 077];
        *dst++ = base64_alphabet[(group >> 12) & 077];
        *dst++ = i + 1 < len ? base64_alphabet[(group >> 6) & 077] : BASE64_PAD;
        *dst++ = BASE64_PAD;
    }
    out->len = (size_t)(dst - out->data);
    out->data[out->len] = 0;
}

/* The 6-bit value of an alphabet character, or -1. */
static int base64_value(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

int base64_decode(struct buf *out, const char *text, size_t len)
{
    const unsigned char *in = (const unsigned char *)text;
    size_t old_len = out->len;

    if (len % 4 != 0)
        return -1;
    buf_reserve(out, len / 4 * 3);
    for (size_t i = 0; i < len; i += 4) {
        int last_group = (i + 4 == len);
        int vals[4];
        int npad = 0;
        unsigned long group = 0;

        for (int j = 0; j < 4; j++) {
            unsigned char ch = in[i + j];

            /* Padding only fills the end of the last group. */
            if (ch == BASE64_PAD && last_group && j >= 2) {
                vals[j] = 0;
                npad++;
                continue;
            }
            if (npad > 0 || (vals[j] = base64_value(ch)) < 0) {
                buf_truncate(out, old_len);
                return -1;
            }
        }
        for (int j = 0; j < 4; j++)
            group = (group << 6) | (unsigned long)vals[j];
        buf_append_char(out, (int)((group >> 16) & 0xff));
        if (npad < 2)
            buf_append_char(out, (int)((group >> 8) & 0xff));
        if (npad < 1)
            buf_append_char(out, (int)(group & 0xff));
    }
    return 0;
}
