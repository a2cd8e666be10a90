/*
 * dict_inline - a small table written out in the parameter value
 *
 * "inline:{ key1=value1, key2=value2 }": the table is the list inside
 * the braces, elements separated by commas and/or white space. An
 * element that needs white space is itself wrapped in braces,
 * "{ key = value with spaces }"; white space around the key and the
 * value inside such a group is dropped. The first '=' separates key and
 * value, so values may contain '='; braces nest, so a value may hold a
 * braced list of its own. With DICT_FLAG_FOLD_CASE the keys are
 * lowercased when the table is opened, as lookups will be.
 *
 * Public functions:
 *	dict_inline_open(name, flags, err)	called by dict_open()
 *
 * Diagnostics: the open fails, with the reason in err, on a name not
 * enclosed in braces, unbalanced braces, text after a group's closing
 * brace, an element without '=', an empty key, no elements at all, or
 * more than DICT_INLINE_MAX elements. A key given twice keeps its first
 * value and logs a warning (the same rule as dict_cdb_add()).
 *
 * Configuration parameters: none.
 */
#include <string.h>

#include "dict.h"
#include "mem.h"
#include "msg.h"

#define DICT_INLINE_SEPARATORS ", \t\r\n"

struct dict_inline {
    struct dict dict; /* must be first */
    size_t count;
    char **keys;
    char **values;
};

static const char *dict_inline_lookup(struct dict *dict, const char *key)
{
    struct dict_inline *di = (struct dict_inline *)dict;

    for (size_t i = 0; i < di->count; i++)
        if (strcmp(di->keys[i], key) == 0)
            return di->values[i];
    return NULL;
}

static void dict_inline_close(struct dict *dict)
{
    struct dict_inline *di = (struct dict_inline *)dict;

    for (size_t i = 0; i < di->count; i++) {
        mem_free(di->keys[i]);
        mem_free(di->values[i]);
    }
    mem_free(di->keys);
    mem_free(di->values);
    dict_free(dict);
}

static int dict_inline_is_space(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* A copy of [start, end) without leading and trailing white space. */
static char *dict_inline_trim(const char *start, const char *end)
{
    while (start < end && dict_inline_is_space((unsigned char)*start))
        start++;
    while (end > start && dict_inline_is_space((unsigned char)end[-1]))
        end--;
    return mem_strndup(start, (size_t)(end - start));
}

/* Split one element at its first '=' and add it; -1 with err if bad. */
static int dict_inline_add(struct dict_inline *di, const char *element,
                           struct buf *err)
{
    const char *eq = strchr(element, '=');
    char *key;

    if (eq == NULL) {
        buf_printf(err, "missing '=' in element \"%s\"", element);
        return -1;
    }
    key = dict_inline_trim(element, eq);
    if (*key == 0) {
        buf_printf(err, "missing key in element \"%s\"", element);
        mem_free(key);
        return -1;
    }
    if (di->dict.flags & DICT_FLAG_FOLD_CASE) {
        for (char *cp = key; *cp; cp++)
            if (*cp >= 'A' && *cp <= 'Z')
                *cp = (char)(*cp - 'A' + 'a');
    }
    if (dict_inline_lookup(&di->dict, key) != NULL) {
        msg_warn("table inline:%s: duplicate key \"%s\": first value kept",
                 di->dict.name, key);
        mem_free(key);
        return 0;
    }
    di->keys = mem_realloc(di->keys, (di->count + 1) * sizeof(*di->keys));
    di->values = mem_realloc(di->values, (di->count + 1) * sizeof(*di->values));
    di->keys[di->count] = key;
    di->values[di->count] = dict_inline_trim(eq + 1, eq + strlen(eq));
    di->count++;
    return 0;
}

/* Split the list into elements, honouring nested braces. */
static int dict_inline_parse(struct dict_inline *di, const char *list,
                             struct buf *err)
{
    struct buf *token = buf_alloc(64);
    struct buf *element = buf_alloc(64);
    const char *cp = list;
    int ret = 0;

    for (;;) {
        const char *start;
        int level = 0;

        cp += strspn(cp, DICT_INLINE_SEPARATORS);
        if (*cp == 0)
            break;
        if (di->count >= DICT_INLINE_MAX) {
            buf_printf(err, "more than %d elements", DICT_INLINE_MAX);
            ret = -1;
            break;
        }
        for (start = cp;
             *cp && (level > 0 || strchr(DICT_INLINE_SEPARATORS, *cp) == NULL);
             cp++) {
            if (*cp == '{') {
                level++;
            } else if (*cp == '}' && --level < 0) {
                buf_set_str(err, "unexpected '}'");
                ret = -1;
                break;
            }
        }
        if (ret < 0)
            break;
        if (level > 0) {
            buf_set_str(err, "missing '}'");
            ret = -1;
            break;
        }
        buf_set(token, start, (size_t)(cp - start));
        if (*start == '{') {
            if (dict_strip_braces(buf_str(token), element, err) < 0) {
                ret = -1;
                break;
            }
        } else {
            buf_set(element, buf_str(token), buf_len(token));
        }
        if ((ret = dict_inline_add(di, buf_str(element), err)) < 0)
            break;
    }
    if (ret == 0 && di->count == 0) {
        buf_set_str(err, "empty table");
        ret = -1;
    }
    buf_free(token);
    buf_free(element);
    return ret;
}

struct dict *dict_inline_open(const char *name, int flags, struct buf *err)
{
    struct dict_inline *di;
    struct buf *list = buf_alloc(64);

    if (dict_strip_braces(name, list, err) < 0) {
        buf_free(list);
        return NULL;
    }
    di = (struct dict_inline *)dict_alloc(sizeof(*di), "inline", name, flags);
    di->dict.lookup = dict_inline_lookup;
    di->dict.close = dict_inline_close;
    if (dict_inline_parse(di, buf_str(list), err) < 0) {
        dict_inline_close(&di->dict);
        di = NULL;
    }
    buf_free(list);
    return di ? &di->dict : NULL;
}
