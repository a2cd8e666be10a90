/*
 * conf - main.cf: parameters, $name expansion, lists, logical lines
 *
 * A struct conf holds what main.cf (and -o overrides) set: parameter name
 * -> raw value, exactly as written. Nothing is expanded when the file is
 * read; a value is expanded when a program asks for it, so that a later
 * definition of a parameter it refers to still counts ("last definition
 * wins" applies to the whole file, not to the lines above). A parameter
 * that is not set takes its default from the parameter table
 * (param_table.c); a per-transport parameter (smtp_recipient_limit) of a
 * transport made known with conf_add_transport() defaults to
 * "$<fallback>" (default_recipient_limit).
 *
 * File syntax (main.cf and master.cf share it): a logical line is a line
 * that starts with a non-blank character plus the lines after it that
 * start with white space; blank lines and lines whose first non-blank
 * character is '#' are ignored everywhere, also between a line and its
 * continuation; a continuation is joined to the line before it with one
 * space. There are no trailing comments. main.cf lines are
 * "name = value"; white space around '=' and at the end is dropped.
 * Names are [A-Za-z0-9_.-] (Postfix takes any non-blank text; these are
 * the characters real names and transport names use). Postfix only warns
 * about a first line that starts with white space; we reject it, like
 * every other malformed line, with its file and line number.
 *
 * Expansion: $name, ${name}, $(name); $$ is a literal '$';
 * ${name?text} / ${name?{text}}: text if name's raw value is non-empty;
 * ${name:text} / ${name:{text}}: text if it is empty; ${name?{t1}:{t2}};
 * ${{a} OP {b}?{t1}:{t2}} with OP one of == != < <= >= > (numeric when
 * both sides are all digits, else byte-wise) or ==level !=level <level
 * <=level >level >=level (compatibility levels "N[.N[.N]]"). Names are
 * [A-Za-z0-9_]. The value of a referenced parameter is itself expanded.
 * A comparison without "?..." or ":..." yields "true" or nothing.
 * A name that is neither set nor in the table expands to nothing and is
 * counted: conf_expand() returns how many such names it met and lists
 * them in err, so that a program can warn "undefined parameter" (a name
 * tested with ?/: is not counted: testing is how one asks whether it is
 * set). The test in ${name?...} looks at the raw value, as Postfix does.
 *
 * Public functions:
 *	conf_create(), conf_free(conf)	empty table / release it
 *	conf_read_file(conf, path, err)	add main.cf's definitions; -1 with
 *					"PATH, line N: reason" in err
 *	conf_read_text(conf, label, text, len, err)  the same from memory
 *	conf_set(conf, name, value)	set one parameter (-o overrides,
 *					tests); name and value are trimmed;
 *					-1 if the name is malformed
 *	conf_raw(conf, name)		value set in main.cf/conf_set, or NULL
 *	conf_value(conf, name)		raw value, else the default, else NULL
 *	conf_default(conf, name)	the default alone (table, dynamic or
 *					per-transport), or NULL
 *	conf_add_transport(conf, name)	name is a master.cf transport: its
 *					<name>_<suffix> parameters exist
 *	conf_name_valid(name, len)	[A-Za-z0-9_.-]{1,CONF_NAME_MAX}
 *	conf_hold(conf, str)		conf takes str; freed by conf_free
 *	conf_dir_absolute(dir)		dir made absolute against the
 *					current directory, allocated
 *	conf_walk(conf, fn, ctx)	visit set parameters in name order
 *	conf_expand(conf, text, out, err)	expand into out (replaced)
 *	conf_list_init/add/free		a growable NULL-terminated list
 *	conf_split(text, separators, list, err)	split into list (appends);
 *					"{ a b }" is one element "a b"
 *	conf_split_list(value, list, err)	conf_split with ", \t\r\n"
 *	conf_split_list_argv(value)	the same as a NULL-terminated array
 *					(free with conf_argv_free); NULL if
 *					the braces are unbalanced
 *	conf_scan_file(path, fn, ctx, err), conf_scan_text(...)
 *					call fn for each logical line
 *	conf_load_file(path, data, err)	read a whole (small) file
 *
 * Pointers returned by conf_raw/conf_value/conf_default stay valid until
 * the conf is changed (conf_set, conf_read_*, conf_add_transport) or freed.
 *
 * Limits: files up to CONF_FILE_MAX bytes, names up to CONF_NAME_MAX,
 * parameter references nested CONF_EXPAND_DEPTH deep, one expansion at
 * most CONF_EXPAND_MAX bytes and CONF_EXPAND_WORK references, lists of
 * CONF_LIST_MAX elements.
 *
 * Diagnostics: errors are returned in a struct buf: "PATH, line N: missing
 * '=' after parameter name", "bad parameter name", "continuation line
 * without a preceding line", "NUL byte"; expansion: "unbalanced '{'",
 * "recursive definition: a -> b -> a", "bad character after '$'", syntax
 * errors in ${...}. A read-only parameter in main.cf (process_id,
 * process_name, service_name) is ignored with a warning.
 *
 * Configuration parameters: none of its own; defaults come from the
 * parameter table.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "param.h"

/* One expansion may look up at most this many parameters ($a = $b$b...). */
#define CONF_EXPAND_WORK 100000

/* Nesting of ${...} groups inside one text, so the C stack stays small. */
#define CONF_GROUP_DEPTH 200

struct conf_entry {
    char *name;
    char *value;
    struct conf_entry *next;
};

struct conf_cache {
    char *name;
    char *value; /* NULL while being computed */
    struct conf_cache *next;
};

struct conf {
    struct conf_entry **bucket;
    size_t nbucket; /* power of two */
    size_t count;
    struct conf_cache *cache; /* computed defaults */
    char **transports;
    size_t ntransports;
    char **held;
    size_t nheld;
};

/* --- the table --- */

static size_t conf_hash(const char *name)
{
    size_t h = 2166136261u;

    while (*name)
        h = (h ^ (unsigned char)*name++) * 16777619u;
    return h;
}

struct conf *conf_create(void)
{
    struct conf *conf = mem_zalloc(sizeof(*conf));

    conf->nbucket = 64;
    conf->bucket = mem_zalloc(conf->nbucket * sizeof(*conf->bucket));
    return conf;
}

static void conf_cache_clear(struct conf *conf)
{
    struct conf_cache *c;

    while ((c = conf->cache) != NULL) {
        conf->cache = c->next;
        mem_free(c->name);
        mem_free(c->value);
        mem_free(c);
    }
}

void conf_free(struct conf *conf)
{
    if (conf == NULL)
        return;
    for (size_t i = 0; i < conf->nbucket; i++) {
        struct conf_entry *e = conf->bucket[i];

        while (e) {
            struct conf_entry *next = e->next;

            mem_free(e->name);
            mem_free(e->value);
            mem_free(e);
            e = next;
        }
    }
    mem_free(conf->bucket);
    conf_cache_clear(conf);
    for (size_t i = 0; i < conf->ntransports; i++)
        mem_free(conf->transports[i]);
    mem_free(conf->transports);
    for (size_t i = 0; i < conf->nheld; i++)
        mem_free(conf->held[i]);
    mem_free(conf->held);
    mem_free(conf);
}

static struct conf_entry *conf_find(const struct conf *conf, const char *name)
{
    struct conf_entry *e = conf->bucket[conf_hash(name) & (conf->nbucket - 1)];

    while (e && strcmp(e->name, name) != 0)
        e = e->next;
    return e;
}

static void conf_grow(struct conf *conf)
{
    size_t nbucket = conf->nbucket * 2;
    struct conf_entry **bucket = mem_zalloc(nbucket * sizeof(*bucket));

    for (size_t i = 0; i < conf->nbucket; i++) {
        struct conf_entry *e = conf->bucket[i];

        while (e) {
            struct conf_entry *next = e->next;
            size_t slot = conf_hash(e->name) & (nbucket - 1);

            e->next = bucket[slot];
            bucket[slot] = e;
            e = next;
        }
    }
    mem_free(conf->bucket);
    conf->bucket = bucket;
    conf->nbucket = nbucket;
}

int conf_name_valid(const char *name, size_t len)
{
    if (len == 0 || len > CONF_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];

        if (!isalnum(ch) && ch != '_' && ch != '-' && ch != '.')
            return 0;
    }
    return 1;
}

/* Store name (len bytes) = value (vlen bytes); both already validated. */
static void conf_store(struct conf *conf, const char *name, size_t len,
                       const char *value, size_t vlen)
{
    char *key = mem_strndup(name, len);
    struct conf_entry *e = conf_find(conf, key);

    conf_cache_clear(conf);
    if (e) {
        mem_free(key);
        mem_free(e->value);
        e->value = mem_strndup(value, vlen);
        return;
    }
    if (conf->count >= conf->nbucket)
        conf_grow(conf);
    e = mem_alloc(sizeof(*e));
    e->name = key;
    e->value = mem_strndup(value, vlen);
    e->next = conf->bucket[conf_hash(key) & (conf->nbucket - 1)];
    conf->bucket[conf_hash(key) & (conf->nbucket - 1)] = e;
    conf->count++;
}

static void conf_trim(const char **start, size_t *len)
{
    while (*len > 0 && isspace((unsigned char)**start)) {
        (*start)++;
        (*len)--;
    }
    while (*len > 0 && isspace((unsigned char)(*start)[*len - 1]))
        (*len)--;
}

int conf_set(struct conf *conf, const char *name, const char *value)
{
    size_t len = strlen(name);
    size_t vlen = strlen(value);

    conf_trim(&name, &len);
    conf_trim(&value, &vlen);
    if (!conf_name_valid(name, len))
        return -1;
    conf_store(conf, name, len, value, vlen);
    return 0;
}

const char *conf_raw(const struct conf *conf, const char *name)
{
    struct conf_entry *e = conf_find(conf, name);

    return e ? e->value : NULL;
}

const char *conf_hold(struct conf *conf, char *str)
{
    conf->held = mem_realloc(conf->held, (conf->nheld + 1) * sizeof(char *));
    conf->held[conf->nheld++] = str;
    return str;
}

void conf_add_transport(struct conf *conf, const char *transport)
{
    for (size_t i = 0; i < conf->ntransports; i++)
        if (strcmp(conf->transports[i], transport) == 0)
            return;
    conf->transports =
        mem_realloc(conf->transports, (conf->ntransports + 1) * sizeof(char *));
    conf->transports[conf->ntransports++] = mem_strdup(transport);
    conf_cache_clear(conf);
}

static int conf_is_transport(const struct conf *conf, const char *name,
                             size_t len)
{
    for (size_t i = 0; i < conf->ntransports; i++)
        if (strlen(conf->transports[i]) == len &&
            memcmp(conf->transports[i], name, len) == 0)
            return 1;
    return 0;
}

/*
 * Defaults that are computed (host name, process id) or derived (the
 * per-transport "$fallback") are made once and cached until the conf
 * changes, so that the returned pointer has an owner.
 */
const char *conf_default(struct conf *conf, const char *name)
{
    const struct param_def *def = param_table_lookup(name);
    const struct param_family *fam = NULL;
    struct conf_cache *c;
    struct buf *val;
    size_t prefix_len = 0;

    if (def && !(def->flags & PARAM_F_DYNAMIC))
        return def->defval;
    if (def == NULL) {
        fam = param_family_match(name, &prefix_len);
        if (fam == NULL || !conf_is_transport(conf, name, prefix_len))
            return NULL;
    }
    for (c = conf->cache; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            /* NULL: asked again while computing it (a loop). */
            return c->value ? c->value : "";
    c = mem_alloc(sizeof(*c));
    c->name = mem_strdup(name);
    c->value = NULL;
    c->next = conf->cache;
    conf->cache = c;
    val = buf_alloc(64);
    if (def)
        param_dynamic_default(conf, def, val);
    else
        buf_printf(val, "$%s", fam->fallback);
    /* The computation may have cleared the cache: look again. */
    for (c = conf->cache; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            break;
    if (c == NULL) {
        c = mem_alloc(sizeof(*c));
        c->name = mem_strdup(name);
        c->next = conf->cache;
        conf->cache = c;
    } else {
        mem_free(c->value);
    }
    c->value = buf_export(val);
    return c->value;
}

const char *conf_value(struct conf *conf, const char *name)
{
    const char *raw = conf_raw(conf, name);

    return raw ? raw : conf_default(conf, name);
}

static int conf_entry_cmp(const void *a, const void *b)
{
    const struct conf_entry *ea = *(const struct conf_entry *const *)a;
    const struct conf_entry *eb = *(const struct conf_entry *const *)b;

    return strcmp(ea->name, eb->name);
}

void conf_walk(const struct conf *conf,
               void (*fn)(const char *name, const char *value, void *ctx),
               void *ctx)
{
    struct conf_entry **all;
    size_t n = 0;

    if (conf->count == 0)
        return;
    all = mem_alloc(conf->count * sizeof(*all));
    for (size_t i = 0; i < conf->nbucket; i++)
        for (struct conf_entry *e = conf->bucket[i]; e; e = e->next)
            all[n++] = e;
    qsort(all, n, sizeof(*all), conf_entry_cmp);
    for (size_t i = 0; i < n; i++)
        fn(all[i]->name, all[i]->value, ctx);
    mem_free(all);
}

/* --- files and logical lines --- */

int conf_load_file(const char *path, struct buf *data, struct buf *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char chunk[8192];
    ssize_t n;

    buf_reset(data);
    if (fd < 0) {
        buf_printf(err, "open %s: %s", path, strerror(errno));
        return -1;
    }
    for (;;) {
        n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (buf_len(data) + (size_t)n > CONF_FILE_MAX) {
            buf_printf(err, "%s: file is larger than %d bytes", path,
                       CONF_FILE_MAX);
            close(fd);
            return -1;
        }
        buf_append(data, chunk, (size_t)n);
    }
    if (n < 0) {
        buf_printf(err, "read %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

static int conf_flush_line(const char *label, struct buf *logical, int lineno,
                           conf_line_fn fn, void *ctx, struct buf *err)
{
    if (lineno == 0)
        return 0;
    buf_reset(err);
    if (fn(ctx, logical->data, lineno, err) < 0) {
        char *reason = mem_strdup(buf_str(err));

        buf_printf(err, "%s, line %d: %s", label, lineno, reason);
        mem_free(reason);
        return -1;
    }
    return 0;
}

int conf_scan_text(const char *label, const char *text, size_t len,
                   conf_line_fn fn, void *ctx, struct buf *err)
{
    struct buf *logical = buf_alloc(256);
    const char *end = text + len;
    const char *line = text;
    int lineno = 0;
    int start = 0; /* first line of the pending logical line, 0: none */
    int ret = 0;

    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *stop = nl ? nl : end;
        const char *cp = line;

        lineno++;
        if (memchr(line, 0, (size_t)(stop - line)) != NULL) {
            buf_printf(err, "%s, line %d: NUL byte in line", label, lineno);
            ret = -1;
            break;
        }
        while (cp < stop && isspace((unsigned char)*cp))
            cp++;
        if (cp < stop && *cp != '#') {
            if (line == cp) {
                /* A new logical line: hand over the previous one. */
                if (conf_flush_line(label, logical, start, fn, ctx, err) < 0) {
                    ret = -1;
                    break;
                }
                buf_set(logical, line, (size_t)(stop - line));
                start = lineno;
            } else if (start == 0) {
                buf_printf(err,
                           "%s, line %d: continuation line (starts with "
                           "white space) without a preceding line",
                           label, lineno);
                ret = -1;
                break;
            } else {
                /* Joined with one space, as Postfix does. */
                while (buf_len(logical) > 0 &&
                       isspace((unsigned char)logical->data[logical->len - 1]))
                    buf_truncate(logical, buf_len(logical) - 1);
                buf_append_char(logical, ' ');
                buf_append(logical, cp, (size_t)(stop - cp));
            }
        }
        line = nl ? nl + 1 : end;
    }
    if (ret == 0 && conf_flush_line(label, logical, start, fn, ctx, err) < 0)
        ret = -1;
    buf_free(logical);
    return ret;
}

int conf_scan_file(const char *path, conf_line_fn fn, void *ctx,
                   struct buf *err)
{
    struct buf *data = buf_alloc(4096);
    int ret;

    if ((ret = conf_load_file(path, data, err)) == 0)
        ret = conf_scan_text(path, buf_str(data), buf_len(data), fn, ctx, err);
    buf_free(data);
    return ret;
}

struct conf_read_ctx {
    struct conf *conf;
    const char *label;
};

/* One main.cf logical line: name = value. */
static int conf_read_line(void *ptr, char *line, int lineno, struct buf *err)
{
    struct conf_read_ctx *ctx = ptr;
    char *eq = strchr(line, '=');
    const char *name = line;
    const char *value;
    const struct param_def *def;
    size_t len;
    size_t vlen;

    if (eq == NULL) {
        buf_printf(err, "missing '=' after parameter name \"%.100s\"", line);
        return -1;
    }
    len = (size_t)(eq - line);
    conf_trim(&name, &len);
    if (len == 0) {
        buf_set_str(err, "missing parameter name before '='");
        return -1;
    }
    if (!conf_name_valid(name, len)) {
        buf_printf(err, "bad parameter name \"%.*s\"",
                   (int)(len > 100 ? 100 : len), name);
        return -1;
    }
    value = eq + 1;
    vlen = strlen(value);
    conf_trim(&value, &vlen);
    /* The name starts the line, which is ours to modify. */
    line[len] = 0;
    if ((def = param_table_lookup(name)) != NULL &&
        (def->flags & PARAM_F_READONLY)) {
        msg_warn("%s, line %d: ignoring read-only parameter \"%s\"", ctx->label,
                 lineno, name);
        return 0;
    }
    conf_store(ctx->conf, name, len, value, vlen);
    return 0;
}

int conf_read_text(struct conf *conf, const char *label, const char *text,
                   size_t len, struct buf *err)
{
    struct conf_read_ctx ctx = {conf, label};

    return conf_scan_text(label, text, len, conf_read_line, &ctx, err);
}

int conf_read_file(struct conf *conf, const char *path, struct buf *err)
{
    struct buf *data = buf_alloc(4096);
    int ret;

    if ((ret = conf_load_file(path, data, err)) == 0)
        ret = conf_read_text(conf, path, buf_str(data), buf_len(data), err);
    buf_free(data);
    return ret;
}

/* --- lists --- */

void conf_list_init(struct conf_list *list)
{
    list->size = 4;
    list->count = 0;
    list->items = mem_alloc(list->size * sizeof(char *));
    list->items[0] = NULL;
}

void conf_list_add(struct conf_list *list, const char *item, size_t len)
{
    if (list->count + 1 >= list->size) {
        list->size *= 2;
        list->items = mem_realloc(list->items, list->size * sizeof(char *));
    }
    list->items[list->count++] = mem_strndup(item, len);
    list->items[list->count] = NULL;
}

void conf_list_free(struct conf_list *list)
{
    if (list->items == NULL)
        return;
    for (size_t i = 0; i < list->count; i++)
        mem_free(list->items[i]);
    mem_free(list->items);
    list->items = NULL;
    list->count = list->size = 0;
}

/* The '}' that closes the '{' at open, or NULL. */
static const char *conf_match_brace(const char *open)
{
    int depth = 0;

    for (const char *cp = open; *cp; cp++) {
        if (*cp == '{')
            depth++;
        else if (*cp == '}' && --depth == 0)
            return cp;
    }
    return NULL;
}

int conf_split(const char *text, const char *separators, struct conf_list *out,
               struct buf *err)
{
    const char *cp = text;

#define CONF_IS_SEP(c) ((c) != 0 && strchr(separators, (c)) != NULL)

    for (;;) {
        const char *start;

        while (CONF_IS_SEP(*cp))
            cp++;
        if (*cp == 0)
            return 0;
        if (out->count >= CONF_LIST_MAX) {
            buf_printf(err, "more than %d elements in list", CONF_LIST_MAX);
            return -1;
        }
        start = cp;
        if (*cp == '{') {
            /* "{ text }": one element, braces and inner edges dropped. */
            const char *close = conf_match_brace(cp);
            const char *inner = cp + 1;
            size_t len;

            if (close == NULL) {
                buf_printf(err, "unbalanced '{' in \"%.100s\"", start);
                return -1;
            }
            if (close[1] != 0 && !CONF_IS_SEP(close[1])) {
                buf_printf(err, "text after '}' in \"%.100s\"", start);
                return -1;
            }
            len = (size_t)(close - inner);
            conf_trim(&inner, &len);
            conf_list_add(out, inner, len);
            cp = close + 1;
        } else {
            /* Braces inside a word keep separators in it: a${b c}d. */
            int depth = 0;

            for (; *cp; cp++) {
                if (*cp == '{') {
                    depth++;
                } else if (*cp == '}') {
                    if (depth == 0) {
                        buf_printf(err, "unbalanced '}' in \"%.100s\"", start);
                        return -1;
                    }
                    depth--;
                } else if (depth == 0 && CONF_IS_SEP(*cp)) {
                    break;
                }
            }
            if (depth > 0) {
                buf_printf(err, "unbalanced '{' in \"%.100s\"", start);
                return -1;
            }
            conf_list_add(out, start, (size_t)(cp - start));
        }
    }
#undef CONF_IS_SEP
}

int conf_split_list(const char *value, struct conf_list *out, struct buf *err)
{
    return conf_split(value, CONF_LIST_SEPARATORS, out, err);
}

char **conf_split_list_argv(const char *value)
{
    struct conf_list list;
    struct buf *err = buf_alloc(100);

    conf_list_init(&list);
    if (conf_split_list(value, &list, err) < 0) {
        conf_list_free(&list);
        buf_free(err);
        return NULL;
    }
    buf_free(err);
    return list.items;
}

void conf_argv_free(char **argv)
{
    if (argv == NULL)
        return;
    for (char **cp = argv; *cp; cp++)
        mem_free(*cp);
    mem_free(argv);
}

/* --- expansion --- */

struct conf_exp {
    struct conf *conf;
    struct buf *err;
    struct buf *undef; /* "a, b": distinct undefined names */
    int undef_count;
    const char *stack[CONF_EXPAND_DEPTH]; /* parameters being expanded */
    int depth;
    int groups; /* current ${...} nesting */
    long work;  /* parameter references so far */
};

static int conf_exp_text(struct conf_exp *ex, const char *text, size_t len,
                         struct buf *out);

/* Quote at most 100 bytes of a text in an error message. */
#define CONF_SHOW(len) ((int)((len) > 100 ? 100 : (len)))

#define CONF_IS_NAME(c) (isalnum((unsigned char)(c)) || (c) == '_')

/* Set err; inside a parameter's value, say which parameter. */
static int conf_exp_fail(struct conf_exp *ex, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int conf_exp_fail(struct conf_exp *ex, const char *fmt, ...)
{
    va_list ap;

    buf_reset(ex->err);
    if (ex->depth > 0)
        buf_printf(ex->err, "parameter %s: ", ex->stack[ex->depth - 1]);
    va_start(ap, fmt);
    buf_append_vprintf(ex->err, fmt, ap);
    va_end(ap);
    return -1;
}

static int conf_exp_check_size(struct conf_exp *ex, const struct buf *out)
{
    if (buf_len(out) > CONF_EXPAND_MAX)
        return conf_exp_fail(ex, "expansion is longer than %d bytes",
                             CONF_EXPAND_MAX);
    return 0;
}

static void conf_exp_note_undef(struct conf_exp *ex, const char *name)
{
    const char *cp = buf_str(ex->undef);
    size_t len = strlen(name);

    /* The list is "a, b, c": look for name as a whole element. */
    while ((cp = strstr(cp, name)) != NULL) {
        if ((cp == buf_str(ex->undef) || cp[-1] == ' ') &&
            (cp[len] == 0 || cp[len] == ','))
            return;
        cp += len;
    }
    if (ex->undef_count++ > 0)
        buf_append_str(ex->undef, ", ");
    buf_append_str(ex->undef, name);
}

/* Expand the value of parameter name (len bytes). */
static int conf_exp_param(struct conf_exp *ex, const char *name, size_t len,
                          struct buf *out)
{
    char key[CONF_NAME_MAX + 1];
    const char *value;
    int ret;

    if (len > CONF_NAME_MAX)
        return conf_exp_fail(ex, "parameter name too long: \"%.100s...\"",
                             name);
    memcpy(key, name, len);
    key[len] = 0;
    if (++ex->work > CONF_EXPAND_WORK)
        return conf_exp_fail(ex,
                             "expansion needs more than %d parameter "
                             "lookups",
                             CONF_EXPAND_WORK);
    for (int i = 0; i < ex->depth; i++) {
        if (strcmp(ex->stack[i], key) == 0) {
            /* Expanding a parameter inside itself can never end. */
            buf_printf(ex->err, "recursive definition of parameter %s: ", key);
            for (int j = i; j < ex->depth; j++)
                buf_append_printf(ex->err, "%s -> ", ex->stack[j]);
            buf_append_str(ex->err, key);
            return -1;
        }
    }
    if (ex->depth >= CONF_EXPAND_DEPTH)
        return conf_exp_fail(ex, "reference to $%s nested more than %d deep",
                             key, CONF_EXPAND_DEPTH);
    if ((value = conf_value(ex->conf, key)) == NULL) {
        conf_exp_note_undef(ex, key);
        return 0;
    }
    ex->stack[ex->depth++] = key;
    ret = conf_exp_text(ex, value, strlen(value), out);
    ex->depth--;
    return ret;
}

/* The '}' that closes the '{' at text[0], within len bytes; -1 if none. */
static long conf_exp_group_end(const char *text, size_t len, char open,
                               char close)
{
    int depth = 0;

    for (size_t i = 0; i < len; i++) {
        if (text[i] == open)
            depth++;
        else if (text[i] == close && --depth == 0)
            return (long)i;
    }
    return -1;
}

static size_t conf_exp_skip_space(const char *text, size_t len, size_t i)
{
    while (i < len && isspace((unsigned char)text[i]))
        i++;
    return i;
}

/* Parse "{text}" at text[*ip]; sets the inner part; -1 if malformed. */
static int conf_exp_take_group(struct conf_exp *ex, const char *text,
                               size_t len, size_t *ip, const char **inner,
                               size_t *inner_len)
{
    long end;

    if (*ip >= len || text[*ip] != '{')
        return conf_exp_fail(ex, "expected '{' in \"%.*s\"", CONF_SHOW(len),
                             text);
    end = conf_exp_group_end(text + *ip, len - *ip, '{', '}');
    if (end < 0)
        return conf_exp_fail(ex, "unbalanced '{' in \"%.*s\"", CONF_SHOW(len),
                             text);
    *inner = text + *ip + 1;
    *inner_len = (size_t)end - 1;
    *ip += (size_t)end + 1;
    return 0;
}

/*
 * The "?..." or ":..." part after a name or a comparison, at text[i].
 * Sets which text to expand when the condition is true or false.
 */
struct conf_exp_branches {
    const char *if_true;
    size_t true_len;
    const char *if_false;
    size_t false_len;
};

static int conf_exp_branches(struct conf_exp *ex, const char *text, size_t len,
                             size_t i, struct conf_exp_branches *br)
{
    char op = text[i];
    size_t j;

    memset(br, 0, sizeof(*br));
    j = conf_exp_skip_space(text, len, i + 1);
    if (j >= len || text[j] != '{') {
        /* ${name?text}: the rest, verbatim. */
        if (op == '?') {
            br->if_true = text + i + 1;
            br->true_len = len - i - 1;
        } else {
            br->if_false = text + i + 1;
            br->false_len = len - i - 1;
        }
        return 0;
    }
    if (op == '?') {
        if (conf_exp_take_group(ex, text, len, &j, &br->if_true,
                                &br->true_len) < 0)
            return -1;
        j = conf_exp_skip_space(text, len, j);
        if (j < len && text[j] == ':') {
            j = conf_exp_skip_space(text, len, j + 1);
            if (conf_exp_take_group(ex, text, len, &j, &br->if_false,
                                    &br->false_len) < 0)
                return -1;
            j = conf_exp_skip_space(text, len, j);
        }
    } else {
        if (conf_exp_take_group(ex, text, len, &j, &br->if_false,
                                &br->false_len) < 0)
            return -1;
        j = conf_exp_skip_space(text, len, j);
    }
    if (j < len)
        return conf_exp_fail(ex, "unexpected text after '}' in \"%.*s\"",
                             CONF_SHOW(len), text);
    return 0;
}

/* A decimal number that does not need to fit in any C type. */
static int conf_exp_all_digits(const char *text, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)text[i]))
            return 0;
    return 1;
}

static int conf_exp_numcmp(const char *a, size_t alen, const char *b,
                           size_t blen)
{
    int cmp;

    while (alen > 1 && *a == '0')
        a++, alen--;
    while (blen > 1 && *b == '0')
        b++, blen--;
    if (alen != blen)
        return alen < blen ? -1 : 1;
    cmp = memcmp(a, b, alen);
    return cmp < 0 ? -1 : cmp > 0;
}

/* "major[.minor[.patch]]" -> three numbers; -1 if malformed. */
static int conf_exp_level(const char *text, long level[3])
{
    const char *cp = text;

    level[0] = level[1] = level[2] = 0;
    for (int i = 0; i < 3; i++) {
        long n = 0;

        if (!isdigit((unsigned char)*cp))
            return -1;
        while (isdigit((unsigned char)*cp)) {
            if (n > 100000000)
                return -1;
            n = n * 10 + (*cp++ - '0');
        }
        level[i] = n;
        if (*cp == 0)
            return 0;
        if (*cp++ != '.')
            return -1;
    }
    return -1;
}

/* ${{a} OP {b}...}: the body starts with '{'. */
static int conf_exp_compare(struct conf_exp *ex, const char *text, size_t len,
                            struct buf *out)
{
    static const char *const ops[] = {"==", "!=", "<=", ">=", "<", ">"};
    struct conf_exp_branches br;
    const char *left;
    const char *right;
    size_t left_len;
    size_t right_len;
    size_t i = 0;
    size_t op_len;
    int op = -1;
    int level = 0;
    int cmp;
    int truth = 0;
    struct buf *a;
    struct buf *b;
    int ret = -1;

    if (conf_exp_take_group(ex, text, len, &i, &left, &left_len) < 0)
        return -1;
    i = conf_exp_skip_space(text, len, i);
    for (int k = 0; k < 6; k++) {
        op_len = strlen(ops[k]);
        if (len - i >= op_len && memcmp(text + i, ops[k], op_len) == 0) {
            op = k;
            i += op_len;
            break;
        }
    }
    if (op < 0)
        return conf_exp_fail(ex, "missing comparison operator in \"%.*s\"",
                             CONF_SHOW(len), text);
    if (len - i >= 5 && memcmp(text + i, "level", 5) == 0) {
        level = 1;
        i += 5;
    }
    i = conf_exp_skip_space(text, len, i);
    if (conf_exp_take_group(ex, text, len, &i, &right, &right_len) < 0)
        return -1;
    i = conf_exp_skip_space(text, len, i);
    if (i >= len) {
        /* No branches: the result is the truth value itself. */
        memset(&br, 0, sizeof(br));
        br.if_true = "true";
        br.true_len = 4;
    } else if (text[i] != '?' && text[i] != ':') {
        return conf_exp_fail(ex,
                             "unexpected text after comparison in "
                             "\"%.*s\"",
                             CONF_SHOW(len), text);
    } else if (conf_exp_branches(ex, text, len, i, &br) < 0) {
        return -1;
    }

    a = buf_alloc(64);
    b = buf_alloc(64);
    if (conf_exp_text(ex, left, left_len, a) < 0 ||
        conf_exp_text(ex, right, right_len, b) < 0)
        goto done;
    if (level) {
        long la[3];
        long lb[3];

        if (conf_exp_level(buf_str(a), la) < 0 ||
            conf_exp_level(buf_str(b), lb) < 0) {
            conf_exp_fail(ex, "bad compatibility level in \"%.*s\"",
                          CONF_SHOW(len), text);
            goto done;
        }
        cmp = 0;
        for (int k = 0; k < 3 && cmp == 0; k++)
            cmp = la[k] < lb[k] ? -1 : la[k] > lb[k];
    } else if (conf_exp_all_digits(buf_str(a), buf_len(a)) &&
               conf_exp_all_digits(buf_str(b), buf_len(b))) {
        cmp = conf_exp_numcmp(buf_str(a), buf_len(a), buf_str(b), buf_len(b));
    } else {
        cmp = strcmp(buf_str(a), buf_str(b));
        cmp = cmp < 0 ? -1 : cmp > 0;
    }
    switch (op) {
    case 0:
        truth = cmp == 0;
        break;
    case 1:
        truth = cmp != 0;
        break;
    case 2:
        truth = cmp <= 0;
        break;
    case 3:
        truth = cmp >= 0;
        break;
    case 4:
        truth = cmp < 0;
        break;
    case 5:
        truth = cmp > 0;
        break;
    }
    if (truth && br.if_true)
        ret = conf_exp_text(ex, br.if_true, br.true_len, out);
    else if (!truth && br.if_false)
        ret = conf_exp_text(ex, br.if_false, br.false_len, out);
    else
        ret = 0;
done:
    buf_free(a);
    buf_free(b);
    return ret;
}

/* The inside of ${...} or $(...). */
static int conf_exp_group(struct conf_exp *ex, const char *text, size_t len,
                          struct buf *out)
{
    struct conf_exp_branches br;
    char key[CONF_NAME_MAX + 1];
    const char *value;
    size_t i = conf_exp_skip_space(text, len, 0);
    size_t name_start = i;
    size_t name_len;

    if (i < len && text[i] == '{')
        return conf_exp_compare(ex, text + i, len - i, out);
    while (i < len && CONF_IS_NAME(text[i]))
        i++;
    name_len = i - name_start;
    if (name_len == 0)
        return conf_exp_fail(ex, "missing parameter name in \"${%.*s}\"",
                             CONF_SHOW(len), text);
    i = conf_exp_skip_space(text, len, i);
    if (i >= len)
        return conf_exp_param(ex, text + name_start, name_len, out);
    if (text[i] == '{')
        return conf_exp_fail(ex, "unsupported function call in \"${%.*s}\"",
                             CONF_SHOW(len), text);
    if (text[i] != '?' && text[i] != ':')
        return conf_exp_fail(ex, "bad parameter name in \"${%.*s}\"",
                             CONF_SHOW(len), text);
    if (name_len > CONF_NAME_MAX)
        return conf_exp_fail(ex, "parameter name too long in \"${%.100s...\"",
                             text);
    if (conf_exp_branches(ex, text, len, i, &br) < 0)
        return -1;
    memcpy(key, text + name_start, name_len);
    key[name_len] = 0;
    value = conf_value(ex->conf, key);
    if (value && *value) {
        if (br.if_true)
            return conf_exp_text(ex, br.if_true, br.true_len, out);
    } else if (br.if_false) {
        return conf_exp_text(ex, br.if_false, br.false_len, out);
    }
    return 0;
}

static int conf_exp_text(struct conf_exp *ex, const char *text, size_t len,
                         struct buf *out)
{
    size_t i = 0;
    int ret = 0;

    if (++ex->groups > CONF_GROUP_DEPTH) {
        ex->groups--;
        return conf_exp_fail(ex, "${...} nested more than %d deep",
                             CONF_GROUP_DEPTH);
    }
    while (i < len && ret == 0) {
        const char *dollar = memchr(text + i, '$', len - i);
        size_t at;
        char ch;

        if (dollar == NULL) {
            buf_append(out, text + i, len - i);
            break;
        }
        at = (size_t)(dollar - text);
        buf_append(out, text + i, at - i);
        i = at + 1;
        if (i >= len) {
            ret = conf_exp_fail(ex,
                                "'$' at the end of \"%.*s\" (use $$ for "
                                "a literal '$')",
                                CONF_SHOW(len), text);
            break;
        }
        ch = text[i];
        if (ch == '$') {
            buf_append_char(out, '$');
            i++;
        } else if (ch == '{' || ch == '(') {
            char close = ch == '{' ? '}' : ')';
            long end = conf_exp_group_end(text + i, len - i, ch, close);

            if (end < 0) {
                ret = conf_exp_fail(ex, "unbalanced '%c' in \"%.*s\"", ch,
                                    CONF_SHOW(len), text);
                break;
            }
            ret = conf_exp_group(ex, text + i + 1, (size_t)end - 1, out);
            i += (size_t)end + 1;
        } else if (CONF_IS_NAME(ch)) {
            size_t start = i;

            while (i < len && CONF_IS_NAME(text[i]))
                i++;
            ret = conf_exp_param(ex, text + start, i - start, out);
        } else {
            ret = conf_exp_fail(ex,
                                "bad character '%c' after '$' in "
                                "\"%.*s\" (use $$ for a literal '$')",
                                isprint((unsigned char)ch) ? ch : '?',
                                CONF_SHOW(len), text);
        }
        if (ret == 0)
            ret = conf_exp_check_size(ex, out);
    }
    ex->groups--;
    return ret;
}

int conf_expand(struct conf *conf, const char *text, struct buf *out,
                struct buf *err)
{
    struct conf_exp ex;
    struct buf *scratch = err ? NULL : buf_alloc(100);
    int ret;

    memset(&ex, 0, sizeof(ex));
    ex.conf = conf;
    ex.err = err ? err : scratch;
    ex.undef = buf_alloc(64);
    buf_reset(out);
    buf_reset(ex.err);
    ret = conf_exp_text(&ex, text, strlen(text), out);
    if (ret == 0 && ex.undef_count > 0) {
        buf_printf(ex.err, "undefined parameter%s: %s",
                   ex.undef_count > 1 ? "s" : "", buf_str(ex.undef));
        ret = ex.undef_count;
    }
    buf_free(ex.undef);
    buf_free(scratch);
    return ret;
}

/*
 * The configuration directory as an absolute path, allocated: master
 * and its children chdir() to the queue directory, and a relative
 * "-c etc" would then name another directory (or none) on reload and in
 * every child. Fatal if the current directory cannot be found.
 */
char *conf_dir_absolute(const char *dir)
{
    char *cwd;
    char *abs;
    size_t len;

    if (*dir == '/')
        return mem_strdup(dir);
    if ((cwd = getcwd(NULL, 0)) == NULL)
        msg_fatal("cannot make configuration directory %s absolute: "
                  "getcwd: %m",
                  dir);
    len = strlen(cwd) + strlen(dir) + 2;
    abs = mem_alloc(len);
    snprintf(abs, len, "%s/%s", cwd, dir);
    free(cwd);
    return abs;
}
