/* gbdt_partition.c — CPU reference for row partitioning: a node's row list split stably into the
 * rows going left and those going right. Large nodes are cut into a fixed number of chunks; one
 * pass per chunk writes its left rows forwards from the chunk's start of scratch and its right
 * rows backwards from the chunk's end (one read of the bins per row), then the chunks are copied
 * back in order, right rows reversed again. The output never depends on the thread count. */
#include <string.h>

#include "kernels/cpu/cpu_ops.h"
#include "kernels/cpu/threads.h"
#include "kernels/gbdt_common.h"

#define PART_CHUNKS 16
#define PREFETCH 16

typedef struct PartJob {
    int32_t *rows, *scratch;
    const uint8_t *col; /* the split feature's bin of row r: col[r * F] */
    int F;
    uint8_t go[TML_GBDT_MAX_BINS]; /* the split as a lookup table over bins */
    int64_t n, len;
    int64_t left[PART_CHUNKS], loff[PART_CHUNKS], roff[PART_CHUNKS];
} PartJob;

static void split_task(void *ctx, int c) {
    PartJob *j = ctx;
    int64_t a = c * j->len, e = a + j->len < j->n ? a + j->len : j->n, lo = a, ro = e;
    for (int64_t i = a; i < e; i++) {
        int32_t row = j->rows[i];
        /* a deep node's rows are sparse: fetch the bins of rows ahead (the indices are known) */
        if (i + PREFETCH < e) __builtin_prefetch(j->col + (size_t)j->rows[i + PREFETCH] * (size_t)j->F);
        if (j->go[j->col[(size_t)row * (size_t)j->F]])
            j->scratch[lo++] = row;
        else
            j->scratch[--ro] = row;
    }
    j->left[c] = lo - a;
}

static void gather_task(void *ctx, int c) {
    PartJob *j = ctx;
    int64_t a = c * j->len, e = a + j->len < j->n ? a + j->len : j->n;
    memcpy(j->rows + j->loff[c], j->scratch + a, (size_t)j->left[c] * sizeof *j->rows);
    int32_t *out = j->rows + j->roff[c];
    for (int64_t i = e - 1; i >= a + j->left[c]; i--) *out++ = j->scratch[i];
}

int64_t tml_cpu_gbdt_partition(void *ctx, int32_t *rows, int64_t n, const uint8_t *bins, int F, const TmlGbdtSplit *s,
                               int missing_bin, int32_t *scratch) {
    PartJob j;
    j.rows = rows;
    j.scratch = scratch;
    j.col = bins + s->feature;
    j.F = F;
    j.n = n;
    for (int b = 0; b < TML_GBDT_MAX_BINS; b++) j.go[b] = (uint8_t)gbdt_split_left(s, b, missing_bin);
    int nch = n >= (1 << 16) ? PART_CHUNKS : 1;
    j.len = (n + nch - 1) / nch;
    tml_cpu_threads_run(nch, split_task, &j);
    int64_t n_left = 0;
    for (int c = 0; c < nch; c++) n_left += j.left[c];
    int64_t l = 0, r = n_left;
    for (int c = 0; c < nch; c++) {
        int64_t a = c * j.len, e = a + j.len < n ? a + j.len : n;
        j.loff[c] = l;
        j.roff[c] = r;
        l += j.left[c];
        r += (e > a ? e - a : 0) - j.left[c];
    }
    tml_cpu_threads_run(nch, gather_task, &j);
    return n_left;
}
