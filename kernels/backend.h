/* backend.h — the only door to compute. The trainer and evaluator call these functions; a CPU
 * implementation (kernels/cpu, C + OpenBLAS + OpenMP) and a CUDA one (kernels/cuda) fill them in.
 *
 * Conventions:
 *  - All matrices are row-major. Shapes are written beside each pointer: `float *y; // (B, N)`.
 *  - Pointers passed to ops are *device* pointers from tml_alloc() on the same backend (on the CPU
 *    backend they are ordinary host memory). Host data moves only through tml_upload/tml_download.
 *  - Ops are asynchronous on CUDA (one stream per backend); tml_download and tml_sync synchronise.
 *  - Library failures inside an op (cuBLAS, CUDA launch) are broken invariants: they print
 *    file:line with the library's own text and abort. Allocation failure returns NULL.
 *  - Every op has its plain-C reference in kernels/cpu; that reference is the specification.
 */
#ifndef TICKETML_BACKEND_H
#define TICKETML_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "ticketml/error.h"

typedef enum TmlDeviceKind {
    TML_DEVICE_AUTO = 0, /* CUDA when a device is present, else the CPU with a one-line notice */
    TML_DEVICE_CPU = 1,
    TML_DEVICE_CUDA = 2,
} TmlDeviceKind;

typedef enum TmlBagMode { TML_BAG_SUM = 0, TML_BAG_MEAN = 1 } TmlBagMode;

typedef struct TmlBackend TmlBackend; /* opaque; create with tml_backend_create */

/* Parses "auto" | "cpu" | "cuda"; returns -1 with a message on anything else. */
int tml_device_parse(const char *s, TmlDeviceKind *out, TmlError *err);

/* Creates a backend. AUTO falls back to the CPU (printing one notice line to stderr unless quiet);
 * an explicit CUDA request on a machine without a usable device fails with a message.
 * The caller frees with tml_backend_free. */
TmlBackend *tml_backend_create(TmlDeviceKind kind, int quiet, TmlError *err);
void tml_backend_free(TmlBackend *be);
const char *tml_backend_name(const TmlBackend *be);   /* "cpu" or "cuda" */
const char *tml_backend_device(const TmlBackend *be); /* e.g. "NVIDIA H100 80GB HBM3" or "cpu (2 threads)" */
int tml_backend_is_gpu(const TmlBackend *be);
/* Threads the CPU backend's ops use (OMP_NUM_THREADS, else the core count); 0 on a GPU backend. */
int tml_backend_threads(const TmlBackend *be);

/* What was compiled in and what is present, for `ticketml --version` and `ticketml devices`.
 * Writes a human-readable multi-line description into buf. */
void tml_backend_describe_build(char *buf, size_t n);
void tml_backend_describe_devices(char *buf, size_t n);
/* 1 when this binary carries the CUDA backend, 0 otherwise. */
int tml_backend_have_cuda_build(void);
/* Number of usable CUDA devices (0 without a driver or without CUDA in the build). */
int tml_backend_cuda_device_count(void);
/* Peak memory bandwidth of the backend's device in GB/s (0 when unknown, e.g. on the CPU), for
 * benchmarks that report a fraction of peak. */
double tml_backend_peak_gbps(const TmlBackend *be);

/* ---- memory ---------------------------------------------------------------------------------- */
/* Device allocation; returns NULL when out of memory. Freed with tml_free (NULL is fine). */
void *tml_alloc(TmlBackend *be, size_t bytes);
void tml_free(TmlBackend *be, void *p);
void tml_upload(TmlBackend *be, void *dst_dev, const void *src_host, size_t bytes);
void tml_download(TmlBackend *be, void *dst_host, const void *src_dev, size_t bytes); /* syncs */
void tml_copy(TmlBackend *be, void *dst_dev, const void *src_dev, size_t bytes);
void tml_zero(TmlBackend *be, void *dst_dev, size_t bytes);
void tml_fill(TmlBackend *be, float *x, size_t n, float value); /* x: (n) */
void tml_sync(TmlBackend *be);

/* Pinned host memory: page-locked on CUDA, so uploads from it run asynchronously (plain aligned
 * memory on the CPU). NULL when out of memory; freed with tml_host_free (NULL is fine). */
void *tml_host_alloc(TmlBackend *be, size_t bytes);
void tml_host_free(TmlBackend *be, void *p);
/* Upload from tml_host_alloc memory that returns at once (queued on the backend's stream): src must
 * not change until an event recorded after this call has completed. On the CPU: a copy. */
void tml_upload_async(TmlBackend *be, void *dst_dev, const void *src_pinned, size_t bytes);
/* Events mark a point in the backend's stream: record after queued work, wait (the host blocks)
 * until that work is done. A host buffer's event guards its reuse. On the CPU they are no-ops. */
typedef struct TmlEvent TmlEvent;
TmlEvent *tml_event_new(TmlBackend *be); /* NULL when out of memory; tml_event_free */
void tml_event_free(TmlBackend *be, TmlEvent *e);
void tml_event_record(TmlBackend *be, TmlEvent *e);
void tml_event_wait(TmlBackend *be, TmlEvent *e);

/* ---- dense algebra --------------------------------------------------------------------------- */
/* C = alpha * op(A) @ op(B) + beta * C, row-major. op(A): (M, K), op(B): (K, N), C: (M, N).
 * lda/ldb/ldc are the row strides of A, B, C as stored. */
void tml_sgemm(TmlBackend *be, int trans_a, int trans_b, int M, int N, int K, float alpha,
               const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
/* x = alpha * x */
void tml_scale(TmlBackend *be, float *x, size_t n, float alpha);
/* y += alpha * x */
void tml_axpy(TmlBackend *be, float *y, const float *x, size_t n, float alpha);
/* Returns sum(x^2) (synchronises; used for gradient clipping). */
double tml_sum_squares(TmlBackend *be, const float *x, size_t n);

/* ---- device scalars: sums that stay on the device until the host asks -----------------------
 * A training step's loss sum and gradient norm are kept in device doubles and read (tml_download)
 * only when a progress line prints or an epoch ends, so a GPU step needs no round trip. */
/* *acc += sum(x), summed in double in a fixed order (the same bits every run). acc: one device
 * double. Does not synchronise. */
void tml_sum_into(TmlBackend *be, double *acc /*(1)*/, const float *x /*(n)*/, size_t n);
/* Global-norm clipping of k tensors as one vector: ss = sum of x^2 over every element of every tensor
 * (double, fixed order: the same bits every run), norm = sqrt(ss). When max_norm > 0 and norm >
 * max_norm, every element is multiplied by (float)(max_norm / (norm + 1e-12)). *norm (one device
 * double; NULL: not wanted) receives the norm before clipping. xs and ns are host arrays of k device
 * pointers and their lengths; k <= TML_CLIP_MAX_TENSORS. Does not synchronise. */
#define TML_CLIP_MAX_TENSORS 64
void tml_clip_global_norm(TmlBackend *be, float *const *xs /*(k) host*/, const size_t *ns /*(k) host*/, int k,
                          float max_norm, double *norm /*(1) or NULL*/);

/* ---- layers ---------------------------------------------------------------------------------- */
void tml_bias_add_forward(TmlBackend *be, float *y /*(B,N)*/, const float *b /*(N)*/, int B, int N);
/* db += column sums of dy */
void tml_bias_add_backward(TmlBackend *be, float *db /*(N)*/, const float *dy /*(B,N)*/, int B, int N);
void tml_relu_forward(TmlBackend *be, float *y /*(n)*/, const float *x /*(n)*/, size_t n);
/* dx = dy * (y > 0); dx may alias dy */
void tml_relu_backward(TmlBackend *be, float *dx, const float *dy, const float *y, size_t n);

/* Embedding bag over CSR input. Bag b holds ids[offsets[b] .. offsets[b+1]) with optional
 * per-id weights w (NULL means 1). out[b] = sum_j w_j * E[ids_j]; MEAN divides by the number of
 * ids in the bag (not by the weight sum). An empty bag gives a zero row.
 * offsets are absolute into ids (offsets[0] need not be 0: batches are windows of one CSR). */
void tml_embbag_forward(TmlBackend *be, float *out /*(B,D)*/, const float *E /*(V,D)*/,
                        const int64_t *offsets /*(B+1)*/, const int32_t *ids /*(nnz)*/,
                        const float *w /*(nnz) or NULL*/, int B, int D, TmlBagMode mode);
/* Sparse gradient: dE[ids_j] += w_j * dout[b] (/ bag length for MEAN); only touched rows change. */
void tml_embbag_backward(TmlBackend *be, float *dE /*(V,D)*/, const float *dout /*(B,D)*/,
                         const int64_t *offsets /*(B+1)*/, const int32_t *ids /*(nnz)*/,
                         const float *w /*(nnz) or NULL*/, int B, int D, TmlBagMode mode);

/* The same backward by rows instead of bags, for a batch whose distinct ids and their occurrences
 * are listed (trainer/batch.c builds the lists): row uniq[u] receives the contributions of the
 * positions occ[uoff[u] .. uoff[u+1]) of ids (absolute, like offsets; ascending, i.e. in bag order),
 * added one at a time into dE in that order with the same float operations as
 * tml_embbag_backward: the result is the same bits on every backend and every run, with no atomics
 * and no contention on frequent words (one worker per row). */
void tml_embbag_backward_rows(TmlBackend *be, float *dE /*(V,D)*/, const float *dout /*(B,D)*/,
                              const int64_t *offsets /*(B+1)*/, const float *w /*(nnz) or NULL*/, int B, int D,
                              TmlBagMode mode, const int32_t *uniq /*(n_uniq)*/, const int32_t *uoff /*(n_uniq+1)*/,
                              const int32_t *occ /*(nnz)*/, int n_uniq);

/* ---- losses ---------------------------------------------------------------------------------- */
/* Softmax cross-entropy. probs = softmax(logits) row-wise. When labels is non-NULL, losses[b] =
 * cw[y_b] * ( -sum_c t_bc log p_bc ) with t the one-hot target smoothed by `smoothing`
 * (t = (1-s) onehot + s/C); cw NULL means all 1. labels < 0 mark rows to ignore (loss 0).
 * losses may be NULL. */
void tml_softmax_xent_forward(TmlBackend *be, float *probs /*(B,C)*/, float *losses /*(B) or NULL*/,
                              const float *logits /*(B,C)*/, const int32_t *labels /*(B) or NULL*/,
                              const float *cw /*(C) or NULL*/, float smoothing, int B, int C);
/* dlogits = scale * cw[y] * (probs - t); rows with label < 0 get 0. dlogits may alias probs. */
void tml_softmax_xent_backward(TmlBackend *be, float *dlogits /*(B,C)*/, const float *probs /*(B,C)*/,
                               const int32_t *labels /*(B)*/, const float *cw /*(C) or NULL*/,
                               float smoothing, int B, int C, float scale);
/* Element-wise sigmoid binary cross-entropy over n = B*C logits with targets in [0,1].
 * probs = sigmoid(logits); losses[i] = -pw_i * (t log p + (1-t) log(1-p)), computed stably from
 * the logit; pw = per-element weights (NULL means 1). losses may be NULL. */
void tml_sigmoid_bce_forward(TmlBackend *be, float *probs /*(n)*/, float *losses /*(n) or NULL*/,
                             const float *logits /*(n)*/, const float *targets /*(n) or NULL*/,
                             const float *pw /*(n) or NULL*/, size_t n);
/* dlogits = scale * pw * (probs - t). */
void tml_sigmoid_bce_backward(TmlBackend *be, float *dlogits /*(n)*/, const float *probs /*(n)*/,
                              const float *targets /*(n)*/, const float *pw /*(n) or NULL*/,
                              size_t n, float scale);

/* ---- optimizers ------------------------------------------------------------------------------ */
/* w -= lr * (g + wd * w) */
void tml_sgd_update(TmlBackend *be, float *w, const float *g, size_t n, float lr, float wd);
/* AdamW (decoupled weight decay), step t >= 1 for bias correction:
 * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= lr * (mhat / (sqrt(vhat) + eps) + wd * w) */
void tml_adamw_update(TmlBackend *be, float *w, const float *g, float *m, float *v, size_t n,
                      float lr, float b1, float b2, float eps, float wd, int t);
/* Row-sparse versions for embeddings: apply the update to rows[0..n_rows) of W (V,D) only (rows
 * unique), then zero those rows of G so the dense gradient buffer is clean for the next step. */
void tml_sgd_update_rows(TmlBackend *be, float *W /*(V,D)*/, float *G /*(V,D)*/,
                         const int32_t *rows /*(n_rows)*/, int n_rows, int D, float lr, float wd);
void tml_adamw_update_rows(TmlBackend *be, float *W /*(V,D)*/, float *G /*(V,D)*/, float *M /*(V,D)*/,
                           float *Vv /*(V,D)*/, const int32_t *rows /*(n_rows)*/, int n_rows, int D,
                           float lr, float b1, float b2, float eps, float wd, int t);

/* ---- per-example SGD for the text classifier (fastText's training step) ------------------------
 * One coarse op trains an embedding-bag classifier on a run of examples, one SGD step per example,
 * so no per-batch round trip through the other ops is needed. For example k = 0..n-1, with bag
 * ids[offsets[k] .. offsets[k+1]), weights w (NULL: 1) and label y = labels[k]:
 *   h  = bag(E)                      (D)  as tml_embbag_forward (MEAN: sum / number of ids)
 *   z  = W^T h + b                   (C)  W NULL: z = h + b (the linear model, D == C); b NULL: no bias
 *   p  = softmax(z);  t = (1 - s) onehot(y) + s / C;  g = cw[y] (p - t)        (cw NULL: 1)
 *   loss_k = cw[y] * -sum_c t_c log p_c                (before the step)
 *   lr_k = lr0 + (lr1 - lr0) * k / n                   (computed in double, used as float)
 *   dh = W g (the W before this step; W NULL: dh = g)
 *   W -= lr_k h g^T;  b -= lr_k g;  E[ids_j] -= lr_k * w_j * scale * dh for each id j of the bag, in
 *   order, duplicates included (scale: 1/len for MEAN, 1 for SUM); E stays as is when !update_E.
 * Rows with y < 0 are skipped (no step, loss 0). An empty bag has h = 0 (only b moves).
 * *loss_sum (a device double) += the summed losses (NULL: not asked).
 *
 * workers = 1 takes the examples in order: that is the specification, and the result is the same
 * bits on every run. workers != 1 (0: the backend's choice: CPU threads, CUDA warps) runs
 * several examples at once on the shared weights without locks, as fastText does (Hogwild!, Niu et
 * al. 2011): every example still takes exactly one step with its own lr_k, but steps running at the
 * same time read each other's half-written rows, so the result changes from run to run (and the loss
 * sum's order with it). Sparse text features rarely collide, which is why this converges like the
 * sequential run (docs/backend.md). */
typedef struct TmlBagSgd {
    float *E;               /* (V, D) device, updated in place unless !update_E */
    float *W;               /* (D, C) device, or NULL */
    float *b;               /* (C) device, or NULL */
    int64_t V;
    int D, C;
    TmlBagMode mode;
    int update_E;
    const int64_t *offsets; /* (n+1) device, absolute into ids */
    const int32_t *ids;     /* (nnz) device, each in [0, V) */
    const float *w;         /* (nnz) device, or NULL */
    const int32_t *labels;  /* (n) device, each < C (< 0: skip) */
    int64_t n;
    const float *cw;        /* (C) device, or NULL */
    float smoothing;        /* label smoothing s in [0, 1) */
    float lr0, lr1;
    int workers;
    double *loss_sum;       /* (1) device, or NULL */
    float *scratch;         /* device workspace of tml_bag_sgd_scratch_floats floats (NULL when that is 0) */
} TmlBagSgd;
/* 2D + C must not exceed this (each worker keeps h, dh and z in on-chip memory). */
#define TML_BAG_SGD_MAX_SCRATCH 12288
void tml_bag_sgd(TmlBackend *be, const TmlBagSgd *a);
/* Workspace the op needs for a model of width D, C classes, with (has_W) or without an output
 * layer: the CPU keeps the output layer transposed during a call (every loop then runs along D). */
size_t tml_bag_sgd_scratch_floats(const TmlBackend *be, int D, int C, int has_W);

/* ---- row reductions -------------------------------------------------------------------------- */
void tml_row_sum(TmlBackend *be, float *out /*(B)*/, const float *x /*(B,N)*/, int B, int N);
/* Index of the largest value per row (first one on ties). */
void tml_row_argmax(TmlBackend *be, int32_t *out /*(B)*/, const float *x /*(B,N)*/, int B, int N);
/* The k largest per row, in descending order (lower index first on ties); k <= N. */
void tml_row_topk(TmlBackend *be, int32_t *idx /*(B,k)*/, float *val /*(B,k)*/, const float *x /*(B,N)*/,
                  int B, int N, int k);

/* ---- transformer encoder layers ---------------------------------------------------------------
 * Shapes: B sequences padded to T tokens, width C, NH heads of hs = C / NH, N = B*T token rows.
 * Padding is always at the end of a row: lens[b] (int32, 0 <= lens[b] <= T) real tokens, then pads.
 * Rows of padding still get computed values (finite garbage); nothing real reads them. */

/* Row gather: out[i] = E[ids[i]] (accumulate = 0) or out[i] += E[ids[i]] (accumulate = 1), for the
 * sum of word, position and token-type embeddings. ids in [0, V) (asserted on the CPU). */
void tml_embedding_forward(TmlBackend *be, float *out /*(N,D)*/, const float *E /*(V,D)*/, int V,
                           const int32_t *ids /*(N)*/, int N, int D, int accumulate);
/* Scatter-add: dE[ids[i]] += dout[i]; only the rows named in ids change. */
void tml_embedding_backward(TmlBackend *be, float *dE /*(V,D)*/, int V, const float *dout /*(N,D)*/,
                            const int32_t *ids /*(N)*/, int N, int D);

/* LayerNorm over each row: y = (x - mean) * rstd * w + b, rstd = 1 / sqrt(var + eps), var the
 * biased variance (two passes: mean, then squared deviations). Saves mean and rstd for the
 * backward. y may alias x (the backward then needs a copy of x: the caller keeps its input). */
void tml_layernorm_forward(TmlBackend *be, float *y /*(N,C)*/, float *mean /*(N)*/, float *rstd /*(N)*/,
                           const float *x /*(N,C)*/, const float *w /*(C)*/, const float *b /*(C)*/, int N,
                           int C, float eps);
/* dx = rstd * (g - mean_j(g) - xhat * mean_j(g * xhat)) with g = dy * w (overwritten; may alias dy);
 * dw += column sums of dy * xhat, db += column sums of dy. */
void tml_layernorm_backward(TmlBackend *be, float *dx /*(N,C)*/, float *dw /*(C)*/, float *db /*(C)*/,
                            const float *dy /*(N,C)*/, const float *x /*(N,C)*/, const float *mean /*(N)*/,
                            const float *rstd /*(N)*/, const float *w /*(C)*/, int N, int C);

/* Exact (erf) GELU: y = 0.5 x (1 + erf(x / sqrt 2)); y(-Inf) = 0, y(+Inf) = +Inf, NaN stays NaN.
 * y may alias x. */
void tml_gelu_forward(TmlBackend *be, float *y /*(n)*/, const float *x /*(n)*/, size_t n);
/* dx = dy * (Phi(x) + x phi(x)), the derivative taken as 0 at -Inf and 1 at +Inf; dx may alias dy. */
void tml_gelu_backward(TmlBackend *be, float *dx /*(n)*/, const float *dy /*(n)*/, const float *x /*(n)*/,
                       size_t n);

/* Masked softmax over attention scores, one row per (b, h, query i), T keys per row:
 * probs[b,h,i,j] = exp(scale*s_j - m) / sum_{j' < len} exp(scale*s_j' - m) for j < len = lens[b],
 * 0 for j >= len (m the row's max over j < len). A row with len 0 is all zeros. Every query row,
 * padding included, gets the softmax over the real keys. probs may alias scores. */
void tml_masked_softmax_forward(TmlBackend *be, float *probs /*(B,NH,T,T)*/, const float *scores /*(B,NH,T,T)*/,
                                const int32_t *lens /*(B)*/, int B, int NH, int T, float scale);
/* dscores = scale * probs * (dprobs - sum_j dprobs_j probs_j); masked entries get 0 (probs is 0
 * there). dscores may alias dprobs. */
void tml_masked_softmax_backward(TmlBackend *be, float *dscores /*(B,NH,T,T)*/, const float *dprobs /*(B,NH,T,T)*/,
                                 const float *probs /*(B,NH,T,T)*/, int B, int NH, int T, float scale);

/* Dropout from a counter-based RNG: element i is kept when tml_dropout_keep(seed, i, tml_dropout_threshold(p)), then
 * scaled by 1 / (1 - p) (computed in float); dropped elements become 0. The mask depends only on
 * (seed, i, p), so it is the same on every backend and is recomputed, not stored, for the backward.
 * p in [0, 1); p == 0 copies. y may alias x. */
void tml_dropout_forward(TmlBackend *be, float *y /*(n)*/, const float *x /*(n)*/, size_t n, float p, uint64_t seed);
/* The backward is the same mask and scale applied to dy: dx = mask * dy / (1 - p). dx may alias dy. */
void tml_dropout_backward(TmlBackend *be, float *dx /*(n)*/, const float *dy /*(n)*/, size_t n, float p,
                          uint64_t seed);

/* Batched sgemm over `batch` matrices at fixed strides (in floats): for i in [0, batch)
 * C_i = alpha op(A_i) op(B_i) + beta C_i, A_i = A + i*stride_a (likewise B, C); each as tml_sgemm.
 * cuBLAS strided-batched on the GPU; on the CPU one OpenBLAS sgemm per matrix, parallel over i. */
void tml_sgemm_batched(TmlBackend *be, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                       int lda, int64_t stride_a, const float *B, int ldb, int64_t stride_b, float beta, float *C,
                       int ldc, int64_t stride_c, int batch);

/* Pooling of token rows into one row per sequence. MEAN: out[b] = mean of h[b, t] over t < lens[b]
 * (a zero row when lens[b] == 0); CLS: out[b] = h[b, 0]. */
typedef enum TmlPoolMode { TML_POOL_MEAN = 0, TML_POOL_CLS = 1 } TmlPoolMode;
void tml_pool_forward(TmlBackend *be, float *out /*(B,C)*/, const float *h /*(B,T,C)*/, const int32_t *lens /*(B)*/,
                      int B, int T, int C, TmlPoolMode mode);
/* dh (overwritten): MEAN dh[b,t] = dout[b] / lens[b] for t < lens[b], else 0; CLS dh[b,0] = dout[b]. */
void tml_pool_backward(TmlBackend *be, float *dh /*(B,T,C)*/, const float *dout /*(B,C)*/, const int32_t *lens /*(B)*/,
                       int B, int T, int C, TmlPoolMode mode);

/* Multi-head self-attention core, behind one op pair so a fused kernel can replace it. qkv holds
 * each token's Q, K and V side by side (columns [0,C), [C,2C), [2C,3C); head h uses hs columns at
 * h*hs of each). out[b, i, h*hs..] = sum_j dropout(P)[b,h,i,j] V[b,j,h], P = masked softmax of
 * Q K^T / sqrt(hs) over keys j < lens[b]; dropout on the probabilities with rate p and seed (p = 0
 * at inference). `saved` keeps what the backward needs (tml_attention_saved_floats floats; its
 * layout belongs to the backend); `scratch` is workspace (tml_attention_scratch_floats floats,
 * shared by forward and backward, contents undefined afterwards). */
void tml_attention_forward(TmlBackend *be, float *out /*(B,T,C)*/, float *saved, float *scratch,
                           const float *qkv /*(B,T,3C)*/, const int32_t *lens /*(B)*/, int B, int T, int C, int NH,
                           float p, uint64_t seed);
/* dqkv (overwritten) from dout, with the forward's qkv, saved state, lens, p and seed. */
void tml_attention_backward(TmlBackend *be, float *dqkv /*(B,T,3C)*/, float *scratch, const float *dout /*(B,T,C)*/,
                            const float *saved, const float *qkv /*(B,T,3C)*/, const int32_t *lens /*(B)*/, int B,
                            int T, int C, int NH, float p, uint64_t seed);
size_t tml_attention_saved_floats(const TmlBackend *be, int B, int T, int C, int NH);
size_t tml_attention_scratch_floats(const TmlBackend *be, int B, int T, int C, int NH);

/* The dropout mask, shared by every backend (and usable in CUDA device code): element i of a tensor
 * with seed `seed` draws splitmix64's output number i+1 from state `seed` (a counter-based RNG:
 * any element without the ones before it) and is kept when its top 24 bits are at least
 * p * 2^24 (truncated), i.e. with probability 1 - p to within 2^-24. */
#if defined(__CUDACC__)
#define TML_HOST_DEVICE __host__ __device__
#else
#define TML_HOST_DEVICE
#endif
static inline TML_HOST_DEVICE uint64_t tml_dropout_bits(uint64_t seed, uint64_t i) {
    uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static inline TML_HOST_DEVICE uint32_t tml_dropout_threshold(float p) { return (uint32_t)(p * 16777216.0f); }
static inline TML_HOST_DEVICE int tml_dropout_keep(uint64_t seed, uint64_t i, uint32_t threshold) {
    return (uint32_t)(tml_dropout_bits(seed, i) >> 40) >= threshold;
}

/* ---- gradient-boosted trees (docs/gbdt.md) --------------------------------------------------- */
/* Features are binned once (trainer/gbdt/binner.c) into at most TML_GBDT_MAX_BINS bins that fit a
 * uint8: value bins 0 .. n_bins-1 and the missing-value bin n_bins. Binned data is row-major,
 * bins[r * F + f]: a row's bins share a cache line, so a node's histogram reads each of its rows
 * once, and partitioning and prediction read one line per row. A histogram
 * holds per feature and bin the sums (gradient, hessian, rows) as doubles:
 * hist[((f * NB) + b) * 3 + {0, 1, 2}], with the stride NB >= every feature's n_bins + 1. */
#define TML_GBDT_MAX_BINS 256
#define TML_GBDT_CAT_WORDS 8 /* a categorical split's left set: one bit per bin */

typedef struct TmlGbdtFeature {
    int32_t n_bins;      /* value bins; the missing bin is n_bins */
    int32_t categorical; /* 1: bins are unordered category codes */
} TmlGbdtFeature;

/* What a split must satisfy (LightGBM's names where they exist). */
typedef struct TmlGbdtSplitParams {
    double lambda_l2;          /* L2 penalty on leaf values */
    double min_child_weight;   /* least hessian sum in each child */
    double min_data_in_leaf;   /* least rows in each child */
    double min_split_gain;     /* least gain for a split to count */
    int32_t max_cat_to_onehot; /* categorical with at most this many bins (missing included): one vs rest */
    int32_t max_cat_threshold; /* most categories on the left of a sorted categorical split */
    double cat_smooth;         /* categories with fewer rows are left out (go right); also smooths the sort key */
    double cat_l2;             /* extra L2 on the children of a sorted categorical split */
    double min_data_per_group; /* least rows per group of categories added to the left side */
} TmlGbdtSplitParams;

/* The best split of one node. Sums are (left, right, node). gain = GL^2/(HL+l2) + GR^2/(HR+l2) -
 * G^2/(H+l2) (l2 + cat_l2 in the children of a sorted categorical split). */
typedef struct TmlGbdtSplit {
    double gain;
    double g[3], h[3], n[3];
    int32_t feature;      /* -1: no split satisfies the constraints (totals still filled in) */
    int32_t bin;          /* numeric: value bins <= bin go left */
    int32_t default_left; /* the missing bin goes left */
    int32_t categorical;
    uint32_t cat_left[TML_GBDT_CAT_WORDS]; /* categorical: bit b set = bin b goes left (the
                                            * missing bin's bit equals default_left) */
} TmlGbdtSplit;

/* One node of a tree in a flat ensemble; child indices are absolute in the node array. */
typedef struct TmlGbdtNode {
    int32_t feature;      /* -1: leaf */
    int32_t bin;          /* numeric split on bins: bin <= this goes left */
    float threshold;      /* numeric split on values: x <= threshold goes left (= the bin's upper edge) */
    int32_t missing_bin;  /* the feature's missing bin (its n_bins): NaN and unknown categories */
    int32_t default_left; /* missing goes left */
    int32_t cat;          /* categorical split: index of its TML_GBDT_CAT_WORDS-word set in cats, else -1 */
    int32_t left, right;
    float value;          /* leaf output, shrinkage applied */
    float gain;           /* split gain (importance) */
    float cover;          /* hessian sum of the node's training rows (TreeSHAP) */
    float count;          /* training rows in the node */
} TmlGbdtNode;

/* Histogram of the rows rows[0..n) (rows NULL: rows 0..n-1) over every feature with feat_used[f]
 * != 0 (NULL: all); hist is overwritten, unused features left zero. gh: (gradient, hessian) per row. */
void tml_gbdt_hist(TmlBackend *be, double *hist /*(F,NB,3)*/, const uint8_t *bins /*(N,F)*/, int64_t N, int F,
                   int NB, const float *gh /*(N,2)*/, const int32_t *rows /*(n) or NULL*/, int64_t n,
                   const uint8_t *feat_used /*(F) or NULL*/);
/* out = parent - child over n doubles (the sibling's histogram); out may alias parent. */
void tml_gbdt_hist_subtract(TmlBackend *be, double *out, const double *parent, const double *child, size_t n);
/* Best split of the node whose histogram is hist, over the used features; ties go to the lower
 * feature, then the lower bin, then missing-right. Node totals are filled in even when no split
 * qualifies (feature -1). */
void tml_gbdt_split_find(TmlBackend *be, TmlGbdtSplit *out /*(1)*/, const double *hist /*(F,NB,3)*/,
                         const TmlGbdtFeature *feats /*(F)*/, int F, int NB, const uint8_t *feat_used /*(F) or NULL*/,
                         const TmlGbdtSplitParams *p /*host*/);
/* Stable partition of rows[0..n) by split s (host struct; missing_bin = its feature's n_bins):
 * rows going left first, then the rest, each in their old order. scratch (n) is overwritten.
 * Returns the number going left (synchronises). */
int64_t tml_gbdt_partition(TmlBackend *be, int32_t *rows /*(n)*/, int64_t n, const uint8_t *bins /*(N,F)*/, int F,
                           const TmlGbdtSplit *s, int missing_bin, int32_t *scratch /*(n)*/);
/* Rows of the learner's row list that ended in one leaf: rows[begin .. begin+n), its value. */
typedef struct TmlGbdtLeafRange {
    int64_t begin, n;
    float value;
    int32_t pad;
} TmlGbdtLeafRange;
/* For every range and row r = rows[i], begin <= i < begin+n: scores[r, k] = float(double(
 * scores[r, k]) + double(value)). For the rows a tree was grown on this equals predict_binned of
 * that tree, without walking it. Ranges must not share rows. */
void tml_gbdt_leaf_add(TmlBackend *be, float *scores /*(N,K)*/, int K, int k, const int32_t *rows,
                       const TmlGbdtLeafRange *ranges /*(L)*/, int L);
/* Objective gradients. K == 1: binary logistic on labels (1 = positive, 0 = negative):
 * p = sigmoid(s), g = w (p - y), h = w p (1 - p). K >= 2: softmax over the K scores, for class k
 * g = w (p_k - [y == k]), h = w p_k (1 - p_k), written to gh + k*N*2. w = cw[label] (cw NULL:
 * 1; cw holds max(K, 2) weights). Rows with label < 0 get g = h = 0. */
void tml_gbdt_gradients(TmlBackend *be, float *gh /*(K,N,2)*/, const float *scores /*(N,K)*/,
                        const int32_t *labels /*(N)*/, const float *cw /*(max(K,2)) or NULL*/, int64_t N, int K);
/* Adds trees to scores: for every row r and class k, scores[r,k] = float(double(scores[r,k]) +
 * the sum, in tree order and in double, of the leaf values reached by the trees t with
 * tclass[t] == k). predict reads values x (N,F) row-major (NaN = missing; categorical features hold
 * the category code); predict_binned reads the training bins (N,F) and gives the same leaves. */
void tml_gbdt_predict(TmlBackend *be, float *scores /*(N,K)*/, const float *x /*(N,F)*/, int64_t N, int F,
                      const TmlGbdtNode *nodes, const uint32_t *cats, const int32_t *roots /*(T)*/,
                      const int32_t *tclass /*(T)*/, int T, int K);
void tml_gbdt_predict_binned(TmlBackend *be, float *scores /*(N,K)*/, const uint8_t *bins /*(N,F)*/, int64_t N,
                             int F, const TmlGbdtNode *nodes, const uint32_t *cats, const int32_t *roots /*(T)*/,
                             const int32_t *tclass /*(T)*/, int T, int K);

#endif
