#ifndef POSTERN_MEM_H
#define POSTERN_MEM_H

#include <stddef.h>

void *mem_alloc(size_t len);
void *mem_zalloc(size_t len);
void *mem_realloc(void *ptr, size_t len);
void *mem_memdup(const void *data, size_t len);
char *mem_strdup(const char *str);
char *mem_strndup(const char *str, size_t len);
void mem_free(void *ptr);

#endif
