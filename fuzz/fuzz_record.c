/*
 * fuzz_record - libFuzzer target: queue file records (rec_get())
 *
 * What it feeds where: the input is the content of a queue file, written
 * to a memory-backed file (memfd: seekable, as pointer records need, and
 * a new inode for each input, so rec_get()'s count of backward jumps
 * starts at zero for each one). It is read twice:
 *  1. rec_get() with maxlen 2048 (line_length_limit's default), record
 *     after record up to the end record 'E', end of file or an error, the
 *     way qmgr and cleanup read a queue file: pointer records are
 *     followed, padding is skipped; every 'A' payload is split with
 *     rec_attr_split() and the name mapped with rec_attr_map(); every
 *     type is named with rec_type_name(). (Past 'E' lies the heap of
 *     edited records, whose last pointer leads back: readers stop at 'E',
 *     and reading on would only loop to REC_JUMP_LIMIT);
 *  2. rec_get_raw() without a limit, and each record read is written
 *     back with rec_put() to a second memfd, which is then read back with
 *     rec_get_raw(): the same types and payloads must come out.
 *
 * A loop bound (FUZZ_RECORDS_MAX) keeps one input's work finite should
 * the reader ever stop making progress; reaching it is itself reported.
 * Everything is freed and closed before the next input.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fuzz_input.h"
#include "mem.h"
#include "record.h"
#include "stream.h"

/* line_length_limit's default, the maxlen qmgr and cleanup pass. */
#define FUZZ_RECORD_MAXLEN 2048

/*
 * Records one input may yield: each takes two bytes at least, and
 * REC_JUMP_LIMIT backward pointer jumps may revisit each byte.
 */
#define FUZZ_RECORDS_MAX(size) ((size) * (REC_JUMP_LIMIT + 2) + 2)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_input_init("fuzz_record");
    return 0;
}

static void fuzz_read_records(const uint8_t *data, size_t size, struct buf *bp)
{
    struct stream *sp = stream_fdopen(fuzz_input_memfd(data, size), 1);
    const char *name;
    const char *value;
    size_t count = 0;
    int type;

    while ((type = rec_get(sp, bp, FUZZ_RECORD_MAXLEN)) >= 0 &&
           type != REC_TYPE_END) {
        FUZZ_CHECK(type <= 0xff && type != REC_TYPE_PTR &&
                   type != REC_TYPE_DTXT);
        FUZZ_CHECK(buf_len(bp) <= FUZZ_RECORD_MAXLEN);
        FUZZ_CHECK(rec_type_name(type) != NULL);
        if (type == REC_TYPE_ATTR && rec_attr_split(bp, &name, &value) == 0) {
            FUZZ_CHECK(*name != 0 && value > name && value <= buf_end(bp));
            (void)rec_attr_map(name);
        }
        FUZZ_CHECK(++count <= FUZZ_RECORDS_MAX(size));
    }
    FUZZ_CHECK(type == REC_TYPE_END || type == REC_TYPE_EOF ||
               type == REC_TYPE_ERROR);
    stream_close(sp);
}

/* Raw records of the input, written back with rec_put and read again. */
static void fuzz_copy_records(const uint8_t *data, size_t size, struct buf *bp,
                              struct buf *again)
{
    struct stream *in = stream_fdopen(fuzz_input_memfd(data, size), 1);
    struct stream *out = stream_fdopen(fuzz_input_memfd("", 0), 1);
    struct buf *payloads = buf_alloc(64);
    struct buf *types = buf_alloc(64);
    size_t offset = 0;
    int type;

    while ((type = rec_get_raw(in, bp, 0)) >= 0) {
        FUZZ_CHECK(rec_put(out, type, buf_str(bp), buf_len(bp)) == type);
        buf_append_char(types, type);
        buf_append(payloads, buf_str(bp), buf_len(bp));
    }
    FUZZ_CHECK(stream_seek(out, 0, SEEK_SET) == 0);
    for (size_t i = 0; i < buf_len(types); i++) {
        type = rec_get_raw(out, again, 0);
        FUZZ_CHECK(type == (unsigned char)types->data[i]);
        FUZZ_CHECK(offset + buf_len(again) <= buf_len(payloads));
        FUZZ_CHECK(memcmp(buf_str(again), payloads->data + offset,
                          buf_len(again)) == 0);
        offset += buf_len(again);
    }
    FUZZ_CHECK(offset == buf_len(payloads));
    FUZZ_CHECK(rec_get_raw(out, again, 0) == REC_TYPE_EOF);
    buf_free(payloads);
    buf_free(types);
    stream_close(in);
    stream_close(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf *bp = buf_alloc(64);
    struct buf *again = buf_alloc(64);

    fuzz_read_records(data, size, bp);
    fuzz_copy_records(data, size, bp, again);
    buf_free(bp);
    buf_free(again);
    return 0;
}
