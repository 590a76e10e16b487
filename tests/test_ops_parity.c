/* test_ops_parity.c — every op in kernels/backend.h on every backend present, against the CPU
 * reference (and the CPU sgemm against a naive loop). Random inputs of awkward shapes (odd sizes,
 * one-row batches, empty bags, CSR windows whose offsets do not start at 0, unaligned rows), guard
 * bytes after every device buffer to catch out-of-bounds writes, and NaN/Inf propagation checks.
 * CUDA cases skip with a message on machines without a device, so `make test` passes anywhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/backend.h"
#include "tests/util_test.h"

/* Tolerances (atol + rtol*|ref|), per op family:
 *  - element-wise ops without reductions (scale, axpy, relu, bias forward, optimizers, sigmoid):
 *    the same float formula on both sides, but nvcc contracts a*b+c into one FMA (one rounding
 *    instead of two) and CUDA's expf/logf/sqrtf may differ from glibc by an ulp or two:
 *    EW_ATOL/EW_RTOL = a few ulps of values of size ~1.
 *  - sums of K terms in a different order (sgemm, embedding bag, bias backward, row sums, softmax
 *    denominators): the float rounding error grows like sqrt(K) * 2^-24 * sum|terms| in practice and
 *    K * 2^-24 * sum|terms| at worst; with inputs in [-1,1] and K <= ~100 that is <= ~1e-5 typical,
 *    so SUM_ATOL scales with K (sum_atol) and SUM_RTOL covers the relative part.
 *  - sum of squares: accumulated in double on every backend, only the order differs: 1e-9 relative. */
#define EW_ATOL 1e-6
#define EW_RTOL 1e-5
#define SUM_RTOL 1e-5
static double sum_atol(int k) { return 2e-6 * (k > 1 ? k : 1); }

static TmlBackend *g_cpu, *g_cuda;
static const int KIND_CPU = TML_DEVICE_CPU, KIND_CUDA = TML_DEVICE_CUDA;

static int group_setup(void **state) {
    TmlError err;
    g_cpu = tml_backend_create(TML_DEVICE_CPU, 1, &err);
    if (!g_cpu) {
        fprintf(stderr, "cannot create the CPU backend: %s\n", err.msg);
        return -1;
    }
    if (tml_backend_cuda_device_count() > 0) {
        g_cuda = tml_backend_create(TML_DEVICE_CUDA, 1, &err);
        if (!g_cuda) {
            fprintf(stderr, "a CUDA device is listed but the backend failed: %s\n", err.msg);
            return -1;
        }
    }
    return 0;
}

static int group_teardown(void **state) {
    tml_backend_free(g_cuda);
    tml_backend_free(g_cpu);
    return 0;
}

/* The backend a test runs on (its prestate), or skip() when that is CUDA and no device exists. */
static TmlBackend *backend_under_test(void **state) {
    int kind = *(const int *)*state;
    if (kind == TML_DEVICE_CUDA) {
        if (!g_cuda) {
            if (tu_require_cuda()) fail_msg("TICKETML_REQUIRE_CUDA=1 but no CUDA device: CUDA parity cannot run");
            printf("no CUDA device: CUDA parity not run\n");
            skip();
        }
        return g_cuda;
    }
    return g_cpu;
}

/* ---- device buffers with guard regions ------------------------------------------------------ */
#define GUARD_BYTES 256
#define GUARD_BYTE 0xA5
#define POISON_BYTE 0x7F /* 0x7F7F7F7F = 3.4e38: an output never written cannot look right */
#define MAX_BUFS 16

typedef struct Arena {
    TmlBackend *be;
    char *p[MAX_BUFS];
    size_t bytes[MAX_BUFS];
    const char *name[MAX_BUFS];
    int n;
} Arena;

static char *arena_alloc(Arena *a, const char *name, size_t bytes) {
    assert_true(a->n < MAX_BUFS);
    char *p = tml_alloc(a->be, bytes + GUARD_BYTES);
    assert_non_null(p);
    unsigned char g[GUARD_BYTES];
    memset(g, GUARD_BYTE, sizeof g);
    tml_upload(a->be, p + bytes, g, GUARD_BYTES);
    a->p[a->n] = p;
    a->bytes[a->n] = bytes;
    a->name[a->n] = name;
    a->n++;
    return p;
}

/* Device copy of host data followed by a guard; NULL host gives NULL (an absent optional input). */
static void *arena_in(Arena *a, const char *name, const void *host, size_t bytes) {
    if (!host) return NULL;
    char *p = arena_alloc(a, name, bytes);
    tml_upload(a->be, p, host, bytes);
    return p;
}

/* Output-only buffer, filled with poison. */
static void *arena_out(Arena *a, const char *name, size_t bytes) {
    char *p = arena_alloc(a, name, bytes);
    unsigned char *h = tu_xmalloc(bytes);
    memset(h, POISON_BYTE, bytes);
    tml_upload(a->be, p, h, bytes);
    free(h);
    return p;
}

/* Checks every guard (an op wrote past a buffer's end?) and frees everything. */
static void arena_finish(Arena *a) {
    unsigned char g[GUARD_BYTES];
    int bad = 0;
    for (int i = 0; i < a->n; i++) {
        tml_download(a->be, g, a->p[i] + a->bytes[i], GUARD_BYTES);
        for (int j = 0; j < GUARD_BYTES; j++)
            if (g[j] != GUARD_BYTE) {
                fprintf(stderr, "  %s: out-of-bounds write %d bytes after '%s' (%zu bytes)\n",
                        tml_backend_name(a->be), j, a->name[i], a->bytes[i]);
                bad = 1;
                break;
            }
        tml_free(a->be, a->p[i]);
    }
    a->n = 0;
    assert_false(bad);
}

static float *host_floats(size_t n) { return tu_xmalloc(sizeof(float) * (n ? n : 1)); }

/* ---- backend selection ---------------------------------------------------------------------- */
static void test_device_parse_and_create(void **state) {
    TmlDeviceKind k;
    TmlError err;
    assert_int_equal(tml_device_parse("auto", &k, &err), 0);
    assert_int_equal(k, TML_DEVICE_AUTO);
    assert_int_equal(tml_device_parse("CPU", &k, &err), 0);
    assert_int_equal(k, TML_DEVICE_CPU);
    assert_int_equal(tml_device_parse("cuda", &k, &err), 0);
    assert_int_equal(k, TML_DEVICE_CUDA);
    assert_int_equal(tml_device_parse("tpu", &k, &err), -1);
    assert_non_null(strstr(err.msg, "tpu"));

    TmlBackend *be = tml_backend_create(TML_DEVICE_AUTO, 1, &err);
    assert_non_null(be);
    assert_int_equal(tml_backend_is_gpu(be), tml_backend_cuda_device_count() > 0);
    assert_string_equal(tml_backend_name(be), tml_backend_is_gpu(be) ? "cuda" : "cpu");
    assert_true(strlen(tml_backend_device(be)) > 0);
    tml_backend_free(be);

    if (tml_backend_cuda_device_count() == 0) {
        err.msg[0] = '\0';
        assert_null(tml_backend_create(TML_DEVICE_CUDA, 1, &err));
        assert_non_null(strstr(err.msg, "CUDA"));
        assert_non_null(strstr(err.msg, "--device cpu"));
    }
    char buf[2048];
    tml_backend_describe_build(buf, sizeof buf);
    assert_non_null(strstr(buf, "OpenBLAS"));
    tml_backend_describe_devices(buf, sizeof buf);
    assert_non_null(strstr(buf, "cpu:"));
    assert_non_null(strstr(buf, "cuda"));
    tml_backend_describe_build(buf, 8); /* truncation must be safe */
    assert_true(strlen(buf) < 8);
}

/* ---- sgemm ---------------------------------------------------------------------------------- */
typedef struct GemmCase {
    int ta, tb, M, N, K, pad; /* pad: extra columns in every leading dimension */
    float alpha, beta;
} GemmCase;

static void run_sgemm(TmlBackend *be, const GemmCase *c, const float *A, int lda, const float *B, int ldb,
                      float *C /* in/out */, int ldc) {
    size_t a_n = (size_t)(c->ta ? c->K : c->M) * lda, b_n = (size_t)(c->tb ? c->N : c->K) * ldb,
           c_n = (size_t)c->M * ldc;
    Arena ar = {.be = be};
    float *dA = arena_in(&ar, "A", A, sizeof(float) * a_n);
    float *dB = arena_in(&ar, "B", B, sizeof(float) * b_n);
    float *dC = arena_in(&ar, "C", C, sizeof(float) * c_n);
    tml_sgemm(be, c->ta, c->tb, c->M, c->N, c->K, c->alpha, dA, lda, dB, ldb, c->beta, dC, ldc);
    tml_download(be, C, dC, sizeof(float) * c_n);
    arena_finish(&ar);
}

static void test_sgemm(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const GemmCase cases[] = {
        {0, 0, 1, 1, 1, 0, 1.0f, 0.0f},   {0, 0, 7, 5, 3, 0, 1.0f, 0.0f},    {1, 0, 7, 5, 3, 2, 0.5f, 1.0f},
        {0, 1, 33, 17, 65, 1, 1.0f, 0.25f}, {1, 1, 33, 17, 65, 3, -1.0f, 2.0f}, {0, 1, 1, 100, 37, 0, 1.0f, 0.0f},
        {1, 0, 64, 64, 0, 0, 1.0f, 0.5f}, {0, 0, 64, 1, 128, 5, 1.0f, 1.0f},  {0, 1, 0, 5, 3, 0, 1.0f, 0.0f},
    };
    TuRng r;
    tu_rng_seed(&r, 1);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const GemmCase *c = &cases[ci];
        int a_rows = c->ta ? c->K : c->M, a_cols = c->ta ? c->M : c->K;
        int b_rows = c->tb ? c->N : c->K, b_cols = c->tb ? c->K : c->N;
        int lda = a_cols + c->pad, ldb = b_cols + c->pad, ldc = c->N + c->pad;
        if (lda < 1) lda = 1;
        if (ldb < 1) ldb = 1;
        size_t a_n = (size_t)a_rows * lda, b_n = (size_t)b_rows * ldb, c_n = (size_t)c->M * ldc;
        float *A = host_floats(a_n), *B = host_floats(b_n), *C0 = host_floats(c_n);
        float *Cref = host_floats(c_n), *Cbe = host_floats(c_n), *Cnaive = host_floats(c_n);
        tu_fill_uniform(&r, A, a_n, -1, 1);
        tu_fill_uniform(&r, B, b_n, -1, 1);
        tu_fill_uniform(&r, C0, c_n, -1, 1);
        /* naive reference in double; padding columns of C must stay as they were */
        for (int i = 0; i < c->M; i++)
            for (int j = 0; j < ldc; j++) {
                size_t o = (size_t)i * ldc + j;
                if (j >= c->N) {
                    Cnaive[o] = C0[o];
                    continue;
                }
                double s = 0.0;
                for (int k = 0; k < c->K; k++) {
                    double a = c->ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
                    double b = c->tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
                    s += a * b;
                }
                Cnaive[o] = (float)(c->alpha * s + (c->beta == 0.0f ? 0.0 : c->beta * (double)C0[o]));
            }
        memcpy(Cref, C0, sizeof(float) * c_n);
        memcpy(Cbe, C0, sizeof(float) * c_n);
        run_sgemm(g_cpu, c, A, lda, B, ldb, Cref, ldc);
        run_sgemm(be, c, A, lda, B, ldb, Cbe, ldc);
        char what[96];
        snprintf(what, sizeof what, "sgemm case %zu cpu vs naive", ci);
        assert_int_equal(tu_count_mismatch(what, Cref, Cnaive, c_n, sum_atol(c->K), SUM_RTOL), 0);
        snprintf(what, sizeof what, "sgemm case %zu %s vs cpu", ci, tml_backend_name(be));
        assert_int_equal(tu_count_mismatch(what, Cbe, Cref, c_n, sum_atol(c->K), SUM_RTOL), 0);
        free(A), free(B), free(C0), free(Cref), free(Cbe), free(Cnaive);
    }
}

/* ---- element-wise ops ----------------------------------------------------------------------- */
typedef struct EwOut {
    float *scaled, *axpy, *filled, *relu, *relu_bwd, *relu_bwd_inplace;
    double ss;
} EwOut;

static void run_elementwise(TmlBackend *be, size_t n, const float *x, const float *y, EwOut *o) {
    Arena ar = {.be = be};
    size_t bytes = sizeof(float) * n;
    float *dx = arena_in(&ar, "x", x, bytes), *dy = arena_in(&ar, "y", y, bytes);
    float *t = arena_out(&ar, "t", bytes), *u = arena_out(&ar, "u", bytes);
    tml_copy(be, t, dx, bytes);
    tml_scale(be, t, n, -1.5f);
    tml_download(be, o->scaled, t, bytes);
    tml_copy(be, t, dy, bytes);
    tml_axpy(be, t, dx, n, 0.75f);
    tml_download(be, o->axpy, t, bytes);
    tml_fill(be, t, n, 3.25f);
    tml_download(be, o->filled, t, bytes);
    tml_relu_forward(be, t, dx, n);
    tml_download(be, o->relu, t, bytes);
    tml_relu_backward(be, u, dy, t, n);
    tml_download(be, o->relu_bwd, u, bytes);
    tml_copy(be, u, dy, bytes);
    tml_relu_backward(be, u, u, t, n); /* dx may alias dy */
    tml_download(be, o->relu_bwd_inplace, u, bytes);
    o->ss = tml_sum_squares(be, dx, n);
    arena_finish(&ar);
}

static void ew_alloc(EwOut *o, size_t n) {
    o->scaled = host_floats(n), o->axpy = host_floats(n), o->filled = host_floats(n);
    o->relu = host_floats(n), o->relu_bwd = host_floats(n), o->relu_bwd_inplace = host_floats(n);
}
static void ew_free(EwOut *o) {
    free(o->scaled), free(o->axpy), free(o->filled), free(o->relu), free(o->relu_bwd), free(o->relu_bwd_inplace);
}

static void test_elementwise(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const size_t sizes[] = {1, 7, 1000, 70001};
    TuRng r;
    tu_rng_seed(&r, 2);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        float *x = host_floats(n), *y = host_floats(n);
        tu_fill_uniform(&r, x, n, -1, 1);
        tu_fill_uniform(&r, y, n, -1, 1);
        int special = n >= 8;
        if (special) x[1] = NAN, x[2] = INFINITY, x[3] = -INFINITY;
        EwOut ref, got;
        ew_alloc(&ref, n);
        ew_alloc(&got, n);
        run_elementwise(g_cpu, n, x, y, &ref);
        run_elementwise(be, n, x, y, &got);
        /* the specification itself: ReLU keeps NaN and +Inf, clamps -Inf; sum of squares in double */
        if (special) {
            assert_true(isnan(ref.relu[1]));
            assert_true(isinf(ref.relu[2]) && ref.relu[2] > 0);
            assert_true(ref.relu[3] == 0.0f);
            assert_true(isnan(ref.ss));
        } else {
            double ss = 0;
            for (size_t i = 0; i < n; i++) ss += (double)x[i] * x[i];
            assert_true(fabs(ref.ss - ss) <= 1e-9 * ss);
        }
        for (size_t i = 0; i < n; i++) assert_true(ref.filled[i] == 3.25f);
        assert_int_equal(tu_count_mismatch("scale", got.scaled, ref.scaled, n, EW_ATOL, EW_RTOL), 0);
        assert_int_equal(tu_count_mismatch("axpy", got.axpy, ref.axpy, n, EW_ATOL, EW_RTOL), 0);
        assert_int_equal(tu_count_mismatch("fill", got.filled, ref.filled, n, 0, 0), 0);
        assert_int_equal(tu_count_mismatch("relu", got.relu, ref.relu, n, 0, 0), 0);
        assert_int_equal(tu_count_mismatch("relu_bwd", got.relu_bwd, ref.relu_bwd, n, 0, 0), 0);
        assert_int_equal(tu_count_mismatch("relu_bwd_inplace", got.relu_bwd_inplace, ref.relu_bwd, n, 0, 0), 0);
        if (special) assert_true(isnan(got.ss));
        else assert_true(fabs(got.ss - ref.ss) <= 1e-9 * ref.ss);
        ew_free(&ref), ew_free(&got), free(x), free(y);
    }
}

/* ---- bias ----------------------------------------------------------------------------------- */
static void run_bias(TmlBackend *be, int B, int N, const float *y0, const float *b, const float *db0, float *y,
                     float *db) {
    Arena ar = {.be = be};
    float *dy = arena_in(&ar, "y", y0, sizeof(float) * B * N);
    float *dbias = arena_in(&ar, "b", b, sizeof(float) * N);
    float *ddb = arena_in(&ar, "db", db0, sizeof(float) * N);
    tml_bias_add_forward(be, dy, dbias, B, N);
    tml_download(be, y, dy, sizeof(float) * B * N);
    tml_bias_add_backward(be, ddb, dy, B, N); /* accumulates into db0 */
    tml_download(be, db, ddb, sizeof(float) * N);
    arena_finish(&ar);
}

static void test_bias(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const int shapes[][2] = {{1, 1}, {3, 7}, {64, 77}, {257, 33}, {1, 1000}};
    TuRng r;
    tu_rng_seed(&r, 3);
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        int B = shapes[si][0], N = shapes[si][1];
        size_t BN = (size_t)B * N;
        float *y0 = host_floats(BN), *b = host_floats(N), *db0 = host_floats(N);
        float *y_ref = host_floats(BN), *y_got = host_floats(BN), *db_ref = host_floats(N), *db_got = host_floats(N);
        tu_fill_uniform(&r, y0, BN, -1, 1);
        tu_fill_uniform(&r, b, N, -1, 1);
        tu_fill_uniform(&r, db0, N, -1, 1);
        run_bias(g_cpu, B, N, y0, b, db0, y_ref, db_ref);
        run_bias(be, B, N, y0, b, db0, y_got, db_got);
        assert_int_equal(tu_count_mismatch("bias fwd", y_got, y_ref, BN, EW_ATOL, EW_RTOL), 0);
        assert_int_equal(tu_count_mismatch("bias bwd", db_got, db_ref, N, sum_atol(B), SUM_RTOL), 0);
        free(y0), free(b), free(db0), free(y_ref), free(y_got), free(db_ref), free(db_got);
    }
}

/* ---- embedding bag -------------------------------------------------------------------------- */
typedef struct BagCase {
    int B, D, V, max_len, base; /* base: offsets[0], ids before it belong to other batches */
    int weighted, misalign;     /* misalign: E and dE start one float past an aligned address */
    TmlBagMode mode;
} BagCase;

typedef struct BagData {
    int64_t *offsets;
    int32_t *ids;
    float *w, *E, *dout, *dE0;
    size_t nnz_total; /* base + nnz */
} BagData;

static void bag_make(TuRng *r, const BagCase *c, BagData *d) {
    d->offsets = tu_xmalloc(sizeof(int64_t) * (c->B + 1));
    d->offsets[0] = c->base;
    for (int b = 0; b < c->B; b++) {
        int len = tu_rng_int(r, c->max_len + 1);
        if (b % 4 == 1) len = 0; /* empty bags */
        d->offsets[b + 1] = d->offsets[b] + len;
    }
    d->nnz_total = (size_t)d->offsets[c->B];
    d->ids = tu_xmalloc(sizeof(int32_t) * (d->nnz_total + 1));
    for (size_t j = 0; j < d->nnz_total; j++) d->ids[j] = tu_rng_int(r, c->V);
    d->w = NULL;
    if (c->weighted) {
        d->w = host_floats(d->nnz_total);
        tu_fill_uniform(r, d->w, d->nnz_total, -2, 2);
    }
    size_t VD = (size_t)c->V * c->D, BD = (size_t)c->B * c->D;
    d->E = host_floats(VD), d->dE0 = host_floats(VD), d->dout = host_floats(BD);
    tu_fill_uniform(r, d->E, VD, -1, 1);
    tu_fill_uniform(r, d->dE0, VD, -1, 1);
    tu_fill_uniform(r, d->dout, BD, -1, 1);
}

static void bag_free(BagData *d) { free(d->offsets), free(d->ids), free(d->w), free(d->E), free(d->dout), free(d->dE0); }

static void run_embbag(TmlBackend *be, const BagCase *c, const BagData *d, float *out, float *dE) {
    Arena ar = {.be = be};
    size_t VD = (size_t)c->V * c->D, BD = (size_t)c->B * c->D, m = c->misalign ? 1 : 0;
    float *dEmb = arena_out(&ar, "E", sizeof(float) * (VD + m));
    float *dGrad = arena_out(&ar, "dE", sizeof(float) * (VD + m));
    tml_upload(be, dEmb + m, d->E, sizeof(float) * VD);
    tml_upload(be, dGrad + m, d->dE0, sizeof(float) * VD);
    int64_t *doff = arena_in(&ar, "offsets", d->offsets, sizeof(int64_t) * (c->B + 1));
    int32_t *dids = arena_in(&ar, "ids", d->ids, sizeof(int32_t) * d->nnz_total);
    float *dw = arena_in(&ar, "w", d->w, sizeof(float) * d->nnz_total);
    float *dout = arena_out(&ar, "out", sizeof(float) * BD);
    float *dgo = arena_in(&ar, "dout", d->dout, sizeof(float) * BD);
    tml_embbag_forward(be, dout, dEmb + m, doff, dids, dw, c->B, c->D, c->mode);
    tml_download(be, out, dout, sizeof(float) * BD);
    tml_embbag_backward(be, dGrad + m, dgo, doff, dids, dw, c->B, c->D, c->mode);
    tml_download(be, dE, dGrad + m, sizeof(float) * VD);
    arena_finish(&ar);
}

static void test_embbag(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const BagCase cases[] = {
        {1, 1, 5, 3, 0, 0, 0, TML_BAG_SUM},     {5, 3, 50, 40, 7, 1, 0, TML_BAG_MEAN},
        {64, 16, 50, 40, 0, 0, 0, TML_BAG_MEAN}, {64, 100, 50, 40, 13, 1, 0, TML_BAG_SUM},
        {64, 100, 200, 40, 5, 0, 1, TML_BAG_MEAN}, {33, 37, 1000, 9, 2, 1, 0, TML_BAG_MEAN},
        {17, 256, 30, 60, 1, 1, 0, TML_BAG_SUM}, {4, 4, 3, 0, 3, 0, 0, TML_BAG_MEAN}, /* all bags empty */
    };
    TuRng r;
    tu_rng_seed(&r, 4);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const BagCase *c = &cases[ci];
        BagData d;
        bag_make(&r, c, &d);
        size_t VD = (size_t)c->V * c->D, BD = (size_t)c->B * c->D;
        float *out_ref = host_floats(BD), *out_got = host_floats(BD), *dE_ref = host_floats(VD),
              *dE_got = host_floats(VD);
        run_embbag(g_cpu, c, &d, out_ref, dE_ref);
        run_embbag(be, c, &d, out_got, dE_got);
        /* spec checks on the reference: empty bags are zero rows; bag 0 by hand */
        for (int b = 0; b < c->B; b++)
            if (d.offsets[b + 1] == d.offsets[b])
                for (int k = 0; k < c->D; k++) assert_true(out_ref[(size_t)b * c->D + k] == 0.0f);
        for (int k = 0; k < c->D; k++) {
            double s = 0;
            int64_t lo = d.offsets[0], hi = d.offsets[1];
            for (int64_t j = lo; j < hi; j++) s += (d.w ? d.w[j] : 1.0) * d.E[(size_t)d.ids[j] * c->D + k];
            if (c->mode == TML_BAG_MEAN && hi > lo) s /= (double)(hi - lo);
            assert_true(fabs(out_ref[k] - s) <= sum_atol(c->max_len) * 2 + 1e-5 * fabs(s));
        }
        char what[96];
        snprintf(what, sizeof what, "embbag fwd case %zu", ci);
        assert_int_equal(tu_count_mismatch(what, out_got, out_ref, BD, sum_atol(c->max_len) * 2, SUM_RTOL), 0);
        /* dE rows collect contributions from every bag that holds the id: up to B*max_len terms */
        snprintf(what, sizeof what, "embbag bwd case %zu", ci);
        assert_int_equal(tu_count_mismatch(what, dE_got, dE_ref, VD, sum_atol(c->max_len * 4) * 2, SUM_RTOL), 0);
        free(out_ref), free(out_got), free(dE_ref), free(dE_got);
        bag_free(&d);
    }
}

/* The by-rows backward from independently built lists (distinct ids in order of first appearance,
 * each with its positions ascending) must give exactly tml_embbag_backward's bits, on every backend. */
static void test_embbag_backward_rows(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const BagCase cases[] = {
        {1, 1, 5, 3, 0, 0, 0, TML_BAG_SUM},      {5, 3, 50, 40, 7, 1, 0, TML_BAG_MEAN},
        {64, 100, 50, 40, 13, 1, 0, TML_BAG_SUM}, {64, 100, 200, 40, 5, 0, 1, TML_BAG_MEAN},
        {33, 37, 1000, 9, 2, 1, 0, TML_BAG_MEAN}, {300, 65, 20, 30, 0, 0, 0, TML_BAG_MEAN}, /* hot rows */
    };
    TuRng r;
    tu_rng_seed(&r, 14);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const BagCase *c = &cases[ci];
        BagData d;
        bag_make(&r, c, &d);
        size_t VD = (size_t)c->V * c->D, BD = (size_t)c->B * c->D, m = c->misalign ? 1 : 0;
        float *out_ref = host_floats(BD), *dE_ref = host_floats(VD), *dE_got = host_floats(VD);
        run_embbag(g_cpu, c, &d, out_ref, dE_ref);
        /* lists over the batch's positions [base, base + nnz) */
        int64_t lo = d.offsets[0], hi = d.offsets[c->B];
        int32_t *uniq = tu_xmalloc(sizeof(int32_t) * (size_t)(hi - lo + 1));
        int32_t *uoff = tu_xmalloc(sizeof(int32_t) * (size_t)(hi - lo + 2));
        int32_t *occ = tu_xmalloc(sizeof(int32_t) * (size_t)(hi - lo + 1));
        int n_uniq = 0, k = 0;
        for (int64_t j = lo; j < hi; j++) {
            int seen = 0;
            for (int u = 0; u < n_uniq && !seen; u++) seen = uniq[u] == d.ids[j];
            if (!seen) uniq[n_uniq++] = d.ids[j];
        }
        for (int u = 0; u < n_uniq; u++) {
            uoff[u] = k;
            for (int64_t j = lo; j < hi; j++)
                if (d.ids[j] == uniq[u]) occ[k++] = (int32_t)j;
        }
        uoff[n_uniq] = k;
        Arena ar = {.be = be};
        float *dGrad = arena_out(&ar, "dE", sizeof(float) * (VD + m));
        tml_upload(be, dGrad + m, d.dE0, sizeof(float) * VD);
        int64_t *doff = arena_in(&ar, "offsets", d.offsets, sizeof(int64_t) * (c->B + 1));
        float *dw = arena_in(&ar, "w", d.w, sizeof(float) * d.nnz_total);
        float *dgo = arena_in(&ar, "dout", d.dout, sizeof(float) * BD);
        int32_t *du = arena_in(&ar, "uniq", uniq, sizeof(int32_t) * (n_uniq + 1));
        int32_t *duo = arena_in(&ar, "uoff", uoff, sizeof(int32_t) * (n_uniq + 1));
        int32_t *doc = arena_in(&ar, "occ", occ, sizeof(int32_t) * (k + 1));
        tml_embbag_backward_rows(be, dGrad + m, dgo, doff, dw, c->B, c->D, c->mode, du, duo, doc, n_uniq);
        tml_download(be, dE_got, dGrad + m, sizeof(float) * VD);
        arena_finish(&ar);
        assert_memory_equal(dE_got, dE_ref, sizeof(float) * VD);
        free(out_ref), free(dE_ref), free(dE_got), free(uniq), free(uoff), free(occ);
        bag_free(&d);
    }
}

/* The CPU backward must give the same bits whatever the thread count (reproducible training). */
static void test_embbag_backward_deterministic(void **state) {
    BagCase c = {512, 100, 300, 40, 3, 1, 0, TML_BAG_MEAN};
    TuRng r;
    tu_rng_seed(&r, 5);
    BagData d;
    bag_make(&r, &c, &d);
    size_t VD = (size_t)c.V * c.D, BD = (size_t)c.B * c.D;
    float *out1 = host_floats(BD), *dE1 = host_floats(VD), *out2 = host_floats(BD), *dE2 = host_floats(VD);
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    run_embbag(g_cpu, &c, &d, out1, dE1);
    omp_set_num_threads(threads > 1 ? threads : 2);
    run_embbag(g_cpu, &c, &d, out2, dE2);
    omp_set_num_threads(threads);
    assert_memory_equal(out1, out2, sizeof(float) * BD);
    assert_memory_equal(dE1, dE2, sizeof(float) * VD);
    free(out1), free(dE1), free(out2), free(dE2);
    bag_free(&d);
}

/* ---- device scalars -------------------------------------------------------------------------- */
/* sum_into adds (twice, so it accumulates) and clip_global_norm over several tensors of awkward
 * sizes (one empty): the norm against a double sum by hand, the scaled tensors against the
 * reference, and no clipping when the norm is under the limit. */
static void test_scalars(void **state) {
    TmlBackend *be = backend_under_test(state);
    TuRng r;
    tu_rng_seed(&r, 61);
    size_t ns[4] = {1000, 0, 77777, 3};
    float *host[4];
    double ss = 0.0;
    for (int t = 0; t < 4; t++) {
        host[t] = host_floats(ns[t]);
        tu_fill_uniform(&r, host[t], ns[t], -1, 1);
        for (size_t i = 0; i < ns[t]; i++) ss += (double)host[t][i] * host[t][i];
    }
    for (int clip = 0; clip < 2; clip++) {
        Arena ar = {.be = be};
        float *dev[4];
        for (int t = 0; t < 4; t++) dev[t] = arena_in(&ar, "x", host[t], sizeof(float) * (ns[t] ? ns[t] : 1));
        double zero = 0.0, norm = -1.0, acc = 0.0;
        double *dnorm = arena_in(&ar, "norm", &zero, sizeof(double)), *dacc = arena_in(&ar, "acc", &zero, sizeof(double));
        tml_sum_into(be, dacc, dev[0], ns[0]);
        tml_sum_into(be, dacc, dev[2], ns[2]);
        float max_norm = clip ? 10.0f : 1e6f;
        tml_clip_global_norm(be, dev, ns, 4, max_norm, dnorm);
        tml_download(be, &norm, dnorm, sizeof norm);
        tml_download(be, &acc, dacc, sizeof acc);
        double want_acc = 0.0;
        for (size_t i = 0; i < ns[0]; i++) want_acc += host[0][i];
        for (size_t i = 0; i < ns[2]; i++) want_acc += host[2][i];
        assert_true(fabs(acc - want_acc) <= 1e-9 * (1.0 + fabs(want_acc)));
        assert_true(fabs(norm - sqrt(ss)) <= 1e-9 * sqrt(ss));
        float f = clip ? (float)(10.0 / (sqrt(ss) + 1e-12)) : 1.0f;
        for (int t = 0; t < 4; t++) {
            if (!ns[t]) continue;
            float *got = host_floats(ns[t]), *want = host_floats(ns[t]);
            tml_download(be, got, dev[t], sizeof(float) * ns[t]);
            for (size_t i = 0; i < ns[t]; i++) want[i] = host[t][i] * f;
            assert_int_equal(tu_count_mismatch("clip_global_norm", got, want, ns[t], EW_ATOL, EW_RTOL), 0);
            free(got), free(want);
        }
        arena_finish(&ar);
    }
    for (int t = 0; t < 4; t++) free(host[t]);
}

/* ---- per-example SGD (tml_bag_sgd) ----------------------------------------------------------- */
typedef struct SgdCase {
    int n, D, C, V, max_len;
    int linear;     /* W NULL: D == C */
    int with_b, weighted, with_cw, update_E;
    float smoothing;
    TmlBagMode mode;
} SgdCase;

typedef struct SgdData {
    int64_t *offsets;
    int32_t *ids, *labels;
    float *w, *cw, *E, *W, *b;
    size_t nnz;
} SgdData;

/* Examples whose bags are empty every 5th row and whose labels are -1 every 7th; with disjoint set,
 * every example gets ids of its own (no two examples share a row). */
static void sgd_make(TuRng *r, const SgdCase *c, int disjoint, SgdData *d) {
    d->offsets = tu_xmalloc(sizeof(int64_t) * (c->n + 1));
    d->offsets[0] = 0;
    for (int k = 0; k < c->n; k++) {
        int len = 1 + tu_rng_int(r, c->max_len);
        if (k % 5 == 3) len = 0;
        d->offsets[k + 1] = d->offsets[k] + len;
    }
    d->nnz = (size_t)d->offsets[c->n];
    d->ids = tu_xmalloc(sizeof(int32_t) * (d->nnz + 1));
    for (size_t j = 0; j < d->nnz; j++) d->ids[j] = disjoint ? (int32_t)j : tu_rng_int(r, c->V);
    d->labels = tu_xmalloc(sizeof(int32_t) * c->n);
    for (int k = 0; k < c->n; k++) d->labels[k] = k % 7 == 6 ? -1 : tu_rng_int(r, c->C);
    d->w = NULL;
    if (c->weighted) {
        d->w = host_floats(d->nnz);
        tu_fill_uniform(r, d->w, d->nnz, 0.1f, 1.5f);
    }
    d->cw = NULL;
    if (c->with_cw) {
        d->cw = host_floats(c->C);
        tu_fill_uniform(r, d->cw, c->C, 0.5f, 2.0f);
    }
    d->E = host_floats((size_t)c->V * c->D);
    tu_fill_uniform(r, d->E, (size_t)c->V * c->D, -0.5f, 0.5f);
    d->W = c->linear ? NULL : host_floats((size_t)c->D * c->C);
    if (d->W) tu_fill_uniform(r, d->W, (size_t)c->D * c->C, -0.5f, 0.5f);
    d->b = c->with_b ? host_floats(c->C) : NULL;
    if (d->b) tu_fill_uniform(r, d->b, c->C, -0.5f, 0.5f);
}

static void sgd_free(SgdData *d) {
    free(d->offsets), free(d->ids), free(d->labels), free(d->w), free(d->cw), free(d->E), free(d->W), free(d->b);
}

/* Runs the op on be from d's weights; E, W, b (when present) and the loss sum come back. */
static double run_bag_sgd(TmlBackend *be, const SgdCase *c, const SgdData *d, int workers, float *E, float *W,
                          float *b) {
    Arena ar = {.be = be};
    size_t VD = (size_t)c->V * c->D, DC = (size_t)c->D * c->C;
    double zero = 0.0, loss = 0.0;
    TmlBagSgd a = {
        .E = arena_in(&ar, "E", d->E, sizeof(float) * VD),
        .W = arena_in(&ar, "W", d->W, sizeof(float) * DC),
        .b = arena_in(&ar, "b", d->b, sizeof(float) * c->C),
        .V = c->V, .D = c->D, .C = c->C, .mode = c->mode, .update_E = c->update_E,
        .offsets = arena_in(&ar, "offsets", d->offsets, sizeof(int64_t) * (c->n + 1)),
        .ids = arena_in(&ar, "ids", d->ids, sizeof(int32_t) * d->nnz),
        .w = arena_in(&ar, "w", d->w, sizeof(float) * d->nnz),
        .labels = arena_in(&ar, "labels", d->labels, sizeof(int32_t) * c->n),
        .n = c->n,
        .cw = arena_in(&ar, "cw", d->cw, sizeof(float) * c->C),
        .smoothing = c->smoothing, .lr0 = 0.4f, .lr1 = 0.1f, .workers = workers,
        .loss_sum = arena_in(&ar, "loss", &zero, sizeof(double)),
    };
    size_t ws = tml_bag_sgd_scratch_floats(be, c->D, c->C, d->W != NULL);
    a.scratch = ws ? arena_out(&ar, "scratch", sizeof(float) * ws) : NULL;
    tml_bag_sgd(be, &a);
    tml_download(be, E, a.E, sizeof(float) * VD);
    if (W) tml_download(be, W, a.W, sizeof(float) * DC);
    if (b) tml_download(be, b, a.b, sizeof(float) * c->C);
    tml_download(be, &loss, a.loss_sum, sizeof(double));
    arena_finish(&ar);
    return loss;
}

/* backend.h's formulas in double, example by example: what the reference must compute. */
static double sgd_spec(const SgdCase *c, const SgdData *d, double *E, double *W, double *b) {
    int D = c->D, C = c->C;
    double *h = calloc(D, sizeof(double)), *dh = calloc(D, sizeof(double)), *z = calloc(C, sizeof(double));
    double total = 0.0;
    for (int k = 0; k < c->n; k++) {
        int y = d->labels[k];
        if (y < 0) continue;
        int64_t lo = d->offsets[k], hi = d->offsets[k + 1];
        double sc = c->mode == TML_BAG_MEAN && hi > lo ? 1.0 / (double)(hi - lo) : 1.0;
        for (int j = 0; j < D; j++) h[j] = 0.0;
        for (int64_t i = lo; i < hi; i++)
            for (int j = 0; j < D; j++) h[j] += (d->w ? d->w[i] : 1.0) * E[(size_t)d->ids[i] * D + j];
        for (int j = 0; j < D; j++) h[j] *= sc;
        for (int q = 0; q < C; q++) {
            z[q] = b ? b[q] : 0.0;
            if (W)
                for (int j = 0; j < D; j++) z[q] += h[j] * W[(size_t)j * C + q];
            else
                z[q] += h[q];
        }
        double mx = z[0], sum = 0.0;
        for (int q = 1; q < C; q++) mx = z[q] > mx ? z[q] : mx;
        for (int q = 0; q < C; q++) sum += exp(z[q] - mx);
        double cwy = d->cw ? d->cw[y] : 1.0, loss = 0.0;
        for (int q = 0; q < C; q++) {
            double t = (q == y ? 1.0 - c->smoothing : 0.0) + c->smoothing / C, logp = z[q] - mx - log(sum);
            loss -= t * logp;
            z[q] = cwy * (exp(logp) - t); /* now g */
        }
        total += cwy * loss;
        double lr = 0.4 + (0.1 - 0.4) * (double)k / (double)c->n;
        for (int j = 0; j < D; j++) {
            dh[j] = 0.0;
            if (W)
                for (int q = 0; q < C; q++) dh[j] += W[(size_t)j * C + q] * z[q];
            else
                dh[j] = z[j];
        }
        if (W)
            for (int j = 0; j < D; j++)
                for (int q = 0; q < C; q++) W[(size_t)j * C + q] -= lr * h[j] * z[q];
        if (b)
            for (int q = 0; q < C; q++) b[q] -= lr * z[q];
        if (c->update_E)
            for (int64_t i = lo; i < hi; i++)
                for (int j = 0; j < D; j++) E[(size_t)d->ids[i] * D + j] -= lr * (d->w ? d->w[i] : 1.0) * sc * dh[j];
    }
    free(h), free(dh), free(z);
    return total;
}

static double *to_double(const float *x, size_t n) {
    double *y = tu_xmalloc(sizeof(double) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) y[i] = x ? x[i] : 0.0;
    return y;
}

static void test_bag_sgd(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const SgdCase cases[] = {
        {1, 8, 3, 10, 4, 0, 1, 0, 0, 1, 0.0f, TML_BAG_MEAN},
        {40, 16, 5, 30, 6, 0, 1, 1, 1, 1, 0.1f, TML_BAG_SUM},
        {60, 100, 20, 500, 40, 0, 1, 0, 0, 1, 0.0f, TML_BAG_MEAN},  /* the benchmark model's shape */
        {50, 7, 7, 40, 5, 1, 1, 0, 1, 1, 0.05f, TML_BAG_MEAN},     /* linear: D == C */
        {30, 33, 40, 60, 9, 0, 0, 1, 0, 0, 0.0f, TML_BAG_MEAN},    /* frozen E, no bias, C > 32 */
        {25, 5, 2, 3, 3, 0, 1, 0, 0, 1, 0.0f, TML_BAG_MEAN},       /* tiny table: every row collides */
    };
    TuRng r;
    tu_rng_seed(&r, 41);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const SgdCase *c = &cases[ci];
        SgdData d;
        sgd_make(&r, c, 0, &d);
        size_t VD = (size_t)c->V * c->D, DC = (size_t)c->D * c->C;
        float *E_ref = host_floats(VD), *E_got = host_floats(VD), *W_ref = d.W ? host_floats(DC) : NULL,
              *W_got = d.W ? host_floats(DC) : NULL, *b_ref = d.b ? host_floats(c->C) : NULL,
              *b_got = d.b ? host_floats(c->C) : NULL;
        double loss_ref = run_bag_sgd(g_cpu, c, &d, 1, E_ref, W_ref, b_ref);
        double loss_got = run_bag_sgd(be, c, &d, 1, E_got, W_got, b_got);
        /* the reference against the formulas in double (a float reference drifts ~1e-6 per step) */
        double *E_s = to_double(d.E, VD), *W_s = d.W ? to_double(d.W, DC) : NULL, *b_s = d.b ? to_double(d.b, c->C) : NULL;
        double loss_s = sgd_spec(c, &d, E_s, W_s, b_s);
        assert_true(fabs(loss_ref - loss_s) <= 1e-4 * (1.0 + fabs(loss_s)));
        for (size_t i = 0; i < VD; i++) assert_true(fabs(E_ref[i] - E_s[i]) <= 1e-4 * (1.0 + fabs(E_s[i])));
        for (size_t i = 0; W_s && i < DC; i++) assert_true(fabs(W_ref[i] - W_s[i]) <= 1e-4 * (1.0 + fabs(W_s[i])));
        for (int i = 0; b_s && i < c->C; i++) assert_true(fabs(b_ref[i] - b_s[i]) <= 1e-4 * (1.0 + fabs(b_s[i])));
        if (!c->update_E) assert_memory_equal(E_ref, d.E, sizeof(float) * VD);
        /* the backend against the reference: one worker takes the same steps in the same order; the
         * rounding differs by FMA contraction and the order of the D- and C-sums, compounding over n
         * steps, hence a few times the one-step sum tolerance */
        char what[64];
        double atol = sum_atol(c->D + c->C) * 4, rtol = 1e-4;
        snprintf(what, sizeof what, "bag_sgd E case %zu", ci);
        assert_int_equal(tu_count_mismatch(what, E_got, E_ref, VD, atol, rtol), 0);
        if (W_ref) {
            snprintf(what, sizeof what, "bag_sgd W case %zu", ci);
            assert_int_equal(tu_count_mismatch(what, W_got, W_ref, DC, atol, rtol), 0);
        }
        if (b_ref) {
            snprintf(what, sizeof what, "bag_sgd b case %zu", ci);
            assert_int_equal(tu_count_mismatch(what, b_got, b_ref, c->C, atol, rtol), 0);
        }
        assert_true(fabs(loss_got - loss_ref) <= 1e-5 * (1.0 + fabs(loss_ref)));
        free(E_ref), free(E_got), free(W_ref), free(W_got), free(b_ref), free(b_got), free(E_s), free(W_s), free(b_s);
        sgd_free(&d);
    }
}

/* Hogwild: examples that share no row and no parameter (linear model without bias, disjoint ids) do
 * not interact, so running them on every worker at once must give exactly the one-worker result:
 * each example stepped once, with its own lr_k, wherever it ran. With shared rows it must still
 * train: the loss of a second pass drops below the first. */
static void test_bag_sgd_hogwild(void **state) {
    TmlBackend *be = backend_under_test(state);
    SgdCase c = {3000, 6, 6, 3000 * 5, 5, 1, 0, 1, 0, 1, 0.0f, TML_BAG_MEAN};
    TuRng r;
    tu_rng_seed(&r, 42);
    SgdData d;
    sgd_make(&r, &c, 1, &d);
    size_t VD = (size_t)c.V * c.D;
    float *E1 = host_floats(VD), *Ea = host_floats(VD);
    double l1 = run_bag_sgd(be, &c, &d, 1, E1, NULL, NULL);
    double la = run_bag_sgd(be, &c, &d, 0, Ea, NULL, NULL);
    assert_memory_equal(E1, Ea, sizeof(float) * VD);
    assert_true(fabs(l1 - la) <= 1e-9 * fabs(l1)); /* block sums may be added in another order */
    free(E1), free(Ea);
    sgd_free(&d);
    /* shared rows, all workers: two passes over the same examples, the second with lower loss */
    SgdCase s = {4000, 16, 4, 48, 6, 0, 1, 0, 0, 1, 0.0f, TML_BAG_MEAN};
    sgd_make(&r, &s, 0, &d);
    for (int k = 0; k < s.n; k++) { /* learnable: every id of a bag has the label as its residue */
        for (int64_t j = d.offsets[k]; j < d.offsets[k + 1] && d.labels[k] >= 0; j++)
            d.ids[j] = d.ids[j] / s.C * s.C + d.labels[k];
        if (d.offsets[k + 1] == d.offsets[k]) d.labels[k] = -1; /* nothing to learn from */
    }
    float *E = host_floats((size_t)s.V * s.D), *W = host_floats((size_t)s.D * s.C), *b = host_floats(s.C);
    double first = run_bag_sgd(be, &s, &d, 0, E, W, b);
    memcpy(d.E, E, sizeof(float) * s.V * s.D), memcpy(d.W, W, sizeof(float) * s.D * s.C), memcpy(d.b, b, sizeof(float) * s.C);
    double second = run_bag_sgd(be, &s, &d, 0, E, W, b);
    assert_true(isfinite(first) && isfinite(second) && second < 0.2 * first);
    free(E), free(W), free(b);
    sgd_free(&d);
}

/* ---- softmax cross-entropy ------------------------------------------------------------------ */
typedef struct XentCase {
    int B, C, with_cw, with_ignored;
    float smoothing;
} XentCase;

static void run_xent(TmlBackend *be, const XentCase *c, const float *logits, const int32_t *labels, const float *cw,
                     float *probs, float *losses, float *dlogits, float *dlogits_inplace) {
    Arena ar = {.be = be};
    size_t BC = (size_t)c->B * c->C;
    float *dlg = arena_in(&ar, "logits", logits, sizeof(float) * BC);
    int32_t *dlab = arena_in(&ar, "labels", labels, sizeof(int32_t) * c->B);
    float *dcw = arena_in(&ar, "cw", cw, sizeof(float) * c->C);
    float *dp = arena_out(&ar, "probs", sizeof(float) * BC);
    float *dl = arena_out(&ar, "losses", sizeof(float) * c->B);
    float *dg = arena_out(&ar, "dlogits", sizeof(float) * BC);
    tml_softmax_xent_forward(be, dp, dl, dlg, dlab, dcw, c->smoothing, c->B, c->C);
    tml_download(be, probs, dp, sizeof(float) * BC);
    tml_download(be, losses, dl, sizeof(float) * c->B);
    tml_softmax_xent_backward(be, dg, dp, dlab, dcw, c->smoothing, c->B, c->C, 0.5f);
    tml_download(be, dlogits, dg, sizeof(float) * BC);
    tml_softmax_xent_backward(be, dp, dp, dlab, dcw, c->smoothing, c->B, c->C, 0.5f); /* aliasing allowed */
    tml_download(be, dlogits_inplace, dp, sizeof(float) * BC);
    arena_finish(&ar);
}

static void test_softmax_xent(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const XentCase cases[] = {
        {1, 1, 0, 0, 0.0f}, {1, 2, 1, 0, 0.1f}, {13, 77, 1, 1, 0.1f}, {13, 77, 0, 0, 0.0f}, {6, 300, 1, 1, 0.2f},
    };
    TuRng r;
    tu_rng_seed(&r, 6);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const XentCase *c = &cases[ci];
        size_t BC = (size_t)c->B * c->C;
        float *logits = host_floats(BC), *cw = c->with_cw ? host_floats(c->C) : NULL;
        int32_t *labels = tu_xmalloc(sizeof(int32_t) * c->B);
        tu_fill_uniform(&r, logits, BC, -5, 5);
        if (cw) tu_fill_uniform(&r, cw, c->C, 0.2f, 3);
        for (int b = 0; b < c->B; b++) labels[b] = tu_rng_int(&r, c->C);
        int nan_row = -1, big_row = -1;
        if (c->B >= 4) {
            nan_row = 1, big_row = 2;
            logits[(size_t)nan_row * c->C] = NAN;
            for (int k = 0; k < c->C; k++) logits[(size_t)big_row * c->C + k] = k % 2 ? 80.0f : -80.0f;
        }
        if (c->with_ignored) labels[0] = -1;
        float *p_ref = host_floats(BC), *l_ref = host_floats(c->B), *g_ref = host_floats(BC), *gi_ref = host_floats(BC);
        float *p_got = host_floats(BC), *l_got = host_floats(c->B), *g_got = host_floats(BC), *gi_got = host_floats(BC);
        run_xent(g_cpu, c, logits, labels, cw, p_ref, l_ref, g_ref, gi_ref);
        run_xent(be, c, logits, labels, cw, p_got, l_got, g_got, gi_got);
        /* specification checks on the reference, against a double computation */
        for (int b = 0; b < c->B; b++) {
            const float *x = logits + (size_t)b * c->C;
            if (b == nan_row) {
                assert_true(isnan(l_ref[b]));
                for (int k = 0; k < c->C; k++) assert_true(isnan(p_ref[(size_t)b * c->C + k]));
                continue;
            }
            double mx = -INFINITY, s = 0, psum = 0;
            for (int k = 0; k < c->C; k++) mx = x[k] > mx ? x[k] : mx;
            for (int k = 0; k < c->C; k++) s += exp((double)x[k] - mx);
            double lse = mx + log(s), loss = 0;
            for (int k = 0; k < c->C; k++) {
                psum += p_ref[(size_t)b * c->C + k];
                double t = c->smoothing / c->C + (k == labels[b] ? 1.0 - c->smoothing : 0.0);
                loss += t * (lse - x[k]);
            }
            if (labels[b] < 0) loss = 0;
            else if (cw) loss *= cw[labels[b]];
            assert_true(fabs(psum - 1.0) < 1e-5);
            assert_true(isfinite(l_ref[b]));
            /* big_row has |x| = 80 with log-sum-exp ~ 80: the float loss carries ~80 * 2^-24 error */
            assert_true(fabs(l_ref[b] - loss) <= 1e-5 + 1e-5 * fabs(loss) + (b == big_row ? 1e-4 * c->C : 0));
            if (labels[b] < 0)
                for (int k = 0; k < c->C; k++) assert_true(g_ref[(size_t)b * c->C + k] == 0.0f);
        }
        assert_int_equal(tu_count_mismatch("xent inplace (cpu)", gi_ref, g_ref, BC, 0, 0), 0);
        /* probabilities: expf differs by <= 2 ulp and the denominator is a C-term sum */
        assert_int_equal(tu_count_mismatch("xent probs", p_got, p_ref, BC, EW_ATOL, SUM_RTOL), 0);
        assert_int_equal(tu_count_mismatch("xent losses", l_got, l_ref, c->B, sum_atol(c->C) * 10, SUM_RTOL), 0);
        assert_int_equal(tu_count_mismatch("xent dlogits", g_got, g_ref, BC, EW_ATOL * 3, SUM_RTOL), 0);
        assert_int_equal(tu_count_mismatch("xent dlogits inplace", gi_got, g_ref, BC, EW_ATOL * 3, SUM_RTOL), 0);
        free(logits), free(cw), free(labels), free(p_ref), free(l_ref), free(g_ref), free(gi_ref);
        free(p_got), free(l_got), free(g_got), free(gi_got);
    }
}

/* Without labels only probabilities come out; losses (if given) are zero. */
static void test_softmax_no_labels(void **state) {
    TmlBackend *be = backend_under_test(state);
    float logits[6] = {1, 2, 3, -1, 0, 1}, probs[6], losses[2];
    Arena ar = {.be = be};
    float *dlg = arena_in(&ar, "logits", logits, sizeof logits);
    float *dp = arena_out(&ar, "probs", sizeof probs), *dl = arena_out(&ar, "losses", sizeof losses);
    tml_softmax_xent_forward(be, dp, dl, dlg, NULL, NULL, 0.0f, 2, 3);
    tml_softmax_xent_forward(be, dp, NULL, dlg, NULL, NULL, 0.0f, 2, 3);
    tml_download(be, probs, dp, sizeof probs);
    tml_download(be, losses, dl, sizeof losses);
    arena_finish(&ar);
    double e0 = exp(1.0) + exp(2.0) + exp(3.0), e1 = exp(-1.0) + exp(0.0) + exp(1.0);
    assert_true(fabs(probs[2] - exp(3.0) / e0) < 1e-6);
    assert_true(fabs(probs[5] - exp(1.0) / e1) < 1e-6);
    assert_true(losses[0] == 0.0f && losses[1] == 0.0f);
}

/* ---- sigmoid BCE ---------------------------------------------------------------------------- */
static void run_bce(TmlBackend *be, size_t n, const float *x, const float *t, const float *pw, float *p, float *l,
                    float *g) {
    Arena ar = {.be = be};
    size_t bytes = sizeof(float) * n;
    float *dx = arena_in(&ar, "logits", x, bytes), *dt = arena_in(&ar, "targets", t, bytes);
    float *dpw = arena_in(&ar, "pw", pw, bytes);
    float *dp = arena_out(&ar, "probs", bytes), *dl = arena_out(&ar, "losses", bytes), *dg = arena_out(&ar, "d", bytes);
    tml_sigmoid_bce_forward(be, dp, dl, dx, dt, dpw, n);
    tml_sigmoid_bce_backward(be, dg, dp, dt, dpw, n, 0.25f);
    tml_download(be, p, dp, bytes);
    tml_download(be, l, dl, bytes);
    tml_download(be, g, dg, bytes);
    arena_finish(&ar);
}

static void test_sigmoid_bce(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const size_t sizes[] = {1, 9, 1000, 50001};
    TuRng r;
    tu_rng_seed(&r, 7);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        float *x = host_floats(n), *t = host_floats(n), *pw = si % 2 ? host_floats(n) : NULL;
        tu_fill_uniform(&r, x, n, -30, 30);
        tu_fill_uniform(&r, t, n, 0, 1);
        if (pw) tu_fill_uniform(&r, pw, n, 0.1f, 5);
        if (n >= 9) {
            x[0] = NAN;
            x[1] = 100.0f, t[1] = 1.0f;  /* confident and right: loss ~ 0, not NaN */
            x[2] = -100.0f, t[2] = 1.0f; /* confident and wrong: loss = 100, not Inf */
            x[3] = INFINITY, t[3] = 0.5f; /* Inf logit: prob 1, loss Inf */
        }
        float *p_ref = host_floats(n), *l_ref = host_floats(n), *g_ref = host_floats(n);
        float *p_got = host_floats(n), *l_got = host_floats(n), *g_got = host_floats(n);
        run_bce(g_cpu, n, x, t, pw, p_ref, l_ref, g_ref);
        run_bce(be, n, x, t, pw, p_got, l_got, g_got);
        for (size_t i = 0; i < n; i++) {
            if (n >= 9 && i < 4) continue;
            double p = 1.0 / (1.0 + exp(-(double)x[i]));
            double l = (pw ? pw[i] : 1.0) * ((x[i] > 0 ? x[i] : 0) - (double)x[i] * t[i] + log1p(exp(-fabs((double)x[i]))));
            assert_true(fabs(p_ref[i] - p) <= 1e-6 + 1e-6 * p);
            assert_true(fabs(l_ref[i] - l) <= 1e-5 + 1e-5 * fabs(l) + 30 * 6e-8 * (pw ? pw[i] : 1.0));
        }
        if (n >= 9) {
            assert_true(isnan(p_ref[0]) && isnan(l_ref[0]) && isnan(p_got[0]) && isnan(l_got[0]));
            assert_true(l_ref[1] >= 0.0f && l_ref[1] < 1e-20f);
            assert_true(fabs(l_ref[2] - 100.0f * (pw ? pw[2] : 1.0f)) <= 1e-3f * (pw ? pw[2] : 1.0f));
            assert_true(p_ref[3] == 1.0f && isinf(l_ref[3]));
        }
        assert_int_equal(tu_count_mismatch("bce probs", p_got, p_ref, n, EW_ATOL, EW_RTOL), 0);
        assert_int_equal(tu_count_mismatch("bce losses", l_got, l_ref, n, 1e-5, EW_RTOL), 0);
        assert_int_equal(tu_count_mismatch("bce dlogits", g_got, g_ref, n, EW_ATOL * 5, EW_RTOL), 0);
        free(x), free(t), free(pw), free(p_ref), free(l_ref), free(g_ref), free(p_got), free(l_got), free(g_got);
    }
}

/* ---- optimizers ----------------------------------------------------------------------------- */
typedef struct OptState {
    float *w, *g, *m, *v;
} OptState;

/* Two steps of each optimizer on copies of the same state. */
static void run_optim_dense(TmlBackend *be, size_t n, const OptState *in, OptState *sgd, OptState *adam) {
    Arena ar = {.be = be};
    size_t bytes = sizeof(float) * n;
    float *w = arena_in(&ar, "w", in->w, bytes), *g = arena_in(&ar, "g", in->g, bytes);
    float *m = arena_in(&ar, "m", in->m, bytes), *v = arena_in(&ar, "v", in->v, bytes);
    float *w2 = arena_in(&ar, "w2", in->w, bytes);
    tml_sgd_update(be, w2, g, n, 0.1f, 0.01f);
    tml_sgd_update(be, w2, g, n, 0.1f, 0.0f);
    tml_download(be, sgd->w, w2, bytes);
    tml_adamw_update(be, w, g, m, v, n, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.1f, 1);
    tml_adamw_update(be, w, g, m, v, n, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.1f, 2);
    tml_download(be, adam->w, w, bytes);
    tml_download(be, adam->m, m, bytes);
    tml_download(be, adam->v, v, bytes);
    arena_finish(&ar);
}

static void opt_alloc(OptState *s, size_t n) {
    s->w = host_floats(n), s->g = host_floats(n), s->m = host_floats(n), s->v = host_floats(n);
}
static void opt_free(OptState *s) { free(s->w), free(s->g), free(s->m), free(s->v); }

static void test_optim_dense(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const size_t sizes[] = {1, 7, 10001};
    TuRng r;
    tu_rng_seed(&r, 8);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        OptState in, s_ref, a_ref, s_got, a_got;
        opt_alloc(&in, n), opt_alloc(&s_ref, n), opt_alloc(&a_ref, n), opt_alloc(&s_got, n), opt_alloc(&a_got, n);
        tu_fill_uniform(&r, in.w, n, -1, 1);
        tu_fill_uniform(&r, in.g, n, -1, 1);
        tu_fill_uniform(&r, in.m, n, -0.1f, 0.1f);
        tu_fill_uniform(&r, in.v, n, 0, 0.01f);
        run_optim_dense(g_cpu, n, &in, &s_ref, &a_ref);
        run_optim_dense(be, n, &in, &s_got, &a_got);
        assert_int_equal(tu_count_mismatch("sgd w", s_got.w, s_ref.w, n, EW_ATOL, EW_RTOL), 0);
        /* AdamW divides by sqrt(vhat)+eps: a relative error of a few ulps in v moves w by ~lr*ulps */
        assert_int_equal(tu_count_mismatch("adamw w", a_got.w, a_ref.w, n, EW_ATOL, EW_RTOL), 0);
        assert_int_equal(tu_count_mismatch("adamw m", a_got.m, a_ref.m, n, EW_ATOL, EW_RTOL), 0);
        assert_int_equal(tu_count_mismatch("adamw v", a_got.v, a_ref.v, n, EW_ATOL, EW_RTOL), 0);
        opt_free(&in), opt_free(&s_ref), opt_free(&a_ref), opt_free(&s_got), opt_free(&a_got);
    }
}

static void run_optim_rows(TmlBackend *be, int V, int D, const int32_t *rows, int n_rows, const OptState *in,
                           OptState *sgd, OptState *adam) {
    Arena ar = {.be = be};
    size_t bytes = sizeof(float) * V * D;
    int32_t *dr = arena_in(&ar, "rows", rows, sizeof(int32_t) * n_rows);
    float *W = arena_in(&ar, "W", in->w, bytes), *G = arena_in(&ar, "G", in->g, bytes);
    float *M = arena_in(&ar, "M", in->m, bytes), *Vv = arena_in(&ar, "V", in->v, bytes);
    float *W2 = arena_in(&ar, "W2", in->w, bytes), *G2 = arena_in(&ar, "G2", in->g, bytes);
    tml_sgd_update_rows(be, W2, G2, dr, n_rows, D, 0.1f, 0.01f);
    tml_download(be, sgd->w, W2, bytes);
    tml_download(be, sgd->g, G2, bytes);
    tml_adamw_update_rows(be, W, G, M, Vv, dr, n_rows, D, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.1f, 3);
    tml_download(be, adam->w, W, bytes);
    tml_download(be, adam->g, G, bytes);
    tml_download(be, adam->m, M, bytes);
    tml_download(be, adam->v, Vv, bytes);
    arena_finish(&ar);
}

static void test_optim_rows(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const int dims[] = {1, 3, 100};
    TuRng r;
    tu_rng_seed(&r, 9);
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        int V = 50, D = dims[di];
        size_t n = (size_t)V * D;
        int32_t rows[20];
        int n_rows = 0;
        for (int v = V - 1; v >= 0 && n_rows < 20; v -= 3) rows[n_rows++] = v; /* unique, unsorted order */
        OptState in, s_ref, a_ref, s_got, a_got;
        opt_alloc(&in, n), opt_alloc(&s_ref, n), opt_alloc(&a_ref, n), opt_alloc(&s_got, n), opt_alloc(&a_got, n);
        tu_fill_uniform(&r, in.w, n, -1, 1);
        tu_fill_uniform(&r, in.g, n, -1, 1);
        tu_fill_uniform(&r, in.m, n, -0.1f, 0.1f);
        tu_fill_uniform(&r, in.v, n, 0, 0.01f);
        run_optim_rows(g_cpu, V, D, rows, n_rows, &in, &s_ref, &a_ref);
        run_optim_rows(be, V, D, rows, n_rows, &in, &s_got, &a_got);
        assert_int_equal(tu_count_mismatch("sgd rows W", s_got.w, s_ref.w, n, EW_ATOL, EW_RTOL), 0);
        assert_int_equal(tu_count_mismatch("sgd rows G", s_got.g, s_ref.g, n, 0, 0), 0);
        assert_int_equal(tu_count_mismatch("adamw rows W", a_got.w, a_ref.w, n, EW_ATOL, EW_RTOL), 0);
        assert_int_equal(tu_count_mismatch("adamw rows G", a_got.g, a_ref.g, n, 0, 0), 0);
        assert_int_equal(tu_count_mismatch("adamw rows M", a_got.m, a_ref.m, n, EW_ATOL, EW_RTOL), 0);
        assert_int_equal(tu_count_mismatch("adamw rows V", a_got.v, a_ref.v, n, EW_ATOL, EW_RTOL), 0);
        opt_free(&in), opt_free(&s_ref), opt_free(&a_ref), opt_free(&s_got), opt_free(&a_got);
    }
}

/* ---- row reductions ------------------------------------------------------------------------- */
static void run_reduce(TmlBackend *be, int B, int N, int k, const float *x, float *sum, int32_t *amax, int32_t *ti,
                       float *tv) {
    Arena ar = {.be = be};
    float *dx = arena_in(&ar, "x", x, sizeof(float) * B * N);
    float *ds = arena_out(&ar, "sum", sizeof(float) * B);
    int32_t *da = arena_out(&ar, "argmax", sizeof(int32_t) * B);
    int32_t *di = arena_out(&ar, "topk idx", sizeof(int32_t) * B * k);
    float *dv = arena_out(&ar, "topk val", sizeof(float) * B * k);
    tml_row_sum(be, ds, dx, B, N);
    tml_row_argmax(be, da, dx, B, N);
    tml_row_topk(be, di, dv, dx, B, N, k);
    tml_download(be, sum, ds, sizeof(float) * B);
    tml_download(be, amax, da, sizeof(int32_t) * B);
    tml_download(be, ti, di, sizeof(int32_t) * B * k);
    tml_download(be, tv, dv, sizeof(float) * B * k);
    arena_finish(&ar);
}

static void test_reduce(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const int shapes[][3] = {{1, 1, 1}, {5, 2, 2}, {100, 77, 3}, {7, 1000, 5}, {3, 40, 40}, {2, 33, 0}};
    TuRng r;
    tu_rng_seed(&r, 10);
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        int B = shapes[si][0], N = shapes[si][1], k = shapes[si][2];
        size_t BN = (size_t)B * N, Bk = (size_t)B * k;
        float *x = host_floats(BN);
        for (size_t i = 0; i < BN; i++) x[i] = (float)(tu_rng_int(&r, 7) - 3); /* small integers: many ties */
        float *s_ref = host_floats(B), *s_got = host_floats(B), *v_ref = host_floats(Bk), *v_got = host_floats(Bk);
        int32_t *a_ref = tu_xmalloc(4 * B), *a_got = tu_xmalloc(4 * B), *i_ref = tu_xmalloc(4 * (Bk + 1)),
                *i_got = tu_xmalloc(4 * (Bk + 1));
        run_reduce(g_cpu, B, N, k, x, s_ref, a_ref, i_ref, v_ref);
        run_reduce(be, B, N, k, x, s_got, a_got, i_got, v_got);
        for (int b = 0; b < B; b++) { /* spec: first maximum; top-k descending, ties by lower index */
            const float *row = x + (size_t)b * N;
            int best = 0;
            double s = 0;
            for (int j = 0; j < N; j++) {
                s += row[j];
                if (row[j] > row[best]) best = j;
            }
            assert_int_equal(a_ref[b], best);
            assert_true(s_ref[b] == (float)s); /* integer sums are exact */
            for (int j = 1; j < k; j++) {
                float hi = v_ref[(size_t)b * k + j - 1], lo = v_ref[(size_t)b * k + j];
                assert_true(hi > lo || (hi == lo && i_ref[(size_t)b * k + j - 1] < i_ref[(size_t)b * k + j]));
            }
            if (k) assert_int_equal(i_ref[(size_t)b * k], best);
        }
        assert_int_equal(tu_count_mismatch("row_sum", s_got, s_ref, B, 0, 0), 0);
        assert_int_equal(tu_count_mismatch_i32("argmax", a_got, a_ref, B), 0);
        assert_int_equal(tu_count_mismatch_i32("topk idx", i_got, i_ref, Bk), 0);
        assert_int_equal(tu_count_mismatch("topk val", v_got, v_ref, Bk, 0, 0), 0);
        free(x), free(s_ref), free(s_got), free(v_ref), free(v_got), free(a_ref), free(a_got), free(i_ref), free(i_got);
    }
}


/* ---- transformer encoder ops ---------------------------------------------------------------- */
static int32_t *host_ints(size_t n) { return tu_xmalloc(sizeof(int32_t) * (n ? n : 1)); }

/* Sequence lengths for B rows padded to T: a full row, an empty row (when B > 2) and random ones. */
static void make_lens(TuRng *r, int32_t *lens, int B, int T) {
    for (int b = 0; b < B; b++) lens[b] = 1 + tu_rng_int(r, T);
    lens[0] = T;
    if (B > 2) lens[2] = 0;
}

typedef struct EmbCase {
    int N, D, V;
} EmbCase;

static void run_embedding(TmlBackend *be, const EmbCase *c, const float *E, const float *E2, const int32_t *ids,
                          const int32_t *ids2, const float *dout, const float *dE0, float *out, float *dE) {
    Arena ar = {.be = be};
    size_t VD = (size_t)c->V * c->D, ND = (size_t)c->N * c->D;
    float *dE_tab = arena_in(&ar, "E", E, sizeof(float) * VD), *dE2_tab = arena_in(&ar, "E2", E2, sizeof(float) * VD);
    int32_t *di = arena_in(&ar, "ids", ids, sizeof(int32_t) * c->N), *di2 = arena_in(&ar, "ids2", ids2, sizeof(int32_t) * c->N);
    float *dout_d = arena_out(&ar, "out", sizeof(float) * ND);
    float *dgo = arena_in(&ar, "dout", dout, sizeof(float) * ND), *dgrad = arena_in(&ar, "dE", dE0, sizeof(float) * VD);
    tml_embedding_forward(be, dout_d, dE_tab, c->V, di, c->N, c->D, 0);
    tml_embedding_forward(be, dout_d, dE2_tab, c->V, di2, c->N, c->D, 1);
    tml_download(be, out, dout_d, sizeof(float) * ND);
    tml_embedding_backward(be, dgrad, c->V, dgo, di, c->N, c->D);
    tml_download(be, dE, dgrad, sizeof(float) * VD);
    arena_finish(&ar);
}

static void test_embedding(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const EmbCase cases[] = {{1, 1, 3}, {37, 33, 50}, {300, 384, 1000}, {64, 17, 2}};
    TuRng r;
    tu_rng_seed(&r, 11);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const EmbCase *c = &cases[ci];
        size_t VD = (size_t)c->V * c->D, ND = (size_t)c->N * c->D;
        float *E = host_floats(VD), *E2 = host_floats(VD), *dout = host_floats(ND), *dE0 = host_floats(VD);
        int32_t *ids = host_ints(c->N), *ids2 = host_ints(c->N);
        tu_fill_uniform(&r, E, VD, -1, 1);
        tu_fill_uniform(&r, E2, VD, -1, 1);
        tu_fill_uniform(&r, dout, ND, -1, 1);
        tu_fill_uniform(&r, dE0, VD, -1, 1);
        int max_rep = 0;
        for (int i = 0; i < c->N; i++) ids[i] = tu_rng_int(&r, c->V), ids2[i] = tu_rng_int(&r, c->V);
        for (int v = 0; v < c->V; v++) {
            int k = 0;
            for (int i = 0; i < c->N; i++) k += ids[i] == v;
            max_rep = k > max_rep ? k : max_rep;
        }
        float *o_ref = host_floats(ND), *o_got = host_floats(ND), *g_ref = host_floats(VD), *g_got = host_floats(VD);
        run_embedding(g_cpu, c, E, E2, ids, ids2, dout, dE0, o_ref, g_ref);
        run_embedding(be, c, E, E2, ids, ids2, dout, dE0, o_got, g_got);
        /* specification: the gather-and-add is one float addition per element */
        for (int i = 0; i < c->N; i++)
            for (int d = 0; d < c->D; d++)
                assert_true(o_ref[(size_t)i * c->D + d] == E[(size_t)ids[i] * c->D + d] + E2[(size_t)ids2[i] * c->D + d]);
        assert_int_equal(tu_count_mismatch("embedding fwd", o_got, o_ref, ND, 0, 0), 0);
        /* dE rows sum up to max_rep gradient rows (plus dE0) in an order that differs on the GPU */
        assert_int_equal(tu_count_mismatch("embedding bwd", g_got, g_ref, VD, sum_atol(max_rep + 1), SUM_RTOL), 0);
        free(E), free(E2), free(dout), free(dE0), free(ids), free(ids2), free(o_ref), free(o_got), free(g_ref), free(g_got);
    }
}

typedef struct LnCase {
    int N, C;
    float eps;
} LnCase;

typedef struct LnOut {
    float *y, *mean, *rstd, *dx, *dw, *db, *dx_alias;
} LnOut;

static void ln_alloc(LnOut *o, int N, int C) {
    size_t NC = (size_t)N * C;
    o->y = host_floats(NC), o->mean = host_floats(N), o->rstd = host_floats(N), o->dx = host_floats(NC);
    o->dw = host_floats(C), o->db = host_floats(C), o->dx_alias = host_floats(NC);
}
static void ln_free(LnOut *o) {
    free(o->y), free(o->mean), free(o->rstd), free(o->dx), free(o->dw), free(o->db), free(o->dx_alias);
}

static void run_layernorm(TmlBackend *be, const LnCase *c, const float *x, const float *w, const float *b,
                          const float *dy, const float *dw0, const float *db0, LnOut *o) {
    Arena ar = {.be = be};
    size_t NC = (size_t)c->N * c->C;
    float *dx_in = arena_in(&ar, "x", x, sizeof(float) * NC), *dw_in = arena_in(&ar, "w", w, sizeof(float) * c->C);
    float *db_in = arena_in(&ar, "b", b, sizeof(float) * c->C), *ddy = arena_in(&ar, "dy", dy, sizeof(float) * NC);
    float *dgw = arena_in(&ar, "dw", dw0, sizeof(float) * c->C), *dgb = arena_in(&ar, "db", db0, sizeof(float) * c->C);
    float *dyo = arena_out(&ar, "y", sizeof(float) * NC), *dm = arena_out(&ar, "mean", sizeof(float) * c->N);
    float *drs = arena_out(&ar, "rstd", sizeof(float) * c->N), *ddx = arena_out(&ar, "dx", sizeof(float) * NC);
    tml_layernorm_forward(be, dyo, dm, drs, dx_in, dw_in, db_in, c->N, c->C, c->eps);
    tml_download(be, o->y, dyo, sizeof(float) * NC);
    tml_download(be, o->mean, dm, sizeof(float) * c->N);
    tml_download(be, o->rstd, drs, sizeof(float) * c->N);
    tml_layernorm_backward(be, ddx, dgw, dgb, ddy, dx_in, dm, drs, dw_in, c->N, c->C);
    tml_download(be, o->dx, ddx, sizeof(float) * NC);
    tml_download(be, o->dw, dgw, sizeof(float) * c->C);
    tml_download(be, o->db, dgb, sizeof(float) * c->C);
    /* dx may alias dy; dw, db accumulate a second time */
    tml_layernorm_backward(be, ddy, dgw, dgb, ddy, dx_in, dm, drs, dw_in, c->N, c->C);
    tml_download(be, o->dx_alias, ddy, sizeof(float) * NC);
    arena_finish(&ar);
}

static void test_layernorm(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const LnCase cases[] = {{1, 1, 1e-5f}, {3, 7, 1e-5f}, {64, 384, 1e-12f}, {33, 100, 1e-5f}, {2049, 32, 1e-12f}};
    TuRng r;
    tu_rng_seed(&r, 12);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const LnCase *c = &cases[ci];
        size_t NC = (size_t)c->N * c->C;
        float *x = host_floats(NC), *w = host_floats(c->C), *b = host_floats(c->C), *dy = host_floats(NC);
        float *dw0 = host_floats(c->C), *db0 = host_floats(c->C);
        tu_fill_uniform(&r, x, NC, -2, 3); /* a non-zero mean */
        tu_fill_uniform(&r, w, c->C, 0.5f, 1.5f);
        tu_fill_uniform(&r, b, c->C, -1, 1);
        tu_fill_uniform(&r, dy, NC, -1, 1);
        tu_fill_uniform(&r, dw0, c->C, -1, 1);
        tu_fill_uniform(&r, db0, c->C, -1, 1);
        int nan_row = c->N >= 3 && c->C > 1 ? 1 : -1;
        if (nan_row >= 0) x[(size_t)nan_row * c->C + 1] = NAN;
        LnOut ref, got;
        ln_alloc(&ref, c->N, c->C), ln_alloc(&got, c->N, c->C);
        run_layernorm(g_cpu, c, x, w, b, dy, dw0, db0, &ref);
        run_layernorm(be, c, x, w, b, dy, dw0, db0, &got);
        /* specification, against double: rows normalised with the biased variance */
        for (int i = 0; i < c->N; i++) {
            const float *xr = x + (size_t)i * c->C;
            if (i == nan_row) {
                for (int j = 0; j < c->C; j++) assert_true(isnan(ref.y[(size_t)i * c->C + j]));
                continue;
            }
            double m = 0, v = 0;
            for (int j = 0; j < c->C; j++) m += xr[j];
            m /= c->C;
            for (int j = 0; j < c->C; j++) v += (xr[j] - m) * (xr[j] - m);
            double rs = 1.0 / sqrt(v / c->C + c->eps);
            assert_true(fabs(ref.mean[i] - m) <= 1e-6 * (1 + fabs(m)));
            assert_true(fabs(ref.rstd[i] - rs) <= 1e-5 * rs);
            for (int j = 0; j < c->C; j++) {
                double y = (xr[j] - m) * rs * w[j] + b[j];
                assert_true(fabs(ref.y[(size_t)i * c->C + j] - y) <= 1e-5 * (1 + fabs(y)));
            }
        }
        assert_int_equal(tu_count_mismatch("ln dx alias (cpu)", ref.dx_alias, ref.dx, NC, 0, 0), 0);
        /* mean and variance are sums of C terms in another order on the GPU */
        assert_int_equal(tu_count_mismatch("ln y", got.y, ref.y, NC, sum_atol(c->C), SUM_RTOL), 0);
        assert_int_equal(tu_count_mismatch("ln mean", got.mean, ref.mean, c->N, sum_atol(c->C), SUM_RTOL), 0);
        assert_int_equal(tu_count_mismatch("ln rstd", got.rstd, ref.rstd, c->N, sum_atol(c->C), SUM_RTOL * 10), 0);
        assert_int_equal(tu_count_mismatch("ln dx", got.dx, ref.dx, NC, sum_atol(c->C) * 4, SUM_RTOL * 10), 0);
        assert_int_equal(tu_count_mismatch("ln dx alias", got.dx_alias, ref.dx, NC, sum_atol(c->C) * 4, SUM_RTOL * 10), 0);
        /* dw, db: two accumulations of N rows each (rows with a NaN make their columns NaN on both) */
        assert_int_equal(tu_count_mismatch("ln dw", got.dw, ref.dw, c->C, sum_atol(2 * c->N) * 2, SUM_RTOL), 0);
        assert_int_equal(tu_count_mismatch("ln db", got.db, ref.db, c->C, sum_atol(2 * c->N), SUM_RTOL), 0);
        ln_free(&ref), ln_free(&got);
        free(x), free(w), free(b), free(dy), free(dw0), free(db0);
    }
}

static void run_gelu(TmlBackend *be, size_t n, const float *x, const float *dy, float *y, float *dx, float *y_alias) {
    Arena ar = {.be = be};
    size_t bytes = sizeof(float) * n;
    float *dxin = arena_in(&ar, "x", x, bytes), *ddy = arena_in(&ar, "dy", dy, bytes);
    float *dyo = arena_out(&ar, "y", bytes), *ddx = arena_out(&ar, "dx", bytes), *t = arena_in(&ar, "t", x, bytes);
    tml_gelu_forward(be, dyo, dxin, n);
    tml_download(be, y, dyo, bytes);
    tml_gelu_backward(be, ddx, ddy, dxin, n);
    tml_download(be, dx, ddx, bytes);
    tml_gelu_forward(be, t, t, n); /* in place */
    tml_download(be, y_alias, t, bytes);
    arena_finish(&ar);
}

static void test_gelu(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const size_t sizes[] = {1, 9, 1000, 70001};
    TuRng r;
    tu_rng_seed(&r, 13);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        float *x = host_floats(n), *dy = host_floats(n);
        tu_fill_uniform(&r, x, n, -8, 8);
        tu_fill_uniform(&r, dy, n, -1, 1);
        int special = n >= 9;
        if (special) x[0] = NAN, x[1] = INFINITY, x[2] = -INFINITY, x[3] = -30.0f, x[4] = 30.0f, x[5] = 0.0f;
        float *y_ref = host_floats(n), *dx_ref = host_floats(n), *ya_ref = host_floats(n);
        float *y_got = host_floats(n), *dx_got = host_floats(n), *ya_got = host_floats(n);
        run_gelu(g_cpu, n, x, dy, y_ref, dx_ref, ya_ref);
        run_gelu(be, n, x, dy, y_got, dx_got, ya_got);
        for (size_t i = 0; i < n; i++) {
            double v = x[i];
            if (!isfinite(v)) continue;
            double y = 0.5 * v * erfc(-v / sqrt(2.0)); /* accurate for negative v too */
            double d = 0.5 * erfc(-v / sqrt(2.0)) + v * exp(-0.5 * v * v) / sqrt(2.0 * M_PI);
            /* float 1 + erf(x) loses relative precision for x << 0: |error| <= |x| * 2^-24 */
            assert_true(fabs(y_ref[i] - y) <= 1e-6 + 1e-6 * fabs(y) + fabs(v) * 6e-8);
            assert_true(fabs(dx_ref[i] - dy[i] * d) <= 1e-6 + 1e-5 * fabs(dy[i] * d) + fabs(v) * 6e-8);
        }
        if (special) {
            assert_true(isnan(y_ref[0]) && isnan(dx_ref[0]));
            assert_true(isinf(y_ref[1]) && y_ref[1] > 0 && dx_ref[1] == dy[1]);
            assert_true(y_ref[2] == 0.0f && dx_ref[2] == 0.0f);
            assert_true(y_ref[5] == 0.0f && dx_ref[5] == 0.5f * dy[5]);
        }
        assert_int_equal(tu_count_mismatch("gelu alias (cpu)", ya_ref, y_ref, n, 0, 0), 0);
        assert_int_equal(tu_count_mismatch("gelu fwd", y_got, y_ref, n, EW_ATOL, EW_RTOL), 0);
        assert_int_equal(tu_count_mismatch("gelu fwd alias", ya_got, y_ref, n, EW_ATOL, EW_RTOL), 0);
        assert_int_equal(tu_count_mismatch("gelu bwd", dx_got, dx_ref, n, EW_ATOL, EW_RTOL), 0);
        free(x), free(dy), free(y_ref), free(dx_ref), free(ya_ref), free(y_got), free(dx_got), free(ya_got);
    }
}

typedef struct SmCase {
    int B, NH, T;
    float scale;
} SmCase;

static void run_masked_softmax(TmlBackend *be, const SmCase *c, const float *s, const int32_t *lens, const float *dp,
                               float *p, float *ds, float *p_alias, float *ds_alias) {
    Arena ar = {.be = be};
    size_t n = (size_t)c->B * c->NH * c->T * c->T, bytes = sizeof(float) * n;
    float *dsc = arena_in(&ar, "scores", s, bytes), *ddp = arena_in(&ar, "dprobs", dp, bytes);
    int32_t *dl = arena_in(&ar, "lens", lens, sizeof(int32_t) * c->B);
    float *dpr = arena_out(&ar, "probs", bytes), *dds = arena_out(&ar, "dscores", bytes);
    tml_masked_softmax_forward(be, dpr, dsc, dl, c->B, c->NH, c->T, c->scale);
    tml_download(be, p, dpr, bytes);
    tml_masked_softmax_backward(be, dds, ddp, dpr, c->B, c->NH, c->T, c->scale);
    tml_download(be, ds, dds, bytes);
    tml_masked_softmax_backward(be, ddp, ddp, dpr, c->B, c->NH, c->T, c->scale); /* in place */
    tml_download(be, ds_alias, ddp, bytes);
    tml_masked_softmax_forward(be, dsc, dsc, dl, c->B, c->NH, c->T, c->scale); /* in place */
    tml_download(be, p_alias, dsc, bytes);
    arena_finish(&ar);
}

static void test_masked_softmax(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const SmCase cases[] = {{1, 1, 1, 1.0f}, {3, 2, 7, 0.5f}, {4, 12, 33, 0.17677669f}, {2, 3, 100, 0.125f}};
    TuRng r;
    tu_rng_seed(&r, 14);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const SmCase *c = &cases[ci];
        size_t n = (size_t)c->B * c->NH * c->T * c->T;
        float *s = host_floats(n), *dp = host_floats(n);
        int32_t *lens = host_ints(c->B);
        tu_fill_uniform(&r, s, n, -8, 8);
        tu_fill_uniform(&r, dp, n, -1, 1);
        make_lens(&r, lens, c->B, c->T);
        /* a NaN among the real keys poisons its row; one past the length does nothing */
        int nan_row = -1;
        if (c->B >= 2 && c->T >= 3 && lens[1] >= 2) {
            nan_row = c->NH * c->T; /* (b=1, h=0, i=0) */
            s[(size_t)nan_row * c->T] = NAN;
            if (lens[1] < c->T) s[(size_t)(nan_row + 1) * c->T + c->T - 1] = NAN;
        }
        float *p_ref = host_floats(n), *ds_ref = host_floats(n), *pa_ref = host_floats(n), *dsa_ref = host_floats(n);
        float *p_got = host_floats(n), *ds_got = host_floats(n), *pa_got = host_floats(n), *dsa_got = host_floats(n);
        run_masked_softmax(g_cpu, c, s, lens, dp, p_ref, ds_ref, pa_ref, dsa_ref);
        run_masked_softmax(be, c, s, lens, dp, p_got, ds_got, pa_got, dsa_got);
        size_t rows = n / c->T;
        for (size_t row = 0; row < rows; row++) {
            int len = lens[row / ((size_t)c->NH * c->T)];
            const float *sr = s + row * c->T, *pr = p_ref + row * c->T;
            if ((int)row == nan_row) {
                for (int j = 0; j < len; j++) assert_true(isnan(pr[j]));
                continue;
            }
            double mx = -INFINITY, z = 0;
            for (int j = 0; j < len; j++) mx = fmax(mx, (double)c->scale * sr[j]);
            for (int j = 0; j < len; j++) z += exp((double)c->scale * sr[j] - mx);
            for (int j = 0; j < c->T; j++) {
                double want = j < len ? exp((double)c->scale * sr[j] - mx) / z : 0.0;
                assert_true(fabs(pr[j] - want) <= 1e-6 + 1e-5 * want);
                if (j >= len) assert_true(pr[j] == 0.0f && ds_ref[row * c->T + j] == 0.0f);
            }
        }
        assert_int_equal(tu_count_mismatch("msoftmax alias (cpu)", pa_ref, p_ref, n, 0, 0), 0);
        assert_int_equal(tu_count_mismatch("msoftmax bwd alias (cpu)", dsa_ref, ds_ref, n, 0, 0), 0);
        assert_int_equal(tu_count_mismatch("msoftmax fwd", p_got, p_ref, n, EW_ATOL, SUM_RTOL), 0);
        assert_int_equal(tu_count_mismatch("msoftmax fwd alias", pa_got, p_ref, n, EW_ATOL, SUM_RTOL), 0);
        assert_int_equal(tu_count_mismatch("msoftmax bwd", ds_got, ds_ref, n, sum_atol(c->T), SUM_RTOL), 0);
        assert_int_equal(tu_count_mismatch("msoftmax bwd alias", dsa_got, ds_ref, n, sum_atol(c->T), SUM_RTOL), 0);
        free(s), free(dp), free(lens), free(p_ref), free(ds_ref), free(pa_ref), free(dsa_ref);
        free(p_got), free(ds_got), free(pa_got), free(dsa_got);
    }
}

static void run_dropout(TmlBackend *be, size_t n, const float *x, float p, uint64_t seed, float *y, float *dx,
                        float *y_alias) {
    Arena ar = {.be = be};
    size_t bytes = sizeof(float) * n;
    float *dxin = arena_in(&ar, "x", x, bytes), *dyo = arena_out(&ar, "y", bytes), *dg = arena_out(&ar, "dx", bytes);
    float *t = arena_in(&ar, "t", x, bytes);
    tml_dropout_forward(be, dyo, dxin, n, p, seed);
    tml_download(be, y, dyo, bytes);
    tml_dropout_backward(be, dg, dxin, n, p, seed);
    tml_download(be, dx, dg, bytes);
    tml_dropout_forward(be, t, t, n, p, seed);
    tml_download(be, y_alias, t, bytes);
    arena_finish(&ar);
}

/* The mask is a pure function of (seed, index, p): identical bits on every backend. */
static void test_dropout(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const size_t sizes[] = {1, 17, 100003};
    static const float rates[] = {0.0f, 0.1f, 0.5f};
    TuRng r;
    tu_rng_seed(&r, 15);
    for (size_t si = 0; si < 3; si++)
        for (size_t pi = 0; pi < 3; pi++) {
            size_t n = sizes[si];
            float p = rates[pi];
            uint64_t seed = 0x1234567ull + si * 7 + pi;
            float *x = host_floats(n);
            tu_fill_uniform(&r, x, n, -2, 2);
            if (n > 3) x[1] = NAN, x[2] = INFINITY;
            float *y_ref = host_floats(n), *dx_ref = host_floats(n), *ya_ref = host_floats(n);
            float *y_got = host_floats(n), *dx_got = host_floats(n), *ya_got = host_floats(n);
            run_dropout(g_cpu, n, x, p, seed, y_ref, dx_ref, ya_ref);
            run_dropout(be, n, x, p, seed, y_got, dx_got, ya_got);
            uint32_t thr = tml_dropout_threshold(p);
            size_t kept = 0;
            float scale = 1.0f / (1.0f - p);
            for (size_t i = 0; i < n; i++) {
                int keep = (uint32_t)(tml_dropout_bits(seed, i) >> 40) >= thr;
                kept += keep;
                float want = keep ? x[i] * scale : 0.0f;
                assert_true(memcmp(&y_ref[i], &want, sizeof want) == 0 || (isnan(want) && isnan(y_ref[i])));
            }
            if (p == 0.0f) assert_true(kept == n);
            if (n > 10000) { /* binomial: 5 standard deviations */
                double want = (1.0 - p) * n, sd = sqrt(n * p * (1.0 - p));
                assert_true(fabs((double)kept - want) <= 5 * sd + 1);
            }
            assert_memory_equal(dx_ref, y_ref, sizeof(float) * n);
            assert_memory_equal(ya_ref, y_ref, sizeof(float) * n);
            assert_memory_equal(y_got, y_ref, sizeof(float) * n); /* bit for bit */
            assert_memory_equal(dx_got, y_ref, sizeof(float) * n);
            assert_memory_equal(ya_got, y_ref, sizeof(float) * n);
            free(x), free(y_ref), free(dx_ref), free(ya_ref), free(y_got), free(dx_got), free(ya_got);
        }
    /* different seeds give different masks */
    assert_true(tml_dropout_bits(1, 0) != tml_dropout_bits(2, 0));
}

typedef struct BgCase {
    int ta, tb, M, N, K, pad, batch, gap; /* gap: extra floats between matrices */
    float alpha, beta;
} BgCase;

static void test_sgemm_batched(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const BgCase cases[] = {
        {0, 1, 7, 7, 4, 0, 3, 0, 1.0f, 0.0f},   {1, 0, 33, 8, 33, 1, 12, 5, 0.5f, 1.0f},
        {0, 0, 64, 32, 64, 0, 24, 0, 1.0f, 0.0f}, {1, 1, 5, 9, 3, 2, 1, 1, -1.0f, 0.5f},
        {0, 0, 4, 4, 0, 0, 5, 2, 1.0f, 0.5f},  {0, 1, 1, 100, 37, 0, 7, 3, 1.0f, 0.0f},
    };
    TuRng r;
    tu_rng_seed(&r, 16);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const BgCase *c = &cases[ci];
        int a_rows = c->ta ? c->K : c->M, a_cols = c->ta ? c->M : c->K;
        int b_rows = c->tb ? c->N : c->K, b_cols = c->tb ? c->K : c->N;
        int lda = a_cols + c->pad, ldb = b_cols + c->pad, ldc = c->N + c->pad;
        if (lda < 1) lda = 1;
        if (ldb < 1) ldb = 1;
        int64_t sa = (int64_t)a_rows * lda + c->gap, sb = (int64_t)b_rows * ldb + c->gap, sc = (int64_t)c->M * ldc + c->gap;
        size_t an = (size_t)sa * c->batch, bn = (size_t)sb * c->batch, cn = (size_t)sc * c->batch;
        float *A = host_floats(an), *Bm = host_floats(bn), *C0 = host_floats(cn);
        float *Cref = host_floats(cn), *Cgot = host_floats(cn), *Cloop = host_floats(cn);
        tu_fill_uniform(&r, A, an, -1, 1);
        tu_fill_uniform(&r, Bm, bn, -1, 1);
        tu_fill_uniform(&r, C0, cn, -1, 1);
        TmlBackend *bes[2] = {g_cpu, be};
        float *outs[2] = {Cref, Cgot};
        for (int k = 0; k < 2; k++) {
            Arena ar = {.be = bes[k]};
            float *dA = arena_in(&ar, "A", A, sizeof(float) * an), *dB = arena_in(&ar, "B", Bm, sizeof(float) * bn);
            float *dC = arena_in(&ar, "C", C0, sizeof(float) * cn);
            tml_sgemm_batched(bes[k], c->ta, c->tb, c->M, c->N, c->K, c->alpha, dA, lda, sa, dB, ldb, sb, c->beta, dC,
                              ldc, sc, c->batch);
            tml_download(bes[k], outs[k], dC, sizeof(float) * cn);
            arena_finish(&ar);
        }
        /* specification: the same as one tml_sgemm per matrix; the gaps and padding stay untouched */
        memcpy(Cloop, C0, sizeof(float) * cn);
        for (int i = 0; i < c->batch; i++)
            tml_sgemm(g_cpu, c->ta, c->tb, c->M, c->N, c->K, c->alpha, A + i * sa, lda, Bm + i * sb, ldb, c->beta,
                      Cloop + i * sc, ldc);
        char what[96];
        snprintf(what, sizeof what, "sgemm_batched case %zu cpu vs loop", ci);
        assert_int_equal(tu_count_mismatch(what, Cref, Cloop, cn, 0, 0), 0);
        snprintf(what, sizeof what, "sgemm_batched case %zu %s vs cpu", ci, tml_backend_name(be));
        assert_int_equal(tu_count_mismatch(what, Cgot, Cref, cn, sum_atol(c->K), SUM_RTOL), 0);
        free(A), free(Bm), free(C0), free(Cref), free(Cgot), free(Cloop);
    }
}

static void run_pool(TmlBackend *be, int B, int T, int C, TmlPoolMode mode, const float *h, const int32_t *lens,
                     const float *dout, float *out, float *dh) {
    Arena ar = {.be = be};
    size_t BTC = (size_t)B * T * C, BC = (size_t)B * C;
    float *dhin = arena_in(&ar, "h", h, sizeof(float) * BTC), *dgo = arena_in(&ar, "dout", dout, sizeof(float) * BC);
    int32_t *dl = arena_in(&ar, "lens", lens, sizeof(int32_t) * B);
    float *dout_d = arena_out(&ar, "out", sizeof(float) * BC), *ddh = arena_out(&ar, "dh", sizeof(float) * BTC);
    tml_pool_forward(be, dout_d, dhin, dl, B, T, C, mode);
    tml_download(be, out, dout_d, sizeof(float) * BC);
    tml_pool_backward(be, ddh, dgo, dl, B, T, C, mode);
    tml_download(be, dh, ddh, sizeof(float) * BTC);
    arena_finish(&ar);
}

static void test_pool(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const int shapes[][3] = {{1, 1, 1}, {4, 7, 33}, {32, 64, 384}};
    TuRng r;
    tu_rng_seed(&r, 17);
    for (size_t si = 0; si < 3; si++)
        for (int mode = 0; mode < 2; mode++) {
            int B = shapes[si][0], T = shapes[si][1], C = shapes[si][2];
            size_t BTC = (size_t)B * T * C, BC = (size_t)B * C;
            float *h = host_floats(BTC), *dout = host_floats(BC);
            int32_t *lens = host_ints(B);
            tu_fill_uniform(&r, h, BTC, -1, 1);
            tu_fill_uniform(&r, dout, BC, -1, 1);
            make_lens(&r, lens, B, T);
            float *o_ref = host_floats(BC), *o_got = host_floats(BC), *g_ref = host_floats(BTC), *g_got = host_floats(BTC);
            run_pool(g_cpu, B, T, C, (TmlPoolMode)mode, h, lens, dout, o_ref, g_ref);
            run_pool(be, B, T, C, (TmlPoolMode)mode, h, lens, dout, o_got, g_got);
            for (int b = 0; b < B; b++)
                for (int c = 0; c < C; c++) {
                    double want = 0;
                    if (mode == TML_POOL_CLS) want = h[(size_t)b * T * C + c];
                    else if (lens[b] > 0) {
                        for (int t = 0; t < lens[b]; t++) want += h[((size_t)b * T + t) * C + c];
                        want /= lens[b];
                    }
                    assert_true(fabs(o_ref[(size_t)b * C + c] - want) <= sum_atol(T));
                    for (int t = 0; t < T; t++) {
                        double g = mode == TML_POOL_CLS ? (t == 0 ? dout[(size_t)b * C + c] : 0.0)
                                                        : (t < lens[b] ? dout[(size_t)b * C + c] / lens[b] : 0.0);
                        assert_true(fabs(g_ref[((size_t)b * T + t) * C + c] - g) <= 1e-7);
                    }
                }
            assert_int_equal(tu_count_mismatch("pool fwd", o_got, o_ref, BC, EW_ATOL, EW_RTOL), 0);
            assert_int_equal(tu_count_mismatch("pool bwd", g_got, g_ref, BTC, EW_ATOL, EW_RTOL), 0);
            free(h), free(dout), free(lens), free(o_ref), free(o_got), free(g_ref), free(g_got);
        }
}

typedef struct AttCase {
    int B, T, C, NH;
    float p;
} AttCase;

static void run_attention(TmlBackend *be, const AttCase *c, const float *qkv, const int32_t *lens, const float *dout,
                          uint64_t seed, float *out, float *dqkv) {
    Arena ar = {.be = be};
    size_t n3 = (size_t)c->B * c->T * 3 * c->C, n1 = (size_t)c->B * c->T * c->C;
    size_t ns = tml_attention_saved_floats(be, c->B, c->T, c->C, c->NH);
    size_t nw = tml_attention_scratch_floats(be, c->B, c->T, c->C, c->NH);
    float *dq = arena_in(&ar, "qkv", qkv, sizeof(float) * n3), *dgo = arena_in(&ar, "dout", dout, sizeof(float) * n1);
    int32_t *dl = arena_in(&ar, "lens", lens, sizeof(int32_t) * c->B);
    float *dout_d = arena_out(&ar, "out", sizeof(float) * n1), *dg = arena_out(&ar, "dqkv", sizeof(float) * n3);
    float *saved = arena_out(&ar, "saved", sizeof(float) * ns), *scratch = arena_out(&ar, "scratch", sizeof(float) * nw);
    tml_attention_forward(be, dout_d, saved, scratch, dq, dl, c->B, c->T, c->C, c->NH, c->p, seed);
    tml_download(be, out, dout_d, sizeof(float) * n1);
    tml_attention_backward(be, dg, scratch, dgo, saved, dq, dl, c->B, c->T, c->C, c->NH, c->p, seed);
    tml_download(be, dqkv, dg, sizeof(float) * n3);
    arena_finish(&ar);
}

/* Naive double attention from the definition in backend.h, for the specification check. */
static void attention_naive(const AttCase *c, const float *qkv, const int32_t *lens, uint64_t seed, double *out) {
    int B = c->B, T = c->T, C = c->C, NH = c->NH, hs = C / NH;
    uint32_t thr = tml_dropout_threshold(c->p);
    double ds = 1.0 / (1.0 - c->p), *pr = tu_xmalloc(sizeof(double) * T);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int i = 0; i < T; i++) {
                const float *q = qkv + ((size_t)b * T + i) * 3 * C + h * hs;
                double mx = -INFINITY, z = 0;
                for (int j = 0; j < lens[b]; j++) {
                    const float *k = qkv + ((size_t)b * T + j) * 3 * C + C + h * hs;
                    double s = 0;
                    for (int d = 0; d < hs; d++) s += (double)q[d] * k[d];
                    pr[j] = s / sqrt((double)hs);
                    mx = fmax(mx, pr[j]);
                }
                for (int j = 0; j < lens[b]; j++) z += (pr[j] = exp(pr[j] - mx));
                for (int d = 0; d < hs; d++) out[((size_t)b * T + i) * C + h * hs + d] = 0;
                for (int j = 0; j < lens[b]; j++) {
                    size_t e = (((size_t)b * NH + h) * T + i) * T + j;
                    double pj = pr[j] / z;
                    if (c->p > 0) pj = tml_dropout_keep(seed, e, thr) ? pj * ds : 0.0;
                    const float *v = qkv + ((size_t)b * T + j) * 3 * C + 2 * C + h * hs;
                    for (int d = 0; d < hs; d++) out[((size_t)b * T + i) * C + h * hs + d] += pj * v[d];
                }
            }
    free(pr);
}

static void test_attention(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const AttCase cases[] = {
        {1, 1, 4, 1, 0.0f}, {3, 7, 32, 4, 0.0f}, {3, 7, 32, 4, 0.1f}, {4, 33, 64, 2, 0.2f}, {2, 64, 384, 12, 0.1f},
    };
    TuRng r;
    tu_rng_seed(&r, 18);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const AttCase *c = &cases[ci];
        size_t n3 = (size_t)c->B * c->T * 3 * c->C, n1 = (size_t)c->B * c->T * c->C;
        float *qkv = host_floats(n3), *dout = host_floats(n1);
        int32_t *lens = host_ints(c->B);
        tu_fill_uniform(&r, qkv, n3, -1.5f, 1.5f);
        tu_fill_uniform(&r, dout, n1, -1, 1);
        make_lens(&r, lens, c->B, c->T);
        uint64_t seed = 99 + ci;
        float *o_ref = host_floats(n1), *o_got = host_floats(n1), *g_ref = host_floats(n3), *g_got = host_floats(n3);
        double *o_naive = tu_xmalloc(sizeof(double) * n1);
        run_attention(g_cpu, c, qkv, lens, dout, seed, o_ref, g_ref);
        run_attention(be, c, qkv, lens, dout, seed, o_got, g_got);
        attention_naive(c, qkv, lens, seed, o_naive);
        int hs = c->C / c->NH, K = c->T + hs;
        for (size_t i = 0; i < n1; i++) assert_true(fabs(o_ref[i] - o_naive[i]) <= sum_atol(K) + 1e-5 * fabs(o_naive[i]));
        /* keys past the length get no gradient; a zero-length sequence gets none at all */
        for (int b = 0; b < c->B; b++)
            for (int t = lens[b]; t < c->T; t++)
                for (int j = c->C; j < 3 * c->C; j++) assert_true(g_ref[((size_t)b * c->T + t) * 3 * c->C + j] == 0.0f);
        char what[64];
        snprintf(what, sizeof what, "attention fwd case %zu", ci);
        assert_int_equal(tu_count_mismatch(what, o_got, o_ref, n1, sum_atol(K) * 2, SUM_RTOL), 0);
        snprintf(what, sizeof what, "attention bwd case %zu", ci);
        assert_int_equal(tu_count_mismatch(what, g_got, g_ref, n3, sum_atol(2 * K) * 4, SUM_RTOL * 10), 0);
        free(qkv), free(dout), free(lens), free(o_ref), free(o_got), free(g_ref), free(g_got), free(o_naive);
    }
}

/* ---- gradient-boosted trees ------------------------------------------------------------------ */
/* Random binned data (N, F) with NB-stride bins (feature f has nb[f] value bins + the missing bin),
 * gradients in [-1, 1], hessians in (0, 1], and a sorted random subset of rows. */
typedef struct TreeData {
    int64_t N, n;
    int F, NB;
    uint8_t *bins;
    float *gh;
    int32_t *rows;
    int *nb;
} TreeData;

static TreeData tree_data(int64_t N, int F, int NB, double keep, uint64_t seed) {
    TreeData t = {N, 0, F, NB, tu_xmalloc((size_t)N * F + 1), host_floats((size_t)N * 2), tu_xmalloc(4 * (size_t)N + 4),
                  tu_xmalloc(sizeof(int) * (size_t)F)};
    TuRng r;
    tu_rng_seed(&r, seed);
    for (int f = 0; f < F; f++) t.nb[f] = 1 + tu_rng_int(&r, NB - 1);
    for (int64_t i = 0; i < N; i++) {
        for (int f = 0; f < F; f++) t.bins[i * F + f] = (uint8_t)tu_rng_int(&r, t.nb[f] + 1);
        t.gh[2 * i] = tu_rng_uniform(&r, -1, 1);
        t.gh[2 * i + 1] = tu_rng_uniform(&r, 1e-3f, 1);
        if (tu_rng_uniform(&r, 0, 1) < keep) t.rows[t.n++] = (int32_t)i;
    }
    return t;
}

static void tree_data_free(TreeData *t) { free(t->bins), free(t->gh), free(t->rows), free(t->nb); }

static void run_hist(TmlBackend *be, const TreeData *t, int use_rows, const uint8_t *used, double *out) {
    Arena ar = {.be = be};
    size_t hb = sizeof(double) * (size_t)t->F * t->NB * 3;
    uint8_t *db = arena_in(&ar, "bins", t->bins, (size_t)t->N * t->F);
    float *dg = arena_in(&ar, "gh", t->gh, sizeof(float) * (size_t)t->N * 2);
    int32_t *dr = use_rows ? arena_in(&ar, "rows", t->rows, 4 * (size_t)(t->n ? t->n : 1)) : NULL;
    uint8_t *du = used ? arena_in(&ar, "used", used, (size_t)t->F) : NULL;
    double *dh = arena_out(&ar, "hist", hb), *ds = arena_out(&ar, "sub", hb);
    tml_gbdt_hist(be, dh, db, t->N, t->F, t->NB, dg, dr, use_rows ? t->n : t->N, du);
    tml_gbdt_hist_subtract(be, ds, dh, dh, (size_t)t->F * t->NB * 3); /* h - h = 0 exactly */
    tml_download(be, out, dh, hb);
    double *z = tu_xmalloc(hb);
    tml_download(be, z, ds, hb);
    for (size_t i = 0; i < hb / sizeof(double); i++) assert_true(z[i] == 0.0);
    free(z);
    arena_finish(&ar);
}

/* Histograms: the CPU against a naive double loop, the backend against the CPU. Counts are exact
 * everywhere; sums differ by order only (CPU: fixed row chunks; CUDA: float shared-memory atomics
 * per block, then double), so to n * 2^-24 * max|g| at worst: HIST_ATOL below covers 1e5 rows. */
#define HIST_ATOL 2e-2
#define HIST_RTOL 1e-5
static void test_gbdt_hist(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const struct { int64_t N; int F, NB, use_rows, mask; double keep; } cases[] = {
        {1, 1, 2, 0, 0, 1.0}, {1000, 3, 17, 1, 0, 0.5}, {100000, 7, 256, 0, 1, 1.0}, {70001, 20, 64, 1, 1, 0.3}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        TreeData t = tree_data(cases[ci].N, cases[ci].F, cases[ci].NB, cases[ci].keep, 20 + ci);
        uint8_t *used = NULL;
        if (cases[ci].mask) {
            used = tu_xmalloc((size_t)t.F);
            for (int f = 0; f < t.F; f++) used[f] = f % 3 != 1;
        }
        size_t hn = (size_t)t.F * t.NB * 3;
        double *ref = calloc(hn, sizeof(double)), *cpu = tu_xmalloc(hn * 8), *got = tu_xmalloc(hn * 8);
        int64_t n = cases[ci].use_rows ? t.n : t.N;
        for (int64_t i = 0; i < n; i++) {
            int64_t r = cases[ci].use_rows ? t.rows[i] : i;
            for (int f = 0; f < t.F; f++) {
                if (used && !used[f]) continue;
                double *e = ref + ((size_t)f * t.NB + t.bins[r * t.F + f]) * 3;
                e[0] += t.gh[2 * r], e[1] += t.gh[2 * r + 1], e[2] += 1;
            }
        }
        run_hist(g_cpu, &t, cases[ci].use_rows, used, cpu);
        run_hist(be, &t, cases[ci].use_rows, used, got);
        size_t bad = 0;
        for (size_t i = 0; i < hn; i++) {
            int count = i % 3 == 2;
            double tol_c = count ? 0 : 1e-9 * (1 + fabs(ref[i])), tol_b = count ? 0 : HIST_ATOL + HIST_RTOL * fabs(cpu[i]);
            if (fabs(cpu[i] - ref[i]) > tol_c || fabs(got[i] - cpu[i]) > tol_b) {
                if (bad++ < 5) fprintf(stderr, "  hist case %zu [%zu]: naive %.9g cpu %.9g %s %.9g\n", ci, i, ref[i], cpu[i],
                                       tml_backend_name(be), got[i]);
            }
        }
        assert_int_equal(bad, 0);
        free(ref), free(cpu), free(got), free(used);
        tree_data_free(&t);
    }
}

/* Split finding: the same histogram on both backends gives the same split (the scan is shared
 * code in double); the CPU's gain equals a brute force over every numeric threshold and both
 * missing directions. */
static TmlGbdtSplit run_split(TmlBackend *be, const double *hist, const TmlGbdtFeature *ft, int F, int NB,
                              const uint8_t *used, const TmlGbdtSplitParams *p) {
    Arena ar = {.be = be};
    double *dh = arena_in(&ar, "hist", hist, sizeof(double) * (size_t)F * NB * 3);
    TmlGbdtFeature *df = arena_in(&ar, "feats", ft, sizeof *ft * (size_t)F);
    uint8_t *du = used ? arena_in(&ar, "used", used, (size_t)F) : NULL;
    TmlGbdtSplit *ds = arena_out(&ar, "split", sizeof(TmlGbdtSplit)), s;
    tml_gbdt_split_find(be, ds, dh, df, F, NB, du, p);
    tml_download(be, &s, ds, sizeof s);
    arena_finish(&ar);
    return s;
}

static double brute_numeric(const double *hist, const TmlGbdtFeature *ft, int F, int NB, const uint8_t *used,
                            const TmlGbdtSplitParams *p) {
    double best = 0;
    for (int f = 0; f < F; f++) {
        if (used && !used[f]) continue;
        const double *h = hist + (size_t)f * NB * 3;
        int nb = ft[f].n_bins;
        double G = 0, H = 0, N = 0;
        for (int b = 0; b <= nb; b++) G += h[b * 3], H += h[b * 3 + 1], N += h[b * 3 + 2];
        for (int ml = 0; ml < 2; ml++)
            for (int t = 0; t + 1 < nb; t++) {
                if (ml && h[nb * 3 + 2] == 0) continue;
                double gl = ml ? h[nb * 3] : 0, hl = ml ? h[nb * 3 + 1] : 0, nl = ml ? h[nb * 3 + 2] : 0;
                for (int b = 0; b <= t; b++) gl += h[b * 3], hl += h[b * 3 + 1], nl += h[b * 3 + 2];
                if (nl < p->min_data_in_leaf || N - nl < p->min_data_in_leaf || hl < p->min_child_weight ||
                    H - hl < p->min_child_weight || nl <= 0 || N - nl <= 0)
                    continue;
                double l2 = p->lambda_l2, gain = gl * gl / (hl + l2) + (G - gl) * (G - gl) / (H - hl + l2) - G * G / (H + l2);
                if (gain > best) best = gain;
            }
    }
    return best;
}

static void test_gbdt_split_find(void **state) {
    TmlBackend *be = backend_under_test(state);
    TuRng r;
    tu_rng_seed(&r, 31);
    for (int ci = 0; ci < 6; ci++) {
        int F = 1 + tu_rng_int(&r, 12), NB = 2 + tu_rng_int(&r, 254), cats = ci >= 3;
        TmlGbdtFeature *ft = tu_xmalloc(sizeof *ft * (size_t)F);
        double *hist = calloc((size_t)F * NB * 3, sizeof(double));
        for (int f = 0; f < F; f++) {
            ft[f].n_bins = 1 + tu_rng_int(&r, NB - 1);
            ft[f].categorical = cats && f % 2 == 0;
            for (int b = 0; b <= ft[f].n_bins; b++) {
                double n = (double)tu_rng_int(&r, 60);
                hist[((size_t)f * NB + b) * 3] = n * tu_rng_uniform(&r, -0.6f, 0.4f);
                hist[((size_t)f * NB + b) * 3 + 1] = n * tu_rng_uniform(&r, 0.05f, 0.25f);
                hist[((size_t)f * NB + b) * 3 + 2] = n;
            }
        }
        uint8_t *used = tu_xmalloc((size_t)F);
        for (int f = 0; f < F; f++) used[f] = ci % 2 == 0 || f % 2 == 1 || F == 1;
        TmlGbdtSplitParams p = {.lambda_l2 = ci * 0.5, .min_child_weight = 1e-3, .min_data_in_leaf = 1 + ci * 3,
                                .max_cat_to_onehot = 4, .max_cat_threshold = 32, .cat_smooth = 10, .cat_l2 = 10,
                                .min_data_per_group = 50};
        TmlGbdtSplit a = run_split(g_cpu, hist, ft, F, NB, used, &p), b = run_split(be, hist, ft, F, NB, used, &p);
        assert_int_equal(a.feature, b.feature);
        assert_int_equal(a.bin, b.bin);
        assert_int_equal(a.default_left, b.default_left);
        assert_int_equal(a.categorical, b.categorical);
        assert_memory_equal(a.cat_left, b.cat_left, sizeof a.cat_left);
        assert_true(fabs(a.gain - b.gain) <= 1e-9 * fabs(a.gain));
        for (int k = 0; k < 3; k++) assert_true(fabs(a.n[k] - b.n[k]) == 0 && fabs(a.g[k] - b.g[k]) <= 1e-9 * (1 + fabs(a.g[k])));
        if (!cats) {
            double want = brute_numeric(hist, ft, F, NB, used, &p);
            assert_true(fabs(a.gain - want) <= 1e-9 * (1 + want));
            assert_int_equal(a.feature >= 0, want > 1e-12);
        }
        free(ft), free(hist), free(used);
    }
}

/* Partition: stable left/right order against a naive loop, numeric and categorical splits, with
 * and without the missing bin going left. */
static void test_gbdt_partition(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const int64_t sizes[] = {1, 100, 70000, 300001};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (int kind = 0; kind < 3; kind++) {
            TreeData t = tree_data(sizes[si], 4, 32, 0.7, 40 + si);
            TmlGbdtSplit s;
            memset(&s, 0, sizeof s);
            s.feature = 2;
            int mb = t.nb[2];
            s.bin = mb / 2;
            s.default_left = kind != 1;
            if (kind == 2) {
                s.categorical = 1;
                for (int b = 0; b < mb; b += 3) s.cat_left[b >> 5] |= 1u << (b & 31);
                s.cat_left[mb >> 5] |= 1u << (mb & 31);
            }
            int32_t *want = tu_xmalloc(4 * (size_t)t.n + 4), *got = tu_xmalloc(4 * (size_t)t.n + 4);
            int64_t nl = 0, k;
            for (int64_t i = 0; i < t.n; i++) {
                int b = t.bins[(size_t)t.rows[i] * 4 + 2];
                int left = b == mb ? s.default_left : s.categorical ? (int)((s.cat_left[b >> 5] >> (b & 31)) & 1u) : b <= s.bin;
                if (left) want[nl++] = t.rows[i];
            }
            k = nl;
            for (int64_t i = 0; i < t.n; i++) {
                int b = t.bins[(size_t)t.rows[i] * 4 + 2];
                int left = b == mb ? s.default_left : s.categorical ? (int)((s.cat_left[b >> 5] >> (b & 31)) & 1u) : b <= s.bin;
                if (!left) want[k++] = t.rows[i];
            }
            Arena ar = {.be = be};
            uint8_t *db = arena_in(&ar, "bins", t.bins, (size_t)t.N * 4);
            int32_t *dr = arena_in(&ar, "rows", t.rows, 4 * (size_t)(t.n ? t.n : 1));
            int32_t *dsc = arena_out(&ar, "scratch", 4 * (size_t)(t.n ? t.n : 1));
            int64_t got_nl = tml_gbdt_partition(be, dr, t.n, db, 4, &s, mb, dsc);
            tml_download(be, got, dr, 4 * (size_t)t.n);
            arena_finish(&ar);
            assert_int_equal(got_nl, nl);
            assert_int_equal(tu_count_mismatch_i32("partition", got, want, (size_t)t.n), 0);
            free(want), free(got);
            tree_data_free(&t);
        }
}

/* Gradients: element-wise formulas with exp, to a few ulps. */
static void test_gbdt_gradients(void **state) {
    TmlBackend *be = backend_under_test(state);
    static const int Ks[] = {1, 3, 7};
    TuRng r;
    tu_rng_seed(&r, 50);
    for (size_t ki = 0; ki < 3; ki++) {
        int K = Ks[ki];
        int64_t N = 1001;
        float *sc = host_floats((size_t)N * K), cw[7];
        int32_t *lab = tu_xmalloc(4 * (size_t)N);
        tu_fill_uniform(&r, sc, (size_t)N * K, -6, 6);
        for (int k = 0; k < 7; k++) cw[k] = tu_rng_uniform(&r, 0.2f, 3);
        for (int64_t i = 0; i < N; i++) lab[i] = tu_rng_int(&r, (K > 2 ? K : 2) + 1) - 1;
        float *out[2];
        for (int w = 0; w < 2; w++) {
            TmlBackend *b = w ? be : g_cpu;
            Arena ar = {.be = b};
            float *ds = arena_in(&ar, "scores", sc, sizeof(float) * (size_t)N * K);
            int32_t *dl = arena_in(&ar, "labels", lab, 4 * (size_t)N);
            float *dc = arena_in(&ar, "cw", cw, sizeof cw);
            float *dg = arena_out(&ar, "gh", sizeof(float) * (size_t)N * K * 2);
            tml_gbdt_gradients(b, dg, ds, dl, ki == 1 ? NULL : dc, N, K);
            out[w] = host_floats((size_t)N * K * 2);
            tml_download(b, out[w], dg, sizeof(float) * (size_t)N * K * 2);
            arena_finish(&ar);
        }
        assert_int_equal(tu_count_mismatch("gbdt gradients", out[1], out[0], (size_t)N * K * 2, EW_ATOL, EW_RTOL), 0);
        free(out[0]), free(out[1]), free(sc), free(lab);
    }
}

/* Ensemble prediction (values and bins) and the leaf-range update: sums in double in tree order
 * on both backends, so the floats agree exactly. Trees are random but valid: numeric splits whose
 * bins and thresholds agree, categorical splits, NaN and unknown categories in the values. */
static void test_gbdt_predict(void **state) {
    TmlBackend *be = backend_under_test(state);
    TuRng r;
    tu_rng_seed(&r, 60);
    int F = 5, K = 3, T = 9, mb = 8; /* every feature: 8 value bins; feature 4 categorical */
    TmlGbdtNode nodes[9 * 7];
    uint32_t cats[9 * 7 * 8];
    int32_t roots[9], tcls[9], n_nodes = 0, n_cats = 0;
    memset(cats, 0, sizeof cats);
    for (int t = 0; t < T; t++) {
        roots[t] = n_nodes;
        tcls[t] = t % K;
        for (int i = 0; i < 7; i++) { /* a full tree of depth 2: 3 splits, 4 leaves */
            TmlGbdtNode *nd = &nodes[n_nodes + i];
            memset(nd, 0, sizeof *nd);
            nd->missing_bin = mb;
            if (i < 3) {
                nd->feature = tu_rng_int(&r, F);
                nd->left = n_nodes + 2 * i + 1;
                nd->right = n_nodes + 2 * i + 2;
                nd->default_left = tu_rng_int(&r, 2);
                nd->cat = -1;
                if (nd->feature == 4) {
                    nd->cat = n_cats;
                    cats[n_cats * 8] = (uint32_t)tu_rng_int(&r, 256);
                    n_cats++;
                } else {
                    nd->bin = tu_rng_int(&r, mb);
                    nd->threshold = (float)nd->bin + 0.5f; /* values v sit in bin floor(v) */
                }
            } else {
                nd->feature = -1;
                nd->cat = -1;
                nd->value = tu_rng_uniform(&r, -1, 1);
            }
        }
        n_nodes += 7;
    }
    int64_t N = 5000;
    float *x = host_floats((size_t)N * F), *s0 = host_floats((size_t)N * K);
    uint8_t *bins = tu_xmalloc((size_t)N * F);
    for (int64_t i = 0; i < N; i++)
        for (int f = 0; f < F; f++) {
            int b = tu_rng_int(&r, mb + 1); /* mb: missing */
            bins[i * F + f] = (uint8_t)b;
            x[i * F + f] = b == mb ? (f == 4 && i % 2 ? 11.0f : NAN) : f == 4 ? (float)b : (float)b + 0.25f;
        }
    tu_fill_uniform(&r, s0, (size_t)N * K, -1, 1);
    float *res[2][3];
    for (int w = 0; w < 2; w++) {
        TmlBackend *b = w ? be : g_cpu;
        Arena ar = {.be = b};
        TmlGbdtNode *dn = arena_in(&ar, "nodes", nodes, sizeof(TmlGbdtNode) * (size_t)n_nodes);
        uint32_t *dc = arena_in(&ar, "cats", cats, sizeof(uint32_t) * 8 * (size_t)n_cats);
        int32_t *dro = arena_in(&ar, "roots", roots, sizeof roots), *dcl = arena_in(&ar, "tclass", tcls, sizeof tcls);
        float *dx = arena_in(&ar, "x", x, sizeof(float) * (size_t)N * F);
        uint8_t *db = arena_in(&ar, "bins", bins, (size_t)N * F);
        float *s1 = arena_in(&ar, "s1", s0, sizeof(float) * (size_t)N * K), *s2 = arena_in(&ar, "s2", s0, sizeof(float) * (size_t)N * K);
        tml_gbdt_predict(b, s1, dx, N, F, dn, dc, dro, dcl, T, K);
        tml_gbdt_predict_binned(b, s2, db, N, F, dn, dc, dro, dcl, T, K);
        /* leaf ranges: rows in reverse order, cut into 3 ranges, added to column 1 */
        int32_t *rows = tu_xmalloc(4 * (size_t)N);
        for (int64_t i = 0; i < N; i++) rows[i] = (int32_t)(N - 1 - i);
        TmlGbdtLeafRange rg[3] = {{0, 10, 0.5f, 0}, {10, 2000, -0.25f, 0}, {2010, N - 2010, 1e-3f, 0}};
        int32_t *drows = arena_in(&ar, "rows", rows, 4 * (size_t)N);
        TmlGbdtLeafRange *drg = arena_in(&ar, "ranges", rg, sizeof rg);
        float *s3 = arena_in(&ar, "s3", s0, sizeof(float) * (size_t)N * K);
        tml_gbdt_leaf_add(b, s3, K, 1, drows, drg, 3);
        for (int o = 0; o < 3; o++) res[w][o] = host_floats((size_t)N * K);
        tml_download(b, res[w][0], s1, sizeof(float) * (size_t)N * K);
        tml_download(b, res[w][1], s2, sizeof(float) * (size_t)N * K);
        tml_download(b, res[w][2], s3, sizeof(float) * (size_t)N * K);
        arena_finish(&ar);
        free(rows);
        if (w == 0) /* the CPU against itself and a naive loop: values and bins reach the same leaves */
            for (int64_t i = 0; i < N; i++) {
                int64_t pos = N - 1 - i;
                float v = pos < 10 ? 0.5f : pos < 2010 ? -0.25f : 1e-3f;
                assert_true(res[0][2][i * K + 1] == (float)((double)s0[i * K + 1] + (double)v));
                assert_true(res[0][2][i * K] == s0[i * K]);
            }
    }
    assert_int_equal(tu_count_mismatch("predict values vs bins", res[0][0], res[0][1], (size_t)N * K, 0, 0), 0);
    for (int o = 0; o < 3; o++) {
        assert_int_equal(tu_count_mismatch("gbdt predict", res[1][o], res[0][o], (size_t)N * K, 0, 0), 0);
        free(res[0][o]), free(res[1][o]);
    }
    free(x), free(s0), free(bins);
}

#define ON_BOTH(f) cmocka_unit_test_prestate(f, (void *)&KIND_CPU), cmocka_unit_test_prestate(f, (void *)&KIND_CUDA)

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_device_parse_and_create),
        ON_BOTH(test_sgemm),
        ON_BOTH(test_elementwise),
        ON_BOTH(test_bias),
        ON_BOTH(test_embbag),
        cmocka_unit_test(test_embbag_backward_deterministic),
        ON_BOTH(test_embbag_backward_rows),
        ON_BOTH(test_scalars),
        ON_BOTH(test_bag_sgd),
        ON_BOTH(test_bag_sgd_hogwild),
        ON_BOTH(test_softmax_xent),
        ON_BOTH(test_softmax_no_labels),
        ON_BOTH(test_sigmoid_bce),
        ON_BOTH(test_optim_dense),
        ON_BOTH(test_optim_rows),
        ON_BOTH(test_reduce),
        ON_BOTH(test_embedding),
        ON_BOTH(test_layernorm),
        ON_BOTH(test_gelu),
        ON_BOTH(test_masked_softmax),
        ON_BOTH(test_dropout),
        ON_BOTH(test_sgemm_batched),
        ON_BOTH(test_pool),
        ON_BOTH(test_attention),
        ON_BOTH(test_gbdt_hist),
        ON_BOTH(test_gbdt_split_find),
        ON_BOTH(test_gbdt_partition),
        ON_BOTH(test_gbdt_gradients),
        ON_BOTH(test_gbdt_predict),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
