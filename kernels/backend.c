/* backend.c — the public face of kernels/: picks a backend at run time (CPU or CUDA), describes
 * the build and the devices, and forwards every op through the backend's function table.
 * The only place outside kernels/cuda that knows whether CUDA was compiled in. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kernels/backend.h"
#include "kernels/backend_impl.h"

void tml_backend_appendf(char *buf, size_t n, const char *fmt, ...) {
    size_t len = strnlen(buf, n);
    if (len + 1 >= n) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, n - len, fmt, ap);
    va_end(ap);
}

int tml_device_parse(const char *s, TmlDeviceKind *out, TmlError *err) {
    if (s && !strcasecmp(s, "auto")) *out = TML_DEVICE_AUTO;
    else if (s && !strcasecmp(s, "cpu")) *out = TML_DEVICE_CPU;
    else if (s && (!strcasecmp(s, "cuda") || !strcasecmp(s, "gpu"))) *out = TML_DEVICE_CUDA;
    else return tml_fail(err, "unknown device '%s'; use auto, cpu or cuda", s ? s : "(null)");
    return 0;
}

void tml_adamw_bias_corrections(float b1, float b2, int t, float *c1, float *c2) {
    TML_ASSERT(t >= 1);
    *c1 = (float)(1.0 - pow((double)b1, (double)t));
    *c2 = (float)(1.0 - pow((double)b2, (double)t));
}

int tml_backend_have_cuda_build(void) {
#ifdef TML_HAVE_CUDA
    return 1;
#else
    return 0;
#endif
}

int tml_backend_cuda_device_count(void) {
#ifdef TML_HAVE_CUDA
    char why[256];
    return tml_cuda_probe_devices(why, sizeof why);
#else
    return 0;
#endif
}

static TmlBackend *backend_new_cpu(void) {
    TmlBackend *be = calloc(1, sizeof *be);
    if (!be) return NULL;
    be->ops = &tml_cpu_ops;
    snprintf(be->device, sizeof be->device, "cpu (%d threads)", omp_get_max_threads());
    return be;
}

TmlBackend *tml_backend_create(TmlDeviceKind kind, int quiet, TmlError *err) {
    if (kind == TML_DEVICE_CPU) {
        TmlBackend *be = backend_new_cpu();
        if (!be) tml_fail(err, "out of memory creating the CPU backend");
        return be;
    }
    char why[TML_ERROR_MSG_MAX] = "";
    int ndev = 0;
#ifdef TML_HAVE_CUDA
    ndev = tml_cuda_probe_devices(why, sizeof why);
    if (ndev > 0) {
        TmlBackend *be = calloc(1, sizeof *be);
        if (!be) {
            tml_fail(err, "out of memory creating the CUDA backend");
            return NULL;
        }
        TmlError cerr = {{0}};
        be->ctx = tml_cuda_ctx_create(0, be->device, sizeof be->device, &cerr);
        if (be->ctx) {
            be->ops = &tml_cuda_ops;
            return be;
        }
        free(be);
        snprintf(why, sizeof why, "%s", cerr.msg);
    }
#else
    snprintf(why, sizeof why, "this ticketml was built without CUDA: nvcc was not found at build time");
#endif
    if (kind == TML_DEVICE_CUDA) {
        tml_fail(err, "--device cuda: no usable CUDA device (%s); use --device cpu or --device auto", why);
        return NULL;
    }
    const char *req = getenv("TICKETML_REQUIRE_CUDA");
    if (req && *req && strcmp(req, "0") != 0) { /* make test-gpu: a silent CPU run would pass for a GPU one */
        tml_fail(err, "TICKETML_REQUIRE_CUDA=1 and --device auto found no usable CUDA device (%s)", why);
        return NULL;
    }
    TmlBackend *be = backend_new_cpu();
    if (!be) {
        tml_fail(err, "out of memory creating the CPU backend");
        return NULL;
    }
    if (!quiet) {
        if (ndev > 0) fprintf(stderr, "ticketml: %s; using the CPU\n", why); /* a device, but no context */
        else fprintf(stderr, "ticketml: no CUDA device found (%s); using the CPU\n", why);
    }
    return be;
}

void tml_backend_free(TmlBackend *be) {
    if (!be) return;
    if (be->ops->ctx_free) be->ops->ctx_free(be->ctx);
    free(be);
}

const char *tml_backend_name(const TmlBackend *be) { return be->ops->name; }
const char *tml_backend_device(const TmlBackend *be) { return be->device; }
int tml_backend_is_gpu(const TmlBackend *be) { return be->ops->is_gpu; }

int tml_backend_threads(const TmlBackend *be) { return be->ops->is_gpu ? 0 : omp_get_max_threads(); }

double tml_backend_peak_gbps(const TmlBackend *be) {
    return be->ops->peak_gbps ? be->ops->peak_gbps(be->ctx) : 0.0;
}

void tml_backend_describe_build(char *buf, size_t n) {
    if (!n) return;
    buf[0] = '\0';
    tml_backend_appendf(buf, n, "backends: cpu%s\n", tml_backend_have_cuda_build() ? ", cuda" : " (built without CUDA)");
    const char *cfg = openblas_get_config();
    const char *omp = _OPENMP >= 202011 ? "5.1+" : _OPENMP >= 201811 ? "5.0" : _OPENMP >= 201511 ? "4.5" : "< 4.5";
    tml_backend_appendf(buf, n, "cpu: %s, OpenMP %s\n", cfg ? cfg : "OpenBLAS (unknown)", omp);
#ifdef TML_HAVE_CUDA
    tml_cuda_describe_build(buf, n);
#endif
}

void tml_backend_describe_devices(char *buf, size_t n) {
    if (!n) return;
    buf[0] = '\0';
    tml_backend_appendf(buf, n, "cpu: %d OpenMP threads, %d OpenBLAS threads\n", omp_get_max_threads(),
               openblas_get_num_threads());
#ifdef TML_HAVE_CUDA
    tml_cuda_describe_devices(buf, n);
    tml_backend_appendf(buf, n, "--device auto uses: %s\n", tml_backend_cuda_device_count() > 0 ? "cuda" : "cpu");
#else
    tml_backend_appendf(buf, n, "cuda: not built in (nvcc was not found at build time)\n--device auto uses: cpu\n");
#endif
}

/* ---- memory ---------------------------------------------------------------------------------- */
void *tml_alloc(TmlBackend *be, size_t bytes) { return be->ops->alloc(be->ctx, bytes); }
void tml_free(TmlBackend *be, void *p) {
    if (p) be->ops->free(be->ctx, p);
}
void tml_upload(TmlBackend *be, void *dst_dev, const void *src_host, size_t bytes) {
    if (bytes) be->ops->upload(be->ctx, dst_dev, src_host, bytes);
}
void tml_download(TmlBackend *be, void *dst_host, const void *src_dev, size_t bytes) {
    if (bytes) be->ops->download(be->ctx, dst_host, src_dev, bytes);
    else be->ops->sync(be->ctx);
}
void tml_copy(TmlBackend *be, void *dst_dev, const void *src_dev, size_t bytes) {
    if (bytes) be->ops->copy(be->ctx, dst_dev, src_dev, bytes);
}
void tml_zero(TmlBackend *be, void *dst_dev, size_t bytes) {
    if (bytes) be->ops->zero(be->ctx, dst_dev, bytes);
}
void tml_fill(TmlBackend *be, float *x, size_t n, float value) {
    if (n) be->ops->fill(be->ctx, x, n, value);
}
void tml_sync(TmlBackend *be) { be->ops->sync(be->ctx); }

void *tml_host_alloc(TmlBackend *be, size_t bytes) { return be->ops->host_alloc(be->ctx, bytes); }
void tml_host_free(TmlBackend *be, void *p) {
    if (p) be->ops->host_free(be->ctx, p);
}
void tml_upload_async(TmlBackend *be, void *dst, const void *src, size_t bytes) {
    if (bytes) be->ops->upload_async(be->ctx, dst, src, bytes);
}
TmlEvent *tml_event_new(TmlBackend *be) { return (TmlEvent *)be->ops->event_new(be->ctx); }
void tml_event_free(TmlBackend *be, TmlEvent *e) {
    if (e) be->ops->event_free(be->ctx, e);
}
void tml_event_record(TmlBackend *be, TmlEvent *e) { be->ops->event_record(be->ctx, e); }
void tml_event_wait(TmlBackend *be, TmlEvent *e) { be->ops->event_wait(be->ctx, e); }

/* ---- dense algebra --------------------------------------------------------------------------- */
void tml_sgemm(TmlBackend *be, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
               int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    TML_ASSERT(M >= 0 && N >= 0 && K >= 0);
    if (M == 0 || N == 0) return;
    TML_ASSERT(ldc >= N);
    if (K > 0) {
        TML_ASSERT(lda >= (trans_a ? M : K));
        TML_ASSERT(ldb >= (trans_b ? K : N));
    }
    be->ops->sgemm(be->ctx, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void tml_scale(TmlBackend *be, float *x, size_t n, float alpha) {
    if (n) be->ops->scale(be->ctx, x, n, alpha);
}
void tml_axpy(TmlBackend *be, float *y, const float *x, size_t n, float alpha) {
    if (n) be->ops->axpy(be->ctx, y, x, n, alpha);
}
double tml_sum_squares(TmlBackend *be, const float *x, size_t n) {
    if (!n) return 0.0;
    return be->ops->sum_squares(be->ctx, x, n);
}

/* ---- device scalars --------------------------------------------------------------------------- */
void tml_sum_into(TmlBackend *be, double *acc, const float *x, size_t n) {
    if (n) be->ops->sum_into(be->ctx, acc, x, n);
}
void tml_clip_global_norm(TmlBackend *be, float *const *xs, const size_t *ns, int k, float max_norm, double *norm) {
    TML_ASSERT(k >= 0 && k <= TML_CLIP_MAX_TENSORS && max_norm >= 0.0f);
    be->ops->clip_global_norm(be->ctx, xs, ns, k, max_norm, norm);
}

/* ---- layers ---------------------------------------------------------------------------------- */
void tml_bias_add_forward(TmlBackend *be, float *y, const float *b, int B, int N) {
    TML_ASSERT(B >= 0 && N >= 0);
    if (B && N) be->ops->bias_add_forward(be->ctx, y, b, B, N);
}
void tml_bias_add_backward(TmlBackend *be, float *db, const float *dy, int B, int N) {
    TML_ASSERT(B >= 0 && N >= 0);
    if (B && N) be->ops->bias_add_backward(be->ctx, db, dy, B, N);
}
void tml_relu_forward(TmlBackend *be, float *y, const float *x, size_t n) {
    if (n) be->ops->relu_forward(be->ctx, y, x, n);
}
void tml_relu_backward(TmlBackend *be, float *dx, const float *dy, const float *y, size_t n) {
    if (n) be->ops->relu_backward(be->ctx, dx, dy, y, n);
}
void tml_embbag_forward(TmlBackend *be, float *out, const float *E, const int64_t *offsets, const int32_t *ids,
                        const float *w, int B, int D, TmlBagMode mode) {
    TML_ASSERT(B >= 0 && D >= 0);
    if (B && D) be->ops->embbag_forward(be->ctx, out, E, offsets, ids, w, B, D, mode);
}
void tml_embbag_backward(TmlBackend *be, float *dE, const float *dout, const int64_t *offsets,
                         const int32_t *ids, const float *w, int B, int D, TmlBagMode mode) {
    TML_ASSERT(B >= 0 && D >= 0);
    if (B && D) be->ops->embbag_backward(be->ctx, dE, dout, offsets, ids, w, B, D, mode);
}

void tml_embbag_backward_rows(TmlBackend *be, float *dE, const float *dout, const int64_t *offsets, const float *w,
                              int B, int D, TmlBagMode mode, const int32_t *uniq, const int32_t *uoff,
                              const int32_t *occ, int n_uniq) {
    TML_ASSERT(B >= 0 && D >= 0 && n_uniq >= 0);
    if (B && D && n_uniq) be->ops->embbag_backward_rows(be->ctx, dE, dout, offsets, w, B, D, mode, uniq, uoff, occ, n_uniq);
}

/* ---- losses ---------------------------------------------------------------------------------- */
void tml_softmax_xent_forward(TmlBackend *be, float *probs, float *losses, const float *logits,
                              const int32_t *labels, const float *cw, float smoothing, int B, int C) {
    TML_ASSERT(B >= 0 && C > 0);
    if (B) be->ops->softmax_xent_forward(be->ctx, probs, losses, logits, labels, cw, smoothing, B, C);
}
void tml_softmax_xent_backward(TmlBackend *be, float *dlogits, const float *probs, const int32_t *labels,
                               const float *cw, float smoothing, int B, int C, float scale) {
    TML_ASSERT(B >= 0 && C > 0 && (labels || B == 0));
    if (B) be->ops->softmax_xent_backward(be->ctx, dlogits, probs, labels, cw, smoothing, B, C, scale);
}
void tml_sigmoid_bce_forward(TmlBackend *be, float *probs, float *losses, const float *logits,
                             const float *targets, const float *pw, size_t n) {
    if (n) be->ops->sigmoid_bce_forward(be->ctx, probs, losses, logits, targets, pw, n);
}
void tml_sigmoid_bce_backward(TmlBackend *be, float *dlogits, const float *probs, const float *targets,
                              const float *pw, size_t n, float scale) {
    if (n) be->ops->sigmoid_bce_backward(be->ctx, dlogits, probs, targets, pw, n, scale);
}

/* ---- optimizers ------------------------------------------------------------------------------ */
void tml_sgd_update(TmlBackend *be, float *w, const float *g, size_t n, float lr, float wd) {
    if (n) be->ops->sgd_update(be->ctx, w, g, n, lr, wd);
}
void tml_adamw_update(TmlBackend *be, float *w, const float *g, float *m, float *v, size_t n, float lr,
                      float b1, float b2, float eps, float wd, int t) {
    TML_ASSERT(t >= 1);
    if (n) be->ops->adamw_update(be->ctx, w, g, m, v, n, lr, b1, b2, eps, wd, t);
}
void tml_sgd_update_rows(TmlBackend *be, float *W, float *G, const int32_t *rows, int n_rows, int D, float lr,
                         float wd) {
    TML_ASSERT(n_rows >= 0 && D >= 0);
    if (n_rows && D) be->ops->sgd_update_rows(be->ctx, W, G, rows, n_rows, D, lr, wd);
}
void tml_adamw_update_rows(TmlBackend *be, float *W, float *G, float *M, float *Vv, const int32_t *rows,
                           int n_rows, int D, float lr, float b1, float b2, float eps, float wd, int t) {
    TML_ASSERT(n_rows >= 0 && D >= 0 && t >= 1);
    if (n_rows && D) be->ops->adamw_update_rows(be->ctx, W, G, M, Vv, rows, n_rows, D, lr, b1, b2, eps, wd, t);
}

/* ---- per-example SGD ------------------------------------------------------------------------- */
void tml_bag_sgd(TmlBackend *be, const TmlBagSgd *a) {
    TML_ASSERT(a->n >= 0 && a->D > 0 && a->C > 0 && a->V > 0 && a->workers >= 0);
    TML_ASSERT(a->W || a->D == a->C);
    TML_ASSERT(2 * (int64_t)a->D + a->C <= TML_BAG_SGD_MAX_SCRATCH);
    TML_ASSERT(a->smoothing >= 0.0f && a->smoothing < 1.0f);
    TML_ASSERT(a->scratch || tml_bag_sgd_scratch_floats(be, a->D, a->C, a->W != NULL) == 0);
    if (a->n) be->ops->bag_sgd(be->ctx, a);
}
size_t tml_bag_sgd_scratch_floats(const TmlBackend *be, int D, int C, int has_W) {
    return be->ops->bag_sgd_scratch_floats(D, C, has_W);
}

/* ---- row reductions -------------------------------------------------------------------------- */
void tml_row_sum(TmlBackend *be, float *out, const float *x, int B, int N) {
    TML_ASSERT(B >= 0 && N >= 0);
    if (B) be->ops->row_sum(be->ctx, out, x, B, N);
}
void tml_row_argmax(TmlBackend *be, int32_t *out, const float *x, int B, int N) {
    TML_ASSERT(B >= 0 && N > 0);
    if (B) be->ops->row_argmax(be->ctx, out, x, B, N);
}
void tml_row_topk(TmlBackend *be, int32_t *idx, float *val, const float *x, int B, int N, int k) {
    TML_ASSERT(B >= 0 && k >= 0 && k <= N);
    if (B && k) be->ops->row_topk(be->ctx, idx, val, x, B, N, k);
}

/* ---- transformer encoder layers -------------------------------------------------------------- */
void tml_embedding_forward(TmlBackend *be, float *out, const float *E, int V, const int32_t *ids, int N, int D,
                           int accumulate) {
    TML_ASSERT(N >= 0 && D >= 0 && V > 0);
    if (N && D) be->ops->embedding_forward(be->ctx, out, E, V, ids, N, D, accumulate);
}
void tml_embedding_backward(TmlBackend *be, float *dE, int V, const float *dout, const int32_t *ids, int N, int D) {
    TML_ASSERT(N >= 0 && D >= 0 && V > 0);
    if (N && D) be->ops->embedding_backward(be->ctx, dE, V, dout, ids, N, D);
}
void tml_layernorm_forward(TmlBackend *be, float *y, float *mean, float *rstd, const float *x, const float *w,
                           const float *b, int N, int C, float eps) {
    TML_ASSERT(N >= 0 && C > 0 && eps >= 0.0f);
    if (N) be->ops->layernorm_forward(be->ctx, y, mean, rstd, x, w, b, N, C, eps);
}
void tml_layernorm_backward(TmlBackend *be, float *dx, float *dw, float *db, const float *dy, const float *x,
                            const float *mean, const float *rstd, const float *w, int N, int C) {
    TML_ASSERT(N >= 0 && C > 0);
    if (N) be->ops->layernorm_backward(be->ctx, dx, dw, db, dy, x, mean, rstd, w, N, C);
}
void tml_gelu_forward(TmlBackend *be, float *y, const float *x, size_t n) {
    if (n) be->ops->gelu_forward(be->ctx, y, x, n);
}
void tml_gelu_backward(TmlBackend *be, float *dx, const float *dy, const float *x, size_t n) {
    if (n) be->ops->gelu_backward(be->ctx, dx, dy, x, n);
}
void tml_masked_softmax_forward(TmlBackend *be, float *probs, const float *scores, const int32_t *lens, int B,
                                int NH, int T, float scale) {
    TML_ASSERT(B >= 0 && NH >= 0 && T >= 0);
    if (B && NH && T) be->ops->masked_softmax_forward(be->ctx, probs, scores, lens, B, NH, T, scale);
}
void tml_masked_softmax_backward(TmlBackend *be, float *dscores, const float *dprobs, const float *probs, int B,
                                 int NH, int T, float scale) {
    TML_ASSERT(B >= 0 && NH >= 0 && T >= 0);
    if (B && NH && T) be->ops->masked_softmax_backward(be->ctx, dscores, dprobs, probs, B, NH, T, scale);
}
void tml_dropout_forward(TmlBackend *be, float *y, const float *x, size_t n, float p, uint64_t seed) {
    TML_ASSERT(p >= 0.0f && p < 1.0f);
    if (n) be->ops->dropout(be->ctx, y, x, n, p, seed);
}
void tml_dropout_backward(TmlBackend *be, float *dx, const float *dy, size_t n, float p, uint64_t seed) {
    TML_ASSERT(p >= 0.0f && p < 1.0f);
    if (n) be->ops->dropout(be->ctx, dx, dy, n, p, seed);
}
void tml_sgemm_batched(TmlBackend *be, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                       int lda, int64_t stride_a, const float *B, int ldb, int64_t stride_b, float beta, float *C,
                       int ldc, int64_t stride_c, int batch) {
    TML_ASSERT(M >= 0 && N >= 0 && K >= 0 && batch >= 0);
    if (M == 0 || N == 0 || batch == 0) return;
    TML_ASSERT(ldc >= N && stride_c >= 0);
    if (K > 0) {
        TML_ASSERT(lda >= (trans_a ? M : K));
        TML_ASSERT(ldb >= (trans_b ? K : N));
    }
    be->ops->sgemm_batched(be->ctx, trans_a, trans_b, M, N, K, alpha, A, lda, stride_a, B, ldb, stride_b, beta, C,
                           ldc, stride_c, batch);
}
void tml_pool_forward(TmlBackend *be, float *out, const float *h, const int32_t *lens, int B, int T, int C,
                      TmlPoolMode mode) {
    TML_ASSERT(B >= 0 && T > 0 && C >= 0);
    if (B && C) be->ops->pool_forward(be->ctx, out, h, lens, B, T, C, mode);
}
void tml_pool_backward(TmlBackend *be, float *dh, const float *dout, const int32_t *lens, int B, int T, int C,
                       TmlPoolMode mode) {
    TML_ASSERT(B >= 0 && T > 0 && C >= 0);
    if (B && C) be->ops->pool_backward(be->ctx, dh, dout, lens, B, T, C, mode);
}
void tml_attention_forward(TmlBackend *be, float *out, float *saved, float *scratch, const float *qkv,
                           const int32_t *lens, int B, int T, int C, int NH, float p, uint64_t seed) {
    TML_ASSERT(B >= 0 && T >= 0 && NH > 0 && C > 0 && C % NH == 0 && p >= 0.0f && p < 1.0f);
    if (B && T) be->ops->attention_forward(be->ctx, out, saved, scratch, qkv, lens, B, T, C, NH, p, seed);
}
void tml_attention_backward(TmlBackend *be, float *dqkv, float *scratch, const float *dout, const float *saved,
                            const float *qkv, const int32_t *lens, int B, int T, int C, int NH, float p,
                            uint64_t seed) {
    TML_ASSERT(B >= 0 && T >= 0 && NH > 0 && C > 0 && C % NH == 0 && p >= 0.0f && p < 1.0f);
    if (B && T) be->ops->attention_backward(be->ctx, dqkv, scratch, dout, saved, qkv, lens, B, T, C, NH, p, seed);
}
size_t tml_attention_saved_floats(const TmlBackend *be, int B, int T, int C, int NH) {
    return be->ops->attention_saved_floats(B, T, C, NH);
}
size_t tml_attention_scratch_floats(const TmlBackend *be, int B, int T, int C, int NH) {
    return be->ops->attention_scratch_floats(B, T, C, NH);
}

/* ---- gradient-boosted trees ------------------------------------------------------------------ */
void tml_gbdt_hist(TmlBackend *be, double *hist, const uint8_t *bins, int64_t N, int F, int NB, const float *gh,
                   const int32_t *rows, int64_t n, const uint8_t *feat_used) {
    TML_ASSERT(N >= 0 && n >= 0 && F >= 0 && NB >= 2 && NB <= TML_GBDT_MAX_BINS && (rows || n <= N));
    if (F) be->ops->gbdt_hist(be->ctx, hist, bins, N, F, NB, gh, rows, n, feat_used);
}
void tml_gbdt_hist_subtract(TmlBackend *be, double *out, const double *parent, const double *child, size_t n) {
    if (n) be->ops->gbdt_hist_subtract(be->ctx, out, parent, child, n);
}
void tml_gbdt_split_find(TmlBackend *be, TmlGbdtSplit *out, const double *hist, const TmlGbdtFeature *feats, int F,
                         int NB, const uint8_t *feat_used, const TmlGbdtSplitParams *p) {
    TML_ASSERT(F > 0 && NB >= 2 && NB <= TML_GBDT_MAX_BINS && p);
    be->ops->gbdt_split_find(be->ctx, out, hist, feats, F, NB, feat_used, p);
}
int64_t tml_gbdt_partition(TmlBackend *be, int32_t *rows, int64_t n, const uint8_t *bins, int F,
                           const TmlGbdtSplit *s, int missing_bin, int32_t *scratch) {
    TML_ASSERT(n >= 0 && s && s->feature >= 0 && s->feature < F && missing_bin >= 1 && missing_bin < TML_GBDT_MAX_BINS);
    if (n == 0) return 0;
    return be->ops->gbdt_partition(be->ctx, rows, n, bins, F, s, missing_bin, scratch);
}
void tml_gbdt_leaf_add(TmlBackend *be, float *scores, int K, int k, const int32_t *rows, const TmlGbdtLeafRange *ranges,
                       int L) {
    TML_ASSERT(K >= 1 && k >= 0 && k < K && L >= 0);
    if (L) be->ops->gbdt_leaf_add(be->ctx, scores, K, k, rows, ranges, L);
}
void tml_gbdt_gradients(TmlBackend *be, float *gh, const float *scores, const int32_t *labels, const float *cw,
                        int64_t N, int K) {
    TML_ASSERT(N >= 0 && K >= 1);
    if (N) be->ops->gbdt_gradients(be->ctx, gh, scores, labels, cw, N, K);
}
void tml_gbdt_predict(TmlBackend *be, float *scores, const float *x, int64_t N, int F, const TmlGbdtNode *nodes,
                      const uint32_t *cats, const int32_t *roots, const int32_t *tclass, int T, int K) {
    TML_ASSERT(N >= 0 && F >= 0 && T >= 0 && K >= 1);
    if (N && T) be->ops->gbdt_predict(be->ctx, scores, x, N, F, nodes, cats, roots, tclass, T, K);
}
void tml_gbdt_predict_binned(TmlBackend *be, float *scores, const uint8_t *bins, int64_t N, int F,
                             const TmlGbdtNode *nodes, const uint32_t *cats, const int32_t *roots, const int32_t *tclass,
                             int T, int K) {
    TML_ASSERT(N >= 0 && F >= 1 && T >= 0 && K >= 1);
    if (N && T) be->ops->gbdt_predict_binned(be->ctx, scores, bins, N, F, nodes, cats, roots, tclass, T, K);
}
