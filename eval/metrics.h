/* metrics.h — every number a ticketml evaluation reports, computed from predicted probabilities
 * and true labels in one free function (no model, no device): accuracy, top-k, per-class P/R/F1,
 * averages, confusion, log loss, Brier, ECE, binary ROC/PR, lift and coverage-accuracy curves.
 * The definitions follow scikit-learn where it has one (scripts/check_metrics_sklearn.py checks). */
#ifndef TICKETML_EVAL_METRICS_H
#define TICKETML_EVAL_METRICS_H

#include <stdint.h>

#include "ticketml/error.h"

typedef struct TmlMetricsOptions {
    int top_k;              /* top-k accuracy; default 5 (clamped to the number of classes) */
    double threshold;       /* binary: predict the positive class when p_pos >= threshold; 0.5 */
    double target_accuracy; /* coverage_at_target: accuracy the auto-handled tickets must reach; 0.95 */
    int ece_bins;           /* equal-width confidence bins for ECE and the reliability diagram; 15 */
    int max_pairs;          /* most confused (truth, predicted) pairs kept; 10 */
    int curve_points;       /* curves are thinned to at most this many points (ends kept); 256 */
    int bootstrap;          /* replicates of the F1 confidence intervals; 1000 (0: no F1 intervals) */
} TmlMetricsOptions;

/* Fills o with the defaults above. */
void tml_metrics_options_default(TmlMetricsOptions *o);

typedef struct TmlClassMetrics {
    double precision, recall, f1; /* 0 where undefined (no prediction / no support), like sklearn */
    int64_t support;              /* rows whose true label is this class */
    int64_t predicted;            /* rows predicted as this class */
} TmlClassMetrics;

typedef struct TmlAverage {
    double precision, recall, f1;
} TmlAverage;

typedef struct TmlConfusedPair {
    int truth, predicted; /* class indices, truth != predicted */
    int64_t count;        /* rows of class truth predicted as predicted */
    double share;         /* count / support(truth) */
} TmlConfusedPair;

/* A curve as parallel columns; thinned to at most options.curve_points points. */
typedef struct TmlCurve {
    int n;
    double *x, *y;     /* (n) */
    double *threshold; /* (n) score at which the point is reached; INFINITY for "nothing yet" */
} TmlCurve;

typedef struct TmlReliabilityBin {
    double lo, hi;        /* confidence range [lo, hi) (the last bin includes 1) */
    int64_t count;
    double confidence;    /* mean confidence of its rows (NaN when empty) */
    double accuracy;      /* share of its rows predicted correctly (NaN when empty) */
} TmlReliabilityBin;

/* The confidence threshold at which auto-handled tickets (confidence >= threshold) reach the
 * target accuracy, taking as many tickets as possible. */
typedef struct TmlCoverageTarget {
    double target;       /* options.target_accuracy */
    int reached;         /* 0: no threshold reaches the target (threshold NaN, coverage 0) */
    double threshold;    /* lowest confidence auto-handled */
    double coverage;     /* share of rows auto-handled */
    double accuracy;     /* accuracy of those rows */
    double manual_share; /* 1 - coverage: share left for a person */
} TmlCoverageTarget;

/* Binary-only metrics (positive >= 0); the score is probs[:, positive]. NaN where undefined (a
 * single class present: no ROC). */
typedef struct TmlBinaryMetrics {
    int positive;            /* class index of the positive class */
    double threshold;        /* options.threshold */
    int64_t tp, fp, tn, fn;  /* at the threshold */
    double precision, recall, f1; /* of the positive class at the threshold */
    double roc_auc;          /* = sklearn roc_auc_score (ties count one half) */
    double pr_auc;           /* = sklearn average_precision_score (step sum, no interpolation) */
    double best_f1;          /* highest F1 over all thresholds */
    double best_f1_threshold;/* the score threshold giving it (positive when p_pos >= it) */
    double capture_top10;    /* share of all positives found among the riskiest 10% of rows */
    double lift_top10;       /* capture_top10 / 0.1: how much better than random picking */
    double positive_rate;    /* share of positives among evaluated rows */
    TmlCurve roc;            /* x = false positive rate, y = true positive rate */
    TmlCurve pr;             /* x = recall, y = precision (starts at recall 0, precision 1) */
} TmlBinaryMetrics;

/* A 95% confidence interval; NaN ends when not computed. */
typedef struct TmlInterval {
    double lo, hi;
} TmlInterval;

/* What a model that looks at nothing scores on the same rows (metrics_ci.c). */
typedef struct TmlBaseline {
    int majority;                /* the most frequent true class of the evaluated rows (lowest index on ties) */
    double majority_accuracy;    /* predicting it for every row */
    double majority_macro_f1;
    double prior_accuracy;       /* guessing each class with its share of the rows (expected values) */
    double prior_macro_f1;
} TmlBaseline;

typedef struct TmlMetrics {
    int n_classes;               /* C */
    int64_t n_rows;              /* rows given */
    int64_t n_unknown;           /* rows with label -1 (unknown to the model), excluded */
    int64_t n_evaluated;         /* n_rows - n_unknown: every number below is over these */
    TmlMetricsOptions options;   /* as used (top_k clamped to C) */

    double accuracy;
    double top_k_accuracy;       /* top options.top_k; ties rank the higher class index first (sklearn) */
    double log_loss;             /* mean -ln(clip(p_true, 1e-15, 1 - 1e-15)) */
    double brier;                /* multiclass: mean sum_c (p_c - onehot_c)^2; binary: mean (p_pos - y)^2 */
    double ece;                  /* sum_b n_b/N |accuracy_b - confidence_b| over options.ece_bins */
    TmlClassMetrics *per_class;  /* (C) */
    TmlAverage macro, weighted, micro; /* unweighted mean over the classes present in the labels or the
                                        * predictions (scikit-learn's default) / support-weighted mean /
                                        * pooled counts */
    TmlAverage macro_all;        /* unweighted mean over every class of the model, absent ones as 0
                                  * (scikit-learn with labels = all classes) */
    int64_t *confusion;          /* (C, C) row = true class, column = predicted class */

    int n_pairs;
    TmlConfusedPair *pairs;      /* (n_pairs) by count descending, then (truth, predicted) */

    TmlReliabilityBin *bins;     /* (options.ece_bins) */
    TmlCurve coverage;           /* x = coverage, y = accuracy of covered rows, threshold = confidence */
    TmlCoverageTarget at_target;

    int is_binary;               /* 1 when a positive class was given */
    TmlBinaryMetrics binary;     /* valid when is_binary */

    TmlInterval accuracy_ci;     /* Wilson score interval */
    TmlInterval macro_f1_ci;     /* Poisson bootstrap percentile interval (options.bootstrap replicates) */
    TmlInterval *f1_ci;          /* (C) the same per class */
    TmlBaseline baseline;
} TmlMetrics;

/* Computes every metric over the rows whose label is not -1, in O(N log N + N C + C^2).
 *   probs    (N, C) row-major probabilities (softmax or sigmoid outputs), each in [0, 1]
 *   labels   (N)    true class index in [0, C), or -1 for a label the model does not know (counted
 *                   in n_unknown, excluded from every metric)
 *   positive class index of the positive class for a binary model (C must be 2), or -1
 *   opt      NULL for the defaults
 * Prediction rule: multiclass -> argmax (lowest index on ties, like numpy); binary -> positive when
 * probs[:, positive] >= opt->threshold. A row's confidence is the probability of its predicted
 * class. Returns a new TmlMetrics the caller frees with tml_metrics_free, or NULL with err set
 * (bad shape, a label out of range, a NaN or out-of-range probability, no known label at all). */
TmlMetrics *tml_metrics_compute(const float *probs, const int32_t *labels, int64_t N, int C, int positive,
                                const TmlMetricsOptions *opt, TmlError *err);

/* Per-class precision/recall/F1, support, predicted counts and the macro/weighted/micro averages,
 * all from m->confusion (the one definition: tml_metrics_compute and the bootstrap use it). */
void tml_metrics_fill_classes(TmlMetrics *m);

/* The confidence intervals and the baseline of m, from its confusion matrix (metrics_ci.c; called
 * by tml_metrics_compute). The bootstrap is seeded: the same matrix gives the same intervals.
 * 0, or -1 when out of memory. */
int tml_metrics_fill_intervals(TmlMetrics *m);

/* The class the metrics' prediction rule assigns to one row of probabilities (C values). */
int tml_metrics_predict(const TmlMetrics *m, const float *row);

void tml_metrics_free(TmlMetrics *m);

#endif
