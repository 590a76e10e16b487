/* net_grow.c — growing a net's class count for fine-tuning: parameters whose last dimension is
 * the class count (the linear model's table, the output layer and its bias) are widened. */
#include "trainer/net.h"

#include <stdlib.h>
#include <string.h>

TmlNet *tml_net_grow_classes(const TmlNet *old, int new_C, uint64_t seed, TmlError *err) {
    int C = old->spec.n_out;
    TML_ASSERT(new_C >= C);
    TmlNetSpec spec = old->spec;
    spec.n_out = new_C;
    TmlNet *m = tml_net_create(old->be, &spec, seed, err);
    if (!m) return NULL;
    TML_ASSERT(m->n_params == old->n_params);
    for (int i = 0; i < m->n_params; i++) {
        const TmlParam *po = &old->params[i];
        TmlParam *pn = &m->params[i];
        size_t n_old = (size_t)po->rows * (size_t)po->cols, n_new = (size_t)pn->rows * (size_t)pn->cols;
        float *a = malloc(n_old * sizeof(float) + 1), *b = malloc(n_new * sizeof(float) + 1);
        if (!a || !b) {
            free(a);
            free(b);
            tml_net_free(m);
            tml_fail(err, "out of host memory growing %s", po->name);
            return NULL;
        }
        tml_download(old->be, a, po->w, n_old * sizeof(float));
        tml_download(m->be, b, pn->w, n_new * sizeof(float)); /* fresh init for the new columns */
        if (pn->cols == po->cols && pn->rows == po->rows) {
            memcpy(b, a, n_old * sizeof(float));
        } else if (pn->cols == new_C && po->cols == C) { /* (rows, C) -> (rows, new_C) */
            for (int64_t r = 0; r < po->rows; r++) memcpy(b + r * new_C, a + r * C, (size_t)C * sizeof(float));
        } else { /* a bias stored (C, 1) */
            TML_ASSERT(pn->rows == new_C && po->rows == C && pn->cols == 1);
            memcpy(b, a, (size_t)C * sizeof(float));
        }
        tml_upload(m->be, pn->w, b, n_new * sizeof(float));
        free(a);
        free(b);
    }
    return m;
}
