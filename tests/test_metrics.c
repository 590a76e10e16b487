/* test_metrics.c — tml_metrics_compute on tiny inputs whose every number is worked out by hand in
 * the comments, its error messages, and (when python3 with scikit-learn is there) the random
 * cross-check scripts/check_metrics_sklearn.py, which calls this program back in its dump mode:
 *   test_metrics --metrics-json IN.csv OUTDIR [--positive P] [--top-k K]
 * (IN.csv rows: label,p0,...,p{C-1}; writes OUTDIR/report.json through the report writer). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eval/metrics.h"
#include "eval/report.h"

static const char *g_argv0;

#define NEAR(a, b) assert_true(fabs((double)(a) - (double)(b)) < 1e-6)

/* Multiclass, C = 3, six rows (the last has a label unknown to the model):
 *   row probs            label  argmax  conf  correct
 *   0   .7 .2 .1          0      0      .7    yes
 *   1   .2 .5 .3          1      1      .5    yes
 *   2   .1 .3 .6          1      2      .6    no
 *   3   .4 .4 .2          1      0      .4    no   (tie 0/1: argmax takes the lower index)
 *   4   .2 .2 .6          2      2      .6    yes
 *   5   .3 .3 .4         -1      -      -     excluded, counted as unknown
 * confusion (rows true): [1 0 0; 1 1 1; 0 0 1]
 * class 0: tp 1, predicted 2, support 1 -> P .5, R 1,   F1 2/3
 * class 1: tp 1, predicted 1, support 3 -> P 1,  R 1/3, F1 2*1/(1+3) = .5
 * class 2: tp 1, predicted 2, support 1 -> P .5, R 1,   F1 2/3
 * macro P (0.5+1+0.5)/3 = 2/3, R (1+1/3+1)/3 = 7/9, F1 (2/3+1/2+2/3)/3 = 11/18
 * weighted (supports 1,3,1): P (.5+3+.5)/5 = .8, R (1+1+1)/5 = .6, F1 (2/3+1.5+2/3)/5 = 17/30
 * micro = accuracy = 3/5.
 * top-1 (sklearn rule: ties rank the higher index first): row 3's true class 1 ties class 0 and
 *   wins, so 4/5 = .8 although accuracy is .6; top-2: every true class is in the best two -> 1.
 * log loss = -(ln .7 + ln .5 + ln .3 + ln .4 + ln .6)/5 = 0.7361822569
 * Brier: rows .09+.04+.01=.14, .04+.25+.09=.38, .01+.49+.36=.86, .16+.36+.04=.56, .04+.04+.16=.24;
 *   sum 2.18 / 5 = .436
 * ECE, 15 bins of width 1/15: .7 -> bin 10 (acc 1), .5 -> bin 7 (acc 1), .6 twice -> bin 9
 *   (acc .5), .4 -> bin 6 (acc 0): (|1-.7| + |1-.5| + 2|.5-.6| + |0-.4|)/5 = 1.4/5 = .28
 * coverage curve by confidence: {.7} cov .2 acc 1; {.6,.6} cov .6 acc 2/3; {.5} cov .8 acc 3/4;
 *   {.4} cov 1 acc 3/5. Target .95 -> threshold .7, coverage .2; target .7 -> threshold .5, .8.
 * confused pairs: (1->0) 1 and (1->2) 1, share 1/3 each. */
static const float MC_PROBS[] = {.7f, .2f, .1f, .2f, .5f, .3f, .1f, .3f, .6f,
                                 .4f, .4f, .2f, .2f, .2f, .6f, .3f, .3f, .4f};
static const int32_t MC_LABELS[] = {0, 1, 1, 1, 2, -1};

static void test_multiclass_by_hand(void **state) {
    (void)state;
    TmlMetricsOptions o;
    tml_metrics_options_default(&o);
    o.top_k = 1;
    TmlError err = {{0}};
    TmlMetrics *m = tml_metrics_compute(MC_PROBS, MC_LABELS, 6, 3, -1, &o, &err);
    assert_non_null(m);
    assert_int_equal(m->n_rows, 6);
    assert_int_equal(m->n_unknown, 1);
    assert_int_equal(m->n_evaluated, 5);
    NEAR(m->accuracy, 0.6);
    NEAR(m->top_k_accuracy, 0.8);
    const int64_t conf[9] = {1, 0, 0, 1, 1, 1, 0, 0, 1};
    for (int i = 0; i < 9; i++) assert_int_equal(m->confusion[i], conf[i]);
    NEAR(m->per_class[0].precision, 0.5);
    NEAR(m->per_class[0].recall, 1.0);
    NEAR(m->per_class[0].f1, 2.0 / 3);
    NEAR(m->per_class[1].precision, 1.0);
    NEAR(m->per_class[1].recall, 1.0 / 3);
    NEAR(m->per_class[1].f1, 0.5);
    NEAR(m->per_class[2].f1, 2.0 / 3);
    assert_int_equal(m->per_class[1].support, 3);
    assert_int_equal(m->per_class[0].predicted, 2);
    NEAR(m->macro.precision, 2.0 / 3);
    NEAR(m->macro.recall, 7.0 / 9);
    NEAR(m->macro.f1, 11.0 / 18);
    NEAR(m->weighted.precision, 0.8);
    NEAR(m->weighted.recall, 0.6);
    NEAR(m->weighted.f1, 17.0 / 30);
    NEAR(m->micro.precision, 0.6);
    NEAR(m->micro.f1, 0.6);
    NEAR(m->log_loss, 0.7361822569);
    NEAR(m->brier, 0.436);
    NEAR(m->ece, 0.28);
    assert_int_equal(m->bins[9].count, 2);
    NEAR(m->bins[9].accuracy, 0.5);
    assert_true(isnan(m->bins[0].accuracy));

    assert_int_equal(m->coverage.n, 4);
    NEAR(m->coverage.x[1], 0.6);
    NEAR(m->coverage.y[1], 2.0 / 3);
    NEAR(m->coverage.threshold[2], 0.5);
    assert_true(m->at_target.reached);
    NEAR(m->at_target.threshold, 0.7);
    NEAR(m->at_target.coverage, 0.2);
    NEAR(m->at_target.manual_share, 0.8);

    assert_int_equal(m->n_pairs, 2);
    assert_int_equal(m->pairs[0].truth, 1);
    assert_int_equal(m->pairs[0].predicted, 0);
    assert_int_equal(m->pairs[1].predicted, 2);
    NEAR(m->pairs[0].share, 1.0 / 3);
    assert_false(m->is_binary);
    tml_metrics_free(m);

    /* top-2 and a lower target: .7 is first met by the {.5} group (acc 3/4, coverage .8). */
    o.top_k = 2;
    o.target_accuracy = 0.7;
    m = tml_metrics_compute(MC_PROBS, MC_LABELS, 6, 3, -1, &o, &err);
    assert_non_null(m);
    NEAR(m->top_k_accuracy, 1.0);
    NEAR(m->at_target.threshold, 0.5);
    NEAR(m->at_target.coverage, 0.8);
    NEAR(m->at_target.accuracy, 0.75);
    tml_metrics_free(m);

    /* The default top_k 5 is clamped to C = 3 (everything is in the top 3). */
    m = tml_metrics_compute(MC_PROBS, MC_LABELS, 6, 3, -1, NULL, &err);
    assert_non_null(m);
    assert_int_equal(m->options.top_k, 3);
    NEAR(m->top_k_accuracy, 1.0);
    tml_metrics_free(m);
}

/* Macro averages follow scikit-learn's default: over the classes present in the labels or the
 * predictions. The same five rows as above under a 4-class model whose class 3 never occurs: macro
 * F1 stays 11/18 (before: 11/24, class 3 counted as 0); the all-classes figure is kept as macro_all. */
static void test_macro_absent_class(void **state) {
    (void)state;
    float probs[6 * 4];
    for (int r = 0; r < 6; r++) {
        for (int c = 0; c < 3; c++) probs[r * 4 + c] = MC_PROBS[r * 3 + c] * 0.9f;
        probs[r * 4 + 3] = 0.1f * (r == 5 ? 1.0f : 0.5f) + (r == 5 ? 0.0f : 0.05f); /* never the argmax */
    }
    TmlMetricsOptions o;
    tml_metrics_options_default(&o);
    o.top_k = 1;
    TmlError err = {{0}};
    TmlMetrics *m = tml_metrics_compute(probs, MC_LABELS, 6, 4, -1, &o, &err);
    if (!m) fail_msg("%s", err.msg);
    assert_int_equal(m->per_class[3].support, 0);
    assert_int_equal(m->per_class[3].predicted, 0);
    NEAR(m->macro.precision, 2.0 / 3);
    NEAR(m->macro.recall, 7.0 / 9);
    NEAR(m->macro.f1, 11.0 / 18);
    NEAR(m->macro_all.f1, 11.0 / 24);
    NEAR(m->macro_all.recall, 7.0 / 12);
    /* a class predicted but absent from the labels does count (precision 0, F1 0) */
    float probs2[6 * 4];
    memcpy(probs2, probs, sizeof probs);
    probs2[4 * 4 + 3] = 0.99f; /* row 4 (true 2) now predicted as class 3 */
    TmlMetrics *m2 = tml_metrics_compute(probs2, MC_LABELS, 6, 4, -1, &o, &err);
    assert_non_null(m2);
    assert_int_equal(m2->per_class[3].predicted, 1);
    /* classes 0..3 present; class 2 lost its only hit: F1 0 */
    double f1 = (2.0 / 3 + 0.5 + 0 + 0) / 4;
    NEAR(m2->macro.f1, f1);
    NEAR(m2->macro_all.f1, f1);
    tml_metrics_free(m);
    tml_metrics_free(m2);
}

/* Binary, positive = 1, eight rows (p = probability of the positive class, y = truth):
 *   p  .9 .8 .6 .6 .3 .2 .1 .1      y  1 0 1 0 1 0 0 0     P = 3 positives, 5 negatives
 * ROC-AUC: positive .9 beats all 5 negatives (5); positive .6 beats .2 .1 .1 and ties .6 (3.5);
 *   positive .3 beats .2 .1 .1 (3): 11.5 / 15 = .7666667
 * AP: by score groups: .9 tp1 fp0 (prec 1, dR 1/3); .8 tp1 fp1 (dR 0); .6 tp2 fp2 (prec .5, dR
 *   1/3); .3 tp3 fp2 (prec .6, dR 1/3): 1/3 + 1/6 + 1/5 = .7
 * threshold .5: positive for .9 .8 .6 .6 -> tp 2, fp 2, fn 1, tn 3; accuracy 5/8; P .5, R 2/3,
 *   F1 4/7
 * best F1 over thresholds: .9 -> 2/4, .8 -> 2/5, .6 -> 4/7, .3 -> 6/8 = .75 (best), .2 -> 6/9
 * riskiest 10% = 0.8 rows: the top group {.9, positive} is cut to 0.8 of a row -> 0.8 positives
 *   captured of 3: capture .2666667, lift 2.666667
 * Brier (binary): .01 .64 .16 .36 .49 .04 .01 .01 -> 1.72 / 8 = .215
 * log loss: p(true) .9 .2 .6 .4 .3 .8 .9 .9 -> 0.5974690213
 * confidence = prob of predicted class: .9 .8 .6 .6 .7 .8 .9 .9, correct: 1 0 1 0 0 1 1 1;
 *   {.9 x3} all right: coverage 3/8 at accuracy 1 -> target .95 at threshold .9, manual .625 */
static const float BIN_P[] = {.9f, .8f, .6f, .6f, .3f, .2f, .1f, .1f};
static const int32_t BIN_Y[] = {1, 0, 1, 0, 1, 0, 0, 0};

static void test_binary_by_hand(void **state) {
    (void)state;
    float probs[16];
    for (int i = 0; i < 8; i++) {
        probs[2 * i] = 1.0f - BIN_P[i];
        probs[2 * i + 1] = BIN_P[i];
    }
    TmlError err = {{0}};
    TmlMetrics *m = tml_metrics_compute(probs, BIN_Y, 8, 2, 1, NULL, &err);
    assert_non_null(m);
    assert_true(m->is_binary);
    const TmlBinaryMetrics *b = &m->binary;
    NEAR(b->roc_auc, 11.5 / 15);
    NEAR(b->pr_auc, 0.7);
    assert_int_equal(b->tp, 2);
    assert_int_equal(b->fp, 2);
    assert_int_equal(b->fn, 1);
    assert_int_equal(b->tn, 3);
    NEAR(m->accuracy, 5.0 / 8);
    NEAR(b->precision, 0.5);
    NEAR(b->recall, 2.0 / 3);
    NEAR(b->f1, 4.0 / 7);
    NEAR(b->best_f1, 0.75);
    NEAR(b->best_f1_threshold, 0.3);
    NEAR(b->capture_top10, 0.8 / 3);
    NEAR(b->lift_top10, 8.0 / 3);
    NEAR(b->positive_rate, 3.0 / 8);
    NEAR(m->brier, 0.215);
    NEAR(m->log_loss, 0.5974690213);
    NEAR(m->at_target.threshold, 0.9);
    NEAR(m->at_target.coverage, 3.0 / 8);
    NEAR(m->at_target.manual_share, 5.0 / 8);
    /* ROC starts at (0,0) and ends at (1,1); PR starts at recall 0, precision 1. */
    NEAR(b->roc.x[0], 0);
    NEAR(b->roc.y[b->roc.n - 1], 1);
    NEAR(b->roc.x[b->roc.n - 1], 1);
    NEAR(b->pr.y[0], 1);
    tml_metrics_free(m);

    /* A stricter threshold .7: positive only for .9 .8 -> tp 1, fp 1, fn 2, tn 4. */
    TmlMetricsOptions o;
    tml_metrics_options_default(&o);
    o.threshold = 0.7;
    m = tml_metrics_compute(probs, BIN_Y, 8, 2, 1, &o, &err);
    assert_non_null(m);
    assert_int_equal(m->binary.tp, 1);
    assert_int_equal(m->binary.fp, 1);
    assert_int_equal(m->binary.fn, 2);
    assert_int_equal(m->binary.tn, 4);
    NEAR(m->accuracy, 5.0 / 8);
    tml_metrics_free(m);

    /* Only negatives present: ROC-AUC and AP are undefined (NaN), the rest still computes. */
    const int32_t neg[8] = {0};
    m = tml_metrics_compute(probs, neg, 8, 2, 1, NULL, &err);
    assert_non_null(m);
    assert_true(isnan(m->binary.roc_auc));
    assert_true(isnan(m->binary.pr_auc));
    NEAR(m->accuracy, 4.0 / 8);
    tml_metrics_free(m);
}

/* Curves are thinned to curve_points with both ends kept; the scalar metrics still use every row. */
static void test_curve_thinning(void **state) {
    (void)state;
    enum { N = 1000 };
    float *probs = malloc(sizeof(float) * 2 * N);
    int32_t *y = malloc(sizeof(int32_t) * N);
    for (int i = 0; i < N; i++) {
        float p = (float)i / N;
        probs[2 * i] = 1 - p;
        probs[2 * i + 1] = p;
        y[i] = i % 3 == 0 || i > 700;
    }
    TmlMetricsOptions o;
    tml_metrics_options_default(&o);
    o.curve_points = 50;
    TmlError err = {{0}};
    TmlMetrics *m = tml_metrics_compute(probs, y, N, 2, 1, &o, &err);
    assert_non_null(m);
    assert_int_equal(m->binary.roc.n, 50);
    NEAR(m->binary.roc.x[0], 0);
    NEAR(m->binary.roc.x[49], 1);
    assert_true(m->coverage.n <= 50);
    NEAR(m->coverage.x[m->coverage.n - 1], 1.0);
    /* Distinct scores, so the riskiest 10% is exactly rows 900..999, all positive: capture =
     * 100 / #positives. */
    int64_t P = 0;
    for (int i = 0; i < N; i++) P += y[i];
    NEAR(m->binary.capture_top10, 100.0 / (double)P);
    tml_metrics_free(m);
    free(probs);
    free(y);
}

static void test_errors(void **state) {
    (void)state;
    TmlError err = {{0}};
    int32_t bad_label[6] = {0, 1, 3, 1, 2, -1};
    assert_null(tml_metrics_compute(MC_PROBS, bad_label, 6, 3, -1, NULL, &err));
    assert_non_null(strstr(err.msg, "row 3")); /* 1-based, as explain --rows and the reports count */
    assert_non_null(strstr(err.msg, "label index 3"));

    float nan_probs[18];
    memcpy(nan_probs, MC_PROBS, sizeof nan_probs);
    nan_probs[4] = NAN;
    assert_null(tml_metrics_compute(nan_probs, MC_LABELS, 6, 3, -1, NULL, &err));
    assert_non_null(strstr(err.msg, "row 2, class 1"));
    assert_non_null(strstr(err.msg, "NaN"));
    assert_null(strstr(err.msg, "logits")); /* a NaN is a diverged model, not logits */
    assert_non_null(strstr(err.msg, "lower train.lr"));

    nan_probs[4] = 3.5f; /* a logit, not a probability */
    assert_null(tml_metrics_compute(nan_probs, MC_LABELS, 6, 3, -1, NULL, &err));
    assert_non_null(strstr(err.msg, "logits"));

    int32_t unknown[6] = {-1, -1, -1, -1, -1, -1};
    assert_null(tml_metrics_compute(MC_PROBS, unknown, 6, 3, -1, NULL, &err));
    assert_non_null(strstr(err.msg, "none of the 6 rows"));

    assert_null(tml_metrics_compute(MC_PROBS, MC_LABELS, 6, 3, 1, NULL, &err));
    assert_non_null(strstr(err.msg, "C = 2"));
    assert_null(tml_metrics_compute(MC_PROBS, MC_LABELS, 0, 3, -1, NULL, &err));
    assert_null(tml_metrics_compute(MC_PROBS, MC_LABELS, 6, 1, -1, NULL, &err));
    TmlMetricsOptions o;
    tml_metrics_options_default(&o);
    o.ece_bins = 0;
    assert_null(tml_metrics_compute(MC_PROBS, MC_LABELS, 6, 3, -1, &o, &err));
    assert_non_null(strstr(err.msg, "ece_bins"));
}

/* The result must not depend on row order: shuffle the binary rows and compare. */
static void test_order_independent(void **state) {
    (void)state;
    static const int perm[8] = {5, 2, 7, 0, 3, 6, 1, 4};
    float a[16], b[16];
    int32_t ya[8], yb[8];
    for (int i = 0; i < 8; i++) {
        a[2 * i] = 1 - BIN_P[i], a[2 * i + 1] = BIN_P[i], ya[i] = BIN_Y[i];
        b[2 * i] = 1 - BIN_P[perm[i]], b[2 * i + 1] = BIN_P[perm[i]], yb[i] = BIN_Y[perm[i]];
    }
    TmlError err = {{0}};
    TmlMetrics *x = tml_metrics_compute(a, ya, 8, 2, 1, NULL, &err), *y = tml_metrics_compute(b, yb, 8, 2, 1, NULL, &err);
    assert_non_null(x);
    assert_non_null(y);
    NEAR(x->binary.roc_auc, y->binary.roc_auc);
    NEAR(x->binary.pr_auc, y->binary.pr_auc);
    NEAR(x->binary.capture_top10, y->binary.capture_top10);
    NEAR(x->at_target.coverage, y->at_target.coverage);
    NEAR(x->ece, y->ece);
    tml_metrics_free(x);
    tml_metrics_free(y);
}

/* Runs scripts/check_metrics_sklearn.py (random multiclass and binary predictions with ties,
 * compared with scikit-learn to 1e-6) with the first python3 that imports numpy and sklearn:
 * the one on PATH, else Debian's /usr/bin/python3 (CI installs python3-sklearn there while PATH
 * may point at another interpreter). */
/* Intervals and baselines: Wilson by its formula, bootstrap intervals around the estimate that
 * shrink with more rows, the two do-nothing models by hand. */
static void test_intervals_and_baseline(void **state) {
    (void)state;
    /* 3 classes; truth shares 0.5 / 0.3 / 0.2; the model is right on 80% of each class */
    enum { N = 1000, C = 3 };
    float *probs = malloc(sizeof(float) * N * C);
    int32_t *labels = malloc(sizeof(int32_t) * N);
    for (int i = 0; i < N; i++) {
        int y = i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2;
        int pred = (i / 10) % 5 == 0 ? (y + 1) % C : y; /* every 5th group of ten: wrong */
        labels[i] = y;
        for (int c = 0; c < C; c++) probs[i * C + c] = c == pred ? 0.8f : 0.1f;
    }
    TmlError err;
    TmlMetrics *m = tml_metrics_compute(probs, labels, N, C, -1, NULL, &err);
    assert_non_null(m);
    double p = m->accuracy, z = 1.959963984540054, d = 1 + z * z / N;
    double c = (p + z * z / (2.0 * N)) / d, h = z * sqrt(p * (1 - p) / N + z * z / (4.0 * N * N)) / d;
    assert_true(fabs(m->accuracy_ci.lo - (c - h)) < 1e-12 && fabs(m->accuracy_ci.hi - (c + h)) < 1e-12);
    assert_true(m->macro_f1_ci.lo < m->macro.f1 && m->macro.f1 < m->macro_f1_ci.hi);
    assert_true(m->macro_f1_ci.hi - m->macro_f1_ci.lo < 0.1);
    for (int k = 0; k < C; k++) assert_true(m->f1_ci[k].lo <= m->per_class[k].f1 && m->per_class[k].f1 <= m->f1_ci[k].hi);
    /* the majority class is 0: accuracy 0.5; its F1 2*0.5/(0.5+1), the others 0 */
    assert_int_equal(m->baseline.majority, 0);
    assert_true(fabs(m->baseline.majority_accuracy - 0.5) < 1e-12);
    assert_true(fabs(m->baseline.majority_macro_f1 - (2 * 0.5 / 1.5) / 3) < 1e-9);
    /* guessing by shares: accuracy sum p^2, each class's F1 its share, macro the mean */
    assert_true(fabs(m->baseline.prior_accuracy - (0.25 + 0.09 + 0.04)) < 1e-12);
    assert_true(fabs(m->baseline.prior_macro_f1 - (0.5 + 0.3 + 0.2) / 3) < 1e-6);
    /* the same model on 10x the rows: narrower intervals; the same rows again: the same intervals */
    float *p10 = malloc(sizeof(float) * N * C * 10);
    int32_t *l10 = malloc(sizeof(int32_t) * N * 10);
    for (int r = 0; r < 10; r++) {
        memcpy(p10 + (size_t)r * N * C, probs, sizeof(float) * N * C);
        memcpy(l10 + (size_t)r * N, labels, sizeof(int32_t) * N);
    }
    TmlMetrics *m10 = tml_metrics_compute(p10, l10, 10 * N, C, -1, NULL, &err), *again = tml_metrics_compute(probs, labels, N, C, -1, NULL, &err);
    assert_non_null(m10);
    assert_non_null(again);
    assert_true(m10->macro_f1_ci.hi - m10->macro_f1_ci.lo < 0.6 * (m->macro_f1_ci.hi - m->macro_f1_ci.lo));
    assert_true(m10->accuracy_ci.hi - m10->accuracy_ci.lo < 0.6 * (m->accuracy_ci.hi - m->accuracy_ci.lo));
    assert_true(again->macro_f1_ci.lo == m->macro_f1_ci.lo && again->macro_f1_ci.hi == m->macro_f1_ci.hi);
    tml_metrics_free(m);
    tml_metrics_free(m10);
    tml_metrics_free(again);
    free(probs), free(labels), free(p10), free(l10);
}

static void test_sklearn_crosscheck(void **state) {
    (void)state;
    const char *script = "scripts/check_metrics_sklearn.py";
    if (access(script, R_OK) != 0) {
        printf("skip: %s not found (run from the repository root)\n", script);
        skip();
    }
    const char *pythons[] = {"python3", "/usr/bin/python3"};
    const char *py = NULL;
    for (size_t i = 0; i < sizeof pythons / sizeof pythons[0] && !py; i++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "%s -c 'import numpy, sklearn' >/dev/null 2>&1", pythons[i]);
        if (system(cmd) == 0) py = pythons[i];
    }
    if (!py) {
        printf("skip: no python3 with numpy and scikit-learn (apt-get install python3-sklearn)\n");
        skip();
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s --bin %s", py, script, g_argv0);
    int rc = system(cmd);
    assert_int_equal(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 0);
}

/* ---- dump mode for the cross-check script ---------------------------------------------------- */

static int dump_metrics(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s --metrics-json IN.csv OUTDIR [--positive P] [--top-k K]\n", argv[0]);
        return 2;
    }
    TmlMetricsOptions o;
    tml_metrics_options_default(&o);
    o.curve_points = 100000;
    int positive = -1;
    for (int i = 4; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--positive")) positive = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--top-k")) o.top_k = atoi(argv[i + 1]);
    }
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    size_t n = 0, cap = 0;
    float *probs = NULL;
    int32_t *labels = NULL;
    int C = -1;
    char line[65536];
    while (fgets(line, sizeof line, f)) {
        char *p = line, *end;
        long y = strtol(p, &end, 10);
        if (end == p) continue;
        float row[4096];
        int c = 0;
        for (p = end; *p == ',' && c < 4096; p = end) row[c++] = (float)strtod(p + 1, &end);
        if (C < 0) C = c;
        if (c != C || C < 1) {
            fprintf(stderr, "%s:%zu: %d columns, expected %d\n", argv[2], n + 1, c, C);
            return 2;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            probs = realloc(probs, cap * (size_t)C * sizeof(float));
            labels = realloc(labels, cap * sizeof(int32_t));
            if (!probs || !labels) return 2;
        }
        memcpy(probs + n * (size_t)C, row, sizeof(float) * (size_t)C);
        labels[n++] = (int32_t)y;
    }
    fclose(f);
    TmlError err = {{0}};
    TmlMetrics *m = tml_metrics_compute(probs, labels, (int64_t)n, C, positive, &o, &err);
    if (!m) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    char **names = malloc(sizeof(char *) * (size_t)C);
    for (int c = 0; c < C; c++) {
        names[c] = malloc(16);
        snprintf(names[c], 16, "c%d", c);
    }
    TmlReportInput in = {0};
    in.metrics = m;
    in.label_names = (const char *const *)names;
    in.data_rows = -1;
    int rc = tml_report_write(argv[3], &in, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    for (int c = 0; c < C; c++) free(names[c]);
    free(names);
    tml_metrics_free(m);
    free(probs);
    free(labels);
    return rc ? 1 : 0;
}

int main(int argc, char **argv) {
    g_argv0 = argv[0];
    if (argc > 1 && !strcmp(argv[1], "--metrics-json")) return dump_metrics(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multiclass_by_hand), cmocka_unit_test(test_macro_absent_class), cmocka_unit_test(test_binary_by_hand),
        cmocka_unit_test(test_curve_thinning),     cmocka_unit_test(test_errors),
        cmocka_unit_test(test_order_independent),  cmocka_unit_test(test_sklearn_crosscheck),
        cmocka_unit_test(test_intervals_and_baseline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
