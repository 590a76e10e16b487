/* h5io.c — TmlError-returning wrappers over data/h5util for the trainer's model files: every
 * failure names the dataset or attribute, and reads check shapes before touching memory. */
#include "trainer/h5io.h"

static int write_tensor(hid_t loc, const char *name, hid_t type, const void *data, int64_t rows, int64_t cols,
                        TmlError *err) {
    hsize_t dims[2] = {(hsize_t)rows, (hsize_t)cols};
    if (tml_h5_write(loc, name, type, cols > 0 ? 2 : 1, dims, data, 0) < 0)
        return tml_h5_fail(err, "cannot write dataset '%s' (disk full?)", name);
    return 0;
}

static int read_tensor(hid_t loc, const char *name, hid_t type, void *data, int64_t rows, int64_t cols, TmlError *err) {
    int64_t d0 = 0, n = tml_h5_size(loc, name, &d0);
    int64_t want = cols > 0 ? rows * cols : rows;
    if (n < 0) return tml_fail(err, "dataset '%s' is missing", name);
    if (n != want || d0 != rows)
        return tml_fail(err, "dataset '%s' has %lld values (first dimension %lld), expected %lld x %lld", name,
                        (long long)n, (long long)d0, (long long)rows, (long long)(cols > 0 ? cols : 1));
    if (n > 0 && tml_h5_read(loc, name, type, data) < 0)
        return tml_h5_fail(err, "cannot read dataset '%s' (file truncated or corrupt?)", name);
    return 0;
}

int tml_h5_write_f32(hid_t loc, const char *name, const float *data, int64_t rows, int64_t cols, TmlError *err) {
    return write_tensor(loc, name, H5T_NATIVE_FLOAT, data, rows, cols, err);
}
int tml_h5_read_f32(hid_t loc, const char *name, float *data, int64_t rows, int64_t cols, TmlError *err) {
    return read_tensor(loc, name, H5T_NATIVE_FLOAT, data, rows, cols, err);
}
int tml_h5_write_u64(hid_t loc, const char *name, const uint64_t *data, int64_t n, TmlError *err) {
    return write_tensor(loc, name, H5T_NATIVE_UINT64, data, n, 0, err);
}
int tml_h5_read_u64(hid_t loc, const char *name, uint64_t *data, int64_t n, TmlError *err) {
    return read_tensor(loc, name, H5T_NATIVE_UINT64, data, n, 0, err);
}

int tml_h5_attr_write_i64(hid_t loc, const char *name, int64_t v, TmlError *err) {
    return tml_h5_attr_i64(loc, name, v) < 0 ? tml_h5_fail(err, "cannot write attribute '%s'", name) : 0;
}
int tml_h5_attr_read_i64(hid_t loc, const char *name, int64_t *v, TmlError *err) {
    return tml_h5_get_i64(loc, name, v) < 0 ? tml_fail(err, "attribute '%s' is missing or not an integer", name) : 0;
}
int tml_h5_attr_write_f64(hid_t loc, const char *name, double v, TmlError *err) {
    return tml_h5_attr_f64(loc, name, v) < 0 ? tml_h5_fail(err, "cannot write attribute '%s'", name) : 0;
}
int tml_h5_attr_read_f64(hid_t loc, const char *name, double *v, TmlError *err) {
    return tml_h5_get_f64(loc, name, v) < 0 ? tml_fail(err, "attribute '%s' is missing or not a number", name) : 0;
}
int tml_h5_attr_write_str(hid_t loc, const char *name, const char *s, TmlError *err) {
    return tml_h5_attr_str(loc, name, s) < 0 ? tml_h5_fail(err, "cannot write attribute '%s'", name) : 0;
}
char *tml_h5_attr_read_str(hid_t loc, const char *name, TmlError *err) {
    char *s = tml_h5_get_str(loc, name);
    if (!s) tml_fail(err, "attribute '%s' is missing or not a string", name);
    return s;
}
