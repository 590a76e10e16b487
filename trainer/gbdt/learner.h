/* learner.h — grows one regression tree on the backend from binned features and (gradient,
 * hessian) pairs, as LightGBM's serial tree learner does: the root's histogram, then repeatedly
 * the best leaf is split (leaf-wise: largest gain; depth-wise: shallowest first), its rows are
 * partitioned, the smaller child's histogram is built and the larger one's is the parent's minus
 * it. Only split records (a few hundred bytes) come back to the host per split. */
#ifndef TICKETML_TRAINER_GBDT_LEARNER_H
#define TICKETML_TRAINER_GBDT_LEARNER_H

#include <stdint.h>

#include "kernels/backend.h"
#include "trainer/gbdt/binner.h"
#include "ticketml/error.h"

typedef struct TmlGbdtGrowParams {
    TmlGbdtSplitParams split;
    int max_leaves;       /* >= 2 */
    int max_depth;        /* 0: no limit */
    int depthwise;        /* 1: split the shallowest splittable leaf first (level by level) */
    double learning_rate; /* leaf values are lr * -G / (H + lambda_l2) */
} TmlGbdtGrowParams;

typedef struct TmlGbdtLearner TmlGbdtLearner;

/* A learner for N rows of binned features d_bins (N, F) on be (borrowed, as is binner), with room
 * for trees of up to max_leaves leaves. NULL with err set when device memory runs out. Free with
 * tml_gbdt_learner_free. */
TmlGbdtLearner *tml_gbdt_learner_new(TmlBackend *be, const TmlGbdtBinner *binner, const uint8_t *d_bins, int64_t N,
                                     int max_leaves, TmlError *err);
void tml_gbdt_learner_free(TmlGbdtLearner *L);
/* The device row list (N) the next tree grows on: fill its first n_root entries (ascending rows)
 * before tml_gbdt_learner_grow, or call tml_gbdt_learner_all_rows. */
int32_t *tml_gbdt_learner_rows(TmlGbdtLearner *L);
/* Sets the row list to 0..N-1. */
void tml_gbdt_learner_all_rows(TmlGbdtLearner *L);

/* Grows a tree on d_gh (device (N, 2)) over the first n_root rows of the row list (all_rows: they
 * are 0..N-1), with the features where d_used[f] != 0 (device (F); NULL: all).
 * *nodes / *cats point into the learner (valid until the next grow): tree-local indices, root 0.
 * Returns 0, or -1 with err set. */
int tml_gbdt_learner_grow(TmlGbdtLearner *L, const float *d_gh, int64_t n_root, int all_rows, const uint8_t *d_used,
                          const TmlGbdtGrowParams *p, const TmlGbdtNode **nodes, int *n_nodes, const uint32_t **cats,
                          int *n_cats, TmlError *err);

/* Adds the last grown tree's leaf values to score column k of d_scores (device (N, K)) for the
 * rows it was grown on (tml_gbdt_leaf_add over its leaves' row ranges): the same floats as
 * predicting the tree on those rows. */
void tml_gbdt_learner_add_scores(TmlGbdtLearner *L, float *d_scores, int K, int k);

#endif
