/* embbag.c — CPU reference for the embedding bag (sum/mean of embedding rows over CSR bags).
 * Forward is parallel over bags (each output row has one writer). Backward scatters into shared
 * rows of dE, so it is parallel over column ranges instead: every dE element is accumulated by one
 * thread in bag order, which keeps CPU training bit-reproducible for any thread count. */
#include <string.h>

#include "kernels/cpu/cpu_ops.h"

/* Scale a bag's sum by: 1 for SUM, 1/len for MEAN (empty bags are zero rows either way). */
static inline float bag_scale(TmlBagMode mode, int64_t len) {
    return (mode == TML_BAG_MEAN && len > 0) ? 1.0f / (float)len : 1.0f;
}

void embbag_forward_cpu(void *ctx, float *out, const float *E, const int64_t *offsets, const int32_t *ids,
                        const float *w, int B, int D, TmlBagMode mode) {
#pragma omp parallel for schedule(static) if ((size_t)B * D >= 16384)
    for (int b = 0; b < B; b++) {
        float *o = out + (size_t)b * D;
        memset(o, 0, sizeof(float) * (size_t)D);
        int64_t lo = offsets[b], hi = offsets[b + 1];
        for (int64_t j = lo; j < hi; j++) {
            const float *e = E + (size_t)ids[j] * D;
            float wj = w ? w[j] : 1.0f;
            for (int d = 0; d < D; d++) o[d] += wj * e[d];
        }
        float s = bag_scale(mode, hi - lo);
        if (s != 1.0f)
            for (int d = 0; d < D; d++) o[d] *= s;
    }
}

/* Columns per thread slice: a multiple of 16 floats (one 64-byte cache line) so threads do not
 * share lines of dE. */
#define EB_COL_ALIGN 16

void embbag_backward_cpu(void *ctx, float *dE, const float *dout, const int64_t *offsets,
                         const int32_t *ids, const float *w, int B, int D, TmlBagMode mode) {
    int64_t nnz = B > 0 ? offsets[B] - offsets[0] : 0;
    int nslices = (D + EB_COL_ALIGN - 1) / EB_COL_ALIGN;
#pragma omp parallel for schedule(static) if (nnz * D >= 65536 && nslices > 1)
    for (int s = 0; s < nslices; s++) {
        int d0 = s * EB_COL_ALIGN, d1 = d0 + EB_COL_ALIGN < D ? d0 + EB_COL_ALIGN : D;
        for (int b = 0; b < B; b++) {
            int64_t lo = offsets[b], hi = offsets[b + 1];
            const float *g = dout + (size_t)b * D;
            float sc = bag_scale(mode, hi - lo);
            for (int64_t j = lo; j < hi; j++) {
                float *de = dE + (size_t)ids[j] * D;
                float wj = (w ? w[j] : 1.0f) * sc;
                for (int d = d0; d < d1; d++) de[d] += wj * g[d];
            }
        }
    }
}
