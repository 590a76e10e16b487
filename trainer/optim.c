/* optim.c — one optimizer step over all parameters of a model: dense tensors updated whole, the
 * embedding table row-sparse (lazy AdamW on the touched rows, as PyTorch's SparseAdam does). */
#include "trainer/optim.h"

#include <math.h>

#include <stddef.h>

double tml_lr_at(const TmlOptimConfig *c, int64_t t, int64_t total) {
    double warm = c->warmup < 1.0 ? c->warmup * (double)total : c->warmup;
    if (warm > 0 && (double)t < warm) return c->lr * ((double)t + 1.0) / warm;
    double span = (double)total - warm;
    double p = span > 0 ? ((double)t - warm) / span : 1.0;
    if (p > 1.0) p = 1.0;
    switch (c->schedule) {
    case TML_SCHED_LINEAR: return c->lr * (1.0 - p);
    case TML_SCHED_COSINE: return c->lr * 0.5 * (1.0 + cos(M_PI * p));
    case TML_SCHED_CONSTANT: return c->lr;
    }
    return c->lr;
}

static int ensure_moments(TmlNet *m, TmlParam *p, TmlError *err) {
    if (p->m) return 0;
    size_t bytes = (size_t)p->rows * (size_t)p->cols * sizeof(float);
    p->m = tml_alloc(m->be, bytes);
    p->v = tml_alloc(m->be, bytes);
    if (!p->m || !p->v) return tml_fail(err, "out of %s memory for AdamW state of %s", tml_backend_name(m->be), p->name);
    tml_zero(m->be, p->m, bytes);
    tml_zero(m->be, p->v, bytes);
    return 0;
}

double tml_optim_step(TmlNet *m, const TmlOptimConfig *c, double lr, int64_t step, int want_norm, TmlError *err) {
    TmlBackend *be = m->be;
    double norm = 0;
    if (c->clip > 0 || want_norm) {
        /* one clipping op over every dense gradient; the norm stays on the device unless asked */
        float *xs[TML_MAX_PARAMS];
        size_t ns[TML_MAX_PARAMS];
        int k = 0;
        for (int i = 0; i < m->n_params; i++)
            if (!m->params[i].sparse && m->params[i].g) {
                xs[k] = m->params[i].g;
                ns[k++] = (size_t)m->params[i].rows * (size_t)m->params[i].cols;
            }
        if (want_norm && !m->d_norm && !(m->d_norm = tml_alloc(be, sizeof(double))))
            return tml_fail(err, "out of %s memory for the gradient norm", tml_backend_name(be));
        tml_clip_global_norm(be, xs, ns, k, (float)c->clip, want_norm ? m->d_norm : NULL);
        if (want_norm) tml_download(be, &norm, m->d_norm, sizeof norm);
    }
    for (int i = 0; i < m->n_params; i++) {
        TmlParam *p = &m->params[i];
        if (!p->g) continue; /* frozen: no gradient, no moments */
        size_t n = (size_t)p->rows * (size_t)p->cols;
        /* no weight decay on biases: it only fights the class priors */
        float wd = p->cols == 1 ? 0.0f : (float)c->weight_decay;
        if (c->kind == TML_OPT_ADAMW) {
            if (ensure_moments(m, p, err) < 0) return -1;
            if (p->sparse)
                tml_adamw_update_rows(be, p->w, p->g, p->m, p->v, m->d_uniq, m->n_uniq, (int)p->cols, (float)lr,
                                      (float)c->beta1, (float)c->beta2, (float)c->eps, wd, (int)step);
            else
                tml_adamw_update(be, p->w, p->g, p->m, p->v, n, (float)lr, (float)c->beta1, (float)c->beta2,
                                 (float)c->eps, wd, (int)step);
        } else {
            if (p->sparse)
                tml_sgd_update_rows(be, p->w, p->g, m->d_uniq, m->n_uniq, (int)p->cols, (float)lr, wd);
            else
                tml_sgd_update(be, p->w, p->g, n, (float)lr, wd);
        }
    }
    return norm;
}
