/* training_scores.h — how the model scores on the data it was trained on and on the rows its
 * training held out, for the report's "train / valid / this data" table: a large gap between train
 * and valid is overfitting, between valid and this data a shift. */
#ifndef TICKETML_EVAL_TRAINING_SCORES_H
#define TICKETML_EVAL_TRAINING_SCORES_H

#include "eval/metrics.h"
#include "trainer/modelfile.h"

#define TML_TRAINING_SCORES_MAX_BYTES (256LL << 20) /* larger training files are not re-read */

/* Metrics of lm on its [data] train rows it trained on (*train) and on the rows training held out
 * (*valid: the split of the train file, or the [data] valid file). Either may come back NULL: the
 * file is gone, too large, or nothing was held out; *note (static text) says why when both are
 * NULL. Returns 0, or -1 with err when out of memory or scoring fails. */
int tml_training_scores(TmlLoadedModel *lm, const TmlMetricsOptions *opt, TmlMetrics **train, TmlMetrics **valid,
                        const char **note, TmlError *err);

#endif
