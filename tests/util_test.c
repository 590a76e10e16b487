/* util_test.c — shared test helpers (see util_test.h): random numbers, tolerant comparisons that
 * show where they fail, a clock, and dataset lookup. Linked into every test and benchmark. */
#include "tests/util_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

void tu_rng_seed(TuRng *r, uint64_t seed) { r->s = seed; }

uint64_t tu_rng_next(TuRng *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

float tu_rng_uniform(TuRng *r, float lo, float hi) {
    double u = (double)(tu_rng_next(r) >> 11) * (1.0 / 9007199254740992.0); /* [0,1) from 53 bits */
    float v = (float)(lo + (hi - lo) * u);
    return v < hi ? v : lo; /* rounding to float could reach hi */
}

int tu_rng_int(TuRng *r, int n) { return (int)(tu_rng_next(r) % (uint64_t)n); }

void tu_fill_uniform(TuRng *r, float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) x[i] = tu_rng_uniform(r, lo, hi);
}

int tu_require_cuda(void) {
    const char *v = getenv("TICKETML_REQUIRE_CUDA");
    return v && strcmp(v, "0") != 0 && *v;
}

void tu_fill_zipf(TuRng *r, int32_t *ids, size_t n, int V, double s) {
    double *cdf = malloc(sizeof(double) * (size_t)V);
    if (!cdf) abort();
    double acc = 0.0;
    for (int k = 0; k < V; k++) cdf[k] = acc += pow((double)k + 1.0, -s);
    for (size_t i = 0; i < n; i++) {
        double u = ((double)(tu_rng_next(r) >> 11) * 0x1.0p-53) * acc;
        int lo = 0, hi = V - 1; /* first k with cdf[k] > u */
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            if (cdf[mid] > u) hi = mid;
            else lo = mid + 1;
        }
        /* rank -> row: multiply by an odd constant modulo V's power-of-two cover, retried into range */
        uint64_t x = (uint64_t)lo;
        uint64_t mask = 1;
        while (mask < (uint64_t)V) mask <<= 1;
        do x = (x * 0x9E3779B1u + 0x7F4A7C15u) & (mask - 1); while (x >= (uint64_t)V);
        ids[i] = (int32_t)x;
    }
    free(cdf);
}

#define TU_SHOW 8 /* mismatches printed per comparison */

static int close_enough(float g, float r, double atol, double rtol) {
    if (isnan(r) || isnan(g)) return isnan(r) && isnan(g);
    if (isinf(r) || isinf(g)) return g == r;
    return fabs((double)g - (double)r) <= atol + rtol * fabs((double)r);
}

size_t tu_count_mismatch(const char *what, const float *got, const float *ref, size_t n, double atol,
                         double rtol) {
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (close_enough(got[i], ref[i], atol, rtol)) continue;
        if (bad < TU_SHOW)
            fprintf(stderr, "  %s[%zu]: got %.9g, want %.9g (|diff| %.3g > %.3g)\n", what, i, got[i], ref[i],
                    fabs((double)got[i] - (double)ref[i]), atol + rtol * fabs((double)ref[i]));
        bad++;
    }
    if (bad) fprintf(stderr, "  %s: %zu of %zu mismatch (atol %g, rtol %g)\n", what, bad, n, atol, rtol);
    return bad;
}

size_t tu_count_mismatch_i32(const char *what, const int32_t *got, const int32_t *ref, size_t n) {
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (got[i] == ref[i]) continue;
        if (bad < TU_SHOW) fprintf(stderr, "  %s[%zu]: got %d, want %d\n", what, i, got[i], ref[i]);
        bad++;
    }
    if (bad) fprintf(stderr, "  %s: %zu of %zu differ\n", what, bad, n);
    return bad;
}

double tu_max_error_ratio(const float *got, const float *ref, size_t n, double atol, double rtol) {
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(got[i]) || !isfinite(ref[i])) continue;
        double q = fabs((double)got[i] - (double)ref[i]) / (atol + rtol * fabs((double)ref[i]));
        if (q > worst) worst = q;
    }
    return worst;
}

double tu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int is_dir(const char *p) {
    struct stat st;
    return p && *p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *tu_dataset_dir(void) {
    const char *env = getenv("TICKETML_DATA");
    if (env && *env) return is_dir(env) ? env : NULL; /* an explicit setting is not second-guessed */
    if (is_dir("../shared/datasets")) return "../shared/datasets";
    if (is_dir("/work/shared/datasets")) return "/work/shared/datasets";
    return NULL;
}

const char *tu_dataset_path(const char *name) {
    static char buf[4096];
    const char *dir = tu_dataset_dir();
    if (!dir) return NULL;
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    struct stat st;
    return stat(buf, &st) == 0 ? buf : NULL;
}

void *tu_xmalloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "test: out of memory allocating %zu bytes\n", bytes);
        abort();
    }
    return p;
}
