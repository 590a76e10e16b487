/* report_md.c — report.md: the summary a CI log or a pull request shows: headline metrics, the
 * per-class table (worst F1 first, where attention goes) and the most confused pairs. */
#include <stdlib.h>

#include "eval/report_util.h"

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
    row(f, "accuracy", m->accuracy);
    fprintf(f, "| top-%d accuracy | %s |\n", m->options.top_k, tml_report_fmt(b1, m->top_k_accuracy, 4));
    row(f, "macro F1", m->macro.f1);
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
    const TmlCoverageTarget *t = &m->at_target;
    if (t->reached)
        fprintf(f, "| auto-handle at %s accuracy | confidence >= %s covers %s, %s left for a person |\n",
                tml_report_fmt(b1, t->target, 2), tml_report_fmt(b2, t->threshold, 4),
                tml_report_fmt(b3, t->coverage, 4), tml_report_fmt(b4, t->manual_share, 4));
    else
        fprintf(f, "| auto-handle at %s accuracy | not reachable at any confidence threshold |\n",
                tml_report_fmt(b1, t->target, 2));

    fputs("\n## Per class (worst F1 first)\n\n| label | precision | recall | F1 | support |\n|---|---|---|---|---|\n", f);
    ClassKey *order = malloc(sizeof *order * (size_t)C);
    if (!order) return tml_fail(err, "report.md: out of memory");
    for (int c = 0; c < C; c++) order[c] = (ClassKey){m->per_class[c].f1, c};
    qsort(order, (size_t)C, sizeof *order, by_f1);
    for (int i = 0; i < C; i++) {
        const TmlClassMetrics *k = &m->per_class[order[i].c];
        fputs("| ", f);
        tml_report_put_md(f, in->label_names[order[i].c]);
        fprintf(f, " | %s | %s | %s | %lld |\n", tml_report_fmt(b1, k->precision, 4), tml_report_fmt(b2, k->recall, 4),
                tml_report_fmt(b3, k->f1, 4), (long long)k->support);
    }
    free(order);

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
        fprintf(f, "\n## Feature importance (%s)\n\n| feature | share |\n|---|---|\n", in->importance_kind);
        for (int i = 0; i < in->n_importance && i < 20; i++) {
            fputs("| ", f);
            tml_report_put_md(f, in->importance_names[ord[i]]);
            fprintf(f, " | %s |\n", tml_report_fmt(b1, in->importance[ord[i]], 4));
        }
        free(ord);
    }
    return 0;
}
