/*
 * test_base64 - unit tests for base64 encoding and strict decoding.
 *
 * Table-driven: the RFC 4648 section 10 test vectors and binary values
 * both ways, malformed encodings that must be refused, and a round trip
 * of every length 0..64 over all byte values.
 */
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "unit.h"

static const struct {
    const char *name;
    const char *plain;
    size_t plain_len;
    const char *encoded;
} base64_vectors[] = {
    {"empty", "", 0, ""},
    {"one byte", "f", 1, "Zg=="},
    {"two bytes", "fo", 2, "Zm8="},
    {"three bytes", "foo", 3, "Zm9v"},
    {"four bytes", "foob", 4, "Zm9vYg=="},
    {"five bytes", "fooba", 5, "Zm9vYmE="},
    {"six bytes", "foobar", 6, "Zm9vYmFy"},
    {"NUL and high bytes", "\0\xff\xfe", 3, "AP/+"},
    {"all ones", "\xff\xff\xff\xff", 4, "/////w=="},
    {"NUL only", "\0", 1, "AA=="},
};

static void test_base64_encode_vectors(void)
{
    struct buf *bp = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(base64_vectors); i++) {
        buf_set_str(bp, "prefix:");
        base64_encode(bp, base64_vectors[i].plain, base64_vectors[i].plain_len);
        CU_ASSERT_STRING_EQUAL(buf_str(bp) + 7, base64_vectors[i].encoded);
        CU_ASSERT_EQUAL(buf_len(bp), 7 + strlen(base64_vectors[i].encoded));
        CU_ASSERT_EQUAL(buf_len(bp) - 7,
                        BASE64_ENCODED_LEN(base64_vectors[i].plain_len));
    }
    buf_free(bp);
}

static void test_base64_decode_vectors(void)
{
    struct buf *bp = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(base64_vectors); i++) {
        buf_set_str(bp, "x");
        CU_ASSERT_EQUAL(base64_decode(bp, base64_vectors[i].encoded,
                                      strlen(base64_vectors[i].encoded)),
                        0);
        CU_ASSERT_EQUAL(buf_len(bp), 1 + base64_vectors[i].plain_len);
        CU_ASSERT(memcmp(buf_str(bp) + 1, base64_vectors[i].plain,
                         base64_vectors[i].plain_len) == 0);
        CU_ASSERT_EQUAL(buf_str(bp)[buf_len(bp)], 0);
    }
    buf_free(bp);
}

static void test_base64_decode_malformed(void)
{
    static const struct {
        const char *name;
        const char *text;
    } cases[] = {
        {"length 1", "Z"},
        {"length 3", "Zg="},
        {"length 5", "Zm9vY"},
        {"pad then data", "Zg=a"},
        {"three pads", "Z==="},
        {"four pads", "===="},
        {"pad in an early group", "Zg==Zm9v"},
        {"space", "Zm9 "},
        {"newline", "Zm9\n"},
        {"url-safe minus", "Zm-v"},
        {"url-safe underscore", "Zm_v"},
        {"at sign", "Z@=="},
        {"high byte", "Zm9\xc3"},
        {"pad first", "=Zm9"},
    };
    struct buf *bp = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        buf_set_str(bp, "keep");
        if (base64_decode(bp, cases[i].text, strlen(cases[i].text)) != -1)
            CU_FAIL(cases[i].name);
        /* A failed decode leaves the buffer as it was. */
        CU_ASSERT_STRING_EQUAL(buf_str(bp), "keep");
        CU_ASSERT_EQUAL(buf_len(bp), 4);
    }
    /* A NUL inside the counted text is not an alphabet character. */
    CU_ASSERT_EQUAL(base64_decode(bp, "Zm\0v", 4), -1);
    buf_free(bp);
}

static void test_base64_roundtrip(void)
{
    unsigned char data[64];
    struct buf *enc = buf_alloc(0);
    struct buf *dec = buf_alloc(0);

    for (size_t len = 0; len <= sizeof(data); len++) {
        for (size_t i = 0; i < len; i++)
            data[i] = (unsigned char)(len * 37 + i * 101);
        buf_reset(enc);
        buf_reset(dec);
        base64_encode(enc, data, len);
        CU_ASSERT_EQUAL(buf_len(enc) % 4, 0);
        CU_ASSERT_EQUAL(base64_decode(dec, buf_str(enc), buf_len(enc)), 0);
        CU_ASSERT_EQUAL(buf_len(dec), len);
        CU_ASSERT(memcmp(buf_str(dec), data, len) == 0);
    }
    /* Every byte value. */
    buf_reset(dec);
    for (int i = 0; i < 256; i++)
        buf_append_char(dec, i);
    buf_reset(enc);
    base64_encode(enc, buf_str(dec), 256);
    buf_reset(dec);
    CU_ASSERT_EQUAL(base64_decode(dec, buf_str(enc), buf_len(enc)), 0);
    CU_ASSERT_EQUAL(buf_len(dec), 256);
    for (int i = 0; i < 256 && i < (int)buf_len(dec); i++)
        CU_ASSERT_EQUAL((unsigned char)buf_str(dec)[i], i);
    buf_free(enc);
    buf_free(dec);
}

static const struct unit_case base64_cases[] = {
    {"encode test vectors", test_base64_encode_vectors},
    {"decode test vectors", test_base64_decode_vectors},
    {"decode rejects malformed input", test_base64_decode_malformed},
    {"round trip of all lengths and bytes", test_base64_roundtrip},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"base64", base64_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
