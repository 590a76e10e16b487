/* split.c — deterministic stratified train/valid/test assignment. Uses splitmix64 (Steele et al.
 * 2014; integer-only, so identical on every machine and compiler) and unbiased bounded draws by
 * rejection, to shuffle each class's rows before cutting them into fractions. */
#include <math.h>
#include <stdlib.h>

#include "data/split.h"
#include "ticketml/error.h"
#include "ticketml/rng.h"

/* Uniform in [0, n) without modulo bias. */
static uint64_t rand_below(uint64_t *s, uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = tml_splitmix64(s);
    while (x >= limit);
    return x % n;
}

int tml_split_stratified(const int32_t *labels, int64_t n, int n_classes, double valid_frac, double test_frac,
                         uint64_t seed, uint8_t *out, TmlError *err) {
    TML_ASSERT(valid_frac >= 0 && test_frac >= 0 && valid_frac + test_frac <= 1.0);
    /* rows with a label outside [0, n_classes) (unknown labels) all go to train */
    for (int64_t i = 0; i < n; i++) out[i] = TML_SPLIT_TRAIN;
    if (n == 0 || n_classes <= 0) return 0;
    /* rows grouped by class in file order (counting sort), then each group shuffled and cut */
    int64_t *idx = malloc((size_t)n * sizeof *idx);
    int64_t *start = calloc((size_t)n_classes + 1, sizeof *start);
    int64_t *fill = malloc((size_t)n_classes * sizeof *fill);
    if (!idx || !start || !fill) {
        free(idx);
        free(start);
        free(fill);
        return tml_fail(err, "out of memory splitting %lld rows into train/valid/test", (long long)n);
    }
    for (int64_t i = 0; i < n; i++)
        if (labels[i] >= 0 && labels[i] < n_classes) start[labels[i] + 1]++;
    for (int c = 0; c < n_classes; c++) start[c + 1] += start[c];
    for (int c = 0; c < n_classes; c++) fill[c] = start[c];
    for (int64_t i = 0; i < n; i++)
        if (labels[i] >= 0 && labels[i] < n_classes) idx[fill[labels[i]]++] = i;
    uint64_t state = seed;
    for (int c = 0; c < n_classes; c++) {
        int64_t *g = idx + start[c], m = start[c + 1] - start[c];
        for (int64_t i = m - 1; i > 0; i--) { /* Fisher-Yates */
            int64_t j = (int64_t)rand_below(&state, (uint64_t)i + 1);
            int64_t t = g[i];
            g[i] = g[j];
            g[j] = t;
        }
        int64_t n_valid = llround((double)m * valid_frac), n_test = llround((double)m * test_frac);
        if (n_valid > m) n_valid = m;
        if (n_valid + n_test > m) n_test = m - n_valid;
        for (int64_t k = 0; k < n_valid; k++) out[g[k]] = TML_SPLIT_VALID;
        for (int64_t k = n_valid; k < n_valid + n_test; k++) out[g[k]] = TML_SPLIT_TEST;
    }
    free(fill);
    free(start);
    free(idx);
    return 0;
}
