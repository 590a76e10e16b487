/* cmd_compare.c — `ticketml compare BASELINE CANDIDATE [--max-drop metric=delta ...] [--json]`:
 * the CI gate. Prints per-metric and per-class deltas; exit 0 no regression beyond the allowed
 * drops, 1 regression, 2 bad usage or bad input (missing file, not a report, unknown metric). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "eval/compare.h"

static void compare_usage(FILE *f) {
    fprintf(f,
            "usage: ticketml compare BASELINE CANDIDATE [--max-drop METRIC=DELTA ...] [--json]\n"
            "\n"
            "Compares two evaluation reports (report.json files written by `ticketml eval`, or their\n"
            "folders) and prints every metric's baseline, candidate and delta, then per-class F1.\n"
            "\n"
            "  --max-drop METRIC=DELTA  fail (exit 1) when the candidate is more than DELTA worse than the\n"
            "                           baseline on METRIC. For metrics where lower is better (log_loss,\n"
            "                           brier, ece, coverage_at_target.manual_share) a rise counts as the\n"
            "                           drop. per_class.f1 / per_class.precision / per_class.recall gate\n"
            "                           every class present in both reports. Repeat for several gates.\n"
            "                           Without any --max-drop nothing gates: the table is information.\n"
            "  --json                   print the comparison as JSON instead of the table\n"
            "  -h, --help               this text\n"
            "\n"
            "metrics: %s\n"
            "\n"
            "exit status: 0 no regression, 1 regression beyond a --max-drop, 2 bad usage or bad input\n"
            "example: ticketml compare main/report.json pr/report.json --max-drop macro_f1=0.01 --max-drop ece=0.02\n",
            tml_compare_metric_list());
}

int cmd_compare(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        compare_usage(stdout);
        return 0;
    }
    const char *paths[2] = {NULL, NULL};
    int n_paths = 0, as_json = 0, n_gates = 0;
    TmlCompareGate *gates = calloc((size_t)argc, sizeof *gates);
    TmlError err = {{0}};
    if (!gates) return 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *spec = NULL;
        if (!strcmp(a, "--json")) {
            as_json = 1;
        } else if (!strcmp(a, "--max-drop")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ticketml compare: --max-drop needs METRIC=DELTA (e.g. --max-drop macro_f1=0.01)\n");
                free(gates);
                return 2;
            }
            spec = argv[++i];
        } else if (!strncmp(a, "--max-drop=", 11)) {
            spec = a + 11;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ticketml compare: unknown option '%s' (see ticketml compare --help)\n", a);
            free(gates);
            return 2;
        } else if (n_paths < 2) {
            paths[n_paths++] = a;
        } else {
            fprintf(stderr, "ticketml compare: one baseline and one candidate, got a third report '%s'\n", a);
            free(gates);
            return 2;
        }
        if (spec && tml_compare_parse_gate(spec, &gates[n_gates++], &err)) {
            fprintf(stderr, "ticketml compare: %s\n", err.msg);
            free(gates);
            return 2;
        }
    }
    if (n_paths != 2) {
        fprintf(stderr, "ticketml compare: need BASELINE and CANDIDATE reports\n\n");
        compare_usage(stderr);
        free(gates);
        return 2;
    }
    json_t *base = tml_compare_load(paths[0], &err), *cand = NULL;
    if (base) cand = tml_compare_load(paths[1], &err);
    TmlCompareResult *r = cand ? tml_compare_reports(base, cand, gates, n_gates, &err) : NULL;
    int rc = 2;
    if (!r) {
        fprintf(stderr, "ticketml compare: %s\n", err.msg);
    } else {
        if (as_json) {
            json_t *j = tml_compare_to_json(r, paths[0], paths[1]);
            json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
            fputc('\n', stdout);
            json_decref(j);
        } else {
            tml_compare_print(stdout, r, paths[0], paths[1]);
        }
        if (n_gates == 0) fprintf(stderr, "ticketml compare: no --max-drop given; nothing gates (exit 0)\n");
        rc = tml_compare_exit_code(r);
    }
    tml_compare_free(r);
    json_decref(base);
    json_decref(cand);
    free(gates);
    return rc;
}
