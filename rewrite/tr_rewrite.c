/*
 * tr_rewrite - rewrite an address to canonical form (trivial-rewrite)
 *
 * The rules, applied to the address as tokens (addr_token.h), in order:
 *	1. a lone "@" is the null address "" (as Postfix 3.7 answers);
 *	   the null address (one empty quoted string) is left alone;
 *	2. a source route is stripped: "@a,@b:user@site" -> "user@site"
 *	   (only when something follows the first ":");
 *	3. when no "@" is left: "site!user" -> "user@site" (swap_bangpath;
 *	   at the first "!"), else "user%site" -> "user@site"
 *	   (allow_percent_hack; at the last "%"), else "user" ->
 *	   "user@<origin>" (append_at_myorigin);
 *	4. "user@host" -> "user@host.<domain>" when the domain part has no
 *	   "." and is not a domain literal (append_dot_mydomain); otherwise
 *	   one trailing dot is removed ("user@host." -> "user@host", but not
 *	   after another "." or the "@").
 * The context chooses origin and domain: "local" uses $myorigin and
 * $mydomain, "remote" $remote_header_rewrite_domain for both (nothing is
 * appended when it is empty).
 *
 * Public functions:
 *	tr_context_code(name)	TR_CONTEXT_LOCAL or _REMOTE, -1 if unknown
 *	tr_rewrite_tokens(cfg, context, toks)	apply the rules to toks
 *	tr_rewrite(cfg, context, address, out)	external form in and out;
 *				0, or -1 for an unknown context
 *
 * Where Postfix's behaviour is not followed: an address of white space
 * only makes Postfix 3.7's trivial-rewrite panic ("rewrite_tree: empty
 * tree"); we return it unchanged with a warning. The empty address is
 * returned unchanged with Postfix's warning "rewrite_addr: null address".
 *
 * Configuration parameters (through struct tr_config): myorigin,
 * mydomain, remote_header_rewrite_domain, append_at_myorigin,
 * append_dot_mydomain, swap_bangpath, allow_percent_hack.
 */
#include <string.h>

#include "addr_token.h"
#include "msg.h"
#include "rewrite_proto.h"
#include "trivial_rewrite.h"

int tr_context_code(const char *name)
{
    if (strcmp(name, REWRITE_RULE_LOCAL) == 0)
        return TR_CONTEXT_LOCAL;
    if (strcmp(name, REWRITE_RULE_REMOTE) == 0)
        return TR_CONTEXT_REMOTE;
    return -1;
}

/* Append "sep" and the tokens of text to toks. */
static void tr_append_text(struct addr_toks *toks, int sep, const char *text)
{
    struct addr_toks more;

    addr_toks_init(&more);
    addr_toks_scan(&more, text);
    addr_toks_append(toks, sep, NULL);
    addr_toks_append_list(toks, &more, 0, more.count);
    addr_toks_free(&more);
}

/*
 * site!user -> user@site, at the first "!". With no site, Postfix 3.7
 * writes the user part without any spacing (observed: "!a b" -> "ab@"),
 * so its tokens are marked tight.
 */
static void tr_swap_bang(struct addr_toks *toks, size_t bang)
{
    struct addr_toks site;

    addr_toks_init(&site);
    addr_toks_copy(&site, toks, 0, bang);
    addr_toks_delete(toks, 0, bang + 1);
    if (site.count == 0)
        addr_toks_set_tight(toks, 0, toks->count);
    addr_toks_append(toks, '@', NULL);
    addr_toks_append_list(toks, &site, 0, site.count);
    addr_toks_free(&site);
}

void tr_rewrite_tokens(const struct tr_config *cfg, int context,
                       struct addr_toks *toks)
{
    const char *origin =
        context == TR_CONTEXT_LOCAL ? cfg->myorigin : cfg->remote_domain;
    const char *domain =
        context == TR_CONTEXT_LOCAL ? cfg->mydomain : cfg->remote_domain;
    long at;
    long colon;
    long pos;

    if (toks->count == 1 && toks->v[0].type == '@')
        addr_toks_set(toks, 0, ADDR_TOK_QSTRING, "");
    if (toks->count == 1 && toks->v[0].type == ADDR_TOK_QSTRING &&
        toks->v[0].text[0] == 0)
        return;

    if (toks->count > 0 && toks->v[0].type == '@' &&
        (colon = addr_toks_find(toks, ':')) >= 0 &&
        (size_t)colon + 1 < toks->count)
        addr_toks_delete(toks, 0, (size_t)colon + 1);

    if ((at = addr_toks_rfind(toks, '@')) < 0) {
        if (cfg->swap_bangpath && (pos = addr_toks_find(toks, '!')) >= 0) {
            tr_swap_bang(toks, (size_t)pos);
        } else if (cfg->allow_percent_hack &&
                   (pos = addr_toks_rfind(toks, '%')) >= 0) {
            addr_toks_set(toks, (size_t)pos, '@', NULL);
        } else if (cfg->append_at_myorigin && *origin) {
            tr_append_text(toks, '@', origin);
        }
        at = addr_toks_rfind(toks, '@');
    }

    if (at >= 0 && (size_t)at + 1 < toks->count && cfg->append_dot_mydomain &&
        *domain &&
        addr_toks_find_from(toks, (size_t)at + 1, toks->count,
                            ADDR_TOK_DOMLIT) < 0 &&
        addr_toks_find_from(toks, (size_t)at + 1, toks->count, '.') < 0) {
        tr_append_text(toks, '.', domain);
    } else if (toks->count >= 2 && toks->v[toks->count - 1].type == '.' &&
               toks->v[toks->count - 2].type != '.' &&
               toks->v[toks->count - 2].type != '@') {
        addr_toks_truncate(toks, toks->count - 1);
    }
}

int tr_rewrite(const struct tr_config *cfg, const char *context,
               const char *address, struct buf *out)
{
    struct addr_toks toks;
    int code;

    if ((code = tr_context_code(context)) < 0)
        return -1;
    if (*address == 0) {
        msg_warn("rewrite_addr: null address");
        buf_reset(out);
        return 0;
    }
    addr_toks_init(&toks);
    addr_toks_scan(&toks, address);
    if (toks.count == 0) {
        msg_warn("rewrite_addr: address of white space only: \"%.100s\"",
                 address);
        buf_set_str(out, address);
    } else {
        tr_rewrite_tokens(cfg, code, &toks);
        addr_toks_external(&toks, out);
    }
    addr_toks_free(&toks);
    return 0;
}
