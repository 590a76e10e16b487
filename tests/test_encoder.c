/* test_encoder.c — the transformer encoder (trainer/encoder.h) on a tiny random-initialised model
 * (2 layers, width 32): whole-model finite-difference gradients (with dropout on, its masks fixed
 * by the seed), frozen variants, a few AdamW steps that must fit a batch, inference vs training
 * layouts, memory accounting, the Hugging Face loader on a folder written here, CPU-vs-CUDA parity
 * (skipped without a device), and the forward parity of the pretrained all-MiniLM-L6-v2 against the
 * independent numpy reference scripts/encoder_ref.py (skipped without the model, python or script). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/table.h"
#include "kernels/backend.h"
#include "tests/util_test.h"
#include "trainer/encoder.h"
#include "trainer/encoder_family.h"

static TmlBackend *g_cpu, *g_cuda;

static int setup(void **state) {
    TmlError err;
    g_cpu = tml_backend_create(TML_DEVICE_CPU, 1, &err);
    if (!g_cpu) return -1;
    if (tml_backend_cuda_device_count() > 0) g_cuda = tml_backend_create(TML_DEVICE_CUDA, 1, &err);
    return 0;
}
static int teardown(void **state) {
    tml_backend_free(g_cuda);
    tml_backend_free(g_cpu);
    return 0;
}

/* ---- a tiny model and batch ------------------------------------------------------------------ */
static TmlEncoderConfig tiny_config(TmlPoolMode pooling, int ova) {
    TmlEncoderConfig c = {.vocab_size = 40, .max_positions = 20, .type_vocab = 2, .hidden = 32, .layers = 2,
                          .heads = 4, .intermediate = 64, .ln_eps = 1e-5f, .pos_offset = 2, .pad_id = 1,
                          .hidden_dropout = 0.1f, .attn_dropout = 0.1f, .cls_dropout = 0.1f, .pooling = pooling,
                          .n_classes = 5, .ova = ova};
    return c;
}

/* Weights larger than BERT's 0.02 so every path carries gradient well above the check's tolerance. */
static void tiny_init(TmlEncoder *m, uint64_t seed) {
    TuRng r;
    tu_rng_seed(&r, seed);
    for (int t = 0; t < TML_ENC_NUM_TENSORS; t++) {
        size_t n = m->sizes[t];
        float *h = tu_xmalloc(sizeof(float) * n);
        int ln_w = t == TML_ENC_LNE_W || t == TML_ENC_LN1W || t == TML_ENC_LN2W;
        if (ln_w) tu_fill_uniform(&r, h, n, 0.6f, 1.4f);
        else if (tml_encoder_tensor_decays((TmlEncTensor)t)) tu_fill_uniform(&r, h, n, -0.4f, 0.4f);
        else tu_fill_uniform(&r, h, n, -0.2f, 0.2f);
        tml_upload(m->be, m->p[t], h, sizeof(float) * n);
        free(h);
    }
}

enum { TB = 3, TT = 7 };
static const int32_t TINY_LENS[TB] = {7, 4, 2};
static const int32_t TINY_LABELS[TB] = {1, 4, 0};

static void tiny_batch(const TmlEncoderConfig *c, int32_t *ids, TmlEncBatch *b) {
    TuRng r;
    tu_rng_seed(&r, 5);
    for (int i = 0; i < TB; i++)
        for (int t = 0; t < TT; t++) ids[i * TT + t] = t < TINY_LENS[i] ? 2 + tu_rng_int(&r, c->vocab_size - 2) : c->pad_id;
    ids[0] = ids[TT + 1] = 7; /* an id twice: its gradient row sums two contributions */
    b->B = TB, b->T = TT, b->ids = ids, b->lens = TINY_LENS, b->labels = TINY_LABELS;
}

static TmlEncoder *tiny_model(TmlBackend *be, const TmlEncoderConfig *c, TmlEncFreeze freeze) {
    TmlError err;
    TmlEncoder *m = tml_encoder_create(be, c, &err);
    if (!m) fprintf(stderr, "%s\n", err.msg);
    assert_non_null(m);
    tiny_init(m, 3);
    assert_int_equal(tml_encoder_set_trainable(m, freeze, &err), 0);
    return m;
}

static float *download(TmlBackend *be, const float *d, size_t n) {
    float *h = tu_xmalloc(sizeof(float) * (n ? n : 1));
    tml_download(be, h, d, sizeof(float) * n);
    return h;
}

/* Sum of the batch's row losses after a forward (training with the fixed seed). */
static double batch_loss(TmlEncoder *m, const TmlEncBatch *b, int training) {
    TmlError err;
    assert_int_equal(tml_encoder_forward(m, b, training, 1234, &err), 0);
    float *l = download(m->be, tml_encoder_losses(m), b->B);
    double s = 0;
    for (int i = 0; i < b->B; i++) s += l[i];
    free(l);
    return s;
}

/* ---- finite differences ---------------------------------------------------------------------- */
/* eps = 1e-2 on weights of size ~0.4: the float forward's rounding (~1e-7 relative on a loss of
 * ~5) gives ~3e-5 in the quotient; truncation eps^2/6 L''' stays ~1e-4 for these smooth layers.
 * A wrong factor, a missing residual or a transposed operand gives errors of 1e-2..1. */
#define FD_EPS 1e-2f
#define FD_ATOL 2e-3
#define FD_RTOL 2e-2

static size_t fd_tensor(TmlEncoder *m, const TmlEncBatch *b, int training, TmlEncTensor t, const float *grad,
                        int samples, TuRng *r) {
    size_t n = m->sizes[t], bad = 0;
    for (int s = 0; s < samples && s < (int)n; s++) {
        size_t i = (int)n <= samples ? (size_t)s : (size_t)tu_rng_next(r) % n;
        if (t == TML_ENC_WTE) i = (size_t)b->ids[tu_rng_int(r, b->B * b->T)] * m->cfg.hidden + tu_rng_int(r, m->cfg.hidden);
        float keep, v;
        tml_download(m->be, &keep, m->p[t] + i, sizeof keep);
        v = keep + FD_EPS;
        tml_upload(m->be, m->p[t] + i, &v, sizeof v);
        double lp = batch_loss(m, b, training);
        v = keep - FD_EPS;
        tml_upload(m->be, m->p[t] + i, &v, sizeof v);
        double lm = batch_loss(m, b, training);
        tml_upload(m->be, m->p[t] + i, &keep, sizeof keep);
        double num = (lp - lm) / (2.0 * FD_EPS), got = grad[i];
        if (fabs(num - got) > FD_ATOL + FD_RTOL * fabs(num)) {
            if (bad < 6)
                fprintf(stderr, "  %s[%zu]: analytic %.7g, numeric %.7g\n", tml_encoder_tensor_name(t), i, got, num);
            bad++;
        }
    }
    return bad;
}

/* Checks every trained tensor of m at `samples` entries each (all entries of small tensors). */
static void check_model_gradients(const TmlEncoderConfig *c, int training, int samples) {
    TmlEncoder *m = tiny_model(g_cpu, c, TML_ENC_TRAIN_ALL);
    int32_t ids[TB * TT];
    TmlEncBatch b;
    tiny_batch(c, ids, &b);
    TmlError err;
    assert_int_equal(tml_encoder_reserve(m, TB, TT, 1, &err), 0); /* keep activations even without dropout */
    tml_encoder_zero_grad(m);
    batch_loss(m, &b, training);
    tml_encoder_backward(m, 1.0f);
    TuRng r;
    tu_rng_seed(&r, 77);
    size_t bad = 0;
    double gmax = 0;
    for (int t = 0; t < TML_ENC_NUM_TENSORS; t++) {
        float *g = download(g_cpu, m->g[t], m->sizes[t]);
        for (size_t i = 0; i < m->sizes[t]; i++) gmax = fmax(gmax, fabs(g[i]));
        if (t == TML_ENC_WTE) /* rows of ids not in the batch get exactly nothing */
            for (int v = 0; v < 2; v++)
                for (int d = 0; d < c->hidden; d++) assert_true(g[(size_t)v * c->hidden + d] == 0.0f || v == c->pad_id);
        bad += fd_tensor(m, &b, training, (TmlEncTensor)t, g, samples, &r);
        free(g);
    }
    assert_true(gmax > 0.05); /* the check is not vacuous */
    assert_int_equal(bad, 0);
    tml_encoder_free(m);
}

static void test_grad_mean_softmax_dropout(void **state) {
    TmlEncoderConfig c = tiny_config(TML_POOL_MEAN, 0);
    check_model_gradients(&c, 1, 12);
}

static void test_grad_cls_ova_no_dropout(void **state) {
    TmlEncoderConfig c = tiny_config(TML_POOL_CLS, 1);
    check_model_gradients(&c, 0, 8);
}

/* ---- frozen variants: the same gradients where they exist, none elsewhere -------------------- */
static void test_freeze(void **state) {
    TmlEncoderConfig c = tiny_config(TML_POOL_MEAN, 0);
    int32_t ids[TB * TT];
    TmlEncBatch b;
    tiny_batch(&c, ids, &b);
    TmlEncoder *full = tiny_model(g_cpu, &c, TML_ENC_TRAIN_ALL);
    batch_loss(full, &b, 1);
    tml_encoder_backward(full, 0.5f);
    for (int f = 1; f <= 2; f++) {
        TmlEncoder *m = tiny_model(g_cpu, &c, (TmlEncFreeze)f);
        batch_loss(m, &b, 1);
        tml_encoder_backward(m, 0.5f);
        for (int t = 0; t < TML_ENC_NUM_TENSORS; t++) {
            int frozen = f == TML_ENC_FREEZE_EMBEDDINGS ? t == TML_ENC_WTE : t < TML_ENC_CLSW;
            if (frozen) {
                assert_null(m->g[t]);
                continue;
            }
            float *g0 = download(g_cpu, full->g[t], full->sizes[t]), *g1 = download(g_cpu, m->g[t], m->sizes[t]);
            assert_memory_equal(g0, g1, sizeof(float) * m->sizes[t]);
            free(g0), free(g1);
        }
        TmlEncMemory mem = tml_encoder_memory(&c, (TmlEncFreeze)f, TB, TT, 1, 0, 0);
        assert_int_equal(mem.grads, sizeof(float) * (m->n_params - m->train_offset));
        tml_encoder_free(m);
    }
    tml_encoder_free(full);
}

/* ---- what a run trains: train.freeze_embeddings, and its default by vocabulary size ------------ */
static TmlEncFreeze freeze_for(const char *train_keys, int vocab, int freeze_encoder) {
    TmlError err;
    char text[512];
    snprintf(text, sizeof text, "[train]\n%s", train_keys);
    TmlConfig *cfg = tml_config_parse(text, "test.ini", &err);
    assert_non_null(cfg);
    TmlTrainOptions o;
    assert_int_equal(tml_train_options_from_config(cfg, &o, &err), 0);
    TmlEncModel em = {0};
    em.cfg.vocab_size = vocab, em.freeze_encoder = freeze_encoder;
    TmlEncFreeze f = tml_enc_freeze_of(&em, &o);
    tml_config_free(cfg);
    return f;
}

static void test_freeze_default(void **state) {
    /* unset: a multilingual table (multilingual-e5-small: 250,037 rows) is frozen, MiniLM's is not */
    assert_int_equal(freeze_for("", 250037, 0), TML_ENC_FREEZE_EMBEDDINGS);
    assert_int_equal(freeze_for("", TML_ENC_FREEZE_VOCAB, 0), TML_ENC_FREEZE_EMBEDDINGS);
    assert_int_equal(freeze_for("", 30522, 0), TML_ENC_TRAIN_ALL);
    /* set: the config decides */
    assert_int_equal(freeze_for("freeze_embeddings = false\n", 250037, 0), TML_ENC_TRAIN_ALL);
    assert_int_equal(freeze_for("freeze_embeddings = true\n", 30522, 0), TML_ENC_FREEZE_EMBEDDINGS);
    /* the head alone wins over both */
    assert_int_equal(freeze_for("freeze_embeddings = false\n", 250037, 1), TML_ENC_FREEZE_ENCODER);
    assert_int_equal(freeze_for("", 30522, 1), TML_ENC_FREEZE_ENCODER);
}

/* ---- the position offset: token t reads position row pos_offset + t ---------------------------- */
/* An XLM-R-style model (offset 2) equals a BERT-style one (offset 0) whose position table is the
 * same table moved up by two rows; with the table left as is, the outputs differ, so the offset is
 * really used (multilingual-e5-small runs at 0, true XLM-R checkpoints at 2). */
static void test_position_offset(void **state) {
    TmlEncoderConfig c2 = tiny_config(TML_POOL_MEAN, 0), c0 = c2;
    c0.pos_offset = 0;
    TmlError err;
    TmlEncoder *m2 = tml_encoder_create(g_cpu, &c2, &err), *m0 = tml_encoder_create(g_cpu, &c0, &err);
    assert_non_null(m2);
    assert_non_null(m0);
    tiny_init(m2, 21);
    tiny_init(m0, 21);
    int32_t ids[TB * TT];
    TmlEncBatch b;
    tiny_batch(&c2, ids, &b);
    b.labels = NULL;
    size_t C = (size_t)c2.hidden, P = (size_t)c2.max_positions;
    assert_int_equal(tml_encoder_forward(m2, &b, 0, 0, &err), 0);
    float *want = download(g_cpu, tml_encoder_pooled(m2), TB * C);
    assert_int_equal(tml_encoder_forward(m0, &b, 0, 0, &err), 0);
    float *same_table = download(g_cpu, tml_encoder_pooled(m0), TB * C);
    float *wpe = download(g_cpu, m2->p[TML_ENC_WPE], P * C);
    tml_upload(g_cpu, m0->p[TML_ENC_WPE], wpe + 2 * C, sizeof(float) * (P - 2) * C);
    assert_int_equal(tml_encoder_forward(m0, &b, 0, 0, &err), 0);
    float *moved = download(g_cpu, tml_encoder_pooled(m0), TB * C);
    double differ = 0;
    for (size_t i = 0; i < TB * C; i++) {
        assert_true(fabsf(moved[i] - want[i]) <= 1e-6f);
        differ = fmax(differ, fabs(same_table[i] - want[i]));
    }
    assert_true(differ > 1e-3);
    /* the longest batch the table allows shrinks by the offset */
    assert_int_equal(tml_encoder_reserve(m2, 1, c2.max_positions - 1, 0, &err), -1);
    assert_int_equal(tml_encoder_reserve(m0, 1, c2.max_positions - 1, 0, &err), 0);
    free(want), free(same_table), free(wpe), free(moved);
    tml_encoder_free(m2), tml_encoder_free(m0);
}

/* ---- AdamW fits one batch -------------------------------------------------------------------- */
static void test_train_steps(void **state) {
    TmlEncoderConfig c = tiny_config(TML_POOL_MEAN, 0);
    TmlEncoder *m = tiny_model(g_cpu, &c, TML_ENC_TRAIN_ALL);
    tml_encoder_init_random(m, 9, TML_ENC_WTE, TML_ENC_CLSB, NULL); /* BERT's own initialisation */
    int32_t ids[TB * TT];
    TmlEncBatch b;
    tiny_batch(&c, ids, &b);
    double first = batch_loss(m, &b, 0), last = 0;
    for (int step = 1; step <= 40; step++) {
        TmlError err;
        tml_encoder_zero_grad(m);
        assert_int_equal(tml_encoder_forward(m, &b, 1, (uint64_t)step, &err), 0);
        tml_encoder_backward(m, 1.0f / TB);
        tml_encoder_update(m, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
    }
    last = batch_loss(m, &b, 0);
    assert_true(isfinite(last));
    assert_true(last < 0.2 * first); /* three examples: memorised */
    tml_encoder_free(m);
}

/* ---- inference layout (one reused layer slot) = training layout ------------------------------ */
static void test_inference_layout(void **state) {
    TmlEncoderConfig c = tiny_config(TML_POOL_MEAN, 0);
    int32_t ids[TB * TT];
    TmlEncBatch b;
    tiny_batch(&c, ids, &b);
    TmlError err;
    TmlEncoder *a = tiny_model(g_cpu, &c, TML_ENC_TRAIN_ALL), *e = tml_encoder_create(g_cpu, &c, &err);
    assert_non_null(e);
    tiny_init(e, 3);
    b.labels = NULL;
    assert_int_equal(tml_encoder_forward(e, &b, 0, 1, &err), 0);
    assert_int_equal(e->cap_train, 0);
    assert_int_equal(tml_encoder_reserve(a, TB, TT, 1, &err), 0);
    assert_int_equal(tml_encoder_forward(a, &b, 0, 1, &err), 0);
    float *pa = download(g_cpu, tml_encoder_pooled(a), TB * c.hidden), *pe = download(g_cpu, tml_encoder_pooled(e), TB * c.hidden);
    assert_memory_equal(pa, pe, sizeof(float) * TB * c.hidden);
    float *qa = download(g_cpu, tml_encoder_probs(a), TB * c.n_classes), *qe = download(g_cpu, tml_encoder_probs(e), TB * c.n_classes);
    assert_memory_equal(qa, qe, sizeof(float) * TB * c.n_classes);
    /* the mean pooling ignores padding: a row's pooled vector does not depend on the batch width */
    TmlEncBatch one = {1, 2, ids + 2 * TT, TINY_LENS + 2, NULL};
    assert_int_equal(tml_encoder_forward(e, &one, 0, 1, &err), 0);
    float *p1 = download(g_cpu, tml_encoder_pooled(e), c.hidden);
    assert_int_equal(tu_count_mismatch("pooled, batch of one", p1, pa + 2 * c.hidden, c.hidden, 1e-5, 1e-4), 0);
    /* memory accounting matches the allocation */
    TmlEncMemory mem = tml_encoder_memory(&c, TML_ENC_TRAIN_ALL, TB, TT, 0,
                                          tml_attention_saved_floats(g_cpu, TB, TT, c.hidden, c.heads),
                                          tml_attention_scratch_floats(g_cpu, TB, TT, c.hidden, c.heads));
    assert_int_equal(mem.activations, e->act_floats * sizeof(float));
    assert_int_equal(mem.weights, e->n_params * sizeof(float));
    /* bad input: ids outside the vocabulary, rows longer than the batch, positions past the table */
    int32_t bad_ids[TB * TT];
    memcpy(bad_ids, ids, sizeof bad_ids);
    bad_ids[3] = c.vocab_size;
    TmlEncBatch bb = {TB, TT, bad_ids, TINY_LENS, NULL};
    assert_int_equal(tml_encoder_forward(e, &bb, 0, 1, &err), -1);
    assert_non_null(strstr(err.msg, "vocabulary"));
    assert_int_equal(tml_encoder_reserve(e, 1, c.max_positions, 0, &err), -1);
    assert_non_null(strstr(err.msg, "max_len"));
    free(pa), free(pe), free(qa), free(qe), free(p1);
    tml_encoder_free(a), tml_encoder_free(e);
}

/* ---- the Hugging Face loader ----------------------------------------------------------------- */
/* Writes m's encoder tensors as a Hugging Face folder (config.json + model.safetensors, BERT names
 * with Q, K, V apart) into dir. */
static void write_hf_folder(TmlEncoder *m, const char *dir, const char *model_type, const char *dtype) {
    const TmlEncoderConfig *c = &m->cfg;
    char path[512];
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"model_type\": \"%s\", \"hidden_act\": \"gelu\", \"vocab_size\": %d, \"max_position_embeddings\": %d, "
            "\"type_vocab_size\": %d, \"hidden_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d, "
            "\"intermediate_size\": %d, \"layer_norm_eps\": %g, \"pad_token_id\": %d, \"hidden_dropout_prob\": 0.1, "
            "\"attention_probs_dropout_prob\": 0.1}\n", model_type, c->vocab_size, c->max_positions, c->type_vocab,
            c->hidden, c->layers, c->heads, c->intermediate, (double)c->ln_eps, c->pad_id);
    fclose(f);
    /* tensor list: name, source pointer (host copy), shape */
    size_t C = c->hidden, F = c->intermediate;
    float *host = download(m->be, m->params, m->n_params);
    struct {
        char name[96];
        const float *src;
        int d0, d1;
    } t[64];
    int n = 0;
#define ADD(nm, ptr, a, b_) (snprintf(t[n].name, sizeof t[n].name, "%s", nm), t[n].src = (ptr), t[n].d0 = (a), t[n].d1 = (b_), n++)
    ADD("bert.embeddings.word_embeddings.weight", host + m->offsets[TML_ENC_WTE], c->vocab_size, (int)C);
    ADD("bert.embeddings.position_embeddings.weight", host + m->offsets[TML_ENC_WPE], c->max_positions, (int)C);
    ADD("bert.embeddings.token_type_embeddings.weight", host + m->offsets[TML_ENC_WTT], c->type_vocab, (int)C);
    ADD("bert.embeddings.LayerNorm.weight", host + m->offsets[TML_ENC_LNE_W], (int)C, 0);
    ADD("bert.embeddings.LayerNorm.bias", host + m->offsets[TML_ENC_LNE_B], (int)C, 0);
    char nm[96];
    static const char *qkv[3] = {"query", "key", "value"};
    for (int l = 0; l < c->layers; l++) {
        for (int k = 0; k < 3; k++) {
            snprintf(nm, sizeof nm, "bert.encoder.layer.%d.attention.self.%s.weight", l, qkv[k]);
            ADD(nm, host + m->offsets[TML_ENC_QKVW] + ((size_t)l * 3 + k) * C * C, (int)C, (int)C);
            snprintf(nm, sizeof nm, "bert.encoder.layer.%d.attention.self.%s.bias", l, qkv[k]);
            ADD(nm, host + m->offsets[TML_ENC_QKVB] + ((size_t)l * 3 + k) * C, (int)C, 0);
        }
        const struct {
            const char *fmt;
            TmlEncTensor tt;
            int d0, d1;
        } rest[] = {{"attention.output.dense.weight", TML_ENC_ATTPROJW, (int)C, (int)C},
                    {"attention.output.dense.bias", TML_ENC_ATTPROJB, (int)C, 0},
                    {"attention.output.LayerNorm.weight", TML_ENC_LN1W, (int)C, 0},
                    {"attention.output.LayerNorm.bias", TML_ENC_LN1B, (int)C, 0},
                    {"intermediate.dense.weight", TML_ENC_FCW, (int)F, (int)C},
                    {"intermediate.dense.bias", TML_ENC_FCB, (int)F, 0},
                    {"output.dense.weight", TML_ENC_FCPROJW, (int)C, (int)F},
                    {"output.dense.bias", TML_ENC_FCPROJB, (int)C, 0},
                    {"output.LayerNorm.weight", TML_ENC_LN2W, (int)C, 0},
                    {"output.LayerNorm.bias", TML_ENC_LN2B, (int)C, 0}};
        for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++) {
            size_t per = (size_t)rest[i].d0 * (rest[i].d1 ? rest[i].d1 : 1);
            snprintf(nm, sizeof nm, "bert.encoder.layer.%d.%s", l, rest[i].fmt);
            ADD(nm, host + m->offsets[rest[i].tt] + l * per, rest[i].d0, rest[i].d1);
        }
    }
#undef ADD
    json_t *hdr = json_object();
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        size_t bytes = 4 * (size_t)t[i].d0 * (t[i].d1 ? t[i].d1 : 1);
        json_t *e = json_object(), *shape = json_array();
        json_array_append_new(shape, json_integer(t[i].d0));
        if (t[i].d1) json_array_append_new(shape, json_integer(t[i].d1));
        json_object_set_new(e, "dtype", json_string(i == 3 ? dtype : "F32"));
        json_object_set_new(e, "shape", shape);
        json_t *o = json_array();
        json_array_append_new(o, json_integer((json_int_t)off));
        json_array_append_new(o, json_integer((json_int_t)(off + bytes)));
        json_object_set_new(e, "data_offsets", o);
        json_object_set_new(hdr, t[i].name, e);
        off += bytes;
    }
    char *text = json_dumps(hdr, JSON_COMPACT);
    uint64_t hl = strlen(text);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 8; i++) fputc((int)(hl >> (8 * i)) & 0xff, f);
    fwrite(text, 1, hl, f);
    for (int i = 0; i < n; i++) fwrite(t[i].src, 4, (size_t)t[i].d0 * (t[i].d1 ? t[i].d1 : 1), f);
    fclose(f);
    free(text);
    json_decref(hdr);
    free(host);
}

static void test_load_hf(void **state) {
    TmlEncoderConfig c = tiny_config(TML_POOL_MEAN, 0);
    c.pos_offset = 2, c.pad_id = 1, c.type_vocab = 1;
    TmlError err;
    TmlEncoder *src = tml_encoder_create(g_cpu, &c, &err);
    assert_non_null(src);
    tiny_init(src, 11);
    char dir[] = "/tmp/tml_test_encoder_XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_hf_folder(src, dir, "xlm-roberta", "F32");
    TmlEncoderConfig got = {0};
    assert_int_equal(tml_encoder_config_from_hf(dir, &got, &err), 0);
    assert_int_equal(got.vocab_size, c.vocab_size);
    assert_int_equal(got.hidden, c.hidden);
    assert_int_equal(got.layers, c.layers);
    assert_int_equal(got.pos_offset, 2); /* XLM-R: pad_token_id + 1 */
    assert_true(got.ln_eps == c.ln_eps);
    got.pooling = TML_POOL_MEAN, got.n_classes = c.n_classes;
    TmlEncoder *dst = tml_encoder_create(g_cpu, &got, &err);
    assert_non_null(dst);
    tiny_init(dst, 99);
    assert_int_equal(tml_encoder_load_hf(dst, dir, &err), 0);
    float *a = download(g_cpu, src->params, src->offsets[TML_ENC_CLSW]);
    float *b = download(g_cpu, dst->params, dst->offsets[TML_ENC_CLSW]);
    assert_memory_equal(a, b, sizeof(float) * src->offsets[TML_ENC_CLSW]); /* Q, K, V stacked back */
    free(a), free(b);
    /* errors name the file and what to do */
    write_hf_folder(src, dir, "xlm-roberta", "F16");
    assert_int_equal(tml_encoder_load_hf(dst, dir, &err), -1);
    assert_non_null(strstr(err.msg, "embeddings.LayerNorm.weight"));
    assert_non_null(strstr(err.msg, "F16"));
    write_hf_folder(src, dir, "gpt2", "F32");
    assert_int_equal(tml_encoder_config_from_hf(dir, &got, &err), -1);
    assert_non_null(strstr(err.msg, "gpt2"));
    TmlEncoderConfig wide = got;
    wide.hidden = 64, wide.intermediate = 128;
    TmlEncoder *w = tml_encoder_create(g_cpu, &wide, &err);
    assert_non_null(w);
    assert_int_equal(tml_encoder_load_hf(w, dir, &err), -1);
    assert_non_null(strstr(err.msg, "shape"));
    tml_encoder_free(w);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(tml_encoder_config_from_hf(dir, &got, &err), -1);
    assert_non_null(strstr(err.msg, "make models"));
    tml_encoder_free(src), tml_encoder_free(dst);
}

/* ---- CPU vs CUDA ----------------------------------------------------------------------------- */
static void test_cuda_parity(void **state) {
    if (!g_cuda) {
        if (tu_require_cuda()) fail_msg("TICKETML_REQUIRE_CUDA=1 but no CUDA device: encoder parity cannot run");
        printf("no CUDA device: encoder CPU-vs-CUDA parity not run\n");
        skip();
    }
    for (int variant = 0; variant < 2; variant++) {
        TmlEncoderConfig c = tiny_config(variant ? TML_POOL_CLS : TML_POOL_MEAN, variant);
        TmlEncoder *mc = tiny_model(g_cpu, &c, TML_ENC_TRAIN_ALL), *mg = tiny_model(g_cuda, &c, TML_ENC_TRAIN_ALL);
        int32_t ids[TB * TT];
        TmlEncBatch b;
        tiny_batch(&c, ids, &b);
        TmlError err;
        for (int k = 0; k < 2; k++) {
            TmlEncoder *m = k ? mg : mc;
            assert_int_equal(tml_encoder_forward(m, &b, 1, 42, &err), 0);
            tml_encoder_backward(m, 1.0f / TB);
        }
        /* forward: sums over C = 32 and T = 7 terms through two layers; the dropout masks are the same bits */
        float *pc = download(g_cpu, tml_encoder_pooled(mc), TB * c.hidden), *pg = download(g_cuda, tml_encoder_pooled(mg), TB * c.hidden);
        assert_int_equal(tu_count_mismatch("encoder pooled", pg, pc, TB * c.hidden, 2e-5, 1e-4), 0);
        float *qc = download(g_cpu, tml_encoder_probs(mc), TB * c.n_classes), *qg = download(g_cuda, tml_encoder_probs(mg), TB * c.n_classes);
        assert_int_equal(tu_count_mismatch("encoder probs", qg, qc, TB * c.n_classes, 2e-5, 1e-4), 0);
        /* gradients: the same through the reversed chain, plus atomics in the embedding backward */
        for (int t = 0; t < TML_ENC_NUM_TENSORS; t++) {
            float *gc = download(g_cpu, mc->g[t], mc->sizes[t]), *gg = download(g_cuda, mg->g[t], mg->sizes[t]);
            char what[64];
            snprintf(what, sizeof what, "grad %s (variant %d)", tml_encoder_tensor_name((TmlEncTensor)t), variant);
            assert_int_equal(tu_count_mismatch(what, gg, gc, mc->sizes[t], 1e-5, 1e-3), 0);
            free(gc), free(gg);
        }
        free(pc), free(pg), free(qc), free(qg);
        tml_encoder_free(mc), tml_encoder_free(mg);
    }
}

/* ---- forward parity of the pretrained MiniLM against scripts/encoder_ref.py ------------------ */
#define PARITY_N 64
#define PARITY_TOL 1e-4

static const char *models_dir(void) {
    const char *d = getenv("TICKETML_MODELS");
    return d && *d ? d : "models";
}

/* Reads ids.txt (one sequence of ids per line) into a padded (n, T) batch; returns n. */
static int read_ids(const char *path, int32_t **ids_out, int32_t **lens_out, int *T_out, int pad) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int32_t *lens = calloc(PARITY_N, sizeof(int32_t));
    int32_t *seqs = calloc((size_t)PARITY_N * 512, sizeof(int32_t));
    char line[16384];
    int n = 0, T = 0;
    while (n < PARITY_N && fgets(line, sizeof line, f)) {
        char *p = line, *end;
        int k = 0;
        for (long v = strtol(p, &end, 10); end != p && k < 512; v = strtol(p, &end, 10)) {
            seqs[(size_t)n * 512 + k++] = (int32_t)v;
            p = end;
        }
        if (!k) continue;
        lens[n++] = k;
        T = k > T ? k : T;
    }
    fclose(f);
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)n * T);
    for (int i = 0; i < n; i++)
        for (int t = 0; t < T; t++) ids[(size_t)i * T + t] = t < lens[i] ? seqs[(size_t)i * 512 + t] : pad;
    free(seqs);
    *ids_out = ids, *lens_out = lens, *T_out = T;
    return n;
}

/* ticketml's pooled embeddings of the pretrained model `name` for PARITY_N rows of `dataset`
 * (column `column`), all in one batch padded to the longest, against encoder_ref.py's (float64). */
static void check_pretrained_parity(const char *name, const char *dataset, const char *column) {
    char model[1024], weights[1100];
    snprintf(model, sizeof model, "%s/%s", models_dir(), name);
    snprintf(weights, sizeof weights, "%s/model.safetensors", model);
    const char *data = tu_dataset_path(dataset);
    if (access(weights, R_OK) != 0) {
        printf("  skipped: %s is absent (run `make models`)\n", weights);
        skip();
    }
    if (!data) {
        printf("  skipped: %s is not in the datasets folder\n", dataset);
        skip();
    }
    if (access("scripts/encoder_ref.py", R_OK) != 0 ||
        system("python3 -c 'import numpy, tokenizers' >/dev/null 2>&1") != 0) {
        printf("  skipped: needs python3 with numpy and tokenizers, and scripts/encoder_ref.py\n");
        skip();
    }
    /* PARITY_N texts spread over the split (the files are sorted by label) */
    TmlError err;
    TmlTable *tab = tml_table_read(data, TML_FORMAT_CSV, &err);
    assert_non_null(tab);
    int col = tml_table_col(tab, column, &err);
    assert_true(col >= 0);
    char dir[] = "/tmp/tml_test_parity_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char texts[128], idsf[128], reff[128], cmd[2048];
    snprintf(texts, sizeof texts, "%s/texts.txt", dir);
    snprintf(idsf, sizeof idsf, "%s/ids.txt", dir);
    snprintf(reff, sizeof reff, "%s/ref.txt", dir);
    FILE *f = fopen(texts, "w");
    assert_non_null(f);
    int64_t stride = tab->n_rows / PARITY_N;
    for (int i = 0; i < PARITY_N; i++) {
        const char *s = tml_table_cell(tab, i * stride, col);
        for (const char *p = s; *p; p++) fputc(*p == '\n' || *p == '\r' ? ' ' : *p, f);
        fputc('\n', f);
    }
    fclose(f);
    tml_table_free(tab);
    /* the reference tokenizes with the `tokenizers` package (at most 128 tokens) and encodes in float64 */
    snprintf(cmd, sizeof cmd,
             "python3 scripts/encoder_ref.py %s --texts-file %s --max-len 128 --save-ids %s --out %s --pooling mean",
             model, texts, idsf, reff);
    assert_int_equal(system(cmd), 0);
    TmlEncoderConfig c = {0};
    assert_int_equal(tml_encoder_config_from_hf(model, &c, &err), 0);
    c.pooling = TML_POOL_MEAN, c.n_classes = 2;
    TmlEncoder *m = tml_encoder_create(g_cpu, &c, &err);
    assert_non_null(m);
    if (tml_encoder_load_hf(m, model, &err)) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(tml_encoder_init_random(m, 1, TML_ENC_CLSW, TML_ENC_CLSB, &err), 0);
    int32_t *ids = NULL, *lens = NULL;
    int T = 0, n = read_ids(idsf, &ids, &lens, &T, c.pad_id);
    assert_int_equal(n, PARITY_N);
    TmlEncBatch b = {n, T, ids, lens, NULL};
    assert_int_equal(tml_encoder_forward(m, &b, 0, 0, &err), 0);
    float *pooled = download(g_cpu, tml_encoder_pooled(m), (size_t)n * c.hidden);
    f = fopen(reff, "r");
    assert_non_null(f);
    double maxdiff = 0, maxabs = 0;
    for (size_t i = 0; i < (size_t)n * c.hidden; i++) {
        double ref;
        assert_int_equal(fscanf(f, "%lf", &ref), 1);
        maxdiff = fmax(maxdiff, fabs(ref - pooled[i]));
        maxabs = fmax(maxabs, fabs(ref));
    }
    fclose(f);
    printf("  %s on %d %s rows (batch %d x %d): pooled max |ticketml - encoder_ref.py| = %.3g (max |value| %.3g, "
           "tolerance %g)\n", name, n, dataset, n, T, maxdiff, maxabs, PARITY_TOL);
    assert_true(maxdiff <= PARITY_TOL);
    assert_true(maxabs > 0.1);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    free(pooled), free(ids), free(lens);
    tml_encoder_free(m);
}

static void test_pretrained_forward_parity(void **state) {
    check_pretrained_parity("all-MiniLM-L6-v2", "banking77/test.csv", "text");
}

/* the multilingual model (XLM-R vocabulary of 250k, 12 layers) on Chinese reviews */
static void test_pretrained_forward_parity_e5(void **state) {
    check_pretrained_parity("multilingual-e5-small", "waimai_10k/test.csv", "review");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grad_mean_softmax_dropout),
        cmocka_unit_test(test_grad_cls_ova_no_dropout),
        cmocka_unit_test(test_freeze),
        cmocka_unit_test(test_freeze_default),
        cmocka_unit_test(test_position_offset),
        cmocka_unit_test(test_train_steps),
        cmocka_unit_test(test_inference_layout),
        cmocka_unit_test(test_load_hf),
        cmocka_unit_test(test_cuda_parity),
        cmocka_unit_test(test_pretrained_forward_parity),
        cmocka_unit_test(test_pretrained_forward_parity_e5),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
