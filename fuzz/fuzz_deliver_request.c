/*
 * fuzz_deliver_request - libFuzzer target: the delivery request protocol
 * (deliver_request_get(), deliver_reply_get())
 *
 * What it feeds where: the input is what a queue manager sends a
 * delivery agent (the request list and its recipient lists), written
 * into one end of a UNIX-domain socketpair whose end is then closed; the
 * other end is read with deliver_request_get() (recipient limit 64, as
 * an agent with a small qmgr_message_recipient_limit). A request that is
 * accepted must be well formed: a valid queue name and ID, 1..64
 * recipients; it is written back with deliver_request_send() to a
 * memory-backed file and read again: every field must come back the
 * same. The same input is also read as an agent's reply with
 * deliver_reply_get(), which must return 0 or -1.
 *
 * Everything is freed and closed before the next input.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "deliver_request.h"
#include "fuzz_input.h"
#include "mail_queue.h"
#include "queue_id.h"
#include "stream.h"

#define FUZZ_RCPT_LIMIT 64

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_input_init("fuzz_deliver_request");
    return 0;
}

static void fuzz_same_str(const char *a, const char *b)
{
    FUZZ_CHECK(strcmp(a ? a : "", b ? b : "") == 0);
}

static void fuzz_round_trip(const struct deliver_request *req)
{
    struct stream *sp = stream_fdopen(fuzz_input_memfd("", 0), 1);
    struct deliver_request *again = deliver_request_alloc();

    FUZZ_CHECK(deliver_request_send(sp, req) == 0);
    FUZZ_CHECK(stream_seek(sp, 0, SEEK_SET) == 0);
    FUZZ_CHECK(deliver_request_get(sp, again, FUZZ_RCPT_LIMIT) == 0);
    FUZZ_CHECK(again->flags == req->flags);
    fuzz_same_str(again->queue_name, req->queue_name);
    fuzz_same_str(again->queue_id, req->queue_id);
    FUZZ_CHECK(again->data_offset == req->data_offset);
    FUZZ_CHECK(again->data_size == req->data_size);
    fuzz_same_str(again->nexthop, req->nexthop);
    fuzz_same_str(again->sender, req->sender);
    fuzz_same_str(again->rewrite_context, req->rewrite_context);
    FUZZ_CHECK(memcmp(&again->stats, &req->stats, sizeof(req->stats)) == 0);
    FUZZ_CHECK(again->rcpt_count == req->rcpt_count);
    for (int i = 0; i < req->rcpt_count; i++) {
        fuzz_same_str(again->rcpt[i].recipient, req->rcpt[i].recipient);
        fuzz_same_str(again->rcpt[i].original_recipient,
                      req->rcpt[i].original_recipient);
        FUZZ_CHECK(again->rcpt[i].offset == req->rcpt[i].offset);
        FUZZ_CHECK(again->rcpt[i].notify_flags == req->rcpt[i].notify_flags);
    }
    deliver_request_free(again);
    stream_close(sp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stream *sp = stream_fdopen(fuzz_input_socket(data, size), 1);
    struct deliver_request *req = deliver_request_alloc();
    struct deliver_reply *reply = deliver_reply_alloc();
    int ret;

    ret = deliver_request_get(sp, req, FUZZ_RCPT_LIMIT);
    FUZZ_CHECK(ret == 0 || ret == -1);
    if (ret == 0) {
        FUZZ_CHECK(mail_queue_name_ok(req->queue_name));
        FUZZ_CHECK(queue_id_valid(req->queue_id));
        FUZZ_CHECK(req->rcpt_count >= 1 && req->rcpt_count <= FUZZ_RCPT_LIMIT);
        fuzz_round_trip(req);
    }
    deliver_request_free(req);
    stream_close(sp);

    sp = stream_fdopen(fuzz_input_socket(data, size), 1);
    ret = deliver_reply_get(sp, reply);
    FUZZ_CHECK(ret == 0 || ret == -1);
    deliver_reply_free(reply);
    stream_close(sp);
    return 0;
}
