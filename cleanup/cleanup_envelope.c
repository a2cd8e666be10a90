/*
 * cleanup_envelope - the envelope segment, and recipients anywhere
 *
 * What a client sends before M: arrival time, sender, recipients, named
 * attributes. cleanup writes them to the queue file in the order they
 * come (spec b.3), with these changes, each as Postfix 3.7's cleanup was
 * seen to make them:
 *
 *	T	the first one is written, followed by cleanup's own
 *		"A create_time=<queue file creation time>"; later ones, and
 *		a client's create_time (c, or A create_time=), are dropped.
 *		A T that is not "seconds microseconds" (or a time so far
 *		off that no date can show it) counts as missing.
 *	S	canonicalised (cleanup_addr.c); a second S is an error
 *		("multiple envelope sender records").
 *	F	written; also the full name of the From: header cleanup
 *		adds.
 *	R	a recipient (cleanup_recipient): canonicalised, checked
 *		against the duplicate filter, and written as
 *		[A notify_flags=N] A dsn_orig_rcpt=<orcpt> O <orig> R <rcpt>:
 *		orcpt is the client's (o record or A dsn_orig_rcpt=) or
 *		"rfc822;<rcpt>"; orig is the client's O record or the R as
 *		the client sent it. O is left out when
 *		enable_original_recipient = no. The client's O, o and n
 *		records (and their A forms) apply to the next R only.
 *	W	cleanup writes its own before the first recipient (or at the
 *		end of the envelope when there is none) when
 *		delay_warning_time > 0 and the sender is not empty: the
 *		arrival time plus delay_warning_time; a client's W is
 *		dropped.
 *	i, <	(DSN ENVID, RET) written as A envelope_id=, A ret_flags=.
 *	A	name=value written as it is (client and protocol attributes;
 *		rewrite_context=remote also stops cleanup from adding
 *		headers, see cleanup_message.c). No '=' or an empty name is
 *		an error ("malformed attribute: missing '=' after attribute
 *		name: ...").
 *	V > I L	written as they are.
 *	f	or-ed into the request flags (so a client may ask for HOLD
 *		here); C W K d m and D / (with the O, o, n before them) are
 *		dropped.
 *	M	ends the envelope: without a time or a sender record the
 *		message fails ("missing time envelope record", "missing
 *		sender envelope record"); otherwise a dummy pointer and M
 *		are written and the content starts after them
 *		(data_offset).
 * Any other record type is an error ("unexpected record type N in
 * envelope"). Errors fail the message with CLEANUP_STAT_BAD.
 *
 * Recipients mixed with other records: once a segment (envelope or
 * extracted) has had a recipient, any record other than a recipient and
 * its O/o/n sets the queue manager flag MIXED_RCPT_OTHER in the size
 * record, so that qmgr reads the whole segment before it starts.
 *
 * Public functions (cleanup.h): cleanup_envelope(), cleanup_recipient(),
 * cleanup_rcpt_attr() (O, o, n and A dsn_orig_rcpt=/notify_flags=, in
 * either segment), cleanup_segment_other().
 *
 * Diagnostics: the rejection warnings above. Configuration parameters:
 * delay_warning_time, enable_original_recipient, duplicate_filter_limit
 * (via cleanup_config).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "cleanup_user.h"
#include "mem.h"
#include "msg.h"
#include "record.h"

void cleanup_segment_other(struct cleanup_state *state)
{
    if (state->rcpt_in_segment)
        state->mixed = 1;
}

/* The W record, once, when the sender is known. */
static void cleanup_warn_record(struct cleanup_state *state)
{
    if (state->warn_written || !state->have_sender)
        return;
    state->warn_written = 1;
    if (cleanup_config.delay_warning_time > 0 && state->sender[0] != 0 &&
        state->arrival_sec <= LONG_MAX - cleanup_config.delay_warning_time)
        cleanup_out_format(state, REC_TYPE_WARN, REC_TYPE_WARN_FORMAT,
                           state->arrival_sec +
                               cleanup_config.delay_warning_time);
}

static void cleanup_pending_reset(struct cleanup_state *state)
{
    mem_free(state->orig_rcpt);
    mem_free(state->dsn_orcpt);
    state->orig_rcpt = NULL;
    state->dsn_orcpt = NULL;
    state->dsn_notify = 0;
}

static int cleanup_parse_notify(const char *text, int *out)
{
    char *end;
    long value;

    errno = 0;
    value = strtol(text, &end, 10);
    if (*text == 0 || *end != 0 || errno == ERANGE || value < 0 ||
        value > REC_DSN_NOTIFY_NEVER + REC_DSN_NOTIFY_ANY)
        return -1;
    *out = (int)value;
    return 0;
}

int cleanup_rcpt_attr(struct cleanup_state *state, int type, const char *data,
                      size_t len)
{
    const char *value = data;

    if (type == REC_TYPE_ATTR) {
        const char *eq = memchr(data, '=', len);
        size_t name_len = eq ? (size_t)(eq - data) : 0;

        if (eq == NULL)
            return 0;
        value = eq + 1;
        if (name_len == strlen(REC_ATTR_DSN_ORCPT) &&
            memcmp(data, REC_ATTR_DSN_ORCPT, name_len) == 0)
            type = REC_TYPE_DSN_ORCPT;
        else if (name_len == strlen(REC_ATTR_DSN_NOTIFY) &&
                 memcmp(data, REC_ATTR_DSN_NOTIFY, name_len) == 0)
            type = REC_TYPE_DSN_NOTIFY;
        else
            return 0;
    }
    switch (type) {
    case REC_TYPE_ORCP:
        mem_free(state->orig_rcpt);
        state->orig_rcpt = mem_strdup(value);
        return 1;
    case REC_TYPE_DSN_ORCPT:
        mem_free(state->dsn_orcpt);
        state->dsn_orcpt = mem_strdup(value);
        return 1;
    case REC_TYPE_DSN_NOTIFY:
        if (cleanup_parse_notify(value, &state->dsn_notify) < 0) {
            cleanup_reject(state, CLEANUP_STAT_BAD,
                           "bad DSN notify flags: %.100s", value);
            return 1;
        }
        return 1;
    default:
        return 0;
    }
}

void cleanup_recipient(struct cleanup_state *state, const char *rcpt)
{
    struct buf *canon = buf_alloc(100);
    struct buf *orcpt = buf_alloc(100);
    struct buf *key = buf_alloc(200);
    const char *orig = state->orig_rcpt ? state->orig_rcpt : rcpt;

    cleanup_addr_canon(rcpt, canon);
    if (state->dsn_orcpt)
        buf_set_str(orcpt, state->dsn_orcpt);
    else
        buf_printf(orcpt, "rfc822;%s", buf_str(canon));
    buf_printf(key, "%s", orig);
    buf_append(key, "", 1);
    buf_append(key, buf_str(canon), buf_len(canon) + 1);
    buf_append(key, buf_str(orcpt), buf_len(orcpt) + 1);
    buf_append_printf(key, "%d", state->dsn_notify);
    if (!cleanup_dup_seen(state->dup, buf_str(key), buf_len(key))) {
        cleanup_warn_record(state);
        if (state->dsn_notify)
            cleanup_out_format(state, REC_TYPE_ATTR, "%s=%d",
                               REC_ATTR_DSN_NOTIFY, state->dsn_notify);
        cleanup_out_format(state, REC_TYPE_ATTR, "%s=%s", REC_ATTR_DSN_ORCPT,
                           buf_str(orcpt));
        if (cleanup_config.enable_original_recipient)
            cleanup_out_str(state, REC_TYPE_ORCP, orig);
        cleanup_out(state, REC_TYPE_RCPT, buf_str(canon), buf_len(canon));
        state->notify_bits |= state->dsn_notify;
        state->rcpt_count++;
        state->rcpt_in_segment = 1;
    }
    cleanup_pending_reset(state);
    buf_free(canon);
    buf_free(orcpt);
    buf_free(key);
}

/* "seconds microseconds" (a lone seconds field is accepted too). */
static int cleanup_parse_time(const char *text, long *sec, long *usec)
{
    struct tm tm;
    time_t when;
    char *end;

    errno = 0;
    *sec = strtol(text, &end, 10);
    if (end == text || errno == ERANGE || *sec < 0)
        return -1;
    *usec = 0;
    if (*end == ' ') {
        const char *cp = end + 1;

        *usec = strtol(cp, &end, 10);
        if (end == cp || errno == ERANGE || *usec < 0 || *usec > 999999)
            return -1;
    }
    if (*end != 0)
        return -1;

    /*
     * A time the Date: header cannot show (mail_date() would panic) or
     * that overflows when the delay warning time is added is no time.
     */
    when = (time_t)*sec;
    if (*sec > LONG_MAX / 2 || localtime_r(&when, &tm) == NULL)
        return -1;
    return 0;
}

static void cleanup_envelope_end(struct cleanup_state *state)
{
    if (!state->have_time) {
        cleanup_reject(state, CLEANUP_STAT_BAD, "missing time envelope record");
        return;
    }
    if (!state->have_sender) {
        cleanup_reject(state, CLEANUP_STAT_BAD,
                       "missing sender envelope record");
        return;
    }
    cleanup_warn_record(state);
    cleanup_pending_reset(state);
    cleanup_out_pointer(state);
    cleanup_out(state, REC_TYPE_MESG, "", 0);
    state->data_offset = state->file_size;
    state->segment = CLEANUP_SEG_CONTENT;
    state->rcpt_in_segment = 0;
}

/*
 * What the envelope and the extracted segment do alike with an A record:
 * refuse a malformed one, keep a recipient's DSN attributes for its R,
 * drop a client's create_time (cleanup writes its own). Returns the '='
 * of an attribute the caller still has to handle, or NULL when done.
 */
const char *cleanup_attr_common(struct cleanup_state *state, const char *data,
                                size_t len)
{
    const char *eq = memchr(data, '=', len);

    if (eq == NULL || eq == data || memchr(data, 0, (size_t)(eq - data))) {
        cleanup_reject(state, CLEANUP_STAT_BAD,
                       "malformed attribute: missing '=' after attribute "
                       "name: %.100s",
                       data);
        return NULL;
    }
    if (cleanup_rcpt_attr(state, REC_TYPE_ATTR, data, len))
        return NULL;
    if ((size_t)(eq - data) == strlen(REC_ATTR_CTIME) &&
        memcmp(data, REC_ATTR_CTIME, (size_t)(eq - data)) == 0)
        return NULL;
    return eq;
}

static void cleanup_envelope_attr(struct cleanup_state *state, const char *data,
                                  size_t len)
{
    const char *eq = cleanup_attr_common(state, data, len);

    if (eq == NULL)
        return;
    if ((size_t)(eq - data) == strlen("rewrite_context") &&
        memcmp(data, "rewrite_context", (size_t)(eq - data)) == 0)
        state->remote = strcmp(eq + 1, "remote") == 0;
    cleanup_segment_other(state);
    cleanup_out(state, REC_TYPE_ATTR, data, len);
}

void cleanup_envelope(struct cleanup_state *state, int type, const char *data,
                      size_t len)
{
    switch (type) {
    case REC_TYPE_TIME:
        if (!state->have_time &&
            cleanup_parse_time(data, &state->arrival_sec,
                               &state->arrival_usec) == 0) {
            state->have_time = 1;
            cleanup_segment_other(state);
            cleanup_out_format(state, REC_TYPE_TIME, REC_TYPE_TIME_FORMAT,
                               state->arrival_sec, state->arrival_usec);
            cleanup_out_format(state, REC_TYPE_ATTR, "%s=%ld", REC_ATTR_CTIME,
                               (long)state->create_time);
        }
        break;
    case REC_TYPE_FROM:
        if (state->have_sender) {
            cleanup_reject(state, CLEANUP_STAT_BAD,
                           "multiple envelope sender records");
            break;
        }
        state->have_sender = 1;
        cleanup_addr_canon(data, state->scratch);
        state->sender = mem_strdup(buf_str(state->scratch));
        cleanup_segment_other(state);
        cleanup_out_str(state, REC_TYPE_FROM, state->sender);
        break;
    case REC_TYPE_FULL:
        if (state->fullname == NULL)
            state->fullname = mem_strdup(data);
        cleanup_segment_other(state);
        cleanup_out(state, REC_TYPE_FULL, data, len);
        break;
    case REC_TYPE_RCPT:
        cleanup_recipient(state, data);
        break;
    case REC_TYPE_ORCP:
    case REC_TYPE_DSN_ORCPT:
    case REC_TYPE_DSN_NOTIFY:
        cleanup_rcpt_attr(state, type, data, len);
        break;
    case REC_TYPE_DONE:
    case REC_TYPE_DRCP:
        cleanup_pending_reset(state);
        break;
    case REC_TYPE_DSN_ENVID:
        cleanup_segment_other(state);
        cleanup_out_format(state, REC_TYPE_ATTR, "%s=%s", REC_ATTR_DSN_ENVID,
                           data);
        break;
    case REC_TYPE_DSN_RET:
        cleanup_segment_other(state);
        cleanup_out_format(state, REC_TYPE_ATTR, "%s=%s", REC_ATTR_DSN_RET,
                           data);
        break;
    case REC_TYPE_ATTR:
        cleanup_envelope_attr(state, data, len);
        break;
    case REC_TYPE_VERP:
    case REC_TYPE_RDR:
    case REC_TYPE_INSP:
    case REC_TYPE_FILT:
        cleanup_segment_other(state);
        cleanup_out(state, type, data, len);
        break;
    case REC_TYPE_FLGS: {
        long flags = strtol(data, NULL, 10);

        if (flags > 0)
            state->flags |= (int)(flags & CLEANUP_FLAG_MASK_ALL);
        break;
    }
    case REC_TYPE_SIZE:
    case REC_TYPE_CTIME:
    case REC_TYPE_WARN:
    case REC_TYPE_KILL:
    case REC_TYPE_DELAY:
    case REC_TYPE_MILT_COUNT:
        break;
    case REC_TYPE_MESG:
        cleanup_envelope_end(state);
        break;
    default:
        cleanup_reject(state, CLEANUP_STAT_BAD,
                       "unexpected record type %d in envelope", type);
        break;
    }
}
