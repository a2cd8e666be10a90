/*
 * test_netstring - unit tests for netstring encoding and decoding.
 *
 * The stream decoder is fed through pipes (the writer closes: end of
 * input) and socketpairs (the writer stays silent: timeout). Tables cover
 * good netstrings, each malformed shape with its distinct error code,
 * limits at and over the boundary, the nested QMQP shape read the way
 * qmqpd reads it, and the in-memory parser on complete and partial input.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "netstring.h"
#include "stream.h"
#include "unit.h"

/* --- netstring_get on one input --- */

static const struct {
    const char *name;
    const char *input;
    size_t input_len;
    size_t limit;
    int want;
    const char *value;
    size_t value_len;
} get_cases[] = {
    {"plain", "12:hello world!,", UNIT_LEN("12:hello world!,"), 100,
     NETSTRING_OK, "hello world!", 12},
    {"empty string", UNIT_BYTES("0:,"), 100, NETSTRING_OK, "", 0},
    {"empty string with limit 0", UNIT_BYTES("0:,"), 0, NETSTRING_OK, "", 0},
    {"leading zeros accepted", UNIT_BYTES("005:hello,"), 100, NETSTRING_OK,
     "hello", 5},
    {"binary data", UNIT_BYTES("7:a\0,:b\n\xff,"), 100, NETSTRING_OK,
     "a\0,:b\n\xff", 7},
    {"length exactly the limit", UNIT_BYTES("5:hello,"), 5, NETSTRING_OK,
     "hello", 5},
    {"leading non-digit", UNIT_BYTES("x5:hello,"), 100, NETSTRING_ERR_FORMAT,
     NULL, 0},
    {"leading space", UNIT_BYTES(" 5:hello,"), 100, NETSTRING_ERR_FORMAT, NULL,
     0},
    {"negative length", UNIT_BYTES("-1:,"), 100, NETSTRING_ERR_FORMAT, NULL, 0},
    {"empty length", UNIT_BYTES(":hello,"), 100, NETSTRING_ERR_FORMAT, NULL, 0},
    {"empty length of an empty string", UNIT_BYTES(":,"), 100,
     NETSTRING_ERR_FORMAT, NULL, 0},
    {"missing colon", UNIT_BYTES("5hello,"), 100, NETSTRING_ERR_FORMAT, NULL,
     0},
    {"missing comma", UNIT_BYTES("5:hello;"), 100, NETSTRING_ERR_FORMAT, NULL,
     0},
    {"data longer than length", UNIT_BYTES("4:hello,"), 100,
     NETSTRING_ERR_FORMAT, NULL, 0},
    {"longer than the limit", UNIT_BYTES("6:hello!,"), 5, NETSTRING_ERR_SIZE,
     NULL, 0},
    {"limit 0", UNIT_BYTES("1:a,"), 0, NETSTRING_ERR_SIZE, NULL, 0},
    /* Refused at the digit that crosses the limit: no ':' needed. */
    {"huge length, no colon", UNIT_BYTES("99999999999999999999999999999999"),
     SIZE_MAX, NETSTRING_ERR_SIZE, NULL, 0},
    {"one above SIZE_MAX", UNIT_BYTES("18446744073709551616:"), SIZE_MAX,
     NETSTRING_ERR_SIZE, NULL, 0},
    {"too many leading zeros", UNIT_BYTES("000000000000000000005:hello,"), 100,
     NETSTRING_ERR_FORMAT, NULL, 0},
    {"twenty digits accepted", UNIT_BYTES("00000000000000000005:hello,"), 100,
     NETSTRING_OK, "hello", 5},
    {"nothing", UNIT_BYTES(""), 100, NETSTRING_ERR_EOF, NULL, 0},
    {"EOF in the length", UNIT_BYTES("12"), 100, NETSTRING_ERR_EOF, NULL, 0},
    {"EOF after the colon", UNIT_BYTES("5:"), 100, NETSTRING_ERR_EOF, NULL, 0},
    {"EOF in the data", UNIT_BYTES("10:hello"), 100, NETSTRING_ERR_EOF, NULL,
     0},
    {"EOF before the comma", UNIT_BYTES("5:hello"), 100, NETSTRING_ERR_EOF,
     NULL, 0},
};

static void test_netstring_get_table(void)
{
    struct buf *bp = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(get_cases); i++) {
        struct stream *sp =
            unit_stream_feed(get_cases[i].input, get_cases[i].input_len);
        int got = netstring_get(sp, bp, get_cases[i].limit);

        UNIT_CHECK_INT(get_cases[i].name, got, get_cases[i].want);
        if (got == get_cases[i].want && got == NETSTRING_OK) {
            CU_ASSERT_EQUAL(buf_len(bp), get_cases[i].value_len);
            CU_ASSERT(memcmp(buf_str(bp), get_cases[i].value,
                             get_cases[i].value_len) == 0);
            /* All of it was consumed, nothing more. */
            CU_ASSERT_EQUAL(stream_getc(sp), STREAM_EOF);
        }
        stream_close(sp);
    }
    buf_free(bp);
}

static void test_netstring_sequence(void)
{
    static const char input[] = "3:abc,0:,5:de,f\n,";
    struct stream *sp = unit_stream_feed(input, UNIT_LEN(input));
    struct buf *bp = buf_alloc(0);

    CU_ASSERT_EQUAL(netstring_get(sp, bp, 10), NETSTRING_OK);
    CU_ASSERT(buf_equal_str(bp, "abc"));
    CU_ASSERT_EQUAL(netstring_get(sp, bp, 10), NETSTRING_OK);
    CU_ASSERT(buf_equal_str(bp, ""));
    CU_ASSERT_EQUAL(netstring_get(sp, bp, 10), NETSTRING_OK);
    CU_ASSERT(buf_equal_str(bp, "de,f\n"));
    CU_ASSERT_EQUAL(netstring_get(sp, bp, 10), NETSTRING_ERR_EOF);
    stream_close(sp);
    buf_free(bp);
}

/* The pieces one at a time. */
static void test_netstring_pieces(void)
{
    static const char input[] = "5:hello,,;";
    struct stream *sp = unit_stream_feed(input, UNIT_LEN(input));
    struct buf *bp = buf_alloc(0);
    size_t len = 99;
    int found = -1;

    CU_ASSERT_EQUAL(netstring_get_length(sp, 5, &len), NETSTRING_OK);
    CU_ASSERT_EQUAL(len, 5);
    CU_ASSERT_EQUAL(netstring_get_data(sp, bp, len), NETSTRING_OK);
    CU_ASSERT(buf_equal_str(bp, "hello"));
    CU_ASSERT_EQUAL(netstring_peek_terminator(sp, &found), NETSTRING_OK);
    CU_ASSERT_EQUAL(found, 1);
    CU_ASSERT_EQUAL(netstring_get_terminator(sp), NETSTRING_OK);
    CU_ASSERT_EQUAL(netstring_peek_terminator(sp, &found), NETSTRING_OK);
    CU_ASSERT_EQUAL(found, 0);
    CU_ASSERT_EQUAL(netstring_get_terminator(sp), NETSTRING_ERR_FORMAT);
    CU_ASSERT_EQUAL(netstring_peek_terminator(sp, &found), NETSTRING_ERR_EOF);
    CU_ASSERT_EQUAL(netstring_get_terminator(sp), NETSTRING_ERR_EOF);
    stream_close(sp);
    buf_free(bp);
}

/*
 * The QMQP request shape: message, sender, recipients, all wrapped in
 * one netstring. Built with the encoder (checked against golden bytes)
 * and read the way qmqpd reads it: ignore the outer length, read the
 * inner netstrings, find the end by peeking for the outer ','.
 */
static void test_netstring_nested(void)
{
    static const char golden[] = "24:3:Hi\n,3:a@b,3:c@d,3:e@f,,";
    static const char *rcpts[] = {"c@d", "e@f"};
    struct buf *inner = buf_alloc(0);
    struct buf *outer = buf_alloc(0);
    struct buf *bp = buf_alloc(0);
    struct stream *sp;
    size_t len;
    int found;
    int nrcpt = 0;

    netstring_encode(inner, "Hi\n", 3);
    netstring_encode(inner, "a@b", 3);
    for (int i = 0; i < 2; i++)
        netstring_encode(inner, rcpts[i], strlen(rcpts[i]));
    buf_set_str(outer, "");
    netstring_encode(outer, buf_str(inner), buf_len(inner));
    CU_ASSERT_EQUAL(buf_len(outer), UNIT_LEN(golden));
    CU_ASSERT(memcmp(buf_str(outer), golden, UNIT_LEN(golden)) == 0);

    sp = unit_stream_feed(buf_str(outer), buf_len(outer));
    CU_ASSERT_EQUAL(netstring_get_length(sp, SIZE_MAX, &len), NETSTRING_OK);
    CU_ASSERT_EQUAL(len, 24);
    CU_ASSERT_EQUAL(netstring_get(sp, bp, 1000), NETSTRING_OK);
    CU_ASSERT(buf_equal_str(bp, "Hi\n"));
    CU_ASSERT_EQUAL(netstring_get(sp, bp, 100), NETSTRING_OK);
    CU_ASSERT(buf_equal_str(bp, "a@b"));
    for (;;) {
        CU_ASSERT_EQUAL_FATAL(netstring_peek_terminator(sp, &found),
                              NETSTRING_OK);
        if (found)
            break;
        CU_ASSERT_EQUAL_FATAL(netstring_get(sp, bp, 100), NETSTRING_OK);
        CU_ASSERT_FATAL(nrcpt < 2);
        CU_ASSERT(buf_equal_str(bp, rcpts[nrcpt]));
        nrcpt++;
    }
    CU_ASSERT_EQUAL(nrcpt, 2);
    CU_ASSERT_EQUAL(netstring_get_terminator(sp), NETSTRING_OK);
    CU_ASSERT_EQUAL(stream_getc(sp), STREAM_EOF);
    stream_close(sp);

    /* The client went away after the last recipient: no outer ','. */
    sp = unit_stream_feed(buf_str(outer), buf_len(outer) - 1);
    CU_ASSERT_EQUAL(netstring_get_length(sp, SIZE_MAX, &len), NETSTRING_OK);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(netstring_get(sp, bp, 100), NETSTRING_OK);
    CU_ASSERT_EQUAL(netstring_peek_terminator(sp, &found), NETSTRING_ERR_EOF);
    stream_close(sp);

    buf_free(inner);
    buf_free(outer);
    buf_free(bp);
}

/* A peer that stops sending: TIME, distinct from EOF. */
static void test_netstring_timeout(void)
{
    static const struct {
        const char *name;
        const char *input;
    } cases[] = {
        {"silent from the start", ""},
        {"silent in the length", "12"},
        {"silent in the data", "10:hello"},
        {"silent before the comma", "5:hello"},
    };
    struct buf *bp = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        int peer;
        struct stream *sp =
            unit_stream_silent(cases[i].input, strlen(cases[i].input), &peer);

        if (netstring_get(sp, bp, 100) != NETSTRING_ERR_TIME)
            CU_FAIL(cases[i].name);
        CU_ASSERT(stream_error(sp) & STREAM_ERR_TIMEOUT);
        stream_close(sp);
        close(peer);
    }
    buf_free(bp);
}

/* A peer that closes mid-data over a socket: EOF, not TIME. */
static void test_netstring_disconnect(void)
{
    int peer;
    struct stream *sp = unit_stream_silent(UNIT_BYTES("10:hello"), &peer);
    struct buf *bp = buf_alloc(0);

    close(peer);
    CU_ASSERT_EQUAL(netstring_get(sp, bp, 100), NETSTRING_ERR_EOF);
    stream_close(sp);
    buf_free(bp);
}

/* netstring_put and netstring_encode, read back by the decoders. */
static void test_netstring_roundtrip(void)
{
    static const struct {
        const char *data;
        size_t len;
        const char *encoded;
        size_t enc_len;
    } cases[] = {
        {UNIT_BYTES(""), UNIT_BYTES("0:,")},
        {UNIT_BYTES("a"), UNIT_BYTES("1:a,")},
        {UNIT_BYTES("hello world!"), UNIT_BYTES("12:hello world!,")},
        {UNIT_BYTES("1:a,"), UNIT_BYTES("4:1:a,,")},
        {UNIT_BYTES("\0\0"), UNIT_BYTES("2:\0\0,")},
    };
    struct stream *sp = unit_stream_tmpfile("roundtrip", NULL);
    struct buf *bp = buf_alloc(0);
    struct buf *big = buf_alloc(0);

    for (size_t i = 0; i < 100000; i++)
        buf_append_char(big, (int)(i * 13));
    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        buf_reset(bp);
        netstring_encode(bp, cases[i].data, cases[i].len);
        CU_ASSERT_EQUAL(buf_len(bp), cases[i].enc_len);
        CU_ASSERT(memcmp(buf_str(bp), cases[i].encoded, cases[i].enc_len) == 0);
        CU_ASSERT_EQUAL(netstring_put(sp, cases[i].data, cases[i].len), 0);
    }
    CU_ASSERT_EQUAL(netstring_put(sp, buf_str(big), buf_len(big)), 0);
    CU_ASSERT_EQUAL(stream_seek(sp, 0, SEEK_SET), 0);
    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        CU_ASSERT_EQUAL(netstring_get(sp, bp, 100), NETSTRING_OK);
        CU_ASSERT_EQUAL(buf_len(bp), cases[i].len);
        CU_ASSERT(memcmp(buf_str(bp), cases[i].data, cases[i].len) == 0);
    }
    CU_ASSERT_EQUAL(netstring_get(sp, bp, 99999), NETSTRING_ERR_SIZE);
    CU_ASSERT_EQUAL(stream_seek(sp, 0, SEEK_SET), 0);
    for (size_t i = 0; i < UNIT_COUNT(cases); i++)
        CU_ASSERT_EQUAL(netstring_get(sp, bp, 100), NETSTRING_OK);
    CU_ASSERT_EQUAL(netstring_get(sp, bp, 100000), NETSTRING_OK);
    CU_ASSERT_EQUAL(buf_len(bp), 100000);
    CU_ASSERT(memcmp(buf_str(bp), buf_str(big), 100000) == 0);
    CU_ASSERT_EQUAL(netstring_get(sp, bp, 100), NETSTRING_ERR_EOF);
    stream_close(sp);
    buf_free(bp);
    buf_free(big);
}

/* --- netstring_parse --- */

static void test_netstring_parse_table(void)
{
    static const struct {
        const char *name;
        const char *input;
        size_t input_len;
        size_t limit;
        int want;
        const char *value;
        size_t value_len;
        size_t consumed;
    } cases[] = {
        {"plain", UNIT_BYTES("5:hello,"), 100, NETSTRING_OK,
         UNIT_BYTES("hello"), 8},
        {"trailing data", UNIT_BYTES("5:hello,3:abc,"), 100, NETSTRING_OK,
         UNIT_BYTES("hello"), 8},
        {"empty", UNIT_BYTES("0:,"), 100, NETSTRING_OK, UNIT_BYTES(""), 3},
        {"leading zero", UNIT_BYTES("05:hello,"), 100, NETSTRING_OK,
         UNIT_BYTES("hello"), 9},
        {"binary", UNIT_BYTES("3:\0,\0,"), 100, NETSTRING_OK,
         UNIT_BYTES("\0,\0"), 6},
        {"no input", UNIT_BYTES(""), 100, NETSTRING_ERR_EOF, NULL, 0, 0},
        {"partial length", UNIT_BYTES("1"), 100, NETSTRING_ERR_EOF, NULL, 0, 0},
        {"partial data", UNIT_BYTES("5:hel"), 100, NETSTRING_ERR_EOF, NULL, 0,
         0},
        {"no comma yet", UNIT_BYTES("5:hello"), 100, NETSTRING_ERR_EOF, NULL, 0,
         0},
        {"leading non-digit", UNIT_BYTES("a5:hello,"), 100,
         NETSTRING_ERR_FORMAT, NULL, 0, 0},
        {"empty length", UNIT_BYTES(":,"), 100, NETSTRING_ERR_FORMAT, NULL, 0,
         0},
        {"missing colon", UNIT_BYTES("5hello,"), 100, NETSTRING_ERR_FORMAT,
         NULL, 0, 0},
        {"missing comma", UNIT_BYTES("5:hello."), 100, NETSTRING_ERR_FORMAT,
         NULL, 0, 0},
        {"over the limit", UNIT_BYTES("6:hello!,"), 5, NETSTRING_ERR_SIZE, NULL,
         0, 0},
        {"over the limit, incomplete", UNIT_BYTES("6"), 5, NETSTRING_ERR_SIZE,
         NULL, 0, 0},
        {"huge", UNIT_BYTES("999999999999999999999999:"), SIZE_MAX,
         NETSTRING_ERR_SIZE, NULL, 0, 0},
        {"huge length, little data", UNIT_BYTES("184467440737095516:x"),
         SIZE_MAX, NETSTRING_ERR_EOF, NULL, 0, 0},
        {"too many zeros", UNIT_BYTES("000000000000000000000:,"), 100,
         NETSTRING_ERR_FORMAT, NULL, 0, 0},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        const char *value = NULL;
        size_t value_len = 0;
        size_t consumed = 0;
        int got =
            netstring_parse(cases[i].input, cases[i].input_len, cases[i].limit,
                            &value, &value_len, &consumed);

        UNIT_CHECK_INT(cases[i].name, got, cases[i].want);
        if (got == cases[i].want && got == NETSTRING_OK) {
            CU_ASSERT_EQUAL(value_len, cases[i].value_len);
            CU_ASSERT(memcmp(value, cases[i].value, value_len) == 0);
            CU_ASSERT_EQUAL(consumed, cases[i].consumed);
            CU_ASSERT(value >= cases[i].input &&
                      value + value_len <= cases[i].input + consumed);
        }
    }
}

/* Nested parse: the outer value parsed again as a sequence. */
static void test_netstring_parse_nested(void)
{
    static const char input[] = "24:3:Hi\n,3:a@b,3:c@d,3:e@f,,";
    static const char *want[] = {"Hi\n", "a@b", "c@d", "e@f"};
    const char *outer;
    size_t outer_len;
    size_t consumed;
    const char *value;
    size_t value_len;
    size_t used;
    size_t pos = 0;
    int n = 0;

    CU_ASSERT_EQUAL_FATAL(netstring_parse(input, UNIT_LEN(input), 100, &outer,
                                          &outer_len, &consumed),
                          NETSTRING_OK);
    CU_ASSERT_EQUAL(consumed, UNIT_LEN(input));
    while (pos < outer_len) {
        CU_ASSERT_EQUAL_FATAL(netstring_parse(outer + pos, outer_len - pos, 100,
                                              &value, &value_len, &used),
                              NETSTRING_OK);
        CU_ASSERT_FATAL(n < 4);
        CU_ASSERT_EQUAL(value_len, strlen(want[n]));
        CU_ASSERT(memcmp(value, want[n], value_len) == 0);
        pos += used;
        n++;
    }
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT_EQUAL(pos, outer_len);
}

static void test_netstring_strerror(void)
{
    static const struct {
        int code;
        const char *text;
    } cases[] = {
        {NETSTRING_OK, "no error"},
        {NETSTRING_ERR_EOF, "unexpected disconnect"},
        {NETSTRING_ERR_TIME, "time limit exceeded"},
        {NETSTRING_ERR_FORMAT, "input format error"},
        {NETSTRING_ERR_SIZE, "input exceeds size limit"},
        {42, "unknown netstring error"},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++)
        CU_ASSERT_STRING_EQUAL(netstring_strerror(cases[i].code),
                               cases[i].text);
    /* The codes are distinct. */
    CU_ASSERT(NETSTRING_ERR_EOF != NETSTRING_ERR_TIME);
    CU_ASSERT(NETSTRING_ERR_FORMAT != NETSTRING_ERR_SIZE);
    CU_ASSERT(NETSTRING_ERR_EOF != NETSTRING_ERR_FORMAT);
}

static const struct unit_case stream_cases[] = {
    {"netstring_get table", test_netstring_get_table},
    {"a sequence of netstrings", test_netstring_sequence},
    {"length, data, terminator, peek", test_netstring_pieces},
    {"nested QMQP shape", test_netstring_nested},
    {"timeout from a silent peer", test_netstring_timeout},
    {"disconnect in the data", test_netstring_disconnect},
    {"encoder round trip", test_netstring_roundtrip},
    {NULL, NULL},
};

static const struct unit_case parse_cases[] = {
    {"netstring_parse table", test_netstring_parse_table},
    {"nested parse", test_netstring_parse_nested},
    {"error texts", test_netstring_strerror},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"netstring stream", stream_cases},
    {"netstring memory", parse_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
