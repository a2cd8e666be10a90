/*
 * postern_conf - "postern conf": show and edit the configuration
 *
 * Usage: postern [-c dir] conf [-c dir] [-d] [-n] [-h] [-x] [-M]
 *		  [-e name=value ...] [name ...]
 *
 * postconf's flags, with its output format ("name = value", or
 * "name =" for an empty value):
 *	(none)	every parameter of the table with its effective raw value
 *		(main.cf's, else the default)
 *	-d	defaults instead of main.cf's values
 *	-n	only the parameters main.cf sets
 *	-h	values only, without "name = "
 *	-x	expand $name in the values printed
 *	-M	the master.cf services, one normalised line each
 *	-e	edit main.cf: name=value ... (comments and other lines kept;
 *		see conf_edit.c)
 *	name...	only these parameters; a per-transport name such as
 *		smtp_destination_concurrency_limit resolves through its family
 *
 * As postconf does, an unknown parameter name gets a warning
 * ("NAME: unknown parameter") and does not change the exit status.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "mastercf.h"
#include "mem.h"
#include "msg.h"
#include "param.h"
#include "postern.h"

#define CONF_SHOW_DEFAULT    1
#define CONF_SHOW_NONDEF     2
#define CONF_SHOW_VALUE_ONLY 4
#define CONF_SHOW_EXPAND     8

struct conf_show {
    struct conf *conf;
    int flags;
    struct buf *value;
    struct buf *err;
};

static void conf_print(struct conf_show *show, const char *name,
                       const char *value)
{
    if ((show->flags & CONF_SHOW_EXPAND) && value != NULL) {
        if (conf_expand(show->conf, value, show->value, show->err) < 0) {
            msg_warn("%s: %s", name, buf_str(show->err));
        } else {
            value = buf_str(show->value);
        }
    }
    if (show->flags & CONF_SHOW_VALUE_ONLY)
        printf("%s\n", value);
    else if (*value)
        printf("%s = %s\n", name, value);
    else
        printf("%s =\n", name);
}

/* The value to show for one name; NULL when the name is unknown. */
static const char *conf_lookup(struct conf_show *show, const char *name,
                               struct buf *tmp)
{
    const struct param_def *def = param_table_lookup(name);
    const struct param_family *fam;
    size_t tlen;

    if (!(show->flags & CONF_SHOW_DEFAULT) && conf_raw(show->conf, name))
        return conf_raw(show->conf, name);
    if (def != NULL) {
        if (def->flags & PARAM_F_DYNAMIC) {
            param_dynamic_default(show->conf, def, tmp);
            return buf_str(tmp);
        }
        return def->defval;
    }
    if ((fam = param_family_match(name, &tlen)) != NULL) {
        buf_printf(tmp, "$%s", fam->fallback);
        return buf_str(tmp);
    }
    return NULL;
}

static void conf_walk_print(const char *name, const char *value, void *ctx)
{
    conf_print(ctx, name, value);
}

/* One master.cf entry, columns as written, white space normalised. */
static int conf_show_master_line(void *ctx, char *line, int lineno,
                                 struct buf *err)
{
    struct conf_list fields;
    static const char *const formats[] = {"%-10s", " %-5s", " %-7s", " %-7s",
                                          " %-7s", " %-7s", " %-7s"};

    (void)ctx;
    (void)lineno;
    conf_list_init(&fields);
    if (conf_split(line, CONF_ARG_SEPARATORS, &fields, err) < 0) {
        conf_list_free(&fields);
        return -1;
    }
    for (size_t i = 0; i < fields.count; i++) {
        if (i < 7)
            printf(formats[i], fields.items[i]);
        else if (strpbrk(fields.items[i], " \t") != NULL)
            printf(" { %s }", fields.items[i]);
        else
            printf(" %s", fields.items[i]);
    }
    printf("\n");
    conf_list_free(&fields);
    return 0;
}

static int conf_show_master(struct postern_ctx *ctx)
{
    struct buf *path = buf_alloc(100);
    struct buf *err = buf_alloc(100);
    struct mastercf cf;

    /* Validate first, so that a broken file gets its error, not output. */
    buf_printf(path, "%s/master.cf", ctx->config_dir);
    if (mastercf_read(buf_str(path), &cf, err) < 0)
        msg_fatal("%s", buf_str(err));
    mastercf_free(&cf);
    if (conf_scan_file(buf_str(path), conf_show_master_line, NULL, err) < 0)
        msg_fatal("%s", buf_str(err));
    buf_free(path);
    buf_free(err);
    return 0;
}

static int conf_edit(struct postern_ctx *ctx, int argc, char **argv)
{
    struct buf *path = buf_alloc(100);
    struct buf *err = buf_alloc(100);
    int status = 0;

    buf_printf(path, "%s/main.cf", ctx->config_dir);
    for (int i = 0; i < argc; i++) {
        char *copy = mem_strdup(argv[i]);
        char *eq = strchr(copy, '=');
        char *name = copy;
        char *value;

        if (eq == NULL) {
            msg_warn("-e %s: expected name=value", argv[i]);
            status = 1;
            mem_free(copy);
            continue;
        }
        *eq = 0;
        value = eq + 1;
        /* postconf allows white space around '='. */
        while (eq > name && (eq[-1] == ' ' || eq[-1] == '\t'))
            *--eq = 0;
        while (*value == ' ' || *value == '\t')
            value++;
        if (param_table_lookup(name) == NULL &&
            param_family_match(name, &(size_t){0}) == NULL)
            msg_warn("%s: unknown parameter", name);
        if (conf_edit_file(buf_str(path), name, value, err) < 0) {
            msg_warn("%s", buf_str(err));
            status = 1;
        }
        mem_free(copy);
    }
    buf_free(path);
    buf_free(err);
    return status;
}

int postern_conf_main(struct postern_ctx *ctx, int argc, char **argv)
{
    struct conf_show show = {ctx->conf, 0, buf_alloc(100), buf_alloc(100)};
    struct buf *tmp = buf_alloc(100);
    int edit = 0;
    int master = 0;
    int status = 0;
    int ch;

    optind = 1;
    while ((ch = getopt(argc, argv, "c:dehMnx")) != -1) {
        switch (ch) {
        case 'c': {
            struct buf *path = buf_alloc(100);

            ctx->config_dir = optarg;
            conf_free(ctx->conf);
            show.conf = ctx->conf = conf_create();
            buf_printf(path, "%s/main.cf", optarg);
            if (conf_read_file(ctx->conf, buf_str(path), show.err) < 0)
                msg_fatal("%s", buf_str(show.err));
            buf_free(path);
            break;
        }
        case 'd':
            show.flags |= CONF_SHOW_DEFAULT;
            break;
        case 'e':
            edit = 1;
            break;
        case 'h':
            show.flags |= CONF_SHOW_VALUE_ONLY;
            break;
        case 'M':
            master = 1;
            break;
        case 'n':
            show.flags |= CONF_SHOW_NONDEF;
            break;
        case 'x':
            show.flags |= CONF_SHOW_EXPAND;
            break;
        default:
            fprintf(stderr, "usage: postern conf [-c dir] [-d|-n] [-h] [-x] "
                            "[-M] [-e name=value...] [name...]\n");
            status = 2;
            goto done;
        }
    }
    argc -= optind;
    argv += optind;
    if (edit) {
        status = conf_edit(ctx, argc, argv);
    } else if (master) {
        status = conf_show_master(ctx);
    } else if (argc > 0) {
        for (int i = 0; i < argc; i++) {
            const char *value = conf_lookup(&show, argv[i], tmp);

            if (value == NULL)
                msg_warn("%s: unknown parameter", argv[i]);
            else
                conf_print(&show, argv[i], value);
        }
    } else if (show.flags & CONF_SHOW_NONDEF) {
        conf_walk(show.conf, conf_walk_print, &show);
    } else {
        for (size_t i = 0; i < param_table_size(); i++) {
            const struct param_def *def = param_table_at(i);

            conf_print(&show, def->name, conf_lookup(&show, def->name, tmp));
        }
    }
done:
    buf_free(show.value);
    buf_free(show.err);
    buf_free(tmp);
    return status;
}
