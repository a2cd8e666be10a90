/*
 * unit_records - queue file records as short text, for tests
 *
 *	unit_records_encode(out, spec)	append the records of spec (see
 *				unit_records.h) to out, in the queue file
 *				encoding (rec_type.h), written here by hand
 *				rather than with record.c
 *	unit_records_render(sp, out)	read records from sp up to the end
 *				of input and render them in the same
 *				notation; a read error renders as "!ERROR"
 */
#include <string.h>

#include "record.h"
#include "unit_records.h"

static void unit_records_put(struct buf *out, int type, const char *data,
                             size_t len)
{
    size_t n = len;

    buf_append_char(out, type);
    do {
        int byte = (int)(n & 0x7f);

        n >>= 7;
        buf_append_char(out, n ? byte | 0x80 : byte);
    } while (n);
    buf_append(out, data, len);
}

void unit_records_encode(struct buf *out, const char *spec)
{
    struct buf *payload = buf_alloc(64);
    const char *cp = spec;

    while (*cp) {
        int type = (unsigned char)*cp++;

        if (*cp == ':')
            cp++;
        buf_reset(payload);
        while (*cp && *cp != '|') {
            if (cp[0] == '\\' && cp[1] == 't') {
                buf_append_char(payload, '\t');
                cp += 2;
            } else if (cp[0] == '\\' && cp[1] == 'r') {
                buf_append_char(payload, '\r');
                cp += 2;
            } else {
                buf_append_char(payload, *cp++);
            }
        }
        unit_records_put(out, type, buf_str(payload), buf_len(payload));
        if (*cp == '|')
            cp++;
    }
    buf_free(payload);
}

void unit_records_render(struct stream *sp, struct buf *out)
{
    struct buf *rec = buf_alloc(64);
    int type;

    buf_reset(out);
    while ((type = rec_get_raw(sp, rec, 0)) != REC_TYPE_EOF) {
        if (buf_len(out) > 0)
            buf_append_char(out, '|');
        if (type == REC_TYPE_ERROR) {
            buf_append_str(out, "!ERROR");
            break;
        }
        buf_append_char(out, type);
        buf_append_char(out, ':');
        for (size_t i = 0; i < buf_len(rec); i++) {
            int ch = (unsigned char)buf_str(rec)[i];

            if (ch == '\t')
                buf_append_str(out, "\\t");
            else if (ch == '\r')
                buf_append_str(out, "\\r");
            else
                buf_append_char(out, ch);
        }
    }
    buf_free(rec);
}
