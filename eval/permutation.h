/* permutation.h — which attributes a tabular model leans on, for any family: shuffle one column
 * (all its one-hot outputs together) across the rows, score through the family's own score, and
 * see how much the metric falls (ROC-AUC for binary models, accuracy otherwise). A column the model
 * ignores costs nothing when shuffled. */
#ifndef TICKETML_EVAL_PERMUTATION_H
#define TICKETML_EVAL_PERMUTATION_H

#include "data/dataset.h"
#include "trainer/modelfile.h"

/* Importance of every input column of lm's tabular features on the labelled rows of ds (at most
 * 20,000, a seeded sample beyond): *names (n) a malloc'd array of names borrowed from the features
 * and *drop (n) malloc'd (caller frees both arrays); *metric names what fell. Returns n, or -1
 * with err set. */
int tml_permutation_importance(TmlLoadedModel *lm, const TmlDataset *ds, const char *const **names, double **drop,
                               const char **metric, TmlError *err);

#endif
