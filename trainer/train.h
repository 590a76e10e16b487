/* train.h — the training loop: shuffled mini-batches on the backend, learning-rate schedule,
 * validation every epoch (or every N steps), early stopping with the best weights kept,
 * checkpoints at epoch ends and on Ctrl-C, progress lines, a JSON log per evaluation.
 *
 * Config keys read here ([model], [train]; see docs/config.md):
 *   [model] task, type = linear|embedding|mlp|logistic, dim, hidden, loss = softmax|ova, bag = auto|mean|sum
 *   [train] optimizer = adamw|sgd, lr, schedule = linear|cosine|constant, warmup, epochs, batch_size,
 *           weight_decay, clip, label_smoothing, class_weight = none|balanced|sqrt_balanced, seed,
 *           metric = accuracy|macro_f1|roc_auc|log_loss, patience, eval_every, freeze_embeddings */
#ifndef TICKETML_TRAINER_TRAIN_H
#define TICKETML_TRAINER_TRAIN_H

#include <stdio.h>

#include "data/config.h"
#include "data/dataset.h"
#include "trainer/model.h"
#include "trainer/modelfile.h"
#include "trainer/optim.h"

/* Validation metric supplied by the caller (the CLI passes eval/'s metrics, which the trainer may
 * not depend on). Returns the metric value for probs (n, C) against labels (n; -1 ignored) and,
 * from the same computation, the accuracy in *accuracy. */
typedef double (*TmlMetricFn)(void *ctx, const char *metric, const float *probs, const int32_t *labels, int64_t n,
                              int C, int positive, double *accuracy);

typedef struct TmlTrainOptions {
    int epochs, batch_size;
    uint64_t seed;
    double label_smoothing;
    int class_weight_balanced; /* 0 none, 1 balanced, 2 sqrt_balanced */
    char metric[32];           /* validation metric name */
    int higher_is_better;      /* derived from metric */
    int patience;              /* evaluations without improvement before stopping; 0 = never stop early */
    int64_t eval_every;        /* steps between validations; 0 = once per epoch */
    int freeze_embeddings;     /* fine-tuning: leave the embedding table as loaded */
    TmlOptimConfig opt;
    /* output and monitoring */
    int quiet;
    FILE *log_json;            /* one JSON object per validation, or NULL */
    const char *out_path;      /* the best model is written here whenever validation improves */
    const char *ckpt_path;     /* checkpoint (weights + optimizer + state) at epoch ends and on Ctrl-C */
    const TmlConfig *cfg;      /* saved into model files */
    const TmlFeatures *features;
    const char *task;
    TmlMetricFn metric_fn;
    void *metric_ctx;
} TmlTrainOptions;

/* Reads [train] keys into o (defaults for absent keys). Errors name the file:line and key. */
int tml_train_options_from_config(const TmlConfig *cfg, TmlTrainOptions *o, TmlError *err);
/* Builds the model spec from [model] keys and the fitted features. */
int tml_model_spec_from_config(const TmlConfig *cfg, const TmlFeatures *f, TmlModelSpec *spec, TmlError *err);
/* Every config key ticketml knows, NULL-terminated, for typo detection. */
extern const char *const TML_KNOWN_CONFIG_KEYS[];

/* Trains m on train, validating on valid (may be NULL: no early stopping). st holds the state to
 * start from (zeroed + seeded for a fresh run, loaded for --resume) and the state at the end.
 * Returns 0 when training finished, 1 when interrupted by Ctrl-C (checkpoint written), -1 on error.
 * On return m holds the best weights seen (or the last when there was no validation). */
int tml_train(TmlModel *m, const TmlDataset *train, const TmlDataset *valid, const TmlTrainOptions *o,
              TmlTrainState *st, TmlError *err);

/* A fresh state for seed. */
void tml_train_state_init(TmlTrainState *st, uint64_t seed, int higher_is_better);

#endif
