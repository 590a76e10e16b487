/* cmd_drift.c — `ticketml drift MODEL REFERENCE CURRENT`: is the model going stale? Parses the
 * options, calls tml_drift_run (eval/drift.h), prints the verdict (or the JSON report) and exits
 * 0 (no drift past the limits), 1 (drift: every limit passed is named), 2 (bad input) or 3 (could
 * not finish). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "eval/drift.h"

static void usage(void) {
    printf("usage: ticketml drift MODEL.h5 REFERENCE CURRENT [options]\n\n"
           "Scores REFERENCE (e.g. the training tickets) and CURRENT (e.g. last week's), CSV or JSONL, labels\n"
           "optional, and reports how predictions, confidence, inputs and (when labelled) accuracy moved.\n"
           "Exit status: 0 no drift past the limits, 1 drift past a limit (named), 2 bad input, 3 failure.\n\n"
           "  --report DIR              write DIR/report.json, report.md and report.html\n"
           "  --json                    print report.json to stdout instead of the summary\n"
           "  --max-psi X               PSI limit of every compared distribution (default 0.1)\n"
           "  --max-js X                Jensen-Shannon distance limit, predicted classes and labels (0.1)\n"
           "  --max-unseen-increase X   unseen-token share, current minus reference (0.02)\n"
           "  --max-manual-increase X   share below the auto-handle threshold, current minus reference (0.05)\n"
           "  --max-accuracy-drop X     accuracy drop when both files are labelled (0.05)\n"
           "  --min-ks-p P              KS p-value floor for numeric inputs and confidence (default off)\n"
           "  --alpha A                 a limit passed is drift only when a test on the same counts says it\n"
           "                            is not sampling noise, at family-wise level A split over the tested\n"
           "                            checks (Bonferroni; default 0.01; 'off': distances alone)\n"
           "                            (any limit: 'off' turns it off)\n"
           "  --auto-threshold T        confidence at which a ticket is auto-handled (default: from the\n"
           "                            reference's labels at --target-accuracy, else 0.5)\n"
           "  --target-accuracy A       accuracy the auto-handled tickets must reach (default 0.95)\n"
           "  --threshold T             binary models: positive class when p >= T (default 0.5)\n"
           "  --time COLUMN             timestamp column for the time view (default: the model's [data] time)\n"
           "  --period P                auto | day | week | month (default auto)\n"
           "  --tickets FILE            tickets file for churn history features (default: the model's config)\n"
           "  --current-tickets FILE    the current side's tickets file when it differs\n"
           "  --top-features N          words listed as moved most (default 20)\n"
           "  --device D                auto | cpu | cuda\n"
           "  --quiet                   no progress lines\n");
}

/* A limit: a number, or "off" (NaN). 0 or -1. */
static int parse_limit(const char *s, double *out) {
    if (!s) return 0;
    if (!strcmp(s, "off")) {
        *out = NAN;
        return 0;
    }
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || v < 0) return -1;
    *out = v;
    return 0;
}

static int parse_num(const char *s, double lo, double hi, double *out) {
    if (!s) return 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

static void summary(const TmlDriftResult *r, const char *report_dir) {
    if (r->n_failed) {
        printf("DRIFT: %d limit(s) passed\n", r->n_failed);
        for (int i = 0; i < r->n_checks; i++) {
            const TmlDriftCheck *c = &r->checks[i];
            if (c->failed)
                printf("  %s = %.4f %s %.4g: %s\n", c->name, c->value, c->upper ? ">" : "<", c->limit, c->what);
        }
    } else {
        printf("no drift past the limits (%d checks)\n", r->n_checks);
    }
    printf("prediction PSI %.4f  JS %.4f  below auto-handle threshold %.1f%% -> %.1f%%", r->pred_psi, r->pred_js,
           100 * r->ref.manual_share, 100 * r->cur.manual_share);
    if (r->text) printf("  unseen tokens %.2f%% -> %.2f%%", 100 * r->ref.oov_share, 100 * r->cur.oov_share);
    if (r->has_labels) printf("  accuracy %.4f -> %.4f", r->ref.accuracy, r->cur.accuracy);
    printf("  (%lld vs %lld rows, %.1f s)\n", (long long)r->ref.rows, (long long)r->cur.rows, r->seconds);
    if (report_dir) printf("report written to %s/report.{json,md,html}\n", report_dir);
}

int cmd_drift(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage();
        return 0;
    }
    TmlDriftRequest rq;
    tml_drift_request_default(&rq);
    const char *psi = NULL, *js = NULL, *oov = NULL, *manual = NULL, *acc = NULL, *ksp = NULL, *alpha = NULL, *auto_t = NULL,
               *target = NULL, *thr = NULL, *top = NULL, *pos[3];
    int as_json = 0, n_pos = 0;
    CliOpt opts[] = {
        {"--report", &rq.report_dir, NULL, NULL, NULL, 0},
        {"--json", NULL, &as_json, NULL, NULL, 0},
        {"--max-psi", &psi, NULL, NULL, NULL, 0},
        {"--max-js", &js, NULL, NULL, NULL, 0},
        {"--max-unseen-increase", &oov, NULL, NULL, NULL, 0},
        {"--max-manual-increase", &manual, NULL, NULL, NULL, 0},
        {"--max-accuracy-drop", &acc, NULL, NULL, NULL, 0},
        {"--min-ks-p", &ksp, NULL, NULL, NULL, 0},
        {"--alpha", &alpha, NULL, NULL, NULL, 0},
        {"--auto-threshold", &auto_t, NULL, NULL, NULL, 0},
        {"--target-accuracy", &target, NULL, NULL, NULL, 0},
        {"--threshold", &thr, NULL, NULL, NULL, 0},
        {"--time", &rq.time_col, NULL, NULL, NULL, 0},
        {"--period", &rq.period, NULL, NULL, NULL, 0},
        {"--tickets", &rq.tickets, NULL, NULL, NULL, 0},
        {"--current-tickets", &rq.current_tickets, NULL, NULL, NULL, 0},
        {"--top-features", &top, NULL, NULL, NULL, 0},
        {"--device", &rq.device, NULL, NULL, NULL, 0},
        {"--quiet", NULL, &rq.quiet, NULL, NULL, 0},
    };
    if (cli_parse("drift", argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), pos, 3, &n_pos) < 0) return 2;
    if (n_pos != 3) {
        fprintf(stderr, "ticketml drift: needs MODEL.h5, REFERENCE and CURRENT (see --help)\n");
        return 2;
    }
    TmlDriftLimits *l = &rq.limits;
    double top_d = rq.top_features;
    if (parse_limit(psi, &l->max_psi) || parse_limit(js, &l->max_js) || parse_limit(oov, &l->max_oov_increase) ||
        parse_limit(manual, &l->max_manual_increase) || parse_limit(acc, &l->max_accuracy_drop) ||
        parse_limit(ksp, &l->min_ks_p) || parse_limit(alpha, &l->alpha)) {
        fprintf(stderr, "ticketml drift: a limit is a number >= 0 or 'off'\n");
        return 2;
    }
    if (parse_num(auto_t, 0, 1, &rq.auto_threshold) || parse_num(target, 1e-9, 1, &rq.target_accuracy) ||
        parse_num(thr, 1e-9, 1 - 1e-9, &rq.threshold) || parse_num(top, 0, 1000, &top_d)) {
        fprintf(stderr, "ticketml drift: 0 <= --auto-threshold <= 1, 0 < --target-accuracy <= 1, "
                        "0 < --threshold < 1, 0 <= --top-features <= 1000\n");
        return 2;
    }
    rq.top_features = (int)top_d;
    if (rq.period && strcmp(rq.period, "auto") && strcmp(rq.period, "day") && strcmp(rq.period, "week") &&
        strcmp(rq.period, "month")) {
        fprintf(stderr, "ticketml drift: --period is auto, day, week or month (got '%s')\n", rq.period);
        return 2;
    }
    rq.model_path = pos[0];
    rq.reference_path = pos[1];
    rq.current_path = pos[2];
    TmlError err;
    TmlDriftResult *r = NULL;
    int rc = tml_drift_run(&rq, &r, &err);
    if (rc != TML_DRIFT_OK && rc != TML_DRIFT_FOUND) {
        fprintf(stderr, "ticketml drift: %s\n", err.msg);
        return rc;
    }
    if (as_json) {
        json_t *j = tml_drift_to_json(r);
        if (!j || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12))) {
            fprintf(stderr, "ticketml drift: out of memory writing the JSON\n");
            json_decref(j);
            tml_drift_result_free(r);
            return TML_DRIFT_FAILED;
        }
        putchar('\n');
        json_decref(j);
    } else if (!rq.quiet || r->n_failed) {
        summary(r, rq.report_dir);
    }
    tml_drift_result_free(r);
    return rc;
}
