#ifndef POSTERN_REWRITE_CLIENT_H
#define POSTERN_REWRITE_CLIENT_H

#include "buf.h"
#include "rewrite_proto.h"

/*
 * A client of the trivial-rewrite service (see rewrite_client.c and the
 * protocol in rewrite_proto.h), for cleanup, qmgr and bounce.
 */
struct resolve_reply {
    struct buf *transport; /* delivery transport (master.cf service) */
    struct buf *nexthop;   /* next hop, or the error transport's text */
    struct buf *recipient; /* recipient, internal form */
    int flags;             /* RESOLVE_FLAG_* | RESOLVE_CLASS_* */
};

void rewrite_client_init(const char *path, int timeout);
void rewrite_client_close(void);

int rewrite_address(const char *context, const char *addr, struct buf *out);
int rewrite_address_internal(const char *context, const char *addr,
                             struct buf *out);

void resolve_reply_init(struct resolve_reply *reply);
void resolve_reply_free(struct resolve_reply *reply);
int resolve_address(const char *addr, struct resolve_reply *reply);
int resolve_address_sender(const char *request, const char *sender,
                           const char *addr, struct resolve_reply *reply);

#endif
