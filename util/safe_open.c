/*
 * safe_open - open spool files without being tricked
 *
 * The queue and the per-recipient log directories are writable by the
 * mail owner, and maildrop is writable by the postdrop group: a process
 * that opens a file there by name must make sure the name leads where it
 * should. safe_open() refuses symbolic links, anything but a regular
 * file, a file with more than one hard link (a link planted to some
 * victim file elsewhere on the same file system) and a file with the
 * wrong owner; and it makes sure the file it opened is the file it
 * checked, because a name can be swapped between the check and the open.
 *
 * Public functions:
 *	safe_open(path, flags, mode, want_uid, want_gid, st_out, why)
 *		open(2) with the checks above. Returns a close-on-exec
 *		descriptor, or -1 with errno set and, when why is not NULL,
 *		a short reason in why (without the path: callers add it).
 *		When st_out is not NULL it receives fstat() of the open file.
 *		want_uid (uid_t)-1 skips the owner check; the group of an
 *		existing file is not checked.
 *		Existing file: lstat, check, open with O_NOFOLLOW (and
 *		O_NONBLOCK, so that a FIFO swapped in cannot hang us; the
 *		flag is cleared again unless asked for), fstat, compare
 *		device and inode with the lstat result and check again.
 *		O_TRUNC is applied with ftruncate() only after all checks,
 *		so a file we refuse is never truncated.
 *		Missing file and O_CREAT: create with O_EXCL (mode subject to
 *		the umask, as with open(2)); if another process created the
 *		name first (EEXIST), the existing file is examined instead,
 *		once. A new file whose owner or group differs from a
 *		want_uid/want_gid that is not -1 is given them with fchown()
 *		(only root can give a file away; when the ids already match
 *		no call is made); if that fails the new file is removed.
 *		O_CREAT|O_EXCL on an existing name fails with EEXIST.
 *	safe_open_dir_check(path, want_uid, want_mode, why)
 *		0 when path is a directory (not a symbolic link to one)
 *		owned by want_uid whose permission bits (including setuid,
 *		setgid, sticky) equal want_mode; -1 with errno and why
 *		otherwise. (uid_t)-1 / (mode_t)-1 skip a check. For the
 *		ownership table of spec b.10 and `postern check`.
 *
 * errno on refusal: ELOOP symbolic link, EISDIR directory, EINVAL other
 * non-regular file, EMLINK more than one hard link, EPERM wrong owner,
 * EAGAIN the file changed while being opened, ENOTDIR not a directory.
 *
 * Diagnostics: none logged; the reason is returned in why.
 *
 * Configuration parameters: none (callers pass mail_owner's ids).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "safe_open.h"

static void safe_open_why(struct buf *why, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set why (if wanted) and errno together. */
static void safe_open_why(struct buf *why, int err, const char *fmt, ...)
{
    va_list ap;

    if (why != NULL) {
        buf_reset(why);
        va_start(ap, fmt);
        buf_append_vprintf(why, fmt, ap);
        va_end(ap);
    }
    errno = err;
}

static void safe_open_close(int fd)
{
    int saved_errno = errno;

    close(fd);
    errno = saved_errno;
}

/* The checks that apply both to the name (lstat) and the open file. */
static int safe_open_check(const struct stat *st, uid_t want_uid,
                           struct buf *why)
{
    if (S_ISLNK(st->st_mode)) {
        safe_open_why(why, ELOOP, "file is a symbolic link");
        return -1;
    }
    if (S_ISDIR(st->st_mode)) {
        safe_open_why(why, EISDIR, "file is a directory, not a regular file");
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        safe_open_why(why, EINVAL, "file is not a regular file");
        return -1;
    }
    if (st->st_nlink != 1) {
        safe_open_why(why, EMLINK, "file has %lu hard links, expected 1",
                      (unsigned long)st->st_nlink);
        return -1;
    }
    if (want_uid != (uid_t)-1 && st->st_uid != want_uid) {
        safe_open_why(why, EPERM, "file has wrong owner: uid %ld, expected %ld",
                      (long)st->st_uid, (long)want_uid);
        return -1;
    }
    return 0;
}

static int safe_open_existing(const char *path, int flags,
                              const struct stat *lst, uid_t want_uid,
                              struct stat *st_out, struct buf *why)
{
    struct stat fst;
    int open_flags;
    int fd;

    if (safe_open_check(lst, want_uid, why) < 0)
        return -1;
    open_flags = (flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_NOFOLLOW |
                 O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    if ((fd = open(path, open_flags)) < 0) {
        if (errno == ELOOP)
            safe_open_why(why, ELOOP, "file is a symbolic link");
        else
            safe_open_why(why, errno, "cannot open file: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &fst) < 0) {
        safe_open_why(why, errno, "cannot fstat file: %s", strerror(errno));
        safe_open_close(fd);
        return -1;
    }
    if (fst.st_dev != lst->st_dev || fst.st_ino != lst->st_ino) {
        safe_open_why(why, EAGAIN, "file was replaced while being opened");
        safe_open_close(fd);
        return -1;
    }
    /* A hard link or chown may have happened after the lstat. */
    if (safe_open_check(&fst, want_uid, why) < 0) {
        safe_open_close(fd);
        return -1;
    }
    if (!(flags & O_NONBLOCK)) {
        int fl = fcntl(fd, F_GETFL);

        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
            safe_open_why(why, errno, "cannot clear O_NONBLOCK: %s",
                          strerror(errno));
            safe_open_close(fd);
            return -1;
        }
    }
    if (flags & O_TRUNC) {
        if (ftruncate(fd, 0) < 0 || fstat(fd, &fst) < 0) {
            safe_open_why(why, errno, "cannot truncate file: %s",
                          strerror(errno));
            safe_open_close(fd);
            return -1;
        }
    }
    if (st_out != NULL)
        *st_out = fst;
    return fd;
}

/* Returns -1 with errno EEXIST and no why when the name appeared. */
static int safe_open_create(const char *path, int flags, mode_t mode,
                            uid_t want_uid, gid_t want_gid, struct stat *st_out,
                            struct buf *why)
{
    struct stat fst;
    struct stat lst;
    int fd;

    fd = open(path,
              (flags & ~O_TRUNC) | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
                  O_NOCTTY,
              mode);
    if (fd < 0) {
        if (errno != EEXIST)
            safe_open_why(why, errno, "cannot create file: %s",
                          strerror(errno));
        return -1;
    }
    if (fstat(fd, &fst) < 0) {
        safe_open_why(why, errno, "cannot fstat file: %s", strerror(errno));
        safe_open_close(fd);
        return -1;
    }
    if ((want_uid != (uid_t)-1 && fst.st_uid != want_uid) ||
        (want_gid != (gid_t)-1 && fst.st_gid != want_gid)) {
        if (fchown(fd, want_uid, want_gid) < 0 || fstat(fd, &fst) < 0) {
            safe_open_why(why, errno,
                          "cannot change owner of new file to uid %ld gid %ld: "
                          "%s",
                          (long)want_uid, (long)want_gid, strerror(errno));
            /* Remove our own new file only, not one swapped in for it. */
            if (lstat(path, &lst) == 0 && lst.st_dev == fst.st_dev &&
                lst.st_ino == fst.st_ino)
                unlink(path);
            safe_open_close(fd);
            return -1;
        }
    }
    if (st_out != NULL)
        *st_out = fst;
    return fd;
}

int safe_open(const char *path, int flags, mode_t mode, uid_t want_uid,
              gid_t want_gid, struct stat *st_out, struct buf *why)
{
    struct stat lst;
    int fd;

    if (why != NULL)
        buf_reset(why);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (lstat(path, &lst) < 0) {
            if (errno != ENOENT || !(flags & O_CREAT)) {
                safe_open_why(why, errno, "cannot open file: %s",
                              strerror(errno));
                return -1;
            }
            fd = safe_open_create(path, flags, mode, want_uid, want_gid, st_out,
                                  why);
            if (fd >= 0 || errno != EEXIST)
                return fd;
            /* Somebody else created it just now: examine theirs. */
            continue;
        }
        if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
            safe_open_why(why, EEXIST, "file exists");
            return -1;
        }
        return safe_open_existing(path, flags, &lst, want_uid, st_out, why);
    }
    safe_open_why(why, EAGAIN, "file kept appearing and disappearing");
    return -1;
}

int safe_open_dir_check(const char *path, uid_t want_uid, mode_t want_mode,
                        struct buf *why)
{
    struct stat st;

    if (why != NULL)
        buf_reset(why);
    if (lstat(path, &st) < 0) {
        safe_open_why(why, errno, "cannot examine directory: %s",
                      strerror(errno));
        return -1;
    }
    if (S_ISLNK(st.st_mode)) {
        safe_open_why(why, ELOOP, "directory is a symbolic link");
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        safe_open_why(why, ENOTDIR, "not a directory");
        return -1;
    }
    if (want_uid != (uid_t)-1 && st.st_uid != want_uid) {
        safe_open_why(why, EPERM,
                      "directory has wrong owner: uid %ld, expected %ld",
                      (long)st.st_uid, (long)want_uid);
        return -1;
    }
    if (want_mode != (mode_t)-1 && (st.st_mode & 07777) != want_mode) {
        safe_open_why(why, EPERM, "directory has mode %04o, expected %04o",
                      (unsigned)(st.st_mode & 07777), (unsigned)want_mode);
        return -1;
    }
    return 0;
}
