#ifndef POSTERN_BOUNCE_QFILE_H
#define POSTERN_BOUNCE_QFILE_H

#include <time.h>

#include "buf.h"
#include "stream.h"

/* What a notice needs from the original queue file (bounce_qfile.c). */
struct bounce_qfile {
    int found;          /* the file was read to its content */
    time_t arrival;     /* T record */
    struct buf *sender; /* S record */
    struct buf *headers;
    struct buf *body;
    long content_len; /* bytes of content read (headers + body) */
    int too_big;      /* content exceeds the size limit */
};

struct bounce_qfile *bounce_qfile_create(void);
void bounce_qfile_free(struct bounce_qfile *qf);
int bounce_qfile_read_stream(struct bounce_qfile *qf, struct stream *sp,
                             long size_limit);
int bounce_qfile_read(struct bounce_qfile *qf, const char *queue,
                      const char *id, long size_limit);

#endif
