/* split.h — deterministic stratified train/valid/test assignment when data has no split column. */
#ifndef TICKETML_DATA_SPLIT_H
#define TICKETML_DATA_SPLIT_H

#include <stdint.h>

#include "ticketml/error.h"

enum { TML_SPLIT_TRAIN = 0, TML_SPLIT_VALID = 1, TML_SPLIT_TEST = 2 };

/* Assigns each row of labels[0..n) (class indices, n_classes of them) to a split so each class is
 * divided in the given fractions (rounded per class; train takes the remainder). The same seed
 * and input give the same assignment on every machine. out: (n). Returns 0, or -1 with err set
 * when out of memory. */
int tml_split_stratified(const int32_t *labels, int64_t n, int n_classes, double valid_frac,
                         double test_frac, uint64_t seed, uint8_t *out, TmlError *err);

#endif
