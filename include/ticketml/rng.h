/* rng.h — ticketml's one source of randomness: xoshiro256** seeded through splitmix64. Integer
 * only, so a seed gives the same stream on every machine and compiler; used by the trainer
 * (initialization, shuffles), the splitter, LIME sampling and the synthetic corpus. */
#ifndef TICKETML_RNG_H
#define TICKETML_RNG_H

#include <stdint.h>

typedef struct TmlRng {
    uint64_t s[4];
} TmlRng;

static inline uint64_t tml_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* State = four successive splitmix64 outputs from seed. */
static inline void tml_rng_seed(TmlRng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = tml_splitmix64(&seed);
}

static inline uint64_t tml_rng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t tml_rng_next(TmlRng *r) {
    uint64_t *s = r->s;
    uint64_t result = tml_rng_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = tml_rng_rotl(s[3], 45);
    return result;
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double tml_rng_uniform(TmlRng *r) { return (double)(tml_rng_next(r) >> 11) * 0x1.0p-53; }
/* Uniform float in [0, 1) with 24 random bits (exactly representable). */
static inline float tml_rng_uniform_f(TmlRng *r) { return (float)(tml_rng_next(r) >> 40) * (1.0f / 16777216.0f); }

/* Uniform integer in [0, n), n >= 1, without bias (Lemire's multiply with rejection). */
static inline uint32_t tml_rng_below32(TmlRng *r, uint32_t n) {
    uint64_t m = (tml_rng_next(r) >> 32) * (uint64_t)n;
    uint32_t lo = (uint32_t)m;
    if (lo < n) {
        uint32_t thresh = (uint32_t)(-n) % n;
        while (lo < thresh) {
            m = (tml_rng_next(r) >> 32) * (uint64_t)n;
            lo = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* Uniform integer in [0, n) for 64-bit n (multiply-high; bias below n / 2^64). */
static inline uint64_t tml_rng_below(TmlRng *r, uint64_t n) {
    return (uint64_t)(((__uint128_t)tml_rng_next(r) * n) >> 64);
}

#endif
