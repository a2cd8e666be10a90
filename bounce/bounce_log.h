#ifndef POSTERN_BOUNCE_LOG_H
#define POSTERN_BOUNCE_LOG_H

#include <stddef.h>

#include "buf.h"
#include "dsn.h"

/*
 * The per-recipient status logs bounce/<id>, defer/<id>, trace/<id>
 * (spec f.1). One record:
 *
 *	(blank line)
 *	<recipient>: reason		only with backwards compatibility
 *	recipient=<recipient>		RFC 5322 quoted form; "" -> <>
 *	original_recipient=...		only when given and different
 *	offset=...  dsn_orig_rcpt=...  notify_flags=...
 *	status=...  action=...
 *	diag_type=... diag_text=...	together
 *	mta_type=...  mta_mname=...	together
 *	reason=...
 *	(blank line)
 *
 * Empty values (and zero offset / notify_flags) are left out. See
 * bounce_log.c.
 */
#define BOUNCE_LOG_LINE_MAX 65536 /* longer lines make a record invalid */

struct bounce_log_entry {
    char *recipient; /* as logged: quoted form */
    char *original_recipient;
    long offset;
    char *dsn_orig_rcpt;
    int notify_flags;
    char *status;
    char *action;
    char *reason;
    char *diag_type;
    char *diag_text;
    char *mta_type;
    char *mta_mname;
};

struct bounce_log {
    struct bounce_log_entry *entries;
    size_t count;
    size_t bad; /* records skipped as malformed */
};

void bounce_quote_addr(struct buf *out, const char *addr);
void bounce_log_format(struct buf *out, const struct bounce_rcpt *rcpt,
                       const struct bounce_dsn *dsn, int compat);
struct bounce_log *bounce_log_parse(const char *data, size_t len,
                                    const char *default_status);
void bounce_log_add(struct bounce_log *log, const struct bounce_rcpt *rcpt,
                    const struct bounce_dsn *dsn);
struct bounce_log *bounce_log_create(void);
void bounce_log_free(struct bounce_log *log);

#endif
