/* rng.h — xoshiro256** seeded by splitmix64: the trainer's only source of randomness, so a seed
 * gives the same initial weights and the same shuffles on every machine. */
#ifndef TICKETML_TRAINER_RNG_H
#define TICKETML_TRAINER_RNG_H

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

static inline void tml_rng_seed(TmlRng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = tml_splitmix64(&seed);
}

static inline uint64_t tml_rng_next(TmlRng *r) {
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5;
    uint64_t result = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [0, 1) with 24 bits, exactly representable as float. */
static inline float tml_rng_uniform(TmlRng *r) { return (float)(tml_rng_next(r) >> 40) * (1.0f / 16777216.0f); }

/* Uniform integer in [0, n), n > 0 (Lemire's multiply; bias below 2^-32 for our sizes). */
static inline uint64_t tml_rng_below(TmlRng *r, uint64_t n) {
    return (uint64_t)(((__uint128_t)tml_rng_next(r) * n) >> 64);
}

#endif
