#ifndef POSTERN_ADDR_TOKEN_H
#define POSTERN_ADDR_TOKEN_H

#include <stddef.h>

#include "buf.h"

/*
 * RFC 822 address tokens (see addr_token.c): what the rewrite service,
 * cleanup and anyone else who parses an address work on.
 *
 * An address has two forms. The external form is what appears in a
 * message header or on the rewrite service's wire: a local part that
 * needs it is quoted ("john smith"@example.com). The internal form is
 * what a queue file holds: the same address with the quotes taken off
 * (john smith@example.com). addr_quote_local() goes from internal to
 * external, addr_unquote() from external to internal.
 *
 * Token types: the word tokens below, or the operator character itself
 * for the operators  @ , : ; . < > ! % ) ]  (the last two only when they
 * are not closing anything).
 */
#define ADDR_TOK_ATOM    256 /* text, with backslash escapes applied */
#define ADDR_TOK_QSTRING 257 /* "text": the text, without the quotes */
#define ADDR_TOK_DOMLIT  258 /* [text]: the text with its brackets */
#define ADDR_TOK_COMMENT 259 /* (text): the text with its parentheses */

#define ADDR_TOK_IS_WORD(type) ((type) >= ADDR_TOK_ATOM)

struct addr_tok {
    int type;
    char *text; /* word tokens only; NULL for an operator */
    int tight;  /* internal form: no space before or after this token */
};

/* A token list; read the fields, change it only through the functions. */
struct addr_toks {
    struct addr_tok *v;
    size_t count;
    size_t size;
};

void addr_toks_init(struct addr_toks *toks);
void addr_toks_free(struct addr_toks *toks);
void addr_toks_reset(struct addr_toks *toks);
void addr_toks_scan(struct addr_toks *toks, const char *text);
void addr_toks_append(struct addr_toks *toks, int type, const char *text);
void addr_toks_append_list(struct addr_toks *toks, const struct addr_toks *more,
                           size_t from, size_t to);
void addr_toks_truncate(struct addr_toks *toks, size_t count);
void addr_toks_delete(struct addr_toks *toks, size_t from, size_t to);
void addr_toks_copy(struct addr_toks *dst, const struct addr_toks *src,
                    size_t from, size_t to);
void addr_toks_set(struct addr_toks *toks, size_t index, int type,
                   const char *text);
void addr_toks_set_tight(struct addr_toks *toks, size_t from, size_t to);
long addr_toks_find(const struct addr_toks *toks, int type);
long addr_toks_rfind(const struct addr_toks *toks, int type);
long addr_toks_find_from(const struct addr_toks *toks, size_t from, size_t to,
                         int type);

void addr_toks_internal(const struct addr_toks *toks, size_t from, size_t to,
                        struct buf *out);
void addr_toks_external(const struct addr_toks *toks, struct buf *out);

int addr_local_needs_quote(const char *local, size_t len);
void addr_quote_text(const char *text, size_t len, struct buf *out);
void addr_external_append(const char *internal, struct buf *out);
void addr_quote_local(const char *internal, struct buf *out);
void addr_unquote(const char *external, struct buf *out);

#endif
