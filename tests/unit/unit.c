/*
 * unit - the CUnit runner every unit test program uses
 *
 * Registers a program's table of suites, runs them in CUnit's basic mode,
 * and prints one closing line "<program>: N passed, N failed" counting
 * test cases (test.sh adds these up across programs). The exit status is
 * non-zero when any case failed or CUnit itself failed: CUnit's own run
 * function returns success even when assertions fail, so the failure
 * counts are read before the registry is cleaned up.
 *
 * Helpers: unit_tmpdir() gives a private temporary directory, removed
 * with its contents when the program exits; unit_tmpfile(name) a path in
 * it (caller frees); unit_write_file/unit_read_file for fixtures.
 *
 * Warning capture: unit_capture_start() hooks msg_set_capture() and
 * clears the record; until unit_capture_stop(), each warning is counted
 * (unit_warning_count()) and the last one's text kept
 * (unit_last_warning(), "warning: ..."; it stays readable after stop).
 * Lines of other levels are not recorded; every line is still logged as
 * usual, the hook only gets a copy.
 *
 * Streams: unit_stream_feed(data, len) reads data then end of input (a
 * pipe whose writer closed; 5 s timeout); unit_stream_silent(data, len,
 * &peer) reads data then nothing (a socketpair whose writer, *peer, the
 * caller closes; 100 ms timeout); unit_stream_dead_peer() a socketpair
 * whose other end is closed, so writes fail; unit_stream_tmpfile(name,
 * &path) a new empty file in unit_tmpdir() open for reading and writing
 * (path, if asked for, is the caller's to free).
 *
 * Full backlog: unit_backlog_fill(bl, path, timeout_ms) listens on the
 * UNIX socket path with backlog 0, never accepts, and connects until
 * one connect fails (1, its errno in bl->error) or UNIT_BACKLOG_MAX got
 * in (0: the kernel keeps queueing, the case cannot be produced and it
 * says it is skipped); unit_backlog_close() closes all of it.
 *
 * unit.h also has table macros: UNIT_COUNT (entries in an array),
 * UNIT_LEN/UNIT_BYTES (a literal's length; literal and length),
 * UNIT_CHECK_STR/UNIT_CHECK_INT/UNIT_CHECK_HAS (assertions that print the
 * failing case's name and values) and UNIT_CHECK_WARNING (the captured
 * warning against a case's expected substring, "" for none).
 *
 * Diagnostics: a fixture that cannot be made (temporary directory, file
 * write) exits with status 2; a stream or socket that cannot be set up
 * is a fatal CUnit assertion in the calling case.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../util/mem.h"
#include "../../util/msg.h"
#include "../../util/sock.h"
#include "../../util/stream.h"
#include "unit.h"

static char unit_dir[256];

static void unit_remove_tmpdir(void)
{
    char cmd[300];

    if (unit_dir[0] == 0)
        return;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", unit_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", unit_dir);
}

const char *unit_tmpdir(void)
{
    if (unit_dir[0] == 0) {
        const char *base = getenv("TMPDIR");

        snprintf(unit_dir, sizeof(unit_dir), "%s/postern-unit.XXXXXX",
                 base && *base ? base : "/tmp");
        if (mkdtemp(unit_dir) == NULL) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(unit_remove_tmpdir);
    }
    return unit_dir;
}

char *unit_tmpfile(const char *name)
{
    const char *dir = unit_tmpdir();
    char *path = mem_alloc(strlen(dir) + strlen(name) + 2);

    sprintf(path, "%s/%s", dir, name);
    return path;
}

void unit_write_file(const char *path, const char *data, size_t len)
{
    FILE *fp = fopen(path, "wb");

    if (fp == NULL || fwrite(data, 1, len, fp) != len || fclose(fp) != 0) {
        perror(path);
        exit(2);
    }
}

char *unit_read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *data;
    long size;

    if (fp == NULL)
        return NULL;
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    data = mem_alloc((size_t)size + 1);
    if (fread(data, 1, (size_t)size, fp) != (size_t)size) {
        fclose(fp);
        mem_free(data);
        return NULL;
    }
    data[size] = 0;
    fclose(fp);
    if (len)
        *len = (size_t)size;
    return data;
}

/* --- warning capture --- */

static char unit_warning[4096];
static int unit_warnings;

static void unit_capture(enum msg_level level, const char *text)
{
    if (level == MSG_WARN) {
        snprintf(unit_warning, sizeof(unit_warning), "%s", text);
        unit_warnings++;
    }
}

void unit_capture_start(void)
{
    unit_warning[0] = 0;
    unit_warnings = 0;
    msg_set_capture(unit_capture);
}

void unit_capture_stop(void)
{
    msg_set_capture(NULL);
}

const char *unit_last_warning(void)
{
    return unit_warning;
}

int unit_warning_count(void)
{
    return unit_warnings;
}

/* --- streams --- */

struct stream *unit_stream_feed(const char *data, size_t len)
{
    int fds[2];
    struct stream *sp;

    CU_ASSERT_FATAL(pipe(fds) == 0);
    CU_ASSERT_FATAL(write(fds[1], data, len) == (ssize_t)len);
    close(fds[1]);
    sp = stream_fdopen(fds[0], 1);
    stream_set_timeout(sp, 5);
    return sp;
}

struct stream *unit_stream_silent(const char *data, size_t len, int *peer)
{
    int fds[2];
    struct stream *sp;

    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    CU_ASSERT_FATAL(write(fds[1], data, len) == (ssize_t)len);
    *peer = fds[1];
    sp = stream_fdopen(fds[0], 1);
    stream_set_timeout_ms(sp, 100);
    return sp;
}

struct stream *unit_stream_dead_peer(void)
{
    int fds[2];

    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    close(fds[1]);
    return stream_fdopen(fds[0], 1);
}

struct stream *unit_stream_tmpfile(const char *name, char **pathp)
{
    char *path = unit_tmpfile(name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

    CU_ASSERT_FATAL(fd >= 0);
    if (pathp)
        *pathp = path;
    else
        mem_free(path);
    return stream_fdopen(fd, 1);
}

/* --- a full listen queue --- */

int unit_backlog_fill(struct unit_backlog *bl, const char *path, int timeout_ms)
{
    bl->count = 0;
    bl->error = 0;
    bl->listen_fd = unix_listen(path, 0, 0);
    CU_ASSERT_FATAL(bl->listen_fd >= 0);
    while (bl->count < UNIT_BACKLOG_MAX) {
        int fd = unix_connect(path, timeout_ms);

        if (fd < 0) {
            bl->error = errno;
            return 1;
        }
        bl->fds[bl->count++] = fd;
    }
    fprintf(stderr, "[full backlog not reproducible: skipped] ");
    return 0;
}

void unit_backlog_close(struct unit_backlog *bl)
{
    while (bl->count > 0)
        close(bl->fds[--bl->count]);
    close(bl->listen_fd);
}

int unit_run(const char *program, const struct unit_suite *suites)
{
    const char *slash = strrchr(program, '/');
    unsigned run;
    unsigned failed;
    int cunit_error;

    program = slash ? slash + 1 : program;
    msg_open(program);
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "%s: cannot initialize CUnit\n", program);
        return 2;
    }
    for (const struct unit_suite *s = suites; s->name; s++) {
        CU_pSuite suite = CU_add_suite(s->name, NULL, NULL);

        if (suite == NULL) {
            fprintf(stderr, "%s: cannot add suite %s\n", program, s->name);
            return 2;
        }
        for (const struct unit_case *c = s->cases; c->name; c++) {
            if (CU_add_test(suite, c->name, c->run) == NULL) {
                fprintf(stderr, "%s: cannot add test %s\n", program, c->name);
                return 2;
            }
        }
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    cunit_error = CU_get_error();
    run = CU_get_number_of_tests_run();
    failed = CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    printf("\n%s: %u passed, %u failed\n", program, run - failed, failed);
    fflush(stdout);
    return (failed > 0 || cunit_error != CUE_SUCCESS) ? 1 : 0;
}
