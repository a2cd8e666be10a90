/*
 * fuzz_conf - libFuzzer target: main.cf (conf_read_text(), conf_expand(),
 * the typed parameter getters)
 *
 * What it feeds where: the input is the text of a main.cf. It is loaded
 * with conf_read_text() into a conf that knows a transport "smtp"
 * (conf_add_transport(), so per-transport names exist); whatever was
 * stored before a bad line stays and is used too. Then:
 *  1. every parameter that was set (conf_walk()) is expanded with
 *     conf_expand(), checked with param_check() (the table's type and
 *     bounds, or a string for names not in the table), and its raw and
 *     expanded values are split as lists (conf_split_list(),
 *     conf_split_list_argv());
 *  2. the getters of each type read a table parameter that the input may
 *     set or refer to: param_get_int(default_process_limit),
 *     param_get_long(message_size_limit), param_get_bool(soft_bounce),
 *     param_get_time(maximal_queue_lifetime), param_get_str(myorigin,
 *     whose default is $myhostname, a dynamic default),
 *     param_get_list(mydestination), and per transport "smtp":
 *     param_get_transport_int(_destination_concurrency_limit),
 *     param_get_transport_time(_destination_rate_delay),
 *     param_get_transport_str(_destination_concurrency_negative_feedback).
 *
 * Checks besides the sanitizers: every name set is a valid name with a
 * raw value; what was stored, written back as "name = value" lines, reads
 * back as the same table; conf_expand() returns -1 or the count of
 * undefined names, with a reason in err whenever it is not 0. Undefined-parameter
 * warnings are logged only with FUZZ_VERBOSE. Everything is freed before
 * the next input.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "fuzz_input.h"
#include "param.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_input_init("fuzz_conf");
    return 0;
}

static void fuzz_collect_name(const char *name, const char *value, void *ctx)
{
    (void)value;
    conf_list_add(ctx, name, strlen(name));
}

static void fuzz_split(const char *text, struct buf *err)
{
    struct conf_list list;
    char **argv;

    conf_list_init(&list);
    if (conf_split_list(text, &list, err) == 0)
        FUZZ_CHECK(list.items[list.count] == NULL);
    conf_list_free(&list);
    argv = conf_split_list_argv(text);
    conf_argv_free(argv);
}

static void fuzz_parameter(struct conf *conf, const char *name, struct buf *out,
                           struct buf *err)
{
    const char *raw = conf_raw(conf, name);
    int ret;

    FUZZ_CHECK(conf_name_valid(name, strlen(name)));
    FUZZ_CHECK(raw != NULL);
    ret = conf_expand(conf, raw, out, err);
    FUZZ_CHECK(ret >= -1);
    FUZZ_CHECK(ret == 0 || buf_len(err) > 0);
    fuzz_split(raw, err);
    if (ret >= 0)
        fuzz_split(buf_str(out), err);
    (void)param_check(conf, name, err);
}

/* Write what was stored back as main.cf text: it must read the same. */
static void fuzz_reread(struct conf *conf, const struct conf_list *names,
                        struct buf *err)
{
    struct conf *again = conf_create();
    struct buf *text = buf_alloc(256);
    struct conf_list names2;

    for (size_t i = 0; i < names->count; i++)
        buf_append_printf(text, "%s = %s\n", names->items[i],
                          conf_raw(conf, names->items[i]));
    FUZZ_CHECK(
        conf_read_text(again, "again", buf_str(text), buf_len(text), err) == 0);
    conf_list_init(&names2);
    conf_walk(again, fuzz_collect_name, &names2);
    FUZZ_CHECK(names2.count == names->count);
    for (size_t i = 0; i < names->count; i++) {
        FUZZ_CHECK(strcmp(names2.items[i], names->items[i]) == 0);
        FUZZ_CHECK(strcmp(conf_raw(again, names->items[i]),
                          conf_raw(conf, names->items[i])) == 0);
    }
    conf_list_free(&names2);
    buf_free(text);
    conf_free(again);
}

static void fuzz_getters(struct conf *conf, struct buf *out, struct buf *err)
{
    struct conf_list list;
    int number;
    long seconds;
    long size;

    (void)param_get_int(conf, "default_process_limit", &number, err);
    (void)param_get_long(conf, "message_size_limit", &size, err);
    (void)param_get_bool(conf, "soft_bounce", &number, err);
    (void)param_get_time(conf, "maximal_queue_lifetime", &seconds, err);
    (void)param_get_str(conf, "myorigin", out, err);
    conf_list_init(&list);
    (void)param_get_list(conf, "mydestination", &list, err);
    conf_list_free(&list);
    (void)param_get_transport_int(
        conf, "smtp", "_destination_concurrency_limit", &number, err);
    (void)param_get_transport_time(conf, "smtp", "_destination_rate_delay",
                                   &seconds, err);
    (void)param_get_transport_str(
        conf, "smtp", "_destination_concurrency_negative_feedback", out, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct conf *conf = conf_create();
    struct buf *out = buf_alloc(64);
    struct buf *err = buf_alloc(64);
    struct conf_list names;

    conf_add_transport(conf, "smtp");
    (void)conf_read_text(conf, "main.cf", (const char *)data, size, err);
    conf_list_init(&names);
    conf_walk(conf, fuzz_collect_name, &names);
    fuzz_reread(conf, &names, err);
    for (size_t i = 0; i < names.count; i++)
        fuzz_parameter(conf, names.items[i], out, err);
    fuzz_getters(conf, out, err);
    conf_list_free(&names);
    buf_free(out);
    buf_free(err);
    conf_free(conf);
    return 0;
}
