/* test_reliability.c — issue 13 end to end through the `ticketml` binary: a diverged training stops
 * (exit 1, no model), NaN weights are refused by eval, export and finetune, damaged model and
 * checkpoint files are refused (checksum), one run per --out (lock) and --out checked before any
 * work, the best weights kept in memory and checkpoints on an interval (kill -9 then --resume gives
 * the uninterrupted model), frozen parameters without optimizer moments, the resume hint and the
 * config check on --resume, a JSON log without duplicate keys, and every writer on a full disk (a
 * 1 MiB tmpfs: skipped with a message where mounting is not permitted). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "data/table.h"
#include "tests/util_cli.h"
#include "tests/util_test.h"

static TuCli g;

#define NEED_BINARY()                          \
    do {                                       \
        if (!tu_cli_have_binary(&g)) skip();   \
    } while (0)
#define RUN(...) tu_run(&g, __VA_ARGS__)
#define HAS(s) assert_true(tu_output_has(&g, s))

static const char *CONFIG =
    "[data]\nkind = text\ntrain = corpus/tickets.csv\ntext = text\nlabel = intent\nid = ticket_id\n"
    "valid_frac = 0.1\ntest_frac = 0.1\nseed = 3\n[text]\nword_ngrams = 2\nbuckets = 20000\ntfidf = true\n"
    "[model]\ntask = intent\ntype = linear\n[train]\noptimizer = adamw\nlr = 0.02\nepochs = 3\nbatch_size = 32\n"
    "patience = 0\nseed = 3\n";

static int setup(void **state) {
    (void)state;
    if (tu_cli_setup(&g, "ticketml-rel")) return -1;
    if (!g.bin[0]) return 0;
    tu_write(&g, "intent.ini", CONFIG);
    if (RUN("%s synth --tickets 3000 --customers 500 --seed 5 --out corpus", g.bin)) return -1;
    return RUN("%s train intent.ini --out m.h5 --quiet", g.bin) ? -1 : 0;
}

static int teardown(void **state) {
    (void)state;
    tu_cli_teardown(&g);
    return 0;
}

/* The folder holds no file whose name starts with prefix (temp files, half models). */
static int no_file_like(const char *prefix) {
    return RUN("ls -a | grep -q '^%s'", prefix) != 0;
}

/* Every float of the named datasets of a model file, concatenated (bit-equality checks). */
static float *read_floats(const char *file, const char *const *names, int n_names, size_t *n_out) {
    char path[512];
    hid_t f = H5Fopen(tu_path(&g, file, path, sizeof path), H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    float *all = NULL;
    size_t n = 0;
    for (int i = 0; i < n_names; i++) {
        hid_t ds = H5Dopen2(f, names[i], H5P_DEFAULT);
        assert_true(ds >= 0);
        hid_t sp = H5Dget_space(ds);
        size_t k = (size_t)H5Sget_simple_extent_npoints(sp);
        all = realloc(all, (n + k) * sizeof(float));
        assert_true(H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, all + n) >= 0);
        n += k;
        H5Sclose(sp);
        H5Dclose(ds);
    }
    H5Fclose(f);
    *n_out = n;
    return all;
}

static const char *const LINEAR_WEIGHTS[] = {"weights/embedding", "weights/output_b"};

static void expect_same_weights(const char *a, const char *b) {
    size_t na, nb;
    float *x = read_floats(a, LINEAR_WEIGHTS, 2, &na), *y = read_floats(b, LINEAR_WEIGHTS, 2, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(x, y, na * sizeof(float));
    free(x);
    free(y);
}

/* ---- item 2: a diverged training ---------------------------------------------------------------- */

static void test_diverged_training_stops(void **state) {
    (void)state;
    NEED_BINARY();
    /* before: "model written to nan.h5", exit 0, and a NaN model */
    assert_int_equal(RUN("%s train intent.ini --out nan.h5 --set train.lr=1e38", g.bin), 1);
    HAS("training diverged at epoch 1");
    HAS("--set train.lr=1e+37");
    assert_false(tu_exists(&g, "nan.h5"));
    assert_true(no_file_like("nan.h5"));
    /* a checkpoint from before the divergence is kept: interrupt a good run, then diverge its resume */
    assert_int_equal(RUN("TICKETML_INTERRUPT_AT_STEP=100 %s train intent.ini --out d.h5 --quiet", g.bin), 130);
    char *before = tu_slurp(&g, "d.h5.ckpt", NULL);
    assert_non_null(before);
    assert_int_equal(RUN("%s train intent.ini --out d.h5 --resume --set train.lr=1e38", g.bin), 1);
    HAS("the last checkpoint, d.h5.ckpt, is kept");
    size_t n_after;
    char *after = tu_slurp(&g, "d.h5.ckpt", &n_after);
    assert_non_null(after);
    assert_memory_equal(before, after, n_after);
    assert_false(tu_exists(&g, "d.h5"));
    free(before);
    free(after);
}

/* Copies every root attribute of src to dst (H5Aiterate callback). */
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

/* A model file as an older ticketml wrote one after a diverged training: no checksum block (a
 * plain HDF5 file, format version 1) holding m.h5's objects with one weight set to NaN. */
static void make_nan_model(const char *name) {
    char src[512], dst[512];
    tu_path(&g, "m.h5", src, sizeof src);
    tu_path(&g, name, dst, sizeof dst);
    hid_t s = H5Fopen(src, H5F_ACC_RDONLY, H5P_DEFAULT), f = H5Fcreate(dst, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(s >= 0 && f >= 0);
    assert_true(H5Aiterate2(s, H5_INDEX_NAME, H5_ITER_INC, NULL, copy_attr, &f) >= 0);
    assert_true(H5Literate(s, H5_INDEX_NAME, H5_ITER_INC, NULL, copy_link, &f) >= 0);
    H5Fclose(s);
    hid_t ds = H5Dopen2(f, "weights/embedding", H5P_DEFAULT);
    hid_t sp = H5Dget_space(ds);
    size_t n = (size_t)H5Sget_simple_extent_npoints(sp);
    float *w = tu_xmalloc(n * sizeof *w);
    assert_true(H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, w) >= 0);
    w[n / 2] = NAN;
    assert_true(H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, w) >= 0);
    free(w);
    H5Sclose(sp);
    H5Dclose(ds);
    hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    int64_t one = 1;
    assert_true(H5Awrite(a, H5T_NATIVE_INT64, &one) >= 0);
    H5Aclose(a);
    H5Fclose(f);
}

static void test_nan_model_refused(void **state) {
    (void)state;
    NEED_BINARY();
    make_nan_model("nanw.h5");
    /* before: export and finetune accepted it; predict --json then dropped the probability key */
    assert_int_equal(RUN("%s export nanw.h5 --out nanexp", g.bin), 2);
    HAS("NaN or infinite");
    assert_false(tu_exists(&g, "nanexp/model.h5"));
    tu_write(&g, "ft.ini", "[data]\nkind = text\ntrain = corpus/tickets.csv\ntext = text\nlabel = intent\n"
                           "valid_frac = 0\n[train]\nepochs = 1\n");
    assert_int_equal(RUN("%s finetune --from nanw.h5 ft.ini --out ft.h5", g.bin), 2);
    HAS("NaN or infinite");
    assert_false(tu_exists(&g, "ft.h5"));
    assert_int_equal(RUN("%s eval nanw.h5 corpus/tickets.csv", g.bin), 2);
    HAS("lower train.lr");
}

/* ---- item 3: damaged files ---------------------------------------------------------------------- */

/* Flips n random bits of name at offsets >= from. */
static void flip_bits(const char *name, int n, long from, uint64_t seed) {
    size_t len;
    char *b = tu_slurp(&g, name, &len);
    assert_non_null(b);
    TuRng r;
    tu_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        size_t at = (size_t)from + (size_t)(tu_rng_next(&r) % (len - (size_t)from));
        b[at] ^= (char)(1u << (tu_rng_next(&r) % 8));
    }
    char path[512];
    FILE *f = fopen(tu_path(&g, name, path, sizeof path), "wb");
    assert_int_equal(fwrite(b, 1, len, f), len);
    fclose(f);
    free(b);
}

static void test_damaged_files_refused(void **state) {
    (void)state;
    NEED_BINARY();
    /* before: 1000 flipped bits gave accuracy 0.322 instead of 0.862 with exit 0 */
    assert_int_equal(RUN("cp m.h5 flip.h5"), 0);
    flip_bits("flip.h5", 1000, 512, 1);
    assert_int_equal(RUN("%s eval flip.h5 corpus/tickets.csv", g.bin), 2);
    HAS("damaged: checksum mismatch");
    /* one bit is enough */
    assert_int_equal(RUN("cp m.h5 one.h5"), 0);
    flip_bits("one.h5", 1, 512, 2);
    assert_int_equal(RUN("%s export one.h5 --out oneexp", g.bin), 2);
    HAS("checksum mismatch");
    /* the checksum block itself: its magic (the file then claims no checksum), its digits */
    assert_int_equal(RUN("cp m.h5 head.h5 && printf X | dd of=head.h5 bs=1 seek=0 conv=notrunc 2>/dev/null"), 0);
    assert_int_equal(RUN("%s eval head.h5 corpus/tickets.csv", g.bin), 2);
    HAS("checksum block is missing or unreadable");
    assert_int_equal(RUN("cp m.h5 sig.h5 && printf X | dd of=sig.h5 bs=1 seek=513 conv=notrunc 2>/dev/null"), 0);
    assert_int_equal(RUN("%s eval sig.h5 corpus/tickets.csv", g.bin), 2); /* HDF5's own signature */
    HAS("not a ticketml model");
    assert_int_equal(RUN("cp m.h5 crc.h5 && printf Z | dd of=crc.h5 bs=1 seek=27 conv=notrunc 2>/dev/null"), 0);
    assert_int_equal(RUN("%s eval crc.h5 corpus/tickets.csv", g.bin), 2);
    HAS("damaged");
    /* cut short, or grown */
    assert_int_equal(RUN("head -c 100000 m.h5 > cut.h5 && %s eval cut.h5 corpus/tickets.csv", g.bin), 2);
    HAS("wrong length, truncated");
    assert_int_equal(RUN("cp m.h5 long.h5 && echo extra >> long.h5 && %s eval long.h5 corpus/tickets.csv", g.bin), 2);
    HAS("wrong length");
    /* a checkpoint is checked the same way on --resume, and left for the user to deal with */
    assert_int_equal(RUN("TICKETML_INTERRUPT_AT_STEP=50 %s train intent.ini --out c.h5 --quiet", g.bin), 130);
    flip_bits("c.h5.ckpt", 3, 512, 3);
    assert_int_equal(RUN("%s train intent.ini --out c.h5 --resume", g.bin), 2);
    HAS("--resume: c.h5.ckpt: the file is damaged");
    assert_false(tu_exists(&g, "c.h5"));
    /* the intact model still loads; h5py-style readers skip the block (HDF5 user block) */
    assert_int_equal(RUN("%s eval m.h5 corpus/tickets.csv", g.bin), 0);
}

/* ---- items 4 and 5: one run per output, the output checked first ---------------------------------- */

static void test_output_locked_and_checked(void **state) {
    (void)state;
    NEED_BINARY();
    /* another run holds the lock: this one is refused before any work */
    char path[512];
    int fd = open(tu_path(&g, "busy.h5.lock", path, sizeof path), O_RDWR | O_CREAT, 0644);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    assert_int_equal(write(fd, "4242\n", 5), 5);
    assert_int_equal(RUN("%s train intent.ini --out busy.h5", g.bin), 2);
    HAS("another ticketml run is writing this file (process 4242");
    assert_false(tu_exists(&g, "busy.h5"));
    close(fd); /* released: the next run goes ahead and removes the lock file at its end */
    assert_int_equal(RUN("%s train intent.ini --out busy.h5 --quiet", g.bin), 0);
    assert_true(tu_exists(&g, "busy.h5"));
    assert_false(tu_exists(&g, "busy.h5.lock"));
    /* two real runs at once on one --out: one is refused, the other writes a good model */
    assert_int_equal(RUN("%s train intent.ini --out two.h5 --quiet --set train.epochs=300 > a.txt 2>&1 & "
                         "for i in $(seq 500); do [ -e two.h5.lock ] && break; sleep 0.01; done; "
                         "%s train intent.ini --out two.h5 --quiet > b.txt 2>&1; echo $? > b.rc; wait",
                         g.bin, g.bin),
                     0);
    char *brc = tu_slurp(&g, "b.rc", NULL), *b = tu_slurp(&g, "b.txt", NULL);
    assert_non_null(brc);
    if (atoi(brc) == 2) assert_non_null(strstr(b, "another ticketml run is writing"));
    else printf("  the first run had finished before the second started (slow start?)\n");
    free(brc);
    free(b);
    assert_int_equal(RUN("%s eval two.h5 corpus/tickets.csv", g.bin), 0);
    /* --out is the training data: refused, the data untouched (before: silently replaced) */
    size_t n0, n1;
    char *csv0 = tu_slurp(&g, "corpus/tickets.csv", &n0);
    assert_int_equal(RUN("%s train intent.ini --out corpus/tickets.csv", g.bin), 2);
    HAS("is the train file of the config");
    char *csv1 = tu_slurp(&g, "corpus/tickets.csv", &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(csv0, csv1, n0);
    free(csv0);
    free(csv1);
    assert_int_equal(RUN("%s train intent.ini --out intent.ini", g.bin), 2);
    HAS("is also the config");
    /* a folder that does not exist or cannot be written: refused before featurizing */
    assert_int_equal(RUN("%s train intent.ini --out nowhere/m.h5", g.bin), 2);
    HAS("the folder nowhere does not exist");
    assert_true(tu_output_lacks(&g, "train: linear model"));
    assert_int_equal(RUN("%s train intent.ini --out corpus", g.bin), 2);
    HAS("is a folder");
    /* export: --out is a folder, checked before the model is read (before: exit 1 after loading) */
    assert_int_equal(RUN("%s export m.h5 --out corpus/tickets.csv", g.bin), 2);
    HAS("--out corpus/tickets.csv: is a file, not a folder");
    assert_int_equal(RUN("%s export m.h5 --out nowhere/ex", g.bin), 2);
    HAS("the folder nowhere does not exist");
}

/* ---- item 4: best weights in memory, checkpoints on an interval, kill -9 ------------------------- */

static void test_best_weights_restored(void **state) {
    (void)state;
    NEED_BINARY();
    /* a high rate makes validation accuracy go up and down: the model must be the best epoch's */
    assert_int_equal(RUN("%s train intent.ini --out best.h5 --log-json best.jsonl --set train.lr=0.5 "
                         "--set train.epochs=8 --set train.schedule=constant",
                         g.bin),
                     0);
    char *out = tu_slurp(&g, "out.txt", NULL), *v = strstr(out, "valid: accuracy ");
    assert_non_null(v);
    double final_acc = atof(v + 16);
    free(out);
    char path[512];
    FILE *f = fopen(tu_path(&g, "best.jsonl", path, sizeof path), "r");
    assert_non_null(f);
    char line[1024];
    double best = -1;
    int best_epoch = 0, last_epoch = 0;
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &je);
        assert_non_null(o);
        double a = json_number_value(json_object_get(o, "valid_accuracy"));
        last_epoch = (int)json_integer_value(json_object_get(o, "epoch"));
        if (a > best) best = a, best_epoch = last_epoch;
        json_decref(o);
    }
    fclose(f);
    printf("  best validation accuracy %.4f at epoch %d of %d; the written model scores %.4f\n", best, best_epoch,
           last_epoch, final_acc);
    assert_true(fabs(final_acc - best) < 1e-4);
}

/* Runs cmd in g.dir in the background, waits until file appears (then SIGKILL) or the run ends.
 * Returns 1 when killed while running, 0 when the run ended first. */
static int kill_when(const char *cmd, const char *file) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (chdir(g.dir) != 0) _exit(127);
        int nul = open("/dev/null", O_WRONLY);
        dup2(nul, 1);
        dup2(nul, 2);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 6000; i++) { /* up to 60 s */
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) return 0;
        if (tu_exists(&g, file)) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return 1;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fail_msg("the training neither ended nor wrote %s in 60 s", file);
    return 0;
}

static void test_interval_checkpoint_kill9_resume(void **state) {
    (void)state;
    NEED_BINARY();
    const char *sets = "--set train.epochs=30 --set train.checkpoint_every=0.02s";
    assert_int_equal(RUN("%s train intent.ini --out ref.h5 %s", g.bin, sets), 0);
    HAS("checkpoint ref.h5.ckpt written"); /* the interval at work (then removed at the end) */
    assert_false(tu_exists(&g, "ref.h5.ckpt"));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "exec %s train intent.ini --out k.h5 %s", g.bin, sets);
    if (!kill_when(cmd, "k.h5.ckpt")) {
        printf("  skipped: the run ended before its first checkpoint\n");
        skip();
    }
    assert_false(tu_exists(&g, "k.h5")); /* written once, at the end */
    /* the killed process's lock is released by the kernel; its lock file is reused */
    assert_int_equal(RUN("%s train intent.ini --out k.h5 --resume %s", g.bin, sets), 0);
    HAS("resuming from k.h5.ckpt");
    expect_same_weights("ref.h5", "k.h5");
    assert_false(tu_exists(&g, "k.h5.lock"));
}

/* finetune with frozen embeddings: the checkpoint holds no moments for the frozen table */
static void test_frozen_has_no_moments(void **state) {
    (void)state;
    NEED_BINARY();
    tu_write(&g, "fz.ini", "[data]\nkind = text\ntrain = corpus/tickets.csv\ntext = text\nlabel = intent\n"
                           "valid_frac = 0.1\n[train]\nepochs = 2\nbatch_size = 32\nfreeze_embeddings = true\n");
    assert_int_equal(RUN("TICKETML_INTERRUPT_AT_STEP=20 %s finetune --from m.h5 fz.ini --out fz.h5 --quiet", g.bin),
                     130);
    char path[512];
    hid_t f = H5Fopen(tu_path(&g, "fz.h5.ckpt", path, sizeof path), H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Lexists(f, "optimizer", H5P_DEFAULT) > 0);
    assert_true(H5Lexists(f, "optimizer/output_b.m", H5P_DEFAULT) > 0);
    assert_true(H5Lexists(f, "optimizer/embedding.m", H5P_DEFAULT) <= 0);
    H5Fclose(f);
    /* and the table did not move */
    assert_int_equal(RUN("%s finetune --from m.h5 fz.ini --out fz.h5 --quiet", g.bin), 0);
    static const char *const E[] = {"weights/embedding"};
    size_t na, nb;
    float *a = read_floats("m.h5", E, 1, &na), *b = read_floats("fz.h5", E, 1, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na * sizeof(float));
    free(a);
    free(b);
}

/* ---- item 6: the resume hint keeps --set; --resume lists what differs ------------------------------ */

static void test_resume_hint_and_config_check(void **state) {
    (void)state;
    NEED_BINARY();
    assert_int_equal(RUN("%s train intent.ini --out h.h5 --quiet --set train.lr=0.05 --set 'data.seed = 3'", g.bin), 0);
    assert_int_equal(RUN("TICKETML_INTERRUPT_AT_STEP=100 %s train intent.ini --out hp.h5 --quiet --set train.lr=0.05 "
                         "--set 'data.seed = 3'", g.bin),
                     130);
    HAS("continue with: ticketml train intent.ini --out hp.h5 --set train.lr=0.05 --set 'data.seed = 3' --resume");
    /* following the hint (with this build's path) resumes the same run: the same weights */
    assert_int_equal(RUN("%s train intent.ini --out hp.h5 --set train.lr=0.05 --set 'data.seed = 3' --resume", g.bin), 0);
    assert_true(tu_output_lacks(&g, "warning: --resume"));
    expect_same_weights("h.h5", "hp.h5");
    /* a different value goes on with a warning naming the key; a different shape is refused */
    assert_int_equal(RUN("TICKETML_INTERRUPT_AT_STEP=100 %s train intent.ini --out hq.h5 --quiet", g.bin), 130);
    assert_int_equal(RUN("%s train intent.ini --out hq.h5 --resume --set text.buckets=1000", g.bin), 2);
    HAS("keys that differ: text.buckets");
    assert_int_equal(RUN("%s train intent.ini --out hq.h5 --resume --set train.lr=0.03 --quiet", g.bin), 0);
    HAS("warning: --resume: train.lr = 0.03 here, 0.02 in the checkpoint"); /* --quiet too (before: silent) */
}

/* ---- item 11: the JSON log ------------------------------------------------------------------------ */

static void test_log_json_readable(void **state) {
    (void)state;
    NEED_BINARY();
    assert_int_equal(RUN("%s train intent.ini --out l.h5 --log-json l.jsonl --quiet", g.bin), 0);
    char path[512];
    TmlError err;
    /* before: "valid_accuracy" twice; ticketml's own reader refused the log */
    TmlTable *t = tml_table_read(tu_path(&g, "l.jsonl", path, sizeof path), TML_FORMAT_JSONL, &err);
    if (!t) fail_msg("%s", err.msg);
    assert_int_equal(t->n_rows, 3);
    assert_true(tml_table_col(t, "valid_accuracy", &err) >= 0);
    tml_table_free(t);
    /* the progress line names the metric once */
    assert_int_equal(RUN("%s train intent.ini --out l.h5", g.bin), 0);
    assert_true(tu_output_lacks(&g, "  accuracy 0.8738  accuracy"));
    HAS("valid after epoch 1 (step 75): accuracy ");
}

/* ---- item 8: labels must be UTF-8 ---------------------------------------------------------------- */

static void test_label_utf8(void **state) {
    (void)state;
    NEED_BINARY();
    tu_write(&g, "lab.csv", "ticket_id,text,intent\n"
                            "1,my card was stolen,card_lost\n2,please block my card,card_lost\n"
                            "3,refund my order,refund_request\n4,I want my money back,refund_request\n"
                            "5,card gone missing,card_lost\n6,send a refund please,refund_request\n");
    assert_int_equal(RUN("printf '7,refund it now,refund_request\\300\\n' >> lab.csv"), 0);
    tu_write(&g, "lab.ini", "[data]\nkind = text\ntrain = lab.csv\ntext = text\nlabel = intent\nvalid_frac = 0\n"
                            "[train]\nepochs = 2\n");
    /* before: the label became a third class "refund_request\xC0", silently */
    assert_int_equal(RUN("%s train lab.ini --out lab.h5", g.bin), 2);
    HAS("lab.csv:8: the label \"refund_request\\xC0\" in column \"intent\" is not valid UTF-8");
    assert_false(tu_exists(&g, "lab.h5"));
    assert_int_equal(RUN("%s train lab.ini --out lab.h5 --set text.invalid_utf8=replace", g.bin), 0);
    HAS("warning: lab.csv: 1 label with invalid UTF-8, the bad bytes replaced by U+FFFD");
    HAS("\"refund_request\\xC0\" (line 8)");
    /* evaluating a file with such a label: the same error */
    assert_int_equal(RUN("%s eval m.h5 lab.csv", g.bin), 2);
    HAS("lab.csv:8: the label");
}

/* ---- item 9: compare refuses reports of different tasks ------------------------------------------- */

static void test_compare_refuses_other_task(void **state) {
    (void)state;
    NEED_BINARY();
    tu_write(&g, "churn.ini", "[data]\nkind = tabular\ntrain = corpus/customers.csv\nlabel = churn\nid = customer_id\n"
                              "positive = Yes\nvalid_frac = 0.2\n[tabular]\nignore = customer_id\n[model]\ntask = churn\n"
                              "type = logistic\n[train]\nepochs = 3\n");
    assert_int_equal(RUN("%s train churn.ini --out churn.h5 --quiet", g.bin), 0);
    assert_int_equal(RUN("%s eval churn.h5 corpus/customers.csv --report crep", g.bin), 0);
    assert_int_equal(RUN("%s eval m.h5 corpus/tickets.csv --report irep", g.bin), 0);
    /* before: "no regression", exit 0 */
    assert_int_equal(RUN("%s compare irep/report.json crep/report.json", g.bin), 2);
    HAS("different tasks (baseline: intent, multiclass; candidate: churn, binary)");
    assert_int_equal(RUN("%s compare irep crep --max-drop per_class.f1=0.05", g.bin), 2);
    assert_int_equal(RUN("%s compare irep irep --max-drop per_class.f1=0", g.bin), 0);
}

/* ---- items 12 and 13: long and content-free texts ------------------------------------------------- */

static void test_long_and_empty_texts(void **state) {
    (void)state;
    NEED_BINARY();
    /* a 1 MB text: before, 388 s with no progress and the whole text echoed; --text could not take it */
    /* 45000 distinct made-up words (numbers would all be <num>) between known ones: about 1 MB */
    assert_int_equal(RUN("awk 'BEGIN { for (i = 0; i < 45000; i++) { s = \"\"; n = i; "
                         "do { s = s sprintf(\"%%c\", 97 + n %% 26); n = int(n / 26) } while (n > 0); "
                         "printf \"my card was stolen %%s \", s } }' > big.txt && test $(wc -c < big.txt) -gt 1000000"),
                     0);
    double t0 = tu_now();
    assert_int_equal(RUN("%s explain m.h5 --text - --samples 500 < big.txt", g.bin), 0);
    double took = tu_now() - t0;
    HAS("note: the text has 225000 words; LIME explains its first");
    HAS("(500 distinct words: the --max-words cap)");
    HAS("more bytes)"); /* the echo is cut */
    size_t n;
    char *out = tu_slurp(&g, "out.txt", &n);
    assert_true(n < 4000);
    free(out);
    printf("  explain of a 1 MB text: %.1f s\n", took);
    assert_int_equal(RUN("%s export m.h5 --out lexp && %s predict lexp --text - < big.txt", g.bin, g.bin), 0);
    HAS("\t0."); /* label <tab> probability */
    /* nothing the model knows: a warning, and no R^2 from a single sample */
    assert_int_equal(RUN("%s explain m.h5 --text ''", g.bin), 0);
    HAS("warning: the text has no feature the model knows (it is empty or only punctuation)");
    HAS("R^2 n/a");
    assert_int_equal(RUN("%s explain m.h5 --text '?! ... !!' --json", g.bin), 0);
    HAS("\"r2\":null");
    assert_int_equal(RUN("%s predict lexp --text '?! ...' --json", g.bin), 0);
    HAS("warning: the text has no feature the model knows");
    HAS("\"probability\":");
}

/* ---- item 14: smaller things ---------------------------------------------------------------------- */

static void test_messages_name_the_key(void **state) {
    (void)state;
    NEED_BINARY();
    /* a bad enum from --set: before "intent.ini:0: ..." */
    assert_int_equal(RUN("%s train intent.ini --out x.h5 --set train.optimizer=adamx", g.bin), 2);
    HAS("--set train.optimizer=adamx is not one of: sgd | adamw");
    /* bad [train] values: one message per key, naming where the value came from (before: one
     * catch-all sentence naming no key) */
    assert_int_equal(RUN("%s train intent.ini --out x.h5 --set train.lr=-1", g.bin), 2);
    HAS("--set train.lr=-1: must be greater than 0");
    /* every family names the --set a bad value came from (before: "intent.ini: model.type = mlp ...",
     * "churn.ini: train.lr must be in (0, 10]" for a value the file did not hold) */
    assert_int_equal(RUN("%s train intent.ini --out x.h5 --set model.type=mlp", g.bin), 2);
    HAS("--set model.type=mlp: is for tabular data; text models are");
    assert_int_equal(RUN("%s train intent.ini --out x.h5 --set model.type=embedding --set model.dim=0", g.bin), 2);
    HAS("--set model.dim=0: must be in 1..100000");
    tu_write(&g, "gb.ini", "[data]\nkind = tabular\ntrain = corpus/customers.csv\nlabel = churn\nid = customer_id\n"
                           "positive = Yes\n[tabular]\nignore = customer_id\n[model]\ntype = gbdt\n[train]\nrounds = 0\n");
    assert_int_equal(RUN("%s train gb.ini --out x.h5 --set train.lr=1e38", g.bin), 2);
    HAS("gb.ini:12: train.rounds = \"0\": must be in 1..1000000");
    assert_int_equal(RUN("%s train gb.ini --out x.h5 --set train.rounds=5 --set train.lr=1e38", g.bin), 2);
    HAS("--set train.lr=1e38: must be in (0, 10]");
    tu_write(&g, "bad.ini", "[data]\nkind = text\ntrain = corpus/tickets.csv\ntext = text\nlabel = intent\n"
                            "[train]\nepochs = 3\nbatch_size = 0\n");
    assert_int_equal(RUN("%s train bad.ini --out x.h5", g.bin), 2);
    HAS("bad.ini:8: train.batch_size = \"0\": must be in 1..1048576");
    assert_int_equal(RUN("%s train intent.ini --out x.h5 --set train.checkpoint_every=soon", g.bin), 2);
    HAS("train.checkpoint_every=soon: is not a duration");
    assert_false(tu_exists(&g, "x.h5"));
    /* the no-GPU notice says what is missing */
    assert_int_equal(RUN("%s devices", g.bin), 0);
    assert_true(tu_output_lacks(&g, "driver version is insufficient"));
    /* rows are 1-based everywhere: report examples as explain --rows */
    assert_int_equal(RUN("%s eval m.h5 corpus/tickets.csv --report rrep", g.bin), 0);
    char path[512];
    json_error_t je;
    json_t *r = json_load_file(tu_path(&g, "rrep/report.json", path, sizeof path), 0, &je);
    assert_non_null(r);
    assert_int_equal(json_integer_value(json_object_get(r, "format_version")), 2);
    json_t *ex = json_object_get(json_array_get(json_object_get(r, "top_confusions"), 0), "examples");
    assert_true(json_array_size(ex) > 0);
    json_int_t row = json_integer_value(json_object_get(json_array_get(ex, 0), "row"));
    const char *text = json_string_value(json_object_get(json_array_get(ex, 0), "text"));
    assert_true(row >= 1);
    assert_int_equal(RUN("%s explain m.h5 corpus/tickets.csv --rows %lld --samples 50", g.bin, (long long)row), 0);
    char want[400];
    snprintf(want, sizeof want, "row %lld: %.60s", (long long)row, text);
    HAS(want);
    json_decref(r);
}

/* ---- item 1: every writer on a full disk ---------------------------------------------------------- */

static char g_mnt[512];

/* A 1 MiB tmpfs at g.dir/full; 0 when mounting is not permitted (the test skips). */
static int mount_small(void) {
    tu_path(&g, "full", g_mnt, sizeof g_mnt);
    mkdir(g_mnt, 0777);
    if (mount("tmpfs", g_mnt, "tmpfs", 0, "size=1m") != 0) {
        printf("  skipped: cannot mount a 1 MiB tmpfs here (%s); run as root (CI does)\n", strerror(errno));
        return 0;
    }
    return 1;
}

static void unmount_small(void) { umount2(g_mnt, MNT_DETACH); }

/* Fills the tmpfs so that about `leave` bytes stay free: a filler file written until the disk is
 * full, then cut by leave bytes. */
static void fill(long leave) {
    char path[600];
    snprintf(path, sizeof path, "%s/filler", g_mnt);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    static char block[4096];
    off_t size = 0;
    for (;;) {
        ssize_t w = write(fd, block, sizeof block);
        if (w <= 0) break;
        size += w;
    }
    assert_int_equal(ftruncate(fd, size > leave ? size - leave : 0), 0);
    close(fd);
}

/* Only the filler is left in the tmpfs (and folders the command was given to write into, empty). */
static void expect_clean(void) {
    assert_int_equal(RUN("find full -type f ! -name filler | grep -q ."), 1);
}

static void test_full_disk(void **state) {
    (void)state;
    NEED_BINARY();
    if (!mount_small()) skip();
    /* m.h5 (2 MB of weights) does not fit in the empty 1 MiB tmpfs */
    /* before: the error, then SIGSEGV (exit 139) in HDF5's close at exit */
    assert_int_equal(RUN("%s train intent.ini --out full/m.h5 --quiet", g.bin), 1);
    HAS("full/m.h5: write failed: No space left on device");
    expect_clean();
    assert_int_equal(RUN("%s export m.h5 --out full/ex --format hdf5", g.bin), 1);
    HAS("full/ex/model.h5: write failed: No space left on device"); /* the file asked for, not the temp name */
    expect_clean();
    assert_int_equal(RUN("%s export m.h5 --out full/st --format safetensors", g.bin), 1);
    HAS("full/st/model.safetensors: write failed: No space left on device"); /* before: "(disk full?)" */
    expect_clean();
    /* the cache fits in 1 MiB: leave 64 KiB */
    fill(64 * 1024);
    assert_int_equal(RUN("%s data corpus/tickets.csv --config intent.ini --cache full/c.h5", g.bin), 1);
    HAS("No space left on device");
    expect_clean();
    /* before: a 0-byte log and exit 0 */
    fill(0);
    assert_int_equal(RUN("%s train intent.ini --out lg.h5 --quiet --log-json full/log.jsonl", g.bin), 1);
    HAS("full/log.jsonl: write failed: No space left on device");
    expect_clean();
    assert_false(tu_exists(&g, "lg.h5"));
    assert_int_equal(RUN("%s eval m.h5 corpus/tickets.csv --report full/rep", g.bin), 1);
    HAS("full/rep/report.json: write failed: No space left on device"); /* before: "report.json: ..." */
    expect_clean();
    assert_false(tu_exists(&g, "full/rep"));
    assert_true(RUN("%s drift m.h5 corpus/tickets.csv corpus/tickets.csv --report full/drep", g.bin) != 0);
    HAS("full/drep/report.json: write failed: No space left on device");
    expect_clean();
    unmount_small();
}

/* The same writers under a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored: writes fail with EFBIG):
 * the write-failure path without root, beside the tmpfs test above. */
static void test_file_size_limit(void **state) {
    (void)state;
    NEED_BINARY();
    const char *lim = "trap '' XFSZ; ulimit -f 1000;"; /* 1000 blocks of 512 bytes: the 2 MB model does not fit */
    assert_int_equal(RUN("%s exec %s train intent.ini --out lim.h5 --quiet", lim, g.bin), 1);
    HAS("lim.h5: write failed: File too large");
    assert_true(no_file_like("lim.h5"));
    assert_int_equal(RUN("%s exec %s export m.h5 --out limex --format hdf5", lim, g.bin), 1);
    HAS("File too large");
    assert_false(tu_exists(&g, "limex/model.h5"));
    assert_int_equal(RUN("(trap '' XFSZ; ulimit -f 100; exec %s data corpus/tickets.csv --config intent.ini --cache "
                         "lim.cache)", g.bin),
                     1);
    HAS("File too large");
    assert_true(no_file_like("lim.cache"));
    /* --cache or --out naming the data: refused before any work */
    assert_int_equal(RUN("%s data corpus/tickets.csv --config intent.ini --cache corpus/tickets.csv", g.bin), 2);
    HAS("is the train file of the config");
    assert_int_equal(RUN("%s train intent.ini --out z.h5 --cache corpus/tickets.csv", g.bin), 2);
    HAS("is the train file of the config");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diverged_training_stops),
        cmocka_unit_test(test_nan_model_refused),
        cmocka_unit_test(test_damaged_files_refused),
        cmocka_unit_test(test_output_locked_and_checked),
        cmocka_unit_test(test_best_weights_restored),
        cmocka_unit_test(test_interval_checkpoint_kill9_resume),
        cmocka_unit_test(test_frozen_has_no_moments),
        cmocka_unit_test(test_resume_hint_and_config_check),
        cmocka_unit_test(test_log_json_readable),
        cmocka_unit_test(test_label_utf8),
        cmocka_unit_test(test_compare_refuses_other_task),
        cmocka_unit_test(test_long_and_empty_texts),
        cmocka_unit_test(test_messages_name_the_key),
        cmocka_unit_test(test_full_disk),
        cmocka_unit_test(test_file_size_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
