/*
 * test_qmqpd - unit tests for the QMQP server's socket-free parts
 *
 * qmqpd_proto.c (cleanup status -> reply, the VERP sender convention,
 * the Received: header, the message as N/L records) and the util
 * modules qmqpd brought: verp_delims, input_flags (cleanup flags from
 * receive_override_options and smtputf8_autodetect_classes) and
 * client_peer. The expected values are what Postfix 3.7's qmqpd was
 * seen to send and answer (see qmqpd_proto.c). Records are rendered as
 * "T:payload|T:payload" (a TAB shows as \t) for the table comparisons.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup_user.h"
#include "client_peer.h"
#include "conf.h"
#include "input_flags.h"
#include "mem.h"
#include "qmqpd.h"
#include "record.h"
#include "stream.h"
#include "unit.h"
#include "verp_delims.h"

/* Read back what was written to a temporary file stream. */
static void render_records(struct stream *sp, struct buf *out)
{
    struct buf *rec = buf_alloc(100);
    int type;

    buf_reset(out);
    CU_ASSERT_EQUAL_FATAL(stream_flush(sp), 0);
    CU_ASSERT_EQUAL_FATAL(stream_seek(sp, 0, SEEK_SET), 0);
    while ((type = rec_get(sp, rec, 0)) >= 0) {
        if (buf_len(out))
            buf_append_char(out, '|');
        buf_append_char(out, type);
        buf_append_char(out, ':');
        for (size_t i = 0; i < buf_len(rec); i++) {
            if (rec->data[i] == '\t')
                buf_append_str(out, "\\t");
            else
                buf_append_char(out, rec->data[i]);
        }
    }
    CU_ASSERT_EQUAL(type, REC_TYPE_EOF);
    buf_free(rec);
}

/* --- status -> reply --- */

static const struct {
    const char *name;
    unsigned status;
    const char *reason;
    int code;
    const char *text;
} reply_cases[] = {
    {"ok", 0, "", 'K', "Ok: queued as QID1"},
    {"defer", CLEANUP_STAT_DEFER, "4.3.0 defer reason", 'Z',
     "Error: 4.3.0 defer reason"},
    {"defer outranks bad", CLEANUP_STAT_DEFER | CLEANUP_STAT_BAD, "4.1.1 d",
     'Z', "Error: 4.1.1 d"},
    {"bad", CLEANUP_STAT_BAD, "x", 'Z', "Error: internal error 1"},
    {"bad shows all bits", CLEANUP_STAT_BAD | CLEANUP_STAT_SIZE, "x", 'Z',
     "Error: internal error 5"},
    {"size", CLEANUP_STAT_SIZE, "message file too big", 'D',
     "Error: message too large"},
    {"size outranks hops", CLEANUP_STAT_SIZE | CLEANUP_STAT_HOPS, "x", 'D',
     "Error: message too large"},
    {"size outranks content", CLEANUP_STAT_SIZE | CLEANUP_STAT_CONT, "x", 'D',
     "Error: message too large"},
    {"hops", CLEANUP_STAT_HOPS, "x", 'D', "Error: too many hops"},
    {"hops outranks content", CLEANUP_STAT_HOPS | CLEANUP_STAT_CONT, "5.1.1 x",
     'D', "Error: too many hops"},
    {"hops outranks rcpt", CLEANUP_STAT_HOPS | CLEANUP_STAT_RCPT, "x", 'D',
     "Error: too many hops"},
    {"content permanent", CLEANUP_STAT_CONT, "5.7.1 blah blah", 'D',
     "Error: 5.7.1 blah blah"},
    {"content temporary", CLEANUP_STAT_CONT, "4.7.1 try later", 'Z',
     "Error: 4.7.1 try later"},
    {"content without reason", CLEANUP_STAT_CONT, "", 'D', "Error: "},
    {"content outranks write", CLEANUP_STAT_CONT | CLEANUP_STAT_WRITE,
     "5.7.1 c", 'D', "Error: 5.7.1 c"},
    {"write", CLEANUP_STAT_WRITE, "x", 'Z', "Error: queue file write error"},
    {"write outranks rcpt", CLEANUP_STAT_WRITE | CLEANUP_STAT_RCPT, "x", 'Z',
     "Error: queue file write error"},
    {"rcpt", CLEANUP_STAT_RCPT, "no recipients", 'D',
     "Error: no recipients specified"},
    {"proxy", CLEANUP_STAT_PROXY, "proxy", 'Z', "Error: internal error 128"},
    {"noperm", CLEANUP_STAT_NOPERM, "5.7.1 x", 'Z',
     "Error: internal error 512"},
    {"bare lf", CLEANUP_STAT_BARE_LF, "x", 'Z', "Error: internal error 65536"},
};

static void test_qmqpd_status_reply(void)
{
    struct buf *text = buf_alloc(10);

    for (size_t i = 0; i < UNIT_COUNT(reply_cases); i++) {
        int code = qmqpd_status_reply(reply_cases[i].status,
                                      reply_cases[i].reason, "QID1", text);

        UNIT_CHECK_INT(reply_cases[i].name, code, reply_cases[i].code);
        UNIT_CHECK_STR(reply_cases[i].name, buf_str(text), reply_cases[i].text);
    }
    buf_free(text);
}

/* --- VERP --- */

static const struct {
    const char *name;
    const char *sender;
    size_t len;
    const char *filter;
    int want;
    const char *out;
    const char *delims;
    const char *why;
} verp_cases[] = {
    {"plain sender", UNIT_BYTES("s@example.org"), "-=+", QMQPD_VERP_NONE,
     "s@example.org", "", ""},
    {"empty sender", UNIT_BYTES(""), "-=+", QMQPD_VERP_NONE, "", "", ""},
    {"dash", UNIT_BYTES("list-@example.com-@[]"), "-=+", QMQPD_VERP_OK,
     "list@example.com", "-=", ""},
    {"equals", UNIT_BYTES("list=@example.com-@[]"), "-=+", QMQPD_VERP_OK,
     "list@example.com", "==", ""},
    {"plus", UNIT_BYTES("list+@example.com-@[]"), "-=+", QMQPD_VERP_OK,
     "list@example.com", "+=", ""},
    {"case kept", UNIT_BYTES("L-@E-@[]"), "-=+", QMQPD_VERP_OK, "L@E",
     "-=", ""},
    {"first at sign", UNIT_BYTES("l-@e-@[]-@[]"), "-=+", QMQPD_VERP_OK,
     "l@e-@[]", "-=", ""},
    {"bad delimiter", UNIT_BYTES("list!@example.com-@[]"), "-=+",
     QMQPD_VERP_BAD, "", "",
     "Invalid VERP delimiters: \"!=\". Need two characters from \"-=+\""},
    {"filter without equals", UNIT_BYTES("l-@e-@[]"), "-+", QMQPD_VERP_BAD, "",
     "", "Need two characters from \"-+\""},
    {"suffix only", UNIT_BYTES("-@[]"), "-=+", QMQPD_VERP_NONE, "-@[]", "", ""},
    {"no at before suffix", UNIT_BYTES("x-@[]"), "-=+", QMQPD_VERP_NONE,
     "x-@[]", "", ""},
    {"empty prefix", UNIT_BYTES("@example.com-@[]"), "-=+", QMQPD_VERP_NONE,
     "@example.com-@[]", "", ""},
    {"one-character prefix", UNIT_BYTES("a@b-@c-@[]"), "-=+", QMQPD_VERP_NONE,
     "a@b-@c-@[]", "", ""},
    {"empty origin", UNIT_BYTES("l-@-@[]"), "-=+", QMQPD_VERP_NONE, "l-@-@[]",
     "", ""},
    {"text after suffix", UNIT_BYTES("l-@e-@[]x"), "-=+", QMQPD_VERP_NONE,
     "l-@e-@[]x", "", ""},
    {"truncated suffix", UNIT_BYTES("l-@e-@["), "-=+", QMQPD_VERP_NONE,
     "l-@e-@[", "", ""},
    {"suffix without dash", UNIT_BYTES("l-@e@[]"), "-=+", QMQPD_VERP_NONE,
     "l-@e@[]", "", ""},
    {"NUL before the at sign", UNIT_BYTES("l\0@e-@[]"), "-=+", QMQPD_VERP_NONE,
     "l", "", ""},
    {"NUL after the suffix", UNIT_BYTES("l-@e-@[]\0"), "-=+", QMQPD_VERP_NONE,
     "l-@e-@[]", "", ""},
};

static void test_qmqpd_verp(void)
{
    struct buf *out = buf_alloc(10);
    struct buf *delims = buf_alloc(10);
    struct buf *why = buf_alloc(10);

    for (size_t i = 0; i < UNIT_COUNT(verp_cases); i++) {
        int got;

        buf_reset(delims);
        buf_reset(why);
        got = qmqpd_verp_sender(verp_cases[i].sender, verp_cases[i].len,
                                verp_cases[i].filter, out, delims, why);
        UNIT_CHECK_INT(verp_cases[i].name, got, verp_cases[i].want);
        if (got == QMQPD_VERP_BAD) {
            UNIT_CHECK_HAS(verp_cases[i].name, buf_str(why), verp_cases[i].why);
            continue;
        }
        /* The sender keeps its bytes, NULs included. */
        if (got == QMQPD_VERP_NONE)
            UNIT_CHECK_INT(verp_cases[i].name, buf_len(out), verp_cases[i].len);
        UNIT_CHECK_STR(verp_cases[i].name, buf_str(out), verp_cases[i].out);
        UNIT_CHECK_STR(verp_cases[i].name, buf_str(delims),
                       verp_cases[i].delims);
    }
    buf_free(out);
    buf_free(delims);
    buf_free(why);
}

static void test_verp_delims_verify(void)
{
    struct buf *why = buf_alloc(10);

    CU_ASSERT_EQUAL(verp_delims_verify("+=", "-=+", why), 0);
    CU_ASSERT_EQUAL(verp_delims_verify("-=", "-=+", NULL), 0);
    CU_ASSERT_EQUAL(verp_delims_verify("+=", "-+", why), -1);
    UNIT_CHECK_STR("default vs filter", buf_str(why),
                   "Invalid VERP delimiters: \"+=\". Need two characters "
                   "from \"-+\"");
    CU_ASSERT_EQUAL(verp_delims_verify("+", "-=+", NULL), -1);
    CU_ASSERT_EQUAL(verp_delims_verify("+=-", "-=+", NULL), -1);
    CU_ASSERT_EQUAL(verp_delims_verify("", "-=+", NULL), -1);
    buf_free(why);
}

/* --- content records --- */

static const struct {
    const char *name;
    const char *message;
    size_t len;
    size_t limit;
    const char *records;
} content_cases[] = {
    {"ordinary", UNIT_BYTES("Subject: x\n\nhello\n"), 2048,
     "N:Subject: x|N:|N:hello"},
    {"empty message", UNIT_BYTES(""), 2048, ""},
    {"lone LF", UNIT_BYTES("\n"), 2048, "N:"},
    {"last line without LF", UNIT_BYTES("a\nb"), 2048, "N:a|L:b"},
    {"CR kept", UNIT_BYTES("Subject: x\r\n\r\nbody\r\n"), 2048,
     "N:Subject: x\r|N:\r|N:body\r"},
    {"NUL kept", UNIT_BYTES("a\0b\n"), 2048, "N:a"},
    {"line at the limit", UNIT_BYTES("abcd\n"), 4, "N:abcd"},
    {"line over the limit", UNIT_BYTES("abcdefghij\n"), 4,
     "L:abcd|L:efgh|N:ij"},
    {"line twice the limit", UNIT_BYTES("abcdefgh\nx\n"), 4,
     "L:abcd|N:efgh|N:x"},
    {"unterminated long line", UNIT_BYTES("abcdefgh"), 4, "L:abcd|L:efgh"},
    {"unterminated limit plus one", UNIT_BYTES("abcde"), 4, "L:abcd|L:e"},
    {"from line", UNIT_BYTES("From foo@bar Mon Jan 1\nSubject: x\n"), 2048,
     "N:X-Mailbox-Line: From foo@bar Mon Jan 1|N:Subject: x"},
    {"quoted from line", UNIT_BYTES(">From x\nS: x\n"), 2048,
     "N:X-Mailbox-Line: >From x|N:S: x"},
    {"twice quoted from line", UNIT_BYTES(">>From x\nS: x\n"), 2048,
     "N:X-Mailbox-Line: >>From x|N:S: x"},
    {"two from lines", UNIT_BYTES("From a\nFrom b\n"), 2048,
     "N:X-Mailbox-Line: From a|N:X-Mailbox-Line: From b"},
    {"From without space", UNIT_BYTES("Fromx\nS: x\n"), 2048, "N:Fromx|N:S: x"},
    {"from line later", UNIT_BYTES("S: x\nFrom x\n"), 2048, "N:S: x|N:From x"},
    {"from line without LF", UNIT_BYTES("From x"), 2048,
     "L:X-Mailbox-Line: From x"},
    {"long from line", UNIT_BYTES("From abcdefgh\nS\n"), 8,
     "L:X-Mailbox-Line: From abc|N:defgh|N:S"},
    {"leading space", UNIT_BYTES(" lead\nSubject: x\n"), 2048,
     "N:|N: lead|N:Subject: x"},
    {"leading tab", UNIT_BYTES("\tx\nS: x\n"), 2048, "N:|N:\\tx|N:S: x"},
    {"leading space without LF", UNIT_BYTES(" x"), 2048, "N:|L: x"},
    {"from line then space", UNIT_BYTES("From x\n lead\nS\n"), 2048,
     "N:X-Mailbox-Line: From x|N:|N: lead|N:S"},
    {"empty first line", UNIT_BYTES("\nS: x\n"), 2048, "N:|N:S: x"},
    {"space on a later line", UNIT_BYTES("S: x\n y\n"), 2048, "N:S: x|N: y"},
};

static void test_qmqpd_content(void)
{
    struct buf *got = buf_alloc(100);

    for (size_t i = 0; i < UNIT_COUNT(content_cases); i++) {
        struct stream *sp = unit_stream_tmpfile("qmqpd_content", NULL);

        qmqpd_put_content(sp, content_cases[i].message, content_cases[i].len,
                          content_cases[i].limit);
        render_records(sp, got);
        /* The rendering stops at a NUL; compare the visible part. */
        UNIT_CHECK_STR(content_cases[i].name, buf_str(got),
                       content_cases[i].records);
        stream_close(sp);
    }
    buf_free(got);
}

/* --- Received: --- */

static const struct {
    const char *name;
    const char *client;
    const char *addr;
    int count;
    const char *rcpt;
    const char *records;
} received_cases[] = {
    {"one recipient", "localhost", "127.0.0.1", 1, "r@example.net",
     "N:Received: from localhost (localhost [127.0.0.1])"
     "|N:\\tby mx.example (Postern) with QMQP id QID1"
     "|N:\\tfor <r@example.net>; DATE"},
    {"several recipients", "localhost", "127.0.0.1", 3, "r@example.net",
     "N:Received: from localhost (localhost [127.0.0.1])"
     "|N:\\tby mx.example (Postern) with QMQP"
     "|N:\\tid QID1; DATE"},
    {"no recipient", "unknown", "127.0.0.2", 0, "",
     "N:Received: from unknown (unknown [127.0.0.2])"
     "|N:\\tby mx.example (Postern) with QMQP"
     "|N:\\tid QID1; DATE"},
    {"ipv6 client", "unknown", "IPv6:::1", 1, "r@y",
     "N:Received: from unknown (unknown [IPv6:::1])"
     "|N:\\tby mx.example (Postern) with QMQP id QID1"
     "|N:\\tfor <r@y>; DATE"},
    {"recipient quoted", "h", "192.0.2.1", 1, "a b@y",
     "N:Received: from h (h [192.0.2.1])"
     "|N:\\tby mx.example (Postern) with QMQP id QID1"
     "|N:\\tfor <\"a b\"@y>; DATE"},
    {"recipient quote escaped", "h", "192.0.2.1", 1, "a\"b@y",
     "N:Received: from h (h [192.0.2.1])"
     "|N:\\tby mx.example (Postern) with QMQP id QID1"
     "|N:\\tfor <\"a\\\"b\"@y>; DATE"},
    {"empty recipient", "h", "192.0.2.1", 1, "",
     "N:Received: from h (h [192.0.2.1])"
     "|N:\\tby mx.example (Postern) with QMQP id QID1"
     "|N:\\tfor <\"\">; DATE"},
    {"empty local part", "h", "192.0.2.1", 1, "@y",
     "N:Received: from h (h [192.0.2.1])"
     "|N:\\tby mx.example (Postern) with QMQP id QID1"
     "|N:\\tfor <\"\"@y>; DATE"},
};

static void test_qmqpd_received(void)
{
    struct buf *got = buf_alloc(100);

    for (size_t i = 0; i < UNIT_COUNT(received_cases); i++) {
        struct stream *sp = unit_stream_tmpfile("qmqpd_received", NULL);
        struct qmqpd_received r = {received_cases[i].client,
                                   received_cases[i].addr,
                                   "mx.example",
                                   "Postern",
                                   "QID1",
                                   received_cases[i].count,
                                   received_cases[i].rcpt,
                                   "DATE"};

        qmqpd_put_received(sp, &r);
        render_records(sp, got);
        UNIT_CHECK_STR(received_cases[i].name, buf_str(got),
                       received_cases[i].records);
        stream_close(sp);
    }
    buf_free(got);
}

/* --- input_flags --- */

static const struct {
    const char *name;
    const char *value;
    int flags; /* after applying to the external mask, or -1 */
    const char *error;
} transp_cases[] = {
    {"empty", "", 114, ""},
    {"no_address_mappings", "no_address_mappings", 66, ""},
    {"no_header_body_checks", "no_header_body_checks", 112, ""},
    {"no_milters", "no_milters", 50, ""},
    {"no_unknown_recipient_checks", "no_unknown_recipient_checks", 114, ""},
    {"all of them", "no_address_mappings, no_header_body_checks no_milters", 0,
     ""},
    {"unknown option", "bogus_option, no_milters", -1,
     "unknown receive_override_options value \"bogus_option\" in "
     "\"bogus_option, no_milters\""},
    {"case matters", "NO_MILTERS", -1, "\"NO_MILTERS\""},
};

static void test_input_transp(void)
{
    struct buf *err = buf_alloc(10);

    CU_ASSERT_EQUAL(CLEANUP_FLAG_MASK_EXTERNAL, 114);
    for (size_t i = 0; i < UNIT_COUNT(transp_cases); i++) {
        int mask;

        buf_reset(err);
        mask = input_transp_mask(transp_cases[i].value, err);
        if (transp_cases[i].flags < 0) {
            UNIT_CHECK_INT(transp_cases[i].name, mask, -1);
            UNIT_CHECK_HAS(transp_cases[i].name, buf_str(err),
                           transp_cases[i].error);
        } else {
            UNIT_CHECK_INT(
                transp_cases[i].name,
                input_transp_cleanup(CLEANUP_FLAG_MASK_EXTERNAL, mask),
                transp_cases[i].flags);
        }
    }
    buf_free(err);
}

static void test_input_autoutf8(void)
{
    struct buf *err = buf_alloc(10);
    struct conf *conf;
    static const char text[] = "smtputf8_autodetect_classes = qmqpd\n"
                               "receive_override_options = no_milters\n";

    UNIT_CHECK_INT("default classes",
                   input_autoutf8("sendmail, verify", "qmqpd", err), 0);
    UNIT_CHECK_INT("qmqpd listed", input_autoutf8("qmqpd", "qmqpd", err),
                   CLEANUP_FLAG_AUTOUTF8);
    UNIT_CHECK_INT("all", input_autoutf8("all", "qmqpd", err),
                   CLEANUP_FLAG_AUTOUTF8);
    UNIT_CHECK_INT("unknown class", input_autoutf8("qmqp", "qmqpd", err), -1);
    UNIT_CHECK_HAS("unknown class", buf_str(err), "\"qmqp\"");

    /* Postfix 3.7: 114 by default, 626 with the class listed. */
    conf = conf_create();
    UNIT_CHECK_INT("defaults",
                   input_cleanup_flags(conf, CLEANUP_FLAG_MASK_EXTERNAL,
                                       INPUT_CLASS_QMQPD),
                   114);
    conf_free(conf);
    conf = conf_create();
    CU_ASSERT_EQUAL_FATAL(
        conf_read_text(conf, "main.cf", text, strlen(text), err), 0);
    UNIT_CHECK_INT("listed, no milters",
                   input_cleanup_flags(conf, CLEANUP_FLAG_MASK_EXTERNAL,
                                       INPUT_CLASS_QMQPD),
                   626 - CLEANUP_FLAG_MILTER);
    conf_set(conf, "smtputf8_enable", "no");
    UNIT_CHECK_INT("SMTPUTF8 off",
                   input_cleanup_flags(conf, CLEANUP_FLAG_MASK_EXTERNAL,
                                       INPUT_CLASS_QMQPD),
                   114 - CLEANUP_FLAG_MILTER);
    conf_free(conf);
    buf_free(err);
}

/* --- client_peer --- */

static const struct {
    const char *name;
    int valid;
} hostname_cases[] = {
    {"localhost", 1},
    {"mail.example.com", 1},
    {"a-b.example", 1},
    {"under_score.example", 1},
    {"UPPER.Example", 1},
    {"", 0},
    {".example", 0},
    {"a..example", 0},
    {"-a.example", 0},
    {"a-.example", 0},
    {"a.example-", 0},
    {"a b.example", 0},
    {"a/b", 0},
    {"127.0.0.1", 0},
    {"::1", 0},
    {"0123456789012345678901234567890123456789012345678901234567890123.x", 0},
    {"012345678901234567890123456789012345678901234567890123456789012.x", 1},
};

static void test_client_peer_hostname(void)
{
    for (size_t i = 0; i < UNIT_COUNT(hostname_cases); i++)
        UNIT_CHECK_INT(hostname_cases[i].name,
                       client_peer_hostname_valid(hostname_cases[i].name),
                       hostname_cases[i].valid);
}

static void test_client_peer_forms(void)
{
    struct client_peer peer;

    client_peer_set(&peer, "unknown", "::1", "34618", AF_INET6);
    UNIT_CHECK_STR("rfc_addr v6", peer.rfc_addr, "IPv6:::1");
    UNIT_CHECK_STR("namaddr v6", peer.namaddr, "unknown[::1]");
    UNIT_CHECK_STR("namaddrport v6", peer.namaddrport, "unknown[::1]:34618");
    client_peer_free(&peer);
    client_peer_set(&peer, "localhost", "127.0.0.1", "25", AF_INET);
    UNIT_CHECK_STR("rfc_addr v4", peer.rfc_addr, "127.0.0.1");
    UNIT_CHECK_STR("namaddr v4", peer.namaddr, "localhost[127.0.0.1]");
    client_peer_free(&peer);
}

static void test_client_peer_lookup(void)
{
    struct client_peer peer;
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int pair[2];
    int lfd;
    int cfd;
    int sfd;

    /* Not an internet socket: localhost. */
    CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    client_peer_lookup(&peer, pair[0]);
    UNIT_CHECK_STR("unix name", peer.namaddr, "localhost[127.0.0.1]");
    UNIT_CHECK_STR("unix port", peer.port, "0");
    client_peer_free(&peer);
    close(pair[0]);
    close(pair[1]);

    /* A loopback TCP client: its address and port; its name is
     * whatever this host's resolver verifies (or "unknown"). */
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    CU_ASSERT_FATAL(lfd >= 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CU_ASSERT_EQUAL_FATAL(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    CU_ASSERT_EQUAL_FATAL(listen(lfd, 1), 0);
    CU_ASSERT_EQUAL_FATAL(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
    cfd = socket(AF_INET, SOCK_STREAM, 0);
    CU_ASSERT_EQUAL_FATAL(connect(cfd, (struct sockaddr *)&sin, sizeof(sin)),
                          0);
    sfd = accept(lfd, NULL, NULL);
    CU_ASSERT_FATAL(sfd >= 0);
    len = sizeof(sin);
    CU_ASSERT_EQUAL_FATAL(getsockname(cfd, (struct sockaddr *)&sin, &len), 0);
    unit_capture_start();
    client_peer_lookup(&peer, sfd);
    unit_capture_stop();
    UNIT_CHECK_STR("tcp address", peer.addr, "127.0.0.1");
    UNIT_CHECK_INT("tcp port", atoi(peer.port), ntohs(sin.sin_port));
    UNIT_CHECK_INT("tcp family", peer.family, AF_INET);
    CU_ASSERT(strcmp(peer.name, "unknown") == 0 ||
              client_peer_hostname_valid(peer.name));
    client_peer_free(&peer);
    close(sfd);
    close(cfd);
    close(lfd);
}

/* The per-delivery sender of a VERP message (util/verp_delims.c). */
static void test_verp_sender(void)
{
    static const struct {
        const char *delims, *sender, *rcpt, *want;
    } cases[] = {
        {"+=", "list-return@example.org", "user@domain.example",
         "list-return+user=domain.example@example.org"},
        {"-=", "owner@lists.example", "a@b", "owner-a=b@lists.example"},
        {"+=", "bare", "user@domain", "bare+user=domain"},
        {"+=", "s@x", "local", "s+local@x"},
        {"+=", "", "user@domain", ""},       /* null sender: no VERP */
        {"+", "s@x", "user@domain", "s@x"},  /* malformed delimiters */
        {"+=", "a@b@c", "u@d", "a@b+u=d@c"}, /* the last '@' splits */
    };
    struct buf *out = buf_alloc(16);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        verp_sender(out, cases[i].delims, cases[i].sender, cases[i].rcpt);
        UNIT_CHECK_STR(cases[i].want, buf_str(out), cases[i].want);
    }
    buf_free(out);
}

static const struct unit_case proto_cases[] = {
    {"status to reply", test_qmqpd_status_reply},
    {"VERP sender", test_qmqpd_verp},
    {"message records", test_qmqpd_content},
    {"Received: header", test_qmqpd_received},
    {NULL, NULL},
};

static const struct unit_case util_cases[] = {
    {"verp_delims_verify", test_verp_delims_verify},
    {"verp_sender", test_verp_sender},
    {"receive_override_options", test_input_transp},
    {"smtputf8 autodetect", test_input_autoutf8},
    {"host name syntax", test_client_peer_hostname},
    {"peer forms", test_client_peer_forms},
    {"peer lookup", test_client_peer_lookup},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"qmqpd_proto", proto_cases},
    {"qmqpd util", util_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
