/* ensemble.h — a boosted tree ensemble as flat arrays: every tree's nodes one after another (a
 * tree's root first, children after their parent, child indices absolute), the 256-bit category
 * sets of categorical splits, and per tree its root and the score column (class) it adds to. This
 * is the layout the backend's predict ops read, the model file stores and the export ships. */
#ifndef TICKETML_TRAINER_GBDT_ENSEMBLE_H
#define TICKETML_TRAINER_GBDT_ENSEMBLE_H

#include <hdf5.h>
#include <stdint.h>

#include "kernels/backend.h"
#include "ticketml/error.h"

typedef struct TmlGbdtEnsemble {
    int K;       /* score columns: 1 (binary logistic) or the class count (softmax) */
    float *base; /* (K) initial scores */
    int n_trees, cap_trees;
    int32_t *roots;  /* (n_trees) index of each tree's root node; tree t spans roots[t] .. next root */
    int32_t *tclass; /* (n_trees) score column of each tree */
    int64_t n_nodes, cap_nodes;
    TmlGbdtNode *nodes; /* (n_nodes) */
    int64_t n_cats, cap_cats;
    uint32_t *cats; /* (n_cats, TML_GBDT_CAT_WORDS) */
} TmlGbdtEnsemble;

/* An empty ensemble with K score columns and base scores base (K). NULL when out of memory. Free
 * with tml_gbdt_ensemble_free. */
TmlGbdtEnsemble *tml_gbdt_ensemble_new(int K, const float *base);
void tml_gbdt_ensemble_free(TmlGbdtEnsemble *e);
/* Appends one tree given with tree-local indices (children and cat sets counted from 0 within
 * nodes / cats); it adds to score column k. -1 with err set when out of memory. */
int tml_gbdt_ensemble_add(TmlGbdtEnsemble *e, const TmlGbdtNode *nodes, int n_nodes, const uint32_t *cats, int n_cats,
                          int k, TmlError *err);
/* Keeps the first n_trees trees. */
void tml_gbdt_ensemble_truncate(TmlGbdtEnsemble *e, int n_trees);
/* Node count of tree t. */
int64_t tml_gbdt_ensemble_tree_size(const TmlGbdtEnsemble *e, int t);
/* Checks every index against the arrays (children after their parent and inside their tree,
 * features < F, bins inside their feature, category sets present, classes < K). */
int tml_gbdt_ensemble_validate(const TmlGbdtEnsemble *e, int F, TmlError *err);

/* HDF5 group `name` under loc: base, roots, tclass, node_* columns, cats (docs/model-format.md). */
int tml_gbdt_ensemble_save(const TmlGbdtEnsemble *e, hid_t loc, const char *name, TmlError *err);
TmlGbdtEnsemble *tml_gbdt_ensemble_load(hid_t loc, const char *name, TmlError *err);

#endif
