/* cuda_common.cuh — shared by the .cu files only: the CUDA context behind a TmlBackend, the error
 * macros (file:line plus the library's own text, then abort: library failures inside an op are
 * broken invariants) and launch-size helpers. */
#ifndef TICKETML_CUDA_COMMON_CUH
#define TICKETML_CUDA_COMMON_CUH

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>

extern "C" {
#include "kernels/backend_impl.h"
}
#include "kernels/cuda/cuda_ops.h"

#define CUDA_CHECK(call)                                                                          \
    do {                                                                                          \
        cudaError_t e_ = (call);                                                                  \
        if (e_ != cudaSuccess) {                                                                  \
            fprintf(stderr, "ticketml: CUDA error at %s:%d: %s: %s (in %s)\n", __FILE__, __LINE__, \
                    cudaGetErrorName(e_), cudaGetErrorString(e_), #call);                         \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

#define CUBLAS_CHECK(call)                                                                        \
    do {                                                                                          \
        cublasStatus_t s_ = (call);                                                               \
        if (s_ != CUBLAS_STATUS_SUCCESS) {                                                        \
            fprintf(stderr, "ticketml: cuBLAS error at %s:%d: %s (in %s)\n", __FILE__, __LINE__,   \
                    cublasGetStatusString(s_), #call);                                            \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

/* After every kernel launch: catches bad launch configurations at the launch site. */
#define CUDA_LAUNCH_CHECK() CUDA_CHECK(cudaGetLastError())

/* Blocks for the deterministic two-pass sum of squares (fixed, so the result is reproducible). */
#define TML_SS_BLOCKS 256
#define TML_SS_THREADS 256

typedef struct TmlCudaCtx {
    int dev;
    int sm_count;
    cudaStream_t stream;
    cublasHandle_t blas;
    double *d_partial; /* (TML_SS_BLOCKS + 1) scratch for sum_squares */
    double *d_clip;    /* (TML_SS_BLOCKS + 2) scratch for clip_global_norm: partials, norm, factor */
    double *h_result;  /* pinned, 1 double */
    double peak_gbps;  /* memory clock * bus width, 0 when unknown */
} TmlCudaCtx;

static inline TmlCudaCtx *cuda_ctx(void *ctx) { return (TmlCudaCtx *)ctx; }

/* Blocks for a grid-stride loop over n elements: enough to fill the device, never more than needed. */
static inline unsigned grid_for(const TmlCudaCtx *c, size_t n, unsigned threads) {
    size_t want = (n + threads - 1) / threads;
    size_t cap = (size_t)c->sm_count * 16;
    if (want > cap) want = cap;
    return want ? (unsigned)want : 1u;
}

#endif
