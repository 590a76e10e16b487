/* backend_impl.h — internal to kernels/: the table of function pointers each backend fills in
 * (ggml-style vtable + opaque ctx) and the handle that backend.c dispatches through.
 * Every entry mirrors the public op in backend.h with `void *ctx` in place of the TmlBackend*. */
#ifndef TICKETML_BACKEND_IMPL_H
#define TICKETML_BACKEND_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/backend.h"

typedef struct TmlBackendOps {
    const char *name; /* "cpu" | "cuda" */
    int is_gpu;
    void (*ctx_free)(void *ctx);
    double (*peak_gbps)(void *ctx); /* peak memory bandwidth in GB/s; NULL or 0 when unknown */

    /* memory */
    void *(*alloc)(void *ctx, size_t bytes);
    void (*free)(void *ctx, void *p);
    void (*upload)(void *ctx, void *dst_dev, const void *src_host, size_t bytes);
    void (*download)(void *ctx, void *dst_host, const void *src_dev, size_t bytes);
    void (*copy)(void *ctx, void *dst_dev, const void *src_dev, size_t bytes);
    void (*zero)(void *ctx, void *dst_dev, size_t bytes);
    void (*fill)(void *ctx, float *x, size_t n, float value);
    void (*sync)(void *ctx);

    /* dense algebra */
    void (*sgemm)(void *ctx, int trans_a, int trans_b, int M, int N, int K, float alpha,
                  const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
    void (*scale)(void *ctx, float *x, size_t n, float alpha);
    void (*axpy)(void *ctx, float *y, const float *x, size_t n, float alpha);
    double (*sum_squares)(void *ctx, const float *x, size_t n);

    /* layers */
    void (*bias_add_forward)(void *ctx, float *y, const float *b, int B, int N);
    void (*bias_add_backward)(void *ctx, float *db, const float *dy, int B, int N);
    void (*relu_forward)(void *ctx, float *y, const float *x, size_t n);
    void (*relu_backward)(void *ctx, float *dx, const float *dy, const float *y, size_t n);
    void (*embbag_forward)(void *ctx, float *out, const float *E, const int64_t *offsets,
                           const int32_t *ids, const float *w, int B, int D, TmlBagMode mode);
    void (*embbag_backward)(void *ctx, float *dE, const float *dout, const int64_t *offsets,
                            const int32_t *ids, const float *w, int B, int D, TmlBagMode mode);

    /* losses */
    void (*softmax_xent_forward)(void *ctx, float *probs, float *losses, const float *logits,
                                 const int32_t *labels, const float *cw, float smoothing, int B, int C);
    void (*softmax_xent_backward)(void *ctx, float *dlogits, const float *probs, const int32_t *labels,
                                  const float *cw, float smoothing, int B, int C, float scale);
    void (*sigmoid_bce_forward)(void *ctx, float *probs, float *losses, const float *logits,
                                const float *targets, const float *pw, size_t n);
    void (*sigmoid_bce_backward)(void *ctx, float *dlogits, const float *probs, const float *targets,
                                 const float *pw, size_t n, float scale);

    /* optimizers */
    void (*sgd_update)(void *ctx, float *w, const float *g, size_t n, float lr, float wd);
    void (*adamw_update)(void *ctx, float *w, const float *g, float *m, float *v, size_t n, float lr,
                         float b1, float b2, float eps, float wd, int t);
    void (*sgd_update_rows)(void *ctx, float *W, float *G, const int32_t *rows, int n_rows, int D,
                            float lr, float wd);
    void (*adamw_update_rows)(void *ctx, float *W, float *G, float *M, float *Vv, const int32_t *rows,
                              int n_rows, int D, float lr, float b1, float b2, float eps, float wd, int t);

    /* row reductions */
    void (*row_sum)(void *ctx, float *out, const float *x, int B, int N);
    void (*row_argmax)(void *ctx, int32_t *out, const float *x, int B, int N);
    void (*row_topk)(void *ctx, int32_t *idx, float *val, const float *x, int B, int N, int k);
    /* gradient-boosted trees */
    void (*gbdt_hist)(void *ctx, double *hist, const uint8_t *bins, int64_t N, int F, int NB, const float *gh,
                      const int32_t *rows, int64_t n, const uint8_t *feat_used);
    void (*gbdt_hist_subtract)(void *ctx, double *out, const double *parent, const double *child, size_t n);
    void (*gbdt_split_find)(void *ctx, TmlGbdtSplit *out, const double *hist, const TmlGbdtFeature *feats, int F,
                            int NB, const uint8_t *feat_used, const TmlGbdtSplitParams *p);
    int64_t (*gbdt_partition)(void *ctx, int32_t *rows, int64_t n, const uint8_t *bins, int F,
                              const TmlGbdtSplit *s, int missing_bin, int32_t *scratch);
    void (*gbdt_leaf_add)(void *ctx, float *scores, int K, int k, const int32_t *rows, const TmlGbdtLeafRange *ranges,
                          int L);
    void (*gbdt_gradients)(void *ctx, float *gh, const float *scores, const int32_t *labels, const float *cw,
                           int64_t N, int K);
    void (*gbdt_predict)(void *ctx, float *scores, const float *x, int64_t N, int F, const TmlGbdtNode *nodes,
                         const uint32_t *cats, const int32_t *roots, const int32_t *tclass, int T, int K);
    void (*gbdt_predict_binned)(void *ctx, float *scores, const uint8_t *bins, int64_t N, int F,
                                const TmlGbdtNode *nodes, const uint32_t *cats, const int32_t *roots,
                                const int32_t *tclass, int T, int K);
} TmlBackendOps;

struct TmlBackend {
    const TmlBackendOps *ops;
    void *ctx;         /* owned; freed by ops->ctx_free */
    char device[256];  /* human-readable device description */
};

/* Peak memory bandwidth of the backend's device in GB/s (0 when unknown, e.g. on the CPU); for
 * benchmarks that report a fraction of peak. Internal: not part of the public contract. */
double tml_backend_peak_gbps(const TmlBackend *be);

/* The CPU table (kernels/backend_cpu.c); ctx is unused (NULL). */
extern const TmlBackendOps tml_cpu_ops;

#ifdef TML_HAVE_CUDA
/* The CUDA table (kernels/backend_cuda.c) and its life cycle (kernels/cuda/context.cu). */
extern const TmlBackendOps tml_cuda_ops;
/* Number of usable devices; on 0 writes why (driver missing, no device, ...) into why. */
int cuda_probe_devices(char *why, size_t n);
/* Creates a context (stream, cuBLAS handle, scratch) on device `dev`; NULL with err filled on
 * failure. Writes the device name into name. Freed through tml_cuda_ops.ctx_free. */
void *cuda_ctx_create(int dev, char *name, size_t name_n, TmlError *err);
/* Appends the CUDA parts of `ticketml --version` / `ticketml devices` to buf. */
void cuda_describe_build(char *buf, size_t n);
void cuda_describe_devices(char *buf, size_t n);
#endif

/* Bias corrections for AdamW step t, computed once in double on the host so every backend applies
 * the same float values: *c1 = 1 - b1^t, *c2 = 1 - b2^t. */
void tml_adamw_bias_corrections(float b1, float b2, int t, float *c1, float *c2);

#endif
