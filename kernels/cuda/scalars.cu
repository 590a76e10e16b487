/* scalars.cu — CUDA device-scalar ops (backend.h): a sum added into a device double, and global-norm
 * clipping of many tensors in three launches whatever their number (partial sums over fixed slices
 * of all tensors laid end to end, the norm and the factor in one block, one scaling pass). Nothing
 * comes back to the host: the trainer reads the scalars when it prints. Fixed slices and fixed
 * reduction trees give the same bits every run. */
#include <math.h>

#include "kernels/cuda/cuda_common.cuh"

#define SC_THREADS 256

/* The k tensors as one vector: pointers and their start offsets in it (kernel parameter, 1.5 KB). */
typedef struct Tensors {
    float *p[TML_CLIP_MAX_TENSORS];
    size_t start[TML_CLIP_MAX_TENSORS + 1];
    int k;
} Tensors;

static __device__ double block_sum(double v) {
    __shared__ double sh[SC_THREADS];
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if ((int)threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
        __syncthreads();
    }
    double r = sh[0];
    __syncthreads();
    return r;
}

static __global__ void sum_into_kernel(double *acc, const float *x, size_t n) {
    double s = 0.0;
    for (size_t i = threadIdx.x; i < n; i += blockDim.x) s += (double)x[i];
    s = block_sum(s);
    if (threadIdx.x == 0) *acc += s;
}

/* The tensor holding element g of the concatenation (binary search over the starts). */
static __device__ int tensor_of(const Tensors &T, size_t g) {
    int lo = 0, hi = T.k - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (T.start[mid] <= g) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

/* Block b covers elements [b*total/G, (b+1)*total/G) of the concatenation, tensor by tensor. */
static __global__ void clip_partial_kernel(Tensors T, double *partial) {
    size_t total = T.start[T.k], G = gridDim.x;
    size_t lo = total * blockIdx.x / G, hi = total * (blockIdx.x + 1) / G;
    double s = 0.0;
    for (int t = lo < hi ? tensor_of(T, lo) : T.k; t < T.k && T.start[t] < hi; t++) {
        size_t a = lo > T.start[t] ? lo : T.start[t], b = hi < T.start[t + 1] ? hi : T.start[t + 1];
        for (size_t g = a + threadIdx.x; g < b; g += blockDim.x) {
            double v = T.p[t][g - T.start[t]];
            s += v * v;
        }
    }
    s = block_sum(s);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

/* partial[G] = the norm, ((float *)(partial + G + 1))[0] = the factor (1 when not clipping). */
static __global__ void clip_final_kernel(double *partial, int G, float max_norm, double *norm) {
    double s = 0.0;
    for (int i = threadIdx.x; i < G; i += blockDim.x) s += partial[i];
    s = block_sum(s);
    if (threadIdx.x == 0) {
        double nrm = sqrt(s);
        partial[G] = nrm;
        if (norm) *norm = nrm;
        ((float *)(partial + G + 1))[0] =
            max_norm > 0.0f && nrm > (double)max_norm ? (float)((double)max_norm / (nrm + 1e-12)) : 1.0f;
    }
}

static __global__ void clip_scale_kernel(Tensors T, const double *partial, int G) {
    const float f = ((const float *)(partial + G + 1))[0];
    if (f == 1.0f) return;
    size_t total = T.start[T.k];
    for (size_t g = blockIdx.x * (size_t)blockDim.x + threadIdx.x; g < total; g += (size_t)gridDim.x * blockDim.x) {
        int t = tensor_of(T, g);
        T.p[t][g - T.start[t]] *= f;
    }
}

extern "C" void tml_cuda_sum_into(void *ctx, double *acc, const float *x, size_t n) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    sum_into_kernel<<<1, SC_THREADS, 0, c->stream>>>(acc, x, n);
    CUDA_LAUNCH_CHECK();
}

extern "C" void tml_cuda_clip_global_norm(void *ctx, float *const *xs, const size_t *ns, int k, float max_norm,
                                          double *norm) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    Tensors T;
    T.k = k;
    T.start[0] = 0;
    for (int t = 0; t < k; t++) {
        T.p[t] = xs[t];
        T.start[t + 1] = T.start[t] + ns[t];
    }
    if (k == 0 || T.start[k] == 0) {
        if (norm) CUDA_CHECK(cudaMemsetAsync(norm, 0, sizeof(double), c->stream));
        return;
    }
    clip_partial_kernel<<<TML_SS_BLOCKS, SC_THREADS, 0, c->stream>>>(T, c->d_clip);
    CUDA_LAUNCH_CHECK();
    clip_final_kernel<<<1, SC_THREADS, 0, c->stream>>>(c->d_clip, TML_SS_BLOCKS, max_norm, norm);
    CUDA_LAUNCH_CHECK();
    if (max_norm > 0.0f) {
        clip_scale_kernel<<<grid_for(c, T.start[k], SC_THREADS), SC_THREADS, 0, c->stream>>>(T, c->d_clip, TML_SS_BLOCKS);
        CUDA_LAUNCH_CHECK();
    }
}
