/*
 * postdrop - put a locally submitted message into the maildrop queue
 *
 * Usage: postdrop [-c config_dir] [-r] [-v]
 *
 * sendmail(1) runs "$command_directory/postdrop -r" and speaks the
 * postdrop protocol with it over standard input and output (maildrop.h):
 * postdrop creates a new file in $queue_directory/maildrop, announces
 * protocol=postdrop_protocol and the file's queue_id, writes a T record
 * (arrival time), copies the client's records up to and including the
 * end record (only what a local user may submit, maildrop.c), and
 * commits the file: flush, mode 0744 (the owner execute bit says
 * "complete"), fsync. Only then does it wake up pickup (a W trigger on
 * public/$pickup_service_name) and answer status=0. On any failure the
 * partial file is removed and the answer carries cleanup's status bits
 * (cleanup_user.h) and a reason:
 *	malformed input (not records, a record longer than
 *	line_length_limit, or a record type a user may not send)
 *		status BAD, exit EX_DATAERR
 *	the file would exceed message_size_limit
 *		status SIZE, exit EX_DATAERR
 *	the file cannot be written or committed
 *		status WRITE, exit EX_TEMPFAIL
 * When the input ends before the end record (the client gave up) the
 * file is removed without an answer, exit EX_DATAERR. -r is accepted
 * for compatibility (the record protocol is the only one); -v logs more.
 *
 * Privileges: installed setgid setgid_group (default postdrop), the
 * group that may write to maildrop (mode 0730). The file is owned by the
 * invoking user, which is how pickup learns who submitted it. Run
 * setgid by an ordinary user, postdrop trusts only the default
 * configuration directory and the directories listed in
 * alternate_config_directories or multi_instance_directories of the
 * default main.cf; another directory from -c or MAIL_CONFIG is refused
 * (EX_NOPERM), because its main.cf chooses where files are written. Not
 * setgid (a test or quick-start instance run by its owner), postdrop
 * runs as the invoking user with any configuration directory.
 * SIGHUP, SIGINT, SIGQUIT and SIGTERM remove the partial file.
 *
 * Exit status: 0 when the message was queued; sysexits.h codes
 * otherwise (EX_USAGE bad option, EX_CONFIG bad configuration,
 * EX_NOPERM untrusted configuration or maildrop not writable,
 * EX_DATAERR, EX_TEMPFAIL as above). Postfix's postdrop exits 1 on most
 * errors; sendmail reads the answer, not the exit status.
 *
 * Diagnostics: to standard error and the log (maillog_file, else
 * syslog): "uid=N: ..." warnings naming the problem; a warning when
 * pickup cannot be triggered (the message stays queued and pickup
 * finds it on its next wakeup).
 *
 * Configuration parameters: queue_directory, message_size_limit,
 * line_length_limit, trigger_timeout, ipc_timeout (for writing the
 * answer), enable_long_queue_ids, hash_queue_names, hash_queue_depth,
 * pickup_service_name, alternate_config_directories,
 * multi_instance_directories, syslog_name, syslog_facility,
 * maillog_file. (setgid_group is applied at installation time.)
 *
 * Choices where Postfix's behaviour was not known or differs: the answer
 * to malformed input (Postfix's postdrop exits without one, and its
 * sendmail reports "Application error"); a reason text with every
 * failure; files are created 0600 (Postfix: 0644; both are incomplete).
 * authorized_submit_users is not implemented (everyone may submit).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sysexits.h>
#include <unistd.h>

#include "attr.h"
#include "buf.h"
#include "cleanup_user.h"
#include "conf.h"
#include "mail_cmd.h"
#include "mail_queue.h"
#include "maildrop.h"
#include "master_proto.h"
#include "mem.h"
#include "msg.h"
#include "param.h"
#include "paths.h"
#include "postdrop.h"
#include "rec_type.h"
#include "record.h"
#include "stream.h"
#include "trigger.h"

/* The partial file, for the signal handler and the fatal-error hook. */
static char postdrop_path[MAIL_QUEUE_NAME_MAX + 300];
static volatile sig_atomic_t postdrop_have_file;

static void postdrop_remove(void)
{
    if (postdrop_have_file) {
        postdrop_have_file = 0;
        (void)unlink(postdrop_path);
    }
}

static void postdrop_signal(int sig)
{
    (void)sig;
    if (postdrop_have_file)
        (void)unlink(postdrop_path);
    _exit(EX_TEMPFAIL);
}

static void postdrop_die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void postdrop_die(int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog(MSG_FATAL, fmt, ap);
    va_end(ap);
    postdrop_remove();
    exit(status);
}

static void postdrop_usage(void)
{
    postdrop_die(EX_USAGE, "usage: postdrop [-c config_dir] [-r] [-v]");
}

/*
 * A setgid postdrop writes where main.cf says: only the administrator's
 * configuration directories may say that.
 */
static void postdrop_check_config_dir(const char *config_dir)
{
    struct conf *def_conf;
    struct buf *err;
    int ok;

    if (getuid() == 0 || getegid() == getgid())
        return;
    if (strcmp(config_dir, POSTERN_SYSCONFDIR) == 0)
        return;
    /* Without a readable default main.cf nothing else is trusted. */
    err = buf_alloc(100);
    ok = 0;
    if ((def_conf = mail_cmd_conf_load(POSTERN_SYSCONFDIR, err)) != NULL) {
        ok = mail_cmd_dir_listed(def_conf, "alternate_config_directories",
                                 config_dir) ||
             mail_cmd_dir_listed(def_conf, "multi_instance_directories",
                                 config_dir);
        conf_free(def_conf);
    }
    buf_free(err);
    if (!ok)
        postdrop_die(EX_NOPERM,
                     "untrusted configuration directory %s: it is not listed "
                     "in alternate_config_directories or "
                     "multi_instance_directories of %s/main.cf",
                     config_dir, POSTERN_SYSCONFDIR);
}

static void postdrop_signals(void)
{
    static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = postdrop_signal;
    sigfillset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        struct sigaction old;

        /* Keep "ignored" ignored (nohup), as a shell would. */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(sigs[i], &sa, NULL);
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN); /* a file size limit gives EFBIG instead */
}

static void postdrop_reply(struct stream *client, unsigned status,
                           const char *reason)
{
    attr_print(client, ATTR_FLAG_NONE, ATTR_SEND_INT("status", status),
               ATTR_SEND_STR("reason", reason), ATTR_END);
    if (stream_flush(client) < 0 && msg_verbose)
        msg_info("could not send the answer: %s",
                 stream_strerror(stream_error(client)));
}

/* Flush, mark complete, fsync: the order that makes an answer safe. */
static int postdrop_commit(struct stream *out, int fd)
{
    if (stream_flush(out) < 0 || stream_error(out) != 0)
        return -1;
    if (fchmod(fd, MAILDROP_FILE_MODE_READY) < 0)
        return -1;
    if (fsync(fd) < 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    char *opt_config = NULL;
    char *config_dir;
    struct conf *conf;
    struct buf *err = buf_alloc(100);
    struct buf *id = buf_alloc(32);
    struct buf *why = buf_alloc(100);
    struct buf *who = buf_alloc(32);
    struct buf *trigger_path = buf_alloc(64);
    struct postdrop_limits limits;
    struct stream *client;
    struct stream *out;
    struct timeval arrival;
    sigset_t block;
    sigset_t saved;
    long size_limit;
    long written;
    int rec_limit;
    int long_ids;
    int hash_depth;
    long trigger_timeout;
    long ipc_timeout;
    int result;
    int fd;
    int ch;

    /* File modes are set explicitly; nothing else gets created. */
    umask(077);
    msg_open("postdrop");
    msg_set_destinations(MSG_TO_STDERR, NULL);
    postdrop_signals();
    opterr = 0;
    while ((ch = getopt(argc, argv, "c:rv")) != -1) {
        switch (ch) {
        case 'c':
            opt_config = optarg;
            break;
        case 'r':
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            postdrop_usage();
        }
    }
    if (optind != argc)
        postdrop_usage();

    config_dir = mail_cmd_config_dir(opt_config);
    postdrop_check_config_dir(config_dir);
    if ((conf = mail_cmd_conf_load(config_dir, err)) == NULL)
        postdrop_die(EX_CONFIG, "%s", buf_str(err));
    mail_cmd_logging(conf);
    if (param_get_long(conf, "message_size_limit", &size_limit, err) < 0 ||
        param_get_int(conf, "line_length_limit", &rec_limit, err) < 0 ||
        param_get_bool(conf, "enable_long_queue_ids", &long_ids, err) < 0 ||
        param_get_int(conf, "hash_queue_depth", &hash_depth, err) < 0 ||
        param_get_time(conf, "trigger_timeout", &trigger_timeout, err) < 0 ||
        param_get_time(conf, "ipc_timeout", &ipc_timeout, err) < 0)
        postdrop_die(EX_CONFIG, "%s", buf_str(err));
    if (mail_queue_set_hashing(param_str(conf, "hash_queue_names"),
                               hash_depth) < 0)
        postdrop_die(EX_CONFIG, "bad hash_queue_names or hash_queue_depth");
    if (chdir(param_str(conf, "queue_directory")) < 0)
        postdrop_die(EX_CONFIG, "chdir %s: %m",
                     param_str(conf, "queue_directory"));
    buf_printf(trigger_path, "public/%s",
               param_str(conf, "pickup_service_name"));
    buf_printf(who, "uid=%ld", (long)getuid());

    /* No window in which a signal leaves a file we do not know of. */
    sigemptyset(&block);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGQUIT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &saved);
    gettimeofday(&arrival, NULL);
    fd = mail_queue_create(MAIL_QUEUE_MAILDROP, MAILDROP_FILE_MODE_TEMP,
                           long_ids, id);
    if (fd >= 0) {
        snprintf(postdrop_path, sizeof(postdrop_path), "%s/%s",
                 MAIL_QUEUE_MAILDROP, buf_str(id));
        postdrop_have_file = 1;
    }
    sigprocmask(SIG_SETMASK, &saved, NULL);
    if (fd < 0)
        postdrop_die(errno == EACCES || errno == EPERM ? EX_NOPERM
                                                       : EX_TEMPFAIL,
                     "%s: create file in %s/%s: %m", buf_str(who),
                     param_str(conf, "queue_directory"), MAIL_QUEUE_MAILDROP);
    msg_set_cleanup(postdrop_remove);
    if (msg_verbose)
        msg_info("%s: %s", buf_str(who), postdrop_path);

    out = stream_fdopen(fd, 1);
    buf_printf(err, REC_TYPE_TIME_FORMAT, (long)arrival.tv_sec,
               (long)arrival.tv_usec);
    rec_put(out, REC_TYPE_TIME, buf_str(err), buf_len(err));
    written = postdrop_rec_size(buf_len(err));
    client = stream_fdopen2(0, 1, 0);
    attr_print(client, ATTR_FLAG_NONE,
               ATTR_SEND_STR(ATTR_NAME_PROTOCOL, MAILDROP_PROTOCOL),
               ATTR_SEND_STR("queue_id", buf_str(id)), ATTR_END);
    if (stream_flush(client) < 0)
        postdrop_die(EX_TEMPFAIL, "%s: cannot talk to the client: %s",
                     buf_str(who), stream_strerror(stream_error(client)));
    /* The client may take its time reading what its user types. */
    stream_set_timeout(client, 0);

    limits.size_limit = size_limit;
    limits.rec_limit = (size_t)rec_limit;
    result = postdrop_copy(client, out, &limits, &written, buf_str(who), why);
    if (result == POSTDROP_COPY_OK && postdrop_commit(out, fd) < 0) {
        buf_printf(why, "cannot write %s/%s: %m",
                   param_str(conf, "queue_directory"), postdrop_path);
        result = POSTDROP_COPY_WRITE;
    }
    /* From here on a slow or stuck client must not keep us forever. */
    stream_set_timeout(client, (int)ipc_timeout);
    switch (result) {
    case POSTDROP_COPY_OK:
        /* The file is complete and on disk: it stays, whatever happens. */
        postdrop_have_file = 0;
        stream_close(out);
        if (trigger_send(buf_str(trigger_path), "W", 1,
                         (int)trigger_timeout * 1000) < 0)
            msg_warn("unable to wake up %s: %m (pickup will find the "
                     "message on its next wakeup)",
                     buf_str(trigger_path));
        postdrop_reply(client, CLEANUP_STAT_OK, "");
        break;
    case POSTDROP_COPY_EOF:
        postdrop_remove();
        if (msg_verbose)
            msg_info("%s: input ended without an end record; message "
                     "abandoned",
                     buf_str(who));
        exit(EX_DATAERR);
    case POSTDROP_COPY_SIZE:
        postdrop_remove();
        msg_warn("%s: %s", buf_str(who), buf_str(why));
        postdrop_reply(client, CLEANUP_STAT_SIZE, buf_str(why));
        exit(EX_DATAERR);
    case POSTDROP_COPY_BAD:
        postdrop_remove();
        msg_warn("%s: %s", buf_str(who), buf_str(why));
        postdrop_reply(client, CLEANUP_STAT_BAD, buf_str(why));
        exit(EX_DATAERR);
    default:
        postdrop_remove();
        msg_warn("%s: %s", buf_str(who), buf_str(why));
        postdrop_reply(client, CLEANUP_STAT_WRITE, buf_str(why));
        exit(EX_TEMPFAIL);
    }

    stream_close(client);
    conf_free(conf);
    mem_free(config_dir);
    buf_free(err);
    buf_free(id);
    buf_free(why);
    buf_free(who);
    buf_free(trigger_path);
    return 0;
}
