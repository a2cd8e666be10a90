#ifndef POSTERN_INPUT_FLAGS_H
#define POSTERN_INPUT_FLAGS_H

#include "buf.h"
#include "conf.h"

/*
 * How a message source adjusts the cleanup request flags
 * (cleanup_user.h): receive_override_options and SMTPUTF8 detection.
 * See input_flags.c.
 */

/* receive_override_options bits. */
#define INPUT_TRANSP_UNKNOWN_RCPT    (1 << 0) /* no_unknown_recipient_checks */
#define INPUT_TRANSP_ADDRESS_MAPPING (1 << 1) /* no_address_mappings */
#define INPUT_TRANSP_HEADER_BODY     (1 << 2) /* no_header_body_checks */
#define INPUT_TRANSP_MILTER          (1 << 3) /* no_milters */

/* Mail source classes, as smtputf8_autodetect_classes names them. */
#define INPUT_CLASS_SENDMAIL "sendmail"
#define INPUT_CLASS_SMTPD    "smtpd"
#define INPUT_CLASS_QMQPD    "qmqpd"
#define INPUT_CLASS_FORWARD  "forward"
#define INPUT_CLASS_BOUNCE   "bounce"
#define INPUT_CLASS_NOTIFY   "notify"
#define INPUT_CLASS_VERIFY   "verify"

int input_transp_mask(const char *value, struct buf *err);
int input_transp_cleanup(int flags, int mask);
int input_autoutf8(const char *classes, const char *source_class,
                   struct buf *err);
int input_cleanup_flags(struct conf *conf, int flags, const char *source_class);

#endif
