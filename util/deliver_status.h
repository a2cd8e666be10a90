#ifndef POSTERN_DELIVER_STATUS_H
#define POSTERN_DELIVER_STATUS_H

#include "deliver_request.h"
#include "dsn.h"

/*
 * What a delivery agent does with one recipient's outcome: tell the
 * bounce/defer/trace services, log the line, mark the recipient done.
 * See deliver_status.c. Each returns 0 when the recipient is dealt with
 * for good, -1 when the queue manager must try it again; an agent ORs
 * the results into its reply status.
 */
void deliver_status_init(void);
void deliver_status_configure(int soft_bounce, int resolution, int external);
int deliver_sent(struct deliver_request *req, int index, const char *relay,
                 const struct bounce_dsn *dsn);
int deliver_bounce(struct deliver_request *req, int index, const char *relay,
                   const struct bounce_dsn *dsn);
int deliver_defer(struct deliver_request *req, int index, const char *relay,
                  const struct bounce_dsn *dsn);
void deliver_status_log(const struct deliver_request *req, int index,
                        const char *relay, const char *dsn_status,
                        const char *word, const char *reason);

/* Status words of the log line. */
#define DELIVER_WORD_SENT          "sent"
#define DELIVER_WORD_BOUNCED       "bounced"
#define DELIVER_WORD_DEFERRED      "deferred"
#define DELIVER_WORD_SOFTBOUNCE    "SOFTBOUNCE"
#define DELIVER_WORD_DELIVERABLE   "deliverable"
#define DELIVER_WORD_UNDELIVERABLE "undeliverable"

#endif
