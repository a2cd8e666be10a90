#ifndef POSTERN_UNIT_H
#define POSTERN_UNIT_H

#include <CUnit/CUnit.h>
#include <stddef.h>

/*
 * A test program is a table of suites, each a table of named cases ended
 * by a {NULL, NULL} entry. UNIT_MAIN(suites) runs them all.
 */
struct unit_case {
    const char *name;
    void (*run)(void);
};

struct unit_suite {
    const char *name;
    const struct unit_case *cases;
};

int unit_run(const char *program, const struct unit_suite *suites);
const char *unit_tmpdir(void);
char *unit_tmpfile(const char *name);
void unit_write_file(const char *path, const char *data, size_t len);
char *unit_read_file(const char *path, size_t *len);

#define UNIT_MAIN(suites)                                                      \
    int main(int argc, char **argv)                                            \
    {                                                                          \
        (void)argc;                                                            \
        return unit_run(argv[0], suites);                                      \
    }

#endif
