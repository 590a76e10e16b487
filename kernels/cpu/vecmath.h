/* vecmath.h — internal to kernels/cpu: lets `#pragma omp simd` loops call glibc's vector erff/expf
 * (libmvec, 4-wide under -march=x86-64-v2), as <math.h> itself declares them only under -ffast-math,
 * which we do not want (it drops NaN/Inf semantics). Scalar erff costs ~20 ns; the GELU of one
 * MiniLM layer calls it 3M times per batch, so this is the difference between 60 ms and 4 ms. */
#ifndef TICKETML_CPU_VECMATH_H
#define TICKETML_CPU_VECMATH_H

#include <math.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
__attribute__((__simd__("notinbranch"))) float erff(float);
__attribute__((__simd__("notinbranch"))) float expf(float);
/* A function compiled for AVX-512, AVX2 and the baseline, picked at load time (ifunc): its loops then
 * call the 16- or 8-wide libmvec variants. Measured 2x on the GELU blocks. The variants agree to an
 * ulp or two, so these ops' last bits depend on the machine's vector width (as OpenBLAS's do). */
#define TML_VEC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TML_VEC_CLONES
#endif

#endif
