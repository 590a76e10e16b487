/* export.c — from a loaded model (TmlLoadedModel: features + a model of any family) to the export in
 * memory (serve/export_model.h): labels and featurization here, the model part by its family
 * (TmlFamily.export_model); then to files through the serve library's writers, so the reader and
 * the writer of each format live side by side. */
#include "trainer/export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/file.h"
#include "ticketml/serve.h"

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

/* n strdup'd copies (NULL entries become ""); NULL when out of memory. */
static char **dup_strs(char *const *s, int64_t n) {
    char **o = calloc((size_t)(n > 0 ? n : 1), sizeof *o);
    for (int64_t i = 0; o && i < n; i++)
        if (!(o[i] = dup_or_empty(s ? s[i] : NULL))) {
            for (int64_t k = 0; k < i; k++) free(o[k]);
            free(o);
            o = NULL;
        }
    return o;
}

static int export_text(TmlExport *e, const TmlFeatures *f, TmlError *err) {
    const TmlTextFeaturizer *tf = f->text;
    e->text = *tml_textfeat_config(tf);
    int64_t n = tml_textfeat_n_words(tf);
    e->vocab = calloc((size_t)(n > 0 ? n : 1), sizeof *e->vocab);
    if (!e->vocab) return tml_fail(err, "out of memory");
    e->n_words = n;
    for (int64_t i = 0; i < n; i++)
        if (!(e->vocab[i] = strdup(tml_textfeat_word(tf, i)))) return tml_fail(err, "out of memory");
    const float *idf = tml_textfeat_idf(tf);
    if (e->text.tfidf && idf) {
        int64_t dim = tml_textfeat_dim(tf);
        float *copy = malloc((size_t)(dim > 0 ? dim : 1) * sizeof *copy);
        if (!copy) return tml_fail(err, "out of memory copying the idf vector");
        memcpy(copy, idf, (size_t)dim * sizeof *copy);
        if (tml_export_add_tensor(e, "text/idf", dim, 0, copy, err)) return -1;
    }
    return 0;
}

static int export_tabular(TmlExport *e, const TmlFeatures *f, TmlError *err) {
    const TmlTabular *tb = f->tab;
    int64_t n = tb->n_cols, cats = 0;
    for (int i = 0; i < tb->n_cols; i++) cats += tb->cols[i].n_cats;
    size_t m = (size_t)(n > 0 ? n : 1);
    e->col_name = calloc(m, sizeof(char *));
    e->col_type = calloc(m, sizeof(char *));
    e->col_impute = calloc(m, sizeof(char *));
    e->col_fill = malloc(m * sizeof(double));
    e->col_mean = malloc(m * sizeof(double));
    e->col_std = malloc(m * sizeof(double));
    e->col_offset = malloc(m * sizeof(int64_t));
    e->col_n_cats = malloc(m * sizeof(int64_t));
    e->categories = calloc((size_t)(cats > 0 ? cats : 1), sizeof(char *));
    if (!e->col_name || !e->col_type || !e->col_impute || !e->col_fill || !e->col_mean || !e->col_std ||
        !e->col_offset || !e->col_n_cats || !e->categories)
        return tml_fail(err, "out of memory");
    e->n_cols = n;
    e->n_categories = cats;
    int64_t k = 0;
    for (int i = 0; i < tb->n_cols; i++) {
        const TmlTabColumn *c = &tb->cols[i];
        if (!(e->col_name[i] = strdup(c->name)) || !(e->col_type[i] = strdup(tml_export_col_type_name(c->type))) ||
            !(e->col_impute[i] = strdup(tml_export_impute_name(c->impute))))
            return tml_fail(err, "out of memory");
        e->col_fill[i] = c->fill;
        e->col_mean[i] = c->mean;
        e->col_std[i] = c->std;
        e->col_offset[i] = c->offset;
        e->col_n_cats[i] = c->n_cats;
        for (int j = 0; j < c->n_cats; j++, k++)
            if (!(e->categories[k] = strdup(c->cats[j]))) return tml_fail(err, "out of memory");
    }
    if (!(e->feature_names = dup_strs(tb->feature_names, tb->dim))) return tml_fail(err, "out of memory");
    e->tab_dim = tb->dim;
    e->tab_keep_missing = tb->keep_missing;
    if (f->derive && !(e->tab_derive = tml_derive_to_text(f->derive))) return tml_fail(err, "out of memory");
    e->history_enabled = f->use_history;
    if (f->use_history) {
        const TmlHistoryConfig *h = &f->history;
        if (!(e->hist_customer = dup_or_empty(h->customer_col)) || !(e->hist_time = dup_or_empty(h->time_col)) ||
            !(e->hist_sentiment = dup_or_empty(h->sentiment_col)) || !(e->hist_intent = dup_or_empty(h->intent_col)) ||
            !(e->hist_response = dup_or_empty(h->response_col)) || !(e->hist_cutoff = dup_or_empty(h->cutoff)) ||
            !(e->history_features = dup_strs(f->history_names, f->history_dim)))
            return tml_fail(err, "out of memory");
        e->history_dim = f->history_dim;
    }
    return 0;
}

TmlExport *tml_export_from_model(const TmlLoadedModel *lm, TmlError *err) {
    const TmlFeatures *f = lm->features;
    TmlExport *e = tml_export_new();
    if (!e) {
        tml_fail(err, "out of memory");
        return NULL;
    }
    int text = f->kind == TML_DATA_TEXT;
    if (!(e->task = dup_or_empty(lm->task)) || !(e->kind = strdup(text ? "text" : "tabular")) ||
        !(e->text_columns = dup_or_empty(f->text_cols)) ||
        !(e->label_column = dup_or_empty(f->label_col)) || !(e->id_column = dup_or_empty(f->id_col)) ||
        !(e->labels = dup_strs(f->labels->names, f->labels->n))) {
        tml_fail(err, "out of memory");
        goto fail;
    }
    e->n_labels = f->labels->n;
    e->positive = f->positive;
    /* an encoder reads raw text through its own tokenizer (its family exports it), not the n-gram featurizer */
    int encoder = lm->model->arch && !strcmp(lm->model->arch, "encoder");
    if ((encoder ? 0 : text ? export_text(e, f, err) : export_tabular(e, f, err)) || tml_model_export(lm->model, e, err))
        goto fail;
    /* version 2 only when needed (docs/export-format.md, Versioning): a family that needs it sets it */
    if (e->tab_keep_missing || e->tab_derive) e->format_version = 2;
    return e;
fail:
    tml_export_free(e);
    return NULL;
}

/* --out DIR checked before the model is read: a file there (the model itself, a data file) is
 * refused, as is a folder that cannot be made or written. 0, or -1 with err set. */
static int check_out_dir(const char *dir, TmlError *err) {
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return tml_fail(err, "--out %s: is a file, not a folder; the export is a folder of files: choose another --out",
                            dir);
        if (access(dir, W_OK | X_OK) != 0)
            return tml_fail(err, "--out %s: the folder is not writable (%s); choose another --out", dir, strerror(errno));
        return 0;
    }
    /* a folder to be made: its parent must exist and be writable (tml_file_check_output's rules) */
    return tml_file_check_output(dir, "--out", err);
}

int tml_export_model_file(const char *model_path, const char *dir, TmlExportFormat fmt, TmlExportSummary *sum,
                          TmlError *err) {
    if (check_out_dir(dir, err)) return 2;
    TmlError e2;
    TmlBackend *be = tml_backend_create(TML_DEVICE_CPU, 1, &e2);
    if (!be) return tml_fail(err, "cannot open the CPU backend: %s", e2.msg), 1;
    TmlLoadedModel *lm = tml_modelfile_load(model_path, be, 0, err);
    TmlExport *e = NULL;
    TmlServeModel *check = NULL;
    int rc = 2;
    if (!lm) goto done;
    rc = 1;
    if (!(e = tml_export_from_model(lm, err)) || tml_export_write(e, dir, fmt, err) < 0) goto done;
    if (!(check = tml_serve_load(dir, &e2))) {
        tml_fail(err, "the export does not load back: %s", e2.msg);
        goto done;
    }
    if (sum) {
        snprintf(sum->task, sizeof sum->task, "%s", e->task);
        snprintf(sum->kind, sizeof sum->kind, "%s", e->kind);
        snprintf(sum->arch, sizeof sum->arch, "%s", e->arch);
        snprintf(sum->checksum, sizeof sum->checksum, "%s", e->checksum);
        sum->n_labels = tml_serve_n_labels(check);
    }
    rc = 0;
done:
    tml_serve_free(check);
    tml_export_free(e);
    tml_loaded_model_free(lm);
    tml_backend_free(be);
    return rc;
}
