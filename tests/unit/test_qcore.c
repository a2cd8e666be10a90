/*
 * test_qcore - unit tests of the queue manager core (qcore/)
 *
 * Without sockets or a master:
 *	- qc_message_read: a table of queue files built record by record,
 *	  the malformed ones rejected with a reason (missing end record,
 *	  bad or missing size record, no time or sender, a letter that does
 *	  not belong in its segment, a truncated record, content size that
 *	  does not lead to the X record, bad notify flags), good ones read
 *	  with their envelope data;
 *	- recipient limits: a first read stops at the limit and remembers
 *	  where; refills continue there (envelope and extracted segments,
 *	  across the content, through a pointer record), O/o/n records stay
 *	  with their R, done recipients are skipped;
 *	- the active queue in a temporary queue directory: a corrupt file is
 *	  moved to corrupt/ with a warning, an incomplete one is left alone,
 *	  a file whose recipients are all done is removed, a locked one goes
 *	  back to incoming/, leftovers in active/ go back to incoming/;
 *	- a destination dies after a failed pseudo-cohort: its waiting
 *	  entries go to the retry agent ("4.4.1 delivery temporarily
 *	  suspended: ..." as next hop), the message goes to deferred/ with its next
 *	  retry time, F revives; an unreachable transport likewise;
 *	- grouping of resolved recipients into entries per destination with
 *	  the destination recipient limit, filling an open entry of the same
 *	  message, and the counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "mail_queue.h"
#include "mem.h"
#include "msg.h"
#include "qc_impl.h"
#include "rec_type.h"
#include "stream.h"
#include "unit.h"

/* --- building queue files */

static void put_rec(struct buf *out, int type, const char *data, size_t len)
{
    size_t n = len;

    buf_append_char(out, type);
    do {
        int byte = n & 0x7f;

        n >>= 7;
        buf_append_char(out, n ? byte | 0x80 : byte);
    } while (n);
    buf_append(out, data, len);
}

static void put_str(struct buf *out, int type, const char *text)
{
    put_rec(out, type, text, strlen(text));
}

/*
 * A queue file from a compact description, one record per line:
 * "<letter><payload>". "M" marks the content start; the size record is
 * computed (C fields from the layout) unless the description starts with
 * a C line of its own. "P<n>" writes a pointer record to the offset of
 * line n (0-based; P0 is the dummy pointer 0). Two passes, so that
 * pointers may point forward (all record lengths are known after one).
 */
static struct buf *build_pass(const char *const *lines, const long *targets,
                              long *offsets)
{
    struct buf *out = buf_alloc(256);
    long data_offset = 0;
    long x_offset = 0;
    int own_size = lines[0] && lines[0][0] == 'C';
    int nrcpt = 0;
    size_t size_at = 0;
    char size[REC_TYPE_SIZE_LEN + 1];

    if (!own_size) {
        snprintf(size, sizeof(size), REC_TYPE_SIZE_FORMAT, 0L, 0L, 0L, 0L, 0L,
                 0L);
        put_rec(out, 'C', size, REC_TYPE_SIZE_LEN);
        size_at = 2; /* type byte, one length byte */
    }
    for (int i = 0; lines[i]; i++) {
        offsets[i] = (long)buf_len(out);
        if (lines[i][0] == 'P') {
            char ptr[32];
            long line = atol(lines[i] + 1);

            snprintf(ptr, sizeof(ptr), REC_TYPE_PTR_FORMAT,
                     line ? targets[line] : 0L);
            put_str(out, 'p', ptr);
            continue;
        }
        put_str(out, lines[i][0], lines[i] + 1);
        if (lines[i][0] == 'M')
            data_offset = (long)buf_len(out);
        if (lines[i][0] == 'X')
            x_offset = offsets[i];
        if (lines[i][0] == 'R')
            nrcpt++;
    }
    if (!own_size) {
        snprintf(size, sizeof(size), REC_TYPE_SIZE_FORMAT,
                 x_offset - data_offset, data_offset, (long)nrcpt, 0L,
                 x_offset - data_offset, 0L);
        memcpy(buf_str(out) + size_at, size, REC_TYPE_SIZE_LEN);
    }
    return out;
}

static struct buf *build_file(const char *const *lines)
{
    long first[64] = {0};
    long second[64] = {0};

    buf_free(build_pass(lines, first, first));
    return build_pass(lines, first, second);
}

static struct stream *file_stream(const struct buf *data)
{
    char *path = unit_tmpfile("qfile");
    int fd;

    unit_write_file(path, buf_str(data), buf_len(data));
    fd = open(path, O_RDWR);
    CU_ASSERT_FATAL(fd >= 0);
    mem_free(path);
    return stream_fdopen(fd, 1);
}

/* --- malformed and good files */

struct read_case {
    const char *name;
    const char *lines[24];
    const char *why; /* NULL: must be read; else part of the reason */
};

static const struct read_case read_cases[] = {
    {"good",
     {"T1700000000 5", "Acreate_time=1699999999", "Arewrite_context=local",
      "Ssender@example.org", "Ofirst@example.org", "Rfirst@example.org", "P0",
      "M", "NSubject: x", "N", "Nbody", "P0", "X", "E", NULL},
     NULL},
    {"missing end record",
     {"T1700000000 0", "Ss@example.org", "Ra@example.org", "M", "Nx", "X",
      NULL},
     "missing end record"},
    {"no size record first",
     {"CXX", "T1700000000 0", "Ss@example.org", "M", "Nx", "X", "E", NULL},
     "size record"},
    {"size record with zero offset",
     {"C              0               0               1               0 "
      "              0               0",
      "T1700000000 0", "Ss@example.org", "Ra@b", "M", "Nx", "X", "E", NULL},
     "bad size record"},
    {"no sender",
     {"T1700000000 0", "Ra@example.org", "M", "Nx", "X", "E", NULL},
     "missing sender record"},
    {"no time",
     {"Ss@example.org", "Ra@example.org", "M", "Nx", "X", "E", NULL},
     "missing time record"},
    {"bad time",
     {"Tyesterday", "Ss@example.org", "Ra@b", "M", "Nx", "X", "E", NULL},
     "bad time record"},
    {"content letter in envelope",
     {"T1700000000 0", "Ss@example.org", "Nbody", "Ra@b", "M", "Nx", "X", "E",
      NULL},
     "unexpected record type"},
    {"envelope letter in extracted",
     {"T1700000000 0", "Ss@example.org", "Ra@b", "M", "Nx", "X",
      "T1700000000 0", "E", NULL},
     "unexpected record type"},
    {"bad notify flags",
     {"T1700000000 0", "Ss@example.org", "Anotify_flags=99", "Ra@b", "M", "Nx",
      "X", "E", NULL},
     "notify"},
    {"malformed attribute",
     {"T1700000000 0", "Ss@example.org", "Anoequalsign", "Ra@b", "M", "Nx", "X",
      "E", NULL},
     "malformed attribute"},
    /* Found by fuzz_qmsg: data offset + content size overflowed. */
    {"size record fields overflow",
     {"C9223372036854775807 9223372036854775807 1 0 1 0", "T1700000000 0",
      "Ss@example.org", "Ra@b", "M", "Nx", "X", "E", NULL},
     "bad size record"},
    {NULL, {NULL}, NULL},
};

static void test_read_cases(void)
{
    for (const struct read_case *c = read_cases; c->name; c++) {
        struct buf *data = build_file(c->lines);
        struct stream *sp = file_stream(data);
        struct qc_message *m = qc_message_alloc("active", "ABCDEF0123");
        struct qc_rcpt_list out;
        struct buf *why = buf_alloc(32);
        int n;

        qc_rcpt_list_init(&out);
        unit_capture_start();
        n = qc_message_read(m, sp, 100, &out, why);
        unit_capture_stop();
        if (c->why == NULL) {
            UNIT_CHECK_INT(c->name, n, 1);
            UNIT_CHECK_STR(c->name, m->sender, "sender@example.org");
            UNIT_CHECK_INT(c->name, m->arrival.tv_sec, 1700000000);
            UNIT_CHECK_INT(c->name, m->arrival.tv_usec, 5);
            UNIT_CHECK_INT(c->name, m->create_time, 1699999999);
            UNIT_CHECK_STR(c->name, m->rewrite_context, "local");
            UNIT_CHECK_STR(c->name, out.info[0].orig_rcpt, "first@example.org");
            UNIT_CHECK_INT(c->name, out.info[0].offset > 0, 1);
            UNIT_CHECK_INT(c->name, m->rcpt_total, 1);
            UNIT_CHECK_INT(c->name, !!(m->flags & QC_MSG_FLAG_ALL_READ), 1);
            UNIT_CHECK_INT(c->name, m->cont_length > 0, 1);
        } else {
            UNIT_CHECK_INT(c->name, n, -1);
            UNIT_CHECK_HAS(c->name, buf_str(why), c->why);
            UNIT_CHECK_INT(c->name, out.len, 0);
        }
        qc_rcpt_list_free(&out);
        qc_message_free(m);
        buf_free(why);
        stream_close(sp);
        buf_free(data);
    }
}

static void test_truncated_record(void)
{
    static const char *const lines[] = {"T1700000000 0",
                                        "Ss@example.org",
                                        "Ra@example.org",
                                        "M",
                                        "Nx",
                                        "X",
                                        "E",
                                        NULL};
    struct buf *data = build_file(lines);
    struct qc_message *m = qc_message_alloc("active", "ABCDEF0123");
    struct qc_rcpt_list out;
    struct buf *why = buf_alloc(32);
    struct stream *sp;

    /* Cut in the middle of the sender record. */
    buf_truncate(data, REC_TYPE_SIZE_LEN + 2 + 15 + 6);
    sp = file_stream(data);
    qc_rcpt_list_init(&out);
    unit_capture_start();
    CU_ASSERT_EQUAL(qc_message_read(m, sp, 10, &out, why), -1);
    unit_capture_stop();
    CU_ASSERT_EQUAL(out.len, 0);
    qc_rcpt_list_free(&out);
    qc_message_free(m);
    buf_free(why);
    stream_close(sp);
    buf_free(data);
}

/* --- limits and refills */

static void test_limits_and_refill(void)
{
    const char *lines[64];
    char text[40][48];
    int n = 0;
    int t = 0;
    struct buf *data;
    struct stream *sp;
    struct qc_message *m = qc_message_alloc("active", "ABCDEF0123");
    struct qc_rcpt_list out;
    struct buf *why = buf_alloc(32);
    int got;

    lines[n++] = "T1700000000 0";
    lines[n++] = "Ss@example.org";
    /* Envelope: e0..e11, e3 already done, e5 with O and DSN data. */
    for (int i = 0; i < 12; i++) {
        if (i == 5) {
            lines[n++] = "Odsn-orig@example.org";
            lines[n++] = "Adsn_orig_rcpt=rfc822;x@example.org";
            lines[n++] = "Anotify_flags=4";
        }
        snprintf(text[t], sizeof(text[t]), "%ce%d@example.org",
                 i == 3 ? 'D' : 'R', i);
        lines[n++] = text[t++];
    }
    lines[n++] = "P0";
    lines[n++] = "M";
    lines[n++] = "NSubject: x";
    lines[n++] = "N";
    lines[n++] = "Nbody";
    lines[n++] = "X";
    /* Extracted: x0..x5. */
    for (int i = 0; i < 6; i++) {
        snprintf(text[t], sizeof(text[t]), "Rx%d@example.org", i);
        lines[n++] = text[t++];
    }
    lines[n++] = "E";
    lines[n] = NULL;
    data = build_file(lines);
    sp = file_stream(data);
    qc_rcpt_list_init(&out);

    /* First read: 4 recipients (e3 is done). */
    got = qc_message_read(m, sp, 4, &out, why);
    CU_ASSERT_EQUAL(got, 4);
    CU_ASSERT_STRING_EQUAL(out.info[3].address, "e4@example.org");
    CU_ASSERT(m->rcpt_offset > 0);
    CU_ASSERT_EQUAL(m->rcpt_unread, 17 - 4);
    CU_ASSERT_FALSE(m->flags & QC_MSG_FLAG_ALL_READ);
    CU_ASSERT_EQUAL(m->rcpt_total, 17); /* R records in the file */

    /* Refill: e5 keeps its O and DSN records. */
    got = qc_message_read(m, sp, 3, &out, why);
    CU_ASSERT_EQUAL(got, 3);
    CU_ASSERT_STRING_EQUAL(out.info[4].address, "e5@example.org");
    CU_ASSERT_STRING_EQUAL(out.info[4].orig_rcpt, "dsn-orig@example.org");
    CU_ASSERT_STRING_EQUAL(out.info[4].dsn_orig_rcpt, "rfc822;x@example.org");
    CU_ASSERT_EQUAL(out.info[4].notify_flags, 4);
    CU_ASSERT_PTR_NULL(out.info[5].orig_rcpt);

    /* Across the content into the extracted segment. */
    got = qc_message_read(m, sp, 7, &out, why);
    CU_ASSERT_EQUAL(got, 7);
    CU_ASSERT_STRING_EQUAL(out.info[10].address, "e11@example.org");
    CU_ASSERT_STRING_EQUAL(out.info[13].address, "x2@example.org");
    CU_ASSERT_FALSE(m->flags & QC_MSG_FLAG_ALL_READ);

    /* The rest, then nothing more. */
    got = qc_message_read(m, sp, 100, &out, why);
    CU_ASSERT_EQUAL(got, 3);
    CU_ASSERT_STRING_EQUAL(out.info[16].address, "x5@example.org");
    CU_ASSERT(m->flags & QC_MSG_FLAG_ALL_READ);
    CU_ASSERT_EQUAL(m->rcpt_unread, 0);
    CU_ASSERT_EQUAL(qc_message_read(m, sp, 100, &out, why), 0);
    CU_ASSERT_EQUAL(m->rcpt_read, 17);

    qc_rcpt_list_free(&out);
    qc_message_free(m);
    buf_free(why);
    stream_close(sp);
    buf_free(data);
}

/* Recipients after E, reached through a pointer record (cleanup edits). */
static void test_pointer_to_heap(void)
{
    static const char *const lines[] = {
        "T1700000000 0",
        "Ss@example.org",
        "Ra@example.org",
        "P10", /* -> line 10 */
        "M",
        "Nx",
        "X",
        "E",
        "wpadding",
        "Rnever@example.org", /* skipped: not reachable */
        "Rb@example.org",
        "P4",
        NULL};
    struct buf *data = build_file(lines);
    struct stream *sp = file_stream(data);
    struct qc_message *m = qc_message_alloc("active", "ABCDEF0123");
    struct qc_rcpt_list out;
    struct buf *why = buf_alloc(32);

    qc_rcpt_list_init(&out);
    CU_ASSERT_EQUAL(qc_message_read(m, sp, 10, &out, why), 2);
    if (out.len == 2) {
        CU_ASSERT_STRING_EQUAL(out.info[0].address, "a@example.org");
        CU_ASSERT_STRING_EQUAL(out.info[1].address, "b@example.org");
    }
    qc_rcpt_list_free(&out);
    qc_message_free(m);
    buf_free(why);
    stream_close(sp);
    buf_free(data);
}

/* --- the active queue in a temporary spool */

static int dummy_wanted(struct qc_message *m)
{
    (void)m;
    return 10;
}

static struct qc_entry *dummy_select(struct qc_transport *t)
{
    (void)t;
    return NULL;
}

static int created;
static int grown;

static void count_created(struct qc_entry *e)
{
    (void)e;
    created++;
}

static void count_grown(struct qc_entry *e, int added)
{
    (void)e;
    grown += added;
}

static const struct qc_sched_ops test_ops = {
    .name = "test",
    .select_entry = dummy_select,
    .recipients_wanted = dummy_wanted,
    .entry_created = count_created,
    .entry_grown = count_grown,
};

static char *spool;
static char *saved_cwd;

static int spool_setup(void)
{
    static const char *const dirs[] = {"incoming", "active", "deferred",
                                       "corrupt",  "defer",  "bounce",
                                       "trace"};

    saved_cwd = getcwd(NULL, 0);
    spool = unit_tmpfile("spool");
    mkdir(spool, 0700);
    if (chdir(spool) < 0)
        return -1;
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        mkdir(dirs[i], 0700);
    mail_queue_set_hashing("deferred, defer", 1);
    qc_in_test = 1;
    qc_sched = &test_ops;
    qc_params.message_recipient_minimum = 10;
    qc_params.message_active_limit = 100;
    qc_params.message_recipient_limit = 100;
    qc_backoff_params_init(&qc_params.backoff);
    return 0;
}

static void spool_teardown(void)
{
    if (chdir(saved_cwd) < 0)
        msg_warn("chdir back: %m");
    free(saved_cwd);
    mem_free(spool);
}

static void put_queue_file(const char *queue, const char *id,
                           const char *const *lines, mode_t mode)
{
    struct buf *data = build_file(lines);
    struct buf *path = buf_alloc(64);

    mail_queue_dir(path, queue, id);
    mkdir(buf_str(path), 0700);
    mail_queue_path(path, queue, id);
    unit_write_file(buf_str(path), buf_str(data), buf_len(data));
    chmod(buf_str(path), mode);
    buf_free(path);
    buf_free(data);
}

static int exists(const char *queue, const char *id)
{
    struct buf *path = buf_alloc(64);
    int ret;

    mail_queue_path(path, queue, id);
    ret = access(buf_str(path), F_OK) == 0;
    buf_free(path);
    return ret;
}

static const char *const corrupt_file[] = {
    "T1700000000 0", "Ss@x", "Ra@b", "M", "Nx", "X", NULL};
static const char *const done_file[] = {
    "T1700000000 0", "Ss@x", "Da@b", "Db@b", "M", "Nx", "X", "E", NULL};

static void test_corrupt_to_corrupt_queue(void)
{
    CU_ASSERT_FATAL(spool_setup() == 0);
    put_queue_file("incoming", "ABCDEF0001", corrupt_file, 0700);
    unit_capture_start();
    CU_ASSERT_EQUAL(qc_active_feed("incoming", "ABCDEF0001", 0), 1);
    unit_capture_stop();
    CU_ASSERT(exists("corrupt", "ABCDEF0001"));
    CU_ASSERT_FALSE(exists("active", "ABCDEF0001"));
    UNIT_CHECK_WARNING("corrupt", "saving corrupt file \"ABCDEF0001\" from "
                                  "queue \"active\" to queue \"corrupt\"");
    CU_ASSERT_EQUAL(qc_message_count, 0);

    /* Not complete (0600): left alone. */
    put_queue_file("incoming", "ABCDEF0002", done_file, 0600);
    CU_ASSERT_EQUAL(qc_active_feed("incoming", "ABCDEF0002", 0), 0);
    CU_ASSERT(exists("incoming", "ABCDEF0002"));

    /* Marked corrupt by an agent (0400 after it was admitted). */
    put_queue_file("incoming", "ABCDEF0003", done_file, 0700);
    CU_ASSERT_EQUAL(mail_queue_rename("ABCDEF0003", "incoming", "active"), 0);
    chmod("active/ABCDEF0003", 0400);
    CU_ASSERT_EQUAL(mail_queue_rename("ABCDEF0003", "active", "incoming"), 0);
    CU_ASSERT_EQUAL(qc_active_feed("incoming", "ABCDEF0003", 0), 0);
    spool_teardown();
}

static void test_all_done_removed(void)
{
    CU_ASSERT_FATAL(spool_setup() == 0);
    put_queue_file("incoming", "ABCDEF0004", done_file, 0700);
    CU_ASSERT_EQUAL(qc_active_feed("incoming", "ABCDEF0004", 0), 1);
    CU_ASSERT_FALSE(exists("active", "ABCDEF0004"));
    CU_ASSERT_FALSE(exists("incoming", "ABCDEF0004"));
    CU_ASSERT_FALSE(exists("corrupt", "ABCDEF0004"));
    CU_ASSERT_EQUAL(qc_message_count, 0);
    spool_teardown();
}

static void test_future_deferred_not_taken(void)
{
    struct buf *path = buf_alloc(64);
    struct timeval tv[2];

    CU_ASSERT_FATAL(spool_setup() == 0);
    put_queue_file("deferred", "ABCDEF0005", done_file, 0700);
    mail_queue_path(path, "deferred", "ABCDEF0005");
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec += 3600;
    tv[1] = tv[0];
    CU_ASSERT_EQUAL(utimes(buf_str(path), tv), 0);
    CU_ASSERT_EQUAL(qc_active_feed("deferred", "ABCDEF0005", 0), 0);
    CU_ASSERT(exists("deferred", "ABCDEF0005"));
    /* Trigger A: time stamps ignored. */
    CU_ASSERT_EQUAL(qc_active_feed("deferred", "ABCDEF0005", 1), 1);
    CU_ASSERT_FALSE(exists("deferred", "ABCDEF0005"));
    buf_free(path);
    spool_teardown();
}

static void test_locked_and_leftovers(void)
{
    int fd;
    struct stat st;

    CU_ASSERT_FATAL(spool_setup() == 0);
    /* Locked by "an agent": back to incoming, due in a minute. */
    put_queue_file("incoming", "ABCDEF0006", done_file, 0700);
    fd = open("incoming/ABCDEF0006", O_RDONLY);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(flock(fd, LOCK_SH | LOCK_NB), 0);
    CU_ASSERT_EQUAL(qc_active_feed("incoming", "ABCDEF0006", 0), 1);
    CU_ASSERT(exists("incoming", "ABCDEF0006"));
    CU_ASSERT_EQUAL(stat("incoming/ABCDEF0006", &st), 0);
    CU_ASSERT(st.st_mtime > time(NULL) + 30);
    close(fd);

    /* Leftovers in active/ go back to incoming/ with mtime now. */
    put_queue_file("active", "ABCDEF0007", done_file, 0700);
    put_queue_file("active", "ABCDEF0008", done_file, 0700);
    qc_active_leftovers();
    CU_ASSERT(exists("incoming", "ABCDEF0007"));
    CU_ASSERT(exists("incoming", "ABCDEF0008"));
    CU_ASSERT_FALSE(exists("active", "ABCDEF0007"));
    CU_ASSERT_EQUAL(stat("incoming/ABCDEF0007", &st), 0);
    CU_ASSERT(st.st_mtime <= time(NULL) + 1);
    spool_teardown();
}

/* --- grouping */

static struct qc_assign mk(struct qc_queue *q, const char *addr)
{
    struct qc_assign a;

    memset(&a, 0, sizeof(a));
    a.queue = q;
    a.rcpt.address = mem_strdup(addr);
    a.rcpt.offset = 100;
    return a;
}

static int entry_sizes(struct qc_queue *q, int *sizes, int max)
{
    struct qc_ring *r;
    int n = 0;

    QC_RING_FOREACH(r, &q->todo)
    {
        struct qc_entry *e = QC_RING_OBJ(r, struct qc_entry, queue_link);

        if (n < max)
            sizes[n] = e->rcpt.len;
        n++;
    }
    return n;
}

static void test_grouping(void)
{
    struct qc_transport *t;
    struct qc_queue *qa;
    struct qc_queue *qb;
    struct qc_message *m = qc_message_alloc("active", "ABCDEF0009");
    struct qc_message *m2 = qc_message_alloc("active", "ABCDEF0010");
    struct qc_assign items[16];
    int sizes[8];
    int n = 0;
    const char *qa_order[8];

    qc_sched = &test_ops;
    qc_in_test = 1;
    created = grown = 0;
    t = qc_transport_create("smtp");
    CU_ASSERT_EQUAL(t->dest_recipient_limit, 50); /* the default */
    CU_ASSERT_EQUAL(t->fb.initial, 5);
    CU_ASSERT_EQUAL(t->fb.limit, 20);
    CU_ASSERT_PTR_EQUAL(qc_transport_find("smtp"), t);
    t->dest_recipient_limit = 3;
    qa = qc_queue_create(t, "a.example", "a.example");
    qb = qc_queue_create(t, "b.example", "b.example");
    CU_ASSERT_PTR_EQUAL(qc_queue_find(t, "b.example"), qb);
    CU_ASSERT_EQUAL(qa->conc.window, 5);

    /* Interleaved: 7 for a, 2 for b. */
    items[n++] = mk(qa, "a1@a.example");
    items[n++] = mk(qb, "b1@b.example");
    items[n++] = mk(qa, "a2@a.example");
    items[n++] = mk(qa, "a3@a.example");
    items[n++] = mk(qa, "a4@a.example");
    items[n++] = mk(qb, "b2@b.example");
    items[n++] = mk(qa, "a5@a.example");
    items[n++] = mk(qa, "a6@a.example");
    items[n++] = mk(qa, "a7@a.example");
    qc_message_assign(m, items, n);
    CU_ASSERT_EQUAL(entry_sizes(qa, sizes, 8), 3);
    CU_ASSERT(sizes[0] == 3 && sizes[1] == 3 && sizes[2] == 1);
    CU_ASSERT_EQUAL(entry_sizes(qb, sizes, 8), 1);
    CU_ASSERT_EQUAL(sizes[0], 2);
    CU_ASSERT_EQUAL(created, 4);
    CU_ASSERT_EQUAL(m->refcount, 4);
    CU_ASSERT_EQUAL(m->rcpt_count, 9);
    CU_ASSERT_EQUAL(qa->todo_count, 3);
    CU_ASSERT_EQUAL(qa->todo_rcpt, 7);
    CU_ASSERT_EQUAL(qc_recipient_count, 9);

    /* File order is kept within a destination. */
    {
        struct qc_entry *e =
            QC_RING_OBJ(QC_RING_FIRST(&qa->todo), struct qc_entry, queue_link);

        for (int i = 0; i < 3; i++)
            qa_order[i] = e->rcpt.info[i].address;
        CU_ASSERT_STRING_EQUAL(qa_order[0], "a1@a.example");
        CU_ASSERT_STRING_EQUAL(qa_order[1], "a2@a.example");
        CU_ASSERT_STRING_EQUAL(qa_order[2], "a3@a.example");
    }

    /* A second batch fills the open entry (1 -> 3), then a new one. */
    n = 0;
    items[n++] = mk(qa, "a8@a.example");
    items[n++] = mk(qa, "a9@a.example");
    items[n++] = mk(qa, "a10@a.example");
    qc_message_assign(m, items, n);
    CU_ASSERT_EQUAL(entry_sizes(qa, sizes, 8), 4);
    CU_ASSERT(sizes[2] == 3 && sizes[3] == 1);
    CU_ASSERT_EQUAL(grown, 2);
    CU_ASSERT_EQUAL(created, 5);

    /* Another message never shares an entry. */
    n = 0;
    items[n++] = mk(qb, "c1@b.example");
    qc_message_assign(m2, items, n);
    CU_ASSERT_EQUAL(entry_sizes(qb, sizes, 8), 2);
    CU_ASSERT_EQUAL(m2->refcount, 1);

    /* Readiness: todo, window 5, not dead, no rate delay. */
    CU_ASSERT(qc_queue_ready(qa));
    CU_ASSERT(qc_transport_has_work(t));
    qa->flags |= QC_QUEUE_FLAG_RATE;
    CU_ASSERT_FALSE(qc_queue_ready(qa));
    CU_ASSERT(qc_queue_blocked(qa));
    qa->flags &= ~QC_QUEUE_FLAG_RATE;
    qa->busy_count = 5;
    CU_ASSERT_FALSE(qc_queue_ready(qa));
    qa->busy_count = 0;

    /* Take everything apart again: counters return to zero. */
    while (!qc_ring_empty(&qa->todo) || !qc_ring_empty(&qb->todo)) {
        struct qc_queue *q = qc_ring_empty(&qa->todo) ? qb : qa;
        struct qc_entry *e =
            QC_RING_OBJ(QC_RING_FIRST(&q->todo), struct qc_entry, queue_link);

        qc_entry_unlink(e);
        qc_entry_free(e);
    }
    CU_ASSERT_EQUAL(m->refcount, 0);
    CU_ASSERT_EQUAL(m->rcpt_count, 0);
    CU_ASSERT_EQUAL(m2->refcount, 0);
    CU_ASSERT_EQUAL(qc_recipient_count, 0);
    CU_ASSERT_EQUAL(qa->todo_rcpt, 0);
    qc_queue_free_if_idle(qa);
    CU_ASSERT_PTR_NULL(qc_queue_find(t, "a.example"));
    qc_message_free(m);
    qc_message_free(m2);
    qc_route_reset();
    CU_ASSERT_PTR_NULL(qc_transport_find("smtp"));
}

/* --- dead destinations */

static void test_dead_destination(void)
{
    char tline[32];
    const char *lines[] = {tline,
                           "Ss@example.org",
                           "Ra@dead.example",
                           "Rb@dead.example",
                           "Rc@dead.example",
                           "M",
                           "Nx",
                           "X",
                           "E",
                           NULL};
    struct qc_message *m;
    struct qc_rcpt_list out;
    struct qc_assign items[3];
    struct qc_transport *t;
    struct qc_queue *q;
    struct qc_entry *e;
    struct buf *why = buf_alloc(32);
    struct stream *sp;
    struct stat st;
    int fd;

    CU_ASSERT_FATAL(spool_setup() == 0);
    snprintf(tline, sizeof(tline), "T%ld 0", (long)time(NULL));
    put_queue_file("active", "ABCDEF0011", lines, 0700);
    fd = open("active/ABCDEF0011", O_RDWR);
    CU_ASSERT_FATAL(fd >= 0);
    sp = stream_fdopen(fd, 1);
    m = qc_message_alloc("active", "ABCDEF0011");
    qc_rcpt_list_init(&out);
    CU_ASSERT_EQUAL_FATAL(qc_message_read(m, sp, 10, &out, why), 3);
    stream_close(sp);
    qc_ring_append(&qc_messages, &m->active_link);
    qc_message_count++;

    t = qc_transport_create("smtp");
    t->dest_recipient_limit = 1; /* three entries */
    q = qc_queue_create(t, "dead.example", "dead.example");
    for (int i = 0; i < 3; i++) {
        memset(items + i, 0, sizeof(items[i]));
        items[i].queue = q;
        items[i].rcpt = out.info[i];
        items[i].seq = i;
    }
    out.len = 0;
    qc_message_assign(m, items, 3);
    CU_ASSERT_EQUAL(q->todo_count, 3);

    /* One delivery in progress. */
    e = QC_RING_OBJ(QC_RING_FIRST(&q->todo), struct qc_entry, queue_link);
    qc_ring_detach(&e->queue_link);
    qc_ring_append(&q->busy, &e->queue_link);
    q->todo_count--;
    q->todo_rcpt--;
    q->busy_count++;
    e->busy = 1;

    /* Window 5: five failed deliveries make one failed pseudo-cohort. */
    unit_capture_start();
    for (int i = 0; i < 5 && !(q->flags & QC_QUEUE_FLAG_DEAD); i++)
        qc_deliver_feedback(q, "4.4.1", "connection refused");
    unit_capture_stop();
    CU_ASSERT(q->flags & QC_QUEUE_FLAG_DEAD);
    CU_ASSERT_FALSE(qc_queue_ready(q));
    CU_ASSERT_EQUAL(q->todo_count, 0); /* the two waiting ones moved */
    CU_ASSERT_STRING_EQUAL(
        q->dead_reason, "delivery temporarily suspended: connection refused");
    CU_ASSERT_STRING_EQUAL(q->dead_status, "4.4.1");
    /* ... to the retry agent, which will defer them. */
    {
        struct qc_transport *rt = qc_transport_find("retry");
        struct qc_queue *rq;

        CU_ASSERT_PTR_NOT_NULL_FATAL(rt);
        rq = qc_queue_find(rt, "4.4.1 delivery temporarily suspended: "
                               "connection refused");
        CU_ASSERT_PTR_NOT_NULL_FATAL(rq);
        CU_ASSERT_STRING_EQUAL(rq->nexthop, rq->name);
        CU_ASSERT_EQUAL(rq->todo_count, 1); /* one entry, same message */
        CU_ASSERT_EQUAL(rq->todo_rcpt, 2);
        CU_ASSERT_EQUAL(m->refcount, 2);
        CU_ASSERT_FALSE(m->flags & QC_MSG_FLAG_DEFERRED);

        /* The retry agent answers "some deferred". */
        qc_entry_finish(
            QC_RING_OBJ(QC_RING_FIRST(&rq->todo), struct qc_entry, queue_link),
            QC_STAT_DEFER);
        CU_ASSERT(m->flags & QC_MSG_FLAG_DEFERRED);
        CU_ASSERT_EQUAL(m->refcount, 1);
    }

    /* The busy one ends deferred too: the message goes to deferred/. */
    unit_capture_start();
    qc_entry_finish(e, QC_STAT_DEFER);
    unit_capture_stop();
    CU_ASSERT_EQUAL(qc_message_count, 0);
    CU_ASSERT(exists("deferred", "ABCDEF0011"));
    CU_ASSERT_EQUAL(stat("deferred/A/ABCDEF0011", &st), 0);
    CU_ASSERT(st.st_mtime >= time(NULL) + 250); /* minimal_backoff_time */

    /* The dead queue stays until F (flush) revives it; idle, it goes. */
    CU_ASSERT_PTR_EQUAL(qc_queue_find(t, "dead.example"), q);
    qc_flush_dead();
    CU_ASSERT_PTR_NULL(qc_queue_find(t, "dead.example"));

    /* An unreachable transport: its waiting entries are deferred. */
    qc_transport_throttle(t, "4.3.0", "mail transport unavailable");
    CU_ASSERT(t->flags & QC_TRANSPORT_FLAG_DEAD);
    CU_ASSERT_FALSE(qc_transport_has_work(t));
    qc_flush_dead();
    CU_ASSERT_FALSE(t->flags & QC_TRANSPORT_FLAG_DEAD);

    qc_rcpt_list_free(&out);
    buf_free(why);
    qc_route_reset();
    spool_teardown();
}

static void test_hash_table(void)
{
    struct qc_htable *t = qc_htable_create();
    char key[32];
    int values[500];

    for (int i = 0; i < 500; i++) {
        snprintf(key, sizeof(key), "key%d", i);
        values[i] = i;
        qc_htable_enter(t, key, values + i);
    }
    for (int i = 0; i < 500; i += 7) {
        snprintf(key, sizeof(key), "key%d", i);
        CU_ASSERT_PTR_EQUAL(qc_htable_find(t, key), values + i);
    }
    qc_htable_delete(t, "key3");
    CU_ASSERT_PTR_NULL(qc_htable_find(t, "key3"));
    CU_ASSERT_PTR_NULL(qc_htable_find(t, "nokey"));
    qc_htable_free(t);
}

/*
 * Found by fuzz_qmsg: a recipient's offset is that of its R record, not
 * of the padding or pointer record before it (the delivery agent marks
 * the recipient done at that offset), and a first read that stops in
 * the heap after E resumes in the segment that pointed there.
 */
static void test_offsets_past_pointer_and_padding(void)
{
    static const char *const lines[] = {"T1700000000 0",
                                        "Ss@example.org",
                                        "wpadding",
                                        "Ra@example.org",
                                        "P9",
                                        "M",
                                        "Nx",
                                        "X",
                                        "E",
                                        "Rb@example.org",
                                        "P5",
                                        NULL};
    struct buf *data = build_file(lines);
    struct stream *sp = file_stream(data);
    struct qc_message *m = qc_message_alloc("active", "ABCDEF0123");
    struct qc_rcpt_list out;
    struct buf *why = buf_alloc(32);

    qc_rcpt_list_init(&out);
    CU_ASSERT_EQUAL(qc_message_read(m, sp, 1, &out, why), 1);
    CU_ASSERT_EQUAL(qc_message_read(m, sp, 1, &out, why), 1);
    CU_ASSERT_EQUAL(qc_message_read(m, sp, 1, &out, why), 0);
    CU_ASSERT(m->flags & QC_MSG_FLAG_ALL_READ);
    CU_ASSERT_EQUAL_FATAL(out.len, 2);
    CU_ASSERT_STRING_EQUAL(out.info[0].address, "a@example.org");
    CU_ASSERT_STRING_EQUAL(out.info[1].address, "b@example.org");
    for (int i = 0; i < out.len; i++) {
        CU_ASSERT(out.info[i].offset > 0 &&
                  (size_t)out.info[i].offset < buf_len(data));
        CU_ASSERT_EQUAL(buf_str(data)[out.info[i].offset], 'R');
    }
    qc_rcpt_list_free(&out);
    qc_message_free(m);
    buf_free(why);
    stream_close(sp);
    buf_free(data);
}

static void test_refill_from_heap_into_envelope(void)
{
    static const char *const lines[] = {"T1700000000 0",
                                        "Ss@example.org",
                                        "Rr1@example.org",
                                        "Rr2@example.org",
                                        "Rr3@example.org",
                                        "P10",
                                        "M",
                                        "Nx",
                                        "X",
                                        "E",
                                        "Rh1@example.org",
                                        "Rh2@example.org",
                                        "P6",
                                        NULL};
    struct buf *data = build_file(lines);
    struct stream *sp = file_stream(data);
    struct qc_message *m = qc_message_alloc("active", "ABCDEF0123");
    struct qc_rcpt_list out;
    struct buf *why = buf_alloc(32);

    qc_rcpt_list_init(&out);
    CU_ASSERT_EQUAL(qc_message_read(m, sp, 3, &out, why), 3);
    CU_ASSERT(m->rcpt_offset > m->data_offset); /* stopped in the heap */
    CU_ASSERT_EQUAL(qc_message_read(m, sp, 100, &out, why), 2);
    UNIT_CHECK_STR("refill reason", buf_str(why), "");
    CU_ASSERT(m->flags & QC_MSG_FLAG_ALL_READ);
    CU_ASSERT_EQUAL_FATAL(out.len, 5);
    CU_ASSERT_STRING_EQUAL(out.info[4].address, "h2@example.org");
    qc_rcpt_list_free(&out);
    qc_message_free(m);
    buf_free(why);
    stream_close(sp);
    buf_free(data);
}

static const struct unit_case reader_cases[] = {
    {"malformed and good files", test_read_cases},
    {"truncated record", test_truncated_record},
    {"limits and refills", test_limits_and_refill},
    {"pointer into the heap", test_pointer_to_heap},
    {"offsets past pointer and padding", test_offsets_past_pointer_and_padding},
    {"refill from the heap into the envelope",
     test_refill_from_heap_into_envelope},
    {NULL, NULL},
};

static const struct unit_case active_cases[] = {
    {"corrupt file to corrupt/", test_corrupt_to_corrupt_queue},
    {"all recipients done: removed", test_all_done_removed},
    {"deferred file not yet due", test_future_deferred_not_taken},
    {"locked file and leftovers", test_locked_and_leftovers},
    {NULL, NULL},
};

static const struct unit_case route_cases[] = {
    {"grouping into entries", test_grouping},
    {"dead destination and transport", test_dead_destination},
    {"hash table", test_hash_table},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"qc_message", reader_cases},
    {"qc_active", active_cases},
    {"qc_route", route_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
