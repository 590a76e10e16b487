/* model.h — a gradient-boosted tree classifier as a whole: which dense tabular columns feed which
 * tree feature (numeric value, or the index of the hot category of a categorical column), the bin
 * edges, the ensemble, and the class layout (binary: one score column for the positive class;
 * more classes: one per class, softmax). Scores and probabilities for featurized rows come from
 * the backend's predict op; the model saves itself as the `gbdt` group of a model file. */
#ifndef TICKETML_TRAINER_GBDT_MODEL_H
#define TICKETML_TRAINER_GBDT_MODEL_H

#include <hdf5.h>
#include <stdint.h>

#include "data/tabular.h"
#include "kernels/backend.h"
#include "trainer/gbdt/binner.h"
#include "trainer/gbdt/ensemble.h"
#include "ticketml/error.h"

typedef struct TmlGbdtInputs {
    int F;
    int dim;         /* dense width the mapping reads */
    int32_t *src;    /* (F) dense column (the first one-hot column of a categorical feature) */
    int32_t *n_cats; /* (F) 0: numeric feature = dense[src]; k > 0: categorical feature = the index
                       * of the column among dense[src .. src+k) holding 1 (none: missing) */
    char **names;    /* (F) */
} TmlGbdtInputs;

typedef struct TmlGbdtModel {
    int n_classes; /* labels */
    int positive;  /* binary: label index of the positive class (score column 0 is its logit) */
    TmlGbdtInputs in;
    TmlGbdtBinner *binner; /* NULL until fitted */
    TmlGbdtEnsemble *ens;  /* NULL until trained */
} TmlGbdtModel;

/* A model over the columns of tab (numeric columns one feature each; categorical/boolean columns
 * one categorical feature each when native, else one numeric feature per one-hot column), for
 * n_classes labels (positive: the binary positive class). Caller frees with tml_gbdt_model_free. */
TmlGbdtModel *tml_gbdt_model_new(const TmlTabular *tab, int n_classes, int positive, int native_categorical,
                                 TmlError *err);
void tml_gbdt_model_free(TmlGbdtModel *m);
/* Score columns: 1 for two classes, else n_classes. */
int tml_gbdt_model_score_columns(const TmlGbdtModel *m);
/* Tree features of n dense rows (n, in.dim) into x (n, F). */
void tml_gbdt_model_inputs(const TmlGbdtModel *m, const float *dense, int64_t n, float *x);
/* Raw scores (n, K) of n dense rows (base + trees), malloc'd (caller frees); NULL with err set. */
float *tml_gbdt_model_scores(const TmlGbdtModel *m, TmlBackend *be, const float *dense, int64_t n, TmlError *err);
/* Probabilities (n, n_classes) from scores (n, K), in place into probs. */
void tml_gbdt_model_probs(const TmlGbdtModel *m, const float *scores, int64_t n, float *probs);
/* Probabilities (n, n_classes) of n dense rows, malloc'd (caller frees); NULL with err set. */
float *tml_gbdt_model_predict(const TmlGbdtModel *m, TmlBackend *be, const float *dense, int64_t n, TmlError *err);

/* HDF5 group `gbdt` under loc (docs/model-format.md). */
int tml_gbdt_model_save(const TmlGbdtModel *m, hid_t loc, TmlError *err);
TmlGbdtModel *tml_gbdt_model_load(hid_t loc, TmlError *err);

#endif
