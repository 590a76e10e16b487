/* attention.c — CPU reference for the multi-head self-attention core (backend.h,
 * tml_attention_forward/backward). Each (sequence, head) pair is done start to finish by one
 * thread: Q K^T and P V through OpenBLAS reading Q, K, V in place from the qkv rows (row stride 3C,
 * no permuted copies), the masked softmax row by row (softmax_rows.h, shared with the standalone
 * op), dropout with the element index of the (B, NH, T, T) probability tensor as on the GPU. Its
 * T x T tile stays in cache between steps. Keys past lens[b] are left out of the products (their
 * probabilities are 0), so short sequences in a long batch cost less.
 * saved: P (B, NH, T, T) before dropout. scratch: dropout(P) and dP, 2 (B, NH, T, T). */
#include <math.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#include "kernels/cpu/cpu_ops.h"
#include "kernels/cpu/softmax_rows.h"
#include "ticketml/error.h"

size_t tml_cpu_attention_saved_floats(int B, int T, int C, int NH) { return (size_t)B * NH * T * T; }
size_t tml_cpu_attention_scratch_floats(int B, int T, int C, int NH) { return 2 * (size_t)B * NH * T * T; }

/* C (M, N) = alpha op(A) op(B) + beta C through the reference sgemm (which handles K == 0). */
static void mm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
               float beta, float *C, int ldc) {
    tml_cpu_sgemm(NULL, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* Zeroes rows [r0, T) of an (T, hs) block with row stride ld. */
static void zero_rows(float *x, int r0, int T, int hs, int ld) {
    for (int r = r0; r < T; r++) memset(x + (size_t)r * ld, 0, sizeof(float) * (size_t)hs);
}

static void attention_pair_forward(float *out, float *P, float *Pd, const float *qkv, int len, int b, int h, int T,
                                   int C, int NH, float p, uint64_t seed, size_t pair) {
    int hs = C / NH, ld = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    const float *q = qkv + (size_t)b * T * ld + (size_t)h * hs, *k = q + C, *v = q + 2 * C;
    /* S (T, len) = Q K^T into P (row stride T), then the masked softmax in place */
    mm(0, 1, T, len, hs, 1.0f, q, ld, k, ld, 0.0f, P, T);
    for (int i = 0; i < T; i++) tml_cpu_softmax_row(P + (size_t)i * T, P + (size_t)i * T, len, T, scale);
    const float *Pu = P;
    if (p > 0.0f) {
        uint32_t thr = tml_dropout_threshold(p);
        float dscale = 1.0f / (1.0f - p);
        size_t base = pair * T * T;
        for (size_t e = 0; e < (size_t)T * T; e++) Pd[e] = tml_dropout_keep(seed, base + e, thr) ? P[e] * dscale : 0.0f;
        Pu = Pd;
    }
    /* O (T, hs) = P[:, :len] V[:len] straight into out's columns of head h */
    mm(0, 0, T, hs, len, 1.0f, Pu, T, v, ld, 0.0f, out + (size_t)b * T * C + (size_t)h * hs, C);
}

void tml_cpu_attention_forward(void *ctx, float *out, float *saved, float *scratch, const float *qkv,
                               const int32_t *lens, int B, int T, int C, int NH, float p, uint64_t seed) {
    for (int b = 0; b < B; b++) TML_ASSERT(lens[b] >= 0 && lens[b] <= T);
    size_t TT = (size_t)T * T;
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1); /* parallel over pairs instead; see gemm.c */
#pragma omp parallel for schedule(dynamic, 1)
    for (int pair = 0; pair < B * NH; pair++) {
        int b = pair / NH, h = pair % NH;
        attention_pair_forward(out, saved + pair * TT, scratch + pair * TT, qkv, lens[b], b, h, T, C, NH, p, seed,
                               (size_t)pair);
    }
    openblas_set_num_threads(blas_threads);
}

static void attention_pair_backward(float *dqkv, float *Pd, float *dP, const float *dout, const float *P,
                                    const float *qkv, int len, int b, int h, int T, int C, int NH, float p,
                                    uint64_t seed, size_t pair) {
    int hs = C / NH, ld = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    size_t row0 = (size_t)b * T * ld + (size_t)h * hs;
    const float *q = qkv + row0, *k = q + C, *v = q + 2 * C;
    float *dq = dqkv + row0, *dk = dq + C, *dv = dq + 2 * C;
    const float *dO = dout + (size_t)b * T * C + (size_t)h * hs;
    uint32_t thr = tml_dropout_threshold(p);
    float dscale = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f;
    size_t base = pair * T * T;
    const float *Pu = P;
    if (p > 0.0f) {
        for (size_t e = 0; e < (size_t)T * T; e++) Pd[e] = tml_dropout_keep(seed, base + e, thr) ? P[e] * dscale : 0.0f;
        Pu = Pd;
    }
    /* dV[:len] = dropout(P)[:, :len]^T dO; padded key rows get no gradient */
    mm(1, 0, len, hs, T, 1.0f, Pu, T, dO, C, 0.0f, dv, ld);
    zero_rows(dv, len, T, hs, ld);
    /* d dropout(P) (T, len) = dO V[:len]^T, then through the dropout mask and the softmax */
    mm(0, 1, T, len, hs, 1.0f, dO, C, v, ld, 0.0f, dP, T);
    for (int i = 0; i < T; i++) {
        float *row = dP + (size_t)i * T;
        if (p > 0.0f)
            for (int j = 0; j < len; j++) row[j] = tml_dropout_keep(seed, base + (size_t)i * T + j, thr) ? row[j] * dscale : 0.0f;
        tml_cpu_softmax_row_backward(row, row, P + (size_t)i * T, len, scale);
    }
    /* dQ = dS K[:len], dK[:len] = dS^T Q */
    mm(0, 0, T, hs, len, 1.0f, dP, T, k, ld, 0.0f, dq, ld);
    mm(1, 0, len, hs, T, 1.0f, dP, T, q, ld, 0.0f, dk, ld);
    zero_rows(dk, len, T, hs, ld);
}

void tml_cpu_attention_backward(void *ctx, float *dqkv, float *scratch, const float *dout, const float *saved,
                                const float *qkv, const int32_t *lens, int B, int T, int C, int NH, float p,
                                uint64_t seed) {
    for (int b = 0; b < B; b++) TML_ASSERT(lens[b] >= 0 && lens[b] <= T);
    size_t TT = (size_t)T * T, npairs = (size_t)B * NH;
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
#pragma omp parallel for schedule(dynamic, 1)
    for (int pair = 0; pair < B * NH; pair++) {
        int b = pair / NH, h = pair % NH;
        attention_pair_backward(dqkv, scratch + pair * TT, scratch + (npairs + pair) * TT, dout, saved + pair * TT,
                                qkv, lens[b], b, h, T, C, NH, p, seed, (size_t)pair);
    }
    openblas_set_num_threads(blas_threads);
}
