/* softmax_rows.h — internal to kernels/cpu: one row of the masked attention softmax and of its
 * backward, shared by the standalone op (softmax_masked.c) and the attention op (attention.c) so the
 * two cannot drift apart. */
#ifndef TICKETML_CPU_SOFTMAX_ROWS_H
#define TICKETML_CPU_SOFTMAX_ROWS_H

#include <math.h>

#include "kernels/cpu/vecmath.h"

/* p[j] = softmax(scale * s[j]) over j < len, 0 for len <= j < T. p may alias s. Any NaN or +Inf
 * among the real scores makes the row NaN (exp(x - max) gives NaN), as in the frameworks. */
static inline void tml_cpu_softmax_row(float *p, const float *s, int len, int T, float scale) {
    float mx = -INFINITY;
    /* fmaxf skips a NaN here; it still reaches exp() below and poisons the row */
#pragma omp simd reduction(max : mx)
    for (int j = 0; j < len; j++) mx = fmaxf(mx, scale * s[j]);
    if (len > 0 && mx == -INFINITY) mx = 0.0f; /* all real scores -Inf: exp gives 0, sum 0, NaN row */
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < len; j++) {
        float e = expf(scale * s[j] - mx);
        p[j] = e;
        sum += e;
    }
    float inv = 1.0f / sum;
#pragma omp simd
    for (int j = 0; j < len; j++) p[j] *= inv;
    for (int j = len; j < T; j++) p[j] = 0.0f;
}

/* ds[j] = scale * p[j] * (dp[j] - sum_k dp[k] p[k]) for j < T (p is 0 past the row's length, so
 * those entries come out 0). ds may alias dp. */
static inline void tml_cpu_softmax_row_backward(float *ds, const float *dp, const float *p, int T, float scale) {
    float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
    for (int j = 0; j < T; j++) dot += dp[j] * p[j];
#pragma omp simd
    for (int j = 0; j < T; j++) ds[j] = scale * p[j] * (dp[j] - dot);
}

#endif
