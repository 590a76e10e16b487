/* reduce.cu — CUDA per-row reductions: sum and argmax with one warp per row; top-k with one thread
 * per row doing the same insertion as the CPU reference into its output row (k is small). */
#include "kernels/cuda/cuda_common.cuh"

#define RED_ROWS 4

static __global__ void row_sum_kernel(float *out, const float *x, int B, int N) {
    int b = blockIdx.x * RED_ROWS + threadIdx.y;
    if (b >= B) return;
    float s = 0.0f;
    for (int j = threadIdx.x; j < N; j += 32) s += x[(size_t)b * N + j];
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    if (threadIdx.x == 0) out[b] = s;
}

/* Each lane keeps its first maximum; the warp combine prefers the larger value, then the lower
 * index, which gives the first maximum of the row like the CPU's strict `>` scan. */
static __global__ void row_argmax_kernel(int32_t *out, const float *x, int B, int N) {
    int b = blockIdx.x * RED_ROWS + threadIdx.y;
    if (b >= B) return;
    const float *r = x + (size_t)b * N;
    int bi = threadIdx.x < N ? (int)threadIdx.x : N;
    float bv = threadIdx.x < N ? r[threadIdx.x] : -INFINITY;
    for (int j = threadIdx.x + 32; j < N; j += 32)
        if (r[j] > bv) {
            bv = r[j];
            bi = j;
        }
    for (int o = 16; o > 0; o >>= 1) {
        float ov = __shfl_xor_sync(0xffffffffu, bv, o);
        int oi = __shfl_xor_sync(0xffffffffu, bi, o);
        if (ov > bv || (ov == bv && oi < bi)) {
            bv = ov;
            bi = oi;
        }
    }
    if (threadIdx.x == 0) out[b] = bi;
}

static __global__ void row_topk_kernel(int32_t *idx, float *val, const float *x, int B, int N, int k) {
    int b = blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= B) return;
    const float *r = x + (size_t)b * N;
    int32_t *oi = idx + (size_t)b * k;
    float *ov = val + (size_t)b * k;
    int have = 0;
    for (int j = 0; j < N; j++) {
        float v = r[j];
        if (have == k && !(v > ov[k - 1])) continue;
        int pos = have < k ? have : k - 1;
        while (pos > 0 && v > ov[pos - 1]) {
            ov[pos] = ov[pos - 1];
            oi[pos] = oi[pos - 1];
            pos--;
        }
        ov[pos] = v;
        oi[pos] = j;
        if (have < k) have++;
    }
}

extern "C" void tml_cuda_row_sum(void *ctx, float *out, const float *x, int B, int N) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (B <= 0) return;
    dim3 block(32, RED_ROWS);
    row_sum_kernel<<<(B + RED_ROWS - 1) / RED_ROWS, block, 0, c->stream>>>(out, x, B, N);
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_row_argmax(void *ctx, int32_t *out, const float *x, int B, int N) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (B <= 0) return;
    dim3 block(32, RED_ROWS);
    row_argmax_kernel<<<(B + RED_ROWS - 1) / RED_ROWS, block, 0, c->stream>>>(out, x, B, N);
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_row_topk(void *ctx, int32_t *idx, float *val, const float *x, int B, int N, int k) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (B <= 0 || k <= 0) return;
    row_topk_kernel<<<(B + 127) / 128, 128, 0, c->stream>>>(idx, val, x, B, N, k);
    CUDA_LAUNCH_CHECK();
}
