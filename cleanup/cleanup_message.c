/*
 * cleanup_message - the message content: headers and body
 *
 * The content segment (M to X) is a sequence of N records (a line) and
 * L records (a piece of a longer line). The body goes to the queue file
 * record by record; the headers are collected one logical header at a
 * time (its first line and its continuation lines, which start with a
 * space or a tab), looked at, and written. What cleanup does to them,
 * each point as Postfix 3.7's cleanup was seen to do it (Debian 3.7.11,
 * driven over its socket):
 *
 *  - Removes Return-Path:, Bcc:, Resent-Bcc: and Content-Length:
 *    (whatever the context and the request flags). The recipients a
 *    "sendmail -t" user put in Bcc: reach cleanup as extracted R
 *    records (Postfix's sendmail extracts them itself), so removing the
 *    header is what keeps them blind.
 *  - Counts Received: headers (only those: Delivered-To: is the local
 *    delivery agent's loop check, and 1 Received: plus 50 Delivered-To:
 *    passed Postfix). More than hopcount_limit fails the message with
 *    CLEANUP_STAT_HOPS ("message rejected: hopcount exceeded").
 *  - Logs "<QID>: message-id=<value>" for a Message-Id: header and
 *    "<QID>: resent-message-id=<value>" for Resent-Message-Id:, as they
 *    come; at the end of the headers the ones it generates; and when the
 *    message has no Message-Id: at all, "<QID>: message-id=<>".
 *  - At the end of the headers, for mail in the local rewrite context
 *    (no "A rewrite_context=remote" from the client) or with
 *    always_add_missing_headers = yes, adds what is missing, after the
 *    client's headers: Message-Id: <YYYYMMDDhhmmss.QID@$myhostname>
 *    (UTC time of the queue file's creation; <QID@$myhostname> with
 *    long queue IDs), Date: (the arrival time, util/mail_date.c),
 *    From: (the envelope sender with the F record's full name as the
 *    display name, quoted when it needs to be; MAILER-DAEMON for the
 *    null sender). A message with any Resent- header gets
 *    Resent-Message-Id:, Resent-Date: and Resent-From: instead. No To:
 *    is added (undisclosed_recipients_header is empty in Postfix 3.7).
 *  - Rewrites the addresses in address headers (From:, To:, Cc:,
 *    Reply-To:, Sender:, their Resent- forms, ...) of local-context mail
 *    to user@domain form (cleanup_addr.c).
 *  - Keeps a logical header to header_size_limit bytes (its lines
 *    joined with newlines); the rest of that header is discarded.
 *  - Writes each header line as an N record, a line longer than
 *    line_length_limit as L records of that length and a final N.
 *  - The headers end at the empty line, at X, or at the first line that
 *    is neither a header nor a continuation (an mbox "From " line, a
 *    line without a colon). In the last case an empty line is inserted
 *    before that line, so that it starts the body rather than being
 *    lost in the headers (Postfix does the same).
 *  - Dummy pointer records follow the headers (before the empty line)
 *    and the body (before X), where an editor could link in changes.
 *
 * Our own choice, where Postfix 3.7's cleanup instead rejects a message
 * that has no Received: header at all ("message rejected: no Received:
 * header", status BAD): when the first header is not a Received: header
 * (the client did not add a trace header for its hop), cleanup puts its
 * own first: "Received: by $myhostname ($mail_name)" followed by the
 * line "\tid QID; <date>". Postfix's pickup, qmqpd and smtpd always
 * write a Received: first, so mail from them is unchanged.
 *
 * A line is classified when it is complete, or once
 * CLEANUP_CLASSIFY_MIN bytes of it are there (no header name is that
 * long); a long body line is then passed through record by record.
 *
 * Public functions (cleanup.h): cleanup_message(state, type, data, len)
 * for each content record and X; cleanup_message_end(state) when the
 * content ends.
 *
 * Diagnostics: the hop count rejection; "unexpected record type N in
 * message content" for anything but N, L and X (CLEANUP_STAT_BAD).
 * Configuration parameters: hopcount_limit, header_size_limit,
 * line_length_limit, always_add_missing_headers, myhostname, mail_name,
 * enable_long_queue_ids (via cleanup_config).
 */
#include <string.h>
#include <time.h>

#include "addr_list.h"
#include "addr_token.h"
#include "cleanup.h"
#include "cleanup_user.h"
#include "mail_date.h"
#include "mail_header.h"
#include "msg.h"
#include "record.h"

#define CLEANUP_CLASSIFY_MIN 1000

#define CLEANUP_SEEN(state, id) ((state)->seen & (1u << (id)))

/* Write a header's text, one record (or L...N) per physical line. */
static void cleanup_header_out(struct cleanup_state *state, const char *text,
                               size_t len)
{
    const char *end = text + len;

    for (;;) {
        const char *nl = memchr(text, '\n', (size_t)(end - text));

        if (nl == NULL) {
            cleanup_out_split(state, REC_TYPE_NORM, text, (size_t)(end - text));
            break;
        }
        cleanup_out_split(state, REC_TYPE_NORM, text, (size_t)(nl - text));
        text = nl + 1;
    }
}

/* Our trace header, for a client that did not write one. */
static void cleanup_add_received(struct cleanup_state *state)
{
    struct buf *date = buf_alloc(64);

    struct buf *text = buf_alloc(100);

    mail_date(date, state->create_time);
    buf_printf(text, "Received: by %s (%s)\n\tid %s; %s",
               cleanup_config.myhostname, cleanup_config.mail_name,
               state->queue_id, buf_str(date));
    cleanup_header_out(state, buf_str(text), buf_len(text));
    buf_free(text);
    buf_free(date);
    state->hop_count++;
}

/* A header's value for a log line: unfolded, outer white space dropped. */
static void cleanup_header_value(const char *text, size_t len, struct buf *out)
{
    size_t off = mail_header_value_offset(text, len);

    buf_reset(out);
    for (size_t i = off; i < len; i++)
        if (text[i] != '\n' &&
            !(buf_len(out) == 0 && (text[i] == ' ' || text[i] == '\t')))
            buf_append_char(out, text[i]);
    while (buf_len(out) > 0 && (buf_str(out)[buf_len(out) - 1] == ' ' ||
                                buf_str(out)[buf_len(out) - 1] == '\t'))
        buf_truncate(out, buf_len(out) - 1);
}

/* Look at the collected logical header, then write it (or not). */
static void cleanup_header_flush(struct cleanup_state *state)
{
    const struct mail_header_info *info;
    const char *text;
    const char *nl;
    size_t first_len;
    size_t name_len;

    if (!state->hdr_pending)
        return;
    state->hdr_pending = 0;
    text = buf_str(state->hdr);
    nl = memchr(text, '\n', buf_len(state->hdr));
    first_len = nl ? (size_t)(nl - text) : buf_len(state->hdr);
    name_len = mail_header_name_len(text, first_len);
    info = name_len ? mail_header_find(text, name_len) : NULL;

    if (!state->headers_out) {
        state->headers_out = 1;
        if (info == NULL || info->id != MAIL_HDR_RECEIVED)
            cleanup_add_received(state);
    }
    if (info != NULL) {
        state->seen |= 1u << info->id;
        if (info->flags & MAIL_HDR_F_RESENT)
            state->resent = 1;
        switch (info->id) {
        case MAIL_HDR_RECEIVED:
            if (++state->hop_count > cleanup_config.hopcount_limit) {
                cleanup_reject(state, CLEANUP_STAT_HOPS, "hopcount exceeded");
                return;
            }
            break;
        case MAIL_HDR_RETURN_PATH:
        case MAIL_HDR_BCC:
        case MAIL_HDR_RESENT_BCC:
        case MAIL_HDR_CONTENT_LENGTH:
            return;
        case MAIL_HDR_MESSAGE_ID:
        case MAIL_HDR_RESENT_MESSAGE_ID:
            cleanup_header_value(text, buf_len(state->hdr), state->scratch);
            msg_info("%s: %s=%s", state->queue_id,
                     info->id == MAIL_HDR_MESSAGE_ID ? "message-id"
                                                     : "resent-message-id",
                     buf_str(state->scratch));
            if (info->id == MAIL_HDR_MESSAGE_ID)
                state->msgid_logged = 1;
            break;
        default:
            break;
        }
        if ((info->flags & MAIL_HDR_F_ADDRESS) && !state->remote)
            cleanup_addr_header(state, text, name_len, state->hdr);
    }
    cleanup_header_out(state, buf_str(state->hdr), buf_len(state->hdr));
}

/*
 * Add to the logical header, within header_size_limit. Like Postfix's,
 * the limit works on pieces of at most line_length_limit bytes (what a
 * client's records hold): a piece that would take the header beyond the
 * limit is dropped, and so is everything after it in this header. A
 * continuation line's piece includes the newline that joins it.
 */
static void cleanup_hdr_append(struct cleanup_state *state, int newline,
                               const char *data, size_t len)
{
    size_t limit = (size_t)cleanup_config.header_size_limit;
    size_t piece_max = (size_t)cleanup_config.line_length_limit;

    do {
        size_t piece = piece_max > 0 && len > piece_max ? piece_max : len;

        if (state->hdr_truncated)
            return;
        if (buf_len(state->hdr) + (newline != 0) + piece > limit) {
            /* Keep something of a first line longer than the limit. */
            if (buf_len(state->hdr) == 0)
                buf_append(state->hdr, data, limit);
            state->hdr_truncated = 1;
            return;
        }
        if (newline)
            buf_append_char(state->hdr, '\n');
        buf_append(state->hdr, data, piece);
        newline = 0;
        data += piece;
        len -= piece;
    } while (len > 0);
}

static void cleanup_message_id(struct cleanup_state *state, struct buf *out)
{
    char stamp[32];
    struct tm tm;
    time_t when = state->create_time;

    if (cleanup_config.long_queue_ids) {
        buf_printf(out, "<%s@%s>", state->queue_id, cleanup_config.myhostname);
        return;
    }
    gmtime_r(&when, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
    buf_printf(out, "<%s.%s@%s>", stamp, state->queue_id,
               cleanup_config.myhostname);
}

/* "From: Full Name <sender>" for the envelope sender. */
static void cleanup_from_value(struct cleanup_state *state, struct buf *out)
{
    struct buf *addr = buf_alloc(100);

    buf_reset(out);
    if (state->sender == NULL || state->sender[0] == 0) {
        buf_set_str(out, "MAILER-DAEMON");
    } else {
        addr_quote_local(state->sender, addr);
        if (state->fullname != NULL && state->fullname[0] != 0) {
            struct buf *name = buf_alloc(100);

            /* A full name is one line of text in a header. */
            for (const char *cp = state->fullname; *cp; cp++)
                buf_append_char(name, (*cp == '\r' || *cp == '\n') ? ' ' : *cp);
            addr_phrase_append(buf_str(name), buf_len(name), out);
            buf_append_printf(out, " <%s>", buf_str(addr));
            buf_free(name);
        } else {
            buf_append(out, buf_str(addr), buf_len(addr));
        }
    }
    buf_free(addr);
}

/* The end of the headers: what is missing, then the dummy pointer. */
static void cleanup_headers_end(struct cleanup_state *state)
{
    struct buf *value = buf_alloc(100);
    struct buf *text = buf_alloc(100);
    const char *prefix;
    enum mail_header_id msgid_id, date_id, from_id;

    cleanup_header_flush(state);
    prefix = state->resent ? "Resent-" : "";
    state->in_headers = 0;
    state->line_class = CLEANUP_LINE_NONE;
    if (state->fatal) {
        buf_free(value);
        buf_free(text);
        return;
    }
    if (!state->headers_out) {
        state->headers_out = 1;
        cleanup_add_received(state);
    }
    if (state->resent) {
        msgid_id = MAIL_HDR_RESENT_MESSAGE_ID;
        date_id = MAIL_HDR_RESENT_DATE;
        from_id = MAIL_HDR_RESENT_FROM;
    } else {
        msgid_id = MAIL_HDR_MESSAGE_ID;
        date_id = MAIL_HDR_DATE;
        from_id = MAIL_HDR_FROM;
    }
    if (!state->remote || cleanup_config.always_add_missing_headers) {
        if (!CLEANUP_SEEN(state, msgid_id)) {
            cleanup_message_id(state, value);
            buf_printf(text, "%sMessage-Id: %s", prefix, buf_str(value));
            cleanup_header_out(state, buf_str(text), buf_len(text));
            msg_info("%s: %smessage-id=%s", state->queue_id,
                     state->resent ? "resent-" : "", buf_str(value));
            if (!state->resent)
                state->msgid_logged = 1;
        }
        if (!CLEANUP_SEEN(state, date_id)) {
            mail_date(value, (time_t)state->arrival_sec);
            buf_printf(text, "%sDate: %s", prefix, buf_str(value));
            cleanup_header_out(state, buf_str(text), buf_len(text));
        }
        if (!CLEANUP_SEEN(state, from_id)) {
            cleanup_from_value(state, value);
            buf_printf(text, "%sFrom: %s", prefix, buf_str(value));
            cleanup_header_out(state, buf_str(text), buf_len(text));
        }
    }
    if (!state->msgid_logged)
        msg_info("%s: message-id=<>", state->queue_id);
    cleanup_out_pointer(state);
    buf_free(value);
    buf_free(text);
}

/* A new physical line in the header phase, now that we can tell. */
static void cleanup_header_classify(struct cleanup_state *state, int type)
{
    const char *text = buf_str(state->line);
    size_t len = buf_len(state->line);

    if (type == REC_TYPE_NORM && len == 0) {
        /* The empty line: it belongs to the body side of the pointer. */
        cleanup_headers_end(state);
        cleanup_out(state, REC_TYPE_NORM, "", 0);
        return;
    }
    if (state->hdr_pending && mail_header_is_continuation(text, len)) {
        state->line_class = CLEANUP_LINE_CONT;
        cleanup_hdr_append(state, 1, text, len);
    } else if (mail_header_name_len(text, len) > 0) {
        cleanup_header_flush(state);
        if (state->fatal)
            return;
        buf_reset(state->hdr);
        state->hdr_pending = 1;
        state->hdr_truncated = 0;
        state->line_class = CLEANUP_LINE_HEADER;
        cleanup_hdr_append(state, 0, text, len);
    } else {
        /* Body text without the empty line: supply it. */
        cleanup_headers_end(state);
        cleanup_out(state, REC_TYPE_NORM, "", 0);
        cleanup_out_split(state, type, text, len);
        buf_reset(state->line);
        return;
    }
    buf_reset(state->line);
    if (type == REC_TYPE_NORM)
        state->line_class = CLEANUP_LINE_NONE;
}

static void cleanup_header_record(struct cleanup_state *state, int type,
                                  const char *data, size_t len)
{
    switch (state->line_class) {
    case CLEANUP_LINE_NONE:
        buf_reset(state->line);
        state->line_class = CLEANUP_LINE_UNKNOWN;
        /* FALLTHROUGH */
    case CLEANUP_LINE_UNKNOWN:
        buf_append(state->line, data, len);
        if (type == REC_TYPE_CONT &&
            buf_len(state->line) < CLEANUP_CLASSIFY_MIN)
            return;
        cleanup_header_classify(state, type);
        return;
    case CLEANUP_LINE_HEADER:
    case CLEANUP_LINE_CONT:
        cleanup_hdr_append(state, 0, data, len);
        if (type == REC_TYPE_NORM)
            state->line_class = CLEANUP_LINE_NONE;
        return;
    }
}

void cleanup_message_end(struct cleanup_state *state)
{
    if (!state->in_headers)
        return;

    /* A line left unfinished (L without N) counts as complete here. */
    if (state->line_class == CLEANUP_LINE_UNKNOWN)
        cleanup_header_classify(state, REC_TYPE_NORM);
    if (state->in_headers && !state->fatal)
        cleanup_headers_end(state);
}

void cleanup_message(struct cleanup_state *state, int type, const char *data,
                     size_t len)
{
    switch (type) {
    case REC_TYPE_XTRA:
        cleanup_message_end(state);
        if (state->fatal)
            return;
        cleanup_out_pointer(state);
        state->xtra_offset = state->file_size;
        cleanup_out(state, REC_TYPE_XTRA, "", 0);
        state->segment = CLEANUP_SEG_EXTRACTED;
        state->rcpt_in_segment = 0;
        return;
    case REC_TYPE_NORM:
    case REC_TYPE_CONT:
        if (state->in_headers)
            cleanup_header_record(state, type, data, len);
        else
            cleanup_out_split(state, type, data, len);
        return;
    default:
        cleanup_reject(state, CLEANUP_STAT_BAD,
                       "unexpected record type %d in message content", type);
        return;
    }
}
