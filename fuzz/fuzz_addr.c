/*
 * fuzz_addr - libFuzzer target: RFC 822 address tokens and trivial-rewrite
 *
 * What it feeds where: the input, as a C string (up to its first NUL),
 * goes to
 *  1. addr_toks_scan(), then the internal and external forms of the
 *     tokens, addr_quote_local() and addr_unquote();
 *  2. the rewrite rules in both contexts (tr_rewrite()) and the resolver
 *     (tr_resolve(), resolve and verify) under a configuration with every
 *     rewriting option on, relay and virtual domains and inline tables,
 *     with the input as recipient and as sender.
 *
 * Checks besides the sanitizers: the token list of a non-blank input is
 * not empty; the rewrite contexts are known; every resolve answer has
 * exactly one class bit, or the failure flag and none, and (unless it
 * failed) a recipient with an "@".
 */
#include <stdint.h>
#include <string.h>

#include "addr_token.h"
#include "buf.h"
#include "conf.h"
#include "fuzz_input.h"
#include "mem.h"
#include "rewrite_proto.h"
#include "trivial_rewrite.h"

static const char fuzz_main_cf[] =
    "myhostname = host.example.org\n"
    "inet_interfaces = 127.0.0.1\n"
    "append_dot_mydomain = yes\n"
    "remote_header_rewrite_domain = remote.example\n"
    "virtual_alias_domains = valias.example\n"
    "virtual_mailbox_domains = inline:{ vmbox.example=1 }\n"
    "relay_domains = relay.example\n"
    "relayhost = [smart.example]:587\n"
    "recipient_delimiter = +-\n"
    "transport_maps = inline:{ example.com=smtp:[mx], .example.net=lmtp:, "
    "*=relay: }\n"
    "relocated_maps = inline:{ moved@host.example.org=new@x }\n"
    "sender_dependent_relayhost_maps = inline:{ <>=[null-relay] }\n";

static struct conf *fuzz_conf;
static struct tr_config fuzz_cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct buf *err = buf_alloc(100);

    (void)argc;
    (void)argv;
    fuzz_input_init("fuzz_addr");
    fuzz_conf = conf_create();
    if (conf_read_text(fuzz_conf, "main.cf", fuzz_main_cf,
                       sizeof(fuzz_main_cf) - 1, err) < 0)
        fuzz_input_fail(__FILE__, __LINE__, buf_str(err));
    tr_config_load(fuzz_conf, &fuzz_cfg);
    buf_free(err);
    return 0;
}

static void fuzz_check_reply(const struct tr_reply *reply)
{
    int cls = reply->flags & RESOLVE_CLASS_MASK;

    if (reply->flags & RESOLVE_FLAG_FAIL) {
        FUZZ_CHECK((cls & (cls - 1)) == 0);
        return;
    }
    FUZZ_CHECK(cls != 0 && (cls & (cls - 1)) == 0);
    FUZZ_CHECK(strchr(buf_str(reply->recipient), '@') != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_input_string(data, size);
    struct addr_toks toks;
    struct buf *out = buf_alloc(100);
    struct tr_reply reply;

    addr_toks_init(&toks);
    addr_toks_scan(&toks, text);
    if (text[strspn(text, " \t\r\n\v\f")] != 0)
        FUZZ_CHECK(toks.count > 0);
    addr_toks_internal(&toks, 0, toks.count, out);
    addr_toks_external(&toks, out);
    addr_quote_local(text, out);
    addr_unquote(text, out);
    addr_toks_free(&toks);

    FUZZ_CHECK(tr_rewrite(&fuzz_cfg, "local", text, out) == 0);
    FUZZ_CHECK(tr_rewrite(&fuzz_cfg, "remote", text, out) == 0);
    tr_reply_init(&reply);
    tr_resolve(&fuzz_cfg, 0, "", text, &reply);
    fuzz_check_reply(&reply);
    tr_resolve(&fuzz_cfg, 1, text, "user@example.com", &reply);
    fuzz_check_reply(&reply);
    tr_reply_free(&reply);
    buf_free(out);
    mem_free(text);
    return 0;
}
