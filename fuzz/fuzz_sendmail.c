/*
 * fuzz_sendmail - libFuzzer target: what sendmail reads from users
 *
 * What it feeds where: the first input byte picks the settings of
 * sendmail_copy() (bit 0: a lone "." ends the message; bit 1: -t, parse
 * the headers for recipients; bits 2-3: sendmail_fix_line_endings
 * always, strict or never; bits 4-7: line_length_limit 1..16, small so
 * that long-line splitting is exercised; header_size_limit 64). The rest
 * is the message on standard input (a memfd), copied to a second memfd
 * as content records, which are then read back: only N and L records,
 * none longer than the limit, at most one more record than the input
 * has bytes. The same bytes are also parsed as an address list
 * (sendmail_addr_parse(), as for command-line recipients and -f), and
 * each -t recipient is parsed again as a list, which must not fail.
 * Everything is freed and closed before the next input.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "fuzz_input.h"
#include "record.h"
#include "sendmail.h"
#include "stream.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_input_init("fuzz_sendmail");
    return 0;
}

static void fuzz_copy(const uint8_t *data, size_t size)
{
    static const enum sendmail_fix fixes[] = {
        SENDMAIL_FIX_ALWAYS, SENDMAIL_FIX_STRICT, SENDMAIL_FIX_NEVER,
        SENDMAIL_FIX_ALWAYS};
    struct sendmail_copy copy;
    struct stream *in;
    struct stream *out;
    struct buf *rec = buf_alloc(64);
    const struct conf_list *rcpts;
    size_t count = 0;
    int type;

    sendmail_copy_init(&copy);
    copy.dots = data[0] & 1;
    copy.extract = (data[0] >> 1) & 1;
    copy.fix = fixes[(data[0] >> 2) & 3];
    copy.line_limit = (size_t)(data[0] >> 4) + 1;
    copy.header_limit = 64;
    in = stream_fdopen(fuzz_input_memfd(data + 1, size - 1), 1);
    out = stream_fdopen(fuzz_input_memfd("", 0), 1);
    FUZZ_CHECK(sendmail_copy(in, out, &copy) == 0);
    FUZZ_CHECK(stream_flush(out) == 0);
    FUZZ_CHECK(stream_seek(out, 0, SEEK_SET) == 0);
    while ((type = rec_get_raw(out, rec, 0)) >= 0) {
        FUZZ_CHECK(type == REC_TYPE_NORM || type == REC_TYPE_CONT);
        FUZZ_CHECK(buf_len(rec) <= copy.line_limit);
        FUZZ_CHECK(++count <= size);
    }
    FUZZ_CHECK(type == REC_TYPE_EOF);
    rcpts = sendmail_copy_recipients(&copy);
    FUZZ_CHECK(copy.extract || rcpts->count == 0);
    for (size_t i = 0; i < rcpts->count; i++) {
        struct conf_list again;

        conf_list_init(&again);
        sendmail_addr_parse(rcpts->items[i], strlen(rcpts->items[i]), &again);
        conf_list_free(&again);
    }
    sendmail_copy_free(&copy);
    stream_close(in);
    stream_close(out);
    buf_free(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct conf_list list;

    if (size == 0)
        return 0;
    fuzz_copy(data, size);
    conf_list_init(&list);
    sendmail_addr_parse((const char *)data, size, &list);
    /*
     * An address is made of the input's bytes, plus at most one space
     * between two words and a ']' closing a domain literal: never more
     * than twice the input.
     */
    for (size_t i = 0; i < list.count; i++)
        FUZZ_CHECK(strlen(list.items[i]) <= 2 * size + 1);
    conf_list_free(&list);
    return 0;
}
