/* cmd_explain.c — `ticketml explain MODEL.h5 (--text "..." | DATA --rows A-B)`: LIME explanations
 * of single predictions (eval/explain_model.h), printed as readable lines or JSON. */
#include <math.h>
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
           "  --text T            explain the prediction for this text (- reads it from standard input)\n"
           "  --rows A-B          explain rows A..B (1-based, inclusive) of DATA\n"
           "  --label L           explain label L (name) instead of the predicted one\n"
           "  --samples N         perturbed samples (default 5000)\n"
           "  --features K        features in each explanation (default 10)\n"
           "  --max-words N       a longer text is explained on its first words up to N distinct ones\n"
           "                      (default 500; the time grows with the words x samples)\n"
           "  --kernel-width W    kernel width (default: 25 for text, 0.75*sqrt(columns) for tabular)\n"
           "  --seed S            seed (default 0): the same call gives the same answer\n"
           "  --tickets FILE      tickets file for churn history features (default: the model's config)\n"
           "  --json              one JSON object per explanation\n"
           "  --device D          auto | cpu | cuda\n");
}

/* A number, or null when it is not one (json_real refuses NaN, which dropped the key). */
static json_t *jnum(double v) { return isfinite(v) ? json_real(v) : json_null(); }

/* what, shown whole up to ECHO_MAX bytes, else its beginning (cut on a UTF-8 boundary) and its size:
 * a 1 MB text is not echoed back. *cut gets the bytes left out. Caller frees. */
enum { ECHO_MAX = 300 };
static char *shown(const char *what, size_t *cut) {
    size_t n = strlen(what), k = n;
    *cut = 0;
    if (n > ECHO_MAX) {
        k = ECHO_MAX;
        while (k > 0 && ((unsigned char)what[k] & 0xC0) == 0x80) k--;
        *cut = n - k;
    }
    char *s = malloc(k + 64);
    if (!s) return NULL;
    memcpy(s, what, k);
    if (*cut) snprintf(s + k, 64, " ... (%zu more bytes)", *cut);
    else s[k] = '\0';
    return s;
}

/* TmlExplainEmit: one explanation as lines, or as one JSON object when *(int *)ctx. */
static void print_explanation(void *ctx, const TmlLoadedModel *lm, const TmlLimeExplanation *e, const char *what_full) {
    int as_json = *(const int *)ctx;
    size_t cut;
    char *what = shown(what_full, &cut);
    if (!what) return;
    const char *label = lm->features->labels->names[e->label];
    if (as_json) {
        json_t *o = json_object(), *fs = json_array();
        json_object_set_new(o, "input", json_string(what));
        if (cut) json_object_set_new(o, "input_bytes", json_integer((json_int_t)strlen(what_full)));
        json_object_set_new(o, "label", json_string(label));
        json_object_set_new(o, "probability", jnum(e->model_prob));
        json_object_set_new(o, "intercept", jnum(e->intercept));
        json_object_set_new(o, "local_prediction", jnum(e->local_pred));
        json_object_set_new(o, "r2", jnum(e->score)); /* null: nothing was perturbed */
        json_object_set_new(o, "samples", json_integer(e->num_samples));
        for (int k = 0; k < e->n_features; k++) {
            json_t *f = json_object();
            json_object_set_new(f, "feature", json_string(e->features[k].name));
            json_object_set_new(f, "weight", jnum(e->features[k].weight));
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
        free(what);
        return;
    }
    char r2[32] = "n/a (nothing to perturb)";
    if (isfinite(e->score)) snprintf(r2, sizeof r2, "%.3f", e->score);
    printf("%s\n  -> %s (p=%.3f); local fit: intercept %.3f, prediction %.3f, R^2 %s, %d samples\n", what, label,
           e->model_prob, e->intercept, e->local_pred, r2, e->num_samples);
    free(what);
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
    const char *max_words_s = "500";
    int n_pos = 0, as_json = 0;
    TmlExplainRequest rq = {0};
    CliOpt opts[] = {
        {"--text", &rq.text, NULL, NULL, NULL, 0},          {"--rows", &rows, NULL, NULL, NULL, 0},
        {"--label", &rq.label, NULL, NULL, NULL, 0},        {"--samples", &samples_s, NULL, NULL, NULL, 0},
        {"--features", &features_s, NULL, NULL, NULL, 0},   {"--kernel-width", &width_s, NULL, NULL, NULL, 0},
        {"--seed", &seed_s, NULL, NULL, NULL, 0},           {"--tickets", &rq.tickets, NULL, NULL, NULL, 0},
        {"--device", &rq.device, NULL, NULL, NULL, 0},      {"--json", NULL, &as_json, NULL, NULL, 0},
        {"--max-words", &max_words_s, NULL, NULL, NULL, 0},
    };
    if (cli_parse("explain", argc, argv, opts, 11, pos, 2, &n_pos) < 0) return 2;
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
    lc->max_words = (int)strtol(max_words_s, &end, 10);
    if (*end || lc->max_words < 1) {
        fprintf(stderr, "ticketml explain: --max-words must be a positive number, not '%s'\n", max_words_s);
        return 2;
    }
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
    char *text = NULL; /* --text - : from standard input */
    if (rq.text && !(text = cli_text_arg("explain", rq.text))) return 2;
    rq.text = text;
    rq.model_path = pos[0];
    rq.data_path = n_pos == 2 ? pos[1] : NULL;
    rq.first_row = a;
    rq.last_row = b;
    TmlError err;
    int rc = tml_explain_run(&rq, print_explanation, &as_json, &err);
    if (rc != 0) fprintf(stderr, "ticketml explain: %s\n", err.msg);
    free(text);
    return rc;
}
