/* memory.c — CPU backend memory: "device" memory is host memory, 64-byte aligned so vectorised
 * loops and the float4 assumptions of the CUDA side hold for CPU buffers too. Large buffers (an
 * embedding table of millions of rows) are asked to live on 2 MB pages: rows are read at random, and
 * with 4 KB pages nearly every row costs a TLB miss and a page walk on top of its cache miss. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernels/cpu/cpu_ops.h"

/* Returns NULL on out-of-memory; zero bytes still gives a unique pointer. Caller frees with tml_cpu_free. */
void *tml_cpu_alloc(void *ctx, size_t bytes) {
    size_t n = (bytes + 63) / 64 * 64;
    if (n == 0) n = 64;
    if (n < bytes) return NULL; /* overflow */
    void *p = NULL;
    const size_t huge = (size_t)2 << 20;
    if (n >= 8 * huge) { /* whole huge pages, so the advice covers every byte */
        n = (n + huge - 1) / huge * huge;
        if (posix_memalign(&p, huge, n) != 0) return NULL;
#ifdef MADV_HUGEPAGE
        (void)madvise(p, n, MADV_HUGEPAGE); /* advice only: without it the memory works the same */
#endif
        return p;
    }
    if (posix_memalign(&p, 64, n) != 0) return NULL;
    return p;
}

void tml_cpu_free(void *ctx, void *p) { free(p); }

void tml_cpu_upload(void *ctx, void *dst, const void *src, size_t bytes) {
    if (bytes) memmove(dst, src, bytes);
}

void tml_cpu_download(void *ctx, void *dst, const void *src, size_t bytes) {
    if (bytes) memmove(dst, src, bytes);
}

void tml_cpu_copy(void *ctx, void *dst, const void *src, size_t bytes) {
    if (bytes) memmove(dst, src, bytes);
}

void tml_cpu_zero(void *ctx, void *dst, size_t bytes) {
    if (bytes) memset(dst, 0, bytes);
}

void tml_cpu_fill(void *ctx, float *x, size_t n, float value) {
    for (size_t i = 0; i < n; i++) x[i] = value;
}

void tml_cpu_sync(void *ctx) {}

/* Host memory is all the CPU backend has: "pinned" memory is ordinary memory, uploads are copies and
 * events mark nothing (every op has finished when it returns). */
void *tml_cpu_host_alloc(void *ctx, size_t bytes) { return tml_cpu_alloc(ctx, bytes); }
void tml_cpu_host_free(void *ctx, void *p) { free(p); }
void tml_cpu_upload_async(void *ctx, void *dst, const void *src, size_t bytes) {
    if (bytes) memmove(dst, src, bytes);
}
void *tml_cpu_event_new(void *ctx) { return malloc(1); }
void tml_cpu_event_free(void *ctx, void *e) { free(e); }
void tml_cpu_event_record(void *ctx, void *e) {}
void tml_cpu_event_wait(void *ctx, void *e) {}
