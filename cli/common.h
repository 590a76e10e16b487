/* common.h — steps several subcommands share: loading a config with --set overrides and typo
 * checks, opening the compute backend, and printing a model's scores on a dataset. */
#ifndef TICKETML_CLI_COMMON_H
#define TICKETML_CLI_COMMON_H

#include "data/config.h"
#include "data/dataset.h"
#include "kernels/backend.h"
#include "trainer/model.h"
#include "trainer/modelfile.h"
#include "trainer/train.h"

/* Loads path, applies sets[0..n_sets) ("section.key=value"), checks every key is known. Prints
 * the error and returns NULL on failure. Caller frees with tml_config_free. */
TmlConfig *cli_load_config(const char *cmd, const char *path, const char *const *sets, int n_sets);
/* Opens the backend named by device (NULL: the config's train.device, else auto). Prints the
 * error and returns NULL on failure. */
TmlBackend *cli_open_backend(const char *cmd, const char *device, const TmlConfig *cfg, int quiet);
/* Scores ds with m and prints "NAME: accuracy A  macro-F1 F  [ROC-AUC R]  (n rows)" to stdout. */
int cli_print_scores(TmlModel *m, const TmlDataset *ds, const TmlFeatures *f, const char *name);

/* The tickets file behind a tabular model's history features: given (--tickets), else the
 * model's own [data] tickets when it uses history; ${TICKETML_DATA} expanded. NULL when there is
 * none; the caller frees. */
char *cli_tickets_path(const TmlLoadedModel *lm, const char *given);

/* Wires the CLI's outputs into o (log, --out, OUT.ckpt, config, features, task, validation metric),
 * trains, and reports: valid/test scores and where the model went, or how to resume after
 * Ctrl-C (resume_hint, may be NULL). Returns the exit status: 0, 1 (error printed) or 130. */
int cli_run_training(const char *cmd, TmlModel *m, const TmlDataset *train, const TmlDataset *valid,
                     const TmlDataset *test, TmlTrainOptions *o, TmlTrainState *st, int quiet, FILE *log,
                     const char *out, const TmlConfig *cfg, const TmlFeatures *f, const char *task,
                     const char *resume_hint);

#endif
