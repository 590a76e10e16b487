/* h5.c — the HDF5 helpers of every ticketml file (cache, features, model, export); see h5.h.
 * Every function closes what it opens, so a failure half-way leaks no HDF5 handles. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"

void tml_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

void tml_h5_describe(char *buf, size_t n) {
    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    snprintf(buf, n, "hdf5: %u.%u.%u (compiled against %d.%d.%d)\n", maj, min, rel, H5_VERS_MAJOR, H5_VERS_MINOR,
             H5_VERS_RELEASE);
}

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data) {
    char *buf = (char *)data;
    if (n == 0 && e->desc && e->desc[0]) snprintf(buf, 256, "%s", e->desc);
    return 0;
}

int tml_h5_fail(TmlError *err, const char *fmt, ...) {
    char what[TML_ERROR_MSG_MAX], h5[256] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, h5);
    H5Eclear2(H5E_DEFAULT);
    if (h5[0]) return tml_fail(err, "%s (HDF5: %s)", what, h5);
    return tml_fail(err, "%s", what);
}

/* The stored type of a native memory type: little-endian, so files read the same on any host. */
static hid_t file_type(hid_t mem) {
    if (H5Tequal(mem, H5T_NATIVE_FLOAT) > 0) return H5T_IEEE_F32LE;
    if (H5Tequal(mem, H5T_NATIVE_DOUBLE) > 0) return H5T_IEEE_F64LE;
    if (H5Tequal(mem, H5T_NATIVE_INT64) > 0) return H5T_STD_I64LE;
    if (H5Tequal(mem, H5T_NATIVE_UINT64) > 0) return H5T_STD_U64LE;
    if (H5Tequal(mem, H5T_NATIVE_INT32) > 0) return H5T_STD_I32LE;
    if (H5Tequal(mem, H5T_NATIVE_UINT32) > 0) return H5T_STD_U32LE;
    if (H5Tequal(mem, H5T_NATIVE_UINT8) > 0) return H5T_STD_U8LE;
    return mem; /* strings and anything else: as given */
}

static int attr_write(hid_t loc, const char *name, hid_t type, const void *v) {
    if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, file_type(type), sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a < 0 || H5Awrite(a, type, v) < 0 ? -1 : 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return rc;
}

int tml_h5_attr_i64(hid_t loc, const char *name, int64_t v) { return attr_write(loc, name, H5T_NATIVE_INT64, &v); }
int tml_h5_attr_f64(hid_t loc, const char *name, double v) { return attr_write(loc, name, H5T_NATIVE_DOUBLE, &v); }

static hid_t vlen_str_type(void) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

int tml_h5_attr_str(hid_t loc, const char *name, const char *v) {
    hid_t t = vlen_str_type();
    const char *p = v ? v : "";
    int rc = attr_write(loc, name, t, &p);
    H5Tclose(t);
    return rc;
}

int tml_h5_has_attr(hid_t loc, const char *name) { return H5Aexists(loc, name) > 0; }

static int attr_read(hid_t loc, const char *name, hid_t type, void *v) {
    if (H5Aexists(loc, name) <= 0) return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return -1;
    int rc = H5Aread(a, type, v) < 0 ? -1 : 0;
    H5Aclose(a);
    return rc;
}

int tml_h5_get_i64(hid_t loc, const char *name, int64_t *v) { return attr_read(loc, name, H5T_NATIVE_INT64, v); }
int tml_h5_get_f64(hid_t loc, const char *name, double *v) { return attr_read(loc, name, H5T_NATIVE_DOUBLE, v); }

char *tml_h5_get_str(hid_t loc, const char *name) {
    if (H5Aexists(loc, name) <= 0) return NULL;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return NULL;
    hid_t ft = H5Aget_type(a);
    char *out = NULL;
    if (H5Tget_class(ft) == H5T_STRING) {
        if (H5Tis_variable_str(ft) > 0) {
            hid_t t = vlen_str_type();
            char *p = NULL;
            if (H5Aread(a, t, &p) >= 0) {
                out = strdup(p ? p : "");
                if (p) H5free_memory(p);
            }
            H5Tclose(t);
        } else {
            size_t n = H5Tget_size(ft);
            hid_t t = H5Tcopy(H5T_C_S1);
            H5Tset_size(t, n + 1);
            out = (char *)calloc(n + 2, 1);
            if (out && H5Aread(a, t, out) < 0) {
                free(out);
                out = NULL;
            }
            H5Tclose(t);
        }
    }
    H5Tclose(ft);
    H5Aclose(a);
    return out;
}

int tml_h5_exists(hid_t loc, const char *name) { return H5Lexists(loc, name, H5P_DEFAULT) > 0; }

int tml_h5_write(hid_t loc, const char *name, hid_t memtype, int rank, const hsize_t *dims, const void *data,
                 int compress) {
    hsize_t total = 1;
    for (int i = 0; i < rank; i++) total *= dims[i];
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (compress && total > 0) {
        /* ~256 KiB chunks along the first dimension: big enough for deflate, small enough to stream */
        hsize_t row = rank == 2 ? (dims[1] ? dims[1] : 1) : 1;
        hsize_t chunk[2] = {(65536 + row - 1) / row, rank == 2 ? dims[1] : 1};
        if (chunk[0] > dims[0]) chunk[0] = dims[0];
        if (chunk[0] == 0) chunk[0] = 1;
        if (rank == 2 && chunk[1] == 0) chunk[1] = 1;
        H5Pset_chunk(dcpl, rank, chunk);
        H5Pset_shuffle(dcpl);
        if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) H5Pset_deflate(dcpl, 1);
    }
    hid_t d = H5Dcreate2(loc, name, file_type(memtype), sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = d < 0 ? -1 : 0;
    if (rc == 0 && total > 0 && H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) rc = -1;
    if (d >= 0) H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
    return rc;
}

int tml_h5_write_strs(hid_t loc, const char *name, char *const *s, int64_t n) {
    const char **p = (const char **)malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    if (!p) return -1;
    for (int64_t i = 0; i < n; i++) p[i] = s[i] ? s[i] : "";
    hid_t t = vlen_str_type();
    hsize_t dims[1] = {(hsize_t)n};
    int rc = tml_h5_write(loc, name, t, 1, dims, p, 0);
    H5Tclose(t);
    free(p);
    return rc;
}

int tml_h5_rank(hid_t loc, const char *name, hsize_t dims[2]) {
    if (!tml_h5_exists(loc, name)) return -1;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t sp = H5Dget_space(d);
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    dims[0] = dims[1] = 0;
    if (rank == 1 || rank == 2) H5Sget_simple_extent_dims(sp, dims, NULL);
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return rank;
}

int64_t tml_h5_size(hid_t loc, const char *name, int64_t *dims0) {
    if (!tml_h5_exists(loc, name)) return -1;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t sp = H5Dget_space(d);
    hsize_t dims[8] = {0};
    int rank = H5Sget_simple_extent_ndims(sp);
    int64_t total = -1;
    if (rank >= 0 && rank <= 8 && H5Sget_simple_extent_dims(sp, dims, NULL) >= 0) {
        total = 1;
        for (int i = 0; i < rank; i++) total *= (int64_t)dims[i];
        if (dims0) *dims0 = rank > 0 ? (int64_t)dims[0] : 1;
    }
    H5Sclose(sp);
    H5Dclose(d);
    return total;
}

int tml_h5_read(hid_t loc, const char *name, hid_t memtype, void *out) {
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t sp = H5Dget_space(d);
    int rc = 0;
    if (H5Sget_simple_extent_npoints(sp) > 0) rc = H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0 ? -1 : 0;
    H5Sclose(sp);
    H5Dclose(d);
    return rc;
}

char **tml_h5_read_strs(hid_t loc, const char *name, int64_t *n) {
    int64_t m = tml_h5_size(loc, name, NULL);
    if (m < 0) return NULL;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return NULL;
    char **out = (char **)calloc((size_t)(m > 0 ? m : 1), sizeof *out);
    char **raw = (char **)calloc((size_t)(m > 0 ? m : 1), sizeof *raw);
    hid_t t = vlen_str_type();
    hid_t sp = H5Dget_space(d);
    int ok = out && raw && (m == 0 || H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0);
    if (ok && m > 0) {
        for (int64_t i = 0; ok && i < m; i++) ok = (out[i] = strdup(raw[i] ? raw[i] : "")) != NULL;
#if H5_VERSION_GE(1, 12, 0)
        H5Treclaim(t, sp, H5P_DEFAULT, raw);
#else
        H5Dvlen_reclaim(t, sp, H5P_DEFAULT, raw);
#endif
    }
    H5Sclose(sp);
    H5Tclose(t);
    H5Dclose(d);
    free(raw);
    if (!ok) {
        if (out)
            for (int64_t i = 0; i < m; i++) free(out[i]);
        free(out);
        return NULL;
    }
    *n = m;
    return out;
}

/* ---- TmlError-returning calls ------------------------------------------------------------------ */

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
