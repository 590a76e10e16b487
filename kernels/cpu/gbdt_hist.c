/* gbdt_hist.c — CPU reference for the tree histograms: per feature, the (gradient, hessian, rows)
 * sums of a node's rows in each bin, and the sibling's histogram by subtraction. Features are
 * spread over threads (each feature's column is summed by one thread in row order, so the result
 * has the same bits for any thread count); dynamic scheduling lets a thread that shares its core
 * with another process take fewer features instead of holding the others at the barrier. */
#include <string.h>

#include "kernels/cpu/cpu_ops.h"

/* One feature's histogram hf (NB, 3) over rows (NULL: 0..n-1) of its bin column. */
static void hist_feature(double *hf, const uint8_t *col, const float *gh, const int32_t *rows, int64_t n) {
    if (rows) {
        for (int64_t i = 0; i < n; i++) {
            int32_t r = rows[i];
            double *e = hf + (size_t)col[r] * 3;
            e[0] += gh[2 * (size_t)r];
            e[1] += gh[2 * (size_t)r + 1];
            e[2] += 1.0;
        }
    } else {
        for (int64_t r = 0; r < n; r++) {
            double *e = hf + (size_t)col[r] * 3;
            e[0] += gh[2 * r];
            e[1] += gh[2 * r + 1];
            e[2] += 1.0;
        }
    }
}

void tml_cpu_gbdt_hist(void *ctx, double *hist, const uint8_t *bins, int64_t N, int F, int NB, const float *gh,
                       const int32_t *rows, int64_t n, const uint8_t *feat_used) {
    size_t per = (size_t)NB * 3;
    memset(hist, 0, (size_t)F * per * sizeof(double));
    /* small nodes: one thread (waking the team costs more than the work) */
#pragma omp parallel for schedule(dynamic, 1) if (n * (int64_t)F >= 65536)
    for (int f = 0; f < F; f++) {
        if (feat_used && !feat_used[f]) continue;
        hist_feature(hist + (size_t)f * per, bins + (size_t)f * (size_t)N, gh, rows, n);
    }
}

void tml_cpu_gbdt_hist_subtract(void *ctx, double *out, const double *parent, const double *child, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = parent[i] - child[i];
}
