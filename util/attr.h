#ifndef POSTERN_ATTR_H
#define POSTERN_ATTR_H

#include <stdarg.h>
#include <stddef.h>

#include "buf.h"
#include "stream.h"

/*
 * The attribute list format of the internal protocols (Postfix's "0"
 * encoding), specified here:
 *
 *	attribute	name NUL value NUL
 *	list		attribute... NUL		(a lone NUL = empty name)
 *	group		"{" NUL  attribute...  "}" NUL	(a name->value table;
 *							 has no name itself)
 *
 * Names are non-empty text without NUL and are never "{" or "}". Values:
 * integers (ATTR_INT) and longs (ATTR_LONG) as unsigned decimal text
 * ("%u", "%lu": -1 travels as 4294967295 and comes back as -1); strings
 * (ATTR_STR) raw, so they cannot hold NUL; binary data (ATTR_DATA) as
 * base64 text. A reader rejects any name or value longer than the limit
 * set with attr_set_limit() (default ATTR_LIMIT_DEFAULT bytes, 4 *
 * line_length_limit).
 *
 * A server speaks first: on accept it sends the one-attribute list
 * "protocol" NUL <protocol name> NUL NUL, and the client checks the name.
 */
#define ATTR_NAME_OPEN     "{"
#define ATTR_NAME_CLOSE    "}"
#define ATTR_NAME_PROTOCOL "protocol"
#define ATTR_LIMIT_DEFAULT (4 * 2048)

/* Attributes a reader skips or stores per call, at most. */
#define ATTR_COUNT_LIMIT 1024

/*
 * Argument list items of attr_print() and attr_scan(), ended by
 * ATTR_END:
 *	print: ATTR_INT, name, int	scan: ATTR_INT, name, int *
 *	print: ATTR_LONG, name, long	scan: ATTR_LONG, name, long *
 *	print: ATTR_STR, name, const char * (NULL prints as "")
 *					scan: ATTR_STR, name, struct buf *
 *	print: ATTR_DATA, name, const void *, size_t
 *					scan: ATTR_DATA, name, struct buf *
 *	print: ATTR_HASH, struct attr_table *
 *					scan: ATTR_HASH, struct attr_table *
 * The ATTR_SEND_* / ATTR_RECV_* macros below build these items with the
 * argument types checked by the compiler; use them.
 */
#define ATTR_END  0
#define ATTR_INT  1
#define ATTR_LONG 2
#define ATTR_STR  3
#define ATTR_DATA 4
#define ATTR_HASH 5

/* Flags. */
#define ATTR_FLAG_NONE    0
#define ATTR_FLAG_MISSING (1 << 0) /* scan: warn if the list ends early */
#define ATTR_FLAG_EXTRA   (1 << 1) /* scan: unrequested attribute = error */
#define ATTR_FLAG_MORE    (1 << 2) /* scan: leave the terminator unread; */
                                   /* print: do not write it */
#define ATTR_FLAG_STRICT (ATTR_FLAG_MISSING | ATTR_FLAG_EXTRA)

/*
 * An ordered name->value table: a group's content, or a whole list read
 * by attr_scan_table(). Entries keep the order in which names were first
 * added; names and values are C strings. Read the fields, change the
 * table only through the functions.
 */
struct attr_table {
    size_t count;
    size_t size;
    char **names;
    char **values;
};

struct attr_table *attr_table_create(void);
void attr_table_free(struct attr_table *table);
void attr_table_reset(struct attr_table *table);
void attr_table_set(struct attr_table *table, const char *name,
                    const char *value);
const char *attr_table_get(const struct attr_table *table, const char *name);

int attr_print(struct stream *sp, int flags, ...);
int attr_vprint(struct stream *sp, int flags, va_list ap);
int attr_scan(struct stream *sp, int flags, ...);
int attr_vscan(struct stream *sp, int flags, va_list ap);
int attr_scan_table(struct stream *sp, int flags, struct attr_table *table);
void attr_set_limit(size_t limit);

int attr_announce(struct stream *sp, const char *protocol);
int attr_expect_announce(struct stream *sp, const char *protocol);

/* Identity functions: they make the compiler check argument types. */
static inline const char *attr_name_arg(const char *name)
{
    return name;
}
static inline const char *attr_str_arg(const char *str)
{
    return str;
}
static inline const void *attr_data_arg(const void *data)
{
    return data;
}
static inline struct attr_table *attr_table_arg(struct attr_table *table)
{
    return table;
}
static inline int *attr_int_ptr(int *ptr)
{
    return ptr;
}
static inline long *attr_long_ptr(long *ptr)
{
    return ptr;
}
static inline struct buf *attr_buf_arg(struct buf *bp)
{
    return bp;
}

#define ATTR_SEND_INT(name, val)  ATTR_INT, attr_name_arg(name), (int)(val)
#define ATTR_SEND_LONG(name, val) ATTR_LONG, attr_name_arg(name), (long)(val)
#define ATTR_SEND_STR(name, str)                                               \
    ATTR_STR, attr_name_arg(name), attr_str_arg(str)
#define ATTR_SEND_DATA(name, data, len)                                        \
    ATTR_DATA, attr_name_arg(name), attr_data_arg(data), (size_t)(len)
#define ATTR_SEND_HASH(table) ATTR_HASH, attr_table_arg(table)

#define ATTR_RECV_INT(name, ptr)                                               \
    ATTR_INT, attr_name_arg(name), attr_int_ptr(ptr)
#define ATTR_RECV_LONG(name, ptr)                                              \
    ATTR_LONG, attr_name_arg(name), attr_long_ptr(ptr)
#define ATTR_RECV_STR(name, bp) ATTR_STR, attr_name_arg(name), attr_buf_arg(bp)
#define ATTR_RECV_DATA(name, bp)                                               \
    ATTR_DATA, attr_name_arg(name), attr_buf_arg(bp)
#define ATTR_RECV_HASH(table) ATTR_HASH, attr_table_arg(table)

#endif
