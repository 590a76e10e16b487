/* softmax_masked.cu — CUDA masked softmax over attention scores (B, NH, T, T) and its backward:
 * one warp per row, keys past the sequence's length get 0. Same arithmetic as the CPU row helper
 * (max, exp, sum, multiply by the reciprocal) with a different summation order. */
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/warp.cuh"

#define SM_ROWS 4

static __global__ void masked_softmax_forward_kernel(float *probs, const float *scores, const int32_t *lens,
                                                     size_t rows, int NH, int T, float scale) {
    size_t r = (size_t)blockIdx.x * SM_ROWS + threadIdx.y;
    if (r >= rows) return;
    int len = lens[r / ((size_t)NH * T)];
    const float *s = scores + r * T;
    float *p = probs + r * T;
    float mx = -INFINITY;
    for (int j = threadIdx.x; j < len; j += 32) {
        float v = scale * s[j];
        mx = v > mx ? v : mx; /* NaN is skipped here and poisons the sum below, as on the CPU */
    }
    mx = tml_warp_max(mx);
    if (len > 0 && mx == -INFINITY) mx = 0.0f;
    float sum = 0.0f;
    for (int j = threadIdx.x; j < len; j += 32) {
        float e = expf(scale * s[j] - mx);
        p[j] = e;
        sum += e;
    }
    float inv = 1.0f / tml_warp_sum(sum);
    for (int j = threadIdx.x; j < T; j += 32) p[j] = j < len ? p[j] * inv : 0.0f;
}

static __global__ void masked_softmax_backward_kernel(float *ds, const float *dp, const float *p, size_t rows, int T,
                                                      float scale) {
    size_t r = (size_t)blockIdx.x * SM_ROWS + threadIdx.y;
    if (r >= rows) return;
    const float *dpr = dp + r * T, *pr = p + r * T;
    float dot = 0.0f;
    for (int j = threadIdx.x; j < T; j += 32) dot += dpr[j] * pr[j];
    dot = tml_warp_sum(dot);
    float *dsr = ds + r * T;
    for (int j = threadIdx.x; j < T; j += 32) dsr[j] = scale * pr[j] * (dpr[j] - dot);
}

extern "C" void tml_cuda_masked_softmax_forward(void *ctx, float *probs, const float *scores, const int32_t *lens,
                                                int B, int NH, int T, float scale) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    size_t rows = (size_t)B * NH * T;
    if (!rows) return;
    masked_softmax_forward_kernel<<<(unsigned)((rows + SM_ROWS - 1) / SM_ROWS), dim3(32, SM_ROWS), 0, c->stream>>>(
        probs, scores, lens, rows, NH, T, scale);
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_masked_softmax_backward(void *ctx, float *dscores, const float *dprobs, const float *probs,
                                                 int B, int NH, int T, float scale) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    size_t rows = (size_t)B * NH * T;
    if (!rows) return;
    masked_softmax_backward_kernel<<<(unsigned)((rows + SM_ROWS - 1) / SM_ROWS), dim3(32, SM_ROWS), 0, c->stream>>>(
        dscores, dprobs, probs, rows, T, scale);
    CUDA_LAUNCH_CHECK();
}
