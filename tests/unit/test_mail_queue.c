/*
 * test_mail_queue - unit tests for queue names, paths, file creation,
 * renames and the queue scanner (util/mail_queue.c).
 *
 * The file system cases run in a fresh spool below unit_tmpdir(): each
 * one chdirs there (the library works relative to the current
 * directory, like a daemon in queue_directory) and returns to the
 * original directory before it ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "buf.h"
#include "mail_queue.h"
#include "mem.h"
#include "queue_id.h"
#include "unit.h"

static void test_mail_queue_name_ok(void)
{
    static const struct {
        const char *name;
        const char *queue;
        int want;
    } cases[] = {
        {"incoming", MAIL_QUEUE_INCOMING, 1},
        {"digits", "queue2", 1},
        {"empty", "", 0},
        {"slash", "de/ferred", 0},
        {"dot dot", "..", 0},
        {"underscore", "my_queue", 0},
        {"space", "my queue", 0},
    };
    char name[MAIL_QUEUE_NAME_MAX + 2];

    for (size_t i = 0; i < UNIT_COUNT(cases); i++)
        CU_ASSERT_EQUAL(mail_queue_name_ok(cases[i].queue), cases[i].want);
    memset(name, 'q', MAIL_QUEUE_NAME_MAX);
    name[MAIL_QUEUE_NAME_MAX] = 0;
    CU_ASSERT_EQUAL(mail_queue_name_ok(name), 1);
    name[MAIL_QUEUE_NAME_MAX] = 'q';
    name[MAIL_QUEUE_NAME_MAX + 1] = 0;
    CU_ASSERT_EQUAL(mail_queue_name_ok(name), 0);
}

static void test_mail_queue_file_ready(void)
{
    static const struct {
        const char *name;
        mode_t mode;
        int want;
    } cases[] = {
        {"complete", S_IFREG | 0700, 1},
        {"being written", S_IFREG | 0600, 0},
        {"maildrop complete", S_IFREG | 0744, 1},
        {"with unthrottle flag",
         S_IFREG | MAIL_QUEUE_STAT_READY | MAIL_QUEUE_STAT_UNTHROTTLE, 1},
        {"with expire flag",
         S_IFREG | MAIL_QUEUE_STAT_READY | MAIL_QUEUE_STAT_EXPIRE, 1},
        {"marked corrupt", S_IFREG | MAIL_QUEUE_STAT_CORRUPT, 0},
        {"owner r-x", S_IFREG | 0500, 0},
        {"group bits do not count", S_IFREG | 0670, 0},
        {"directory", S_IFDIR | 0700, 0},
    };
    struct stat st;

    CU_ASSERT_EQUAL(MAIL_QUEUE_STAT_READY, 0700);
    CU_ASSERT_EQUAL(MAIL_QUEUE_STAT_CORRUPT, 0400);
    CU_ASSERT_EQUAL(MAIL_QUEUE_STAT_UNTHROTTLE, 040);
    CU_ASSERT_EQUAL(MAIL_QUEUE_STAT_EXPIRE, 010);
    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        memset(&st, 0, sizeof(st));
        st.st_mode = cases[i].mode;
        CU_ASSERT_EQUAL(mail_queue_file_ready(&st), cases[i].want);
    }
}

static void test_mail_queue_set_hashing(void)
{
    static const struct {
        const char *name;
        const char *names;
        int depth;
        int want;
    } cases[] = {
        {"defaults", "deferred, defer", 1, 0},
        {"all separators", " deferred,\tdefer\r\nflush ,, ", 2, 0},
        {"empty list", "", 1, 0},
        {"largest depth", "deferred", MAIL_QUEUE_HASH_DEPTH_MAX, 0},
        {"depth zero", "deferred", 0, -1},
        {"depth too large", "deferred", MAIL_QUEUE_HASH_DEPTH_MAX + 1, -1},
        {"bad queue name", "deferred, de/fer", 1, -1},
    };

    for (size_t i = 0; i < UNIT_COUNT(cases); i++)
        CU_ASSERT_EQUAL(mail_queue_set_hashing(cases[i].names, cases[i].depth),
                        cases[i].want);

    /* A rejected setting leaves the previous one in force. */
    CU_ASSERT_EQUAL(mail_queue_set_hashing("deferred, flush", 1), 0);
    CU_ASSERT_EQUAL(mail_queue_set_hashing("active", 0), -1);
    CU_ASSERT(mail_queue_is_hashed("deferred"));
    CU_ASSERT(mail_queue_is_hashed("flush"));
    CU_ASSERT(!mail_queue_is_hashed("active"));
    CU_ASSERT(!mail_queue_is_hashed("defer"));
    CU_ASSERT(!mail_queue_is_hashed("deferre"));
    mail_queue_set_hashing(MAIL_QUEUE_HASH_NAMES_DEFAULT,
                           MAIL_QUEUE_HASH_DEPTH_DEFAULT);
}

static void test_mail_queue_path(void)
{
    static const struct {
        const char *name;
        const char *hashed;
        int depth;
        const char *queue;
        const char *id;
        const char *want_dir;
        const char *want_path;
    } cases[] = {
        {"flat queue", "deferred, defer", 1, "incoming", "3F2A1B7C4D",
         "incoming", "incoming/3F2A1B7C4D"},
        {"hashed, depth 1", "deferred, defer", 1, "deferred", "3F2A1B7C4D",
         "deferred/3", "deferred/3/3F2A1B7C4D"},
        {"defer log, depth 1", "deferred, defer", 1, "defer", "3F2A1B7C4D",
         "defer/3", "defer/3/3F2A1B7C4D"},
        {"hashed, depth 2", "deferred, defer", 2, "deferred", "3F2A1B7C4D",
         "deferred/3/F", "deferred/3/F/3F2A1B7C4D"},
        {"flat at depth 2", "deferred, defer", 2, "hold", "3F2A1B7C4D", "hold",
         "hold/3F2A1B7C4D"},
        /* "75pl" = 999999 = 0xF423F */
        {"long ID, depth 1", "deferred", 1, "deferred", "4SVLCh75plzLDg6L",
         "deferred/F", "deferred/F/4SVLCh75plzLDg6L"},
        {"long ID, depth 2", "deferred", 2, "deferred", "4SVLCh75plzLDg6L",
         "deferred/F/4", "deferred/F/4/4SVLCh75plzLDg6L"},
        /* The hash key of a long ID has five characters. */
        {"long ID, depth 7", "deferred", 7, "deferred", "4SVLCh75plzLDg6L",
         "deferred/F/4/2/3/F/_/_", "deferred/F/4/2/3/F/_/_/4SVLCh75plzLDg6L"},
        {"key shorter than depth", "flush", 3, "flush", "ab", "flush/a/b/_",
         "flush/a/b/_/ab"},
        {"nothing hashed", "", 1, "deferred", "3F2A1B7C4D", "deferred",
         "deferred/3F2A1B7C4D"},
    };
    struct buf *out = buf_alloc(0);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        CU_ASSERT_EQUAL_FATAL(
            mail_queue_set_hashing(cases[i].hashed, cases[i].depth), 0);
        buf_set_str(out, "junk");
        mail_queue_dir(out, cases[i].queue, cases[i].id);
        CU_ASSERT_STRING_EQUAL(buf_str(out), cases[i].want_dir);
        buf_set_str(out, "junk");
        mail_queue_path(out, cases[i].queue, cases[i].id);
        CU_ASSERT_STRING_EQUAL(buf_str(out), cases[i].want_path);
    }
    mail_queue_set_hashing(MAIL_QUEUE_HASH_NAMES_DEFAULT,
                           MAIL_QUEUE_HASH_DEPTH_DEFAULT);
    buf_free(out);
}

/* --- file system cases: a private spool, entered and left --- */

static int saved_cwd = -1;

static void spool_enter(void)
{
    static int serial;
    static const char *const queues[] = {"incoming", "active", "deferred",
                                         "hold", "flush"};
    char *dir;
    char name[32];

    snprintf(name, sizeof(name), "spool%d", ++serial);
    dir = unit_tmpfile(name);
    saved_cwd = open(".", O_RDONLY | O_DIRECTORY);
    CU_ASSERT_FATAL(saved_cwd >= 0);
    CU_ASSERT_FATAL(mkdir(dir, 0700) == 0);
    CU_ASSERT_FATAL(chdir(dir) == 0);
    for (size_t i = 0; i < UNIT_COUNT(queues); i++)
        CU_ASSERT_FATAL(mkdir(queues[i], 0700) == 0);
    mem_free(dir);
    umask(077);
}

static void spool_leave(void)
{
    CU_ASSERT(fchdir(saved_cwd) == 0);
    close(saved_cwd);
    saved_cwd = -1;
    mail_queue_set_hashing(MAIL_QUEUE_HASH_NAMES_DEFAULT,
                           MAIL_QUEUE_HASH_DEPTH_DEFAULT);
}

static int count_entries(const char *dir)
{
    char cmd[256];
    FILE *fp;
    int count = -1;

    snprintf(cmd, sizeof(cmd), "find '%s' -mindepth 1 -type f | wc -l", dir);
    if ((fp = popen(cmd, "r")) != NULL) {
        if (fscanf(fp, "%d", &count) != 1)
            count = -1;
        pclose(fp);
    }
    return count;
}

static void test_mail_queue_create_short(void)
{
    struct buf *id = buf_alloc(0);
    struct buf *path = buf_alloc(0);
    char inode_hex[32];
    char usec_hex[6];
    struct stat st;
    struct stat path_st;
    int fd;

    spool_enter();
    fd = mail_queue_create(MAIL_QUEUE_INCOMING, 0600, 0, id);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(fstat(fd, &st) == 0);
    snprintf(inode_hex, sizeof(inode_hex), "%lX", (unsigned long)st.st_ino);
    /* Five hex digits of microseconds, then the inode in hex. */
    CU_ASSERT_EQUAL(buf_len(id), 5 + strlen(inode_hex));
    CU_ASSERT_STRING_EQUAL(buf_str(id) + 5, inode_hex);
    CU_ASSERT(strspn(buf_str(id), "0123456789ABCDEF") == buf_len(id));
    memcpy(usec_hex, buf_str(id), 5);
    usec_hex[5] = 0;
    CU_ASSERT(strtol(usec_hex, NULL, 16) <= 999999);
    /* The file is at its final name, in the flat queue, not yet ready. */
    mail_queue_path(path, MAIL_QUEUE_INCOMING, buf_str(id));
    CU_ASSERT_FATAL(stat(buf_str(path), &path_st) == 0);
    CU_ASSERT_EQUAL(path_st.st_ino, st.st_ino);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
    CU_ASSERT(!mail_queue_file_ready(&st));
    CU_ASSERT_EQUAL(count_entries("incoming"), 1);
    /* The descriptor is open for reading and writing. */
    CU_ASSERT_EQUAL(write(fd, "ok", 2), 2);
    CU_ASSERT_EQUAL(lseek(fd, 0, SEEK_SET), 0);
    {
        char data[2];

        CU_ASSERT_EQUAL(read(fd, data, 2), 2);
        CU_ASSERT(memcmp(data, "ok", 2) == 0);
    }
    close(fd);
    spool_leave();
    buf_free(id);
    buf_free(path);
}

static void test_mail_queue_create_long_hashed(void)
{
    struct buf *id = buf_alloc(0);
    struct buf *key = buf_alloc(0);
    struct buf *path = buf_alloc(0);
    char want_path[300];
    struct timeval before;
    struct timeval after;
    struct stat st;
    struct stat path_st;
    time_t sec;
    long usec;
    unsigned long inode;
    int fd;

    spool_enter();
    CU_ASSERT_FATAL(mail_queue_set_hashing("deferred", 2) == 0);
    gettimeofday(&before, NULL);
    fd = mail_queue_create(MAIL_QUEUE_DEFERRED, 0600, 1, id);
    gettimeofday(&after, NULL);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(fstat(fd, &st) == 0);
    CU_ASSERT(queue_id_is_long(buf_str(id)));
    CU_ASSERT_FATAL(queue_id_decode_long(buf_str(id), &sec, &usec, &inode) ==
                    0);
    CU_ASSERT_EQUAL(inode, (unsigned long)st.st_ino);
    CU_ASSERT(sec >= before.tv_sec && sec <= after.tv_sec);
    /* The missing hash subdirectories were made, two levels deep. */
    queue_id_hash_key(buf_str(id), key);
    snprintf(want_path, sizeof(want_path), "deferred/%c/%c/%s", buf_str(key)[0],
             buf_str(key)[1], buf_str(id));
    mail_queue_path(path, MAIL_QUEUE_DEFERRED, buf_str(id));
    CU_ASSERT_STRING_EQUAL(buf_str(path), want_path);
    CU_ASSERT_FATAL(stat(buf_str(path), &path_st) == 0);
    CU_ASSERT_EQUAL(path_st.st_ino, st.st_ino);
    CU_ASSERT_EQUAL(count_entries("deferred"), 1);
    want_path[10] = 0; /* "deferred/X" */
    CU_ASSERT_FATAL(stat(want_path, &path_st) == 0);
    CU_ASSERT(S_ISDIR(path_st.st_mode));
    CU_ASSERT_EQUAL(path_st.st_mode & 07777, 0700);
    close(fd);
    spool_leave();
    buf_free(id);
    buf_free(key);
    buf_free(path);
}

static void test_mail_queue_create_errors(void)
{
    struct buf *id = buf_alloc(0);

    spool_enter();
    buf_set_str(id, "unchanged");
    errno = 0;
    CU_ASSERT_EQUAL(mail_queue_create("nosuchqueue", 0600, 0, id), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_EQUAL(mail_queue_create("../etc", 0600, 0, id), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_STRING_EQUAL(buf_str(id), "unchanged");
    spool_leave();
    buf_free(id);
}

static void test_mail_queue_rename_remove(void)
{
    struct buf *id = buf_alloc(0);
    struct buf *path = buf_alloc(0);
    struct buf *dir = buf_alloc(0);
    struct stat st;
    int fd;

    spool_enter();
    CU_ASSERT_FATAL(mail_queue_set_hashing("deferred, defer", 1) == 0);
    fd = mail_queue_create(MAIL_QUEUE_INCOMING, 0600, 0, id);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);

    /* flat -> hashed: the subdirectory does not exist yet. */
    mail_queue_dir(dir, MAIL_QUEUE_DEFERRED, buf_str(id));
    CU_ASSERT_EQUAL(stat(buf_str(dir), &st), -1);
    CU_ASSERT_EQUAL(mail_queue_rename(buf_str(id), MAIL_QUEUE_INCOMING,
                                      MAIL_QUEUE_DEFERRED),
                    0);
    CU_ASSERT(stat(buf_str(dir), &st) == 0 && S_ISDIR(st.st_mode));
    mail_queue_path(path, MAIL_QUEUE_DEFERRED, buf_str(id));
    CU_ASSERT_EQUAL(stat(buf_str(path), &st), 0);
    CU_ASSERT_EQUAL(count_entries("incoming"), 0);

    /* hashed -> flat. */
    CU_ASSERT_EQUAL(
        mail_queue_rename(buf_str(id), MAIL_QUEUE_DEFERRED, MAIL_QUEUE_HOLD),
        0);
    mail_queue_path(path, MAIL_QUEUE_HOLD, buf_str(id));
    CU_ASSERT_STRING_EQUAL(buf_str(path) + 5, buf_str(id));
    CU_ASSERT_EQUAL(stat(buf_str(path), &st), 0);
    CU_ASSERT_EQUAL(count_entries("deferred"), 0);

    /* Missing file, and names that would leave the queue. */
    CU_ASSERT_EQUAL(
        mail_queue_rename(buf_str(id), MAIL_QUEUE_DEFERRED, MAIL_QUEUE_ACTIVE),
        -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_EQUAL(mail_queue_rename("../x", MAIL_QUEUE_HOLD, "active"), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_EQUAL(mail_queue_rename(buf_str(id), MAIL_QUEUE_HOLD, "a/b"), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);

    /* Open by name, then remove. */
    fd = mail_queue_open(MAIL_QUEUE_HOLD, buf_str(id), O_RDONLY, 0);
    CU_ASSERT(fd >= 0);
    if (fd >= 0)
        close(fd);
    CU_ASSERT_EQUAL(mail_queue_open(MAIL_QUEUE_HOLD, "a.b", O_RDONLY, 0), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_EQUAL(mail_queue_remove(MAIL_QUEUE_HOLD, buf_str(id)), 0);
    CU_ASSERT_EQUAL(mail_queue_remove(MAIL_QUEUE_HOLD, buf_str(id)), -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_EQUAL(mail_queue_open(MAIL_QUEUE_HOLD, buf_str(id), O_RDONLY, 0),
                    -1);
    CU_ASSERT_EQUAL(errno, ENOENT);
    spool_leave();
    buf_free(id);
    buf_free(path);
    buf_free(dir);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_mail_scan(void)
{
    enum { CREATED = 6 };
    static const struct {
        const char *path;
        int is_dir;
        const char *id; /* NULL: the scanner must skip it */
    } extras[] = {
        {"deferred/123456.7890", 0, NULL}, /* a temporary file */
        {"deferred/junk.file", 0, NULL},
        {"deferred/longdir", 1, NULL}, /* not a hash directory */
        {"deferred/longdir/ABCDEF123", 0, NULL},
        {"deferred/Z", 1, NULL}, /* a hash directory from elsewhere */
        {"deferred/Z/9", 1, NULL},
        {"deferred/Z/9/ZZZZZ99", 0, "ZZZZZ99"}, /* found at any depth */
        {"deferred/Z/9/tmp.1", 0, NULL},
        {"deferred/FLAT123", 0, "FLAT123"}, /* left from a flat setup */
    };
    char *want[UNIT_COUNT(extras) + CREATED];
    char *got[UNIT_COUNT(extras) + CREATED + 5];
    size_t want_count = 0;
    size_t got_count = 0;
    struct buf *id = buf_alloc(0);
    struct buf *path = buf_alloc(0);
    struct mail_scan *scan;
    const char *name;

    spool_enter();
    CU_ASSERT_FATAL(mail_queue_set_hashing("deferred", 2) == 0);
    for (int i = 0; i < CREATED; i++) {
        int fd = mail_queue_create(MAIL_QUEUE_DEFERRED, 0600, i % 2, id);

        CU_ASSERT_FATAL(fd >= 0);
        close(fd);
        want[want_count++] = mem_strdup(buf_str(id));
    }
    for (size_t i = 0; i < UNIT_COUNT(extras); i++) {
        if (extras[i].is_dir) {
            CU_ASSERT_FATAL(mkdir(extras[i].path, 0700) == 0);
        } else {
            unit_write_file(extras[i].path, "x", 1);
        }
        if (extras[i].id)
            want[want_count++] = mem_strdup(extras[i].id);
    }

    CU_ASSERT_FATAL((scan = mail_scan_open(MAIL_QUEUE_DEFERRED)) != NULL);
    while ((name = mail_scan_next(scan)) != NULL &&
           got_count < UNIT_COUNT(got)) {
        struct stat st;

        got[got_count++] = mem_strdup(name);
        /* mail_scan_path() is where the file really is. */
        CU_ASSERT(stat(mail_scan_path(scan), &st) == 0 && S_ISREG(st.st_mode));
        CU_ASSERT(strlen(mail_scan_path(scan)) > strlen(name) &&
                  strcmp(mail_scan_path(scan) + strlen(mail_scan_path(scan)) -
                             strlen(name),
                         name) == 0);
        /* Files we made are where the configuration puts them. */
        for (int i = 0; i < CREATED; i++) {
            if (strcmp(want[i], name) == 0) {
                mail_queue_path(path, MAIL_QUEUE_DEFERRED, name);
                CU_ASSERT_STRING_EQUAL(mail_scan_path(scan), buf_str(path));
            }
        }
    }
    CU_ASSERT_PTR_NULL(mail_scan_next(scan)); /* stays at the end */
    mail_scan_close(scan);

    qsort(want, want_count, sizeof(want[0]), compare_strings);
    qsort(got, got_count, sizeof(got[0]), compare_strings);
    CU_ASSERT_EQUAL(got_count, want_count);
    for (size_t i = 0; i < got_count && i < want_count; i++)
        CU_ASSERT_STRING_EQUAL(got[i], want[i]);

    /* An empty queue, a missing one, a bad name. */
    CU_ASSERT_FATAL((scan = mail_scan_open(MAIL_QUEUE_HOLD)) != NULL);
    CU_ASSERT_PTR_NULL(mail_scan_next(scan));
    mail_scan_close(scan);
    CU_ASSERT_PTR_NULL(mail_scan_open("nosuchqueue"));
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_PTR_NULL(mail_scan_open("../etc"));
    CU_ASSERT_EQUAL(errno, EINVAL);

    for (size_t i = 0; i < want_count; i++)
        mem_free(want[i]);
    for (size_t i = 0; i < got_count; i++)
        mem_free(got[i]);
    spool_leave();
    buf_free(id);
    buf_free(path);
}

static const struct unit_case name_cases[] = {
    {"queue names", test_mail_queue_name_ok},
    {"file ready mode", test_mail_queue_file_ready},
    {"hashing configuration", test_mail_queue_set_hashing},
    {"paths", test_mail_queue_path},
    {NULL, NULL},
};

static const struct unit_case file_cases[] = {
    {"create, short ID, flat queue", test_mail_queue_create_short},
    {"create, long ID, hashed queue", test_mail_queue_create_long_hashed},
    {"create errors", test_mail_queue_create_errors},
    {"rename, open and remove", test_mail_queue_rename_remove},
    {"scan", test_mail_scan},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"mail_queue names", name_cases},
    {"mail_queue files", file_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
