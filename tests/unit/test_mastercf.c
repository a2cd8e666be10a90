/*
 * test_mastercf - unit tests for mastercf (reading master.cf).
 *
 * A stock-like master.cf, the '-' defaults, conditional wakeup, -o
 * overrides in all their forms, { } argument groups, every kind of
 * malformed line (the error must name the file and line) and duplicate
 * services.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "mastercf.h"
#include "mem.h"
#include "unit.h"

static const char stock[] =
    "#\n"
    "# Postern master process configuration file.\n"
    "#\n"
    "# ==================================================================\n"
    "# service type  private unpriv  chroot  wakeup  maxproc command + args\n"
    "#               (yes)   (yes)   (no)    (never) (100)\n"
    "# ==================================================================\n"
    "#smtp      inet  n       -       y       -       -       smtpd\n"
    "628       inet  n       -       n       -       -       qmqpd\n"
    "pickup    unix  n       -       n       60      1       pickup\n"
    "cleanup   unix  n       -       n       -       0       cleanup\n"
    "qmgr      unix  n       -       n       300     1       qmgr\n"
    "#qmgr     unix  n       -       n       300     1       oqmgr\n"
    "tlsmgr    unix  -       -       n       1000?   1       tlsmgr\n"
    "rewrite   unix  -       -       n       -       -       trivial-rewrite\n"
    "bounce    unix  -       -       n       -       0       bounce\n"
    "defer     unix  -       -       n       -       0       bounce\n"
    "trace     unix  -       -       n       -       0       bounce\n"
    "flush     unix  n       -       n       1000?   0       flush\n"
    "showq     unix  n       -       n       -       -       showq\n"
    "error     unix  -       -       n       -       -       error\n"
    "local     unix  -       n       n       -       -       local\n"
    "relay     unix  -       -       n       -       -       smtp\n"
    "        -o syslog_name=postern/$service_name\n"
    "#       -o smtp_helo_timeout=5 -o smtp_connect_timeout=5\n"
    "        -o { smtp_tls_security_level = may }\n"
    "127.0.0.1:10025 inet n  -       n       -       10      smtpd\n"
    "    -o content_filter=\n"
    "    -o { smtpd_client_restrictions = permit_mynetworks, reject }\n"
    "maildrop  unix  -       n       n       -       -       pipe\n"
    "  flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}\n";

static void test_stock_file(void)
{
    char *path = unit_tmpfile("master.cf");
    struct mastercf cf;
    struct buf *err = buf_alloc(10);
    const struct mastercf_entry *e;

    unit_write_file(path, stock, strlen(stock));
    CU_ASSERT_EQUAL_FATAL(mastercf_read(path, &cf, err), 0);
    CU_ASSERT_EQUAL(cf.count, 16);

    e = &cf.entries[0];
    CU_ASSERT_STRING_EQUAL(e->service, "628");
    CU_ASSERT_STRING_EQUAL(e->type, "inet");
    CU_ASSERT_EQUAL(e->type_code, MASTERCF_INET);
    CU_ASSERT_EQUAL(e->private_sock, 0);
    CU_ASSERT_EQUAL(e->unpriv, 1);
    CU_ASSERT_EQUAL(e->chroot, 0);
    CU_ASSERT_EQUAL(e->wakeup, 0);
    CU_ASSERT_EQUAL(e->maxproc_default, 1);
    CU_ASSERT_EQUAL(e->argc, 1);
    CU_ASSERT_STRING_EQUAL(e->argv[0], "qmqpd");
    CU_ASSERT_PTR_NULL(e->argv[1]);
    CU_ASSERT_EQUAL(e->line, 9);

    e = mastercf_find(&cf, "pickup", "unix");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->private_sock, 0);
    CU_ASSERT_EQUAL(e->wakeup, 60);
    CU_ASSERT_EQUAL(e->wakeup_conditional, 0);
    CU_ASSERT_EQUAL(e->maxproc, 1);
    CU_ASSERT_EQUAL(e->maxproc_default, 0);

    e = mastercf_find(&cf, "cleanup", "unix");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->maxproc, 0);
    CU_ASSERT_EQUAL(e->maxproc_default, 0);

    e = mastercf_find(&cf, "tlsmgr", "unix");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->private_sock, 1);
    CU_ASSERT_EQUAL(e->wakeup, 1000);
    CU_ASSERT_EQUAL(e->wakeup_conditional, 1);

    e = mastercf_find(&cf, "rewrite", "unix");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(e->argv[0], "trivial-rewrite");

    e = mastercf_find(&cf, "local", "unix");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->unpriv, 0);

    e = mastercf_find(&cf, "relay", "unix");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->line, 23);
    CU_ASSERT_EQUAL_FATAL(e->argc, 5);
    CU_ASSERT_STRING_EQUAL(e->argv[0], "smtp");
    CU_ASSERT_STRING_EQUAL(e->argv[1], "-o");
    CU_ASSERT_STRING_EQUAL(e->argv[2], "syslog_name=postern/$service_name");
    CU_ASSERT_STRING_EQUAL(e->argv[3], "-o");
    CU_ASSERT_STRING_EQUAL(e->argv[4], "smtp_tls_security_level = may");
    CU_ASSERT_EQUAL_FATAL(e->noverrides, 2);
    CU_ASSERT_STRING_EQUAL(e->overrides[0].name, "syslog_name");
    CU_ASSERT_STRING_EQUAL(e->overrides[0].value, "postern/$service_name");
    CU_ASSERT_STRING_EQUAL(e->overrides[1].name, "smtp_tls_security_level");
    CU_ASSERT_STRING_EQUAL(e->overrides[1].value, "may");

    e = mastercf_find(&cf, "127.0.0.1:10025", "inet");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->maxproc, 10);
    CU_ASSERT_EQUAL_FATAL(e->noverrides, 2);
    CU_ASSERT_STRING_EQUAL(e->overrides[0].name, "content_filter");
    CU_ASSERT_STRING_EQUAL(e->overrides[0].value, "");
    CU_ASSERT_STRING_EQUAL(e->overrides[1].name, "smtpd_client_restrictions");
    CU_ASSERT_STRING_EQUAL(e->overrides[1].value, "permit_mynetworks, reject");

    /* pipe's own arguments, including ones starting with '-', are not -o. */
    e = mastercf_find(&cf, "maildrop", "unix");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->argc, 6);
    CU_ASSERT_STRING_EQUAL(e->argv[4], "-d");
    CU_ASSERT_STRING_EQUAL(e->argv[5], "${recipient}");
    CU_ASSERT_EQUAL(e->noverrides, 0);

    CU_ASSERT_PTR_NULL(mastercf_find(&cf, "smtp", "inet"));
    CU_ASSERT_PTR_NULL(mastercf_find(&cf, "pickup", "fifo"));
    mastercf_free(&cf);
    CU_ASSERT_EQUAL(cf.count, 0);
    mem_free(path);
    buf_free(err);
}

static void test_columns(void)
{
    static const struct {
        const char *name;
        const char *line;
        int private_sock, unpriv, chroot, wakeup, conditional, maxproc,
            maxproc_default;
        enum mastercf_type type;
    } cases[] = {
        {"all defaults unix", "a unix - - - - - cmd", 1, 1, 0, 0, 0, 0, 1,
         MASTERCF_UNIX},
        {"all defaults inet", "25 inet - - - - - cmd", 0, 1, 0, 0, 0, 0, 1,
         MASTERCF_INET},
        {"all explicit", "a unix n n y 10 5 cmd", 0, 0, 1, 10, 0, 5, 0,
         MASTERCF_UNIX},
        {"conditional wakeup", "a fifo y y n 1000? 1 cmd", 1, 1, 0, 1000, 1, 1,
         0, MASTERCF_FIFO},
        {"zero wakeup", "a unix - - - 0 0 cmd", 1, 1, 0, 0, 0, 0, 0,
         MASTERCF_UNIX},
        {"unix-dgram", "a unix-dgram - - - - 2 cmd", 1, 1, 0, 0, 0, 2, 0,
         MASTERCF_UNIX_DGRAM},
        {"pass", "a pass - - - - - cmd", 1, 1, 0, 0, 0, 0, 1, MASTERCF_PASS},
        {"tabs", "a\tunix\t-\t-\t-\t-\t-\tcmd", 1, 1, 0, 0, 0, 0, 1,
         MASTERCF_UNIX},
        {"ipv6 endpoint", "[::1]:628 inet n - n - - qmqpd", 0, 1, 0, 0, 0, 0, 1,
         MASTERCF_INET},
    };
    struct buf *err = buf_alloc(10);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct mastercf cf;
        const struct mastercf_entry *e;

        if (mastercf_read_text("master.cf", cases[i].line,
                               strlen(cases[i].line), &cf, err) < 0) {
            fprintf(stderr, "\n  case \"%s\": %s\n", cases[i].name,
                    buf_str(err));
            CU_FAIL("parse failed");
            continue;
        }
        CU_ASSERT_EQUAL_FATAL(cf.count, 1);
        e = &cf.entries[0];
        CU_ASSERT_EQUAL(e->type_code, cases[i].type);
        UNIT_CHECK_STR(cases[i].name, e->type,
                       mastercf_type_name(cases[i].type));
        CU_ASSERT_EQUAL(e->private_sock, cases[i].private_sock);
        CU_ASSERT_EQUAL(e->unpriv, cases[i].unpriv);
        CU_ASSERT_EQUAL(e->chroot, cases[i].chroot);
        CU_ASSERT_EQUAL(e->wakeup, cases[i].wakeup);
        CU_ASSERT_EQUAL(e->wakeup_conditional, cases[i].conditional);
        CU_ASSERT_EQUAL(e->maxproc, cases[i].maxproc);
        CU_ASSERT_EQUAL(e->maxproc_default, cases[i].maxproc_default);
        CU_ASSERT_EQUAL(e->line, 1);
        mastercf_free(&cf);
    }
    buf_free(err);
}

static void test_arguments(void)
{
    static const struct {
        const char *name;
        const char *args;      /* after the seven columns */
        const char *argv;      /* joined with '|' */
        const char *overrides; /* "name=value;" each */
    } cases[] = {
        {"command only", "smtpd", "smtpd", ""},
        {"-o name=value", "smtpd -o a=b -o c=d", "smtpd|-o|a=b|-o|c=d",
         "a=b;c=d;"},
        {"-oname=value", "smtpd -oa=b", "smtpd|-oa=b", "a=b;"},
        {"-o empty value", "smtpd -o a=", "smtpd|-o|a=", "a=;"},
        {"-o value with =", "smtpd -o a=b=c", "smtpd|-o|a=b=c", "a=b=c;"},
        {"-o { }", "smtpd -o { a = b c }", "smtpd|-o|a = b c", "a=b c;"},
        {"-o { } tight", "smtpd -o {a=b,c}", "smtpd|-o|a=b,c", "a=b,c;"},
        {"-o { } multi-line", "smtpd -o {\n   a = x\n   y }",
         "smtpd|-o|a = x y", "a=x y;"},
        {"other options", "smtpd -v -n x -o a=b -vv",
         "smtpd|-v|-n|x|-o|a=b|-vv", "a=b;"},
        {"option value that looks like -o", "smtpd -n -o a=b",
         "smtpd|-n|-o|a=b", ""},
        {"stops at first argument", "pipe argv=/bin/x -o a=b",
         "pipe|argv=/bin/x|-o|a=b", ""},
        {"stops at --", "smtpd -- -o a=b", "smtpd|--|-o|a=b", ""},
        {"group argument", "pipe { argv=/bin/x a b }", "pipe|argv=/bin/x a b",
         ""},
        {"empty group", "pipe { } x", "pipe||x", ""},
        {"braces in a word", "pipe a${b c}d", "pipe|a${b c}d", ""},
        {"commas are not separators", "pipe a,b", "pipe|a,b", ""},
    };
    struct buf *err = buf_alloc(10);
    struct buf *text = buf_alloc(10);
    struct buf *got = buf_alloc(10);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct mastercf cf;
        const struct mastercf_entry *e;

        buf_printf(text, "svc unix - - - - - %s\n", cases[i].args);
        if (mastercf_read_text("master.cf", buf_str(text), buf_len(text), &cf,
                               err) < 0) {
            fprintf(stderr, "\n  case \"%s\": %s\n", cases[i].name,
                    buf_str(err));
            CU_FAIL("parse failed");
            continue;
        }
        e = &cf.entries[0];
        buf_reset(got);
        for (size_t j = 0; j < e->argc; j++)
            buf_append_printf(got, "%s%s", j ? "|" : "", e->argv[j]);
        UNIT_CHECK_STR(cases[i].name, buf_str(got), cases[i].argv);
        CU_ASSERT_PTR_NULL(e->argv[e->argc]);
        buf_reset(got);
        for (size_t j = 0; j < e->noverrides; j++)
            buf_append_printf(got, "%s=%s;", e->overrides[j].name,
                              e->overrides[j].value);
        UNIT_CHECK_STR(cases[i].name, buf_str(got), cases[i].overrides);
        mastercf_free(&cf);
    }
    buf_free(err);
    buf_free(text);
    buf_free(got);
}

static void test_errors(void)
{
    static const struct {
        const char *name;
        const char *text;
        const char *err;
    } cases[] = {
        {"too few columns", "# c\na unix - - - - cmd\n",
         "master.cf, line 2: too few columns (7, need 8: service type "
         "private unpriv chroot wakeup maxproc command)"},
        {"too few columns, continued",
         "a unix - - - - - cmd\n\nb unix -\n"
         "  - - -\n",
         "master.cf, line 3: too few columns (6, need 8: service type "
         "private unpriv chroot wakeup maxproc command)"},
        {"bad type", "a tcp - - - - - cmd\n",
         "master.cf, line 1: bad service type \"tcp\" (use inet, unix, "
         "unix-dgram, fifo or pass)"},
        {"bad private", "a unix yes - - - - cmd\n",
         "master.cf, line 1: bad private column \"yes\" (use y, n or -)"},
        {"bad unpriv", "a unix - Y - - - cmd\n",
         "master.cf, line 1: bad unpriv column \"Y\" (use y, n or -)"},
        {"bad chroot", "a unix - - 1 - - cmd\n",
         "master.cf, line 1: bad chroot column \"1\" (use y, n or -)"},
        {"bad wakeup", "a unix - - - 1x - cmd\n",
         "master.cf, line 1: bad wakeup column \"1x\" (seconds, with an "
         "optional '?', or -)"},
        {"wakeup only ?", "a unix - - - ? - cmd\n",
         "master.cf, line 1: bad wakeup column \"?\" (seconds, with an "
         "optional '?', or -)"},
        {"negative wakeup", "a unix - - - -5 - cmd\n",
         "master.cf, line 1: bad wakeup column \"-5\" (seconds, with an "
         "optional '?', or -)"},
        {"huge wakeup", "a unix - - - 99999999999 - cmd\n",
         "master.cf, line 1: bad wakeup column \"99999999999\" (seconds, with "
         "an optional '?', or -)"},
        {"bad maxproc", "a unix - - - - many cmd\n",
         "master.cf, line 1: bad maxproc column \"many\" (a number or -)"},
        {"maxproc with ?", "a unix - - - - 1? cmd\n",
         "master.cf, line 1: bad maxproc column \"1?\" (a number or -)"},
        {"private inet", "smtp inet y - - - - smtpd\n",
         "master.cf, line 1: inet service smtp cannot be private"},
        {"unbalanced {", "a unix - - - - - cmd -o { a = b\n",
         "master.cf, line 1: unbalanced '{' in \"{ a = b\""},
        {"unbalanced }", "a unix - - - - - cmd x}\n",
         "master.cf, line 1: unbalanced '}' in \"x}\""},
        {"-o without value", "a unix - - - - - cmd -o\n",
         "master.cf, line 1: -o without a value (use -o name=value)"},
        {"-o without =", "a unix - - - - - cmd -o name value\n",
         "master.cf, line 1: -o name: missing '=' (use -o name=value)"},
        {"-o { } without =", "a unix - - - - - cmd -o { name value }\n",
         "master.cf, line 1: -o name value: missing '=' (use -o "
         "name=value)"},
        {"-o bad name", "a unix - - - - - cmd -o a/b=c\n",
         "master.cf, line 1: -o a/b=c: bad parameter name"},
        {"-o empty name", "a unix - - - - - cmd -o =c\n",
         "master.cf, line 1: -o =c: bad parameter name"},
        {"empty service", "{} unix - - - - - cmd\n",
         "master.cf, line 1: empty service name"},
        {"continuation first", "  a unix - - - - - cmd\n",
         "master.cf, line 1: continuation line (starts with white space) "
         "without a preceding line"},
    };
    struct buf *err = buf_alloc(10);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct mastercf cf;
        int ret = mastercf_read_text("master.cf", cases[i].text,
                                     strlen(cases[i].text), &cf, err);

        CU_ASSERT_EQUAL(ret, -1);
        UNIT_CHECK_STR(cases[i].name, buf_str(err), cases[i].err);
        CU_ASSERT_EQUAL(cf.count, 0);
        CU_ASSERT_PTR_NULL(cf.entries);
    }
    buf_free(err);
}

static void test_missing_file(void)
{
    struct mastercf cf;
    struct buf *err = buf_alloc(10);

    CU_ASSERT_EQUAL(mastercf_read("/nonexistent/master.cf", &cf, err), -1);
    CU_ASSERT_STRING_EQUAL(buf_str(err), "open /nonexistent/master.cf: No "
                                         "such file or directory");
    CU_ASSERT_EQUAL(cf.count, 0);
    buf_free(err);
}

static void test_duplicates(void)
{
    static const char text[] = "a unix - - - - 1 first\n"
                               "b unix - - - - - other\n"
                               "a fifo - - - - - same-name-other-type\n"
                               "# comment\n"
                               "a unix - - - - 2 second\n";
    struct mastercf cf;
    struct buf *err = buf_alloc(10);
    const struct mastercf_entry *e;

    unit_capture_start();
    CU_ASSERT_EQUAL_FATAL(
        mastercf_read_text("master.cf", text, strlen(text), &cf, err), 0);
    unit_capture_stop();
    CU_ASSERT_EQUAL(unit_warning_count(), 1);
    CU_ASSERT_STRING_EQUAL(unit_last_warning(),
                           "warning: master.cf, line 5: duplicate "
                           "service a/unix (first at line 1); using "
                           "the entry at line 5");
    CU_ASSERT_EQUAL(cf.count, 3);
    e = mastercf_find(&cf, "a", "unix");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(e->argv[0], "second");
    CU_ASSERT_EQUAL(e->maxproc, 2);
    CU_ASSERT_EQUAL(e->line, 5);
    e = mastercf_find(&cf, "a", "fifo");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(e->argv[0], "same-name-other-type");
    /* The order is that of the entries that remain. */
    CU_ASSERT_STRING_EQUAL(cf.entries[0].service, "b");
    CU_ASSERT_STRING_EQUAL(cf.entries[2].argv[0], "second");
    mastercf_free(&cf);
    buf_free(err);
}

static void test_empty(void)
{
    static const char text[] = "# nothing here\n\n   \n";
    struct mastercf cf;
    struct buf *err = buf_alloc(10);

    CU_ASSERT_EQUAL(
        mastercf_read_text("master.cf", text, strlen(text), &cf, err), 0);
    CU_ASSERT_EQUAL(cf.count, 0);
    mastercf_free(&cf);
    CU_ASSERT_STRING_EQUAL(mastercf_type_name(MASTERCF_UNIX_DGRAM),
                           "unix-dgram");
    buf_free(err);
}

static const struct unit_case cases[] = {
    {"stock file", test_stock_file},
    {"columns and defaults", test_columns},
    {"command arguments and -o", test_arguments},
    {"malformed lines", test_errors},
    {"missing file", test_missing_file},
    {"duplicates", test_duplicates},
    {"empty file", test_empty},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"mastercf", cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
