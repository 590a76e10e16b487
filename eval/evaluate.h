/* evaluate.h — `ticketml eval` end to end: a model file of any family on a labelled data file:
 * featurize with the model's own features, score on the backend, compute the metrics, and write
 * report.json / .md / .html with LIME explanations of a sample of errors and correct predictions. */
#ifndef TICKETML_EVAL_EVALUATE_H
#define TICKETML_EVAL_EVALUATE_H

#include "eval/metrics.h"

typedef struct TmlEvalRequest {
    const char *model_path, *data_path;
    const char *tickets;        /* tickets file for history features; NULL: the model's config */
    const char *device;         /* NULL: auto */
    const char *report_dir;     /* NULL: no report */
    int n_explain;              /* explanations of this many errors and as many correct rows */
    int samples;                /* LIME samples per explanation */
    TmlMetricsOptions metrics;  /* top-k, threshold, target accuracy */
    const char *segments;       /* comma-separated columns to report metrics per value of; NULL: the
                                 * model's [eval] segments (text models add the script mix anyway) */
    int quiet;                  /* no warnings */
} TmlEvalRequest;

/* Evaluates; *metrics receives the metrics (caller frees with tml_metrics_free). Returns the exit
 * status: 0, 1 (failure: scoring, explanations, report), or 2 (bad input: model file, data,
 * labels none of which the model knows), with err set. Warns on stderr about rows with labels the
 * model does not know unless quiet. */
int tml_evaluate(const TmlEvalRequest *rq, TmlMetrics **metrics, TmlError *err);

#endif
