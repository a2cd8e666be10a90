/*
 * maildrop - the records a local user may submit through postdrop
 *
 * postdrop (setgid, fed by any local user) and pickup (which hands the
 * maildrop files to cleanup) apply the same rules, so they live here
 * once. The protocol and the file format are described in maildrop.h.
 *
 * Record letters a user may send, per segment (rec_type.h
 * REC_TYPE_POST_*, checked against Postfix 3.7's postdrop, which rejects
 * every other letter):
 *	envelope	F S R V A i n, ended by M
 *	content		L N, ended by X
 *	extracted	A R, ended by E
 * A maildrop file also starts with the T record postdrop writes.
 *
 * Attribute ('A') records: only these names pass (the ones Postfix 3.7's
 * postdrop keeps; it drops every other name with a warning, and so do
 * we): rewrite_context, trace_flags, notify_flags, envelope_id,
 * ret_flags, encoding, dsn_orig_rcpt, create_time (cleanup ignores a
 * client's create_time). Names such as log_client_name, which would let
 * a user forge where a message came from, are dropped.
 *
 * Public functions:
 *	maildrop_check_init(check, flags)
 *		start checking one submission; flags MAILDROP_CHECK_CLIENT
 *		(what a client sends postdrop) or MAILDROP_CHECK_FILE (a
 *		maildrop file, which may also carry one T record in the
 *		envelope)
 *	maildrop_check_record(check, type, data, len, reason)
 *		the verdict on the next record: MAILDROP_REC_KEEP,
 *		MAILDROP_REC_DROP (an attribute a user may not set, or a
 *		malformed one: leave it out and warn with reason) or
 *		MAILDROP_REC_BAD (the submission is malformed; reason says
 *		why). Follows the segments: M, X and E move on; E ends the
 *		submission, after which every record is BAD.
 *	maildrop_attr_allowed(name, len)
 *		1 when a user may set the attribute name
 *
 * Choices where Postfix's behaviour was not known or was laxer: a
 * second S record, an envelope without S, and a second T record in a
 * file are malformed (cleanup would reject such a message anyway); the
 * reason texts are ours.
 *
 * Diagnostics: none logged (callers log the reason). Configuration
 * parameters: none.
 */
#include <string.h>

#include "maildrop.h"
#include "rec_type.h"

static const char *const maildrop_attr_names[] = {
    "rewrite_context", "trace_flags", "notify_flags",  "envelope_id",
    "ret_flags",       "encoding",    "dsn_orig_rcpt", "create_time",
};

static const char *maildrop_segment_name(enum maildrop_segment segment)
{
    switch (segment) {
    case MAILDROP_SEG_ENVELOPE:
        return "envelope";
    case MAILDROP_SEG_CONTENT:
        return "message content";
    case MAILDROP_SEG_EXTRACTED:
        return "extracted";
    default:
        return "end";
    }
}

void maildrop_check_init(struct maildrop_check *check, int flags)
{
    memset(check, 0, sizeof(*check));
    check->segment = MAILDROP_SEG_ENVELOPE;
    check->flags = flags;
}

int maildrop_attr_allowed(const char *name, size_t len)
{
    for (size_t i = 0;
         i < sizeof(maildrop_attr_names) / sizeof(maildrop_attr_names[0]); i++)
        if (strlen(maildrop_attr_names[i]) == len &&
            memcmp(maildrop_attr_names[i], name, len) == 0)
            return 1;
    return 0;
}

/* An attribute record: keep the allowed names, drop the rest. */
static int maildrop_check_attr(const char *data, size_t len, struct buf *reason)
{
    const char *sep = memchr(data, '=', len);

    if (sep == NULL || sep == data || memchr(data, 0, len) != NULL) {
        buf_set_str(reason, "ignoring malformed attribute record: ");
        buf_append(reason, data, len > 100 ? 100 : len);
        return MAILDROP_REC_DROP;
    }
    if (!maildrop_attr_allowed(data, (size_t)(sep - data))) {
        buf_set_str(reason, "ignoring attribute record: ");
        buf_append(reason, data, len > 100 ? 100 : len);
        return MAILDROP_REC_DROP;
    }
    return MAILDROP_REC_KEEP;
}

static int maildrop_bad_type(struct maildrop_check *check, int type,
                             struct buf *reason)
{
    if (type >= 0x21 && type < 0x7f)
        buf_printf(reason, "unexpected record type %d (%c) in the %s segment",
                   type, type, maildrop_segment_name(check->segment));
    else
        buf_printf(reason, "unexpected record type %d in the %s segment", type,
                   maildrop_segment_name(check->segment));
    return MAILDROP_REC_BAD;
}

int maildrop_check_record(struct maildrop_check *check, int type,
                          const char *data, size_t len, struct buf *reason)
{
    buf_reset(reason);
    switch (check->segment) {
    case MAILDROP_SEG_ENVELOPE:
        switch (type) {
        case REC_TYPE_TIME:
            if (!(check->flags & MAILDROP_CHECK_FILE))
                return maildrop_bad_type(check, type, reason);
            if (check->seen_time) {
                buf_set_str(reason, "more than one arrival time record");
                return MAILDROP_REC_BAD;
            }
            check->seen_time = 1;
            return MAILDROP_REC_KEEP;
        case REC_TYPE_FROM:
            if (check->seen_from) {
                buf_set_str(reason, "more than one sender record");
                return MAILDROP_REC_BAD;
            }
            check->seen_from = 1;
            return MAILDROP_REC_KEEP;
        case REC_TYPE_FULL:
        case REC_TYPE_RCPT:
        case REC_TYPE_VERP:
        case REC_TYPE_DSN_ENVID:
        case REC_TYPE_DSN_NOTIFY:
            return MAILDROP_REC_KEEP;
        case REC_TYPE_ATTR:
            return maildrop_check_attr(data, len, reason);
        case REC_TYPE_MESG:
            if (!check->seen_from) {
                buf_set_str(reason, "no sender record before the content");
                return MAILDROP_REC_BAD;
            }
            check->segment = MAILDROP_SEG_CONTENT;
            return MAILDROP_REC_KEEP;
        default:
            return maildrop_bad_type(check, type, reason);
        }
    case MAILDROP_SEG_CONTENT:
        switch (type) {
        case REC_TYPE_NORM:
        case REC_TYPE_CONT:
            return MAILDROP_REC_KEEP;
        case REC_TYPE_XTRA:
            check->segment = MAILDROP_SEG_EXTRACTED;
            return MAILDROP_REC_KEEP;
        default:
            return maildrop_bad_type(check, type, reason);
        }
    case MAILDROP_SEG_EXTRACTED:
        switch (type) {
        case REC_TYPE_RCPT:
            return MAILDROP_REC_KEEP;
        case REC_TYPE_ATTR:
            return maildrop_check_attr(data, len, reason);
        case REC_TYPE_END:
            check->segment = MAILDROP_SEG_DONE;
            return MAILDROP_REC_KEEP;
        default:
            return maildrop_bad_type(check, type, reason);
        }
    default:
        buf_set_str(reason, "records after the end record");
        return MAILDROP_REC_BAD;
    }
}
