/* cmd_explain.c — `ticketml explain MODEL.h5 (--text "..." | DATA --rows A-B)`: LIME explanations
 * of single predictions (eval/explain_model.h), printed as readable lines or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "eval/explain_model.h"

static void usage(void) {
    printf("usage: ticketml explain MODEL.h5 (--text \"...\" | DATA --rows A-B) [options]\n\n"
           "Explains predictions LIME-style: which words (text models) or attribute ranges (churn)\n"
           "pushed the model toward a label, with signed weights.\n\n"
           "  --text T            explain the prediction for this text\n"
           "  --rows A-B          explain rows A..B (1-based, inclusive) of DATA\n"
           "  --label L           explain label L (name) instead of the predicted one\n"
           "  --samples N         perturbed samples (default 5000)\n"
           "  --features K        features in each explanation (default 10)\n"
           "  --kernel-width W    kernel width (default: 25 for text, 0.75*sqrt(columns) for tabular)\n"
           "  --seed S            seed (default 0): the same call gives the same answer\n"
           "  --tickets FILE      tickets file for churn history features (default: the model's config)\n"
           "  --json              one JSON object per explanation\n"
           "  --device D          auto | cpu | cuda\n");
}

/* TmlExplainEmit: one explanation as lines, or as one JSON object when *(int *)ctx. */
static void print_explanation(void *ctx, const TmlLoadedModel *lm, const TmlLimeExplanation *e, const char *what) {
    int as_json = *(const int *)ctx;
    const char *label = lm->features->labels->names[e->label];
    if (as_json) {
        json_t *o = json_object(), *fs = json_array();
        json_object_set_new(o, "input", json_string(what));
        json_object_set_new(o, "label", json_string(label));
        json_object_set_new(o, "probability", json_real(e->model_prob));
        json_object_set_new(o, "intercept", json_real(e->intercept));
        json_object_set_new(o, "local_prediction", json_real(e->local_pred));
        json_object_set_new(o, "r2", json_real(e->score));
        json_object_set_new(o, "samples", json_integer(e->num_samples));
        for (int k = 0; k < e->n_features; k++) {
            json_t *f = json_object();
            json_object_set_new(f, "feature", json_string(e->features[k].name));
            json_object_set_new(f, "weight", json_real(e->features[k].weight));
            json_array_append_new(fs, f);
        }
        json_object_set_new(o, "features", fs);
        if (e->n_shap > 0) {
            json_t *sh = json_object(), *sf = json_array();
            json_object_set_new(sh, "expected_score", json_real(e->shap_base));
            for (int k = 0; k < e->n_shap; k++) {
                json_t *f = json_object();
                json_object_set_new(f, "feature", json_string(e->shap[k].name));
                json_object_set_new(f, "contribution", json_real(e->shap[k].weight));
                json_array_append_new(sf, f);
            }
            json_object_set_new(sh, "features", sf);
            json_object_set_new(o, "tree_shap", sh);
        }
        char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (s) puts(s);
        free(s);
        json_decref(o);
        return;
    }
    printf("%s\n  -> %s (p=%.3f); local fit: intercept %.3f, prediction %.3f, R^2 %.3f, %d samples\n", what, label,
           e->model_prob, e->intercept, e->local_pred, e->score, e->num_samples);
    for (int k = 0; k < e->n_features; k++) printf("  %+8.4f  %s\n", e->features[k].weight, e->features[k].name);
    if (e->n_shap > 0) {
        printf("  TreeSHAP (exact contributions to the %s score; expected score %.4f):\n",
               lm->features->labels->n == 2 ? "log-odds" : "softmax", e->shap_base);
        for (int k = 0; k < e->n_shap; k++) printf("  %+8.4f  %s\n", e->shap[k].weight, e->shap[k].name);
    }
}

int cmd_explain(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage();
        return 0;
    }
    const char *rows = NULL, *samples_s = "5000", *features_s = "10", *width_s = NULL, *seed_s = "0", *pos[2];
    int n_pos = 0, as_json = 0;
    TmlExplainRequest rq = {0};
    CliOpt opts[] = {
        {"--text", &rq.text, NULL, NULL, NULL, 0},          {"--rows", &rows, NULL, NULL, NULL, 0},
        {"--label", &rq.label, NULL, NULL, NULL, 0},        {"--samples", &samples_s, NULL, NULL, NULL, 0},
        {"--features", &features_s, NULL, NULL, NULL, 0},   {"--kernel-width", &width_s, NULL, NULL, NULL, 0},
        {"--seed", &seed_s, NULL, NULL, NULL, 0},           {"--tickets", &rq.tickets, NULL, NULL, NULL, 0},
        {"--device", &rq.device, NULL, NULL, NULL, 0},      {"--json", NULL, &as_json, NULL, NULL, 0},
    };
    if (cli_parse("explain", argc, argv, opts, 10, pos, 2, &n_pos) < 0) return 2;
    if (n_pos < 1 || (!rq.text && (n_pos != 2 || !rows)) || (rq.text && n_pos != 1)) {
        fprintf(stderr, "ticketml explain: needs MODEL.h5 and either --text \"...\" or DATA --rows A-B (see --help)\n");
        return 2;
    }
    TmlLimeConfig *lc = &rq.lime;
    tml_lime_config_default(lc);
    char *end;
    lc->num_samples = (int)strtol(samples_s, &end, 10);
    lc->num_features = (int)strtol(features_s, &end, 10);
    lc->seed = strtoull(seed_s, &end, 10);
    if (width_s) lc->kernel_width = strtod(width_s, &end);
    long a = 1, b = 1;
    if (rows && (sscanf(rows, "%ld-%ld", &a, &b) < 1 || a < 1 || (b = b < a ? a : b) < a)) {
        fprintf(stderr, "ticketml explain: --rows takes A-B with 1 <= A <= B, e.g. --rows 1-20\n");
        return 2;
    }
    if (rows && !strchr(rows, '-')) b = a;
    if (lc->num_samples < 10 || lc->num_features < 1) {
        fprintf(stderr, "ticketml explain: --samples must be >= 10 and --features >= 1\n");
        return 2;
    }
    rq.model_path = pos[0];
    rq.data_path = n_pos == 2 ? pos[1] : NULL;
    rq.first_row = a;
    rq.last_row = b;
    TmlError err;
    int rc = tml_explain_run(&rq, print_explanation, &as_json, &err);
    if (rc != 0) fprintf(stderr, "ticketml explain: %s\n", err.msg);
    return rc;
}
