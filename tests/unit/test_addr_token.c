/*
 * test_addr_token - unit tests for RFC 822 address tokens
 * (util/addr_token.c): scanning, the internal and external forms, quoting
 * and unquoting, with malformed input (unbalanced quotes, comments and
 * brackets, stray backslashes, control and 8-bit characters, very long
 * and very many-token addresses). The expected texts are the forms
 * Postfix 3.7's trivial-rewrite gives (observed).
 */
#include <stdlib.h>
#include <string.h>

#include "addr_token.h"
#include "buf.h"
#include "mem.h"
#include "unit.h"

/* A readable picture of a token list: A(x) Q(x) D([x]) C((x)) and ops. */
static void picture(const struct addr_toks *toks, struct buf *out)
{
    buf_reset(out);
    for (size_t i = 0; i < toks->count; i++) {
        const struct addr_tok *tp = toks->v + i;

        if (i)
            buf_append_char(out, ' ');
        switch (tp->type) {
        case ADDR_TOK_ATOM:
            buf_append_printf(out, "A(%s)", tp->text);
            break;
        case ADDR_TOK_QSTRING:
            buf_append_printf(out, "Q(%s)", tp->text);
            break;
        case ADDR_TOK_DOMLIT:
            buf_append_printf(out, "D(%s)", tp->text);
            break;
        case ADDR_TOK_COMMENT:
            buf_append_printf(out, "C(%s)", tp->text);
            break;
        default:
            buf_append_char(out, tp->type);
            break;
        }
    }
}

static void test_scan(void)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        {"user@example.com", "A(user) @ A(example) . A(com)"},
        {"  user  @  host  ", "A(user) @ A(host)"},
        {"\"john smith\"@x", "Q(john smith) @ A(x)"},
        {"\"a\\\"b\"", "Q(a\"b)"},
        {"\"a\tb\"", "Q(a b)"},
        {"\"unbalanced", "Q(unbalanced)"},
        {"\"", "Q()"},
        {"\"\\", "Q()"},
        {"(comment) user", "C((comment)) A(user)"},
        {"(nested (comment)) x", "C((nested (comment))) A(x)"},
        {"(unclosed", "C((unclosed)"},
        {"(a\\)b)", "C((a\\)b))"},
        {"user@[192.0.2.1]", "A(user) @ D([192.0.2.1])"},
        {"user@[192.0.2.1", "A(user) @ D([192.0.2.1])"},
        {"[a\\]b]", "D([a]b])"},
        {"a\\@b", "A(a@b)"},
        {"\\", "A()"},
        {"a\\", "A(a)"},
        {"a!b%c", "A(a) ! A(b) % A(c)"},
        {"a\\!b", "A(a!b)"},
        {")]", ") ]"},
        {"<@a,@b:c@d>", "< @ A(a) , @ A(b) : A(c) @ A(d) >"},
        {"a;b.c", "A(a) ; A(b) . A(c)"},
        {"a\"b\"c", "A(a) Q(b) A(c)"},
        {"a\001b", "A(a\001b)"},
        {"caf\xc3\xa9", "A(caf\xc3\xa9)"},
        {"", ""},
        {" \t\r\n", ""},
    };
    struct addr_toks toks;
    struct buf *out = buf_alloc(100);

    addr_toks_init(&toks);
    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        addr_toks_scan(&toks, cases[i].in);
        picture(&toks, out);
        UNIT_CHECK_STR(cases[i].in, buf_str(out), cases[i].want);
    }
    addr_toks_free(&toks);
    buf_free(out);
}

static void test_forms(void)
{
    static const struct {
        const char *in;       /* external, scanned */
        const char *internal; /* addr_toks_internal */
        const char *external; /* addr_toks_external */
    } cases[] = {
        {"user@example.com", "user@example.com", "user@example.com"},
        {"\"john smith\"@example.com", "john smith@example.com",
         "\"john smith\"@example.com"},
        {"\"user\"@example.com", "user@example.com", "user@example.com"},
        {"john smith", "john smith", "\"john smith\""},
        {"a,b", "a, b", "\"a, b\""},
        {"a,", "a,", "\"a,\""},
        {"a<b", "a <b", "\"a <b\""},
        {",<", ", <", "\", <\""},
        {"Name <user@x>", "Name <user@x>", "\"Name <user\"@x>"},
        {"a\"b\"c", "a b c", "\"a b c\""},
        {"user@host(c)", "user@host (c)", "user@host (c)"},
        {"@a,@b:user@c", "@a, @b:user@c", "@a, @b:user@c"},
        {"@a:", "@a:", "@a:\"\""},
        {"@host", "@host", "\"\"@host"},
        {"a@@b", "a@@b", "\"a@\"@b"},
        {"a.", "a.", "\"a.\""},
        {".a", ".a", "\".a\""},
        {"a..b", "a..b", "\"a..b\""},
        {"a.b", "a.b", "a.b"},
        {"\"a\\\"b\"@x", "a\"b@x", "\"a\\\"b\"@x"},
        {"a\\\\b", "a\\b", "\"a\\\\b\""},
        {"}{|~^!", "}{|~^!", "}{|~^!"},
        {"\"\"", "", "\"\""},
        {"\\", "", "\"\""},
        {"a\001b", "a\001b", "\"a\001b\""},
        {"caf\xc3\xa9@x", "caf\xc3\xa9@x", "caf\xc3\xa9@x"},
    };
    struct addr_toks toks;
    struct buf *out = buf_alloc(100);

    addr_toks_init(&toks);
    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        addr_toks_scan(&toks, cases[i].in);
        buf_reset(out);
        addr_toks_internal(&toks, 0, toks.count, out);
        UNIT_CHECK_STR(cases[i].in, buf_str(out), cases[i].internal);
        addr_toks_external(&toks, out);
        UNIT_CHECK_STR(cases[i].in, buf_str(out), cases[i].external);
    }
    addr_toks_free(&toks);
    buf_free(out);
}

static void test_quote_unquote(void)
{
    static const struct {
        const char *internal;
        const char *external;
    } cases[] = {
        {"user@example.com", "user@example.com"},
        {"john smith@example.com", "\"john smith\"@example.com"},
        {"a,b@c", "\"a,b\"@c"},
        {"a@b@c", "\"a@b\"@c"},
        {"@a,@b:user@c", "@a,@b:user@c"},
        {"@a,@b:x y@c", "@a,@b:\"x y\"@c"},
        {"@a,b@c", "\"@a,b\"@c"},
        {"@example.com", "\"\"@example.com"},
        {"\"q\"@x", "\"\\\"q\\\"\"@x"},
        {"back\\slash", "\"back\\\\slash\""},
        {"user", "user"},
        {"", ""},
    };
    struct buf *out = buf_alloc(100);
    struct buf *back = buf_alloc(100);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        addr_quote_local(cases[i].internal, out);
        UNIT_CHECK_STR(cases[i].internal, buf_str(out), cases[i].external);
    }
    /* Unquoting the external forms gives the internal ones back, except
     * where tokenizing spaces them (the route). */
    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        addr_unquote(cases[i].external, back);
        if (strcmp(cases[i].internal, "@a,@b:user@c") == 0)
            UNIT_CHECK_STR(cases[i].external, buf_str(back), "@a, @b:user@c");
        else if (strcmp(cases[i].internal, "@a,@b:x y@c") == 0)
            UNIT_CHECK_STR(cases[i].external, buf_str(back), "@a, @b:x y@c");
        else
            UNIT_CHECK_STR(cases[i].external, buf_str(back), cases[i].internal);
    }
    buf_free(out);
    buf_free(back);
}

static void test_needs_quote(void)
{
    static const struct {
        const char *local;
        int want;
    } cases[] = {
        {"user", 0},  {"first.last", 0}, {"a+b=c", 0},    {"x!y%z", 0},
        {"a b", 1},   {"a.", 1},         {".a", 1},       {"a..b", 1},
        {"a,b", 1},   {"a\"b", 1},       {"a\\b", 1},     {"a(b", 1},
        {"a\177", 1}, {"a\tb", 1},       {"\xc3\xa9", 0}, {"[x]", 1},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++)
        UNIT_CHECK_INT(
            cases[i].local,
            addr_local_needs_quote(cases[i].local, strlen(cases[i].local)),
            cases[i].want);
}

static void test_list_edits(void)
{
    struct addr_toks toks;
    struct addr_toks other;
    struct buf *out = buf_alloc(100);

    addr_toks_init(&toks);
    addr_toks_init(&other);
    addr_toks_scan(&toks, "a!b@c");
    CU_ASSERT_EQUAL(addr_toks_find(&toks, '!'), 1);
    CU_ASSERT_EQUAL(addr_toks_rfind(&toks, '@'), 3);
    CU_ASSERT_EQUAL(addr_toks_find(&toks, ':'), -1);
    CU_ASSERT_EQUAL(addr_toks_find_from(&toks, 2, 4, '@'), 3);
    addr_toks_copy(&other, &toks, 2, 5);
    picture(&other, out);
    UNIT_CHECK_STR("copy", buf_str(out), "A(b) @ A(c)");
    addr_toks_delete(&toks, 0, 2);
    addr_toks_append_list(&toks, &toks, 0, toks.count);
    picture(&toks, out);
    UNIT_CHECK_STR("self append", buf_str(out), "A(b) @ A(c) A(b) @ A(c)");
    addr_toks_set(&toks, 0, ADDR_TOK_QSTRING, toks.v[0].text);
    addr_toks_truncate(&toks, 1);
    picture(&toks, out);
    UNIT_CHECK_STR("set, truncate", buf_str(out), "Q(b)");
    /* Tight tokens are written without spaces. */
    addr_toks_scan(&toks, "a b,c <d");
    addr_toks_set_tight(&toks, 0, toks.count);
    buf_reset(out);
    addr_toks_internal(&toks, 0, toks.count, out);
    UNIT_CHECK_STR("tight", buf_str(out), "ab,c<d");
    addr_toks_free(&toks);
    addr_toks_free(&other);
    buf_free(out);
}

/* Hostile input: long, deep, many tokens; nothing breaks. */
static void test_hostile(void)
{
    size_t len = 200000;
    char *text = mem_alloc(len + 1);
    struct addr_toks toks;
    struct buf *out = buf_alloc(100);
    static const char pattern[] = "@,:;.<>!%)]\"([\\ a\001\377";

    addr_toks_init(&toks);
    for (size_t i = 0; i < len; i++)
        text[i] = pattern[(i * 7 + i / 3) % (sizeof(pattern) - 1)];
    text[len] = 0;
    addr_toks_scan(&toks, text);
    CU_ASSERT(toks.count > 0);
    addr_toks_external(&toks, out);
    addr_quote_local(text, out);
    addr_unquote(text, out);

    memset(text, '(', len);
    addr_toks_scan(&toks, text);
    CU_ASSERT_EQUAL(toks.count, 1);
    memset(text, '@', len);
    addr_toks_scan(&toks, text);
    CU_ASSERT_EQUAL(toks.count, len);
    addr_toks_external(&toks, out);
    CU_ASSERT_EQUAL(buf_len(out), len + 2);
    addr_toks_free(&toks);
    buf_free(out);
    mem_free(text);
}

static const struct unit_case addr_token_cases[] = {
    {"scan", test_scan},
    {"internal and external forms", test_forms},
    {"quote and unquote", test_quote_unquote},
    {"local parts that need quotes", test_needs_quote},
    {"list edits", test_list_edits},
    {"hostile input", test_hostile},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"addr_token", addr_token_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
