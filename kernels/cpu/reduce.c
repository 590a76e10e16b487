/* reduce.c — CPU reference for per-row reductions: sum, argmax (first index on ties) and top-k
 * (descending, lower index first on ties) by insertion into the k-long output row. */
#include "ticketml/error.h"
#include "kernels/cpu/cpu_ops.h"

void tml_cpu_row_sum(void *ctx, float *out, const float *x, int B, int N) {
    for (int b = 0; b < B; b++) {
        float s = 0.0f;
        for (int j = 0; j < N; j++) s += x[(size_t)b * N + j];
        out[b] = s;
    }
}

/* Strict `>` keeps the first of equal maxima. NaN never wins unless it is the first element. */
void tml_cpu_row_argmax(void *ctx, int32_t *out, const float *x, int B, int N) {
    for (int b = 0; b < B; b++) {
        const float *r = x + (size_t)b * N;
        int best = 0;
        for (int j = 1; j < N; j++)
            if (r[j] > r[best]) best = j;
        out[b] = N > 0 ? best : -1;
    }
}

/* O(N k) insertion: fine for the small k (top-3/top-5 intents) this is used for. */
void tml_cpu_row_topk(void *ctx, int32_t *idx, float *val, const float *x, int B, int N, int k) {
    TML_ASSERT(k >= 0 && k <= N);
    if (k == 0) return;
    for (int b = 0; b < B; b++) {
        const float *r = x + (size_t)b * N;
        int32_t *oi = idx + (size_t)b * k;
        float *ov = val + (size_t)b * k;
        int have = 0;
        for (int j = 0; j < N; j++) {
            float v = r[j];
            if (have == k && !(v > ov[k - 1])) continue;
            int pos = have < k ? have : k - 1;
            /* shift strictly smaller entries down; equal ones stay ahead (lower index first) */
            while (pos > 0 && v > ov[pos - 1]) {
                ov[pos] = ov[pos - 1];
                oi[pos] = oi[pos - 1];
                pos--;
            }
            ov[pos] = v;
            oi[pos] = j;
            if (have < k) have++;
        }
    }
}
