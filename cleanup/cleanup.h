#ifndef POSTERN_CLEANUP_H
#define POSTERN_CLEANUP_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "stream.h"

/*
 * The cleanup daemon's internals: one struct cleanup_state per message,
 * fed record by record (cleanup_state.c), with the envelope, content and
 * extracted segments handled in their own modules. cleanup.c holds
 * main() and the client conversation; everything else can be driven
 * without a socket (tests/unit/test_cleanup.c).
 */

/* Configuration, filled in by cleanup.c (or a test) before use. */
struct cleanup_config {
    int hopcount_limit;             /* hopcount_limit */
    long message_size_limit;        /* message_size_limit; 0 = none */
    int line_length_limit;          /* line_length_limit */
    int header_size_limit;          /* header_size_limit */
    int header_address_token_limit; /* header_address_token_limit */
    long delay_warning_time;        /* delay_warning_time, seconds */
    int always_add_missing_headers; /* always_add_missing_headers */
    int enable_original_recipient;  /* enable_original_recipient */
    int duplicate_filter_limit;     /* duplicate_filter_limit */
    int append_at_myorigin;         /* append_at_myorigin */
    int append_dot_mydomain;        /* append_dot_mydomain */
    int long_queue_ids;             /* enable_long_queue_ids */
    const char *myhostname;         /* myhostname */
    const char *myorigin;           /* myorigin */
    const char *mydomain;           /* mydomain */
    const char *mail_name;          /* mail_name */
};

extern struct cleanup_config cleanup_config;

/* Where in the client's record stream we are. */
enum cleanup_segment {
    CLEANUP_SEG_ENVELOPE,  /* before M */
    CLEANUP_SEG_CONTENT,   /* M .. X */
    CLEANUP_SEG_EXTRACTED, /* X .. E */
    CLEANUP_SEG_DONE,      /* after E */
};

/* Header phase: how the physical line being collected is classified. */
enum cleanup_line_class {
    CLEANUP_LINE_NONE,    /* no line being collected */
    CLEANUP_LINE_UNKNOWN, /* too little seen to tell */
    CLEANUP_LINE_HEADER,  /* a new header field; collected in hdr */
    CLEANUP_LINE_CONT,    /* a continuation of hdr; collected in hdr */
};

struct cleanup_dup;

struct cleanup_state {
    /* The message. */
    char *queue_id;
    struct stream *dst; /* the queue file */
    int flags;          /* CLEANUP_FLAG_* */
    unsigned errs;      /* CLEANUP_STAT_* so far */
    int fatal;          /* stop looking at input: errs are final */
    char *reject_text;  /* the first rejection's reason, or NULL */
    enum cleanup_segment segment;
    time_t create_time; /* when the queue file was made */
    off_t file_size;    /* bytes written to the queue file */
    off_t data_offset;  /* just after M */
    off_t xtra_offset;  /* where X is */

    /* Envelope. */
    int have_time;
    long arrival_sec;
    long arrival_usec;
    int have_sender;
    char *sender;     /* canonical, internal form */
    char *fullname;   /* F record, or NULL */
    int remote;       /* rewrite_context=remote */
    char *orig_rcpt;  /* pending O for the next R */
    char *dsn_orcpt;  /* pending dsn_orig_rcpt for the next R */
    int dsn_notify;   /* pending notify_flags for the next R */
    int warn_written; /* W record, or decided there is none */
    int rcpt_in_segment;
    int mixed;       /* REC_SIZE_FLAG_MIXED_RCPT_OTHER */
    int notify_bits; /* every recipient's notify_flags, or-ed */
    long rcpt_count;
    struct cleanup_dup *dup;

    /* Content: the header phase. */
    int in_headers;
    enum cleanup_line_class line_class;
    struct buf *line; /* CLEANUP_LINE_UNKNOWN: the line so far */
    struct buf *hdr;  /* the logical header being collected */
    int hdr_pending;
    int hdr_truncated;
    int headers_out; /* a header (or our Received:) was written */
    int hop_count;
    unsigned seen;    /* 1 << mail_header_id of headers seen */
    int resent;       /* a Resent- header was seen */
    int msgid_logged; /* a message-id= line was logged */
    struct buf *scratch;
};

/* cleanup_state.c */
struct cleanup_state *cleanup_state_create(const char *queue_id,
                                           struct stream *dst, int flags,
                                           time_t create_time);
void cleanup_state_free(struct cleanup_state *state);
int cleanup_record(struct cleanup_state *state, int type, const char *data,
                   size_t len);
void cleanup_reject(struct cleanup_state *state, unsigned status,
                    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cleanup_finish(struct cleanup_state *state);

/* cleanup_out.c */
void cleanup_out(struct cleanup_state *state, int type, const char *data,
                 size_t len);
void cleanup_out_str(struct cleanup_state *state, int type, const char *str);
void cleanup_out_format(struct cleanup_state *state, int type, const char *fmt,
                        ...) __attribute__((format(printf, 3, 4)));
void cleanup_out_split(struct cleanup_state *state, int type, const char *data,
                       size_t len);
void cleanup_out_pointer(struct cleanup_state *state);
int cleanup_out_size_record(struct cleanup_state *state);

/* cleanup_envelope.c, cleanup_extracted.c */
void cleanup_envelope(struct cleanup_state *state, int type, const char *data,
                      size_t len);
void cleanup_extracted(struct cleanup_state *state, int type, const char *data,
                       size_t len);
void cleanup_recipient(struct cleanup_state *state, const char *rcpt);
int cleanup_rcpt_attr(struct cleanup_state *state, int type, const char *data,
                      size_t len);
const char *cleanup_attr_common(struct cleanup_state *state, const char *data,
                                size_t len);
void cleanup_segment_other(struct cleanup_state *state);

/* cleanup_message.c */
void cleanup_message(struct cleanup_state *state, int type, const char *data,
                     size_t len);
void cleanup_message_end(struct cleanup_state *state);

/* cleanup_addr.c */
void cleanup_addr_canon(const char *addr, struct buf *out);
void cleanup_addr_header(struct cleanup_state *state, const char *name,
                         size_t name_len, struct buf *hdr);

/* cleanup_bounce.c: what CLEANUP_FLAG_BOUNCE returns to the sender. */
#define CLEANUP_BOUNCE_STATUS                                                  \
    (CLEANUP_STAT_SIZE | CLEANUP_STAT_HOPS | CLEANUP_STAT_CONT |               \
     CLEANUP_STAT_NOPERM)
int cleanup_bounce(struct cleanup_state *state, const char *queue,
                   unsigned status);

/* cleanup_dup.c */
struct cleanup_dup *cleanup_dup_create(int limit);
int cleanup_dup_seen(struct cleanup_dup *dup, const char *key, size_t len);
void cleanup_dup_free(struct cleanup_dup *dup);

#endif
