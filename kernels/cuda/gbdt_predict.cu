/* gbdt_predict.cu — CUDA tree ensemble forward pass (values or bins; one thread per row walks
 * every tree in order, summing in double like the CPU reference, so the scores agree to the last
 * float bit) and the objectives' gradients (one thread per row). */
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/gbdt_common.h"

static __global__ void gbdt_predict_kernel(float *scores, const float *x, int64_t N, int F, const TmlGbdtNode *nodes,
                                           const uint32_t *cats, const int32_t *roots, const int32_t *tclass, int T,
                                           int K) {
    for (int64_t r = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; r < N; r += (int64_t)gridDim.x * blockDim.x) {
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

static __global__ void gbdt_predict_binned_kernel(float *scores, const uint8_t *bins, int64_t N, int F,
                                                  const TmlGbdtNode *nodes, const uint32_t *cats, const int32_t *roots,
                                                  const int32_t *tclass, int T, int K) {
    for (int64_t r = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; r < N; r += (int64_t)gridDim.x * blockDim.x) {
        for (int k = 0; k < K; k++) {
            double acc = (double)scores[(size_t)r * K + k];
            for (int t = 0; t < T; t++) {
                if (tclass[t] != k) continue;
                int32_t nd = roots[t];
                while (nodes[nd].feature >= 0) {
                    const TmlGbdtNode *q = &nodes[nd];
                    int b = bins[(size_t)r * (size_t)F + (size_t)q->feature];
                    nd = gbdt_node_left_bin(q, cats, b) ? q->left : q->right;
                }
                acc += (double)nodes[nd].value;
            }
            scores[(size_t)r * K + k] = (float)acc;
        }
    }
}

/* One block per range (the learner cuts ranges to at most a few ten thousand rows). */
static __global__ void gbdt_leaf_add_kernel(float *scores, int K, int k, const int32_t *rows,
                                            const TmlGbdtLeafRange *ranges) {
    const TmlGbdtLeafRange g = ranges[blockIdx.x];
    for (int64_t i = g.begin + threadIdx.x; i < g.begin + g.n; i += blockDim.x) {
        float *s = scores + (size_t)rows[i] * K + k;
        *s = (float)((double)*s + (double)g.value);
    }
}

static __global__ void gbdt_gradients_kernel(float *gh, const float *scores, const int32_t *labels, const float *cw,
                                             int64_t N, int K) {
    for (int64_t r = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; r < N; r += (int64_t)gridDim.x * blockDim.x) {
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

extern "C" void tml_cuda_gbdt_predict(void *ctx, float *scores, const float *x, int64_t N, int F,
                                      const TmlGbdtNode *nodes, const uint32_t *cats, const int32_t *roots,
                                      const int32_t *tclass, int T, int K) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    gbdt_predict_kernel<<<grid_for(c, (size_t)N, 128), 128, 0, c->stream>>>(scores, x, N, F, nodes, cats, roots, tclass,
                                                                            T, K);
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_gbdt_predict_binned(void *ctx, float *scores, const uint8_t *bins, int64_t N, int F,
                                             const TmlGbdtNode *nodes, const uint32_t *cats, const int32_t *roots,
                                             const int32_t *tclass, int T, int K) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    gbdt_predict_binned_kernel<<<grid_for(c, (size_t)N, 128), 128, 0, c->stream>>>(scores, bins, N, F, nodes, cats,
                                                                                   roots, tclass, T, K);
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_gbdt_leaf_add(void *ctx, float *scores, int K, int k, const int32_t *rows,
                                       const TmlGbdtLeafRange *ranges, int L) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    gbdt_leaf_add_kernel<<<(unsigned)L, 256, 0, c->stream>>>(scores, K, k, rows, ranges);
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_gbdt_gradients(void *ctx, float *gh, const float *scores, const int32_t *labels,
                                        const float *cw, int64_t N, int K) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    gbdt_gradients_kernel<<<grid_for(c, (size_t)N, 256), 256, 0, c->stream>>>(gh, scores, labels, cw, N, K);
    CUDA_LAUNCH_CHECK();
}
