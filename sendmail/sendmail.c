/*
 * sendmail - the sendmail(1) interface to Postern
 *
 * Usage: sendmail [options] [recipient ...]	(options: sendmail_args.c)
 *	  mailq, newaliases (the same program under those names)
 *
 * Submitting (the default, -bm): sendmail runs
 * "$command_directory/postdrop -r" with a socket on postdrop's standard
 * input and output and speaks the postdrop protocol (maildrop.h):
 * it reads postdrop's announcement (protocol=postdrop_protocol,
 * queue_id), sends the message as queue file records and reads the
 * answer (status, reason). The records, in the order Postfix 3.7's
 * sendmail writes them:
 *	A envelope_id=<-V>		if -V
 *	A ret_flags=<1|2>		if -R full|hdrs
 *	A rewrite_context=local		(remote with -G)
 *	F <full name>			-F, else $NAME, else the account's
 *					GECOS name (first field, & = login
 *					name capitalised); none if empty
 *	S <sender>			-f/-r (the first address of the
 *					value; <> or "" = null sender),
 *					else the login name of the real uid,
 *					unqualified: cleanup appends
 *					@$myorigin
 *	A encoding=<8bit|7bit>		if -B
 *	A trace_flags=1024		if exactly one -v (a delivery report)
 *	V <delimiters>			if -XV (or the old -V xx): VERP; the
 *					delimiters (default_verp_delimiters
 *					unless given) must be two characters
 *					from verp_delimiter_filter, and the
 *					sender must not be null (EX_USAGE)
 *	[A notify_flags=<mask>] R <recipient>	per command-line recipient
 *					(each argument is an address list)
 *	M				then the message (sendmail_copy.c)
 *	X
 *	[A notify_flags=<mask>] R <recipient>	with -t: per To/Cc/Bcc
 *					(or Resent-*) address, in the
 *					extracted segment
 *	E
 * -t is not a flag on the wire: sendmail itself extracts the header
 * recipients, as Postfix's does; command-line recipients are added to
 * them. Without -t and without recipients sendmail refuses (EX_USAGE)
 * before reading the message; with -t and no recipient anywhere it
 * abandons the submission (postdrop removes its file) with
 * "No recipient addresses found in message header" (EX_DATAERR).
 *
 * -q: asks for a queue run like "postqueue -f": the triggers F A D I to
 * public/$queue_service_name (qmgr) and W to public/$pickup_service_name
 * (pickup). If qmgr cannot be reached the mail system is down
 * (EX_UNAVAILABLE). -q<interval> is accepted and ignored (there is no
 * sendmail daemon). Modes that Postern does not offer (yet) are refused
 * with a message naming the mode and EX_UNAVAILABLE: -bp and mailq
 * (queue listing arrives with "postern queue"), -bi, -I and newaliases,
 * -bs, -bd, -bl, -bv, -qR, -qS, -X.
 *
 * Configuration: -C dir (or a main.cf path), else $MAIL_CONFIG, else the
 * default directory. postdrop gets the same directory in MAIL_CONFIG and
 * an environment of its own: PATH=/usr/bin:/bin, the variables named in
 * export_environment (NAME=VALUE entries are set as given), and the
 * sanitizer option variables (ASAN_OPTIONS, UBSAN_OPTIONS, LSAN_OPTIONS)
 * when set, so that a sanitizer build behaves alike in both programs.
 *
 * Exit status (sysexits.h): 0 queued; EX_USAGE bad command line or no
 * recipients; EX_DATAERR no recipients in the headers (-t), message too
 * large, content rejected; EX_NOUSER the real uid has no account;
 * EX_NOPERM submission denied; EX_IOERR reading standard input failed;
 * EX_UNAVAILABLE a mode not offered, postdrop missing or the mail system
 * down (-q); EX_SOFTWARE postdrop said our records were malformed;
 * EX_CONFIG bad main.cf; EX_OSERR fork/socket failure; EX_TEMPFAIL
 * anything temporary (postdrop could not write, lost connection).
 * Postfix's sendmail exits EX_TEMPFAIL for nearly every error; we keep
 * the sysexits meaning instead.
 *
 * Diagnostics: standard error and the log (maillog_file, else syslog);
 * failures as "fatal: <user>(<uid>): <reason>", where reason is
 * postdrop's, or the text of its status bits when it gave none.
 *
 * Configuration parameters: command_directory, queue_directory,
 * line_length_limit, header_size_limit, sendmail_fix_line_endings,
 * ipc_timeout, trigger_timeout, queue_service_name, pickup_service_name,
 * default_verp_delimiters, verp_delimiter_filter, export_environment,
 * syslog_name, syslog_facility, maillog_file.
 * (message_size_limit is enforced by postdrop.)
 *
 * Not implemented: authorized_submit_users and authorized_flush_users
 * (everyone may submit and flush), -bv, -bs, the mailq listing.
 */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "attr.h"
#include "buf.h"
#include "cleanup_user.h"
#include "conf.h"
#include "mail_cmd.h"
#include "maildrop.h"
#include "master_proto.h"
#include "mem.h"
#include "msg.h"
#include "param.h"
#include "rec_type.h"
#include "record.h"
#include "sendmail.h"
#include "stream.h"
#include "trigger.h"

/* DEL_REQ_FLAG_RECORD: "send a report of the first delivery attempt". */
#define SENDMAIL_TRACE_FLAGS 1024

static const char *sendmail_user = "unknown";
static long sendmail_uid;

static void sendmail_die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void sendmail_die(int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog(MSG_FATAL, fmt, ap);
    va_end(ap);
    exit(status);
}

/* Which sysexits code a status from postdrop (cleanup bits) means. */
static int sendmail_exit_status(unsigned status)
{
    if (status & CLEANUP_STAT_BAD)
        return EX_SOFTWARE;
    if (status & (CLEANUP_STAT_DEFER | CLEANUP_STAT_WRITE | CLEANUP_STAT_PROXY))
        return EX_TEMPFAIL;
    if (status & CLEANUP_STAT_NOPERM)
        return EX_NOPERM;
    if (status & (CLEANUP_STAT_SIZE | CLEANUP_STAT_CONT | CLEANUP_STAT_HOPS |
                  CLEANUP_STAT_BARE_LF | CLEANUP_STAT_RCPT))
        return EX_DATAERR;
    return EX_TEMPFAIL;
}

/* -C names the directory or its main.cf. */
static char *sendmail_config_dir(const char *option)
{
    struct stat st;
    char *dir;
    char *slash;

    if (option == NULL || stat(option, &st) < 0 || !S_ISREG(st.st_mode))
        return mail_cmd_config_dir(option);
    dir = mem_strdup(option);
    if ((slash = strrchr(dir, '/')) == NULL) {
        mem_free(dir);
        return mem_strdup(".");
    }
    *slash = 0;
    if (*dir == 0) {
        mem_free(dir);
        return mem_strdup("/");
    }
    return dir;
}

/* The GECOS name: the first field; '&' stands for the login name. */
static char *sendmail_gecos_name(const struct passwd *pw)
{
    struct buf *name = buf_alloc(64);

    for (const char *cp = pw->pw_gecos ? pw->pw_gecos : ""; *cp && *cp != ',';
         cp++) {
        if (*cp == '&' && pw->pw_name[0]) {
            buf_append_char(name, toupper((unsigned char)pw->pw_name[0]));
            buf_append_str(name, pw->pw_name + 1);
        } else {
            buf_append_char(name, *cp);
        }
    }
    if (buf_len(name) == 0) {
        buf_free(name);
        return NULL;
    }
    return buf_export(name);
}

/* -q: what "postqueue -f" does. */
static void sendmail_flush(struct conf *conf)
{
    struct buf *path = buf_alloc(100);
    long timeout;
    struct buf *err = buf_alloc(100);
    static const char qmgr_req[] = {QMGR_REQ_FLUSH_DEAD, QMGR_REQ_SCAN_ALL,
                                    QMGR_REQ_SCAN_DEFERRED,
                                    QMGR_REQ_SCAN_INCOMING};

    if (param_get_time(conf, "trigger_timeout", &timeout, err) < 0)
        sendmail_die(EX_CONFIG, "%s", buf_str(err));
    buf_printf(path, "%s/public/%s", param_str(conf, "queue_directory"),
               param_str(conf, "queue_service_name"));
    if (trigger_send(buf_str(path), qmgr_req, sizeof(qmgr_req),
                     (int)timeout * 1000) < 0)
        sendmail_die(EX_UNAVAILABLE,
                     "cannot flush the mail queue: %s: %m -- is the mail "
                     "system running?",
                     buf_str(path));
    buf_printf(path, "%s/public/%s", param_str(conf, "queue_directory"),
               param_str(conf, "pickup_service_name"));
    if (trigger_send(buf_str(path), "W", 1, (int)timeout * 1000) < 0)
        msg_warn("cannot wake up pickup: %s: %m", buf_str(path));
    buf_free(path);
    buf_free(err);
}

/* postdrop's environment: nothing a user sets reaches it by accident. */
static char **sendmail_postdrop_env(struct conf *conf, const char *config_dir)
{
    static const char *const sanitizer[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS",
                                            "LSAN_OPTIONS"};
    struct conf_list env;
    struct conf_list names;
    struct buf *item = buf_alloc(100);
    struct buf *err = buf_alloc(100);
    const char *value;

    conf_list_init(&env);
    buf_printf(item, "%s=%s", MASTER_CONFIG_ENV, config_dir);
    conf_list_add(&env, buf_str(item), buf_len(item));
    buf_set_str(item, "PATH=/usr/bin:/bin");
    conf_list_add(&env, buf_str(item), buf_len(item));
    conf_list_init(&names);
    if (param_get_list(conf, "export_environment", &names, err) < 0)
        sendmail_die(EX_CONFIG, "%s", buf_str(err));
    for (size_t i = 0; i < names.count; i++) {
        const char *name = names.items[i];

        if (strncmp(name, MASTER_CONFIG_ENV "=",
                    strlen(MASTER_CONFIG_ENV) + 1) == 0 ||
            strcmp(name, MASTER_CONFIG_ENV) == 0 ||
            strncmp(name, "PATH=", 5) == 0 || strcmp(name, "PATH") == 0)
            continue;
        if (strchr(name, '=') != NULL) {
            conf_list_add(&env, name, strlen(name));
        } else if ((value = getenv(name)) != NULL) {
            buf_printf(item, "%s=%s", name, value);
            conf_list_add(&env, buf_str(item), buf_len(item));
        }
    }
    for (size_t i = 0; i < sizeof(sanitizer) / sizeof(sanitizer[0]); i++)
        if ((value = getenv(sanitizer[i])) != NULL) {
            buf_printf(item, "%s=%s", sanitizer[i], value);
            conf_list_add(&env, buf_str(item), buf_len(item));
        }
    conf_list_free(&names);
    buf_free(item);
    buf_free(err);
    return env.items;
}

struct sendmail_child {
    pid_t pid;
    struct stream *stream;
    char *path;
};

static void sendmail_postdrop_start(struct sendmail_child *child,
                                    struct conf *conf, const char *config_dir,
                                    int verbose)
{
    char **envp = sendmail_postdrop_env(conf, config_dir);
    char *argv[16];
    int argc = 0;
    int sv[2];

    child->path = mem_alloc(strlen(param_str(conf, "command_directory")) + 20);
    sprintf(child->path, "%s/postdrop", param_str(conf, "command_directory"));
    argv[argc++] = child->path;
    argv[argc++] = "-r";
    for (int i = 0; i < verbose && argc < 15; i++)
        argv[argc++] = "-v";
    argv[argc] = NULL;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        sendmail_die(EX_OSERR, "socketpair: %m");
    if ((child->pid = fork()) < 0)
        sendmail_die(EX_OSERR, "fork: %m");
    if (child->pid == 0) {
        if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0)
            _exit(EX_OSERR);
        execve(child->path, argv, envp);
        msg_warn("cannot execute %s: %m", child->path);
        _exit(EX_UNAVAILABLE);
    }
    close(sv[1]);
    conf_argv_free(envp);
    child->stream = stream_fdopen(sv[0], 1);
}

/* postdrop's exit: a sysexits code it chose, or EX_TEMPFAIL. */
static int sendmail_postdrop_wait(struct sendmail_child *child)
{
    int wstatus;
    int code = EX_TEMPFAIL;

    if (child->stream != NULL) {
        stream_close(child->stream);
        child->stream = NULL;
    }
    while (waitpid(child->pid, &wstatus, 0) < 0)
        if (errno != EINTR)
            return EX_TEMPFAIL;
    if (WIFEXITED(wstatus)) {
        code = WEXITSTATUS(wstatus);
        if (code != 0 && msg_verbose)
            msg_info("%s exited with status %d", child->path, code);
        if (code != 0 && (code < EX__BASE || code > EX__MAX))
            code = EX_TEMPFAIL;
    } else if (WIFSIGNALED(wstatus)) {
        msg_warn("%s killed by signal %d", child->path, WTERMSIG(wstatus));
    }
    return code;
}

static void sendmail_put_rcpts(struct stream *sp, const struct conf_list *list,
                               int notify)
{
    for (size_t i = 0; i < list->count; i++) {
        if (notify)
            rec_fprintf(sp, REC_TYPE_ATTR, "%s=%d", REC_ATTR_DSN_NOTIFY,
                        notify);
        rec_puts(sp, REC_TYPE_RCPT, list->items[i]);
    }
}

static int sendmail_deliver(struct sendmail_args *args, struct conf *conf,
                            const char *config_dir, const struct passwd *pw)
{
    struct sendmail_copy copy;
    struct sendmail_child child;
    struct conf_list rcpts;
    struct conf_list senders;
    struct attr_table *announce = attr_table_create();
    struct buf *err = buf_alloc(100);
    struct buf *reason = buf_alloc(100);
    struct stream *in;
    const char *value;
    const char *sender;
    const char *verp = NULL;
    char *full_name = NULL;
    const struct conf_list *extracted;
    size_t total;
    long ipc_timeout;
    int line_limit;
    int header_limit;
    int status = 0;
    int code;

    if (!args->extract && args->nrecipients == 0)
        sendmail_die(EX_USAGE,
                     "%s(%ld): Recipient addresses must be specified "
                     "on the command line or via the -t option",
                     sendmail_user, sendmail_uid);
    sendmail_copy_init(&copy);
    if (param_get_int(conf, "line_length_limit", &line_limit, err) < 0 ||
        param_get_int(conf, "header_size_limit", &header_limit, err) < 0 ||
        param_get_time(conf, "ipc_timeout", &ipc_timeout, err) < 0)
        sendmail_die(EX_CONFIG, "%s", buf_str(err));
    if (sendmail_copy_fix_mode(param_str(conf, "sendmail_fix_line_endings"),
                               &copy.fix) < 0)
        sendmail_die(EX_CONFIG, "bad sendmail_fix_line_endings value: %s",
                     param_str(conf, "sendmail_fix_line_endings"));
    copy.dots = args->dots;
    copy.extract = args->extract;
    copy.line_limit = (size_t)line_limit;
    copy.header_limit = (size_t)header_limit;

    /* The envelope, before anything is started. */
    conf_list_init(&senders);
    if (args->sender != NULL) {
        sendmail_addr_parse(args->sender, strlen(args->sender), &senders);
        sender = senders.count > 0 ? senders.items[0] : "";
    } else {
        sender = pw->pw_name;
    }
    if (args->full_name != NULL)
        full_name = mem_strdup(args->full_name);
    else if ((value = getenv("NAME")) != NULL && *value)
        full_name = mem_strdup(value);
    else
        full_name = sendmail_gecos_name(pw);
    if (args->verp) {
        const char *delims = *args->verp_delims
                                 ? args->verp_delims
                                 : param_str(conf, "default_verp_delimiters");
        const char *filter = param_str(conf, "verp_delimiter_filter");

        if (strlen(delims) != 2 || strchr(filter, delims[0]) == NULL ||
            strchr(filter, delims[1]) == NULL)
            sendmail_die(EX_USAGE, "-V requires two characters from %s",
                         filter);
        if (*sender == 0)
            sendmail_die(EX_USAGE,
                         "%s(%ld): -V option requires non-null sender address",
                         sendmail_user, sendmail_uid);
        verp = delims;
    }
    conf_list_init(&rcpts);
    for (size_t i = 0; i < args->nrecipients; i++)
        sendmail_addr_parse(args->recipients[i], strlen(args->recipients[i]),
                            &rcpts);

    sendmail_postdrop_start(&child, conf, config_dir,
                            args->verbose > 1 ? args->verbose : 0);
    stream_set_timeout(child.stream, (int)ipc_timeout);
    if (attr_scan_table(child.stream, ATTR_FLAG_NONE, announce) < 0 ||
        (value = attr_table_get(announce, ATTR_NAME_PROTOCOL)) == NULL ||
        strcmp(value, MAILDROP_PROTOCOL) != 0 ||
        attr_table_get(announce, "queue_id") == NULL) {
        code = sendmail_postdrop_wait(&child);
        sendmail_die(code ? code : EX_TEMPFAIL,
                     "%s(%ld): unable to submit the message: %s -r did not "
                     "announce the postdrop protocol",
                     sendmail_user, sendmail_uid, child.path);
    }
    if (msg_verbose)
        msg_info("queue ID %s", attr_table_get(announce, "queue_id"));

    if (args->envid)
        rec_fprintf(child.stream, REC_TYPE_ATTR, "%s=%s", REC_ATTR_DSN_ENVID,
                    args->envid);
    if (args->ret)
        rec_fprintf(child.stream, REC_TYPE_ATTR, "%s=%d", REC_ATTR_DSN_RET,
                    args->ret);
    rec_fprintf(child.stream, REC_TYPE_ATTR, "rewrite_context=%s",
                args->remote ? "remote" : "local");
    if (full_name != NULL)
        rec_puts(child.stream, REC_TYPE_FULL, full_name);
    rec_puts(child.stream, REC_TYPE_FROM, sender);
    if (args->encoding)
        rec_fprintf(child.stream, REC_TYPE_ATTR, "encoding=%s", args->encoding);
    if (args->verbose == 1)
        rec_fprintf(child.stream, REC_TYPE_ATTR, "trace_flags=%d",
                    SENDMAIL_TRACE_FLAGS);
    if (verp != NULL)
        rec_puts(child.stream, REC_TYPE_VERP, verp);
    sendmail_put_rcpts(child.stream, &rcpts, args->notify);
    rec_put(child.stream, REC_TYPE_MESG, "", 0);

    in = stream_fdopen(0, 0);
    if (sendmail_copy(in, child.stream, &copy) < 0) {
        buf_set_str(err, stream_strerror(stream_error(in)));
        sendmail_postdrop_wait(&child);
        sendmail_die(EX_IOERR, "%s(%ld): error reading the message: %s",
                     sendmail_user, sendmail_uid, buf_str(err));
    }
    stream_close(in);
    rec_put(child.stream, REC_TYPE_XTRA, "", 0);
    extracted = sendmail_copy_recipients(&copy);
    total = rcpts.count + (args->extract ? extracted->count : 0);
    if (total == 0) {
        /* Closing without an end record makes postdrop drop the file. */
        sendmail_postdrop_wait(&child);
        sendmail_die(EX_DATAERR,
                     "%s(%ld): No recipient addresses found in message header",
                     sendmail_user, sendmail_uid);
    }
    if (args->extract)
        sendmail_put_rcpts(child.stream, extracted, args->notify);
    rec_put(child.stream, REC_TYPE_END, "", 0);
    if (stream_flush(child.stream) < 0 && msg_verbose)
        msg_info("write to %s: %s", child.path,
                 stream_strerror(stream_error(child.stream)));

    /* postdrop may have answered and left before reading everything. */
    stream_clearerr(child.stream);
    if (attr_scan(child.stream, ATTR_FLAG_MISSING,
                  ATTR_RECV_INT("status", &status),
                  ATTR_RECV_STR("reason", reason), ATTR_END) < 1) {
        code = sendmail_postdrop_wait(&child);
        sendmail_die(code ? code : EX_TEMPFAIL,
                     "%s(%ld): unable to submit the message: no answer "
                     "from %s -r",
                     sendmail_user, sendmail_uid, child.path);
    }
    sendmail_postdrop_wait(&child);
    if (status != 0)
        sendmail_die(sendmail_exit_status((unsigned)status), "%s(%ld): %s",
                     sendmail_user, sendmail_uid,
                     buf_len(reason) ? buf_str(reason)
                                     : cleanup_strerror((unsigned)status));
    if (args->verbose == 1)
        printf("Mail Delivery Status Report will be mailed to <%s>.\n", sender);

    mem_free(child.path);
    mem_free(full_name);
    conf_list_free(&rcpts);
    conf_list_free(&senders);
    sendmail_copy_free(&copy);
    attr_table_free(announce);
    buf_free(err);
    buf_free(reason);
    return 0;
}

int main(int argc, char **argv)
{
    struct sendmail_args args;
    struct buf *err = buf_alloc(100);
    struct passwd *pw;
    struct conf *conf;
    char *config_dir;
    int status = 0;

    msg_open("sendmail");
    msg_set_destinations(MSG_TO_STDERR, NULL);
    signal(SIGPIPE, SIG_IGN);
    sendmail_uid = (long)getuid();
    if ((pw = getpwuid(getuid())) != NULL)
        sendmail_user = pw->pw_name;

    if (sendmail_args_parse(argc, argv, &args, err) != SENDMAIL_PARSE_OK)
        sendmail_die(EX_USAGE, "%s; usage: sendmail [options] [recipient ...]",
                     buf_str(err));
    if (args.verbose > 1)
        msg_verbose = args.verbose - 1;
    config_dir = sendmail_config_dir(args.config_dir);
    if ((conf = mail_cmd_conf_load(config_dir, err)) == NULL)
        sendmail_die(EX_CONFIG, "%s", buf_str(err));
    mail_cmd_logging(conf);

    switch (args.mode) {
    case SENDMAIL_MODE_UNAVAILABLE:
        sendmail_die(EX_UNAVAILABLE, "%s", args.unavailable);
    case SENDMAIL_MODE_IGNORE:
        break;
    case SENDMAIL_MODE_FLUSH:
        sendmail_flush(conf);
        break;
    case SENDMAIL_MODE_DELIVER:
        if (pw == NULL)
            sendmail_die(EX_NOUSER, "no login name found for user ID %ld",
                         sendmail_uid);
        status = sendmail_deliver(&args, conf, config_dir, pw);
        break;
    }
    sendmail_args_free(&args);
    conf_free(conf);
    mem_free(config_dir);
    buf_free(err);
    return status;
}
