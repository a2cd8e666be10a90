#ifndef POSTERN_POSTDROP_H
#define POSTERN_POSTDROP_H

#include "buf.h"
#include "stream.h"

/* postdrop_copy() results. */
#define POSTDROP_COPY_OK    0 /* everything up to E was copied */
#define POSTDROP_COPY_EOF   1 /* input ended before E: client gave up */
#define POSTDROP_COPY_BAD   2 /* malformed input (why) */
#define POSTDROP_COPY_SIZE  3 /* more than the size limit */
#define POSTDROP_COPY_WRITE 4 /* the output stream failed */

struct postdrop_limits {
    long size_limit;  /* message_size_limit: bytes of file; 0 = none */
    size_t rec_limit; /* line_length_limit: longest record payload */
};

int postdrop_copy(struct stream *in, struct stream *out,
                  const struct postdrop_limits *limits, long *written,
                  const char *who, struct buf *why);
long postdrop_rec_size(size_t len);

#endif
