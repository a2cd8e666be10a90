/*
 * tr_config - trivial-rewrite's configuration, read once at start-up
 *
 * Reads every parameter the rewrite and resolve rules use (see
 * trivial-rewrite(8)), opens the lookup tables and collects the local
 * interface addresses. Called before privileges are dropped, so that
 * tables under a root-only directory open as they do for Postfix.
 *
 * Public functions:
 *	tr_config_load(conf, cfg)	fill cfg from conf (a bad parameter
 *					value is fatal, as in every daemon)
 *	tr_config_free(cfg)
 *	tr_config_changed(cfg, &which)	1 when a table was replaced on disk
 *					since it was opened (which names it)
 *
 * Configuration parameters: myhostname, mydomain, myorigin,
 * remote_header_rewrite_domain, append_at_myorigin, append_dot_mydomain,
 * swap_bangpath, allow_percent_hack, resolve_dequoted_address,
 * resolve_null_domain, resolve_numeric_domain,
 * show_user_unknown_table_name, helpful_warnings,
 * parent_domain_matches_subdomains, empty_address_recipient,
 * recipient_delimiter, empty_address_relayhost_maps_lookup_key,
 * empty_address_default_transport_maps_lookup_key, mydestination,
 * virtual_alias_domains, virtual_mailbox_domains, relay_domains,
 * inet_interfaces, proxy_interfaces, relocated_maps, local_transport,
 * virtual_transport, relay_transport, default_transport, relayhost,
 * transport_maps, sender_dependent_relayhost_maps,
 * sender_dependent_default_transport_maps, and the address_verify_*
 * variants of the last eight.
 */
#include <string.h>

#include "mem.h"
#include "msg.h"
#include "param.h"
#include "trivial_rewrite.h"

static char *tr_str(struct conf *conf, const char *name)
{
    return mem_strdup(param_str(conf, name));
}

/* The value of a list parameter, expanded, as one string. */
static char *tr_list_text(struct conf *conf, const char *name)
{
    return tr_str(conf, name);
}

static void tr_route_load(struct conf *conf, struct tr_route *route,
                          const char *prefix)
{
    struct buf *name = buf_alloc(64);
    const char *value;
    int error = 0;

#define TR_NAME(n) (buf_printf(name, "%s%s", prefix, (n)), buf_str(name))
    route->local_transport = tr_str(conf, TR_NAME("local_transport"));
    route->virtual_transport = tr_str(conf, TR_NAME("virtual_transport"));
    route->relay_transport = tr_str(conf, TR_NAME("relay_transport"));
    route->default_transport = tr_str(conf, TR_NAME("default_transport"));
    route->relayhost = tr_str(conf, TR_NAME("relayhost"));
    /* The table lists keep their parameter name for diagnostics. */
    tr_maps_init(&route->transport_maps,
                 *prefix ? "address_verify_transport_maps" : "transport_maps",
                 param_str(conf, TR_NAME("transport_maps")));
    tr_maps_init(&route->sender_relayhost_maps,
                 *prefix ? "address_verify_sender_dependent_relayhost_maps"
                         : "sender_dependent_relayhost_maps",
                 param_str(conf, TR_NAME("sender_dependent_relayhost_maps")));
    tr_maps_init(
        &route->sender_transport_maps,
        *prefix ? "address_verify_sender_dependent_default_transport_maps"
                : "sender_dependent_default_transport_maps",
        param_str(conf, TR_NAME("sender_dependent_default_transport_maps")));
#undef TR_NAME
    route->wildcard = NULL;
    route->wildcard_error = 0;
    if (route->transport_maps.count > 0) {
        value = tr_maps_lookup(&route->transport_maps, "*", &error);
        route->wildcard = value ? mem_strdup(value) : NULL;
        route->wildcard_error = error;
    }
    buf_free(name);
}

static void tr_route_free(struct tr_route *route)
{
    mem_free(route->local_transport);
    mem_free(route->virtual_transport);
    mem_free(route->relay_transport);
    mem_free(route->default_transport);
    mem_free(route->relayhost);
    mem_free(route->wildcard);
    tr_maps_free(&route->transport_maps);
    tr_maps_free(&route->sender_relayhost_maps);
    tr_maps_free(&route->sender_transport_maps);
}

void tr_config_load(struct conf *conf, struct tr_config *cfg)
{
    char *parents = tr_list_text(conf, "parent_domain_matches_subdomains");
    char *text;

    memset(cfg, 0, sizeof(*cfg));
    cfg->myhostname = tr_str(conf, "myhostname");
    cfg->mydomain = tr_str(conf, "mydomain");
    cfg->myorigin = tr_str(conf, "myorigin");
    cfg->remote_domain = tr_str(conf, "remote_header_rewrite_domain");
    cfg->append_at_myorigin = param_bool(conf, "append_at_myorigin");
    cfg->append_dot_mydomain = param_bool(conf, "append_dot_mydomain");
    cfg->swap_bangpath = param_bool(conf, "swap_bangpath");
    cfg->allow_percent_hack = param_bool(conf, "allow_percent_hack");
    cfg->resolve_dequoted = param_bool(conf, "resolve_dequoted_address");
    cfg->resolve_null_domain = param_bool(conf, "resolve_null_domain");
    cfg->resolve_numeric_domain = param_bool(conf, "resolve_numeric_domain");
    cfg->show_unknown_table = param_bool(conf, "show_user_unknown_table_name");
    cfg->helpful_warnings = param_bool(conf, "helpful_warnings");
    cfg->empty_address_recipient = tr_str(conf, "empty_address_recipient");
    cfg->recipient_delimiter = tr_str(conf, "recipient_delimiter");
    cfg->null_relay_key =
        tr_str(conf, "empty_address_relayhost_maps_lookup_key");
    cfg->null_transport_key =
        tr_str(conf, "empty_address_default_transport_maps_lookup_key");

    {
        char **names =
            tr_split_list("parent_domain_matches_subdomains", parents);

        for (char **np = names; *np; np++)
            if (strcmp(*np, "transport_maps") == 0)
                cfg->transport_parent_match = 1;
        conf_argv_free(names);
    }

    /* Only relay_domains matches subdomains (Postfix 3.7, observed). */
    tr_domain_list_init(&cfg->mydestination, "mydestination",
                        param_str(conf, "mydestination"), parents, 1);
    tr_domain_list_init(&cfg->virtual_alias_domains, "virtual_alias_domains",
                        param_str(conf, "virtual_alias_domains"), parents, 1);
    tr_domain_list_init(&cfg->virtual_mailbox_domains,
                        "virtual_mailbox_domains",
                        param_str(conf, "virtual_mailbox_domains"), parents, 1);
    tr_domain_list_init(&cfg->relay_domains, "relay_domains",
                        param_str(conf, "relay_domains"), parents, 0);

    text = tr_list_text(conf, "inet_interfaces");
    tr_interfaces_load(&cfg->interfaces, "inet_interfaces", text);
    mem_free(text);
    text = tr_list_text(conf, "proxy_interfaces");
    tr_interfaces_load(&cfg->interfaces, "proxy_interfaces", text);
    mem_free(text);

    tr_maps_init(&cfg->relocated_maps, "relocated_maps",
                 param_str(conf, "relocated_maps"));
    tr_route_load(conf, &cfg->resolve, "");
    tr_route_load(conf, &cfg->verify, "address_verify_");
    mem_free(parents);
}

void tr_config_free(struct tr_config *cfg)
{
    mem_free(cfg->myhostname);
    mem_free(cfg->mydomain);
    mem_free(cfg->myorigin);
    mem_free(cfg->remote_domain);
    mem_free(cfg->empty_address_recipient);
    mem_free(cfg->recipient_delimiter);
    mem_free(cfg->null_relay_key);
    mem_free(cfg->null_transport_key);
    tr_domain_list_free(&cfg->mydestination);
    tr_domain_list_free(&cfg->virtual_alias_domains);
    tr_domain_list_free(&cfg->virtual_mailbox_domains);
    tr_domain_list_free(&cfg->relay_domains);
    tr_addr_list_free(&cfg->interfaces);
    tr_maps_free(&cfg->relocated_maps);
    tr_route_free(&cfg->resolve);
    tr_route_free(&cfg->verify);
    memset(cfg, 0, sizeof(*cfg));
}

int tr_config_changed(struct tr_config *cfg, const char **which)
{
    struct tr_route *routes[] = {&cfg->resolve, &cfg->verify};

    if (tr_domain_list_changed(&cfg->mydestination, which) ||
        tr_domain_list_changed(&cfg->virtual_alias_domains, which) ||
        tr_domain_list_changed(&cfg->virtual_mailbox_domains, which) ||
        tr_domain_list_changed(&cfg->relay_domains, which) ||
        tr_maps_changed(&cfg->relocated_maps, which))
        return 1;
    for (size_t i = 0; i < 2; i++)
        if (tr_maps_changed(&routes[i]->transport_maps, which) ||
            tr_maps_changed(&routes[i]->sender_relayhost_maps, which) ||
            tr_maps_changed(&routes[i]->sender_transport_maps, which))
            return 1;
    return 0;
}
