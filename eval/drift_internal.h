/* drift_internal.h — what the drift monitor's files share (eval/drift*.c only): the scored rows of
 * one side and the steps tml_drift_run calls in turn. */
#ifndef TICKETML_EVAL_DRIFT_INTERNAL_H
#define TICKETML_EVAL_DRIFT_INTERNAL_H

#include <stdint.h>

#include "data/dataset.h"
#include "data/table.h"
#include "eval/drift.h"

/* One side (reference or current), read, featurized and scored. */
typedef struct TmlDriftRows {
    const TmlTable *table;  /* the file's cells (time column, raw values) */
    const TmlDataset *ds;   /* the model's features of every row, labels (-1: none / unknown) */
    const float *probs;     /* (n, C) through the model family's score */
    int32_t *pred;          /* (n) predicted class (argmax; binary: the threshold rule) */
    float *conf;            /* (n) probability of the predicted class */
    int32_t *n_tokens;      /* (n) text: tokens of the ticket */
    int32_t *n_unseen;      /* (n) text: of those, tokens the reference's held-out half never had */
} TmlDriftRows;

/* Text input drift (drift_text.c): unseen-token and vocabulary shares, tokens per ticket, script
 * mix, the words and word pairs that moved most with an example ticket each; fills the per-row
 * token counts of both sides. 0, or -1 with err (out of memory). */
int tml_drift_text_input(const TmlDriftRequest *rq, const TmlFeatures *f, TmlDriftRows *ref, TmlDriftRows *cur,
                         TmlDriftResult *r, TmlError *err);

/* Tabular input drift (drift_tabular.c): every attribute, history and engineered column of the
 * model's features, numeric (PSI, JS, KS, Wasserstein) or categorical (PSI, JS over the categories
 * the model knows plus "(other)"). 0, or -1 with err. */
int tml_drift_tabular_input(const TmlFeatures *f, const TmlDriftRows *ref, const TmlDriftRows *cur, TmlDriftResult *r,
                            TmlError *err);

/* The time view (drift_time.c): rows of each side per day / week / month of the time column.
 * 0 (no column: nothing done), -1 with err (out of memory), 2 with err (the column is missing). */
int tml_drift_time_view(const TmlDriftRequest *rq, const char *col, const TmlDriftRows *ref, const TmlDriftRows *cur,
                        TmlDriftResult *r, TmlError *err);

/* Adds a check to r (name and what copied): failed when value is past limit and p_value (NaN: no
 * test) is below r->limits.alpha. 0, or -1 when out of memory. */
int tml_drift_add_check(TmlDriftResult *r, const char *name, const char *what, double value, double limit, int upper,
                        double p_value);

#endif
