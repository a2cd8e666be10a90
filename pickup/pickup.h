#ifndef POSTERN_PICKUP_H
#define POSTERN_PICKUP_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "stream.h"

/* What pickup asks of cleanup (as Postfix 3.7's pickup: 627). */
#define PICKUP_CLEANUP_FLAGS                                                   \
    (CLEANUP_FLAG_MASK_EXTERNAL | CLEANUP_FLAG_BOUNCE | CLEANUP_FLAG_AUTOUTF8)

/* One maildrop file on its way to cleanup. */
struct pickup_info {
    long uid;     /* the file's owner: who submitted it */
    time_t mtime; /* arrival time when the file has no T */
    long mtime_usec;
    const char *queue_id;  /* cleanup's queue ID */
    const char *hostname;  /* myhostname */
    const char *mail_name; /* mail_name */
    time_t now;            /* for the Received: header */
    size_t rec_limit;      /* line_length_limit */
    struct buf *sender;    /* out: the envelope sender */
};

/* pickup_copy() results. */
#define PICKUP_COPY_OK    0 /* copied up to and including E */
#define PICKUP_COPY_BAD   1 /* malformed file (why) */
#define PICKUP_COPY_WRITE 2 /* the cleanup stream failed */

int pickup_copy(struct stream *file, struct stream *cleanup,
                struct pickup_info *info, const char *label, struct buf *why);

#endif
