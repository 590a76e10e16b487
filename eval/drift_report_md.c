/* drift_report_md.c — the drift report as Markdown, for CI logs and pull requests: the verdict and
 * the limits passed first, then each part with its largest movements. */
#include <math.h>
#include <stdlib.h>

#include "data/date.h"
#include "eval/drift.h"
#include "eval/report_util.h"

static const char *f4(char *b, double v) { return tml_report_fmt(b, v, 4); }

static const char *pc(char *b, double v) {
    if (!isfinite(v)) snprintf(b, 32, "n/a");
    else snprintf(b, 32, "%.2f%%", 100 * v);
    return b;
}

/* Class indices ordered by |PSI term|, largest first. */
static int *class_order(const TmlDriftResult *r) {
    int *o = malloc(sizeof *o * (size_t)r->C);
    if (!o) return NULL;
    for (int i = 0; i < r->C; i++) o[i] = i;
    for (int i = 1; i < r->C; i++) /* insertion sort: C is small */
        for (int j = i; j > 0 && fabs(r->classes[o[j]].psi_term) > fabs(r->classes[o[j - 1]].psi_term); j--) {
            int t = o[j];
            o[j] = o[j - 1];
            o[j - 1] = t;
        }
    return o;
}

static void numeric_line(FILE *f, const char *what, const TmlDriftNumeric *d) {
    char a[32], b[32], c[32], e[32], g[32], h[32];
    fprintf(f, "| %s | %s | %s | %s | %s | %s | %s |\n", what, f4(a, d->ref_mean), f4(b, d->cur_mean), f4(c, d->psi),
            f4(e, d->ks), tml_report_fmt(g, d->ks_p, 6), f4(h, d->wasserstein));
}

int tml_drift_write_md(FILE *f, const TmlDriftResult *r, TmlError *err) {
    char a[32], b[32], c[32], d[32];
    int *order = class_order(r);
    if (!order) return tml_fail(err, "report.md: out of memory");
    fputs("# ticketml drift report\n\n", f);
    if (r->n_failed) {
        fprintf(f, "**DRIFT: %d limit(s) passed.**\n\n", r->n_failed);
        for (int i = 0; i < r->n_checks; i++) {
            const TmlDriftCheck *k = &r->checks[i];
            if (!k->failed) continue;
            fprintf(f, "- `%s` = %s %s %s: ", k->name, f4(a, k->value), k->upper ? ">" : "<", f4(b, k->limit));
            tml_report_put_md(f, k->what);
            fputc('\n', f);
        }
        fputc('\n', f);
    } else {
        fprintf(f, "**No drift past the limits** (%d checks).\n\n", r->n_checks);
    }
    fputs("| | reference | current |\n|---|---|---|\n| file | ", f);
    tml_report_put_md(f, r->ref.path);
    fputs(" | ", f);
    tml_report_put_md(f, r->cur.path);
    fprintf(f, " |\n| rows | %lld | %lld |\n| rows whose model outputs are compared | %lld | %lld |\n"
               "| labelled rows among those | %lld | %lld |\n",
            (long long)r->ref.rows, (long long)r->cur.rows, (long long)r->ref_model_rows, (long long)r->cur.rows,
            (long long)r->ref.labelled, (long long)r->cur.labelled);
    fprintf(f, "| accuracy | %s | %s |\n| mean confidence | %s | %s |\n", f4(a, r->ref.accuracy), f4(b, r->cur.accuracy),
            f4(c, r->ref.mean_conf), f4(d, r->cur.mean_conf));
    fprintf(f, "| share below the auto-handle threshold (%.4f) | %s | %s |\n", r->auto_threshold,
            pc(a, r->ref.manual_share), pc(b, r->cur.manual_share));
    if (r->text)
        fprintf(f, "| unseen-token share | %s | %s |\n| tokens not in the model's vocabulary | %s | %s |\n",
                pc(a, r->ref.oov_share), pc(b, r->cur.oov_share), pc(c, r->ref.model_oov_share),
                pc(d, r->cur.model_oov_share));
    fputs("\nModel: ", f);
    tml_report_put_md(f, r->model_path);
    fprintf(f, " (%s, %s, %d classes).\n\n", r->task, r->arch, r->C);

    fputs("## Checks\n\n| check | value | limit | p-value | result |\n|---|---|---|---|---|\n", f);
    for (int i = 0; i < r->n_checks; i++) {
        const TmlDriftCheck *k = &r->checks[i];
        int past = isfinite(k->value) && (k->upper ? k->value > k->limit : k->value < k->limit);
        fprintf(f, "| `%s` | %s | %s %s | %s | %s |\n", k->name, f4(a, k->value), k->upper ? "<=" : ">=",
                f4(b, k->limit), tml_report_fmt(c, k->p_value, 6),
                k->failed ? "**DRIFT**" : past ? "ok (within sampling noise)" : "ok");
    }

    fprintf(f, "\n## Prediction drift\n\nPSI %s, Jensen-Shannon distance %s. Classes by how much they moved:\n\n",
            f4(a, r->pred_psi), f4(b, r->pred_js));
    fputs("| predicted class | reference share | current share | PSI term |\n|---|---|---|---|\n", f);
    for (int i = 0; i < r->C && i < 20; i++) {
        const TmlDriftClass *k = &r->classes[order[i]];
        fputs("| ", f);
        tml_report_put_md(f, r->labels[order[i]]);
        fprintf(f, " | %s | %s | %s |\n", pc(a, k->ref_share), pc(b, k->cur_share), f4(c, k->psi_term));
    }
    fputs("\n## Confidence drift\n\n", f);
    fprintf(f, "Auto-handle threshold %.4f (", r->auto_threshold);
    tml_report_put_md(f, r->auto_threshold_source);
    fputs(").\n\n| distribution | reference mean | current mean | PSI | KS D | KS p-value | Wasserstein (normed) |\n"
          "|---|---|---|---|---|---|---|\n", f);
    numeric_line(f, "top probability", &r->confidence);
    if (r->is_binary) numeric_line(f, "positive-class probability", &r->score);

    fputs("\n## Input drift\n\n", f);
    if (r->text) {
        fputs("| distribution | reference mean | current mean | PSI | KS D | KS p-value | Wasserstein (normed) |\n"
              "|---|---|---|---|---|---|---|\n", f);
        numeric_line(f, "tokens per ticket", &r->length);
        fprintf(f, "\nScript mix (PSI %s; tickets with CJK: %s -> %s):\n\n| script | reference | current |\n|---|---|---|\n",
                f4(a, r->script_psi), pc(b, r->ref_cjk_share), pc(c, r->cur_cjk_share));
        for (int k = 0; k < r->n_scripts; k++)
            fprintf(f, "| %s | %s | %s |\n", r->script_names[k], pc(a, r->script_ref[k]), pc(b, r->script_cur[k]));
        fputs("\nWords and word pairs that moved most (share of tickets containing them):\n\n"
              "| feature | reference | current | score | example ticket |\n|---|---|---|---|---|\n", f);
        for (int i = 0; i < r->n_features; i++) {
            const TmlDriftFeature *e = &r->features[i];
            fputs("| ", f);
            tml_report_put_md(f, e->text);
            fprintf(f, "%s | %s | %s | %s | (%s row %lld) ", e->unseen ? " (new)" : "", pc(a, e->ref_share),
                    pc(b, e->cur_share), f4(c, e->score), e->example_side ? "current" : "reference",
                    (long long)e->example_row + 1);
            char *cut = tml_report_clean_text(e->example, 200);
            tml_report_put_md(f, cut ? cut : "");
            free(cut);
            fputs(" |\n", f);
        }
    } else {
        fputs("| column | kind | PSI | JS | KS p-value | Wasserstein (normed) | reference mean | current mean |\n"
              "|---|---|---|---|---|---|---|---|\n", f);
        for (int i = 0; i < r->n_columns; i++) {
            const TmlDriftColumn *col = &r->columns[i];
            char e[32], g[32], h[32], k[32];
            fputs("| ", f);
            tml_report_put_md(f, col->name);
            fprintf(f, " | %s | %s | %s | %s | %s | %s | %s |\n", col->kind, f4(a, col->psi), f4(b, col->js),
                    col->cats ? "" : tml_report_fmt(c, col->num.ks_p, 6), col->cats ? "" : f4(e, col->num.wasserstein),
                    col->cats ? "" : f4(g, col->num.ref_mean), col->cats ? "" : f4(h, col->num.cur_mean));
            (void)k;
        }
    }
    if (r->has_labels) {
        fprintf(f, "\n## Labels\n\nAccuracy %s -> %s; label shares PSI %s, JS %s.%s\n\n", f4(a, r->ref.accuracy),
                f4(b, r->cur.accuracy), f4(c, r->label_psi), f4(d, r->label_js),
                r->ref_in_sample ? " The reference is the model's training file with nothing held out: its accuracy "
                                   "is in-sample, so the accuracy-drop check is left out."
                                 : "");
        fputs("| class | label share ref | label share cur | recall ref | recall cur | F1 ref | F1 cur |\n"
              "|---|---|---|---|---|---|---|\n", f);
        for (int i = 0; i < r->C && i < 20; i++) {
            const TmlDriftClass *k = &r->classes[order[i]];
            char e[32], g[32];
            fputs("| ", f);
            tml_report_put_md(f, r->labels[order[i]]);
            fprintf(f, " | %s | %s | %s | %s | %s | %s |\n", pc(a, k->ref_label_share), pc(b, k->cur_label_share),
                    f4(c, k->ref_recall), f4(d, k->cur_recall), f4(e, k->ref_f1), f4(g, k->cur_f1));
        }
    }
    if (r->time_col) {
        fputs("\n## Over time (", f);
        tml_report_put_md(f, r->time_col);
        fprintf(f, ", per %s)\n\n| side | %s | rows | prediction PSI | mean confidence | below threshold | unseen tokens | "
                   "accuracy |\n|---|---|---|---|---|---|---|---|\n",
                r->period, r->period);
        for (int i = 0; i < r->n_periods; i++) {
            const TmlDriftPeriod *p = &r->periods[i];
            int y, m, dd;
            tml_date_to_civil(p->start_day, &y, &m, &dd);
            char e[32], g[32];
            fprintf(f, "| %s | %04d-%02d-%02d | %lld | %s | %s | %s | %s | %s |\n", p->side ? "current" : "reference", y,
                    m, dd, (long long)p->rows, f4(a, p->pred_psi), f4(b, p->mean_conf), pc(c, p->manual_share),
                    pc(e, p->oov_share), f4(g, p->accuracy));
        }
    }
    free(order);
    return ferror(f) ? tml_fail(err, "report.md: write failed") : 0;
}
