/*
 * sendmail_copy - turn the message on sendmail's standard input into
 * content records
 *
 * Reads the message line by line and writes one N record per line (the
 * newline is implied) to the postdrop stream, as Postfix 3.7's sendmail
 * does:
 *	- line ends: LF ends a line; with sendmail_fix_line_endings =
 *	  always (the default) a CR before the LF is removed, with strict
 *	  only if the first line ends in CRLF, with never it stays;
 *	- long lines: a line longer than line_length_limit is written as L
 *	  records of line_length_limit bytes followed by an N record with
 *	  the rest (possibly empty);
 *	- a last line without a newline becomes an L record;
 *	- dots: unless -i/-oi, a line that is a single "." ends the message
 *	  (the rest of the input is not read); other lines are copied as
 *	  they are (no dot unstuffing, as sendmail -bm has none);
 *	- a first line starting with "From " (a UNIX mailbox separator) is
 *	  dropped;
 *	- with -t, the header block (the lines up to the first empty line
 *	  or the first line that is not a header or a continuation) is
 *	  parsed for To:, Cc:, Bcc: and Resent-To:, Resent-Cc:, Resent-Bcc:
 *	  (any case); their addresses are collected (sendmail_addr.c). If
 *	  there is any Resent- recipient header, only those count (RFC 5322
 *	  section 3.6.6), as with Postfix. The headers themselves are
 *	  copied unchanged (cleanup removes Bcc:).
 *
 * Public functions:
 *	sendmail_copy_init(copy), sendmail_copy_free(copy)
 *		defaults: dots on, fix always, line_limit 2048, no extract,
 *		header_limit 102400
 *	sendmail_copy_fix_mode(value, &fix)	parse a
 *		sendmail_fix_line_endings value; 0 or -1
 *	sendmail_copy(in, out, copy)
 *		copy in to out; 0, or -1 when reading in failed (not at a
 *		clean end of input). Write errors are left sticky on out.
 *	sendmail_copy_recipients(copy)	the -t recipients: the Resent-
 *		list if any Resent- recipient header was seen, else the
 *		To/Cc/Bcc list
 *
 * A header longer than header_limit is parsed only up to that length.
 * Choices where Postfix was seen to differ: with -t Postfix writes an
 * extra empty N record after a last line without a newline (so the
 * message gains a newline); we write the same L record in both modes.
 * A last line that is a single "." without a newline also ends the
 * message.
 *
 * Diagnostics: none. Configuration parameters: none (the caller applies
 * line_length_limit, header_size_limit, sendmail_fix_line_endings).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "rec_type.h"
#include "record.h"
#include "sendmail.h"

#define SENDMAIL_LINE_LIMIT_DEFAULT   2048
#define SENDMAIL_HEADER_LIMIT_DEFAULT 102400

struct sendmail_run {
    struct sendmail_copy *copy;
    struct stream *out;
    struct buf *chunk; /* the part of the current line not yet written */
    int continued;     /* the current line was partly written already */
    int first;         /* no line has ended yet */
    int skip;          /* dropping a "From " line */
    int fix;           /* remove CR before LF */
    int decided;       /* STRICT: the first line has decided fix */
    int done;          /* a "." line ended the message */
    /* Header parsing (extract only). */
    int in_headers;
    struct buf *line;   /* the current logical line, up to header_limit */
    struct buf *header; /* the current header with its continuations */
    int have_header;
};

void sendmail_copy_init(struct sendmail_copy *copy)
{
    memset(copy, 0, sizeof(*copy));
    copy->dots = 1;
    copy->fix = SENDMAIL_FIX_ALWAYS;
    copy->line_limit = SENDMAIL_LINE_LIMIT_DEFAULT;
    copy->header_limit = SENDMAIL_HEADER_LIMIT_DEFAULT;
    conf_list_init(&copy->rcpts);
    conf_list_init(&copy->resent_rcpts);
}

void sendmail_copy_free(struct sendmail_copy *copy)
{
    conf_list_free(&copy->rcpts);
    conf_list_free(&copy->resent_rcpts);
}

int sendmail_copy_fix_mode(const char *value, enum sendmail_fix *fix)
{
    if (strcasecmp(value, "always") == 0)
        *fix = SENDMAIL_FIX_ALWAYS;
    else if (strcasecmp(value, "strict") == 0)
        *fix = SENDMAIL_FIX_STRICT;
    else if (strcasecmp(value, "never") == 0)
        *fix = SENDMAIL_FIX_NEVER;
    else
        return -1;
    return 0;
}

const struct conf_list *
sendmail_copy_recipients(const struct sendmail_copy *copy)
{
    return copy->saw_resent ? &copy->resent_rcpts : &copy->rcpts;
}

/* --- -t: recipients from the headers --- */

static void sendmail_append_capped(struct buf *bp, const char *data, size_t len,
                                   size_t limit)
{
    if (buf_len(bp) >= limit)
        return;
    if (len > limit - buf_len(bp))
        len = limit - buf_len(bp);
    buf_append(bp, data, len);
}

/* "Name:" with a name of printable characters other than ':'. */
static size_t sendmail_header_name_len(const char *line, size_t len)
{
    size_t n = 0;

    while (n < len && line[n] > ' ' && line[n] < 0x7f && line[n] != ':')
        n++;
    if (n == 0)
        return 0;
    for (size_t i = n; i < len; i++) {
        if (line[i] == ':')
            return n;
        if (line[i] != ' ' && line[i] != '\t')
            return 0;
    }
    return 0;
}

static void sendmail_header_finish(struct sendmail_run *run)
{
    static const char *const plain[] = {"to", "cc", "bcc"};
    struct sendmail_copy *copy = run->copy;
    const char *text = buf_str(run->header);
    size_t len = buf_len(run->header);
    size_t name_len;
    const char *value;
    struct conf_list *target = NULL;

    if (!run->have_header)
        return;
    run->have_header = 0;
    if ((name_len = sendmail_header_name_len(text, len)) == 0)
        return;
    value = (const char *)memchr(text, ':', len) + 1;
    if (name_len > 7 && strncasecmp(text, "resent-", 7) == 0) {
        for (size_t i = 0; i < 3; i++)
            if (name_len - 7 == strlen(plain[i]) &&
                strncasecmp(text + 7, plain[i], name_len - 7) == 0) {
                target = &copy->resent_rcpts;
                copy->saw_resent = 1;
            }
    } else {
        for (size_t i = 0; i < 3; i++)
            if (name_len == strlen(plain[i]) &&
                strncasecmp(text, plain[i], name_len) == 0)
                target = &copy->rcpts;
    }
    if (target != NULL)
        sendmail_addr_parse(value, (size_t)(text + len - value), target);
}

/* One logical line of input, while still in the header block. */
static void sendmail_header_line(struct sendmail_run *run)
{
    const char *line = buf_str(run->line);
    size_t len = buf_len(run->line);

    if (len == 0) {
        sendmail_header_finish(run);
        run->in_headers = 0;
    } else if (line[0] == ' ' || line[0] == '\t') {
        if (run->have_header)
            sendmail_append_capped(run->header, line, len,
                                   run->copy->header_limit);
        else
            run->in_headers = 0;
    } else if (sendmail_header_name_len(line, len) > 0) {
        sendmail_header_finish(run);
        buf_set(run->header, line, len);
        run->have_header = 1;
    } else {
        sendmail_header_finish(run);
        run->in_headers = 0;
    }
}

/* --- lines --- */

static int sendmail_is_from_line(const struct buf *chunk)
{
    return buf_len(chunk) >= 5 && memcmp(buf_str(chunk), "From ", 5) == 0;
}

/* The line goes on beyond line_limit: write what we have as L. */
static void sendmail_chunk_full(struct sendmail_run *run)
{
    if (run->first && !run->continued && sendmail_is_from_line(run->chunk))
        run->skip = 1;
    if (!run->skip) {
        rec_put(run->out, REC_TYPE_CONT, buf_str(run->chunk),
                buf_len(run->chunk));
        if (run->in_headers)
            sendmail_append_capped(run->line, buf_str(run->chunk),
                                   buf_len(run->chunk),
                                   run->copy->header_limit);
    }
    run->continued = 1;
    buf_reset(run->chunk);
}

/* The line ended: with a newline (complete) or at the end of input. */
static void sendmail_line_end(struct sendmail_run *run, int complete)
{
    struct buf *chunk = run->chunk;
    int was_first = run->first;
    int was_continued = run->continued;

    run->first = 0;
    run->continued = 0;
    if (complete) {
        if (!run->decided) {
            run->decided = 1;
            if (run->copy->fix == SENDMAIL_FIX_STRICT)
                run->fix = buf_len(chunk) > 0 &&
                           buf_str(chunk)[buf_len(chunk) - 1] == '\r';
        }
        if (run->fix && buf_len(chunk) > 0 &&
            buf_str(chunk)[buf_len(chunk) - 1] == '\r')
            buf_truncate(chunk, buf_len(chunk) - 1);
        run->copy->lines++;
    }
    if (run->skip ||
        (was_first && !was_continued && sendmail_is_from_line(chunk))) {
        run->skip = 0;
        buf_reset(chunk);
        return;
    }
    if (run->copy->dots && !was_continued && buf_len(chunk) == 1 &&
        buf_str(chunk)[0] == '.') {
        run->done = 1;
        buf_reset(chunk);
        return;
    }
    if (complete)
        rec_put(run->out, REC_TYPE_NORM, buf_str(chunk), buf_len(chunk));
    else if (buf_len(chunk) > 0)
        rec_put(run->out, REC_TYPE_CONT, buf_str(chunk), buf_len(chunk));
    if (run->in_headers) {
        sendmail_append_capped(run->line, buf_str(chunk), buf_len(chunk),
                               run->copy->header_limit);
        sendmail_header_line(run);
        buf_reset(run->line);
    }
    buf_reset(chunk);
}

int sendmail_copy(struct stream *in, struct stream *out,
                  struct sendmail_copy *copy)
{
    struct sendmail_run run;
    size_t limit = copy->line_limit > 0 ? copy->line_limit : 1;
    int result = 0;
    int ch;

    memset(&run, 0, sizeof(run));
    run.copy = copy;
    run.out = out;
    run.chunk = buf_alloc(limit + 2);
    run.line = buf_alloc(100);
    run.header = buf_alloc(100);
    run.first = 1;
    run.fix = copy->fix != SENDMAIL_FIX_NEVER;
    run.decided = copy->fix != SENDMAIL_FIX_STRICT;
    run.in_headers = copy->extract;

    while (!run.done) {
        if ((ch = stream_getc(in)) == STREAM_EOF) {
            if (stream_error(in) & ~STREAM_ERR_EOF)
                result = -1;
            else if (buf_len(run.chunk) > 0 || run.continued)
                sendmail_line_end(&run, 0);
            break;
        }
        if (ch == '\n') {
            sendmail_line_end(&run, 1);
            /* postdrop is gone: the rest of the input is of no use. */
            if (stream_error(out) & (STREAM_ERR_IO | STREAM_ERR_TIMEOUT))
                break;
            continue;
        }
        buf_append_char(run.chunk, ch);
        if (buf_len(run.chunk) >= limit) {
            /* A CR that the LF after it will remove does not count. */
            if (run.fix && ch == '\r' && buf_len(run.chunk) == limit &&
                stream_peekc(in) == '\n')
                continue;
            sendmail_chunk_full(&run);
        }
    }
    if (run.in_headers)
        sendmail_header_finish(&run);
    buf_free(run.chunk);
    buf_free(run.line);
    buf_free(run.header);
    return result;
}
