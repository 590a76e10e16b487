/* gemm.c — CPU sgemm through OpenBLAS (row-major cblas). K == 0 is handled here (C = beta*C) since
 * BLAS implementations disagree on it and reject lda = 0. */
#include <cblas.h>
#include <omp.h>

#include "kernels/cpu/cpu_ops.h"

void tml_cpu_sgemm(void *ctx, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
               int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        /* BLAS convention: beta == 0 overwrites C without reading it (NaN in C does not survive). */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(size_t)i * ldc + j];
        return;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M,
                N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* Batched: the attention's matrices are small (T x T x hs), below OpenBLAS's own threading
 * threshold, so the batch is split across OpenMP threads instead, with OpenBLAS held to one thread
 * meanwhile so the two thread pools do not fight over the cores. */
void tml_cpu_sgemm_batched(void *ctx, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                           int lda, int64_t stride_a, const float *B, int ldb, int64_t stride_b, float beta, float *C,
                           int ldc, int64_t stride_c, int batch) {
    if (batch == 1 || omp_get_max_threads() == 1) {
        for (int i = 0; i < batch; i++)
            tml_cpu_sgemm(ctx, trans_a, trans_b, M, N, K, alpha, A + i * stride_a, lda, B + i * stride_b, ldb, beta,
                      C + i * stride_c, ldc);
        return;
    }
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
#pragma omp parallel for schedule(static)
    for (int i = 0; i < batch; i++)
        tml_cpu_sgemm(ctx, trans_a, trans_b, M, N, K, alpha, A + i * stride_a, lda, B + i * stride_b, ldb, beta,
                  C + i * stride_c, ldc);
    openblas_set_num_threads(blas_threads);
}
