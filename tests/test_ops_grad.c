/* test_ops_grad.c — every backward op of the CPU reference against central finite differences of
 * its forward op, and the optimizers against hand-computed updates. The CPU backend's buffers are
 * host memory, so the tests perturb parameters in place.
 *
 * Finite differences: the ops run in float; the scalar objective L (a random projection of the
 * outputs, or the summed loss) is accumulated in double so only the outputs a perturbation touches
 * contribute rounding. With inputs of size ~1 and eps = 1e-2:
 *   - rounding: a few outputs of size ~1 with relative error 2^-24 ~ 6e-8, divided by 2*eps, gives
 *     ~1e-5 in the numeric derivative;
 *   - truncation of the central difference: eps^2/6 * |L'''| ~ 2e-5 for the smooth losses, exactly 0
 *     for the ops that are linear in the perturbed input (sgemm, bias, embedding bag).
 * FD_ATOL = 1e-3 and FD_RTOL = 1e-2 leave a wide margin over both, yet a wrong factor (missing 1/len,
 * missing class weight, sign, transposed operand) produces errors of order 1e-1..1 and fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/backend.h"
#include "tests/util_test.h"

#define FD_EPS 1e-2f
#define FD_ATOL 1e-3
#define FD_RTOL 1e-2

static TmlBackend *g_be;

static int setup(void **state) {
    TmlError err;
    g_be = tml_backend_create(TML_DEVICE_CPU, 1, &err);
    return g_be ? 0 : -1;
}
static int teardown(void **state) {
    tml_backend_free(g_be);
    return 0;
}

static float *floats(size_t n) { return tu_xmalloc(sizeof(float) * (n ? n : 1)); }

/* The objective as a function of the current contents of the parameter being checked. */
typedef double (*Objective)(void *ctx);

/* Compares grad[i] with (L(p+eps e_i) - L(p-eps e_i)) / 2eps for every i of p (n entries). */
static size_t fd_check(const char *what, float *p, const float *grad, size_t n, Objective L, void *ctx) {
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        float keep = p[i];
        p[i] = keep + FD_EPS;
        double lp = L(ctx);
        p[i] = keep - FD_EPS;
        double lm = L(ctx);
        p[i] = keep;
        double num = (lp - lm) / (2.0 * (double)FD_EPS);
        double err = fabs(num - (double)grad[i]);
        if (err > FD_ATOL + FD_RTOL * fabs(num)) {
            if (bad < 8) fprintf(stderr, "  %s[%zu]: analytic %.7g, numeric %.7g\n", what, i, grad[i], num);
            bad++;
        }
    }
    if (bad) fprintf(stderr, "  %s: %zu of %zu gradients off\n", what, bad, n);
    return bad;
}

static double dot(const float *a, const float *r, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * r[i];
    return s;
}

/* ---- linear layer: y = x W^T + b, L = sum r * y ---------------------------------------------- */
typedef struct Linear {
    int B, K, N;
    float *x, *W, *b, *y, *r;
} Linear;

static double linear_objective(void *ctx) {
    Linear *l = ctx;
    tml_sgemm(g_be, 0, 1, l->B, l->N, l->K, 1.0f, l->x, l->K, l->W, l->K, 0.0f, l->y, l->N);
    tml_bias_add_forward(g_be, l->y, l->b, l->B, l->N);
    return dot(l->y, l->r, (size_t)l->B * l->N);
}

static void test_grad_linear(void **state) {
    static const int shapes[][3] = {{1, 3, 2}, {4, 5, 3}, {7, 2, 9}};
    TuRng rng;
    tu_rng_seed(&rng, 21);
    for (size_t si = 0; si < 3; si++) {
        Linear l = {.B = shapes[si][0], .K = shapes[si][1], .N = shapes[si][2]};
        size_t xn = (size_t)l.B * l.K, wn = (size_t)l.N * l.K, yn = (size_t)l.B * l.N;
        l.x = floats(xn), l.W = floats(wn), l.b = floats(l.N), l.y = floats(yn), l.r = floats(yn);
        tu_fill_uniform(&rng, l.x, xn, -1, 1);
        tu_fill_uniform(&rng, l.W, wn, -1, 1);
        tu_fill_uniform(&rng, l.b, l.N, -1, 1);
        tu_fill_uniform(&rng, l.r, yn, -1, 1);
        /* backward with dy = r: dx = dy W, dW = dy^T x, db = column sums of dy */
        float *dx = floats(xn), *dW = floats(wn), *db = floats(l.N);
        tml_sgemm(g_be, 0, 0, l.B, l.K, l.N, 1.0f, l.r, l.N, l.W, l.K, 0.0f, dx, l.K);
        tml_sgemm(g_be, 1, 0, l.N, l.K, l.B, 1.0f, l.r, l.N, l.x, l.K, 0.0f, dW, l.K);
        memset(db, 0, sizeof(float) * l.N);
        tml_bias_add_backward(g_be, db, l.r, l.B, l.N);
        assert_int_equal(fd_check("linear dx", l.x, dx, xn, linear_objective, &l), 0);
        assert_int_equal(fd_check("linear dW", l.W, dW, wn, linear_objective, &l), 0);
        assert_int_equal(fd_check("linear db", l.b, db, l.N, linear_objective, &l), 0);
        free(l.x), free(l.W), free(l.b), free(l.y), free(l.r), free(dx), free(dW), free(db);
    }
}

/* ---- ReLU ----------------------------------------------------------------------------------- */
typedef struct Relu {
    size_t n;
    float *x, *y, *r;
} Relu;

static double relu_objective(void *ctx) {
    Relu *u = ctx;
    tml_relu_forward(g_be, u->y, u->x, u->n);
    return dot(u->y, u->r, u->n);
}

static void test_grad_relu(void **state) {
    TuRng rng;
    tu_rng_seed(&rng, 22);
    Relu u = {37, floats(37), floats(37), floats(37)};
    /* keep |x| >= 0.1 > eps so no perturbation crosses the kink at 0 */
    for (size_t i = 0; i < u.n; i++) {
        float v = tu_rng_uniform(&rng, 0.1f, 1.0f);
        u.x[i] = i % 2 ? v : -v;
    }
    tu_fill_uniform(&rng, u.r, u.n, -1, 1);
    relu_objective(&u);
    float *dx = floats(u.n);
    tml_relu_backward(g_be, dx, u.r, u.y, u.n);
    assert_int_equal(fd_check("relu dx", u.x, dx, u.n, relu_objective, &u), 0);
    free(u.x), free(u.y), free(u.r), free(dx);
}

/* ---- embedding bag -------------------------------------------------------------------------- */
typedef struct Bag {
    int B, D, V;
    TmlBagMode mode;
    int64_t *off;
    int32_t *ids;
    float *w, *E, *out, *r;
} Bag;

static double bag_objective(void *ctx) {
    Bag *g = ctx;
    tml_embbag_forward(g_be, g->out, g->E, g->off, g->ids, g->w, g->B, g->D, g->mode);
    return dot(g->out, g->r, (size_t)g->B * g->D);
}

static void check_bag(TmlBagMode mode, int weighted) {
    TuRng rng;
    tu_rng_seed(&rng, 23 + mode * 2 + weighted);
    /* 4 bags in a CSR window starting at 2: lengths 3, 0 (empty), 4 (a duplicate id), 1; id 5 unused */
    static const int64_t off[5] = {2, 5, 5, 9, 10};
    static const int32_t ids[10] = {4, 4, 0, 1, 2, 3, 0, 3, 3, 1};
    Bag g = {.B = 4, .D = 5, .V = 6, .mode = mode, .off = (int64_t *)off, .ids = (int32_t *)ids};
    size_t vd = (size_t)g.V * g.D, bd = (size_t)g.B * g.D;
    g.E = floats(vd), g.out = floats(bd), g.r = floats(bd);
    tu_fill_uniform(&rng, g.E, vd, -1, 1);
    tu_fill_uniform(&rng, g.r, bd, -1, 1);
    if (weighted) {
        g.w = floats(10);
        tu_fill_uniform(&rng, g.w, 10, -2, 2);
    }
    float *dE = floats(vd);
    memset(dE, 0, sizeof(float) * vd);
    tml_embbag_backward(g_be, dE, g.r, g.off, g.ids, g.w, g.B, g.D, g.mode);
    char what[64];
    snprintf(what, sizeof what, "embbag %s%s dE", mode == TML_BAG_MEAN ? "mean" : "sum", weighted ? " weighted" : "");
    assert_int_equal(fd_check(what, g.E, dE, vd, bag_objective, &g), 0);
    for (int d = 0; d < g.D; d++) assert_true(dE[5 * g.D + d] == 0.0f); /* untouched row stays 0 */
    free(g.E), free(g.out), free(g.r), free(g.w), free(dE);
}

static void test_grad_embbag(void **state) {
    check_bag(TML_BAG_SUM, 0);
    check_bag(TML_BAG_MEAN, 0);
    check_bag(TML_BAG_SUM, 1);
    check_bag(TML_BAG_MEAN, 1);
}

/* ---- softmax cross-entropy ------------------------------------------------------------------ */
typedef struct Xent {
    int B, C;
    float smoothing, scale;
    const int32_t *labels;
    const float *cw;
    float *logits, *probs, *losses;
} Xent;

static double xent_objective(void *ctx) {
    Xent *x = ctx;
    tml_softmax_xent_forward(g_be, x->probs, x->losses, x->logits, x->labels, x->cw, x->smoothing, x->B, x->C);
    double s = 0;
    for (int b = 0; b < x->B; b++) s += x->losses[b];
    return x->scale * s;
}

static void test_grad_softmax_xent(void **state) {
    static const int32_t labels[5] = {2, -1, 0, 6, 3}; /* row 1 ignored */
    float cw[7] = {0.5f, 1.0f, 2.0f, 1.5f, 0.7f, 1.0f, 3.0f};
    TuRng rng;
    tu_rng_seed(&rng, 24);
    for (int variant = 0; variant < 3; variant++) {
        Xent x = {5, 7, variant ? 0.1f : 0.0f, 0.2f, labels, variant == 2 ? cw : NULL, NULL, NULL, NULL};
        size_t n = (size_t)x.B * x.C;
        x.logits = floats(n), x.probs = floats(n), x.losses = floats(x.B);
        tu_fill_uniform(&rng, x.logits, n, -3, 3);
        xent_objective(&x);
        float *dl = floats(n);
        tml_softmax_xent_backward(g_be, dl, x.probs, x.labels, x.cw, x.smoothing, x.B, x.C, x.scale);
        char what[64];
        snprintf(what, sizeof what, "softmax xent variant %d dlogits", variant);
        assert_int_equal(fd_check(what, x.logits, dl, n, xent_objective, &x), 0);
        free(x.logits), free(x.probs), free(x.losses), free(dl);
    }
}

/* ---- sigmoid BCE ---------------------------------------------------------------------------- */
typedef struct Bce {
    size_t n;
    float scale;
    const float *t, *pw;
    float *x, *p, *l;
} Bce;

static double bce_objective(void *ctx) {
    Bce *b = ctx;
    tml_sigmoid_bce_forward(g_be, b->p, b->l, b->x, b->t, b->pw, b->n);
    double s = 0;
    for (size_t i = 0; i < b->n; i++) s += b->l[i];
    return b->scale * s;
}

static void test_grad_sigmoid_bce(void **state) {
    TuRng rng;
    tu_rng_seed(&rng, 25);
    size_t n = 24;
    float *t = floats(n), *pw = floats(n);
    tu_fill_uniform(&rng, t, n, 0, 1); /* soft targets */
    t[0] = 0.0f, t[1] = 1.0f;
    tu_fill_uniform(&rng, pw, n, 0.2f, 4);
    for (int weighted = 0; weighted < 2; weighted++) {
        Bce b = {n, 0.5f, t, weighted ? pw : NULL, floats(n), floats(n), floats(n)};
        tu_fill_uniform(&rng, b.x, n, -6, 6);
        b.x[0] = 0.3f; /* the x > 0 / x <= 0 branches meet at 0: keep clear of it by more than eps */
        for (size_t i = 0; i < n; i++)
            if (fabsf(b.x[i]) < 0.05f) b.x[i] = 0.05f;
        bce_objective(&b);
        float *dl = floats(n);
        tml_sigmoid_bce_backward(g_be, dl, b.p, b.t, b.pw, n, b.scale);
        assert_int_equal(fd_check(weighted ? "bce weighted dlogits" : "bce dlogits", b.x, dl, n, bce_objective, &b), 0);
        free(b.x), free(b.p), free(b.l), free(dl);
    }
    free(t), free(pw);
}

/* ---- optimizers: hand-computed -------------------------------------------------------------- */
static void test_sgd_dense_by_hand(void **state) {
    /* w -= lr (g + wd w), lr 0.1, wd 0.01:
     * 1 - 0.1 (0.1 + 0.01) = 0.989; -2 - 0.1 (0.2 - 0.02) = -2.018; 0.5 - 0.1 (-0.3 + 0.005) = 0.5295 */
    float w[3] = {1.0f, -2.0f, 0.5f}, g[3] = {0.1f, 0.2f, -0.3f};
    tml_sgd_update(g_be, w, g, 3, 0.1f, 0.01f);
    assert_float_equal(w[0], 0.989f, 1e-6f);
    assert_float_equal(w[1], -2.018f, 1e-6f);
    assert_float_equal(w[2], 0.5295f, 1e-6f);
    assert_float_equal(g[0], 0.1f, 0.0f); /* gradient untouched */
}

static void test_adamw_dense_by_hand(void **state) {
    /* lr 0.01, b1 0.9, b2 0.999, eps 1e-8, wd 0.1.
     * Step 1 (g = 0.5, w = 1): m = 0.05, v = 0.00025, mhat = g, vhat = g^2, so the step is
     * g/(|g|+eps) + wd w = 1 + 0.1: w = 1 - 0.01 * 1.1 = 0.989 (0.9890000002 with eps).
     * Step 2 (g = -0.25): m = 0.9*0.05 - 0.025 = 0.02, v = 0.999*0.00025 + 0.001*0.0625 = 0.00031225,
     * mhat = 0.02/0.19, vhat = 0.00031225/0.001999, w = 0.989 - 0.01 (mhat/sqrt(vhat) + 0.0989)
     * = 0.98534763 (values computed in double). Second element: w = -2, g = -1e-3 then 2.0. */
    float w[2] = {1.0f, -2.0f}, m[2] = {0, 0}, v[2] = {0, 0};
    float g1[2] = {0.5f, -1e-3f}, g2[2] = {-0.25f, 2.0f};
    tml_adamw_update(g_be, w, g1, m, v, 2, 0.01f, 0.9f, 0.999f, 1e-8f, 0.1f, 1);
    assert_float_equal(w[0], 0.9890000002f, 1e-6f);
    assert_float_equal(w[1], -1.988000099999f, 1e-6f);
    /* float(1 - 0.9) and float(1 - 0.999) carry relative errors of 2e-7 and 1.3e-5: m and v are
     * compared with relative tolerances above those, w (which the bias correction normalises) at 1e-6 */
    assert_float_equal(m[0], 0.05f, 1e-6f * 0.05f);
    assert_float_equal(v[0], 0.00025f, 1e-4f * 0.00025f);
    tml_adamw_update(g_be, w, g2, m, v, 2, 0.01f, 0.9f, 0.999f, 1e-8f, 0.1f, 2);
    assert_float_equal(w[0], 0.9853476298705847f, 1e-6f);
    assert_float_equal(w[1], -1.9934501185375606f, 1e-6f);
    assert_float_equal(m[0], 0.02f, 1e-5f * 0.02f);
    assert_float_equal(v[0], 0.00031225f, 1e-4f * 0.00031225f);
    assert_float_equal(m[1], 0.19990999999999995f, 1e-6f * 0.2f);
    assert_float_equal(v[1], 0.0040000009990000035f, 1e-4f * 0.004f);
}

/* Row versions = dense updates on the listed rows; every other row of W (and M, V) is untouched,
 * listed rows of G are zeroed, other rows of G (and all-zero G rows) keep their values. */
static void test_optim_rows_match_dense(void **state) {
    enum { V = 9, D = 6 };
    const int32_t rows[4] = {7, 0, 3, 8};
    int listed[V] = {0};
    for (int i = 0; i < 4; i++) listed[rows[i]] = 1;
    TuRng rng;
    tu_rng_seed(&rng, 26);
    float W0[V * D], G0[V * D], M0[V * D], V0[V * D];
    tu_fill_uniform(&rng, W0, V * D, -1, 1);
    tu_fill_uniform(&rng, G0, V * D, -1, 1);
    tu_fill_uniform(&rng, M0, V * D, -0.1f, 0.1f);
    tu_fill_uniform(&rng, V0, V * D, 0, 0.01f);
    memset(G0 + 3 * D, 0, sizeof(float) * D); /* a listed row whose gradient is all zero */
    for (int opt = 0; opt < 2; opt++) {
        float W[V * D], G[V * D], M[V * D], Vv[V * D], Wd[V * D], Md[V * D], Vd[V * D];
        memcpy(W, W0, sizeof W), memcpy(G, G0, sizeof G), memcpy(M, M0, sizeof M), memcpy(Vv, V0, sizeof Vv);
        memcpy(Wd, W0, sizeof W), memcpy(Md, M0, sizeof M), memcpy(Vd, V0, sizeof Vv);
        if (opt == 0) {
            tml_sgd_update_rows(g_be, W, G, rows, 4, D, 0.1f, 0.01f);
            tml_sgd_update(g_be, Wd, G0, V * D, 0.1f, 0.01f);
        } else {
            tml_adamw_update_rows(g_be, W, G, M, Vv, rows, 4, D, 0.01f, 0.9f, 0.999f, 1e-8f, 0.1f, 5);
            tml_adamw_update(g_be, Wd, G0, Md, Vd, V * D, 0.01f, 0.9f, 0.999f, 1e-8f, 0.1f, 5);
        }
        for (int r = 0; r < V; r++) {
            size_t o = (size_t)r * D;
            if (listed[r]) {
                assert_memory_equal(W + o, Wd + o, sizeof(float) * D);
                if (opt == 1) {
                    assert_memory_equal(M + o, Md + o, sizeof(float) * D);
                    assert_memory_equal(Vv + o, Vd + o, sizeof(float) * D);
                }
                for (int d = 0; d < D; d++) assert_true(G[o + d] == 0.0f);
            } else {
                assert_memory_equal(W + o, W0 + o, sizeof(float) * D);
                assert_memory_equal(G + o, G0 + o, sizeof(float) * D);
                assert_memory_equal(M + o, M0 + o, sizeof(float) * D);
                assert_memory_equal(Vv + o, V0 + o, sizeof(float) * D);
            }
        }
        /* a listed row with zero gradient still decays (weight decay) under SGD */
        if (opt == 0) assert_true(W[3 * D] != W0[3 * D] || W0[3 * D] == 0.0f);
    }
}


/* ---- transformer encoder ops ---------------------------------------------------------------- */
/* Each objective is L = sum r * f(input) over the op's outputs, so the analytic gradient is the
 * op's backward applied to dy = r. */

typedef struct Emb {
    int N, D, V;
    const int32_t *ids;
    float *E, *out, *r;
} Emb;

static double emb_objective(void *ctx) {
    Emb *e = ctx;
    tml_embedding_forward(g_be, e->out, e->E, e->V, e->ids, e->N, e->D, 0);
    return dot(e->out, e->r, (size_t)e->N * e->D);
}

static void test_grad_embedding(void **state) {
    static const int32_t ids[7] = {3, 0, 3, 1, 3, 0, 4}; /* repeats; id 2 unused */
    TuRng rng;
    tu_rng_seed(&rng, 31);
    Emb e = {7, 5, 5, ids, floats(25), floats(35), floats(35)};
    tu_fill_uniform(&rng, e.E, 25, -1, 1);
    tu_fill_uniform(&rng, e.r, 35, -1, 1);
    float *dE = floats(25);
    memset(dE, 0, sizeof(float) * 25);
    tml_embedding_backward(g_be, dE, e.V, e.r, e.ids, e.N, e.D);
    assert_int_equal(fd_check("embedding dE", e.E, dE, 25, emb_objective, &e), 0);
    for (int d = 0; d < e.D; d++) assert_true(dE[2 * e.D + d] == 0.0f);
    free(e.E), free(e.out), free(e.r), free(dE);
}

typedef struct Ln {
    int N, C;
    float *x, *w, *b, *y, *mean, *rstd, *r;
} Ln;

static double ln_objective(void *ctx) {
    Ln *l = ctx;
    tml_layernorm_forward(g_be, l->y, l->mean, l->rstd, l->x, l->w, l->b, l->N, l->C, 1e-5f);
    return dot(l->y, l->r, (size_t)l->N * l->C);
}

static void test_grad_layernorm(void **state) {
    static const int shapes[][2] = {{1, 2}, {4, 7}, {3, 32}};
    TuRng rng;
    tu_rng_seed(&rng, 32);
    for (size_t si = 0; si < 3; si++) {
        Ln l = {.N = shapes[si][0], .C = shapes[si][1]};
        size_t n = (size_t)l.N * l.C;
        l.x = floats(n), l.w = floats(l.C), l.b = floats(l.C), l.y = floats(n), l.r = floats(n);
        l.mean = floats(l.N), l.rstd = floats(l.N);
        tu_fill_uniform(&rng, l.x, n, -2, 2);
        tu_fill_uniform(&rng, l.w, l.C, 0.5f, 1.5f);
        tu_fill_uniform(&rng, l.b, l.C, -1, 1);
        tu_fill_uniform(&rng, l.r, n, -1, 1);
        ln_objective(&l);
        float *dx = floats(n), *dw = floats(l.C), *db = floats(l.C);
        memset(dw, 0, sizeof(float) * l.C), memset(db, 0, sizeof(float) * l.C);
        tml_layernorm_backward(g_be, dx, dw, db, l.r, l.x, l.mean, l.rstd, l.w, l.N, l.C);
        assert_int_equal(fd_check("layernorm dx", l.x, dx, n, ln_objective, &l), 0);
        assert_int_equal(fd_check("layernorm dw", l.w, dw, l.C, ln_objective, &l), 0);
        assert_int_equal(fd_check("layernorm db", l.b, db, l.C, ln_objective, &l), 0);
        free(l.x), free(l.w), free(l.b), free(l.y), free(l.r), free(l.mean), free(l.rstd), free(dx), free(dw), free(db);
    }
}

typedef struct Gelu {
    size_t n;
    float *x, *y, *r;
} Gelu;

static double gelu_objective(void *ctx) {
    Gelu *g = ctx;
    tml_gelu_forward(g_be, g->y, g->x, g->n);
    return dot(g->y, g->r, g->n);
}

static void test_grad_gelu(void **state) {
    TuRng rng;
    tu_rng_seed(&rng, 33);
    Gelu g = {41, floats(41), floats(41), floats(41)};
    tu_fill_uniform(&rng, g.x, g.n, -5, 5);
    g.x[0] = 0.0f;
    tu_fill_uniform(&rng, g.r, g.n, -1, 1);
    float *dx = floats(g.n);
    tml_gelu_backward(g_be, dx, g.r, g.x, g.n);
    assert_int_equal(fd_check("gelu dx", g.x, dx, g.n, gelu_objective, &g), 0);
    free(g.x), free(g.y), free(g.r), free(dx);
}

typedef struct Msm {
    int B, NH, T;
    float scale;
    const int32_t *lens;
    float *s, *p, *r;
} Msm;

static double msm_objective(void *ctx) {
    Msm *m = ctx;
    tml_masked_softmax_forward(g_be, m->p, m->s, m->lens, m->B, m->NH, m->T, m->scale);
    return dot(m->p, m->r, (size_t)m->B * m->NH * m->T * m->T);
}

static void test_grad_masked_softmax(void **state) {
    static const int32_t lens[3] = {5, 2, 0};
    TuRng rng;
    tu_rng_seed(&rng, 34);
    Msm m = {.B = 3, .NH = 2, .T = 5, .scale = 0.7f, .lens = lens};
    size_t n = (size_t)m.B * m.NH * m.T * m.T;
    m.s = floats(n), m.p = floats(n), m.r = floats(n);
    tu_fill_uniform(&rng, m.s, n, -2, 2);
    tu_fill_uniform(&rng, m.r, n, -1, 1);
    msm_objective(&m);
    float *ds = floats(n);
    tml_masked_softmax_backward(g_be, ds, m.r, m.p, m.B, m.NH, m.T, m.scale);
    assert_int_equal(fd_check("masked softmax dscores", m.s, ds, n, msm_objective, &m), 0);
    free(m.s), free(m.p), free(m.r), free(ds);
}

typedef struct Drop {
    size_t n;
    float p;
    uint64_t seed;
    float *x, *y, *r;
} Drop;

static double drop_objective(void *ctx) {
    Drop *d = ctx;
    tml_dropout_forward(g_be, d->y, d->x, d->n, d->p, d->seed);
    return dot(d->y, d->r, d->n);
}

static void test_grad_dropout(void **state) {
    TuRng rng;
    tu_rng_seed(&rng, 35);
    Drop d = {64, 0.3f, 77, floats(64), floats(64), floats(64)};
    tu_fill_uniform(&rng, d.x, d.n, -1, 1);
    tu_fill_uniform(&rng, d.r, d.n, -1, 1);
    float *dx = floats(d.n);
    tml_dropout_backward(g_be, dx, d.r, d.n, d.p, d.seed);
    assert_int_equal(fd_check("dropout dx", d.x, dx, d.n, drop_objective, &d), 0);
    int zeros = 0;
    for (size_t i = 0; i < d.n; i++) zeros += dx[i] == 0.0f;
    assert_true(zeros > 0 && zeros < (int)d.n); /* the mask drops some, keeps some */
    free(d.x), free(d.y), free(d.r), free(dx);
}

typedef struct Pool {
    int B, T, C;
    TmlPoolMode mode;
    const int32_t *lens;
    float *h, *out, *r;
} Pool;

static double pool_objective(void *ctx) {
    Pool *p = ctx;
    tml_pool_forward(g_be, p->out, p->h, p->lens, p->B, p->T, p->C, p->mode);
    return dot(p->out, p->r, (size_t)p->B * p->C);
}

static void test_grad_pool(void **state) {
    static const int32_t lens[3] = {4, 1, 3};
    TuRng rng;
    tu_rng_seed(&rng, 36);
    for (int mode = 0; mode < 2; mode++) {
        Pool p = {.B = 3, .T = 4, .C = 5, .mode = (TmlPoolMode)mode, .lens = lens};
        size_t n = (size_t)p.B * p.T * p.C;
        p.h = floats(n), p.out = floats(15), p.r = floats(15);
        tu_fill_uniform(&rng, p.h, n, -1, 1);
        tu_fill_uniform(&rng, p.r, 15, -1, 1);
        float *dh = floats(n);
        tml_pool_backward(g_be, dh, p.r, p.lens, p.B, p.T, p.C, p.mode);
        assert_int_equal(fd_check(mode ? "pool cls dh" : "pool mean dh", p.h, dh, n, pool_objective, &p), 0);
        free(p.h), free(p.out), free(p.r), free(dh);
    }
}

typedef struct Att {
    int B, T, C, NH;
    float p;
    uint64_t seed;
    const int32_t *lens;
    float *qkv, *out, *saved, *scratch, *r;
} Att;

static double att_objective(void *ctx) {
    Att *a = ctx;
    tml_attention_forward(g_be, a->out, a->saved, a->scratch, a->qkv, a->lens, a->B, a->T, a->C, a->NH, a->p, a->seed);
    return dot(a->out, a->r, (size_t)a->B * a->T * a->C);
}

static void test_grad_attention(void **state) {
    static const int32_t lens[3] = {5, 3, 0};
    TuRng rng;
    tu_rng_seed(&rng, 37);
    for (int variant = 0; variant < 2; variant++) {
        Att a = {.B = 3, .T = 5, .C = 8, .NH = 2, .p = variant ? 0.25f : 0.0f, .seed = 5, .lens = lens};
        size_t n3 = (size_t)a.B * a.T * 3 * a.C, n1 = (size_t)a.B * a.T * a.C;
        a.qkv = floats(n3), a.out = floats(n1), a.r = floats(n1);
        a.saved = floats(tml_attention_saved_floats(g_be, a.B, a.T, a.C, a.NH));
        a.scratch = floats(tml_attention_scratch_floats(g_be, a.B, a.T, a.C, a.NH));
        tu_fill_uniform(&rng, a.qkv, n3, -1, 1);
        tu_fill_uniform(&rng, a.r, n1, -1, 1);
        att_objective(&a);
        float *dqkv = floats(n3);
        tml_attention_backward(g_be, dqkv, a.scratch, a.r, a.saved, a.qkv, a.lens, a.B, a.T, a.C, a.NH, a.p, a.seed);
        assert_int_equal(fd_check(variant ? "attention dqkv (dropout)" : "attention dqkv", a.qkv, dqkv, n3,
                                  att_objective, &a), 0);
        free(a.qkv), free(a.out), free(a.r), free(a.saved), free(a.scratch), free(dqkv);
    }
}

/* Tree objectives (tml_gbdt_gradients): g and h are the first and second derivatives of the
 * weighted loss in the score, checked by central differences of a double-precision loss (eps 1e-3:
 * truncation ~1e-7, so 1e-5 / 1e-4 bound float rounding of g and h). */
static double logistic_loss(double s, int y, double w) {
    double p = 1 / (1 + exp(-s));
    return -w * (y ? log(p) : log(1 - p));
}

static double softmax_loss(const double *s, int K, int y, double w) {
    double mx = s[0], z = 0;
    for (int k = 1; k < K; k++) mx = s[k] > mx ? s[k] : mx;
    for (int k = 0; k < K; k++) z += exp(s[k] - mx);
    return -w * (s[y] - mx - log(z));
}

static void test_gbdt_gradients_fd(void **state) {
    const double eps = 1e-3;
    float scores[4] = {-2.0f, 0.3f, 1.7f, 0.0f};
    int32_t labels[4] = {1, 0, 1, -1};
    float cw[2] = {0.5f, 3.0f}, gh[8];
    tml_gbdt_gradients(g_be, gh, scores, labels, cw, 4, 1);
    for (int i = 0; i < 3; i++) {
        double s = scores[i], w = cw[labels[i]];
        double lp = logistic_loss(s + eps, labels[i], w), l0 = logistic_loss(s, labels[i], w),
               lm = logistic_loss(s - eps, labels[i], w);
        assert_true(fabs(gh[2 * i] - (lp - lm) / (2 * eps)) < 1e-5);
        assert_true(fabs(gh[2 * i + 1] - (lp - 2 * l0 + lm) / (eps * eps)) < 1e-4);
    }
    assert_true(gh[6] == 0 && gh[7] == 0); /* label -1: ignored */
    /* softmax, 3 classes, 2 rows */
    float sm[6] = {0.2f, -1.0f, 0.5f, 2.0f, 0.1f, -0.3f};
    int32_t sl[2] = {2, 0};
    float g3[12];
    tml_gbdt_gradients(g_be, g3, sm, sl, NULL, 2, 3);
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 3; k++) {
            double s[3] = {sm[i * 3], sm[i * 3 + 1], sm[i * 3 + 2]}, l0 = softmax_loss(s, 3, sl[i], 1);
            s[k] += eps;
            double lp = softmax_loss(s, 3, sl[i], 1);
            s[k] -= 2 * eps;
            double lm = softmax_loss(s, 3, sl[i], 1);
            const float *o = g3 + ((size_t)k * 2 + i) * 2;
            assert_true(fabs(o[0] - (lp - lm) / (2 * eps)) < 1e-5);
            assert_true(fabs(o[1] - (lp - 2 * l0 + lm) / (eps * eps)) < 1e-4);
        }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gbdt_gradients_fd),
        cmocka_unit_test(test_grad_linear),
        cmocka_unit_test(test_grad_relu),
        cmocka_unit_test(test_grad_embbag),
        cmocka_unit_test(test_grad_softmax_xent),
        cmocka_unit_test(test_grad_sigmoid_bce),
        cmocka_unit_test(test_sgd_dense_by_hand),
        cmocka_unit_test(test_adamw_dense_by_hand),
        cmocka_unit_test(test_optim_rows_match_dense),
        cmocka_unit_test(test_grad_embedding),
        cmocka_unit_test(test_grad_layernorm),
        cmocka_unit_test(test_grad_gelu),
        cmocka_unit_test(test_grad_masked_softmax),
        cmocka_unit_test(test_grad_dropout),
        cmocka_unit_test(test_grad_pool),
        cmocka_unit_test(test_grad_attention),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
