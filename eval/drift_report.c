/* drift_report.c — the drift report's files: report.json (stable keys, docs/monitoring.md), and the
 * all-or-none write of report.json / report.md / report.html through the eval report's file
 * writer. Undefined numbers (NaN) are null. */
#include <math.h>
#include <stdlib.h>

#include "data/date.h"
#include "eval/drift.h"
#include "eval/report.h"
#include "eval/report_util.h"

#define TML_DRIFT_FORMAT "ticketml-drift"
#define TML_DRIFT_FORMAT_VERSION 1

static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *str(const char *s) {
    if (!s) return json_null();
    char *c = tml_report_clean_text(s, 0);
    json_t *j = c ? json_string(c) : NULL;
    free(c);
    return j ? j : json_null();
}

static json_t *nums(const double *v, int n) {
    json_t *a = json_array();
    for (int i = 0; v && i < n; i++) json_array_append_new(a, num(v[i]));
    return a;
}

static json_t *numeric(const TmlDriftNumeric *d) {
    const TmlDriftHist *h = &d->hist;
    json_t *hist = json_pack("{s:o, s:o, s:o, s:o}", "edges", h->edges ? nums(h->edges, h->n + 1) : json_null(),
                             "values", h->values ? nums(h->values, h->n) : json_null(), "reference", nums(h->ref, h->n),
                             "current", nums(h->cur, h->n));
    return json_pack("{s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "reference_n",
                     (json_int_t)d->n_ref, "current_n", (json_int_t)d->n_cur, "reference_missing",
                     (json_int_t)d->missing_ref, "current_missing", (json_int_t)d->missing_cur, "reference_mean",
                     num(d->ref_mean), "current_mean", num(d->cur_mean), "reference_std", num(d->ref_std),
                     "current_std", num(d->cur_std), "psi", num(d->psi), "js", num(d->js), "ks", num(d->ks),
                     "ks_p_value", num(d->ks_p), "wasserstein_norm", num(d->wasserstein), "chi2_p_value", num(d->chi2_p),
                     "histogram", hist);
}

static json_t *side(const TmlDriftSide *s) {
    return json_pack("{s:o, s:o, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "path", str(s->path), "fingerprint",
                     str(s->fingerprint), "rows", (json_int_t)s->rows, "labelled", (json_int_t)s->labelled,
                     "unknown_labels", (json_int_t)s->unknown_labels, "accuracy", num(s->accuracy), "macro_f1",
                     num(s->macro_f1), "mean_confidence", num(s->mean_conf), "manual_share", num(s->manual_share),
                     "unseen_token_share", num(s->oov_share), "model_oov_share", num(s->model_oov_share));
}

static json_t *classes(const TmlDriftResult *r) {
    json_t *a = json_array();
    for (int c = 0; c < r->C; c++) {
        const TmlDriftClass *k = &r->classes[c];
        json_array_append_new(
            a, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I}", "label", str(r->labels[c]),
                         "reference_share", num(k->ref_share), "current_share", num(k->cur_share), "psi_term",
                         num(k->psi_term), "js", num(k->js), "reference_label_share", num(k->ref_label_share),
                         "current_label_share", num(k->cur_label_share), "reference_recall", num(k->ref_recall),
                         "current_recall", num(k->cur_recall), "reference_f1", num(k->ref_f1), "current_f1",
                         num(k->cur_f1), "reference_support", (json_int_t)k->ref_support, "current_support",
                         (json_int_t)k->cur_support));
    }
    return a;
}

static json_t *input(const TmlDriftResult *r) {
    if (r->text) {
        json_t *scripts = json_array();
        for (int k = 0; k < r->n_scripts; k++)
            json_array_append_new(scripts, json_pack("{s:s, s:o, s:o}", "script", r->script_names[k], "reference_share",
                                                     num(r->script_ref[k]), "current_share", num(r->script_cur[k])));
        json_t *feats = json_array();
        for (int i = 0; i < r->n_features; i++) {
            const TmlDriftFeature *f = &r->features[i];
            json_array_append_new(
                feats, json_pack("{s:o, s:s, s:I, s:I, s:o, s:o, s:o, s:b, s:{s:s, s:I, s:o}}", "feature", str(f->text),
                                 "kind", f->bigram ? "word pair" : "word", "reference_tickets", (json_int_t)f->ref_docs,
                                 "current_tickets", (json_int_t)f->cur_docs, "reference_share", num(f->ref_share),
                                 "current_share", num(f->cur_share), "score", num(f->score), "unseen", f->unseen,
                                 "example", "side", f->example_side ? "current" : "reference", "row",
                                 (json_int_t)f->example_row + 1, "text", str(f->example)));
        }
        return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "kind", "text",
                         "reference_unseen_token_share", num(r->ref.oov_share), "current_unseen_token_share",
                         num(r->cur.oov_share), "reference_model_oov_share", num(r->ref.model_oov_share),
                         "current_model_oov_share", num(r->cur.model_oov_share), "length", numeric(&r->length),
                         "script", json_pack("{s:o, s:o, s:o}", "shares", scripts, "psi", num(r->script_psi), "js",
                                             num(r->script_js)),
                         "reference_cjk_share", num(r->ref_cjk_share), "current_cjk_share", num(r->cur_cjk_share),
                         "top_features", feats, "columns", json_null());
    }
    json_t *cols = json_array();
    for (int i = 0; i < r->n_columns; i++) {
        const TmlDriftColumn *c = &r->columns[i];
        json_t *o = json_pack("{s:o, s:s, s:o, s:o, s:o}", "name", str(c->name), "kind", c->kind, "psi", num(c->psi),
                              "js", num(c->js), "chi2_p_value", num(c->chi2_p));
        if (c->cats) {
            json_t *cats = json_array();
            for (int k = 0; k < c->n_cats; k++)
                json_array_append_new(cats, json_pack("{s:o, s:o, s:o}", "category", str(c->cats[k]), "reference_share",
                                                      num(c->ref[k]), "current_share", num(c->cur[k])));
            json_object_set_new(o, "categories", cats);
            json_object_set_new(o, "numeric", json_null());
        } else {
            json_object_set_new(o, "categories", json_null());
            json_object_set_new(o, "numeric", numeric(&c->num));
        }
        json_array_append_new(cols, o);
    }
    return json_pack("{s:s, s:o, s:o}", "kind", "tabular", "columns", cols, "top_features", json_null());
}

static json_t *time_view(const TmlDriftResult *r) {
    if (!r->time_col) return json_null();
    json_t *ps = json_array();
    for (int i = 0; i < r->n_periods; i++) {
        const TmlDriftPeriod *p = &r->periods[i];
        int y, m, d;
        tml_date_to_civil(p->start_day, &y, &m, &d);
        char date[16];
        snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
        json_array_append_new(ps, json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o}", "side",
                                            p->side ? "current" : "reference", "start", date, "rows",
                                            (json_int_t)p->rows, "labelled", (json_int_t)p->labelled, "prediction_psi",
                                            num(p->pred_psi), "mean_confidence", num(p->mean_conf), "manual_share",
                                            num(p->manual_share), "unseen_token_share", num(p->oov_share), "accuracy",
                                            num(p->accuracy)));
    }
    return json_pack("{s:o, s:s, s:I, s:I, s:o}", "column", str(r->time_col), "period", r->period,
                     "reference_unparsed", (json_int_t)r->ref_bad_time, "current_unparsed", (json_int_t)r->cur_bad_time,
                     "periods", ps);
}

json_t *tml_drift_to_json(const TmlDriftResult *r) {
    json_t *root = json_object();
    if (!root) return NULL;
    json_object_set_new(root, "format", json_string(TML_DRIFT_FORMAT));
    json_object_set_new(root, "format_version", json_integer(TML_DRIFT_FORMAT_VERSION));
    json_object_set_new(root, "drift", json_boolean(r->n_failed > 0));
    json_t *failed = json_array(), *checks = json_array();
    for (int i = 0; i < r->n_checks; i++) {
        const TmlDriftCheck *c = &r->checks[i];
        json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:s, s:o, s:b}", "name", str(c->name), "what", str(c->what),
                              "value", num(c->value), "limit", num(c->limit), "direction", c->upper ? "max" : "min",
                              "p_value", num(c->p_value), "failed", c->failed);
        if (c->failed) json_array_append(failed, o);
        json_array_append_new(checks, o);
    }
    json_object_set_new(root, "failed", failed);
    json_object_set_new(root, "checks", checks);
    const TmlDriftLimits *l = &r->limits;
    json_object_set_new(root, "limits",
                        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "max_psi", num(l->max_psi), "max_js",
                                  num(l->max_js), "max_unseen_token_increase", num(l->max_oov_increase),
                                  "max_manual_increase", num(l->max_manual_increase), "max_accuracy_drop",
                                  num(l->max_accuracy_drop), "min_ks_p", num(l->min_ks_p), "alpha", num(l->alpha)));
    json_object_set_new(root, "alpha_per_check", num(r->alpha_per_check));
    json_object_set_new(root, "model", json_pack("{s:o, s:o, s:o, s:o}", "path", str(r->model_path), "fingerprint",
                                                 str(r->model_fingerprint), "task", str(r->task), "arch", str(r->arch)));
    json_t *labels = json_array();
    for (int c = 0; c < r->C; c++) json_array_append_new(labels, str(r->labels[c]));
    json_object_set_new(root, "task", json_string(r->is_binary ? "binary" : "multiclass"));
    json_object_set_new(root, "labels", labels);
    json_t *rs = side(&r->ref);
    json_object_set_new(rs, "is_training_file", json_boolean(r->ref_is_training));
    json_object_set_new(rs, "model_rows", json_integer(r->ref_model_rows));
    json_object_set_new(root, "reference", rs);
    json_object_set_new(root, "current", side(&r->cur));
    json_object_set_new(root, "prediction",
                        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "psi", num(r->pred_psi), "js", num(r->pred_js),
                                  "chi2_p_value", num(r->pred_p),
                                  "threshold", r->is_binary ? num(r->threshold) : json_null(), "classes", classes(r),
                                  "score", r->is_binary ? numeric(&r->score) : json_null()));
    json_object_set_new(root, "confidence",
                        json_pack("{s:o, s:s, s:o, s:o, s:o}", "auto_threshold", num(r->auto_threshold),
                                  "auto_threshold_source", r->auto_threshold_source, "reference_manual_share",
                                  num(r->ref.manual_share), "current_manual_share", num(r->cur.manual_share),
                                  "top_probability", numeric(&r->confidence)));
    json_object_set_new(root, "input", input(r));
    json_object_set_new(root, "labels_drift",
                        r->has_labels ? json_pack("{s:o, s:o, s:o, s:o, s:b}", "psi", num(r->label_psi), "js",
                                                  num(r->label_js), "reference_accuracy", num(r->ref.accuracy),
                                                  "current_accuracy", num(r->cur.accuracy),
                                                  "reference_in_sample", r->ref_in_sample)
                                      : json_null());
    json_object_set_new(root, "time", time_view(r));
    json_object_set_new(root, "seconds", num(r->seconds));
    return root;
}

static int write_json(FILE *f, const void *ctx, TmlError *err) {
    json_t *root = tml_drift_to_json(ctx);
    if (!root) return tml_fail(err, "report.json: out of memory");
    int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(root);
    if (rc) return tml_fail(err, "report.json: write failed");
    fputc('\n', f);
    return 0;
}

static int write_md(FILE *f, const void *ctx, TmlError *err) { return tml_drift_write_md(f, ctx, err); }
static int write_html(FILE *f, const void *ctx, TmlError *err) { return tml_drift_write_html(f, ctx, err); }

int tml_drift_write_report(const char *dir, const TmlDriftResult *r, TmlError *err) {
    static const TmlReportFile FILES[] = {{"report.json", write_json}, {"report.md", write_md}, {"report.html", write_html}};
    return tml_report_write_files(dir, FILES, 3, r, err);
}
