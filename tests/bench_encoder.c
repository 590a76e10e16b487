/* bench_encoder.c — time per batch of the transformer encoder (trainer/encoder.h) at
 * all-MiniLM-L6-v2's shape: inference forward, training forward (dropout, activations kept),
 * forward + backward, and the AdamW update; model GFLOP/s; and the memory a run needs (weights,
 * gradients, AdamW moments, activations). Loads models/all-MiniLM-L6-v2 when present (timings do not
 * depend on the weights; random ones otherwise). Medians of --reps runs after one warm-up.
 * Usage: bench_encoder [--device cpu|cuda] [--batch 32] [--len 32,64] [--reps 5] [--model DIR] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernels/backend.h"
#include "tests/util_test.h"
#include "trainer/encoder.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *s, int n) {
    qsort(s, n, sizeof s[0], cmp_double);
    return s[n / 2];
}

/* Model FLOPs of one forward over B sequences of T tokens (multiply-adds count 2): the linear
 * layers (4C^2 + 2CF per token and layer), attention's two products (2 T C per token and layer,
 * twice) and the head. The backward costs twice the forward. */
static double forward_flops(const TmlEncoderConfig *c, int B, int T) {
    double N = (double)B * T, C = c->hidden, F = c->intermediate;
    return c->layers * (2.0 * N * (4 * C * C + 2 * C * F) + 4.0 * N * T * C) + 2.0 * B * C * c->n_classes;
}

static double mib(size_t b) { return b / 1048576.0; }

int main(int argc, char **argv) {
    const char *device = "cpu", *model = "models/all-MiniLM-L6-v2", *lens_arg = "32,64";
    int B = 32, reps = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc) device = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc) B = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--len") && i + 1 < argc) lens_arg = argv[++i];
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
        else {
            fprintf(stderr, "usage: bench_encoder [--device cpu|cuda] [--batch 32] [--len 32,64] [--reps 5] [--model DIR]\n");
            return 2;
        }
    }
    if (reps < 1 || reps > 101 || B < 1) return 2;
    TmlError err;
    TmlDeviceKind kind;
    if (tml_device_parse(device, &kind, &err)) {
        fprintf(stderr, "bench_encoder: %s\n", err.msg);
        return 2;
    }
    TmlBackend *be = tml_backend_create(kind, 1, &err);
    if (!be) {
        printf("bench_encoder: %s; not run\n", err.msg);
        /* make test-gpu: a benchmark that cannot run on the device is a failure, not a skip */
        const char *req = getenv("TICKETML_REQUIRE_CUDA");
        return req && !strcmp(req, "1") ? 1 : 0;
    }
    /* all-MiniLM-L6-v2's shape (config.json), a 77-class head as for banking77 */
    TmlEncoderConfig c = {.vocab_size = 30522, .max_positions = 512, .type_vocab = 2, .hidden = 384, .layers = 6,
                          .heads = 12, .intermediate = 1536, .ln_eps = 1e-12f, .pad_id = 0, .hidden_dropout = 0.1f,
                          .attn_dropout = 0.1f, .cls_dropout = 0.1f, .pooling = TML_POOL_MEAN, .n_classes = 77};
    char cfgpath[1100];
    snprintf(cfgpath, sizeof cfgpath, "%s/model.safetensors", model);
    int pretrained = access(cfgpath, R_OK) == 0 && tml_encoder_config_from_hf(model, &c, &err) == 0;
    TmlEncoder *m = tml_encoder_create(be, &c, &err);
    if (!m || tml_encoder_init_random(m, 1, TML_ENC_WTE, TML_ENC_CLSB, &err) ||
        (pretrained && tml_encoder_load_hf(m, model, &err)) || tml_encoder_set_trainable(m, TML_ENC_TRAIN_ALL, &err)) {
        fprintf(stderr, "bench_encoder: %s\n", err.msg);
        return 1;
    }
    printf("bench_encoder: %s, %s weights (%zu parameters), %d threads; median of %d runs\n", tml_backend_device(be),
           pretrained ? model : "random", m->n_params, (int)sysconf(_SC_NPROCESSORS_ONLN), reps);
    printf("%-8s %10s %10s %10s %10s %10s %9s %9s | %s\n", "batch", "fwd eval", "fwd train", "fwd+bwd", "adamw",
           "step", "GFLOP/s", "tok/s", "memory MiB: weights + grads + adamw + activations");
    char *save = NULL, *lens_copy = strdup(lens_arg);
    for (char *tok = strtok_r(lens_copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int T = atoi(tok);
        if (T < 2 || T + c.pos_offset > c.max_positions) continue;
        TuRng r;
        tu_rng_seed(&r, 7);
        int32_t *ids = malloc(sizeof(int32_t) * B * T), *lens = malloc(sizeof(int32_t) * B), *labels = malloc(sizeof(int32_t) * B);
        for (int b = 0; b < B; b++) {
            lens[b] = T; /* full rows: the padded width is what costs */
            labels[b] = tu_rng_int(&r, c.n_classes);
            for (int t = 0; t < T; t++) ids[b * T + t] = 1000 + tu_rng_int(&r, 20000);
        }
        TmlEncBatch bt = {B, T, ids, lens, labels};
        if (tml_encoder_reserve(m, B, T, 1, &err)) {
            fprintf(stderr, "bench_encoder: %s\n", err.msg);
            return 1;
        }
        double s_eval[101], s_train[101], s_step[101], s_upd[101];
        for (int k = -1; k < reps; k++) { /* k = -1: warm-up */
            double t0 = tu_now();
            tml_encoder_forward(m, &bt, 0, 1, &err);
            tml_sync(be);
            double t1 = tu_now();
            tml_encoder_forward(m, &bt, 1, (uint64_t)k + 2, &err);
            tml_sync(be);
            double t2 = tu_now();
            tml_encoder_zero_grad(m);
            tml_encoder_forward(m, &bt, 1, (uint64_t)k + 2, &err);
            tml_encoder_backward(m, 1.0f / B);
            tml_sync(be);
            double t3 = tu_now();
            tml_encoder_update(m, 1e-5f, 0.9f, 0.999f, 1e-8f, 0.01f, k + 2);
            tml_sync(be);
            double t4 = tu_now();
            if (k < 0) continue;
            s_eval[k] = t1 - t0, s_train[k] = t2 - t1, s_step[k] = t3 - t2, s_upd[k] = t4 - t3;
        }
        double fe = median(s_eval, reps), ft = median(s_train, reps), fb = median(s_step, reps), up = median(s_upd, reps);
        TmlEncMemory mem = tml_encoder_memory(&c, TML_ENC_TRAIN_ALL, B, T, 1,
                                              tml_attention_saved_floats(be, B, T, c.hidden, c.heads),
                                              tml_attention_scratch_floats(be, B, T, c.hidden, c.heads));
        TmlEncMemory inf = tml_encoder_memory(&c, TML_ENC_TRAIN_ALL, B, T, 0,
                                              tml_attention_saved_floats(be, B, T, c.hidden, c.heads),
                                              tml_attention_scratch_floats(be, B, T, c.hidden, c.heads));
        char shape[32];
        snprintf(shape, sizeof shape, "%dx%d", B, T);
        printf("%-8s %8.1f ms %8.1f ms %8.1f ms %8.1f ms %8.1f ms %9.1f %9.0f | %.0f + %.0f + %.0f + %.0f (training), "
               "%.0f (inference activations)\n",
               shape, fe * 1e3, ft * 1e3, fb * 1e3, up * 1e3, (fb + up) * 1e3, 3 * forward_flops(&c, B, T) / fb / 1e9,
               B * T / (fb + up), mib(mem.weights), mib(mem.grads), mib(mem.optimizer), mib(mem.activations),
               mib(inf.activations));
        printf("%-8s forward %.1f GFLOP/s (eval), %.2f GFLOP per forward\n", "", forward_flops(&c, B, T) / fe / 1e9,
               forward_flops(&c, B, T) / 1e9);
        fflush(stdout);
        free(ids), free(lens), free(labels);
    }
    free(lens_copy);
    tml_encoder_free(m);
    tml_backend_free(be);
    return 0;
}
