/* meter.h — eval/metrics as the trainer's meter (trainer/run.h): the validation metric and the
 * score lines after training. The trainer may not include eval/, so the CLI hands it this. */
#ifndef TICKETML_EVAL_METER_H
#define TICKETML_EVAL_METER_H

#include "trainer/run.h"

/* value: accuracy | macro_f1 | roc_auc (binary; accuracy otherwise) | log_loss, plus the accuracy in
 * *accuracy (NaN both on error). summary: "accuracy A  macro-F1 F  [ROC-AUC R  PR-AUC P]  log-loss L
 * (n rows[, k with labels unknown to the model])". */
extern const TmlMeter tml_meter_eval;

#endif
