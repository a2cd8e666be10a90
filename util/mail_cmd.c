/*
 * mail_cmd - set-up shared by the commands users run (sendmail, postdrop)
 *
 * Public functions:
 *	mail_cmd_config_dir(option)
 *		the configuration directory: option (-c or -C) when not
 *		NULL, else $MAIL_CONFIG when set and not empty, else the
 *		compiled-in default (paths.h). Allocated.
 *	mail_cmd_conf_load(config_dir, err)
 *		main.cf of that directory; NULL with a reason in err
 *	mail_cmd_logging(conf)
 *		messages go to standard error and, like Postfix's commands,
 *		to the log: maillog_file when it is set and can be opened
 *		by this user, else syslog (syslog_name, syslog_facility)
 *	mail_cmd_dir_listed(conf, param, dir)
 *		1 when the list parameter param (alternate_config_directories,
 *		multi_instance_directories) names dir
 *
 * Diagnostics: none of their own; a bad logging parameter is ignored
 * (the command still reports to standard error).
 *
 * Configuration parameters: syslog_name, syslog_facility, maillog_file,
 * and the list parameter passed to mail_cmd_dir_listed().
 */
#include <stdlib.h>
#include <string.h>

#include "mail_cmd.h"
#include "master_proto.h"
#include "mem.h"
#include "msg.h"
#include "param.h"
#include "paths.h"

char *mail_cmd_config_dir(const char *option)
{
    const char *env = getenv(MASTER_CONFIG_ENV);

    if (option != NULL)
        return mem_strdup(option);
    return mem_strdup(env && *env ? env : POSTERN_SYSCONFDIR);
}

struct conf *mail_cmd_conf_load(const char *config_dir, struct buf *err)
{
    struct conf *conf = conf_create();
    struct buf *path = buf_alloc(100);

    buf_printf(path, "%s/main.cf", config_dir);
    if (conf_read_file(conf, buf_str(path), err) < 0) {
        conf_free(conf);
        conf = NULL;
    }
    buf_free(path);
    return conf;
}

void mail_cmd_logging(struct conf *conf)
{
    struct buf *value = buf_alloc(100);
    struct buf *err = buf_alloc(100);

    if (param_get_str(conf, "syslog_name", value, err) == 0)
        msg_set_syslog_name(buf_str(value));
    if (param_get_str(conf, "syslog_facility", value, err) == 0)
        msg_set_facility(buf_str(value));
    if (param_get_str(conf, "maillog_file", value, err) < 0 ||
        buf_len(value) == 0 ||
        msg_set_destinations(MSG_TO_STDERR | MSG_TO_FILE, buf_str(value)) < 0)
        msg_set_destinations(MSG_TO_STDERR | MSG_TO_SYSLOG, NULL);
    buf_free(value);
    buf_free(err);
}

int mail_cmd_dir_listed(struct conf *conf, const char *param, const char *dir)
{
    struct conf_list list;
    struct buf *err = buf_alloc(100);
    int found = 0;

    conf_list_init(&list);
    if (param_get_list(conf, param, &list, err) == 0)
        for (size_t i = 0; i < list.count; i++)
            if (strcmp(list.items[i], dir) == 0)
                found = 1;
    conf_list_free(&list);
    buf_free(err);
    return found;
}
