/* gelu.c — CPU reference for the exact (erf) GELU of BERT-family encoders and its derivative.
 * The erf/exp calls are vectorised through libmvec (kernels/cpu/vecmath.h); GCC does not vectorise a
 * loop that mixes those calls with a select, so each block of GELU_BLOCK elements takes two passes:
 * the calls into a small stack buffer, then the arithmetic and the infinities (x Phi(x) would be
 * -Inf * 0 = NaN at -Inf). */
#include <math.h>

#include "kernels/cpu/cpu_ops.h"
#include "kernels/cpu/vecmath.h"

#define GELU_PAR_MIN 65536
#define GELU_BLOCK 256

#define INV_SQRT2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f

TML_VEC_CLONES static void gelu_block(float *y, const float *x, size_t n) {
    float e[GELU_BLOCK];
#pragma omp simd
    for (size_t i = 0; i < n; i++) e[i] = erff(x[i] * INV_SQRT2);
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        y[i] = v == -INFINITY ? 0.0f : 0.5f * v * (1.0f + e[i]);
    }
}

TML_VEC_CLONES static void gelu_backward_block(float *dx, const float *dy, const float *x, size_t n) {
    float e[GELU_BLOCK], g[GELU_BLOCK];
#pragma omp simd
    for (size_t i = 0; i < n; i++) e[i] = erff(x[i] * INV_SQRT2);
#pragma omp simd
    for (size_t i = 0; i < n; i++) g[i] = expf(-0.5f * x[i] * x[i]);
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float d = 0.5f * (1.0f + e[i]) + v * INV_SQRT_2PI * g[i];
        d = v == INFINITY ? 1.0f : v == -INFINITY ? 0.0f : d;
        dx[i] = dy[i] * d;
    }
}

void tml_cpu_gelu_forward(void *ctx, float *y, const float *x, size_t n) {
    size_t nb = (n + GELU_BLOCK - 1) / GELU_BLOCK;
#pragma omp parallel for schedule(static) if (n >= GELU_PAR_MIN)
    for (size_t k = 0; k < nb; k++) {
        size_t lo = k * GELU_BLOCK, len = n - lo < GELU_BLOCK ? n - lo : GELU_BLOCK;
        gelu_block(y + lo, x + lo, len);
    }
}

void tml_cpu_gelu_backward(void *ctx, float *dx, const float *dy, const float *x, size_t n) {
    size_t nb = (n + GELU_BLOCK - 1) / GELU_BLOCK;
#pragma omp parallel for schedule(static) if (n >= GELU_PAR_MIN)
    for (size_t k = 0; k < nb; k++) {
        size_t lo = k * GELU_BLOCK, len = n - lo < GELU_BLOCK ? n - lo : GELU_BLOCK;
        gelu_backward_block(dx + lo, dy + lo, x + lo, len);
    }
}
