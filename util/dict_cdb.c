/*
 * dict_cdb - constant database tables (tinycdb), reading and writing
 *
 * "cdb:/etc/postern/transport" is the file /etc/postern/transport.cdb.
 * A cdb file is built once and replaced as a whole: the writer fills
 * NAME.tmp and renames it over NAME.cdb, so readers always see either
 * the old or the new table, never a half-written one.
 *
 * NUL bytes: Postfix's writer (and ours) stores keys and values without
 * a trailing NUL; some other tools store both with one. A lookup tries
 * the key with its NUL first and without it second, and from the first
 * hit on, the table sticks to whichever form matched. A value ending in
 * a NUL has it removed.
 *
 * Public functions:
 *	dict_cdb_open(name, flags, err)		called by dict_open()
 *	dict_cdb_create(path, flags, mode, err)	start building path.cdb in
 *					path.tmp (created with mode, less the
 *					umask); NULL with a reason in err
 *	dict_cdb_add(writer, key, value, err)	0 added, 1 duplicate key
 *					(the first value stays, a warning is
 *					logged), -1 on a write error
 *	dict_cdb_commit(writer, err)	finish, fsync, rename to path.cdb;
 *					0 or -1; frees the writer either way
 *	dict_cdb_abort(writer)		remove path.tmp and free the writer
 *
 * The writer holds an exclusive flock() on path.tmp, so two builders of
 * the same table take turns instead of writing one file together; a
 * builder that waited re-opens the name if the file it locked was
 * renamed or removed meanwhile. DICT_FLAG_FOLD_CASE lowercases keys as
 * they are added.
 *
 * Diagnostics: open failures name the file and the system error
 * ("open /x.cdb: No such file or directory"). A lookup that cannot read
 * the file (it is corrupt) logs a warning, returns NULL and sets
 * DICT_ERR_RETRY. Writer errors name the file and the system error.
 *
 * Configuration parameters: none.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cdb.h>

#include "dict.h"
#include "mem.h"
#include "msg.h"

#define DICT_CDB_SUFFIX     ".cdb"
#define DICT_CDB_TMP_SUFFIX ".tmp"
#define DICT_CDB_LOCK_TRIES 100 /* re-opens after losing the name */

struct dict_cdb {
    struct dict dict; /* must be first */
    char *path;
    int fd;
    struct stat st; /* the file we opened, for dict_changed() */
    struct cdb cdb;
    int try_with_nul; /* key + NUL may still match */
    int try_without;  /* bare key may still match */
    struct buf *value;
};

/* Find key (klen bytes); 1 found, 0 not found, -1 error. */
static int dict_cdb_find(struct dict_cdb *dc, const char *key, size_t klen)
{
    const unsigned char *data;
    unsigned dlen;
    int rc;

    if ((rc = cdb_find(&dc->cdb, key, (unsigned)klen)) <= 0)
        return rc;
    dlen = cdb_datalen(&dc->cdb);
    if ((data = cdb_getdata(&dc->cdb)) == NULL) {
        errno = EPROTO;
        return -1;
    }
    if (dlen > 0 && data[dlen - 1] == 0)
        dlen--;
    buf_set(dc->value, data, dlen);
    return 1;
}

static const char *dict_cdb_lookup(struct dict *dict, const char *key)
{
    struct dict_cdb *dc = (struct dict_cdb *)dict;
    size_t klen = strlen(key);
    int rc = 0;

    if (klen >= UINT_MAX)
        return NULL; /* cannot be in a cdb file */
    /* The NUL that ends key is the NUL some writers store. */
    if (dc->try_with_nul && (rc = dict_cdb_find(dc, key, klen + 1)) > 0)
        dc->try_without = 0;
    if (rc == 0 && dc->try_without && (rc = dict_cdb_find(dc, key, klen)) > 0)
        dc->try_with_nul = 0;
    if (rc < 0) {
        msg_warn("table cdb:%s: error reading %s: %m", dict->name, dc->path);
        dict->error = DICT_ERR_RETRY;
        return NULL;
    }
    return rc > 0 ? buf_str(dc->value) : NULL;
}

static int dict_cdb_changed(struct dict *dict)
{
    struct dict_cdb *dc = (struct dict_cdb *)dict;
    struct stat st;

    if (stat(dc->path, &st) < 0)
        return 1;
    return st.st_dev != dc->st.st_dev || st.st_ino != dc->st.st_ino ||
           st.st_mtime != dc->st.st_mtime || st.st_size != dc->st.st_size;
}

static void dict_cdb_close(struct dict *dict)
{
    struct dict_cdb *dc = (struct dict_cdb *)dict;

    cdb_free(&dc->cdb);
    close(dc->fd);
    mem_free(dc->path);
    buf_free(dc->value);
    dict_free(dict);
}

struct dict *dict_cdb_open(const char *name, int flags, struct buf *err)
{
    struct dict_cdb *dc;
    char *path;
    struct stat st;
    int fd;

    if (*name == 0) {
        buf_set_str(err, "empty file name");
        return NULL;
    }
    path = mem_alloc(strlen(name) + sizeof(DICT_CDB_SUFFIX));
    strcpy(path, name);
    strcat(path, DICT_CDB_SUFFIX);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        buf_printf(err, "open %s: %m", path);
        mem_free(path);
        return NULL;
    }
    if (fstat(fd, &st) < 0) {
        buf_printf(err, "fstat %s: %m", path);
        close(fd);
        mem_free(path);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        buf_printf(err, "%s: not a regular file", path);
        close(fd);
        mem_free(path);
        return NULL;
    }
    dc = (struct dict_cdb *)dict_alloc(sizeof(*dc), "cdb", name, flags);
    if (cdb_init(&dc->cdb, fd) < 0) {
        buf_printf(err, "%s: not a valid cdb file: %m", path);
        close(fd);
        mem_free(path);
        dict_free(&dc->dict);
        return NULL;
    }
    dc->path = path;
    dc->fd = fd;
    dc->st = st;
    dc->try_with_nul = 1;
    dc->try_without = 1;
    dc->value = buf_alloc(64);
    dc->dict.lookup = dict_cdb_lookup;
    dc->dict.changed = dict_cdb_changed;
    dc->dict.close = dict_cdb_close;
    return &dc->dict;
}

struct dict_cdb_writer {
    char *tmp_path;
    char *cdb_path;
    int fd;
    int flags;
    int failed;      /* tinycdb cannot go on after an error */
    int make_active; /* make holds memory until cdb_make_finish */
    struct buf *key;
    struct cdb_make make;
};

static void dict_cdb_writer_free(struct dict_cdb_writer *writer)
{
    if (writer->fd >= 0)
        close(writer->fd);
    mem_free(writer->tmp_path);
    mem_free(writer->cdb_path);
    buf_free(writer->key);
    mem_free(writer);
}

static char *dict_cdb_concat(const char *path, const char *suffix)
{
    char *result = mem_alloc(strlen(path) + strlen(suffix) + 1);

    strcpy(result, path);
    strcat(result, suffix);
    return result;
}

/* Open and lock path.tmp, making sure the lock is on the current name. */
static int dict_cdb_open_tmp(struct dict_cdb_writer *writer, mode_t mode,
                             struct buf *err)
{
    struct stat fd_st;
    struct stat name_st;

    for (int tries = 0; tries < DICT_CDB_LOCK_TRIES; tries++) {
        int fd = open(writer->tmp_path, O_RDWR | O_CREAT | O_CLOEXEC, mode);

        if (fd < 0) {
            buf_printf(err, "open %s: %m", writer->tmp_path);
            return -1;
        }
        if (flock(fd, LOCK_EX) < 0 || fstat(fd, &fd_st) < 0) {
            buf_printf(err, "lock %s: %m", writer->tmp_path);
            close(fd);
            return -1;
        }
        if (stat(writer->tmp_path, &name_st) == 0 &&
            name_st.st_dev == fd_st.st_dev && name_st.st_ino == fd_st.st_ino) {
            writer->fd = fd;
            return 0;
        }
        /* The previous holder renamed or removed it: start again. */
        close(fd);
    }
    buf_printf(err, "lock %s: file keeps being replaced", writer->tmp_path);
    return -1;
}

struct dict_cdb_writer *dict_cdb_create(const char *path, int flags,
                                        mode_t mode, struct buf *err)
{
    struct dict_cdb_writer *writer;

    if (*path == 0) {
        buf_set_str(err, "empty file name");
        return NULL;
    }
    writer = mem_zalloc(sizeof(*writer));
    writer->fd = -1;
    writer->flags = flags;
    writer->tmp_path = dict_cdb_concat(path, DICT_CDB_TMP_SUFFIX);
    writer->cdb_path = dict_cdb_concat(path, DICT_CDB_SUFFIX);
    writer->key = buf_alloc(64);
    if (dict_cdb_open_tmp(writer, mode, err) < 0) {
        dict_cdb_writer_free(writer);
        return NULL;
    }
    if (ftruncate(writer->fd, 0) < 0 ||
        cdb_make_start(&writer->make, writer->fd) < 0) {
        buf_printf(err, "initialize %s: %m", writer->tmp_path);
        dict_cdb_abort(writer);
        return NULL;
    }
    writer->make_active = 1;
    return writer;
}

int dict_cdb_add(struct dict_cdb_writer *writer, const char *key,
                 const char *value, struct buf *err)
{
    size_t klen = strlen(key);
    size_t vlen = strlen(value);
    int rc;

    if (writer->failed) {
        buf_printf(err, "write %s: an earlier write failed", writer->tmp_path);
        return -1;
    }
    if (klen >= UINT_MAX || vlen >= UINT_MAX) {
        buf_printf(err, "write %s: key or value too long", writer->tmp_path);
        return -1;
    }
    buf_set(writer->key, key, klen);
    if (writer->flags & DICT_FLAG_FOLD_CASE)
        buf_lower(writer->key);
    rc = cdb_make_put(&writer->make, buf_str(writer->key), (unsigned)klen,
                      value, (unsigned)vlen, CDB_PUT_INSERT);
    if (rc < 0) {
        buf_printf(err, "write %s: %m", writer->tmp_path);
        writer->failed = 1;
        return -1;
    }
    if (rc > 0) {
        msg_warn("%s: duplicate key \"%s\": first value kept", writer->cdb_path,
                 buf_str(writer->key));
        return 1;
    }
    return 0;
}

/* Make the rename durable; a failure here loses nothing but the rename. */
static void dict_cdb_sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir =
        slash ? mem_strndup(path, slash == path ? 1 : (size_t)(slash - path))
              : mem_strdup(".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0) {
        if (fsync(fd) < 0)
            msg_warn("fsync directory %s: %m", dir);
        close(fd);
    }
    mem_free(dir);
}

int dict_cdb_commit(struct dict_cdb_writer *writer, struct buf *err)
{
    if (writer->failed) {
        buf_printf(err, "write %s: an earlier write failed", writer->tmp_path);
        dict_cdb_abort(writer);
        return -1;
    }
    writer->make_active = 0; /* cdb_make_finish frees it either way */
    if (cdb_make_finish(&writer->make) < 0 || fsync(writer->fd) < 0) {
        buf_printf(err, "write %s: %m", writer->tmp_path);
        dict_cdb_abort(writer);
        return -1;
    }
    if (rename(writer->tmp_path, writer->cdb_path) < 0) {
        buf_printf(err, "rename %s to %s: %m", writer->tmp_path,
                   writer->cdb_path);
        dict_cdb_abort(writer);
        return -1;
    }
    dict_cdb_sync_dir(writer->cdb_path);
    /* Closing releases the lock only now that the name is free again. */
    dict_cdb_writer_free(writer);
    return 0;
}

void dict_cdb_abort(struct dict_cdb_writer *writer)
{
    if (writer == NULL)
        return;
    /*
     * Only cdb_make_finish releases tinycdb's memory. The file is going
     * away, so what finishing writes, or fails to write, does not matter.
     */
    if (writer->make_active)
        (void)cdb_make_finish(&writer->make);
    if (writer->fd >= 0)
        unlink(writer->tmp_path);
    dict_cdb_writer_free(writer);
}
