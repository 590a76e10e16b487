/* binner.c — quantile bins for the tree features (see binner.h). Numeric cut points are midpoints
 * between neighbouring training values at the k/max_bins quantiles of a sorted sample (as
 * scikit-learn's HistGradientBoosting bins), rounded to float and nudged so that a bin never loses
 * the value on either side of its edge. */
#include "trainer/gbdt/binner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"
#include "ticketml/rng.h"

void tml_gbdt_binner_free(TmlGbdtBinner *b) {
    if (!b) return;
    free(b->feats);
    free(b->upper_off);
    free(b->upper);
    free(b);
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* An edge between neighbouring distinct values a < c: their midpoint in float, kept in [a, c). */
static float edge_between(float a, float c) {
    float m = (float)(((double)a + (double)c) * 0.5);
    if (!(m >= a) || !(m < c)) m = a;
    return m;
}

/* Edges of one numeric feature from its sorted non-missing sample v[0..m); returns the bin count
 * (edges written to out, room for max_bins, the last +inf). */
static int numeric_edges(const float *v, int64_t m, int max_bins, float *out) {
    if (m == 0) {
        out[0] = INFINITY;
        return 1;
    }
    int64_t distinct = 1;
    for (int64_t i = 1; i < m; i++) distinct += v[i] != v[i - 1];
    int nb = 0;
    if (distinct <= max_bins) {
        for (int64_t i = 1; i < m; i++)
            if (v[i] != v[i - 1]) out[nb++] = edge_between(v[i - 1], v[i]);
    } else {
        for (int k = 1; k < max_bins; k++) {
            int64_t pos = (int64_t)((double)k * (double)m / (double)max_bins);
            if (pos <= 0 || pos >= m) continue;
            float e = v[pos - 1] == v[pos] ? v[pos] : edge_between(v[pos - 1], v[pos]);
            if (e >= v[m - 1]) continue; /* nothing would be right of it */
            if (nb == 0 || e > out[nb - 1]) out[nb++] = e;
        }
    }
    out[nb++] = INFINITY;
    return nb;
}

TmlGbdtBinner *tml_gbdt_binner_fit(const float *x, int64_t n, int F, const int *categorical, const int *n_cats,
                                   int max_bins, int64_t sample, uint64_t seed, TmlError *err) {
    if (max_bins < 2 || max_bins > TML_GBDT_MAX_BINS - 1) {
        tml_fail(err, "max_bins = %d: use 2 to %d", max_bins, TML_GBDT_MAX_BINS - 1);
        return NULL;
    }
    TmlGbdtBinner *b = calloc(1, sizeof *b);
    int64_t m = n < sample || sample <= 0 ? n : sample;
    int64_t *pick = malloc((size_t)(m > 0 ? m : 1) * sizeof *pick);
    float *v = malloc((size_t)(m > 0 ? m : 1) * sizeof *v);
    float *edges = malloc((size_t)F * (size_t)max_bins * sizeof *edges + 1);
    if (!b || !pick || !v || !edges || !(b->feats = calloc((size_t)F + 1, sizeof *b->feats)) ||
        !(b->upper_off = calloc((size_t)F + 1, sizeof *b->upper_off)))
        goto oom;
    b->F = F;
    /* the sample: a uniform subset (Floyd-free: partial Fisher-Yates over an index array), sorted */
    if (m == n) {
        for (int64_t i = 0; i < n; i++) pick[i] = i;
    } else {
        int64_t *all = malloc((size_t)n * sizeof *all);
        if (!all) goto oom;
        for (int64_t i = 0; i < n; i++) all[i] = i;
        TmlRng rng;
        tml_rng_seed(&rng, seed);
        for (int64_t i = 0; i < m; i++) {
            int64_t j = i + (int64_t)tml_rng_below(&rng, (uint64_t)(n - i));
            int64_t t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        memcpy(pick, all, (size_t)m * sizeof *pick);
        free(all);
    }
    int64_t total = 0;
    int *nbins = calloc((size_t)F + 1, sizeof *nbins);
    if (!nbins) goto oom;
    for (int f = 0; f < F; f++) {
        TmlGbdtFeature *ft = &b->feats[f];
        if (categorical && categorical[f]) {
            int nc = n_cats ? n_cats[f] : 0;
            ft->categorical = 1;
            ft->n_bins = nc < 1 ? 1 : (nc > max_bins ? max_bins : nc);
            nbins[f] = 0;
            continue;
        }
        int64_t k = 0;
        for (int64_t i = 0; i < m; i++) {
            float a = x[(size_t)pick[i] * (size_t)F + (size_t)f];
            if (a == a) v[k++] = a;
        }
        qsort(v, (size_t)k, sizeof *v, cmp_float);
        nbins[f] = numeric_edges(v, k, max_bins, edges + (size_t)f * max_bins);
        ft->n_bins = nbins[f];
        total += nbins[f];
    }
    if (!(b->upper = malloc((size_t)(total > 0 ? total : 1) * sizeof *b->upper))) {
        free(nbins);
        goto oom;
    }
    int64_t off = 0;
    b->NB = 2;
    for (int f = 0; f < F; f++) {
        b->upper_off[f] = off;
        memcpy(b->upper + off, edges + (size_t)f * max_bins, (size_t)nbins[f] * sizeof(float));
        off += nbins[f];
        if (b->feats[f].n_bins + 1 > b->NB) b->NB = b->feats[f].n_bins + 1;
    }
    b->upper_off[F] = off;
    free(nbins);
    free(pick);
    free(v);
    free(edges);
    return b;
oom:
    tml_fail(err, "out of memory binning %d features of %lld rows", F, (long long)n);
    free(pick);
    free(v);
    free(edges);
    tml_gbdt_binner_free(b);
    return NULL;
}

int tml_gbdt_binner_bin(const TmlGbdtBinner *b, int f, float x) {
    const TmlGbdtFeature *ft = &b->feats[f];
    if (x != x) return ft->n_bins;
    if (ft->categorical) {
        if (!(x >= 0.0f) || x >= (float)ft->n_bins) return ft->n_bins;
        int c = (int)x;
        return (float)c == x ? c : ft->n_bins;
    }
    const float *u = b->upper + b->upper_off[f];
    int lo = 0, hi = ft->n_bins - 1; /* first bin with x <= u[bin]; the last edge is +inf */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (x <= u[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void tml_gbdt_binner_apply(const TmlGbdtBinner *b, const float *x, int64_t n, uint8_t *out) {
    int F = b->F;
#pragma omp parallel for schedule(static) if (n * (int64_t)F >= 65536)
    for (int64_t r = 0; r < n; r++)
        for (int f = 0; f < F; f++) out[(size_t)r * F + f] = (uint8_t)tml_gbdt_binner_bin(b, f, x[(size_t)r * F + f]);
}

float tml_gbdt_binner_threshold(const TmlGbdtBinner *b, int f, int bin) {
    if (b->feats[f].categorical || bin < 0 || bin >= b->feats[f].n_bins) return 0.0f;
    return b->upper[b->upper_off[f] + bin];
}

int tml_gbdt_binner_save(const TmlGbdtBinner *b, hid_t loc, const char *name, TmlError *err) {
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return tml_h5_fail(err, "cannot create group '%s'", name);
    int32_t *nb = malloc(((size_t)b->F + 1) * sizeof *nb), *cat = malloc(((size_t)b->F + 1) * sizeof *cat);
    int rc = -1;
    if (!nb || !cat) {
        tml_fail(err, "out of memory");
        goto done;
    }
    for (int f = 0; f < b->F; f++) nb[f] = b->feats[f].n_bins, cat[f] = b->feats[f].categorical;
    hsize_t dF = (hsize_t)b->F, dU = (hsize_t)b->upper_off[b->F], dO = (hsize_t)b->F + 1;
    if (tml_h5_attr_write_i64(g, "n_features", b->F, err)) goto done;
    if (tml_h5_write(g, "n_bins", H5T_NATIVE_INT32, 1, &dF, nb, 0) < 0 ||
        tml_h5_write(g, "categorical", H5T_NATIVE_INT32, 1, &dF, cat, 0) < 0 ||
        tml_h5_write(g, "upper_offsets", H5T_NATIVE_INT64, 1, &dO, b->upper_off, 0) < 0 ||
        tml_h5_write(g, "upper", H5T_NATIVE_FLOAT, 1, &dU, b->upper, 0) < 0) {
        tml_h5_fail(err, "cannot write the bins of group '%s' (disk full?)", name);
        goto done;
    }
    rc = 0;
done:
    free(nb);
    free(cat);
    H5Gclose(g);
    return rc;
}

TmlGbdtBinner *tml_gbdt_binner_load(hid_t loc, const char *name, TmlError *err) {
    hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
    if (g < 0) {
        tml_fail(err, "group '%s' is missing", name);
        return NULL;
    }
    TmlGbdtBinner *b = calloc(1, sizeof *b);
    int32_t *nb = NULL, *cat = NULL;
    int64_t F = 0, d0;
    if (!b || tml_h5_attr_read_i64(g, "n_features", &F, err)) goto fail;
    if (F < 1 || F > (1 << 24) || tml_h5_size(g, "n_bins", &d0) != F || tml_h5_size(g, "categorical", &d0) != F ||
        tml_h5_size(g, "upper_offsets", &d0) != F + 1) {
        tml_fail(err, "group '%s': bin tables do not match n_features = %lld", name, (long long)F);
        goto fail;
    }
    b->F = (int)F;
    nb = malloc((size_t)F * sizeof *nb);
    cat = malloc((size_t)F * sizeof *cat);
    b->feats = calloc((size_t)F, sizeof *b->feats);
    b->upper_off = malloc(((size_t)F + 1) * sizeof *b->upper_off);
    if (!nb || !cat || !b->feats || !b->upper_off) goto oom;
    if (tml_h5_read(g, "n_bins", H5T_NATIVE_INT32, nb) < 0 ||
        tml_h5_read(g, "categorical", H5T_NATIVE_INT32, cat) < 0 ||
        tml_h5_read(g, "upper_offsets", H5T_NATIVE_INT64, b->upper_off) < 0) {
        tml_h5_fail(err, "group '%s': cannot read the bin tables", name);
        goto fail;
    }
    int64_t nu = tml_h5_size(g, "upper", &d0);
    if (nu < 0 || b->upper_off[0] != 0 || b->upper_off[F] != nu) {
        tml_fail(err, "group '%s': bin edges do not match their offsets", name);
        goto fail;
    }
    b->NB = 2;
    for (int64_t f = 0; f < F; f++) {
        int numeric_n = (int)(b->upper_off[f + 1] - b->upper_off[f]);
        if (nb[f] < 1 || nb[f] >= TML_GBDT_MAX_BINS || (cat[f] ? numeric_n != 0 : numeric_n != nb[f])) {
            tml_fail(err, "group '%s': feature %lld has an impossible bin count", name, (long long)f);
            goto fail;
        }
        b->feats[f].n_bins = nb[f];
        b->feats[f].categorical = cat[f] != 0;
        if (nb[f] + 1 > b->NB) b->NB = nb[f] + 1;
    }
    if (!(b->upper = malloc((size_t)(nu > 0 ? nu : 1) * sizeof *b->upper))) goto oom;
    if (nu > 0 && tml_h5_read(g, "upper", H5T_NATIVE_FLOAT, b->upper) < 0) {
        tml_h5_fail(err, "group '%s': cannot read the bin edges", name);
        goto fail;
    }
    free(nb);
    free(cat);
    H5Gclose(g);
    return b;
oom:
    tml_fail(err, "out of memory");
fail:
    free(nb);
    free(cat);
    tml_gbdt_binner_free(b);
    H5Gclose(g);
    return NULL;
}
