/*
 * bounce_qfile - read what a delivery status notice needs from a queue file
 *
 * A notice shows the original message's arrival time and envelope
 * sender, and attaches its headers or the whole message. This module
 * reads those from the queue file (record format: record.h, rec_type.h):
 * the envelope up to the M record (T arrival time, S sender), then the
 * content records up to X, as text. The header section ends at the first
 * empty line.
 *
 * Public functions:
 *	bounce_qfile_create(), bounce_qfile_free(qf)
 *	bounce_qfile_read(qf, queue, id, size_limit)
 *		opens queue/id (hashed per hash_queue_names: mail_queue.h)
 *		read-only and reads it; 0 on success, -1 when the file
 *		cannot be opened or is malformed before its content (then
 *		qf->found is 0 and the notice says the message is
 *		unavailable).
 *	bounce_qfile_read_stream(qf, sp, size_limit)
 *		the same from an open stream (for tests).
 * Content beyond size_limit bytes (bounce_size_limit) is not kept:
 * too_big is set and the notice attaches the headers only. Headers are
 * kept up to the limit too; a header section that alone exceeds it is
 * cut at a line boundary.
 *
 * No lock is taken: the file is only read, and the queue manager that
 * asked for the notice does not change it meanwhile.
 *
 * Diagnostics: a warning for a file that cannot be opened or read.
 * Configuration parameters: none (the caller passes bounce_size_limit).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "bounce_qfile.h"
#include "mail_queue.h"
#include "mem.h"
#include "msg.h"
#include "record.h"

struct bounce_qfile *bounce_qfile_create(void)
{
    struct bounce_qfile *qf = mem_zalloc(sizeof(*qf));

    qf->sender = buf_alloc(64);
    qf->headers = buf_alloc(1024);
    qf->body = buf_alloc(1024);
    return qf;
}

void bounce_qfile_free(struct bounce_qfile *qf)
{
    if (qf == NULL)
        return;
    buf_free(qf->sender);
    buf_free(qf->headers);
    buf_free(qf->body);
    mem_free(qf);
}

int bounce_qfile_read_stream(struct bounce_qfile *qf, struct stream *sp,
                             long size_limit)
{
    struct buf *rec = buf_alloc(1024);
    struct buf *line = buf_alloc(1024);
    int type;
    int in_headers = 1;
    int seen_time = 0;
    int ret = -1;

    qf->found = 0;
    buf_reset(qf->sender);
    buf_reset(qf->headers);
    buf_reset(qf->body);
    qf->content_len = 0;
    qf->too_big = 0;

    /* Envelope. */
    for (;;) {
        type = rec_get(sp, rec, 0);
        if (type < 0 || type == REC_TYPE_END)
            goto out;
        if (type == REC_TYPE_TIME) {
            qf->arrival = (time_t)strtol(buf_str(rec), NULL, 10);
            seen_time = 1;
        } else if (type == REC_TYPE_FROM) {
            buf_set(qf->sender, buf_str(rec), buf_len(rec));
        } else if (type == REC_TYPE_MESG) {
            break;
        }
    }
    if (!seen_time)
        goto out;

    /* Content, as lines; L records continue into the next record. */
    buf_reset(line);
    for (;;) {
        type = rec_get(sp, rec, 0);
        if (type < 0)
            goto out;
        if (type == REC_TYPE_XTRA || type == REC_TYPE_END)
            break;
        if (type != REC_TYPE_NORM && type != REC_TYPE_CONT)
            continue;
        buf_append(line, buf_str(rec), buf_len(rec));
        if (type == REC_TYPE_CONT)
            continue;
        qf->content_len += (long)buf_len(line) + 1;
        if (in_headers && buf_len(line) == 0) {
            in_headers = 0;
        } else if (qf->content_len > size_limit) {
            qf->too_big = 1;
        } else {
            struct buf *to = in_headers ? qf->headers : qf->body;

            buf_append(to, buf_str(line), buf_len(line));
            buf_append_char(to, '\n');
        }
        buf_reset(line);
    }
    if (buf_len(line) > 0 && !qf->too_big) {
        /* A last fragment without its NORM record. */
        buf_append(in_headers ? qf->headers : qf->body, buf_str(line),
                   buf_len(line));
        buf_append_char(in_headers ? qf->headers : qf->body, '\n');
    }
    qf->found = 1;
    ret = 0;
out:
    buf_free(rec);
    buf_free(line);
    return ret;
}

int bounce_qfile_read(struct bounce_qfile *qf, const char *queue,
                      const char *id, long size_limit)
{
    struct stream *sp;
    int fd;
    int ret;

    qf->found = 0;
    if ((fd = mail_queue_open(queue, id, O_RDONLY, 0)) < 0) {
        if (errno != ENOENT)
            msg_warn("open %s/%s: %m", queue, id);
        return -1;
    }
    sp = stream_fdopen(fd, 1);
    ret = bounce_qfile_read_stream(qf, sp, size_limit);
    if (ret < 0)
        msg_warn("%s: malformed or unreadable queue file %s/%s", id, queue, id);
    stream_close(sp);
    return ret;
}
