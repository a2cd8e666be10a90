/*
 * qc_message - read a queue file into core for the queue managers
 *
 * The first read of a message in the active queue goes through the
 * whole file once (spec b.2-b.4): it checks the segment structure
 * (letters per segment, the size record first, T and S present, an E
 * record at the end), takes in the envelope information (arrival and
 * create time, sender, DSN data, client attributes, the W record's
 * place) and the first recipients, up to the caller's limit. Where the
 * limit stopped it, it remembers the file offset (rcpt_offset) and
 * counts the recipients left (rcpt_unread). Each later read (a refill)
 * starts at rcpt_offset and reads only recipients, jumping over the
 * content (from the M record to data_offset + content size, where the X
 * record must be), until the limit or the E record.
 *
 * Recipients already done (D, /) and the O, o and n records before them
 * are skipped. Pointer records are followed and padding skipped by
 * rec_get_at(), which also gives the offset of the record itself (a
 * recipient's offset is where its R record is, never a pointer or
 * padding record before it: the delivery agent marks it done there).
 * The segment a refill resumes in is remembered with the offset
 * (QC_MSG_FLAG_RESUME_XTRA), not derived from it: records in the heap
 * after the E record belong to the segment whose pointer led there.
 * A size record whose data offset plus content size overflows is bad.
 *
 * Public functions (qc_impl.h):
 *	qc_message_alloc(queue_name, id)	an empty message
 *	qc_message_free(message)		its memory (not its entries)
 *	qc_message_read(message, sp, limit, out, why)
 *		read up to limit recipients into out (appended); returns how
 *		many, or -1 if the file is corrupt, with the reason in why.
 *		Sets QC_MSG_FLAG_ALL_READ when no recipient is left unread.
 *
 * Diagnostics: none logged here; the caller logs the reason and moves
 * the file to corrupt/.
 *
 * Configuration parameters: none (limits are the caller's).
 *
 * Choices: a pre-1.0 file (a size record with one field) is treated as
 * corrupt; Postfix still reads those. Attributes that Postern does not
 * use are ignored.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "msg.h"
#include "qc_impl.h"
#include "record.h"

struct qc_message *qc_message_alloc(const char *queue_name, const char *id)
{
    struct qc_message *m = mem_zalloc(sizeof(*m));

    m->queue_id = mem_strdup(id);
    m->queue_name = queue_name;
    m->tflags_offset = -1;
    m->warn_offset = -1;
    qc_ring_init(&m->active_link);
    return m;
}

void qc_message_free(struct qc_message *m)
{
    char **strs[] = {&m->queue_id,        &m->sender,        &m->verp_delims,
                     &m->filter,          &m->envelope_id,   &m->encoding,
                     &m->rewrite_context, &m->client_name,   &m->client_addr,
                     &m->client_port,     &m->client_proto,  &m->client_helo,
                     &m->sasl_method,     &m->sasl_username, &m->sasl_sender,
                     &m->log_ident};

    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        mem_free(*strs[i]);
    if (m->resolve_cache) {
        struct qc_resolve_cache *c = m->resolve_cache;

        mem_free(c->address);
        mem_free(c->transport);
        mem_free(c->nexthop);
        mem_free(c);
    }
    mem_free(m);
}

static void qc_set(char **dst, const char *value)
{
    mem_free(*dst);
    *dst = mem_strdup(value);
}

/* Parse a decimal long that must fill the text (blanks allowed before). */
static int qc_parse_long(const char *text, long *out)
{
    char *end;

    errno = 0;
    *out = strtol(text, &end, 10);
    return errno == 0 && end != text && *end == 0 ? 0 : -1;
}

/* The size record: six fields (at least three), spec b.4. */
static int qc_parse_size(struct qc_message *m, const char *text,
                         struct buf *why)
{
    long f[REC_TYPE_SIZE_FIELDS] = {0};
    int n;

    n = sscanf(text, "%ld %ld %ld %ld %ld %ld", f, f + 1, f + 2, f + 3, f + 4,
               f + 5);
    if (n < 3) {
        buf_printf(why, "%s size record \"%.100s\"",
                   n == 1 ? "unsupported pre-1.0" : "malformed", text);
        return -1;
    }
    if (f[0] <= 0 || f[1] <= 0 || f[2] < 0 || f[3] < 0 || f[3] > 0x1f ||
        f[4] < 0 || f[5] < 0 || f[0] > LONG_MAX - f[1]) {
        buf_printf(why, "bad size record \"%.100s\"", text);
        return -1;
    }
    m->data_size = f[0];
    m->data_offset = f[1];
    m->rcpt_total = (int)(f[2] > 0x7fffffff ? 0x7fffffff : f[2]);
    m->qmgr_flags = (int)f[3];
    m->cont_length = n >= 5 && f[4] > 0 ? f[4] : f[0];
    m->sendopts = n >= 6 ? (int)f[5] : 0;
    return 0;
}

/* A named attribute of the envelope or extracted segment. */
static void qc_attr(struct qc_message *m, const char *name, const char *value,
                    long offset)
{
    static const struct {
        const char *name;
        size_t off;
    } strs[] = {
        {"encoding", offsetof(struct qc_message, encoding)},
        {"rewrite_context", offsetof(struct qc_message, rewrite_context)},
        {"log_client_name", offsetof(struct qc_message, client_name)},
        {"log_client_address", offsetof(struct qc_message, client_addr)},
        {"log_client_port", offsetof(struct qc_message, client_port)},
        {"log_protocol_name", offsetof(struct qc_message, client_proto)},
        {"log_helo_name", offsetof(struct qc_message, client_helo)},
        {"sasl_method", offsetof(struct qc_message, sasl_method)},
        {"sasl_username", offsetof(struct qc_message, sasl_username)},
        {"sasl_sender", offsetof(struct qc_message, sasl_sender)},
        {"log_ident", offsetof(struct qc_message, log_ident)},
    };
    long num;

    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        if (strcmp(name, strs[i].name) == 0) {
            qc_set((char **)((char *)m + strs[i].off), value);
            return;
        }
    }
    if (strcmp(name, "trace_flags") == 0 && qc_parse_long(value, &num) == 0) {
        m->tflags = (int)num;
        m->tflags_offset = offset;
    }
}

/* Recipient state between O/o/n records and the R they belong to. */
struct qc_pending {
    char *orig;
    char *dsn_orcpt;
    int notify;
    long start; /* offset of the first of them, -1: none */
};

static void qc_pending_clear(struct qc_pending *p)
{
    mem_free(p->orig);
    mem_free(p->dsn_orcpt);
    p->orig = p->dsn_orcpt = NULL;
    p->notify = 0;
    p->start = -1;
}

static void qc_pending_mark(struct qc_pending *p, long offset)
{
    if (p->start < 0)
        p->start = offset;
}

int qc_message_read(struct qc_message *m, struct stream *sp, int limit,
                    struct qc_rcpt_list *out, struct buf *why)
{
    struct buf *rec = buf_alloc(256);
    struct qc_pending pend = {NULL, NULL, 0, -1};
    int first = !(m->flags & QC_MSG_FLAG_SCANNED);
    const char *allowed = REC_TYPE_ENVELOPE;
    int seg_extracted = 0;
    int got = 0;
    int full = 0; /* the limit was reached: count, do not keep */
    int unread = 0;
    int seen_size = 0;
    int seen_time = 0;
    int seen_from = 0;
    int result = -1;
    long stop_offset = 0;
    long num;

    buf_reset(why);
    if (!first) {
        if (m->rcpt_offset <= 0) {
            m->flags |= QC_MSG_FLAG_ALL_READ;
            buf_free(rec);
            return 0;
        }
        if (stream_seek(sp, m->rcpt_offset, SEEK_SET) < 0) {
            buf_printf(why, "seek to offset %ld: %m", m->rcpt_offset);
            goto done;
        }
        /* The segment the last read stopped in (not the offset: through
         * a pointer record, heap records after E belong to the segment
         * that points to them). */
        seg_extracted = (m->flags & QC_MSG_FLAG_RESUME_XTRA) != 0;
        allowed = seg_extracted ? REC_TYPE_EXTRACT : REC_TYPE_ENVELOPE;
    } else if (stream_seek(sp, 0, SEEK_SET) < 0) {
        buf_printf(why, "seek to start: %m");
        goto done;
    }

    for (;;) {
        off_t at = 0;
        int type = rec_get_at(sp, rec, 0, &at);
        long offset = (long)at; /* of this record, not of a pointer to it */
        const char *name;
        const char *value;

        if (type == REC_TYPE_EOF) {
            buf_printf(why, "missing end record");
            goto done;
        }
        if (type == REC_TYPE_ERROR) {
            buf_printf(why, "corrupt record at offset %ld", offset);
            goto done;
        }
        if (first && !seen_size && type != REC_TYPE_SIZE) {
            buf_printf(why, "first record is not a size record");
            goto done;
        }
        if (type == 0 || strchr(allowed, type) == NULL) {
            buf_printf(why, "unexpected record type %d in %s segment", type,
                       seg_extracted ? "extracted" : "envelope");
            goto done;
        }
        /* The pseudo types that travel as A records. */
        if (type == REC_TYPE_ATTR) {
            if (rec_attr_split(rec, &name, &value) < 0) {
                buf_printf(why, "malformed attribute record at offset %ld",
                           offset);
                goto done;
            }
            if ((type = rec_attr_map(name)) == 0) {
                if (first)
                    qc_attr(m, name, value, offset);
                continue;
            }
            /* From here on the record text is the value (it lies inside
             * rec: move, do not copy). */
            {
                size_t vlen = strlen(value);

                memmove(rec->data, value, vlen);
                buf_truncate(rec, vlen);
            }
        }
        switch (type) {
        case REC_TYPE_SIZE:
            if (!first)
                break;
            if (seen_size) {
                buf_printf(why, "duplicate size record");
                goto done;
            }
            if (qc_parse_size(m, buf_str(rec), why) < 0)
                goto done;
            seen_size = 1;
            break;
        case REC_TYPE_TIME:
            if (first) {
                long sec = 0;
                long usec = 0;

                if (sscanf(buf_str(rec), "%ld %ld", &sec, &usec) < 1 ||
                    sec <= 0) {
                    buf_printf(why, "bad time record \"%.100s\"", buf_str(rec));
                    goto done;
                }
                m->arrival.tv_sec = sec;
                m->arrival.tv_usec = usec >= 0 && usec < 1000000 ? usec : 0;
                seen_time = 1;
            }
            break;
        case REC_TYPE_CTIME:
            if (first && qc_parse_long(buf_str(rec), &num) == 0 && num > 0)
                m->create_time = num;
            break;
        case REC_TYPE_FROM:
            if (first) {
                qc_set(&m->sender, buf_str(rec));
                seen_from = 1;
            }
            break;
        case REC_TYPE_WARN:
            if (first) {
                if (qc_parse_long(buf_str(rec), &num) < 0) {
                    buf_printf(why, "bad warning time record");
                    goto done;
                }
                m->warn_time = num;
                m->warn_offset = offset;
            }
            break;
        case REC_TYPE_VERP:
            if (first)
                qc_set(&m->verp_delims, buf_str(rec));
            break;
        case REC_TYPE_FILT: /* L outside the content: a content filter */
            if (first && buf_len(rec) > 0)
                qc_set(&m->filter, buf_str(rec));
            break;
        case REC_TYPE_DSN_ENVID:
            if (first)
                qc_set(&m->envelope_id, buf_str(rec));
            break;
        case REC_TYPE_DSN_RET:
            if (first && qc_parse_long(buf_str(rec), &num) == 0)
                m->ret_flags = (int)num;
            break;
        case REC_TYPE_ORCP:
            qc_pending_mark(&pend, offset);
            qc_set(&pend.orig, buf_str(rec));
            break;
        case REC_TYPE_DSN_ORCPT:
            qc_pending_mark(&pend, offset);
            qc_set(&pend.dsn_orcpt, buf_str(rec));
            break;
        case REC_TYPE_DSN_NOTIFY:
            qc_pending_mark(&pend, offset);
            if (qc_parse_long(buf_str(rec), &num) < 0 || num < 0 || num > 15) {
                buf_printf(why, "bad notify flags record");
                goto done;
            }
            pend.notify = (int)num;
            break;
        case REC_TYPE_DONE:
        case REC_TYPE_DRCP:
            qc_pending_clear(&pend);
            break;
        case REC_TYPE_RCPT:
            if (!full && got >= limit) {
                /* Resume here (or at its O/o/n records) next time. */
                full = 1;
                stop_offset = pend.start >= 0 ? pend.start : offset;
                if (seg_extracted)
                    m->flags |= QC_MSG_FLAG_RESUME_XTRA;
                else
                    m->flags &= ~QC_MSG_FLAG_RESUME_XTRA;
                if (!first) {
                    qc_pending_clear(&pend);
                    result = got;
                    m->rcpt_offset = stop_offset;
                    goto done;
                }
            }
            if (full) {
                unread++;
            } else {
                struct qc_recipient r;

                r.address = mem_strdup(buf_str(rec));
                r.orig_rcpt = pend.orig;
                r.dsn_orig_rcpt = pend.dsn_orcpt;
                r.notify_flags = pend.notify;
                r.offset = offset;
                pend.orig = pend.dsn_orcpt = NULL;
                qc_rcpt_list_add(out, &r);
                got++;
            }
            qc_pending_clear(&pend);
            break;
        case REC_TYPE_MESG:
            /* Content: not ours. Continue at the X record. */
            if (m->data_offset <= 0 || m->data_size <= 0) {
                buf_printf(why, "content before size record");
                goto done;
            }
            if (stream_seek(sp, m->data_offset + m->data_size, SEEK_SET) < 0) {
                buf_printf(why, "seek to extracted segment: %m");
                goto done;
            }
            offset = (long)stream_tell(sp);
            if (rec_get(sp, rec, 0) != REC_TYPE_XTRA) {
                buf_printf(why, "no extracted segment at offset %ld", offset);
                goto done;
            }
            seg_extracted = 1;
            allowed = REC_TYPE_EXTRACT;
            break;
        case REC_TYPE_END:
            if (first && (!seen_time || !seen_from)) {
                buf_printf(why, "missing %s record",
                           !seen_time ? "time" : "sender");
                goto done;
            }
            if (first && !seg_extracted) {
                buf_printf(why, "missing content");
                goto done;
            }
            result = got;
            m->rcpt_offset = full ? stop_offset : 0;
            goto done;
        default:
            /* F I L > K P r e and friends: not needed for delivery. */
            break;
        }
    }

done:
    qc_pending_clear(&pend);
    buf_free(rec);
    if (result >= 0) {
        if (first) {
            m->flags |= QC_MSG_FLAG_SCANNED;
            m->rcpt_unread = unread;
            if (m->create_time == 0)
                m->create_time = m->arrival.tv_sec;
            if (m->log_ident == NULL)
                m->log_ident = mem_strdup(m->queue_id);
        } else {
            m->rcpt_unread -= result;
            if (m->rcpt_unread < 0 || m->rcpt_offset == 0)
                m->rcpt_unread = m->rcpt_offset ? 1 : 0;
        }
        m->rcpt_read += result;
        if (m->rcpt_offset == 0)
            m->flags |= QC_MSG_FLAG_ALL_READ;
    } else {
        /* Drop what this call added: the message is going to corrupt/. */
        while (out->len > 0 && got-- > 0)
            qc_recipient_free(out->info + --out->len);
    }
    return result;
}
