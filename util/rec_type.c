/*
 * rec_type - printable names of queue file record types
 *
 * The letters and payload formats are specified in rec_type.h. This
 * module gives each type the name that Postfix's tools print (postcat
 * shows these), so that our output reads the same.
 *
 * Public functions:
 *	rec_type_name(type)	the name of a record type, REC_TYPE_EOF or
 *				REC_TYPE_ERROR; "unknown_record_type" for
 *				anything else. 'L' is named as the envelope
 *				content filter: the letter alone cannot say
 *				which of its two meanings is meant.
 *
 * Diagnostics: none.
 *
 * Configuration parameters: none.
 */
#include <stddef.h>

#include "rec_type.h"

static const struct rec_type_entry {
    int type;
    const char *name;
} rec_type_names[] = {
    {REC_TYPE_EOF, "end-of-file"},
    {REC_TYPE_ERROR, "error"},
    {REC_TYPE_SIZE, "message_size"},
    {REC_TYPE_TIME, "message_arrival_time"},
    {REC_TYPE_CTIME, "queue_file_create_time"},
    {REC_TYPE_FULL, "sender_fullname"},
    {REC_TYPE_INSP, "content_inspector"},
    {REC_TYPE_FILT, "content_filter"}, /* before CONT: same letter */
    {REC_TYPE_FROM, "sender"},
    {REC_TYPE_DONE, "done_recipient"},
    {REC_TYPE_DRCP, "canceled_recipient"},
    {REC_TYPE_RCPT, "recipient"},
    {REC_TYPE_ORCP, "original_recipient"},
    {REC_TYPE_WARN, "warning_message_time"},
    {REC_TYPE_ATTR, "named_attribute"},
    {REC_TYPE_PTR, "pointer_record"},
    {REC_TYPE_KILL, "killed_record"},
    {REC_TYPE_MESG, "message_content"},
    {REC_TYPE_CONT, "unterminated_text"},
    {REC_TYPE_NORM, "regular_text"},
    {REC_TYPE_DTXT, "padding"},
    {REC_TYPE_XTRA, "extracted_info"},
    {REC_TYPE_RRTO, "return_receipt"},
    {REC_TYPE_ERTO, "errors_to"},
    {REC_TYPE_PRIO, "priority"},
    {REC_TYPE_VERP, "verp_delimiters"},
    {REC_TYPE_END, "message_end"},
    {REC_TYPE_RDR, "redirect_to"},
    {REC_TYPE_FLGS, "flags"},
    {REC_TYPE_DELAY, "cleanup_delay"},
    {REC_TYPE_DSN_RET, "dsn_return_flags"},
    {REC_TYPE_DSN_ENVID, "dsn_envelope_id"},
    {REC_TYPE_DSN_ORCPT, "dsn_original_recipient"},
    {REC_TYPE_DSN_NOTIFY, "dsn_notify_flags"},
    {REC_TYPE_MILT_COUNT, "milter_count"},
};

const char *rec_type_name(int type)
{
    for (size_t i = 0; i < sizeof(rec_type_names) / sizeof(rec_type_names[0]);
         i++)
        if (rec_type_names[i].type == type)
            return rec_type_names[i].name;
    return "unknown_record_type";
}
