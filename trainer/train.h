/* train.h — what every family's training loop shares: the [train] options, the state a checkpoint
 * saves, and the steps around the updates (validation with early stopping, the best weights kept
 * in memory, checkpoints on a time interval and on Ctrl-C, the stop on a diverged loss, progress
 * lines, the JSON log, class weights). The mini-batch loop of the bag and mlp families is
 * net_train.c; a new family writes its own loop from these steps (docs/architecture.md).
 *
 * Config keys read here ([train]; see docs/config.md): optimizer = adamw|sgd, lr, schedule =
 * linear|cosine|constant, warmup, epochs, batch_size, weight_decay, clip, label_smoothing,
 * class_weight = none|balanced|sqrt_balanced, seed, metric = accuracy|macro_f1|roc_auc|log_loss,
 * patience, eval_every, freeze_embeddings, beta1, beta2, eps, checkpoint_every. */
#ifndef TICKETML_TRAINER_TRAIN_H
#define TICKETML_TRAINER_TRAIN_H

#include <stdint.h>
#include <stdio.h>

#include "data/config.h"
#include "data/dataset.h"
#include "ticketml/rng.h"
#include "trainer/model.h"
#include "trainer/optim.h"

/* Validation metric supplied by the caller (eval/metrics.h's tml_metrics_value: the trainer may not
 * include eval/). Returns the metric value for probs (n, C) against labels (n; -1 ignored) and,
 * from the same computation, the accuracy in *accuracy. */
/* What a training run keeps beside the model (trainer/train.c): the best weights seen (device
 * memory for families with weight views, else an in-memory model file) and the checkpoint clock.
 * tml_model_train makes one when the options carry none; a resumed run gets the checkpoint's. */
typedef struct TmlTrainKeep TmlTrainKeep;

typedef double (*TmlMetricFn)(void *ctx, const char *metric, const float *probs, const int32_t *labels, int64_t n,
                              int C, int positive, double *accuracy);

struct TmlTrainOptions {
    int epochs, batch_size;
    uint64_t seed;
    double label_smoothing;
    int class_weight_balanced; /* 0 none, 1 balanced, 2 sqrt_balanced */
    char metric[32];           /* validation metric name */
    int higher_is_better;      /* derived from metric */
    int patience;              /* evaluations without improvement before stopping; 0 = never stop early */
    int64_t eval_every;        /* steps between validations; 0 = once per epoch */
    int freeze_embeddings;     /* fine-tuning: leave the embedding table as loaded */
    int freeze_embeddings_set; /* the config names train.freeze_embeddings; when it does not, a family may
                                  choose its own default (encoders: frozen for vocabularies of 100k+) */
    TmlOptimConfig opt;
    double checkpoint_every;   /* seconds between checkpoints (train.checkpoint_every, default 10m); 0: on Ctrl-C only */
    /* output and monitoring */
    int quiet;
    FILE *log_json;            /* one JSON object per validation, or NULL */
    const char *log_path;      /* its name, for messages */
    const char *out_path;      /* where the run writes the model at its end (for messages here) */
    const char *ckpt_path;     /* checkpoint (weights + optimizer + state + best weights) every
                                * checkpoint_every and on Ctrl-C; NULL: none */
    TmlTrainKeep *keep;        /* the best weights and the checkpoint clock (NULL: tml_model_train makes one) */
    const TmlConfig *cfg;      /* saved into model files */
    const TmlFeatures *features;
    const char *task;
    TmlMetricFn metric_fn;
    void *metric_ctx;
};

/* One validation of a run, as the model file keeps it (docs/model-format.md, group training_log). */
#define TML_TRAIN_LOG_MAX 256
typedef struct TmlTrainLogEntry {
    double epoch;          /* 1-based epoch (or boosting round) */
    double step;           /* optimizer steps (trees for boosting) */
    double train_loss;     /* mean training loss since the previous entry (NaN when not known) */
    double valid_metric;   /* the run's train.metric on the validation rows */
    double valid_accuracy;
    double elapsed_s;
} TmlTrainLogEntry;

/* Where training stands, saved in checkpoints so --resume continues exactly. */
struct TmlTrainState {
    int epoch;            /* epochs completed */
    int64_t step;         /* optimizer steps taken */
    int64_t total_steps;
    TmlRng rng;           /* shuffling RNG at the start of epoch `epoch` (0-based, the next to run) */
    int64_t batch_pos;    /* batches of that epoch already done (a Ctrl-C checkpoint mid-epoch) */
    double best_metric;
    int best_epoch;       /* -1: none yet */
    int bad_epochs;
    int finished;         /* 1 when training ran to its end (or early stop) */
    int n_log;            /* the training curve so far: one entry per validation, at most
                           * TML_TRAIN_LOG_MAX (when full, every other one is dropped, so the log
                           * spans the whole run) */
    TmlTrainLogEntry log[TML_TRAIN_LOG_MAX];
    char log_metric[32];  /* the metric's name */
};

/* Appends one validation to st's training log (see n_log). */
void tml_train_log_add(TmlTrainState *st, const char *metric, double train_loss, double valid_metric,
                       double valid_accuracy, double elapsed_s);

/* Reads [train] keys into o (defaults for absent keys). Errors name the file:line and key. */
int tml_train_options_from_config(const TmlConfig *cfg, TmlTrainOptions *o, TmlError *err);
/* A fresh state for seed. */
void tml_train_state_init(TmlTrainState *st, uint64_t seed, int higher_is_better);

/* ---- steps of a training loop ---------------------------------------------------------------- */
/* Seconds on a monotonic clock. */
double tml_train_now(void);
/* Ctrl-C and SIGTERM set a flag instead of killing the process while training runs. */
typedef struct TmlTrainSignals TmlTrainSignals;
/* Installs the handlers (and the TICKETML_INTERRUPT_AT_STEP test hook); NULL when out of memory.
 * Restored and freed by tml_train_signals_end. */
TmlTrainSignals *tml_train_signals_begin(void);
void tml_train_signals_end(TmlTrainSignals *s);
/* 1 once Ctrl-C came (or step reached the test hook's step, which raises SIGINT). */
int tml_train_interrupted(TmlTrainSignals *s, int64_t step);

/* Progress: one updating line on a terminal, a plain line every few seconds otherwise. */
typedef struct TmlProgress {
    int tty, quiet;
    const char *unit; /* what tokens_s counts: "tok" (NULL) or e.g. "words" */
    double last, t0;
} TmlProgress;
void tml_progress_init(TmlProgress *p, int quiet);
/* 1 when a progress line would print now: lets a loop read device scalars only then. */
int tml_progress_due(const TmlProgress *p);
void tml_progress_show(TmlProgress *p, int force, int epoch, int epochs, double frac, double loss, double lr,
                       double samples_s, double tokens_s, double eta);

/* Scores valid, updates the best/bad counters in st and keeps the best weights in memory (o->keep),
 * prints the validation line and the JSON log line. A non-finite training loss or validation
 * probability stops training (see tml_train_check_loss). Returns 1 when training should stop early,
 * 0 to go on, -1 on error. */
int tml_train_validate(TmlModel *m, const TmlDataset *valid, const TmlTrainOptions *o, TmlTrainState *st,
                       double train_loss, double elapsed, TmlError *err);
/* -1 with a message that names the epoch and step and suggests a lower train.lr (and says which
 * checkpoint is kept) when loss is NaN or infinite; 0 otherwise. Loops call it wherever the loss
 * reaches the host anyway. */
int tml_train_check_loss(const TmlTrainOptions *o, const TmlTrainState *st, double loss, TmlError *err);
/* After each optimizer step: on Ctrl-C writes a checkpoint and returns 1 (stop); when
 * o->checkpoint_every has passed since the last checkpoint writes one and returns 0; else 0.
 * st is the live state; epoch_rng the RNG at this epoch's start and batch_pos the batches of this
 * epoch done, so a resumed run replays the epoch's order and skips them. -1 on error. */
int tml_train_after_step(TmlModel *m, const TmlTrainOptions *o, const TmlTrainState *st, const TmlRng *epoch_rng,
                         int64_t batch_pos, TmlTrainSignals *sig, TmlError *err);
/* Writes the checkpoint o->ckpt_path now (no-op without one): m with its optimizer state, st, and
 * the best weights kept so far. Restarts the checkpoint clock. */
int tml_train_checkpoint(TmlModel *m, const TmlTrainOptions *o, const TmlTrainState *st, TmlError *err);
/* At the end of a loop: the best weights back into m (validated runs that kept some). The model
 * file is written once, by the caller of tml_model_train (trainer/run.c). */
int tml_train_finish(TmlModel *m, const TmlDataset *valid, const TmlTrainOptions *o, const TmlTrainState *st,
                     TmlError *err);

/* ---- the kept weights (TmlTrainKeep) ------------------------------------------------------------ */
TmlTrainKeep *tml_train_keep_new(void);
void tml_train_keep_free(TmlTrainKeep *k);
/* 1 when k holds best weights. */
int tml_train_keep_has_best(const TmlTrainKeep *k);
/* Copies m's weights into k (the best so far) / puts them back into m. -1 when out of memory. */
int tml_train_keep_take(TmlTrainKeep *k, const TmlModel *m, TmlError *err);
int tml_train_keep_restore(const TmlTrainKeep *k, TmlModel *m, TmlError *err);
/* The best weights as the checkpoint's group "best" of file (nothing when k has none) / read back
 * for model m (same shape as when written); NULL result with err empty when the file has none. */
int tml_train_keep_save(const TmlTrainKeep *k, const TmlModel *m, hid_t file, TmlError *err);
TmlTrainKeep *tml_train_keep_load(hid_t file, const TmlModel *m, TmlError *err);

/* Seconds for a duration value: "90", "90s", "10m", "2h", "0" (off). -1 when malformed. */
double tml_train_parse_duration(const char *s);

/* Class weights for o->class_weight_balanced (balanced: n / (C * count_c), scikit-learn's; sqrt:
 * their square root), malloc'd (C); NULL with *none = 1 when no weighting is asked, NULL with
 * *none = 0 when out of memory. */
float *tml_train_class_weights(const TmlDataset *d, int C, int mode, int *none);

#endif
