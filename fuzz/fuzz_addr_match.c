/*
 * fuzz_addr_match - libFuzzer target: client match lists
 *
 * The input, as a C string, is a pattern list (qmqpd_authorized_clients
 * syntax, addr_match.c). It is parsed with and without parent-domain
 * matching and each list is matched against a fixed set of clients
 * (IPv4, IPv6, names, "unknown", no name, an unparsable address); the
 * result must be one of YES, NO, ERROR and must not depend on how often
 * it is asked. Files named in the input are read if they exist (the
 * corpus names none); inputs that name anything under /dev, /proc or
 * /sys are skipped, since a device such as /dev/stdin could block.
 * Everything is freed before the next input.
 */
#include <stdint.h>
#include <string.h>

#include "addr_match.h"
#include "fuzz_input.h"
#include "mem.h"

static const struct {
    const char *name;
    const char *addr;
} fuzz_clients[] = {
    {"localhost", "127.0.0.1"},
    {"mail.example.com", "192.0.2.77"},
    {"unknown", "2001:db8::1"},
    {NULL, "::1"},
    {"", "unknown"},
    {"a.b.c.example", NULL},
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_input_init("fuzz_addr_match");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *patterns = fuzz_input_string(data, size);

    if (strstr(patterns, "/dev") || strstr(patterns, "/proc") ||
        strstr(patterns, "/sys")) {
        mem_free(patterns);
        return 0;
    }
    for (int flags = 0; flags <= ADDR_MATCH_FLAG_PARENT; flags++) {
        struct addr_match_list *list =
            addr_match_list_create("fuzz", patterns, flags);

        for (size_t i = 0; i < sizeof(fuzz_clients) / sizeof(*fuzz_clients);
             i++) {
            int first =
                addr_match(list, fuzz_clients[i].name, fuzz_clients[i].addr);

            FUZZ_CHECK(first == ADDR_MATCH_YES || first == ADDR_MATCH_NO ||
                       first == ADDR_MATCH_ERROR);
            FUZZ_CHECK(addr_match(list, fuzz_clients[i].name,
                                  fuzz_clients[i].addr) == first);
        }
        (void)addr_match_list_changed(list);
        (void)addr_match_list_empty(list);
        addr_match_list_free(list);
    }
    mem_free(patterns);
    return 0;
}
