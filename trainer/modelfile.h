/* modelfile.h — the model / checkpoint file: one HDF5 file holding the format version, the full
 * config text, the fitted features (vocabulary, label names, tabular maps), the model's own part
 * (written and read by its family: architecture, shape, weights; for checkpoints the optimizer
 * state) and for checkpoints the training state and the best weights so far. Built in memory,
 * checksummed (CRC-32C in the HDF5 user block), written to a temporary name, fsynced and renamed:
 * a crash or a full disk never leaves a torn file, and a damaged file is refused on load. Weights
 * that are NaN or infinite are refused on save and on load. Layout in docs/model-format.md. */
#ifndef TICKETML_TRAINER_MODELFILE_H
#define TICKETML_TRAINER_MODELFILE_H

#include <stdint.h>

#include "data/config.h"
#include "data/dataset.h"
#include "kernels/backend.h"
#include "trainer/model.h"
#include "trainer/train.h"

#define TML_MODEL_FORMAT "ticketml-model"
#define TML_MODEL_FORMAT_VERSION 2 /* 2: checksum block, best weights in checkpoints */

typedef struct TmlLoadedModel {
    TmlConfig *config;
    TmlFeatures *features;
    TmlModel *model;
    char *task;           /* "intent" | "sentiment" | "churn" | free text from [model] task */
    TmlTrainState state;  /* a checkpoint's state; its n_log/log also hold a final model's training curve */
    int has_state;
    TmlTrainKeep *keep;   /* checkpoints: the best weights kept so far (NULL when none); owned */
} TmlLoadedModel;

/* Writes path atomically (built in memory, checksummed, temp name + fsync + rename). state NULL: a
 * final model without training state; with_optim adds the optimizer state. */
int tml_modelfile_save(const char *path, const TmlConfig *cfg, const char *task, const TmlFeatures *f,
                       const TmlModel *m, const TmlTrainState *state, int with_optim, TmlError *err);
/* The final model of a training run: no training state, but the run's training curve (log->log,
 * group training_log) so reports can draw it. */
int tml_modelfile_save_final(const char *path, const TmlConfig *cfg, const char *task, const TmlFeatures *f,
                             const TmlModel *m, const TmlTrainState *log, TmlError *err);
/* The same for a checkpoint, with the best weights kept so far (keep may be NULL). */
int tml_modelfile_save_checkpoint(const char *path, const TmlConfig *cfg, const char *task, const TmlFeatures *f,
                                  const TmlModel *m, const TmlTrainState *state, int with_optim,
                                  const TmlTrainKeep *keep, TmlError *err);
/* Loads a model onto be. A missing, truncated, damaged (checksum), foreign or newer-version file, or
 * one with non-finite weights, is a clear error. with_optim loads the optimizer state and a
 * checkpoint's best weights when present. Free with tml_loaded_model_free. */
TmlLoadedModel *tml_modelfile_load(const char *path, TmlBackend *be, int with_optim, TmlError *err);
void tml_loaded_model_free(TmlLoadedModel *lm);
/* 16 hex digits of FNV-1a over a file's bytes (reads the whole file: call it only where a report
 * needs it) ("unknown" when unreadable); caller frees. */
char *tml_file_fingerprint(const char *path);
/* The tickets file behind a tabular model's history features: given (--tickets), else the model's
 * own [data] tickets when it uses history; ${TICKETML_DATA} expanded. NULL when there is none;
 * the caller frees. */
char *tml_loaded_model_tickets(const TmlLoadedModel *lm, const char *given);

#endif
