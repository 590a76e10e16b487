/* embbag.c — CPU reference for the embedding bag (sum/mean of embedding rows over CSR bags).
 * Forward is parallel over bags (each output row has one writer). Backward scatters into shared
 * rows of dE, so it is parallel over column ranges instead: every dE element is accumulated by one
 * thread in bag order, which keeps CPU training bit-reproducible for any thread count. */
#include <omp.h>
#include <string.h>

#include "kernels/cpu/cpu_ops.h"
#include "kernels/cpu/threads.h"

/* Rows are gathered at random from a table far larger than the caches, so each row costs a DRAM
 * round trip; prefetching the row EB_PREFETCH ids ahead keeps several in flight. */
#define EB_PREFETCH 4
static inline void prefetch_row(const float *row, int D, int write) {
    for (int d = 0; d < D; d += 16) {
        if (write) __builtin_prefetch(row + d, 1, 1);
        else __builtin_prefetch(row + d, 0, 1);
    }
}

/* Scale a bag's sum by: 1 for SUM, 1/len for MEAN (empty bags are zero rows either way). */
static inline float bag_scale(TmlBagMode mode, int64_t len) {
    return (mode == TML_BAG_MEAN && len > 0) ? 1.0f / (float)len : 1.0f;
}

void tml_cpu_embbag_forward(void *ctx, float *out, const float *E, const int64_t *offsets, const int32_t *ids,
                        const float *w, int B, int D, TmlBagMode mode) {
#pragma omp parallel for schedule(static) if ((size_t)B * D >= 16384)
    for (int b = 0; b < B; b++) {
        float *o = out + (size_t)b * D;
        memset(o, 0, sizeof(float) * (size_t)D);
        int64_t lo = offsets[b], hi = offsets[b + 1];
        for (int64_t j = lo; j < hi; j++) {
            if (j + EB_PREFETCH < hi) prefetch_row(E + (size_t)ids[j + EB_PREFETCH] * D, D, 0);
            const float *e = E + (size_t)ids[j] * D;
            float wj = w ? w[j] : 1.0f;
            for (int d = 0; d < D; d++) o[d] += wj * e[d];
        }
        float s = bag_scale(mode, hi - lo);
        if (s != 1.0f)
            for (int d = 0; d < D; d++) o[d] *= s;
    }
}

/* Each thread owns a slice of columns, a multiple of 16 floats (one 64-byte cache line) so threads
 * do not share lines of dE. Every dE element is still summed in bag order by exactly one thread,
 * so the bits do not depend on how many slices there are. */
#define EB_COL_ALIGN 16

void tml_cpu_embbag_backward(void *ctx, float *dE, const float *dout, const int64_t *offsets,
                         const int32_t *ids, const float *w, int B, int D, TmlBagMode mode) {
    int64_t nnz = B > 0 ? offsets[B] - offsets[0] : 0;
    int threads = nnz * D >= 65536 ? omp_get_max_threads() : 1;
    int width = (D + threads - 1) / threads;
    width = (width + EB_COL_ALIGN - 1) / EB_COL_ALIGN * EB_COL_ALIGN;
    int nslices = (D + width - 1) / width;
#pragma omp parallel for schedule(static) num_threads(nslices) if (nslices > 1)
    for (int s = 0; s < nslices; s++) {
        int d0 = s * width, d1 = d0 + width < D ? d0 + width : D;
        for (int b = 0; b < B; b++) {
            int64_t lo = offsets[b], hi = offsets[b + 1];
            const float *g = dout + (size_t)b * D;
            float sc = bag_scale(mode, hi - lo);
            for (int64_t j = lo; j < hi; j++) {
                if (j + EB_PREFETCH < hi) prefetch_row(dE + (size_t)ids[j + EB_PREFETCH] * D + d0, d1 - d0, 1);
                float *de = dE + (size_t)ids[j] * D;
                float wj = (w ? w[j] : 1.0f) * sc;
                for (int d = d0; d < d1; d++) de[d] += wj * g[d];
            }
        }
    }
}

/* ---- by rows: one writer per row, so the rows are split over the pool's threads freely ---------- */
typedef struct RowsJob {
    float *dE;
    const float *dout, *w;
    const int64_t *offsets;
    const int32_t *uniq, *uoff, *occ;
    int B, D, n_uniq, mean;
} RowsJob;

#define ROWS_PER_TASK 256

/* The bag holding absolute position j: the last b with offsets[b] <= j (empty bags skipped). */
static int bag_of(const int64_t *offsets, int B, int64_t j) {
    int lo = 0, hi = B - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (offsets[mid] <= j) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

static void rows_task(void *ctx, int task) {
    const RowsJob *J = ctx;
    int u1 = (task + 1) * ROWS_PER_TASK < J->n_uniq ? (task + 1) * ROWS_PER_TASK : J->n_uniq;
    for (int u = task * ROWS_PER_TASK; u < u1; u++) {
        float *de = J->dE + (size_t)J->uniq[u] * J->D;
        for (int32_t k = J->uoff[u]; k < J->uoff[u + 1]; k++) {
            int64_t j = J->occ[k];
            int b = bag_of(J->offsets, J->B, j);
            int64_t len = J->offsets[b + 1] - J->offsets[b];
            float wj = (J->w ? J->w[j] : 1.0f) * bag_scale(J->mean ? TML_BAG_MEAN : TML_BAG_SUM, len);
            const float *g = J->dout + (size_t)b * J->D;
            for (int d = 0; d < J->D; d++) de[d] += wj * g[d];
        }
    }
}

void tml_cpu_embbag_backward_rows(void *ctx, float *dE, const float *dout, const int64_t *offsets, const float *w,
                                  int B, int D, TmlBagMode mode, const int32_t *uniq, const int32_t *uoff,
                                  const int32_t *occ, int n_uniq) {
    RowsJob J = {dE, dout, w, offsets, uniq, uoff, occ, B, D, n_uniq, mode == TML_BAG_MEAN};
    int tasks = (n_uniq + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
    tml_cpu_threads_run_max((int64_t)uoff[n_uniq] * D >= 65536 ? 0 : 1, tasks, rows_task, &J);
}
