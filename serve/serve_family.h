/* serve_family.h — internal to serve/: a model family's part of the serving library, the CUDA-free
 * forward pass (the trainer's family table has its training side; see trainer/model.h). serve.c
 * featurizes (text or tabular, shared by every family) and hands the features to the family of the
 * export's model/arch; export_model.c lets the family check its part of an export. A family adds
 * its serve_<family>.c and one line in serve_families.c. */
#ifndef TICKETML_SERVE_SERVE_FAMILY_H
#define TICKETML_SERVE_SERVE_FAMILY_H

#include <stddef.h>
#include <stdint.h>

#include "serve/export_model.h"

typedef struct TmlServeFamily {
    const char *const *archs; /* model/arch values it serves, NULL-terminated */
    const char *kind;         /* "text" or "tabular": the featurization its features come from (one
                               * table per kind; a family serving both registers two) */
    /* Checks e's model part (model/ attributes, its weights/ tensors) against the featurization
     * (e->in_dim features in; e->n_out classes out); adds the tensors it uses to *n_tensors. The
     * message names where (the file). */
    int (*validate)(const TmlExport *e, const char *where, int *n_tensors, TmlError *err);
    /* The read-only forward state of a validated export; may borrow e's tensors (e outlives it).
     * NULL with err set. */
    void *(*build)(const TmlExport *e, TmlError *err);
    void (*free)(void *state);
    /* Floats of scratch one forward needs. */
    size_t (*scratch_floats)(const void *state);
    /* Class probabilities of one example into probs (n_out): from feature ids and weights (text; w
     * NULL means 1; ids already checked against in_dim) or from the dense row (tabular). Returns
     * the most probable class. Thread-safe: state is read-only, scratch is the caller's. */
    int (*forward)(const void *state, const int32_t *ids, const float *w, int64_t n, const float *dense, float *probs,
                   float *scratch);
} TmlServeFamily;

/* The family serving arch, or NULL (serve_families.c). */
const TmlServeFamily *tml_serve_family_for_arch(const char *arch);

/* Shared by the families: 0 when tensor key exists with shape (rows, cols) and data, else -1 with
 * a message naming where and the key. */
int tml_export_want_tensor(const TmlExport *e, const char *where, const char *key, int64_t rows, int64_t cols,
                           TmlError *err);
/* The same for an int32 tensor (rows < 0: any length); the tensor, or NULL with err set. */
const TmlExportTensor *tml_export_want_ints(const TmlExport *e, const char *where, const char *key, int64_t rows,
                                            int64_t cols, TmlError *err);
/* Softmax (ova = 0) or element-wise sigmoid (ova = 1) of logits p (C) in place; returns the argmax
 * (first on ties). */
int tml_serve_finish(float *p, int C, int ova);

#endif
