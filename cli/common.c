/* common.c — printing the outcome of a training run for train and finetune. */
#include "cli/common.h"

#include <stdio.h>

#include "eval/meter.h"

int cli_run_training(TmlRunRequest *rq, const char *resume_hint) {
    rq->meter = &tml_meter_eval;
    TmlRunResult res;
    TmlError err;
    int rc = tml_run_train(rq, &res, &err);
    if (rc == 130) {
        fprintf(stderr, "ticketml %s: interrupted; checkpoint in %s%s%s\n", rq->cmd, res.ckpt,
                resume_hint ? "; continue with: " : "", resume_hint ? resume_hint : "");
        return rc;
    }
    if (rc != 0) {
        fprintf(stderr, "ticketml %s: %s\n", rq->cmd, err.msg);
        return rc;
    }
    if (res.valid[0]) printf("valid: %s\n", res.valid);
    if (res.test[0]) printf("test: %s\n", res.test);
    printf("model written to %s\n", rq->out);
    return 0;
}
