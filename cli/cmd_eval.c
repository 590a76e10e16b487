/* cmd_eval.c — `ticketml eval MODEL.h5 DATA [--report DIR]`: score a labelled file with a model on
 * the backend, print the headline metrics, and write report.json / report.md / report.html with
 * LIME explanations of a sample of errors and correct predictions (eval/evaluate.h). */
#include <stdio.h>
#include <stdlib.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "eval/evaluate.h"

static void usage(void) {
    printf("usage: ticketml eval MODEL.h5 DATA [options]\n\n"
           "Scores DATA (CSV or JSONL with the model's text/attribute and label columns) and prints\n"
           "accuracy, macro-F1, log loss (and ROC-AUC / PR-AUC for binary models).\n\n"
           "  --report DIR        write DIR/report.json, report.md and report.html\n"
           "  --tickets FILE      tickets file for churn history features (default: the model's config)\n"
           "  --explain N         explanations of N errors and N correct predictions in the HTML (default 3)\n"
           "  --samples N         LIME samples per explanation (default 2000)\n"
           "  --top-k K           top-k accuracy (default 5)\n"
           "  --threshold T       binary decision threshold (default 0.5)\n"
           "  --target-accuracy A coverage-accuracy target (default 0.95)\n"
           "  --segments COLS     metrics per value of these columns, e.g. lang,channel (default: the\n"
           "                      model's [eval] segments; text models add the script mix anyway)\n"
           "  --device D          auto | cpu | cuda\n"
           "  --quiet             print nothing but errors\n");
}

int cmd_eval(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage();
        return 0;
    }
    const char *explain_s = "3", *samples_s = "2000", *topk_s = NULL, *thr_s = NULL, *target_s = NULL, *pos[2];
    int n_pos = 0;
    TmlEvalRequest rq = {0};
    CliOpt opts[] = {
        {"--report", &rq.report_dir, NULL, NULL, NULL, 0}, {"--tickets", &rq.tickets, NULL, NULL, NULL, 0},
        {"--device", &rq.device, NULL, NULL, NULL, 0},     {"--explain", &explain_s, NULL, NULL, NULL, 0},
        {"--samples", &samples_s, NULL, NULL, NULL, 0},    {"--top-k", &topk_s, NULL, NULL, NULL, 0},
        {"--threshold", &thr_s, NULL, NULL, NULL, 0},      {"--target-accuracy", &target_s, NULL, NULL, NULL, 0},
        {"--quiet", NULL, &rq.quiet, NULL, NULL, 0},       {"--segments", &rq.segments, NULL, NULL, NULL, 0},
    };
    if (cli_parse("eval", argc, argv, opts, 10, pos, 2, &n_pos) < 0) return 2;
    if (n_pos != 2) {
        fprintf(stderr, "ticketml eval: needs MODEL.h5 and DATA (see --help)\n");
        return 2;
    }
    TmlMetricsOptions *mo = &rq.metrics;
    tml_metrics_options_default(mo);
    char *end;
    rq.n_explain = (int)strtol(explain_s, &end, 10);
    rq.samples = (int)strtol(samples_s, &end, 10);
    if (topk_s) mo->top_k = (int)strtol(topk_s, &end, 10);
    if (thr_s) mo->threshold = strtod(thr_s, &end);
    if (target_s) mo->target_accuracy = strtod(target_s, &end);
    if (rq.n_explain < 0 || rq.samples < 10 || mo->top_k < 1 || !(mo->threshold > 0 && mo->threshold < 1) ||
        !(mo->target_accuracy > 0 && mo->target_accuracy <= 1)) {
        fprintf(stderr, "ticketml eval: --explain >= 0, --samples >= 10, --top-k >= 1, 0 < --threshold < 1, "
                        "0 < --target-accuracy <= 1\n");
        return 2;
    }
    rq.model_path = pos[0];
    rq.data_path = pos[1];
    TmlError err;
    TmlMetrics *mt = NULL;
    int rc = tml_evaluate(&rq, &mt, &err);
    if (rc != 0) {
        fprintf(stderr, "ticketml eval: %s\n", err.msg);
        return rc;
    }
    if (!rq.quiet) {
        printf("%s on %s: accuracy %.4f  macro-F1 %.4f  weighted-F1 %.4f", pos[0], pos[1], mt->accuracy, mt->macro.f1,
               mt->weighted.f1);
        if (mt->is_binary) printf("  ROC-AUC %.4f  PR-AUC %.4f", mt->binary.roc_auc, mt->binary.pr_auc);
        printf("  log-loss %.4f  ECE %.4f  (%lld rows)\n", mt->log_loss, mt->ece, (long long)mt->n_evaluated);
        if (rq.report_dir) printf("report written to %s/report.{json,md,html}\n", rq.report_dir);
    }
    tml_metrics_free(mt);
    return 0;
}
