/* main.c — the `ticketml` command: dispatch only. Each subcommand lives in cli/cmd_<name>.c and
 * calls into data/, trainer/, eval/ or serve/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/version.h"
#include "data/h5.h"
#include "kernels/backend.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} Command;

static const Command COMMANDS[] = {
    {"train", cmd_train, "train a model from a config (intent, sentiment or churn)"},
    {"finetune", cmd_finetune, "warm-start a trained model on new tickets"},
    {"eval", cmd_eval, "evaluate a model on data into report.json / .md / .html"},
    {"explain", cmd_explain, "explain single predictions LIME-style"},
    {"compare", cmd_compare, "compare two reports; exit 1 on regression (CI gate)"},
    {"drift", cmd_drift, "is the model going stale? reference vs current data; exit 1 on drift"},
    {"export", cmd_export, "export weights for the serving library"},
    {"predict", cmd_predict, "predict with an exported model through the serving library"},
    {"synth", cmd_synth, "generate a realistic ticket + customer corpus"},
    {"data", cmd_data, "featurize a data file once into an HDF5 cache"},
    {"devices", cmd_devices, "list the compute backends built in and the devices present"},
};

int cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return 1;
    return 0;
}

static void usage(FILE *f) {
    fprintf(f, "usage: ticketml <command> [options]   (ticketml <command> --help for details)\n\n");
    fprintf(f, "GPU-accelerated trainer and evaluator for intent, sentiment and churn models.\n\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(f, "  %-9s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "\n  --version  what was built (backends, libraries)\n");
}

/* libgomp (OpenMP) and OpenBLAS read how their idle threads wait once, when they are loaded, before
 * main runs: by default they spin. On a machine where another process holds a core, every parallel
 * region then ends waiting for a thread that is not running while its partner burns the other core
 * (issue 14: training 5x slower with one busy core). Unless the user chose a policy, the command
 * asks for sleeping waits and starts itself once more so the libraries see it (a millisecond). */
static void passive_waits(char **argv) {
    if (getenv("OMP_WAIT_POLICY") || getenv("TICKETML_NO_REEXEC")) return;
    setenv("OMP_WAIT_POLICY", "passive", 1);
    if (!getenv("OPENBLAS_THREAD_TIMEOUT")) setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1); /* its minimum: 2^4 cycles */
    execv("/proc/self/exe", argv);
    /* exec failed (no /proc?): run on with the libraries' default waits */
}

int main(int argc, char **argv) {
    passive_waits(argv);
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        char buf[1024], h5[256];
        tml_backend_describe_build(buf, sizeof buf);
        tml_h5_describe(h5, sizeof h5);
        printf("ticketml %s\n%s%s", TICKETML_VERSION, buf, h5);
        return 0;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (!strcmp(argv[1], COMMANDS[i].name)) return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "ticketml: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
