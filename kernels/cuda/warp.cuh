/* warp.cuh — small device helpers for the encoder kernels: warp-wide sums and maxima (every lane
 * gets the result) and a grid-stride loop. Included by .cu files only. */
#ifndef TICKETML_CUDA_WARP_CUH
#define TICKETML_CUDA_WARP_CUH

#include <cuda_runtime.h>

#define TML_GRID_STRIDE(i, n) \
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)

static __device__ __forceinline__ float tml_warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

static __device__ __forceinline__ float tml_warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

#endif
