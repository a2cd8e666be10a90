/*
 * postern - administer the Postern mail system
 *
 * Usage: postern [-c config_dir] [-v] command [arguments]
 *
 * Commands with the semantics of Postfix's postfix(1):
 *	start		check the installation, then start master in the
 *			background; exit 0 only once master has initialised
 *	start-fg	check, then run master in the foreground (logs also
 *			to standard error); returns when master exits
 *	stop		stop master and every child: SIGTERM, wait until
 *			master has gone (it ends its children first), SIGKILL
 *			as a last resort
 *	abort		SIGTERM to master, without waiting
 *	reload		SIGHUP to master: it re-reads main.cf and master.cf
 *	status		exit 0 when master runs, 1 when not
 *	check		create missing spool directories, fix their owners and
 *			modes (spec b.10)
 * Subcommands that keep the flags of Postfix's tools:
 *	conf		postconf (see postern_conf.c)
 *
 * The configuration directory is -c, else $MAIL_CONFIG, else the
 * compiled-in sysconfdir/postern. Messages go to standard error and are
 * logged as "postern/postern[pid]: ..." (Postfix logs these as
 * postfix/postfix-script).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "master_proto.h"
#include "mem.h"
#include "msg.h"
#include "param.h"
#include "paths.h"
#include "postern.h"

static void postern_usage(void)
{
    fprintf(stderr,
            "usage: postern [-c config_dir] [-v] command\n"
            "commands: start start-fg stop abort reload status check conf\n");
    exit(2);
}

static char *postern_param(struct postern_ctx *ctx, const char *name)
{
    struct buf *value = buf_alloc(100);
    struct buf *err = buf_alloc(100);

    if (param_get_str(ctx->conf, name, value, err) < 0)
        msg_fatal("%s", buf_str(err));
    buf_free(err);
    return buf_export(value);
}

int main(int argc, char **argv)
{
    struct postern_ctx ctx;
    struct buf *path = buf_alloc(100);
    struct buf *err = buf_alloc(100);
    const char *command;
    int status;
    int ch;

    memset(&ctx, 0, sizeof(ctx));
    msg_open("postern");
    msg_set_destinations(MSG_TO_STDERR, NULL);
    /* Stop at the command: its own flags belong to it. */
    while ((ch = getopt(argc, argv, "+c:v")) != -1) {
        switch (ch) {
        case 'c':
            mem_free(ctx.config_dir);
            ctx.config_dir = conf_dir_absolute(optarg);
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            postern_usage();
        }
    }
    if (optind >= argc)
        postern_usage();
    command = argv[optind];
    if (ctx.config_dir == NULL) {
        const char *env = getenv(MASTER_CONFIG_ENV);

        ctx.config_dir =
            conf_dir_absolute(env && *env ? env : POSTERN_SYSCONFDIR);
    }
    /* Children (master) find the same configuration. */
    setenv(MASTER_CONFIG_ENV, ctx.config_dir, 1);
    ctx.conf = conf_create();
    buf_printf(path, "%s/main.cf", ctx.config_dir);
    if (conf_read_file(ctx.conf, buf_str(path), err) < 0)
        msg_fatal("%s", buf_str(err));
    buf_free(path);
    buf_free(err);
    if (strcmp(command, "conf") == 0) {
        optind++;
        status = postern_conf_main(&ctx, argc - optind + 1, argv + optind - 1);
    } else {
        ctx.queue_dir = postern_param(&ctx, "queue_directory");
        ctx.daemon_dir = postern_param(&ctx, "daemon_directory");
        ctx.mail_owner = postern_param(&ctx, "mail_owner");
        ctx.setgid_group = postern_param(&ctx, "setgid_group");
        if (strcmp(command, "check") == 0)
            status = postern_check(&ctx);
        else
            status = postern_control(&ctx, command);
    }
    /* Free everything, so that leak checkers see a clean exit. */
    mem_free(ctx.queue_dir);
    mem_free(ctx.daemon_dir);
    mem_free(ctx.mail_owner);
    mem_free(ctx.setgid_group);
    mem_free(ctx.config_dir);
    conf_free(ctx.conf);
    return status;
}
