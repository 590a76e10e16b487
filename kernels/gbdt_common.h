/* gbdt_common.h — internal to kernels/: the per-feature split scan and the routing rules of the
 * tree ops, written once for both backends (host C and CUDA device code), so the CPU reference
 * and the kernels take the same decisions in the same double arithmetic (no a*b+c patterns for
 * nvcc to contract). The CPU files are still the specification: they call these and nothing else. */
#ifndef TICKETML_KERNELS_GBDT_COMMON_H
#define TICKETML_KERNELS_GBDT_COMMON_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels/backend.h"

/* Gains below this are rounding noise of identical rows, never a split. */
#define TML_GBDT_MIN_GAIN 1e-12

static inline TML_HOST_DEVICE int gbdt_cat_has(const uint32_t *set, int b) {
    return (int)((set[b >> 5] >> (b & 31)) & 1u);
}
static inline TML_HOST_DEVICE void gbdt_cat_add(uint32_t *set, int b) { set[b >> 5] |= 1u << (b & 31); }

/* Does a row in bin b of the split's feature go left? */
static inline TML_HOST_DEVICE int gbdt_split_left(const TmlGbdtSplit *s, int b, int missing_bin) {
    if (b >= missing_bin) return s->default_left;
    return s->categorical ? gbdt_cat_has(s->cat_left, b) : b <= s->bin;
}

/* The same rule for a tree node, on a bin ... */
static inline TML_HOST_DEVICE int gbdt_node_left_bin(const TmlGbdtNode *nd, const uint32_t *cats, int b) {
    if (b >= nd->missing_bin) return nd->default_left;
    return nd->cat >= 0 ? gbdt_cat_has(cats + (size_t)nd->cat * TML_GBDT_CAT_WORDS, b) : b <= nd->bin;
}

/* ... and on a value: NaN is missing; a category code outside 0..missing_bin-1 is missing too
 * (categories unseen in training, or past the bin cap). x <= threshold is exactly bin <= bin. */
static inline TML_HOST_DEVICE int gbdt_node_left_value(const TmlGbdtNode *nd, const uint32_t *cats, float x) {
    if (x != x) return nd->default_left;
    if (nd->cat >= 0) {
        if (!(x >= 0.0f) || x >= (float)nd->missing_bin) return nd->default_left;
        int b = (int)x;
        if ((float)b != x) return nd->default_left;
        return gbdt_cat_has(cats + (size_t)nd->cat * TML_GBDT_CAT_WORDS, b);
    }
    return x <= nd->threshold;
}

static inline TML_HOST_DEVICE double gbdt_leaf_gain(double g, double h, double l2) {
    double d = h + l2;
    return d > 0.0 ? (g * g) / d : 0.0;
}

/* Records a candidate (already known to beat best->gain): the left sums and the split rule. */
static inline TML_HOST_DEVICE void gbdt_take(TmlGbdtSplit *best, double gain, int f, double gl, double hl, double nl,
                                             int bin, int default_left, int categorical) {
    best->gain = gain;
    best->feature = f;
    best->bin = bin;
    best->default_left = default_left;
    best->categorical = categorical;
    best->g[0] = gl;
    best->h[0] = hl;
    best->n[0] = nl;
    best->g[1] = best->g[2] - gl;
    best->h[1] = best->h[2] - hl;
    best->n[1] = best->n[2] - nl;
}

static inline TML_HOST_DEVICE int gbdt_child_ok(double h, double n, const TmlGbdtSplitParams *p) {
    return n >= p->min_data_in_leaf && n > 0.0 && h >= p->min_child_weight;
}

/* A gain that counts and beats the best so far (strictly: earlier candidates win ties). */
static inline TML_HOST_DEVICE int gbdt_better(double gain, const TmlGbdtSplit *best, const TmlGbdtSplitParams *p) {
    return gain > p->min_split_gain && gain > TML_GBDT_MIN_GAIN && (best->feature < 0 || gain > best->gain);
}

/* Numeric feature: scan thresholds left to right, once with the missing bin on the right and once
 * on the left (only when the node has missing values; without them missing follows the larger
 * child, as scikit-learn does). */
static inline TML_HOST_DEVICE void gbdt_scan_numeric(const double *hf, int nb, int f, const TmlGbdtSplitParams *p,
                                                     double parent, TmlGbdtSplit *best) {
    const double *m = hf + (size_t)nb * 3;
    int passes = m[2] > 0.0 ? 2 : 1;
    for (int pass = 0; pass < passes; pass++) {
        double gl = pass ? m[0] : 0.0, hl = pass ? m[1] : 0.0, nl = pass ? m[2] : 0.0;
        for (int t = 0; t + 1 < nb; t++) {
            gl += hf[t * 3];
            hl += hf[t * 3 + 1];
            nl += hf[t * 3 + 2];
            if (!gbdt_child_ok(hl, nl, p)) continue;
            double gr = best->g[2] - gl, hr = best->h[2] - hl, nr = best->n[2] - nl;
            if (!gbdt_child_ok(hr, nr, p)) break;
            double gain = gbdt_leaf_gain(gl, hl, p->lambda_l2) + gbdt_leaf_gain(gr, hr, p->lambda_l2) - parent;
            if (!gbdt_better(gain, best, p)) continue;
            int dl = pass ? 1 : (m[2] > 0.0 ? 0 : nl >= nr);
            gbdt_take(best, gain, f, gl, hl, nl, t, dl, 0);
        }
    }
}

/* Categorical feature (the missing bin counts as one more category). Few bins: each category
 * against the rest. Else LightGBM's rule: categories with at least cat_smooth rows, sorted by
 * g / (h + cat_smooth), taken from either end into the left side, up to max_cat_threshold; the
 * rest (rare categories included) go right. idx is scratch for TML_GBDT_MAX_BINS ints. */
static inline TML_HOST_DEVICE void gbdt_scan_categorical(const double *hf, int nb, int f, const TmlGbdtSplitParams *p,
                                                         double parent, TmlGbdtSplit *best, int *idx) {
    int nc = nb + 1; /* categories including the missing bin */
    if (nc <= p->max_cat_to_onehot) {
        for (int t = 0; t < nc; t++) {
            double gl = hf[t * 3], hl = hf[t * 3 + 1], nl = hf[t * 3 + 2];
            if (!gbdt_child_ok(hl, nl, p)) continue;
            double gr = best->g[2] - gl, hr = best->h[2] - hl, nr = best->n[2] - nl;
            if (!gbdt_child_ok(hr, nr, p)) continue;
            double gain = gbdt_leaf_gain(gl, hl, p->lambda_l2) + gbdt_leaf_gain(gr, hr, p->lambda_l2) - parent;
            if (!gbdt_better(gain, best, p)) continue;
            gbdt_take(best, gain, f, gl, hl, nl, -1, t == nb, 1);
            for (int w = 0; w < TML_GBDT_CAT_WORDS; w++) best->cat_left[w] = 0;
            gbdt_cat_add(best->cat_left, t);
        }
        return;
    }
    int used = 0;
    for (int t = 0; t < nc; t++)
        if (hf[t * 3 + 2] >= p->cat_smooth && hf[t * 3 + 2] > 0.0) idx[used++] = t;
    /* insertion sort by the smoothed mean gradient; equal keys keep bin order */
    for (int i = 1; i < used; i++) {
        int v = idx[i];
        double kv = hf[v * 3] / (hf[v * 3 + 1] + p->cat_smooth);
        int j = i - 1;
        while (j >= 0 && hf[idx[j] * 3] / (hf[idx[j] * 3 + 1] + p->cat_smooth) > kv) {
            idx[j + 1] = idx[j];
            j--;
        }
        idx[j + 1] = v;
    }
    int max_num = (used + 1) / 2;
    if (p->max_cat_threshold < max_num) max_num = p->max_cat_threshold;
    double l2 = p->lambda_l2 + p->cat_l2;
    for (int dir = 0; dir < 2; dir++) {
        double gl = 0.0, hl = 0.0, nl = 0.0, group = 0.0;
        for (int i = 0; i < used && i < max_num; i++) {
            int t = idx[dir ? used - 1 - i : i];
            gl += hf[t * 3];
            hl += hf[t * 3 + 1];
            nl += hf[t * 3 + 2];
            group += hf[t * 3 + 2];
            if (!gbdt_child_ok(hl, nl, p)) continue;
            double gr = best->g[2] - gl, hr = best->h[2] - hl, nr = best->n[2] - nl;
            if (!gbdt_child_ok(hr, nr, p) || nr < p->min_data_per_group) break;
            if (group < p->min_data_per_group) continue;
            group = 0.0;
            double gain = gbdt_leaf_gain(gl, hl, l2) + gbdt_leaf_gain(gr, hr, l2) - parent;
            if (!gbdt_better(gain, best, p)) continue;
            gbdt_take(best, gain, f, gl, hl, nl, -1, 0, 1);
            for (int w = 0; w < TML_GBDT_CAT_WORDS; w++) best->cat_left[w] = 0;
            for (int k = 0; k <= i; k++) gbdt_cat_add(best->cat_left, idx[dir ? used - 1 - k : k]);
            best->default_left = gbdt_cat_has(best->cat_left, nb);
        }
    }
}

/* Best split of feature f of a node (hf: that feature's NB x 3 histogram). Always fills the node
 * totals; feature -1 (gain 0) when nothing qualifies. */
static inline TML_HOST_DEVICE void gbdt_feature_best(const double *hf, const TmlGbdtFeature *ft, int f,
                                                     const TmlGbdtSplitParams *p, TmlGbdtSplit *out, int *idx) {
    TmlGbdtSplit s;
    memset(&s, 0, sizeof s);
    s.feature = -1;
    s.bin = -1;
    int nb = ft->n_bins;
    for (int b = 0; b <= nb; b++) {
        s.g[2] += hf[b * 3];
        s.h[2] += hf[b * 3 + 1];
        s.n[2] += hf[b * 3 + 2];
    }
    double parent = gbdt_leaf_gain(s.g[2], s.h[2], p->lambda_l2);
    if (ft->categorical)
        gbdt_scan_categorical(hf, nb, f, p, parent, &s, idx);
    else
        gbdt_scan_numeric(hf, nb, f, p, parent, &s);
    if (s.feature < 0) s.gain = 0.0;
    *out = s;
}

/* Combines per-feature results in feature order: the split with the largest gain (the lower
 * feature on ties) with its own sums; without one, the totals the first used feature saw. */
static inline TML_HOST_DEVICE void gbdt_reduce(TmlGbdtSplit *out, const TmlGbdtSplit *per, int F, const uint8_t *used) {
    int first = -1, best = -1;
    for (int f = 0; f < F; f++) {
        if (used && !used[f]) continue;
        if (first < 0) first = f;
        if (per[f].feature >= 0 && (best < 0 || per[f].gain > per[best].gain)) best = f;
    }
    TmlGbdtSplit s;
    memset(&s, 0, sizeof s);
    s.feature = -1;
    s.bin = -1;
    if (best >= 0) {
        s = per[best];
    } else if (first >= 0) {
        s.g[2] = per[first].g[2];
        s.h[2] = per[first].h[2];
        s.n[2] = per[first].n[2];
    }
    *out = s;
}

#endif
