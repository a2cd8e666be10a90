/*
 * test_rewrite - unit tests for trivial-rewrite's rules (rewrite/tr_*.c),
 * linked without the daemon.
 *
 * One table of addresses x configurations for each of rewrite and
 * resolve; the expected answers are those Postfix 3.7.11's trivial-rewrite
 * gave for the same address and main.cf (observed; the system test
 * checks the same against both servers). Configurations use inline:
 * tables and cdb files written with our writer, a domain list file, and
 * tables that cannot be opened. Malformed addresses (unbalanced quotes,
 * "<>", "@", "a@@b", very long, NUL-free garbage) must give an answer of
 * the right shape and never crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "dict.h"
#include "mem.h"
#include "rewrite_proto.h"
#include "trivial_rewrite.h"
#include "unit.h"

#define ROUTED RESOLVE_FLAG_ROUTED
#define ERROR  RESOLVE_FLAG_ERROR
#define FAIL   RESOLVE_FLAG_FAIL
#define LOCAL  RESOLVE_CLASS_LOCAL
#define ALIAS  RESOLVE_CLASS_ALIAS
#define VIRT   RESOLVE_CLASS_VIRTUAL
#define RELAY  RESOLVE_CLASS_RELAY
#define DEF    RESOLVE_CLASS_DEFAULT
#define UT     RESOLVE_UNSET_TRANSPORT
#define UN     RESOLVE_UNSET_NEXTHOP
#define UR     RESOLVE_UNSET_RECIPIENT

/* Configurations; "@DIR@" becomes the test directory. */
enum {
    C_DEFAULT,
    C_OPTIONS,
    C_NOHACKS,
    C_DOMAINS,
    C_TRANSPORTS,
    C_MAPS,
    C_FAILING,
    C_MYDEST_FAILING,
    C_COUNT,
};

#define COMMON "myhostname = host.example.org\ninet_interfaces = 127.0.0.1\n"

static const char *configs[C_COUNT] = {
    [C_DEFAULT] = COMMON,
    [C_OPTIONS] = COMMON "append_dot_mydomain = yes\nmydomain = dom.example\n"
                         "myorigin = orig.example\n"
                         "remote_header_rewrite_domain = remote.example\n",
    [C_NOHACKS] = COMMON "swap_bangpath = no\nallow_percent_hack = no\n"
                         "append_at_myorigin = no\nresolve_null_domain = yes\n"
                         "resolve_numeric_domain = yes\n"
                         "resolve_dequoted_address = no\n",
    [C_DOMAINS] = COMMON
    "virtual_alias_domains = valias.example\n"
    "virtual_mailbox_domains = vmbox.example\n"
    "relay_domains = relay.example, @DIR@/relaydomains\n"
    "proxy_interfaces = 192.0.2.99\nrelayhost = [smart.example]:587\n"
    "empty_address_recipient = postmaster\n"
    "mydestination = $myhostname, localhost, inline:{ table.example=1 }, "
    "!not.local.example, .local.example\n",
    [C_TRANSPORTS] = COMMON
    "virtual_mailbox_domains = vmbox.example\nrelay_domains = relay.example\n"
    "default_transport = smtp:[default.example]\n"
    "relay_transport = relay:[relay-hop.example]\n"
    "virtual_transport = virtual:vhop\nlocal_transport = local\n"
    "relayhost = [ignored.example]\nshow_user_unknown_table_name = no\n"
    "virtual_alias_domains = inline:{ valias.example=x }\n",
    [C_MAPS] = COMMON "transport_maps = cdb:@DIR@/transport\n"
                      "recipient_delimiter = +\nrelayhost = [smart.example]\n"
                      "relocated_maps = inline:{ moved@host.example.org="
                      "new@elsewhere.example, gone=gone@far.example }\n"
                      "sender_dependent_relayhost_maps = inline:{ "
                      "sender@s.example=[sender-relay.example]:26, "
                      "<>=[null-relay.example] }\n"
                      "sender_dependent_default_transport_maps = inline:{ "
                      "@sdom.example=special2: }\n"
                      "address_verify_relayhost = [verify.example]\n",
    [C_FAILING] = COMMON "transport_maps = cdb:/nonexistent/transport\n",
    [C_MYDEST_FAILING] = COMMON "mydestination = cdb:/nonexistent/mydest\n",
};

static const char *transport_entries[][2] = {
    {"full@example.com", "relay:[full.example]:2525"},
    {"example.com", "smtp:[mx.example.com]"},
    {".sub.example.com", ":[sub.relay]"},
    {"sub.example.com", "lmtp:"},
    {"deep.a.b.c", "error:5.1.2 deep domain rejected"},
    {".b.c", "discard:dropped here"},
    {"user+ext@plus.example", "smtp:ext.plus"},
    {"user@plus.example", "smtp:noext.plus"},
    {"empty.example", ":"},
    {"local-user@host.example.org", "local:"},
    {"*", "smtp:[star.example]:25"},
};

static struct tr_config cfgs[C_COUNT];
static struct conf *confs[C_COUNT];
static int loaded;

static void write_tables(void)
{
    struct buf *err = buf_alloc(100);
    char *path = unit_tmpfile("transport");
    struct dict_cdb_writer *w = dict_cdb_create(path, 0, 0644, err);
    char *file = unit_tmpfile("relaydomains");
    static const char relay_file[] = "# relay domains\nfile.example, "
                                     "other.file.example\n";

    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    for (size_t i = 0; i < UNIT_COUNT(transport_entries); i++)
        CU_ASSERT_EQUAL(dict_cdb_add(w, transport_entries[i][0],
                                     transport_entries[i][1], err),
                        0);
    CU_ASSERT_EQUAL(dict_cdb_commit(w, err), 0);
    unit_write_file(file, relay_file, strlen(relay_file));
    mem_free(path);
    mem_free(file);
    buf_free(err);
}

/* Replace @DIR@ with the test directory. */
static char *config_text(const char *text)
{
    struct buf *out = buf_alloc(256);
    const char *p;

    while ((p = strstr(text, "@DIR@")) != NULL) {
        buf_append(out, text, (size_t)(p - text));
        buf_append_str(out, unit_tmpdir());
        text = p + 5;
    }
    buf_append_str(out, text);
    return buf_export(out);
}

static struct tr_config *config(int which)
{
    struct buf *err;
    char *text;

    if (!loaded) {
        write_tables();
        err = buf_alloc(100);
        unit_capture_start();
        for (int i = 0; i < C_COUNT; i++) {
            confs[i] = conf_create();
            text = config_text(configs[i]);
            CU_ASSERT_EQUAL(
                conf_read_text(confs[i], "main.cf", text, strlen(text), err),
                0);
            tr_config_load(confs[i], cfgs + i);
            mem_free(text);
        }
        unit_capture_stop();
        buf_free(err);
        loaded = 1;
    }
    return cfgs + which;
}

static void test_rewrite_table(void)
{
    static const struct {
        int config;
        const char *context;
        const char *in;
        const char *want; /* NULL: an unknown context */
    } cases[] = {
        {C_DEFAULT, "local", "user", "user@host.example.org"},
        {C_DEFAULT, "local", "user@host", "user@host"},
        {C_DEFAULT, "local", "user@host.example.com.", "user@host.example.com"},
        {C_DEFAULT, "local", "host!user", "user@host"},
        {C_DEFAULT, "local", "a!b!user", "b!user@a"},
        {C_DEFAULT, "local", "user%host", "user@host"},
        {C_DEFAULT, "local", "user%host%relay", "user%host@relay"},
        {C_DEFAULT, "local", "host!user@x.example", "host!user@x.example"},
        {C_DEFAULT, "local", "@a,@b:user@c.example", "user@c.example"},
        {C_DEFAULT, "local", "@a:@b:user", "@b:user"},
        {C_DEFAULT, "local", "@a:", "@a:\"\""},
        {C_DEFAULT, "local", "<@a,@b:user@c.example>",
         "\"<@a, @b:user\"@c.example>"},
        {C_DEFAULT, "local", "\"john smith\"",
         "\"john smith\"@host.example.org"},
        {C_DEFAULT, "local", "\"user\"@example.com", "user@example.com"},
        {C_DEFAULT, "local", "john smith", "\"john smith\"@host.example.org"},
        {C_DEFAULT, "local", "user@[192.0.2.1", "user@[192.0.2.1]"},
        {C_DEFAULT, "local", "\"\"", "\"\""},
        {C_DEFAULT, "local", "<>", "\"<>\"@host.example.org"},
        {C_DEFAULT, "local", "@", "\"\""},
        {C_DEFAULT, "local", "!", "\"\"@"},
        {C_DEFAULT, "local", "a@@b", "\"a@\"@b"},
        {C_DEFAULT, "local", "user@", "user@"},
        {C_DEFAULT, "local", "\"unbalanced", "unbalanced@host.example.org"},
        {C_DEFAULT, "local", "(comment) user",
         "\"(comment) user\"@host.example.org"},
        {C_DEFAULT, "local", "a,b", "\"a, b\"@host.example.org"},
        {C_DEFAULT, "local", "user.", "\"user.\"@host.example.org"},
        {C_DEFAULT, "local", "\\@", "\"@\"@host.example.org"},
        {C_DEFAULT, "local", "\\", "\"\"@host.example.org"},
        {C_DEFAULT, "local", "!a b", "ab@"},
        {C_DEFAULT, "local", "", ""},
        {C_DEFAULT, "local", "   ", "   "},
        {C_DEFAULT, "remote", "user", "user"},
        {C_DEFAULT, "remote", "user@host.", "user@host"},
        {C_DEFAULT, "remote", "<.", "\"<\""},
        {C_DEFAULT, "remote", "a,", "\"a,\""},
        {C_DEFAULT, "remote", "\\@", "\"\"@"},
        {C_DEFAULT, "bogus", "user", NULL},
        {C_OPTIONS, "local", "user", "user@orig.example"},
        {C_OPTIONS, "local", "user@host", "user@host.dom.example"},
        {C_OPTIONS, "local", "user@[192.0.2.1]", "user@[192.0.2.1]"},
        {C_OPTIONS, "local", "host!user", "user@host.dom.example"},
        {C_OPTIONS, "remote", "user", "user@remote.example"},
        {C_OPTIONS, "remote", "user@host", "user@host.remote.example"},
        {C_OPTIONS, "remote", "\"\"", "\"\""},
        {C_NOHACKS, "local", "user", "user"},
        {C_NOHACKS, "local", "host!user", "host!user"},
        {C_NOHACKS, "local", "user%host", "user%host"},
    };
    struct buf *out = buf_alloc(100);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        int ret;

        unit_capture_start();
        ret = tr_rewrite(config(cases[i].config), cases[i].context, cases[i].in,
                         out);
        unit_capture_stop();
        if (cases[i].want == NULL) {
            UNIT_CHECK_INT(cases[i].in, ret, -1);
        } else {
            UNIT_CHECK_INT(cases[i].in, ret, 0);
            UNIT_CHECK_STR(cases[i].in, buf_str(out), cases[i].want);
        }
    }
    buf_free(out);
}

struct resolve_case {
    int config;
    int verify;
    const char *in;
    const char *sender;
    const char *transport;
    const char *nexthop;
    const char *recipient;
    int flags;
};

static void check_resolve(const struct resolve_case *c, struct tr_reply *r)
{
    char name[300];

    snprintf(name, sizeof(name), "config %d: <%.250s>", c->config, c->in);
    UNIT_CHECK_STR(name, buf_str(r->transport), c->transport);
    UNIT_CHECK_STR(name, buf_str(r->nexthop), c->nexthop);
    UNIT_CHECK_STR(name, buf_str(r->recipient), c->recipient);
    UNIT_CHECK_INT(name, r->flags, c->flags);
}

static void test_resolve_table(void)
{
    static const struct resolve_case cases[] = {
        /* Local: mydestination, literals of local addresses. */
        {C_DEFAULT, 0, "user", "", "local", "host.example.org",
         "user@host.example.org", LOCAL},
        {C_DEFAULT, 0, "user@HOST.EXAMPLE.ORG", "", "local", "host.example.org",
         "user@HOST.EXAMPLE.ORG", LOCAL},
        {C_DEFAULT, 0, "user@localhost.example.org", "", "local",
         "host.example.org", "user@localhost.example.org", LOCAL},
        {C_DEFAULT, 0, "user@[127.0.0.1]", "", "local", "host.example.org",
         "user@[127.0.0.1]", LOCAL},
        {C_DEFAULT, 0, "", "", "local", "host.example.org",
         "MAILER-DAEMON@host.example.org", LOCAL},
        {C_DEFAULT, 0, "user@localhost@host.example.org", "", "local",
         "host.example.org", "user@localhost", LOCAL},
        {C_DEFAULT, 0, "\"quoted\"@host.example.org", "", "local",
         "host.example.org", "\"quoted\"@host.example.org", LOCAL},
        {C_DEFAULT, 0, "john smith", "", "local", "host.example.org",
         "john smith@host.example.org", LOCAL},
        /* Remote. */
        {C_DEFAULT, 0, "user@[192.0.2.1]", "", "smtp", "[192.0.2.1]",
         "user@[192.0.2.1]", DEF},
        {C_DEFAULT, 0, "User@Example.COM", "", "smtp", "Example.COM",
         "User@Example.COM", DEF},
        {C_DEFAULT, 0, "user@example.com.", "", "smtp", "example.com",
         "user@example.com", DEF},
        {C_DEFAULT, 0, "user@[ipv6:2001:db8::1]", "", "smtp",
         "[ipv6:2001:db8::1]", "user@[ipv6:2001:db8::1]", DEF},
        {C_DEFAULT, 0, "user@under_score.example", "", "smtp",
         "under_score.example", "user@under_score.example", DEF},
        {C_DEFAULT, 0, "host!user", "", "smtp", "host", "user@host", DEF},
        {C_DEFAULT, 0, "user%example.com@host.example.org", "", "smtp",
         "example.com", "user@example.com", DEF},
        {C_DEFAULT, 0, "user%other@example.com", "", "smtp", "example.com",
         "user%other@example.com", DEF | ROUTED},
        {C_DEFAULT, 0, "a@@b", "", "smtp", "b", "a@@b", DEF | ROUTED},
        {C_DEFAULT, 0, "@a,@b:user@example.com", "", "smtp", "example.com",
         "@a, @b:user@example.com", DEF | ROUTED},
        {C_DEFAULT, 0, "\"ex!user\"@host.example.org", "", "smtp", "ex",
         "user@ex", DEF},
        {C_DEFAULT, 1, "user@example.com", "", "smtp", "example.com",
         "user@example.com", DEF},
        /* Bad syntax: error flag, nothing chosen. */
        {C_DEFAULT, 0, "@", "", UT, UN, "MAILER-DAEMON@", DEF | ERROR},
        {C_DEFAULT, 0, "user@", "", UT, UN, "user@", DEF | ERROR},
        {C_DEFAULT, 0, "user@bad..example", "", UT, UN, "user@bad..example",
         DEF | ERROR},
        {C_DEFAULT, 0, "user@-bad.example", "", UT, UN, "user@-bad.example",
         DEF | ERROR},
        {C_DEFAULT, 0, "user@192.0.2.1", "", UT, UN, "user@192.0.2.1",
         DEF | ERROR},
        {C_DEFAULT, 0, "user@[300.1.1.1]", "", UT, UN, "user@[300.1.1.1]",
         DEF | ERROR},
        {C_DEFAULT, 0, "user@[ipv6:1::2::3]", "", UT, UN, "user@[ipv6:1::2::3]",
         DEF | ERROR},
        {C_DEFAULT, 0, "user@example.com (comment)", "", UT, UN,
         "user@example.com (comment)", DEF | ERROR},
        {C_DEFAULT, 0, "\"user@x\"@host.example.org", "", UT, UN, "\"user@x ",
         DEF | ERROR},
        {C_DEFAULT, 0, "\"unbalanced@host.example.org", "", "local",
         "host.example.org", "\"unbalanced@host.example.org", LOCAL},
        {C_DEFAULT, 0, "<>", "", "local", "host.example.org",
         "<>@host.example.org", LOCAL},
        /* Rewrite options do not change resolving's @$myhostname. */
        {C_OPTIONS, 0, "user", "", "local", "host.example.org",
         "user@host.example.org", LOCAL},
        {C_OPTIONS, 0, "host!user", "", "smtp", "host.dom.example",
         "user@host.dom.example", DEF},
        {C_NOHACKS, 0, "host!user", "", "local", "host.example.org",
         "host!user@host.example.org", LOCAL | ROUTED},
        {C_NOHACKS, 0, "user@", "", "local", "host.example.org",
         "user@host.example.org", LOCAL},
        {C_NOHACKS, 0, "user@192.0.2.1", "", "smtp", "[192.0.2.1]",
         "user@[192.0.2.1]", DEF},
        {C_NOHACKS, 0, "user@127.0.0.1", "", "local", "host.example.org",
         "user@[127.0.0.1]", LOCAL},
        {C_NOHACKS, 0, "\"ex!user\"@host.example.org", "", "local",
         "host.example.org", "\"ex!user\"@host.example.org", LOCAL | ROUTED},
        /* Domain classes and relayhost. */
        {C_DOMAINS, 0, "user@valias.example", "", "error",
         "5.1.1 User unknown in virtual alias table", "user@valias.example",
         ALIAS},
        {C_DOMAINS, 0, "user@vmbox.example", "", "virtual", "vmbox.example",
         "user@vmbox.example", VIRT},
        {C_DOMAINS, 0, "user@sub.relay.example", "", "relay",
         "[smart.example]:587", "user@sub.relay.example", RELAY},
        {C_DOMAINS, 0, "user@file.example", "", "relay", "[smart.example]:587",
         "user@file.example", RELAY},
        {C_DOMAINS, 0, "user@sub.valias.example", "", "smtp",
         "[smart.example]:587", "user@sub.valias.example", DEF},
        {C_DOMAINS, 0, "user@[192.0.2.99]", "", "local", "host.example.org",
         "user@[192.0.2.99]", LOCAL},
        {C_DOMAINS, 0, "", "", "local", "host.example.org",
         "postmaster@host.example.org", LOCAL},
        {C_DOMAINS, 0, "user@table.example", "", "local", "host.example.org",
         "user@table.example", LOCAL},
        {C_DOMAINS, 0, "user@a.local.example", "", "smtp",
         "[smart.example]:587", "user@a.local.example", DEF},
        {C_DOMAINS, 0, "user@sub.table.example", "", "smtp",
         "[smart.example]:587", "user@sub.table.example", DEF},
        {C_DOMAINS, 0, "user@not.local.example", "", "smtp",
         "[smart.example]:587", "user@not.local.example", DEF},
        /* Transports with their own next hops. */
        {C_TRANSPORTS, 0, "user@example.com", "", "smtp", "[default.example]",
         "user@example.com", DEF},
        {C_TRANSPORTS, 0, "user@relay.example", "", "relay",
         "[relay-hop.example]", "user@relay.example", RELAY},
        {C_TRANSPORTS, 0, "user@vmbox.example", "", "virtual", "vhop",
         "user@vmbox.example", VIRT},
        {C_TRANSPORTS, 0, "user@localhost", "", "local", "localhost",
         "user@localhost", LOCAL},
        {C_TRANSPORTS, 0, "user@valias.example", "", "error",
         "5.1.1 User unknown", "user@valias.example", ALIAS},
        /* transport_maps (cdb), relocated_maps, sender-dependent. */
        {C_MAPS, 0, "FULL@EXAMPLE.COM", "", "relay", "[full.example]:2525",
         "FULL@EXAMPLE.COM", DEF},
        {C_MAPS, 0, "other@example.com", "", "smtp", "[mx.example.com]",
         "other@example.com", DEF},
        {C_MAPS, 0, "x@sub.example.com", "", "lmtp", "sub.example.com",
         "x@sub.example.com", DEF},
        {C_MAPS, 0, "x@a.sub.example.com", "", "smtp", "[sub.relay]",
         "x@a.sub.example.com", DEF},
        {C_MAPS, 0, "x@deep.a.b.c", "", "error", "5.1.2 deep domain rejected",
         "x@deep.a.b.c", DEF},
        {C_MAPS, 0, "x@a.b.c", "", "discard", "dropped here", "x@a.b.c", DEF},
        {C_MAPS, 0, "x@b.c", "", "smtp", "[star.example]:25", "x@b.c", DEF},
        {C_MAPS, 0, "user+other@plus.example", "", "smtp", "noext.plus",
         "user+other@plus.example", DEF},
        {C_MAPS, 0, "user+ext@plus.example", "", "smtp", "ext.plus",
         "user+ext@plus.example", DEF},
        {C_MAPS, 0, "x@empty.example", "", "smtp", "[null-relay.example]",
         "x@empty.example", DEF},
        {C_MAPS, 0, "local-user@host.example.org", "", "local",
         "host.example.org", "local-user@host.example.org", LOCAL},
        {C_MAPS, 0, "other@host.example.org", "", "smtp", "[star.example]:25",
         "other@host.example.org", LOCAL},
        {C_MAPS, 0, "moved@host.example.org", "", "error",
         "5.1.6 User has moved to new@elsewhere.example",
         "moved@host.example.org", LOCAL},
        {C_MAPS, 0, "gone@localhost", "", "error",
         "5.1.6 User has moved to gone@far.example", "gone@localhost", LOCAL},
        {C_MAPS, 0, "user@", "", UT, UN, "user@", DEF | ERROR},
        {C_MAPS, 0, "u@far.example", "sender@s.example", "smtp",
         "[star.example]:25", "u@far.example", DEF},
        {C_MAPS, 0, "u@relay.example", "SENDER@s.example", "smtp",
         "[star.example]:25", "u@relay.example", DEF},
        {C_MAPS, 0, "x@empty.example", "sender@s.example", "smtp",
         "[sender-relay.example]:26", "x@empty.example", DEF},
        {C_MAPS, 0, "x@empty.example", "x@sdom.example", "special2",
         "[smart.example]", "x@empty.example", DEF},
        {C_MAPS, 1, "x@empty.example", "x@other.example", "smtp",
         "[verify.example]", "x@empty.example", DEF},
        /* Tables that cannot be read: try again later. */
        {C_FAILING, 0, "user@example.com", "", "smtp", "example.com",
         "user@example.com", DEF | FAIL},
        {C_FAILING, 0, "user", "", "local", "host.example.org",
         "user@host.example.org", LOCAL | FAIL},
        {C_MYDEST_FAILING, 0, "user@example.com", "", UT, UN, UR, FAIL},
    };
    struct tr_reply reply;

    tr_reply_init(&reply);
    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        unit_capture_start();
        tr_resolve(config(cases[i].config), cases[i].verify, cases[i].sender,
                   cases[i].in, &reply);
        unit_capture_stop();
        check_resolve(cases + i, &reply);
    }
    /* A failing table says so. */
    unit_capture_start();
    tr_resolve(config(C_FAILING), 0, "", "user@example.com", &reply);
    unit_capture_stop();
    UNIT_CHECK_WARNING("failing table", "transport_maps lookup failure");
    tr_reply_free(&reply);
}

/* Any reply has one class bit, or a failure with none. */
static void check_shape(const char *in, const struct tr_reply *r)
{
    int cls = r->flags & RESOLVE_CLASS_MASK;

    if ((r->flags & FAIL) && cls == 0)
        return;
    UNIT_CHECK_INT(in, cls != 0 && (cls & (cls - 1)) == 0, 1);
    UNIT_CHECK_INT(in, buf_len(r->recipient) > 0, 1);
    UNIT_CHECK_INT(in, strchr(buf_str(r->recipient), '@') != NULL, 1);
}

static void test_malformed(void)
{
    static const char *fixed[] = {
        "\"",    "\"\"\"", "(",        ")",
        "<",     ">",      "[",        "]",
        "\\",    "@@@",    "!!!",      "%%%",
        ":",     "@:",     "<@>",      "a\"b@c",
        "\"a@b", "a@\"b",  "((a)@b",   "a@[b",
        "a@b]",  "\t",     "@a,@b:",   "x!",
        "!x",    "@\"\"",  "\x01\x02", "\xff\xfe@\xfd",
    };
    struct tr_reply reply;
    struct buf *out = buf_alloc(100);
    size_t len = 5000;
    char *text = mem_alloc(len + 1);
    unsigned seed = 12345;

    tr_reply_init(&reply);
    unit_capture_start();
    for (size_t i = 0; i < UNIT_COUNT(fixed); i++) {
        CU_ASSERT_EQUAL(tr_rewrite(config(C_DEFAULT), "local", fixed[i], out),
                        0);
        tr_resolve(config(C_DEFAULT), 0, "", fixed[i], &reply);
        check_shape(fixed[i], &reply);
    }
    /* Very long: a local part, a domain of many labels, many "@". */
    memset(text, 'x', len);
    text[len] = 0;
    tr_resolve(config(C_DEFAULT), 0, "", text, &reply);
    UNIT_CHECK_INT("long local part", reply.flags, LOCAL);
    for (size_t i = 0; i < len; i++)
        text[i] = i == 1 ? '@' : i % 2 ? '.' : 'a';
    tr_resolve(config(C_DEFAULT), 0, "", text, &reply);
    UNIT_CHECK_INT("long domain", reply.flags, DEF | ERROR);
    memset(text, '@', len);
    tr_resolve(config(C_DEFAULT), 0, "", text, &reply);
    check_shape("many @", &reply);
    CU_ASSERT_EQUAL(tr_rewrite(config(C_DEFAULT), "local", text, out), 0);
    /* NUL-free garbage, reproducibly. */
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(rand_r(&seed) % 40) + 1;

        for (size_t i = 0; i < n; i++)
            text[i] = (char)(rand_r(&seed) % 255 + 1);
        text[n] = 0;
        CU_ASSERT_EQUAL(tr_rewrite(config(C_DEFAULT), "remote", text, out), 0);
        tr_resolve(config(round % 2 ? C_MAPS : C_DEFAULT), round % 3 == 0,
                   "x@y", text, &reply);
        check_shape(text, &reply);
    }
    unit_capture_stop();
    mem_free(text);
    buf_free(out);
    tr_reply_free(&reply);
}

static void test_syntax(void)
{
    static const struct {
        const char *name;
        int want;
    } hosts[] = {
        {"example.com", 1},
        {"a.123", 1},
        {"1a.2", 1},
        {"_", 1},
        {"b\xc3\xbc"
         "cher.example",
         1},
        {"123", 0},
        {"1.2.3.4", 0},
        {"-a.com", 0},
        {"a-.com", 0},
        {"a..b", 0},
        {".a", 0},
        {"a.", 0},
        {"a b", 0},
        {"a*b", 0},
        {"\x80", 0},
        {"", 0},
    };
    static const struct {
        const char *literal;
        int want;
    } literals[] = {
        {"[192.0.2.1]", 1},
        {"[01.2.3.4]", 1},
        {"[1.2.3.256]", 0},
        {"[1.2.3]", 0},
        {"[IPv6:::1]", 1},
        {"[ipv6:1:2:3:4:5:6:1.2.3.4]", 1},
        {"[ipv6:1::2::3]", 0},
        {"[::1]", 0},
        {"[]", 0},
        {"192.0.2.1", 0},
    };
    char name[300];

    memset(name, 'a', 63);
    strcpy(name + 63, ".example");
    UNIT_CHECK_INT("63-byte label", tr_valid_hostname(name), 1);
    memset(name, 'a', 64);
    strcpy(name + 64, ".example");
    UNIT_CHECK_INT("64-byte label", tr_valid_hostname(name), 0);
    for (size_t i = 0; i < UNIT_COUNT(hosts); i++)
        UNIT_CHECK_INT(hosts[i].name, tr_valid_hostname(hosts[i].name),
                       hosts[i].want);
    for (size_t i = 0; i < UNIT_COUNT(literals); i++)
        UNIT_CHECK_INT(literals[i].literal,
                       tr_valid_literal(literals[i].literal), literals[i].want);
}

static void test_cleanup(void)
{
    if (!loaded)
        return;
    for (int i = 0; i < C_COUNT; i++) {
        tr_config_free(cfgs + i);
        conf_free(confs[i]);
    }
    loaded = 0;
}

static const struct unit_case rewrite_cases[] = {
    {"rewrite table", test_rewrite_table},
    {"resolve table", test_resolve_table},
    {"malformed addresses", test_malformed},
    {"host name and literal syntax", test_syntax},
    {"free the configurations", test_cleanup},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"trivial-rewrite", rewrite_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
