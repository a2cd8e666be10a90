/*
 * tr_resolve - where a recipient goes: transport, next hop, recipient
 *
 * The address comes in internal form (as a queue file holds it). It is
 * quoted (addr_quote_local), cut into tokens, and worked on in a loop
 * until nothing changes:
 *	- one trailing dot of the domain goes ("user@host." -> "user@host";
 *	  not after another dot or the "@"); with resolve_null_domain a
 *	  trailing "@" goes;
 *	- a domain that is local (tr_resolve_local: mydestination, address
 *	  literals of inet_interfaces/proxy_interfaces; with
 *	  resolve_numeric_domain a bare IPv4 address, which becomes a
 *	  literal) is taken off and remembered, as is an empty domain;
 *	  a remote domain ends the loop;
 *	- what is left is rewritten (tr_rewrite_tokens, local context) while
 *	  it holds "@", or "!" (swap_bangpath) or "%" (allow_percent_hack),
 *	  so that "user%site@localdomain" becomes "user@site";
 *	- with resolve_dequoted_address a local part that is one quoted
 *	  string holding a routing operator is opened up (Sendmail and qmail
 *	  compatibility; see "Opening a quoted local part" below);
 *	- an empty local part becomes $empty_address_recipient;
 *	- a bare name becomes name@$myhostname.
 * The loop gives up (RESOLVE_FLAG_FAIL) after (address length + 100)
 * rounds.
 *
 * Then the class, from the recipient domain:
 *	local domain		$local_transport (next hop: its ":nexthop", or
 *				the recipient domain), RESOLVE_CLASS_LOCAL
 *	bad domain syntax	RESOLVE_FLAG_ERROR | RESOLVE_CLASS_DEFAULT,
 *				transport and next hop unset (see
 *				rewrite_proto.h); no tables are consulted
 *	virtual_alias_domains	error:"5.1.1 User unknown in virtual alias
 *				table" (" in virtual alias table" only with
 *				show_user_unknown_table_name), CLASS_ALIAS
 *	virtual_mailbox_domains	$virtual_transport (next hop: its own, or the
 *				domain), CLASS_VIRTUAL
 *	relay_domains		$relay_transport, CLASS_RELAY
 *	anything else		sender_dependent_default_transport_maps
 *				(sender, or empty_address_default_transport_
 *				maps_lookup_key for the null sender; DUNNO
 *				means none), else $default_transport,
 *				CLASS_DEFAULT
 *	For relay and default: next hop from sender_dependent_relayhost_maps
 *	(same keys, empty_address_relayhost_maps_lookup_key), else
 *	$relayhost, else the recipient domain; a ":nexthop" in the transport
 *	wins over all of these.
 * Then relocated_maps (error:"5.1.6 User has moved to <value>") and, if
 * that did not match and the class is not ALIAS, transport_maps:
 * "transport:nexthop" replaces what it names; an empty transport keeps
 * the class's, an empty next hop with a transport means the recipient
 * domain, ":" changes nothing. RESOLVE_FLAG_ROUTED is set when the
 * recipient's local part holds @, ! or % (checked after the syntax check
 * and before any table is asked, as Postfix does).
 *
 * "verify" requests (address probes) use the address_verify_* variants of
 * the transports, relayhost and maps (struct tr_route).
 *
 * A table lookup failure sets RESOLVE_FLAG_FAIL and stops: in the loop
 * (mydestination) with nothing set at all; in virtual_alias_domains,
 * virtual_mailbox_domains or relay_domains with only the recipient set
 * and no class; in the sender-dependent tables with the class set and
 * the value being looked up unset; in relocated_maps or transport_maps
 * with everything set as far as it got.
 *
 * Opening a quoted local part (resolve_dequoted_address), as Postfix 3.7
 * does it (observed): when the local part is one quoted string whose
 * text holds "@" (or, with allow_percent_hack, "%": the last one is made
 * "@"), that text is quoted again as an address (addr_quote_local: its
 * own local part quoted, a leading source route kept), scanned and
 * rewritten; with swap_bangpath a text holding "!" is scanned as it is
 * and rewritten ("site!user" -> "user@site"). Either way the loop goes
 * on. Differences from Postfix that remain for exotic input are listed
 * in trivial-rewrite(8).
 *
 * Public functions:
 *	tr_reply_init(reply), tr_reply_free(reply)
 *	tr_resolve(cfg, verify, sender, address, reply)
 *
 * Diagnostics: warnings "resolve_addr: <ADDR>: giving up after N
 * iterations", "PARAM lookup failure", "do not list domain D in BOTH P1
 * and P2" (helpful_warnings), "PARAM: ignoring null lookup result for
 * KEY".
 *
 * Configuration parameters (through struct tr_config): see
 * trivial_rewrite.h and trivial-rewrite(8).
 */
#include <string.h>

#include "addr_token.h"
#include "mem.h"
#include "msg.h"
#include "rewrite_proto.h"
#include "trivial_rewrite.h"

void tr_reply_init(struct tr_reply *reply)
{
    reply->transport = buf_alloc(32);
    reply->nexthop = buf_alloc(64);
    reply->recipient = buf_alloc(100);
    reply->flags = 0;
}

void tr_reply_free(struct tr_reply *reply)
{
    buf_free(reply->transport);
    buf_free(reply->nexthop);
    buf_free(reply->recipient);
}

/* "transport:nexthop" -> both parts (either may be empty). */
static void tr_split_transport(const char *spec, struct buf *transport,
                               struct buf *nexthop)
{
    const char *colon = strchr(spec, ':');

    if (colon) {
        buf_set(transport, spec, (size_t)(colon - spec));
        buf_set_str(nexthop, colon + 1);
    } else {
        buf_set_str(transport, spec);
        buf_reset(nexthop);
    }
}

/* A class's transport: set transport, and next hop unless empty. */
static void tr_use_transport(const char *spec, const char *domain,
                             struct tr_reply *reply)
{
    struct buf *nexthop = buf_alloc(64);

    tr_split_transport(spec, reply->transport, nexthop);
    buf_set_str(reply->nexthop, buf_len(nexthop) ? buf_str(nexthop) : domain);
    buf_free(nexthop);
}

/* A transport_maps result overrides what it names. */
static void tr_override_transport(const char *spec, const char *domain,
                                  struct tr_reply *reply)
{
    struct buf *transport = buf_alloc(32);
    struct buf *nexthop = buf_alloc(64);

    tr_split_transport(spec, transport, nexthop);
    if (buf_len(transport))
        buf_set_str(reply->transport, buf_str(transport));
    if (buf_len(nexthop))
        buf_set_str(reply->nexthop, buf_str(nexthop));
    else if (buf_len(transport))
        buf_set_str(reply->nexthop, domain);
    buf_free(transport);
    buf_free(nexthop);
}

/* Replace toks with the tokens of text. */
static void tr_set_text(struct addr_toks *toks, const char *text)
{
    addr_toks_scan(toks, text);
}

/* The address tables take a copy of the key: their value is volatile. */
static const char *tr_sender_lookup(struct tr_config *cfg, struct tr_maps *maps,
                                    const char *sender, const char *null_key,
                                    struct buf *value, int *error)
{
    const char *key = *sender ? sender : null_key;
    const char *found;

    if ((found = tr_maps_find_addr(cfg, maps, key, error)) == NULL)
        return NULL;
    if (*found == 0) {
        msg_warn("%s: ignoring null lookup result for %s", maps->param, key);
        found = "DUNNO";
    }
    buf_set_str(value, found);
    return buf_str(value);
}

static int tr_has_routing(const char *local, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (local[i] == '@' || local[i] == '!' || local[i] == '%')
            return 1;
    return 0;
}

/* What the loop ended with. */
enum tr_loop_end {
    TR_LOOP_DONE, /* toks hold the recipient (maybe without domain) */
    TR_LOOP_FAIL, /* a lookup failed or the loop ran away */
};

struct tr_state {
    struct addr_toks toks;
    struct addr_toks saved; /* the last domain taken off, with its "@" */
    int saved_local;        /* ... and it was a local domain */
    struct buf *text;       /* scratch */
};

/* A one-quoted-string local part with a routing operator: 1 if opened. */
static int tr_dequote(struct tr_config *cfg, struct tr_state *st)
{
    const char *text;
    const char *oper;

    if (!cfg->resolve_dequoted || st->toks.count != 1 ||
        st->toks.v[0].type != ADDR_TOK_QSTRING)
        return 0;
    text = st->toks.v[0].text;
    if ((oper = strrchr(text, '@')) == NULL && cfg->allow_percent_hack)
        oper = strrchr(text, '%');
    buf_set_str(st->text, text);
    if (oper) {
        /* "user%site" -> "user@site", quoted again and scanned. */
        struct buf *ext = buf_alloc(buf_len(st->text) + 10);

        buf_str(st->text)[oper - text] = '@';
        addr_quote_local(buf_str(st->text), ext);
        addr_toks_scan(&st->toks, buf_str(ext));
        buf_free(ext);
    } else if (cfg->swap_bangpath && strchr(text, '!') != NULL) {
        addr_toks_scan(&st->toks, buf_str(st->text));
    } else {
        return 0;
    }
    tr_rewrite_tokens(cfg, TR_CONTEXT_LOCAL, &st->toks);
    return 1;
}

static enum tr_loop_end
tr_resolve_loop(struct tr_config *cfg, struct tr_state *st, const char *address)
{
    struct addr_toks *toks = &st->toks;
    long limit = (long)strlen(address) + 100;
    long at;
    int local;

    for (long round = 0;; round++) {
        if (round > limit) {
            msg_warn("resolve_addr: <%.200s>: giving up after %ld iterations",
                     address, round);
            return TR_LOOP_FAIL;
        }
        if (toks->count >= 2 && toks->v[toks->count - 1].type == '.' &&
            addr_toks_rfind(toks, '@') >= 0 &&
            toks->v[toks->count - 2].type != '.' &&
            toks->v[toks->count - 2].type != '@')
            addr_toks_truncate(toks, toks->count - 1);
        if (cfg->resolve_null_domain && toks->count > 0 &&
            toks->v[toks->count - 1].type == '@')
            addr_toks_truncate(toks, toks->count - 1);

        if ((at = addr_toks_rfind(toks, '@')) >= 0) {
            local = 0;
            if ((size_t)at + 1 < toks->count) {
                buf_reset(st->text);
                addr_toks_internal(toks, (size_t)at + 1, toks->count, st->text);
                if (cfg->resolve_numeric_domain &&
                    tr_valid_ipv4(buf_str(st->text))) {
                    struct buf *lit = buf_alloc(buf_len(st->text) + 3);

                    buf_printf(lit, "[%s]", buf_str(st->text));
                    addr_toks_truncate(toks, (size_t)at + 1);
                    addr_toks_append(toks, ADDR_TOK_DOMLIT, buf_str(lit));
                    buf_set_str(st->text, buf_str(lit));
                    buf_free(lit);
                }
                if ((local = tr_resolve_local(cfg, buf_str(st->text))) < 0)
                    return TR_LOOP_FAIL;
                if (local == 0)
                    return TR_LOOP_DONE;
            }
            addr_toks_copy(&st->saved, toks, (size_t)at, toks->count);
            st->saved_local = local;
            addr_toks_truncate(toks, (size_t)at);
        }

        if (addr_toks_rfind(toks, '@') >= 0 ||
            (cfg->swap_bangpath && addr_toks_find(toks, '!') >= 0) ||
            (cfg->allow_percent_hack && addr_toks_find(toks, '%') >= 0)) {
            tr_rewrite_tokens(cfg, TR_CONTEXT_LOCAL, toks);
            continue;
        }
        if (tr_dequote(cfg, st))
            continue;
        if (toks->count == 0 ||
            (toks->count == 1 && toks->v[0].type == ADDR_TOK_QSTRING &&
             toks->v[0].text[0] == 0)) {
            tr_set_text(toks, cfg->empty_address_recipient);
            continue;
        }
        if (st->saved.count == 0) {
            struct addr_toks host;

            addr_toks_init(&host);
            addr_toks_scan(&host, cfg->myhostname);
            addr_toks_append(toks, '@', NULL);
            addr_toks_append_list(toks, &host, 0, host.count);
            addr_toks_free(&host);
            continue;
        }
        return TR_LOOP_DONE;
    }
}

/* Relay and default class: transport and next hop. */
static int tr_resolve_remote(struct tr_config *cfg, struct tr_route *route,
                             const char *sender, const char *domain, int relay,
                             struct tr_reply *reply)
{
    struct buf *value = buf_alloc(64);
    struct buf *transport_nexthop = buf_alloc(64);
    struct buf *spec = buf_alloc(64);
    const char *found;
    int error = 0;
    int ok = 0;

    if (relay) {
        buf_set_str(spec, route->relay_transport);
        reply->flags |= RESOLVE_CLASS_RELAY;
    } else {
        found = tr_sender_lookup(cfg, &route->sender_transport_maps, sender,
                                 cfg->null_transport_key, value, &error);
        if (error) {
            msg_warn("%s lookup failure", route->sender_transport_maps.param);
            reply->flags |= RESOLVE_FLAG_FAIL;
            goto done;
        }
        buf_set_str(spec, found && strcasecmp(found, "DUNNO") != 0
                              ? found
                              : route->default_transport);
        reply->flags |= RESOLVE_CLASS_DEFAULT;
    }
    tr_split_transport(buf_str(spec), reply->transport, transport_nexthop);

    found = tr_sender_lookup(cfg, &route->sender_relayhost_maps, sender,
                             cfg->null_relay_key, value, &error);
    if (error) {
        msg_warn("%s lookup failure", route->sender_relayhost_maps.param);
        reply->flags |= RESOLVE_FLAG_FAIL;
        goto done;
    }
    if (found)
        buf_set_str(reply->nexthop,
                    strcasecmp(found, "DUNNO") == 0 ? domain : found);
    else if (*route->relayhost)
        buf_set_str(reply->nexthop, route->relayhost);
    else
        buf_set_str(reply->nexthop, domain);
    if (buf_len(transport_nexthop))
        buf_set_str(reply->nexthop, buf_str(transport_nexthop));
    ok = 1;
done:
    buf_free(value);
    buf_free(transport_nexthop);
    buf_free(spec);
    return ok;
}

/* Remote classes; 0 when a lookup failed (the reply says how far). */
static int tr_resolve_class(struct tr_config *cfg, struct tr_route *route,
                            const char *sender, const char *domain,
                            struct tr_reply *reply)
{
    int alias;
    int mailbox;
    int relay;

    if ((alias = tr_domain_list_match(&cfg->virtual_alias_domains, domain)) <
        0) {
        msg_warn("%s lookup failure", cfg->virtual_alias_domains.param);
        reply->flags |= RESOLVE_FLAG_FAIL;
        return 0;
    }
    if (alias) {
        if (cfg->helpful_warnings) {
            if (tr_domain_list_match(&cfg->virtual_mailbox_domains, domain) > 0)
                msg_warn("do not list domain %s in BOTH %s and %s", domain,
                         cfg->virtual_alias_domains.param,
                         cfg->virtual_mailbox_domains.param);
            if (tr_domain_list_match(&cfg->relay_domains, domain) > 0)
                msg_warn("do not list domain %s in BOTH %s and %s", domain,
                         cfg->virtual_alias_domains.param,
                         cfg->relay_domains.param);
        }
        buf_set_str(reply->transport, RESOLVE_TRANSPORT_ERROR);
        buf_printf(reply->nexthop, "5.1.1 User unknown%s",
                   cfg->show_unknown_table ? " in virtual alias table" : "");
        reply->flags |= RESOLVE_CLASS_ALIAS;
        return 1;
    }
    if ((mailbox =
             tr_domain_list_match(&cfg->virtual_mailbox_domains, domain)) < 0) {
        msg_warn("%s lookup failure", cfg->virtual_mailbox_domains.param);
        reply->flags |= RESOLVE_FLAG_FAIL;
        return 0;
    }
    if (mailbox) {
        if (cfg->helpful_warnings &&
            tr_domain_list_match(&cfg->relay_domains, domain) > 0)
            msg_warn("do not list domain %s in BOTH %s and %s", domain,
                     cfg->virtual_mailbox_domains.param,
                     cfg->relay_domains.param);
        tr_use_transport(route->virtual_transport, domain, reply);
        reply->flags |= RESOLVE_CLASS_VIRTUAL;
        return 1;
    }
    if ((relay = tr_domain_list_match(&cfg->relay_domains, domain)) < 0) {
        msg_warn("%s lookup failure", cfg->relay_domains.param);
        reply->flags |= RESOLVE_FLAG_FAIL;
        return 0;
    }
    return tr_resolve_remote(cfg, route, sender, domain, relay, reply);
}

void tr_resolve(struct tr_config *cfg, int verify, const char *sender,
                const char *address, struct tr_reply *reply)
{
    struct tr_route *route = verify ? &cfg->verify : &cfg->resolve;
    struct tr_state st;
    const char *rcpt;
    const char *at;
    const char *found;
    struct buf *value = buf_alloc(64);
    int error = 0;

    buf_set_str(reply->transport, RESOLVE_UNSET_TRANSPORT);
    buf_set_str(reply->nexthop, RESOLVE_UNSET_NEXTHOP);
    buf_set_str(reply->recipient, RESOLVE_UNSET_RECIPIENT);
    reply->flags = 0;

    addr_toks_init(&st.toks);
    addr_toks_init(&st.saved);
    st.saved_local = 0;
    st.text = buf_alloc(100);
    addr_quote_local(address, st.text);
    addr_toks_scan(&st.toks, buf_str(st.text));

    if (tr_resolve_loop(cfg, &st, address) == TR_LOOP_FAIL) {
        reply->flags |= RESOLVE_FLAG_FAIL;
        goto done;
    }
    /* A domain that was taken off goes back on. */
    if (addr_toks_rfind(&st.toks, '@') < 0)
        addr_toks_append_list(&st.toks, &st.saved, 0, st.saved.count);
    else
        st.saved_local = 0;
    buf_reset(reply->recipient);
    addr_toks_internal(&st.toks, 0, st.toks.count, reply->recipient);
    rcpt = buf_str(reply->recipient);
    if ((at = strrchr(rcpt, '@')) == NULL)
        msg_panic("tr_resolve: no domain in <%s>", rcpt);

    if (st.saved_local) {
        tr_use_transport(route->local_transport, at + 1, reply);
        reply->flags |= RESOLVE_CLASS_LOCAL;
    } else if (at[1] == '[' ? !tr_valid_literal(at + 1)
                            : !tr_valid_hostname(at + 1)) {
        reply->flags |= RESOLVE_FLAG_ERROR | RESOLVE_CLASS_DEFAULT;
        goto done;
    }
    /* Routing operators are noted before anything can fail. */
    if (tr_has_routing(rcpt, (size_t)(at - rcpt)))
        reply->flags |= RESOLVE_FLAG_ROUTED;
    if (!st.saved_local && !tr_resolve_class(cfg, route, sender, at + 1, reply))
        goto done;

    found = tr_maps_find_addr(cfg, &cfg->relocated_maps, rcpt, &error);
    if (error) {
        msg_warn("%s lookup failure", cfg->relocated_maps.param);
        reply->flags |= RESOLVE_FLAG_FAIL;
        goto done;
    }
    if (found) {
        buf_set_str(reply->transport, RESOLVE_TRANSPORT_ERROR);
        buf_printf(reply->nexthop, "5.1.6 User has moved to %s", found);
        goto done;
    }
    /* Unknown users of an alias domain stay unknown. */
    if (reply->flags & RESOLVE_CLASS_ALIAS)
        goto done;
    found = tr_transport_lookup(cfg, route, rcpt, &error);
    if (error) {
        msg_warn("%s lookup failure", route->transport_maps.param);
        reply->flags |= RESOLVE_FLAG_FAIL;
        goto done;
    }
    if (found) {
        buf_set_str(value, found);
        tr_override_transport(buf_str(value), at + 1, reply);
    }
done:
    addr_toks_free(&st.toks);
    addr_toks_free(&st.saved);
    buf_free(st.text);
    buf_free(value);
}
