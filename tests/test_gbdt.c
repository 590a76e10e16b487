/* test_gbdt.c — gradient-boosted trees on the CPU backend: bin edges, split finding on histograms
 * with a known best split (numeric, missing-value direction, one-vs-rest and sorted categorical),
 * histograms and stable partitions against naive loops (the gradients' finite-difference check is
 * in test_ops_grad.c), a tree's first split on a tiny dataset, learning XOR-like and 3-class problems,
 * bit-identical trees for a seed (with row and feature sampling), predictions on values equal to
 * predictions on bins, and the model file round trip. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "data/h5.h"
#include "kernels/backend.h"
#include "kernels/gbdt_common.h"
#include "ticketml/rng.h"
#include "trainer/gbdt/boost.h"
#include "trainer/gbdt/model.h"
#include "eval/tree_explain.h"
#include "tests/util_test.h"

static TmlBackend *g_be;

static int setup(void **state) {
    TmlError err;
    g_be = tml_backend_create(TML_DEVICE_CPU, 1, &err);
    return g_be ? 0 : -1;
}
static int teardown(void **state) {
    tml_backend_free(g_be);
    return 0;
}

/* ---- fixtures -------------------------------------------------------------------------------- */

/* A tabular layout of n_num numeric columns then (cat_k > 0) one categorical column of cat_k
 * one-hot columns. Caller frees with tab_free. */
static TmlTabular *tab_make(int n_num, int cat_k) {
    TmlTabular *tb = calloc(1, sizeof *tb);
    tb->n_cols = n_num + (cat_k > 0);
    tb->cols = calloc((size_t)tb->n_cols, sizeof *tb->cols);
    tb->dim = n_num + cat_k;
    tb->feature_names = calloc((size_t)tb->dim, sizeof(char *));
    for (int i = 0; i < n_num; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "x%d", i);
        tb->cols[i].name = strdup(nm);
        tb->cols[i].type = TML_COL_NUMERIC;
        tb->cols[i].offset = i;
        tb->cols[i].std = 1;
        tb->feature_names[i] = strdup(nm);
    }
    if (cat_k > 0) {
        TmlTabColumn *c = &tb->cols[n_num];
        c->name = strdup("cat");
        c->type = TML_COL_CATEGORICAL;
        c->offset = n_num;
        c->n_cats = cat_k;
        c->cats = calloc((size_t)cat_k, sizeof(char *));
        for (int k = 0; k < cat_k; k++) {
            char nm[32];
            snprintf(nm, sizeof nm, "c%02d", k);
            c->cats[k] = strdup(nm);
            snprintf(nm, sizeof nm, "cat=c%02d", k);
            tb->feature_names[n_num + k] = strdup(nm);
        }
    }
    return tb;
}

static TmlDataset *data_make(int64_t n, int dim) {
    TmlDataset *d = calloc(1, sizeof *d);
    d->kind = TML_DATA_TABULAR;
    d->n_rows = n;
    d->dim = dim;
    d->dense = calloc((size_t)n * dim, sizeof(float));
    d->labels = calloc((size_t)n, sizeof(int32_t));
    return d;
}

/* Log loss of probs against labels: the validation metric for these tests. */
static double logloss_metric(void *ctx, const char *metric, const float *probs, const int32_t *labels, int64_t n, int C,
                             int positive, double *accuracy) {
    double s = 0;
    int64_t ok = 0;
    for (int64_t i = 0; i < n; i++) {
        float p = probs[i * C + labels[i]];
        s -= log(p > 1e-15f ? p : 1e-15f);
        int best = 0;
        for (int c = 1; c < C; c++)
            if (probs[i * C + c] > probs[i * C + best]) best = c;
        ok += best == labels[i];
    }
    *accuracy = (double)ok / (double)n;
    return s / (double)n;
}

static TmlGbdtTrainOptions train_opts(int rounds, int leaves) {
    TmlGbdtTrainOptions o;
    memset(&o, 0, sizeof o);
    TmlConfig *cfg = tml_config_parse("[model]\ntype = gbdt\n", "test", NULL);
    assert_non_null(cfg);
    assert_int_equal(tml_gbdt_params_from_config(cfg, &o.params, NULL), 0);
    tml_config_free(cfg);
    o.params.rounds = rounds;
    o.params.grow.max_leaves = leaves;
    o.params.grow.split.min_data_in_leaf = 5;
    o.quiet = 1;
    o.metric_fn = logloss_metric;
    return o;
}

static double accuracy_of(const TmlGbdtModel *m, const TmlDataset *d) {
    TmlError err;
    float *p = tml_gbdt_model_predict(m, g_be, d->dense, d->n_rows, &err);
    assert_non_null(p);
    double acc;
    logloss_metric(NULL, NULL, p, d->labels, d->n_rows, m->n_classes, 0, &acc);
    free(p);
    return acc;
}

/* XOR-like: label = (x0 > 0) != (x1 > 0), plus noise columns. */
static TmlDataset *xor_data(int64_t n, int F, uint64_t seed) {
    TmlDataset *d = data_make(n, F);
    TmlRng r;
    tml_rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) {
        for (int f = 0; f < F; f++) d->dense[i * F + f] = (float)(tml_rng_uniform(&r) * 2 - 1);
        d->labels[i] = (d->dense[i * F] > 0) != (d->dense[i * F + 1] > 0);
    }
    return d;
}

/* ---- bins ------------------------------------------------------------------------------------ */

static void test_binner_edges(void **state) {
    TmlError err;
    float x[] = {1, 2, 2, 3, NAN, 2};
    TmlGbdtBinner *b = tml_gbdt_binner_fit(x, 6, 1, NULL, NULL, 255, 200000, 1, &err);
    assert_non_null(b);
    assert_int_equal(b->feats[0].n_bins, 3); /* one bin per distinct value */
    assert_true(b->upper[0] == 1.5f && b->upper[1] == 2.5f && isinf(b->upper[2]));
    assert_int_equal(tml_gbdt_binner_bin(b, 0, 1.0f), 0);
    assert_int_equal(tml_gbdt_binner_bin(b, 0, 1.5f), 0); /* x <= edge stays left */
    assert_int_equal(tml_gbdt_binner_bin(b, 0, 2.0f), 1);
    assert_int_equal(tml_gbdt_binner_bin(b, 0, 99.0f), 2);
    assert_int_equal(tml_gbdt_binner_bin(b, 0, NAN), 3); /* the missing bin */
    assert_int_equal(b->NB, 4);
    tml_gbdt_binner_free(b);
    /* a categorical feature: bins are the codes; codes past the cap and non-integers are missing */
    float c[] = {0, 1, 4, 2};
    int cat = 1, ncat = 5;
    b = tml_gbdt_binner_fit(c, 4, 1, &cat, &ncat, 3, 200000, 1, &err);
    assert_non_null(b);
    assert_int_equal(b->feats[0].n_bins, 3);
    assert_int_equal(tml_gbdt_binner_bin(b, 0, 2.0f), 2);
    assert_int_equal(tml_gbdt_binner_bin(b, 0, 4.0f), 3);
    assert_int_equal(tml_gbdt_binner_bin(b, 0, 1.5f), 3);
    tml_gbdt_binner_free(b);
    assert_null(tml_gbdt_binner_fit(c, 4, 1, NULL, NULL, 256, 200000, 1, &err));
    assert_non_null(strstr(err.msg, "max_bins"));
}

/* Many distinct values: at most max_bins quantile bins holding similar row counts, and the float
 * thresholds agree with the bins: x <= threshold(b) exactly when bin(x) <= b. */
static void test_binner_quantiles(void **state) {
    int64_t n = 50000;
    float *x = malloc((size_t)n * sizeof *x);
    TmlRng r;
    tml_rng_seed(&r, 3);
    for (int64_t i = 0; i < n; i++) x[i] = (float)(tml_rng_uniform(&r) * 1000.0 - 300.0);
    TmlError err;
    TmlGbdtBinner *b = tml_gbdt_binner_fit(x, n, 1, NULL, NULL, 64, 20000, 7, &err);
    assert_non_null(b);
    int nb = b->feats[0].n_bins;
    assert_true(nb >= 60 && nb <= 64);
    int64_t cnt[64] = {0};
    for (int64_t i = 0; i < n; i++) cnt[tml_gbdt_binner_bin(b, 0, x[i])]++;
    for (int k = 0; k < nb; k++) assert_true(cnt[k] > n / 64 / 2 && cnt[k] < n / 64 * 2);
    for (int64_t i = 0; i < 2000; i++) {
        int bi = tml_gbdt_binner_bin(b, 0, x[i]);
        for (int t = 0; t + 1 < nb; t++) assert_int_equal(x[i] <= tml_gbdt_binner_threshold(b, 0, t), bi <= t);
    }
    tml_gbdt_binner_free(b);
    free(x);
}

/* ---- split finding --------------------------------------------------------------------------- */

static TmlGbdtSplitParams split_params(void) {
    TmlGbdtSplitParams p;
    memset(&p, 0, sizeof p);
    p.lambda_l2 = 1.0;
    p.min_child_weight = 1e-3;
    p.min_data_in_leaf = 1;
    p.max_cat_to_onehot = 4;
    p.max_cat_threshold = 32;
    p.cat_smooth = 1;
    p.cat_l2 = 0;
    p.min_data_per_group = 1;
    return p;
}

static void set_bin(double *h, int b, double g, double hs, double n) {
    h[b * 3] = g;
    h[b * 3 + 1] = hs;
    h[b * 3 + 2] = n;
}

static double leaf(double g, double h, double l2) { return g * g / (h + l2); }

static TmlGbdtSplit find(double *hist, TmlGbdtFeature *ft, int F, int NB, const TmlGbdtSplitParams *p) {
    TmlGbdtSplit s;
    tml_gbdt_split_find(g_be, &s, hist, ft, F, NB, NULL, p);
    return s;
}

static void test_split_numeric(void **state) {
    /* feature 0: 4 value bins; bins 0-1 pull down (g < 0), bins 2-3 up; the missing bin looks like
     * the left side, so the best split is at bin 1 with missing sent left. Feature 1 is noise. */
    enum { NB = 5 };
    double hist[2 * NB * 3] = {0};
    set_bin(hist, 0, -4, 2.5, 10);
    set_bin(hist, 1, -3, 2.5, 10);
    set_bin(hist, 2, 3, 2.5, 10);
    set_bin(hist, 3, 4, 2.5, 10);
    set_bin(hist, 4, -2, 1.0, 4);
    double *h1 = hist + NB * 3;
    set_bin(h1, 0, -1, 5.5, 22);
    set_bin(h1, 1, 1, 5.5, 22);
    TmlGbdtFeature ft[2] = {{4, 0}, {2, 0}};
    TmlGbdtSplitParams p = split_params();
    TmlGbdtSplit s = find(hist, ft, 2, NB, &p);
    assert_int_equal(s.feature, 0);
    assert_int_equal(s.bin, 1);
    assert_int_equal(s.default_left, 1);
    assert_int_equal(s.categorical, 0);
    double want = leaf(-9, 6, 1) + leaf(7, 5, 1) - leaf(-2, 11, 1);
    assert_true(fabs(s.gain - want) < 1e-12);
    assert_true(s.g[0] == -9 && s.n[0] == 24 && s.g[1] == 7 && s.n[1] == 20 && s.n[2] == 44);
    /* the missing bin pulling up instead: it goes right */
    set_bin(hist, 4, 2, 1.0, 4);
    s = find(hist, ft, 2, NB, &p);
    assert_int_equal(s.bin, 1);
    assert_int_equal(s.default_left, 0);
    /* no missing rows: missing follows the larger child */
    set_bin(hist, 4, 0, 0, 0);
    set_bin(hist, 0, -4, 2.5, 30);
    s = find(hist, ft, 2, NB, &p);
    assert_int_equal(s.feature, 0);
    assert_int_equal(s.default_left, s.n[0] >= s.n[1]);
    /* min_data_in_leaf too large for any split: no split, totals still there */
    p.min_data_in_leaf = 1000;
    s = find(hist, ft, 2, NB, &p);
    assert_int_equal(s.feature, -1);
    assert_true(s.n[2] == 60 && s.g[2] == 0);
}

static void test_split_categorical(void **state) {
    /* 8 categories (+ missing): mean gradients alternate in sign, so the best partition is the
     * negative ones against the rest, which only the sorted scan can find */
    enum { NB = 9 };
    double hist[NB * 3] = {0};
    const double g[8] = {-5, 4, -6, 3, -4, 5, 2, -3};
    for (int k = 0; k < 8; k++) set_bin(hist, k, g[k], 5, 20);
    TmlGbdtFeature ft = {8, 1};
    TmlGbdtSplitParams p = split_params();
    TmlGbdtSplit s = find(hist, &ft, 1, NB, &p);
    assert_int_equal(s.feature, 0);
    assert_int_equal(s.categorical, 1);
    int neg_left = (s.cat_left[0] & 1u) != 0;
    for (int k = 0; k < 8; k++) assert_int_equal((int)((s.cat_left[0] >> k) & 1u), neg_left ? g[k] < 0 : g[k] > 0);
    assert_int_equal(s.default_left, (int)((s.cat_left[0] >> 8) & 1u));
    /* max_cat_threshold 2: at most two categories on the left */
    p.max_cat_threshold = 2;
    s = find(hist, &ft, 1, NB, &p);
    assert_int_equal(__builtin_popcount(s.cat_left[0]), 2);
    /* 3 categories + missing <= max_cat_to_onehot: one category against the rest */
    TmlGbdtFeature small = {3, 1};
    double h3[4 * 3] = {0};
    set_bin(h3, 0, 1, 5, 20);
    set_bin(h3, 1, -8, 5, 20);
    set_bin(h3, 2, 2, 5, 20);
    p = split_params();
    s = find(h3, &small, 1, 4, &p);
    assert_int_equal(s.feature, 0);
    assert_int_equal(s.cat_left[0], 1u << 1);
    assert_int_equal(s.default_left, 0);
}

/* ---- histogram, partition, gradients --------------------------------------------------------- */

static void test_hist_and_partition(void **state) {
    int64_t N = 100000;
    int F = 3, NB = 8;
    uint8_t *bins = malloc((size_t)N * F);
    float *gh = malloc((size_t)N * 2 * sizeof *gh);
    int32_t *rows = malloc((size_t)N * sizeof *rows), *scratch = malloc((size_t)N * sizeof *scratch);
    TmlRng r;
    tml_rng_seed(&r, 5);
    int64_t n = 0;
    for (int64_t i = 0; i < N; i++) {
        for (int f = 0; f < F; f++) bins[i * F + f] = (uint8_t)tml_rng_below(&r, (uint64_t)NB);
        gh[2 * i] = (float)(tml_rng_uniform(&r) - 0.5);
        gh[2 * i + 1] = (float)tml_rng_uniform(&r);
        if (tml_rng_uniform(&r) < 0.8) rows[n++] = (int32_t)i;
    }
    double *hist = malloc((size_t)F * NB * 3 * sizeof *hist), *ref = calloc((size_t)F * NB * 3, sizeof *ref);
    tml_gbdt_hist(g_be, hist, bins, N, F, NB, gh, rows, n, NULL);
    for (int64_t i = 0; i < n; i++)
        for (int f = 0; f < F; f++) {
            double *e = ref + ((size_t)f * NB + bins[(size_t)rows[i] * F + f]) * 3;
            e[0] += gh[2 * rows[i]];
            e[1] += gh[2 * rows[i] + 1];
            e[2] += 1;
        }
    for (int k = 0; k < F * NB * 3; k++) assert_true(fabs(hist[k] - ref[k]) <= 1e-9 * (1 + fabs(ref[k])));
    /* stable partition on feature 1, bins <= 3 left, missing bin 7 right */
    TmlGbdtSplit s;
    memset(&s, 0, sizeof s);
    s.feature = 1;
    s.bin = 3;
    int32_t *want = malloc((size_t)n * sizeof *want);
    int64_t nl = 0;
    for (int64_t i = 0; i < n; i++)
        if (bins[(size_t)rows[i] * F + 1] <= 3) want[nl++] = rows[i];
    for (int64_t i = 0, k = nl; i < n; i++)
        if (bins[(size_t)rows[i] * F + 1] > 3) want[k++] = rows[i];
    assert_int_equal(tml_gbdt_partition(g_be, rows, n, bins, F, &s, 7, scratch), nl);
    assert_memory_equal(rows, want, (size_t)n * sizeof *rows);
    free(bins), free(gh), free(rows), free(scratch), free(hist), free(ref), free(want);
}

/* ---- trees and boosting ---------------------------------------------------------------------- */

static TmlGbdtModel *train_model(const TmlTabular *tb, int C, const TmlDataset *d, const TmlDataset *v,
                                 const TmlGbdtTrainOptions *o, TmlTrainState *st) {
    TmlError err;
    TmlGbdtModel *m = tml_gbdt_model_new(tb, C, C == 2 ? 1 : -1, o->params.native_categorical, &err);
    assert_non_null(m);
    TmlTrainState fresh;
    if (!st) {
        tml_train_state_init(&fresh, o->params.seed, o->params.higher_is_better);
        st = &fresh;
    }
    int rc = tml_gbdt_train(m, g_be, d, v, o, st, &err);
    if (rc) fprintf(stderr, "train: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return m;
}

/* 40 rows, label = x0 >= 25, x1 noise: a two-leaf tree splits x0 between 24 and 25. */
static void test_first_split(void **state) {
    TmlTabular *tb = tab_make(2, 0);
    TmlDataset *d = data_make(40, 2);
    for (int i = 0; i < 40; i++) {
        d->dense[i * 2] = (float)i;
        d->dense[i * 2 + 1] = (float)((i * 7) % 5);
        d->labels[i] = i >= 25;
    }
    TmlGbdtTrainOptions o = train_opts(1, 2);
    o.params.grow.split.min_data_in_leaf = 1;
    TmlGbdtModel *m = train_model(tb, 2, d, NULL, &o, NULL);
    const TmlGbdtNode *root = &m->ens->nodes[0];
    assert_int_equal(m->ens->n_trees, 1);
    assert_int_equal(root->feature, 0);
    assert_true(root->threshold == 24.5f);
    assert_true(m->ens->nodes[root->left].value < 0 && m->ens->nodes[root->right].value > 0);
    assert_true(m->ens->nodes[root->left].count == 25 && m->ens->nodes[root->right].count == 15);
    assert_true(fabs(m->ens->base[0] - log(15.0 / 25.0)) < 1e-6);
    tml_gbdt_model_free(m);
    tml_dataset_free(d);
    tml_tabular_free(tb);
}

static void test_learns_xor(void **state) {
    TmlTabular *tb = tab_make(6, 0);
    TmlDataset *d = xor_data(4000, 6, 1), *v = xor_data(2000, 6, 2);
    TmlGbdtTrainOptions o = train_opts(60, 8);
    TmlGbdtModel *m = train_model(tb, 2, d, v, &o, NULL);
    assert_true(accuracy_of(m, v) > 0.97);
    /* depth-wise growth with a depth limit reaches it too, and respects the limit */
    tml_gbdt_model_free(m);
    o.params.grow.depthwise = 1;
    o.params.grow.max_depth = 2;
    o.params.grow.max_leaves = 64;
    m = train_model(tb, 2, d, v, &o, NULL);
    assert_true(accuracy_of(m, v) > 0.97);
    for (int64_t i = 0; i < m->ens->n_nodes; i++) assert_true(tml_gbdt_ensemble_tree_size(m->ens, 0) <= 7);
    tml_gbdt_model_free(m);
    tml_dataset_free(d);
    tml_dataset_free(v);
    tml_tabular_free(tb);
}

/* 3 classes by the category of a native categorical column plus a numeric shift. */
static void test_multiclass_categorical(void **state) {
    int K = 12;
    TmlTabular *tb = tab_make(1, K);
    TmlDataset *d = data_make(3000, 1 + K), *v = data_make(1000, 1 + K);
    TmlRng r;
    tml_rng_seed(&r, 9);
    for (int s = 0; s < 2; s++) {
        TmlDataset *x = s ? v : d;
        for (int64_t i = 0; i < x->n_rows; i++) {
            int c = (int)tml_rng_below(&r, (uint64_t)K);
            float z = (float)tml_rng_uniform(&r);
            x->dense[i * (1 + K)] = z;
            x->dense[i * (1 + K) + 1 + c] = 1.0f;
            x->labels[i] = (c * 5 % 3 + (z > 0.8f)) % 3;
        }
    }
    TmlGbdtTrainOptions o = train_opts(40, 8);
    o.params.grow.split.cat_smooth = 5;
    o.params.grow.split.min_data_per_group = 10;
    TmlGbdtModel *m = train_model(tb, 3, d, v, &o, NULL);
    assert_int_equal(m->in.F, 2);
    assert_int_equal(m->ens->K, 3);
    assert_true(accuracy_of(m, v) > 0.95);
    int cat_splits = 0;
    for (int64_t i = 0; i < m->ens->n_nodes; i++) cat_splits += m->ens->nodes[i].feature == 1;
    assert_true(cat_splits > 0);
    TmlError err;
    float *p = tml_gbdt_model_predict(m, g_be, v->dense, v->n_rows, &err);
    for (int64_t i = 0; i < v->n_rows; i++) assert_true(fabs(p[i * 3] + p[i * 3 + 1] + p[i * 3 + 2] - 1.0) < 1e-5);
    free(p);
    tml_gbdt_model_free(m);
    /* one-hot instead of native categorical: 1 + K numeric features, still learns */
    o.params.native_categorical = 0;
    m = train_model(tb, 3, d, v, &o, NULL);
    assert_int_equal(m->in.F, 1 + K);
    assert_true(accuracy_of(m, v) > 0.9);
    tml_gbdt_model_free(m);
    tml_dataset_free(d);
    tml_dataset_free(v);
    tml_tabular_free(tb);
}

/* NaN in x0 marks the positives: the trees must send missing values to the positive side. */
static void test_missing_direction(void **state) {
    TmlTabular *tb = tab_make(2, 0);
    TmlDataset *d = data_make(2000, 2);
    TmlRng r;
    tml_rng_seed(&r, 11);
    for (int64_t i = 0; i < 2000; i++) {
        int y = tml_rng_uniform(&r) < 0.3;
        d->dense[i * 2] = y ? NAN : (float)tml_rng_uniform(&r);
        d->dense[i * 2 + 1] = (float)tml_rng_uniform(&r);
        d->labels[i] = y;
    }
    TmlGbdtTrainOptions o = train_opts(20, 4);
    o.params.grow.learning_rate = 0.3;
    TmlGbdtModel *m = train_model(tb, 2, d, NULL, &o, NULL);
    float row[2][2] = {{NAN, 0.5f}, {0.5f, 0.5f}};
    TmlError err;
    float *p = tml_gbdt_model_predict(m, g_be, &row[0][0], 2, &err);
    assert_true(p[1] > 0.9f && p[3] < 0.1f);
    free(p);
    tml_gbdt_model_free(m);
    tml_dataset_free(d);
    tml_tabular_free(tb);
}

static int same_trees(const TmlGbdtEnsemble *a, const TmlGbdtEnsemble *b) {
    return a->n_trees == b->n_trees && a->n_nodes == b->n_nodes && a->n_cats == b->n_cats &&
           !memcmp(a->nodes, b->nodes, (size_t)a->n_nodes * sizeof *a->nodes) &&
           !memcmp(a->roots, b->roots, (size_t)a->n_trees * sizeof *a->roots) &&
           !memcmp(a->base, b->base, (size_t)a->K * sizeof *a->base);
}

static void test_deterministic_and_resume(void **state) {
    TmlTabular *tb = tab_make(6, 0);
    TmlDataset *d = xor_data(3000, 6, 4);
    TmlGbdtTrainOptions o = train_opts(16, 8);
    o.params.subsample = 0.7;
    o.params.colsample = 0.5;
    TmlGbdtModel *a = train_model(tb, 2, d, NULL, &o, NULL), *b = train_model(tb, 2, d, NULL, &o, NULL);
    assert_true(same_trees(a->ens, b->ens));
    tml_gbdt_model_free(b);
    o.params.seed = 43;
    b = train_model(tb, 2, d, NULL, &o, NULL);
    assert_false(same_trees(a->ens, b->ens));
    tml_gbdt_model_free(b);
    /* 8 rounds, then 8 more from the saved state: the same trees as 16 in one go */
    o.params.seed = 42;
    TmlTrainState st;
    tml_train_state_init(&st, o.params.seed, o.params.higher_is_better);
    o.params.rounds = 8;
    TmlError err;
    b = train_model(tb, 2, d, NULL, &o, &st);
    assert_int_equal(st.epoch, 8);
    o.params.rounds = 16;
    assert_int_equal(tml_gbdt_train(b, g_be, d, NULL, &o, &st, &err), 0);
    assert_true(same_trees(a->ens, b->ens));
    tml_gbdt_model_free(a);
    tml_gbdt_model_free(b);
    tml_dataset_free(d);
    tml_tabular_free(tb);
}

/* Early stopping: noisy labels make validation loss turn up; the trees of the best round stay. */
static void test_early_stopping(void **state) {
    TmlTabular *tb = tab_make(4, 0);
    TmlDataset *d = xor_data(600, 4, 5), *v = xor_data(600, 4, 6);
    TmlRng r;
    tml_rng_seed(&r, 2);
    for (int64_t i = 0; i < d->n_rows; i++)
        if (tml_rng_uniform(&r) < 0.3) d->labels[i] ^= 1;
    TmlGbdtTrainOptions o = train_opts(300, 31);
    o.params.patience = 10;
    o.params.grow.learning_rate = 0.3;
    TmlTrainState st;
    tml_train_state_init(&st, 1, 0);
    TmlGbdtModel *m = train_model(tb, 2, d, v, &o, &st);
    assert_true(st.epoch < 300);
    assert_int_equal(st.bad_epochs, 10);
    assert_int_equal(m->ens->n_trees, st.best_epoch + 1);
    tml_gbdt_model_free(m);
    tml_dataset_free(d);
    tml_dataset_free(v);
    tml_tabular_free(tb);
}

/* Predicting on values and on the training bins reaches the same leaves; a saved model scores the
 * same after loading. */
static void test_values_bins_and_file(void **state) {
    TmlTabular *tb = tab_make(3, 5);
    TmlDataset *d = data_make(3000, 8);
    TmlRng r;
    tml_rng_seed(&r, 12);
    for (int64_t i = 0; i < d->n_rows; i++) {
        float *x = d->dense + i * 8;
        x[0] = (float)tml_rng_uniform(&r);
        x[1] = tml_rng_uniform(&r) < 0.1 ? NAN : (float)(tml_rng_uniform(&r) * 100);
        x[2] = (float)(int)(tml_rng_uniform(&r) * 4);
        int c = (int)tml_rng_below(&r, 6); /* 5 = unseen: all zero */
        if (c < 5) x[3 + c] = 1;
        d->labels[i] = (x[0] > 0.5f) ^ (c == 2 || c == 4) ^ (x[1] != x[1]);
    }
    TmlGbdtTrainOptions o = train_opts(20, 16);
    o.params.grow.split.cat_smooth = 1;
    o.params.grow.split.min_data_per_group = 5;
    o.params.grow.split.max_cat_to_onehot = 1;
    TmlGbdtModel *m = train_model(tb, 2, d, NULL, &o, NULL);
    const TmlGbdtEnsemble *e = m->ens;
    int64_t n = d->n_rows;
    int F = m->in.F;
    float *x = malloc((size_t)n * F * sizeof *x), *s1 = malloc((size_t)n * sizeof *s1),
          *s2 = malloc((size_t)n * sizeof *s2);
    uint8_t *bins = malloc((size_t)n * F);
    tml_gbdt_model_inputs(m, d->dense, n, x);
    tml_gbdt_binner_apply(m->binner, x, n, bins);
    for (int64_t i = 0; i < n; i++) s1[i] = s2[i] = e->base[0];
    tml_gbdt_predict(g_be, s1, x, n, F, e->nodes, e->cats, e->roots, e->tclass, e->n_trees, 1);
    tml_gbdt_predict_binned(g_be, s2, bins, n, F, e->nodes, e->cats, e->roots, e->tclass, e->n_trees, 1);
    assert_memory_equal(s1, s2, (size_t)n * sizeof *s1);
    int cats = 0;
    for (int64_t i = 0; i < e->n_nodes; i++) cats += e->nodes[i].feature >= 0 && e->nodes[i].cat >= 0;
    assert_true(cats > 0);
    /* file round trip */
    char path[64];
    snprintf(path, sizeof path, "/tmp/ticketml-test-gbdt-%d.h5", (int)getpid());
    TmlError err;
    tml_h5_quiet();
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_int_equal(tml_gbdt_model_save(m, f, &err), 0);
    H5Fclose(f);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    TmlGbdtModel *back = tml_gbdt_model_load(f, &err);
    H5Fclose(f);
    unlink(path);
    assert_non_null(back);
    assert_true(same_trees(m->ens, back->ens));
    float *p1 = tml_gbdt_model_predict(m, g_be, d->dense, n, &err),
          *p2 = tml_gbdt_model_predict(back, g_be, d->dense, n, &err);
    assert_memory_equal(p1, p2, (size_t)n * 2 * sizeof *p1);
    free(p1), free(p2), free(x), free(s1), free(s2), free(bins);
    tml_gbdt_model_free(back);
    tml_gbdt_model_free(m);
    tml_dataset_free(d);
    tml_tabular_free(tb);
}

/* Balanced class weights make the weighted positive share one half: base score 0. */
static void test_class_weights(void **state) {
    TmlTabular *tb = tab_make(2, 0);
    TmlDataset *d = xor_data(1000, 2, 8);
    for (int64_t i = 0; i < d->n_rows; i++) d->labels[i] = i % 5 == 0;
    TmlGbdtTrainOptions o = train_opts(1, 4);
    o.params.class_weight = 1;
    TmlGbdtModel *m = train_model(tb, 2, d, NULL, &o, NULL);
    assert_true(fabs(m->ens->base[0]) < 1e-6);
    tml_gbdt_model_free(m);
    o.params.class_weight = 0;
    m = train_model(tb, 2, d, NULL, &o, NULL);
    assert_true(fabs(m->ens->base[0] - log(0.25)) < 1e-6);
    tml_gbdt_model_free(m);
    tml_dataset_free(d);
    tml_tabular_free(tb);
}

/* ---- explanations ----------------------------------------------------------------------------- */

/* E[tree(x) | x_S]: features in S follow x, the others take both branches weighted by row counts. */
static double cond_value(const TmlGbdtEnsemble *e, int j, const float *x, unsigned S) {
    const TmlGbdtNode *nd = &e->nodes[j];
    if (nd->feature < 0) return nd->value;
    if (S >> nd->feature & 1u)
        return cond_value(e, gbdt_node_left_value(nd, e->cats, x[nd->feature]) ? nd->left : nd->right, x, S);
    double cl = e->nodes[nd->left].count, cr = e->nodes[nd->right].count;
    return (cl * cond_value(e, nd->left, x, S) + cr * cond_value(e, nd->right, x, S)) / (cl + cr);
}

/* TreeSHAP against Shapley values by enumerating every feature subset, and local accuracy. */
static void test_treeshap_exact(void **state) {
    enum { F = 4 };
    TmlTabular *tb = tab_make(F, 0);
    TmlDataset *d = xor_data(1500, F, 13);
    for (int64_t i = 0; i < d->n_rows; i++)
        if (i % 7 == 0) d->dense[i * F + 2] = NAN; /* missing values take the default branch */
    TmlGbdtTrainOptions o = train_opts(5, 6);
    TmlGbdtModel *m = train_model(tb, 2, d, NULL, &o, NULL);
    const TmlGbdtEnsemble *e = m->ens;
    double fact[F + 1] = {1, 1, 2, 6, 24};
    TmlError err;
    for (int r = 0; r < 20; r++) {
        const float *x = d->dense + (size_t)r * F;
        double phi[F + 1], want[F] = {0};
        assert_int_equal(tml_treeshap_row(e, x, F, phi, &err), 0);
        for (int t = 0; t < e->n_trees; t++)
            for (int i = 0; i < F; i++)
                for (unsigned S = 0; S < (1u << F); S++) {
                    if (S >> i & 1u) continue;
                    int sz = __builtin_popcount(S);
                    double w = fact[sz] * fact[F - sz - 1] / fact[F];
                    want[i] += w * (cond_value(e, e->roots[t], x, S | 1u << i) - cond_value(e, e->roots[t], x, S));
                }
        double total = phi[F];
        for (int i = 0; i < F; i++) {
            assert_true(fabs(phi[i] - want[i]) < 1e-6);
            total += phi[i];
        }
        float score = e->base[0];
        tml_gbdt_predict(g_be, &score, x, 1, F, e->nodes, e->cats, e->roots, e->tclass, e->n_trees, 1);
        assert_true(fabs(total - score) < 1e-5);
    }
    double gain[F];
    int64_t splits[F];
    tml_gbdt_importance(e, F, gain, splits);
    assert_true(gain[0] + gain[1] > 0.9 && fabs(gain[0] + gain[1] + gain[2] + gain[3] - 1) < 1e-9);
    assert_true(splits[0] > 0 && splits[1] > 0);
    tml_gbdt_model_free(m);
    tml_dataset_free(d);
    tml_tabular_free(tb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binner_edges),       cmocka_unit_test(test_binner_quantiles),
        cmocka_unit_test(test_split_numeric),      cmocka_unit_test(test_split_categorical),
        cmocka_unit_test(test_hist_and_partition), cmocka_unit_test(test_first_split),
        cmocka_unit_test(test_learns_xor),         cmocka_unit_test(test_multiclass_categorical),
        cmocka_unit_test(test_missing_direction),  cmocka_unit_test(test_deterministic_and_resume),
        cmocka_unit_test(test_early_stopping),     cmocka_unit_test(test_values_bins_and_file),
        cmocka_unit_test(test_class_weights),      cmocka_unit_test(test_treeshap_exact),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
