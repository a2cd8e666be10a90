/*
 * master - the Postern process supervisor
 *
 * Reads main.cf and master.cf, opens every service's listen endpoints,
 * creates children on demand up to each service's process limit, passes
 * them their descriptors, restarts them, throttles a service whose
 * children fail at start-up, sends wakeup triggers, re-reads its
 * configuration on SIGHUP and stops everything on SIGTERM. It speaks
 * Postfix 3.7's master/child protocol (master_proto.h), so Postfix's
 * daemons run under it and ours under Postfix's master.
 *
 * Usage: master [-c config_dir] [-d] [-s] [-t] [-v] [-w]
 *	-c dir	configuration directory (default: $MAIL_CONFIG, else the
 *		compiled-in sysconfdir/postern)
 *	-d	stay in the foreground (do not detach)
 *	-s	log to standard error as well (start-fg)
 *	-t	test mode: exit 0 when no master runs for this queue
 *		directory, 1 when one does
 *	-v	verbose logging (repeat for more)
 *	-w	detach, and exit 0 only once the detached master has
 *		initialised (postern start); exit 1 with its reason if not
 *
 * Locking: $queue_directory/pid/master.pid, exclusively flock()ed for
 * master's lifetime and holding its pid; a second master for the same
 * queue directory refuses to start. (Postfix also locks
 * $data_directory/master.lock; Postern keeps one lock, in the queue.)
 *
 * Signals: SIGHUP re-reads both files; SIGTERM, SIGINT and SIGQUIT stop
 * every child (SIGTERM, then SIGKILL after 5 seconds) and exit; SIGCHLD
 * reaps. Handlers only write a byte to a self-pipe; the work happens in
 * the event loop.
 *
 * Diagnostics: a malformed main.cf or master.cf line is fatal at start
 * (file and line named); at reload it is logged and the old
 * configuration stays. Log lines as Postfix's master writes them:
 * "daemon started -- version V, configuration D", "reload -- version V,
 * configuration D", "terminating on signal N".
 *
 * Configuration parameters: queue_directory, daemon_directory,
 * inet_interfaces, default_process_limit, service_throttle_time,
 * syslog_name, syslog_facility, maillog_file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "config.h"
#include "events.h"
#include "master.h"
#include "master_proto.h"
#include "mem.h"
#include "msg.h"
#include "paths.h"
#include "sock.h"

#define MASTER_PID_FILE      "pid/master.pid"
#define MASTER_STOP_GRACE_MS 5000

char *master_config_dir;
char *master_queue_dir;
int master_debug;
int master_stopping;   /* SIGTERM seen: no new children, no reloads */
int master_log_stderr; /* -s: log to stderr as well */
struct master_service *master_services;
extern int master_flow_pipe[2];

static int master_sig_pipe[2];
static int master_lock_fd = -1;

static void master_sig_handler(int sig)
{
    unsigned char byte = (unsigned char)sig;
    int saved = errno;

    if (write(master_sig_pipe[1], &byte, 1) < 0) {
        /* The pipe is full: a signal of this kind is already pending. */
    }
    errno = saved;
}

static void master_stop(int sig)
{
    int waited = 0;

    /* From here on nothing new starts: no listening, no wakeups, no
     * spawning, no reloads; only reaping. */
    master_stopping = 1;
    msg_info("terminating on signal %d", sig);
    for (struct master_service *serv = master_services; serv;
         serv = serv->next) {
        master_wakeup_cancel(serv);
        master_avail_stop(serv);
    }
    master_kill_all(SIGTERM);
    while (master_child_count() > 0) {
        master_reap_children();
        if (master_child_count() == 0)
            break;
        if (waited >= MASTER_STOP_GRACE_MS) {
            master_kill_all(SIGKILL);
            waited = 0;
        }
        usleep(10000);
        waited += 10;
    }
    exit(0);
}

static void master_sig_event(int event, void *context)
{
    unsigned char sigs[64];
    ssize_t n;
    int hup = 0;
    int chld = 0;

    (void)event;
    (void)context;
    if (master_stopping)
        return;
    while ((n = read(master_sig_pipe[0], sigs, sizeof(sigs))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            switch (sigs[i]) {
            case SIGHUP:
                hup = 1;
                break;
            case SIGCHLD:
                chld = 1;
                break;
            default:
                master_stop(sigs[i]);
            }
        }
    }
    if (chld)
        master_reap_children();
    if (hup)
        master_config_reload();
}

static void master_signals_init(void)
{
    struct sigaction sa;
    static const int sigs[] = {SIGHUP, SIGCHLD, SIGTERM, SIGINT, SIGQUIT};

    if (pipe2(master_sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        msg_fatal("pipe: %m");
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = master_sig_handler;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        if (sigaction(sigs[i], &sa, NULL) < 0)
            msg_fatal("sigaction: %m");
    signal(SIGPIPE, SIG_IGN);
    event_enable_read(master_sig_pipe[0], master_sig_event, NULL);
}

/* 1 when a master holds the lock of this queue directory. */
static int master_is_running(void)
{
    int fd = open(MASTER_PID_FILE, O_RDWR | O_CLOEXEC);
    int running = 0;

    if (fd < 0)
        return 0;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK)
        running = 1;
    close(fd);
    return running;
}

static void master_lock(void)
{
    char pidbuf[32];
    int len;

    if (mkdir("pid", 0755) < 0 && errno != EEXIST)
        msg_fatal("create %s/pid: %m", master_queue_dir);
    master_lock_fd = open(MASTER_PID_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (master_lock_fd < 0)
        msg_fatal("open %s/%s: %m", master_queue_dir, MASTER_PID_FILE);
    if (flock(master_lock_fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK)
            msg_fatal("the Postern mail system is already running");
        msg_fatal("lock %s/%s: %m", master_queue_dir, MASTER_PID_FILE);
    }
    len =
        snprintf(pidbuf, sizeof(pidbuf), "%*lu\n", 10, (unsigned long)getpid());
    if (ftruncate(master_lock_fd, 0) < 0 ||
        pwrite(master_lock_fd, pidbuf, (size_t)len, 0) != len)
        msg_fatal("write %s/%s: %m", master_queue_dir, MASTER_PID_FILE);
}

/*
 * -w: the original process waits on a pipe until the detached master
 * writes "ok" (initialised) or "fatal", or dies (end of file).
 */
static int master_wait_fd = -1;

static void master_init_report(const char *result)
{
    if (master_wait_fd < 0)
        return;
    if (write(master_wait_fd, result, strlen(result)) < 0) {
        /* The waiting parent is gone; nothing to tell. */
    }
    close(master_wait_fd);
    master_wait_fd = -1;
}

static void master_wait_for_child(void)
{
    int fds[2];
    pid_t pid;
    char result[512];
    ssize_t n;

    if (pipe2(fds, O_CLOEXEC) < 0)
        msg_fatal("pipe: %m");
    switch (pid = fork()) {
    case -1:
        msg_fatal("fork: %m");
    case 0:
        close(fds[0]);
        master_wait_fd = fds[1];
        return;
    default:
        close(fds[1]);
        n = read(fds[0], result, sizeof(result) - 1);
        if (n > 0 && strncmp(result, "ok", 2) == 0)
            exit(0);
        /* The detached master logged its reason, but not where the
         * administrator who typed "postern start" looks: show it. */
        if (n > 0) {
            result[n] = 0;
            fprintf(stderr, "%s: %s\n", msg_tag(), result);
        } else {
            fprintf(stderr, "%s: master exited during start-up\n", msg_tag());
        }
        exit(1);
    }
}

static void master_detach(int keep_stderr)
{
    int null = open("/dev/null", O_RDWR);

    switch (fork()) {
    case -1:
        msg_fatal("fork: %m");
    case 0:
        break;
    default:
        _exit(0);
    }
    setsid();
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        if (!keep_stderr)
            dup2(null, 2);
        if (null > 2)
            close(null);
    }
}

/* The text of a fatal error, for the parent waiting with -w. */
static char master_fatal_text[512];

static void master_capture_fatal(enum msg_level level, const char *text)
{
    if (level == MSG_FATAL && master_fatal_text[0] == 0)
        snprintf(master_fatal_text, sizeof(master_fatal_text), "%s", text);
}

static void master_fatal_cleanup(void)
{
    master_init_report(master_fatal_text[0] ? master_fatal_text : "fatal");
}

int main(int argc, char **argv)
{
    struct buf *why = buf_alloc(100);
    int test_mode = 0;
    int wait_mode = 0;
    int ch;

    umask(077);
    msg_open("master");
    msg_set_cleanup(master_fatal_cleanup);
    msg_set_capture(master_capture_fatal);
    while ((ch = getopt(argc, argv, "c:dstvw")) != -1) {
        switch (ch) {
        case 'c':
            master_config_dir = conf_dir_absolute(optarg);
            break;
        case 'd':
            master_debug = 1;
            break;
        case 's':
            master_log_stderr = 1;
            break;
        case 't':
            test_mode = 1;
            break;
        case 'v':
            msg_verbose++;
            break;
        case 'w':
            wait_mode = 1;
            break;
        default:
            msg_fatal("usage: %s [-c config_dir] [-d] [-s] [-t] [-v] [-w]",
                      argv[0]);
        }
    }
    if (master_config_dir == NULL) {
        const char *env = getenv(MASTER_CONFIG_ENV);

        master_config_dir =
            conf_dir_absolute(env && *env ? env : POSTERN_SYSCONFDIR);
    }
    if (master_config_load(why) < 0)
        msg_fatal("%s", buf_str(why));
    if (chdir(master_queue_dir) < 0)
        msg_fatal("chdir %s: %m", master_queue_dir);
    if (test_mode)
        exit(master_is_running() ? 1 : 0);
    if (master_is_running())
        msg_fatal("the Postern mail system is already running");
    if (wait_mode)
        master_wait_for_child();
    if (!master_debug || wait_mode) {
        master_detach(master_log_stderr);
    } else {
        /* In the foreground: children must not read the terminal. */
        int null = open("/dev/null", O_RDONLY);

        if (null >= 0 && null != 0) {
            dup2(null, 0);
            close(null);
        }
    }
    master_lock();
    if (pipe2(master_flow_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        msg_fatal("pipe: %m");
    master_signals_init();
    for (struct master_service *serv = master_services; serv;
         serv = serv->next) {
        if (master_service_listen(serv, why) < 0)
            msg_fatal("service %s/%s: %s", serv->name, serv->type,
                      buf_str(why));
        master_service_start(serv);
    }
    msg_info("daemon started -- version %s, configuration %s", PACKAGE_VERSION,
             master_config_dir);
    master_init_report("ok");
    buf_free(why);
    for (;;)
        event_loop(-1);
}
