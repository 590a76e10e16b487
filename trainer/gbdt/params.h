/* params.h — the hyperparameters of gradient-boosted trees, read from the config: tree shape and
 * split rules in [model], boosting in [train] (every key in docs/gbdt.md and docs/config.md). */
#ifndef TICKETML_TRAINER_GBDT_PARAMS_H
#define TICKETML_TRAINER_GBDT_PARAMS_H

#include <stdint.h>

#include "data/config.h"
#include "trainer/gbdt/learner.h"

typedef struct TmlGbdtParams {
    TmlGbdtGrowParams grow; /* split rules, max_leaves, max_depth, growth, learning rate */
    int rounds;             /* boosting rounds (one tree per class each) this run adds */
    double subsample;       /* share of rows drawn per round (1: all) */
    double colsample;       /* share of features drawn per tree (1: all) */
    int max_bins;           /* value bins per feature, 2..255 */
    int64_t bin_sample;     /* rows the bin edges are computed from */
    int native_categorical; /* 1: categorical columns are single features split by category sets;
                              * 0: their one-hot columns are numeric features */
    int patience;           /* rounds without validation improvement before stopping; 0: never */
    int class_weight;       /* 0 none, 1 balanced, 2 sqrt_balanced */
    uint64_t seed;
    char metric[32]; /* validation metric (accuracy | macro_f1 | roc_auc | log_loss) */
    int higher_is_better;
} TmlGbdtParams;

/* Defaults (LightGBM's and scikit-learn's where they agree) overridden by the config. Errors name
 * file:line and key. */
int tml_gbdt_params_from_config(const TmlConfig *cfg, TmlGbdtParams *p, TmlError *err);

#endif
