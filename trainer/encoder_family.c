/* encoder_family.c — the "encoder" model family: a pretrained BERT-style encoder (trainer/encoder.h)
 * fine-tuned on ticket texts, tokenized by the model's own tokenizer (data/tokenizer.h). Its [model]
 * and [train] keys, its part of the model file (an `encoder` group: shape attributes, one dataset
 * per tensor, AdamW moments for checkpoints), scoring in length-sorted batches, and new classes for
 * fine-tuning. The training loop is encoder_train.c. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"
#include "data/tokspec_h5.h"
#include "trainer/encoder_family.h"

/* ---- config ----------------------------------------------------------------------------------- */

int tml_enc_train_keys(const TmlConfig *cfg, TmlEncModel *em, TmlError *err);

static int cfg_int(const TmlConfig *cfg, const char *key, int64_t def, int64_t lo, int64_t hi, int *out, TmlError *err) {
    int64_t v;
    if (tml_config_int(cfg, key, def, &v, err)) return -1;
    if (v < lo || v > hi) {
        char where[600];
        tml_config_where(cfg, key, where, sizeof where);
        return tml_fail(err, "%s: must be in %lld..%lld", where, (long long)lo, (long long)hi);
    }
    *out = (int)v;
    return 0;
}

/* The family's [train] keys: read again by every run (a resumed or fine-tuned model comes from a
 * file, the settings from the run's config). */
int tml_enc_train_keys(const TmlConfig *cfg, TmlEncModel *em, TmlError *err) {
    return cfg_int(cfg, "train.grad_accum", 1, 1, 4096, &em->grad_accum, err) ||
                   cfg_int(cfg, "train.sort_window", 50, 1, 1 << 20, &em->sort_window, err) ||
                   tml_config_bool(cfg, "train.freeze_encoder", 0, &em->freeze_encoder, err)
               ? -1
               : 0;
}

/* The shape of a random-initialised encoder (model.init = random) with the tokenizer's vocabulary. */
static int random_shape(TmlEncModel *em, const TmlConfig *cfg, TmlError *err) {
    TmlEncoderConfig *c = &em->cfg;
    TmlTokenizer *tok = tml_tokenizer_load(em->dir, err);
    if (!tok) return -1;
    c->vocab_size = tml_tokenizer_vocab_size(tok);
    c->pad_id = tml_tokenizer_pad_id(tok);
    tml_tokenizer_free(tok);
    if (cfg_int(cfg, "model.layers", 2, 1, 48, &c->layers, err) || cfg_int(cfg, "model.width", 32, 4, 4096, &c->hidden, err) ||
        cfg_int(cfg, "model.heads", 4, 1, 64, &c->heads, err) ||
        cfg_int(cfg, "model.ffn", 4 * (int64_t)c->hidden, 1, 16384, &c->intermediate, err))
        return -1;
    c->max_positions = em->max_len;
    c->type_vocab = 2;
    c->ln_eps = 1e-12f;
    c->pos_offset = 0;
    c->hidden_dropout = c->attn_dropout = c->cls_dropout = 0.1f;
    return 0;
}

static int enc_configure(TmlModel *m, const char *type, const TmlConfig *cfg, const TmlFeatures *f, TmlError *err) {
    TmlEncModel *em = calloc(1, sizeof *em);
    if (!(m->impl = em)) return tml_fail(err, "out of host memory");
    const char *dir = tml_config_str(cfg, "model.pretrained", NULL);
    if (!dir)
        return tml_fail(err, "%s: model.type = encoder needs model.pretrained = a Hugging Face model folder "
                        "(e.g. models/all-MiniLM-L6-v2, from `%s`)", cfg->path, TML_MODELS_COMMAND);
    char *abs = realpath(dir, NULL);
    if (!abs) return tml_fail(err, "%s: model.pretrained = %s: no such folder; %s", cfg->path, dir, tml_models_missing_hint(dir));
    em->dir = abs;
    static const char *const inits[] = {"pretrained", "random"};
    static const char *const pools[] = {"mean", "cls"};
    static const char *const losses[] = {"softmax", "ova"};
    int init = tml_config_choice(cfg, "model.init", "pretrained", inits, 2, err);
    int pool = init < 0 ? -1 : tml_config_choice(cfg, "model.pooling", "mean", pools, 2, err);
    int loss = pool < 0 ? -1 : tml_config_choice(cfg, "model.loss", "softmax", losses, 2, err);
    if (loss < 0) return -1;
    em->init_random = init == 1;
    if (cfg_int(cfg, "model.max_len", 128, 8, 8192, &em->max_len, err) || tml_enc_train_keys(cfg, em, err)) return -1;
    if (em->init_random ? random_shape(em, cfg, err) : tml_encoder_config_from_hf(em->dir, &em->cfg, err)) return -1;
    TmlEncoderConfig *c = &em->cfg;
    /* the position id of the first token: config.json's model_type decides (bert 0, (xlm-)roberta
     * pad_token_id + 1 = 2); a checkpoint whose config says otherwise than its training did can
     * set it (multilingual-e5-small is a "bert" with an XLM-R vocabulary: 0, as it was trained) */
    if (cfg_int(cfg, "model.position_offset", c->pos_offset, 0, c->max_positions - 1, &c->pos_offset, err)) return -1;
    double drop;
    if (tml_config_double(cfg, "model.dropout", -1.0, &drop, err)) return -1;
    if (drop >= 0) {
        if (drop >= 1) {
            char where[600];
            tml_config_where(cfg, "model.dropout", where, sizeof where);
            return tml_fail(err, "%s: a rate is in [0, 1)", where);
        }
        c->hidden_dropout = c->attn_dropout = c->cls_dropout = (float)drop;
    }
    if (em->max_len + c->pos_offset > c->max_positions)
        return tml_fail(err, "%s: model.max_len = %d is more than the model's %d positions", cfg->path, em->max_len,
                        c->max_positions - c->pos_offset);
    c->pooling = pool == 1 ? TML_POOL_CLS : TML_POOL_MEAN;
    c->ova = loss == 1;
    c->n_classes = f->labels->n;
    if (c->n_classes < 2)
        return tml_fail(err, "%s: the training data has only %d label(s); a classifier needs at least 2", cfg->path,
                        c->n_classes);
    if (tml_encoder_config_check(c, em->dir, err)) return -1;
    m->n_out = c->n_classes;
    m->arch = "encoder";
    (void)type;
    return 0;
}

static int load_tokenizer(TmlEncModel *em, TmlError *err) {
    if (em->tok) return 0;
    em->tok = tml_tokenizer_load(em->dir, err);
    if (!em->tok) return -1;
    if (tml_tokenizer_vocab_size(em->tok) > em->cfg.vocab_size)
        return tml_fail(err, "%s: the tokenizer has %d ids but the model only %d embeddings", em->dir,
                        tml_tokenizer_vocab_size(em->tok), em->cfg.vocab_size);
    return 0;
}

/* The tokenizer stored in a model file's encoder group; a file from before tokenizers were stored
 * falls back to the model folder it names. */
static int load_file_tokenizer(hid_t g, TmlEncModel *em, TmlError *err) {
    if (!tml_h5_exists(g, "tokenizer")) return load_tokenizer(em, err);
    TmlTokSpec spec;
    if (tml_tokspec_read_h5(g, "tokenizer", &spec, "model file", err)) return -1;
    em->tok = tml_tokenizer_from_spec(&spec, "model file", err);
    tml_tokspec_free(&spec);
    if (!em->tok) return -1;
    if (tml_tokenizer_vocab_size(em->tok) > em->cfg.vocab_size)
        return tml_fail(err, "model file: the tokenizer has %d ids but the model only %d embeddings",
                        tml_tokenizer_vocab_size(em->tok), em->cfg.vocab_size);
    return 0;
}

static int enc_init(TmlModel *m, uint64_t seed, TmlError *err) {
    TmlEncModel *em = tml_enc_model(m);
    tml_encoder_free(em->enc);
    if (load_tokenizer(em, err) || !(em->enc = tml_encoder_create(m->be, &em->cfg, err))) return -1;
    if (em->init_random) return tml_encoder_init_random(em->enc, seed, TML_ENC_WTE, TML_ENC_CLSB, err);
    if (tml_encoder_load_hf(em->enc, em->dir, err)) return -1;
    /* a new head: BERT's initialisation */
    return tml_encoder_init_random(em->enc, seed, TML_ENC_CLSW, TML_ENC_CLSB, err);
}

static void enc_destroy(TmlModel *m) {
    TmlEncModel *em = tml_enc_model(m);
    tml_encoder_free(em->enc);
    tml_tokenizer_free(em->tok);
    free(em->cached_pooled);
    free(em->dir);
    free(em);
    m->impl = NULL;
}

static int same_cfg(const TmlEncoderConfig *a, const TmlEncoderConfig *b) {
    return a->vocab_size == b->vocab_size && a->max_positions == b->max_positions && a->type_vocab == b->type_vocab &&
           a->hidden == b->hidden && a->layers == b->layers && a->heads == b->heads &&
           a->intermediate == b->intermediate && a->pos_offset == b->pos_offset && a->pooling == b->pooling &&
           a->n_classes == b->n_classes && a->ova == b->ova;
}

static int enc_same_shape(const TmlModel *a, const TmlModel *b) {
    return same_cfg(&tml_enc_model(a)->cfg, &tml_enc_model(b)->cfg) &&
           tml_enc_model(a)->max_len == tml_enc_model(b)->max_len;
}

static void enc_describe(const TmlModel *m, char *buf, size_t n) {
    const TmlEncModel *em = tml_enc_model(m);
    const TmlEncoderConfig *c = &em->cfg;
    const char *name = strrchr(em->dir, '/');
    size_t weights = em->enc ? em->enc->n_params : 0;
    snprintf(buf, n, "encoder model (%s%s: %d layers, width %d, %d heads, %s pooling, max_len %d), %d classes, %zu weights",
             em->init_random ? "random, tokenizer of " : "", name ? name + 1 : em->dir, c->layers, c->hidden, c->heads,
             c->pooling == TML_POOL_CLS ? "cls" : "mean", em->max_len, c->n_classes, weights);
}

/* ---- tokenizing and batching ------------------------------------------------------------------ */

int tml_enc_tokenize(const TmlEncModel *em, const TmlDataset *ds, int64_t **offsets_out, int32_t **ids_out,
                     TmlError *err) {
    if (!ds->texts && ds->n_rows > 0)
        return tml_fail(err, "%s: the encoder reads the raw ticket texts, which this dataset does not carry",
                        ds->source ? ds->source : "dataset");
    int64_t *off = malloc(sizeof(int64_t) * (size_t)(ds->n_rows + 1));
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)(ds->n_rows > 0 ? ds->n_rows : 1) * (size_t)em->max_len);
    int32_t *tmp = malloc(sizeof(int32_t) * (size_t)em->max_len);
    TmlTokScratch scratch = {0};
    int rc = 0;
    if (!off || !ids || !tmp) {
        rc = tml_fail(err, "out of host memory tokenizing %lld texts", (long long)ds->n_rows);
        goto done;
    }
    off[0] = 0;
    for (int64_t i = 0; i < ds->n_rows; i++) {
        const char *t = ds->texts[i] ? ds->texts[i] : "";
        int k = tml_tokenizer_encode(em->tok, t, strlen(t), em->max_len, tmp, &scratch);
        if (k < 0) {
            rc = tml_fail(err, "out of host memory tokenizing row %lld", (long long)i + 1);
            goto done;
        }
        memcpy(ids + off[i], tmp, sizeof(int32_t) * (size_t)k);
        off[i + 1] = off[i] + k;
    }
    int32_t *fit = realloc(ids, sizeof(int32_t) * (size_t)(off[ds->n_rows] > 0 ? off[ds->n_rows] : 1));
    if (fit) ids = fit;
done:
    tml_tokscratch_free(&scratch);
    free(tmp);
    if (rc) {
        free(off);
        free(ids);
        return -1;
    }
    *offsets_out = off;
    *ids_out = ids;
    return 0;
}

void tml_enc_fill_batch(const TmlEncModel *em, const int64_t *offsets, const int32_t *ids, const int32_t *labels,
                        const int64_t *rows, int B, int32_t *b_ids, int32_t *b_lens, int32_t *b_labels,
                        TmlEncBatch *out) {
    int T = 1;
    for (int b = 0; b < B; b++) {
        int len = (int)(offsets[rows[b] + 1] - offsets[rows[b]]);
        b_lens[b] = len;
        T = len > T ? len : T;
    }
    for (int b = 0; b < B; b++) {
        const int32_t *src = ids + offsets[rows[b]];
        for (int t = 0; t < T; t++) b_ids[(size_t)b * T + t] = t < b_lens[b] ? src[t] : em->cfg.pad_id;
        if (labels) b_labels[b] = labels[rows[b]];
    }
    out->B = B, out->T = T, out->ids = b_ids, out->lens = b_lens, out->labels = labels ? b_labels : NULL;
}

/* Rows sorted by token count (stable): batches of similar lengths waste little on padding. */
static const int64_t *g_sort_off;
static int by_length(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    int64_t lx = g_sort_off[x + 1] - g_sort_off[x], ly = g_sort_off[y + 1] - g_sort_off[y];
    return lx != ly ? (lx < ly ? -1 : 1) : (x > y) - (x < y);
}

/* Runs every row of ds through the encoder in length-sorted batches of up to B rows and hands each
 * batch's device results to take(). */
typedef void (*TakeFn)(TmlModel *m, const int64_t *rows, int nb, void *arg);

static int forward_rows(TmlModel *m, const TmlDataset *ds, int B, TakeFn take, void *arg, TmlError *err) {
    TmlEncModel *em = tml_enc_model(m);
    if (ds->n_rows == 0) return 0;
    int64_t *off = NULL, *order = malloc(sizeof(int64_t) * (size_t)ds->n_rows);
    int32_t *ids = NULL, *b_ids = malloc(sizeof(int32_t) * (size_t)B * em->max_len), *b_lens = malloc(sizeof(int32_t) * B);
    int rc = 0;
    if (!order || !b_ids || !b_lens) {
        rc = tml_fail(err, "out of host memory scoring");
        goto done;
    }
    if (tml_enc_tokenize(em, ds, &off, &ids, err)) {
        rc = -1;
        goto done;
    }
    for (int64_t i = 0; i < ds->n_rows; i++) order[i] = i;
    g_sort_off = off; /* scoring is not re-entered from other threads (one model, one backend) */
    qsort(order, (size_t)ds->n_rows, sizeof *order, by_length);
    for (int64_t s = 0; s < ds->n_rows && rc == 0; s += B) {
        int nb = (int)(ds->n_rows - s < B ? ds->n_rows - s : B);
        TmlEncBatch bt;
        tml_enc_fill_batch(em, off, ids, NULL, order + s, nb, b_ids, b_lens, NULL, &bt);
        if ((rc = tml_encoder_forward(em->enc, &bt, 0, 0, err)) == 0) take(m, order + s, nb, arg);
    }
done:
    free(off), free(ids), free(order), free(b_ids), free(b_lens);
    return rc;
}

/* take() for scores and for pooled vectors: downloads the batch and scatters it to its rows. */
typedef struct Scatter {
    float *out, *tmp;
    int width;     /* floats per row */
    int pooled;    /* 1: pooled vectors, 0: probabilities */
} Scatter;

static void scatter(TmlModel *m, const int64_t *rows, int nb, void *arg) {
    Scatter *s = arg;
    TmlEncoder *enc = tml_enc_model(m)->enc;
    tml_download(m->be, s->tmp, s->pooled ? tml_encoder_pooled(enc) : tml_encoder_probs(enc),
                 sizeof(float) * (size_t)nb * s->width);
    for (int b = 0; b < nb; b++) memcpy(s->out + (size_t)rows[b] * s->width, s->tmp + (size_t)b * s->width, sizeof(float) * s->width);
}

static int rows_through(TmlModel *m, const TmlDataset *ds, int B, float *out, int pooled, TmlError *err) {
    const TmlEncoderConfig *c = &tml_enc_model(m)->cfg;
    B = B < 1 ? 64 : B > 256 ? 256 : B;
    /* during training the activations are laid out for the backward (every layer kept): score in
     * batches that fit them rather than growing that layout to B rows (8x at 256 vs 32) */
    const TmlEncoder *enc = tml_enc_model(m)->enc;
    if (enc->cap_train && enc->cap_B > 0 && B > enc->cap_B) B = enc->cap_B;
    Scatter s = {out, NULL, pooled ? c->hidden : c->n_classes, pooled};
    if (!(s.tmp = malloc(sizeof(float) * (size_t)B * s.width))) return tml_fail(err, "out of host memory scoring");
    int rc = forward_rows(m, ds, B, scatter, &s, err);
    free(s.tmp);
    return rc;
}

int tml_enc_pool_rows(TmlModel *m, const TmlDataset *ds, int B, float *pooled, TmlError *err) {
    return rows_through(m, ds, B, pooled, 1, err);
}

static int enc_score(TmlModel *m, const TmlDataset *ds, int batch_size, float *probs, TmlError *err) {
    TmlEncModel *em = tml_enc_model(m);
    if (!(em->cached_ds && em->cached_ds == ds)) return rows_through(m, ds, batch_size, probs, 0, err);
    /* a frozen encoder's validation set: the head on the cached pooled vectors */
    int K = em->cfg.n_classes, B = 256;
    for (int64_t s = 0; s < ds->n_rows; s += B) {
        int nb = (int)(ds->n_rows - s < B ? ds->n_rows - s : B);
        if (tml_encoder_forward_head(em->enc, em->cached_pooled + (size_t)s * em->cfg.hidden, nb, NULL, 0, 0, err))
            return -1;
        tml_download(m->be, probs + (size_t)s * K, tml_encoder_probs(em->enc), sizeof(float) * (size_t)nb * K);
    }
    return 0;
}

/* ---- model file ------------------------------------------------------------------------------- */

/* Columns of tensor t as stored ((rows, cols) datasets; 0 = a vector). */
static int64_t tensor_cols(const TmlEncoderConfig *c, TmlEncTensor t) {
    switch (t) {
    case TML_ENC_LNE_W: case TML_ENC_LNE_B: case TML_ENC_CLSB: return 0;
    case TML_ENC_QKVB: return 3 * (int64_t)c->hidden;
    case TML_ENC_FCB: case TML_ENC_FCPROJW: return c->intermediate;
    default: return c->hidden;
    }
}

static int save_attrs(hid_t g, const TmlEncModel *em, TmlError *err) {
    const TmlEncoderConfig *c = &em->cfg;
    const struct {
        const char *name;
        int64_t v;
    } ints[] = {{"vocab_size", c->vocab_size}, {"max_positions", c->max_positions}, {"type_vocab", c->type_vocab},
                {"hidden", c->hidden},         {"layers", c->layers},               {"heads", c->heads},
                {"intermediate", c->intermediate}, {"pos_offset", c->pos_offset},   {"pad_id", c->pad_id},
                {"n_classes", c->n_classes},   {"max_len", em->max_len}};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (tml_h5_attr_write_i64(g, ints[i].name, ints[i].v, err)) return -1;
    return tml_h5_attr_write_f64(g, "ln_eps", c->ln_eps, err) ||
                   tml_h5_attr_write_f64(g, "hidden_dropout", c->hidden_dropout, err) ||
                   tml_h5_attr_write_f64(g, "attn_dropout", c->attn_dropout, err) ||
                   tml_h5_attr_write_f64(g, "cls_dropout", c->cls_dropout, err) ||
                   tml_h5_attr_write_str(g, "pooling", c->pooling == TML_POOL_CLS ? "cls" : "mean", err) ||
                   tml_h5_attr_write_str(g, "loss", c->ova ? "ova" : "softmax", err) ||
                   tml_h5_attr_write_str(g, "tokenizer", em->dir, err) ||
                   tml_h5_attr_write_str(g, "init", em->init_random ? "random" : "pretrained", err)
               ? -1
               : 0;
}

static int load_attrs(hid_t g, TmlEncModel *em, TmlError *err) {
    TmlEncoderConfig *c = &em->cfg;
    int *dst[] = {&c->vocab_size, &c->max_positions, &c->type_vocab, &c->hidden, &c->layers, &c->heads,
                  &c->intermediate, &c->pos_offset, &c->pad_id, &c->n_classes, &em->max_len};
    const char *names[] = {"vocab_size", "max_positions", "type_vocab", "hidden", "layers", "heads",
                           "intermediate", "pos_offset", "pad_id", "n_classes", "max_len"};
    for (size_t i = 0; i < sizeof dst / sizeof dst[0]; i++) {
        int64_t v;
        if (tml_h5_attr_read_i64(g, names[i], &v, err)) return -1;
        if (v < INT_MIN || v > INT_MAX) return tml_fail(err, "encoder attribute %s = %lld out of range", names[i], (long long)v);
        *dst[i] = (int)v;
    }
    double eps, hd, ad, cd;
    if (tml_h5_attr_read_f64(g, "ln_eps", &eps, err) || tml_h5_attr_read_f64(g, "hidden_dropout", &hd, err) ||
        tml_h5_attr_read_f64(g, "attn_dropout", &ad, err) || tml_h5_attr_read_f64(g, "cls_dropout", &cd, err))
        return -1;
    c->ln_eps = (float)eps, c->hidden_dropout = (float)hd, c->attn_dropout = (float)ad, c->cls_dropout = (float)cd;
    char *pool = tml_h5_attr_read_str(g, "pooling", err), *loss = pool ? tml_h5_attr_read_str(g, "loss", err) : NULL;
    char *init = loss ? tml_h5_attr_read_str(g, "init", err) : NULL;
    em->dir = init ? tml_h5_attr_read_str(g, "tokenizer", err) : NULL;
    int rc = em->dir ? 0 : -1;
    if (rc == 0) {
        c->pooling = !strcmp(pool, "cls") ? TML_POOL_CLS : TML_POOL_MEAN;
        c->ova = !strcmp(loss, "ova");
        em->init_random = !strcmp(init, "random");
        rc = tml_encoder_config_check(c, "model file", err);
    }
    free(pool), free(loss), free(init);
    return rc;
}

static int enc_save(const TmlModel *m, hid_t file, int with_optim, TmlError *err) {
    const TmlEncModel *em = tml_enc_model(m);
    const TmlEncoder *enc = em->enc;
    if (tml_h5_attr_write_str(file, "arch", "encoder", err)) return -1;
    hid_t g = H5Gcreate2(file, "encoder", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return tml_fail(err, "HDF5: cannot create group 'encoder'");
    hid_t w = -1, o = -1;
    float *host = malloc(sizeof(float) * (enc->n_params > 0 ? enc->n_params : 1));
    int rc = -1;
    if (!host) {
        tml_fail(err, "out of host memory saving the encoder");
        goto done;
    }
    /* the tokenizer itself, so the file needs no model folder (eval, explain, finetune, export elsewhere) */
    if (save_attrs(g, em, err) || tml_tokspec_write_h5(g, "tokenizer", tml_tokenizer_spec(em->tok), err) ||
        (w = H5Gcreate2(g, "weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
        goto done;
    tml_download(m->be, host, enc->params, sizeof(float) * enc->n_params);
    for (int t = 0; t < TML_ENC_NUM_TENSORS; t++) {
        int64_t cols = tensor_cols(&em->cfg, (TmlEncTensor)t), n = (int64_t)enc->sizes[t];
        if (tml_h5_write_f32(w, tml_encoder_tensor_name((TmlEncTensor)t), host + enc->offsets[t], cols ? n / cols : n,
                             cols, err))
            goto done;
    }
    if (with_optim && enc->grads) {
        int64_t n = (int64_t)(enc->n_params - enc->train_offset);
        if ((o = H5Gcreate2(g, "optimizer", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
            tml_h5_attr_write_i64(o, "freeze", enc->freeze, err))
            goto done;
        tml_download(m->be, host, enc->m, sizeof(float) * (size_t)n);
        if (tml_h5_write_f32(o, "m", host, n, 0, err)) goto done;
        tml_download(m->be, host, enc->v, sizeof(float) * (size_t)n);
        if (tml_h5_write_f32(o, "v", host, n, 0, err)) goto done;
    }
    rc = 0;
done:
    free(host);
    if (o >= 0) H5Gclose(o);
    if (w >= 0) H5Gclose(w);
    H5Gclose(g);
    return rc;
}

static int enc_load(TmlModel *m, hid_t file, int with_optim, TmlError *err) {
    hid_t g = H5Gopen2(file, "encoder", H5P_DEFAULT);
    if (g < 0) return tml_fail(err, "group 'encoder' is missing");
    TmlEncModel fresh = {0}, *em = m->impl ? tml_enc_model(m) : &fresh;
    int rc = -1;
    float *host = NULL;
    hid_t w = -1, o = -1;
    if (m->impl) { /* reload into an initialized model: the best weights of this run */
        TmlEncModel file_em = {0};
        int ok = load_attrs(g, &file_em, err) == 0;
        free(file_em.dir);
        if (!ok) goto done;
        if (!same_cfg(&file_em.cfg, &em->cfg)) {
            tml_fail(err, "the model file holds an encoder of another shape");
            goto done;
        }
    } else {
        if (load_attrs(g, em, err)) goto done;
        if (!(m->impl = malloc(sizeof *em))) {
            tml_fail(err, "out of host memory");
            goto done;
        }
        memcpy(m->impl, em, sizeof *em);
        em = tml_enc_model(m);
        m->n_out = em->cfg.n_classes;
        m->arch = "encoder";
        if (load_file_tokenizer(g, em, err) || !(em->enc = tml_encoder_create(m->be, &em->cfg, err))) goto done;
    }
    TmlEncoder *enc = em->enc;
    if (!(host = malloc(sizeof(float) * enc->n_params))) {
        tml_fail(err, "out of host memory loading the encoder");
        goto done;
    }
    if ((w = H5Gopen2(g, "weights", H5P_DEFAULT)) < 0) {
        tml_fail(err, "group 'encoder/weights' is missing");
        goto done;
    }
    for (int t = 0; t < TML_ENC_NUM_TENSORS; t++) {
        int64_t cols = tensor_cols(&em->cfg, (TmlEncTensor)t), n = (int64_t)enc->sizes[t];
        if (tml_h5_read_f32(w, tml_encoder_tensor_name((TmlEncTensor)t), host + enc->offsets[t], cols ? n / cols : n,
                            cols, err))
            goto done;
    }
    tml_upload(m->be, enc->params, host, sizeof(float) * enc->n_params);
    if (with_optim && tml_h5_exists(g, "optimizer")) {
        int64_t freeze;
        if ((o = H5Gopen2(g, "optimizer", H5P_DEFAULT)) < 0 || tml_h5_attr_read_i64(o, "freeze", &freeze, err) ||
            freeze < 0 || freeze > 2 || tml_encoder_set_trainable(enc, (TmlEncFreeze)freeze, err))
            goto done;
        int64_t n = (int64_t)(enc->n_params - enc->train_offset);
        if (tml_h5_read_f32(o, "m", host, n, 0, err)) goto done;
        tml_upload(m->be, enc->m, host, sizeof(float) * (size_t)n);
        if (tml_h5_read_f32(o, "v", host, n, 0, err)) goto done;
        tml_upload(m->be, enc->v, host, sizeof(float) * (size_t)n);
    }
    tml_sync(m->be);
    rc = 0;
done:
    if (em == &fresh) free(fresh.dir); /* failed before m->impl took it over */
    free(host);
    if (o >= 0) H5Gclose(o);
    if (w >= 0) H5Gclose(w);
    H5Gclose(g);
    return rc;
}

/* ---- new classes (fine-tuning) -------------------------------------------------------------- */

static int enc_grow_classes(TmlModel *m, int new_C, uint64_t seed, TmlError *err) {
    TmlEncModel *em = tml_enc_model(m);
    TmlEncoder *old = em->enc;
    int C = em->cfg.hidden, K = em->cfg.n_classes;
    if (new_C < K) return tml_fail(err, "cannot shrink the head from %d to %d classes", K, new_C);
    TmlEncoderConfig c = em->cfg;
    c.n_classes = new_C;
    TmlEncoder *grown = tml_encoder_create(m->be, &c, err);
    if (!grown || tml_encoder_init_random(grown, seed, TML_ENC_CLSW, TML_ENC_CLSB, err)) {
        tml_encoder_free(grown);
        return -1;
    }
    /* everything but the head as it was; the old classes keep their rows of the head */
    tml_copy(m->be, grown->params, old->params, sizeof(float) * old->offsets[TML_ENC_CLSW]);
    tml_copy(m->be, grown->p[TML_ENC_CLSW], old->p[TML_ENC_CLSW], sizeof(float) * (size_t)K * C);
    tml_copy(m->be, grown->p[TML_ENC_CLSB], old->p[TML_ENC_CLSB], sizeof(float) * (size_t)K);
    tml_encoder_free(old);
    em->enc = grown;
    em->cfg = c;
    m->n_out = new_C;
    return 0;
}

/* The export's model part: the encoder's shape, its tokenizer and every tensor in the model file's
 * layout (docs/export-format.md); served by serve/serve_encoder.c. */
static int enc_export(const TmlModel *m, TmlExport *e, TmlError *err) {
    const TmlEncModel *em = tml_enc_model(m);
    const TmlEncoderConfig *c = &em->cfg;
    const TmlEncoder *enc = em->enc;
    e->format_version = 2; /* encoders are a version-2 feature */
    if (!(e->arch = strdup("encoder")) || !(e->loss = strdup(c->ova ? "ova" : "softmax")) ||
        !(e->bag = strdup(c->pooling == TML_POOL_CLS ? "cls" : "mean")) ||
        tml_tokspec_copy(&e->tok, tml_tokenizer_spec(em->tok)))
        return tml_fail(err, "out of memory exporting the encoder");
    e->in_dim = c->vocab_size, e->dim = c->hidden, e->hidden = c->intermediate, e->n_out = c->n_classes;
    e->enc_layers = c->layers, e->enc_heads = c->heads, e->enc_max_len = em->max_len;
    e->enc_max_positions = c->max_positions, e->enc_pos_offset = c->pos_offset, e->enc_type_vocab = c->type_vocab;
    e->enc_ln_eps = c->ln_eps;
    float *host = malloc(sizeof(float) * enc->n_params);
    if (!host) return tml_fail(err, "out of host memory exporting the encoder");
    tml_download(m->be, host, enc->params, sizeof(float) * enc->n_params);
    for (int t = 0; t < TML_ENC_NUM_TENSORS; t++) {
        int64_t cols = tensor_cols(c, (TmlEncTensor)t), n = (int64_t)enc->sizes[t];
        float *copy = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
        char key[48];
        snprintf(key, sizeof key, "weights/%s", tml_encoder_tensor_name((TmlEncTensor)t));
        if (!copy) {
            free(host);
            return tml_fail(err, "out of host memory exporting the encoder");
        }
        memcpy(copy, host + enc->offsets[t], sizeof(float) * (size_t)n);
        if (tml_export_add_tensor(e, key, cols ? n / cols : n, cols, copy, err)) {
            free(host);
            return -1;
        }
    }
    free(host);
    return 0;
}

static const char *const ENC_KEYS[] = {"model.pretrained", "model.init", "model.pooling", "model.max_len",
                                       "model.loss", "model.dropout", "model.layers", "model.width",
                                       "model.heads", "model.ffn", "model.position_offset", "train.freeze_encoder",
                                       "train.grad_accum", "train.sort_window", NULL};

/* The weights are one device allocation: the best weights are kept as one device copy of it. */
static int enc_weight_views(const TmlModel *m, TmlWeightView *out, int max) {
    const TmlEncModel *em = tml_enc_model(m);
    if (!em || !em->enc) return 0;
    if (max < 1) return -1;
    out[0].w = em->enc->params;
    out[0].n = em->enc->n_params;
    return 1;
}

const TmlFamily tml_family_encoder = {
    .name = "encoder",
    .data = TML_DATA_TEXT,
    .types = (const char *const[]){"encoder", NULL},
    .archs = (const char *const[]){"encoder", NULL},
    .config_keys = ENC_KEYS,
    .configure = enc_configure,
    .init = enc_init,
    .destroy = enc_destroy,
    .same_shape = enc_same_shape,
    .describe = enc_describe,
    .save = enc_save,
    .load = enc_load,
    .train = tml_enc_train,
    .score = enc_score,
    .grow_classes = enc_grow_classes,
    .export_model = enc_export,
    .weight_views = enc_weight_views,
};
