/* h5io.c — thin HDF5 helpers for the trainer's model files; every failure becomes one TmlError
 * naming the dataset or attribute, and HDF5's own stack printing is switched off. */
#include "trainer/h5io.h"

#include <stdlib.h>
#include <string.h>

void tml_h5_quiet(void) {
    static int done = 0;
    if (!done) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        done = 1;
    }
}

static int write_dataset(hid_t loc, const char *name, hid_t type, const void *data, int64_t rows, int64_t cols,
                         TmlError *err) {
    hsize_t dims[2] = {(hsize_t)rows, (hsize_t)cols};
    hid_t space = H5Screate_simple(cols > 0 ? 2 : 1, dims, NULL);
    if (space < 0) return tml_fail(err, "HDF5: cannot create dataspace for '%s'", name);
    hid_t ds = H5Dcreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = 0;
    if (ds < 0)
        rc = tml_fail(err, "HDF5: cannot create dataset '%s'", name);
    else if (rows > 0 && H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        rc = tml_fail(err, "HDF5: cannot write dataset '%s' (disk full?)", name);
    if (ds >= 0) H5Dclose(ds);
    H5Sclose(space);
    return rc;
}

static int read_dataset(hid_t loc, const char *name, hid_t type, void *data, int64_t rows, int64_t cols,
                        TmlError *err) {
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0) return tml_fail(err, "dataset '%s' is missing", name);
    hid_t space = H5Dget_space(ds);
    int nd = H5Sget_simple_extent_ndims(space);
    hsize_t dims[2] = {0, 0};
    H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    int want_nd = cols > 0 ? 2 : 1;
    int rc = 0;
    if (nd != want_nd || dims[0] != (hsize_t)rows || (cols > 0 && dims[1] != (hsize_t)cols))
        rc = tml_fail(err, "dataset '%s' has shape (%llu, %llu), expected (%lld, %lld)", name,
                      (unsigned long long)dims[0], (unsigned long long)(nd > 1 ? dims[1] : 0), (long long)rows,
                      (long long)cols);
    else if (rows > 0 && H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        rc = tml_fail(err, "cannot read dataset '%s' (file truncated or corrupt?)", name);
    H5Dclose(ds);
    return rc;
}

int tml_h5_write_f32(hid_t loc, const char *name, const float *data, int64_t rows, int64_t cols, TmlError *err) {
    return write_dataset(loc, name, H5T_NATIVE_FLOAT, data, rows, cols, err);
}
int tml_h5_read_f32(hid_t loc, const char *name, float *data, int64_t rows, int64_t cols, TmlError *err) {
    return read_dataset(loc, name, H5T_NATIVE_FLOAT, data, rows, cols, err);
}
int tml_h5_write_u64(hid_t loc, const char *name, const uint64_t *data, int64_t n, TmlError *err) {
    return write_dataset(loc, name, H5T_NATIVE_UINT64, data, n, 0, err);
}
int tml_h5_read_u64(hid_t loc, const char *name, uint64_t *data, int64_t n, TmlError *err) {
    return read_dataset(loc, name, H5T_NATIVE_UINT64, data, n, 0, err);
}

static int attr_write(hid_t loc, const char *name, hid_t type, const void *v, TmlError *err) {
    if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = 0;
    if (a < 0 || H5Awrite(a, type, v) < 0) rc = tml_fail(err, "HDF5: cannot write attribute '%s'", name);
    if (a >= 0) H5Aclose(a);
    H5Sclose(space);
    return rc;
}

static int attr_read(hid_t loc, const char *name, hid_t type, void *v, TmlError *err) {
    if (H5Aexists(loc, name) <= 0) return tml_fail(err, "attribute '%s' is missing", name);
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    int rc = 0;
    if (a < 0 || H5Aread(a, type, v) < 0) rc = tml_fail(err, "cannot read attribute '%s'", name);
    if (a >= 0) H5Aclose(a);
    return rc;
}

int tml_h5_attr_write_i64(hid_t loc, const char *name, int64_t v, TmlError *err) {
    return attr_write(loc, name, H5T_NATIVE_INT64, &v, err);
}
int tml_h5_attr_read_i64(hid_t loc, const char *name, int64_t *v, TmlError *err) {
    return attr_read(loc, name, H5T_NATIVE_INT64, v, err);
}
int tml_h5_attr_write_f64(hid_t loc, const char *name, double v, TmlError *err) {
    return attr_write(loc, name, H5T_NATIVE_DOUBLE, &v, err);
}
int tml_h5_attr_read_f64(hid_t loc, const char *name, double *v, TmlError *err) {
    return attr_read(loc, name, H5T_NATIVE_DOUBLE, v, err);
}

int tml_h5_attr_write_str(hid_t loc, const char *name, const char *s, TmlError *err) {
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    int rc = attr_write(loc, name, type, &s, err);
    H5Tclose(type);
    return rc;
}

char *tml_h5_attr_read_str(hid_t loc, const char *name, TmlError *err) {
    if (H5Aexists(loc, name) <= 0) {
        tml_fail(err, "attribute '%s' is missing", name);
        return NULL;
    }
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    char *raw = NULL, *out = NULL;
    if (a >= 0 && H5Aread(a, type, &raw) >= 0 && raw) {
        out = strdup(raw);
        H5free_memory(raw);
    } else {
        tml_fail(err, "cannot read string attribute '%s'", name);
    }
    H5Tclose(type);
    if (a >= 0) H5Aclose(a);
    return out;
}

int tml_h5_exists(hid_t loc, const char *name) { return H5Lexists(loc, name, H5P_DEFAULT) > 0; }
