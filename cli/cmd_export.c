/* cmd_export.c — `ticketml export MODEL.h5 --out DIR [--format hdf5|safetensors]`: writes the
 * self-contained export the serving library loads (docs/export-format.md), then loads it back
 * through the serving library as a check before saying it is done. */
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "trainer/export.h"

static void usage(void) {
    printf("usage: ticketml export MODEL.h5 --out DIR [--format hdf5|safetensors] [--quiet]\n\n"
           "Writes a self-contained export of a trained model for the serving library (libticketml_serve.a,\n"
           "ticketml/serve.h) and `ticketml predict`: label names, tokenizer and featurization settings\n"
           "with the vocabulary and idf, tabular preprocessing, the weights and a SHA-256 checksum.\n\n"
           "  --out DIR        directory to write (created when missing); files are written to temporary\n"
           "                   names and renamed, so an error leaves no partial export\n"
           "  --format F       hdf5 (default): DIR/model.h5\n"
           "                   safetensors: DIR/model.safetensors + DIR/model.json\n"
           "  --quiet          no summary line\n\n"
           "Format: docs/export-format.md.\n");
}

int cmd_export(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage();
        return 0;
    }
    const char *out = NULL, *format = "hdf5", *pos[1];
    int n_pos = 0, quiet = 0;
    CliOpt opts[] = {
        {"--out", &out, NULL, NULL, NULL, 0},
        {"--format", &format, NULL, NULL, NULL, 0},
        {"--quiet", NULL, &quiet, NULL, NULL, 0},
    };
    if (cli_parse("export", argc, argv, opts, 3, pos, 1, &n_pos) < 0) return 2;
    if (n_pos != 1 || !out) {
        fprintf(stderr, "ticketml export: needs MODEL.h5 and --out DIR (see --help)\n");
        return 2;
    }
    TmlExportFormat fmt;
    if (!strcmp(format, "hdf5") || !strcmp(format, "h5")) fmt = TML_EXPORT_HDF5;
    else if (!strcmp(format, "safetensors")) fmt = TML_EXPORT_SAFETENSORS;
    else {
        fprintf(stderr, "ticketml export: --format '%s' is unknown; use hdf5 or safetensors\n", format);
        return 2;
    }
    TmlError err;
    TmlExportSummary sum;
    int rc = tml_export_model_file(pos[0], out, fmt, &sum, &err);
    if (rc != 0) {
        fprintf(stderr, "ticketml export: %s\n", err.msg);
        return rc;
    }
    if (!quiet)
        printf("exported %s %s model (%s, %d labels) to %s/%s (%s)\n", sum.task[0] ? sum.task : "unnamed", sum.kind,
               sum.arch, sum.n_labels, out, fmt == TML_EXPORT_HDF5 ? "model.h5" : "model.safetensors + model.json",
               sum.checksum);
    return 0;
}
