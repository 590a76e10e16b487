/* dropout.cu — CUDA dropout with the counter-based mask of backend.h (tml_dropout_keep, compiled
 * for the device from the same source as the CPU's), so a seed gives bit-identical outputs on both. */
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/warp.cuh"

#define DROP_THREADS 256

static __global__ void dropout_kernel(float *y, const float *x, size_t n, uint32_t thr, float scale, uint64_t seed) {
    TML_GRID_STRIDE(i, n) y[i] = tml_dropout_keep(seed, i, thr) ? x[i] * scale : 0.0f;
}

extern "C" void tml_cuda_dropout(void *ctx, float *y, const float *x, size_t n, float p, uint64_t seed) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (!n) return;
    if (p == 0.0f) {
        if (y != x) CUDA_CHECK(cudaMemcpyAsync(y, x, sizeof(float) * n, cudaMemcpyDeviceToDevice, c->stream));
        return;
    }
    /* the threshold and the scale are computed on the host, with the same float operations as the CPU */
    uint32_t thr = tml_dropout_threshold(p);
    float scale = 1.0f / (1.0f - p);
    dropout_kernel<<<grid_for(c, n, DROP_THREADS), DROP_THREADS, 0, c->stream>>>(y, x, n, thr, scale, seed);
    CUDA_LAUNCH_CHECK();
}
