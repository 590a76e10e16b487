/* net_sgd.c — per-example SGD of the text classifier (the linear model and the embedding bag with no
 * hidden layer, softmax loss): a host chunk of examples goes to the device and through the
 * backend's coarse op tml_bag_sgd, which takes one step per example (Hogwild over the CPU's
 * threads). The mini-batch path of net.c stays the reference; net_train.c picks between them. */
#include <stdlib.h>

#include "trainer/net.h"

const char *tml_net_sgd_unsupported(const TmlNet *m, int optimizer_sgd, double weight_decay, double clip) {
    const TmlNetSpec *s = &m->spec;
    if (s->arch == TML_ARCH_TABULAR) return "tabular models train in mini-batches";
    if (s->hidden > 0) return "[model] hidden > 0 (a hidden layer)";
    if (s->loss != TML_LOSS_SOFTMAX) return "[model] loss = ova";
    if (!optimizer_sgd) return "[train] optimizer = adamw";
    if (weight_decay != 0) return "[train] weight_decay != 0";
    if (clip != 0) return "[train] clip != 0";
    int D = s->arch == TML_ARCH_LINEAR ? s->n_out : s->dim;
    if (2 * (int64_t)D + s->n_out > TML_BAG_SGD_MAX_SCRATCH) return "[model] dim or the class count too large";
    return NULL;
}

/* Device room for a chunk of rows and nnz ids (grown, never shrunk). -1 when out of memory. */
static int reserve(TmlNet *m, int64_t rows, int64_t nnz, int with_w, TmlError *err) {
    TmlBackend *be = m->be;
    if (!m->d_loss) {
        if (!(m->d_loss = tml_alloc(be, sizeof(double)))) goto oom;
        tml_zero(be, m->d_loss, sizeof(double));
    }
    const TmlNetSpec *s = &m->spec;
    size_t ws = tml_bag_sgd_scratch_floats(be, s->arch == TML_ARCH_LINEAR ? s->n_out : s->dim, s->n_out, m->W2 != NULL);
    if (ws && !m->d_sgd_scratch && !(m->d_sgd_scratch = tml_alloc(be, ws * sizeof(float)))) goto oom;
    if (rows > m->sgd_cap_rows) {
        tml_free(be, m->d_sgd_offsets);
        tml_free(be, m->d_sgd_labels);
        m->d_sgd_offsets = tml_alloc(be, (size_t)(rows + 1) * sizeof(int64_t));
        m->d_sgd_labels = tml_alloc(be, (size_t)rows * sizeof(int32_t));
        m->sgd_cap_rows = m->d_sgd_offsets && m->d_sgd_labels ? rows : 0;
        if (!m->sgd_cap_rows) goto oom;
    }
    if (nnz > m->sgd_cap_nnz || (with_w && !m->d_sgd_w)) {
        if (nnz < m->sgd_cap_nnz) nnz = m->sgd_cap_nnz;
        nnz += nnz / 4; /* chunks differ a little in size: grow with room to spare */
        tml_free(be, m->d_sgd_ids);
        tml_free(be, m->d_sgd_w);
        m->d_sgd_ids = tml_alloc(be, (size_t)nnz * sizeof(int32_t));
        m->d_sgd_w = with_w ? tml_alloc(be, (size_t)nnz * sizeof(float)) : NULL;
        m->sgd_cap_nnz = m->d_sgd_ids && (!with_w || m->d_sgd_w) ? nnz : 0;
        if (!m->sgd_cap_nnz) goto oom;
    }
    return 0;
oom:
    return tml_fail(err, "out of %s memory for a chunk of %lld training rows (%lld ids)", tml_backend_name(be),
                    (long long)rows, (long long)nnz);
}

int tml_net_sgd_chunk(TmlNet *m, const TmlBatch *b, float lr0, float lr1, int workers, TmlError *err) {
    TML_ASSERT(b->labels && m->E);
    if (b->B == 0) return 0;
    if (reserve(m, b->B, b->nnz > 0 ? b->nnz : 1, b->w != NULL, err) < 0) return -1;
    TmlBackend *be = m->be;
    /* pinned chunks (a GPU's batcher) go up asynchronously; their event guards the buffer */
    void (*up)(TmlBackend *, void *, const void *, size_t) = b->uploaded ? tml_upload_async : tml_upload;
    up(be, m->d_sgd_offsets, b->offsets, (size_t)(b->B + 1) * sizeof(int64_t));
    up(be, m->d_sgd_labels, b->labels, (size_t)b->B * sizeof(int32_t));
    if (b->nnz > 0) up(be, m->d_sgd_ids, b->ids, (size_t)b->nnz * sizeof(int32_t));
    if (b->w && b->nnz > 0) up(be, m->d_sgd_w, b->w, (size_t)b->nnz * sizeof(float));
    if (b->uploaded) tml_event_record(be, b->uploaded);
    const TmlNetSpec *s = &m->spec;
    TmlBagSgd a = {
        .E = m->E->w,
        .W = m->W2 ? m->W2->w : NULL,
        .b = m->b2 ? m->b2->w : NULL,
        .V = s->in_dim,
        .D = s->arch == TML_ARCH_LINEAR ? s->n_out : s->dim,
        .C = s->n_out,
        .mode = s->bag,
        .update_E = !m->freeze_embeddings,
        .offsets = m->d_sgd_offsets,
        .ids = m->d_sgd_ids,
        .w = b->w ? m->d_sgd_w : NULL,
        .labels = m->d_sgd_labels,
        .n = b->B,
        .cw = m->has_cw ? m->d_cw : NULL,
        .smoothing = m->smoothing,
        .lr0 = lr0,
        .lr1 = lr1,
        .workers = workers,
        .loss_sum = m->d_loss,
        .scratch = m->d_sgd_scratch,
    };
    tml_bag_sgd(be, &a);
    return 0;
}
