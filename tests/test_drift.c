/* test_drift.c — the drift monitor: its statistics on cases worked by hand (and against scipy and
 * Evidently's formulas through scripts/check_drift_stats.py when python3 has scipy), then
 * `ticketml drift` end to end on generated corpora: an unshifted sample reports no drift (exit 0),
 * the synth drift knob's shift is found and named (exit 1) for a text model and for tabular models
 * of two families (MLP, gradient-boosted trees), labels are optional, the time view is there, bad
 * input exits 2 with no report, and every report page renders in headless Chromium with no
 * console error and nothing clipped (scripts/check_page.sh). TML_KEEP_REPORTS=DIR keeps the
 * reports and screenshots under DIR. `test_drift --stats A.txt B.txt` prints the statistics of two
 * samples as JSON (the cross-check script's entry). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <math.h>

#include <cmocka.h>
#include <jansson.h>

#include "eval/drift_stats.h"

/* ---- statistics ------------------------------------------------------------------------------- */

static void test_psi_js(void **state) {
    (void)state;
    double a[3] = {0.5, 0.3, 0.2}, b[3] = {0.5, 0.3, 0.2}, c[3] = {0.2, 0.3, 0.5};
    assert_true(fabs(tml_drift_psi(a, b, 3)) < 1e-15);
    assert_true(fabs(tml_drift_js(a, b, 3)) < 1e-7);
    /* PSI by hand: (0.5-0.2)ln(0.5/0.2) + 0 + (0.2-0.5)ln(0.2/0.5) = 0.6 ln 2.5 */
    assert_true(fabs(tml_drift_psi(a, c, 3) - 0.6 * log(2.5)) < 1e-12);
    assert_true(fabs(tml_drift_psi(a, c, 3) - tml_drift_psi(c, a, 3)) < 1e-12); /* symmetric */
    /* JS distance of disjoint distributions is sqrt(ln 2), its maximum */
    double d1[2] = {1, 0}, d2[2] = {0, 1};
    assert_true(fabs(tml_drift_js(d1, d2, 2) - sqrt(log(2))) < 1e-12);
    /* JS normalizes: counts give the same as shares */
    double k1[3] = {50, 30, 20}, k2[3] = {20, 30, 50};
    assert_true(fabs(tml_drift_js(k1, k2, 3) - tml_drift_js(a, c, 3)) < 1e-12);
    assert_true(fabs(tml_drift_js2(0.2, 0.5) - tml_drift_js((double[]){0.2, 0.8}, (double[]){0.5, 0.5}, 2)) < 1e-12);
    /* Evidently's zero fill: 1e-4 when the smallest non-zero share is above 1e-4 ... */
    double z1[3] = {0.5, 0.5, 0}, z2[3] = {0.5, 0.4, 0.1};
    double want = (0.5 - 0.4) * log(0.5 / 0.4) + (1e-4 - 0.1) * log(1e-4 / 0.1);
    assert_true(fabs(tml_drift_psi(z1, z2, 3) - want) < 1e-12);
    /* ... else that share / 1e6 */
    double z3[3] = {0.99995, 0.00005, 0};
    assert_true(fabs(tml_drift_fill_value(z3, 3) - 0.00005 / 1e6) < 1e-18);
    assert_true(isnan(tml_drift_psi((double[]){0, 0}, a, 2)));
}

static int cmpf(const void *x, const void *y) {
    float a = *(const float *)x, b = *(const float *)y;
    return (a > b) - (a < b);
}

static void test_ks_wasserstein(void **state) {
    (void)state;
    float r[4] = {1, 2, 3, 4}, c[4] = {11, 12, 13, 14};
    assert_true(fabs(tml_drift_ks(r, 4, c, 4) - 1.0) < 1e-12);
    assert_true(fabs(tml_drift_wasserstein(r, 4, c, 4) - 10.0) < 1e-9); /* every value moved by 10 */
    assert_true(fabs(tml_drift_ks(r, 4, r, 4)) < 1e-12);
    /* ties: {1,1,2} vs {1,2,2}: F_r(1) = 2/3, F_c(1) = 1/3 */
    float t1[3] = {1, 1, 2}, t2[3] = {1, 2, 2};
    assert_true(fabs(tml_drift_ks(t1, 3, t2, 3) - 1.0 / 3) < 1e-12);
    assert_true(fabs(tml_drift_wasserstein(t1, 3, t2, 3) - 1.0 / 3) < 1e-9);
    /* p-values: identical large samples -> 1; far apart -> ~0; smaller D -> larger p */
    assert_true(tml_drift_ks_pvalue(0.0, 100000, 100000) == 1.0);
    assert_true(tml_drift_ks_pvalue(0.5, 1000, 1000) < 1e-10);
    assert_true(tml_drift_ks_pvalue(0.02, 2000, 2000) > tml_drift_ks_pvalue(0.05, 2000, 2000));
    /* the 5% critical value of the limiting distribution: lambda = 1.3581 */
    double ne = 1000.0 * 1000 / 2000, d = 1.3581 / (sqrt(ne) + 0.12 + 0.11 / sqrt(ne));
    assert_true(fabs(tml_drift_ks_pvalue(d, 1000, 1000) - 0.05) < 1e-3);

    /* the numeric summary: a sample against itself shifted by half a std */
    enum { N = 4000 };
    float *x = malloc(sizeof *x * N), *y = malloc(sizeof *y * N);
    uint64_t s = 1;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (float)((s >> 11) * (1.0 / 9007199254740992.0)) * 10; /* uniform [0, 10) */
        y[i] = x[i] + 1.4434f;                                        /* + std/2 of U(0,10) */
    }
    x[7] = NAN; /* a missing value is counted apart */
    TmlDriftNumeric n;
    assert_int_equal(tml_drift_numeric(x, N, y, N, &n), 0);
    assert_int_equal(n.missing_ref, 1);
    assert_int_equal(n.n_ref, N - 1);
    assert_true(fabs(n.wasserstein - 0.5) < 0.02);
    assert_true(n.psi > 0.1 && n.ks > 0.1 && n.ks_p < 1e-6);
    assert_true(n.hist.edges && n.hist.n == (int)ceil(log2(2.0 * N - 1)) + 1);
    double sr = 0, sc = 0;
    for (int b = 0; b < n.hist.n; b++) sr += n.hist.ref[b], sc += n.hist.cur[b];
    assert_true(fabs(sr - 1) < 1e-9 && fabs(sc - 1) < 1e-9);
    tml_drift_numeric_free(&n);
    /* few distinct values: shares of the values themselves */
    for (int i = 0; i < N; i++) x[i] = (float)(i % 4), y[i] = (float)(i % 5);
    assert_int_equal(tml_drift_numeric(x, N, y, N, &n), 0);
    assert_non_null(n.hist.values);
    assert_int_equal(n.hist.n, 5);
    assert_true(fabs(n.hist.ref[4]) < 1e-12 && fabs(n.hist.cur[4] - 0.2) < 1e-12);
    tml_drift_numeric_free(&n);
    qsort(x, N, sizeof *x, cmpf);
    free(x);
    free(y);
}

static int has_python_scipy(void) { return system("python3 -c 'import scipy, numpy' >/dev/null 2>&1") == 0; }

static const char *g_self; /* this program's path, for the script's call back */

static void test_against_scipy(void **state) {
    (void)state;
    if (!has_python_scipy()) {
        printf("note: python3 with scipy not found; the scipy cross-check of the drift statistics is skipped\n");
        skip();
    }
    if (access("scripts/check_drift_stats.py", R_OK) != 0) {
        printf("note: run from the repository root for the scipy cross-check\n");
        skip();
    }
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "python3 scripts/check_drift_stats.py --bin '%s'", g_self);
    int rc = system(cmd);
    assert_int_equal(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 0);
}

/* ---- the command ------------------------------------------------------------------------------ */

static char g_dir[256];
static const char *g_bin;
static int g_ready;

static int run(const char *fmt, ...) {
    char cmd[4096], line[4400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "cd %s && %s >out.txt 2>&1", g_dir, cmd);
    int st = system(line);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = calloc(1, (size_t)n + 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
    fclose(f);
    return s;
}

static int exists(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void write_file(const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void expect_output(const char *needle) {
    char *out = slurp("out.txt");
    if (!out || !strstr(out, needle)) fail_msg("expected '%s' in output:\n%s", needle, out ? out : "(none)");
    free(out);
}

static json_t *load_json(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j) fail_msg("%s: %s", path, je.text);
    return j;
}

/* 1 when report.json of dir lists a failed check whose name starts with prefix. */
static int failed_check(json_t *rep, const char *prefix) {
    json_t *f = json_object_get(rep, "failed");
    for (size_t i = 0; i < json_array_size(f); i++) {
        const char *n = json_string_value(json_object_get(json_array_get(f, i), "name"));
        if (n && !strncmp(n, prefix, strlen(prefix))) return 1;
    }
    return 0;
}

/* Renders dir/report.html in headless Chromium through scripts/check_page.sh: no console error,
 * no SVG text outside its chart, nothing cut off. Screenshots go to $TML_KEEP_REPORTS when set. */
static void check_page(const char *dir) {
    char html[512], shots[600], cmd[2000];
    snprintf(html, sizeof html, "%s/%s/report.html", g_dir, dir);
    const char *keep = getenv("TML_KEEP_REPORTS");
    if (keep && keep[0]) snprintf(shots, sizeof shots, "%s/drift-%s", keep, dir);
    else snprintf(shots, sizeof shots, "%s/shots-%s", g_dir, dir);
    if (keep && keep[0]) {
        snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp -r '%s/%s' '%s/'", shots, g_dir, dir, shots);
        assert_int_equal(system(cmd), 0);
    }
    snprintf(cmd, sizeof cmd, "sh scripts/check_page.sh '%s' '%s'", html, shots);
    int st = system(cmd), rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (rc == 77) {
        printf("note: chromium not installed; the render check of %s is skipped\n", dir);
        return;
    }
    assert_int_equal(rc, 0);
}

static const char *INTENT_INI =
    "[data]\nkind = text\ntrain = ref/tickets.csv\ntext = text\nlabel = intent\nid = ticket_id\ntime = created_at\n"
    "valid_frac = 0.1\nseed = 3\n[text]\nword_ngrams = 2\nbuckets = 50000\ntfidf = true\n"
    "[model]\ntask = intent\ntype = linear\n[train]\noptimizer = adamw\nlr = 0.02\nepochs = 3\nbatch_size = 32\n"
    "patience = 0\nseed = 3\n";

static const char *CHURN_INI =
    "[data]\nkind = tabular\ntrain = ref/customers.csv\nlabel = churn\nid = customer_id\npositive = Yes\n"
    "tickets = ref/tickets.csv\nhistory = true\ncustomer = customer_id\nvalid_frac = 0.15\nseed = 3\n"
    "[tabular]\nignore = customer_id\n[model]\ntask = churn\ntype = %s\n[train]\n%sseed = 3\n";

static int setup(void **state) {
    (void)state;
    g_bin = getenv("TICKETML");
    if (!g_bin) g_bin = "./ticketml";
    static char abs_bin[512];
    if (!realpath(g_bin, abs_bin)) return 0; /* the CLI tests skip */
    g_bin = abs_bin;
    snprintf(g_dir, sizeof g_dir, "/tmp/ticketml-drift-XXXXXX");
    if (!mkdtemp(g_dir)) return -1;
    write_file("intent.ini", INTENT_INI);
    char ini[2048];
    snprintf(ini, sizeof ini, CHURN_INI, "mlp",
             "optimizer = adamw\nlr = 0.01\nepochs = 8\nbatch_size = 64\nmetric = roc_auc\npatience = 0\n");
    write_file("churn-mlp.ini", ini);
    snprintf(ini, sizeof ini, CHURN_INI, "gbdt", "rounds = 40\nlr = 0.1\n");
    write_file("churn-gbdt.ini", ini);
    /* reference: the first half-year; current: the next two months from another seed (an unshifted
     * sample of the same process), and the same with the drift knob on from its first day (tickets)
     * and for every customer (who all joined after 2019) */
    if (run("%s synth --tickets 8000 --customers 1500 --seed 3 --start-date 2025-01-01 --days 180 --out ref --quiet",
            g_bin) ||
        run("%s synth --tickets 3000 --customers 1500 --seed 103 --start-date 2025-07-01 --days 60 --out cur --quiet",
            g_bin) ||
        run("%s synth --tickets 3000 --customers 1500 --seed 103 --start-date 2025-07-01 --days 60 --shift-date "
            "2019-01-01 --out shifted --quiet",
            g_bin) ||
        /* churn: the same window length and volume as the reference, so history columns compare */
        run("%s synth --tickets 8000 --customers 1500 --seed 104 --start-date 2025-07-01 --days 180 --out cur180 "
            "--quiet",
            g_bin) ||
        run("%s synth --tickets 8000 --customers 1500 --seed 104 --start-date 2025-07-01 --days 180 --shift-date "
            "2019-01-01 --out shifted180 --quiet",
            g_bin) ||
        run("%s train intent.ini --out intent.h5 --quiet", g_bin))
        return -1;
    g_ready = 1;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    if (g_dir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
        if (system(cmd) != 0) return -1;
    }
    return 0;
}

#define NEED_BINARY()                                                                      \
    do {                                                                                   \
        if (!g_ready) {                                                                    \
            printf("ticketml binary not found (%s): drift CLI tests not run\n", g_bin);    \
            skip();                                                                        \
        }                                                                                  \
    } while (0)

static void test_text_no_drift(void **state) {
    (void)state;
    NEED_BINARY();
    assert_int_equal(run("%s drift intent.h5 ref/tickets.csv cur/tickets.csv --report rep0", g_bin), 0);
    expect_output("no drift past the limits");
    json_t *r = load_json("rep0/report.json");
    assert_string_equal(json_string_value(json_object_get(r, "format")), "ticketml-drift");
    assert_true(json_is_false(json_object_get(r, "drift")));
    assert_int_equal(json_array_size(json_object_get(r, "failed")), 0);
    assert_true(json_array_size(json_object_get(r, "checks")) >= 8);
    json_t *pred = json_object_get(r, "prediction");
    assert_true(json_real_value(json_object_get(pred, "psi")) < 0.1);
    assert_int_equal(json_array_size(json_object_get(pred, "classes")), 20);
    json_t *in = json_object_get(r, "input");
    assert_string_equal(json_string_value(json_object_get(in, "kind")), "text");
    double ur = json_real_value(json_object_get(in, "reference_unseen_token_share"));
    double uc = json_real_value(json_object_get(in, "current_unseen_token_share"));
    /* held-out reference rows and current rows see about as many new words */
    assert_true(ur > 0 && uc > 0 && fabs(uc - ur) < 0.02);
    /* the time view: weeks of both sides, from the model's [data] time */
    json_t *t = json_object_get(r, "time");
    assert_string_equal(json_string_value(json_object_get(t, "column")), "created_at");
    assert_string_equal(json_string_value(json_object_get(t, "period")), "week");
    assert_true(json_array_size(json_object_get(t, "periods")) > 30);
    assert_non_null(json_object_get(r, "labels_drift"));
    json_decref(r);
    char *md = slurp("rep0/report.md");
    assert_non_null(md);
    assert_non_null(strstr(md, "**No drift past the limits**"));
    free(md);
    check_page("rep0");
}

static void test_text_shift_found(void **state) {
    (void)state;
    NEED_BINARY();
    assert_int_equal(run("%s drift intent.h5 ref/tickets.csv shifted/tickets.csv --report rep1", g_bin), 1);
    expect_output("DRIFT:");
    expect_output("prediction.psi");
    json_t *r = load_json("rep1/report.json");
    assert_true(json_is_true(json_object_get(r, "drift")));
    assert_true(failed_check(r, "prediction.psi"));
    assert_true(failed_check(r, "input.unseen_token_increase"));
    /* the new product's name is among the words that moved most, with a current example ticket */
    json_t *feats = json_object_get(json_object_get(r, "input"), "top_features");
    int found = 0;
    for (size_t i = 0; i < json_array_size(feats); i++) {
        json_t *f = json_array_get(feats, i);
        const char *w = json_string_value(json_object_get(f, "feature"));
        if (w && strstr(w, "novapay")) {
            found = 1;
            json_t *ex = json_object_get(f, "example");
            assert_string_equal(json_string_value(json_object_get(ex, "side")), "current");
            assert_non_null(strcasestr(json_string_value(json_object_get(ex, "text")), "novapay"));
        }
    }
    assert_true(found);
    json_decref(r);
    check_page("rep1");

    /* limits: loosened past the shift, it passes; "off" turns a check off */
    assert_int_equal(run("%s drift intent.h5 ref/tickets.csv shifted/tickets.csv --max-psi 5 --max-js off "
                         "--max-unseen-increase 1 --quiet",
                         g_bin),
                     0);
    /* --json: the report on stdout, parseable, same verdict */
    assert_int_equal(run("%s drift intent.h5 ref/tickets.csv shifted/tickets.csv --json --quiet", g_bin), 1);
    json_t *j = load_json("out.txt");
    assert_true(json_is_true(json_object_get(j, "drift")));
    json_decref(j);
}

static void test_text_without_labels(void **state) {
    (void)state;
    NEED_BINARY();
    /* drop the label column from the current file: drift needs no labels */
    assert_int_equal(run("python3 -c \"import csv,sys; r=csv.DictReader(open('shifted/tickets.csv')); "
                         "f=[c for c in r.fieldnames if c!='intent']; w=csv.DictWriter(open('nolab.csv','w',newline=''),"
                         "f, extrasaction='ignore', lineterminator='\\n'); w.writeheader(); [w.writerow(x) for x in r]\""),
                     0);
    assert_int_equal(run("%s drift intent.h5 ref/tickets.csv nolab.csv --report rep2 --period day", g_bin), 1);
    json_t *r = load_json("rep2/report.json");
    assert_true(json_is_null(json_object_get(r, "labels_drift")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "current"), "labelled")), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "time"), "period")), "day");
    assert_true(failed_check(r, "prediction.psi"));
    json_decref(r);
    check_page("rep2");
}

/* The other text families through the same seam: an embedding bag and a tiny random-initialised
 * encoder (its WordPiece vocabulary built from the corpus, so no download is needed). */
static void test_text_families(void **state) {
    (void)state;
    NEED_BINARY();
    write_file("emb.ini", "[data]\nkind = text\ntrain = ref/tickets.csv\ntext = text\nlabel = intent\nvalid_frac = 0.1\n"
                          "seed = 3\n[text]\nword_ngrams = 2\nbuckets = 20000\n[model]\ntask = intent\ntype = embedding\n"
                          "dim = 16\n[train]\noptimizer = adamw\nlr = 0.01\nepochs = 2\nbatch_size = 64\npatience = 0\n"
                          "seed = 3\n");
    write_file("enc.ini", "[data]\nkind = text\ntrain = cur/tickets.csv\ntext = text\nlabel = intent\nvalid_frac = 0.1\n"
                          "seed = 3\n[text]\nword_ngrams = 1\nbuckets = 1000\n[model]\ntask = intent\ntype = encoder\n"
                          "pretrained = tok\ninit = random\nlayers = 1\nwidth = 32\nheads = 4\nmax_len = 32\n[train]\n"
                          "optimizer = adamw\nlr = 3e-3\nwarmup = 0.1\nepochs = 1\nbatch_size = 32\nclip = 1.0\n"
                          "patience = 0\nseed = 3\n");
    assert_int_equal(run("(mkdir -p tok && (printf '[PAD]\\n[UNK]\\n[CLS]\\n[SEP]\\n[MASK]\\n'; "
                         "cat ref/tickets.csv shifted/tickets.csv | tr -cs 'A-Za-z' '\\n' | tr 'A-Z' 'a-z' | sort -u | "
                         "grep -v '^$'; for c in a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4 5 6 7 8 9; "
                         "do echo $c; echo \"##$c\"; done) | awk '!seen[$0]++' > tok/vocab.txt)"),
                     0);
    const char *fam[] = {"emb", "enc"};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(run("%s train %s.ini --out %s.h5 --quiet --device cpu", g_bin, fam[k], fam[k]), 0);
        /* the encoder learned on the current sample's first corpus: compare its unshifted and
         * shifted siblings (same size) to keep the scoring small */
        const char *ref = k ? "cur/tickets.csv" : "ref/tickets.csv";
        assert_int_equal(run("%s drift %s.h5 %s shifted/tickets.csv --report fam-%s --quiet --device cpu", g_bin, fam[k],
                             ref, fam[k]),
                         1);
        char name[64];
        snprintf(name, sizeof name, "fam-%s/report.json", fam[k]);
        json_t *r = load_json(name);
        assert_true(failed_check(r, "input.unseen_token_increase"));
        assert_true(json_array_size(json_object_get(json_object_get(r, "prediction"), "classes")) == 20);
        json_decref(r);
    }
    assert_int_equal(run("%s drift emb.h5 ref/tickets.csv cur/tickets.csv --quiet", g_bin), 0);
}

static void test_tabular_families(void **state) {
    (void)state;
    NEED_BINARY();
    const char *fam[] = {"mlp", "gbdt"};
    for (int k = 0; k < 2; k++) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "%s train churn-%s.ini --out churn-%s.h5 --quiet", g_bin, fam[k], fam[k]);
        assert_int_equal(run("%s", cmd), 0);
        /* unshifted customers of another corpus: no drift */
        assert_int_equal(run("%s drift churn-%s.h5 ref/customers.csv cur180/customers.csv --tickets ref/tickets.csv "
                             "--current-tickets cur180/tickets.csv --report tab0-%s",
                             g_bin, fam[k], fam[k]),
                         0);
        /* customers on worse terms: the contract and charges columns are named */
        assert_int_equal(run("%s drift churn-%s.h5 ref/customers.csv shifted180/customers.csv --tickets ref/tickets.csv "
                             "--current-tickets shifted180/tickets.csv --report tab1-%s",
                             g_bin, fam[k], fam[k]),
                         1);
        expect_output("input.column.contract.psi");
        char name[64];
        snprintf(name, sizeof name, "tab1-%s/report.json", fam[k]);
        json_t *r = load_json(name);
        assert_string_equal(json_string_value(json_object_get(r, "task")), "binary");
        assert_true(failed_check(r, "input.column.contract"));
        assert_true(failed_check(r, "input.column.monthly_charges"));
        json_t *cols = json_object_get(json_object_get(r, "input"), "columns");
        int history = 0;
        for (size_t i = 0; i < json_array_size(cols); i++)
            history += !strcmp(json_string_value(json_object_get(json_array_get(cols, i), "kind")), "history");
        assert_true(history >= 3); /* ticket-history columns are compared like any attribute */
        /* ticket counts come back in their own units as whole numbers (undoing the standardization
         * in float once gave 3.8e-09 for 0, and 1 as two near values: two bins for one value) */
        int counted = 0;
        for (size_t i = 0; i < json_array_size(cols); i++) {
            json_t *c = json_array_get(cols, i);
            if (strcmp(json_string_value(json_object_get(c, "name")), "tickets_30d")) continue;
            json_t *v = json_object_get(json_object_get(json_object_get(c, "numeric"), "histogram"), "values");
            assert_true(json_array_size(v) >= 2);
            for (size_t j = 0; j < json_array_size(v); j++) {
                double x = json_number_value(json_array_get(v, j));
                assert_true(x == floor(x));
                if (j) assert_true(x > json_number_value(json_array_get(v, j - 1)));
            }
            counted = 1;
        }
        assert_true(counted);
        assert_non_null(json_object_get(json_object_get(r, "prediction"), "score"));
        json_decref(r);
        snprintf(name, sizeof name, "tab1-%s", fam[k]);
        check_page(name);
    }
}

static void test_bad_input(void **state) {
    (void)state;
    NEED_BINARY();
    assert_int_equal(run("%s drift intent.h5 ref/tickets.csv nosuch.csv --report bad1", g_bin), 2);
    expect_output("nosuch.csv");
    assert_false(exists("bad1"));
    /* a current file without the model's text column */
    write_file("notext.csv", "ticket_id,body\nT1,hello\n");
    assert_int_equal(run("%s drift intent.h5 ref/tickets.csv notext.csv --report bad2", g_bin), 2);
    expect_output("text");
    assert_false(exists("bad2/report.json"));
    assert_int_equal(run("%s drift intent.h5 ref/tickets.csv cur/tickets.csv --max-psi -1", g_bin), 2);
    assert_int_equal(run("%s drift intent.h5 ref/tickets.csv", g_bin), 2);
    assert_int_equal(run("%s drift intent.h5 ref/tickets.csv cur/tickets.csv --time nosuchcol", g_bin), 2);
    expect_output("nosuchcol");
    assert_int_equal(run("%s drift ref/tickets.csv ref/tickets.csv cur/tickets.csv", g_bin), 2);
    /* a report folder that cannot be made: exit 3 and nothing written */
    write_file("plain", "x");
    assert_int_equal(run("%s drift intent.h5 ref/tickets.csv cur/tickets.csv --report plain/sub --quiet", g_bin), 3);
    assert_false(exists("plain/sub"));
}

/* ---- dump mode for scripts/check_drift_stats.py ------------------------------------------------ */

static float *read_floats(const char *path, int64_t *n) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    int64_t cap = 1024;
    float *v = malloc(sizeof *v * (size_t)cap);
    char line[128];
    *n = 0;
    while (v && fgets(line, sizeof line, f)) {
        if (*n == cap) v = realloc(v, sizeof *v * (size_t)(cap *= 2));
        if (v) v[(*n)++] = strtof(line, NULL);
    }
    fclose(f);
    return v;
}

static int dump_stats(const char *a, const char *b) {
    int64_t na, nb;
    float *x = read_floats(a, &na), *y = read_floats(b, &nb);
    TmlDriftNumeric d;
    if (!x || !y || tml_drift_numeric(x, na, y, nb, &d)) return 1;
    printf("{\"psi\": %.17g, \"js\": %.17g, \"ks\": %.17g, \"ks_p\": %.17g, \"wasserstein\": %.17g}\n", d.psi, d.js,
           d.ks, d.ks_p, d.wasserstein);
    tml_drift_numeric_free(&d);
    free(x);
    free(y);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "--stats")) return dump_stats(argv[2], argv[3]);
    static char self[512];
    g_self = realpath(argv[0], self) ? self : argv[0];
    const struct CMUnitTest stats[] = {
        cmocka_unit_test(test_psi_js),
        cmocka_unit_test(test_ks_wasserstein),
        cmocka_unit_test(test_against_scipy),
    };
    const struct CMUnitTest cli[] = {
        cmocka_unit_test(test_text_no_drift),     cmocka_unit_test(test_text_shift_found),
        cmocka_unit_test(test_text_without_labels), cmocka_unit_test(test_text_families),
        cmocka_unit_test(test_tabular_families),
        cmocka_unit_test(test_bad_input),
    };
    int rc = cmocka_run_group_tests_name("drift statistics", stats, NULL, NULL);
    return rc | cmocka_run_group_tests_name("drift command", cli, setup, teardown);
}
