/*
 * fuzz_dict - libFuzzer target: lookup table specs (dict_open() of inline
 * and static tables)
 *
 * What it feeds where: the input, as a C string S (up to its first NUL
 * byte), is built into table specs the way main.cf parameters name
 * tables, and each is opened with dict_open(), once without flags and
 * once with DICT_FLAG_FOLD_CASE:
 *	"inline:{S}"  "inline:S"  "static:S"  "static:{S}"  and S itself
 * (S itself only when its type is not cdb: a cdb table is a file, and the
 * input must not choose files to open). dict_strip_braces() gets S too.
 * Each table that opens is asked for the empty key, S, and the words of
 * S (split at white space, ',', '=' and braces), then closed.
 *
 * Checks besides the sanitizers: a failed open says why in err; lookups
 * leave dict_error() at DICT_ERR_NONE; a static table answers every key;
 * with DICT_FLAG_FOLD_CASE a key and its lowercase get the same answer.
 * Everything is freed before the next input.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "dict.h"
#include "fuzz_input.h"
#include "mem.h"

/* Words of S looked up in each table, at most. */
#define FUZZ_KEYS_MAX 32

#define FUZZ_KEY_SEPARATORS " \t\r\n,={}"

static const char *const fuzz_spec_formats[][2] = {
    {"inline:{", "}"}, {"inline:", ""}, {"static:", ""},
    {"static:{", "}"}, {"", ""},
};

#define FUZZ_NSPECS (sizeof(fuzz_spec_formats) / sizeof(fuzz_spec_formats[0]))

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_input_init("fuzz_dict");
    return 0;
}

/* Is spec a table of this type, as dict_open() will see it? */
static int fuzz_spec_is(const char *spec, const char *type)
{
    size_t len = strlen(type);

    spec += strspn(spec, " \t\r\n");
    return strncmp(spec, type, len) == 0 && spec[len] == ':';
}

static void fuzz_lookup(struct dict *dict, int flags, const char *key,
                        int is_static, struct buf *lower)
{
    const char *value = dict_lookup(dict, key);

    FUZZ_CHECK(dict_error(dict) == DICT_ERR_NONE);
    if (is_static)
        FUZZ_CHECK(value != NULL);
    if (flags & DICT_FLAG_FOLD_CASE) {
        /* The answer may live in a lookup buffer: compare copies. */
        char *first = value ? mem_strdup(value) : NULL;
        const char *second;

        buf_set_str(lower, key);
        buf_lower(lower);
        second = dict_lookup(dict, buf_str(lower));
        FUZZ_CHECK((first == NULL) == (second == NULL));
        FUZZ_CHECK(first == NULL || strcmp(first, second) == 0);
        mem_free(first);
    }
}

static void fuzz_open(const char *spec, int flags, const char *text,
                      struct buf *err, struct buf *lower)
{
    int is_static = fuzz_spec_is(spec, "static");
    struct dict *dict;
    const char *cp = text;

    buf_reset(err);
    if ((dict = dict_open(spec, flags, err)) == NULL) {
        FUZZ_CHECK(buf_len(err) > 0);
        return;
    }
    fuzz_lookup(dict, flags, "", is_static, lower);
    fuzz_lookup(dict, flags, text, is_static, lower);
    for (int n = 0; n < FUZZ_KEYS_MAX; n++) {
        size_t len;
        char *key;

        cp += strspn(cp, FUZZ_KEY_SEPARATORS);
        if (*cp == 0)
            break;
        len = strcspn(cp, FUZZ_KEY_SEPARATORS);
        key = mem_strndup(cp, len);
        fuzz_lookup(dict, flags, key, is_static, lower);
        mem_free(key);
        cp += len;
    }
    (void)dict_changed(dict);
    dict_close(dict);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_input_string(data, size);
    struct buf *spec = buf_alloc(size + 16);
    struct buf *err = buf_alloc(64);
    struct buf *lower = buf_alloc(64);

    if (dict_strip_braces(text, spec, err) < 0)
        FUZZ_CHECK(buf_len(err) > 0);
    for (size_t i = 0; i < FUZZ_NSPECS; i++) {
        buf_printf(spec, "%s%s%s", fuzz_spec_formats[i][0], text,
                   fuzz_spec_formats[i][1]);
        if (fuzz_spec_is(buf_str(spec), "cdb"))
            continue;
        fuzz_open(buf_str(spec), 0, text, err, lower);
        fuzz_open(buf_str(spec), DICT_FLAG_FOLD_CASE, text, err, lower);
    }
    buf_free(spec);
    buf_free(err);
    buf_free(lower);
    mem_free(text);
    return 0;
}
