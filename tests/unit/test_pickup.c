/*
 * test_pickup - pickup's copy of a maildrop file to cleanup
 * (pickup/pickup_copy.c).
 *
 * Table-driven: a maildrop file (records in unit_records notation, or
 * raw bytes) is copied to a file standing in for the cleanup connection;
 * the result, what cleanup would receive, the sender and the reason are
 * checked. What pickup adds (the Received: header after M, a T record
 * when the file has none, an empty line before a first line that starts
 * with white space) and malformed files: garbage, no end record, record
 * types a user may not send, a second T, a record longer than the limit,
 * a dead cleanup connection.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "mail_date.h"
#include "mem.h"
#include "pickup.h"
#include "rec_type.h"
#include "stream.h"
#include "unit.h"
#include "unit_records.h"

#define NOW   1700000000L
#define MTIME 1699999999L

/* What pickup adds after M; "DATE" is replaced by mail_date(NOW). */
#define RECEIVED                                                               \
    "N:Received: by host.example (Postern, from userid 1000)|N:\\tid "         \
    "QID1; DATE|"

static const struct {
    const char *name;
    const char *file; /* records */
    const char *raw;  /* or raw bytes */
    int result;
    const char *cleanup; /* what cleanup gets; NULL: not checked */
    const char *sender;
    const char *why;     /* part of the reason; "" none */
    const char *warning; /* part of the last warning; "" none */
} cases[] = {
    {"postdrop's file",
     "T:1700000000 5|A:rewrite_context=local|F:Joe|S:joe|R:r@example.com|M:|N:"
     "Subject: t|N:|N:body|X:|R:x@example.com|E:",
     NULL, PICKUP_COPY_OK,
     "T:1700000000 "
     "5|A:rewrite_context=local|F:Joe|S:joe|R:r@example.com|M:|" RECEIVED
     "N:Subject: t|N:|N:body|X:|R:x@example.com|E:",
     "joe", "", ""},
    {"no T: mtime before S", "A:rewrite_context=local|F:Joe|S:|M:|X:|E:", NULL,
     PICKUP_COPY_OK,
     "A:rewrite_context=local|F:Joe|T:1699999999 250000|S:|M:|" RECEIVED
     "X:|E:",
     "", "", ""},
    {"first line starts with a space", "T:1 2|S:s|M:|N: folded|N:b|X:|E:", NULL,
     PICKUP_COPY_OK, "T:1 2|S:s|M:|" RECEIVED "N:|N: folded|N:b|X:|E:", "s", "",
     ""},
    {"first line starts with a tab (L record)",
     "T:1 2|S:s|M:|L:\\tx|N:y|X:|E:", NULL, PICKUP_COPY_OK,
     "T:1 2|S:s|M:|" RECEIVED "N:|L:\\tx|N:y|X:|E:", "s", "", ""},
    {"forged attribute dropped",
     "T:1 2|S:s|A:log_client_name=evil|A:trace_flags=1024|M:|X:|E:", NULL,
     PICKUP_COPY_OK, "T:1 2|S:s|A:trace_flags=1024|M:|" RECEIVED "X:|E:", "s",
     "", "ignoring attribute record: log_client_name=evil"},
    {"garbage", NULL, "hello world, this is garbage\n", PICKUP_COPY_BAD, NULL,
     "", "corrupt record", "exceeds limit 32"},
    {"empty file", "", NULL, PICKUP_COPY_BAD, NULL, "", "no end record", ""},
    {"truncated", "T:1 2|S:s|M:|N:Subject: t", NULL, PICKUP_COPY_BAD, NULL, "s",
     "no end record", ""},
    {"cut inside a record", NULL, "T\0031 2S\011abc", PICKUP_COPY_BAD, NULL, "",
     "corrupt record", "premature end of file"},
    {"size record", "C:x|T:1 2|S:s|M:|X:|E:", NULL, PICKUP_COPY_BAD, NULL, "",
     "record type 67 (C)", ""},
    {"done recipient", "T:1 2|S:s|D:x|M:|X:|E:", NULL, PICKUP_COPY_BAD, NULL,
     "s", "record type 68 (D)", ""},
    {"second T", "T:1 2|S:s|T:3 4|M:|X:|E:", NULL, PICKUP_COPY_BAD, NULL, "s",
     "more than one arrival time", ""},
    {"T after S", "S:s|T:3 4|M:|X:|E:", NULL, PICKUP_COPY_BAD, NULL, "s",
     "more than one arrival time", ""},
    {"record longer than line_length_limit",
     "T:1 2|S:s|M:|N:0123456789012345678901234567890123456789|X:|E:", NULL,
     PICKUP_COPY_BAD, NULL, "s", "corrupt record", "exceeds limit 32"},
    {"no sender", "T:1 2|R:r|M:|X:|E:", NULL, PICKUP_COPY_BAD, NULL, "",
     "no sender record", ""},
};

static void test_pickup_copy_table(void)
{
    struct buf *input = buf_alloc(100);
    struct buf *why = buf_alloc(100);
    struct buf *got = buf_alloc(100);
    struct buf *want = buf_alloc(100);
    struct buf *date = buf_alloc(100);

    mail_date(date, NOW);
    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct pickup_info info;
        struct stream *file = unit_stream_tmpfile("maildrop", NULL);
        struct stream *cleanup = unit_stream_tmpfile("cleanup", NULL);
        int result;

        buf_reset(input);
        if (cases[i].raw)
            buf_set_str(input, cases[i].raw);
        else
            unit_records_encode(input, cases[i].file);
        stream_write(file, buf_str(input), buf_len(input));
        CU_ASSERT_FATAL(stream_flush(file) == 0);
        CU_ASSERT_FATAL(stream_seek(file, 0, SEEK_SET) == 0);

        memset(&info, 0, sizeof(info));
        info.uid = 1000;
        info.mtime = MTIME;
        info.mtime_usec = 250000;
        info.queue_id = "QID1";
        info.hostname = "host.example";
        info.mail_name = "Postern";
        info.now = NOW;
        info.rec_limit = 32;
        info.sender = buf_alloc(10);
        unit_capture_start();
        result = pickup_copy(file, cleanup, &info, "maildrop/X", why);
        unit_capture_stop();
        UNIT_CHECK_INT(cases[i].name, result, cases[i].result);
        UNIT_CHECK_STR(cases[i].name, buf_str(info.sender), cases[i].sender);
        if (cases[i].why[0])
            UNIT_CHECK_HAS(cases[i].name, buf_str(why), cases[i].why);
        else
            UNIT_CHECK_STR(cases[i].name, buf_str(why), "");
        UNIT_CHECK_WARNING(cases[i].name, cases[i].warning);
        if (cases[i].cleanup) {
            const char *cp = cases[i].cleanup;
            const char *at;

            buf_reset(want);
            while ((at = strstr(cp, "DATE")) != NULL) {
                buf_append(want, cp, (size_t)(at - cp));
                buf_append_str(want, buf_str(date));
                cp = at + 4;
            }
            buf_append_str(want, cp);
            CU_ASSERT(stream_flush(cleanup) == 0);
            CU_ASSERT(stream_seek(cleanup, 0, SEEK_SET) == 0);
            unit_records_render(cleanup, got);
            UNIT_CHECK_STR(cases[i].name, buf_str(got), buf_str(want));
        }
        buf_free(info.sender);
        stream_close(file);
        stream_close(cleanup);
    }
    buf_free(input);
    buf_free(why);
    buf_free(got);
    buf_free(want);
    buf_free(date);
}

static void test_pickup_copy_dead_cleanup(void)
{
    struct buf *input = buf_alloc(100);
    struct buf *spec = buf_alloc(100);
    struct buf *why = buf_alloc(100);
    struct stream *file = unit_stream_tmpfile("dead", NULL);
    struct stream *cleanup = unit_stream_dead_peer();
    struct pickup_info info;

    /* Enough records to fill the stream buffer and reach the socket. */
    buf_set_str(spec, "T:1 2|S:s|M:");
    for (int i = 0; i < 5000; i++)
        buf_append_str(spec, "|N:0123456789012345678901234");
    buf_append_str(spec, "|X:|E:");
    unit_records_encode(input, buf_str(spec));
    stream_write(file, buf_str(input), buf_len(input));
    CU_ASSERT_FATAL(stream_flush(file) == 0);
    CU_ASSERT_FATAL(stream_seek(file, 0, SEEK_SET) == 0);
    memset(&info, 0, sizeof(info));
    info.queue_id = "Q";
    info.hostname = "h";
    info.mail_name = "Postern";
    info.rec_limit = 2048;
    info.sender = buf_alloc(10);
    UNIT_CHECK_INT("dead cleanup",
                   pickup_copy(file, cleanup, &info, "maildrop/X", why),
                   PICKUP_COPY_WRITE);
    UNIT_CHECK_HAS("dead cleanup", buf_str(why), "cleanup service");
    buf_free(info.sender);
    stream_close(file);
    stream_close(cleanup);
    buf_free(input);
    buf_free(spec);
    buf_free(why);
}

static const struct unit_case copy_tests[] = {
    {"copy table", test_pickup_copy_table},
    {"dead cleanup connection", test_pickup_copy_dead_cleanup},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"pickup_copy", copy_tests},
    {NULL, NULL},
};

UNIT_MAIN(suites)
