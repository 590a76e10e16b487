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

/* One example's step (backend.h has the formulas); returns its loss. scratch: 2D + C floats.
 * Compiled for AVX-512, AVX2 and the baseline (its loops over D and C are what vectorizes). */
TML_VEC_CLONES
static double example_step(const TmlBagSgd *a, int64_t k, float *scratch) {
    const int D = a->D, C = a->C;
    const int y = a->labels[k];
    if (y < 0) return 0.0;
    float *h = scratch, *dh = scratch + D, *z = scratch + 2 * D;
    const int64_t lo = a->offsets[k], hi = a->offsets[k + 1];
    /* h: the bag, summed in id order then scaled, as tml_embbag_forward */
    memset(h, 0, sizeof(float) * (size_t)D);
    for (int64_t j = lo; j < hi; j++) {
        const float *e = a->E + (size_t)a->ids[j] * (size_t)D;
        const float wj = a->w ? a->w[j] : 1.0f;
        for (int d = 0; d < D; d++) h[d] += wj * e[d];
    }
    const float sc = (a->mode == TML_BAG_MEAN && hi > lo) ? 1.0f / (float)(hi - lo) : 1.0f;
    if (sc != 1.0f)
        for (int d = 0; d < D; d++) h[d] *= sc;
    /* z = W^T h + b */
    if (a->W) {
        for (int c = 0; c < C; c++) z[c] = a->b ? a->b[c] : 0.0f;
        for (int d = 0; d < D; d++) {
            const float *row = a->W + (size_t)d * C;
            const float hd = h[d];
            for (int c = 0; c < C; c++) z[c] += hd * row[c];
        }
    } else {
        for (int c = 0; c < C; c++) z[c] = h[c] + (a->b ? a->b[c] : 0.0f);
    }
    /* softmax cross-entropy from the max-shifted log-sum-exp; z becomes g */
    float mx = z[0];
    for (int c = 1; c < C; c++) mx = z[c] > mx ? z[c] : mx;
    double sum = 0.0;
    for (int c = 0; c < C; c++) sum += exp((double)(z[c] - mx));
    const double lse = (double)mx + log(sum);
    const float cwy = a->cw ? a->cw[y] : 1.0f;
    const float s = a->smoothing, off = s / (float)C;
    double loss = 0.0;
    for (int c = 0; c < C; c++) {
        const double logp = (double)z[c] - lse;
        const float t = (c == y ? 1.0f - s : 0.0f) + off;
        if (t != 0.0f) loss -= (double)t * logp;
        z[c] = cwy * ((float)exp(logp) - t);
    }
    loss *= cwy;
    const float *g = z;
    const float lr = (float)((double)a->lr0 + ((double)a->lr1 - (double)a->lr0) * (double)k / (double)a->n);
    /* dh = W g with the W before the step, then W -= lr h g^T, one pass over W */
    if (a->W) {
        for (int d = 0; d < D; d++) {
            float *row = a->W + (size_t)d * C;
            const float step = lr * h[d];
            float acc = 0.0f;
            for (int c = 0; c < C; c++) {
                acc += row[c] * g[c];
                row[c] -= step * g[c];
            }
            dh[d] = acc;
        }
    } else {
        memcpy(dh, g, sizeof(float) * (size_t)C);
    }
    if (a->b)
        for (int c = 0; c < C; c++) a->b[c] -= lr * g[c];
    if (a->update_E) {
        for (int64_t j = lo; j < hi; j++) {
            float *e = a->E + (size_t)a->ids[j] * (size_t)D;
            const float f = lr * (a->w ? a->w[j] : 1.0f) * sc;
            for (int d = 0; d < D; d++) e[d] -= f * dh[d];
        }
    }
    return loss;
}

typedef struct Job {
    const TmlBagSgd *a;
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
        loss += example_step(a, k, scratch);
    }
    add_loss(&J->loss, loss);
}

void tml_cpu_bag_sgd(void *ctx, const TmlBagSgd *a) {
    int64_t n_tasks = (a->n + SGD_BLOCK - 1) / SGD_BLOCK;
    TML_ASSERT(n_tasks <= 0x7fffffff);
    Job J = {.a = a};
    atomic_init(&J.loss, 0.0);
    /* workers = 1: the caller alone, blocks in order, i.e. the examples in order */
    tml_cpu_threads_run_max(a->workers, (int)n_tasks, run_block, &J);
    if (a->loss_sum) *a->loss_sum += atomic_load(&J.loss);
}
