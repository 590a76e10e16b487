/* losses.c — CPU reference for softmax cross-entropy (with class weights and label smoothing) and
 * element-wise sigmoid binary cross-entropy. Both are computed from the logits through the
 * max-shifted log-sum-exp / softplus forms, so large logits neither overflow nor give log(0). */
#include <math.h>

#include "ticketml/error.h"
#include "kernels/cpu/cpu_ops.h"

/* Row-wise: probs = exp(x - lse); loss = cw[y] * sum_c t_c (lse - x_c) with
 * t = (1-s) onehot(y) + s/C, i.e. cw[y] * ((1-s)(lse - x_y) + s/C * sum_c (lse - x_c)).
 * A NaN logit makes the whole row NaN (it enters the sum); rows with label < 0 get loss 0.
 * Without labels, losses (if given) are set to 0. */
void tml_cpu_softmax_xent_forward(void *ctx, float *probs, float *losses, const float *logits,
                              const int32_t *labels, const float *cw, float smoothing, int B, int C) {
#pragma omp parallel for schedule(static) if ((size_t)B * C >= 65536)
    for (int b = 0; b < B; b++) {
        const float *x = logits + (size_t)b * C;
        float *p = probs + (size_t)b * C;
        float mx = -INFINITY;
        for (int c = 0; c < C; c++) mx = x[c] > mx ? x[c] : mx;
        float sum = 0.0f;
        for (int c = 0; c < C; c++) {
            p[c] = expf(x[c] - mx);
            sum += p[c];
        }
        float inv = 1.0f / sum;
        for (int c = 0; c < C; c++) p[c] *= inv;
        if (!losses) continue;
        if (!labels || labels[b] < 0) {
            losses[b] = 0.0f;
            continue;
        }
        int y = labels[b];
        TML_ASSERT(y < C);
        float lse = mx + logf(sum);
        float nll = lse - x[y];
        float l = (1.0f - smoothing) * nll;
        if (smoothing != 0.0f) {
            float all = 0.0f; /* sum_c (lse - x_c) */
            for (int c = 0; c < C; c++) all += lse - x[c];
            l += smoothing / (float)C * all;
        }
        losses[b] = (cw ? cw[y] : 1.0f) * l;
    }
}

/* dlogits = scale * cw[y] * (p - t); ignored rows (label < 0) get 0. In place on probs is fine:
 * each element is read once before it is written. */
void tml_cpu_softmax_xent_backward(void *ctx, float *dlogits, const float *probs, const int32_t *labels,
                               const float *cw, float smoothing, int B, int C, float scale) {
    for (int b = 0; b < B; b++) {
        const float *p = probs + (size_t)b * C;
        float *g = dlogits + (size_t)b * C;
        int y = labels[b];
        if (y < 0) {
            for (int c = 0; c < C; c++) g[c] = 0.0f;
            continue;
        }
        TML_ASSERT(y < C);
        float k = scale * (cw ? cw[y] : 1.0f);
        float off = smoothing / (float)C;
        for (int c = 0; c < C; c++) {
            float t = off + (c == y ? 1.0f - smoothing : 0.0f);
            g[c] = k * (p[c] - t);
        }
    }
}

/* loss = pw * (max(x,0) - x t + log1p(exp(-|x|))), the softplus form of
 * -(t log p + (1-t) log(1-p)); exact for large |x| where p rounds to 0 or 1. max(x,0) - x t is
 * written x (1-t) for x > 0 and -x t otherwise, so an infinite logit gives an infinite loss
 * (not Inf - Inf = NaN) unless the target makes the term 0 * Inf. */
void tml_cpu_sigmoid_bce_forward(void *ctx, float *probs, float *losses, const float *logits,
                             const float *targets, const float *pw, size_t n) {
#pragma omp parallel for schedule(static) if (n >= 65536)
    for (size_t i = 0; i < n; i++) {
        float x = logits[i];
        float e = expf(-fabsf(x)); /* shared by probability and loss; never overflows; NaN stays NaN */
        probs[i] = x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
        if (!losses) continue;
        if (!targets) {
            losses[i] = 0.0f;
            continue;
        }
        float t = targets[i];
        float l = (x > 0.0f ? x * (1.0f - t) : -x * t) + log1pf(e);
        losses[i] = (pw ? pw[i] : 1.0f) * l;
    }
}

void tml_cpu_sigmoid_bce_backward(void *ctx, float *dlogits, const float *probs, const float *targets,
                              const float *pw, size_t n, float scale) {
    for (size_t i = 0; i < n; i++) dlogits[i] = scale * (pw ? pw[i] : 1.0f) * (probs[i] - targets[i]);
}
