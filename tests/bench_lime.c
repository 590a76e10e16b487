/* bench_lime.c — throughput of the LIME core itself (sampling, kernel, Gram, selection, ridge)
 * with a trivially cheap linear scorer, so the numbers show LIME's overhead per explanation; the
 * model's scoring cost comes on top. Target: well under 10 ms per 5000-sample text explanation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eval/lime.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int lin_text(void *ctx, const uint8_t *masks, int S, int m, float *probs, TmlError *err) {
    const double *wt = ctx;
    for (int i = 0; i < S; i++) {
        double z = -0.5;
        for (int j = 0; j < m; j++) z += masks[(size_t)i * m + j] ? wt[j] : 0.0;
        float p = (float)(1.0 / (1.0 + exp(-z)));
        probs[2 * i] = 1.0f - p;
        probs[2 * i + 1] = p;
    }
    return 0;
}

static void bench_text(int m, int K, int reps) {
    char **toks = malloc((size_t)m * sizeof(char *));
    double *wt = malloc((size_t)m * sizeof(double));
    for (int j = 0; j < m; j++) {
        toks[j] = malloc(16);
        snprintf(toks[j], 16, "w%d", j);
        wt[j] = ((j * 37) % 11 - 5) * 0.3;
    }
    TmlLimeText t;
    TmlError err;
    if (tml_lime_text_init(&t, toks, m, &err) != 0) exit(1);
    TmlLimeConfig cfg;
    tml_lime_config_default(&cfg);
    cfg.num_features = K;
    double t0 = now_s();
    for (int r = 0; r < reps; r++) {
        cfg.seed = (uint64_t)r;
        TmlLimeExplanation *e = tml_lime_text_explain(&t, &cfg, 2, 1, lin_text, wt, &err);
        if (!e) {
            fprintf(stderr, "bench_lime: %s\n", err.msg);
            exit(1);
        }
        tml_lime_explanation_free(e);
    }
    double dt = (now_s() - t0) / reps;
    printf("lime text: %3d words, K=%2d (%s), 5000 samples: %7.3f ms/explanation, %7.1f explanations/s\n",
           m, K, K <= 6 ? "forward" : "highest", dt * 1e3, 1.0 / dt);
    tml_lime_text_free(&t);
    for (int j = 0; j < m; j++) free(toks[j]);
    free(toks), free(wt);
}

static int lin_tab(void *ctx, const float *rows, int S, int dim, float *probs, TmlError *err) {
    for (int i = 0; i < S; i++) {
        double z = 0.0;
        for (int j = 0; j < dim; j++) z += rows[(size_t)i * dim + j] * ((j % 5) - 2) * 0.2;
        float p = (float)(1.0 / (1.0 + exp(-z)));
        probs[2 * i] = 1.0f - p;
        probs[2 * i + 1] = p;
    }
    return 0;
}

/* A telco-shaped table: 4 numeric and 15 categorical columns of 2-4 categories. */
static void bench_tabular(int reps) {
    enum { NC = 19 };
    TmlTabColumn cols[NC];
    static char *cats[4] = {"a", "b", "c", "d"};
    static double freq[4] = {0.4, 0.3, 0.2, 0.1};
    memset(cols, 0, sizeof cols);
    int off = 0;
    for (int c = 0; c < NC; c++) {
        cols[c].name = "col";
        cols[c].offset = off;
        if (c < 4) {
            cols[c] = (TmlTabColumn){.name = "num", .type = TML_COL_NUMERIC, .mean = 30, .std = 20,
                                     .quartiles = {10, 25, 50}, .min = 0, .max = 80, .offset = off};
            off += 1;
        } else {
            int n = 2 + c % 3;
            cols[c] = (TmlTabColumn){.name = "cat", .type = TML_COL_CATEGORICAL, .n_cats = n, .cats = cats,
                                     .cat_freq = freq, .offset = off};
            off += n;
        }
    }
    TmlTabular tb = {.n_cols = NC, .cols = cols, .dim = off};
    float *row = calloc((size_t)off, sizeof(float));
    for (int c = 4; c < NC; c++) row[cols[c].offset] = 1.0f;
    TmlLimeConfig cfg;
    tml_lime_config_default(&cfg);
    TmlError err;
    double t0 = now_s();
    for (int r = 0; r < reps; r++) {
        cfg.seed = (uint64_t)r;
        TmlLimeExplanation *e = tml_lime_tab_explain(&tb, row, NULL, &cfg, 2, 1, lin_tab, NULL, &err);
        if (!e) {
            fprintf(stderr, "bench_lime: %s\n", err.msg);
            exit(1);
        }
        tml_lime_explanation_free(e);
    }
    double dt = (now_s() - t0) / reps;
    printf("lime tabular: %d columns (dim %d), K=10, 5000 samples: %7.3f ms/explanation, %7.1f explanations/s\n",
           NC, off, dt * 1e3, 1.0 / dt);
    free(row);
}

int main(void) {
    bench_text(12, 10, 200);
    bench_text(12, 5, 200);
    bench_text(25, 10, 100);
    bench_text(25, 5, 100);
    bench_text(60, 10, 30);
    bench_tabular(100);
    return 0;
}
