/* ensemble.c — growing, trimming, checking and storing the flat tree arrays (see ensemble.h). The
 * nodes are stored column by column in HDF5 (one dataset per field), the same columns the export
 * ships, so a reader never depends on C struct padding. */
#include "trainer/gbdt/ensemble.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"

TmlGbdtEnsemble *tml_gbdt_ensemble_new(int K, const float *base) {
    TmlGbdtEnsemble *e = calloc(1, sizeof *e);
    if (!e || !(e->base = calloc((size_t)K, sizeof *e->base))) {
        free(e);
        return NULL;
    }
    e->K = K;
    if (base) memcpy(e->base, base, (size_t)K * sizeof *base);
    return e;
}

void tml_gbdt_ensemble_free(TmlGbdtEnsemble *e) {
    if (!e) return;
    free(e->base);
    free(e->roots);
    free(e->tclass);
    free(e->nodes);
    free(e->cats);
    free(e);
}

/* Grows *p (elements of size sz, capacity *cap) to hold need. 0, or -1 when out of memory. */
static int grow(void **p, int64_t *cap, int64_t need, size_t sz) {
    if (need <= *cap) return 0;
    int64_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * sz);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

int tml_gbdt_ensemble_add(TmlGbdtEnsemble *e, const TmlGbdtNode *nodes, int n_nodes, const uint32_t *cats, int n_cats,
                          int k, TmlError *err) {
    int64_t ct = e->cap_trees;
    if (grow((void **)&e->roots, &ct, e->n_trees + 1, sizeof *e->roots)) goto oom;
    ct = e->cap_trees;
    if (grow((void **)&e->tclass, &ct, e->n_trees + 1, sizeof *e->tclass)) goto oom;
    e->cap_trees = (int)ct;
    if (grow((void **)&e->nodes, &e->cap_nodes, e->n_nodes + n_nodes, sizeof *e->nodes) ||
        grow((void **)&e->cats, &e->cap_cats, e->n_cats + n_cats, TML_GBDT_CAT_WORDS * sizeof *e->cats))
        goto oom;
    int32_t base = (int32_t)e->n_nodes, cbase = (int32_t)e->n_cats;
    for (int i = 0; i < n_nodes; i++) {
        TmlGbdtNode nd = nodes[i];
        if (nd.feature >= 0) {
            nd.left += base;
            nd.right += base;
            if (nd.cat >= 0) nd.cat += cbase;
        }
        e->nodes[e->n_nodes + i] = nd;
    }
    if (n_cats)
        memcpy(e->cats + (size_t)e->n_cats * TML_GBDT_CAT_WORDS, cats,
               (size_t)n_cats * TML_GBDT_CAT_WORDS * sizeof *cats);
    e->roots[e->n_trees] = base;
    e->tclass[e->n_trees] = k;
    e->n_trees++;
    e->n_nodes += n_nodes;
    e->n_cats += n_cats;
    return 0;
oom:
    return tml_fail(err, "out of memory adding tree %d", e->n_trees + 1);
}

int64_t tml_gbdt_ensemble_tree_size(const TmlGbdtEnsemble *e, int t) {
    int64_t end = t + 1 < e->n_trees ? e->roots[t + 1] : e->n_nodes;
    return end - e->roots[t];
}

void tml_gbdt_ensemble_truncate(TmlGbdtEnsemble *e, int n_trees) {
    if (n_trees >= e->n_trees || n_trees < 0) return;
    e->n_nodes = n_trees > 0 ? e->roots[n_trees] : 0;
    int64_t nc = 0;
    for (int64_t i = 0; i < e->n_nodes; i++)
        if (e->nodes[i].feature >= 0 && e->nodes[i].cat >= 0 && e->nodes[i].cat + 1 > nc) nc = e->nodes[i].cat + 1;
    e->n_cats = nc;
    e->n_trees = n_trees;
}

int tml_gbdt_ensemble_validate(const TmlGbdtEnsemble *e, int F, TmlError *err) {
    if (e->K < 1) return tml_fail(err, "ensemble has %d score columns", e->K);
    for (int k = 0; k < e->K; k++)
        if (!isfinite(e->base[k])) return tml_fail(err, "base score %d is not finite", k);
    for (int t = 0; t < e->n_trees; t++) {
        int64_t a = e->roots[t], b = t + 1 < e->n_trees ? e->roots[t + 1] : e->n_nodes;
        if (a < 0 || b <= a || b > e->n_nodes || (t == 0 && a != 0))
            return tml_fail(err, "tree %d: root %lld is outside the node array", t, (long long)a);
        if (e->tclass[t] < 0 || e->tclass[t] >= e->K)
            return tml_fail(err, "tree %d adds to score column %d of %d", t, e->tclass[t], e->K);
        for (int64_t i = a; i < b; i++) {
            const TmlGbdtNode *nd = &e->nodes[i];
            if (nd->feature < 0) {
                if (!isfinite(nd->value)) return tml_fail(err, "node %lld: leaf value is not finite", (long long)i);
                continue;
            }
            if (nd->feature >= F)
                return tml_fail(err, "node %lld splits feature %d of %d", (long long)i, nd->feature, F);
            if (nd->left <= i || nd->left >= b || nd->right <= i || nd->right >= b)
                return tml_fail(err, "node %lld: children %d, %d are not inside its tree after it", (long long)i,
                                nd->left, nd->right);
            if (nd->missing_bin < 1 || nd->missing_bin >= TML_GBDT_MAX_BINS)
                return tml_fail(err, "node %lld: missing bin %d out of range", (long long)i, nd->missing_bin);
            if (nd->cat >= e->n_cats)
                return tml_fail(err, "node %lld: category set %d of %lld", (long long)i, nd->cat, (long long)e->n_cats);
            if (nd->cat < 0 && (nd->bin < 0 || nd->bin >= nd->missing_bin || nd->threshold != nd->threshold))
                return tml_fail(err, "node %lld: threshold bin %d outside 0..%d", (long long)i, nd->bin,
                                nd->missing_bin - 1);
        }
    }
    return 0;
}

/* ---- HDF5 -------------------------------------------------------------------------------------- */

enum { COL_I32, COL_F32 };
typedef struct NodeCol {
    const char *name;
    int type;
    size_t off;
} NodeCol;

static const NodeCol NODE_COLS[] = {
    {"node_feature", COL_I32, offsetof(TmlGbdtNode, feature)},
    {"node_bin", COL_I32, offsetof(TmlGbdtNode, bin)},
    {"node_threshold", COL_F32, offsetof(TmlGbdtNode, threshold)},
    {"node_missing_bin", COL_I32, offsetof(TmlGbdtNode, missing_bin)},
    {"node_default_left", COL_I32, offsetof(TmlGbdtNode, default_left)},
    {"node_cat", COL_I32, offsetof(TmlGbdtNode, cat)},
    {"node_left", COL_I32, offsetof(TmlGbdtNode, left)},
    {"node_right", COL_I32, offsetof(TmlGbdtNode, right)},
    {"node_value", COL_F32, offsetof(TmlGbdtNode, value)},
    {"node_gain", COL_F32, offsetof(TmlGbdtNode, gain)},
    {"node_cover", COL_F32, offsetof(TmlGbdtNode, cover)},
    {"node_count", COL_F32, offsetof(TmlGbdtNode, count)},
};
#define N_NODE_COLS ((int)(sizeof NODE_COLS / sizeof NODE_COLS[0]))

int tml_gbdt_ensemble_save(const TmlGbdtEnsemble *e, hid_t loc, const char *name, TmlError *err) {
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return tml_h5_fail(err, "cannot create group '%s'", name);
    int rc = -1;
    uint32_t *col = malloc((size_t)(e->n_nodes > 0 ? e->n_nodes : 1) * sizeof *col);
    if (!col) {
        tml_fail(err, "out of memory");
        goto done;
    }
    hsize_t dK = (hsize_t)e->K, dT = (hsize_t)e->n_trees, dN = (hsize_t)e->n_nodes;
    hsize_t dC[2] = {(hsize_t)e->n_cats, TML_GBDT_CAT_WORDS};
    if (tml_h5_attr_write_i64(g, "n_trees", e->n_trees, err) || tml_h5_attr_write_i64(g, "n_nodes", e->n_nodes, err) ||
        tml_h5_attr_write_i64(g, "score_columns", e->K, err))
        goto done;
    if (tml_h5_write(g, "base", H5T_NATIVE_FLOAT, 1, &dK, e->base, 0) < 0 ||
        tml_h5_write(g, "roots", H5T_NATIVE_INT32, 1, &dT, e->roots, 1) < 0 ||
        tml_h5_write(g, "tclass", H5T_NATIVE_INT32, 1, &dT, e->tclass, 1) < 0 ||
        tml_h5_write(g, "cats", H5T_NATIVE_UINT32, 2, dC, e->cats, 1) < 0)
        goto h5fail;
    for (int c = 0; c < N_NODE_COLS; c++) {
        for (int64_t i = 0; i < e->n_nodes; i++) memcpy(&col[i], (const char *)&e->nodes[i] + NODE_COLS[c].off, 4);
        if (tml_h5_write(g, NODE_COLS[c].name, NODE_COLS[c].type == COL_I32 ? H5T_NATIVE_INT32 : H5T_NATIVE_FLOAT, 1,
                         &dN, col, 1) < 0)
            goto h5fail;
    }
    rc = 0;
    goto done;
h5fail:
    tml_h5_fail(err, "cannot write the trees of group '%s' (disk full?)", name);
done:
    free(col);
    H5Gclose(g);
    return rc;
}

TmlGbdtEnsemble *tml_gbdt_ensemble_load(hid_t loc, const char *name, TmlError *err) {
    hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
    if (g < 0) {
        tml_fail(err, "group '%s' is missing", name);
        return NULL;
    }
    TmlGbdtEnsemble *e = NULL;
    uint32_t *col = NULL;
    int64_t T = 0, N = 0, K = 0, d0 = 0;
    if (tml_h5_attr_read_i64(g, "n_trees", &T, err) || tml_h5_attr_read_i64(g, "n_nodes", &N, err) ||
        tml_h5_attr_read_i64(g, "score_columns", &K, err))
        goto fail;
    if (T < 0 || N < 0 || K < 1 || K > 100000 || T > (1 << 30) || N > ((int64_t)1 << 31) ||
        tml_h5_size(g, "base", &d0) != K || tml_h5_size(g, "roots", &d0) != T || tml_h5_size(g, "tclass", &d0) != T) {
        tml_fail(err, "group '%s': tree tables do not match n_trees = %lld, score_columns = %lld", name, (long long)T,
                 (long long)K);
        goto fail;
    }
    int64_t nc = tml_h5_size(g, "cats", &d0);
    if (nc < 0 || nc % TML_GBDT_CAT_WORDS) {
        tml_fail(err, "group '%s': category sets are not %d words each", name, TML_GBDT_CAT_WORDS);
        goto fail;
    }
    if (!(e = tml_gbdt_ensemble_new((int)K, NULL))) goto oom;
    e->cap_trees = (int)(T > 0 ? T : 1);
    e->cap_nodes = N > 0 ? N : 1;
    e->cap_cats = nc / TML_GBDT_CAT_WORDS > 0 ? nc / TML_GBDT_CAT_WORDS : 1;
    e->roots = malloc((size_t)e->cap_trees * sizeof *e->roots);
    e->tclass = malloc((size_t)e->cap_trees * sizeof *e->tclass);
    e->nodes = calloc((size_t)e->cap_nodes, sizeof *e->nodes);
    e->cats = calloc((size_t)e->cap_cats * TML_GBDT_CAT_WORDS, sizeof *e->cats);
    col = malloc((size_t)e->cap_nodes * sizeof *col);
    if (!e->roots || !e->tclass || !e->nodes || !e->cats || !col) goto oom;
    e->n_trees = (int)T;
    e->n_nodes = N;
    e->n_cats = nc / TML_GBDT_CAT_WORDS;
    if (tml_h5_read(g, "base", H5T_NATIVE_FLOAT, e->base) < 0 ||
        (T > 0 && (tml_h5_read(g, "roots", H5T_NATIVE_INT32, e->roots) < 0 ||
                   tml_h5_read(g, "tclass", H5T_NATIVE_INT32, e->tclass) < 0)) ||
        (nc > 0 && tml_h5_read(g, "cats", H5T_NATIVE_UINT32, e->cats) < 0))
        goto h5fail;
    for (int c = 0; c < N_NODE_COLS; c++) {
        if (tml_h5_size(g, NODE_COLS[c].name, &d0) != N) {
            tml_fail(err, "group '%s': dataset '%s' does not hold n_nodes = %lld values", name, NODE_COLS[c].name,
                     (long long)N);
            goto fail;
        }
        if (N > 0 && tml_h5_read(g, NODE_COLS[c].name,
                                 NODE_COLS[c].type == COL_I32 ? H5T_NATIVE_INT32 : H5T_NATIVE_FLOAT, col) < 0)
            goto h5fail;
        for (int64_t i = 0; i < N; i++) memcpy((char *)&e->nodes[i] + NODE_COLS[c].off, &col[i], 4);
    }
    free(col);
    H5Gclose(g);
    return e;
oom:
    tml_fail(err, "out of memory loading the trees");
    goto fail;
h5fail:
    tml_h5_fail(err, "group '%s': cannot read the trees (file truncated or corrupt?)", name);
fail:
    free(col);
    tml_gbdt_ensemble_free(e);
    H5Gclose(g);
    return NULL;
}
