/*
 * test_maildrop - what a local user may submit: util/maildrop.c, and
 * postdrop's copy loop (postdrop/postdrop_copy.c) that applies it.
 *
 * Table-driven: a submission (records in unit_records notation, or raw
 * bytes) goes through postdrop_copy() into a file; the result code, the
 * records that reached the file, the reason and the last warning are
 * checked. Malformed input: garbage, a record cut short, record types a
 * user may not send in each segment, records in the wrong order, a
 * record longer than the limit, a file larger than the size limit, a
 * dead output stream. The rules themselves (maildrop_check_record) are
 * also checked in file mode (pickup), where one T record is allowed.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "maildrop.h"
#include "mem.h"
#include "postdrop.h"
#include "rec_type.h"
#include "stream.h"
#include "unit.h"
#include "unit_records.h"

#define OK_ENV "A:rewrite_context=local|F:Joe|S:joe|R:r@example.com|"
#define OK_MSG "M:|N:Subject: t|N:|N:body|X:|E:"

static const struct {
    const char *name;
    const char *input; /* records (unit_records notation) */
    const char *raw;   /* or raw bytes, when not NULL */
    long size_limit;
    size_t rec_limit;
    int result;
    const char *output;  /* records in the file; NULL: not checked */
    const char *why;     /* part of the reason; "" = none */
    const char *warning; /* part of the last warning; "" = none */
} copy_cases[] = {
    {"plain", OK_ENV OK_MSG, NULL, 0, 2048, POSTDROP_COPY_OK, OK_ENV OK_MSG, "",
     ""},
    {"every allowed envelope type",
     "A:envelope_id=e|A:ret_flags=1|A:rewrite_context=remote|F:|S:|A:encoding="
     "8bit|A:trace_flags=1024|V:+=|i:x|n:2|A:notify_flags=4|R:a|A:dsn_orig_"
     "rcpt=rfc822;a|R:b|A:create_time=5|" OK_MSG,
     NULL, 0, 2048, POSTDROP_COPY_OK,
     "A:envelope_id=e|A:ret_flags=1|A:rewrite_context=remote|F:|S:|A:encoding="
     "8bit|A:trace_flags=1024|V:+=|i:x|n:2|A:notify_flags=4|R:a|A:dsn_orig_"
     "rcpt=rfc822;a|R:b|A:create_time=5|" OK_MSG,
     "", ""},
    {"extracted recipients (-t)",
     "S:joe|M:|N:To: a|N:|X:|R:a|A:notify_flags=8|R:b|E:", NULL, 0, 2048,
     POSTDROP_COPY_OK, "S:joe|M:|N:To: a|N:|X:|R:a|A:notify_flags=8|R:b|E:", "",
     ""},
    {"long line as L records", "S:s|M:|L:aaaa|L:bbbb|N:cc|X:|E:", NULL, 0, 4,
     POSTDROP_COPY_OK, "S:s|M:|L:aaaa|L:bbbb|N:cc|X:|E:", "", ""},
    {"forged origin attribute dropped",
     "A:log_client_name=evil.example|" OK_ENV OK_MSG, NULL, 0, 2048,
     POSTDROP_COPY_OK, OK_ENV OK_MSG, "",
     "ignoring attribute record: log_client_name=evil.example"},
    {"unknown attribute in extracted segment dropped",
     "S:s|M:|X:|A:a=b|R:x|E:", NULL, 0, 2048, POSTDROP_COPY_OK,
     "S:s|M:|X:|R:x|E:", "", "ignoring attribute record: a=b"},
    {"attribute without = dropped", "A:noequals|S:s|M:|X:|E:", NULL, 0, 2048,
     POSTDROP_COPY_OK, "S:s|M:|X:|E:", "",
     "ignoring malformed attribute record: noequals"},
    {"attribute with empty name dropped", "A:=v|S:s|M:|X:|E:", NULL, 0, 2048,
     POSTDROP_COPY_OK, "S:s|M:|X:|E:", "", "malformed attribute"},
    {"size record refused", "C:x|" OK_ENV OK_MSG, NULL, 0, 2048,
     POSTDROP_COPY_BAD, NULL,
     "unexpected record type 67 (C) in the envelope segment", ""},
    {"time record from a client refused", "T:1 2|" OK_ENV OK_MSG, NULL, 0, 2048,
     POSTDROP_COPY_BAD, NULL, "record type 84 (T)", ""},
    {"done recipient refused", "S:s|D:x|" OK_MSG, NULL, 0, 2048,
     POSTDROP_COPY_BAD, NULL, "record type 68 (D)", ""},
    {"pointer refused", "S:s|p:              0|" OK_MSG, NULL, 0, 2048,
     POSTDROP_COPY_BAD, NULL, "record type 112 (p)", ""},
    {"flags record refused", "f:0|S:s|" OK_MSG, NULL, 0, 2048,
     POSTDROP_COPY_BAD, NULL, "record type 102 (f)", ""},
    {"recipient in content refused", "S:s|M:|N:x|R:r|X:|E:", NULL, 0, 2048,
     POSTDROP_COPY_BAD, NULL, "in the message content segment", ""},
    {"end in content refused", "S:s|M:|N:x|E:", NULL, 0, 2048,
     POSTDROP_COPY_BAD, NULL, "record type 69 (E) in the message content", ""},
    {"sender in extracted refused", "S:s|M:|X:|S:t|E:", NULL, 0, 2048,
     POSTDROP_COPY_BAD, NULL, "record type 83 (S) in the extracted", ""},
    {"second X refused", "S:s|M:|X:|X:|E:", NULL, 0, 2048, POSTDROP_COPY_BAD,
     NULL, "record type 88 (X) in the extracted", ""},
    {"non-printable type", "S:s|\x01:x|" OK_MSG, NULL, 0, 2048,
     POSTDROP_COPY_BAD, NULL, "unexpected record type 1 in the envelope", ""},
    {"no sender", "R:r|" OK_MSG, NULL, 0, 2048, POSTDROP_COPY_BAD, NULL,
     "no sender record", ""},
    {"two senders", "S:a|S:b|" OK_MSG, NULL, 0, 2048, POSTDROP_COPY_BAD, NULL,
     "more than one sender", ""},
    {"garbage", NULL, "hello world, this is not a record stream\n", 0, 2048,
     POSTDROP_COPY_BAD, NULL, "malformed input", "premature end of file"},
    {"record longer than the limit", "S:s|M:|N:12345|X:|E:", NULL, 0, 4,
     POSTDROP_COPY_BAD, NULL, "longer than line_length_limit",
     "exceeds limit 4"},
    {"record cut short", NULL, "S\005ab", 0, 2048, POSTDROP_COPY_BAD, NULL,
     "malformed input", "premature end of file"},
    {"length of five bytes", NULL, "S\x80\x80\x80\x80\x01", 0, 2048,
     POSTDROP_COPY_BAD, NULL, "malformed input", "more than 4 bytes"},
    {"empty input: client gave up", "", NULL, 0, 2048, POSTDROP_COPY_EOF, NULL,
     "", ""},
    {"no end record: client gave up", OK_ENV "M:|N:x", NULL, 0, 2048,
     POSTDROP_COPY_EOF, NULL, "", ""},
    /* Sizes count the file: "S:s" is 3 bytes, "M:" 2, "X:" 2, "E:" 2. */
    {"exactly at the size limit", "S:s|M:|X:|E:", NULL, 9, 2048,
     POSTDROP_COPY_OK, "S:s|M:|X:|E:", "", ""},
    {"one byte over the size limit", "S:s|M:|X:|E:", NULL, 8, 2048,
     POSTDROP_COPY_SIZE, NULL, "message_size_limit = 8", ""},
    {"records after E are not read", "S:s|M:|X:|E:|junk", NULL, 0, 2048,
     POSTDROP_COPY_OK, "S:s|M:|X:|E:", "", ""},
};

static void test_postdrop_copy_table(void)
{
    struct buf *input = buf_alloc(100);
    struct buf *why = buf_alloc(100);
    struct buf *got = buf_alloc(100);

    for (size_t i = 0; i < UNIT_COUNT(copy_cases); i++) {
        struct postdrop_limits limits = {copy_cases[i].size_limit,
                                         copy_cases[i].rec_limit};
        struct stream *in;
        struct stream *out;
        long written = 0;
        int result;

        buf_reset(input);
        if (copy_cases[i].raw)
            buf_set_str(input, copy_cases[i].raw);
        else
            unit_records_encode(input, copy_cases[i].input);
        in = unit_stream_feed(buf_str(input), buf_len(input));
        out = unit_stream_tmpfile("copy", NULL);
        unit_capture_start();
        result = postdrop_copy(in, out, &limits, &written, "uid=1", why);
        unit_capture_stop();
        UNIT_CHECK_INT(copy_cases[i].name, result, copy_cases[i].result);
        if (copy_cases[i].why[0])
            UNIT_CHECK_HAS(copy_cases[i].name, buf_str(why), copy_cases[i].why);
        else
            UNIT_CHECK_STR(copy_cases[i].name, buf_str(why), "");
        UNIT_CHECK_WARNING(copy_cases[i].name, copy_cases[i].warning);
        if (copy_cases[i].output) {
            CU_ASSERT(stream_flush(out) == 0);
            CU_ASSERT(stream_seek(out, 0, SEEK_SET) == 0);
            unit_records_render(out, got);
            UNIT_CHECK_STR(copy_cases[i].name, buf_str(got),
                           copy_cases[i].output);
            /* The byte count is the file's size. */
            UNIT_CHECK_INT(copy_cases[i].name, written,
                           (long)lseek(stream_fileno(out), 0, SEEK_END));
        }
        stream_close(in);
        stream_close(out);
    }
    buf_free(input);
    buf_free(why);
    buf_free(got);
}

/* The client keeps its end open after E: the copy must not wait. */
static void test_postdrop_copy_no_wait_after_end(void)
{
    struct buf *input = buf_alloc(100);
    struct buf *why = buf_alloc(100);
    struct postdrop_limits limits = {0, 2048};
    struct stream *in;
    struct stream *out;
    long written = 0;
    int peer;

    unit_records_encode(input, "S:s|M:|X:|E:");
    in = unit_stream_silent(buf_str(input), buf_len(input), &peer);
    out = unit_stream_tmpfile("nowait", NULL);
    UNIT_CHECK_INT("no wait",
                   postdrop_copy(in, out, &limits, &written, "x", why),
                   POSTDROP_COPY_OK);
    CU_ASSERT_EQUAL(stream_error(in), 0);
    close(peer);
    stream_close(in);
    stream_close(out);
    buf_free(input);
    buf_free(why);
}

static void test_postdrop_copy_write_error(void)
{
    struct buf *input = buf_alloc(100);
    struct buf *big = buf_alloc(100);
    struct buf *why = buf_alloc(100);
    struct postdrop_limits limits = {0, 100000};
    struct stream *in;
    struct stream *out = unit_stream_dead_peer();
    long written = 0;

    /* More than a stream buffer, so that a write reaches the dead peer. */
    buf_set_str(big, "S:s|M:|N:");
    for (int i = 0; i < 70000; i++)
        buf_append_char(big, 'x');
    buf_append_str(big, "|X:|E:");
    unit_records_encode(input, buf_str(big));
    /* A pipe holds 64 KiB at most: feed through a file instead. */
    in = unit_stream_tmpfile("bigin", NULL);
    stream_write(in, buf_str(input), buf_len(input));
    CU_ASSERT_FATAL(stream_flush(in) == 0);
    CU_ASSERT_FATAL(stream_seek(in, 0, SEEK_SET) == 0);
    UNIT_CHECK_INT("dead output",
                   postdrop_copy(in, out, &limits, &written, "x", why),
                   POSTDROP_COPY_WRITE);
    UNIT_CHECK_HAS("dead output", buf_str(why), "write error");
    stream_close(in);
    stream_close(out);
    buf_free(input);
    buf_free(big);
    buf_free(why);
}

static void test_postdrop_rec_size(void)
{
    static const struct {
        size_t len;
        long size;
    } cases[] = {
        {0, 2}, {1, 3}, {127, 129}, {128, 131}, {16383, 16386}, {16384, 16388},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++)
        UNIT_CHECK_INT("rec_size", postdrop_rec_size(cases[i].len),
                       cases[i].size);
}

/* The rules in file mode (pickup): one T record is part of the file. */
static void test_maildrop_check_file_mode(void)
{
    static const struct {
        const char *name;
        int flags;
        const char *types;    /* record letters in order */
        const char *verdicts; /* per record: k keep, d drop, b bad */
    } cases[] = {
        {"file with T", MAILDROP_CHECK_FILE, "TSMXE", "kkkkk"},
        {"client with T", MAILDROP_CHECK_CLIENT, "TSMXE", "b"},
        {"two T", MAILDROP_CHECK_FILE, "TSTMXE", "kkb"},
        {"T in content", MAILDROP_CHECK_FILE, "SMTXE", "kkb"},
        {"after E", MAILDROP_CHECK_FILE, "SMXER", "kkkkb"},
        {"all content", MAILDROP_CHECK_CLIENT, "SMNLNXE", "kkkkkkk"},
        {"w padding", MAILDROP_CHECK_FILE, "SMwXE", "kkb"},
    };
    struct buf *reason = buf_alloc(100);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct maildrop_check check;

        maildrop_check_init(&check, cases[i].flags);
        for (size_t j = 0; cases[i].verdicts[j]; j++) {
            int got = maildrop_check_record(&check, cases[i].types[j], "x", 1,
                                            reason);
            int want = cases[i].verdicts[j] == 'k'   ? MAILDROP_REC_KEEP
                       : cases[i].verdicts[j] == 'd' ? MAILDROP_REC_DROP
                                                     : MAILDROP_REC_BAD;

            UNIT_CHECK_INT(cases[i].name, got, want);
        }
    }
    buf_free(reason);
}

static void test_maildrop_attr_allowed(void)
{
    static const struct {
        const char *name;
        int allowed;
    } cases[] = {
        {"rewrite_context", 1}, {"trace_flags", 1},      {"notify_flags", 1},
        {"envelope_id", 1},     {"ret_flags", 1},        {"encoding", 1},
        {"dsn_orig_rcpt", 1},   {"create_time", 1},      {"log_client_name", 0},
        {"sasl_username", 0},   {"smtputf8", 0},         {"", 0},
        {"rewrite_contex", 0},  {"rewrite_context_", 0},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++)
        UNIT_CHECK_INT(
            cases[i].name,
            maildrop_attr_allowed(cases[i].name, strlen(cases[i].name)),
            cases[i].allowed);
}

static const struct unit_case copy_tests[] = {
    {"copy table", test_postdrop_copy_table},
    {"no wait after end record", test_postdrop_copy_no_wait_after_end},
    {"write error", test_postdrop_copy_write_error},
    {"record size", test_postdrop_rec_size},
    {NULL, NULL},
};

static const struct unit_case rule_tests[] = {
    {"file mode", test_maildrop_check_file_mode},
    {"attribute names", test_maildrop_attr_allowed},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"postdrop_copy", copy_tests},
    {"maildrop rules", rule_tests},
    {NULL, NULL},
};

UNIT_MAIN(suites)
