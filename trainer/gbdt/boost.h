/* boost.h — the boosting loop for gradient-boosted trees: gradients of the objective (binary
 * logistic or softmax, with class weights) on the backend, one tree per class per round grown by
 * the learner on a row and feature sample, scores updated through the predict op, validation
 * after every round with early stopping (the best round is kept), periodic checkpoints and
 * Ctrl-C, progress lines and a JSON log. Resuming (or fine-tuning on new data) continues from the
 * trees a model already has. */
#ifndef TICKETML_TRAINER_GBDT_BOOST_H
#define TICKETML_TRAINER_GBDT_BOOST_H

#include <stdio.h>

#include "data/dataset.h"
#include "trainer/gbdt/model.h"
#include "trainer/gbdt/params.h"
#include "trainer/modelfile.h"
#include "trainer/train.h"

typedef struct TmlGbdtTrainOptions {
    TmlGbdtParams params;
    int quiet;
    FILE *log_json;        /* one JSON object per round (validation) or NULL */
    TmlMetricFn metric_fn; /* validation metric (required when there is a validation set) */
    void *metric_ctx;
    /* Saves a checkpoint of m with state st (NULL: none). Called every checkpoint_every_s seconds
     * of training and on Ctrl-C. */
    int (*checkpoint)(void *ctx, const TmlGbdtModel *m, const TmlTrainState *st, TmlError *err);
    void *checkpoint_ctx;
    double checkpoint_every_s;
} TmlGbdtTrainOptions;

/* Trains m (inputs set; bins fitted here on train when m->binner is NULL; trees appended to
 * m->ens, created with base scores from the train labels when NULL) for o->params.rounds rounds
 * counted by st->epoch (a fresh state starts at 0; a checkpoint's continues). With valid, stops
 * after params.patience rounds without improvement and keeps the trees of the best round.
 * Returns 0 when finished, 1 when interrupted (checkpoint written), -1 on error. */
int tml_gbdt_train(TmlGbdtModel *m, TmlBackend *be, const TmlDataset *train, const TmlDataset *valid,
                   const TmlGbdtTrainOptions *o, TmlTrainState *st, TmlError *err);

#endif
