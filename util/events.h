#ifndef POSTERN_EVENTS_H
#define POSTERN_EVENTS_H

#include <stdint.h>

/*
 * One event loop per process (epoll). A callback learns why it runs from
 * the event bits: EVENT_READ / EVENT_WRITE (the descriptor is ready),
 * EVENT_XCPT (error or hangup; may come together with EVENT_READ or
 * EVENT_WRITE: try the I/O, it reports what happened), EVENT_TIME (a
 * timer went off).
 */
#define EVENT_READ  (1 << 0)
#define EVENT_WRITE (1 << 1)
#define EVENT_XCPT  (1 << 2)
#define EVENT_TIME  (1 << 3)

/* Largest descriptor number the loop accepts, plus one. */
#define EVENT_FD_LIMIT (1 << 20)

typedef void (*EVENT_CALLBACK)(int event, void *context);

void event_enable_read(int fd, EVENT_CALLBACK callback, void *context);
void event_enable_write(int fd, EVENT_CALLBACK callback, void *context);
void event_disable_readwrite(int fd);
int64_t event_request_timer(EVENT_CALLBACK callback, void *context,
                            int delay_ms);
int event_cancel_timer(EVENT_CALLBACK callback, void *context);
int event_loop(int timeout_ms);
int64_t event_now_ms(void);
void event_fork(void);

#endif
