/*
 * sendmail_addr - address lists as users write them
 *
 * Recipients on sendmail's command line, the -f sender and (with -t) the
 * To:, Cc: and Bcc: headers hold RFC 5322 address lists. This module
 * turns one into the addresses themselves, in the "internal" form that
 * queue file records carry: comments dropped, display names dropped,
 * quotes removed ("quoted local"@example.com becomes
 * quoted local@example.com), the address inside <...> taken as is
 * (source routes included), groups ("name: a, b;") flattened.
 *
 * Public functions:
 *	sendmail_addr_parse(text, len, out)
 *		append each address of the list to out (conf_list_add).
 *		<> gives an empty address (the null sender); an element with
 *		neither an address in <> nor any text gives nothing.
 *
 * Tokens: white space separates words (two adjacent words join with one
 * space; '.', '@' and the other specials join without one, so
 * "john . smith @ example . com" is john.smith@example.com); (comments) nest and take \ escapes; "quoted strings" take \
 * escapes; [domain literals] are copied with their brackets; outside
 * <...>, ',' and ';' end an address and ':' starts a group (the words
 * before it are the group's name); inside <...> every character but '>'
 * belongs to the address. Unbalanced quotes, comments, brackets and
 * angles end at the end of the text: malformed input gives a best-effort
 * address, never an error (cleanup and the delivery agents judge the
 * address). This is what Postfix 3.7's sendmail was seen to do with the
 * cases in tests/unit/test_sendmail.c.
 *
 * Diagnostics: none. Configuration parameters: none.
 */
#include <string.h>

#include "sendmail.h"

#define SENDMAIL_ADDR_SPECIALS "()<>@,;:\\\".[]"

struct sendmail_addr_state {
    struct buf *bare;  /* the text outside <...> */
    struct buf *angle; /* the text inside <...> */
    int have_angle;    /* a <...> was seen in this element */
    int in_angle;
    int last_word; /* the last thing added to the target was a word */
};

static struct buf *sendmail_addr_target(struct sendmail_addr_state *st)
{
    return st->in_angle ? st->angle : st->bare;
}

static void sendmail_addr_word(struct sendmail_addr_state *st, const char *word,
                               size_t len)
{
    struct buf *target = sendmail_addr_target(st);

    if (st->last_word && buf_len(target) > 0)
        buf_append_char(target, ' ');
    buf_append(target, word, len);
    st->last_word = 1;
}

static void sendmail_addr_special(struct sendmail_addr_state *st, int ch)
{
    buf_append_char(sendmail_addr_target(st), ch);
    st->last_word = 0;
}

static void sendmail_addr_emit(struct sendmail_addr_state *st,
                               struct conf_list *out)
{
    if (st->have_angle)
        conf_list_add(out, buf_str(st->angle), buf_len(st->angle));
    else if (buf_len(st->bare) > 0)
        conf_list_add(out, buf_str(st->bare), buf_len(st->bare));
    buf_reset(st->bare);
    buf_reset(st->angle);
    st->have_angle = st->in_angle = st->last_word = 0;
}

/* A quoted string or domain literal: returns the position after it. */
static const char *sendmail_addr_quoted(const char *cp, const char *end,
                                        int close, struct buf *out)
{
    for (cp++; cp < end && *cp != close; cp++) {
        if (*cp == '\\' && cp + 1 < end)
            cp++;
        buf_append_char(out, *cp);
    }
    return cp < end ? cp + 1 : cp;
}

static const char *sendmail_addr_comment(const char *cp, const char *end)
{
    int depth = 0;

    for (; cp < end; cp++) {
        if (*cp == '\\' && cp + 1 < end) {
            cp++;
        } else if (*cp == '(') {
            depth++;
        } else if (*cp == ')' && --depth == 0) {
            return cp + 1;
        }
    }
    return cp;
}

void sendmail_addr_parse(const char *text, size_t len, struct conf_list *out)
{
    struct sendmail_addr_state st = {buf_alloc(64), buf_alloc(64), 0, 0, 0};
    struct buf *word = buf_alloc(64);
    const char *cp = text;
    const char *end = text + len;

    while (cp < end) {
        int ch = (unsigned char)*cp;

        if (ch <= ' ') { /* white space; other controls count as such */
            cp++;
        } else if (ch == '(') {
            cp = sendmail_addr_comment(cp, end);
        } else if (ch == '"') {
            buf_reset(word);
            cp = sendmail_addr_quoted(cp, end, '"', word);
            sendmail_addr_word(&st, buf_str(word), buf_len(word));
        } else if (ch == '[') {
            buf_set_str(word, "[");
            cp = sendmail_addr_quoted(cp, end, ']', word);
            buf_append_char(word, ']');
            sendmail_addr_word(&st, buf_str(word), buf_len(word));
        } else if (ch == '<' && !st.in_angle) {
            buf_reset(st.angle);
            st.in_angle = st.have_angle = 1;
            st.last_word = 0;
            cp++;
        } else if (ch == '>') {
            st.in_angle = 0;
            st.last_word = 0;
            cp++;
        } else if (!st.in_angle && (ch == ',' || ch == ';')) {
            sendmail_addr_emit(&st, out);
            cp++;
        } else if (!st.in_angle && ch == ':') {
            /* A group: what came before is its name. */
            buf_reset(st.bare);
            st.have_angle = st.last_word = 0;
            cp++;
        } else if (ch == '\\' || strchr(SENDMAIL_ADDR_SPECIALS, ch) != NULL) {
            if (ch == '\\' && cp + 1 < end)
                cp++;
            sendmail_addr_special(&st, (unsigned char)*cp);
            cp++;
        } else {
            const char *start = cp;

            while (cp < end && (unsigned char)*cp > ' ' &&
                   strchr(SENDMAIL_ADDR_SPECIALS, *cp) == NULL)
                cp++;
            sendmail_addr_word(&st, start, (size_t)(cp - start));
        }
    }
    sendmail_addr_emit(&st, out);
    buf_free(st.bare);
    buf_free(st.angle);
    buf_free(word);
}
