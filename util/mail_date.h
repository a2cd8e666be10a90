#ifndef POSTERN_MAIL_DATE_H
#define POSTERN_MAIL_DATE_H

#include <time.h>

#include "buf.h"

void mail_date(struct buf *out, time_t when);

#endif
