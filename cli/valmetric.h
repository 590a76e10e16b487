/* valmetric.h — adapts eval/metrics to the trainer's validation callback (the trainer may not
 * depend on eval/, so the CLI hands it this function). */
#ifndef TICKETML_CLI_VALMETRIC_H
#define TICKETML_CLI_VALMETRIC_H

#include <stdint.h>

/* TmlMetricFn: accuracy | macro_f1 | roc_auc (binary; accuracy otherwise) | log_loss, plus the
 * accuracy in *accuracy. NaN (both) on error. */
double cli_valmetric(void *ctx, const char *metric, const float *probs, const int32_t *labels, int64_t n, int C,
                     int positive, double *accuracy);

#endif
