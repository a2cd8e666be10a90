/*
 * dsn_split - an RFC 3463 status code at the start of a text
 *
 * A next hop of the error and discard transports ("error:5.1.1 no such
 * user"), and many reasons, start with an enhanced status code. These
 * functions take it apart.
 *
 * Public functions:
 *	dsn_valid(text)
 *		the length of the status code at the start of text, or 0:
 *		class 2, 4 or 5, '.', 1-3 digits, '.', 1-3 digits, then the
 *		end of the text or white space (leading zeros are fine:
 *		5.01.1 is valid; 5.1.1text, 5.1000.1, 6.1.1 and 05.1.1 are
 *		not).
 *	dsn_split(text, def, status)
 *		skips leading white space; when a valid code follows, puts
 *		it in status and returns the text after it and the white
 *		space after it; otherwise puts def in status and returns
 *		the text after the leading white space. Trailing white
 *		space stays. (Observed with Postfix 3.7's error agent:
 *		"  x" -> 5.0.0 "x"; "5.1.1  two" -> 5.1.1 "two"; "5.1.1" ->
 *		5.1.1 ""; "x  " -> 5.0.0 "x  ".)
 *
 * Diagnostics: none. Configuration parameters: none.
 */
#include <ctype.h>

#include "dsn_split.h"

static size_t dsn_digits(const char *cp)
{
    size_t n = 0;

    while (n < 4 && isdigit((unsigned char)cp[n]))
        n++;
    return n;
}

size_t dsn_valid(const char *text)
{
    size_t len;
    size_t n;

    if (text[0] != '2' && text[0] != '4' && text[0] != '5')
        return 0;
    if (text[1] != '.')
        return 0;
    len = 2;
    if ((n = dsn_digits(text + len)) < 1 || n > 3 || text[len + n] != '.')
        return 0;
    len += n + 1;
    if ((n = dsn_digits(text + len)) < 1 || n > 3)
        return 0;
    len += n;
    if (text[len] != 0 && !isspace((unsigned char)text[len]))
        return 0;
    return len;
}

const char *dsn_split(const char *text, const char *def, struct buf *status)
{
    size_t len;

    while (isspace((unsigned char)*text))
        text++;
    if ((len = dsn_valid(text)) == 0) {
        buf_set_str(status, def);
        return text;
    }
    buf_set(status, text, len);
    text += len;
    while (isspace((unsigned char)*text))
        text++;
    return text;
}
