#ifndef POSTERN_MSG_H
#define POSTERN_MSG_H

#include <stdarg.h>

/* Where log lines go; any combination. */
#define MSG_TO_SYSLOG 1
#define MSG_TO_FILE   2
#define MSG_TO_STDERR 4

/* Severity of a line: the closed vocabulary. */
enum msg_level { MSG_INFO, MSG_WARN, MSG_FATAL, MSG_PANIC };

extern int msg_verbose;

void msg_open(const char *program);
void msg_set_syslog_name(const char *syslog_name);
void msg_set_facility(const char *facility_name);
int msg_set_destinations(int where, const char *maillog_file);
int msg_destinations(void);
const char *msg_program(void);
const char *msg_tag(void);
void msg_set_cleanup(void (*cleanup)(void));
void msg_set_hostname(const char *name);
void msg_set_capture(void (*capture)(enum msg_level, const char *));

void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void msg_panic(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void msg_vlog(enum msg_level level, const char *fmt, va_list ap);

#endif
