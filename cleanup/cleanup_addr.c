/*
 * cleanup_addr - bring addresses to user@domain form
 *
 * Postfix's cleanup has every envelope address, and the addresses in
 * the headers of locally submitted mail, rewritten by trivial-rewrite
 * ("rewrite" requests, spec d) so that later programs see
 * user@fully.qualified.domain. Observed with Postfix 3.7: an envelope
 * "bob" becomes bob@$myorigin in both rewrite contexts; in the local
 * context "To: bob, carol@x" becomes "To: bob@$myorigin, carol@x"; in
 * the remote context headers are left alone (remote_header_rewrite_domain
 * is empty by default).
 *
 * Postern's rewrite service is not a dependency of cleanup yet, so this
 * module does the standard part of that rewriting itself, with the same
 * parameters: an address without a domain gets "@$myorigin"
 * (append_at_myorigin = yes), and a domain without a dot gets
 * ".$mydomain" when append_dot_mydomain = yes (the default is no at
 * compatibility level 3.6). Canonical, virtual and masquerading maps are
 * not applied. When a rewrite client exists, these two functions are
 * the place to call it.
 *
 *	cleanup_addr_canon(addr, out)
 *		out = the canonical form of one internal-form address. The
 *		null address stays empty; an address with a source route
 *		is left as it is.
 *	cleanup_addr_header(state, name, name_len, hdr)
 *		hdr holds a whole address header ("To: ..." with its
 *		continuation lines); when an address in it needs
 *		rewriting, hdr is replaced by "Name: <rewritten list>",
 *		folded after commas to stay within 78 columns where it can.
 *		A header with nothing to rewrite is left byte for byte as
 *		it came; so is one with more than header_address_token_limit
 *		tokens (rewriting it would drop the excess).
 *
 * Diagnostics: none. Configuration parameters: myorigin, mydomain,
 * append_at_myorigin, append_dot_mydomain, header_address_token_limit
 * (via cleanup_config).
 */
#include <string.h>

#include "addr_list.h"
#include "cleanup.h"
#include "mail_header.h"

#define CLEANUP_HEADER_WIDTH 78

void cleanup_addr_canon(const char *addr, struct buf *out)
{
    const char *at;
    const char *domain;

    buf_set_str(out, addr);
    if (*addr == 0 || *addr == '@')
        return;
    if ((at = strrchr(addr, '@')) == NULL) {
        if (!cleanup_config.append_at_myorigin ||
            cleanup_config.myorigin == NULL || *cleanup_config.myorigin == 0)
            return;
        buf_append_char(out, '@');
        buf_append_str(out, cleanup_config.myorigin);
        domain = cleanup_config.myorigin;
    } else {
        domain = at + 1;
    }
    if (cleanup_config.append_dot_mydomain && *domain != 0 && *domain != '[' &&
        strchr(domain, '.') == NULL && cleanup_config.mydomain != NULL &&
        *cleanup_config.mydomain != 0) {
        buf_append_char(out, '.');
        buf_append_str(out, cleanup_config.mydomain);
    }
}

/* addr_list_rewrite() callback: qualify what needs it. */
static int cleanup_addr_rewrite(const char *internal, struct buf *out,
                                void *context)
{
    (void)context;
    if (*internal == 0)
        return 0;
    cleanup_addr_canon(internal, out);
    return strcmp(internal, buf_str(out)) != 0;
}

void cleanup_addr_header(struct cleanup_state *state, const char *name,
                         size_t name_len, struct buf *hdr)
{
    struct addr_list list;
    struct buf *text;
    size_t off;

    (void)state;
    off = mail_header_value_offset(buf_str(hdr), buf_len(hdr));
    addr_list_init(&list);
    addr_list_parse(&list, buf_str(hdr) + off,
                    (size_t)cleanup_config.header_address_token_limit);
    if (!list.truncated && list.count > 0 &&
        addr_list_rewrite(&list, cleanup_addr_rewrite, NULL) > 0) {
        text = buf_alloc(200);
        buf_append(text, name, name_len);
        buf_append_str(text, ": ");
        addr_list_text(&list, name_len + 2, CLEANUP_HEADER_WIDTH, text);
        buf_set(hdr, buf_str(text), buf_len(text));
        buf_free(text);
    }
    addr_list_free(&list);
}
