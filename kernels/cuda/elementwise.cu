/* elementwise.cu — CUDA versions of fill, scale, axpy, sum of squares, bias add and ReLU.
 * Grid-stride loops with coalesced accesses; these are memory-bound, so the only goal is to keep
 * every load and store contiguous across a warp. */
#include "kernels/cuda/cuda_common.cuh"

#define EW_THREADS 256
#define GRID_STRIDE(i, n) \
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)

static __global__ void fill_kernel(float *x, size_t n, float v) {
    GRID_STRIDE(i, n) x[i] = v;
}
static __global__ void scale_kernel(float *x, size_t n, float a) {
    GRID_STRIDE(i, n) x[i] *= a;
}
static __global__ void axpy_kernel(float *y, const float *x, size_t n, float a) {
    GRID_STRIDE(i, n) y[i] += a * x[i];
}
static __global__ void relu_forward_kernel(float *y, const float *x, size_t n) {
    GRID_STRIDE(i, n) {
        float v = x[i];
        y[i] = (v > 0.0f || v != v) ? v : 0.0f; /* NaN passes through, as on the CPU */
    }
}
static __global__ void relu_backward_kernel(float *dx, const float *dy, const float *y, size_t n) {
    GRID_STRIDE(i, n) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

extern "C" void tml_cuda_fill(void *ctx, float *x, size_t n, float value) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    fill_kernel<<<grid_for(c, n, EW_THREADS), EW_THREADS, 0, c->stream>>>(x, n, value);
    CUDA_LAUNCH_CHECK();
}
extern "C" void tml_cuda_scale(void *ctx, float *x, size_t n, float alpha) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    scale_kernel<<<grid_for(c, n, EW_THREADS), EW_THREADS, 0, c->stream>>>(x, n, alpha);
    CUDA_LAUNCH_CHECK();
}
extern "C" void tml_cuda_axpy(void *ctx, float *y, const float *x, size_t n, float alpha) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    axpy_kernel<<<grid_for(c, n, EW_THREADS), EW_THREADS, 0, c->stream>>>(y, x, n, alpha);
    CUDA_LAUNCH_CHECK();
}
extern "C" void tml_cuda_relu_forward(void *ctx, float *y, const float *x, size_t n) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    relu_forward_kernel<<<grid_for(c, n, EW_THREADS), EW_THREADS, 0, c->stream>>>(y, x, n);
    CUDA_LAUNCH_CHECK();
}
extern "C" void tml_cuda_relu_backward(void *ctx, float *dx, const float *dy, const float *y, size_t n) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    relu_backward_kernel<<<grid_for(c, n, EW_THREADS), EW_THREADS, 0, c->stream>>>(dx, dy, y, n);
    CUDA_LAUNCH_CHECK();
}

/* ---- sum of squares: fixed grid, double partials, second pass in one block -> deterministic ---- */
static __device__ double block_sum_double(double v) {
    __shared__ double sh[TML_SS_THREADS];
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if ((int)threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
        __syncthreads();
    }
    return sh[0];
}

static __global__ void sum_squares_partial_kernel(double *partial, const float *x, size_t n) {
    double s = 0.0;
    GRID_STRIDE(i, n) {
        double v = x[i];
        s += v * v;
    }
    s = block_sum_double(s);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

static __global__ void sum_squares_final_kernel(double *partial, int nparts) {
    double s = 0.0;
    for (int i = threadIdx.x; i < nparts; i += blockDim.x) s += partial[i];
    s = block_sum_double(s);
    if (threadIdx.x == 0) partial[nparts] = s;
}

extern "C" double tml_cuda_sum_squares(void *ctx, const float *x, size_t n) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    sum_squares_partial_kernel<<<TML_SS_BLOCKS, TML_SS_THREADS, 0, c->stream>>>(c->d_partial, x, n);
    CUDA_LAUNCH_CHECK();
    sum_squares_final_kernel<<<1, TML_SS_THREADS, 0, c->stream>>>(c->d_partial, TML_SS_BLOCKS);
    CUDA_LAUNCH_CHECK();
    CUDA_CHECK(cudaMemcpyAsync(c->h_result, c->d_partial + TML_SS_BLOCKS, sizeof(double), cudaMemcpyDeviceToHost,
                               c->stream));
    CUDA_CHECK(cudaStreamSynchronize(c->stream));
    return *c->h_result;
}

/* ---- bias ---------------------------------------------------------------------------------- */
static __global__ void bias_add_forward_kernel(float *y, const float *b, size_t total, int N) {
    GRID_STRIDE(i, total) y[i] += b[i % N];
}

extern "C" void tml_cuda_bias_add_forward(void *ctx, float *y, const float *b, int B, int N) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    size_t total = (size_t)B * N;
    bias_add_forward_kernel<<<grid_for(c, total, EW_THREADS), EW_THREADS, 0, c->stream>>>(y, b, total, N);
    CUDA_LAUNCH_CHECK();
}

/* Column sums: a block covers 32 columns (one per lane, coalesced rows) with 8 row-strided
 * partial sums per column combined in shared memory in a fixed order (deterministic). */
#define BB_ROWS 8
static __global__ void bias_add_backward_kernel(float *db, const float *dy, int B, int N) {
    __shared__ float sh[BB_ROWS][32];
    int col = blockIdx.x * 32 + threadIdx.x;
    float s = 0.0f;
    if (col < N)
        for (int r = threadIdx.y; r < B; r += BB_ROWS) s += dy[(size_t)r * N + col];
    sh[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && col < N) {
        float t = 0.0f;
        for (int r = 0; r < BB_ROWS; r++) t += sh[r][threadIdx.x];
        db[col] += t;
    }
}

extern "C" void tml_cuda_bias_add_backward(void *ctx, float *db, const float *dy, int B, int N) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    dim3 block(32, BB_ROWS);
    bias_add_backward_kernel<<<(N + 31) / 32, block, 0, c->stream>>>(db, dy, B, N);
    CUDA_LAUNCH_CHECK();
}
