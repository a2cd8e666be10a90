/*
 * fuzz_qmsg - libFuzzer target: a queue file read by the queue managers
 * (qcore's qc_message_read())
 *
 * What it feeds where: the input is the whole content of a queue file in
 * the active queue, written to a memory-backed file (memfd: seekable, as
 * pointer records and the jump over the content need). It is read the
 * way qmgr and oqmgr read it:
 *  1. one pass with a limit larger than any input can hold recipients
 *     (the whole file at once);
 *  2. piecewise with a small limit (1, then 3): the first read, then
 *     refills from rcpt_offset until every recipient is read, the file
 *     is found corrupt, or a bound on the calls (FUZZ_QMSG_CALLS) is
 *     reached. Each call gets a new memfd with the same bytes (the queue
 *     manager reopens the file for a refill, and rec_get()'s count of
 *     backward pointer jumps is per file).
 *
 * Invariants checked (FUZZ_CHECK aborts):
 *  - a call returns -1 or at most its limit, and appends exactly that
 *    many recipients (none on -1: a corrupt file leaves nothing behind);
 *  - every recipient's offset lies inside the file and the bytes there
 *    are an R record (or an A record carrying one); its address is a
 *    C string no longer than the file;
 *  - after a successful first read: the size record's data offset and
 *    size point inside the file (the X record was found there), the
 *    resume offset is 0 or inside the file, the count of unread
 *    recipients is not negative, and ALL_READ is set exactly when the
 *    resume offset is 0;
 *  - when the one-pass read succeeds and the piecewise reads all succeed,
 *    both yield the same recipients (addresses, offsets, original
 *    recipients and NOTIFY flags) in the same order;
 *  - no crash, leak or undefined behaviour (ASan/UBSan).
 *
 * The queue id and queue name are fixed; the core's globals (transports,
 * timers, sockets) are not involved in reading a file, so none is set up.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fuzz_input.h"
#include "mem.h"
#include "qc_impl.h"
#include "rec_type.h"
#include "stream.h"

/* Limit of the one-pass read: more than any input can hold. */
#define FUZZ_QMSG_ALL 0x7fffffff

/* Calls of the piecewise reads: a recipient takes two bytes at least. */
#define FUZZ_QMSG_CALLS(size) ((size) / 2 + 4)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_input_init("fuzz_qmsg");
    return 0;
}

/* One qc_message_read() call on a fresh copy of the file. */
static int fuzz_qmsg_call(const uint8_t *data, size_t size,
                          struct qc_message *m, int limit,
                          struct qc_rcpt_list *out, struct buf *why)
{
    struct stream *sp = stream_fdopen(fuzz_input_memfd(data, size), 1);
    int before = out->len;
    int got;

    got = qc_message_read(m, sp, limit, out, why);
    stream_close(sp);
    FUZZ_CHECK(got >= -1 && got <= limit);
    FUZZ_CHECK(out->len == before + (got > 0 ? got : 0));
    for (int i = before; i < out->len; i++) {
        const struct qc_recipient *r = out->info + i;
        unsigned char type;

        FUZZ_CHECK(r->offset >= 0 && (size_t)r->offset < size);
        type = data[r->offset];
        FUZZ_CHECK(type == REC_TYPE_RCPT || type == REC_TYPE_ATTR);
        FUZZ_CHECK(r->address != NULL && strlen(r->address) <= size);
    }
    if (got >= 0) {
        FUZZ_CHECK(m->data_offset > 0 && m->data_size > 0);
        FUZZ_CHECK(m->data_offset <= (long)size &&
                   m->data_size < (long)size - m->data_offset);
        FUZZ_CHECK(m->rcpt_offset >= 0 && m->rcpt_offset < (long)size);
        FUZZ_CHECK(m->rcpt_unread >= 0);
        FUZZ_CHECK(!(m->flags & QC_MSG_FLAG_ALL_READ) == (m->rcpt_offset != 0));
        FUZZ_CHECK(m->sender != NULL && m->log_ident != NULL);
    }
    return got;
}

/* Read the whole file in calls of at most limit recipients; 0 or -1. */
static int fuzz_qmsg_piecewise(const uint8_t *data, size_t size, int limit,
                               struct qc_rcpt_list *out, struct buf *why)
{
    struct qc_message *m = qc_message_alloc("active", "FUZZ0001");
    int result = -1;

    for (size_t calls = 0; calls < FUZZ_QMSG_CALLS(size); calls++) {
        if (fuzz_qmsg_call(data, size, m, limit, out, why) < 0)
            break;
        if (m->flags & QC_MSG_FLAG_ALL_READ) {
            result = 0;
            break;
        }
    }
    /* Every call either read a recipient or finished: the bound holds. */
    FUZZ_CHECK(result == 0 || buf_len(why) > 0);
    qc_message_free(m);
    return result;
}

static int fuzz_qmsg_same(const struct qc_rcpt_list *a,
                          const struct qc_rcpt_list *b)
{
    if (a->len != b->len)
        return 0;
    for (int i = 0; i < a->len; i++) {
        const struct qc_recipient *x = a->info + i;
        const struct qc_recipient *y = b->info + i;

        if (strcmp(x->address, y->address) != 0 || x->offset != y->offset ||
            x->notify_flags != y->notify_flags ||
            (x->orig_rcpt == NULL) != (y->orig_rcpt == NULL) ||
            (x->orig_rcpt && strcmp(x->orig_rcpt, y->orig_rcpt) != 0) ||
            (x->dsn_orig_rcpt == NULL) != (y->dsn_orig_rcpt == NULL) ||
            (x->dsn_orig_rcpt &&
             strcmp(x->dsn_orig_rcpt, y->dsn_orig_rcpt) != 0))
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int limits[] = {1, 3};
    struct buf *why = buf_alloc(100);
    struct qc_message *m = qc_message_alloc("active", "FUZZ0001");
    struct qc_rcpt_list all;
    int whole;

    qc_rcpt_list_init(&all);
    whole = fuzz_qmsg_call(data, size, m, FUZZ_QMSG_ALL, &all, why);
    if (whole >= 0) {
        FUZZ_CHECK(m->flags & QC_MSG_FLAG_ALL_READ);
        FUZZ_CHECK(m->rcpt_unread == 0 && m->rcpt_read == whole);
    }
    qc_message_free(m);

    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        struct qc_rcpt_list part;

        qc_rcpt_list_init(&part);
        if (fuzz_qmsg_piecewise(data, size, limits[i], &part, why) == 0 &&
            whole >= 0)
            FUZZ_CHECK(fuzz_qmsg_same(&all, &part));
        /* A file that reads whole in one pass reads whole in pieces. */
        if (whole >= 0)
            FUZZ_CHECK(part.len == all.len);
        qc_rcpt_list_free(&part);
    }
    qc_rcpt_list_free(&all);
    buf_free(why);
    return 0;
}
