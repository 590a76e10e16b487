/* labels.c — label strings <-> class indices. Sorted bytewise at fit so the same data gives the same
 * indices everywhere; extension for fine-tuning appends so old indices keep their meaning. */
#include <stdlib.h>
#include <string.h>

#include "data/labels.h"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void tml_labels_free(TmlLabelMap *m) {
    if (!m) return;
    for (int i = 0; i < m->n; i++) free(m->names[i]);
    free(m->names);
    free(m);
}

TmlLabelMap *tml_labels_fit(const char *const *labels, int64_t n, TmlError *err) {
    for (int64_t i = 0; i < n; i++)
        if (!labels[i] || !labels[i][0])
            return tml_fail(err, "row %lld has an empty label; fill it in or drop the row", (long long)i), NULL;
    if (n == 0) return tml_fail(err, "no labels to fit: the data has no rows"), NULL;
    const char **sorted = malloc((size_t)n * sizeof *sorted);
    TmlLabelMap *m = calloc(1, sizeof *m);
    if (!sorted || !m) goto oom;
    memcpy(sorted, labels, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_str);
    int distinct = 0;
    for (int64_t i = 0; i < n; i++) distinct += i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0;
    m->names = calloc((size_t)distinct, sizeof *m->names);
    if (!m->names) goto oom;
    for (int64_t i = 0; i < n; i++)
        if (i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0) {
            if (!(m->names[m->n] = strdup(sorted[i]))) goto oom;
            m->n++;
        }
    free(sorted);
    return m;
oom:
    free(sorted);
    tml_labels_free(m);
    return tml_fail(err, "out of memory building the label map"), NULL;
}

TmlLabelMap *tml_labels_from_names(char *const *names, int n) {
    TmlLabelMap *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->names = calloc(n > 0 ? (size_t)n : 1, sizeof *m->names);
    if (!m->names) {
        free(m);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        if (!(m->names[i] = strdup(names[i]))) {
            tml_labels_free(m);
            return NULL;
        }
        m->n++;
    }
    return m;
}

/* Linear scan: maps may be unsorted after extension, and label sets are small (tens to hundreds).
 * Callers mapping millions of rows against a big map should build their own hash. */
int tml_labels_index(const TmlLabelMap *m, const char *name) {
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->names[i], name) == 0) return i;
    return -1;
}

int tml_labels_extend(TmlLabelMap *m, const char *const *labels, int64_t n) {
    int added = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!labels[i] || !labels[i][0] || tml_labels_index(m, labels[i]) >= 0) continue;
        char **nn = realloc(m->names, (size_t)(m->n + 1) * sizeof *nn);
        if (!nn) return -1;
        m->names = nn;
        if (!(m->names[m->n] = strdup(labels[i]))) return -1;
        m->n++;
        added++;
    }
    return added;
}
