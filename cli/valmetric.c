/* valmetric.c — the validation metric the CLI passes to the trainer, computed by eval/metrics. */
#include "cli/valmetric.h"

#include <math.h>
#include <string.h>

#include "eval/metrics.h"

double cli_valmetric(void *ctx, const char *metric, const float *probs, const int32_t *labels, int64_t n, int C,
                     int positive, double *accuracy) {
    (void)ctx;
    TmlError err;
    TmlMetrics *m = tml_metrics_compute(probs, labels, n, C, positive, NULL, &err);
    *accuracy = NAN;
    if (!m) return NAN;
    double v = *accuracy = m->accuracy;
    if (!strcmp(metric, "macro_f1")) v = m->macro.f1;
    else if (!strcmp(metric, "log_loss")) v = m->log_loss;
    else if (!strcmp(metric, "roc_auc") && m->is_binary) v = m->binary.roc_auc;
    tml_metrics_free(m);
    return v;
}
