/*
 * mail_date - the date of a message header (RFC 5322 section 3.3)
 *
 *	mail_date(out, when)
 *		sets out to when in local time as "Mon, 30 Nov 2026
 *		07:47:48 +0100 (CET)": English day and month names whatever
 *		the locale, the numeric zone offset, and the zone's
 *		abbreviation as a comment, as in Received: and Date:
 *		headers that cleanup and qmqpd add.
 *
 * The offset comes from tm_gmtoff, so it is right on both sides of a
 * daylight saving change.
 *
 * Diagnostics: panic if the time cannot be converted. Parameters: none.
 */
#include <stdlib.h>

#include "mail_date.h"
#include "msg.h"

static const char mail_date_days[7][4] = {"Sun", "Mon", "Tue", "Wed",
                                          "Thu", "Fri", "Sat"};
static const char mail_date_months[12][4] = {"Jan", "Feb", "Mar", "Apr",
                                             "May", "Jun", "Jul", "Aug",
                                             "Sep", "Oct", "Nov", "Dec"};

void mail_date(struct buf *out, time_t when)
{
    struct tm tm;
    long offset;
    long minutes;

    if (localtime_r(&when, &tm) == NULL)
        msg_panic("mail_date: cannot convert time %ld", (long)when);
    offset = tm.tm_gmtoff;
    minutes = labs(offset) / 60;
    buf_printf(out, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld",
               mail_date_days[tm.tm_wday], tm.tm_mday,
               mail_date_months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
               tm.tm_min, tm.tm_sec, offset < 0 ? '-' : '+', minutes / 60,
               minutes % 60);
    if (tm.tm_zone != NULL && *tm.tm_zone != 0)
        buf_append_printf(out, " (%s)", tm.tm_zone);
}
