/* test_train_cuda.c — end-to-end training on CUDA against the CPU: one epoch of the mini-batch GPU
 * step (pinned double-buffered batches, the by-rows embedding backward, the loss sum and the
 * clipping norm kept on the device) from the same initial weights on both backends must end with
 * the same loss and accuracy within tolerance; the per-example op on CUDA (Hogwild over warps) must
 * learn the task too. Skips without a device, fails then under TICKETML_REQUIRE_CUDA=1. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/util_test.h"
#include "ticketml/rng.h"
#include "trainer/batch.h"
#include "trainer/net.h"
#include "trainer/optim.h"

/* n rows of 12 ids over V features drawn from a Zipf law, half of them tied to the class (as
 * words of text are): a bag model learns it; frequent ids make the backward's rows collide. */
static TmlDataset *toy(int64_t n, int V, int C, uint64_t seed) {
    TmlDataset *d = calloc(1, sizeof *d);
    d->kind = TML_DATA_TEXT;
    d->n_rows = n;
    d->offsets = malloc((size_t)(n + 1) * sizeof(int64_t));
    d->ids = malloc((size_t)n * 12 * sizeof(int32_t));
    d->labels = malloc((size_t)n * sizeof(int32_t));
    TuRng r;
    tu_rng_seed(&r, seed);
    tu_fill_zipf(&r, d->ids, (size_t)n * 12, V, 1.0);
    d->offsets[0] = 0;
    for (int64_t i = 0; i < n; i++) {
        int c = tu_rng_int(&r, C);
        for (int j = 0; j < 6; j++) d->ids[i * 12 + j] = (int32_t)(d->ids[i * 12 + j] / C * C + c) % V;
        d->labels[i] = c;
        d->offsets[i + 1] = (i + 1) * 12;
    }
    return d;
}

typedef struct Result {
    double loss, acc;
    float *E; /* (V, D) host copy of the final table */
} Result;

static double accuracy(TmlNet *m, TmlDataset *d) {
    TmlError err;
    int C = m->spec.n_out;
    float *p = tu_xmalloc(sizeof(float) * (size_t)d->n_rows * C);
    assert_int_equal(tml_net_score(m, d, 256, p, &err), 0);
    int64_t ok = 0;
    for (int64_t i = 0; i < d->n_rows; i++) {
        int best = 0;
        for (int c = 1; c < C; c++)
            if (p[i * C + c] > p[i * C + best]) best = c;
        ok += best == d->labels[i];
    }
    free(p);
    return (double)ok / (double)d->n_rows;
}

/* One epoch of mini-batches of 128 rows on be, SGD with clipping, from seed's weights. */
static Result train_minibatch(TmlBackend *be, TmlDataset *d, const TmlNetSpec *s) {
    TmlError err;
    TmlNet *m = tml_net_create(be, s, 7, &err);
    assert_non_null(m);
    assert_int_equal(tml_net_set_loss_options(m, NULL, 0.0f, &err), 0);
    assert_int_equal(tml_net_alloc_grads(m, &err), 0);
    TmlOptimConfig oc = {.kind = TML_OPT_SGD, .lr = 2.0, .schedule = TML_SCHED_LINEAR, .clip = 5.0};
    TmlBatcher *bt = tml_batcher_new_pinned(d, s->in_dim, 128, 1, tml_backend_is_gpu(be) ? be : NULL);
    assert_non_null(bt);
    int64_t steps = (d->n_rows + 127) / 128, t = 0;
    for (int64_t r = 0; r < d->n_rows; r += 128, t++) {
        int n = (int)(d->n_rows - r < 128 ? d->n_rows - r : 128);
        const TmlBatch *b = tml_batcher_fill(bt, NULL, r, n);
        assert_non_null(b);
        assert_int_equal(tml_net_load_batch(m, b, &err), 0);
        assert_int_equal(tml_net_forward_train(m, &err), 0);
        tml_net_backward(m, 1.0f / (float)n);
        assert_true(tml_optim_step(m, &oc, tml_lr_at(&oc, t, steps), t + 1, 0, &err) >= 0);
    }
    Result res = {.loss = tml_net_take_loss(m) / (double)d->n_rows, .acc = accuracy(m, d)};
    size_t VD = (size_t)m->E->rows * m->E->cols;
    res.E = tu_xmalloc(sizeof(float) * VD);
    tml_download(be, res.E, m->E->w, sizeof(float) * VD);
    tml_batcher_free(bt);
    tml_net_free(m);
    return res;
}

static void test_cuda_epoch_matches_cpu(void **state) {
    (void)state;
    TmlError err;
    if (tml_backend_cuda_device_count() == 0) {
        if (tu_require_cuda()) fail_msg("TICKETML_REQUIRE_CUDA=1 but no CUDA device: CUDA training cannot run");
        printf("no CUDA device: CUDA training not run\n");
        skip();
    }
    TmlBackend *cpu = tml_backend_create(TML_DEVICE_CPU, 1, &err), *gpu = tml_backend_create(TML_DEVICE_CUDA, 1, &err);
    assert_non_null(cpu);
    assert_non_null(gpu);
    TmlDataset *d = toy(20000, 5000, 8, 3);
    TmlNetSpec s = {.arch = TML_ARCH_EMBED, .loss = TML_LOSS_SOFTMAX, .in_dim = 5000, .dim = 64, .n_out = 8,
                    .bag = TML_BAG_MEAN};
    Result a = train_minibatch(cpu, d, &s), b = train_minibatch(gpu, d, &s);
    printf("one epoch: CPU loss %.6f acc %.4f, CUDA loss %.6f acc %.4f\n", a.loss, a.acc, b.loss, b.acc);
    assert_true(a.acc > 0.8);
    assert_true(fabs(a.loss - b.loss) <= 1e-3 * a.loss);
    assert_true(fabs(a.acc - b.acc) <= 0.005);
    /* the same steps on both sides: the tables agree to float rounding compounded over an epoch */
    assert_true(tu_max_error_ratio(b.E, a.E, (size_t)5000 * 64, 1e-4, 1e-3) <= 1.0);
    /* the GPU step is deterministic: a second run gives the same bits */
    Result c = train_minibatch(gpu, d, &s);
    assert_memory_equal(b.E, c.E, sizeof(float) * 5000 * 64);
    free(a.E), free(b.E), free(c.E);
    /* the per-example op on every warp learns it as well */
    TmlNet *m = tml_net_create(gpu, &s, 7, &err);
    assert_int_equal(tml_net_set_loss_options(m, NULL, 0.0f, &err), 0);
    TmlBatcher *bt = tml_batcher_new_pinned(d, s.in_dim, 4096, 0, gpu);
    for (int64_t r = 0; r < d->n_rows; r += 4096) {
        int n = (int)(d->n_rows - r < 4096 ? d->n_rows - r : 4096);
        const TmlBatch *bb = tml_batcher_fill(bt, NULL, r, n);
        float lr0 = (float)(0.2 * (1.0 - (double)r / d->n_rows)), lr1 = (float)(0.2 * (1.0 - (double)(r + n) / d->n_rows));
        assert_int_equal(tml_net_sgd_chunk(m, bb, lr0, lr1, 0, &err), 0);
    }
    double hog = accuracy(m, d);
    printf("one epoch per-example SGD on CUDA (Hogwild over warps): acc %.4f\n", hog);
    assert_true(hog > 0.8);
    tml_batcher_free(bt);
    tml_net_free(m);
    tml_dataset_free(d);
    tml_backend_free(gpu);
    tml_backend_free(cpu);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_cuda_epoch_matches_cpu)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
