#ifndef POSTERN_VERP_DELIMS_H
#define POSTERN_VERP_DELIMS_H

#include "buf.h"

/* Check a pair of VERP delimiters; see verp_delims.c. */
int verp_delims_verify(const char *delims, const char *filter, struct buf *why);
void verp_sender(struct buf *out, const char *delims, const char *sender,
                 const char *rcpt);

#endif
