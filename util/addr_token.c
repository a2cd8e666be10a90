/*
 * addr_token - RFC 822 address tokens, and the internal and external forms
 *
 * An address as text is cut into tokens (addr_toks_scan), worked on as a
 * token list (the rewrite service's rules), and turned back into text:
 * addr_toks_internal() gives the internal form (what a queue file holds:
 * quoted strings lose their quotes), addr_toks_external() the external
 * form (what a header or the rewrite service's reply holds: the local
 * part quoted when it needs it). The rules are those Postfix 3.7's
 * trivial-rewrite shows on its wire (observed, for compatibility of the
 * texts the rewrite and resolve services return):
 *
 * Scanning.
 *	White space (space, tab, CR, LF, VT, FF) separates tokens and is
 *	dropped. "..." is a quoted string: backslash escapes the next
 *	character, white space inside becomes a space, and a missing
 *	closing quote ends it at the end of the text. (...) is a comment,
 *	kept verbatim with its parentheses (nested pairs counted, backslash
 *	kept, an unclosed comment runs to the end). [...] is a domain
 *	literal: backslash escapes the next character, a missing "]" is
 *	supplied. The operators are the RFC 822 specials @ , : ; . < > plus
 *	! and % (so that "site!user" and "user%site" are visible to the
 *	rewrite rules), and ) ] when they close nothing. Everything else,
 *	control characters and 8-bit bytes included, is an atom; a backslash
 *	in an atom makes the next character part of it ("\@" is the atom
 *	"@", a lone "\" an empty atom).
 *
 * Internal form of a token list.
 *	Word tokens (atom, quoted string, domain literal, comment) are
 *	separated by one space when they are adjacent; a quoted string
 *	contributes its text without quotes. "," is followed by a space when
 *	another token follows it in the list; "<" is preceded by one unless
 *	it starts the list or follows a comma; other operators are written as
 *	they are. A token marked tight gets none of these
 *	spaces (addr_toks_set_tight; the rewrite service needs it to
 *	reproduce one of Postfix's answers).
 *
 * External form (addr_toks_external, addr_quote_local).
 *	The internal form of the whole list, with its local part quoted: an
 *	address that starts with a source route ("@a,@b:") keeps the route
 *	as it is and treats what follows the first ":" as the address. The
 *	local part is the text before the last "@"; it is quoted when it is
 *	not a dot-atom (see addr_local_needs_quote); an empty one becomes
 *	"". The domain follows as it is.
 *
 * Public functions:
 *	addr_toks_init(t), addr_toks_free(t), addr_toks_reset(t)
 *	addr_toks_scan(t, text)		replace t with the tokens of text
 *	addr_toks_append(t, type, text)	add one token (text for words)
 *	addr_toks_append_list(t, more, from, to)  add copies of more[from..to)
 *	addr_toks_truncate(t, n)	keep the first n tokens
 *	addr_toks_delete(t, from, to)	remove t[from..to)
 *	addr_toks_copy(dst, src, from, to)	dst = copies of src[from..to)
 *	addr_toks_set(t, i, type, text)	replace token i
 *	addr_toks_set_tight(t, from, to)	mark t[from..to) tight (below)
 *	addr_toks_find(t, type), addr_toks_rfind(t, type)
 *					first / last index of an operator or
 *					token type, -1 if none
 *	addr_toks_find_from(t, from, to, type)	first in t[from..to)
 *	addr_toks_internal(t, from, to, out)	append the internal form of
 *					t[from..to) to out
 *	addr_toks_external(t, out)	out = the external form of t
 *	addr_local_needs_quote(local, len)	1 when a local part is not a
 *					dot-atom (a special, a control
 *					character, space, a leading, trailing
 *					or doubled dot)
 *	addr_quote_text(text, len, out)	append "text" with " and \ escaped
 *	addr_external_append(internal, out)	append the external form
 *					of an internal address (log lines;
 *					the empty address appends nothing)
 *	addr_quote_local(internal, out)	out = the external form of an
 *					internal address (the empty address
 *					stays empty)
 *	addr_unquote(external, out)	out = the internal form of an external
 *					address
 *
 * Diagnostics: none; any text scans (a text of white space only gives an
 * empty list). Configuration parameters: none.
 */
#include <string.h>

#include "addr_token.h"
#include "mem.h"
#include "msg.h"

#define ADDR_SPACE     " \t\r\n\v\f"
#define ADDR_OPERATORS "@,:;.<>!%)]"
/* What ends an atom: white space, operators, and what opens a token. */
#define ADDR_ATOM_END ADDR_SPACE ADDR_OPERATORS "\"(["
/* RFC 822 specials, which a dot-atom may not contain ("." aside). */
#define ADDR_SPECIALS "()<>@,;:\\\".[]"

static int addr_is_space(int ch)
{
    return ch != 0 && strchr(ADDR_SPACE, ch) != NULL;
}

void addr_toks_init(struct addr_toks *toks)
{
    toks->v = NULL;
    toks->count = 0;
    toks->size = 0;
}

void addr_toks_reset(struct addr_toks *toks)
{
    for (size_t i = 0; i < toks->count; i++)
        mem_free(toks->v[i].text);
    toks->count = 0;
}

void addr_toks_free(struct addr_toks *toks)
{
    addr_toks_reset(toks);
    mem_free(toks->v);
    addr_toks_init(toks);
}

static void addr_toks_grow(struct addr_toks *toks, size_t more)
{
    if (toks->count + more <= toks->size)
        return;
    toks->size = (toks->count + more) * 2 + 8;
    toks->v = mem_realloc(toks->v, toks->size * sizeof(toks->v[0]));
}

/* Insert one token at index; text is taken over (NULL for operators). */
static void addr_toks_insert_owned(struct addr_toks *toks, size_t index,
                                   int type, char *text)
{
    addr_toks_grow(toks, 1);
    memmove(toks->v + index + 1, toks->v + index,
            (toks->count - index) * sizeof(toks->v[0]));
    toks->v[index].type = type;
    toks->v[index].text = text;
    toks->v[index].tight = 0;
    toks->count++;
}

void addr_toks_append(struct addr_toks *toks, int type, const char *text)
{
    if (ADDR_TOK_IS_WORD(type) && text == NULL)
        msg_panic("addr_toks_append: word token without text");
    addr_toks_insert_owned(toks, toks->count, type,
                           ADDR_TOK_IS_WORD(type) ? mem_strdup(text) : NULL);
}

void addr_toks_append_list(struct addr_toks *toks, const struct addr_toks *more,
                           size_t from, size_t to)
{
    if (to > more->count || from > to)
        msg_panic("addr_toks_append_list: bad range");
    /* more may be toks itself: copy by index, growing first. */
    addr_toks_grow(toks, to - from);
    for (size_t i = from; i < to; i++) {
        addr_toks_append(toks, more->v[i].type, more->v[i].text);
        toks->v[toks->count - 1].tight = more->v[i].tight;
    }
}

void addr_toks_truncate(struct addr_toks *toks, size_t count)
{
    while (toks->count > count) {
        toks->count--;
        mem_free(toks->v[toks->count].text);
    }
}

void addr_toks_delete(struct addr_toks *toks, size_t from, size_t to)
{
    if (to > toks->count || from > to)
        msg_panic("addr_toks_delete: bad range");
    for (size_t i = from; i < to; i++)
        mem_free(toks->v[i].text);
    memmove(toks->v + from, toks->v + to,
            (toks->count - to) * sizeof(toks->v[0]));
    toks->count -= to - from;
}

void addr_toks_copy(struct addr_toks *dst, const struct addr_toks *src,
                    size_t from, size_t to)
{
    if (dst == src)
        msg_panic("addr_toks_copy: same list");
    addr_toks_reset(dst);
    addr_toks_append_list(dst, src, from, to);
}

void addr_toks_set(struct addr_toks *toks, size_t index, int type,
                   const char *text)
{
    char *copy = ADDR_TOK_IS_WORD(type) ? mem_strdup(text) : NULL;

    if (index >= toks->count)
        msg_panic("addr_toks_set: index out of range");
    mem_free(toks->v[index].text);
    toks->v[index].type = type;
    toks->v[index].text = copy;
}

void addr_toks_set_tight(struct addr_toks *toks, size_t from, size_t to)
{
    for (size_t i = from; i < to && i < toks->count; i++)
        toks->v[i].tight = 1;
}

long addr_toks_find_from(const struct addr_toks *toks, size_t from, size_t to,
                         int type)
{
    for (size_t i = from; i < to && i < toks->count; i++)
        if (toks->v[i].type == type)
            return (long)i;
    return -1;
}

long addr_toks_find(const struct addr_toks *toks, int type)
{
    return addr_toks_find_from(toks, 0, toks->count, type);
}

long addr_toks_rfind(const struct addr_toks *toks, int type)
{
    for (size_t i = toks->count; i > 0; i--)
        if (toks->v[i - 1].type == type)
            return (long)(i - 1);
    return -1;
}

/* --- scanning --- */

static const char *addr_scan_qstring(const char *p, struct buf *text)
{
    int ch;

    for (p++; *p && *p != '"'; p++) {
        if (*p == '\\') {
            if (*++p == 0)
                break;
        }
        ch = (unsigned char)*p;
        buf_append_char(text, addr_is_space(ch) ? ' ' : ch);
    }
    return *p == '"' ? p + 1 : p;
}

static const char *addr_scan_comment(const char *p, struct buf *text)
{
    const char *start = p;
    int depth = 0;

    while (*p) {
        if (*p == '\\') {
            if (*++p)
                p++;
            continue;
        }
        if (*p == '(')
            depth++;
        if (*p++ == ')' && --depth == 0)
            break;
    }
    buf_set(text, start, (size_t)(p - start));
    return p;
}

static const char *addr_scan_domlit(const char *p, struct buf *text)
{
    buf_set_str(text, "[");
    for (p++; *p && *p != ']'; p++) {
        if (*p == '\\') {
            if (*++p == 0)
                break;
        }
        buf_append_char(text, *p);
    }
    buf_append_char(text, ']');
    return *p == ']' ? p + 1 : p;
}

static const char *addr_scan_atom(const char *p, struct buf *text)
{
    while (*p && strchr(ADDR_ATOM_END, *p) == NULL) {
        if (*p == '\\') {
            if (*++p == 0)
                break;
        }
        buf_append_char(text, *p++);
    }
    return p;
}

void addr_toks_scan(struct addr_toks *toks, const char *text)
{
    struct buf *word = buf_alloc(64);
    const char *p = text;
    int type;

    addr_toks_reset(toks);
    while (*p) {
        if (addr_is_space((unsigned char)*p)) {
            p++;
            continue;
        }
        if (strchr(ADDR_OPERATORS, *p)) {
            addr_toks_append(toks, (unsigned char)*p++, NULL);
            continue;
        }
        buf_reset(word);
        switch (*p) {
        case '"':
            p = addr_scan_qstring(p, word);
            type = ADDR_TOK_QSTRING;
            break;
        case '(':
            p = addr_scan_comment(p, word);
            type = ADDR_TOK_COMMENT;
            break;
        case '[':
            p = addr_scan_domlit(p, word);
            type = ADDR_TOK_DOMLIT;
            break;
        default:
            p = addr_scan_atom(p, word);
            type = ADDR_TOK_ATOM;
            break;
        }
        addr_toks_append(toks, type, buf_str(word));
    }
    buf_free(word);
}

/* --- writing --- */

void addr_toks_internal(const struct addr_toks *toks, size_t from, size_t to,
                        struct buf *out)
{
    if (to > toks->count)
        to = toks->count;
    for (size_t i = from; i < to; i++) {
        const struct addr_tok *tp = toks->v + i;

        if (ADDR_TOK_IS_WORD(tp->type)) {
            if (i > from && ADDR_TOK_IS_WORD(tp[-1].type) && !tp->tight)
                buf_append_char(out, ' ');
            buf_append_str(out, tp->text);
        } else if (tp->type == ',') {
            /* The space goes only between the comma and what follows. */
            buf_append_str(out, i + 1 < toks->count && !tp->tight ? ", " : ",");
        } else {
            if (tp->type == '<' && i > 0 && !tp->tight && tp[-1].type != ',')
                buf_append_char(out, ' ');
            buf_append_char(out, tp->type);
        }
    }
}

int addr_local_needs_quote(const char *local, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)local[i];

        if (ch <= ' ' || ch == 0x7f)
            return 1;
        if (ch == '.') {
            if (i == 0 || i == len - 1 || local[i + 1] == '.')
                return 1;
        } else if (strchr(ADDR_SPECIALS, ch)) {
            return 1;
        }
    }
    return 0;
}

void addr_quote_text(const char *text, size_t len, struct buf *out)
{
    buf_append_char(out, '"');
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '"' || text[i] == '\\')
            buf_append_char(out, '\\');
        buf_append_char(out, text[i]);
    }
    buf_append_char(out, '"');
}

/* Append a local part in external form; an empty one as "". */
static void addr_append_local(const char *local, size_t len, struct buf *out)
{
    if (len == 0)
        buf_append_str(out, "\"\"");
    else if (addr_local_needs_quote(local, len))
        addr_quote_text(local, len, out);
    else
        buf_append(out, local, len);
}

/* External form of an internal address, appended to out. */
static void addr_append_external(const char *internal, struct buf *out)
{
    const char *colon;
    const char *at;

    if (internal[0] == '@' && (colon = strchr(internal, ':')) != NULL) {
        buf_append(out, internal, (size_t)(colon + 1 - internal));
        internal = colon + 1;
    }
    if ((at = strrchr(internal, '@')) == NULL) {
        addr_append_local(internal, strlen(internal), out);
    } else {
        addr_append_local(internal, (size_t)(at - internal), out);
        buf_append_str(out, at);
    }
}

/*
 * The same for log lines and the like, where the empty address appends
 * nothing (callers write <> around it). Postfix 3.7's agents were seen
 * to write: x@y@z -> "x@y"@z; a b@x -> "a b"@x; @x -> ""@x; a.@x, .a@x,
 * a..b@x quoted; a%b@x, a!b@x, 8-bit bytes unquoted.
 */
void addr_external_append(const char *internal, struct buf *out)
{
    if (*internal)
        addr_append_external(internal, out);
}

void addr_toks_external(const struct addr_toks *toks, struct buf *out)
{
    struct buf *internal = buf_alloc(100);

    addr_toks_internal(toks, 0, toks->count, internal);
    buf_reset(out);
    addr_append_external(buf_str(internal), out);
    buf_free(internal);
}

void addr_quote_local(const char *internal, struct buf *out)
{
    buf_reset(out);
    if (*internal)
        addr_external_append(internal, out);
}

void addr_unquote(const char *external, struct buf *out)
{
    struct addr_toks toks;

    addr_toks_init(&toks);
    addr_toks_scan(&toks, external);
    buf_reset(out);
    addr_toks_internal(&toks, 0, toks.count, out);
    addr_toks_free(&toks);
}
