/* gbdt_partition.cu — CUDA row partitioning, stable like the CPU reference: each block counts the
 * rows of its tile that go left, one thread turns the counts into tile offsets, and each block
 * writes its rows to those offsets in order (warp ballots give each row its rank among the left
 * rows before it). The split is passed as a 256-bit "goes left" table over bins. */
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/gbdt_common.h"

#define PART_THREADS 256
#define PART_ITEMS 4
#define PART_TILE (PART_THREADS * PART_ITEMS)

typedef struct GoTable {
    uint32_t w[TML_GBDT_MAX_BINS / 32];
} GoTable;

static __device__ __forceinline__ int goes_left(const GoTable &t, int b) { return (t.w[b >> 5] >> (b & 31)) & 1u; }

/* col: the split feature's bins, row r at col[r * F] */
static __global__ void part_count_kernel(int64_t *counts, const int32_t *rows, int64_t n, const uint8_t *col, int F,
                                         GoTable t) {
    __shared__ int warp_sum[PART_THREADS / 32];
    int64_t base = (int64_t)blockIdx.x * PART_TILE;
    int k = 0;
    for (int j = 0; j < PART_ITEMS; j++) {
        int64_t i = base + (int64_t)j * PART_THREADS + threadIdx.x;
        if (i < n) k += goes_left(t, col[(size_t)rows[i] * (size_t)F]);
    }
    for (int o = 16; o > 0; o >>= 1) k += __shfl_down_sync(0xffffffffu, k, o);
    if ((threadIdx.x & 31) == 0) warp_sum[threadIdx.x >> 5] = k;
    __syncthreads();
    if (threadIdx.x == 0) {
        int64_t s = 0;
        for (int w = 0; w < PART_THREADS / 32; w++) s += warp_sum[w];
        counts[blockIdx.x] = s;
    }
}

/* offsets[b] = lefts in tiles before b; offsets[nb] = all lefts. One thread: nb is N / 1024. */
static __global__ void part_scan_kernel(int64_t *offsets, const int64_t *counts, int64_t nb) {
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    int64_t s = 0;
    for (int64_t b = 0; b < nb; b++) {
        offsets[b] = s;
        s += counts[b];
    }
    offsets[nb] = s;
}

static __global__ void part_scatter_kernel(int32_t *out, const int32_t *rows, int64_t n, const uint8_t *col, int F,
                                           GoTable t, const int64_t *offsets, int64_t nb) {
    __shared__ int warp_sum[PART_THREADS / 32];
    int64_t base = (int64_t)blockIdx.x * PART_TILE;
    int64_t lpos = offsets[blockIdx.x];         /* next left slot of this tile */
    int64_t rpos = offsets[nb] + (base - lpos); /* next right slot: lefts first, then rights */
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int j = 0; j < PART_ITEMS; j++) {
        int64_t start = base + (int64_t)j * PART_THREADS, i = start + threadIdx.x;
        int valid = i < n;
        int32_t row = valid ? rows[i] : 0;
        int left = valid && goes_left(t, col[(size_t)row * (size_t)F]);
        unsigned ballot = __ballot_sync(0xffffffffu, left);
        if (lane == 0) warp_sum[warp] = __popc(ballot);
        __syncthreads();
        int before = 0, total = 0;
        for (int w = 0; w < PART_THREADS / 32; w++) {
            before += w < warp ? warp_sum[w] : 0;
            total += warp_sum[w];
        }
        int lrank = before + __popc(ballot & ((1u << lane) - 1u));
        /* every thread before a valid one is valid, so threadIdx.x - lrank rows before it go right */
        if (valid) {
            if (left)
                out[lpos + lrank] = row;
            else
                out[rpos + (threadIdx.x - lrank)] = row;
        }
        int64_t cnt = n - start;
        cnt = cnt < 0 ? 0 : (cnt > PART_THREADS ? PART_THREADS : cnt);
        lpos += total;
        rpos += cnt - total;
        __syncthreads(); /* warp_sum is rewritten by the next round */
    }
}

extern "C" int64_t tml_cuda_gbdt_partition(void *ctx, int32_t *rows, int64_t n, const uint8_t *bins, int F,
                                           const TmlGbdtSplit *s, int missing_bin, int32_t *scratch) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    GoTable t;
    memset(&t, 0, sizeof t);
    for (int b = 0; b < TML_GBDT_MAX_BINS; b++)
        if (gbdt_split_left(s, b, missing_bin)) t.w[b >> 5] |= 1u << (b & 31);
    const uint8_t *col = bins + s->feature;
    int64_t nb = (n + PART_TILE - 1) / PART_TILE;
    int64_t *buf = NULL; /* counts (nb) then offsets (nb + 1) */
    CUDA_CHECK(cudaMallocAsync((void **)&buf, (size_t)(2 * nb + 1) * sizeof(int64_t), c->stream));
    part_count_kernel<<<(unsigned)nb, PART_THREADS, 0, c->stream>>>(buf, rows, n, col, F, t);
    CUDA_LAUNCH_CHECK();
    part_scan_kernel<<<1, 1, 0, c->stream>>>(buf + nb, buf, nb);
    CUDA_LAUNCH_CHECK();
    part_scatter_kernel<<<(unsigned)nb, PART_THREADS, 0, c->stream>>>(scratch, rows, n, col, F, t, buf + nb, nb);
    CUDA_LAUNCH_CHECK();
    CUDA_CHECK(cudaMemcpyAsync(rows, scratch, (size_t)n * sizeof *rows, cudaMemcpyDeviceToDevice, c->stream));
    int64_t n_left = 0;
    CUDA_CHECK(cudaMemcpyAsync(&n_left, buf + 2 * nb, sizeof n_left, cudaMemcpyDeviceToHost, c->stream));
    CUDA_CHECK(cudaFreeAsync(buf, c->stream));
    CUDA_CHECK(cudaStreamSynchronize(c->stream));
    return n_left;
}
