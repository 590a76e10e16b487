/* cmd_eval.c — `ticketml eval MODEL.h5 DATA [--report DIR]`: score a labelled file with a model on
 * the backend, print the headline metrics, and write report.json / report.md / report.html with
 * LIME explanations of a sample of errors and correct predictions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "eval/explain_model.h"
#include "eval/metrics.h"
#include "eval/report.h"
#include "trainer/modelfile.h"
#include "trainer/score.h"

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
           "  --device D          auto | cpu | cuda\n"
           "  --quiet             print nothing but errors\n");
}

/* Picks up to n misclassified and n correct rows (as the metrics judge them), spread over the data,
 * and explains them. */
static int explain_sample(TmlLoadedModel *lm, const TmlDataset *ds, const float *probs, const TmlMetrics *mt, int n,
                          int samples, TmlReportExplanation **out, TmlLimeExplanation ***keep, TmlError *err) {
    int C = lm->model->spec.n_out, got = 0, want_err = n, want_ok = n;
    *out = calloc((size_t)(2 * n + 1), sizeof **out);
    *keep = calloc((size_t)(2 * n + 1), sizeof **keep);
    if (!*out || !*keep) return tml_fail(err, "out of memory");
    TmlLimeConfig lc;
    tml_lime_config_default(&lc);
    lc.num_samples = samples;
    int64_t stride = ds->n_rows / (4 * n + 1) + 1;
    for (int64_t r = 0; r < ds->n_rows && (want_err > 0 || want_ok > 0); r += stride) {
        if (ds->labels[r] < 0) continue;
        int pred = tml_metrics_predict(mt, probs + r * C); /* the report's rule (threshold for binary) */
        int ok = pred == ds->labels[r];
        if ((ok && want_ok <= 0) || (!ok && want_err <= 0)) continue;
        TmlLimeExplanation *e = NULL;
        lc.seed = (uint64_t)r;
        if (ds->kind == TML_DATA_TEXT) e = tml_explain_text(lm, ds->texts[r], &lc, pred, err);
        else e = tml_explain_row(lm, ds->dense + (size_t)r * ds->dim, &lc, pred, err);
        if (!e) return -1;
        const char **words = malloc((size_t)(e->n_features + 1) * sizeof(char *));
        float *weights = malloc((size_t)(e->n_features + 1) * sizeof(float));
        if (!words || !weights) {
            free(words);
            free(weights);
            tml_lime_explanation_free(e);
            return tml_fail(err, "out of memory");
        }
        for (int k = 0; k < e->n_features; k++) {
            words[k] = e->features[k].name;
            weights[k] = (float)e->features[k].weight;
        }
        (*out)[got] = (TmlReportExplanation){.row = r, .label = pred, .prob = e->model_prob, .text = NULL,
                                             .n_words = e->n_features, .words = words, .weights = weights};
        (*keep)[got] = e;
        got++;
        if (ok) want_ok--;
        else want_err--;
    }
    return got;
}

int cmd_eval(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage();
        return 0;
    }
    const char *report = NULL, *tickets = NULL, *device = NULL, *explain_s = "3", *samples_s = "2000", *topk_s = NULL,
               *thr_s = NULL, *target_s = NULL, *pos[2];
    int n_pos = 0, quiet = 0;
    CliOpt opts[] = {
        {"--report", &report, NULL, NULL, NULL, 0},     {"--tickets", &tickets, NULL, NULL, NULL, 0},
        {"--device", &device, NULL, NULL, NULL, 0},     {"--explain", &explain_s, NULL, NULL, NULL, 0},
        {"--samples", &samples_s, NULL, NULL, NULL, 0}, {"--top-k", &topk_s, NULL, NULL, NULL, 0},
        {"--threshold", &thr_s, NULL, NULL, NULL, 0},   {"--target-accuracy", &target_s, NULL, NULL, NULL, 0},
        {"--quiet", NULL, &quiet, NULL, NULL, 0},
    };
    if (cli_parse("eval", argc, argv, opts, 9, pos, 2, &n_pos) < 0) return 2;
    if (n_pos != 2) {
        fprintf(stderr, "ticketml eval: needs MODEL.h5 and DATA (see --help)\n");
        return 2;
    }
    TmlMetricsOptions mo;
    tml_metrics_options_default(&mo);
    char *end;
    int n_explain = (int)strtol(explain_s, &end, 10);
    int samples = (int)strtol(samples_s, &end, 10);
    if (topk_s) mo.top_k = (int)strtol(topk_s, &end, 10);
    if (thr_s) mo.threshold = strtod(thr_s, &end);
    if (target_s) mo.target_accuracy = strtod(target_s, &end);
    if (n_explain < 0 || samples < 10 || mo.top_k < 1 || !(mo.threshold > 0 && mo.threshold < 1) ||
        !(mo.target_accuracy > 0 && mo.target_accuracy <= 1)) {
        fprintf(stderr, "ticketml eval: --explain >= 0, --samples >= 10, --top-k >= 1, 0 < --threshold < 1, "
                        "0 < --target-accuracy <= 1\n");
        return 2;
    }
    int rc = 1;
    TmlError err;
    TmlBackend *be = cli_open_backend("eval", device, NULL, quiet);
    TmlLoadedModel *lm = NULL;
    TmlDataset *ds = NULL;
    float *probs = NULL;
    TmlMetrics *mt = NULL;
    TmlReportExplanation *ex = NULL;
    TmlLimeExplanation **keep = NULL;
    int n_ex = 0;
    char *tk = NULL, *data_fp = NULL, *model_fp = NULL;
    if (!be) return 1;
    if (!(lm = tml_modelfile_load(pos[0], be, 0, &err))) {
        fprintf(stderr, "ticketml eval: %s\n", err.msg);
        rc = 2;
        goto done;
    }
    TmlFeatures *f = lm->features;
    tk = cli_tickets_path(lm, tickets);
    if (!(ds = tml_features_transform_file(f, pos[1], tk, &err))) {
        fprintf(stderr, "ticketml eval: %s\n", err.msg);
        rc = 2;
        goto done;
    }
    int64_t unknown = 0;
    for (int64_t i = 0; i < ds->n_rows; i++) unknown += ds->labels[i] < 0;
    if (unknown == ds->n_rows) {
        fprintf(stderr, "ticketml eval: %s: none of its %lld labels is known to the model (first: '%s'); is this the "
                        "right model for this data?\n",
                pos[1], (long long)ds->n_rows, ds->raw_labels && ds->n_rows ? ds->raw_labels[0] : "");
        rc = 2;
        goto done;
    }
    if (unknown && !quiet) {
        int64_t first = 0;
        while (ds->labels[first] >= 0) first++;
        fprintf(stderr, "ticketml eval: warning: %lld row(s) have labels the model does not know (e.g. '%s' at line %lld); "
                        "they are excluded from the metrics and counted in the report\n",
                (long long)unknown, ds->raw_labels ? ds->raw_labels[first] : "?", (long long)ds->lines[first]);
    }
    int C = lm->model->spec.n_out;
    if (!(probs = tml_score_dataset(lm->model, ds, 4096, &err)) ||
        !(mt = tml_metrics_compute(probs, ds->labels, ds->n_rows, C, f->positive, &mo, &err))) {
        fprintf(stderr, "ticketml eval: %s\n", err.msg);
        goto done;
    }
    if (!quiet) {
        printf("%s on %s: accuracy %.4f  macro-F1 %.4f  weighted-F1 %.4f", pos[0], pos[1], mt->accuracy, mt->macro.f1,
               mt->weighted.f1);
        if (mt->is_binary) printf("  ROC-AUC %.4f  PR-AUC %.4f", mt->binary.roc_auc, mt->binary.pr_auc);
        printf("  log-loss %.4f  ECE %.4f  (%lld rows)\n", mt->log_loss, mt->ece, (long long)mt->n_evaluated);
    }
    if (report) {
        data_fp = tml_file_fingerprint(pos[1]);
        model_fp = tml_file_fingerprint(pos[0]);
        if (n_explain > 0) {
            n_ex = explain_sample(lm, ds, probs, mt, n_explain, samples, &ex, &keep, &err);
            if (n_ex < 0) {
                fprintf(stderr, "ticketml eval: explanations: %s\n", err.msg);
                n_ex = 0;
                goto done;
            }
        }
        TmlReportInput in = {
            .metrics = mt, .label_names = (const char *const *)f->labels->names, .title = NULL,
            .model_path = pos[0], .model_kind = lm->task, .model_fingerprint = model_fp,
            .data_path = pos[1], .data_fingerprint = data_fp, .data_rows = ds->n_rows,
            .n_rows = ds->n_rows, .probs = probs, .labels = ds->labels,
            .texts = (const char *const *)ds->texts, .examples_per_pair = 3,
            .n_explanations = n_ex, .explanations = ex,
        };
        if (tml_report_write(report, &in, &err) < 0) {
            fprintf(stderr, "ticketml eval: %s\n", err.msg);
            goto done;
        }
        if (!quiet) printf("report written to %s/report.{json,md,html}\n", report);
    }
    rc = 0;
done:
    for (int i = 0; i < n_ex; i++) {
        free((void *)ex[i].words);
        free((void *)ex[i].weights);
        tml_lime_explanation_free(keep[i]);
    }
    free(ex);
    free(keep);
    free(tk);
    free(data_fp);
    free(model_fp);
    tml_metrics_free(mt);
    free(probs);
    tml_dataset_free(ds);
    tml_loaded_model_free(lm);
    tml_backend_free(be);
    return rc;
}
