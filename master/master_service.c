/*
 * master_service - the listen endpoints and life cycle of one service
 *
 * Endpoints, relative to queue_directory (master runs there):
 *	unix, pass	stream socket private/NAME or public/NAME (mode 0666;
 *			the directory's mode is the access control)
 *	unix-dgram	datagram socket under private/ or public/
 *	fifo		private/NAME or public/NAME, mode 0622
 *	inet		[host:]port; without a host, one socket per address in
 *			inet_interfaces ("all" = the wildcard address)
 * Listen sockets are non-blocking: several children may race for one
 * client, and the losers must not hang in accept().
 *
 * Public functions:
 *	master_service_listen(serv, why)	open the endpoints; -1 + reason
 *	master_service_start(serv)	status pipe, watching, wakeups
 *	master_service_stop(serv)	removed from master.cf: close and
 *					remove the endpoints, SIGTERM the
 *					children, free
 *					when the last one is gone
 *	master_service_update(old, fresh)	reload: take fresh's settings,
 *					keep old's endpoints, new status pipe
 *	master_service_close(serv), master_service_free(serv)
 *
 * Configuration parameters: inet_interfaces (through master_conf.c).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"
#include "master.h"
#include "mem.h"
#include "msg.h"
#include "sock.h"

#define MASTER_LISTEN_BACKLOG 100

extern char **master_inet_interfaces;

static void master_service_add_fd(struct master_service *serv, int fd)
{
    serv->listen_fds = mem_realloc(
        serv->listen_fds, sizeof(int) * (size_t)(serv->listen_count + 1));
    serv->listen_fds[serv->listen_count++] = fd;
}

static int master_listen_inet(struct master_service *serv, struct buf *why)
{
    int fd;

    /* An explicit host, or "all" interfaces: one wildcard socket. */
    if (strchr(serv->name, ':') != NULL || master_inet_interfaces == NULL ||
        master_inet_interfaces[0] == NULL ||
        strcmp(master_inet_interfaces[0], "all") == 0) {
        if ((fd = inet_listen(serv->name, MASTER_LISTEN_BACKLOG, 1)) < 0) {
            buf_printf(why, "bind %s: %m", serv->name);
            return -1;
        }
        master_service_add_fd(serv, fd);
        return 0;
    }
    for (char **ifp = master_inet_interfaces; *ifp; ifp++) {
        struct buf *addr = buf_alloc(64);

        if (strchr(*ifp, ':') != NULL)
            buf_printf(addr, "[%s]:%s", *ifp, serv->name);
        else
            buf_printf(addr, "%s:%s", *ifp, serv->name);
        fd = inet_listen(buf_str(addr), MASTER_LISTEN_BACKLOG, 1);
        if (fd < 0) {
            buf_printf(why, "bind %s: %m", buf_str(addr));
            buf_free(addr);
            return -1;
        }
        buf_free(addr);
        master_service_add_fd(serv, fd);
    }
    return 0;
}

int master_service_listen(struct master_service *serv, struct buf *why)
{
    int fd = -1;

    if (strcmp(serv->type, "inet") == 0)
        return master_listen_inet(serv, why);
    if (strcmp(serv->type, "unix") == 0 || strcmp(serv->type, "pass") == 0) {
        if ((fd = unix_listen(serv->endpoint, MASTER_LISTEN_BACKLOG, 1)) >= 0)
            chmod(serv->endpoint, 0666);
    } else if (strcmp(serv->type, "unix-dgram") == 0) {
        if ((fd = unix_dgram_listen(serv->endpoint)) >= 0) {
            chmod(serv->endpoint, 0666);
            sock_set_nonblock(fd, 1);
        }
    } else if (strcmp(serv->type, "fifo") == 0) {
        fd = fifo_listen(serv->endpoint, 0622);
    } else {
        buf_printf(why, "unsupported service type %s", serv->type);
        return -1;
    }
    if (fd < 0) {
        buf_printf(why, "listen on %s: %m", serv->endpoint);
        return -1;
    }
    master_service_add_fd(serv, fd);
    return 0;
}

void master_service_close(struct master_service *serv)
{
    master_avail_stop(serv);
    for (int i = 0; i < serv->listen_count; i++)
        close(serv->listen_fds[i]);
    mem_free(serv->listen_fds);
    serv->listen_fds = NULL;
    serv->listen_count = 0;
}

static void master_service_free_settings(struct master_service *serv)
{
    mem_free(serv->name);
    mem_free(serv->type);
    mem_free(serv->path);
    mem_free(serv->endpoint);
    if (serv->argv) {
        for (char **ap = serv->argv; *ap; ap++)
            mem_free(*ap);
        mem_free(serv->argv);
    }
}

void master_service_free(struct master_service *serv)
{
    struct master_service **pp;

    for (pp = &master_services; *pp; pp = &(*pp)->next) {
        if (*pp == serv) {
            *pp = serv->next;
            break;
        }
    }
    master_wakeup_cancel(serv);
    master_throttle_cancel(serv);
    master_service_close(serv);
    master_status_close(serv);
    master_service_free_settings(serv);
    mem_free(serv);
}

void master_service_start(struct master_service *serv)
{
    if (master_status_open(serv) < 0)
        msg_fatal("service %s: create status pipe: %m", serv->name);
    master_avail_update(serv);
    master_wakeup_arm(serv);
}

void master_service_stop(struct master_service *serv)
{
    serv->removed = 1;
    master_wakeup_cancel(serv);
    master_service_close(serv);
    /* No listener any more: clients get "no such file", not a hang. */
    if (strcmp(serv->type, "inet") != 0 && unlink(serv->endpoint) < 0 &&
        errno != ENOENT)
        msg_warn("remove %s: %m", serv->endpoint);
    master_kill_children(serv, SIGTERM);
    if (serv->total_proc == 0)
        master_service_free(serv);
}

void master_service_update(struct master_service *old,
                           struct master_service *fresh)
{
    /* The endpoint moved (private column changed): new sockets. */
    if (strcmp(old->endpoint, fresh->endpoint) != 0) {
        master_service_close(old);
        /* Clients must not find the old name and hang on it. */
        if (strcmp(old->type, "inet") != 0 && unlink(old->endpoint) < 0 &&
            errno != ENOENT)
            msg_warn("remove %s: %m", old->endpoint);
        old->listen_fds = fresh->listen_fds;
        old->listen_count = fresh->listen_count;
        fresh->listen_fds = NULL;
        fresh->listen_count = 0;
    } else {
        master_service_close(fresh);
    }
    master_service_free_settings(old);
    old->name = fresh->name;
    old->type = fresh->type;
    old->path = fresh->path;
    old->endpoint = fresh->endpoint;
    old->argv = fresh->argv;
    old->private_sock = fresh->private_sock;
    old->unpriv = fresh->unpriv;
    old->chroot = fresh->chroot;
    old->wakeup = fresh->wakeup;
    old->wakeup_if_used = fresh->wakeup_if_used;
    old->max_proc = fresh->max_proc;
    old->line = fresh->line;
    mem_free(fresh);
    /* Old children see their status pipe go away and finish up. */
    master_status_close(old);
    if (master_status_open(old) < 0)
        msg_fatal("service %s: create status pipe: %m", old->name);
    master_wakeup_cancel(old);
    master_wakeup_arm(old);
    master_avail_update(old);
}
