/*
 * input_flags - cleanup request flags of a message source
 *
 * Every program that feeds cleanup from outside (qmqpd, pickup, later
 * smtpd) starts from a fixed set of request flags (cleanup_user.h) and
 * adjusts it to two parameters:
 *
 *	receive_override_options (default empty): a list of
 *		no_unknown_recipient_checks (not a cleanup flag; for smtpd),
 *		no_address_mappings (clears MAP_OK and BCC_OK: no canonical
 *		or virtual mapping, masquerading or automatic Bcc),
 *		no_header_body_checks (clears FILTER), no_milters (clears
 *		MILTER). Typically set on the path after a content filter.
 *	smtputf8_autodetect_classes (default "sendmail, verify") and
 *	smtputf8_enable (default yes): when SMTPUTF8 is enabled and the
 *		source's class (sendmail, smtpd, qmqpd, forward, bounce,
 *		notify, verify, or "all") is listed, AUTOUTF8 is added, so
 *		that cleanup flags a message with UTF-8 headers or envelope
 *		as needing SMTPUTF8.
 *
 * Public functions:
 *	input_transp_mask(value, err)	INPUT_TRANSP_* bits of a
 *			receive_override_options value, or -1 with
 *			'unknown receive_override_options value "X" in "V"'
 *			in err (names are case-sensitive, as Postfix's)
 *	input_transp_cleanup(flags, mask)	flags less what mask turns off
 *	input_autoutf8(classes, source_class, err)	CLEANUP_FLAG_AUTOUTF8
 *			or 0; -1 with a reason for an unknown class name
 *	input_cleanup_flags(conf, flags, source_class)	both, from conf;
 *			a bad value is fatal (as in Postfix, whose daemons
 *			refuse to start with one)
 *
 * Seen from Postfix 3.7's qmqpd: it asks for 114 (FILTER, BCC_OK, MAP_OK,
 * MILTER); 66 with no_address_mappings, 112 with no_header_body_checks,
 * 50 with no_milters, 626 with smtputf8_autodetect_classes = qmqpd; an
 * unknown option is fatal at start-up.
 *
 * Diagnostics: see above. Configuration parameters:
 * receive_override_options, smtputf8_enable, smtputf8_autodetect_classes
 * (input_cleanup_flags()).
 */
#include <string.h>

#include "cleanup_user.h"
#include "input_flags.h"
#include "msg.h"
#include "param.h"

static const struct {
    const char *name;
    int bit;
} input_transp_names[] = {
    {"no_unknown_recipient_checks", INPUT_TRANSP_UNKNOWN_RCPT},
    {"no_address_mappings", INPUT_TRANSP_ADDRESS_MAPPING},
    {"no_header_body_checks", INPUT_TRANSP_HEADER_BODY},
    {"no_milters", INPUT_TRANSP_MILTER},
};

static const char *input_classes[] = {
    INPUT_CLASS_SENDMAIL, INPUT_CLASS_SMTPD,
    INPUT_CLASS_QMQPD,    INPUT_CLASS_FORWARD,
    INPUT_CLASS_BOUNCE,   INPUT_CLASS_NOTIFY,
    INPUT_CLASS_VERIFY,   "all",
};

int input_transp_mask(const char *value, struct buf *err)
{
    struct conf_list items;
    int mask = 0;

    conf_list_init(&items);
    if (conf_split_list(value, &items, err) < 0) {
        conf_list_free(&items);
        return -1;
    }
    for (size_t i = 0; i < items.count; i++) {
        size_t j;

        for (j = 0;
             j < sizeof(input_transp_names) / sizeof(*input_transp_names); j++)
            if (strcmp(items.items[i], input_transp_names[j].name) == 0)
                break;
        if (j == sizeof(input_transp_names) / sizeof(*input_transp_names)) {
            buf_printf(err,
                       "unknown receive_override_options value \"%.100s\" in "
                       "\"%.200s\"",
                       items.items[i], value);
            conf_list_free(&items);
            return -1;
        }
        mask |= input_transp_names[j].bit;
    }
    conf_list_free(&items);
    return mask;
}

int input_transp_cleanup(int flags, int mask)
{
    if (mask & INPUT_TRANSP_ADDRESS_MAPPING)
        flags &= ~(CLEANUP_FLAG_BCC_OK | CLEANUP_FLAG_MAP_OK);
    if (mask & INPUT_TRANSP_HEADER_BODY)
        flags &= ~CLEANUP_FLAG_FILTER;
    if (mask & INPUT_TRANSP_MILTER)
        flags &= ~CLEANUP_FLAG_MILTER;
    return flags;
}

int input_autoutf8(const char *classes, const char *source_class,
                   struct buf *err)
{
    struct conf_list items;
    int found = 0;

    conf_list_init(&items);
    if (conf_split_list(classes, &items, err) < 0) {
        conf_list_free(&items);
        return -1;
    }
    for (size_t i = 0; i < items.count; i++) {
        size_t j;

        for (j = 0; j < sizeof(input_classes) / sizeof(*input_classes); j++)
            if (strcmp(items.items[i], input_classes[j]) == 0)
                break;
        if (j == sizeof(input_classes) / sizeof(*input_classes)) {
            buf_printf(err,
                       "unknown smtputf8_autodetect_classes value \"%.100s\" "
                       "in \"%.200s\"",
                       items.items[i], classes);
            conf_list_free(&items);
            return -1;
        }
        if (strcmp(items.items[i], "all") == 0 ||
            strcmp(items.items[i], source_class) == 0)
            found = 1;
    }
    conf_list_free(&items);
    return found ? CLEANUP_FLAG_AUTOUTF8 : 0;
}

int input_cleanup_flags(struct conf *conf, int flags, const char *source_class)
{
    struct buf *err = buf_alloc(100);
    int mask;
    int utf8;

    if ((mask = input_transp_mask(param_str(conf, "receive_override_options"),
                                  err)) < 0)
        msg_fatal("%s", buf_str(err));
    flags = input_transp_cleanup(flags, mask);
    if (param_bool(conf, "smtputf8_enable")) {
        if ((utf8 =
                 input_autoutf8(param_str(conf, "smtputf8_autodetect_classes"),
                                source_class, err)) < 0)
            msg_fatal("%s", buf_str(err));
        flags |= utf8;
    }
    buf_free(err);
    return flags;
}
