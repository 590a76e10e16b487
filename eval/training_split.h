/* training_split.h — the rows of a model's own training file that its training held out: the same
 * stratified split training made (labels, [data] valid_frac / test_frac, seed). The drift monitor
 * compares a model's outputs on them instead of on rows it learned; reports put train and
 * held-out scores side by side. */
#ifndef TICKETML_EVAL_TRAINING_SPLIT_H
#define TICKETML_EVAL_TRAINING_SPLIT_H

#include <stdint.h>

#include "data/dataset.h"
#include "trainer/modelfile.h"

/* 1 when path is the file lm was trained on ([data] train of its config). */
int tml_training_is_train_file(const TmlLoadedModel *lm, const char *path);

/* For ds featurized from lm's training file: *mask (n_rows, malloc'd, caller frees) gets 1 for the
 * rows training held out (validation and test) and 0 for those it trained on. Returns how many
 * were held out; 0 (mask NULL) when training split nothing off (a separate valid file) or ds has a
 * row without a label; -1 with err when out of memory. */
int64_t tml_training_holdout(const TmlLoadedModel *lm, const TmlDataset *ds, uint8_t **mask, TmlError *err);

#endif
