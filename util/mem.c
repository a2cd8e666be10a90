/*
 * mem - memory allocation that never returns NULL
 *
 * Every allocation in Postern goes through here so that call sites stay
 * short: running out of memory is a resource problem, reported once with
 * msg_fatal(), and the master restarts the process later.
 *
 * Public functions:
 *	mem_alloc(len), mem_zalloc(len)	allocate (zalloc: zero-filled)
 *	mem_realloc(ptr, len)		resize
 *	mem_memdup(data, len)		copy bytes; the copy gets a NUL after it
 *	mem_strdup(str), mem_strndup(str, len)	copy a string
 *	mem_free(ptr)			release; NULL is allowed
 *
 * Diagnostics: fatal "out of memory" when the C library refuses; panic on
 * a request so large that it can only be an arithmetic error.
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "msg.h"

/* No single object in Postern needs more than this; more is a bug. */
#define MEM_MAX_REQUEST ((size_t)1 << 40)

static void mem_check_size(size_t len)
{
    if (len > MEM_MAX_REQUEST)
        msg_panic("mem: unreasonable allocation request: %zu bytes", len);
}

void *mem_alloc(size_t len)
{
    void *ptr;

    mem_check_size(len);
    if ((ptr = malloc(len ? len : 1)) == NULL)
        msg_fatal("out of memory (requested %zu bytes)", len);
    return ptr;
}

void *mem_zalloc(size_t len)
{
    void *ptr;

    mem_check_size(len);
    if ((ptr = calloc(1, len ? len : 1)) == NULL)
        msg_fatal("out of memory (requested %zu bytes)", len);
    return ptr;
}

void *mem_realloc(void *ptr, size_t len)
{
    void *res;

    mem_check_size(len);
    if ((res = realloc(ptr, len ? len : 1)) == NULL)
        msg_fatal("out of memory (requested %zu bytes)", len);
    return res;
}

void *mem_memdup(const void *data, size_t len)
{
    char *copy = mem_alloc(len + 1);

    if (len)
        memcpy(copy, data, len);
    copy[len] = 0;
    return copy;
}

char *mem_strdup(const char *str)
{
    return mem_memdup(str, strlen(str));
}

char *mem_strndup(const char *str, size_t len)
{
    const char *end = memchr(str, 0, len);

    return mem_memdup(str, end ? (size_t)(end - str) : len);
}

void mem_free(void *ptr)
{
    free(ptr);
}
