/*
 * qc_util - small data structures of the queue manager core
 *
 * Intrusive rings (the lists of qcore.h), growable recipient lists, and
 * a string-keyed hash table (transports by name, queues by next hop).
 *
 * Public functions:
 *	qc_ring_init/append/prepend/insert_before/detach/empty/count
 *		see qcore.h
 *	qc_rcpt_list_init/add/free, qc_recipient_free
 *		a list owns the strings of the recipients added to it
 *		(qc_rcpt_list_add() moves them: the caller's copy is
 *		cleared)
 *	qc_htable_create/find/enter/delete/free
 *		keys are copied; values are the caller's
 *
 * Diagnostics: panic on a double enter of a key (caller bug).
 *
 * Configuration parameters: none.
 */
#include <stdint.h>
#include <string.h>

#include "mem.h"
#include "msg.h"
#include "qc_impl.h"

void qc_ring_init(struct qc_ring *head)
{
    head->prev = head;
    head->next = head;
}

void qc_ring_insert_before(struct qc_ring *where, struct qc_ring *item)
{
    item->next = where;
    item->prev = where->prev;
    where->prev->next = item;
    where->prev = item;
}

void qc_ring_append(struct qc_ring *head, struct qc_ring *item)
{
    qc_ring_insert_before(head, item);
}

void qc_ring_prepend(struct qc_ring *head, struct qc_ring *item)
{
    qc_ring_insert_before(head->next, item);
}

void qc_ring_detach(struct qc_ring *item)
{
    item->prev->next = item->next;
    item->next->prev = item->prev;
    qc_ring_init(item);
}

int qc_ring_empty(const struct qc_ring *head)
{
    return head->next == head;
}

size_t qc_ring_count(const struct qc_ring *head)
{
    size_t n = 0;

    for (const struct qc_ring *r = head->next; r != head; r = r->next)
        n++;
    return n;
}

/* --- recipient lists */

void qc_rcpt_list_init(struct qc_rcpt_list *list)
{
    list->info = NULL;
    list->len = 0;
    list->avail = 0;
}

void qc_rcpt_list_add(struct qc_rcpt_list *list, const struct qc_recipient *r)
{
    if (list->len >= list->avail) {
        list->avail = list->avail ? list->avail * 2 : 4;
        list->info =
            mem_realloc(list->info, (size_t)list->avail * sizeof(*list->info));
    }
    list->info[list->len++] = *r;
}

void qc_recipient_free(struct qc_recipient *rcpt)
{
    mem_free(rcpt->address);
    mem_free(rcpt->orig_rcpt);
    mem_free(rcpt->dsn_orig_rcpt);
    rcpt->address = rcpt->orig_rcpt = rcpt->dsn_orig_rcpt = NULL;
}

void qc_rcpt_list_free(struct qc_rcpt_list *list)
{
    for (int i = 0; i < list->len; i++)
        qc_recipient_free(list->info + i);
    mem_free(list->info);
    qc_rcpt_list_init(list);
}

/* --- hash table */

struct qc_hnode {
    char *key;
    void *value;
    struct qc_hnode *next;
};

struct qc_htable {
    struct qc_hnode **bucket;
    size_t size;
    size_t used;
};

static size_t qc_hash(const char *key, size_t size)
{
    uint32_t h = 2166136261u; /* FNV-1a */

    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 16777619u;
    return h % size;
}

struct qc_htable *qc_htable_create(void)
{
    struct qc_htable *t = mem_zalloc(sizeof(*t));

    t->size = 61;
    t->bucket = mem_zalloc(t->size * sizeof(*t->bucket));
    return t;
}

void *qc_htable_find(const struct qc_htable *t, const char *key)
{
    for (struct qc_hnode *n = t->bucket[qc_hash(key, t->size)]; n; n = n->next)
        if (strcmp(n->key, key) == 0)
            return n->value;
    return NULL;
}

static void qc_htable_grow(struct qc_htable *t)
{
    size_t size = t->size * 2 + 1;
    struct qc_hnode **bucket = mem_zalloc(size * sizeof(*bucket));

    for (size_t i = 0; i < t->size; i++) {
        struct qc_hnode *n;
        struct qc_hnode *next;

        for (n = t->bucket[i]; n; n = next) {
            size_t h = qc_hash(n->key, size);

            next = n->next;
            n->next = bucket[h];
            bucket[h] = n;
        }
    }
    mem_free(t->bucket);
    t->bucket = bucket;
    t->size = size;
}

void qc_htable_enter(struct qc_htable *t, const char *key, void *value)
{
    struct qc_hnode *n;
    size_t h;

    if (qc_htable_find(t, key) != NULL)
        msg_panic("qc_htable_enter: duplicate key %s", key);
    if (t->used >= t->size * 2)
        qc_htable_grow(t);
    h = qc_hash(key, t->size);
    n = mem_alloc(sizeof(*n));
    n->key = mem_strdup(key);
    n->value = value;
    n->next = t->bucket[h];
    t->bucket[h] = n;
    t->used++;
}

void qc_htable_delete(struct qc_htable *t, const char *key)
{
    struct qc_hnode **np = &t->bucket[qc_hash(key, t->size)];

    for (; *np; np = &(*np)->next) {
        if (strcmp((*np)->key, key) == 0) {
            struct qc_hnode *n = *np;

            *np = n->next;
            mem_free(n->key);
            mem_free(n);
            t->used--;
            return;
        }
    }
}

void qc_htable_free(struct qc_htable *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->size; i++) {
        struct qc_hnode *n;
        struct qc_hnode *next;

        for (n = t->bucket[i]; n; n = next) {
            next = n->next;
            mem_free(n->key);
            mem_free(n);
        }
    }
    mem_free(t->bucket);
    mem_free(t);
}
