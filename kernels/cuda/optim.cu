/* optim.cu — CUDA SGD and AdamW, dense (grid-stride) and row-sparse (a warp per listed row, lanes
 * over D, coalesced). Bias corrections come from the host (tml_adamw_bias_corrections) so both
 * backends use identical float constants. */
#include <math.h>

#include "kernels/cuda/cuda_common.cuh"

#define ROWS_PER_BLOCK 8

static __device__ __forceinline__ void adamw_one(float *w, float g, float *m, float *v, float lr, float b1, float b2,
                                          float c1, float c2, float eps, float wd) {
    float mm = b1 * *m + (1.0f - b1) * g;
    float vv = b2 * *v + (1.0f - b2) * g * g;
    *m = mm;
    *v = vv;
    float mhat = mm / c1, vhat = vv / c2;
    *w -= lr * (mhat / (sqrtf(vhat) + eps) + wd * *w);
}

static __global__ void sgd_kernel(float *w, const float *g, size_t n, float lr, float wd) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        w[i] -= lr * (g[i] + wd * w[i]);
}

static __global__ void adamw_kernel(float *w, const float *g, float *m, float *v, size_t n, float lr, float b1, float b2,
                             float c1, float c2, float eps, float wd) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        adamw_one(&w[i], g[i], &m[i], &v[i], lr, b1, b2, c1, c2, eps, wd);
}

static __global__ void sgd_rows_kernel(float *W, float *G, const int32_t *rows, int n_rows, int D, float lr, float wd) {
    int r = blockIdx.x * ROWS_PER_BLOCK + threadIdx.y;
    if (r >= n_rows) return;
    size_t o = (size_t)rows[r] * D;
    for (int d = threadIdx.x; d < D; d += 32) {
        W[o + d] -= lr * (G[o + d] + wd * W[o + d]);
        G[o + d] = 0.0f;
    }
}

static __global__ void adamw_rows_kernel(float *W, float *G, float *M, float *V, const int32_t *rows, int n_rows, int D,
                                  float lr, float b1, float b2, float c1, float c2, float eps, float wd) {
    int r = blockIdx.x * ROWS_PER_BLOCK + threadIdx.y;
    if (r >= n_rows) return;
    size_t o = (size_t)rows[r] * D;
    for (int d = threadIdx.x; d < D; d += 32) {
        adamw_one(&W[o + d], G[o + d], &M[o + d], &V[o + d], lr, b1, b2, c1, c2, eps, wd);
        G[o + d] = 0.0f;
    }
}

extern "C" void tml_cuda_sgd_update(void *ctx, float *w, const float *g, size_t n, float lr, float wd) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (!n) return;
    sgd_kernel<<<grid_for(c, n, 256), 256, 0, c->stream>>>(w, g, n, lr, wd);
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_adamw_update(void *ctx, float *w, const float *g, float *m, float *v, size_t n, float lr,
                                  float b1, float b2, float eps, float wd, int t) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (!n) return;
    float c1, c2;
    tml_adamw_bias_corrections(b1, b2, t, &c1, &c2);
    adamw_kernel<<<grid_for(c, n, 256), 256, 0, c->stream>>>(w, g, m, v, n, lr, b1, b2, c1, c2, eps, wd);
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_sgd_update_rows(void *ctx, float *W, float *G, const int32_t *rows, int n_rows, int D, float lr,
                                     float wd) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (n_rows <= 0 || D <= 0) return;
    dim3 block(32, ROWS_PER_BLOCK);
    sgd_rows_kernel<<<(n_rows + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK, block, 0, c->stream>>>(W, G, rows, n_rows, D,
                                                                                             lr, wd);
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_adamw_update_rows(void *ctx, float *W, float *G, float *M, float *Vv, const int32_t *rows,
                                       int n_rows, int D, float lr, float b1, float b2, float eps, float wd, int t) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (n_rows <= 0 || D <= 0) return;
    float c1, c2;
    tml_adamw_bias_corrections(b1, b2, t, &c1, &c2);
    dim3 block(32, ROWS_PER_BLOCK);
    adamw_rows_kernel<<<(n_rows + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK, block, 0, c->stream>>>(
        W, G, M, Vv, rows, n_rows, D, lr, b1, b2, c1, c2, eps, wd);
    CUDA_LAUNCH_CHECK();
}
