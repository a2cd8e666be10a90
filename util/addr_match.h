#ifndef POSTERN_ADDR_MATCH_H
#define POSTERN_ADDR_MATCH_H

#include "conf.h"

/*
 * A client match list: host names, domains, addresses, networks, files
 * of patterns and lookup tables, with "!" negation and first match wins
 * (qmqpd_authorized_clients, debug_peer_list, mynetworks, ...). See
 * addr_match.c for the pattern syntax.
 */

/* addr_match() results. */
#define ADDR_MATCH_NO    0
#define ADDR_MATCH_YES   1
#define ADDR_MATCH_ERROR (-1) /* a table failed or a pattern is malformed */

/* Flags for addr_match_list_create(). */
#define ADDR_MATCH_FLAG_PARENT 1 /* "domain.tld" also matches subdomains */

/* Most nested /file/name inclusions. */
#define ADDR_MATCH_FILE_DEPTH 10

struct addr_match_list;

struct addr_match_list *addr_match_list_create(const char *title,
                                               const char *patterns, int flags);
struct addr_match_list *addr_match_list_param(struct conf *conf,
                                              const char *name);
int addr_match(struct addr_match_list *list, const char *name,
               const char *addr);
const char *addr_match_list_changed(struct addr_match_list *list);
int addr_match_list_empty(const struct addr_match_list *list);
void addr_match_list_free(struct addr_match_list *list);

#endif
