#ifndef POSTERN_MASTERCF_H
#define POSTERN_MASTERCF_H

#include <stddef.h>

#include "buf.h"

/* Limits on what we accept. */
#define MASTERCF_SERVICES_MAX 10000   /* entries in one master.cf */
#define MASTERCF_NUMBER_MAX   1000000 /* wakeup and maxproc columns */

/* Column 2. */
enum mastercf_type {
    MASTERCF_INET,
    MASTERCF_UNIX,
    MASTERCF_UNIX_DGRAM,
    MASTERCF_FIFO,
    MASTERCF_PASS,
};

/* A -o override from the command column. */
struct mastercf_override {
    char *name;
    char *value;
};

/* One master.cf service: one logical line. */
struct mastercf_entry {
    char *service; /* column 1: name or [host:]port */
    char *type;    /* column 2 as written: "inet", ... */
    enum mastercf_type type_code;
    int private_sock;       /* column 3; '-' = y (n for inet) */
    int unpriv;             /* column 4; '-' = y */
    int chroot;             /* column 5; '-' = n */
    int wakeup;             /* column 6, seconds; '-' = 0 (never) */
    int wakeup_conditional; /* column 6 ended with '?' */
    int maxproc;            /* column 7; 0 = no limit */
    int maxproc_default;    /* column 7 was '-': $default_process_limit */
    char **argv;            /* column 8 on: command, args; NULL-ended */
    size_t argc;
    struct mastercf_override *overrides; /* the -o name=value, in order */
    size_t noverrides;
    int line; /* first line of the entry in the file */
};

struct mastercf {
    struct mastercf_entry *entries; /* in file order */
    size_t count;
};

int mastercf_read(const char *path, struct mastercf *out, struct buf *err);
int mastercf_read_text(const char *label, const char *text, size_t len,
                       struct mastercf *out, struct buf *err);
void mastercf_free(struct mastercf *cf);
const struct mastercf_entry *
mastercf_find(const struct mastercf *cf, const char *service, const char *type);
const char *mastercf_type_name(enum mastercf_type type);

#endif
