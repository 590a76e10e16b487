/* cpu_ops.h — the plain-C reference implementations (kernels/cpu/<op>.c): the specification of every
 * op in backend.h. Each takes `void *ctx` (unused) so it can sit in the backend table directly;
 * tests call them through a CPU TmlBackend. Pointers are ordinary host memory. */
#ifndef TICKETML_CPU_OPS_H
#define TICKETML_CPU_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/backend.h"

/* memory.c */
void *tml_cpu_alloc(void *ctx, size_t bytes);
void tml_cpu_free(void *ctx, void *p);
void tml_cpu_upload(void *ctx, void *dst, const void *src, size_t bytes);
void tml_cpu_download(void *ctx, void *dst, const void *src, size_t bytes);
void tml_cpu_copy(void *ctx, void *dst, const void *src, size_t bytes);
void tml_cpu_zero(void *ctx, void *dst, size_t bytes);
void tml_cpu_fill(void *ctx, float *x, size_t n, float value);
void tml_cpu_sync(void *ctx);
void *tml_cpu_host_alloc(void *ctx, size_t bytes);
void tml_cpu_host_free(void *ctx, void *p);
void tml_cpu_upload_async(void *ctx, void *dst, const void *src, size_t bytes);
void *tml_cpu_event_new(void *ctx);
void tml_cpu_event_free(void *ctx, void *e);
void tml_cpu_event_record(void *ctx, void *e);
void tml_cpu_event_wait(void *ctx, void *e);

/* gemm.c */
void tml_cpu_sgemm(void *ctx, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
               int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* elementwise.c */
void tml_cpu_scale(void *ctx, float *x, size_t n, float alpha);
void tml_cpu_axpy(void *ctx, float *y, const float *x, size_t n, float alpha);
double tml_cpu_sum_squares(void *ctx, const float *x, size_t n);
void tml_cpu_bias_add_forward(void *ctx, float *y, const float *b, int B, int N);
void tml_cpu_bias_add_backward(void *ctx, float *db, const float *dy, int B, int N);
void tml_cpu_relu_forward(void *ctx, float *y, const float *x, size_t n);
void tml_cpu_relu_backward(void *ctx, float *dx, const float *dy, const float *y, size_t n);

/* embbag.c */
void tml_cpu_embbag_forward(void *ctx, float *out, const float *E, const int64_t *offsets, const int32_t *ids,
                        const float *w, int B, int D, TmlBagMode mode);
void tml_cpu_embbag_backward(void *ctx, float *dE, const float *dout, const int64_t *offsets,
                         const int32_t *ids, const float *w, int B, int D, TmlBagMode mode);
void tml_cpu_embbag_backward_rows(void *ctx, float *dE, const float *dout, const int64_t *offsets, const float *w, int B,
    int D, TmlBagMode mode, const int32_t *uniq, const int32_t *uoff, const int32_t *occ, int n_uniq);

/* losses.c */
void tml_cpu_softmax_xent_forward(void *ctx, float *probs, float *losses, const float *logits,
                              const int32_t *labels, const float *cw, float smoothing, int B, int C);
void tml_cpu_softmax_xent_backward(void *ctx, float *dlogits, const float *probs, const int32_t *labels,
                               const float *cw, float smoothing, int B, int C, float scale);
void tml_cpu_sigmoid_bce_forward(void *ctx, float *probs, float *losses, const float *logits,
                             const float *targets, const float *pw, size_t n);
void tml_cpu_sigmoid_bce_backward(void *ctx, float *dlogits, const float *probs, const float *targets,
                              const float *pw, size_t n, float scale);

/* optim.c */
void tml_cpu_sgd_update(void *ctx, float *w, const float *g, size_t n, float lr, float wd);
void tml_cpu_adamw_update(void *ctx, float *w, const float *g, float *m, float *v, size_t n, float lr,
                      float b1, float b2, float eps, float wd, int t);
void tml_cpu_sgd_update_rows(void *ctx, float *W, float *G, const int32_t *rows, int n_rows, int D, float lr,
                         float wd);
void tml_cpu_adamw_update_rows(void *ctx, float *W, float *G, float *M, float *Vv, const int32_t *rows,
                           int n_rows, int D, float lr, float b1, float b2, float eps, float wd, int t);

/* scalars.c */
void tml_cpu_sum_into(void *ctx, double *acc, const float *x, size_t n);
void tml_cpu_clip_global_norm(void *ctx, float *const *xs, const size_t *ns, int k, float max_norm, double *norm);

/* bag_sgd.c */
void tml_cpu_bag_sgd(void *ctx, const TmlBagSgd *a);
size_t tml_cpu_bag_sgd_scratch_floats(int D, int C, int has_W);

/* reduce.c */
void tml_cpu_row_sum(void *ctx, float *out, const float *x, int B, int N);
void tml_cpu_row_argmax(void *ctx, int32_t *out, const float *x, int B, int N);
void tml_cpu_row_topk(void *ctx, int32_t *idx, float *val, const float *x, int B, int N, int k);

/* gemm.c */
void tml_cpu_sgemm_batched(void *ctx, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                           int lda, int64_t stride_a, const float *B, int ldb, int64_t stride_b, float beta, float *C,
                           int ldc, int64_t stride_c, int batch);

/* embedding.c */
void tml_cpu_embedding_forward(void *ctx, float *out, const float *E, int V, const int32_t *ids, int N, int D,
                               int accumulate);
void tml_cpu_embedding_backward(void *ctx, float *dE, int V, const float *dout, const int32_t *ids, int N, int D);

/* layernorm.c */
void tml_cpu_layernorm_forward(void *ctx, float *y, float *mean, float *rstd, const float *x, const float *w,
                               const float *b, int N, int C, float eps);
void tml_cpu_layernorm_backward(void *ctx, float *dx, float *dw, float *db, const float *dy, const float *x,
                                const float *mean, const float *rstd, const float *w, int N, int C);

/* gelu.c */
void tml_cpu_gelu_forward(void *ctx, float *y, const float *x, size_t n);
void tml_cpu_gelu_backward(void *ctx, float *dx, const float *dy, const float *x, size_t n);

/* softmax_masked.c */
void tml_cpu_masked_softmax_forward(void *ctx, float *probs, const float *scores, const int32_t *lens, int B, int NH,
                                    int T, float scale);
void tml_cpu_masked_softmax_backward(void *ctx, float *dscores, const float *dprobs, const float *probs, int B,
                                     int NH, int T, float scale);

/* dropout.c */
void tml_cpu_dropout(void *ctx, float *y, const float *x, size_t n, float p, uint64_t seed);

/* pool.c */
void tml_cpu_pool_forward(void *ctx, float *out, const float *h, const int32_t *lens, int B, int T, int C,
                          TmlPoolMode mode);
void tml_cpu_pool_backward(void *ctx, float *dh, const float *dout, const int32_t *lens, int B, int T, int C,
                           TmlPoolMode mode);

/* attention.c */
void tml_cpu_attention_forward(void *ctx, float *out, float *saved, float *scratch, const float *qkv,
                               const int32_t *lens, int B, int T, int C, int NH, float p, uint64_t seed);
void tml_cpu_attention_backward(void *ctx, float *dqkv, float *scratch, const float *dout, const float *saved,
                                const float *qkv, const int32_t *lens, int B, int T, int C, int NH, float p,
                                uint64_t seed);
size_t tml_cpu_attention_saved_floats(int B, int T, int C, int NH);
size_t tml_cpu_attention_scratch_floats(int B, int T, int C, int NH);

/* gbdt_hist.c, gbdt_split.c, gbdt_partition.c, gbdt_predict.c (gradient-boosted trees) */
void tml_cpu_gbdt_hist(void *ctx, double *hist, const uint8_t *bins, int64_t N, int F, int NB, const float *gh,
                       const int32_t *rows, int64_t n, const uint8_t *feat_used);
void tml_cpu_gbdt_hist_subtract(void *ctx, double *out, const double *parent, const double *child, size_t n);
void tml_cpu_gbdt_split_find(void *ctx, TmlGbdtSplit *out, const double *hist, const TmlGbdtFeature *feats, int F,
                             int NB, const uint8_t *feat_used, const TmlGbdtSplitParams *p);
int64_t tml_cpu_gbdt_partition(void *ctx, int32_t *rows, int64_t n, const uint8_t *bins, int F,
                               const TmlGbdtSplit *s, int missing_bin, int32_t *scratch);
void tml_cpu_gbdt_leaf_add(void *ctx, float *scores, int K, int k, const int32_t *rows,
                           const TmlGbdtLeafRange *ranges, int L);
void tml_cpu_gbdt_gradients(void *ctx, float *gh, const float *scores, const int32_t *labels, const float *cw,
                            int64_t N, int K);
void tml_cpu_gbdt_predict(void *ctx, float *scores, const float *x, int64_t N, int F, const TmlGbdtNode *nodes,
                          const uint32_t *cats, const int32_t *roots, const int32_t *tclass, int T, int K);
void tml_cpu_gbdt_predict_binned(void *ctx, float *scores, const uint8_t *bins, int64_t N, int F,
                                 const TmlGbdtNode *nodes, const uint32_t *cats, const int32_t *roots,
                                 const int32_t *tclass, int T, int K);

#endif
