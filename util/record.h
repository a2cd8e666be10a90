#ifndef POSTERN_RECORD_H
#define POSTERN_RECORD_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "rec_type.h"
#include "stream.h"

/* Writing records (format: rec_type.h). */
int rec_put(struct stream *sp, int type, const void *data, size_t len);
int rec_puts(struct stream *sp, int type, const char *str);
int rec_fprintf(struct stream *sp, int type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int rec_put_type(struct stream *sp, int type, off_t offset);

/* Reading records; maxlen 0 = no limit beyond REC_LEN_MAX. */
int rec_get_raw(struct stream *sp, struct buf *bp, size_t maxlen);
int rec_get(struct stream *sp, struct buf *bp, size_t maxlen);
/* As rec_get(); *offset: where the record returned starts. */
int rec_get_at(struct stream *sp, struct buf *bp, size_t maxlen, off_t *offset);

/* 'A' record payloads. */
int rec_attr_split(struct buf *bp, const char **name, const char **value);
int rec_attr_map(const char *name);

#endif
