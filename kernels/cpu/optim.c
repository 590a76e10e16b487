/* optim.c — CPU reference for SGD and AdamW (decoupled weight decay), dense and row-sparse.
 * The row versions update only the listed rows of an embedding table and zero those rows of the
 * gradient so the dense gradient buffer is clean for the next step. */
#include <math.h>
#include <string.h>

#include "kernels/backend_impl.h"
#include "kernels/cpu/cpu_ops.h"

void tml_cpu_sgd_update(void *ctx, float *w, const float *g, size_t n, float lr, float wd) {
    for (size_t i = 0; i < n; i++) w[i] -= lr * (g[i] + wd * w[i]);
}

/* One AdamW element update; c1, c2 are the bias corrections 1 - b^t. */
static inline void adamw_one(float *w, float g, float *m, float *v, float lr, float b1, float b2, float c1,
                             float c2, float eps, float wd) {
    float mm = b1 * *m + (1.0f - b1) * g;
    float vv = b2 * *v + (1.0f - b2) * g * g;
    *m = mm;
    *v = vv;
    float mhat = mm / c1, vhat = vv / c2;
    *w -= lr * (mhat / (sqrtf(vhat) + eps) + wd * *w);
}

void tml_cpu_adamw_update(void *ctx, float *w, const float *g, float *m, float *v, size_t n, float lr, float b1,
                      float b2, float eps, float wd, int t) {
    float c1, c2;
    tml_adamw_bias_corrections(b1, b2, t, &c1, &c2);
#pragma omp parallel for schedule(static) if (n >= 65536)
    for (size_t i = 0; i < n; i++) adamw_one(&w[i], g[i], &m[i], &v[i], lr, b1, b2, c1, c2, eps, wd);
}

void tml_cpu_sgd_update_rows(void *ctx, float *W, float *G, const int32_t *rows, int n_rows, int D, float lr,
                         float wd) {
    for (int r = 0; r < n_rows; r++) {
        size_t o = (size_t)rows[r] * D;
        for (int d = 0; d < D; d++) W[o + d] -= lr * (G[o + d] + wd * W[o + d]);
        memset(G + o, 0, sizeof(float) * (size_t)D);
    }
}

void tml_cpu_adamw_update_rows(void *ctx, float *W, float *G, float *M, float *Vv, const int32_t *rows,
                           int n_rows, int D, float lr, float b1, float b2, float eps, float wd, int t) {
    float c1, c2;
    tml_adamw_bias_corrections(b1, b2, t, &c1, &c2);
#pragma omp parallel for schedule(static) if ((size_t)n_rows * D >= 65536)
    for (int r = 0; r < n_rows; r++) {
        size_t o = (size_t)rows[r] * D;
        for (int d = 0; d < D; d++) adamw_one(&W[o + d], G[o + d], &M[o + d], &Vv[o + d], lr, b1, b2, c1, c2, eps, wd);
        memset(G + o, 0, sizeof(float) * (size_t)D);
    }
}
