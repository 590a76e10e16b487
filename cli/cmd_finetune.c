/* cmd_finetune.c — `ticketml finetune --from MODEL.h5 CONFIG.ini --out NEW.h5`: warm-start a trained
 * model on new tickets (trainer/run.h). The model's featurization (vocabulary, hashing) is kept;
 * labels new in the new data extend the output layer while old labels keep their weights. */
#include <stdio.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"

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

int cmd_finetune(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage();
        return 0;
    }
    const char *sets[64], *pos[1];
    int n_pos = 0;
    TmlRunRequest rq = {.cmd = "finetune", .sets = sets};
    CliOpt opts[] = {
        {"--from", &rq.from, NULL, NULL, NULL, 0},         {"--out", &rq.out, NULL, NULL, NULL, 0},
        {"--device", &rq.device, NULL, NULL, NULL, 0},     {"--log-json", &rq.log_json, NULL, NULL, NULL, 0},
        {"--set", NULL, NULL, sets, &rq.n_sets, 64},       {"--quiet", NULL, &rq.quiet, NULL, NULL, 0},
    };
    if (cli_parse("finetune", argc, argv, opts, 6, pos, 1, &n_pos) < 0) return 2;
    if (n_pos != 1 || !rq.from || !rq.out) {
        fprintf(stderr, "ticketml finetune: needs --from MODEL.h5, CONFIG.ini and --out NEW.h5 (see --help)\n");
        return 2;
    }
    rq.config_path = pos[0];
    return cli_run_training(&rq, NULL);
}
