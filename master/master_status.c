/*
 * master_status - the status pipe of each service
 *
 * All children of a service write their status messages (struct
 * master_status, one write(2) each) into one pipe. Master reads it
 * without blocking and passes each message on. On reload master closes
 * and recreates the pipe: a child of the old generation, which watches
 * its descriptor 5, sees the pipe's read side go away (POLLERR) and exits
 * after its current client.
 *
 * Public functions:
 *	master_status_open(serv)	create the pipe, watch its read side
 *	master_status_close(serv)	stop watching, close both ends
 *
 * Diagnostics: a short status message is a warning (and ignored).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "events.h"
#include "master.h"
#include "master_proto.h"
#include "msg.h"
#include "sock.h"

void master_child_status(pid_t pid, unsigned gen, int avail);

static void master_status_event(int event, void *context)
{
    struct master_service *serv = context;
    struct master_status stat[64];
    ssize_t n;

    (void)event;
    n = read(serv->status_fd[0], stat, sizeof(stat));
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            msg_warn("service %s: read status pipe: %m", serv->name);
        return;
    }
    /* master holds the write side open, so end of file is impossible. */
    if (n == 0)
        msg_panic("service %s: end of file on status pipe", serv->name);
    if (n % (ssize_t)sizeof(stat[0]) != 0)
        msg_warn("service %s: short status message (%zd bytes)", serv->name, n);
    for (ssize_t i = 0; i < n / (ssize_t)sizeof(stat[0]); i++)
        master_child_status(stat[i].pid, stat[i].gen, stat[i].avail);
}

int master_status_open(struct master_service *serv)
{
    if (pipe2(serv->status_fd, O_CLOEXEC) < 0)
        return -1;
    sock_set_nonblock(serv->status_fd[0], 1);
    event_enable_read(serv->status_fd[0], master_status_event, serv);
    return 0;
}

void master_status_close(struct master_service *serv)
{
    if (serv->status_fd[0] < 0)
        return;
    event_disable_readwrite(serv->status_fd[0]);
    close(serv->status_fd[0]);
    close(serv->status_fd[1]);
    serv->status_fd[0] = serv->status_fd[1] = -1;
}
