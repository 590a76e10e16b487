/* binner.h — quantile binning of the tree features: each numeric feature gets at most max_bins
 * value bins cut at quantiles of the training values (every distinct value its own bin when there
 * are few), each categorical feature one bin per category code; NaN goes to the missing bin
 * (index n_bins). Fitted on train only, saved with the model; the trees store the bins' upper edges
 * as float thresholds, so prediction on values reaches the same leaves as training on bins. */
#ifndef TICKETML_TRAINER_GBDT_BINNER_H
#define TICKETML_TRAINER_GBDT_BINNER_H

#include <hdf5.h>
#include <stdint.h>

#include "kernels/backend.h"
#include "ticketml/error.h"

typedef struct TmlGbdtBinner {
    int F;
    int NB;                /* histogram stride: max over features of n_bins + 1 */
    TmlGbdtFeature *feats; /* (F) n_bins, categorical */
    int64_t *upper_off;    /* (F + 1) offsets into upper */
    float *upper;          /* numeric feature f: n_bins ascending upper edges, the last +inf;
                             * value x is in the first bin b with x <= upper[b] (categorical: none) */
} TmlGbdtBinner;

/* Fits bins on x (n, F) row-major (NaN = missing; categorical[f] != 0: x holds category codes
 * 0..n_cats[f]-1). At most max_bins (2..255) value bins per feature; quantiles come from at most
 * sample rows drawn with seed (all rows when n <= sample). Caller frees with tml_gbdt_binner_free. */
TmlGbdtBinner *tml_gbdt_binner_fit(const float *x, int64_t n, int F, const int *categorical, const int *n_cats,
                                   int max_bins, int64_t sample, uint64_t seed, TmlError *err);
void tml_gbdt_binner_free(TmlGbdtBinner *b);
/* Bin of value x in feature f. */
int tml_gbdt_binner_bin(const TmlGbdtBinner *b, int f, float x);
/* Bins of x (n, F) row-major into out (n, F) row-major. */
void tml_gbdt_binner_apply(const TmlGbdtBinner *b, const float *x, int64_t n, uint8_t *out);
/* Upper edge of bin `bin` of numeric feature f (the split threshold on values). */
float tml_gbdt_binner_threshold(const TmlGbdtBinner *b, int f, int bin);

/* HDF5 group `name` under loc (docs/model-format.md). */
int tml_gbdt_binner_save(const TmlGbdtBinner *b, hid_t loc, const char *name, TmlError *err);
TmlGbdtBinner *tml_gbdt_binner_load(hid_t loc, const char *name, TmlError *err);

#endif
