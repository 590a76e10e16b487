/* losses.cu — CUDA softmax cross-entropy (one warp per row: max, sum of exp and the smoothing sum
 * are warp reductions) and element-wise sigmoid BCE. Same formulas as kernels/cpu/losses.c, so the
 * NaN/Inf behaviour matches: a NaN logit makes its row NaN. */
#include <math.h>

#include "kernels/cuda/cuda_common.cuh"

#define SX_ROWS 4 /* rows (warps) per block */

static __device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
static __device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) {
        float u = __shfl_xor_sync(0xffffffffu, v, o);
        v = u > v ? u : v; /* like the CPU: NaN never wins the max, it poisons the sum instead */
    }
    return v;
}

static __global__ void softmax_xent_forward_kernel(float *probs, float *losses, const float *logits, const int32_t *labels,
                                            const float *cw, float smoothing, int B, int C) {
    int b = blockIdx.x * SX_ROWS + threadIdx.y;
    if (b >= B) return; /* whole warp leaves together: b is uniform per warp */
    int lane = threadIdx.x;
    const float *x = logits + (size_t)b * C;
    float *p = probs + (size_t)b * C;
    float mx = -INFINITY;
    for (int c = lane; c < C; c += 32) mx = x[c] > mx ? x[c] : mx;
    mx = warp_max(mx);
    float sum = 0.0f;
    for (int c = lane; c < C; c += 32) sum += expf(x[c] - mx);
    sum = warp_sum(sum);
    float inv = 1.0f / sum;
    for (int c = lane; c < C; c += 32) p[c] = expf(x[c] - mx) * inv;
    if (!losses) return;
    if (!labels || labels[b] < 0 || labels[b] >= C) {
        if (lane == 0) losses[b] = 0.0f;
        return;
    }
    int y = labels[b];
    float lse = mx + logf(sum);
    float all = 0.0f;
    if (smoothing != 0.0f) {
        for (int c = lane; c < C; c += 32) all += lse - x[c];
        all = warp_sum(all);
    }
    if (lane == 0) {
        float l = (1.0f - smoothing) * (lse - x[y]);
        if (smoothing != 0.0f) l += smoothing / (float)C * all;
        losses[b] = (cw ? cw[y] : 1.0f) * l;
    }
}

extern "C" void tml_cuda_softmax_xent_forward(void *ctx, float *probs, float *losses, const float *logits,
                                          const int32_t *labels, const float *cw, float smoothing, int B, int C) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (B <= 0) return;
    dim3 block(32, SX_ROWS);
    softmax_xent_forward_kernel<<<(B + SX_ROWS - 1) / SX_ROWS, block, 0, c->stream>>>(probs, losses, logits, labels,
                                                                                      cw, smoothing, B, C);
    CUDA_LAUNCH_CHECK();
}

/* One thread per element; in place on probs is fine (each element read once, then written). */
static __global__ void softmax_xent_backward_kernel(float *dlogits, const float *probs, const int32_t *labels,
                                             const float *cw, float smoothing, size_t total, int C, float scale) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        int b = (int)(i / C), c = (int)(i % C);
        int y = labels[b];
        if (y < 0 || y >= C) {
            dlogits[i] = 0.0f;
            continue;
        }
        float k = scale * (cw ? cw[y] : 1.0f);
        float t = smoothing / (float)C + (c == y ? 1.0f - smoothing : 0.0f);
        dlogits[i] = k * (probs[i] - t);
    }
}

extern "C" void tml_cuda_softmax_xent_backward(void *ctx, float *dlogits, const float *probs, const int32_t *labels,
                                           const float *cw, float smoothing, int B, int C, float scale) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    size_t total = (size_t)B * C;
    if (!total) return;
    softmax_xent_backward_kernel<<<grid_for(c, total, 256), 256, 0, c->stream>>>(dlogits, probs, labels, cw,
                                                                                 smoothing, total, C, scale);
    CUDA_LAUNCH_CHECK();
}

static __global__ void sigmoid_bce_forward_kernel(float *probs, float *losses, const float *logits, const float *targets,
                                           const float *pw, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
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

static __global__ void sigmoid_bce_backward_kernel(float *dlogits, const float *probs, const float *targets, const float *pw,
                                            size_t n, float scale) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        dlogits[i] = scale * (pw ? pw[i] : 1.0f) * (probs[i] - targets[i]);
}

extern "C" void tml_cuda_sigmoid_bce_forward(void *ctx, float *probs, float *losses, const float *logits,
                                         const float *targets, const float *pw, size_t n) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (!n) return;
    sigmoid_bce_forward_kernel<<<grid_for(c, n, 256), 256, 0, c->stream>>>(probs, losses, logits, targets, pw, n);
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_sigmoid_bce_backward(void *ctx, float *dlogits, const float *probs, const float *targets,
                                          const float *pw, size_t n, float scale) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (!n) return;
    sigmoid_bce_backward_kernel<<<grid_for(c, n, 256), 256, 0, c->stream>>>(dlogits, probs, targets, pw, n, scale);
    CUDA_LAUNCH_CHECK();
}
