/* batch.h — gathers rows of a featurized dataset (in a shuffled order) into host batches, and
 * lists the distinct embedding rows a batch touches so updates stay sparse, with where each occurs,
 * so a backward pass can sum every row's gradient in one place and in bag order (no atomics). */
#ifndef TICKETML_TRAINER_BATCH_H
#define TICKETML_TRAINER_BATCH_H

#include <stdint.h>

#include "data/dataset.h"
#include "trainer/net.h"

typedef struct TmlBatcher {
    const TmlDataset *ds;  /* borrowed */
    int64_t in_dim;        /* feature ids (text) or dense width (tabular) */
    int max_B;
    TmlBatch batch;        /* host arrays owned by the batcher */
    int64_t cap_nnz;
    uint32_t *stamp;       /* (in_dim) text: last batch serial that touched each id */
    int32_t *slot;         /* (in_dim) text: that id's index in batch.uniq (valid when stamped) */
    uint32_t serial;
    int64_t word_ids;      /* text: ids below this are vocabulary words (0: do not count words) */
} TmlBatcher;

/* Creates a batcher for batches of up to max_B rows. Free with tml_batcher_free. */
TmlBatcher *tml_batcher_new(const TmlDataset *ds, int64_t in_dim, int max_B, int want_uniq);
void tml_batcher_free(TmlBatcher *b);
/* Assembles rows order[start .. start+n) (order NULL = identity) into b->batch and returns it.
 * Labels are copied when the dataset has them. With b->word_ids > 0 it also counts the batch's
 * words into batch.words as fastText counts its input: each word of a row (here: the row's ids
 * below word_ids, its vocabulary words, which are all its tokens when min_count = 1), plus one for
 * the label and one for the end of the line. NULL on allocation failure. */
const TmlBatch *tml_batcher_fill(TmlBatcher *b, const int64_t *order, int64_t start, int n);

#endif
