#ifndef POSTERN_POSTERN_H
#define POSTERN_POSTERN_H

#include "conf.h"

/* What every subcommand needs to know about the installation. */
struct postern_ctx {
    char *config_dir;  /* absolute */
    struct conf *conf; /* main.cf */
    char *queue_dir;
    char *daemon_dir;
    char *mail_owner;
    char *setgid_group;
};

int postern_control(struct postern_ctx *ctx, const char *action);
int postern_check(struct postern_ctx *ctx);
int postern_conf_main(struct postern_ctx *ctx, int argc, char **argv);

#endif
