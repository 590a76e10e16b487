/* global_explain.h — what a text model learned, for the whole model rather than one ticket: the
 * words and word pairs that push it most toward each class. Every family is asked the same way,
 * through its own score: each frequent word (and pair) of the evaluated tickets becomes a one-word
 * ticket, and its score is how much more probable a class gets than for an empty ticket,
 * log p(class | word) - log p(class | empty). For the linear and embedding-bag models that is what
 * the weights say; for any other family (the encoder) it is the same question asked of the model. */
#ifndef TICKETML_EVAL_GLOBAL_EXPLAIN_H
#define TICKETML_EVAL_GLOBAL_EXPLAIN_H

#include "data/dataset.h"
#include "trainer/modelfile.h"

typedef struct TmlGlobalExplanation {
    int C, k;        /* classes; n-grams kept per class */
    int *n;          /* (C) n-grams kept for each class (<= k) */
    char **words;    /* (C, k) the n-grams, best first */
    double *scores;  /* (C, k) their scores (log-probability gain over the empty ticket) */
    int n_candidates; /* n-grams asked about */
} TmlGlobalExplanation;

/* The k n-grams with the largest positive score per class, over the most frequent words (up to
 * 2000) and adjacent word pairs (up to 1000) in at least 3 of ds's texts. NULL with err set when
 * out of memory or scoring fails; free with tml_global_explanation_free. */
TmlGlobalExplanation *tml_global_explain_text(TmlLoadedModel *lm, const TmlDataset *ds, int k, TmlError *err);
void tml_global_explanation_free(TmlGlobalExplanation *g);

#endif
