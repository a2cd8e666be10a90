/*
 * bounce_notice - compose RFC 3464 delivery status notifications
 *
 * A notice is a multipart/report message (RFC 3462) with three parts: a
 * text for people (a fixed template, then one wrapped line per
 * recipient), a message/delivery-status part (RFC 3464: per-message
 * fields, then one block of per-recipient fields with RFC 3463 status
 * codes), and the original message, whole (message/rfc822) or only its
 * headers (text/rfc822-headers). The layout, header and field names and
 * the order of fields are those Postfix 3.7's bounce daemon produces
 * (observed on the wire), so that tools that read Postfix's notices read
 * ours; the template wording is our own.
 *
 * Public functions:
 *	bounce_notice_compose(out, notice, orig, log)
 *		sets out to the whole message (headers and body) as text,
 *		lines ending in '\n': what the daemon hands to cleanup as
 *		content records. Recipients of log that the notice does
 *		not include (bounce_notice_includes) are left out.
 *	bounce_notice_includes(notice, entry)
 *		whether a recipient belongs in the notice: postmaster
 *		copies and delivery reports include everyone; a sender's
 *		non-delivery notice those whose DSN NOTIFY is unset or has
 *		FAILURE; a delay warning those with NOTIFY unset or DELAY.
 *	bounce_notice_count(notice, log)	how many are included
 *	bounce_notice_subject(notice)		the Subject: text
 *	bounce_notice_wrap(out, text, width, indent)
 *		appends text broken at spaces into lines of at most width
 *		columns; continuation lines start with indent spaces; a
 *		word longer than a line gets a line of its own. Runs of
 *		spaces become one space (unfolding gives the words back).
 *
 * What goes in (observed from Postfix 3.7):
 *	Received: by <myhostname> (<mail_name>) / id <new ID>; <date>,
 *	Date:, From: Mail Delivery System <MAILER-DAEMON>, Subject:, To:,
 *	Auto-Submitted: auto-replied (auto-generated for the postmaster),
 *	MIME-Version, Content-Type: multipart/report with boundary
 *	"<queue ID>.<now>/<myhostname>", Content-Transfer-Encoding: 8bit.
 *	Per message: Reporting-MTA: dns; <myhostname>,
 *	Original-Envelope-Id (when given), X-Postfix-Queue-ID,
 *	X-Postfix-Sender: rfc822; <sender> and Arrival-Date (when the
 *	queue file was read). Per recipient: Final-Recipient: rfc822;
 *	<address>, Original-Recipient (the DSN ORCPT as given, else
 *	"rfc822; <original>" when that differs), Action, Status,
 *	Remote-MTA: <type>; <name> (when known), Diagnostic-Code:
 *	<type>; <text> (else "X-Postfix; <reason>"), Will-Retry-Until
 *	(delay warnings: arrival + maximal_queue_lifetime). The null
 *	sender is shown as MAILER-DAEMON@<myorigin>; the attached message
 *	starts with Return-Path: <sender>.
 *
 * Diagnostics: none. Configuration parameters: none (the caller fills
 * in struct bounce_notice from myhostname, myorigin, mail_name,
 * delay_warning_time, maximal_queue_lifetime).
 *
 * Choices: bounce_template_file is not supported; the built-in
 * templates are our own wording. A delay warning says how long the
 * message has waited in whole hours and the queue lifetime in whole
 * days, as Postfix's does. With SMTPUTF8 the report part is
 * message/global-delivery-status (RFC 6533); the other parts keep
 * their types.
 */
#include <string.h>

#include "bounce_notice.h"
#include "dsn.h"
#include "mail_date.h"

/* The human texts; %H = myhostname, %W = delay hours, %L = lifetime days. */
static const char *const notice_text_failure =
    "This is the mail system at host %H.\n"
    "\n"
    "Your message could not be delivered to one or more of its\n"
    "recipients. The reasons are given below, and the message (or\n"
    "its headers) is attached.\n"
    "\n"
    "If you write to the postmaster about this, please include this\n"
    "report. You may remove your own text from the attached message.\n"
    "\n"
    "                   The mail system\n";

static const char *const notice_text_delay =
    "This is the mail system at host %H.\n"
    "\n"
    "*** This is only a warning: you do not need to send your ***\n"
    "*** message again.                                        ***\n"
    "\n"
    "Your message has not been delivered for more than %W hour(s).\n"
    "Delivery will be tried again until the message is %L day(s) old.\n"
    "\n"
    "If you write to the postmaster about this, please include this\n"
    "report. You may remove your own text from the attached headers.\n"
    "\n"
    "                   The mail system\n";

static const char *const notice_text_success =
    "This is the mail system at host %H.\n"
    "\n"
    "Your message was delivered to the destinations listed below.\n"
    "Where it was delivered to a mailbox, you will hear nothing more\n"
    "about it; where it was passed on to another system, that system\n"
    "may still report delivery problems.\n"
    "\n"
    "                   The mail system\n";

static const char *const notice_text_record =
    "This is the mail system at host %H.\n"
    "\n"
    "Here is the delivery report that you requested.\n"
    "\n"
    "                   The mail system\n";

int bounce_notice_includes(const struct bounce_notice *notice,
                           const struct bounce_log_entry *entry)
{
    if (notice->postmaster)
        return 1;
    switch (notice->kind) {
    case BOUNCE_NOTICE_FAILURE:
        return entry->notify_flags == 0 ||
               (entry->notify_flags & DSN_NOTIFY_FAILURE) != 0;
    case BOUNCE_NOTICE_DELAY:
        return entry->notify_flags == 0 ||
               (entry->notify_flags & DSN_NOTIFY_DELAY) != 0;
    default:
        return 1;
    }
}

size_t bounce_notice_count(const struct bounce_notice *notice,
                           const struct bounce_log *log)
{
    size_t i;
    size_t n = 0;

    for (i = 0; i < log->count; i++)
        if (bounce_notice_includes(notice, &log->entries[i]))
            n++;
    return n;
}

const char *bounce_notice_subject(const struct bounce_notice *notice)
{
    switch (notice->kind) {
    case BOUNCE_NOTICE_FAILURE:
        return notice->postmaster ? "Postmaster Copy: Undelivered Mail"
                                  : "Undelivered Mail Returned to Sender";
    case BOUNCE_NOTICE_DELAY:
        return notice->postmaster ? "Postmaster Warning: Delayed Mail"
                                  : "Delayed Mail (still being retried)";
    case BOUNCE_NOTICE_SUCCESS:
        return notice->postmaster ? "Postmaster Copy: Delivery Report"
                                  : "Successful Mail Delivery Report";
    case BOUNCE_NOTICE_RECORD:
    default:
        return notice->postmaster ? "Postmaster Copy: Delivery Status Report"
                                  : "Mail Delivery Status Report";
    }
}

void bounce_notice_wrap(struct buf *out, const char *text, int width,
                        int indent)
{
    size_t line_len = 0;
    int line_has_word = 0;
    const char *p = text;
    const char *word;
    size_t wlen;
    int i;

    while (*p) {
        while (*p == ' ')
            p++;
        if (*p == 0)
            break;
        word = p;
        while (*p && *p != ' ')
            p++;
        wlen = (size_t)(p - word);
        if (line_has_word && line_len + 1 + wlen > (size_t)width) {
            buf_append_char(out, '\n');
            for (i = 0; i < indent; i++)
                buf_append_char(out, ' ');
            line_len = (size_t)indent;
            line_has_word = 0;
        }
        if (line_has_word) {
            buf_append_char(out, ' ');
            line_len++;
        }
        buf_append(out, word, wlen);
        line_len += wlen;
        line_has_word = 1;
    }
    buf_append_char(out, '\n');
}

/* Append a field, unfolded text cleaned of line breaks, then wrapped. */
static void append_wrapped(struct buf *out, struct buf *tmp, const char *name,
                           const char *value1, const char *value2)
{
    const char *s;

    buf_reset(tmp);
    if (name) {
        buf_append_str(tmp, name);
        buf_append_str(tmp, ": ");
    }
    for (s = value1; s && *s; s++)
        buf_append_char(tmp,
                        (*s == '\n' || *s == '\r' || *s == '\t') ? ' ' : *s);
    for (s = value2; s && *s; s++)
        buf_append_char(tmp,
                        (*s == '\n' || *s == '\r' || *s == '\t') ? ' ' : *s);
    bounce_notice_wrap(out, buf_str(tmp), BOUNCE_NOTICE_WRAP,
                       BOUNCE_NOTICE_INDENT);
}

static void append_template(struct buf *out, const struct bounce_notice *n,
                            const char *text)
{
    const char *p;

    for (p = text; *p; p++) {
        if (*p == '%' && p[1] == 'H') {
            buf_append_str(out, n->myhostname);
            p++;
        } else if (*p == '%' && p[1] == 'W') {
            buf_append_printf(out, "%ld", n->delay_warning_time / 3600);
            p++;
        } else if (*p == '%' && p[1] == 'L') {
            buf_append_printf(out, "%ld", n->max_queue_lifetime / 86400);
            p++;
        } else {
            buf_append_char(out, *p);
        }
    }
}

static const char *notice_template(const struct bounce_notice *n)
{
    if (n->postmaster)
        return "";
    switch (n->kind) {
    case BOUNCE_NOTICE_FAILURE:
        return notice_text_failure;
    case BOUNCE_NOTICE_DELAY:
        return notice_text_delay;
    case BOUNCE_NOTICE_SUCCESS:
        return notice_text_success;
    default:
        return notice_text_record;
    }
}

/* The sender as shown: the null sender is MAILER-DAEMON@myorigin. */
static void shown_sender(struct buf *out, const struct bounce_notice *n,
                         const struct bounce_original *orig)
{
    if (*orig->sender == 0)
        buf_printf(out, "MAILER-DAEMON@%s", n->myorigin);
    else
        bounce_quote_addr(out, orig->sender);
}

static void append_date(struct buf *out, struct buf *tmp, time_t when)
{
    mail_date(tmp, when);
    buf_append_str(out, buf_str(tmp));
}

static void compose_human(struct buf *out, struct buf *tmp,
                          const struct bounce_notice *n,
                          const struct bounce_log *log)
{
    const struct bounce_log_entry *e;
    struct buf *line = buf_alloc(200);
    size_t i;

    append_template(out, n, notice_template(n));
    buf_append_char(out, '\n');
    for (i = 0; i < log->count; i++) {
        e = &log->entries[i];
        if (!bounce_notice_includes(n, e))
            continue;
        buf_printf(line, "<%s>", e->recipient);
        if (e->original_recipient)
            buf_append_printf(line, " (expanded from <%s>)",
                              e->original_recipient);
        buf_append_str(line, ": ");
        append_wrapped(out, tmp, NULL, buf_str(line), e->reason);
        buf_append_char(out, '\n');
    }
    buf_free(line);
}

/* The Action field: a defer log returned at expiry reports failures. */
static const char *shown_action(const struct bounce_notice *n,
                                const struct bounce_log_entry *e)
{
    if (e->action == NULL)
        return n->kind == BOUNCE_NOTICE_DELAY     ? DSN_ACTION_DELAYED
               : n->kind == BOUNCE_NOTICE_FAILURE ? DSN_ACTION_FAILED
                                                  : DSN_ACTION_DELIVERED;
    if (n->defer_failed && strcmp(e->action, DSN_ACTION_DELAYED) == 0)
        return DSN_ACTION_FAILED;
    return e->action;
}

static void compose_report(struct buf *out, struct buf *tmp,
                           const struct bounce_notice *n,
                           const struct bounce_original *orig,
                           const struct bounce_log *log)
{
    const struct bounce_log_entry *e;
    struct buf *val = buf_alloc(100);
    size_t i;

    buf_append_printf(out, "Reporting-MTA: dns; %s\n", n->myhostname);
    if (orig->envelope_id && *orig->envelope_id)
        append_wrapped(out, tmp, "Original-Envelope-Id", orig->envelope_id, "");
    buf_append_printf(out, "X-Postfix-Queue-ID: %s\n", orig->queue_id);
    if (orig->have_file) {
        shown_sender(val, n, orig);
        append_wrapped(out, tmp, "X-Postfix-Sender", "rfc822; ", buf_str(val));
        buf_append_str(out, "Arrival-Date: ");
        append_date(out, tmp, orig->arrival);
        buf_append_char(out, '\n');
    }
    for (i = 0; i < log->count; i++) {
        e = &log->entries[i];
        if (!bounce_notice_includes(n, e))
            continue;
        buf_append_char(out, '\n');
        append_wrapped(out, tmp, "Final-Recipient", "rfc822; ", e->recipient);
        if (e->dsn_orig_rcpt)
            append_wrapped(out, tmp, "Original-Recipient", e->dsn_orig_rcpt,
                           "");
        else if (e->original_recipient)
            append_wrapped(out, tmp, "Original-Recipient", "rfc822; ",
                           e->original_recipient);
        append_wrapped(out, tmp, "Action", shown_action(n, e), "");
        append_wrapped(out, tmp, "Status", e->status, "");
        if (e->mta_type && e->mta_mname) {
            buf_printf(val, "%s; ", e->mta_type);
            append_wrapped(out, tmp, "Remote-MTA", buf_str(val), e->mta_mname);
        }
        if (e->diag_type && e->diag_text) {
            buf_printf(val, "%s; ", e->diag_type);
            append_wrapped(out, tmp, "Diagnostic-Code", buf_str(val),
                           e->diag_text);
        } else {
            append_wrapped(out, tmp, "Diagnostic-Code", "X-Postfix; ",
                           e->reason);
        }
        if (n->kind == BOUNCE_NOTICE_DELAY && orig->have_file) {
            buf_append_str(out, "Will-Retry-Until: ");
            append_date(out, tmp, orig->arrival + n->max_queue_lifetime);
            buf_append_char(out, '\n');
        }
    }
    buf_free(val);
}

static void compose_original(struct buf *out, struct buf *tmp,
                             const struct bounce_notice *n,
                             const struct bounce_original *orig)
{
    int headers_only = n->headers_only || orig->too_big;
    int report =
        n->kind == BOUNCE_NOTICE_SUCCESS || n->kind == BOUNCE_NOTICE_RECORD;

    if (!orig->have_file) {
        buf_append_str(out, "Content-Description: Undelivered Message\n"
                            "Content-Type: message/rfc822\n"
                            "Content-Transfer-Encoding: 8bit\n"
                            "\n"
                            "\t--- Undelivered message unavailable ---\n");
        return;
    }
    if (headers_only)
        buf_append_printf(out,
                          "Content-Description: %s\n"
                          "Content-Type: text/rfc822-headers\n",
                          report ? "Message Headers"
                                 : "Undelivered Message Headers");
    else
        buf_append_printf(out,
                          "Content-Description: %s\n"
                          "Content-Type: message/rfc822\n",
                          report ? "Delivered Message" : "Undelivered Message");
    buf_append_str(out, "Content-Transfer-Encoding: 8bit\n\n");
    shown_sender(tmp, n, orig);
    buf_append_printf(out, "Return-Path: <%s>\n", buf_str(tmp));
    buf_append_str(out, orig->headers ? orig->headers : "");
    if (!headers_only) {
        buf_append_char(out, '\n');
        buf_append_str(out, orig->body ? orig->body : "");
    }
}

void bounce_notice_compose(struct buf *out, const struct bounce_notice *n,
                           const struct bounce_original *orig,
                           const struct bounce_log *log)
{
    struct buf *tmp = buf_alloc(200);
    struct buf *boundary = buf_alloc(100);

    buf_reset(out);
    buf_printf(boundary, "%s.%ld/%s", orig->queue_id, (long)n->now,
               n->myhostname);

    buf_append_printf(out, "Received: by %s (%s)\n\tid %s; ", n->myhostname,
                      n->mail_name, n->new_queue_id ? n->new_queue_id : "");
    append_date(out, tmp, n->now);
    buf_append_str(out, "\nDate: ");
    append_date(out, tmp, n->now);
    buf_append_str(out, "\nFrom: Mail Delivery System <MAILER-DAEMON>\n");
    buf_append_printf(out, "Subject: %s\n", bounce_notice_subject(n));
    append_wrapped(out, tmp, "To", n->to, "");
    buf_append_printf(out, "Auto-Submitted: %s\n",
                      n->postmaster ? "auto-generated" : "auto-replied");
    buf_append_printf(out,
                      "MIME-Version: 1.0\n"
                      "Content-Type: multipart/report; "
                      "report-type=delivery-status;\n"
                      "\tboundary=\"%s\"\n"
                      "Content-Transfer-Encoding: 8bit\n"
                      "\n"
                      "This is a MIME-encapsulated message.\n"
                      "\n",
                      buf_str(boundary));

    buf_append_printf(out,
                      "--%s\n"
                      "Content-Description: Notification\n"
                      "Content-Type: text/plain; charset=utf-8\n"
                      "Content-Transfer-Encoding: 8bit\n"
                      "\n",
                      buf_str(boundary));
    compose_human(out, tmp, n, log);

    buf_append_printf(out,
                      "--%s\n"
                      "Content-Description: Delivery report\n"
                      "Content-Type: %s\n"
                      "\n",
                      buf_str(boundary),
                      n->smtputf8 ? "message/global-delivery-status"
                                  : "message/delivery-status");
    compose_report(out, tmp, n, orig, log);
    buf_append_char(out, '\n');

    buf_append_printf(out, "--%s\n", buf_str(boundary));
    compose_original(out, tmp, n, orig);
    buf_append_printf(out, "\n--%s--\n", buf_str(boundary));
    buf_free(tmp);
    buf_free(boundary);
}
