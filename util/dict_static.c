/*
 * dict_static - the table that has one value for every key
 *
 * "static:value" answers value to any lookup; "static:{ value with
 * spaces }" allows white space (trimmed at both ends inside the braces).
 * Used where a parameter wants a table but the answer is fixed, such as
 * a transport for everything.
 *
 * Public functions:
 *	dict_static_open(name, flags, err)	called by dict_open()
 *
 * Diagnostics: unbalanced braces or text after the closing brace fail
 * the open with a reason in err. An empty value is allowed.
 *
 * Configuration parameters: none.
 */
#include "dict.h"
#include "mem.h"

struct dict_static {
    struct dict dict; /* must be first */
    char *value;
};

static const char *dict_static_lookup(struct dict *dict, const char *key)
{
    (void)key;
    return ((struct dict_static *)dict)->value;
}

static void dict_static_close(struct dict *dict)
{
    mem_free(((struct dict_static *)dict)->value);
    dict_free(dict);
}

struct dict *dict_static_open(const char *name, int flags, struct buf *err)
{
    struct dict_static *ds;
    struct buf *value = buf_alloc(64);
    const char *cp = name;

    while (*cp == ' ' || *cp == '\t' || *cp == '\r' || *cp == '\n')
        cp++;
    if (*cp == '{') {
        if (dict_strip_braces(cp, value, err) < 0) {
            buf_free(value);
            return NULL;
        }
    } else {
        buf_set_str(value, name);
    }
    ds = (struct dict_static *)dict_alloc(sizeof(*ds), "static", name, flags);
    ds->value = buf_export(value);
    ds->dict.lookup = dict_static_lookup;
    ds->dict.close = dict_static_close;
    return &ds->dict;
}
