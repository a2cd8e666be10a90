/*
 * fuzz_netstring - libFuzzer target: the netstring decoders
 *
 * What it feeds where: the input bytes, as they are, go to
 *  1. netstring_parse(), netstring after netstring from the start of the
 *     input (as a reader of already-buffered data walks it), once with no
 *     limit and once with a small one; the value of each netstring is
 *     parsed again as a sequence of netstrings (the nested QMQP shape);
 *  2. netstring_get() over a memory-backed file (memfd) holding the
 *     input, netstring after netstring until a result other than OK;
 *  3. the piecewise decoder the way qmqpd reads a QMQP request, over a
 *     second memfd: netstring_get_length() of the outer netstring, then
 *     netstring_peek_terminator() and netstring_get() of the inner ones
 *     until the outer ',' (netstring_get_terminator()).
 *
 * Checks besides the sanitizers: a parsed value lies inside the input;
 * netstring_parse() and the stream decoder give the same result code and
 * value for the first netstring; a netstring written without leading
 * zeros re-encodes (netstring_encode()) to exactly the bytes parsed.
 * Everything is freed and closed before the next input.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fuzz_input.h"
#include "netstring.h"
#include "stream.h"

/* The limits the decoders are run with: none, and one that inputs hit. */
static const size_t fuzz_limits[] = {SIZE_MAX, 16};

#define FUZZ_NLIMITS (sizeof(fuzz_limits) / sizeof(fuzz_limits[0]))

/* Nesting of values parsed again, so the C stack stays small. */
#define FUZZ_NEST_MAX 4

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_input_init("fuzz_netstring");
    return 0;
}

/* Walk data as a sequence of netstrings; recurse into each value. */
static void fuzz_parse_all(const char *data, size_t len, size_t limit,
                           int depth, struct buf *scratch)
{
    size_t pos = 0;

    while (pos < len) {
        const char *value = NULL;
        size_t value_len = 0;
        size_t consumed = 0;
        int code = netstring_parse(data + pos, len - pos, limit, &value,
                                   &value_len, &consumed);

        FUZZ_CHECK(netstring_strerror(code) != NULL);
        if (code != NETSTRING_OK)
            return;
        FUZZ_CHECK(consumed >= 3 && consumed <= len - pos);
        FUZZ_CHECK(value > data + pos &&
                   value + value_len < data + pos + consumed);
        FUZZ_CHECK(value_len <= limit);
        if (data[pos] != '0' || data[pos + 1] == ':') {
            buf_reset(scratch);
            netstring_encode(scratch, value, value_len);
            FUZZ_CHECK(buf_len(scratch) == consumed &&
                       memcmp(buf_str(scratch), data + pos, consumed) == 0);
        }
        if (depth < FUZZ_NEST_MAX)
            fuzz_parse_all(value, value_len, limit, depth + 1, scratch);
        pos += consumed;
    }
}

/* netstring_get() until it fails; the first result must match parse's. */
static void fuzz_stream_all(const uint8_t *data, size_t size, size_t limit,
                            struct buf *bp)
{
    const char *value = NULL;
    size_t value_len = 0;
    size_t consumed = 0;
    int expect = netstring_parse((const char *)data, size, limit, &value,
                                 &value_len, &consumed);
    struct stream *sp = stream_fdopen(fuzz_input_memfd(data, size), 1);
    int code = netstring_get(sp, bp, limit);

    FUZZ_CHECK(code == expect);
    if (code == NETSTRING_OK)
        FUZZ_CHECK(buf_len(bp) == value_len &&
                   memcmp(buf_str(bp), value, value_len) == 0);
    /* Each netstring takes at least 3 bytes, so this ends at the input's. */
    while (code == NETSTRING_OK)
        code = netstring_get(sp, bp, limit);
    FUZZ_CHECK(code != NETSTRING_ERR_TIME);
    stream_close(sp);
}

/* The outer netstring's length is read and not trusted, as qmqpd does. */
static void fuzz_stream_nested(const uint8_t *data, size_t size, size_t limit,
                               struct buf *bp)
{
    struct stream *sp = stream_fdopen(fuzz_input_memfd(data, size), 1);
    size_t outer;
    int found;

    if (netstring_get_length(sp, limit, &outer) == NETSTRING_OK) {
        for (;;) {
            if (netstring_peek_terminator(sp, &found) != NETSTRING_OK)
                break;
            if (found) {
                FUZZ_CHECK(netstring_get_terminator(sp) == NETSTRING_OK);
                break;
            }
            if (netstring_get(sp, bp, limit) != NETSTRING_OK)
                break;
        }
    }
    stream_close(sp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf *bp = buf_alloc(64);

    for (size_t i = 0; i < FUZZ_NLIMITS; i++) {
        fuzz_parse_all((const char *)data, size, fuzz_limits[i], 0, bp);
        fuzz_stream_all(data, size, fuzz_limits[i], bp);
    }
    fuzz_stream_nested(data, size, SIZE_MAX, bp);
    buf_free(bp);
    return 0;
}
