/* tree_explain.c — TreeSHAP and gain importance (see tree_explain.h). The SHAP recursion keeps
 * the "path" of features met so far with, for each, the share of background rows that follow it
 * (z: cover of the child over the parent) and whether x follows it (o), plus the permutation
 * weights w; extend/unwind update w as features join or leave the path. */
#include "eval/tree_explain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/gbdt_common.h"

typedef struct PathElem {
    int d;    /* feature (-1 for the root's dummy element) */
    double z; /* share of background rows along this edge */
    double o; /* 1 when x follows this edge */
    double w; /* permutation weight */
} PathElem;

static void extend(PathElem *m, int l, double pz, double po, int pi) {
    m[l].d = pi;
    m[l].z = pz;
    m[l].o = po;
    m[l].w = l == 0 ? 1.0 : 0.0;
    for (int i = l - 1; i >= 0; i--) {
        m[i + 1].w += po * m[i].w * (double)(i + 1) / (double)(l + 1);
        m[i].w = pz * m[i].w * (double)(l - i) / (double)(l + 1);
    }
}

/* Removes element i of m (length l + 1) in place. */
static void unwind(PathElem *m, int l, int i) {
    double n = m[l].w, o = m[i].o, z = m[i].z;
    for (int j = l - 1; j >= 0; j--) {
        if (o != 0.0) {
            double t = m[j].w;
            m[j].w = n * (double)(l + 1) / ((double)(j + 1) * o);
            n = t - m[j].w * z * (double)(l - j) / (double)(l + 1);
        } else {
            m[j].w = m[j].w * (double)(l + 1) / (z * (double)(l - j));
        }
    }
    for (int j = i; j < l; j++) {
        m[j].d = m[j + 1].d;
        m[j].z = m[j + 1].z;
        m[j].o = m[j + 1].o;
    }
}

/* Sum of the weights of m (length l + 1) with element i removed, m unchanged. */
static double unwound_sum(const PathElem *m, int l, int i) {
    double o = m[i].o, z = m[i].z, total = 0.0, n = m[l].w;
    for (int j = l - 1; j >= 0; j--) {
        if (o != 0.0) {
            double t = n * (double)(l + 1) / ((double)(j + 1) * o);
            total += t;
            n = m[j].w - t * z * (double)(l - j) / (double)(l + 1);
        } else {
            total += m[j].w / z * (double)(l + 1) / (double)(l - j);
        }
    }
    return total;
}

typedef struct Shap {
    const TmlGbdtEnsemble *e;
    const float *x;
    double *phi; /* this score column's F + 1 entries */
} Shap;

/* parent: the path so far (l elements), copied into this level's slot m = parent + l and extended
 * to l + 1 elements (so l is then the last index). The caller sized the buffer for the deepest path. */
static void recurse(const Shap *s, int j, PathElem *parent, int l, double pz, double po, int pi) {
    PathElem *m = parent + l;
    memmove(m, parent, (size_t)l * sizeof *m);
    extend(m, l, pz, po, pi);
    const TmlGbdtNode *nd = &s->e->nodes[j];
    if (nd->feature < 0) {
        for (int i = 1; i <= l; i++) {
            double w = unwound_sum(m, l, i);
            s->phi[m[i].d] += w * (m[i].o - m[i].z) * (double)nd->value;
        }
        return;
    }
    int hot = gbdt_node_left_value(nd, s->e->cats, s->x[nd->feature]) ? nd->left : nd->right;
    int cold = hot == nd->left ? nd->right : nd->left;
    double iz = 1.0, io = 1.0;
    int k = 1;
    while (k <= l && m[k].d != nd->feature) k++;
    if (k <= l) {
        iz = m[k].z;
        io = m[k].o;
        unwind(m, l, k);
        l--;
    }
    double rj = nd->count, rh = s->e->nodes[hot].count, rc = s->e->nodes[cold].count;
    if (rj <= 0) rj = 1; /* a node without rows cannot happen in a trained tree; guard the division */
    recurse(s, hot, m, l + 1, iz * rh / rj, io, nd->feature);
    recurse(s, cold, m, l + 1, iz * rc / rj, 0.0, nd->feature);
}

static int tree_depth(const TmlGbdtEnsemble *e, int j) {
    const TmlGbdtNode *nd = &e->nodes[j];
    if (nd->feature < 0) return 0;
    int a = tree_depth(e, nd->left), b = tree_depth(e, nd->right);
    return 1 + (a > b ? a : b);
}

/* Count-weighted mean leaf value of the subtree at j. */
static double mean_value(const TmlGbdtEnsemble *e, int j) {
    const TmlGbdtNode *nd = &e->nodes[j];
    if (nd->feature < 0) return nd->value;
    double cl = e->nodes[nd->left].count, cr = e->nodes[nd->right].count, t = cl + cr;
    if (t <= 0) return 0.5 * (mean_value(e, nd->left) + mean_value(e, nd->right));
    return (cl * mean_value(e, nd->left) + cr * mean_value(e, nd->right)) / t;
}

int tml_treeshap_row(const TmlGbdtEnsemble *e, const float *x, int F, double *phi, TmlError *err) {
    int K = e->K, depth = 0;
    memset(phi, 0, (size_t)K * (size_t)(F + 1) * sizeof *phi);
    for (int t = 0; t < e->n_trees; t++) {
        int d = tree_depth(e, e->roots[t]);
        depth = d > depth ? d : depth;
    }
    /* one slot per recursion level, each up to depth + 2 elements long */
    size_t slots = (size_t)(depth + 3) * (size_t)(depth + 3);
    PathElem *buf = malloc(slots * sizeof *buf);
    if (!buf) return tml_fail(err, "out of memory for TreeSHAP (trees %d deep)", depth);
    for (int k = 0; k < K; k++) phi[k * (F + 1) + F] = e->base[k];
    for (int t = 0; t < e->n_trees; t++) {
        int k = e->tclass[t];
        Shap s = {e, x, phi + (size_t)k * (F + 1)};
        recurse(&s, e->roots[t], buf, 0, 1.0, 1.0, -1); /* the root's path: one dummy element */
        s.phi[F] += mean_value(e, e->roots[t]);
    }
    free(buf);
    return 0;
}

void tml_gbdt_importance(const TmlGbdtEnsemble *e, int F, double *gain, int64_t *splits) {
    memset(gain, 0, (size_t)F * sizeof *gain);
    if (splits) memset(splits, 0, (size_t)F * sizeof *splits);
    double total = 0;
    for (int64_t i = 0; i < e->n_nodes; i++) {
        const TmlGbdtNode *nd = &e->nodes[i];
        if (nd->feature < 0 || nd->feature >= F) continue;
        gain[nd->feature] += nd->gain;
        total += nd->gain;
        if (splits) splits[nd->feature]++;
    }
    if (total > 0)
        for (int f = 0; f < F; f++) gain[f] /= total;
}
