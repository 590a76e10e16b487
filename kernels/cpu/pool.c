/* pool.c — CPU reference for pooling token rows into one row per sequence: the mean over the real
 * tokens (sentence-transformers' mean pooling) or the first token ([CLS]). */
#include <string.h>

#include "kernels/cpu/cpu_ops.h"
#include "ticketml/error.h"

void tml_cpu_pool_forward(void *ctx, float *out, const float *h, const int32_t *lens, int B, int T, int C,
                          TmlPoolMode mode) {
    for (int b = 0; b < B; b++) TML_ASSERT(lens[b] >= 0 && lens[b] <= T);
#pragma omp parallel for schedule(static) if ((size_t)B * T * C >= 262144)
    for (int b = 0; b < B; b++) {
        float *o = out + (size_t)b * C;
        const float *hb = h + (size_t)b * T * C;
        if (mode == TML_POOL_CLS) {
            memcpy(o, hb, sizeof(float) * (size_t)C);
            continue;
        }
        int len = lens[b];
        for (int c = 0; c < C; c++) o[c] = 0.0f;
        for (int t = 0; t < len; t++)
            for (int c = 0; c < C; c++) o[c] += hb[(size_t)t * C + c];
        if (len > 0) {
            float inv = 1.0f / (float)len;
            for (int c = 0; c < C; c++) o[c] *= inv;
        }
    }
}

void tml_cpu_pool_backward(void *ctx, float *dh, const float *dout, const int32_t *lens, int B, int T, int C,
                           TmlPoolMode mode) {
    for (int b = 0; b < B; b++) TML_ASSERT(lens[b] >= 0 && lens[b] <= T);
#pragma omp parallel for schedule(static) if ((size_t)B * T * C >= 262144)
    for (int b = 0; b < B; b++) {
        const float *g = dout + (size_t)b * C;
        float *db = dh + (size_t)b * T * C;
        memset(db, 0, sizeof(float) * (size_t)T * C);
        if (mode == TML_POOL_CLS) {
            memcpy(db, g, sizeof(float) * (size_t)C);
            continue;
        }
        int len = lens[b];
        float inv = len > 0 ? 1.0f / (float)len : 0.0f;
        for (int t = 0; t < len; t++)
            for (int c = 0; c < C; c++) db[(size_t)t * C + c] = g[c] * inv;
    }
}
