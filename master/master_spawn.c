/*
 * master_spawn - create, track and reap the children of master
 *
 * A child is created when a client waits on a service that has no idle
 * child (master_avail.c decides when). Before exec the child gets the
 * descriptors of the master/child protocol (master_proto.h): the in-flow
 * pipe on 3 and 4, its service's status pipe on 5, the service's listen
 * sockets from 6, and GENERATION (octal) and MAIL_CONFIG in its
 * environment. Every other descriptor of master is closed in the child.
 *
 * Public functions:
 *	master_spawn(serv)		fork and exec one child of serv
 *	master_reap_children()		waitpid() every exited child, log
 *					abnormal exits, throttle a service whose
 *					child died before serving anybody
 *	master_kill_children(serv, sig)	signal the children of one service
 *	master_kill_all(sig)		signal every child
 *	master_child_count()		children alive
 *	master_throttle(serv)		stop spawning for service_throttle_time
 *	master_throttle_cancel(serv)	forget a pending unthrottle (free)
 *	master_child_status(pid, gen, avail)	a status message arrived
 *
 * Diagnostics: "process PATH pid N exit status S", "process PATH pid N
 * killed by signal S", "PATH: bad command startup -- throttling" (the
 * log lines Postfix's master writes), fork failure (throttles).
 *
 * Configuration parameters: service_throttle_time.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "events.h"
#include "master.h"
#include "master_proto.h"
#include "mem.h"
#include "msg.h"

int master_flow_pipe[2] = {-1, -1};
int master_throttle_time = 60;

static struct master_child *master_children;
static unsigned master_generation;

int master_child_count(void)
{
    int count = 0;

    for (struct master_child *c = master_children; c; c = c->next)
        count++;
    return count;
}

static void master_unthrottle(int event, void *context)
{
    struct master_service *serv = context;

    (void)event;
    if (serv->throttled) {
        serv->throttled = 0;
        msg_info("%s: throttle expired", serv->path);
        master_avail_update(serv);
        master_wakeup_arm(serv);
    }
}

void master_throttle_cancel(struct master_service *serv)
{
    event_cancel_timer(master_unthrottle, serv);
}

void master_throttle(struct master_service *serv)
{
    if (serv->throttled)
        return;
    serv->throttled = 1;
    master_avail_update(serv);
    master_wakeup_cancel(serv);
    event_request_timer(master_unthrottle, serv, master_throttle_time * 1000);
}

/*
 * Move the descriptors a child needs into place. Sources may themselves
 * sit on the target numbers, so first copy them all above the range,
 * then dup2() them down.
 */
static void master_child_setup_fds(struct master_service *serv)
{
    int nfds = 3 + serv->listen_count;
    int *high = mem_alloc(sizeof(int) * (size_t)nfds);
    int limit = MASTER_LISTEN_FD + serv->listen_count;
    long maxfd = sysconf(_SC_OPEN_MAX);

    high[0] = fcntl(master_flow_pipe[0], F_DUPFD, limit);
    high[1] = fcntl(master_flow_pipe[1], F_DUPFD, limit);
    high[2] = fcntl(serv->status_fd[1], F_DUPFD, limit);
    for (int i = 0; i < serv->listen_count; i++)
        high[3 + i] = fcntl(serv->listen_fds[i], F_DUPFD, limit);
    for (int i = 0; i < nfds; i++) {
        int target = i < 3 ? MASTER_FLOW_READ + i : MASTER_LISTEN_FD + i - 3;

        if (high[i] < 0 || dup2(high[i], target) < 0) {
            fprintf(stderr, "master: child descriptor setup: %s\n",
                    strerror(errno));
            _exit(1);
        }
    }
    /* One system call instead of one per possible descriptor (thousands
     * with a high open-file limit, at every process start); the loop is
     * for kernels without close_range (before 5.9). */
    if (close_range((unsigned)limit, ~0U, 0) < 0) {
        if (maxfd < 0 || maxfd > 65536)
            maxfd = 65536;
        for (long fd = limit; fd < maxfd; fd++)
            close((int)fd);
    }
    mem_free(high);
}

void master_spawn(struct master_service *serv)
{
    struct master_child *child;
    pid_t pid;
    unsigned gen = ++master_generation;

    if (serv->throttled || serv->removed || master_stopping)
        return;
    if (serv->max_proc > 0 && serv->total_proc >= serv->max_proc)
        msg_panic("master_spawn: %s: process limit %d exceeded", serv->name,
                  serv->max_proc);
    switch (pid = fork()) {
    case -1:
        msg_warn("%s: fork: %m -- throttling", serv->path);
        master_throttle(serv);
        return;
    case 0: {
        char genbuf[32];
        sigset_t none;

        /* The child starts with default signal handling, nothing blocked. */
        signal(SIGCHLD, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        master_child_setup_fds(serv);
        snprintf(genbuf, sizeof(genbuf), "%o", gen);
        setenv(MASTER_GENERATION_ENV, genbuf, 1);
        setenv(MASTER_CONFIG_ENV, master_config_dir, 1);
        execv(serv->path, serv->argv);
        /* stderr may be /dev/null; master logs the exit status instead. */
        fprintf(stderr, "master: exec %s: %s\n", serv->path, strerror(errno));
        _exit(1);
    }
    default:
        break;
    }
    child = mem_zalloc(sizeof(*child));
    child->pid = pid;
    child->gen = gen;
    child->serv = serv;
    child->avail = 1;
    child->next = master_children;
    master_children = child;
    serv->total_proc++;
    serv->avail_proc++;
    if (!serv->ever_spawned) {
        serv->ever_spawned = 1;
        master_wakeup_arm(serv);
    }
    if (msg_verbose)
        msg_info("spawn %s pid %ld", serv->path, (long)pid);
    master_avail_update(serv);
}

void master_child_status(pid_t pid, unsigned gen, int avail)
{
    struct master_child *child;
    struct master_service *serv;

    for (child = master_children; child; child = child->next)
        if (child->pid == pid)
            break;
    /* Status messages are gossip: a reaped or unknown pid is not an error. */
    if (child == NULL)
        return;
    if (child->gen != gen) {
        msg_info("ignoring status update from child pid %ld generation %u",
                 (long)pid, gen);
        return;
    }
    serv = child->serv;
    if (avail == MASTER_STAT_TAKEN) {
        child->used = 1;
        if (child->avail) {
            child->avail = 0;
            serv->avail_proc--;
        }
    } else if (avail == MASTER_STAT_AVAIL) {
        if (!child->avail) {
            child->avail = 1;
            serv->avail_proc++;
        }
    } else {
        msg_warn("child pid %ld: bad status %d", (long)pid, avail);
        return;
    }
    master_avail_update(serv);
}

void master_reap_children(void)
{
    pid_t pid;
    int status;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct master_child **pp;
        struct master_child *child;
        struct master_service *serv;
        int abnormal = 0;

        for (pp = &master_children; (child = *pp) != NULL; pp = &child->next)
            if (child->pid == pid)
                break;
        if (child == NULL)
            continue;
        *pp = child->next;
        serv = child->serv;
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
            msg_warn("process %s pid %ld exit status %d", serv->path, (long)pid,
                     WEXITSTATUS(status));
            abnormal = 1;
        } else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM) {
            msg_warn("process %s pid %ld killed by signal %d", serv->path,
                     (long)pid, WTERMSIG(status));
            abnormal = 1;
        }
        serv->total_proc--;
        if (child->avail)
            serv->avail_proc--;
        if (abnormal && !child->used && !serv->removed) {
            msg_warn("%s: bad command startup -- throttling", serv->path);
            master_throttle(serv);
        }
        mem_free(child);
        if (serv->removed && serv->total_proc == 0)
            master_service_free(serv);
        else
            master_avail_update(serv);
    }
}

void master_kill_children(struct master_service *serv, int sig)
{
    for (struct master_child *c = master_children; c; c = c->next)
        if (c->serv == serv)
            kill(c->pid, sig);
}

void master_kill_all(int sig)
{
    for (struct master_child *c = master_children; c; c = c->next)
        kill(c->pid, sig);
}
