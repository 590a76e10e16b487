/* net.h — the first-generation networks as parameters on a backend plus their forward and backward
 * passes: the text classifier (embedding bag -> optional hidden layer -> softmax; the linear model
 * is an embedding bag whose width is the class count) and the tabular classifier (logistic
 * regression or MLP over dense features). All compute goes through kernels/backend.h. The "bag"
 * and "mlp" model families (net_family.c) are built on it; net_train.c is their training loop. */
#ifndef TICKETML_TRAINER_NET_H
#define TICKETML_TRAINER_NET_H

#include <hdf5.h>
#include <stdint.h>

#include "data/dataset.h"
#include "kernels/backend.h"
#include "ticketml/error.h"

typedef enum TmlArch {
    TML_ARCH_LINEAR = 0,   /* text: logits = bag(E) + b, E (V, C) */
    TML_ARCH_EMBED = 1,    /* text: bag(E) (V, D) -> [W1 (D,H) relu] -> W2 -> softmax */
    TML_ARCH_TABULAR = 2,  /* dense X (F) -> [W1 (F,H) relu] -> W2 -> softmax; H = 0: logistic */
} TmlArch;

typedef enum TmlLoss { TML_LOSS_SOFTMAX = 0, TML_LOSS_OVA = 1 } TmlLoss;

typedef struct TmlNetSpec {
    TmlArch arch;
    TmlLoss loss;
    int64_t in_dim;   /* text: feature ids (V); tabular: dense width (F) */
    int dim;          /* text EMBED: embedding width D (LINEAR uses n_out) */
    int hidden;       /* 0 = no hidden layer */
    int n_out;        /* classes C */
    TmlBagMode bag;   /* text: mean or sum (sum with TF-IDF weights) */
} TmlNetSpec;

enum { TML_MAX_PARAMS = 6 };

/* One trainable tensor on the device. Sparse tensors (the embedding table) are updated by rows. */
typedef struct TmlParam {
    char name[24];
    int64_t rows, cols;
    int sparse;
    float *w, *g;     /* (rows, cols) device */
    float *m, *v;     /* AdamW moments (rows, cols) device, allocated on first AdamW step */
} TmlParam;

/* A batch assembled on the host (see trainer/batch.h), uploaded by tml_net_load_batch. */
typedef struct TmlBatch {
    int B;
    int64_t nnz;
    int64_t *offsets;  /* (B+1), offsets[0] = 0; text */
    int32_t *ids;      /* (nnz) */
    float *w;          /* (nnz) or NULL */
    float *dense;      /* (B, F); tabular */
    int32_t *labels;   /* (B) or NULL at inference */
    int32_t *uniq;     /* (n_uniq) distinct ids of the batch, in order of first appearance */
    int n_uniq;
    int32_t *uoff;     /* (n_uniq+1) id uniq[u] occurs at the positions occ[uoff[u] .. uoff[u+1]) */
    int32_t *occ;      /* (nnz) positions into ids, grouped by distinct id, ascending within a group */
    int64_t words;     /* text: words as fastText counts them (trainer/batch.h), when asked */
    TmlEvent *uploaded; /* pinned batches: recorded after their upload (tml_net_load_batch), else NULL */
} TmlBatch;

typedef struct TmlNet {
    TmlNetSpec spec;
    TmlBackend *be;             /* borrowed */
    int n_params;
    TmlParam params[TML_MAX_PARAMS];
    TmlParam *E, *W1, *b1, *W2, *b2; /* views into params (NULL when absent) */
    /* device scratch sized for cap_B rows and cap_nnz ids */
    int cap_B;
    int64_t cap_nnz;
    int64_t *d_offsets;
    int32_t *d_ids, *d_labels, *d_uniq, *d_uoff, *d_occ;
    float *d_w, *d_x, *d_h, *d_a1, *d_logits, *d_probs, *d_dh, *d_da1, *d_targets, *d_cw, *d_losses;
    float *h_targets;           /* host staging for one-vs-all targets (B, C) */
    int has_cw;
    float smoothing;
    int B;      /* rows of the batch currently loaded */
    int n_uniq;
    int has_w;
    int has_occ;                /* the loaded batch lists where its ids occur (d_uoff, d_occ) */
    int freeze_embeddings;      /* fine-tuning: no gradient into the embedding table */
    /* per-example SGD (net_sgd.c): one chunk of examples on the device and the summed loss */
    int64_t sgd_cap_rows, sgd_cap_nnz;
    int64_t *d_sgd_offsets;
    int32_t *d_sgd_ids, *d_sgd_labels;
    float *d_sgd_w, *d_sgd_scratch;
    double *d_loss;             /* (1) device scalar: training losses added up since the last read */
    double *d_norm;             /* (1) device scalar: the last gradient norm, when asked for */
} TmlNet;

/* Allocates the parameters on be and initializes them from seed (embeddings uniform
 * +-1/D as fastText; linear text model and output biases zero; dense layers He/Xavier uniform).
 * Returns NULL with err set when device memory runs out. Free with tml_net_free. */
TmlNet *tml_net_create(TmlBackend *be, const TmlNetSpec *spec, uint64_t seed, TmlError *err);
void tml_net_free(TmlNet *m);
/* Gradient buffers for mini-batch training, allocated on first use (scoring, loading and per-example
 * training need none): every parameter but a frozen embedding table (freeze_embeddings). -1 when
 * out of device memory. Freed with the net. */
int tml_net_alloc_grads(TmlNet *m, TmlError *err);
/* Ensures scratch space for batches of up to B rows and nnz ids. -1 when out of device memory. */
int tml_net_reserve(TmlNet *m, int B, int64_t nnz, TmlError *err);
/* Class weights (C) for the loss, or NULL for none; label smoothing in [0, 1). -1 when out of
 * device memory. */
int tml_net_set_loss_options(TmlNet *m, const float *class_weights, float smoothing, TmlError *err);
/* Uploads a host batch (reserving space as needed). */
int tml_net_load_batch(TmlNet *m, const TmlBatch *b, TmlError *err);
/* Forward on the loaded batch; probabilities land in m->d_probs (B, C). When losses is non-NULL
 * (host, B floats) and the batch has labels, the per-row losses are downloaded into it. */
void tml_net_forward(TmlNet *m, float *losses);
/* The training forward: as tml_net_forward, and the batch's summed row losses are added into the
 * device scalar d_loss without synchronising. -1 when out of device memory for it. */
int tml_net_forward_train(TmlNet *m, TmlError *err);
/* Reads (synchronising) the loss summed into d_loss since the last call (by tml_net_forward_train or
 * tml_net_sgd_chunk) and resets it to 0. */
double tml_net_take_loss(TmlNet *m);
/* Backward of mean loss * scale over the loaded batch: dense grads overwritten, sparse grads
 * accumulated into the touched rows of E.g. Requires a forward on the same batch. */
void tml_net_backward(TmlNet *m, float scale);
/* Frees p's gradient and optimizer moments (a frozen parameter): the optimizer then skips it and
 * checkpoints hold no moments for it. */
void tml_net_drop_training_state(TmlNet *m, TmlParam *p);
/* Total number of scalar parameters. */
int64_t tml_net_n_weights(const TmlNet *m);

/* HDF5: writes every parameter as a dataset under group `weights` of loc (and, when with_optim,
 * AdamW moments under `optimizer`); reading checks names and shapes. */
int tml_net_save_weights(const TmlNet *m, hid_t loc, int with_optim, TmlError *err);
int tml_net_load_weights(TmlNet *m, hid_t loc, int with_optim, TmlError *err);

/* Spec <-> HDF5 attributes of loc. */
int tml_net_spec_save(const TmlNetSpec *s, hid_t loc, TmlError *err);
int tml_net_spec_load(TmlNetSpec *s, hid_t loc, TmlError *err);
const char *tml_net_arch_name(TmlArch a);

/* ---- net_sgd.c: per-example SGD (fastText's step; backend op tml_bag_sgd) ---------------------- */
/* NULL when the net can train with per-example SGD under o's optimizer settings, else why not
 * (a static string naming the setting). */
const char *tml_net_sgd_unsupported(const TmlNet *m, int optimizer_sgd, double weight_decay, double clip);
/* One per-example SGD step for each row of the host batch b, in order, with the step size going
 * linearly from lr0 (first row) to lr1 (one past the last); workers as in TmlBagSgd (1: in order,
 * reproducible; 0: all threads, Hogwild). The summed loss goes to the device scalar (below). Class
 * weights and smoothing as set by tml_net_set_loss_options. -1 when out of device memory. */
int tml_net_sgd_chunk(TmlNet *m, const TmlBatch *b, float lr0, float lr1, int workers, TmlError *err);

/* ---- net_score.c, net_grow.c ------------------------------------------------------------------- */
/* Probabilities (n_rows, n_out) row-major of every row of ds into probs, batch_size rows per forward. */
int tml_net_score(TmlNet *m, const TmlDataset *ds, int batch_size, float *probs, TmlError *err);
/* Returns a new net on the same backend with n_out = new_C >= old->spec.n_out: every weight of
 * old copied, the columns of the new classes initialized from seed as a fresh net would be.
 * The caller frees both (old stays valid). NULL with err set. */
TmlNet *tml_net_grow_classes(const TmlNet *old, int new_C, uint64_t seed, TmlError *err);

#endif
