/* gbdt_split.cu — CUDA split finding: one thread per feature runs the shared scan of
 * kernels/gbdt_common.h on its histogram (a few hundred bins: the scan is cheap, the histogram
 * is what costs), then one thread combines the per-feature bests in feature order exactly as the
 * CPU reference does. Same double arithmetic on the same histogram gives the same split. */
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/gbdt_common.h"

static __global__ void gbdt_split_feature_kernel(TmlGbdtSplit *per, const double *hist, const TmlGbdtFeature *feats,
                                                 int F, int NB, const uint8_t *used, TmlGbdtSplitParams p) {
    int f = blockIdx.x * blockDim.x + threadIdx.x;
    if (f >= F || (used && !used[f])) return;
    int idx[TML_GBDT_MAX_BINS];
    gbdt_feature_best(hist + (size_t)f * NB * 3, &feats[f], f, &p, &per[f], idx);
}

static __global__ void gbdt_split_reduce_kernel(TmlGbdtSplit *out, const TmlGbdtSplit *per, int F,
                                                const uint8_t *used) {
    if (blockIdx.x == 0 && threadIdx.x == 0) gbdt_reduce(out, per, F, used);
}

extern "C" void tml_cuda_gbdt_split_find(void *ctx, TmlGbdtSplit *out, const double *hist, const TmlGbdtFeature *feats,
                                         int F, int NB, const uint8_t *feat_used, const TmlGbdtSplitParams *p) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    TmlGbdtSplit *per = NULL;
    CUDA_CHECK(cudaMallocAsync((void **)&per, (size_t)F * sizeof *per, c->stream));
    gbdt_split_feature_kernel<<<(F + 31) / 32, 32, 0, c->stream>>>(per, hist, feats, F, NB, feat_used, *p);
    CUDA_LAUNCH_CHECK();
    gbdt_split_reduce_kernel<<<1, 1, 0, c->stream>>>(out, per, F, feat_used);
    CUDA_LAUNCH_CHECK();
    CUDA_CHECK(cudaFreeAsync(per, c->stream));
}
