/*
 * postern_check - create missing spool directories, fix owners and modes
 *
 * The layout of spec b.10 under queue_directory:
 *	incoming active deferred hold corrupt bounce defer trace flush
 *	saved private			mail_owner, 0700
 *	maildrop			mail_owner:setgid_group, 0730
 *	public				mail_owner:setgid_group, 0710
 *	pid				root (or the invoking user), 0755
 * Run as root, owners are set to mail_owner and setgid_group (both must
 * exist). Run as an ordinary user (instance mode), everything belongs to
 * that user and only the modes are fixed. A spool subdirectory that
 * exists but is not a directory, or is a symbolic link, is an error:
 * nothing is guessed. queue_directory itself may be a symbolic link (to
 * another file system, say), which is followed.
 *
 * What is compared: the owner, the group only where the layout names
 * one (setgid_group), and the permission bits (0777). Set-id and sticky
 * bits an administrator or a distribution added (Debian's sticky
 * maildrop/, say) are kept, also when the permission bits are fixed.
 *
 * Public functions:
 *	postern_check(ctx)		0 when the spool is usable, else 1
 *
 * Diagnostics: "created directory X", "fixed mode of X: 0NNN -> 0MMM",
 * "fixed owner of X", errors naming the path.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "postern.h"

enum owner_kind { OWNER_MAIL, OWNER_MAIL_SETGID, OWNER_ROOT };

static const struct {
    const char *name;
    mode_t mode;
    enum owner_kind owner;
} postern_spool_dirs[] = {
    {"incoming", 0700, OWNER_MAIL},      {"active", 0700, OWNER_MAIL},
    {"deferred", 0700, OWNER_MAIL},      {"hold", 0700, OWNER_MAIL},
    {"corrupt", 0700, OWNER_MAIL},       {"bounce", 0700, OWNER_MAIL},
    {"defer", 0700, OWNER_MAIL},         {"trace", 0700, OWNER_MAIL},
    {"flush", 0700, OWNER_MAIL},         {"saved", 0700, OWNER_MAIL},
    {"private", 0700, OWNER_MAIL},       {"maildrop", 0730, OWNER_MAIL_SETGID},
    {"public", 0710, OWNER_MAIL_SETGID}, {"pid", 0755, OWNER_ROOT},
};

static int postern_check_dir(const char *path, mode_t mode, uid_t uid,
                             gid_t gid, int follow)
{
    int (*stat_fn)(const char *, struct stat *) = follow ? stat : lstat;
    struct stat st;

    if (stat_fn(path, &st) < 0) {
        if (errno != ENOENT) {
            msg_warn("%s: %m", path);
            return -1;
        }
        if (mkdir(path, mode) < 0) {
            msg_warn("create directory %s: %m", path);
            return -1;
        }
        msg_info("created directory %s", path);
        if (stat_fn(path, &st) < 0) {
            msg_warn("%s: %m", path);
            return -1;
        }
    }
    if (!S_ISDIR(st.st_mode)) {
        msg_warn("%s exists but is not a directory", path);
        return -1;
    }
    if ((uid != (uid_t)-1 && st.st_uid != uid) ||
        (gid != (gid_t)-1 && st.st_gid != gid)) {
        if (chown(path, uid, gid) < 0) {
            msg_warn("set owner of %s: %m", path);
            return -1;
        }
        msg_info("fixed owner of %s", path);
    }
    if ((st.st_mode & 0777) != mode) {
        mode_t want = mode | (st.st_mode & 07000);

        if (chmod(path, want) < 0) {
            msg_warn("set mode of %s: %m", path);
            return -1;
        }
        msg_info("fixed mode of %s: %04o -> %04o", path,
                 (unsigned)(st.st_mode & 07777), (unsigned)want);
    }
    return 0;
}

int postern_check(struct postern_ctx *ctx)
{
    struct buf *path = buf_alloc(100);
    uid_t mail_uid = (uid_t)-1;
    gid_t setgid_gid = (gid_t)-1;
    int errors = 0;

    if (getuid() == 0) {
        struct passwd *pw = getpwnam(ctx->mail_owner);
        struct group *gr = getgrnam(ctx->setgid_group);

        if (pw == NULL)
            msg_fatal("mail_owner account %s does not exist", ctx->mail_owner);
        if (gr == NULL)
            msg_fatal("setgid_group %s does not exist", ctx->setgid_group);
        mail_uid = pw->pw_uid;
        setgid_gid = gr->gr_gid;
        if (postern_check_dir(ctx->queue_dir, 0755, 0, (gid_t)-1, 1) < 0)
            errors++;
    } else if (postern_check_dir(ctx->queue_dir, 0755, (uid_t)-1, (gid_t)-1,
                                 1) < 0) {
        errors++;
    }
    for (size_t i = 0;
         i < sizeof(postern_spool_dirs) / sizeof(postern_spool_dirs[0]); i++) {
        uid_t uid = mail_uid;
        gid_t gid = (gid_t)-1; /* the layout names no group */

        if (postern_spool_dirs[i].owner == OWNER_MAIL_SETGID)
            gid = setgid_gid;
        else if (postern_spool_dirs[i].owner == OWNER_ROOT && getuid() == 0)
            uid = 0;
        buf_printf(path, "%s/%s", ctx->queue_dir, postern_spool_dirs[i].name);
        if (postern_check_dir(buf_str(path), postern_spool_dirs[i].mode, uid,
                              gid, 0) < 0)
            errors++;
    }
    buf_free(path);
    return errors ? 1 : 0;
}
