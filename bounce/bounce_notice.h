#ifndef POSTERN_BOUNCE_NOTICE_H
#define POSTERN_BOUNCE_NOTICE_H

#include <time.h>

#include "bounce_log.h"
#include "buf.h"

/*
 * RFC 3464 delivery status notifications, composed as text (see
 * bounce_notice.c). No I/O: the daemon sends the text to cleanup.
 */
enum bounce_notice_kind {
    BOUNCE_NOTICE_FAILURE, /* non-delivery (FLUSH, ONE) */
    BOUNCE_NOTICE_DELAY,   /* delay warning (WARN) */
    BOUNCE_NOTICE_SUCCESS, /* delivery report (TRACE) */
    BOUNCE_NOTICE_RECORD,  /* delivery status report (TRACE, sendmail -v) */
};

/* The message a notice is about. */
struct bounce_original {
    const char *queue_id;
    const char *sender;      /* envelope sender; "" = null sender */
    const char *envelope_id; /* DSN ENVID, or "" */
    int have_file;           /* 0: the queue file could not be read */
    time_t arrival;
    const char *headers; /* header lines, each ending in '\n' */
    const char *body;    /* body lines, each ending in '\n' */
    int too_big;         /* content exceeds bounce_size_limit */
};

/* One notice. */
struct bounce_notice {
    enum bounce_notice_kind kind;
    int postmaster;   /* a copy for the postmaster */
    int headers_only; /* attach the headers only */
    int smtputf8;     /* message/global-delivery-status */
    int defer_failed; /* a defer log returned as failed (expiry) */
    const char *to;   /* the notice's recipient (To:) */
    const char *myhostname;
    const char *myorigin;
    const char *mail_name;
    const char *new_queue_id; /* the notice's own queue ID (Received:) */
    time_t now;
    long delay_warning_time; /* seconds */
    long max_queue_lifetime; /* seconds */
};

#define BOUNCE_NOTICE_WRAP   79 /* longest line of a wrapped text */
#define BOUNCE_NOTICE_INDENT 4  /* continuation indent */

int bounce_notice_includes(const struct bounce_notice *notice,
                           const struct bounce_log_entry *entry);
size_t bounce_notice_count(const struct bounce_notice *notice,
                           const struct bounce_log *log);
const char *bounce_notice_subject(const struct bounce_notice *notice);
void bounce_notice_compose(struct buf *out, const struct bounce_notice *notice,
                           const struct bounce_original *orig,
                           const struct bounce_log *log);
void bounce_notice_wrap(struct buf *out, const char *text, int width,
                        int indent);

#endif
