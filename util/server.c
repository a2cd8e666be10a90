/*
 * server - the skeleton every daemon run by master is built on
 *
 * One piece of code for what all daemons share, in three models: single
 * (one client at a time), multi (many clients, one request per callback)
 * and trigger (short messages, no reply). A daemon's main() declares its
 * parameters and callbacks (struct server_ops) and calls server_main().
 *
 * What the skeleton does, in order:
 *	1. options as Postfix's master passes them (c d D i: l m: n: o: r:
 *	   s: S t: u v V z); refuses to run from a terminal unless -S;
 *	2. main.cf from $MAIL_CONFIG (else the compiled-in directory), then
 *	   the -o name=value overrides; logging (syslog_name, syslog_facility,
 *	   maillog_file; -V or -S log to standard error); the daemon's own
 *	   parameters, typed by the parameter table (a bad value is fatal);
 *	3. chdir to queue_directory, the daemon's pre_init, then as root:
 *	   chroot to queue_directory (-c) and drop to mail_owner (-u); run as
 *	   an ordinary user, both are skipped (instance mode), then post_init;
 *	4. the event loop: accept on the listen descriptors (6, or 6..6+n-1
 *	   with -s n), report TAKEN/AVAIL to master on descriptor 5 (see
 *	   master_proto.h), serve, and exit after max_use clients (-m or
 *	   max_use), after max_idle seconds without a client (-i or
 *	   max_idle), when master goes away or reloads (descriptor 5 reports
 *	   an error; checked again before each accept), or on SIGTERM
 *	   (default action). Persistent daemons (qmgr) have neither
 *	   limit. A watchdog (daemon_timeout) ends a process stuck in one
 *	   iteration.
 *	-S (stand-alone): serve one client on standard input/output, or for
 *	a trigger server one message read from standard input, then exit.
 *
 * Public functions:
 *	server_main(argc, argv, ops)	never returns
 *	server_disconnect(client)	multi: the daemon is done with a client
 *					(also from the optional connect
 *					callback, called once per accepted
 *					client before its first request)
 *	server_client_count()		multi: clients connected
 *	server_load_params(conf, params) fill a daemon's variables (also used
 *					by commands that share a daemon's table)
 *
 * Endpoints: single and multi servers need stream sockets (unix, inet);
 * a fifo or unix-dgram endpoint is a fatal master.cf error for them. A
 * trigger server reads fifos and datagram sockets directly and accepts
 * clients on stream sockets. An accept() error other than a lost race or
 * a resource shortage (paused for a second) is fatal, so that a broken
 * endpoint throttles the service instead of spinning.
 *
 * Diagnostics: fatal on configuration errors and when run by hand;
 * "master disconnect -- exiting" (verbose), "idle timeout -- exiting"
 * (verbose), "watchdog timeout".
 *
 * Configuration parameters: max_use, max_idle, ipc_timeout,
 * daemon_timeout, queue_directory, mail_owner, syslog_name,
 * syslog_facility, maillog_file, plus the daemon's own.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "events.h"
#include "master_proto.h"
#include "mem.h"
#include "msg.h"
#include "param.h"
#include "paths.h"
#include "server.h"
#include "sock.h"
#include "trigger.h"

struct conf *server_conf;
const char *server_service_name;
int server_max_use;
int server_max_idle;
int server_ipc_timeout;
int server_daemon_timeout;
char *server_queue_directory;
char *server_mail_owner;

/* How long a trigger client may take to send its bytes (as Postfix). */
#define SERVER_TRIGGER_WAIT_MS 10000

static const struct server_ops *server_ops;
static char **server_argv;
static unsigned server_generation;
static int server_listen_count = 1;
static int server_use_count;
static int server_clients;
static int server_status_ok;
static int server_master_lost;

static const struct server_param server_common_params[] = {
    SERVER_INT("max_use", &server_max_use),
    SERVER_TIME("max_idle", &server_max_idle),
    SERVER_TIME("ipc_timeout", &server_ipc_timeout),
    SERVER_TIME("daemon_timeout", &server_daemon_timeout),
    SERVER_STR("queue_directory", &server_queue_directory),
    SERVER_STR("mail_owner", &server_mail_owner),
    SERVER_PARAM_END,
};

void server_load_params(struct conf *conf, const struct server_param *params)
{
    struct buf *err = buf_alloc(100);
    struct buf *value = buf_alloc(100);

    for (const struct server_param *p = params; p->name; p++) {
        int ret = -1;

        switch (p->kind) {
        case SERVER_PARAM_INT:
            ret = param_get_int(conf, p->name, (int *)p->var, err);
            break;
        case SERVER_PARAM_LONG:
            ret = param_get_long(conf, p->name, (long *)p->var, err);
            break;
        case SERVER_PARAM_TIME: {
            long secs;

            ret = param_get_time(conf, p->name, &secs, err);
            if (ret == 0)
                *(int *)p->var = secs > 0x7fffffff ? 0x7fffffff : (int)secs;
            break;
        }
        case SERVER_PARAM_STR:
            ret = param_get_str(conf, p->name, value, err);
            if (ret == 0) {
                mem_free(*(char **)p->var);
                *(char **)p->var = mem_strdup(buf_str(value));
            }
            break;
        }
        if (ret < 0)
            msg_fatal("%s", buf_str(err));
    }
    buf_free(err);
    buf_free(value);
}

static void server_exit(void) __attribute__((noreturn));

static void server_exit(void)
{
    if (server_ops->on_exit)
        server_ops->on_exit(server_service_name, server_argv);
    exit(0);
}

static void server_notify(int avail)
{
    struct master_status stat;

    if (!server_status_ok)
        return;
    stat.pid = (int)getpid();
    stat.gen = server_generation;
    stat.avail = avail;
    /* master closed the pipe (reload) or died: finish up, take no more. */
    if (write(MASTER_STATUS_FD, &stat, sizeof(stat)) != sizeof(stat))
        server_master_lost = 1;
}

static void server_master_gone(int event, void *context)
{
    (void)event;
    (void)context;
    if (msg_verbose)
        msg_info("master disconnect -- exiting");
    server_exit();
}

/*
 * Before taking another client: has master gone away or reloaded? The
 * event loop may report a waiting client and the status pipe's error in
 * the same batch; a child of an old generation must leave the client to
 * a child with the new configuration.
 */
static void server_check_master(void)
{
    struct pollfd pfd = {.fd = MASTER_STATUS_FD, .events = 0};

    if (server_master_lost || (server_status_ok && poll(&pfd, 1, 0) > 0 &&
                               (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))))
        server_master_gone(0, NULL);
}

static void server_idle(int event, void *context)
{
    (void)event;
    (void)context;
    if (server_clients > 0)
        return;
    if (msg_verbose)
        msg_info("idle timeout -- exiting");
    server_exit();
}

static void server_arm_idle(void)
{
    if (server_max_idle > 0)
        event_request_timer(server_idle, NULL, server_max_idle * 1000);
}

static void server_count_use(void)
{
    server_use_count++;
    if (server_max_use > 0 && server_use_count >= server_max_use &&
        server_clients == 0)
        server_exit();
}

static void server_watchdog(int sig)
{
    (void)sig;
    /* A process stuck this long is broken; master starts a fresh one. */
    msg_fatal("watchdog timeout");
}

/*
 * Take the next client from a listen socket: a blocking descriptor, with
 * master told we are busy; -1 when another child won the race for it.
 */
static int server_accept(int listen_fd)
{
    int fd;

    server_check_master();
    if ((fd = sock_accept(listen_fd)) < 0) {
        switch (errno) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
            break; /* another child won, or the client left */
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
            /* Out of resources: the connection stays queued, so pause
             * instead of spinning on a descriptor that stays readable. */
            msg_warn("accept: %m");
            sleep(1);
            break;
        default:
            /* Not a listening stream socket, or worse: the readiness
             * would never clear. Let master throttle the service. */
            msg_fatal("accept: %m");
        }
        return -1;
    }
    server_notify(MASTER_STAT_TAKEN);
    sock_set_nonblock(fd, 0);
    return fd;
}

/* --- single-client model --- */

static void server_single_event(int event, void *context)
{
    struct stream *client;
    int fd;

    (void)event;
    if ((fd = server_accept((int)(long)context)) < 0)
        return;
    client = stream_fdopen(fd, 1);
    stream_set_timeout(client, server_ipc_timeout);
    server_ops->serve(client, server_service_name, server_argv);
    stream_close(client);
    server_notify(MASTER_STAT_AVAIL);
    server_arm_idle();
    server_count_use();
    server_check_master();
}

/* --- multi-client model --- */

struct server_client {
    struct stream *stream;
    int gone;
};

static struct server_client *server_current;

static void server_multi_client_event(int event, void *context)
{
    struct server_client *client = context;

    (void)event;
    /* Serve every request already in the buffer: epoll will not fire
     * again for bytes that were read ahead. */
    do {
        server_current = client;
        server_ops->serve(client->stream, server_service_name, server_argv);
        server_current = NULL;
    } while (!client->gone && stream_buffered(client->stream) > 0 &&
             stream_error(client->stream) == 0);
    if (client->gone) {
        mem_free(client);
        server_arm_idle();
        if (server_clients == 0 && server_max_use > 0 &&
            server_use_count >= server_max_use)
            server_exit();
    }
}

void server_disconnect(struct stream *stream)
{
    int fd = stream_fileno(stream);

    event_disable_readwrite(fd);
    stream_close(stream);
    server_clients--;
    if (server_current && server_current->stream == stream)
        server_current->gone = 1;
}

int server_client_count(void)
{
    return server_clients;
}

static void server_multi_event(int event, void *context)
{
    struct server_client *client;
    int fd;

    (void)event;
    if ((fd = server_accept((int)(long)context)) < 0)
        return;
    /* A multi server stays available while it has clients. */
    client = mem_zalloc(sizeof(*client));
    client->stream = stream_fdopen(fd, 1);
    stream_set_timeout(client->stream, server_ipc_timeout);
    server_clients++;
    server_use_count++;
    event_cancel_timer(server_idle, NULL);
    event_enable_read(fd, server_multi_client_event, client);
    server_notify(MASTER_STAT_AVAIL);
    if (server_ops->connect) {
        server_current = client;
        server_ops->connect(client->stream, server_service_name, server_argv);
        server_current = NULL;
        if (client->gone) {
            mem_free(client);
            server_arm_idle();
        }
    }
}

/* --- trigger model --- */

static int server_is_fifo(int fd)
{
    struct stat st;

    return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* A descriptor whose readiness means bytes, not a client: fifo, datagram. */
static int server_is_direct(int fd)
{
    int type;
    socklen_t len = sizeof(type);

    if (server_is_fifo(fd))
        return 1;
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
           type == SOCK_DGRAM;
}

static void server_trigger_deliver(const char *data, size_t len)
{
    if (len > 0)
        server_ops->trigger(data, len, server_service_name, server_argv);
}

static void server_trigger_event(int event, void *context)
{
    int listen_fd = (int)(long)context;
    struct buf *data = buf_alloc(TRIGGER_BUF_SIZE);
    int fd;

    (void)event;
    if (server_is_direct(listen_fd)) {
        /* A fifo or a datagram socket delivers the bytes themselves; no
         * client to accept. The status reports still tell master that
         * this child did work. */
        server_notify(MASTER_STAT_TAKEN);
        if (trigger_read(listen_fd, data) > 0)
            server_trigger_deliver(buf_str(data), buf_len(data));
        server_notify(MASTER_STAT_AVAIL);
    } else if ((fd = server_accept(listen_fd)) >= 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};

        /* A client that connects and says nothing must not stall a
         * solitary service (qmgr, pickup): wait a bounded time. */
        if (poll(&pfd, 1, SERVER_TRIGGER_WAIT_MS) <= 0) {
            if (msg_verbose)
                msg_info("trigger client sent nothing -- dropped");
        } else if (trigger_read(fd, data) < 0 && msg_verbose)
            msg_info("trigger read: %m");
        close(fd);
        server_trigger_deliver(buf_str(data), buf_len(data));
        server_notify(MASTER_STAT_AVAIL);
    }
    buf_free(data);
    server_arm_idle();
    server_count_use();
}

/* --- set-up --- */

static void server_drop_privileges(int do_chroot, int unprivileged)
{
    struct passwd *pw = NULL;

    if (getuid() != 0)
        return;
    if (unprivileged && (pw = getpwnam(server_mail_owner)) == NULL)
        msg_fatal("unknown mail_owner account: %s", server_mail_owner);
    if (do_chroot) {
        if (chroot(server_queue_directory) < 0)
            msg_fatal("chroot %s: %m", server_queue_directory);
        if (chdir("/") < 0)
            msg_fatal("chdir /: %m");
    }
    if (pw) {
        if (setgid(pw->pw_gid) < 0 || initgroups(pw->pw_name, pw->pw_gid) < 0)
            msg_fatal("setgid %ld: %m", (long)pw->pw_gid);
        if (setuid(pw->pw_uid) < 0)
            msg_fatal("setuid %ld: %m", (long)pw->pw_uid);
    }
}

static void server_standalone(void)
{
    struct stream *client;

    if (server_ops->model == SERVER_TRIGGER) {
        struct buf *data = buf_alloc(TRIGGER_BUF_SIZE);

        if (trigger_read(0, data) > 0)
            server_trigger_deliver(buf_str(data), buf_len(data));
        buf_free(data);
        server_exit();
    }
    client = stream_fdopen2(0, 1, 0);
    stream_set_timeout(client, server_ipc_timeout);
    if (server_ops->model == SERVER_MULTI) {
        struct server_client holder = {client, 0};

        server_clients = 1;
        if (server_ops->connect) {
            server_current = &holder;
            server_ops->connect(client, server_service_name, server_argv);
        }
        while (!holder.gone && stream_error(client) == 0) {
            server_current = &holder;
            server_ops->serve(client, server_service_name, server_argv);
        }
        server_current = NULL;
        if (!holder.gone)
            stream_close(client);
    } else {
        server_ops->serve(client, server_service_name, server_argv);
        stream_close(client);
    }
    server_exit();
}

void server_main(int argc, char **argv, const struct server_ops *ops)
{
    const char *config_dir = getenv(MASTER_CONFIG_ENV);
    struct buf *err = buf_alloc(100);
    struct buf *path = buf_alloc(100);
    struct buf *value = buf_alloc(100);
    char **overrides = mem_zalloc(sizeof(char *) * (size_t)(argc + 1));
    int noverrides = 0;
    int standalone = 0;
    int foreground = 0;
    int log_stderr = 0;
    int do_chroot = 0;
    int unprivileged = 0;
    int opt_max_use = -1;
    int opt_max_idle = -1;
    const char *gen;
    int ch;
    EVENT_CALLBACK accept_event;

    server_ops = ops;
    msg_open(argv[0]);
    server_service_name = msg_program();
    opterr = 0;
    while ((ch = getopt(argc, argv, "cdDi:lm:n:o:r:s:St:uvVz")) != -1) {
        switch (ch) {
        case 'c':
            do_chroot = 1;
            break;
        case 'd':
            foreground = 1;
            break;
        case 't':
            if (strcmp(optarg, "unix") != 0 && strcmp(optarg, "inet") != 0 &&
                strcmp(optarg, "fifo") != 0 &&
                strcmp(optarg, "unix-dgram") != 0 &&
                strcmp(optarg, "pass") != 0)
                msg_fatal("unknown service type: -t %s", optarg);
            break;
        case 'D':
        case 'l':
        case 'z':
        case 'r':
            break;
        case 'i':
            opt_max_idle = atoi(optarg);
            break;
        case 'm':
            opt_max_use = atoi(optarg);
            break;
        case 'n':
            server_service_name = optarg;
            break;
        case 'o':
            overrides[noverrides++] = optarg;
            break;
        case 's':
            if ((server_listen_count = atoi(optarg)) <= 0)
                msg_fatal("invalid -s value: %s", optarg);
            break;
        case 'S':
            standalone = 1;
            break;
        case 'u':
            unprivileged = 1;
            break;
        case 'v':
            msg_verbose++;
            break;
        case 'V':
            log_stderr = 1;
            break;
        default:
            msg_fatal("invalid option -%c", optopt);
        }
    }
    server_argv = argv + optind;
    /* Under a master in the foreground (-d) a terminal is expected. */
    if (!standalone && !foreground && isatty(0))
        msg_fatal("do not run this command by hand");

    /* Configuration: main.cf, then the master.cf -o overrides. */
    server_conf = conf_create();
    buf_printf(path, "%s/main.cf",
               config_dir && *config_dir ? config_dir : POSTERN_SYSCONFDIR);
    if (conf_read_file(server_conf, buf_str(path), err) < 0)
        msg_fatal("%s", buf_str(err));
    for (int i = 0; i < noverrides; i++) {
        char *eq = strchr(overrides[i], '=');

        if (eq == NULL)
            msg_fatal("-o %s: missing '='", overrides[i]);
        *eq = 0;
        conf_set(server_conf, overrides[i], eq + 1);
        *eq = '=';
    }
    mem_free(overrides);
    if (param_get_str(server_conf, "syslog_name", value, err) == 0)
        msg_set_syslog_name(buf_str(value));
    if (param_get_str(server_conf, "syslog_facility", value, err) == 0)
        msg_set_facility(buf_str(value));
    if (param_get_str(server_conf, "myhostname", value, err) == 0)
        msg_set_hostname(buf_str(value));
    if (param_get_str(server_conf, "maillog_file", value, err) == 0 &&
        buf_len(value) > 0) {
        if (msg_set_destinations(
                MSG_TO_FILE | (log_stderr || standalone ? MSG_TO_STDERR : 0),
                buf_str(value)) < 0)
            msg_fatal("open maillog_file %s: %m", buf_str(value));
    } else {
        msg_set_destinations(
            log_stderr || standalone ? MSG_TO_STDERR : MSG_TO_SYSLOG, NULL);
    }
    server_load_params(server_conf, server_common_params);
    if (ops->params)
        server_load_params(server_conf, ops->params);
    if (opt_max_use >= 0)
        server_max_use = opt_max_use;
    if (opt_max_idle >= 0)
        server_max_idle = opt_max_idle;
    if ((gen = getenv(MASTER_GENERATION_ENV)) != NULL)
        server_generation = (unsigned)strtoul(gen, NULL, 8);
    buf_free(err);
    buf_free(path);
    buf_free(value);

    if (chdir(server_queue_directory) < 0)
        msg_fatal("chdir %s: %m", server_queue_directory);
    signal(SIGPIPE, SIG_IGN);
    /* SIGTERM keeps its default action: master's stop ends us at once. A
     * daemon with something to undo (cleanup) installs its own handler. */
    signal(SIGALRM, server_watchdog);
    if (ops->pre_init)
        ops->pre_init(server_service_name, server_argv);
    server_drop_privileges(do_chroot, unprivileged);
    if (ops->post_init)
        ops->post_init(server_service_name, server_argv);
    if (ops->persistent)
        server_max_use = server_max_idle = 0;
    if (standalone)
        server_standalone();

    /* Under master: the status pipe, the listen descriptors. */
    server_status_ok = fcntl(MASTER_STATUS_FD, F_GETFD) >= 0;
    if (server_status_ok)
        event_enable_read(MASTER_STATUS_FD, server_master_gone, NULL);
    accept_event = ops->model == SERVER_SINGLE  ? server_single_event
                   : ops->model == SERVER_MULTI ? server_multi_event
                                                : server_trigger_event;
    for (int i = 0; i < server_listen_count; i++) {
        int fd = MASTER_LISTEN_FD + i;

        if (fcntl(fd, F_GETFD) < 0)
            msg_fatal("no listen descriptor %d: not started by master?", fd);
        /* Only a trigger server can read a fifo or datagrams. */
        if (ops->model != SERVER_TRIGGER && server_is_direct(fd))
            msg_fatal("this service needs a stream socket (unix or inet), "
                      "not a fifo or unix-dgram endpoint: fix master.cf");
        sock_set_cloexec(fd, 1);
        if (!server_is_direct(fd))
            sock_set_nonblock(fd, 1);
        event_enable_read(fd, accept_event, (void *)(long)fd);
    }
    sock_set_cloexec(MASTER_FLOW_READ, 1);
    sock_set_cloexec(MASTER_FLOW_WRITE, 1);
    if (server_status_ok)
        sock_set_cloexec(MASTER_STATUS_FD, 1);
    server_arm_idle();
    for (;;) {
        int timeout =
            ops->loop ? ops->loop(server_service_name, server_argv) : -1;

        if (server_daemon_timeout > 0)
            alarm((unsigned)server_daemon_timeout);
        event_loop(timeout);
    }
}
