/*
 * test_addr_list - unit tests for RFC 5322 address list parsing
 *
 * Tables: header values and the addresses found in them (internal form,
 * whether in angle brackets, whether in a group), well-formed and
 * malformed (unbalanced quotes, comments, brackets and angles, stray
 * separators, empty groups, nothing at all); the token limit; replacing
 * an address and writing the list back, with and without folding; and
 * display-name quoting. Every malformed input gives some answer, never a
 * crash (the sanitizer build checks the memory side).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr_list.h"
#include "unit.h"

/*
 * want: the addresses, each as "<" or "" (angle), then "g:" when in a
 * group, then the internal form, joined by " | ".
 */
static const struct {
    const char *name;
    const char *text;
    size_t limit;
    const char *want;
    int truncated;
} parse_cases[] = {
    {"bare", "user@example.com", 0, "user@example.com", 0},
    {"two bare", "a@x, b@y", 0, "a@x | b@y", 0},
    {"unqualified", "bob", 0, "bob", 0},
    {"display name", "\"A. User\" <a@x>", 0, "<a@x", 0},
    {"atom display name", "Joe   User <joe@x>", 0, "<joe@x", 0},
    {"angle only", "<a@x>", 0, "<a@x", 0},
    {"null address", "<>", 0, "<", 0},
    {"comments around", "(c) eve@x (c2)", 0, "eve@x", 0},
    {"comment inside", "eve(c)@x", 0, "eve@x", 0},
    {"comment after angle", "Ann <a@y> (home)", 0, "<a@y", 0},
    {"quoted local part", "\"a b\"@x", 0, "a b@x", 0},
    {"quoted with escapes", "\"a\\\"b\"@x", 0, "a\"b@x", 0},
    {"dotted", "first.last@sub.example.com", 0, "first.last@sub.example.com",
     0},
    {"domain literal", "u@[192.0.2.1]", 0, "u@[192.0.2.1]", 0},
    {"source route", "<@r1:u@d>", 0, "<@r1:u@d", 0},
    {"group", "friends: a@x, b@y;", 0, "g:a@x | g:b@y", 0},
    {"group then more", "friends: a@x;, c@z", 0, "g:a@x | c@z", 0},
    {"empty group", "undisclosed-recipients:;", 0, "", 0},
    {"two groups", "g1: a;, g2: b;", 0, "g:a | g:b", 0},
    {"group with display names", "team: \"A\" <a@x>, B <b@y>;", 0,
     "<g:a@x | <g:b@y", 0},
    {"colon in angle is not a group", "<a:b@c>", 0, "<a:b@c", 0},
    {"semicolon separates", "a@b; c@d", 0, "a@b | c@d", 0},
    {"folded value", "a@x,\n\tb@y", 0, "a@x | b@y", 0},
    {"mixed list", "bob, carol@x.example, \"Q Name\" <dave>, (c) eve (c2)", 0,
     "bob | carol@x.example | <dave | eve", 0},
    /* Malformed. */
    {"empty", "", 0, "", 0},
    {"white space only", "  \t ", 0, "", 0},
    {"commas only", ",,,", 0, "", 0},
    {"comment only", "(nobody)", 0, "", 0},
    {"unclosed angle", "a <b@c", 0, "<b@c", 0},
    {"unclosed angle then comma", "a <b@c, d@e", 0, "<b@c, d@e", 0},
    {"nested angles", "broken <<>>", 0, "<<", 0},
    {"stray closing angle", "a@b>", 0, "a@b>", 0},
    {"unclosed quote", "\"unterminated", 0, "unterminated", 0},
    {"unclosed comment", "x (never closed", 0, "x", 0},
    {"unclosed literal", "u@[1.2.3", 0, "u@[1.2.3]", 0},
    {"nested comments", "x ((a)(b(c))) @y", 0, "x@y", 0},
    {"group without end", "g: a@x, b@y", 0, "g:a@x | g:b@y", 0},
    {"colons", "a:b:c@d", 0, "g:b:c@d", 0},
    {"lone at", "@", 0, "@", 0},
    {"lone angle", "<", 0, "<", 0},
    {"control characters", "a\001b@x", 0, "a\001b@x", 0},
    {"8-bit", "j\xc3\xbcrgen@example.de", 0, "j\xc3\xbcrgen@example.de", 0},
    /* The token limit: "a@x, b@y" is a @ x , b @ y (7 tokens). */
    {"within limit", "a@x, b@y", 7, "a@x | b@y", 0},
    {"over the limit", "a@x, b@y", 5, "a@x | b", 1},
    {"limit of one", "a@x", 1, "a", 1},
};

static void test_parse(void)
{
    struct addr_list list;
    struct buf *addr = buf_alloc(100);
    struct buf *got = buf_alloc(100);

    addr_list_init(&list);
    for (size_t i = 0; i < UNIT_COUNT(parse_cases); i++) {
        size_t n =
            addr_list_parse(&list, parse_cases[i].text, parse_cases[i].limit);

        UNIT_CHECK_INT(parse_cases[i].name, n, list.count);
        buf_reset(got);
        for (size_t j = 0; j < n; j++) {
            if (j > 0)
                buf_append_str(got, " | ");
            if (list.items[j].angle)
                buf_append_char(got, '<');
            if (list.items[j].in_group)
                buf_append_str(got, "g:");
            addr_list_internal(&list, j, addr);
            buf_append(got, buf_str(addr), buf_len(addr));
        }
        UNIT_CHECK_STR(parse_cases[i].name, buf_str(got), parse_cases[i].want);
        UNIT_CHECK_INT(parse_cases[i].name, list.truncated,
                       parse_cases[i].truncated);
    }
    addr_list_free(&list);
    buf_free(addr);
    buf_free(got);
}

/* Qualify every address without a domain with @d.example, then write. */
static const struct {
    const char *name;
    const char *text;
    size_t column;
    size_t width;
    const char *want;
} edit_cases[] = {
    {"bare", "bob", 4, 0, "bob@d.example"},
    {"two", "bob, carol@x", 4, 0, "bob@d.example, carol@x"},
    {"display name kept", "\"Q Name\" <dave>", 4, 0,
     "\"Q Name\" <dave@d.example>"},
    {"atoms normalised", "Joe   User <joe> (x)", 4, 0,
     "Joe User <joe@d.example> (x)"},
    {"comments kept", "(c) eve (c2)", 4, 0, "(c) eve@d.example (c2)"},
    {"group", "friends: ann, bo@y;, undisclosed-recipients:;", 4, 0,
     "friends: ann@d.example, bo@y;, undisclosed-recipients:;"},
    {"quoted local part", "\"a b\"", 4, 0, "\"a b\"@d.example"},
    {"nothing to do", "a@x, <b@y>", 4, 0, "a@x, <b@y>"},
    {"null address", "<>", 4, 0, "<>"},
    {"folded at commas", "aaaa, bbbb, cccc", 4, 30,
     "aaaa@d.example,\n\tbbbb@d.example,\n\tcccc@d.example"},
    {"folds only where needed", "a, b, c", 4, 40,
     "a@d.example, b@d.example,\n\tc@d.example"},
    {"a long element stays whole", "averyveryverylongname", 4, 10,
     "averyveryverylongname@d.example"},
};

static void test_edit(void)
{
    struct addr_list list;
    struct buf *addr = buf_alloc(100);
    struct buf *got = buf_alloc(100);

    addr_list_init(&list);
    for (size_t i = 0; i < UNIT_COUNT(edit_cases); i++) {
        size_t n = addr_list_parse(&list, edit_cases[i].text, 0);

        for (size_t j = 0; j < n; j++) {
            addr_list_internal(&list, j, addr);
            if (buf_len(addr) > 0 && strchr(buf_str(addr), '@') == NULL) {
                buf_append_str(addr, "@d.example");
                addr_list_replace(&list, j, buf_str(addr));
            }
        }
        buf_reset(got);
        addr_list_text(&list, edit_cases[i].column, edit_cases[i].width, got);
        UNIT_CHECK_STR(edit_cases[i].name, buf_str(got), edit_cases[i].want);
        /* What was written parses to the same addresses. */
        UNIT_CHECK_INT(edit_cases[i].name,
                       addr_list_parse(&list, buf_str(got), 0), n);
    }
    addr_list_free(&list);
    buf_free(addr);
    buf_free(got);
}

static int qualify(const char *internal, struct buf *out, void *context)
{
    int *calls = context;

    (*calls)++;
    if (*internal == 0 || strchr(internal, '@') != NULL)
        return 0;
    buf_printf(out, "%s@d.example", internal);
    return 1;
}

/* The same edits in one pass give the same text. */
static void test_rewrite(void)
{
    struct addr_list list;
    struct buf *got = buf_alloc(100);

    addr_list_init(&list);
    for (size_t i = 0; i < UNIT_COUNT(edit_cases); i++) {
        size_t n = addr_list_parse(&list, edit_cases[i].text, 0);
        size_t want_changes = 0;
        int calls = 0;

        for (const char *cp = edit_cases[i].want; (cp = strstr(cp, "@d."));
             cp++)
            want_changes++;
        UNIT_CHECK_INT(edit_cases[i].name,
                       addr_list_rewrite(&list, qualify, &calls), want_changes);
        UNIT_CHECK_INT(edit_cases[i].name, calls, n);
        buf_reset(got);
        addr_list_text(&list, edit_cases[i].column, edit_cases[i].width, got);
        UNIT_CHECK_STR(edit_cases[i].name, buf_str(got), edit_cases[i].want);
    }
    addr_list_free(&list);
    buf_free(got);
}

/* Replacing one address leaves the others' positions right. */
static void test_replace_positions(void)
{
    struct addr_list list;
    struct buf *addr = buf_alloc(100);

    addr_list_init(&list);
    CU_ASSERT_EQUAL(addr_list_parse(&list, "a, B <b>, c (x)", 0), 3);
    addr_list_replace(&list, 0, "longer.local.part@some.domain.example");
    addr_list_internal(&list, 1, addr);
    UNIT_CHECK_STR("second after first", buf_str(addr), "b");
    addr_list_replace(&list, 2, "c@q");
    addr_list_internal(&list, 2, addr);
    UNIT_CHECK_STR("third", buf_str(addr), "c@q");
    addr_list_replace(&list, 1, "\"odd\"x@y");
    addr_list_internal(&list, 1, addr);
    UNIT_CHECK_STR("quoted replacement", buf_str(addr), "\"odd\"x@y");
    buf_reset(addr);
    addr_list_text(&list, 0, 0, addr);
    UNIT_CHECK_STR("text", buf_str(addr),
                   "longer.local.part@some.domain.example, "
                   "B <\"\\\"odd\\\"x\"@y>, c@q (x)");
    addr_list_free(&list);
    buf_free(addr);
}

static const struct {
    const char *text;
    int quote;
    const char *want;
} phrase_cases[] = {
    {"Full Name", 0, "Full Name"},
    {"Joe", 0, "Joe"},
    {"O'Brien-Smith", 0, "O'Brien-Smith"},
    {"J. Smith", 1, "\"J. Smith\""},
    {"Joe \"Q\" (x) <y>", 1, "\"Joe \\\"Q\\\" (x) <y>\""},
    {"back\\slash", 1, "\"back\\\\slash\""},
    {"Smith, John", 1, "\"Smith, John\""},
    {"", 1, "\"\""},
    {" lead", 1, "\" lead\""},
    {"trail ", 1, "\"trail \""},
    {"two  spaces", 1, "\"two  spaces\""},
    {"tab\there", 1, "\"tab\there\""},
    {"J\xc3\xbcrgen", 0, "J\xc3\xbcrgen"},
};

static void test_phrase(void)
{
    struct buf *got = buf_alloc(100);

    for (size_t i = 0; i < UNIT_COUNT(phrase_cases); i++) {
        const char *text = phrase_cases[i].text;

        UNIT_CHECK_INT(text, addr_phrase_needs_quote(text, strlen(text)),
                       phrase_cases[i].quote);
        buf_reset(got);
        addr_phrase_append(text, strlen(text), got);
        UNIT_CHECK_STR(text, buf_str(got), phrase_cases[i].want);
    }
    buf_free(got);
}

/* Long and deeply nested input: bounded work, no crash. */
static void test_hostile(void)
{
    struct addr_list list;
    struct buf *text = buf_alloc(100);
    struct buf *out = buf_alloc(100);

    addr_list_init(&list);
    for (int i = 0; i < 5000; i++)
        buf_append_str(text, "a@b, ");
    CU_ASSERT_EQUAL(addr_list_parse(&list, buf_str(text), 0), 5000);
    CU_ASSERT_EQUAL(addr_list_parse(&list, buf_str(text), 100), 25);
    CU_ASSERT(list.truncated);

    buf_reset(text);
    for (int i = 0; i < 10000; i++)
        buf_append_char(text, '(');
    buf_append_str(text, "x@y");
    CU_ASSERT_EQUAL(addr_list_parse(&list, buf_str(text), 0), 0);

    buf_reset(text);
    for (int i = 0; i < 10000; i++)
        buf_append_str(text, "<<:;,\"");
    addr_list_parse(&list, buf_str(text), 0);
    addr_list_text(&list, 0, 78, out);
    CU_ASSERT(buf_len(out) > 0);
    addr_list_free(&list);
    buf_free(text);
    buf_free(out);
}

static const struct unit_case addr_list_cases[] = {
    {"parse", test_parse},
    {"edit and write", test_edit},
    {"rewrite in one pass", test_rewrite},
    {"replace keeps positions", test_replace_positions},
    {"display names", test_phrase},
    {"hostile input", test_hostile},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"addr_list", addr_list_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
