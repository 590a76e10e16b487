/* cuda_ops.h — the CUDA implementations of the ops in backend.h, callable from C (they are
 * `extern "C"` in kernels/cuda/<op>.cu). Each mirrors its reference <op>_cpu in kernels/cpu and
 * takes the TmlCudaCtx (as void*) made by tml_cuda_ctx_create. All are asynchronous on the context's
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
void tml_cuda_ctx_free(void *ctx);
double tml_cuda_peak_gbps(void *ctx);
void *tml_cuda_alloc(void *ctx, size_t bytes);
void tml_cuda_free(void *ctx, void *p);
void tml_cuda_upload(void *ctx, void *dst, const void *src, size_t bytes);
void tml_cuda_download(void *ctx, void *dst, const void *src, size_t bytes);
void tml_cuda_copy(void *ctx, void *dst, const void *src, size_t bytes);
void tml_cuda_zero(void *ctx, void *dst, size_t bytes);
void tml_cuda_sync(void *ctx);
void *tml_cuda_host_alloc(void *ctx, size_t bytes);
void tml_cuda_host_free(void *ctx, void *p);
void tml_cuda_upload_async(void *ctx, void *dst, const void *src, size_t bytes);
void *tml_cuda_event_new(void *ctx);
void tml_cuda_event_free(void *ctx, void *e);
void tml_cuda_event_record(void *ctx, void *e);
void tml_cuda_event_wait(void *ctx, void *e);

/* gemm.cu */
void tml_cuda_sgemm(void *ctx, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* elementwise.cu */
void tml_cuda_fill(void *ctx, float *x, size_t n, float value);
void tml_cuda_scale(void *ctx, float *x, size_t n, float alpha);
void tml_cuda_axpy(void *ctx, float *y, const float *x, size_t n, float alpha);
double tml_cuda_sum_squares(void *ctx, const float *x, size_t n);
void tml_cuda_bias_add_forward(void *ctx, float *y, const float *b, int B, int N);
void tml_cuda_bias_add_backward(void *ctx, float *db, const float *dy, int B, int N);
void tml_cuda_relu_forward(void *ctx, float *y, const float *x, size_t n);
void tml_cuda_relu_backward(void *ctx, float *dx, const float *dy, const float *y, size_t n);

/* embbag.cu */
void tml_cuda_embbag_forward(void *ctx, float *out, const float *E, const int64_t *offsets, const int32_t *ids,
                         const float *w, int B, int D, TmlBagMode mode);
void tml_cuda_embbag_backward(void *ctx, float *dE, const float *dout, const int64_t *offsets,
                          const int32_t *ids, const float *w, int B, int D, TmlBagMode mode);
void tml_cuda_embbag_backward_rows(void *ctx, float *dE, const float *dout, const int64_t *offsets, const float *w, int B,
    int D, TmlBagMode mode, const int32_t *uniq, const int32_t *uoff, const int32_t *occ, int n_uniq);

/* losses.cu */
void tml_cuda_softmax_xent_forward(void *ctx, float *probs, float *losses, const float *logits,
                               const int32_t *labels, const float *cw, float smoothing, int B, int C);
void tml_cuda_softmax_xent_backward(void *ctx, float *dlogits, const float *probs, const int32_t *labels,
                                const float *cw, float smoothing, int B, int C, float scale);
void tml_cuda_sigmoid_bce_forward(void *ctx, float *probs, float *losses, const float *logits,
                              const float *targets, const float *pw, size_t n);
void tml_cuda_sigmoid_bce_backward(void *ctx, float *dlogits, const float *probs, const float *targets,
                               const float *pw, size_t n, float scale);

/* optim.cu */
void tml_cuda_sgd_update(void *ctx, float *w, const float *g, size_t n, float lr, float wd);
void tml_cuda_adamw_update(void *ctx, float *w, const float *g, float *m, float *v, size_t n, float lr,
                       float b1, float b2, float eps, float wd, int t);
void tml_cuda_sgd_update_rows(void *ctx, float *W, float *G, const int32_t *rows, int n_rows, int D, float lr,
                          float wd);
void tml_cuda_adamw_update_rows(void *ctx, float *W, float *G, float *M, float *Vv, const int32_t *rows,
                            int n_rows, int D, float lr, float b1, float b2, float eps, float wd, int t);

/* scalars.cu */
void tml_cuda_sum_into(void *ctx, double *acc, const float *x, size_t n);
void tml_cuda_clip_global_norm(void *ctx, float *const *xs, const size_t *ns, int k, float max_norm, double *norm);

/* bag_sgd.cu */
void tml_cuda_bag_sgd(void *ctx, const TmlBagSgd *a);
size_t tml_cuda_bag_sgd_scratch_floats(int D, int C, int has_W);

/* reduce.cu */
void tml_cuda_row_sum(void *ctx, float *out, const float *x, int B, int N);
void tml_cuda_row_argmax(void *ctx, int32_t *out, const float *x, int B, int N);
void tml_cuda_row_topk(void *ctx, int32_t *idx, float *val, const float *x, int B, int N, int k);

/* gemm.cu (batched) */
void tml_cuda_sgemm_batched(void *ctx, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                            int lda, int64_t stride_a, const float *B, int ldb, int64_t stride_b, float beta,
                            float *C, int ldc, int64_t stride_c, int batch);

/* embedding.cu */
void tml_cuda_embedding_forward(void *ctx, float *out, const float *E, int V, const int32_t *ids, int N, int D,
                                int accumulate);
void tml_cuda_embedding_backward(void *ctx, float *dE, int V, const float *dout, const int32_t *ids, int N, int D);

/* layernorm.cu */
void tml_cuda_layernorm_forward(void *ctx, float *y, float *mean, float *rstd, const float *x, const float *w,
                                const float *b, int N, int C, float eps);
void tml_cuda_layernorm_backward(void *ctx, float *dx, float *dw, float *db, const float *dy, const float *x,
                                 const float *mean, const float *rstd, const float *w, int N, int C);

/* gelu.cu */
void tml_cuda_gelu_forward(void *ctx, float *y, const float *x, size_t n);
void tml_cuda_gelu_backward(void *ctx, float *dx, const float *dy, const float *x, size_t n);

/* softmax_masked.cu */
void tml_cuda_masked_softmax_forward(void *ctx, float *probs, const float *scores, const int32_t *lens, int B,
                                     int NH, int T, float scale);
void tml_cuda_masked_softmax_backward(void *ctx, float *dscores, const float *dprobs, const float *probs, int B,
                                      int NH, int T, float scale);

/* dropout.cu */
void tml_cuda_dropout(void *ctx, float *y, const float *x, size_t n, float p, uint64_t seed);

/* pool.cu */
void tml_cuda_pool_forward(void *ctx, float *out, const float *h, const int32_t *lens, int B, int T, int C,
                           TmlPoolMode mode);
void tml_cuda_pool_backward(void *ctx, float *dh, const float *dout, const int32_t *lens, int B, int T, int C,
                            TmlPoolMode mode);

/* attention.cu */
void tml_cuda_attention_forward(void *ctx, float *out, float *saved, float *scratch, const float *qkv,
                                const int32_t *lens, int B, int T, int C, int NH, float p, uint64_t seed);
void tml_cuda_attention_backward(void *ctx, float *dqkv, float *scratch, const float *dout, const float *saved,
                                 const float *qkv, const int32_t *lens, int B, int T, int C, int NH, float p,
                                 uint64_t seed);
size_t tml_cuda_attention_saved_floats(int B, int T, int C, int NH);
size_t tml_cuda_attention_scratch_floats(int B, int T, int C, int NH);

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
