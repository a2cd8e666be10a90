/*
 * test_param - unit tests for param (typed parameters, parsers,
 * per-transport overrides) and param_table (the defaults).
 *
 * The seed test holds its own copy of every parameter the seed documents
 * (000 oqmgr(8), 001 qmgr(8), 002 the oqmgr source header, 004 qmqpd(8))
 * name with the default they document, and checks the table against it.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "mem.h"
#include "param.h"
#include "paths.h"
#include "unit.h"

/* --- parsers --- */

static void test_parse_time(void)
{
    static const struct {
        const char *name;
        const char *text;
        char unit;
        int ok;
        long seconds;    /* when ok */
        const char *err; /* when not */
    } cases[] = {
        {"bare seconds", "300", 's', 1, 300, NULL},
        {"bare days", "5", 'd', 1, 5 * 86400, NULL},
        {"bare hours", "4", 'h', 1, 4 * 3600, NULL},
        {"bare minutes", "2", 'm', 1, 120, NULL},
        {"bare weeks", "1", 'w', 1, 604800, NULL},
        {"s", "45s", 'd', 1, 45, NULL},
        {"m", "3m", 's', 1, 180, NULL},
        {"h", "2h", 's', 1, 7200, NULL},
        {"d", "5d", 's', 1, 432000, NULL},
        {"w", "2w", 's', 1, 1209600, NULL},
        {"zero", "0", 'h', 1, 0, NULL},
        {"zero with unit", "0s", 'd', 1, 0, NULL},
        {"leading zeros", "007s", 's', 1, 7, NULL},
        {"largest", "9223372036854775807s", 's', 1, LONG_MAX, NULL},
        {"bad unit", "5x", 's', 0, 0,
         "bad time unit 'x' (use s, m, h, d or "
         "w)"},
        {"upper-case unit", "5S", 's', 0, 0,
         "bad time unit 'S' (use s, m, h, "
         "d or w)"},
        {"two units", "5ss", 's', 0, 0,
         "not a time value (a number with an "
         "optional unit s, m, h, d or w)"},
        {"unit then digits", "5s3", 's', 0, 0,
         "not a time value (a number "
         "with an optional unit s, m, "
         "h, d or w)"},
        {"negative", "-5s", 's', 0, 0, "negative time value"},
        {"empty", "", 's', 0, 0, "empty value"},
        {"unit only", "s", 's', 0, 0,
         "not a time value (a number with an "
         "optional unit s, m, h, d or w)"},
        {"space", "5 s", 's', 0, 0,
         "not a time value (a number with an "
         "optional unit s, m, h, d or w)"},
        {"plus sign", "+5", 's', 0, 0,
         "not a time value (a number with an "
         "optional unit s, m, h, d or w)"},
        {"number overflow", "99999999999999999999", 's', 0, 0,
         "time value out of range"},
        {"unit overflow", "9223372036854775807w", 's', 0, 0,
         "time value out of range"},
        {"default unit overflow", "999999999999999999", 'w', 0, 0,
         "time value out of range"},
    };
    struct buf *err = buf_alloc(10);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        long secs = -1;
        int ret = param_parse_time(cases[i].text, cases[i].unit, &secs, err);

        UNIT_CHECK_INT(cases[i].name, ret, cases[i].ok ? 0 : -1);
        if (cases[i].ok)
            UNIT_CHECK_INT(cases[i].name, secs, cases[i].seconds);
        else
            UNIT_CHECK_STR(cases[i].name, buf_str(err), cases[i].err);
    }
    buf_free(err);
}

static void test_parse_bool(void)
{
    static const struct {
        const char *text;
        int want; /* -1: error */
    } cases[] = {
        {"yes", 1}, {"YES", 1},   {"Yes", 1},  {"no", 0},    {"NO", 0},
        {"nO", 0},  {"y", -1},    {"n", -1},   {"true", -1}, {"1", -1},
        {"", -1},   {"yes ", -1}, {" no", -1}, {"yess", -1},
    };
    struct buf *err = buf_alloc(10);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        int val = -2;
        int ret = param_parse_bool(cases[i].text, &val, err);

        if (cases[i].want < 0) {
            UNIT_CHECK_INT(cases[i].text, ret, -1);
            UNIT_CHECK_STR(cases[i].text, buf_str(err),
                           "not a boolean (use yes or no)");
        } else {
            UNIT_CHECK_INT(cases[i].text, ret, 0);
            UNIT_CHECK_INT(cases[i].text, val, cases[i].want);
        }
    }
    {
        int val;

        /* err may be NULL. */
        CU_ASSERT_EQUAL(param_parse_bool("maybe", &val, NULL), -1);
    }
    buf_free(err);
}

static void test_parse_numbers(void)
{
    static const struct {
        const char *name;
        const char *text;
        long min;
        long max;
        int ok;
        long want;
        const char *err;
    } cases[] = {
        {"plain", "42", 0, 0, 1, 42, NULL},
        {"at min", "1", 1, 10, 1, 1, NULL},
        {"at max", "10", 1, 10, 1, 10, NULL},
        {"below min", "0", 1, 10, 0, 0, "must be at least 1"},
        {"above max", "11", 1, 10, 0, 0, "must be at most 10"},
        {"no max", "2000000000", 0, 0, 1, 2000000000, NULL},
        {"negative allowed", "-5", -10, 0, 1, -5, NULL},
        {"negative rejected", "-5", 0, 0, 0, 0, "must be at least 0"},
        {"empty", "", 0, 0, 0, 0, "empty value"},
        {"letters", "abc", 0, 0, 0, 0, "not a number"},
        {"trailing junk", "12k", 0, 0, 0, 0, "not a number"},
        {"space", " 12", 0, 0, 0, 0, "not a number"},
        {"plus", "+12", 0, 0, 0, 0, "not a number"},
        {"minus alone", "-", -10, 0, 0, 0, "not a number"},
        {"overflow", "99999999999999999999", 0, 0, 0, 0, "number out of range"},
    };
    struct buf *err = buf_alloc(10);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        long val = -99;
        int ret = param_parse_long(cases[i].text, cases[i].min, cases[i].max,
                                   &val, err);

        UNIT_CHECK_INT(cases[i].name, ret, cases[i].ok ? 0 : -1);
        if (cases[i].ok)
            UNIT_CHECK_INT(cases[i].name, val, cases[i].want);
        else
            UNIT_CHECK_STR(cases[i].name, buf_str(err), cases[i].err);
    }
    {
        int val = 0;

        /* int: max 0 means INT_MAX. */
        CU_ASSERT_EQUAL(param_parse_int("2147483647", 0, 0, &val, err), 0);
        CU_ASSERT_EQUAL(val, INT_MAX);
        CU_ASSERT_EQUAL(param_parse_int("2147483648", 0, 0, &val, err), -1);
        CU_ASSERT_STRING_EQUAL(buf_str(err), "must be at most 2147483647");
        CU_ASSERT_EQUAL(param_parse_int("5", 1, 4, &val, err), -1);
        CU_ASSERT_STRING_EQUAL(buf_str(err), "must be at most 4");
    }
    buf_free(err);
}

/* --- typed getters --- */

static struct conf *conf_from(const char *text)
{
    struct conf *conf = conf_create();
    struct buf *err = buf_alloc(10);

    if (conf_read_text(conf, "main.cf", text, strlen(text), err) < 0)
        CU_FAIL_FATAL("bad test configuration");
    buf_free(err);
    return conf;
}

static void test_get_time(void)
{
    static const struct {
        const char *name;
        const char *main_cf;
        const char *param;
        int ok;
        long want;
        const char *err;
    } cases[] = {
        {"default 5d", "", "maximal_queue_lifetime", 1, 432000, NULL},
        {"bare number in days", "maximal_queue_lifetime = 3\n",
         "maximal_queue_lifetime", 1, 3 * 86400, NULL},
        {"explicit unit", "maximal_queue_lifetime = 12h\n",
         "maximal_queue_lifetime", 1, 12 * 3600, NULL},
        {"zero allowed", "bounce_queue_lifetime = 0\n", "bounce_queue_lifetime",
         1, 0, NULL},
        {"default 0h", "", "delay_warning_time", 1, 0, NULL},
        {"bare number in hours", "delay_warning_time = 4\n",
         "delay_warning_time", 1, 4 * 3600, NULL},
        {"default 300s", "", "queue_run_delay", 1, 300, NULL},
        {"bare number in seconds", "queue_run_delay = 60\n", "queue_run_delay",
         1, 60, NULL},
        {"expanded", "queue_run_delay = $x\nx = 2m\n", "queue_run_delay", 1,
         120, NULL},
        {"below min", "queue_run_delay = 0s\n", "queue_run_delay", 0, 0,
         "invalid queue_run_delay value \"0s\": must be at least 1 seconds"},
        {"above max", "in_flow_delay = 11s\n", "in_flow_delay", 0, 0,
         "invalid in_flow_delay value \"11s\": must be at most 10 seconds"},
        {"bad unit", "maximal_queue_lifetime = 5x\n", "maximal_queue_lifetime",
         0, 0,
         "invalid maximal_queue_lifetime value \"5x\": bad time unit 'x' "
         "(use s, m, h, d or w)"},
        {"negative", "ipc_timeout = -1\n", "ipc_timeout", 0, 0,
         "invalid ipc_timeout value \"-1\": negative time value"},
        {"expansion error", "ipc_timeout = ${x\n", "ipc_timeout", 0, 0,
         "parameter ipc_timeout: unbalanced '{' in \"${x\""},
    };
    struct buf *err = buf_alloc(10);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct conf *conf = conf_from(cases[i].main_cf);
        long secs = -1;
        int ret = param_get_time(conf, cases[i].param, &secs, err);

        UNIT_CHECK_INT(cases[i].name, ret, cases[i].ok ? 0 : -1);
        if (cases[i].ok)
            UNIT_CHECK_INT(cases[i].name, secs, cases[i].want);
        else
            UNIT_CHECK_STR(cases[i].name, buf_str(err), cases[i].err);
        conf_free(conf);
    }
    buf_free(err);
}

static void test_get_numbers_and_bools(void)
{
    static const char main_cf[] = "qmgr_message_active_limit = 500\n"
                                  "hopcount_limit = 0\n"
                                  "message_size_limit = 20480000000\n"
                                  "soft_bounce = YES\n"
                                  "helpful_warnings = maybe\n"
                                  "qmgr_fudge_factor = 101\n"
                                  "max_use = $default_process_limit\n"
                                  "default_process_limit = 7\n";
    struct conf *conf = conf_from(main_cf);
    struct buf *err = buf_alloc(10);
    long lval;
    int ival;

    CU_ASSERT_EQUAL(
        param_get_int(conf, "qmgr_message_active_limit", &ival, err), 0);
    CU_ASSERT_EQUAL(ival, 500);
    CU_ASSERT_EQUAL(
        param_get_int(conf, "qmgr_message_recipient_limit", &ival, err), 0);
    CU_ASSERT_EQUAL(ival, 20000);
    CU_ASSERT_EQUAL(param_get_int(conf, "hopcount_limit", &ival, err), -1);
    CU_ASSERT_STRING_EQUAL(buf_str(err), "invalid hopcount_limit value "
                                         "\"0\": must be at least 1");
    CU_ASSERT_EQUAL(param_get_int(conf, "qmgr_fudge_factor", &ival, err), -1);
    CU_ASSERT_STRING_EQUAL(buf_str(err), "invalid qmgr_fudge_factor value "
                                         "\"101\": must be at most 100");
    CU_ASSERT_EQUAL(param_get_int(conf, "max_use", &ival, err), 0);
    CU_ASSERT_EQUAL(ival, 7);
    CU_ASSERT_EQUAL(param_get_long(conf, "message_size_limit", &lval, err), 0);
    CU_ASSERT_EQUAL(lval, 20480000000L);
    CU_ASSERT_EQUAL(param_get_long(conf, "queue_minfree", &lval, err), 0);
    CU_ASSERT_EQUAL(lval, 0);
    /* An int parameter through the long getter. */
    CU_ASSERT_EQUAL(param_get_long(conf, "bounce_size_limit", &lval, err), 0);
    CU_ASSERT_EQUAL(lval, 50000);

    CU_ASSERT_EQUAL(param_get_bool(conf, "soft_bounce", &ival, err), 0);
    CU_ASSERT_EQUAL(ival, 1);
    CU_ASSERT_EQUAL(param_get_bool(conf, "allow_min_user", &ival, err), 0);
    CU_ASSERT_EQUAL(ival, 0);
    CU_ASSERT_EQUAL(param_get_bool(conf, "helpful_warnings", &ival, err), -1);
    CU_ASSERT_STRING_EQUAL(buf_str(err), "invalid helpful_warnings value "
                                         "\"maybe\": not a boolean (use yes "
                                         "or no)");
    /* Booleans through the int getter (the server skeleton does this). */
    CU_ASSERT_EQUAL(param_get_int(conf, "enable_long_queue_ids", &ival, err),
                    0);
    CU_ASSERT_EQUAL(ival, 0);
    CU_ASSERT_EQUAL(param_get_int(conf, "soft_bounce", &ival, err), 0);
    CU_ASSERT_EQUAL(ival, 1);

    /* The fatal-on-error variants, on good values. */
    CU_ASSERT_EQUAL(param_int(conf, "qmgr_message_active_limit"), 500);
    CU_ASSERT_EQUAL(param_long(conf, "message_size_limit"), 20480000000L);
    CU_ASSERT_EQUAL(param_bool(conf, "soft_bounce"), 1);
    CU_ASSERT_EQUAL(param_time(conf, "maximal_backoff_time"), 4000);
    CU_ASSERT_STRING_EQUAL(param_str(conf, "default_transport"), "smtp");
    conf_free(conf);
    buf_free(err);
}

static void test_get_str_and_list(void)
{
    static const char main_cf[] = "myhostname = mail.example.com\n"
                                  "relayhost = [$relay_name]:25\n"
                                  "mydestination = $myhostname, { a b },\n"
                                  "   localhost.$mydomain\n";
    struct conf *conf = conf_from(main_cf);
    struct buf *out = buf_alloc(10);
    struct buf *err = buf_alloc(10);
    struct conf_list list;

    CU_ASSERT_EQUAL(param_get_str(conf, "myorigin", out, err), 0);
    CU_ASSERT_STRING_EQUAL(buf_str(out), "mail.example.com");
    CU_ASSERT_EQUAL(param_get_str(conf, "local_transport", out, err), 0);
    CU_ASSERT_STRING_EQUAL(buf_str(out), "local:mail.example.com");
    CU_ASSERT_EQUAL(param_get_str(conf, "syslog_name", out, err), 0);
    CU_ASSERT_STRING_EQUAL(buf_str(out), "postern");
    /* Not in the table and not set: empty, no error. */
    CU_ASSERT_EQUAL(param_get_str(conf, "testsvc_param", out, err), 0);
    CU_ASSERT_STRING_EQUAL(buf_str(out), "");

    /* An undefined reference is a warning naming both parameters. */
    unit_capture_start();
    CU_ASSERT_EQUAL(param_get_str(conf, "relayhost", out, err), 0);
    unit_capture_stop();
    CU_ASSERT_STRING_EQUAL(buf_str(out), "[]:25");
    CU_ASSERT_STRING_EQUAL(unit_last_warning(),
                           "warning: parameter relayhost: undefined "
                           "parameter: relay_name");
    CU_ASSERT_STRING_EQUAL(buf_str(err), "");

    conf_list_init(&list);
    CU_ASSERT_EQUAL(param_get_list(conf, "mydestination", &list, err), 0);
    CU_ASSERT_EQUAL_FATAL(list.count, 3);
    CU_ASSERT_STRING_EQUAL(list.items[0], "mail.example.com");
    CU_ASSERT_STRING_EQUAL(list.items[1], "a b");
    CU_ASSERT_STRING_EQUAL(list.items[2], "localhost.example.com");
    conf_list_free(&list);
    conf_list_init(&list);
    CU_ASSERT_EQUAL(param_get_list(conf, "hash_queue_names", &list, err), 0);
    CU_ASSERT_EQUAL_FATAL(list.count, 2);
    CU_ASSERT_STRING_EQUAL(list.items[0], "deferred");
    CU_ASSERT_STRING_EQUAL(list.items[1], "defer");
    conf_list_free(&list);
    conf_set(conf, "notify_classes", "resource, {software");
    conf_list_init(&list);
    CU_ASSERT_EQUAL(param_get_list(conf, "notify_classes", &list, err), -1);
    CU_ASSERT_STRING_EQUAL(buf_str(err), "parameter notify_classes: "
                                         "unbalanced '{' in \"{software\"");
    conf_list_free(&list);

    /* param_check validates by type. */
    CU_ASSERT_EQUAL(param_check(conf, "notify_classes", err), -1);
    CU_ASSERT_EQUAL(param_check(conf, "myorigin", err), 0);
    CU_ASSERT_EQUAL(param_check(conf, "queue_run_delay", err), 0);
    conf_set(conf, "queue_run_delay", "soon");
    CU_ASSERT_EQUAL(param_check(conf, "queue_run_delay", err), -1);
    CU_ASSERT_EQUAL(param_check(conf, "not_in_table", err), 0);
    conf_free(conf);
    buf_free(out);
    buf_free(err);
}

static void test_recursive_parameter(void)
{
    struct conf *conf = conf_from("a = $b\nb = $a\nmyorigin = $a\n");
    struct buf *out = buf_alloc(10);
    struct buf *err = buf_alloc(10);

    CU_ASSERT_EQUAL(param_get_str(conf, "myorigin", out, err), -1);
    CU_ASSERT_STRING_EQUAL(buf_str(err), "parameter myorigin: recursive "
                                         "definition of parameter a: a -> b "
                                         "-> a");
    conf_free(conf);
    buf_free(out);
    buf_free(err);
}

/* --- per-transport overrides --- */

static void test_transport_overrides(void)
{
    static const struct {
        const char *name;
        const char *main_cf;
        const char *transport;
        const char *suffix;
        long want;
    } cases[] = {
        {"unset: fallback default", "", "smtp",
         "_destination_concurrency_limit", 20},
        {"set for transport", "smtp_destination_concurrency_limit = 5\n",
         "smtp", "_destination_concurrency_limit", 5},
        {"set for other transport", "relay_destination_concurrency_limit = 5\n",
         "smtp", "_destination_concurrency_limit", 20},
        {"fallback changed", "default_destination_concurrency_limit = 7\n",
         "smtp", "_destination_concurrency_limit", 7},
        {"override wins over fallback",
         "default_destination_concurrency_limit = 7\n"
         "smtp_destination_concurrency_limit = 3\n",
         "smtp", "_destination_concurrency_limit", 3},
        {"override refers to fallback",
         "smtp_destination_concurrency_limit = "
         "$default_destination_concurrency_limit\n"
         "default_destination_concurrency_limit = 9\n",
         "smtp", "_destination_concurrency_limit", 9},
        {"table default for local", "", "local",
         "_destination_concurrency_limit", 2},
        {"table default for local recipients", "", "local",
         "_destination_recipient_limit", 1},
        {"local set", "local_destination_recipient_limit = 4\n", "local",
         "_destination_recipient_limit", 4},
        {"initial concurrency", "", "smtp", "_initial_destination_concurrency",
         5},
        {"initial concurrency set",
         "smtp_initial_destination_concurrency = 2\n", "smtp",
         "_initial_destination_concurrency", 2},
        {"recipient limit", "", "smtp", "_recipient_limit", 20000},
        {"extra recipient limit", "", "smtp", "_extra_recipient_limit", 1000},
        {"refill limit", "", "smtp", "_recipient_refill_limit", 100},
        {"destination recipient limit", "", "smtp",
         "_destination_recipient_limit", 50},
        {"slot cost", "", "smtp", "_delivery_slot_cost", 5},
        {"slot discount", "smtp_delivery_slot_discount = 20\n", "smtp",
         "_delivery_slot_discount", 20},
        {"slot loan", "", "smtp", "_delivery_slot_loan", 3},
        {"minimum slots", "", "smtp", "_minimum_delivery_slots", 3},
        {"failed cohort", "", "smtp",
         "_destination_concurrency_failed_cohort_limit", 1},
        {"transport name with dash", "smtp-amavis_recipient_limit = 2\n",
         "smtp-amavis", "_recipient_limit", 2},
    };
    struct buf *err = buf_alloc(10);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct conf *conf = conf_from(cases[i].main_cf);
        int val = -1;

        UNIT_CHECK_INT(cases[i].name,
                       param_get_transport_int(conf, cases[i].transport,
                                               cases[i].suffix, &val, err),
                       0);
        UNIT_CHECK_INT(cases[i].name, val, cases[i].want);
        conf_free(conf);
    }
    buf_free(err);
}

static void test_transport_time_and_str(void)
{
    struct conf *conf =
        conf_from("smtp_destination_rate_delay = 2m\n"
                  "default_transport_rate_delay = 3\n"
                  "smtp_destination_concurrency_negative_feedback = "
                  "1/sqrt_concurrency\n"
                  "relay_recipient_refill_delay = 0\n"
                  "relay_destination_concurrency_limit = many\n"
                  "uucp_time_limit = 1h\n");
    struct buf *out = buf_alloc(10);
    struct buf *err = buf_alloc(10);
    long secs;
    int val;

    CU_ASSERT_EQUAL(param_get_transport_time(
                        conf, "smtp", "_destination_rate_delay", &secs, err),
                    0);
    CU_ASSERT_EQUAL(secs, 120);
    CU_ASSERT_EQUAL(param_get_transport_time(
                        conf, "relay", "_destination_rate_delay", &secs, err),
                    0);
    CU_ASSERT_EQUAL(secs, 0);
    CU_ASSERT_EQUAL(param_get_transport_time(
                        conf, "smtp", "_transport_rate_delay", &secs, err),
                    0);
    CU_ASSERT_EQUAL(secs, 3);
    CU_ASSERT_EQUAL(param_get_transport_time(
                        conf, "smtp", "_recipient_refill_delay", &secs, err),
                    0);
    CU_ASSERT_EQUAL(secs, 5);
    CU_ASSERT_EQUAL(param_transport_time(conf, "uucp", "_time_limit"), 3600);
    CU_ASSERT_EQUAL(param_transport_time(conf, "pipe", "_time_limit"), 1000);

    /* Errors name the transport's parameter and use the fallback's bounds. */
    CU_ASSERT_EQUAL(param_get_transport_time(
                        conf, "relay", "_recipient_refill_delay", &secs, err),
                    -1);
    CU_ASSERT_STRING_EQUAL(buf_str(err), "invalid relay_recipient_refill_delay"
                                         " value \"0\": must be at least 1 "
                                         "seconds");
    CU_ASSERT_EQUAL(param_get_transport_int(conf, "relay",
                                            "_destination_concurrency_limit",
                                            &val, err),
                    -1);
    CU_ASSERT_STRING_EQUAL(buf_str(err), "invalid "
                                         "relay_destination_concurrency_limit "
                                         "value \"many\": not a number");

    /* Feedback values stay text for the scheduler. */
    CU_ASSERT_EQUAL(param_get_transport_str(
                        conf, "smtp",
                        "_destination_concurrency_negative_feedback", out, err),
                    0);
    CU_ASSERT_STRING_EQUAL(buf_str(out), "1/sqrt_concurrency");
    CU_ASSERT_STRING_EQUAL(
        param_transport_str(conf, "relay",
                            "_destination_concurrency_positive_feedback"),
        "1");
    CU_ASSERT_EQUAL(param_transport_int(conf, "smtp", "_recipient_limit"),
                    20000);
    {
        long lval;

        CU_ASSERT_EQUAL(param_get_transport_long(
                            conf, "smtp", "_extra_recipient_limit", &lval, err),
                        0);
        CU_ASSERT_EQUAL(lval, 1000);
    }
    conf_free(conf);
    buf_free(out);
    buf_free(err);
}

/* --- the table --- */

static void test_table_shape(void)
{
    size_t n = param_table_size();
    struct buf *err = buf_alloc(10);
    struct conf *conf = conf_create();

    CU_ASSERT(n > 100);
    CU_ASSERT_PTR_NULL(param_table_at(n));
    for (size_t i = 0; i < n; i++) {
        const struct param_def *def = param_table_at(i);
        long num;
        int ok;

        /* Sorted and unique: the lookup is a binary search. */
        if (i > 0 && strcmp(param_table_at(i - 1)->name, def->name) >= 0) {
            fprintf(stderr, "\n  table out of order at %s\n", def->name);
            CU_FAIL("table out of order");
        }
        CU_ASSERT_PTR_EQUAL(param_table_lookup(def->name), def);
        CU_ASSERT(conf_name_valid(def->name, strlen(def->name)));
        CU_ASSERT_PTR_NOT_NULL(def->defval);
        if (def->type == PARAM_TYPE_TIME)
            CU_ASSERT(def->unit != 0);
        /* Every default is a valid value of its own parameter. */
        ok = param_check(conf, def->name, err) == 0;
        if (!ok)
            fprintf(stderr, "\n  default of %s: %s\n", def->name, buf_str(err));
        CU_ASSERT(ok);
        if (def->type == PARAM_TYPE_INT || def->type == PARAM_TYPE_LONG ||
            def->type == PARAM_TYPE_SIZE)
            CU_ASSERT_EQUAL(
                param_parse_long(def->defval, def->min, def->max, &num, err),
                0);
    }
    CU_ASSERT_PTR_NULL(param_table_lookup("no_such_parameter"));
    CU_ASSERT_PTR_NULL(param_table_lookup(""));
    CU_ASSERT_PTR_NULL(param_table_lookup("zzzz"));
    CU_ASSERT_PTR_NULL(param_table_lookup("0"));

    /* Every family falls back to a table parameter. */
    for (size_t i = 0; i < param_family_size(); i++) {
        const struct param_family *fam = param_family_at(i);

        CU_ASSERT_PTR_NOT_NULL(param_table_lookup(fam->fallback));
        CU_ASSERT_PTR_EQUAL(param_family_lookup(fam->suffix), fam);
    }
    CU_ASSERT_PTR_NULL(param_family_at(param_family_size()));
    conf_free(conf);
    buf_free(err);
}

static void test_family_match(void)
{
    static const struct {
        const char *name;
        const char *suffix; /* NULL: no family */
        size_t transport_len;
    } cases[] = {
        {"smtp_destination_concurrency_limit", "_destination_concurrency_limit",
         4},
        {"smtp_destination_recipient_limit", "_destination_recipient_limit", 4},
        {"smtp_extra_recipient_limit", "_extra_recipient_limit", 4},
        {"smtp_recipient_limit", "_recipient_limit", 4},
        {"scalemail-backend_time_limit", "_time_limit", 17},
        {"_recipient_limit", NULL, 0},
        {"bad name_recipient_limit", NULL, 0},
        {"smtp_helo_timeout", NULL, 0},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        size_t len = 0;
        const struct param_family *fam =
            param_family_match(cases[i].name, &len);

        if (cases[i].suffix == NULL) {
            CU_ASSERT_PTR_NULL(fam);
        } else {
            CU_ASSERT_PTR_NOT_NULL_FATAL(fam);
            UNIT_CHECK_STR(cases[i].name, fam->suffix, cases[i].suffix);
            UNIT_CHECK_INT(cases[i].name, len, cases[i].transport_len);
        }
    }
}

/*
 * Every parameter the seed documents name, with the default they give
 * (copied from the seeds; "(empty)" is ""). Where a seed says "see
 * 'postconf -d' output" the value is Postern's documented choice.
 */
static const struct {
    const char *name;
    const char *defval;
} seed_params[] = {
    /* 000 oqmgr(8) and 002 its source header */
    {"allow_min_user", "no"},
    {"qmgr_clog_warn_time", "300s"},
    {"qmgr_message_active_limit", "20000"},
    {"qmgr_message_recipient_limit", "20000"},
    {"qmgr_fudge_factor", "100"},
    {"initial_destination_concurrency", "5"},
    {"default_destination_concurrency_limit", "20"},
    {"default_destination_recipient_limit", "50"},
    {"minimal_backoff_time", "300s"},
    {"maximal_backoff_time", "4000s"},
    {"maximal_queue_lifetime", "5d"},
    {"queue_run_delay", "300s"},
    {"transport_retry_time", "60s"},
    {"bounce_queue_lifetime", "5d"},
    {"config_directory", POSTERN_SYSCONFDIR},
    {"daemon_timeout", "18000s"},
    {"defer_transports", ""},
    {"delay_logging_resolution_limit", "2"},
    {"helpful_warnings", "yes"},
    {"ipc_timeout", "3600s"},
    {"queue_directory", POSTERN_LOCALSTATEDIR "/spool/postern"},
    {"syslog_facility", "mail"},
    {"syslog_name", "postern"}, /* seed: postfix; ours is postern */
    {"default_filter_nexthop", ""},
    {"default_destination_concurrency_failed_cohort_limit", "1"},
    {"default_destination_concurrency_negative_feedback", "1"},
    {"default_destination_concurrency_positive_feedback", "1"},
    {"destination_concurrency_feedback_debug", "no"},
    /* 001 qmgr(8) */
    {"qmgr_message_recipient_minimum", "10"},
    {"default_recipient_limit", "20000"},
    {"default_extra_recipient_limit", "1000"},
    {"default_recipient_refill_limit", "100"},
    {"default_recipient_refill_delay", "5s"},
    {"default_delivery_slot_cost", "5"},
    {"default_minimum_delivery_slots", "3"},
    {"default_delivery_slot_discount", "50"},
    {"default_delivery_slot_loan", "3"},
    {"default_destination_rate_delay", "0s"},
    {"default_transport_rate_delay", "0s"},
    {"qmgr_daemon_timeout", "1000s"},
    {"qmgr_ipc_timeout", "60s"},
    {"address_verify_pending_request_limit", "5000"},
    {"confirm_delay_cleared", "no"},
    {"info_log_address_format", "external"},
    /* 004 qmqpd(8) */
    {"content_filter", ""},
    {"receive_override_options", ""},
    {"line_length_limit", "2048"},
    {"hopcount_limit", "50"},
    {"message_size_limit", "10240000"},
    {"qmqpd_timeout", "300s"},
    {"debug_peer_level", "2"},
    {"debug_peer_list", ""},
    {"soft_bounce", "no"},
    {"qmqpd_error_delay", "1s"},
    {"max_idle", "100s"},
    {"max_use", "100"},
    {"qmqpd_authorized_clients", ""},
    {"qmqpd_client_port_logging", "no"},
    {"verp_delimiter_filter", "-=+"},
    /* spec appendix A */
    {"delay_warning_time", "0h"},
    {"default_process_limit", "100"},
    {"service_throttle_time", "60s"},
    {"trigger_timeout", "10s"},
    {"in_flow_delay", "1s"},
    {"bounce_size_limit", "50000"},
    {"hash_queue_names", "deferred, defer"},
    {"hash_queue_depth", "1"},
    {"enable_long_queue_ids", "no"},
    {"notify_classes", "resource, software"},
    {"double_bounce_sender", "double-bounce"},
};

/* The seeds' read-only parameters. */
static const char *const seed_readonly[] = {"process_id", "process_name",
                                            "service_name"};

/* The seeds' transport_X parameters: suffix -> fallback. */
static const struct {
    const char *suffix;
    const char *fallback;
} seed_families[] = {
    {"_destination_concurrency_limit", "default_destination_concurrency_limit"},
    {"_destination_recipient_limit", "default_destination_recipient_limit"},
    {"_recipient_limit", "default_recipient_limit"},
    {"_extra_recipient_limit", "default_extra_recipient_limit"},
    {"_recipient_refill_limit", "default_recipient_refill_limit"},
    {"_recipient_refill_delay", "default_recipient_refill_delay"},
    {"_initial_destination_concurrency", "initial_destination_concurrency"},
    {"_destination_concurrency_failed_cohort_limit",
     "default_destination_concurrency_failed_cohort_limit"},
    {"_destination_concurrency_negative_feedback",
     "default_destination_concurrency_negative_feedback"},
    {"_destination_concurrency_positive_feedback",
     "default_destination_concurrency_positive_feedback"},
    {"_delivery_slot_cost", "default_delivery_slot_cost"},
    {"_minimum_delivery_slots", "default_minimum_delivery_slots"},
    {"_delivery_slot_discount", "default_delivery_slot_discount"},
    {"_delivery_slot_loan", "default_delivery_slot_loan"},
    {"_destination_rate_delay", "default_destination_rate_delay"},
    {"_transport_rate_delay", "default_transport_rate_delay"},
};

static void test_table_has_seed_parameters(void)
{
    for (size_t i = 0; i < UNIT_COUNT(seed_params); i++) {
        const struct param_def *def = param_table_lookup(seed_params[i].name);

        if (def == NULL)
            fprintf(stderr, "\n  missing parameter %s\n", seed_params[i].name);
        CU_ASSERT_PTR_NOT_NULL(def);
        if (def)
            UNIT_CHECK_STR(seed_params[i].name, def->defval,
                           seed_params[i].defval);
    }
    for (size_t i = 0; i < UNIT_COUNT(seed_readonly); i++) {
        const struct param_def *def = param_table_lookup(seed_readonly[i]);

        CU_ASSERT_PTR_NOT_NULL_FATAL(def);
        CU_ASSERT(def->flags & PARAM_F_READONLY);
    }
    for (size_t i = 0; i < UNIT_COUNT(seed_families); i++) {
        const struct param_family *fam =
            param_family_lookup(seed_families[i].suffix);

        CU_ASSERT_PTR_NOT_NULL_FATAL(fam);
        UNIT_CHECK_STR(seed_families[i].suffix, fam->fallback,
                       seed_families[i].fallback);
    }
}

/* Parameters later steps rely on, with Postern's defaults. */
static void test_table_other_defaults(void)
{
    static const struct {
        const char *name;
        const char *defval;
    } cases[] = {
        {"mail_owner", "postern"},
        {"setgid_group", "postdrop"},
        {"daemon_directory", POSTERN_LIBEXECDIR},
        {"command_directory", POSTERN_SBINDIR},
        {"data_directory", POSTERN_LOCALSTATEDIR "/lib/postern"},
        {"myorigin", "$myhostname"},
        {"mydestination", "$myhostname, localhost.$mydomain, localhost"},
        {"inet_interfaces", "all"},
        {"inet_protocols", "all"},
        {"maillog_file", ""},
        {"local_transport", "local:$myhostname"},
        {"default_transport", "smtp"},
        {"relayhost", ""},
        {"relay_domains", ""},
        {"transport_maps", ""},
        {"empty_address_recipient", "MAILER-DAEMON"},
        {"append_dot_mydomain", "no"},
        {"bounce_notice_recipient", "postmaster"},
        {"2bounce_notice_recipient", "postmaster"},
        {"delay_notice_recipient", "postmaster"},
        {"error_notice_recipient", "postmaster"},
        {"backwards_bounce_logfile_compatibility", "yes"},
        {"queue_minfree", "0"},
        {"multi_instance_name", ""},
        {"compatibility_level", "3.6"},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        const struct param_def *def = param_table_lookup(cases[i].name);

        CU_ASSERT_PTR_NOT_NULL(def);
        if (def)
            UNIT_CHECK_STR(cases[i].name, def->defval, cases[i].defval);
    }
    CU_ASSERT_EQUAL(param_table_lookup("maximal_queue_lifetime")->unit, 'd');
    CU_ASSERT_EQUAL(param_table_lookup("delay_warning_time")->unit, 'h');
    CU_ASSERT_EQUAL(param_table_lookup("queue_run_delay")->unit, 's');
    CU_ASSERT_EQUAL(param_table_lookup("myhostname")->flags & PARAM_F_DYNAMIC,
                    PARAM_F_DYNAMIC);
    CU_ASSERT_STRING_EQUAL(param_type_name(PARAM_TYPE_TIME), "time");
}

static const struct unit_case parse_cases[] = {
    {"time", test_parse_time},
    {"bool", test_parse_bool},
    {"numbers and bounds", test_parse_numbers},
    {NULL, NULL},
};

static const struct unit_case get_cases[] = {
    {"time values", test_get_time},
    {"numbers and booleans", test_get_numbers_and_bools},
    {"strings and lists", test_get_str_and_list},
    {"recursive parameter", test_recursive_parameter},
    {NULL, NULL},
};

static const struct unit_case transport_cases[] = {
    {"int overrides", test_transport_overrides},
    {"time and string overrides", test_transport_time_and_str},
    {NULL, NULL},
};

static const struct unit_case table_cases[] = {
    {"shape", test_table_shape},
    {"family match", test_family_match},
    {"seed parameters", test_table_has_seed_parameters},
    {"other defaults", test_table_other_defaults},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"param parse", parse_cases},
    {"param get", get_cases},
    {"param transport", transport_cases},
    {"param table", table_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
