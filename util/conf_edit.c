/*
 * conf_edit - change one parameter in main.cf, keeping everything else
 *
 * "postern conf -e name=value" rewrites main.cf: the logical line of the
 * last definition of the parameter (the one that counts) is replaced by
 * "name = value" and its continuation lines are dropped; comment and
 * blank lines, even those between a definition and its continuation,
 * and every other line stay byte for byte. A parameter that is not
 * defined is appended at the end. Earlier definitions of the same
 * parameter are left alone: they were already overridden.
 *
 * The new file is written next to the old one (same directory, so the
 * rename cannot cross file systems), given the old file's mode (and
 * owner, when we may), flushed with fsync and renamed over the old one;
 * then the directory is synced. A reader sees either the old file or the
 * new one, never a mixture, and a crash leaves at worst a stray
 * "main.cf.XXXXXX" temporary file.
 *
 * Public functions:
 *	conf_edit_file(path, name, value, err)	0, or -1 with a reason
 *
 * Diagnostics: "bad parameter name", "value contains a newline", and the
 * failing system call with its path. A missing file is created (mode
 * 0644) with the one definition.
 *
 * Configuration parameters: none.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "mem.h"

struct conf_edit_line {
    const char *text; /* without the newline */
    size_t len;
};

/* The parameter name of a definition line, or 0 if there is none. */
static int conf_edit_defines(const struct conf_edit_line *line,
                             const char *name)
{
    const char *eq = memchr(line->text, '=', line->len);
    size_t len;

    if (eq == NULL)
        return 0;
    len = (size_t)(eq - line->text);
    while (len > 0 && isspace((unsigned char)line->text[len - 1]))
        len--;
    return len == strlen(name) && memcmp(line->text, name, len) == 0;
}

static int conf_edit_write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Replace path by content, atomically and durably. */
static int conf_edit_replace(const char *path, const struct buf *content,
                             const struct stat *old, struct buf *err)
{
    struct buf *tmp = buf_alloc(100);
    struct buf *dir = buf_alloc(100);
    const char *slash;
    int fd;
    int dfd;

    buf_printf(tmp, "%s.XXXXXX", path);
    if ((fd = mkstemp(buf_str(tmp))) < 0) {
        buf_printf(err, "create temporary file %s: %s", buf_str(tmp),
                   strerror(errno));
        goto fail;
    }
    if (old) {
        /* Only root can give the file away; others keep their own. */
        if (geteuid() == 0 && fchown(fd, old->st_uid, old->st_gid) < 0) {
            buf_printf(err, "fchown %s: %s", buf_str(tmp), strerror(errno));
            goto fail_unlink;
        }
        if (fchmod(fd, old->st_mode & 07777) < 0) {
            buf_printf(err, "fchmod %s: %s", buf_str(tmp), strerror(errno));
            goto fail_unlink;
        }
    } else if (fchmod(fd, 0644) < 0) {
        buf_printf(err, "fchmod %s: %s", buf_str(tmp), strerror(errno));
        goto fail_unlink;
    }
    if (conf_edit_write_all(fd, content->data, content->len) < 0 ||
        fsync(fd) < 0) {
        buf_printf(err, "write %s: %s", buf_str(tmp), strerror(errno));
        goto fail_unlink;
    }
    if (close(fd) < 0) {
        fd = -1;
        buf_printf(err, "close %s: %s", buf_str(tmp), strerror(errno));
        goto fail_unlink;
    }
    fd = -1;
    if (rename(buf_str(tmp), path) < 0) {
        buf_printf(err, "rename %s to %s: %s", buf_str(tmp), path,
                   strerror(errno));
        goto fail_unlink;
    }
    /* The rename itself must reach the disk too. */
    if ((slash = strrchr(path, '/')) != NULL)
        buf_set(dir, path, slash == path ? 1 : (size_t)(slash - path));
    else
        buf_set_str(dir, ".");
    if ((dfd = open(buf_str(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        if (fsync(dfd) < 0 && errno != EINVAL) {
            buf_printf(err, "fsync %s: %s", buf_str(dir), strerror(errno));
            close(dfd);
            goto fail;
        }
        close(dfd);
    }
    buf_free(tmp);
    buf_free(dir);
    return 0;

fail_unlink:
    if (fd >= 0)
        close(fd);
    unlink(buf_str(tmp));
fail:
    buf_free(tmp);
    buf_free(dir);
    return -1;
}

int conf_edit_file(const char *path, const char *name, const char *value,
                   struct buf *err)
{
    struct buf *data = buf_alloc(4096);
    struct buf *out = buf_alloc(4096);
    struct conf_edit_line *lines = NULL;
    size_t nlines = 0;
    size_t vlen = strlen(value);
    long def_first = -1; /* first line of the last definition */
    long def_end = -1;   /* one past its last continuation line */
    long current = -1;   /* first line of the logical line we are in */
    struct stat st;
    int exists;
    int ret = -1;

    if (!conf_name_valid(name, strlen(name))) {
        buf_printf(err, "bad parameter name \"%.100s\"", name);
        goto done;
    }
    if (strpbrk(value, "\r\n") != NULL) {
        buf_printf(err, "value of %s contains a newline", name);
        goto done;
    }
    while (vlen > 0 && isspace((unsigned char)value[vlen - 1]))
        vlen--;
    while (vlen > 0 && isspace((unsigned char)*value))
        value++, vlen--;
    exists = stat(path, &st) == 0;
    if (!exists && errno != ENOENT) {
        buf_printf(err, "stat %s: %s", path, strerror(errno));
        goto done;
    }
    if (exists && conf_load_file(path, data, err) < 0)
        goto done;

    /* Physical lines, and where the last definition of name is. */
    for (const char *cp = data->data, *end = buf_end(data); cp < end;) {
        const char *nl = memchr(cp, '\n', (size_t)(end - cp));
        struct conf_edit_line *line;
        const char *p;

        lines = mem_realloc(lines, (nlines + 1) * sizeof(*lines));
        line = lines + nlines;
        line->text = cp;
        line->len = (size_t)((nl ? nl : end) - cp);
        for (p = cp; p < cp + line->len && isspace((unsigned char)*p); p++)
            /* skip */;
        if (p < cp + line->len && *p != '#') {
            if (p == cp) {
                /* A new logical line ends the definition we were in. */
                if (current >= 0 && current == def_first)
                    def_end = (long)nlines;
                current = (long)nlines;
                if (conf_edit_defines(line, name)) {
                    def_first = current;
                    def_end = -1;
                }
            }
        }
        nlines++;
        cp = nl ? nl + 1 : end;
    }
    if (def_first >= 0 && def_end < 0)
        def_end = (long)nlines;

    for (size_t i = 0; i < nlines; i++) {
        const char *p = lines[i].text;
        const char *stop = p + lines[i].len;
        int continuation;

        if ((long)i == def_first) {
            buf_append_printf(out, "%s =%s%.*s\n", name, vlen ? " " : "",
                              (int)vlen, value);
            continue;
        }
        while (p < stop && isspace((unsigned char)*p))
            p++;
        continuation = p > lines[i].text && p < stop && *p != '#';
        if ((long)i > def_first && (long)i < def_end && continuation)
            continue;
        buf_append(out, lines[i].text, lines[i].len);
        buf_append_char(out, '\n');
    }
    if (def_first < 0)
        buf_append_printf(out, "%s =%s%.*s\n", name, vlen ? " " : "", (int)vlen,
                          value);
    ret = conf_edit_replace(path, out, exists ? &st : NULL, err);

done:
    mem_free(lines);
    buf_free(data);
    buf_free(out);
    return ret;
}
