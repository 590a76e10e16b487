/* gemm.cu — row-major sgemm on cuBLAS (column-major) by swapping operands: a row-major (M,N) C is a
 * column-major (N,M) C^T, and C^T = op(B)^T op(A)^T, so cuBLAS gets (B, A) with N and M swapped. */
#include "kernels/cuda/cuda_common.cuh"

/* C = beta * C for K == 0 (beta == 0 writes zeros without reading, as BLAS does). */
static __global__ void scale_matrix_kernel(float *C, int M, int N, int ldc, float beta) {
    size_t total = (size_t)M * N;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x) {
        size_t r = i / N, col = i % N;
        float *p = C + r * ldc + col;
        *p = beta == 0.0f ? 0.0f : beta * *p;
    }
}

extern "C" void tml_cuda_sgemm(void *ctx, int trans_a, int trans_b, int M, int N, int K, float alpha,
                           const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        scale_matrix_kernel<<<grid_for(c, (size_t)M * N, 256), 256, 0, c->stream>>>(C, M, N, ldc, beta);
        CUDA_LAUNCH_CHECK();
        return;
    }
    CUBLAS_CHECK(cublasSgemm(c->blas, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, N, M,
                             K, &alpha, B, ldb, A, lda, &beta, C, ldc));
}

/* Strided-batched: the same operand swap as sgemm_cuda, one cuBLAS call for the whole batch. */
extern "C" void tml_cuda_sgemm_batched(void *ctx, int trans_a, int trans_b, int M, int N, int K, float alpha,
                                       const float *A, int lda, int64_t stride_a, const float *B, int ldb,
                                       int64_t stride_b, float beta, float *C, int ldc, int64_t stride_c, int batch) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (M <= 0 || N <= 0 || batch <= 0) return;
    if (K <= 0) {
        for (int i = 0; i < batch; i++) {
            scale_matrix_kernel<<<grid_for(c, (size_t)M * N, 256), 256, 0, c->stream>>>(C + i * stride_c, M, N, ldc,
                                                                                        beta);
            CUDA_LAUNCH_CHECK();
        }
        return;
    }
    CUBLAS_CHECK(cublasSgemmStridedBatched(c->blas, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                                           trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha, B, ldb, stride_b, A,
                                           lda, stride_a, &beta, C, ldc, stride_c, batch));
}
