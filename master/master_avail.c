/*
 * master_avail - decide when master itself watches a service's sockets
 *
 * Postfix's process creation policy: while a service has an idle child,
 * that child accepts the next client, and master leaves the listen
 * sockets alone (clients wait in the kernel's backlog). When no child is
 * idle and the process limit allows one more (maxproc 0 = no limit),
 * master watches the listen sockets; when one becomes readable it
 * creates a child, which then does the accept. A throttled or removed
 * service is never watched.
 *
 * Public functions:
 *	master_avail_update(serv)	re-evaluate after any change in the
 *					service's children or state
 *	master_avail_stop(serv)		stop watching (service going away)
 */
#include "events.h"
#include "master.h"
#include "msg.h"

static void master_avail_event(int event, void *context)
{
    struct master_service *serv = context;

    (void)event;
    /* More than one socket may be ready; one child per event is enough. */
    if (serv->listening && serv->avail_proc == 0)
        master_spawn(serv);
}

static void master_avail_listen(struct master_service *serv, int on)
{
    if (serv->listening == on)
        return;
    serv->listening = on;
    for (int i = 0; i < serv->listen_count; i++) {
        if (on)
            event_enable_read(serv->listen_fds[i], master_avail_event, serv);
        else
            event_disable_readwrite(serv->listen_fds[i]);
    }
}

void master_avail_update(struct master_service *serv)
{
    int want = !master_stopping && !serv->throttled && !serv->removed &&
               serv->avail_proc <= 0 &&
               (serv->max_proc == 0 || serv->total_proc < serv->max_proc);

    master_avail_listen(serv, want);
}

void master_avail_stop(struct master_service *serv)
{
    master_avail_listen(serv, 0);
}
