/*
 * test_safe_open - unit tests for safe spool file opening (util/safe_open.c)
 *
 * A table of file system situations (regular file, symbolic links, hard
 * links, directory, FIFO, missing file, wrong owner) crossed with open
 * flags, each with the expected result, errno and a word the reason must
 * contain; plus creation (with ownership when we run as root), O_TRUNC
 * only after the checks, and safe_open_dir_check().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "mem.h"
#include "safe_open.h"
#include "unit.h"

enum setup {
    SETUP_FILE,     /* regular file "content" */
    SETUP_SYMLINK,  /* symlink to a regular file */
    SETUP_DANGLING, /* symlink to a missing file */
    SETUP_HARDLINK, /* regular file with a second link */
    SETUP_DIR,      /* directory */
    SETUP_FIFO,     /* FIFO */
    SETUP_MISSING,  /* nothing */
};

static char case_path[512];
static char case_other[512];

/* Make the situation at case_path (case_other is a helper name). */
static void setup_path(enum setup setup)
{
    if (case_path[0] == 0) {
        snprintf(case_path, sizeof(case_path), "%s/spool-file", unit_tmpdir());
        snprintf(case_other, sizeof(case_other), "%s/spool-other",
                 unit_tmpdir());
    }
    unlink(case_path);
    rmdir(case_path);
    unlink(case_other);
    switch (setup) {
    case SETUP_FILE:
        unit_write_file(case_path, "content", 7);
        break;
    case SETUP_SYMLINK:
        unit_write_file(case_other, "victim", 6);
        CU_ASSERT_FATAL(symlink(case_other, case_path) == 0);
        break;
    case SETUP_DANGLING:
        CU_ASSERT_FATAL(symlink(case_other, case_path) == 0);
        break;
    case SETUP_HARDLINK:
        unit_write_file(case_other, "victim", 6);
        CU_ASSERT_FATAL(link(case_other, case_path) == 0);
        break;
    case SETUP_DIR:
        CU_ASSERT_FATAL(mkdir(case_path, 0700) == 0);
        break;
    case SETUP_FIFO:
        CU_ASSERT_FATAL(mkfifo(case_path, 0600) == 0);
        break;
    case SETUP_MISSING:
        break;
    }
}

static void cleanup_path(void)
{
    unlink(case_path);
    rmdir(case_path);
    unlink(case_other);
}

static void test_table(void)
{
    static const struct {
        const char *name;
        enum setup setup;
        int flags;
        int uid_offset; /* want_uid = getuid() + offset; -1: (uid_t)-1 */
        int ok;
        int want_errno;
        const char *why_word;
    } cases[] = {
        {"regular file", SETUP_FILE, O_RDONLY, 0, 1, 0, ""},
        {"regular file, any owner", SETUP_FILE, O_RDWR, -1, 1, 0, ""},
        {"regular file, O_CREAT", SETUP_FILE, O_RDWR | O_CREAT, 0, 1, 0, ""},
        {"symlink", SETUP_SYMLINK, O_RDONLY, 0, 0, ELOOP, "symbolic link"},
        {"symlink, O_CREAT", SETUP_SYMLINK, O_WRONLY | O_CREAT, 0, 0, ELOOP,
         "symbolic link"},
        {"dangling symlink, O_CREAT", SETUP_DANGLING, O_WRONLY | O_CREAT, 0, 0,
         ELOOP, "symbolic link"},
        {"hard link", SETUP_HARDLINK, O_RDONLY, 0, 0, EMLINK, "hard link"},
        {"hard link, O_TRUNC", SETUP_HARDLINK, O_WRONLY | O_TRUNC, 0, 0, EMLINK,
         "hard link"},
        {"directory", SETUP_DIR, O_RDONLY, 0, 0, EISDIR, "directory"},
        {"fifo", SETUP_FIFO, O_RDONLY, 0, 0, EINVAL, "not a regular file"},
        {"wrong owner", SETUP_FILE, O_RDONLY, 1, 0, EPERM, "owner"},
        {"missing", SETUP_MISSING, O_RDONLY, 0, 0, ENOENT, "No such file"},
        {"existing, O_CREAT|O_EXCL", SETUP_FILE, O_WRONLY | O_CREAT | O_EXCL, 0,
         0, EEXIST, "exists"},
    };
    struct buf *why = buf_alloc(16);

    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        uid_t want_uid = cases[i].uid_offset < 0
                             ? (uid_t)-1
                             : getuid() + (uid_t)cases[i].uid_offset;
        struct stat st;
        size_t len;
        char *data;
        int fd;

        setup_path(cases[i].setup);
        buf_set_str(why, "junk");
        errno = 0;
        fd = safe_open(case_path, cases[i].flags, 0600, want_uid, (gid_t)-1,
                       &st, why);
        if (cases[i].ok) {
            CU_ASSERT(fd >= 0);
            CU_ASSERT_EQUAL(buf_len(why), 0);
            CU_ASSERT(S_ISREG(st.st_mode));
            if (fd >= 0) {
                CU_ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
                CU_ASSERT_FALSE(fcntl(fd, F_GETFL) & O_NONBLOCK);
                close(fd);
            }
        } else {
            CU_ASSERT_EQUAL(fd, -1);
            CU_ASSERT_EQUAL(errno, cases[i].want_errno);
            CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(why), cases[i].why_word));
            if (fd >= 0)
                close(fd);
        }
        if ((fd >= 0) != cases[i].ok ||
            (!cases[i].ok && strstr(buf_str(why), cases[i].why_word) == NULL))
            fprintf(stderr, "\n%s: fd %d errno %d why \"%s\"\n", cases[i].name,
                    fd, errno, buf_str(why));
        /* Whatever a refused link pointed at is untouched. */
        if (cases[i].setup == SETUP_SYMLINK ||
            cases[i].setup == SETUP_HARDLINK) {
            data = unit_read_file(case_other, &len);
            CU_ASSERT(data != NULL && len == 6 &&
                      memcmp(data, "victim", 6) == 0);
            mem_free(data);
        }
        if (cases[i].setup == SETUP_DANGLING)
            CU_ASSERT(access(case_other, F_OK) < 0 && errno == ENOENT);
        cleanup_path();
    }
    buf_free(why);
}

static void test_same_file_as_checked(void)
{
    struct buf *why = buf_alloc(16);
    struct stat st;
    struct stat lst;
    int fd;

    setup_path(SETUP_FILE);
    CU_ASSERT_FATAL(lstat(case_path, &lst) == 0);
    fd = safe_open(case_path, O_RDONLY, 0, getuid(), getgid(), &st, why);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(st.st_ino, lst.st_ino);
    CU_ASSERT_EQUAL(st.st_dev, lst.st_dev);
    CU_ASSERT_EQUAL(st.st_size, 7);
    close(fd);
    /* why and st_out are optional. */
    fd = safe_open(case_path, O_RDONLY, 0, (uid_t)-1, (gid_t)-1, NULL, NULL);
    CU_ASSERT(fd >= 0);
    if (fd >= 0)
        close(fd);
    errno = 0;
    CU_ASSERT_EQUAL(
        safe_open(case_path, O_RDONLY, 0, getuid() + 1, (gid_t)-1, NULL, NULL),
        -1);
    CU_ASSERT_EQUAL(errno, EPERM);
    cleanup_path();
    buf_free(why);
}

static void test_create(void)
{
    struct buf *why = buf_alloc(16);
    struct stat st;
    mode_t old_umask;
    size_t len;
    char *data;
    int fd;

    setup_path(SETUP_MISSING);
    old_umask = umask(022);
    fd = safe_open(case_path, O_WRONLY | O_CREAT | O_EXCL, 0600, getuid(),
                   getgid(), &st, why);
    umask(old_umask);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(buf_len(why), 0);
    CU_ASSERT(S_ISREG(st.st_mode));
    CU_ASSERT_EQUAL(st.st_nlink, 1);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
    CU_ASSERT_EQUAL(st.st_uid, getuid());
    CU_ASSERT_EQUAL(write(fd, "new", 3), 3);
    close(fd);
    data = unit_read_file(case_path, &len);
    CU_ASSERT(data != NULL && len == 3 && memcmp(data, "new", 3) == 0);
    mem_free(data);

    /* Opening it again with O_CREAT finds the existing file. */
    fd = safe_open(case_path, O_RDWR | O_CREAT, 0600, getuid(), (gid_t)-1, &st,
                   why);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(st.st_size, 3);
    close(fd);
    cleanup_path();
    buf_free(why);
}

static void test_create_chown(void)
{
    struct buf *why = buf_alloc(16);
    struct stat st;
    int fd;

    if (geteuid() != 0) {
        fprintf(stderr, "[not root: skipped] ");
        buf_free(why);
        return;
    }
    setup_path(SETUP_MISSING);
    fd = safe_open(case_path, O_WRONLY | O_CREAT, 0600, 12345, 23456, &st, why);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(st.st_uid, 12345);
    CU_ASSERT_EQUAL(st.st_gid, 23456);
    close(fd);
    CU_ASSERT(lstat(case_path, &st) == 0 && st.st_uid == 12345);
    /* The owner check now wants that uid. */
    fd = safe_open(case_path, O_RDONLY, 0, 12345, (gid_t)-1, NULL, why);
    CU_ASSERT(fd >= 0);
    if (fd >= 0)
        close(fd);
    fd = safe_open(case_path, O_RDONLY, 0, 0, (gid_t)-1, NULL, why);
    CU_ASSERT_EQUAL(fd, -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(why), "uid 12345"));
    cleanup_path();
    buf_free(why);
}

static void test_truncate_after_checks(void)
{
    struct buf *why = buf_alloc(16);
    struct stat st;
    size_t len;
    char *data;
    int fd;

    setup_path(SETUP_FILE);
    fd = safe_open(case_path, O_WRONLY | O_TRUNC, 0, getuid(), (gid_t)-1, &st,
                   why);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(st.st_size, 0);
    close(fd);
    data = unit_read_file(case_path, &len);
    CU_ASSERT(data != NULL && len == 0);
    mem_free(data);

    /* Refused for its owner: must not have been truncated. */
    setup_path(SETUP_FILE);
    fd = safe_open(case_path, O_WRONLY | O_TRUNC, 0, getuid() + 1, (gid_t)-1,
                   &st, why);
    CU_ASSERT_EQUAL(fd, -1);
    data = unit_read_file(case_path, &len);
    CU_ASSERT(data != NULL && len == 7);
    mem_free(data);
    cleanup_path();
    buf_free(why);
}

static void test_dir_check(void)
{
    char *dir = unit_tmpfile("queue-dir");
    char *file = unit_tmpfile("queue-file");
    char *link_path = unit_tmpfile("queue-link");
    char *missing = unit_tmpfile("queue-missing");
    static const struct {
        const char *name;
        int which; /* 0 dir, 1 file, 2 symlink, 3 missing */
        int uid_offset;
        mode_t mode;
        int ret;
        int want_errno;
        const char *why_word;
    } cases[] = {
        {"good", 0, 0, 0700, 0, 0, ""},
        {"any owner", 0, -1, 0700, 0, 0, ""},
        {"any mode", 0, 0, (mode_t)-1, 0, 0, ""},
        {"wrong mode", 0, 0, 0755, -1, EPERM, "mode 0700, expected 0755"},
        {"setgid expected", 0, 0, 02700, -1, EPERM, "mode"},
        {"wrong owner", 0, 1, 0700, -1, EPERM, "owner"},
        {"plain file", 1, 0, 0700, -1, ENOTDIR, "not a directory"},
        {"symlink to dir", 2, 0, 0700, -1, ELOOP, "symbolic link"},
        {"missing", 3, 0, 0700, -1, ENOENT, "No such file"},
    };
    const char *paths[4];
    struct buf *why = buf_alloc(16);

    CU_ASSERT_FATAL(mkdir(dir, 0700) == 0);
    CU_ASSERT_FATAL(chmod(dir, 0700) == 0);
    unit_write_file(file, "", 0);
    CU_ASSERT_FATAL(symlink(dir, link_path) == 0);
    paths[0] = dir;
    paths[1] = file;
    paths[2] = link_path;
    paths[3] = missing;
    for (size_t i = 0; i < UNIT_COUNT(cases); i++) {
        uid_t uid = cases[i].uid_offset < 0
                        ? (uid_t)-1
                        : getuid() + (uid_t)cases[i].uid_offset;
        int ret;

        buf_set_str(why, "junk");
        errno = 0;
        ret =
            safe_open_dir_check(paths[cases[i].which], uid, cases[i].mode, why);
        CU_ASSERT_EQUAL(ret, cases[i].ret);
        if (ret == 0) {
            CU_ASSERT_EQUAL(buf_len(why), 0);
        } else {
            CU_ASSERT_EQUAL(errno, cases[i].want_errno);
            CU_ASSERT_PTR_NOT_NULL(strstr(buf_str(why), cases[i].why_word));
        }
        if (ret != cases[i].ret)
            fprintf(stderr, "\n%s: %d why \"%s\"\n", cases[i].name, ret,
                    buf_str(why));
    }
    unlink(link_path);
    unlink(file);
    rmdir(dir);
    mem_free(dir);
    mem_free(file);
    mem_free(link_path);
    mem_free(missing);
    buf_free(why);
}

static const struct unit_case open_cases[] = {
    {"table of situations", test_table},
    {"opened file is the checked file", test_same_file_as_checked},
    {"create a new file", test_create},
    {"create and give away (root)", test_create_chown},
    {"O_TRUNC only after the checks", test_truncate_after_checks},
    {NULL, NULL},
};

static const struct unit_case dir_cases[] = {
    {"directory owner and mode", test_dir_check},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"safe_open", open_cases},
    {"safe_open_dir_check", dir_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
