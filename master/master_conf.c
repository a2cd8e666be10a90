/*
 * master_conf - turn main.cf and master.cf into master's service table
 *
 * At start-up a configuration error is fatal (master refuses to start
 * rather than guess). On SIGHUP both files are read again; if either has
 * an error the old configuration stays in force and the error is logged.
 * Services are matched by (name, type): a matching service takes the new
 * settings and a new status pipe (master_service_update), a service no
 * longer listed is stopped, a new one is opened and started.
 *
 * The command line of a child, from the master.cf entry (Postfix's
 * order, which daemons and Postfix's own programs rely on):
 *	command [-l] [-z] [-n service] -t type [-d] [-v...] [-u] [-c]
 *		[-s count] user-arguments...
 * -l: maxproc 1; -z: maxproc 0; -n: the command's name differs from the
 * service name; -d: master runs in the foreground; -u: unpriv column y;
 * -c: chroot column y; -s: more than one listen descriptor.
 *
 * Public functions:
 *	master_config_load(why)		read both files (start-up); -1 + reason
 *	master_config_reload()		SIGHUP
 *
 * Configuration parameters: queue_directory, daemon_directory,
 * inet_interfaces, default_process_limit, service_throttle_time,
 * syslog_name, syslog_facility, maillog_file.
 */
#include <libgen.h>
#include "config.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "master.h"
#include "mastercf.h"
#include "mem.h"
#include "msg.h"
#include "param.h"

char **master_inet_interfaces;
extern int master_throttle_time;
extern int master_debug;
extern int master_log_stderr;

static char *master_daemon_dir;
static int master_default_maxproc;

static void master_argv_add(char ***argv, int *argc, const char *arg)
{
    *argv = mem_realloc(*argv, sizeof(char *) * (size_t)(*argc + 2));
    (*argv)[(*argc)++] = mem_strdup(arg);
    (*argv)[*argc] = NULL;
}

/* Build one service from its master.cf entry; NULL + why on error. */
static struct master_service *
master_service_from_entry(const struct mastercf_entry *ent, int listen_count,
                          struct buf *why)
{
    struct master_service *serv = mem_zalloc(sizeof(*serv));
    struct buf *tmp = buf_alloc(100);
    char *cmd_copy;
    int argc = 0;
    char count[32];

    serv->name = mem_strdup(ent->service);
    serv->type = mem_strdup(ent->type);
    serv->private_sock = ent->private_sock;
    serv->unpriv = ent->unpriv;
    serv->chroot = ent->chroot;
    serv->wakeup = ent->wakeup;
    serv->wakeup_if_used = ent->wakeup_conditional;
    serv->max_proc =
        ent->maxproc_default ? master_default_maxproc : ent->maxproc;
    serv->line = ent->line;
    serv->status_fd[0] = serv->status_fd[1] = -1;
    if (ent->argv[0][0] == '/')
        buf_set_str(tmp, ent->argv[0]);
    else
        buf_printf(tmp, "%s/%s", master_daemon_dir, ent->argv[0]);
    serv->path = mem_strdup(buf_str(tmp));
    if (strcmp(serv->type, "inet") == 0)
        buf_set_str(tmp, serv->name);
    else
        buf_printf(tmp, "%s/%s", serv->private_sock ? "private" : "public",
                   serv->name);
    serv->endpoint = mem_strdup(buf_str(tmp));
    buf_free(tmp);

    master_argv_add(&serv->argv, &argc, ent->argv[0]);
    if (serv->max_proc == 1)
        master_argv_add(&serv->argv, &argc, "-l");
    if (serv->max_proc == 0)
        master_argv_add(&serv->argv, &argc, "-z");
    cmd_copy = mem_strdup(ent->argv[0]);
    if (strcmp(basename(cmd_copy), serv->name) != 0) {
        master_argv_add(&serv->argv, &argc, "-n");
        master_argv_add(&serv->argv, &argc, serv->name);
    }
    mem_free(cmd_copy);
    master_argv_add(&serv->argv, &argc, "-t");
    master_argv_add(&serv->argv, &argc, serv->type);
    if (master_debug)
        master_argv_add(&serv->argv, &argc, "-d");
    for (int i = 0; i < msg_verbose; i++)
        master_argv_add(&serv->argv, &argc, "-v");
    if (serv->unpriv)
        master_argv_add(&serv->argv, &argc, "-u");
    if (serv->chroot)
        master_argv_add(&serv->argv, &argc, "-c");
    if (listen_count > 1) {
        snprintf(count, sizeof(count), "%d", listen_count);
        master_argv_add(&serv->argv, &argc, "-s");
        master_argv_add(&serv->argv, &argc, count);
    }
    for (int i = 1; ent->argv[i]; i++)
        master_argv_add(&serv->argv, &argc, ent->argv[i]);
    (void)why;
    return serv;
}

/* How many listen descriptors an inet service without a host gets. */
static int master_listen_count(const struct mastercf_entry *ent)
{
    int n = 0;

    if (strcmp(ent->type, "inet") != 0 || strchr(ent->service, ':') != NULL)
        return 1;
    if (master_inet_interfaces == NULL ||
        strcmp(master_inet_interfaces[0], "all") == 0)
        return 1;
    while (master_inet_interfaces[n])
        n++;
    return n;
}

static void master_free_list(char **list)
{
    if (list == NULL)
        return;
    for (char **p = list; *p; p++)
        mem_free(*p);
    mem_free(list);
}

/*
 * inet_interfaces, as addresses to bind: "all" stays "all" (one wildcard
 * socket), "loopback-only" becomes 127.0.0.1 (and ::1 when
 * inet_protocols names ipv6 explicitly: "all" does not promise that the
 * host has an IPv6 loopback). The sockets of running inet services
 * cannot follow a change without dropping clients, so, as with
 * Postfix, a changed value takes effect at the next stop and start; a
 * reload keeps the old one and says so.
 */
static char *master_inet_interfaces_raw;

static void master_set_inet_interfaces(struct conf *conf, const char *value)
{
    struct buf *expanded = buf_alloc(64);
    struct buf *protocols = buf_alloc(16);
    struct buf *ignored = buf_alloc(16);
    struct conf_list items;

    if (master_inet_interfaces_raw != NULL) {
        if (strcmp(master_inet_interfaces_raw, value) != 0)
            msg_warn("inet_interfaces changed from \"%s\" to \"%s\": the new "
                     "value takes effect after \"postern stop\" and "
                     "\"postern start\", not on reload",
                     master_inet_interfaces_raw, value);
        goto done;
    }
    master_inet_interfaces_raw = mem_strdup(value);
    conf_list_init(&items);
    if (conf_split_list(value, &items, ignored) < 0 || items.count == 0) {
        buf_set_str(expanded, "all");
    } else {
        for (size_t i = 0; i < items.count; i++) {
            const char *item = items.items[i];

            if (buf_len(expanded) > 0)
                buf_append_char(expanded, ' ');
            if (strcasecmp(item, "loopback-only") == 0) {
                buf_append_str(expanded, "127.0.0.1");
                if (param_get_str(conf, "inet_protocols", protocols, ignored) ==
                        0 &&
                    strstr(buf_str(protocols), "ipv6") != NULL)
                    buf_append_str(expanded, " ::1");
            } else {
                buf_append_str(expanded, item);
            }
        }
    }
    conf_list_free(&items);
    master_free_list(master_inet_interfaces);
    master_inet_interfaces = conf_split_list_argv(buf_str(expanded));
done:
    buf_free(expanded);
    buf_free(protocols);
    buf_free(ignored);
}

/*
 * Read main.cf and master.cf; on success replace the global settings and
 * return the new (not yet listening) service list in *services.
 */
static int master_config_read(struct master_service **services, struct buf *why)
{
    struct conf *conf = conf_create();
    struct buf *path = buf_alloc(100);
    struct buf *value = buf_alloc(100);
    struct mastercf cf;
    struct master_service *head = NULL;
    struct master_service **tail = &head;
    long throttle;
    int maxproc;

    buf_printf(path, "%s/main.cf", master_config_dir);
    if (conf_read_file(conf, buf_str(path), why) < 0)
        goto fail;
    if (param_get_str(conf, "queue_directory", value, why) < 0)
        goto fail;
    mem_free(master_queue_dir);
    master_queue_dir = mem_strdup(buf_str(value));
    if (param_get_str(conf, "daemon_directory", value, why) < 0)
        goto fail;
    mem_free(master_daemon_dir);
    master_daemon_dir = mem_strdup(buf_str(value));
    if (param_get_int(conf, "default_process_limit", &maxproc, why) < 0 ||
        param_get_time(conf, "service_throttle_time", &throttle, why) < 0)
        goto fail;
    master_default_maxproc = maxproc;
    master_throttle_time = (int)throttle;
    if (param_get_str(conf, "inet_interfaces", value, why) < 0)
        goto fail;
    master_set_inet_interfaces(conf, buf_str(value));
    if (param_get_str(conf, "syslog_name", value, why) == 0)
        msg_set_syslog_name(buf_str(value));
    if (param_get_str(conf, "syslog_facility", value, why) == 0)
        msg_set_facility(buf_str(value));
    if (param_get_str(conf, "myhostname", value, why) == 0)
        msg_set_hostname(buf_str(value));
    if (param_get_str(conf, "maillog_file", value, why) == 0) {
        int keep_stderr = master_log_stderr ? MSG_TO_STDERR : 0;

        if (buf_len(value) > 0) {
            if (msg_set_destinations(MSG_TO_FILE | keep_stderr,
                                     buf_str(value)) < 0) {
                buf_printf(why, "open maillog_file %s: %m", buf_str(value));
                goto fail;
            }
        } else {
            msg_set_destinations(MSG_TO_SYSLOG | keep_stderr, NULL);
        }
    }

    buf_printf(path, "%s/master.cf", master_config_dir);
    if (mastercf_read(buf_str(path), &cf, why) < 0)
        goto fail;
    for (size_t i = 0; i < cf.count; i++) {
        struct master_service *serv = master_service_from_entry(
            &cf.entries[i], master_listen_count(&cf.entries[i]), why);

        *tail = serv;
        tail = &serv->next;
    }
    mastercf_free(&cf);
    conf_free(conf);
    buf_free(path);
    buf_free(value);
    *services = head;
    return 0;

fail:
    conf_free(conf);
    buf_free(path);
    buf_free(value);
    return -1;
}

int master_config_load(struct buf *why)
{
    return master_config_read(&master_services, why);
}

void master_config_reload(void)
{
    struct buf *why = buf_alloc(100);
    struct master_service *fresh_list;
    struct master_service *next;

    if (master_config_read(&fresh_list, why) < 0) {
        msg_warn("reload: %s -- keeping the old configuration", buf_str(why));
        buf_free(why);
        return;
    }
    /* Services gone from master.cf. */
    for (struct master_service *old = master_services; old; old = next) {
        int found = 0;

        next = old->next;
        if (old->removed)
            continue;
        for (struct master_service *f = fresh_list; f; f = f->next)
            if (strcmp(f->name, old->name) == 0 &&
                strcmp(f->type, old->type) == 0)
                found = 1;
        if (!found)
            master_service_stop(old);
    }
    /* Changed and new services. */
    for (struct master_service *fresh = fresh_list; fresh; fresh = next) {
        struct master_service *old;

        next = fresh->next;
        fresh->next = NULL;
        for (old = master_services; old; old = old->next)
            if (!old->removed && strcmp(fresh->name, old->name) == 0 &&
                strcmp(fresh->type, old->type) == 0)
                break;
        if (old != NULL && strcmp(old->endpoint, fresh->endpoint) != 0 &&
            master_service_listen(fresh, why) < 0) {
            msg_warn("reload: service %s/%s: %s -- keeping the old settings",
                     fresh->name, fresh->type, buf_str(why));
            master_service_free(fresh);
            continue;
        }
        if (old != NULL) {
            master_service_update(old, fresh);
            continue;
        }
        if (master_service_listen(fresh, why) < 0) {
            msg_warn("reload: service %s/%s: %s -- not started", fresh->name,
                     fresh->type, buf_str(why));
            master_service_free(fresh);
            continue;
        }
        fresh->next = master_services;
        master_services = fresh;
        master_service_start(fresh);
    }
    msg_info("reload -- version %s, configuration %s", PACKAGE_VERSION,
             master_config_dir);
    buf_free(why);
}
