/* test_export.c — export round trips: four small models trained in-process (text linear with
 * TF-IDF + char n-grams, text embedding + hidden layer with one-vs-all, tabular MLP with
 * categoricals, blanks and ticket-history features, gradient-boosted trees with the same plus
 * derived columns and missing values kept), exported as HDF5 and as safetensors + JSON; the
 * serving library must reproduce the trainer's probabilities (tml_model_score) to 1e-5 (trees: 1e-6),
 * identically from 4 threads and in batches. Loading must reject an edited weight byte, edited
 * metadata, a truncated file, a newer version and a foreign file with a clear message.
 * scripts/check_export.py (h5py / safetensors / numpy) is run on the exports when available. */
#include <errno.h>
#include <ftw.h>
#include <hdf5.h>
#include <math.h>
#include <pthread.h>
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

#include <cmocka.h>

#include "data/dataset.h"
#include "data/file.h"
#include "data/history.h"
#include "data/table.h"
#include "kernels/backend.h"
#include "serve/export_io.h"
#include "ticketml/serve.h"
#include "tests/util_test.h"
#include "trainer/export.h"
#include "trainer/modelfile.h"
#include "trainer/train.h"

enum { M_LINEAR = 0, M_EMBED = 1, M_TAB = 2, M_GBDT = 3, M_ENC = 4, N_MODELS = 5 };

typedef struct Trained {
    char name[16];
    char model_path[512];
    char dir_h5[512], dir_st[512];
    char test_path[512];
    int n_test, C;
    double tol;          /* serving vs trainer probabilities */
    float *ref;          /* (n_test, C) trainer probabilities */
    int32_t *labels;     /* (n_test) true classes */
    char **texts;        /* text models: (n_test) joined test texts */
    /* tabular: named fields per test row (file columns + history features) */
    int n_fields;
    char **field_names;  /* (n_fields) */
    char **field_values; /* (n_test * n_fields) */
} Trained;

static char g_tmp[256];
static Trained g_m[N_MODELS];

/* ---- small data sets written for the test ------------------------------------------------------ */

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *const INTENTS[4] = {"refund", "delivery", "password", "cancel"};
static const char *const PHRASES[4][5] = {
    {"I want my money back", "please refund order", "refund for a broken item", "charged twice refund now",
     "退款 请求 谢谢"},
    {"where is my parcel", "delivery is late again", "package not delivered", "tracking shows nothing",
     "配送 太慢 了"},
    {"cannot reset my password", "password link expired", "locked out of account", "login fails every time",
     "密码 重置 失败"},
    {"cancel my subscription", "please close my account", "stop the plan today", "I want to cancel",
     "取消 订阅"},
};
static const char *const FILLERS[6] = {"", " asap", " thanks", " order 12345", " see https://x.example/a",
                                       " cc @support"};

/* n rows of ticket_id,text,intent with a seeded mix of phrases and fillers. */
static void write_text_csv(const char *path, int n, uint64_t seed) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "ticket_id,text,intent\n");
    TuRng r;
    tu_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int k = tu_rng_int(&r, 4), p = tu_rng_int(&r, 5), q = tu_rng_int(&r, 5);
        /* a second phrase from another intent now and then makes the task less than trivial */
        int k2 = tu_rng_int(&r, 4);
        fprintf(f, "T%04d,\"%s%s%s%s\",%s\n", i, PHRASES[k][p], FILLERS[tu_rng_int(&r, 6)],
                tu_rng_int(&r, 4) == 0 ? " and " : "", tu_rng_int(&r, 4) == 0 ? PHRASES[k2][q] : "", INTENTS[k]);
    }
    fclose(f);
}

static const char *const PLANS[3] = {"basic", "plus", "pro"};

/* Customers: customer_id, tenure (some blank), plan, paperless, monthly, churn. */
static void write_customers(const char *path, int n, int first, uint64_t seed) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "customer_id,tenure,plan,paperless,monthly,churn\n");
    TuRng r;
    tu_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int tenure = tu_rng_int(&r, 72), plan = tu_rng_int(&r, 3), paper = tu_rng_int(&r, 2);
        float monthly = tu_rng_uniform(&r, 20, 110);
        double z = -0.04 * tenure + 0.02 * monthly + (plan == 0 ? 0.8 : -0.3) + (paper ? 0.4 : 0) - 0.7 +
                   tu_rng_uniform(&r, -1, 1);
        char ten[16] = "";
        if (tu_rng_int(&r, 10) != 0) snprintf(ten, sizeof ten, "%d", tenure);
        fprintf(f, "C%04d,%s,%s,%s,%.2f,%s\n", first + i, ten, PLANS[plan], paper ? "Yes" : "No", monthly,
                z > 0 ? "Yes" : "No");
    }
    fclose(f);
}

/* Tickets for customers C0000..C(n-1): a few each, in Jan-Feb 2025. */
static void write_tickets(const char *path, int n, uint64_t seed) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "ticket_id,customer_id,created_at,sentiment,intent,first_response_minutes\n");
    TuRng r;
    tu_rng_seed(&r, seed);
    int t = 0;
    for (int c = 0; c < n; c++) {
        int k = tu_rng_int(&r, 4);
        for (int j = 0; j < k; j++)
            fprintf(f, "K%05d,C%04d,2025-%02d-%02d,%s,%s,%d\n", t++, c, 1 + tu_rng_int(&r, 2), 1 + tu_rng_int(&r, 28),
                    tu_rng_int(&r, 3) == 0 ? "negative" : "neutral", tu_rng_int(&r, 2) ? "billing" : "tech",
                    5 + tu_rng_int(&r, 300));
    }
    fclose(f);
}

/* ---- training in-process, the way `ticketml train` does ------------------------------------------ */

static void train_and_export(Trained *t, const char *name, const char *ini_text) {
    snprintf(t->name, sizeof t->name, "%s", name);
    t->tol = strstr(ini_text, "type = gbdt") ? 1e-6 : 1e-5;
    char ini[512];
    snprintf(ini, sizeof ini, "%s/%s.ini", g_tmp, name);
    write_file(ini, ini_text);
    snprintf(t->model_path, sizeof t->model_path, "%s/%s.h5", g_tmp, name);
    snprintf(t->dir_h5, sizeof t->dir_h5, "%s/%s_h5", g_tmp, name);
    snprintf(t->dir_st, sizeof t->dir_st, "%s/%s_st", g_tmp, name);
    TmlError err;
    TmlConfig *cfg = tml_config_load(ini, &err);
    if (!cfg) fail_msg("%s", err.msg);
    TmlFeatures *f = NULL;
    TmlDataset *train = NULL, *valid = NULL, *test = NULL;
    if (tml_features_fit(cfg, &f, &train, &valid, &test, &err)) fail_msg("%s", err.msg);
    assert_non_null(test);
    TmlBackend *be = tml_backend_create(TML_DEVICE_CPU, 1, &err);
    assert_non_null(be);
    TmlModel *m = tml_model_configure(cfg, f, be, &err);
    if (!m) fail_msg("%s", err.msg);
    TmlTrainOptions o;
    if (tml_train_options_from_config(cfg, &o, &err)) fail_msg("%s", err.msg);
    o.quiet = 1;
    o.cfg = cfg;
    o.features = f;
    o.task = tml_config_str(cfg, "model.task", "");
    if (tml_model_init(m, o.seed, &err)) fail_msg("%s", err.msg);
    TmlTrainState st;
    tml_train_state_init(&st, o.seed, o.higher_is_better);
    if (tml_model_train(m, train, valid, &o, &st, &err) < 0) fail_msg("%s", err.msg);
    if (tml_modelfile_save(t->model_path, cfg, o.task, f, m, NULL, 0, &err)) fail_msg("%s", err.msg);
    t->ref = tml_model_score_new(m, test, 64, &err);
    assert_non_null(t->ref);
    t->n_test = (int)test->n_rows;
    t->C = m->n_out;
    t->labels = tu_xmalloc((size_t)t->n_test * sizeof *t->labels);
    memcpy(t->labels, test->labels, (size_t)t->n_test * sizeof *t->labels);
    if (f->kind == TML_DATA_TEXT) {
        t->texts = calloc((size_t)t->n_test, sizeof *t->texts);
        for (int i = 0; i < t->n_test; i++) t->texts[i] = strdup(test->texts[i]);
    }
    snprintf(t->test_path, sizeof t->test_path, "%s", test->source);
    /* tabular: the test rows as named fields, history features computed the way the trainer does
     * and written as the text the trainer's joined table holds ("%.9g") */
    if (f->kind == TML_DATA_TABULAR) {
        TmlTable *tt = tml_table_read(test->source, TML_FORMAT_AUTO, &err);
        assert_non_null(tt);
        char tk_path[512];
        snprintf(tk_path, sizeof tk_path, "%s/tickets.csv", g_tmp);
        TmlTable *tk = tml_table_read(tk_path, TML_FORMAT_AUTO, &err);
        assert_non_null(tk);
        float *hv = NULL;
        int hd = 0;
        char **hn = NULL;
        assert_int_equal(tml_history_features(&f->history, tt, tk, &hv, &hd, &hn, &err), 0);
        assert_true(f->history_dim > 0);
        t->n_fields = tt->n_cols + f->history_dim;
        t->field_names = calloc((size_t)t->n_fields, sizeof(char *));
        t->field_values = calloc((size_t)t->n_fields * (size_t)t->n_test, sizeof(char *));
        for (int c = 0; c < tt->n_cols; c++) t->field_names[c] = strdup(tt->col_names[c]);
        for (int j = 0; j < f->history_dim; j++) t->field_names[tt->n_cols + j] = strdup(f->history_names[j]);
        for (int r = 0; r < t->n_test; r++) {
            char **row = t->field_values + (size_t)r * t->n_fields;
            for (int c = 0; c < tt->n_cols; c++) row[c] = strdup(tml_table_cell(tt, r, c));
            for (int j = 0; j < f->history_dim; j++) {
                float v = 0;
                for (int h = 0; h < hd; h++)
                    if (!strcmp(hn[h], f->history_names[j])) v = hv[(size_t)r * hd + h];
                char buf[32];
                snprintf(buf, sizeof buf, "%.9g", (double)v);
                row[tt->n_cols + j] = strdup(buf);
            }
        }
        /* the same rows with the history features as columns, for `ticketml predict` */
        snprintf(t->test_path, sizeof t->test_path, "%s/cust_test_history.csv", g_tmp);
        FILE *out = fopen(t->test_path, "w");
        assert_non_null(out);
        for (int c = 0; c < t->n_fields; c++) fprintf(out, "%s%s", c ? "," : "", t->field_names[c]);
        fputc('\n', out);
        for (int r = 0; r < t->n_test; r++)
            for (int c = 0; c < t->n_fields; c++)
                fprintf(out, "%s%s", t->field_values[(size_t)r * t->n_fields + c], c + 1 < t->n_fields ? "," : "\n");
        fclose(out);
        for (int h = 0; h < hd; h++) free(hn[h]);
        free(hn);
        free(hv);
        tml_table_free(tk);
        tml_table_free(tt);
    }
    TmlExportSummary sum_h5, sum_st;
    if (tml_export_model_file(t->model_path, t->dir_h5, TML_EXPORT_HDF5, &sum_h5, &err)) fail_msg("%s", err.msg);
    if (tml_export_model_file(t->model_path, t->dir_st, TML_EXPORT_SAFETENSORS, &sum_st, &err)) fail_msg("%s", err.msg);
    /* one checksum for one export, whatever the file format */
    assert_string_equal(sum_h5.checksum, sum_st.checksum);
    assert_int_equal(sum_h5.n_labels, t->C);
    tml_model_free(m);
    tml_backend_free(be);
    tml_dataset_free(train);
    tml_dataset_free(valid);
    tml_dataset_free(test);
    tml_features_free(f);
    tml_config_free(cfg);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) { return remove(path); }

static int setup(void **state) {
    snprintf(g_tmp, sizeof g_tmp, "/tmp/tml_export_XXXXXX");
    if (!mkdtemp(g_tmp)) return -1;
    char p[512];
    snprintf(p, sizeof p, "%s/text_train.csv", g_tmp);
    write_text_csv(p, 320, 1);
    snprintf(p, sizeof p, "%s/text_test.csv", g_tmp);
    write_text_csv(p, 80, 2);
    snprintf(p, sizeof p, "%s/cust_train.csv", g_tmp);
    write_customers(p, 300, 0, 3);
    snprintf(p, sizeof p, "%s/cust_test.csv", g_tmp);
    write_customers(p, 60, 300, 4);
    snprintf(p, sizeof p, "%s/tickets.csv", g_tmp);
    write_tickets(p, 360, 5);
    char ini[4096];
    snprintf(ini, sizeof ini,
             "[data]\nkind = text\ntrain = %s/text_train.csv\ntest = %s/text_test.csv\ntext = text\nlabel = intent\n"
             "id = ticket_id\nvalid_frac = 0\n"
             "[text]\nword_ngrams = 2\nminn = 2\nmaxn = 4\nbuckets = 5000\ntfidf = true\n"
             "[model]\ntask = intent\ntype = linear\n"
             "[train]\noptimizer = adamw\nlr = 0.05\nepochs = 4\nbatch_size = 16\nseed = 3\n",
             g_tmp, g_tmp);
    train_and_export(&g_m[M_LINEAR], "linear", ini);
    snprintf(ini, sizeof ini,
             "[data]\nkind = text\ntrain = %s/text_train.csv\ntest = %s/text_test.csv\ntext = text\nlabel = intent\n"
             "valid_frac = 0\n"
             "[text]\nword_ngrams = 2\nbuckets = 3000\nmin_count = 2\n"
             "[model]\ntask = intent\ntype = embedding\ndim = 12\nhidden = 8\nloss = ova\nbag = mean\n"
             "[train]\noptimizer = adamw\nlr = 0.02\nepochs = 4\nbatch_size = 16\nseed = 4\n",
             g_tmp, g_tmp);
    train_and_export(&g_m[M_EMBED], "embed", ini);
    snprintf(ini, sizeof ini,
             "[data]\nkind = tabular\ntrain = %s/cust_train.csv\ntest = %s/cust_test.csv\nlabel = churn\n"
             "id = customer_id\npositive = Yes\ntickets = %s/tickets.csv\nhistory = true\ncustomer = customer_id\n"
             "cutoff = 2025-03-01\nvalid_frac = 0\n"
             "[tabular]\nimpute = median\n"
             "[model]\ntask = churn\ntype = mlp\nhidden = 8\n"
             "[train]\noptimizer = adamw\nlr = 0.01\nepochs = 5\nbatch_size = 32\nseed = 5\n",
             g_tmp, g_tmp, g_tmp);
    train_and_export(&g_m[M_TAB], "tabular", ini);
    snprintf(ini, sizeof ini,
             "[data]\nkind = tabular\ntrain = %s/cust_train.csv\ntest = %s/cust_test.csv\nlabel = churn\n"
             "id = customer_id\npositive = Yes\ntickets = %s/tickets.csv\nhistory = true\ncustomer = customer_id\n"
             "cutoff = 2025-03-01\nvalid_frac = 0.2\n"
             "[tabular]\nratios = monthly/tenure\nbuckets = tenure: 12 24 48\n"
             "counts = extras: paperless=Yes, plan!=basic\ncrosses = plan*paperless\n"
             "[model]\ntask = churn\ntype = gbdt\nmax_leaves = 8\nmin_data_in_leaf = 5\n"
             "[train]\nrounds = 40\nlr = 0.2\nseed = 6\n",
             g_tmp, g_tmp, g_tmp);
    train_and_export(&g_m[M_GBDT], "gbdt", ini);
    /* a tiny random-initialised encoder (2 layers, width 32) with a WordPiece vocabulary of the
     * corpus words plus single letters and digits (plain and ## continuations) */
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir -p tok && (printf '[PAD]\\n[UNK]\\n[CLS]\\n[SEP]\\n[MASK]\\n'; "
             "cat text_train.csv text_test.csv | tr -cs 'A-Za-z0-9' '\\n' | tr 'A-Z' 'a-z' | sort -u | grep -v '^$'; "
             "for c in a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4 5 6 7 8 9; do echo $c; echo \"##$c\"; "
             "done; printf '%%s\\n' . , ! ? - : / @) | awk '!seen[$0]++' > tok/vocab.txt",
             g_tmp);
    if (system(cmd) != 0) return -1;
    snprintf(ini, sizeof ini,
             "[data]\nkind = text\ntrain = %s/text_train.csv\ntest = %s/text_test.csv\ntext = text\nlabel = intent\n"
             "id = ticket_id\nvalid_frac = 0\n"
             "[model]\ntask = intent\ntype = encoder\npretrained = %s/tok\ninit = random\nlayers = 2\nwidth = 32\n"
             "heads = 4\nmax_len = 32\n"
             "[train]\noptimizer = adamw\nlr = 3e-3\nwarmup = 0.1\nepochs = 8\nbatch_size = 16\nclip = 1.0\n"
             "patience = 0\nseed = 7\n",
             g_tmp, g_tmp, g_tmp);
    train_and_export(&g_m[M_ENC], "encoder", ini);
    return 0;
}

static int teardown(void **state) {
    for (int k = 0; k < N_MODELS; k++) {
        Trained *t = &g_m[k];
        free(t->ref);
        free(t->labels);
        if (t->texts)
            for (int i = 0; i < t->n_test; i++) free(t->texts[i]);
        free(t->texts);
        for (int i = 0; i < t->n_fields; i++) free(t->field_names[i]);
        for (int i = 0; i < t->n_fields * t->n_test; i++) free(t->field_values[i]);
        free(t->field_names);
        free(t->field_values);
    }
    if (!getenv("TML_KEEP_TMP")) nftw(g_tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

/* ---- round trips ------------------------------------------------------------------------------- */

/* Serving probabilities of every test row of t through the single-row API. */
static float *serve_all(const TmlServeModel *sm, const Trained *t, int *tops) {
    float *p = tu_xmalloc((size_t)t->n_test * t->C * sizeof *p);
    for (int i = 0; i < t->n_test; i++) {
        TmlError err;
        int rc = t->texts ? tml_serve_predict_text(sm, t->texts[i], p + (size_t)i * t->C, tops ? &tops[i] : NULL, &err)
                          : tml_serve_predict_row(sm, (const char *const *)t->field_names,
                                                  (const char *const *)t->field_values + (size_t)i * t->n_fields,
                                                  t->n_fields, p + (size_t)i * t->C, tops ? &tops[i] : NULL, &err);
        if (rc) fail_msg("%s row %d: %s", t->name, i, err.msg);
    }
    return p;
}

static void check_round_trip(const Trained *t, const char *dir) {
    TmlError err;
    TmlServeModel *sm = tml_serve_load(dir, &err);
    if (!sm) fail_msg("%s: %s", dir, err.msg);
    assert_int_equal(tml_serve_n_labels(sm), t->C);
    assert_int_equal(tml_serve_is_text(sm), t->texts != NULL);
    int *tops = tu_xmalloc((size_t)t->n_test * sizeof *tops);
    float *p = serve_all(sm, t, tops);
    size_t n = (size_t)t->n_test * t->C;
    assert_int_equal(tu_count_mismatch(t->name, p, t->ref, n, t->tol, 0), 0);
    double worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)p[i] - t->ref[i]));
    printf("  %-8s %-28s %3d rows x %2d labels: max |serve - trainer| = %.2g\n", t->name, strrchr(dir, '/') + 1,
           t->n_test, t->C, worst);
    /* the top label is the argmax of the probabilities */
    for (int i = 0; i < t->n_test; i++) {
        const float *pi = p + (size_t)i * t->C;
        for (int c = 0; c < t->C; c++) assert_true(pi[c] <= pi[tops[i]]);
    }
    /* the model learned something: most test rows get their label's class on top (guards against
     * comparing two equally broken pipelines on a constant model) */
    int right = 0;
    for (int i = 0; i < t->n_test; i++) right += tops[i] == t->labels[i];
    assert_true(right > t->n_test * 6 / 10);
    free(p);
    free(tops);
    tml_serve_free(sm);
}

static void test_round_trip_linear(void **state) {
    check_round_trip(&g_m[M_LINEAR], g_m[M_LINEAR].dir_h5);
    check_round_trip(&g_m[M_LINEAR], g_m[M_LINEAR].dir_st);
}

static void test_round_trip_embedding(void **state) {
    check_round_trip(&g_m[M_EMBED], g_m[M_EMBED].dir_h5);
    check_round_trip(&g_m[M_EMBED], g_m[M_EMBED].dir_st);
}

/* The encoder export: tokenizer + transformer through the reference CPU ops, equal to the trainer. */
static void test_round_trip_encoder(void **state) {
    check_round_trip(&g_m[M_ENC], g_m[M_ENC].dir_h5);
    check_round_trip(&g_m[M_ENC], g_m[M_ENC].dir_st);
}

static void test_round_trip_tabular(void **state) {
    check_round_trip(&g_m[M_TAB], g_m[M_TAB].dir_h5);
    check_round_trip(&g_m[M_TAB], g_m[M_TAB].dir_st);
}

/* Loading by file instead of directory gives the same model. */
static void test_load_by_file(void **state) {
    char p[600];
    TmlError err;
    snprintf(p, sizeof p, "%s/model.h5", g_m[M_LINEAR].dir_h5);
    TmlServeModel *a = tml_serve_load(p, &err);
    snprintf(p, sizeof p, "%s/model.json", g_m[M_LINEAR].dir_st);
    TmlServeModel *b = tml_serve_load(p, &err);
    snprintf(p, sizeof p, "%s/model.safetensors", g_m[M_LINEAR].dir_st);
    TmlServeModel *c = tml_serve_load(p, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_string_equal(tml_serve_checksum(a), tml_serve_checksum(b));
    assert_string_equal(tml_serve_checksum(a), tml_serve_checksum(c));
    assert_string_equal(tml_serve_label_name(a, 0), "cancel");
    assert_null(tml_serve_label_name(a, 4));
    assert_string_equal(tml_serve_task(a), "intent");
    assert_string_equal(tml_serve_id_column(a), "ticket_id");
    tml_serve_free(a);
    tml_serve_free(b);
    tml_serve_free(c);
}

/* Features -> probabilities equals the one-call predict; ids out of range are refused. */
static void test_features_api(void **state) {
    const Trained *t = &g_m[M_LINEAR];
    TmlError err;
    TmlServeModel *sm = tml_serve_load(t->dir_h5, &err);
    assert_non_null(sm);
    float p1[8], p2[8];
    int32_t *ids;
    float *w;
    int64_t n = tml_serve_text_features(sm, t->texts[0], &ids, &w, &err);
    assert_true(n > 0);
    assert_int_equal(tml_serve_predict_features(sm, ids, w, n, NULL, p1, NULL, &err), 0);
    assert_int_equal(tml_serve_predict_text(sm, t->texts[0], p2, NULL, &err), 0);
    assert_memory_equal(p1, p2, (size_t)t->C * sizeof(float));
    ids[0] = 1 << 30;
    assert_int_equal(tml_serve_predict_features(sm, ids, w, n, NULL, p1, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "outside"));
    free(ids);
    free(w);
    /* invalid UTF-8 is an error naming the byte (the model's invalid_utf8 = error) */
    assert_int_equal(tml_serve_predict_text(sm, "bad \xff byte", p1, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "UTF-8"));
    /* a tabular call on a text model says which call to use */
    assert_int_equal(tml_serve_predict_row(sm, NULL, NULL, 0, p1, NULL, &err), -1);
    tml_serve_free(sm);

    const Trained *tb = &g_m[M_TAB];
    sm = tml_serve_load(tb->dir_st, &err);
    assert_non_null(sm);
    assert_true(tml_serve_history_dim(sm) > 0);
    /* a missing field is named */
    assert_int_equal(tml_serve_predict_row(sm, (const char *const *)tb->field_names,
                                           (const char *const *)tb->field_values, 2, p1, NULL, &err),
                     -1);
    assert_non_null(strstr(err.msg, "no field"));
    tml_serve_free(sm);
}

/* ---- concurrency and batches ------------------------------------------------------------------- */

typedef struct Job {
    const TmlServeModel *sm;
    const Trained *t;
    float *out;
} Job;

static void *job_run(void *arg) {
    Job *j = (Job *)arg;
    for (int rep = 0; rep < 3; rep++)
        for (int i = 0; i < j->t->n_test; i++) {
            TmlError err;
            float *p = j->out + (size_t)i * j->t->C;
            int rc = j->t->texts ? tml_serve_predict_text(j->sm, j->t->texts[i], p, NULL, &err)
                                 : tml_serve_predict_row(j->sm, (const char *const *)j->t->field_names,
                                                         (const char *const *)j->t->field_values +
                                                             (size_t)i * j->t->n_fields,
                                                         j->t->n_fields, p, NULL, &err);
            if (rc) return (void *)1;
        }
    return NULL;
}

static void *load_run(void *arg) {
    const char *dir = (const char *)arg;
    for (int rep = 0; rep < 5; rep++) {
        TmlError err;
        TmlServeModel *sm = tml_serve_load(dir, &err);
        if (!sm) return (void *)1;
        tml_serve_free(sm);
    }
    return NULL;
}

/* Loads of different exports from several threads at once (HDF5 calls are serialized inside). */
static void test_concurrent_loads(void **state) {
    pthread_t th[4];
    const char *dirs[4] = {g_m[M_LINEAR].dir_h5, g_m[M_EMBED].dir_h5, g_m[M_TAB].dir_h5, g_m[M_TAB].dir_st};
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, load_run, (void *)dirs[i]), 0);
    for (int i = 0; i < 4; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
}

static void test_threads(void **state) {
    for (int k = 0; k < N_MODELS; k++) {
        const Trained *t = &g_m[k];
        TmlError err;
        TmlServeModel *sm = tml_serve_load(t->dir_h5, &err);
        assert_non_null(sm);
        float *ref = serve_all(sm, t, NULL);
        size_t n = (size_t)t->n_test * t->C;
        pthread_t th[4];
        Job jobs[4];
        for (int i = 0; i < 4; i++) {
            jobs[i] = (Job){sm, t, tu_xmalloc(n * sizeof(float))};
            assert_int_equal(pthread_create(&th[i], NULL, job_run, &jobs[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
            void *ret;
            pthread_join(th[i], &ret);
            assert_null(ret);
            assert_memory_equal(jobs[i].out, ref, n * sizeof(float)); /* bit-identical */
            free(jobs[i].out);
        }
        if (t->texts) {
            /* batches, serial and on 4 OpenMP threads, match the single-text calls bit for bit */
            for (int threads = 1; threads <= 4; threads += 3) {
                float *b = tu_xmalloc(n * sizeof(float));
                int *tops = tu_xmalloc((size_t)t->n_test * sizeof(int));
                assert_int_equal(
                    tml_serve_predict_batch(sm, (const char *const *)t->texts, t->n_test, b, tops, threads, &err), 0);
                assert_memory_equal(b, ref, n * sizeof(float));
                free(b);
                free(tops);
            }
            /* a bad row in a batch names its index (the n-gram featurizer refuses invalid UTF-8; an
             * encoder's tokenizer reads it as U+FFFD, as it did in training) */
            const char *bad[3] = {t->texts[0], "x \xc3", t->texts[1]};
            float b3[3 * 8];
            if (k != M_ENC) {
                assert_int_equal(tml_serve_predict_batch(sm, bad, 3, b3, NULL, 2, &err), -1);
                assert_non_null(strstr(err.msg, "text 1"));
            } else {
                assert_int_equal(tml_serve_predict_batch(sm, bad, 3, b3, NULL, 2, &err), 0);
                assert_memory_equal(b3, ref, (size_t)t->C * sizeof(float));
            }
        }
        free(ref);
        tml_serve_free(sm);
    }
}

/* ---- rejection --------------------------------------------------------------------------------- */

static void copy_file(const char *from, const char *to) {
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0) assert_int_equal(fwrite(buf, 1, n, b), n);
    fclose(a);
    fclose(b);
}

/* A fresh copy of export dir src (model.h5 or the json + safetensors pair) at dst. */
static void copy_export(const char *src, const char *dst) {
    mkdir(dst, 0777);
    const char *names[3] = {"model.h5", "model.json", "model.safetensors"};
    for (int k = 0; k < 3; k++) {
        char a[700], b[700];
        snprintf(a, sizeof a, "%s/%s", src, names[k]);
        snprintf(b, sizeof b, "%s/%s", dst, names[k]);
        if (access(a, F_OK) == 0) copy_file(a, b);
        else unlink(b);
    }
}

static void flip_byte(const char *path, long off) {
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    int c = fgetc(f);
    assert_true(c != EOF);
    fseek(f, off, SEEK_SET);
    fputc(c ^ 0x01, f);
    fclose(f);
}

/* Rewrites the checksum block of an HDF5 file written by ticketml for its current bytes (a file a
 * newer ticketml wrote, say), so the reader gets past the checksum to what the test is about. */
static void restamp(const char *path) {
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    char *b = tu_xmalloc((size_t)n);
    fseek(f, 0, SEEK_SET);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    char head[512] = {0};
    snprintf(head, sizeof head, "ticketml-checksum 1\ncrc32c %08x\nbytes %ld\n",
             (unsigned)tml_crc32c(0, b + 512, (size_t)n - 512), n - 512);
    fseek(f, 0, SEEK_SET);
    assert_int_equal(fwrite(head, 1, sizeof head, f), sizeof head);
    fclose(f);
    free(b);
}

static long file_size(const char *path) {
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long)st.st_size;
}

static void expect_reject(const char *path, const char *needle) {
    TmlError err;
    err.msg[0] = 0;
    TmlServeModel *sm = tml_serve_load(path, &err);
    if (sm) {
        tml_serve_free(sm);
        fail_msg("%s loaded, but should be rejected with '%s'", path, needle);
    }
    if (!strstr(err.msg, needle)) fail_msg("%s: message '%s' lacks '%s'", path, err.msg, needle);
}

/* Trees: the serving library walks the exported arrays to the trainer's probabilities; the row
 * API computes the derived columns itself (they are not fields a caller sends); an edited leaf
 * value breaks the checksum. */
static void test_round_trip_gbdt(void **state) {
    const Trained *t = &g_m[M_GBDT];
    check_round_trip(t, t->dir_h5);
    check_round_trip(t, t->dir_st);
    TmlError err;
    /* trees, derived columns and kept missing values need format version 2; networks stay at 1 */
    TmlExport *ex = tml_export_read(t->dir_h5, &err), *ex1 = tml_export_read(g_m[M_TAB].dir_h5, &err);
    assert_non_null(ex);
    assert_non_null(ex1);
    assert_int_equal(ex->format_version, 2);
    assert_int_equal(ex1->format_version, 1);
    tml_export_free(ex);
    tml_export_free(ex1);
    TmlServeModel *sm = tml_serve_load(t->dir_h5, &err);
    assert_non_null(sm);
    for (int k = 0; k < tml_serve_n_fields(sm); k++) {
        const char *f = tml_serve_field_name(sm, k);
        assert_null(strstr(f, "_bucket"));
        assert_null(strchr(f, '*'));
        assert_null(strchr(f, '/'));
    }
    tml_serve_free(sm);
    char d[600], p[700];
    snprintf(d, sizeof d, "%s/bad_trees_st", g_tmp);
    copy_export(t->dir_st, d);
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    flip_byte(p, file_size(p) - 3); /* the last tensor by key: trees/value */
    expect_reject(d, "checksum mismatch");
}

static void test_reject_edited_weights(void **state) {
    char d[600], p[700];
    /* HDF5: one bit of the embedding table, found at its real file offset */
    snprintf(d, sizeof d, "%s/bad_w_h5", g_tmp);
    copy_export(g_m[M_LINEAR].dir_h5, d);
    snprintf(p, sizeof p, "%s/model.h5", d);
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = H5Dopen2(f, "/weights/embedding", H5P_DEFAULT);
    haddr_t off = H5Dget_offset(ds);
    H5Dclose(ds);
    H5Fclose(f);
    assert_true(off != HADDR_UNDEF);
    flip_byte(p, (long)off + 4 * 77 + 2);
    expect_reject(d, "checksum mismatch");
    /* safetensors: one bit of the data block */
    snprintf(d, sizeof d, "%s/bad_w_st", g_tmp);
    copy_export(g_m[M_LINEAR].dir_st, d);
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    flip_byte(p, file_size(p) - 9);
    expect_reject(d, "checksum mismatch");
    /* JSON metadata: a label renamed keeps valid JSON but breaks the checksum */
    snprintf(d, sizeof d, "%s/bad_meta", g_tmp);
    copy_export(g_m[M_LINEAR].dir_st, d);
    snprintf(p, sizeof p, "%s/model.json", d);
    FILE *jf = fopen(p, "rb");
    assert_non_null(jf);
    long n = file_size(p);
    char *text = tu_xmalloc((size_t)n + 1);
    assert_int_equal(fread(text, 1, (size_t)n, jf), (size_t)n);
    text[n] = 0;
    fclose(jf);
    char *lab = strstr(text, "\"refund\"");
    assert_non_null(lab);
    lab[1] = 'R';
    write_file(p, text);
    free(text);
    expect_reject(d, "checksum mismatch");
}

static void test_reject_truncated(void **state) {
    char d[600], p[700];
    snprintf(d, sizeof d, "%s/trunc_h5", g_tmp);
    copy_export(g_m[M_LINEAR].dir_h5, d);
    snprintf(p, sizeof p, "%s/model.h5", d);
    assert_int_equal(truncate(p, file_size(p) / 2), 0);
    expect_reject(d, "truncated");
    assert_int_equal(truncate(p, 100), 0);
    expect_reject(d, "truncated");
    snprintf(d, sizeof d, "%s/trunc_st", g_tmp);
    copy_export(g_m[M_EMBED].dir_st, d);
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    assert_int_equal(truncate(p, file_size(p) - 4), 0);
    expect_reject(d, "truncated");
    assert_int_equal(truncate(p, 5), 0);
    expect_reject(d, "truncated");
    snprintf(d, sizeof d, "%s/trunc_json", g_tmp);
    copy_export(g_m[M_TAB].dir_st, d);
    snprintf(p, sizeof p, "%s/model.json", d);
    assert_int_equal(truncate(p, file_size(p) / 2), 0);
    expect_reject(d, "truncated");
}

static void test_reject_version(void **state) {
    char d[600], p[700];
    snprintf(d, sizeof d, "%s/ver_h5", g_tmp);
    copy_export(g_m[M_TAB].dir_h5, d);
    snprintf(p, sizeof p, "%s/model.h5", d);
    hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    int64_t v = TML_EXPORT_VERSION + 1;
    assert_true(H5Awrite(a, H5T_NATIVE_INT64, &v) >= 0);
    H5Aclose(a);
    H5Fclose(f);
    expect_reject(d, "checksum mismatch"); /* an edit in place breaks the file's checksum ... */
    restamp(p);                             /* ... a newer writer's file has a valid one */
    char needle[64];
    snprintf(needle, sizeof needle, "version %d is not supported", TML_EXPORT_VERSION + 1);
    expect_reject(d, needle);
    snprintf(d, sizeof d, "%s/ver_json", g_tmp);
    copy_export(g_m[M_LINEAR].dir_st, d);
    snprintf(p, sizeof p, "%s/model.json", d);
    long n = file_size(p);
    char *text = tu_xmalloc((size_t)n + 1);
    FILE *jf = fopen(p, "rb");
    assert_int_equal(fread(text, 1, (size_t)n, jf), (size_t)n);
    fclose(jf);
    text[n] = 0;
    char *ver = strstr(text, "\"format_version\": 1");
    assert_non_null(ver);
    ver[strlen("\"format_version\": ")] = '7';
    write_file(p, text);
    free(text);
    expect_reject(d, "version 7 is not supported");
}

static void test_reject_foreign_and_missing(void **state) {
    expect_reject(g_m[M_LINEAR].model_path, "not a ticketml export"); /* a trainer model file */
    char p[600];
    snprintf(p, sizeof p, "%s/nope", g_tmp);
    expect_reject(p, "no such export");
    snprintf(p, sizeof p, "%s/text_train.csv", g_tmp);
    expect_reject(p, "not an HDF5 export");
    /* both formats in one directory: ambiguous, say so */
    char d[600], a[700], b[700];
    snprintf(d, sizeof d, "%s/both", g_tmp);
    copy_export(g_m[M_LINEAR].dir_st, d);
    snprintf(a, sizeof a, "%s/model.h5", g_m[M_LINEAR].dir_h5);
    snprintf(b, sizeof b, "%s/model.h5", d);
    copy_file(a, b);
    expect_reject(d, "holds both");
}

/* An export that fails leaves nothing behind; a second export into a directory replaces the
 * other format's files so one directory holds one export. */
static void test_export_atomic(void **state) {
    char d[600], p[700];
    TmlError err;
    snprintf(d, sizeof d, "%s/never", g_tmp);
    snprintf(p, sizeof p, "%s/missing.h5", g_tmp);
    assert_int_equal(tml_export_model_file(p, d, TML_EXPORT_HDF5, NULL, &err), 2); /* bad input */
    assert_non_null(strstr(err.msg, "missing.h5"));
    assert_int_not_equal(access(d, F_OK), 0);
    /* --out naming a file */
    snprintf(p, sizeof p, "%s/text_train.csv", g_tmp);
    /* --out naming a file or a missing parent: bad input, refused before the model is read */
    assert_int_equal(tml_export_model_file(g_m[M_LINEAR].model_path, p, TML_EXPORT_HDF5, NULL, &err), 2);
    assert_non_null(strstr(err.msg, "is a file, not a folder"));
    snprintf(d, sizeof d, "%s/nowhere/ex", g_tmp);
    assert_int_equal(tml_export_model_file(g_m[M_LINEAR].model_path, d, TML_EXPORT_HDF5, NULL, &err), 2);
    assert_non_null(strstr(err.msg, "does not exist; create it first"));
    /* switch formats in place */
    snprintf(d, sizeof d, "%s/switch", g_tmp);
    assert_int_equal(tml_export_model_file(g_m[M_EMBED].model_path, d, TML_EXPORT_SAFETENSORS, NULL, &err), 0);
    assert_int_equal(tml_export_model_file(g_m[M_EMBED].model_path, d, TML_EXPORT_HDF5, NULL, &err), 0);
    snprintf(p, sizeof p, "%s/model.json", d);
    assert_int_not_equal(access(p, F_OK), 0);
    TmlServeModel *sm = tml_serve_load(d, &err);
    assert_non_null(sm);
    tml_serve_free(sm);
}

/* `ticketml predict DATA --tickets FILE` computes the history features itself and prints the
 * trainer's probabilities (6 decimals). */
static void test_predict_cli_tickets(void **state) {
    const char *exe = getenv("TICKETML");
    if (!exe) exe = "./ticketml";
    if (access(exe, X_OK) != 0) {
        printf("  skipped: no ticketml binary at %s (build it, or set TICKETML)\n", exe);
        skip();
    }
    const Trained *t = &g_m[M_TAB];
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s predict %s %s/cust_test.csv --tickets %s/tickets.csv --top 2", exe, t->dir_h5, g_tmp,
             g_tmp);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[1024];
    int r = 0;
    while (fgets(line, sizeof line, p)) {
        char id[64], l1[32], l2[32];
        double p1, p2;
        assert_int_equal(sscanf(line, "%63s %31s %lf %31s %lf", id, l1, &p1, l2, &p2), 5);
        assert_true(r < t->n_test);
        int k1 = !strcmp(l1, "Yes"); /* labels sorted: No = 0, Yes = 1 */
        assert_true(fabs(p1 - t->ref[(size_t)r * 2 + k1]) < 1e-5);
        assert_true(fabs(p2 - t->ref[(size_t)r * 2 + !k1]) < 1e-5);
        r++;
    }
    assert_int_equal(pclose(p), 0);
    assert_int_equal(r, t->n_test);
    /* without the tickets the missing history columns are named, exit 2 */
    snprintf(cmd, sizeof cmd, "%s predict %s %s/cust_test.csv >/dev/null 2>&1", exe, t->dir_h5, g_tmp);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
}

/* ---- the independent Python reader ------------------------------------------------------------ */

static void test_check_export_py(void **state) {
    const char *exe = getenv("TICKETML");
    if (!exe) exe = "./ticketml";
    if (access(exe, X_OK) != 0) {
        printf("  skipped: no ticketml binary at %s (build it, or set TICKETML)\n", exe);
        skip();
    }
    if (access("scripts/check_export.py", R_OK) != 0) {
        printf("  skipped: scripts/check_export.py not found (run the tests from the repository root)\n");
        skip();
    }
    if (system("python3 -c 'import numpy, h5py' >/dev/null 2>&1") != 0) {
        printf("  skipped: python3 with numpy and h5py is not available (pip install numpy h5py)\n");
        skip();
    }
    int have_st = system("python3 -c 'import safetensors' >/dev/null 2>&1") == 0;
    if (!have_st) printf("  note: the safetensors package is missing; checking the HDF5 exports only\n");
    for (int k = 0; k < N_MODELS; k++)
        for (int f = 0; f < 1 + have_st; f++) {
            const Trained *t = &g_m[k];
            char cmd[2048];
            snprintf(cmd, sizeof cmd, "python3 scripts/check_export.py --ticketml %s --export %s --data %s --tol %g",
                     exe, f ? t->dir_st : t->dir_h5, t->test_path, t->tol);
            int rc = system(cmd);
            if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0) fail_msg("check_export.py failed (%d) on %s", rc, cmd);
        }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_linear),     cmocka_unit_test(test_round_trip_embedding),
        cmocka_unit_test(test_round_trip_tabular),    cmocka_unit_test(test_round_trip_gbdt),
        cmocka_unit_test(test_round_trip_encoder),
        cmocka_unit_test(test_load_by_file),
        cmocka_unit_test(test_features_api),          cmocka_unit_test(test_threads),
        cmocka_unit_test(test_concurrent_loads),
        cmocka_unit_test(test_reject_edited_weights), cmocka_unit_test(test_reject_truncated),
        cmocka_unit_test(test_reject_version),        cmocka_unit_test(test_reject_foreign_and_missing),
        cmocka_unit_test(test_export_atomic),         cmocka_unit_test(test_predict_cli_tickets),
        cmocka_unit_test(test_check_export_py),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
