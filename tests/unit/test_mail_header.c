/*
 * test_mail_header - unit tests for header line recognition
 *
 * Tables: which lines are header lines (with the name length and where
 * the value starts), malformed and borderline lines included (mbox From_
 * lines, a colon first, control and 8-bit bytes in the name, white space
 * before the colon, continuation lines); and the well-known header
 * table: every entry is found under its own name in any case, the table
 * is in the order the binary search needs, and near misses are not
 * found.
 */
#include <string.h>
#include <strings.h>

#include "mail_header.h"
#include "unit.h"

static const struct {
    const char *name;
    const char *line;
    size_t len;
    size_t name_len;     /* 0: not a header line */
    size_t value_offset; /* len when not a header line */
} line_cases[] = {
    {"simple", UNIT_BYTES("Subject: hello"), 7, 9},
    {"no space after colon", UNIT_BYTES("Subject:hello"), 7, 8},
    {"empty value", UNIT_BYTES("X-Empty:"), 7, 8},
    {"empty value, spaces", UNIT_BYTES("X-Empty:   "), 7, 11},
    {"tab after colon", UNIT_BYTES("To:\tbob"), 2, 4},
    {"space before colon", UNIT_BYTES("Subject : x"), 7, 10},
    {"tab before colon", UNIT_BYTES("Subject\t: x"), 7, 10},
    {"odd name characters", UNIT_BYTES("X-!#$%&'*+/=?^_`{|}~.\"(): y"), 24, 26},
    {"one character name", UNIT_BYTES("X: y"), 1, 3},
    {"colon inside value", UNIT_BYTES("Date: 12:34:56"), 4, 6},
    {"mbox From_ line", UNIT_BYTES("From bob Mon Jan  1 00:00:00 2024"), 0, 33},
    {"colon first", UNIT_BYTES(":value"), 0, 6},
    {"empty line", UNIT_BYTES(""), 0, 0},
    {"no colon", UNIT_BYTES("just text"), 0, 9},
    {"name only", UNIT_BYTES("Subject"), 0, 7},
    {"name and spaces, no colon", UNIT_BYTES("Subject   "), 0, 10},
    {"continuation (space)", UNIT_BYTES(" folded: x"), 0, 10},
    {"continuation (tab)", UNIT_BYTES("\tfolded: x"), 0, 10},
    {"control character in name", UNIT_BYTES("Sub\001ject: x"), 0, 11},
    {"NUL in name", UNIT_BYTES("Sub\0ject: x"), 0, 11},
    {"8-bit byte in name", UNIT_BYTES("Sub\xe9ject: x"), 0, 11},
    {"DEL in name", UNIT_BYTES("Sub\x7fject: x"), 0, 11},
    {"space inside name", UNIT_BYTES("Sub ject: x"), 0, 11},
    /* The length is the truth: a colon past it does not count. */
    {"colon beyond len", "Subject: x", 7, 0, 7},
    {"colon at len - 1", "Subject: x", 8, 7, 8},
};

static void test_header_lines(void)
{
    for (size_t i = 0; i < UNIT_COUNT(line_cases); i++) {
        const char *name = line_cases[i].name;

        UNIT_CHECK_INT(
            name, mail_header_name_len(line_cases[i].line, line_cases[i].len),
            line_cases[i].name_len);
        UNIT_CHECK_INT(
            name,
            mail_header_value_offset(line_cases[i].line, line_cases[i].len),
            line_cases[i].value_offset);
    }
}

static const struct {
    const char *line;
    int continuation;
} cont_cases[] = {
    {" x", 1}, {"\tx", 1}, {"x", 0}, {"", 0}, {"\r", 0}, {"  ", 1},
};

static void test_continuation(void)
{
    for (size_t i = 0; i < UNIT_COUNT(cont_cases); i++)
        UNIT_CHECK_INT(cont_cases[i].line,
                       mail_header_is_continuation(cont_cases[i].line,
                                                   strlen(cont_cases[i].line)),
                       cont_cases[i].continuation);
}

static const struct {
    const char *line;
    enum mail_header_id id; /* MAIL_HDR_OTHER: not found */
    int flags;
} info_cases[] = {
    {"Received: from x", MAIL_HDR_RECEIVED, 0},
    {"RECEIVED: from x", MAIL_HDR_RECEIVED, 0},
    {"received : from x", MAIL_HDR_RECEIVED, 0},
    {"Bcc: a@b", MAIL_HDR_BCC, MAIL_HDR_F_ADDRESS | MAIL_HDR_F_RECIPIENT},
    {"Resent-Bcc: a@b", MAIL_HDR_RESENT_BCC,
     MAIL_HDR_F_ADDRESS | MAIL_HDR_F_RECIPIENT | MAIL_HDR_F_RESENT},
    {"resent-message-id: <x@y>", MAIL_HDR_RESENT_MESSAGE_ID, MAIL_HDR_F_RESENT},
    {"Message-ID: <x@y>", MAIL_HDR_MESSAGE_ID, 0},
    {"MIME-Version: 1.0", MAIL_HDR_MIME_VERSION, 0},
    {"From: a@b", MAIL_HDR_FROM, MAIL_HDR_F_ADDRESS | MAIL_HDR_F_SENDER},
    {"To: a@b", MAIL_HDR_TO, MAIL_HDR_F_ADDRESS | MAIL_HDR_F_RECIPIENT},
    {"Return-Path: <>", MAIL_HDR_RETURN_PATH,
     MAIL_HDR_F_ADDRESS | MAIL_HDR_F_SENDER},
    {"Content-Length: 5", MAIL_HDR_CONTENT_LENGTH, 0},
    {"Delivered-To: a@b", MAIL_HDR_DELIVERED_TO, 0},
    /* Near misses. */
    {"Receivedx: from x", MAIL_HDR_OTHER, 0},
    {"Receive: from x", MAIL_HDR_OTHER, 0},
    {"T: a@b", MAIL_HDR_OTHER, 0},
    {"Too: a@b", MAIL_HDR_OTHER, 0},
    {"X-Mailer: x", MAIL_HDR_OTHER, 0},
    {"Resent-: x", MAIL_HDR_OTHER, 0},
    {"From a@b", MAIL_HDR_OTHER, 0},
};

static void test_header_info(void)
{
    for (size_t i = 0; i < UNIT_COUNT(info_cases); i++) {
        const char *line = info_cases[i].line;
        const struct mail_header_info *info =
            mail_header_info(line, strlen(line));

        if (info_cases[i].id == MAIL_HDR_OTHER) {
            if (info != NULL)
                fprintf(stderr, "\n  case \"%s\": found %s\n", line,
                        info->name);
            CU_ASSERT_PTR_NULL(info);
            continue;
        }
        CU_ASSERT_PTR_NOT_NULL(info);
        if (info == NULL) {
            fprintf(stderr, "\n  case \"%s\": not found\n", line);
            continue;
        }
        UNIT_CHECK_INT(line, info->id, info_cases[i].id);
        UNIT_CHECK_INT(line, info->flags, info_cases[i].flags);
    }
}

/* Every name of the table, in every case, is found as itself. */
static void test_table_complete(void)
{
    static const char *const names[] = {
        "Apparently-To",
        "Bcc",
        "Cc",
        "Content-Length",
        "Content-Transfer-Encoding",
        "Content-Type",
        "Date",
        "Delivered-To",
        "Disposition-Notification-To",
        "Errors-To",
        "From",
        "Message-Id",
        "MIME-Version",
        "Received",
        "Reply-To",
        "Resent-Bcc",
        "Resent-Cc",
        "Resent-Date",
        "Resent-From",
        "Resent-Message-Id",
        "Resent-Reply-To",
        "Resent-Sender",
        "Resent-To",
        "Return-Path",
        "Return-Receipt-To",
        "Sender",
        "To",
    };
    char upper[64];
    char lower[64];

    for (size_t i = 0; i < UNIT_COUNT(names); i++) {
        const struct mail_header_info *info =
            mail_header_find(names[i], strlen(names[i]));
        size_t n = strlen(names[i]);

        CU_ASSERT_PTR_NOT_NULL(info);
        if (info == NULL) {
            fprintf(stderr, "\n  \"%s\" not found\n", names[i]);
            continue;
        }
        UNIT_CHECK_STR(names[i], info->name, names[i]);
        for (size_t j = 0; j <= n; j++) {
            upper[j] = (char)((names[i][j] >= 'a' && names[i][j] <= 'z')
                                  ? names[i][j] - 32
                                  : names[i][j]);
            lower[j] = (char)((names[i][j] >= 'A' && names[i][j] <= 'Z')
                                  ? names[i][j] + 32
                                  : names[i][j]);
        }
        CU_ASSERT_PTR_EQUAL(mail_header_find(upper, n), info);
        CU_ASSERT_PTR_EQUAL(mail_header_find(lower, n), info);
        /* A counted name: the bytes after len do not matter. */
        CU_ASSERT_PTR_EQUAL(mail_header_find(names[i], n - 1) == info, 0);
    }
}

static const struct unit_case header_cases[] = {
    {"header lines", test_header_lines},
    {"continuation lines", test_continuation},
    {"well-known headers", test_header_info},
    {"the whole table", test_table_complete},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"mail_header", header_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
