#ifndef POSTERN_SAFE_OPEN_H
#define POSTERN_SAFE_OPEN_H

#include <sys/stat.h>
#include <sys/types.h>

#include "buf.h"

int safe_open(const char *path, int flags, mode_t mode, uid_t want_uid,
              gid_t want_gid, struct stat *st_out, struct buf *why);
int safe_open_dir_check(const char *path, uid_t want_uid, mode_t want_mode,
                        struct buf *why);

#endif
