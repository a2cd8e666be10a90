/*
 * fuzz_base64 - libFuzzer target: base64_decode()
 *
 * What it feeds where: the input bytes, as they are, are the text handed
 * to base64_decode(), appended to a buffer that already holds a few
 * bytes (base64_decode() appends, and leaves the buffer as it was when
 * the text is malformed). The input is also encoded with base64_encode()
 * and decoded again.
 *
 * Checks besides the sanitizers: a failed decode leaves the buffer as it
 * was; a successful one appends 3 bytes per 4 characters less one per
 * '=', and its result encodes to text that decodes to the same bytes;
 * base64_encode() of the input has BASE64_ENCODED_LEN() characters and
 * decodes back to the input. Everything is freed before the next input.
 */
#include <stdint.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "fuzz_input.h"

/* What the output buffer holds before the decoded bytes. */
#define FUZZ_PREFIX     "prefix"
#define FUZZ_PREFIX_LEN (sizeof(FUZZ_PREFIX) - 1)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_input_init("fuzz_base64");
    return 0;
}

/* Encode len bytes, decode the text, compare; scratch buffers given. */
static void fuzz_round_trip(const void *bytes, size_t len, struct buf *text,
                            struct buf *back)
{
    buf_reset(text);
    buf_reset(back);
    base64_encode(text, bytes, len);
    FUZZ_CHECK(buf_len(text) == BASE64_ENCODED_LEN(len));
    FUZZ_CHECK(strlen(buf_str(text)) == buf_len(text));
    FUZZ_CHECK(base64_decode(back, buf_str(text), buf_len(text)) == 0);
    FUZZ_CHECK(buf_len(back) == len && memcmp(buf_str(back), bytes, len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf *out = buf_alloc(64);
    struct buf *text = buf_alloc(64);
    struct buf *back = buf_alloc(64);
    const char *in = (const char *)data;

    buf_set_str(out, FUZZ_PREFIX);
    if (base64_decode(out, in, size) < 0) {
        FUZZ_CHECK(buf_len(out) == FUZZ_PREFIX_LEN &&
                   memcmp(buf_str(out), FUZZ_PREFIX, FUZZ_PREFIX_LEN) == 0);
    } else {
        size_t pad = 0;

        FUZZ_CHECK(size % 4 == 0);
        if (size > 0 && in[size - 1] == '=')
            pad++;
        if (size > 1 && in[size - 2] == '=')
            pad++;
        FUZZ_CHECK(memcmp(buf_str(out), FUZZ_PREFIX, FUZZ_PREFIX_LEN) == 0);
        FUZZ_CHECK(buf_len(out) == FUZZ_PREFIX_LEN + size / 4 * 3 - pad);
        FUZZ_CHECK(out->data[out->len] == 0);
        fuzz_round_trip(buf_str(out) + FUZZ_PREFIX_LEN,
                        buf_len(out) - FUZZ_PREFIX_LEN, text, back);
    }
    fuzz_round_trip(data, size, text, back);
    buf_free(out);
    buf_free(text);
    buf_free(back);
    return 0;
}
