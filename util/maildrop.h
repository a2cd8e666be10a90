#ifndef POSTERN_MAILDROP_H
#define POSTERN_MAILDROP_H

#include <stddef.h>

#include "buf.h"

/*
 * maildrop - what a local user may submit (postdrop writes maildrop
 * files, pickup reads them); see maildrop.c.
 *
 * THE POSTDROP PROTOCOL (Postfix 3.7, observed between its sendmail and
 * postdrop): the client (sendmail) runs "$command_directory/postdrop -r"
 * with a socket (or pipe) on postdrop's standard input and output.
 *	postdrop -> client	one attribute list (attr.h):
 *				protocol=postdrop_protocol, queue_id=<ID>
 *	client -> postdrop	queue file records (rec_type.h): envelope,
 *				M, content, X, extracted, E. The client
 *				keeps its end open after E: postdrop must
 *				not wait for end of input.
 *	postdrop -> client	one attribute list: status=<cleanup status
 *				bits>, reason=<text, may be empty>
 * An empty reason means "use the text of the status bits" (cleanup_user.h).
 *
 * A MAILDROP FILE is what postdrop wrote: a T record (arrival time),
 * then the client's records as they came, minus attributes a user may
 * not set. Mode 0600 (Postfix: 0644) while written, 0744 when complete
 * (only the owner bits mean "complete"); its owner is the submitting
 * user.
 */
#define MAILDROP_PROTOCOL        "postdrop_protocol"
#define MAILDROP_FILE_MODE_TEMP  0600
#define MAILDROP_FILE_MODE_READY 0744

/* Where a reader is in a submission. */
enum maildrop_segment {
    MAILDROP_SEG_ENVELOPE,
    MAILDROP_SEG_CONTENT,
    MAILDROP_SEG_EXTRACTED,
    MAILDROP_SEG_DONE, /* E was seen */
};

struct maildrop_check {
    enum maildrop_segment segment;
    int flags;     /* MAILDROP_CHECK_* */
    int seen_time; /* a T record went by */
    int seen_from; /* an S record went by */
};

#define MAILDROP_CHECK_CLIENT 0 /* records from the submitting client */
#define MAILDROP_CHECK_FILE   1 /* records of a maildrop file: also T */

/* What to do with one record. */
#define MAILDROP_REC_KEEP 0  /* pass it on */
#define MAILDROP_REC_DROP 1  /* leave it out, with a warning (reason) */
#define MAILDROP_REC_BAD  -1 /* the submission is malformed (reason) */

void maildrop_check_init(struct maildrop_check *check, int flags);
int maildrop_check_record(struct maildrop_check *check, int type,
                          const char *data, size_t len, struct buf *reason);
int maildrop_attr_allowed(const char *name, size_t len);

#endif
