/* cmd_train.c — `ticketml train CONFIG --out MODEL.h5`: fit features on the train split, train on
 * the backend, keep the best model by validation, report test scores (trainer/run.h). --resume
 * continues from the checkpoint MODEL.h5.ckpt that train.checkpoint_every and Ctrl-C leave behind. */
#include <stdio.h>
#include <string.h>

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
           "  --resume            continue from FILE.ckpt (written every train.checkpoint_every, default 10m,\n"
           "                      and on Ctrl-C); keys that differ from the checkpoint's config are listed\n"
           "  --log-json FILE     one JSON line per validation (epoch, step, losses, metrics)\n"
           "  --quiet             no progress output\n\n"
           "Config sections [data] [text] [tabular] [model] [train]: see docs/config.md.\n");
}

/* Appends " opt value" to hint at n (value shell-quoted when it needs it); returns the new length. */
static size_t hint_add(char *hint, size_t n, size_t cap, const char *opt, const char *value) {
    if (n >= cap) return cap;
    if (opt) n += (size_t)snprintf(hint + n, cap - n, "%s%s", n ? " " : "", opt);
    if (!value || n >= cap) return n < cap ? n : cap;
    int plain = value[0] != '\0';
    for (const char *c = value; *c && plain; c++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/=:+@%", *c) != NULL;
    if (plain) {
        n += (size_t)snprintf(hint + n, cap - n, " %s", value);
    } else { /* single quotes; a ' inside becomes '\'' */
        n += (size_t)snprintf(hint + n, cap - n, " '");
        for (const char *c = value; *c && n < cap; c++)
            n += (size_t)snprintf(hint + n, cap - n, *c == '\'' ? "'\\''" : "%c", *c);
        if (n < cap) n += (size_t)snprintf(hint + n, cap - n, "'");
    }
    return n < cap ? n : cap;
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
    /* the resume hint repeats every option that shapes the run, so following it resumes this run */
    char hint[8192];
    size_t n = 0;
    n = hint_add(hint, n, sizeof hint, "ticketml train", NULL);
    n = hint_add(hint, n, sizeof hint, NULL, pos[0]);
    n = hint_add(hint, n, sizeof hint, "--out", rq.out);
    for (int i = 0; i < rq.n_sets; i++) n = hint_add(hint, n, sizeof hint, "--set", sets[i]);
    if (rq.device) n = hint_add(hint, n, sizeof hint, "--device", rq.device);
    if (rq.cache) n = hint_add(hint, n, sizeof hint, "--cache", rq.cache);
    if (rq.log_json) n = hint_add(hint, n, sizeof hint, "--log-json", rq.log_json);
    n = hint_add(hint, n, sizeof hint, "--resume", NULL);
    return cli_run_training(&rq, n < sizeof hint - 1 ? hint : NULL);
}
