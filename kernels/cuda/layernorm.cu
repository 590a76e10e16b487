/* layernorm.cu — CUDA LayerNorm: one warp per row for the forward and for dx (two passes over the
 * row, as on the CPU: mean, then squared deviations); dw/db by a column-reduction kernel that sums
 * each column in a fixed order (no atomics), so they are reproducible run to run. The dw/db kernel
 * runs first because dx may overwrite dy. */
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/warp.cuh"

#define LN_ROWS 4 /* warps (rows) per block */

static __global__ void layernorm_forward_kernel(float *y, float *mean, float *rstd, const float *x, const float *w,
                                                const float *b, int N, int C, float eps) {
    int i = blockIdx.x * LN_ROWS + threadIdx.y;
    if (i >= N) return;
    const float *xr = x + (size_t)i * C;
    float s = 0.0f;
    for (int j = threadIdx.x; j < C; j += 32) s += xr[j];
    float m = tml_warp_sum(s) / (float)C;
    float v = 0.0f;
    for (int j = threadIdx.x; j < C; j += 32) {
        float d = xr[j] - m;
        v += d * d;
    }
    float r = 1.0f / sqrtf(tml_warp_sum(v) / (float)C + eps);
    float *yr = y + (size_t)i * C;
    for (int j = threadIdx.x; j < C; j += 32) yr[j] = (xr[j] - m) * r * w[j] + b[j];
    if (threadIdx.x == 0) {
        mean[i] = m;
        rstd[i] = r;
    }
}

/* Block (32, 8): 32 columns, 8 row groups; each column's 8 partial sums are combined in order. */
static __global__ void layernorm_dwdb_kernel(float *dw, float *db, const float *dy, const float *x,
                                             const float *mean, const float *rstd, int N, int C) {
    __shared__ float sw[8][33], sb[8][33];
    int j = blockIdx.x * 32 + threadIdx.x;
    float aw = 0.0f, ab = 0.0f;
    if (j < C)
        for (int i = threadIdx.y; i < N; i += 8) {
            float g = dy[(size_t)i * C + j];
            aw += g * ((x[(size_t)i * C + j] - mean[i]) * rstd[i]);
            ab += g;
        }
    sw[threadIdx.y][threadIdx.x] = aw;
    sb[threadIdx.y][threadIdx.x] = ab;
    __syncthreads();
    if (threadIdx.y == 0 && j < C) {
        float tw = 0.0f, tb = 0.0f;
        for (int k = 0; k < 8; k++) {
            tw += sw[k][threadIdx.x];
            tb += sb[k][threadIdx.x];
        }
        dw[j] += tw;
        db[j] += tb;
    }
}

static __global__ void layernorm_dx_kernel(float *dx, const float *dy, const float *x, const float *mean,
                                           const float *rstd, const float *w, int N, int C) {
    int i = blockIdx.x * LN_ROWS + threadIdx.y;
    if (i >= N) return;
    const float *xr = x + (size_t)i * C, *gr = dy + (size_t)i * C;
    float m = mean[i], r = rstd[i];
    float sg = 0.0f, sgx = 0.0f;
    for (int j = threadIdx.x; j < C; j += 32) {
        float g = gr[j] * w[j];
        sg += g;
        sgx += g * ((xr[j] - m) * r);
    }
    float mg = tml_warp_sum(sg) / (float)C, mgx = tml_warp_sum(sgx) / (float)C;
    float *dr = dx + (size_t)i * C;
    for (int j = threadIdx.x; j < C; j += 32) {
        float xhat = (xr[j] - m) * r;
        dr[j] = r * (gr[j] * w[j] - mg - xhat * mgx);
    }
}

extern "C" void tml_cuda_layernorm_forward(void *ctx, float *y, float *mean, float *rstd, const float *x,
                                           const float *w, const float *b, int N, int C, float eps) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (N <= 0) return;
    layernorm_forward_kernel<<<(N + LN_ROWS - 1) / LN_ROWS, dim3(32, LN_ROWS), 0, c->stream>>>(y, mean, rstd, x, w,
                                                                                               b, N, C, eps);
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_layernorm_backward(void *ctx, float *dx, float *dw, float *db, const float *dy,
                                            const float *x, const float *mean, const float *rstd, const float *w,
                                            int N, int C) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (N <= 0) return;
    layernorm_dwdb_kernel<<<(C + 31) / 32, dim3(32, 8), 0, c->stream>>>(dw, db, dy, x, mean, rstd, N, C);
    CUDA_LAUNCH_CHECK();
    layernorm_dx_kernel<<<(N + LN_ROWS - 1) / LN_ROWS, dim3(32, LN_ROWS), 0, c->stream>>>(dx, dy, x, mean, rstd, w,
                                                                                          N, C);
    CUDA_LAUNCH_CHECK();
}
