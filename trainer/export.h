/* export.h — turns a trained model file into a self-contained export for the serving library
 * (ticketml/serve.h): label names, featurization settings with vocabulary and idf, tabular
 * maps, weights and a SHA-256 checksum, as model.h5 or model.safetensors + model.json.
 * Format in docs/export-format.md. */
#ifndef TICKETML_TRAINER_EXPORT_H
#define TICKETML_TRAINER_EXPORT_H

#include "serve/export_io.h"
#include "trainer/modelfile.h"

/* The export of a loaded model (weights downloaded from its backend). Caller frees with
 * tml_export_free. */
TmlExport *tml_export_from_model(const TmlLoadedModel *lm, TmlError *err);

/* What an export holds, for the `ticketml export` summary line. */
typedef struct TmlExportSummary {
    char task[128], kind[16], arch[32];
    int n_labels;
    char checksum[80]; /* "sha256:<hex>" */
} TmlExportSummary;

/* `ticketml export`: loads model_path on the CPU, writes its export into dir (created when
 * missing; each file to a temporary name, then renamed: no partial export on error) and checks it
 * loads back through the serving library. sum (may be NULL) describes it. Returns the exit status:
 * 0, 1 (failure) or 2 (the model file cannot be loaded), with err set. */
int tml_export_model_file(const char *model_path, const char *dir, TmlExportFormat fmt, TmlExportSummary *sum,
                          TmlError *err);

#endif
