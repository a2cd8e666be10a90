/*
 * rewrite_query - util/rewrite_client.c as a command, for system tests
 *
 * Usage: rewrite_query SOCKET_PATH < requests
 *
 * Reads one request per line and prints one answer line per request,
 * talking to the trivial-rewrite service at SOCKET_PATH through the
 * client library (so the tests exercise it against Postern's server and
 * against Postfix's). Fields are separated by tabs; in requests and
 * answers a backslash escapes: \t tab, \n newline, \\ backslash, \xHH a
 * byte.
 *	rewrite CONTEXT ADDRESS		-> ok ADDRESS
 *	rewrite_internal CONTEXT ADDRESS	-> ok ADDRESS (internal forms)
 *	resolve ADDRESS [SENDER]	-> ok TRANSPORT NEXTHOP RECIPIENT FLAGS
 *	verify ADDRESS [SENDER]		-> the same, for address probes
 * A request the client could not complete answers "fail".
 *
 * Diagnostics: the client's warnings on standard error; exit status 1 on
 * a malformed request line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"
#include "rewrite_client.h"

#define QUERY_FIELDS 4

static int query_hex(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Split line at tabs into fields, undoing escapes; returns the count. */
static int query_split(const char *line, struct buf **fields)
{
    int n = 0;

    buf_reset(fields[0]);
    for (const char *p = line; *p; p++) {
        if (*p == '\t') {
            if (++n >= QUERY_FIELDS)
                return -1;
            buf_reset(fields[n]);
        } else if (*p == '\\' && p[1]) {
            p++;
            if (*p == 't')
                buf_append_char(fields[n], '\t');
            else if (*p == 'n')
                buf_append_char(fields[n], '\n');
            else if (*p == 'x' && query_hex(p[1]) >= 0 &&
                     query_hex(p[2]) >= 0) {
                buf_append_char(fields[n],
                                query_hex(p[1]) * 16 + query_hex(p[2]));
                p += 2;
            } else
                buf_append_char(fields[n], *p);
        } else {
            buf_append_char(fields[n], *p);
        }
    }
    return n + 1;
}

static void query_put(const char *text)
{
    putchar('\t');
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\t')
            fputs("\\t", stdout);
        else if (*p == '\n')
            fputs("\\n", stdout);
        else if (*p == '\\')
            fputs("\\\\", stdout);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\x%02x", *p);
        else
            putchar(*p);
    }
}

int main(int argc, char **argv)
{
    struct buf *fields[QUERY_FIELDS];
    struct buf *out = buf_alloc(100);
    struct resolve_reply reply;
    char *line = NULL;
    size_t size = 0;
    ssize_t len;
    int status = 0;

    msg_open("rewrite_query");
    if (argc != 2)
        msg_fatal("usage: rewrite_query SOCKET_PATH < requests");
    rewrite_client_init(argv[1], 10);
    resolve_reply_init(&reply);
    for (int i = 0; i < QUERY_FIELDS; i++)
        fields[i] = buf_alloc(100);
    while ((len = getline(&line, &size, stdin)) > 0) {
        int n;
        const char *kind;

        if (line[len - 1] == '\n')
            line[len - 1] = 0;
        if ((n = query_split(line, fields)) < 2) {
            msg_warn("bad request line: %s", line);
            status = 1;
            break;
        }
        kind = buf_str(fields[0]);
        if ((strcmp(kind, "rewrite") == 0 ||
             strcmp(kind, "rewrite_internal") == 0) &&
            n == 3) {
            int ret = kind[7] ? rewrite_address_internal(
                                    buf_str(fields[1]), buf_str(fields[2]), out)
                              : rewrite_address(buf_str(fields[1]),
                                                buf_str(fields[2]), out);

            if (ret < 0) {
                puts("fail");
            } else {
                fputs("ok", stdout);
                query_put(buf_str(out));
                putchar('\n');
            }
        } else if (strcmp(kind, "resolve") == 0 ||
                   strcmp(kind, "verify") == 0) {
            if (resolve_address_sender(kind, n > 2 ? buf_str(fields[2]) : "",
                                       buf_str(fields[1]), &reply) < 0) {
                puts("fail");
            } else {
                fputs("ok", stdout);
                query_put(buf_str(reply.transport));
                query_put(buf_str(reply.nexthop));
                query_put(buf_str(reply.recipient));
                printf("\t%d\n", reply.flags);
            }
        } else {
            msg_warn("bad request line: %s", line);
            status = 1;
            break;
        }
        fflush(stdout);
    }
    free(line);
    for (int i = 0; i < QUERY_FIELDS; i++)
        buf_free(fields[i]);
    buf_free(out);
    resolve_reply_free(&reply);
    rewrite_client_close();
    return status;
}
