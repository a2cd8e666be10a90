/*
 * cleanup_strerror - describe a cleanup status bitmask
 *
 * cleanup_stat_detail(status) returns the SMTP reply code, the enhanced
 * status code (RFC 3463) and a short text for the most important bit set
 * in status (the table's order is that importance: a temporary server
 * problem outranks a content verdict), or the OK entry for 0. Unknown
 * bits map to the "internal protocol error" entry, which is temporary,
 * so that an unexpected answer from a newer peer never turns into a
 * permanent rejection.
 *
 * cleanup_strerror(status) is the text alone.
 *
 * The codes follow spec d.3 (451 4.7.1 for DEFER; 451 4.3.0 for PROXY,
 * BAD and WRITE; 550 5.1.0 RCPT; 554 5.4.0 HOPS; 552 5.3.4 SIZE; 550 5.7.1
 * CONT and NOPERM; 521 5.5.2 BARE_LF).
 *
 * Diagnostics: none. Parameters: none.
 */
#include <stddef.h>

#include "cleanup_user.h"

static const struct cleanup_stat_detail cleanup_stat_table[] = {
    {CLEANUP_STAT_DEFER, 451, "4.7.1", "service unavailable"},
    {CLEANUP_STAT_PROXY, 451, "4.3.0", "proxy reject"},
    {CLEANUP_STAT_BAD, 451, "4.3.0", "internal protocol error"},
    {CLEANUP_STAT_WRITE, 451, "4.3.0", "queue file write error"},
    {CLEANUP_STAT_NOPERM, 550, "5.7.1", "service denied"},
    {CLEANUP_STAT_CONT, 550, "5.7.1", "message content rejected"},
    {CLEANUP_STAT_HOPS, 554, "5.4.0", "too many hops"},
    {CLEANUP_STAT_SIZE, 552, "5.3.4", "message file too big"},
    {CLEANUP_STAT_RCPT, 550, "5.1.0", "no recipients specified"},
    {CLEANUP_STAT_BARE_LF, 521, "5.5.2", "bare <LF> received"},
};

static const struct cleanup_stat_detail cleanup_stat_ok = {CLEANUP_STAT_OK, 250,
                                                           "2.0.0", "success"};

const struct cleanup_stat_detail *cleanup_stat_detail(unsigned status)
{
    size_t i;

    if (status == CLEANUP_STAT_OK)
        return &cleanup_stat_ok;
    for (i = 0; i < sizeof(cleanup_stat_table) / sizeof(cleanup_stat_table[0]);
         i++)
        if (status & cleanup_stat_table[i].status)
            return &cleanup_stat_table[i];
    return &cleanup_stat_table[2]; /* unknown bits: temporary, protocol */
}

const char *cleanup_strerror(unsigned status)
{
    return cleanup_stat_detail(status)->text;
}
