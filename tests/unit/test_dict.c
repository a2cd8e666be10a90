/*
 * test_dict - unit tests for lookup tables (util/dict*.c).
 *
 * cdb files come from three writers: our own dict_cdb_create(), Debian's
 * tinycdb command "cdb -c" (run as a child process; the case is skipped,
 * saying so, when the command is not installed), and the tinycdb
 * library called directly to store keys and values with and without a
 * trailing NUL.
 */
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "dict.h"
#include "mem.h"
#include "unit.h"

/* A fresh path (without suffix) in the test directory. */
static char *fresh_path(const char *stem)
{
    static int serial;
    char name[64];

    snprintf(name, sizeof(name), "%s%d", stem, ++serial);
    return unit_tmpfile(name);
}

static char *with_suffix(const char *path, const char *suffix)
{
    char *result = mem_alloc(strlen(path) + strlen(suffix) + 1);

    strcpy(result, path);
    strcat(result, suffix);
    return result;
}

/* --- static --- */

static void test_dict_static(void)
{
    static const struct {
        const char *name;
        const char *spec;
        const char *want; /* NULL: open fails */
    } cases[] = {
        {"plain", "static:relay:[mx.example.com]", "relay:[mx.example.com]"},
        {"braces with spaces", "static:{  value with spaces  }",
         "value with spaces"},
        {"empty value", "static:", ""},
        {"empty braces", "static:{}", ""},
        {"nested braces kept", "static:{ a {b} c }", "a {b} c"},
        {"unterminated brace", "static:{ value", NULL},
        {"text after brace", "static:{ value } more", NULL},
    };
    struct buf *err = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct dict *dict;
        const char *value;

        buf_reset(err);
        dict = dict_open(cases[i].spec, 0, err);
        if (cases[i].want == NULL) {
            CU_ASSERT_PTR_NULL(dict);
            CU_ASSERT(strstr(buf_str(err), cases[i].spec) != NULL);
            dict_close(dict);
            continue;
        }
        CU_ASSERT_PTR_NOT_NULL_FATAL(dict);
        CU_ASSERT_EQUAL(buf_len(err), 0);
        value = dict_lookup(dict, "anything");
        CU_ASSERT_PTR_NOT_NULL_FATAL(value);
        CU_ASSERT_STRING_EQUAL(value, cases[i].want);
        value = dict_lookup(dict, "");
        CU_ASSERT_PTR_NOT_NULL_FATAL(value);
        CU_ASSERT_STRING_EQUAL(value, cases[i].want);
        CU_ASSERT_EQUAL(dict_error(dict), DICT_ERR_NONE);
        CU_ASSERT_EQUAL(dict_changed(dict), 0);
        dict_close(dict);
    }
    buf_free(err);
}

/* --- inline --- */

static void test_dict_inline_lookup(void)
{
    static const struct {
        const char *name;
        const char *spec;
        const char *key;
        const char *want; /* NULL: not found */
    } cases[] = {
        {"first", "inline:{ a=1, b=2 }", "a", "1"},
        {"second", "inline:{ a=1, b=2 }", "b", "2"},
        {"missing", "inline:{ a=1, b=2 }", "c", NULL},
        {"no spaces", "inline:{a=1,b=2}", "b", "2"},
        {"white space separates", "inline:{ a=1\tb=2\n c=3 }", "c", "3"},
        {"group with spaces", "inline:{ { key = value with spaces }, b=2 }",
         "key", "value with spaces"},
        {"group then plain", "inline:{ { key = value with spaces }, b=2 }", "b",
         "2"},
        {"value with =", "inline:{ a=b=c }", "a", "b=c"},
        {"empty value", "inline:{ a= }", "a", ""},
        {"braced value", "inline:{ a={x y}, b=2 }", "a", "{x y}"},
        {"case matters", "inline:{ Key=1 }", "key", NULL},
        {"duplicate: first wins", "inline:{ a=1, a=2 }", "a", "1"},
        {"key is whole", "inline:{ abc=1 }", "ab", NULL},
    };
    struct buf *err = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct dict *dict = dict_open(cases[i].spec, 0, err);
        const char *value;

        CU_ASSERT_PTR_NOT_NULL_FATAL(dict);
        value = dict_lookup(dict, cases[i].key);
        if (cases[i].want == NULL) {
            CU_ASSERT_PTR_NULL(value);
        } else {
            CU_ASSERT_PTR_NOT_NULL(value);
            if (value)
                CU_ASSERT_STRING_EQUAL(value, cases[i].want);
        }
        CU_ASSERT_EQUAL(dict_error(dict), DICT_ERR_NONE);
        dict_close(dict);
    }
    buf_free(err);
}

static void test_dict_inline_malformed(void)
{
    static const struct {
        const char *name;
        const char *spec;
        const char *want_err;
    } cases[] = {
        {"unterminated", "inline:{ a=1, b=2",
         "table inline:{ a=1, b=2: missing '}'"},
        {"unterminated group", "inline:{ { a = 1, b=2 }",
         "table inline:{ { a = 1, b=2 }: missing '}'"},
        {"no braces", "inline:a=1", "table inline:a=1: expected '{'"},
        {"element without =", "inline:{ a=1, foo }",
         "table inline:{ a=1, foo }: missing '=' in element \"foo\""},
        {"group without =", "inline:{ { foo bar } }",
         "table inline:{ { foo bar } }: missing '=' in element \"foo bar\""},
        {"empty key", "inline:{ =1 }",
         "table inline:{ =1 }: missing key in element \"=1\""},
        {"empty table", "inline:{ , }", "table inline:{ , }: empty table"},
        {"text after table", "inline:{ a=1 } b=2",
         "table inline:{ a=1 } b=2: unexpected text after '}': \" b=2\""},
        {"text after group", "inline:{ {a=1}x }",
         "table inline:{ {a=1}x }: unexpected text after '}': \"x\""},
    };
    struct buf *err = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        buf_set_str(err, "junk");
        CU_ASSERT_PTR_NULL(dict_open(cases[i].spec, 0, err));
        CU_ASSERT_STRING_EQUAL(buf_str(err), cases[i].want_err);
    }
    buf_free(err);
}

static void test_dict_inline_limits(void)
{
    struct buf *spec = buf_alloc(0);
    struct buf *err = buf_alloc(0);
    struct dict *dict;

    /* DICT_INLINE_MAX elements are fine, one more is not. */
    buf_set_str(spec, "inline:{");
    for (int i = 0; i < DICT_INLINE_MAX; i++)
        buf_append_printf(spec, " k%d=v%d", i, i);
    buf_append_str(spec, " }");
    dict = dict_open(buf_str(spec), 0, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dict);
    CU_ASSERT_STRING_EQUAL(dict_lookup(dict, "k999"), "v999");
    dict_close(dict);
    buf_truncate(spec, buf_len(spec) - 2);
    buf_append_str(spec, " one=more }");
    CU_ASSERT_PTR_NULL(dict_open(buf_str(spec), 0, err));
    CU_ASSERT(strstr(buf_str(err), "more than 1000 elements") != NULL);

    /* An overlong spec is refused before parsing. */
    buf_set_str(spec, "static:");
    for (int i = 0; i < DICT_SPEC_MAX; i++)
        buf_append_char(spec, 'x');
    CU_ASSERT_PTR_NULL(dict_open(buf_str(spec), 0, err));
    CU_ASSERT(strstr(buf_str(err), "longer than") != NULL);
    buf_free(spec);
    buf_free(err);
}

/* --- spec errors and case folding --- */

static void test_dict_open_errors(void)
{
    static const struct {
        const char *name;
        const char *spec;
        const char *want_err;
    } cases[] = {
        {"unknown type", "hash:/etc/postern/transport",
         "table hash:/etc/postern/transport: unsupported table type "
         "\"hash\""},
        {"no colon", "transport", "table transport: expected type:name"},
        {"empty type", ":foo", "table :foo: expected type:name"},
        {"empty", "", "table : expected type:name"},
        {"type is case sensitive", "CDB:/x",
         "table CDB:/x: unsupported table type \"CDB\""},
        {"cdb without name", "cdb:", "table cdb:: empty file name"},
    };
    struct buf *err = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        buf_set_str(err, "junk");
        CU_ASSERT_PTR_NULL(dict_open(cases[i].spec, 0, err));
        CU_ASSERT_STRING_EQUAL(buf_str(err), cases[i].want_err);
    }
    /* A caller that does not want the reason may pass NULL. */
    CU_ASSERT_PTR_NULL(dict_open("nosuchtype:x", 0, NULL));
    buf_free(err);
}

static void test_dict_fold_case_inline(void)
{
    static const struct {
        const char *name;
        int flags;
        const char *key;
        const char *want;
    } cases[] = {
        {"fold: upper key", DICT_FLAG_FOLD_CASE, "USER@EXAMPLE.COM", "a"},
        {"fold: mixed key", DICT_FLAG_FOLD_CASE, "User@Example.Com", "a"},
        {"fold: table key folded too", DICT_FLAG_FOLD_CASE, "MIXED", "b"},
        {"no fold: exact", 0, "user@example.com", "a"},
        {"no fold: upper key", 0, "USER@EXAMPLE.COM", NULL},
        {"no fold: table key as written", 0, "MiXeD", "b"},
    };
    struct buf *err = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct dict *dict = dict_open("inline:{ user@example.com=a, MiXeD=b }",
                                      cases[i].flags, err);
        const char *value;

        CU_ASSERT_PTR_NOT_NULL_FATAL(dict);
        value = dict_lookup(dict, cases[i].key);
        if (cases[i].want == NULL) {
            CU_ASSERT_PTR_NULL(value);
        } else {
            CU_ASSERT_PTR_NOT_NULL(value);
            if (value)
                CU_ASSERT_STRING_EQUAL(value, cases[i].want);
        }
        dict_close(dict);
    }
    buf_free(err);
}

/* --- cdb --- */

struct kv {
    const char *key;
    const char *value;
};

/* Build path.cdb with the tinycdb library, with or without NULs. */
static void build_cdb_raw(const char *cdb_path, const struct kv *entries,
                          size_t count, int with_nul)
{
    struct cdb_make make;
    int fd = open(cdb_path, O_RDWR | O_CREAT | O_TRUNC, 0644);

    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(cdb_make_start(&make, fd) == 0);
    for (size_t i = 0; i < count; i++)
        CU_ASSERT_FATAL(
            cdb_make_add(&make, entries[i].key,
                         (unsigned)strlen(entries[i].key) + (with_nul ? 1 : 0),
                         entries[i].value,
                         (unsigned)strlen(entries[i].value) +
                             (with_nul ? 1 : 0)) == 0);
    CU_ASSERT_FATAL(cdb_make_finish(&make) == 0);
    close(fd);
}

/* Look key up in an open table; NULL-safe comparison. */
static void check_lookup(struct dict *dict, const char *key, const char *want)
{
    const char *value = dict_lookup(dict, key);

    CU_ASSERT_EQUAL(dict_error(dict), DICT_ERR_NONE);
    if (want == NULL) {
        CU_ASSERT_PTR_NULL(value);
    } else {
        CU_ASSERT_PTR_NOT_NULL(value);
        if (value) {
            CU_ASSERT_STRING_EQUAL(value, want);
            CU_ASSERT_EQUAL(strlen(value), strlen(want));
        }
    }
}

static struct dict *open_cdb(const char *path, int flags)
{
    struct buf *spec = buf_alloc(0);
    struct buf *err = buf_alloc(0);
    struct dict *dict;

    buf_printf(spec, "cdb:%s", path);
    dict = dict_open(buf_str(spec), flags, err);
    if (dict == NULL)
        fprintf(stderr, "open_cdb: %s\n", buf_str(err));
    buf_free(spec);
    buf_free(err);
    return dict;
}

static void test_dict_cdb_own_writer(void)
{
    static const struct {
        const char *name;
        const char *key;
        const char *want;
    } lookups[] = {
        {"plain", "example.com", "smtp:[mx.example.com]"},
        {"empty value", "empty", ""},
        {"value with spaces", "spaced", "a b  c"},
        {"duplicate: first wins", "dup", "first"},
        {"missing", "example.org", NULL},
        {"prefix is not a match", "example", NULL},
        {"empty key", "", "empty key value"},
    };
    char *path = fresh_path("own");
    char *cdb_path = with_suffix(path, ".cdb");
    char *tmp_path = with_suffix(path, ".tmp");
    struct buf *err = buf_alloc(0);
    struct dict_cdb_writer *writer;
    struct dict *dict;
    struct stat st;
    struct cdb cdb;
    int fd;

    writer = dict_cdb_create(path, 0, 0644, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(writer);
    CU_ASSERT_EQUAL(stat(tmp_path, &st), 0);
    CU_ASSERT_EQUAL(
        dict_cdb_add(writer, "example.com", "smtp:[mx.example.com]", err), 0);
    CU_ASSERT_EQUAL(dict_cdb_add(writer, "empty", "", err), 0);
    CU_ASSERT_EQUAL(dict_cdb_add(writer, "spaced", "a b  c", err), 0);
    CU_ASSERT_EQUAL(dict_cdb_add(writer, "dup", "first", err), 0);
    unit_capture_start();
    CU_ASSERT_EQUAL(dict_cdb_add(writer, "dup", "second", err), 1);
    unit_capture_stop();
    CU_ASSERT(strstr(unit_last_warning(), "duplicate key \"dup\"") != NULL);
    CU_ASSERT_EQUAL(dict_cdb_add(writer, "", "empty key value", err), 0);
    CU_ASSERT_EQUAL(dict_cdb_commit(writer, err), 0);
    CU_ASSERT_EQUAL(stat(tmp_path, &st), -1);
    CU_ASSERT_EQUAL(stat(cdb_path, &st), 0);

    dict = open_cdb(path, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dict);
    for (size_t i = 0; i < UNIT_COUNT(lookups); i++)
        check_lookup(dict, lookups[i].key, lookups[i].want);
    CU_ASSERT_EQUAL(dict_changed(dict), 0);
    dict_close(dict);

    /* Stored the Postfix way: no NUL after key or value. */
    fd = open(cdb_path, O_RDONLY);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(cdb_init(&cdb, fd) == 0);
    CU_ASSERT_EQUAL(cdb_find(&cdb, "example.com", 11), 1);
    CU_ASSERT_EQUAL(cdb_datalen(&cdb), strlen("smtp:[mx.example.com]"));
    CU_ASSERT_EQUAL(cdb_find(&cdb, "example.com", 12), 0);
    cdb_free(&cdb);
    close(fd);

    mem_free(path);
    mem_free(cdb_path);
    mem_free(tmp_path);
    buf_free(err);
}

static void test_dict_cdb_writer_fold_and_abort(void)
{
    char *path = fresh_path("fold");
    char *cdb_path = with_suffix(path, ".cdb");
    char *tmp_path = with_suffix(path, ".tmp");
    struct buf *err = buf_alloc(0);
    struct dict_cdb_writer *writer;
    struct dict *dict;
    struct stat st;

    writer = dict_cdb_create(path, DICT_FLAG_FOLD_CASE, 0644, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(writer);
    CU_ASSERT_EQUAL(dict_cdb_add(writer, "User@Example.COM", "Value", err), 0);
    /* Folding makes this a duplicate of the first key. */
    CU_ASSERT_EQUAL(dict_cdb_add(writer, "user@example.com", "other", err), 1);
    CU_ASSERT_EQUAL(dict_cdb_commit(writer, err), 0);

    dict = open_cdb(path, DICT_FLAG_FOLD_CASE);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dict);
    check_lookup(dict, "USER@EXAMPLE.COM", "Value");
    check_lookup(dict, "user@example.com", "Value");
    dict_close(dict);
    dict = open_cdb(path, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dict);
    check_lookup(dict, "USER@EXAMPLE.COM", NULL);
    check_lookup(dict, "user@example.com", "Value");

    /* An aborted rebuild leaves the old table alone. */
    CU_ASSERT_EQUAL(dict_changed(dict), 0);
    writer = dict_cdb_create(path, 0, 0644, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(writer);
    CU_ASSERT_EQUAL(dict_cdb_add(writer, "new", "table", err), 0);
    dict_cdb_abort(writer);
    CU_ASSERT_EQUAL(stat(tmp_path, &st), -1);
    CU_ASSERT_EQUAL(dict_changed(dict), 0);
    check_lookup(dict, "user@example.com", "Value");

    /* A committed rebuild is noticed by the open table. */
    writer = dict_cdb_create(path, 0, 0644, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(writer);
    CU_ASSERT_EQUAL(dict_cdb_add(writer, "new", "table", err), 0);
    CU_ASSERT_EQUAL(dict_cdb_commit(writer, err), 0);
    CU_ASSERT_EQUAL(dict_changed(dict), 1);
    /* The open table still reads the file it opened. */
    check_lookup(dict, "user@example.com", "Value");
    dict_close(dict);
    dict = open_cdb(path, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dict);
    check_lookup(dict, "new", "table");
    check_lookup(dict, "user@example.com", NULL);
    dict_close(dict);

    /* The writer's own errors name the file. */
    buf_reset(err);
    CU_ASSERT_PTR_NULL(dict_cdb_create("/nonexistent-dir/table", 0, 0644, err));
    CU_ASSERT_STRING_EQUAL(
        buf_str(err),
        "open /nonexistent-dir/table.tmp: No such file or directory");
    CU_ASSERT_PTR_NULL(dict_cdb_create("", 0, 0644, err));

    mem_free(path);
    mem_free(cdb_path);
    mem_free(tmp_path);
    buf_free(err);
}

static const struct kv nul_entries[] = {
    {"alpha", "one"},
    {"beta", "two"},
    {"", "empty key"},
};

static void test_dict_cdb_nul_conventions(void)
{
    static const struct {
        const char *name;
        int with_nul;
    } cases[] = {
        {"keys and values without NUL", 0},
        {"keys and values with NUL", 1},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        char *path = fresh_path("nul");
        char *cdb_path = with_suffix(path, ".cdb");
        struct dict *dict;

        build_cdb_raw(cdb_path, nul_entries, UNIT_COUNT(nul_entries),
                      cases[i].with_nul);
        dict = open_cdb(path, 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(dict);
        /* Values come back without a NUL of their own (strlen checked). */
        for (size_t j = 0; j < UNIT_COUNT(nul_entries); j++)
            check_lookup(dict, nul_entries[j].key, nul_entries[j].value);
        check_lookup(dict, "gamma", NULL);
        check_lookup(dict, "alph", NULL);
        dict_close(dict);
        mem_free(path);
        mem_free(cdb_path);
    }
}

/*
 * A (broken) table that holds both forms shows which convention the
 * reader settled on: after the first hit it tries only that one.
 */
static void test_dict_cdb_sticks_to_first_match(void)
{
    static const struct {
        const char *name;
        const char *first_key;
        const char *first_want;
        const char *second_key;
    } cases[] = {
        {"NUL form found first", "withnul", "A", "plain"},
        {"plain form found first", "plain", "B", "withnul"},
    };
    struct cdb_make make;

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        char *path = fresh_path("mixed");
        char *cdb_path = with_suffix(path, ".cdb");
        int fd = open(cdb_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
        struct dict *dict;

        CU_ASSERT_FATAL(fd >= 0);
        cdb_make_start(&make, fd);
        cdb_make_add(&make, "withnul", 8, "A", 2);
        cdb_make_add(&make, "plain", 5, "B", 1);
        CU_ASSERT_FATAL(cdb_make_finish(&make) == 0);
        close(fd);

        dict = open_cdb(path, 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(dict);
        check_lookup(dict, cases[i].first_key, cases[i].first_want);
        check_lookup(dict, cases[i].second_key, NULL);
        /* The first form keeps working. */
        check_lookup(dict, cases[i].first_key, cases[i].first_want);
        dict_close(dict);
        mem_free(path);
        mem_free(cdb_path);
    }
}

/* Run argv; the exit status, 127 when it could not be started. */
static int run_command(char *const argv[], int quiet)
{
    pid_t pid = fork();
    int status;

    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null_fd = open("/dev/null", O_WRONLY);

        if (quiet && null_fd >= 0)
            dup2(null_fd, 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static int have_cdb_tool(void)
{
    char *argv[] = {"cdb", "-h", NULL};
    int status = run_command(argv, 1);

    if (status == 127) {
        fprintf(stderr, "\n    SKIPPED: the tinycdb command \"cdb\" is not "
                        "installed (Debian package tinycdb)\n");
        return 0;
    }
    return 1;
}

static void test_dict_cdb_tinycdb_tool(void)
{
    static const struct {
        const char *name;
        int map_format;
        const char *input;
        const char *key;
        const char *want;
    } cases[] = {
        {"map format", 1,
         "# transport map\n"
         "example.com smtp:[mx.example.com]\n"
         "\n"
         "  spaced\tvalue with  spaces\n",
         "example.com", "smtp:[mx.example.com]"},
        {"map format, inner spaces kept", 1,
         "example.com smtp:[mx.example.com]\n"
         "  spaced\tvalue with  spaces\n",
         "spaced", "value with  spaces"},
        {"map format, comment is no key", 1, "# transport map\nexample.com x\n",
         "#", NULL},
        {"cdbmake format", 0, "+3,5:key->value\n+5,3:other->abc\n\n", "other",
         "abc"},
        {"cdbmake format, first key", 0, "+3,5:key->value\n+5,3:other->abc\n\n",
         "key", "value"},
        {"cdbmake format, missing", 0, "+3,5:key->value\n\n", "ke", NULL},
    };

    if (!have_cdb_tool())
        return;
    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        char *path = fresh_path("tool");
        char *cdb_path = with_suffix(path, ".cdb");
        char *input_path = with_suffix(path, ".in");
        char *map_argv[] = {"cdb", "-c", "-m", cdb_path, input_path, NULL};
        char *native_argv[] = {"cdb", "-c", cdb_path, input_path, NULL};
        struct dict *dict;

        unit_write_file(input_path, cases[i].input, strlen(cases[i].input));
        CU_ASSERT_EQUAL_FATAL(
            run_command(cases[i].map_format ? map_argv : native_argv, 0), 0);
        dict = open_cdb(path, 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(dict);
        check_lookup(dict, cases[i].key, cases[i].want);
        dict_close(dict);
        mem_free(path);
        mem_free(cdb_path);
        mem_free(input_path);
    }
}

/* The tool reads what our writer wrote, too. */
static void test_dict_cdb_tool_reads_ours(void)
{
    char *path = fresh_path("ours");
    char *cdb_path = with_suffix(path, ".cdb");
    char *out_path = with_suffix(path, ".out");
    struct buf *err = buf_alloc(0);
    struct dict_cdb_writer *writer;
    char *argv[] = {"sh",     "-c",     "cdb -q \"$0\" key > \"$1\"",
                    cdb_path, out_path, NULL};
    char *data;
    size_t len;

    if (!have_cdb_tool())
        goto done;
    writer = dict_cdb_create(path, 0, 0644, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(writer);
    CU_ASSERT_EQUAL(dict_cdb_add(writer, "key", "value", err), 0);
    CU_ASSERT_EQUAL(dict_cdb_commit(writer, err), 0);
    CU_ASSERT_EQUAL_FATAL(run_command(argv, 0), 0);
    data = unit_read_file(out_path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    CU_ASSERT_EQUAL(len, 5);
    CU_ASSERT(memcmp(data, "value", 5) == 0);
    mem_free(data);
done:
    mem_free(path);
    mem_free(cdb_path);
    mem_free(out_path);
    buf_free(err);
}

static void test_dict_cdb_open_errors(void)
{
    char *path = fresh_path("missing");
    char *short_path = fresh_path("short");
    char *short_cdb = with_suffix(short_path, ".cdb");
    struct buf *spec = buf_alloc(0);
    struct buf *err = buf_alloc(0);
    struct buf *want = buf_alloc(0);

    /* A missing file: the reason names the file and the system error. */
    buf_printf(spec, "cdb:%s", path);
    buf_printf(want, "table cdb:%s: open %s.cdb: No such file or directory",
               path, path);
    CU_ASSERT_PTR_NULL(dict_open(buf_str(spec), 0, err));
    CU_ASSERT_STRING_EQUAL(buf_str(err), buf_str(want));

    /* Too short to be a cdb file. */
    unit_write_file(short_cdb, "0123456789", 10);
    buf_printf(spec, "cdb:%s", short_path);
    CU_ASSERT_PTR_NULL(dict_open(buf_str(spec), 0, err));
    CU_ASSERT(strstr(buf_str(err), "not a valid cdb file") != NULL);
    CU_ASSERT(strstr(buf_str(err), short_cdb) != NULL);

    /* A directory where the file should be. */
    CU_ASSERT_EQUAL(unlink(short_cdb), 0);
    CU_ASSERT_EQUAL(mkdir(short_cdb, 0700), 0);
    CU_ASSERT_PTR_NULL(dict_open(buf_str(spec), 0, err));
    CU_ASSERT(strstr(buf_str(err), "not a regular file") != NULL);

    mem_free(path);
    mem_free(short_path);
    mem_free(short_cdb);
    buf_free(spec);
    buf_free(err);
    buf_free(want);
}

static void test_dict_cdb_corrupt(void)
{
    char *path = fresh_path("corrupt");
    char *cdb_path = with_suffix(path, ".cdb");
    char data[4096];
    struct dict *dict;

    /* Every hash table pointer points far outside the file. */
    memset(data, 0xff, sizeof(data));
    unit_write_file(cdb_path, data, sizeof(data));
    dict = open_cdb(path, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dict);
    unit_capture_start();
    CU_ASSERT_PTR_NULL(dict_lookup(dict, "key"));
    unit_capture_stop();
    CU_ASSERT_EQUAL(dict_error(dict), DICT_ERR_RETRY);
    CU_ASSERT(strstr(unit_last_warning(), "error reading") != NULL);
    CU_ASSERT(strstr(unit_last_warning(), cdb_path) != NULL);
    dict_close(dict);
    mem_free(path);
    mem_free(cdb_path);
}

/* An error is not sticky: a later clean lookup reports none. */
static void test_dict_error_resets(void)
{
    char *path = fresh_path("reset");
    char *cdb_path = with_suffix(path, ".cdb");
    struct dict *dict;

    build_cdb_raw(cdb_path, nul_entries, UNIT_COUNT(nul_entries), 0);
    dict = open_cdb(path, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dict);
    dict->error = DICT_ERR_RETRY;
    check_lookup(dict, "alpha", "one");
    dict->error = DICT_ERR_RETRY;
    check_lookup(dict, "nothing", NULL);
    dict_close(dict);
    mem_free(path);
    mem_free(cdb_path);
}

static const struct unit_case simple_cases[] = {
    {"static", test_dict_static},
    {"inline lookups", test_dict_inline_lookup},
    {"inline malformed", test_dict_inline_malformed},
    {"inline limits", test_dict_inline_limits},
    {"open errors", test_dict_open_errors},
    {"fold case, inline", test_dict_fold_case_inline},
    {NULL, NULL},
};

static const struct unit_case cdb_cases[] = {
    {"own writer", test_dict_cdb_own_writer},
    {"writer fold, abort, rebuild", test_dict_cdb_writer_fold_and_abort},
    {"with and without NUL", test_dict_cdb_nul_conventions},
    {"sticks to first match", test_dict_cdb_sticks_to_first_match},
    {"built by tinycdb's cdb tool", test_dict_cdb_tinycdb_tool},
    {"cdb tool reads our file", test_dict_cdb_tool_reads_ours},
    {"open errors", test_dict_cdb_open_errors},
    {"corrupt file", test_dict_cdb_corrupt},
    {"error status resets", test_dict_error_resets},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"dict", simple_cases},
    {"dict_cdb", cdb_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
