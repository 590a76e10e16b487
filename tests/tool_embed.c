/* tool_embed.c — test helper for scripts/check_e5_c.py: sentence embeddings through ticketml's own
 * pipeline (the model folder's tokenizer in C, the encoder forward on the CPU backend, mean pooling,
 * L2 norm), so the import can be checked end to end against another implementation. Reads
 * NUL-separated UTF-8 texts from stdin and prints one line of space-separated floats per text.
 * Usage: tool_embed MODEL_DIR [--prefix S] [--max-len N] [--batch N] [--pooling mean|cls] [--raw] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/tokenizer.h"
#include "kernels/backend.h"
#include "trainer/encoder.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Reads all of stdin into a NUL-terminated buffer; *n gets its length. NULL when out of memory. */
static char *slurp(size_t *n) {
    size_t cap = 1 << 20, len = 0, r;
    char *b = malloc(cap + 1);
    while (b && (r = fread(b + len, 1, cap - len, stdin)) > 0) {
        len += r;
        if (len == cap) {
            char *nb = realloc(b, (cap *= 2) + 1);
            if (!nb) free(b);
            b = nb;
        }
    }
    if (b) b[len] = 0;
    *n = len;
    return b;
}

static int usage(int rc) {
    fprintf(stderr, "usage: tool_embed MODEL_DIR [--prefix S] [--max-len N] [--batch N] [--pooling mean|cls] "
                    "[--raw] < NUL-separated texts\n  one line of floats per text: the pooled vector, L2-normalized "
                    "unless --raw\n");
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0) return usage(argc < 2 ? 2 : 0);
    const char *dir = argv[1], *prefix = "";
    int max_len = 512, B = 32, raw = 0;
    TmlPoolMode pool = TML_POOL_MEAN;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--prefix") == 0 && i + 1 < argc) prefix = argv[++i];
        else if (strcmp(argv[i], "--max-len") == 0 && i + 1 < argc) max_len = atoi(argv[++i]);
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) B = atoi(argv[++i]);
        else if (strcmp(argv[i], "--pooling") == 0 && i + 1 < argc) pool = strcmp(argv[++i], "cls") ? TML_POOL_MEAN : TML_POOL_CLS;
        else if (strcmp(argv[i], "--raw") == 0) raw = 1;
        else return usage(2);
    }
    if (max_len < 2 || B < 1) return usage(2);
    double t0 = now();
    TmlError err = {{0}};
    TmlEncoderConfig c = {0};
    TmlBackend *be = NULL;
    TmlEncoder *m = NULL;
    TmlTokenizer *tok = NULL;
    if (tml_encoder_config_from_hf(dir, &c, &err)) goto fail;
    c.pooling = pool, c.n_classes = 2; /* the head is not used: a placeholder of two classes */
    if (max_len + c.pos_offset > c.max_positions) max_len = c.max_positions - c.pos_offset;
    if (!(be = tml_backend_create(TML_DEVICE_CPU, 1, &err)) || !(m = tml_encoder_create(be, &c, &err)) ||
        tml_encoder_load_hf(m, dir, &err) || tml_encoder_init_random(m, 1, TML_ENC_CLSW, TML_ENC_CLSB, &err) ||
        !(tok = tml_tokenizer_load(dir, &err)))
        goto fail;
    double t_load = now() - t0;
    size_t n_in, plen = strlen(prefix);
    char *all = slurp(&n_in);
    /* texts: offsets of each NUL-terminated text in `all` */
    size_t n = 0, cap = 256;
    size_t *start = malloc(cap * sizeof *start);
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)B * max_len), *lens = malloc(sizeof(int32_t) * B);
    int32_t *seq = malloc(sizeof(int32_t) * (size_t)B * max_len);
    float *pooled = malloc(sizeof(float) * (size_t)B * c.hidden);
    char *buf = NULL;
    size_t bufcap = 0;
    TmlTokScratch scratch = {{0}, {0}};
    if (!all || !start || !ids || !lens || !seq || !pooled) goto oom;
    for (size_t a = 0; a < n_in; a += strlen(all + a) + 1) {
        if (n == cap && !(start = realloc(start, (cap *= 2) * sizeof *start))) goto oom;
        start[n++] = a;
    }
    double t1 = now();
    long tokens = 0;
    for (size_t s = 0; s < n; s += (size_t)B) {
        int nb = (int)(n - s < (size_t)B ? n - s : (size_t)B), T = 1;
        for (int b = 0; b < nb; b++) {
            const char *text = all + start[s + b];
            size_t len = strlen(text);
            if (plen + len + 1 > bufcap && !(buf = realloc(buf, bufcap = 2 * (plen + len + 1)))) goto oom;
            memcpy(buf, prefix, plen);
            memcpy(buf + plen, text, len + 1);
            int k = tml_tokenizer_encode(tok, buf, plen + len, max_len, seq + (size_t)b * max_len, &scratch);
            if (k < 0) goto oom;
            lens[b] = k;
            T = k > T ? k : T;
            tokens += k;
        }
        for (int b = 0; b < nb; b++)
            for (int t = 0; t < T; t++) ids[(size_t)b * T + t] = t < lens[b] ? seq[(size_t)b * max_len + t] : c.pad_id;
        TmlEncBatch bt = {nb, T, ids, lens, NULL};
        if (tml_encoder_forward(m, &bt, 0, 0, &err)) goto fail;
        tml_download(be, pooled, tml_encoder_pooled(m), sizeof(float) * (size_t)nb * c.hidden);
        for (int b = 0; b < nb; b++) {
            const float *v = pooled + (size_t)b * c.hidden;
            double ss = 0;
            for (int j = 0; j < c.hidden; j++) ss += (double)v[j] * v[j];
            double inv = raw || ss <= 0 ? 1.0 : 1.0 / sqrt(ss);
            for (int j = 0; j < c.hidden; j++) printf(j ? " %.9g" : "%.9g", v[j] * inv);
            putchar('\n');
        }
    }
    fprintf(stderr, "tool_embed: %zu texts, %ld tokens: load %.2f s, tokenize + encode %.2f s\n", n, tokens, t_load,
            now() - t1);
    tml_tokscratch_free(&scratch);
    free(all), free(start), free(ids), free(lens), free(seq), free(pooled), free(buf);
    tml_tokenizer_free(tok);
    tml_encoder_free(m);
    tml_backend_free(be);
    return 0;
oom:
    fprintf(stderr, "tool_embed: out of host memory\n");
    return 1;
fail:
    fprintf(stderr, "tool_embed: %s\n", err.msg);
    return 1;
}
