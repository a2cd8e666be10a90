/*
 * test_queue_id - unit tests for queue IDs (util/queue_id.c).
 *
 * The expected IDs were worked out by hand from the definitions (spec
 * b.8); each long-ID case shows its digits. Long-ID alphabet values:
 * 0-9 = 0..9, B=10 C=11 D=12 F=13 G=14 H=15 J=16 K=17 L=18 M=19 N=20
 * P=21 Q=22 R=23 S=24 T=25 V=26 W=27 X=28 Y=29 Z=30, b=31 c=32 d=33
 * f=34 g=35 h=36 j=37 k=38 l=39 m=40 n=41 p=42 q=43 r=44 s=45 t=46
 * v=47 w=48 x=49 y=50 z=51.
 */
#include <limits.h>
#include <string.h>

#include "buf.h"
#include "queue_id.h"
#include "unit.h"

static void test_queue_id_short(void)
{
    static const struct {
        const char *name;
        long usec;
        unsigned long inode;
        const char *want;
    } cases[] = {
        {"all zero", 0, 0, "000000"},
        {"usec padded to five", 1, 0x1, "000011"},
        {"largest usec", 999999, 0x75BCD15, "F423F75BCD15"},
        {"hex letters upper case", 0xABCDE, 0xFEDCBA, "ABCDEFEDCBA"},
        {"largest inode", 0x12345, ULONG_MAX, "12345FFFFFFFFFFFFFFFF"},
    };
    struct buf *id = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        buf_set_str(id, "junk to be replaced");
        queue_id_short(id, cases[i].usec, cases[i].inode);
        CU_ASSERT_STRING_EQUAL(buf_str(id), cases[i].want);
        CU_ASSERT_EQUAL(buf_len(id), strlen(cases[i].want));
        CU_ASSERT(queue_id_valid(buf_str(id)));
        CU_ASSERT(!queue_id_is_long(buf_str(id)));
    }
    buf_free(id);
}

static const struct {
    const char *name;
    time_t sec;
    long usec;
    unsigned long inode;
    const char *want;
} long_cases[] = {
    /* 0 -> "000000" + "0000" + 'z' + "0" */
    {"all zero", 0, 0, 0, "0000000000z0"},
    /* 52 = 1*52 + 0 -> "000010"; 51 -> "000z"; 50 -> "y" */
    {"z inside the usec digits", 52, 51, 50, "000010000zzy"},
    /*
     * 1700000000 = 4*52^5 + 24*52^4 + 26*52^3 + 18*52^2 + 11*52 + 36
     *   -> 4 S V L C h;
     * 999999 = 7*52^3 + 5*52^2 + 42*52 + 39 -> 7 5 p l;
     * 123456789 = 18*51^4 + 12*51^3 + 35*51^2 + 6*51 + 18 -> L D g 6 L
     */
    {"realistic", 1700000000, 999999, 123456789, "4SVLCh75plzLDg6L"},
    /*
     * 1234567890 = 3*52^5 + 12*52^4 + 44*52^3 + 10*52^2 + 50*52 + 10
     *   -> 3 D r B y B;
     * 123456 = 45*52^2 + 34*52 + 8 -> 0 s f 8;
     * 0x1A2B3C = 1715004 = 12*51^3 + 47*51^2 + 18*51 + 27 -> D v L W
     */
    {"usec needs padding", 1234567890, 123456, 0x1A2B3C, "3DrByB0sf8zDvLW"},
    /* 52^6 = 19770609664 needs seven digits; 1 -> "0001"; 51 -> "10" */
    {"seconds beyond six digits", (time_t)19770609664LL, 1, 51,
     "10000000001z10"},
};

static void test_queue_id_long(void)
{
    struct buf *id = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(long_cases); i++) {
        buf_set_str(id, "junk to be replaced");
        queue_id_long(id, long_cases[i].sec, long_cases[i].usec,
                      long_cases[i].inode);
        CU_ASSERT_STRING_EQUAL(buf_str(id), long_cases[i].want);
        CU_ASSERT(queue_id_valid(buf_str(id)));
        CU_ASSERT(queue_id_is_long(buf_str(id)));
    }
    buf_free(id);
}

static void test_queue_id_decode_round_trip(void)
{
    struct buf *id = buf_alloc(0);
    time_t sec;
    long usec;
    unsigned long inode;
    unsigned long seed = 12345;

    for (size_t i = 0; i < UNIT_COUNT(long_cases); i++) {
        CU_ASSERT_EQUAL_FATAL(
            queue_id_decode_long(long_cases[i].want, &sec, &usec, &inode), 0);
        CU_ASSERT_EQUAL(sec, long_cases[i].sec);
        CU_ASSERT_EQUAL(usec, long_cases[i].usec);
        CU_ASSERT_EQUAL(inode, long_cases[i].inode);
    }
    /* Pseudo-random values, including the extremes of each field. */
    for (int i = 0; i < 2000; i++) {
        time_t want_sec;
        long want_usec;
        unsigned long want_inode;

        seed = seed * 6364136223846793005UL + 1442695040888963407UL;
        want_sec = (time_t)(seed >> 30);
        want_usec = (long)((seed >> 7) % 1000000);
        want_inode = seed ^ (seed >> 17);
        if (i == 0)
            want_inode = ULONG_MAX;
        if (i == 1)
            want_usec = 999999;
        queue_id_long(id, want_sec, want_usec, want_inode);
        CU_ASSERT_EQUAL_FATAL(
            queue_id_decode_long(buf_str(id), &sec, &usec, &inode), 0);
        CU_ASSERT_EQUAL(sec, want_sec);
        CU_ASSERT_EQUAL(usec, want_usec);
        CU_ASSERT_EQUAL(inode, want_inode);
    }
    buf_free(id);
}

static void test_queue_id_decode_malformed(void)
{
    static const struct {
        const char *name;
        const char *id;
    } cases[] = {
        {"empty", ""},
        {"short ID", "3F2A1B7C4D"},
        {"separator too early", "000000000z1"},
        {"no inode digits", "0000000000z"},
        {"vowel in usec", "000000000az1"},
        {"usec out of range", "000000zzzzz1"},
        {"bad character", "0000000000z1!"},
        {"vowel in inode", "0000000000za"},
        {"seconds overflow", "zzzzzzzzzzzzzzzzzzzzzz0000z1"},
        {"inode overflow", "0000000000zyyyyyyyyyyyyyyyyyyyyy"},
    };
    time_t sec = 7;
    long usec = 7;
    unsigned long inode = 7;

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        CU_ASSERT_EQUAL(queue_id_decode_long(cases[i].id, &sec, &usec, &inode),
                        -1);
        /* Outputs are left alone on failure. */
        CU_ASSERT_EQUAL(sec, 7);
        CU_ASSERT_EQUAL(usec, 7);
        CU_ASSERT_EQUAL(inode, 7);
    }
}

static void test_queue_id_valid(void)
{
    static const struct {
        const char *name;
        const char *id;
        int want;
    } cases[] = {
        {"short", "3F2A1B7C4D", 1},
        {"long", "4SVLCh75plzLDg6L", 1},
        {"flush name with underscore", "example_com", 1},
        {"one character", "A", 1},
        {"empty", "", 0},
        {"dot", "3F2A.1B", 0},
        {"slash", "../etc", 0},
        {"space", "3F2A 1B", 0},
        {"dash", "a-b", 0},
        {"high bit", "3F2A\xc3\xa9", 0},
    };
    char id[QUEUE_ID_MAX_LEN + 2];

    for (size_t i = 0; i < UNIT_COUNT(cases); i++)
        CU_ASSERT_EQUAL(queue_id_valid(cases[i].id), cases[i].want);

    /* Boundary: exactly QUEUE_ID_MAX_LEN is fine, one more is not. */
    memset(id, 'A', QUEUE_ID_MAX_LEN);
    id[QUEUE_ID_MAX_LEN] = 0;
    CU_ASSERT_EQUAL(queue_id_valid(id), 1);
    id[QUEUE_ID_MAX_LEN] = 'A';
    id[QUEUE_ID_MAX_LEN + 1] = 0;
    CU_ASSERT_EQUAL(queue_id_valid(id), 0);
}

static void test_queue_id_is_long(void)
{
    static const struct {
        const char *name;
        const char *id;
        int want;
    } cases[] = {
        {"short", "3F2A1B7C4D", 0},
        {"long", "4SVLCh75plzLDg6L", 1},
        {"z at index 9", "000000000z1", 0},
        {"z at index 10", "0000000000z1", 1},
        {"last z decides", "000010000zzy", 1},
        {"early z only", "zbc", 0},
        {"empty", "", 0},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++)
        CU_ASSERT_EQUAL(queue_id_is_long(cases[i].id), cases[i].want);
}

static void test_queue_id_hash_key(void)
{
    static const struct {
        const char *name;
        const char *id;
        const char *want;
    } cases[] = {
        {"short: the ID itself", "3F2A1B7C4D", "3F2A1B7C4D"},
        /* "75pl" = 999999 = 0xF423F */
        {"long", "4SVLCh75plzLDg6L", "F423F"},
        /* "0sf8" = 123456 = 0x1E240 */
        {"long, small usec", "3DrByB0sf8zDvLW", "1E240"},
        /* "000z" = 51 = 0x33 */
        {"long, z in usec", "000010000zzy", "00033"},
        {"long, zero usec", "0000000000z0", "00000"},
        {"flush name", "example_com", "example_com"},
        /* Not made by us: fall back to the name. */
        {"usec digits not decodable", "000000aaaaz1", "000000aaaaz1"},
        {"usec out of range", "000000zzzzz1", "000000zzzzz1"},
    };
    struct buf *key = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        buf_set_str(key, "junk");
        queue_id_hash_key(cases[i].id, key);
        CU_ASSERT_STRING_EQUAL(buf_str(key), cases[i].want);
    }
    buf_free(key);
}

/* Both forms made at the same moment hash to the same directory. */
static void test_queue_id_hash_key_same_for_both_forms(void)
{
    struct buf *short_id = buf_alloc(0);
    struct buf *long_id = buf_alloc(0);
    struct buf *short_key = buf_alloc(0);
    struct buf *long_key = buf_alloc(0);
    static const long usecs[] = {0, 1, 51, 52, 65535, 500000, 999999};

    for (size_t i = 0; i < UNIT_COUNT(usecs); i++) {
        queue_id_short(short_id, usecs[i], 0x4D2);
        queue_id_long(long_id, 1700000000, usecs[i], 0x4D2);
        queue_id_hash_key(buf_str(short_id), short_key);
        queue_id_hash_key(buf_str(long_id), long_key);
        CU_ASSERT_EQUAL(strncmp(buf_str(short_key), buf_str(long_key), 5), 0);
    }
    buf_free(short_id);
    buf_free(long_id);
    buf_free(short_key);
    buf_free(long_key);
}

static const struct unit_case queue_id_cases[] = {
    {"short IDs", test_queue_id_short},
    {"long IDs", test_queue_id_long},
    {"long ID decode round trip", test_queue_id_decode_round_trip},
    {"long ID decode rejects malformed", test_queue_id_decode_malformed},
    {"validation", test_queue_id_valid},
    {"long ID detection", test_queue_id_is_long},
    {"hash keys", test_queue_id_hash_key},
    {"hash keys agree across forms",
     test_queue_id_hash_key_same_for_both_forms},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"queue_id", queue_id_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
