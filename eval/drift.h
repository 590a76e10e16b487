/* drift.h — `ticketml drift`: is a model going stale? Scores a REFERENCE file (e.g. the training
 * tickets) and a CURRENT file (e.g. last week's) with a model of any family through the shared
 * scoring path, and compares them: prediction drift (predicted-class shares), confidence drift
 * (top probability, share a person would handle), input drift (text: unseen-token share, length,
 * script mix, the words and word pairs that moved most; tabular: every attribute and history
 * column), label drift and per-class accuracy when labels are there, and a time view per day or
 * week. Each limit that is passed is named; report.json / .md / .html as `eval` writes them.
 * Definitions and defaults: docs/monitoring.md. */
#ifndef TICKETML_EVAL_DRIFT_H
#define TICKETML_EVAL_DRIFT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "eval/drift_stats.h"
#include "ticketml/error.h"

/* Exit statuses of tml_drift_run (and of the command). */
enum {
    TML_DRIFT_OK = 0,      /* nothing past a limit */
    TML_DRIFT_FOUND = 1,   /* a limit was passed (named in the result) */
    TML_DRIFT_BAD_INPUT = 2, /* bad usage, model file, data or config */
    TML_DRIFT_FAILED = 3   /* could not finish: out of memory, report folder not writable, scoring */
};

/* The limits; NaN turns one off. Defaults (tml_drift_limits_default) are Evidently's where it has
 * one: PSI 0.1, Jensen-Shannon distance 0.1; KS p-value off (on a million rows it flags shifts too
 * small to matter). */
typedef struct TmlDriftLimits {
    double max_psi;             /* PSI of every compared distribution */
    double max_js;              /* Jensen-Shannon distance of predicted classes and labels */
    double max_oov_increase;    /* unseen-token share, current minus reference (text); 0.02 */
    double max_manual_increase; /* share below the auto-handle threshold, current minus reference; 0.05 */
    double max_accuracy_drop;   /* accuracy, reference minus current (both labelled); 0.05 */
    double min_ks_p;            /* KS p-value of numeric inputs and confidence; off */
    double alpha;               /* a limit passed counts as drift only when a test says the difference
                                 * is not sampling noise (chi-square over the same bins, two-proportion
                                 * z-test for shares) at this family-wise level, Bonferroni-split over
                                 * the checks; 0.01. NaN: distances alone */
} TmlDriftLimits;

void tml_drift_limits_default(TmlDriftLimits *l);

typedef struct TmlDriftRequest {
    const char *model_path, *reference_path, *current_path;
    const char *tickets;          /* tickets file for history features of both sides; NULL: the model's */
    const char *current_tickets;  /* the current side's, when it differs; NULL: tickets */
    const char *device;           /* NULL: auto */
    const char *report_dir;       /* NULL: no report files */
    const char *time_col;         /* NULL: the model's [data] time (none: no time view) */
    const char *period;           /* "auto" (NULL), "day", "week", "month" */
    double auto_threshold;        /* confidence at or above which a ticket is auto-handled; NaN: the
                                   * reference's coverage threshold at target_accuracy when it has
                                   * labels, else 0.5 */
    double target_accuracy;       /* 0.95 */
    double threshold;             /* binary models: positive when p >= threshold; 0.5 */
    int top_features;             /* input features listed; 20 */
    TmlDriftLimits limits;
    int quiet;                    /* no progress, no warnings */
} TmlDriftRequest;

/* Fills rq with the defaults above (paths NULL). */
void tml_drift_request_default(TmlDriftRequest *rq);

/* One limit, checked. */
typedef struct TmlDriftCheck {
    char *name;       /* "prediction.psi", "input.column.tenure_months.psi", ... */
    char *what;       /* a sentence for people: "predicted-class shares moved (PSI)" */
    double value, limit;
    double p_value;   /* the significance test behind it (NaN: none) */
    int upper;        /* 1: value must stay <= limit; 0: value must stay >= limit (p-values) */
    int failed;       /* past the limit and, when there is a test, p_value < alpha_per_check */
} TmlDriftCheck;

/* One class of the model. */
typedef struct TmlDriftClass {
    double ref_share, cur_share;   /* share of rows predicted as this class */
    double psi_term, js;           /* its PSI term; JS distance of the Bernoulli shares */
    double ref_label_share, cur_label_share; /* share of labelled rows with this label (NaN: no labels) */
    double ref_recall, cur_recall, ref_f1, cur_f1; /* NaN where that side has no labels */
    int64_t ref_support, cur_support;
} TmlDriftClass;

/* A word or word pair whose share of tickets moved. */
typedef struct TmlDriftFeature {
    char *text;          /* the normalized word, or "word word" */
    int bigram;
    int64_t ref_docs, cur_docs; /* tickets containing it */
    double ref_share, cur_share;
    double score;        /* its PSI term over the smoothed shares */
    int unseen;          /* not in the reference at all */
    int example_side;    /* 0 reference, 1 current */
    int64_t example_row; /* 0-based data row of the example on that side */
    char *example;       /* that ticket's text */
} TmlDriftFeature;

/* One attribute (or history / engineered) column of a tabular model. */
typedef struct TmlDriftColumn {
    char *name;
    const char *kind;    /* "numeric", "categorical", "history", "derived" */
    TmlDriftNumeric num; /* numeric kinds */
    int n_cats;          /* categorical: categories, the last one "(other)" for values the model never saw */
    char **cats;         /* (n_cats) */
    double *ref, *cur;   /* (n_cats) shares */
    double psi, js;      /* of whichever applies */
    double chi2_p;       /* chi-square p-value over the same bins */
} TmlDriftColumn;

/* One day, week or month of one side. */
typedef struct TmlDriftPeriod {
    int side;            /* 0 reference, 1 current */
    int64_t start_day;   /* days since 1970-01-01 */
    int64_t rows, labelled;
    double pred_psi;     /* predicted-class shares of the period vs the whole reference */
    double mean_conf, manual_share;
    double oov_share;    /* text: unseen-token share; NaN for tabular */
    double accuracy;     /* NaN without labels */
} TmlDriftPeriod;

typedef struct TmlDriftSide {
    char *path, *fingerprint;
    int64_t rows, labelled;      /* rows read, rows with a label the model knows */
    int64_t unknown_labels;      /* rows with a label the model does not know */
    double accuracy, macro_f1;   /* NaN without labels */
    double mean_conf, manual_share;
    double oov_share, model_oov_share; /* text: unseen-token share; share of tokens not in the model's vocabulary */
} TmlDriftSide;

typedef struct TmlDriftResult {
    char *model_path, *model_fingerprint, *task, *arch;
    int C;
    char **labels;                /* (C) */
    int is_binary, positive;
    double threshold;             /* binary decision threshold */
    TmlDriftSide ref, cur;
    TmlDriftLimits limits;

    TmlDriftClass *classes;       /* (C) */
    double pred_psi, pred_js, pred_p; /* pred_p: chi-square p-value of the predicted-class counts */

    double auto_threshold;        /* the auto-handle confidence threshold used */
    const char *auto_threshold_source; /* static text: where it came from */
    TmlDriftNumeric confidence;   /* top probability */
    TmlDriftNumeric score;        /* binary: probability of the positive class */

    int text;                     /* 1 text model, 0 tabular */
    TmlDriftNumeric length;       /* text: tokens per ticket */
    int n_scripts;
    const char *const *script_names; /* (n_scripts) static */
    double script_ref[4], script_cur[4], script_psi, script_js, script_p;
    int64_t ref_tokens, cur_tokens; /* tokens behind the unseen-token shares */
    double ref_cjk_share, cur_cjk_share; /* tickets with any CJK character */
    int n_features;
    TmlDriftFeature *features;

    int n_columns;
    TmlDriftColumn *columns;

    int has_labels;               /* both sides labelled: label drift and accuracy change */
    int ref_is_training;          /* the reference is the model's own training file */
    int64_t ref_model_rows;       /* reference rows whose model outputs (predictions, confidence,
                                   * accuracy) are compared: all rows, or when the reference is the
                                   * training file, the rows its training split held out */
    int ref_in_sample;            /* 1: the reference is the training file and nothing was held out,
                                   * so its outputs are in-sample; the accuracy-drop check is left out */
    double label_psi, label_js, label_p;

    char *time_col;               /* NULL: no time view */
    const char *period;           /* "day", "week", "month" */
    int n_periods;
    TmlDriftPeriod *periods;
    int64_t ref_bad_time, cur_bad_time; /* rows whose time did not parse (left out of the time view) */

    int n_checks;
    TmlDriftCheck *checks;
    int n_failed;
    double alpha_per_check;       /* the level each check's test is held to: alpha / checks with a test */
    double seconds;               /* wall time of the run */
} TmlDriftResult;

/* Runs the monitor. *out receives the result (caller frees with tml_drift_result_free) when the
 * return is TML_DRIFT_OK or TML_DRIFT_FOUND; the report files are written (all or none) when
 * rq->report_dir is set. Otherwise returns TML_DRIFT_BAD_INPUT or TML_DRIFT_FAILED with err set
 * and writes no file. */
int tml_drift_run(const TmlDriftRequest *rq, TmlDriftResult **out, TmlError *err);
void tml_drift_result_free(TmlDriftResult *r);

/* The report.json document of a result (caller frees with json_decref); NULL when out of memory. */
json_t *tml_drift_to_json(const TmlDriftResult *r);
/* The Markdown and HTML pages (0, or -1 with err). */
int tml_drift_write_md(FILE *f, const TmlDriftResult *r, TmlError *err);
int tml_drift_write_html(FILE *f, const TmlDriftResult *r, TmlError *err);
/* Writes dir/report.json, report.md and report.html (temp names, then renamed; all or none). */
int tml_drift_write_report(const char *dir, const TmlDriftResult *r, TmlError *err);

#endif
