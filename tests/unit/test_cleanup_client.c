/*
 * test_cleanup_client - unit tests for the cleanup service's client side
 *
 * cleanup_client.c against a forked fake cleanup server on a real UNIX
 * socket, one script per case: Postfix 3.7's announcement (protocol and
 * queue_id in one list), the announcement and queue_id in two lists, a
 * wrong protocol, no announcement, an empty queue ID, a server that
 * vanishes before its answer, and a malformed answer. The fake checks
 * what the client sent (the flags list and the records up to E).
 * Also the cleanup status table (cleanup_strerror.c) and mail_date().
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "buf.h"
#include "cleanup_client.h"
#include "cleanup_user.h"
#include "mail_date.h"
#include "record.h"
#include "sock.h"
#include "unit.h"

/* What the fake server does after accepting. */
struct fake_script {
    const char *name;
    const char *hello; /* raw bytes sent first */
    size_t hello_len;
    const char *answer; /* raw bytes sent after E; NULL: hang up */
    size_t answer_len;
    int open_ok;     /* cleanup_client_open() should succeed */
    int want_status; /* cleanup_client_finish() result */
    const char *want_reason;
};

/*
 * The fake cleanup: send the hello, check the flags list and read
 * records to E (exit 3 on anything unexpected), send the answer.
 */
static void fake_serve(int lfd, const struct fake_script *s)
{
    int fd = sock_accept(lfd);
    struct stream *sp;
    struct buf *bp = buf_alloc(100);
    int flags = -1;
    int type;

    if (fd < 0)
        _exit(2);
    sp = stream_fdopen(fd, 1);
    stream_set_timeout(sp, 5);
    stream_write(sp, s->hello, s->hello_len);
    stream_flush(sp);
    if (!s->open_ok) {
        /* The client gives up; wait for it to close. */
        while (stream_getc(sp) != STREAM_EOF)
            ;
        _exit(0);
    }
    if (attr_scan(sp, ATTR_FLAG_STRICT, ATTR_RECV_INT("flags", &flags),
                  ATTR_END) != 1 ||
        flags != CLEANUP_FLAG_MASK_EXTERNAL)
        _exit(3);
    while ((type = rec_get(sp, bp, 0)) != REC_TYPE_END)
        if (type < 0)
            _exit(3);
    if (s->answer != NULL) {
        stream_write(sp, s->answer, s->answer_len);
        stream_flush(sp);
    }
    stream_close(sp);
    buf_free(bp);
    _exit(0);
}

static const struct fake_script fake_scripts[] = {
    {"postfix announcement",
     UNIT_BYTES("protocol\0cleanup_protocol\0queue_id\0ABCDEF123\0\0"),
     UNIT_BYTES("status\0000\0reason\0\0\0"), 1, CLEANUP_STAT_OK, ""},
    {"separate queue_id list",
     UNIT_BYTES("protocol\0cleanup_protocol\0\0queue_id\0ABCDEF123\0\0"),
     UNIT_BYTES("status\0004\0reason\0message file too big\0\0"), 1,
     CLEANUP_STAT_SIZE, "message file too big"},
    {"wrong protocol",
     UNIT_BYTES("protocol\0delivery_request_protocol\0queue_id\0A1\0\0"), NULL,
     0, 0, 0, NULL},
    {"no protocol", UNIT_BYTES("queue_id\0A1\0\0"), NULL, 0, 0, 0, NULL},
    {"empty queue id", UNIT_BYTES("protocol\0cleanup_protocol\0queue_id\0\0\0"),
     NULL, 0, 0, 0, NULL},
    {"hangs up before answering",
     UNIT_BYTES("protocol\0cleanup_protocol\0queue_id\0ABCDEF123\0\0"), NULL, 0,
     1, CLEANUP_STAT_WRITE, "lost connection to the cleanup service"},
    {"malformed answer",
     UNIT_BYTES("protocol\0cleanup_protocol\0queue_id\0ABCDEF123\0\0"),
     UNIT_BYTES("status\0x12\0\0"), 1, CLEANUP_STAT_WRITE,
     "lost connection to the cleanup service"},
};

static void test_client_scripts(void)
{
    char *path = unit_tmpfile("public-cleanup");
    struct buf *reason = buf_alloc(10);
    size_t i;

    for (i = 0; i < UNIT_COUNT(fake_scripts); i++) {
        const struct fake_script *s = &fake_scripts[i];
        struct cleanup_client *client;
        int lfd;
        int wstatus;
        pid_t pid;

        unlink(path);
        lfd = unix_listen(path, 10, 0);
        CU_ASSERT_FATAL(lfd >= 0);
        if ((pid = fork()) == 0)
            fake_serve(lfd, s);
        close(lfd);
        unit_capture_start();
        client = cleanup_client_open(path, CLEANUP_FLAG_MASK_EXTERNAL, 5);
        if (!s->open_ok) {
            UNIT_CHECK_INT(s->name, client == NULL, 1);
            UNIT_CHECK_INT(s->name, unit_warning_count() > 0, 1);
        } else {
            UNIT_CHECK_INT(s->name, client != NULL, 1);
            if (client != NULL) {
                UNIT_CHECK_STR(s->name, client->queue_id, "ABCDEF123");
                rec_fprintf(client->stream, REC_TYPE_TIME, "%ld %d", 1L, 0);
                rec_puts(client->stream, REC_TYPE_FROM, "a@example.org");
                rec_puts(client->stream, REC_TYPE_RCPT, "b@example.org");
                rec_puts(client->stream, REC_TYPE_MESG, "");
                rec_puts(client->stream, REC_TYPE_NORM, "body");
                rec_puts(client->stream, REC_TYPE_XTRA, "");
                rec_puts(client->stream, REC_TYPE_END, "");
                UNIT_CHECK_INT(s->name, cleanup_client_finish(client, reason),
                               s->want_status);
                UNIT_CHECK_STR(s->name, buf_str(reason), s->want_reason);
                cleanup_client_close(client);
            }
        }
        unit_capture_stop();
        CU_ASSERT(waitpid(pid, &wstatus, 0) == pid);
        UNIT_CHECK_INT(s->name, WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0,
                       1);
    }
    unlink(path);
    buf_free(reason);
    free(path);
}

static void test_client_no_server(void)
{
    char *path = unit_tmpfile("no-such-cleanup");

    unit_capture_start();
    CU_ASSERT(cleanup_client_open(path, 0, 1) == NULL);
    unit_capture_stop();
    CU_ASSERT(unit_warning_count() == 1);
    free(path);
}

static void test_stat_detail(void)
{
    static const struct {
        unsigned status;
        int smtp;
        const char *dsn;
    } cases[] = {
        {CLEANUP_STAT_OK, 250, "2.0.0"},
        {CLEANUP_STAT_DEFER, 451, "4.7.1"},
        {CLEANUP_STAT_WRITE, 451, "4.3.0"},
        {CLEANUP_STAT_BAD, 451, "4.3.0"},
        {CLEANUP_STAT_PROXY, 451, "4.3.0"},
        {CLEANUP_STAT_RCPT, 550, "5.1.0"},
        {CLEANUP_STAT_HOPS, 554, "5.4.0"},
        {CLEANUP_STAT_SIZE, 552, "5.3.4"},
        {CLEANUP_STAT_CONT, 550, "5.7.1"},
        {CLEANUP_STAT_NOPERM, 550, "5.7.1"},
        {CLEANUP_STAT_BARE_LF, 521, "5.5.2"},
        /* A temporary problem outranks a verdict on the content. */
        {CLEANUP_STAT_SIZE | CLEANUP_STAT_WRITE, 451, "4.3.0"},
        {CLEANUP_STAT_RCPT | CLEANUP_STAT_DEFER, 451, "4.7.1"},
        /* Unknown bits are temporary. */
        {1u << 20, 451, "4.3.0"},
    };
    size_t i;

    for (i = 0; i < UNIT_COUNT(cases); i++) {
        const struct cleanup_stat_detail *d =
            cleanup_stat_detail(cases[i].status);
        char name[32];

        snprintf(name, sizeof(name), "status %#x", cases[i].status);
        UNIT_CHECK_INT(name, d->smtp, cases[i].smtp);
        UNIT_CHECK_STR(name, d->dsn, cases[i].dsn);
        CU_ASSERT(*cleanup_strerror(cases[i].status) != 0);
    }
}

static void test_mail_date(void)
{
    static const struct {
        const char *tz;
        time_t when;
        const char *want;
    } cases[] = {
        {"UTC0", 0, "Thu, 1 Jan 1970 00:00:00 +0000 (UTC)"},
        {"CET-1CEST,M3.5.0,M10.5.0/3", 1782806400,
         "Tue, 30 Jun 2026 10:00:00 +0200 (CEST)"},
        {"EST5EDT,M3.2.0,M11.1.0", 1796025600,
         "Mon, 30 Nov 2026 03:00:00 -0500 (EST)"},
        {"<+0530>-5:30", 1796025600, "Mon, 30 Nov 2026 13:30:00 +0530 (+0530)"},
    };
    struct buf *out = buf_alloc(10);
    char *saved = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    size_t i;

    for (i = 0; i < UNIT_COUNT(cases); i++) {
        setenv("TZ", cases[i].tz, 1);
        tzset();
        mail_date(out, cases[i].when);
        UNIT_CHECK_STR(cases[i].tz, buf_str(out), cases[i].want);
    }
    if (saved != NULL) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
    tzset();
    buf_free(out);
}

static const struct unit_case client_cases[] = {
    {"scripted servers", test_client_scripts},
    {"no server", test_client_no_server},
    {NULL, NULL},
};

static const struct unit_case status_cases[] = {
    {"status details", test_stat_detail},
    {"mail_date", test_mail_date},
    {NULL, NULL},
};

static const struct unit_suite suites[] = {
    {"cleanup_client", client_cases},
    {"cleanup status and dates", status_cases},
    {NULL, NULL},
};

UNIT_MAIN(suites)
