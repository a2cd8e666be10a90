/*
 * qc_feedback_check - standalone check that malformed concurrency
 * feedback values are rejected with a clear message
 *
 * No CUnit. For every malformed value: qc_feedback_parse() must return -1
 * with a non-empty reason; qc_feedback_params_load() with the value in
 * main.cf must, as Postfix 3.7 does, warn "NAME: ignoring malformed or
 * unreasonable feedback: VALUE" and use 1 (an empty value: return -1
 * with "invalid NAME value """). Every good value must be accepted.
 * Prints one line per value ("ok: ..." with what an operator would see)
 * and "qc_feedback_check: N passed, N failed"; exits 1 on any failure.
 *
 * Diagnostics: "FAIL: ..." lines on stdout. Parameters: none read from
 * the system (an in-memory main.cf).
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "msg.h"
#include "qc_feedback.h"

static const char *const malformed[] = {
    "",
    "2",
    "1.5",
    "-1",
    "abc",
    "1/",
    "/2",
    "1/0",
    "3/2",
    "1//2",
    "1/2/3",
    "2/concurrency",
    "1/concurrencies",
    "1/sqrt",
    "nan",
    "1e",
    "0x1",
    "1 2",
};

static const char *const good[] = {
    "1", "0", "0.5", "1/2", "1e-1", "1/concurrency", "1/Sqrt_Concurrency",
};

static char last_warning[512];

static void capture(enum msg_level level, const char *text)
{
    if (level == MSG_WARN)
        snprintf(last_warning, sizeof(last_warning), "%s", text);
}

int main(void)
{
    struct buf *err = buf_alloc(64);
    struct buf *text = buf_alloc(128);
    struct buf *want = buf_alloc(128);
    int passed = 0;
    int failed = 0;

    msg_set_capture(capture);
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        struct qc_feedback fb;
        struct qc_feedback_params p;
        struct conf *conf = conf_create();
        int ok;
        int ret;

        buf_reset(err);
        ok =
            qc_feedback_parse(malformed[i], &fb, err) == -1 && buf_len(err) > 0;
        printf("%s: \"%s\": %s\n", ok ? "ok" : "FAIL", malformed[i],
               buf_str(err));
        ok ? passed++ : failed++;

        buf_printf(text,
                   "smtp_destination_concurrency_negative_feedback = %s\n",
                   malformed[i]);
        buf_reset(err);
        last_warning[0] = 0;
        if (conf_read_text(conf, "main.cf", buf_str(text), buf_len(text),
                           err) != 0) {
            printf("FAIL: main.cf: %s\n", buf_str(err));
            failed++;
            conf_free(conf);
            continue;
        }
        conf_add_transport(conf, "smtp");
        ret = qc_feedback_params_load(&p, conf, "smtp", err);
        if (malformed[i][0] == 0) {
            ok = ret == -1 &&
                 strstr(buf_str(err), "invalid smtp_destination_concurrency"
                                      "_negative_feedback value \"\"") != NULL;
            printf("%s: load: %s\n", ok ? "ok" : "FAIL", buf_str(err));
        } else {
            buf_printf(want,
                       "smtp_destination_concurrency_negative_feedback: "
                       "ignoring malformed or unreasonable feedback: %s",
                       malformed[i]);
            ok = ret == 0 && p.negative.value == 1 &&
                 p.negative.scale == QC_FEEDBACK_CONSTANT &&
                 strstr(last_warning, buf_str(want)) != NULL;
            printf("%s: load: %s\n", ok ? "ok" : "FAIL", last_warning);
        }
        ok ? passed++ : failed++;
        conf_free(conf);
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct qc_feedback fb;
        int ok = qc_feedback_parse(good[i], &fb, err) == 0;

        if (ok) {
            qc_feedback_format(&fb, text);
            printf("ok: \"%s\" accepted as %s\n", good[i], buf_str(text));
            passed++;
        } else {
            printf("FAIL: \"%s\" rejected: %s\n", good[i], buf_str(err));
            failed++;
        }
    }
    printf("qc_feedback_check: %d passed, %d failed\n", passed, failed);
    msg_set_capture(NULL);
    buf_free(err);
    buf_free(text);
    buf_free(want);
    return failed ? 1 : 0;
}
