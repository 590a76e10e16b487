/* meter.c — the trainer's meter computed by eval/metrics (see meter.h). */
#include "eval/meter.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "eval/metrics.h"

static double meter_value(void *ctx, const char *metric, const float *probs, const int32_t *labels, int64_t n, int C,
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

static int meter_summary(const float *probs, const int32_t *labels, int64_t n, int C, int positive, char *buf,
                         size_t len, TmlError *err) {
    TmlMetrics *mt = tml_metrics_compute(probs, labels, n, C, positive, NULL, err);
    if (!mt) return -1;
    size_t k = (size_t)snprintf(buf, len, "accuracy %.4f  macro-F1 %.4f", mt->accuracy, mt->macro.f1);
    if (mt->is_binary && k < len)
        k += (size_t)snprintf(buf + k, len - k, "  ROC-AUC %.4f  PR-AUC %.4f", mt->binary.roc_auc, mt->binary.pr_auc);
    if (k < len) k += (size_t)snprintf(buf + k, len - k, "  log-loss %.4f  (%lld rows", mt->log_loss, (long long)mt->n_evaluated);
    if (mt->n_unknown && k < len)
        k += (size_t)snprintf(buf + k, len - k, ", %lld with labels unknown to the model", (long long)mt->n_unknown);
    if (k < len) snprintf(buf + k, len - k, ")");
    tml_metrics_free(mt);
    return 0;
}

const TmlMeter tml_meter_eval = {.value = meter_value, .summary = meter_summary};
