/* pool.cu — CUDA mean / [CLS] pooling of token rows: one thread per (sequence, column) summing the
 * real tokens in order (the CPU's order, so the mean matches it to the last bit), and the backward
 * writing every element of dh. */
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/warp.cuh"

#define POOL_THREADS 256

static __global__ void pool_forward_kernel(float *out, const float *h, const int32_t *lens, int B, int T, int C,
                                           int cls) {
    size_t n = (size_t)B * C;
    TML_GRID_STRIDE(k, n) {
        size_t b = k / C, c = k % C;
        const float *hb = h + b * (size_t)T * C + c;
        if (cls) {
            out[k] = hb[0];
            continue;
        }
        int len = lens[b];
        float s = 0.0f;
        for (int t = 0; t < len; t++) s += hb[(size_t)t * C];
        out[k] = len > 0 ? s * (1.0f / (float)len) : 0.0f;
    }
}

static __global__ void pool_backward_kernel(float *dh, const float *dout, const int32_t *lens, int B, int T, int C,
                                            int cls) {
    size_t n = (size_t)B * T * C;
    TML_GRID_STRIDE(k, n) {
        size_t c = k % C, t = (k / C) % T, b = k / ((size_t)T * C);
        float g = dout[b * C + c];
        int len = lens[b];
        if (cls) dh[k] = t == 0 ? g : 0.0f;
        else dh[k] = (int)t < len ? g * (1.0f / (float)len) : 0.0f;
    }
}

extern "C" void tml_cuda_pool_forward(void *ctx, float *out, const float *h, const int32_t *lens, int B, int T, int C,
                                      TmlPoolMode mode) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    size_t n = (size_t)B * C;
    if (!n) return;
    pool_forward_kernel<<<grid_for(c, n, POOL_THREADS), POOL_THREADS, 0, c->stream>>>(out, h, lens, B, T, C,
                                                                                       mode == TML_POOL_CLS);
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_pool_backward(void *ctx, float *dh, const float *dout, const int32_t *lens, int B, int T,
                                       int C, TmlPoolMode mode) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    size_t n = (size_t)B * T * C;
    if (!n) return;
    pool_backward_kernel<<<grid_for(c, n, POOL_THREADS), POOL_THREADS, 0, c->stream>>>(dh, dout, lens, B, T, C,
                                                                                        mode == TML_POOL_CLS);
    CUDA_LAUNCH_CHECK();
}
