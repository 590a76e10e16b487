/* bench_ops.c — times every op on every backend present (build/bench/bench_ops; `make bench`).
 * Each op's fast path is first validated against the CPU reference (on the CPU backend, sgemm is
 * checked against a naive loop and the rest *is* the reference), then timed: the median of >= 10
 * samples, each a batch of back-to-back runs closed by tml_sync. Prints GFLOP/s for sgemm and GB/s
 * (bytes the op must move at least) for the rest, and for the embedding bag at the model's shape
 * (D=100, B=4096, 40 ids/bag, V=200000) also the fraction of the device's peak memory bandwidth.
 * Usage: bench_ops [--quick] [--device cpu|cuda|all]   (--quick: smaller arrays, for CI smoke runs) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/backend.h"
#include "tests/util_test.h"

#define SAMPLES 11
#define MIN_SAMPLE_SEC 2e-3 /* batch runs until a sample lasts this long (launch-bound GPU ops) */

static int g_failures;

/* ---- timing --------------------------------------------------------------------------------- */
typedef void (*RunFn)(TmlBackend *be, void *arg);

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median seconds per run over SAMPLES samples. */
static double time_median(TmlBackend *be, RunFn fn, void *arg) {
    fn(be, arg); /* warm-up: first-touch pages, cuBLAS heuristics, caches */
    tml_sync(be);
    double t0 = tu_now();
    fn(be, arg);
    tml_sync(be);
    double one = tu_now() - t0;
    int reps = one >= MIN_SAMPLE_SEC ? 1 : (int)ceil(MIN_SAMPLE_SEC / (one > 1e-7 ? one : 1e-7));
    if (reps > 2000) reps = 2000;
    double s[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) {
        t0 = tu_now();
        for (int r = 0; r < reps; r++) fn(be, arg);
        tml_sync(be);
        s[i] = (tu_now() - t0) / reps;
    }
    qsort(s, SAMPLES, sizeof s[0], cmp_double);
    return s[SAMPLES / 2];
}

static void report(TmlBackend *be, const char *op, const char *shape, const char *check, double sec, double flops,
                   double bytes, int show_peak) {
    char rate[96];
    if (flops > 0) snprintf(rate, sizeof rate, "%8.1f GFLOP/s", flops / sec / 1e9);
    else snprintf(rate, sizeof rate, "%8.1f GB/s", bytes / sec / 1e9);
    char peak[64] = "";
    if (show_peak) {
        double p = tml_backend_peak_gbps(be);
        if (p > 0) snprintf(peak, sizeof peak, "  %.0f%% of peak %.0f GB/s", 100.0 * bytes / sec / 1e9 / p, p);
        else snprintf(peak, sizeof peak, "  %% of peak: n/a");
    }
    printf("%-18s %-5s %-40s %-9s %10.3f ms %s%s\n", op, tml_backend_name(be), shape, check, sec * 1e3, rate, peak);
    fflush(stdout);
}

/* ---- helpers -------------------------------------------------------------------------------- */
static void *dev_copy(TmlBackend *be, const void *host, size_t bytes) {
    void *p = tml_alloc(be, bytes);
    if (!p) {
        fprintf(stderr, "bench_ops: out of device memory (%zu bytes)\n", bytes);
        exit(1);
    }
    tml_upload(be, p, host, bytes);
    return p;
}

static float *rand_floats(TuRng *r, size_t n, float lo, float hi) {
    float *x = tu_xmalloc(sizeof(float) * n);
    tu_fill_uniform(r, x, n, lo, hi);
    return x;
}

/* Validates got (downloaded from be) against ref; records and prints a failure. */
static const char *check(TmlBackend *be, const char *what, const float *got, const float *ref, size_t n, double atol,
                         double rtol) {
    if (!tml_backend_is_gpu(be)) return "reference";
    if (tu_count_mismatch(what, got, ref, n, atol, rtol) == 0) return "valid";
    g_failures++;
    return "MISMATCH";
}

/* ---- sgemm ---------------------------------------------------------------------------------- */
typedef struct GemmArg {
    int tb, M, N, K;
    float *A, *B, *C;
} GemmArg;

static void run_gemm(TmlBackend *be, void *p) {
    GemmArg *a = p;
    tml_sgemm(be, 0, a->tb, a->M, a->N, a->K, 1.0f, a->A, a->K, a->B, a->tb ? a->K : a->N, 0.0f, a->C, a->N);
}

static void bench_sgemm(TmlBackend *be, TmlBackend *cpu, int tb, int M, int N, int K) {
    TuRng r;
    tu_rng_seed(&r, 100);
    float *A = rand_floats(&r, (size_t)M * K, -1, 1), *B = rand_floats(&r, (size_t)K * N, -1, 1);
    float *C = tu_xmalloc(sizeof(float) * M * N), *Cref = tu_xmalloc(sizeof(float) * M * N);
    GemmArg d = {tb, M, N, K, dev_copy(be, A, 4.0 * M * K), dev_copy(be, B, 4.0 * K * N), tml_alloc(be, 4.0 * M * N)};
    run_gemm(be, &d);
    tml_download(be, C, d.C, 4.0 * M * N);
    const char *ok;
    if (tml_backend_is_gpu(be)) {
        GemmArg h = {tb, M, N, K, A, B, Cref};
        run_gemm(cpu, &h);
        ok = check(be, "sgemm", C, Cref, (size_t)M * N, 2e-6 * K, 1e-5);
    } else { /* 64 sampled entries against a naive double loop */
        ok = "valid";
        TuRng s;
        tu_rng_seed(&s, 7);
        for (int t = 0; t < 64; t++) {
            int i = tu_rng_int(&s, M), j = tu_rng_int(&s, N);
            double acc = 0;
            for (int k = 0; k < K; k++) acc += (double)A[(size_t)i * K + k] * (tb ? B[(size_t)j * K + k] : B[(size_t)k * N + j]);
            if (fabs(acc - C[(size_t)i * N + j]) > 2e-6 * K + 1e-5 * fabs(acc)) ok = "MISMATCH";
        }
        if (!strcmp(ok, "MISMATCH")) g_failures++;
    }
    double sec = time_median(be, run_gemm, &d);
    char shape[64];
    snprintf(shape, sizeof shape, "M=%d N=%d K=%d%s", M, N, K, tb ? " (x W^T)" : "");
    report(be, "sgemm", shape, ok, sec, 2.0 * M * N * K, 0, 0);
    tml_free(be, d.A), tml_free(be, d.B), tml_free(be, d.C);
    free(A), free(B), free(C), free(Cref);
}

/* ---- embedding bag -------------------------------------------------------------------------- */
typedef struct BagArg {
    int B, D;
    float *out, *E, *dE, *dout;
    int64_t *off;
    int32_t *ids;
} BagArg;

static void run_bag_fwd(TmlBackend *be, void *p) {
    BagArg *a = p;
    tml_embbag_forward(be, a->out, a->E, a->off, a->ids, NULL, a->B, a->D, TML_BAG_MEAN);
}
static void run_bag_bwd(TmlBackend *be, void *p) {
    BagArg *a = p;
    tml_embbag_backward(be, a->dE, a->dout, a->off, a->ids, NULL, a->B, a->D, TML_BAG_MEAN);
}
static void run_bag_both(TmlBackend *be, void *p) {
    run_bag_fwd(be, p);
    run_bag_bwd(be, p);
}

static void bench_embbag(TmlBackend *be, TmlBackend *cpu, int B, int D, int L, int V) {
    TuRng r;
    tu_rng_seed(&r, 200);
    size_t nnz = (size_t)B * L, VD = (size_t)V * D, BD = (size_t)B * D;
    int64_t *off = tu_xmalloc(sizeof(int64_t) * (B + 1));
    int32_t *ids = tu_xmalloc(sizeof(int32_t) * nnz);
    for (int b = 0; b <= B; b++) off[b] = (int64_t)b * L;
    tu_fill_zipf(&r, ids, nnz, V, 1.0); /* as words of text: a few rows take most lookups */
    float *E = rand_floats(&r, VD, -1, 1), *dout = rand_floats(&r, BD, -1e-3f, 1e-3f);
    float *dE = tu_xmalloc(sizeof(float) * VD), *out = tu_xmalloc(sizeof(float) * BD);
    memset(dE, 0, sizeof(float) * VD);
    BagArg d = {B, D, tml_alloc(be, sizeof(float) * BD), dev_copy(be, E, sizeof(float) * VD),
                dev_copy(be, dE, sizeof(float) * VD), dev_copy(be, dout, sizeof(float) * BD),
                dev_copy(be, off, sizeof(int64_t) * (B + 1)), dev_copy(be, ids, sizeof(int32_t) * nnz)};
    /* validate one forward and one backward (from zero) against the CPU reference */
    const char *ok_f = "reference", *ok_b = "reference";
    if (tml_backend_is_gpu(be)) {
        float *out_be = tu_xmalloc(sizeof(float) * BD), *dE_be = tu_xmalloc(sizeof(float) * VD);
        BagArg h = {B, D, out, E, dE, dout, off, ids};
        run_bag_both(cpu, &h);
        run_bag_both(be, &d);
        tml_download(be, out_be, d.out, sizeof(float) * BD);
        tml_download(be, dE_be, d.dE, sizeof(float) * VD);
        ok_f = check(be, "embbag fwd", out_be, out, BD, 2e-6 * L, 1e-5);
        ok_b = check(be, "embbag bwd", dE_be, dE, VD, 1e-8 * L, 1e-4);
        free(out_be), free(dE_be);
    }
    /* bytes: gathered rows + output + ids + offsets (forward); dout + read-modify-write of the
     * touched dE rows + ids + offsets (backward) */
    double idx = 4.0 * nnz + 8.0 * (B + 1);
    double fwd = 4.0 * nnz * D + 4.0 * BD + idx, bwd = 4.0 * BD + 8.0 * nnz * D + idx;
    char shape[64];
    snprintf(shape, sizeof shape, "B=%d D=%d ids/bag=%d V=%d zipf mean", B, D, L, V);
    report(be, "embbag fwd", shape, ok_f, time_median(be, run_bag_fwd, &d), 0, fwd, 0);
    report(be, "embbag bwd", shape, ok_b, time_median(be, run_bag_bwd, &d), 0, bwd, 0);
    report(be, "embbag fwd+bwd", shape, ok_f == ok_b ? ok_f : "MISMATCH", time_median(be, run_bag_both, &d), 0,
           fwd + bwd, D == 100 && B == 4096 && L == 40 && V == 200000);
    tml_free(be, d.out), tml_free(be, d.E), tml_free(be, d.dE), tml_free(be, d.dout), tml_free(be, d.off),
        tml_free(be, d.ids);
    free(off), free(ids), free(E), free(dout), free(dE), free(out);
}

/* ---- per-example SGD (tml_bag_sgd) ---------------------------------------------------------- */
typedef struct SgdArg {
    TmlBagSgd a;
} SgdArg;

static void run_sgd(TmlBackend *be, void *p) { tml_bag_sgd(be, &((SgdArg *)p)->a); }

/* The training op at the benchmark model's shape: n examples of L Zipf ids into a V x D table, C
 * classes. Validated with one worker on a few hundred examples (the CPU reference's order), then
 * timed with every worker (Hogwild) and, on the CPU, with one thread. */
static void bench_bag_sgd(TmlBackend *be, TmlBackend *cpu, int n, int D, int C, int L, int V) {
    TuRng r;
    tu_rng_seed(&r, 250);
    size_t nnz = (size_t)n * L, VD = (size_t)V * D;
    int64_t *off = tu_xmalloc(sizeof(int64_t) * (n + 1));
    int32_t *ids = tu_xmalloc(sizeof(int32_t) * nnz), *labels = tu_xmalloc(sizeof(int32_t) * n);
    for (int b = 0; b <= n; b++) off[b] = (int64_t)b * L;
    tu_fill_zipf(&r, ids, nnz, V, 1.0);
    for (int b = 0; b < n; b++) labels[b] = tu_rng_int(&r, C);
    float *E = rand_floats(&r, VD, -0.01f, 0.01f), *W = rand_floats(&r, (size_t)D * C, -0.1f, 0.1f);
    float *bias = rand_floats(&r, C, -0.1f, 0.1f);
    SgdArg d = {{.E = dev_copy(be, E, 4 * VD), .W = dev_copy(be, W, 4.0 * D * C), .b = dev_copy(be, bias, 4.0 * C),
                 .V = V, .D = D, .C = C, .mode = TML_BAG_MEAN, .update_E = 1,
                 .offsets = dev_copy(be, off, sizeof(int64_t) * (n + 1)), .ids = dev_copy(be, ids, 4 * nnz),
                 .labels = dev_copy(be, labels, 4.0 * n), .n = n, .smoothing = 0.0f, .lr0 = 0.05f, .lr1 = 0.04f,
                 .workers = 1, .loss_sum = tml_alloc(be, sizeof(double))}};
    size_t ws = tml_bag_sgd_scratch_floats(be, D, C, 1), ws_cpu = tml_bag_sgd_scratch_floats(cpu, D, C, 1);
    d.a.scratch = ws ? tml_alloc(be, sizeof(float) * ws) : NULL;
    float *scratch_cpu = ws_cpu ? tu_xmalloc(sizeof(float) * ws_cpu) : NULL;
    const char *ok = "reference";
    if (tml_backend_is_gpu(be)) {
        int nv = n < 512 ? n : 512;
        float *E_be = tu_xmalloc(4 * VD), *W_be = tu_xmalloc(4.0 * D * C);
        SgdArg h = d;
        h.a.E = E, h.a.W = W, h.a.b = bias, h.a.offsets = off, h.a.ids = ids, h.a.labels = labels, h.a.n = nv;
        double loss_ref = 0.0;
        h.a.loss_sum = &loss_ref;
        h.a.scratch = scratch_cpu;
        SgdArg v = d;
        v.a.n = nv;
        run_sgd(cpu, &h);
        run_sgd(be, &v);
        tml_download(be, E_be, d.a.E, 4 * VD);
        tml_download(be, W_be, d.a.W, 4.0 * D * C);
        ok = tu_count_mismatch("bag_sgd E", E_be, E, VD, 1e-6, 1e-4) ||
                     tu_count_mismatch("bag_sgd W", W_be, W, (size_t)D * C, 1e-6, 1e-4)
                 ? "MISMATCH"
                 : "valid";
        if (ok[0] == 'M') g_failures++;
        free(E_be), free(W_be);
    }
    /* bytes: each example reads and writes its L rows and the whole output layer */
    double bytes = (double)n * (8.0 * L * D + 8.0 * D * C + 4.0 * L + 8);
    char shape[80];
    d.a.workers = 0;
    double t_all = time_median(be, run_sgd, &d);
    snprintf(shape, sizeof shape, "n=%d D=%d C=%d ids=%d V=%d zipf: %.2fM ex/s", n, D, C, L, V, n / t_all / 1e6);
    report(be, "bag_sgd (hogwild)", shape, ok, t_all, 0, bytes, 0);
    if (!tml_backend_is_gpu(be)) {
        d.a.workers = 1;
        double t_one = time_median(be, run_sgd, &d);
        snprintf(shape, sizeof shape, "n=%d D=%d C=%d ids=%d V=%d zipf: %.2fM ex/s", n, D, C, L, V, n / t_one / 1e6);
        report(be, "bag_sgd (1 thread)", shape, ok, t_one, 0, bytes, 0);
    }
    tml_free(be, d.a.E), tml_free(be, d.a.W), tml_free(be, d.a.b), tml_free(be, (void *)d.a.offsets),
        tml_free(be, (void *)d.a.ids), tml_free(be, (void *)d.a.labels), tml_free(be, d.a.loss_sum),
        tml_free(be, d.a.scratch);
    free(scratch_cpu);
    free(off), free(ids), free(labels), free(E), free(W), free(bias);
}

/* ---- losses --------------------------------------------------------------------------------- */
typedef struct XentArg {
    int B, C;
    float *logits, *probs, *losses, *dlogits;
    int32_t *labels;
} XentArg;

static void run_xent(TmlBackend *be, void *p) {
    XentArg *a = p;
    tml_softmax_xent_forward(be, a->probs, a->losses, a->logits, a->labels, NULL, 0.1f, a->B, a->C);
    tml_softmax_xent_backward(be, a->dlogits, a->probs, a->labels, NULL, 0.1f, a->B, a->C, 1.0f / a->B);
}

static void bench_xent(TmlBackend *be, TmlBackend *cpu, int B, int C) {
    TuRng r;
    tu_rng_seed(&r, 300);
    size_t BC = (size_t)B * C;
    float *logits = rand_floats(&r, BC, -5, 5);
    int32_t *labels = tu_xmalloc(sizeof(int32_t) * B);
    for (int b = 0; b < B; b++) labels[b] = tu_rng_int(&r, C);
    float *probs = tu_xmalloc(4 * BC), *losses = tu_xmalloc(4.0 * B), *dl = tu_xmalloc(4 * BC), *dl_be = tu_xmalloc(4 * BC);
    XentArg d = {B, C, dev_copy(be, logits, 4 * BC), tml_alloc(be, 4 * BC), tml_alloc(be, 4.0 * B), tml_alloc(be, 4 * BC),
                 dev_copy(be, labels, 4.0 * B)};
    XentArg h = {B, C, logits, probs, losses, dl, labels};
    run_xent(be, &d);
    tml_download(be, dl_be, d.dlogits, 4 * BC);
    if (tml_backend_is_gpu(be)) run_xent(cpu, &h);
    const char *ok = check(be, "xent dlogits", dl_be, dl, BC, 1e-8, 1e-4);
    char shape[64];
    snprintf(shape, sizeof shape, "B=%d C=%d", B, C);
    report(be, "softmax_xent f+b", shape, ok, time_median(be, run_xent, &d), 0, 4.0 * (4 * BC + 3 * B), 0);
    tml_free(be, d.logits), tml_free(be, d.probs), tml_free(be, d.losses), tml_free(be, d.dlogits),
        tml_free(be, d.labels);
    free(logits), free(labels), free(probs), free(losses), free(dl), free(dl_be);
}

typedef struct BceArg {
    size_t n;
    float *x, *t, *p, *l, *g;
} BceArg;

static void run_bce(TmlBackend *be, void *p) {
    BceArg *a = p;
    tml_sigmoid_bce_forward(be, a->p, a->l, a->x, a->t, NULL, a->n);
    tml_sigmoid_bce_backward(be, a->g, a->p, a->t, NULL, a->n, 1.0f);
}

static void bench_bce(TmlBackend *be, TmlBackend *cpu, size_t n) {
    TuRng r;
    tu_rng_seed(&r, 400);
    float *x = rand_floats(&r, n, -8, 8), *t = rand_floats(&r, n, 0, 1);
    float *p = tu_xmalloc(4 * n), *l = tu_xmalloc(4 * n), *g = tu_xmalloc(4 * n), *g_be = tu_xmalloc(4 * n);
    BceArg d = {n, dev_copy(be, x, 4 * n), dev_copy(be, t, 4 * n), tml_alloc(be, 4 * n), tml_alloc(be, 4 * n),
                tml_alloc(be, 4 * n)};
    BceArg h = {n, x, t, p, l, g};
    run_bce(be, &d);
    tml_download(be, g_be, d.g, 4 * n);
    if (tml_backend_is_gpu(be)) run_bce(cpu, &h);
    const char *ok = check(be, "bce dlogits", g_be, g, n, 1e-6, 1e-5);
    char shape[64];
    snprintf(shape, sizeof shape, "n=%zu", n);
    /* forward: read x, t; write p, l. backward: read p, t; write g */
    report(be, "sigmoid_bce f+b", shape, ok, time_median(be, run_bce, &d), 0, 4.0 * 7 * n, 0);
    tml_free(be, d.x), tml_free(be, d.t), tml_free(be, d.p), tml_free(be, d.l), tml_free(be, d.g);
    free(x), free(t), free(p), free(l), free(g), free(g_be);
}

/* ---- element-wise and optimizers ------------------------------------------------------------ */
typedef struct VecArg {
    size_t n;
    int D, n_rows;
    float *x, *y, *m, *v;
    int32_t *rows;
    double ss;
} VecArg;

static void run_axpy(TmlBackend *be, void *p) {
    VecArg *a = p;
    tml_axpy(be, a->y, a->x, a->n, 1e-3f);
}
static void run_relu(TmlBackend *be, void *p) {
    VecArg *a = p;
    tml_relu_forward(be, a->y, a->x, a->n);
}
static void run_ss(TmlBackend *be, void *p) {
    VecArg *a = p;
    a->ss = tml_sum_squares(be, a->x, a->n);
}
static void run_adamw(TmlBackend *be, void *p) {
    VecArg *a = p;
    tml_adamw_update(be, a->y, a->x, a->m, a->v, a->n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 10);
}
static void run_adamw_rows(TmlBackend *be, void *p) {
    VecArg *a = p;
    tml_adamw_update_rows(be, a->y, a->x, a->m, a->v, a->rows, a->n_rows, a->D, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 10);
}

/* Element-wise ops run on the same inputs on both backends; each is validated once before timing. */
static void bench_vector(TmlBackend *be, TmlBackend *cpu, size_t n) {
    TuRng r;
    tu_rng_seed(&r, 500);
    float *x = rand_floats(&r, n, -1, 1), *y = rand_floats(&r, n, -1, 1), *m = rand_floats(&r, n, -0.1f, 0.1f),
          *v = rand_floats(&r, n, 0, 0.01f);
    float *got = tu_xmalloc(4 * n), *ref = tu_xmalloc(4 * n);
    VecArg d = {n, 0, 0, dev_copy(be, x, 4 * n), dev_copy(be, y, 4 * n), dev_copy(be, m, 4 * n), dev_copy(be, v, 4 * n),
                NULL, 0};
    VecArg h = {n, 0, 0, x, ref, m, v, NULL, 0};
    char shape[64];
    snprintf(shape, sizeof shape, "n=%zu", n);
    static const struct {
        const char *name;
        RunFn fn;
        double bytes_per_elem;
    } ops[] = {{"axpy", run_axpy, 12}, {"relu fwd", run_relu, 8}, {"sum_squares", run_ss, 4}, {"adamw", run_adamw, 28}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        /* reset y, m, v so the validation run starts from the same state on both sides */
        tml_upload(be, d.y, y, 4 * n), tml_upload(be, d.m, m, 4 * n), tml_upload(be, d.v, v, 4 * n);
        memcpy(ref, y, 4 * n);
        float *mh = tu_xmalloc(4 * n), *vh = tu_xmalloc(4 * n);
        memcpy(mh, m, 4 * n), memcpy(vh, v, 4 * n);
        h.m = mh, h.v = vh;
        ops[i].fn(be, &d);
        tml_download(be, got, d.y, 4 * n);
        const char *ok = "reference";
        if (tml_backend_is_gpu(be)) {
            ops[i].fn(cpu, &h);
            if (ops[i].fn == run_ss) {
                ok = fabs(d.ss - h.ss) <= 1e-9 * h.ss ? "valid" : "MISMATCH";
                if (ok[0] == 'M') g_failures++;
            } else {
                ok = check(be, ops[i].name, got, ref, n, 1e-6, 1e-5);
            }
        }
        free(mh), free(vh);
        report(be, ops[i].name, shape, ok, time_median(be, ops[i].fn, &d), 0, ops[i].bytes_per_elem * n, 0);
    }
    tml_free(be, d.x), tml_free(be, d.y), tml_free(be, d.m), tml_free(be, d.v);
    free(x), free(y), free(m), free(v), free(got), free(ref);
}

/* Sparse AdamW over the rows one embedding batch touches: read W, G, M, V and write all four. */
static void bench_adamw_rows(TmlBackend *be, TmlBackend *cpu, int V, int D, int n_rows) {
    TuRng r;
    tu_rng_seed(&r, 600);
    size_t VD = (size_t)V * D;
    int32_t *rows = tu_xmalloc(sizeof(int32_t) * n_rows);
    int stride = V / n_rows;
    for (int i = 0; i < n_rows; i++) rows[i] = i * stride + tu_rng_int(&r, stride); /* unique */
    float *W = rand_floats(&r, VD, -1, 1), *G = rand_floats(&r, VD, -1, 1), *M = rand_floats(&r, VD, -0.1f, 0.1f),
          *Vv = rand_floats(&r, VD, 0, 0.01f);
    VecArg d = {VD, D, n_rows, dev_copy(be, G, 4 * VD), dev_copy(be, W, 4 * VD), dev_copy(be, M, 4 * VD),
                dev_copy(be, Vv, 4 * VD), dev_copy(be, rows, 4.0 * n_rows), 0};
    const char *ok = "reference";
    if (tml_backend_is_gpu(be)) {
        float *got = tu_xmalloc(4 * VD);
        VecArg h = {VD, D, n_rows, G, W, M, Vv, rows, 0};
        run_adamw_rows(be, &d);
        run_adamw_rows(cpu, &h);
        tml_download(be, got, d.y, 4 * VD);
        ok = check(be, "adamw rows", got, W, VD, 1e-6, 1e-5);
        free(got);
    }
    char shape[64];
    snprintf(shape, sizeof shape, "rows=%d D=%d V=%d", n_rows, D, V);
    report(be, "adamw rows", shape, ok, time_median(be, run_adamw_rows, &d), 0, 32.0 * n_rows * D + 4.0 * n_rows, 0);
    tml_free(be, d.x), tml_free(be, d.y), tml_free(be, d.m), tml_free(be, d.v), tml_free(be, d.rows);
    free(rows), free(W), free(G), free(M), free(Vv);
}

/* ---- top-k ---------------------------------------------------------------------------------- */
typedef struct TopkArg {
    int B, N, k;
    float *x, *val;
    int32_t *idx;
} TopkArg;

static void run_topk(TmlBackend *be, void *p) {
    TopkArg *a = p;
    tml_row_topk(be, a->idx, a->val, a->x, a->B, a->N, a->k);
}

static void bench_topk(TmlBackend *be, TmlBackend *cpu, int B, int N, int k) {
    TuRng r;
    tu_rng_seed(&r, 700);
    size_t BN = (size_t)B * N, Bk = (size_t)B * k;
    float *x = rand_floats(&r, BN, 0, 1), *val = tu_xmalloc(4 * Bk), *val_be = tu_xmalloc(4 * Bk);
    int32_t *idx = tu_xmalloc(4 * Bk);
    TopkArg d = {B, N, k, dev_copy(be, x, 4 * BN), tml_alloc(be, 4 * Bk), tml_alloc(be, 4 * Bk)};
    TopkArg h = {B, N, k, x, val, idx};
    run_topk(be, &d);
    tml_download(be, val_be, d.val, 4 * Bk);
    if (tml_backend_is_gpu(be)) run_topk(cpu, &h);
    const char *ok = check(be, "topk val", val_be, val, Bk, 0, 0);
    char shape[64];
    snprintf(shape, sizeof shape, "B=%d N=%d k=%d", B, N, k);
    report(be, "row_topk", shape, ok, time_median(be, run_topk, &d), 0, 4.0 * BN + 8.0 * Bk, 0);
    tml_free(be, d.x), tml_free(be, d.val), tml_free(be, d.idx);
    free(x), free(val), free(val_be), free(idx);
}


/* ---- transformer encoder ops at MiniLM's shapes (B sequences of T tokens, C = 384, 12 heads) -- */
typedef struct EncArg {
    int B, T, C, NH, F, V;
    float *x, *y, *dy, *dx, *w, *b, *dw, *db, *mean, *rstd; /* (B*T, C) rows and (C) vectors */
    float *u, *du, *gu;                                     /* (B*T, F) */
    float *qkv, *att_out, *dqkv, *saved, *scratch, *E, *dE;
    int32_t *ids, *lens;
} EncArg;

static void run_ln_fwd(TmlBackend *be, void *p) {
    EncArg *a = p;
    tml_layernorm_forward(be, a->y, a->mean, a->rstd, a->x, a->w, a->b, a->B * a->T, a->C, 1e-12f);
}
static void run_ln_bwd(TmlBackend *be, void *p) {
    EncArg *a = p;
    tml_layernorm_backward(be, a->dx, a->dw, a->db, a->dy, a->x, a->mean, a->rstd, a->w, a->B * a->T, a->C);
}
static void run_gelu_fwd(TmlBackend *be, void *p) {
    EncArg *a = p;
    tml_gelu_forward(be, a->gu, a->u, (size_t)a->B * a->T * a->F);
}
static void run_gelu_bwd(TmlBackend *be, void *p) {
    EncArg *a = p;
    tml_gelu_backward(be, a->du, a->gu, a->u, (size_t)a->B * a->T * a->F);
}
static void run_dropout(TmlBackend *be, void *p) {
    EncArg *a = p;
    tml_dropout_forward(be, a->y, a->x, (size_t)a->B * a->T * a->C, 0.1f, 42);
}
static void run_emb_fwd(TmlBackend *be, void *p) {
    EncArg *a = p;
    tml_embedding_forward(be, a->y, a->E, a->V, a->ids, a->B * a->T, a->C, 0);
}
static void run_emb_bwd(TmlBackend *be, void *p) {
    EncArg *a = p;
    tml_embedding_backward(be, a->dE, a->V, a->dy, a->ids, a->B * a->T, a->C);
}
static void run_pool_mean(TmlBackend *be, void *p) {
    EncArg *a = p;
    tml_pool_forward(be, a->dw, a->x, a->lens, a->B, a->T, a->C, TML_POOL_MEAN); /* dw holds (B, C) here */
}
static void run_att_fwd(TmlBackend *be, void *p) {
    EncArg *a = p;
    tml_attention_forward(be, a->att_out, a->saved, a->scratch, a->qkv, a->lens, a->B, a->T, a->C, a->NH, 0.1f, 7);
}
static void run_att_bwd(TmlBackend *be, void *p) {
    EncArg *a = p;
    tml_attention_backward(be, a->dqkv, a->scratch, a->dy, a->saved, a->qkv, a->lens, a->B, a->T, a->C, a->NH, 0.1f, 7);
}
static void run_bgemm(TmlBackend *be, void *p) { /* Q K^T of every head, as in the attention */
    EncArg *a = p;
    int hs = a->C / a->NH;
    size_t th = (size_t)a->T * hs, tt = (size_t)a->T * a->T;
    tml_sgemm_batched(be, 0, 1, a->T, a->T, hs, 1.0f, a->qkv, hs, th, a->qkv + (size_t)a->B * a->T * a->C, hs, th,
                      0.0f, a->saved, a->T, tt, a->B * a->NH);
}

/* Allocates one EncArg's buffers on be from the same host data (seeded), so a run on the CPU and
 * one on the GPU see the same inputs. Freed by enc_free. */
static void enc_alloc(TmlBackend *be, EncArg *a) {
    TuRng r;
    tu_rng_seed(&r, 800);
    size_t N = (size_t)a->B * a->T, NC = N * a->C, NF = N * a->F, N3 = 3 * NC, VC = (size_t)a->V * a->C;
    size_t ns = tml_attention_saved_floats(be, a->B, a->T, a->C, a->NH);
    size_t nw = tml_attention_scratch_floats(be, a->B, a->T, a->C, a->NH);
    size_t big = NF > N3 ? NF : N3;
    float *h = rand_floats(&r, big > VC ? big : VC, -1, 1);
    a->x = dev_copy(be, h, 4 * NC), a->dy = dev_copy(be, h + 1, 4 * NC), a->u = dev_copy(be, h + 2, 4 * NF);
    a->qkv = dev_copy(be, h + 3, 4 * N3), a->E = dev_copy(be, h + 4, 4 * VC), a->w = dev_copy(be, h + 5, 4 * a->C);
    a->b = dev_copy(be, h + 6, 4 * a->C);
    a->y = tml_alloc(be, 4 * NC), a->dx = tml_alloc(be, 4 * NC), a->du = tml_alloc(be, 4 * NF);
    a->gu = tml_alloc(be, 4 * NF), a->att_out = tml_alloc(be, 4 * NC), a->dqkv = tml_alloc(be, 4 * N3);
    a->saved = tml_alloc(be, 4 * ns), a->scratch = tml_alloc(be, 4 * nw), a->dE = tml_alloc(be, 4 * VC);
    a->dw = tml_alloc(be, 4.0 * a->B * a->C), a->db = tml_alloc(be, 4.0 * a->C);
    a->mean = tml_alloc(be, 4 * N), a->rstd = tml_alloc(be, 4 * N);
    if (!a->saved || !a->scratch || !a->dE || !a->du || !a->gu) {
        fprintf(stderr, "bench_ops: out of device memory\n");
        exit(1);
    }
    tml_zero(be, a->dw, 4.0 * a->B * a->C), tml_zero(be, a->db, 4.0 * a->C), tml_zero(be, a->dE, 4 * VC);
    int32_t *ids = tu_xmalloc(4 * N), *lens = tu_xmalloc(4.0 * a->B);
    for (size_t i = 0; i < N; i++) ids[i] = tu_rng_int(&r, a->V);
    for (int i = 0; i < a->B; i++) lens[i] = a->T - tu_rng_int(&r, a->T / 4 + 1); /* sorted batches: near T */
    a->ids = dev_copy(be, ids, 4 * N), a->lens = dev_copy(be, lens, 4.0 * a->B);
    free(h), free(ids), free(lens);
}

static void enc_free(TmlBackend *be, EncArg *a) {
    float *f[] = {a->x, a->y, a->dy, a->dx, a->w, a->b, a->dw, a->db, a->mean, a->rstd, a->u, a->du, a->gu,
                  a->qkv, a->att_out, a->dqkv, a->saved, a->scratch, a->E, a->dE};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) tml_free(be, f[i]);
    tml_free(be, a->ids), tml_free(be, a->lens);
}

/* On a GPU: runs fn once on both backends from the same inputs and compares n floats of the output
 * buffer (dev_out on be, host_out on the CPU). On the CPU: the CPU is the reference. */
static const char *enc_check(TmlBackend *be, TmlBackend *cpu, EncArg *d, EncArg *h, RunFn fn, float *const *dev_out,
                             float *const *host_out, size_t n, double atol, double rtol, const char *what) {
    if (!tml_backend_is_gpu(be)) return "reference";
    fn(be, d);
    fn(cpu, h);
    float *got = tu_xmalloc(4 * n), *ref = tu_xmalloc(4 * n);
    tml_download(be, got, *dev_out, 4 * n);
    tml_download(cpu, ref, *host_out, 4 * n);
    const char *ok = check(be, what, got, ref, n, atol, rtol);
    free(got), free(ref);
    return ok;
}

static void bench_encoder_ops(TmlBackend *be, TmlBackend *cpu, int B, int T) {
    EncArg d = {.B = B, .T = T, .C = 384, .NH = 12, .F = 1536, .V = 30522}, h = d;
    enc_alloc(be, &d);
    if (tml_backend_is_gpu(be)) enc_alloc(cpu, &h);
    size_t N = (size_t)B * T, NC = N * d.C, NF = N * d.F;
    int hs = d.C / d.NH;
    char shape[64];
    snprintf(shape, sizeof shape, "B=%d T=%d C=%d", B, T, d.C);
    /* sgemms of one layer: qkv, attention output, FFN up, FFN down (x W^T) */
    bench_sgemm(be, cpu, 1, (int)N, 3 * d.C, d.C);
    bench_sgemm(be, cpu, 1, (int)N, d.F, d.C);
    bench_sgemm(be, cpu, 1, (int)N, d.C, d.F);
    const char *ok;
    ok = enc_check(be, cpu, &d, &h, run_ln_fwd, &d.y, &h.y, NC, 2e-6 * d.C, 1e-5, "layernorm fwd");
    report(be, "layernorm fwd", shape, ok, time_median(be, run_ln_fwd, &d), 0, 4.0 * (2 * NC + 2 * N), 0);
    ok = enc_check(be, cpu, &d, &h, run_ln_bwd, &d.dx, &h.dx, NC, 1e-5, 1e-4, "layernorm bwd");
    report(be, "layernorm bwd", shape, ok, time_median(be, run_ln_bwd, &d), 0, 4.0 * (3 * NC + 2 * N), 0);
    snprintf(shape, sizeof shape, "n=%zu (B=%d T=%d F=%d)", NF, B, T, d.F);
    ok = enc_check(be, cpu, &d, &h, run_gelu_fwd, &d.gu, &h.gu, NF, 1e-6, 1e-5, "gelu fwd");
    report(be, "gelu fwd", shape, ok, time_median(be, run_gelu_fwd, &d), 0, 8.0 * NF, 0);
    ok = enc_check(be, cpu, &d, &h, run_gelu_bwd, &d.du, &h.du, NF, 1e-6, 1e-5, "gelu bwd");
    report(be, "gelu bwd", shape, ok, time_median(be, run_gelu_bwd, &d), 0, 12.0 * NF, 0);
    snprintf(shape, sizeof shape, "n=%zu p=0.1", NC);
    ok = enc_check(be, cpu, &d, &h, run_dropout, &d.y, &h.y, NC, 0, 0, "dropout");
    report(be, "dropout", shape, ok, time_median(be, run_dropout, &d), 0, 8.0 * NC, 0);
    snprintf(shape, sizeof shape, "N=%zu D=%d V=%d", N, d.C, d.V);
    ok = enc_check(be, cpu, &d, &h, run_emb_fwd, &d.y, &h.y, NC, 0, 0, "embedding fwd");
    report(be, "embedding fwd", shape, ok, time_median(be, run_emb_fwd, &d), 0, 8.0 * NC + 4.0 * N, 0);
    report(be, "embedding bwd", shape, "timed", time_median(be, run_emb_bwd, &d), 0, 12.0 * NC + 4.0 * N, 0);
    snprintf(shape, sizeof shape, "B=%d T=%d C=%d", B, T, d.C);
    ok = enc_check(be, cpu, &d, &h, run_pool_mean, &d.dw, &h.dw, (size_t)B * d.C, 2e-6 * T, 1e-5, "pool mean");
    report(be, "pool mean fwd", shape, ok, time_median(be, run_pool_mean, &d), 0, 4.0 * NC, 0);
    snprintf(shape, sizeof shape, "%d x (%dx%dx%d) Q K^T", B * d.NH, T, T, hs);
    ok = enc_check(be, cpu, &d, &h, run_bgemm, &d.saved, &h.saved, (size_t)B * d.NH * T * T, 2e-6 * hs, 1e-5,
                   "sgemm_batched");
    report(be, "sgemm_batched", shape, ok, time_median(be, run_bgemm, &d), 2.0 * B * d.NH * T * T * hs, 0, 0);
    /* attention: Q K^T and P V, 2 T^2 hs multiply-adds per head forward, twice that backward */
    double att_flops = 4.0 * B * d.NH * T * T * hs;
    snprintf(shape, sizeof shape, "B=%d T=%d C=%d NH=%d p=0.1", B, T, d.C, d.NH);
    ok = enc_check(be, cpu, &d, &h, run_att_fwd, &d.att_out, &h.att_out, NC, 4e-6 * (T + hs), 1e-5, "attention fwd");
    report(be, "attention fwd", shape, ok, time_median(be, run_att_fwd, &d), att_flops, 0, 0);
    ok = enc_check(be, cpu, &d, &h, run_att_bwd, &d.dqkv, &h.dqkv, 3 * NC, 1e-5 * (T + hs), 1e-4, "attention bwd");
    report(be, "attention bwd", shape, ok, time_median(be, run_att_bwd, &d), 2 * att_flops, 0, 0);
    enc_free(be, &d);
    if (tml_backend_is_gpu(be)) enc_free(cpu, &h);
}

static void bench_backend(TmlBackend *be, TmlBackend *cpu, int quick) {
    printf("\n# %s: %s\n", tml_backend_name(be), tml_backend_device(be));
    printf("%-18s %-5s %-40s %-9s %13s %s\n", "op", "dev", "shape", "check", "median", "rate");
    int big = tml_backend_is_gpu(be) && !quick;
    bench_sgemm(be, cpu, 0, quick ? 256 : big ? 4096 : 1024, quick ? 256 : big ? 4096 : 1024, quick ? 256 : big ? 4096 : 1024);
    bench_sgemm(be, cpu, 1, 4096, 256, 100);
    bench_embbag(be, cpu, 4096, 100, 40, 200000);
    bench_bag_sgd(be, cpu, quick ? 8192 : 65536, 100, 20, 40, quick ? 200000 : 2000000);
    bench_xent(be, cpu, 4096, 77);
    bench_bce(be, cpu, quick ? (1u << 18) : (1u << 22));
    bench_vector(be, cpu, quick ? (1u << 20) : big ? (1u << 26) : (1u << 23));
    bench_adamw_rows(be, cpu, 200000, 100, quick ? 20000 : 100000);
    bench_topk(be, cpu, 4096, 77, 5);
    bench_encoder_ops(be, cpu, 32, quick ? 32 : 64);
}

int main(int argc, char **argv) {
    int quick = 0, want_cpu = 1, want_cuda = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
            const char *d = argv[++i];
            want_cpu = !strcmp(d, "cpu") || !strcmp(d, "all");
            want_cuda = !strcmp(d, "cuda") || !strcmp(d, "all");
        } else {
            fprintf(stderr, "usage: bench_ops [--quick] [--device cpu|cuda|all]\n");
            return 2;
        }
    }
    TmlError err;
    TmlBackend *cpu = tml_backend_create(TML_DEVICE_CPU, 1, &err);
    if (!cpu) {
        fprintf(stderr, "bench_ops: %s\n", err.msg);
        return 1;
    }
    double t0 = tu_now();
    printf("bench_ops: median of %d samples per op%s; GB/s counts the bytes each op must move\n", SAMPLES,
           quick ? " (--quick)" : "");
    if (want_cpu) bench_backend(cpu, cpu, quick);
    if (want_cuda) {
        if (tml_backend_cuda_device_count() > 0) {
            TmlBackend *gpu = tml_backend_create(TML_DEVICE_CUDA, 1, &err);
            if (!gpu) {
                fprintf(stderr, "bench_ops: %s\n", err.msg);
                return 1;
            }
            bench_backend(gpu, cpu, quick);
            tml_backend_free(gpu);
        } else if (tu_require_cuda()) {
            fprintf(stderr, "bench_ops: TICKETML_REQUIRE_CUDA=1 but no CUDA device: CUDA benchmarks cannot run\n");
            return 1;
        } else {
            printf("\n# cuda: no CUDA device here; CUDA benchmarks not run\n");
        }
    }
    tml_backend_free(cpu);
    printf("\nbench_ops: %s in %.1f s\n", g_failures ? "VALIDATION FAILED" : "all fast paths validated", tu_now() - t0);
    return g_failures ? 1 : 0;
}
