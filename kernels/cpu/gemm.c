/* gemm.c — CPU sgemm through OpenBLAS (row-major cblas). K == 0 is handled here (C = beta*C) since
 * BLAS implementations disagree on it and reject lda = 0. */
#include <cblas.h>

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
