/* context.cu — CUDA backend life cycle: device probing (which must fail gracefully without a driver:
 * cudart is linked statically so the same binary runs on CPU-only machines), the per-backend
 * context (one stream, one cuBLAS handle, scratch), memory ops, and the build/device descriptions. */
#include <dlfcn.h>
#include <string.h>

#include "kernels/cuda/cuda_common.cuh"

/* 1 when the NVIDIA driver's library can be loaded: the static runtime reports "driver version is
 * insufficient" both for an old driver and for none at all, which the two messages tell apart. */
static int driver_installed(void) {
    void *h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!h) return 0;
    dlclose(h);
    return 1;
}

extern "C" int tml_cuda_probe_devices(char *why, size_t n) {
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        (void)cudaGetLastError(); /* not sticky: clear it so later calls start clean */
        if (e == cudaErrorInsufficientDriver && !driver_installed())
            snprintf(why, n, "no NVIDIA driver is installed: libcuda.so.1 was not found");
        else if (e == cudaErrorInsufficientDriver)
            snprintf(why, n, "the NVIDIA driver is older than the CUDA %d.%d runtime this ticketml was built with; "
                             "update the driver", CUDART_VERSION / 1000, CUDART_VERSION % 1000 / 10);
        else if (e == cudaErrorNoDevice)
            snprintf(why, n, "the NVIDIA driver is installed but sees no GPU");
        else
            snprintf(why, n, "%s: %s", cudaGetErrorName(e), cudaGetErrorString(e));
        return 0;
    }
    if (count == 0) snprintf(why, n, "the CUDA driver reports no devices");
    return count;
}

/* Peak DRAM bandwidth from the memory clock (kHz) and bus width (bits); DDR so x2. */
static double device_peak_gbps(int dev) {
    int clk_khz = 0, bus_bits = 0;
    if (cudaDeviceGetAttribute(&clk_khz, cudaDevAttrMemoryClockRate, dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, dev) != cudaSuccess) {
        (void)cudaGetLastError();
        return 0.0;
    }
    return 2.0 * (double)clk_khz * 1e3 * (bus_bits / 8.0) / 1e9;
}

/* A kernel that does nothing: launching it proves this binary carries code (SASS or PTX) the
 * device can run, which cudaSetDevice does not. */
static __global__ void probe_kernel(int *x) {
    if (x) *x = 1;
}

extern "C" void tml_cuda_ctx_free(void *ctx) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    if (!c) return;
    if (c->stream) CUDA_CHECK(cudaStreamSynchronize(c->stream));
    if (c->d_partial) CUDA_CHECK(cudaFree(c->d_partial));
    if (c->d_clip) CUDA_CHECK(cudaFree(c->d_clip));
    if (c->h_result) CUDA_CHECK(cudaFreeHost(c->h_result));
    if (c->blas) CUBLAS_CHECK(cublasDestroy(c->blas));
    if (c->stream) CUDA_CHECK(cudaStreamDestroy(c->stream));
    free(c);
}

/* Frees what a failed tml_cuda_ctx_create made, ignoring errors: after a failed launch the context
 * may be unusable and every call fails. */
static void ctx_discard(TmlCudaCtx *c) {
    if (c->d_partial) (void)cudaFree(c->d_partial);
    if (c->d_clip) (void)cudaFree(c->d_clip);
    if (c->h_result) (void)cudaFreeHost(c->h_result);
    if (c->stream) (void)cudaStreamDestroy(c->stream);
    (void)cudaGetLastError();
    free(c);
}

/* Every step that can fail when the device is present but unusable (no memory for a context, no
 * kernel image for this GPU, a driver too old) fails here with its reason, so --device auto falls
 * back to the CPU instead of aborting at the first op. */
extern "C" void *tml_cuda_ctx_create(int dev, char *name, size_t name_n, TmlError *err) {
    cudaDeviceProp prop;
    cudaError_t e = cudaSetDevice(dev);
    if (e == cudaSuccess) e = cudaGetDeviceProperties(&prop, dev);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        tml_fail(err, "CUDA device %d unusable: %s", dev, cudaGetErrorString(e));
        return NULL;
    }
    TmlCudaCtx *c = (TmlCudaCtx *)calloc(1, sizeof *c);
    if (!c) {
        tml_fail(err, "out of memory creating the CUDA context");
        return NULL;
    }
    c->dev = dev;
    c->sm_count = prop.multiProcessorCount > 0 ? prop.multiProcessorCount : 1;
    c->peak_gbps = device_peak_gbps(dev);
    const char *step = "creating a stream";
    cublasStatus_t bs = CUBLAS_STATUS_SUCCESS;
    if ((e = cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking)) != cudaSuccess) goto fail;
    step = "allocating scratch memory";
    if ((e = cudaMalloc(&c->d_partial, sizeof(double) * (TML_SS_BLOCKS + 1))) != cudaSuccess ||
        (e = cudaMalloc(&c->d_clip, sizeof(double) * (TML_SS_BLOCKS + 2))) != cudaSuccess ||
        (e = cudaMallocHost(&c->h_result, sizeof(double))) != cudaSuccess)
        goto fail;
    step = "running a test kernel";
    probe_kernel<<<1, 1, 0, c->stream>>>(NULL);
    if ((e = cudaGetLastError()) != cudaSuccess || (e = cudaStreamSynchronize(c->stream)) != cudaSuccess) goto fail;
    step = "creating the cuBLAS handle";
    if ((bs = cublasCreate(&c->blas)) != CUBLAS_STATUS_SUCCESS) goto fail;
    CUBLAS_CHECK(cublasSetStream(c->blas, c->stream));
    /* Plain FP32 (no TF32): the CPU parity tolerances assume it. */
    CUBLAS_CHECK(cublasSetMathMode(c->blas, CUBLAS_DEFAULT_MATH));
    snprintf(name, name_n, "%s (cuda:%d, %.1f GiB, %d SMs)", prop.name, dev,
             prop.totalGlobalMem / (1024.0 * 1024.0 * 1024.0), prop.multiProcessorCount);
    return c;
fail:
    if (bs != CUBLAS_STATUS_SUCCESS)
        tml_fail(err, "CUDA device %d (%s, compute capability %d.%d) unusable while %s: %s", dev, prop.name,
                 prop.major, prop.minor, step, cublasGetStatusString(bs));
    else
        tml_fail(err, "CUDA device %d (%s, compute capability %d.%d) unusable while %s: %s: %s", dev, prop.name,
                 prop.major, prop.minor, step, cudaGetErrorName(e), cudaGetErrorString(e));
    ctx_discard(c);
    return NULL;
}

extern "C" double tml_cuda_peak_gbps(void *ctx) { return cuda_ctx(ctx)->peak_gbps; }

/* NULL when out of memory (a recoverable error for the caller); the failed call's error is
 * cleared so it does not surface at the next launch check. */
extern "C" void *tml_cuda_alloc(void *ctx, size_t bytes) {
    void *p = NULL;
    cudaError_t e = cudaMalloc(&p, bytes ? bytes : 1);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        return NULL;
    }
    return p;
}

/* cudaFree synchronises the device, so pending ops that use p finish first. */
extern "C" void tml_cuda_free(void *ctx, void *p) { CUDA_CHECK(cudaFree(p)); }

/* From pageable memory the call returns once src has been staged, so the caller may reuse src. */
extern "C" void tml_cuda_upload(void *ctx, void *dst, const void *src, size_t bytes) {
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, cuda_ctx(ctx)->stream));
}

/* Page-locked host memory: cudaMemcpyAsync from it returns at once and overlaps the stream's work. */
extern "C" void *tml_cuda_host_alloc(void *ctx, size_t bytes) {
    void *p = NULL;
    if (cudaMallocHost(&p, bytes ? bytes : 1) != cudaSuccess) {
        (void)cudaGetLastError();
        return NULL;
    }
    return p;
}
extern "C" void tml_cuda_host_free(void *ctx, void *p) { CUDA_CHECK(cudaFreeHost(p)); }
extern "C" void tml_cuda_upload_async(void *ctx, void *dst, const void *src, size_t bytes) {
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, cuda_ctx(ctx)->stream));
}
extern "C" void *tml_cuda_event_new(void *ctx) {
    cudaEvent_t e;
    if (cudaEventCreateWithFlags(&e, cudaEventDisableTiming) != cudaSuccess) {
        (void)cudaGetLastError();
        return NULL;
    }
    return (void *)e;
}
extern "C" void tml_cuda_event_free(void *ctx, void *e) { CUDA_CHECK(cudaEventDestroy((cudaEvent_t)e)); }
extern "C" void tml_cuda_event_record(void *ctx, void *e) {
    CUDA_CHECK(cudaEventRecord((cudaEvent_t)e, cuda_ctx(ctx)->stream));
}
extern "C" void tml_cuda_event_wait(void *ctx, void *e) { CUDA_CHECK(cudaEventSynchronize((cudaEvent_t)e)); }

extern "C" void tml_cuda_download(void *ctx, void *dst, const void *src, size_t bytes) {
    TmlCudaCtx *c = cuda_ctx(ctx);
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, c->stream));
    CUDA_CHECK(cudaStreamSynchronize(c->stream));
}

extern "C" void tml_cuda_copy(void *ctx, void *dst, const void *src, size_t bytes) {
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, cuda_ctx(ctx)->stream));
}

extern "C" void tml_cuda_zero(void *ctx, void *dst, size_t bytes) {
    CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, cuda_ctx(ctx)->stream));
}

extern "C" void tml_cuda_sync(void *ctx) { CUDA_CHECK(cudaStreamSynchronize(cuda_ctx(ctx)->stream)); }

extern "C" void tml_cuda_describe_build(char *buf, size_t n) {
    int cublas_ver = 0;
    cublasGetProperty(MAJOR_VERSION, &cublas_ver);
    int cmin = 0, cpatch = 0;
    cublasGetProperty(MINOR_VERSION, &cmin);
    cublasGetProperty(PATCH_LEVEL, &cpatch);
    char archs[128] = "";
#ifdef __CUDA_ARCH_LIST__
    static const int list[] = {__CUDA_ARCH_LIST__};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) tml_backend_appendf(archs, sizeof archs, "%ssm_%d", i ? " " : "", list[i] / 10);
#else
    tml_backend_appendf(archs, sizeof archs, "unknown");
#endif
    tml_backend_appendf(buf, n, "cuda: runtime %d.%d (static), cuBLAS %d.%d.%d, kernels for %s\n",
           CUDART_VERSION / 1000, (CUDART_VERSION % 1000) / 10, cublas_ver, cmin, cpatch, archs);
}

extern "C" void tml_cuda_describe_devices(char *buf, size_t n) {
    int drv = 0;
    if (cudaDriverGetVersion(&drv) != cudaSuccess || drv == 0) {
        (void)cudaGetLastError();
        tml_backend_appendf(buf, n, "cuda driver: none found\n");
    } else {
        tml_backend_appendf(buf, n, "cuda driver: %d.%d\n", drv / 1000, (drv % 1000) / 10);
    }
    char why[256] = "";
    int count = tml_cuda_probe_devices(why, sizeof why);
    if (count == 0) {
        tml_backend_appendf(buf, n, "cuda: no device (%s)\n", why);
        return;
    }
    for (int d = 0; d < count; d++) {
        cudaDeviceProp p;
        if (cudaGetDeviceProperties(&p, d) != cudaSuccess) {
            (void)cudaGetLastError();
            tml_backend_appendf(buf, n, "cuda:%d: properties unavailable\n", d);
            continue;
        }
        double peak = device_peak_gbps(d);
        tml_backend_appendf(buf, n, "cuda:%d: %s, compute %d.%d, %.1f GiB, %d SMs, peak memory bandwidth ", d, p.name, p.major,
               p.minor, p.totalGlobalMem / (1024.0 * 1024.0 * 1024.0), p.multiProcessorCount);
        if (peak > 0) tml_backend_appendf(buf, n, "%.0f GB/s\n", peak);
        else tml_backend_appendf(buf, n, "n/a\n");
    }
}
