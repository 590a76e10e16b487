/* cmd_data.c — `ticketml data DATA --config C --cache X.h5`: reads and featurizes the data once
 * into an HDF5 cache (features + train/valid/test) so later training runs skip parsing. A fresh
 * cache is left alone (unless --force); on any error no cache file is written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "trainer/options.h"
#include "data/config.h"
#include "data/dataset.h"

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
    const char *config_path = NULL, *cache = NULL, *sets[65], *pos[1];
    int force = 0, n_set = 0, n_pos = 0;
    CliOpt opts[] = {
        {"--config", &config_path, NULL, NULL, NULL, 0},
        {"--cache", &cache, NULL, NULL, NULL, 0},
        {"--set", NULL, NULL, sets, &n_set, 64},
        {"--force", NULL, &force, NULL, NULL, 0},
    };
    if (cli_parse("data", argc, argv, opts, 4, pos, 1, &n_pos) < 0) return 2;
    if (!config_path || !cache) {
        fprintf(stderr, "ticketml data: %s is required\n\n", !config_path ? "--config" : "--cache");
        usage(stderr);
        return 2;
    }
    /* DATA replaces [data] train: applied as the last override */
    char train_set[4200];
    if (n_pos == 1) {
        snprintf(train_set, sizeof train_set, "data.train=%s", pos[0]);
        sets[n_set++] = train_set;
    }
    TmlError err = {{0}};
    TmlFeatures *f = NULL;
    TmlDataset *ds[3] = {NULL, NULL, NULL};
    int rc = 2;
    double t0 = now_s();
    TmlConfig *cfg = tml_options_load(config_path, sets, n_set, &err);
    if (!cfg) {
        fprintf(stderr, "ticketml data: %s\n", err.msg);
        return 2;
    }
    if (tml_cache_check_path(cache, cfg, &err)) goto fail;
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
    return rc;
}
