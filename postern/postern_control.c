/*
 * postern_control - start, stop, reload and query master
 *
 * master's lock file $queue_directory/pid/master.pid is the truth: master
 * runs exactly while the file is flock()ed, and it holds master's pid.
 *
 * Public functions:
 *	postern_control(ctx, action)	start, start-fg, stop, abort, reload,
 *					status; returns the exit status
 *
 * Diagnostics (standard error and the log): "the Postern mail system is
 * already running", "... is not running", "starting the Postern mail
 * system", "stopping ...", "refreshing ...", "the Postern mail system is
 * running: PID: N".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "mem.h"
#include "msg.h"
#include "postern.h"

/* How long stop waits for master before it kills the process group. */
#define POSTERN_STOP_WAIT_MS 15000

/* master's pid when it runs, else 0. */
static pid_t postern_master_pid(struct postern_ctx *ctx)
{
    struct buf *path = buf_alloc(100);
    char text[32];
    ssize_t n;
    pid_t pid = 0;
    int fd;

    buf_printf(path, "%s/pid/master.pid", ctx->queue_dir);
    fd = open(buf_str(path), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        /* No file: never started. Anything else (EACCES for a user who
         * may not look) must not pass for "not running". */
        if (errno != ENOENT)
            msg_fatal("cannot tell whether master runs: open %s: %m",
                      buf_str(path));
        buf_free(path);
        return 0;
    }
    buf_free(path);
    if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
        n = pread(fd, text, sizeof(text) - 1, 0);
        if (n > 0) {
            text[n] = 0;
            pid = (pid_t)strtol(text, NULL, 10);
        }
        if (pid <= 0)
            pid = -1; /* running, pid unknown (file being written) */
    }
    close(fd);
    return pid;
}

static void postern_msleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static int postern_run_master(struct postern_ctx *ctx, const char *mode)
{
    struct buf *path = buf_alloc(100);
    pid_t pid;
    int status;

    buf_printf(path, "%s/master", ctx->daemon_dir);
    fflush(NULL);
    switch (pid = fork()) {
    case -1:
        msg_fatal("fork: %m");
    case 0:
        if (strcmp(mode, "fg") == 0)
            execl(buf_str(path), "master", "-c", ctx->config_dir, "-d", "-s",
                  (char *)NULL);
        else
            execl(buf_str(path), "master", "-c", ctx->config_dir, "-w",
                  (char *)NULL);
        msg_fatal("exec %s: %m", buf_str(path));
    default:
        break;
    }
    buf_free(path);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            msg_fatal("waitpid: %m");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int postern_stop(struct postern_ctx *ctx, pid_t pid, int wait)
{
    int waited = 0;

    msg_info("stopping the Postern mail system");
    if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
        msg_fatal("kill master pid %ld: %m", (long)pid);
    if (!wait)
        return 0;
    while (postern_master_pid(ctx) != 0) {
        if (waited >= POSTERN_STOP_WAIT_MS) {
            msg_warn("master pid %ld did not stop; killing it", (long)pid);
            kill(pid, SIGKILL);
            break;
        }
        postern_msleep(50);
        waited += 50;
    }
    /* master ends its children before it exits; see master.c. */
    msg_info("waiting for the Postern mail system to terminate");
    return 0;
}

int postern_control(struct postern_ctx *ctx, const char *action)
{
    pid_t pid = postern_master_pid(ctx);

    if (strcmp(action, "status") == 0) {
        if (pid == 0) {
            msg_info("the Postern mail system is not running");
            return 1;
        }
        msg_info("the Postern mail system is running: PID: %ld", (long)pid);
        return 0;
    }
    if (strcmp(action, "start") == 0 || strcmp(action, "start-fg") == 0) {
        if (pid != 0) {
            msg_warn("the Postern mail system is already running");
            return 1;
        }
        if (postern_check(ctx) != 0)
            return 1;
        msg_info("starting the Postern mail system");
        return postern_run_master(ctx,
                                  strcmp(action, "start") == 0 ? "bg" : "fg");
    }
    if (strcmp(action, "stop") == 0 || strcmp(action, "abort") == 0 ||
        strcmp(action, "reload") == 0) {
        if (pid == 0) {
            msg_warn("the Postern mail system is not running");
            return 1;
        }
        if (pid < 0)
            msg_fatal("master is starting up; try again");
        if (strcmp(action, "reload") == 0) {
            msg_info("refreshing the Postern mail system");
            if (kill(pid, SIGHUP) < 0)
                msg_fatal("kill -HUP master pid %ld: %m", (long)pid);
            return 0;
        }
        return postern_stop(ctx, pid, strcmp(action, "stop") == 0);
    }
    msg_warn("unknown command: %s", action);
    return 2;
}
