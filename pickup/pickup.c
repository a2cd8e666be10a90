/*
 * pickup - hand locally submitted mail (maildrop/) to cleanup
 *
 * A trigger server run by master (master.cf: pickup unix n - n 60 1
 * pickup): postdrop's W trigger after each new file, and master's wakeup
 * every 60 seconds, make it scan $queue_directory/maildrop. Every
 * complete file there (a regular file whose owner permission bits are
 * rwx, spec b.6; postdrop sets 0744 last) is opened without following
 * symbolic links (safe_open), read record by record with
 * line_length_limit as the longest record, checked against what a local
 * user may submit, and streamed to the cleanup service
 * (public/$cleanup_service_name) with the request flags
 * CLEANUP_FLAG_MASK_EXTERNAL | BOUNCE | AUTOUTF8 (627, what Postfix 3.7's
 * pickup sends) and what pickup adds (pickup_copy.c: a Received: header,
 * a T record when missing). Then it logs
 *	<queue ID>: uid=<file owner> from=<sender>
 * and reads cleanup's verdict. The maildrop file is removed only after
 * cleanup said OK (the message is then safe in incoming/).
 *
 * When things go wrong:
 *	- a malformed file (garbage, a record type a user may not send, a
 *	  record too long, no end record) is logged as
 *	  "warning: maildrop/ID: uid=N: malformed maildrop file: <problem>
 *	  -- file removed" and removed; cleanup is left without an end
 *	  record, so it drops its half-written queue file;
 *	- something that is not a regular file (a symbolic link, a FIFO),
 *	  or a file with more than one hard link, is logged and its name
 *	  removed (never followed); a file pickup may not read is logged
 *	  and skipped;
 *	- cleanup cannot be reached: a warning, the file stays, the scan
 *	  stops; the next trigger or wakeup retries. The connection breaks
 *	  while a file is sent: a warning, the file stays for the next
 *	  scan, the scan goes on with the next file (so that one file that
 *	  upsets cleanup does not hold up the others);
 *	- cleanup refuses the message: with status BAD or RCPT (the
 *	  message itself is unusable) the file is removed; with any other
 *	  status (DEFER, WRITE, ...) it stays for the next scan, as
 *	  Postfix's pickup does, and the scan goes on. Both log
 *	  "maildrop/ID: error writing <queue ID>: <reason>" (Postfix's
 *	  text) plus "-- file removed" or "-- will retry".
 * Files being written (owner bits not rwx) are left alone.
 *
 * Configuration parameters: line_length_limit, myhostname, mail_name,
 * cleanup_service_name, hash_queue_names, hash_queue_depth, and the
 * skeleton's (ipc_timeout for the cleanup connection, queue_directory,
 * mail_owner, max_use, max_idle, ...).
 *
 * Choices where Postfix's behaviour was not known or differs: Postfix's
 * pickup passes any envelope record and attribute of a maildrop file to
 * cleanup; we apply postdrop's rules (unknown attributes are dropped with
 * a warning, other record types make the file malformed). The uid= line
 * is logged only for a file that was read completely (Postfix logs it
 * as soon as it has the sender). Files requeued by "postsuper -r"
 * (owned by mail_owner, full queue files) are not handled yet: they
 * count as malformed.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup_client.h"
#include "cleanup_user.h"
#include "mail_queue.h"
#include "mem.h"
#include "msg.h"
#include "pickup.h"
#include "safe_open.h"
#include "server.h"
#include "stream.h"

static int pickup_line_length_limit;
static char *pickup_myhostname;
static char *pickup_mail_name;
static char *pickup_cleanup_service;
static char *pickup_hash_names;
static int pickup_hash_depth;

static const struct server_param pickup_params[] = {
    SERVER_INT("line_length_limit", &pickup_line_length_limit),
    SERVER_STR("myhostname", &pickup_myhostname),
    SERVER_STR("mail_name", &pickup_mail_name),
    SERVER_STR("cleanup_service_name", &pickup_cleanup_service),
    SERVER_STR("hash_queue_names", &pickup_hash_names),
    SERVER_INT("hash_queue_depth", &pickup_hash_depth),
    SERVER_PARAM_END,
};

#define PICKUP_NEXT 0 /* go on with the next file */
#define PICKUP_STOP 1 /* cleanup is unavailable: try again later */

static void pickup_remove(const char *path)
{
    if (unlink(path) < 0 && errno != ENOENT)
        msg_warn("remove %s: %m", path);
}

static int pickup_file(const char *path)
{
    struct cleanup_client *client;
    struct pickup_info info;
    struct stream *file;
    struct stat st;
    struct buf *why;
    struct buf *reason;
    int status;
    int ret = PICKUP_NEXT;
    int fd;

    if (lstat(path, &st) < 0 || S_ISDIR(st.st_mode))
        return PICKUP_NEXT;
    if (S_ISREG(st.st_mode) && (st.st_mode & S_IRWXU) != S_IRWXU)
        return PICKUP_NEXT; /* postdrop is still writing it */
    why = buf_alloc(100);
    if ((fd = safe_open(path, O_RDONLY, 0, (uid_t)-1, (gid_t)-1, &st, why)) <
        0) {
        if (errno == ELOOP || errno == EINVAL || errno == EMLINK) {
            /* Never followed; removing the name harms nothing. */
            msg_warn("%s: %s -- removed", path, buf_str(why));
            pickup_remove(path);
        } else if (errno != ENOENT && errno != EAGAIN) {
            msg_warn("%s: %s -- skipped", path, buf_str(why));
        }
        buf_free(why);
        return PICKUP_NEXT;
    }
    file = stream_fdopen(fd, 1);
    buf_printf(why, "public/%s", pickup_cleanup_service);
    if ((client = cleanup_client_open(buf_str(why), PICKUP_CLEANUP_FLAGS,
                                      server_ipc_timeout)) == NULL) {
        /* cleanup_client_open() said why; the file waits for next time. */
        stream_close(file);
        buf_free(why);
        return PICKUP_STOP;
    }
    reason = buf_alloc(100);
    memset(&info, 0, sizeof(info));
    info.uid = (long)st.st_uid;
    info.mtime = st.st_mtim.tv_sec;
    info.mtime_usec = st.st_mtim.tv_nsec / 1000;
    info.queue_id = client->queue_id;
    info.hostname = pickup_myhostname;
    info.mail_name = pickup_mail_name;
    info.now = time(NULL);
    info.rec_limit = (size_t)pickup_line_length_limit;
    info.sender = buf_alloc(100);
    switch (pickup_copy(file, client->stream, &info, path, why)) {
    case PICKUP_COPY_BAD:
        /* No end record: cleanup throws its half-written file away. */
        msg_warn("%s: uid=%ld: malformed maildrop file: %s -- file removed",
                 path, info.uid, buf_str(why));
        pickup_remove(path);
        break;
    case PICKUP_COPY_WRITE:
        msg_warn("%s: %s -- will retry", path, buf_str(why));
        break;
    default:
        msg_info("%s: uid=%ld from=<%s>", client->queue_id, info.uid,
                 buf_str(info.sender));
        status = cleanup_client_finish(client, reason);
        if (status == CLEANUP_STAT_OK) {
            pickup_remove(path);
        } else if (status & (CLEANUP_STAT_BAD | CLEANUP_STAT_RCPT)) {
            msg_warn("%s: error writing %s: %s -- file removed", path,
                     client->queue_id,
                     buf_len(reason) ? buf_str(reason)
                                     : cleanup_strerror((unsigned)status));
            pickup_remove(path);
        } else {
            msg_warn("%s: error writing %s: %s -- will retry", path,
                     client->queue_id,
                     buf_len(reason) ? buf_str(reason)
                                     : cleanup_strerror((unsigned)status));
        }
        break;
    }
    cleanup_client_close(client);
    stream_close(file);
    buf_free(info.sender);
    buf_free(reason);
    buf_free(why);
    return ret;
}

static void pickup_scan(void)
{
    struct mail_scan *scan;

    if ((scan = mail_scan_open(MAIL_QUEUE_MAILDROP)) == NULL) {
        msg_warn("open directory %s: %m", MAIL_QUEUE_MAILDROP);
        return;
    }
    while (mail_scan_next(scan) != NULL)
        if (pickup_file(mail_scan_path(scan)) == PICKUP_STOP)
            break;
    mail_scan_close(scan);
}

static void pickup_trigger(const char *data, size_t len, const char *service,
                           char **argv)
{
    (void)data;
    (void)len;
    (void)service;
    (void)argv;
    /* Any request byte means the same: look at maildrop. */
    pickup_scan();
}

static void pickup_post_init(const char *service, char **argv)
{
    (void)service;
    (void)argv;
    if (mail_queue_set_hashing(pickup_hash_names, pickup_hash_depth) < 0)
        msg_fatal("bad hash_queue_names or hash_queue_depth");
}

int main(int argc, char **argv)
{
    static const struct server_ops ops = {
        .model = SERVER_TRIGGER,
        .params = pickup_params,
        .post_init = pickup_post_init,
        .trigger = pickup_trigger,
    };

    server_main(argc, argv, &ops);
}
