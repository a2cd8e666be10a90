#ifndef POSTERN_QUOTE_ADDR_H
#define POSTERN_QUOTE_ADDR_H

#include "buf.h"

/*
 * An address in the "external" form that log lines show (Postfix's
 * info_log_address_format = external): see quote_addr.c.
 */
void quote_addr_append(struct buf *out, const char *addr);
int quote_addr_needed(const char *local, size_t len);

#endif
