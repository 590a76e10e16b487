/* drift_stats.c — PSI, Jensen-Shannon, Kolmogorov-Smirnov, Wasserstein and the binning rule of the
 * drift monitor (see drift_stats.h; scripts/check_drift_stats.py checks them against scipy and
 * Evidently's formulas). */
#include "eval/drift_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CATEGORY_MAX_UNIQUE 20  /* Evidently: a numeric column with more distinct values gets bins */
#define CATEGORY_MAX_UNION 1000 /* more distinct values than this on both sides together: bins anyway */

double tml_drift_fill_value(const double *p, int n) {
    double lo = INFINITY;
    for (int i = 0; i < n; i++)
        if (p[i] > 0 && p[i] < lo) lo = p[i];
    if (!isfinite(lo)) return NAN;
    return lo <= 1e-4 ? lo / 1e6 : 1e-4;
}

double tml_drift_psi_term(double ref, double cur, double fill_ref, double fill_cur) {
    double r = ref > 0 ? ref : fill_ref, c = cur > 0 ? cur : fill_cur;
    return (r - c) * log(r / c);
}

double tml_drift_psi(const double *ref, const double *cur, int n) {
    double fr = tml_drift_fill_value(ref, n), fc = tml_drift_fill_value(cur, n);
    if (isnan(fr) || isnan(fc)) return NAN;
    double s = 0;
    for (int i = 0; i < n; i++) s += tml_drift_psi_term(ref[i], cur[i], fr, fc);
    return s;
}

/* KL term p ln(p / m) with 0 ln 0 = 0 (scipy's rel_entr). */
static double rel_entr(double p, double m) { return p > 0 ? p * log(p / m) : 0; }

double tml_drift_js(const double *ref, const double *cur, int n) {
    double sp = 0, sq = 0;
    for (int i = 0; i < n; i++) sp += ref[i], sq += cur[i];
    if (!(sp > 0) || !(sq > 0)) return NAN;
    double kl = 0;
    for (int i = 0; i < n; i++) {
        double p = ref[i] / sp, q = cur[i] / sq, m = (p + q) / 2;
        kl += rel_entr(p, m) + rel_entr(q, m);
    }
    double js = kl / 2;
    return sqrt(js > 0 ? js : 0);
}

double tml_drift_js2(double p, double q) {
    double a[2] = {p, 1 - p}, b[2] = {q, 1 - q};
    return tml_drift_js(a, b, 2);
}

double tml_drift_ks(const float *r, int64_t nr, const float *c, int64_t nc) {
    if (nr == 0 || nc == 0) return NAN;
    int64_t i = 0, j = 0;
    double d = 0;
    while (i < nr || j < nc) {
        /* the next distinct value; both CDFs step past every copy of it */
        float x = i < nr && (j >= nc || r[i] <= c[j]) ? r[i] : c[j];
        while (i < nr && r[i] <= x) i++;
        while (j < nc && c[j] <= x) j++;
        double g = fabs((double)i / (double)nr - (double)j / (double)nc);
        if (g > d) d = g;
    }
    return d;
}

double tml_drift_ks_pvalue(double d, int64_t nr, int64_t nc) {
    if (!(d >= 0) || nr == 0 || nc == 0) return NAN;
    double ne = (double)nr * (double)nc / (double)(nr + nc), sn = sqrt(ne);
    double lambda = (sn + 0.12 + 0.11 / sn) * d;
    if (lambda < 0.2) return 1.0; /* the series converges slowly there and the sum is 1 to 1e-9 */
    double sum = 0, sign = 1;
    for (int k = 1; k <= 200; k++) {
        double term = sign * exp(-2.0 * k * k * lambda * lambda);
        sum += term;
        if (fabs(term) <= 1e-12 * fabs(sum) || fabs(term) <= 1e-300) break;
        sign = -sign;
    }
    double p = 2 * sum;
    return p < 0 ? 0 : p > 1 ? 1 : p;
}

double tml_drift_wasserstein(const float *r, int64_t nr, const float *c, int64_t nc) {
    if (nr == 0 || nc == 0) return NAN;
    int64_t i = 0, j = 0;
    double w = 0;
    float x = r[0] < c[0] ? r[0] : c[0];
    while (i < nr || j < nc) {
        while (i < nr && r[i] <= x) i++;
        while (j < nc && c[j] <= x) j++;
        if (i >= nr && j >= nc) break;
        float next = i < nr && (j >= nc || r[i] <= c[j]) ? r[i] : c[j];
        w += fabs((double)i / (double)nr - (double)j / (double)nc) * ((double)next - (double)x);
        x = next;
    }
    return w;
}

/* Regularized upper incomplete gamma Q(a, x) (series below a + 1, continued fraction above). */
static double gamma_q(double a, double x) {
    if (!(x > 0)) return 1.0;
    double gln = lgamma(a);
    if (x < a + 1) {
        double ap = a, sum = 1.0 / a, del = sum;
        for (int n = 0; n < 1000; n++) {
            ap += 1;
            del *= x / ap;
            sum += del;
            if (fabs(del) < fabs(sum) * 1e-15) break;
        }
        double p = sum * exp(-x + a * log(x) - gln);
        return p > 1 ? 0 : 1 - p;
    }
    double b = x + 1 - a, c = 1.0 / 1e-300, d = 1.0 / b, h = d;
    for (int i = 1; i < 1000; i++) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (fabs(d) < 1e-300) d = 1e-300;
        c = b + an / c;
        if (fabs(c) < 1e-300) c = 1e-300;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15) break;
    }
    return exp(-x + a * log(x) - gln) * h;
}

double tml_drift_chi2_sf(double x, double df) {
    if (!(df > 0) || isnan(x)) return NAN;
    return gamma_q(df / 2, x / 2);
}

double tml_drift_chi2_p(const double *ref, int64_t nr, const double *cur, int64_t nc, int k) {
    if (nr <= 0 || nc <= 0 || k < 2) return NAN;
    double n = (double)(nr + nc), chi = 0;
    int used = 0;
    for (int i = 0; i < k; i++) {
        double a = ref[i] * (double)nr, b = cur[i] * (double)nc, pi = (a + b) / n;
        if (pi <= 0) continue;
        double ea = pi * (double)nr, eb = pi * (double)nc;
        chi += (a - ea) * (a - ea) / ea + (b - eb) * (b - eb) / eb;
        used++;
    }
    if (used < 2) return 1.0; /* one bin on both sides: nothing differs */
    return tml_drift_chi2_sf(chi, used - 1);
}

double tml_drift_prop_p(double p1, int64_t n1, double p2, int64_t n2) {
    if (n1 <= 0 || n2 <= 0 || isnan(p1) || isnan(p2)) return NAN;
    double p = (p1 * (double)n1 + p2 * (double)n2) / (double)(n1 + n2);
    double se = sqrt(p * (1 - p) * (1.0 / (double)n1 + 1.0 / (double)n2));
    if (!(se > 0)) return p1 == p2 ? 1.0 : 0.0;
    return erfc(fabs(p1 - p2) / se / sqrt(2.0));
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The non-NaN values of v, sorted, into a new array (*out, caller frees); their count, -1 on OOM. */
static int64_t sorted_copy(const float *v, int64_t n, float **out) {
    float *s = malloc(sizeof *s * (size_t)(n > 0 ? n : 1));
    if (!s) return -1;
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (!isnan(v[i])) s[m++] = v[i];
    qsort(s, (size_t)m, sizeof *s, cmp_float);
    *out = s;
    return m;
}

static int64_t n_distinct(const float *s, int64_t n, int64_t stop) {
    int64_t k = 0;
    for (int64_t i = 0; i < n && k <= stop; i++)
        if (i == 0 || s[i] != s[i - 1]) k++;
    return k;
}

static void mean_std(const float *s, int64_t n, double *mean, double *std) {
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n; i++) sum += s[i];
    double m = n ? sum / (double)n : NAN;
    for (int64_t i = 0; i < n; i++) sq += ((double)s[i] - m) * ((double)s[i] - m);
    *mean = m;
    *std = n ? sqrt(sq / (double)n) : NAN; /* population std, as numpy's default */
}

/* Shares of the sorted sample s in the bins [e_k, e_k+1) (the last one closed), as numpy.histogram. */
static void bin_shares(const float *s, int64_t n, const double *edges, int nb, double *share) {
    int64_t i = 0;
    for (int b = 0; b < nb; b++) {
        int64_t start = i;
        if (b == nb - 1)
            while (i < n && (double)s[i] <= edges[nb]) i++;
        else
            while (i < n && (double)s[i] < edges[b + 1]) i++;
        share[b] = n ? (double)(i - start) / (double)n : 0;
    }
}

/* Shares of the sorted sample s at each of the distinct values vals[0..k). */
static void value_shares(const float *s, int64_t n, const double *vals, int k, double *share) {
    int64_t i = 0;
    for (int b = 0; b < k; b++) {
        int64_t start = i;
        while (i < n && (double)s[i] == vals[b]) i++;
        share[b] = n ? (double)(i - start) / (double)n : 0;
    }
}

/* Distinct values of both sorted samples, ascending, at most max (returns -1 past that). */
static int union_values(const float *a, int64_t na, const float *b, int64_t nb, double *out, int max) {
    int64_t i = 0, j = 0;
    int k = 0;
    while (i < na || j < nb) {
        float x = i < na && (j >= nb || a[i] <= b[j]) ? a[i] : b[j];
        if (k == max) return -1;
        out[k++] = x;
        while (i < na && a[i] == x) i++;
        while (j < nb && b[j] == x) j++;
    }
    return k;
}

int tml_drift_numeric(const float *ref, int64_t nr, const float *cur, int64_t nc, TmlDriftNumeric *out) {
    memset(out, 0, sizeof *out);
    out->psi = out->js = out->ks = out->ks_p = out->wasserstein = out->chi2_p = NAN;
    float *r = NULL, *c = NULL;
    int64_t mr = sorted_copy(ref, nr, &r), mc = mr < 0 ? -1 : sorted_copy(cur, nc, &c);
    if (mr < 0 || mc < 0) {
        free(r);
        return -1;
    }
    out->n_ref = mr;
    out->n_cur = mc;
    out->missing_ref = nr - mr;
    out->missing_cur = nc - mc;
    mean_std(r, mr, &out->ref_mean, &out->ref_std);
    mean_std(c, mc, &out->cur_mean, &out->cur_std);
    int rc = 0;
    if (mr > 0 && mc > 0) {
        out->ks = tml_drift_ks(r, mr, c, mc);
        out->ks_p = tml_drift_ks_pvalue(out->ks, mr, mc);
        double norm = out->ref_std > 0.001 ? out->ref_std : 0.001;
        out->wasserstein = tml_drift_wasserstein(r, mr, c, mc) / norm;
        TmlDriftHist *h = &out->hist;
        double vals[CATEGORY_MAX_UNION];
        int k = n_distinct(r, mr, CATEGORY_MAX_UNIQUE) <= CATEGORY_MAX_UNIQUE
                    ? union_values(r, mr, c, mc, vals, CATEGORY_MAX_UNION)
                    : -1;
        if (k > 0) {
            h->n = k;
            h->values = malloc(sizeof *h->values * (size_t)k);
            h->ref = malloc(sizeof *h->ref * (size_t)k);
            h->cur = malloc(sizeof *h->cur * (size_t)k);
            if (!h->values || !h->ref || !h->cur) rc = -1;
            else {
                memcpy(h->values, vals, sizeof *vals * (size_t)k);
                value_shares(r, mr, vals, k, h->ref);
                value_shares(c, mc, vals, k, h->cur);
            }
        } else {
            /* Sturges, as numpy.histogram_bin_edges(bins="sturges") over both samples */
            int nb = (int)ceil(log2((double)(mr + mc))) + 1;
            double lo = r[0] < c[0] ? r[0] : c[0], hi = r[mr - 1] > c[mc - 1] ? r[mr - 1] : c[mc - 1];
            if (lo == hi) lo -= 0.5, hi += 0.5;
            h->n = nb;
            h->edges = malloc(sizeof *h->edges * (size_t)(nb + 1));
            h->ref = malloc(sizeof *h->ref * (size_t)nb);
            h->cur = malloc(sizeof *h->cur * (size_t)nb);
            if (!h->edges || !h->ref || !h->cur) rc = -1;
            else {
                for (int b = 0; b <= nb; b++) h->edges[b] = lo + (hi - lo) * b / nb;
                h->edges[nb] = hi;
                bin_shares(r, mr, h->edges, nb, h->ref);
                bin_shares(c, mc, h->edges, nb, h->cur);
            }
        }
        if (rc == 0) {
            out->psi = tml_drift_psi(h->ref, h->cur, h->n);
            out->js = tml_drift_js(h->ref, h->cur, h->n);
            out->chi2_p = tml_drift_chi2_p(h->ref, mr, h->cur, mc, h->n);
        }
    }
    free(r);
    free(c);
    if (rc) tml_drift_numeric_free(out);
    return rc;
}

void tml_drift_numeric_free(TmlDriftNumeric *d) {
    if (!d) return;
    free(d->hist.edges);
    free(d->hist.values);
    free(d->hist.ref);
    free(d->hist.cur);
    memset(&d->hist, 0, sizeof d->hist);
}
