/*
 * test_attr - unit tests for the attribute list codec ("0" encoding).
 *
 * Output is checked against golden bytes written out here; input is fed
 * through pipes (the writer closes: end of input) and socketpairs (a
 * silent writer: timeout). Tables cover scanning in order, skipping,
 * ATTR_FLAG_EXTRA / MISSING / MORE, groups, DATA, limits, malformed
 * numbers and base64, lists cut short, and the protocol announcement.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attr.h"
#include "buf.h"
#include "mem.h"
#include "stream.h"
#include "unit.h"

/* Output capture: a stream into a file, and the bytes written so far. */
struct sink {
    char *path;
    struct stream *sp;
};

static void sink_open(struct sink *sk)
{
    sk->sp = unit_stream_tmpfile("sink", &sk->path);
}

/* Compare everything written with the golden bytes. */
static int sink_equals(struct sink *sk, const char *golden, size_t len)
{
    size_t got_len;
    char *got;
    int same;

    CU_ASSERT_FATAL(stream_flush(sk->sp) == 0);
    got = unit_read_file(sk->path, &got_len);
    same = got != NULL && got_len == len && memcmp(got, golden, len) == 0;
    if (!same && got != NULL) {
        fprintf(stderr, "got %zu bytes:", got_len);
        for (size_t i = 0; i < got_len; i++)
            fprintf(stderr, got[i] ? "%c" : "\\0", got[i]);
        fprintf(stderr, "\n");
    }
    mem_free(got);
    return same;
}

/* Rewind the sink for reading back what was written. */
static struct stream *sink_reader(struct sink *sk)
{
    CU_ASSERT_FATAL(stream_seek(sk->sp, 0, SEEK_SET) == 0);
    return sk->sp;
}

static void sink_close(struct sink *sk)
{
    stream_close(sk->sp);
    mem_free(sk->path);
}

/* --- printing --- */

static void test_attr_print_golden(void)
{
    static const char golden[] = "status\0"
                                 "0\0"
                                 "reason\0"
                                 "ok\0"
                                 "size\0"
                                 "12345\0"
                                 "time\0"
                                 "AQID\0"
                                 "neg\0"
                                 "4294967295\0"
                                 "lneg\0"
                                 "18446744073709551615\0"
                                 "empty\0"
                                 "\0"
                                 "null\0"
                                 "\0"
                                 "\0";
    struct sink sk;

    sink_open(&sk);
    CU_ASSERT_EQUAL(
        attr_print(sk.sp, ATTR_FLAG_NONE, ATTR_SEND_INT("status", 0),
                   ATTR_SEND_STR("reason", "ok"), ATTR_SEND_LONG("size", 12345),
                   ATTR_SEND_DATA("time", "\x01\x02\x03", 3),
                   ATTR_SEND_INT("neg", -1), ATTR_SEND_LONG("lneg", -1),
                   ATTR_SEND_STR("empty", ""), ATTR_SEND_STR("null", NULL),
                   ATTR_END),
        0);
    CU_ASSERT(sink_equals(&sk, golden, UNIT_LEN(golden)));
    sink_close(&sk);
}

/* The raw item form, without the macros, writes the same bytes. */
static void test_attr_print_raw_items(void)
{
    static const char golden[] = "a\0"
                                 "7\0"
                                 "b\0"
                                 "x\0"
                                 "\0";
    struct sink sk;

    sink_open(&sk);
    CU_ASSERT_EQUAL(attr_print(sk.sp, ATTR_FLAG_NONE, ATTR_INT, "a", 7,
                               ATTR_STR, "b", "x", ATTR_END),
                    0);
    CU_ASSERT(sink_equals(&sk, golden, UNIT_LEN(golden)));
    sink_close(&sk);
}

/* ATTR_FLAG_MORE: no terminator; a later call finishes the list. */
static void test_attr_print_more(void)
{
    static const char golden[] = "queue_name\0"
                                 "active\0"
                                 "recipient\0"
                                 "a@b\0"
                                 "\0"
                                 "\0";
    struct sink sk;

    sink_open(&sk);
    attr_print(sk.sp, ATTR_FLAG_MORE, ATTR_SEND_STR("queue_name", "active"),
               ATTR_END);
    CU_ASSERT(sink_equals(&sk, golden, UNIT_LEN("queue_name\0active\0")));
    attr_print(sk.sp, ATTR_FLAG_NONE, ATTR_SEND_STR("recipient", "a@b"),
               ATTR_END);
    attr_print(sk.sp, ATTR_FLAG_NONE, ATTR_END);
    CU_ASSERT(sink_equals(&sk, golden, UNIT_LEN(golden)));
    sink_close(&sk);
}

static void test_attr_print_hash(void)
{
    static const char golden[] = "before\0"
                                 "1\0"
                                 "{\0"
                                 "a\0"
                                 "1\0"
                                 "b\0"
                                 "two\0"
                                 "}\0"
                                 "after\0"
                                 "2\0"
                                 "\0";
    struct attr_table *table = attr_table_create();
    struct attr_table *back = attr_table_create();
    struct sink sk;
    int before = 0;
    int after = 0;

    attr_table_set(table, "a", "0");
    attr_table_set(table, "b", "two");
    attr_table_set(table, "a", "1"); /* replaced in place */
    sink_open(&sk);
    attr_print(sk.sp, ATTR_FLAG_NONE, ATTR_SEND_INT("before", 1),
               ATTR_SEND_HASH(table), ATTR_SEND_INT("after", 2), ATTR_END);
    CU_ASSERT(sink_equals(&sk, golden, UNIT_LEN(golden)));

    CU_ASSERT_EQUAL(attr_scan(sink_reader(&sk), ATTR_FLAG_STRICT,
                              ATTR_RECV_INT("before", &before),
                              ATTR_RECV_HASH(back),
                              ATTR_RECV_INT("after", &after), ATTR_END),
                    3);
    CU_ASSERT_EQUAL(before, 1);
    CU_ASSERT_EQUAL(after, 2);
    CU_ASSERT_EQUAL(back->count, 2);
    CU_ASSERT_STRING_EQUAL(back->names[0], "a");
    CU_ASSERT_STRING_EQUAL(attr_table_get(back, "a"), "1");
    CU_ASSERT_STRING_EQUAL(attr_table_get(back, "b"), "two");
    CU_ASSERT_PTR_NULL(attr_table_get(back, "c"));
    sink_close(&sk);
    attr_table_free(table);
    attr_table_free(back);
}

/* A write to a dead peer shows as -1. */
static void test_attr_print_error(void)
{
    struct stream *sp = unit_stream_dead_peer();

    CU_ASSERT_EQUAL(
        attr_print(sp, ATTR_FLAG_NONE, ATTR_SEND_INT("a", 1), ATTR_END),
        0); /* buffered: nothing known yet */
    CU_ASSERT_EQUAL(stream_flush(sp), -1);
    CU_ASSERT_EQUAL(
        attr_print(sp, ATTR_FLAG_NONE, ATTR_SEND_INT("a", 1), ATTR_END), -1);
    stream_close(sp);
}

/* --- scanning --- */

/* The golden list of test_attr_print_golden, read back. */
static void test_attr_scan_in_order(void)
{
    static const char input[] = "status\0"
                                "0\0"
                                "reason\0"
                                "ok\0"
                                "size\0"
                                "12345\0"
                                "time\0"
                                "AQID\0"
                                "neg\0"
                                "4294967295\0"
                                "lneg\0"
                                "18446744073709551615\0"
                                "\0";
    struct stream *sp = unit_stream_feed(input, UNIT_LEN(input));
    struct buf *reason = buf_alloc(0);
    struct buf *time = buf_alloc(0);
    int status = -5;
    long size = 0;
    int neg = 0;
    long lneg = 0;

    unit_capture_start();
    CU_ASSERT_EQUAL(
        attr_scan(sp, ATTR_FLAG_STRICT, ATTR_RECV_INT("status", &status),
                  ATTR_RECV_STR("reason", reason),
                  ATTR_RECV_LONG("size", &size), ATTR_RECV_DATA("time", time),
                  ATTR_RECV_INT("neg", &neg), ATTR_RECV_LONG("lneg", &lneg),
                  ATTR_END),
        6);
    CU_ASSERT_EQUAL(unit_warning_count(), 0);
    unit_capture_stop();
    CU_ASSERT_EQUAL(status, 0);
    CU_ASSERT(buf_equal_str(reason, "ok"));
    CU_ASSERT_EQUAL(size, 12345);
    CU_ASSERT_EQUAL(buf_len(time), 3);
    CU_ASSERT(memcmp(buf_str(time), "\x01\x02\x03", 3) == 0);
    CU_ASSERT_EQUAL(neg, -1);
    CU_ASSERT_EQUAL(lneg, -1);
    /* The terminator was consumed, nothing more. */
    CU_ASSERT_EQUAL(stream_getc(sp), STREAM_EOF);
    stream_close(sp);
    buf_free(reason);
    buf_free(time);
}

/*
 * The scanning rules, one list each. Every case asks for "status" (int)
 * then "reason" (string) and feeds a second list "next" = "1" after the
 * first, to show where the reader stopped.
 */
static void test_attr_scan_rules(void)
{
    static const struct {
        const char *name;
        const char *input;
        size_t len;
        int flags;
        int want;            /* attr_scan result */
        int status;          /* value stored, or -5 if none */
        const char *reason;  /* value stored, or NULL if none */
        const char *warning; /* substring; "" for none */
        int next_ok;         /* the following list is readable */
    } cases[] = {
        {"exact",
         UNIT_BYTES("status\0"
                    "3\0"
                    "reason\0"
                    "r\0"
                    "\0"),
         ATTR_FLAG_NONE, 2, 3, "r", "", 1},
        {"unknown skipped",
         UNIT_BYTES("status\0"
                    "3\0"
                    "extra\0"
                    "x\0"
                    "reason\0"
                    "r\0"
                    "\0"),
         ATTR_FLAG_NONE, 2, 3, "r", "", 1},
        {"unknown at the end skipped",
         UNIT_BYTES("status\0"
                    "3\0"
                    "reason\0"
                    "r\0"
                    "extra\0"
                    "x\0"
                    "\0"),
         ATTR_FLAG_NONE, 2, 3, "r", "", 1},
        {"unknown group skipped",
         UNIT_BYTES("status\0"
                    "3\0"
                    "{\0"
                    "k\0"
                    "v\0"
                    "}\0"
                    "reason\0"
                    "r\0"
                    "\0"),
         ATTR_FLAG_NONE, 2, 3, "r", "", 1},
        {"extra refused",
         UNIT_BYTES("status\0"
                    "3\0"
                    "extra\0"
                    "x\0"
                    "reason\0"
                    "r\0"
                    "\0"),
         ATTR_FLAG_EXTRA, -1, 3, NULL,
         "unexpected attribute extra (expecting reason)", 0},
        {"extra at the end refused",
         UNIT_BYTES("status\0"
                    "3\0"
                    "reason\0"
                    "r\0"
                    "extra\0"
                    "x\0"
                    "\0"),
         ATTR_FLAG_STRICT, -1, 3, "r",
         "unexpected attribute extra (expecting the end of the list)", 0},
        {"missing, quietly",
         UNIT_BYTES("status\0"
                    "3\0"
                    "\0"),
         ATTR_FLAG_NONE, 1, 3, NULL, "", 1},
        {"missing, with a warning",
         UNIT_BYTES("status\0"
                    "3\0"
                    "\0"),
         ATTR_FLAG_MISSING, 1, 3, NULL, "missing attribute reason", 1},
        {"empty list", UNIT_BYTES("\0"), ATTR_FLAG_MISSING, 0, -5, NULL,
         "missing attribute status", 1},
        {"wrong order",
         UNIT_BYTES("reason\0"
                    "r\0"
                    "status\0"
                    "3\0"
                    "\0"),
         ATTR_FLAG_NONE, 1, 3, NULL, "", 1},
        {"wrong order, strict",
         UNIT_BYTES("reason\0"
                    "r\0"
                    "status\0"
                    "3\0"
                    "\0"),
         ATTR_FLAG_STRICT, -1, -5, NULL, "unexpected attribute reason", 0},
        {"more: terminator left",
         UNIT_BYTES("status\0"
                    "3\0"
                    "reason\0"
                    "r\0"
                    "\0"),
         ATTR_FLAG_MORE, 2, 3, "r", "", 0},
        {"names are case-sensitive",
         UNIT_BYTES("Status\0"
                    "3\0"
                    "\0"),
         ATTR_FLAG_NONE, 0, -5, NULL, "", 1},
    };
    static const char next[] = "next\0"
                               "1\0"
                               "\0";
    struct buf *reason = buf_alloc(0);
    struct buf *input = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct stream *sp;
        int status = -5;
        int got;
        int next_val = 0;

        buf_set(input, cases[i].input, cases[i].len);
        buf_append(input, next, UNIT_LEN(next));
        sp = unit_stream_feed(buf_str(input), buf_len(input));
        buf_set_str(reason, "(none)");
        unit_capture_start();
        got = attr_scan(sp, cases[i].flags, ATTR_RECV_INT("status", &status),
                        ATTR_RECV_STR("reason", reason), ATTR_END);
        unit_capture_stop();
        UNIT_CHECK_INT(cases[i].name, got, cases[i].want);
        CU_ASSERT_EQUAL(status, cases[i].status);
        CU_ASSERT(buf_equal_str(reason,
                                cases[i].reason ? cases[i].reason : "(none)"));
        UNIT_CHECK_WARNING(cases[i].name, cases[i].warning);
        if (cases[i].next_ok) {
            CU_ASSERT_EQUAL(attr_scan(sp, ATTR_FLAG_STRICT,
                                      ATTR_RECV_INT("next", &next_val),
                                      ATTR_END),
                            1);
            CU_ASSERT_EQUAL(next_val, 1);
        }
        stream_close(sp);
    }
    buf_free(reason);
    buf_free(input);
}

/*
 * Lists read in parts (ATTR_FLAG_MORE), and a stream of lists ended by a
 * lone NUL, the way showq sends its queue listing.
 */
static void test_attr_scan_stream_of_lists(void)
{
    static const char input[] = "queue_id\0"
                                "A1\0"
                                "sender\0"
                                "s@x\0"
                                "recipient\0"
                                "r1@x\0"
                                "\0"
                                "queue_id\0"
                                "B2\0"
                                "sender\0"
                                "\0"
                                "recipient\0"
                                "r2@x\0"
                                "\0"
                                "\0";
    static const char *want_ids[] = {"A1", "B2"};
    static const char *want_rcpts[] = {"r1@x", "r2@x"};
    struct stream *sp = unit_stream_feed(input, UNIT_LEN(input));
    struct buf *id = buf_alloc(0);
    struct buf *sender = buf_alloc(0);
    struct buf *rcpt = buf_alloc(0);
    int n = 0;
    int got;

    for (;;) {
        got = attr_scan(sp, ATTR_FLAG_MORE | ATTR_FLAG_EXTRA,
                        ATTR_RECV_STR("queue_id", id),
                        ATTR_RECV_STR("sender", sender), ATTR_END);
        if (got == 0)
            break;
        CU_ASSERT_EQUAL_FATAL(got, 2);
        CU_ASSERT_FATAL(n < 2);
        CU_ASSERT(buf_equal_str(id, want_ids[n]));
        CU_ASSERT_EQUAL(attr_scan(sp, ATTR_FLAG_STRICT,
                                  ATTR_RECV_STR("recipient", rcpt), ATTR_END),
                        1);
        CU_ASSERT(buf_equal_str(rcpt, want_rcpts[n]));
        n++;
    }
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT(buf_equal_str(sender, ""));
    CU_ASSERT_EQUAL(stream_getc(sp), STREAM_EOF);
    stream_close(sp);
    buf_free(id);
    buf_free(sender);
    buf_free(rcpt);
}

/* Malformed and cut-short input: -1, with a warning except at the start. */
static void test_attr_scan_malformed(void)
{
    static const struct {
        const char *name;
        const char *input;
        size_t len;
        int want;
        const char *warning; /* substring; "" for none */
    } cases[] = {
        {"nothing at all", UNIT_BYTES(""), -1, ""},
        {"EOF before the terminator",
         UNIT_BYTES("i\0"
                    "1\0"),
         -1, "unexpected disconnect while reading an attribute name"},
        {"EOF in a value",
         UNIT_BYTES("i\0"
                    "12"),
         -1, "unexpected disconnect while reading the value of i"},
        {"EOF in a name",
         UNIT_BYTES("i\0"
                    "1\0"
                    "s\0"
                    "x\0"
                    "l\0"
                    "1\0"
                    "d\0"
                    "AA==\0"
                    "ext"),
         -1, "while reading an attribute name"},
        {"non-numeric int",
         UNIT_BYTES("i\0"
                    "abc\0"
                    "\0"),
         -1, "malformed number \"abc\" for i"},
        {"empty int",
         UNIT_BYTES("i\0"
                    "\0"
                    "\0"),
         -1, "malformed number \"\" for i"},
        {"negative int",
         UNIT_BYTES("i\0"
                    "-1\0"
                    "\0"),
         -1, "malformed number"},
        {"int with space",
         UNIT_BYTES("i\0"
                    " 1\0"
                    "\0"),
         -1, "malformed number"},
        {"int above UINT_MAX",
         UNIT_BYTES("i\0"
                    "4294967296\0"
                    "\0"),
         -1, "malformed number"},
        {"long above ULONG_MAX",
         UNIT_BYTES("i\0"
                    "1\0"
                    "s\0"
                    "x\0"
                    "l\0"
                    "18446744073709551616\0"
                    "\0"),
         -1, "malformed number"},
        {"bad base64",
         UNIT_BYTES("i\0"
                    "1\0"
                    "s\0"
                    "x\0"
                    "l\0"
                    "1\0"
                    "d\0"
                    "AA=\0"
                    "\0"),
         -1, "malformed base64 data for d"},
        {"unclosed group",
         UNIT_BYTES("{\0"
                    "k\0"
                    "v\0"
                    "\0"),
         -1, "end of list inside a group"},
        {"nested group",
         UNIT_BYTES("{\0"
                    "{\0"
                    "}\0"
                    "}\0"
                    "\0"),
         -1, "nested group inside a group"},
        {"close outside a group",
         UNIT_BYTES("}\0"
                    "\0"),
         -1, "\"}\" outside a group"},
    };
    struct buf *s = buf_alloc(0);
    struct buf *d = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct stream *sp = unit_stream_feed(cases[i].input, cases[i].len);
        int iv = 0;
        long lv = 0;
        int got;

        unit_capture_start();
        got = attr_scan(sp, ATTR_FLAG_NONE, ATTR_RECV_INT("i", &iv),
                        ATTR_RECV_STR("s", s), ATTR_RECV_LONG("l", &lv),
                        ATTR_RECV_DATA("d", d), ATTR_END);
        unit_capture_stop();
        UNIT_CHECK_INT(cases[i].name, got, cases[i].want);
        UNIT_CHECK_WARNING(cases[i].name, cases[i].warning);
        stream_close(sp);
    }
    buf_free(s);
    buf_free(d);
}

/* Names and values up to the limit pass, one byte more fails. */
static void test_attr_scan_limit(void)
{
    static const struct {
        const char *name;
        const char *input;
        size_t len;
        int want;
    } cases[] = {
        {"value at the limit",
         UNIT_BYTES("v\0"
                    "0123456789\0"
                    "\0"),
         1},
        {"value over the limit",
         UNIT_BYTES("v\0"
                    "0123456789X\0"
                    "\0"),
         -1},
        {"unknown name at the limit",
         UNIT_BYTES("abcdefghij\0"
                    "x\0"
                    "v\0"
                    "1\0"
                    "\0"),
         1},
        {"unknown name over the limit",
         UNIT_BYTES("abcdefghijk\0"
                    "x\0"
                    "v\0"
                    "1\0"
                    "\0"),
         -1},
        {"skipped value over the limit",
         UNIT_BYTES("u\0"
                    "0123456789X\0"
                    "v\0"
                    "1\0"
                    "\0"),
         -1},
    };
    struct buf *v = buf_alloc(0);

    attr_set_limit(10);
    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct stream *sp = unit_stream_feed(cases[i].input, cases[i].len);
        int got;

        unit_capture_start();
        got = attr_scan(sp, ATTR_FLAG_NONE, ATTR_RECV_STR("v", v), ATTR_END);
        unit_capture_stop();
        if (got != cases[i].want)
            CU_FAIL(cases[i].name);
        if (cases[i].want < 0)
            CU_ASSERT(strstr(unit_last_warning(), "longer than 10 bytes") !=
                      NULL);
        stream_close(sp);
    }
    attr_set_limit(ATTR_LIMIT_DEFAULT);
    buf_free(v);
}

/* The default limit is 4 * 2048. */
static void test_attr_scan_default_limit(void)
{
    struct buf *input = buf_alloc(0);
    struct buf *v = buf_alloc(0);
    struct stream *sp;

    CU_ASSERT_EQUAL(ATTR_LIMIT_DEFAULT, 8192);
    for (size_t len = 8192; len <= 8193; len++) {
        buf_set(input, "v\0", 2);
        for (size_t i = 0; i < len; i++)
            buf_append_char(input, 'x');
        buf_append(input, "\0\0", 2);
        sp = unit_stream_feed(buf_str(input), buf_len(input));
        unit_capture_start();
        CU_ASSERT_EQUAL(
            attr_scan(sp, ATTR_FLAG_NONE, ATTR_RECV_STR("v", v), ATTR_END),
            len == 8192 ? 1 : -1);
        unit_capture_stop();
        stream_close(sp);
    }
    buf_free(input);
    buf_free(v);
}

/* DATA: every byte value, through print and scan. */
static void test_attr_data_roundtrip(void)
{
    struct sink sk;
    struct buf *data = buf_alloc(0);
    struct buf *back = buf_alloc(0);
    struct buf *empty = buf_alloc(0);

    for (int i = 0; i < 256; i++)
        buf_append_char(data, i);
    buf_set_str(empty, "junk");
    sink_open(&sk);
    attr_print(sk.sp, ATTR_FLAG_NONE,
               ATTR_SEND_DATA("bytes", buf_str(data), buf_len(data)),
               ATTR_SEND_DATA("none", "", 0), ATTR_END);
    CU_ASSERT_EQUAL(attr_scan(sink_reader(&sk), ATTR_FLAG_STRICT,
                              ATTR_RECV_DATA("bytes", back),
                              ATTR_RECV_DATA("none", empty), ATTR_END),
                    2);
    CU_ASSERT_EQUAL(buf_len(back), 256);
    CU_ASSERT(memcmp(buf_str(back), buf_str(data), 256) == 0);
    CU_ASSERT_EQUAL(buf_len(empty), 0);
    sink_close(&sk);
    buf_free(data);
    buf_free(back);
    buf_free(empty);
}

/* A silent peer: -1 after the timeout. */
static void test_attr_scan_timeout(void)
{
    static const struct {
        const char *name;
        const char *input;
        size_t len;
        int warned;
    } cases[] = {
        {"silent from the start", UNIT_BYTES(""), 0},
        {"silent mid-list",
         UNIT_BYTES("status\0"
                    "0\0"),
         1},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        int peer;
        struct stream *sp =
            unit_stream_silent(cases[i].input, cases[i].len, &peer);
        int status;

        unit_capture_start();
        if (attr_scan(sp, ATTR_FLAG_NONE, ATTR_RECV_INT("status", &status),
                      ATTR_END) != -1)
            CU_FAIL(cases[i].name);
        CU_ASSERT_EQUAL(unit_warning_count(), cases[i].warned);
        if (cases[i].warned)
            CU_ASSERT(strstr(unit_last_warning(), "time limit exceeded") !=
                      NULL);
        unit_capture_stop();
        stream_close(sp);
        close(peer);
    }
}

/* A whole list into a table, groups flattened. */
static void test_attr_scan_table(void)
{
    static const char input[] = "protocol\0"
                                "x_protocol\0"
                                "{\0"
                                "k1\0"
                                "v1\0"
                                "}\0"
                                "queue_id\0"
                                "ABC\0"
                                "protocol\0"
                                "again\0"
                                "\0"
                                "after\0"
                                "1\0"
                                "\0";
    struct stream *sp = unit_stream_feed(input, UNIT_LEN(input));
    struct attr_table *table = attr_table_create();
    int after = 0;

    CU_ASSERT_EQUAL(attr_scan_table(sp, ATTR_FLAG_NONE, table), 4);
    CU_ASSERT_EQUAL(table->count, 3);
    CU_ASSERT_STRING_EQUAL(table->names[0], "protocol");
    CU_ASSERT_STRING_EQUAL(table->values[0], "again");
    CU_ASSERT_STRING_EQUAL(table->names[1], "k1");
    CU_ASSERT_STRING_EQUAL(table->names[2], "queue_id");
    CU_ASSERT_STRING_EQUAL(attr_table_get(table, "queue_id"), "ABC");
    CU_ASSERT_EQUAL(attr_scan(sp, ATTR_FLAG_STRICT,
                              ATTR_RECV_INT("after", &after), ATTR_END),
                    1);
    CU_ASSERT_EQUAL(after, 1);
    attr_table_reset(table);
    CU_ASSERT_EQUAL(table->count, 0);
    CU_ASSERT_EQUAL(attr_scan_table(sp, ATTR_FLAG_NONE, table), -1);
    stream_close(sp);
    attr_table_free(table);
}

/* Too many attributes: bounded. */
static void test_attr_scan_count_limit(void)
{
    struct buf *input = buf_alloc(0);
    struct attr_table *table = attr_table_create();
    struct stream *sp;
    int v = 0;

    for (int i = 0; i <= ATTR_COUNT_LIMIT; i++) {
        buf_append_printf(input, "n%d", i);
        buf_append(input, "\0x\0", 3);
    }
    buf_append(input,
               "v\0"
               "1\0"
               "\0",
               5);

    sp = unit_stream_feed(buf_str(input), buf_len(input));
    unit_capture_start();
    CU_ASSERT_EQUAL(attr_scan_table(sp, ATTR_FLAG_NONE, table), -1);
    CU_ASSERT(strstr(unit_last_warning(), "more than 1024 attributes") != NULL);
    unit_capture_stop();
    CU_ASSERT_EQUAL(table->count, ATTR_COUNT_LIMIT);
    stream_close(sp);

    sp = unit_stream_feed(buf_str(input), buf_len(input));
    unit_capture_start();
    CU_ASSERT_EQUAL(
        attr_scan(sp, ATTR_FLAG_NONE, ATTR_RECV_INT("v", &v), ATTR_END), -1);
    CU_ASSERT(strstr(unit_last_warning(), "unrequested attributes") != NULL);
    unit_capture_stop();
    stream_close(sp);
    buf_free(input);
    attr_table_free(table);
}

/* --- the announcement --- */

static void test_attr_announce(void)
{
    static const char golden[] = "protocol\0cleanup_protocol\0\0";
    static const struct {
        const char *name;
        const char *sent; /* bytes the server sends */
        size_t len;
        int want;
        const char *warning;
    } cases[] = {
        {"good", golden, UNIT_LEN(golden), 0, ""},
        {"good, with more", UNIT_BYTES("protocol\0cleanup_protocol\0x\0y\0\0"),
         0, ""},
        {"other protocol", UNIT_BYTES("protocol\0mail_queue_list_protocol\0\0"),
         -1, "expected cleanup_protocol, received mail_queue_list_protocol"},
        {"no protocol name", UNIT_BYTES("queue_id\0ABC\0\0"), -1,
         "expected protocol cleanup_protocol announcement, received a list "
         "without a protocol name"},
        {"nothing", UNIT_BYTES(""), -1,
         "expected protocol cleanup_protocol announcement, received none: "
         "unexpected disconnect"},
        {"cut short", UNIT_BYTES("protocol\0clea"), -1, "received none"},
    };
    struct sink sk;

    sink_open(&sk);
    CU_ASSERT_EQUAL(attr_announce(sk.sp, "cleanup_protocol"), 0);
    CU_ASSERT(sink_equals(&sk, golden, UNIT_LEN(golden)));
    CU_ASSERT_EQUAL(attr_expect_announce(sink_reader(&sk), "cleanup_protocol"),
                    0);
    sink_close(&sk);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct stream *sp = unit_stream_feed(cases[i].sent, cases[i].len);

        unit_capture_start();
        if (attr_expect_announce(sp, "cleanup_protocol") != cases[i].want)
            CU_FAIL(cases[i].name);
        UNIT_CHECK_WARNING(cases[i].name, cases[i].warning);
        unit_capture_stop();
        stream_close(sp);
    }
}

/* Server and client over a socketpair: announcement, request, reply. */
static void test_attr_socket_exchange(void)
{
    int fds[2];
    struct stream *server;
    struct stream *client;
    struct buf *reason = buf_alloc(0);
    struct buf *queue_id = buf_alloc(0);
    int flags = 0;
    int status = -1;

    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    server = stream_fdopen(fds[0], 1);
    client = stream_fdopen(fds[1], 1);
    stream_set_timeout(server, 5);
    stream_set_timeout(client, 5);

    CU_ASSERT_EQUAL(attr_announce(server, "cleanup_protocol"), 0);
    attr_print(server, ATTR_FLAG_NONE, ATTR_SEND_STR("queue_id", "4Xyz"),
               ATTR_END);
    CU_ASSERT_EQUAL(stream_flush(server), 0);
    CU_ASSERT_EQUAL(attr_expect_announce(client, "cleanup_protocol"), 0);
    CU_ASSERT_EQUAL(attr_scan(client, ATTR_FLAG_STRICT,
                              ATTR_RECV_STR("queue_id", queue_id), ATTR_END),
                    1);
    CU_ASSERT(buf_equal_str(queue_id, "4Xyz"));
    attr_print(client, ATTR_FLAG_NONE, ATTR_SEND_INT("flags", 114), ATTR_END);
    CU_ASSERT_EQUAL(stream_flush(client), 0);
    CU_ASSERT_EQUAL(attr_scan(server, ATTR_FLAG_STRICT,
                              ATTR_RECV_INT("flags", &flags), ATTR_END),
                    1);
    CU_ASSERT_EQUAL(flags, 114);
    attr_print(server, ATTR_FLAG_NONE, ATTR_SEND_INT("status", 0),
               ATTR_SEND_STR("reason", ""), ATTR_END);
    CU_ASSERT_EQUAL(stream_close(server), 0);
    CU_ASSERT_EQUAL(attr_scan(client, ATTR_FLAG_STRICT,
                              ATTR_RECV_INT("status", &status),
                              ATTR_RECV_STR("reason", reason), ATTR_END),
                    2);
    CU_ASSERT_EQUAL(status, 0);
    CU_ASSERT(buf_equal_str(reason, ""));
    /* The server is gone: a clean EOF, no warning. */
    unit_capture_start();
    CU_ASSERT_EQUAL(attr_scan(client, ATTR_FLAG_STRICT,
                              ATTR_RECV_INT("status", &status), ATTR_END),
                    -1);
    CU_ASSERT_EQUAL(unit_warning_count(), 0);
    unit_capture_stop();
    stream_close(client);
    buf_free(reason);
    buf_free(queue_id);
}

static const struct unit_case print_cases[] = {
    {"golden bytes", test_attr_print_golden},
    {"raw items", test_attr_print_raw_items},
    {"ATTR_FLAG_MORE", test_attr_print_more},
    {"hash group", test_attr_print_hash},
    {"write error", test_attr_print_error},
    {NULL, NULL},
};

static const struct unit_case scan_cases[] = {
    {"in order", test_attr_scan_in_order},
    {"skip, extra, missing, more", test_attr_scan_rules},
    {"a stream of lists", test_attr_scan_stream_of_lists},
    {"malformed and cut short", test_attr_scan_malformed},
    {"length limit", test_attr_scan_limit},
    {"default length limit", test_attr_scan_default_limit},
    {"DATA round trip", test_attr_data_roundtrip},
    {"timeout", test_attr_scan_timeout},
    {"whole list into a table", test_attr_scan_table},
    {"attribute count limit", test_attr_scan_count_limit},
    {NULL, NULL},
};

static const struct unit_case announce_cases[] = {
    {"announcement good and bad", test_attr_announce},
    {"exchange over a socketpair", test_attr_socket_exchange},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"attr print", print_cases},
    {"attr scan", scan_cases},
    {"attr announce", announce_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
