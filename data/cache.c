/* cache.c — the `ticketml data` cache: fitted features plus featurized train/valid/test in one
 * HDF5 file, keyed by a fingerprint of the config text and the source files, so training many
 * times parses and featurizes once. Written to PATH.tmp and renamed: never a torn cache. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/dataset.h"
#include "data/file.h"
#include "data/h5.h"

#define CACHE_MAGIC "ticketml-dataset-cache"
#define CACHE_VERSION 2 /* 2: checksummed (data/h5.h) */
/* Bump when tokenization or feature ids change, so old caches are rebuilt. */
#define FEATURIZER_VERSION "textfeat-1"

/* ---- fingerprint ------------------------------------------------------------------------------- */

static uint64_t fnv64(uint64_t h, const void *p, size_t n) {
    const unsigned char *s = (const unsigned char *)p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Path, size, mtime and the first and last 64 KiB of a file (a missing file hashes as such). */
static uint64_t fingerprint_file(uint64_t h, const char *path) {
    h = fnv64(h, path, strlen(path) + 1);
    struct stat st;
    if (stat(path, &st) != 0) return fnv64(h, "missing", 7);
    int64_t meta[3] = {(int64_t)st.st_size, (int64_t)st.st_mtim.tv_sec, (int64_t)st.st_mtim.tv_nsec};
    h = fnv64(h, meta, sizeof meta);
    FILE *f = fopen(path, "rb");
    if (!f) return fnv64(h, "unreadable", 10);
    enum { EDGE = 65536 };
    char *buf = (char *)malloc(EDGE);
    if (buf) {
        size_t n = fread(buf, 1, EDGE, f);
        h = fnv64(h, buf, n);
        if (st.st_size > EDGE && fseeko(f, st.st_size > 2 * EDGE ? st.st_size - EDGE : EDGE, SEEK_SET) == 0) {
            n = fread(buf, 1, EDGE, f);
            h = fnv64(h, buf, n);
        }
        free(buf);
    }
    fclose(f);
    return h;
}

static uint64_t fingerprint(const TmlConfig *cfg) {
    uint64_t h = 14695981039346656037ull;
    h = fnv64(h, FEATURIZER_VERSION, sizeof FEATURIZER_VERSION);
    char *text = tml_config_to_string(cfg);
    if (text) h = fnv64(h, text, strlen(text));
    free(text);
    static const char *const keys[] = {"data.train", "data.valid", "data.test", "data.tickets"};
    for (int i = 0; i < 4; i++) {
        const char *v = tml_config_str(cfg, keys[i], NULL);
        if (!v || !v[0]) continue;
        char *p = tml_data_path(v);
        if (p) h = fingerprint_file(h, p);
        free(p);
    }
    return h;
}

/* ---- write ------------------------------------------------------------------------------------- */

/* Strings as one byte blob + (n+1) offsets: far faster to read back than n HDF5 vlen strings. */
static int write_blob(hid_t g, const char *name, char *const *s, int64_t n) {
    char key[64];
    int64_t *off = (int64_t *)malloc(((size_t)n + 1) * sizeof *off);
    if (!off) return -1;
    off[0] = 0;
    for (int64_t i = 0; i < n; i++) off[i + 1] = off[i] + (int64_t)strlen(s[i] ? s[i] : "");
    char *blob = (char *)malloc((size_t)off[n] + 1);
    if (!blob) {
        free(off);
        return -1;
    }
    for (int64_t i = 0; i < n; i++)
        if (s[i]) memcpy(blob + off[i], s[i], (size_t)(off[i + 1] - off[i]));
    hsize_t dn[1] = {(hsize_t)n + 1}, db[1] = {(hsize_t)off[n]};
    snprintf(key, sizeof key, "%s_offsets", name);
    int rc = tml_h5_write(g, key, H5T_NATIVE_INT64, 1, dn, off, 1);
    snprintf(key, sizeof key, "%s_bytes", name);
    if (!rc) rc = tml_h5_write(g, key, H5T_NATIVE_UINT8, 1, db, blob, 1);
    free(off);
    free(blob);
    return rc;
}

static int write_split(hid_t file, const char *name, const TmlDataset *d) {
    hid_t g = H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return -1;
    int64_t n = d->n_rows;
    hsize_t dn[1] = {(hsize_t)n};
    int rc = tml_h5_attr_i64(g, "kind", d->kind) || tml_h5_attr_i64(g, "n_rows", n) ||
             tml_h5_attr_i64(g, "dim", d->dim) || tml_h5_attr_str(g, "source", d->source) ||
             tml_h5_write(g, "labels", H5T_NATIVE_INT32, 1, dn, d->labels, 1) ||
             tml_h5_write(g, "lines", H5T_NATIVE_INT64, 1, dn, d->lines, 1) ||
             write_blob(g, "raw_labels", d->raw_labels, n) || (d->row_ids && write_blob(g, "row_ids", d->row_ids, n));
    if (!rc && d->kind == TML_DATA_TEXT) {
        hsize_t doff[1] = {(hsize_t)n + 1}, dnnz[1] = {(hsize_t)d->offsets[n]};
        rc = tml_h5_write(g, "offsets", H5T_NATIVE_INT64, 1, doff, d->offsets, 1) ||
             tml_h5_write(g, "ids", H5T_NATIVE_INT32, 1, dnnz, d->ids, 1) ||
             (d->w && tml_h5_write(g, "w", H5T_NATIVE_FLOAT, 1, dnnz, d->w, 1)) ||
             (d->texts && write_blob(g, "texts", d->texts, n));
    } else if (!rc) {
        hsize_t dd[2] = {(hsize_t)n, (hsize_t)d->dim};
        rc = tml_h5_write(g, "dense", H5T_NATIVE_FLOAT, 2, dd, d->dense, 1);
    }
    H5Gclose(g);
    return rc ? -1 : 0;
}

int tml_cache_check_path(const char *path, const TmlConfig *cfg, TmlError *err) {
    static const char *const keys[] = {"data.train", "data.valid", "data.test", "data.tickets"};
    for (int i = 0; i < 4; i++) {
        const char *v = tml_config_str(cfg, keys[i], NULL);
        if (!v || !v[0]) continue;
        char *p = tml_data_path(v);
        int same = p && (tml_file_same(p, path) || !strcmp(p, path));
        free(p);
        if (same)
            return tml_fail(err, "--cache %s is the %s file of the config (%s); the cache would replace the data: "
                                 "choose another --cache path", path, keys[i] + 5, keys[i]);
    }
    return tml_file_check_output(path, "--cache", err);
}

int tml_cache_write(const char *path, const TmlConfig *cfg, const TmlFeatures *f, const TmlDataset *train,
                    const TmlDataset *valid, const TmlDataset *test, TmlError *err) {
    /* built in memory, checksummed and written whole (data/h5.h): a full disk is a plain write error
     * and leaves nothing behind */
    hid_t file = tml_h5_mem_create(1);
    if (file < 0) return tml_fail(err, "%s: out of memory creating the cache", path);
    char fp[32];
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)fingerprint(cfg));
    char *text = tml_config_to_string(cfg);
    TmlError e = {{0}};
    int rc = tml_h5_attr_str(file, "magic", CACHE_MAGIC) || tml_h5_attr_i64(file, "cache_version", CACHE_VERSION) ||
             tml_h5_attr_str(file, "fingerprint", fp) || tml_h5_attr_str(file, "featurizer", FEATURIZER_VERSION) ||
             tml_h5_attr_str(file, "config", text ? text : "");
    free(text);
    if (rc) tml_h5_fail(&e, "cannot write the cache header");
    if (!rc && tml_features_save(file, "features", f, &e)) rc = 1;
    const TmlDataset *ds[3] = {train, valid, test};
    static const char *const names[3] = {"train", "valid", "test"};
    for (int s = 0; s < 3 && !rc; s++)
        if (ds[s] && write_split(file, names[s], ds[s])) {
            rc = 1;
            tml_h5_fail(&e, "cannot write the %s split (out of memory?)", names[s]);
        }
    if (rc) {
        H5Fclose(file);
        return tml_fail(err, "%s: %s", path, e.msg);
    }
    return tml_h5_mem_save(file, path, 1, err);
}

/* ---- read -------------------------------------------------------------------------------------- */

static char **read_blob(hid_t g, const char *name, int64_t n) {
    char key[64];
    snprintf(key, sizeof key, "%s_offsets", name);
    if (tml_h5_size(g, key, NULL) != n + 1) return NULL;
    int64_t *off = (int64_t *)malloc(((size_t)n + 1) * sizeof *off);
    char **out = (char **)calloc((size_t)(n > 0 ? n : 1), sizeof *out);
    char *blob = NULL;
    int ok = off && out && !tml_h5_read(g, key, H5T_NATIVE_INT64, off);
    snprintf(key, sizeof key, "%s_bytes", name);
    ok = ok && off[0] == 0 && tml_h5_size(g, key, NULL) == off[n];
    ok = ok && (blob = (char *)malloc((size_t)off[n] + 1)) && !tml_h5_read(g, key, H5T_NATIVE_UINT8, blob);
    for (int64_t i = 0; ok && i < n; i++) {
        if (off[i + 1] < off[i] || off[i + 1] > off[n]) {
            ok = 0;
            break;
        }
        size_t l = (size_t)(off[i + 1] - off[i]);
        if (!(out[i] = (char *)malloc(l + 1))) {
            ok = 0;
            break;
        }
        memcpy(out[i], blob + off[i], l);
        out[i][l] = '\0';
    }
    if (!ok && out) {
        for (int64_t i = 0; i < n; i++) free(out[i]);
        free(out);
        out = NULL;
    }
    free(off);
    free(blob);
    return out;
}

static TmlDataset *read_split(hid_t file, const char *name, const TmlFeatures *f, TmlError *err) {
    hid_t g = H5Gopen2(file, name, H5P_DEFAULT);
    if (g < 0) return tml_fail(err, "split \"%s\" is missing", name), NULL;
    TmlDataset *d = (TmlDataset *)calloc(1, sizeof *d);
    int64_t kind = -1, n = -1, dim = 0;
    int ok = d && !tml_h5_get_i64(g, "kind", &kind) && !tml_h5_get_i64(g, "n_rows", &n) &&
             !tml_h5_get_i64(g, "dim", &dim) && n >= 0 && kind == (int64_t)f->kind;
    if (ok) {
        size_t m = (size_t)(n > 0 ? n : 1);
        d->kind = (TmlDataKind)kind;
        d->n_rows = n;
        d->dim = (int)dim;
        d->source = tml_h5_get_str(g, "source");
        d->labels = (int32_t *)malloc(m * sizeof *d->labels);
        d->lines = (int64_t *)malloc(m * sizeof *d->lines);
        ok = d->source && d->labels && d->lines && tml_h5_size(g, "labels", NULL) == n &&
             tml_h5_size(g, "lines", NULL) == n && !tml_h5_read(g, "labels", H5T_NATIVE_INT32, d->labels) &&
             !tml_h5_read(g, "lines", H5T_NATIVE_INT64, d->lines) &&
             (d->raw_labels = read_blob(g, "raw_labels", n)) != NULL;
        if (ok && tml_h5_exists(g, "row_ids_offsets")) ok = (d->row_ids = read_blob(g, "row_ids", n)) != NULL;
    }
    if (ok && d->kind == TML_DATA_TEXT) {
        int64_t nnz = -1;
        d->offsets = (int64_t *)malloc(((size_t)n + 1) * sizeof *d->offsets);
        ok = d->offsets && tml_h5_size(g, "offsets", NULL) == n + 1 &&
             !tml_h5_read(g, "offsets", H5T_NATIVE_INT64, d->offsets) && d->offsets[0] == 0;
        if (ok) {
            nnz = d->offsets[n];
            d->ids = (int32_t *)malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof *d->ids);
            ok = nnz >= 0 && d->ids && tml_h5_size(g, "ids", NULL) == nnz &&
                 !tml_h5_read(g, "ids", H5T_NATIVE_INT32, d->ids);
        }
        if (ok && tml_h5_exists(g, "w")) {
            d->w = (float *)malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof *d->w);
            ok = d->w && tml_h5_size(g, "w", NULL) == nnz && !tml_h5_read(g, "w", H5T_NATIVE_FLOAT, d->w);
        }
        if (ok && tml_h5_exists(g, "texts_offsets")) ok = (d->texts = read_blob(g, "texts", n)) != NULL;
        for (int64_t i = 0; ok && i < nnz; i++) ok = d->ids[i] >= 0 && d->ids[i] < f->dim;
    } else if (ok) {
        d->dense = (float *)malloc((size_t)(n > 0 ? n : 1) * (size_t)(dim > 0 ? dim : 1) * sizeof *d->dense);
        ok = dim == f->dim && d->dense && tml_h5_size(g, "dense", NULL) == n * dim &&
             !tml_h5_read(g, "dense", H5T_NATIVE_FLOAT, d->dense);
    }
    H5Gclose(g);
    if (!ok) {
        tml_dataset_free(d);
        return tml_fail(err, "split \"%s\" is incomplete or inconsistent", name), NULL;
    }
    return d;
}

int tml_cache_read(const char *path, const TmlConfig *cfg, TmlFeatures **f, TmlDataset **train, TmlDataset **valid,
                   TmlDataset **test, TmlError *err) {
    *f = NULL;
    *train = NULL;
    if (valid) *valid = NULL;
    if (test) *test = NULL;
    if (access(path, F_OK) != 0) return 0;
    int checked;
    TmlError eo;
    hid_t file = tml_h5_open_checked(path, &checked, &eo);
    if (file < 0) return tml_fail(err, "%s; delete it or choose another --cache path (it is rebuilt)", eo.msg);
    char *magic = tml_h5_get_str(file, "magic"), *fp = tml_h5_get_str(file, "fingerprint");
    int64_t ver = 0;
    char want[32];
    snprintf(want, sizeof want, "%016llx", (unsigned long long)fingerprint(cfg));
    int rc = 0;
    TmlError e = {{0}};
    TmlDataset *ds[3] = {NULL, NULL, NULL};
    TmlFeatures *feat = NULL;
    if (!magic || strcmp(magic, CACHE_MAGIC)) {
        rc = -1;
        tml_fail(&e, "not a ticketml dataset cache; delete it or choose another --cache path");
        goto done;
    }
    if (tml_h5_get_i64(file, "cache_version", &ver) || ver != CACHE_VERSION || !fp || strcmp(fp, want))
        goto done; /* stale: rc 0 */
    if (!checked) { /* this version always carries a checksum: its block was damaged */
        rc = -1;
        tml_fail(&e, "its checksum block is missing or unreadable");
        goto done;
    }
    if (!(feat = tml_features_load(file, "features", &e))) {
        rc = -1;
        goto done;
    }
    static const char *const names[3] = {"train", "valid", "test"};
    for (int s = 0; s < 3; s++) {
        if (s > 0 && !tml_h5_exists(file, names[s])) continue;
        if (!(ds[s] = read_split(file, names[s], feat, &e))) {
            rc = -1;
            goto done;
        }
    }
    rc = 1;
done:
    free(magic);
    free(fp);
    H5Fclose(file);
    H5Eclear2(H5E_DEFAULT);
    if (rc == 1) {
        *f = feat;
        *train = ds[0];
        if (valid) *valid = ds[1];
        else tml_dataset_free(ds[1]);
        if (test) *test = ds[2];
        else tml_dataset_free(ds[2]);
        return 1;
    }
    for (int s = 0; s < 3; s++) tml_dataset_free(ds[s]);
    tml_features_free(feat);
    if (rc < 0) return tml_fail(err, "%s: corrupt cache: %s; delete it to rebuild", path, e.msg);
    return 0;
}
