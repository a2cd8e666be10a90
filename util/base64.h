#ifndef POSTERN_BASE64_H
#define POSTERN_BASE64_H

#include <stddef.h>

#include "buf.h"

/*
 * Standard base64 (RFC 4648 section 4: alphabet A-Z a-z 0-9 + /, '='
 * padding to a multiple of four characters). Used for binary DATA
 * attributes of the internal protocols.
 */

/* Characters base64_encode() appends for len input bytes. */
#define BASE64_ENCODED_LEN(len) ((((len) + 2) / 3) * 4)

void base64_encode(struct buf *out, const void *data, size_t len);
int base64_decode(struct buf *out, const char *text, size_t len);

#endif
