/* model.h — a model of any family, and the family seam. A family (the embedding-bag text classifier,
 * the tabular MLP, and later the encoder and gradient-boosted trees) fills one TmlFamily table; train,
 * fine-tune, eval, LIME, the model file and the export reach every family through the tml_model_*
 * calls below, so a new family adds its files and one line in trainer/families.c and no command,
 * report or explainer changes. How to add one: docs/architecture.md. */
#ifndef TICKETML_TRAINER_MODEL_H
#define TICKETML_TRAINER_MODEL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "data/config.h"
#include "data/dataset.h"
#include "kernels/backend.h"
#include "serve/export_model.h"
#include "ticketml/error.h"

typedef struct TmlFamily TmlFamily;
typedef struct TmlTrainOptions TmlTrainOptions; /* trainer/train.h */
typedef struct TmlTrainState TmlTrainState;     /* trainer/train.h */

/* A model: which family, on which backend, how many classes; the rest is the family's. */
typedef struct TmlModel {
    const TmlFamily *family;
    TmlBackend *be;   /* borrowed */
    int n_out;        /* classes */
    const char *arch; /* static: the architecture as model files and exports name it ("linear", ...) */
    void *impl;     /* the family's own state (owned; freed by family->destroy) */
} TmlModel;

/* One device tensor of a model's weights (see TmlFamily.weight_views). */
typedef struct TmlWeightView {
    float *w; /* device pointer on m->be */
    size_t n; /* floats */
} TmlWeightView;

/* What a family implements. Every entry is required unless marked optional. m->family and m->be are
 * set before any call. */
struct TmlFamily {
    const char *name;               /* "bag", "mlp": for messages and docs */
    TmlDataKind data;               /* the featurized rows it takes: TML_DATA_TEXT or TML_DATA_TABULAR */
    const char *const *types;       /* [model] type values it trains (NULL-terminated) */
    const char *const *archs;       /* root "arch" attribute values of the model files it reads */
    const char *const *config_keys; /* its own config keys, "section.key" (NULL-terminated); the
                                     * common ones are in trainer/options.c */

    /* Reads the [model] keys for the fitted features f into m (n_out, impl) without allocating
     * weights. type is the [model] type value (NULL: absent, the family's default). A bad key is an
     * error naming the file and key. */
    int (*configure)(TmlModel *m, const char *type, const TmlConfig *cfg, const TmlFeatures *f, TmlError *err);
    /* Allocates and initializes the weights of a configured model from seed. */
    int (*init)(TmlModel *m, uint64_t seed, TmlError *err);
    /* Frees impl and all it holds (m itself belongs to the caller). */
    void (*destroy)(TmlModel *m);
    /* 1 when a and b (configured, initialized or loaded) have the same shape. */
    int (*same_shape)(const TmlModel *a, const TmlModel *b);
    /* One line for progress headers, e.g. "linear model, 20 classes, 206721 features, 4134460 weights". */
    void (*describe)(const TmlModel *m, char *buf, size_t n);
    /* The family's part of a model file (an open HDF5 file): the root attribute "arch" (one of
     * archs), its own attributes and groups; with_optim adds optimizer state. load fills a fresh m
     * (impl NULL), or replaces the weights of an initialized m of the same shape. */
    int (*save)(const TmlModel *m, hid_t file, int with_optim, TmlError *err);
    int (*load)(TmlModel *m, hid_t file, int with_optim, TmlError *err);
    /* Trains m on train, validating on valid (may be NULL); see tml_model_train. */
    int (*train)(TmlModel *m, const TmlDataset *train, const TmlDataset *valid, const TmlTrainOptions *o,
                 TmlTrainState *st, TmlError *err);
    /* Class probabilities of every row of ds into probs (n_rows, n_out); batch_size rows at a time
     * where the family batches. */
    int (*score)(TmlModel *m, const TmlDataset *ds, int batch_size, float *probs, TmlError *err);
    /* Fine-tuning with labels the model has not seen: n_out -> new_C, old classes keep their weights. */
    int (*grow_classes)(TmlModel *m, int new_C, uint64_t seed, TmlError *err);
    /* The model part of an export: e->arch/loss/... and the weights/ tensors (export.c adds the
     * labels and the featurization). */
    int (*export_model)(const TmlModel *m, TmlExport *e, TmlError *err);
    /* Optional. The device tensors that hold m's weights (not its optimizer state), at most max of
     * them, in a fixed order; returns how many (-1: more than max). The trainer keeps the best
     * weights as one device copy of these (no host round trip) and a checkpoint stores that copy.
     * NULL: the best weights are kept as an in-memory model file written by save (host memory; fine
     * for small models such as trees). */
    int (*weight_views)(const TmlModel *m, TmlWeightView *out, int max);
};

/* ---- the registry (trainer/families.c) --------------------------------------------------------- */
/* Every registered family, NULL-terminated, in registration order. */
const TmlFamily *const *tml_families(void);
/* The family training model.type `type`, or NULL. */
const TmlFamily *tml_family_for_type(const char *type);
/* The family reading model files whose "arch" attribute is arch, or NULL. */
const TmlFamily *tml_family_for_arch(const char *arch);

/* ---- models of any family (trainer/model.c) ---------------------------------------------------- */
/* A configured model for features f from the config's [model] type (default: the first family
 * registered for f's data kind) on be; weights come with tml_model_init. NULL with err set on a
 * config error (unknown type, a type for the other data kind, a bad family key). Free with
 * tml_model_free. */
TmlModel *tml_model_configure(const TmlConfig *cfg, const TmlFeatures *f, TmlBackend *be, TmlError *err);
int tml_model_init(TmlModel *m, uint64_t seed, TmlError *err);
void tml_model_free(TmlModel *m);
int tml_model_same_shape(const TmlModel *a, const TmlModel *b);
void tml_model_describe(const TmlModel *m, char *buf, size_t n);
/* Trains m. st holds the state to start from (tml_train_state_init for a fresh run, a checkpoint's
 * for --resume) and the state at the end. Returns 0 when training finished, 1 when interrupted by
 * Ctrl-C (checkpoint written), -1 on error (a diverged loss included). On return m holds the best
 * weights seen (or the last when there was no validation); writing the model file is the caller's
 * (trainer/run.c writes it once, after checking the model scores finite probabilities). */
int tml_model_train(TmlModel *m, const TmlDataset *train, const TmlDataset *valid, const TmlTrainOptions *o,
                    TmlTrainState *st, TmlError *err);
/* Class probabilities (n_rows, n_out) of every row of ds into probs. */
int tml_model_score(TmlModel *m, const TmlDataset *ds, int batch_size, float *probs, TmlError *err);
/* The same into a malloc'd array (caller frees); NULL with err set. */
float *tml_model_score_new(TmlModel *m, const TmlDataset *ds, int batch_size, TmlError *err);
int tml_model_grow_classes(TmlModel *m, int new_C, uint64_t seed, TmlError *err);
/* The model part of a model file (see TmlFamily.save / load). load reads the root "arch"
 * attribute, picks the family and returns a new model on be (NULL with err set). */
int tml_model_save(const TmlModel *m, hid_t file, int with_optim, TmlError *err);
TmlModel *tml_model_load(hid_t file, TmlBackend *be, int with_optim, TmlError *err);
int tml_model_export(const TmlModel *m, TmlExport *e, TmlError *err);

#endif
