/* embbag.cu — CUDA embedding bag. A block holds several bags; each bag gets a group of `lanes`
 * threads (a power of two <= 32, sized to D) that walk its ids and cover D with float4 loads when D
 * and the pointers allow, so every embedding row is read as one coalesced segment. Forward unrolls
 * the id loop by 4 so four rows are in flight per thread. Backward scatters with atomicAdd
 * (fire-and-forget reductions; float4 atomics on sm_90+) into the rows of dE. No host syncs. */
#include <stdint.h>

#include "kernels/cuda/cuda_common.cuh"

#define EB_THREADS 128

static __device__ __forceinline__ float4 f4_fma(float a, float4 x, float4 acc) {
    acc.x += a * x.x;
    acc.y += a * x.y;
    acc.z += a * x.z;
    acc.w += a * x.w;
    return acc;
}

/* T is float4 (vectorised, D % 4 == 0, 16-byte aligned) or float; W = D / (sizeof(T)/4). */
template <typename T>
static __device__ __forceinline__ T load_row(const T *E, int32_t id, int W, int d) {
    return __ldg(E + (size_t)id * W + d);
}
static __device__ __forceinline__ float axpy1(float a, float x, float acc) { return acc + a * x; }
static __device__ __forceinline__ float4 axpy1(float a, float4 x, float4 acc) { return f4_fma(a, x, acc); }
static __device__ __forceinline__ float mul1(float a, float x) { return a * x; }
static __device__ __forceinline__ float4 mul1(float a, float4 x) { return make_float4(a * x.x, a * x.y, a * x.z, a * x.w); }
template <typename T> static __device__ __forceinline__ T zero_of();
template <> __device__ __forceinline__ float zero_of<float>() { return 0.0f; }
template <> __device__ __forceinline__ float4 zero_of<float4>() { return make_float4(0.f, 0.f, 0.f, 0.f); }

template <typename T>
static __global__ void embbag_forward_kernel(T *out, const T *E, const int64_t *offsets, const int32_t *ids,
                                      const float *w, int B, int W, int lanes, int mean) {
    int per_block = blockDim.x / lanes;
    int b = blockIdx.x * per_block + threadIdx.x / lanes;
    int lane = threadIdx.x % lanes;
    if (b >= B) return;
    int64_t lo = offsets[b], hi = offsets[b + 1];
    float s = (mean && hi > lo) ? 1.0f / (float)(hi - lo) : 1.0f;
    for (int d = lane; d < W; d += lanes) {
        T acc = zero_of<T>();
        int64_t j = lo;
        for (; j + 4 <= hi; j += 4) {
            int32_t i0 = ids[j], i1 = ids[j + 1], i2 = ids[j + 2], i3 = ids[j + 3];
            T e0 = load_row(E, i0, W, d), e1 = load_row(E, i1, W, d);
            T e2 = load_row(E, i2, W, d), e3 = load_row(E, i3, W, d);
            float w0 = w ? w[j] : 1.0f, w1 = w ? w[j + 1] : 1.0f;
            float w2 = w ? w[j + 2] : 1.0f, w3 = w ? w[j + 3] : 1.0f;
            acc = axpy1(w0, e0, acc);
            acc = axpy1(w1, e1, acc);
            acc = axpy1(w2, e2, acc);
            acc = axpy1(w3, e3, acc);
        }
        for (; j < hi; j++) acc = axpy1(w ? w[j] : 1.0f, load_row(E, ids[j], W, d), acc);
        out[(size_t)b * W + d] = s != 1.0f ? mul1(s, acc) : acc;
    }
}

static __device__ __forceinline__ void atomic_add_row(float *p, float v) { atomicAdd(p, v); }
static __device__ __forceinline__ void atomic_add_row(float4 *p, float4 v) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    atomicAdd(p, v); /* one vector reduction instead of four */
#else
    float *f = (float *)p;
    atomicAdd(f + 0, v.x);
    atomicAdd(f + 1, v.y);
    atomicAdd(f + 2, v.z);
    atomicAdd(f + 3, v.w);
#endif
}

template <typename T>
static __global__ void embbag_backward_kernel(T *dE, const T *dout, const int64_t *offsets, const int32_t *ids,
                                       const float *w, int B, int W, int lanes, int mean) {
    int per_block = blockDim.x / lanes;
    int b = blockIdx.x * per_block + threadIdx.x / lanes;
    int lane = threadIdx.x % lanes;
    if (b >= B) return;
    int64_t lo = offsets[b], hi = offsets[b + 1];
    float s = (mean && hi > lo) ? 1.0f / (float)(hi - lo) : 1.0f;
    for (int d = lane; d < W; d += lanes) {
        T g = dout[(size_t)b * W + d];
#pragma unroll 4
        for (int64_t j = lo; j < hi; j++) {
            float wj = (w ? w[j] : 1.0f) * s;
            atomic_add_row(dE + (size_t)ids[j] * W + d, mul1(wj, g));
        }
    }
}

/* Lanes per bag: the smallest power of two covering the row width, at most a warp. */
static int lanes_for(int W) {
    int l = 1;
    while (l < W && l < 32) l <<= 1;
    return l;
}

static int can_vectorise(int D, const void *a, const void *b) {
    return D % 4 == 0 && ((uintptr_t)a % 16) == 0 && ((uintptr_t)b % 16) == 0;
}

extern "C" void tml_cuda_embbag_forward(void *ctx, float *out, const float *E, const int64_t *offsets,
                                    const int32_t *ids, const float *w, int B, int D, TmlBagMode mode) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (B <= 0 || D <= 0) return;
    int mean = mode == TML_BAG_MEAN;
    if (can_vectorise(D, out, E)) {
        int W = D / 4, lanes = lanes_for(W), per = EB_THREADS / lanes;
        embbag_forward_kernel<float4><<<(B + per - 1) / per, EB_THREADS, 0, c->stream>>>(
            (float4 *)out, (const float4 *)E, offsets, ids, w, B, W, lanes, mean);
    } else {
        int lanes = lanes_for(D), per = EB_THREADS / lanes;
        embbag_forward_kernel<float><<<(B + per - 1) / per, EB_THREADS, 0, c->stream>>>(out, E, offsets, ids, w, B,
                                                                                         D, lanes, mean);
    }
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_embbag_backward(void *ctx, float *dE, const float *dout, const int64_t *offsets,
                                     const int32_t *ids, const float *w, int B, int D, TmlBagMode mode) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (B <= 0 || D <= 0) return;
    int mean = mode == TML_BAG_MEAN;
    if (can_vectorise(D, dE, dout)) {
        int W = D / 4, lanes = lanes_for(W), per = EB_THREADS / lanes;
        embbag_backward_kernel<float4><<<(B + per - 1) / per, EB_THREADS, 0, c->stream>>>(
            (float4 *)dE, (const float4 *)dout, offsets, ids, w, B, W, lanes, mean);
    } else {
        int lanes = lanes_for(D), per = EB_THREADS / lanes;
        embbag_backward_kernel<float><<<(B + per - 1) / per, EB_THREADS, 0, c->stream>>>(dE, dout, offsets, ids, w,
                                                                                          B, D, lanes, mean);
    }
    CUDA_LAUNCH_CHECK();
}

/* ---- by rows (tml_embbag_backward_rows): one warp per distinct row, its occurrences in bag order,
 * each added with the CPU reference's two roundings (no FMA contraction): the same bits as the CPU
 * and as every other run, with no atomics and no queue of updates on a frequent word's row. */
#define EB_ROWS_WARPS 4

static __device__ __forceinline__ int bag_of_pos(const int64_t *offsets, int B, int64_t j) {
    int lo = 0, hi = B - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (offsets[mid] <= j) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

static __global__ void embbag_backward_rows_kernel(float *dE, const float *dout, const int64_t *offsets,
                                                   const float *w, int B, int D, int mean, const int32_t *uniq,
                                                   const int32_t *uoff, const int32_t *occ, int n_uniq) {
    int u = blockIdx.x * EB_ROWS_WARPS + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (u >= n_uniq) return;
    float *de = dE + (size_t)uniq[u] * D;
    const int32_t k0 = uoff[u], k1 = uoff[u + 1];
    for (int d0 = 0; d0 < D; d0 += 32) {
        int d = d0 + lane;
        float acc = d < D ? de[d] : 0.0f;
        for (int32_t k = k0; k < k1; k++) {
            /* lane 0 finds the bag and weight of this occurrence; every lane gets them */
            int b = 0;
            float wj = 0.0f;
            if (lane == 0) {
                int64_t j = occ[k];
                b = bag_of_pos(offsets, B, j);
                int64_t len = offsets[b + 1] - offsets[b];
                float s = (mean && len > 0) ? 1.0f / (float)len : 1.0f;
                wj = __fmul_rn(w ? w[j] : 1.0f, s);
            }
            b = __shfl_sync(0xffffffffu, b, 0);
            wj = __shfl_sync(0xffffffffu, wj, 0);
            if (d < D) acc = __fadd_rn(acc, __fmul_rn(wj, dout[(size_t)b * D + d]));
        }
        if (d < D) de[d] = acc;
    }
}

extern "C" void tml_cuda_embbag_backward_rows(void *ctx, float *dE, const float *dout, const int64_t *offsets,
                                              const float *w, int B, int D, TmlBagMode mode, const int32_t *uniq,
                                              const int32_t *uoff, const int32_t *occ, int n_uniq) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (B <= 0 || D <= 0 || n_uniq <= 0) return;
    unsigned blocks = (unsigned)((n_uniq + EB_ROWS_WARPS - 1) / EB_ROWS_WARPS);
    embbag_backward_rows_kernel<<<blocks, 32 * EB_ROWS_WARPS, 0, c->stream>>>(
        dE, dout, offsets, w, B, D, mode == TML_BAG_MEAN, uniq, uoff, occ, n_uniq);
    CUDA_LAUNCH_CHECK();
}
