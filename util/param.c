/*
 * param - typed configuration parameters
 *
 * Turns the raw text of a main.cf parameter into the value a program
 * uses: the parameter table (param_table.c) says what type a parameter
 * has, its default, the unit of a bare time number and the bounds; this
 * module expands the value ($name), parses it and checks the bounds.
 *
 * Value syntax: integers are decimal ("-" allowed where the lower bound
 * is negative, no "+", no white space); booleans are yes or no in any
 * case; a time is a non-negative integer followed by at most one unit
 * letter, s (seconds), m (minutes), h (hours), d (days) or w (weeks), and
 * a bare number is in the parameter's own unit (maximal_queue_lifetime
 * in days, delay_warning_time in hours, most others in seconds); sizes
 * are byte counts.
 *
 * Per-transport parameters: a lookup for transport T and suffix S uses
 * T<S> when main.cf sets it (or the table has it, as for
 * local_destination_concurrency_limit), else the family's fallback
 * parameter (for "_destination_concurrency_limit":
 * default_destination_concurrency_limit). The value is checked with the
 * fallback's type, unit and bounds.
 *
 * Public functions:
 *	param_parse_bool(text, &out, err)	yes/no -> 1/0
 *	param_parse_int(text, min, max, &out, err)	bounded int (max 0:
 *					no upper bound)
 *	param_parse_long(text, min, max, &out, err)	the same for long
 *	param_parse_time(text, unit, &seconds, err)	time value -> seconds
 *	param_get_str/int/long/bool/time/list(conf, name, &out, err)
 *					typed value of a table parameter;
 *					param_get_int also takes booleans
 *					(0/1), param_get_long ints and sizes
 *	param_check(conf, name, err)	is the current value valid?
 *	param_get_transport_str/int/long/time(conf, transport, suffix,
 *					&out, err)	per-transport value
 *	param_str/int/long/bool/time(conf, name)	the same, fatal on error
 *					(for daemons); param_str's result
 *					lives as long as the conf
 *	param_transport_str/int/time(conf, transport, suffix)
 *
 * Diagnostics: a malformed or out-of-range value is an error "invalid
 * NAME value "VALUE": reason"; an expansion error is "parameter NAME:
 * reason". A reference to an undefined parameter is logged with
 * msg_warn() ("parameter NAME: undefined parameter: x") and expands to
 * nothing. Asking for a parameter that is not in the table, or with a
 * getter of the wrong type, is a program bug: msg_panic().
 *
 * Configuration parameters: all of them, through the table.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "param.h"

/* --- parsers --- */

static int param_fail(struct buf *err, const char *reason)
{
    if (err)
        buf_set_str(err, reason);
    return -1;
}

int param_parse_bool(const char *text, int *out, struct buf *err)
{
    if (strcasecmp(text, "yes") == 0) {
        *out = 1;
        return 0;
    }
    if (strcasecmp(text, "no") == 0) {
        *out = 0;
        return 0;
    }
    return param_fail(err, "not a boolean (use yes or no)");
}

/* Decimal digits with an optional '-'; -1 if malformed or too large. */
static int param_parse_number(const char *text, long *out, struct buf *err)
{
    const char *cp = text;
    char *end;
    long val;

    if (*cp == '-')
        cp++;
    if (*cp < '0' || *cp > '9')
        return param_fail(err, *text == 0 ? "empty value" : "not a number");
    errno = 0;
    val = strtol(text, &end, 10);
    if (*end != 0)
        return param_fail(err, "not a number");
    if (errno == ERANGE)
        return param_fail(err, "number out of range");
    *out = val;
    return 0;
}

static int param_check_bounds(long val, long min, long max, struct buf *err)
{
    if (val < min) {
        if (err)
            buf_printf(err, "must be at least %ld", min);
        return -1;
    }
    if (max != 0 && val > max) {
        if (err)
            buf_printf(err, "must be at most %ld", max);
        return -1;
    }
    return 0;
}

int param_parse_long(const char *text, long min, long max, long *out,
                     struct buf *err)
{
    long val;

    if (param_parse_number(text, &val, err) < 0 ||
        param_check_bounds(val, min, max, err) < 0)
        return -1;
    *out = val;
    return 0;
}

int param_parse_int(const char *text, int min, int max, int *out,
                    struct buf *err)
{
    long val;

    if (param_parse_long(text, min, max ? max : INT_MAX, &val, err) < 0)
        return -1;
    *out = (int)val;
    return 0;
}

static long param_unit_seconds(char unit)
{
    switch (unit) {
    case 's':
        return 1;
    case 'm':
        return 60;
    case 'h':
        return 3600;
    case 'd':
        return 86400;
    case 'w':
        return 7 * 86400;
    default:
        return 0;
    }
}

int param_parse_time(const char *text, char default_unit, long *seconds,
                     struct buf *err)
{
    const char *cp = text;
    long val = 0;
    long mult;
    char unit;

    if (param_unit_seconds(default_unit) == 0)
        msg_panic("param_parse_time: bad default unit '%c'", default_unit);
    if (*cp == '-')
        return param_fail(err, "negative time value");
    if (*cp < '0' || *cp > '9')
        return param_fail(err, *cp == 0 ? "empty value"
                                        : "not a time value (a number "
                                          "with an optional unit s, m, "
                                          "h, d or w)");
    while (*cp >= '0' && *cp <= '9') {
        if (val > (LONG_MAX - (*cp - '0')) / 10)
            return param_fail(err, "time value out of range");
        val = val * 10 + (*cp++ - '0');
    }
    unit = *cp ? *cp++ : default_unit;
    if (*cp != 0)
        return param_fail(err, "not a time value (a number with an "
                               "optional unit s, m, h, d or w)");
    if ((mult = param_unit_seconds(unit)) == 0) {
        if (err)
            buf_printf(err, "bad time unit '%c' (use s, m, h, d or w)", unit);
        return -1;
    }
    if (val > LONG_MAX / mult)
        return param_fail(err, "time value out of range");
    *seconds = val * mult;
    return 0;
}

/* --- values from a conf --- */

/* Bit masks of the types a getter accepts. */
#define PARAM_MASK(t) (1u << (t))

static const struct param_def *param_need(const char *caller, const char *name,
                                          unsigned types)
{
    const struct param_def *def = param_table_lookup(name);

    if (def == NULL)
        msg_panic("%s: unknown parameter \"%s\"", caller, name);
    if (!(types & PARAM_MASK(def->type)))
        msg_panic("%s: parameter %s has type %s", caller, name,
                  param_type_name(def->type));
    return def;
}

/* Expand raw, the value of name; undefined names are warned about. */
static int param_expand(struct conf *conf, const char *name, const char *raw,
                        struct buf *out, struct buf *err)
{
    int ret = conf_expand(conf, raw, out, err);

    if (ret < 0) {
        char *reason = mem_strdup(buf_str(err));

        buf_printf(err, "parameter %s: %s", name, reason);
        mem_free(reason);
        return -1;
    }
    if (ret > 0) {
        msg_warn("parameter %s: %s", name, buf_str(err));
        buf_reset(err);
    }
    return 0;
}

/* Parse an expanded value by the type and bounds of def. */
static int param_convert(const struct param_def *def, const char *name,
                         const char *text, long *out, struct buf *err)
{
    struct buf *reason = buf_alloc(100);
    int ret = -1;
    int flag;

    switch (def->type) {
    case PARAM_TYPE_BOOL:
        ret = param_parse_bool(text, &flag, reason);
        if (ret == 0)
            *out = flag;
        break;
    case PARAM_TYPE_INT:
        ret = param_parse_long(text, def->min, def->max ? def->max : INT_MAX,
                               out, reason);
        break;
    case PARAM_TYPE_LONG:
    case PARAM_TYPE_SIZE:
        ret = param_parse_long(text, def->min, def->max, out, reason);
        break;
    case PARAM_TYPE_TIME:
        ret = param_parse_time(text, def->unit, out, reason);
        if (ret == 0)
            ret = param_check_bounds(*out, def->min, def->max, reason);
        if (ret < 0 && strncmp(buf_str(reason), "must be", 7) == 0)
            buf_append_str(reason, " seconds");
        break;
    default:
        msg_panic("param_convert: parameter %s is not numeric", name);
    }
    if (ret < 0)
        buf_printf(err, "invalid %s value \"%.200s\": %s", name, text,
                   buf_str(reason));
    buf_free(reason);
    return ret;
}

/* The expanded value of a table parameter as a number of its type. */
static int param_get_number(struct conf *conf, const struct param_def *def,
                            long *out, struct buf *err)
{
    struct buf *val = buf_alloc(64);
    int ret;

    ret = param_expand(conf, def->name, conf_value(conf, def->name), val, err);
    if (ret == 0)
        ret = param_convert(def, def->name, buf_str(val), out, err);
    buf_free(val);
    return ret;
}

int param_get_str(struct conf *conf, const char *name, struct buf *out,
                  struct buf *err)
{
    const char *raw = conf_value(conf, name);

    /* Not in the table either: a daemon's private -o setting, unset. */
    if (raw == NULL) {
        buf_reset(out);
        return 0;
    }
    return param_expand(conf, name, raw, out, err);
}

int param_get_int(struct conf *conf, const char *name, int *out,
                  struct buf *err)
{
    const struct param_def *def =
        param_need("param_get_int", name,
                   PARAM_MASK(PARAM_TYPE_INT) | PARAM_MASK(PARAM_TYPE_BOOL));
    long val;

    if (param_get_number(conf, def, &val, err) < 0)
        return -1;
    *out = (int)val;
    return 0;
}

int param_get_long(struct conf *conf, const char *name, long *out,
                   struct buf *err)
{
    const struct param_def *def =
        param_need("param_get_long", name,
                   PARAM_MASK(PARAM_TYPE_LONG) | PARAM_MASK(PARAM_TYPE_SIZE) |
                       PARAM_MASK(PARAM_TYPE_INT));

    return param_get_number(conf, def, out, err);
}

int param_get_bool(struct conf *conf, const char *name, int *out,
                   struct buf *err)
{
    const struct param_def *def =
        param_need("param_get_bool", name, PARAM_MASK(PARAM_TYPE_BOOL));
    long val;

    if (param_get_number(conf, def, &val, err) < 0)
        return -1;
    *out = (int)val;
    return 0;
}

int param_get_time(struct conf *conf, const char *name, long *seconds,
                   struct buf *err)
{
    const struct param_def *def =
        param_need("param_get_time", name, PARAM_MASK(PARAM_TYPE_TIME));

    return param_get_number(conf, def, seconds, err);
}

int param_get_list(struct conf *conf, const char *name, struct conf_list *out,
                   struct buf *err)
{
    struct buf *val = buf_alloc(64);
    int ret;

    if ((ret = param_get_str(conf, name, val, err)) == 0 &&
        (ret = conf_split_list(buf_str(val), out, err)) < 0) {
        char *reason = mem_strdup(buf_str(err));

        buf_printf(err, "parameter %s: %s", name, reason);
        mem_free(reason);
    }
    buf_free(val);
    return ret;
}

int param_check(struct conf *conf, const char *name, struct buf *err)
{
    const struct param_def *def = param_table_lookup(name);
    struct conf_list list;
    struct buf *val;
    long num;
    int ret;

    if (def == NULL || def->type == PARAM_TYPE_STR) {
        val = buf_alloc(64);
        ret = param_get_str(conf, name, val, err);
        buf_free(val);
        return ret;
    }
    if (def->type == PARAM_TYPE_LIST) {
        conf_list_init(&list);
        ret = param_get_list(conf, name, &list, err);
        conf_list_free(&list);
        return ret;
    }
    return param_get_number(conf, def, &num, err);
}

/* --- per-transport parameters --- */

/*
 * The raw value of <transport><suffix> (or of its fallback), with the
 * definition that says how to parse it and the name to blame.
 */
static const char *param_transport_raw(struct conf *conf, const char *caller,
                                       const char *transport,
                                       const char *suffix,
                                       const struct param_def **def,
                                       struct buf *name)
{
    const struct param_family *fam = param_family_lookup(suffix);
    const struct param_def *exact;
    const char *raw;

    if (fam == NULL)
        msg_panic("%s: unknown per-transport suffix \"%s\"", caller, suffix);
    if ((*def = param_table_lookup(fam->fallback)) == NULL)
        msg_panic("%s: fallback %s of %s is not in the table", caller,
                  fam->fallback, suffix);
    buf_printf(name, "%s%s", transport, suffix);
    if ((raw = conf_raw(conf, buf_str(name))) != NULL)
        return raw;
    if ((exact = param_table_lookup(buf_str(name))) != NULL) {
        *def = exact;
        return conf_value(conf, buf_str(name));
    }
    buf_set_str(name, fam->fallback);
    return conf_value(conf, fam->fallback);
}

static int param_transport_number(struct conf *conf, const char *caller,
                                  const char *transport, const char *suffix,
                                  unsigned types, long *out, struct buf *err)
{
    const struct param_def *def;
    struct buf *name = buf_alloc(64);
    struct buf *val = buf_alloc(64);
    const char *raw;
    int ret;

    raw = param_transport_raw(conf, caller, transport, suffix, &def, name);
    if (!(types & PARAM_MASK(def->type)))
        msg_panic("%s: %s has type %s", caller, buf_str(name),
                  param_type_name(def->type));
    ret = param_expand(conf, buf_str(name), raw, val, err);
    if (ret == 0)
        ret = param_convert(def, buf_str(name), buf_str(val), out, err);
    buf_free(name);
    buf_free(val);
    return ret;
}

int param_get_transport_str(struct conf *conf, const char *transport,
                            const char *suffix, struct buf *out,
                            struct buf *err)
{
    const struct param_def *def;
    struct buf *name = buf_alloc(64);
    const char *raw;
    int ret;

    raw = param_transport_raw(conf, "param_get_transport_str", transport,
                              suffix, &def, name);
    ret = param_expand(conf, buf_str(name), raw, out, err);
    buf_free(name);
    return ret;
}

int param_get_transport_int(struct conf *conf, const char *transport,
                            const char *suffix, int *out, struct buf *err)
{
    long val;

    if (param_transport_number(
            conf, "param_get_transport_int", transport, suffix,
            PARAM_MASK(PARAM_TYPE_INT) | PARAM_MASK(PARAM_TYPE_BOOL), &val,
            err) < 0)
        return -1;
    *out = (int)val;
    return 0;
}

int param_get_transport_long(struct conf *conf, const char *transport,
                             const char *suffix, long *out, struct buf *err)
{
    return param_transport_number(
        conf, "param_get_transport_long", transport, suffix,
        PARAM_MASK(PARAM_TYPE_LONG) | PARAM_MASK(PARAM_TYPE_SIZE) |
            PARAM_MASK(PARAM_TYPE_INT),
        out, err);
}

int param_get_transport_time(struct conf *conf, const char *transport,
                             const char *suffix, long *seconds, struct buf *err)
{
    return param_transport_number(conf, "param_get_transport_time", transport,
                                  suffix, PARAM_MASK(PARAM_TYPE_TIME), seconds,
                                  err);
}

/* --- fatal variants for daemons --- */

const char *param_str(struct conf *conf, const char *name)
{
    struct buf *val = buf_alloc(64);
    struct buf *err = buf_alloc(100);

    if (param_get_str(conf, name, val, err) < 0)
        msg_fatal("%s", buf_str(err));
    buf_free(err);
    return conf_hold(conf, buf_export(val));
}

int param_int(struct conf *conf, const char *name)
{
    struct buf *err = buf_alloc(100);
    int val;

    if (param_get_int(conf, name, &val, err) < 0)
        msg_fatal("%s", buf_str(err));
    buf_free(err);
    return val;
}

long param_long(struct conf *conf, const char *name)
{
    struct buf *err = buf_alloc(100);
    long val;

    if (param_get_long(conf, name, &val, err) < 0)
        msg_fatal("%s", buf_str(err));
    buf_free(err);
    return val;
}

int param_bool(struct conf *conf, const char *name)
{
    struct buf *err = buf_alloc(100);
    int val;

    if (param_get_bool(conf, name, &val, err) < 0)
        msg_fatal("%s", buf_str(err));
    buf_free(err);
    return val;
}

long param_time(struct conf *conf, const char *name)
{
    struct buf *err = buf_alloc(100);
    long val;

    if (param_get_time(conf, name, &val, err) < 0)
        msg_fatal("%s", buf_str(err));
    buf_free(err);
    return val;
}

const char *param_transport_str(struct conf *conf, const char *transport,
                                const char *suffix)
{
    struct buf *val = buf_alloc(64);
    struct buf *err = buf_alloc(100);

    if (param_get_transport_str(conf, transport, suffix, val, err) < 0)
        msg_fatal("%s", buf_str(err));
    buf_free(err);
    return conf_hold(conf, buf_export(val));
}

int param_transport_int(struct conf *conf, const char *transport,
                        const char *suffix)
{
    struct buf *err = buf_alloc(100);
    int val;

    if (param_get_transport_int(conf, transport, suffix, &val, err) < 0)
        msg_fatal("%s", buf_str(err));
    buf_free(err);
    return val;
}

long param_transport_time(struct conf *conf, const char *transport,
                          const char *suffix)
{
    struct buf *err = buf_alloc(100);
    long val;

    if (param_get_transport_time(conf, transport, suffix, &val, err) < 0)
        msg_fatal("%s", buf_str(err));
    buf_free(err);
    return val;
}
