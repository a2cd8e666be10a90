/*
 * mail_header - recognise message header lines and well-known headers
 *
 * A message starts with header fields (RFC 5322 section 2.2): a field
 * name, a colon, a value; a value may go on over continuation lines that
 * start with a space or a tab ("folding"). The first line that is not a
 * header line or a continuation ends the headers; normally that is the
 * empty line before the body.
 *
 * Public functions:
 *	mail_header_name_len(line, len)
 *		the length of the field name when line (len bytes, without
 *		its line end) is the first line of a header field, else 0.
 *		A field name is one or more printable US-ASCII characters
 *		other than ':' (33..126); like Postfix we also accept white
 *		space between the name and the colon ("Subject : x"), which
 *		old mailers wrote. "From sender date" (an mbox From_ line),
 *		":value", a line with a control character or an 8-bit byte in
 *		the name, and a continuation line are not header lines.
 *	mail_header_value_offset(line, len)
 *		where the value starts: after the colon and the white space
 *		that follows it; len when line is not a header line.
 *	mail_header_find(name, len)
 *		the table entry of a field name (case-insensitive), or NULL
 *		for a name that is not in the table.
 *	mail_header_info(line, len)
 *		the table entry for a header line, NULL when the line is not
 *		a header line or its name is not in the table.
 *	mail_header_is_continuation(line, len)
 *		1 when line continues the previous header (starts with a
 *		space or a tab).
 *
 * The table lists the headers that mail programs act on: the address
 * headers (with flags saying which name recipients, which the author,
 * which belong to a resent block), the trace headers (Received,
 * Delivered-To, Return-Path), the identity headers (Message-Id, Date)
 * and the ones a sanitiser removes (Bcc, Content-Length).
 *
 * Diagnostics: none. Configuration parameters: none.
 */
#include <string.h>
#include <strings.h>

#include "mail_header.h"

#define A MAIL_HDR_F_ADDRESS
#define R MAIL_HDR_F_RECIPIENT
#define S MAIL_HDR_F_SENDER
#define X MAIL_HDR_F_RESENT

/* In strcasecmp() order, for the binary search. */
static const struct mail_header_info mail_header_table[] = {
    {"Apparently-To", MAIL_HDR_APPARENTLY_TO, A | R},
    {"Bcc", MAIL_HDR_BCC, A | R},
    {"Cc", MAIL_HDR_CC, A | R},
    {"Content-Length", MAIL_HDR_CONTENT_LENGTH, 0},
    {"Content-Transfer-Encoding", MAIL_HDR_CONTENT_TRANSFER_ENCODING, 0},
    {"Content-Type", MAIL_HDR_CONTENT_TYPE, 0},
    {"Date", MAIL_HDR_DATE, 0},
    {"Delivered-To", MAIL_HDR_DELIVERED_TO, 0},
    {"Disposition-Notification-To", MAIL_HDR_DISPOSITION_NOTIFICATION_TO,
     A | S},
    {"Errors-To", MAIL_HDR_ERRORS_TO, A | S},
    {"From", MAIL_HDR_FROM, A | S},
    {"Message-Id", MAIL_HDR_MESSAGE_ID, 0},
    {"MIME-Version", MAIL_HDR_MIME_VERSION, 0},
    {"Received", MAIL_HDR_RECEIVED, 0},
    {"Reply-To", MAIL_HDR_REPLY_TO, A | S},
    {"Resent-Bcc", MAIL_HDR_RESENT_BCC, A | R | X},
    {"Resent-Cc", MAIL_HDR_RESENT_CC, A | R | X},
    {"Resent-Date", MAIL_HDR_RESENT_DATE, X},
    {"Resent-From", MAIL_HDR_RESENT_FROM, A | S | X},
    {"Resent-Message-Id", MAIL_HDR_RESENT_MESSAGE_ID, X},
    {"Resent-Reply-To", MAIL_HDR_RESENT_REPLY_TO, A | S | X},
    {"Resent-Sender", MAIL_HDR_RESENT_SENDER, A | S | X},
    {"Resent-To", MAIL_HDR_RESENT_TO, A | R | X},
    {"Return-Path", MAIL_HDR_RETURN_PATH, A | S},
    {"Return-Receipt-To", MAIL_HDR_RETURN_RECEIPT_TO, A | S},
    {"Sender", MAIL_HDR_SENDER, A | S},
    {"To", MAIL_HDR_TO, A | R},
};

#undef A
#undef R
#undef S
#undef X

static int mail_header_space(int ch)
{
    return ch == ' ' || ch == '\t';
}

size_t mail_header_name_len(const char *line, size_t len)
{
    size_t name_len = 0;
    size_t i;

    while (name_len < len) {
        unsigned char ch = (unsigned char)line[name_len];

        if (ch == ':' || ch <= ' ' || ch >= 0x7f)
            break;
        name_len++;
    }
    if (name_len == 0)
        return 0;
    for (i = name_len; i < len && mail_header_space(line[i]); i++)
        /* white space before the colon */;
    return i < len && line[i] == ':' ? name_len : 0;
}

size_t mail_header_value_offset(const char *line, size_t len)
{
    size_t i;

    if (mail_header_name_len(line, len) == 0)
        return len;
    i = (size_t)((const char *)memchr(line, ':', len) - line) + 1;
    while (i < len && mail_header_space(line[i]))
        i++;
    return i;
}

/* strcasecmp() of a counted name against a table name. */
static int mail_header_cmp(const char *name, size_t len, const char *entry)
{
    size_t entry_len = strlen(entry);
    int diff = strncasecmp(name, entry, len < entry_len ? len : entry_len);

    if (diff != 0)
        return diff;
    return len < entry_len ? -1 : len > entry_len ? 1 : 0;
}

const struct mail_header_info *mail_header_find(const char *name, size_t len)
{
    size_t lo = 0;
    size_t hi = sizeof(mail_header_table) / sizeof(mail_header_table[0]);

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int diff = mail_header_cmp(name, len, mail_header_table[mid].name);

        if (diff == 0)
            return mail_header_table + mid;
        if (diff < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const struct mail_header_info *mail_header_info(const char *line, size_t len)
{
    size_t name_len = mail_header_name_len(line, len);

    return name_len ? mail_header_find(line, name_len) : NULL;
}

int mail_header_is_continuation(const char *line, size_t len)
{
    return len > 0 && mail_header_space(line[0]);
}
