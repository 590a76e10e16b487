/* bag_sgd.cu — CUDA per-example SGD of the embedding-bag classifier (backend.h tml_bag_sgd). One warp
 * is one stream of examples: warp g takes examples g, g + n_warps, ... in order, its lanes splitting
 * D (and C for the softmax). Updates are atomicAdd reductions, so concurrent warps (Hogwild) lose no
 * step; with one warp (workers = 1) every element sees the CPU reference's operations in the same
 * order, up to FMA contraction, which is what the parity test checks. The GPU trains this model
 * family in mini-batches by default; this op is selectable (`train.algorithm = hogwild`). */
#include <math.h>
#include <stdint.h>

#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/warp.cuh"

#define SGD_WARPS_PER_BLOCK 4

static __device__ __forceinline__ double warp_sum_d(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

static __global__ void bag_sgd_kernel(TmlBagSgd a, int n_warps) {
    extern __shared__ float sm[];
    const int D = a.D, C = a.C, lane = threadIdx.x & 31, wib = threadIdx.x >> 5;
    const int gw = blockIdx.x * (blockDim.x >> 5) + wib;
    if (gw >= n_warps) return;
    float *h = sm + (size_t)wib * (2 * D + C), *dh = h + D, *z = dh + D;
    double loss_acc = 0.0;
    for (int64_t k = gw; k < a.n; k += n_warps) {
        const int y = a.labels[k];
        if (y < 0) continue;
        const int64_t lo = a.offsets[k], hi = a.offsets[k + 1];
        const float sc = (a.mode == TML_BAG_MEAN && hi > lo) ? 1.0f / (float)(hi - lo) : 1.0f;
        for (int d = lane; d < D; d += 32) {
            float acc = 0.0f;
            for (int64_t j = lo; j < hi; j++) acc += (a.w ? a.w[j] : 1.0f) * a.E[(size_t)a.ids[j] * D + d];
            h[d] = sc != 1.0f ? acc * sc : acc;
        }
        __syncwarp();
        if (a.W) {
            for (int c = 0; c < C; c++) {
                float v = 0.0f;
                for (int d = lane; d < D; d += 32) v += h[d] * a.W[(size_t)d * C + c];
                v = tml_warp_sum(v);
                if (lane == 0) z[c] = v + (a.b ? a.b[c] : 0.0f);
            }
        } else {
            for (int c = lane; c < C; c += 32) z[c] = h[c] + (a.b ? a.b[c] : 0.0f);
        }
        __syncwarp();
        float mx = -INFINITY;
        for (int c = lane; c < C; c += 32) mx = fmaxf(mx, z[c]);
        mx = tml_warp_max(mx);
        double sum = 0.0;
        for (int c = lane; c < C; c += 32) sum += exp((double)(z[c] - mx));
        const double lse = (double)mx + log(warp_sum_d(sum));
        const float cwy = a.cw ? a.cw[y] : 1.0f, s = a.smoothing, off = s / (float)C;
        double loss = 0.0;
        __syncwarp();
        for (int c = lane; c < C; c += 32) {
            const double logp = (double)z[c] - lse;
            const float t = (c == y ? 1.0f - s : 0.0f) + off;
            if (t != 0.0f) loss -= (double)t * logp;
            z[c] = cwy * ((float)exp(logp) - t);
        }
        loss_acc += warp_sum_d(loss) * cwy;
        __syncwarp();
        const float lr = (float)((double)a.lr0 + ((double)a.lr1 - (double)a.lr0) * (double)k / (double)a.n);
        if (a.W) {
            for (int d = lane; d < D; d += 32) {
                float *row = a.W + (size_t)d * C;
                const float step = lr * h[d];
                float acc = 0.0f;
                for (int c = 0; c < C; c++) {
                    acc += row[c] * z[c];
                    atomicAdd(row + c, -(step * z[c]));
                }
                dh[d] = acc;
            }
        } else {
            for (int c = lane; c < C; c += 32) dh[c] = z[c];
        }
        if (a.b)
            for (int c = lane; c < C; c += 32) atomicAdd(a.b + c, -(lr * z[c]));
        __syncwarp();
        if (a.update_E) {
            for (int64_t j = lo; j < hi; j++) {
                float *e = a.E + (size_t)a.ids[j] * D;
                const float f = lr * (a.w ? a.w[j] : 1.0f) * sc;
                for (int d = lane; d < D; d += 32) atomicAdd(e + d, -(f * dh[d]));
            }
        }
        __syncwarp();
    }
    if (lane == 0 && a.loss_sum) atomicAdd(a.loss_sum, loss_acc);
}

extern "C" void tml_cuda_bag_sgd(void *ctx, const TmlBagSgd *a) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    int64_t want = a->workers > 0 ? a->workers : (int64_t)c->sm_count * 8;
    if (want > a->n) want = a->n;
    int n_warps = (int)want;
    size_t per_warp = (2 * (size_t)a->D + (size_t)a->C) * sizeof(float);
    int wpb = SGD_WARPS_PER_BLOCK;
    while (wpb > 1 && per_warp * wpb > 48 * 1024) wpb--;
    unsigned blocks = (unsigned)((n_warps + wpb - 1) / wpb);
    bag_sgd_kernel<<<blocks, 32 * wpb, per_warp * wpb, c->stream>>>(*a, n_warps);
    CUDA_LAUNCH_CHECK();
}

extern "C" size_t tml_cuda_bag_sgd_scratch_floats(int D, int C, int has_W) { return 0; }
