/* dropout.c — CPU reference for dropout with the counter-based mask of backend.h
 * (tml_dropout_keep): no state, no stored mask, the same bits as the CUDA kernel for the same seed.
 * The forward and the backward are the same operation (mask and scale applied to x or to dy). */
#include <string.h>

#include "kernels/cpu/cpu_ops.h"

#define DROP_PAR_MIN 65536

void tml_cpu_dropout(void *ctx, float *y, const float *x, size_t n, float p, uint64_t seed) {
    if (p == 0.0f) {
        if (y != x) memmove(y, x, sizeof(float) * n);
        return;
    }
    uint32_t thr = tml_dropout_threshold(p);
    float scale = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(static) if (n >= DROP_PAR_MIN)
    for (size_t i = 0; i < n; i++) y[i] = tml_dropout_keep(seed, i, thr) ? x[i] * scale : 0.0f;
}
