/*
 * test_cleanup - unit tests for the cleanup daemon's message processing
 *
 * The cleanup modules (cleanup_state.c and the segment modules) are fed
 * record streams without a socket, writing to a temporary file; the file
 * is read back record by record and compared with what Postfix 3.7's
 * cleanup was seen to write for the same input (tests/system has the
 * same checks through a real daemon). Each table case is a record
 * stream in a compact notation, the request flags, the configuration
 * changes it needs, the expected status and, for an accepted message,
 * the expected records; rejected messages also name the warning.
 *
 * Notation: records separated by '|'; a record is its type letter,
 * then a space and the payload when there is one ("S a@b", "M", "N").
 * "p" stands for a dummy pointer record. The size record (first) is
 * checked separately: its fields are recomputed from the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cleanup_user.h"
#include "mem.h"
#include "msg.h"
#include "record.h"
#include "unit.h"

#define CREATE_TIME 1700000100L /* Tue, 14 Nov 2023 22:15:00 UTC */
#define QID         "ABCDEF123"

/* Informational log lines, for the message-id checks. */
static struct buf *info_lines;

static void capture_info(enum msg_level level, const char *text)
{
    if (level == MSG_INFO) {
        buf_append_str(info_lines, text);
        buf_append_char(info_lines, '\n');
    }
}

static void config_defaults(void)
{
    cleanup_config.hopcount_limit = 50;
    cleanup_config.message_size_limit = 10240000;
    cleanup_config.line_length_limit = 2048;
    cleanup_config.header_size_limit = 102400;
    cleanup_config.header_address_token_limit = 10240;
    cleanup_config.delay_warning_time = 0;
    cleanup_config.always_add_missing_headers = 0;
    cleanup_config.enable_original_recipient = 1;
    cleanup_config.duplicate_filter_limit = 1000;
    cleanup_config.append_at_myorigin = 1;
    cleanup_config.append_dot_mydomain = 0;
    cleanup_config.long_queue_ids = 0;
    cleanup_config.myhostname = "h.example";
    cleanup_config.myorigin = "h.example";
    cleanup_config.mydomain = "example";
    cleanup_config.mail_name = "Postern";
}

/* Encode the notation as a record stream. */
static void notation_records(const char *text, struct buf *out)
{
    const char *cp = text;

    buf_reset(out);
    while (*cp) {
        const char *end = strchr(cp, '|');
        size_t len = end ? (size_t)(end - cp) : strlen(cp);
        const char *data = len > 1 ? cp + 2 : "";
        size_t data_len = len > 1 ? len - 2 : 0;
        size_t left = data_len;

        buf_append_char(out, cp[0]);
        do {
            unsigned char byte = left & 0x7f;

            left >>= 7;
            buf_append_char(out, left ? byte | 0x80 : byte);
        } while (left);
        buf_append(out, data, data_len);
        cp += len;
        if (*cp == '|')
            cp++;
    }
}

struct cleanup_result {
    int status;
    struct buf *records; /* notation, without the size record */
    long size_fields[6];
    long want_content_size; /* recomputed from the file */
    long want_data_offset;
};

/* Run one message through a state; read the file back. */
static void run_message(const char *input, int flags,
                        struct cleanup_result *res)
{
    struct buf *stream = buf_alloc(100);
    struct buf *rec = buf_alloc(100);
    struct stream *dst = unit_stream_tmpfile("queue-file", NULL);
    struct stream *src;
    struct cleanup_state *state =
        cleanup_state_create(QID, dst, flags, (time_t)CREATE_TIME);
    long data_offset = -1;
    long xtra_offset = -1;
    int type;

    notation_records(input, stream);
    src = unit_stream_feed(buf_str(stream), buf_len(stream));
    while ((type = rec_get_raw(src, rec, 0)) >= 0)
        if (cleanup_record(state, type, buf_str(rec), buf_len(rec)))
            break;
    stream_close(src);
    res->status = state->segment == CLEANUP_SEG_DONE ? cleanup_finish(state)
                                                     : (int)state->errs;
    buf_reset(res->records);
    memset(res->size_fields, 0, sizeof(res->size_fields));
    if (res->status == 0) {
        CU_ASSERT_EQUAL(stream_seek(dst, 0, SEEK_SET), 0);
        while ((type = rec_get_raw(dst, rec, 0)) >= 0) {
            if (type == REC_TYPE_SIZE) {
                CU_ASSERT_EQUAL(
                    sscanf(buf_str(rec), "%ld %ld %ld %ld %ld %ld",
                           res->size_fields, res->size_fields + 1,
                           res->size_fields + 2, res->size_fields + 3,
                           res->size_fields + 4, res->size_fields + 5),
                    6);
                CU_ASSERT_EQUAL(buf_len(rec), REC_TYPE_SIZE_LEN);
                continue;
            }
            if (buf_len(res->records) > 0)
                buf_append_char(res->records, '|');
            buf_append_char(res->records, type);
            if (type == REC_TYPE_PTR) {
                CU_ASSERT_STRING_EQUAL(buf_str(rec), "              0");
            } else if (buf_len(rec) > 0) {
                buf_append_char(res->records, ' ');
                buf_append(res->records, buf_str(rec), buf_len(rec));
            }
            if (type == REC_TYPE_MESG)
                data_offset = (long)stream_tell(dst);
            if (type == REC_TYPE_XTRA)
                xtra_offset = (long)stream_tell(dst) - 2;
            if (type == REC_TYPE_END)
                break;
        }
        res->want_data_offset = data_offset;
        res->want_content_size = xtra_offset - data_offset;
    }
    cleanup_state_free(state);
    stream_close(dst);
    buf_free(stream);
    buf_free(rec);
}

#define OUR_RCV                                                                \
    "N Received: by h.example (Postern)|N \tid " QID                           \
    "; Tue, 14 Nov 2023 22:15:00 +0000 (UTC)"

#define RCV                                                                    \
    "N Received: by client.example (Postfix, from userid 0)|N \tid X; Mon, "   \
    "1 Jan 2024 00:00:00 +0000"
#define ENV_LOCAL "T 1700000000 5|A rewrite_context=local|S sender@s.example"
#define ENV_OUT                                                                \
    "T 1700000000 5|A create_time=1700000100|A rewrite_context=local|S "       \
    "sender@s.example"
#define RCPT_OUT(r) "A dsn_orig_rcpt=rfc822;" r "|O " r "|R " r
#define ADDED                                                                  \
    "N Message-Id: <20231114221500." QID "@h.example>|N Date: Tue, 14 Nov "    \
    "2023 22:13:20 +0000 (UTC)|N From: sender@s.example"

enum {
    CFG_NONE,
    CFG_SHORT_LINES,   /* line_length_limit 10 */
    CFG_SMALL_HEADERS, /* header_size_limit 30, line_length_limit 10 */
    CFG_SMALL_SIZE,    /* message_size_limit 300 */
    CFG_WARN,          /* delay_warning_time 4h */
    CFG_HOPS_2,        /* hopcount_limit 2 */
    CFG_NO_ORIG,       /* enable_original_recipient no */
    CFG_ALWAYS_ADD,    /* always_add_missing_headers yes */
    CFG_LONG_IDS,      /* enable_long_queue_ids yes */
};

static const struct {
    const char *name;
    int config;
    int flags;
    const char *input;
    int status;
    const char *output; /* status 0 */
    const char *warning;
} message_cases[] = {
    {"local message, our Received and added headers", CFG_NONE, 0,
     "T 1700000000 5|A rewrite_context=local|F Full Name|S sender|R "
     "rcpt@example.com|M|N Subject: hi|N|N body|X|E",
     0,
     "T 1700000000 5|A create_time=1700000100|A rewrite_context=local|F Full "
     "Name|S sender@h.example|" RCPT_OUT(
         "rcpt@example.com") "|p|M|N "
                             "Received: by h.example (Postern)|N \tid " QID
                             "; Tue, 14 Nov 2023 22:15:00 +0000 (UTC)|N "
                             "Subject: hi|N Message-Id: "
                             "<20231114221500." QID
                             "@h.example>|N Date: Tue, 14 Nov 2023 22:13:20 "
                             "+0000 (UTC)|N From: Full Name "
                             "<sender@h.example>|p|N|N body|p|X|E",
     ""},
    {"client's Received first: none added", CFG_NONE, 0,
     ENV_LOCAL "|R r@x|M|" RCV "|N Subject: s|N|N b|X|E", 0,
     ENV_OUT "|" RCPT_OUT("r@x") "|p|M|" RCV "|N Subject: s|" ADDED
                                 "|p|N|N b|p|X|E",
     ""},
    {"remote: nothing added, Bcc and Return-Path gone", CFG_NONE, 0,
     "T 1700000000 5|A rewrite_context=remote|S |R r@x|M|" RCV
     "|N Return-Path: <x@y>|N Bcc: hidden@x|N resent-bcc: h2@x|N "
     "Content-Length: 3|N To: a@x|N|N b|X|E",
     0,
     "T 1700000000 5|A create_time=1700000100|A rewrite_context=remote|S"
     "|" RCPT_OUT("r@x") "|p|M|" RCV "|N To: a@x|p|N|N b|p|X|E",
     ""},
    {"remote with always_add_missing_headers", CFG_ALWAYS_ADD, 0,
     "T 1700000000 5|A rewrite_context=remote|S |R r@x|M|" RCV "|N|X|E", 0,
     "T 1700000000 5|A create_time=1700000100|A rewrite_context=remote|S"
     "|" RCPT_OUT("r@x") "|p|M|" RCV "|N Message-Id: <20231114221500." QID
                         "@h.example>|N Date: Tue, 14 Nov 2023 22:13:20 +0000 "
                         "(UTC)|N From: "
                         "MAILER-DAEMON|p|N|p|X|E",
     ""},
    {"long queue IDs: <QID@host>", CFG_LONG_IDS, 0,
     ENV_LOCAL "|R r@x|M|" RCV "|N Date: x|N From: y|N|X|E", 0,
     ENV_OUT "|" RCPT_OUT(
         "r@x") "|p|M|" RCV "|N Date: x|N From: y@h.example|N Message-Id: <" QID
                "@h.example>|p|N|p|X|E",
     ""},
    {"resent headers", CFG_NONE, 0,
     ENV_LOCAL "|R r@x|M|" RCV "|N Message-ID: <a@b>|N Resent-To: q@x|N|X|E", 0,
     ENV_OUT "|" RCPT_OUT(
         "r@x") "|p|M|" RCV
                "|N Message-ID: <a@b>|N Resent-To: q@x|N Resent-Message-Id: "
                "<20231114221500." QID
                "@h.example>|N Resent-Date: Tue, 14 Nov 2023 22:13:20 +0000 "
                "(UTC)|N Resent-From: sender@s.example|p|N|p|X|E",
     ""},
    {"folded header stays one header", CFG_NONE, 0,
     ENV_LOCAL "|R r@x|M|" RCV "|N Subject: one|N \ttwo|N Bcc: a,|N  b|N|X|E",
     0,
     ENV_OUT "|" RCPT_OUT("r@x") "|p|M|" RCV "|N Subject: one|N \ttwo|" ADDED
                                 "|p|N|p|X|E",
     ""},
    {"body line without the empty line", CFG_NONE, 0,
     ENV_LOCAL "|R r@x|M|" RCV "|N From bob Mon Jan 1|N Subject: s|X|E", 0,
     ENV_OUT "|" RCPT_OUT("r@x") "|p|M|" RCV "|" ADDED
                                 "|p|N|N From bob Mon Jan 1|N Subject: s|p|X|E",
     ""},
    {"headers only, no empty line", CFG_NONE, 0,
     ENV_LOCAL "|R r@x|M|" RCV "|N Subject: s|X|E", 0,
     ENV_OUT "|" RCPT_OUT("r@x") "|p|M|" RCV "|N Subject: s|" ADDED "|p|p|X|E",
     ""},
    {"long lines are split at line_length_limit", CFG_SHORT_LINES, 0,
     ENV_LOCAL "|R r@x|M|" RCV
               "|N Subject: 0123456789abc|L X-A: 12|N 3456789|N|N "
               "0123456789012345678901|L body01234567|N z|X|E",
     0,
     ENV_OUT "|" RCPT_OUT(
         "r@x") "|p|M|L Received: |L by client.|L "
                "example (P|L ostfix, fr|L om userid |N 0)|L \tid X; Mon|L , 1 "
                "Jan 20|L 24 00:00:0|N 0 +0000|L Subject: 0|L 123456789a|N "
                "bc|L "
                "X-A: 12345|N 6789|L Message-Id|L : <2023111|L "
                "4221500.AB|L CDEF123@h.|N example>|L Date: Tue,|L  14 Nov "
                "20|L 23 22:13:2|L 0 +0000 (U|N TC)|L From: send|L "
                "er@s.examp|N le|p|N|L 0123456789|L 0123456789|N 01|L "
                "body012345|L 67|N z|p|X|E",
     ""},
    {"header_size_limit drops the rest of a header", CFG_SMALL_HEADERS, 0,
     ENV_LOCAL "|R r@x|M|N Received: x|N X-Big: aaaaaaaaaa|N \tbbbbbbbbbb|N "
               "\tcccccccccc|N Subject: after|N|X|E",
     0,
     ENV_OUT "|" RCPT_OUT(
         "r@x") "|p|M|L Received: |N x|L X-Big: aaa|N "
                "aaaaaaa|L \tbbbbbbbbb|N b|L Subject: a|N fter|L Message-Id|L "
                ": "
                "<2023111|L 4221500.AB|L CDEF123@h.|N example>|L Date: Tue,|L  "
                "14 Nov 20|L 23 22:13:2|L 0 +0000 (U|N TC)|L From: send|L "
                "er@s.examp|N le|p|N|p|X|E",
     ""},
    {"extracted recipients (sendmail -t)", CFG_NONE, 0,
     ENV_LOCAL "|M|" RCV "|N To: a@x|N Bcc: d@w|N|N b|X|R a@x|R d@w|E", 0,
     ENV_OUT "|p|M|" RCV "|N To: a@x|" ADDED
             "|p|N|N b|p|X|" RCPT_OUT("a@x") "|" RCPT_OUT("d@w") "|E",
     ""},
    {"DSN attributes and duplicates", CFG_NONE, 0,
     ENV_LOCAL "|i ENV|< 1|A dsn_orig_rcpt=rfc822;o@x|A notify_flags=6|O "
               "o@x|R r@x|R r2@x|R r2@x|o rfc822;q@x|n 8|R r3@x|M|" RCV
               "|N|X|E",
     0,
     ENV_OUT "|A envelope_id=ENV|A ret_flags=1|A notify_flags=6|A "
             "dsn_orig_rcpt=rfc822;o@x|O o@x|R r@x|" RCPT_OUT(
                 "r2@x") "|A notify_flags=8|A dsn_orig_rcpt=rfc822;q@x|O "
                         "r3@x|R r3@x|p|M|" RCV "|" ADDED "|p|N|p|X|E",
     ""},
    {"no original recipient records", CFG_NO_ORIG, 0,
     ENV_LOCAL "|R bob|M|" RCV "|N|X|E", 0,
     ENV_OUT "|A dsn_orig_rcpt=rfc822;bob@h.example|R bob@h.example|p|M|" RCV
             "|" ADDED "|p|N|p|X|E",
     ""},
    {"delay warning before the first recipient", CFG_WARN, 0,
     ENV_LOCAL "|A log_client_name=c|R r@x|A client_address=1.2.3.4|M|" RCV
               "|N|X|E",
     0,
     ENV_OUT "|A log_client_name=c|W      1700014400|" RCPT_OUT(
         "r@x") "|A client_address=1.2.3.4|p|M|" RCV "|" ADDED "|p|N|p|X|E",
     ""},
    {"no delay warning for the null sender", CFG_WARN, 0,
     "T 1700000000 5|S |R r@x|M|" RCV "|N|X|E", 0,
     "T 1700000000 5|A create_time=1700000100|S|" RCPT_OUT(
         "r@x") "|p|M|" RCV "|N Message-Id: <20231114221500." QID
                "@h.example>|N Date: Tue, 14 Nov 2023 22:13:20 +0000 (UTC)|N "
                "From: "
                "MAILER-DAEMON|p|N|p|X|E",
     ""},
    {"client's create_time, W, C, K dropped", CFG_NONE, 0,
     "C 1 2 3|T 1700000000 5|c 5|A create_time=6|W 7|K|S s@x|R r@x|M|" RCV
     "|N|X|E",
     0,
     "T 1700000000 5|A create_time=1700000100|S s@x|" RCPT_OUT(
         "r@x") "|p|M|" RCV "|N Message-Id: <20231114221500." QID
                "@h.example>|N Date: Tue, 14 Nov 2023 22:13:20 +0000 "
                "(UTC)|N From: s@x|p|N|p|X|E",
     ""},
    {"header addresses qualified in the local context", CFG_NONE, 0,
     ENV_LOCAL "|R r@x|M|" RCV "|N To: bob, \"Q\" <carol>, d@x|N|X|E", 0,
     ENV_OUT "|" RCPT_OUT(
         "r@x") "|p|M|" RCV
                "|N To: bob@h.example, \"Q\" <carol@h.example>, d@x|" ADDED
                "|p|N|p|X|E",
     ""},
    {"mbox-less body starting with white space", CFG_NONE, 0,
     ENV_LOCAL "|R r@x|M|N  indented|X|E", 0,
     ENV_OUT "|" RCPT_OUT("r@x") "|p|M|" OUR_RCV "|" ADDED
                                 "|p|N|N  indented|p|X|E",
     ""},
    /* Failures. */
    {"no recipients", CFG_NONE, 0, ENV_LOCAL "|M|" RCV "|N|X|E",
     CLEANUP_STAT_RCPT, NULL, ""},
    {"missing time", CFG_NONE, 0, "S s@x|R r@x|M|N|X|E", CLEANUP_STAT_BAD, NULL,
     "missing time envelope record"},
    {"unparsable time", CFG_NONE, 0, "T abc|S s@x|R r@x|M|N|X|E",
     CLEANUP_STAT_BAD, NULL, "missing time envelope record"},
    {"time beyond any date", CFG_WARN, 0,
     "T 9223372036854775807 0|S s@x|R r@x|M|N|X|E", CLEANUP_STAT_BAD, NULL,
     "missing time envelope record"},
    {"missing sender", CFG_NONE, 0, "T 1 2|R r@x|M|N|X|E", CLEANUP_STAT_BAD,
     NULL, "missing sender envelope record"},
    {"two senders", CFG_NONE, 0, "T 1 2|S a|S b|R r@x|M|N|X|E",
     CLEANUP_STAT_BAD, NULL, "multiple envelope sender records"},
    {"pointer record from the client", CFG_NONE, 0,
     ENV_LOCAL "|R r@x|p 0|M|N|X|E", CLEANUP_STAT_BAD, NULL,
     "record type 112 not allowed"},
    {"padding record from the client", CFG_NONE, 0,
     ENV_LOCAL "|R r@x|M|w xx|N|X|E", CLEANUP_STAT_BAD, NULL,
     "record type 119 not allowed"},
    {"content record in the envelope", CFG_NONE, 0,
     ENV_LOCAL "|N x|R r@x|M|N|X|E", CLEANUP_STAT_BAD, NULL,
     "unexpected record type 78 in envelope"},
    {"end in the envelope", CFG_NONE, 0, ENV_LOCAL "|R r@x|E", CLEANUP_STAT_BAD,
     NULL, "unexpected record type 69 in envelope"},
    {"end in the content", CFG_NONE, 0, ENV_LOCAL "|R r@x|M|N|E",
     CLEANUP_STAT_BAD, NULL, "unexpected record type 69 in message content"},
    {"envelope record in the content", CFG_NONE, 0,
     ENV_LOCAL "|R r@x|M|R x|X|E", CLEANUP_STAT_BAD, NULL,
     "unexpected record type 82 in message content"},
    {"content record in the extracted segment", CFG_NONE, 0,
     ENV_LOCAL "|R r@x|M|N|X|N x|E", CLEANUP_STAT_BAD, NULL,
     "unexpected record type 78 in extracted segment"},
    {"attribute without =", CFG_NONE, 0, ENV_LOCAL "|A junk|R r@x|M|N|X|E",
     CLEANUP_STAT_BAD, NULL, "missing '=' after attribute name: junk"},
    {"attribute without a name", CFG_NONE, 0, ENV_LOCAL "|A =x|R r@x|M|N|X|E",
     CLEANUP_STAT_BAD, NULL, "missing '='"},
    {"bad notify flags", CFG_NONE, 0,
     ENV_LOCAL "|A notify_flags=x|R r@x|M|N|X|E", CLEANUP_STAT_BAD, NULL,
     "bad DSN notify flags"},
    {"too many hops", CFG_HOPS_2, 0,
     ENV_LOCAL "|R r@x|M|N Received: a|N Received: b|N Received: c|N|X|E",
     CLEANUP_STAT_HOPS, NULL, "hopcount exceeded"},
    {"our Received counts as a hop", CFG_HOPS_2, 0,
     ENV_LOCAL "|R r@x|M|N Subject: a|N Received: b|N Received: c|N|X|E",
     CLEANUP_STAT_HOPS, NULL, "hopcount exceeded"},
    {"too large", CFG_SMALL_SIZE, 0,
     ENV_LOCAL "|R r@x|M|" RCV
               "|N|N 0123456789012345678901234567890123456789|N "
               "0123456789012345678901234567890123456789|X|E",
     CLEANUP_STAT_SIZE, NULL, "queue file size limit exceeded"},
    {"client stops before E", CFG_NONE, 0, ENV_LOCAL "|R r@x|M|N|X", -1, NULL,
     ""},
};

static void apply_config(int which)
{
    config_defaults();
    switch (which) {
    case CFG_SHORT_LINES:
        cleanup_config.line_length_limit = 10;
        break;
    case CFG_SMALL_HEADERS:
        cleanup_config.line_length_limit = 10;
        cleanup_config.header_size_limit = 30;
        break;
    case CFG_SMALL_SIZE:
        cleanup_config.message_size_limit = 300;
        break;
    case CFG_WARN:
        cleanup_config.delay_warning_time = 4 * 3600;
        break;
    case CFG_HOPS_2:
        cleanup_config.hopcount_limit = 2;
        break;
    case CFG_NO_ORIG:
        cleanup_config.enable_original_recipient = 0;
        break;
    case CFG_ALWAYS_ADD:
        cleanup_config.always_add_missing_headers = 1;
        break;
    case CFG_LONG_IDS:
        cleanup_config.long_queue_ids = 1;
        break;
    }
}

static void test_messages(void)
{
    struct cleanup_result res;

    res.records = buf_alloc(1000);
    for (size_t i = 0; i < UNIT_COUNT(message_cases); i++) {
        const char *name = message_cases[i].name;

        apply_config(message_cases[i].config);
        unit_capture_start();
        run_message(message_cases[i].input, message_cases[i].flags, &res);
        unit_capture_stop();
        if (message_cases[i].status < 0) {
            /* Never reached E: the daemon removes the file. */
            UNIT_CHECK_INT(name, res.status, 0);
            continue;
        }
        UNIT_CHECK_INT(name, res.status, message_cases[i].status);
        UNIT_CHECK_WARNING(name, message_cases[i].warning);
        if (message_cases[i].status != 0)
            continue;
        UNIT_CHECK_STR(name, buf_str(res.records), message_cases[i].output);
        /* The size record, recomputed from the file. */
        UNIT_CHECK_INT(name, res.size_fields[0], res.want_content_size);
        UNIT_CHECK_INT(name, res.size_fields[1], res.want_data_offset);
        UNIT_CHECK_INT(name, res.size_fields[4], res.want_content_size);
        UNIT_CHECK_INT(name, res.size_fields[5], 0);
    }
    buf_free(res.records);
}

/* Recipient count and queue manager flags in the size record. */
static const struct {
    const char *name;
    const char *input;
    long rcpt_count;
    long qmgr_flags;
} size_cases[] = {
    {"one recipient", ENV_LOCAL "|R a@x|M|N|X|E", 1, 0},
    {"duplicates counted once", ENV_LOCAL "|R a@x|R a@x|R b@x|M|N|X|E", 2, 0},
    {"envelope and extracted", ENV_LOCAL "|R a@x|M|N|X|R b@x|R c@x|E", 3, 0},
    {"attribute after a recipient: mixed", ENV_LOCAL "|R a@x|A x=y|M|N|X|E", 1,
     REC_SIZE_FLAG_MIXED_RCPT_OTHER},
    {"attribute after an extracted recipient: mixed",
     ENV_LOCAL "|M|N|X|R a@x|A x=y|E", 1, REC_SIZE_FLAG_MIXED_RCPT_OTHER},
    {"attributes before recipients: not mixed",
     ENV_LOCAL "|A x=y|R a@x|M|N|X|A z=w|R b@x|E", 2, 0},
    {"notify bits shifted", ENV_LOCAL "|n 2|R a@x|n 12|R b@x|M|N|X|E", 2,
     14 << REC_SIZE_FLAG_NOTIFY_SHIFT},
};

static void test_size_record(void)
{
    struct cleanup_result res;

    res.records = buf_alloc(1000);
    config_defaults();
    for (size_t i = 0; i < UNIT_COUNT(size_cases); i++) {
        run_message(size_cases[i].input, 0, &res);
        UNIT_CHECK_INT(size_cases[i].name, res.status, 0);
        UNIT_CHECK_INT(size_cases[i].name, res.size_fields[2],
                       size_cases[i].rcpt_count);
        UNIT_CHECK_INT(size_cases[i].name, res.size_fields[3],
                       size_cases[i].qmgr_flags);
    }
    buf_free(res.records);
}

/* Flags the client sends in an f record are applied; SMTPUTF8 sendopts. */
static void test_flags(void)
{
    struct cleanup_result res;
    struct stream *dst = unit_stream_tmpfile("flags", NULL);
    struct cleanup_state *state;

    config_defaults();
    state = cleanup_state_create(QID, dst, CLEANUP_FLAG_FILTER, CREATE_TIME);
    cleanup_record(state, REC_TYPE_FLGS, "4", 1);
    CU_ASSERT_EQUAL(state->flags, CLEANUP_FLAG_FILTER | CLEANUP_FLAG_HOLD);
    cleanup_state_free(state);
    stream_close(dst);

    res.records = buf_alloc(100);
    run_message(ENV_LOCAL "|R a@x|M|N|X|E", CLEANUP_FLAG_SMTPUTF8, &res);
    UNIT_CHECK_INT("smtputf8", res.size_fields[5], 1);
    buf_free(res.records);
}

/* The message-id log lines, in Postfix's order. */
static const struct {
    const char *name;
    const char *input;
    const char *want;
} log_cases[] = {
    {"generated", ENV_LOCAL "|R a@x|M|" RCV "|N|X|E",
     "ABCDEF123: message-id=<20231114221500.ABCDEF123@h.example>\n"},
    {"from the message, comment kept",
     ENV_LOCAL "|R a@x|M|" RCV "|N Message-ID:   <a@b> (c)|N|X|E",
     "ABCDEF123: message-id=<a@b> (c)\n"},
    {"folded value unfolded",
     ENV_LOCAL "|R a@x|M|" RCV "|N Message-Id:|N  <a@b>|N|X|E",
     "ABCDEF123: message-id=<a@b>\n"},
    {"remote without one",
     "T 1 2|A rewrite_context=remote|S s@x|R a@x|M|" RCV "|N|X|E",
     "ABCDEF123: message-id=<>\n"},
    {"resent",
     ENV_LOCAL "|R a@x|M|" RCV "|N Resent-From: x@y|N Message-Id: <m@x>|N|X|E",
     "ABCDEF123: message-id=<m@x>\n"
     "ABCDEF123: resent-message-id=<20231114221500.ABCDEF123@h.example>\n"},
    {"resent, no message-id",
     ENV_LOCAL "|R a@x|M|" RCV "|N Resent-Message-Id: <r@x>|N|X|E",
     "ABCDEF123: resent-message-id=<r@x>\nABCDEF123: message-id=<>\n"},
};

static void test_log_lines(void)
{
    struct cleanup_result res;

    res.records = buf_alloc(100);
    info_lines = buf_alloc(100);
    config_defaults();
    for (size_t i = 0; i < UNIT_COUNT(log_cases); i++) {
        buf_reset(info_lines);
        msg_set_capture(capture_info);
        run_message(log_cases[i].input, 0, &res);
        msg_set_capture(NULL);
        UNIT_CHECK_STR(log_cases[i].name, buf_str(info_lines),
                       log_cases[i].want);
    }
    buf_free(info_lines);
    buf_free(res.records);
}

/* Envelope address canonicalisation (the rewrite stand-in). */
static const struct {
    const char *in;
    int dot;
    const char *want;
} canon_cases[] = {
    {"", 0, ""},
    {"bob", 0, "bob@h.example"},
    {"bob@x", 0, "bob@x"},
    {"bob@x", 1, "bob@x.example"},
    {"bob@x.y", 1, "bob@x.y"},
    {"bob@[1.2.3.4]", 1, "bob@[1.2.3.4]"},
    {"@route:bob@x", 0, "@route:bob@x"},
    {"a b", 0, "a b@h.example"},
};

static void test_canon(void)
{
    struct buf *out = buf_alloc(100);

    config_defaults();
    for (size_t i = 0; i < UNIT_COUNT(canon_cases); i++) {
        cleanup_config.append_dot_mydomain = canon_cases[i].dot;
        cleanup_addr_canon(canon_cases[i].in, out);
        UNIT_CHECK_STR(canon_cases[i].in, buf_str(out), canon_cases[i].want);
    }
    cleanup_config.append_at_myorigin = 0;
    cleanup_addr_canon("bob", out);
    UNIT_CHECK_STR("append_at_myorigin=no", buf_str(out), "bob");
    buf_free(out);
}

/* The duplicate filter and its limit. */
static void test_dup(void)
{
    struct cleanup_dup *dup = cleanup_dup_create(3);
    struct cleanup_dup *off = cleanup_dup_create(0);
    char key[16];

    CU_ASSERT_EQUAL(cleanup_dup_seen(dup, "a", 1), 0);
    CU_ASSERT_EQUAL(cleanup_dup_seen(dup, "a", 1), 1);
    CU_ASSERT_EQUAL(cleanup_dup_seen(dup, "a\0b", 3), 0);
    CU_ASSERT_EQUAL(cleanup_dup_seen(dup, "a\0c", 3), 0);
    /* Full: new keys get through and are not remembered. */
    CU_ASSERT_EQUAL(cleanup_dup_seen(dup, "d", 1), 0);
    CU_ASSERT_EQUAL(cleanup_dup_seen(dup, "d", 1), 0);
    CU_ASSERT_EQUAL(cleanup_dup_seen(dup, "a\0b", 3), 1);
    CU_ASSERT_EQUAL(cleanup_dup_seen(off, "a", 1), 0);
    CU_ASSERT_EQUAL(cleanup_dup_seen(off, "a", 1), 0);
    cleanup_dup_free(dup);
    cleanup_dup_free(off);

    dup = cleanup_dup_create(1000);
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        CU_ASSERT_EQUAL(cleanup_dup_seen(dup, key, strlen(key)), 0);
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        CU_ASSERT_EQUAL(cleanup_dup_seen(dup, key, strlen(key)), 1);
    }
    cleanup_dup_free(dup);
}

static const struct unit_case cleanup_cases[] = {
    {"messages", test_messages},
    {"size record", test_size_record},
    {"request flags", test_flags},
    {"message-id log lines", test_log_lines},
    {"address canonicalisation", test_canon},
    {"duplicate filter", test_dup},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"cleanup", cleanup_cases},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    (void)argc;
    /* Dates in the expected records are UTC. */
    setenv("TZ", "UTC", 1);
    tzset();
    return unit_run(argv[0], suites);
}
