/* export_h5.c — the export as one HDF5 file (model.h5): scalars are attributes of their group,
 * lists and arrays are 1-D / 2-D datasets, strings are variable-length UTF-8, weights are
 * contiguous float32 (uncompressed, so h5py, numpy.memmap or a byte editor sees them as they
 * are). Layout in docs/export-format.md. */
#include <hdf5.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"
#include "data/tokspec_h5.h"
#include "serve/export_formats.h"

/* HDF5 is usually built without its thread-safety option: serialize this file's HDF5 use so two
 * threads may load (or write) exports at the same time. */
static pthread_mutex_t h5_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- writing ---------------------------------------------------------------------------------- */

static int w_attr_str(hid_t loc, const char *name, const char *v) { return tml_h5_attr_str(loc, name, v); }
static int w_attr_i64(hid_t loc, const char *name, int64_t v) { return tml_h5_attr_i64(loc, name, v); }
static int w_strs(hid_t loc, const char *name, char *const *s, int64_t n) { return tml_h5_write_strs(loc, name, s, n); }

static int w_i64s(hid_t loc, const char *name, const int64_t *v, int64_t n) {
    hsize_t dims[1] = {(hsize_t)n};
    return tml_h5_write(loc, name, H5T_NATIVE_INT64, 1, dims, v, 0);
}

static int w_f64s(hid_t loc, const char *name, const double *v, int64_t n) {
    hsize_t dims[1] = {(hsize_t)n};
    return tml_h5_write(loc, name, H5T_NATIVE_DOUBLE, 1, dims, v, 0);
}

static hid_t group(hid_t loc, const char *name) { return H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT); }

static int write_text(hid_t f, const TmlExport *e) {
    hid_t g = group(f, "text");
    if (g < 0) return -1;
    const TmlTextConfig *c = &e->text;
    int rc = (w_attr_i64(g, "normalize", c->normalize) || w_attr_i64(g, "placeholders", c->placeholders) ||
              w_attr_i64(g, "cjk_bigrams", c->cjk_bigrams) || w_attr_i64(g, "word_ngrams", c->word_ngrams) ||
              w_attr_i64(g, "minn", c->minn) || w_attr_i64(g, "maxn", c->maxn) ||
              w_attr_i64(g, "buckets", c->buckets) || w_attr_i64(g, "min_count", c->min_count) ||
              w_attr_i64(g, "tfidf", c->tfidf) || w_attr_i64(g, "invalid_utf8", c->invalid_utf8) ||
              w_attr_str(g, "hash", TML_EXPORT_HASH) || w_attr_i64(g, "n_words", e->n_words) ||
              w_strs(g, "vocab", e->vocab, e->n_words))
                 ? -1
                 : 0;
    H5Gclose(g);
    return rc;
}

/* An encoder's shape (group encoder) and its tokenizer (group tokenizer, data/tokspec_h5.h). */
static int write_encoder(hid_t f, const TmlExport *e) {
    hid_t g = group(f, "encoder");
    if (g < 0) return -1;
    TmlError e2;
    int rc = (w_attr_i64(g, "layers", e->enc_layers) || w_attr_i64(g, "heads", e->enc_heads) ||
              w_attr_i64(g, "max_len", e->enc_max_len) || w_attr_i64(g, "max_positions", e->enc_max_positions) ||
              w_attr_i64(g, "pos_offset", e->enc_pos_offset) || w_attr_i64(g, "type_vocab", e->enc_type_vocab) ||
              tml_h5_attr_f64(g, "ln_eps", e->enc_ln_eps) || tml_tokspec_write_h5(f, "tokenizer", &e->tok, &e2))
                 ? -1
                 : 0;
    H5Gclose(g);
    return rc;
}

static int write_tabular(hid_t f, const TmlExport *e) {
    hid_t g = group(f, "tabular");
    if (g < 0) return -1;
    hid_t c = group(g, "columns"), h = group(g, "history");
    int rc = -1;
    if (c < 0 || h < 0) goto done;
    if (w_attr_i64(g, "dim", e->tab_dim) || w_strs(c, "name", e->col_name, e->n_cols) ||
        w_strs(c, "type", e->col_type, e->n_cols) || w_strs(c, "impute", e->col_impute, e->n_cols) ||
        w_f64s(c, "fill", e->col_fill, e->n_cols) || w_f64s(c, "mean", e->col_mean, e->n_cols) ||
        w_f64s(c, "std", e->col_std, e->n_cols) || w_i64s(c, "offset", e->col_offset, e->n_cols) ||
        w_i64s(c, "n_cats", e->col_n_cats, e->n_cols) || w_strs(g, "categories", e->categories, e->n_categories) ||
        w_strs(g, "feature_names", e->feature_names, e->tab_dim) || w_attr_i64(h, "enabled", e->history_enabled))
        goto done;
    /* written only when set, so exports without them keep their bytes and checksums */
    if ((e->tab_keep_missing && w_attr_i64(g, "keep_missing", e->tab_keep_missing)) ||
        (e->tab_derive && e->tab_derive[0] && w_attr_str(g, "derive", e->tab_derive)))
        goto done;
    if (e->history_enabled &&
        (w_attr_str(h, "customer_column", e->hist_customer) || w_attr_str(h, "time_column", e->hist_time) ||
         w_attr_str(h, "sentiment_column", e->hist_sentiment) || w_attr_str(h, "intent_column", e->hist_intent) ||
         w_attr_str(h, "response_column", e->hist_response) || w_attr_str(h, "cutoff", e->hist_cutoff) ||
         w_strs(h, "features", e->history_features, e->history_dim)))
        goto done;
    rc = 0;
done:
    if (c >= 0) H5Gclose(c);
    if (h >= 0) H5Gclose(h);
    H5Gclose(g);
    return rc;
}

/* Tensors under their key's group ("weights/x" -> group weights, "text/idf" -> group text). */
static int write_tensors(hid_t f, const TmlExport *e) {
    for (int k = 0; k < e->n_tensors; k++) {
        const TmlExportTensor *t = &e->tensors[k];
        const char *slash = strchr(t->key, '/');
        if (!slash) return -1;
        char gname[48];
        snprintf(gname, sizeof gname, "%.*s", (int)(slash - t->key), t->key);
        hid_t g = tml_h5_exists(f, gname) ? H5Gopen2(f, gname, H5P_DEFAULT) : group(f, gname);
        if (g < 0) return -1;
        hsize_t dims[2] = {(hsize_t)t->rows, (hsize_t)t->cols};
        int rc = t->ints ? tml_h5_write(g, slash + 1, H5T_NATIVE_INT32, t->cols > 0 ? 2 : 1, dims, t->ints, 0)
                         : tml_h5_write(g, slash + 1, H5T_NATIVE_FLOAT, t->cols > 0 ? 2 : 1, dims, t->data, 0);
        H5Gclose(g);
        if (rc) return -1;
    }
    return 0;
}

static int write_h5_locked(const TmlExport *e, const char *tmp, TmlError *err) {
    /* built in memory, checksummed and written whole (data/h5.h): a full disk is a plain write
     * error, and a damaged export is refused before HDF5 parses it */
    hid_t f = tml_h5_mem_create(1);
    if (f < 0) return tml_fail(err, "%s: out of memory building the export", tmp);
    hid_t gm = -1, gl = -1, gd = -1;
    int rc = -1;
    if (w_attr_str(f, "format", TML_EXPORT_FORMAT) || w_attr_i64(f, "format_version", e->format_version) ||
        w_attr_str(f, "task", e->task) || w_attr_str(f, "kind", e->kind) || w_attr_str(f, "checksum", e->checksum))
        goto done;
    if ((gm = group(f, "model")) < 0 || w_attr_str(gm, "arch", e->arch) || w_attr_str(gm, "loss", e->loss) ||
        w_attr_str(gm, "bag", e->bag) || w_attr_i64(gm, "in_dim", e->in_dim) || w_attr_i64(gm, "dim", e->dim) ||
        w_attr_i64(gm, "hidden", e->hidden) || w_attr_i64(gm, "n_out", e->n_out))
        goto done;
    if ((gl = group(f, "labels")) < 0 || w_strs(gl, "names", e->labels, e->n_labels) ||
        w_attr_i64(gl, "positive", e->positive))
        goto done;
    if ((gd = group(f, "data")) < 0 || w_attr_str(gd, "text_columns", e->text_columns) ||
        w_attr_str(gd, "label_column", e->label_column) || w_attr_str(gd, "id_column", e->id_column))
        goto done;
    int encoder = e->arch && !strcmp(e->arch, "encoder");
    if ((encoder ? write_encoder(f, e) : !strcmp(e->kind, "text") ? write_text(f, e) : write_tabular(f, e)) ||
        write_tensors(f, e))
        goto done;
    rc = 0;
done:
    if (gm >= 0) H5Gclose(gm);
    if (gl >= 0) H5Gclose(gl);
    if (gd >= 0) H5Gclose(gd);
    if (rc) {
        H5Fclose(f);
        return tml_fail(err, "%s: building the HDF5 export failed (out of memory?)", tmp);
    }
    return tml_h5_mem_save(f, tmp, 0, err); /* the caller fsyncs and renames */
}

/* ---- reading ---------------------------------------------------------------------------------- */

typedef struct Rd {
    const char *path;
    TmlError *err;
    int failed;
} Rd;

static int rd_fail(Rd *r, const char *obj, const char *what) {
    if (!r->failed) tml_fail(r->err, "%s: %s %s; the export is incomplete or truncated: export the model again", r->path,
                             obj, what);
    r->failed = 1;
    return -1;
}

static hid_t open_group(Rd *r, hid_t loc, const char *name) {
    if (r->failed) return -1;
    if (!tml_h5_exists(loc, name)) return rd_fail(r, name, "group is missing"), -1;
    hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
    if (g < 0) rd_fail(r, name, "group cannot be opened");
    return g;
}

static char *r_attr_str(Rd *r, hid_t loc, const char *name) {
    if (r->failed) return NULL;
    if (!tml_h5_has_attr(loc, name)) return rd_fail(r, name, "attribute is missing"), NULL;
    char *out = tml_h5_get_str(loc, name);
    if (!out) rd_fail(r, name, "attribute is not a readable string");
    return out;
}

static int64_t r_attr_i64(Rd *r, hid_t loc, const char *name) {
    if (r->failed) return 0;
    if (!tml_h5_has_attr(loc, name)) return rd_fail(r, name, "attribute is missing"), 0;
    int64_t v = 0;
    if (tml_h5_get_i64(loc, name, &v) < 0) rd_fail(r, name, "attribute is not an integer");
    return v;
}

/* Checks that dataset name exists with rank want_rank; its dims into dims. 0 / -1. */
static int want_data(Rd *r, hid_t loc, const char *name, int want_rank, hsize_t dims[2]) {
    if (r->failed) return -1;
    if (!tml_h5_exists(loc, name)) return rd_fail(r, name, "dataset is missing");
    int rank = tml_h5_rank(loc, name, dims);
    if (rank < 0) return rd_fail(r, name, "dataset cannot be opened");
    if (rank != want_rank) return rd_fail(r, name, want_rank == 1 ? "dataset is not 1-D" : "dataset is not 2-D");
    return 0;
}

static char **r_strs(Rd *r, hid_t loc, const char *name, int64_t *n_out) {
    hsize_t dims[2];
    if (want_data(r, loc, name, 1, dims) < 0) return NULL;
    char **out = tml_h5_read_strs(loc, name, n_out);
    if (!out) rd_fail(r, name, "dataset is not a readable list of strings");
    return out;
}

/* Reads a numeric 1-D dataset of exactly n elements into a new array of mem_type (size elem). */
static void *r_nums(Rd *r, hid_t loc, const char *name, hid_t mem_type, size_t elem, int64_t n) {
    hsize_t dims[2];
    if (want_data(r, loc, name, 1, dims) < 0) return NULL;
    void *out = NULL;
    if ((int64_t)dims[0] != n) {
        rd_fail(r, name, "dataset has the wrong length");
    } else if (!(out = malloc((size_t)(n > 0 ? n : 1) * elem))) {
        rd_fail(r, name, "dataset does not fit in memory");
    } else if (n > 0 && tml_h5_read(loc, name, mem_type, out) < 0) {
        free(out);
        out = NULL;
        rd_fail(r, name, "dataset cannot be read");
    }
    return out;
}

/* 1 when dataset name stores integers (tree indices), 0 for floats, -1 when unreadable. */
static int is_int_dataset(hid_t g, const char *name) {
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t t = H5Dget_type(d);
    int rc = t < 0 ? -1 : H5Tget_class(t) == H5T_INTEGER;
    if (t >= 0) H5Tclose(t);
    H5Dclose(d);
    return rc;
}

static int r_tensor(Rd *r, TmlExport *e, hid_t g, const char *group_name, const char *name) {
    if (r->failed) return -1;
    hsize_t dims[2] = {0, 0};
    int rank = tml_h5_rank(g, name, dims), ints = is_int_dataset(g, name);
    if (rank < 0 || ints < 0) return rd_fail(r, name, "tensor cannot be opened");
    size_t n = (size_t)dims[0] * (size_t)(rank == 2 ? dims[1] : 1);
    void *data = (rank == 1 || rank == 2) ? malloc((n > 0 ? n : 1) * 4) : NULL;
    if (!data || (n > 0 && tml_h5_read(g, name, ints ? H5T_NATIVE_INT32 : H5T_NATIVE_FLOAT, data) < 0)) {
        free(data);
        return rd_fail(r, name, "tensor cannot be read (truncated file?)");
    }
    char key[48];
    snprintf(key, sizeof key, "%s/%s", group_name, name);
    int64_t rows = (int64_t)dims[0], cols = rank == 2 ? (int64_t)dims[1] : 0;
    if ((ints ? tml_export_add_tensor_i32(e, key, rows, cols, data, r->err)
              : tml_export_add_tensor(e, key, rows, cols, data, r->err)) < 0) {
        r->failed = 1;
        return -1;
    }
    return 0;
}

static herr_t collect_name(hid_t g, const char *name, const H5L_info_t *info, void *op) {
    char ***names = (char ***)op;
    int n = 0;
    while ((*names)[n]) n++;
    if (n >= TML_EXPORT_MAX_TENSORS + 1) return 1; /* more than any version-1 model has: stop */
    (*names)[n] = strdup(name);
    return 0;
}

static void read_text(Rd *r, hid_t f, TmlExport *e) {
    hid_t g = open_group(r, f, "text");
    if (g < 0) return;
    TmlTextConfig *c = &e->text;
    c->normalize = (int)r_attr_i64(r, g, "normalize");
    c->placeholders = (int)r_attr_i64(r, g, "placeholders");
    c->cjk_bigrams = (int)r_attr_i64(r, g, "cjk_bigrams");
    c->word_ngrams = (int)r_attr_i64(r, g, "word_ngrams");
    c->minn = (int)r_attr_i64(r, g, "minn");
    c->maxn = (int)r_attr_i64(r, g, "maxn");
    c->buckets = r_attr_i64(r, g, "buckets");
    c->min_count = (int)r_attr_i64(r, g, "min_count");
    c->tfidf = (int)r_attr_i64(r, g, "tfidf");
    c->invalid_utf8 = (int)r_attr_i64(r, g, "invalid_utf8");
    char *hash = r_attr_str(r, g, "hash");
    if (hash && strcmp(hash, TML_EXPORT_HASH) != 0) {
        tml_fail(r->err, "%s: text/hash is '%s'; this library implements only %s", r->path, hash, TML_EXPORT_HASH);
        r->failed = 1;
    }
    free(hash);
    int64_t nw = r_attr_i64(r, g, "n_words"), n = 0;
    e->vocab = r_strs(r, g, "vocab", &n);
    e->n_words = e->vocab ? n : 0;
    if (!r->failed && n != nw) rd_fail(r, "text/vocab", "length differs from text/n_words");
    if (!r->failed && tml_h5_exists(g, "idf")) r_tensor(r, e, g, "text", "idf");
    H5Gclose(g);
}

static void read_encoder(Rd *r, hid_t f, TmlExport *e) {
    hid_t g = open_group(r, f, "encoder");
    if (g < 0) return;
    e->enc_layers = r_attr_i64(r, g, "layers");
    e->enc_heads = r_attr_i64(r, g, "heads");
    e->enc_max_len = r_attr_i64(r, g, "max_len");
    e->enc_max_positions = r_attr_i64(r, g, "max_positions");
    e->enc_pos_offset = r_attr_i64(r, g, "pos_offset");
    e->enc_type_vocab = r_attr_i64(r, g, "type_vocab");
    if (!r->failed && tml_h5_get_f64(g, "ln_eps", &e->enc_ln_eps)) rd_fail(r, "encoder/ln_eps", "attribute is missing");
    H5Gclose(g);
    if (!r->failed && tml_tokspec_read_h5(f, "tokenizer", &e->tok, r->path, r->err)) r->failed = 1;
}

static void read_tabular(Rd *r, hid_t f, TmlExport *e) {
    hid_t g = open_group(r, f, "tabular");
    hid_t c = g >= 0 ? open_group(r, g, "columns") : -1;
    hid_t h = c >= 0 ? open_group(r, g, "history") : -1;
    if (h < 0) goto done;
    int64_t n = 0;
    e->tab_dim = r_attr_i64(r, g, "dim");
    if ((e->col_name = r_strs(r, c, "name", &n))) e->n_cols = n;
    int64_t n2 = 0, n3 = 0;
    e->col_type = r_strs(r, c, "type", &n2);
    e->col_impute = r_strs(r, c, "impute", &n3);
    /* lists of other lengths than n_cols could not be freed by count: drop them here */
    if (e->col_type && n2 != n) {
        for (int64_t i = 0; i < n2; i++) free(e->col_type[i]);
        free(e->col_type);
        e->col_type = NULL;
        rd_fail(r, "tabular/columns/type", "length differs from tabular/columns/name");
    }
    if (e->col_impute && n3 != n) {
        for (int64_t i = 0; i < n3; i++) free(e->col_impute[i]);
        free(e->col_impute);
        e->col_impute = NULL;
        rd_fail(r, "tabular/columns/impute", "length differs from tabular/columns/name");
    }
    if (r->failed) goto done;
    e->col_fill = r_nums(r, c, "fill", H5T_NATIVE_DOUBLE, sizeof(double), n);
    e->col_mean = r_nums(r, c, "mean", H5T_NATIVE_DOUBLE, sizeof(double), n);
    e->col_std = r_nums(r, c, "std", H5T_NATIVE_DOUBLE, sizeof(double), n);
    e->col_offset = r_nums(r, c, "offset", H5T_NATIVE_INT64, sizeof(int64_t), n);
    e->col_n_cats = r_nums(r, c, "n_cats", H5T_NATIVE_INT64, sizeof(int64_t), n);
    if ((e->categories = r_strs(r, g, "categories", &n2))) e->n_categories = n2;
    char **fn = r_strs(r, g, "feature_names", &n2);
    if (fn && n2 != e->tab_dim) {
        for (int64_t i = 0; i < n2; i++) free(fn[i]);
        free(fn);
        fn = NULL;
        rd_fail(r, "tabular/feature_names", "length differs from tabular/dim");
    }
    e->feature_names = fn;
    if (!fn) e->tab_dim = 0; /* nothing to free */
    if (!r->failed && tml_h5_has_attr(g, "keep_missing")) e->tab_keep_missing = r_attr_i64(r, g, "keep_missing");
    if (!r->failed && tml_h5_has_attr(g, "derive")) e->tab_derive = r_attr_str(r, g, "derive");
    e->history_enabled = r_attr_i64(r, h, "enabled");
    if (!r->failed && e->history_enabled) {
        e->hist_customer = r_attr_str(r, h, "customer_column");
        e->hist_time = r_attr_str(r, h, "time_column");
        e->hist_sentiment = r_attr_str(r, h, "sentiment_column");
        e->hist_intent = r_attr_str(r, h, "intent_column");
        e->hist_response = r_attr_str(r, h, "response_column");
        e->hist_cutoff = r_attr_str(r, h, "cutoff");
        if ((e->history_features = r_strs(r, h, "features", &n2))) e->history_dim = n2;
    }
done:
    if (h >= 0) H5Gclose(h);
    if (c >= 0) H5Gclose(c);
    if (g >= 0) H5Gclose(g);
}

static TmlExport *read_h5_locked(const char *path, TmlError *err) {
    tml_h5_quiet();
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        tml_fail(err, "%s: cannot open the export (no such file or not readable)", path);
        return NULL;
    }
    fclose(probe);
    /* one read; the checksum (exports written since it exists) before HDF5 parses anything */
    int checked;
    TmlError eo;
    hid_t f = tml_h5_open_checked(path, &checked, &eo);
    if (f < 0) {
        if (strstr(eo.msg, "the file is damaged")) tml_fail(err, "%s; export the model again", eo.msg);
        else tml_fail(err, "%s: not an HDF5 export (or truncated or damaged at its start); export the model again", path);
        return NULL;
    }
    Rd r = {path, err, 0};
    TmlExport *e = tml_export_new();
    hid_t gm = -1, gl = -1, gd = -1, gw = -1;
    char **names = NULL;
    if (!e) {
        tml_fail(err, "out of memory");
        goto fail;
    }
    char *format = r_attr_str(&r, f, "format");
    if (format && strcmp(format, TML_EXPORT_FORMAT) != 0) {
        tml_fail(err, "%s: not a ticketml export (format '%s'); `ticketml export` writes one", path, format);
        r.failed = 1;
    }
    free(format);
    if (r.failed) goto fail;
    e->format_version = r_attr_i64(&r, f, "format_version");
    if (!r.failed && (e->format_version > TML_EXPORT_VERSION || e->format_version < 1)) {
        tml_fail(err, "%s: export format version %lld is not supported (this library reads version %d); use a "
                 "newer ticketml serving library or export with this one", path, (long long)e->format_version,
                 TML_EXPORT_VERSION);
        goto fail;
    }
    e->task = r_attr_str(&r, f, "task");
    e->kind = r_attr_str(&r, f, "kind");
    char *sum = r_attr_str(&r, f, "checksum");
    if (sum) snprintf(e->checksum, sizeof e->checksum, "%s", sum);
    free(sum);
    if ((gm = open_group(&r, f, "model")) >= 0) {
        e->arch = r_attr_str(&r, gm, "arch");
        e->loss = r_attr_str(&r, gm, "loss");
        e->bag = r_attr_str(&r, gm, "bag");
        e->in_dim = r_attr_i64(&r, gm, "in_dim");
        e->dim = r_attr_i64(&r, gm, "dim");
        e->hidden = r_attr_i64(&r, gm, "hidden");
        e->n_out = r_attr_i64(&r, gm, "n_out");
    }
    if ((gl = open_group(&r, f, "labels")) >= 0) {
        int64_t n = 0;
        if ((e->labels = r_strs(&r, gl, "names", &n))) e->n_labels = n;
        e->positive = r_attr_i64(&r, gl, "positive");
    }
    if ((gd = open_group(&r, f, "data")) >= 0) {
        e->text_columns = r_attr_str(&r, gd, "text_columns");
        e->label_column = r_attr_str(&r, gd, "label_column");
        e->id_column = r_attr_str(&r, gd, "id_column");
    }
    if (r.failed) goto fail;
    if (e->arch && !strcmp(e->arch, "encoder") && !strcmp(e->kind, "text")) read_encoder(&r, f, e);
    else if (!strcmp(e->kind, "text")) read_text(&r, f, e);
    else if (!strcmp(e->kind, "tabular")) read_tabular(&r, f, e);
    else {
        tml_fail(err, "%s: unknown kind '%s' (a newer ticketml wrote this export?)", path, e->kind);
        goto fail;
    }
    /* a network keeps its tensors in weights/, a tree model in trees/ */
    const char *tgroup = e->arch && !strcmp(e->arch, "gbdt") ? "trees" : "weights";
    if ((gw = open_group(&r, f, tgroup)) < 0) goto fail;
    names = calloc(TML_EXPORT_MAX_TENSORS + 2, sizeof *names);
    if (!names) goto fail;
    hsize_t idx = 0;
    H5Literate(gw, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_name, &names);
    for (int k = 0; names[k] && !r.failed; k++) r_tensor(&r, e, gw, tgroup, names[k]);
    if (r.failed) goto fail;
    for (int k = 0; names[k]; k++) free(names[k]);
    free(names);
    H5Gclose(gw);
    H5Gclose(gm);
    H5Gclose(gl);
    H5Gclose(gd);
    H5Fclose(f);
    return e;
fail:
    if (names)
        for (int k = 0; names[k]; k++) free(names[k]);
    free(names);
    if (gw >= 0) H5Gclose(gw);
    if (gm >= 0) H5Gclose(gm);
    if (gl >= 0) H5Gclose(gl);
    if (gd >= 0) H5Gclose(gd);
    H5Fclose(f);
    tml_export_free(e);
    return NULL;
}

int tml_export_write_h5(const TmlExport *e, const char *tmp, TmlError *err) {
    pthread_mutex_lock(&h5_lock);
    int rc = write_h5_locked(e, tmp, err);
    pthread_mutex_unlock(&h5_lock);
    return rc;
}

TmlExport *tml_export_read_h5(const char *path, TmlError *err) {
    pthread_mutex_lock(&h5_lock);
    TmlExport *e = read_h5_locked(path, err);
    pthread_mutex_unlock(&h5_lock);
    return e;
}
