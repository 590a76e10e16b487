/* evaluate.c — `ticketml eval` end to end (see evaluate.h): data checks, scoring, metrics, the
 * explanation sample and the report. */
#include "eval/evaluate.h"

#include <stdio.h>
#include <stdlib.h>

#include "eval/explain_model.h"
#include "eval/report.h"
#include "eval/tree_explain.h"
#include "trainer/gbdt/family.h"
#include "trainer/modelfile.h"
#include "trainer/run.h"

/* The explanations of the report and what they point into. */
typedef struct Sample {
    int n;
    TmlReportExplanation *ex;  /* (n) */
    TmlLimeExplanation **keep; /* (n) the LIME results ex[] borrows names from */
} Sample;

static void sample_free(Sample *s) {
    for (int i = 0; i < s->n; i++) {
        free((void *)s->ex[i].words);
        free((void *)s->ex[i].weights);
        tml_lime_explanation_free(s->keep[i]);
    }
    free(s->ex);
    free(s->keep);
}

/* Adds e as the next explanation of s (which owns it from here). */
static int sample_add(Sample *s, TmlLimeExplanation *e, int64_t row, int pred, TmlError *err) {
    const char **words = malloc((size_t)(e->n_features + 1) * sizeof(char *));
    float *weights = malloc((size_t)(e->n_features + 1) * sizeof(float));
    if (!words || !weights) {
        free(words);
        free(weights);
        tml_lime_explanation_free(e);
        return tml_fail(err, "out of memory");
    }
    for (int k = 0; k < e->n_features; k++) {
        words[k] = e->features[k].name;
        weights[k] = (float)e->features[k].weight;
    }
    s->ex[s->n] = (TmlReportExplanation){.row = row, .label = pred, .prob = e->model_prob, .text = NULL,
                                         .n_words = e->n_features, .words = words, .weights = weights};
    s->keep[s->n++] = e;
    return 0;
}

/* Picks up to n misclassified and n correct rows (as the metrics judge them), spread over the data,
 * and explains them. */
static int explain_sample(TmlLoadedModel *lm, const TmlDataset *ds, const float *probs, const TmlMetrics *mt, int n,
                          int samples, Sample *s, TmlError *err) {
    int C = lm->model->n_out, want_err = n, want_ok = n;
    s->ex = calloc((size_t)(2 * n + 1), sizeof *s->ex);
    s->keep = calloc((size_t)(2 * n + 1), sizeof *s->keep);
    if (!s->ex || !s->keep) return tml_fail(err, "out of memory");
    TmlLimeConfig lc;
    tml_lime_config_default(&lc);
    lc.num_samples = samples;
    int64_t stride = ds->n_rows / (4 * n + 1) + 1;
    for (int64_t r = 0; r < ds->n_rows && (want_err > 0 || want_ok > 0); r += stride) {
        if (ds->labels[r] < 0) continue;
        int pred = tml_metrics_predict(mt, probs + r * C); /* the report's rule (threshold for binary) */
        int ok = pred == ds->labels[r];
        if ((ok && want_ok <= 0) || (!ok && want_err <= 0)) continue;
        lc.seed = (uint64_t)r;
        TmlLimeExplanation *e = ds->kind == TML_DATA_TEXT ? tml_explain_text(lm, ds->texts[r], &lc, pred, err)
                                                          : tml_explain_row(lm, ds->dense + (size_t)r * ds->dim, &lc, pred, err);
        if (!e || sample_add(s, e, r, pred, err) < 0) return -1;
        if (ok) want_ok--;
        else want_err--;
    }
    return 0;
}

/* Rows whose label the model does not know: all of them is bad input, some of them a warning. */
static int check_labels(const TmlEvalRequest *rq, const TmlDataset *ds, TmlError *err) {
    int64_t unknown = 0;
    for (int64_t i = 0; i < ds->n_rows; i++) unknown += ds->labels[i] < 0;
    if (unknown == ds->n_rows)
        return tml_fail(err, "%s: none of its %lld labels is known to the model (first: '%s'); is this the right "
                             "model for this data?",
                        rq->data_path, (long long)ds->n_rows, ds->raw_labels && ds->n_rows ? ds->raw_labels[0] : "");
    if (unknown && !rq->quiet) {
        int64_t first = 0;
        while (ds->labels[first] >= 0) first++;
        fprintf(stderr, "ticketml eval: warning: %lld row(s) have labels the model does not know (e.g. '%s' at line %lld); "
                        "they are excluded from the metrics and counted in the report\n",
                (long long)unknown, ds->raw_labels ? ds->raw_labels[first] : "?", (long long)ds->lines[first]);
    }
    return 0;
}

static int write_report(const TmlEvalRequest *rq, TmlLoadedModel *lm, const TmlDataset *ds, const float *probs,
                        const TmlMetrics *mt, TmlError *err) {
    Sample s = {0};
    char *data_fp = tml_file_fingerprint(rq->data_path), *model_fp = tml_file_fingerprint(rq->model_path);
    int rc = -1;
    TmlError e2;
    if (rq->n_explain > 0 && explain_sample(lm, ds, probs, mt, rq->n_explain, rq->samples, &s, &e2) < 0) {
        tml_fail(err, "explanations: %s", e2.msg);
        goto done;
    }
    /* tree models: each feature's share of the split gain */
    const TmlGbdtModel *g = tml_gbdt_of(lm->model);
    double *imp = g ? malloc(sizeof *imp * (size_t)g->in.F) : NULL;
    if (g && !imp) {
        tml_fail(err, "out of memory");
        goto done;
    }
    if (g) tml_gbdt_importance(g->ens, g->in.F, imp, NULL);
    TmlReportInput in = {
        .importance_kind = g ? "gain" : NULL, .n_importance = g ? g->in.F : 0,
        .importance_names = g ? (const char *const *)g->in.names : NULL, .importance = imp,
        .metrics = mt, .label_names = (const char *const *)lm->features->labels->names, .title = NULL,
        .model_path = rq->model_path, .model_kind = lm->task, .model_fingerprint = model_fp,
        .data_path = rq->data_path, .data_fingerprint = data_fp, .data_rows = ds->n_rows,
        .n_rows = ds->n_rows, .probs = probs, .labels = ds->labels,
        .texts = (const char *const *)ds->texts, .examples_per_pair = 3,
        .n_explanations = s.n, .explanations = s.ex,
    };
    rc = tml_report_write(rq->report_dir, &in, err);
    free(imp);
done:
    sample_free(&s);
    free(data_fp);
    free(model_fp);
    return rc;
}

int tml_evaluate(const TmlEvalRequest *rq, TmlMetrics **metrics, TmlError *err) {
    *metrics = NULL;
    TmlBackend *be = tml_run_backend(rq->device, NULL, rq->quiet, err);
    if (!be) return 1;
    int rc = 2;
    TmlDataset *ds = NULL;
    float *probs = NULL;
    char *tk = NULL;
    TmlLoadedModel *lm = tml_modelfile_load(rq->model_path, be, 0, err);
    if (!lm) goto done;
    tk = tml_loaded_model_tickets(lm, rq->tickets);
    if (!(ds = tml_features_transform_file(lm->features, rq->data_path, tk, err)) || check_labels(rq, ds, err) < 0)
        goto done;
    rc = 1;
    if (!(probs = tml_model_score_new(lm->model, ds, 4096, err)) ||
        !(*metrics = tml_metrics_compute(probs, ds->labels, ds->n_rows, lm->model->n_out, lm->features->positive,
                                         &rq->metrics, err)))
        goto done;
    if (rq->report_dir && write_report(rq, lm, ds, probs, *metrics, err) < 0) goto done;
    rc = 0;
done:
    if (rc != 0) {
        tml_metrics_free(*metrics);
        *metrics = NULL;
    }
    free(tk);
    free(probs);
    tml_dataset_free(ds);
    tml_loaded_model_free(lm);
    tml_backend_free(be);
    return rc;
}
