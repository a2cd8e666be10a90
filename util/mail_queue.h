#ifndef POSTERN_MAIL_QUEUE_H
#define POSTERN_MAIL_QUEUE_H

#include <sys/stat.h>
#include <sys/types.h>

#include "buf.h"

/* Queue names: directories under queue_directory. */
#define MAIL_QUEUE_MAILDROP "maildrop"
#define MAIL_QUEUE_INCOMING "incoming"
#define MAIL_QUEUE_ACTIVE   "active"
#define MAIL_QUEUE_DEFERRED "deferred"
#define MAIL_QUEUE_HOLD     "hold"
#define MAIL_QUEUE_CORRUPT  "corrupt"
#define MAIL_QUEUE_BOUNCE   "bounce"
#define MAIL_QUEUE_DEFER    "defer"
#define MAIL_QUEUE_TRACE    "trace"
#define MAIL_QUEUE_SAVED    "saved"
#define MAIL_QUEUE_FLUSH    "flush"

#define MAIL_QUEUE_NAME_MAX 100 /* longest valid queue name */

/*
 * Queue file modes. Only the owner bits say whether a file is complete;
 * the group bits are flags set on a complete file.
 */
#define MAIL_QUEUE_STAT_READY      (S_IRUSR | S_IWUSR | S_IXUSR) /* 0700 */
#define MAIL_QUEUE_STAT_CORRUPT    (S_IRUSR)                     /* 0400 */
#define MAIL_QUEUE_STAT_UNTHROTTLE (S_IRGRP)                     /* 040 */
#define MAIL_QUEUE_STAT_EXPIRE     (S_IXGRP)                     /* 010 */

/* Hashing defaults and limits (hash_queue_names, hash_queue_depth). */
#define MAIL_QUEUE_HASH_NAMES_DEFAULT "deferred, defer"
#define MAIL_QUEUE_HASH_DEPTH_DEFAULT 1
#define MAIL_QUEUE_HASH_DEPTH_MAX     16

/* Attempts at finding a free name before mail_queue_create gives up. */
#define MAIL_QUEUE_CREATE_TRIES 1000

int mail_queue_name_ok(const char *name);
int mail_queue_file_ready(const struct stat *st);

int mail_queue_set_hashing(const char *hash_queue_names, int depth);
int mail_queue_is_hashed(const char *queue);
void mail_queue_dir(struct buf *out, const char *queue, const char *id);
void mail_queue_path(struct buf *out, const char *queue, const char *id);

int mail_queue_create(const char *queue, mode_t mode, int long_ids,
                      struct buf *id_out);
int mail_queue_rename(const char *id, const char *old_queue,
                      const char *new_queue);
int mail_queue_remove(const char *queue, const char *id);
int mail_queue_open(const char *queue, const char *id, int flags, mode_t mode);

/* Walks one queue, hashed subdirectories included. */
struct mail_scan;

struct mail_scan *mail_scan_open(const char *queue);
const char *mail_scan_next(struct mail_scan *scan);
const char *mail_scan_path(const struct mail_scan *scan);
void mail_scan_close(struct mail_scan *scan);

#endif
