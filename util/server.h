#ifndef POSTERN_SERVER_H
#define POSTERN_SERVER_H

#include <stddef.h>

#include "conf.h"
#include "stream.h"

/*
 * The server skeleton: what every daemon run by master has in common.
 * A daemon's main() declares its parameters and callbacks in a struct
 * server_ops and calls server_main(); see server.c.
 */
enum server_model {
    SERVER_SINGLE,  /* one client at a time (qmqpd, delivery agents) */
    SERVER_MULTI,   /* many clients at once, one request per callback */
    SERVER_TRIGGER, /* short trigger messages, no reply (qmgr, pickup) */
};

enum server_param_kind {
    SERVER_PARAM_INT,  /* int; integer or boolean parameter */
    SERVER_PARAM_LONG, /* long; long or size parameter */
    SERVER_PARAM_TIME, /* int; seconds, from a time parameter */
    SERVER_PARAM_STR,  /* char *; expanded value, allocated */
};

/* One parameter a daemon reads: its type comes from the parameter table. */
struct server_param {
    const char *name;
    enum server_param_kind kind;
    void *var;
};

#define SERVER_INT(name, var)                                                  \
    {                                                                          \
        (name), SERVER_PARAM_INT, (var)                                        \
    }
#define SERVER_LONG(name, var)                                                 \
    {                                                                          \
        (name), SERVER_PARAM_LONG, (var)                                       \
    }
#define SERVER_TIME(name, var)                                                 \
    {                                                                          \
        (name), SERVER_PARAM_TIME, (var)                                       \
    }
#define SERVER_STR(name, var)                                                  \
    {                                                                          \
        (name), SERVER_PARAM_STR, (var)                                        \
    }
#define SERVER_PARAM_END                                                       \
    {                                                                          \
        NULL, SERVER_PARAM_INT, NULL                                           \
    }

struct server_ops {
    enum server_model model;
    const struct server_param *params; /* ends with SERVER_PARAM_END */
    int persistent;                    /* no max_use, no max_idle (qmgr) */
    /* Before privileges are dropped (and before chroot). */
    void (*pre_init)(const char *service, char **argv);
    /* After privileges are dropped. */
    void (*post_init)(const char *service, char **argv);
    /* SINGLE: serve the client; the skeleton closes the stream after.
     * MULTI: serve one request; call server_disconnect() when done. */
    void (*serve)(struct stream *client, const char *service, char **argv);
    /* MULTI (optional): a new client was accepted, before its first
     * request; e.g. to send the protocol announcement. */
    void (*connect)(struct stream *client, const char *service, char **argv);
    /* TRIGGER: the bytes of one trigger message. */
    void (*trigger)(const char *data, size_t len, const char *service,
                    char **argv);
    /* Called before each wait for events; returns the longest wait in
     * milliseconds (-1: no limit of its own). */
    int (*loop)(const char *service, char **argv);
    /* Called once before a voluntary exit (max_use, max_idle, master gone,
     * not on SIGTERM, which ends the process). */
    void (*on_exit)(const char *service, char **argv);
};

extern struct conf *server_conf;
extern const char *server_service_name;
extern int server_max_use;
extern int server_max_idle;
extern int server_ipc_timeout;
extern int server_daemon_timeout;
extern char *server_queue_directory;
extern char *server_mail_owner;

void server_main(int argc, char **argv, const struct server_ops *ops)
    __attribute__((noreturn));
void server_disconnect(struct stream *client);
int server_client_count(void);
void server_load_params(struct conf *conf, const struct server_param *params);

#endif
