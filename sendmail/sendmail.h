#ifndef POSTERN_SENDMAIL_H
#define POSTERN_SENDMAIL_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"
#include "stream.h"

/* What the command line asks for (sendmail_args.c). */
enum sendmail_mode {
    SENDMAIL_MODE_DELIVER,     /* -bm, the default: submit a message */
    SENDMAIL_MODE_FLUSH,       /* -q: ask for a queue run */
    SENDMAIL_MODE_IGNORE,      /* -q<interval>: nothing to do */
    SENDMAIL_MODE_UNAVAILABLE, /* a mode we know but do not offer */
};

struct sendmail_args {
    enum sendmail_mode mode;
    const char *unavailable; /* UNAVAILABLE: why, for the message */
    const char *config_dir;  /* -C */
    const char *sender;      /* -f / -r, as given */
    const char *full_name;   /* -F, as given; NULL: not given */
    int extract;             /* -t */
    int dots;                /* a lone "." ends input (no -i, -oi) */
    int verbose;             /* number of -v */
    int remote;              /* -G: rewrite_context=remote */
    const char *encoding;    /* -B: "8bit", "7bit" or NULL */
    int notify;              /* -N: DSN NOTIFY mask, 0 = none */
    int ret;                 /* -R: DSN RET, 0 = none */
    const char *envid;       /* -V */
    int verp;                /* -XV (or the old -V xx): VERP wanted */
    const char *verp_delims; /* its delimiters; "" = default_verp_delimiters */
    char **recipients;       /* the non-option arguments */
    size_t nrecipients;
};

#define SENDMAIL_PARSE_OK    0
#define SENDMAIL_PARSE_USAGE (-1) /* err says what is wrong */

int sendmail_args_parse(int argc, char **argv, struct sendmail_args *args,
                        struct buf *err);
void sendmail_args_free(struct sendmail_args *args);
int sendmail_parse_notify(const char *text);
int sendmail_parse_ret(const char *text);

/* Address lists as users write them (sendmail_addr.c). */
void sendmail_addr_parse(const char *text, size_t len, struct conf_list *out);

/* Reading the message (sendmail_copy.c). */
enum sendmail_fix {
    SENDMAIL_FIX_ALWAYS, /* CRLF -> LF on every line */
    SENDMAIL_FIX_STRICT, /* only when the first line ends in CRLF */
    SENDMAIL_FIX_NEVER,
};

struct sendmail_copy {
    /* Settings. */
    int dots; /* a lone "." line ends the message */
    enum sendmail_fix fix;
    size_t line_limit;   /* line_length_limit: longest record payload */
    int extract;         /* collect recipients from the headers (-t) */
    size_t header_limit; /* header_size_limit: longest header parsed */
    /* Results (extract). */
    struct conf_list rcpts;        /* To:, Cc:, Bcc: */
    struct conf_list resent_rcpts; /* Resent-To:, Resent-Cc:, Resent-Bcc: */
    int saw_resent;                /* a Resent- recipient header was seen */
    long lines;                    /* complete input lines copied */
};

void sendmail_copy_init(struct sendmail_copy *copy);
void sendmail_copy_free(struct sendmail_copy *copy);
int sendmail_copy_fix_mode(const char *value, enum sendmail_fix *fix);
int sendmail_copy(struct stream *in, struct stream *out,
                  struct sendmail_copy *copy);
const struct conf_list *
sendmail_copy_recipients(const struct sendmail_copy *copy);

#endif
