/*
 * unit - the CUnit runner every unit test program uses
 *
 * Registers a program's table of suites, runs them in CUnit's basic mode,
 * and prints one closing line "<program>: N passed, N failed" counting
 * test cases (test.sh adds these up across programs). The exit status is
 * non-zero when any case failed or CUnit itself failed: CUnit's own run
 * function returns success even when assertions fail, so the failure
 * counts are read before the registry is cleaned up.
 *
 * Helpers: unit_tmpdir() gives a private temporary directory, removed
 * with its contents when the program exits; unit_tmpfile(name) a path in
 * it (caller frees); unit_write_file/unit_read_file for fixtures.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../util/mem.h"
#include "../../util/msg.h"
#include "unit.h"

static char unit_dir[256];

static void unit_remove_tmpdir(void)
{
    char cmd[300];

    if (unit_dir[0] == 0)
        return;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", unit_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", unit_dir);
}

const char *unit_tmpdir(void)
{
    if (unit_dir[0] == 0) {
        const char *base = getenv("TMPDIR");

        snprintf(unit_dir, sizeof(unit_dir), "%s/postern-unit.XXXXXX",
                 base && *base ? base : "/tmp");
        if (mkdtemp(unit_dir) == NULL) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(unit_remove_tmpdir);
    }
    return unit_dir;
}

char *unit_tmpfile(const char *name)
{
    const char *dir = unit_tmpdir();
    char *path = mem_alloc(strlen(dir) + strlen(name) + 2);

    sprintf(path, "%s/%s", dir, name);
    return path;
}

void unit_write_file(const char *path, const char *data, size_t len)
{
    FILE *fp = fopen(path, "wb");

    if (fp == NULL || fwrite(data, 1, len, fp) != len || fclose(fp) != 0) {
        perror(path);
        exit(2);
    }
}

char *unit_read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *data;
    long size;

    if (fp == NULL)
        return NULL;
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    data = mem_alloc((size_t)size + 1);
    if (fread(data, 1, (size_t)size, fp) != (size_t)size) {
        fclose(fp);
        mem_free(data);
        return NULL;
    }
    data[size] = 0;
    fclose(fp);
    if (len)
        *len = (size_t)size;
    return data;
}

int unit_run(const char *program, const struct unit_suite *suites)
{
    const char *slash = strrchr(program, '/');
    unsigned run;
    unsigned failed;
    int cunit_error;

    program = slash ? slash + 1 : program;
    msg_open(program);
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "%s: cannot initialize CUnit\n", program);
        return 2;
    }
    for (const struct unit_suite *s = suites; s->name; s++) {
        CU_pSuite suite = CU_add_suite(s->name, NULL, NULL);

        if (suite == NULL) {
            fprintf(stderr, "%s: cannot add suite %s\n", program, s->name);
            return 2;
        }
        for (const struct unit_case *c = s->cases; c->name; c++) {
            if (CU_add_test(suite, c->name, c->run) == NULL) {
                fprintf(stderr, "%s: cannot add test %s\n", program, c->name);
                return 2;
            }
        }
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    cunit_error = CU_get_error();
    run = CU_get_number_of_tests_run();
    failed = CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    printf("\n%s: %u passed, %u failed\n", program, run - failed, failed);
    fflush(stdout);
    return (failed > 0 || cunit_error != CUE_SUCCESS) ? 1 : 0;
}
