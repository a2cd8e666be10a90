#ifndef POSTERN_QUEUE_ID_H
#define POSTERN_QUEUE_ID_H

#include <time.h>

#include "buf.h"

/*
 * Queue IDs, compatible with Postfix 3.7 (see queue_id.c for the two
 * forms). A queue ID is also a file name in the spool.
 */
#define QUEUE_ID_MAX_LEN 255 /* longest valid ID or queue file name */

/* Long IDs: "safe" alphabet, field widths and separator. */
#define QUEUE_ID_LONG_ALPHABET                                                 \
    "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz"
#define QUEUE_ID_LONG_TIME_PAD 6 /* seconds: at least this many digits */
#define QUEUE_ID_LONG_USEC_PAD 4 /* microseconds: exactly this many */
#define QUEUE_ID_LONG_INUM_SEP 'z'

void queue_id_short(struct buf *out, long usec, unsigned long inode);
void queue_id_long(struct buf *out, time_t sec, long usec, unsigned long inode);
int queue_id_valid(const char *id);
int queue_id_is_long(const char *id);
void queue_id_hash_key(const char *id, struct buf *key);
int queue_id_decode_long(const char *id, time_t *sec, long *usec,
                         unsigned long *inode);

#endif
