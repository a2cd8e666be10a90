/*
 * fuzz_mastercf - libFuzzer target: master.cf (mastercf_read_text())
 *
 * What it feeds where: the input is the text of a master.cf, parsed with
 * mastercf_read_text() as master does at start and on reload.
 *
 * Checks besides the sanitizers: on failure the result is empty and err
 * says why; on success every entry has a service name, a known type
 * (mastercf_type_name()), y/n flags, wakeup and maxproc within
 * MASTERCF_NUMBER_MAX, a NULL-terminated argv of argc >= 1 words and
 * overrides with valid names; no two entries share a service name and
 * type, so mastercf_find() returns each entry itself. Everything is
 * freed before the next input.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "fuzz_input.h"
#include "mastercf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_input_init("fuzz_mastercf");
    return 0;
}

static void fuzz_check_entry(const struct mastercf *cf,
                             const struct mastercf_entry *ent)
{
    FUZZ_CHECK(ent->service != NULL && ent->service[0] != 0);
    FUZZ_CHECK(strcmp(mastercf_type_name(ent->type_code), ent->type) == 0);
    FUZZ_CHECK(ent->private_sock == 0 || ent->private_sock == 1);
    FUZZ_CHECK(ent->unpriv == 0 || ent->unpriv == 1);
    FUZZ_CHECK(ent->chroot == 0 || ent->chroot == 1);
    FUZZ_CHECK(!(ent->type_code == MASTERCF_INET && ent->private_sock));
    FUZZ_CHECK(ent->wakeup >= 0 && ent->wakeup <= MASTERCF_NUMBER_MAX);
    FUZZ_CHECK(ent->maxproc >= 0 && ent->maxproc <= MASTERCF_NUMBER_MAX);
    FUZZ_CHECK(ent->argc >= 1 && ent->argv[ent->argc] == NULL);
    for (size_t i = 0; i < ent->argc; i++)
        FUZZ_CHECK(ent->argv[i] != NULL);
    for (size_t i = 0; i < ent->noverrides; i++)
        FUZZ_CHECK(conf_name_valid(ent->overrides[i].name,
                                   strlen(ent->overrides[i].name)) &&
                   ent->overrides[i].value != NULL);
    FUZZ_CHECK(mastercf_find(cf, ent->service, ent->type) == ent);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf *err = buf_alloc(64);
    struct mastercf cf;

    if (mastercf_read_text("master.cf", (const char *)data, size, &cf, err) <
        0) {
        FUZZ_CHECK(cf.count == 0 && cf.entries == NULL);
        FUZZ_CHECK(buf_len(err) > 0);
    } else {
        FUZZ_CHECK(cf.count <= MASTERCF_SERVICES_MAX);
        for (size_t i = 0; i < cf.count; i++)
            fuzz_check_entry(&cf, cf.entries + i);
    }
    mastercf_free(&cf);
    buf_free(err);
    return 0;
}
