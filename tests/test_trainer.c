/* test_trainer.c — the trainer on the CPU backend: whole-model gradients against finite
 * differences (linear, embedding + hidden, tabular MLP, one-vs-all), learning a separable toy
 * problem, bit-reproducibility by seed, growing the class count, optimizer schedules. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trainer/batch.h"
#include "trainer/net.h"
#include "tests/util_test.h"
#include "trainer/optim.h"
#include "ticketml/rng.h"

static TmlBackend *cpu(void) {
    TmlError err;
    TmlBackend *be = tml_backend_create(TML_DEVICE_CPU, 1, &err);
    assert_non_null(be);
    return be;
}

/* A toy text dataset: n rows of 6 ids each over V features; the class c is drawn first, three ids
 * are congruent to c mod C and three are random, so a bag of ids (order-free) can learn it.
 * Caller frees with tml_dataset_free. */
static TmlDataset *toy_text(int64_t n, int V, int C, uint64_t seed, int weighted) {
    TmlDataset *d = calloc(1, sizeof *d);
    d->kind = TML_DATA_TEXT;
    d->n_rows = n;
    d->offsets = malloc((size_t)(n + 1) * sizeof(int64_t));
    d->ids = malloc((size_t)n * 6 * sizeof(int32_t));
    d->labels = malloc((size_t)n * sizeof(int32_t));
    if (weighted) d->w = malloc((size_t)n * 6 * sizeof(float));
    TmlRng r;
    tml_rng_seed(&r, seed);
    d->offsets[0] = 0;
    for (int64_t i = 0; i < n; i++) {
        int c = (int)tml_rng_below(&r, (uint64_t)C);
        for (int j = 0; j < 6; j++) {
            int32_t id = (int32_t)tml_rng_below(&r, (uint64_t)V);
            if (j < 3) id = (int32_t)(c + C * tml_rng_below(&r, (uint64_t)(V / C)));
            d->ids[i * 6 + j] = id;
            if (weighted) d->w[i * 6 + j] = 0.2f + tml_rng_uniform_f(&r);
        }
        d->labels[i] = c;
        d->offsets[i + 1] = (i + 1) * 6;
    }
    return d;
}

static TmlDataset *toy_dense(int64_t n, int F, int C, uint64_t seed) {
    TmlDataset *d = calloc(1, sizeof *d);
    d->kind = TML_DATA_TABULAR;
    d->n_rows = n;
    d->dim = F;
    d->dense = malloc((size_t)n * F * sizeof(float));
    d->labels = malloc((size_t)n * sizeof(int32_t));
    TmlRng r;
    tml_rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) {
        float s = 0;
        for (int j = 0; j < F; j++) {
            float x = 2.0f * tml_rng_uniform_f(&r) - 1.0f;
            d->dense[i * F + j] = x;
            s += (j % 2 ? -1.0f : 1.0f) * x;
        }
        d->labels[i] = s > 0 ? 1 : 0;
        if (C > 2 && d->dense[i * F] > 0.5f) d->labels[i] = 2;
    }
    return d;
}

/* Mean loss of the loaded batch with the current weights. */
static double batch_loss(TmlNet *m) {
    float losses[64];
    tml_net_forward(m, losses);
    double s = 0;
    for (int i = 0; i < m->B; i++) s += losses[i];
    return s / m->B;
}

/* Central differences on a few entries of every parameter against the analytic gradient. The
 * loss is computed in float, so eps = 1e-2 balances truncation against rounding; the tolerance
 * 2e-3 + 3% of |g| covers both (typical relative error here is ~1e-4). */
static void check_gradients(TmlNet *m, TmlBatch *b) {
    TmlError err;
    assert_int_equal(tml_net_load_batch(m, b, &err), 0);
    for (int i = 0; i < m->n_params; i++) tml_zero(m->be, m->params[i].g, (size_t)(m->params[i].rows * m->params[i].cols) * sizeof(float));
    batch_loss(m);
    tml_net_backward(m, 1.0f / (float)b->B);
    for (int pi = 0; pi < m->n_params; pi++) {
        TmlParam *p = &m->params[pi];
        int64_t n = p->rows * p->cols;
        float *w = p->w, *g = p->g; /* CPU backend: device memory is host memory */
        int checked = 0;
        for (int64_t k = 0; k < n && checked < 12; k += 1 + n / 12) {
            /* for the sparse table, only rows the batch touches have a gradient */
            if (p->sparse) {
                int32_t row = (int32_t)(k / p->cols);
                int hit = 0;
                for (int64_t j = 0; j < b->nnz; j++) hit |= b->ids[j] == row;
                if (!hit) continue;
            }
            float keep = w[k];
            const float eps = 1e-2f;
            w[k] = keep + eps;
            double lp = batch_loss(m);
            w[k] = keep - eps;
            double lm = batch_loss(m);
            w[k] = keep;
            double num = (lp - lm) / (2.0 * eps);
            double tol = 2e-3 + 0.03 * fabs(num);
            if (fabs(num - g[k]) > tol)
                fail_msg("param %s[%lld]: analytic %.6f numeric %.6f", p->name, (long long)k, (double)g[k], num);
            checked++;
        }
        assert_true(checked > 0);
    }
}

static void grad_case(TmlNetSpec spec, TmlDataset *d, const float *cw, float smoothing) {
    TmlBackend *be = cpu();
    TmlError err;
    TmlNet *m = tml_net_create(be, &spec, 3, &err);
    assert_non_null(m);
    /* non-zero weights everywhere so every path carries gradient */
    TmlRng r;
    tml_rng_seed(&r, 11);
    for (int i = 0; i < m->n_params; i++)
        for (int64_t k = 0; k < m->params[i].rows * m->params[i].cols; k++)
            m->params[i].w[k] = 0.5f * (2.0f * tml_rng_uniform_f(&r) - 1.0f);
    assert_int_equal(tml_net_set_loss_options(m, cw, smoothing, &err), 0);
    assert_int_equal(tml_net_alloc_grads(m, &err), 0);
    TmlBatcher *bt = tml_batcher_new(d, spec.in_dim, 8, 1);
    const TmlBatch *b = tml_batcher_fill(bt, NULL, 3, 8);
    check_gradients(m, (TmlBatch *)b);
    tml_batcher_free(bt);
    tml_net_free(m);
    tml_backend_free(be);
}

static void test_grad_linear(void **state) {
    (void)state;
    TmlDataset *d = toy_text(40, 30, 4, 1, 1);
    TmlNetSpec s = {.arch = TML_ARCH_LINEAR, .loss = TML_LOSS_SOFTMAX, .in_dim = 30, .n_out = 4, .bag = TML_BAG_SUM};
    float cw[4] = {1.0f, 2.0f, 0.5f, 1.5f};
    grad_case(s, d, cw, 0.1f);
    tml_dataset_free(d);
}

static void test_grad_embed_hidden(void **state) {
    (void)state;
    TmlDataset *d = toy_text(40, 25, 3, 2, 0);
    TmlNetSpec s = {.arch = TML_ARCH_EMBED, .loss = TML_LOSS_SOFTMAX, .in_dim = 25, .dim = 5, .hidden = 7, .n_out = 3,
                      .bag = TML_BAG_MEAN};
    grad_case(s, d, NULL, 0.0f);
    s.hidden = 0;
    grad_case(s, d, NULL, 0.0f);
    tml_dataset_free(d);
}

static void test_grad_ova(void **state) {
    (void)state;
    TmlDataset *d = toy_text(40, 25, 3, 4, 0);
    TmlNetSpec s = {.arch = TML_ARCH_EMBED, .loss = TML_LOSS_OVA, .in_dim = 25, .dim = 6, .n_out = 3, .bag = TML_BAG_MEAN};
    grad_case(s, d, NULL, 0.0f);
    tml_dataset_free(d);
}

static void test_grad_tabular(void **state) {
    (void)state;
    TmlDataset *d = toy_dense(40, 5, 3, 5);
    TmlNetSpec s = {.arch = TML_ARCH_TABULAR, .loss = TML_LOSS_SOFTMAX, .in_dim = 5, .hidden = 6, .n_out = 3};
    grad_case(s, d, NULL, 0.0f);
    s.hidden = 0;
    grad_case(s, d, NULL, 0.0f);
    tml_dataset_free(d);
}

/* Plain SGD / AdamW loops over a dataset; returns training accuracy at the end. */
static double fit(TmlNet *m, TmlDataset *d, TmlOptimConfig *oc, int epochs, int B) {
    TmlError err;
    assert_int_equal(tml_net_alloc_grads(m, &err), 0);
    TmlBatcher *bt = tml_batcher_new(d, m->spec.in_dim, B, m->E != NULL);
    int64_t steps = epochs * ((d->n_rows + B - 1) / B), t = 0;
    for (int e = 0; e < epochs; e++)
        for (int64_t s = 0; s < d->n_rows; s += B) {
            int n = (int)(d->n_rows - s < B ? d->n_rows - s : B);
            const TmlBatch *b = tml_batcher_fill(bt, NULL, s, n);
            assert_int_equal(tml_net_load_batch(m, b, &err), 0);
            tml_net_forward(m, NULL);
            tml_net_backward(m, 1.0f / (float)n);
            assert_true(tml_optim_step(m, oc, tml_lr_at(oc, t, steps), t + 1, 0, &err) >= 0);
            t++;
        }
    int64_t ok = 0;
    int C = m->spec.n_out;
    for (int64_t s = 0; s < d->n_rows; s += B) {
        int n = (int)(d->n_rows - s < B ? d->n_rows - s : B);
        const TmlBatch *b = tml_batcher_fill(bt, NULL, s, n);
        assert_int_equal(tml_net_load_batch(m, b, &err), 0);
        tml_net_forward(m, NULL);
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int c = 1; c < C; c++)
                if (m->d_probs[i * C + c] > m->d_probs[i * C + best]) best = c;
            ok += best == d->labels[s + i];
        }
    }
    tml_batcher_free(bt);
    return (double)ok / (double)d->n_rows;
}

static void test_learns_and_reproduces(void **state) {
    (void)state;
    TmlBackend *be = cpu();
    TmlError err;
    TmlDataset *d = toy_text(2000, 200, 5, 9, 0);
    TmlNetSpec s = {.arch = TML_ARCH_EMBED, .loss = TML_LOSS_SOFTMAX, .in_dim = 200, .dim = 16, .n_out = 5,
                      .bag = TML_BAG_MEAN};
    TmlOptimConfig oc = {.kind = TML_OPT_ADAMW, .lr = 0.02, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
                         .schedule = TML_SCHED_LINEAR};
    TmlNet *a = tml_net_create(be, &s, 42, &err), *b = tml_net_create(be, &s, 42, &err);
    double acc_a = fit(a, d, &oc, 8, 32), acc_b = fit(b, d, &oc, 8, 32);
    /* three of six ids carry the class: a bag model gets nearly all rows, chance is 0.2 */
    assert_true(acc_a > 0.9);
    assert_true(acc_a == acc_b);
    for (int i = 0; i < a->n_params; i++)
        assert_memory_equal(a->params[i].w, b->params[i].w, (size_t)(a->params[i].rows * a->params[i].cols) * sizeof(float));
    /* a different seed gives different weights */
    TmlNet *c = tml_net_create(be, &s, 43, &err);
    fit(c, d, &oc, 1, 32);
    assert_true(memcmp(a->E->w, c->E->w, (size_t)(a->E->rows * a->E->cols) * sizeof(float)) != 0);
    tml_net_free(a);
    tml_net_free(b);
    tml_net_free(c);
    tml_dataset_free(d);
    tml_backend_free(be);
}

/* Training accuracy after per-example SGD (net_sgd.c) over d in chunks of 300 rows, lr decaying
 * linearly from lr to 0 over all epochs. */
static double sgd_fit(TmlNet *m, TmlDataset *d, int epochs, double lr, int workers) {
    TmlError err;
    TmlBatcher *bt = tml_batcher_new(d, m->spec.in_dim, 300, 0);
    double total = (double)epochs * (double)d->n_rows, done = 0;
    for (int e = 0; e < epochs; e++)
        for (int64_t s = 0; s < d->n_rows; s += 300) {
            int n = (int)(d->n_rows - s < 300 ? d->n_rows - s : 300);
            const TmlBatch *b = tml_batcher_fill(bt, NULL, s, n);
            float lr0 = (float)(lr * (1.0 - done / total)), lr1 = (float)(lr * (1.0 - (done + n) / total));
            assert_int_equal(tml_net_sgd_chunk(m, b, lr0, lr1, workers, &err), 0);
            done += n;
        }
    assert_true(tml_net_take_loss(m) > 0.0);
    float *probs = tu_xmalloc(sizeof(float) * (size_t)d->n_rows * m->spec.n_out);
    assert_int_equal(tml_net_score(m, d, 64, probs, &err), 0);
    int64_t ok = 0;
    for (int64_t i = 0; i < d->n_rows; i++) {
        int best = 0;
        for (int c = 1; c < m->spec.n_out; c++)
            if (probs[i * m->spec.n_out + c] > probs[i * m->spec.n_out + best]) best = c;
        ok += best == d->labels[i];
    }
    free(probs);
    tml_batcher_free(bt);
    return (double)ok / (double)d->n_rows;
}

/* The per-example path learns the toy task, one worker gives the same bits twice, and Hogwild over
 * every thread learns it as well; the linear model too. */
static void test_sgd_path_learns_and_reproduces(void **state) {
    (void)state;
    TmlBackend *be = cpu();
    TmlError err;
    TmlDataset *d = toy_text(2000, 200, 5, 9, 0);
    TmlNetSpec s = {.arch = TML_ARCH_EMBED, .loss = TML_LOSS_SOFTMAX, .in_dim = 200, .dim = 16, .n_out = 5,
                    .bag = TML_BAG_MEAN};
    TmlNet *a = tml_net_create(be, &s, 42, &err), *b = tml_net_create(be, &s, 42, &err);
    assert_null(tml_net_sgd_unsupported(a, 1, 0, 0));
    double acc_a = sgd_fit(a, d, 5, 0.2, 1), acc_b = sgd_fit(b, d, 5, 0.2, 1);
    assert_true(acc_a > 0.9);
    assert_true(acc_a == acc_b);
    for (int i = 0; i < a->n_params; i++) {
        assert_memory_equal(a->params[i].w, b->params[i].w, (size_t)(a->params[i].rows * a->params[i].cols) * sizeof(float));
        assert_null(a->params[i].g); /* per-example SGD needs no gradient buffers */
    }
    TmlNet *h = tml_net_create(be, &s, 42, &err);
    assert_true(sgd_fit(h, d, 5, 0.2, 0) > 0.9);
    TmlNetSpec lin = {.arch = TML_ARCH_LINEAR, .loss = TML_LOSS_SOFTMAX, .in_dim = 200, .n_out = 5, .bag = TML_BAG_MEAN};
    TmlNet *l = tml_net_create(be, &lin, 42, &err);
    assert_true(sgd_fit(l, d, 5, 0.5, 1) > 0.9);
    /* what it cannot train, it says */
    TmlNetSpec hid = s;
    hid.hidden = 8;
    TmlNet *x = tml_net_create(be, &hid, 1, &err);
    assert_non_null(tml_net_sgd_unsupported(x, 1, 0, 0));
    assert_non_null(tml_net_sgd_unsupported(a, 0, 0, 0));
    assert_non_null(tml_net_sgd_unsupported(a, 1, 0.01, 0));
    tml_net_free(a), tml_net_free(b), tml_net_free(h), tml_net_free(l), tml_net_free(x);
    tml_dataset_free(d);
    tml_backend_free(be);
}

/* The batcher's occurrence lists: every position once, grouped under its id, ascending, ids distinct
 * in order of first appearance; a second batch (new serial) starts clean. */
static void test_batch_occurrence_lists(void **state) {
    (void)state;
    TmlDataset *d = toy_text(300, 40, 3, 6, 0);
    TmlBatcher *bt = tml_batcher_new(d, 40, 64, 1);
    for (int round = 0; round < 3; round++) {
        const TmlBatch *b = tml_batcher_fill(bt, NULL, round * 64, 64);
        assert_non_null(b);
        int *seen = calloc((size_t)b->nnz + 1, sizeof(int));
        assert_int_equal(b->uoff[0], 0);
        assert_int_equal(b->uoff[b->n_uniq], b->nnz);
        for (int u = 0; u < b->n_uniq; u++) {
            for (int v = 0; v < u; v++) assert_int_not_equal(b->uniq[u], b->uniq[v]);
            assert_true(b->uoff[u + 1] > b->uoff[u]);
            for (int32_t k = b->uoff[u]; k < b->uoff[u + 1]; k++) {
                assert_int_equal(b->ids[b->occ[k]], b->uniq[u]);
                if (k > b->uoff[u]) assert_true(b->occ[k] > b->occ[k - 1]);
                seen[b->occ[k]]++;
            }
            /* first appearance order: the group's first position beats every later group's */
            if (u > 0) assert_true(b->occ[b->uoff[u]] > b->occ[b->uoff[u - 1]]);
        }
        for (int64_t j = 0; j < b->nnz; j++) assert_int_equal(seen[j], 1);
        free(seen);
    }
    tml_batcher_free(bt);
    tml_dataset_free(d);
}

/* Gradient buffers exist only for mini-batch training, never for a frozen embedding table. */
static void test_gradients_only_when_needed(void **state) {
    (void)state;
    TmlBackend *be = cpu();
    TmlError err;
    TmlNetSpec s = {.arch = TML_ARCH_EMBED, .loss = TML_LOSS_SOFTMAX, .in_dim = 50, .dim = 4, .hidden = 3, .n_out = 3,
                    .bag = TML_BAG_MEAN};
    TmlNet *m = tml_net_create(be, &s, 5, &err);
    for (int i = 0; i < m->n_params; i++) assert_null(m->params[i].g);
    m->freeze_embeddings = 1;
    assert_int_equal(tml_net_alloc_grads(m, &err), 0);
    for (int i = 0; i < m->n_params; i++) {
        if (&m->params[i] == m->E) assert_null(m->params[i].g);
        else assert_non_null(m->params[i].g);
    }
    tml_net_free(m);
    tml_backend_free(be);
}

static void test_tabular_sgd_learns(void **state) {
    (void)state;
    TmlBackend *be = cpu();
    TmlError err;
    TmlDataset *d = toy_dense(1000, 6, 2, 3);
    TmlNetSpec s = {.arch = TML_ARCH_TABULAR, .loss = TML_LOSS_SOFTMAX, .in_dim = 6, .n_out = 2};
    TmlOptimConfig oc = {.kind = TML_OPT_SGD, .lr = 0.5, .schedule = TML_SCHED_CONSTANT};
    TmlNet *m = tml_net_create(be, &s, 1, &err);
    assert_true(fit(m, d, &oc, 20, 50) > 0.95); /* linearly separable by construction */
    tml_net_free(m);
    tml_dataset_free(d);
    tml_backend_free(be);
}

static void test_grow_classes_keeps_weights(void **state) {
    (void)state;
    TmlBackend *be = cpu();
    TmlError err;
    TmlNetSpec s = {.arch = TML_ARCH_EMBED, .loss = TML_LOSS_SOFTMAX, .in_dim = 50, .dim = 4, .hidden = 3, .n_out = 3,
                      .bag = TML_BAG_MEAN};
    TmlNet *m = tml_net_create(be, &s, 5, &err);
    for (int64_t k = 0; k < 3; k++) m->b2->w[k] = (float)(k + 1);
    TmlNet *g = tml_net_grow_classes(m, 5, 9, &err);
    assert_non_null(g);
    assert_int_equal(g->spec.n_out, 5);
    assert_memory_equal(g->E->w, m->E->w, 50 * 4 * sizeof(float));
    assert_memory_equal(g->W1->w, m->W1->w, 4 * 3 * sizeof(float));
    for (int r = 0; r < 3; r++) assert_memory_equal(g->W2->w + r * 5, m->W2->w + r * 3, 3 * sizeof(float));
    assert_true(g->b2->w[0] == 1.0f && g->b2->w[2] == 3.0f && g->b2->w[3] == 0.0f);
    tml_net_free(g);
    tml_net_free(m);
    tml_backend_free(be);
}

static void test_lr_schedules(void **state) {
    (void)state;
    TmlOptimConfig c = {.lr = 1.0, .schedule = TML_SCHED_LINEAR, .warmup = 10};
    assert_true(fabs(tml_lr_at(&c, 0, 110) - 0.1) < 1e-12); /* warmup ramps from lr/10 */
    assert_true(fabs(tml_lr_at(&c, 9, 110) - 1.0) < 1e-12);
    assert_true(fabs(tml_lr_at(&c, 60, 110) - 0.5) < 1e-12); /* halfway through the decay */
    c.schedule = TML_SCHED_COSINE;
    c.warmup = 0;
    assert_true(fabs(tml_lr_at(&c, 50, 100) - 0.5) < 1e-12);
    c.schedule = TML_SCHED_CONSTANT;
    assert_true(tml_lr_at(&c, 99, 100) == 1.0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grad_linear),        cmocka_unit_test(test_grad_embed_hidden),
        cmocka_unit_test(test_grad_ova),           cmocka_unit_test(test_grad_tabular),
        cmocka_unit_test(test_learns_and_reproduces), cmocka_unit_test(test_tabular_sgd_learns),
        cmocka_unit_test(test_grow_classes_keeps_weights), cmocka_unit_test(test_lr_schedules),
        cmocka_unit_test(test_sgd_path_learns_and_reproduces), cmocka_unit_test(test_gradients_only_when_needed),
        cmocka_unit_test(test_batch_occurrence_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
