/*
 * test_conf - unit tests for conf (main.cf reading, $name expansion,
 * lists, logical lines) and conf_edit (postern conf -e).
 *
 * Table-driven: each case names its input and the expected values or the
 * expected error text (which must name the file and line).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "mem.h"
#include "msg.h"
#include "param.h"
#include "unit.h"

/* Write text to a fresh file in the test directory; caller frees. */
static char *write_tmp(const char *name, const char *text)
{
    char *path = unit_tmpfile(name);

    unit_write_file(path, text, strlen(text));
    return path;
}

/* --- reading main.cf --- */

static void test_read_logical_lines(void)
{
    static const struct {
        const char *name;
        const char *text;
        const char *param;
        const char *want; /* NULL: not set */
    } cases[] = {
        {"simple", "a = b\n", "a", "b"},
        {"no spaces", "a=b\n", "a", "b"},
        {"spaces kept inside", "a =  b  c  \n", "a", "b  c"},
        {"empty value", "a =\n", "a", ""},
        {"tab around =", "a\t=\tb\t\n", "a", "b"},
        {"continuation", "a = b\n  c\n", "a", "b c"},
        {"continuation with tab", "a = b,\n\tc\n", "a", "b, c"},
        {"two continuations", "a = 1\n 2\n 3\nb = 4\n", "a", "1 2 3"},
        {"next line after continuation", "a = 1\n 2\nb = 4\n", "b", "4"},
        {"comment ignored", "# a = x\na = y\n", "a", "y"},
        {"indented comment", "a = y\n   # not a continuation\n", "a", "y"},
        {"comment inside continuation", "a = 1\n# note\n 2\n", "a", "1 2"},
        {"blank inside continuation", "a = 1\n\n   \n 2\n", "a", "1 2"},
        {"no trailing comments", "a = b # c\n", "a", "b # c"},
        {"last definition wins", "a = 1\nb = 2\na = 3\n", "a", "3"},
        {"no final newline", "a = b", "a", "b"},
        {"crlf", "a = b\r\nc = d\r\n", "a", "b"},
        {"value with =", "a = b=c\n", "a", "b=c"},
        {"raw value unexpanded", "a = $b\nb = x\n", "a", "$b"},
        {"name with digits and dash", "2bounce-x_y = z\n", "2bounce-x_y", "z"},
        {"unset", "a = b\n", "c", NULL},
        {"empty file", "", "a", NULL},
        {"only comments", "# x\n\n#y = z\n", "y", NULL},
    };
    struct buf *err = buf_alloc(100);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct conf *conf = conf_create();
        int ret = conf_read_text(conf, "main.cf", cases[i].text,
                                 strlen(cases[i].text), err);

        UNIT_CHECK_INT(cases[i].name, ret, 0);
        if (cases[i].want) {
            UNIT_CHECK_STR(cases[i].name, conf_raw(conf, cases[i].param),
                           cases[i].want);
        } else {
            CU_ASSERT_PTR_NULL(conf_raw(conf, cases[i].param));
        }
        conf_free(conf);
    }
    buf_free(err);
}

static void test_read_file(void)
{
    char *path = write_tmp("main.cf", "# test\nmyhostname = mail.example\n"
                                      "mydestination = $myhostname,\n"
                                      "    localhost\n");
    struct conf *conf = conf_create();
    struct buf *err = buf_alloc(100);

    CU_ASSERT_EQUAL(conf_read_file(conf, path, err), 0);
    CU_ASSERT_STRING_EQUAL(conf_raw(conf, "myhostname"), "mail.example");
    CU_ASSERT_STRING_EQUAL(conf_raw(conf, "mydestination"),
                           "$myhostname, localhost");
    conf_free(conf);

    conf = conf_create();
    CU_ASSERT_EQUAL(conf_read_file(conf, "/nonexistent/main.cf", err), -1);
    CU_ASSERT_STRING_EQUAL(buf_str(err), "open /nonexistent/main.cf: No "
                                         "such file or directory");
    conf_free(conf);
    mem_free(path);
    buf_free(err);
}

static void test_read_errors(void)
{
    static const struct {
        const char *name;
        const char *text;
        const char *want; /* the whole error text */
    } cases[] = {
        {"no =", "a = b\nfoo bar\n",
         "main.cf, line 2: missing '=' after parameter name \"foo bar\""},
        {"no name", "\n\n= b\n",
         "main.cf, line 3: missing parameter name before '='"},
        {"space in name", "a b = c\n",
         "main.cf, line 1: bad parameter name \"a b\""},
        {"bad char in name", "a/b = c\n",
         "main.cf, line 1: bad parameter name \"a/b\""},
        {"dollar in name", "x = 1\n# c\n$a = c\n",
         "main.cf, line 3: bad parameter name \"$a\""},
        {"continuation first", "  a = b\n",
         "main.cf, line 1: continuation line (starts with white space) "
         "without a preceding line"},
        {"continuation after comment only", "# c\n\n\tx\n",
         "main.cf, line 3: continuation line (starts with white space) "
         "without a preceding line"},
        {"error in continued line names its first line", "a = 1\nb\n c\n d\n",
         "main.cf, line 2: missing '=' after parameter name \"b c d\""},
    };
    struct buf *err = buf_alloc(100);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct conf *conf = conf_create();

        UNIT_CHECK_INT(cases[i].name,
                       conf_read_text(conf, "main.cf", cases[i].text,
                                      strlen(cases[i].text), err),
                       -1);
        UNIT_CHECK_STR(cases[i].name, buf_str(err), cases[i].want);
        conf_free(conf);
    }
    buf_free(err);
}

static void test_read_nul_byte(void)
{
    static const char text[] = "a = b\nc = d\0e\n";
    char *path = unit_tmpfile("nul.cf");
    struct conf *conf = conf_create();
    struct buf *err = buf_alloc(100);
    struct buf *want = buf_alloc(100);

    unit_write_file(path, text, sizeof(text) - 1);
    CU_ASSERT_EQUAL(conf_read_file(conf, path, err), -1);
    buf_printf(want, "%s, line 2: NUL byte in line", path);
    CU_ASSERT_STRING_EQUAL(buf_str(err), buf_str(want));
    conf_free(conf);
    mem_free(path);
    buf_free(err);
    buf_free(want);
}

static void test_read_only_ignored(void)
{
    static const char text[] = "process_id = 1\nservice_name = x\na = b\n";
    struct conf *conf = conf_create();
    struct buf *err = buf_alloc(100);

    unit_capture_start();
    CU_ASSERT_EQUAL(conf_read_text(conf, "main.cf", text, strlen(text), err),
                    0);
    unit_capture_stop();
    CU_ASSERT_EQUAL(unit_warning_count(), 2);
    CU_ASSERT_STRING_EQUAL(unit_last_warning(),
                           "warning: main.cf, line 2: ignoring read-only "
                           "parameter \"service_name\"");
    CU_ASSERT_PTR_NULL(conf_raw(conf, "process_id"));
    CU_ASSERT_PTR_NULL(conf_raw(conf, "service_name"));
    CU_ASSERT_STRING_EQUAL(conf_raw(conf, "a"), "b");
    /* The program itself may set it (the skeleton sets service_name). */
    CU_ASSERT_EQUAL(conf_set(conf, "service_name", "smtp"), 0);
    CU_ASSERT_STRING_EQUAL(conf_value(conf, "service_name"), "smtp");
    conf_free(conf);
    buf_free(err);
}

static void test_set_and_values(void)
{
    struct conf *conf = conf_create();
    char pid[32];

    CU_ASSERT_EQUAL(conf_set(conf, " a ", "  b c  "), 0);
    CU_ASSERT_STRING_EQUAL(conf_raw(conf, "a"), "b c");
    CU_ASSERT_EQUAL(conf_set(conf, "bad name", "x"), -1);
    CU_ASSERT_EQUAL(conf_set(conf, "", "x"), -1);
    CU_ASSERT_PTR_NULL(conf_raw(conf, "bad name"));
    CU_ASSERT_EQUAL(conf_set(conf, "a", "new"), 0);
    CU_ASSERT_STRING_EQUAL(conf_raw(conf, "a"), "new");

    /* Unset: the table's default; unknown: NULL. */
    CU_ASSERT_PTR_NULL(conf_raw(conf, "queue_run_delay"));
    CU_ASSERT_STRING_EQUAL(conf_value(conf, "queue_run_delay"), "300s");
    CU_ASSERT_STRING_EQUAL(conf_value(conf, "myorigin"), "$myhostname");
    CU_ASSERT_PTR_NULL(conf_value(conf, "no_such_parameter"));
    conf_set(conf, "queue_run_delay", "10s");
    CU_ASSERT_STRING_EQUAL(conf_value(conf, "queue_run_delay"), "10s");
    CU_ASSERT_STRING_EQUAL(conf_default(conf, "queue_run_delay"), "300s");

    /* Dynamic defaults. */
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    CU_ASSERT_STRING_EQUAL(conf_value(conf, "process_id"), pid);
    CU_ASSERT_STRING_EQUAL(conf_value(conf, "process_name"), msg_program());
    CU_ASSERT_PTR_NOT_NULL(strchr(conf_value(conf, "myhostname"), '.'));
    conf_set(conf, "myhostname", "mail.example.com");
    CU_ASSERT_STRING_EQUAL(conf_value(conf, "mydomain"), "example.com");
    /* As Postfix 3.7: what follows the first dot, else localdomain. */
    conf_set(conf, "myhostname", "example.com");
    CU_ASSERT_STRING_EQUAL(conf_value(conf, "mydomain"), "com");
    conf_set(conf, "myhostname", "host");
    CU_ASSERT_STRING_EQUAL(conf_value(conf, "mydomain"), "localdomain");
    conf_set(conf, "myhostname", "$mydomain");
    /* A loop through a computed default ends, it does not recurse. */
    CU_ASSERT_PTR_NOT_NULL(conf_value(conf, "mydomain"));
    conf_free(conf);
}

static void test_transport_defaults(void)
{
    struct conf *conf = conf_create();

    /* Unknown until master.cf names the transport. */
    CU_ASSERT_PTR_NULL(conf_value(conf, "relay_destination_concurrency_limit"));
    conf_add_transport(conf, "relay");
    conf_add_transport(conf, "relay");
    CU_ASSERT_STRING_EQUAL(
        conf_value(conf, "relay_destination_concurrency_limit"),
        "$default_destination_concurrency_limit");
    /* The longest suffix decides. */
    CU_ASSERT_STRING_EQUAL(
        conf_value(conf, "relay_destination_recipient_limit"),
        "$default_destination_recipient_limit");
    CU_ASSERT_STRING_EQUAL(conf_value(conf, "relay_recipient_limit"),
                           "$default_recipient_limit");
    CU_ASSERT_STRING_EQUAL(conf_value(conf, "relay_extra_recipient_limit"),
                           "$default_extra_recipient_limit");
    CU_ASSERT_PTR_NULL(conf_value(conf, "other_recipient_limit"));
    /* Explicit table entries keep their own defaults. */
    CU_ASSERT_STRING_EQUAL(
        conf_value(conf, "local_destination_recipient_limit"), "1");
    conf_free(conf);
}

static void walk_collect(const char *name, const char *value, void *ctx)
{
    buf_append_printf(ctx, "%s=%s;", name, value);
}

static void test_walk_order(void)
{
    struct conf *conf = conf_create();
    struct buf *out = buf_alloc(100);
    char name[16];

    conf_set(conf, "zeta", "1");
    conf_set(conf, "alpha", "2");
    conf_set(conf, "mid", "3");
    conf_set(conf, "alpha", "4");
    conf_walk(conf, walk_collect, out);
    CU_ASSERT_STRING_EQUAL(buf_str(out), "alpha=4;mid=3;zeta=1;");
    /* Enough entries to make the table grow. */
    for (int i = 0; i < 500; i++) {
        snprintf(name, sizeof(name), "p%03d", i);
        conf_set(conf, name, name);
    }
    for (int i = 0; i < 500; i += 50) {
        snprintf(name, sizeof(name), "p%03d", i);
        CU_ASSERT_STRING_EQUAL(conf_raw(conf, name), name);
    }
    conf_free(conf);
    buf_free(out);
}

/* --- expansion --- */

static void test_expand(void)
{
    static const char setup[] = "a = A\n"
                                "b = B\n"
                                "empty =\n"
                                "ab = $a$b\n"
                                "nested = <$ab>\n"
                                "late = $later\n"
                                "later = L\n"
                                "n5 = 5\n"
                                "n10 = 10\n"
                                "n010 = 010\n"
                                "lvl = 3.6\n"
                                "brace = {x}\n"
                                "cont = 1   \n"
                                "   2  \n";
    static const struct {
        const char *name;
        const char *text;
        const char *want;
    } cases[] = {
        {"literal", "plain text", "plain text"},
        {"empty text", "", ""},
        {"$name", "x$a.y", "xA.y"},
        {"${name}", "x${a}y", "xAy"},
        {"$(name)", "x$(a)y", "xAy"},
        {"$$", "cost $$5 $$$a", "cost $5 $A"},
        {"adjacent", "$a$b${a}", "ABA"},
        {"recursive value", "$nested", "<AB>"},
        {"defined later", "$late", "L"},
        {"name ends at non-name char", "$a-$b", "A-B"},
        {"table default", "$default_transport", "smtp"},
        {"table default chain", "$local_transport",
         "local:"}, /* prefix checked separately */
        {"? set", "${a?yes}", "yes"},
        {"? empty", "${empty?yes}", ""},
        {"? unset", "${nothing?yes}", ""},
        {"? braces", "${a?{y e s}}", "y e s"},
        {"? value expanded", "${a?$b}", "B"},
        {": set", "${a:no}", ""},
        {": empty", "${empty:no}", "no"},
        {": unset", "${nothing:no}", "no"},
        {": braces", "${empty:{n o}}", "n o"},
        {"?: set", "${a?{1}:{2}}", "1"},
        {"?: empty", "${empty?{1}:{2}}", "2"},
        {"?: spaces", "${a ? {1} : {2}}", "1"},
        {"?: nested", "${a?{${empty?{x}:{$b}}}:{2}}", "B"},
        {"$(name?x)", "$(a?x)", "x"},
        {"== strings", "${{$a} == {A}?{t}:{f}}", "t"},
        {"== strings false", "${{$a}=={B}?{t}:{f}}", "f"},
        {"!= strings", "${{$a} != {B}?{t}:{f}}", "t"},
        {"< strings", "${{abc} < {abd}?{t}:{f}}", "t"},
        {"< numeric", "${{$n5} < {$n10}?{t}:{f}}", "t"},
        {"< as strings would differ", "${{5} < {10}?{t}:{f}}", "t"},
        {"<= numeric equal", "${{10} <= {$n010}?{t}:{f}}", "t"},
        {"== numeric leading zero", "${{10} == {$n010}?{t}:{f}}", "t"},
        {"> numeric", "${{$n10} > {$n5}?{t}:{f}}", "t"},
        {">= numeric", "${{5} >= {10}?{t}:{f}}", "f"},
        {"mixed is string", "${{5a} < {10}?{t}:{f}}", "f"},
        {"only true branch", "${{1} == {2}?{t}}", ""},
        {"no branches true", "${{a} == {a}}", "true"},
        {"no branches false", "${{a} != {a}}", ""},
        {"unbraced branch after compare", "${{a}=={a}?t}", "t"},
        {"unbraced : branch after compare", "${{a}=={b}:f}", "f"},
        {"unbraced value keeps colon", "${a?x:y}", "x:y"},
        {"spaces around name", "${ a }", "A"},
        {"continued value", "$cont", "1 2"},
        {"only false branch", "${{1} == {2}:{f}}", "f"},
        {"<level", "${{$lvl} <level {3.10}?{t}:{f}}", "t"},
        {">=level", "${{3.6} >=level {2}?{t}:{f}}", "t"},
        {"==level", "${{2} ==level {2.0.0}?{t}:{f}}", "t"},
        {"stock relay_domains",
         "${{$compatibility_level} <level {2} ? "
         "{$mydestination} : {}}",
         ""},
        {"brace in value is literal", "$brace", "{x}"},
        {"long text", "0123456789012345678901234567890123456789$a",
         "0123456789012345678901234567890123456789A"},
    };
    struct conf *conf = conf_create();
    struct buf *out = buf_alloc(10);
    struct buf *err = buf_alloc(10);

    CU_ASSERT_EQUAL(conf_read_text(conf, "main.cf", setup, strlen(setup), err),
                    0);
    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        int ret = conf_expand(conf, cases[i].text, out, err);

        UNIT_CHECK_INT(cases[i].name, ret, 0);
        if (strcmp(cases[i].name, "table default chain") == 0) {
            CU_ASSERT(strncmp(buf_str(out), "local:", 6) == 0 &&
                      buf_len(out) > 6);
        } else {
            UNIT_CHECK_STR(cases[i].name, buf_str(out), cases[i].want);
        }
        UNIT_CHECK_STR(cases[i].name, buf_str(err), "");
    }
    conf_free(conf);
    buf_free(out);
    buf_free(err);
}

static void test_expand_undefined(void)
{
    static const struct {
        const char *name;
        const char *text;
        int count;
        const char *want;
        const char *err;
    } cases[] = {
        {"one", "x$nosuch.y", 1, "x.y", "undefined parameter: nosuch"},
        {"braced", "${nosuch}", 1, "", "undefined parameter: nosuch"},
        {"twice counted once", "$nosuch$nosuch", 1, "",
         "undefined parameter: nosuch"},
        {"two", "$nosuch ${other}", 2, " ",
         "undefined parameters: nosuch, other"},
        {"prefix of another", "$nosuch2 $nosuch", 2, " ",
         "undefined parameters: nosuch2, nosuch"},
        {"inside a value", "$ref", 1, "<>", "undefined parameter: gone"},
        {"tested names do not count", "${nosuch?x}${nosuch:y}", 0, "y", ""},
    };
    struct conf *conf = conf_create();
    struct buf *out = buf_alloc(10);
    struct buf *err = buf_alloc(10);

    conf_set(conf, "ref", "<$gone>");
    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        UNIT_CHECK_INT(cases[i].name,
                       conf_expand(conf, cases[i].text, out, err),
                       cases[i].count);
        UNIT_CHECK_STR(cases[i].name, buf_str(out), cases[i].want);
        UNIT_CHECK_STR(cases[i].name, buf_str(err), cases[i].err);
    }
    /* err may be NULL: only the count. */
    CU_ASSERT_EQUAL(conf_expand(conf, "$nosuch", out, NULL), 1);
    conf_free(conf);
    buf_free(out);
    buf_free(err);
}

static void test_expand_errors(void)
{
    static const struct {
        const char *name;
        const char *text;
        const char *err; /* expected part of the error */
    } cases[] = {
        {"self", "$self",
         "recursive definition of parameter self: self -> "
         "self"},
        {"loop", "$loop_a",
         "recursive definition of parameter loop_a: "
         "loop_a -> loop_b -> loop_a"},
        {"loop via braces", "${loop_b}",
         "recursive definition of parameter "
         "loop_b: loop_b -> loop_a -> loop_b"},
        {"loop in test branch", "${loop_c?{$loop_c}}",
         "recursive definition of parameter loop_c"},
        {"unbalanced {", "x${a", "unbalanced '{' in \"x${a\""},
        {"unbalanced (", "x$(a", "unbalanced '(' in \"x$(a\""},
        {"unbalanced in value", "$bad_value",
         "parameter bad_value: unbalanced '{'"},
        {"unbalanced group", "${a?{x}", "unbalanced '{'"},
        {"unbalanced compare", "${{a} == {b}", "unbalanced '{'"},
        {"$ at end", "cost 5$", "'$' at the end of \"cost 5$\""},
        {"$ space", "a $ b", "bad character ' ' after '$'"},
        {"empty name", "${}", "missing parameter name"},
        {"bad name", "${a b}", "bad parameter name"},
        {"function form", "${name{x}}", "unsupported function call"},
        {"text after group", "${a?{x}y}", "unexpected text after '}'"},
        {"no operator", "${{a} {b}?{x}}", "missing comparison operator"},
        {"bad operator", "${{a} ~ {b}?{x}}", "missing comparison operator"},
        {"text after compare", "${{a} == {b} x}",
         "unexpected text after comparison"},
        {"branch after : braced", "${a:{x}:{y}}", "unexpected text after '}'"},
        {"bad level", "${{x} <level {2}?{t}}", "bad compatibility level"},
    };
    struct conf *conf = conf_create();
    struct buf *out = buf_alloc(10);
    struct buf *err = buf_alloc(10);

    conf_set(conf, "self", "x$self");
    conf_set(conf, "loop_a", "$loop_b");
    conf_set(conf, "loop_b", "${loop_a}");
    conf_set(conf, "loop_c", "$loop_c");
    conf_set(conf, "bad_value", "${x");
    conf_set(conf, "a", "A");
    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        UNIT_CHECK_INT(cases[i].name,
                       conf_expand(conf, cases[i].text, out, err), -1);
        UNIT_CHECK_HAS(cases[i].name, buf_str(err), cases[i].err);
    }
    conf_free(conf);
    buf_free(out);
    buf_free(err);
}

static void test_expand_limits(void)
{
    struct conf *conf = conf_create();
    struct buf *out = buf_alloc(10);
    struct buf *err = buf_alloc(10);
    struct buf *text = buf_alloc(10);
    char name[16];
    char value[32];

    /* A chain longer than the depth limit, without a loop. */
    for (int i = 0; i < CONF_EXPAND_DEPTH + 20; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        snprintf(value, sizeof(value), "$c%d", i + 1);
        conf_set(conf, name, value);
    }
    CU_ASSERT_EQUAL(conf_expand(conf, "$c0", out, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(err), "nested more than 100 deep"));
    /* A chain within the limit works. */
    CU_ASSERT_EQUAL(conf_expand(conf, "$c50", out, err), 1);
    CU_ASSERT_STRING_EQUAL(buf_str(err), "undefined parameter: c120");

    /* Doubling at each level: output or work limit, not a hang. */
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "d%d", i);
        snprintf(value, sizeof(value), "$d%d$d%d", i + 1, i + 1);
        conf_set(conf, name, value);
    }
    conf_set(conf, "d40", "x");
    CU_ASSERT_EQUAL(conf_expand(conf, "$d0", out, err), -1);
    CU_ASSERT(strstr(buf_str(err), "longer than") != NULL ||
              strstr(buf_str(err), "lookups") != NULL);
    conf_set(conf, "d40", "");
    CU_ASSERT_EQUAL(conf_expand(conf, "$d0", out, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(err), "more than 100000 parameter "
                                                "lookups"));

    /* Deeply nested groups in one text. */
    for (int i = 0; i < 1000; i++)
        buf_append_str(text, "${a?{");
    for (int i = 0; i < 1000; i++)
        buf_append_str(text, "}}");
    conf_set(conf, "a", "1");
    CU_ASSERT_EQUAL(conf_expand(conf, buf_str(text), out, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(err), "nested more than"));

    /* Over-long name. */
    buf_set_str(text, "$");
    for (int i = 0; i < CONF_NAME_MAX + 1; i++)
        buf_append_char(text, 'n');
    CU_ASSERT_EQUAL(conf_expand(conf, buf_str(text), out, err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(err), "name too long"));
    conf_free(conf);
    buf_free(out);
    buf_free(err);
    buf_free(text);
}

/* --- lists --- */

static void test_split_list(void)
{
    static const struct {
        const char *name;
        const char *text;
        const char *want; /* elements joined with '|' */
    } cases[] = {
        {"empty", "", ""},
        {"blank", " ,\t, \n", ""},
        {"one", "a", "a"},
        {"commas", "a,b,c", "a|b|c"},
        {"comma space", "deferred, defer", "deferred|defer"},
        {"white space", "a b\tc\r\nd", "a|b|c|d"},
        {"empty elements dropped", ",,a,,b,,", "a|b"},
        {"group", "a, { b c }, d", "a|b c|d"},
        {"group inner edges trimmed", "{\t x y \n}", "x y"},
        {"group with comma", "{a, b}", "a, b"},
        {"empty group", "{ }", ""},
        {"nested group", "{a {b c} d}", "a {b c} d"},
        {"braces inside word", "x${a b}y z", "x${a b}y|z"},
        {"type:table", "cdb:/etc/x, inline:{ a=b, c=d }",
         "cdb:/etc/x|inline:{ a=b, c=d }"},
    };
    struct buf *err = buf_alloc(10);
    struct buf *joined = buf_alloc(10);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct conf_list list;

        conf_list_init(&list);
        UNIT_CHECK_INT(cases[i].name,
                       conf_split_list(cases[i].text, &list, err), 0);
        buf_reset(joined);
        for (size_t j = 0; j < list.count; j++)
            buf_append_printf(joined, "%s%s", j ? "|" : "", list.items[j]);
        UNIT_CHECK_STR(cases[i].name, buf_str(joined), cases[i].want);
        if (strcmp(cases[i].name, "empty group") == 0)
            UNIT_CHECK_INT(cases[i].name, list.count, 1);
        CU_ASSERT_PTR_NULL(list.items[list.count]);
        conf_list_free(&list);
    }
    buf_free(err);
    buf_free(joined);
}

static void test_split_list_errors(void)
{
    static const struct {
        const char *name;
        const char *text;
        const char *err;
    } cases[] = {
        {"open", "a, {b c", "unbalanced '{' in \"{b c\""},
        {"open in word", "a x{b", "unbalanced '{' in \"x{b\""},
        {"close", "a b}", "unbalanced '}' in \"b}\""},
        {"text after group", "{a}b c", "text after '}' in \"{a}b c\""},
    };
    struct buf *err = buf_alloc(10);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct conf_list list;

        conf_list_init(&list);
        UNIT_CHECK_INT(cases[i].name,
                       conf_split_list(cases[i].text, &list, err), -1);
        UNIT_CHECK_STR(cases[i].name, buf_str(err), cases[i].err);
        conf_list_free(&list);
    }
    buf_free(err);
}

static void test_split_argv(void)
{
    char **argv = conf_split_list_argv("127.0.0.1, [::1] {a b}");

    CU_ASSERT_PTR_NOT_NULL_FATAL(argv);
    CU_ASSERT_STRING_EQUAL(argv[0], "127.0.0.1");
    CU_ASSERT_STRING_EQUAL(argv[1], "[::1]");
    CU_ASSERT_STRING_EQUAL(argv[2], "a b");
    CU_ASSERT_PTR_NULL(argv[3]);
    conf_argv_free(argv);
    CU_ASSERT_PTR_NULL(conf_split_list_argv("{a"));
    argv = conf_split_list_argv("");
    CU_ASSERT_PTR_NOT_NULL_FATAL(argv);
    CU_ASSERT_PTR_NULL(argv[0]);
    conf_argv_free(argv);
    conf_argv_free(NULL);
}

/* --- conf_edit_file --- */

static void test_edit(void)
{
    static const struct {
        const char *name;
        const char *before;
        const char *param;
        const char *value;
        const char *after;
    } cases[] = {
        {"replace simple", "# head\na = 1\nb = 2\n", "a", "9",
         "# head\na = 9\nb = 2\n"},
        {"replace continued, keep comments",
         "# head\n\nlist = a,\n    b,\n# inner comment\n\n    c\n"
         "# tail\nother = x\n",
         "list", "z",
         "# head\n\nlist = z\n# inner comment\n\n# tail\nother = x\n"},
        {"last definition replaced", "a = 1\nb = 2\na = 3\n  more\n", "a",
         "new", "a = 1\nb = 2\na = new\n"},
        {"append when absent", "# only comment\nb = 2\n", "a", "1",
         "# only comment\nb = 2\na = 1\n"},
        {"append after missing newline", "b = 2", "a", "1", "b = 2\na = 1\n"},
        {"empty file", "", "a", "1", "a = 1\n"},
        {"empty value", "a = 1\n", "a", "", "a =\n"},
        {"value trimmed", "a = 1\n", "a", "  x y  ", "a = x y\n"},
        {"name prefix not matched", "ab = 1\na2 = 2\n", "a", "3",
         "ab = 1\na2 = 2\na = 3\n"},
        {"no spaces in old line", "a=1\n", "a", "2", "a = 2\n"},
        {"commented definition untouched", "#a = 1\n", "a", "2",
         "#a = 1\na = 2\n"},
        {"continuation at end of file", "x = 1\na = 1\n 2\n 3", "a", "4",
         "x = 1\na = 4\n"},
    };
    char *path = unit_tmpfile("edit.cf");
    struct buf *err = buf_alloc(10);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct conf *conf = conf_create();
        char *got;

        unit_write_file(path, cases[i].before, strlen(cases[i].before));
        UNIT_CHECK_INT(
            cases[i].name,
            conf_edit_file(path, cases[i].param, cases[i].value, err), 0);
        got = unit_read_file(path, NULL);
        UNIT_CHECK_STR(cases[i].name, got, cases[i].after);
        /* And the result reads back as intended. */
        CU_ASSERT_EQUAL(conf_read_file(conf, path, err), 0);
        mem_free(got);
        conf_free(conf);
    }
    mem_free(path);
    buf_free(err);
}

static void test_edit_file_handling(void)
{
    char *path = unit_tmpfile("mode.cf");
    char *fresh = unit_tmpfile("fresh.cf");
    struct buf *err = buf_alloc(10);
    struct stat st;
    char *got;

    /* The mode survives the rename. */
    unit_write_file(path, "a = 1\n", 6);
    chmod(path, 0640);
    CU_ASSERT_EQUAL(conf_edit_file(path, "a", "2", err), 0);
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0640);

    /* A missing file is created. */
    unlink(fresh);
    CU_ASSERT_EQUAL(conf_edit_file(fresh, "x", "y", err), 0);
    got = unit_read_file(fresh, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got, "x = y\n");
    mem_free(got);

    /* Bad input leaves the file alone. */
    CU_ASSERT_EQUAL(conf_edit_file(path, "bad name", "1", err), -1);
    CU_ASSERT_STRING_EQUAL(buf_str(err), "bad parameter name \"bad name\"");
    CU_ASSERT_EQUAL(conf_edit_file(path, "a", "1\n2", err), -1);
    CU_ASSERT_STRING_EQUAL(buf_str(err), "value of a contains a newline");
    got = unit_read_file(path, NULL);
    CU_ASSERT_STRING_EQUAL(got, "a = 2\n");
    mem_free(got);

    /* A directory that does not exist. */
    CU_ASSERT_EQUAL(conf_edit_file("/nonexistent/dir/main.cf", "a", "1", err),
                    -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(err), "/nonexistent/dir/main.cf"));
    mem_free(path);
    mem_free(fresh);
    buf_free(err);
}

static const struct unit_case read_cases[] = {
    {"logical lines", test_read_logical_lines},
    {"read file", test_read_file},
    {"malformed lines", test_read_errors},
    {"NUL byte", test_read_nul_byte},
    {"read-only parameters", test_read_only_ignored},
    {"set and values", test_set_and_values},
    {"per-transport defaults", test_transport_defaults},
    {"walk in name order", test_walk_order},
    {NULL, NULL},
};

static const struct unit_case expand_cases[] = {
    {"expansion forms", test_expand},
    {"undefined names", test_expand_undefined},
    {"errors", test_expand_errors},
    {"limits", test_expand_limits},
    {NULL, NULL},
};

static const struct unit_case list_cases[] = {
    {"split", test_split_list},
    {"split errors", test_split_list_errors},
    {"argv", test_split_argv},
    {NULL, NULL},
};

static const struct unit_case edit_cases[] = {
    {"edit", test_edit},
    {"file handling", test_edit_file_handling},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"conf read", read_cases},
    {"conf expand", expand_cases},
    {"conf lists", list_cases},
    {"conf edit", edit_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
