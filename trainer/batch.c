/* batch.c — host-side batch assembly: CSR windows rebased to 0, dense rows copied, distinct ids
 * found with a per-id stamp array (O(nnz) per batch, no sorting, no clearing) and their positions
 * listed by a counting sort. Buffers come from malloc, or pinned from a GPU backend (two in turn). */
#include "trainer/batch.h"

#include <stdlib.h>
#include <string.h>

/* Host arrays: pinned from b->pin, else malloc. Contents are not kept on growth (fill rewrites). */
static void *hmalloc(TmlBatcher *b, size_t bytes) {
    return b->pin ? tml_host_alloc(b->pin, bytes) : malloc(bytes ? bytes : 1);
}
static void hfree(TmlBatcher *b, void *p) {
    if (b->pin) tml_host_free(b->pin, p);
    else free(p);
}

static void slot_free(TmlBatcher *b, TmlBatch *s) {
    hfree(b, s->offsets);
    hfree(b, s->ids);
    hfree(b, s->w);
    hfree(b, s->dense);
    hfree(b, s->labels);
    hfree(b, s->uniq);
    hfree(b, s->uoff);
    hfree(b, s->occ);
    if (b->pin && s->uploaded) tml_event_free(b->pin, s->uploaded);
    memset(s, 0, sizeof *s);
}

static int slot_init(TmlBatcher *b, TmlBatch *s) {
    const TmlDataset *ds = b->ds;
    s->labels = hmalloc(b, (size_t)b->max_B * sizeof(int32_t));
    if (!s->labels) return -1;
    if (b->pin && !(s->uploaded = tml_event_new(b->pin))) return -1;
    if (ds->kind == TML_DATA_TABULAR) {
        s->dense = hmalloc(b, (size_t)b->max_B * (size_t)b->in_dim * sizeof(float));
        return s->dense ? 0 : -1;
    }
    s->offsets = hmalloc(b, (size_t)(b->max_B + 1) * sizeof(int64_t));
    return s->offsets ? 0 : -1;
}

TmlBatcher *tml_batcher_new_pinned(const TmlDataset *ds, int64_t in_dim, int max_B, int want_uniq, TmlBackend *pin) {
    TmlBatcher *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->ds = ds;
    b->in_dim = in_dim;
    b->max_B = max_B;
    b->pin = pin;
    b->cur = 1; /* the first fill takes slot 0 */
    b->want_uniq = want_uniq && ds->kind != TML_DATA_TABULAR;
    for (int i = 0; i < (pin ? 2 : 1); i++)
        if (slot_init(b, &b->slots[i]) < 0) goto fail;
    if (b->want_uniq) {
        b->stamp = calloc((size_t)in_dim, sizeof(uint32_t));
        b->slot = malloc((size_t)in_dim * sizeof(int32_t));
        if (!b->stamp || !b->slot) goto fail;
    }
    return b;
fail:
    tml_batcher_free(b);
    return NULL;
}

TmlBatcher *tml_batcher_new(const TmlDataset *ds, int64_t in_dim, int max_B, int want_uniq) {
    return tml_batcher_new_pinned(ds, in_dim, max_B, want_uniq, NULL);
}

void tml_batcher_free(TmlBatcher *b) {
    if (!b) return;
    for (int i = 0; i < 2; i++) slot_free(b, &b->slots[i]);
    free(b->stamp);
    free(b->slot);
    free(b);
}

/* Room in slot i for nnz ids (and their weights, distinct ids and positions). */
static int grow(TmlBatcher *b, int i, int64_t nnz) {
    if (nnz <= b->cap_nnz[i]) return 0;
    TmlBatch *s = &b->slots[i];
    int64_t cap = b->cap_nnz[i] ? b->cap_nnz[i] : 4096;
    while (cap < nnz) cap *= 2;
    hfree(b, s->ids), hfree(b, s->w), hfree(b, s->uniq), hfree(b, s->uoff), hfree(b, s->occ);
    s->ids = s->uniq = s->uoff = s->occ = NULL;
    s->w = NULL;
    b->cap_nnz[i] = 0;
    if (!(s->ids = hmalloc(b, (size_t)cap * sizeof(int32_t)))) return -1;
    if (b->ds->w && !(s->w = hmalloc(b, (size_t)cap * sizeof(float)))) return -1;
    if (b->want_uniq && (!(s->uniq = hmalloc(b, (size_t)cap * sizeof(int32_t))) ||
                         !(s->uoff = hmalloc(b, ((size_t)cap + 1) * sizeof(int32_t))) ||
                         !(s->occ = hmalloc(b, (size_t)cap * sizeof(int32_t)))))
        return -1;
    b->cap_nnz[i] = cap;
    return 0;
}

/* Distinct ids of out's ids in order of first appearance, with their positions grouped (counting
 * sort: counts into uoff[u+1], counts -> starts, then every position placed). */
static void list_occurrences(TmlBatcher *b, TmlBatch *out) {
    if (++b->serial == 0) { /* wrapped after 4e9 batches: clear and restart */
        memset(b->stamp, 0, (size_t)b->in_dim * sizeof(uint32_t));
        b->serial = 1;
    }
    int32_t *uoff = out->uoff;
    int64_t k = out->nnz;
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

const TmlBatch *tml_batcher_fill(TmlBatcher *b, const int64_t *order, int64_t start, int n) {
    const TmlDataset *ds = b->ds;
    TML_ASSERT(n <= b->max_B);
    int i = b->pin ? 1 - b->cur : 0;
    b->cur = i;
    TmlBatch *out = &b->slots[i];
    if (b->pin) tml_event_wait(b->pin, out->uploaded); /* its previous upload has landed */
    out->B = n;
    out->n_uniq = 0;
    out->words = 0;
    for (int r = 0; r < n; r++) {
        int64_t row = order ? order[start + r] : start + r;
        out->labels[r] = ds->labels ? ds->labels[row] : -1;
    }
    if (ds->kind == TML_DATA_TABULAR) {
        for (int r = 0; r < n; r++) {
            int64_t row = order ? order[start + r] : start + r;
            memcpy(out->dense + (size_t)r * b->in_dim, ds->dense + (size_t)row * b->in_dim,
                   (size_t)b->in_dim * sizeof(float));
        }
        out->nnz = 0;
        return out;
    }
    int64_t nnz = 0;
    for (int r = 0; r < n; r++) {
        int64_t row = order ? order[start + r] : start + r;
        nnz += ds->offsets[row + 1] - ds->offsets[row];
    }
    if (grow(b, i, nnz > 0 ? nnz : 1) < 0) return NULL;
    out->offsets[0] = 0;
    int64_t k = 0;
    for (int r = 0; r < n; r++) {
        int64_t row = order ? order[start + r] : start + r;
        int64_t a = ds->offsets[row], len = ds->offsets[row + 1] - a;
        if (len > 0) { /* an all-empty dataset (e.g. one text with no known feature) has no ids array */
            memcpy(out->ids + k, ds->ids + a, (size_t)len * sizeof(int32_t));
            if (ds->w) memcpy(out->w + k, ds->w + a, (size_t)len * sizeof(float));
        }
        k += len;
        out->offsets[r + 1] = k;
    }
    out->nnz = k;
    if (b->word_ids > 0) {
        int64_t words = 2 * (int64_t)n;
        for (int64_t j = 0; j < k; j++) words += out->ids[j] < b->word_ids;
        out->words = words;
    }
    if (b->want_uniq) list_occurrences(b, out);
    return out;
}
