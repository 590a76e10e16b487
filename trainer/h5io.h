/* h5io.h — the trainer's HDF5 needs (float and u64 tensors with shape checks, scalar and string
 * attributes) as TmlError-returning calls, built on data/h5util.h's helpers. */
#ifndef TICKETML_TRAINER_H5IO_H
#define TICKETML_TRAINER_H5IO_H

#include <hdf5.h>
#include <stdint.h>

#include "data/h5util.h"
#include "ticketml/error.h"

/* 2-D (rows, cols) float dataset; cols == 0 writes a 1-D dataset of rows values. */
int tml_h5_write_f32(hid_t loc, const char *name, const float *data, int64_t rows, int64_t cols, TmlError *err);
/* Reads a float dataset of exactly rows x cols (cols 0: 1-D) into data; a shape mismatch is an error. */
int tml_h5_read_f32(hid_t loc, const char *name, float *data, int64_t rows, int64_t cols, TmlError *err);
int tml_h5_write_u64(hid_t loc, const char *name, const uint64_t *data, int64_t n, TmlError *err);
int tml_h5_read_u64(hid_t loc, const char *name, uint64_t *data, int64_t n, TmlError *err);

int tml_h5_attr_write_i64(hid_t loc, const char *name, int64_t v, TmlError *err);
int tml_h5_attr_read_i64(hid_t loc, const char *name, int64_t *v, TmlError *err);
int tml_h5_attr_write_f64(hid_t loc, const char *name, double v, TmlError *err);
int tml_h5_attr_read_f64(hid_t loc, const char *name, double *v, TmlError *err);
int tml_h5_attr_write_str(hid_t loc, const char *name, const char *s, TmlError *err);
/* Returns a malloc'd copy of a string attribute (caller frees), NULL with err set. */
char *tml_h5_attr_read_str(hid_t loc, const char *name, TmlError *err);

#endif
