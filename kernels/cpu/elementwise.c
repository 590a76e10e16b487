/* elementwise.c — CPU reference for the element-wise and per-column ops: scale, axpy, sum of
 * squares, bias add, ReLU. These are memory-bound, vectorised loops that one core nearly saturates,
 * so they stay serial: an OpenMP region costs more than it saves on a shared 2-core machine (measured
 * 5-10x slower under load). Only the bias backward, a column reduction, is split across threads. */
#include "kernels/cpu/cpu_ops.h"

/* Below this many elements threading costs more than it saves. */
#define EW_PAR_MIN 65536

void tml_cpu_scale(void *ctx, float *x, size_t n, float alpha) {
    for (size_t i = 0; i < n; i++) x[i] *= alpha;
}

void tml_cpu_axpy(void *ctx, float *y, const float *x, size_t n, float alpha) {
    for (size_t i = 0; i < n; i++) y[i] += alpha * x[i];
}

/* Sum of squares in double over a fixed number of chunks, combined in order: the result is the
 * same whatever the number of threads (bit-reproducible training relies on it for clipping). */
#define SS_CHUNKS 64
double tml_cpu_sum_squares(void *ctx, const float *x, size_t n) {
    double part[SS_CHUNKS];
    size_t chunk = (n + SS_CHUNKS - 1) / SS_CHUNKS;
    for (int c = 0; c < SS_CHUNKS; c++) {
        size_t lo = (size_t)c * chunk, hi = lo + chunk;
        if (hi > n) hi = n;
        /* four accumulators break the add dependency chain; the order is still fixed */
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        size_t i = lo;
        for (; i + 4 <= hi; i += 4) {
            s0 += (double)x[i] * x[i];
            s1 += (double)x[i + 1] * x[i + 1];
            s2 += (double)x[i + 2] * x[i + 2];
            s3 += (double)x[i + 3] * x[i + 3];
        }
        for (; i < hi; i++) s0 += (double)x[i] * x[i];
        part[c] = (s0 + s1) + (s2 + s3);
    }
    double s = 0.0;
    for (int c = 0; c < SS_CHUNKS; c++) s += part[c];
    return s;
}

void tml_cpu_bias_add_forward(void *ctx, float *y, const float *b, int B, int N) {
    for (int i = 0; i < B; i++)
        for (int j = 0; j < N; j++) y[(size_t)i * N + j] += b[j];
}

/* db += column sums of dy, rows accumulated in order (float, like the CUDA side's partial sums). */
/* Columns are summed in slices of BIAS_SLICE, streaming dy row by row into local accumulators:
 * walking one column at a time strides through memory and was 6.7% of an encoder training step.
 * Each column is still summed from 0 in row order, so the bits are what a column loop gives. */
#define BIAS_SLICE 64
void tml_cpu_bias_add_backward(void *ctx, float *db, const float *dy, int B, int N) {
    int nslices = (N + BIAS_SLICE - 1) / BIAS_SLICE;
#pragma omp parallel for schedule(static) if ((size_t)B * N >= EW_PAR_MIN && nslices > 1)
    for (int s = 0; s < nslices; s++) {
        int j0 = s * BIAS_SLICE, nj = N - j0 < BIAS_SLICE ? N - j0 : BIAS_SLICE;
        float acc[BIAS_SLICE] = {0};
        for (int i = 0; i < B; i++) {
            const float *r = dy + (size_t)i * N + j0;
            for (int j = 0; j < nj; j++) acc[j] += r[j];
        }
        for (int j = 0; j < nj; j++) db[j0 + j] += acc[j];
    }
}

/* y = max(x, 0); NaN stays NaN (x > 0 is false for NaN, so it is passed through explicitly). */
void tml_cpu_relu_forward(void *ctx, float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = (x[i] > 0.0f || x[i] != x[i]) ? x[i] : 0.0f;
}

void tml_cpu_relu_backward(void *ctx, float *dx, const float *dy, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}
