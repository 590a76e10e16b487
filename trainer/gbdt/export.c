/* export.c — the export part of a tree model: its flat arrays as the trees/ tensors of
 * docs/export-format.md (indices and flags int32, thresholds, leaf values and base scores float32),
 * so the serving library walks exactly the trees the trainer predicts with. */
#include <stdlib.h>
#include <string.h>

#include "trainer/gbdt/family.h"

/* A copy of n int32 values taken from a strided array of structs (stride bytes apart). */
static int32_t *ints_of(const void *base, size_t stride, int64_t n) {
    int32_t *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    for (int64_t i = 0; v && i < n; i++) memcpy(&v[i], (const char *)base + (size_t)i * stride, sizeof *v);
    return v;
}

static float *floats_of(const void *base, size_t stride, int64_t n) {
    float *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    for (int64_t i = 0; v && i < n; i++) memcpy(&v[i], (const char *)base + (size_t)i * stride, sizeof *v);
    return v;
}

int tml_gbdt_export(const TmlGbdtModel *g, TmlExport *e, TmlError *err) {
    const TmlGbdtEnsemble *en = g->ens;
    if (!en) return tml_fail(err, "the tree model has not been trained; nothing to export");
    int K = en->K;
    if (!(e->arch = strdup("gbdt")) || !(e->loss = strdup(K == 1 ? "logistic" : "softmax")) ||
        !(e->bag = strdup("none")))
        return tml_fail(err, "out of memory");
    e->format_version = 2; /* tree arrays and int32 tensors: a version-1 reader cannot serve this */
    e->in_dim = g->in.dim;
    e->dim = g->in.F;
    e->hidden = 0;
    e->n_out = g->n_classes;
    int64_t N = en->n_nodes, T = en->n_trees;
    const TmlGbdtNode *nd = en->nodes;
    size_t sz = sizeof *nd;
#define NODE_INTS(field) ints_of((const char *)nd + offsetof(TmlGbdtNode, field), sz, N)
#define NODE_FLOATS(field) floats_of((const char *)nd + offsetof(TmlGbdtNode, field), sz, N)
    struct {
        const char *key;
        int32_t *i;
        float *f;
        int64_t rows, cols;
    } t[] = {
        {"trees/base", NULL, floats_of(en->base, sizeof *en->base, K), K, 0},
        {"trees/roots", ints_of(en->roots, sizeof *en->roots, T), NULL, T, 0},
        {"trees/tclass", ints_of(en->tclass, sizeof *en->tclass, T), NULL, T, 0},
        {"trees/feature", NODE_INTS(feature), NULL, N, 0},
        {"trees/threshold", NULL, NODE_FLOATS(threshold), N, 0},
        {"trees/default_left", NODE_INTS(default_left), NULL, N, 0},
        {"trees/missing_bin", NODE_INTS(missing_bin), NULL, N, 0},
        {"trees/cat", NODE_INTS(cat), NULL, N, 0},
        {"trees/left", NODE_INTS(left), NULL, N, 0},
        {"trees/right", NODE_INTS(right), NULL, N, 0},
        {"trees/value", NULL, NODE_FLOATS(value), N, 0},
        {"trees/cats", ints_of(en->cats, sizeof *en->cats, en->n_cats * TML_GBDT_CAT_WORDS), NULL, en->n_cats,
         TML_GBDT_CAT_WORDS},
        {"trees/input_src", ints_of(g->in.src, sizeof *g->in.src, g->in.F), NULL, g->in.F, 0},
        {"trees/input_n_cats", ints_of(g->in.n_cats, sizeof *g->in.n_cats, g->in.F), NULL, g->in.F, 0},
    };
#undef NODE_INTS
#undef NODE_FLOATS
    int n = (int)(sizeof t / sizeof t[0]), rc = 0;
    for (int k = 0; k < n; k++) {
        if (rc || (!t[k].i && !t[k].f)) {
            free(t[k].i);
            free(t[k].f);
            if (!rc) rc = tml_fail(err, "out of memory exporting the trees");
            continue;
        }
        rc = t[k].i ? tml_export_add_tensor_i32(e, t[k].key, t[k].rows, t[k].cols, t[k].i, err)
                    : tml_export_add_tensor(e, t[k].key, t[k].rows, t[k].cols, t[k].f, err);
    }
    return rc;
}
