/*
 * tr_domain - domain lists, host name syntax, local addresses
 *
 * Domain lists (relay_domains) are lists of patterns, tried in order:
 *	name		the domain itself; with the list's parameter named in
 *			parent_domain_matches_subdomains also its subdomains
 *	.name		subdomains of name, only when the list's parameter is
 *			not in parent_domain_matches_subdomains (as Postfix
 *			3.7: otherwise the pattern matches nothing)
 *	type:table	the domain is looked up (lowercase), then its parent
 *			domains: "example.com" for "sub.example.com" when the
 *			list matches subdomains by parent name, ".example.com"
 *			otherwise; any value found is a match
 *	/file/name	the patterns in the file (white space or comma
 *			separated, "#" starts a comment line), read at
 *			start-up
 *	!pattern	a match of pattern means "no match"; stop
 * Case does not matter. String lists (mydestination,
 * virtual_alias_domains, virtual_mailbox_domains: as Postfix 3.7 matches
 * them, observed) take the same patterns but match whole names only: no
 * subdomains, ".name" matches nothing, tables are asked for the domain
 * itself. A table that cannot be read makes the match fail
 * with a lookup error, so that the resolver answers "try again"
 * (RESOLVE_FLAG_FAIL) instead of guessing.
 *
 * Host name syntax (as Postfix 3.7's resolver accepts it, observed):
 * labels of letters, digits, "-" and "_" (and UTF-8), 1..63 bytes, not
 * starting or ending with "-"; at most 255 bytes in all; not all digits
 * and dots. A domain literal is [IPv4] (four decimal numbers <= 255,
 * leading zeros allowed) or [IPv6:address] (prefix in any case).
 *
 * Local addresses: inet_interfaces ("all": every address of every
 * interface; "loopback-only": 127.0.0.1 and ::1; otherwise addresses or
 * host names) plus proxy_interfaces. A recipient domain is local
 * (tr_resolve_local) when mydestination matches it, or when it is a
 * domain literal (or, with resolve_numeric_domain, a bare IPv4 address)
 * of a local address.
 *
 * Public functions:
 *	tr_split_list(param, value)	the elements of a list parameter
 *	tr_domain_list_init(list, param, value, parent_params, exact)
 *				exact: a string list
 *	tr_domain_list_free(list)
 *	tr_domain_list_match(list, domain)	1 match, 0 none, -1 lookup error
 *	tr_domain_list_changed(list, &which)	a table changed on disk
 *	tr_valid_hostname(name), tr_valid_literal("[...]"), tr_valid_ipv4(s)
 *	tr_parse_addr(text, &addr)	IPv4 or IPv6 text -> address; 0 or -1
 *	tr_addr_list_add(list, addr), tr_addr_list_free(list)
 *	tr_interfaces_load(list, param, value)	add the addresses a list
 *				of interfaces names (fatal on a bad one)
 *	tr_resolve_local(cfg, domain)	1 local, 0 not, -1 lookup error
 *
 * Diagnostics: warnings "PARAM: TABLE: table lookup problem" and
 * "TABLE is unavailable. REASON"; fatal for an unreadable /file, an
 * interface name that does not resolve, or a list with unbalanced
 * braces.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "trivial_rewrite.h"

#define TR_HOSTNAME_MAX 255
#define TR_LABEL_MAX    63

/* --- domain lists --- */

/* A list parameter's elements (free with conf_argv_free); fatal if bad. */
char **tr_split_list(const char *param, const char *value)
{
    char **items = conf_split_list_argv(value);

    if (items == NULL)
        msg_fatal("parameter %s: unbalanced braces in \"%.100s\"", param,
                  value);
    return items;
}

static void tr_domain_list_add(struct tr_domain_list *list, const char *item,
                               int depth);

static void tr_domain_list_file(struct tr_domain_list *list, const char *path,
                                int negate, int depth)
{
    struct buf *data = buf_alloc(1024);
    struct buf *err = buf_alloc(100);
    struct conf_list items;
    char *line;
    char *next;

    if (negate)
        msg_fatal("%s: negation of a file is not supported: !%s", list->param,
                  path);
    if (depth > 10)
        msg_fatal("%s: files nested too deep: %s", list->param, path);
    if (conf_load_file(path, data, err) < 0)
        msg_fatal("%s: %s", list->param, buf_str(err));
    conf_list_init(&items);
    for (line = buf_str(data); line; line = next) {
        if ((next = strchr(line, '\n')) != NULL)
            *next++ = 0;
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '#')
            continue;
        if (conf_split_list(line, &items, err) < 0)
            msg_fatal("%s: %s: %s", list->param, path, buf_str(err));
    }
    for (size_t i = 0; i < items.count; i++)
        tr_domain_list_add(list, items.items[i], depth + 1);
    conf_list_free(&items);
    buf_free(data);
    buf_free(err);
}

static void tr_domain_list_add(struct tr_domain_list *list, const char *item,
                               int depth)
{
    struct tr_domain_pat *pat;
    struct buf *err;
    int negate = 0;

    while (*item == '!') {
        negate = !negate;
        item++;
    }
    if (*item == 0)
        return;
    if (*item == '/') {
        tr_domain_list_file(list, item, negate, depth);
        return;
    }
    list->pat = mem_realloc(list->pat, (list->count + 1) * sizeof(*pat));
    pat = list->pat + list->count++;
    pat->negate = negate;
    pat->dict = NULL;
    pat->dict_failed = 0;
    if (strchr(item, ':') != NULL) {
        pat->name = mem_strdup(item);
        err = buf_alloc(100);
        if ((pat->dict = dict_open(item, DICT_FLAG_FOLD_CASE, err)) == NULL) {
            msg_warn("%s is unavailable. %s", item, buf_str(err));
            pat->dict_failed = 1;
        }
        buf_free(err);
    } else {
        struct buf *lower = buf_alloc(64);

        buf_set_str(lower, item);
        buf_lower(lower);
        pat->name = buf_export(lower);
    }
}

/* Is param named in parent_domain_matches_subdomains? */
static int tr_param_listed(const char *param, const char *parent_params)
{
    char **names = tr_split_list("parent_domain_matches_subdomains",
                                 parent_params ? parent_params : "");
    int found = 0;

    for (char **np = names; *np; np++)
        if (strcmp(*np, param) == 0)
            found = 1;
    conf_argv_free(names);
    return found;
}

void tr_domain_list_init(struct tr_domain_list *list, const char *param,
                         const char *value, const char *parent_params,
                         int exact)
{
    char **items = tr_split_list(param, value);

    list->param = param;
    list->exact = exact;
    list->parent_match = !exact && tr_param_listed(param, parent_params);
    list->pat = NULL;
    list->count = 0;
    for (char **ip = items; *ip; ip++)
        tr_domain_list_add(list, *ip, 0);
    conf_argv_free(items);
}

void tr_domain_list_free(struct tr_domain_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        if (list->pat[i].dict)
            dict_close(list->pat[i].dict);
        mem_free(list->pat[i].name);
    }
    mem_free(list->pat);
    list->pat = NULL;
    list->count = 0;
}

/* Look domain and its parents up in a table; 1, 0, or -1 on error. */
static int tr_domain_table_match(const struct tr_domain_list *list,
                                 struct tr_domain_pat *pat, const char *domain)
{
    struct buf *key;
    const char *dot;
    int found = 0;

    if (pat->dict_failed) {
        msg_warn("%s: %s: table lookup problem", list->param, pat->name);
        return -1;
    }
    if (dict_lookup(pat->dict, domain) != NULL)
        return 1;
    if (dict_error(pat->dict) != DICT_ERR_NONE)
        goto error;
    if (domain[0] == '[' || list->exact)
        return 0;
    key = buf_alloc(64);
    for (dot = strchr(domain, '.'); dot && !found; dot = strchr(dot + 1, '.')) {
        buf_set_str(key, list->parent_match ? dot + 1 : dot);
        if (buf_len(key) == 0 || buf_equal_str(key, "."))
            continue;
        if (dict_lookup(pat->dict, buf_str(key)) != NULL)
            found = 1;
        else if (dict_error(pat->dict) != DICT_ERR_NONE)
            found = -1;
    }
    buf_free(key);
    if (found >= 0)
        return found;
error:
    msg_warn("%s: %s: table lookup problem", list->param, pat->name);
    return -1;
}

static int tr_domain_name_match(const struct tr_domain_list *list,
                                const char *pattern, const char *domain)
{
    size_t plen = strlen(pattern);
    size_t dlen = strlen(domain);

    if (list->exact)
        return pattern[0] != '.' && strcmp(domain, pattern) == 0;
    /* ".name" is the other style's way to say "subdomains" (observed). */
    if (pattern[0] == '.')
        return !list->parent_match && dlen > plen &&
               strcmp(domain + dlen - plen, pattern) == 0;
    if (strcmp(domain, pattern) == 0)
        return 1;
    return list->parent_match && dlen > plen + 1 &&
           domain[dlen - plen - 1] == '.' &&
           strcmp(domain + dlen - plen, pattern) == 0;
}

int tr_domain_list_match(struct tr_domain_list *list, const char *domain)
{
    struct buf *lower = buf_alloc(64);
    int result = 0;

    buf_set_str(lower, domain);
    buf_lower(lower);
    for (size_t i = 0; i < list->count; i++) {
        struct tr_domain_pat *pat = list->pat + i;
        int match;

        if (pat->dict || pat->dict_failed)
            match = tr_domain_table_match(list, pat, buf_str(lower));
        else
            match = tr_domain_name_match(list, pat->name, buf_str(lower));
        if (match < 0) {
            result = -1;
            break;
        }
        if (match > 0) {
            result = !pat->negate;
            break;
        }
    }
    buf_free(lower);
    return result;
}

int tr_domain_list_changed(struct tr_domain_list *list, const char **which)
{
    for (size_t i = 0; i < list->count; i++) {
        if (list->pat[i].dict && dict_changed(list->pat[i].dict)) {
            *which = list->pat[i].name;
            return 1;
        }
    }
    return 0;
}

/* --- syntax --- */

/* Length of the UTF-8 sequence at s (2..4), or 0 if it is not one. */
static size_t tr_utf8_len(const unsigned char *s)
{
    size_t len;

    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4;
    else
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

int tr_valid_hostname(const char *name)
{
    const unsigned char *p = (const unsigned char *)name;
    size_t label = 0;
    int non_numeric = 0;

    if (*p == 0 || strlen(name) > TR_HOSTNAME_MAX)
        return 0;
    for (; *p; p++) {
        if (*p == '.') {
            if (label == 0 || p[-1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (*p >= 0x80) {
            size_t len = tr_utf8_len(p);

            if (len == 0)
                return 0;
            p += len - 1;
            label += len;
            non_numeric = 1;
        } else if (isalnum(*p) || *p == '_') {
            label++;
            if (!isdigit(*p))
                non_numeric = 1;
        } else if (*p == '-') {
            if (label == 0)
                return 0;
            label++;
            non_numeric = 1;
        } else {
            return 0;
        }
        if (label > TR_LABEL_MAX)
            return 0;
    }
    if (label == 0 || p[-1] == '-')
        return 0;
    return non_numeric;
}

int tr_valid_ipv4(const char *text)
{
    const char *p = text;

    for (int part = 0; part < 4; part++) {
        long value = 0;
        int digits = 0;

        if (part > 0 && *p++ != '.')
            return 0;
        while (isdigit((unsigned char)*p)) {
            value = value * 10 + (*p++ - '0');
            if (++digits > 3)
                return 0;
        }
        if (digits == 0 || value > 255)
            return 0;
    }
    return *p == 0;
}

int tr_valid_literal(const char *literal)
{
    size_t len = strlen(literal);
    struct buf *inner;
    struct in6_addr a6;
    int ok;

    if (len < 2 || literal[0] != '[' || literal[len - 1] != ']')
        return 0;
    inner = buf_alloc(len);
    buf_set(inner, literal + 1, len - 2);
    if (strncasecmp(buf_str(inner), "ipv6:", 5) == 0)
        ok = inet_pton(AF_INET6, buf_str(inner) + 5, &a6) == 1;
    else
        ok = tr_valid_ipv4(buf_str(inner));
    buf_free(inner);
    return ok;
}

/* --- local addresses --- */

int tr_parse_addr(const char *text, struct tr_addr *addr)
{
    memset(addr, 0, sizeof(*addr));
    if (tr_valid_ipv4(text) && inet_pton(AF_INET, text, &addr->a.v4) == 1) {
        addr->family = AF_INET;
        return 0;
    }
    if (tr_valid_ipv4(text)) {
        /* Leading zeros: inet_pton refuses them, the syntax allows them. */
        unsigned b[4];

        if (sscanf(text, "%u.%u.%u.%u", b, b + 1, b + 2, b + 3) != 4)
            return -1;
        addr->family = AF_INET;
        addr->a.v4.s_addr = htonl(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
        return 0;
    }
    if (inet_pton(AF_INET6, text, &addr->a.v6) == 1) {
        addr->family = AF_INET6;
        return 0;
    }
    return -1;
}

void tr_addr_list_add(struct tr_addr_list *list, const struct tr_addr *addr)
{
    if (list->count == list->size) {
        list->size = list->size * 2 + 8;
        list->v = mem_realloc(list->v, list->size * sizeof(*addr));
    }
    list->v[list->count++] = *addr;
}

void tr_addr_list_free(struct tr_addr_list *list)
{
    mem_free(list->v);
    list->v = NULL;
    list->count = list->size = 0;
}

static void tr_addr_add_sockaddr(struct tr_addr_list *list,
                                 const struct sockaddr *sa)
{
    struct tr_addr addr;

    memset(&addr, 0, sizeof(addr));
    if (sa->sa_family == AF_INET) {
        addr.family = AF_INET;
        addr.a.v4 = ((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    } else if (sa->sa_family == AF_INET6) {
        addr.family = AF_INET6;
        addr.a.v6 = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    } else {
        return;
    }
    tr_addr_list_add(list, &addr);
}

void tr_interfaces_load(struct tr_addr_list *list, const char *param,
                        const char *value)
{
    char **names = tr_split_list(param, value);
    struct tr_addr addr;

    for (char **np = names; *np; np++) {
        char *name = *np;
        size_t len = strlen(name);

        if (strcasecmp(name, "all") == 0) {
            struct ifaddrs *ifa;

            if (getifaddrs(&ifa) < 0)
                msg_fatal("%s: getifaddrs: %m", param);
            for (struct ifaddrs *ip = ifa; ip; ip = ip->ifa_next)
                if (ip->ifa_addr)
                    tr_addr_add_sockaddr(list, ip->ifa_addr);
            freeifaddrs(ifa);
        } else if (strcasecmp(name, "loopback-only") == 0) {
            tr_parse_addr("127.0.0.1", &addr);
            tr_addr_list_add(list, &addr);
            tr_parse_addr("::1", &addr);
            tr_addr_list_add(list, &addr);
        } else {
            struct buf *host = buf_alloc(len + 1);
            struct addrinfo hints;
            struct addrinfo *res;

            /* "[addr]" is accepted as well as "addr". */
            if (name[0] == '[' && len > 2 && name[len - 1] == ']')
                buf_set(host, name + 1, len - 2);
            else
                buf_set_str(host, name);
            if (tr_parse_addr(buf_str(host), &addr) == 0) {
                tr_addr_list_add(list, &addr);
            } else {
                memset(&hints, 0, sizeof(hints));
                hints.ai_socktype = SOCK_STREAM;
                if (getaddrinfo(buf_str(host), NULL, &hints, &res) != 0)
                    msg_fatal("%s: host not found: %s", param, name);
                for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
                    tr_addr_add_sockaddr(list, ai->ai_addr);
                freeaddrinfo(res);
            }
            buf_free(host);
        }
    }
    conf_argv_free(names);
}

static int tr_addr_is_local(const struct tr_addr_list *list, const char *text)
{
    struct tr_addr addr;

    if (tr_parse_addr(text, &addr) < 0)
        return 0;
    for (size_t i = 0; i < list->count; i++) {
        if (list->v[i].family != addr.family)
            continue;
        if (addr.family == AF_INET &&
            list->v[i].a.v4.s_addr == addr.a.v4.s_addr)
            return 1;
        if (addr.family == AF_INET6 &&
            memcmp(&list->v[i].a.v6, &addr.a.v6, sizeof(addr.a.v6)) == 0)
            return 1;
    }
    return 0;
}

int tr_resolve_local(struct tr_config *cfg, const char *domain)
{
    struct buf *name = buf_alloc(64);
    size_t len;
    int result;

    buf_set_str(name, domain);
    /* One trailing dot does not make a different domain. */
    if ((len = buf_len(name)) > 1 && buf_str(name)[len - 1] == '.' &&
        buf_str(name)[len - 2] != '.')
        buf_truncate(name, len - 1);
    if ((result = tr_domain_list_match(&cfg->mydestination, buf_str(name))) !=
        0) {
        buf_free(name);
        return result;
    }
    len = buf_len(name);
    if (len > 2 && buf_str(name)[0] == '[' && buf_str(name)[len - 1] == ']') {
        const char *inner = buf_str(name) + 1;

        buf_truncate(name, len - 1);
        if (strncasecmp(inner, "ipv6:", 5) == 0)
            inner += 5;
        result = tr_addr_is_local(&cfg->interfaces, inner);
    } else if (cfg->resolve_numeric_domain && tr_valid_ipv4(buf_str(name))) {
        result = tr_addr_is_local(&cfg->interfaces, buf_str(name));
    }
    buf_free(name);
    return result;
}
