/*
 * mail_queue - queue names, queue file paths, creating and moving files
 *
 * The spool is a set of queue directories under queue_directory, one
 * file per message; a message moves between queues only by rename(2)
 * (doc/INTERNALS.md has the states). All paths here are relative to the
 * current directory: daemons chdir to queue_directory first.
 *
 * Queues named in hash_queue_names spread their files over
 * hash_queue_depth levels of one-character subdirectories, named after
 * the leading characters of the ID's hash key (queue_id_hash_key(); '_'
 * when the key is shorter than the depth): with depth 1 the deferred file
 * 3F2A1B7C4D is deferred/3/3F2A1B7C4D, with depth 2
 * deferred/3/F/3F2A1B7C4D. Subdirectories are made on demand, mode 0700.
 *
 * A queue file is complete when its owner permission bits are exactly
 * rwx (MAIL_QUEUE_STAT_READY); writers create it 0600, and fchmod it
 * only after everything is written and flushed. The group bits carry
 * flags on complete files (unthrottle, force-expire), and 0400 marks a
 * file an agent found corrupt.
 *
 * Public functions:
 *	mail_queue_name_ok(name)	alphanumeric, 1..MAIL_QUEUE_NAME_MAX
 *	mail_queue_file_ready(st)	a regular file whose owner bits are
 *					exactly rwx
 *	mail_queue_set_hashing(names, depth)	apply hash_queue_names and
 *					hash_queue_depth; -1 (with a warning,
 *					old settings kept) on bad values
 *	mail_queue_is_hashed(queue)	queue uses subdirectories
 *	mail_queue_dir(out, queue, id)	"queue" or "queue/A[/B...]"
 *	mail_queue_path(out, queue, id)	the directory plus "/id"
 *	mail_queue_create(queue, mode, long_ids, id_out)
 *					new file with a fresh ID; fd (O_RDWR)
 *					or -1 with errno
 *	mail_queue_rename(id, old_queue, new_queue)	move; 0 or -1
 *	mail_queue_remove(queue, id)	unlink; 0 or -1
 *	mail_queue_open(queue, id, flags, mode)	open(2) by name
 *	mail_scan_open(queue), mail_scan_next(scan), mail_scan_path(scan),
 *	mail_scan_close(scan)		list the IDs in a queue, walking the
 *					hash subdirectories
 *
 * Creating a file: open "queue/<usec>.<pid>" exclusively, read its inode
 * number, make the ID from the time and the inode, and rename the file
 * to its final path. The temporary name contains a '.', so it is never
 * a valid ID and scanners skip it. The final rename refuses to replace
 * an existing file (RENAME_NOREPLACE where the file system has it): a
 * name collision (possible with short IDs after a spool was restored
 * from a copy) is retried with a fresh time instead of destroying a
 * message. After MAIL_QUEUE_CREATE_TRIES failed attempts the temporary
 * file is removed and -1 returned.
 *
 * Diagnostics: functions that touch the file system return -1 with
 * errno; an invalid queue name or ID gives EINVAL there. The path
 * builders panic on an invalid queue name or ID (a '/' or '.' would
 * escape the queue): callers validate names from outside first. The
 * scanner warns about subdirectories it cannot read and skips them.
 *
 * Configuration parameters (passed in by the caller): hash_queue_names,
 * hash_queue_depth, enable_long_queue_ids.
 */
/* renameat2() and RENAME_NOREPLACE are GNU extensions (-D_GNU_SOURCE). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "mail_queue.h"
#include "mem.h"
#include "msg.h"
#include "queue_id.h"

#define MAIL_QUEUE_HASH_SEPARATORS ", \t\r\n"
#define MAIL_QUEUE_SUBDIR_MODE     0700

static char **mail_queue_hash_names;
static size_t mail_queue_hash_count;
static int mail_queue_hash_depth = MAIL_QUEUE_HASH_DEPTH_DEFAULT;
static int mail_queue_hash_configured;

int mail_queue_name_ok(const char *name)
{
    size_t len;

    for (len = 0; name[len]; len++) {
        unsigned char ch = (unsigned char)name[len];

        if (len >= MAIL_QUEUE_NAME_MAX)
            return 0;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              (ch >= '0' && ch <= '9')))
            return 0;
    }
    return len > 0;
}

int mail_queue_file_ready(const struct stat *st)
{
    return S_ISREG(st->st_mode) &&
           (st->st_mode & S_IRWXU) == MAIL_QUEUE_STAT_READY;
}

static void mail_queue_free_names(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        mem_free(names[i]);
    mem_free(names);
}

int mail_queue_set_hashing(const char *hash_queue_names, int depth)
{
    char *copy;
    char *save = NULL;
    char **names = NULL;
    size_t count = 0;

    if (depth < 1 || depth > MAIL_QUEUE_HASH_DEPTH_MAX) {
        msg_warn("hash_queue_depth: value %d out of range 1..%d", depth,
                 MAIL_QUEUE_HASH_DEPTH_MAX);
        return -1;
    }
    copy = mem_strdup(hash_queue_names);
    for (char *name = strtok_r(copy, MAIL_QUEUE_HASH_SEPARATORS, &save);
         name != NULL;
         name = strtok_r(NULL, MAIL_QUEUE_HASH_SEPARATORS, &save)) {
        if (!mail_queue_name_ok(name)) {
            msg_warn("hash_queue_names: invalid queue name \"%s\"", name);
            mail_queue_free_names(names, count);
            mem_free(copy);
            return -1;
        }
        names = mem_realloc(names, (count + 1) * sizeof(*names));
        names[count++] = mem_strdup(name);
    }
    mem_free(copy);
    mail_queue_free_names(mail_queue_hash_names, mail_queue_hash_count);
    mail_queue_hash_names = names;
    mail_queue_hash_count = count;
    mail_queue_hash_depth = depth;
    mail_queue_hash_configured = 1;
    return 0;
}

int mail_queue_is_hashed(const char *queue)
{
    if (!mail_queue_hash_configured &&
        mail_queue_set_hashing(MAIL_QUEUE_HASH_NAMES_DEFAULT,
                               MAIL_QUEUE_HASH_DEPTH_DEFAULT) < 0)
        msg_panic("mail_queue_is_hashed: bad built-in defaults");
    for (size_t i = 0; i < mail_queue_hash_count; i++)
        if (strcmp(mail_queue_hash_names[i], queue) == 0)
            return 1;
    return 0;
}

static void mail_queue_check_names(const char *func, const char *queue,
                                   const char *id)
{
    if (!mail_queue_name_ok(queue))
        msg_panic("%s: invalid queue name \"%s\"", func, queue);
    if (!queue_id_valid(id))
        msg_panic("%s: invalid queue ID \"%s\"", func, id);
}

/* Both names valid, else EINVAL: for functions that return errors. */
static int mail_queue_names_ok(const char *queue, const char *id)
{
    if (mail_queue_name_ok(queue) && queue_id_valid(id))
        return 1;
    errno = EINVAL;
    return 0;
}

void mail_queue_dir(struct buf *out, const char *queue, const char *id)
{
    struct buf *key;

    mail_queue_check_names("mail_queue_dir", queue, id);
    buf_set_str(out, queue);
    if (!mail_queue_is_hashed(queue))
        return;
    key = buf_alloc(QUEUE_ID_MAX_LEN);
    queue_id_hash_key(id, key);
    for (int level = 0; level < mail_queue_hash_depth; level++) {
        buf_append_char(out, '/');
        buf_append_char(out, (size_t)level < buf_len(key) ? buf_str(key)[level]
                                                          : '_');
    }
    buf_free(key);
}

void mail_queue_path(struct buf *out, const char *queue, const char *id)
{
    mail_queue_dir(out, queue, id);
    buf_append_char(out, '/');
    buf_append_str(out, id);
}

/*
 * Make the hash subdirectories for id in queue, one level at a time. The
 * queue directory itself must exist: it belongs to the installation.
 */
static int mail_queue_make_dirs(const char *queue, const char *id)
{
    struct buf *dir = buf_alloc(64);
    size_t queue_len = strlen(queue);
    int ret = 0;

    mail_queue_dir(dir, queue, id);
    for (size_t end = queue_len + 2; end <= buf_len(dir); end += 2) {
        char *level = mem_strndup(buf_str(dir), end);

        if (mkdir(level, MAIL_QUEUE_SUBDIR_MODE) < 0 && errno != EEXIST)
            ret = -1;
        mem_free(level);
        if (ret < 0)
            break;
    }
    buf_free(dir);
    return ret;
}

/* rename(2) that fails with EEXIST instead of replacing a file. */
static int mail_queue_rename_noreplace(const char *from, const char *to)
{
    static int no_flag_support;

    if (!no_flag_support) {
        if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
            return 0;
        if (errno != EINVAL && errno != ENOSYS)
            return -1;
        /* This file system cannot refuse; rename as Postfix does. */
        no_flag_support = 1;
    }
    return rename(from, to);
}

int mail_queue_create(const char *queue, mode_t mode, int long_ids,
                      struct buf *id_out)
{
    struct buf *temp;
    struct buf *id;
    struct buf *path;
    struct timeval tv;
    struct stat st;
    int fd = -1;
    int saved_errno;

    if (!mail_queue_name_ok(queue)) {
        errno = EINVAL;
        return -1;
    }
    temp = buf_alloc(64);
    id = buf_alloc(32);
    path = buf_alloc(64);
    for (int tries = 0; fd < 0; tries++) {
        if (tries >= MAIL_QUEUE_CREATE_TRIES) {
            errno = EEXIST;
            goto fail;
        }
        gettimeofday(&tv, NULL);
        buf_printf(temp, "%s/%ld.%ld", queue, (long)tv.tv_usec, (long)getpid());
        fd = open(buf_str(temp), O_RDWR | O_CREAT | O_EXCL, mode);
        if (fd < 0 && errno != EEXIST)
            goto fail;
    }
    if (fstat(fd, &st) < 0)
        goto fail_unlink;
    for (int tries = 0;; tries++) {
        if (tries >= MAIL_QUEUE_CREATE_TRIES) {
            errno = EEXIST;
            goto fail_unlink;
        }
        gettimeofday(&tv, NULL);
        if (long_ids)
            queue_id_long(id, tv.tv_sec, (long)tv.tv_usec,
                          (unsigned long)st.st_ino);
        else
            queue_id_short(id, (long)tv.tv_usec, (unsigned long)st.st_ino);
        mail_queue_path(path, queue, buf_str(id));
        if (mail_queue_rename_noreplace(buf_str(temp), buf_str(path)) == 0)
            break;
        if (errno == ENOENT && mail_queue_is_hashed(queue)) {
            if (mail_queue_make_dirs(queue, buf_str(id)) < 0)
                goto fail_unlink;
        } else if (errno == EEXIST || errno == EPERM || errno == EISDIR) {
            /* The name is taken; the clock must move on to make another. */
            struct timespec pause = {0, 1000};

            nanosleep(&pause, NULL);
        } else {
            goto fail_unlink;
        }
    }
    buf_set(id_out, buf_str(id), buf_len(id));
    buf_free(temp);
    buf_free(id);
    buf_free(path);
    return fd;

fail_unlink:
    saved_errno = errno;
    unlink(buf_str(temp));
    close(fd);
    errno = saved_errno;
fail:
    buf_free(temp);
    buf_free(id);
    buf_free(path);
    return -1;
}

int mail_queue_rename(const char *id, const char *old_queue,
                      const char *new_queue)
{
    struct buf *old_path;
    struct buf *new_path;
    int ret;

    if (!mail_queue_names_ok(old_queue, id) ||
        !mail_queue_names_ok(new_queue, id))
        return -1;
    old_path = buf_alloc(64);
    new_path = buf_alloc(64);
    mail_queue_path(old_path, old_queue, id);
    mail_queue_path(new_path, new_queue, id);
    ret = rename(buf_str(old_path), buf_str(new_path));
    if (ret < 0 && errno == ENOENT && mail_queue_is_hashed(new_queue)) {
        int saved_errno = errno;

        /* Either the subdirectory or the file itself is missing. */
        if (mail_queue_make_dirs(new_queue, id) == 0)
            ret = rename(buf_str(old_path), buf_str(new_path));
        else
            errno = saved_errno;
    }
    buf_free(old_path);
    buf_free(new_path);
    return ret;
}

int mail_queue_remove(const char *queue, const char *id)
{
    struct buf *path;
    int ret;

    if (!mail_queue_names_ok(queue, id))
        return -1;
    path = buf_alloc(64);
    mail_queue_path(path, queue, id);
    ret = unlink(buf_str(path));
    buf_free(path);
    return ret;
}

int mail_queue_open(const char *queue, const char *id, int flags, mode_t mode)
{
    struct buf *path;
    int fd;

    if (!mail_queue_names_ok(queue, id))
        return -1;
    path = buf_alloc(64);
    mail_queue_path(path, queue, id);
    fd = open(buf_str(path), flags, mode);
    buf_free(path);
    return fd;
}

/*
 * The scanner keeps one open directory per level, the queue itself at
 * level 0. It descends into any one-character subdirectory rather than
 * only the configured depth, so that files hashed under an older
 * hash_queue_depth are still found.
 */
struct mail_scan_level {
    DIR *dir;
    char *path;
};

struct mail_scan {
    struct mail_scan_level level[MAIL_QUEUE_HASH_DEPTH_MAX + 1];
    int depth; /* open levels */
    struct buf *id;
    struct buf *path;
};

struct mail_scan *mail_scan_open(const char *queue)
{
    struct mail_scan *scan;
    DIR *dir;

    if (!mail_queue_name_ok(queue)) {
        errno = EINVAL;
        return NULL;
    }
    if ((dir = opendir(queue)) == NULL)
        return NULL;
    scan = mem_zalloc(sizeof(*scan));
    scan->level[0].dir = dir;
    scan->level[0].path = mem_strdup(queue);
    scan->depth = 1;
    scan->id = buf_alloc(QUEUE_ID_MAX_LEN);
    scan->path = buf_alloc(64);
    return scan;
}

static void mail_scan_pop(struct mail_scan *scan)
{
    struct mail_scan_level *lvl = &scan->level[--scan->depth];

    closedir(lvl->dir);
    mem_free(lvl->path);
    lvl->dir = NULL;
    lvl->path = NULL;
}

static int mail_scan_is_dir(const struct dirent *de, const char *path)
{
    struct stat st;

    if (de->d_type != DT_UNKNOWN)
        return de->d_type == DT_DIR;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *mail_scan_next(struct mail_scan *scan)
{
    while (scan->depth > 0) {
        struct mail_scan_level *lvl = &scan->level[scan->depth - 1];
        struct dirent *de;
        const char *name;
        DIR *sub;

        errno = 0;
        if ((de = readdir(lvl->dir)) == NULL) {
            if (errno != 0)
                msg_warn("read directory %s: %m", lvl->path);
            mail_scan_pop(scan);
            continue;
        }
        name = de->d_name;
        if (!queue_id_valid(name))
            continue; /* ".", "..", temporary "usec.pid" files, junk */
        buf_printf(scan->path, "%s/%s", lvl->path, name);
        if (!mail_scan_is_dir(de, buf_str(scan->path))) {
            buf_set_str(scan->id, name);
            return buf_str(scan->id);
        }
        if (name[1] != 0 || scan->depth > MAIL_QUEUE_HASH_DEPTH_MAX)
            continue;
        if ((sub = opendir(buf_str(scan->path))) == NULL) {
            msg_warn("open directory %s: %m", buf_str(scan->path));
            continue;
        }
        scan->level[scan->depth].dir = sub;
        scan->level[scan->depth].path = mem_strdup(buf_str(scan->path));
        scan->depth++;
    }
    buf_reset(scan->path);
    return NULL;
}

const char *mail_scan_path(const struct mail_scan *scan)
{
    return buf_str(scan->path);
}

void mail_scan_close(struct mail_scan *scan)
{
    if (scan == NULL)
        return;
    while (scan->depth > 0)
        mail_scan_pop(scan);
    buf_free(scan->id);
    buf_free(scan->path);
    mem_free(scan);
}
