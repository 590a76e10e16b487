/* dataset.c — from a config to featurized train/valid/test rows: reads the files, fits the label
 * map, splits off valid/test (stratified) when not given, fits text features (vocabulary, idf) or
 * tabular features (+ ticket-history columns) on the train rows only, and featurizes every split.
 * The fitted TmlFeatures featurizes later files and single texts identically (see dataset.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/dataset.h"
#include "data/date.h"
#include "data/split.h"
#include "data/table.h"
#include "data/textfeat_internal.h"
#include "data/utf8.h"

/* ---- small helpers ---------------------------------------------------------------------------- */

char *tml_data_path(const char *path) {
    if (!path) return NULL;
    static const char key[] = "${TICKETML_DATA}";
    const char *root = getenv("TICKETML_DATA");
    if (!root || !root[0]) root = "../shared/datasets";
    size_t n = 0, kl = sizeof key - 1, rl = strlen(root);
    for (const char *p = path; (p = strstr(p, key)); p += kl) n++;
    char *out = (char *)malloc(strlen(path) + n * rl + 1);
    if (!out) return NULL;
    char *o = out;
    for (const char *p = path; *p;) {
        if (!strncmp(p, key, kl)) {
            memcpy(o, root, rl);
            o += rl;
            p += kl;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

/* "file:line: key = value" (or "--set key=value", or "file: key") for config messages. */
static void key_where(const TmlConfig *cfg, const char *key, char *buf, size_t n) {
    for (int i = 0; i < cfg->n; i++)
        if (!strcmp(cfg->entries[i].key, key)) {
            if (cfg->entries[i].line > 0)
                snprintf(buf, n, "%s:%d: %s = %s", cfg->path, cfg->entries[i].line, key, cfg->entries[i].value);
            else
                snprintf(buf, n, "--set %s=%s", key, cfg->entries[i].value);
            return;
        }
    snprintf(buf, n, "%s: %s", cfg->path, key);
}

/* Splits "a, b,c" into trimmed names. *out malloc'd array of malloc'd strings; returns the count
 * (0 for NULL/empty), -1 on allocation failure. Caller frees with free_strs. */
static int split_names(const char *s, char ***out) {
    *out = NULL;
    if (!s) return 0;
    int n = 0, cap = 0;
    char **v = NULL;
    const char *p = s, *name;
    size_t len;
    while ((name = tml_table_next_name(&p, &len))) {
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            char **nv = (char **)realloc(v, (size_t)cap * sizeof *nv);
            if (!nv) goto oom;
            v = nv;
        }
        if (!(v[n] = strndup(name, len))) goto oom;
        n++;
    }
    *out = v;
    return n;
oom:
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
    return -1;
}

static void free_strs(char **v, int64_t n) {
    if (!v) return;
    for (int64_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static int in_list(char *const *v, int n, const char *s) {
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i], s)) return 1;
    return 0;
}

/* ---- config ------------------------------------------------------------------------------------ */

typedef struct DataCfg {
    TmlDataKind kind;
    char *train, *valid, *test, *tickets; /* expanded paths (malloc'd) */
    TmlFileFormat format;
    const char *text_cols, *label_col, *id_col, *positive, *customer, *cutoff;
    const char *numeric, *categorical, *ignore;
    int64_t seed;
    double valid_frac, test_frac;
    int history;
    TmlImpute impute;
    int keep_missing;
    TmlDeriveSpec *derive; /* moved into the features by fit_tabular */
    TmlTextConfig text;
} DataCfg;

static void data_cfg_free(DataCfg *d) {
    tml_derive_free(d->derive);
    free(d->train);
    free(d->valid);
    free(d->test);
    free(d->tickets);
}

static int cfg_enum(const TmlConfig *cfg, const char *key, const char *def, const char *const *names, int *out,
                    TmlError *err) {
    const char *v = tml_config_str(cfg, key, def);
    for (int i = 0; names[i]; i++)
        if (!strcasecmp(v, names[i])) return *out = i, 0;
    char where[600], list[200] = "";
    key_where(cfg, key, where, sizeof where);
    for (int i = 0; names[i]; i++) {
        strncat(list, i ? " | " : "", sizeof list - strlen(list) - 1);
        strncat(list, names[i], sizeof list - strlen(list) - 1);
    }
    return tml_fail(err, "%s: unknown value; use one of %s", where, list);
}

static int cfg_range(const TmlConfig *cfg, const char *key, int64_t v, int64_t lo, int64_t hi, TmlError *err) {
    if (v >= lo && v <= hi) return 0;
    char where[600];
    key_where(cfg, key, where, sizeof where);
    return tml_fail(err, "%s: out of range; use a value from %lld to %lld", where, (long long)lo, (long long)hi);
}

/* Reads [text] into a TmlTextConfig with range checks (also used when loading a model's config). */
static int read_text_cfg(const TmlConfig *cfg, TmlTextConfig *t, TmlError *err) {
    tml_textfeat_config_default(t);
    int64_t v;
    int b, e = 0;
    if (tml_config_bool(cfg, "text.normalize", t->normalize, &t->normalize, err)) return -1;
    if (tml_config_bool(cfg, "text.placeholders", t->placeholders, &t->placeholders, err)) return -1;
    if (tml_config_bool(cfg, "text.cjk_bigrams", t->cjk_bigrams, &t->cjk_bigrams, err)) return -1;
    if (tml_config_bool(cfg, "text.tfidf", t->tfidf, &t->tfidf, err)) return -1;
    if (tml_config_int(cfg, "text.word_ngrams", t->word_ngrams, &v, err) ||
        cfg_range(cfg, "text.word_ngrams", v, 1, TML_TEXT_MAX_WORD_NGRAMS, err))
        return -1;
    t->word_ngrams = (int)v;
    if (tml_config_int(cfg, "text.minn", t->minn, &v, err) || cfg_range(cfg, "text.minn", v, 0, 32, err)) return -1;
    t->minn = (int)v;
    if (tml_config_int(cfg, "text.maxn", t->minn ? (t->minn > 6 ? t->minn : 6) : 0, &v, err) ||
        cfg_range(cfg, "text.maxn", v, t->minn, t->minn ? 32 : 0, err))
        return -1;
    t->maxn = (int)v;
    if (tml_config_int(cfg, "text.buckets", t->buckets, &v, err) ||
        cfg_range(cfg, "text.buckets", v, 0, 1000000000, err))
        return -1;
    t->buckets = v;
    if (tml_config_int(cfg, "text.min_count", t->min_count, &v, err) ||
        cfg_range(cfg, "text.min_count", v, 1, 1000000000, err))
        return -1;
    t->min_count = (int)v;
    static const char *const inv[] = {"error", "replace", NULL};
    if (cfg_enum(cfg, "text.invalid_utf8", "error", inv, &e, err)) return -1;
    t->invalid_utf8 = e;
    b = t->word_ngrams > 1 || t->minn > 0;
    if (b && t->buckets == 0) {
        char where[600];
        key_where(cfg, "text.buckets", where, sizeof where);
        return tml_fail(err, "%s: n-grams need hash buckets; set text.buckets > 0 (e.g. 2000000) or word_ngrams = 1 "
                             "and minn = 0",
                        where);
    }
    return 0;
}

static int read_data_cfg(const TmlConfig *cfg, DataCfg *d, TmlError *err) {
    memset(d, 0, sizeof *d);
    static const char *const kinds[] = {"text", "tabular", NULL};
    static const char *const formats[] = {"auto", "csv", "jsonl", NULL};
    static const char *const imputes[] = {"median", "mean", "zero", NULL};
    int e = 0;
    if (cfg_enum(cfg, "data.kind", "text", kinds, &e, err)) return -1;
    d->kind = (TmlDataKind)e;
    if (cfg_enum(cfg, "data.format", "auto", formats, &e, err)) return -1;
    d->format = (TmlFileFormat)e;
    const char *train = tml_config_str(cfg, "data.train", NULL);
    if (!train || !train[0])
        return tml_fail(err, "%s: no training data; set [data] train = path (or pass the file on the command line)",
                        cfg->path);
    d->train = tml_data_path(train);
    const char *s;
    if ((s = tml_config_str(cfg, "data.valid", NULL)) && s[0]) d->valid = tml_data_path(s);
    if ((s = tml_config_str(cfg, "data.test", NULL)) && s[0]) d->test = tml_data_path(s);
    if ((s = tml_config_str(cfg, "data.tickets", NULL)) && s[0]) d->tickets = tml_data_path(s);
    d->text_cols = tml_config_str(cfg, "data.text", "text");
    d->label_col = tml_config_str(cfg, "data.label", "label");
    d->id_col = tml_config_str(cfg, "data.id", NULL);
    if (d->id_col && !d->id_col[0]) d->id_col = NULL;
    d->positive = tml_config_str(cfg, "data.positive", NULL);
    d->customer = tml_config_str(cfg, "data.customer", "customer_id");
    d->cutoff = tml_config_str(cfg, "data.cutoff", NULL);
    d->numeric = tml_config_str(cfg, "tabular.numeric", NULL);
    d->categorical = tml_config_str(cfg, "tabular.categorical", NULL);
    d->ignore = tml_config_str(cfg, "tabular.ignore", NULL);
    if (tml_config_int(cfg, "data.seed", 42, &d->seed, err)) return -1;
    if (tml_config_double(cfg, "data.valid_frac", 0.1, &d->valid_frac, err)) return -1;
    if (tml_config_double(cfg, "data.test_frac", 0.0, &d->test_frac, err)) return -1;
    if (d->valid_frac < 0 || d->test_frac < 0 || d->valid_frac + d->test_frac >= 1.0) {
        char where[600];
        key_where(cfg, "data.valid_frac", where, sizeof where);
        return tml_fail(err, "%s: valid_frac (%g) and test_frac (%g) must be >= 0 and sum to less than 1", where,
                        d->valid_frac, d->test_frac);
    }
    if (tml_config_bool(cfg, "data.history", 0, &d->history, err)) return -1;
    if (cfg_enum(cfg, "tabular.impute", "median", imputes, &e, err)) return -1;
    d->impute = (TmlImpute)e;
    /* trees route blank numbers themselves (a learned direction); other models need a value */
    static const char *const missings[] = {"auto", "impute", "keep", NULL};
    if (cfg_enum(cfg, "tabular.missing", "auto", missings, &e, err)) return -1;
    d->keep_missing = e == 2 || (e == 0 && !strcmp(tml_config_str(cfg, "model.type", ""), "gbdt"));
    if (tml_derive_from_config(cfg, &d->derive, err)) return -1;
    if (d->derive && d->kind != TML_DATA_TABULAR)
        return tml_fail(err, "%s: derived columns ([tabular] ratios, sums, buckets, counts, crosses) need kind = tabular",
                        cfg->path);
    if (d->history && d->kind != TML_DATA_TABULAR)
        return tml_fail(err, "%s: [data] history = true needs kind = tabular", cfg->path);
    if (d->history && !d->tickets)
        return tml_fail(err, "%s: [data] history = true needs the tickets file; set [data] tickets = path", cfg->path);
    if (d->cutoff) {
        int64_t day;
        if (tml_date_parse_iso(d->cutoff, &day)) {
            char where[600];
            key_where(cfg, "data.cutoff", where, sizeof where);
            return tml_fail(err, "%s: not an ISO date; write e.g. cutoff = 2025-03-01", where);
        }
    }
    if (!d->train) return tml_fail(err, "out of memory");
    return read_text_cfg(cfg, &d->text, err);
}

/* ---- datasets ---------------------------------------------------------------------------------- */

void tml_dataset_free(TmlDataset *d) {
    if (!d) return;
    free(d->offsets);
    free(d->ids);
    free(d->w);
    free(d->dense);
    free(d->labels);
    free_strs(d->texts, d->texts ? d->n_rows : 0);
    free_strs(d->row_ids, d->row_ids ? d->n_rows : 0);
    free_strs(d->raw_labels, d->raw_labels ? d->n_rows : 0);
    free(d->lines);
    free(d->source);
    free(d);
}

/* Column indices of the fitted features' columns in table t. */
typedef struct Cols {
    int n_text;
    int text[32];
    int label, id;
} Cols;

/* ---- labels: UTF-8 like the text ([text] invalid_utf8) --------------------------------------- */

/* Bytes of a label cell that do not start a well-formed UTF-8 sequence: their count. */
static size_t label_bad_bytes(const char *s) {
    size_t bad = 0, n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int k = tml_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (k == 1 && (unsigned char)s[i] >= 0x80) bad++;
        i += (size_t)k;
    }
    return bad;
}

/* s with each invalid byte shown as \xNN (at most ~80 characters) into buf. */
static void label_show(const char *s, char *buf, size_t cap) {
    size_t o = 0, n = strlen(s);
    for (size_t i = 0; i < n && o + 8 < cap && o < 80;) {
        uint32_t cp;
        int k = tml_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (k == 1 && (unsigned char)s[i] >= 0x80) o += (size_t)snprintf(buf + o, cap - o, "\\x%02X", (unsigned char)s[i]);
        else memcpy(buf + o, s + i, (size_t)k), o += (size_t)k;
        i += (size_t)k;
    }
    buf[o < cap ? o : cap - 1] = '\0';
}

/* A growing buffer for repaired labels; freed by the caller. */
typedef struct LabelBuf {
    char *p;
    size_t cap;
} LabelBuf;

static int labels_replace(const TmlFeatures *f) {
    return f->labels_replace || (f->text && tml_textfeat_config(f->text)->invalid_utf8);
}

/* The label of row r: the cell itself, or under invalid_utf8 = replace a copy (in b) whose invalid
 * bytes are U+FFFD, as the text gets. NULL when out of memory. Cells were checked by check_labels. */
static const char *label_at(const TmlFeatures *f, const TmlTable *t, int64_t r, int lcol, LabelBuf *b) {
    const char *s = tml_table_cell(t, r, lcol);
    if (!labels_replace(f)) return s;
    size_t bad = label_bad_bytes(s), n = strlen(s);
    if (!bad) return s;
    if (b->cap < n + 2 * bad + 1) {
        char *np = realloc(b->p, n + 2 * bad + 1);
        if (!np) return NULL;
        b->p = np;
        b->cap = n + 2 * bad + 1;
    }
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int k = tml_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (k == 1 && (unsigned char)s[i] >= 0x80) memcpy(b->p + o, "\xEF\xBF\xBD", 3), o += 3;
        else memcpy(b->p + o, s + i, (size_t)k), o += (size_t)k;
        i += (size_t)k;
    }
    b->p[o] = '\0';
    return b->p;
}

/* Every label of t must be UTF-8: the first that is not is an error naming file:line (before: it
 * silently became a class of its own); under [text] invalid_utf8 = replace one warning lists such
 * labels (they are repaired by label_at). */
static int check_labels(const TmlFeatures *f, const TmlTable *t, int lcol, TmlError *err) {
    int64_t n_bad = 0;
    char list[600] = "";
    size_t used = 0;
    for (int64_t r = 0; r < t->n_rows; r++) {
        const char *s = tml_table_cell(t, r, lcol);
        if (!label_bad_bytes(s)) continue;
        char shown[128];
        label_show(s, shown, sizeof shown);
        if (!labels_replace(f))
            return tml_fail(err, "%s:%lld: the label \"%s\" in column \"%s\" is not valid UTF-8; re-encode the file "
                                 "as UTF-8 (or set [text] invalid_utf8 = replace to keep it with U+FFFD in place of "
                                 "the bad bytes)",
                            t->path, (long long)t->lines[r], shown, f->label_col);
        if (n_bad++ < 8 && used + 160 < sizeof list)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s\"%s\" (line %lld)", used ? ", " : "", shown,
                                     (long long)t->lines[r]);
    }
    if (n_bad)
        fprintf(stderr, "warning: %s: %lld label%s with invalid UTF-8, the bad bytes replaced by U+FFFD "
                        "([text] invalid_utf8 = replace): %s%s\n",
                t->path, (long long)n_bad, n_bad == 1 ? "" : "s", list, n_bad > 8 ? ", ..." : "");
    return 0;
}

/* Finds the text, label and id columns and checks the labels' UTF-8. Missing text/label columns are
 * errors naming the file and its columns (the label only when !label_optional); a missing id column
 * is an error only when require_id. */
static int find_cols(const TmlFeatures *f, const TmlTable *t, int require_id, int label_optional, Cols *c,
                     TmlError *err) {
    c->n_text = 0;
    c->label = c->id = -1;
    if (f->kind == TML_DATA_TEXT) {
        int n = tml_table_cols(t, f->text_cols, c->text, 32, err);
        if (n < 0) return -1;
        if (n == 0 || n > 32) return tml_fail(err, "[data] text = \"%s\": name 1 to 32 text columns", f->text_cols);
        c->n_text = n;
    }
    c->label = tml_table_col(t, f->label_col, label_optional ? NULL : err);
    if (c->label < 0 && !label_optional) return -1;
    if (c->label >= 0 && check_labels(f, t, c->label, err)) return -1;
    if (f->id_col) {
        c->id = tml_table_col(t, f->id_col, require_id ? err : NULL);
        if (c->id < 0 && require_id) return -1;
    }
    return 0;
}

/* A dataset of the given rows of t (all rows when rows is NULL) with labels, ids, lines and (text
 * kind) the joined texts filled in; features are added by the caller. */
static TmlDataset *dataset_rows(const TmlFeatures *f, const TmlTable *t, const Cols *c, const int64_t *rows,
                                int64_t n, TmlError *err) {
    LabelBuf lb = {0};
    TmlDataset *d = (TmlDataset *)calloc(1, sizeof *d);
    if (!d) goto oom;
    d->kind = f->kind;
    d->n_rows = n;
    size_t m = (size_t)(n > 0 ? n : 1);
    d->labels = (int32_t *)malloc(m * sizeof *d->labels);
    d->raw_labels = (char **)calloc(m, sizeof *d->raw_labels);
    d->lines = (int64_t *)malloc(m * sizeof *d->lines);
    d->source = strdup(t->path);
    if (!d->labels || !d->raw_labels || !d->lines || !d->source) goto oom;
    if (c->id >= 0 && !(d->row_ids = (char **)calloc(m, sizeof *d->row_ids))) goto oom;
    if (f->kind == TML_DATA_TEXT && !(d->texts = (char **)calloc(m, sizeof *d->texts))) goto oom;
    for (int64_t i = 0; i < n; i++) {
        int64_t r = rows ? rows[i] : i;
        const char *lab = c->label >= 0 ? label_at(f, t, r, c->label, &lb) : "";
        if (!lab) goto oom;
        d->labels[i] = lab[0] ? tml_labels_index(f->labels, lab) : -1;
        if (!(d->raw_labels[i] = strdup(lab))) goto oom;
        d->lines[i] = t->lines[r];
        if (d->row_ids && !(d->row_ids[i] = strdup(tml_table_cell(t, r, c->id)))) goto oom;
        if (d->texts && !(d->texts[i] = tml_table_join_cells(t, r, c->text, c->n_text))) goto oom;
    }
    free(lb.p);
    return d;
oom:
    free(lb.p);
    tml_dataset_free(d);
    tml_fail(err, "%s: out of memory", t->path);
    return NULL;
}

/* Text features of every row of d into its CSR arrays; errors name source:line. */
static int dataset_featurize_text(const TmlFeatures *f, TmlDataset *d, TmlError *err) {
    int64_t bad = -1;
    TmlError e = {{0}};
    if (tml_textfeat_transform_rows(f->text, (const char *const *)d->texts, d->n_rows, &d->offsets, &d->ids, &d->w,
                                    &bad, &e) == 0)
        return 0;
    if (bad >= 0) return tml_fail(err, "%s:%lld: %s", d->source, (long long)d->lines[bad], e.msg);
    return tml_fail(err, "%s: %s", d->source, e.msg);
}

/* ---- tabular + history ------------------------------------------------------------------------- */

/* A table that is t plus extra numeric columns (names[k], values (n_rows, k) row-major). Cells point
 * into t and into one numbers block, so it is freed by aug_free, never tml_table_free. */
typedef struct AugTable {
    TmlTable t;
    char *numbers;
} AugTable;

static void aug_free(AugTable *a) {
    if (!a) return;
    free(a->t.col_names);
    free(a->t.cells);
    free(a->numbers);
    free(a);
}

static AugTable *aug_table(const TmlTable *t, char *const *names, const float *values, int k, TmlError *err) {
    AugTable *a = (AugTable *)calloc(1, sizeof *a);
    if (!a) goto oom;
    a->t = *t;
    a->t.col_index = NULL; /* indexes t's columns, not these */
    a->t.n_cols = t->n_cols + k;
    a->t.col_names = (char **)malloc((size_t)a->t.n_cols * sizeof(char *));
    a->t.cells = (char **)malloc((size_t)(t->n_rows > 0 ? t->n_rows : 1) * (size_t)a->t.n_cols * sizeof(char *));
    a->numbers = (char *)malloc((size_t)(t->n_rows > 0 ? t->n_rows : 1) * (size_t)(k > 0 ? k : 1) * 24);
    if (!a->t.col_names || !a->t.cells || !a->numbers) goto oom;
    memcpy(a->t.col_names, t->col_names, (size_t)t->n_cols * sizeof(char *));
    for (int j = 0; j < k; j++) a->t.col_names[t->n_cols + j] = names[j];
    for (int64_t r = 0; r < t->n_rows; r++) {
        char **row = a->t.cells + r * a->t.n_cols;
        memcpy(row, t->cells + r * t->n_cols, (size_t)t->n_cols * sizeof(char *));
        for (int j = 0; j < k; j++) {
            char *s = a->numbers + ((size_t)r * (size_t)k + (size_t)j) * 24;
            snprintf(s, 24, "%.9g", (double)values[r * k + j]);
            row[t->n_cols + j] = s;
        }
    }
    return a;
oom:
    aug_free(a);
    tml_fail(err, "%s: out of memory", t->path);
    return NULL;
}

/* History features of customers t from tickets file `tickets`, as columns named like the fitted
 * ones (want, n_want; NULL = take whatever comes out and report them in names and dim). Features the
 * new tickets file lacks (an intent never seen) are 0. values: malloc'd (n_rows, n_want). */
static int history_values(const TmlHistoryConfig *hc, const TmlTable *t, const char *tickets_path,
                          TmlFileFormat format, char *const *want, int n_want, float **values, char ***names,
                          int *dim, TmlError *err) {
    TmlTable *tk = tml_table_read(tickets_path, format, err);
    if (!tk) return -1;
    float *out = NULL;
    char **hn = NULL;
    int hd = 0;
    int rc = tml_history_features(hc, t, tk, &out, &hd, &hn, err);
    tml_table_free(tk);
    if (rc) return -1;
    if (!want) {
        *values = out;
        *names = hn;
        *dim = hd;
        return 0;
    }
    float *v = (float *)calloc((size_t)(t->n_rows > 0 ? t->n_rows : 1) * (size_t)(n_want > 0 ? n_want : 1), sizeof *v);
    if (!v) {
        free(out);
        free_strs(hn, hd);
        return tml_fail(err, "out of memory");
    }
    for (int j = 0; j < n_want; j++)
        for (int h = 0; h < hd; h++)
            if (!strcmp(want[j], hn[h])) {
                for (int64_t r = 0; r < t->n_rows; r++) v[r * n_want + j] = out[r * hd + h];
                break;
            }
    free(out);
    free_strs(hn, hd);
    *values = v;
    return 0;
}

/* Dense features of all rows of customers table t (history columns appended when f uses them). */
static float *tabular_dense(const TmlFeatures *f, const TmlTable *t, const char *tickets_path, TmlFileFormat format,
                            TmlError *err) {
    AugTable *a = NULL;
    const TmlTable *src = t;
    if (f->use_history) {
        if (!tickets_path)
            return tml_fail(err, "%s: the model uses ticket-history features; give the tickets file too", t->path),
                   NULL;
        float *hv = NULL;
        if (history_values(&f->history, t, tickets_path, format, f->history_names, f->history_dim, &hv, NULL, NULL,
                           err))
            return NULL;
        a = aug_table(t, f->history_names, hv, f->history_dim, err);
        free(hv);
        if (!a) return NULL;
        src = &a->t;
    }
    TmlTable *dt = NULL;
    if (f->derive) {
        if (!(dt = tml_derive_table(f->derive, src, err))) {
            aug_free(a);
            return NULL;
        }
        src = dt;
    }
    float *dense = (float *)calloc((size_t)(t->n_rows > 0 ? t->n_rows : 1) * (size_t)(f->dim > 0 ? f->dim : 1),
                                   sizeof *dense);
    if (!dense || tml_tabular_transform(f->tab, src, dense, err)) {
        if (!dense) tml_fail(err, "%s: out of memory", t->path);
        free(dense);
        dense = NULL;
    }
    tml_derive_table_free(dt);
    aug_free(a);
    return dense;
}

/* Copies the dense rows `rows` of all (n_rows_all, dim) into d. */
static int dataset_take_dense(TmlDataset *d, const float *all, int dim, const int64_t *rows, TmlError *err) {
    d->dim = dim;
    d->dense = (float *)malloc((size_t)(d->n_rows > 0 ? d->n_rows : 1) * (size_t)(dim > 0 ? dim : 1) * sizeof(float));
    if (!d->dense) return tml_fail(err, "out of memory");
    for (int64_t i = 0; i < d->n_rows; i++)
        memcpy(d->dense + i * dim, all + (rows ? rows[i] : i) * dim, (size_t)dim * sizeof(float));
    return 0;
}

/* ---- fit --------------------------------------------------------------------------------------- */

void tml_features_free(TmlFeatures *f) {
    if (!f) return;
    free(f->text_cols);
    free(f->label_col);
    free(f->id_col);
    tml_textfeat_free(f->text);
    tml_tabular_free(f->tab);
    tml_derive_free(f->derive);
    free((char *)f->history.customer_col);
    free((char *)f->history.time_col);
    free((char *)f->history.sentiment_col);
    free((char *)f->history.intent_col);
    free((char *)f->history.response_col);
    free((char *)f->history.cutoff);
    free_strs(f->history_names, f->history_dim);
    tml_labels_free(f->labels);
    free(f);
}

/* The positive class of a binary label map: config `positive`, else a label spelled like a yes,
 * else the last label. -1 when not binary. */
static int pick_positive(const TmlLabelMap *m, const char *positive, const TmlConfig *cfg, int *out, TmlError *err) {
    *out = -1;
    if (m->n != 2) return 0;
    if (positive && positive[0]) {
        int k = tml_labels_index(m, positive);
        if (k < 0) {
            char where[600];
            key_where(cfg, "data.positive", where, sizeof where);
            return tml_fail(err, "%s: not one of the labels (\"%s\", \"%s\"); use one of them", where, m->names[0],
                            m->names[1]);
        }
        *out = k;
        return 0;
    }
    static const char *const yes[] = {"1", "yes", "true", "churn"};
    for (int y = 0; y < 4; y++)
        for (int k = 0; k < 2; k++)
            if (!strcasecmp(m->names[k], yes[y])) return *out = k, 0;
    *out = 1;
    return 0;
}

static int dup_history_cfg(TmlHistoryConfig *h, const DataCfg *d) {
    tml_history_config_default(h);
    const char *defs[5] = {d->customer, h->time_col, h->sentiment_col, h->intent_col, h->response_col};
    h->customer_col = defs[0] ? strdup(defs[0]) : NULL;
    h->time_col = defs[1] ? strdup(defs[1]) : NULL;
    h->sentiment_col = defs[2] ? strdup(defs[2]) : NULL;
    h->intent_col = defs[3] ? strdup(defs[3]) : NULL;
    h->response_col = defs[4] ? strdup(defs[4]) : NULL;
    h->cutoff = d->cutoff ? strdup(d->cutoff) : NULL;
    return h->customer_col && h->time_col ? 0 : -1;
}

/* Reads a file named by the config; returns NULL with err set. */
static TmlTable *read_table(const char *path, TmlFileFormat format, TmlError *err) {
    return tml_table_read(path, format, err);
}

/* Label indices of every row of t (fitting the map when f->labels is NULL). Empty labels in the
 * training file are errors naming file:line. */
static int fit_labels(TmlFeatures *f, const TmlTable *t, int lcol, int32_t **idx, TmlError *err) {
    const char **labs = (const char **)calloc((size_t)(t->n_rows > 0 ? t->n_rows : 1), sizeof *labs);
    char **own = (char **)calloc((size_t)(t->n_rows > 0 ? t->n_rows : 1), sizeof *own); /* repaired copies */
    LabelBuf lb = {0};
    int rc = -1;
    if (!labs || !own) {
        tml_fail(err, "out of memory");
        goto done;
    }
    for (int64_t r = 0; r < t->n_rows; r++) {
        const char *lab = label_at(f, t, r, lcol, &lb);
        if (!lab || (lab == lb.p && !(lab = own[r] = strdup(lab)))) {
            tml_fail(err, "out of memory");
            goto done;
        }
        labs[r] = lab;
        if (!labs[r][0]) {
            tml_fail(err, "%s:%lld: empty label in column \"%s\"; fill it in or drop the row", t->path,
                     (long long)t->lines[r], f->label_col);
            goto done;
        }
    }
    if (!(f->labels = tml_labels_fit(labs, t->n_rows, err))) goto done;
    if (!(*idx = (int32_t *)malloc((size_t)(t->n_rows > 0 ? t->n_rows : 1) * sizeof **idx))) {
        tml_fail(err, "out of memory");
        goto done;
    }
    for (int64_t r = 0; r < t->n_rows; r++) (*idx)[r] = tml_labels_index(f->labels, labs[r]);
    rc = 0;
done:
    if (own)
        for (int64_t r = 0; r < t->n_rows; r++) free(own[r]);
    free(own);
    free(labs);
    free(lb.p);
    return rc;
}

/* Rows of each split: rows[s] malloc'd, n[s] counts. */
static int split_rows(const uint8_t *split, int64_t n_rows, int64_t *rows[3], int64_t n[3], TmlError *err) {
    for (int s = 0; s < 3; s++) {
        n[s] = 0;
        if (!(rows[s] = (int64_t *)malloc((size_t)(n_rows > 0 ? n_rows : 1) * sizeof(int64_t))))
            return tml_fail(err, "out of memory");
    }
    for (int64_t r = 0; r < n_rows; r++) rows[split[r]][n[split[r]]++] = r;
    return 0;
}

/* Featurizes a whole extra file (valid/test given by path) with the fitted features. */
static TmlDataset *file_dataset(const TmlFeatures *f, const char *path, TmlFileFormat format, const char *tickets,
                                TmlError *err);

static int fit_common(const TmlConfig *cfg, const DataCfg *d, TmlFeatures *f, TmlTable *t, int lcol, uint8_t **split,
                      TmlError *err) {
    int32_t *lab = NULL;
    if (fit_labels(f, t, lcol, &lab, err)) {
        free(lab);
        return -1;
    }
    if (pick_positive(f->labels, d->positive, cfg, &f->positive, err)) {
        free(lab);
        return -1;
    }
    *split = (uint8_t *)malloc((size_t)(t->n_rows > 0 ? t->n_rows : 1));
    if (!*split) {
        free(lab);
        return tml_fail(err, "out of memory");
    }
    int rc = tml_split_stratified(lab, t->n_rows, f->labels->n, d->valid ? 0.0 : d->valid_frac,
                                  d->test ? 0.0 : d->test_frac, (uint64_t)d->seed, *split, err);
    free(lab);
    return rc;
}

static int fit_text(const TmlConfig *cfg, const DataCfg *d, TmlFeatures *f, TmlTable *t, TmlDataset *out[3],
                    TmlError *err) {
    Cols c;
    uint8_t *split = NULL;
    int64_t *rows[3] = {NULL, NULL, NULL}, n[3];
    int rc = -1;
    f->labels_replace = d->text.invalid_utf8; /* the featurizer holding it comes after the labels */
    if (find_cols(f, t, 1, 0, &c, err)) return -1;
    if (fit_common(cfg, d, f, t, c.label, &split, err) || split_rows(split, t->n_rows, rows, n, err)) goto done;
    for (int s = 0; s < 3; s++) {
        if (s > 0 && n[s] == 0) continue;
        if (!(out[s] = dataset_rows(f, t, &c, rows[s], n[s], err))) goto done;
    }
    if (n[0] == 0) {
        tml_fail(err, "%s: no training rows left after the split; lower valid_frac/test_frac", t->path);
        goto done;
    }
    /* vocabulary and idf from the train rows only */
    if (!(f->text = tml_textfeat_new(&d->text))) goto done;
    TmlError e;
    if (tml_textfeat_fit(f->text, (const char *const *)out[0]->texts, out[0]->n_rows, &e)) {
        long long k = -1;
        int pos = 0;
        if (sscanf(e.msg, "text %lld: %n", &k, &pos) == 1 && pos > 0 && k >= 0 && k < out[0]->n_rows)
            tml_fail(err, "%s:%lld: %s", t->path, (long long)out[0]->lines[k], e.msg + pos);
        else
            tml_fail(err, "%s: %s", t->path, e.msg);
        goto done;
    }
    f->dim = tml_textfeat_dim(f->text);
    for (int s = 0; s < 3; s++)
        if (out[s] && dataset_featurize_text(f, out[s], err)) goto done;
    rc = 0;
done:
    free(split);
    for (int s = 0; s < 3; s++) free(rows[s]);
    return rc;
}

/* [tabular] crosses = auto: every attribute column of src (and the derived columns so far, buckets
 * among them) is a candidate; the chosen crosses join f->derive. */
static int choose_crosses(TmlFeatures *f, const TmlTable *src, const Cols *c, const uint8_t *split, char **ign,
                          int n_ign, TmlError *err) {
    TmlTable *pre = tml_derive_table(f->derive, src, err);
    if (!pre) return -1;
    int32_t *lab = (int32_t *)malloc((size_t)(src->n_rows > 0 ? src->n_rows : 1) * sizeof *lab);
    char **cand = (char **)malloc((size_t)pre->n_cols * sizeof *cand);
    int n_cand = 0, rc = -1;
    if (!lab || !cand) {
        tml_fail(err, "out of memory");
        goto done;
    }
    LabelBuf lb = {0};
    for (int64_t r = 0; r < src->n_rows; r++) {
        const char *l = label_at(f, src, r, c->label, &lb);
        lab[r] = l ? tml_labels_index(f->labels, l) : -1;
    }
    free(lb.p);
    for (int j = 0; j < pre->n_cols; j++) {
        const char *nm = pre->col_names[j];
        if (j == c->label || j == c->id || in_list(ign, n_ign, nm)) continue;
        if (f->use_history && !strcmp(nm, f->history.customer_col)) continue;
        if (j >= src->n_cols && !tml_derive_is_categorical(&f->derive->d[j - src->n_cols])) continue;
        cand[n_cand++] = (char *)nm;
    }
    rc = tml_derive_choose_crosses(f->derive, pre, lab, f->labels->n, split, cand, n_cand, err);
done:
    free(lab);
    free(cand);
    tml_derive_table_free(pre);
    return rc;
}

static int fit_tabular(const TmlConfig *cfg, const DataCfg *d, TmlFeatures *f, TmlTable *t, TmlDataset *out[3],
                       TmlError *err) {
    Cols c;
    uint8_t *split = NULL, *mask = NULL;
    int64_t *rows[3] = {NULL, NULL, NULL}, n[3];
    char **num = NULL, **cat = NULL, **ign = NULL, **names = NULL;
    int n_num = 0, n_cat = 0, n_ign = 0, n_names = 0, *types = NULL;
    float *hv = NULL, *dense = NULL;
    AugTable *a = NULL;
    TmlTable *dt = NULL;
    const TmlTable *src = t;
    int rc = -1, hist_end = t->n_cols;
    if (find_cols(f, t, 1, 0, &c, err)) return -1;
    if (fit_common(cfg, d, f, t, c.label, &split, err) || split_rows(split, t->n_rows, rows, n, err)) goto done;
    if (n[0] == 0) {
        tml_fail(err, "%s: no training rows left after the split; lower valid_frac/test_frac", t->path);
        goto done;
    }
    if ((n_num = split_names(d->numeric, &num)) < 0 || (n_cat = split_names(d->categorical, &cat)) < 0 ||
        (n_ign = split_names(d->ignore, &ign)) < 0)
        goto oom;
    char **lists[3] = {num, cat, ign};
    int counts[3] = {n_num, n_cat, n_ign};
    for (int l = 0; l < 3; l++)
        for (int i = 0; i < counts[l]; i++)
            if (tml_table_col(t, lists[l][i], err) < 0) goto done;
    if (f->use_history) {
        if (history_values(&f->history, t, d->tickets, d->format, NULL, 0, &hv, &f->history_names, &f->history_dim,
                           err))
            goto done;
        if (!(a = aug_table(t, f->history_names, hv, f->history_dim, err))) goto done;
        src = &a->t;
        hist_end += f->history_dim;
    }
    if (f->derive) {
        if (f->derive->auto_crosses && choose_crosses(f, src, &c, split, ign, n_ign, err)) goto done;
        if (!(dt = tml_derive_table(f->derive, src, err))) goto done;
        src = dt;
    }
    /* attribute columns: every column but the label, the id, the join key and the ignored ones */
    names = (char **)malloc((size_t)src->n_cols * sizeof *names);
    types = (int *)malloc((size_t)src->n_cols * sizeof *types);
    mask = (uint8_t *)malloc((size_t)(t->n_rows > 0 ? t->n_rows : 1));
    if (!names || !types || !mask) goto oom;
    for (int j = 0; j < src->n_cols; j++) {
        const char *nm = src->col_names[j];
        if (j == c.label || j == c.id || in_list(ign, n_ign, nm)) continue;
        if (f->use_history && j < t->n_cols && !strcmp(nm, f->history.customer_col)) continue;
        names[n_names] = (char *)nm;
        types[n_names] = j >= hist_end ? (tml_derive_is_categorical(&f->derive->d[j - hist_end]) ? TML_COL_CATEGORICAL
                                                                                                  : TML_COL_NUMERIC)
                         : j >= t->n_cols || in_list(num, n_num, nm) ? TML_COL_NUMERIC
                         : in_list(cat, n_cat, nm)                   ? TML_COL_CATEGORICAL
                                                                     : -1;
        n_names++;
    }
    if (n_names == 0) {
        tml_fail(err, "%s: no attribute columns left to learn from (all are label, id or ignored)", t->path);
        goto done;
    }
    for (int64_t r = 0; r < t->n_rows; r++) mask[r] = split[r] == TML_SPLIT_TRAIN;
    if (!(f->tab = tml_tabular_fit(src, names, types, n_names, d->impute, mask, err))) goto done;
    f->tab->keep_missing = d->keep_missing;
    f->dim = f->tab->dim;
    dense = (float *)calloc((size_t)(t->n_rows > 0 ? t->n_rows : 1) * (size_t)(f->dim > 0 ? f->dim : 1), sizeof *dense);
    if (!dense) goto oom;
    if (tml_tabular_transform(f->tab, src, dense, err)) goto done;
    for (int s = 0; s < 3; s++) {
        if (s > 0 && n[s] == 0) continue;
        if (!(out[s] = dataset_rows(f, t, &c, rows[s], n[s], err))) goto done;
        if (dataset_take_dense(out[s], dense, (int)f->dim, rows[s], err)) goto done;
    }
    rc = 0;
    goto done;
oom:
    tml_fail(err, "%s: out of memory", t->path);
done:
    tml_derive_table_free(dt);
    aug_free(a);
    free(hv);
    free(dense);
    free(split);
    free(mask);
    free(names);
    free(types);
    free_strs(num, n_num);
    free_strs(cat, n_cat);
    free_strs(ign, n_ign);
    for (int s = 0; s < 3; s++) free(rows[s]);
    return rc;
}

int tml_features_fit(const TmlConfig *cfg, TmlFeatures **features, TmlDataset **train, TmlDataset **valid,
                     TmlDataset **test, TmlError *err) {
    *features = NULL;
    *train = NULL;
    if (valid) *valid = NULL;
    if (test) *test = NULL;
    DataCfg d;
    TmlDataset *out[3] = {NULL, NULL, NULL};
    TmlTable *t = NULL;
    TmlFeatures *f = NULL;
    if (read_data_cfg(cfg, &d, err)) goto fail;
    f = (TmlFeatures *)calloc(1, sizeof *f);
    if (!f) goto oom;
    f->kind = d.kind;
    f->positive = -1;
    f->use_history = d.history;
    if (!(f->text_cols = strdup(d.text_cols)) || !(f->label_col = strdup(d.label_col))) goto oom;
    if (d.id_col && !(f->id_col = strdup(d.id_col))) goto oom;
    if (dup_history_cfg(&f->history, &d)) goto oom;
    f->derive = d.derive;
    d.derive = NULL;
    if (!(t = read_table(d.train, d.format, err))) goto fail;
    if ((d.kind == TML_DATA_TEXT ? fit_text : fit_tabular)(cfg, &d, f, t, out, err)) goto fail;
    tml_table_free(t);
    t = NULL;
    if (d.valid && !(out[1] = file_dataset(f, d.valid, d.format, d.tickets, err))) goto fail;
    if (d.test && !(out[2] = file_dataset(f, d.test, d.format, d.tickets, err))) goto fail;
    if ((!valid && out[1]) || (!test && out[2])) { /* caller does not want them */
        if (!valid) tml_dataset_free(out[1]), out[1] = NULL;
        if (!test) tml_dataset_free(out[2]), out[2] = NULL;
    }
    data_cfg_free(&d);
    *features = f;
    *train = out[0];
    if (valid) *valid = out[1];
    if (test) *test = out[2];
    return 0;
oom:
    tml_fail(err, "out of memory reading the data");
fail:
    data_cfg_free(&d);
    tml_table_free(t);
    for (int s = 0; s < 3; s++) tml_dataset_free(out[s]);
    tml_features_free(f);
    return -1;
}

/* ---- transform --------------------------------------------------------------------------------- */

static TmlDataset *table_dataset(const TmlFeatures *f, const TmlTable *t, const char *tickets, TmlFileFormat format,
                                 int label_optional, TmlError *err) {
    Cols c;
    if (find_cols(f, t, 0, label_optional, &c, err)) return NULL;
    TmlDataset *d = dataset_rows(f, t, &c, NULL, t->n_rows, err);
    if (!d) return NULL;
    if (f->kind == TML_DATA_TEXT) {
        if (dataset_featurize_text(f, d, err)) goto fail;
    } else {
        float *dense = tabular_dense(f, t, tickets, format, err);
        if (!dense) goto fail;
        d->dim = (int)f->dim;
        d->dense = dense;
    }
    return d;
fail:
    tml_dataset_free(d);
    return NULL;
}

static TmlDataset *file_dataset(const TmlFeatures *f, const char *path, TmlFileFormat format, const char *tickets,
                                TmlError *err) {
    TmlTable *t = tml_table_read(path, format, err);
    if (!t) return NULL;
    TmlDataset *d = table_dataset(f, t, tickets, format, 0, err);
    tml_table_free(t);
    return d;
}

TmlDataset *tml_features_transform_file(const TmlFeatures *f, const char *path, const char *tickets_path,
                                        TmlError *err) {
    char *p = tml_data_path(path), *tp = tickets_path ? tml_data_path(tickets_path) : NULL;
    TmlDataset *d = p ? file_dataset(f, p, TML_FORMAT_AUTO, tp, err) : NULL;
    if (!p) tml_fail(err, "out of memory");
    free(p);
    free(tp);
    return d;
}

TmlDataset *tml_features_transform_table(const TmlFeatures *f, const TmlTable *t, const char *tickets_path,
                                         int label_optional, TmlError *err) {
    char *tp = tickets_path ? tml_data_path(tickets_path) : NULL;
    if (tickets_path && !tp) {
        tml_fail(err, "out of memory");
        return NULL;
    }
    TmlDataset *d = table_dataset(f, t, tp, TML_FORMAT_AUTO, label_optional, err);
    free(tp);
    return d;
}

int tml_features_text(const TmlFeatures *f, const char *text, int64_t **offsets, int32_t **ids, float **w,
                      TmlError *err) {
    if (f->kind != TML_DATA_TEXT || !f->text)
        return tml_fail(err, "these features are tabular; a single text cannot be featurized with them");
    const char *texts[1] = {text};
    int64_t bad;
    return tml_textfeat_transform_rows(f->text, texts, 1, offsets, ids, w, &bad, err);
}
