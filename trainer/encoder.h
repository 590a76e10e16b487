/* encoder.h — a BERT-style transformer encoder (post-LayerNorm, exact GELU, learned positions,
 * token-type embeddings, padding mask) with mean or [CLS] pooling, dropout and a linear
 * classification head, trained in the llm.c manner: every parameter in one device allocation carved
 * by a size table, gradients and AdamW moments mirroring it, activations likewise; the forward is a
 * list of backend calls and the backward the same list reversed. Loading a Hugging Face folder is in
 * trainer/encoder_load.c. All compute goes through kernels/backend.h. */
#ifndef TICKETML_TRAINER_ENCODER_H
#define TICKETML_TRAINER_ENCODER_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/backend.h"
#include "ticketml/error.h"

typedef struct TmlEncoderConfig {
    int vocab_size;    /* V */
    int max_positions; /* P: rows of the position table */
    int type_vocab;    /* token-type rows (2 for BERT, 1 for XLM-R) */
    int hidden;        /* C */
    int layers;        /* L */
    int heads;         /* NH; C % NH == 0 */
    int intermediate;  /* F, the FFN width */
    float ln_eps;      /* LayerNorm epsilon (1e-12 for BERT, 1e-5 for XLM-R) */
    int pos_offset;    /* position id of token 0: 0 for BERT, pad_token_id + 1 = 2 for XLM-R */
    int pad_id;        /* the padding token id */
    float hidden_dropout; /* after the embedding LN and after each sublayer's output projection */
    float attn_dropout;   /* on the attention probabilities */
    float cls_dropout;    /* on the pooled vector before the head */
    TmlPoolMode pooling;
    int n_classes;        /* K, the head's width */
    int ova;              /* 1: one-vs-all sigmoid head, 0: softmax */
} TmlEncoderConfig;

/* The parameter tensors, in storage order: word embeddings first and the head last, so a frozen
 * prefix (the word embeddings, or the whole encoder) is one contiguous range that gets no gradient
 * and no optimizer state. Per-layer tensors are stacked over L. Q, K and V are one (3C, C) matrix
 * (rows: Q, then K, then V) so their projection is one GEMM. */
typedef enum TmlEncTensor {
    TML_ENC_WTE,      /* (V, C) word embeddings */
    TML_ENC_WPE,      /* (P, C) position embeddings */
    TML_ENC_WTT,      /* (type_vocab, C) token-type embeddings */
    TML_ENC_LNE_W,    /* (C) embedding LayerNorm */
    TML_ENC_LNE_B,    /* (C) */
    TML_ENC_QKVW,     /* (L, 3C, C) */
    TML_ENC_QKVB,     /* (L, 3C) */
    TML_ENC_ATTPROJW, /* (L, C, C) attention output projection */
    TML_ENC_ATTPROJB, /* (L, C) */
    TML_ENC_LN1W,     /* (L, C) LayerNorm after attention + residual */
    TML_ENC_LN1B,     /* (L, C) */
    TML_ENC_FCW,      /* (L, F, C) FFN up */
    TML_ENC_FCB,      /* (L, F) */
    TML_ENC_FCPROJW,  /* (L, C, F) FFN down */
    TML_ENC_FCPROJB,  /* (L, C) */
    TML_ENC_LN2W,     /* (L, C) LayerNorm after FFN + residual */
    TML_ENC_LN2B,     /* (L, C) */
    TML_ENC_CLSW,     /* (K, C) head */
    TML_ENC_CLSB,     /* (K) */
    TML_ENC_NUM_TENSORS
} TmlEncTensor;

/* What is trained: everything, everything but the word embeddings, or the head only. */
typedef enum TmlEncFreeze {
    TML_ENC_TRAIN_ALL = 0,
    TML_ENC_FREEZE_EMBEDDINGS = 1, /* the word-embedding table (the 250k x 384 one of XLM-R) */
    TML_ENC_FREEZE_ENCODER = 2,    /* everything but the head */
} TmlEncFreeze;

/* A batch on the host: B sequences of up to T tokens, padded at the end with pad_id. */
typedef struct TmlEncBatch {
    int B, T;
    const int32_t *ids;    /* (B, T) token ids */
    const int32_t *lens;   /* (B) real tokens per row, 1 <= lens[b] <= T */
    const int32_t *labels; /* (B) class ids, or NULL at inference */
} TmlEncBatch;

/* Bytes a run needs, for the progress header (see tml_encoder_memory). */
typedef struct TmlEncMemory {
    size_t weights;     /* every parameter */
    size_t grads;       /* gradients of the trained parameters */
    size_t optimizer;   /* AdamW moments of the trained parameters */
    size_t activations; /* kept for the backward at batch B x T, plus workspace */
} TmlEncMemory;

typedef struct TmlEncoder {
    TmlEncoderConfig cfg;
    TmlBackend *be; /* borrowed */
    /* parameters: one allocation carved by the size table */
    size_t sizes[TML_ENC_NUM_TENSORS], offsets[TML_ENC_NUM_TENSORS];
    size_t n_params;
    float *params;                    /* (n_params) device */
    float *p[TML_ENC_NUM_TENSORS];    /* views into params */
    /* training state, mirroring params from the first trained tensor on */
    TmlEncFreeze freeze;
    size_t train_offset;              /* params before this offset are frozen */
    float *grads, *m, *v;             /* (n_params - train_offset) device, NULL until needed */
    float *g[TML_ENC_NUM_TENSORS];    /* views into grads; NULL for frozen tensors */
    /* activations: one allocation sized for cap_B x cap_T, carved per batch by its own B x T */
    int cap_B, cap_T, cap_train;
    float *acts;
    size_t act_floats;
    int32_t *d_ids, *d_pos, *d_type, *d_lens, *d_labels; /* (cap_B*cap_T) ids, (cap_B) lens, labels */
    float *h_targets, *d_targets;     /* one-vs-all targets (cap_B, K) */
    /* the batch of the last forward */
    int B, T, training, has_labels, head_only;
    uint64_t step_seed;               /* dropout seed of the last training forward */
    float *d_cw;                      /* (K) softmax class weights, or NULL */
    float smoothing;                  /* softmax label smoothing */
} TmlEncoder;

/* Checks a config (sizes positive, C % NH == 0, rates in [0, 1)); -1 with a message naming the
 * field otherwise. `what` names the source (a config.json path) for the message. */
int tml_encoder_config_check(const TmlEncoderConfig *cfg, const char *what, TmlError *err);

/* Allocates the parameters on be (uninitialised; see tml_encoder_init_random and
 * tml_encoder_load_hf). NULL with err set on a bad config or when device memory runs out.
 * Free with tml_encoder_free. */
TmlEncoder *tml_encoder_create(TmlBackend *be, const TmlEncoderConfig *cfg, TmlError *err);
void tml_encoder_free(TmlEncoder *m);

/* BERT's initialisation from seed: weights normal(0, 0.02), biases 0, LayerNorm weights 1. Only the
 * tensors in [first, last] (inclusive) are written, so a pretrained encoder gets a fresh head with
 * (TML_ENC_CLSW, TML_ENC_CLSB). Returns -1 when host memory runs out. */
int tml_encoder_init_random(TmlEncoder *m, uint64_t seed, TmlEncTensor first, TmlEncTensor last, TmlError *err);

/* Sets what is trained and allocates gradients (zeroed) and AdamW moments (zeroed) for it; -1 when
 * device memory runs out. Call before the first backward. */
int tml_encoder_set_trainable(TmlEncoder *m, TmlEncFreeze freeze, TmlError *err);

/* Softmax loss options: class weights cw (K floats on the host, copied; NULL for none) and label
 * smoothing in [0, 1). The one-vs-all head takes neither (-1 with err). */
int tml_encoder_set_loss(TmlEncoder *m, const float *cw, float smoothing, TmlError *err);

/* Ensures activation space for batches of up to B x T tokens (training = 1 keeps what the backward
 * needs). -1 with err when device memory runs out or T exceeds the position table. */
int tml_encoder_reserve(TmlEncoder *m, int B, int T, int training, TmlError *err);

/* Frees the activation space (the next forward reserves again): after a frozen encoder's one pass
 * over the data, before its head trains on small batches. */
void tml_encoder_release_activations(TmlEncoder *m);

/* Forward over a host batch: uploads it, runs the encoder, pools, and computes the head's logits,
 * probabilities and (with labels) per-row losses. training = 1 applies dropout with masks drawn from
 * seed (one seed per step; every dropout site derives its own). Reserves space as needed; -1 with
 * err on failure (out of memory, T too long, an id outside the vocabulary). */
int tml_encoder_forward(TmlEncoder *m, const TmlEncBatch *batch, int training, uint64_t seed, TmlError *err);

/* The head alone on pooled vectors given on the host (B, C): training a frozen encoder's head on
 * pooled outputs computed once. Same outputs, and the same backward with TML_ENC_FREEZE_ENCODER, as
 * the head part of tml_encoder_forward. */
int tml_encoder_forward_head(TmlEncoder *m, const float *pooled /*(B,C)*/, int B, const int32_t *labels /*(B)*/,
                             int training, uint64_t seed, TmlError *err);

/* Backward of (loss_scale * sum of the row losses) of the last forward, which must have had labels
 * and must have reserved training space (dropout masks are recomputed from its seed; a forward
 * with training = 0 backpropagates through the dropout-free graph). Gradients accumulate
 * (+=) into m->grads, so several batches can be summed before an update; tml_encoder_zero_grad
 * clears them. Tensors frozen by tml_encoder_set_trainable get none and are not back-propagated
 * into (a frozen encoder stops at the head). */
void tml_encoder_backward(TmlEncoder *m, float loss_scale);
void tml_encoder_zero_grad(TmlEncoder *m);

/* AdamW step t (>= 1) on the trained tensors: weight decay wd on matrices and embeddings, none on
 * biases and LayerNorm parameters. */
void tml_encoder_update(TmlEncoder *m, float lr, float b1, float b2, float eps, float wd, int t);

/* Device pointers into the last forward's results. */
const float *tml_encoder_pooled(const TmlEncoder *m); /* (B, C) pooled encoder output, before dropout */
const float *tml_encoder_probs(const TmlEncoder *m);  /* (B, K) */
const float *tml_encoder_losses(const TmlEncoder *m); /* (B) per-row losses (labels given) */

/* Bytes needed for batches of B x T at the given freeze setting and mode. */
TmlEncMemory tml_encoder_memory(const TmlEncoderConfig *cfg, TmlEncFreeze freeze, int B, int T, int training,
                                size_t attention_saved_floats, size_t attention_scratch_floats);
/* The name of tensor t ("wte", "qkvw", ...): checkpoint dataset names and messages. */
const char *tml_encoder_tensor_name(TmlEncTensor t);
/* 1 when AdamW's weight decay applies to tensor t (not biases or LayerNorm parameters). */
int tml_encoder_tensor_decays(TmlEncTensor t);

/* ---- trainer/encoder_load.c: Hugging Face folders --------------------------------------------- */
/* Reads DIR/config.json (BERT or XLM-R family, absolute positions, gelu) into cfg's encoder fields;
 * pooling, n_classes, ova and the dropout rates other than the file's are left to the caller
 * (cls_dropout defaults to hidden_dropout). -1 with a message naming the file and key. */
int tml_encoder_config_from_hf(const char *dir, TmlEncoderConfig *cfg, TmlError *err);
/* Reads DIR/model.safetensors (float32) into every encoder tensor of m (not the head); tensor names
 * may carry a "bert." or "roberta." prefix. -1 with a message naming the file and tensor. */
int tml_encoder_load_hf(TmlEncoder *m, const char *dir, TmlError *err);

#endif
