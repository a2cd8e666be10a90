/*
 * master_wakeup - periodic wakeup triggers (master.cf column 6)
 *
 * Every wakeup seconds master connects to the service's own endpoint and
 * writes the one byte 'W', with a one second time limit, then re-arms the
 * timer. The first wakeup is sent at once when the timer is armed (start,
 * reload, or a conditional service's first start), so that qmgr and
 * pickup run from the start, as with Postfix. A service written "N?" is only woken after it was started once
 * (Postfix's conditional wakeup); a throttled service is not woken at
 * all. inet services are woken over TCP, unix and fifo services through
 * their socket or fifo.
 *
 * Public functions:
 *	master_wakeup_arm(serv)		start the timer if the service wants it
 *	master_wakeup_cancel(serv)	stop it
 */
#include <string.h>

#include "events.h"
#include "master.h"
#include "master_proto.h"
#include "msg.h"
#include "trigger.h"

#define MASTER_WAKEUP_TIMEOUT_MS 1000

static void master_wakeup_event(int event, void *context)
{
    struct master_service *serv = context;
    static const char wakeup[] = {TRIGGER_REQ_WAKEUP};
    int ret;

    (void)event;
    if (serv->throttled || serv->removed || serv->wakeup <= 0)
        return;
    if (strcmp(serv->type, "inet") == 0)
        ret = trigger_inet(serv->endpoint, wakeup, sizeof(wakeup),
                           MASTER_WAKEUP_TIMEOUT_MS);
    else
        ret = trigger_send(serv->endpoint, wakeup, sizeof(wakeup),
                           MASTER_WAKEUP_TIMEOUT_MS);
    if (ret < 0 && msg_verbose)
        msg_info("wakeup %s: %m", serv->endpoint);
    event_request_timer(master_wakeup_event, serv, serv->wakeup * 1000);
}

void master_wakeup_arm(struct master_service *serv)
{
    if (serv->wakeup <= 0 || serv->throttled || serv->removed)
        return;
    if (serv->wakeup_if_used && !serv->ever_spawned)
        return;
    /* The first wakeup goes out at once, as Postfix's master does: qmgr
     * and pickup start with the mail system (and after a reload) and
     * look at their queues, instead of one interval later. */
    event_request_timer(master_wakeup_event, serv, 0);
}

void master_wakeup_cancel(struct master_service *serv)
{
    event_cancel_timer(master_wakeup_event, serv);
}
