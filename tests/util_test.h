/* util_test.h — small helpers shared by every test and benchmark (tests/util_test.c is linked into
 * all of them): a seeded random generator, float comparisons that print the first mismatches, a
 * monotonic clock, and the dataset-directory lookup used by tests that skip without real data. */
#ifndef TICKETML_UTIL_TEST_H
#define TICKETML_UTIL_TEST_H

#include <stddef.h>
#include <stdint.h>

/* splitmix64: tiny, seedable, the same stream on every platform. */
typedef struct TuRng {
    uint64_t s;
} TuRng;

void tu_rng_seed(TuRng *r, uint64_t seed);
uint64_t tu_rng_next(TuRng *r);
/* Uniform in [lo, hi). */
float tu_rng_uniform(TuRng *r, float lo, float hi);
/* Uniform integer in [0, n); n > 0. */
int tu_rng_int(TuRng *r, int n);
void tu_fill_uniform(TuRng *r, float *x, size_t n, float lo, float hi);
/* n ids in [0, V) drawn from a Zipf law, P(id = k) ~ 1 / (k + 1)^s, as words of real text are
 * (s ~ 1): a few rows are hit by most draws. Ids are scattered over [0, V) by a fixed permutation
 * so that frequent rows are not neighbours in memory. */
void tu_fill_zipf(TuRng *r, int32_t *ids, size_t n, int V, double s);

/* Number of i with |got - ref| > atol + rtol*|ref| (NaN matches NaN only; Inf matches the same
 * Inf only). Prints "what: N of n mismatch" and the first few mismatches to stderr when any. */
size_t tu_count_mismatch(const char *what, const float *got, const float *ref, size_t n, double atol,
                         double rtol);
/* Same for exact integer arrays. */
size_t tu_count_mismatch_i32(const char *what, const int32_t *got, const int32_t *ref, size_t n);
/* Largest |got - ref| / (atol + rtol*|ref|) over finite pairs: <= 1 means within tolerance. */
double tu_max_error_ratio(const float *got, const float *ref, size_t n, double atol, double rtol);

/* 1 when TICKETML_REQUIRE_CUDA=1 (make test-gpu): a test that would skip its CUDA half, or a
 * benchmark that would fall back to the CPU, must fail instead. */
int tu_require_cuda(void);

/* Seconds from a monotonic clock. */
double tu_now(void);

/* The real-datasets directory: $TICKETML_DATA, else ../shared/datasets, else /work/shared/datasets
 * relative to the working directory; NULL when none exists. */
const char *tu_dataset_dir(void);
/* Path of `name` inside the dataset dir, in a static buffer; NULL when the file is absent (the
 * caller prints why and skips). */
const char *tu_dataset_path(const char *name);

/* Allocates n elements or aborts (test code: no recovery wanted). Caller frees with free(). */
void *tu_xmalloc(size_t bytes);

#endif
