/* test_report.c — tml_report_write on synthetic 5-class, binary and 77-class evaluations: report.json
 * read back with jansson (keys and values), report.md content, report.html self-contained and
 * escaped, well-formed XML (python3's parser, when present), and rendered by headless Chromium
 * (when installed) with no page errors. TML_KEEP_REPORTS=DIR keeps the reports (and screenshots)
 * under DIR for a person to look at. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eval/metrics.h"
#include "eval/report.h"

/* A synthetic evaluation: C classes, N rows; labels cycle through the classes (every 17th row is
 * unknown to the model), the model puts most mass on the true class, and every 4th row on a
 * "neighbour" class instead, so there are real confusions. Deterministic (LCG). */
typedef struct {
    int C;
    int64_t N;
    float *probs;
    int32_t *labels;
    char **names;
    char **texts;
} Synth;

static uint32_t lcg(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void synth_make(Synth *s, int C, int64_t N, int binary) {
    static const char *five[] = {"card_lost", "refund <request> & \"money\"", "delivery", "退款 (refund, zh)",
                                 "password_reset"};
    uint32_t seed = 12345;
    s->C = C;
    s->N = N;
    s->probs = malloc(sizeof(float) * (size_t)(N * C));
    s->labels = malloc(sizeof(int32_t) * (size_t)N);
    s->names = malloc(sizeof(char *) * (size_t)C);
    s->texts = malloc(sizeof(char *) * (size_t)N);
    for (int c = 0; c < C; c++) {
        s->names[c] = malloc(64);
        if (binary) snprintf(s->names[c], 64, "%s", c ? "churned" : "stayed");
        else if (C == 5) snprintf(s->names[c], 64, "%s", five[c]);
        else snprintf(s->names[c], 64, "intent_%02d_%s", c, c % 3 ? "card_payment_issue" : "top_up");
    }
    for (int64_t i = 0; i < N; i++) {
        int y = (int)(i % C);
        float *row = s->probs + i * C;
        double sum = 0;
        for (int c = 0; c < C; c++) sum += row[c] = (float)(lcg(&seed) % 100) / 100.0f + 0.01f;
        int peak = i % 4 == 1 ? (y + 1) % C : y;
        double boost = 2.0 + (double)(lcg(&seed) % 1000) / 100.0 * (binary ? 0.3 : C / 5.0);
        row[peak] += (float)boost;
        sum += boost;
        for (int c = 0; c < C; c++) row[c] = (float)(row[c] / sum);
        s->labels[i] = i % 17 == 16 ? -1 : y;
        s->texts[i] = malloc(160);
        snprintf(s->texts[i], 160, "ticket %lld: my card <b>stopped</b> working & I want my money back, said \"%s\"",
                 (long long)i, s->names[y]);
    }
}

static void synth_free(Synth *s) {
    for (int c = 0; c < s->C; c++) free(s->names[c]);
    for (int64_t i = 0; i < s->N; i++) free(s->texts[i]);
    free(s->names);
    free(s->texts);
    free(s->probs);
    free(s->labels);
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t got = fread(b, 1, (size_t)n, f);
    b[got] = 0;
    fclose(f);
    return b;
}

static int count_of(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* A fresh folder for one report: under $TML_KEEP_REPORTS/name when set (kept), else a temp one. */
static void report_dir(char *out, size_t n, const char *name) {
    const char *keep = getenv("TML_KEEP_REPORTS");
    if (keep && keep[0]) {
        snprintf(out, n, "%s/%s", keep, name);
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", out);
        assert_int_equal(system(cmd), 0);
        return;
    }
    snprintf(out, n, "/tmp/tml-report-%s-XXXXXX", name);
    assert_non_null(mkdtemp(out));
}

static void report_dir_done(const char *dir) {
    if (getenv("TML_KEEP_REPORTS") && getenv("TML_KEEP_REPORTS")[0]) return;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void path_join(char *out, size_t n, const char *dir, const char *file) { snprintf(out, n, "%s/%s", dir, file); }

static double jnum(json_t *root, const char *obj, const char *key) {
    json_t *o = json_object_get(root, obj);
    assert_non_null(o);
    json_t *v = json_object_get(o, key);
    assert_non_null(v);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

/* No leftover temporary files: only the three reports (and screenshots we add) in the folder. */
static void assert_no_temp_files(const char *dir) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -q '\\.tmp\\.'", dir);
    assert_int_not_equal(system(cmd), 0);
}

/* The page must load nothing from elsewhere and run nothing. */
static void assert_self_contained(const char *html) {
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, " src="));
    assert_null(strstr(html, " href="));
    assert_null(strstr(html, "@import"));
    assert_null(strstr(html, "url("));
    /* The only URL is the SVG namespace. */
    assert_int_equal(count_of(html, "http"), count_of(html, "http://www.w3.org/2000/svg"));
}

static const char *find_python(void) {
    if (system("python3 -c 'import xml.etree.ElementTree' >/dev/null 2>&1") == 0) return "python3";
    if (system("/usr/bin/python3 -c 'import xml.etree.ElementTree' >/dev/null 2>&1") == 0) return "/usr/bin/python3";
    return NULL;
}

/* report.html is written as well-formed XML, so every inline SVG is a valid XML document. */
static void check_xml(const char *html_path) {
    const char *py = find_python();
    if (!py) {
        printf("note: no python3; skipping the XML well-formedness check of %s\n", html_path);
        return;
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s -c 'import sys, xml.etree.ElementTree as E; t = E.parse(sys.argv[1]); "
             "n = len(t.getroot().findall(\".//{http://www.w3.org/2000/svg}svg\")); "
             "sys.exit(0 if n >= 3 else 3)' '%s'",
             py, html_path);
    int rc = system(cmd);
    assert_int_equal(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 0);
}

static const char *find_chromium(void) {
    static const char *names[] = {"chromium", "chromium-browser", "google-chrome"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", names[i]);
        if (system(cmd) == 0) return names[i];
    }
    return NULL;
}

/* Renders dir/report.html in headless Chromium: a screenshot must come out, the browser's DOM
 * must hold every SVG of the file, and the log must show no console message (the page has no
 * script, so any "Uncaught" error or failed load is a bug). Returns 0 when Chromium is absent. */
static int render_with_chromium(const char *dir, int expect_svgs) {
    const char *chrome = find_chromium();
    if (!chrome) return 0;
    char html[512], png[512], log[512], dom[512], cmd[2400];
    path_join(html, sizeof html, dir, "report.html");
    path_join(png, sizeof png, dir, "screenshot.png");
    path_join(log, sizeof log, dir, "chromium.log");
    path_join(dom, sizeof dom, dir, "dom.html");
    char abs[512];
    assert_non_null(realpath(html, abs));
    const char *flags = "--headless --disable-gpu --no-sandbox --no-first-run --hide-scrollbars "
                        "--enable-logging=stderr --v=0";
    snprintf(cmd, sizeof cmd, "timeout 120 %s %s --screenshot='%s' --window-size=1400,2000 'file://%s' >/dev/null 2>'%s'",
             chrome, flags, png, abs, log);
    int rc = system(cmd);
    assert_int_equal(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 0);
    snprintf(cmd, sizeof cmd, "timeout 120 %s %s --dump-dom 'file://%s' >'%s' 2>>'%s'", chrome, flags, abs, dom, log);
    rc = system(cmd);
    assert_int_equal(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 0);

    char *img = slurp(png);
    assert_non_null(img);
    assert_memory_equal(img, "\x89PNG", 4);
    free(img);
    char *d = slurp(dom);
    assert_non_null(d);
    assert_true(count_of(d, "<svg") >= expect_svgs);
    free(d);
    char *l = slurp(log);
    assert_non_null(l);
    for (char *line = strtok(l, "\n"); line; line = strtok(NULL, "\n"))
        if (strstr(line, "Uncaught") || strstr(line, ":CONSOLE")) fail_msg("page error in %s: %s", html, line);
    free(l);
    /* nothing clipped: every SVG text inside its chart, no box hiding what does not fit
     * (scripts/check_page.sh; a full-page screenshot lands beside the report) */
    if (access("scripts/check_page.sh", R_OK) == 0) {
        snprintf(cmd, sizeof cmd, "sh scripts/check_page.sh '%s' '%s/shots'", html, dir);
        rc = system(cmd);
        assert_int_equal(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 0);
    } else {
        printf("note: run from the repository root for the clipping check of %s\n", html);
    }
    return 1;
}

static void test_five_classes(void **state) {
    (void)state;
    Synth s;
    synth_make(&s, 5, 200, 0);
    TmlError err = {{0}};
    TmlMetrics *m = tml_metrics_compute(s.probs, s.labels, s.N, s.C, -1, NULL, &err);
    assert_non_null(m);
    const char *words[] = {"card", "stopped", "money", "<b>", "refund"};
    const float weights[] = {0.42f, 0.31f, -0.2f, 0.05f, -0.11f};
    TmlReportExplanation ex[2] = {
        {.row = 1, .label = 1, .prob = 0.83, .n_words = 5, .words = words, .weights = weights},
        {.row = -1, .label = 3, .prob = NAN, .text = "我要退款 please refund", .n_words = 2,
         .words = (const char *const[]){"退款", "refund"}, .weights = (const float[]){0.5f, 0.25f}},
    };
    TmlReportInput in = {
        .metrics = m, .label_names = (const char *const *)s.names, .title = "Intent <v2> & friends",
        .model_path = "models/intent.h5", .model_kind = "text", .model_fingerprint = "sha256:abc123",
        .data_path = "data/test.csv", .data_fingerprint = "sha256:def456", .data_rows = 200,
        .n_rows = s.N, .probs = s.probs, .labels = s.labels, .texts = (const char *const *)s.texts,
        .n_explanations = 2, .explanations = ex,
    };
    char dir[512], path[600];
    report_dir(dir, sizeof dir, "five");
    assert_int_equal(tml_report_write(dir, &in, &err), 0);
    assert_no_temp_files(dir);

    path_join(path, sizeof path, dir, "report.json");
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "format")), "ticketml-report");
    assert_int_equal(json_integer_value(json_object_get(root, "format_version")), 2);
    assert_string_equal(json_string_value(json_object_get(root, "task")), "multiclass");
    assert_true(fabs(jnum(root, "metrics", "accuracy") - m->accuracy) < 1e-9);
    assert_true(fabs(jnum(root, "metrics", "macro_f1") - m->macro.f1) < 1e-9);
    assert_true(fabs(jnum(root, "metrics", "weighted_f1") - m->weighted.f1) < 1e-9);
    assert_true(fabs(jnum(root, "metrics", "micro_f1") - m->micro.f1) < 1e-9);
    assert_true(fabs(jnum(root, "metrics", "top_k_accuracy") - m->top_k_accuracy) < 1e-9);
    assert_true(fabs(jnum(root, "metrics", "log_loss") - m->log_loss) < 1e-9);
    assert_true(fabs(jnum(root, "metrics", "brier") - m->brier) < 1e-9);
    assert_true(fabs(jnum(root, "metrics", "ece") - m->ece) < 1e-9);
    json_t *mt = json_object_get(root, "metrics");
    /* Binary-only keys are present and null for a multiclass model: the schema never changes. */
    const char *binary_keys[] = {"roc_auc", "pr_auc", "best_f1_threshold", "lift_top10", "capture_top10", "best_f1"};
    for (size_t i = 0; i < sizeof binary_keys / sizeof binary_keys[0]; i++)
        assert_true(json_is_null(json_object_get(mt, binary_keys[i])));
    json_t *cov = json_object_get(mt, "coverage_at_target");
    assert_true(json_is_object(cov));
    assert_true(fabs(json_number_value(json_object_get(cov, "manual_share")) - m->at_target.manual_share) < 1e-9);
    assert_non_null(json_object_get(cov, "threshold"));
    assert_non_null(json_object_get(cov, "coverage"));

    json_t *pc = json_object_get(root, "per_class");
    assert_int_equal(json_object_size(pc), 5);
    json_t *refund = json_object_get(pc, "refund <request> & \"money\"");
    assert_non_null(refund);
    assert_int_equal(json_integer_value(json_object_get(refund, "support")), m->per_class[1].support);
    assert_true(fabs(json_number_value(json_object_get(refund, "f1")) - m->per_class[1].f1) < 1e-9);
    assert_non_null(json_object_get(pc, "退款 (refund, zh)"));

    json_t *cm = json_object_get(json_object_get(root, "confusion"), "matrix");
    assert_int_equal(json_array_size(cm), 5);
    for (int t = 0; t < 5; t++)
        for (int p = 0; p < 5; p++)
            assert_int_equal(json_integer_value(json_array_get(json_array_get(cm, t), p)), m->confusion[t * 5 + p]);
    assert_int_equal(json_array_size(json_object_get(json_object_get(root, "confusion"), "labels")), 5);

    json_t *model = json_object_get(root, "model"), *data = json_object_get(root, "data");
    assert_string_equal(json_string_value(json_object_get(model, "path")), "models/intent.h5");
    assert_string_equal(json_string_value(json_object_get(model, "kind")), "text");
    assert_string_equal(json_string_value(json_object_get(model, "fingerprint")), "sha256:abc123");
    assert_string_equal(json_string_value(json_object_get(data, "fingerprint")), "sha256:def456");
    assert_int_equal(json_integer_value(json_object_get(data, "rows")), 200);
    assert_int_equal(json_integer_value(json_object_get(data, "unknown_labels")), 200 / 17);
    assert_int_equal(json_integer_value(json_object_get(data, "unknown_labels")), m->n_unknown);

    json_t *pairs = json_object_get(root, "top_confusions");
    assert_true(json_array_size(pairs) >= 1);
    json_t *ex0 = json_array_get(json_object_get(json_array_get(pairs, 0), "examples"), 0);
    assert_non_null(strstr(json_string_value(json_object_get(ex0, "text")), "<b>stopped</b>"));
    assert_int_equal(json_array_size(json_object_get(root, "explanations")), 2);
    assert_true(json_is_null(json_object_get(json_object_get(root, "curves"), "roc")));
    json_decref(root);

    path_join(path, sizeof path, dir, "report.md");
    char *md = slurp(path);
    assert_non_null(md);
    assert_non_null(strstr(md, "| accuracy |"));
    assert_non_null(strstr(md, "## Per class (worst F1 first)"));
    assert_non_null(strstr(md, "## Most confused pairs"));
    assert_non_null(strstr(md, "refund &lt;request&gt; &amp; \"money\""));
    free(md);

    path_join(path, sizeof path, dir, "report.html");
    char *html = slurp(path);
    assert_non_null(html);
    assert_self_contained(html);
    /* Texts, names and the title are escaped, never markup. */
    assert_null(strstr(html, "<b>stopped"));
    assert_non_null(strstr(html, "&lt;b&gt;stopped&lt;/b&gt;"));
    assert_non_null(strstr(html, "Intent &lt;v2&gt; &amp; friends"));
    assert_non_null(strstr(html, "refund &lt;request&gt; &amp; &quot;money&quot;"));
    /* Explanation words are highlighted where they occur (case-insensitive, whole words, CJK). */
    assert_non_null(strstr(html, "title=\"weight +0.4200\">card</mark>"));
    assert_non_null(strstr(html, "title=\"weight +0.5000\">退款</mark>"));
    assert_non_null(strstr(html, "Most confused pairs"));
    assert_null(strstr(html, "ROC (AUC"));
    free(html);
    check_xml(path);
    if (!render_with_chromium(dir, 5)) printf("note: chromium not installed; render check skipped (apt-get install chromium)\n");
    report_dir_done(dir);
    tml_metrics_free(m);
    synth_free(&s);
}

static void test_binary(void **state) {
    (void)state;
    Synth s;
    synth_make(&s, 2, 300, 1);
    TmlError err = {{0}};
    TmlMetrics *m = tml_metrics_compute(s.probs, s.labels, s.N, 2, 1, NULL, &err);
    assert_non_null(m);
    /* LIME rules run long (the last two as the churn explainer writes them): the chart must show
     * them whole (the Chromium check fails on a cut label) */
    const char *rules[] = {"tenure <= 9.00", "Contract=Month-to-month", "MonthlyCharges > 89.85", "tickets_30d > 2",
                           "1397.47 < TotalCharges <= 3786.60",
                           "PaymentMethod=Bank transfer (automatic) and tickets_intent=cancel_subscription > 0"};
    const float w[] = {0.21f, 0.17f, 0.06f, -0.04f, 0.03f, -0.02f};
    TmlReportExplanation ex = {.row = 3, .label = 1, .prob = 0.71, .n_words = 6, .words = rules, .weights = w};
    TmlReportInput in = {.metrics = m, .label_names = (const char *const *)s.names, .title = "Churn",
                         .model_path = "churn.h5", .model_kind = "tabular", .data_rows = -1, .n_rows = s.N,
                         .probs = s.probs, .labels = s.labels, .n_explanations = 1, .explanations = &ex};
    char dir[512], path[600];
    report_dir(dir, sizeof dir, "binary");
    assert_int_equal(tml_report_write(dir, &in, &err), 0);
    path_join(path, sizeof path, dir, "report.json");
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "task")), "binary");
    assert_true(fabs(jnum(root, "metrics", "roc_auc") - m->binary.roc_auc) < 1e-9);
    assert_true(fabs(jnum(root, "metrics", "pr_auc") - m->binary.pr_auc) < 1e-9);
    assert_true(fabs(jnum(root, "metrics", "best_f1_threshold") - m->binary.best_f1_threshold) < 1e-9);
    assert_true(fabs(jnum(root, "metrics", "lift_top10") - m->binary.lift_top10) < 1e-9);
    assert_true(m->binary.roc_auc > 0.6); /* the synthetic model is better than chance */
    json_t *b = json_object_get(root, "binary");
    assert_string_equal(json_string_value(json_object_get(b, "positive_label")), "churned");
    assert_int_equal(json_integer_value(json_object_get(b, "tp")), m->binary.tp);
    assert_int_equal(json_integer_value(json_object_get(b, "fn")), m->binary.fn);
    json_t *roc = json_object_get(json_object_get(root, "curves"), "roc");
    assert_int_equal(json_array_size(json_object_get(roc, "fpr")), m->binary.roc.n);
    /* The ROC starts at "nothing predicted positive yet": threshold +inf, written as null. */
    assert_true(json_is_null(json_array_get(json_object_get(roc, "threshold"), 0)));
    assert_true(json_is_null(json_object_get(json_object_get(root, "model"), "fingerprint")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "data"), "rows")), 300);
    json_decref(root);

    path_join(path, sizeof path, dir, "report.html");
    char *html = slurp(path);
    assert_non_null(html);
    assert_self_contained(html);
    assert_non_null(strstr(html, "ROC (AUC"));
    assert_non_null(strstr(html, "Precision-recall (AP"));
    assert_non_null(strstr(html, "tenure &lt;= 9.00"));
    free(html);
    path_join(path, sizeof path, dir, "report.md");
    char *md = slurp(path);
    assert_non_null(strstr(md, "| ROC-AUC |"));
    free(md);
    path_join(path, sizeof path, dir, "report.html");
    check_xml(path);
    render_with_chromium(dir, 7);
    report_dir_done(dir);
    tml_metrics_free(m);
    synth_free(&s);
}

/* banking77 has 77 intents: the heatmap must stay readable (checked by eye with
 * TML_KEEP_REPORTS) and the file must still parse and render. */
static void test_seventy_seven_classes(void **state) {
    (void)state;
    Synth s;
    synth_make(&s, 77, 3080, 0);
    TmlError err = {{0}};
    TmlMetrics *m = tml_metrics_compute(s.probs, s.labels, s.N, s.C, -1, NULL, &err);
    assert_non_null(m);
    TmlReportInput in = {.metrics = m, .label_names = (const char *const *)s.names, .title = "banking77-like",
                         .data_rows = -1, .n_rows = s.N, .probs = s.probs, .labels = s.labels,
                         .texts = (const char *const *)s.texts};
    char dir[512], path[600];
    report_dir(dir, sizeof dir, "c77");
    assert_int_equal(tml_report_write(dir, &in, &err), 0);
    path_join(path, sizeof path, dir, "report.html");
    check_xml(path);
    render_with_chromium(dir, 4);
    report_dir_done(dir);
    tml_metrics_free(m);
    synth_free(&s);
}

static void test_bad_input(void **state) {
    (void)state;
    Synth s;
    synth_make(&s, 5, 40, 0);
    TmlError err = {{0}};
    TmlMetrics *m = tml_metrics_compute(s.probs, s.labels, s.N, s.C, -1, NULL, &err);
    assert_non_null(m);
    char dir[512];
    report_dir(dir, sizeof dir, "bad");

    /* Duplicate names would collide as per_class keys: refused, and nothing is written. */
    const char *dup[] = {"a", "b", "a", "c", "d"};
    TmlReportInput in = {.metrics = m, .label_names = dup, .data_rows = -1};
    assert_int_equal(tml_report_write(dir, &in, &err), -1);
    assert_non_null(strstr(err.msg, "'a' appears twice"));
    char path[600];
    path_join(path, sizeof path, dir, "report.json");
    assert_int_not_equal(access(path, F_OK), 0);

    /* A report folder that is a file. */
    in.label_names = (const char *const *)s.names;
    path_join(path, sizeof path, dir, "plainfile");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(tml_report_write(path, &in, &err), -1);
    assert_non_null(strstr(err.msg, "plainfile"));

    /* Explanation with a label out of range. */
    TmlReportExplanation ex = {.row = 0, .label = 9, .n_words = 0};
    in.explanations = &ex;
    in.n_explanations = 1;
    assert_int_equal(tml_report_write(dir, &in, &err), -1);
    assert_non_null(strstr(err.msg, "explanation 0"));
    assert_no_temp_files(dir);

    /* Nested folders are created; a second write replaces the files in place. */
    in.explanations = NULL;
    in.n_explanations = 0;
    path_join(path, sizeof path, dir, "x/y/z");
    assert_int_equal(tml_report_write(path, &in, &err), 0);
    assert_int_equal(tml_report_write(path, &in, &err), 0);
    assert_no_temp_files(path);
    report_dir_done(dir);
    tml_metrics_free(m);
    synth_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_five_classes),
        cmocka_unit_test(test_binary),
        cmocka_unit_test(test_seventy_seven_classes),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
