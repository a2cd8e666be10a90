/*
 * qmqpd_proto - what the QMQP server computes without a socket
 *
 * The pieces of qmqpd (qmqpd.c) that turn a received QMQP request into
 * cleanup records and cleanup's verdict into a QMQP reply, kept apart so
 * that the unit tests run them directly. Everything here reproduces what
 * Postfix 3.7's qmqpd was observed to send to cleanup and to its clients
 * (it was run under our master with a recording cleanup stand-in).
 *
 * Public functions:
 *	qmqpd_status_reply(status, reason, queue_id, text)
 *		the reply for a cleanup status bitmask: returns the code
 *		(QMQPD_STAT_*) and puts the text in text. The first bit set
 *		in this order decides: DEFER (Z "Error: <reason>"), BAD (Z
 *		"Error: internal error <status>"), SIZE (D "Error: message
 *		too large"), HOPS (D "Error: too many hops"), CONT (Z if the
 *		reason starts with '4', else D; "Error: <reason>"), WRITE
 *		(Z "Error: queue file write error"), RCPT (D "Error: no
 *		recipients specified"); any other bit: Z "Error: internal
 *		error <status>". Status 0 is K "Ok: queued as <queue_id>".
 *		soft_bounce is the caller's business.
 *	qmqpd_verp_sender(sender, len, filter, out, delims, why)
 *		the QMQP VERP convention: a sender "prefix<c>@origin-@[]"
 *		means sender prefix@origin with VERP delimiters "<c>=".
 *		The '@' is the first one (C string: a NUL ends the
 *		search); prefix and origin must not be empty. Returns
 *		QMQPD_VERP_NONE (out = sender unchanged), QMQPD_VERP_OK
 *		(out, delims set) or QMQPD_VERP_BAD when a delimiter is not
 *		in filter (verp_delimiter_filter), with the reason in why.
 *	qmqpd_put_received(dst, r)
 *		qmqpd's Received: header as three N records:
 *		    Received: from NAME (NAME [ADDR])
 *		    \tby MYHOSTNAME (MAIL_NAME) with QMQP id QID
 *		    \tfor <RCPT>; DATE
 *		for exactly one recipient (quoted, external form), else
 *		    \tby MYHOSTNAME (MAIL_NAME) with QMQP
 *		    \tid QID; DATE
 *		(no recipient, so that Bcc recipients stay hidden).
 *	qmqpd_put_content(dst, data, len, limit)
 *		the message as records: split at LF; a line of at most
 *		limit bytes is one N record, a longer one L records of limit
 *		bytes and an N with the rest; a last line without LF is
 *		written as L records only (cleanup ends the message there).
 *		While the records at the start are mbox "From " lines
 *		(optionally '>'-quoted, each record looked at separately)
 *		they get the prefix "X-Mailbox-Line: "; if the first other
 *		record starts with a space or tab, an empty N record goes
 *		before it so that it does not continue the Received: header.
 *
 * Diagnostics: none; write errors are sticky in dst.
 *
 * Configuration parameters: none (qmqpd.c passes them).
 */
#include <string.h>

#include "cleanup_user.h"
#include "qmqpd.h"
#include "addr_token.h"
#include "record.h"
#include "verp_delims.h"

int qmqpd_status_reply(unsigned status, const char *reason,
                       const char *queue_id, struct buf *text)
{
    if (status == CLEANUP_STAT_OK) {
        buf_printf(text, "Ok: queued as %s", queue_id);
        return QMQPD_STAT_OK;
    }
    if (status & CLEANUP_STAT_DEFER) {
        buf_printf(text, "Error: %s", reason);
        return QMQPD_STAT_RETRY;
    }
    if (status & CLEANUP_STAT_BAD) {
        buf_printf(text, "Error: internal error %u", status);
        return QMQPD_STAT_RETRY;
    }
    if (status & CLEANUP_STAT_SIZE) {
        buf_set_str(text, "Error: message too large");
        return QMQPD_STAT_HARD;
    }
    if (status & CLEANUP_STAT_HOPS) {
        buf_set_str(text, "Error: too many hops");
        return QMQPD_STAT_HARD;
    }
    if (status & CLEANUP_STAT_CONT) {
        buf_printf(text, "Error: %s", reason);
        return reason[0] == '4' ? QMQPD_STAT_RETRY : QMQPD_STAT_HARD;
    }
    if (status & CLEANUP_STAT_WRITE) {
        buf_set_str(text, "Error: queue file write error");
        return QMQPD_STAT_RETRY;
    }
    if (status & CLEANUP_STAT_RCPT) {
        buf_set_str(text, "Error: no recipients specified");
        return QMQPD_STAT_HARD;
    }
    buf_printf(text, "Error: internal error %u", status);
    return QMQPD_STAT_RETRY;
}

int qmqpd_verp_sender(const char *sender, size_t len, const char *filter,
                      struct buf *out, struct buf *delims, struct buf *why)
{
    size_t suffix_len = strlen(QMQPD_VERP_SUFFIX);
    const char *origin_end = sender + len - suffix_len;
    const char *at;

    buf_set(out, sender, len);
    if (len <= suffix_len ||
        memcmp(origin_end, QMQPD_VERP_SUFFIX, suffix_len) != 0)
        return QMQPD_VERP_NONE;
    if ((at = strchr(sender, '@')) == NULL || at >= origin_end ||
        at - sender < 2 || at + 1 >= origin_end)
        return QMQPD_VERP_NONE;
    buf_reset(delims);
    buf_append_char(delims, at[-1]);
    buf_append_char(delims, '=');
    if (verp_delims_verify(buf_str(delims), filter, why) < 0)
        return QMQPD_VERP_BAD;
    buf_set(out, sender, (size_t)(at - 1 - sender));
    buf_append(out, at, (size_t)(origin_end - at));
    return QMQPD_VERP_OK;
}

void qmqpd_put_received(struct stream *dst, const struct qmqpd_received *r)
{
    rec_fprintf(dst, REC_TYPE_NORM, "Received: from %s (%s [%s])",
                r->client_name, r->client_name, r->rfc_addr);
    if (r->rcpt_count == 1 && r->first_rcpt != NULL) {
        struct buf *quoted = buf_alloc(100);

        /* An empty address is "" here, not nothing. */
        if (*r->first_rcpt == 0)
            buf_set_str(quoted, "\"\"");
        else
            addr_external_append(r->first_rcpt, quoted);
        rec_fprintf(dst, REC_TYPE_NORM, "\tby %s (%s) with %s id %s",
                    r->myhostname, r->mail_name, QMQPD_PROTOCOL, r->queue_id);
        rec_fprintf(dst, REC_TYPE_NORM, "\tfor <%s>; %s", buf_str(quoted),
                    r->date);
        buf_free(quoted);
    } else {
        rec_fprintf(dst, REC_TYPE_NORM, "\tby %s (%s) with %s", r->myhostname,
                    r->mail_name, QMQPD_PROTOCOL);
        rec_fprintf(dst, REC_TYPE_NORM, "\tid %s; %s", r->queue_id, r->date);
    }
}

/* An mbox "From " line, possibly quoted as ">From ", ">>From ", ... */
static int qmqpd_is_from_line(const char *data, size_t len)
{
    size_t i = 0;

    while (i < len && data[i] == '>')
        i++;
    return len - i >= 5 && memcmp(data + i, "From ", 5) == 0;
}

struct qmqpd_content {
    struct stream *dst;
    struct buf *scratch;
    int at_start; /* no record other than From lines yet */
};

static void qmqpd_put_piece(struct qmqpd_content *ctx, int type,
                            const char *data, size_t len)
{
    if (ctx->at_start) {
        if (qmqpd_is_from_line(data, len)) {
            buf_set_str(ctx->scratch, QMQPD_MAILBOX_LINE);
            buf_append(ctx->scratch, data, len);
            rec_put(ctx->dst, type, buf_str(ctx->scratch),
                    buf_len(ctx->scratch));
            return;
        }
        if (len > 0 && (data[0] == ' ' || data[0] == '\t'))
            rec_put(ctx->dst, REC_TYPE_NORM, "", 0);
        ctx->at_start = 0;
    }
    rec_put(ctx->dst, type, data, len);
}

void qmqpd_put_content(struct stream *dst, const char *data, size_t len,
                       size_t limit)
{
    struct qmqpd_content ctx = {dst, buf_alloc(100), 1};
    size_t pos = 0;

    if (limit == 0)
        limit = 1;
    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - (data + pos)) : len - pos;
        size_t off = 0;

        do {
            size_t piece = line_len - off > limit ? limit : line_len - off;
            int last = off + piece == line_len;

            qmqpd_put_piece(&ctx, nl && last ? REC_TYPE_NORM : REC_TYPE_CONT,
                            data + pos + off, piece);
            off += piece;
        } while (off < line_len);
        pos += line_len + (nl != NULL);
    }
    buf_free(ctx.scratch);
}
