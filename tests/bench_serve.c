/* bench_serve.c — the serving library on this CPU, for a linear text model shaped like the
 * banking77 intent model (TF-IDF word 1-2 grams + char 3-5 grams, 200k buckets, 77 labels):
 * export load time, single-ticket latency (p50 / p99 / mean of one tml_serve_predict_text call)
 * and batch throughput (tml_serve_predict_batch, 1 thread and all cores).
 *
 * Uses banking77 from the datasets directory when present (train texts fit the vocabulary, test
 * texts are predicted); otherwise generated tickets. The weights are those of a fresh model:
 * timing does not depend on their values. usage: bench_serve [repeats (default 3)] */
#include <ftw.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "ticketml/serve.h"
#include "tests/util_test.h"
#include "trainer/export.h"
#include "trainer/modelfile.h"
#include "trainer/train.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) { return remove(path); }

/* Generated tickets when banking77 is absent: 77 intents of templated English. */
static void write_synthetic(const char *path, int n, uint64_t seed) {
    static const char *const words[] = {"card", "refund", "transfer", "pending", "account", "money", "atm",
                                        "limit", "fee", "exchange", "rate", "top", "up", "verify", "identity",
                                        "payment", "declined", "cash", "withdrawal", "pin", "blocked", "apple",
                                        "pay", "beneficiary", "charge", "statement", "country", "currency"};
    const int nw = (int)(sizeof words / sizeof words[0]);
    FILE *f = fopen(path, "w");
    if (!f) exit(1);
    fprintf(f, "text,category\n");
    TuRng r;
    tu_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int len = 6 + tu_rng_int(&r, 14);
        fputc('"', f);
        for (int k = 0; k < len; k++) fprintf(f, "%s%s", k ? " " : "", words[tu_rng_int(&r, nw)]);
        fprintf(f, " %d\",intent_%d\n", tu_rng_int(&r, 1000), tu_rng_int(&r, 77));
    }
    fclose(f);
}

int main(int argc, char **argv) {
    int repeats = argc > 1 ? atoi(argv[1]) : 3;
    if (repeats < 1) repeats = 1;
    char tmp[] = "/tmp/tml_bench_serve_XXXXXX";
    if (!mkdtemp(tmp)) return 1;
    char train_p[512], test_p[512];
    const char *b_train = tu_dataset_path("banking77/train.csv");
    if (b_train) snprintf(train_p, sizeof train_p, "%s", b_train);
    const char *b_test = tu_dataset_path("banking77/test.csv");
    if (b_train && b_test) {
        snprintf(test_p, sizeof test_p, "%s", b_test);
        printf("data: banking77 (train fits the vocabulary, test texts are predicted)\n");
    } else {
        snprintf(train_p, sizeof train_p, "%s/train.csv", tmp);
        snprintf(test_p, sizeof test_p, "%s/test.csv", tmp);
        write_synthetic(train_p, 10000, 1);
        write_synthetic(test_p, 3000, 2);
        printf("data: generated tickets (banking77 not found)\n");
    }
    char ini[2048], ini_p[600], model_p[600], dir[600];
    snprintf(ini, sizeof ini,
             "[data]\nkind = text\ntrain = %s\ntest = %s\ntext = text\nlabel = category\nvalid_frac = 0\n"
             "[text]\nword_ngrams = 2\nminn = 3\nmaxn = 5\nbuckets = 200000\ntfidf = true\n"
             "[model]\ntask = intent\ntype = linear\n",
             train_p, test_p);
    snprintf(ini_p, sizeof ini_p, "%s/bench.ini", tmp);
    snprintf(model_p, sizeof model_p, "%s/model.h5", tmp);
    snprintf(dir, sizeof dir, "%s/export", tmp);
    FILE *f = fopen(ini_p, "w");
    fputs(ini, f);
    fclose(f);
    TmlError err;
    TmlConfig *cfg = tml_config_load(ini_p, &err);
    TmlFeatures *feat = NULL;
    TmlDataset *train = NULL, *valid = NULL, *test = NULL;
    TmlBackend *be = tml_backend_create(TML_DEVICE_CPU, 1, &err);
    TmlModel *m = NULL;
    if (!cfg || !be || tml_features_fit(cfg, &feat, &train, &valid, &test, &err) ||
        !(m = tml_model_configure(cfg, feat, be, &err)) || tml_model_init(m, 1, &err)) {
        fprintf(stderr, "bench_serve: %s\n", err.msg);
        return 1;
    }
    if (tml_modelfile_save(model_p, cfg, "intent", feat, m, NULL, 0, &err) ||
        tml_export_model_file(model_p, dir, TML_EXPORT_HDF5, NULL, &err)) {
        fprintf(stderr, "bench_serve: %s\n", err.msg);
        return 1;
    }
    double t0 = tu_now();
    TmlServeModel *sm = tml_serve_load(dir, &err);
    double t_load = tu_now() - t0;
    if (!sm) {
        fprintf(stderr, "bench_serve: %s\n", err.msg);
        return 1;
    }
    int n = (int)test->n_rows, C = tml_serve_n_labels(sm);
    const char **texts = (const char **)test->texts;
    printf("model: linear, %lld features (%lld words + 200000 buckets), %d labels, tf-idf, char 3-5 grams; "
           "export load %.3f s\n",
           (long long)feat->dim, (long long)(feat->dim - 200000), C, t_load);

    /* single-ticket latency */
    float *p = tu_xmalloc((size_t)C * sizeof *p);
    double *lat = tu_xmalloc((size_t)n * repeats * sizeof *lat), *feat_lat = tu_xmalloc((size_t)n * sizeof *lat);
    for (int i = 0; i < 200 && i < n; i++) tml_serve_predict_text(sm, texts[i], p, NULL, &err); /* warm up */
    for (int r = 0; r < repeats; r++)
        for (int i = 0; i < n; i++) {
            double a = tu_now();
            tml_serve_predict_text(sm, texts[i], p, NULL, &err);
            lat[(size_t)r * n + i] = tu_now() - a;
        }
    int64_t nnz = 0;
    for (int i = 0; i < n; i++) {
        int32_t *ids;
        float *w;
        double a = tu_now();
        int64_t k = tml_serve_text_features(sm, texts[i], &ids, &w, &err);
        feat_lat[i] = tu_now() - a;
        nnz += k;
        free(ids);
        free(w);
    }
    size_t nl = (size_t)n * repeats;
    double sum = 0;
    for (size_t i = 0; i < nl; i++) sum += lat[i];
    qsort(lat, nl, sizeof *lat, cmp_double);
    qsort(feat_lat, (size_t)n, sizeof *feat_lat, cmp_double);
    printf("single ticket (%zu calls, %.0f features/ticket): p50 %.1f us  p99 %.1f us  mean %.1f us  "
           "(featurization alone p50 %.1f us)\n",
           nl, (double)nnz / n, 1e6 * lat[nl / 2], 1e6 * lat[(size_t)(nl * 0.99)], 1e6 * sum / nl,
           1e6 * feat_lat[n / 2]);

    /* batch throughput */
    float *probs = tu_xmalloc((size_t)n * C * sizeof *probs);
    int maxt = omp_get_num_procs();
    for (int threads = 1; threads <= maxt; threads = threads == maxt ? maxt + 1 : maxt) {
        double best = 1e30;
        for (int r = 0; r < repeats; r++) {
            double a = tu_now();
            if (tml_serve_predict_batch(sm, texts, n, probs, NULL, threads, &err)) {
                fprintf(stderr, "bench_serve: %s\n", err.msg);
                return 1;
            }
            double el = tu_now() - a;
            best = el < best ? el : best;
        }
        printf("batch of %d tickets, %d thread%s: %.0f tickets/s (%.3f s, best of %d)\n", n, threads,
               threads > 1 ? "s" : "", n / best, best, repeats);
    }
    free(p);
    free(lat);
    free(feat_lat);
    free(probs);
    tml_serve_free(sm);
    tml_model_free(m);
    tml_backend_free(be);
    tml_dataset_free(train);
    tml_dataset_free(valid);
    tml_dataset_free(test);
    tml_features_free(feat);
    tml_config_free(cfg);
    nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
