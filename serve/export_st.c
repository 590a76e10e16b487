/* export_st.c — the export as model.safetensors (the tensors: weights, the idf vector, a tree
 * model's int32 and float32 arrays) plus model.json (every other field, nested the same way as the HDF5 groups). safetensors is an
 * 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}} padded
 * with spaces to a multiple of 8, then the raw data; offsets are relative to the data start.
 * Layout in docs/export-format.md. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "serve/export_formats.h"

/* ---- writing ---------------------------------------------------------------------------------- */

/* Adds key -> value to o, taking the reference; a NULL value (invalid UTF-8 or out of memory)
 * marks the build failed. */
static int put(json_t *o, const char *key, json_t *v, int *bad) {
    if (!v) {
        *bad = 1;
        return -1;
    }
    json_object_set_new(o, key, v);
    return 0;
}

static json_t *str_list(char *const *s, int64_t n) {
    json_t *a = json_array();
    for (int64_t i = 0; a && i < n; i++) {
        json_t *v = json_string(s[i] ? s[i] : "");
        if (!v || json_array_append_new(a, v)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *int_list(const int64_t *v, int64_t n) {
    json_t *a = json_array();
    for (int64_t i = 0; a && i < n; i++) json_array_append_new(a, json_integer((json_int_t)v[i]));
    return a;
}

static json_t *real_list(const double *v, int64_t n) {
    json_t *a = json_array();
    for (int64_t i = 0; a && i < n; i++) json_array_append_new(a, json_real(v[i]));
    return a;
}

/* The encoder's shape and its tokenizer (the character map as lowercase hex). */
static void put_encoder(json_t *root, const TmlExport *e, int *bad) {
    json_t *g = json_object(), *t = json_object();
    put(g, "layers", json_integer(e->enc_layers), bad);
    put(g, "heads", json_integer(e->enc_heads), bad);
    put(g, "max_len", json_integer(e->enc_max_len), bad);
    put(g, "max_positions", json_integer(e->enc_max_positions), bad);
    put(g, "pos_offset", json_integer(e->enc_pos_offset), bad);
    put(g, "type_vocab", json_integer(e->enc_type_vocab), bad);
    put(g, "ln_eps", json_real(e->enc_ln_eps), bad);
    put(root, "encoder", g, bad);
    const TmlTokSpec *k = &e->tok;
    put(t, "kind", json_string(tml_tokkind_name(k->kind)), bad);
    put(t, "pieces", str_list(k->pieces, k->n_pieces), bad);
    const struct {
        const char *name;
        int64_t v;
    } ints[] = {{"unk", k->unk}, {"first", k->first}, {"last", k->last}, {"pad", k->pad},
                {"clean_text", k->clean_text}, {"chinese_chars", k->chinese_chars},
                {"strip_accents", k->strip_accents}, {"lowercase", k->lowercase},
                {"max_word_chars", k->max_word_chars}, {"collapse_spaces", k->collapse_spaces}};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) put(t, ints[i].name, json_integer(ints[i].v), bad);
    put(t, "prefix", json_string(k->prefix), bad);
    if (k->scores) put(t, "scores", real_list(k->scores, k->n_pieces), bad);
    if (k->n_control > 0) {
        json_t *a = json_array();
        for (int32_t i = 0; a && i < k->n_control; i++) json_array_append_new(a, json_integer(k->control[i]));
        put(t, "control", a, bad);
    }
    if (k->charsmap_len) {
        char *hex = malloc(2 * k->charsmap_len + 1);
        if (hex) {
            for (size_t i = 0; i < k->charsmap_len; i++) snprintf(hex + 2 * i, 3, "%02x", k->charsmap[i]);
            put(t, "charsmap_hex", json_string(hex), bad);
            free(hex);
        } else {
            *bad = 1;
        }
    }
    put(root, "tokenizer", t, bad);
}

static json_t *build_json(const TmlExport *e, int *bad) {
    json_t *root = json_object(), *m = json_object(), *l = json_object(), *d = json_object();
    put(root, "format", json_string(TML_EXPORT_FORMAT), bad);
    put(root, "format_version", json_integer(e->format_version), bad);
    put(root, "task", json_string(e->task), bad);
    put(root, "kind", json_string(e->kind), bad);
    put(root, "checksum", json_string(e->checksum), bad);
    put(m, "arch", json_string(e->arch), bad);
    put(m, "loss", json_string(e->loss), bad);
    put(m, "bag", json_string(e->bag), bad);
    put(m, "in_dim", json_integer(e->in_dim), bad);
    put(m, "dim", json_integer(e->dim), bad);
    put(m, "hidden", json_integer(e->hidden), bad);
    put(m, "n_out", json_integer(e->n_out), bad);
    put(root, "model", m, bad);
    put(l, "names", str_list(e->labels, e->n_labels), bad);
    put(l, "positive", json_integer(e->positive), bad);
    put(root, "labels", l, bad);
    put(d, "text_columns", json_string(e->text_columns), bad);
    put(d, "label_column", json_string(e->label_column), bad);
    put(d, "id_column", json_string(e->id_column), bad);
    put(root, "data", d, bad);
    if (e->arch && !strcmp(e->arch, "encoder")) {
        put_encoder(root, e, bad);
    } else if (!strcmp(e->kind, "text")) {
        const TmlTextConfig *c = &e->text;
        json_t *t = json_object();
        put(t, "normalize", json_integer(c->normalize), bad);
        put(t, "placeholders", json_integer(c->placeholders), bad);
        put(t, "cjk_bigrams", json_integer(c->cjk_bigrams), bad);
        put(t, "word_ngrams", json_integer(c->word_ngrams), bad);
        put(t, "minn", json_integer(c->minn), bad);
        put(t, "maxn", json_integer(c->maxn), bad);
        put(t, "buckets", json_integer(c->buckets), bad);
        put(t, "min_count", json_integer(c->min_count), bad);
        put(t, "tfidf", json_integer(c->tfidf), bad);
        put(t, "invalid_utf8", json_integer(c->invalid_utf8), bad);
        put(t, "hash", json_string(TML_EXPORT_HASH), bad);
        put(t, "n_words", json_integer(e->n_words), bad);
        put(t, "vocab", str_list(e->vocab, e->n_words), bad);
        put(root, "text", t, bad);
    } else {
        json_t *t = json_object(), *c = json_object(), *h = json_object();
        put(t, "dim", json_integer(e->tab_dim), bad);
        put(c, "name", str_list(e->col_name, e->n_cols), bad);
        put(c, "type", str_list(e->col_type, e->n_cols), bad);
        put(c, "impute", str_list(e->col_impute, e->n_cols), bad);
        put(c, "fill", real_list(e->col_fill, e->n_cols), bad);
        put(c, "mean", real_list(e->col_mean, e->n_cols), bad);
        put(c, "std", real_list(e->col_std, e->n_cols), bad);
        put(c, "offset", int_list(e->col_offset, e->n_cols), bad);
        put(c, "n_cats", int_list(e->col_n_cats, e->n_cols), bad);
        put(t, "columns", c, bad);
        put(t, "categories", str_list(e->categories, e->n_categories), bad);
        put(t, "feature_names", str_list(e->feature_names, e->tab_dim), bad);
        if (e->tab_keep_missing) put(t, "keep_missing", json_integer(e->tab_keep_missing), bad);
        if (e->tab_derive && e->tab_derive[0]) put(t, "derive", json_string(e->tab_derive), bad);
        put(h, "enabled", json_integer(e->history_enabled), bad);
        if (e->history_enabled) {
            put(h, "customer_column", json_string(e->hist_customer ? e->hist_customer : ""), bad);
            put(h, "time_column", json_string(e->hist_time ? e->hist_time : ""), bad);
            put(h, "sentiment_column", json_string(e->hist_sentiment ? e->hist_sentiment : ""), bad);
            put(h, "intent_column", json_string(e->hist_intent ? e->hist_intent : ""), bad);
            put(h, "response_column", json_string(e->hist_response ? e->hist_response : ""), bad);
            put(h, "cutoff", json_string(e->hist_cutoff ? e->hist_cutoff : ""), bad);
            put(h, "features", str_list(e->history_features, e->history_dim), bad);
        }
        put(t, "history", h, bad);
        put(root, "tabular", t, bad);
    }
    return root;
}

static int cmp_tensor_ptr(const void *a, const void *b) {
    return strcmp((*(const TmlExportTensor *const *)a)->key, (*(const TmlExportTensor *const *)b)->key);
}

static int write_safetensors(const TmlExport *e, const char *path, TmlError *err) {
    const TmlExportTensor *ts[TML_EXPORT_MAX_TENSORS + 1];
    for (int k = 0; k < e->n_tensors; k++) ts[k] = &e->tensors[k];
    qsort(ts, (size_t)e->n_tensors, sizeof ts[0], cmp_tensor_ptr);
    json_t *hdr = json_object(), *meta = json_object();
    char ver[16];
    snprintf(ver, sizeof ver, "%lld", (long long)e->format_version);
    json_object_set_new(meta, "format", json_string(TML_EXPORT_FORMAT));
    json_object_set_new(meta, "format_version", json_string(ver));
    json_object_set_new(hdr, "__metadata__", meta);
    uint64_t off = 0;
    for (int k = 0; k < e->n_tensors; k++) {
        const TmlExportTensor *t = ts[k];
        uint64_t n = (uint64_t)t->rows * (uint64_t)(t->cols > 0 ? t->cols : 1);
        json_t *shape = json_array();
        json_array_append_new(shape, json_integer(t->rows));
        if (t->cols > 0) json_array_append_new(shape, json_integer(t->cols));
        json_t *o = json_object(), *offs = json_array();
        json_array_append_new(offs, json_integer((json_int_t)off));
        json_array_append_new(offs, json_integer((json_int_t)(off + 4 * n)));
        json_object_set_new(o, "dtype", json_string(t->ints ? "I32" : "F32"));
        json_object_set_new(o, "shape", shape);
        json_object_set_new(o, "data_offsets", offs);
        json_object_set_new(hdr, t->key, o);
        off += 4 * n;
    }
    char *text = json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(hdr);
    if (!text) return tml_fail(err, "out of memory building the safetensors header");
    size_t len = strlen(text), padded = (len + 7) / 8 * 8;
    FILE *f = fopen(path, "wb");
    if (!f) {
        int e = errno;
        free(text);
        return tml_fail(err, "%s: cannot create the file: %s (is the folder writable?)", path, strerror(e));
    }
    uint64_t hl = padded;
    int ok = fwrite(&hl, 8, 1, f) == 1 && fwrite(text, 1, len, f) == len;
    for (size_t i = len; ok && i < padded; i++) ok = fputc(' ', f) != EOF;
    for (int k = 0; ok && k < e->n_tensors; k++) {
        size_t n = (size_t)ts[k]->rows * (size_t)(ts[k]->cols > 0 ? ts[k]->cols : 1);
        const void *src = ts[k]->ints ? (const void *)ts[k]->ints : (const void *)ts[k]->data;
        ok = n == 0 || fwrite(src, 4, n, f) == n;
    }
    int en = ok ? 0 : errno;
    free(text);
    if (fclose(f) != 0 && ok) ok = 0, en = errno;
    return ok ? 0 : tml_fail(err, "%s: write failed: %s%s; nothing was written", path, en ? strerror(en) : "I/O error",
                             en == ENOSPC ? " (free some space or write elsewhere)" : "");
}

int tml_export_write_st(const TmlExport *e, const char *tmp_st, const char *tmp_json, TmlError *err) {
    int bad = 0;
    json_t *root = build_json(e, &bad);
    if (bad) {
        json_decref(root);
        return tml_fail(err, "a label, vocabulary word, column or category name is not valid UTF-8, which JSON cannot "
                        "hold; export with --format hdf5");
    }
    int rc = json_dump_file(root, tmp_json, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (rc != 0) {
        int e = errno;
        return tml_fail(err, "%s: write failed: %s%s; nothing was written", tmp_json, e ? strerror(e) : "I/O error",
                        e == ENOSPC ? " (free some space or write elsewhere)" : "");
    }
    return write_safetensors(e, tmp_st, err);
}

/* ---- reading ---------------------------------------------------------------------------------- */

typedef struct Jr {
    const char *path;
    TmlError *err;
    int failed;
} Jr;

static json_t *jget(Jr *r, json_t *o, const char *key, const char *path, int type) {
    if (r->failed) return NULL;
    json_t *v = o ? json_object_get(o, key) : NULL;
    static const char *const names[] = {"an object", "an array", "a string", "an integer", "a number"};
    int ok = v && ((type == JSON_OBJECT && json_is_object(v)) || (type == JSON_ARRAY && json_is_array(v)) ||
                   (type == JSON_STRING && json_is_string(v)) || (type == JSON_INTEGER && json_is_integer(v)));
    if (!ok) {
        int k = type == JSON_OBJECT ? 0 : type == JSON_ARRAY ? 1 : type == JSON_STRING ? 2 : 3;
        tml_fail(r->err, "%s: key \"%s\" is %s, expected %s; export the model again", r->path, path,
                 v ? "of the wrong type" : "missing", names[k]);
        r->failed = 1;
        return NULL;
    }
    return v;
}

static char *jstr(Jr *r, json_t *o, const char *key, const char *path) {
    json_t *v = jget(r, o, key, path, JSON_STRING);
    char *s = v ? strdup(json_string_value(v)) : NULL;
    if (v && !s) r->failed = 1;
    return s;
}

static int64_t jint(Jr *r, json_t *o, const char *key, const char *path) {
    json_t *v = jget(r, o, key, path, JSON_INTEGER);
    return v ? (int64_t)json_integer_value(v) : 0;
}

static char **jstrs(Jr *r, json_t *o, const char *key, const char *path, int64_t *n_out) {
    json_t *a = jget(r, o, key, path, JSON_ARRAY);
    if (!a) return NULL;
    int64_t n = (int64_t)json_array_size(a);
    char **out = calloc((size_t)(n > 0 ? n : 1), sizeof *out);
    for (int64_t i = 0; out && i < n; i++) {
        json_t *v = json_array_get(a, (size_t)i);
        if (!json_is_string(v) || !(out[i] = strdup(json_string_value(v)))) {
            for (int64_t k = 0; k < i; k++) free(out[k]);
            free(out);
            out = NULL;
        }
    }
    if (!out) {
        tml_fail(r->err, "%s: \"%s\" must be a list of strings", r->path, path);
        r->failed = 1;
        return NULL;
    }
    *n_out = n;
    return out;
}

/* A numeric list of exactly n entries: int64 (is_int) or double. */
static void *jnums(Jr *r, json_t *o, const char *key, const char *path, int64_t n, int is_int) {
    json_t *a = jget(r, o, key, path, JSON_ARRAY);
    if (!a) return NULL;
    void *out = NULL;
    if ((int64_t)json_array_size(a) == n && (out = malloc((size_t)(n > 0 ? n : 1) * 8))) {
        for (int64_t i = 0; i < n; i++) {
            json_t *v = json_array_get(a, (size_t)i);
            if (is_int && json_is_integer(v)) ((int64_t *)out)[i] = (int64_t)json_integer_value(v);
            else if (!is_int && json_is_number(v)) ((double *)out)[i] = json_number_value(v);
            else {
                free(out);
                out = NULL;
                break;
            }
        }
    }
    if (!out) {
        tml_fail(r->err, "%s: \"%s\" must be a list of %lld %s", r->path, path, (long long)n,
                 is_int ? "integers" : "numbers");
        r->failed = 1;
    }
    return out;
}

static void read_text_json(Jr *r, json_t *root, TmlExport *e) {
    json_t *t = jget(r, root, "text", "text", JSON_OBJECT);
    TmlTextConfig *c = &e->text;
    c->normalize = (int)jint(r, t, "normalize", "text/normalize");
    c->placeholders = (int)jint(r, t, "placeholders", "text/placeholders");
    c->cjk_bigrams = (int)jint(r, t, "cjk_bigrams", "text/cjk_bigrams");
    c->word_ngrams = (int)jint(r, t, "word_ngrams", "text/word_ngrams");
    c->minn = (int)jint(r, t, "minn", "text/minn");
    c->maxn = (int)jint(r, t, "maxn", "text/maxn");
    c->buckets = jint(r, t, "buckets", "text/buckets");
    c->min_count = (int)jint(r, t, "min_count", "text/min_count");
    c->tfidf = (int)jint(r, t, "tfidf", "text/tfidf");
    c->invalid_utf8 = (int)jint(r, t, "invalid_utf8", "text/invalid_utf8");
    char *hash = jstr(r, t, "hash", "text/hash");
    if (hash && strcmp(hash, TML_EXPORT_HASH) != 0) {
        tml_fail(r->err, "%s: text/hash is '%s'; this library implements only %s", r->path, hash, TML_EXPORT_HASH);
        r->failed = 1;
    }
    free(hash);
    int64_t nw = jint(r, t, "n_words", "text/n_words"), n = 0;
    if ((e->vocab = jstrs(r, t, "vocab", "text/vocab", &n))) e->n_words = n;
    if (!r->failed && n != nw) {
        tml_fail(r->err, "%s: text/vocab holds %lld words, text/n_words says %lld", r->path, (long long)n,
                 (long long)nw);
        r->failed = 1;
    }
}

static int hexval(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void read_encoder_json(Jr *r, json_t *root, TmlExport *e) {
    json_t *g = jget(r, root, "encoder", "encoder", JSON_OBJECT);
    e->enc_layers = jint(r, g, "layers", "encoder/layers");
    e->enc_heads = jint(r, g, "heads", "encoder/heads");
    e->enc_max_len = jint(r, g, "max_len", "encoder/max_len");
    e->enc_max_positions = jint(r, g, "max_positions", "encoder/max_positions");
    e->enc_pos_offset = jint(r, g, "pos_offset", "encoder/pos_offset");
    e->enc_type_vocab = jint(r, g, "type_vocab", "encoder/type_vocab");
    json_t *eps = g ? json_object_get(g, "ln_eps") : NULL;
    if (!r->failed && !json_is_number(eps)) {
        tml_fail(r->err, "%s: key \"encoder/ln_eps\" is missing or not a number; export the model again", r->path);
        r->failed = 1;
    }
    if (!r->failed) e->enc_ln_eps = json_number_value(eps);
    json_t *t = jget(r, root, "tokenizer", "tokenizer", JSON_OBJECT);
    TmlTokSpec *k = &e->tok;
    char *kind = jstr(r, t, "kind", "tokenizer/kind"), *prefix = jstr(r, t, "prefix", "tokenizer/prefix");
    k->kind = tml_tokkind_parse(kind);
    if (prefix && strlen(prefix) < sizeof k->prefix) strcpy(k->prefix, prefix);
    else if (prefix) k->prefix[0] = 0, k->max_word_chars = 0; /* refused by the check below */
    free(kind), free(prefix);
    int64_t n = 0;
    if ((k->pieces = jstrs(r, t, "pieces", "tokenizer/pieces", &n))) k->n_pieces = (int32_t)n;
    const char *names[] = {"unk", "first", "last", "pad", "clean_text", "chinese_chars", "strip_accents",
                           "lowercase", "max_word_chars", "collapse_spaces"};
    int32_t *i32[] = {&k->unk, &k->first, &k->last, &k->pad};
    int *flags[] = {&k->clean_text, &k->chinese_chars, &k->strip_accents, &k->lowercase, &k->max_word_chars,
                    &k->collapse_spaces};
    for (int i = 0; i < 10; i++) {
        char path[64];
        snprintf(path, sizeof path, "tokenizer/%s", names[i]);
        int64_t v = jint(r, t, names[i], path);
        if (v < -1 || v > INT32_MAX) v = -1;
        if (i < 4) *i32[i] = (int32_t)v;
        else *flags[i - 4] = (int)v;
    }
    if (!r->failed && json_object_get(t, "scores")) k->scores = jnums(r, t, "scores", "tokenizer/scores", n, 0);
    json_t *c = t ? json_object_get(t, "control") : NULL;
    if (!r->failed && c) {
        int64_t nc = (int64_t)json_array_size(c);
        int64_t *v = nc > 0 && nc <= n ? jnums(r, t, "control", "tokenizer/control", nc, 1) : NULL;
        if (v && (k->control = malloc(sizeof(int32_t) * (size_t)nc))) {
            for (int64_t i = 0; i < nc; i++) k->control[i] = v[i] >= 0 && v[i] < n ? (int32_t)v[i] : -1;
            k->n_control = (int32_t)nc;
        } else if (!r->failed) {
            tml_fail(r->err, "%s: \"tokenizer/control\" must be a list of piece ids", r->path);
            r->failed = 1;
        }
        free(v);
    }
    json_t *hx = t ? json_object_get(t, "charsmap_hex") : NULL;
    if (!r->failed && hx) {
        const char *h = json_string_value(hx);
        size_t len = h ? strlen(h) : 1;
        if (!h || len % 2 || len == 0 || !(k->charsmap = malloc(len / 2))) {
            tml_fail(r->err, "%s: \"tokenizer/charsmap_hex\" must be a string of hex byte pairs", r->path);
            r->failed = 1;
        } else {
            k->charsmap_len = len / 2;
            for (size_t i = 0; i < len / 2 && !r->failed; i++) {
                int a = hexval(h[2 * i]), b = hexval(h[2 * i + 1]);
                if (a < 0 || b < 0) {
                    tml_fail(r->err, "%s: \"tokenizer/charsmap_hex\" holds a character that is not hex", r->path);
                    r->failed = 1;
                }
                k->charsmap[i] = (unsigned char)(a << 4 | b);
            }
        }
    }
    if (!r->failed && tml_tokspec_check(k, r->path, r->err)) r->failed = 1;
}

static void read_tabular_json(Jr *r, json_t *root, TmlExport *e) {
    json_t *t = jget(r, root, "tabular", "tabular", JSON_OBJECT);
    json_t *c = jget(r, t, "columns", "tabular/columns", JSON_OBJECT);
    json_t *h = jget(r, t, "history", "tabular/history", JSON_OBJECT);
    int64_t n = 0, n2 = 0;
    e->tab_dim = jint(r, t, "dim", "tabular/dim");
    if ((e->col_name = jstrs(r, c, "name", "tabular/columns/name", &n))) e->n_cols = n;
    if (r->failed) return;
    char **ty = jstrs(r, c, "type", "tabular/columns/type", &n2);
    if (ty && n2 != n) {
        for (int64_t i = 0; i < n2; i++) free(ty[i]);
        free(ty);
        ty = NULL;
        tml_fail(r->err, "%s: tabular/columns/type has %lld entries for %lld columns", r->path, (long long)n2,
                 (long long)n);
        r->failed = 1;
    }
    e->col_type = ty;
    char **im = jstrs(r, c, "impute", "tabular/columns/impute", &n2);
    if (im && n2 != n) {
        for (int64_t i = 0; i < n2; i++) free(im[i]);
        free(im);
        im = NULL;
        tml_fail(r->err, "%s: tabular/columns/impute has %lld entries for %lld columns", r->path, (long long)n2,
                 (long long)n);
        r->failed = 1;
    }
    e->col_impute = im;
    e->col_fill = jnums(r, c, "fill", "tabular/columns/fill", n, 0);
    e->col_mean = jnums(r, c, "mean", "tabular/columns/mean", n, 0);
    e->col_std = jnums(r, c, "std", "tabular/columns/std", n, 0);
    e->col_offset = jnums(r, c, "offset", "tabular/columns/offset", n, 1);
    e->col_n_cats = jnums(r, c, "n_cats", "tabular/columns/n_cats", n, 1);
    if ((e->categories = jstrs(r, t, "categories", "tabular/categories", &n2))) e->n_categories = n2;
    int64_t dim = e->tab_dim;
    e->tab_dim = 0; /* feature_names is freed by tab_dim: set it once they are in */
    char **fn = jstrs(r, t, "feature_names", "tabular/feature_names", &n2);
    if (fn && n2 != dim) {
        for (int64_t i = 0; i < n2; i++) free(fn[i]);
        free(fn);
        fn = NULL;
        tml_fail(r->err, "%s: tabular/feature_names has %lld entries, tabular/dim says %lld", r->path, (long long)n2,
                 (long long)dim);
        r->failed = 1;
    }
    if ((e->feature_names = fn)) e->tab_dim = dim;
    if (json_object_get(t, "keep_missing")) e->tab_keep_missing = jint(r, t, "keep_missing", "tabular/keep_missing");
    if (json_object_get(t, "derive")) e->tab_derive = jstr(r, t, "derive", "tabular/derive");
    e->history_enabled = jint(r, h, "enabled", "tabular/history/enabled");
    if (!r->failed && e->history_enabled) {
        e->hist_customer = jstr(r, h, "customer_column", "tabular/history/customer_column");
        e->hist_time = jstr(r, h, "time_column", "tabular/history/time_column");
        e->hist_sentiment = jstr(r, h, "sentiment_column", "tabular/history/sentiment_column");
        e->hist_intent = jstr(r, h, "intent_column", "tabular/history/intent_column");
        e->hist_response = jstr(r, h, "response_column", "tabular/history/response_column");
        e->hist_cutoff = jstr(r, h, "cutoff", "tabular/history/cutoff");
        if ((e->history_features = jstrs(r, h, "features", "tabular/history/features", &n2))) e->history_dim = n2;
    }
}

/* Reads the tensors of a safetensors file into e, checking every offset against the file size
 * (a truncated file is named as such). */
static int read_safetensors(const char *path, TmlExport *e, TmlError *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return tml_fail(err, "%s: cannot open (model.json needs model.safetensors beside it)", path);
    struct stat st;
    uint64_t hl = 0;
    int rc = -1;
    char *hdr_text = NULL;
    json_t *hdr = NULL;
    if (fstat(fileno(f), &st) != 0 || st.st_size < 8 || fread(&hl, 8, 1, f) != 1) {
        tml_fail(err, "%s: truncated (shorter than the 8-byte header length); export the model again", path);
        goto done;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (hl > size - 8 || hl > (100u << 20)) {
        tml_fail(err, "%s: truncated or not a safetensors file (header of %llu bytes in a %llu-byte file)", path,
                 (unsigned long long)hl, (unsigned long long)size);
        goto done;
    }
    if (!(hdr_text = malloc(hl + 1)) || fread(hdr_text, 1, hl, f) != hl) {
        tml_fail(err, "%s: cannot read the header", path);
        goto done;
    }
    hdr_text[hl] = 0;
    json_error_t je;
    if (!(hdr = json_loads(hdr_text, 0, &je)) || !json_is_object(hdr)) {
        tml_fail(err, "%s: the safetensors header is not JSON (%s); the file is damaged", path, hdr ? "" : je.text);
        goto done;
    }
    uint64_t data_start = 8 + hl;
    const char *key;
    json_t *v;
    json_object_foreach(hdr, key, v) {
        if (!strcmp(key, "__metadata__")) continue;
        json_t *dt = json_object_get(v, "dtype"), *shape = json_object_get(v, "shape"),
               *offs = json_object_get(v, "data_offsets");
        int ints = json_is_string(dt) && !strcmp(json_string_value(dt), "I32");
        if (!json_is_string(dt) || (!ints && strcmp(json_string_value(dt), "F32") != 0) || !json_is_array(shape) ||
            json_array_size(shape) < 1 || json_array_size(shape) > 2 || !json_is_array(offs) ||
            json_array_size(offs) != 2) {
            tml_fail(err, "%s: tensor '%s' is not a 1-D or 2-D F32 or I32 tensor", path, key);
            goto done;
        }
        int64_t rows = json_integer_value(json_array_get(shape, 0));
        int64_t cols = json_array_size(shape) == 2 ? json_integer_value(json_array_get(shape, 1)) : 0;
        uint64_t b = (uint64_t)json_integer_value(json_array_get(offs, 0)),
                 en = (uint64_t)json_integer_value(json_array_get(offs, 1));
        uint64_t n = (uint64_t)rows * (uint64_t)(cols > 0 ? cols : 1);
        if (rows < 0 || cols < 0 || en < b || en - b != 4 * n) {
            tml_fail(err, "%s: tensor '%s' has data_offsets that do not match its shape", path, key);
            goto done;
        }
        if (data_start + en > size) {
            tml_fail(err, "%s: truncated: tensor '%s' ends at byte %llu of a %llu-byte file; export the model again",
                     path, key, (unsigned long long)(data_start + en), (unsigned long long)size);
            goto done;
        }
        void *data = malloc(n > 0 ? 4 * n : 4);
        if (!data || fseeko(f, (off_t)(data_start + b), SEEK_SET) != 0 || (n > 0 && fread(data, 4, n, f) != n)) {
            free(data);
            tml_fail(err, "%s: cannot read tensor '%s'", path, key);
            goto done;
        }
        if (ints ? tml_export_add_tensor_i32(e, key, rows, cols, data, err)
                 : tml_export_add_tensor(e, key, rows, cols, data, err))
            goto done;
    }
    rc = 0;
done:
    json_decref(hdr);
    free(hdr_text);
    fclose(f);
    return rc;
}

TmlExport *tml_export_read_st(const char *json_path, const char *st_path, TmlError *err) {
    json_error_t je;
    json_t *root = json_load_file(json_path, 0, &je);
    if (!root) {
        FILE *probe = fopen(json_path, "rb");
        if (!probe) tml_fail(err, "%s: cannot open the export metadata (no such file or not readable)", json_path);
        else tml_fail(err, "%s:%d: not valid JSON (%s): the file is truncated or damaged; export the model again",
                      json_path, je.line, je.text);
        if (probe) fclose(probe);
        return NULL;
    }
    Jr r = {json_path, err, 0};
    TmlExport *e = tml_export_new();
    if (!e) {
        tml_fail(err, "out of memory");
        goto fail;
    }
    char *format = jstr(&r, root, "format", "format");
    if (format && strcmp(format, TML_EXPORT_FORMAT) != 0) {
        tml_fail(err, "%s: not a ticketml export (format '%s'); `ticketml export` writes one", json_path, format);
        r.failed = 1;
    }
    free(format);
    e->format_version = jint(&r, root, "format_version", "format_version");
    if (r.failed) goto fail;
    if (e->format_version > TML_EXPORT_VERSION || e->format_version < 1) {
        tml_fail(err, "%s: export format version %lld is not supported (this library reads version %d); use a "
                 "newer ticketml serving library or export with this one", json_path, (long long)e->format_version,
                 TML_EXPORT_VERSION);
        goto fail;
    }
    e->task = jstr(&r, root, "task", "task");
    e->kind = jstr(&r, root, "kind", "kind");
    char *sum = jstr(&r, root, "checksum", "checksum");
    if (sum) snprintf(e->checksum, sizeof e->checksum, "%s", sum);
    free(sum);
    json_t *m = jget(&r, root, "model", "model", JSON_OBJECT);
    e->arch = jstr(&r, m, "arch", "model/arch");
    e->loss = jstr(&r, m, "loss", "model/loss");
    e->bag = jstr(&r, m, "bag", "model/bag");
    e->in_dim = jint(&r, m, "in_dim", "model/in_dim");
    e->dim = jint(&r, m, "dim", "model/dim");
    e->hidden = jint(&r, m, "hidden", "model/hidden");
    e->n_out = jint(&r, m, "n_out", "model/n_out");
    json_t *l = jget(&r, root, "labels", "labels", JSON_OBJECT);
    int64_t n = 0;
    if ((e->labels = jstrs(&r, l, "names", "labels/names", &n))) e->n_labels = n;
    e->positive = jint(&r, l, "positive", "labels/positive");
    json_t *d = jget(&r, root, "data", "data", JSON_OBJECT);
    e->text_columns = jstr(&r, d, "text_columns", "data/text_columns");
    e->label_column = jstr(&r, d, "label_column", "data/label_column");
    e->id_column = jstr(&r, d, "id_column", "data/id_column");
    if (r.failed) goto fail;
    if (e->arch && !strcmp(e->arch, "encoder") && !strcmp(e->kind, "text")) read_encoder_json(&r, root, e);
    else if (!strcmp(e->kind, "text")) read_text_json(&r, root, e);
    else if (!strcmp(e->kind, "tabular")) read_tabular_json(&r, root, e);
    else {
        tml_fail(err, "%s: unknown kind '%s' (a newer ticketml wrote this export?)", json_path, e->kind);
        goto fail;
    }
    if (r.failed || read_safetensors(st_path, e, err)) goto fail;
    json_decref(root);
    return e;
fail:
    json_decref(root);
    tml_export_free(e);
    return NULL;
}
