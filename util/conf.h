#ifndef POSTERN_CONF_H
#define POSTERN_CONF_H

#include <stddef.h>

#include "buf.h"

/* Limits on what we accept (see conf.c). */
#define CONF_FILE_MAX     (16 * 1024 * 1024) /* bytes in main.cf/master.cf */
#define CONF_NAME_MAX     256                /* bytes in a parameter name */
#define CONF_EXPAND_DEPTH 100                /* nested $name expansions */
#define CONF_EXPAND_MAX   (1024 * 1024)      /* bytes of one expansion */
#define CONF_LIST_MAX     100000             /* elements of one list */

/*
 * main.cf: a table of parameter name -> raw (unexpanded) value, plus the
 * parameter table's defaults for everything not set. Opaque.
 */
struct conf;

struct conf *conf_create(void);
void conf_free(struct conf *conf);
int conf_read_file(struct conf *conf, const char *path, struct buf *err);
int conf_read_text(struct conf *conf, const char *label, const char *text,
                   size_t len, struct buf *err);
int conf_set(struct conf *conf, const char *name, const char *value);
const char *conf_raw(const struct conf *conf, const char *name);
const char *conf_value(struct conf *conf, const char *name);
const char *conf_default(struct conf *conf, const char *name);
void conf_add_transport(struct conf *conf, const char *transport);
int conf_name_valid(const char *name, size_t len);
char *conf_dir_absolute(const char *dir);
const char *conf_hold(struct conf *conf, char *str);

/* Visit every parameter set in main.cf or with conf_set, in name order. */
void conf_walk(const struct conf *conf,
               void (*fn)(const char *name, const char *value, void *ctx),
               void *ctx);

/* $name expansion; >= 0: number of undefined names referenced, -1: error. */
int conf_expand(struct conf *conf, const char *text, struct buf *out,
                struct buf *err);

/* A list of strings (list-valued parameters, command arguments). */
struct conf_list {
    char **items; /* items[count] is NULL */
    size_t count;
    size_t size; /* allocated slots */
};

#define CONF_LIST_SEPARATORS ", \t\r\n"
#define CONF_ARG_SEPARATORS  " \t\r\n"

void conf_list_init(struct conf_list *list);
void conf_list_add(struct conf_list *list, const char *item, size_t len);
void conf_list_free(struct conf_list *list);
int conf_split(const char *text, const char *separators, struct conf_list *out,
               struct buf *err);
int conf_split_list(const char *value, struct conf_list *out, struct buf *err);
char **conf_split_list_argv(const char *value);
void conf_argv_free(char **argv);

/*
 * Logical lines of a main.cf-style file: comments and blank lines are
 * dropped, continuation lines joined. fn gets each logical line (which it
 * may modify) with the number of its first physical line; it returns 0,
 * or -1 with a reason in err, which the scanner prefixes with
 * "PATH, line N: ".
 */
typedef int (*conf_line_fn)(void *ctx, char *line, int lineno, struct buf *err);

int conf_scan_file(const char *path, conf_line_fn fn, void *ctx,
                   struct buf *err);
int conf_scan_text(const char *label, const char *text, size_t len,
                   conf_line_fn fn, void *ctx, struct buf *err);
int conf_load_file(const char *path, struct buf *data, struct buf *err);

/* Rewrite one parameter in main.cf (conf_edit.c). */
int conf_edit_file(const char *path, const char *name, const char *value,
                   struct buf *err);

#endif
