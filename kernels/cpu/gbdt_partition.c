/* gbdt_partition.c — CPU reference for row partitioning: a node's row list split stably into the
 * rows going left and those going right. Large nodes are cut into a fixed number of chunks
 * (counted, then written at their prefix offsets) so the output never depends on thread count. */
#include <string.h>

#include "kernels/cpu/cpu_ops.h"
#include "kernels/gbdt_common.h"

#define PART_CHUNKS 16

int64_t tml_cpu_gbdt_partition(void *ctx, int32_t *rows, int64_t n, const uint8_t *bins, int64_t N,
                               const TmlGbdtSplit *s, int missing_bin, int32_t *scratch) {
    const uint8_t *col = bins + (size_t)s->feature * (size_t)N;
    uint8_t go[TML_GBDT_MAX_BINS]; /* the split as a lookup table over bins */
    for (int b = 0; b < TML_GBDT_MAX_BINS; b++) go[b] = (uint8_t)gbdt_split_left(s, b, missing_bin);
    int nch = n >= (1 << 16) ? PART_CHUNKS : 1;
    int64_t len = (n + nch - 1) / nch, left[PART_CHUNKS], loff[PART_CHUNKS], roff[PART_CHUNKS];
#pragma omp parallel for schedule(dynamic, 1) if (nch > 1)
    for (int c = 0; c < nch; c++) {
        int64_t a = c * len, e = a + len < n ? a + len : n, k = 0;
        for (int64_t i = a; i < e; i++) k += go[col[rows[i]]];
        left[c] = k;
    }
    int64_t n_left = 0;
    for (int c = 0; c < nch; c++) n_left += left[c];
    int64_t l = 0, r = n_left;
    for (int c = 0; c < nch; c++) {
        int64_t a = c * len, e = a + len < n ? a + len : n;
        loff[c] = l;
        roff[c] = r;
        l += left[c];
        r += (e > a ? e - a : 0) - left[c];
    }
#pragma omp parallel for schedule(dynamic, 1) if (nch > 1)
    for (int c = 0; c < nch; c++) {
        int64_t a = c * len, e = a + len < n ? a + len : n, lo = loff[c], ro = roff[c];
        for (int64_t i = a; i < e; i++) {
            int32_t row = rows[i];
            if (go[col[row]]) scratch[lo++] = row;
            else scratch[ro++] = row;
        }
    }
    memcpy(rows, scratch, (size_t)n * sizeof *rows);
    return n_left;
}
