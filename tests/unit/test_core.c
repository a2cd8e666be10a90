/*
 * test_core - unit tests for the core modules: mem, buf, stream, msg.
 *
 * Table-driven where the module has inputs and outputs; the stream tests
 * run over real pipes, socketpairs and files, including a peer that stays
 * silent (timeout), a peer that goes away (EOF, EPIPE without SIGPIPE)
 * and the longjmp error point.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "mem.h"
#include "msg.h"
#include "stream.h"
#include "unit.h"

/* --- buf --- */

static void test_buf_append_binary(void)
{
    struct buf *bp = buf_alloc(0);
    static const char data[] = {'a', 0, 'b', 0, 0, 'c'};

    buf_append(bp, data, sizeof(data));
    CU_ASSERT_EQUAL(buf_len(bp), sizeof(data));
    CU_ASSERT(memcmp(buf_str(bp), data, sizeof(data)) == 0);
    CU_ASSERT_EQUAL(buf_str(bp)[buf_len(bp)], 0);
    buf_free(bp);
}

static void test_buf_growth(void)
{
    struct buf *bp = buf_alloc(1);

    for (int i = 0; i < 100000; i++)
        buf_append_char(bp, 'a' + i % 26);
    CU_ASSERT_EQUAL(buf_len(bp), 100000);
    CU_ASSERT_EQUAL(buf_str(bp)[99999], 'a' + 99999 % 26);
    CU_ASSERT_EQUAL(buf_str(bp)[100000], 0);
    CU_ASSERT(bp->size > bp->len);
    buf_free(bp);
}

static void test_buf_printf(void)
{
    static const struct {
        const char *name;
        const char *prefix;
        int number;
        const char *want;
    } cases[] = {
        {"empty prefix", "", 7, "n=7"},
        {"short", "x", -1, "xn=-1"},
        {"long", "0123456789012345678901234567890123456789", 42,
         "0123456789012345678901234567890123456789n=42"},
    };
    struct buf *bp = buf_alloc(4);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        buf_set_str(bp, cases[i].prefix);
        buf_append_printf(bp, "n=%d", cases[i].number);
        CU_ASSERT_STRING_EQUAL(buf_str(bp), cases[i].want);
        CU_ASSERT_EQUAL(buf_len(bp), strlen(cases[i].want));
    }
    buf_printf(bp, "%s-%s", "a", "b");
    CU_ASSERT_STRING_EQUAL(buf_str(bp), "a-b");
    buf_free(bp);
}

static void test_buf_truncate_reset(void)
{
    struct buf *bp = buf_alloc(0);

    buf_set_str(bp, "hello world");
    buf_truncate(bp, 5);
    CU_ASSERT(buf_equal_str(bp, "hello"));
    buf_truncate(bp, 50); /* never lengthens */
    CU_ASSERT_EQUAL(buf_len(bp), 5);
    buf_reset(bp);
    CU_ASSERT_EQUAL(buf_len(bp), 0);
    CU_ASSERT_STRING_EQUAL(buf_str(bp), "");
    buf_set_str(bp, "MiXeD");
    buf_lower(bp);
    CU_ASSERT_STRING_EQUAL(buf_str(bp), "mixed");
    CU_ASSERT(!buf_equal_str(bp, "mixed2"));
    buf_free(bp);
}

static void test_buf_export(void)
{
    struct buf *bp = buf_alloc(0);
    char *text;

    buf_set_str(bp, "kept");
    text = buf_export(bp);
    CU_ASSERT_STRING_EQUAL(text, "kept");
    mem_free(text);
}

static void test_mem_dup(void)
{
    char *a = mem_strndup("abcdef", 3);
    char *b = mem_strndup("ab", 10);
    char *c = mem_memdup("x\0y", 3);

    CU_ASSERT_STRING_EQUAL(a, "abc");
    CU_ASSERT_STRING_EQUAL(b, "ab");
    CU_ASSERT(memcmp(c, "x\0y\0", 4) == 0);
    mem_free(a);
    mem_free(b);
    mem_free(c);
}

/* --- stream --- */

static void test_stream_roundtrip_pipe(void)
{
    int fds[2];
    struct stream *in;
    struct stream *out;
    char data[20000];
    char back[20000];

    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    out = stream_fdopen(fds[0], 1);
    in = stream_fdopen(fds[1], 1);
    stream_set_timeout(in, 5);
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)(i * 7);
    /* Larger than the stream buffer, smaller than the socket buffer. */
    stream_write(out, data, sizeof(data));
    stream_printf(out, "%s=%d", "n", 12);
    CU_ASSERT_EQUAL(stream_flush(out), 0);
    CU_ASSERT_EQUAL(stream_read(in, back, sizeof(back)), sizeof(back));
    CU_ASSERT(memcmp(data, back, sizeof(data)) == 0);
    CU_ASSERT_EQUAL(stream_peekc(in), 'n');
    CU_ASSERT_EQUAL(stream_getc(in), 'n');
    CU_ASSERT_EQUAL(stream_getc(in), '=');
    CU_ASSERT_EQUAL(stream_buffered(in), 2);
    CU_ASSERT_EQUAL(stream_close(out), 0);
    CU_ASSERT_EQUAL(stream_getc(in), '1');
    CU_ASSERT_EQUAL(stream_getc(in), '2');
    CU_ASSERT_EQUAL(stream_getc(in), STREAM_EOF);
    CU_ASSERT_EQUAL(stream_error(in), STREAM_ERR_EOF);
    stream_close(in);
}

static void test_stream_timeout(void)
{
    int fds[2];
    struct stream *in;

    CU_ASSERT_FATAL(pipe(fds) == 0);
    in = stream_fdopen(fds[0], 1);
    stream_set_timeout_ms(in, 50);
    CU_ASSERT_EQUAL(stream_getc(in), STREAM_EOF);
    CU_ASSERT(stream_error(in) & STREAM_ERR_TIMEOUT);
    CU_ASSERT_STRING_EQUAL(stream_strerror(stream_error(in)),
                           "time limit exceeded");
    /* Errors are sticky: later reads fail at once. */
    CU_ASSERT_EQUAL(stream_getc(in), STREAM_EOF);
    stream_close(in);
    close(fds[1]);
}

static void test_stream_peer_gone(void)
{
    int fds[2];
    struct stream *out;
    static char chunk[65536];

    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    close(fds[1]);
    out = stream_fdopen(fds[0], 1);
    stream_set_timeout(out, 5);
    /* Must be an I/O error, not a SIGPIPE that kills the test. */
    stream_write(out, chunk, sizeof(chunk));
    CU_ASSERT_EQUAL(stream_flush(out), -1);
    CU_ASSERT(stream_error(out) & STREAM_ERR_IO);
    CU_ASSERT_EQUAL(stream_close(out), -1);
}

static void test_stream_error_point(void)
{
    int fds[2];
    struct stream *in;
    jmp_buf jb;
    volatile int got = 0;
    int err;

    CU_ASSERT_FATAL(pipe(fds) == 0);
    in = stream_fdopen(fds[0], 1);
    if (write(fds[1], "ab", 2) != 2)
        CU_FAIL("write");
    close(fds[1]);
    stream_set_jmp(in, &jb);
    if ((err = setjmp(jb)) != 0) {
        CU_ASSERT_EQUAL(err, STREAM_ERR_EOF);
        CU_ASSERT_EQUAL(got, 2);
        stream_close(in);
        return;
    }
    for (;;) {
        stream_getc(in);
        got++;
    }
}

static void test_stream_file_seek(void)
{
    char *path = unit_tmpfile("seek");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    struct stream *sp = stream_fdopen(fd, 1);
    char back[6] = {0};

    stream_puts(sp, "hello world");
    CU_ASSERT_EQUAL(stream_tell(sp), 11);
    CU_ASSERT_EQUAL(stream_seek(sp, 0, SEEK_SET), 0);
    CU_ASSERT_EQUAL(stream_read(sp, back, 5), 5);
    CU_ASSERT_STRING_EQUAL(back, "hello");
    CU_ASSERT_EQUAL(stream_tell(sp), 5);
    /* Overwrite one byte in place, then read the rest. */
    CU_ASSERT_EQUAL(stream_seek(sp, 0, SEEK_SET), 0);
    stream_putc(sp, 'J');
    CU_ASSERT_EQUAL(stream_fsync(sp), 0);
    CU_ASSERT_EQUAL(stream_seek(sp, 6, SEEK_SET), 0);
    CU_ASSERT_EQUAL(stream_read(sp, back, 5), 5);
    CU_ASSERT_STRING_EQUAL(back, "world");
    CU_ASSERT_EQUAL(stream_getc(sp), STREAM_EOF);
    CU_ASSERT_EQUAL(stream_close(sp), 0);
    {
        size_t len;
        char *data = unit_read_file(path, &len);

        CU_ASSERT_STRING_EQUAL(data, "Jello world");
        mem_free(data);
    }
    mem_free(path);
}

static void test_stream_two_descriptors(void)
{
    int in_pipe[2];
    int out_pipe[2];
    struct stream *sp;
    char back[8] = {0};

    CU_ASSERT_FATAL(pipe(in_pipe) == 0 && pipe(out_pipe) == 0);
    sp = stream_fdopen2(in_pipe[0], out_pipe[1], 1);
    stream_set_timeout(sp, 5);
    if (write(in_pipe[1], "ping", 4) != 4)
        CU_FAIL("write");
    CU_ASSERT_EQUAL(stream_read(sp, back, 4), 4);
    CU_ASSERT_STRING_EQUAL(back, "ping");
    stream_puts(sp, "pong");
    CU_ASSERT_EQUAL(stream_flush(sp), 0);
    CU_ASSERT_EQUAL(read(out_pipe[0], back, sizeof(back)), 4);
    CU_ASSERT(memcmp(back, "pong", 4) == 0);
    CU_ASSERT_EQUAL(stream_close(sp), 0);
    /* Both ends were closed by stream_close(). */
    CU_ASSERT_EQUAL(read(out_pipe[0], back, sizeof(back)), 0);
    close(in_pipe[1]);
    close(out_pipe[0]);
}

/* --- msg --- */

static char captured[512];
static enum msg_level captured_level;

static void capture(enum msg_level level, const char *text)
{
    captured_level = level;
    snprintf(captured, sizeof(captured), "%s", text);
}

static void test_msg_levels_and_tag(void)
{
    char *path = unit_tmpfile("maillog");
    char *logged;

    msg_open("/usr/libexec/postern/qmgr");
    msg_set_syslog_name("postern");
    CU_ASSERT_STRING_EQUAL(msg_tag(), "postern/qmgr");
    msg_set_capture(capture);
    CU_ASSERT_EQUAL(msg_set_destinations(MSG_TO_FILE, path), 0);
    msg_info("%s: from=<%s>, size=%d, nrcpt=%d (queue active)", "3F2A1B7C4D",
             "a@b", 100, 1);
    CU_ASSERT_EQUAL(captured_level, MSG_INFO);
    msg_warn("bad thing\nforged line");
    CU_ASSERT_STRING_EQUAL(captured, "warning: bad thing?forged line");
    msg_set_destinations(MSG_TO_STDERR, NULL);
    msg_set_capture(NULL);
    logged = unit_read_file(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(logged);
    CU_ASSERT_PTR_NOT_NULL(strstr(logged, " postern/qmgr["));
    CU_ASSERT_PTR_NOT_NULL(strstr(
        logged,
        "]: 3F2A1B7C4D: from=<a@b>, size=100, nrcpt=1 (queue active)\n"));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(logged, "]: warning: bad thing?forged line\n"));
    mem_free(logged);
    mem_free(path);
    msg_set_syslog_name("custom/name");
    CU_ASSERT_STRING_EQUAL(msg_tag(), "custom/name/qmgr");
    msg_set_syslog_name("postern");
}

static void test_msg_bad_file(void)
{
    CU_ASSERT_EQUAL(
        msg_set_destinations(MSG_TO_FILE, "/nonexistent-dir/x/maillog"), -1);
}

static const struct unit_case buf_cases[] = {
    {"append binary data", test_buf_append_binary},
    {"grow byte by byte", test_buf_growth},
    {"printf and append_printf", test_buf_printf},
    {"truncate, reset, lower", test_buf_truncate_reset},
    {"export keeps content", test_buf_export},
    {"mem dup helpers", test_mem_dup},
    {NULL, NULL},
};

static const struct unit_case stream_cases[] = {
    {"round trip over a socketpair", test_stream_roundtrip_pipe},
    {"read timeout on a silent peer", test_stream_timeout},
    {"write to a vanished peer", test_stream_peer_gone},
    {"longjmp error point", test_stream_error_point},
    {"file seek, tell, in-place write", test_stream_file_seek},
    {"separate read and write descriptors", test_stream_two_descriptors},
    {NULL, NULL},
};

static const struct unit_case msg_cases[] = {
    {"levels, tag and maillog_file", test_msg_levels_and_tag},
    {"unwritable maillog_file", test_msg_bad_file},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"buf", buf_cases},
    {"stream", stream_cases},
    {"msg", msg_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
