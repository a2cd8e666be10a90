/*
 * cleanup_client - hand a message to the cleanup service
 *
 * Every program that creates a queue file does it through cleanup (spec
 * d.3): connect to public/cleanup, read cleanup's announcement (one
 * attribute list: protocol=cleanup_protocol and queue_id=ID, as Postfix
 * 3.7's cleanup sends it; an announcement alone followed by a separate
 * queue_id list is accepted too), send the request flags, stream queue
 * file records, and read the verdict.
 *
 *	cleanup_client_open(path, flags, timeout)
 *		connects to the UNIX socket path (normally "public/cleanup",
 *		relative to the queue directory), with timeout seconds for
 *		the connect and each later read or write. Returns NULL with
 *		a warning when cleanup cannot be reached or its announcement
 *		is wrong. client->queue_id is the new queue file's ID;
 *		client->stream is where the caller writes its records
 *		(record.h), ending with REC_TYPE_END.
 *	cleanup_client_finish(client, reason)
 *		flushes what was written and reads cleanup's answer:
 *		returns the status bitmask (cleanup_user.h) and puts the
 *		reason text in reason (may be NULL). A dead connection or a
 *		malformed answer gives CLEANUP_STAT_WRITE with a warning and
 *		a reason saying so: the message is not queued.
 *	cleanup_client_close(client)
 *		closes the connection and frees the client. Closing before
 *		a complete message and a finished answer abandons the
 *		message: cleanup removes its file.
 *
 * The stream has no error point installed: write errors are sticky and
 * turn up in cleanup_client_finish(). Callers that want a longjmp on
 * errors may install their own with stream_set_jmp().
 *
 * Diagnostics: warnings for connection and protocol failures.
 * Configuration parameters: none (callers pass ipc_timeout).
 */
#include <string.h>

#include "attr.h"
#include "cleanup_client.h"
#include "cleanup_user.h"
#include "mem.h"
#include "msg.h"
#include "sock.h"

struct cleanup_client *cleanup_client_open(const char *path, int flags,
                                           int timeout)
{
    struct cleanup_client *client;
    struct attr_table *table = attr_table_create();
    const char *value;
    struct buf *id = NULL;
    int fd;

    if ((fd = unix_connect(path, timeout * 1000)) < 0) {
        msg_warn("connect to %s: %m", path);
        attr_table_free(table);
        return NULL;
    }
    client = mem_alloc(sizeof(*client));
    client->stream = stream_fdopen(fd, 1);
    client->queue_id = NULL;
    stream_set_timeout(client->stream, timeout);

    if (attr_scan_table(client->stream, ATTR_FLAG_NONE, table) < 0 ||
        (value = attr_table_get(table, ATTR_NAME_PROTOCOL)) == NULL) {
        msg_warn("%s: no cleanup service announcement: %s", path,
                 stream_error(client->stream)
                     ? stream_strerror(stream_error(client->stream))
                     : "malformed attribute list");
        goto fail;
    }
    if (strcmp(value, CLEANUP_PROTOCOL) != 0) {
        msg_warn("%s: unexpected protocol: expected %s, received %.100s", path,
                 CLEANUP_PROTOCOL, value);
        goto fail;
    }
    if ((value = attr_table_get(table, "queue_id")) == NULL) {
        id = buf_alloc(32);
        if (attr_scan(client->stream, ATTR_FLAG_STRICT,
                      ATTR_RECV_STR("queue_id", id), ATTR_END) != 1) {
            msg_warn("%s: no queue ID from the cleanup service", path);
            goto fail;
        }
        value = buf_str(id);
    }
    if (*value == 0) {
        msg_warn("%s: empty queue ID from the cleanup service", path);
        goto fail;
    }
    client->queue_id = mem_strdup(value);
    if (id != NULL)
        buf_free(id);
    attr_table_free(table);
    attr_print(client->stream, ATTR_FLAG_NONE, ATTR_SEND_INT("flags", flags),
               ATTR_END);
    return client;

fail:
    if (id != NULL)
        buf_free(id);
    attr_table_free(table);
    cleanup_client_close(client);
    return NULL;
}

int cleanup_client_finish(struct cleanup_client *client, struct buf *reason)
{
    struct buf *why = buf_alloc(100);
    int status = 0;
    int got;

    if (stream_flush(client->stream) != 0) {
        msg_warn("%s: write to the cleanup service: %s", client->queue_id,
                 stream_strerror(stream_error(client->stream)));
        got = -1;
    } else {
        got = attr_scan(client->stream, ATTR_FLAG_MISSING,
                        ATTR_RECV_INT("status", &status),
                        ATTR_RECV_STR("reason", why), ATTR_END);
        if (got < 1)
            msg_warn("%s: no status from the cleanup service: %s",
                     client->queue_id,
                     stream_error(client->stream)
                         ? stream_strerror(stream_error(client->stream))
                         : "malformed attribute list");
    }
    if (got < 1) {
        status = CLEANUP_STAT_WRITE;
        buf_set_str(why, "lost connection to the cleanup service");
    }
    if (reason != NULL)
        buf_set(reason, buf_str(why), buf_len(why));
    buf_free(why);
    return status;
}

void cleanup_client_close(struct cleanup_client *client)
{
    if (client == NULL)
        return;
    if (client->stream != NULL)
        stream_close(client->stream);
    mem_free(client->queue_id);
    mem_free(client);
}
