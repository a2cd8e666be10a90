#ifndef POSTERN_BOUNCE_H
#define POSTERN_BOUNCE_H

#include "bounce_log.h"
#include "bounce_notice.h"
#include "buf.h"
#include "dsn.h"

/* The bounce daemon's configuration (bounce.c reads it). */
extern int var_bounce_size_limit;
extern char *var_bounce_rcpt;  /* bounce_notice_recipient */
extern char *var_2bounce_rcpt; /* 2bounce_notice_recipient */
extern char *var_delay_rcpt;   /* delay_notice_recipient */
extern char *var_error_rcpt;   /* error_notice_recipient */
extern char *var_double_bounce_sender;
extern char *var_notify_classes;
extern int var_max_queue_lifetime;
extern int var_delay_warn_time;
extern int var_bounce_logfile_compat;
extern char *var_myhostname;
extern char *var_myorigin;
extern char *var_mail_name;
extern int var_ipc_timeout;

/* notify_classes bits (spec f.3). */
#define NOTIFY_CLASS_POLICY   1
#define NOTIFY_CLASS_PROTOCOL 2
#define NOTIFY_CLASS_BOUNCE   4
#define NOTIFY_CLASS_SOFTWARE 8
#define NOTIFY_CLASS_RESOURCE 16
#define NOTIFY_CLASS_2BOUNCE  32
#define NOTIFY_CLASS_DELAY    64
#define NOTIFY_CLASS_DATA     128
int bounce_notify_classes(const char *list);

/* bounce_append.c */
int bounce_append_log(const char *queue, const char *queue_id,
                      const struct bounce_rcpt *rcpt,
                      const struct bounce_dsn *dsn);

/* bounce_notify.c: the message a request is about. */
struct bounce_request {
    int flags;
    const char *queue_name;
    const char *queue_id;
    const char *encoding;
    int smtputf8;
    const char *sender;
    const char *envelope_id;
    int ret_flags;
};

int bounce_notify_flush(const char *log_queue, const struct bounce_request *req,
                        int defer_failed);
int bounce_notify_warn(const struct bounce_request *req);
int bounce_notify_trace(const struct bounce_request *req);
int bounce_notify_one(const struct bounce_request *req,
                      const struct bounce_rcpt *rcpt,
                      const struct bounce_dsn *dsn);

#endif
