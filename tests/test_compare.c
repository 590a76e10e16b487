/* test_compare.c — the regression gate: gate parsing, report loading errors, the three outcomes
 * (no regression, regression, bad input) through the C API, lower-is-better metrics, per-class
 * gates, a writer/reader round trip, and the same exits through `ticketml compare` when the
 * binary ($TICKETML or ./ticketml) is there and has the command. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eval/compare.h"
#include "eval/metrics.h"
#include "eval/report.h"

static char g_dir[256];

typedef struct {
    double accuracy, macro_f1, log_loss, ece;
    double f1_a, f1_b;    /* per-class F1 of labels "a" and "b" */
    const char *extra;    /* a third label present only in this report, or NULL */
    const char *data_fp;  /* data fingerprint */
} Fake;

/* A minimal multiclass report.json with the keys compare reads (the writer's full schema is
 * exercised by test_report.c and the round trip below). */
static json_t *fake_report(const Fake *f) {
    json_t *pc = json_pack("{s:{s:f, s:f, s:f, s:i}, s:{s:f, s:f, s:f, s:i}}", "a", "precision", f->f1_a, "recall",
                           f->f1_a, "f1", f->f1_a, "support", 50, "b", "precision", f->f1_b, "recall", f->f1_b, "f1",
                           f->f1_b, "support", 40);
    if (f->extra) json_object_set_new(pc, f->extra, json_pack("{s:f, s:f, s:f, s:i}", "precision", 0.5, "recall", 0.5, "f1", 0.5, "support", 3));
    return json_pack("{s:s, s:i, s:s, s:{s:s}, s:{s:f, s:f, s:f, s:f, s:n, s:{s:f, s:f, s:f}}, s:o}", "format",
                     "ticketml-report", "format_version", 1, "task", "multiclass", "data", "fingerprint",
                     f->data_fp ? f->data_fp : "sha256:same", "metrics", "accuracy", f->accuracy, "macro_f1",
                     f->macro_f1, "log_loss", f->log_loss, "ece", f->ece, "roc_auc", "coverage_at_target", "coverage",
                     0.6, "manual_share", 0.4, "threshold", 0.9, "per_class", pc);
}

static const Fake BASE = {0.90, 0.80, 0.40, 0.05, 0.85, 0.80, NULL, NULL};
static const Fake CAND = {0.895, 0.78, 0.46, 0.04, 0.86, 0.70, NULL, NULL};

static void write_json(const char *name, json_t *j, char *path, size_t n) {
    snprintf(path, n, "%s/%s", g_dir, name);
    assert_int_equal(json_dump_file(j, path, JSON_INDENT(2)), 0);
    json_decref(j);
}

static TmlCompareResult *compare_with(const Fake *b, const Fake *c, const char *const *specs, int n, TmlError *err) {
    TmlCompareGate gates[8];
    for (int i = 0; i < n; i++) assert_int_equal(tml_compare_parse_gate(specs[i], &gates[i], err), 0);
    json_t *jb = fake_report(b), *jc = fake_report(c);
    TmlCompareResult *r = tml_compare_reports(jb, jc, gates, n, err);
    json_decref(jb);
    json_decref(jc);
    return r;
}

static const TmlCompareRow *row_named(const TmlCompareResult *r, const char *name) {
    for (int i = 0; i < r->n_metrics; i++)
        if (!strcmp(r->metrics[i].name, name)) return &r->metrics[i];
    return NULL;
}

static void test_parse_gate(void **state) {
    (void)state;
    TmlCompareGate g;
    TmlError err = {{0}};
    assert_int_equal(tml_compare_parse_gate("macro_f1=0.01", &g, &err), 0);
    assert_string_equal(g.metric, "macro_f1");
    assert_true(fabs(g.max_drop - 0.01) < 1e-15);
    assert_int_equal(tml_compare_parse_gate("coverage_at_target.manual_share=0.05", &g, &err), 0);
    assert_int_equal(tml_compare_parse_gate("per_class.f1=0", &g, &err), 0);
    assert_int_equal(tml_compare_parse_gate("acuracy=0.01", &g, &err), -1);
    assert_non_null(strstr(err.msg, "unknown metric 'acuracy'"));
    assert_non_null(strstr(err.msg, "known: accuracy"));
    assert_int_equal(tml_compare_parse_gate("macro_f1", &g, &err), -1);
    assert_non_null(strstr(err.msg, "metric=delta"));
    assert_int_equal(tml_compare_parse_gate("macro_f1=-0.1", &g, &err), -1);
    assert_int_equal(tml_compare_parse_gate("macro_f1=abc", &g, &err), -1);
    assert_int_equal(tml_compare_parse_gate("macro_f1=", &g, &err), -1);
    assert_int_equal(tml_compare_parse_gate("=0.1", &g, &err), -1);
    assert_int_equal(tml_compare_parse_gate("best_f1_threshold=0.1", &g, &err), -1);
    assert_non_null(strstr(err.msg, "threshold"));
}

static void test_load_errors(void **state) {
    (void)state;
    TmlError err = {{0}};
    char path[512];
    snprintf(path, sizeof path, "%s/missing.json", g_dir);
    assert_null(tml_compare_load(path, &err));
    assert_non_null(strstr(err.msg, "missing.json: no such file"));

    snprintf(path, sizeof path, "%s/broken.json", g_dir);
    FILE *f = fopen(path, "w");
    fputs("{\n  \"format\": \"ticketml-report\",\n  \"metrics\": {,}\n}\n", f);
    fclose(f);
    assert_null(tml_compare_load(path, &err));
    assert_non_null(strstr(err.msg, "broken.json:3:"));
    assert_non_null(strstr(err.msg, "not valid JSON"));

    write_json("other.json", json_pack("{s:f}", "accuracy", 0.9), path, sizeof path);
    assert_null(tml_compare_load(path, &err));
    assert_non_null(strstr(err.msg, "not a ticketml report"));

    json_t *future = fake_report(&BASE);
    json_object_set_new(future, "format_version", json_integer(3));
    write_json("future.json", future, path, sizeof path);
    assert_null(tml_compare_load(path, &err));
    assert_non_null(strstr(err.msg, "newer"));

    /* A folder stands for its report.json. */
    char sub[512];
    snprintf(sub, sizeof sub, "%s/run1", g_dir);
    assert_true(mkdir(sub, 0777) == 0 || access(sub, F_OK) == 0);
    write_json("run1/report.json", fake_report(&BASE), path, sizeof path);
    json_t *j = tml_compare_load(sub, &err);
    assert_non_null(j);
    json_decref(j);
}

static void test_outcomes(void **state) {
    (void)state;
    TmlError err = {{0}};
    /* accuracy .90 -> .895: a drop of .005 is within 0.01 -> exit 0. */
    const char *ok[] = {"accuracy=0.01"};
    TmlCompareResult *r = compare_with(&BASE, &CAND, ok, 1, &err);
    assert_non_null(r);
    assert_int_equal(tml_compare_exit_code(r), 0);
    const TmlCompareRow *acc = row_named(r, "accuracy");
    assert_non_null(acc);
    assert_true(acc->gated);
    assert_true(fabs(acc->delta - (-0.005)) < 1e-12);
    assert_false(acc->regressed);
    /* roc_auc is null in both multiclass reports: no row at all. */
    assert_null(row_named(r, "roc_auc"));
    tml_compare_free(r);

    /* Exactly the allowed drop passes (rounding must not fail a CI job). */
    const char *exact[] = {"accuracy=0.005"};
    r = compare_with(&BASE, &CAND, exact, 1, &err);
    assert_int_equal(tml_compare_exit_code(r), 0);
    tml_compare_free(r);

    /* macro_f1 .80 -> .78: a drop of .02 > .01 -> exit 1. */
    const char *bad[] = {"accuracy=0.01", "macro_f1=0.01"};
    r = compare_with(&BASE, &CAND, bad, 2, &err);
    assert_non_null(r);
    assert_int_equal(tml_compare_exit_code(r), 1);
    assert_int_equal(r->n_regressions, 1);
    assert_true(row_named(r, "macro_f1")->regressed);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    tml_compare_print(mem, r, "base.json", "cand.json");
    fclose(mem);
    assert_non_null(strstr(buf, "REGRESSED"));
    assert_non_null(strstr(buf, "result: 1 regression: macro_f1 dropped by 0.0200 (allowed 0.0100)"));
    free(buf);
    json_t *j = tml_compare_to_json(r, "base.json", "cand.json");
    assert_true(json_is_true(json_object_get(j, "regression")));
    json_decref(j);
    tml_compare_free(r);

    /* Gating a metric a report lacks is bad input, not a pass. */
    const char *absent[] = {"roc_auc=0.01"};
    r = compare_with(&BASE, &CAND, absent, 1, &err);
    assert_null(r);
    assert_non_null(strstr(err.msg, "no value for 'roc_auc'"));
    assert_non_null(strstr(err.msg, "multiclass"));
}

/* log_loss and ece: lower is better, so a rise is the drop. */
static void test_lower_is_better(void **state) {
    (void)state;
    TmlError err = {{0}};
    const char *tight[] = {"log_loss=0.05"}; /* .40 -> .46 rises by .06 */
    TmlCompareResult *r = compare_with(&BASE, &CAND, tight, 1, &err);
    assert_int_equal(tml_compare_exit_code(r), 1);
    const TmlCompareRow *ll = row_named(r, "log_loss");
    assert_true(fabs(ll->drop - 0.06) < 1e-12);
    assert_int_equal(ll->better, TML_BETTER_LOWER);
    tml_compare_free(r);
    const char *loose[] = {"log_loss=0.1"};
    r = compare_with(&BASE, &CAND, loose, 1, &err);
    assert_int_equal(tml_compare_exit_code(r), 0);
    tml_compare_free(r);
    /* The other way round log_loss falls by .06: an improvement, whatever the gate. */
    const char *zero[] = {"log_loss=0"};
    r = compare_with(&CAND, &BASE, zero, 1, &err);
    assert_int_equal(tml_compare_exit_code(r), 0);
    tml_compare_free(r);
    /* ece .05 -> .04 falls (better); gated at 0 it passes, reversed it fails. */
    const char *ece[] = {"ece=0"};
    r = compare_with(&BASE, &CAND, ece, 1, &err);
    assert_int_equal(tml_compare_exit_code(r), 0);
    tml_compare_free(r);
    r = compare_with(&CAND, &BASE, ece, 1, &err);
    assert_int_equal(tml_compare_exit_code(r), 1);
    tml_compare_free(r);
}

static void test_per_class_and_notes(void **state) {
    (void)state;
    TmlError err = {{0}};
    Fake c = CAND;
    c.extra = "new_label";
    c.data_fp = "sha256:other";
    const char *g[] = {"per_class.f1=0.05"}; /* b: .80 -> .70 fails; a: .85 -> .86 passes */
    TmlCompareResult *r = compare_with(&BASE, &c, g, 1, &err);
    assert_non_null(r);
    assert_int_equal(tml_compare_exit_code(r), 1);
    assert_int_equal(r->n_classes, 2);
    assert_string_equal(r->classes[0].label, "b"); /* worst change first */
    assert_true(r->classes[0].regressed);
    assert_string_equal(r->classes[0].regressed_on, "f1");
    assert_false(r->classes[1].regressed);
    assert_int_equal(r->n_notes, 2);
    int saw_label = 0, saw_data = 0;
    for (int i = 0; i < r->n_notes; i++) {
        saw_label |= strstr(r->notes[i], "'new_label' is only in the candidate") != NULL;
        saw_data |= strstr(r->notes[i], "different data") != NULL;
    }
    assert_true(saw_label && saw_data);
    tml_compare_free(r);
    const char *loose[] = {"per_class.f1=0.2"};
    r = compare_with(&BASE, &c, loose, 1, &err);
    assert_int_equal(tml_compare_exit_code(r), 0);
    tml_compare_free(r);
}

/* Reports of different tasks or label sets are refused (exit 2), not compared: before, an intent
 * report against a churn report said "no regression" and a per-class gate passed with no class in
 * common. A class gated per class and missing from the candidate fails the gate. */
static void test_incomparable_reports(void **state) {
    (void)state;
    TmlError err = {{0}};
    TmlCompareGate g;
    assert_int_equal(tml_compare_parse_gate("per_class.f1=0.05", &g, &err), 0);
    json_t *b = fake_report(&BASE), *c = fake_report(&BASE);
    json_object_set_new(b, "model", json_pack("{s:s}", "kind", "intent"));
    json_object_set_new(c, "model", json_pack("{s:s}", "kind", "churn"));
    assert_null(tml_compare_reports(b, c, &g, 1, &err));
    assert_non_null(strstr(err.msg, "different tasks (baseline: intent, multiclass; candidate: churn, multiclass)"));
    json_object_set_new(c, "model", json_pack("{s:s}", "kind", "intent"));
    json_object_set_new(c, "task", json_string("binary"));
    assert_null(tml_compare_reports(b, c, &g, 1, &err));
    assert_non_null(strstr(err.msg, "different tasks"));
    json_decref(c);
    /* labels: none in common */
    c = fake_report(&BASE);
    json_object_set_new(b, "labels", json_pack("[s, s]", "a", "b"));
    json_object_set_new(c, "labels", json_pack("[s, s]", "yes", "no"));
    json_object_set_new(c, "per_class", json_pack("{s:{s:f}, s:{s:f}}", "yes", "f1", 0.9, "no", "f1", 0.9));
    assert_null(tml_compare_reports(b, c, &g, 1, &err));
    assert_non_null(strstr(err.msg, "different label sets (2 labels only in the baseline, e.g. 'a'; 2 only in the "
                                    "candidate, e.g. 'yes')"));
    json_decref(c);
    /* the candidate adds a label: compared (a note); the candidate lacks one: the gated class fails */
    c = fake_report(&BASE);
    json_object_set_new(c, "labels", json_pack("[s, s, s]", "a", "b", "c"));
    TmlCompareResult *r = tml_compare_reports(b, c, &g, 1, &err);
    assert_non_null(r);
    assert_int_equal(tml_compare_exit_code(r), 0);
    tml_compare_free(r);
    json_object_set_new(c, "labels", json_pack("[s]", "a"));
    json_object_del(json_object_get(c, "per_class"), "b");
    r = tml_compare_reports(b, c, &g, 1, &err);
    assert_non_null(r);
    assert_int_equal(tml_compare_exit_code(r), 1);
    int saw = 0;
    for (int i = 0; i < r->n_notes; i++) saw |= strstr(r->notes[i], "class 'b' is missing from the candidate") != NULL;
    assert_true(saw);
    tml_compare_free(r);
    /* without a per-class gate the missing class is only a note */
    r = tml_compare_reports(b, c, NULL, 0, &err);
    assert_non_null(r);
    assert_int_equal(tml_compare_exit_code(r), 0);
    tml_compare_free(r);
    json_decref(b);
    json_decref(c);
}

/* Reports written by tml_report_write must be readable by compare with every gateable key: a
 * binary report compared with itself has all deltas 0 and passes gates of 0 everywhere. */
static void test_writer_round_trip(void **state) {
    (void)state;
    float probs[40];
    int32_t labels[20];
    for (int i = 0; i < 20; i++) {
        float p = (float)((i * 7) % 20) / 20.0f;
        probs[2 * i] = 1 - p, probs[2 * i + 1] = p;
        labels[i] = (i * 7) % 20 > 8 ? (i % 5 != 0) : (i % 4 == 0);
    }
    TmlError err = {{0}};
    TmlMetrics *m = tml_metrics_compute(probs, labels, 20, 2, 1, NULL, &err);
    assert_non_null(m);
    const char *names[] = {"stayed", "churned"};
    TmlReportInput in = {.metrics = m, .label_names = names, .data_rows = -1};
    char dir[512];
    snprintf(dir, sizeof dir, "%s/written", g_dir);
    assert_int_equal(tml_report_write(dir, &in, &err), 0);
    json_t *a = tml_compare_load(dir, &err), *b = tml_compare_load(dir, &err);
    assert_non_null(a);
    assert_non_null(b);
    const char *specs[] = {"accuracy=0", "macro_f1=0", "log_loss=0", "brier=0", "ece=0", "roc_auc=0", "pr_auc=0",
                           "coverage_at_target.manual_share=0"};
    TmlCompareGate gates[8];
    for (int i = 0; i < 8; i++) assert_int_equal(tml_compare_parse_gate(specs[i], &gates[i], &err), 0);
    TmlCompareResult *r = tml_compare_reports(a, b, gates, 8, &err);
    assert_non_null(r);
    assert_int_equal(tml_compare_exit_code(r), 0);
    int gated = 0;
    for (int i = 0; i < r->n_metrics; i++) {
        gated += r->metrics[i].gated;
        if (isfinite(r->metrics[i].baseline)) assert_true(r->metrics[i].delta == 0);
    }
    assert_int_equal(gated, 8);
    assert_non_null(row_named(r, "lift_top10"));
    assert_non_null(row_named(r, "best_f1_threshold"));
    assert_int_equal(r->n_classes, 2);
    tml_compare_free(r);
    json_decref(a);
    json_decref(b);
    tml_metrics_free(m);
}

/* Runs the binary with args, output to a file; returns its exit status. */
static int run_cli(const char *bin, const char *const *args, const char *out) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        char *argv[16];
        int n = 0;
        argv[n++] = (char *)bin;
        argv[n++] = (char *)"compare";
        for (; args[n - 2] && n < 15; n++) argv[n] = (char *)args[n - 2];
        argv[n] = NULL;
        execv(bin, argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli_exits(void **state) {
    (void)state;
    const char *bin = getenv("TICKETML");
    if (!bin || !bin[0]) bin = "./ticketml";
    char out[512];
    snprintf(out, sizeof out, "%s/cli.out", g_dir);
    const char *help[] = {"--help", NULL};
    if (access(bin, X_OK) != 0 || run_cli(bin, help, out) != 0) {
        printf("skip: %s not built or without `compare` (the C API above covers the same exits)\n", bin);
        skip();
    }
    char base[512], cand[512], other[512];
    write_json("cli_base.json", fake_report(&BASE), base, sizeof base);
    write_json("cli_cand.json", fake_report(&CAND), cand, sizeof cand);
    write_json("cli_other.json", json_pack("{s:i}", "x", 1), other, sizeof other);
    const char *pass[] = {base, cand, "--max-drop", "accuracy=0.01", NULL};
    assert_int_equal(run_cli(bin, pass, out), 0);
    const char *pass_eq[] = {base, cand, "--max-drop=accuracy=0.01", "--json", NULL};
    assert_int_equal(run_cli(bin, pass_eq, out), 0);
    const char *fail[] = {base, cand, "--max-drop", "accuracy=0.01", "--max-drop", "log_loss=0.05", NULL};
    assert_int_equal(run_cli(bin, fail, out), 1);
    const char *unknown[] = {base, cand, "--max-drop", "f1_macro=0.01", NULL};
    assert_int_equal(run_cli(bin, unknown, out), 2);
    const char *missing[] = {base, "/nonexistent/report.json", NULL};
    assert_int_equal(run_cli(bin, missing, out), 2);
    const char *notreport[] = {base, other, NULL};
    assert_int_equal(run_cli(bin, notreport, out), 2);
    const char *one[] = {base, NULL};
    assert_int_equal(run_cli(bin, one, out), 2);
}

static int setup(void **state) {
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/tml-compare-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_gate),        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_outcomes),          cmocka_unit_test(test_lower_is_better),
        cmocka_unit_test(test_per_class_and_notes), cmocka_unit_test(test_writer_round_trip),
        cmocka_unit_test(test_cli_exits),         cmocka_unit_test(test_incomparable_reports),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
