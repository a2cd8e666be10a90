#ifndef POSTERN_MAIL_CMD_H
#define POSTERN_MAIL_CMD_H

#include "buf.h"
#include "conf.h"

/*
 * What the mail commands run by users (sendmail, postdrop) share: which
 * configuration directory, main.cf, and where messages go. See
 * mail_cmd.c.
 */
char *mail_cmd_config_dir(const char *option);
struct conf *mail_cmd_conf_load(const char *config_dir, struct buf *err);
void mail_cmd_logging(struct conf *conf);
int mail_cmd_dir_listed(struct conf *conf, const char *param, const char *dir);

#endif
