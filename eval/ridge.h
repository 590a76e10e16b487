/* ridge.h — weighted ridge regression with intercept, the local surrogate LIME fits, plus LIME's
 * feature selection (forward selection, highest weights). Matches scikit-learn's
 * Ridge(alpha, fit_intercept=True).fit(X, y, sample_weight=w) and its score(X, y, sample_weight=w).
 *
 * Every fit of one explanation uses the same X, y and w, only on different feature subsets, so the
 * weighted means and the centered weighted Gram matrix are computed once (TmlRidgeStats) and each
 * subset fit is a small Cholesky solve on a submatrix. All arithmetic is in double. */
#ifndef TICKETML_EVAL_RIDGE_H
#define TICKETML_EVAL_RIDGE_H

#include "ticketml/error.h"

typedef struct TmlRidgeStats {
    int p;           /* number of features */
    double wsum;     /* sum of weights */
    double *xmean;   /* (p) weighted means of the columns */
    double ymean;    /* weighted mean of y */
    double *gram;    /* (p, p) sum_i w_i (x_i - xmean)(x_i - xmean)^T, full symmetric */
    double *xy;      /* (p) sum_i w_i (x_i - xmean) (y_i - ymean) */
    double yy;       /* sum_i w_i (y_i - ymean)^2 */
} TmlRidgeStats;

/* Computes the statistics of X (n, p) row-major, y (n), w (n) (w NULL: all 1). Zeros in X are
 * skipped, so binary (LIME) data costs about half a dense pass. -1 on allocation failure or
 * non-positive weight sum. Caller frees with tml_ridge_stats_free. */
int tml_ridge_stats_init(TmlRidgeStats *st, const double *X, const double *y, const double *w, int n,
                         int p, TmlError *err);
void tml_ridge_stats_free(TmlRidgeStats *st);

/* Fits ridge on the k features feat[0..k) (indices into 0..p): solves
 * (G_SS + alpha I) b = xy_S by Cholesky; intercept = ymean - xmean_S . b. If the system is not
 * positive definite (alpha 0 with collinear columns) a tiny ridge (1e-10 * mean diagonal) is added,
 * standing in for scikit-learn's least-squares fallback. coef (k) is written; intercept and r2
 * (the weighted R^2 from the Gram identity) may be NULL. Returns 0, or -1 on allocation failure. */
int tml_ridge_fit_subset(const TmlRidgeStats *st, const int *feat, int k, double alpha, double *coef,
                         double *intercept, double *r2);

/* Weighted R^2 as sklearn.metrics.r2_score(y, X b + c, sample_weight=w): 1 - SSE/SST computed
 * directly over the n rows of X (n, p) restricted to feat (k) (feat NULL: all p columns). When
 * SST is 0 it returns 1 if SSE is 0 too, else 0 (scikit-learn's force_finite rule). */
double tml_ridge_score(const double *X, int n, int p, const int *feat, int k, const double *y,
                       const double *w, const double *coef, double intercept);

/* LIME's forward selection (lime_base.forward_selection): greedily adds the feature whose
 * unregularized (alpha 0) fit with the already chosen ones has the highest weighted R^2; ties keep
 * the lower index. Writes min(K, p) indices in order of selection to out; returns that count, or
 * -1 on allocation failure. */
int tml_ridge_select_forward(const TmlRidgeStats *st, int K, int *out);

/* LIME's highest_weights selection: fits ridge (alpha 0.01) on all p features and keeps the K
 * with the largest |coef_j * x0_j| (x0 = the explained instance's row; NULL means all ones),
 * stable on ties. Writes min(K, p) indices, largest first; returns the count or -1. */
int tml_ridge_select_highest(const TmlRidgeStats *st, const double *x0, int K, int *out);

#endif
