/* drift_stats.h — the distances the drift monitor reports, defined as Evidently defines them
 * (docs/monitoring.md): PSI and Jensen-Shannon distance over shares, the two-sample
 * Kolmogorov-Smirnov statistic and its p-value, the Wasserstein distance normed by the reference's
 * standard deviation, and the binning that turns a numeric sample into shares (Sturges bins over
 * both samples, or the values themselves when the reference has at most 20 distinct ones). */
#ifndef TICKETML_EVAL_DRIFT_STATS_H
#define TICKETML_EVAL_DRIFT_STATS_H

#include <stdint.h>

/* PSI = sum_i (ref_i - cur_i) ln(ref_i / cur_i) over n shares. Zero shares are filled first, as
 * Evidently does: with 1e-4, or with (smallest non-zero share) / 1e6 when that is <= 1e-4. ref and
 * cur are not changed. 0 for identical shares; NaN when either side has no non-zero share. */
double tml_drift_psi(const double *ref, const double *cur, int n);

/* One bin's term of the PSI above with the same filling rule applied to the pair of shares as
 * part of their distributions (fill_ref / fill_cur: the fill values tml_drift_fill_value gave). */
double tml_drift_psi_term(double ref, double cur, double fill_ref, double fill_cur);
/* The value zero shares of p[0..n) are filled with (see tml_drift_psi). */
double tml_drift_fill_value(const double *p, int n);

/* Jensen-Shannon distance with natural logarithms, as scipy.spatial.distance.jensenshannon: the
 * shares are normalized to sum 1, then sqrt((KL(p || m) + KL(q || m)) / 2) with m = (p + q) / 2; no
 * zero filling. In [0, sqrt(ln 2)] = [0, 0.8326]. NaN when a side sums to 0. */
double tml_drift_js(const double *ref, const double *cur, int n);

/* Jensen-Shannon distance between two Bernoulli distributions (share p vs share q of one class). */
double tml_drift_js2(double p, double q);

/* Two-sample Kolmogorov-Smirnov statistic D = max |F_ref(x) - F_cur(x)| of two ascending-sorted
 * samples, exact with ties. */
double tml_drift_ks(const float *ref_sorted, int64_t nr, const float *cur_sorted, int64_t nc);
/* Two-sided p-value of D for sample sizes nr, nc: the asymptotic Kolmogorov distribution with
 * Stephens' small-sample correction, Q((sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) D), ne = nr nc / (nr + nc). */
double tml_drift_ks_pvalue(double d, int64_t nr, int64_t nc);

/* 1-Wasserstein distance between the two empirical distributions (integral of |F_ref - F_cur|) of
 * ascending-sorted samples. */
double tml_drift_wasserstein(const float *ref_sorted, int64_t nr, const float *cur_sorted, int64_t nc);

/* p-value of Pearson's chi-square test that two samples (shares ref of nr rows, cur of nc rows, over
 * the same k bins) come from one distribution: the 2 x k homogeneity test, bins empty on both sides
 * left out, (bins - 1) degrees of freedom. It tells a real shift from sampling noise: a distance
 * over its limit with p >= alpha is what small samples show by chance. NaN when it cannot be
 * computed (a side with no row, fewer than 2 bins). */
double tml_drift_chi2_p(const double *ref, int64_t nr, const double *cur, int64_t nc, int k);
/* p-value of the two-sided two-proportion z-test (pooled) of share p1 of n1 against p2 of n2. */
double tml_drift_prop_p(double p1, int64_t n1, double p2, int64_t n2);
/* Upper tail of the chi-square distribution with df degrees of freedom at x. */
double tml_drift_chi2_sf(double x, double df);

/* Shares of a numeric sample in bins, as the binning rule above makes them. */
typedef struct TmlDriftHist {
    int n;          /* bins or distinct values */
    double *edges;  /* (n + 1) bin edges, or NULL when the bins are the distinct values */
    double *values; /* (n) the distinct values, or NULL when there are edges */
    double *ref;    /* (n) share of reference values in each bin */
    double *cur;    /* (n) share of current values in each bin */
} TmlDriftHist;

/* How a numeric sample moved. Values that are NaN (missing) are counted and left out. */
typedef struct TmlDriftNumeric {
    int64_t n_ref, n_cur;             /* values compared (NaN left out) */
    int64_t missing_ref, missing_cur; /* NaN values */
    double ref_mean, cur_mean, ref_std, cur_std;
    double psi, js;                   /* over hist */
    double chi2_p;                    /* chi-square homogeneity p-value over hist */
    double ks, ks_p;                  /* D and its p-value */
    double wasserstein;               /* normed: W1 / max(std_ref, 0.001) */
    TmlDriftHist hist;
} TmlDriftNumeric;

/* Compares ref (nr values) with cur (nc values); the arrays are not changed. 0, or -1 when out of
 * memory. A side with no value leaves every distance NaN. Free out with tml_drift_numeric_free. */
int tml_drift_numeric(const float *ref, int64_t nr, const float *cur, int64_t nc, TmlDriftNumeric *out);
void tml_drift_numeric_free(TmlDriftNumeric *d);

#endif
