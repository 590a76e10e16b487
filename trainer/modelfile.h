/* modelfile.h — the model / checkpoint file: one HDF5 file holding the format version, the full
 * config text, the fitted features (vocabulary, label names, tabular maps), the model spec and
 * weights, and for checkpoints the optimizer moments and training state. Written to a temporary
 * name, flushed and renamed, so a crash never leaves a torn file. Layout in docs/model-format.md. */
#ifndef TICKETML_TRAINER_MODELFILE_H
#define TICKETML_TRAINER_MODELFILE_H

#include <stdint.h>

#include "data/config.h"
#include "data/dataset.h"
#include "kernels/backend.h"
#include "trainer/model.h"
#include "ticketml/rng.h"

#define TML_MODEL_FORMAT "ticketml-model"
#define TML_MODEL_FORMAT_VERSION 1

/* Where training stands, saved in checkpoints so --resume continues exactly. */
typedef struct TmlTrainState {
    int epoch;            /* epochs completed */
    int64_t step;         /* optimizer steps taken */
    int64_t total_steps;
    TmlRng rng;           /* shuffling RNG at the start of epoch `epoch` (0-based, the next to run) */
    int64_t batch_pos;    /* batches of that epoch already done (a Ctrl-C checkpoint mid-epoch) */
    double best_metric;
    int best_epoch;       /* -1: none yet */
    int bad_epochs;
    int finished;         /* 1 when training ran to its end (or early stop) */
} TmlTrainState;

typedef struct TmlLoadedModel {
    TmlConfig *config;
    TmlFeatures *features;
    TmlModel *model;
    char *task;           /* "intent" | "sentiment" | "churn" | free text from [model] task */
    TmlTrainState state;
    int has_state;
} TmlLoadedModel;

/* Writes path atomically (path.tmp + rename). state NULL: a final model without training state;
 * with_optim adds AdamW moments. */
int tml_modelfile_save(const char *path, const TmlConfig *cfg, const char *task, const TmlFeatures *f,
                       const TmlModel *m, const TmlTrainState *state, int with_optim, TmlError *err);
/* Loads a model onto be. A missing, truncated, foreign or newer-version file is a clear error.
 * with_optim loads AdamW moments when present. Free with tml_loaded_model_free. */
TmlLoadedModel *tml_modelfile_load(const char *path, TmlBackend *be, int with_optim, TmlError *err);
void tml_loaded_model_free(TmlLoadedModel *lm);
/* 16 hex digits of FNV-1a over a file's bytes (reads the whole file: call it only where a report
 * needs it) ("unknown" when unreadable); caller frees. */
char *tml_file_fingerprint(const char *path);

#endif
