/* batch.c — host-side batch assembly: CSR windows rebased to 0, dense rows copied, distinct ids
 * found with a per-id stamp array (O(nnz) per batch, no sorting, no clearing). */
#include "trainer/batch.h"

#include <stdlib.h>
#include <string.h>

TmlBatcher *tml_batcher_new(const TmlDataset *ds, int64_t in_dim, int max_B, int want_uniq) {
    TmlBatcher *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->ds = ds;
    b->in_dim = in_dim;
    b->max_B = max_B;
    b->batch.labels = malloc((size_t)max_B * sizeof(int32_t));
    if (ds->kind == TML_DATA_TABULAR) {
        b->batch.dense = malloc((size_t)max_B * (size_t)in_dim * sizeof(float));
        if (!b->batch.labels || !b->batch.dense) goto fail;
    } else {
        b->batch.offsets = malloc((size_t)(max_B + 1) * sizeof(int64_t));
        if (want_uniq) {
            b->stamp = calloc((size_t)in_dim, sizeof(uint32_t));
            b->slot = malloc((size_t)in_dim * sizeof(int32_t));
        }
        if (!b->batch.labels || !b->batch.offsets || (want_uniq && (!b->stamp || !b->slot))) goto fail;
    }
    return b;
fail:
    tml_batcher_free(b);
    return NULL;
}

void tml_batcher_free(TmlBatcher *b) {
    if (!b) return;
    free(b->batch.offsets);
    free(b->batch.ids);
    free(b->batch.w);
    free(b->batch.dense);
    free(b->batch.labels);
    free(b->batch.uniq);
    free(b->batch.uoff);
    free(b->batch.occ);
    free(b->stamp);
    free(b->slot);
    free(b);
}

static int grow(TmlBatcher *b, int64_t nnz) {
    if (nnz <= b->cap_nnz) return 0;
    int64_t cap = b->cap_nnz ? b->cap_nnz : 4096;
    while (cap < nnz) cap *= 2;
    int32_t *ids = realloc(b->batch.ids, (size_t)cap * sizeof(int32_t));
    if (!ids) return -1;
    b->batch.ids = ids;
    int32_t *uniq = realloc(b->batch.uniq, (size_t)cap * sizeof(int32_t));
    if (!uniq) return -1;
    b->batch.uniq = uniq;
    if (b->stamp) {
        int32_t *occ = realloc(b->batch.occ, (size_t)cap * sizeof(int32_t));
        if (!occ) return -1;
        b->batch.occ = occ;
        int32_t *uoff = realloc(b->batch.uoff, ((size_t)cap + 1) * sizeof(int32_t));
        if (!uoff) return -1;
        b->batch.uoff = uoff;
    }
    if (b->ds->w) {
        float *w = realloc(b->batch.w, (size_t)cap * sizeof(float));
        if (!w) return -1;
        b->batch.w = w;
    }
    b->cap_nnz = cap;
    return 0;
}

const TmlBatch *tml_batcher_fill(TmlBatcher *b, const int64_t *order, int64_t start, int n) {
    const TmlDataset *ds = b->ds;
    TmlBatch *out = &b->batch;
    TML_ASSERT(n <= b->max_B);
    out->B = n;
    for (int i = 0; i < n; i++) {
        int64_t r = order ? order[start + i] : start + i;
        out->labels[i] = ds->labels ? ds->labels[r] : -1;
    }
    if (ds->kind == TML_DATA_TABULAR) {
        for (int i = 0; i < n; i++) {
            int64_t r = order ? order[start + i] : start + i;
            memcpy(out->dense + (size_t)i * b->in_dim, ds->dense + (size_t)r * b->in_dim, (size_t)b->in_dim * sizeof(float));
        }
        out->nnz = 0;
        out->n_uniq = 0;
        out->words = 0;
        return out;
    }
    int64_t nnz = 0;
    for (int i = 0; i < n; i++) {
        int64_t r = order ? order[start + i] : start + i;
        nnz += ds->offsets[r + 1] - ds->offsets[r];
    }
    if (grow(b, nnz > 0 ? nnz : 1) < 0) return NULL;
    out->w = ds->w ? b->batch.w : NULL;
    out->offsets[0] = 0;
    int64_t k = 0;
    for (int i = 0; i < n; i++) {
        int64_t r = order ? order[start + i] : start + i;
        int64_t a = ds->offsets[r], len = ds->offsets[r + 1] - a;
        memcpy(out->ids + k, ds->ids + a, (size_t)len * sizeof(int32_t));
        if (ds->w) memcpy(out->w + k, ds->w + a, (size_t)len * sizeof(float));
        k += len;
        out->offsets[i + 1] = k;
    }
    out->nnz = k;
    out->n_uniq = 0;
    out->words = 0;
    if (b->word_ids > 0) {
        int64_t words = 2 * (int64_t)n;
        for (int64_t j = 0; j < k; j++) words += out->ids[j] < b->word_ids;
        out->words = words;
    }
    if (b->stamp) {
        if (++b->serial == 0) { /* wrapped after 4e9 batches: clear and restart */
            memset(b->stamp, 0, (size_t)b->in_dim * sizeof(uint32_t));
            b->serial = 1;
        }
        /* distinct ids with their counts (in uoff[u+1]), then counts -> starts, then positions */
        int32_t *uoff = out->uoff;
        for (int64_t j = 0; j < k; j++) {
            int32_t id = out->ids[j];
            if (b->stamp[id] != b->serial) {
                b->stamp[id] = b->serial;
                b->slot[id] = out->n_uniq;
                out->uniq[out->n_uniq++] = id;
                uoff[out->n_uniq] = 0;
            }
            uoff[b->slot[id] + 1]++;
        }
        uoff[0] = 0;
        for (int u = 0; u < out->n_uniq; u++) uoff[u + 1] += uoff[u];
        for (int64_t j = 0; j < k; j++) out->occ[uoff[b->slot[out->ids[j]]]++] = (int32_t)j;
        for (int u = out->n_uniq; u > 0; u--) uoff[u] = uoff[u - 1]; /* the fill moved every start one group on */
        uoff[0] = 0;
    }
    return out;
}
