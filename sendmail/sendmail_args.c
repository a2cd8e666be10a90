/*
 * sendmail_args - the sendmail(1) command line
 *
 * Options may be clustered (-ti), a value may be attached (-fuser) or be
 * the next argument (-f user), and options and recipients may be mixed
 * in any order (as glibc's getopt permutes them for Postfix's sendmail);
 * "--" ends the options. A program called "mailq" means -bp, one called
 * "newaliases" means -bi.
 *
 * Public functions:
 *	sendmail_args_parse(argc, argv, args, err)
 *		fill args; SENDMAIL_PARSE_OK, or SENDMAIL_PARSE_USAGE with
 *		the problem in err (an unknown option, a missing value, a bad
 *		-B or -q value). Strings point into argv.
 *	sendmail_args_free(args)	free what parsing allocated
 *	sendmail_parse_notify(text)	-N value (never, or a list of
 *		success, failure, delay; any case, separated by commas or
 *		white space) as a DSN NOTIFY mask (rec_type.h), -1 if bad
 *	sendmail_parse_ret(text)	-R value (full, hdrs) or -1
 *
 * Options (Postfix 3.7's set; what each does in sendmail.c):
 *	-B type		8BITMIME or 7BIT (else a usage error)
 *	-C dir		configuration directory
 *	-F name		sender full name
 *	-G		rewrite_context=remote
 *	-I, -bi		newaliases: not available yet
 *	-N dsn		DSN NOTIFY (bad value: warning, ignored)
 *	-R ret		DSN RET (bad value: warning, ignored)
 *	-V envid	DSN ENVID (printable ASCII and space, 1-100
 *			characters; else a warning, ignored). A value of
 *			exactly two characters is Postfix's old VERP syntax:
 *			"-V xx" asks for VERP with the default delimiters and
 *			xx is a recipient; "-Vxx" asks for VERP with the
 *			delimiters xx (both with Postfix's deprecation
 *			warning)
 *	-XV[xy]		VERP, with delimiters xy (checked by sendmail.c
 *			against verp_delimiter_filter) or the default ones
 *	-X other	not supported
 *	-bm		deliver (the default)
 *	-bd -bl		run as a daemon: not offered (use postern start)
 *	-bp		list the queue: not available yet
 *	-bs		SMTP on standard input: not available
 *	-bv		verify addresses: not available
 *	other -bX	not supported
 *	-f addr, -r addr	envelope sender
 *	-i, -oi		a line with a single "." does not end the message
 *	-oX		other -o options are ignored (-oem, -om, -oQ ...)
 *	-q		flush the queue; -q<interval> ignored (no daemon
 *			mode); -qR<site>, -qS<site> not available yet
 *	-t		recipients from the message headers too
 *	-v		once: ask for a delivery report (as Postfix); more:
 *			verbose logging
 *	-A x, -L x, -O x, -U, -c, -e x, -h n, -m, -n, -p x, -x	ignored
 *
 * Diagnostics: warnings for ignored bad -N, -R and -V values (Postfix's
 * texts). Configuration parameters: none.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "msg.h"
#include "rec_type.h"
#include "sendmail.h"

/* Options that take a value, and options that do not (-q is special). */
#define SENDMAIL_OPT_VALUE "ABCFLNORVXbefhopr"
#define SENDMAIL_OPT_FLAG  "GIUcimntvx"

int sendmail_parse_notify(const char *text)
{
    static const struct {
        const char *name;
        int bit;
    } words[] = {
        {"never", REC_DSN_NOTIFY_NEVER},
        {"success", REC_DSN_NOTIFY_SUCCESS},
        {"failure", REC_DSN_NOTIFY_FAILURE},
        {"delay", REC_DSN_NOTIFY_DELAY},
    };
    const char *cp = text;
    int mask = 0;

    for (;;) {
        size_t len;
        size_t i;

        cp += strspn(cp, ", \t");
        if (*cp == 0)
            break;
        len = strcspn(cp, ", \t");
        for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
            if (strlen(words[i].name) == len &&
                strncasecmp(words[i].name, cp, len) == 0)
                break;
        if (i == sizeof(words) / sizeof(words[0])) {
            msg_warn("unknown DSN NOTIFY command value \"%.*s\" in \"%s\"",
                     (int)len, cp, text);
            return -1;
        }
        mask |= words[i].bit;
        cp += len;
    }
    if (mask == 0 ||
        ((mask & REC_DSN_NOTIFY_NEVER) && mask != REC_DSN_NOTIFY_NEVER))
        return -1;
    return mask;
}

int sendmail_parse_ret(const char *text)
{
    if (strcasecmp(text, "full") == 0)
        return REC_DSN_RET_FULL;
    if (strcasecmp(text, "hdrs") == 0)
        return REC_DSN_RET_HDRS;
    return -1;
}

/* A DSN envelope ID: printable ASCII, at most 100 characters. */
#define SENDMAIL_ENVID_MAX 100

static const char *sendmail_envid_problem(const char *text)
{
    if (strlen(text) > SENDMAIL_ENVID_MAX)
        return "too long -V option value -- ignored";
    if (*text == 0)
        return "bad syntax in -V option value -- ignored";
    for (const char *cp = text; *cp; cp++)
        if ((unsigned char)*cp < 0x20 || (unsigned char)*cp > 0x7e)
            return "bad syntax in -V option value -- ignored";
    return NULL;
}

static void sendmail_unavailable(struct sendmail_args *args, const char *why)
{
    args->mode = SENDMAIL_MODE_UNAVAILABLE;
    args->unavailable = why;
}

static int sendmail_mode_b(struct sendmail_args *args, const char *value,
                           struct buf *err)
{
    if (strcmp(value, "m") == 0) {
        args->mode = SENDMAIL_MODE_DELIVER;
    } else if (strcmp(value, "p") == 0) {
        sendmail_unavailable(args, "-bp (mailq): listing the mail queue is "
                                   "not available yet");
    } else if (strcmp(value, "i") == 0) {
        sendmail_unavailable(args, "-bi (newaliases): alias databases are "
                                   "not available yet");
    } else if (strcmp(value, "s") == 0) {
        sendmail_unavailable(args, "-bs: SMTP on standard input is not "
                                   "available");
    } else if (strcmp(value, "d") == 0 || strcmp(value, "l") == 0) {
        sendmail_unavailable(args, "-bd/-bl: sendmail does not run as a "
                                   "daemon; start the mail system with "
                                   "\"postern start\"");
    } else if (strcmp(value, "v") == 0) {
        sendmail_unavailable(args, "-bv: address verification is not "
                                   "available");
    } else if (value[0] != 0 && strchr("aDhHPt", value[0]) != NULL &&
               value[1] == 0) {
        sendmail_unavailable(args, "this -b mode is not supported");
    } else {
        buf_printf(err, "unknown mode -b%s", value);
        return SENDMAIL_PARSE_USAGE;
    }
    return SENDMAIL_PARSE_OK;
}

/* -q, -q<interval> (1h, 30m, 1h30m, 90), -qR<site>, -qS<site>. */
static int sendmail_mode_q(struct sendmail_args *args, const char *value,
                           struct buf *err)
{
    const char *cp = value;

    if (*value == 0) {
        args->mode = SENDMAIL_MODE_FLUSH;
        return SENDMAIL_PARSE_OK;
    }
    if (*value == 'R' || *value == 'S' || *value == 'I') {
        sendmail_unavailable(args, "-qR/-qS/-qI: flushing mail for one site "
                                   "or queue ID is not available yet");
        return SENDMAIL_PARSE_OK;
    }
    while (*cp) {
        if (!isdigit((unsigned char)*cp))
            break;
        while (isdigit((unsigned char)*cp))
            cp++;
        if (*cp != 0 && strchr("smhdw", *cp) != NULL)
            cp++;
    }
    if (*cp != 0) {
        buf_printf(err, "bad -q option value: %s", value);
        return SENDMAIL_PARSE_USAGE;
    }
    args->mode = SENDMAIL_MODE_IGNORE;
    return SENDMAIL_PARSE_OK;
}

static int sendmail_option(struct sendmail_args *args, int opt,
                           const char *value, int attached, struct buf *err)
{
    const char *problem;
    int n;

    switch (opt) {
    case 'B':
        if (strcasecmp(value, "8BITMIME") == 0) {
            args->encoding = "8bit";
        } else if (strcasecmp(value, "7BIT") == 0) {
            args->encoding = "7bit";
        } else {
            buf_set_str(err, "-B option needs 8BITMIME or 7BIT");
            return SENDMAIL_PARSE_USAGE;
        }
        break;
    case 'C':
        args->config_dir = value;
        break;
    case 'F':
        args->full_name = value;
        break;
    case 'G':
        args->remote = 1;
        break;
    case 'I':
        return sendmail_mode_b(args, "i", err);
    case 'N':
        if ((n = sendmail_parse_notify(value)) < 0)
            msg_warn("bad -N option value -- ignored");
        else
            args->notify = n;
        break;
    case 'R':
        if ((n = sendmail_parse_ret(value)) < 0)
            msg_warn("bad -R option value -- ignored");
        else
            args->ret = n;
        break;
    case 'V':
        if (strlen(value) == 2) {
            /* Before Postfix 2.3, -V was VERP, with or without delimiters. */
            if (attached) {
                msg_warn("option -V%s is deprecated with Postfix 2.3; "
                         "specify -XV%s instead",
                         value, value);
                args->verp_delims = value;
            } else {
                msg_warn("option -V is deprecated with Postfix 2.3; "
                         "specify -XV instead");
                args->verp_delims = "";
                args->recipients[args->nrecipients++] = (char *)value;
            }
            args->verp = 1;
        } else if ((problem = sendmail_envid_problem(value)) != NULL) {
            msg_warn("%s", problem);
        } else {
            args->envid = value;
        }
        break;
    case 'X':
        if (value[0] == 'V') {
            args->verp = 1;
            args->verp_delims = value + 1;
        } else {
            sendmail_unavailable(args, "-X: traffic logging is not supported");
        }
        break;
    case 'b':
        return sendmail_mode_b(args, value, err);
    case 'f':
    case 'r':
        args->sender = value;
        break;
    case 'i':
        args->dots = 0;
        break;
    case 'o':
        if (strcmp(value, "i") == 0)
            args->dots = 0;
        break;
    case 't':
        args->extract = 1;
        break;
    case 'v':
        args->verbose++;
        break;
    default:
        /* A, L, O, U, c, e, h, m, n, p, x: accepted and ignored. */
        break;
    }
    return SENDMAIL_PARSE_OK;
}

int sendmail_args_parse(int argc, char **argv, struct sendmail_args *args,
                        struct buf *err)
{
    const char *name;
    int options_done = 0;

    memset(args, 0, sizeof(*args));
    args->mode = SENDMAIL_MODE_DELIVER;
    args->dots = 1;
    args->recipients = mem_zalloc(sizeof(char *) * (size_t)(argc + 1));
    buf_reset(err);

    if (argc > 0 && argv[0] != NULL) {
        name = strrchr(argv[0], '/');
        name = name ? name + 1 : argv[0];
        if (strcmp(name, "mailq") == 0)
            sendmail_mode_b(args, "p", err);
        else if (strcmp(name, "newaliases") == 0)
            sendmail_mode_b(args, "i", err);
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if (options_done || arg[0] != '-' || arg[1] == 0) {
            args->recipients[args->nrecipients++] = argv[i];
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = 1;
            continue;
        }
        for (const char *cp = arg + 1; *cp; cp++) {
            int ret;

            if (*cp == 'q') {
                if ((ret = sendmail_mode_q(args, cp + 1, err)) != 0)
                    return ret;
                break;
            }
            if (strchr(SENDMAIL_OPT_VALUE, *cp) != NULL) {
                const char *value;

                if (cp[1] != 0) {
                    value = cp + 1;
                } else if (i + 1 < argc) {
                    value = argv[++i];
                } else {
                    buf_printf(err, "option requires an argument -- '%c'", *cp);
                    return SENDMAIL_PARSE_USAGE;
                }
                if ((ret = sendmail_option(args, *cp, value, cp[1] != 0,
                                           err)) != 0)
                    return ret;
                break;
            }
            if (strchr(SENDMAIL_OPT_FLAG, *cp) == NULL) {
                if (isprint((unsigned char)*cp))
                    buf_printf(err, "invalid option -- '%c'", *cp);
                else
                    buf_printf(err, "invalid option -- 0x%02x",
                               (unsigned char)*cp);
                return SENDMAIL_PARSE_USAGE;
            }
            if ((ret = sendmail_option(args, *cp, NULL, 0, err)) != 0)
                return ret;
        }
    }
    return SENDMAIL_PARSE_OK;
}

void sendmail_args_free(struct sendmail_args *args)
{
    mem_free(args->recipients);
    args->recipients = NULL;
    args->nrecipients = 0;
}
