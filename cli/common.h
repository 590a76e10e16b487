/* common.h — what train and finetune print around a training run (trainer/run.h). */
#ifndef TICKETML_CLI_COMMON_H
#define TICKETML_CLI_COMMON_H

#include "trainer/run.h"

/* Runs rq with eval's meter and prints the outcome: the valid/test score lines and where the model
 * went, or the error, or how to resume after Ctrl-C (resume_hint, may be NULL). Returns the exit
 * status (0, 1, 2 or 130). */
int cli_run_training(TmlRunRequest *rq, const char *resume_hint);

#endif
