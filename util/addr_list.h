#ifndef POSTERN_ADDR_LIST_H
#define POSTERN_ADDR_LIST_H

#include <stddef.h>

#include "addr_token.h"
#include "buf.h"

/*
 * An RFC 5322 address list (the value of To:, Cc:, From:, ...) as a
 * token list with the addresses in it located; see addr_list.c.
 */
struct addr_item {
    size_t from;  /* first token of the address (inside <...> if angle) */
    size_t to;    /* one past its last token */
    int angle;    /* written as <address> (with a display name or not) */
    int in_group; /* a member of a "name: ...;" group */
};

struct addr_list {
    struct addr_toks toks;   /* the whole value */
    struct addr_item *items; /* the addresses, in order */
    size_t count;
    size_t size;
    int truncated; /* tokens beyond the limit were dropped */
};

void addr_list_init(struct addr_list *list);
void addr_list_free(struct addr_list *list);
size_t addr_list_parse(struct addr_list *list, const char *text,
                       size_t token_limit);
void addr_list_internal(const struct addr_list *list, size_t index,
                        struct buf *out);
void addr_list_replace(struct addr_list *list, size_t index,
                       const char *internal);
size_t addr_list_rewrite(struct addr_list *list,
                         int (*rewrite)(const char *internal, struct buf *out,
                                        void *context),
                         void *context);
void addr_list_text(const struct addr_list *list, size_t column, size_t width,
                    struct buf *out);
int addr_phrase_needs_quote(const char *text, size_t len);
void addr_phrase_append(const char *text, size_t len, struct buf *out);

#endif
