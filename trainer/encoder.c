/* encoder.c — the BERT-style encoder of encoder.h: parameter and activation layouts, initialisation,
 * the forward pass (embeddings -> L post-LN transformer layers -> pooling -> head -> loss) and its
 * backward in reverse, and the AdamW update. Every compute call goes through the backend; the host
 * only builds position ids and one-vs-all targets. */
#include "trainer/encoder.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ticketml/rng.h"

/* ---- parameters ------------------------------------------------------------------------------ */
static const struct {
    const char *name;
    int decays;
} TENSORS[TML_ENC_NUM_TENSORS] = {
    [TML_ENC_WTE] = {"wte", 1},          [TML_ENC_WPE] = {"wpe", 1},          [TML_ENC_WTT] = {"wtt", 1},
    [TML_ENC_LNE_W] = {"lne_w", 0},      [TML_ENC_LNE_B] = {"lne_b", 0},      [TML_ENC_QKVW] = {"qkvw", 1},
    [TML_ENC_QKVB] = {"qkvb", 0},        [TML_ENC_ATTPROJW] = {"attprojw", 1}, [TML_ENC_ATTPROJB] = {"attprojb", 0},
    [TML_ENC_LN1W] = {"ln1w", 0},        [TML_ENC_LN1B] = {"ln1b", 0},        [TML_ENC_FCW] = {"fcw", 1},
    [TML_ENC_FCB] = {"fcb", 0},          [TML_ENC_FCPROJW] = {"fcprojw", 1},  [TML_ENC_FCPROJB] = {"fcprojb", 0},
    [TML_ENC_LN2W] = {"ln2w", 0},        [TML_ENC_LN2B] = {"ln2b", 0},        [TML_ENC_CLSW] = {"clsw", 1},
    [TML_ENC_CLSB] = {"clsb", 0},
};

const char *tml_encoder_tensor_name(TmlEncTensor t) { return TENSORS[t].name; }
int tml_encoder_tensor_decays(TmlEncTensor t) { return TENSORS[t].decays; }

/* The size table: element counts of every tensor (llm.c's fill_in_parameter_sizes). */
static void param_sizes(const TmlEncoderConfig *c, size_t s[TML_ENC_NUM_TENSORS]) {
    size_t C = (size_t)c->hidden, L = (size_t)c->layers, F = (size_t)c->intermediate;
    s[TML_ENC_WTE] = (size_t)c->vocab_size * C;
    s[TML_ENC_WPE] = (size_t)c->max_positions * C;
    s[TML_ENC_WTT] = (size_t)c->type_vocab * C;
    s[TML_ENC_LNE_W] = C;
    s[TML_ENC_LNE_B] = C;
    s[TML_ENC_QKVW] = L * 3 * C * C;
    s[TML_ENC_QKVB] = L * 3 * C;
    s[TML_ENC_ATTPROJW] = L * C * C;
    s[TML_ENC_ATTPROJB] = L * C;
    s[TML_ENC_LN1W] = L * C;
    s[TML_ENC_LN1B] = L * C;
    s[TML_ENC_FCW] = L * F * C;
    s[TML_ENC_FCB] = L * F;
    s[TML_ENC_FCPROJW] = L * C * F;
    s[TML_ENC_FCPROJB] = L * C;
    s[TML_ENC_LN2W] = L * C;
    s[TML_ENC_LN2B] = L * C;
    s[TML_ENC_CLSW] = (size_t)c->n_classes * C;
    s[TML_ENC_CLSB] = (size_t)c->n_classes;
}

/* Offset of the first trained parameter for a freeze setting. */
static size_t train_offset_for(const size_t offsets[TML_ENC_NUM_TENSORS], TmlEncFreeze f) {
    if (f == TML_ENC_FREEZE_ENCODER) return offsets[TML_ENC_CLSW];
    if (f == TML_ENC_FREEZE_EMBEDDINGS) return offsets[TML_ENC_WPE];
    return 0;
}

int tml_encoder_config_check(const TmlEncoderConfig *c, const char *what, TmlError *err) {
    const struct {
        const char *key;
        int v;
    } pos[] = {{"vocab_size", c->vocab_size},          {"max_position_embeddings", c->max_positions},
               {"type_vocab_size", c->type_vocab},     {"hidden_size", c->hidden},
               {"num_hidden_layers", c->layers},       {"num_attention_heads", c->heads},
               {"intermediate_size", c->intermediate}, {"n_classes", c->n_classes}};
    for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++)
        if (pos[i].v <= 0) return tml_fail(err, "%s: %s = %d; it must be positive", what, pos[i].key, pos[i].v);
    if (c->hidden % c->heads)
        return tml_fail(err, "%s: hidden_size %d is not a multiple of num_attention_heads %d", what, c->hidden,
                        c->heads);
    if (c->pos_offset < 0 || c->pos_offset >= c->max_positions)
        return tml_fail(err, "%s: position offset %d outside the %d positions", what, c->pos_offset, c->max_positions);
    if (c->pad_id < 0 || c->pad_id >= c->vocab_size)
        return tml_fail(err, "%s: pad_token_id %d outside the vocabulary of %d", what, c->pad_id, c->vocab_size);
    if (!(c->ln_eps >= 0.0f && c->ln_eps < 1.0f))
        return tml_fail(err, "%s: layer_norm_eps %g must be in [0, 1)", what, (double)c->ln_eps);
    const struct {
        const char *key;
        float v;
    } rates[] = {{"hidden_dropout_prob", c->hidden_dropout},
                 {"attention_probs_dropout_prob", c->attn_dropout},
                 {"classifier dropout", c->cls_dropout}};
    for (size_t i = 0; i < 3; i++)
        if (!(rates[i].v >= 0.0f && rates[i].v < 1.0f))
            return tml_fail(err, "%s: %s = %g; a dropout rate is in [0, 1)", what, rates[i].key, (double)rates[i].v);
    if (c->pooling != TML_POOL_MEAN && c->pooling != TML_POOL_CLS)
        return tml_fail(err, "%s: unknown pooling %d; use mean or cls", what, (int)c->pooling);
    return 0;
}

TmlEncoder *tml_encoder_create(TmlBackend *be, const TmlEncoderConfig *cfg, TmlError *err) {
    if (tml_encoder_config_check(cfg, "encoder config", err)) return NULL;
    TmlEncoder *m = calloc(1, sizeof *m);
    if (!m) {
        tml_fail(err, "out of memory creating the encoder");
        return NULL;
    }
    m->cfg = *cfg;
    m->be = be;
    param_sizes(cfg, m->sizes);
    for (int t = 0; t < TML_ENC_NUM_TENSORS; t++) {
        m->offsets[t] = m->n_params;
        m->n_params += m->sizes[t];
    }
    m->params = tml_alloc(be, sizeof(float) * m->n_params);
    if (!m->params) {
        tml_fail(err, "out of %s memory for the encoder's %zu parameters (%.1f MiB)", tml_backend_name(be),
                 m->n_params, m->n_params * 4.0 / 1048576.0);
        free(m);
        return NULL;
    }
    for (int t = 0; t < TML_ENC_NUM_TENSORS; t++) m->p[t] = m->params + m->offsets[t];
    return m;
}

static void free_acts(TmlEncoder *m) {
    TmlBackend *be = m->be;
    tml_free(be, m->acts), tml_free(be, m->d_ids), tml_free(be, m->d_pos), tml_free(be, m->d_type);
    tml_free(be, m->d_lens), tml_free(be, m->d_labels), tml_free(be, m->d_targets);
    free(m->h_targets);
    m->acts = NULL, m->d_ids = m->d_pos = m->d_type = m->d_lens = m->d_labels = NULL;
    m->d_targets = m->h_targets = NULL;
    m->cap_B = m->cap_T = 0;
}

int tml_encoder_set_loss(TmlEncoder *m, const float *cw, float smoothing, TmlError *err) {
    const TmlEncoderConfig *c = &m->cfg;
    if (c->ova && (cw || smoothing != 0.0f))
        return tml_fail(err, "the one-vs-all encoder head takes neither class weights nor label smoothing");
    if (!(smoothing >= 0.0f && smoothing < 1.0f)) return tml_fail(err, "label smoothing %g outside [0, 1)", (double)smoothing);
    tml_free(m->be, m->d_cw);
    m->d_cw = NULL;
    if (cw) {
        if (!(m->d_cw = tml_alloc(m->be, sizeof(float) * (size_t)c->n_classes)))
            return tml_fail(err, "out of %s memory for class weights", tml_backend_name(m->be));
        tml_upload(m->be, m->d_cw, cw, sizeof(float) * (size_t)c->n_classes);
    }
    m->smoothing = smoothing;
    return 0;
}

void tml_encoder_release_activations(TmlEncoder *m) { free_acts(m), m->cap_train = 0, m->act_floats = 0; }

void tml_encoder_free(TmlEncoder *m) {
    if (!m) return;
    free_acts(m);
    tml_free(m->be, m->d_cw);
    tml_free(m->be, m->params), tml_free(m->be, m->grads), tml_free(m->be, m->m), tml_free(m->be, m->v);
    free(m);
}

/* Standard normal from two uniforms (Box-Muller); deterministic for a seed on every machine. */
static float normal01(TmlRng *r) {
    double u1 = tml_rng_uniform(r), u2 = tml_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2));
}

int tml_encoder_init_random(TmlEncoder *m, uint64_t seed, TmlEncTensor first, TmlEncTensor last, TmlError *err) {
    TmlRng r;
    tml_rng_seed(&r, seed);
    for (int t = first; t <= (int)last; t++) {
        size_t n = m->sizes[t];
        float *h = malloc(sizeof(float) * (n ? n : 1));
        if (!h) return tml_fail(err, "out of host memory initialising encoder tensor %s", TENSORS[t].name);
        int is_ln_w = t == TML_ENC_LNE_W || t == TML_ENC_LN1W || t == TML_ENC_LN2W;
        for (size_t i = 0; i < n; i++)
            h[i] = is_ln_w ? 1.0f : TENSORS[t].decays ? 0.02f * normal01(&r) : 0.0f;
        tml_upload(m->be, m->p[t], h, sizeof(float) * n);
        free(h);
    }
    return 0;
}

int tml_encoder_set_trainable(TmlEncoder *m, TmlEncFreeze freeze, TmlError *err) {
    TmlBackend *be = m->be;
    tml_free(be, m->grads), tml_free(be, m->m), tml_free(be, m->v);
    m->grads = m->m = m->v = NULL;
    m->freeze = freeze;
    m->train_offset = train_offset_for(m->offsets, freeze);
    size_t n = m->n_params - m->train_offset;
    m->grads = tml_alloc(be, sizeof(float) * n);
    m->m = tml_alloc(be, sizeof(float) * n);
    m->v = tml_alloc(be, sizeof(float) * n);
    if (!m->grads || !m->m || !m->v) {
        tml_free(be, m->grads), tml_free(be, m->m), tml_free(be, m->v);
        m->grads = m->m = m->v = NULL;
        return tml_fail(err, "out of %s memory for the gradients and AdamW state of %zu parameters (%.1f MiB)",
                        tml_backend_name(be), n, n * 12.0 / 1048576.0);
    }
    tml_zero(be, m->grads, sizeof(float) * n);
    tml_zero(be, m->m, sizeof(float) * n);
    tml_zero(be, m->v, sizeof(float) * n);
    for (int t = 0; t < TML_ENC_NUM_TENSORS; t++)
        m->g[t] = m->offsets[t] >= m->train_offset ? m->grads + (m->offsets[t] - m->train_offset) : NULL;
    return 0;
}

/* ---- activations ----------------------------------------------------------------------------- */
/* Activation tensors. Per-layer ones (marked L) have one slot per layer when training (the backward
 * reads them all) and a single reused slot at inference. The d_* ones exist only when training. */
typedef enum Act {
    A_EMB,      /* (N, C) word + position + type embeddings: the embedding LN's input */
    A_LNE_MEAN, /* (N) */
    A_LNE_RSTD, /* (N) */
    A_H0,       /* (N, C) layer 0's input: LN, then dropout */
    A_QKV,      /* L (N, 3C) */
    A_ATT,      /* L attention saved state */
    A_ATTY,     /* L (N, C) attention output, before its projection */
    A_RES1,     /* L (N, C) x + dropout(proj(atty)): LN1's input */
    A_LN1_MEAN, /* L (N) */
    A_LN1_RSTD, /* L (N) */
    A_H1,       /* L (N, C) */
    A_FCH,      /* L (N, F) FFN pre-activation */
    A_FCHG,     /* L (N, F) GELU(fch) */
    A_RES2,     /* L (N, C) h1 + dropout(proj(fchg)): LN2's input */
    A_LN2_MEAN, /* L (N) */
    A_LN2_RSTD, /* L (N) */
    A_H2,       /* L (N, C) the layer's output */
    A_POOLED,   /* (B, C) */
    A_POOLED_D, /* (B, C) after dropout: the head's input */
    A_LOGITS,   /* (B, K) */
    A_PROBS,    /* (B, K) */
    A_LOSSES,   /* (B) per-row losses */
    A_ELOSSES,  /* (B, K) per-element losses of the one-vs-all head (absent for softmax) */
    A_SCRATCH,  /* attention workspace */
    A_DH,       /* (N, C) gradient buffers (training) */
    A_DRES,     /* (N, C) */
    A_DTMP,     /* (N, C) */
    A_DFCH,     /* (N, F) */
    A_DQKV,     /* (N, 3C) */
    A_DPOOLED,  /* (B, C) */
    A_DLOGITS,  /* (B, K) */
    A_NUM
} Act;

typedef struct ActLayout {
    size_t size[A_NUM];   /* floats per slot */
    int slots[A_NUM];     /* 1, L, or 0 (absent) */
    size_t offset[A_NUM];
    size_t total;
} ActLayout;

static int act_per_layer(Act a) { return a >= A_QKV && a <= A_H2; }

static void act_layout(const TmlEncoderConfig *c, int B, int T, int training, size_t att_saved, size_t att_scratch,
                       ActLayout *l) {
    size_t N = (size_t)B * T, C = (size_t)c->hidden, F = (size_t)c->intermediate, K = (size_t)c->n_classes;
    size_t *s = l->size;
    s[A_EMB] = s[A_H0] = N * C;
    s[A_LNE_MEAN] = s[A_LNE_RSTD] = N;
    s[A_QKV] = 3 * N * C;
    s[A_ATT] = att_saved;
    s[A_ATTY] = s[A_RES1] = s[A_H1] = s[A_RES2] = s[A_H2] = N * C;
    s[A_LN1_MEAN] = s[A_LN1_RSTD] = s[A_LN2_MEAN] = s[A_LN2_RSTD] = N;
    s[A_FCH] = s[A_FCHG] = N * F;
    s[A_POOLED] = s[A_POOLED_D] = (size_t)B * C;
    s[A_LOGITS] = s[A_PROBS] = (size_t)B * K;
    s[A_LOSSES] = (size_t)B;
    s[A_ELOSSES] = c->ova ? (size_t)B * K : 0;
    s[A_SCRATCH] = att_scratch;
    s[A_DH] = s[A_DRES] = s[A_DTMP] = N * C;
    s[A_DFCH] = N * F;
    s[A_DQKV] = 3 * N * C;
    s[A_DPOOLED] = (size_t)B * C;
    s[A_DLOGITS] = (size_t)B * K;
    l->total = 0;
    for (int a = 0; a < A_NUM; a++) {
        l->slots[a] = act_per_layer((Act)a) ? (training ? c->layers : 1) : (a >= A_DH && !training) ? 0 : 1;
        if (l->size[a] == 0) l->slots[a] = 0;
        /* 16-float alignment keeps every tensor on its own 64-byte line (and float4-friendly) */
        l->offset[a] = l->total;
        l->total += (l->size[a] * l->slots[a] + 15) / 16 * 16;
    }
}

TmlEncMemory tml_encoder_memory(const TmlEncoderConfig *cfg, TmlEncFreeze freeze, int B, int T, int training,
                                size_t attention_saved_floats, size_t attention_scratch_floats) {
    size_t s[TML_ENC_NUM_TENSORS], off[TML_ENC_NUM_TENSORS], n = 0;
    param_sizes(cfg, s);
    for (int t = 0; t < TML_ENC_NUM_TENSORS; t++) off[t] = n, n += s[t];
    size_t trained = training ? n - train_offset_for(off, freeze) : 0;
    ActLayout l;
    act_layout(cfg, B, T, training, attention_saved_floats, attention_scratch_floats, &l);
    TmlEncMemory mem = {4 * n, 4 * trained, 8 * trained, 4 * l.total};
    return mem;
}

/* Pointers to every activation of a batch of B x T, carved from m->acts. Per-layer tensors are
 * indexed by layer through act_l(). */
typedef struct Acts {
    float *a[A_NUM];
    size_t layer_stride[A_NUM]; /* floats between layer slots; 0 at inference (one reused slot) */
} Acts;

static void point_acts(const TmlEncoder *m, int B, int T, Acts *x) {
    ActLayout l;
    act_layout(&m->cfg, B, T, m->cap_train, tml_attention_saved_floats(m->be, B, T, m->cfg.hidden, m->cfg.heads),
               tml_attention_scratch_floats(m->be, B, T, m->cfg.hidden, m->cfg.heads), &l);
    for (int a = 0; a < A_NUM; a++) {
        x->a[a] = l.slots[a] ? m->acts + l.offset[a] : NULL;
        x->layer_stride[a] = l.slots[a] > 1 ? l.size[a] : 0;
    }
}

static float *act_l(const Acts *x, Act a, int layer) { return x->a[a] + x->layer_stride[a] * (size_t)layer; }

int tml_encoder_reserve(TmlEncoder *m, int B, int T, int training, TmlError *err) {
    const TmlEncoderConfig *c = &m->cfg;
    if (T + c->pos_offset > c->max_positions)
        return tml_fail(err, "a batch of %d tokens needs %d positions; the model has %d (lower model.max_len)", T,
                        T + c->pos_offset, c->max_positions);
    if (m->acts && B <= m->cap_B && T <= m->cap_T && (training <= m->cap_train)) return 0;
    /* grow to at least what was there, so alternating shapes do not reallocate every batch */
    int nB = B > m->cap_B ? B : m->cap_B, nT = T > m->cap_T ? T : m->cap_T;
    int ntrain = training > m->cap_train ? training : m->cap_train;
    free_acts(m);
    TmlBackend *be = m->be;
    ActLayout l;
    act_layout(c, nB, nT, ntrain, tml_attention_saved_floats(be, nB, nT, c->hidden, c->heads),
               tml_attention_scratch_floats(be, nB, nT, c->hidden, c->heads), &l);
    size_t N = (size_t)nB * nT, BK = (size_t)nB * c->n_classes;
    m->acts = tml_alloc(be, sizeof(float) * l.total);
    m->d_ids = tml_alloc(be, sizeof(int32_t) * N);
    m->d_pos = tml_alloc(be, sizeof(int32_t) * N);
    m->d_type = tml_alloc(be, sizeof(int32_t) * N);
    m->d_lens = tml_alloc(be, sizeof(int32_t) * nB);
    m->d_labels = tml_alloc(be, sizeof(int32_t) * nB);
    m->d_targets = c->ova ? tml_alloc(be, sizeof(float) * BK) : NULL;
    m->h_targets = c->ova ? malloc(sizeof(float) * BK) : NULL;
    if (!m->acts || !m->d_ids || !m->d_pos || !m->d_type || !m->d_lens || !m->d_labels ||
        (c->ova && (!m->d_targets || !m->h_targets))) {
        free_acts(m);
        return tml_fail(err, "out of %s memory for encoder activations at batch %d x %d tokens (%.1f MiB); lower "
                        "train.batch_size or model.max_len", tml_backend_name(be), nB, nT, l.total * 4.0 / 1048576.0);
    }
    m->cap_B = nB, m->cap_T = nT, m->cap_train = ntrain;
    m->act_floats = l.total;
    /* one segment: every token-type id is 0 */
    tml_zero(be, m->d_type, sizeof(int32_t) * N);
    return 0;
}

/* ---- forward --------------------------------------------------------------------------------- */
/* Dropout sites: each gets its own seed from the step seed, so masks never repeat across sites. */
enum { SITE_EMB = 0, SITE_ATT = 1, SITE_ATTPROJ = 2, SITE_FFN = 3, SITE_CLS = 4, SITES_PER_LAYER = 4 };
static uint64_t site_seed(uint64_t step_seed, int layer, int site) {
    return tml_dropout_bits(step_seed, (uint64_t)(layer + 1) * 16 + (uint64_t)site);
}

/* y (N, out) = x (N, in) W^T + b, W (out, in) as Hugging Face stores it. */
static void linear_forward(TmlBackend *be, float *y, const float *x, const float *W, const float *b, int N, int in,
                           int out) {
    tml_sgemm(be, 0, 1, N, out, in, 1.0f, x, in, W, in, 0.0f, y, out);
    tml_bias_add_forward(be, y, b, N, out);
}

/* dW += dy^T x, db += colsum(dy), dx = dy W (beta = 0: overwrite, 1: accumulate); dW/db NULL when
 * frozen, dx NULL when the input needs no gradient. */
static void linear_backward(TmlBackend *be, float *dx, float beta, float *dW, float *db, const float *dy,
                            const float *x, const float *W, int N, int in, int out) {
    if (dW) tml_sgemm(be, 1, 0, out, in, N, 1.0f, dy, out, x, in, 1.0f, dW, in);
    if (db) tml_bias_add_backward(be, db, dy, N, out);
    if (dx) tml_sgemm(be, 0, 0, N, in, out, 1.0f, dy, out, W, in, beta, dx, in);
}

/* Labels (and one-vs-all targets) of a batch to the device; NULL at inference. */
static void upload_labels(TmlEncoder *m, const int32_t *labels, int B) {
    const TmlEncoderConfig *c = &m->cfg;
    int K = c->n_classes;
    m->has_labels = labels != NULL;
    if (!labels) return;
    tml_upload(m->be, m->d_labels, labels, sizeof(int32_t) * (size_t)B);
    if (c->ova) {
        memset(m->h_targets, 0, sizeof(float) * (size_t)B * K);
        for (int b = 0; b < B; b++) m->h_targets[(size_t)b * K + labels[b]] = 1.0f;
        tml_upload(m->be, m->d_targets, m->h_targets, sizeof(float) * (size_t)B * K);
    }
}

/* pooled -> dropout -> head -> probabilities and (with labels) per-row losses */
static void head_forward(TmlEncoder *m, const Acts *x, int B, float pc, uint64_t seed) {
    const TmlEncoderConfig *c = &m->cfg;
    TmlBackend *be = m->be;
    int C = c->hidden, K = c->n_classes, labels = m->has_labels;
    tml_dropout_forward(be, x->a[A_POOLED_D], x->a[A_POOLED], (size_t)B * C, pc, site_seed(seed, -1, SITE_CLS));
    linear_forward(be, x->a[A_LOGITS], x->a[A_POOLED_D], m->p[TML_ENC_CLSW], m->p[TML_ENC_CLSB], B, C, K);
    if (c->ova) {
        tml_sigmoid_bce_forward(be, x->a[A_PROBS], labels ? x->a[A_ELOSSES] : NULL, x->a[A_LOGITS],
                                labels ? m->d_targets : NULL, NULL, (size_t)B * K);
        if (labels) tml_row_sum(be, x->a[A_LOSSES], x->a[A_ELOSSES], B, K); /* a row's loss: sum over classes */
    } else {
        tml_softmax_xent_forward(be, x->a[A_PROBS], labels ? x->a[A_LOSSES] : NULL, x->a[A_LOGITS],
                                 labels ? m->d_labels : NULL, m->d_cw, m->smoothing, B, K);
    }
}

int tml_encoder_forward(TmlEncoder *m, const TmlEncBatch *bt, int training, uint64_t seed, TmlError *err) {
    const TmlEncoderConfig *c = &m->cfg;
    TmlBackend *be = m->be;
    int B = bt->B, T = bt->T, C = c->hidden, F = c->intermediate, K = c->n_classes, NH = c->heads;
    if (B <= 0 || T <= 0) return tml_fail(err, "empty encoder batch (%d x %d)", B, T);
    if (tml_encoder_reserve(m, B, T, training, err)) return -1;
    int N = B * T;
    for (int b = 0; b < B; b++) {
        if (bt->lens[b] < 1 || bt->lens[b] > T)
            return tml_fail(err, "encoder batch row %d has %d tokens for a width of %d", b, bt->lens[b], T);
        for (int t = 0; t < T; t++) {
            int32_t id = bt->ids[(size_t)b * T + t];
            if (id < 0 || id >= c->vocab_size)
                return tml_fail(err, "token id %d (row %d, position %d) outside the vocabulary of %d; the tokenizer "
                                "does not belong to this model", id, b, t, c->vocab_size);
        }
        if (bt->labels && (bt->labels[b] < 0 || bt->labels[b] >= K))
            return tml_fail(err, "label %d of row %d outside the head's %d classes", bt->labels[b], b, K);
    }
    /* host side: positions offset + t (padding rows too: their values are never read) */
    int32_t *pos = malloc(sizeof(int32_t) * (size_t)N);
    if (!pos) return tml_fail(err, "out of host memory for position ids");
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) pos[(size_t)b * T + t] = c->pos_offset + t;
    tml_upload(be, m->d_ids, bt->ids, sizeof(int32_t) * (size_t)N);
    tml_upload(be, m->d_pos, pos, sizeof(int32_t) * (size_t)N);
    tml_upload(be, m->d_lens, bt->lens, sizeof(int32_t) * (size_t)B);
    free(pos);
    upload_labels(m, bt->labels, B);
    m->B = B, m->T = T, m->training = training, m->step_seed = seed, m->head_only = 0;
    float ph = training ? c->hidden_dropout : 0.0f, pa = training ? c->attn_dropout : 0.0f;
    float pc = training ? c->cls_dropout : 0.0f;

    Acts x;
    point_acts(m, B, T, &x);
    /* embeddings -> LayerNorm -> dropout */
    tml_embedding_forward(be, x.a[A_EMB], m->p[TML_ENC_WTE], c->vocab_size, m->d_ids, N, C, 0);
    tml_embedding_forward(be, x.a[A_EMB], m->p[TML_ENC_WPE], c->max_positions, m->d_pos, N, C, 1);
    tml_embedding_forward(be, x.a[A_EMB], m->p[TML_ENC_WTT], c->type_vocab, m->d_type, N, C, 1);
    tml_layernorm_forward(be, x.a[A_H0], x.a[A_LNE_MEAN], x.a[A_LNE_RSTD], x.a[A_EMB], m->p[TML_ENC_LNE_W],
                          m->p[TML_ENC_LNE_B], N, C, c->ln_eps);
    tml_dropout_forward(be, x.a[A_H0], x.a[A_H0], (size_t)N * C, ph, site_seed(seed, -1, SITE_EMB));

    const float *in = x.a[A_H0];
    for (int l = 0; l < c->layers; l++) {
        size_t C3 = 3 * (size_t)C;
        const float *qkvw = m->p[TML_ENC_QKVW] + l * C3 * C, *qkvb = m->p[TML_ENC_QKVB] + l * C3;
        const float *aw = m->p[TML_ENC_ATTPROJW] + (size_t)l * C * C, *ab = m->p[TML_ENC_ATTPROJB] + (size_t)l * C;
        const float *ln1w = m->p[TML_ENC_LN1W] + (size_t)l * C, *ln1b = m->p[TML_ENC_LN1B] + (size_t)l * C;
        const float *fcw = m->p[TML_ENC_FCW] + (size_t)l * F * C, *fcb = m->p[TML_ENC_FCB] + (size_t)l * F;
        const float *pw = m->p[TML_ENC_FCPROJW] + (size_t)l * C * F, *pb = m->p[TML_ENC_FCPROJB] + (size_t)l * C;
        const float *ln2w = m->p[TML_ENC_LN2W] + (size_t)l * C, *ln2b = m->p[TML_ENC_LN2B] + (size_t)l * C;
        float *qkv = act_l(&x, A_QKV, l), *att = act_l(&x, A_ATT, l), *atty = act_l(&x, A_ATTY, l);
        float *res1 = act_l(&x, A_RES1, l), *h1 = act_l(&x, A_H1, l), *fch = act_l(&x, A_FCH, l);
        float *fchg = act_l(&x, A_FCHG, l), *res2 = act_l(&x, A_RES2, l), *h2 = act_l(&x, A_H2, l);
        /* self-attention sublayer: h1 = LN1(x + dropout(attention(x) Wo^T + bo)) */
        linear_forward(be, qkv, in, qkvw, qkvb, N, C, 3 * C);
        tml_attention_forward(be, atty, att, x.a[A_SCRATCH], qkv, m->d_lens, B, T, C, NH, pa,
                              site_seed(seed, l, SITE_ATT));
        linear_forward(be, res1, atty, aw, ab, N, C, C);
        tml_dropout_forward(be, res1, res1, (size_t)N * C, ph, site_seed(seed, l, SITE_ATTPROJ));
        tml_axpy(be, res1, in, (size_t)N * C, 1.0f);
        tml_layernorm_forward(be, h1, act_l(&x, A_LN1_MEAN, l), act_l(&x, A_LN1_RSTD, l), res1, ln1w, ln1b, N, C,
                              c->ln_eps);
        /* feed-forward sublayer: h2 = LN2(h1 + dropout(gelu(h1 W1^T + b1) W2^T + b2)) */
        linear_forward(be, fch, h1, fcw, fcb, N, C, F);
        tml_gelu_forward(be, fchg, fch, (size_t)N * F);
        linear_forward(be, res2, fchg, pw, pb, N, F, C);
        tml_dropout_forward(be, res2, res2, (size_t)N * C, ph, site_seed(seed, l, SITE_FFN));
        tml_axpy(be, res2, h1, (size_t)N * C, 1.0f);
        tml_layernorm_forward(be, h2, act_l(&x, A_LN2_MEAN, l), act_l(&x, A_LN2_RSTD, l), res2, ln2w, ln2b, N, C,
                              c->ln_eps);
        in = h2;
    }

    tml_pool_forward(be, x.a[A_POOLED], in, m->d_lens, B, T, C, c->pooling);
    head_forward(m, &x, B, pc, seed);
    return 0;
}

int tml_encoder_forward_head(TmlEncoder *m, const float *pooled, int B, const int32_t *labels, int training,
                             uint64_t seed, TmlError *err) {
    const TmlEncoderConfig *c = &m->cfg;
    if (B <= 0) return tml_fail(err, "empty encoder batch");
    if (tml_encoder_reserve(m, B, 1, training, err)) return -1;
    for (int b = 0; labels && b < B; b++)
        if (labels[b] < 0 || labels[b] >= c->n_classes)
            return tml_fail(err, "label %d of row %d outside the head's %d classes", labels[b], b, c->n_classes);
    upload_labels(m, labels, B);
    m->B = B, m->T = 1, m->training = training, m->step_seed = seed, m->head_only = 1;
    Acts x;
    point_acts(m, B, 1, &x);
    tml_upload(m->be, x.a[A_POOLED], pooled, sizeof(float) * (size_t)B * c->hidden);
    head_forward(m, &x, B, training ? c->cls_dropout : 0.0f, seed);
    return 0;
}

/* ---- backward -------------------------------------------------------------------------------- */
void tml_encoder_backward(TmlEncoder *m, float loss_scale) {
    const TmlEncoderConfig *c = &m->cfg;
    TmlBackend *be = m->be;
    TML_ASSERT(m->grads && m->cap_train && m->has_labels);
    TML_ASSERT(!m->head_only || m->freeze == TML_ENC_FREEZE_ENCODER); /* no encoder activations to go back through */
    int B = m->B, T = m->T, N = B * T, C = c->hidden, F = c->intermediate, K = c->n_classes, NH = c->heads;
    float ph = m->training ? c->hidden_dropout : 0.0f, pa = m->training ? c->attn_dropout : 0.0f;
    float pc = m->training ? c->cls_dropout : 0.0f;
    uint64_t seed = m->step_seed;
    Acts x;
    point_acts(m, B, T, &x);
    float *dh = x.a[A_DH], *dres = x.a[A_DRES], *dtmp = x.a[A_DTMP], *dfch = x.a[A_DFCH], *dqkv = x.a[A_DQKV];

    /* head: dlogits, then the head's weights, then back through dropout and pooling */
    if (c->ova)
        tml_sigmoid_bce_backward(be, x.a[A_DLOGITS], x.a[A_PROBS], m->d_targets, NULL, (size_t)B * K, loss_scale);
    else
        tml_softmax_xent_backward(be, x.a[A_DLOGITS], x.a[A_PROBS], m->d_labels, m->d_cw, m->smoothing, B, K,
                                  loss_scale);
    int into_encoder = m->freeze != TML_ENC_FREEZE_ENCODER;
    linear_backward(be, into_encoder ? x.a[A_DPOOLED] : NULL, 0.0f, m->g[TML_ENC_CLSW], m->g[TML_ENC_CLSB],
                    x.a[A_DLOGITS], x.a[A_POOLED_D], m->p[TML_ENC_CLSW], B, C, K);
    if (!into_encoder) return;
    tml_dropout_backward(be, x.a[A_DPOOLED], x.a[A_DPOOLED], (size_t)B * C, pc, site_seed(seed, -1, SITE_CLS));
    tml_pool_backward(be, dh, x.a[A_DPOOLED], m->d_lens, B, T, C, c->pooling);

    /* layers in reverse; dh holds the gradient of the current layer's output */
    for (int l = c->layers - 1; l >= 0; l--) {
        size_t C3 = 3 * (size_t)C;
        const float *in = l > 0 ? act_l(&x, A_H2, l - 1) : x.a[A_H0];
        const float *qkvw = m->p[TML_ENC_QKVW] + l * C3 * C, *aw = m->p[TML_ENC_ATTPROJW] + (size_t)l * C * C;
        const float *fcw = m->p[TML_ENC_FCW] + (size_t)l * F * C, *pw = m->p[TML_ENC_FCPROJW] + (size_t)l * C * F;
        const float *ln1w = m->p[TML_ENC_LN1W] + (size_t)l * C, *ln2w = m->p[TML_ENC_LN2W] + (size_t)l * C;
        float *g_qkvw = m->g[TML_ENC_QKVW] + l * C3 * C, *g_qkvb = m->g[TML_ENC_QKVB] + l * C3;
        float *g_aw = m->g[TML_ENC_ATTPROJW] + (size_t)l * C * C, *g_ab = m->g[TML_ENC_ATTPROJB] + (size_t)l * C;
        float *g_ln1w = m->g[TML_ENC_LN1W] + (size_t)l * C, *g_ln1b = m->g[TML_ENC_LN1B] + (size_t)l * C;
        float *g_fcw = m->g[TML_ENC_FCW] + (size_t)l * F * C, *g_fcb = m->g[TML_ENC_FCB] + (size_t)l * F;
        float *g_pw = m->g[TML_ENC_FCPROJW] + (size_t)l * C * F, *g_pb = m->g[TML_ENC_FCPROJB] + (size_t)l * C;
        float *g_ln2w = m->g[TML_ENC_LN2W] + (size_t)l * C, *g_ln2b = m->g[TML_ENC_LN2B] + (size_t)l * C;
        /* feed-forward sublayer: dres = d(LN2 input); it flows to h1 directly and through the FFN */
        tml_layernorm_backward(be, dres, g_ln2w, g_ln2b, dh, act_l(&x, A_RES2, l), act_l(&x, A_LN2_MEAN, l),
                               act_l(&x, A_LN2_RSTD, l), ln2w, N, C);
        tml_dropout_backward(be, dtmp, dres, (size_t)N * C, ph, site_seed(seed, l, SITE_FFN));
        linear_backward(be, dfch, 0.0f, g_pw, g_pb, dtmp, act_l(&x, A_FCHG, l), pw, N, F, C);
        tml_gelu_backward(be, dfch, dfch, act_l(&x, A_FCH, l), (size_t)N * F);
        linear_backward(be, dres, 1.0f, g_fcw, g_fcb, dfch, act_l(&x, A_H1, l), fcw, N, C, F); /* dres = d h1 */
        /* self-attention sublayer: dh = d(LN1 input); it flows to x directly and through attention */
        tml_layernorm_backward(be, dh, g_ln1w, g_ln1b, dres, act_l(&x, A_RES1, l), act_l(&x, A_LN1_MEAN, l),
                               act_l(&x, A_LN1_RSTD, l), ln1w, N, C);
        tml_dropout_backward(be, dtmp, dh, (size_t)N * C, ph, site_seed(seed, l, SITE_ATTPROJ));
        linear_backward(be, dres, 0.0f, g_aw, g_ab, dtmp, act_l(&x, A_ATTY, l), aw, N, C, C); /* dres = d atty */
        tml_attention_backward(be, dqkv, x.a[A_SCRATCH], dres, act_l(&x, A_ATT, l), act_l(&x, A_QKV, l), m->d_lens,
                               B, T, C, NH, pa, site_seed(seed, l, SITE_ATT));
        linear_backward(be, dh, 1.0f, g_qkvw, g_qkvb, dqkv, in, qkvw, N, C, 3 * C); /* dh = d x */
    }

    /* embeddings: dropout, LayerNorm, then scatter into the tables */
    tml_dropout_backward(be, dh, dh, (size_t)N * C, ph, site_seed(seed, -1, SITE_EMB));
    tml_layernorm_backward(be, dres, m->g[TML_ENC_LNE_W], m->g[TML_ENC_LNE_B], dh, x.a[A_EMB], x.a[A_LNE_MEAN],
                           x.a[A_LNE_RSTD], m->p[TML_ENC_LNE_W], N, C);
    if (m->g[TML_ENC_WTE]) tml_embedding_backward(be, m->g[TML_ENC_WTE], c->vocab_size, dres, m->d_ids, N, C);
    tml_embedding_backward(be, m->g[TML_ENC_WPE], c->max_positions, dres, m->d_pos, N, C);
    tml_embedding_backward(be, m->g[TML_ENC_WTT], c->type_vocab, dres, m->d_type, N, C);
}

void tml_encoder_zero_grad(TmlEncoder *m) {
    if (m->grads) tml_zero(m->be, m->grads, sizeof(float) * (m->n_params - m->train_offset));
}

void tml_encoder_update(TmlEncoder *m, float lr, float b1, float b2, float eps, float wd, int t) {
    TML_ASSERT(m->grads);
    for (int k = 0; k < TML_ENC_NUM_TENSORS; k++) {
        if (!m->g[k]) continue;
        size_t o = m->offsets[k] - m->train_offset;
        tml_adamw_update(m->be, m->p[k], m->g[k], m->m + o, m->v + o, m->sizes[k], lr, b1, b2, eps,
                         TENSORS[k].decays ? wd : 0.0f, t);
    }
}

const float *tml_encoder_pooled(const TmlEncoder *m) {
    Acts x;
    point_acts(m, m->B, m->T, &x);
    return x.a[A_POOLED];
}
const float *tml_encoder_probs(const TmlEncoder *m) {
    Acts x;
    point_acts(m, m->B, m->T, &x);
    return x.a[A_PROBS];
}
const float *tml_encoder_losses(const TmlEncoder *m) {
    Acts x;
    point_acts(m, m->B, m->T, &x);
    return x.a[A_LOSSES];
}
