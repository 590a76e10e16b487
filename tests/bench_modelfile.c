/* bench_modelfile.c — what the model file's integrity check costs: an embedding text model of
 * about 120 MB (dim 100, 300k hash buckets; the size with BENCH_MF_BUCKETS) is saved, then loaded
 * 5 times each as written (read once, CRC-32C checked, parsed from memory) and as a copy without
 * the checksum block (format version 1: the same read and parse, no check); prints medians, the CRC
 * rate on its own and the save time. Usage: build/bench/bench_modelfile [DIR] (default /tmp). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/file.h"
#include "data/h5.h"
#include "tests/util_test.h"
#include "trainer/modelfile.h"

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v[n / 2];
}

static herr_t copy_attr(hid_t src, const char *name, const H5A_info_t *info, void *dst) {
    (void)info;
    hid_t a = H5Aopen(src, name, H5P_DEFAULT), t = H5Aget_type(a), sp = H5Aget_space(a);
    size_t n = H5Tget_size(t) * (size_t)H5Sget_simple_extent_npoints(sp);
    void *buf = calloc(1, n + 16);
    H5Aread(a, t, buf);
    hid_t b = H5Acreate2(*(hid_t *)dst, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(b, t, buf);
    if (H5Tis_variable_str(t) > 0) H5Dvlen_reclaim(t, sp, H5P_DEFAULT, buf);
    free(buf);
    H5Aclose(b), H5Sclose(sp), H5Tclose(t), H5Aclose(a);
    return 0;
}

static herr_t copy_link(hid_t src, const char *name, const H5L_info_t *info, void *dst) {
    (void)info;
    return H5Ocopy(src, name, *(hid_t *)dst, name, H5P_DEFAULT, H5P_DEFAULT);
}

/* A copy of from as an older ticketml wrote it: a plain HDF5 file without the checksum block
 * (superblock at offset 0, which is what tells the loader no checksum is due), format_version 1;
 * the same objects, copied by HDF5. */
static void strip_checksum(const char *from, const char *to) {
    hid_t s = H5Fopen(from, H5F_ACC_RDONLY, H5P_DEFAULT), f = H5Fcreate(to, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (s < 0 || f < 0 || H5Aiterate2(s, H5_INDEX_NAME, H5_ITER_INC, NULL, copy_attr, &f) < 0 ||
        H5Literate(s, H5_INDEX_NAME, H5_ITER_INC, NULL, copy_link, &f) < 0) {
        fprintf(stderr, "cannot copy %s to %s\n", from, to);
        exit(1);
    }
    H5Fclose(s);
    hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    int64_t one = 1;
    H5Awrite(a, H5T_NATIVE_INT64, &one);
    H5Aclose(a);
    H5Fclose(f);
}

static double time_load(const char *path, TmlBackend *be, int *checked_out) {
    TmlError err;
    double t0 = tu_now();
    TmlLoadedModel *lm = tml_modelfile_load(path, be, 0, &err);
    double t = tu_now() - t0;
    if (!lm) {
        fprintf(stderr, "load %s: %s\n", path, err.msg);
        exit(1);
    }
    tml_loaded_model_free(lm);
    int checked = 0;
    hid_t f = tml_h5_open_checked(path, &checked, &err);
    if (f >= 0) H5Fclose(f);
    *checked_out = checked;
    return t;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    const char *buckets = getenv("BENCH_MF_BUCKETS") ? getenv("BENCH_MF_BUCKETS") : "300000";
    char csv[512], ini[512], model[512], plain[512];
    snprintf(csv, sizeof csv, "%s/bench_mf.csv", dir);
    snprintf(ini, sizeof ini, "%s/bench_mf.ini", dir);
    snprintf(model, sizeof model, "%s/bench_mf.h5", dir);
    snprintf(plain, sizeof plain, "%s/bench_mf_v1.h5", dir);
    FILE *f = fopen(csv, "w");
    fprintf(f, "text,label\n");
    for (int i = 0; i < 400; i++) fprintf(f, "word%d other%d refund card %d,%s\n", i, i % 37, i, i % 2 ? "a" : "b");
    fclose(f);
    f = fopen(ini, "w");
    fprintf(f, "[data]\nkind = text\ntrain = %s\ntext = text\nlabel = label\nvalid_frac = 0\n[text]\nbuckets = %s\n"
               "word_ngrams = 2\n[model]\ntype = embedding\ndim = 100\n",
            csv, buckets);
    fclose(f);
    TmlError err;
    TmlConfig *cfg = tml_config_load(ini, &err);
    TmlFeatures *feat = NULL;
    TmlDataset *tr = NULL, *va = NULL, *te = NULL;
    TmlBackend *be = tml_backend_create(TML_DEVICE_CPU, 1, &err);
    if (!cfg || !be || tml_features_fit(cfg, &feat, &tr, &va, &te, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    TmlModel *m = tml_model_configure(cfg, feat, be, &err);
    if (!m || tml_model_init(m, 1, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    enum { R = 5 };
    double t_save[R], t_new[R], t_old[R], t_crc[R];
    for (int r = 0; r < R; r++) {
        double t0 = tu_now();
        if (tml_modelfile_save(model, cfg, "bench", feat, m, NULL, 0, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        t_save[r] = tu_now() - t0;
    }
    strip_checksum(model, plain);
    struct stat st;
    stat(model, &st);
    double mb = (double)st.st_size / 1e6;
    int ck_new = 0, ck_old = 0;
    /* one load each first, so both files are in the page cache: the comparison is CPU, not disk */
    time_load(model, be, &ck_new);
    time_load(plain, be, &ck_old);
    for (int r = 0; r < R; r++) {
        t_new[r] = time_load(model, be, &ck_new);
        t_old[r] = time_load(plain, be, &ck_old);
    }
    size_t n = (size_t)st.st_size;
    char *bytes = malloc(n);
    f = fopen(model, "rb");
    if (!bytes || fread(bytes, 1, n, f) != n) return 1;
    fclose(f);
    for (int r = 0; r < R; r++) {
        double t0 = tu_now();
        volatile uint32_t c = tml_crc32c(0, bytes + 512, n - 512);
        (void)c;
        t_crc[r] = tu_now() - t0;
    }
    free(bytes);
    double s = median(t_save, R), a = median(t_new, R), b = median(t_old, R), c = median(t_crc, R);
    printf("model file %.1f MB (embedding, dim 100, %s buckets), medians of %d:\n", mb, buckets, R);
    printf("  save (build in memory, CRC, write, fsync, rename): %.3f s\n", s);
    printf("  load with the checksum check (checked=%d):       %.3f s\n", ck_new, a);
    printf("  load of the same file without a checksum (checked=%d): %.3f s\n", ck_old, b);
    printf("  the check: %+.3f s (%+.1f%%); CRC-32C alone %.3f s = %.1f GB/s\n", a - b, 100.0 * (a - b) / b, c,
           (double)n / c / 1e9);
    unlink(model), unlink(plain), unlink(csv), unlink(ini);
    tml_model_free(m);
    tml_dataset_free(tr), tml_dataset_free(va), tml_dataset_free(te);
    tml_features_free(feat);
    tml_config_free(cfg);
    tml_backend_free(be);
    return 0;
}
