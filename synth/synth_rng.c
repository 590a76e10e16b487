/* synth_rng.c — the generator's randomness: xoshiro256** streams seeded via splitmix64, and exp/log
 * built from IEEE +,*,/ and exact frexp/ldexp so every machine computes the same bits (the build
 * uses -std=c11, which keeps GCC from contracting a*b+c into FMA). */
#include <math.h>

#include "synth/synth_internal.h"

void tml_synth_rng_seed(SynthRng *r, uint64_t seed, uint64_t stream) {
    uint64_t st = seed ^ (stream * 0xD1B54A32D192ED03ULL);
    /* Mix twice so nearby (seed, stream) pairs start far apart. */
    st = tml_splitmix64(&st) ^ stream;
    for (int i = 0; i < 4; i++) r->s[i] = tml_splitmix64(&st);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1; /* all-zero state is a fixed point */
}

uint32_t tml_synth_rng_below(SynthRng *r, uint32_t n) {
    /* Lemire's multiply-shift; the tiny bias (< n / 2^32) does not matter for a corpus. */
    return (uint32_t)(((tml_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

int tml_synth_rng_chance(SynthRng *r, double p) { return tml_rng_uniform(r) < p; }

double tml_synth_rng_normal(SynthRng *r) {
    for (;;) {
        double u = 2.0 * tml_rng_uniform(r) - 1.0, v = 2.0 * tml_rng_uniform(r) - 1.0;
        double s = u * u + v * v;
        if (s > 0.0 && s < 1.0) return u * sqrt(-2.0 * tml_synth_log(s) / s); /* sqrt is exact IEEE */
    }
}

int tml_synth_rng_pick(SynthRng *r, const double *w, int n) {
    double total = 0;
    for (int i = 0; i < n; i++) total += w[i];
    double x = tml_rng_uniform(r) * total;
    for (int i = 0; i < n; i++) {
        if (x < w[i]) return i;
        x -= w[i];
    }
    for (int i = n - 1; i >= 0; i--) /* rounding left x just past the end: last nonzero weight */
        if (w[i] > 0) return i;
    return 0;
}

#define SYNTH_LN2_HI 6.93147180369123816490e-01 /* ln 2 split so k*LN2_HI is exact */
#define SYNTH_LN2_LO 1.90821492927058770002e-10

double tml_synth_exp(double x) {
    if (x > 709.0) x = 709.0;
    if (x < -745.0) return 0.0;
    double k = floor(x * 1.4426950408889634 + 0.5);
    double r = (x - k * SYNTH_LN2_HI) - k * SYNTH_LN2_LO; /* |r| <= ~0.35 */
    double term = 1.0, sum = 1.0;
    for (int i = 1; i <= 17; i++) {
        term = term * r / i;
        sum += term;
    }
    return ldexp(sum, (int)k);
}

double tml_synth_log(double x) {
    if (!(x > 0.0)) return -745.0; /* callers never pass <= 0; keep it finite anyway */
    int e;
    double m = frexp(x, &e); /* x = m * 2^e, m in [0.5, 1) */
    if (m < 0.70710678118654752) {
        m *= 2.0;
        e -= 1;
    }
    /* log m = 2 atanh(z), z = (m-1)/(m+1), |z| <= 0.172 */
    double z = (m - 1.0) / (m + 1.0), z2 = z * z, term = z, sum = 0.0;
    for (int i = 1; i <= 29; i += 2) {
        sum += term / i;
        term *= z2;
    }
    return e * SYNTH_LN2_HI + (e * SYNTH_LN2_LO + 2.0 * sum);
}
