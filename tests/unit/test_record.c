/*
 * test_record - unit tests for queue file records and rec_type.
 *
 * Records are written to and read from files in unit_tmpdir(): round
 * trips at every length-byte boundary with the exact header bytes,
 * malformed files written byte by byte (truncated length or data, a
 * length of five bytes, an oversized record followed by a good one),
 * pointer records forward and back, padding, a pointer loop against the
 * jump limit, the in-place type rewrite, and a silent socket (timeout).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "mem.h"
#include "rec_type.h"
#include "record.h"
#include "stream.h"
#include "unit.h"

/* A file holding exactly these bytes, open for reading. */
static struct stream *open_bytes(const char *data, size_t len)
{
    struct stream *sp = unit_stream_tmpfile("bytes", NULL);

    stream_write(sp, data, len);
    CU_ASSERT_FATAL(stream_seek(sp, 0, SEEK_SET) == 0);
    return sp;
}

/* --- encoding --- */

static void test_record_roundtrip_lengths(void)
{
    static const struct {
        size_t len;
        size_t head_len;
        unsigned char head[5]; /* type byte and length bytes */
    } cases[] = {
        {0, 2, {'N', 0x00}},
        {1, 2, {'N', 0x01}},
        {127, 2, {'N', 0x7f}},
        {128, 3, {'N', 0x80, 0x01}},
        {200, 3, {'N', 0xc8, 0x01}},
        {16383, 3, {'N', 0xff, 0x7f}},
        {16384, 4, {'N', 0x80, 0x80, 0x01}},
        {2097151, 4, {'N', 0xff, 0xff, 0x7f}},
        {2097152, 5, {'N', 0x80, 0x80, 0x80, 0x01}},
    };
    struct buf *data = buf_alloc(0);
    struct buf *bp = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        char *path;
        struct stream *sp = unit_stream_tmpfile("lengths", &path);
        char *file;
        size_t file_len;

        buf_reset(data);
        for (size_t j = 0; j < cases[i].len; j++)
            buf_append_char(data, (int)(j * 7 + i));
        CU_ASSERT_EQUAL(
            rec_put(sp, REC_TYPE_NORM, buf_str(data), buf_len(data)),
            REC_TYPE_NORM);
        CU_ASSERT_EQUAL(stream_flush(sp), 0);

        /* The exact bytes on disk. */
        file = unit_read_file(path, &file_len);
        CU_ASSERT_FATAL(file != NULL);
        CU_ASSERT_EQUAL(file_len, cases[i].head_len + cases[i].len);
        CU_ASSERT(memcmp(file, cases[i].head, cases[i].head_len) == 0);
        CU_ASSERT(
            memcmp(file + cases[i].head_len, buf_str(data), cases[i].len) == 0);
        mem_free(file);

        /* And back. */
        CU_ASSERT_EQUAL(stream_seek(sp, 0, SEEK_SET), 0);
        CU_ASSERT_EQUAL(rec_get_raw(sp, bp, 0), REC_TYPE_NORM);
        CU_ASSERT_EQUAL(buf_len(bp), cases[i].len);
        CU_ASSERT(memcmp(buf_str(bp), buf_str(data), cases[i].len) == 0);
        CU_ASSERT_EQUAL(buf_str(bp)[buf_len(bp)], 0);
        CU_ASSERT_EQUAL(rec_get_raw(sp, bp, 0), REC_TYPE_EOF);
        stream_close(sp);
        mem_free(path);
    }
    buf_free(data);
    buf_free(bp);
}

/* Several records in one file: golden bytes, NUL bytes in a payload. */
static void test_record_golden_file(void)
{
    static const char golden[] = "C\x05"
                                 "12345"
                                 "S\x00"
                                 "R\x03"
                                 "a@b"
                                 "N\x05"
                                 "a\0b\0c"
                                 "A\x0f"
                                 "create_time=123"
                                 "E\x00";
    char *path;
    struct stream *sp = unit_stream_tmpfile("golden", &path);
    struct buf *bp = buf_alloc(0);
    char *file;
    size_t file_len;

    CU_ASSERT_EQUAL(rec_fprintf(sp, REC_TYPE_SIZE, "%d", 12345), REC_TYPE_SIZE);
    CU_ASSERT_EQUAL(rec_puts(sp, REC_TYPE_FROM, ""), REC_TYPE_FROM);
    CU_ASSERT_EQUAL(rec_puts(sp, REC_TYPE_RCPT, "a@b"), REC_TYPE_RCPT);
    CU_ASSERT_EQUAL(rec_put(sp, REC_TYPE_NORM, "a\0b\0c", 5), REC_TYPE_NORM);
    CU_ASSERT_EQUAL(
        rec_fprintf(sp, REC_TYPE_ATTR, "%s=%ld", REC_ATTR_CTIME, 123L),
        REC_TYPE_ATTR);
    CU_ASSERT_EQUAL(rec_put(sp, REC_TYPE_END, NULL, 0), REC_TYPE_END);
    CU_ASSERT_EQUAL(stream_flush(sp), 0);
    file = unit_read_file(path, &file_len);
    CU_ASSERT_EQUAL(file_len, UNIT_LEN(golden));
    CU_ASSERT(file && memcmp(file, golden, UNIT_LEN(golden)) == 0);
    mem_free(file);

    CU_ASSERT_EQUAL(stream_seek(sp, 0, SEEK_SET), 0);
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_SIZE);
    CU_ASSERT(buf_equal_str(bp, "12345"));
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_FROM);
    CU_ASSERT_EQUAL(buf_len(bp), 0);
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_RCPT);
    CU_ASSERT(buf_equal_str(bp, "a@b"));
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_NORM);
    CU_ASSERT_EQUAL(buf_len(bp), 5);
    CU_ASSERT(memcmp(buf_str(bp), "a\0b\0c", 5) == 0);
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_ATTR);
    CU_ASSERT(buf_equal_str(bp, "create_time=123"));
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_END);
    /* A clean end of file, and it stays that way. */
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_EOF);
    CU_ASSERT_EQUAL(rec_get_raw(sp, bp, 0), REC_TYPE_EOF);
    stream_close(sp);
    mem_free(path);
    buf_free(bp);
}

/* The fixed-width payloads have the lengths rec_type.h promises. */
static void test_record_fixed_width(void)
{
    struct stream *sp = unit_stream_tmpfile("fixed", NULL);
    struct buf *bp = buf_alloc(0);

    rec_fprintf(sp, REC_TYPE_SIZE, REC_TYPE_SIZE_FORMAT, 0L, 0L, 0L, 0L, 0L,
                0L);
    rec_fprintf(sp, REC_TYPE_SIZE, REC_TYPE_SIZE_FORMAT, 1234L, 567L, 2L, 1L,
                1200L, 0L);
    rec_fprintf(sp, REC_TYPE_PTR, REC_TYPE_PTR_FORMAT, 0L);
    rec_fprintf(sp, REC_TYPE_WARN, REC_TYPE_WARN_FORMAT, 1700000000L);
    rec_fprintf(sp, REC_TYPE_WARN, REC_TYPE_WARN_FORMAT, REC_TYPE_WARN_SENT);
    CU_ASSERT_EQUAL(stream_seek(sp, 0, SEEK_SET), 0);
    CU_ASSERT_EQUAL(rec_get_raw(sp, bp, 0), REC_TYPE_SIZE);
    CU_ASSERT_EQUAL(buf_len(bp), REC_TYPE_SIZE_LEN);
    CU_ASSERT_EQUAL(REC_TYPE_SIZE_LEN, 95);
    CU_ASSERT_EQUAL(rec_get_raw(sp, bp, 0), REC_TYPE_SIZE);
    CU_ASSERT_EQUAL(buf_len(bp), REC_TYPE_SIZE_LEN);
    CU_ASSERT(buf_equal_str(bp, "           1234             567               "
                                "2               1            1200           "
                                "    0"));
    CU_ASSERT_EQUAL(rec_get_raw(sp, bp, 0), REC_TYPE_PTR);
    CU_ASSERT_EQUAL(buf_len(bp), REC_TYPE_PTR_LEN);
    CU_ASSERT(buf_equal_str(bp, "              0"));
    CU_ASSERT_EQUAL(rec_get_raw(sp, bp, 0), REC_TYPE_WARN);
    CU_ASSERT_EQUAL(buf_len(bp), REC_TYPE_WARN_LEN);
    CU_ASSERT_EQUAL(rec_get_raw(sp, bp, 0), REC_TYPE_WARN);
    CU_ASSERT(buf_equal_str(bp, "             -1"));
    stream_close(sp);
    buf_free(bp);
}

/* --- malformed input --- */

static void test_record_malformed(void)
{
    static const struct {
        const char *name;
        const char *bytes;
        size_t len;
        size_t maxlen;
        int want;
        const char *warning; /* substring, or "" for none */
    } cases[] = {
        {"empty file", UNIT_BYTES(""), 0, REC_TYPE_EOF, ""},
        {"type byte only", UNIT_BYTES("N"), 0, REC_TYPE_ERROR,
         "premature end of file in the length"},
        {"truncated length", UNIT_BYTES("N\x80"), 0, REC_TYPE_ERROR,
         "premature end of file in the length"},
        {"truncated data",
         UNIT_BYTES("N\x05"
                    "ab"),
         0, REC_TYPE_ERROR, "after 2 of 5 payload bytes"},
        {"no data at all", UNIT_BYTES("N\x05"), 0, REC_TYPE_ERROR,
         "after 0 of 5 payload bytes"},
        {"five length bytes", UNIT_BYTES("N\x80\x80\x80\x80\x01"), 0,
         REC_TYPE_ERROR, "length needs more than 4 bytes"},
        {"five length bytes, small value", UNIT_BYTES("N\x80\x80\x80\x80\x00"),
         0, REC_TYPE_ERROR, "length needs more than 4 bytes"},
        {"largest length, no data", UNIT_BYTES("N\xff\xff\xff\x7f"), 0,
         REC_TYPE_ERROR, "after 0 of 268435455 payload bytes"},
        {"over maxlen",
         UNIT_BYTES("N\x06"
                    "abcdef"),
         5, REC_TYPE_ERROR, "length 6 exceeds limit 5 -- skipped"},
        {"at maxlen",
         UNIT_BYTES("N\x05"
                    "abcde"),
         5, REC_TYPE_NORM, ""},
        {"over maxlen and truncated",
         UNIT_BYTES("N\x06"
                    "abc"),
         5, REC_TYPE_ERROR, "exceeds limit"},
        {"unprintable type", UNIT_BYTES("\x01\x01"), 0, REC_TYPE_ERROR,
         "record type ? (1, unknown_record_type)"},
    };
    struct buf *bp = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct stream *sp = open_bytes(cases[i].bytes, cases[i].len);
        int got;

        unit_capture_start();
        got = rec_get_raw(sp, bp, cases[i].maxlen);
        unit_capture_stop();
        UNIT_CHECK_INT(cases[i].name, got, cases[i].want);
        UNIT_CHECK_WARNING(cases[i].name, cases[i].warning);
        /* rec_get() sees the same. */
        CU_ASSERT_EQUAL(stream_seek(sp, 0, SEEK_SET), 0);
        unit_capture_start();
        CU_ASSERT_EQUAL(rec_get(sp, bp, cases[i].maxlen), cases[i].want);
        unit_capture_stop();
        stream_close(sp);
    }
    buf_free(bp);
}

/* An oversized record is skipped; the next record is still readable. */
static void test_record_oversized_skip(void)
{
    static const char bytes[] = "R\x03"
                                "a@b"
                                "N\x0a"
                                "0123456789"
                                "N\x02"
                                "ok"
                                "E\x00";
    struct stream *sp = open_bytes(bytes, UNIT_LEN(bytes));
    struct buf *bp = buf_alloc(0);

    unit_capture_start();
    CU_ASSERT_EQUAL(rec_get(sp, bp, 5), REC_TYPE_RCPT);
    CU_ASSERT(buf_equal_str(bp, "a@b"));
    CU_ASSERT_EQUAL(rec_get(sp, bp, 5), REC_TYPE_ERROR);
    CU_ASSERT_EQUAL(buf_len(bp), 0);
    CU_ASSERT_EQUAL(unit_warning_count(), 1);
    CU_ASSERT(strstr(unit_last_warning(), "record type N (78, regular_text)") !=
              NULL);
    CU_ASSERT_EQUAL(rec_get(sp, bp, 5), REC_TYPE_NORM);
    CU_ASSERT(buf_equal_str(bp, "ok"));
    CU_ASSERT_EQUAL(rec_get(sp, bp, 5), REC_TYPE_END);
    CU_ASSERT_EQUAL(rec_get(sp, bp, 5), REC_TYPE_EOF);
    unit_capture_stop();
    stream_close(sp);
    buf_free(bp);
}

/* --- pointers and padding --- */

/*
 * The shape cleanup leaves after an edit: the main flow has a pointer to
 * the heap after E, the heap holds the new record and a pointer back.
 *
 *	N one, p ->heap, N replaced, N three, w pad, p 0, E, | N two, p ->three
 *
 * rec_get reads one, two, three, E; rec_get_raw sees every record.
 */
static void test_record_pointers(void)
{
    struct stream *sp = unit_stream_tmpfile("pointers", NULL);
    struct buf *bp = buf_alloc(0);
    off_t ptr_at;
    off_t three_at;
    off_t heap_at;
    static const int raw_types[] = {
        REC_TYPE_NORM, REC_TYPE_PTR, REC_TYPE_NORM, REC_TYPE_NORM,
        REC_TYPE_DTXT, REC_TYPE_PTR, REC_TYPE_END,  REC_TYPE_NORM,
        REC_TYPE_PTR,  REC_TYPE_EOF,
    };

    rec_puts(sp, REC_TYPE_NORM, "one");
    ptr_at = stream_tell(sp);
    rec_fprintf(sp, REC_TYPE_PTR, REC_TYPE_PTR_FORMAT, REC_TYPE_PTR_DUMMY);
    rec_puts(sp, REC_TYPE_NORM, "replaced");
    three_at = stream_tell(sp);
    rec_puts(sp, REC_TYPE_NORM, "three");
    rec_puts(sp, REC_TYPE_DTXT, "padding");
    rec_fprintf(sp, REC_TYPE_PTR, REC_TYPE_PTR_FORMAT, REC_TYPE_PTR_DUMMY);
    rec_put(sp, REC_TYPE_END, "", 0);
    heap_at = stream_tell(sp);
    rec_puts(sp, REC_TYPE_NORM, "two");
    rec_fprintf(sp, REC_TYPE_PTR, REC_TYPE_PTR_FORMAT, (long)three_at);
    /* Link the heap in: rewrite the dummy in place, same length. */
    CU_ASSERT_EQUAL(stream_seek(sp, ptr_at, SEEK_SET), 0);
    rec_fprintf(sp, REC_TYPE_PTR, REC_TYPE_PTR_FORMAT, (long)heap_at);
    CU_ASSERT_EQUAL(stream_flush(sp), 0);
    CU_ASSERT_EQUAL(stream_tell(sp), ptr_at + 2 + REC_TYPE_PTR_LEN);

    CU_ASSERT_EQUAL(stream_seek(sp, 0, SEEK_SET), 0);
    unit_capture_start();
    CU_ASSERT_EQUAL(rec_get(sp, bp, 100), REC_TYPE_NORM);
    CU_ASSERT(buf_equal_str(bp, "one"));
    CU_ASSERT_EQUAL(rec_get(sp, bp, 100), REC_TYPE_NORM);
    CU_ASSERT(buf_equal_str(bp, "two"));
    CU_ASSERT_EQUAL(rec_get(sp, bp, 100), REC_TYPE_NORM);
    CU_ASSERT(buf_equal_str(bp, "three"));
    CU_ASSERT_EQUAL(rec_get(sp, bp, 100), REC_TYPE_END);
    CU_ASSERT_EQUAL(unit_warning_count(), 0);
    unit_capture_stop();

    CU_ASSERT_EQUAL(stream_seek(sp, 0, SEEK_SET), 0);
    for (size_t i = 0; i < UNIT_COUNT(raw_types); i++)
        CU_ASSERT_EQUAL(rec_get_raw(sp, bp, 100), raw_types[i]);
    stream_close(sp);
    buf_free(bp);
}

/* A pointer at itself: the loop guard stops it. */
static void test_record_pointer_self_loop(void)
{
    struct stream *sp = unit_stream_tmpfile("selfloop", NULL);
    struct buf *bp = buf_alloc(0);

    /* Offset 0 would be a dummy: the loop starts after a first record. */
    rec_puts(sp, REC_TYPE_NORM, "x");
    rec_fprintf(sp, REC_TYPE_PTR, REC_TYPE_PTR_FORMAT, 3L);
    CU_ASSERT_EQUAL(stream_seek(sp, 0, SEEK_SET), 0);
    unit_capture_start();
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_NORM);
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_ERROR);
    CU_ASSERT(strstr(unit_last_warning(), "more than 10000 backward jumps") !=
              NULL);
    unit_capture_stop();
    stream_close(sp);
    buf_free(bp);
}

/*
 * A loop through a record: the record comes back once per backward jump,
 * REC_JUMP_LIMIT times after the first, then the reader gives up.
 */
static void test_record_pointer_loop_limit(void)
{
    struct stream *sp = unit_stream_tmpfile("loop", NULL);
    struct buf *bp = buf_alloc(0);
    int seen = 0;
    int type;

    rec_puts(sp, REC_TYPE_SIZE, "c");
    rec_puts(sp, REC_TYPE_NORM, "again");
    rec_fprintf(sp, REC_TYPE_PTR, REC_TYPE_PTR_FORMAT, 3L);
    CU_ASSERT_EQUAL(stream_seek(sp, 0, SEEK_SET), 0);
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_SIZE);
    unit_capture_start();
    while ((type = rec_get(sp, bp, 0)) == REC_TYPE_NORM)
        seen++;
    unit_capture_stop();
    CU_ASSERT_EQUAL(type, REC_TYPE_ERROR);
    CU_ASSERT_EQUAL(seen, REC_JUMP_LIMIT + 1);
    CU_ASSERT_EQUAL(unit_warning_count(), 1);

    /* Another file starts a new count. */
    stream_close(sp);
    sp = unit_stream_tmpfile("loop2", NULL);
    rec_puts(sp, REC_TYPE_SIZE, "c");
    rec_puts(sp, REC_TYPE_NORM, "again");
    rec_fprintf(sp, REC_TYPE_PTR, REC_TYPE_PTR_FORMAT, 3L);
    CU_ASSERT_EQUAL(stream_seek(sp, 0, SEEK_SET), 0);
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_SIZE);
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_NORM);
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_NORM);
    stream_close(sp);
    buf_free(bp);
}

static void test_record_bad_pointers(void)
{
    static const struct {
        const char *name;
        const char *payload;
        int want;
    } cases[] = {
        {"letters", "abc", REC_TYPE_ERROR},
        {"empty", "", REC_TYPE_ERROR},
        {"negative", "             -5", REC_TYPE_ERROR},
        {"trailing junk", "             7x", REC_TYPE_ERROR},
        {"trailing space", "7 ", REC_TYPE_ERROR},
        {"overflow", "99999999999999999999999", REC_TYPE_ERROR},
        {"dummy", "              0", REC_TYPE_END},
        {"dummy, no padding", "0", REC_TYPE_END},
    };
    struct buf *bp = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        struct stream *sp = unit_stream_tmpfile("badptr", NULL);
        int got;

        rec_puts(sp, REC_TYPE_PTR, cases[i].payload);
        rec_put(sp, REC_TYPE_END, "", 0);
        CU_ASSERT_EQUAL(stream_seek(sp, 0, SEEK_SET), 0);
        unit_capture_start();
        got = rec_get(sp, bp, 0);
        unit_capture_stop();
        if (got != cases[i].want)
            CU_FAIL(cases[i].name);
        CU_ASSERT_EQUAL(unit_warning_count(),
                        cases[i].want == REC_TYPE_ERROR ? 1 : 0);
        stream_close(sp);
    }
    buf_free(bp);
}

/* A pointer on a pipe cannot be followed; a dummy can be skipped. */
static void test_record_pointer_on_pipe(void)
{
    int fds[2];
    struct stream *in;
    struct stream *out;
    struct buf *bp = buf_alloc(0);

    CU_ASSERT_FATAL(pipe(fds) == 0);
    in = stream_fdopen(fds[0], 1);
    out = stream_fdopen(fds[1], 1);
    rec_fprintf(out, REC_TYPE_PTR, REC_TYPE_PTR_FORMAT, 0L);
    rec_puts(out, REC_TYPE_NORM, "x");
    rec_fprintf(out, REC_TYPE_PTR, REC_TYPE_PTR_FORMAT, 5L);
    CU_ASSERT_EQUAL(stream_close(out), 0);
    unit_capture_start();
    CU_ASSERT_EQUAL(rec_get(in, bp, 0), REC_TYPE_NORM);
    CU_ASSERT_EQUAL(rec_get(in, bp, 0), REC_TYPE_ERROR);
    CU_ASSERT(strstr(unit_last_warning(), "cannot seek") != NULL);
    unit_capture_stop();
    stream_close(in);
    buf_free(bp);
}

/* --- in-place update --- */

static void test_record_put_type(void)
{
    char *path;
    struct stream *sp = unit_stream_tmpfile("puttype", &path);
    struct buf *bp = buf_alloc(0);
    off_t second;
    char *file;
    size_t file_len;

    rec_puts(sp, REC_TYPE_RCPT, "a@x");
    second = stream_tell(sp);
    rec_puts(sp, REC_TYPE_RCPT, "b@x");
    rec_puts(sp, REC_TYPE_RCPT, "c@x");
    rec_put(sp, REC_TYPE_END, "", 0);
    CU_ASSERT_EQUAL(rec_put_type(sp, REC_TYPE_DONE, second), 0);
    CU_ASSERT_EQUAL(stream_tell(sp), second + 1);

    file = unit_read_file(path, &file_len);
    CU_ASSERT_EQUAL(file_len, 17);
    CU_ASSERT(file && memcmp(file,
                             "R\x03"
                             "a@xD\x03"
                             "b@xR\x03"
                             "c@xE\x00",
                             17) == 0);
    mem_free(file);

    CU_ASSERT_EQUAL(stream_seek(sp, 0, SEEK_SET), 0);
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_RCPT);
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_DONE);
    CU_ASSERT(buf_equal_str(bp, "b@x"));
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_RCPT);
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_END);

    /* A second agent opens the same file and kills the first record. */
    {
        int fd = open(path, O_RDWR);
        struct stream *other;

        CU_ASSERT_FATAL(fd >= 0);
        other = stream_fdopen(fd, 1);
        CU_ASSERT_EQUAL(rec_put_type(other, REC_TYPE_KILL, 0), 0);
        CU_ASSERT_EQUAL(stream_close(other), 0);
    }
    CU_ASSERT_EQUAL(stream_seek(sp, 0, SEEK_SET), 0);
    CU_ASSERT_EQUAL(rec_get(sp, bp, 0), REC_TYPE_KILL);
    stream_close(sp);
    mem_free(path);
    buf_free(bp);
}

/* --- streams that fail --- */

static void test_record_timeout(void)
{
    static const struct {
        const char *name;
        const char *bytes;
        size_t len;
    } cases[] = {
        {"silent before the type", "", 0},
        {"silent in the length", "N\x80", 2},
        {"silent in the data",
         "N\x05"
         "ab",
         4},
    };
    struct buf *bp = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        int peer;
        struct stream *sp =
            unit_stream_silent(cases[i].bytes, cases[i].len, &peer);

        unit_capture_start();
        if (rec_get_raw(sp, bp, 0) != REC_TYPE_ERROR)
            CU_FAIL(cases[i].name);
        CU_ASSERT(strstr(unit_last_warning(), "time limit exceeded") != NULL);
        unit_capture_stop();
        stream_close(sp);
        close(peer);
    }
    buf_free(bp);
}

static void test_record_write_error(void)
{
    struct stream *sp = unit_stream_dead_peer();
    char big[20000];

    memset(big, 'x', sizeof(big));
    /* Larger than the stream buffer: the write reaches the dead peer. */
    CU_ASSERT_EQUAL(rec_put(sp, REC_TYPE_NORM, big, sizeof(big)),
                    REC_TYPE_ERROR);
    CU_ASSERT_EQUAL(rec_puts(sp, REC_TYPE_NORM, "x"), REC_TYPE_ERROR);
    stream_close(sp);
}

/* --- attribute records and names --- */

static void test_record_attr_split(void)
{
    static const struct {
        const char *payload;
        size_t len;
        int want;
        const char *name;
        const char *value;
    } cases[] = {
        {UNIT_BYTES("create_time=1700000000"), 0, "create_time", "1700000000"},
        {UNIT_BYTES("name="), 0, "name", ""},
        {UNIT_BYTES("a=b=c"), 0, "a", "b=c"},
        {UNIT_BYTES("=value"), -1, NULL, NULL},
        {UNIT_BYTES("novalue"), -1, NULL, NULL},
        {UNIT_BYTES(""), -1, NULL, NULL},
        {UNIT_BYTES("na\0me=v"), -1, NULL, NULL},
    };
    struct buf *bp = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        const char *name = NULL;
        const char *value = NULL;

        buf_set(bp, cases[i].payload, cases[i].len);
        CU_ASSERT_EQUAL(rec_attr_split(bp, &name, &value), cases[i].want);
        if (cases[i].want == 0) {
            CU_ASSERT_STRING_EQUAL(name, cases[i].name);
            CU_ASSERT_STRING_EQUAL(value, cases[i].value);
        }
    }
    buf_free(bp);
}

static void test_record_attr_map(void)
{
    static const struct {
        const char *name;
        int type;
    } cases[] = {
        {"create_time", REC_TYPE_CTIME},
        {"dsn_orig_rcpt", REC_TYPE_DSN_ORCPT},
        {"notify_flags", REC_TYPE_DSN_NOTIFY},
        {"envelope_id", REC_TYPE_DSN_ENVID},
        {"ret_flags", REC_TYPE_DSN_RET},
        {"rewrite_context", 0},
        {"Create_Time", 0},
        {"", 0},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++)
        CU_ASSERT_EQUAL(rec_attr_map(cases[i].name), cases[i].type);
    CU_ASSERT_EQUAL(rec_attr_map("create_time"), 'c');
    CU_ASSERT_EQUAL(rec_attr_map("dsn_orig_rcpt"), 'o');
    CU_ASSERT_EQUAL(rec_attr_map("notify_flags"), 'n');
    CU_ASSERT_EQUAL(rec_attr_map("envelope_id"), 'i');
    CU_ASSERT_EQUAL(rec_attr_map("ret_flags"), '<');
}

static void test_record_type_names(void)
{
    static const struct {
        int type;
        const char *name;
    } cases[] = {
        {REC_TYPE_EOF, "end-of-file"},
        {REC_TYPE_ERROR, "error"},
        {'C', "message_size"},
        {'T', "message_arrival_time"},
        {'S', "sender"},
        {'R', "recipient"},
        {'D', "done_recipient"},
        {'L', "content_filter"},
        {'N', "regular_text"},
        {'p', "pointer_record"},
        {'w', "padding"},
        {'E', "message_end"},
        {'Z', "unknown_record_type"},
        {0, "unknown_record_type"},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++)
        CU_ASSERT_STRING_EQUAL(rec_type_name(cases[i].type), cases[i].name);
}

/* The segment letter sets say what rec_type.h says they say. */
static void test_record_segments(void)
{
    CU_ASSERT_EQUAL(REC_TYPE_ENVELOPE[0], REC_TYPE_MESG);
    CU_ASSERT_EQUAL(REC_TYPE_CONTENT[0], REC_TYPE_XTRA);
    CU_ASSERT_EQUAL(REC_TYPE_EXTRACT[0], REC_TYPE_END);
    CU_ASSERT_STRING_EQUAL(REC_TYPE_ENVELOPE, "MCTcFILSDRO/WVA>K<ion");
    CU_ASSERT_STRING_EQUAL(REC_TYPE_CONTENT, "XLNw");
    CU_ASSERT_STRING_EQUAL(REC_TYPE_EXTRACT, "EDRO/PreAFIL>Kon");
    CU_ASSERT_STRING_EQUAL(REC_TYPE_ENV_RECIPIENT, "MDRO/Kon");
    CU_ASSERT_STRING_EQUAL(REC_TYPE_EXT_RECIPIENT, "EDRO/Kon");
    CU_ASSERT_STRING_EQUAL(REC_TYPE_POST_ENVELOPE, "MCFSRVAin");
    CU_ASSERT_STRING_EQUAL(REC_TYPE_POST_CONTENT, "XLN");
    CU_ASSERT_STRING_EQUAL(REC_TYPE_POST_EXTRACT, "EAR");
    CU_ASSERT(strchr(REC_TYPE_CONTENT, REC_TYPE_PTR) == NULL);
    CU_ASSERT_EQUAL(REC_TYPE_FILT, REC_TYPE_CONT);
}

static const struct unit_case encoding_cases[] = {
    {"round trip at length-byte boundaries", test_record_roundtrip_lengths},
    {"golden file, NUL bytes, clean EOF", test_record_golden_file},
    {"fixed-width payloads", test_record_fixed_width},
    {NULL, NULL},
};

static const struct unit_case malformed_cases[] = {
    {"malformed records", test_record_malformed},
    {"oversized record skipped", test_record_oversized_skip},
    {"timeouts", test_record_timeout},
    {"write error", test_record_write_error},
    {NULL, NULL},
};

static const struct unit_case pointer_cases[] = {
    {"pointers forward and back, padding", test_record_pointers},
    {"pointer to itself", test_record_pointer_self_loop},
    {"loop guard limit", test_record_pointer_loop_limit},
    {"bad pointer payloads", test_record_bad_pointers},
    {"pointer on a pipe", test_record_pointer_on_pipe},
    {"rec_put_type in place", test_record_put_type},
    {NULL, NULL},
};

static const struct unit_case type_cases[] = {
    {"rec_attr_split", test_record_attr_split},
    {"rec_attr_map", test_record_attr_map},
    {"rec_type_name", test_record_type_names},
    {"segment letters", test_record_segments},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"record encoding", encoding_cases},
    {"record malformed", malformed_cases},
    {"record pointers", pointer_cases},
    {"rec_type", type_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
