#ifndef POSTERN_NETSTRING_H
#define POSTERN_NETSTRING_H

#include <stddef.h>

#include "buf.h"
#include "stream.h"

/*
 * Netstrings (D. J. Bernstein, netstrings.txt): the byte string S is sent
 * as the decimal length of S, ':', the bytes of S, ','. "12:hello world!,"
 * and the empty string "0:," are examples. Netstrings nest: QMQP wraps a
 * sequence of netstrings in an outer one.
 */
#define NETSTRING_COLON ':'
#define NETSTRING_COMMA ','

/*
 * Length digits accepted before ':'. Leading zeros are accepted (as
 * Postfix does), so this bounds a run of zeros; any value above the
 * caller's limit is already rejected while the digits arrive.
 */
#define NETSTRING_DIGITS_MAX 20

/* Results of the decoders, distinct so callers can word their replies. */
#define NETSTRING_OK         0
#define NETSTRING_ERR_EOF    1 /* disconnect, end of file, I/O error */
#define NETSTRING_ERR_TIME   2 /* stream timeout */
#define NETSTRING_ERR_FORMAT 3 /* bad length digit, missing ':' or ',' */
#define NETSTRING_ERR_SIZE   4 /* length above the caller's limit */

void netstring_encode(struct buf *out, const void *data, size_t len);
int netstring_put(struct stream *sp, const void *data, size_t len);

int netstring_get_length(struct stream *sp, size_t limit, size_t *len);
int netstring_get_data(struct stream *sp, struct buf *bp, size_t len);
int netstring_get_terminator(struct stream *sp);
int netstring_peek_terminator(struct stream *sp, int *found);
int netstring_get(struct stream *sp, struct buf *bp, size_t limit);

int netstring_parse(const char *data, size_t len, size_t limit,
                    const char **value, size_t *value_len, size_t *consumed);

const char *netstring_strerror(int code);

#endif
