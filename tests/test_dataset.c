/* test_dataset.c — config to featurized splits on the real datasets (banking77, waimai, telco;
 * skipped with a message when ../shared/datasets is absent) and on small files written here:
 * history features, HDF5 features roundtrip, cache freshness/staleness, missing-column errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/dataset.h"

static char tmpdir[256];

static const char *data_root(void) {
    const char *r = getenv("TICKETML_DATA");
    return r && r[0] ? r : "../shared/datasets";
}

/* 1 when the dataset file exists; else prints why the test skips. */
static int have(const char *rel) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", data_root(), rel);
    if (access(p, R_OK) == 0) return 1;
    print_message("skipping: %s not found (set TICKETML_DATA to the datasets folder)\n", p);
    return 0;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *tmp_path(const char *name) {
    static char buf[8][512];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static TmlConfig *config(const char *text) {
    TmlError err = {{0}};
    TmlConfig *c = tml_config_parse(text, "test.ini", &err);
    if (!c) fail_msg("config: %s", err.msg);
    return c;
}

static void fit_ok(const TmlConfig *c, TmlFeatures **f, TmlDataset **tr, TmlDataset **va, TmlDataset **te) {
    TmlError err = {{0}};
    if (tml_features_fit(c, f, tr, va, te, &err)) fail_msg("fit: %s", err.msg);
}

static int64_t label_count(const TmlDataset *d, int k) {
    int64_t n = 0;
    for (int64_t i = 0; i < d->n_rows; i++) n += d->labels[i] == k;
    return n;
}

static void check_csr(const TmlDataset *d, int64_t dim) {
    assert_int_equal(d->offsets[0], 0);
    for (int64_t i = 0; i < d->n_rows; i++) assert_true(d->offsets[i + 1] >= d->offsets[i]);
    for (int64_t k = 0; k < d->offsets[d->n_rows]; k++) assert_true(d->ids[k] >= 0 && d->ids[k] < dim);
}

static void test_banking77(void **state) {
    if (!have("banking77/train.csv")) skip();
    TmlConfig *c = config("[data]\nkind = text\ntrain = ${TICKETML_DATA}/banking77/train.csv\n"
                          "test = ${TICKETML_DATA}/banking77/test.csv\ntext = text\nlabel = category\n"
                          "valid_frac = 0.1\nseed = 7\n[text]\nword_ngrams = 2\nbuckets = 100000\n");
    TmlFeatures *f;
    TmlDataset *tr, *va, *te;
    fit_ok(c, &f, &tr, &va, &te);
    assert_int_equal(f->labels->n, 77);
    assert_int_equal(f->positive, -1);
    assert_non_null(va);
    assert_non_null(te);
    assert_int_equal(tr->n_rows + va->n_rows, 10003);
    assert_int_equal(te->n_rows, 3080);
    /* valid takes round(0.1 * rows) of every class */
    int64_t want_valid = 0;
    for (int k = 0; k < 77; k++) {
        int64_t m = label_count(tr, k) + label_count(va, k);
        assert_true(m > 0);
        want_valid += llround(0.1 * (double)m);
        assert_int_equal(label_count(va, k), llround(0.1 * (double)m));
    }
    assert_int_equal(va->n_rows, want_valid);
    for (int64_t i = 0; i < te->n_rows; i++) assert_true(te->labels[i] >= 0);
    assert_int_equal(f->dim, tml_textfeat_n_words(f->text) + 100000);
    assert_true(tml_textfeat_n_words(f->text) > 1000);
    assert_true(tml_textfeat_word_id(f->text, "card") >= 0);
    check_csr(tr, f->dim);
    check_csr(te, f->dim);
    assert_null(tr->w);
    assert_string_equal(tr->texts[0], "I am still waiting on my card?");
    assert_int_equal(te->lines[0], 2);
    tml_dataset_free(tr), tml_dataset_free(va), tml_dataset_free(te);
    tml_features_free(f);
    tml_config_free(c);
}

static void test_waimai_chinese(void **state) {
    if (!have("waimai_10k/train.csv")) skip();
    TmlConfig *c = config("[data]\ntrain = ${TICKETML_DATA}/waimai_10k/train.csv\n"
                          "test = ${TICKETML_DATA}/waimai_10k/test.csv\ntext = review\nlabel = label\n"
                          "[text]\ntfidf = true\nbuckets = 50000\n");
    TmlFeatures *f;
    TmlDataset *tr, *va, *te;
    fit_ok(c, &f, &tr, &va, &te);
    assert_int_equal(f->labels->n, 2);
    assert_int_equal(f->positive, 1); /* "1" is the positive review class */
    assert_int_equal(tr->n_rows + va->n_rows, 9589);
    assert_int_equal(te->n_rows, 2398);
    assert_true(tml_textfeat_word_id(f->text, "好") >= 0);
    assert_true(tml_textfeat_word_id(f->text, "好吃") >= 0);
    assert_non_null(tr->w);
    for (int64_t i = 0; i < 50; i++) {
        double s = 0;
        for (int64_t k = tr->offsets[i]; k < tr->offsets[i + 1]; k++) s += (double)tr->w[k] * tr->w[k];
        if (tr->offsets[i + 1] > tr->offsets[i]) assert_float_equal(s, 1.0, 1e-4);
    }
    check_csr(te, f->dim);
    tml_dataset_free(tr), tml_dataset_free(va), tml_dataset_free(te);
    tml_features_free(f);
    tml_config_free(c);
}

static void test_telco_tabular(void **state) {
    if (!have("telco_churn/train.csv")) skip();
    TmlConfig *c = config("[data]\nkind = tabular\ntrain = ${TICKETML_DATA}/telco_churn/train.csv\n"
                          "test = ${TICKETML_DATA}/telco_churn/test.csv\nlabel = Churn\nid = customerID\n"
                          "valid_frac = 0.2\n[tabular]\nimpute = median\n");
    TmlFeatures *f;
    TmlDataset *tr, *va, *te;
    fit_ok(c, &f, &tr, &va, &te);
    assert_int_equal(f->kind, TML_DATA_TABULAR);
    assert_int_equal(f->labels->n, 2);
    assert_string_equal(f->labels->names[f->positive], "Yes");
    assert_int_equal(tr->n_rows + va->n_rows, 5634);
    assert_int_equal(te->n_rows, 1409);
    assert_int_equal(f->use_history, 0);
    assert_int_equal(f->dim, f->tab->dim);
    assert_int_equal(tr->dim, f->dim);
    /* 19 attribute columns (customerID is the id): more than 19 outputs after one-hot */
    assert_int_equal(f->tab->n_cols, 19);
    assert_true(f->dim > 19);
    for (int64_t i = 0; i < tr->n_rows * tr->dim; i++) assert_true(isfinite(tr->dense[i]));
    assert_non_null(tr->row_ids);
    assert_int_equal(strlen(tr->row_ids[0]), 10);
    /* the loaded features give the same test matrix */
    char *h5 = tmp_path("telco.h5");
    hid_t file = H5Fcreate(h5, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    TmlError err = {{0}};
    assert_int_equal(tml_features_save(file, "features", f, &err), 0);
    H5Fclose(file);
    file = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
    TmlFeatures *g = tml_features_load(file, "features", &err);
    H5Fclose(file);
    if (!g) fail_msg("load: %s", err.msg);
    TmlDataset *te2 = tml_features_transform_file(g, "${TICKETML_DATA}/telco_churn/test.csv", NULL, &err);
    if (!te2) fail_msg("transform: %s", err.msg);
    assert_int_equal(te2->n_rows, te->n_rows);
    assert_memory_equal(te2->dense, te->dense, (size_t)(te->n_rows * te->dim) * sizeof(float));
    assert_memory_equal(te2->labels, te->labels, (size_t)te->n_rows * sizeof(int32_t));
    tml_dataset_free(te2);
    tml_features_free(g);
    tml_dataset_free(tr), tml_dataset_free(va), tml_dataset_free(te);
    tml_features_free(f);
    tml_config_free(c);
}

static const char *SMALL_TRAIN =
    "id,subject,body,intent\n"
    "1,Card lost,I lost my card yesterday,card\n"
    "2,Refund,Please refund order 12345,refund\n"
    "3,Card,\"My card was stolen, block it\",card\n"
    "4,退款,我要退款 请尽快,refund\n"
    "5,Card,card not working at https://shop.example.com,card\n"
    "6,Refund,refund not received @support,refund\n"
    "7,Other,where is my parcel,delivery\n"
    "8,Other,parcel late again,delivery\n";

static void small_files(void) {
    write_file(tmp_path("train.csv"), SMALL_TRAIN);
    write_file(tmp_path("eval.csv"), "id,subject,body,intent\n9,Card,card blocked,card\n10,Hi,new thing,upgrade\n");
    write_file(tmp_path("nolabel.csv"), "id,subject,body\n9,Card,card blocked\n");
}

static TmlConfig *small_config(void) {
    char text[2048];
    snprintf(text, sizeof text,
             "[data]\ntrain = %s\ntext = subject, body\nlabel = intent\nid = id\nvalid_frac = 0\n"
             "[text]\ntfidf = true\nminn = 2\nmaxn = 4\nbuckets = 5000\nword_ngrams = 3\n",
             tmp_path("train.csv"));
    return config(text);
}

static void test_features_roundtrip_h5(void **state) {
    small_files();
    TmlConfig *c = small_config();
    TmlFeatures *f;
    TmlDataset *tr, *va, *te;
    fit_ok(c, &f, &tr, &va, &te);
    assert_null(va);
    assert_null(te);
    assert_int_equal(tr->n_rows, 8);
    assert_string_equal(tr->texts[0], "Card lost I lost my card yesterday");
    assert_string_equal(tr->row_ids[3], "4");
    char *h5 = tmp_path("features.h5");
    TmlError err = {{0}};
    hid_t file = H5Fcreate(h5, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_int_equal(tml_features_save(file, "features", f, &err), 0);
    H5Fclose(file);
    file = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
    TmlFeatures *g = tml_features_load(file, "features", &err);
    if (!g) fail_msg("load: %s", err.msg);
    /* a group that is not there is a clear error, not an HDF5 stack dump */
    assert_null(tml_features_load(file, "nope", &err));
    assert_non_null(strstr(err.msg, "nope"));
    H5Fclose(file);
    assert_int_equal(g->dim, f->dim);
    assert_int_equal(g->labels->n, 3);
    assert_string_equal(g->text_cols, "subject, body");
    assert_string_equal(g->id_col, "id");
    const char *texts[] = {"I lost my card", "我要退款", "parcel refund https://x.org 42", ""};
    for (int i = 0; i < 4; i++) {
        int64_t *o1, *o2;
        int32_t *i1, *i2;
        float *w1, *w2;
        assert_int_equal(tml_features_text(f, texts[i], &o1, &i1, &w1, &err), 0);
        assert_int_equal(tml_features_text(g, texts[i], &o2, &i2, &w2, &err), 0);
        assert_int_equal(o1[1], o2[1]);
        assert_memory_equal(i1, i2, (size_t)o1[1] * sizeof *i1);
        assert_memory_equal(w1, w2, (size_t)o1[1] * sizeof *w1);
        if (i < 3) assert_true(o1[1] > 0);
        free(o1), free(o2), free(i1), free(i2), free(w1), free(w2);
    }
    /* a bad single text names the byte, not an index */
    int64_t *ob;
    int32_t *ib;
    float *wb;
    assert_int_equal(tml_features_text(g, "ok \xff", &ob, &ib, &wb, &err), -1);
    assert_non_null(strstr(err.msg, "invalid UTF-8 at byte 3"));
    /* a file with a label the model never saw: index -1, raw label kept */
    TmlDataset *ev = tml_features_transform_file(g, tmp_path("eval.csv"), NULL, &err);
    if (!ev) fail_msg("transform: %s", err.msg);
    assert_int_equal(ev->n_rows, 2);
    assert_int_equal(ev->labels[0], tml_labels_index(g->labels, "card"));
    assert_int_equal(ev->labels[1], -1);
    assert_string_equal(ev->raw_labels[1], "upgrade");
    tml_dataset_free(ev);
    tml_features_free(g);
    tml_dataset_free(tr);
    tml_features_free(f);
    tml_config_free(c);
}

static void test_missing_label_column(void **state) {
    small_files();
    TmlConfig *c = small_config();
    TmlFeatures *f;
    TmlDataset *tr;
    fit_ok(c, &f, &tr, NULL, NULL);
    TmlError err = {{0}};
    assert_null(tml_features_transform_file(f, tmp_path("nolabel.csv"), NULL, &err));
    assert_non_null(strstr(err.msg, "nolabel.csv"));
    assert_non_null(strstr(err.msg, "\"intent\""));
    assert_non_null(strstr(err.msg, "id, subject, body")); /* the columns it does have */
    /* a train file without the configured text column fails the same way */
    assert_int_equal(tml_config_set(c, "data.text=summary", &err), 0);
    TmlFeatures *g;
    TmlDataset *t2;
    assert_int_equal(tml_features_fit(c, &g, &t2, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "\"summary\""));
    /* bad config values name the key */
    assert_int_equal(tml_config_set(c, "data.text=body", &err), 0);
    assert_int_equal(tml_config_set(c, "text.invalid_utf8=ignore", &err), 0);
    assert_int_equal(tml_features_fit(c, &g, &t2, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "text.invalid_utf8"));
    assert_non_null(strstr(err.msg, "replace"));
    tml_dataset_free(tr);
    tml_features_free(f);
    tml_config_free(c);
}

static void test_invalid_utf8_names_line(void **state) {
    write_file(tmp_path("bad.csv"), "text,label\nfine,a\nalso fine,b\n\"bad \xC3(\",a\n");
    char text[512];
    snprintf(text, sizeof text, "[data]\ntrain = %s\nvalid_frac = 0\n", tmp_path("bad.csv"));
    TmlConfig *c = config(text);
    TmlFeatures *f;
    TmlDataset *tr;
    TmlError err = {{0}};
    assert_int_equal(tml_features_fit(c, &f, &tr, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "bad.csv:4:"));
    assert_non_null(strstr(err.msg, "byte 4"));
    assert_int_equal(tml_config_set(c, "text.invalid_utf8=replace", &err), 0);
    fit_ok(c, &f, &tr, NULL, NULL);
    assert_int_equal(tr->n_rows, 3);
    tml_dataset_free(tr);
    tml_features_free(f);
    tml_config_free(c);
}

static void test_cache(void **state) {
    small_files();
    TmlConfig *c = small_config();
    TmlFeatures *f;
    TmlDataset *tr, *va, *te;
    fit_ok(c, &f, &tr, &va, &te);
    char *cache = tmp_path("cache.h5");
    unlink(cache);
    TmlError err = {{0}};
    TmlFeatures *g;
    TmlDataset *tr2, *va2, *te2;
    assert_int_equal(tml_cache_read(cache, c, &g, &tr2, &va2, &te2, &err), 0); /* absent */
    assert_int_equal(tml_cache_write(cache, c, f, tr, va, te, &err), 0);
    char tmpname[600];
    snprintf(tmpname, sizeof tmpname, "%s.tmp", cache);
    assert_int_equal(access(tmpname, F_OK), -1); /* renamed, nothing left behind */
    int rc = tml_cache_read(cache, c, &g, &tr2, &va2, &te2, &err);
    if (rc != 1) fail_msg("cache read %d: %s", rc, err.msg);
    assert_null(va2);
    assert_int_equal(tr2->n_rows, tr->n_rows);
    int64_t nnz = tr->offsets[tr->n_rows];
    assert_memory_equal(tr2->offsets, tr->offsets, (size_t)(tr->n_rows + 1) * sizeof(int64_t));
    assert_memory_equal(tr2->ids, tr->ids, (size_t)nnz * sizeof(int32_t));
    assert_memory_equal(tr2->w, tr->w, (size_t)nnz * sizeof(float));
    assert_memory_equal(tr2->labels, tr->labels, (size_t)tr->n_rows * sizeof(int32_t));
    for (int64_t i = 0; i < tr->n_rows; i++) {
        assert_string_equal(tr2->texts[i], tr->texts[i]);
        assert_string_equal(tr2->row_ids[i], tr->row_ids[i]);
        assert_string_equal(tr2->raw_labels[i], tr->raw_labels[i]);
        assert_int_equal(tr2->lines[i], tr->lines[i]);
    }
    assert_int_equal(g->dim, f->dim);
    tml_dataset_free(tr2);
    tml_features_free(g);
    /* touching the data file makes it stale */
    struct timespec ts[2] = {{0, UTIME_OMIT}, {1234567890, 0}};
    assert_int_equal(utimensat(AT_FDCWD, tmp_path("train.csv"), ts, 0), 0);
    assert_int_equal(tml_cache_read(cache, c, &g, &tr2, &va2, &te2, &err), 0);
    assert_int_equal(tml_cache_write(cache, c, f, tr, va, te, &err), 0);
    assert_int_equal(tml_cache_read(cache, c, &g, &tr2, &va2, &te2, &err), 1);
    tml_dataset_free(tr2);
    tml_features_free(g);
    /* so does changing the config */
    assert_int_equal(tml_config_set(c, "text.min_count=2", &err), 0);
    assert_int_equal(tml_cache_read(cache, c, &g, &tr2, &va2, &te2, &err), 0);
    /* a file that is not a cache is an error, not a silent rebuild over it */
    write_file(tmp_path("junk.h5"), "this is not hdf5");
    assert_int_equal(tml_cache_read(tmp_path("junk.h5"), c, &g, &tr2, &va2, &te2, &err), -1);
    assert_non_null(strstr(err.msg, "junk.h5"));
    /* an unwritable place fails cleanly */
    assert_int_equal(tml_cache_write("/nonexistent-dir/x.h5", c, f, tr, va, te, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.h5"));
    tml_dataset_free(tr);
    tml_features_free(f);
    tml_config_free(c);
}

static void test_tabular_history(void **state) {
    write_file(tmp_path("customers.csv"),
               "customer_id,plan,tenure,churn\nc1,basic,3,yes\nc2,pro,30,no\nc3,basic,1,yes\nc4,pro,24,no\n"
               "c5,basic,12,no\nc6,pro,2,yes\n");
    write_file(tmp_path("tickets.csv"),
               "customer_id,created_at,intent,sentiment,first_response_minutes\n"
               "c1,2025-03-01,billing,negative,30\nc1,2025-03-03,billing,negative,60\n"
               "c3,2025-02-20,cancel,negative,10\nc2,2024-12-01,billing,positive,5\n"
               "c6,2025-03-05,cancel,neutral,15\n");
    char text[1024];
    snprintf(text, sizeof text,
             "[data]\nkind = tabular\ntrain = %s\nlabel = churn\nhistory = true\ntickets = %s\nvalid_frac = 0\n"
             "cutoff = 2025-03-10\n",
             tmp_path("customers.csv"), tmp_path("tickets.csv"));
    TmlConfig *c = config(text);
    TmlFeatures *f;
    TmlDataset *tr;
    fit_ok(c, &f, &tr, NULL, NULL);
    assert_int_equal(f->use_history, 1);
    assert_true(f->history_dim >= 8);
    assert_string_equal(f->history_names[0], "tickets_7d");
    assert_int_equal(f->dim, f->tab->dim);
    assert_string_equal(f->labels->names[f->positive], "yes");
    /* the customer id is the join key, not a feature; history columns are the last inputs */
    for (int i = 0; i < f->tab->n_cols; i++) assert_string_not_equal(f->tab->cols[i].name, "customer_id");
    assert_string_equal(f->tab->cols[f->tab->n_cols - f->history_dim].name, "tickets_7d");
    int tot = f->tab->cols[f->tab->n_cols - f->history_dim + 3].offset; /* tickets_total */
    TmlTabColumn *tc = &f->tab->cols[f->tab->n_cols - f->history_dim + 3];
    /* c1 has 2 tickets: standardized value must invert to 2 */
    assert_float_equal(tr->dense[0 * tr->dim + tot] * tc->std + tc->mean, 2.0, 1e-4);
    /* roundtrip through HDF5, then transform the same file with the tickets */
    char *h5 = tmp_path("hist.h5");
    TmlError err = {{0}};
    hid_t file = H5Fcreate(h5, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_int_equal(tml_features_save(file, "features", f, &err), 0);
    H5Fclose(file);
    file = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
    TmlFeatures *g = tml_features_load(file, "features", &err);
    H5Fclose(file);
    if (!g) fail_msg("load: %s", err.msg);
    assert_string_equal(g->history.cutoff, "2025-03-10");
    assert_null(tml_features_transform_file(g, tmp_path("customers.csv"), NULL, &err));
    assert_non_null(strstr(err.msg, "tickets"));
    TmlDataset *d = tml_features_transform_file(g, tmp_path("customers.csv"), tmp_path("tickets.csv"), &err);
    if (!d) fail_msg("transform: %s", err.msg);
    assert_memory_equal(d->dense, tr->dense, (size_t)(tr->n_rows * tr->dim) * sizeof(float));
    tml_dataset_free(d);
    tml_features_free(g);
    tml_dataset_free(tr);
    tml_features_free(f);
    tml_config_free(c);
}

static void test_data_path(void **state) {
    /* runs last: it changes TICKETML_DATA */
    setenv("TICKETML_DATA", "/x/y", 1);
    char *p = tml_data_path("${TICKETML_DATA}/a.csv");
    assert_string_equal(p, "/x/y/a.csv");
    free(p);
    unsetenv("TICKETML_DATA");
    p = tml_data_path("${TICKETML_DATA}/a.csv");
    assert_string_equal(p, "../shared/datasets/a.csv");
    free(p);
    p = tml_data_path("plain.csv");
    assert_string_equal(p, "plain.csv");
    free(p);
}

static int setup(void **state) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_dataset_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
    const char *names[] = {"train.csv", "eval.csv", "nolabel.csv", "bad.csv", "features.h5", "telco.h5", "cache.h5",
                           "junk.h5", "customers.csv", "tickets.csv", "hist.h5"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) unlink(tmp_path(names[i]));
    rmdir(tmpdir);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_banking77),
        cmocka_unit_test(test_waimai_chinese),
        cmocka_unit_test(test_telco_tabular),
        cmocka_unit_test(test_features_roundtrip_h5),
        cmocka_unit_test(test_missing_label_column),
        cmocka_unit_test(test_invalid_utf8_names_line),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_tabular_history),
        cmocka_unit_test(test_data_path),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
