#ifndef POSTERN_FUZZ_INPUT_H
#define POSTERN_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry points each fuzz_<name>.c defines. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Most bytes fuzz_input_socket() hands over: a socketpair holds this much
 * without a reader, and libFuzzer's inputs are far shorter.
 */
#define FUZZ_INPUT_SOCKET_MAX 65536

void fuzz_input_init(const char *program);
int fuzz_input_memfd(const void *data, size_t size);
int fuzz_input_socket(const void *data, size_t size);
char *fuzz_input_string(const void *data, size_t size);
void fuzz_input_fail(const char *file, int line, const char *what)
    __attribute__((noreturn));

/* A property of the parser's result that must hold; abort if not. */
#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond))                                                           \
            fuzz_input_fail(__FILE__, __LINE__, #cond);                        \
    } while (0)

#endif
