/* drift_report_html.c — the drift report as one self-contained page (inline CSS and SVG, no
 * script, nothing fetched): the verdict and the limits passed first, then prediction, confidence,
 * input, label and time drift, each with a chart and the numbers behind it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/date.h"
#include "eval/drift.h"
#include "eval/report_svg.h"
#include "eval/report_util.h"

#define EXAMPLE_MAX 360 /* bytes of an example ticket shown */
#define CLASS_BARS_MAX 40 /* classes drawn in the prediction chart (the table lists all) */

static const char *DRIFT_CSS =
    ".verdict{border-radius:8px;padding:12px 16px;margin:14px 0;font-size:15px}"
    ".verdict.bad{background:#fdecea;border:1px solid #f1a9a0;color:#8a1c0c}"
    ".verdict.good{background:#e9f6ec;border:1px solid #9fd3ad;color:#1b5e2d}"
    ".verdict ul{margin:6px 0 0 0;padding-left:20px}"
    "tr.bad td{background:#fdecea}td.bad{color:#b3261e;font-weight:600}"
    ".ex{font-size:12px;color:#333;max-width:560px}.ex mark{background:#ffe08a;padding:0 1px}"
    "td.n{white-space:nowrap}";

static void fmt(FILE *f, double v, int digits) {
    char b[32];
    fputs(tml_report_fmt(b, v, digits), f);
}

static void pct(FILE *f, double v) {
    if (!isfinite(v)) fputs("n/a", f);
    else fprintf(f, "%.2f%%", 100 * v);
}

static void card2(FILE *f, const char *name, double a, double b, int percent) {
    fputs("<div class=\"card\"><div class=\"v\">", f);
    if (percent) pct(f, a);
    else fmt(f, a, 3);
    fputs(" &#8594; ", f);
    if (percent) pct(f, b);
    else fmt(f, b, 3);
    fputs("</div><div class=\"k\">", f);
    tml_report_put_html(f, name);
    fputs("</div></div>\n", f);
}

static void card1(FILE *f, const char *name, double v) {
    fputs("<div class=\"card\"><div class=\"v\">", f);
    fmt(f, v, 4);
    fputs("</div><div class=\"k\">", f);
    tml_report_put_html(f, name);
    fputs("</div></div>\n", f);
}

static void header(FILE *f, const TmlDriftResult *r) {
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><meta name=\"viewport\" "
               "content=\"width=device-width, initial-scale=1\"/><title>ticketml drift report</title><style>%s%s</style>"
               "</head>\n<body><main>\n<h1>ticketml drift report</h1>\n<p class=\"meta\">model ",
            tml_report_css, DRIFT_CSS);
    tml_report_put_html(f, r->model_path);
    fprintf(f, " (%s, %s, %d classes) &#183; fingerprint ", r->task, r->arch, r->C);
    tml_report_put_html(f, r->model_fingerprint);
    fputs("<br/>reference ", f);
    tml_report_put_html(f, r->ref.path);
    fprintf(f, " (%lld rows) &#183; fingerprint ", (long long)r->ref.rows);
    tml_report_put_html(f, r->ref.fingerprint);
    if (r->ref_is_training && !r->ref_in_sample)
        fprintf(f, "<br/>the reference is the model's training file: its inputs are compared on all rows, the "
                   "model's outputs (predictions, confidence, accuracy) on the %lld rows its training held out",
                (long long)r->ref_model_rows);
    else if (r->ref_in_sample)
        fputs("<br/>the reference is the model's training file and nothing was held out (a separate valid file): "
              "its outputs are in-sample, so confidence and accuracy look better there than on new data", f);
    fputs("<br/>current ", f);
    tml_report_put_html(f, r->cur.path);
    fprintf(f, " (%lld rows, %lld labelled) &#183; fingerprint ", (long long)r->cur.rows, (long long)r->cur.labelled);
    tml_report_put_html(f, r->cur.fingerprint);
    fputs("</p>\n", f);
}

static void verdict(FILE *f, const TmlDriftResult *r) {
    if (!r->n_failed) {
        fprintf(f, "<div class=\"verdict good\"><b>No drift past the limits</b> (%d checks passed).</div>\n", r->n_checks);
        return;
    }
    fprintf(f, "<div class=\"verdict bad\"><b>Drift: %d limit(s) passed</b><ul>\n", r->n_failed);
    for (int i = 0; i < r->n_checks; i++) {
        const TmlDriftCheck *c = &r->checks[i];
        if (!c->failed) continue;
        fputs("<li>", f);
        tml_report_put_html(f, c->what);
        fputs(": <code>", f);
        tml_report_put_html(f, c->name);
        fputs("</code> = ", f);
        fmt(f, c->value, 4);
        fputs(c->upper ? " &gt; " : " &lt; ", f);
        fmt(f, c->limit, 4);
        fputs("</li>\n", f);
    }
    fputs("</ul></div>\n", f);
}

static void cards(FILE *f, const TmlDriftResult *r) {
    fputs("<section class=\"cards\">\n", f);
    card1(f, "prediction PSI", r->pred_psi);
    card1(f, "prediction JS distance", r->pred_js);
    card2(f, "below the auto-handle threshold", r->ref.manual_share, r->cur.manual_share, 1);
    card2(f, "mean confidence", r->ref.mean_conf, r->cur.mean_conf, 0);
    if (r->text) card2(f, "unseen-token share", r->ref.oov_share, r->cur.oov_share, 1);
    if (r->has_labels) card2(f, "accuracy", r->ref.accuracy, r->cur.accuracy, 0);
    fputs("</section>\n", f);
}

static void check_head(FILE *f) {
    fputs("<table><tr><th>check</th><th>what it means</th><th>value</th><th>limit</th><th>p-value</th><th>result</th>"
          "</tr>\n", f);
}

static void check_row(FILE *f, const TmlDriftResult *r, const TmlDriftCheck *c) {
    fprintf(f, "<tr%s><td><code>", c->failed ? " class=\"bad\"" : "");
    tml_report_put_html(f, c->name);
    fputs("</code></td><td>", f);
    tml_report_put_html(f, c->what);
    fputs("</td><td class=\"n\">", f);
    fmt(f, c->value, 4);
    fprintf(f, "</td><td class=\"n\">%s ", c->upper ? "&#8804;" : "&#8805;");
    fmt(f, c->limit, 4);
    fputs("</td><td class=\"n\">", f);
    if (isnan(c->p_value)) fputs("&#8212;", f);
    else fprintf(f, "%.3g", c->p_value);
    int past = isfinite(c->value) && (c->upper ? c->value > c->limit : c->value < c->limit);
    fprintf(f, "</td><td%s>%s</td></tr>\n", c->failed ? " class=\"bad\"" : "",
            c->failed ? "DRIFT" : past ? "ok (within sampling noise)" : "ok");
    (void)r;
}

/* The checks: those that failed first; a long list of passing ones folds away. */
static void checks(FILE *f, const TmlDriftResult *r) {
    int passed = r->n_checks - r->n_failed, fold = passed > 12;
    fputs("<section><h2>Checks</h2>", f);
    check_head(f);
    for (int i = 0; i < r->n_checks; i++)
        if (r->checks[i].failed) check_row(f, r, &r->checks[i]);
    if (fold) fprintf(f, "</table><details><summary>the %d checks that passed</summary>", passed), check_head(f);
    for (int i = 0; i < r->n_checks; i++)
        if (!r->checks[i].failed) check_row(f, r, &r->checks[i]);
    fputs(fold ? "</table></details>" : "</table>", f);
    fprintf(f, "<p class=\"note\">Limits come from the command line (docs/monitoring.md has the defaults and "
               "their meaning). A value past its limit is drift when a test on the same counts says it is not "
               "sampling noise: p-value below %.3g (chi-square over the same bins, or a two-proportion test), that "
               "is %.3g shared among the tested checks, so many checks do not mean many false alarms. An undefined "
               "value (n/a) passes.</p></section>\n",
            r->alpha_per_check, r->limits.alpha);
}

static int *class_order(const TmlDriftResult *r) {
    int *o = malloc(sizeof *o * (size_t)r->C);
    if (!o) return NULL;
    for (int i = 0; i < r->C; i++) o[i] = i;
    for (int i = 1; i < r->C; i++)
        for (int j = i; j > 0 && fabs(r->classes[o[j]].psi_term) > fabs(r->classes[o[j - 1]].psi_term); j--) {
            int t = o[j];
            o[j] = o[j - 1];
            o[j - 1] = t;
        }
    return o;
}

static void numeric_row(FILE *f, const char *name, const TmlDriftNumeric *d) {
    fputs("<tr><th>", f);
    tml_report_put_html(f, name);
    fputs("</th><td class=\"n\">", f);
    fmt(f, d->ref_mean, 4);
    fputs("</td><td class=\"n\">", f);
    fmt(f, d->cur_mean, 4);
    fputs("</td><td class=\"n\">", f);
    fmt(f, d->psi, 4);
    fputs("</td><td class=\"n\">", f);
    fmt(f, d->js, 4);
    fputs("</td><td class=\"n\">", f);
    fmt(f, d->ks, 4);
    fputs("</td><td class=\"n\">", f);
    fmt(f, d->ks_p, 6);
    fputs("</td><td class=\"n\">", f);
    fmt(f, d->wasserstein, 4);
    fputs("</td></tr>\n", f);
}

static void numeric_head(FILE *f) {
    fputs("<table><tr><th>distribution</th><th>reference mean</th><th>current mean</th><th>PSI</th><th>JS</th>"
          "<th>KS D</th><th>KS p-value</th><th>Wasserstein (normed)</th></tr>\n", f);
}

/* A numeric sample's histogram; distinct values are named by their value. */
static int numeric_chart(FILE *f, const char *title, const char *xlabel, const TmlDriftNumeric *d) {
    const TmlDriftHist *h = &d->hist;
    if (h->n <= 0) return 0;
    if (h->edges) {
        tml_svg_histogram(f, title, xlabel, h->n, h->edges, NULL, h->ref, h->cur);
        return 0;
    }
    char **names = calloc((size_t)h->n, sizeof *names);
    if (!names) return -1;
    int rc = 0;
    for (int i = 0; i < h->n && !rc; i++) {
        names[i] = malloc(32);
        if (!names[i]) rc = -1;
        else snprintf(names[i], 32, "%.4g", h->values[i]);
    }
    if (!rc) tml_svg_histogram(f, title, xlabel, h->n, NULL, (const char *const *)names, h->ref, h->cur);
    for (int i = 0; i < h->n; i++) free(names[i]);
    free(names);
    return rc;
}

static int prediction(FILE *f, const TmlDriftResult *r, const int *order) {
    double *ref = malloc(sizeof *ref * (size_t)r->C), *cur = malloc(sizeof *cur * (size_t)r->C);
    if (!ref || !cur) {
        free(ref), free(cur);
        return -1;
    }
    for (int c = 0; c < r->C; c++) ref[c] = r->classes[c].ref_share, cur[c] = r->classes[c].cur_share;
    fputs("<section><h2>Prediction drift</h2><p class=\"note\">Share of tickets the model puts in each class, "
          "reference against current", f);
    if (r->is_binary) fprintf(f, " (positive class when its probability is at least %.2f)", r->threshold);
    fputs(". PSI ", f);
    fmt(f, r->pred_psi, 4);
    fputs(", Jensen-Shannon distance ", f);
    fmt(f, r->pred_js, 4);
    int n = r->C < CLASS_BARS_MAX ? r->C : CLASS_BARS_MAX;
    if (n < r->C) fprintf(f, ". The %d classes that moved most are drawn; the table lists all %d", n, r->C);
    fputs(".</p><div class=\"charts\">\n", f);
    tml_svg_paired_bars(f, "predicted class share, most moved first", n, (const char *const *)r->labels, ref, cur, order);
    if (r->is_binary && numeric_chart(f, "probability of the positive class", "probability", &r->score)) {
        free(ref), free(cur);
        return -1;
    }
    fputs("</div><details><summary>all classes</summary><table><tr><th>class</th><th>reference share</th>"
          "<th>current share</th><th>PSI term</th><th>JS distance</th></tr>\n", f);
    for (int i = 0; i < r->C; i++) {
        const TmlDriftClass *k = &r->classes[order[i]];
        fputs("<tr><td>", f);
        tml_report_put_html(f, r->labels[order[i]]);
        fputs("</td><td class=\"n\">", f);
        pct(f, k->ref_share);
        fputs("</td><td class=\"n\">", f);
        pct(f, k->cur_share);
        fputs("</td><td class=\"n\">", f);
        fmt(f, k->psi_term, 4);
        fputs("</td><td class=\"n\">", f);
        fmt(f, k->js, 4);
        fputs("</td></tr>\n", f);
    }
    fputs("</table></details></section>\n", f);
    free(ref), free(cur);
    return 0;
}

static int confidence(FILE *f, const TmlDriftResult *r) {
    fputs("<section><h2>Confidence drift</h2><p class=\"note\">Confidence = the probability of the predicted class. "
          "Tickets below the auto-handle threshold ", f);
    fmt(f, r->auto_threshold, 4);
    fputs(" (", f);
    tml_report_put_html(f, r->auto_threshold_source);
    fputs(") go to a person: ", f);
    pct(f, r->ref.manual_share);
    fputs(" of the reference, ", f);
    pct(f, r->cur.manual_share);
    fputs(" of the current tickets.</p><div class=\"charts\">\n", f);
    if (numeric_chart(f, "top probability", "probability of the predicted class", &r->confidence)) return -1;
    fputs("</div>\n", f);
    numeric_head(f);
    numeric_row(f, "top probability", &r->confidence);
    if (r->is_binary) numeric_row(f, "positive-class probability", &r->score);
    fputs("</table></section>\n", f);
    return 0;
}

/* The example ticket with the first case-insensitive occurrence of the feature marked. */
static void example(FILE *f, const TmlDriftFeature *e) {
    char *t = tml_report_clean_text(e->example, EXAMPLE_MAX);
    if (!t) return;
    const char *hit = e->text ? strcasestr(t, e->text) : NULL;
    if (hit) {
        size_t at = (size_t)(hit - t), n = strlen(e->text);
        char keep = t[at];
        t[at] = 0;
        tml_report_put_html(f, t);
        t[at] = keep;
        char save = t[at + n];
        t[at + n] = 0;
        fputs("<mark>", f);
        tml_report_put_html(f, t + at);
        fputs("</mark>", f);
        t[at + n] = save;
        tml_report_put_html(f, t + at + n);
    } else {
        tml_report_put_html(f, t);
    }
    free(t);
}

static int input_text(FILE *f, const TmlDriftResult *r) {
    fputs("<section><h2>Input drift</h2><p class=\"note\">Unseen tokens: words the first half of the reference (its "
          "even rows) never had, in its other half and in the current tickets, so the two rates compare like with "
          "like. Reference ", f);
    pct(f, r->ref.oov_share);
    fputs(", current ", f);
    pct(f, r->cur.oov_share);
    fputs(". Tokens not in the model's own vocabulary: ", f);
    pct(f, r->ref.model_oov_share);
    fputs(" &#8594; ", f);
    pct(f, r->cur.model_oov_share);
    fputs(". Tickets with CJK characters: ", f);
    pct(f, r->ref_cjk_share);
    fputs(" &#8594; ", f);
    pct(f, r->cur_cjk_share);
    fputs(".</p><div class=\"charts\">\n", f);
    if (numeric_chart(f, "ticket length", "tokens per ticket", &r->length)) return -1;
    tml_svg_paired_bars(f, "script mix", r->n_scripts, r->script_names, r->script_ref, r->script_cur, NULL);
    fputs("</div>\n", f);
    numeric_head(f);
    numeric_row(f, "tokens per ticket", &r->length);
    fputs("</table>\n<h2 style=\"margin-top:18px\">Words that moved most</h2><p class=\"note\">Share of tickets containing the word or word "
          "pair; score = its PSI term over smoothed shares. The example is the first ticket with it, from the side "
          "where it grew.</p>\n<table><tr><th>word</th><th>reference</th><th>current</th><th>score</th>"
          "<th>example ticket</th></tr>\n", f);
    for (int i = 0; i < r->n_features; i++) {
        const TmlDriftFeature *e = &r->features[i];
        fputs("<tr><td>", f);
        tml_report_put_html(f, e->text);
        if (e->unseen) fputs(" <span class=\"note\">(new)</span>", f);
        fputs("</td><td class=\"n\">", f);
        pct(f, e->ref_share);
        fputs("</td><td class=\"n\">", f);
        pct(f, e->cur_share);
        fputs("</td><td class=\"n\">", f);
        fmt(f, e->score, 4);
        fprintf(f, "</td><td class=\"ex\">%s row %lld: ", e->example_side ? "current" : "reference",
                (long long)e->example_row + 1);
        example(f, e);
        fputs("</td></tr>\n", f);
    }
    fputs("</table></section>\n", f);
    return 0;
}

static int input_tabular(FILE *f, const TmlDriftResult *r) {
    int n = r->n_columns;
    int *o = malloc(sizeof *o * (size_t)(n > 0 ? n : 1));
    if (!o) return -1;
    for (int i = 0; i < n; i++) o[i] = i;
    for (int i = 1; i < n; i++) /* by PSI, largest first; NaN last */
        for (int j = i; j > 0; j--) {
            double a = r->columns[o[j]].psi, b = r->columns[o[j - 1]].psi;
            if (!(isfinite(a) && (!isfinite(b) || a > b))) break;
            int t = o[j];
            o[j] = o[j - 1];
            o[j - 1] = t;
        }
    fputs("<section><h2>Input drift</h2><p class=\"note\">Every column the model reads, most moved first: numeric "
          "columns in their own units (PSI and JS over Sturges bins, Kolmogorov-Smirnov, Wasserstein distance over "
          "the reference's standard deviation), categorical ones as shares of the categories the model knows "
          "(&#8220;(other)&#8221;: values it never saw).</p><div class=\"charts\">\n", f);
    for (int k = 0; k < n && k < 4; k++) {
        const TmlDriftColumn *c = &r->columns[o[k]];
        int rc = 0;
        if (c->cats) tml_svg_paired_bars(f, c->name, c->n_cats, (const char *const *)c->cats, c->ref, c->cur, NULL);
        else rc = numeric_chart(f, c->name, c->name, &c->num);
        if (rc) {
            free(o);
            return -1;
        }
    }
    fputs("</div><table><tr><th>column</th><th>kind</th><th>PSI</th><th>JS</th><th>KS p-value</th>"
          "<th>Wasserstein (normed)</th><th>reference mean</th><th>current mean</th><th>missing ref / cur</th></tr>\n", f);
    for (int k = 0; k < n; k++) {
        const TmlDriftColumn *c = &r->columns[o[k]];
        int bad = isfinite(c->psi) && c->psi > r->limits.max_psi;
        fprintf(f, "<tr%s><td>", bad ? " class=\"bad\"" : "");
        tml_report_put_html(f, c->name);
        fprintf(f, "</td><td>%s</td><td class=\"n\">", c->kind);
        fmt(f, c->psi, 4);
        fputs("</td><td class=\"n\">", f);
        fmt(f, c->js, 4);
        fputs("</td>", f);
        if (c->cats) {
            fputs("<td></td><td></td><td></td><td></td><td></td></tr>\n", f);
            continue;
        }
        fputs("<td class=\"n\">", f);
        fmt(f, c->num.ks_p, 6);
        fputs("</td><td class=\"n\">", f);
        fmt(f, c->num.wasserstein, 4);
        fputs("</td><td class=\"n\">", f);
        fmt(f, c->num.ref_mean, 4);
        fputs("</td><td class=\"n\">", f);
        fmt(f, c->num.cur_mean, 4);
        fprintf(f, "</td><td class=\"n\">%lld / %lld</td></tr>\n", (long long)c->num.missing_ref,
                (long long)c->num.missing_cur);
    }
    fputs("</table></section>\n", f);
    free(o);
    return 0;
}

/* Class indices by F1 change (reference minus current), largest fall first; NaN last. */
static int *f1_order(const TmlDriftResult *r) {
    int *o = malloc(sizeof *o * (size_t)r->C);
    if (!o) return NULL;
    for (int i = 0; i < r->C; i++) o[i] = i;
    for (int i = 1; i < r->C; i++)
        for (int j = i; j > 0; j--) {
            double a = r->classes[o[j]].ref_f1 - r->classes[o[j]].cur_f1;
            double b = r->classes[o[j - 1]].ref_f1 - r->classes[o[j - 1]].cur_f1;
            if (!(isfinite(a) && (!isfinite(b) || a > b))) break;
            int t = o[j];
            o[j] = o[j - 1];
            o[j - 1] = t;
        }
    return o;
}

static int labels(FILE *f, const TmlDriftResult *r) {
    if (!r->has_labels) {
        fputs("<section><h2>Labels</h2><p class=\"note\">", f);
        if (r->cur.labelled == 0)
            fputs("The current file has no labels the model knows, so accuracy and label drift are not measured; the "
                  "checks above need no labels.", f);
        else
            fputs("The reference has no labels the model knows; label drift needs both sides labelled.", f);
        fputs("</p></section>\n", f);
        return 0;
    }
    int *order = f1_order(r);
    if (!order) return -1;
    fputs("<section><h2>Labels</h2><p class=\"note\">Accuracy ", f);
    fmt(f, r->ref.accuracy, 4);
    fputs(" &#8594; ", f);
    fmt(f, r->cur.accuracy, 4);
    fputs(", macro F1 ", f);
    fmt(f, r->ref.macro_f1, 4);
    fputs(" &#8594; ", f);
    fmt(f, r->cur.macro_f1, 4);
    fputs("; label shares PSI ", f);
    fmt(f, r->label_psi, 4);
    if (r->ref_in_sample)
        fputs(". The reference is the model's own training file with nothing held out, so its accuracy is "
              "in-sample (optimistic) and the accuracy-drop check is left out", f);
    fputs(". Classes whose F1 fell most first:</p><table><tr><th>class</th><th>label share ref</th>"
          "<th>label share cur</th><th>recall ref</th><th>recall cur</th><th>F1 ref</th><th>F1 cur</th>"
          "<th>support ref / cur</th></tr>\n", f);
    for (int i = 0; i < r->C; i++) {
        const TmlDriftClass *k = &r->classes[order[i]];
        int bad = isfinite(k->ref_f1) && isfinite(k->cur_f1) && k->ref_f1 - k->cur_f1 > 0.1;
        fprintf(f, "<tr%s><td>", bad ? " class=\"bad\"" : "");
        tml_report_put_html(f, r->labels[order[i]]);
        fputs("</td><td class=\"n\">", f);
        pct(f, k->ref_label_share);
        fputs("</td><td class=\"n\">", f);
        pct(f, k->cur_label_share);
        double v[4] = {k->ref_recall, k->cur_recall, k->ref_f1, k->cur_f1};
        for (int j = 0; j < 4; j++) {
            fputs("</td><td class=\"n\">", f);
            fmt(f, v[j], 3);
        }
        fprintf(f, "</td><td class=\"n\">%lld / %lld</td></tr>\n", (long long)k->ref_support, (long long)k->cur_support);
    }
    fputs("</table></section>\n", f);
    free(order);
    return 0;
}

static int cmp_period(const void *a, const void *b) {
    const TmlDriftPeriod *x = *(const TmlDriftPeriod *const *)a, *y = *(const TmlDriftPeriod *const *)b;
    if (x->start_day != y->start_day) return x->start_day < y->start_day ? -1 : 1;
    return x->side - y->side;
}

static int time_view(FILE *f, const TmlDriftResult *r) {
    if (!r->time_col) return 0;
    int n = r->n_periods;
    const TmlDriftPeriod **p = malloc(sizeof *p * (size_t)(n > 0 ? n : 1));
    char **x = calloc((size_t)(n > 0 ? n : 1), sizeof *x);
    double *v = malloc(sizeof *v * (size_t)(8 * (n > 0 ? n : 1)));
    if (!p || !x || !v) {
        free(p), free(x), free(v);
        return -1;
    }
    for (int i = 0; i < n; i++) p[i] = &r->periods[i];
    qsort(p, (size_t)n, sizeof *p, cmp_period);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        int y, m, d;
        tml_date_to_civil(p[i]->start_day, &y, &m, &d);
        if (!(x[i] = malloc(16))) rc = -1;
        else snprintf(x[i], 16, "%04d-%02d-%02d", y, m, d);
    }
    if (!rc) {
        double *pr = v, *pc = v + n, *mr = v + 2 * n, *mc = v + 3 * n, *or = v + 4 * n, *oc = v + 5 * n,
               *ar = v + 6 * n, *ac = v + 7 * n;
        int any_acc = 0, any_oov = 0;
        for (int i = 0; i < n; i++) {
            int c = p[i]->side;
            pr[i] = c ? NAN : p[i]->pred_psi;
            pc[i] = c ? p[i]->pred_psi : NAN;
            mr[i] = c ? NAN : p[i]->manual_share;
            mc[i] = c ? p[i]->manual_share : NAN;
            or[i] = c ? NAN : p[i]->oov_share;
            oc[i] = c ? p[i]->oov_share : NAN;
            ar[i] = c ? NAN : p[i]->accuracy;
            ac[i] = c ? p[i]->accuracy : NAN;
            any_acc |= isfinite(p[i]->accuracy);
            any_oov |= isfinite(p[i]->oov_share);
        }
        fputs("<section><h2>Over time</h2><p class=\"note\">Per ", f);
        fputs(r->period, f);
        fputs(" of the column <code>", f);
        tml_report_put_html(f, r->time_col);
        fputs("</code>. Prediction PSI compares each period's predicted-class shares with the whole reference; a "
              "small period is noisy (PSI grows like classes / rows).", f);
        if (r->ref_bad_time || r->cur_bad_time)
            fprintf(f, " Rows whose time did not parse, left out: %lld reference, %lld current.",
                    (long long)r->ref_bad_time, (long long)r->cur_bad_time);
        fputs("</p><div class=\"charts\">\n", f);
        const char *const *xl = (const char *const *)x;
        TmlSvgTrendSeries s1[2] = {{pr, "#9aa3ae", "reference"}, {pc, "#1f5fa8", "current"}};
        char lim[48];
        snprintf(lim, sizeof lim, "limit %.3g", r->limits.max_psi);
        tml_svg_trend(f, "prediction PSI per period", "PSI", n, xl, s1, 2, r->limits.max_psi, lim);
        TmlSvgTrendSeries s2[2] = {{mr, "#9aa3ae", "reference"}, {mc, "#1f5fa8", "current"}};
        tml_svg_trend(f, "share below the auto-handle threshold", "share", n, xl, s2, 2, NAN, NULL);
        if (any_oov) {
            TmlSvgTrendSeries s3[2] = {{or, "#9aa3ae", "reference"}, {oc, "#1f5fa8", "current"}};
            tml_svg_trend(f, "unseen-token share", "share of tokens", n, xl, s3, 2, NAN, NULL);
        }
        if (any_acc) {
            TmlSvgTrendSeries s4[2] = {{ar, "#9aa3ae", "reference"}, {ac, "#1f5fa8", "current"}};
            tml_svg_trend(f, "accuracy (labelled rows)", "accuracy", n, xl, s4, 2, NAN, NULL);
        }
        fputs("</div><details><summary>table</summary><table><tr><th>side</th><th>start</th><th>rows</th>"
              "<th>prediction PSI</th><th>mean confidence</th><th>below threshold</th><th>unseen tokens</th>"
              "<th>accuracy</th></tr>\n", f);
        for (int i = 0; i < n; i++) {
            fprintf(f, "<tr><td>%s</td><td>%s</td><td class=\"n\">%lld</td><td class=\"n\">",
                    p[i]->side ? "current" : "reference", x[i], (long long)p[i]->rows);
            fmt(f, p[i]->pred_psi, 4);
            fputs("</td><td class=\"n\">", f);
            fmt(f, p[i]->mean_conf, 4);
            fputs("</td><td class=\"n\">", f);
            pct(f, p[i]->manual_share);
            fputs("</td><td class=\"n\">", f);
            pct(f, p[i]->oov_share);
            fputs("</td><td class=\"n\">", f);
            fmt(f, p[i]->accuracy, 4);
            fputs("</td></tr>\n", f);
        }
        fputs("</table></details></section>\n", f);
    }
    for (int i = 0; i < n; i++) free(x[i]);
    free(p), free(x), free(v);
    return rc;
}

int tml_drift_write_html(FILE *f, const TmlDriftResult *r, TmlError *err) {
    int *order = class_order(r);
    if (!order) return tml_fail(err, "report.html: out of memory");
    header(f, r);
    verdict(f, r);
    cards(f, r);
    checks(f, r);
    int rc = prediction(f, r, order) || confidence(f, r) || (r->text ? input_text(f, r) : input_tabular(f, r));
    if (!rc) rc = labels(f, r) || time_view(f, r);
    free(order);
    if (rc) return tml_fail(err, "report.html: out of memory");
    fprintf(f, "<p class=\"note\">Written by ticketml drift in %.1f s. This page loads nothing from the network.</p>\n"
               "</main></body></html>\n",
            r->seconds);
    return ferror(f) ? tml_fail(err, "report.html: write failed") : 0;
}
