#ifndef POSTERN_DICT_H
#define POSTERN_DICT_H

#include <sys/types.h>

#include "buf.h"

/* Flags for dict_open() and dict_cdb_create(). */
#define DICT_FLAG_FOLD_CASE (1 << 0) /* lowercase keys before use */

/* dict_error() results. */
#define DICT_ERR_NONE  0  /* found, or cleanly not found */
#define DICT_ERR_RETRY -1 /* the table could not be read: try later */

/* Limits on what we accept. */
#define DICT_SPEC_MAX   100000 /* length of a "type:name" spec */
#define DICT_INLINE_MAX 1000   /* elements in an inline: table */

/*
 * One open lookup table. The members are for the table types (dict_*.c);
 * everyone else uses the functions below.
 */
struct dict {
    char *type;       /* "cdb", "inline", "static" */
    char *name;       /* what followed "type:" */
    int flags;        /* DICT_FLAG_* */
    int error;        /* DICT_ERR_* of the last lookup */
    struct buf *fold; /* scratch for the lowercased key */
    const char *(*lookup)(struct dict *dict, const char *key);
    int (*changed)(struct dict *dict);
    void (*close)(struct dict *dict);
};

struct dict *dict_open(const char *spec, int flags, struct buf *err);
const char *dict_lookup(struct dict *dict, const char *key);
int dict_error(const struct dict *dict);
int dict_changed(struct dict *dict);
void dict_close(struct dict *dict);

/* For the table types: allocate and release the common part. */
struct dict *dict_alloc(size_t size, const char *type, const char *name,
                        int flags);
void dict_free(struct dict *dict);

/* Table types, called by dict_open() with the part after "type:". */
struct dict *dict_cdb_open(const char *name, int flags, struct buf *err);
struct dict *dict_inline_open(const char *name, int flags, struct buf *err);
struct dict *dict_static_open(const char *name, int flags, struct buf *err);

/* Text inside one pair of braces: "{ text }" -> "text"; -1 if malformed. */
int dict_strip_braces(const char *text, struct buf *out, struct buf *err);

/*
 * Building a cdb file (postmap): create, add each entry, then commit or
 * abort. Keys and values are stored without a trailing NUL.
 */
struct dict_cdb_writer;

struct dict_cdb_writer *dict_cdb_create(const char *path, int flags,
                                        mode_t mode, struct buf *err);
int dict_cdb_add(struct dict_cdb_writer *writer, const char *key,
                 const char *value, struct buf *err);
int dict_cdb_commit(struct dict_cdb_writer *writer, struct buf *err);
void dict_cdb_abort(struct dict_cdb_writer *writer);

#endif
