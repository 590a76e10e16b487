/* compare.h — compares two report.json files (baseline, candidate) metric by metric and class by
 * class, and decides whether the candidate regressed beyond the allowed drops: the CI gate behind
 * `ticketml compare`. For metrics where lower is better (log_loss, brier, ece, manual share) a
 * rise is the drop. docs/ci-recipe.md shows the gate in a CI job. */
#ifndef TICKETML_EVAL_COMPARE_H
#define TICKETML_EVAL_COMPARE_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "ticketml/error.h"

typedef enum TmlBetter {
    TML_BETTER_NEITHER = 0, /* informational (a threshold): shown, never gated */
    TML_BETTER_HIGHER = 1,
    TML_BETTER_LOWER = -1,
} TmlBetter;

/* "--max-drop metric=delta": the candidate may be at most delta worse than the baseline. */
typedef struct TmlCompareGate {
    char metric[64]; /* a key of report.json "metrics" ("coverage_at_target.coverage" for the nested
                        ones), or per_class.f1 / per_class.precision / per_class.recall (any class) */
    double max_drop; /* >= 0, in the metric's own units */
} TmlCompareGate;

typedef struct TmlCompareRow {
    char name[64];
    TmlBetter better;
    double baseline, candidate; /* NaN when absent or null in that report */
    double delta;               /* candidate - baseline */
    double drop;                /* how much worse: baseline - candidate when higher is better,
                                   candidate - baseline when lower is better; NaN when neither */
    int gated;                  /* a --max-drop applies */
    double max_drop;
    int regressed;              /* gated and drop > max_drop */
} TmlCompareRow;

typedef struct TmlCompareClass {
    char *label;                       /* owned */
    double f1[2], precision[2], recall[2]; /* [0] baseline, [1] candidate */
    int64_t support[2];
    int regressed;                     /* a per_class.* gate failed for this class */
    char regressed_on[16];             /* "f1", "precision" or "recall" (the first that failed) */
    double drop, max_drop;             /* of that failed gate */
} TmlCompareClass;

typedef struct TmlCompareResult {
    int n_metrics;
    TmlCompareRow *metrics;   /* in the fixed order of the metric table */
    int n_classes;
    TmlCompareClass *classes; /* labels in both reports, F1 change ascending (worst first) */
    int n_regressions;        /* failed gates, counting each class separately */
    int n_notes;
    char **notes;             /* things a reader should know: different data, labels in one only */
} TmlCompareResult;

/* Parses "metric=delta". -1 with err on a malformed spec, an unknown metric, a metric with no
 * better direction, or a negative / non-finite delta. */
int tml_compare_parse_gate(const char *spec, TmlCompareGate *g, TmlError *err);

/* Loads a report.json (path may be the report folder) and checks it is one. Caller json_decrefs.
 * NULL with err naming the file (and line:column for invalid JSON). */
json_t *tml_compare_load(const char *path, TmlError *err);

/* Compares two loaded reports under the gates. NULL with err when a gated metric is absent/null in
 * either report (e.g. roc_auc in a multiclass report) or a report lacks its "metrics" object.
 * Caller frees with tml_compare_free. */
TmlCompareResult *tml_compare_reports(const json_t *baseline, const json_t *candidate, const TmlCompareGate *gates,
                                      int n_gates, TmlError *err);

/* 0 when nothing regressed, 1 otherwise (the process exit status of `ticketml compare`). */
int tml_compare_exit_code(const TmlCompareResult *r);

/* The human table (metrics, then per class) and a one-line verdict. */
void tml_compare_print(FILE *f, const TmlCompareResult *r, const char *baseline_name, const char *candidate_name);

/* The same as a JSON document (caller json_decrefs). */
json_t *tml_compare_to_json(const TmlCompareResult *r, const char *baseline_name, const char *candidate_name);

void tml_compare_free(TmlCompareResult *r);

/* The gateable metric names, comma-separated (for help and error messages). */
const char *tml_compare_metric_list(void);

#endif
