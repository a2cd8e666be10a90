#ifndef POSTERN_UNIT_H
#define POSTERN_UNIT_H

#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct stream;

/*
 * A test program is a table of suites, each a table of named cases ended
 * by a {NULL, NULL} entry. UNIT_MAIN(suites) runs them all.
 */
struct unit_case {
    const char *name;
    void (*run)(void);
};

struct unit_suite {
    const char *name;
    const struct unit_case *cases;
};

int unit_run(const char *program, const struct unit_suite *suites);
const char *unit_tmpdir(void);
char *unit_tmpfile(const char *name);
void unit_write_file(const char *path, const char *data, size_t len);
char *unit_read_file(const char *path, size_t *len);

/* Warnings logged between start and stop; the text stays after stop. */
void unit_capture_start(void);
void unit_capture_stop(void);
const char *unit_last_warning(void);
int unit_warning_count(void);

/* Streams to feed a parser or to catch what a writer wrote. */
struct stream *unit_stream_feed(const char *data, size_t len);
struct stream *unit_stream_silent(const char *data, size_t len, int *peer);
struct stream *unit_stream_dead_peer(void);
struct stream *unit_stream_tmpfile(const char *name, char **pathp);

/* A UNIX-domain listener that never accepts, its queue filled up. */
#define UNIT_BACKLOG_MAX 32

struct unit_backlog {
    int listen_fd;
    int fds[UNIT_BACKLOG_MAX];
    int count;
    int error; /* errno of the connect that did not get in */
};

int unit_backlog_fill(struct unit_backlog *bl, const char *path,
                      int timeout_ms);
void unit_backlog_close(struct unit_backlog *bl);

#define UNIT_MAIN(suites)                                                      \
    int main(int argc, char **argv)                                            \
    {                                                                          \
        (void)argc;                                                            \
        return unit_run(argv[0], suites);                                      \
    }

/* The number of entries in a table (an array, not a pointer). */
#define UNIT_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A string literal's length, and the literal with it (it may hold NULs). */
#define UNIT_LEN(s)   (sizeof(s) - 1)
#define UNIT_BYTES(s) s, UNIT_LEN(s)

/*
 * Table-case assertions: on failure they also print which case it was
 * and what came out, since CUnit alone names only the line. They are
 * macros so that CUnit reports the caller's line.
 */
#define UNIT_CHECK_STR(name, got, want)                                        \
    do {                                                                       \
        const char *g_ = (got);                                                \
        const char *w_ = (want);                                               \
        if (g_ == NULL || strcmp(g_, w_) != 0)                                 \
            fprintf(stderr, "\n  case \"%s\": got \"%s\", want \"%s\"\n",      \
                    (name), g_ ? g_ : "(null)", w_);                           \
        CU_ASSERT_PTR_NOT_NULL(g_);                                            \
        if (g_)                                                                \
            CU_ASSERT_STRING_EQUAL(g_, w_);                                    \
    } while (0)

#define UNIT_CHECK_INT(name, got, want)                                        \
    do {                                                                       \
        long g_ = (long)(got);                                                 \
        long w_ = (long)(want);                                                \
        if (g_ != w_)                                                          \
            fprintf(stderr, "\n  case \"%s\": got %ld, want %ld\n", (name),    \
                    g_, w_);                                                   \
        CU_ASSERT_EQUAL(g_, w_);                                               \
    } while (0)

#define UNIT_CHECK_HAS(name, text, part)                                       \
    do {                                                                       \
        const char *t_ = (text);                                               \
        if (strstr(t_, (part)) == NULL)                                        \
            fprintf(stderr, "\n  case \"%s\": \"%s\" lacks \"%s\"\n", (name),  \
                    t_, (part));                                               \
        CU_ASSERT_PTR_NOT_NULL(strstr(t_, (part)));                            \
    } while (0)

/*
 * After unit_capture_start/stop: part "" asserts that nothing was
 * warned; otherwise the last warning must contain part.
 */
#define UNIT_CHECK_WARNING(name, part)                                         \
    do {                                                                       \
        const char *p_ = (part);                                               \
        if (p_[0] == 0)                                                        \
            UNIT_CHECK_INT((name), unit_warning_count(), 0);                   \
        else                                                                   \
            UNIT_CHECK_HAS((name), unit_last_warning(), p_);                   \
    } while (0)

#endif
