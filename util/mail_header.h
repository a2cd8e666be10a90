#ifndef POSTERN_MAIL_HEADER_H
#define POSTERN_MAIL_HEADER_H

#include <stddef.h>

/*
 * Message header lines (RFC 5322 section 2.2): which lines are headers,
 * and the header names mail programs treat specially. See mail_header.c.
 */
enum mail_header_id {
    MAIL_HDR_OTHER = 0, /* any header not in the table */
    MAIL_HDR_APPARENTLY_TO,
    MAIL_HDR_BCC,
    MAIL_HDR_CC,
    MAIL_HDR_CONTENT_LENGTH,
    MAIL_HDR_CONTENT_TRANSFER_ENCODING,
    MAIL_HDR_CONTENT_TYPE,
    MAIL_HDR_DATE,
    MAIL_HDR_DELIVERED_TO,
    MAIL_HDR_DISPOSITION_NOTIFICATION_TO,
    MAIL_HDR_ERRORS_TO,
    MAIL_HDR_FROM,
    MAIL_HDR_MESSAGE_ID,
    MAIL_HDR_MIME_VERSION,
    MAIL_HDR_RECEIVED,
    MAIL_HDR_REPLY_TO,
    MAIL_HDR_RESENT_BCC,
    MAIL_HDR_RESENT_CC,
    MAIL_HDR_RESENT_DATE,
    MAIL_HDR_RESENT_FROM,
    MAIL_HDR_RESENT_MESSAGE_ID,
    MAIL_HDR_RESENT_REPLY_TO,
    MAIL_HDR_RESENT_SENDER,
    MAIL_HDR_RESENT_TO,
    MAIL_HDR_RETURN_PATH,
    MAIL_HDR_RETURN_RECEIPT_TO,
    MAIL_HDR_SENDER,
    MAIL_HDR_TO,
};

/* mail_header_info.flags */
#define MAIL_HDR_F_ADDRESS   (1 << 0) /* value is an address list */
#define MAIL_HDR_F_RECIPIENT (1 << 1) /* names recipients (To, Cc, Bcc) */
#define MAIL_HDR_F_SENDER    (1 << 2) /* names the author or sender */
#define MAIL_HDR_F_RESENT    (1 << 3) /* a Resent- header (RFC 5322 3.6.6) */

struct mail_header_info {
    const char *name; /* canonical spelling */
    enum mail_header_id id;
    int flags;
};

size_t mail_header_name_len(const char *line, size_t len);
size_t mail_header_value_offset(const char *line, size_t len);
const struct mail_header_info *mail_header_find(const char *name, size_t len);
const struct mail_header_info *mail_header_info(const char *line, size_t len);
int mail_header_is_continuation(const char *line, size_t len);

#endif
