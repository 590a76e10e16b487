/* gbdt_predict.c — CPU reference for the tree ensemble's forward pass (on values, or on the
 * training bins) and the boosting objectives' gradients (binary logistic, softmax). Rows are
 * independent: threads split rows, every row is computed the same way on any thread count. */
#include <math.h>

#include "kernels/cpu/cpu_ops.h"
#include "kernels/gbdt_common.h"

void tml_cpu_gbdt_predict(void *ctx, float *scores, const float *x, int64_t N, int F, const TmlGbdtNode *nodes,
                          const uint32_t *cats, const int32_t *roots, const int32_t *tclass, int T, int K) {
#pragma omp parallel for schedule(static) if (N * (int64_t)T >= 65536)
    for (int64_t r = 0; r < N; r++) {
        const float *xr = x + (size_t)r * (size_t)F;
        for (int k = 0; k < K; k++) {
            double acc = (double)scores[(size_t)r * K + k];
            for (int t = 0; t < T; t++) {
                if (tclass[t] != k) continue;
                int32_t nd = roots[t];
                while (nodes[nd].feature >= 0) {
                    const TmlGbdtNode *q = &nodes[nd];
                    nd = gbdt_node_left_value(q, cats, xr[q->feature]) ? q->left : q->right;
                }
                acc += (double)nodes[nd].value;
            }
            scores[(size_t)r * K + k] = (float)acc;
        }
    }
}

void tml_cpu_gbdt_predict_binned(void *ctx, float *scores, const uint8_t *bins, int64_t N, const TmlGbdtNode *nodes,
                                 const uint32_t *cats, const int32_t *roots, const int32_t *tclass, int T, int K) {
#pragma omp parallel for schedule(static) if (N * (int64_t)T >= 65536)
    for (int64_t r = 0; r < N; r++) {
        for (int k = 0; k < K; k++) {
            double acc = (double)scores[(size_t)r * K + k];
            for (int t = 0; t < T; t++) {
                if (tclass[t] != k) continue;
                int32_t nd = roots[t];
                while (nodes[nd].feature >= 0) {
                    const TmlGbdtNode *q = &nodes[nd];
                    int b = bins[(size_t)q->feature * (size_t)N + (size_t)r];
                    nd = gbdt_node_left_bin(q, cats, b) ? q->left : q->right;
                }
                acc += (double)nodes[nd].value;
            }
            scores[(size_t)r * K + k] = (float)acc;
        }
    }
}

void tml_cpu_gbdt_gradients(void *ctx, float *gh, const float *scores, const int32_t *labels, const float *cw,
                            int64_t N, int K) {
#pragma omp parallel for schedule(static) if (N * (int64_t)K >= 65536)
    for (int64_t r = 0; r < N; r++) {
        int32_t y = labels[r];
        if (K == 1) {
            float *o = gh + 2 * (size_t)r;
            if (y < 0) {
                o[0] = o[1] = 0.0f;
                continue;
            }
            double w = cw ? (double)cw[y] : 1.0;
            double p = 1.0 / (1.0 + exp(-(double)scores[r]));
            o[0] = (float)(w * (p - (double)(y == 1)));
            o[1] = (float)(w * (p * (1.0 - p)));
            continue;
        }
        const float *s = scores + (size_t)r * K;
        double mx = s[0], sum = 0.0;
        for (int k = 1; k < K; k++) mx = s[k] > mx ? s[k] : mx;
        for (int k = 0; k < K; k++) sum += exp((double)s[k] - mx);
        double w = y >= 0 && cw ? (double)cw[y] : 1.0;
        for (int k = 0; k < K; k++) {
            float *o = gh + ((size_t)k * (size_t)N + (size_t)r) * 2;
            if (y < 0) {
                o[0] = o[1] = 0.0f;
                continue;
            }
            double p = exp((double)s[k] - mx) / sum;
            o[0] = (float)(w * (p - (double)(y == k)));
            o[1] = (float)(w * (p * (1.0 - p)));
        }
    }
}
