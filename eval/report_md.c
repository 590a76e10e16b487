/* report_md.c — report.md: the summary a CI log or a pull request shows: headline metrics, the
 * per-class table (worst F1 first, where attention goes) and the most confused pairs. */
#include <math.h>
#include <stdlib.h>

#include "eval/report_util.h"
#include "eval/segments.h"
#include "eval/global_explain.h"

static void row(FILE *f, const char *name, double v) {
    char b[32];
    fprintf(f, "| %s | %s |\n", name, tml_report_fmt(b, v, 4));
}

typedef struct {
    double f1;
    int c;
} ClassKey;

/* Class order for the table: F1 ascending, then class index. */
static int by_f1(const void *a, const void *b) {
    const ClassKey *x = a, *y = b;
    if (x->f1 != y->f1) return x->f1 < y->f1 ? -1 : 1;
    return x->c - y->c;
}

int tml_report_write_md(FILE *f, const TmlReportInput *in, TmlError *err) {
    if (tml_report_check_input(in, err)) return -1;
    const TmlMetrics *m = in->metrics;
    int C = m->n_classes;
    char b1[32], b2[32], b3[32], b4[32];

    fputs("# ", f);
    tml_report_put_md(f, in->title ? in->title : "ticketml evaluation");
    fputs("\n\n", f);
    fputs("| | |\n|---|---|\n", f);
    fputs("| model | ", f);
    tml_report_put_md(f, in->model_path ? in->model_path : "(not given)");
    if (in->model_kind) {
        fputs(" (", f);
        tml_report_put_md(f, in->model_kind);
        fputs(")", f);
    }
    fputs(" |\n| data | ", f);
    tml_report_put_md(f, in->data_path ? in->data_path : "(not given)");
    fprintf(f, " |\n| rows | %lld evaluated, %lld with a label unknown to the model (excluded) |\n",
            (long long)m->n_evaluated, (long long)m->n_unknown);
    fprintf(f, "| task | %s, %d classes |\n\n", m->is_binary ? "binary" : "multiclass", C);

    fputs("## Summary\n\n| metric | value |\n|---|---|\n", f);
    fprintf(f, "| accuracy | %s (95%% CI %s-%s) |\n", tml_report_fmt(b1, m->accuracy, 4),
            tml_report_fmt(b2, m->accuracy_ci.lo, 4), tml_report_fmt(b3, m->accuracy_ci.hi, 4));
    fprintf(f, "| top-%d accuracy | %s |\n", m->options.top_k, tml_report_fmt(b1, m->top_k_accuracy, 4));
    fprintf(f, "| macro F1 | %s (95%% CI %s-%s) |\n", tml_report_fmt(b1, m->macro.f1, 4),
            tml_report_fmt(b2, m->macro_f1_ci.lo, 4), tml_report_fmt(b3, m->macro_f1_ci.hi, 4));
    row(f, "weighted F1", m->weighted.f1);
    row(f, "micro F1", m->micro.f1);
    row(f, "log loss", m->log_loss);
    row(f, "Brier score", m->brier);
    row(f, "ECE", m->ece);
    if (m->is_binary) {
        const TmlBinaryMetrics *b = &m->binary;
        row(f, "ROC-AUC", b->roc_auc);
        row(f, "PR-AUC (average precision)", b->pr_auc);
        fprintf(f, "| best F1 | %s at threshold %s |\n", tml_report_fmt(b1, b->best_f1, 4),
                tml_report_fmt(b2, b->best_f1_threshold, 4));
        fprintf(f, "| riskiest 10%% | %s of positives, lift %s |\n", tml_report_fmt(b1, b->capture_top10, 4),
                tml_report_fmt(b2, b->lift_top10, 2));
        fprintf(f, "| at threshold %s | TP %lld, FP %lld, TN %lld, FN %lld |\n", tml_report_fmt(b1, b->threshold, 2),
                (long long)b->tp, (long long)b->fp, (long long)b->tn, (long long)b->fn);
    }
    fputs("| baseline: always \"", f);
    tml_report_put_md(f, in->label_names[m->baseline.majority]);
    fprintf(f, "\" | accuracy %s, macro F1 %s |\n", tml_report_fmt(b1, m->baseline.majority_accuracy, 4),
            tml_report_fmt(b2, m->baseline.majority_macro_f1, 4));
    fprintf(f, "| baseline: guess by class shares | accuracy %s, macro F1 %s |\n",
            tml_report_fmt(b1, m->baseline.prior_accuracy, 4), tml_report_fmt(b2, m->baseline.prior_macro_f1, 4));
    const TmlCoverageTarget *t = &m->at_target;
    if (t->reached)
        fprintf(f, "| auto-handle at %s accuracy | confidence >= %s covers %s, %s left for a person |\n",
                tml_report_fmt(b1, t->target, 2), tml_report_fmt(b2, t->threshold, 4),
                tml_report_fmt(b3, t->coverage, 4), tml_report_fmt(b4, t->manual_share, 4));
    else
        fprintf(f, "| auto-handle at %s accuracy | not reachable at any confidence threshold |\n",
                tml_report_fmt(b1, t->target, 2));

    if (in->train_metrics || in->valid_metrics) {
        const TmlMetrics *ms[3] = {in->train_metrics, in->valid_metrics, m};
        fputs("\n## Train, held out, this data\n\n| | rows trained on | rows held out in training | this data |\n"
              "|---|---|---|---|\n", f);
        const char *nm[3] = {"accuracy", "macro F1", "log loss"};
        for (int k = 0; k < 3; k++) {
            fprintf(f, "| %s |", nm[k]);
            for (int j = 0; j < 3; j++) {
                double v = !ms[j] ? NAN : k == 0 ? ms[j]->accuracy : k == 1 ? ms[j]->macro.f1 : ms[j]->log_loss;
                fprintf(f, " %s |", tml_report_fmt(b1, v, 4));
            }
            fputc('\n', f);
        }
    }

    fputs("\n## Per class (worst F1 first)\n\n| label | precision | recall | F1 | F1 95% CI | support |\n"
          "|---|---|---|---|---|---|\n", f);
    ClassKey *order = malloc(sizeof *order * (size_t)C);
    if (!order) return tml_fail(err, "report.md: out of memory");
    for (int c = 0; c < C; c++) order[c] = (ClassKey){m->per_class[c].f1, c};
    qsort(order, (size_t)C, sizeof *order, by_f1);
    for (int i = 0; i < C; i++) {
        const TmlClassMetrics *k = &m->per_class[order[i].c];
        fputs("| ", f);
        tml_report_put_md(f, in->label_names[order[i].c]);
        fprintf(f, " | %s | %s | %s | %s-", tml_report_fmt(b1, k->precision, 4), tml_report_fmt(b2, k->recall, 4),
                tml_report_fmt(b3, k->f1, 4), tml_report_fmt(b4, m->f1_ci[order[i].c].lo, 3));
        fprintf(f, "%s | %lld |\n", tml_report_fmt(b1, m->f1_ci[order[i].c].hi, 3), (long long)k->support);
    }
    free(order);

    if (in->segments && in->segments->n) {
        fputs("\n## Per segment\n\n| column | value | rows | accuracy (95% CI) | macro F1 (95% CI) |\n"
              "|---|---|---|---|---|\n", f);
        for (int i = 0; i < in->segments->n; i++) {
            const TmlSegment *g = &in->segments->s[i];
            const TmlMetrics *sm = g->metrics;
            fputs("| ", f);
            tml_report_put_md(f, g->column);
            fputs(" | ", f);
            tml_report_put_md(f, g->value);
            fprintf(f, " | %lld | ", (long long)g->rows);
            if (sm)
                fprintf(f, "%s (%s-%s) | ", tml_report_fmt(b1, sm->accuracy, 4), tml_report_fmt(b2, sm->accuracy_ci.lo, 3),
                        tml_report_fmt(b3, sm->accuracy_ci.hi, 3));
            else
                fputs("no labels | ", f);
            if (sm)
                fprintf(f, "%s (%s-%s) |\n", tml_report_fmt(b1, sm->macro.f1, 4), tml_report_fmt(b2, sm->macro_f1_ci.lo, 3),
                        tml_report_fmt(b3, sm->macro_f1_ci.hi, 3));
            else
                fputs(" |\n", f);
        }
    }

    if (in->global) {
        const TmlGlobalExplanation *g = in->global;
        fputs("\n## What the model learned: the words that push it most toward each class\n\n"
              "| class | words and word pairs (log-probability gain over an empty ticket) |\n|---|---|\n", f);
        for (int c = 0; c < g->C; c++) {
            fputs("| ", f);
            tml_report_put_md(f, in->label_names[c]);
            fputs(" | ", f);
            for (int i = 0; i < g->n[c]; i++) {
                if (i) fputs(", ", f);
                tml_report_put_md(f, g->words[(size_t)c * g->k + i]);
                fprintf(f, " (%.2f)", g->scores[(size_t)c * g->k + i]);
            }
            fputs(" |\n", f);
        }
    }

    fputs("\n## Most confused pairs\n\n", f);
    if (m->n_pairs == 0) fputs("No confusions: every evaluated row was predicted correctly.\n", f);
    else fputs("| true label | predicted | count | share of true label |\n|---|---|---|---|\n", f);
    for (int i = 0; i < m->n_pairs; i++) {
        const TmlConfusedPair *p = &m->pairs[i];
        fputs("| ", f);
        tml_report_put_md(f, in->label_names[p->truth]);
        fputs(" | ", f);
        tml_report_put_md(f, in->label_names[p->predicted]);
        fprintf(f, " | %lld | %s |\n", (long long)p->count, tml_report_fmt(b1, p->share, 3));
    }
    if (in->importance_kind && in->n_importance > 0) {
        int *ord = tml_report_importance_order(in);
        if (!ord) return tml_fail(err, "report.md: out of memory");
        fprintf(f, "\n## Feature importance (%s)\n\n| feature | importance |\n|---|---|\n", in->importance_kind);
        for (int i = 0; i < in->n_importance && i < 20; i++) {
            fputs("| ", f);
            tml_report_put_md(f, in->importance_names[ord[i]]);
            fprintf(f, " | %s |\n", tml_report_fmt(b1, in->importance[ord[i]], 4));
        }
        free(ord);
    }
    return 0;
}
