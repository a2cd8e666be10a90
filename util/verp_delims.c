/*
 * verp_delims - are these VERP delimiters acceptable?
 *
 * VERP (variable envelope return paths) needs two delimiter characters,
 * e.g. "+=": a bounce for recipient user@example.net of list@origin goes
 * to list+user=example.net@origin. Clients choose them (sendmail -V,
 * SMTP XVERP, QMQP's "-@[]" convention, which implies "-="), and only
 * characters in verp_delimiter_filter (default "-=+") are accepted, so
 * that no client can put an arbitrary character into an address.
 *
 * Public functions:
 *	verp_sender(out, delims, sender, rcpt)	the sender of one delivery
 *			of a VERP message (the queue managers):
 *			"prefix@origin" + "user@domain" with "+=" gives
 *			"prefix+user=domain@origin"; the null sender stays
 *			null.
 *	verp_delims_verify(delims, filter, why)	0 when delims is exactly
 *			two characters, both in filter; otherwise -1 and why
 *			(may be NULL) says 'Invalid VERP delimiters: "X".
 *			Need two characters from "FILTER"' (the text Postfix
 *			3.7's qmqpd answers with).
 *
 * Daemons also check default_verp_delimiters with it at start-up: Postfix
 * 3.7's refuse to start when it does not pass verp_delimiter_filter.
 *
 * Diagnostics: none. Configuration parameters: none (callers pass
 * verp_delimiter_filter).
 */
#include <string.h>

#include "verp_delims.h"

int verp_delims_verify(const char *delims, const char *filter, struct buf *why)
{
    if (strlen(delims) == 2 && strchr(filter, delims[0]) != NULL &&
        strchr(filter, delims[1]) != NULL)
        return 0;
    if (why != NULL)
        buf_printf(why,
                   "Invalid VERP delimiters: \"%.20s\". Need two characters "
                   "from \"%.100s\"",
                   delims, filter);
    return -1;
}

/*
 * The sender of one delivery of a VERP message: "prefix@origin" with
 * delimiters "+=" for recipient "user@domain" becomes
 * "prefix+user=domain@origin" (a sender without '@' gets the suffix at
 * its end; a recipient without '@' only "+user"). The null sender stays
 * null: bounces are not VERPed.
 */
void verp_sender(struct buf *out, const char *delims, const char *sender,
                 const char *rcpt)
{
    const char *sat = strrchr(sender, '@');
    const char *rat = strrchr(rcpt, '@');
    size_t slen = sat ? (size_t)(sat - sender) : strlen(sender);

    buf_reset(out);
    if (*sender == 0 || delims == NULL || strlen(delims) < 2) {
        buf_append_str(out, sender);
        return;
    }
    buf_append(out, sender, slen);
    buf_append_char(out, delims[0]);
    if (rat) {
        buf_append(out, rcpt, (size_t)(rat - rcpt));
        buf_append_char(out, delims[1]);
        buf_append_str(out, rat + 1);
    } else {
        buf_append_str(out, rcpt);
    }
    if (sat)
        buf_append_str(out, sat);
}
