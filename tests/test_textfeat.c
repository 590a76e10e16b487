/* test_textfeat.c — tokenizer rules (English placeholders, CJK characters + bigrams, mixed text,
 * NFKC + casefold, invalid UTF-8), vocabulary determinism, n-gram ids and TF-IDF weights checked
 * against scikit-learn's TfidfVectorizer(sublinear_tf=True) formula on a corpus done by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "data/textfeat.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Tokenizes text and compares with the expected tokens (NULL-terminated list). */
static void expect_tokens(const TmlTextConfig *c, const char *text, const char *const *want) {
    char **tok;
    TmlError err = {{0}};
    int n = tml_textfeat_tokenize(c, text, &tok, &err);
    if (n < 0) fail_msg("tokenize failed: %s", err.msg);
    int nw = 0;
    while (want[nw]) nw++;
    int ok = n == nw;
    for (int i = 0; ok && i < n; i++) ok = strcmp(tok[i], want[i]) == 0;
    if (!ok) {
        fprintf(stderr, "text: %s\n got %d:", text, n);
        for (int i = 0; i < n; i++) fprintf(stderr, " [%s]", tok[i]);
        fprintf(stderr, "\nwant %d:", nw);
        for (int i = 0; i < nw; i++) fprintf(stderr, " [%s]", want[i]);
        fprintf(stderr, "\n");
    }
    tml_textfeat_tokens_free(tok, n);
    assert_true(ok);
}

static void test_english_placeholders(void **state) {
    TmlTextConfig c;
    tml_textfeat_config_default(&c);
    const char *want[] = {"hi", "<user>", "my", "card", "<num>", "was", "charged", "<num>", "twice", "see",
                          "<url>", "email", "me", "at", "<email>", "don't", "wait", "<url>", "ok", NULL};
    expect_tokens(&c,
                  "Hi @JohnDoe, my card 1234-5678 was charged $12.50 twice! See https://bank.com/help. "
                  "Email me at john.doe@mail.com \xE2\x80\x94 don\xE2\x80\x99t wait (www.x.org/a?b=1) ok",
                  want);
    /* placeholders off: numbers stay whole words, addresses split at punctuation */
    c.placeholders = 0;
    const char *want2[] = {"call", "555-1234", "at", "3.14", "or", "mail", "a", "b", "co", "uk", NULL};
    expect_tokens(&c, "Call 555-1234 at 3.14 or mail a@b.co.uk", want2);
    /* number rules: separators only between digits; mixed words stay words */
    c.placeholders = 1;
    const char *want3[] = {"<num>", "<num>", "4g", "a320", "v1.2", "<num>", NULL};
    expect_tokens(&c, "1,234.56 2024-01-05 4G A320 v1.2 -7.", want3);
}

static void test_chinese_bigrams(void **state) {
    TmlTextConfig c;
    tml_textfeat_config_default(&c);
    const char *want[] = {"送", "餐", "很", "快", "送餐", "餐很", "很快", "味", "道", "不", "错", "味道", "道不", "不错", NULL};
    expect_tokens(&c, "送餐很快，味道不错！", want);
    c.cjk_bigrams = 0;
    const char *want2[] = {"送", "餐", "很", "快", NULL};
    expect_tokens(&c, "送餐很快", want2);
    /* kana and hangul are per character too */
    c.cjk_bigrams = 1;
    const char *want3[] = {"カ", "ー", "ド", "カー", "ード", "한", "국", "한국", NULL};
    expect_tokens(&c, "カード 한국", want3);
}

static void test_mixed_text(void **state) {
    TmlTextConfig c;
    tml_textfeat_config_default(&c);
    const char *want[] = {"我", "的", "我的", "iphone", "坏", "了", "坏了", "<num>", "元", "<url>", "退", "款", "退款", NULL};
    expect_tokens(&c, "我的iPhone坏了100元 https://t.cn/abc 退款", want);
}

static void test_nfkc_casefold(void **state) {
    TmlTextConfig c;
    tml_textfeat_config_default(&c);
    const char *want[] = {"abc", "test", "strasse", "strasse", "café", "<num>", NULL};
    /* fullwidth ＡＢＣ, Ｔｅｓｔ; ß folds to ss; decomposed e + U+0301 composes to é; fullwidth digits */
    expect_tokens(&c, "\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3 \xEF\xBC\xB4\xEF\xBD\x85\xEF\xBD\x93\xEF\xBD\x94 STRASSE "
                      "Stra\xC3\x9F" "e cafe\xCC\x81 \xEF\xBC\x91\xEF\xBC\x92",
                  want);
    c.normalize = 0;
    const char *want2[] = {"ABC", "Hello", NULL};
    expect_tokens(&c, "ABC Hello", want2);
}

static void test_invalid_utf8(void **state) {
    TmlTextConfig c;
    tml_textfeat_config_default(&c);
    char **tok = NULL;
    TmlError err = {{0}};
    assert_int_equal(tml_textfeat_tokenize(&c, "ab\xff" "cd", &tok, &err), -1);
    assert_non_null(strstr(err.msg, "byte 2"));
    assert_non_null(strstr(err.msg, "invalid_utf8 = replace"));
    /* overlong '/' and a surrogate are rejected too, at their first byte */
    assert_int_equal(tml_textfeat_tokenize(&c, "okay \xC0\xAF", &tok, &err), -1);
    assert_non_null(strstr(err.msg, "byte 5"));
    assert_int_equal(tml_textfeat_tokenize(&c, "\xED\xA0\x80", &tok, &err), -1);
    assert_non_null(strstr(err.msg, "byte 0"));
    /* truncated sequence at the end */
    assert_int_equal(tml_textfeat_tokenize(&c, "abc \xE4\xB8", &tok, &err), -1);
    assert_non_null(strstr(err.msg, "byte 4"));
    c.invalid_utf8 = 1;
    const char *want[] = {"ab", "\xEF\xBF\xBD", "cd", NULL};
    expect_tokens(&c, "ab\xff" "cd", want);
}

static TmlTextFeaturizer *fit(const TmlTextConfig *c, const char *const *texts, int n) {
    TmlTextFeaturizer *f = tml_textfeat_new(c);
    TmlError err = {{0}};
    if (tml_textfeat_fit(f, texts, n, &err)) fail_msg("fit: %s", err.msg);
    return f;
}

static void test_vocab_min_count_determinism(void **state) {
    TmlTextConfig c;
    tml_textfeat_config_default(&c);
    c.min_count = 2;
    const char *texts[] = {"b a c", "a b", "a d", "e e"};
    TmlTextFeaturizer *f = fit(&c, texts, 4);
    assert_int_equal(tml_textfeat_n_words(f), 3);
    assert_string_equal(tml_textfeat_word(f, 0), "a"); /* count 3 */
    assert_string_equal(tml_textfeat_word(f, 1), "b"); /* count 2, b < e */
    assert_string_equal(tml_textfeat_word(f, 2), "e");
    assert_int_equal(tml_textfeat_counts(f)[0], 3);
    assert_int_equal(tml_textfeat_word_id(f, "e"), 2);
    assert_int_equal(tml_textfeat_word_id(f, "c"), -1);
    assert_int_equal(tml_textfeat_dim(f), 3 + c.buckets);
    tml_textfeat_free(f);
    /* the same corpus in another order gives the same ids */
    c.min_count = 1;
    const char *t1[] = {"zeta alpha beta", "beta gamma", "alpha delta", "beta"};
    const char *t2[] = {"beta", "alpha delta", "beta gamma", "zeta alpha beta"};
    TmlTextFeaturizer *f1 = fit(&c, t1, 4), *f2 = fit(&c, t2, 4);
    assert_int_equal(tml_textfeat_n_words(f1), 5);
    assert_int_equal(tml_textfeat_n_words(f2), 5);
    const char *order[] = {"beta", "alpha", "delta", "gamma", "zeta"};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(tml_textfeat_word(f1, i), order[i]);
        assert_string_equal(tml_textfeat_word(f2, i), order[i]);
    }
    tml_textfeat_free(f1);
    tml_textfeat_free(f2);
}

static int has_id(const int32_t *ids, int64_t n, int64_t id) {
    for (int64_t i = 0; i < n; i++)
        if (ids[i] == id) return 1;
    return 0;
}

static void test_ngram_ids(void **state) {
    /* FNV-1a 32-bit reference vectors */
    assert_int_equal(tml_textfeat_hash("", 0), 0x811c9dc5u);
    assert_int_equal(tml_textfeat_hash("a", 1), 0xe40c292cu);
    assert_int_equal(tml_textfeat_hash("foobar", 6), 0xbf9cf968u);

    TmlTextConfig c;
    tml_textfeat_config_default(&c);
    c.word_ngrams = 2;
    c.minn = 2;
    c.maxn = 4;
    c.buckets = 1000;
    const char *texts[] = {"hello world", "hello"};
    TmlTextFeaturizer *f = fit(&c, texts, 2);
    const int64_t nw = tml_textfeat_n_words(f), dim = tml_textfeat_dim(f);
    assert_int_equal(nw, 2);
    int64_t *off;
    int32_t *ids;
    float *w;
    TmlError err = {{0}};
    const char *docs[] = {"hello world", "world unseenword"};
    assert_int_equal(tml_textfeat_transform(f, docs, 2, &off, &ids, &w, &err), 0);
    assert_null(w);
    /* doc 0: 2 words + 2 x 15 char n-grams of a 5-letter word ("<hello>": 6 + 5 + 4) + 1 bigram */
    assert_int_equal(off[1] - off[0], 2 + 30 + 1);
    /* doc 1: "world" + its 15 char n-grams + 3*... "<unseenword>" has 12 code points: 11 + 10 + 9 = 30,
     * the OOV word itself contributes nothing, + 1 bigram */
    assert_int_equal(off[2] - off[1], 1 + 15 + 30 + 1);
    for (int64_t i = 0; i < off[2]; i++) {
        assert_true(ids[i] >= 0);
        assert_true(ids[i] < dim);
    }
    assert_true(has_id(ids, off[1], 0) && has_id(ids, off[1], 1));
    /* stable ids: the char n-gram "<he" and the bigram "hello world" where the format says */
    assert_true(has_id(ids, off[1], nw + tml_textfeat_hash("<he", 3) % 1000));
    assert_true(has_id(ids, off[1], nw + tml_textfeat_hash("ld>", 3) % 1000));
    uint64_t bg = (uint64_t)tml_textfeat_hash("hello", 5) * 116049371u + tml_textfeat_hash("world", 5);
    assert_true(has_id(ids, off[1], nw + (int64_t)(bg % 1000)));
    /* CJK char n-grams count code points, not bytes: "<好吃>" gives 3 bigrams + 2 trigrams + 1 4-gram */
    const char *cjk[] = {"好吃"};
    c.cjk_bigrams = 0;
    c.word_ngrams = 1;
    TmlTextFeaturizer *g = fit(&c, texts, 2);
    int64_t *off2;
    int32_t *ids2;
    float *w2;
    assert_int_equal(tml_textfeat_transform(g, cjk, 1, &off2, &ids2, &w2, &err), 0);
    /* tokens 好 and 吃: each "<x>" has 2 bigrams + 1 trigram (lone "<"/">" skipped, 1-grams below minn) */
    assert_int_equal(off2[1], 6);
    assert_true(has_id(ids2, off2[1], tml_textfeat_n_words(g) + tml_textfeat_hash("<\xE5\xA5\xBD>", 5) % 1000));
    free(off2);
    free(ids2);
    tml_textfeat_free(g);
    free(off);
    free(ids);
    tml_textfeat_free(f);
}

static void test_tfidf_against_sklearn_formula(void **state) {
    TmlTextConfig c;
    tml_textfeat_config_default(&c);
    c.word_ngrams = 1;
    c.buckets = 0;
    c.tfidf = 1;
    const char *texts[] = {"a b", "a c", "a a d"};
    TmlTextFeaturizer *f = fit(&c, texts, 3);
    assert_int_equal(tml_textfeat_dim(f), 4);
    const float *idf = tml_textfeat_idf(f);
    /* idf = ln((1 + n) / (1 + df)) + 1 with n = 3: df(a) = 3 -> 1; df(b) = 1 -> ln 2 + 1 */
    assert_float_equal(idf[0], 1.0, 1e-6);
    for (int j = 1; j < 4; j++) assert_float_equal(idf[j], log(2.0) + 1.0, 1e-6);
    int64_t *off;
    int32_t *ids;
    float *w;
    TmlError err = {{0}};
    assert_int_equal(tml_textfeat_transform(f, texts, 3, &off, &ids, &w, &err), 0);
    assert_non_null(w);
    /* TfidfVectorizer(sublinear_tf=True).fit_transform gives rows
     * [0.50854232 0.861037 0 0], [0.50854232 0 0.861037 0], [0.70710678 0 0 0.70710678] */
    assert_int_equal(off[1], 2);
    assert_int_equal(off[2], 4);
    assert_int_equal(off[3], 6); /* "a a d": the two a's merged into one entry with tf 2 */
    assert_int_equal(ids[0], 0);
    assert_float_equal(w[0], 0.50854232, 1e-6);
    assert_int_equal(ids[1], 1);
    assert_float_equal(w[1], 0.861037, 1e-6);
    assert_int_equal(ids[4], 0);
    assert_float_equal(w[4], 0.70710678, 1e-6);
    assert_int_equal(ids[5], 3);
    assert_float_equal(w[5], 0.70710678, 1e-6);
    for (int r = 0; r < 3; r++) {
        double s = 0;
        for (int64_t i = off[r]; i < off[r + 1]; i++) s += (double)w[i] * w[i];
        assert_float_equal(s, 1.0, 1e-5);
    }
    free(off);
    free(ids);
    free(w);
    tml_textfeat_free(f);

    /* with n-grams on, every row is still unit length and the ids unique */
    c.word_ngrams = 3;
    c.minn = 3;
    c.maxn = 5;
    c.buckets = 5000;
    const char *docs[] = {"my card was charged twice twice", "refund my card", "card card card", ""};
    f = fit(&c, docs, 4);
    assert_int_equal(tml_textfeat_transform(f, docs, 4, &off, &ids, &w, &err), 0);
    for (int r = 0; r < 3; r++) {
        double s = 0;
        for (int64_t i = off[r]; i < off[r + 1]; i++) {
            s += (double)w[i] * w[i];
            if (i > off[r]) assert_true(ids[i] > ids[i - 1]);
        }
        assert_float_equal(s, 1.0, 1e-5);
    }
    assert_int_equal(off[4], off[3]); /* the empty text has no features */
    free(off);
    free(ids);
    free(w);
    tml_textfeat_free(f);
}

static void test_restore_identical(void **state) {
    TmlTextConfig c;
    tml_textfeat_config_default(&c);
    c.tfidf = 1;
    c.minn = 2;
    c.maxn = 3;
    c.buckets = 997;
    const char *texts[] = {"where is my card", "卡丢了怎么办", "card lost, help! https://x.io", "my card"};
    TmlTextFeaturizer *f = fit(&c, texts, 4);
    int64_t nw = tml_textfeat_n_words(f);
    char **words = (char **)malloc((size_t)nw * sizeof *words);
    for (int64_t i = 0; i < nw; i++) words[i] = (char *)tml_textfeat_word(f, i);
    TmlError err = {{0}};
    TmlTextFeaturizer *g = tml_textfeat_restore(&c, words, tml_textfeat_counts(f), nw, tml_textfeat_idf(f), &err);
    assert_non_null(g);
    int64_t *o1, *o2;
    int32_t *i1, *i2;
    float *w1, *w2;
    assert_int_equal(tml_textfeat_transform(f, texts, 4, &o1, &i1, &w1, &err), 0);
    assert_int_equal(tml_textfeat_transform(g, texts, 4, &o2, &i2, &w2, &err), 0);
    assert_memory_equal(o1, o2, 5 * sizeof *o1);
    assert_memory_equal(i1, i2, (size_t)o1[4] * sizeof *i1);
    assert_memory_equal(w1, w2, (size_t)o1[4] * sizeof *w1);
    /* a duplicated word is refused */
    words[1] = words[0];
    assert_null(tml_textfeat_restore(&c, words, NULL, nw, tml_textfeat_idf(f), &err));
    assert_non_null(strstr(err.msg, "twice"));
    /* tfidf without idf is refused */
    words[1] = (char *)tml_textfeat_word(f, 1);
    assert_null(tml_textfeat_restore(&c, words, NULL, nw, NULL, &err));
    free(o1), free(o2), free(i1), free(i2), free(w1), free(w2);
    free(words);
    tml_textfeat_free(f);
    tml_textfeat_free(g);
}

static void test_transform_names_text_index(void **state) {
    TmlTextConfig c;
    tml_textfeat_config_default(&c);
    const char *texts[] = {"fine", "also fine", "bad \xC3"};
    TmlTextFeaturizer *f = tml_textfeat_new(&c);
    TmlError err = {{0}};
    assert_int_equal(tml_textfeat_fit(f, texts, 3, &err), -1);
    assert_non_null(strstr(err.msg, "text 2"));
    assert_non_null(strstr(err.msg, "byte 4"));
    assert_int_equal(tml_textfeat_fit(f, texts, 2, &err), 0);
    int64_t *off;
    int32_t *ids;
    float *w;
    assert_int_equal(tml_textfeat_transform(f, texts, 3, &off, &ids, &w, &err), -1);
    assert_non_null(strstr(err.msg, "text 2"));
    assert_null(off);
    tml_textfeat_free(f);
}

/* Random bytes (biased towards UTF-8 lead/continuation bytes, CJK, '@', digits): replace mode
 * always succeeds with non-empty, valid UTF-8 tokens; error mode fails only with a byte offset. */
static int valid_utf8(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
        if (!n) return 0;
        for (int i = 1; i < n; i++)
            if ((p[i] & 0xC0) != 0x80) return 0;
        p += n;
    }
    return 1;
}

static void test_random_bytes(void **state) {
    static const char pieces[][5] = {"a", "Z", "7", "@", ".", " ", "'", "-", "\xC3", "\xA9", "\xE5", "\xA5",
                                     "\xBD", "\xF0", "\x9F", "\x98", "\x80", "\xFF", "h", "w", ":", "/",
                                     "\xE2\x80\x99", "\xEF\xBC\xA1", "\xE4\xB8\xAD", "\xEC\x95\x88"};
    uint64_t x = 12345;
    TmlTextConfig c;
    tml_textfeat_config_default(&c);
    char buf[256];
    for (int it = 0; it < 3000; it++) {
        size_t n = 0;
        int len = (int)(x % 40);
        for (int k = 0; k < len; k++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            const char *pc = pieces[(x >> 33) % (sizeof pieces / sizeof pieces[0])];
            size_t l = strlen(pc);
            memcpy(buf + n, pc, l);
            n += l;
        }
        buf[n] = 0;
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        for (int mode = 0; mode < 2; mode++) {
            c.invalid_utf8 = mode;
            c.normalize = (int)(x >> 40) & 1;
            char **tok;
            TmlError err = {{0}};
            int nt = tml_textfeat_tokenize(&c, buf, &tok, &err);
            if (nt < 0) {
                assert_int_equal(mode, 0);
                assert_non_null(strstr(err.msg, "invalid UTF-8 at byte"));
                continue;
            }
            for (int t = 0; t < nt; t++) {
                assert_true(tok[t][0] != 0);
                assert_true(valid_utf8(tok[t]));
            }
            tml_textfeat_tokens_free(tok, nt);
        }
    }
}

/* Large inputs are featurized on several threads; the result must not depend on how many. */
static void test_threads_identical(void **state) {
#ifndef _OPENMP
    skip();
#else
    enum { N = 9000 };
    static char buf[N][64];
    const char *texts[N];
    for (int i = 0; i < N; i++) {
        snprintf(buf[i], sizeof buf[i], "ticket %d about card %d 退款%d refund%s", i, i % 17, i % 5,
                 i % 3 ? " again" : "");
        texts[i] = buf[i];
    }
    TmlTextConfig c;
    tml_textfeat_config_default(&c);
    c.tfidf = 1;
    c.minn = 2;
    c.maxn = 3;
    c.buckets = 10007;
    c.placeholders = 0; /* every number its own word: a vocabulary spread over all threads */
    TmlTextFeaturizer *f = fit(&c, texts, N);
    int64_t *o[2];
    int32_t *ids[2];
    float *w[2];
    TmlError err = {{0}};
    int saved = omp_get_max_threads();
    /* the fit (per-thread counts merged, atomic df) is the same on 1 and 4 threads */
    omp_set_num_threads(1);
    TmlTextFeaturizer *f1 = fit(&c, texts, N);
    omp_set_num_threads(4);
    TmlTextFeaturizer *f4 = fit(&c, texts, N);
    assert_true(tml_textfeat_n_words(f1) > 9000);
    assert_int_equal(tml_textfeat_n_words(f1), tml_textfeat_n_words(f4));
    for (int64_t i = 0; i < tml_textfeat_n_words(f1); i++) {
        assert_string_equal(tml_textfeat_word(f1, i), tml_textfeat_word(f4, i));
        assert_int_equal(tml_textfeat_counts(f1)[i], tml_textfeat_counts(f4)[i]);
    }
    assert_memory_equal(tml_textfeat_idf(f1), tml_textfeat_idf(f4), (size_t)tml_textfeat_dim(f1) * sizeof(float));
    tml_textfeat_free(f1);
    tml_textfeat_free(f4);
    for (int k = 0; k < 2; k++) {
        omp_set_num_threads(k == 0 ? 1 : 4);
        assert_int_equal(tml_textfeat_transform(f, texts, N, &o[k], &ids[k], &w[k], &err), 0);
    }
    assert_memory_equal(o[0], o[1], (N + 1) * sizeof(int64_t));
    assert_memory_equal(ids[0], ids[1], (size_t)o[0][N] * sizeof(int32_t));
    assert_memory_equal(w[0], w[1], (size_t)o[0][N] * sizeof(float));
    /* the first bad text is named even when a later thread also hits one */
    snprintf(buf[7000], sizeof buf[7000], "bad \xff here");
    snprintf(buf[8500], sizeof buf[8500], "also \xff bad");
    int64_t *o2;
    int32_t *i2;
    float *w2;
    assert_int_equal(tml_textfeat_transform(f, texts, N, &o2, &i2, &w2, &err), -1);
    assert_non_null(strstr(err.msg, "text 7000:"));
    TmlTextFeaturizer *g = tml_textfeat_new(&c);
    assert_int_equal(tml_textfeat_fit(g, texts, N, &err), -1);
    assert_non_null(strstr(err.msg, "text 7000:"));
    tml_textfeat_free(g);
    omp_set_num_threads(saved);
    for (int k = 0; k < 2; k++) free(o[k]), free(ids[k]), free(w[k]);
    tml_textfeat_free(f);
#endif
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_english_placeholders),
        cmocka_unit_test(test_chinese_bigrams),
        cmocka_unit_test(test_mixed_text),
        cmocka_unit_test(test_nfkc_casefold),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_vocab_min_count_determinism),
        cmocka_unit_test(test_ngram_ids),
        cmocka_unit_test(test_tfidf_against_sklearn_formula),
        cmocka_unit_test(test_restore_identical),
        cmocka_unit_test(test_transform_names_text_index),
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
