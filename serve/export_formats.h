/* export_formats.h — the two file formats of an export, internal to serve/: export_io.c calls them,
 * each builds or reads a TmlExport (export_model.h) and knows nothing of the other. */
#ifndef TICKETML_SERVE_EXPORT_FORMATS_H
#define TICKETML_SERVE_EXPORT_FORMATS_H

#include "serve/export_model.h"

/* path is the final file; the writers write to tmp and leave the rename to tml_export_write. */
int tml_export_write_h5(const TmlExport *e, const char *tmp, TmlError *err);
TmlExport *tml_export_read_h5(const char *path, TmlError *err);
int tml_export_write_st(const TmlExport *e, const char *tmp_st, const char *tmp_json, TmlError *err);
TmlExport *tml_export_read_st(const char *json_path, const char *st_path, TmlError *err);

#endif
