/* report.h — writes an evaluation into a folder as report.json (stable keys, for machines and
 * `ticketml compare`; docs/report.md lists them), report.md (for CI logs) and report.html (one
 * offline file with inline SVG charts). Every file goes to a temporary name first, then is renamed. */
#ifndef TICKETML_EVAL_REPORT_H
#define TICKETML_EVAL_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "eval/metrics.h"
#include "ticketml/error.h"

/* One explanation to render (the hook for LIME output): words with signed weights toward label.
 * The HTML highlights each word where it occurs in the text (green supports the label, red speaks
 * against it, stronger colour = larger |weight|) and lists the weights as bars. Tabular
 * explanations (rules such as "tenure <= 9") have no text and render as bars only. */
typedef struct TmlReportExplanation {
    int64_t row;                 /* row in the evaluated data (for the caption and its text), or -1 */
    int label;                   /* explained class index */
    double prob;                 /* the model's probability for label; NaN when not known */
    const char *text;            /* text to highlight; NULL: TmlReportInput.texts[row] when given */
    int n_words;
    const char *const *words;    /* (n_words) words or rules */
    const float *weights;        /* (n_words) signed weights */
} TmlReportExplanation;

typedef struct TmlReportInput {
    const TmlMetrics *metrics;          /* required */
    const char *const *label_names;     /* (metrics->n_classes) required */
    const char *title;                  /* optional heading; NULL: "ticketml evaluation" */

    const char *model_path, *model_kind, *model_fingerprint; /* optional (NULL -> JSON null) */
    const char *data_path, *data_fingerprint;                /* optional */
    int64_t data_rows;                  /* rows read from the data; < 0: metrics->n_rows */

    /* Optional per-row inputs for example tickets in the most-confused pairs: the same probs and
     * labels the metrics were computed from, and each row's text (NULL: examples show row numbers,
     * or are left out when probs is NULL too). */
    int64_t n_rows;                     /* rows in probs/labels/texts */
    const float *probs;                 /* (n_rows, C) */
    const int32_t *labels;              /* (n_rows) */
    const char *const *texts;           /* (n_rows) or NULL */
    int examples_per_pair;              /* example tickets per confused pair; <= 0: 3 */

    int n_explanations;
    const TmlReportExplanation *explanations; /* (n_explanations) or NULL */

    /* Optional global explanation of a text model (eval/global_explain.h): top n-grams per class. */
    const struct TmlGlobalExplanation *global;

    /* Optional: how the model came to be (eval fills them from the model file). */
    const char *config_text;                 /* the run's config as written, or NULL */
    const struct TmlTrainState *training;    /* its training curve (trainer/train.h: n_log entries), or NULL */
    const TmlMetrics *train_metrics;         /* on the rows it trained on, or NULL */
    const TmlMetrics *valid_metrics;         /* on the rows its training held out, or NULL */
    const char *train_note;                  /* why those two are missing, or NULL */

    /* Optional metrics per segment (eval/segments.h): the same metrics on groups of the rows. */
    const struct TmlSegments *segments;   /* NULL: no segment section */

    /* Optional global feature importance (tree models: each feature's share of the split gain);
     * the writers list it largest first. importance_kind NULL: no importance section. */
    const char *importance_kind;          /* e.g. "gain" */
    int n_importance;
    const char *const *importance_names;  /* (n_importance) */
    const double *importance;             /* (n_importance) */
} TmlReportInput;

/* Rows of the input whose true class is truth and predicted class is predicted, most confident
 * first (ties by row), at most max; returns how many were written to rows. 0 when the input has
 * no per-row data. The eval run uses it to know which rows to describe. */
int tml_report_pick_examples(const TmlReportInput *in, int truth, int predicted, int64_t *rows, int max);

/* The order of the importance entries, largest first (ties by name order), malloc'd (caller
 * frees); NULL when there are none or when out of memory. */
int *tml_report_importance_order(const TmlReportInput *in);

/* Writes dir/report.json, dir/report.md and dir/report.html, creating dir (and parents) when
 * missing. Each file is written to a temporary name in dir and renamed, so a reader never sees a
 * half file; on failure no new report file is left behind. Returns 0, or -1 with err set. */
int tml_report_write(const char *dir, const TmlReportInput *in, TmlError *err);

/* Any set of report files (the drift monitor's too): each writer fills one open stream from ctx.
 * Same all-or-none temp-and-rename as tml_report_write; at most 8 files. 0, or -1 with err. */
typedef int (*TmlReportFileWriter)(FILE *f, const void *ctx, TmlError *err);
typedef struct TmlReportFile {
    const char *name;
    TmlReportFileWriter write;
} TmlReportFile;
int tml_report_write_files(const char *dir, const TmlReportFile *files, int n_files, const void *ctx, TmlError *err);

/* The report.json document (caller frees with json_decref), or NULL with err set. */
json_t *tml_report_to_json(const TmlReportInput *in, TmlError *err);

/* The single writers, each to an open stream (the caller handles temp-and-rename). 0 or -1. */
int tml_report_write_json(FILE *f, const TmlReportInput *in, TmlError *err);
int tml_report_write_md(FILE *f, const TmlReportInput *in, TmlError *err);
int tml_report_write_html(FILE *f, const TmlReportInput *in, TmlError *err);

#endif
