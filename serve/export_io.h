/* export_io.h — writing an export to a directory and reading one back (either file format), with
 * the checksum and consistency checks; what `ticketml export` and the serving library call. */
#ifndef TICKETML_SERVE_EXPORT_IO_H
#define TICKETML_SERVE_EXPORT_IO_H

#include "serve/export_model.h"

typedef enum TmlExportFormat { TML_EXPORT_HDF5 = 0, TML_EXPORT_SAFETENSORS = 1 } TmlExportFormat;

/* Writes e into dir (created when missing) as model.h5, or model.safetensors + model.json: each
 * file to a temporary name, then renamed; on error nothing new is left behind. On success the
 * other format's files in dir are removed so the directory holds one export. Computes and stores
 * e->checksum. */
int tml_export_write(TmlExport *e, const char *dir, TmlExportFormat fmt, TmlError *err);

/* Reads an export: a directory (holding model.h5 or model.json + model.safetensors) or one of
 * those files. Rejects a foreign file, a newer version, a truncated file and a checksum mismatch.
 * Caller frees with tml_export_free. */
TmlExport *tml_export_read(const char *path, TmlError *err);

#endif
