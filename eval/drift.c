/* drift.c — tml_drift_run (see drift.h): read both files once, featurize them with the model's own
 * features, score them through the model family's score (so every family, present and future, gets
 * the same report), then compare predictions, confidence, inputs, labels and the time view, check
 * the limits and write the report. */
#include "eval/drift.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eval/drift_internal.h"
#include "eval/metrics.h"
#include "eval/training_split.h"
#include "trainer/modelfile.h"
#include "trainer/run.h"

void tml_drift_limits_default(TmlDriftLimits *l) {
    l->max_psi = 0.1;
    l->max_js = 0.1;
    l->max_oov_increase = 0.02;
    l->max_manual_increase = 0.05;
    l->max_accuracy_drop = 0.05;
    l->min_ks_p = NAN;
    l->alpha = 0.01;
}

void tml_drift_request_default(TmlDriftRequest *rq) {
    memset(rq, 0, sizeof *rq);
    rq->auto_threshold = NAN;
    rq->target_accuracy = 0.95;
    rq->threshold = 0.5;
    rq->top_features = 20;
    tml_drift_limits_default(&rq->limits);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void progress(const TmlDriftRequest *rq, double t0, const char *what) {
    if (!rq->quiet) fprintf(stderr, "ticketml drift: [%5.1fs] %s\n", now_s() - t0, what);
}

int tml_drift_add_check(TmlDriftResult *r, const char *name, const char *what, double value, double limit, int upper,
                        double p_value) {
    if (isnan(limit)) return 0;
    TmlDriftCheck *c = realloc(r->checks, sizeof *c * (size_t)(r->n_checks + 1));
    if (!c) return -1;
    r->checks = c;
    c = &r->checks[r->n_checks];
    c->name = strdup(name);
    c->what = strdup(what);
    if (!c->name || !c->what) {
        free(c->name);
        free(c->what);
        return -1;
    }
    c->value = value;
    c->limit = limit;
    c->upper = upper;
    c->p_value = p_value;
    c->failed = 0; /* decided once every check is in (finish_checks): the test level depends on their number */
    r->n_checks++;
    return 0;
}

/* Decides every check: failed when its value is past the limit and, when it has a test, the test
 * says it is not sampling noise at the family-wise level alpha (Bonferroni: alpha / the number of
 * checks with a test), so a run of 40 checks cries wolf no more often than one of 4. An undefined
 * value (NaN: e.g. no row on one side) passes: there is nothing to compare. */
static void finish_checks(TmlDriftResult *r) {
    int tested = 0;
    for (int i = 0; i < r->n_checks; i++) tested += !isnan(r->checks[i].p_value);
    r->alpha_per_check = isnan(r->limits.alpha) || tested == 0 ? r->limits.alpha : r->limits.alpha / tested;
    r->n_failed = 0;
    for (int i = 0; i < r->n_checks; i++) {
        TmlDriftCheck *c = &r->checks[i];
        int past = isfinite(c->value) && (c->upper ? c->value > c->limit : c->value < c->limit);
        int noise = !isnan(r->alpha_per_check) && !isnan(c->p_value) && !(c->p_value < r->alpha_per_check);
        c->failed = past && !noise;
        r->n_failed += c->failed;
    }
}

/* Predicted class and its probability for every row of a side. */
static int predict_side(TmlDriftRows *s, int C, int positive, double threshold) {
    int64_t n = s->ds->n_rows;
    s->pred = malloc(sizeof *s->pred * (size_t)(n > 0 ? n : 1));
    s->conf = malloc(sizeof *s->conf * (size_t)(n > 0 ? n : 1));
    if (!s->pred || !s->conf) return -1;
    for (int64_t i = 0; i < n; i++) {
        const float *p = s->probs + i * C;
        int k = 0;
        if (positive >= 0) k = p[positive] >= threshold ? positive : 1 - positive;
        else
            for (int c = 1; c < C; c++)
                if (p[c] > p[k]) k = c;
        s->pred[i] = k;
        s->conf[i] = p[k];
    }
    return 0;
}

/* Metrics of a side with labels (NULL when it has none the model knows). */
static TmlMetrics *side_metrics(const TmlDriftRows *s, int C, int positive, const TmlDriftRequest *rq,
                                TmlDriftSide *out) {
    int64_t n = s->ds->n_rows;
    out->labelled = out->unknown_labels = 0;
    for (int64_t i = 0; i < n; i++) {
        if (s->ds->labels[i] >= 0) out->labelled++;
        else if (s->ds->raw_labels && s->ds->raw_labels[i] && s->ds->raw_labels[i][0]) out->unknown_labels++;
    }
    out->accuracy = out->macro_f1 = NAN;
    if (!out->labelled) return NULL;
    TmlMetricsOptions o;
    tml_metrics_options_default(&o);
    o.threshold = rq->threshold;
    o.target_accuracy = rq->target_accuracy;
    TmlError e;
    TmlMetrics *m = tml_metrics_compute(s->probs, s->ds->labels, n, C, positive, &o, &e);
    if (m) {
        out->accuracy = m->accuracy;
        out->macro_f1 = m->macro.f1;
    }
    return m;
}

static void side_confidence(const TmlDriftRows *s, double thr, TmlDriftSide *out) {
    int64_t n = s->ds->n_rows, manual = 0;
    double sum = 0;
    for (int64_t i = 0; i < n; i++) {
        sum += s->conf[i];
        manual += s->conf[i] < thr;
    }
    out->mean_conf = n ? sum / (double)n : NAN;
    out->manual_share = n ? (double)manual / (double)n : NAN;
}

static int compare_predictions(const TmlDriftRows *ref, const TmlDriftRows *cur, const TmlMetrics *mr,
                               const TmlMetrics *mc, TmlDriftResult *r) {
    int C = r->C;
    int64_t nr = ref->ds->n_rows, nc = cur->ds->n_rows;
    double *a = calloc((size_t)C, sizeof *a), *b = calloc((size_t)C, sizeof *b);
    double *la = calloc((size_t)C, sizeof *la), *lb = calloc((size_t)C, sizeof *lb);
    if (!a || !b || !la || !lb || !(r->classes = calloc((size_t)C, sizeof *r->classes))) {
        free(a), free(b), free(la), free(lb);
        return -1;
    }
    for (int64_t i = 0; i < nr; i++) {
        a[ref->pred[i]] += 1.0 / (double)nr;
        if (ref->ds->labels[i] >= 0) la[ref->ds->labels[i]] += 1.0 / (double)r->ref.labelled;
    }
    for (int64_t i = 0; i < nc; i++) {
        b[cur->pred[i]] += 1.0 / (double)nc;
        if (cur->ds->labels[i] >= 0) lb[cur->ds->labels[i]] += 1.0 / (double)r->cur.labelled;
    }
    double fa = tml_drift_fill_value(a, C), fb = tml_drift_fill_value(b, C);
    r->pred_psi = tml_drift_psi(a, b, C);
    r->pred_js = tml_drift_js(a, b, C);
    r->pred_p = tml_drift_chi2_p(a, nr, b, nc, C);
    for (int c = 0; c < C; c++) {
        TmlDriftClass *k = &r->classes[c];
        k->ref_share = a[c];
        k->cur_share = b[c];
        k->psi_term = tml_drift_psi_term(a[c], b[c], fa, fb);
        k->js = tml_drift_js2(a[c], b[c]);
        k->ref_label_share = mr ? la[c] : NAN;
        k->cur_label_share = mc ? lb[c] : NAN;
        k->ref_recall = mr ? mr->per_class[c].recall : NAN;
        k->ref_f1 = mr ? mr->per_class[c].f1 : NAN;
        k->ref_support = mr ? mr->per_class[c].support : 0;
        k->cur_recall = mc ? mc->per_class[c].recall : NAN;
        k->cur_f1 = mc ? mc->per_class[c].f1 : NAN;
        k->cur_support = mc ? mc->per_class[c].support : 0;
    }
    if (mr && mc) {
        r->has_labels = 1;
        r->label_psi = tml_drift_psi(la, lb, C);
        r->label_js = tml_drift_js(la, lb, C);
        r->label_p = tml_drift_chi2_p(la, r->ref.labelled, lb, r->cur.labelled, C);
    }
    free(a), free(b), free(la), free(lb);
    return 0;
}

static int confidence_drift(const TmlDriftRows *ref, const TmlDriftRows *cur, TmlDriftResult *r) {
    int64_t nr = ref->ds->n_rows, nc = cur->ds->n_rows;
    if (tml_drift_numeric(ref->conf, nr, cur->conf, nc, &r->confidence)) return -1;
    if (!r->is_binary) return 0;
    float *sr = malloc(sizeof *sr * (size_t)(nr > 0 ? nr : 1)), *sc = malloc(sizeof *sc * (size_t)(nc > 0 ? nc : 1));
    int rc = -1;
    if (sr && sc) {
        for (int64_t i = 0; i < nr; i++) sr[i] = ref->probs[i * 2 + r->positive];
        for (int64_t i = 0; i < nc; i++) sc[i] = cur->probs[i * 2 + r->positive];
        rc = tml_drift_numeric(sr, nr, sc, nc, &r->score);
    }
    free(sr);
    free(sc);
    return rc;
}

/* Every limit, checked; the order is the report's. */
static int check_limits(const TmlDriftRequest *rq, TmlDriftResult *r) {
    const TmlDriftLimits *l = &rq->limits;
    int64_t nr = r->ref_model_rows, nc = r->cur.rows;
    int e = 0;
    e |= tml_drift_add_check(r, "prediction.psi", "predicted-class shares moved (PSI)", r->pred_psi, l->max_psi, 1,
                             r->pred_p);
    e |= tml_drift_add_check(r, "prediction.js", "predicted-class shares moved (Jensen-Shannon distance)", r->pred_js,
                             l->max_js, 1, r->pred_p);
    e |= tml_drift_add_check(r, "confidence.psi", "top-probability distribution moved (PSI)", r->confidence.psi,
                             l->max_psi, 1, r->confidence.chi2_p);
    e |= tml_drift_add_check(r, "confidence.manual_share_increase",
                             "more tickets fall below the auto-handle threshold (share, current minus reference)",
                             r->cur.manual_share - r->ref.manual_share, l->max_manual_increase, 1,
                             tml_drift_prop_p(r->ref.manual_share, nr, r->cur.manual_share, nc));
    e |= tml_drift_add_check(r, "confidence.ks_p", "top-probability distribution moved (KS p-value)",
                             r->confidence.ks_p, l->min_ks_p, 0, NAN);
    if (r->is_binary)
        e |= tml_drift_add_check(r, "prediction.score_psi", "positive-class probability distribution moved (PSI)",
                                 r->score.psi, l->max_psi, 1, r->score.chi2_p);
    if (r->text) {
        e |= tml_drift_add_check(r, "input.unseen_token_increase",
                                 "more words the reference never had (share of tokens, current minus reference)",
                                 r->cur.oov_share - r->ref.oov_share, l->max_oov_increase, 1,
                                 tml_drift_prop_p(r->ref.oov_share, r->ref_tokens, r->cur.oov_share, r->cur_tokens));
        e |= tml_drift_add_check(r, "input.length.psi", "ticket length moved (tokens per ticket, PSI)", r->length.psi,
                                 l->max_psi, 1, r->length.chi2_p);
        e |= tml_drift_add_check(r, "input.script.psi", "language/script mix moved (PSI)", r->script_psi, l->max_psi, 1,
                                 r->script_p);
    }
    for (int i = 0; i < r->n_columns; i++) {
        const TmlDriftColumn *c = &r->columns[i];
        char name[300], what[400];
        snprintf(name, sizeof name, "input.column.%s.psi", c->name);
        snprintf(what, sizeof what, "%s column \"%s\" moved (PSI)", c->kind, c->name);
        e |= tml_drift_add_check(r, name, what, c->psi, l->max_psi, 1, c->chi2_p);
        if (!c->cats) {
            snprintf(name, sizeof name, "input.column.%s.ks_p", c->name);
            snprintf(what, sizeof what, "%s column \"%s\" moved (KS p-value)", c->kind, c->name);
            e |= tml_drift_add_check(r, name, what, c->num.ks_p, l->min_ks_p, 0, NAN);
        }
    }
    if (r->has_labels) {
        e |= tml_drift_add_check(r, "labels.psi", "label shares moved (PSI)", r->label_psi, l->max_psi, 1, r->label_p);
        e |= tml_drift_add_check(r, "labels.js", "label shares moved (Jensen-Shannon distance)", r->label_js, l->max_js,
                                 1, r->label_p);
        if (!r->ref_in_sample)
            e |= tml_drift_add_check(r, "labels.accuracy_drop", "accuracy fell (reference minus current)",
                                     r->ref.accuracy - r->cur.accuracy, l->max_accuracy_drop, 1,
                                     tml_drift_prop_p(r->ref.accuracy, r->ref.labelled, r->cur.accuracy,
                                                      r->cur.labelled));
    }
    if (!e) finish_checks(r);
    return e ? -1 : 0;
}

/* Reads, featurizes and scores one side. 0, 2 (bad input) or 1 (scoring failed), err set. */
static int load_side(const TmlLoadedModel *lm, const char *path, const char *tickets, TmlTable **t, TmlDataset **ds,
                     float **probs, TmlError *err) {
    char *p = tml_data_path(path);
    if (!p) return tml_fail(err, "out of memory"), 1;
    *t = tml_table_read(p, TML_FORMAT_AUTO, err);
    free(p);
    if (!*t) return 2;
    if (!(*ds = tml_features_transform_table(lm->features, *t, tickets, 1, err))) return 2;
    if (!(*probs = tml_model_score_new(lm->model, *ds, 4096, err))) return 1;
    return 0;
}

/* A side made of the rows of s with mask[i] == 1 (dataset, probabilities, predictions copied). */
static int select_rows(const TmlDriftRows *s, const uint8_t *mask, int C, TmlDriftRows *out, TmlDataset **ds_out,
                       float **probs_out) {
    TmlDataset *ds = tml_dataset_select(s->ds, mask, 1);
    float *p = ds ? malloc(sizeof *p * (size_t)(ds->n_rows > 0 ? ds->n_rows : 1) * (size_t)C) : NULL;
    if (!ds || !p) {
        tml_dataset_free(ds);
        return -1;
    }
    int64_t k = 0;
    for (int64_t i = 0; i < s->ds->n_rows; i++)
        if (mask[i]) memcpy(p + (k++) * C, s->probs + i * C, sizeof *p * (size_t)C);
    *out = (TmlDriftRows){.table = s->table, .ds = ds, .probs = p};
    *ds_out = ds;
    *probs_out = p;
    return 0;
}

static int side_info(TmlDriftSide *s, const char *path, int64_t rows) {
    s->path = strdup(path);
    s->fingerprint = tml_file_fingerprint(path);
    s->rows = rows;
    s->oov_share = s->model_oov_share = NAN;
    return s->path && s->fingerprint ? 0 : -1;
}

int tml_drift_run(const TmlDriftRequest *rq, TmlDriftResult **out, TmlError *err) {
    double t0 = now_s();
    *out = NULL;
    TmlBackend *be = tml_run_backend(rq->device, NULL, rq->quiet, err);
    if (!be) return TML_DRIFT_BAD_INPUT;
    int rc = TML_DRIFT_BAD_INPUT;
    TmlTable *tr = NULL, *tc = NULL;
    TmlDataset *dr = NULL, *dc = NULL;
    float *pr = NULL, *pc = NULL;
    char *tk = NULL, *tk_cur = NULL;
    TmlMetrics *mr = NULL, *mc = NULL;
    TmlDriftRows ref = {0}, cur = {0}, refm = {0}; /* refm: the reference rows whose model outputs count */
    TmlDataset *dm = NULL;
    float *pm = NULL;
    uint8_t *mask = NULL;
    TmlDriftResult *r = calloc(1, sizeof *r);
    TmlLoadedModel *lm = r ? tml_modelfile_load(rq->model_path, be, 0, err) : NULL;
    if (!r) {
        rc = TML_DRIFT_FAILED;
        tml_fail(err, "out of memory");
        goto done;
    }
    if (!lm) goto done;
    tk = tml_loaded_model_tickets(lm, rq->tickets);
    tk_cur = rq->current_tickets ? tml_data_path(rq->current_tickets) : (tk ? strdup(tk) : NULL);
    progress(rq, t0, "reading and scoring the reference");
    int s = load_side(lm, rq->reference_path, tk, &tr, &dr, &pr, err);
    if (s == 0) {
        progress(rq, t0, "reading and scoring the current data");
        s = load_side(lm, rq->current_path, tk_cur, &tc, &dc, &pc, err);
    }
    if (s) {
        rc = s == 2 ? TML_DRIFT_BAD_INPUT : TML_DRIFT_FAILED;
        goto done;
    }
    if (dr->n_rows == 0 || dc->n_rows == 0) {
        tml_fail(err, "%s: no rows to compare", dr->n_rows == 0 ? rq->reference_path : rq->current_path);
        goto done;
    }
    rc = TML_DRIFT_FAILED;
    progress(rq, t0, "comparing");
    int C = lm->model->n_out;
    r->C = C;
    r->positive = lm->features->positive;
    r->is_binary = r->positive >= 0 && C == 2;
    if (!r->is_binary) r->positive = -1;
    r->threshold = rq->threshold;
    r->limits = rq->limits;
    r->text = lm->features->kind == TML_DATA_TEXT;
    r->ref_is_training = tml_training_is_train_file(lm, rq->reference_path);
    if (!(r->labels = calloc((size_t)C, sizeof *r->labels)) || !(r->model_path = strdup(rq->model_path)) ||
        !(r->model_fingerprint = tml_file_fingerprint(rq->model_path)) ||
        !(r->task = strdup(lm->task ? lm->task : "")) || !(r->arch = strdup(lm->model->arch)))
        goto oom;
    for (int c = 0; c < C; c++)
        if (!(r->labels[c] = strdup(lm->features->labels->names[c]))) goto oom;
    if (side_info(&r->ref, rq->reference_path, dr->n_rows) || side_info(&r->cur, rq->current_path, dc->n_rows))
        goto oom;
    ref = (TmlDriftRows){.table = tr, .ds = dr, .probs = pr};
    cur = (TmlDriftRows){.table = tc, .ds = dc, .probs = pc};
    refm = ref;
    r->ref_model_rows = dr->n_rows;
    if (r->ref_is_training) {
        int64_t n_held = tml_training_holdout(lm, dr, &mask, err);
        if (n_held < 0) goto done;
        if (n_held > 0) {
            if (select_rows(&ref, mask, C, &refm, &dm, &pm)) goto oom;
            r->ref_model_rows = n_held;
        } else {
            r->ref_in_sample = 1;
        }
    }
    if (predict_side(&ref, C, r->positive, rq->threshold) || predict_side(&cur, C, r->positive, rq->threshold) ||
        (refm.ds != ref.ds && predict_side(&refm, C, r->positive, rq->threshold)))
        goto oom;
    if (refm.ds == ref.ds) refm = ref;
    mr = side_metrics(&refm, C, r->positive, rq, &r->ref);
    mc = side_metrics(&cur, C, r->positive, rq, &r->cur);
    if (!isnan(rq->auto_threshold)) {
        r->auto_threshold = rq->auto_threshold;
        r->auto_threshold_source = "given (--auto-threshold)";
    } else if (mr && mr->at_target.reached) {
        r->auto_threshold = mr->at_target.threshold;
        r->auto_threshold_source = "the reference's labels: the lowest confidence at which its auto-handled tickets "
                                   "reach the target accuracy";
    } else {
        r->auto_threshold = 0.5;
        r->auto_threshold_source = mr ? "0.5: the reference reaches the target accuracy at no confidence"
                                      : "0.5: the reference has no labels (set --auto-threshold)";
    }
    side_confidence(&refm, r->auto_threshold, &r->ref);
    side_confidence(&cur, r->auto_threshold, &r->cur);
    if (compare_predictions(&refm, &cur, mr, mc, r) || confidence_drift(&refm, &cur, r)) goto oom;
    if (r->text) {
        progress(rq, t0, "comparing the words");
        if (tml_drift_text_input(rq, lm->features, &ref, &cur, r, err)) goto done;
    } else if (tml_drift_tabular_input(lm->features, &ref, &cur, r, err)) {
        goto done;
    }
    const char *tcol = rq->time_col ? rq->time_col : tml_config_str(lm->config, "data.time", NULL);
    int tv = tml_drift_time_view(rq, tcol, &ref, &cur, r, err);
    if (tv) {
        rc = tv == 2 ? TML_DRIFT_BAD_INPUT : TML_DRIFT_FAILED;
        goto done;
    }
    if (check_limits(rq, r)) goto oom;
    r->seconds = now_s() - t0;
    if (rq->report_dir) {
        progress(rq, t0, "writing the report");
        if (tml_drift_write_report(rq->report_dir, r, err)) goto done;
    }
    r->seconds = now_s() - t0;
    rc = r->n_failed ? TML_DRIFT_FOUND : TML_DRIFT_OK;
    *out = r;
    r = NULL;
    goto done;
oom:
    tml_fail(err, "drift: out of memory");
done:
    tml_drift_result_free(r);
    tml_metrics_free(mr);
    tml_metrics_free(mc);
    if (refm.ds != ref.ds) free(refm.pred), free(refm.conf);
    free(ref.pred), free(ref.conf), free(ref.n_tokens), free(ref.n_unseen);
    free(mask);
    free(pm);
    tml_dataset_free(dm);
    free(cur.pred), free(cur.conf), free(cur.n_tokens), free(cur.n_unseen);
    free(pr);
    free(pc);
    tml_dataset_free(dr);
    tml_dataset_free(dc);
    tml_table_free(tr);
    tml_table_free(tc);
    free(tk);
    free(tk_cur);
    tml_loaded_model_free(lm);
    tml_backend_free(be);
    return rc;
}

void tml_drift_result_free(TmlDriftResult *r) {
    if (!r) return;
    free(r->model_path), free(r->model_fingerprint), free(r->task), free(r->arch);
    for (int c = 0; r->labels && c < r->C; c++) free(r->labels[c]);
    free(r->labels);
    free(r->ref.path), free(r->ref.fingerprint), free(r->cur.path), free(r->cur.fingerprint);
    free(r->classes);
    tml_drift_numeric_free(&r->confidence);
    tml_drift_numeric_free(&r->score);
    tml_drift_numeric_free(&r->length);
    for (int i = 0; i < r->n_features; i++) free(r->features[i].text), free(r->features[i].example);
    free(r->features);
    for (int i = 0; i < r->n_columns; i++) {
        TmlDriftColumn *c = &r->columns[i];
        free(c->name);
        tml_drift_numeric_free(&c->num);
        for (int k = 0; c->cats && k < c->n_cats; k++) free(c->cats[k]);
        free(c->cats), free(c->ref), free(c->cur);
    }
    free(r->columns);
    free(r->time_col);
    free(r->periods);
    for (int i = 0; i < r->n_checks; i++) free(r->checks[i].name), free(r->checks[i].what);
    free(r->checks);
    free(r);
}
