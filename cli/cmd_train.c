/* cmd_train.c — `ticketml train CONFIG --out MODEL.h5`: fit features on the train split, train on
 * the backend, keep the best model by validation, report test scores. --resume continues from the
 * checkpoint MODEL.h5.ckpt that epoch ends and Ctrl-C leave behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "trainer/modelfile.h"
#include "trainer/train.h"

static void usage(void) {
    printf("usage: ticketml train CONFIG.ini --out MODEL.h5 [options]\n\n"
           "Trains the model a config describes (intent, sentiment or churn) and writes MODEL.h5.\n\n"
           "  --out FILE          model file to write (the best model by validation; written atomically)\n"
           "  --set S.K=V         override a config key, e.g. --set train.epochs=5 (repeatable)\n"
           "  --device D          auto | cpu | cuda (default: train.device, else auto)\n"
           "  --cache FILE        featurized dataset cache from `ticketml data` (rebuilt if stale)\n"
           "  --resume            continue from FILE.ckpt (written at each epoch end and on Ctrl-C)\n"
           "  --log-json FILE     one JSON line per validation (epoch, step, losses, metrics)\n"
           "  --quiet             no progress output\n\n"
           "Config sections [data] [text] [tabular] [model] [train]: see docs/config.md.\n");
}

int cmd_train(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage();
        return 0;
    }
    const char *out = NULL, *device = NULL, *cache = NULL, *log_json = NULL, *sets[64], *pos[1];
    int n_sets = 0, n_pos = 0, resume = 0, quiet = 0;
    CliOpt opts[] = {
        {"--out", &out, NULL, NULL, NULL, 0},         {"--device", &device, NULL, NULL, NULL, 0},
        {"--cache", &cache, NULL, NULL, NULL, 0},     {"--log-json", &log_json, NULL, NULL, NULL, 0},
        {"--set", NULL, NULL, sets, &n_sets, 64},     {"--resume", NULL, &resume, NULL, NULL, 0},
        {"--quiet", NULL, &quiet, NULL, NULL, 0},
    };
    if (cli_parse("train", argc, argv, opts, 7, pos, 1, &n_pos) < 0) return 2;
    if (n_pos != 1 || !out) {
        fprintf(stderr, "ticketml train: needs CONFIG.ini and --out MODEL.h5 (see --help)\n");
        return 2;
    }
    TmlConfig *cfg = cli_load_config("train", pos[0], sets, n_sets);
    if (!cfg) return 2;
    int rc = 1;
    TmlError err;
    TmlBackend *be = NULL;
    TmlFeatures *f = NULL;
    TmlDataset *train = NULL, *valid = NULL, *test = NULL;
    TmlModel *m = NULL;
    TmlLoadedModel *ck = NULL;
    FILE *log = NULL;
    char ckpt[4096]; /* written by the trainer at epoch ends and on Ctrl-C; read by --resume */
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", out);
    TmlTrainOptions o;
    TmlModelSpec spec;
    if (tml_train_options_from_config(cfg, &o, &err) < 0) {
        fprintf(stderr, "ticketml train: %s\n", err.msg);
        rc = 2;
        goto done;
    }
    if (!(be = cli_open_backend("train", device, cfg, quiet))) goto done;
    int cached = 0;
    if (cache) {
        cached = tml_cache_read(cache, cfg, &f, &train, &valid, &test, &err);
        if (cached < 0) {
            fprintf(stderr, "ticketml train: %s\n", err.msg);
            rc = 2;
            goto done;
        }
        if (!quiet) fprintf(stderr, "cache %s: %s\n", cache, cached ? "fresh, loaded" : "stale or absent, rebuilding");
    }
    if (!cached) {
        if (tml_features_fit(cfg, &f, &train, &valid, &test, &err) < 0) {
            fprintf(stderr, "ticketml train: %s\n", err.msg);
            rc = 2;
            goto done;
        }
        if (cache && tml_cache_write(cache, cfg, f, train, valid, test, &err) < 0)
            fprintf(stderr, "ticketml train: warning: cache not written: %s\n", err.msg);
    }
    if (tml_model_spec_from_config(cfg, f, &spec, &err) < 0) {
        fprintf(stderr, "ticketml train: %s\n", err.msg);
        rc = 2;
        goto done;
    }
    TmlTrainState st;
    tml_train_state_init(&st, o.seed, o.higher_is_better);
    if (resume) {
        if (!(ck = tml_modelfile_load(ckpt, be, 1, &err))) {
            fprintf(stderr, "ticketml train: --resume: %s\n", err.msg);
            goto done;
        }
        if (!ck->has_state || memcmp(&ck->model->spec, &spec, sizeof spec) != 0) {
            fprintf(stderr, "ticketml train: --resume: %s does not match this config's model; start without --resume\n", ckpt);
            goto done;
        }
        m = ck->model;
        ck->model = NULL;
        st = ck->state;
        if (!quiet)
            fprintf(stderr, "resuming from %s at epoch %d, batch %lld (step %lld)\n", ckpt, st.epoch + 1,
                    (long long)st.batch_pos, (long long)st.step);
    } else if (!(m = tml_model_create(be, &spec, o.seed, &err))) {
        fprintf(stderr, "ticketml train: %s\n", err.msg);
        goto done;
    }
    if (!quiet)
        fprintf(stderr, "train: %s model, %d classes, %lld features, %lld weights, %lld train / %lld valid / %lld test rows, %s backend (%s)\n",
                tml_arch_name(spec.arch), spec.n_out, (long long)spec.in_dim, (long long)tml_model_n_weights(m),
                (long long)train->n_rows, (long long)(valid ? valid->n_rows : 0), (long long)(test ? test->n_rows : 0),
                tml_backend_name(be), tml_backend_device(be));
    if (log_json && !(log = fopen(log_json, "w"))) {
        fprintf(stderr, "ticketml train: %s: cannot write the JSON log\n", log_json);
        goto done;
    }
    char hint[4400];
    snprintf(hint, sizeof hint, "ticketml train %s --out %s --resume", pos[0], out);
    rc = cli_run_training("train", m, train, valid, test, &o, &st, quiet, log, out, cfg, f,
                          tml_config_str(cfg, "model.task", ""), hint);
done:
    if (log) fclose(log);
    tml_model_free(m);
    tml_loaded_model_free(ck);
    tml_dataset_free(train);
    tml_dataset_free(valid);
    tml_dataset_free(test);
    tml_features_free(f);
    tml_backend_free(be);
    tml_config_free(cfg);
    return rc;
}
