/*
 * tr_maps - lookup tables of trivial-rewrite
 *
 * A table list ("cdb:/etc/postern/transport, inline:{...}") is searched
 * in order; the first table that has the key wins. Keys are looked up in
 * lowercase (the tables are opened with DICT_FLAG_FOLD_CASE). A table
 * that cannot be opened stays in the list and makes every lookup fail
 * with an error (as Postfix 3.7: "TABLE is unavailable"), so that the
 * resolver answers "try again" instead of routing mail by a partial
 * configuration.
 *
 * Two search orders, both Postfix's:
 *	address tables (relocated_maps, sender_dependent_*_maps):
 *		user+ext@domain, user@domain, then when the domain is local
 *		($mydestination, $myorigin, a local address literal) or
 *		absent: user+ext, user; then @domain
 *	transport_maps: user+ext@domain, user@domain, domain, then each
 *		parent domain ("example.com" for "sub.example.com" when
 *		transport_maps is in parent_domain_matches_subdomains,
 *		".example.com" otherwise; not for address literals), then
 *		"*" (looked up once at start-up, like Postfix)
 * The extension is cut at the first recipient_delimiter character that
 * is not the local part's first character.
 *
 * Public functions:
 *	tr_maps_init(maps, param, value)	open the tables of a list
 *	tr_maps_free(maps)
 *	tr_maps_lookup(maps, key, &error)	value or NULL; error is set to
 *				1 (and a warning logged) when a table failed
 *	tr_maps_changed(maps, &which)	a table was replaced on disk
 *	tr_maps_find_addr(cfg, maps, address, &error)	address tables
 *	tr_transport_lookup(cfg, route, recipient, &error)  transport_maps
 *
 * Diagnostics: warnings "TABLE is unavailable. REASON", "TABLE lookup
 * error for "KEY"" (the texts Postfix logs).
 */
#include <string.h>

#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "trivial_rewrite.h"

void tr_maps_init(struct tr_maps *maps, const char *param, const char *value)
{
    char **specs = tr_split_list(param, value);
    struct buf *err = buf_alloc(100);
    size_t n = 0;

    while (specs[n])
        n++;
    maps->param = param;
    maps->count = n;
    maps->dict = mem_zalloc((n + 1) * sizeof(*maps->dict));
    maps->spec = mem_zalloc((n + 1) * sizeof(*maps->spec));
    for (size_t i = 0; i < n; i++) {
        maps->spec[i] = mem_strdup(specs[i]);
        if ((maps->dict[i] = dict_open(specs[i], DICT_FLAG_FOLD_CASE, err)) ==
            NULL)
            msg_warn("%s is unavailable. %s", specs[i], buf_str(err));
    }
    buf_free(err);
    conf_argv_free(specs);
}

void tr_maps_free(struct tr_maps *maps)
{
    for (size_t i = 0; i < maps->count; i++) {
        if (maps->dict[i])
            dict_close(maps->dict[i]);
        mem_free(maps->spec[i]);
    }
    mem_free(maps->dict);
    mem_free(maps->spec);
    maps->dict = NULL;
    maps->spec = NULL;
    maps->count = 0;
}

const char *tr_maps_lookup(struct tr_maps *maps, const char *key, int *error)
{
    const char *value;

    for (size_t i = 0; i < maps->count; i++) {
        if (maps->dict[i] == NULL) {
            msg_warn("%s lookup error for \"%.100s\"", maps->spec[i], key);
            *error = 1;
            return NULL;
        }
        if ((value = dict_lookup(maps->dict[i], key)) != NULL)
            return value;
        if (dict_error(maps->dict[i]) != DICT_ERR_NONE) {
            msg_warn("%s lookup error for \"%.100s\"", maps->spec[i], key);
            *error = 1;
            return NULL;
        }
    }
    return NULL;
}

int tr_maps_changed(struct tr_maps *maps, const char **which)
{
    for (size_t i = 0; i < maps->count; i++) {
        if (maps->dict[i] && dict_changed(maps->dict[i])) {
            *which = maps->spec[i];
            return 1;
        }
    }
    return 0;
}

/* Length of local without its extension (len when there is none). */
static size_t tr_strip_extension(const struct tr_config *cfg, const char *local,
                                 size_t len)
{
    const char *delims = cfg->recipient_delimiter;

    if (*delims == 0 || len < 2)
        return len;
    for (size_t i = 1; i < len; i++)
        if (strchr(delims, local[i]))
            return i;
    return len;
}

/* Look key up unless it equals the previous key; NULL and error as above. */
static const char *tr_try(struct tr_maps *maps, struct buf *key,
                          struct buf *prev, int *error)
{
    const char *value;

    if (buf_len(prev) > 0 && strcmp(buf_str(key), buf_str(prev)) == 0)
        return NULL;
    buf_set_str(prev, buf_str(key));
    value = tr_maps_lookup(maps, buf_str(key), error);
    return value;
}

const char *tr_maps_find_addr(struct tr_config *cfg, struct tr_maps *maps,
                              const char *address, int *error)
{
    struct buf *key = buf_alloc(100);
    struct buf *prev = buf_alloc(100);
    const char *at = strrchr(address, '@');
    size_t llen = at ? (size_t)(at - address) : strlen(address);
    size_t base = tr_strip_extension(cfg, address, llen);
    const char *value = NULL;
    int local;

    *error = 0;
    if (maps->count == 0)
        goto done;
    buf_set_str(key, address);
    if ((value = tr_try(maps, key, prev, error)) != NULL || *error)
        goto done;
    if (at && base < llen) {
        buf_set(key, address, base);
        buf_append_str(key, at);
        if ((value = tr_try(maps, key, prev, error)) != NULL || *error)
            goto done;
    }
    if (at == NULL)
        local = 1;
    else if (strcasecmp(at + 1, cfg->myorigin) == 0)
        local = 1;
    else if ((local = tr_resolve_local(cfg, at + 1)) < 0) {
        *error = 1;
        goto done;
    }
    if (local) {
        buf_set(key, address, llen);
        if ((value = tr_try(maps, key, prev, error)) != NULL || *error)
            goto done;
        if (base < llen) {
            buf_set(key, address, base);
            if ((value = tr_try(maps, key, prev, error)) != NULL || *error)
                goto done;
        }
    }
    if (at) {
        buf_set_str(key, at);
        value = tr_try(maps, key, prev, error);
    }
done:
    buf_free(key);
    buf_free(prev);
    return *error ? NULL : value;
}

const char *tr_transport_lookup(struct tr_config *cfg, struct tr_route *route,
                                const char *recipient, int *error)
{
    struct tr_maps *maps = &route->transport_maps;
    struct buf *key = buf_alloc(100);
    struct buf *prev = buf_alloc(100);
    const char *at = strrchr(recipient, '@');
    const char *domain = at ? at + 1 : "";
    size_t llen = at ? (size_t)(at - recipient) : strlen(recipient);
    size_t base = tr_strip_extension(cfg, recipient, llen);
    const char *value = NULL;

    *error = 0;
    if (maps->count == 0)
        goto done;
    buf_set_str(key, recipient);
    if ((value = tr_try(maps, key, prev, error)) != NULL || *error)
        goto done;
    if (at && base < llen) {
        buf_set(key, recipient, base);
        buf_append_str(key, at);
        if ((value = tr_try(maps, key, prev, error)) != NULL || *error)
            goto done;
    }
    if (*domain) {
        buf_set_str(key, domain);
        if ((value = tr_try(maps, key, prev, error)) != NULL || *error)
            goto done;
        if (*domain != '[') {
            for (const char *dot = strchr(domain, '.'); dot;
                 dot = strchr(dot + 1, '.')) {
                buf_set_str(key, cfg->transport_parent_match ? dot + 1 : dot);
                if (buf_len(key) == 0 || buf_equal_str(key, "."))
                    continue;
                if ((value = tr_try(maps, key, prev, error)) != NULL || *error)
                    goto done;
            }
        }
    }
    if (route->wildcard_error) {
        msg_warn("%s lookup error for \"*\"", maps->param);
        *error = 1;
    } else {
        value = route->wildcard;
    }
done:
    buf_free(key);
    buf_free(prev);
    return *error ? NULL : value;
}
