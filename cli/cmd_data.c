/* cmd_data.c — `ticketml data DATA --config C --cache X.h5`: reads and featurizes the data once
 * into an HDF5 cache (features + train/valid/test) so later training runs skip parsing. A fresh
 * cache is left alone (unless --force); on any error no cache file is written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "data/config.h"
#include "data/dataset.h"

static const char *const DATA_KEYS[] = {
    "data.kind",         "data.train",          "data.valid",       "data.test",       "data.format",
    "data.text",         "data.label",          "data.id",          "data.seed",       "data.valid_frac",
    "data.test_frac",    "data.positive",       "data.tickets",     "data.history",    "data.customer",
    "data.cutoff",       "text.normalize",      "text.placeholders", "text.cjk_bigrams", "text.word_ngrams",
    "text.minn",         "text.maxn",           "text.buckets",     "text.min_count",  "text.tfidf",
    "text.invalid_utf8", "tabular.numeric",     "tabular.categorical", "tabular.ignore", "tabular.impute",
    NULL};

static void usage(FILE *f) {
    fprintf(f, "usage: ticketml data [DATA] --config CONFIG.ini --cache OUT.h5 [--set section.key=value]... [--force]\n\n"
               "Reads and featurizes the data once into an HDF5 cache that training can reuse.\n"
               "DATA, when given, replaces [data] train. The cache is keyed by the config text and the\n"
               "source files (size, mtime, first/last 64 KiB); a fresh cache is kept unless --force.\n\n"
               "  --config FILE   INI config ([data], [text], [tabular]; see docs/config.md)\n"
               "  --cache FILE    HDF5 cache to write (written to FILE.tmp, then renamed)\n"
               "  --set K=V       override a config key, e.g. --set text.min_count=2 (repeatable)\n"
               "  --force         rebuild even when the cache is fresh\n"
               "  -h, --help      this text\n\n"
               "Exit status: 0 ok, 1 the cache could not be written, 2 bad usage, config or data.\n");
}

/* Checks the keys of the sections this command reads; other sections belong to other commands. */
static int check_data_keys(const TmlConfig *cfg, TmlError *err) {
    TmlConfig sub = *cfg;
    sub.entries = (TmlConfigEntry *)malloc((size_t)(cfg->n > 0 ? cfg->n : 1) * sizeof *sub.entries);
    if (!sub.entries) return tml_fail(err, "out of memory");
    sub.n = 0;
    for (int i = 0; i < cfg->n; i++) {
        const char *k = cfg->entries[i].key;
        if (!strncmp(k, "data.", 5) || !strncmp(k, "text.", 5) || !strncmp(k, "tabular.", 8))
            sub.entries[sub.n++] = cfg->entries[i];
    }
    int rc = tml_config_check_keys(&sub, DATA_KEYS, err);
    free(sub.entries);
    return rc;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void summary(const TmlFeatures *f, TmlDataset *const ds[3], double secs, const char *cache, int fresh) {
    static const char *const names[3] = {"train", "valid", "test"};
    printf("%-6s %10s %12s %8s\n", "split", "rows", f->kind == TML_DATA_TEXT ? "nnz" : "values", "unknown");
    for (int s = 0; s < 3; s++) {
        if (!ds[s]) continue;
        int64_t n = ds[s]->n_rows, unk = 0;
        int64_t nnz = f->kind == TML_DATA_TEXT ? ds[s]->offsets[n] : n * ds[s]->dim;
        for (int64_t i = 0; i < n; i++) unk += ds[s]->labels[i] < 0;
        printf("%-6s %10lld %12lld %8lld\n", names[s], (long long)n, (long long)nnz, (long long)unk);
    }
    if (f->kind == TML_DATA_TEXT)
        printf("vocab %lld words, dim %lld, %d labels; ", (long long)tml_textfeat_n_words(f->text), (long long)f->dim,
               f->labels->n);
    else
        printf("tabular %d columns -> dim %lld (%d history), %d labels; ", f->tab->n_cols, (long long)f->dim,
               f->history_dim, f->labels->n);
    printf("%.2f s; cache %s%s\n", secs, cache, fresh ? " was fresh" : " written");
}

int cmd_data(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *data = NULL, *config_path = NULL, *cache = NULL;
    int force = 0, n_set = 0;
    const char **sets = (const char **)calloc((size_t)argc + 1, sizeof *sets);
    if (!sets) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        const char *opts[3] = {"--config", "--cache", "--set"};
        int which = -1;
        for (int o = 0; o < 3; o++) {
            size_t l = strlen(opts[o]);
            if (!strncmp(a, opts[o], l) && (a[l] == '\0' || a[l] == '=')) {
                which = o;
                if (a[l] == '=') v = a + l + 1;
                else if (i + 1 < argc) v = argv[++i];
                break;
            }
        }
        if (which >= 0 && !v) {
            fprintf(stderr, "ticketml data: %s needs a value\n", a);
            free(sets);
            return 2;
        }
        if (which == 0) config_path = v;
        else if (which == 1) cache = v;
        else if (which == 2) sets[n_set++] = v;
        else if (!strcmp(a, "--force")) force = 1;
        else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ticketml data: unknown option '%s' (see ticketml data --help)\n", a);
            free(sets);
            return 2;
        } else if (!data) data = a;
        else {
            fprintf(stderr, "ticketml data: more than one data file ('%s' and '%s'); give one\n", data, a);
            free(sets);
            return 2;
        }
    }
    if (!config_path || !cache) {
        fprintf(stderr, "ticketml data: %s is required\n\n", !config_path ? "--config" : "--cache");
        usage(stderr);
        free(sets);
        return 2;
    }
    TmlError err = {{0}};
    TmlFeatures *f = NULL;
    TmlDataset *ds[3] = {NULL, NULL, NULL};
    int rc = 2;
    double t0 = now_s();
    TmlConfig *cfg = tml_config_load(config_path, &err);
    if (!cfg) goto fail;
    for (int i = 0; i < n_set; i++)
        if (tml_config_set(cfg, sets[i], &err)) goto fail;
    if (data) {
        size_t l = strlen(data) + 16;
        char *as = (char *)malloc(l);
        if (!as) goto fail;
        snprintf(as, l, "data.train=%s", data);
        int r = tml_config_set(cfg, as, &err);
        free(as);
        if (r) goto fail;
    }
    if (check_data_keys(cfg, &err)) goto fail;
    if (!force) {
        int fresh = tml_cache_read(cache, cfg, &f, &ds[0], &ds[1], &ds[2], &err);
        if (fresh < 0) goto fail;
        if (fresh == 1) {
            fprintf(stderr, "data: %s is up to date (use --force to rebuild)\n", cache);
            summary(f, ds, now_s() - t0, cache, 1);
            rc = 0;
            goto done;
        }
    }
    char *shown = tml_data_path(tml_config_str(cfg, "data.train", "?"));
    fprintf(stderr, "data: reading and featurizing %s\n", shown ? shown : "?");
    free(shown);
    if (tml_features_fit(cfg, &f, &ds[0], &ds[1], &ds[2], &err)) goto fail;
    double t1 = now_s();
    fprintf(stderr, "data: featurized %lld train rows in %.2f s; writing %s\n", (long long)ds[0]->n_rows, t1 - t0,
            cache);
    if (tml_cache_write(cache, cfg, f, ds[0], ds[1], ds[2], &err)) {
        rc = 1;
        goto fail;
    }
    summary(f, ds, now_s() - t0, cache, 0);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "ticketml data: %s\n", err.msg[0] ? err.msg : "out of memory");
done:
    for (int s = 0; s < 3; s++) tml_dataset_free(ds[s]);
    tml_features_free(f);
    tml_config_free(cfg);
    free(sets);
    return rc;
}
