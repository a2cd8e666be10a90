/*
 * bounce_log - the bounce/defer/trace log record format
 *
 * The bounce service keeps one log per message and service: one record
 * per recipient, appended as delivery agents report (spec f.1; the format
 * is in bounce_log.h). This module turns a recipient and its status into
 * a record and a whole log file back into entries. It does no I/O, so
 * that the format can be tested without files or sockets.
 *
 * Public functions:
 *	bounce_quote_addr(out, addr)
 *		sets out to the address in RFC 5322 form
 *		(addr_external_append: the local part quoted when it is
 *		not a dot-atom); ""
 *		becomes "<>", as in the log's recipient= line.
 *	bounce_log_format(out, rcpt, dsn, compat)
 *		appends one record to out; compat adds the legacy
 *		"<recipient>: reason" line
 *		(backwards_bounce_logfile_compatibility). CR and LF inside
 *		values would end the record early: they are written as
 *		spaces.
 *	bounce_log_parse(data, len, default_status)
 *		reads a whole log. Records are separated by blank lines;
 *		lines are "name=value" (unknown names are ignored, for
 *		newer writers) or the legacy "<address>: reason" line. A
 *		record without recipient= but with a legacy line is read
 *		from the legacy line alone, with default_status (old logs).
 *		A record that has no recipient, no reason or no status,
 *		that has a line longer than BOUNCE_LOG_LINE_MAX, or a line
 *		that is neither form (garbage), is skipped and counted in
 *		log->bad. A last record without its closing blank line (a
 *		crash during an append is undone by truncation, but a file
 *		may still be cut short) is accepted when it is complete.
 *	bounce_log_create(), bounce_log_add(log, rcpt, dsn),
 *	bounce_log_free(log)
 *		an entry list made by hand (the ONE request).
 *
 * Diagnostics: none here; callers warn about log->bad.
 * Configuration parameters: none (callers pass
 * backwards_bounce_logfile_compatibility).
 *
 * Choices where Postfix's behaviour was not observed: offset=0 and
 * notify_flags=0 are left out like empty strings (Postfix writes neither
 * for a recipient that has none); original_recipient is left out when it
 * equals the recipient (observed).
 */
#include <stdlib.h>
#include <string.h>

#include "bounce_log.h"
#include "mem.h"
#include "addr_token.h"

void bounce_quote_addr(struct buf *out, const char *addr)
{
    buf_reset(out);
    if (*addr == 0)
        buf_append_str(out, "<>");
    else
        addr_external_append(addr, out);
}

/* Append text with CR and LF replaced, so that it stays on one line. */
static void append_clean(struct buf *out, const char *text)
{
    for (; *text; text++)
        buf_append_char(out, (*text == '\n' || *text == '\r') ? ' ' : *text);
}

static void append_attr(struct buf *out, const char *name, const char *value)
{
    if (value == NULL || *value == 0)
        return;
    buf_append_str(out, name);
    buf_append_char(out, '=');
    append_clean(out, value);
    buf_append_char(out, '\n');
}

static int nonempty(const char *s)
{
    return s != NULL && *s != 0;
}

void bounce_log_format(struct buf *out, const struct bounce_rcpt *rcpt,
                       const struct bounce_dsn *dsn, int compat)
{
    struct buf *quoted = buf_alloc(100);
    struct buf *tmp = buf_alloc(32);
    const char *recip = rcpt->recipient ? rcpt->recipient : "";

    bounce_quote_addr(quoted, recip);
    buf_append_char(out, '\n');
    if (compat) {
        buf_append_char(out, '<');
        append_clean(out, *recip ? buf_str(quoted) : "");
        buf_append_str(out, ">: ");
        append_clean(out, dsn->reason ? dsn->reason : "");
        buf_append_char(out, '\n');
    }
    append_attr(out, "recipient", buf_str(quoted));
    if (nonempty(rcpt->original_recipient) &&
        strcmp(rcpt->original_recipient, recip) != 0) {
        bounce_quote_addr(tmp, rcpt->original_recipient);
        append_attr(out, "original_recipient", buf_str(tmp));
    }
    if (rcpt->offset != 0) {
        buf_printf(tmp, "%ld", rcpt->offset);
        append_attr(out, "offset", buf_str(tmp));
    }
    append_attr(out, "dsn_orig_rcpt", rcpt->dsn_orig_rcpt);
    if (rcpt->notify_flags != 0) {
        buf_printf(tmp, "%d", rcpt->notify_flags);
        append_attr(out, "notify_flags", buf_str(tmp));
    }
    append_attr(out, "status", dsn->status);
    append_attr(out, "action", dsn->action);
    if (nonempty(dsn->diag_type) && nonempty(dsn->diag_text)) {
        append_attr(out, "diag_type", dsn->diag_type);
        append_attr(out, "diag_text", dsn->diag_text);
    }
    if (nonempty(dsn->mta_type) && nonempty(dsn->mta_mname)) {
        append_attr(out, "mta_type", dsn->mta_type);
        append_attr(out, "mta_mname", dsn->mta_mname);
    }
    append_attr(out, "reason", dsn->reason);
    buf_append_char(out, '\n');
    buf_free(quoted);
    buf_free(tmp);
}

struct bounce_log *bounce_log_create(void)
{
    return mem_zalloc(sizeof(struct bounce_log));
}

static void entry_free(struct bounce_log_entry *e)
{
    mem_free(e->recipient);
    mem_free(e->original_recipient);
    mem_free(e->dsn_orig_rcpt);
    mem_free(e->status);
    mem_free(e->action);
    mem_free(e->reason);
    mem_free(e->diag_type);
    mem_free(e->diag_text);
    mem_free(e->mta_type);
    mem_free(e->mta_mname);
    memset(e, 0, sizeof(*e));
}

void bounce_log_free(struct bounce_log *log)
{
    size_t i;

    if (log == NULL)
        return;
    for (i = 0; i < log->count; i++)
        entry_free(&log->entries[i]);
    mem_free(log->entries);
    mem_free(log);
}

static struct bounce_log_entry *log_new_entry(struct bounce_log *log)
{
    struct bounce_log_entry *e;

    log->entries =
        mem_realloc(log->entries, (log->count + 1) * sizeof(*log->entries));
    e = &log->entries[log->count++];
    memset(e, 0, sizeof(*e));
    return e;
}

static char *dup_or_null(const char *s)
{
    return nonempty(s) ? mem_strdup(s) : NULL;
}

void bounce_log_add(struct bounce_log *log, const struct bounce_rcpt *rcpt,
                    const struct bounce_dsn *dsn)
{
    struct bounce_log_entry *e = log_new_entry(log);
    struct buf *q = buf_alloc(100);

    bounce_quote_addr(q, rcpt->recipient ? rcpt->recipient : "");
    e->recipient = buf_export(q);
    if (nonempty(rcpt->original_recipient) &&
        strcmp(rcpt->original_recipient,
               rcpt->recipient ? rcpt->recipient : "") != 0) {
        q = buf_alloc(100);
        bounce_quote_addr(q, rcpt->original_recipient);
        e->original_recipient = buf_export(q);
    }
    e->offset = rcpt->offset;
    e->dsn_orig_rcpt = dup_or_null(rcpt->dsn_orig_rcpt);
    e->notify_flags = rcpt->notify_flags;
    e->status = dup_or_null(dsn->status);
    e->action = dup_or_null(dsn->action);
    e->reason = dup_or_null(dsn->reason);
    if (nonempty(dsn->diag_type) && nonempty(dsn->diag_text)) {
        e->diag_type = mem_strdup(dsn->diag_type);
        e->diag_text = mem_strdup(dsn->diag_text);
    }
    if (nonempty(dsn->mta_type) && nonempty(dsn->mta_mname)) {
        e->mta_type = mem_strdup(dsn->mta_type);
        e->mta_mname = mem_strdup(dsn->mta_mname);
    }
}

/* One record being read. */
struct log_rec {
    struct bounce_log_entry e;
    char *legacy_rcpt;
    char *legacy_reason;
    int lines;
    int bad;
};

static void set_field(char **field, const char *value, size_t len)
{
    mem_free(*field);
    *field = len ? mem_strndup(value, len) : NULL;
}

static void rec_line(struct log_rec *r, const char *line, size_t len)
{
    const char *eq;
    const char *sep;
    size_t nlen;
    const char *value;
    size_t vlen;
    char *num;

    r->lines++;
    if (len > BOUNCE_LOG_LINE_MAX) {
        r->bad = 1;
        return;
    }
    if (line[0] == '<') {
        /* "<address>: reason"; the address may itself contain ">: " only
         * inside quotes, which the writer never produces unquoted. */
        sep = NULL;
        for (eq = line + 1; eq + 1 < line + len; eq++) {
            if (eq[0] == '>' && eq[1] == ':') {
                sep = eq;
                break;
            }
        }
        if (sep == NULL) {
            r->bad = 1;
            return;
        }
        set_field(&r->legacy_rcpt, line + 1, (size_t)(sep - line - 1));
        value = sep + 2;
        if (value < line + len && *value == ' ')
            value++;
        set_field(&r->legacy_reason, value, (size_t)(line + len - value));
        return;
    }
    eq = memchr(line, '=', len);
    if (eq == NULL || eq == line) {
        r->bad = 1;
        return;
    }
    nlen = (size_t)(eq - line);
    value = eq + 1;
    vlen = len - nlen - 1;
#define NAME_IS(s) (nlen == strlen(s) && memcmp(line, (s), nlen) == 0)
    if (NAME_IS("recipient")) {
        /* An empty recipient is logged as <>. */
        set_field(&r->e.recipient, value, vlen);
        if (r->e.recipient == NULL)
            r->e.recipient = mem_strdup("");
    } else if (NAME_IS("original_recipient")) {
        set_field(&r->e.original_recipient, value, vlen);
    } else if (NAME_IS("offset")) {
        num = mem_strndup(value, vlen);
        r->e.offset = strtol(num, NULL, 10);
        mem_free(num);
    } else if (NAME_IS("dsn_orig_rcpt")) {
        set_field(&r->e.dsn_orig_rcpt, value, vlen);
    } else if (NAME_IS("notify_flags")) {
        num = mem_strndup(value, vlen);
        r->e.notify_flags = (int)strtol(num, NULL, 10);
        mem_free(num);
    } else if (NAME_IS("status")) {
        set_field(&r->e.status, value, vlen);
    } else if (NAME_IS("action")) {
        set_field(&r->e.action, value, vlen);
    } else if (NAME_IS("reason")) {
        set_field(&r->e.reason, value, vlen);
    } else if (NAME_IS("diag_type")) {
        set_field(&r->e.diag_type, value, vlen);
    } else if (NAME_IS("diag_text")) {
        set_field(&r->e.diag_text, value, vlen);
    } else if (NAME_IS("mta_type")) {
        set_field(&r->e.mta_type, value, vlen);
    } else if (NAME_IS("mta_mname")) {
        set_field(&r->e.mta_mname, value, vlen);
    }
#undef NAME_IS
}

/* End of a record: keep it or count it as bad. */
static void rec_end(struct bounce_log *log, struct log_rec *r,
                    const char *default_status)
{
    struct bounce_log_entry *e;

    if (r->lines == 0)
        goto done;
    if (!r->bad && r->e.recipient == NULL && r->legacy_rcpt != NULL) {
        r->e.recipient = r->legacy_rcpt;
        r->legacy_rcpt = NULL;
        if (r->e.reason == NULL && r->legacy_reason != NULL) {
            r->e.reason = r->legacy_reason;
            r->legacy_reason = NULL;
        }
        if (r->e.status == NULL && default_status != NULL)
            r->e.status = mem_strdup(default_status);
    }
    if (r->bad || r->e.recipient == NULL || r->e.reason == NULL ||
        r->e.status == NULL) {
        log->bad++;
        entry_free(&r->e);
        goto done;
    }
    /* diag and mta fields only make sense in pairs. */
    if (r->e.diag_type == NULL || r->e.diag_text == NULL) {
        set_field(&r->e.diag_type, NULL, 0);
        set_field(&r->e.diag_text, NULL, 0);
    }
    if (r->e.mta_type == NULL || r->e.mta_mname == NULL) {
        set_field(&r->e.mta_type, NULL, 0);
        set_field(&r->e.mta_mname, NULL, 0);
    }
    e = log_new_entry(log);
    *e = r->e;
done:
    mem_free(r->legacy_rcpt);
    mem_free(r->legacy_reason);
    memset(r, 0, sizeof(*r));
}

struct bounce_log *bounce_log_parse(const char *data, size_t len,
                                    const char *default_status)
{
    struct bounce_log *log = bounce_log_create();
    struct log_rec rec;
    size_t pos = 0;
    const char *nl;
    size_t llen;

    memset(&rec, 0, sizeof(rec));
    while (pos < len) {
        nl = memchr(data + pos, '\n', len - pos);
        llen = nl ? (size_t)(nl - (data + pos)) : len - pos;
        if (llen > 0 && data[pos + llen - 1] == '\r')
            llen--;
        if (llen == 0) {
            rec_end(log, &rec, default_status);
        } else if (memchr(data + pos, 0, llen) != NULL) {
            rec.lines++;
            rec.bad = 1;
        } else {
            rec_line(&rec, data + pos, llen);
        }
        pos += (nl ? (size_t)(nl - (data + pos)) + 1 : len - pos);
    }
    rec_end(log, &rec, default_status);
    return log;
}
