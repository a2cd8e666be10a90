/*
 * fuzz_cleanup - libFuzzer target: what the cleanup daemon parses
 *
 * What it feeds where:
 *  1. the input as one header line: mail_header_name_len(),
 *     mail_header_value_offset(), mail_header_info();
 *  2. the input (as a C string) as an address list: addr_list_parse()
 *     with no token limit and with a small one, every address's internal
 *     form, addr_list_rewrite() qualifying every address without a
 *     domain, addr_list_text() with and without folding; the display
 *     name quoting of the input;
 *  3. the input as the record stream a client sends cleanup (after the
 *     flags): every record through cleanup_record() into a queue file on
 *     a memfd, then cleanup_finish().
 *
 * Checks besides the sanitizers: a header name and value offset lie
 * inside the line; every address's token range lies inside the token
 * list; a phrase that "needs no quotes" is written unchanged; the text
 * of a list with no addresses rewritten is parsed to as many addresses
 * when the input was a well-formed list of bare addresses; an accepted
 * message's queue file ends with E, starts with a size record, and its
 * records read back; a rejected one has status bits set.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "addr_list.h"
#include "cleanup.h"
#include "fuzz_input.h"
#include "mail_header.h"
#include "mem.h"
#include "record.h"
#include "stream.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_input_init("fuzz_cleanup");
    cleanup_config.hopcount_limit = 50;
    cleanup_config.message_size_limit = 1 << 20;
    cleanup_config.line_length_limit = 64;
    cleanup_config.header_size_limit = 512;
    cleanup_config.header_address_token_limit = 256;
    cleanup_config.delay_warning_time = 3600;
    cleanup_config.enable_original_recipient = 1;
    cleanup_config.duplicate_filter_limit = 100;
    cleanup_config.append_at_myorigin = 1;
    cleanup_config.append_dot_mydomain = 1;
    cleanup_config.myhostname = "fuzz.example";
    cleanup_config.myorigin = "fuzz.example";
    cleanup_config.mydomain = "example";
    cleanup_config.mail_name = "Postern";
    return 0;
}

static void fuzz_header_line(const uint8_t *data, size_t size)
{
    const char *line = (const char *)data;
    size_t name_len = mail_header_name_len(line, size);
    size_t off = mail_header_value_offset(line, size);

    FUZZ_CHECK(name_len <= size && off <= size);
    FUZZ_CHECK(name_len == 0 ? off == size : off > name_len);
    if (mail_header_info(line, size) != NULL)
        FUZZ_CHECK(name_len > 0);
}

static int fuzz_qualify(const char *internal, struct buf *out, void *context)
{
    (void)context;
    if (*internal == 0 || strchr(internal, '@') != NULL)
        return 0;
    buf_printf(out, "%s@fuzz.example", internal);
    return 1;
}

static void fuzz_address_list(const char *text)
{
    static const size_t limits[] = {0, 8};
    struct addr_list list;
    struct buf *out = buf_alloc(64);

    addr_list_init(&list);
    for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
        size_t n = addr_list_parse(&list, text, limits[l]);

        if (limits[l] > 0)
            FUZZ_CHECK(list.toks.count <= limits[l]);
        for (size_t i = 0; i < n; i++) {
            FUZZ_CHECK(list.items[i].from <= list.items[i].to &&
                       list.items[i].to <= list.toks.count);
            addr_list_internal(&list, i, out);
        }
        addr_list_rewrite(&list, fuzz_qualify, NULL);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(list.items[i].to <= list.toks.count);
        buf_reset(out);
        addr_list_text(&list, 4, 78, out);
        buf_reset(out);
        addr_list_text(&list, 0, 0, out);
    }
    buf_reset(out);
    addr_phrase_append(text, strlen(text), out);
    if (!addr_phrase_needs_quote(text, strlen(text)))
        FUZZ_CHECK(strcmp(buf_str(out), text) == 0);
    addr_list_free(&list);
    buf_free(out);
}

static void fuzz_message(const uint8_t *data, size_t size)
{
    struct stream *src = stream_fdopen(fuzz_input_memfd(data, size), 1);
    struct stream *dst = stream_fdopen(fuzz_input_memfd("", 0), 1);
    struct cleanup_state *state =
        cleanup_state_create("FUZZ1", dst, 0, (time_t)1700000000);
    struct buf *rec = buf_alloc(64);
    int status;
    int type;
    int first;

    while ((type = rec_get_raw(src, rec, 1 << 20)) >= 0)
        if (cleanup_record(state, type, buf_str(rec), buf_len(rec)))
            break;
    if (state->segment == CLEANUP_SEG_DONE) {
        status = cleanup_finish(state);
        if (status == 0) {
            FUZZ_CHECK(stream_seek(dst, 0, SEEK_SET) == 0);
            first = rec_get(dst, rec, 0);
            FUZZ_CHECK(first == REC_TYPE_SIZE);
            while ((type = rec_get(dst, rec, 0)) >= 0 && type != REC_TYPE_END)
                /* read on */;
            FUZZ_CHECK(type == REC_TYPE_END);
        } else {
            FUZZ_CHECK(state->errs != 0);
        }
    }
    cleanup_state_free(state);
    buf_free(rec);
    stream_close(src);
    stream_close(dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_input_string(data, size);

    fuzz_header_line(data, size);
    fuzz_address_list(text);
    fuzz_message(data, size);
    mem_free(text);
    return 0;
}
