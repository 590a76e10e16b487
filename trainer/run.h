/* run.h — a training run end to end, as `ticketml train` and `ticketml finetune` ask for it (the role
 * of fastText's fasttext.cc): config -> features (fitted, cached, or the base model's) -> model of
 * the configured family (new, resumed or grown) -> training -> best model on disk -> scores of the
 * valid and test splits. The CLI parses arguments, calls tml_run_train and prints. */
#ifndef TICKETML_TRAINER_RUN_H
#define TICKETML_TRAINER_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "data/config.h"
#include "kernels/backend.h"
#include "trainer/train.h"

/* One line on a scored split: "accuracy A  macro-F1 F  [ROC-AUC R  PR-AUC P]  log-loss L  (n rows)". */
typedef int (*TmlSummaryFn)(const float *probs, const int32_t *labels, int64_t n, int C, int positive, char *buf,
                            size_t len, TmlError *err);

/* The metrics a run needs, from eval/metrics.h (tml_metrics_meter): the trainer may not include
 * eval/, so the caller hands them in. */
typedef struct TmlMeter {
    TmlMetricFn value;    /* the validation metric */
    TmlSummaryFn summary; /* the valid / test lines after training */
} TmlMeter;

typedef struct TmlRunRequest {
    const char *cmd;             /* "train" | "finetune": names the command in warnings */
    const char *config_path;
    const char *const *sets;     /* --set overrides, n_sets of them */
    int n_sets;
    const char *out;             /* the model file to write; OUT.ckpt is the checkpoint */
    const char *from;            /* fine-tuning: the model to start from; NULL: a new model */
    const char *device;          /* NULL: the config's train.device, else auto */
    const char *cache;           /* new model: featurized dataset cache to use / write (may be NULL) */
    const char *log_json;        /* one JSON line per validation (may be NULL) */
    int resume;                  /* new model: continue from OUT.ckpt */
    int quiet;
    const TmlMeter *meter;
} TmlRunRequest;

typedef struct TmlRunResult {
    char valid[512], test[512];  /* the score lines ("" when the split is absent) */
    char ckpt[4096];             /* the checkpoint (written at epoch ends and on Ctrl-C) */
} TmlRunResult;

/* Runs the training rq describes. Returns the exit status: 0 done (res filled), 1 failure, 2 bad
 * input (config, data or model file), 130 interrupted by Ctrl-C (checkpoint in res->ckpt); err is
 * set for 1 and 2. Progress and warnings go to stderr unless quiet. */
int tml_run_train(const TmlRunRequest *rq, TmlRunResult *res, TmlError *err);

/* The backend for --device (NULL: the config's train.device when cfg is given, else auto). */
TmlBackend *tml_run_backend(const char *device, const TmlConfig *cfg, int quiet, TmlError *err);

#endif
