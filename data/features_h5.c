/* features_h5.c — TmlFeatures as one HDF5 group (layout in docs/model-format.md, "features
 * group"), shared by model files, the dataset cache and the export. Scalars are attributes, arrays
 * are datasets; loading checks every piece and names what is missing or inconsistent. */
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "data/h5.h"

#define FEATURES_FORMAT_VERSION 1

/* ---- save -------------------------------------------------------------------------------------- */

static int save_text(hid_t g, const TmlTextFeaturizer *tf) {
    const TmlTextConfig *c = tml_textfeat_config(tf);
    int64_t nw = tml_textfeat_n_words(tf);
    int rc = 0;
    rc |= tml_h5_attr_i64(g, "normalize", c->normalize);
    rc |= tml_h5_attr_i64(g, "placeholders", c->placeholders);
    rc |= tml_h5_attr_i64(g, "cjk_bigrams", c->cjk_bigrams);
    rc |= tml_h5_attr_i64(g, "word_ngrams", c->word_ngrams);
    rc |= tml_h5_attr_i64(g, "minn", c->minn);
    rc |= tml_h5_attr_i64(g, "maxn", c->maxn);
    rc |= tml_h5_attr_i64(g, "buckets", c->buckets);
    rc |= tml_h5_attr_i64(g, "min_count", c->min_count);
    rc |= tml_h5_attr_i64(g, "tfidf", c->tfidf);
    rc |= tml_h5_attr_i64(g, "invalid_utf8", c->invalid_utf8);
    rc |= tml_h5_attr_i64(g, "n_words", nw);
    rc |= tml_h5_attr_str(g, "hash", "fnv1a32");
    if (rc) return -1;
    char **words = (char **)malloc((size_t)(nw > 0 ? nw : 1) * sizeof *words);
    if (!words) return -1;
    for (int64_t i = 0; i < nw; i++) words[i] = (char *)tml_textfeat_word(tf, i);
    rc = tml_h5_write_strs(g, "words", words, nw);
    free(words);
    if (rc) return -1;
    hsize_t dims[1] = {(hsize_t)nw};
    int64_t zero = 0;
    if (tml_h5_write(g, "counts", H5T_NATIVE_INT64, 1, dims, nw ? (const void *)tml_textfeat_counts(tf) : &zero, 1))
        return -1;
    if (tml_textfeat_idf(tf)) {
        dims[0] = (hsize_t)tml_textfeat_dim(tf);
        if (tml_h5_write(g, "idf", H5T_NATIVE_FLOAT, 1, dims, tml_textfeat_idf(tf), 1)) return -1;
    }
    return 0;
}

static int save_tabular(hid_t g, const TmlFeatures *f) {
    const TmlTabular *tb = f->tab;
    int n = tb->n_cols, total_cats = 0;
    for (int i = 0; i < n; i++) total_cats += tb->cols[i].n_cats;
    size_t m = (size_t)(n > 0 ? n : 1);
    char **names = (char **)malloc(m * sizeof *names);
    int32_t *type = (int32_t *)malloc(m * sizeof *type), *impute = (int32_t *)malloc(m * sizeof *impute),
            *ncats = (int32_t *)malloc(m * sizeof *ncats), *offset = (int32_t *)malloc(m * sizeof *offset);
    double *num = (double *)malloc(m * 8 * sizeof *num); /* fill mean std q1 q2 q3 min max */
    int64_t *nmiss = (int64_t *)malloc(m * sizeof *nmiss);
    char **cats = (char **)malloc((size_t)(total_cats > 0 ? total_cats : 1) * sizeof *cats);
    double *freq = (double *)malloc((size_t)(total_cats > 0 ? total_cats : 1) * sizeof *freq);
    int rc = -1;
    if (!names || !type || !impute || !ncats || !offset || !num || !nmiss || !cats || !freq) goto done;
    int k = 0;
    for (int i = 0; i < n; i++) {
        const TmlTabColumn *c = &tb->cols[i];
        names[i] = c->name;
        type[i] = (int32_t)c->type;
        impute[i] = (int32_t)c->impute;
        ncats[i] = c->n_cats;
        offset[i] = c->offset;
        nmiss[i] = c->n_missing_fit;
        double v[8] = {c->fill, c->mean, c->std, c->quartiles[0], c->quartiles[1], c->quartiles[2], c->min, c->max};
        memcpy(num + 8 * i, v, sizeof v);
        for (int j = 0; j < c->n_cats; j++, k++) {
            cats[k] = c->cats[j];
            freq[k] = c->cat_freq ? c->cat_freq[j] : 0;
        }
    }
    hsize_t d1[1] = {(hsize_t)n}, d2[2] = {(hsize_t)n, 8}, dc[1] = {(hsize_t)total_cats};
    if (tml_h5_attr_i64(g, "n_cols", n) || tml_h5_attr_i64(g, "dim", tb->dim) ||
        tml_h5_attr_i64(g, "use_history", f->use_history) || tml_h5_attr_i64(g, "history_dim", f->history_dim) ||
        tml_h5_write_strs(g, "col_names", names, n) || tml_h5_write(g, "col_type", H5T_NATIVE_INT32, 1, d1, type, 0) ||
        tml_h5_write(g, "col_impute", H5T_NATIVE_INT32, 1, d1, impute, 0) ||
        tml_h5_write(g, "col_n_cats", H5T_NATIVE_INT32, 1, d1, ncats, 0) ||
        tml_h5_write(g, "col_offset", H5T_NATIVE_INT32, 1, d1, offset, 0) ||
        tml_h5_write(g, "col_n_missing_fit", H5T_NATIVE_INT64, 1, d1, nmiss, 0) ||
        tml_h5_write(g, "col_stats", H5T_NATIVE_DOUBLE, 2, d2, num, 0) ||
        tml_h5_write_strs(g, "categories", cats, total_cats) ||
        tml_h5_write(g, "cat_freq", H5T_NATIVE_DOUBLE, 1, dc, freq, 0) ||
        tml_h5_write_strs(g, "feature_names", tb->feature_names, tb->dim))
        goto done;
    if (f->use_history) {
        const TmlHistoryConfig *h = &f->history;
        if (tml_h5_write_strs(g, "history_names", f->history_names, f->history_dim) ||
            tml_h5_attr_str(g, "customer_col", h->customer_col) || tml_h5_attr_str(g, "time_col", h->time_col) ||
            tml_h5_attr_str(g, "sentiment_col", h->sentiment_col) || tml_h5_attr_str(g, "intent_col", h->intent_col) ||
            tml_h5_attr_str(g, "response_col", h->response_col) ||
            (h->cutoff && tml_h5_attr_str(g, "cutoff", h->cutoff)))
            goto done;
    }
    /* absent in files from before these existed: read back as "impute" and "no derived columns" */
    if (tb->keep_missing && tml_h5_attr_i64(g, "keep_missing", 1)) goto done;
    if (f->derive) {
        char *text = tml_derive_to_text(f->derive);
        int bad = !text || tml_h5_attr_str(g, "derive", text);
        free(text);
        if (bad) goto done;
    }
    rc = 0;
done:
    free(names), free(type), free(impute), free(ncats), free(offset), free(num), free(nmiss), free(cats), free(freq);
    return rc;
}

int tml_features_save(hid_t loc, const char *name, const TmlFeatures *f, TmlError *err) {
    tml_h5_quiet();
    if (tml_h5_exists(loc, name) && H5Ldelete(loc, name, H5P_DEFAULT) < 0)
        return tml_h5_fail(err, "cannot replace the features group \"%s\"", name);
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return tml_h5_fail(err, "cannot create the features group \"%s\"", name);
    int rc = 0;
    rc |= tml_h5_attr_i64(g, "format_version", FEATURES_FORMAT_VERSION);
    rc |= tml_h5_attr_str(g, "kind", f->kind == TML_DATA_TEXT ? "text" : "tabular");
    rc |= tml_h5_attr_str(g, "text_cols", f->text_cols);
    rc |= tml_h5_attr_str(g, "label_col", f->label_col);
    if (f->id_col) rc |= tml_h5_attr_str(g, "id_col", f->id_col);
    rc |= tml_h5_attr_i64(g, "positive", f->positive);
    rc |= tml_h5_attr_i64(g, "dim", f->dim);
    if (!rc) rc = tml_h5_write_strs(g, "labels", f->labels->names, f->labels->n);
    if (!rc) {
        const char *sub = f->kind == TML_DATA_TEXT ? "text" : "tabular";
        hid_t s = H5Gcreate2(g, sub, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        rc = s < 0 ? -1 : f->kind == TML_DATA_TEXT ? save_text(s, f->text) : save_tabular(s, f);
        if (s >= 0) H5Gclose(s);
    }
    H5Gclose(g);
    if (rc) return tml_h5_fail(err, "cannot write the features group \"%s\" (disk full or file read-only?)", name);
    return 0;
}

/* ---- load -------------------------------------------------------------------------------------- */

static int load_text(hid_t g, TmlFeatures *f, TmlError *err) {
    TmlTextConfig c;
    tml_textfeat_config_default(&c);
    int64_t v[11];
    const char *keys[] = {"normalize", "placeholders", "cjk_bigrams", "word_ngrams", "minn", "maxn",
                          "buckets", "min_count", "tfidf", "invalid_utf8", "n_words"};
    for (int i = 0; i < 11; i++)
        if (tml_h5_get_i64(g, keys[i], &v[i])) return tml_fail(err, "text attribute \"%s\" is missing", keys[i]);
    c.normalize = (int)v[0], c.placeholders = (int)v[1], c.cjk_bigrams = (int)v[2], c.word_ngrams = (int)v[3];
    c.minn = (int)v[4], c.maxn = (int)v[5], c.buckets = v[6], c.min_count = (int)v[7], c.tfidf = (int)v[8];
    c.invalid_utf8 = (int)v[9];
    int64_t nw = 0, nc = -1, ni = -1;
    char **words = tml_h5_read_strs(g, "words", &nw);
    int64_t *counts = NULL;
    float *idf = NULL;
    int rc = -1;
    if (!words || nw != v[10]) {
        tml_fail(err, "text/words is missing or has %lld entries instead of %lld", (long long)nw, (long long)v[10]);
        goto done;
    }
    nc = tml_h5_size(g, "counts", NULL);
    counts = (int64_t *)malloc((size_t)(nw > 0 ? nw : 1) * sizeof *counts);
    if (nc != nw || !counts || tml_h5_read(g, "counts", H5T_NATIVE_INT64, counts)) {
        tml_fail(err, "text/counts is missing or does not match the %lld words", (long long)nw);
        goto done;
    }
    if (c.tfidf) {
        ni = tml_h5_size(g, "idf", NULL);
        idf = (float *)malloc((size_t)(ni > 0 ? ni : 1) * sizeof *idf);
        if (ni != nw + c.buckets || !idf || tml_h5_read(g, "idf", H5T_NATIVE_FLOAT, idf)) {
            tml_fail(err, "text/idf is missing or does not have n_words + buckets = %lld values",
                     (long long)(nw + c.buckets));
            goto done;
        }
    }
    if (!(f->text = tml_textfeat_restore(&c, words, counts, nw, idf, err))) goto done;
    rc = 0;
done:
    if (words)
        for (int64_t i = 0; i < nw; i++) free(words[i]);
    free(words);
    free(counts);
    free(idf);
    return rc;
}

static int load_tabular(hid_t g, TmlFeatures *f, TmlError *err) {
    int64_t n, dim, uh = 0, hd = 0, nn = 0, nk = 0, nf = 0;
    if (tml_h5_get_i64(g, "n_cols", &n) || tml_h5_get_i64(g, "dim", &dim) || n < 0 || dim < 0)
        return tml_fail(err, "tabular attributes n_cols/dim are missing");
    tml_h5_get_i64(g, "use_history", &uh);
    tml_h5_get_i64(g, "history_dim", &hd);
    size_t m = (size_t)(n > 0 ? n : 1);
    char **names = tml_h5_read_strs(g, "col_names", &nn), **cats = NULL, **fnames = NULL;
    int32_t *type = (int32_t *)malloc(m * 4), *impute = (int32_t *)malloc(m * 4), *ncats = (int32_t *)malloc(m * 4),
            *offset = (int32_t *)malloc(m * 4);
    double *num = (double *)malloc(m * 8 * sizeof *num), *freq = NULL;
    int64_t *nmiss = (int64_t *)malloc(m * sizeof *nmiss);
    TmlTabular *tb = (TmlTabular *)calloc(1, sizeof *tb);
    int rc = -1;
    if (!names || nn != n || !type || !impute || !ncats || !offset || !num || !nmiss || !tb ||
        tml_h5_size(g, "col_stats", NULL) != 8 * n || tml_h5_read(g, "col_type", H5T_NATIVE_INT32, type) ||
        tml_h5_read(g, "col_impute", H5T_NATIVE_INT32, impute) ||
        tml_h5_read(g, "col_n_cats", H5T_NATIVE_INT32, ncats) ||
        tml_h5_read(g, "col_offset", H5T_NATIVE_INT32, offset) ||
        tml_h5_read(g, "col_n_missing_fit", H5T_NATIVE_INT64, nmiss) ||
        tml_h5_read(g, "col_stats", H5T_NATIVE_DOUBLE, num)) {
        tml_fail(err, "tabular column specs are missing or inconsistent");
        goto done;
    }
    int64_t total = 0;
    for (int64_t i = 0; i < n; i++) total += ncats[i] >= 0 ? ncats[i] : 0;
    cats = tml_h5_read_strs(g, "categories", &nk);
    freq = (double *)malloc((size_t)(nk > 0 ? nk : 1) * sizeof *freq);
    fnames = tml_h5_read_strs(g, "feature_names", &nf);
    if (!cats || nk != total || !freq || tml_h5_size(g, "cat_freq", NULL) != nk ||
        tml_h5_read(g, "cat_freq", H5T_NATIVE_DOUBLE, freq) || !fnames || nf != dim) {
        tml_fail(err, "tabular categories/feature_names are missing or inconsistent");
        goto done;
    }
    if (!(tb->cols = (TmlTabColumn *)calloc(m, sizeof *tb->cols))) goto oom;
    tb->n_cols = (int)n;
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        TmlTabColumn *c = &tb->cols[i];
        if (type[i] < TML_COL_NUMERIC || type[i] > TML_COL_IGNORE || ncats[i] < 0 || offset[i] < 0 ||
            offset[i] + (type[i] == TML_COL_NUMERIC ? 1 : ncats[i]) > dim) {
            tml_fail(err, "tabular column %lld (\"%s\") has an invalid type, offset or category count", (long long)i,
                     names[i]);
            goto done;
        }
        c->name = names[i];
        names[i] = NULL;
        c->type = (TmlColType)type[i];
        c->impute = (TmlImpute)impute[i];
        c->fill = num[8 * i], c->mean = num[8 * i + 1], c->std = num[8 * i + 2];
        c->quartiles[0] = num[8 * i + 3], c->quartiles[1] = num[8 * i + 4], c->quartiles[2] = num[8 * i + 5];
        c->min = num[8 * i + 6], c->max = num[8 * i + 7];
        c->n_missing_fit = nmiss[i];
        c->offset = offset[i];
        c->n_cats = ncats[i];
        if (c->n_cats > 0) {
            c->cats = (char **)malloc((size_t)c->n_cats * sizeof *c->cats);
            c->cat_freq = (double *)malloc((size_t)c->n_cats * sizeof *c->cat_freq);
            if (!c->cats || !c->cat_freq) {
                c->n_cats = 0;
                goto oom;
            }
            for (int j = 0; j < c->n_cats; j++, k++) {
                c->cats[j] = cats[k];
                cats[k] = NULL;
                c->cat_freq[j] = freq[k];
            }
        }
    }
    tb->dim = (int)dim;
    int64_t keep = 0;
    if (tml_h5_has_attr(g, "keep_missing") && !tml_h5_get_i64(g, "keep_missing", &keep)) tb->keep_missing = keep != 0;
    if (tml_h5_has_attr(g, "derive")) {
        char *text = tml_h5_get_str(g, "derive");
        if (!text || !(f->derive = tml_derive_parse(text, err))) {
            if (!text) tml_fail(err, "tabular attribute \"derive\" is unreadable");
            free(text);
            goto done;
        }
        free(text);
    }
    tb->feature_names = fnames;
    fnames = NULL;
    f->tab = tb;
    tb = NULL;
    f->use_history = (int)uh;
    if (uh) {
        int64_t nh = 0;
        f->history_names = tml_h5_read_strs(g, "history_names", &nh);
        f->history_dim = (int)nh;
        if (!f->history_names || nh != hd) {
            tml_fail(err, "tabular/history_names is missing or has %lld names instead of %lld", (long long)nh,
                     (long long)hd);
            goto done;
        }
        f->history.customer_col = tml_h5_get_str(g, "customer_col");
        f->history.time_col = tml_h5_get_str(g, "time_col");
        f->history.sentiment_col = tml_h5_get_str(g, "sentiment_col");
        f->history.intent_col = tml_h5_get_str(g, "intent_col");
        f->history.response_col = tml_h5_get_str(g, "response_col");
        f->history.cutoff = tml_h5_get_str(g, "cutoff");
        if (!f->history.customer_col || !f->history.time_col) {
            tml_fail(err, "tabular history columns (customer_col, time_col) are missing");
            goto done;
        }
    }
    rc = 0;
    goto done;
oom:
    tml_fail(err, "out of memory loading tabular features");
done:
    if (names)
        for (int64_t i = 0; i < nn; i++) free(names[i]);
    if (cats)
        for (int64_t i = 0; i < nk; i++) free(cats[i]);
    if (fnames)
        for (int64_t i = 0; i < nf; i++) free(fnames[i]);
    free(names), free(cats), free(fnames), free(type), free(impute), free(ncats), free(offset), free(num);
    free(nmiss), free(freq);
    tml_tabular_free(tb);
    return rc;
}

TmlFeatures *tml_features_load(hid_t loc, const char *name, TmlError *err) {
    tml_h5_quiet();
    if (!tml_h5_exists(loc, name)) return tml_fail(err, "no features group \"%s\" in the file", name), NULL;
    hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
    if (g < 0) return tml_h5_fail(err, "cannot open the features group \"%s\"", name), NULL;
    TmlFeatures *f = (TmlFeatures *)calloc(1, sizeof *f);
    char *kind = tml_h5_get_str(g, "kind");
    int64_t ver = 0, pos = -1, dim = 0, nl = 0;
    char **labels = NULL;
    TmlError e = {{0}};
    int ok = 0;
    if (!f) {
        tml_fail(&e, "out of memory");
        goto done;
    }
    if (tml_h5_get_i64(g, "format_version", &ver) || ver != FEATURES_FORMAT_VERSION) {
        tml_fail(&e, "format_version %lld is not %d; re-create the file with this ticketml", (long long)ver,
                 FEATURES_FORMAT_VERSION);
        goto done;
    }
    if (!kind || (strcmp(kind, "text") && strcmp(kind, "tabular"))) {
        tml_fail(&e, "attribute kind must be \"text\" or \"tabular\"");
        goto done;
    }
    f->kind = strcmp(kind, "text") ? TML_DATA_TABULAR : TML_DATA_TEXT;
    f->text_cols = tml_h5_get_str(g, "text_cols");
    f->label_col = tml_h5_get_str(g, "label_col");
    f->id_col = tml_h5_get_str(g, "id_col");
    if (!f->text_cols || !f->label_col || tml_h5_get_i64(g, "positive", &pos) || tml_h5_get_i64(g, "dim", &dim)) {
        tml_fail(&e, "attributes text_cols, label_col, positive or dim are missing");
        goto done;
    }
    f->positive = (int)pos;
    f->dim = dim;
    if (!(labels = tml_h5_read_strs(g, "labels", &nl)) || nl < 1 || pos >= nl) {
        tml_fail(&e, "the labels dataset is missing or empty");
        goto done;
    }
    if (!(f->labels = tml_labels_from_names(labels, (int)nl))) {
        tml_fail(&e, "out of memory");
        goto done;
    }
    hid_t s = H5Gopen2(g, f->kind == TML_DATA_TEXT ? "text" : "tabular", H5P_DEFAULT);
    if (s < 0) {
        tml_fail(&e, "subgroup \"%s\" is missing", f->kind == TML_DATA_TEXT ? "text" : "tabular");
        goto done;
    }
    int rc = f->kind == TML_DATA_TEXT ? load_text(s, f, &e) : load_tabular(s, f, &e);
    H5Gclose(s);
    if (rc) goto done;
    int64_t want = f->kind == TML_DATA_TEXT ? tml_textfeat_dim(f->text) : f->tab->dim;
    if (want != dim) {
        tml_fail(&e, "dim attribute %lld does not match the stored featurizer (%lld)", (long long)dim, (long long)want);
        goto done;
    }
    ok = 1;
done:
    if (labels)
        for (int64_t i = 0; i < nl; i++) free(labels[i]);
    free(labels);
    free(kind);
    H5Gclose(g);
    H5Eclear2(H5E_DEFAULT);
    if (!ok) {
        tml_fail(err, "features group \"%s\": %s", name, e.msg);
        tml_features_free(f);
        return NULL;
    }
    return f;
}
