/* test_lime.c — the LIME core: weighted ridge against scikit-learn's numbers, LIME's feature
 * selection rules, text explanations of a model that is exactly linear in word presence
 * (ranking, signs, determinism, batching, edge cases), and tabular rules on a hand-built
 * TmlTabular. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/lime.h"
#include "eval/ridge.h"

/* ---- ridge ------------------------------------------------------------------------------------ */

/* Reference values from scikit-learn 1.9.1 / lime 0.2.0.1:
 *   python3 -c "
 *   import numpy as np; from sklearn.linear_model import Ridge; from lime.lime_base import LimeBase
 *   X=np.array([[1,0,1],[0,1,1],[1,1,0],[0,0,1],[1,1,1],[0,1,0],[1,0,0]],float)
 *   y=np.array([0.9,0.2,0.5,0.4,0.7,0.1,0.8]); w=np.array([1.0,0.5,0.8,0.3,0.9,0.6,0.7])
 *   r=Ridge(alpha=1).fit(X,y,sample_weight=w); print(r.coef_, r.intercept_, r.score(X,y,sample_weight=w))
 *   print(Ridge(alpha=0.01).fit(X,y,sample_weight=w).coef_)
 *   b=LimeBase(lambda d:d); print(b.forward_selection(X,y,w,2), b.feature_selection(X,y,w,2,'highest_weights'))
 *   print(Ridge(alpha=0).fit(X[:,[0]],y,sample_weight=w).score(X[:,[0]],y,sample_weight=w))"
 * printed
 *   [ 0.24298514 -0.15857366  0.07663584] 0.4543625014475444 0.8026262209604142
 *   [ 0.46343944 -0.23066618  0.13204736]
 *   [0 1] [0 2]
 *   0.7504769696473861
 * (highest_weights ranks |coef * X[0]|, and X[0] = [1,0,1] zeroes feature 1.) */
static const double RX[7 * 3] = {1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0};
static const double RY[7] = {0.9, 0.2, 0.5, 0.4, 0.7, 0.1, 0.8};
static const double RW[7] = {1.0, 0.5, 0.8, 0.3, 0.9, 0.6, 0.7};

static void test_ridge_matches_sklearn(void **state) {
    (void)state;
    TmlRidgeStats st;
    TmlError err;
    assert_int_equal(tml_ridge_stats_init(&st, RX, RY, RW, 7, 3, &err), 0);
    int all[3] = {0, 1, 2};
    double coef[3], b0, r2;
    assert_int_equal(tml_ridge_fit_subset(&st, all, 3, 1.0, coef, &b0, &r2), 0);
    const double want[3] = {0.24298514, -0.15857366, 0.07663584};
    for (int j = 0; j < 3; j++) assert_true(fabs(coef[j] - want[j]) < 1e-8);
    assert_true(fabs(b0 - 0.4543625014475444) < 1e-12);
    assert_true(fabs(r2 - 0.8026262209604142) < 1e-12);
    /* The direct R^2 over the rows agrees with the Gram identity. */
    double r2d = tml_ridge_score(RX, 7, 3, NULL, 3, RY, RW, coef, b0);
    assert_true(fabs(r2d - 0.8026262209604142) < 1e-12);

    assert_int_equal(tml_ridge_fit_subset(&st, all, 3, 0.01, coef, NULL, NULL), 0);
    const double want2[3] = {0.46343944, -0.23066618, 0.13204736};
    for (int j = 0; j < 3; j++) assert_true(fabs(coef[j] - want2[j]) < 1e-8);

    int f0 = 0;
    assert_int_equal(tml_ridge_fit_subset(&st, &f0, 1, 0.0, coef, NULL, &r2), 0);
    assert_true(fabs(r2 - 0.7504769696473861) < 1e-12);
    tml_ridge_stats_free(&st);
}

static void test_ridge_selection_matches_lime(void **state) {
    (void)state;
    TmlRidgeStats st;
    TmlError err;
    assert_int_equal(tml_ridge_stats_init(&st, RX, RY, RW, 7, 3, &err), 0);
    int out[3] = {-1, -1, -1};
    assert_int_equal(tml_ridge_select_forward(&st, 2, out), 2);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
    assert_int_equal(tml_ridge_select_highest(&st, RX, 2, out), 2);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 2);
    /* K larger than p selects every feature once. */
    assert_int_equal(tml_ridge_select_forward(&st, 10, out), 3);
    assert_true(out[0] != out[1] && out[1] != out[2] && out[0] != out[2]);
    tml_ridge_stats_free(&st);
}

static void test_ridge_singular_and_zero_weight(void **state) {
    (void)state;
    /* Two identical columns with alpha 0: must not fail, and the fit is still exact. */
    double X[4 * 2] = {1, 1, 0, 0, 1, 1, 0, 0};
    double y[4] = {2, 0, 2, 0};
    TmlRidgeStats st;
    TmlError err;
    assert_int_equal(tml_ridge_stats_init(&st, X, y, NULL, 4, 2, &err), 0);
    int f[2] = {0, 1};
    double coef[2], b0, r2;
    assert_int_equal(tml_ridge_fit_subset(&st, f, 2, 0.0, coef, &b0, &r2), 0);
    assert_true(fabs(coef[0] + coef[1] - 2.0) < 1e-6);
    assert_true(fabs(r2 - 1.0) < 1e-6);
    tml_ridge_stats_free(&st);
    double zw[4] = {0, 0, 0, 0};
    assert_int_equal(tml_ridge_stats_init(&st, X, y, zw, 4, 2, &err), -1);
    assert_non_null(strstr(err.msg, "weights"));
}

/* ---- text ------------------------------------------------------------------------------------- */

/* A model exactly linear in word presence: logit(class 1) = bias + sum of the kept words' weights,
 * two classes through the sigmoid. Optionally records what it was called with. */
typedef struct LinText {
    const double *wt; /* (m) per distinct word */
    double bias;
    int calls, rows, max_batch;
    int first_row_all_kept, every_other_row_removes;
    int removed_hist[64];
    int fail;
} LinText;

static int lin_text_score(void *ctx, const uint8_t *masks, int S, int m, float *probs, TmlError *err) {
    LinText *L = ctx;
    if (L->fail) return tml_fail(err, "scorer: backend exploded");
    for (int i = 0; i < S; i++) {
        const uint8_t *r = masks + (size_t)i * m;
        double z = L->bias;
        int removed = 0;
        for (int j = 0; j < m; j++) {
            z += r[j] ? L->wt[j] : 0.0;
            removed += !r[j];
        }
        if (L->rows + i == 0) L->first_row_all_kept = removed == 0;
        else if (removed == 0) L->every_other_row_removes = 0;
        if (removed < 64) L->removed_hist[removed]++;
        double p1 = 1.0 / (1.0 + exp(-z));
        probs[2 * i] = (float)(1.0 - p1);
        probs[2 * i + 1] = (float)p1;
    }
    L->calls++;
    L->rows += S;
    if (S > L->max_batch) L->max_batch = S;
    return 0;
}

/* 12 distinct words (some repeated in the text) with well separated effects. */
static char *TOKS[] = {"my", "card", "was", "declined", "at", "the", "shop", "and", "card", "payment",
                       "failed", "again", "the", "refund"};
#define N_TOKS 14
/* word order (first occurrence): my card was declined at the shop and payment failed again refund */
static const double WT[12] = {0.05, 0.4, -0.02, 2.0, 0.0, 0.1, -0.8, 0.0, 1.2, -1.5, 0.3, -0.15};

static void lin_init(LinText *L) {
    memset(L, 0, sizeof *L);
    L->wt = WT;
    L->bias = -1.0;
    L->every_other_row_removes = 1;
}

static void test_text_words_and_kept_tokens(void **state) {
    (void)state;
    TmlLimeText t;
    TmlError err;
    assert_int_equal(tml_lime_text_init(&t, TOKS, N_TOKS, &err), 0);
    assert_int_equal(t.n_words, 12);
    assert_string_equal(t.words[1], "card");
    assert_string_equal(t.words[11], "refund");
    assert_int_equal(t.token_word[8], 1);  /* second "card" */
    assert_int_equal(t.token_word[12], 5); /* second "the" */
    uint8_t mask[12];
    memset(mask, 1, sizeof mask);
    mask[1] = 0; /* remove every "card" */
    mask[5] = 0; /* and every "the" */
    const char *out[N_TOKS];
    int n = tml_lime_text_kept_tokens(&t, mask, out);
    assert_int_equal(n, N_TOKS - 4);
    assert_string_equal(out[0], "my");
    assert_string_equal(out[1], "was");
    assert_string_equal(out[n - 1], "refund");
    tml_lime_text_free(&t);
}

/* Indices of the words sorted by |exact weight| descending. */
static void exact_order(int *ord) {
    for (int j = 0; j < 12; j++) ord[j] = j;
    for (int a = 1; a < 12; a++)
        for (int b = a; b > 0 && fabs(WT[ord[b - 1]]) < fabs(WT[ord[b]]); b--) {
            int tmp = ord[b];
            ord[b] = ord[b - 1];
            ord[b - 1] = tmp;
        }
}

static TmlLimeExplanation *explain_lin(TmlLimeText *t, LinText *L, int K, uint64_t seed, int batch) {
    TmlLimeConfig cfg;
    tml_lime_config_default(&cfg);
    cfg.num_features = K;
    cfg.seed = seed;
    cfg.batch_size = batch;
    TmlError err;
    TmlLimeExplanation *e = tml_lime_text_explain(t, &cfg, 2, 1, lin_text_score, L, &err);
    if (!e) fprintf(stderr, "explain failed: %s\n", err.msg);
    return e;
}

static void test_text_ranking_linear_model(void **state) {
    (void)state;
    TmlLimeText t;
    TmlError err;
    assert_int_equal(tml_lime_text_init(&t, TOKS, N_TOKS, &err), 0);
    int ord[12];
    exact_order(ord);
    /* K = 10 uses highest_weights, K = 5 forward selection: both must find the true top words. */
    const int Ks[2] = {10, 5};
    for (int q = 0; q < 2; q++) {
        LinText L;
        lin_init(&L);
        TmlLimeExplanation *e = explain_lin(&t, &L, Ks[q], 42, 0);
        assert_non_null(e);
        assert_int_equal(e->n_features, Ks[q]);
        assert_int_equal(L.calls, 1); /* batch 0: one call with everything */
        assert_int_equal(L.rows, 5000);
        assert_true(L.first_row_all_kept);
        assert_true(L.every_other_row_removes);
        /* The five words with the largest exact contributions, in order and with their signs. */
        for (int a = 0; a < 5; a++) {
            assert_string_equal(e->features[a].name, t.words[ord[a]]);
            assert_int_equal(e->features[a].id, ord[a]);
            assert_true(e->features[a].weight * WT[ord[a]] > 0.0);
        }
        for (int a = 1; a < e->n_features; a++)
            assert_true(fabs(e->features[a - 1].weight) >= fabs(e->features[a].weight));
        /* The original's probability is the model's and the surrogate fits a near-linear model well. */
        double z = L.bias;
        for (int j = 0; j < 12; j++) z += WT[j];
        assert_true(fabs(e->model_prob - 1.0 / (1.0 + exp(-z))) < 1e-6);
        assert_int_equal(e->label, 1);
        assert_true(e->score > 0.8 && e->score <= 1.0);
        assert_true(fabs(e->local_pred - e->model_prob) < 0.15);
        double lp = e->intercept;
        for (int a = 0; a < e->n_features; a++) lp += e->features[a].weight;
        assert_true(fabs(lp - e->local_pred) < 1e-9);
        tml_lime_explanation_free(e);
    }
    tml_lime_text_free(&t);
}

static void test_text_removal_counts_uniform(void **state) {
    (void)state;
    /* lime draws the number of removed words from randint(1, m + 1): 1..m, each ~1/m of the rows. */
    TmlLimeText t;
    TmlError err;
    assert_int_equal(tml_lime_text_init(&t, TOKS, N_TOKS, &err), 0);
    LinText L;
    lin_init(&L);
    TmlLimeExplanation *e = explain_lin(&t, &L, 10, 7, 0);
    assert_non_null(e);
    assert_int_equal(L.removed_hist[0], 1);
    for (int k = 1; k <= 12; k++) {
        /* expected 4999/12 = 416.6, sd ~ 19.5: 6 sd either side */
        assert_in_range(L.removed_hist[k], 300, 535);
    }
    assert_int_equal(L.removed_hist[13], 0);
    tml_lime_explanation_free(e);
    tml_lime_text_free(&t);
}

static void test_text_deterministic_and_seeded(void **state) {
    (void)state;
    TmlLimeText t;
    TmlError err;
    assert_int_equal(tml_lime_text_init(&t, TOKS, N_TOKS, &err), 0);
    LinText L1, L2, L3, L4;
    lin_init(&L1), lin_init(&L2), lin_init(&L3), lin_init(&L4);
    TmlLimeExplanation *a = explain_lin(&t, &L1, 10, 123, 0);
    TmlLimeExplanation *b = explain_lin(&t, &L2, 10, 123, 0);
    TmlLimeExplanation *c = explain_lin(&t, &L3, 10, 124, 0);
    TmlLimeExplanation *d = explain_lin(&t, &L4, 10, 123, 333); /* batched: same samples */
    assert_non_null(a), assert_non_null(b), assert_non_null(c), assert_non_null(d);
    assert_int_equal(L4.calls, 16); /* ceil(5000 / 333) */
    assert_int_equal(L4.max_batch, 333);
    int differs = 0;
    for (int k = 0; k < a->n_features; k++) {
        assert_int_equal(a->features[k].id, b->features[k].id);
        assert_true(a->features[k].weight == b->features[k].weight);
        assert_int_equal(a->features[k].id, d->features[k].id);
        assert_true(a->features[k].weight == d->features[k].weight);
        if (k < 5) assert_int_equal(a->features[k].id, c->features[k].id);
    }
    for (int k = 0; k < 5; k++) {
        differs += a->features[k].weight != c->features[k].weight;
        assert_true(fabs(a->features[k].weight - c->features[k].weight) < 0.05);
    }
    assert_true(differs > 0);
    assert_true(a->intercept == b->intercept && a->score == b->score);
    tml_lime_explanation_free(a), tml_lime_explanation_free(b);
    tml_lime_explanation_free(c), tml_lime_explanation_free(d);
    tml_lime_text_free(&t);
}

static void test_text_edge_cases(void **state) {
    (void)state;
    TmlError err;
    /* m = 0: the original scored alone, no features, the surrogate is the model's probability. */
    TmlLimeText t0;
    assert_int_equal(tml_lime_text_init(&t0, NULL, 0, &err), 0);
    LinText L;
    lin_init(&L);
    TmlLimeExplanation *e = explain_lin(&t0, &L, 10, 1, 0);
    assert_non_null(e);
    assert_int_equal(e->n_features, 0);
    assert_int_equal(L.rows, 1);
    double p = 1.0 / (1.0 + exp(1.0));
    assert_true(fabs(e->model_prob - p) < 1e-6);
    assert_true(fabs(e->intercept - p) < 1e-6);
    assert_true(fabs(e->local_pred - p) < 1e-6);
    assert_true(e->score == 1.0);
    tml_lime_explanation_free(e);
    tml_lime_text_free(&t0);

    /* m = 1 (one word, repeated): every sample but the original removes the word, so the data are
     * deterministic and lime's numbers can be reproduced exactly:
     *   python3 -c "import numpy as np; from sklearn.linear_model import Ridge
     *   S=5000; X=np.zeros((S,1)); X[0]=1; p=lambda z:1/(1+np.exp(-z))
     *   y=np.full(S,np.float32(p(-1.0))).astype(float); y[0]=np.float32(p(1.0))
     *   d=np.full(S,100.0); d[0]=0; w=np.sqrt(np.exp(-d**2/25**2))
     *   r=Ridge(alpha=1).fit(X,y,sample_weight=w); print(r.coef_[0], r.intercept_, r.score(X,y,sample_weight=w))"
     *   -> 0.17798992120758086 0.37507875514953903 0.6219740995793313 */
    char *one[] = {"refund", "refund"};
    TmlLimeText t1;
    assert_int_equal(tml_lime_text_init(&t1, one, 2, &err), 0);
    assert_int_equal(t1.n_words, 1);
    static const double w1[1] = {2.0};
    lin_init(&L);
    L.wt = w1;
    for (int K = 1; K <= 10; K += 9) { /* forward selection and highest weights */
        e = explain_lin(&t1, &L, K, 1, 0);
        assert_non_null(e);
        assert_int_equal(e->n_features, 1);
        assert_string_equal(e->features[0].name, "refund");
        assert_true(fabs(e->features[0].weight - 0.17798992120758086) < 1e-9);
        assert_true(fabs(e->intercept - 0.37507875514953903) < 1e-9);
        assert_true(fabs(e->score - 0.6219740995793313) < 1e-9);
        tml_lime_explanation_free(e);
    }
    tml_lime_text_free(&t1);
}

static void test_text_label_and_errors(void **state) {
    (void)state;
    TmlLimeText t;
    TmlError err;
    assert_int_equal(tml_lime_text_init(&t, TOKS, N_TOKS, &err), 0);
    TmlLimeConfig cfg;
    tml_lime_config_default(&cfg);
    cfg.num_samples = 500;
    LinText L;
    lin_init(&L);
    /* -1 explains the top class: sum of weights + bias = 0.58 > 0, so class 1. */
    TmlLimeExplanation *e = tml_lime_text_explain(&t, &cfg, 2, -1, lin_text_score, &L, &err);
    assert_non_null(e);
    assert_int_equal(e->label, 1);
    assert_true(e->probs[1] > e->probs[0]);
    tml_lime_explanation_free(e);
    /* Class 0's explanation mirrors class 1's. */
    lin_init(&L);
    e = tml_lime_text_explain(&t, &cfg, 2, 0, lin_text_score, &L, &err);
    assert_non_null(e);
    assert_string_equal(e->features[0].name, "declined");
    assert_true(e->features[0].weight < 0.0);
    tml_lime_explanation_free(e);

    assert_null(tml_lime_text_explain(&t, &cfg, 2, 2, lin_text_score, &L, &err));
    assert_non_null(strstr(err.msg, "label 2"));
    lin_init(&L);
    L.fail = 1;
    assert_null(tml_lime_text_explain(&t, &cfg, 2, 1, lin_text_score, &L, &err));
    assert_non_null(strstr(err.msg, "backend exploded"));
    tml_lime_text_free(&t);
}

/* ---- tabular ---------------------------------------------------------------------------------- */

typedef struct TabFixture {
    TmlTabular tb;
    TmlTabColumn cols[4];
    char *cats[3];
    double freq[3];
} TabFixture;

/* tenure (numeric), charges (numeric), senior (numeric 0/1 with tied quartiles), Contract
 * (categorical). Dense layout: [z_tenure, z_charges, z_senior, onehot(3)], dim 6. */
static void tab_fixture(TabFixture *F) {
    memset(F, 0, sizeof *F);
    F->cats[0] = "Month-to-month", F->cats[1] = "One year", F->cats[2] = "Two year";
    F->freq[0] = 0.55, F->freq[1] = 0.2, F->freq[2] = 0.25;
    TmlTabColumn *c = F->cols;
    c[0] = (TmlTabColumn){.name = "tenure", .type = TML_COL_NUMERIC, .mean = 32.0, .std = 24.5,
                          .quartiles = {9, 29, 55}, .min = 0, .max = 72, .offset = 0};
    c[1] = (TmlTabColumn){.name = "charges", .type = TML_COL_NUMERIC, .mean = 65.0, .std = 30.0,
                          .quartiles = {35.5, 70.35, 89.85}, .min = 18.25, .max = 118.75, .offset = 1};
    c[2] = (TmlTabColumn){.name = "senior", .type = TML_COL_NUMERIC, .mean = 0.16, .std = 0.37,
                          .quartiles = {0, 0, 0}, .min = 0, .max = 1, .offset = 2};
    c[3] = (TmlTabColumn){.name = "Contract", .type = TML_COL_CATEGORICAL, .n_cats = 3, .cats = F->cats,
                          .cat_freq = F->freq, .offset = 3};
    F->tb.n_cols = 4;
    F->tb.cols = F->cols;
    F->tb.dim = 6;
}

/* Churn model linear in standardized tenure only: logit = -0.5 - 2 z_tenure. */
typedef struct LinTab {
    int rows;
    double min_tenure, max_tenure;
    int bad_onehot;
} LinTab;

static int lin_tab_score(void *ctx, const float *rows, int S, int dim, float *probs, TmlError *err) {
    LinTab *L = ctx;
    for (int i = 0; i < S; i++) {
        const float *r = rows + (size_t)i * dim;
        double tenure = 32.0 + 24.5 * r[0];
        if (tenure < L->min_tenure) L->min_tenure = tenure;
        if (tenure > L->max_tenure) L->max_tenure = tenure;
        if (r[3] + r[4] + r[5] != 1.0f) L->bad_onehot++;
        double p1 = 1.0 / (1.0 + exp(-(-0.5 - 2.0 * r[0])));
        probs[2 * i] = (float)(1.0 - p1);
        probs[2 * i + 1] = (float)p1;
    }
    L->rows += S;
    return 0;
}

static void test_tabular_linear_in_one_feature(void **state) {
    (void)state;
    TabFixture F;
    tab_fixture(&F);
    /* tenure 5 months, charges 80, not senior, Two year contract */
    float row[6] = {(float)((5 - 32.0) / 24.5), (float)((80 - 65.0) / 30.0), (float)((0 - 0.16) / 0.37),
                    0, 0, 1};
    double raw[4];
    tml_lime_tab_raw_from_row(&F.tb, row, raw);
    assert_true(fabs(raw[0] - 5.0) < 1e-5);
    assert_true(fabs(raw[1] - 80.0) < 1e-5);
    assert_true(fabs(raw[2]) < 1e-6);
    assert_true(raw[3] == 2.0);

    TmlLimeConfig cfg;
    tml_lime_config_default(&cfg);
    cfg.seed = 9;
    cfg.batch_size = 1000;
    TmlError err;
    for (int K = 10; K >= 3; K -= 7) { /* highest weights (K 10) and forward selection (K 3) */
        LinTab L = {.min_tenure = 1e9, .max_tenure = -1e9};
        cfg.num_features = K;
        TmlLimeExplanation *e = tml_lime_tab_explain(&F.tb, row, NULL, &cfg, 2, 1, lin_tab_score, &L, &err);
        if (!e) fprintf(stderr, "%s\n", err.msg);
        assert_non_null(e);
        assert_int_equal(L.rows, 5000);
        assert_int_equal(L.bad_onehot, 0);
        /* values are drawn inside the training range */
        assert_true(L.min_tenure >= -1e-4 && L.max_tenure <= 72.0 + 1e-4);
        assert_true(L.max_tenure > 55.0);
        assert_int_equal(e->n_features, K < 4 ? K : 4);
        /* low tenure raises churn: "tenure <= 9.00" first, positive */
        assert_int_equal(e->features[0].id, 0);
        assert_string_equal(e->features[0].name, "tenure <= 9.00");
        assert_true(e->features[0].weight > 0.2);
        for (int a = 1; a < e->n_features; a++) assert_true(fabs(e->features[a].weight) < 0.02);
        for (int a = 0; a < e->n_features; a++) {
            const char *nm = e->features[a].name;
            switch (e->features[a].id) {
            case 1: assert_string_equal(nm, "70.35 < charges <= 89.85"); break;
            case 2: assert_string_equal(nm, "senior <= 0.00"); break;
            case 3: assert_string_equal(nm, "Contract=Two year"); break;
            default: assert_int_equal(e->features[a].id, 0);
            }
        }
        assert_true(fabs(e->model_prob - 1.0 / (1.0 + exp(-(-0.5 - 2.0 * row[0])))) < 1e-6);
        assert_true(e->score > 0.5);
        tml_lime_explanation_free(e);
    }
}

static void test_tabular_rules_and_raw(void **state) {
    (void)state;
    TabFixture F;
    tab_fixture(&F);
    TmlLimeConfig cfg;
    tml_lime_config_default(&cfg);
    cfg.num_samples = 300;
    cfg.selection = TML_LIME_SELECT_NONE;
    TmlError err;
    /* Raw values given explicitly: tenure exactly on a quartile goes to the "<=" bin, tenure above
     * the last quartile to ">", senior 1 above the tied quartiles, an unseen category. */
    const double raws[2][4] = {{29.0, 10.0, 1.0, -1}, {60.0, 100.0, 0.0, 0}};
    const char *want[2][4] = {{"9.00 < tenure <= 29.00", "charges <= 35.50", "senior > 0.00", "Contract=(unseen)"},
                              {"tenure > 55.00", "charges > 89.85", "senior <= 0.00", "Contract=Month-to-month"}};
    for (int q = 0; q < 2; q++) {
        float row[6] = {(float)((raws[q][0] - 32.0) / 24.5), (float)((raws[q][1] - 65.0) / 30.0),
                        (float)((raws[q][2] - 0.16) / 0.37), raws[q][3] == 0, 0, 0};
        LinTab L = {.min_tenure = 1e9, .max_tenure = -1e9};
        TmlLimeExplanation *e = tml_lime_tab_explain(&F.tb, row, raws[q], &cfg, 2, -1, lin_tab_score, &L, &err);
        assert_non_null(e);
        assert_int_equal(e->n_features, 4);
        for (int a = 0; a < 4; a++) assert_string_equal(e->features[a].name, want[q][e->features[a].id]);
        /* -1 resolved to the class the model prefers for this row */
        assert_int_equal(e->label, e->probs[1] > e->probs[0] ? 1 : 0);
        tml_lime_explanation_free(e);
        /* recovering from the row lands on the same bins */
        double raw[4];
        tml_lime_tab_raw_from_row(&F.tb, row, raw);
        e = tml_lime_tab_explain(&F.tb, row, raw, &cfg, 2, -1, lin_tab_score, &L, &err);
        assert_non_null(e);
        for (int a = 0; a < 4; a++) assert_string_equal(e->features[a].name, want[q][e->features[a].id]);
        tml_lime_explanation_free(e);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ridge_matches_sklearn),
        cmocka_unit_test(test_ridge_selection_matches_lime),
        cmocka_unit_test(test_ridge_singular_and_zero_weight),
        cmocka_unit_test(test_text_words_and_kept_tokens),
        cmocka_unit_test(test_text_ranking_linear_model),
        cmocka_unit_test(test_text_removal_counts_uniform),
        cmocka_unit_test(test_text_deterministic_and_seeded),
        cmocka_unit_test(test_text_edge_cases),
        cmocka_unit_test(test_text_label_and_errors),
        cmocka_unit_test(test_tabular_linear_in_one_feature),
        cmocka_unit_test(test_tabular_rules_and_raw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
