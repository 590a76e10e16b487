/* gbdt_predict.c — CPU reference for the tree ensemble's forward pass (on values, or on the
 * training bins) and the boosting objectives' gradients (binary logistic, softmax). Rows are
 * independent: blocks of rows go to the threads of kernels/cpu/threads.c, and every row is computed
 * the same way on any thread count. */
#include <math.h>

#include "kernels/cpu/cpu_ops.h"
#include "kernels/cpu/threads.h"
#include "kernels/gbdt_common.h"

#define ROW_BLOCK 4096

/* Runs fn over row blocks of N rows, in parallel when the work (N * cost) is large enough. */
static void row_blocks(int64_t N, int64_t cost, void (*fn)(void *, int), void *ctx) {
    int nb = (int)((N + ROW_BLOCK - 1) / ROW_BLOCK);
    if (N * cost < 65536) {
        for (int b = 0; b < nb; b++) fn(ctx, b);
        return;
    }
    tml_cpu_threads_run(nb, fn, ctx);
}

typedef struct PredJob {
    float *scores;
    const float *x;
    const uint8_t *bins;
    int64_t N;
    int F, T, K;
    const TmlGbdtNode *nodes;
    const uint32_t *cats;
    const int32_t *roots, *tclass;
} PredJob;

static void predict_block(void *ctx, int blk) {
    const PredJob *j = ctx;
    int64_t a = (int64_t)blk * ROW_BLOCK, e = a + ROW_BLOCK < j->N ? a + ROW_BLOCK : j->N;
    for (int64_t r = a; r < e; r++) {
        for (int k = 0; k < j->K; k++) {
            double acc = (double)j->scores[(size_t)r * j->K + k];
            for (int t = 0; t < j->T; t++) {
                if (j->tclass[t] != k) continue;
                int32_t nd = j->roots[t];
                while (j->nodes[nd].feature >= 0) {
                    const TmlGbdtNode *q = &j->nodes[nd];
                    int left =
                        j->x ? gbdt_node_left_value(q, j->cats, j->x[(size_t)r * (size_t)j->F + (size_t)q->feature])
                             : gbdt_node_left_bin(q, j->cats, j->bins[(size_t)r * (size_t)j->F + (size_t)q->feature]);
                    nd = left ? q->left : q->right;
                }
                acc += (double)j->nodes[nd].value;
            }
            j->scores[(size_t)r * j->K + k] = (float)acc;
        }
    }
}

void tml_cpu_gbdt_predict(void *ctx, float *scores, const float *x, int64_t N, int F, const TmlGbdtNode *nodes,
                          const uint32_t *cats, const int32_t *roots, const int32_t *tclass, int T, int K) {
    PredJob j = {scores, x, NULL, N, F, T, K, nodes, cats, roots, tclass};
    row_blocks(N, (int64_t)T * 8, predict_block, &j);
}

void tml_cpu_gbdt_predict_binned(void *ctx, float *scores, const uint8_t *bins, int64_t N, int F,
                                 const TmlGbdtNode *nodes, const uint32_t *cats, const int32_t *roots,
                                 const int32_t *tclass, int T, int K) {
    PredJob j = {scores, NULL, bins, N, F, T, K, nodes, cats, roots, tclass};
    row_blocks(N, (int64_t)T * 8, predict_block, &j);
}

typedef struct LeafJob {
    float *scores;
    const int32_t *rows;
    const TmlGbdtLeafRange *ranges;
    int K, k;
} LeafJob;

static void leaf_task(void *ctx, int l) {
    const LeafJob *j = ctx;
    const TmlGbdtLeafRange *g = &j->ranges[l];
    for (int64_t i = g->begin; i < g->begin + g->n; i++) {
        float *s = j->scores + (size_t)j->rows[i] * j->K + j->k;
        *s = (float)((double)*s + (double)g->value);
    }
}

void tml_cpu_gbdt_leaf_add(void *ctx, float *scores, int K, int k, const int32_t *rows, const TmlGbdtLeafRange *ranges,
                           int L) {
    LeafJob j = {scores, rows, ranges, K, k};
    int64_t total = 0;
    for (int l = 0; l < L; l++) total += ranges[l].n;
    if (total < 65536) {
        for (int l = 0; l < L; l++) leaf_task(&j, l);
        return;
    }
    tml_cpu_threads_run(L, leaf_task, &j);
}

typedef struct GradJob {
    float *gh;
    const float *scores, *cw;
    const int32_t *labels;
    int64_t N;
    int K;
} GradJob;

static void gradients_block(void *ctx, int blk) {
    const GradJob *j = ctx;
    int K = j->K;
    int64_t a = (int64_t)blk * ROW_BLOCK, e = a + ROW_BLOCK < j->N ? a + ROW_BLOCK : j->N;
    for (int64_t r = a; r < e; r++) {
        int32_t y = j->labels[r];
        if (K == 1) {
            float *o = j->gh + 2 * (size_t)r;
            if (y < 0) {
                o[0] = o[1] = 0.0f;
                continue;
            }
            double w = j->cw ? (double)j->cw[y] : 1.0;
            double p = 1.0 / (1.0 + exp(-(double)j->scores[r]));
            o[0] = (float)(w * (p - (double)(y == 1)));
            o[1] = (float)(w * (p * (1.0 - p)));
            continue;
        }
        const float *s = j->scores + (size_t)r * K;
        double mx = s[0], sum = 0.0;
        for (int k = 1; k < K; k++) mx = s[k] > mx ? s[k] : mx;
        for (int k = 0; k < K; k++) sum += exp((double)s[k] - mx);
        double w = y >= 0 && j->cw ? (double)j->cw[y] : 1.0;
        for (int k = 0; k < K; k++) {
            float *o = j->gh + ((size_t)k * (size_t)j->N + (size_t)r) * 2;
            if (y < 0) {
                o[0] = o[1] = 0.0f;
                continue;
            }
            double p = exp((double)s[k] - mx) / sum;
            o[0] = (float)(w * (p - (double)(y == k)));
            o[1] = (float)(w * (p * (1.0 - p)));
        }
    }
}

void tml_cpu_gbdt_gradients(void *ctx, float *gh, const float *scores, const int32_t *labels, const float *cw,
                            int64_t N, int K) {
    GradJob j = {gh, scores, cw, labels, N, K};
    row_blocks(N, (int64_t)K * 16, gradients_block, &j);
}
