/*
 * fuzz_attr - libFuzzer target: the attribute protocol (attr_scan(),
 * attr_scan_table())
 *
 * What it feeds where: the input is what a peer sends over an internal
 * protocol connection. It is written into one end of a UNIX-domain
 * socketpair, that end is closed (end of input after the data), and the
 * other end is read as a stream of attribute lists, as a daemon reads
 * request after request:
 *  1. attr_scan() asking for typed attributes, int "status", long
 *     "offset", string "sender", data (base64) "time" and a group (hash),
 *     list after list; the flags cycle through none, strict (missing and
 *     extra), missing and more, so that lists are read in every mode;
 *  2. attr_scan_table(), list after list, over a second socketpair with
 *     the same input; each table read is printed back with attr_print()
 *     as a group (ATTR_SEND_HASH) to a memory-backed file and scanned
 *     again with attr_scan(ATTR_RECV_HASH): the same pairs must come
 *     back in the same order;
 *  3. attr_scan_table() again with a small limit (attr_set_limit(16)) on
 *     names and values, which is then set back to the default.
 *
 * Each pass stops at the first -1 (end of input or malformed list), and
 * after as many lists as the input has bytes (every list read takes a
 * byte at least). Everything is freed and closed before the next input;
 * attr.c's scratch buffers are static and stay reachable.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "buf.h"
#include "fuzz_input.h"
#include "stream.h"

static const int fuzz_flags[] = {
    ATTR_FLAG_NONE,
    ATTR_FLAG_STRICT,
    ATTR_FLAG_MISSING,
    ATTR_FLAG_MORE,
};

#define FUZZ_NFLAGS (sizeof(fuzz_flags) / sizeof(fuzz_flags[0]))

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_input_init("fuzz_attr");
    return 0;
}

static void fuzz_scan_typed(const uint8_t *data, size_t size)
{
    struct stream *sp = stream_fdopen(fuzz_input_socket(data, size), 1);
    struct attr_table *table = attr_table_create();
    struct buf *sender = buf_alloc(64);
    struct buf *time = buf_alloc(64);
    int status;
    long offset;
    int ret;

    for (size_t n = 0; n <= size; n++) {
        ret = attr_scan(
            sp, fuzz_flags[n % FUZZ_NFLAGS], ATTR_RECV_INT("status", &status),
            ATTR_RECV_LONG("offset", &offset), ATTR_RECV_STR("sender", sender),
            ATTR_RECV_DATA("time", time), ATTR_RECV_HASH(table), ATTR_END);
        FUZZ_CHECK(ret >= -1 && ret <= 5);
        FUZZ_CHECK(table->count <= ATTR_COUNT_LIMIT);
        if (ret < 0)
            break;
        attr_table_reset(table);
    }
    attr_table_free(table);
    buf_free(sender);
    buf_free(time);
    stream_close(sp);
}

/* Print table as a group, scan it back, compare. */
static void fuzz_round_trip(const struct attr_table *table)
{
    struct stream *sp = stream_fdopen(fuzz_input_memfd("", 0), 1);
    struct attr_table *again = attr_table_create();

    /* attr_print() takes a non-const table; it only reads it. */
    FUZZ_CHECK(attr_print(sp, ATTR_FLAG_NONE,
                          ATTR_SEND_HASH((struct attr_table *)table),
                          ATTR_END) == 0);
    FUZZ_CHECK(stream_seek(sp, 0, SEEK_SET) == 0);
    FUZZ_CHECK(
        attr_scan(sp, ATTR_FLAG_STRICT, ATTR_RECV_HASH(again), ATTR_END) == 1);
    FUZZ_CHECK(again->count == table->count);
    for (size_t i = 0; i < table->count; i++) {
        FUZZ_CHECK(strcmp(again->names[i], table->names[i]) == 0);
        FUZZ_CHECK(strcmp(again->values[i], table->values[i]) == 0);
    }
    attr_table_free(again);
    stream_close(sp);
}

static void fuzz_scan_tables(const uint8_t *data, size_t size, int check)
{
    struct stream *sp = stream_fdopen(fuzz_input_socket(data, size), 1);
    struct attr_table *table = attr_table_create();
    int ret;

    for (size_t n = 0; n <= size; n++) {
        ret = attr_scan_table(sp, ATTR_FLAG_NONE, table);
        FUZZ_CHECK(ret >= -1 && (ret < 0 || (size_t)ret <= size));
        FUZZ_CHECK(table->count <= ATTR_COUNT_LIMIT);
        if (ret < 0)
            break;
        if (check)
            fuzz_round_trip(table);
        attr_table_reset(table);
    }
    attr_table_free(table);
    stream_close(sp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_scan_typed(data, size);
    fuzz_scan_tables(data, size, 1);
    attr_set_limit(16);
    fuzz_scan_tables(data, size, 0);
    attr_set_limit(ATTR_LIMIT_DEFAULT);
    return 0;
}
