/*
 * test_addr_match - unit tests for client match lists (addr_match.c).
 *
 * One table of cases, each a pattern list, flags, a client (name,
 * address), the expected verdict and the expected warning ("" for none):
 * host names and domains with and without parent-domain matching,
 * IPv4/IPv6 addresses and networks in every accepted spelling, inline
 * and static tables, negation and first-match-wins, and malformed
 * patterns (which must give ADDR_MATCH_ERROR once reached, never a
 * silent "no"). Files of patterns and a corrupt cdb table (a lookup
 * error) are built in the test's temporary directory.
 */
#include <stdlib.h>
#include <string.h>

#include "addr_match.h"
#include "buf.h"
#include "conf.h"
#include "mem.h"
#include "unit.h"

#define P ADDR_MATCH_FLAG_PARENT
#define Y ADDR_MATCH_YES
#define N ADDR_MATCH_NO
#define E ADDR_MATCH_ERROR

static const struct {
    const char *name;
    const char *patterns;
    int flags;
    const char *client_name;
    const char *client_addr;
    int want;
    const char *warning;
} cases[] = {
    /* Empty lists and plain names. */
    {"empty list", "", 0, "localhost", "127.0.0.1", N, ""},
    {"blank list", " , \t", 0, "localhost", "127.0.0.1", N, ""},
    {"host name", "localhost", 0, "localhost", "127.0.0.1", Y, ""},
    {"host name any case", "LocalHost", 0, "localHOST", "127.0.0.1", Y, ""},
    {"other host", "otherhost", 0, "localhost", "127.0.0.1", N, ""},
    {"no name given", "localhost", 0, NULL, "127.0.0.1", N, ""},
    {"empty name given", "localhost", 0, "", "127.0.0.1", N, ""},
    {"unknown is a name", "unknown", 0, "unknown", "192.0.2.1", Y, ""},
    /* Domains. */
    {"domain without parent matching: itself", "example.com", 0, "example.com",
     "192.0.2.1", Y, ""},
    {"domain without parent matching: subdomain", "example.com", 0,
     "mail.example.com", "192.0.2.1", N, ""},
    {"domain with parent matching: subdomain", "example.com", P,
     "mail.example.com", "192.0.2.1", Y, ""},
    {"domain with parent matching: deeper", "example.com", P, "a.b.example.com",
     "192.0.2.1", Y, ""},
    {"parent matching needs a dot", "example.com", P, "badexample.com",
     "192.0.2.1", N, ""},
    {"dot domain: subdomain", ".example.com", 0, "mail.example.com",
     "192.0.2.1", Y, ""},
    {"dot domain: not itself", ".example.com", P, "example.com", "192.0.2.1", N,
     ""},
    {"dot domain any case", ".Example.COM", 0, "MAIL.example.com", "192.0.2.1",
     Y, ""},
    /* IPv4. */
    {"ipv4 address", "127.0.0.1", 0, "localhost", "127.0.0.1", Y, ""},
    {"ipv4 address in brackets", "[127.0.0.1]", 0, "x", "127.0.0.1", Y, ""},
    {"ipv4 other address", "127.0.0.2", 0, "x", "127.0.0.1", N, ""},
    {"ipv4 network", "127.0.0.0/8", 0, "x", "127.1.2.3", Y, ""},
    {"ipv4 network outside", "10.0.0.0/8", 0, "x", "127.1.2.3", N, ""},
    {"ipv4 /0", "0.0.0.0/0", 0, "x", "203.0.113.9", Y, ""},
    {"ipv4 /32", "192.0.2.1/32", 0, "x", "192.0.2.1", Y, ""},
    {"ipv4 odd prefix inside", "192.0.2.64/26", 0, "x", "192.0.2.127", Y, ""},
    {"ipv4 odd prefix outside", "192.0.2.64/26", 0, "x", "192.0.2.128", N, ""},
    {"ipv4 network in brackets", "[192.0.2.0]/24", 0, "x", "192.0.2.5", Y, ""},
    {"ipv4 pattern, ipv6 client", "127.0.0.1", 0, "x", "::1", N, ""},
    {"address pattern is not a name", "127.0.0.1", 0, "127.0.0.1", "192.0.2.1",
     N, ""},
    {"unparsable client address", "127.0.0.0/8", 0, "x", "unknown", N, ""},
    {"no client address", "127.0.0.0/8", 0, "x", NULL, N, ""},
    /* IPv6. */
    {"ipv6 address bare", "::1", 0, "x", "::1", Y, ""},
    {"ipv6 address in brackets", "[::1]", 0, "x", "::1", Y, ""},
    {"ipv6 other spelling", "[0:0::0:1]", 0, "x", "::1", Y, ""},
    {"ipv6 network bracket then prefix", "[2001:db8::]/32", 0, "x",
     "2001:db8:1::5", Y, ""},
    {"ipv6 network prefix inside brackets", "[2001:db8::/32]", 0, "x",
     "2001:db8:ffff::1", Y, ""},
    {"ipv6 network bare", "2001:db8::/32", 0, "x", "2001:db8::1", Y, ""},
    {"ipv6 network outside", "2001:db8::/32", 0, "x", "2001:db9::1", N, ""},
    {"ipv6 link local not a table", "fe80::1", 0, "x", "fe80::1", Y, ""},
    {"ipv6 /127", "[2001:db8::2]/127", 0, "x", "2001:db8::3", Y, ""},
    {"ipv6 pattern, ipv4 client", "::1", 0, "x", "127.0.0.1", N, ""},
    /* Order and negation. */
    {"first match wins: yes", "127.0.0.1, !127.0.0.0/8", 0, "x", "127.0.0.1", Y,
     ""},
    {"negation first", "!127.0.0.1, 127.0.0.0/8", 0, "x", "127.0.0.1", N, ""},
    {"negation misses, later match", "!127.0.0.2, 127.0.0.0/8", 0, "x",
     "127.0.0.1", Y, ""},
    {"negated name", "!localhost, 127.0.0.1", 0, "localhost", "127.0.0.1", N,
     ""},
    {"double negation", "!!127.0.0.1", 0, "x", "127.0.0.1", Y, ""},
    {"separators", "a.example\t127.0.0.1\n,x", 0, "y", "127.0.0.1", Y, ""},
    /* Tables. */
    {"inline by name", "inline:{ localhost=ok }", 0, "localhost", "127.0.0.1",
     Y, ""},
    {"inline by name, folded", "inline:{ localhost=ok }", 0, "LOCALHOST",
     "127.0.0.1", Y, ""},
    {"inline by address", "inline:{ 127.0.0.1=ok }", 0, "x", "127.0.0.1", Y,
     ""},
    {"inline miss", "inline:{ 127.0.0.2=ok }", 0, "x", "127.0.0.1", N, ""},
    {"inline parent with flag", "inline:{ example.com=ok }", P,
     "mail.example.com", "192.0.2.1", Y, ""},
    {"inline parent without flag", "inline:{ example.com=ok }", 0,
     "mail.example.com", "192.0.2.1", N, ""},
    {"inline dot parent without flag", "inline:{ .example.com=ok }", 0,
     "mail.example.com", "192.0.2.1", Y, ""},
    {"static matches all", "static:yes", 0, "x", "192.0.2.1", Y, ""},
    {"negated table", "!inline:{ 127.0.0.1=x }, static:y", 0, "x", "127.0.0.1",
     N, ""},
    /* Malformed: an error once reached, never a silent no. */
    {"bad prefix length", "127.0.0.0/33", 0, "x", "127.0.0.1", E,
     "bad network prefix length"},
    {"bad prefix digits", "127.0.0.0/8x", 0, "x", "127.0.0.1", E,
     "bad network prefix length"},
    {"empty prefix", "127.0.0.0/", 0, "x", "127.0.0.1", E,
     "bad network prefix length"},
    {"bad network address", "127.0.0/8", 0, "x", "127.0.0.1", E, "bad address"},
    {"bad dotted quad", "127.0.0.256", 0, "x", "127.0.0.1", E, "bad address"},
    {"short dotted quad", "127.1", 0, "x", "127.0.0.1", E, "bad address"},
    {"host bits set", "127.0.0.1/8", 0, "x", "127.0.0.1", E,
     "\"127.0.0.0/8\" instead"},
    {"ipv6 host bits set", "[2001:db8::1]/32", 0, "x", "2001:db8::1", E,
     "\"[2001:db8::]/32\" instead"},
    {"ipv6 prefix too long", "[::1]/129", 0, "x", "::1", E,
     "bad network prefix length"},
    {"bracket not closed", "[127.0.0.1", 0, "x", "127.0.0.1", E,
     "bad address in brackets"},
    {"text after bracket", "[127.0.0.1]:25", 0, "x", "127.0.0.1", E,
     "bad address in brackets"},
    {"name in brackets", "[localhost]", 0, "localhost", "127.0.0.1", E,
     "bad address"},
    {"unknown table type", "nosuch:/x", 0, "x", "127.0.0.1", E,
     "unsupported table type"},
    {"unbalanced inline table", "inline:{ a=b", 0, "x", "127.0.0.1", E,
     "unbalanced"},
    {"bad inline table", "inline:a=b", 0, "x", "127.0.0.1", E,
     "table inline:a=b"},
    {"missing cdb file", "cdb:/nonexistent/postern-test", 0, "x", "127.0.0.1",
     E, "No such file"},
    {"nothing after negation", "!", 0, "x", "127.0.0.1", E,
     "nothing after '!'"},
    {"lone dot", ".", 0, "x", "127.0.0.1", E, "empty domain name"},
    {"negated file", "!/etc/hosts", 0, "x", "127.0.0.1", E,
     "cannot be negated"},
    {"unbalanced braces", "{a", 0, "x", "127.0.0.1", E, "unbalanced"},
    {"missing file", "/nonexistent/postern-list", 0, "x", "127.0.0.1", E,
     "No such file"},
    /* Only reached malformed patterns count. */
    {"malformed after a match", "127.0.0.1, 127.0.0.0/33", 0, "x", "127.0.0.1",
     Y, ""},
    {"malformed before a match", "127.0.0.0/33, 127.0.0.1", 0, "x", "127.0.0.1",
     E, "malformed pattern \"127.0.0.0/33\""},
    {"malformed negation fails closed", "!127.0.0.0/33, 127.0.0.0/8", 0, "x",
     "127.0.0.1", E, "malformed pattern \"!127.0.0.0/33\""},
};

static void test_addr_match_table(void)
{
    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct addr_match_list *list = addr_match_list_create(
            "test_list", cases[i].patterns, cases[i].flags);

        unit_capture_start();
        UNIT_CHECK_INT(
            cases[i].name,
            addr_match(list, cases[i].client_name, cases[i].client_addr),
            cases[i].want);
        unit_capture_stop();
        UNIT_CHECK_WARNING(cases[i].name, cases[i].warning);
        if (cases[i].warning[0])
            UNIT_CHECK_HAS(cases[i].name, unit_last_warning(), "test_list: ");
        addr_match_list_free(list);
    }
}

/* Files of patterns: comments, nesting, and a nesting loop. */
static void test_addr_match_files(void)
{
    char *inner = unit_tmpfile("addr_match_inner");
    char *outer = unit_tmpfile("addr_match_outer");
    char *loop = unit_tmpfile("addr_match_loop");
    struct buf *text = buf_alloc(100);
    struct addr_match_list *list;

    unit_write_file(inner, UNIT_BYTES("# comment line\n"
                                      "  # indented comment\n"
                                      "192.0.2.0/24, !198.51.100.7\n"
                                      "\n"
                                      "mail.example.com 198.51.100.0/24\n"));
    buf_printf(text, "!192.0.2.9\n%s\n.example.org\n", inner);
    unit_write_file(outer, buf_str(text), buf_len(text));

    list = addr_match_list_create("files", outer, 0);
    unit_capture_start();
    UNIT_CHECK_INT("negated in outer file", addr_match(list, "x", "192.0.2.9"),
                   N);
    UNIT_CHECK_INT("network in inner file", addr_match(list, "x", "192.0.2.10"),
                   Y);
    UNIT_CHECK_INT("negation in inner file",
                   addr_match(list, "x", "198.51.100.7"), N);
    UNIT_CHECK_INT("later line in inner file",
                   addr_match(list, "x", "198.51.100.8"), Y);
    UNIT_CHECK_INT("name in inner file",
                   addr_match(list, "mail.example.com", "203.0.113.1"), Y);
    UNIT_CHECK_INT("domain after the file",
                   addr_match(list, "a.example.org", "203.0.113.1"), Y);
    UNIT_CHECK_INT("comment text is no pattern",
                   addr_match(list, "comment", "203.0.113.1"), N);
    unit_capture_stop();
    UNIT_CHECK_WARNING("files", "");
    addr_match_list_free(list);

    /* A file that names itself: bounded, and an error once reached. */
    unit_write_file(loop, loop, strlen(loop));
    list = addr_match_list_create("loop", loop, 0);
    unit_capture_start();
    UNIT_CHECK_INT("file loop", addr_match(list, "x", "192.0.2.1"), E);
    unit_capture_stop();
    UNIT_CHECK_WARNING("file loop", "nested too deeply");
    addr_match_list_free(list);

    /* A NUL byte in a file. */
    unit_write_file(inner, UNIT_BYTES("192.0.2.1\0junk\n"));
    list = addr_match_list_create("nul", inner, 0);
    unit_capture_start();
    UNIT_CHECK_INT("NUL in file", addr_match(list, "x", "192.0.2.1"), E);
    unit_capture_stop();
    UNIT_CHECK_WARNING("NUL in file", "NUL byte");
    addr_match_list_free(list);

    buf_free(text);
    mem_free(inner);
    mem_free(outer);
    mem_free(loop);
}

/* A table that cannot be read: an error, with the key in the warning. */
static void test_addr_match_lookup_error(void)
{
    char *base = unit_tmpfile("addr_match_corrupt");
    struct buf *path = buf_alloc(100);
    struct buf *spec = buf_alloc(100);
    struct addr_match_list *list;
    char data[4096];

    memset(data, 0xff, sizeof(data));
    buf_printf(path, "%s.cdb", base);
    unit_write_file(buf_str(path), data, sizeof(data));
    buf_printf(spec, "127.0.0.2, cdb:%s, 127.0.0.1", base);
    list = addr_match_list_create("corrupt", buf_str(spec), 0);
    unit_capture_start();
    UNIT_CHECK_INT("before the table", addr_match(list, "x", "127.0.0.2"), Y);
    UNIT_CHECK_INT("lookup error", addr_match(list, "x", "127.0.0.1"), E);
    unit_capture_stop();
    UNIT_CHECK_WARNING("lookup error", "lookup of \"");
    UNIT_CHECK_HAS("lookup error", unit_last_warning(), "corrupt: table cdb:");
    addr_match_list_free(list);
    buf_free(path);
    buf_free(spec);
    mem_free(base);
}

/* The parameter form: parent_domain_matches_subdomains decides. */
static void test_addr_match_param(void)
{
    struct conf *conf = conf_create();
    struct buf *err = buf_alloc(100);
    struct addr_match_list *list;
    static const char text[] = "qmqpd_authorized_clients = example.com\n"
                               "debug_peer_list = example.com\n"
                               "parent_domain_matches_subdomains = "
                               "qmqpd_authorized_clients\n";

    CU_ASSERT_EQUAL_FATAL(
        conf_read_text(conf, "main.cf", text, strlen(text), err), 0);
    list = addr_match_list_param(conf, "qmqpd_authorized_clients");
    UNIT_CHECK_INT("listed parameter",
                   addr_match(list, "mail.example.com", "192.0.2.1"), Y);
    CU_ASSERT_FALSE(addr_match_list_empty(list));
    CU_ASSERT_PTR_NULL(addr_match_list_changed(list));
    addr_match_list_free(list);
    list = addr_match_list_param(conf, "debug_peer_list");
    UNIT_CHECK_INT("unlisted parameter",
                   addr_match(list, "mail.example.com", "192.0.2.1"), N);
    addr_match_list_free(list);
    conf_free(conf);

    /* Defaults: the list is empty, so nobody is authorized. */
    conf = conf_create();
    list = addr_match_list_param(conf, "qmqpd_authorized_clients");
    CU_ASSERT_TRUE(addr_match_list_empty(list));
    UNIT_CHECK_INT("default", addr_match(list, "localhost", "127.0.0.1"), N);
    addr_match_list_free(list);
    conf_free(conf);
    buf_free(err);
}

/* A table replaced on disk is reported by its spec. */
static void test_addr_match_changed(void)
{
    char *base = unit_tmpfile("addr_match_changed");
    struct buf *path = buf_alloc(100);
    struct buf *spec = buf_alloc(100);
    struct addr_match_list *list;
    char data[4096];

    memset(data, 0, sizeof(data));
    buf_printf(path, "%s.cdb", base);
    unit_write_file(buf_str(path), data, 2048);
    buf_printf(spec, "cdb:%s", base);
    list = addr_match_list_create("changed", buf_str(spec), 0);
    CU_ASSERT_PTR_NULL(addr_match_list_changed(list));
    unit_write_file(buf_str(path), data, sizeof(data));
    UNIT_CHECK_STR("changed", addr_match_list_changed(list), buf_str(spec));
    addr_match_list_free(list);
    buf_free(path);
    buf_free(spec);
    mem_free(base);
}

static const struct unit_case match_cases[] = {
    {"table of cases", test_addr_match_table},
    {"files of patterns", test_addr_match_files},
    {"lookup error", test_addr_match_lookup_error},
    {"from a parameter", test_addr_match_param},
    {"table changed", test_addr_match_changed},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"addr_match", match_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
