/* export_model.c — the export in memory: ownership, tensors by key, column-type names, and the
 * consistency checks a loader runs before trusting any shape (the model part by its serving family,
 * serve_family.h). Knows no file format: the formats (export_h5.c, export_st.c) build and read
 * this, export_io.c picks between them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/tabular.h"
#include "serve/export_model.h"
#include "serve/serve_family.h"

TmlExport *tml_export_new(void) {
    TmlExport *e = calloc(1, sizeof *e);
    if (e) {
        e->format_version = 1; /* raised to 2 by the writer when a version-2 field is used */
        e->positive = -1;
    }
    return e;
}

static void free_strs(char **s, int64_t n) {
    if (!s) return;
    for (int64_t i = 0; i < n; i++) free(s[i]);
    free(s);
}

void tml_export_free(TmlExport *e) {
    if (!e) return;
    free(e->task), free(e->kind), free(e->arch), free(e->loss), free(e->bag);
    free_strs(e->labels, e->n_labels);
    free(e->text_columns), free(e->label_column), free(e->id_column);
    free_strs(e->vocab, e->n_words);
    free_strs(e->col_name, e->n_cols);
    free_strs(e->col_type, e->n_cols);
    free_strs(e->col_impute, e->n_cols);
    free(e->col_fill), free(e->col_mean), free(e->col_std), free(e->col_offset), free(e->col_n_cats);
    free_strs(e->categories, e->n_categories);
    free_strs(e->feature_names, e->tab_dim);
    free(e->tab_derive);
    free(e->hist_customer), free(e->hist_time), free(e->hist_sentiment), free(e->hist_intent);
    free(e->hist_response), free(e->hist_cutoff);
    free_strs(e->history_features, e->history_dim);
    tml_tokspec_free(&e->tok);
    for (int k = 0; k < e->n_tensors; k++) free(e->tensors[k].data), free(e->tensors[k].ints);
    free(e);
}

const TmlExportTensor *tml_export_tensor(const TmlExport *e, const char *key) {
    for (int k = 0; k < e->n_tensors; k++)
        if (!strcmp(e->tensors[k].key, key)) return &e->tensors[k];
    return NULL;
}

/* The next tensor slot named key, or NULL (data freed, err set) when the table is full or the
 * name too long. */
static TmlExportTensor *add_slot(TmlExport *e, const char *key, int64_t rows, int64_t cols, void *data,
                                 TmlError *err) {
    if (e->n_tensors >= TML_EXPORT_MAX_TENSORS + 1 || strlen(key) >= sizeof e->tensors[0].key) {
        free(data);
        tml_fail(err, "too many tensors (or a tensor name too long: '%s'); not a version %d export", key,
                 TML_EXPORT_VERSION);
        return NULL;
    }
    TmlExportTensor *t = &e->tensors[e->n_tensors++];
    snprintf(t->key, sizeof t->key, "%s", key);
    t->rows = rows;
    t->cols = cols;
    t->data = NULL;
    t->ints = NULL;
    return t;
}

int tml_export_add_tensor(TmlExport *e, const char *key, int64_t rows, int64_t cols, float *data, TmlError *err) {
    TmlExportTensor *t = add_slot(e, key, rows, cols, data, err);
    if (!t) return -1;
    t->data = data;
    return 0;
}

int tml_export_add_tensor_i32(TmlExport *e, const char *key, int64_t rows, int64_t cols, int32_t *data,
                              TmlError *err) {
    TmlExportTensor *t = add_slot(e, key, rows, cols, data, err);
    if (!t) return -1;
    t->ints = data;
    return 0;
}

static const char *const COL_TYPES[] = {"numeric", "categorical", "boolean", "id", "ignore"};
static const char *const IMPUTES[] = {"median", "mean", "zero"};

const char *tml_export_col_type_name(int type) { return type >= 0 && type < 5 ? COL_TYPES[type] : "?"; }
int tml_export_col_type_parse(const char *s) {
    for (int i = 0; i < 5; i++)
        if (s && !strcmp(s, COL_TYPES[i])) return i;
    return -1;
}
const char *tml_export_impute_name(int impute) { return impute >= 0 && impute < 3 ? IMPUTES[impute] : "?"; }

/* ---- validation ------------------------------------------------------------------------------- */

int tml_export_want_tensor(const TmlExport *e, const char *where, const char *key, int64_t rows, int64_t cols,
                           TmlError *err) {
    const TmlExportTensor *t = tml_export_tensor(e, key);
    if (!t) return tml_fail(err, "%s: tensor '%s' is missing; re-export the model", where, key);
    if (t->rows != rows || t->cols != cols)
        return tml_fail(err, "%s: tensor '%s' has shape (%lld, %lld) but the model spec needs (%lld, %lld)", where, key,
                        (long long)t->rows, (long long)t->cols, (long long)rows, (long long)cols);
    if (!t->data) return tml_fail(err, "%s: tensor '%s' is not float32 (or has no data)", where, key);
    return 0;
}

const TmlExportTensor *tml_export_want_ints(const TmlExport *e, const char *where, const char *key, int64_t rows,
                                            int64_t cols, TmlError *err) {
    const TmlExportTensor *t = tml_export_tensor(e, key);
    if (!t) return tml_fail(err, "%s: tensor '%s' is missing; re-export the model", where, key), NULL;
    if ((rows >= 0 && t->rows != rows) || t->cols != cols)
        return tml_fail(err, "%s: tensor '%s' has shape (%lld, %lld) but the model needs (%lld, %lld)", where, key,
                        (long long)t->rows, (long long)t->cols, (long long)rows, (long long)cols),
               NULL;
    if (!t->ints) return tml_fail(err, "%s: tensor '%s' is not int32", where, key), NULL;
    return t;
}

static int one_of(const char *s, const char *a, const char *b, const char *c) {
    return s && ((a && !strcmp(s, a)) || (b && !strcmp(s, b)) || (c && !strcmp(s, c)));
}

static int validate_tabular(const TmlExport *e, const char *where, TmlError *err) {
    if (e->tab_dim != e->in_dim)
        return tml_fail(err, "%s: tabular/dim %lld differs from model/in_dim %lld", where, (long long)e->tab_dim,
                        (long long)e->in_dim);
    if (e->n_cols < 1) return tml_fail(err, "%s: tabular/columns is empty", where);
    int64_t cats = 0;
    for (int64_t i = 0; i < e->n_cols; i++) {
        const char *nm = e->col_name[i] ? e->col_name[i] : "?";
        int type = tml_export_col_type_parse(e->col_type[i]);
        if (type < 0)
            return tml_fail(err, "%s: column '%s' has unknown type '%s' (a newer ticketml wrote this export?)", where,
                            nm, e->col_type[i] ? e->col_type[i] : "");
        if (!one_of(e->col_impute[i], "median", "mean", "zero"))
            return tml_fail(err, "%s: column '%s' has unknown impute rule '%s'", where, nm,
                            e->col_impute[i] ? e->col_impute[i] : "");
        int64_t width = type == TML_COL_NUMERIC ? 1 : (type == TML_COL_CATEGORICAL || type == TML_COL_BOOLEAN)
                                                          ? e->col_n_cats[i]
                                                          : 0;
        if (e->col_n_cats[i] < 0 || (type == TML_COL_NUMERIC && e->col_n_cats[i] != 0))
            return tml_fail(err, "%s: column '%s' has %lld categories", where, nm, (long long)e->col_n_cats[i]);
        if (width > 0 && (e->col_offset[i] < 0 || e->col_offset[i] + width > e->tab_dim))
            return tml_fail(err, "%s: column '%s' (offset %lld, width %lld) lies outside the %lld features", where, nm,
                            (long long)e->col_offset[i], (long long)width, (long long)e->tab_dim);
        if (type == TML_COL_NUMERIC && !(e->col_std[i] != 0 && e->col_std[i] == e->col_std[i]))
            return tml_fail(err, "%s: column '%s' has std %g; the export is corrupt", where, nm, e->col_std[i]);
        if (cats + e->col_n_cats[i] > e->n_categories)
            return tml_fail(err, "%s: tabular/categories holds %lld names but the columns need more", where,
                            (long long)e->n_categories);
        for (int64_t k = 1; k < e->col_n_cats[i]; k++)
            if (strcmp(e->categories[cats + k - 1], e->categories[cats + k]) >= 0)
                return tml_fail(err, "%s: categories of column '%s' are not sorted ('%s' before '%s')", where, nm,
                                e->categories[cats + k - 1], e->categories[cats + k]);
        cats += e->col_n_cats[i];
    }
    if (cats != e->n_categories)
        return tml_fail(err, "%s: tabular/categories holds %lld names, the columns use %lld", where,
                        (long long)e->n_categories, (long long)cats);
    return 0;
}

/* Weights must be numbers: a NaN or infinite weight (a diverged training) makes every probability
 * NaN. Split thresholds may be infinite (a split above every value); never NaN. */
static int check_finite(const TmlExport *e, const char *where, TmlError *err) {
    for (int t = 0; t < e->n_tensors; t++) {
        const TmlExportTensor *x = &e->tensors[t];
        if (!x->data) continue;
        int inf_ok = !strcmp(x->key, "trees/threshold");
        int64_t n = x->cols > 0 ? x->rows * x->cols : x->rows;
        for (int64_t i = 0; i < n; i++)
            if (isnan(x->data[i]) || (!inf_ok && isinf(x->data[i])))
                return tml_fail(err, "%s: tensor '%s' holds a NaN or infinite value (index %lld): the model it was "
                                     "exported from diverged in training; train it again with a lower train.lr and "
                                     "export that model",
                                where, x->key, (long long)i);
    }
    return 0;
}

int tml_export_validate(const TmlExport *e, const char *where, TmlError *err) {
    int encoder = e->arch && !strcmp(e->arch, "encoder");
    int v2 = (e->arch && !strcmp(e->arch, "gbdt")) || encoder || e->tab_keep_missing || (e->tab_derive && e->tab_derive[0]);
    if (v2 && e->format_version < 2)
        return tml_fail(err, "%s: a version-1 export cannot hold tree or encoder models, kept missing values or derived columns; "
                             "export the model again",
                        where);
    if (!e->kind || !e->arch || !e->task)
        return tml_fail(err, "%s: kind, task or model attributes are missing; re-export the model", where);
    int text = !strcmp(e->kind, "text");
    if (!text && strcmp(e->kind, "tabular"))
        return tml_fail(err, "%s: unknown kind '%s' (a newer ticketml wrote this export?)", where, e->kind);
    const TmlServeFamily *fam = tml_serve_family_for_arch(e->arch);
    if (!fam || strcmp(fam->kind, e->kind) != 0)
        return tml_fail(err, "%s: architecture '%s' does not fit kind '%s'", where, e->arch, e->kind);
    if (e->n_out < 1 || e->n_out > (1 << 24) || e->in_dim < 1 || e->in_dim > INT32_MAX)
        return tml_fail(err, "%s: model dimensions are invalid (in_dim %lld, dim %lld, hidden %lld, n_out %lld)", where,
                        (long long)e->in_dim, (long long)e->dim, (long long)e->hidden, (long long)e->n_out);
    int expect = 0; /* tensors: the family's, plus text/idf */
    if (fam->validate(e, where, &expect, err)) return -1;
    if (e->n_labels != e->n_out)
        return tml_fail(err, "%s: %lld label names for %lld outputs", where, (long long)e->n_labels, (long long)e->n_out);
    if (e->positive < -1 || e->positive >= e->n_out)
        return tml_fail(err, "%s: labels/positive %lld is out of range", where, (long long)e->positive);
    if (!e->text_columns || !e->label_column || !e->id_column)
        return tml_fail(err, "%s: data/ column names are missing", where);
    if (encoder) {
        /* the encoder reads token ids: the tokenizer replaces the n-gram featurizer */
        if (tml_tokspec_check(&e->tok, where, err)) return -1;
        if (e->tok.n_pieces > e->in_dim)
            return tml_fail(err, "%s: the tokenizer has %d ids but the encoder only %lld embeddings", where,
                            e->tok.n_pieces, (long long)e->in_dim);
    } else if (text) {
        const TmlTextConfig *c = &e->text;
        if (c->word_ngrams < 1 || c->word_ngrams > 8 || c->minn < 0 || c->maxn < c->minn || c->maxn > 64 ||
            c->buckets < 0 || c->tfidf < 0 || c->tfidf > 1)
            return tml_fail(err, "%s: text settings are invalid (word_ngrams %d, minn %d, maxn %d, buckets %lld)", where,
                            c->word_ngrams, c->minn, c->maxn, (long long)c->buckets);
        if (e->n_words < 0 || e->n_words + c->buckets != e->in_dim)
            return tml_fail(err, "%s: %lld vocabulary words + %lld buckets != model/in_dim %lld", where,
                            (long long)e->n_words, (long long)c->buckets, (long long)e->in_dim);
        if (c->tfidf) {
            if (tml_export_want_tensor(e, where, "text/idf", e->in_dim, 0, err)) return -1;
            expect++;
        }
    } else if (validate_tabular(e, where, err)) {
        return -1;
    }
    if (e->n_tensors != expect)
        return tml_fail(err, "%s: %d tensors stored, the model needs %d; re-export the model", where, e->n_tensors,
                        expect);
    return check_finite(e, where, err);
}
