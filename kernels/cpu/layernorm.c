/* layernorm.c — CPU reference for LayerNorm over rows (the encoder's post-residual normalisation):
 * forward saves each row's mean and 1/std; backward gives dx per row and accumulates dw, db over
 * rows. Rows are independent (parallel over rows); the dw/db column sums are split into fixed
 * column slices, each summed in row order by one thread, so the bits do not depend on the thread count. */
#include <math.h>

#include "kernels/cpu/cpu_ops.h"

#define LN_PAR_MIN 32768 /* elements below which one thread is faster */

void tml_cpu_layernorm_forward(void *ctx, float *y, float *mean, float *rstd, const float *x, const float *w,
                               const float *b, int N, int C, float eps) {
#pragma omp parallel for schedule(static) if ((size_t)N * C >= LN_PAR_MIN)
    for (int i = 0; i < N; i++) {
        const float *xr = x + (size_t)i * C;
        float *yr = y + (size_t)i * C;
        float s = 0.0f;
#pragma omp simd reduction(+ : s)
        for (int j = 0; j < C; j++) s += xr[j];
        float m = s / (float)C;
        float v = 0.0f;
#pragma omp simd reduction(+ : v)
        for (int j = 0; j < C; j++) v += (xr[j] - m) * (xr[j] - m);
        float r = 1.0f / sqrtf(v / (float)C + eps);
        for (int j = 0; j < C; j++) yr[j] = (xr[j] - m) * r * w[j] + b[j];
        mean[i] = m;
        rstd[i] = r;
    }
}

/* dw/db are summed per column slice of LN_SLICE columns in local accumulators, rows in order. */
#define LN_SLICE 64

void tml_cpu_layernorm_backward(void *ctx, float *dx, float *dw, float *db, const float *dy, const float *x,
                                const float *mean, const float *rstd, const float *w, int N, int C) {
    int par = (size_t)N * C >= LN_PAR_MIN;
    /* dw, db first: dx may alias dy and overwrites it below */
    int nslices = (C + LN_SLICE - 1) / LN_SLICE;
#pragma omp parallel for schedule(static) if (par && nslices > 1)
    for (int s = 0; s < nslices; s++) {
        int j0 = s * LN_SLICE, nj = C - j0 < LN_SLICE ? C - j0 : LN_SLICE;
        float aw[LN_SLICE] = {0}, ab[LN_SLICE] = {0};
        for (int i = 0; i < N; i++) {
            const float *xr = x + (size_t)i * C + j0, *gr = dy + (size_t)i * C + j0;
            float m = mean[i], r = rstd[i];
            for (int j = 0; j < nj; j++) {
                aw[j] += gr[j] * ((xr[j] - m) * r);
                ab[j] += gr[j];
            }
        }
        for (int j = 0; j < nj; j++) {
            dw[j0 + j] += aw[j];
            db[j0 + j] += ab[j];
        }
    }
#pragma omp parallel for schedule(static) if (par)
    for (int i = 0; i < N; i++) {
        const float *xr = x + (size_t)i * C, *gr = dy + (size_t)i * C;
        float *dr = dx + (size_t)i * C;
        float m = mean[i], r = rstd[i];
        float sg = 0.0f, sgx = 0.0f; /* sums of g = dy*w and of g*xhat */
#pragma omp simd reduction(+ : sg, sgx)
        for (int j = 0; j < C; j++) {
            float g = gr[j] * w[j];
            sg += g;
            sgx += g * ((xr[j] - m) * r);
        }
        float mg = sg / (float)C, mgx = sgx / (float)C;
        for (int j = 0; j < C; j++) {
            float xhat = (xr[j] - m) * r;
            dr[j] = r * (gr[j] * w[j] - mg - xhat * mgx);
        }
    }
}
