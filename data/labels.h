/* labels.h — a stable, sorted map between label strings and class indices 0..n-1. Labels seen only
 * at evaluation are reported explicitly (index -1), never silently remapped. */
#ifndef TICKETML_DATA_LABELS_H
#define TICKETML_DATA_LABELS_H

#include <stdint.h>

#include "ticketml/error.h"

typedef struct TmlLabelMap {
    int n;
    char **names; /* (n) sorted bytewise; owned */
} TmlLabelMap;

/* Builds the map from the distinct non-empty values of labels[0..n). Caller frees with
 * tml_labels_free. An empty label is an error naming its index (the caller adds file:line). */
TmlLabelMap *tml_labels_fit(const char *const *labels, int64_t n, TmlError *err);
/* From names already sorted (e.g. read from a model file); copies them. */
TmlLabelMap *tml_labels_from_names(char *const *names, int n);
void tml_labels_free(TmlLabelMap *m);
/* Index of name, or -1 when unknown. */
int tml_labels_index(const TmlLabelMap *m, const char *name);
/* Appends names not yet present (fine-tuning on data with new labels); old indices keep their
 * meaning, so new labels go at the end and the map is no longer sorted. Returns how many were
 * added, -1 on allocation failure. */
int tml_labels_extend(TmlLabelMap *m, const char *const *labels, int64_t n);

#endif
