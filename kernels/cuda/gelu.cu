/* gelu.cu — CUDA exact (erf) GELU and its derivative, element-wise, with the same handling of the
 * infinities as the CPU reference. */
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/warp.cuh"

#define GELU_THREADS 256
#define INV_SQRT2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f

static __global__ void gelu_forward_kernel(float *y, const float *x, size_t n) {
    TML_GRID_STRIDE(i, n) {
        float v = x[i];
        y[i] = v == -INFINITY ? 0.0f : 0.5f * v * (1.0f + erff(v * INV_SQRT2));
    }
}

static __global__ void gelu_backward_kernel(float *dx, const float *dy, const float *x, size_t n) {
    TML_GRID_STRIDE(i, n) {
        float v = x[i];
        float d = 0.5f * (1.0f + erff(v * INV_SQRT2)) + v * INV_SQRT_2PI * expf(-0.5f * v * v);
        d = v == INFINITY ? 1.0f : v == -INFINITY ? 0.0f : d;
        dx[i] = dy[i] * d;
    }
}

extern "C" void tml_cuda_gelu_forward(void *ctx, float *y, const float *x, size_t n) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (!n) return;
    gelu_forward_kernel<<<grid_for(c, n, GELU_THREADS), GELU_THREADS, 0, c->stream>>>(y, x, n);
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_gelu_backward(void *ctx, float *dx, const float *dy, const float *x, size_t n) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (!n) return;
    gelu_backward_kernel<<<grid_for(c, n, GELU_THREADS), GELU_THREADS, 0, c->stream>>>(dx, dy, x, n);
    CUDA_LAUNCH_CHECK();
}
