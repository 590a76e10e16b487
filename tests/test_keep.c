/* test_keep.c — the shared pieces issue 13 added under every family: the best weights kept in
 * memory and put back (device copies through TmlFamily.weight_views, and the generic in-memory model
 * file for families without them), their round trip through a checkpoint's "best" group, CRC-32C,
 * durations, the output lock, and memory-built HDF5 files checked on open. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "data/dataset.h"
#include "data/file.h"
#include "data/h5.h"
#include "trainer/model.h"
#include "trainer/train.h"

static char g_dir[64];

typedef struct Fixture {
    TmlConfig *cfg;
    TmlFeatures *f;
    TmlDataset *train, *valid;
    TmlBackend *be;
    TmlModel *m;
} Fixture;

/* A small tabular problem and an MLP on the CPU. */
static void fixture(Fixture *x) {
    snprintf(g_dir, sizeof g_dir, "/tmp/ticketml-keep-XXXXXX");
    assert_non_null(mkdtemp(g_dir));
    char csv[128], ini[128];
    snprintf(csv, sizeof csv, "%s/d.csv", g_dir);
    FILE *f = fopen(csv, "w");
    fprintf(f, "a,b,c,y\n");
    for (int i = 0; i < 200; i++)
        fprintf(f, "%d,%d,%.3f,%s\n", i % 7, (i * 13) % 11, (double)(i % 17) / 3.0, (i % 7 + (i * 13) % 11) % 3 ? "n" : "p");
    fclose(f);
    snprintf(ini, sizeof ini, "%s/t.ini", g_dir);
    f = fopen(ini, "w");
    fprintf(f, "[data]\nkind = tabular\ntrain = %s\nlabel = y\nvalid_frac = 0.2\n[model]\ntype = mlp\nhidden = 5\n", csv);
    fclose(f);
    TmlError err;
    x->cfg = tml_config_load(ini, &err);
    assert_non_null(x->cfg);
    TmlDataset *test = NULL;
    if (tml_features_fit(x->cfg, &x->f, &x->train, &x->valid, &test, &err)) fail_msg("%s", err.msg);
    tml_dataset_free(test);
    x->be = tml_backend_create(TML_DEVICE_CPU, 1, &err);
    assert_non_null(x->be);
    x->m = tml_model_configure(x->cfg, x->f, x->be, &err);
    if (!x->m) fail_msg("%s", err.msg);
    assert_int_equal(tml_model_init(x->m, 1, &err), 0);
}

static void fixture_free(Fixture *x) {
    tml_model_free(x->m);
    tml_backend_free(x->be);
    tml_dataset_free(x->train);
    tml_dataset_free(x->valid);
    tml_features_free(x->f);
    tml_config_free(x->cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    assert_int_equal(system(cmd), 0);
}

static float *scores(Fixture *x) {
    TmlError err;
    float *p = tml_model_score_new(x->m, x->valid, 64, &err);
    assert_non_null(p);
    return p;
}

/* take -> other weights -> restore gives back the same probabilities, bit for bit; the same after a
 * trip through a checkpoint's "best" group. */
static void check_keep(Fixture *x) {
    TmlError err;
    size_t n = (size_t)x->valid->n_rows * (size_t)x->m->n_out;
    float *a = scores(x);
    TmlTrainKeep *k = tml_train_keep_new();
    assert_false(tml_train_keep_has_best(k));
    assert_int_equal(tml_train_keep_take(k, x->m, &err), 0);
    assert_true(tml_train_keep_has_best(k));
    assert_int_equal(tml_model_init(x->m, 77, &err), 0); /* other weights */
    float *b = scores(x);
    assert_true(memcmp(a, b, n * sizeof *a) != 0);
    assert_int_equal(tml_train_keep_restore(k, x->m, &err), 0);
    float *c = scores(x);
    assert_memory_equal(a, c, n * sizeof *a);
    /* through a checkpoint: saved beside other weights, loaded, restored */
    hid_t f = tml_h5_mem_create(0);
    assert_true(f >= 0);
    assert_int_equal(tml_train_keep_save(k, x->m, f, &err), 0);
    size_t len;
    unsigned char *img = tml_h5_mem_bytes(f, &len);
    assert_non_null(img);
    hid_t r = tml_h5_open_bytes(img, len);
    free(img);
    assert_true(r >= 0);
    assert_int_equal(tml_model_init(x->m, 78, &err), 0);
    TmlTrainKeep *k2 = tml_train_keep_load(r, x->m, &err);
    H5Fclose(r);
    if (!k2) fail_msg("%s", err.msg);
    assert_int_equal(tml_train_keep_restore(k2, x->m, &err), 0);
    float *d = scores(x);
    assert_memory_equal(a, d, n * sizeof *a);
    /* a file without a "best" group: NULL and no error */
    f = tml_h5_mem_create(0);
    img = tml_h5_mem_bytes(f, &len);
    r = tml_h5_open_bytes(img, len);
    free(img);
    err.msg[0] = 'x';
    assert_null(tml_train_keep_load(r, x->m, &err));
    assert_int_equal(err.msg[0], '\0');
    H5Fclose(r);
    tml_train_keep_free(k);
    tml_train_keep_free(k2);
    free(a), free(b), free(c), free(d);
}

static void test_keep_device_views(void **state) {
    (void)state;
    Fixture x;
    fixture(&x);
    assert_non_null(x.m->family->weight_views); /* the mlp family keeps device copies */
    check_keep(&x);
    fixture_free(&x);
}

/* A family without weight views (trees, a new family): the generic in-memory model file. */
static void test_keep_generic_family(void **state) {
    (void)state;
    Fixture x;
    fixture(&x);
    TmlFamily plain = *x.m->family;
    plain.weight_views = NULL;
    const TmlFamily *real = x.m->family;
    x.m->family = &plain;
    check_keep(&x);
    x.m->family = real;
    fixture_free(&x);
}

static void test_crc32c_and_durations(void **state) {
    (void)state;
    assert_int_equal(tml_crc32c(0, "123456789", 9), 0xE3069283u); /* the standard check value */
    assert_int_equal(tml_crc32c(0, "", 0), 0);
    /* incremental == whole, at every split (the hardware path's 8-byte blocks and the tail) */
    char buf[100];
    for (int i = 0; i < 100; i++) buf[i] = (char)(i * 31 + 7);
    uint32_t whole = tml_crc32c(0, buf, sizeof buf);
    for (int s = 0; s <= 100; s++) assert_int_equal(tml_crc32c(tml_crc32c(0, buf, (size_t)s), buf + s, 100 - (size_t)s), whole);
    assert_true(fabs(tml_train_parse_duration("10m") - 600) < 1e-9);
    assert_true(fabs(tml_train_parse_duration("90") - 90) < 1e-9);
    assert_true(fabs(tml_train_parse_duration(" 1.5h ") - 5400) < 1e-9);
    assert_true(fabs(tml_train_parse_duration("0.02s") - 0.02) < 1e-12);
    assert_true(tml_train_parse_duration("0") == 0);
    assert_true(tml_train_parse_duration("10 minutes") < 0);
    assert_true(tml_train_parse_duration("-1m") < 0);
    assert_true(tml_train_parse_duration("m") < 0);
}

static void test_lock(void **state) {
    (void)state;
    char path[] = "/tmp/ticketml-lock-XXXXXX";
    assert_non_null(mkdtemp(path));
    char out[128];
    snprintf(out, sizeof out, "%s/m.h5", path);
    TmlError err;
    TmlFileLock *a = tml_file_lock(out, "ticketml run", &err);
    assert_non_null(a);
    TmlFileLock *b = tml_file_lock(out, "ticketml run", &err); /* flock: per open file, so this conflicts */
    assert_null(b);
    char pid[32];
    snprintf(pid, sizeof pid, "process %ld", (long)getpid());
    assert_non_null(strstr(err.msg, pid));
    tml_file_unlock(a);
    assert_int_equal(access(out, F_OK), -1);
    b = tml_file_lock(out, "ticketml run", &err);
    assert_non_null(b);
    tml_file_unlock(b);
    assert_int_equal(tml_file_check_output(out, "--out", &err), 0);
    snprintf(out, sizeof out, "%s/no/m.h5", path);
    assert_int_equal(tml_file_check_output(out, "--out", &err), -1);
    assert_non_null(strstr(err.msg, "does not exist"));
    assert_int_equal(tml_file_check_output(path, "--out", &err), -1);
    assert_non_null(strstr(err.msg, "is a folder"));
    rmdir(path);
}

/* A memory-built file written with its checksum block opens checked; one changed byte anywhere
 * after the block, or a cut, is refused. */
static void test_checked_files(void **state) {
    (void)state;
    char dir[] = "/tmp/ticketml-h5-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[128];
    snprintf(p, sizeof p, "%s/x.h5", dir);
    TmlError err;
    hid_t f = tml_h5_mem_create(1);
    float w[300];
    for (int i = 0; i < 300; i++) w[i] = (float)i * 0.5f;
    assert_int_equal(tml_h5_write_f32(f, "w", w, 30, 10, &err), 0);
    w[7] = NAN; /* weights: non-finite values are refused */
    assert_int_equal(tml_h5_write_f32(f, "bad", w, 30, 10, &err), -1);
    assert_non_null(strstr(err.msg, "'bad' holds 1 NaN or infinite value"));
    assert_int_equal(tml_h5_mem_save(f, p, 1, &err), 0);
    int checked = 0;
    hid_t r = tml_h5_open_checked(p, &checked, &err);
    assert_true(r >= 0);
    assert_int_equal(checked, 1);
    float back[300];
    assert_int_equal(tml_h5_read_f32(r, "w", back, 30, 10, &err), 0);
    assert_true(back[299] == 149.5f);
    H5Fclose(r);
    FILE *fp = fopen(p, "r+b");
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    for (long at = 520; at < len; at += 97) { /* every 97th byte after HDF5's signature, one at a time */
        unsigned char c;
        fseek(fp, at, SEEK_SET);
        assert_int_equal(fread(&c, 1, 1, fp), 1);
        unsigned char d = c ^ 0x10;
        fseek(fp, at, SEEK_SET);
        fwrite(&d, 1, 1, fp);
        fflush(fp);
        r = tml_h5_open_checked(p, &checked, &err);
        assert_true(r < 0);
        assert_non_null(strstr(err.msg, "checksum mismatch"));
        fseek(fp, at, SEEK_SET);
        fwrite(&c, 1, 1, fp);
        fflush(fp);
    }
    /* HDF5's own signature: refused before HDF5 sees the file */
    fseek(fp, 514, SEEK_SET);
    fputc('X', fp);
    fflush(fp);
    assert_true(tml_h5_open_checked(p, &checked, &err) < 0);
    assert_non_null(strstr(err.msg, "not an HDF5 file"));
    fseek(fp, 514, SEEK_SET);
    fputc('D', fp);
    fclose(fp);
    assert_int_equal(truncate(p, len - 1), 0);
    assert_true(tml_h5_open_checked(p, &checked, &err) < 0);
    assert_non_null(strstr(err.msg, "wrong length"));
    unlink(p);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_device_views),
        cmocka_unit_test(test_keep_generic_family),
        cmocka_unit_test(test_crc32c_and_durations),
        cmocka_unit_test(test_lock),
        cmocka_unit_test(test_checked_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
