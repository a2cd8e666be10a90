#ifndef POSTERN_DSN_SPLIT_H
#define POSTERN_DSN_SPLIT_H

#include <stddef.h>

#include "buf.h"

/*
 * RFC 3463 status codes at the start of a text ("5.1.1 no such user"):
 * see dsn_split.c.
 */
size_t dsn_valid(const char *text);
const char *dsn_split(const char *text, const char *def, struct buf *status);

#endif
