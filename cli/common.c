/* common.c — config loading, backend opening and score printing shared by train/finetune/eval. */
#include "cli/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "eval/metrics.h"
#include "trainer/score.h"
#include "cli/valmetric.h"
#include "trainer/train.h"

TmlConfig *cli_load_config(const char *cmd, const char *path, const char *const *sets, int n_sets) {
    TmlError err;
    TmlConfig *cfg = tml_config_load(path, &err);
    if (!cfg) {
        fprintf(stderr, "ticketml %s: %s\n", cmd, err.msg);
        return NULL;
    }
    for (int i = 0; i < n_sets; i++)
        if (tml_config_set(cfg, sets[i], &err) < 0) {
            fprintf(stderr, "ticketml %s: --set %s: %s\n", cmd, sets[i], err.msg);
            tml_config_free(cfg);
            return NULL;
        }
    if (tml_config_check_keys(cfg, TML_KNOWN_CONFIG_KEYS, &err) < 0) {
        fprintf(stderr, "ticketml %s: %s\n", cmd, err.msg);
        tml_config_free(cfg);
        return NULL;
    }
    return cfg;
}

TmlBackend *cli_open_backend(const char *cmd, const char *device, const TmlConfig *cfg, int quiet) {
    TmlError err;
    TmlDeviceKind kind;
    const char *d = device ? device : (cfg ? tml_config_str(cfg, "train.device", "auto") : "auto");
    if (tml_device_parse(d, &kind, &err) < 0) {
        fprintf(stderr, "ticketml %s: %s\n", cmd, err.msg);
        return NULL;
    }
    TmlBackend *be = tml_backend_create(kind, quiet, &err);
    if (!be) fprintf(stderr, "ticketml %s: %s\n", cmd, err.msg);
    return be;
}

int cli_print_scores(TmlModel *m, const TmlDataset *ds, const TmlFeatures *f, const char *name) {
    TmlError err;
    float *probs = tml_score_dataset(m, ds, 1024, &err);
    if (!probs) {
        fprintf(stderr, "ticketml: scoring %s: %s\n", name, err.msg);
        return -1;
    }
    TmlMetrics *mt = tml_metrics_compute(probs, ds->labels, ds->n_rows, m->spec.n_out, f->positive, NULL, &err);
    free(probs);
    if (!mt) {
        fprintf(stderr, "ticketml: metrics on %s: %s\n", name, err.msg);
        return -1;
    }
    printf("%s: accuracy %.4f  macro-F1 %.4f", name, mt->accuracy, mt->macro.f1);
    if (mt->is_binary) printf("  ROC-AUC %.4f  PR-AUC %.4f", mt->binary.roc_auc, mt->binary.pr_auc);
    printf("  log-loss %.4f  (%lld rows", mt->log_loss, (long long)mt->n_evaluated);
    if (mt->n_unknown) printf(", %lld with labels unknown to the model", (long long)mt->n_unknown);
    printf(")\n");
    tml_metrics_free(mt);
    return 0;
}

int cli_run_training(const char *cmd, TmlModel *m, const TmlDataset *train, const TmlDataset *valid,
                     const TmlDataset *test, TmlTrainOptions *o, TmlTrainState *st, int quiet, FILE *log,
                     const char *out, const TmlConfig *cfg, const TmlFeatures *f, const char *task,
                     const char *resume_hint) {
    char ckpt[4096];
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", out);
    o->quiet = quiet;
    o->log_json = log;
    o->out_path = out;
    o->ckpt_path = ckpt;
    o->cfg = cfg;
    o->features = f;
    o->task = task;
    o->metric_fn = cli_valmetric;
    TmlError err;
    int r = tml_train(m, train, valid, o, st, &err);
    if (r < 0) {
        fprintf(stderr, "ticketml %s: %s\n", cmd, err.msg);
        return 1;
    }
    if (r == 1) {
        fprintf(stderr, "ticketml %s: interrupted; checkpoint in %s%s%s\n", cmd, ckpt, resume_hint ? "; continue with: " : "",
                resume_hint ? resume_hint : "");
        return 130;
    }
    unlink(ckpt); /* finished: the checkpoint has served its purpose */
    if (valid) cli_print_scores(m, valid, f, "valid");
    if (test) cli_print_scores(m, test, f, "test");
    printf("model written to %s\n", out);
    return 0;
}

char *cli_tickets_path(const TmlLoadedModel *lm, const char *given) {
    if (!given && lm->features->use_history) given = tml_config_str(lm->config, "data.tickets", NULL);
    return given ? tml_data_path(given) : NULL;
}
