#ifndef POSTERN_UNIT_RECORDS_H
#define POSTERN_UNIT_RECORDS_H

#include "buf.h"
#include "stream.h"

/*
 * Record streams written as text, for table-driven tests: records are
 * separated by '|', each is its type letter, ':' and its payload, e.g.
 * "S:sender|M:|N:Subject: x|X:|E:". In payloads "\t" and "\r" stand for
 * TAB and CR. See unit_records.c.
 */
void unit_records_encode(struct buf *out, const char *spec);
void unit_records_render(struct stream *sp, struct buf *out);

#endif
