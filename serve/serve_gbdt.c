/* serve_gbdt.c — the gbdt family's forward pass in the serving library: the tree inputs from the
 * dense row, every tree walked on the exported flat arrays, the scores summed in double in tree
 * order and rounded to float, then the sigmoid of the positive class's score or the softmax,
 * exactly as the trainer's predict op and tml_gbdt_model_probs (docs/export-format.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve_family.h"

typedef struct Trees {
    int C, K, F, T, positive;
    const int32_t *roots, *tclass, *feature, *default_left, *missing_bin, *cat, *left, *right, *cats, *in_src, *in_ncat;
    const float *threshold, *value, *base;
} Trees;

/* Every trees/ tensor with its shape, and every index inside its array: children after their
 * parent within their tree, classes below the score columns, inputs inside the dense row. */
static int gbdt_validate(const TmlExport *e, const char *where, int *n_tensors, TmlError *err) {
    int64_t F = e->dim, C = e->n_out, K = C == 2 ? 1 : C, dim = e->in_dim;
    if (!e->loss || !e->bag || strcmp(e->bag, "none") || strcmp(e->loss, K == 1 ? "logistic" : "softmax"))
        return tml_fail(err, "%s: a tree model's loss/bag must be %s/none", where, K == 1 ? "logistic" : "softmax");
    if (C < 2 || C > (1 << 16) || (C == 2) != (e->positive >= 0) || e->in_dim != e->tab_dim)
        return tml_fail(err, "%s: tree model classes, positive class or dimensions are invalid", where);
    if (F < 1 || F > dim)
        return tml_fail(err, "%s: model/dim %lld tree features for %lld columns", where, (long long)F, (long long)dim);
    const TmlExportTensor *roots = tml_export_want_ints(e, where, "trees/roots", -1, 0, err), *feat = NULL;
    if (!roots || !(feat = tml_export_want_ints(e, where, "trees/feature", -1, 0, err))) return -1;
    int64_t T = roots->rows, N = feat->rows;
    const TmlExportTensor *cls = tml_export_want_ints(e, where, "trees/tclass", T, 0, err),
                          *left = tml_export_want_ints(e, where, "trees/left", N, 0, err),
                          *right = tml_export_want_ints(e, where, "trees/right", N, 0, err),
                          *dl = tml_export_want_ints(e, where, "trees/default_left", N, 0, err),
                          *mb = tml_export_want_ints(e, where, "trees/missing_bin", N, 0, err),
                          *cat = tml_export_want_ints(e, where, "trees/cat", N, 0, err),
                          *cats = tml_export_want_ints(e, where, "trees/cats", -1, 8, err),
                          *src = tml_export_want_ints(e, where, "trees/input_src", F, 0, err),
                          *ncat = tml_export_want_ints(e, where, "trees/input_n_cats", F, 0, err);
    if (!cls || !left || !right || !dl || !mb || !cat || !cats || !src || !ncat ||
        tml_export_want_tensor(e, where, "trees/threshold", N, 0, err) ||
        tml_export_want_tensor(e, where, "trees/value", N, 0, err) ||
        tml_export_want_tensor(e, where, "trees/base", K, 0, err))
        return -1;
    for (int64_t f = 0; f < F; f++)
        if (src->ints[f] < 0 || ncat->ints[f] < 0 || src->ints[f] + (ncat->ints[f] ? ncat->ints[f] : 1) > dim)
            return tml_fail(err, "%s: tree input %lld reads outside the %lld columns", where, (long long)f,
                            (long long)dim);
    if (T == 0 && N != 0) return tml_fail(err, "%s: %lld tree nodes without trees", where, (long long)N);
    for (int64_t t = 0; t < T; t++) {
        int64_t a = roots->ints[t], b = t + 1 < T ? roots->ints[t + 1] : N;
        if (a < 0 || b <= a || b > N || (t == 0 && a != 0) || cls->ints[t] < 0 || cls->ints[t] >= K)
            return tml_fail(err, "%s: tree %lld has an invalid root or class", where, (long long)t);
        for (int64_t i = a; i < b; i++) {
            if (feat->ints[i] < 0) continue;
            if (feat->ints[i] >= F || left->ints[i] <= i || left->ints[i] >= b || right->ints[i] <= i ||
                right->ints[i] >= b || mb->ints[i] < 1 || mb->ints[i] > 255 || cat->ints[i] >= cats->rows ||
                cat->ints[i] < -1)
                return tml_fail(err, "%s: tree node %lld has an invalid feature, child or category set", where,
                                (long long)i);
        }
    }
    *n_tensors += 14;
    return 0;
}

static const int32_t *ints(const TmlExport *e, const char *key) { return tml_export_tensor(e, key)->ints; }
static const float *floats(const TmlExport *e, const char *key) { return tml_export_tensor(e, key)->data; }

static void *gbdt_build(const TmlExport *e, TmlError *err) {
    Trees *t = calloc(1, sizeof *t);
    if (!t) {
        tml_fail(err, "out of memory");
        return NULL;
    }
    t->C = (int)e->n_out;
    t->K = t->C == 2 ? 1 : t->C;
    t->F = (int)e->dim;
    t->positive = (int)e->positive;
    t->T = (int)tml_export_tensor(e, "trees/roots")->rows;
    t->roots = ints(e, "trees/roots");
    t->tclass = ints(e, "trees/tclass");
    t->feature = ints(e, "trees/feature");
    t->default_left = ints(e, "trees/default_left");
    t->missing_bin = ints(e, "trees/missing_bin");
    t->cat = ints(e, "trees/cat");
    t->left = ints(e, "trees/left");
    t->right = ints(e, "trees/right");
    t->cats = ints(e, "trees/cats");
    t->in_src = ints(e, "trees/input_src");
    t->in_ncat = ints(e, "trees/input_n_cats");
    t->threshold = floats(e, "trees/threshold");
    t->value = floats(e, "trees/value");
    t->base = floats(e, "trees/base");
    return t;
}

static void gbdt_free(void *state) { free(state); }

/* x (F tree inputs) then K scores */
static size_t gbdt_scratch(const void *state) {
    const Trees *t = state;
    return (size_t)t->F + (size_t)t->K;
}

/* Node i's routing of value x: NaN and category codes the tree never saw take the default side;
 * numbers go left when x <= threshold; categories when their bit is set. */
static int goes_left(const Trees *t, int32_t i, float x) {
    if (x != x) return t->default_left[i];
    int32_t c = t->cat[i];
    if (c < 0) return x <= t->threshold[i];
    if (!(x >= 0.0f) || x >= (float)t->missing_bin[i] || (float)(int)x != x) return t->default_left[i];
    int b = (int)x;
    return (int)(((uint32_t)t->cats[(size_t)c * 8 + (size_t)(b >> 5)] >> (b & 31)) & 1u);
}

static int gbdt_forward(const void *state, const int32_t *ids, const float *w, int64_t n, const float *d, float *probs,
                        float *scratch) {
    (void)ids, (void)w, (void)n;
    const Trees *t = state;
    float *x = scratch, *s = scratch + t->F;
    for (int f = 0; f < t->F; f++) {
        if (t->in_ncat[f] == 0) {
            x[f] = d[t->in_src[f]];
            continue;
        }
        float v = NAN;
        for (int k = 0; k < t->in_ncat[f]; k++)
            if (d[t->in_src[f] + k] > 0.5f) {
                v = (float)k;
                break;
            }
        x[f] = v;
    }
    for (int k = 0; k < t->K; k++) {
        double acc = (double)t->base[k];
        for (int r = 0; r < t->T; r++) {
            if (t->tclass[r] != k) continue;
            int32_t i = t->roots[r];
            while (t->feature[i] >= 0) i = goes_left(t, i, x[t->feature[i]]) ? t->left[i] : t->right[i];
            acc += (double)t->value[i];
        }
        s[k] = (float)acc;
    }
    int C = t->C, top = 0;
    if (t->K == 1) {
        double q = 1.0 / (1.0 + exp(-(double)s[0]));
        probs[t->positive] = (float)q;
        probs[1 - t->positive] = (float)(1.0 - q);
    } else {
        double mx = s[0], sum = 0.0;
        for (int k = 1; k < C; k++) mx = s[k] > mx ? s[k] : mx;
        for (int k = 0; k < C; k++) sum += exp((double)s[k] - mx);
        for (int k = 0; k < C; k++) probs[k] = (float)(exp((double)s[k] - mx) / sum);
    }
    for (int c = 1; c < C; c++)
        if (probs[c] > probs[top]) top = c;
    return top;
}

const TmlServeFamily tml_serve_family_gbdt = {
    .archs = (const char *const[]){"gbdt", NULL},
    .kind = "tabular",
    .validate = gbdt_validate,
    .build = gbdt_build,
    .free = gbdt_free,
    .scratch_floats = gbdt_scratch,
    .forward = gbdt_forward,
};
