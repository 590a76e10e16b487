/* compare.c — report.json against report.json: per-metric and per-class deltas, gates, verdict.
 * The metric table below is the one place that says which way each metric is better. */
#include "eval/compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const char *name; /* key in "metrics"; "a.b" = key b of object a */
    TmlBetter better;
} MetricDef;

static const MetricDef METRICS[] = {
    {"accuracy", TML_BETTER_HIGHER},
    {"top_k_accuracy", TML_BETTER_HIGHER},
    {"macro_precision", TML_BETTER_HIGHER},
    {"macro_recall", TML_BETTER_HIGHER},
    {"macro_f1", TML_BETTER_HIGHER},
    {"macro_f1_all_labels", TML_BETTER_HIGHER},
    {"weighted_precision", TML_BETTER_HIGHER},
    {"weighted_recall", TML_BETTER_HIGHER},
    {"weighted_f1", TML_BETTER_HIGHER},
    {"micro_precision", TML_BETTER_HIGHER},
    {"micro_recall", TML_BETTER_HIGHER},
    {"micro_f1", TML_BETTER_HIGHER},
    {"log_loss", TML_BETTER_LOWER},
    {"brier", TML_BETTER_LOWER},
    {"ece", TML_BETTER_LOWER},
    {"roc_auc", TML_BETTER_HIGHER},
    {"pr_auc", TML_BETTER_HIGHER},
    {"best_f1", TML_BETTER_HIGHER},
    {"best_f1_threshold", TML_BETTER_NEITHER},
    {"lift_top10", TML_BETTER_HIGHER},
    {"capture_top10", TML_BETTER_HIGHER},
    {"coverage_at_target.coverage", TML_BETTER_HIGHER},
    {"coverage_at_target.manual_share", TML_BETTER_LOWER},
    {"coverage_at_target.accuracy", TML_BETTER_NEITHER},
    {"coverage_at_target.threshold", TML_BETTER_NEITHER},
};
enum { N_METRICS = sizeof METRICS / sizeof METRICS[0] };

static const char *CLASS_GATES[] = {"per_class.f1", "per_class.precision", "per_class.recall"};
enum { N_CLASS_GATES = 3 };

const char *tml_compare_metric_list(void) {
    return "accuracy, top_k_accuracy, macro_precision, macro_recall, macro_f1, weighted_precision, "
           "weighted_recall, weighted_f1, macro_f1_all_labels, micro_precision, micro_recall, micro_f1, log_loss (lower is better), "
           "brier (lower), ece (lower), roc_auc, pr_auc, best_f1, lift_top10, capture_top10, "
           "coverage_at_target.coverage, coverage_at_target.manual_share (lower), per_class.f1, "
           "per_class.precision, per_class.recall";
}

static const MetricDef *find_metric(const char *name) {
    for (int i = 0; i < N_METRICS; i++)
        if (!strcmp(METRICS[i].name, name)) return &METRICS[i];
    return NULL;
}

static int is_class_gate(const char *name) {
    for (int i = 0; i < N_CLASS_GATES; i++)
        if (!strcmp(CLASS_GATES[i], name)) return 1;
    return 0;
}

int tml_compare_parse_gate(const char *spec, TmlCompareGate *g, TmlError *err) {
    const char *eq = spec ? strchr(spec, '=') : NULL;
    if (!eq || eq == spec)
        return tml_fail(err, "--max-drop '%s': expected metric=delta, e.g. --max-drop macro_f1=0.01", spec ? spec : "");
    size_t n = (size_t)(eq - spec);
    if (n >= sizeof g->metric) return tml_fail(err, "--max-drop '%s': metric name too long", spec);
    memcpy(g->metric, spec, n);
    g->metric[n] = 0;
    const MetricDef *d = find_metric(g->metric);
    if (!d && !is_class_gate(g->metric))
        return tml_fail(err, "--max-drop '%s': unknown metric '%s'; known: %s", spec, g->metric, tml_compare_metric_list());
    if (d && d->better == TML_BETTER_NEITHER)
        return tml_fail(err, "--max-drop '%s': '%s' is a threshold, neither higher nor lower is better; gate a metric instead",
                        spec, g->metric);
    char *end;
    g->max_drop = strtod(eq + 1, &end);
    if (end == eq + 1 || *end || !isfinite(g->max_drop) || g->max_drop < 0)
        return tml_fail(err, "--max-drop '%s': delta '%s' must be a number >= 0 (in the metric's units, e.g. 0.01)", spec,
                        eq + 1);
    return 0;
}

json_t *tml_compare_load(const char *path, TmlError *err) {
    struct stat st;
    char *file = NULL;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) { /* a report folder: its report.json */
        size_t n = strlen(path) + 16;
        file = malloc(n);
        if (!file) {
            tml_fail(err, "out of memory");
            return NULL;
        }
        snprintf(file, n, "%s/report.json", path);
        path = file;
    }
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        if (access(path, F_OK) != 0 && je.line <= 0)
            tml_fail(err, "%s: no such file; pass the report.json that `ticketml eval` wrote (or its folder)", path);
        else
            tml_fail(err, "%s:%d:%d: not valid JSON: %s", path, je.line, je.column, je.text);
        free(file);
        return NULL;
    }
    json_t *fmt = json_is_object(root) ? json_object_get(root, "format") : NULL;
    if (!json_is_string(fmt) || strcmp(json_string_value(fmt), "ticketml-report") != 0 ||
        !json_is_object(json_object_get(root, "metrics"))) {
        tml_fail(err, "%s: not a ticketml report (needs \"format\": \"ticketml-report\" and a \"metrics\" object); pass "
                 "the report.json that `ticketml eval` wrote", path);
        json_decref(root);
        free(file);
        return NULL;
    }
    json_int_t ver = json_integer_value(json_object_get(root, "format_version"));
    if (ver > 2) { /* 2 changed only the row numbers, which compare does not read */
        tml_fail(err, "%s: report format_version %lld is newer than this ticketml understands (2); update ticketml",
                 path, (long long)ver);
        json_decref(root);
        free(file);
        return NULL;
    }
    free(file);
    return root;
}

/* The number at metrics.<name> (or metrics.<a>.<b>), NaN when absent, null or not a number. */
static double metric_value(const json_t *report, const char *name) {
    const json_t *m = json_object_get(report, "metrics");
    const char *dot = strchr(name, '.');
    if (dot) {
        char head[64];
        size_t n = (size_t)(dot - name);
        if (n >= sizeof head) return NAN;
        memcpy(head, name, n);
        head[n] = 0;
        m = json_object_get(m, head);
        name = dot + 1;
    }
    const json_t *v = json_object_get(m, name);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static double class_value(const json_t *cls, const char *key) {
    const json_t *v = json_object_get(cls, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void add_note(TmlCompareResult *r, const char *fmt, const char *a, const char *b) {
    char buf[512];
    snprintf(buf, sizeof buf, fmt, a, b);
    char **n = realloc(r->notes, sizeof(char *) * (size_t)(r->n_notes + 1));
    if (!n) return;
    r->notes = n;
    r->notes[r->n_notes] = strdup(buf);
    if (r->notes[r->n_notes]) r->n_notes++;
}

static int class_cmp(const void *a, const void *b) {
    const TmlCompareClass *x = a, *y = b;
    double dx = x->f1[1] - x->f1[0], dy = y->f1[1] - y->f1[0];
    if (dx != dy) return dx < dy ? -1 : 1;
    return strcmp(x->label, y->label);
}

static const char *str_or(const json_t *obj, const char *k1, const char *k2) {
    const json_t *v = json_object_get(json_object_get(obj, k1), k2);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* "the model's task, binary or multiclass" of a report, for messages. */
static void describe(const json_t *rep, char *buf, size_t n) {
    const char *kind = str_or(rep, "model", "kind");
    const json_t *t = json_object_get(rep, "task");
    snprintf(buf, n, "%s%s%s", kind && kind[0] ? kind : "", kind && kind[0] ? ", " : "",
             json_is_string(t) ? json_string_value(t) : "unknown task");
}

/* The report's labels: its "labels" array, else the keys of "per_class" (older or hand-made
 * reports). Label i into *out; returns the count. */
static size_t label_count(const json_t *rep) {
    const json_t *a = json_object_get(rep, "labels");
    return json_is_array(a) ? json_array_size(a) : json_object_size(json_object_get(rep, "per_class"));
}

static const char *label_at(const json_t *rep, size_t i) {
    const json_t *a = json_object_get(rep, "labels");
    if (json_is_array(a)) return json_string_value(json_array_get(a, i));
    void *it = json_object_iter(json_object_get(rep, "per_class"));
    for (size_t k = 0; it && k < i; k++) it = json_object_iter_next(json_object_get(rep, "per_class"), it);
    return it ? json_object_iter_key(it) : NULL;
}

static int has_label(const json_t *rep, const char *label) {
    size_t n = label_count(rep);
    for (size_t i = 0; i < n; i++) {
        const char *l = label_at(rep, i);
        if (l && !strcmp(l, label)) return 1;
    }
    return 0;
}

/* How many of a's labels b lacks; *example gets one of them. */
static size_t labels_missing(const json_t *a, const json_t *b, const char **example) {
    size_t n = label_count(a), k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *l = label_at(a, i);
        if (l && !has_label(b, l)) {
            if (!k) *example = l;
            k++;
        }
    }
    return k;
}

/* Two reports can be compared when they are of one task (the model's [model] task and binary or
 * multiclass) and one label set, or one's labels include all of the other's (a model that learned
 * new labels). Otherwise the deltas mean nothing: before, an intent report against a churn report
 * said "no regression". -1 with err (exit 2). */
static int comparable(const json_t *base, const json_t *cand, TmlError *err) {
    const char *kb = str_or(base, "model", "kind"), *kc = str_or(cand, "model", "kind");
    const json_t *tb = json_object_get(base, "task"), *tc = json_object_get(cand, "task");
    int task_differs = (kb && kc && kb[0] && kc[0] && strcmp(kb, kc) != 0) ||
                       (json_is_string(tb) && json_is_string(tc) && strcmp(json_string_value(tb), json_string_value(tc)));
    char db[160], dc[160];
    describe(base, db, sizeof db);
    describe(cand, dc, sizeof dc);
    if (task_differs)
        return tml_fail(err, "the reports are of different tasks (baseline: %s; candidate: %s); compare reports of the "
                             "same task, evaluated on the same kind of data",
                        db, dc);
    const char *ex_b = NULL, *ex_c = NULL;
    size_t only_b = labels_missing(base, cand, &ex_b), only_c = labels_missing(cand, base, &ex_c);
    if (only_b && only_c)
        return tml_fail(err, "the reports have different label sets (%zu label%s only in the baseline, e.g. '%s'; %zu only "
                             "in the candidate, e.g. '%s'); compare models of the same labels (a candidate may add "
                             "labels to the baseline's)",
                        only_b, only_b == 1 ? "" : "s", ex_b, only_c, ex_c);
    return 0;
}

TmlCompareResult *tml_compare_reports(const json_t *base, const json_t *cand, const TmlCompareGate *gates, int n_gates,
                                      TmlError *err) {
    const json_t *rep[2] = {base, cand};
    const char *which[2] = {"baseline", "candidate"};
    for (int k = 0; k < 2; k++)
        if (!json_is_object(json_object_get(rep[k], "metrics"))) {
            tml_fail(err, "%s report has no \"metrics\" object", which[k]);
            return NULL;
        }
    if (comparable(base, cand, err)) return NULL;
    /* A gate on a metric one report does not have is a mistake in the CI config, not a pass. */
    for (int g = 0; g < n_gates; g++) {
        if (is_class_gate(gates[g].metric)) continue;
        for (int k = 0; k < 2; k++)
            if (isnan(metric_value(rep[k], gates[g].metric))) {
                const json_t *task = json_object_get(rep[k], "task");
                tml_fail(err, "--max-drop %s: the %s report has no value for '%s' (its task is %s); gate only metrics "
                         "both reports have",
                         gates[g].metric, which[k], gates[g].metric, json_is_string(task) ? json_string_value(task) : "unknown");
                return NULL;
            }
    }

    TmlCompareResult *r = calloc(1, sizeof *r);
    if (!r) goto oom;
    r->metrics = calloc(N_METRICS, sizeof *r->metrics);
    if (!r->metrics) goto oom;
    for (int i = 0; i < N_METRICS; i++) {
        double b = metric_value(base, METRICS[i].name), c = metric_value(cand, METRICS[i].name);
        if (isnan(b) && isnan(c)) continue; /* e.g. roc_auc between two multiclass reports */
        TmlCompareRow *row = &r->metrics[r->n_metrics++];
        snprintf(row->name, sizeof row->name, "%s", METRICS[i].name);
        row->better = METRICS[i].better;
        row->baseline = b;
        row->candidate = c;
        row->delta = c - b;
        row->drop = row->better == TML_BETTER_HIGHER ? b - c : row->better == TML_BETTER_LOWER ? c - b : NAN;
        row->max_drop = NAN;
        for (int g = 0; g < n_gates; g++) {
            if (strcmp(gates[g].metric, row->name) != 0) continue;
            /* Several gates on one metric: the strictest wins. */
            if (!row->gated || gates[g].max_drop < row->max_drop) row->max_drop = gates[g].max_drop;
            row->gated = 1;
        }
        /* The tiny epsilon keeps "dropped exactly the allowed amount" from failing on rounding. */
        row->regressed = row->gated && row->drop > row->max_drop + 1e-12;
        r->n_regressions += row->regressed;
    }

    const json_t *pcb = json_object_get(base, "per_class"), *pcc = json_object_get(cand, "per_class");
    size_t nb = json_is_object(pcb) ? json_object_size(pcb) : 0;
    r->classes = calloc(nb ? nb : 1, sizeof *r->classes);
    if (!r->classes) goto oom;
    const char *label;
    json_t *cb;
    json_object_foreach((json_t *)pcb, label, cb) {
        const json_t *cc = json_object_get(pcc, label);
        if (!cc) {
            /* a per-class gate cannot pass on a class the candidate does not report */
            const char *gate = NULL;
            for (int g = 0; g < n_gates && !gate; g++)
                if (is_class_gate(gates[g].metric)) gate = gates[g].metric;
            if (gate) {
                add_note(r, "REGRESSION: class '%s' is missing from the candidate report (gate %s)", label, gate);
                r->n_regressions++;
            } else {
                add_note(r, "label '%s' is only in the baseline report%s", label, "");
            }
            continue;
        }
        TmlCompareClass *k = &r->classes[r->n_classes];
        k->label = strdup(label);
        if (!k->label) goto oom;
        r->n_classes++;
        const json_t *pair[2] = {cb, cc};
        for (int s = 0; s < 2; s++) {
            k->f1[s] = class_value(pair[s], "f1");
            k->precision[s] = class_value(pair[s], "precision");
            k->recall[s] = class_value(pair[s], "recall");
            const json_t *sup = json_object_get(pair[s], "support");
            k->support[s] = json_is_integer(sup) ? (int64_t)json_integer_value(sup) : -1;
        }
        for (int g = 0; g < n_gates && !k->regressed; g++) {
            const char *what = NULL;
            double drop = NAN;
            if (!strcmp(gates[g].metric, "per_class.f1")) what = "f1", drop = k->f1[0] - k->f1[1];
            else if (!strcmp(gates[g].metric, "per_class.precision")) what = "precision", drop = k->precision[0] - k->precision[1];
            else if (!strcmp(gates[g].metric, "per_class.recall")) what = "recall", drop = k->recall[0] - k->recall[1];
            if (what && drop > gates[g].max_drop + 1e-12) {
                k->regressed = 1;
                k->drop = drop;
                k->max_drop = gates[g].max_drop;
                snprintf(k->regressed_on, sizeof k->regressed_on, "%s", what);
            }
        }
        r->n_regressions += k->regressed;
    }
    json_t *cc;
    json_object_foreach((json_t *)pcc, label, cc) {
        if (!json_object_get(pcb, label)) add_note(r, "label '%s' is only in the candidate report%s", label, "");
    }
    qsort(r->classes, (size_t)r->n_classes, sizeof *r->classes, class_cmp);

    const char *fb = str_or(base, "data", "fingerprint"), *fc = str_or(cand, "data", "fingerprint");
    if (fb && fc && strcmp(fb, fc) != 0)
        add_note(r, "the reports were computed on different data (fingerprints %s and %s); deltas mix model and data "
                 "changes", fb, fc);
    return r;
oom:
    tml_compare_free(r);
    tml_fail(err, "compare: out of memory");
    return NULL;
}

int tml_compare_exit_code(const TmlCompareResult *r) { return r->n_regressions > 0 ? 1 : 0; }

static void put_val(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, " %11.4f", v);
    else fprintf(f, " %11s", "n/a");
}

void tml_compare_print(FILE *f, const TmlCompareResult *r, const char *bname, const char *cname) {
    fprintf(f, "baseline:  %s\ncandidate: %s\n\n", bname, cname);
    fprintf(f, "%-32s %11s %11s %11s %11s  %s\n", "metric", "baseline", "candidate", "delta", "max drop", "");
    for (int i = 0; i < r->n_metrics; i++) {
        const TmlCompareRow *row = &r->metrics[i];
        fprintf(f, "%-32s", row->name);
        put_val(f, row->baseline);
        put_val(f, row->candidate);
        if (isfinite(row->delta)) fprintf(f, " %+11.4f", row->delta);
        else fprintf(f, " %11s", "n/a");
        if (row->gated) fprintf(f, " %11.4f", row->max_drop);
        else fprintf(f, " %11s", "-");
        const char *tag = row->regressed ? "  REGRESSED" : row->better == TML_BETTER_LOWER ? "  (lower is better)"
                          : row->better == TML_BETTER_NEITHER                          ? "  (information, not gated)"
                                                                                       : "";
        fprintf(f, "%s\n", tag);
    }
    if (r->n_classes > 0) {
        fprintf(f, "\n%-32s %11s %11s %11s %9s %9s  %s\n", "per class (worst F1 change first)", "F1 base", "F1 cand",
                "delta", "support", "", "");
        for (int i = 0; i < r->n_classes; i++) {
            const TmlCompareClass *k = &r->classes[i];
            fprintf(f, "%-32.32s", k->label);
            put_val(f, k->f1[0]);
            put_val(f, k->f1[1]);
            if (isfinite(k->f1[1] - k->f1[0])) fprintf(f, " %+11.4f", k->f1[1] - k->f1[0]);
            else fprintf(f, " %11s", "n/a");
            fprintf(f, " %9lld", (long long)k->support[1]);
            if (k->regressed) fprintf(f, "  REGRESSED (%s)", k->regressed_on);
            fputc('\n', f);
        }
    }
    for (int i = 0; i < r->n_notes; i++) fprintf(f, "\nnote: %s", r->notes[i]);
    if (r->n_notes) fputc('\n', f);
    if (r->n_regressions == 0) {
        fprintf(f, "\nresult: no regression beyond the allowed drops\n");
        return;
    }
    fprintf(f, "\nresult: %d regression%s:", r->n_regressions, r->n_regressions == 1 ? "" : "s");
    for (int i = 0; i < r->n_metrics; i++)
        if (r->metrics[i].regressed)
            fprintf(f, " %s %s by %.4f (allowed %.4f);", r->metrics[i].name,
                    r->metrics[i].better == TML_BETTER_LOWER ? "rose" : "dropped", r->metrics[i].drop,
                    r->metrics[i].max_drop);
    for (int i = 0; i < r->n_classes; i++)
        if (r->classes[i].regressed)
            fprintf(f, " class '%s' %s dropped by %.4f (allowed %.4f);", r->classes[i].label, r->classes[i].regressed_on,
                    r->classes[i].drop, r->classes[i].max_drop);
    fputc('\n', f);
}

static json_t *jnum(double v) { return isfinite(v) ? json_real(v) : json_null(); }

json_t *tml_compare_to_json(const TmlCompareResult *r, const char *bname, const char *cname) {
    json_t *root = json_object(), *ms = json_array(), *cs = json_array(), *notes = json_array();
    for (int i = 0; i < r->n_metrics; i++) {
        const TmlCompareRow *row = &r->metrics[i];
        const char *better = row->better == TML_BETTER_HIGHER ? "higher" : row->better == TML_BETTER_LOWER ? "lower" : "neither";
        json_array_append_new(ms, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:b}", "name", row->name, "better",
                                            better, "baseline", jnum(row->baseline), "candidate", jnum(row->candidate),
                                            "delta", jnum(row->delta), "drop", jnum(row->drop), "max_drop",
                                            row->gated ? jnum(row->max_drop) : json_null(), "regressed", row->regressed));
    }
    for (int i = 0; i < r->n_classes; i++) {
        const TmlCompareClass *k = &r->classes[i];
        json_array_append_new(
            cs, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:b}", "label", k->label, "f1_baseline",
                          jnum(k->f1[0]), "f1_candidate", jnum(k->f1[1]), "precision_baseline", jnum(k->precision[0]),
                          "precision_candidate", jnum(k->precision[1]), "recall_baseline", jnum(k->recall[0]),
                          "recall_candidate", jnum(k->recall[1]), "support_baseline", (json_int_t)k->support[0],
                          "support_candidate", (json_int_t)k->support[1], "regressed", k->regressed));
    }
    for (int i = 0; i < r->n_notes; i++) json_array_append_new(notes, json_string(r->notes[i]));
    json_object_set_new(root, "baseline", json_string(bname));
    json_object_set_new(root, "candidate", json_string(cname));
    json_object_set_new(root, "regression", json_boolean(r->n_regressions > 0));
    json_object_set_new(root, "n_regressions", json_integer(r->n_regressions));
    json_object_set_new(root, "metrics", ms);
    json_object_set_new(root, "per_class", cs);
    json_object_set_new(root, "notes", notes);
    return root;
}

void tml_compare_free(TmlCompareResult *r) {
    if (!r) return;
    for (int i = 0; i < r->n_classes; i++) free(r->classes[i].label);
    for (int i = 0; i < r->n_notes; i++) free(r->notes[i]);
    free(r->classes);
    free(r->notes);
    free(r->metrics);
    free(r);
}
