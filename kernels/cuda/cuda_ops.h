/* cuda_ops.h — the CUDA implementations of the ops in backend.h, callable from C (they are
 * `extern "C"` in kernels/cuda/<op>.cu). Each mirrors its reference <op>_cpu in kernels/cpu and
 * takes the TmlCudaCtx (as void*) made by cuda_ctx_create. All are asynchronous on the context's
 * stream except download, sync and sum_squares. */
#ifndef TICKETML_CUDA_OPS_H
#define TICKETML_CUDA_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* context.cu */
void ctx_free_cuda(void *ctx);
double peak_gbps_cuda(void *ctx);
void *alloc_cuda(void *ctx, size_t bytes);
void free_cuda(void *ctx, void *p);
void upload_cuda(void *ctx, void *dst, const void *src, size_t bytes);
void download_cuda(void *ctx, void *dst, const void *src, size_t bytes);
void copy_cuda(void *ctx, void *dst, const void *src, size_t bytes);
void zero_cuda(void *ctx, void *dst, size_t bytes);
void sync_cuda(void *ctx);

/* gemm.cu */
void sgemm_cuda(void *ctx, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* elementwise.cu */
void fill_cuda(void *ctx, float *x, size_t n, float value);
void scale_cuda(void *ctx, float *x, size_t n, float alpha);
void axpy_cuda(void *ctx, float *y, const float *x, size_t n, float alpha);
double sum_squares_cuda(void *ctx, const float *x, size_t n);
void bias_add_forward_cuda(void *ctx, float *y, const float *b, int B, int N);
void bias_add_backward_cuda(void *ctx, float *db, const float *dy, int B, int N);
void relu_forward_cuda(void *ctx, float *y, const float *x, size_t n);
void relu_backward_cuda(void *ctx, float *dx, const float *dy, const float *y, size_t n);

/* embbag.cu */
void embbag_forward_cuda(void *ctx, float *out, const float *E, const int64_t *offsets, const int32_t *ids,
                         const float *w, int B, int D, TmlBagMode mode);
void embbag_backward_cuda(void *ctx, float *dE, const float *dout, const int64_t *offsets,
                          const int32_t *ids, const float *w, int B, int D, TmlBagMode mode);

/* losses.cu */
void softmax_xent_forward_cuda(void *ctx, float *probs, float *losses, const float *logits,
                               const int32_t *labels, const float *cw, float smoothing, int B, int C);
void softmax_xent_backward_cuda(void *ctx, float *dlogits, const float *probs, const int32_t *labels,
                                const float *cw, float smoothing, int B, int C, float scale);
void sigmoid_bce_forward_cuda(void *ctx, float *probs, float *losses, const float *logits,
                              const float *targets, const float *pw, size_t n);
void sigmoid_bce_backward_cuda(void *ctx, float *dlogits, const float *probs, const float *targets,
                               const float *pw, size_t n, float scale);

/* optim.cu */
void sgd_update_cuda(void *ctx, float *w, const float *g, size_t n, float lr, float wd);
void adamw_update_cuda(void *ctx, float *w, const float *g, float *m, float *v, size_t n, float lr,
                       float b1, float b2, float eps, float wd, int t);
void sgd_update_rows_cuda(void *ctx, float *W, float *G, const int32_t *rows, int n_rows, int D, float lr,
                          float wd);
void adamw_update_rows_cuda(void *ctx, float *W, float *G, float *M, float *Vv, const int32_t *rows,
                            int n_rows, int D, float lr, float b1, float b2, float eps, float wd, int t);

/* reduce.cu */
void row_sum_cuda(void *ctx, float *out, const float *x, int B, int N);
void row_argmax_cuda(void *ctx, int32_t *out, const float *x, int B, int N);
void row_topk_cuda(void *ctx, int32_t *idx, float *val, const float *x, int B, int N, int k);

/* gbdt_hist.cu, gbdt_split.cu, gbdt_partition.cu, gbdt_predict.cu (gradient-boosted trees) */
void tml_cuda_gbdt_hist(void *ctx, double *hist, const uint8_t *bins, int64_t N, int F, int NB, const float *gh,
                        const int32_t *rows, int64_t n, const uint8_t *feat_used);
void tml_cuda_gbdt_hist_subtract(void *ctx, double *out, const double *parent, const double *child, size_t n);
void tml_cuda_gbdt_split_find(void *ctx, TmlGbdtSplit *out, const double *hist, const TmlGbdtFeature *feats, int F,
                              int NB, const uint8_t *feat_used, const TmlGbdtSplitParams *p);
int64_t tml_cuda_gbdt_partition(void *ctx, int32_t *rows, int64_t n, const uint8_t *bins, int F,
                                const TmlGbdtSplit *s, int missing_bin, int32_t *scratch);
void tml_cuda_gbdt_leaf_add(void *ctx, float *scores, int K, int k, const int32_t *rows,
                            const TmlGbdtLeafRange *ranges, int L);
void tml_cuda_gbdt_gradients(void *ctx, float *gh, const float *scores, const int32_t *labels, const float *cw,
                             int64_t N, int K);
void tml_cuda_gbdt_predict(void *ctx, float *scores, const float *x, int64_t N, int F, const TmlGbdtNode *nodes,
                           const uint32_t *cats, const int32_t *roots, const int32_t *tclass, int T, int K);
void tml_cuda_gbdt_predict_binned(void *ctx, float *scores, const uint8_t *bins, int64_t N, int F,
                                  const TmlGbdtNode *nodes, const uint32_t *cats, const int32_t *roots,
                                  const int32_t *tclass, int T, int K);

#ifdef __cplusplus
}
#endif

#endif
