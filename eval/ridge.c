/* ridge.c — weighted ridge regression with intercept on a precomputed centered Gram matrix, the
 * weighted R^2 of scikit-learn, and LIME's two feature-selection rules (see ridge.h). */
#include "eval/ridge.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int tml_ridge_stats_init(TmlRidgeStats *st, const double *X, const double *y, const double *w, int n,
                         int p, TmlError *err) {
    memset(st, 0, sizeof *st);
    TML_ASSERT(n >= 0 && p >= 0);
    st->p = p;
    double wsum = 0.0, ysum = 0.0;
    for (int i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        wsum += wi;
        ysum += wi * y[i];
    }
    if (!(wsum > 0.0)) return tml_fail(err, "ridge: sample weights sum to %g; need a positive sum", wsum);
    st->wsum = wsum;
    st->ymean = ysum / wsum;
    size_t pp = (size_t)p * (size_t)p;
    st->xmean = calloc((size_t)p + 1, sizeof(double));
    st->gram = calloc(pp + 1, sizeof(double));
    st->xy = calloc((size_t)p + 1, sizeof(double));
    if (!st->xmean || !st->gram || !st->xy) {
        tml_ridge_stats_free(st);
        return tml_fail(err, "ridge: out of memory for %d features", p);
    }
    /* Uncentered sums first (skipping zeros makes binary LIME data cheap), then the centering
     * identity sum w (x-a)(z-b) = sum w x z - W a b. The data here are O(1) and the weights in
     * (0, 1], so the cancellation costs a few digits of double precision at most. */
    double *G = st->gram, *xy = st->xy, *xs = st->xmean, yy = 0.0;
    for (int i = 0; i < n; i++) {
        const double *xi = X + (size_t)i * p;
        double wi = w ? w[i] : 1.0, yi = y[i];
        yy += wi * yi * yi;
        for (int j = 0; j < p; j++) {
            double a = xi[j];
            if (a == 0.0) continue;
            double wa = wi * a;
            xs[j] += wa;
            xy[j] += wa * yi;
            double *Gj = G + (size_t)j * p;
            for (int l = j; l < p; l++) Gj[l] += wa * xi[l];
        }
    }
    for (int j = 0; j < p; j++) xs[j] /= wsum;
    for (int j = 0; j < p; j++) {
        xy[j] -= wsum * xs[j] * st->ymean;
        for (int l = j; l < p; l++) {
            double g = G[(size_t)j * p + l] - wsum * xs[j] * xs[l];
            G[(size_t)j * p + l] = g;
            G[(size_t)l * p + j] = g;
        }
    }
    st->yy = yy - wsum * st->ymean * st->ymean;
    if (st->yy < 0.0) st->yy = 0.0;
    return 0;
}

void tml_ridge_stats_free(TmlRidgeStats *st) {
    if (!st) return;
    free(st->xmean);
    free(st->gram);
    free(st->xy);
    memset(st, 0, sizeof *st);
}

/* In-place Cholesky A = L L^T of the k x k matrix A (lower triangle used); 0 ok, -1 not PD. */
static int chol_factor(double *A, int k) {
    for (int j = 0; j < k; j++) {
        double d = A[j * k + j];
        for (int t = 0; t < j; t++) d -= A[j * k + t] * A[j * k + t];
        if (!(d > 0.0)) return -1;
        d = sqrt(d);
        A[j * k + j] = d;
        for (int i = j + 1; i < k; i++) {
            double s = A[i * k + j];
            for (int t = 0; t < j; t++) s -= A[i * k + t] * A[j * k + t];
            A[i * k + j] = s / d;
        }
    }
    return 0;
}

static void chol_solve(const double *L, int k, double *b) {
    for (int i = 0; i < k; i++) {
        double s = b[i];
        for (int t = 0; t < i; t++) s -= L[i * k + t] * b[t];
        b[i] = s / L[i * k + i];
    }
    for (int i = k - 1; i >= 0; i--) {
        double s = b[i];
        for (int t = i + 1; t < k; t++) s -= L[t * k + i] * b[t];
        b[i] = s / L[i * k + i];
    }
}

/* r2 from 1 - SSE/SST, with SST == 0 handled like scikit-learn's force_finite. */
static double r2_from(double sse, double sst) {
    if (sse < 0.0) sse = 0.0;
    /* "Zero" relative to the data: exact zeros rarely survive centering in floating point. */
    if (sst <= 1e-300) return sse <= 1e-300 ? 1.0 : 0.0;
    return 1.0 - sse / sst;
}

int tml_ridge_fit_subset(const TmlRidgeStats *st, const int *feat, int k, double alpha, double *coef,
                         double *intercept, double *r2) {
    TML_ASSERT(k >= 0 && k <= st->p);
    int p = st->p;
    double *A = malloc(((size_t)k * k + 1) * sizeof(double));
    if (!A) return -1;
    double diag_mean = 0.0;
    for (int a = 0; a < k; a++) diag_mean += st->gram[(size_t)feat[a] * p + feat[a]];
    diag_mean = k ? diag_mean / k : 0.0;
    double extra = 0.0;
    for (int attempt = 0;; attempt++) {
        for (int a = 0; a < k; a++) {
            for (int c = 0; c < k; c++) A[a * k + c] = st->gram[(size_t)feat[a] * p + feat[c]];
            A[a * k + a] += alpha + extra;
            coef[a] = st->xy[feat[a]];
        }
        if (chol_factor(A, k) == 0) break;
        /* Singular (alpha 0 and collinear or constant columns): nudge the diagonal up until it
         * factors; the nudged fit is the minimum-norm solution up to O(extra). */
        TML_ASSERT(attempt < 40);
        extra = extra == 0.0 ? 1e-10 * (diag_mean > 0.0 ? diag_mean : 1.0) : extra * 10.0;
    }
    chol_solve(A, k, coef);
    free(A);
    if (intercept) {
        double c = st->ymean;
        for (int a = 0; a < k; a++) c -= st->xmean[feat[a]] * coef[a];
        *intercept = c;
    }
    if (r2) {
        /* SSE = yy - 2 b.xy + b^T G b over the centered data. */
        double sse = st->yy;
        for (int a = 0; a < k; a++) {
            double gb = 0.0;
            for (int c = 0; c < k; c++) gb += st->gram[(size_t)feat[a] * p + feat[c]] * coef[c];
            sse += coef[a] * (gb - 2.0 * st->xy[feat[a]]);
        }
        *r2 = r2_from(sse, st->yy);
    }
    return 0;
}

double tml_ridge_score(const double *X, int n, int p, const int *feat, int k, const double *y,
                       const double *w, const double *coef, double intercept) {
    double wsum = 0.0, ysum = 0.0;
    for (int i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        wsum += wi;
        ysum += wi * y[i];
    }
    double ymean = wsum > 0.0 ? ysum / wsum : 0.0, sse = 0.0, sst = 0.0;
    int kk = feat ? k : p;
    for (int i = 0; i < n; i++) {
        const double *xi = X + (size_t)i * p;
        double pred = intercept;
        for (int a = 0; a < kk; a++) pred += coef[a] * xi[feat ? feat[a] : a];
        double wi = w ? w[i] : 1.0, r = y[i] - pred, d = y[i] - ymean;
        sse += wi * r * r;
        sst += wi * d * d;
    }
    return r2_from(sse, sst);
}

int tml_ridge_select_forward(const TmlRidgeStats *st, int K, int *out) {
    int p = st->p, want = K < p ? K : p;
    if (want <= 0) return 0;
    int *cand = malloc((size_t)want * sizeof(int));
    double *coef = malloc((size_t)want * sizeof(double));
    unsigned char *used = calloc((size_t)p, 1);
    if (!cand || !coef || !used) {
        free(cand), free(coef), free(used);
        return -1;
    }
    int rc = 0;
    for (int s = 0; s < want && rc == 0; s++) {
        double best_score = -100000000.0; /* lime_base's starting max_ */
        int best = 0;
        memcpy(cand, out, (size_t)s * sizeof(int));
        for (int f = 0; f < p; f++) {
            if (used[f]) continue;
            cand[s] = f;
            double r2;
            if (tml_ridge_fit_subset(st, cand, s + 1, 0.0, coef, NULL, &r2) != 0) {
                rc = -1;
                break;
            }
            if (r2 > best_score) {
                best_score = r2;
                best = f;
            }
        }
        out[s] = best;
        used[best] = 1;
    }
    free(cand), free(coef), free(used);
    return rc == 0 ? want : -1;
}

int tml_ridge_select_highest(const TmlRidgeStats *st, const double *x0, int K, int *out) {
    int p = st->p, want = K < p ? K : p;
    if (want <= 0) return 0;
    int *all = calloc((size_t)p, sizeof(int));
    double *coef = malloc((size_t)p * sizeof(double));
    if (!all || !coef) {
        free(all), free(coef);
        return -1;
    }
    for (int j = 0; j < p; j++) all[j] = j;
    if (tml_ridge_fit_subset(st, all, p, 0.01, coef, NULL, NULL) != 0) {
        free(all), free(coef);
        return -1;
    }
    for (int j = 0; j < p; j++) coef[j] = fabs(coef[j] * (x0 ? x0[j] : 1.0));
    /* Stable insertion sort by |weight| descending (Python's sorted(reverse=True) is stable). */
    for (int j = 1; j < p; j++) {
        int f = all[j];
        int t = j;
        while (t > 0 && coef[all[t - 1]] < coef[f]) {
            all[t] = all[t - 1];
            t--;
        }
        all[t] = f;
    }
    memcpy(out, all, (size_t)want * sizeof(int));
    free(all), free(coef);
    return want;
}
