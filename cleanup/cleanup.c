/*
 * cleanup - canonicalize and enqueue a message
 *
 * The cleanup daemon turns what a message source (pickup, qmqpd, later
 * smtpd and bounce) sends it into a queue file in incoming/, and tells
 * the queue manager. It speaks Postfix 3.7's cleanup protocol (spec d.3)
 * on public/cleanup, so Postfix's own pickup and qmqpd can use it, and
 * writes Postfix's queue file format (spec b), so Postfix's postcat and
 * qmgr can read what it writes.
 *
 * One client, one message:
 *	1. create the queue file incoming/<QID> with mode 0600 (an
 *	   unfinished file, which no queue reader opens; long or short IDs
 *	   per enable_long_queue_ids), remove stale defer/, bounce/ and
 *	   trace/ logs with that ID;
 *	2. send one attribute list: protocol=cleanup_protocol,
 *	   queue_id=<QID> (exactly what Postfix 3.7's cleanup sends);
 *	3. read one attribute list: flags=<CLEANUP_FLAG_* bits>;
 *	4. read queue file records until E, each through cleanup_state.c
 *	   (which writes the file: envelope, content, extracted segment);
 *	5. finish: rewrite the size record, flush; for HOLD rename the file
 *	   into hold/ (still mode 0600, so nothing takes it for complete);
 *	   fchmod 0700 (complete), fsync, close; only then trigger the
 *	   queue manager ("W" on public/$queue_service_name, quietly if it
 *	   is not there) and answer status=<CLEANUP_STAT_* bits>,
 *	   reason=<text> (empty, as Postfix's is outside content rejects).
 *	   Nothing is acknowledged before the fsync.
 *	On any failure (a rejected message, no recipients, a write error, a
 *	client that goes away before E) the file is removed and the status
 *	says why. After a problem with the content, records are still read
 *	up to E so that the client, which writes everything before it
 *	reads, gets the status; a record that cannot be framed (a bad
 *	length) ends the reading at once.
 *	DISCARD (a request flag, or an "f" record): the message is read and
 *	checked as usual, then removed instead of queued, with the log line
 *	"<QID>: removed (discarded)", and the client is told it was
 *	accepted.
 *
 * Choices where Postfix 3.7 was seen to do otherwise:
 *	- a message without a Received: header gets ours rather than
 *	  being rejected (see cleanup_message.c);
 *	- with DISCARD Postfix's cleanup answers at once and closes before
 *	  the client has written its message (the client then gets a
 *	  broken pipe); we read to E first;
 *	- CLEANUP_FLAG_BOUNCE: a message refused for good (size, hops,
 *	  content, policy) is returned to its sender through the bounce
 *	  service and the client is told it was accepted
 *	  (cleanup_bounce.c), logged "<QID>: removed (returned to
 *	  sender)"; when the bounce service fails the client gets the
 *	  rejection as without the flag;
 *	- the rewriting of addresses is done here (cleanup_addr.c), not by
 *	  asking the rewrite service;
 *	- dummy pointer records are always written (after the recipients,
 *	  the headers and the body); Postfix 3.7 writes them only when a
 *	  milter may edit the message. Readers skip them either way.
 *
 * Model: SERVER_SINGLE. A process serves one client at a time, up to
 * max_use clients; master's maxproc 0 for cleanup in master.cf lets it
 * start as many processes as there are clients at once. Postfix's
 * cleanup is a multi-client server, but a single-client process keeps
 * one message's state and its blocking reads simple, and the fsync that
 * dominates the cost of a message is the same either way.
 *
 * A missing incoming/ or hold/ directory (a spool that "postern check"
 * has not set up yet) is created, mode 0700, rather than failing every
 * message.
 *
 * Signals: SIGTERM (master stopping) removes the unfinished queue file
 * and exits; so does a fatal error.
 *
 * Log lines: "<QID>: message-id=<...>" (and resent-message-id=) for
 * every message; warnings "<QID>: message rejected: <why>", "<QID>: queue
 * file size limit exceeded", "<QID>: record type N not allowed -
 * discarding this message", "<QID>: write queue file: ..."; info
 * "<QID>: removed (discarded)". A client that goes away before E and a
 * message without recipients are not logged (Postfix 3.7 is silent
 * there too; spec d.3's "removed (canceled)" was not seen).
 *
 * Configuration parameters: hopcount_limit, message_size_limit,
 * line_length_limit, header_size_limit, header_address_token_limit,
 * delay_warning_time, always_add_missing_headers,
 * enable_original_recipient, duplicate_filter_limit, append_at_myorigin,
 * append_dot_mydomain, enable_long_queue_ids, myhostname, myorigin,
 * mydomain, mail_name, queue_service_name, trigger_timeout,
 * hash_queue_names, hash_queue_depth, and the skeleton's (ipc_timeout
 * for each read and write on the client connection, max_use, max_idle,
 * queue_directory, ...).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "cleanup.h"
#include "cleanup_user.h"
#include "mail_queue.h"
#include "mem.h"
#include "msg.h"
#include "record.h"
#include "server.h"
#include "trigger.h"

static int var_delay_warning_time;
static int var_trigger_timeout;
static int var_hash_queue_depth;
static char *var_myhostname;
static char *var_myorigin;
static char *var_mydomain;
static char *var_mail_name;
static char *var_queue_service_name;
static char *var_hash_queue_names;

static const struct server_param cleanup_params[] = {
    SERVER_INT("hopcount_limit", &cleanup_config.hopcount_limit),
    SERVER_LONG("message_size_limit", &cleanup_config.message_size_limit),
    SERVER_INT("line_length_limit", &cleanup_config.line_length_limit),
    SERVER_INT("header_size_limit", &cleanup_config.header_size_limit),
    SERVER_INT("header_address_token_limit",
               &cleanup_config.header_address_token_limit),
    SERVER_TIME("delay_warning_time", &var_delay_warning_time),
    SERVER_INT("always_add_missing_headers",
               &cleanup_config.always_add_missing_headers),
    SERVER_INT("enable_original_recipient",
               &cleanup_config.enable_original_recipient),
    SERVER_INT("duplicate_filter_limit",
               &cleanup_config.duplicate_filter_limit),
    SERVER_INT("append_at_myorigin", &cleanup_config.append_at_myorigin),
    SERVER_INT("append_dot_mydomain", &cleanup_config.append_dot_mydomain),
    SERVER_INT("enable_long_queue_ids", &cleanup_config.long_queue_ids),
    SERVER_STR("myhostname", &var_myhostname),
    SERVER_STR("myorigin", &var_myorigin),
    SERVER_STR("mydomain", &var_mydomain),
    SERVER_STR("mail_name", &var_mail_name),
    SERVER_STR("queue_service_name", &var_queue_service_name),
    SERVER_TIME("trigger_timeout", &var_trigger_timeout),
    SERVER_STR("hash_queue_names", &var_hash_queue_names),
    SERVER_INT("hash_queue_depth", &var_hash_queue_depth),
    SERVER_PARAM_END,
};

/*
 * The unfinished queue file, for the SIGTERM handler and the fatal
 * hook: a fixed buffer, changed only with SIGTERM blocked, so that the
 * handler sees either no path or a whole one.
 */
static char cleanup_victim[PATH_MAX];

static void cleanup_victim_set(const char *queue, const char *id)
{
    sigset_t block;
    sigset_t saved;

    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &saved);
    if (queue == NULL)
        cleanup_victim[0] = 0;
    else
        snprintf(cleanup_victim, sizeof(cleanup_victim), "%s/%s", queue, id);
    sigprocmask(SIG_SETMASK, &saved, NULL);
}

static void cleanup_sigterm(int sig)
{
    (void)sig;
    if (cleanup_victim[0])
        (void)unlink(cleanup_victim);
    _exit(0);
}

static void cleanup_fatal_hook(void)
{
    if (cleanup_victim[0])
        (void)unlink(cleanup_victim);
}

/* Postfix's clients expect a clean slate of per-message logs. */
static void cleanup_remove_stale_logs(const char *id)
{
    static const char *const logs[] = {MAIL_QUEUE_DEFER, MAIL_QUEUE_BOUNCE,
                                       MAIL_QUEUE_TRACE};

    for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++)
        if (mail_queue_remove(logs[i], id) < 0 && errno != ENOENT)
            msg_warn("%s: remove %s log: %m", id, logs[i]);
}

/*
 * A queue directory that is not there yet (a spool that "postern check"
 * has not set up): make it, as the owner of the spool would.
 */
static int cleanup_queue_dir(const char *queue)
{
    if (mkdir(queue, 0700) < 0 && errno != EEXIST) {
        msg_warn("create directory %s: %m", queue);
        return -1;
    }
    return 0;
}

/*
 * Make the finished file durable: into hold/ first when asked (still
 * marked unfinished there), then the mode that says "complete", then
 * fsync. 0, or -1 (the file is gone or will be removed by the caller).
 */
static int cleanup_commit(struct cleanup_state *state, const char **queue)
{
    int fd = stream_fileno(state->dst);

    if (state->flags & CLEANUP_FLAG_HOLD) {
        if (mail_queue_rename(state->queue_id, *queue, MAIL_QUEUE_HOLD) < 0 &&
            (errno != ENOENT || cleanup_queue_dir(MAIL_QUEUE_HOLD) < 0 ||
             mail_queue_rename(state->queue_id, *queue, MAIL_QUEUE_HOLD) < 0)) {
            msg_warn("%s: move to %s: %m", state->queue_id, MAIL_QUEUE_HOLD);
            return -1;
        }
        *queue = MAIL_QUEUE_HOLD;
        cleanup_victim_set(*queue, state->queue_id);
    }
    if (fchmod(fd, MAIL_QUEUE_STAT_READY) < 0 || fsync(fd) < 0) {
        msg_warn("%s: finish queue file: %m", state->queue_id);
        return -1;
    }
    if (state->flags & CLEANUP_FLAG_HOLD) {
        /* The rename must not come undone in a crash. */
        int dfd = open(MAIL_QUEUE_HOLD, O_RDONLY | O_DIRECTORY);

        if (dfd < 0 || fsync(dfd) < 0)
            msg_warn("%s: fsync %s: %m", state->queue_id, MAIL_QUEUE_HOLD);
        if (dfd >= 0)
            close(dfd);
    }
    return 0;
}

static void cleanup_trigger_qmgr(const char *id)
{
    struct buf *path = buf_alloc(64);

    buf_printf(path, "public/%s", var_queue_service_name);
    if (trigger_send(buf_str(path), "W", 1, var_trigger_timeout * 1000) < 0 &&
        msg_verbose)
        msg_info("%s: trigger %s: %m", id, buf_str(path));
    buf_free(path);
}

static void cleanup_serve(struct stream *client, const char *service,
                          char **argv)
{
    struct buf *id = buf_alloc(32);
    struct buf *rec = buf_alloc(1024);
    struct cleanup_state *state = NULL;
    struct stream *dst;
    const char *queue = MAIL_QUEUE_INCOMING;
    size_t maxlen = 0;
    int client_gone = 0;
    int committed = 0;
    int bounced = 0;
    int flags = 0;
    int status;
    int type;
    int fd;

    (void)service;
    (void)argv;
    if ((fd = mail_queue_create(MAIL_QUEUE_INCOMING, 0600,
                                cleanup_config.long_queue_ids, id)) < 0 &&
        errno == ENOENT && cleanup_queue_dir(MAIL_QUEUE_INCOMING) == 0)
        fd = mail_queue_create(MAIL_QUEUE_INCOMING, 0600,
                               cleanup_config.long_queue_ids, id);
    if (fd < 0) {
        msg_warn("create a queue file in %s: %m", MAIL_QUEUE_INCOMING);
        goto done;
    }
    cleanup_victim_set(queue, buf_str(id));
    dst = stream_fdopen(fd, 1);
    cleanup_remove_stale_logs(buf_str(id));

    attr_print(client, ATTR_FLAG_NONE,
               ATTR_SEND_STR(ATTR_NAME_PROTOCOL, CLEANUP_PROTOCOL),
               ATTR_SEND_STR("queue_id", buf_str(id)), ATTR_END);
    if (stream_flush(client) != 0 ||
        attr_scan(client, ATTR_FLAG_STRICT, ATTR_RECV_INT("flags", &flags),
                  ATTR_END) != 1) {
        if (msg_verbose || stream_error(client) == 0)
            msg_warn("%s: no request flags from the client", buf_str(id));
        stream_close(dst);
        goto remove;
    }
    state = cleanup_state_create(buf_str(id), dst,
                                 flags & CLEANUP_FLAG_MASK_ALL, time(NULL));

    /*
     * A client splits lines at line_length_limit, so its records are
     * short; one longer than the whole message may be is a protocol
     * error rather than something to buffer.
     */
    if (cleanup_config.message_size_limit > 0)
        maxlen = (size_t)cleanup_config.message_size_limit >
                         (size_t)cleanup_config.line_length_limit
                     ? (size_t)cleanup_config.message_size_limit
                     : (size_t)cleanup_config.line_length_limit;
    for (;;) {
        type = rec_get_raw(client, rec, maxlen);
        if (type == REC_TYPE_EOF || type == REC_TYPE_ERROR) {
            if (type == REC_TYPE_EOF || stream_error(client) != 0) {
                client_gone = 1;
            } else {
                msg_warn("%s: malformed record from the client",
                         state->queue_id);
                state->errs |= CLEANUP_STAT_BAD;
            }
            break;
        }
        if (cleanup_record(state, type, buf_str(rec), buf_len(rec)))
            break;
    }

    if (client_gone) {
        /* Nobody to answer: the message was never complete. */
        stream_close(dst);
        goto remove;
    }
    status = state->segment == CLEANUP_SEG_DONE ? cleanup_finish(state)
                                                : (int)state->errs;
    /* A permanent rejection the client asked us to return to the
     * sender: once the notice is queued, the client may forget it. */
    if (status != 0 && (state->flags & CLEANUP_FLAG_BOUNCE) &&
        state->segment == CLEANUP_SEG_DONE &&
        (status & ~CLEANUP_BOUNCE_STATUS) == 0 &&
        cleanup_bounce(state, queue, (unsigned)status) == 0) {
        bounced = 1;
        status = CLEANUP_STAT_OK;
    }
    if (status == 0 && !bounced && !(state->flags & CLEANUP_FLAG_DISCARD) &&
        cleanup_commit(state, &queue) < 0)
        status = CLEANUP_STAT_WRITE;
    if (stream_close(dst) != 0 && status == 0) {
        msg_warn("%s: close queue file: %m", state->queue_id);
        status = CLEANUP_STAT_WRITE;
    }
    if (bounced) {
        msg_info("%s: removed (returned to sender)", state->queue_id);
    } else if (status == 0 && (state->flags & CLEANUP_FLAG_DISCARD)) {
        msg_info("%s: removed (discarded)", state->queue_id);
    } else if (status == 0) {
        committed = 1;
    }
    if (!committed && mail_queue_remove(queue, buf_str(id)) < 0 &&
        errno != ENOENT)
        msg_warn("%s: remove %s/%s: %m", buf_str(id), queue, buf_str(id));
    cleanup_victim_set(NULL, NULL);
    if (committed && strcmp(queue, MAIL_QUEUE_INCOMING) == 0)
        cleanup_trigger_qmgr(buf_str(id));
    attr_print(client, ATTR_FLAG_NONE, ATTR_SEND_INT("status", status),
               ATTR_SEND_STR("reason", ""), ATTR_END);
    stream_flush(client);
    goto done;

remove:
    if (mail_queue_remove(queue, buf_str(id)) < 0 && errno != ENOENT)
        msg_warn("%s: remove %s/%s: %m", buf_str(id), queue, buf_str(id));
    cleanup_victim_set(NULL, NULL);

done:
    if (state)
        cleanup_state_free(state);
    buf_free(id);
    buf_free(rec);
}

static void cleanup_post_init(const char *service, char **argv)
{
    (void)service;
    (void)argv;
    cleanup_config.delay_warning_time = var_delay_warning_time;
    cleanup_config.myhostname = var_myhostname;
    cleanup_config.myorigin = var_myorigin;
    cleanup_config.mydomain = var_mydomain;
    cleanup_config.mail_name = var_mail_name;
    if (mail_queue_set_hashing(var_hash_queue_names, var_hash_queue_depth) < 0)
        msg_fatal("bad hash_queue_names or hash_queue_depth: %s, %d",
                  var_hash_queue_names, var_hash_queue_depth);
    msg_set_cleanup(cleanup_fatal_hook);
    signal(SIGTERM, cleanup_sigterm);
}

int main(int argc, char **argv)
{
    static const struct server_ops ops = {
        .model = SERVER_SINGLE,
        .params = cleanup_params,
        .post_init = cleanup_post_init,
        .serve = cleanup_serve,
    };

    server_main(argc, argv, &ops);
}
