/* batch.h — gathers rows of a featurized dataset (in a shuffled order) into host batches, and
 * lists the distinct embedding rows a batch touches so updates stay sparse, with where each occurs,
 * so a backward pass can sum every row's gradient in one place and in bag order (no atomics).
 * On a GPU the batches live in pinned memory, two in turn: the next is assembled while the previous
 * one's upload and step run, and an event recorded after its upload guards each buffer's reuse. */
#ifndef TICKETML_TRAINER_BATCH_H
#define TICKETML_TRAINER_BATCH_H

#include <stdint.h>

#include "data/dataset.h"
#include "kernels/backend.h"
#include "trainer/net.h"

typedef struct TmlBatcher {
    const TmlDataset *ds;  /* borrowed */
    int64_t in_dim;        /* feature ids (text) or dense width (tabular) */
    int max_B;
    TmlBackend *pin;       /* borrowed: pinned buffers and events from it, or NULL (malloc, one buffer) */
    TmlBatch slots[2];     /* host arrays owned by the batcher; fill alternates when pinned */
    int64_t cap_nnz[2];
    int cur;               /* the slot the last fill used */
    int want_uniq;
    uint32_t *stamp;       /* (in_dim) text: last batch serial that touched each id */
    int32_t *slot;         /* (in_dim) text: that id's index in batch.uniq (valid when stamped) */
    uint32_t serial;
    int64_t word_ids;      /* text: ids below this are vocabulary words (0: do not count words) */
} TmlBatcher;

/* Creates a batcher for batches of up to max_B rows; with pin (a GPU backend) its batches are in
 * pinned memory, double-buffered, each with the event tml_net_load_batch records after uploading
 * it. NULL when out of memory. Free with tml_batcher_free (the pin backend must outlive it). */
TmlBatcher *tml_batcher_new(const TmlDataset *ds, int64_t in_dim, int max_B, int want_uniq);
TmlBatcher *tml_batcher_new_pinned(const TmlDataset *ds, int64_t in_dim, int max_B, int want_uniq, TmlBackend *pin);
void tml_batcher_free(TmlBatcher *b);
/* Assembles rows order[start .. start+n) (order NULL = identity) into the next buffer and returns
 * it (after waiting, when pinned, until that buffer's last upload has completed). Labels are copied
 * when the dataset has them. With b->word_ids > 0 it also counts the batch's words into
 * batch.words as fastText counts its input: each word of a row (here: the row's ids below word_ids,
 * its vocabulary words, which are all its tokens when min_count = 1), plus one for the label and
 * one for the end of the line. NULL on allocation failure. */
const TmlBatch *tml_batcher_fill(TmlBatcher *b, const int64_t *order, int64_t start, int n);

#endif
