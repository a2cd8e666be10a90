/*
 * attr - attribute lists of the internal protocols ("0" encoding)
 *
 * Postern's daemons talk to each other, and to Postfix's, in lists of
 * named attributes: "name NUL value NUL" pairs ended by a lone NUL (the
 * format is specified in attr.h). attr_print() writes a list from a
 * varargs description, attr_scan() reads the attributes a caller asks
 * for, in the order asked, into the caller's variables.
 *
 * Public functions:
 *	attr_print(sp, flags, item..., ATTR_END)	write a list (not
 *			flushed: the caller flushes once per message); 0,
 *			or -1 if the stream has a write error or timeout
 *	attr_scan(sp, flags, item..., ATTR_END)	read a list; returns the
 *			number of requested attributes stored, or -1 on end
 *			of input, timeout, I/O error or malformed input
 *	attr_vprint, attr_vscan		the same with a va_list
 *	attr_scan_table(sp, flags, table)	read every pair of one list
 *			(including groups' pairs) into table; returns the
 *			number of pairs read, or -1 as attr_scan()
 *	attr_set_limit(limit)		longest name or value a reader
 *			accepts (0: no limit; default ATTR_LIMIT_DEFAULT)
 *	attr_announce(sp, protocol)	the server's announcement
 *			"protocol=<name>", flushed; 0 or -1
 *	attr_expect_announce(sp, protocol)	the client's check of it; 0,
 *			or -1 with a warning naming the expected and received
 *			protocols
 *	attr_table_create(), attr_table_free(t), attr_table_reset(t)
 *	attr_table_set(t, name, value)	add, or replace a value in place
 *	attr_table_get(t, name)		the value, or NULL
 *
 * Scanning rules. The requested attributes must arrive in the requested
 * order; other attributes in between (and groups, as a whole) are
 * skipped, so that a newer peer may send more than we know about. With
 * ATTR_FLAG_EXTRA an unrequested attribute is instead an error: a
 * warning, and -1 (the list is then half read and the caller must
 * abandon the exchange). When the list ends before every requested
 * attribute arrived, attr_scan() returns the count so far (the caller
 * compares it with what it needs); ATTR_FLAG_MISSING adds a warning.
 * After the last requested attribute attr_scan() reads on to the list's
 * end (skipping or, with ATTR_FLAG_EXTRA, refusing what remains) unless
 * ATTR_FLAG_MORE asks it to stop there, for lists read in several
 * calls. A list that ends before every requested attribute arrived has
 * its terminator consumed even with ATTR_FLAG_MORE (that is how a reader
 * sees the end of a stream of lists: a result of 0). An ATTR_HASH item
 * matches a group, adds its pairs to the caller's table and counts as one
 * attribute.
 *
 * Errors: a name or value longer than the limit; an integer that is not
 * plain unsigned decimal digits or does not fit (int: 0..UINT_MAX, long:
 * 0..ULONG_MAX); base64 that does not decode; a group that is not closed
 * or is nested; more than ATTR_COUNT_LIMIT attributes skipped in one
 * call or stored in one table. Each gives a warning and -1. End of input,
 * timeout or I/O error gives -1, with a warning only when it cuts a list
 * short: before the first byte of a list the caller knows best what a
 * disconnect means.
 *
 * Streams need no error point. If the caller has installed one, a stream
 * error longjmp()s there as usual; the scratch buffers (and the table
 * attr_expect_announce() reads into) are static, so nothing leaks. Not
 * reentrant (nor are Postern's processes threaded).
 *
 * Diagnostics: warnings as above. Panic on an unknown item type, or a
 * name that is empty, "{" or "}" (caller bugs).
 *
 * Configuration parameters: none here; servers pass 4 *
 * line_length_limit to attr_set_limit().
 */
#include <limits.h>
#include <string.h>

#include "attr.h"
#include "base64.h"
#include "mem.h"
#include "msg.h"

static size_t attr_limit = ATTR_LIMIT_DEFAULT;

/* Scratch space, allocated once. */
static struct buf *attr_name_buf;
static struct buf *attr_value_buf;

static void attr_init(void)
{
    if (attr_name_buf == NULL) {
        attr_name_buf = buf_alloc(100);
        attr_value_buf = buf_alloc(100);
    }
}

void attr_set_limit(size_t limit)
{
    attr_limit = limit;
}

/* --- the table --- */

struct attr_table *attr_table_create(void)
{
    return mem_zalloc(sizeof(struct attr_table));
}

void attr_table_reset(struct attr_table *table)
{
    for (size_t i = 0; i < table->count; i++) {
        mem_free(table->names[i]);
        mem_free(table->values[i]);
    }
    table->count = 0;
}

void attr_table_free(struct attr_table *table)
{
    if (table == NULL)
        return;
    attr_table_reset(table);
    mem_free(table->names);
    mem_free(table->values);
    mem_free(table);
}

static void attr_check_name(const char *myname, const char *name)
{
    if (name == NULL || *name == 0 || strcmp(name, ATTR_NAME_OPEN) == 0 ||
        strcmp(name, ATTR_NAME_CLOSE) == 0)
        msg_panic("%s: bad attribute name \"%s\"", myname,
                  name ? name : "(null)");
}

void attr_table_set(struct attr_table *table, const char *name,
                    const char *value)
{
    attr_check_name("attr_table_set", name);
    for (size_t i = 0; i < table->count; i++) {
        if (strcmp(table->names[i], name) == 0) {
            mem_free(table->values[i]);
            table->values[i] = mem_strdup(value);
            return;
        }
    }
    if (table->count == table->size) {
        table->size = table->size ? table->size * 2 : 8;
        table->names =
            mem_realloc(table->names, table->size * sizeof(*table->names));
        table->values =
            mem_realloc(table->values, table->size * sizeof(*table->values));
    }
    table->names[table->count] = mem_strdup(name);
    table->values[table->count] = mem_strdup(value);
    table->count++;
}

const char *attr_table_get(const struct attr_table *table, const char *name)
{
    for (size_t i = 0; i < table->count; i++)
        if (strcmp(table->names[i], name) == 0)
            return table->values[i];
    return NULL;
}

/* --- printing --- */

static void attr_put_string(struct stream *sp, const char *str)
{
    stream_write(sp, str, strlen(str) + 1);
}

static void attr_put_table(struct stream *sp, const struct attr_table *table)
{
    attr_put_string(sp, ATTR_NAME_OPEN);
    for (size_t i = 0; i < table->count; i++) {
        attr_put_string(sp, table->names[i]);
        attr_put_string(sp, table->values[i]);
    }
    attr_put_string(sp, ATTR_NAME_CLOSE);
}

int attr_vprint(struct stream *sp, int flags, va_list ap)
{
    const char *name;
    const void *data;
    size_t len;
    int type;

    attr_init();
    while ((type = va_arg(ap, int)) != ATTR_END) {
        if (type == ATTR_HASH) {
            attr_put_table(sp, va_arg(ap, struct attr_table *));
            continue;
        }
        name = va_arg(ap, const char *);
        attr_check_name("attr_print", name);
        attr_put_string(sp, name);
        switch (type) {
        case ATTR_INT:
            stream_printf(sp, "%u", (unsigned)va_arg(ap, int));
            stream_putc(sp, 0);
            break;
        case ATTR_LONG:
            stream_printf(sp, "%lu", (unsigned long)va_arg(ap, long));
            stream_putc(sp, 0);
            break;
        case ATTR_STR:
            data = va_arg(ap, const char *);
            attr_put_string(sp, data ? data : "");
            break;
        case ATTR_DATA:
            data = va_arg(ap, const void *);
            len = va_arg(ap, size_t);
            buf_reset(attr_value_buf);
            base64_encode(attr_value_buf, data, len);
            stream_write(sp, buf_str(attr_value_buf),
                         buf_len(attr_value_buf) + 1);
            break;
        default:
            msg_panic("attr_print: unknown item type %d", type);
        }
    }
    if ((flags & ATTR_FLAG_MORE) == 0)
        stream_putc(sp, 0);
    return (stream_error(sp) & (STREAM_ERR_IO | STREAM_ERR_TIMEOUT)) ? -1 : 0;
}

int attr_print(struct stream *sp, int flags, ...)
{
    va_list ap;
    int ret;

    va_start(ap, flags);
    ret = attr_vprint(sp, flags, ap);
    va_end(ap);
    return ret;
}

/* --- scanning --- */

struct attr_scan_state {
    struct stream *sp;
    int started;    /* a byte of the list has been read */
    size_t skipped; /* unrequested attributes passed over */
};

/*
 * Read one NUL-terminated string into bp. "what" and "name" say what is
 * being read, for warnings.
 */
static int attr_get_string(struct attr_scan_state *st, struct buf *bp,
                           const char *what, const char *name)
{
    int ch;

    buf_reset(bp);
    for (;;) {
        if ((ch = stream_getc(st->sp)) == STREAM_EOF) {
            if (st->started)
                msg_warn("attribute list: %s while reading %s%s",
                         stream_strerror(stream_error(st->sp)), what, name);
            return -1;
        }
        st->started = 1;
        if (ch == 0)
            return 0;
        if (attr_limit > 0 && bp->len >= attr_limit) {
            msg_warn("attribute list: %s%s longer than %zu bytes", what, name,
                     attr_limit);
            return -1;
        }
        buf_append_char(bp, ch);
    }
}

static int attr_get_name(struct attr_scan_state *st)
{
    return attr_get_string(st, attr_name_buf, "an attribute name", "");
}

/*
 * Read the pairs of a group, after its "{", up to and including its "}";
 * store them in table if there is one.
 */
static int attr_get_group(struct attr_scan_state *st, struct attr_table *table)
{
    for (;;) {
        if (attr_get_name(st) < 0)
            return -1;
        if (buf_equal_str(attr_name_buf, ATTR_NAME_CLOSE))
            return 0;
        if (buf_len(attr_name_buf) == 0 ||
            buf_equal_str(attr_name_buf, ATTR_NAME_OPEN)) {
            msg_warn("attribute list: %s inside a group",
                     buf_len(attr_name_buf) ? "nested group" : "end of list");
            return -1;
        }
        if (attr_get_string(st, attr_value_buf, "the value of ",
                            buf_str(attr_name_buf)) < 0)
            return -1;
        if (table == NULL)
            continue;
        if (table->count >= ATTR_COUNT_LIMIT &&
            attr_table_get(table, buf_str(attr_name_buf)) == NULL) {
            msg_warn("attribute list: more than %d attributes in a table",
                     ATTR_COUNT_LIMIT);
            return -1;
        }
        attr_table_set(table, buf_str(attr_name_buf), buf_str(attr_value_buf));
    }
}

/* Pass over the value of the attribute whose name was just read. */
static int attr_skip_value(struct attr_scan_state *st)
{
    if (++st->skipped > ATTR_COUNT_LIMIT) {
        msg_warn("attribute list: more than %d unrequested attributes",
                 ATTR_COUNT_LIMIT);
        return -1;
    }
    if (buf_equal_str(attr_name_buf, ATTR_NAME_OPEN))
        return attr_get_group(st, NULL);
    if (buf_equal_str(attr_name_buf, ATTR_NAME_CLOSE)) {
        msg_warn("attribute list: \"%s\" outside a group", ATTR_NAME_CLOSE);
        return -1;
    }
    return attr_get_string(st, attr_value_buf, "the value of ",
                           buf_str(attr_name_buf));
}

/* Plain unsigned decimal text, at most max. */
static int attr_parse_number(const struct buf *bp, unsigned long max,
                             unsigned long *result)
{
    unsigned long value = 0;

    if (bp->len == 0)
        return -1;
    for (size_t i = 0; i < bp->len; i++) {
        unsigned long digit;

        if (bp->data[i] < '0' || bp->data[i] > '9')
            return -1;
        digit = (unsigned long)(bp->data[i] - '0');
        if (value > (max - digit) / 10)
            return -1;
        value = value * 10 + digit;
    }
    *result = value;
    return 0;
}

/* Read the value of the requested attribute name into its destination. */
static int attr_get_value(struct attr_scan_state *st, int type,
                          const char *name, void *dest)
{
    unsigned long number;
    struct buf *bp;

    switch (type) {
    case ATTR_INT:
    case ATTR_LONG:
        if (attr_get_string(st, attr_value_buf, "the value of ", name) < 0)
            return -1;
        if (attr_parse_number(attr_value_buf,
                              type == ATTR_INT ? UINT_MAX : ULONG_MAX,
                              &number) < 0) {
            msg_warn("attribute list: malformed number \"%.100s\" for %s",
                     buf_str(attr_value_buf), name);
            return -1;
        }
        /* Unsigned on the wire: -1 comes back as -1 (two's complement). */
        if (type == ATTR_INT)
            *(int *)dest = (int)(unsigned)number;
        else
            *(long *)dest = (long)number;
        return 0;
    case ATTR_STR:
        return attr_get_string(st, dest, "the value of ", name);
    case ATTR_DATA:
        if (attr_get_string(st, attr_value_buf, "the value of ", name) < 0)
            return -1;
        bp = dest;
        buf_reset(bp);
        if (base64_decode(bp, buf_str(attr_value_buf),
                          buf_len(attr_value_buf)) < 0) {
            msg_warn("attribute list: malformed base64 data for %s", name);
            return -1;
        }
        return 0;
    case ATTR_HASH:
        return attr_get_group(st, dest);
    default:
        msg_panic("attr_scan: unknown item type %d", type);
    }
}

int attr_vscan(struct stream *sp, int flags, va_list ap)
{
    struct attr_scan_state st = {sp, 0, 0};
    const char *want;
    void *dest;
    int count = 0;
    int type;

    attr_init();
    while ((type = va_arg(ap, int)) != ATTR_END) {
        switch (type) {
        case ATTR_HASH:
            want = ATTR_NAME_OPEN;
            dest = va_arg(ap, struct attr_table *);
            break;
        case ATTR_INT:
            want = va_arg(ap, const char *);
            dest = va_arg(ap, int *);
            break;
        case ATTR_LONG:
            want = va_arg(ap, const char *);
            dest = va_arg(ap, long *);
            break;
        case ATTR_STR:
        case ATTR_DATA:
            want = va_arg(ap, const char *);
            dest = va_arg(ap, struct buf *);
            break;
        default:
            msg_panic("attr_scan: unknown item type %d", type);
        }
        if (type != ATTR_HASH)
            attr_check_name("attr_scan", want);

        /* Find it, passing over what we were not asked for. */
        for (;;) {
            if (attr_get_name(&st) < 0)
                return -1;
            if (buf_len(attr_name_buf) == 0) {
                if (flags & ATTR_FLAG_MISSING)
                    msg_warn("attribute list: missing attribute %s",
                             type == ATTR_HASH ? "group" : want);
                return count;
            }
            if (buf_equal_str(attr_name_buf, want))
                break;
            if (flags & ATTR_FLAG_EXTRA) {
                msg_warn("attribute list: unexpected attribute %s "
                         "(expecting %s)",
                         buf_str(attr_name_buf),
                         type == ATTR_HASH ? "a group" : want);
                return -1;
            }
            if (attr_skip_value(&st) < 0)
                return -1;
        }
        if (attr_get_value(&st, type, want, dest) < 0)
            return -1;
        count++;
    }
    if (flags & ATTR_FLAG_MORE)
        return count;

    /* Read on to the end of the list. */
    for (;;) {
        if (attr_get_name(&st) < 0)
            return -1;
        if (buf_len(attr_name_buf) == 0)
            return count;
        if (flags & ATTR_FLAG_EXTRA) {
            msg_warn("attribute list: unexpected attribute %s (expecting "
                     "the end of the list)",
                     buf_str(attr_name_buf));
            return -1;
        }
        if (attr_skip_value(&st) < 0)
            return -1;
    }
}

int attr_scan(struct stream *sp, int flags, ...)
{
    va_list ap;
    int ret;

    va_start(ap, flags);
    ret = attr_vscan(sp, flags, ap);
    va_end(ap);
    return ret;
}

int attr_scan_table(struct stream *sp, int flags, struct attr_table *table)
{
    struct attr_scan_state st = {sp, 0, 0};
    size_t before;
    int count = 0;

    (void)flags; /* a whole list is read; no flag changes that */
    attr_init();
    for (;;) {
        if (attr_get_name(&st) < 0)
            return -1;
        if (buf_len(attr_name_buf) == 0)
            return count;
        if (buf_equal_str(attr_name_buf, ATTR_NAME_OPEN)) {
            before = table->count;
            if (attr_get_group(&st, table) < 0)
                return -1;
            count += (int)(table->count - before);
            continue;
        }
        if (buf_equal_str(attr_name_buf, ATTR_NAME_CLOSE)) {
            msg_warn("attribute list: \"%s\" outside a group", ATTR_NAME_CLOSE);
            return -1;
        }
        if (attr_get_string(&st, attr_value_buf, "the value of ",
                            buf_str(attr_name_buf)) < 0)
            return -1;
        if (table->count >= ATTR_COUNT_LIMIT &&
            attr_table_get(table, buf_str(attr_name_buf)) == NULL) {
            msg_warn("attribute list: more than %d attributes in a table",
                     ATTR_COUNT_LIMIT);
            return -1;
        }
        attr_table_set(table, buf_str(attr_name_buf), buf_str(attr_value_buf));
        count++;
    }
}

/* --- the protocol announcement --- */

int attr_announce(struct stream *sp, const char *protocol)
{
    attr_print(sp, ATTR_FLAG_NONE, ATTR_SEND_STR(ATTR_NAME_PROTOCOL, protocol),
               ATTR_END);
    return stream_flush(sp);
}

int attr_expect_announce(struct stream *sp, const char *protocol)
{
    static struct attr_table *table;
    const char *received;
    int ret = -1;

    if (table == NULL)
        table = attr_table_create();
    attr_table_reset(table);
    if (attr_scan_table(sp, ATTR_FLAG_NONE, table) < 0) {
        msg_warn("expected protocol %s announcement, received none: %s",
                 protocol,
                 stream_error(sp) ? stream_strerror(stream_error(sp))
                                  : "malformed attribute list");
    } else if ((received = attr_table_get(table, ATTR_NAME_PROTOCOL)) == NULL) {
        msg_warn("expected protocol %s announcement, received a list "
                 "without a protocol name",
                 protocol);
    } else if (strcmp(received, protocol) != 0) {
        msg_warn("unexpected protocol: expected %s, received %.100s", protocol,
                 received);
    } else {
        ret = 0;
    }
    return ret;
}
