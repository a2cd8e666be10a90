/*
 * quote_addr - an internal-form address in RFC 5322 quoted form
 *
 * Addresses travel between Postern's programs in "internal" form: the
 * local part without quotes ("a b@example.com"). Log lines show them in
 * "external" form: the local part (everything before the last '@') in
 * double quotes when it is not a dot-atom, with '"' and '\' escaped by a
 * backslash ("\"a b\"@example.com"). The domain is left alone.
 *
 * Public functions:
 *	quote_addr_append(out, addr)
 *		appends the external form of addr to out. The empty
 *		address stays empty (callers write <> around it).
 *	quote_addr_needed(local, len)
 *		whether a local part of len bytes needs quotes: it is
 *		empty (and the address has an '@'), starts or ends with a
 *		dot, has two dots in a row, or has a byte that is not
 *		atext (RFC 5322: letters, digits and !#$%&'*+-/=?^_`{|}~):
 *		space, control characters and the specials ()<>@,;:\".[]
 *		Bytes >= 0x80 count as atext (SMTPUTF8).
 *
 * Observed with Postfix 3.7's agents: x@y@z -> "x@y"@z; a b@x -> "a
 * b"@x; @x -> ""@x; a.@x, .a@x, a..b@x quoted; user, a@, a%b@x, a!b@x,
 * a?b@x, 8-bit bytes unquoted; a\tb@x -> "a\tb"@x (the logger then
 * turns the tab into '?').
 *
 * Diagnostics: none. Configuration parameters: none.
 */
#include <string.h>

#include "quote_addr.h"

static int quote_addr_atext(unsigned char ch)
{
    if (ch >= 0x80)
        return 1;
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
        (ch >= '0' && ch <= '9'))
        return 1;
    return ch != 0 && strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL;
}

int quote_addr_needed(const char *local, size_t len)
{
    if (len == 0)
        return 1;
    if (local[0] == '.' || local[len - 1] == '.')
        return 1;
    for (size_t i = 0; i < len; i++) {
        if (local[i] == '.') {
            if (i + 1 < len && local[i + 1] == '.')
                return 1;
        } else if (!quote_addr_atext((unsigned char)local[i])) {
            return 1;
        }
    }
    return 0;
}

void quote_addr_append(struct buf *out, const char *addr)
{
    const char *at = strrchr(addr, '@');
    size_t local_len = at ? (size_t)(at - addr) : strlen(addr);

    if (*addr == 0)
        return;
    if (!quote_addr_needed(addr, local_len)) {
        buf_append_str(out, addr);
        return;
    }
    buf_append_char(out, '"');
    for (size_t i = 0; i < local_len; i++) {
        if (addr[i] == '"' || addr[i] == '\\')
            buf_append_char(out, '\\');
        buf_append_char(out, addr[i]);
    }
    buf_append_char(out, '"');
    if (at)
        buf_append_str(out, at);
}
