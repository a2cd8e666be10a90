#ifndef POSTERN_CLEANUP_CLIENT_H
#define POSTERN_CLEANUP_CLIENT_H

#include "buf.h"
#include "stream.h"

/*
 * A client of the cleanup service (spec d.3), for everything that hands a
 * message to cleanup: qmqpd, pickup, later smtpd and bounce. See
 * cleanup_client.c.
 */
struct cleanup_client {
    struct stream *stream; /* write records here (record.h) */
    char *queue_id;        /* the ID cleanup announced */
};

struct cleanup_client *cleanup_client_open(const char *path, int flags,
                                           int timeout);
int cleanup_client_finish(struct cleanup_client *client, struct buf *reason);
void cleanup_client_close(struct cleanup_client *client);

#endif
