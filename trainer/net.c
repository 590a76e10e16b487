/* model.c — parameters, initialization, forward and backward of the text and tabular classifiers.
 * Every tensor op is a backend call; the host only assembles batches and moves them. */
#include "trainer/net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"
#include "ticketml/rng.h"

const char *tml_net_arch_name(TmlArch a) {
    switch (a) {
    case TML_ARCH_LINEAR: return "linear";
    case TML_ARCH_EMBED: return "embedding";
    case TML_ARCH_TABULAR: return "tabular";
    }
    return "?";
}

/* Width of the layer feeding the output layer (W2), or of the logits for the linear model. */
static int64_t first_width(const TmlNetSpec *s) {
    if (s->arch == TML_ARCH_LINEAR) return s->n_out;
    if (s->arch == TML_ARCH_EMBED) return s->dim;
    return s->in_dim;
}

static TmlParam *add_param(TmlNet *m, const char *name, int64_t rows, int64_t cols, int sparse, TmlError *err) {
    TML_ASSERT(m->n_params < TML_MAX_PARAMS);
    TmlParam *p = &m->params[m->n_params++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->rows = rows;
    p->cols = cols;
    p->sparse = sparse;
    p->w = tml_alloc(m->be, (size_t)rows * (size_t)cols * sizeof(float));
    if (!p->w) {
        tml_fail(err, "out of %s memory allocating %s (%lld x %lld floats); lower [text] buckets or [model] dim",
                 tml_backend_name(m->be), name, (long long)rows, (long long)cols);
        return NULL;
    }
    return p; /* the gradient comes with tml_net_alloc_grads, only when mini-batch training needs it */
}

int tml_net_alloc_grads(TmlNet *m, TmlError *err) {
    for (int i = 0; i < m->n_params; i++) {
        TmlParam *p = &m->params[i];
        if (p->g || (p == m->E && m->freeze_embeddings)) continue;
        size_t bytes = (size_t)p->rows * (size_t)p->cols * sizeof(float);
        if (!(p->g = tml_alloc(m->be, bytes)))
            return tml_fail(err, "out of %s memory for the gradient of %s (%lld x %lld floats); lower [text] buckets "
                                 "or [model] dim",
                            tml_backend_name(m->be), p->name, (long long)p->rows, (long long)p->cols);
        tml_zero(m->be, p->g, bytes);
    }
    return 0;
}

/* Fills p->w with U(-bound, bound) (bound 0: zeros), generated row-chunk by row-chunk on the host
 * so a large embedding table never needs a second full-size host copy. -1 when out of memory. */
static int init_uniform(TmlNet *m, TmlParam *p, float bound, TmlRng *rng, TmlError *err) {
    size_t total = (size_t)p->rows * (size_t)p->cols;
    if (bound == 0.0f) {
        tml_zero(m->be, p->w, total * sizeof(float));
        return 0;
    }
    size_t chunk = 1 << 20;
    float *buf = malloc(chunk * sizeof(float));
    if (!buf) return tml_fail(err, "out of host memory initializing %s", p->name);
    for (size_t off = 0; off < total; off += chunk) {
        size_t n = total - off < chunk ? total - off : chunk;
        for (size_t i = 0; i < n; i++) buf[i] = (2.0f * tml_rng_uniform_f(rng) - 1.0f) * bound;
        tml_upload(m->be, p->w + off, buf, n * sizeof(float));
    }
    free(buf);
    return 0;
}

TmlNet *tml_net_create(TmlBackend *be, const TmlNetSpec *spec, uint64_t seed, TmlError *err) {
    TmlNet *m = calloc(1, sizeof *m);
    if (!m) {
        tml_fail(err, "out of host memory");
        return NULL;
    }
    m->be = be;
    m->spec = *spec;
    TmlRng rng;
    tml_rng_seed(&rng, seed);
    const TmlNetSpec *s = &m->spec;
    int64_t w0 = first_width(s);
    int C = s->n_out;
    if (s->arch != TML_ARCH_TABULAR) {
        int64_t D = s->arch == TML_ARCH_LINEAR ? C : s->dim;
        if (!(m->E = add_param(m, "embedding", s->in_dim, D, 1, err)) ||
            init_uniform(m, m->E, s->arch == TML_ARCH_LINEAR ? 0.0f : 1.0f / (float)D, &rng, err))
            goto fail;
    }
    int64_t in2 = w0;
    if (s->arch != TML_ARCH_LINEAR && s->hidden > 0) {
        if (!(m->W1 = add_param(m, "hidden_w", w0, s->hidden, 0, err))) goto fail;
        if (!(m->b1 = add_param(m, "hidden_b", s->hidden, 1, 0, err))) goto fail;
        if (init_uniform(m, m->W1, sqrtf(6.0f / (float)w0), &rng, err) || /* He: followed by ReLU */
            init_uniform(m, m->b1, 0.0f, &rng, err))
            goto fail;
        in2 = s->hidden;
    }
    if (s->arch != TML_ARCH_LINEAR) {
        if (!(m->W2 = add_param(m, "output_w", in2, C, 0, err))) goto fail;
        if (init_uniform(m, m->W2, sqrtf(6.0f / (float)(in2 + C)), &rng, err)) goto fail; /* Xavier */
    }
    if (!(m->b2 = add_param(m, "output_b", C, 1, 0, err)) || init_uniform(m, m->b2, 0.0f, &rng, err)) goto fail;
    return m;
fail:
    tml_net_free(m);
    return NULL;
}

static void free_scratch(TmlNet *m) {
    TmlBackend *be = m->be;
    tml_free(be, m->d_offsets);
    tml_free(be, m->d_ids);
    tml_free(be, m->d_labels);
    tml_free(be, m->d_uniq);
    tml_free(be, m->d_uoff);
    tml_free(be, m->d_occ);
    tml_free(be, m->d_w);
    tml_free(be, m->d_x);
    tml_free(be, m->d_h);
    tml_free(be, m->d_a1);
    tml_free(be, m->d_logits);
    tml_free(be, m->d_probs);
    tml_free(be, m->d_dh);
    tml_free(be, m->d_da1);
    tml_free(be, m->d_targets);
    tml_free(be, m->d_losses);
    free(m->h_targets);
    m->d_offsets = NULL;
    m->d_ids = m->d_labels = m->d_uniq = m->d_uoff = m->d_occ = NULL;
    m->d_w = m->d_x = m->d_h = m->d_a1 = m->d_logits = m->d_probs = m->d_dh = m->d_da1 = NULL;
    m->d_targets = m->d_losses = m->h_targets = NULL;
    m->cap_B = 0;
    m->cap_nnz = 0;
}

void tml_net_free(TmlNet *m) {
    if (!m) return;
    free_scratch(m);
    for (int i = 0; i < m->n_params; i++) {
        tml_free(m->be, m->params[i].w);
        tml_free(m->be, m->params[i].g);
        tml_free(m->be, m->params[i].m);
        tml_free(m->be, m->params[i].v);
    }
    tml_free(m->be, m->d_cw);
    tml_free(m->be, m->d_sgd_offsets); /* net_sgd.c's chunk */
    tml_free(m->be, m->d_sgd_ids);
    tml_free(m->be, m->d_sgd_labels);
    tml_free(m->be, m->d_sgd_w);
    tml_free(m->be, m->d_sgd_scratch);
    tml_free(m->be, m->d_loss);
    tml_free(m->be, m->d_norm);
    free(m);
}

void tml_net_drop_training_state(TmlNet *m, TmlParam *p) {
    tml_free(m->be, p->g);
    tml_free(m->be, p->m);
    tml_free(m->be, p->v);
    p->g = p->m = p->v = NULL;
}

int64_t tml_net_n_weights(const TmlNet *m) {
    int64_t n = 0;
    for (int i = 0; i < m->n_params; i++) n += m->params[i].rows * m->params[i].cols;
    return n;
}

int tml_net_reserve(TmlNet *m, int B, int64_t nnz, TmlError *err) {
    if (B <= m->cap_B && nnz <= m->cap_nnz) return 0;
    if (B < m->cap_B) B = m->cap_B;
    if (nnz < m->cap_nnz) nnz = m->cap_nnz;
    if (nnz < 1) nnz = 1;
    free_scratch(m);
    const TmlNetSpec *s = &m->spec;
    TmlBackend *be = m->be;
    size_t fB = (size_t)B * sizeof(float);
    int64_t D = first_width(s);
    int C = s->n_out, H = s->hidden > 0 ? s->hidden : 1;
    if (s->arch == TML_ARCH_TABULAR) {
        m->d_x = tml_alloc(be, fB * (size_t)s->in_dim);
        if (!m->d_x) goto oom;
    } else {
        m->d_offsets = tml_alloc(be, (size_t)(B + 1) * sizeof(int64_t));
        m->d_ids = tml_alloc(be, (size_t)nnz * sizeof(int32_t));
        m->d_uniq = tml_alloc(be, (size_t)nnz * sizeof(int32_t));
        m->d_uoff = tml_alloc(be, (size_t)(nnz + 1) * sizeof(int32_t));
        m->d_occ = tml_alloc(be, (size_t)nnz * sizeof(int32_t));
        m->d_w = tml_alloc(be, (size_t)nnz * sizeof(float));
        m->d_h = tml_alloc(be, fB * (size_t)D);
        m->d_dh = tml_alloc(be, fB * (size_t)D);
        if (!m->d_offsets || !m->d_ids || !m->d_uniq || !m->d_uoff || !m->d_occ || !m->d_w || !m->d_h || !m->d_dh)
            goto oom;
    }
    m->d_labels = tml_alloc(be, (size_t)B * sizeof(int32_t));
    m->d_a1 = tml_alloc(be, fB * (size_t)H);
    m->d_da1 = tml_alloc(be, fB * (size_t)(D > H ? D : H));
    m->d_logits = tml_alloc(be, fB * (size_t)C);
    m->d_probs = tml_alloc(be, fB * (size_t)C);
    m->d_losses = tml_alloc(be, fB);
    if (!m->d_labels || !m->d_a1 || !m->d_da1 || !m->d_logits || !m->d_probs || !m->d_losses) goto oom;
    if (s->loss == TML_LOSS_OVA) {
        /* targets (B, C) then per-element losses (B, C) */
        m->d_targets = tml_alloc(be, 2 * fB * (size_t)C);
        m->h_targets = malloc(fB * (size_t)C);
        if (!m->d_targets || !m->h_targets) goto oom;
    }
    m->cap_B = B;
    m->cap_nnz = nnz;
    return 0;
oom:
    free_scratch(m);
    return tml_fail(err, "out of %s memory for a batch of %d rows / %lld ids; lower [train] batch_size",
                    tml_backend_name(be), B, (long long)nnz);
}

int tml_net_set_loss_options(TmlNet *m, const float *class_weights, float smoothing, TmlError *err) {
    m->smoothing = smoothing;
    m->has_cw = class_weights != NULL;
    if (class_weights) {
        if (!m->d_cw) m->d_cw = tml_alloc(m->be, (size_t)m->spec.n_out * sizeof(float));
        if (!m->d_cw) return tml_fail(err, "out of %s memory for the class weights", tml_backend_name(m->be));
        tml_upload(m->be, m->d_cw, class_weights, (size_t)m->spec.n_out * sizeof(float));
    }
    return 0;
}

/* Pinned batches (b->uploaded set) go up asynchronously and record their event after the last
 * copy, so the batcher may refill the buffer once the copies have landed; others copy as usual. */
static void up(TmlBackend *be, const TmlBatch *b, void *dst, const void *src, size_t bytes) {
    if (b->uploaded) tml_upload_async(be, dst, src, bytes);
    else tml_upload(be, dst, src, bytes);
}

int tml_net_load_batch(TmlNet *m, const TmlBatch *b, TmlError *err) {
    if (tml_net_reserve(m, b->B, b->nnz, err) < 0) return -1;
    TmlBackend *be = m->be;
    m->B = b->B;
    m->n_uniq = b->n_uniq;
    m->has_occ = 0;
    if (m->spec.arch == TML_ARCH_TABULAR) {
        up(be, b, m->d_x, b->dense, (size_t)b->B * (size_t)m->spec.in_dim * sizeof(float));
    } else {
        up(be, b, m->d_offsets, b->offsets, (size_t)(b->B + 1) * sizeof(int64_t));
        if (b->nnz > 0) up(be, b, m->d_ids, b->ids, (size_t)b->nnz * sizeof(int32_t));
        m->has_w = b->w != NULL;
        if (b->w && b->nnz > 0) up(be, b, m->d_w, b->w, (size_t)b->nnz * sizeof(float));
        if (b->uniq && b->n_uniq > 0) up(be, b, m->d_uniq, b->uniq, (size_t)b->n_uniq * sizeof(int32_t));
        m->has_occ = b->uoff && b->occ && b->n_uniq > 0;
        if (m->has_occ) {
            up(be, b, m->d_uoff, b->uoff, (size_t)(b->n_uniq + 1) * sizeof(int32_t));
            up(be, b, m->d_occ, b->occ, (size_t)b->nnz * sizeof(int32_t));
        }
    }
    if (b->labels) {
        up(be, b, m->d_labels, b->labels, (size_t)b->B * sizeof(int32_t));
        if (m->spec.loss == TML_LOSS_OVA) {
            int C = m->spec.n_out;
            memset(m->h_targets, 0, (size_t)b->B * (size_t)C * sizeof(float));
            for (int i = 0; i < b->B; i++)
                if (b->labels[i] >= 0) m->h_targets[(size_t)i * C + b->labels[i]] = 1.0f;
            tml_upload(be, m->d_targets, m->h_targets, (size_t)b->B * (size_t)C * sizeof(float)); /* pageable: staged */
        }
    }
    if (b->uploaded) tml_event_record(be, b->uploaded);
    return 0;
}

/* Input of the output layer for the current batch: the bag, the hidden activations or X. */
static const float *output_input(const TmlNet *m) {
    if (m->W1) return m->d_a1;
    return m->spec.arch == TML_ARCH_TABULAR ? m->d_x : m->d_h;
}

/* The forward pass; with labels and want_loss, the per-row losses land in m->d_losses (B). */
static void forward(TmlNet *m, int want_loss) {
    TmlBackend *be = m->be;
    const TmlNetSpec *s = &m->spec;
    int B = m->B, C = s->n_out;
    int64_t w0 = first_width(s);
    const float *w = m->has_w ? m->d_w : NULL;
    if (s->arch == TML_ARCH_LINEAR) {
        tml_embbag_forward(be, m->d_logits, m->E->w, m->d_offsets, m->d_ids, w, B, C, s->bag);
    } else {
        const float *x = s->arch == TML_ARCH_TABULAR ? m->d_x : m->d_h;
        if (s->arch == TML_ARCH_EMBED)
            tml_embbag_forward(be, m->d_h, m->E->w, m->d_offsets, m->d_ids, w, B, (int)w0, s->bag);
        if (m->W1) {
            tml_sgemm(be, 0, 0, B, s->hidden, (int)w0, 1.0f, x, (int)w0, m->W1->w, s->hidden, 0.0f, m->d_a1,
                      s->hidden);
            tml_bias_add_forward(be, m->d_a1, m->b1->w, B, s->hidden);
            tml_relu_forward(be, m->d_a1, m->d_a1, (size_t)B * s->hidden);
        }
        int in2 = m->W1 ? s->hidden : (int)w0;
        tml_sgemm(be, 0, 0, B, C, in2, 1.0f, output_input(m), in2, m->W2->w, C, 0.0f, m->d_logits, C);
    }
    tml_bias_add_forward(be, m->d_logits, m->b2->w, B, C);
    if (s->loss == TML_LOSS_SOFTMAX) {
        tml_softmax_xent_forward(be, m->d_probs, want_loss ? m->d_losses : NULL, m->d_logits,
                                 want_loss ? m->d_labels : NULL, m->has_cw ? m->d_cw : NULL, m->smoothing, B, C);
    } else {
        /* element losses land in the second half of d_targets (see tml_net_reserve) */
        float *el = m->d_targets + (size_t)B * C;
        tml_sigmoid_bce_forward(be, m->d_probs, want_loss ? el : NULL, m->d_logits, want_loss ? m->d_targets : NULL,
                                NULL, (size_t)B * C);
        if (want_loss) tml_row_sum(be, m->d_losses, el, B, C);
    }
}

void tml_net_forward(TmlNet *m, float *losses) {
    forward(m, losses != NULL);
    if (losses) tml_download(m->be, losses, m->d_losses, (size_t)m->B * sizeof(float));
}

int tml_net_forward_train(TmlNet *m, TmlError *err) {
    if (!m->d_loss) {
        if (!(m->d_loss = tml_alloc(m->be, sizeof(double))))
            return tml_fail(err, "out of %s memory for the loss sum", tml_backend_name(m->be));
        tml_zero(m->be, m->d_loss, sizeof(double));
    }
    forward(m, 1);
    tml_sum_into(m->be, m->d_loss, m->d_losses, (size_t)m->B);
    return 0;
}

double tml_net_take_loss(TmlNet *m) {
    if (!m->d_loss) return 0.0;
    double v = 0.0;
    tml_download(m->be, &v, m->d_loss, sizeof v);
    tml_zero(m->be, m->d_loss, sizeof(double));
    return v;
}

/* dE += the bag backward of dout: by rows when the batch lists its ids' occurrences (no atomics, the
 * same bits on every backend), else by bags. */
static void embbag_backward(TmlNet *m, const float *dout, int D) {
    const float *w = m->has_w ? m->d_w : NULL;
    if (m->has_occ)
        tml_embbag_backward_rows(m->be, m->E->g, dout, m->d_offsets, w, m->B, D, m->spec.bag, m->d_uniq, m->d_uoff,
                                 m->d_occ, m->n_uniq);
    else
        tml_embbag_backward(m->be, m->E->g, dout, m->d_offsets, m->d_ids, w, m->B, D, m->spec.bag);
}

void tml_net_backward(TmlNet *m, float scale) {
    TmlBackend *be = m->be;
    const TmlNetSpec *s = &m->spec;
    int B = m->B, C = s->n_out;
    int64_t w0 = first_width(s);
    float *dlogits = m->d_logits; /* logits are dead after forward; reuse their buffer */
    if (s->loss == TML_LOSS_SOFTMAX)
        tml_softmax_xent_backward(be, dlogits, m->d_probs, m->d_labels, m->has_cw ? m->d_cw : NULL, m->smoothing, B,
                                  C, scale);
    else
        tml_sigmoid_bce_backward(be, dlogits, m->d_probs, m->d_targets, NULL, (size_t)B * C, scale);
    tml_zero(be, m->b2->g, (size_t)C * sizeof(float));
    tml_bias_add_backward(be, m->b2->g, dlogits, B, C);
    if (s->arch == TML_ARCH_LINEAR) {
        if (!m->freeze_embeddings) embbag_backward(m, dlogits, C);
        return;
    }
    int in2 = m->W1 ? s->hidden : (int)w0;
    tml_sgemm(be, 1, 0, in2, C, B, 1.0f, output_input(m), in2, dlogits, C, 0.0f, m->W2->g, C);
    const float *x = s->arch == TML_ARCH_TABULAR ? m->d_x : m->d_h;
    /* no gradient needed for the input X, nor for a frozen embedding table */
    float *dx = s->arch == TML_ARCH_EMBED && !m->freeze_embeddings ? m->d_dh : NULL;
    if (m->W1) {
        int H = s->hidden;
        tml_sgemm(be, 0, 1, B, H, C, 1.0f, dlogits, C, m->W2->w, C, 0.0f, m->d_da1, H);
        tml_relu_backward(be, m->d_da1, m->d_da1, m->d_a1, (size_t)B * H);
        tml_zero(be, m->b1->g, (size_t)H * sizeof(float));
        tml_bias_add_backward(be, m->b1->g, m->d_da1, B, H);
        tml_sgemm(be, 1, 0, (int)w0, H, B, 1.0f, x, (int)w0, m->d_da1, H, 0.0f, m->W1->g, H);
        if (dx) tml_sgemm(be, 0, 1, B, (int)w0, H, 1.0f, m->d_da1, H, m->W1->w, H, 0.0f, dx, (int)w0);
    } else if (dx) {
        tml_sgemm(be, 0, 1, B, (int)w0, C, 1.0f, dlogits, C, m->W2->w, C, 0.0f, dx, (int)w0);
    }
    if (dx) embbag_backward(m, m->d_dh, (int)w0);
}

/* ---- persistence ------------------------------------------------------------------------------ */

static int save_tensor(TmlBackend *be, hid_t g, const char *name, const float *dev, int64_t rows, int64_t cols,
                       TmlError *err) {
    size_t n = (size_t)rows * (size_t)cols;
    /* the CPU backend's tensors are host memory: written from where they are, with no second copy
     * of an 800 MB table */
    if (!tml_backend_is_gpu(be)) return tml_h5_write_f32(g, name, dev, rows, cols, err);
    float *host = malloc(n * sizeof(float) + 1);
    if (!host) return tml_fail(err, "out of host memory saving '%s'", name);
    tml_download(be, host, dev, n * sizeof(float));
    int rc = tml_h5_write_f32(g, name, host, rows, cols, err);
    free(host);
    return rc;
}

static int load_tensor(TmlBackend *be, hid_t g, const char *name, float *dev, int64_t rows, int64_t cols,
                       TmlError *err) {
    size_t n = (size_t)rows * (size_t)cols;
    float *host = malloc(n * sizeof(float) + 1);
    if (!host) return tml_fail(err, "out of host memory loading '%s'", name);
    int rc = tml_h5_read_f32(g, name, host, rows, cols, err);
    if (rc == 0) tml_upload(be, dev, host, n * sizeof(float));
    free(host);
    return rc;
}

int tml_net_save_weights(const TmlNet *m, hid_t loc, int with_optim, TmlError *err) {
    hid_t g = H5Gcreate2(loc, "weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return tml_fail(err, "HDF5: cannot create group 'weights'");
    int rc = 0;
    for (int i = 0; i < m->n_params && rc == 0; i++) {
        const TmlParam *p = &m->params[i];
        rc = save_tensor(m->be, g, p->name, p->w, p->rows, p->cols, err);
    }
    H5Gclose(g);
    if (rc || !with_optim) return rc;
    g = H5Gcreate2(loc, "optimizer", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return tml_fail(err, "HDF5: cannot create group 'optimizer'");
    for (int i = 0; i < m->n_params && rc == 0; i++) {
        const TmlParam *p = &m->params[i];
        if (!p->m) continue;
        char name[48];
        snprintf(name, sizeof name, "%s.m", p->name);
        rc = save_tensor(m->be, g, name, p->m, p->rows, p->cols, err);
        snprintf(name, sizeof name, "%s.v", p->name);
        if (rc == 0) rc = save_tensor(m->be, g, name, p->v, p->rows, p->cols, err);
    }
    H5Gclose(g);
    return rc;
}

int tml_net_load_weights(TmlNet *m, hid_t loc, int with_optim, TmlError *err) {
    if (!tml_h5_exists(loc, "weights")) return tml_fail(err, "group 'weights' is missing");
    hid_t g = H5Gopen2(loc, "weights", H5P_DEFAULT);
    int rc = 0;
    for (int i = 0; i < m->n_params && rc == 0; i++) {
        TmlParam *p = &m->params[i];
        rc = load_tensor(m->be, g, p->name, p->w, p->rows, p->cols, err);
    }
    H5Gclose(g);
    if (rc || !with_optim || !tml_h5_exists(loc, "optimizer")) return rc;
    g = H5Gopen2(loc, "optimizer", H5P_DEFAULT);
    for (int i = 0; i < m->n_params && rc == 0; i++) {
        TmlParam *p = &m->params[i];
        char name[48];
        snprintf(name, sizeof name, "%s.m", p->name);
        if (!tml_h5_exists(g, name)) continue;
        size_t bytes = (size_t)p->rows * (size_t)p->cols * sizeof(float);
        if (!p->m) p->m = tml_alloc(m->be, bytes);
        if (!p->v) p->v = tml_alloc(m->be, bytes);
        if (!p->m || !p->v) {
            rc = tml_fail(err, "out of device memory for optimizer state");
            break;
        }
        rc = load_tensor(m->be, g, name, p->m, p->rows, p->cols, err);
        snprintf(name, sizeof name, "%s.v", p->name);
        if (rc == 0) rc = load_tensor(m->be, g, name, p->v, p->rows, p->cols, err);
    }
    H5Gclose(g);
    return rc;
}

int tml_net_spec_save(const TmlNetSpec *s, hid_t loc, TmlError *err) {
    if (tml_h5_attr_write_str(loc, "arch", tml_net_arch_name(s->arch), err) ||
        tml_h5_attr_write_str(loc, "loss", s->loss == TML_LOSS_OVA ? "ova" : "softmax", err) ||
        tml_h5_attr_write_i64(loc, "in_dim", s->in_dim, err) || tml_h5_attr_write_i64(loc, "dim", s->dim, err) ||
        tml_h5_attr_write_i64(loc, "hidden", s->hidden, err) || tml_h5_attr_write_i64(loc, "n_out", s->n_out, err) ||
        tml_h5_attr_write_str(loc, "bag", s->bag == TML_BAG_SUM ? "sum" : "mean", err))
        return -1;
    return 0;
}

int tml_net_spec_load(TmlNetSpec *s, hid_t loc, TmlError *err) {
    memset(s, 0, sizeof *s);
    char *arch = tml_h5_attr_read_str(loc, "arch", err);
    char *loss = arch ? tml_h5_attr_read_str(loc, "loss", err) : NULL;
    char *bag = loss ? tml_h5_attr_read_str(loc, "bag", err) : NULL;
    int64_t in_dim = 0, dim = 0, hidden = 0, n_out = 0;
    int rc = -1;
    if (!bag || tml_h5_attr_read_i64(loc, "in_dim", &in_dim, err) || tml_h5_attr_read_i64(loc, "dim", &dim, err) ||
        tml_h5_attr_read_i64(loc, "hidden", &hidden, err) || tml_h5_attr_read_i64(loc, "n_out", &n_out, err))
        goto done;
    if (!strcmp(arch, "linear")) s->arch = TML_ARCH_LINEAR;
    else if (!strcmp(arch, "embedding")) s->arch = TML_ARCH_EMBED;
    else if (!strcmp(arch, "tabular")) s->arch = TML_ARCH_TABULAR;
    else {
        tml_fail(err, "unknown model architecture '%s' (a newer ticketml wrote this file?)", arch);
        goto done;
    }
    s->loss = !strcmp(loss, "ova") ? TML_LOSS_OVA : TML_LOSS_SOFTMAX;
    s->bag = !strcmp(bag, "sum") ? TML_BAG_SUM : TML_BAG_MEAN;
    s->in_dim = in_dim;
    s->dim = (int)dim;
    s->hidden = (int)hidden;
    s->n_out = (int)n_out;
    if (in_dim <= 0 || n_out <= 0 || dim < 0 || hidden < 0) {
        tml_fail(err, "model dimensions are invalid (in_dim %lld, n_out %lld)", (long long)in_dim, (long long)n_out);
        goto done;
    }
    rc = 0;
done:
    free(arch);
    free(loss);
    free(bag);
    return rc;
}
