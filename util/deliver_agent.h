#ifndef POSTERN_DELIVER_AGENT_H
#define POSTERN_DELIVER_AGENT_H

#include "deliver_request.h"
#include "dsn.h"
#include "stream.h"

/*
 * The two ends of a delivery request connection (deliver_agent.c); the
 * wire format is in deliver_request.h.
 */

/* Agent side. */
void deliver_agent_init(void);
int deliver_agent_read(struct stream *client, struct deliver_request **reqp);
int deliver_agent_done(struct stream *client, struct deliver_request *req,
                       const struct bounce_dsn *hop, int status);
int deliver_completed(struct deliver_request *req, long offset);

/* Client side (the queue manager). */
struct stream *deliver_agent_connect(const char *transport, int timeout);

#endif
