/* gbdt_split.c — CPU reference for split finding: every used feature's best split by the scan in
 * kernels/gbdt_common.h (numeric thresholds with the missing bin tried on both sides, categorical
 * one-vs-rest or sorted by gradient statistics), then the best over features. */
#include "kernels/cpu/cpu_ops.h"
#include "kernels/gbdt_common.h"

void tml_cpu_gbdt_split_find(void *ctx, TmlGbdtSplit *out, const double *hist, const TmlGbdtFeature *feats, int F,
                             int NB, const uint8_t *feat_used, const TmlGbdtSplitParams *p) {
    /* the same reduction as gbdt_reduce, streamed: no per-feature array to allocate */
    int idx[TML_GBDT_MAX_BINS];
    TmlGbdtSplit best, cur;
    memset(&best, 0, sizeof best);
    best.feature = -1;
    best.bin = -1;
    int have_totals = 0;
    for (int f = 0; f < F; f++) {
        if (feat_used && !feat_used[f]) continue;
        gbdt_feature_best(hist + (size_t)f * NB * 3, &feats[f], f, p, &cur, idx);
        if (!have_totals) {
            best.g[2] = cur.g[2];
            best.h[2] = cur.h[2];
            best.n[2] = cur.n[2];
            have_totals = 1;
        }
        if (cur.feature >= 0 && (best.feature < 0 || cur.gain > best.gain)) best = cur;
    }
    *out = best;
}
