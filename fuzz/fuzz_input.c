/*
 * fuzz_input - hand a fuzz input to a parser the way it reads its input
 *
 * Shared by the libFuzzer targets (fuzz/fuzz_*.c). The parsers in util/
 * read C strings, byte ranges or streams over descriptors; this module
 * makes each of those from libFuzzer's bytes without touching the file
 * system: descriptors are memory-backed files (memfd_create) or
 * socketpairs, so a target writes nowhere but its own memory.
 *
 * Public functions:
 *	fuzz_input_init(program)	log through msg.c to nowhere but
 *					this module: fatal and panic lines
 *					go to stderr (they explain a crash),
 *					warnings and info only when the
 *					environment has FUZZ_VERBOSE (the
 *					parsers warn about every malformed
 *					input, which is most of them)
 *	fuzz_input_memfd(data, size)	a seekable memory-backed file with
 *					the data, positioned at its start; a
 *					new file (and inode) each call
 *	fuzz_input_socket(data, size)	the reading end of a UNIX-domain
 *					socketpair whose other end sent the
 *					data (at most FUZZ_INPUT_SOCKET_MAX
 *					bytes) and closed: end of input
 *	fuzz_input_string(data, size)	a NUL-terminated copy (mem_free it);
 *					as a C string it ends at the first
 *					NUL byte of the data
 *	fuzz_input_fail(file, line, what)	FUZZ_CHECK's report: a
 *					panic, which libFuzzer records as a
 *					crash with the input
 *
 * Diagnostics: failure to make a descriptor is fatal (exit, which
 * libFuzzer reports); a failed FUZZ_CHECK panics (abort).
 *
 * Configuration parameters: none. Environment: FUZZ_VERBOSE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "mem.h"
#include "msg.h"

static int fuzz_input_verbose;

static void fuzz_input_log(enum msg_level level, const char *text)
{
    if (level >= MSG_FATAL || fuzz_input_verbose)
        fprintf(stderr, "%s: %s\n", msg_program(), text);
}

void fuzz_input_init(const char *program)
{
    msg_open(program);
    msg_set_destinations(0, NULL);
    msg_set_capture(fuzz_input_log);
    fuzz_input_verbose = getenv("FUZZ_VERBOSE") != NULL;
}

/* Write all of data to fd; 0 or -1. */
static int fuzz_input_write(int fd, const void *data, size_t size)
{
    const char *cp = data;

    while (size > 0) {
        ssize_t n = write(fd, cp, size);

        if (n <= 0)
            return -1;
        cp += n;
        size -= (size_t)n;
    }
    return 0;
}

int fuzz_input_memfd(const void *data, size_t size)
{
    int fd = memfd_create("fuzz_input", MFD_CLOEXEC);

    if (fd < 0)
        msg_fatal("memfd_create: %m");
    if (fuzz_input_write(fd, data, size) < 0 || lseek(fd, 0, SEEK_SET) != 0)
        msg_fatal("write to memfd: %m");
    return fd;
}

int fuzz_input_socket(const void *data, size_t size)
{
    int fds[2];

    if (size > FUZZ_INPUT_SOCKET_MAX)
        size = FUZZ_INPUT_SOCKET_MAX;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
        msg_fatal("socketpair: %m");
    if (fuzz_input_write(fds[1], data, size) < 0)
        msg_fatal("write to socketpair: %m");
    close(fds[1]);
    return fds[0];
}

char *fuzz_input_string(const void *data, size_t size)
{
    char *str = mem_alloc(size + 1);

    memcpy(str, data, size);
    str[size] = 0;
    return str;
}

void fuzz_input_fail(const char *file, int line, const char *what)
{
    msg_panic("%s:%d: check failed: %s", file, line, what);
}
