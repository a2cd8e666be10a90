/*
 * cleanup_extracted - the extracted segment: from X to E
 *
 * After the content a client may send more envelope information: the
 * recipients that "sendmail -t" took from the message headers (Postfix
 * 3.7's sendmail does that extraction itself and sends them here as R
 * records; cleanup removes the Bcc: headers, see cleanup_message.c),
 * return-receipt and errors-to addresses, named attributes.
 *
 *	R, O, o, n, A dsn_orig_rcpt=, A notify_flags=
 *		recipients, exactly as in the envelope (cleanup_envelope.c):
 *		canonicalised, duplicates dropped, written with their DSN
 *		attributes and original recipient; they count in the size
 *		record.
 *	A	name=value written as it is (A create_time= is dropped);
 *		malformed is an error.
 *	P r e F I L > V	written as they are.
 *	i, <	written as A envelope_id=, A ret_flags=.
 *	D / K	dropped.
 *	E	written; the message is complete.
 * Any other record is an error ("unexpected record type N in extracted
 * segment", CLEANUP_STAT_BAD).
 *
 * Public function: cleanup_extracted() (cleanup.h).
 *
 * Diagnostics: the rejection warning above. Configuration parameters:
 * none of its own.
 */
#include <string.h>

#include "cleanup.h"
#include "cleanup_user.h"
#include "record.h"

void cleanup_extracted(struct cleanup_state *state, int type, const char *data,
                       size_t len)
{
    switch (type) {
    case REC_TYPE_RCPT:
        cleanup_recipient(state, data);
        break;
    case REC_TYPE_ORCP:
    case REC_TYPE_DSN_ORCPT:
    case REC_TYPE_DSN_NOTIFY:
        cleanup_rcpt_attr(state, type, data, len);
        break;
    case REC_TYPE_ATTR:
        if (cleanup_attr_common(state, data, len) == NULL)
            break;
        cleanup_segment_other(state);
        cleanup_out(state, type, data, len);
        break;
    case REC_TYPE_PRIO:
    case REC_TYPE_RRTO:
    case REC_TYPE_ERTO:
    case REC_TYPE_FULL:
    case REC_TYPE_INSP:
    case REC_TYPE_FILT:
    case REC_TYPE_RDR:
    case REC_TYPE_VERP:
        cleanup_segment_other(state);
        cleanup_out(state, type, data, len);
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
    case REC_TYPE_DONE:
    case REC_TYPE_DRCP:
    case REC_TYPE_KILL:
        break;
    case REC_TYPE_END:
        cleanup_out(state, REC_TYPE_END, "", 0);
        state->segment = CLEANUP_SEG_DONE;
        break;
    default:
        cleanup_reject(state, CLEANUP_STAT_BAD,
                       "unexpected record type %d in extracted segment", type);
        break;
    }
}
