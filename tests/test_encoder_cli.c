/* test_encoder_cli.c — the encoder model family through the `ticketml` command on a small generated
 * corpus, with a tiny random-initialised encoder (2 layers, width 32) and a WordPiece vocabulary
 * built from the corpus, so it needs no downloaded model: train (learns above chance), eval with a
 * report, explain (LIME texts scored through the encoder), Ctrl-C + --resume giving the same weights
 * as an uninterrupted run, a frozen encoder (head only), finetune with a new label, export and
 * predict, and a model file that works with its model folder moved away (the tokenizer is stored
 * in it). Skips when ./ticketml is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <hdf5.h>

static char g_dir[256];
static const char *g_bin;

/* Runs a shell command line in g_dir with stdout+stderr captured into out.txt; the exit code. */
static int run(const char *fmt, ...) {
    char cmd[4096], line[4400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "cd %s && %s >out.txt 2>&1", g_dir, cmd);
    int st = system(line);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = calloc(1, (size_t)n + 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
    fclose(f);
    return s;
}

static int exists(const char *name) {
    char path[512];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    return stat(path, &sb) == 0;
}

static void write_file(const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Asserts the last run's exit code, showing its output when it differs. */
static void expect_status(int got, int want) {
    if (got != want) {
        char *out = slurp("out.txt");
        fail_msg("exit status %d, expected %d; output:\n%s", got, want, out ? out : "(none)");
    }
}
#define RUN_EXPECT(want, ...) expect_status(run(__VA_ARGS__), want)

static void expect_output(const char *needle) {
    char *out = slurp("out.txt");
    if (!out || !strstr(out, needle)) fail_msg("expected '%s' in output:\n%s", needle, out ? out : "(none)");
    free(out);
}

/* A tiny encoder with the corpus vocabulary (tok/vocab.txt): no pretrained weights needed. */
static const char *CONFIG =
    "[data]\nkind = text\ntrain = corpus/tickets.csv\ntext = text\nlabel = intent\nid = ticket_id\n"
    "valid_frac = 0.1\ntest_frac = 0.1\nseed = 3\n[text]\nword_ngrams = 1\nbuckets = 1000\n"
    "[model]\ntask = intent\ntype = encoder\npretrained = tok\ninit = random\nlayers = 2\nwidth = 32\nheads = 4\n"
    "max_len = 48\n[train]\noptimizer = adamw\nlr = 3e-3\nwarmup = 0.1\nepochs = 3\nbatch_size = 32\nclip = 1.0\n"
    "patience = 0\nseed = 3\n";

static int setup(void **state) {
    (void)state;
    g_bin = getenv("TICKETML");
    if (!g_bin) g_bin = "./ticketml";
    static char abs_bin[512];
    if (!realpath(g_bin, abs_bin)) return 0; /* tests skip */
    g_bin = abs_bin;
    snprintf(g_dir, sizeof g_dir, "/tmp/ticketml-enc-cli-XXXXXX");
    if (!mkdtemp(g_dir)) return -1;
    write_file("enc.ini", CONFIG);
    if (run("%s synth --tickets 1500 --customers 300 --seed 5 --out corpus", g_bin) != 0) return -1;
    /* WordPiece vocabulary: the special tokens, every lowercase word of the corpus, and single
     * letters, digits and punctuation (plain and as ## continuations) so nothing is [UNK] */
    if (run("(mkdir -p tok && (printf '[PAD]\\n[UNK]\\n[CLS]\\n[SEP]\\n[MASK]\\n'; "
            "tr -cs 'A-Za-z' '\\n' < corpus/tickets.csv | tr 'A-Z' 'a-z' | sort -u | grep -v '^$'; "
            "for c in a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4 5 6 7 8 9; do echo $c; echo \"##$c\"; done; "
            "printf '%%s\\n' . , ! ? \"'\" - : ';' '(' ')' / '$' '%%' '&' '#' '@' '*' '+' '=') | awk '!seen[$0]++' > tok/vocab.txt)") != 0)
        return -1;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    if (g_dir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
        if (system(cmd) != 0) return -1;
    }
    return 0;
}

#define NEED_BINARY()                                                                      \
    do {                                                                                   \
        if (access(g_bin, X_OK) != 0) {                                                    \
            printf("ticketml binary not found (%s): encoder CLI tests not run\n", g_bin); \
            skip();                                                                        \
        }                                                                                  \
    } while (0)

/* The test accuracy from the last run's "test: accuracy A" line. */
static double test_accuracy(void) {
    char *out = slurp("out.txt"), *t = out ? strstr(out, "test: accuracy ") : NULL;
    if (!t) fail_msg("no test line in:\n%s", out ? out : "(none)");
    double a = atof(t + 15);
    free(out);
    return a;
}

static void test_train_eval_explain(void **state) {
    (void)state;
    NEED_BINARY();
    RUN_EXPECT(0, "%s train enc.ini --out m.h5 --device cpu", g_bin);
    expect_output("encoder model (random, tokenizer of tok: 2 layers, width 32");
    expect_output("encoder: cpu memory");
    double acc = test_accuracy();
    printf("  tiny encoder, 3 epochs on 1200 generated tickets: test accuracy %.3f\n", acc);
    assert_true(acc > 0.25); /* 20 generated intents: chance is 0.05 */
    assert_false(exists("m.h5.ckpt"));
    RUN_EXPECT(0, "%s eval m.h5 corpus/tickets.csv --report rep --device cpu", g_bin);
    assert_true(exists("rep/report.json"));
    RUN_EXPECT(0, "%s explain m.h5 --text 'my card was stolen, please block it' --samples 300 --json --device cpu",
                         g_bin);
    expect_output("\"features\"");
    expect_output("stolen");
}

/* Every tensor of a model file's encoder/weights group in one buffer. */
static float *read_weights(const char *name, size_t *n_out) {
    static const char *tensors[] = {"wte", "wpe", "wtt", "lne_w", "lne_b", "qkvw", "qkvb", "attprojw", "attprojb",
                                    "ln1w", "ln1b", "fcw", "fcb", "fcprojw", "fcprojb", "ln2w", "ln2b", "clsw", "clsb"};
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    float *all = NULL;
    size_t n = 0;
    for (size_t i = 0; i < sizeof tensors / sizeof tensors[0]; i++) {
        char ds_name[64];
        snprintf(ds_name, sizeof ds_name, "encoder/weights/%s", tensors[i]);
        hid_t ds = H5Dopen2(f, ds_name, H5P_DEFAULT);
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

static void test_resume_matches_uninterrupted(void **state) {
    (void)state;
    NEED_BINARY();
    const char *sets = "--device cpu --set train.epochs=2 --set train.grad_accum=2";
    RUN_EXPECT(0, "%s train enc.ini --out full.h5 --quiet %s", g_bin, sets);
    /* 1200 train rows, batches of 32 -> 38 batches -> 19 steps per epoch; stop inside epoch 2 */
    RUN_EXPECT(130, "TICKETML_INTERRUPT_AT_STEP=25 %s train enc.ini --out part.h5 --quiet %s", g_bin, sets);
    assert_true(exists("part.h5.ckpt"));
    RUN_EXPECT(0, "%s train enc.ini --out part.h5 --resume %s", g_bin, sets);
    expect_output("resuming from");
    size_t na, nb;
    float *a = read_weights("full.h5", &na), *b = read_weights("part.h5", &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na * sizeof(float)); /* the CPU encoder trains bit-reproducibly */
    free(a);
    free(b);
}

static void test_frozen_encoder(void **state) {
    (void)state;
    NEED_BINARY();
    RUN_EXPECT(0, "%s train enc.ini --out frozen.h5 --device cpu --set train.freeze_encoder=true --set train.lr=1e-2 "
                  "--set train.epochs=4", g_bin);
    expect_output("encoder frozen (head only)");
    expect_output("encoded once");
    /* two frozen runs with different steps: the encoder tensors stay the initialisation in both,
     * only the heads differ */
    RUN_EXPECT(0, "%s train enc.ini --out frozen2.h5 --device cpu --quiet --set train.freeze_encoder=true "
                  "--set train.lr=3e-3 --set train.epochs=2", g_bin);
    size_t na, nb;
    float *a = read_weights("frozen.h5", &na), *b = read_weights("frozen2.h5", &nb);
    assert_int_equal(na, nb);
    size_t head = 32 * 20 + 20; /* clsw (20, 32) + clsb (20): the 20 generated intents */
    assert_memory_equal(a, b, (na - head) * sizeof(float));
    assert_memory_not_equal(a + na - head, b + na - head, head * sizeof(float));
    free(a);
    free(b);
}

static void test_finetune_and_export(void **state) {
    (void)state;
    NEED_BINARY();
    if (!exists("m.h5")) RUN_EXPECT(0, "%s train enc.ini --out m.h5 --quiet --device cpu", g_bin);
    write_file("new.csv", "ticket_id,text,intent\n"
                          "n1,my parcel arrived crushed and wet,damaged_item\nn2,the box came broken,damaged_item\n"
                          "n3,item arrived damaged please replace,damaged_item\nn4,I lost my card yesterday,card_lost\n"
                          "n5,received a broken screen,damaged_item\nn6,my card is gone please block it,card_lost\n");
    write_file("ft.ini", "[data]\nkind = text\ntrain = new.csv\ntext = text\nlabel = intent\nvalid_frac = 0\n"
                         "[train]\nlr = 3e-3\nepochs = 15\nbatch_size = 4\npatience = 0\n");
    RUN_EXPECT(0, "%s finetune --from m.h5 ft.ini --out m2.h5 --device cpu", g_bin);
    expect_output("new label(s)");
    RUN_EXPECT(0, "%s eval m2.h5 new.csv --device cpu", g_bin);
    /* the fine-tuned model exports and predicts its new label (probabilities against the trainer's
     * are test_export.c's job) */
    RUN_EXPECT(0, "%s export m2.h5 --out exp", g_bin);
    assert_true(exists("exp/model.h5"));
    RUN_EXPECT(0, "%s predict exp --text 'the box came broken' --top 2", g_bin);
    expect_output("damaged_item");
}

/* The first "accuracy" line of the last run's output (malloc'd). */
static char *accuracy_line(void) {
    char *out = slurp("out.txt"), *a = out ? strstr(out, "accuracy") : NULL;
    if (!a) fail_msg("no accuracy in:\n%s", out ? out : "(none)");
    char *e = strchr(a, '\n');
    char *line = strndup(a, e ? (size_t)(e - a) : strlen(a));
    free(out);
    return line;
}

/* A model file carries its tokenizer: with the model folder moved away, eval gives the same
 * figures and explain and finetune still work. */
static void test_model_file_is_self_contained(void **state) {
    (void)state;
    NEED_BINARY();
    if (!exists("m.h5")) RUN_EXPECT(0, "%s train enc.ini --out m.h5 --quiet --device cpu", g_bin);
    RUN_EXPECT(0, "%s eval m.h5 corpus/tickets.csv --device cpu", g_bin);
    char *before = accuracy_line();
    RUN_EXPECT(0, "mv tok tok.away");
    RUN_EXPECT(0, "%s eval m.h5 corpus/tickets.csv --device cpu", g_bin);
    char *after = accuracy_line();
    assert_string_equal(before, after);
    RUN_EXPECT(0, "%s explain m.h5 --text 'my card was stolen' --samples 100 --json --device cpu", g_bin);
    expect_output("stolen");
    write_file("ft2.csv", "ticket_id,text,intent\nq1,where is my refund,refund_status\nq2,refund not received yet,refund_status\n"
                          "q3,card stolen block it,card_lost\nq4,lost my card,card_lost\n");
    write_file("ft2.ini", "[data]\nkind = text\ntrain = ft2.csv\ntext = text\nlabel = intent\nvalid_frac = 0\n"
                          "[train]\nlr = 3e-3\nepochs = 2\nbatch_size = 4\npatience = 0\n");
    RUN_EXPECT(0, "%s finetune --from m.h5 ft2.ini --out m3.h5 --quiet --device cpu", g_bin);
    RUN_EXPECT(0, "%s eval m3.h5 ft2.csv --device cpu", g_bin);
    RUN_EXPECT(0, "%s export m.h5 --out exp_away --format safetensors", g_bin);
    RUN_EXPECT(0, "%s predict exp_away --text 'my card was stolen'", g_bin);
    RUN_EXPECT(0, "mv tok.away tok");
    free(before);
    free(after);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_eval_explain),
        cmocka_unit_test(test_resume_matches_uninterrupted),
        cmocka_unit_test(test_frozen_encoder),
        cmocka_unit_test(test_finetune_and_export),
        cmocka_unit_test(test_model_file_is_self_contained),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
