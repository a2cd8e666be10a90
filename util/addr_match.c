/*
 * addr_match - does a client (host name, address) match a pattern list?
 *
 * The lists that name clients in main.cf (qmqpd_authorized_clients,
 * debug_peer_list, later mynetworks and smtpd's) share one syntax. The
 * list is split like every list parameter (commas and/or white space,
 * "{ ... }" keeps separators together). Each pattern, tried in order
 * against the client's name and address; the first that matches decides:
 *
 *	host.example.com	the host of that name (any case); when the
 *				list is created with ADDR_MATCH_FLAG_PARENT
 *				(the parameter is named in
 *				parent_domain_matches_subdomains) also every
 *				host below it: mail.host.example.com
 *	.example.com		every host below example.com, but not
 *				example.com itself
 *	192.0.2.1  [192.0.2.1]	one address; IPv6 with or without brackets:
 *	2001:db8::1  [2001:db8::1]
 *	192.0.2.0/24		a network; IPv6 as [2001:db8::]/32,
 *	[2001:db8::/32]  2001:db8::/32	[2001:db8::/32] or 2001:db8::/32
 *	/file/name		the patterns in that file (separated like the
 *				list, '#' starts a comment line), nested at
 *				most ADDR_MATCH_FILE_DEPTH deep
 *	type:table		a lookup table (dict.h): the client's name,
 *				then its parent domains (as "example.com" with
 *				ADDR_MATCH_FLAG_PARENT, else as ".example.com"),
 *				then its address are looked up; any value found
 *				is a match. Keys are folded to lower case.
 *	!pattern		if pattern matches, the client does not match
 *				the list (and the search stops)
 *
 * An IPv6 address that is not in brackets is told from a table by
 * parsing it: "fe80::1" is an address, "cdb:/etc/x" a table.
 *
 * Public functions:
 *	addr_match_list_create(title, patterns, flags)	parse a list; title
 *			names it in warnings (normally the parameter name)
 *	addr_match_list_param(conf, name)	the list in parameter name,
 *			with ADDR_MATCH_FLAG_PARENT when name is listed in
 *			parent_domain_matches_subdomains
 *	addr_match(list, name, addr)	ADDR_MATCH_YES, ADDR_MATCH_NO or
 *			ADDR_MATCH_ERROR; name is the verified host name
 *			(NULL or "" if none: then no name pattern matches;
 *			"unknown" is compared like any name), addr is
 *			printable (IPv4 dotted quad or IPv6 text, no
 *			brackets; NULL or unparsable: no address matches)
 *	addr_match_list_changed(list)	the spec of a table that changed on
 *			disk since the list was created, or NULL (daemons
 *			then exit after the current client, to reload it)
 *	addr_match_list_empty(list)	no patterns at all
 *	addr_match_list_free(list)
 *
 * Diagnostics: warnings, when a match reaches a malformed pattern
 * ("title: malformed pattern "X": reason"; an unreadable file, an
 * unknown table type, a bad address, prefix length or mask with host
 * bits set) or a table that fails ("title: table X: lookup of "key"
 * failed"). Either makes addr_match() return ADDR_MATCH_ERROR.
 *
 * Choice: Postfix exits fatally on some malformed patterns. We keep
 * running, but a malformed pattern never just "does not match": a match
 * that reaches it reports an error, so that the caller fails safe (qmqpd
 * answers "Z Error: server configuration error"). Ignoring it would turn
 * a mistyped "!192.0.2.0/33" exclusion into a hole. Patterns before it
 * still decide as usual. A "!" in front of a file name is malformed (the
 * file's own patterns can carry "!").
 *
 * Configuration parameters: parent_domain_matches_subdomains (in
 * addr_match_list_param()); the list parameter itself.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr_match.h"
#include "buf.h"
#include "dict.h"
#include "mem.h"
#include "msg.h"
#include "param.h"

enum addr_match_kind {
    ADDR_MATCH_HOST,      /* a host, and with PARENT its subdomains */
    ADDR_MATCH_SUBDOMAIN, /* ".domain": strictly below domain */
    ADDR_MATCH_NET,       /* an address or a network */
    ADDR_MATCH_TABLE,     /* type:name */
    ADDR_MATCH_BAD,       /* malformed: a match that gets here fails */
};

struct addr_match_entry {
    int negate;
    enum addr_match_kind kind;
    char *text; /* HOST, SUBDOMAIN: lower case; TABLE: the spec; */
                /* BAD: the reason */
    int family; /* NET: AF_INET or AF_INET6 */
    unsigned char net[16];
    int prefix;        /* NET: significant bits */
    struct dict *dict; /* TABLE */
};

struct addr_match_list {
    char *title;
    int flags;
    struct addr_match_entry *entries;
    size_t count;
    size_t size;
};

static struct addr_match_entry *addr_match_add(struct addr_match_list *list,
                                               int negate,
                                               enum addr_match_kind kind)
{
    struct addr_match_entry *entry;

    if (list->count == list->size) {
        list->size = list->size ? 2 * list->size : 8;
        list->entries =
            mem_realloc(list->entries, list->size * sizeof(*list->entries));
    }
    entry = &list->entries[list->count++];
    memset(entry, 0, sizeof(*entry));
    entry->negate = negate;
    entry->kind = kind;
    return entry;
}

static void addr_match_bad(struct addr_match_list *list, int negate,
                           const char *pattern, const char *reason)
{
    struct addr_match_entry *entry =
        addr_match_add(list, negate, ADDR_MATCH_BAD);
    struct buf *text = buf_alloc(100);

    buf_printf(text, "malformed pattern \"%s%.200s\": %s", negate ? "!" : "",
               pattern, reason);
    entry->text = buf_export(text);
}

/* Parse one address: family and bytes; 0, or -1 if it is none. */
static int addr_match_parse_addr(const char *text, int *family,
                                 unsigned char *bytes)
{
    if (inet_pton(AF_INET, text, bytes) == 1) {
        *family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, text, bytes) == 1) {
        *family = AF_INET6;
        return 0;
    }
    return -1;
}

/* An address (prefix_text NULL) or a network: a NET entry, or BAD. */
static void addr_match_add_net(struct addr_match_list *list, int negate,
                               const char *pattern, const char *addr_text,
                               const char *prefix_text)
{
    struct addr_match_entry *entry;
    unsigned char bytes[16];
    int family;
    int max;
    int prefix;

    if (addr_match_parse_addr(addr_text, &family, bytes) < 0) {
        addr_match_bad(list, negate, pattern, "bad address");
        return;
    }
    max = family == AF_INET ? 32 : 128;
    prefix = max;
    if (prefix_text != NULL) {
        size_t len = strlen(prefix_text);

        if (len == 0 || len > 3 || strspn(prefix_text, "0123456789") != len ||
            (prefix = atoi(prefix_text)) > max) {
            addr_match_bad(list, negate, pattern, "bad network prefix length");
            return;
        }
    }
    /* Host bits set: the author meant another network, or a host. */
    for (int bit = prefix; bit < max; bit++) {
        if (bytes[bit / 8] & (0x80 >> (bit % 8))) {
            unsigned char masked[16];
            char text[INET6_ADDRSTRLEN];
            struct buf *why = buf_alloc(100);

            memcpy(masked, bytes, sizeof(masked));
            for (int b = prefix; b < max; b++)
                masked[b / 8] &= (unsigned char)~(0x80 >> (b % 8));
            inet_ntop(family, masked, text, sizeof(text));
            buf_printf(why,
                       "non-null host address bits, perhaps you should use "
                       "\"%s%s%s/%d\" instead",
                       family == AF_INET6 ? "[" : "", text,
                       family == AF_INET6 ? "]" : "", prefix);
            addr_match_bad(list, negate, pattern, buf_str(why));
            buf_free(why);
            return;
        }
    }
    entry = addr_match_add(list, negate, ADDR_MATCH_NET);
    entry->family = family;
    memcpy(entry->net, bytes, sizeof(entry->net));
    entry->prefix = prefix;
}

static void addr_match_add_pattern(struct addr_match_list *list,
                                   const char *pattern, int depth);

/* The patterns in a file: comment lines dropped, then split as a list. */
static void addr_match_add_file(struct addr_match_list *list, const char *path,
                                int depth)
{
    struct buf *data = buf_alloc(1024);
    struct buf *text = buf_alloc(1024);
    struct buf *err = buf_alloc(100);
    struct conf_list items;
    const char *cp;

    conf_list_init(&items);
    if (depth >= ADDR_MATCH_FILE_DEPTH) {
        addr_match_bad(list, 0, path, "files nested too deeply");
    } else if (conf_load_file(path, data, err) < 0) {
        addr_match_bad(list, 0, path, buf_str(err));
    } else if (memchr(buf_str(data), 0, buf_len(data)) != NULL) {
        addr_match_bad(list, 0, path, "file contains a NUL byte");
    } else {
        for (cp = buf_str(data); *cp;) {
            const char *end = strchr(cp, '\n');
            size_t len = end ? (size_t)(end - cp) : strlen(cp);
            size_t blank = strspn(cp, " \t\r");

            if (blank < len && cp[blank] != '#') {
                buf_append(text, cp, len);
                buf_append_char(text, '\n');
            }
            cp += len + (end != NULL);
        }
        if (conf_split_list(buf_str(text), &items, err) < 0)
            addr_match_bad(list, 0, path, buf_str(err));
        else
            for (size_t i = 0; i < items.count; i++)
                addr_match_add_pattern(list, items.items[i], depth + 1);
    }
    conf_list_free(&items);
    buf_free(data);
    buf_free(text);
    buf_free(err);
}

static void addr_match_add_pattern(struct addr_match_list *list,
                                   const char *pattern, int depth)
{
    struct addr_match_entry *entry;
    const char *slash;
    int negate = 0;

    while (*pattern == '!') {
        negate = !negate;
        pattern++;
    }
    if (*pattern == 0) {
        addr_match_bad(list, negate, pattern, "nothing after '!'");
    } else if (*pattern == '/') {
        if (negate)
            addr_match_bad(list, negate, pattern,
                           "a file of patterns cannot be negated");
        else
            addr_match_add_file(list, pattern, depth);
    } else if (*pattern == '[') {
        /* [addr], [addr]/len or [addr/len] */
        const char *close = strchr(pattern, ']');
        char *inner;

        if (close == NULL || (close[1] != 0 && close[1] != '/')) {
            addr_match_bad(list, negate, pattern, "bad address in brackets");
            return;
        }
        inner = mem_strndup(pattern + 1, (size_t)(close - pattern - 1));
        if (close[1] == '/') {
            addr_match_add_net(list, negate, pattern, inner, close + 2);
        } else if ((slash = strchr(inner, '/')) != NULL) {
            inner[slash - inner] = 0;
            addr_match_add_net(list, negate, pattern, inner, slash + 1);
        } else {
            addr_match_add_net(list, negate, pattern, inner, NULL);
        }
        mem_free(inner);
    } else if (strchr(pattern, ':') != NULL) {
        /* IPv6 address or network, else type:table. */
        size_t addr_len = strcspn(pattern, "/");
        char *addr = mem_strndup(pattern, addr_len);
        unsigned char bytes[16];
        struct buf *err;

        if (inet_pton(AF_INET6, addr, bytes) == 1) {
            addr_match_add_net(list, negate, pattern, addr,
                               pattern[addr_len] ? pattern + addr_len + 1
                                                 : NULL);
            mem_free(addr);
            return;
        }
        mem_free(addr);
        err = buf_alloc(100);
        entry = addr_match_add(list, negate, ADDR_MATCH_TABLE);
        if ((entry->dict = dict_open(pattern, DICT_FLAG_FOLD_CASE, err)) ==
            NULL) {
            list->count--;
            addr_match_bad(list, negate, pattern, buf_str(err));
        } else {
            entry->text = mem_strdup(pattern);
        }
        buf_free(err);
    } else if ((slash = strchr(pattern, '/')) != NULL) {
        char *addr = mem_strndup(pattern, (size_t)(slash - pattern));

        addr_match_add_net(list, negate, pattern, addr, slash + 1);
        mem_free(addr);
    } else if (strspn(pattern, "0123456789.") == strlen(pattern) &&
               strpbrk(pattern, "0123456789") != NULL) {
        /* Digits and dots are an address or a mistake, never a name. */
        addr_match_add_net(list, negate, pattern, pattern, NULL);
    } else {
        struct buf *host = buf_alloc(64);

        buf_set_str(host, pattern);
        buf_lower(host);
        if (*pattern == '.' && pattern[1] == 0) {
            addr_match_bad(list, negate, pattern, "empty domain name");
        } else {
            entry = addr_match_add(list, negate,
                                   *pattern == '.' ? ADDR_MATCH_SUBDOMAIN
                                                   : ADDR_MATCH_HOST);
            entry->text = mem_strdup(buf_str(host));
        }
        buf_free(host);
    }
}

struct addr_match_list *addr_match_list_create(const char *title,
                                               const char *patterns, int flags)
{
    struct addr_match_list *list = mem_zalloc(sizeof(*list));
    struct conf_list items;
    struct buf *err = buf_alloc(100);

    list->title = mem_strdup(title);
    list->flags = flags;
    conf_list_init(&items);
    if (conf_split_list(patterns, &items, err) < 0)
        addr_match_bad(list, 0, patterns, buf_str(err));
    else
        for (size_t i = 0; i < items.count; i++)
            addr_match_add_pattern(list, items.items[i], 0);
    conf_list_free(&items);
    buf_free(err);
    return list;
}

struct addr_match_list *addr_match_list_param(struct conf *conf,
                                              const char *name)
{
    struct conf_list parents;
    struct buf *err = buf_alloc(100);
    int flags = 0;

    conf_list_init(&parents);
    if (param_get_list(conf, "parent_domain_matches_subdomains", &parents,
                       err) < 0)
        msg_fatal("%s", buf_str(err));
    for (size_t i = 0; i < parents.count; i++)
        if (strcmp(parents.items[i], name) == 0)
            flags |= ADDR_MATCH_FLAG_PARENT;
    conf_list_free(&parents);
    buf_free(err);
    return addr_match_list_create(name, param_str(conf, name), flags);
}

/* A name ends in "." + domain (domain given without its dot). */
static int addr_match_below(const char *name, size_t name_len,
                            const char *domain, size_t domain_len)
{
    return name_len > domain_len + 1 &&
           name[name_len - domain_len - 1] == '.' &&
           strcasecmp(name + name_len - domain_len, domain) == 0;
}

static int addr_match_name(const struct addr_match_list *list,
                           const struct addr_match_entry *entry,
                           const char *name)
{
    size_t name_len = strlen(name);
    size_t len = strlen(entry->text);

    if (entry->kind == ADDR_MATCH_SUBDOMAIN)
        return addr_match_below(name, name_len, entry->text + 1, len - 1);
    if (strcasecmp(name, entry->text) == 0)
        return 1;
    return (list->flags & ADDR_MATCH_FLAG_PARENT) &&
           addr_match_below(name, name_len, entry->text, len);
}

static int addr_match_net(const struct addr_match_entry *entry, int family,
                          const unsigned char *bytes)
{
    int full = entry->prefix / 8;
    int rest = entry->prefix % 8;

    if (family != entry->family || memcmp(bytes, entry->net, (size_t)full))
        return 0;
    if (rest == 0)
        return 1;
    return ((bytes[full] ^ entry->net[full]) & (0xff00 >> rest)) == 0;
}

/* One table lookup: 1 found, 0 not, -1 failed (with a warning). */
static int addr_match_lookup(const struct addr_match_list *list,
                             struct addr_match_entry *entry, const char *key)
{
    if (dict_lookup(entry->dict, key) != NULL)
        return 1;
    if (dict_error(entry->dict) != DICT_ERR_NONE) {
        msg_warn("%s: table %s: lookup of \"%.100s\" failed", list->title,
                 entry->text, key);
        return -1;
    }
    return 0;
}

static int addr_match_table(const struct addr_match_list *list,
                            struct addr_match_entry *entry, const char *name,
                            const char *addr)
{
    int found;

    if (name != NULL && *name) {
        if ((found = addr_match_lookup(list, entry, name)) != 0)
            return found;
        for (const char *dot = strchr(name, '.'); dot && dot[1];
             dot = strchr(dot + 1, '.')) {
            const char *key =
                (list->flags & ADDR_MATCH_FLAG_PARENT) ? dot + 1 : dot;

            if ((found = addr_match_lookup(list, entry, key)) != 0)
                return found;
        }
    }
    if (addr != NULL && *addr)
        return addr_match_lookup(list, entry, addr);
    return 0;
}

int addr_match(struct addr_match_list *list, const char *name, const char *addr)
{
    unsigned char bytes[16];
    int family = 0;
    int have_addr;

    have_addr =
        addr != NULL && addr_match_parse_addr(addr, &family, bytes) == 0;
    for (size_t i = 0; i < list->count; i++) {
        struct addr_match_entry *entry = &list->entries[i];
        int found = 0;

        switch (entry->kind) {
        case ADDR_MATCH_HOST:
        case ADDR_MATCH_SUBDOMAIN:
            found = name != NULL && *name && addr_match_name(list, entry, name);
            break;
        case ADDR_MATCH_NET:
            found = have_addr && addr_match_net(entry, family, bytes);
            break;
        case ADDR_MATCH_TABLE:
            found = addr_match_table(list, entry, name, addr);
            break;
        case ADDR_MATCH_BAD:
            msg_warn("%s: %s", list->title, entry->text);
            found = -1;
            break;
        }
        if (found < 0)
            return ADDR_MATCH_ERROR;
        if (found)
            return entry->negate ? ADDR_MATCH_NO : ADDR_MATCH_YES;
    }
    return ADDR_MATCH_NO;
}

const char *addr_match_list_changed(struct addr_match_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        struct addr_match_entry *entry = &list->entries[i];

        if (entry->kind == ADDR_MATCH_TABLE && dict_changed(entry->dict))
            return entry->text;
    }
    return NULL;
}

int addr_match_list_empty(const struct addr_match_list *list)
{
    return list->count == 0;
}

void addr_match_list_free(struct addr_match_list *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->count; i++) {
        mem_free(list->entries[i].text);
        dict_close(list->entries[i].dict);
    }
    mem_free(list->entries);
    mem_free(list->title);
    mem_free(list);
}
