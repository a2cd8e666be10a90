#ifndef POSTERN_PARAM_H
#define POSTERN_PARAM_H

#include "buf.h"
#include "conf.h"

/* What a parameter's value means. */
enum param_type {
    PARAM_TYPE_STR,  /* text, $name-expanded */
    PARAM_TYPE_INT,  /* decimal integer that fits an int */
    PARAM_TYPE_LONG, /* decimal integer that fits a long */
    PARAM_TYPE_BOOL, /* yes / no, any case */
    PARAM_TYPE_TIME, /* integer + optional unit s m h d w */
    PARAM_TYPE_SIZE, /* byte count, a long */
    PARAM_TYPE_LIST, /* text split at ", \t\r\n", {...} groups */
};

/* param_def.flags */
#define PARAM_F_READONLY 0x1 /* set by the program, not by main.cf */
#define PARAM_F_DYNAMIC  0x2 /* default computed at run time */

/* One entry of the parameter table. */
struct param_def {
    const char *name;
    enum param_type type;
    const char *defval; /* as "postern conf -d" prints it */
    char unit;          /* TIME: unit of a bare number ('s', 'h', 'd') */
    long min;           /* INT, LONG, SIZE, TIME (seconds) */
    long max;           /* 0: no upper bound */
    int flags;          /* PARAM_F_* */
};

/* <transport><suffix> falls back to the parameter fallback. */
struct param_family {
    const char *suffix; /* "_destination_concurrency_limit" */
    const char *fallback;
};

/* The table (param_table.c), in name order. */
const struct param_def *param_table_lookup(const char *name);
size_t param_table_size(void);
const struct param_def *param_table_at(size_t index);
const struct param_family *param_family_lookup(const char *suffix);
const struct param_family *param_family_match(const char *name,
                                              size_t *transport_len);
size_t param_family_size(void);
const struct param_family *param_family_at(size_t index);
void param_dynamic_default(struct conf *conf, const struct param_def *def,
                           struct buf *out);
const char *param_type_name(enum param_type type);

/* Parsers of one value; 0, or -1 with a reason in err (may be NULL). */
int param_parse_bool(const char *text, int *out, struct buf *err);
int param_parse_int(const char *text, int min, int max, int *out,
                    struct buf *err);
int param_parse_long(const char *text, long min, long max, long *out,
                     struct buf *err);
int param_parse_time(const char *text, char default_unit, long *seconds,
                     struct buf *err);

/*
 * Typed values from a conf: the table gives type, default, unit and
 * bounds. 0, or -1 with "invalid NAME value "VALUE": reason" in err.
 */
int param_get_str(struct conf *conf, const char *name, struct buf *out,
                  struct buf *err);
int param_get_int(struct conf *conf, const char *name, int *out,
                  struct buf *err);
int param_get_long(struct conf *conf, const char *name, long *out,
                   struct buf *err);
int param_get_bool(struct conf *conf, const char *name, int *out,
                   struct buf *err);
int param_get_time(struct conf *conf, const char *name, long *seconds,
                   struct buf *err);
int param_get_list(struct conf *conf, const char *name, struct conf_list *out,
                   struct buf *err);
int param_check(struct conf *conf, const char *name, struct buf *err);

/* <transport><suffix>, else its fallback: param_get_transport_int(conf,
 * "smtp", "_destination_concurrency_limit", &n, err). */
int param_get_transport_str(struct conf *conf, const char *transport,
                            const char *suffix, struct buf *out,
                            struct buf *err);
int param_get_transport_int(struct conf *conf, const char *transport,
                            const char *suffix, int *out, struct buf *err);
int param_get_transport_long(struct conf *conf, const char *transport,
                             const char *suffix, long *out, struct buf *err);
int param_get_transport_time(struct conf *conf, const char *transport,
                             const char *suffix, long *seconds,
                             struct buf *err);

/* The same for daemons: a bad value is fatal. Strings live in the conf. */
const char *param_str(struct conf *conf, const char *name);
int param_int(struct conf *conf, const char *name);
long param_long(struct conf *conf, const char *name);
int param_bool(struct conf *conf, const char *name);
long param_time(struct conf *conf, const char *name);
const char *param_transport_str(struct conf *conf, const char *transport,
                                const char *suffix);
int param_transport_int(struct conf *conf, const char *transport,
                        const char *suffix);
long param_transport_time(struct conf *conf, const char *transport,
                          const char *suffix);

#endif
