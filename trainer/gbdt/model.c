/* model.c — the tree features of dense rows, scoring through the backend, and the `gbdt` group of
 * model files (see model.h). */
#include "trainer/gbdt/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"

void tml_gbdt_model_free(TmlGbdtModel *m) {
    if (!m) return;
    free(m->in.src);
    free(m->in.n_cats);
    if (m->in.names)
        for (int f = 0; f < m->in.F; f++) free(m->in.names[f]);
    free(m->in.names);
    tml_gbdt_binner_free(m->binner);
    tml_gbdt_ensemble_free(m->ens);
    free(m);
}

int tml_gbdt_model_score_columns(const TmlGbdtModel *m) { return m->n_classes == 2 ? 1 : m->n_classes; }

static int add_input(TmlGbdtInputs *in, int src, int n_cats, const char *name) {
    in->src[in->F] = src;
    in->n_cats[in->F] = n_cats;
    if (!(in->names[in->F] = strdup(name))) return -1;
    in->F++;
    return 0;
}

TmlGbdtModel *tml_gbdt_model_new(const TmlTabular *tab, int n_classes, int positive, int native_categorical,
                                 TmlError *err) {
    TmlGbdtModel *m = calloc(1, sizeof *m);
    size_t cap = (size_t)tab->dim + 1;
    if (!m || !(m->in.src = malloc(cap * sizeof(int32_t))) || !(m->in.n_cats = malloc(cap * sizeof(int32_t))) ||
        !(m->in.names = calloc(cap, sizeof(char *))))
        goto oom;
    m->n_classes = n_classes;
    m->positive = positive;
    m->in.dim = tab->dim;
    for (int i = 0; i < tab->n_cols; i++) {
        const TmlTabColumn *c = &tab->cols[i];
        if (c->type == TML_COL_NUMERIC) {
            if (add_input(&m->in, c->offset, 0, c->name)) goto oom;
        } else if (c->type == TML_COL_CATEGORICAL || c->type == TML_COL_BOOLEAN) {
            if (c->n_cats == 0) continue;
            if (native_categorical) {
                if (add_input(&m->in, c->offset, c->n_cats, c->name)) goto oom;
            } else {
                for (int k = 0; k < c->n_cats; k++)
                    if (add_input(&m->in, c->offset + k, 0, tab->feature_names[c->offset + k])) goto oom;
            }
        }
    }
    if (m->in.F == 0) {
        tml_fail(err, "no feature columns for trees (every column is an id or ignored)");
        tml_gbdt_model_free(m);
        return NULL;
    }
    return m;
oom:
    tml_fail(err, "out of memory");
    tml_gbdt_model_free(m);
    return NULL;
}

void tml_gbdt_model_inputs(const TmlGbdtModel *m, const float *dense, int64_t n, float *x) {
    const TmlGbdtInputs *in = &m->in;
    for (int64_t r = 0; r < n; r++) {
        const float *d = dense + (size_t)r * (size_t)in->dim;
        float *o = x + (size_t)r * (size_t)in->F;
        for (int f = 0; f < in->F; f++) {
            if (in->n_cats[f] == 0) {
                o[f] = d[in->src[f]];
                continue;
            }
            float v = NAN;
            for (int k = 0; k < in->n_cats[f]; k++)
                if (d[in->src[f] + k] > 0.5f) {
                    v = (float)k;
                    break;
                }
            o[f] = v;
        }
    }
}

void tml_gbdt_model_probs(const TmlGbdtModel *m, const float *scores, int64_t n, float *probs) {
    int C = m->n_classes, K = tml_gbdt_model_score_columns(m);
    for (int64_t r = n - 1; r >= 0; r--) { /* backwards: probs may alias scores (K <= C) */
        const float *s = scores + (size_t)r * K;
        float *p = probs + (size_t)r * C;
        if (K == 1) {
            double q = 1.0 / (1.0 + exp(-(double)s[0]));
            int pos = m->positive;
            p[pos] = (float)q;
            p[1 - pos] = (float)(1.0 - q);
            continue;
        }
        double mx = s[0], sum = 0.0, e[64], *ev = K <= 64 ? e : NULL;
        for (int k = 1; k < K; k++) mx = s[k] > mx ? s[k] : mx;
        for (int k = 0; k < K; k++) {
            double v = exp((double)s[k] - mx);
            if (ev) ev[k] = v;
            sum += v;
        }
        for (int k = 0; k < K; k++) p[k] = (float)((ev ? ev[k] : exp((double)s[k] - mx)) / sum);
    }
}

#define SCORE_CHUNK 65536

float *tml_gbdt_model_scores(const TmlGbdtModel *m, TmlBackend *be, const float *dense, int64_t n, TmlError *err) {
    const TmlGbdtEnsemble *e = m->ens;
    int K = e->K, F = m->in.F;
    int64_t chunk = n < SCORE_CHUNK ? (n > 0 ? n : 1) : SCORE_CHUNK;
    float *scores = malloc((size_t)(n > 0 ? n : 1) * (size_t)K * sizeof *scores);
    float *x = malloc((size_t)chunk * (size_t)F * sizeof *x);
    float *d_x = tml_alloc(be, (size_t)chunk * (size_t)F * sizeof *d_x);
    float *d_s = tml_alloc(be, (size_t)chunk * (size_t)K * sizeof *d_s);
    TmlGbdtNode *d_nodes = tml_alloc(be, (size_t)(e->n_nodes > 0 ? e->n_nodes : 1) * sizeof *d_nodes);
    uint32_t *d_cats = tml_alloc(be, (size_t)(e->n_cats > 0 ? e->n_cats : 1) * TML_GBDT_CAT_WORDS * sizeof *d_cats);
    int32_t *d_roots = tml_alloc(be, (size_t)(e->n_trees > 0 ? e->n_trees : 1) * sizeof *d_roots);
    int32_t *d_cls = tml_alloc(be, (size_t)(e->n_trees > 0 ? e->n_trees : 1) * sizeof *d_cls);
    if (!scores || !x || !d_x || !d_s || !d_nodes || !d_cats || !d_roots || !d_cls) {
        tml_fail(err, "out of memory scoring %lld rows with %d trees", (long long)n, e->n_trees);
        free(scores);
        scores = NULL;
        goto done;
    }
    tml_upload(be, d_nodes, e->nodes, (size_t)e->n_nodes * sizeof *d_nodes);
    tml_upload(be, d_cats, e->cats, (size_t)e->n_cats * TML_GBDT_CAT_WORDS * sizeof *d_cats);
    tml_upload(be, d_roots, e->roots, (size_t)e->n_trees * sizeof *d_roots);
    tml_upload(be, d_cls, e->tclass, (size_t)e->n_trees * sizeof *d_cls);
    for (int64_t a = 0; a < n; a += chunk) {
        int64_t c = n - a < chunk ? n - a : chunk;
        tml_gbdt_model_inputs(m, dense + (size_t)a * (size_t)m->in.dim, c, x);
        float *s = scores + (size_t)a * K;
        for (int64_t r = 0; r < c; r++)
            for (int k = 0; k < K; k++) s[(size_t)r * K + k] = e->base[k];
        tml_upload(be, d_x, x, (size_t)c * (size_t)F * sizeof *d_x);
        tml_upload(be, d_s, s, (size_t)c * (size_t)K * sizeof *d_s);
        tml_gbdt_predict(be, d_s, d_x, c, F, d_nodes, d_cats, d_roots, d_cls, e->n_trees, K);
        tml_download(be, s, d_s, (size_t)c * (size_t)K * sizeof *d_s);
    }
done:
    free(x);
    tml_free(be, d_x);
    tml_free(be, d_s);
    tml_free(be, d_nodes);
    tml_free(be, d_cats);
    tml_free(be, d_roots);
    tml_free(be, d_cls);
    return scores;
}

float *tml_gbdt_model_predict(const TmlGbdtModel *m, TmlBackend *be, const float *dense, int64_t n, TmlError *err) {
    float *s = tml_gbdt_model_scores(m, be, dense, n, err);
    if (!s) return NULL;
    int C = m->n_classes, K = tml_gbdt_model_score_columns(m);
    float *p = s;
    if (C > K && !(p = realloc(s, (size_t)(n > 0 ? n : 1) * (size_t)C * sizeof *p))) {
        free(s);
        tml_fail(err, "out of memory");
        return NULL;
    }
    tml_gbdt_model_probs(m, p, n, p);
    return p;
}

/* ---- HDF5 -------------------------------------------------------------------------------------- */

int tml_gbdt_model_save(const TmlGbdtModel *m, hid_t loc, TmlError *err) {
    hid_t g = H5Gcreate2(loc, "gbdt", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return tml_h5_fail(err, "cannot create group 'gbdt'");
    hsize_t dF = (hsize_t)m->in.F;
    int rc = -1;
    if (tml_h5_attr_write_i64(g, "n_classes", m->n_classes, err) ||
        tml_h5_attr_write_i64(g, "positive", m->positive, err) || tml_h5_attr_write_i64(g, "input_dim", m->in.dim, err))
        goto done;
    if (tml_h5_write(g, "input_src", H5T_NATIVE_INT32, 1, &dF, m->in.src, 0) < 0 ||
        tml_h5_write(g, "input_n_cats", H5T_NATIVE_INT32, 1, &dF, m->in.n_cats, 0) < 0 ||
        tml_h5_write_strs(g, "input_names", m->in.names, m->in.F) < 0) {
        tml_h5_fail(err, "cannot write the tree inputs (disk full?)");
        goto done;
    }
    if (tml_gbdt_binner_save(m->binner, g, "bins", err) || tml_gbdt_ensemble_save(m->ens, g, "trees", err)) goto done;
    rc = 0;
done:
    H5Gclose(g);
    return rc;
}

TmlGbdtModel *tml_gbdt_model_load(hid_t loc, TmlError *err) {
    hid_t g = H5Gopen2(loc, "gbdt", H5P_DEFAULT);
    if (g < 0) {
        tml_fail(err, "group 'gbdt' is missing");
        return NULL;
    }
    TmlGbdtModel *m = calloc(1, sizeof *m);
    int64_t C = 0, pos = -1, dim = 0, d0, F, nn = 0;
    if (!m) {
        tml_fail(err, "out of memory");
        goto fail;
    }
    if (tml_h5_attr_read_i64(g, "n_classes", &C, err) || tml_h5_attr_read_i64(g, "positive", &pos, err) ||
        tml_h5_attr_read_i64(g, "input_dim", &dim, err))
        goto fail;
    F = tml_h5_size(g, "input_src", &d0);
    if (C < 2 || (C == 2 && (pos < 0 || pos > 1)) || dim < 1 || F < 1 || F > dim ||
        tml_h5_size(g, "input_n_cats", &d0) != F) {
        tml_fail(err, "group 'gbdt': inconsistent class count, positive class or input tables");
        goto fail;
    }
    m->n_classes = (int)C;
    m->positive = (int)pos;
    m->in.dim = (int)dim;
    m->in.src = malloc((size_t)F * sizeof(int32_t));
    m->in.n_cats = malloc((size_t)F * sizeof(int32_t));
    if (!m->in.src || !m->in.n_cats) {
        tml_fail(err, "out of memory");
        goto fail;
    }
    if (tml_h5_read(g, "input_src", H5T_NATIVE_INT32, m->in.src) < 0 ||
        tml_h5_read(g, "input_n_cats", H5T_NATIVE_INT32, m->in.n_cats) < 0 ||
        !(m->in.names = tml_h5_read_strs(g, "input_names", &nn)) || nn != F) {
        tml_h5_fail(err, "group 'gbdt': cannot read the tree inputs");
        goto fail;
    }
    m->in.F = (int)F;
    for (int f = 0; f < F; f++)
        if (m->in.src[f] < 0 || m->in.n_cats[f] < 0 || m->in.src[f] + (m->in.n_cats[f] ? m->in.n_cats[f] : 1) > dim) {
            tml_fail(err, "group 'gbdt': input %d reads outside the %lld dense columns", f, (long long)dim);
            goto fail;
        }
    if (!(m->binner = tml_gbdt_binner_load(g, "bins", err)) || !(m->ens = tml_gbdt_ensemble_load(g, "trees", err)))
        goto fail;
    if (m->binner->F != F || m->ens->K != tml_gbdt_model_score_columns(m)) {
        tml_fail(err, "group 'gbdt': bins or trees do not match the %lld inputs and %lld classes", (long long)F,
                 (long long)C);
        goto fail;
    }
    for (int f = 0; f < F; f++)
        if (m->binner->feats[f].categorical != (m->in.n_cats[f] > 0)) {
            tml_fail(err, "group 'gbdt': feature %d is categorical in the bins but not in the inputs", f);
            goto fail;
        }
    if (tml_gbdt_ensemble_validate(m->ens, m->in.F, err)) goto fail;
    for (int64_t i = 0; i < m->ens->n_nodes; i++) {
        const TmlGbdtNode *nd = &m->ens->nodes[i];
        if (nd->feature >= 0 && (nd->missing_bin != m->binner->feats[nd->feature].n_bins ||
                                 (nd->cat >= 0) != m->binner->feats[nd->feature].categorical)) {
            tml_fail(err, "group 'gbdt': node %lld does not match the bins of feature %d", (long long)i, nd->feature);
            goto fail;
        }
    }
    H5Gclose(g);
    return m;
fail:
    if (m && !m->in.names) m->in.F = 0;
    tml_gbdt_model_free(m);
    H5Gclose(g);
    return NULL;
}
