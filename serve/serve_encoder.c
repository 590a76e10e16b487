/* serve_encoder.c — the encoder family's forward pass in the serving library: one text's token ids
 * (serve.c tokenizes with the export's tokenizer) through the BERT-style encoder, pooled, then the
 * head. It runs the plain-C reference ops of kernels/cpu (cpu_ops.h) — the same code the trainer's
 * CPU backend runs, archived into libticketml_serve.a without the backend dispatch or any CUDA — so
 * there is one implementation of each op. No dropout (inference). Thread-safe: the state is
 * read-only after build and every buffer lives in the caller's scratch. Tensor layout as in the
 * model file (trainer/encoder.h, docs/export-format.md). */
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/cpu_ops.h"
#include "serve/serve_family.h"

enum { WTE, WPE, WTT, LNE_W, LNE_B, QKVW, QKVB, ATTPROJW, ATTPROJB, LN1W, LN1B, FCW, FCB, FCPROJW, FCPROJB, LN2W,
       LN2B, CLSW, CLSB, NT };
static const char *const NAMES[NT] = {"weights/wte",      "weights/wpe",      "weights/wtt",  "weights/lne_w",
                                      "weights/lne_b",    "weights/qkvw",     "weights/qkvb", "weights/attprojw",
                                      "weights/attprojb", "weights/ln1w",     "weights/ln1b", "weights/fcw",
                                      "weights/fcb",      "weights/fcprojw",  "weights/fcprojb", "weights/ln2w",
                                      "weights/ln2b",     "weights/clsw",     "weights/clsb"};

typedef struct Enc {
    int V, P, TV, C, F, L, NH, K, T, pos_offset, ova;
    float eps;
    TmlPoolMode pool;
    const float *w[NT];
} Enc;

/* (rows, cols) of each tensor as exported; cols 0 = a vector. */
static void shapes(const TmlExport *e, int64_t rows[NT], int64_t cols[NT]) {
    int64_t V = e->in_dim, C = e->dim, F = e->hidden, L = e->enc_layers, K = e->n_out;
    const int64_t r[NT] = {V, e->enc_max_positions, e->enc_type_vocab, C, C, L * 3 * C, L, L * C, L, L, L, L * F, L,
                           L * C, L, L, L, K, K};
    const int64_t c[NT] = {C, C, C, 0, 0, C, 3 * C, C, C, C, C, C, F, F, C, C, C, C, 0};
    memcpy(rows, r, sizeof r);
    memcpy(cols, c, sizeof c);
}

static int enc_validate(const TmlExport *e, const char *where, int *n_tensors, TmlError *err) {
    if (!e->loss || !e->bag) return tml_fail(err, "%s: model attributes are missing; re-export the model", where);
    if (strcmp(e->loss, "softmax") && strcmp(e->loss, "ova")) return tml_fail(err, "%s: unknown loss '%s'", where, e->loss);
    if (strcmp(e->bag, "mean") && strcmp(e->bag, "cls"))
        return tml_fail(err, "%s: unknown encoder pooling '%s' (model/bag: mean or cls)", where, e->bag);
    if (e->dim < 1 || e->dim > 16384 || e->hidden < 1 || e->hidden > 65536 || e->enc_layers < 1 || e->enc_layers > 256 ||
        e->enc_heads < 1 || e->dim % e->enc_heads || e->enc_type_vocab < 1 || e->enc_type_vocab > 16 ||
        e->enc_max_len < 2 || e->enc_pos_offset < 0 || e->enc_max_len + e->enc_pos_offset > e->enc_max_positions ||
        e->enc_max_positions > (1 << 20) || !(e->enc_ln_eps > 0 && e->enc_ln_eps < 1))
        return tml_fail(err, "%s: encoder shape is invalid (width %lld, ffn %lld, %lld layers, %lld heads, max_len %lld, "
                        "%lld positions from %lld, ln_eps %g)", where, (long long)e->dim, (long long)e->hidden,
                        (long long)e->enc_layers, (long long)e->enc_heads, (long long)e->enc_max_len,
                        (long long)e->enc_max_positions, (long long)e->enc_pos_offset, e->enc_ln_eps);
    int64_t rows[NT], cols[NT];
    shapes(e, rows, cols);
    for (int t = 0; t < NT; t++)
        if (tml_export_want_tensor(e, where, NAMES[t], rows[t], cols[t], err)) return -1;
    *n_tensors += NT;
    return 0;
}

static void *enc_build(const TmlExport *e, TmlError *err) {
    Enc *m = calloc(1, sizeof *m);
    if (!m) {
        tml_fail(err, "out of memory");
        return NULL;
    }
    m->V = (int)e->in_dim, m->P = (int)e->enc_max_positions, m->TV = (int)e->enc_type_vocab;
    m->C = (int)e->dim, m->F = (int)e->hidden, m->L = (int)e->enc_layers, m->NH = (int)e->enc_heads;
    m->K = (int)e->n_out, m->T = (int)e->enc_max_len, m->pos_offset = (int)e->enc_pos_offset;
    m->ova = !strcmp(e->loss, "ova");
    m->eps = (float)e->enc_ln_eps;
    m->pool = !strcmp(e->bag, "cls") ? TML_POOL_CLS : TML_POOL_MEAN;
    for (int t = 0; t < NT; t++) m->w[t] = tml_export_tensor(e, NAMES[t])->data;
    return m;
}

static void enc_free(void *state) { free(state); }

/* Scratch for a text of m->T tokens: activations, the attention's (NH, T, T) buffers, the int32
 * position and type ids (stored in float slots). */
static size_t enc_scratch(const void *state) {
    const Enc *m = state;
    size_t T = (size_t)m->T, C = (size_t)m->C, F = (size_t)m->F;
    return 6 * T * C + 3 * T * C + 2 * T * F + 2 * T + tml_cpu_attention_saved_floats(1, m->T, m->C, m->NH) +
           tml_cpu_attention_scratch_floats(1, m->T, m->C, m->NH) + 2 * T + C + 16;
}

/* y (T, out) = x (T, in) W^T + b, W (out, in) row-major as the trainer stores it. */
static void linear(float *y, const float *x, const float *W, const float *b, int T, int in, int out) {
    tml_cpu_sgemm(NULL, 0, 1, T, out, in, 1.0f, x, in, W, in, 0.0f, y, out);
    tml_cpu_bias_add_forward(NULL, y, b, T, out);
}

static int enc_forward(const void *state, const int32_t *ids, const float *w, int64_t n, const float *dense,
                       float *probs, float *scratch) {
    (void)w, (void)dense;
    const Enc *m = state;
    int T = (int)(n < m->T ? n : m->T), C = m->C, F = m->F, NH = m->NH;
    if (T < 1) T = 1; /* serve.c always passes at least [CLS] [SEP] */
    float *x = scratch, *h = x + (size_t)T * C, *qkv = h + (size_t)T * C, *att = qkv + 3 * (size_t)T * C;
    float *res = att + (size_t)T * C, *h1 = res + (size_t)T * C, *ff = h1 + (size_t)T * C, *ffg = ff + (size_t)T * F;
    float *mean = ffg + (size_t)T * F, *rstd = mean + T, *saved = rstd + T;
    float *ascr = saved + tml_cpu_attention_saved_floats(1, T, C, NH);
    int32_t *pos = (int32_t *)(ascr + tml_cpu_attention_scratch_floats(1, T, C, NH)), *type = pos + T;
    float *pooled = (float *)(type + T);
    int32_t len = T;
    for (int t = 0; t < T; t++) pos[t] = m->pos_offset + t, type[t] = 0;
    /* embeddings (word + position + type) -> LayerNorm */
    tml_cpu_embedding_forward(NULL, x, m->w[WTE], m->V, ids, T, C, 0);
    tml_cpu_embedding_forward(NULL, x, m->w[WPE], m->P, pos, T, C, 1);
    tml_cpu_embedding_forward(NULL, x, m->w[WTT], m->TV, type, T, C, 1);
    tml_cpu_layernorm_forward(NULL, h, mean, rstd, x, m->w[LNE_W], m->w[LNE_B], T, C, m->eps);
    for (int l = 0; l < m->L; l++) {
        size_t lc = (size_t)l * C, lf = (size_t)l * F;
        /* h1 = LN1(h + attention(h) Wo^T + bo) */
        linear(qkv, h, m->w[QKVW] + 3 * lc * C, m->w[QKVB] + 3 * lc, T, C, 3 * C);
        tml_cpu_attention_forward(NULL, att, saved, ascr, qkv, &len, 1, T, C, NH, 0.0f, 0);
        linear(res, att, m->w[ATTPROJW] + lc * C, m->w[ATTPROJB] + lc, T, C, C);
        tml_cpu_axpy(NULL, res, h, (size_t)T * C, 1.0f);
        tml_cpu_layernorm_forward(NULL, h1, mean, rstd, res, m->w[LN1W] + lc, m->w[LN1B] + lc, T, C, m->eps);
        /* h = LN2(h1 + gelu(h1 W1^T + b1) W2^T + b2) */
        linear(ff, h1, m->w[FCW] + lf * C, m->w[FCB] + lf, T, C, F);
        tml_cpu_gelu_forward(NULL, ffg, ff, (size_t)T * F);
        linear(res, ffg, m->w[FCPROJW] + lc * F, m->w[FCPROJB] + lc, T, F, C);
        tml_cpu_axpy(NULL, res, h1, (size_t)T * C, 1.0f);
        tml_cpu_layernorm_forward(NULL, h, mean, rstd, res, m->w[LN2W] + lc, m->w[LN2B] + lc, T, C, m->eps);
    }
    tml_cpu_pool_forward(NULL, pooled, h, &len, 1, T, C, m->pool);
    linear(probs, pooled, m->w[CLSW], m->w[CLSB], 1, C, m->K);
    return tml_serve_finish(probs, m->K, m->ova);
}

const TmlServeFamily tml_serve_family_encoder = {
    .archs = (const char *const[]){"encoder", NULL},
    .kind = "text",
    .validate = enc_validate,
    .build = enc_build,
    .free = enc_free,
    .scratch_floats = enc_scratch,
    .forward = enc_forward,
};
