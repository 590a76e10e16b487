/* cmd_train.c — `ticketml train CONFIG --out MODEL.h5`: fit features on the train split, train on
 * the backend, keep the best model by validation, report test scores (trainer/run.h). --resume
 * continues from the checkpoint MODEL.h5.ckpt that epoch ends and Ctrl-C leave behind. */
#include <stdio.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"

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
    const char *sets[64], *pos[1];
    int n_pos = 0;
    TmlRunRequest rq = {.cmd = "train", .sets = sets};
    CliOpt opts[] = {
        {"--out", &rq.out, NULL, NULL, NULL, 0},           {"--device", &rq.device, NULL, NULL, NULL, 0},
        {"--cache", &rq.cache, NULL, NULL, NULL, 0},       {"--log-json", &rq.log_json, NULL, NULL, NULL, 0},
        {"--set", NULL, NULL, sets, &rq.n_sets, 64},       {"--resume", NULL, &rq.resume, NULL, NULL, 0},
        {"--quiet", NULL, &rq.quiet, NULL, NULL, 0},
    };
    if (cli_parse("train", argc, argv, opts, 7, pos, 1, &n_pos) < 0) return 2;
    if (n_pos != 1 || !rq.out) {
        fprintf(stderr, "ticketml train: needs CONFIG.ini and --out MODEL.h5 (see --help)\n");
        return 2;
    }
    rq.config_path = pos[0];
    char hint[4400];
    snprintf(hint, sizeof hint, "ticketml train %s --out %s --resume", pos[0], rq.out);
    return cli_run_training(&rq, hint);
}
