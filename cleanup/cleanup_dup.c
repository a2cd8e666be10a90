/*
 * cleanup_dup - the duplicate recipient filter
 *
 * cleanup drops a recipient it has already written for the same message
 * (Postfix: "eliminate duplicate envelope recipient addresses"). The key
 * is everything that makes two recipient entries different for delivery
 * and for delivery status notifications: the original recipient, the
 * recipient, the DSN original recipient and the NOTIFY flags. A message
 * with the same address twice from two different original recipients
 * (two aliases) keeps both, as Postfix does.
 *
 *	cleanup_dup_create(limit)
 *		a filter that remembers at most limit keys
 *		(duplicate_filter_limit); limit <= 0 turns it off.
 *	cleanup_dup_seen(dup, key, len)
 *		1 when key was seen before; otherwise remembers it (while
 *		there is room) and returns 0. Past the limit nothing more is
 *		remembered and later duplicates get through, which costs a
 *		second delivery, never a lost recipient.
 *	cleanup_dup_free(dup)
 *
 * An open-addressing hash table of copies of the keys, sized for the
 * limit up front (the default limit, 1000, takes 16 KB of slots).
 *
 * Diagnostics: none. Configuration parameters: duplicate_filter_limit
 * (passed in).
 */
#include <string.h>

#include "cleanup.h"
#include "mem.h"

struct cleanup_dup {
    size_t limit; /* keys remembered at most */
    size_t count;
    size_t slots; /* a power of two, at least twice limit */
    char **keys;
    size_t *lens;
};

struct cleanup_dup *cleanup_dup_create(int limit)
{
    struct cleanup_dup *dup = mem_zalloc(sizeof(*dup));

    if (limit <= 0)
        return dup;
    dup->limit = (size_t)limit;
    for (dup->slots = 16; dup->slots < 2 * dup->limit; dup->slots *= 2)
        /* grow */;
    dup->keys = mem_zalloc(dup->slots * sizeof(dup->keys[0]));
    dup->lens = mem_zalloc(dup->slots * sizeof(dup->lens[0]));
    return dup;
}

/* FNV-1a. */
static size_t cleanup_dup_hash(const char *key, size_t len)
{
    size_t h = (size_t)2166136261u;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= (size_t)16777619u;
    }
    return h;
}

int cleanup_dup_seen(struct cleanup_dup *dup, const char *key, size_t len)
{
    size_t i;

    if (dup->limit == 0)
        return 0;
    for (i = cleanup_dup_hash(key, len) & (dup->slots - 1); dup->keys[i];
         i = (i + 1) & (dup->slots - 1))
        if (dup->lens[i] == len && memcmp(dup->keys[i], key, len) == 0)
            return 1;
    if (dup->count < dup->limit) {
        dup->keys[i] = mem_memdup(key, len);
        dup->lens[i] = len;
        dup->count++;
    }
    return 0;
}

void cleanup_dup_free(struct cleanup_dup *dup)
{
    if (dup == NULL)
        return;
    for (size_t i = 0; i < dup->slots; i++)
        mem_free(dup->keys[i]);
    mem_free(dup->keys);
    mem_free(dup->lens);
    mem_free(dup);
}
