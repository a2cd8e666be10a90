/*
 * mastercf - read master.cf, the table of services master runs
 *
 * master.cf has main.cf's comment and continuation rules (conf.c). Each
 * logical line is one service with eight columns separated by white
 * space:
 *	service type private unpriv chroot wakeup maxproc command [args]
 * service is a name (unix, unix-dgram, fifo, pass: a socket under
 * private/ or public/) or [host:]port (inet). type is inet, unix,
 * unix-dgram, fifo or pass. private, unpriv and chroot are y or n.
 * wakeup is a number of seconds, optionally followed by '?' (only once
 * the service has been used). maxproc is a number (0: no limit). '-' in
 * columns 3 to 7 means the default: private y (n for inet, which cannot
 * be private), unpriv y, chroot n, wakeup 0 (never), maxproc
 * $default_process_limit (left to master: maxproc_default is set).
 *
 * The command and its arguments are split at white space; "{ text }"
 * makes one argument "text" that may contain white space (braces and the
 * white space just inside them dropped). "-o name=value", "-oname=value"
 * and "-o { name = value }" among the leading options (the skeleton's
 * getopt options; option letters i m n o r s t take a value) are also
 * collected as overrides, in order, and stay in argv so that master
 * hands them to the program.
 *
 * When two entries have the same service name and type, the later one
 * wins and a warning names both lines.
 *
 * Public functions:
 *	mastercf_read(path, cf, err)	parse; -1 with "PATH, line N:
 *					reason" in err (cf is then empty)
 *	mastercf_read_text(label, text, len, cf, err)	the same from memory
 *	mastercf_free(cf)		release the entries
 *	mastercf_find(cf, service, type)	entry or NULL
 *	mastercf_type_name(type)	"inet", "unix", ...
 *
 * Diagnostics (errors): too few columns, bad service type, bad y/n
 * value, bad wakeup or maxproc, an inet service marked private, an empty
 * service name, unbalanced braces, -o without a value or without '=' or
 * with a bad parameter name, more than MASTERCF_SERVICES_MAX services.
 * Warning: duplicate service (msg_warn).
 *
 * Configuration parameters: none (master applies default_process_limit).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "mastercf.h"
#include "mem.h"
#include "msg.h"

static const struct {
    const char *name;
    enum mastercf_type type;
} mastercf_types[] = {
    {"inet", MASTERCF_INET},
    {"unix", MASTERCF_UNIX},
    {"unix-dgram", MASTERCF_UNIX_DGRAM},
    {"fifo", MASTERCF_FIFO},
    {"pass", MASTERCF_PASS},
};

#define MASTERCF_NTYPES (sizeof(mastercf_types) / sizeof(mastercf_types[0]))

/* Options of the server skeleton that take a value (spec c.3). */
#define MASTERCF_OPTARG_LETTERS "imnorst"

const char *mastercf_type_name(enum mastercf_type type)
{
    for (size_t i = 0; i < MASTERCF_NTYPES; i++)
        if (mastercf_types[i].type == type)
            return mastercf_types[i].name;
    return "unknown";
}

static void mastercf_entry_free(struct mastercf_entry *ent)
{
    mem_free(ent->service);
    mem_free(ent->type);
    if (ent->argv) {
        for (size_t i = 0; i < ent->argc; i++)
            mem_free(ent->argv[i]);
        mem_free(ent->argv);
    }
    for (size_t i = 0; i < ent->noverrides; i++) {
        mem_free(ent->overrides[i].name);
        mem_free(ent->overrides[i].value);
    }
    mem_free(ent->overrides);
}

void mastercf_free(struct mastercf *cf)
{
    for (size_t i = 0; i < cf->count; i++)
        mastercf_entry_free(cf->entries + i);
    mem_free(cf->entries);
    cf->entries = NULL;
    cf->count = 0;
}

const struct mastercf_entry *
mastercf_find(const struct mastercf *cf, const char *service, const char *type)
{
    for (size_t i = 0; i < cf->count; i++)
        if (strcmp(cf->entries[i].service, service) == 0 &&
            strcmp(cf->entries[i].type, type) == 0)
            return cf->entries + i;
    return NULL;
}

/* y, n or '-' (dflt). */
static int mastercf_bool(const char *text, const char *column, int dflt,
                         int *out, struct buf *err)
{
    if (strcmp(text, "-") == 0)
        *out = dflt;
    else if (strcmp(text, "y") == 0)
        *out = 1;
    else if (strcmp(text, "n") == 0)
        *out = 0;
    else {
        buf_printf(err, "bad %s column \"%.100s\" (use y, n or -)", column,
                   text);
        return -1;
    }
    return 0;
}

/* Digits only, at most MASTERCF_NUMBER_MAX. */
static int mastercf_number(const char *text, size_t len, int *out)
{
    long val = 0;

    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)text[i]))
            return -1;
        val = val * 10 + (text[i] - '0');
        if (val > MASTERCF_NUMBER_MAX)
            return -1;
    }
    *out = (int)val;
    return 0;
}

/* Record "name=value" (or "name = value" from a {} group) as an override. */
static int mastercf_add_override(struct mastercf_entry *ent, const char *arg,
                                 struct buf *err)
{
    const char *eq = strchr(arg, '=');
    const char *name = arg;
    const char *value;
    size_t len;
    size_t vlen;
    struct mastercf_override *ov;

    if (eq == NULL) {
        buf_printf(err, "-o %.100s: missing '=' (use -o name=value)", arg);
        return -1;
    }
    len = (size_t)(eq - arg);
    while (len > 0 && isspace((unsigned char)name[len - 1]))
        len--;
    while (len > 0 && isspace((unsigned char)*name))
        name++, len--;
    if (!conf_name_valid(name, len)) {
        buf_printf(err, "-o %.100s: bad parameter name", arg);
        return -1;
    }
    value = eq + 1;
    vlen = strlen(value);
    while (vlen > 0 && isspace((unsigned char)*value))
        value++, vlen--;
    while (vlen > 0 && isspace((unsigned char)value[vlen - 1]))
        vlen--;
    ent->overrides = mem_realloc(ent->overrides, (ent->noverrides + 1) *
                                                     sizeof(*ent->overrides));
    ov = ent->overrides + ent->noverrides++;
    ov->name = mem_strndup(name, len);
    ov->value = mem_strndup(value, vlen);
    return 0;
}

/*
 * Collect the -o overrides the way the program's getopt() will see its
 * options: they end at the first argument that is not an option, so a
 * "-o" handed on to an external command (pipe's argv=...) is not ours.
 */
static int mastercf_options(struct mastercf_entry *ent, struct buf *err)
{
    for (size_t i = 1; i < ent->argc; i++) {
        const char *arg = ent->argv[i];

        if (arg[0] != '-' || arg[1] == 0 || strcmp(arg, "--") == 0)
            return 0;
        for (const char *cp = arg + 1; *cp; cp++) {
            const char *optarg;

            if (strchr(MASTERCF_OPTARG_LETTERS, *cp) == NULL)
                continue;
            if (cp[1] != 0) {
                optarg = cp + 1;
            } else if (i + 1 < ent->argc) {
                optarg = ent->argv[++i];
            } else {
                buf_printf(err, "-%c without a value%s", *cp,
                           *cp == 'o' ? " (use -o name=value)" : "");
                return -1;
            }
            if (*cp == 'o' && mastercf_add_override(ent, optarg, err) < 0)
                return -1;
            break;
        }
    }
    return 0;
}

struct mastercf_ctx {
    struct mastercf *cf;
    const char *label;
};

/* Parse one logical line into ent; -1 with a reason in err. */
static int mastercf_parse(char *line, int lineno, struct mastercf_entry *ent,
                          struct buf *err)
{
    struct conf_list cols;
    char **col;
    const char *wakeup;
    size_t wlen;
    size_t i;
    int ret = -1;

    memset(ent, 0, sizeof(*ent));
    ent->line = lineno;
    conf_list_init(&cols);
    if (conf_split(line, CONF_ARG_SEPARATORS, &cols, err) < 0)
        goto done;
    col = cols.items;
    if (cols.count < 8) {
        buf_printf(err,
                   "too few columns (%zu, need 8: service type private "
                   "unpriv chroot wakeup maxproc command)",
                   cols.count);
        goto done;
    }
    if (col[0][0] == 0) {
        buf_set_str(err, "empty service name");
        goto done;
    }
    ent->service = mem_strdup(col[0]);
    for (i = 0; i < MASTERCF_NTYPES; i++)
        if (strcmp(col[1], mastercf_types[i].name) == 0)
            break;
    if (i == MASTERCF_NTYPES) {
        buf_printf(err,
                   "bad service type \"%.100s\" (use inet, unix, "
                   "unix-dgram, fifo or pass)",
                   col[1]);
        goto done;
    }
    ent->type = mem_strdup(col[1]);
    ent->type_code = mastercf_types[i].type;
    if (mastercf_bool(col[2], "private", ent->type_code != MASTERCF_INET,
                      &ent->private_sock, err) < 0 ||
        mastercf_bool(col[3], "unpriv", 1, &ent->unpriv, err) < 0 ||
        mastercf_bool(col[4], "chroot", 0, &ent->chroot, err) < 0)
        goto done;
    if (ent->type_code == MASTERCF_INET && ent->private_sock) {
        buf_printf(err, "inet service %.100s cannot be private", ent->service);
        goto done;
    }
    wakeup = col[5];
    wlen = strlen(wakeup);
    if (strcmp(wakeup, "-") != 0) {
        if (wlen > 0 && wakeup[wlen - 1] == '?') {
            ent->wakeup_conditional = 1;
            wlen--;
        }
        if (mastercf_number(wakeup, wlen, &ent->wakeup) < 0) {
            buf_printf(err,
                       "bad wakeup column \"%.100s\" (seconds, with "
                       "an optional '?', or -)",
                       col[5]);
            goto done;
        }
    }
    if (strcmp(col[6], "-") == 0)
        ent->maxproc_default = 1;
    else if (mastercf_number(col[6], strlen(col[6]), &ent->maxproc) < 0) {
        buf_printf(err, "bad maxproc column \"%.100s\" (a number or -)",
                   col[6]);
        goto done;
    }

    /* The command: take the strings over from the column list. */
    ent->argc = cols.count - 7;
    ent->argv = mem_alloc((ent->argc + 1) * sizeof(char *));
    for (i = 0; i < ent->argc; i++) {
        ent->argv[i] = col[7 + i];
        col[7 + i] = NULL;
    }
    ent->argv[ent->argc] = NULL;
    if (mastercf_options(ent, err) < 0)
        goto done;
    ret = 0;

done:
    /* Columns not handed to argv. */
    for (i = 0; i < cols.count; i++)
        mem_free(cols.items[i]);
    mem_free(cols.items);
    if (ret < 0)
        mastercf_entry_free(ent);
    return ret;
}

static int mastercf_line(void *ptr, char *line, int lineno, struct buf *err)
{
    struct mastercf_ctx *ctx = ptr;
    struct mastercf *cf = ctx->cf;
    struct mastercf_entry ent;

    if (mastercf_parse(line, lineno, &ent, err) < 0)
        return -1;
    for (size_t i = 0; i < cf->count; i++) {
        struct mastercf_entry *old = cf->entries + i;

        if (strcmp(old->service, ent.service) == 0 &&
            strcmp(old->type, ent.type) == 0) {
            msg_warn("%s, line %d: duplicate service %s/%s (first at line "
                     "%d); using the entry at line %d",
                     ctx->label, lineno, ent.service, ent.type, old->line,
                     lineno);
            mastercf_entry_free(old);
            memmove(old, old + 1, (cf->count - i - 1) * sizeof(*old));
            cf->count--;
            break;
        }
    }
    if (cf->count >= MASTERCF_SERVICES_MAX) {
        buf_printf(err, "more than %d services", MASTERCF_SERVICES_MAX);
        mastercf_entry_free(&ent);
        return -1;
    }
    cf->entries =
        mem_realloc(cf->entries, (cf->count + 1) * sizeof(*cf->entries));
    cf->entries[cf->count++] = ent;
    return 0;
}

int mastercf_read_text(const char *label, const char *text, size_t len,
                       struct mastercf *out, struct buf *err)
{
    struct mastercf_ctx ctx = {out, label};

    out->entries = NULL;
    out->count = 0;
    if (conf_scan_text(label, text, len, mastercf_line, &ctx, err) < 0) {
        mastercf_free(out);
        return -1;
    }
    return 0;
}

int mastercf_read(const char *path, struct mastercf *out, struct buf *err)
{
    struct buf *data = buf_alloc(4096);
    int ret = -1;

    out->entries = NULL;
    out->count = 0;
    if (conf_load_file(path, data, err) == 0)
        ret = mastercf_read_text(path, buf_str(data), buf_len(data), out, err);
    buf_free(data);
    return ret;
}
