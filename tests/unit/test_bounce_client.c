/*
 * test_bounce_client - the client side of the delivery status protocol
 *
 * Each call of util/bounce_client.c is made against a fake service on
 * private/<service> in a temporary directory (a forked child that
 * announces delivery_status_protocol, keeps the bytes of the request and
 * answers with a chosen status). The request bytes are compared with
 * what Postfix 3.7's error and discard agents send (observed on the
 * wire), and the reply handling with good, refused and broken answers.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bounce_client.h"
#include "buf.h"
#include "sock.h"
#include "unit.h"

#define ANNOUNCE "protocol\0delivery_status_protocol\0\0"

/* The fake service: what it answers, and what it got. */
enum fake_mode { FAKE_OK, FAKE_FAIL, FAKE_WRONG_PROTOCOL, FAKE_HANGUP };

static pid_t fake_pid;
static int fake_listen = -1;

static void fake_start(const char *service, enum fake_mode mode)
{
    char path[200];
    char *dump;

    mkdir("private", 0700);
    snprintf(path, sizeof(path), "private/%s", service);
    unlink(path);
    fake_listen = unix_listen(path, 5, 0);
    CU_ASSERT_FATAL(fake_listen >= 0);
    dump = unit_tmpfile("request");
    unlink(dump);
    if ((fake_pid = fork()) == 0) {
        struct buf *got = buf_alloc(100);
        char chunk[4096];
        int nuls = 0;
        ssize_t n;
        int fd = accept(fake_listen, NULL, NULL);
        FILE *fp;

        if (mode == FAKE_WRONG_PROTOCOL)
            (void)write(fd, "protocol\0cleanup_protocol\0\0", 27);
        else
            (void)write(fd, ANNOUNCE, UNIT_LEN(ANNOUNCE));
        /* A list ends with an empty name: NUL right after a pair. */
        while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
            buf_append(got, chunk, (size_t)n);
            if (buf_len(got) >= 1 && buf_str(got)[buf_len(got) - 1] == 0) {
                size_t i;

                nuls = 0;
                for (i = 0; i < buf_len(got); i++)
                    nuls += buf_str(got)[i] == 0;
                /* pairs*2 + terminator: an odd count ends the list. */
                if (nuls % 2 == 1)
                    break;
            }
        }
        fp = fopen(dump, "w");
        fwrite(buf_str(got), 1, buf_len(got), fp);
        fclose(fp);
        if (mode == FAKE_OK)
            (void)write(fd,
                        "status\0"
                        "0\0\0",
                        10);
        else if (mode == FAKE_FAIL)
            (void)write(fd,
                        "status\0"
                        "4294967295\0\0",
                        19);
        close(fd);
        _exit(0);
    }
    free(dump);
}

/* Wait for the fake and return what it received (caller frees). */
static char *fake_finish(size_t *len)
{
    char *dump = unit_tmpfile("request");
    char *data;
    int status;

    waitpid(fake_pid, &status, 0);
    close(fake_listen);
    data = unit_read_file(dump, len);
    free(dump);
    return data;
}

static const struct bounce_rcpt rcpt1 = {"origrcpt1@example.net",
                                         "rcpt1@example.net", 197,
                                         "rfc822;rcpt1@example.net", 4};
static const struct bounce_dsn dsn1 = {
    "5.1.1", "failed", "custom error text", "", "", "", ""};
static const struct bounce_msg msg1 = {
    "active", "ABCDE12345", "", 0, "sender@example.org", "ENV123", 2};

/* What Postfix 3.7's error agent sent for rcpt1 (observed). */
#define APPEND_REQ(flags)                                                      \
    "nrequest\0"                                                               \
    "0\0"                                                                      \
    "flags\0" flags "\0"                                                       \
    "queue_id\0"                                                               \
    "ABCDE12345\0"                                                             \
    "original_recipient\0"                                                     \
    "origrcpt1@example.net\0"                                                  \
    "recipient\0"                                                              \
    "rcpt1@example.net\0"                                                      \
    "offset\0"                                                                 \
    "197\0"                                                                    \
    "dsn_orig_rcpt\0"                                                          \
    "rfc822;rcpt1@example.net\0"                                               \
    "notify_flags\0"                                                           \
    "4\0"                                                                      \
    "status\0"                                                                 \
    "5.1.1\0"                                                                  \
    "diag_type\0"                                                              \
    "\0"                                                                       \
    "diag_text\0"                                                              \
    "\0"                                                                       \
    "mta_type\0"                                                               \
    "\0"                                                                       \
    "mta_mname\0"                                                              \
    "\0"                                                                       \
    "action\0"                                                                 \
    "failed\0"                                                                 \
    "reason\0"                                                                 \
    "custom error text\0"

#define MSG_REQ(nreq)                                                          \
    "nrequest\0" nreq "\0"                                                     \
    "flags\0"                                                                  \
    "0\0"                                                                      \
    "queue_name\0"                                                             \
    "active\0"                                                                 \
    "queue_id\0"                                                               \
    "ABCDE12345\0"                                                             \
    "encoding\0"                                                               \
    "\0"                                                                       \
    "smtputf8\0"                                                               \
    "0\0"                                                                      \
    "sender\0"                                                                 \
    "sender@example.org\0"                                                     \
    "envelope_id\0"                                                            \
    "ENV123\0"                                                                 \
    "ret_flags\0"                                                              \
    "2\0"

enum call {
    C_BOUNCE,
    C_DEFER,
    C_TRACE,
    C_FLUSH,
    C_DFLUSH,
    C_WARN,
    C_TFLUSH,
    C_ONE
};

static int do_call(enum call c, int flags)
{
    switch (c) {
    case C_BOUNCE:
        return bounce_append(flags, "ABCDE12345", &rcpt1, &dsn1);
    case C_DEFER:
        return defer_append(flags, "ABCDE12345", &rcpt1, &dsn1);
    case C_TRACE:
        return trace_append(flags, "ABCDE12345", &rcpt1, &dsn1);
    case C_FLUSH:
        return bounce_flush(flags, &msg1);
    case C_DFLUSH:
        return defer_flush(flags, &msg1);
    case C_WARN:
        return defer_warn(flags, &msg1);
    case C_TFLUSH:
        return trace_flush(flags, &msg1);
    default:
        return bounce_one(flags, &msg1, &rcpt1, &dsn1);
    }
}

static const struct {
    const char *name;
    enum call call;
    int flags;
    const char *service;
    enum fake_mode mode;
    int want;
    const char *request;
    size_t request_len;
} cases[] = {
    {"bounce_append", C_BOUNCE, 0, "bounce", FAKE_OK, 0,
     UNIT_BYTES(APPEND_REQ("0") "\0")},
    {"bounce_append passes flags", C_BOUNCE, 0x2400, "bounce", FAKE_OK, 0,
     UNIT_BYTES(APPEND_REQ("9216") "\0")},
    {"defer_append", C_DEFER, 0, "defer", FAKE_OK, 0,
     UNIT_BYTES(APPEND_REQ("0") "\0")},
    {"trace_append", C_TRACE, 0x400, "trace", FAKE_OK, 0,
     UNIT_BYTES(APPEND_REQ("1024") "\0")},
    {"bounce_flush", C_FLUSH, 0, "bounce", FAKE_OK, 0,
     UNIT_BYTES(MSG_REQ("1") "\0")},
    {"defer_flush", C_DFLUSH, 0, "defer", FAKE_OK, 0,
     UNIT_BYTES(MSG_REQ("1") "\0")},
    {"defer_warn", C_WARN, 0, "defer", FAKE_OK, 0,
     UNIT_BYTES(MSG_REQ("2") "\0")},
    {"trace_flush", C_TFLUSH, 0, "trace", FAKE_OK, 0,
     UNIT_BYTES(MSG_REQ("5") "\0")},
    {"bounce_one", C_ONE, 0, "bounce", FAKE_OK, 0,
     UNIT_BYTES(MSG_REQ("4") "original_recipient\0"
                             "origrcpt1@example.net\0"
                             "recipient\0"
                             "rcpt1@example.net\0"
                             "offset\0"
                             "197\0"
                             "dsn_orig_rcpt\0"
                             "rfc822;rcpt1@example.net\0"
                             "notify_flags\0"
                             "4\0"
                             "status\0"
                             "5.1.1\0"
                             "diag_type\0"
                             "\0"
                             "diag_text\0"
                             "\0"
                             "mta_type\0"
                             "\0"
                             "mta_mname\0"
                             "\0"
                             "action\0"
                             "failed\0"
                             "reason\0"
                             "custom error text\0"
                             "\0")},
    {"service says no", C_BOUNCE, 0, "bounce", FAKE_FAIL, -1,
     UNIT_BYTES(APPEND_REQ("0") "\0")},
    {"service hangs up", C_FLUSH, 0, "bounce", FAKE_HANGUP, -1,
     UNIT_BYTES(MSG_REQ("1") "\0")},
};

static void test_requests(void)
{
    char *old = getcwd(NULL, 0);
    size_t i;
    size_t len;
    char *got;

    CU_ASSERT_FATAL(chdir(unit_tmpdir()) == 0);
    bounce_client_set_timeout(5);
    for (i = 0; i < UNIT_COUNT(cases); i++) {
        fake_start(cases[i].service, cases[i].mode);
        unit_capture_start();
        UNIT_CHECK_INT(cases[i].name, do_call(cases[i].call, cases[i].flags),
                       cases[i].want);
        unit_capture_stop();
        got = fake_finish(&len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(got);
        UNIT_CHECK_INT(cases[i].name, len, cases[i].request_len);
        if (len == cases[i].request_len &&
            memcmp(got, cases[i].request, len) != 0) {
            fprintf(stderr, "\n  case \"%s\": request bytes differ\n",
                    cases[i].name);
            CU_FAIL("request bytes");
        }
        free(got);
    }
    CU_ASSERT(chdir(old) == 0);
    free(old);
}

static void test_failures(void)
{
    char *old = getcwd(NULL, 0);
    size_t len;

    CU_ASSERT_FATAL(chdir(unit_tmpdir()) == 0);
    bounce_client_set_timeout(5);
    /* Nobody listens. */
    unlink("private/bounce");
    unit_capture_start();
    CU_ASSERT_EQUAL(bounce_append(0, "ABCDE12345", &rcpt1, &dsn1), -1);
    unit_capture_stop();
    UNIT_CHECK_WARNING("no service", "connect to private/bounce");
    /* Another protocol: nothing is sent. */
    fake_start("bounce", FAKE_WRONG_PROTOCOL);
    unit_capture_start();
    CU_ASSERT_EQUAL(bounce_flush(0, &msg1), -1);
    unit_capture_stop();
    kill(fake_pid, SIGTERM);
    free(fake_finish(&len));
    CU_ASSERT(chdir(old) == 0);
    free(old);
}

static const struct unit_case client_cases[] = {
    {"requests", test_requests},
    {"failures", test_failures},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"bounce_client", client_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
