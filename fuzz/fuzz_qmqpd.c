/*
 * fuzz_qmqpd - libFuzzer target: a QMQP request through qmqpd's parts
 *
 * The input is a QMQP request as a client sends it (spec a.2: one outer
 * netstring holding the message, the sender and the recipients). It is
 * taken apart with netstring_parse(), as qmqpd reads it (the outer
 * length is not trusted: everything after its ':' is read as inner
 * netstrings until one fails or the data ends). What came out goes
 * through qmqpd_proto.c:
 *  1. qmqpd_verp_sender() on the sender, with the default filter and
 *     with one made of the first input byte: the rewritten sender is
 *     never longer, and delimiters are two bytes of which the second is
 *     '=';
 *  2. qmqpd_put_received() with the first recipient, and
 *     qmqpd_put_content() with the message, at a line length limit taken
 *     from the first input byte (1..64) and at 2048, into a memory file
 *     read back with rec_get(): only N and L records, none longer than
 *     the limit (plus the X-Mailbox-Line: prefix), and the payload bytes
 *     plus one newline per N record account for every message byte
 *     (plus one for an empty line put before a leading white-space line);
 *  3. qmqpd_status_reply() for a status made of the input's first bytes:
 *     the code is K, Z or D, K only for 0.
 * Everything is freed and closed before the next input.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fuzz_input.h"
#include "netstring.h"
#include "qmqpd.h"
#include "record.h"
#include "stream.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_input_init("fuzz_qmqpd");
    return 0;
}

static void fuzz_content(const char *msg, size_t len, size_t limit,
                         struct buf *rec)
{
    struct stream *sp = stream_fdopen(fuzz_input_memfd("", 0), 1);
    size_t prefix = strlen(QMQPD_MAILBOX_LINE);
    size_t bytes = 0;
    size_t prefixed = 0;
    int type;

    qmqpd_put_content(sp, msg, len, limit);
    FUZZ_CHECK(stream_flush(sp) == 0);
    FUZZ_CHECK(stream_seek(sp, 0, SEEK_SET) == 0);
    while ((type = rec_get(sp, rec, 0)) >= 0) {
        FUZZ_CHECK(type == REC_TYPE_NORM || type == REC_TYPE_CONT);
        FUZZ_CHECK(buf_len(rec) <= limit + prefix);
        if (buf_len(rec) >= prefix &&
            memcmp(buf_str(rec), QMQPD_MAILBOX_LINE, prefix) == 0)
            prefixed++;
        bytes += buf_len(rec) + (type == REC_TYPE_NORM);
    }
    FUZZ_CHECK(type == REC_TYPE_EOF);
    /* Every message byte is in a record (an LF as the end of an N); what
     * is added: From_ line prefixes and one empty line at most. */
    FUZZ_CHECK(bytes >= len && bytes <= len + 1 + prefix * prefixed);
    stream_close(sp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *colon = memchr(in, ':', size);
    struct buf *parts[3];
    struct buf *out = buf_alloc(64);
    struct buf *delims = buf_alloc(4);
    struct buf *why = buf_alloc(64);
    struct buf *rec = buf_alloc(64);
    size_t count = 0;
    size_t pos;
    char filter[3];
    unsigned status;

    for (int i = 0; i < 3; i++)
        parts[i] = buf_alloc(64);
    /* Inner netstrings after the outer length: message, sender, rcpt. */
    pos = colon ? (size_t)(colon - in) + 1 : size;
    while (pos < size && count < 3) {
        const char *value;
        size_t value_len;
        size_t consumed;

        if (netstring_parse(in + pos, size - pos, SIZE_MAX, &value, &value_len,
                            &consumed) != NETSTRING_OK)
            break;
        buf_set(parts[count++], value, value_len);
        pos += consumed;
    }

    /* 1. The sender. */
    filter[0] = size > 0 ? in[0] : '-';
    filter[1] = '=';
    filter[2] = 0;
    for (int f = 0; f < 2; f++) {
        int got = qmqpd_verp_sender(buf_str(parts[1]), buf_len(parts[1]),
                                    f ? filter : "-=+", out, delims, why);

        FUZZ_CHECK(got == QMQPD_VERP_NONE || got == QMQPD_VERP_OK ||
                   got == QMQPD_VERP_BAD);
        if (got == QMQPD_VERP_OK) {
            FUZZ_CHECK(buf_len(out) < buf_len(parts[1]));
            FUZZ_CHECK(buf_len(delims) == 2 && buf_str(delims)[1] == '=');
        }
        if (got == QMQPD_VERP_NONE)
            FUZZ_CHECK(buf_len(out) == buf_len(parts[1]));
    }

    /* 2. Received: and the message. */
    {
        struct stream *sp = stream_fdopen(fuzz_input_memfd("", 0), 1);
        struct qmqpd_received r = {
            "localhost", "127.0.0.1",       "fuzz.example",    "Postern",
            "QID",       count > 2 ? 1 : 2, buf_str(parts[2]), "DATE"};
        int n = 0;
        int type;

        qmqpd_put_received(sp, &r);
        FUZZ_CHECK(stream_flush(sp) == 0);
        FUZZ_CHECK(stream_seek(sp, 0, SEEK_SET) == 0);
        while ((type = rec_get(sp, rec, 0)) == REC_TYPE_NORM)
            n++;
        FUZZ_CHECK(type == REC_TYPE_EOF && n == 3);
        stream_close(sp);
    }
    fuzz_content(buf_str(parts[0]), buf_len(parts[0]),
                 size > 0 ? (size_t)(data[0] % 64) + 1 : 1, rec);
    fuzz_content(buf_str(parts[0]), buf_len(parts[0]), 2048, rec);

    /* 3. A verdict. */
    status = 0;
    for (size_t i = 0; i < size && i < 4; i++)
        status = status << 8 | data[i];
    {
        int code = qmqpd_status_reply(status, buf_str(why), "QID", out);

        FUZZ_CHECK(code == (status ? QMQPD_STAT_RETRY : QMQPD_STAT_OK) ||
                   (status && code == QMQPD_STAT_HARD));
    }

    for (int i = 0; i < 3; i++)
        buf_free(parts[i]);
    buf_free(out);
    buf_free(delims);
    buf_free(why);
    buf_free(rec);
    return 0;
}
