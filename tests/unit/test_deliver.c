/*
 * test_deliver - unit tests for the delivery agent support in util/
 *
 *	deliver_log.c	the delay format (a table of values observed with
 *			Postfix 3.7's discard at resolutions 0..6) and whole
 *			log lines (orig_to, quoting, conn_use, timestamps)
 *	addr_token.c	the external address form (observed cases)
 *	dsn_split.c	status codes at the start of a next hop
 *	deliver_request.c
 *			the request and reply codecs: the exact bytes
 *			Postfix 3.7 accepts, a round trip, and a table of
 *			malformed and oversized requests (each refused with
 *			its warning); deliver_completed() on a real file
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "base64.h"
#include "buf.h"
#include "deliver_log.h"
#include "deliver_agent.h"
#include "deliver_request.h"
#include "dsn_split.h"
#include "mem.h"
#include "msg.h"
#include "addr_token.h"
#include "record.h"
#include "stream.h"
#include "unit.h"

/* Every warning between capture_all_start() and _stop(), one a line. */
static struct buf *all_warnings;

static void capture_all(enum msg_level level, const char *text)
{
    if (level == MSG_WARN) {
        buf_append_str(all_warnings, text);
        buf_append_char(all_warnings, '\n');
    }
}

static void capture_all_start(void)
{
    if (all_warnings == NULL)
        all_warnings = buf_alloc(256);
    buf_reset(all_warnings);
    msg_set_capture(capture_all);
}

static void capture_all_stop(void)
{
    msg_set_capture(NULL);
}

/* --- delay values --- */

static void test_delay_format(void)
{
    static const struct {
        long long usec;
        int resolution;
        const char *want;
    } cases[] = {
        /* resolution 2, the default (observed) */
        {0, 2, "0"},
        {4000, 2, "0"},
        {4999, 2, "0"},
        {5000, 2, "0.01"},
        {5001, 2, "0.01"},
        {9999, 2, "0.01"},
        {15000, 2, "0.02"},
        {19999, 2, "0.02"},
        {99900, 2, "0.1"},
        {99999, 2, "0.1"},
        {100000, 2, "0.1"},
        {123000, 2, "0.12"},
        {125000, 2, "0.13"},
        {150000, 2, "0.15"},
        {155000, 2, "0.16"},
        {990000, 2, "0.99"},
        {994999, 2, "0.99"},
        {995000, 2, "1"},
        {1000000, 2, "1"},
        {1040000, 2, "1"},
        {1049999, 2, "1"},
        {1050000, 2, "1.1"},
        {1500000, 2, "1.5"},
        {9940000, 2, "9.9"},
        {9949999, 2, "9.9"},
        {9950000, 2, "10"},
        {10000000, 2, "10"},
        {10499999, 2, "10"},
        {10500000, 2, "11"},
        {99500000, 2, "100"},
        {123456000, 2, "123"},
        {1000500000, 2, "1001"},
        {86400700000LL, 2, "86401"},
        {7400000, 2, "7.4"},
        {-5, 2, "0"},
        /* resolution 0 */
        {600000, 0, "1"},
        {450000, 0, "0"},
        {1500000, 0, "2"},
        {2500000, 0, "3"},
        {12500000, 0, "13"},
        {994999, 0, "1"},
        /* resolution 1 */
        {125000, 1, "0.1"},
        {450000, 1, "0.5"},
        {99950, 1, "0.1"},
        {12500, 1, "0"},
        /* resolution 3 */
        {1250, 3, "0.001"},
        {12500, 3, "0.013"},
        {125000, 3, "0.13"},
        {499, 3, "0"},
        {500, 3, "0.001"},
        {5000, 3, "0.005"},
        /* resolution 6 */
        {1, 6, "0.000001"},
        {15, 6, "0.000015"},
        {49, 6, "0.000049"},
        {50, 6, "0.00005"},
        {125, 6, "0.00013"},
        {499, 6, "0.0005"},
        {1250, 6, "0.0013"},
        {1500, 6, "0.0015"},
        {5100, 6, "0.0051"},
        {99949, 6, "0.1"},
        /* out of range resolutions are clamped */
        {1, 9, "0.000001"},
        {600000, -1, "1"},
    };
    struct buf *out = buf_alloc(16);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        char name[64];

        snprintf(name, sizeof(name), "%lld us at %d", cases[i].usec,
                 cases[i].resolution);
        buf_reset(out);
        deliver_log_delay(out, cases[i].usec, cases[i].resolution);
        UNIT_CHECK_STR(name, buf_str(out), cases[i].want);
    }
    buf_free(out);
}

/* --- log lines --- */

static struct timeval tv(long long usec)
{
    struct timeval t;

    t.tv_sec = (time_t)(usec / 1000000);
    t.tv_usec = (suseconds_t)(usec % 1000000);
    return t;
}

static void test_log_line(void)
{
    /* Times in microseconds since an arbitrary epoch 1000 s. */
    static const struct {
        const char *name;
        const char *orig;
        const char *rcpt;
        long long t[5]; /* arrival, active, handoff, conn, done */
        int reuse;
        long long now;
        int external;
        const char *want;
    } cases[] = {
        {"plain",
         "",
         "r1@example.com",
         {1000000000, 1003000000, 1004000000, 0, 0},
         0,
         1007400000,
         1,
         "Q1: to=<r1@example.com>, relay=none, delay=7.4, "
         "delays=3/1/0/3.4, dsn=2.0.0, status=sent (why)"},
        {"orig_to",
         "orig1@example.com",
         "rcpt1@example.com",
         {1000000000, 1003000000, 1004000000, 0, 0},
         0,
         1007400000,
         1,
         "Q1: to=<rcpt1@example.com>, orig_to=<orig1@example.com>, "
         "relay=none, delay=7.4, delays=3/1/0/3.4, dsn=2.0.0, "
         "status=sent (why)"},
        {"orig_to same but case",
         "R1@Example.com",
         "r1@example.com",
         {1000000000, 1003000000, 1004000000, 0, 0},
         0,
         1005000000,
         1,
         "Q1: to=<r1@example.com>, relay=none, delay=5, delays=3/1/0/1, "
         "dsn=2.0.0, status=sent (why)"},
        {"quoted",
         "a b@x",
         "x@y@z",
         {1000000000, 0, 0, 0, 0},
         0,
         1000000000,
         1,
         "Q1: to=<\"x@y\"@z>, orig_to=<\"a b\"@x>, relay=none, delay=0, "
         "delays=0/0/0/0, dsn=2.0.0, status=sent (why)"},
        {"internal form",
         "a b@x",
         "x@y@z",
         {1000000000, 0, 0, 0, 0},
         0,
         1000000000,
         0,
         "Q1: to=<x@y@z>, orig_to=<a b@x>, relay=none, delay=0, "
         "delays=0/0/0/0, dsn=2.0.0, status=sent (why)"},
        {"empty recipient",
         "",
         "",
         {1000000000, 0, 0, 0, 0},
         0,
         1000000000,
         1,
         "Q1: to=<>, relay=none, delay=0, delays=0/0/0/0, dsn=2.0.0, "
         "status=sent (why)"},
        {"done and conn set",
         "",
         "r@x",
         {1000000000, 1002000000, 1003000000, 1003500000, 1004000000},
         0,
         1009000000,
         1,
         "Q1: to=<r@x>, relay=none, delay=4, delays=2/1/0.5/0.5, dsn=2.0.0, "
         "status=sent (why)"},
        {"conn_use",
         "",
         "r@x",
         {1000000000, 1002000000, 1003000000, 0, 0},
         3,
         1006000000,
         1,
         "Q1: to=<r@x>, relay=none, conn_use=4, delay=6, delays=2/1/0/3, "
         "dsn=2.0.0, status=sent (why)"},
        {"backwards clock",
         "",
         "r@x",
         {1000000000, 999000000, 998000000, 0, 0},
         0,
         1007000000,
         1,
         "Q1: to=<r@x>, relay=none, delay=7, delays=0/0/0/9, dsn=2.0.0, "
         "status=sent (why)"},
        {"arrival only",
         "",
         "r@x",
         {1000000000, 0, 0, 0, 0},
         0,
         1009000000,
         1,
         "Q1: to=<r@x>, relay=none, delay=9, delays=9/0/0/0, dsn=2.0.0, "
         "status=sent (why)"},
        {"no handoff",
         "",
         "r@x",
         {1000000000, 1002000000, 0, 0, 0},
         0,
         1010000000,
         1,
         "Q1: to=<r@x>, relay=none, delay=10, delays=2/8/0/0, dsn=2.0.0, "
         "status=sent (why)"},
    };
    struct buf *out = buf_alloc(256);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct msg_stats st;
        struct bounce_rcpt rcpt = {cases[i].orig, cases[i].rcpt, 100, "", 0};
        struct deliver_log e;

        memset(&st, 0, sizeof(st));
        st.incoming_arrival = tv(cases[i].t[0]);
        st.active_arrival = tv(cases[i].t[1]);
        st.agent_handoff = tv(cases[i].t[2]);
        st.conn_setup_done = tv(cases[i].t[3]);
        st.deliver_done = tv(cases[i].t[4]);
        st.reuse_count = cases[i].reuse;
        memset(&e, 0, sizeof(e));
        e.queue_id = "Q1";
        e.rcpt = &rcpt;
        e.relay = "none";
        e.stats = &st;
        e.now = tv(cases[i].now);
        e.dsn = "2.0.0";
        e.status = "sent";
        e.reason = "why";
        deliver_log_format(out, &e, 2, cases[i].external);
        UNIT_CHECK_STR(cases[i].name, buf_str(out), cases[i].want);
    }

    /* No stats at all: every value is 0; NULL relay is "none". */
    {
        struct bounce_rcpt rcpt = {NULL, "r@x", -1, NULL, 0};
        struct deliver_log e;

        memset(&e, 0, sizeof(e));
        e.queue_id = "Q2";
        e.rcpt = &rcpt;
        e.now = tv(5000000);
        e.dsn = "5.0.0";
        e.status = "bounced";
        e.reason = NULL;
        deliver_log_format(out, &e, 2, 1);
        UNIT_CHECK_STR("no stats", buf_str(out),
                       "Q2: to=<r@x>, relay=none, delay=0, delays=0/0/0/0, "
                       "dsn=5.0.0, status=bounced ()");
    }
    buf_free(out);
}

/* --- addresses --- */

static void test_quote_addr(void)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        {"a b@example.com", "\"a b\"@example.com"},
        {"\"quoted\"@example.com", "\"\\\"quoted\\\"\"@example.com"},
        {"", ""},
        {"user", "user"},
        {"x@y@z", "\"x@y\"@z"},
        {"a..b@x", "\"a..b\"@x"},
        {".a@x", "\".a\"@x"},
        {"a.@x", "\"a.\"@x"},
        {"a.b@x", "a.b@x"},
        {"\xc3\xbcn\xc3\xaf@x", "\xc3\xbcn\xc3\xaf@x"},
        {"a(b)@x", "\"a(b)\"@x"},
        {"a,b@x", "\"a,b\"@x"},
        {"a\"b@x", "\"a\\\"b\"@x"},
        {"a\\b@x", "\"a\\\\b\"@x"},
        {"@x", "\"\"@x"},
        {"a@", "a@"},
        {"a<b>@x", "\"a<b>\"@x"},
        {"a:b@x", "\"a:b\"@x"},
        {"a;b@x", "\"a;b\"@x"},
        {"a[b]@x", "\"a[b]\"@x"},
        {"a\tb@x", "\"a\tb\"@x"},
        {"a%b@x", "a%b@x"},
        {"a!b@x", "a!b@x"},
        {"a?b@x", "a?b@x"},
        {"Ab@EX.com", "Ab@EX.com"},
        {"a@b c", "a@b c"},
        {"a b", "\"a b\""},
    };
    struct buf *out = buf_alloc(64);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        buf_reset(out);
        addr_external_append(cases[i].in, out);
        UNIT_CHECK_STR(cases[i].in, buf_str(out), cases[i].want);
    }
    buf_free(out);
}

/* --- status codes --- */

static void test_dsn_split(void)
{
    static const struct {
        const char *in;
        const char *def;
        const char *status;
        const char *reason;
    } cases[] = {
        {"no such user", "5.0.0", "5.0.0", "no such user"},
        {"5.1.2 bad host", "5.0.0", "5.1.2", "bad host"},
        {"5.1.1", "5.0.0", "5.1.1", ""},
        {"5.1.1 ", "5.0.0", "5.1.1", ""},
        {"5.1.1  two spaces", "5.0.0", "5.1.1", "two spaces"},
        {"5.1.1\ttab", "5.0.0", "5.1.1", "tab"},
        {"5.1.1text", "5.0.0", "5.0.0", "5.1.1text"},
        {"5.999.999 x", "5.0.0", "5.999.999", "x"},
        {"5.1000.1 x", "5.0.0", "5.0.0", "5.1000.1 x"},
        {"6.1.1 x", "5.0.0", "5.0.0", "6.1.1 x"},
        {"5.1. x", "5.0.0", "5.0.0", "5.1. x"},
        {"  leading", "5.0.0", "5.0.0", "leading"},
        {"5.01.1 x", "5.0.0", "5.01.1", "x"},
        {"05.1.1 x", "5.0.0", "5.0.0", "05.1.1 x"},
        {"x  y  ", "5.0.0", "5.0.0", "x  y  "},
        {"   ", "5.0.0", "5.0.0", ""},
        {"4.4.1 temp", "5.0.0", "4.4.1", "temp"},
        {"2.1.5 custom", "2.0.0", "2.1.5", "custom"},
        {"", "2.0.0", "2.0.0", ""},
        {"5..1 x", "5.0.0", "5.0.0", "5..1 x"},
        {"5.1.1111 x", "5.0.0", "5.0.0", "5.1.1111 x"},
    };
    struct buf *status = buf_alloc(16);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        const char *reason = dsn_split(cases[i].in, cases[i].def, status);

        UNIT_CHECK_STR(cases[i].in, buf_str(status), cases[i].status);
        UNIT_CHECK_STR(cases[i].in, reason, cases[i].reason);
    }
    buf_free(status);
}

/* --- the request codec --- */

/* A request list as name/value text pairs; NULL name ends it. */
struct pair {
    const char *name;
    const char *value;
};

static void put_list(struct buf *out, const struct pair *pairs)
{
    for (; pairs->name; pairs++) {
        buf_append(out, pairs->name, strlen(pairs->name) + 1);
        buf_append(out, pairs->value, strlen(pairs->value) + 1);
    }
    buf_append_char(out, 0);
}

static char time_b64[200];

static const char *zero_time(size_t len)
{
    struct buf *b = buf_alloc(200);
    char zeros[200];

    memset(zeros, 0, sizeof(zeros));
    base64_encode(b, zeros, len);
    snprintf(time_b64, sizeof(time_b64), "%s", buf_str(b));
    buf_free(b);
    return time_b64;
}

/*
 * The header of a good request; tests copy and edit it. Names and order
 * exactly as Postfix 3.7's discard accepted them.
 */
#define HDR_COUNT 23
static void good_header(struct pair *h)
{
    static const char *names[HDR_COUNT] = {
        "flags",
        "queue_name",
        "queue_id",
        "offset",
        "size",
        "nexthop",
        "encoding",
        "smtputf8",
        "sender",
        "envelope_id",
        "ret_flags",
        "time",
        "log_client_name",
        "log_client_address",
        "log_client_port",
        "log_protocol_name",
        "log_helo_name",
        "sasl_method",
        "sasl_username",
        "sasl_sender",
        "log_ident",
        "rewrite_context",
        "recipient_count",
    };
    static const char *values[HDR_COUNT] = {
        "1", "active", "ABCDE1", "281",   "51", "test reason",
        "",  "0",      "s@x",    "",      "0",  NULL,
        "",  "",       "",       "",      "",   "",
        "",  "",       "ABCDE1", "local", "2",
    };

    for (int i = 0; i < HDR_COUNT; i++) {
        h[i].name = names[i];
        h[i].value =
            values[i] ? values[i] : zero_time(sizeof(struct msg_stats));
    }
    h[HDR_COUNT].name = NULL;
}

static const struct pair good_rcpt1[] = {
    {"original_recipient", "orig1@example.com"},
    {"recipient", "rcpt1@example.com"},
    {"offset", "220"},
    {"dsn_orig_rcpt", ""},
    {"notify_flags", "0"},
    {NULL, NULL},
};
static const struct pair good_rcpt2[] = {
    {"original_recipient", ""},
    {"recipient", "rcpt2@example.com"},
    {"offset", "18446744073709551615"},
    {"dsn_orig_rcpt", "rfc822;x@y"},
    {"notify_flags", "6"},
    {NULL, NULL},
};

static void test_request_get_good(void)
{
    struct pair h[HDR_COUNT + 1];
    struct buf *wire = buf_alloc(1000);
    struct deliver_request *req = deliver_request_alloc();
    struct stream *sp;

    good_header(h);
    put_list(wire, h);
    put_list(wire, good_rcpt1);
    put_list(wire, good_rcpt2);
    sp = unit_stream_feed(buf_str(wire), buf_len(wire));
    unit_capture_start();
    CU_ASSERT_EQUAL(deliver_request_get(sp, req, 100), 0);
    unit_capture_stop();
    UNIT_CHECK_WARNING("good request", "");
    CU_ASSERT_EQUAL(req->flags, 1);
    CU_ASSERT_STRING_EQUAL(req->queue_name, "active");
    CU_ASSERT_STRING_EQUAL(req->queue_id, "ABCDE1");
    CU_ASSERT_EQUAL(req->data_offset, 281);
    CU_ASSERT_EQUAL(req->data_size, 51);
    CU_ASSERT_STRING_EQUAL(req->nexthop, "test reason");
    CU_ASSERT_STRING_EQUAL(req->sender, "s@x");
    CU_ASSERT_STRING_EQUAL(req->rewrite_context, "local");
    CU_ASSERT_EQUAL(req->rcpt_count, 2);
    CU_ASSERT_STRING_EQUAL(req->rcpt[0].original_recipient,
                           "orig1@example.com");
    CU_ASSERT_STRING_EQUAL(req->rcpt[0].recipient, "rcpt1@example.com");
    CU_ASSERT_EQUAL(req->rcpt[0].offset, 220);
    CU_ASSERT_EQUAL(req->rcpt[1].offset, -1);
    CU_ASSERT_STRING_EQUAL(req->rcpt[1].dsn_orig_rcpt, "rfc822;x@y");
    CU_ASSERT_EQUAL(req->rcpt[1].notify_flags, 6);
    CU_ASSERT_EQUAL(stream_getc(sp), STREAM_EOF);
    stream_close(sp);
    deliver_request_free(req);
    buf_free(wire);
    /* Freeing nothing is fine (the agent's refusal path does it). */
    deliver_request_free(NULL);
    deliver_reply_free(NULL);
}

/* The bytes deliver_request_send() writes are the ones Postfix accepts. */
static void test_request_send_bytes(void)
{
    struct pair h[HDR_COUNT + 1];
    struct buf *want = buf_alloc(1000);
    struct bounce_rcpt rcpts[2] = {
        {"orig1@example.com", "rcpt1@example.com", 220, "", 0},
        {NULL, "rcpt2@example.com", -1, "rfc822;x@y", 6},
    };
    struct deliver_request req;
    struct stream *sp;
    char *path;
    char *got;
    size_t len;

    memset(&req, 0, sizeof(req));
    req.flags = 1;
    req.queue_name = "active";
    req.queue_id = "ABCDE1";
    req.data_offset = 281;
    req.data_size = 51;
    req.nexthop = "test reason";
    req.sender = "s@x";
    req.log_ident = "ABCDE1";
    req.rewrite_context = "local";
    req.rcpt_count = 2;
    req.rcpt = rcpts;
    req.fd = -1;
    sp = unit_stream_tmpfile("request", &path);
    CU_ASSERT_EQUAL(deliver_request_send(sp, &req), 0);
    stream_close(sp);
    got = unit_read_file(path, &len);

    good_header(h);
    put_list(want, h);
    put_list(want, good_rcpt1);
    /* -1 travels as the unsigned long text. */
    put_list(want, good_rcpt2);
    CU_ASSERT_EQUAL(len, buf_len(want));
    CU_ASSERT(len == buf_len(want) && memcmp(got, buf_str(want), len) == 0);
    mem_free(got);
    mem_free(path);
    buf_free(want);
}

/* Round trip: what one side sends, the other reads back. */
static void test_request_round_trip(void)
{
    struct bounce_rcpt rcpts[3] = {
        {"o@x", "a@x", 100, "", 0},
        {"", "b c@x", 200, "rfc822;b@x", 2},
        {NULL, "", -1, NULL, 15},
    };
    struct deliver_request out;
    struct deliver_request *in = deliver_request_alloc();
    struct stream *sp;

    memset(&out, 0, sizeof(out));
    out.flags = DEL_REQ_FLAG_DEFLT | DEL_REQ_FLAG_RECORD;
    out.queue_name = "deferred";
    out.queue_id = "3F2A1B7C4D";
    out.data_offset = 12345;
    out.data_size = 678;
    out.nexthop = "example.com";
    out.encoding = "8bit";
    out.smtputf8 = 1;
    out.sender = "";
    out.envelope_id = "env";
    out.ret_flags = 2;
    out.stats.incoming_arrival.tv_sec = 1700000000;
    out.stats.incoming_arrival.tv_usec = 123456;
    out.stats.active_arrival.tv_sec = 1700000001;
    out.stats.agent_handoff.tv_sec = 1700000002;
    out.stats.agent_handoff.tv_usec = 999999;
    out.stats.reuse_count = 7;
    out.client_name = "host.example";
    out.client_addr = "192.0.2.1";
    out.client_port = "25";
    out.client_proto = "ESMTP";
    out.client_helo = "helo";
    out.sasl_method = "PLAIN";
    out.sasl_username = "user";
    out.sasl_sender = "";
    out.log_ident = "3F2A1B7C4D";
    out.rewrite_context = "remote";
    out.rcpt_count = 3;
    out.rcpt = rcpts;
    sp = unit_stream_tmpfile("round", NULL);
    CU_ASSERT_FATAL(deliver_request_send(sp, &out) == 0);
    CU_ASSERT_FATAL(stream_seek(sp, 0, SEEK_SET) == 0);
    CU_ASSERT_EQUAL(deliver_request_get(sp, in, 3), 0);
    CU_ASSERT_EQUAL(in->flags, out.flags);
    CU_ASSERT_STRING_EQUAL(in->queue_name, "deferred");
    CU_ASSERT_EQUAL(in->data_offset, 12345);
    CU_ASSERT_EQUAL(in->data_size, 678);
    CU_ASSERT_STRING_EQUAL(in->encoding, "8bit");
    CU_ASSERT_EQUAL(in->smtputf8, 1);
    CU_ASSERT_STRING_EQUAL(in->sender, "");
    CU_ASSERT_STRING_EQUAL(in->envelope_id, "env");
    CU_ASSERT_EQUAL(in->ret_flags, 2);
    CU_ASSERT_EQUAL(in->stats.incoming_arrival.tv_sec, 1700000000);
    CU_ASSERT_EQUAL(in->stats.incoming_arrival.tv_usec, 123456);
    CU_ASSERT_EQUAL(in->stats.agent_handoff.tv_usec, 999999);
    CU_ASSERT_EQUAL(in->stats.reuse_count, 7);
    CU_ASSERT_STRING_EQUAL(in->client_name, "host.example");
    CU_ASSERT_STRING_EQUAL(in->client_addr, "192.0.2.1");
    CU_ASSERT_STRING_EQUAL(in->client_port, "25");
    CU_ASSERT_STRING_EQUAL(in->client_proto, "ESMTP");
    CU_ASSERT_STRING_EQUAL(in->client_helo, "helo");
    CU_ASSERT_STRING_EQUAL(in->sasl_method, "PLAIN");
    CU_ASSERT_STRING_EQUAL(in->sasl_username, "user");
    CU_ASSERT_STRING_EQUAL(in->rewrite_context, "remote");
    CU_ASSERT_EQUAL(in->rcpt_count, 3);
    CU_ASSERT_STRING_EQUAL(in->rcpt[1].recipient, "b c@x");
    CU_ASSERT_STRING_EQUAL(in->rcpt[1].dsn_orig_rcpt, "rfc822;b@x");
    CU_ASSERT_EQUAL(in->rcpt[1].notify_flags, 2);
    CU_ASSERT_STRING_EQUAL(in->rcpt[2].original_recipient, "");
    CU_ASSERT_STRING_EQUAL(in->rcpt[2].recipient, "");
    CU_ASSERT_EQUAL(in->rcpt[2].offset, -1);
    CU_ASSERT_EQUAL(in->rcpt[2].notify_flags, 15);
    stream_close(sp);
    deliver_request_free(in);
}

/* How a malformed case edits the good request. */
enum edit {
    EDIT_DROP,      /* leave out header attribute arg */
    EDIT_SET,       /* set header attribute arg to value */
    EDIT_EXTRA,     /* insert attribute "foo" before header attribute arg */
    EDIT_RAW,       /* the wire is just value */
    EDIT_TRUNCATE,  /* cut the good wire after arg bytes */
    EDIT_RCPT_DROP, /* first recipient without attribute arg */
    EDIT_RCPT_EXTRA /* first recipient with attribute "foo" at the end */
};

static void test_request_get_bad(void)
{
    static const struct {
        const char *name;
        enum edit edit;
        const char *arg;
        const char *value;
        int limit;
        const char *warning;
    } cases[] = {
        {"missing size", EDIT_DROP, "size", NULL, 100,
         "unexpected attribute nexthop"},
        {"missing recipient_count", EDIT_DROP, "recipient_count", NULL, 100,
         "missing attribute recipient_count"},
        {"missing log_ident", EDIT_DROP, "log_ident", NULL, 100,
         "unexpected attribute rewrite_context"},
        {"3.8 sendopts name", EDIT_SET, "smtputf8", "sendopts", 100,
         "unexpected attribute sendopts"},
        {"extra attribute", EDIT_EXTRA, "offset", NULL, 100,
         "unexpected attribute foo"},
        {"bad number", EDIT_SET, "flags", "abc", 100, "flags"},
        {"negative size text", EDIT_SET, "size", "-5", 100, "size"},
        {"time too short", EDIT_SET, "time", "80", 100,
         "size mis-match: 80 != 88"},
        {"time too long", EDIT_SET, "time", "96", 100,
         "size mis-match: 96 != 88"},
        {"time empty", EDIT_SET, "time", "0", 100, "size mis-match: 0 != 88"},
        {"time not base64", EDIT_SET, "time", "!!!!", 100, "time"},
        {"no recipients", EDIT_SET, "recipient_count", "0", 100,
         "ABCDE1: no recipients in delivery request for destination test "
         "reason"},
        {"negative count", EDIT_SET, "recipient_count", "4294967295", 100,
         "no recipients"},
        {"count over the limit", EDIT_SET, "recipient_count", "100000000", 100,
         "ABCDE1: recipient count 100000000 exceeds limit 100"},
        {"count just over", EDIT_SET, "recipient_count", "2", 1,
         "recipient count 2 exceeds limit 1"},
        {"count beyond what came", EDIT_SET, "recipient_count", "3", 100,
         "error receiving recipient attributes"},
        {"bad queue name", EDIT_SET, "queue_name", "../etc", 100,
         "bad mail queue name: ../etc"},
        {"bad queue id", EDIT_SET, "queue_id", "ab/cd", 100,
         "bad mail queue ID: ab/cd"},
        {"empty queue id", EDIT_SET, "queue_id", "", 100, "bad mail queue ID"},
        {"garbage", EDIT_RAW, NULL, "hello world\n\001\002", 100,
         "error receiving common attributes"},
        {"empty input", EDIT_RAW, NULL, "", 100,
         "error receiving common attributes"},
        {"cut in the header", EDIT_TRUNCATE, "50", NULL, 100,
         "error receiving common attributes"},
        {"cut in a recipient", EDIT_TRUNCATE, "-20", NULL, 100,
         "error receiving recipient attributes"},
        {"recipient without offset", EDIT_RCPT_DROP, "offset", NULL, 100,
         "unexpected attribute dsn_orig_rcpt"},
        {"recipient with extra", EDIT_RCPT_EXTRA, NULL, NULL, 100,
         "unexpected attribute foo"},
        {"one list, no terminators", EDIT_RAW, NULL, NULL, 100,
         "unexpected attribute original_recipient"},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct pair h[HDR_COUNT + 2];
        struct pair r[7];
        struct buf *wire = buf_alloc(1000);
        struct deliver_request *req = deliver_request_alloc();
        struct stream *sp;
        int j;
        int k;

        good_header(h);
        memcpy(r, good_rcpt1, sizeof(good_rcpt1));
        switch (cases[i].edit) {
        case EDIT_DROP:
            for (j = k = 0; h[j].name; j++)
                if (strcmp(h[j].name, cases[i].arg) != 0)
                    h[k++] = h[j];
            h[k].name = NULL;
            break;
        case EDIT_SET:
            for (j = 0; h[j].name; j++) {
                if (strcmp(h[j].name, cases[i].arg) != 0)
                    continue;
                if (strcmp(cases[i].arg, "time") == 0 &&
                    strcmp(cases[i].value, "!!!!") != 0)
                    h[j].value = zero_time((size_t)atoi(cases[i].value));
                else if (strcmp(cases[i].arg, "smtputf8") == 0)
                    h[j].name = cases[i].value;
                else
                    h[j].value = cases[i].value;
            }
            break;
        case EDIT_EXTRA:
            for (j = HDR_COUNT; j >= 0; j--) {
                h[j + 1] = h[j];
                if (h[j].name && strcmp(h[j].name, cases[i].arg) == 0) {
                    h[j].name = "foo";
                    h[j].value = "bar";
                    break;
                }
            }
            break;
        case EDIT_RCPT_DROP:
            for (j = k = 0; r[j].name; j++)
                if (strcmp(r[j].name, cases[i].arg) != 0)
                    r[k++] = r[j];
            r[k].name = NULL;
            break;
        case EDIT_RCPT_EXTRA:
            r[5].name = "foo";
            r[5].value = "bar";
            r[6].name = NULL;
            break;
        default:
            break;
        }
        if (cases[i].edit == EDIT_RAW && cases[i].value) {
            buf_append(wire, cases[i].value, strlen(cases[i].value));
        } else if (cases[i].edit == EDIT_RAW) {
            /* Header and recipients in one list, as a naive client
             * might send them: Postfix refuses that too. */
            put_list(wire, h);
            buf_truncate(wire, buf_len(wire) - 1);
            put_list(wire, good_rcpt1);
        } else {
            put_list(wire, h);
            put_list(wire, r);
            put_list(wire, good_rcpt2);
        }
        if (cases[i].edit == EDIT_TRUNCATE) {
            long cut = atol(cases[i].arg);

            buf_truncate(wire, cut > 0 ? (size_t)cut : buf_len(wire) + cut);
        }
        sp = unit_stream_feed(buf_str(wire), buf_len(wire));
        capture_all_start();
        UNIT_CHECK_INT(cases[i].name,
                       deliver_request_get(sp, req, cases[i].limit), -1);
        capture_all_stop();
        UNIT_CHECK_HAS(cases[i].name, buf_str(all_warnings), cases[i].warning);
        stream_close(sp);
        deliver_request_free(req);
        buf_free(wire);
    }
    buf_free(all_warnings);
    all_warnings = NULL;
}

/* --- the reply --- */

static void test_reply(void)
{
    static const char want_empty[] =
        "status\0\0diag_type\0\0diag_text\0\0mta_type\0\0mta_mname\0\0"
        "action\0\0reason\0\0status\0004294967295\0";
    struct bounce_dsn hop = {"4.4.1",    "failed", "connection refused", "smtp",
                             "421 busy", "dns",    "mx.example"};
    struct deliver_reply *reply = deliver_reply_alloc();
    struct stream *sp;
    char *path;
    char *got;
    size_t len;

    /* The error reply, byte for byte as Postfix 3.7 sends it. */
    sp = unit_stream_tmpfile("reply", &path);
    CU_ASSERT_EQUAL(deliver_reply_send(sp, NULL, DELIVER_STAT_DEFER), 0);
    stream_close(sp);
    got = unit_read_file(path, &len);
    CU_ASSERT_EQUAL(len, sizeof(want_empty));
    CU_ASSERT(len == sizeof(want_empty) && memcmp(got, want_empty, len) == 0);
    mem_free(got);
    mem_free(path);

    /* A hop status round trip. */
    sp = unit_stream_tmpfile("reply2", NULL);
    CU_ASSERT_EQUAL(deliver_reply_send(sp, &hop, 0), 0);
    CU_ASSERT_FATAL(stream_seek(sp, 0, SEEK_SET) == 0);
    CU_ASSERT_EQUAL(deliver_reply_get(sp, reply), 0);
    CU_ASSERT_STRING_EQUAL(buf_str(reply->status), "4.4.1");
    CU_ASSERT_STRING_EQUAL(buf_str(reply->diag_type), "smtp");
    CU_ASSERT_STRING_EQUAL(buf_str(reply->diag_text), "421 busy");
    CU_ASSERT_STRING_EQUAL(buf_str(reply->mta_type), "dns");
    CU_ASSERT_STRING_EQUAL(buf_str(reply->mta_mname), "mx.example");
    CU_ASSERT_STRING_EQUAL(buf_str(reply->action), "failed");
    CU_ASSERT_STRING_EQUAL(buf_str(reply->reason), "connection refused");
    CU_ASSERT_EQUAL(reply->deliver_status, 0);
    stream_close(sp);

    /* Malformed and cut-short replies. */
    {
        static const struct {
            const char *name;
            const char *data;
            size_t len;
        } bad[] = {
            {"empty", "", 0},
            {"status only", UNIT_BYTES("status\0000\0\0")},
            {"cut short", UNIT_BYTES("status\0\0diag_type\0\0diag")},
            {"bad number",
             UNIT_BYTES("status\0\0diag_type\0\0diag_text\0\0mta_type\0\0"
                        "mta_mname\0\0action\0\0reason\0\0status\0x\0\0")},
        };

        for (size_t i = 0; i < UNIT_COUNT(bad); i++) {
            sp = unit_stream_feed(bad[i].data, bad[i].len);
            unit_capture_start();
            UNIT_CHECK_INT(bad[i].name, deliver_reply_get(sp, reply), -1);
            unit_capture_stop();
            UNIT_CHECK_WARNING(bad[i].name, "malformed delivery agent reply");
            stream_close(sp);
        }
    }
    deliver_reply_free(reply);
}

/* --- marking recipients done --- */

static void test_completed(void)
{
    struct deliver_request *req = deliver_request_alloc();
    struct stream *sp;
    char *path;
    char *data;
    size_t len;
    off_t r1;
    off_t r2;
    off_t s_off;

    sp = unit_stream_tmpfile("qfile", &path);
    rec_puts(sp, REC_TYPE_TIME, "1 0");
    s_off = stream_tell(sp);
    rec_puts(sp, REC_TYPE_FROM, "s@x");
    r1 = stream_tell(sp);
    rec_puts(sp, REC_TYPE_RCPT, "a@x");
    r2 = stream_tell(sp);
    rec_puts(sp, REC_TYPE_RCPT, "b@x");
    rec_puts(sp, REC_TYPE_END, "");
    CU_ASSERT_FATAL(stream_flush(sp) == 0);
    stream_close(sp);

    req->queue_id = mem_strdup("Q1");
    req->queue_name = mem_strdup("active");
    req->fd = open(path, O_RDWR);
    CU_ASSERT_FATAL(req->fd >= 0);

    unit_capture_start();
    CU_ASSERT_EQUAL(deliver_completed(req, (long)r2), 0);
    CU_ASSERT_EQUAL(deliver_completed(req, (long)r2), 0); /* again: no-op */
    CU_ASSERT_EQUAL(deliver_completed(req, -1), 0);
    unit_capture_stop();
    UNIT_CHECK_WARNING("good offsets", "");

    unit_capture_start();
    CU_ASSERT_EQUAL(deliver_completed(req, (long)s_off), -1);
    unit_capture_stop();
    UNIT_CHECK_WARNING("sender offset", "offset");
    unit_capture_start();
    CU_ASSERT_EQUAL(deliver_completed(req, 0), -1);
    unit_capture_stop();
    UNIT_CHECK_WARNING("offset 0", "offset 0");
    unit_capture_start();
    CU_ASSERT_EQUAL(deliver_completed(req, 100000), -1);
    unit_capture_stop();
    UNIT_CHECK_WARNING("beyond the end", "offset 100000");

    data = unit_read_file(path, &len);
    CU_ASSERT_EQUAL(data[r1], REC_TYPE_RCPT);
    CU_ASSERT_EQUAL(data[r2], REC_TYPE_DONE);
    CU_ASSERT_EQUAL(data[s_off], REC_TYPE_FROM);
    mem_free(data);
    mem_free(path);
    deliver_request_free(req);
}

static const struct unit_case log_cases[] = {
    {"delay format", test_delay_format},
    {"log line", test_log_line},
    {"quote address", test_quote_addr},
    {"dsn split", test_dsn_split},
    {NULL, NULL},
};

static const struct unit_case request_cases[] = {
    {"good request", test_request_get_good},
    {"request bytes", test_request_send_bytes},
    {"round trip", test_request_round_trip},
    {"malformed requests", test_request_get_bad},
    {"reply", test_reply},
    {"mark done", test_completed},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"deliver_log", log_cases},
    {"deliver_request", request_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
