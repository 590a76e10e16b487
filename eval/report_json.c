/* report_json.c — report.json: the machine-readable report, with the stable keys docs/report.md
 * lists. Numbers that are undefined (NaN: e.g. ROC-AUC with one class present) become null. */
#include <errno.h>
#include <string.h>
#include <math.h>
#include <stdlib.h>

#include "eval/report_util.h"
#include "eval/segments.h"
#include "eval/global_explain.h"
#include "trainer/train.h"

#define TML_REPORT_FORMAT "ticketml-report"
#define TML_REPORT_FORMAT_VERSION 2 /* 2: rows are 1-based, as explain --rows */

static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *str(const char *s) {
    if (!s) return json_null();
    char *c = tml_report_clean_text(s, 0);
    json_t *j = c ? json_string(c) : NULL;
    free(c);
    return j ? j : json_null();
}

static json_t *num_array(const double *v, int n) {
    json_t *a = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(a, num(v[i]));
    return a;
}

static json_t *curve(const TmlCurve *c, const char *xname, const char *yname) {
    return json_pack("{s:o, s:o, s:o}", xname, num_array(c->x, c->n), yname, num_array(c->y, c->n),
                     "threshold", num_array(c->threshold, c->n));
}

static json_t *labels_array(const TmlReportInput *in) {
    json_t *a = json_array();
    for (int c = 0; c < in->metrics->n_classes; c++) json_array_append_new(a, str(in->label_names[c]));
    return a;
}

static json_t *metrics_object(const TmlMetrics *m) {
    const TmlBinaryMetrics *b = &m->binary;
    int bin = m->is_binary;
    const TmlCoverageTarget *t = &m->at_target;
    json_t *cov = json_pack("{s:o, s:b, s:o, s:o, s:o, s:o}", "target", num(t->target), "reached", t->reached,
                            "threshold", num(t->threshold), "coverage", num(t->coverage), "accuracy",
                            num(t->accuracy), "manual_share", num(t->manual_share));
    json_t *o = json_object();
    json_object_set_new(o, "accuracy", num(m->accuracy));
    json_object_set_new(o, "top_k_accuracy", num(m->top_k_accuracy));
    json_object_set_new(o, "macro_precision", num(m->macro.precision));
    json_object_set_new(o, "macro_recall", num(m->macro.recall));
    json_object_set_new(o, "macro_f1", num(m->macro.f1));
    json_object_set_new(o, "macro_precision_all_labels", num(m->macro_all.precision));
    json_object_set_new(o, "macro_recall_all_labels", num(m->macro_all.recall));
    json_object_set_new(o, "macro_f1_all_labels", num(m->macro_all.f1));
    json_object_set_new(o, "weighted_precision", num(m->weighted.precision));
    json_object_set_new(o, "weighted_recall", num(m->weighted.recall));
    json_object_set_new(o, "weighted_f1", num(m->weighted.f1));
    json_object_set_new(o, "micro_precision", num(m->micro.precision));
    json_object_set_new(o, "micro_recall", num(m->micro.recall));
    json_object_set_new(o, "micro_f1", num(m->micro.f1));
    json_object_set_new(o, "log_loss", num(m->log_loss));
    json_object_set_new(o, "brier", num(m->brier));
    json_object_set_new(o, "ece", num(m->ece));
    json_object_set_new(o, "roc_auc", bin ? num(b->roc_auc) : json_null());
    json_object_set_new(o, "pr_auc", bin ? num(b->pr_auc) : json_null());
    json_object_set_new(o, "best_f1", bin ? num(b->best_f1) : json_null());
    json_object_set_new(o, "best_f1_threshold", bin ? num(b->best_f1_threshold) : json_null());
    json_object_set_new(o, "lift_top10", bin ? num(b->lift_top10) : json_null());
    json_object_set_new(o, "capture_top10", bin ? num(b->capture_top10) : json_null());
    json_object_set_new(o, "coverage_at_target", cov);
    json_object_set_new(o, "accuracy_ci", json_pack("[o, o]", num(m->accuracy_ci.lo), num(m->accuracy_ci.hi)));
    json_object_set_new(o, "macro_f1_ci", json_pack("[o, o]", num(m->macro_f1_ci.lo), num(m->macro_f1_ci.hi)));
    return o;
}

static json_t *scores(const TmlMetrics *m) {
    if (!m) return json_null();
    return json_pack("{s:I, s:o, s:o, s:o, s:o}", "rows", (json_int_t)m->n_evaluated, "accuracy", num(m->accuracy),
                     "macro_f1", num(m->macro.f1), "log_loss", num(m->log_loss), "roc_auc",
                     m->is_binary ? num(m->binary.roc_auc) : json_null());
}

static json_t *training(const TmlReportInput *in) {
    json_t *log = json_array();
    const TmlTrainState *st = in->training;
    for (int i = 0; st && i < st->n_log; i++) {
        const TmlTrainLogEntry *e = &st->log[i];
        json_array_append_new(log, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "epoch", num(e->epoch), "step",
                                             num(e->step), "train_loss", num(e->train_loss), "valid_metric",
                                             num(e->valid_metric), "valid_accuracy", num(e->valid_accuracy),
                                             "elapsed_s", num(e->elapsed_s)));
    }
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "config", str(in->config_text), "metric",
                     st ? str(st->log_metric) : json_null(), "log", log, "train", scores(in->train_metrics), "valid",
                     scores(in->valid_metrics), "note", str(in->train_note));
}

static json_t *examples_array(const TmlReportInput *in, const TmlConfusedPair *p) {
    int64_t rows[64];
    int max = in->examples_per_pair > 0 ? in->examples_per_pair : 3;
    int n = tml_report_pick_examples(in, p->truth, p->predicted, rows, max);
    json_t *a = json_array();
    for (int i = 0; i < n; i++) {
        const float *row = in->probs + rows[i] * in->metrics->n_classes;
        json_array_append_new(a, json_pack("{s:I, s:o, s:o}", "row", (json_int_t)rows[i] + 1, "confidence",
                                           num(row[p->predicted]), "text", str(tml_report_row_text(in, rows[i]))));
    }
    return a;
}

json_t *tml_report_to_json(const TmlReportInput *in, TmlError *err) {
    if (tml_report_check_input(in, err)) return NULL;
    const TmlMetrics *m = in->metrics;
    int C = m->n_classes;
    json_t *root = json_object();
    json_object_set_new(root, "format", json_string(TML_REPORT_FORMAT));
    json_object_set_new(root, "format_version", json_integer(TML_REPORT_FORMAT_VERSION));
    json_object_set_new(root, "title", str(in->title ? in->title : "ticketml evaluation"));
    json_object_set_new(root, "task", json_string(m->is_binary ? "binary" : "multiclass"));
    json_object_set_new(root, "n_classes", json_integer(C));
    json_object_set_new(root, "labels", labels_array(in));
    json_object_set_new(root, "model", json_pack("{s:o, s:o, s:o}", "path", str(in->model_path), "kind",
                                                 str(in->model_kind), "fingerprint", str(in->model_fingerprint)));
    json_object_set_new(root, "data", json_pack("{s:o, s:I, s:o, s:I, s:I}", "path", str(in->data_path), "rows",
                                                (json_int_t)(in->data_rows >= 0 ? in->data_rows : m->n_rows),
                                                "fingerprint", str(in->data_fingerprint), "unknown_labels",
                                                (json_int_t)m->n_unknown, "evaluated", (json_int_t)m->n_evaluated));
    json_object_set_new(root, "options", json_pack("{s:i, s:f, s:f, s:i}", "top_k", m->options.top_k, "threshold",
                                                   m->options.threshold, "target_accuracy", m->options.target_accuracy,
                                                   "ece_bins", m->options.ece_bins));
    json_object_set_new(root, "metrics", metrics_object(m));
    json_object_set_new(root, "baseline",
                        json_pack("{s:o, s:o, s:o, s:o, s:o}", "majority_label", str(in->label_names[m->baseline.majority]),
                                  "majority_accuracy", num(m->baseline.majority_accuracy), "majority_macro_f1",
                                  num(m->baseline.majority_macro_f1), "prior_accuracy", num(m->baseline.prior_accuracy),
                                  "prior_macro_f1", num(m->baseline.prior_macro_f1)));

    if (m->is_binary) {
        const TmlBinaryMetrics *b = &m->binary;
        json_object_set_new(root, "binary",
                            json_pack("{s:o, s:o, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "positive_label",
                                      str(in->label_names[b->positive]), "threshold", num(b->threshold), "tp",
                                      (json_int_t)b->tp, "fp", (json_int_t)b->fp, "tn", (json_int_t)b->tn, "fn",
                                      (json_int_t)b->fn, "precision", num(b->precision), "recall", num(b->recall),
                                      "f1", num(b->f1), "positive_rate", num(b->positive_rate)));
    } else {
        json_object_set_new(root, "binary", json_null());
    }

    json_t *pc = json_object();
    for (int c = 0; c < C; c++) {
        const TmlClassMetrics *k = &m->per_class[c];
        char *name = tml_report_clean_text(in->label_names[c], 0);
        if (name)
            json_object_set_new(pc, name, json_pack("{s:o, s:o, s:o, s:I, s:I, s:[o, o]}", "precision",
                                                    num(k->precision), "recall", num(k->recall), "f1", num(k->f1),
                                                    "support", (json_int_t)k->support, "predicted",
                                                    (json_int_t)k->predicted, "f1_ci", num(m->f1_ci[c].lo),
                                                    num(m->f1_ci[c].hi)));
        free(name);
    }
    json_object_set_new(root, "per_class", pc);

    json_t *mat = json_array();
    for (int t = 0; t < C; t++) {
        json_t *r = json_array();
        for (int p = 0; p < C; p++) json_array_append_new(r, json_integer(m->confusion[(int64_t)t * C + p]));
        json_array_append_new(mat, r);
    }
    json_object_set_new(root, "confusion", json_pack("{s:o, s:o}", "labels", labels_array(in), "matrix", mat));

    json_t *pairs = json_array();
    for (int i = 0; i < m->n_pairs; i++) {
        const TmlConfusedPair *p = &m->pairs[i];
        json_array_append_new(pairs, json_pack("{s:o, s:o, s:I, s:o, s:o}", "truth", str(in->label_names[p->truth]),
                                               "predicted", str(in->label_names[p->predicted]), "count",
                                               (json_int_t)p->count, "share", num(p->share), "examples",
                                               examples_array(in, p)));
    }
    json_object_set_new(root, "top_confusions", pairs);

    json_t *rel = json_object();
    json_t *lo = json_array(), *hi = json_array(), *cnt = json_array(), *cf = json_array(), *ac = json_array();
    for (int b = 0; b < m->options.ece_bins; b++) {
        json_array_append_new(lo, num(m->bins[b].lo));
        json_array_append_new(hi, num(m->bins[b].hi));
        json_array_append_new(cnt, json_integer(m->bins[b].count));
        json_array_append_new(cf, num(m->bins[b].confidence));
        json_array_append_new(ac, num(m->bins[b].accuracy));
    }
    json_object_set_new(rel, "lo", lo);
    json_object_set_new(rel, "hi", hi);
    json_object_set_new(rel, "count", cnt);
    json_object_set_new(rel, "confidence", cf);
    json_object_set_new(rel, "accuracy", ac);
    json_t *curves = json_object();
    json_object_set_new(curves, "coverage", curve(&m->coverage, "coverage", "accuracy"));
    json_object_set_new(curves, "reliability", rel);
    json_object_set_new(curves, "roc", m->is_binary ? curve(&m->binary.roc, "fpr", "tpr") : json_null());
    json_object_set_new(curves, "pr", m->is_binary ? curve(&m->binary.pr, "recall", "precision") : json_null());
    json_object_set_new(root, "curves", curves);

    json_t *ex = json_array();
    for (int i = 0; i < in->n_explanations; i++) {
        const TmlReportExplanation *e = &in->explanations[i];
        json_t *w = json_array(), *wt = json_array();
        for (int k = 0; k < e->n_words; k++) {
            json_array_append_new(w, str(e->words[k]));
            json_array_append_new(wt, num(e->weights[k]));
        }
        json_array_append_new(ex, json_pack("{s:I, s:o, s:o, s:o, s:o}", "row", (json_int_t)(e->row >= 0 ? e->row + 1 : -1), "label",
                                            str(in->label_names[e->label]), "prob", num(e->prob), "words", w,
                                            "weights", wt));
    }
    json_object_set_new(root, "explanations", ex);
    json_t *segs = json_array();
    for (int i = 0; in->segments && i < in->segments->n; i++) {
        const TmlSegment *g = &in->segments->s[i];
        const TmlMetrics *sm = g->metrics;
        json_array_append_new(
            segs, json_pack("{s:o, s:o, s:I, s:I, s:o, s:[o, o], s:o, s:[o, o], s:o}", "column", str(g->column), "value",
                            str(g->value), "rows", (json_int_t)g->rows, "evaluated",
                            (json_int_t)(sm ? sm->n_evaluated : 0), "accuracy", sm ? num(sm->accuracy) : json_null(),
                            "accuracy_ci", sm ? num(sm->accuracy_ci.lo) : json_null(),
                            sm ? num(sm->accuracy_ci.hi) : json_null(), "macro_f1", sm ? num(sm->macro.f1) : json_null(),
                            "macro_f1_ci", sm ? num(sm->macro_f1_ci.lo) : json_null(),
                            sm ? num(sm->macro_f1_ci.hi) : json_null(), "roc_auc",
                            sm && sm->is_binary ? num(sm->binary.roc_auc) : json_null()));
    }
    json_object_set_new(root, "segments", segs);
    json_object_set_new(root, "training", training(in));
    if (in->global) {
        const TmlGlobalExplanation *g = in->global;
        json_t *cls = json_array();
        for (int c = 0; c < g->C; c++) {
            json_t *fs = json_array();
            for (int i = 0; i < g->n[c]; i++)
                json_array_append_new(fs, json_pack("{s:o, s:o}", "feature", str(g->words[(size_t)c * g->k + i]), "score",
                                                    num(g->scores[(size_t)c * g->k + i])));
            json_array_append_new(cls, json_pack("{s:o, s:o}", "label", str(in->label_names[c]), "features", fs));
        }
        json_object_set_new(root, "global_explanation",
                            json_pack("{s:s, s:i, s:o}", "method",
                                      "one-n-gram tickets scored by the model: log p(class | n-gram) - log p(class | "
                                      "empty ticket)",
                                      "candidates", g->n_candidates, "classes", cls));
    } else {
        json_object_set_new(root, "global_explanation", json_null());
    }
    if (in->importance_kind && in->n_importance > 0) {
        int *ord = tml_report_importance_order(in);
        if (!ord) {
            json_decref(root);
            tml_fail(err, "report.json: out of memory");
            return NULL;
        }
        json_t *fs = json_array();
        for (int i = 0; i < in->n_importance; i++)
            json_array_append_new(fs, json_pack("{s:o, s:o}", "feature", str(in->importance_names[ord[i]]),
                                                "importance", num(in->importance[ord[i]])));
        free(ord);
        json_object_set_new(root, "feature_importance", json_pack("{s:s, s:o}", "kind", in->importance_kind, "features", fs));
    } else {
        json_object_set_new(root, "feature_importance", json_null());
    }
    return root;
}

int tml_report_write_json(FILE *f, const TmlReportInput *in, TmlError *err) {
    json_t *root = tml_report_to_json(in, err);
    if (!root) return -1;
    int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(root);
    if (rc) return tml_fail(err, "report.json: write failed: %s", strerror(errno ? errno : EIO));
    fputc('\n', f);
    return 0;
}
