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

    void *(*host_alloc)(void *ctx, size_t bytes);
    void (*host_free)(void *ctx, void *p);
    void (*upload_async)(void *ctx, void *dst_dev, const void *src_pinned, size_t bytes);
    void *(*event_new)(void *ctx);
    void (*event_free)(void *ctx, void *e);
    void (*event_record)(void *ctx, void *e);
    void (*event_wait)(void *ctx, void *e);

    /* dense algebra */
    void (*sgemm)(void *ctx, int trans_a, int trans_b, int M, int N, int K, float alpha,
                  const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
    void (*scale)(void *ctx, float *x, size_t n, float alpha);
    void (*axpy)(void *ctx, float *y, const float *x, size_t n, float alpha);
    double (*sum_squares)(void *ctx, const float *x, size_t n);

    /* device scalars */
    void (*sum_into)(void *ctx, double *acc, const float *x, size_t n);
    void (*clip_global_norm)(void *ctx, float *const *xs, const size_t *ns, int k, float max_norm, double *norm);

    /* layers */
    void (*bias_add_forward)(void *ctx, float *y, const float *b, int B, int N);
    void (*bias_add_backward)(void *ctx, float *db, const float *dy, int B, int N);
    void (*relu_forward)(void *ctx, float *y, const float *x, size_t n);
    void (*relu_backward)(void *ctx, float *dx, const float *dy, const float *y, size_t n);
    void (*embbag_forward)(void *ctx, float *out, const float *E, const int64_t *offsets,
                           const int32_t *ids, const float *w, int B, int D, TmlBagMode mode);
    void (*embbag_backward)(void *ctx, float *dE, const float *dout, const int64_t *offsets,
                            const int32_t *ids, const float *w, int B, int D, TmlBagMode mode);

    void (*embbag_backward_rows)(void *ctx, float *dE, const float *dout, const int64_t *offsets, const float *w,
                                 int B, int D, TmlBagMode mode, const int32_t *uniq, const int32_t *uoff,
                                 const int32_t *occ, int n_uniq);

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

    /* per-example SGD of the embedding-bag classifier */
    void (*bag_sgd)(void *ctx, const TmlBagSgd *a);
    size_t (*bag_sgd_scratch_floats)(int D, int C, int has_W);

    /* row reductions */
    void (*row_sum)(void *ctx, float *out, const float *x, int B, int N);
    void (*row_argmax)(void *ctx, int32_t *out, const float *x, int B, int N);
    void (*row_topk)(void *ctx, int32_t *idx, float *val, const float *x, int B, int N, int k);
    /* transformer encoder layers */
    void (*embedding_forward)(void *ctx, float *out, const float *E, int V, const int32_t *ids, int N, int D,
                              int accumulate);
    void (*embedding_backward)(void *ctx, float *dE, int V, const float *dout, const int32_t *ids, int N, int D);
    void (*layernorm_forward)(void *ctx, float *y, float *mean, float *rstd, const float *x, const float *w,
                              const float *b, int N, int C, float eps);
    void (*layernorm_backward)(void *ctx, float *dx, float *dw, float *db, const float *dy, const float *x,
                               const float *mean, const float *rstd, const float *w, int N, int C);
    void (*gelu_forward)(void *ctx, float *y, const float *x, size_t n);
    void (*gelu_backward)(void *ctx, float *dx, const float *dy, const float *x, size_t n);
    void (*masked_softmax_forward)(void *ctx, float *probs, const float *scores, const int32_t *lens, int B,
                                   int NH, int T, float scale);
    void (*masked_softmax_backward)(void *ctx, float *dscores, const float *dprobs, const float *probs, int B,
                                    int NH, int T, float scale);
    /* forward and backward are the same masked scaling (the backward applies it to dy) */
    void (*dropout)(void *ctx, float *y, const float *x, size_t n, float p, uint64_t seed);
    void (*sgemm_batched)(void *ctx, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                          int lda, int64_t stride_a, const float *B, int ldb, int64_t stride_b, float beta,
                          float *C, int ldc, int64_t stride_c, int batch);
    void (*pool_forward)(void *ctx, float *out, const float *h, const int32_t *lens, int B, int T, int C,
                         TmlPoolMode mode);
    void (*pool_backward)(void *ctx, float *dh, const float *dout, const int32_t *lens, int B, int T, int C,
                          TmlPoolMode mode);
    void (*attention_forward)(void *ctx, float *out, float *saved, float *scratch, const float *qkv,
                              const int32_t *lens, int B, int T, int C, int NH, float p, uint64_t seed);
    void (*attention_backward)(void *ctx, float *dqkv, float *scratch, const float *dout, const float *saved,
                               const float *qkv, const int32_t *lens, int B, int T, int C, int NH, float p,
                               uint64_t seed);
    size_t (*attention_saved_floats)(int B, int T, int C, int NH);
    size_t (*attention_scratch_floats)(int B, int T, int C, int NH);
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

/* The CPU table (kernels/backend_cpu.c); ctx is unused (NULL). */
extern const TmlBackendOps tml_cpu_ops;

#ifdef TML_HAVE_CUDA
/* The CUDA table (kernels/backend_cuda.c) and its life cycle (kernels/cuda/context.cu). */
extern const TmlBackendOps tml_cuda_ops;
/* Number of usable devices; on 0 writes why (driver missing, no device, ...) into why. */
int tml_cuda_probe_devices(char *why, size_t n);
/* Creates a context (stream, cuBLAS handle, scratch) on device `dev`; NULL with err filled on
 * failure. Writes the device name into name. Freed through tml_cuda_ops.ctx_free. */
void *tml_cuda_ctx_create(int dev, char *name, size_t name_n, TmlError *err);
/* Appends the CUDA parts of `ticketml --version` / `ticketml devices` to buf. */
void tml_cuda_describe_build(char *buf, size_t n);
void tml_cuda_describe_devices(char *buf, size_t n);
#endif

/* Appends printf-style text to buf (size n), truncating safely: the build and device descriptions
 * of backend.c and cuda/context.cu. */
void tml_backend_appendf(char *buf, size_t n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Bias corrections for AdamW step t, computed once in double on the host so every backend applies
 * the same float values: *c1 = 1 - b1^t, *c2 = 1 - b2^t. */
void tml_adamw_bias_corrections(float b1, float b2, int t, float *c1, float *c2);

#endif
