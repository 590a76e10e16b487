/* evaluate.c — `ticketml eval` end to end (see evaluate.h): data checks, scoring, metrics, the
 * explanation sample and the report. */
#include "eval/evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/explain_model.h"
#include "eval/global_explain.h"
#include "eval/permutation.h"
#include "eval/training_scores.h"
#include "eval/report.h"
#include "eval/segments.h"
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

/* Picks n misclassified and n correct rows (as the metrics judge them; fewer only when the data has
 * fewer), each set spread evenly over its rows, and explains them, errors first. */
static int explain_sample(TmlLoadedModel *lm, const TmlDataset *ds, const float *probs, const TmlMetrics *mt, int n,
                          int samples, Sample *s, TmlError *err) {
    int C = lm->model->n_out;
    s->ex = calloc((size_t)(2 * n + 1), sizeof *s->ex);
    s->keep = calloc((size_t)(2 * n + 1), sizeof *s->keep);
    int64_t *rows[2] = {malloc(sizeof(int64_t) * (size_t)(ds->n_rows + 1)), malloc(sizeof(int64_t) * (size_t)(ds->n_rows + 1))};
    int64_t cnt[2] = {0, 0};
    if (!s->ex || !s->keep || !rows[0] || !rows[1]) {
        free(rows[0]), free(rows[1]);
        return tml_fail(err, "out of memory");
    }
    for (int64_t r = 0; r < ds->n_rows; r++) {
        if (ds->labels[r] < 0) continue;
        int ok = tml_metrics_predict(mt, probs + r * C) == ds->labels[r]; /* the report's rule */
        rows[ok][cnt[ok]++] = r;
    }
    TmlLimeConfig lc;
    tml_lime_config_default(&lc);
    lc.num_samples = samples;
    int rc = 0;
    for (int ok = 0; ok < 2 && !rc; ok++) {
        int64_t take = cnt[ok] < n ? cnt[ok] : n;
        for (int64_t k = 0; k < take && !rc; k++) {
            int64_t r = rows[ok][k * cnt[ok] / take + cnt[ok] / (2 * take)]; /* the middle of each 1/take slice */
            int pred = tml_metrics_predict(mt, probs + r * C);
            lc.seed = (uint64_t)r;
            TmlLimeExplanation *e = ds->kind == TML_DATA_TEXT ? tml_explain_text(lm, ds->texts[r], &lc, pred, err)
                                                              : tml_explain_row(lm, ds->dense + (size_t)r * ds->dim, &lc, pred, err);
            if (!e || sample_add(s, e, r, pred, err) < 0) rc = -1;
        }
    }
    free(rows[0]), free(rows[1]);
    return rc;
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

/* "C0001234 · contract=Month-to-month · tenure_months=3 · ..." for a tabular row: its id and its
 * attributes as the file has them (the label left out), so an example names the customer. */
static char *row_description(const TmlTable *t, const TmlFeatures *f, const TmlDataset *ds, int64_t r) {
    size_t cap = 900, n = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    s[0] = 0;
    int id = f->id_col ? tml_table_col(t, f->id_col, NULL) : -1, lab = tml_table_col(t, f->label_col, NULL);
    if (id >= 0) n += (size_t)snprintf(s + n, cap - n, "%s", tml_table_cell(t, r, id));
    for (int c = 0; c < t->n_cols && n < cap - 1; c++) {
        if (c == id || c == lab) continue;
        n += (size_t)snprintf(s + n, cap - n, "%s%s=%s", n ? " · " : "", t->col_names[c], tml_table_cell(t, r, c));
    }
    /* the ticket history the model saw (not in the file): the non-zero values, in their own units */
    for (int c = 0; f->use_history && c < f->tab->n_cols && n < cap - 1; c++) {
        const TmlTabColumn *col = &f->tab->cols[c];
        int hist = 0;
        for (int h = 0; h < f->history_dim && !hist; h++) hist = !strcmp(f->history_names[h], col->name);
        if (!hist || col->type != TML_COL_NUMERIC) continue;
        double v = ds->dense[(size_t)r * (size_t)ds->dim + (size_t)col->offset] * col->std + col->mean;
        if (fabs(v) > 1e-5 * (1 + fabs(col->mean) + col->std)) /* float rounding of a 0 */
            n += (size_t)snprintf(s + n, cap - n, " · %s=%.4g", col->name, v);
    }
    if (n >= cap) strcpy(s + cap - 4, "…");
    return s;
}

/* Descriptions of the tabular rows the report shows (explained rows and the confused pairs'
 * examples); NULL for every other row. *out NULL when the data is text. */
static int describe_rows(const TmlTable *t, const TmlFeatures *f, const TmlDataset *ds, const TmlReportInput *in,
                         char ***out, TmlError *err) {
    *out = NULL;
    if (f->kind != TML_DATA_TABULAR) return 0;
    char **d = calloc((size_t)(in->n_rows > 0 ? in->n_rows : 1), sizeof *d);
    if (!d) return tml_fail(err, "out of memory");
    int64_t rows[64];
    for (int i = 0; i < in->metrics->n_pairs; i++) {
        int k = tml_report_pick_examples(in, in->metrics->pairs[i].truth, in->metrics->pairs[i].predicted, rows,
                                         in->examples_per_pair > 0 ? in->examples_per_pair : 3);
        for (int j = 0; j < k; j++)
            if (!d[rows[j]]) d[rows[j]] = row_description(t, f, ds, rows[j]);
    }
    for (int i = 0; i < in->n_explanations; i++) {
        int64_t r = in->explanations[i].row;
        if (r >= 0 && r < in->n_rows && !d[r]) d[r] = row_description(t, f, ds, r);
    }
    *out = d;
    return 0;
}

static int write_report(const TmlEvalRequest *rq, TmlLoadedModel *lm, const TmlTable *t, const TmlDataset *ds,
                        const float *probs, const TmlMetrics *mt, const TmlSegments *seg, TmlError *err) {
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
    /* text models: what each class responds to, asked of the model through its family's score */
    TmlGlobalExplanation *ge = NULL;
    if (ds->kind == TML_DATA_TEXT && ds->texts && !(ge = tml_global_explain_text(lm, ds, 8, err))) {
        free(imp);
        goto done;
    }
    /* other tabular families: permutation importance through their own score */
    const char *const *pnames = NULL;
    const char *pmetric = NULL;
    char pkind[64] = "";
    int n_perm = 0;
    if (!g && ds->kind == TML_DATA_TABULAR) {
        n_perm = tml_permutation_importance(lm, ds, &pnames, &imp, &pmetric, err);
        if (n_perm < 0) {
            tml_global_explanation_free(ge);
            goto done;
        }
        snprintf(pkind, sizeof pkind, "permutation: %s drop", pmetric);
    }
    /* how the model came to be: config, training curve, train and held-out scores */
    TmlMetrics *mtrain = NULL, *mvalid = NULL;
    const char *tnote = NULL;
    char *cfg_text = tml_config_to_string(lm->config);
    if (tml_training_scores(lm, &rq->metrics, &mtrain, &mvalid, &tnote, err)) {
        free(cfg_text);
        tml_global_explanation_free(ge);
        free((void *)pnames);
        free(imp);
        goto done;
    }
    TmlReportInput in = {
        .config_text = cfg_text, .training = lm->state.n_log > 0 ? &lm->state : NULL, .train_metrics = mtrain,
        .valid_metrics = mvalid, .train_note = tnote,
        .importance_kind = g ? "gain" : n_perm > 0 ? pkind : NULL, .n_importance = g ? g->in.F : n_perm,
        .importance_names = g ? (const char *const *)g->in.names : pnames, .importance = imp,
        .metrics = mt, .label_names = (const char *const *)lm->features->labels->names, .title = NULL,
        .model_path = rq->model_path, .model_kind = lm->task, .model_fingerprint = model_fp,
        .data_path = rq->data_path, .data_fingerprint = data_fp, .data_rows = ds->n_rows,
        .n_rows = ds->n_rows, .probs = probs, .labels = ds->labels,
        .texts = (const char *const *)ds->texts, .examples_per_pair = 3,
        .n_explanations = s.n, .explanations = s.ex, .segments = seg, .global = ge,
    };
    char **desc = NULL;
    if (describe_rows(t, lm->features, ds, &in, &desc, err) == 0) {
        if (desc) in.texts = (const char *const *)desc;
        rc = tml_report_write(rq->report_dir, &in, err);
    }
    for (int64_t i = 0; desc && i < ds->n_rows; i++) free(desc[i]);
    free(desc);
    tml_global_explanation_free(ge);
    free((void *)pnames);
    tml_metrics_free(mtrain);
    tml_metrics_free(mvalid);
    free(cfg_text);
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
    TmlTable *t = NULL;
    TmlSegments *seg = NULL;
    float *probs = NULL;
    char *tk = NULL, *path = NULL;
    TmlLoadedModel *lm = tml_modelfile_load(rq->model_path, be, 0, err);
    if (!lm) goto done;
    tk = tml_loaded_model_tickets(lm, rq->tickets);
    /* the table is read once: features, and the raw columns segments are cut by */
    if (!(path = tml_data_path(rq->data_path))) {
        rc = 1;
        tml_fail(err, "out of memory");
        goto done;
    }
    if (!(t = tml_table_read(path, TML_FORMAT_AUTO, err)) ||
        !(ds = tml_features_transform_table(lm->features, t, tk, 0, err)) || check_labels(rq, ds, err) < 0)
        goto done;
    rc = 1;
    if (!(probs = tml_model_score_new(lm->model, ds, 4096, err)) ||
        !(*metrics = tml_metrics_compute(probs, ds->labels, ds->n_rows, lm->model->n_out, lm->features->positive,
                                         &rq->metrics, err)))
        goto done;
    if (rq->report_dir) {
        const char *spec = rq->segments ? rq->segments : tml_config_str(lm->config, "eval.segments", NULL);
        int bad = 0;
        if (!(seg = tml_segments_compute(spec, t, ds, probs, lm->model->n_out, lm->features->positive, &rq->metrics,
                                         &bad, err))) {
            if (bad) rc = 2;
            goto done;
        }
        if (write_report(rq, lm, t, ds, probs, *metrics, seg, err) < 0) goto done;
    }
    rc = 0;
done:
    if (rc != 0) {
        tml_metrics_free(*metrics);
        *metrics = NULL;
    }
    tml_segments_free(seg);
    free(tk);
    free(path);
    free(probs);
    tml_dataset_free(ds);
    tml_table_free(t);
    tml_loaded_model_free(lm);
    tml_backend_free(be);
    return rc;
}
