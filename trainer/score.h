/* score.h — batched inference: probabilities for every row of a featurized dataset, computed on
 * the model's backend. Used by validation, `ticketml eval` and the explainers. */
#ifndef TICKETML_TRAINER_SCORE_H
#define TICKETML_TRAINER_SCORE_H

#include "data/dataset.h"
#include "trainer/model.h"

/* Returns malloc'd probabilities (n_rows, n_out) row-major (caller frees), NULL with err set. */
float *tml_score_dataset(TmlModel *m, const TmlDataset *ds, int batch_size, TmlError *err);

#endif
