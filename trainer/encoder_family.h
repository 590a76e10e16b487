/* encoder_family.h — internal to trainer/: what the encoder family (encoder_family.c: config, model
 * file, scoring, new classes) shares with its training loop (encoder_train.c). A TmlModel's impl is
 * a TmlEncModel: the pretrained encoder (trainer/encoder.h) plus its tokenizer and the settings
 * that turn ticket texts into its batches. */
#ifndef TICKETML_TRAINER_ENCODER_FAMILY_H
#define TICKETML_TRAINER_ENCODER_FAMILY_H

#include "data/tokenizer.h"
#include "trainer/encoder.h"
#include "trainer/model.h"
#include "trainer/train.h"

typedef struct TmlEncModel {
    TmlEncoderConfig cfg; /* the shape: config.json + [model] keys (configured) or the model file (loaded) */
    char *dir;            /* the Hugging Face folder (absolute): tokenizer, and the weights at init */
    int init_random;      /* model.init = random: [model] shape keys, weights from the seed (tests) */
    int max_len;          /* tokens per text, [CLS] and [SEP] included */
    /* training settings from the family's [train] keys (not saved: each run's config sets them,
     * tml_enc_train_keys) */
    int freeze_encoder, grad_accum, sort_window;
    TmlTokenizer *tok;    /* loaded at init / load */
    TmlEncoder *enc;      /* NULL until initialized or loaded */
    /* while a frozen encoder trains: the validation set's pooled vectors, computed once, so each
     * validation runs the head only (cleared when training ends) */
    const TmlDataset *cached_ds;
    float *cached_pooled; /* (cached_ds->n_rows, C) */
} TmlEncModel;

static inline TmlEncModel *tml_enc_model(const TmlModel *m) { return (TmlEncModel *)m->impl; }

/* Without train.freeze_embeddings in the config, a word-embedding table of this many rows or more is
 * frozen: a multilingual vocabulary (XLM-R's 250k pieces) whose rows a task's texts mostly never
 * touch, and whose AdamW state alone would be 8 x V x C bytes (0.7 GiB for multilingual-e5-small). */
#define TML_ENC_FREEZE_VOCAB 100000

/* What a run trains: the head only (train.freeze_encoder), all but the word embeddings
 * (train.freeze_embeddings, or unset with a vocabulary of TML_ENC_FREEZE_VOCAB+), or everything. */
TmlEncFreeze tml_enc_freeze_of(const TmlEncModel *em, const TmlTrainOptions *o);

/* Reads train.grad_accum, train.sort_window and train.freeze_encoder from cfg into em. */
int tml_enc_train_keys(const TmlConfig *cfg, TmlEncModel *em, TmlError *err);

/* Token ids of every row of ds (its raw texts) as CSR: row i is ids[offsets[i] .. offsets[i+1]),
 * [CLS] ... [SEP] cut to max_len. Caller frees both. -1 with err on a dataset without texts or out
 * of memory. */
int tml_enc_tokenize(const TmlEncModel *em, const TmlDataset *ds, int64_t **offsets, int32_t **ids, TmlError *err);

/* A padded batch of rows rows[0..B) of a tokenized dataset: ids (B, T) with T the longest row,
 * lens (B) and labels (B, or NULL). The buffers are the caller's, sized for B x max_len. */
void tml_enc_fill_batch(const TmlEncModel *em, const int64_t *offsets, const int32_t *ids, const int32_t *labels,
                        const int64_t *rows, int B, int32_t *b_ids, int32_t *b_lens, int32_t *b_labels,
                        TmlEncBatch *out);

/* Pooled encoder outputs (n_rows, C) of every row of ds into pooled (no dropout), in
 * length-sorted batches of up to B rows. */
int tml_enc_pool_rows(TmlModel *m, const TmlDataset *ds, int B, float *pooled, TmlError *err);

/* The training loop (encoder_train.c); see tml_model_train. */
int tml_enc_train(TmlModel *m, const TmlDataset *train, const TmlDataset *valid, const TmlTrainOptions *o,
                  TmlTrainState *st, TmlError *err);

#endif
