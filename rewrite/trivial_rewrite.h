#ifndef POSTERN_TRIVIAL_REWRITE_H
#define POSTERN_TRIVIAL_REWRITE_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "addr_token.h"
#include "buf.h"
#include "conf.h"
#include "dict.h"

/*
 * trivial-rewrite's modules: the configuration (tr_config.c), domain
 * lists, host names and local addresses (tr_domain.c), lookup tables
 * (tr_maps.c), the rewrite rules (tr_rewrite.c) and the resolver
 * (tr_resolve.c). The daemon (trivial_rewrite.c) only speaks the
 * protocol; the unit tests link these modules without it.
 */

/* A list of lookup tables, searched in order ("transport_maps"). */
struct tr_maps {
    const char *param;  /* parameter name, for diagnostics */
    struct dict **dict; /* NULL entry: a table that could not be opened */
    char **spec;        /* "type:name" of each */
    size_t count;
};

/* One element of a domain list. */
struct tr_domain_pat {
    int negate;        /* "!pattern" */
    char *name;        /* lowercased; ".x" matches subdomains only */
    struct dict *dict; /* type:table (name is the spec), NULL otherwise */
    int dict_failed;   /* the table could not be opened */
};

/* A domain list (relay_domains), or a string list (mydestination, ...). */
struct tr_domain_list {
    const char *param;
    int exact;        /* a string list: whole names only */
    int parent_match; /* listed in parent_domain_matches_subdomains */
    struct tr_domain_pat *pat;
    size_t count;
};

/* Local interface addresses (inet_interfaces, proxy_interfaces). */
struct tr_addr {
    int family;
    union {
        struct in_addr v4;
        struct in6_addr v6;
    } a;
};

struct tr_addr_list {
    struct tr_addr *v;
    size_t count;
    size_t size;
};

/* The routing parameters that "verify" requests replace. */
struct tr_route {
    char *local_transport;
    char *virtual_transport;
    char *relay_transport;
    char *default_transport;
    char *relayhost;
    struct tr_maps transport_maps;
    struct tr_maps sender_relayhost_maps;
    struct tr_maps sender_transport_maps;
    /* transport_maps' "*" entry, looked up once at start-up. */
    char *wildcard;
    int wildcard_error;
};

struct tr_config {
    /* Rewriting. */
    char *myhostname;
    char *mydomain;
    char *myorigin;
    char *remote_domain; /* remote_header_rewrite_domain */
    int append_at_myorigin;
    int append_dot_mydomain;
    int swap_bangpath;
    int allow_percent_hack;
    /* Resolving. */
    int resolve_dequoted;
    int resolve_null_domain;
    int resolve_numeric_domain;
    int show_unknown_table;
    int helpful_warnings;
    int transport_parent_match; /* transport_maps in parent_domain_... */
    char *empty_address_recipient;
    char *recipient_delimiter;
    char *null_relay_key;     /* empty_address_relayhost_maps_lookup_key */
    char *null_transport_key; /* empty_address_default_transport_maps_... */
    struct tr_domain_list mydestination;
    struct tr_domain_list virtual_alias_domains;
    struct tr_domain_list virtual_mailbox_domains;
    struct tr_domain_list relay_domains;
    struct tr_addr_list interfaces; /* inet_interfaces + proxy_interfaces */
    struct tr_maps relocated_maps;
    struct tr_route resolve;
    struct tr_route verify;
};

/* tr_config.c */
void tr_config_load(struct conf *conf, struct tr_config *cfg);
void tr_config_free(struct tr_config *cfg);
int tr_config_changed(struct tr_config *cfg, const char **which);

/* tr_domain.c */
char **tr_split_list(const char *param, const char *value);
void tr_domain_list_init(struct tr_domain_list *list, const char *param,
                         const char *value, const char *parent_params,
                         int exact);
void tr_domain_list_free(struct tr_domain_list *list);
int tr_domain_list_match(struct tr_domain_list *list, const char *domain);
int tr_domain_list_changed(struct tr_domain_list *list, const char **which);
int tr_valid_hostname(const char *name);
int tr_valid_literal(const char *literal);
int tr_valid_ipv4(const char *text);
int tr_parse_addr(const char *text, struct tr_addr *addr);
void tr_addr_list_add(struct tr_addr_list *list, const struct tr_addr *addr);
void tr_addr_list_free(struct tr_addr_list *list);
void tr_interfaces_load(struct tr_addr_list *list, const char *param,
                        const char *value);
int tr_resolve_local(struct tr_config *cfg, const char *domain);

/* tr_maps.c */
void tr_maps_init(struct tr_maps *maps, const char *param, const char *value);
void tr_maps_free(struct tr_maps *maps);
const char *tr_maps_lookup(struct tr_maps *maps, const char *key, int *error);
int tr_maps_changed(struct tr_maps *maps, const char **which);
const char *tr_maps_find_addr(struct tr_config *cfg, struct tr_maps *maps,
                              const char *address, int *error);
const char *tr_transport_lookup(struct tr_config *cfg, struct tr_route *route,
                                const char *recipient, int *error);

/* tr_rewrite.c */
#define TR_CONTEXT_LOCAL  0
#define TR_CONTEXT_REMOTE 1
int tr_context_code(const char *name);
void tr_rewrite_tokens(const struct tr_config *cfg, int context,
                       struct addr_toks *toks);
int tr_rewrite(const struct tr_config *cfg, const char *context,
               const char *address, struct buf *out);

/* tr_resolve.c */
struct tr_reply {
    struct buf *transport;
    struct buf *nexthop;
    struct buf *recipient;
    int flags;
};

void tr_reply_init(struct tr_reply *reply);
void tr_reply_free(struct tr_reply *reply);
void tr_resolve(struct tr_config *cfg, int verify, const char *sender,
                const char *address, struct tr_reply *reply);

#endif
