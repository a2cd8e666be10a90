/*
 * msg - logging with the closed vocabulary info/warning/fatal/panic
 *
 * Every Postern program logs through this module. A line is tagged
 * "syslog_name/program[pid]: " (syslog_name defaults to "postern", so a
 * queue manager logs as "postern/qmgr[1234]: ..."), and non-info lines
 * carry the severity word ("warning: ", "fatal: ", "panic: ") exactly as
 * Postfix's do, so that log analysers written for Postfix read ours with
 * the syslog name set.
 *
 * Destinations (any combination): syslog (facility from syslog_facility,
 * default mail), a file (maillog_file: "Mon dd hh:mm:ss host tag[pid]:
 * text", appended with O_APPEND so several processes can share it), and
 * standard error ("tag[pid]: text", for commands, start-fg and tests).
 *
 * Public functions:
 *	msg_open(program)		set the program name; logs to stderr
 *					until msg_set_destinations() is called
 *	msg_set_syslog_name(name)	the prefix before "/program"
 *	msg_set_facility(name)		syslog facility by name ("mail", ...)
 *	msg_set_hostname(name)		the host in maillog_file lines: the
 *					first label of name (myhostname), as
 *					Postfix's postlogd writes it; until
 *					then the system's host name
 *	msg_set_destinations(where, file)	MSG_TO_SYSLOG|MSG_TO_FILE|
 *					MSG_TO_STDERR; returns -1 (and keeps
 *					the old file) if the file cannot be opened
 *	msg_destinations()		the current MSG_TO_* bits
 *	msg_info/warn(fmt, ...)		log and return
 *	msg_fatal(fmt, ...)		log, run the cleanup hook, exit(1)
 *	msg_panic(fmt, ...)		log, abort() for a core dump
 *	msg_set_cleanup(fn)		hook run once before a fatal exit
 *	msg_set_capture(fn)		also hand each line to fn (tests)
 *	msg_verbose			verbosity level (-v)
 *
 * Control characters in a line are replaced by '?' so that peer-supplied
 * text cannot forge extra log lines. "%m" works (glibc).
 *
 * Configuration parameters (applied by the caller): syslog_name,
 * syslog_facility, maillog_file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"

int msg_verbose;

#define MSG_LINE_MAX 4096

static char msg_program_name[64] = "postern";
static char msg_syslog_name[128] = "postern";
static char msg_tag_buf[256] = "postern";
static int msg_where = MSG_TO_STDERR;
static int msg_file_fd = -1;
static int msg_facility = LOG_MAIL;
static int msg_syslog_open;
static int msg_in_fatal;
static void (*msg_cleanup_hook)(void);
static void (*msg_capture_hook)(enum msg_level, const char *);

static void msg_rebuild_tag(void)
{
    if (msg_syslog_name[0] == 0)
        snprintf(msg_tag_buf, sizeof(msg_tag_buf), "%s", msg_program_name);
    else
        snprintf(msg_tag_buf, sizeof(msg_tag_buf), "%s/%s", msg_syslog_name,
                 msg_program_name);
    if (msg_syslog_open) {
        closelog();
        msg_syslog_open = 0;
    }
}

void msg_open(const char *program)
{
    const char *slash = strrchr(program, '/');

    snprintf(msg_program_name, sizeof(msg_program_name), "%s",
             slash ? slash + 1 : program);
    msg_rebuild_tag();
}

static char msg_hostname[256];

void msg_set_hostname(const char *name)
{
    snprintf(msg_hostname, sizeof(msg_hostname), "%.*s",
             (int)strcspn(name, "."), name);
}

void msg_set_syslog_name(const char *syslog_name)
{
    snprintf(msg_syslog_name, sizeof(msg_syslog_name), "%s", syslog_name);
    msg_rebuild_tag();
}

const char *msg_program(void)
{
    return msg_program_name;
}

const char *msg_tag(void)
{
    return msg_tag_buf;
}

void msg_set_facility(const char *name)
{
    static const struct {
        const char *name;
        int facility;
    } table[] = {
        {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},
        {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
        {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
        {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
    };

    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcasecmp(name, table[i].name) == 0) {
            msg_facility = table[i].facility;
            msg_rebuild_tag();
            return;
        }
    }
    msg_warn("unknown syslog_facility \"%s\"; using mail", name);
}

int msg_set_destinations(int where, const char *maillog_file)
{
    if (where & MSG_TO_FILE) {
        int fd =
            open(maillog_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

        if (fd < 0)
            return -1;
        if (msg_file_fd >= 0)
            close(msg_file_fd);
        msg_file_fd = fd;
    }
    msg_where = where;
    return 0;
}

int msg_destinations(void)
{
    return msg_where;
}

void msg_set_cleanup(void (*cleanup)(void))
{
    msg_cleanup_hook = cleanup;
}

void msg_set_capture(void (*capture)(enum msg_level, const char *))
{
    msg_capture_hook = capture;
}

static const char *msg_level_prefix(enum msg_level level)
{
    switch (level) {
    case MSG_WARN:
        return "warning: ";
    case MSG_FATAL:
        return "fatal: ";
    case MSG_PANIC:
        return "panic: ";
    default:
        return "";
    }
}

static void msg_write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

void msg_vlog(enum msg_level level, const char *fmt, va_list ap)
{
    static const int syslog_level[] = {LOG_INFO, LOG_WARNING, LOG_CRIT,
                                       LOG_CRIT};
    char text[MSG_LINE_MAX];
    char line[MSG_LINE_MAX + 512];
    int saved_errno = errno;
    size_t n;

    errno = saved_errno;
    n = (size_t)snprintf(text, sizeof(text), "%s", msg_level_prefix(level));
    errno = saved_errno;
    vsnprintf(text + n, sizeof(text) - n, fmt, ap);
    for (char *cp = text; *cp; cp++)
        if ((unsigned char)*cp < 0x20 || *cp == 0x7f)
            *cp = '?';

    if (msg_capture_hook)
        msg_capture_hook(level, text);
    if (msg_where & MSG_TO_SYSLOG) {
        if (!msg_syslog_open) {
            openlog(msg_tag_buf, LOG_PID | LOG_NDELAY, msg_facility);
            msg_syslog_open = 1;
        }
        syslog(syslog_level[level], "%s", text);
    }
    if ((msg_where & MSG_TO_FILE) && msg_file_fd >= 0) {
        char stamp[64];
        time_t now = time(NULL);
        struct tm tm;
        int len;

        /* Looked up once, not once per line. */
        if (msg_hostname[0] == 0 &&
            (gethostname(msg_hostname, sizeof(msg_hostname) - 1) < 0 ||
             msg_hostname[0] == 0))
            snprintf(msg_hostname, sizeof(msg_hostname), "localhost");
        strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S",
                 localtime_r(&now, &tm));
        len = snprintf(line, sizeof(line), "%s %s %s[%ld]: %s\n", stamp,
                       msg_hostname, msg_tag_buf, (long)getpid(), text);
        if (len > (int)sizeof(line) - 1)
            len = (int)sizeof(line) - 1;
        msg_write_all(msg_file_fd, line, (size_t)len);
    }
    if (msg_where & MSG_TO_STDERR) {
        int len = snprintf(line, sizeof(line), "%s[%ld]: %s\n", msg_tag_buf,
                           (long)getpid(), text);

        if (len > (int)sizeof(line) - 1)
            len = (int)sizeof(line) - 1;
        msg_write_all(2, line, (size_t)len);
    }
    errno = saved_errno;
}

void msg_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog(MSG_INFO, fmt, ap);
    va_end(ap);
}

void msg_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog(MSG_WARN, fmt, ap);
    va_end(ap);
}

void msg_fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog(MSG_FATAL, fmt, ap);
    va_end(ap);
    /* A fatal error inside the cleanup hook must not recurse. */
    if (!msg_in_fatal++ && msg_cleanup_hook)
        msg_cleanup_hook();
    exit(1);
}

void msg_panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog(MSG_PANIC, fmt, ap);
    va_end(ap);
    abort();
}
