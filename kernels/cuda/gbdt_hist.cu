/* gbdt_hist.cu — CUDA tree histograms. A block owns HIST_FPB features and a stride of the node's
 * rows; it accumulates (gradient, hessian, count) in shared memory with shared atomics (float, so
 * a block's partial sums stay cheap), then adds its partial histogram into the global double
 * histogram with one global atomic per non-empty bin. Summation order differs from the CPU
 * reference (atomics): parity is to a tolerance, not bits. Subtraction is element-wise. */
#include "kernels/cuda/cuda_common.cuh"

#define HIST_THREADS 256
#define HIST_FPB 8 /* features per block: 8 x 256 bins x 12 bytes = 24 KiB of shared memory */

static __global__ void gbdt_hist_kernel(double *hist, const uint8_t *bins, int64_t N, int F, int NB, const float *gh,
                                        const int32_t *rows, int64_t n, const uint8_t *used) {
    extern __shared__ float smem[];
    float *sg = smem;                                /* (HIST_FPB, NB) */
    float *sh = sg + HIST_FPB * NB;                  /* (HIST_FPB, NB) */
    unsigned *sc = (unsigned *)(sh + HIST_FPB * NB); /* (HIST_FPB, NB) */
    int f0 = blockIdx.x * HIST_FPB;
    int nf = F - f0 < HIST_FPB ? F - f0 : HIST_FPB;
    for (int i = threadIdx.x; i < HIST_FPB * NB; i += blockDim.x) {
        sg[i] = 0.0f;
        sh[i] = 0.0f;
        sc[i] = 0u;
    }
    __syncthreads();
    unsigned use = 0; /* bit j: feature f0 + j is histogrammed */
    for (int j = 0; j < nf; j++)
        if (!used || used[f0 + j]) use |= 1u << j;
    for (int64_t i = (int64_t)blockIdx.y * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.y * blockDim.x) {
        int64_t r = rows ? (int64_t)rows[i] : i;
        float g = gh[2 * r], h = gh[2 * r + 1];
        const uint8_t *br = bins + (size_t)r * (size_t)F + f0;
        for (int j = 0; j < nf; j++) {
            if (!((use >> j) & 1u)) continue;
            int b = br[j];
            atomicAdd(&sg[j * NB + b], g);
            atomicAdd(&sh[j * NB + b], h);
            atomicAdd(&sc[j * NB + b], 1u);
        }
    }
    __syncthreads();
    for (int i = threadIdx.x; i < nf * NB; i += blockDim.x) {
        if (sc[i] == 0u) continue;
        double *e = hist + ((size_t)(f0 + i / NB) * NB + (size_t)(i % NB)) * 3;
        atomicAdd(e, (double)sg[i]);
        atomicAdd(e + 1, (double)sh[i]);
        atomicAdd(e + 2, (double)sc[i]);
    }
}

static __global__ void gbdt_hist_subtract_kernel(double *out, const double *parent, const double *child, size_t n) {
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        out[i] = parent[i] - child[i];
}

extern "C" void tml_cuda_gbdt_hist(void *ctx, double *hist, const uint8_t *bins, int64_t N, int F, int NB,
                                   const float *gh, const int32_t *rows, int64_t n, const uint8_t *feat_used) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    CUDA_CHECK(cudaMemsetAsync(hist, 0, (size_t)F * NB * 3 * sizeof(double), c->stream));
    if (n <= 0 || F <= 0) return;
    int groups = (F + HIST_FPB - 1) / HIST_FPB;
    int64_t want = (n + HIST_THREADS * 4 - 1) / (HIST_THREADS * 4); /* ~4 rows per thread */
    int64_t cap = ((int64_t)c->sm_count * 8 + groups - 1) / groups;
    int64_t gy = want < cap ? want : cap;
    if (gy > 65535) gy = 65535;
    if (gy < 1) gy = 1;
    size_t shm = (size_t)HIST_FPB * NB * (2 * sizeof(float) + sizeof(unsigned));
    gbdt_hist_kernel<<<dim3((unsigned)groups, (unsigned)gy), HIST_THREADS, shm, c->stream>>>(hist, bins, N, F, NB, gh,
                                                                                             rows, n, feat_used);
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_gbdt_hist_subtract(void *ctx, double *out, const double *parent, const double *child,
                                            size_t n) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    gbdt_hist_subtract_kernel<<<grid_for(c, n, 256), 256, 0, c->stream>>>(out, parent, child, n);
    CUDA_LAUNCH_CHECK();
}
