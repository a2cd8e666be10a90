/*
 * bounce_append - add one recipient's status to a bounce, defer or trace log
 *
 * The APPEND request (bounce_proto.h) of the bounce, defer and trace
 * services: one record (bounce_log.h) is appended to bounce/<id>,
 * defer/<id> or trace/<id> (hashed per hash_queue_names, like the queue:
 * defer/ is hashed by default), created mode 0600.
 *
 *	bounce_append_log(queue, queue_id, rcpt, dsn)
 *		0 when the record is on stable storage, -1 otherwise.
 *
 * Crash safety: the file is opened O_APPEND and locked exclusively
 * (flock), so concurrent appends from several bounce processes never
 * interleave; the record is written with one write loop and fsync()ed
 * before the reply. If any write or the fsync fails, the file is
 * truncated back to the length it had before (the log is as it was) and
 * the client is told to try again (status non-zero), which makes the
 * delivery agent defer the recipient rather than lose its status.
 *
 * Diagnostics: warnings for an invalid queue ID, open, lock, write and
 * fsync failures. Configuration parameters:
 * backwards_bounce_logfile_compatibility (legacy line), hash_queue_names
 * and hash_queue_depth (through mail_queue.h).
 *
 * Choice: Postfix exits fatally after a failed append; we reply with an
 * error and carry on (the file is restored either way).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounce.h"
#include "mail_queue.h"
#include "msg.h"
#include "queue_id.h"

static int open_log(const char *queue, const char *queue_id)
{
    struct buf *path = buf_alloc(64);
    int fd;

    mail_queue_path(path, queue, queue_id);
    fd = open(buf_str(path),
              O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == ENOENT && mail_queue_is_hashed(queue)) {
        /* The hash subdirectory does not exist yet. */
        mail_queue_dir(path, queue, queue_id);
        if (mkdir(buf_str(path), 0700) < 0 && errno != EEXIST)
            msg_warn("mkdir %s: %m", buf_str(path));
        mail_queue_path(path, queue, queue_id);
        fd = open(buf_str(path),
                  O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
    if (fd < 0)
        msg_warn("open %s: %m", buf_str(path));
    buf_free(path);
    return fd;
}

int bounce_append_log(const char *queue, const char *queue_id,
                      const struct bounce_rcpt *rcpt,
                      const struct bounce_dsn *dsn)
{
    struct buf *rec;
    struct stat st;
    size_t done = 0;
    ssize_t n;
    int fd;
    int ret = -1;

    if (!queue_id_valid(queue_id)) {
        msg_warn("malformed queue ID in request: \"%.100s\"", queue_id);
        return -1;
    }
    if ((fd = open_log(queue, queue_id)) < 0)
        return -1;
    if (flock(fd, LOCK_EX) < 0) {
        msg_warn("lock %s/%s: %m", queue, queue_id);
        close(fd);
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        msg_warn("fstat %s/%s: %m", queue, queue_id);
        close(fd);
        return -1;
    }
    rec = buf_alloc(512);
    bounce_log_format(rec, rcpt, dsn, var_bounce_logfile_compat);
    while (done < buf_len(rec)) {
        n = write(fd, buf_str(rec) + done, buf_len(rec) - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            msg_warn("write %s/%s: %m", queue, queue_id);
            goto undo;
        }
        done += (size_t)n;
    }
    if (fsync(fd) < 0) {
        msg_warn("fsync %s/%s: %m", queue, queue_id);
        goto undo;
    }
    ret = 0;
    goto out;
undo:
    if (ftruncate(fd, st.st_size) < 0)
        msg_warn("truncate %s/%s back to %ld bytes: %m", queue, queue_id,
                 (long)st.st_size);
    else
        (void)fsync(fd);
out:
    buf_free(rec);
    close(fd); /* releases the lock */
    return ret;
}
