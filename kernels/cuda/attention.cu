/* attention.cu — CUDA multi-head self-attention core, composed of the backend's own CUDA ops (one
 * strided-batched cuBLAS call per product over all B*NH heads, the masked softmax and dropout
 * kernels) around two layout kernels that move Q, K, V between the token-major qkv rows
 * (B, T, 3, NH, hs) and head-major blocks (B, NH, T, hs). A fused kernel can replace the pair
 * without changing callers.
 * saved: P (B, NH, T, T) before dropout.
 * scratch: q, k, v (3 BTC) | O or dO (BTC) | dropout(P) (B NH T T) | dP (B NH T T) | dq, dk, dv (3 BTC). */
#include <math.h>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/warp.cuh"

#define ATT_THREADS 256

extern "C" size_t tml_cuda_attention_saved_floats(int B, int T, int C, int NH) { return (size_t)B * NH * T * T; }
extern "C" size_t tml_cuda_attention_scratch_floats(int B, int T, int C, int NH) {
    return 7 * (size_t)B * T * C + 2 * (size_t)B * NH * T * T;
}

/* Section s of src (B, T, nsec*C) with row stride ld -> dst_s (B, NH, T, hs), for s < nsec. */
static __global__ void to_heads_kernel(float *dst, const float *src, int ld, int nsec, int B, int T, int C, int NH) {
    int hs = C / NH;
    size_t per = (size_t)B * T * C, n = per * nsec;
    TML_GRID_STRIDE(k, n) {
        size_t s = k / per, r = k % per;
        int d = (int)(r % hs), t = (int)((r / hs) % T), h = (int)((r / ((size_t)hs * T)) % NH);
        size_t b = r / ((size_t)hs * T * NH);
        dst[k] = src[(b * T + t) * ld + s * C + (size_t)h * hs + d];
    }
}

/* src (B, NH, T, hs) -> columns [col0, col0 + C) of dst (B, T, ld). */
static __global__ void from_heads_kernel(float *dst, int ld, int col0, const float *src, int B, int T, int C,
                                         int NH) {
    int hs = C / NH;
    size_t n = (size_t)B * T * C;
    TML_GRID_STRIDE(k, n) {
        int d = (int)(k % hs), t = (int)((k / hs) % T), h = (int)((k / ((size_t)hs * T)) % NH);
        size_t b = k / ((size_t)hs * T * NH);
        dst[(b * T + t) * ld + col0 + (size_t)h * hs + d] = src[k];
    }
}

static void to_heads(TmlCudaCtx *c, float *dst, const float *src, int ld, int nsec, int B, int T, int C, int NH) {
    size_t n = (size_t)B * T * C * nsec;
    to_heads_kernel<<<grid_for(c, n, ATT_THREADS), ATT_THREADS, 0, c->stream>>>(dst, src, ld, nsec, B, T, C, NH);
    CUDA_LAUNCH_CHECK();
}

static void from_heads(TmlCudaCtx *c, float *dst, int ld, int col0, const float *src, int B, int T, int C, int NH) {
    size_t n = (size_t)B * T * C;
    from_heads_kernel<<<grid_for(c, n, ATT_THREADS), ATT_THREADS, 0, c->stream>>>(dst, ld, col0, src, B, T, C, NH);
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_attention_forward(void *ctx, float *out, float *saved, float *scratch, const float *qkv,
                                           const int32_t *lens, int B, int T, int C, int NH, float p, uint64_t seed) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    int hs = C / NH, BH = B * NH;
    size_t btc = (size_t)B * T * C, tt = (size_t)T * T, th = (size_t)T * hs;
    float *q = scratch, *k = q + btc, *v = k + btc, *o = v + btc, *pd = o + btc;
    float *P = saved;
    to_heads(c, q, qkv, 3 * C, 3, B, T, C, NH);
    tml_cuda_sgemm_batched(ctx, 0, 1, T, T, hs, 1.0f, q, hs, th, k, hs, th, 0.0f, P, T, tt, BH);
    tml_cuda_masked_softmax_forward(ctx, P, P, lens, B, NH, T, 1.0f / sqrtf((float)hs));
    const float *pu = P;
    if (p > 0.0f) {
        tml_cuda_dropout(ctx, pd, P, (size_t)BH * tt, p, seed);
        pu = pd;
    }
    tml_cuda_sgemm_batched(ctx, 0, 0, T, hs, T, 1.0f, pu, T, tt, v, hs, th, 0.0f, o, hs, th, BH);
    from_heads(c, out, C, 0, o, B, T, C, NH);
}

extern "C" void tml_cuda_attention_backward(void *ctx, float *dqkv, float *scratch, const float *dout,
                                            const float *saved, const float *qkv, const int32_t *lens, int B, int T,
                                            int C, int NH, float p, uint64_t seed) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    int hs = C / NH, BH = B * NH;
    size_t btc = (size_t)B * T * C, tt = (size_t)T * T, th = (size_t)T * hs;
    float *q = scratch, *k = q + btc, *v = k + btc, *dO = v + btc, *pd = dO + btc, *dP = pd + (size_t)BH * tt;
    float *dq = dP + (size_t)BH * tt, *dk = dq + btc, *dv = dk + btc;
    const float *P = saved;
    to_heads(c, q, qkv, 3 * C, 3, B, T, C, NH);
    to_heads(c, dO, dout, C, 1, B, T, C, NH);
    const float *pu = P;
    if (p > 0.0f) {
        tml_cuda_dropout(ctx, pd, P, (size_t)BH * tt, p, seed);
        pu = pd;
    }
    /* dV = dropout(P)^T dO; d dropout(P) = dO V^T, back through the mask and the softmax */
    tml_cuda_sgemm_batched(ctx, 1, 0, T, hs, T, 1.0f, pu, T, tt, dO, hs, th, 0.0f, dv, hs, th, BH);
    tml_cuda_sgemm_batched(ctx, 0, 1, T, T, hs, 1.0f, dO, hs, th, v, hs, th, 0.0f, dP, T, tt, BH);
    if (p > 0.0f) tml_cuda_dropout(ctx, dP, dP, (size_t)BH * tt, p, seed);
    tml_cuda_masked_softmax_backward(ctx, dP, dP, P, B, NH, T, 1.0f / sqrtf((float)hs));
    /* dQ = dS K, dK = dS^T Q */
    tml_cuda_sgemm_batched(ctx, 0, 0, T, hs, T, 1.0f, dP, T, tt, k, hs, th, 0.0f, dq, hs, th, BH);
    tml_cuda_sgemm_batched(ctx, 1, 0, T, hs, T, 1.0f, dP, T, tt, q, hs, th, 0.0f, dk, hs, th, BH);
    from_heads(c, dqkv, 3 * C, 0, dq, B, T, C, NH);
    from_heads(c, dqkv, 3 * C, C, dk, B, T, C, NH);
    from_heads(c, dqkv, 3 * C, 2 * C, dv, B, T, C, NH);
}
