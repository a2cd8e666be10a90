/*
 * dict - lookup tables behind one interface
 *
 * A table is named "type:name", as in Postfix's main.cf: "cdb:/etc/x"
 * (the constant database /etc/x.cdb), "inline:{ k1=v1, k2=v2 }" (the
 * table written out in the parameter value), "static:value" (every key
 * maps to value). dict_open() picks the type and hands the name to it;
 * each type lives in its own file (dict_cdb.c, dict_inline.c,
 * dict_static.c) and fills in the lookup and close functions of a struct
 * dict.
 *
 * Public functions:
 *	dict_open(spec, flags, err)	open a table; NULL with a reason in
 *					err (may be NULL) that names the table
 *	dict_lookup(dict, key)		the value, or NULL; the value stays
 *					valid until the next lookup in dict
 *	dict_error(dict)		DICT_ERR_NONE when the last lookup
 *					worked (found or not), DICT_ERR_RETRY
 *					when the table could not be read
 *	dict_changed(dict)		the table on disk was replaced since
 *					it was opened (daemons then finish
 *					their work and exit to reload it)
 *	dict_close(dict)		release everything
 * For the table types:
 *	dict_alloc(size, type, name, flags), dict_free(dict)
 *	dict_strip_braces(text, out, err)	"{ text }" -> "text"
 *
 * Flags: DICT_FLAG_FOLD_CASE lowercases every key before it is looked up
 * (ASCII only), so tables must hold lowercase keys to match.
 *
 * Diagnostics: a spec without ':', an empty type, an unknown type or a
 * spec longer than DICT_SPEC_MAX fails the open; the reason reads
 * "table TYPE:NAME: what is wrong".
 *
 * Configuration parameters: none (callers pass the table specs).
 */
#include <ctype.h>
#include <string.h>

#include "dict.h"
#include "mem.h"
#include "msg.h"

struct dict_type {
    const char *type;
    struct dict *(*open)(const char *name, int flags, struct buf *err);
};

static const struct dict_type dict_types[] = {
    {"cdb", dict_cdb_open},
    {"inline", dict_inline_open},
    {"static", dict_static_open},
};

struct dict *dict_alloc(size_t size, const char *type, const char *name,
                        int flags)
{
    struct dict *dict;

    if (size < sizeof(*dict))
        msg_panic("dict_alloc: size %zu too small", size);
    dict = mem_zalloc(size);
    dict->type = mem_strdup(type);
    dict->name = mem_strdup(name);
    dict->flags = flags;
    dict->error = DICT_ERR_NONE;
    dict->fold = buf_alloc(64);
    return dict;
}

void dict_free(struct dict *dict)
{
    mem_free(dict->type);
    mem_free(dict->name);
    buf_free(dict->fold);
    mem_free(dict);
}

static int dict_is_space(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

int dict_strip_braces(const char *text, struct buf *out, struct buf *err)
{
    const char *start = text;
    const char *end = text + strlen(text);
    int level = 0;

    while (dict_is_space((unsigned char)*start))
        start++;
    while (end > start && dict_is_space((unsigned char)end[-1]))
        end--;
    if (*start != '{') {
        buf_set_str(err, "expected '{'");
        return -1;
    }
    /* The first brace must close at the very end, not earlier. */
    for (const char *cp = start; cp < end; cp++) {
        if (*cp == '{') {
            level++;
        } else if (*cp == '}' && --level == 0 && cp + 1 != end) {
            buf_printf(err, "unexpected text after '}': \"%.*s\"",
                       (int)(end - cp - 1), cp + 1);
            return -1;
        }
    }
    if (level != 0) {
        buf_set_str(err, "missing '}'");
        return -1;
    }
    start++;
    end--;
    while (start < end && dict_is_space((unsigned char)*start))
        start++;
    while (end > start && dict_is_space((unsigned char)end[-1]))
        end--;
    buf_set(out, start, (size_t)(end - start));
    return 0;
}

struct dict *dict_open(const char *spec, int flags, struct buf *err)
{
    struct buf *reason = buf_alloc(100);
    const struct dict_type *dt = NULL;
    struct dict *dict = NULL;
    const char *colon;
    const char *name;
    char *type = NULL;

    while (dict_is_space((unsigned char)*spec))
        spec++;
    if (strlen(spec) > DICT_SPEC_MAX) {
        buf_printf(reason, "table specification longer than %d characters",
                   DICT_SPEC_MAX);
        if (err)
            buf_set(err, buf_str(reason), buf_len(reason));
        buf_free(reason);
        return NULL;
    }
    if ((colon = strchr(spec, ':')) == NULL || colon == spec) {
        buf_set_str(reason, "expected type:name");
    } else {
        type = mem_strndup(spec, (size_t)(colon - spec));
        name = colon + 1;
        for (size_t i = 0; i < sizeof(dict_types) / sizeof(dict_types[0]); i++)
            if (strcmp(dict_types[i].type, type) == 0)
                dt = &dict_types[i];
        if (dt == NULL)
            buf_printf(reason, "unsupported table type \"%s\"", type);
        else
            dict = dt->open(name, flags, reason);
    }
    if (dict == NULL && err != NULL)
        buf_printf(err, "table %s: %s", spec, buf_str(reason));
    mem_free(type);
    buf_free(reason);
    return dict;
}

const char *dict_lookup(struct dict *dict, const char *key)
{
    if (dict->flags & DICT_FLAG_FOLD_CASE) {
        buf_set_str(dict->fold, key);
        buf_lower(dict->fold);
        key = buf_str(dict->fold);
    }
    dict->error = DICT_ERR_NONE;
    return dict->lookup(dict, key);
}

int dict_error(const struct dict *dict)
{
    return dict->error;
}

int dict_changed(struct dict *dict)
{
    return dict->changed ? dict->changed(dict) : 0;
}

void dict_close(struct dict *dict)
{
    if (dict != NULL)
        dict->close(dict);
}
