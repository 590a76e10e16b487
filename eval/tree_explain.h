/* tree_explain.h — explanations that read a tree ensemble directly: exact TreeSHAP contributions
 * of each tree feature to one row's score (Lundberg, Erion and Lee 2018, algorithm 2, with node
 * row counts as the background), and the gain-based global importance of each feature. */
#ifndef TICKETML_EVAL_TREE_EXPLAIN_H
#define TICKETML_EVAL_TREE_EXPLAIN_H

#include "trainer/gbdt/ensemble.h"
#include "ticketml/error.h"

/* SHAP values of row x (F tree features: values, NaN missing, category codes) for every score
 * column: phi (K, F + 1) row-major, phi[k*(F+1) + f] the contribution of feature f to score k and
 * phi[k*(F+1) + F] the expected score (base + every tree's count-weighted mean leaf). Their sum is
 * the row's score exactly up to rounding. Returns 0, or -1 with err set (out of memory). */
int tml_treeshap_row(const TmlGbdtEnsemble *e, const float *x, int F, double *phi, TmlError *err);

/* Gain importance: gain[f] = the summed split gain of feature f over all trees, normalised to sum 1
 * (all 0 when no tree splits); splits[f] = how many nodes split on it (may be NULL). */
void tml_gbdt_importance(const TmlGbdtEnsemble *e, int F, double *gain, int64_t *splits);

#endif
