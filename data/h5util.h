/* h5util.h — small HDF5 helpers shared by the features group (features_h5.c) and the dataset cache
 * (cache.c): scalar attributes, whole-array datasets (optionally chunked + deflated), string
 * arrays, and HDF5 failures turned into TmlError messages (the library's own stack printing is
 * silenced). Internal to data/; the trainer uses tml_features_save/load from dataset.h. */
#ifndef TICKETML_DATA_H5UTIL_H
#define TICKETML_DATA_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "ticketml/error.h"

/* Turns off HDF5's automatic error printing (idempotent). */
void tml_h5_quiet(void);
/* One line for `ticketml --version`: the HDF5 library in use and the one compiled against. */
void tml_h5_describe(char *buf, size_t n);

/* tml_fail with HDF5's innermost error description appended ("...: <hdf5 says>"). Returns -1. */
int tml_h5_fail(TmlError *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Scalar attributes on a group or dataset. Writers return 0 / -1. */
int tml_h5_attr_i64(hid_t loc, const char *name, int64_t v);
int tml_h5_attr_f64(hid_t loc, const char *name, double v);
int tml_h5_attr_str(hid_t loc, const char *name, const char *v);
/* Readers: 0 ok, -1 when missing or of the wrong kind. tml_h5_get_str's result is malloc'd
 * (caller frees); it reads fixed-length and variable-length strings. */
int tml_h5_get_i64(hid_t loc, const char *name, int64_t *v);
int tml_h5_get_f64(hid_t loc, const char *name, double *v);
char *tml_h5_get_str(hid_t loc, const char *name);
int tml_h5_has_attr(hid_t loc, const char *name);

/* Writes a whole dataset of `rank` dims (rank 1 or 2) of memtype. compress: chunked + shuffle +
 * deflate when the data is not empty. 0 / -1. */
int tml_h5_write(hid_t loc, const char *name, hid_t memtype, int rank, const hsize_t *dims, const void *data,
                 int compress);
/* Writes n strings (NULL entries stored as "") as variable-length UTF-8 strings. */
int tml_h5_write_strs(hid_t loc, const char *name, char *const *s, int64_t n);
/* Number of elements of a dataset (product of dims), -1 when absent. dims0 gets the first dim. */
int64_t tml_h5_size(hid_t loc, const char *name, int64_t *dims0);
/* Reads the whole dataset into out (which holds tml_h5_size elements of memtype). 0 / -1. */
int tml_h5_read(hid_t loc, const char *name, hid_t memtype, void *out);
/* Reads a string dataset into a malloc'd array of malloc'd strings (n of them); caller frees each
 * and the array. NULL on failure. */
char **tml_h5_read_strs(hid_t loc, const char *name, int64_t *n);
int tml_h5_exists(hid_t loc, const char *name);

#endif
