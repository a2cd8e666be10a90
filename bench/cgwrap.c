/*
 * cgwrap.c - benchmark helper: run a daemon inside a per-program cgroup.
 *
 * bench/run.sh compiles this once per MTA with CG_DIR (that MTA's
 * CPU-accounting cgroup) and REAL_DIR (the real daemon directory) and
 * links it under each daemon's name into a wrapper daemon_directory.
 * When the master starts "cleanup", the wrapper moves itself into the
 * cgroup CG_DIR/cleanup (created on first use) and execs
 * REAL_DIR/cleanup with the same arguments, so the CPU of every process
 * of one program, exited ones included, adds up in one counter. The
 * cost is one extra execve per process start (about 0.1 ms).
 *
 * Not installed; not part of make check.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CG_DIR
#error define CG_DIR
#endif
#ifndef REAL_DIR
#error define REAL_DIR
#endif

int main(int argc, char **argv)
{
    const char *name;
    char path[4096];
    char pid[32];
    int fd;
    int len;

    (void)argc;
    name = strrchr(argv[0], '/');
    name = name ? name + 1 : argv[0];
    snprintf(path, sizeof(path), "%s/%s", CG_DIR, name);
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        perror(path);
    snprintf(path, sizeof(path), "%s/%s/cgroup.procs", CG_DIR, name);
    len = snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    if ((fd = open(path, O_WRONLY)) >= 0) {
        if (write(fd, pid, (size_t)len) != len)
            perror(path);
        close(fd);
    } else {
        perror(path);
    }
    snprintf(path, sizeof(path), "%s/%s", REAL_DIR, name);
    execv(path, argv);
    perror(path);
    return 127;
}
