/* cmd_finetune.c — `ticketml finetune --from MODEL.h5 CONFIG.ini --out NEW.h5`: warm-start a trained
 * model on new tickets. The model's featurization (vocabulary, hashing) is kept; labels new in the
 * new data extend the output layer while old labels keep their weights. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "data/split.h"
#include "trainer/finetune.h"
#include "trainer/modelfile.h"
#include "trainer/train.h"

static void usage(void) {
    printf("usage: ticketml finetune --from MODEL.h5 CONFIG.ini --out NEW.h5 [options]\n\n"
           "Continues training MODEL.h5 on the data of CONFIG.ini ([data] train, optional valid/test)\n"
           "with CONFIG's [train] settings. Labels new in the data are added to the model.\n\n"
           "  --from FILE         the model to start from\n"
           "  --out FILE          the fine-tuned model to write (atomically)\n"
           "  --set S.K=V         override a config key (repeatable), e.g. --set train.freeze_embeddings=true\n"
           "  --device D          auto | cpu | cuda\n"
           "  --log-json FILE     one JSON line per validation\n"
           "  --quiet             no progress output\n");
}

/* Featurizes path with the model's features and maps its labels, extending the label map with
 * labels the model has not seen when extend is set. Returns NULL after printing an error. */
static TmlDataset *load_rows(TmlFeatures *f, const char *path, int extend) {
    TmlError err;
    char *p = tml_data_path(path);
    TmlDataset *d = tml_features_transform_file(f, p, NULL, &err);
    free(p);
    if (!d) {
        fprintf(stderr, "ticketml finetune: %s\n", err.msg);
        return NULL;
    }
    if (extend && d->raw_labels) {
        int added = tml_labels_extend(f->labels, (const char *const *)d->raw_labels, d->n_rows);
        if (added < 0) {
            fprintf(stderr, "ticketml finetune: out of memory extending labels\n");
            tml_dataset_free(d);
            return NULL;
        }
        if (added > 0) fprintf(stderr, "finetune: %d new label(s) in %s added to the model\n", added, path);
    }
    if (d->raw_labels)
        for (int64_t i = 0; i < d->n_rows; i++) d->labels[i] = tml_labels_index(f->labels, d->raw_labels[i]);
    return d;
}

int cmd_finetune(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage();
        return 0;
    }
    const char *from = NULL, *out = NULL, *device = NULL, *log_json = NULL, *sets[64], *pos[1];
    int n_sets = 0, n_pos = 0, quiet = 0;
    CliOpt opts[] = {
        {"--from", &from, NULL, NULL, NULL, 0},       {"--out", &out, NULL, NULL, NULL, 0},
        {"--device", &device, NULL, NULL, NULL, 0},   {"--log-json", &log_json, NULL, NULL, NULL, 0},
        {"--set", NULL, NULL, sets, &n_sets, 64},     {"--quiet", NULL, &quiet, NULL, NULL, 0},
    };
    if (cli_parse("finetune", argc, argv, opts, 6, pos, 1, &n_pos) < 0) return 2;
    if (n_pos != 1 || !from || !out) {
        fprintf(stderr, "ticketml finetune: needs --from MODEL.h5, CONFIG.ini and --out NEW.h5 (see --help)\n");
        return 2;
    }
    TmlConfig *cfg = cli_load_config("finetune", pos[0], sets, n_sets);
    if (!cfg) return 2;
    int rc = 1;
    TmlError err;
    TmlBackend *be = NULL;
    TmlLoadedModel *lm = NULL;
    TmlDataset *all = NULL, *train = NULL, *valid = NULL, *test = NULL;
    TmlModel *m = NULL;
    uint8_t *split = NULL;
    FILE *log = NULL;
    TmlTrainOptions o;
    if (tml_train_options_from_config(cfg, &o, &err) < 0) {
        fprintf(stderr, "ticketml finetune: %s\n", err.msg);
        rc = 2;
        goto done;
    }
    if (!(be = cli_open_backend("finetune", device, cfg, quiet))) goto done;
    if (!(lm = tml_modelfile_load(from, be, 0, &err))) {
        fprintf(stderr, "ticketml finetune: %s\n", err.msg);
        rc = 2;
        goto done;
    }
    const char *train_path = tml_config_str(cfg, "data.train", NULL);
    if (!train_path) {
        fprintf(stderr, "ticketml finetune: %s: [data] train is not set; name the new tickets file\n", cfg->path);
        rc = 2;
        goto done;
    }
    TmlFeatures *f = lm->features;
    if (!(all = load_rows(f, train_path, 1))) {
        rc = 2;
        goto done;
    }
    const char *valid_path = tml_config_str(cfg, "data.valid", NULL);
    const char *test_path = tml_config_str(cfg, "data.test", NULL);
    if ((valid_path && !(valid = load_rows(f, valid_path, 0))) || (test_path && !(test = load_rows(f, test_path, 0)))) {
        rc = 2;
        goto done;
    }
    if (!valid) {
        double vf;
        int64_t seed;
        if (tml_config_double(cfg, "data.valid_frac", 0.1, &vf, &err) || tml_config_int(cfg, "data.seed", 42, &seed, &err)) {
            fprintf(stderr, "ticketml finetune: %s\n", err.msg);
            rc = 2;
            goto done;
        }
        if (vf > 0) {
            split = malloc((size_t)all->n_rows + 1);
            if (!split) goto done;
            if (tml_split_stratified(all->labels, all->n_rows, f->labels->n, vf, 0.0, (uint64_t)seed, split, &err) < 0) {
                fprintf(stderr, "ticketml finetune: %s\n", err.msg);
                goto done;
            }
            train = tml_dataset_select(all, split, TML_SPLIT_TRAIN);
            valid = tml_dataset_select(all, split, TML_SPLIT_VALID);
            if (!train || !valid) goto done;
        }
    }
    if (!train) {
        train = all;
        all = NULL;
    }
    if (f->labels->n > lm->model->spec.n_out) {
        if (!(m = tml_model_grow_classes(lm->model, f->labels->n, o.seed, &err))) {
            fprintf(stderr, "ticketml finetune: %s\n", err.msg);
            goto done;
        }
    } else {
        m = lm->model;
        lm->model = NULL;
    }
    if (log_json && !(log = fopen(log_json, "w"))) {
        fprintf(stderr, "ticketml finetune: %s: cannot write the JSON log\n", log_json);
        goto done;
    }
    if (!quiet)
        fprintf(stderr, "finetune: from %s (%s), %d classes, %lld train / %lld valid rows, %s backend%s\n", from,
                tml_arch_name(m->spec.arch), m->spec.n_out, (long long)train->n_rows,
                (long long)(valid ? valid->n_rows : 0), tml_backend_name(be),
                o.freeze_embeddings ? ", embeddings frozen" : "");
    TmlTrainState st;
    tml_train_state_init(&st, o.seed, o.higher_is_better);
    rc = cli_run_training("finetune", m, train, valid, test, &o, &st, quiet, log, out, cfg, f, lm->task, NULL);
done:
    if (log) fclose(log);
    free(split);
    tml_model_free(m);
    tml_loaded_model_free(lm);
    tml_dataset_free(all);
    tml_dataset_free(train);
    tml_dataset_free(valid);
    tml_dataset_free(test);
    tml_backend_free(be);
    tml_config_free(cfg);
    return rc;
}
