/*
 * fuzz_maildrop - libFuzzer target: what local users may submit
 *
 * What it feeds where: the input is what a client sends postdrop (a
 * memfd standing in for standard input). postdrop_copy() copies it into
 * a maildrop file (a second memfd) with line_length_limit 2048 and a
 * message_size_limit of 65536; its count of bytes written must equal the
 * file's size. The same input, read as a maildrop file, goes through
 * pickup_copy() into a third memfd (the cleanup connection). Properties:
 *  - what postdrop accepted (result OK) pickup accepts too, once the T
 *    record postdrop writes is put in front; and the records pickup
 *    sends cleanup all pass the maildrop rules in file mode, the
 *    Received: header lines and the T record it may add included;
 *  - every record in the maildrop file passes the rules in client mode.
 * Everything is freed and closed before the next input.
 */
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fuzz_input.h"
#include "maildrop.h"
#include "pickup.h"
#include "postdrop.h"
#include "record.h"
#include "stream.h"

#define FUZZ_REC_LIMIT  2048
#define FUZZ_SIZE_LIMIT 65536

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_input_init("fuzz_maildrop");
    return 0;
}

/* Every record of sp passes the rules; returns the number of records. */
static size_t fuzz_check_all(struct stream *sp, int flags, struct buf *rec,
                             struct buf *why)
{
    struct maildrop_check check;
    size_t count = 0;
    int type;

    maildrop_check_init(&check, flags);
    FUZZ_CHECK(stream_seek(sp, 0, SEEK_SET) == 0);
    while ((type = rec_get_raw(sp, rec, 0)) >= 0) {
        FUZZ_CHECK(maildrop_check_record(&check, type, buf_str(rec),
                                         buf_len(rec),
                                         why) == MAILDROP_REC_KEEP);
        count++;
    }
    FUZZ_CHECK(type == REC_TYPE_EOF);
    return count;
}

static int fuzz_pickup(const void *data, size_t size, struct buf *rec,
                       struct buf *why)
{
    struct stream *file = stream_fdopen(fuzz_input_memfd(data, size), 1);
    struct stream *cleanup = stream_fdopen(fuzz_input_memfd("", 0), 1);
    struct pickup_info info;
    int result;

    memset(&info, 0, sizeof(info));
    info.uid = 1000;
    info.mtime = 1700000000;
    info.queue_id = "FUZZ1";
    info.hostname = "fuzz.example";
    info.mail_name = "Postern";
    info.now = 1700000000;
    info.rec_limit = FUZZ_REC_LIMIT;
    info.sender = buf_alloc(16);
    result = pickup_copy(file, cleanup, &info, "maildrop/FUZZ", why);
    FUZZ_CHECK(stream_flush(cleanup) == 0);
    if (result == PICKUP_COPY_OK)
        (void)fuzz_check_all(cleanup, MAILDROP_CHECK_FILE, rec, why);
    buf_free(info.sender);
    stream_close(file);
    stream_close(cleanup);
    return result;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct postdrop_limits limits = {FUZZ_SIZE_LIMIT, FUZZ_REC_LIMIT};
    struct stream *in = stream_fdopen(fuzz_input_memfd(data, size), 1);
    struct stream *out = stream_fdopen(fuzz_input_memfd("", 0), 1);
    struct buf *rec = buf_alloc(64);
    struct buf *why = buf_alloc(64);
    struct buf *file = buf_alloc(64);
    struct stat st;
    long written = 0;
    int result;

    result = postdrop_copy(in, out, &limits, &written, "uid=1000", why);
    FUZZ_CHECK(result >= POSTDROP_COPY_OK && result <= POSTDROP_COPY_WRITE);
    FUZZ_CHECK(result != POSTDROP_COPY_WRITE);
    FUZZ_CHECK(stream_flush(out) == 0);
    FUZZ_CHECK(fstat(stream_fileno(out), &st) == 0);
    if (result != POSTDROP_COPY_SIZE)
        FUZZ_CHECK(written == (long)st.st_size);
    FUZZ_CHECK(written <= FUZZ_SIZE_LIMIT || result == POSTDROP_COPY_SIZE);
    (void)fuzz_check_all(out, MAILDROP_CHECK_CLIENT, rec, why);
    if (result == POSTDROP_COPY_OK) {
        /* The file postdrop would have written: T, then the records. */
        buf_set(file, "T\0031 2", 5);
        FUZZ_CHECK(stream_seek(out, 0, SEEK_SET) == 0);
        buf_reserve(file, (size_t)st.st_size);
        FUZZ_CHECK(read(stream_fileno(out), file->data + file->len,
                        (size_t)st.st_size) == st.st_size);
        file->len += (size_t)st.st_size;
        file->data[file->len] = 0;
        FUZZ_CHECK(fuzz_pickup(buf_str(file), buf_len(file), rec, why) ==
                   PICKUP_COPY_OK);
    }
    (void)fuzz_pickup(data, size, rec, why);
    stream_close(in);
    stream_close(out);
    buf_free(rec);
    buf_free(why);
    buf_free(file);
    return 0;
}
