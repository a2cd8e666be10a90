#ifndef POSTERN_MASTER_H
#define POSTERN_MASTER_H

#include <sys/types.h>

#include "buf.h"

/*
 * One master.cf service as master runs it. A service is identified by
 * (name, type); its listen descriptors and its status pipe belong to
 * master and survive child turnover.
 */
struct master_service {
    char *name;         /* master.cf column 1 */
    char *type;         /* inet, unix, unix-dgram, fifo, pass */
    int private_sock;   /* column 3: socket under private/ */
    int unpriv;         /* column 4 */
    int chroot;         /* column 5 */
    int wakeup;         /* column 6: seconds, 0 = never */
    int wakeup_if_used; /* column 6 trailing '?' */
    int max_proc;       /* column 7, resolved; 0 = unlimited */
    char *path;         /* $daemon_directory/command */
    char **argv;        /* argv as the child gets it (NULL-terminated) */
    char *endpoint;     /* socket/fifo path, or inet address */
    int *listen_fds;
    int listen_count;
    int status_fd[2]; /* master reads [0]; children write [1] */
    int total_proc;   /* children alive */
    int avail_proc;   /* children that said they are idle */
    int ever_spawned; /* arms '?' wakeups */
    int throttled;    /* no new children until the throttle timer */
    int listening;    /* master watches listen_fds for clients */
    int removed;      /* gone from master.cf after a reload */
    int line;         /* master.cf line, for diagnostics */
    struct master_service *next;
};

struct master_child {
    pid_t pid;
    unsigned gen;
    struct master_service *serv;
    int avail; /* last status: idle */
    int used;  /* has served at least one client */
    struct master_child *next;
};

/* master.c */
extern char *master_config_dir;
extern char *master_queue_dir;
extern int master_debug;
extern int master_stopping;
extern struct master_service *master_services;

/* master_conf.c */
int master_config_load(struct buf *why);
void master_config_reload(void);

/* master_service.c */
int master_service_listen(struct master_service *serv, struct buf *why);
void master_service_close(struct master_service *serv);
void master_service_free(struct master_service *serv);
void master_service_start(struct master_service *serv);
void master_service_stop(struct master_service *serv);
void master_service_update(struct master_service *old,
                           struct master_service *fresh);

/* master_avail.c */
void master_avail_update(struct master_service *serv);
void master_avail_stop(struct master_service *serv);

/* master_spawn.c */
void master_spawn(struct master_service *serv);
void master_reap_children(void);
void master_kill_children(struct master_service *serv, int sig);
void master_kill_all(int sig);
int master_child_count(void);

/* master_status.c */
int master_status_open(struct master_service *serv);
void master_status_close(struct master_service *serv);

/* master_wakeup.c */
void master_wakeup_arm(struct master_service *serv);
void master_wakeup_cancel(struct master_service *serv);

/* master_throttle (in master_spawn.c) */
void master_throttle(struct master_service *serv);
void master_throttle_cancel(struct master_service *serv);

#endif
