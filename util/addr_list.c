/*
 * addr_list - parse, edit and write RFC 5322 address lists
 *
 * The value of an address header (To:, Cc:, From:, Reply-To:, ...) is a
 * list of addresses separated by commas. An element is a bare address
 * (user@example.com, possibly with comments around it), or a display
 * name and an address in angle brackets ("A. User" <user@example.com>),
 * or a group: a name, a colon, members, a semicolon
 * ("friends: a@x, b@y;", or the empty "undisclosed-recipients:;").
 * This module locates the addresses in such a list, gives each in the
 * internal form that queue files carry, lets a caller replace one (for
 * example to qualify a bare "user" with a domain), and writes the list
 * back as header text. Tokens come from addr_token.c.
 *
 * Public functions:
 *	addr_list_init(list), addr_list_free(list)
 *	addr_list_parse(list, text, token_limit)
 *		scan text (a NUL-terminated header value) into list and
 *		return the number of addresses found. When token_limit > 0
 *		and text has more tokens, the excess is dropped and
 *		list->truncated is set (Postfix's
 *		header_address_token_limit: the rest of the header is not
 *		looked at).
 *	addr_list_internal(list, i, out)
 *		out = address i in internal form (comments dropped, quotes
 *		removed); "" for "<>".
 *	addr_list_replace(list, i, internal)
 *		replace address i (tokens and the comments inside it) by an
 *		internal-form address; display names, comments outside the
 *		address and the other elements stay.
 *	addr_list_rewrite(list, rewrite, context)
 *		the same for every address at once, in one pass over the
 *		tokens (a long list costs linear time): rewrite(internal,
 *		out, context) puts a new internal form in out and returns 1,
 *		or returns 0 to keep the address as it is. Returns how many
 *		were replaced.
 *	addr_list_text(list, column, width, out)
 *		append the list as header text to out: words separated by one
 *		space, ", " between elements, quoted strings re-quoted. When
 *		width > 0 the text is folded ("\n\t") after a comma wherever
 *		a line would otherwise grow beyond width columns; column is
 *		where the text starts on its first line (after "To: ").
 *	addr_phrase_needs_quote(text, len)
 *		1 when text cannot be a display name without quotes: it is
 *		empty, starts or ends with a space, or has a character that
 *		is neither RFC 5322 atext nor a space.
 *	addr_phrase_append(text, len, out)
 *		append text as a display name: as is when it needs no
 *		quotes, else as a quoted string with " and \ escaped.
 *
 * Parsing never fails: malformed input gives a best effort. Outside
 * angle brackets ',' ends an element, ':' starts a group (when not in
 * one), ';' ends an element and the group. Inside '<' everything up to
 * the next '>' is the address; an unclosed '<' runs to the end of the
 * element (the next ',' outside brackets cannot exist, so: to the end).
 * An element without angle brackets is a bare address: its tokens from
 * the first to the last that is not a comment. Elements with no address
 * (a lone comment, an empty element between two commas) are skipped.
 * "<>" is an address: the empty one.
 *
 * Diagnostics: none. Configuration parameters: none (callers pass
 * header_address_token_limit).
 */
#include <string.h>

#include "addr_list.h"
#include "mem.h"
#include "msg.h"

/* RFC 5322 atext besides letters and digits. */
#define ADDR_LIST_ATEXT "!#$%&'*+-/=?^_`{|}~"

void addr_list_init(struct addr_list *list)
{
    addr_toks_init(&list->toks);
    list->items = NULL;
    list->count = 0;
    list->size = 0;
    list->truncated = 0;
}

void addr_list_free(struct addr_list *list)
{
    addr_toks_free(&list->toks);
    mem_free(list->items);
    addr_list_init(list);
}

static void addr_list_add(struct addr_list *list, size_t from, size_t to,
                          int angle, int in_group)
{
    if (list->count == list->size) {
        list->size = list->size * 2 + 8;
        list->items =
            mem_realloc(list->items, list->size * sizeof(list->items[0]));
    }
    list->items[list->count].from = from;
    list->items[list->count].to = to;
    list->items[list->count].angle = angle;
    list->items[list->count].in_group = in_group;
    list->count++;
}

static int addr_list_type(const struct addr_list *list, size_t i)
{
    return list->toks.v[i].type;
}

size_t addr_list_parse(struct addr_list *list, const char *text,
                       size_t token_limit)
{
    size_t n;
    size_t i = 0;
    int in_group = 0;

    list->count = 0;
    list->truncated = 0;
    addr_toks_scan(&list->toks, text);
    if (token_limit > 0 && list->toks.count > token_limit) {
        addr_toks_truncate(&list->toks, token_limit);
        list->truncated = 1;
    }
    n = list->toks.count;
    while (i < n) {
        long open = -1;
        long close = -1;
        size_t start = i;
        size_t sep;
        int type = 0;

        for (sep = start; sep < n; sep++) {
            type = addr_list_type(list, sep);
            if (open >= 0 && close < 0) {
                if (type == '>')
                    close = (long)sep;
                continue;
            }
            if (type == '<' && open < 0) {
                open = (long)sep;
                continue;
            }
            if (type == ',' || type == ';')
                break;
            if (type == ':' && !in_group && open < 0)
                break;
        }
        if (sep < n && type == ':' && !in_group && open < 0) {
            /* The tokens before the colon name a group. */
            in_group = 1;
            i = sep + 1;
            continue;
        }
        if (open >= 0) {
            addr_list_add(list, (size_t)open + 1,
                          close >= 0 ? (size_t)close : sep, 1, in_group);
        } else {
            long first = -1;
            long last = -1;

            for (size_t j = start; j < sep; j++) {
                if (addr_list_type(list, j) == ADDR_TOK_COMMENT)
                    continue;
                if (first < 0)
                    first = (long)j;
                last = (long)j;
            }
            if (first >= 0)
                addr_list_add(list, (size_t)first, (size_t)last + 1, 0,
                              in_group);
        }
        if (sep < n && type == ';')
            in_group = 0;
        i = sep + 1;
    }
    return list->count;
}

/* The tokens of address i without its comments. */
static void addr_list_bare(const struct addr_list *list, size_t index,
                           struct addr_toks *out)
{
    const struct addr_item *item;

    if (index >= list->count)
        msg_panic("addr_list: index %zu out of range", index);
    item = list->items + index;
    addr_toks_reset(out);
    for (size_t i = item->from; i < item->to; i++)
        if (list->toks.v[i].type != ADDR_TOK_COMMENT)
            addr_toks_append(out, list->toks.v[i].type, list->toks.v[i].text);
}

void addr_list_internal(const struct addr_list *list, size_t index,
                        struct buf *out)
{
    struct addr_toks bare;

    addr_toks_init(&bare);
    addr_list_bare(list, index, &bare);
    buf_reset(out);
    addr_toks_internal(&bare, 0, bare.count, out);
    addr_toks_free(&bare);
}

void addr_list_replace(struct addr_list *list, size_t index,
                       const char *internal)
{
    struct addr_toks fresh;
    struct addr_toks result;
    struct buf *external = buf_alloc(100);
    struct addr_item *item;
    long delta;

    if (index >= list->count)
        msg_panic("addr_list_replace: index %zu out of range", index);
    item = list->items + index;
    addr_toks_init(&fresh);
    addr_toks_init(&result);
    addr_quote_local(internal, external);
    addr_toks_scan(&fresh, buf_str(external));
    addr_toks_append_list(&result, &list->toks, 0, item->from);
    addr_toks_append_list(&result, &fresh, 0, fresh.count);
    addr_toks_append_list(&result, &list->toks, item->to, list->toks.count);
    delta = (long)fresh.count - (long)(item->to - item->from);
    item->to = item->from + fresh.count;
    for (size_t i = index + 1; i < list->count; i++) {
        list->items[i].from = (size_t)((long)list->items[i].from + delta);
        list->items[i].to = (size_t)((long)list->items[i].to + delta);
    }
    addr_toks_free(&list->toks);
    list->toks = result;
    addr_toks_free(&fresh);
    buf_free(external);
}

size_t addr_list_rewrite(struct addr_list *list,
                         int (*rewrite)(const char *internal, struct buf *out,
                                        void *context),
                         void *context)
{
    struct addr_toks result;
    struct addr_toks fresh;
    struct buf *internal = buf_alloc(100);
    struct buf *replaced = buf_alloc(100);
    struct buf *external = buf_alloc(100);
    size_t changed = 0;
    size_t prev = 0;

    addr_toks_init(&result);
    addr_toks_init(&fresh);
    for (size_t i = 0; i < list->count; i++) {
        struct addr_item *item = list->items + i;
        size_t from = result.count;

        addr_toks_append_list(&result, &list->toks, prev, item->from);
        from = result.count;
        addr_list_internal(list, i, internal);
        buf_reset(replaced);
        if (rewrite(buf_str(internal), replaced, context)) {
            addr_quote_local(buf_str(replaced), external);
            addr_toks_scan(&fresh, buf_str(external));
            addr_toks_append_list(&result, &fresh, 0, fresh.count);
            changed++;
        } else {
            addr_toks_append_list(&result, &list->toks, item->from, item->to);
        }
        prev = item->to;
        item->from = from;
        item->to = result.count;
    }
    if (changed > 0) {
        addr_toks_append_list(&result, &list->toks, prev, list->toks.count);
        addr_toks_free(&list->toks);
        list->toks = result;
    } else {
        addr_toks_free(&result);
    }
    addr_toks_free(&fresh);
    buf_free(internal);
    buf_free(replaced);
    buf_free(external);
    return changed;
}

static int addr_list_is_word(int type)
{
    return ADDR_TOK_IS_WORD(type);
}

void addr_list_text(const struct addr_list *list, size_t column, size_t width,
                    struct buf *out)
{
    struct buf *text = buf_alloc(200);
    size_t *breaks = mem_alloc(sizeof(size_t) * (list->toks.count + 1));
    size_t nbreaks = 0;
    int in_angle = 0;
    int prev = 0;

    for (size_t i = 0; i < list->toks.count; i++) {
        const struct addr_tok *tp = list->toks.v + i;
        int space = 0;

        if (addr_list_is_word(tp->type)) {
            space = prev != 0 &&
                    (addr_list_is_word(prev) || prev == ',' || prev == ';' ||
                     prev == '>' || (prev == ':' && !in_angle));
        } else if (tp->type == '<') {
            space = prev != 0 && prev != '<';
        }
        if (space)
            buf_append_char(text, ' ');
        switch (tp->type) {
        case ADDR_TOK_QSTRING:
            addr_quote_text(tp->text, strlen(tp->text), text);
            break;
        case ADDR_TOK_ATOM:
        case ADDR_TOK_DOMLIT:
        case ADDR_TOK_COMMENT:
            buf_append_str(text, tp->text);
            break;
        default:
            buf_append_char(text, tp->type);
            if (tp->type == '<')
                in_angle = 1;
            else if (tp->type == '>')
                in_angle = 0;
            else if (tp->type == ',' && !in_angle && i + 1 < list->toks.count)
                breaks[nbreaks++] = buf_len(text);
            break;
        }
        prev = tp->type;
    }

    /*
     * A comma outside brackets is where a line may fold. The space that
     * follows it (or nothing, when a word did not ask for one) becomes
     * the fold.
     */
    if (width == 0 || nbreaks == 0) {
        buf_append(out, buf_str(text), buf_len(text));
    } else {
        size_t col = column;
        size_t pos = 0;

        breaks[nbreaks++] = buf_len(text);
        for (size_t b = 0; b < nbreaks; b++) {
            const char *seg = buf_str(text) + pos;
            size_t seg_len = breaks[b] - pos;
            int lead = pos > 0 && seg_len > 0 && seg[0] == ' ';

            if (lead) {
                seg++;
                seg_len--;
            }
            if (pos > 0 && col + 1 + seg_len > width) {
                buf_append_str(out, "\n\t");
                col = 8;
            } else if (lead) {
                buf_append_char(out, ' ');
                col++;
            }
            buf_append(out, seg, seg_len);
            col += seg_len;
            pos = breaks[b];
        }
    }
    mem_free(breaks);
    buf_free(text);
}

static int addr_list_atext(unsigned char ch)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
        (ch >= '0' && ch <= '9') || ch >= 0x80)
        return 1;
    return ch != 0 && strchr(ADDR_LIST_ATEXT, ch) != NULL;
}

int addr_phrase_needs_quote(const char *text, size_t len)
{
    if (len == 0 || text[0] == ' ' || text[len - 1] == ' ')
        return 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];

        if (ch == ' ') {
            if (text[i + 1] == ' ')
                return 1;
            continue;
        }
        if (!addr_list_atext(ch))
            return 1;
    }
    return 0;
}

void addr_phrase_append(const char *text, size_t len, struct buf *out)
{
    if (addr_phrase_needs_quote(text, len))
        addr_quote_text(text, len, out);
    else
        buf_append(out, text, len);
}
