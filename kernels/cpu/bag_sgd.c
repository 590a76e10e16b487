/* bag_sgd.c — CPU reference for per-example SGD of the embedding-bag classifier (backend.h,
 * tml_bag_sgd): fastText's training step. workers = 1 runs the examples in order on the caller;
 * otherwise blocks of examples go to the blocking thread pool (threads.c) and update the shared
 * weights without locks (Hogwild). Neither path uses OpenMP, so no thread ever spins waiting. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/cpu_ops.h"
#include "kernels/cpu/threads.h"
#include "kernels/cpu/vecmath.h"

/* Examples per pool task: small enough that a thread sharing its core with another process just
 * takes fewer blocks, large enough that taking one (an atomic) costs nothing next to its work. */
#define SGD_BLOCK 64

/* The rows of an example are far apart in a table much larger than the caches; touching the next
 * example's rows before working on this one keeps their DRAM round trips in flight meanwhile. */
static inline void prefetch_bag(const TmlBagSgd *a, int64_t k) {
    if (k >= a->n) return;
    for (int64_t j = a->offsets[k]; j < a->offsets[k + 1]; j++) {
        const float *row = a->E + (size_t)a->ids[j] * (size_t)a->D;
        for (int d = 0; d < a->D; d += 16) __builtin_prefetch(row + d, 1, 3);
    }
}

/* sum_d a[d] * b[d] over 16 running partial sums (then added pairwise): a fixed order, the same bits
 * for any vector width, and a loop the compiler vectorizes (a plain float sum it may not reorder). */
static inline float dot_lanes(const float *restrict x, const float *restrict y, int n) {
    float acc[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 16; l++) acc[l] += x[i + l] * y[i + l];
    for (int l = 0; i < n; i++, l++) acc[l] += x[i] * y[i];
    for (int w = 8; w > 0; w /= 2)
        for (int l = 0; l < w; l++) acc[l] += acc[l + w];
    return acc[0];
}

/* One example's step (backend.h has the formulas) on the output layer held transposed, Wt (C, D),
 * so every loop runs along D; returns its loss. scratch: 2D + C floats. Compiled for AVX-512, AVX2
 * and the baseline: the loops over D are what vectorizes, and expf takes libmvec's vector form. */
TML_VEC_CLONES
static double example_step(const TmlBagSgd *a, float *Wt, int64_t k, float *scratch) {
    const int D = a->D, C = a->C;
    const int y = a->labels[k];
    if (y < 0) return 0.0;
    /* restrict: rows of E never overlap the scratch vectors, so the loops need no alias checks */
    float *restrict h = scratch, *restrict dh = scratch + D, *restrict z = scratch + 2 * D;
    const int64_t lo = a->offsets[k], hi = a->offsets[k + 1];
    /* h: the bag, summed in id order then scaled, as tml_embbag_forward */
    memset(h, 0, sizeof(float) * (size_t)D);
    for (int64_t j = lo; j < hi; j++) {
        const float *restrict e = a->E + (size_t)a->ids[j] * (size_t)D;
        if (a->w) {
            const float wj = a->w[j];
            for (int d = 0; d < D; d++) h[d] += wj * e[d];
        } else {
            for (int d = 0; d < D; d++) h[d] += e[d];
        }
    }
    const float sc = (a->mode == TML_BAG_MEAN && hi > lo) ? 1.0f / (float)(hi - lo) : 1.0f;
    if (sc != 1.0f)
        for (int d = 0; d < D; d++) h[d] *= sc;
    /* z = W^T h + b */
    for (int c = 0; c < C; c++) z[c] = (Wt ? dot_lanes(Wt + (size_t)c * D, h, D) : h[c]) + (a->b ? a->b[c] : 0.0f);
    /* softmax cross-entropy from the max-shifted log-sum-exp (exponentials in float, as fastText;
     * the sum and the log in double); z becomes g */
    float mx = z[0];
    for (int c = 1; c < C; c++) mx = z[c] > mx ? z[c] : mx;
    for (int c = 0; c < C; c++) z[c] = expf(z[c] - mx);
    double sum = 0.0;
    for (int c = 0; c < C; c++) sum += (double)z[c];
    const float cwy = a->cw ? a->cw[y] : 1.0f;
    const float s = a->smoothing, off = s / (float)C, inv = (float)(1.0 / sum);
    const double log_sum = log(sum);
    double loss = 0.0;
    if (s == 0.0f) { /* loss = -log p_y = log sum - (z_y - mx), from the shifted logit */
        loss = log_sum - log((double)z[y]);
    } else {
        for (int c = 0; c < C; c++) {
            const float t = (c == y ? 1.0f - s : 0.0f) + off;
            if (t != 0.0f) loss -= (double)t * (log((double)z[c]) - log_sum);
        }
    }
    loss *= cwy;
    for (int c = 0; c < C; c++) z[c] = cwy * (z[c] * inv - ((c == y ? 1.0f - s : 0.0f) + off));
    const float *restrict g = z;
    const float lr = (float)((double)a->lr0 + ((double)a->lr1 - (double)a->lr0) * (double)k / (double)a->n);
    /* dh = W g with the W before the step, then W -= lr h g^T: one pass over each row of Wt */
    if (Wt) {
        memset(dh, 0, sizeof(float) * (size_t)D);
        for (int c = 0; c < C; c++) {
            float *restrict row = Wt + (size_t)c * D;
            const float gc = g[c], step = lr * gc;
            for (int d = 0; d < D; d++) {
                dh[d] += gc * row[d];
                row[d] -= step * h[d];
            }
        }
    } else {
        memcpy(dh, g, sizeof(float) * (size_t)C);
    }
    if (a->b)
        for (int c = 0; c < C; c++) a->b[c] -= lr * g[c];
    if (a->update_E) {
        for (int64_t j = lo; j < hi; j++) {
            float *restrict e = a->E + (size_t)a->ids[j] * (size_t)D;
            const float f = lr * (a->w ? a->w[j] : 1.0f) * sc;
            for (int d = 0; d < D; d++) e[d] -= f * dh[d];
        }
    }
    return loss;
}

typedef struct Job {
    const TmlBagSgd *a;
    float *Wt;           /* (C, D) the output layer transposed for the call, or NULL (linear model) */
    _Atomic double loss; /* blocks add their sums as they finish: in block order with one worker */
} Job;

static void add_loss(_Atomic double *acc, double v) {
    double cur = atomic_load(acc);
    while (!atomic_compare_exchange_weak(acc, &cur, cur + v)) {
    }
}

static void run_block(void *ctx, int task) {
    Job *J = ctx;
    const TmlBagSgd *a = J->a;
    float scratch[2 * a->D + a->C]; /* 2D + C <= TML_BAG_SGD_MAX_SCRATCH (48 KB) */
    int64_t k0 = (int64_t)task * SGD_BLOCK, k1 = k0 + SGD_BLOCK < a->n ? k0 + SGD_BLOCK : a->n;
    double loss = 0.0;
    for (int64_t k = k0; k < k1; k++) {
        prefetch_bag(a, k + 1);
        loss += example_step(a, J->Wt, k, scratch);
    }
    add_loss(&J->loss, loss);
}

void tml_cpu_bag_sgd(void *ctx, const TmlBagSgd *a) {
    int64_t n_tasks = (a->n + SGD_BLOCK - 1) / SGD_BLOCK;
    TML_ASSERT(n_tasks <= 0x7fffffff);
    Job J = {.a = a};
    atomic_init(&J.loss, 0.0);
    const int D = a->D, C = a->C;
    if (a->W) { /* D x C floats (a few KB): transposed in, trained, transposed back */
        J.Wt = a->scratch;
        for (int d = 0; d < D; d++)
            for (int c = 0; c < C; c++) J.Wt[(size_t)c * D + d] = a->W[(size_t)d * C + c];
    }
    /* workers = 1: the caller alone, blocks in order, i.e. the examples in order */
    tml_cpu_threads_run_max(a->workers, (int)n_tasks, run_block, &J);
    if (J.Wt) {
        for (int d = 0; d < D; d++)
            for (int c = 0; c < C; c++) a->W[(size_t)d * C + c] = J.Wt[(size_t)c * D + d];
    }
    if (a->loss_sum) *a->loss_sum += atomic_load(&J.loss);
}

size_t tml_cpu_bag_sgd_scratch_floats(int D, int C, int has_W) { return has_W ? (size_t)D * (size_t)C : 0; }
