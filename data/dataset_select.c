/* dataset_select.c — copies the rows of a featurized dataset that a per-row mask selects, e.g. a
 * validation split carved out of fine-tuning data. */
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"

static char **copy_strings(char **src, const uint8_t *mask, uint8_t value, int64_t n, int64_t k) {
    if (!src) return NULL;
    char **out = calloc((size_t)(k > 0 ? k : 1), sizeof(char *));
    if (!out) return NULL;
    for (int64_t i = 0, j = 0; i < n; i++)
        if (mask[i] == value) out[j++] = src[i] ? strdup(src[i]) : NULL;
    return out;
}

TmlDataset *tml_dataset_select(const TmlDataset *d, const uint8_t *mask, uint8_t value) {
    int64_t k = 0, nnz = 0;
    for (int64_t i = 0; i < d->n_rows; i++)
        if (mask[i] == value) {
            k++;
            if (d->offsets) nnz += d->offsets[i + 1] - d->offsets[i];
        }
    TmlDataset *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->kind = d->kind;
    o->n_rows = k;
    o->dim = d->dim;
    o->source = d->source ? strdup(d->source) : NULL;
    size_t k1 = (size_t)(k > 0 ? k : 1);
    o->labels = malloc(k1 * sizeof(int32_t));
    o->lines = malloc(k1 * sizeof(int64_t));
    if (!o->labels || !o->lines) goto fail;
    if (d->offsets) {
        o->offsets = malloc((size_t)(k + 1) * sizeof(int64_t));
        o->ids = malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof(int32_t));
        if (d->w) o->w = malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof(float));
        if (!o->offsets || !o->ids || (d->w && !o->w)) goto fail;
        o->offsets[0] = 0;
    }
    if (d->dense) {
        o->dense = malloc(k1 * (size_t)d->dim * sizeof(float));
        if (!o->dense) goto fail;
    }
    for (int64_t i = 0, j = 0; i < d->n_rows; i++) {
        if (mask[i] != value) continue;
        o->labels[j] = d->labels ? d->labels[i] : -1;
        o->lines[j] = d->lines ? d->lines[i] : 0;
        if (d->offsets) {
            int64_t a = d->offsets[i], len = d->offsets[i + 1] - a, at = o->offsets[j];
            memcpy(o->ids + at, d->ids + a, (size_t)len * sizeof(int32_t));
            if (d->w) memcpy(o->w + at, d->w + a, (size_t)len * sizeof(float));
            o->offsets[j + 1] = at + len;
        }
        if (d->dense) memcpy(o->dense + (size_t)j * d->dim, d->dense + (size_t)i * d->dim, (size_t)d->dim * sizeof(float));
        j++;
    }
    o->texts = copy_strings(d->texts, mask, value, d->n_rows, k);
    o->row_ids = copy_strings(d->row_ids, mask, value, d->n_rows, k);
    o->raw_labels = copy_strings(d->raw_labels, mask, value, d->n_rows, k);
    return o;
fail:
    tml_dataset_free(o);
    return NULL;
}
