/* embedding.cu — CUDA dense embedding gather (one thread per output element, rows read coalesced)
 * and its scatter-add backward with atomicAdd, so dE may differ from the CPU in the last bits when
 * an id repeats (the summation order is not fixed). */
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/warp.cuh"

#define EMB_THREADS 256

static __global__ void embedding_forward_kernel(float *out, const float *E, const int32_t *ids, int N, int D,
                                                int accumulate) {
    size_t n = (size_t)N * D;
    TML_GRID_STRIDE(k, n) {
        size_t i = k / D, d = k % D;
        float e = E[(size_t)ids[i] * D + d];
        out[k] = accumulate ? out[k] + e : e;
    }
}

static __global__ void embedding_backward_kernel(float *dE, const float *dout, const int32_t *ids, int N, int D) {
    size_t n = (size_t)N * D;
    TML_GRID_STRIDE(k, n) {
        size_t i = k / D, d = k % D;
        atomicAdd(dE + (size_t)ids[i] * D + d, dout[k]);
    }
}

extern "C" void tml_cuda_embedding_forward(void *ctx, float *out, const float *E, int V, const int32_t *ids, int N,
                                           int D, int accumulate) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    size_t n = (size_t)N * D;
    if (!n) return;
    embedding_forward_kernel<<<grid_for(c, n, EMB_THREADS), EMB_THREADS, 0, c->stream>>>(out, E, ids, N, D,
                                                                                          accumulate);
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_embedding_backward(void *ctx, float *dE, int V, const float *dout, const int32_t *ids, int N,
                                            int D) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    size_t n = (size_t)N * D;
    if (!n) return;
    embedding_backward_kernel<<<grid_for(c, n, EMB_THREADS), EMB_THREADS, 0, c->stream>>>(dE, dout, ids, N, D);
    CUDA_LAUNCH_CHECK();
}
