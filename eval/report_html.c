/* report_html.c — report.html: one self-contained page (inline CSS and SVG, no script, no fonts
 * or files fetched) that a person opens offline: headline cards, confusion heatmap, per-class F1,
 * ROC/PR (binary), reliability, coverage-accuracy, confused pairs with tickets, explanations.
 * The page is well-formed XML as well as HTML, so tests can parse every chart. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eval/report_svg.h"
#include "eval/report_util.h"
#include "eval/segments.h"
#include "eval/global_explain.h"
#include "trainer/train.h"

#define EXAMPLE_TEXT_MAX 320 /* bytes of an example ticket shown in the confused-pairs table */
#define WORD_MAX 90          /* characters of an explanation word or rule drawn (hover shows all) */

const char *const tml_report_css =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f3f4f6;color:#1d2330}"
    "main{max-width:1340px;margin:0 auto;padding:18px 24px 40px}"
    "h1{font-size:24px;margin:8px 0 4px}h2{font-size:18px;margin:0 0 10px}"
    ".meta{color:#555;font-size:13px;margin:0 0 14px;word-break:break-all}"
    "section{background:#fff;border:1px solid #dfe2e7;border-radius:8px;padding:14px 18px;margin:14px 0;overflow-x:auto}"
    ".cards{display:flex;flex-wrap:wrap;gap:10px;background:none;border:none;padding:0}"
    ".card{background:#fff;border:1px solid #dfe2e7;border-radius:8px;padding:10px 14px;min-width:130px}"
    ".card .v{font-size:22px;font-weight:600}.card .k{font-size:12px;color:#666}"
    ".charts{display:flex;flex-wrap:wrap;gap:16px}"
    "table{border-collapse:collapse;font-size:13px}th,td{border-bottom:1px solid #e6e8ec;padding:4px 10px;text-align:left;vertical-align:top}"
    "th{background:#f7f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".ex{margin:0;padding-left:18px;color:#333}.ex li{margin:2px 0}.ex .c{color:#888;font-size:12px}"
    ".expl{border-top:1px solid #e6e8ec;padding:10px 0}.expl .t{line-height:1.9;font-size:14px;margin:6px 0}"
    ".expl mark{border-radius:3px;padding:1px 2px;color:inherit}"
    ".note{color:#666;font-size:13px}";

static void put_num(FILE *f, double v, int digits) {
    char b[32];
    fputs(tml_report_fmt(b, v, digits), f);
}

static void card(FILE *f, const char *name, double v, int digits) {
    fputs("<div class=\"card\"><div class=\"v\">", f);
    put_num(f, v, digits);
    fputs("</div><div class=\"k\">", f);
    tml_report_put_html(f, name);
    fputs("</div></div>\n", f);
}

static void kv_row(FILE *f, const char *k, double v, int digits) {
    fputs("<tr><th>", f);
    tml_report_put_html(f, k);
    fputs("</th><td class=\"n\">", f);
    put_num(f, v, digits);
    fputs("</td></tr>\n", f);
}

static void header(FILE *f, const TmlReportInput *in) {
    const TmlMetrics *m = in->metrics;
    const char *title = in->title ? in->title : "ticketml evaluation";
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><title>", f);
    tml_report_put_html(f, title);
    fprintf(f, "</title><style>%s</style></head>\n<body><main>\n<h1>", tml_report_css);
    tml_report_put_html(f, title);
    fputs("</h1>\n<p class=\"meta\">model ", f);
    tml_report_put_html(f, in->model_path ? in->model_path : "(not given)");
    if (in->model_kind) {
        fputs(" (", f);
        tml_report_put_html(f, in->model_kind);
        fputs(")", f);
    }
    if (in->model_fingerprint) {
        fputs(" &#183; fingerprint ", f);
        tml_report_put_html(f, in->model_fingerprint);
    }
    fputs("<br/>data ", f);
    tml_report_put_html(f, in->data_path ? in->data_path : "(not given)");
    if (in->data_fingerprint) {
        fputs(" &#183; fingerprint ", f);
        tml_report_put_html(f, in->data_fingerprint);
    }
    fprintf(f, "<br/>%lld rows evaluated &#183; %lld with a label the model does not know (left out) &#183; %s, %d classes</p>\n",
            (long long)m->n_evaluated, (long long)m->n_unknown, m->is_binary ? "binary" : "multiclass", m->n_classes);
}

static void cards(FILE *f, const TmlMetrics *m) {
    char k[64];
    fputs("<section class=\"cards\">\n", f);
    card(f, "accuracy", m->accuracy, 4);
    card(f, "macro F1", m->macro.f1, 4);
    card(f, "weighted F1", m->weighted.f1, 4);
    if (m->options.top_k < m->n_classes) { /* top-C accuracy is always 1: not worth a card */
        snprintf(k, sizeof k, "top-%d accuracy", m->options.top_k);
        card(f, k, m->top_k_accuracy, 4);
    }
    if (m->is_binary) {
        card(f, "ROC-AUC", m->binary.roc_auc, 4);
        card(f, "PR-AUC", m->binary.pr_auc, 4);
    }
    card(f, "log loss", m->log_loss, 4);
    card(f, "ECE", m->ece, 4);
    snprintf(k, sizeof k, "auto-handled at %.0f%% accuracy", 100 * m->at_target.target);
    fputs("<div class=\"card\"><div class=\"v\">", f);
    if (m->at_target.reached) {
        put_num(f, 100 * m->at_target.coverage, 1);
        fputs("%", f);
    } else {
        fputs("none", f);
    }
    fputs("</div><div class=\"k\">", f);
    tml_report_put_html(f, k);
    fputs("</div></div>\n", f);
    fputs("</section>\n", f);
}

static void ci_row(FILE *f, const char *k, double v, TmlInterval ci, double base_major, double base_prior) {
    fputs("<tr><th>", f);
    tml_report_put_html(f, k);
    fputs("</th><td class=\"n\">", f);
    put_num(f, v, 4);
    fputs(" <span class=\"note\">(95% CI ", f);
    put_num(f, ci.lo, 4);
    fputs("&#8211;", f);
    put_num(f, ci.hi, 4);
    fputs(")</span></td><td class=\"n\">", f);
    put_num(f, base_major, 4);
    fputs("</td><td class=\"n\">", f);
    put_num(f, base_prior, 4);
    fputs("</td></tr>\n", f);
}

static void summary(FILE *f, const TmlReportInput *in) {
    const TmlMetrics *m = in->metrics;
    char k[96];
    fputs("<section><h2>Summary</h2><p class=\"note\">Beside the model, two that look at nothing: always the "
          "most frequent class (", f);
    tml_report_put_html(f, in->label_names[m->baseline.majority]);
    fprintf(f, "), and guessing each class with its share of the rows. 95%% intervals: Wilson for accuracy, a "
               "bootstrap of the rows (%d resamples) for F1.</p><table>\n<tr><th>metric</th><th>model</th>"
               "<th>baseline: majority class</th><th>baseline: class shares</th></tr>\n",
            m->options.bootstrap);
    ci_row(f, "accuracy", m->accuracy, m->accuracy_ci, m->baseline.majority_accuracy, m->baseline.prior_accuracy);
    ci_row(f, "macro F1", m->macro.f1, m->macro_f1_ci, m->baseline.majority_macro_f1, m->baseline.prior_macro_f1);
    fputs("</table><table>\n", f);
    if (m->options.top_k < m->n_classes) {
        snprintf(k, sizeof k, "top-%d accuracy", m->options.top_k);
        kv_row(f, k, m->top_k_accuracy, 4);
    }
    fputs("<tr><th>macro precision, recall</th><td class=\"n\">", f);
    put_num(f, m->macro.precision, 4);
    fputs(", ", f);
    put_num(f, m->macro.recall, 4);
    fputs("</td></tr>\n", f);
    kv_row(f, "weighted F1", m->weighted.f1, 4);
    kv_row(f, "micro F1", m->micro.f1, 4);
    kv_row(f, "log loss", m->log_loss, 4);
    kv_row(f, m->is_binary ? "Brier score (positive class)" : "Brier score (sum over classes)", m->brier, 4);
    kv_row(f, "expected calibration error", m->ece, 4);
    if (m->is_binary) {
        const TmlBinaryMetrics *b = &m->binary;
        kv_row(f, "ROC-AUC", b->roc_auc, 4);
        kv_row(f, "PR-AUC (average precision)", b->pr_auc, 4);
        kv_row(f, "best F1", b->best_f1, 4);
        kv_row(f, "threshold giving the best F1", b->best_f1_threshold, 4);
        kv_row(f, "share of positives in the riskiest 10%", b->capture_top10, 4);
        kv_row(f, "lift of the riskiest 10%", b->lift_top10, 2);
        fprintf(f, "<tr><th>at threshold %.2f</th><td class=\"n\">TP %lld &#183; FP %lld &#183; TN %lld &#183; FN %lld</td></tr>\n",
                b->threshold, (long long)b->tp, (long long)b->fp, (long long)b->tn, (long long)b->fn);
    }
    const TmlCoverageTarget *t = &m->at_target;
    fprintf(f, "<tr><th>auto-handle at %.0f%% accuracy</th><td class=\"n\">", 100 * t->target);
    if (t->reached) {
        fputs("confidence &#8805; ", f);
        put_num(f, t->threshold, 4);
        fputs(": ", f);
        put_num(f, 100 * t->coverage, 1);
        fputs("% handled automatically, ", f);
        put_num(f, 100 * t->manual_share, 1);
        fputs("% left for a person</td></tr>\n", f);
    } else {
        fputs("not reached at any confidence threshold</td></tr>\n", f);
    }
    fputs("</table></section>\n", f);
}

static void per_class_table(FILE *f, const TmlReportInput *in) {
    const TmlMetrics *m = in->metrics;
    fputs("<details><summary>per-class table</summary><table><tr><th>label</th><th>precision</th><th>recall</th>"
          "<th>F1</th><th>F1 95% CI</th><th>support</th><th>predicted</th></tr>\n", f);
    for (int c = 0; c < m->n_classes; c++) {
        const TmlClassMetrics *k = &m->per_class[c];
        fputs("<tr><td>", f);
        tml_report_put_html(f, in->label_names[c]);
        fputs("</td><td class=\"n\">", f);
        put_num(f, k->precision, 4);
        fputs("</td><td class=\"n\">", f);
        put_num(f, k->recall, 4);
        fputs("</td><td class=\"n\">", f);
        put_num(f, k->f1, 4);
        fputs("</td><td class=\"n\">", f);
        put_num(f, m->f1_ci[c].lo, 3);
        fputs("&#8211;", f);
        put_num(f, m->f1_ci[c].hi, 3);
        fprintf(f, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td></tr>\n", (long long)k->support,
                (long long)k->predicted);
    }
    fputs("</table></details>\n", f);
}

/* Binary models: precision, recall and F1 against the decision threshold (where to set it), and the
 * cumulative gain and lift of contacting the riskiest customers first (how many to call). Both come
 * from the PR and ROC curves. */
static int binary_threshold_charts(FILE *f, const TmlBinaryMetrics *b) {
    int n = b->pr.n > b->roc.n ? b->pr.n : b->roc.n;
    double *v = malloc(sizeof *v * (size_t)(6 * (n > 0 ? n : 1)));
    if (!v) return -1;
    double *th = v, *p = v + n, *r = v + 2 * n, *f1 = v + 3 * n, *gx = v + 4 * n, *gy = v + 5 * n;
    int k = 0;
    double f1_at = NAN, best = -1;
    for (int i = 0; i < b->pr.n; i++) {
        if (!isfinite(b->pr.threshold[i])) continue;
        th[k] = b->pr.threshold[i];
        p[k] = b->pr.y[i];
        r[k] = b->pr.x[i];
        f1[k] = p[k] + r[k] > 0 ? 2 * p[k] * r[k] / (p[k] + r[k]) : 0;
        /* F1 at the decision threshold: the point whose threshold is the lowest one >= it */
        if (th[k] >= b->threshold && (best < 0 || th[k] < best)) best = th[k], f1_at = f1[k];
        k++;
    }
    TmlSvgChart c;
    tml_svg_chart_init(&c, "Precision, recall, F1 by threshold", "threshold (positive when p >= threshold)", "value");
    TmlSvgSeries s3[3] = {{th, p, k, "#1f5fa8", "precision"}, {th, r, k, "#2b8a3e", "recall"}, {th, f1, k, "#d9480f", "F1"}};
    c.series = s3;
    c.n_series = 3;
    char lab[64];
    if (isfinite(f1_at)) {
        c.mark_x = b->threshold;
        c.mark_y = f1_at;
        snprintf(lab, sizeof lab, "threshold %.2f: F1 %.3f", b->threshold, f1_at);
        c.mark_label = lab;
    }
    tml_svg_line_chart(f, &c);
    /* gain: contacting the riskiest share x of rows finds share y of the positives */
    int g = 0;
    double pr = b->positive_rate;
    for (int i = 0; i < b->roc.n; i++) {
        gx[g] = b->roc.y[i] * pr + b->roc.x[i] * (1 - pr);
        gy[g] = b->roc.y[i];
        g++;
    }
    tml_svg_chart_init(&c, "Cumulative gain", "share of rows contacted (riskiest first)", "share of positives found");
    TmlSvgSeries gs = {gx, gy, g, "#1f5fa8", NULL};
    c.series = &gs;
    c.n_series = 1;
    c.diagonal = 1;
    c.mark_x = 0.1;
    c.mark_y = b->capture_top10;
    snprintf(lab, sizeof lab, "top 10%%: %.0f%% found, lift %.2f", 100 * b->capture_top10, b->lift_top10);
    c.mark_label = lab;
    tml_svg_line_chart(f, &c);
    /* lift = gain / share contacted, from the first 2% on (below that it is a handful of rows) */
    int l = 0;
    double hi = 1;
    for (int i = 0; i < g; i++)
        if (gx[i] >= 0.02) {
            th[l] = gx[i];
            p[l] = gy[i] / gx[i];
            hi = fmax(hi, p[l]);
            l++;
        }
    tml_svg_chart_init(&c, "Lift", "share of rows contacted (riskiest first)", "lift over random");
    c.y1 = ceil(hi + 0.25);
    TmlSvgSeries ls = {th, p, l, "#1f5fa8", NULL};
    c.series = &ls;
    c.n_series = 1;
    c.hline = 1;
    c.hline_label = "random";
    c.hline_left = 1;
    tml_svg_line_chart(f, &c);
    free(v);
    return 0;
}

static int curves(FILE *f, const TmlMetrics *m) {
    TmlSvgChart c;
    char label[96], hl[64];
    fputs("<section><h2>Curves</h2><div class=\"charts\">\n", f);
    if (m->is_binary) {
        const TmlBinaryMetrics *b = &m->binary;
        char title[64];
        snprintf(title, sizeof title, "ROC (AUC %.4f)", b->roc_auc);
        tml_svg_chart_init(&c, title, "false positive rate", "true positive rate");
        TmlSvgSeries roc = {b->roc.x, b->roc.y, b->roc.n, "#1f5fa8", NULL};
        c.series = &roc;
        c.n_series = 1;
        c.diagonal = 1;
        tml_svg_line_chart(f, &c);

        snprintf(title, sizeof title, "Precision-recall (AP %.4f)", b->pr_auc);
        tml_svg_chart_init(&c, title, "recall", "precision");
        TmlSvgSeries pr = {b->pr.x, b->pr.y, b->pr.n, "#1f5fa8", NULL};
        c.series = &pr;
        c.n_series = 1;
        c.hline = b->positive_rate;
        snprintf(hl, sizeof hl, "random: %.3f", b->positive_rate);
        c.hline_label = hl;
        tml_svg_line_chart(f, &c);
        if (binary_threshold_charts(f, b)) return -1;
    }
    tml_svg_reliability(f, m->bins, m->options.ece_bins, m->ece);

    tml_svg_chart_init(&c, "Coverage vs accuracy", "share of tickets auto-handled (most confident first)",
                       "accuracy of those");
    double lo = 1;
    for (int i = 0; i < m->coverage.n; i++) lo = fmin(lo, m->coverage.y[i]);
    lo = fmin(lo, m->at_target.target);
    c.y0 = floor(lo * 10 - 0.5) / 10; /* zoom in: accuracies of covered tickets sit near the top */
    if (c.y0 < 0) c.y0 = 0;
    TmlSvgSeries cov = {m->coverage.x, m->coverage.y, m->coverage.n, "#1f5fa8", NULL};
    c.series = &cov;
    c.n_series = 1;
    c.hline = m->at_target.target;
    snprintf(hl, sizeof hl, "target %.0f%%", 100 * m->at_target.target);
    c.hline_label = hl;
    if (m->at_target.reached) {
        c.mark_x = m->at_target.coverage;
        c.mark_y = m->at_target.accuracy;
        snprintf(label, sizeof label, "conf >= %.3f: %.1f%% auto", m->at_target.threshold, 100 * m->at_target.coverage);
        c.mark_label = label;
    }
    tml_svg_line_chart(f, &c);
    fputs("</div></section>\n", f);
    return 0;
}

static void score_cell(FILE *f, const TmlMetrics *m, int k) {
    fputs("<td class=\"n\">", f);
    if (!m) fputs("&#8212;", f);
    else put_num(f, k == 0 ? m->accuracy : k == 1 ? m->macro.f1 : k == 2 ? m->log_loss : m->binary.roc_auc, 4);
    fputs("</td>", f);
}

/* How the model came to be: the training curve from the model file, train / held-out / this-data
 * scores side by side (overfitting and shift at a glance), and the config it was trained with. */
static int training(FILE *f, const TmlReportInput *in) {
    const TmlTrainState *st = in->training;
    if (!st && !in->train_metrics && !in->valid_metrics && !in->config_text) return 0;
    fputs("<section><h2>Training</h2>\n", f);
    if (in->train_metrics || in->valid_metrics) {
        const TmlMetrics *ms[3] = {in->train_metrics, in->valid_metrics, in->metrics};
        fputs("<table><tr><th></th><th>rows trained on</th><th>rows held out in training</th><th>this data</th></tr>\n", f);
        const char *nm[4] = {"accuracy", "macro F1", "log loss", "ROC-AUC"};
        for (int k = 0; k < (in->metrics->is_binary ? 4 : 3); k++) {
            fprintf(f, "<tr><th>%s</th>", nm[k]);
            for (int j = 0; j < 3; j++) score_cell(f, ms[j], k);
            fputs("</tr>\n", f);
        }
        fprintf(f, "<tr><th>rows</th><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td></tr>\n",
                (long long)(ms[0] ? ms[0]->n_evaluated : 0), (long long)(ms[1] ? ms[1]->n_evaluated : 0),
                (long long)in->metrics->n_evaluated);
        fputs("</table><p class=\"note\">A large gap between the first two columns is overfitting; between the last two, "
              "this data differs from what the model was validated on.</p>\n", f);
    } else if (in->train_note) {
        fputs("<p class=\"note\">Train and held-out scores: not shown, ", f);
        tml_report_put_html(f, in->train_note);
        fputs(".</p>\n", f);
    }
    if (st && st->n_log > 0) {
        int n = st->n_log;
        double *v = malloc(sizeof *v * (size_t)(3 * n));
        if (!v) return -1;
        double *x = v, *vm = v + n, *tl = v + 2 * n, lo = INFINITY, hi = -INFINITY, tlo = INFINITY, thi = -INFINITY;
        int best = 0, any_loss = 0;
        for (int i = 0; i < n; i++) {
            x[i] = st->log[i].epoch;
            vm[i] = st->log[i].valid_metric;
            tl[i] = st->log[i].train_loss;
            if (isfinite(vm[i])) lo = fmin(lo, vm[i]), hi = fmax(hi, vm[i]);
            if (isfinite(tl[i])) tlo = fmin(tlo, tl[i]), thi = fmax(thi, tl[i]), any_loss = 1;
        }
        /* the best entry by the metric itself (a final model keeps the curve, not the state) */
        int lower = strstr(st->log_metric, "loss") != NULL;
        for (int i = 1; i < n; i++)
            if (isfinite(vm[i]) && (!isfinite(vm[best]) || (lower ? vm[i] < vm[best] : vm[i] > vm[best]))) best = i;
        fputs("<div class=\"charts\">\n", f);
        TmlSvgChart c;
        char title[96], lab[96];
        snprintf(title, sizeof title, "validation %s by epoch", st->log_metric);
        tml_svg_chart_init(&c, title, "epoch", st->log_metric);
        c.x0 = x[0] < 1 ? x[0] : 1;
        c.x1 = x[n - 1] > c.x0 ? x[n - 1] : c.x0 + 1;
        double pad = (hi - lo) * 0.1 + 1e-3;
        c.y0 = lo - pad;
        c.y1 = hi + pad;
        TmlSvgSeries s1 = {x, vm, n, "#1f5fa8", NULL};
        c.series = &s1;
        c.n_series = 1;
        c.mark_x = x[best];
        c.mark_y = vm[best];
        snprintf(lab, sizeof lab, "best: epoch %.0f, %.4f", x[best], vm[best]);
        c.mark_label = lab;
        tml_svg_line_chart(f, &c);
        if (any_loss) {
            tml_svg_chart_init(&c, "training loss by epoch", "epoch", "mean training loss");
            c.x0 = x[0] < 1 ? x[0] : 1;
            c.x1 = x[n - 1] > c.x0 ? x[n - 1] : c.x0 + 1;
            c.y0 = 0;
            c.y1 = thi * 1.1 + 1e-6;
            (void)tlo;
            TmlSvgSeries s2 = {x, tl, n, "#d9480f", NULL};
            c.series = &s2;
            c.n_series = 1;
            tml_svg_line_chart(f, &c);
        }
        fputs("</div>\n", f);
        free(v);
    }
    if (in->config_text) {
        fputs("<details><summary>the config it was trained with</summary><pre style=\"white-space:pre-wrap;font-size:12px\">", f);
        tml_report_put_html(f, in->config_text);
        fputs("</pre></details>\n", f);
    }
    fputs("</section>\n", f);
    return 0;
}

/* What the model learned: per class the n-grams that push it there most, as chips shaded by score. */
static void global_explanation(FILE *f, const TmlReportInput *in) {
    const TmlGlobalExplanation *g = in->global;
    if (!g) return;
    double hi = 0;
    for (size_t i = 0; i < (size_t)g->C * g->k; i++)
        if (g->words[i]) hi = fmax(hi, g->scores[i]);
    fprintf(f, "<section><h2>What the model learned</h2><p class=\"note\">Per class, the words and word pairs that "
               "push the model toward it most: each of the %d most frequent n-grams of these tickets is given to the "
               "model as a ticket of its own, and the number is how much more probable the class gets than for an "
               "empty ticket (log-probability). The same question is asked of every kind of model.</p>"
               "<table><tr><th>class</th><th>n-grams</th></tr>\n",
            g->n_candidates);
    for (int c = 0; c < g->C; c++) {
        fputs("<tr><td>", f);
        tml_report_put_html(f, in->label_names[c]);
        fputs("</td><td>", f);
        for (int i = 0; i < g->n[c]; i++) {
            double sc = g->scores[(size_t)c * g->k + i];
            fprintf(f, "<mark style=\"background-color:rgba(43,138,62,%.2f);margin-right:6px\" title=\"%+.3f\">",
                    hi > 0 ? 0.12 + 0.5 * sc / hi : 0.3, sc);
            tml_report_put_html(f, g->words[(size_t)c * g->k + i]);
            fputs("</mark>", f);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table></section>\n", f);
}

/* Metrics per segment: one table, each value's accuracy and macro-F1 with its interval drawn as a bar
 * against the whole data's value, so a weak segment stands out. */
static void segments(FILE *f, const TmlReportInput *in) {
    const TmlSegments *sg = in->segments;
    if (!sg || !sg->n) return;
    const TmlMetrics *m = in->metrics;
    fputs("<section><h2>Per segment</h2><p class=\"note\">The same metrics on groups of the rows: per value of the "
          "segment columns (<code>[eval] segments</code> or <code>--segments</code>) and, for text, per script of the "
          "ticket. The grey line in each bar is the whole data's value; the band is the 95% interval.</p>"
          "<table><tr><th>column</th><th>value</th><th>rows</th><th>accuracy</th><th></th><th>macro F1</th>"
          "<th></th></tr>\n", f);
    for (int i = 0; i < sg->n; i++) {
        const TmlSegment *g = &sg->s[i];
        const TmlMetrics *sm = g->metrics;
        fputs("<tr><td>", f);
        tml_report_put_html(f, g->column);
        fputs("</td><td>", f);
        tml_report_put_html(f, g->value);
        fprintf(f, "</td><td class=\"n\">%lld</td>", (long long)g->rows);
        if (!sm) {
            fputs("<td colspan=\"4\" class=\"note\">no labels the model knows</td></tr>\n", f);
            continue;
        }
        double v[2] = {sm->accuracy, sm->macro.f1}, all[2] = {m->accuracy, m->macro.f1};
        TmlInterval ci[2] = {sm->accuracy_ci, sm->macro_f1_ci};
        for (int k = 0; k < 2; k++) {
            fputs("<td class=\"n\">", f);
            put_num(f, v[k], 4);
            fputs("</td><td>", f);
            /* a 160 px bar: the value, its interval, the whole data's value */
            double lo = isfinite(ci[k].lo) ? ci[k].lo : v[k], hi = isfinite(ci[k].hi) ? ci[k].hi : v[k];
            fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"160\" height=\"14\" viewBox=\"0 0 160 14\" "
                       "role=\"img\" aria-label=\"segment bar\"><rect x=\"0\" y=\"3\" width=\"160\" height=\"8\" "
                       "fill=\"#eef0f3\"/><rect x=\"%.1f\" y=\"3\" width=\"%.1f\" height=\"8\" fill=\"#b9cde6\"/>"
                       "<rect x=\"%.1f\" y=\"2\" width=\"2\" height=\"10\" fill=\"%s\"/><rect x=\"%.1f\" y=\"0\" "
                       "width=\"1.5\" height=\"14\" fill=\"#777\"/></svg>",
                    160 * lo, fmax(1, 160 * (hi - lo)), fmin(158, 160 * v[k]), v[k] < all[k] - 0.05 ? "#d9480f" : "#1f5fa8",
                    fmin(158.5, 160 * all[k]));
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table></section>\n", f);
}

static void confused_pairs(FILE *f, const TmlReportInput *in) {
    const TmlMetrics *m = in->metrics;
    fputs("<section><h2>Most confused pairs</h2>\n", f);
    if (m->n_pairs == 0) {
        fputs("<p class=\"note\">No confusions: every evaluated row was predicted correctly.</p></section>\n", f);
        return;
    }
    fputs("<table><tr><th>#</th><th>true label</th><th>predicted</th><th>count</th><th>share of true label</th>"
          "<th>example tickets (most confident mistakes)</th></tr>\n", f);
    int max = in->examples_per_pair > 0 ? in->examples_per_pair : 3;
    for (int i = 0; i < m->n_pairs; i++) {
        const TmlConfusedPair *p = &m->pairs[i];
        fprintf(f, "<tr><td class=\"n\">%d</td><td>", i + 1);
        tml_report_put_html(f, in->label_names[p->truth]);
        fputs("</td><td>", f);
        tml_report_put_html(f, in->label_names[p->predicted]);
        fprintf(f, "</td><td class=\"n\">%lld</td><td class=\"n\">%.1f%%</td><td>", (long long)p->count, 100 * p->share);
        int64_t rows[64];
        int n = tml_report_pick_examples(in, p->truth, p->predicted, rows, max);
        if (n > 0) {
            fputs("<ul class=\"ex\">", f);
            for (int k = 0; k < n; k++) {
                const char *text = tml_report_row_text(in, rows[k]);
                fputs("<li>", f);
                if (text) tml_report_put_html_cut(f, text, EXAMPLE_TEXT_MAX);
                fprintf(f, " <span class=\"c\">row %lld, confidence %.3f</span></li>", (long long)rows[k] + 1,
                        in->probs[rows[k] * m->n_classes + p->predicted]);
            }
            fputs("</ul>", f);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table></section>\n", f);
}

static int is_word_byte(unsigned char c) { return isalnum(c) || c == '_'; }

/* Length of the longest explanation word matching text at i (ASCII case-insensitive, whole
 * words for ASCII words; CJK and other non-ASCII words match anywhere), and its index. */
static size_t match_word(const char *text, size_t i, const TmlReportExplanation *e, int *which) {
    size_t best = 0;
    for (int w = 0; w < e->n_words; w++) {
        const char *word = e->words[w];
        size_t n = strlen(word);
        if (n == 0 || n <= best || strncasecmp(text + i, word, n) != 0) continue;
        unsigned char first = (unsigned char)word[0], last = (unsigned char)word[n - 1];
        if (is_word_byte(first) && i > 0 && is_word_byte((unsigned char)text[i - 1])) continue;
        if (is_word_byte(last) && is_word_byte((unsigned char)text[i + n])) continue;
        best = n;
        *which = w;
    }
    return best;
}

static void mark_colour(char *out, size_t n, double w, double maxw) {
    double a = maxw > 0 ? 0.15 + 0.6 * fabs(w) / maxw : 0.3;
    if (w >= 0) snprintf(out, n, "rgba(43,138,62,%.2f)", a);
    else snprintf(out, n, "rgba(217,72,15,%.2f)", a);
}

static void highlighted_text(FILE *f, const char *raw, const TmlReportExplanation *e, double maxw) {
    char *text = tml_report_clean_text(raw, 4000);
    if (!text) return;
    size_t n = strlen(text), i = 0;
    char piece[8];
    while (i < n) {
        int w = -1;
        size_t len = match_word(text, i, e, &w);
        if (len > 0) {
            char col[48], tmp[4096];
            mark_colour(col, sizeof col, e->weights[w], maxw);
            fprintf(f, "<mark style=\"background-color:%s\" title=\"weight %+.4f\">", col, e->weights[w]);
            size_t take = len < sizeof tmp - 1 ? len : sizeof tmp - 1;
            memcpy(tmp, text + i, take);
            tmp[take] = 0;
            tml_report_put_html(f, tmp);
            fputs("</mark>", f);
            i += len;
            continue;
        }
        size_t k = 1; /* copy one whole UTF-8 character */
        while (i + k < n && ((unsigned char)text[i + k] & 0xC0) == 0x80 && k < 4) k++;
        memcpy(piece, text + i, k);
        piece[k] = 0;
        tml_report_put_html(f, piece);
        i += k;
    }
    free(text);
}

/* Diverging bars of the words' weights: right (green) supports the label, left (red) opposes. */
static void weight_bars(FILE *f, const TmlReportExplanation *e, double maxw) {
    int n = e->n_words;
    double row = 18, lw = 120, half = 170, top = 6;
    /* the label column is as wide as the longest word or rule (LIME rules run long) */
    for (int k = 0; k < n; k++) lw = fmax(lw, tml_svg_text_width(e->words[k], 12, WORD_MAX) + 16);
    int W = (int)(lw + 2 * half + 80), H = (int)(top + n * row + 8);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
               "font-family=\"system-ui, sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"weights\">\n",
            W, H, W, H);
    double mid = lw + half;
    for (int k = 0; k < n; k++) {
        double w = e->weights[k], len = maxw > 0 ? half * fabs(w) / maxw : 0, y = top + k * row;
        char col[48];
        mark_colour(col, sizeof col, w, maxw);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", lw - 8, y + 13);
        tml_svg_put_cut(f, e->words[k], WORD_MAX);
        fputs("<title>", f);
        tml_report_put_html(f, e->words[k]);
        fputs("</title></text>\n", f);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", w >= 0 ? mid : mid - len,
                y + 3, len > 0.5 ? len : 0.5, row - 5, w >= 0 ? "#2b8a3e" : "#d9480f");
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#444\" font-size=\"11\">%+.4f</text>\n", lw + 2 * half + 6,
                y + 13, w);
    }
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n</svg>\n", mid, top, mid,
            top + n * row);
}

static void explanations(FILE *f, const TmlReportInput *in) {
    if (in->n_explanations <= 0) return;
    fputs("<section><h2>Explanations</h2><p class=\"note\">Words (for a table: attribute values) are coloured by "
          "their weight toward the explained label: <mark style=\"background-color:rgba(43,138,62,0.6)\">green supports it</mark>, <mark "
          "style=\"background-color:rgba(217,72,15,0.6)\">red speaks against it</mark>; stronger colour, larger "
          "weight.</p>\n",
          f);
    for (int i = 0; i < in->n_explanations; i++) {
        const TmlReportExplanation *e = &in->explanations[i];
        double maxw = 0;
        for (int k = 0; k < e->n_words; k++) maxw = fmax(maxw, fabs(e->weights[k]));
        fputs("<div class=\"expl\"><div>", f);
        if (e->row >= 0) fprintf(f, "<b>row %lld</b> &#183; ", (long long)e->row + 1);
        fputs("explained label <b>", f);
        tml_report_put_html(f, in->label_names[e->label]);
        fputs("</b>", f);
        if (isfinite(e->prob)) fprintf(f, " (model probability %.3f)", e->prob);
        if (in->labels && e->row >= 0 && e->row < in->n_rows && in->labels[e->row] >= 0) {
            fputs(" &#183; true label ", f);
            tml_report_put_html(f, in->label_names[in->labels[e->row]]);
        }
        fputs("</div>\n", f);
        const char *text = e->text ? e->text : tml_report_row_text(in, e->row);
        if (text) {
            fputs("<div class=\"t\">", f);
            highlighted_text(f, text, e, maxw);
            fputs("</div>\n", f);
        }
        if (e->n_words > 0) weight_bars(f, e, maxw);
        fputs("</div>\n", f);
    }
    fputs("</section>\n", f);
}

/* Tree models: each feature's share of the split gain as bars, largest first (top 20). */
static int importance(FILE *f, const TmlReportInput *in, TmlError *err) {
    if (!in->importance_kind || in->n_importance <= 0) return 0;
    int *ord = tml_report_importance_order(in);
    int n = in->n_importance < 20 ? in->n_importance : 20;
    const char **names = malloc(sizeof *names * (size_t)n);
    float *w = malloc(sizeof *w * (size_t)n);
    if (!ord || !names || !w) {
        free(ord), free(names), free(w);
        return tml_fail(err, "report.html: out of memory");
    }
    double maxw = 0;
    for (int i = 0; i < n; i++) {
        names[i] = in->importance_names[ord[i]];
        w[i] = (float)in->importance[ord[i]];
        maxw = fmax(maxw, fabs(w[i]));
    }
    if (!strncmp(in->importance_kind, "permutation", 11))
        fprintf(f, "<section><h2>Feature importance (%s)</h2><p class=\"note\">How much the metric falls when one "
                   "column is shuffled across the rows and the model scores them again (attributes and history "
                   "alike): near 0, the model does not lean on it.</p>\n",
                in->importance_kind);
    else
        fprintf(f, "<section><h2>Feature importance (%s)</h2><p class=\"note\">Each feature's share of the split %s "
                   "summed over all trees.</p>\n",
                in->importance_kind, in->importance_kind);
    TmlReportExplanation e = {.row = -1, .n_words = n, .words = names, .weights = w};
    weight_bars(f, &e, maxw);
    fputs("</section>\n", f);
    free(ord), free(names), free(w);
    return 0;
}

int tml_report_write_html(FILE *f, const TmlReportInput *in, TmlError *err) {
    if (tml_report_check_input(in, err)) return -1;
    const TmlMetrics *m = in->metrics;
    header(f, in);
    cards(f, m);
    summary(f, in);
    if (training(f, in)) return tml_fail(err, "report.html: out of memory");

    fputs("<section><h2>Confusion matrix</h2><p class=\"note\">Rows: true label; columns: predicted label; each cell "
          "shows its count. Colour: share of the true label's tickets (blue on the diagonal: right; red off it: "
          "confused). Classes are ordered so that classes confused with each other sit together; hover a cell for "
          "its share.</p>\n",
          f);
    tml_svg_heatmap(f, m->confusion, m->n_classes, in->label_names);
    fputs("</section>\n<section><h2>Per-class F1</h2>\n", f);
    tml_svg_class_bars(f, m->per_class, m->n_classes, in->label_names);
    per_class_table(f, in);
    fputs("</section>\n", f);
    if (curves(f, m)) return tml_fail(err, "report.html: out of memory");
    segments(f, in);
    global_explanation(f, in);
    confused_pairs(f, in);
    explanations(f, in);
    if (importance(f, in, err)) return -1;
    fputs("<p class=\"note\">Written by ticketml. This page loads nothing from the network.</p>\n</main></body></html>\n", f);
    return 0;
}
