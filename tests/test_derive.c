/* test_derive.c — engineered tabular columns (data/derive.h): every kind computed on a small table
 * with blanks and a zero divisor, a cross of a bucket column, the text form round trip, the
 * one-record path (serving) equal to the table path, config errors, and crosses = auto picking an
 * interaction (XOR of two columns) over two strong but additive columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "data/derive.h"
#include "ticketml/rng.h"

static TmlTable *table_from(const char *csv) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/tml-derive-%d.csv", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(csv, f);
    fclose(f);
    TmlError err;
    TmlTable *t = tml_table_read(path, TML_FORMAT_CSV, &err);
    unlink(path);
    if (!t) fail_msg("%s", err.msg);
    return t;
}

static TmlDeriveSpec *spec_from(const char *ini) {
    TmlError err;
    TmlConfig *cfg = tml_config_parse(ini, "test.ini", &err);
    assert_non_null(cfg);
    TmlDeriveSpec *s = NULL;
    if (tml_derive_from_config(cfg, &s, &err)) fail_msg("%s", err.msg);
    tml_config_free(cfg);
    return s;
}

static const char *cell(const TmlTable *t, int64_t r, const char *col) {
    int c = tml_table_col(t, col, NULL);
    assert_true(c >= 0);
    return tml_table_cell(t, r, c);
}

static void test_kinds(void **state) {
    TmlTable *t = table_from("total,tenure,a,b,svc1,svc2,plan\n"
                             "100,4,1.5,2,Yes,No,basic\n"
                             "50,0,,3,Yes,Yes,pro\n"
                             ",12,2,2,No,,plus\n");
    TmlDeriveSpec *s = spec_from("[tabular]\nratios = total/tenure\nsums = a+b\nbuckets = tenure: 3 10\n"
                                 "counts = services: svc1=Yes, svc2=Yes, plan!=basic\ncrosses = plan*tenure_bucket\n");
    assert_int_equal(s->n, 5);
    TmlError err;
    TmlTable *d = tml_derive_table(s, t, &err);
    if (!d) fail_msg("%s", err.msg);
    assert_string_equal(cell(d, 0, "total/tenure"), "25");
    assert_string_equal(cell(d, 1, "total/tenure"), ""); /* divisor 0 */
    assert_string_equal(cell(d, 2, "total/tenure"), ""); /* blank source */
    assert_string_equal(cell(d, 0, "a+b"), "3.5");
    assert_string_equal(cell(d, 1, "a+b"), "");
    assert_string_equal(cell(d, 0, "tenure_bucket"), "3..10");
    assert_string_equal(cell(d, 1, "tenure_bucket"), "<3");
    assert_string_equal(cell(d, 2, "tenure_bucket"), ">=10");
    assert_string_equal(cell(d, 0, "services"), "1");
    assert_string_equal(cell(d, 1, "services"), "3");
    assert_string_equal(cell(d, 2, "services"), "1"); /* blank svc2 satisfies nothing */
    assert_string_equal(cell(d, 0, "plan*tenure_bucket"), "basic|3..10");
    assert_string_equal(cell(d, 2, "plan*tenure_bucket"), "plus|>=10");
    /* the text form parses back to the same columns */
    char *text = tml_derive_to_text(s);
    TmlDeriveSpec *back = tml_derive_parse(text, &err);
    assert_non_null(back);
    char *text2 = tml_derive_to_text(back);
    assert_string_equal(text, text2);
    /* one record as named fields gives the table's values */
    for (int64_t r = 0; r < t->n_rows; r++) {
        char **on, **ov;
        assert_int_equal(tml_derive_row(back, t->col_names, t->cells + r * t->n_cols, t->n_cols, &on, &ov, &err), 0);
        for (int k = 0; k < back->n; k++) assert_string_equal(ov[t->n_cols + k], cell(d, r, back->d[k].name));
        tml_derive_row_free(back, on, ov, t->n_cols);
    }
    free(text);
    free(text2);
    tml_derive_free(back);
    tml_derive_table_free(d);
    /* a non-number feeding a numeric derived column names the file line, column and derived column */
    TmlTable *bad = table_from("total,tenure,a,b,svc1,svc2,plan\n7,x,1,1,No,No,pro\n");
    assert_null(tml_derive_table(s, bad, &err));
    assert_non_null(strstr(err.msg, ":2:"));
    assert_non_null(strstr(err.msg, "total/tenure"));
    tml_table_free(bad);
    tml_derive_free(s);
    tml_table_free(t);
}

static void test_config_errors(void **state) {
    const char *bad[] = {"[tabular]\nratios = a/b/c\n", "[tabular]\nbuckets = tenure: 5 3\n", "[tabular]\ncounts = x\n",
                         "[tabular]\nsums = a\n", "[tabular]\nratios = a/b, a/b\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        TmlError err;
        TmlConfig *cfg = tml_config_parse(bad[i], "bad.ini", &err);
        assert_non_null(cfg);
        TmlDeriveSpec *s = NULL;
        assert_int_equal(tml_derive_from_config(cfg, &s, &err), -1);
        assert_null(s);
        assert_non_null(strstr(err.msg, "bad.ini"));
        tml_config_free(cfg);
    }
}

/* y = (a xor b) with a, b independent coin flips: each column alone says nothing, the pair says
 * everything. c and d both predict y on their own (additively). auto picks a*b only. */
static void test_auto_crosses(void **state) {
    int n = 4000;
    char *csv = malloc((size_t)n * 32 + 64);
    size_t k = (size_t)sprintf(csv, "a,b,c,d,y\n");
    TmlRng r;
    tml_rng_seed(&r, 3);
    int32_t *labels = malloc(sizeof *labels * (size_t)n);
    uint8_t *split = malloc((size_t)n);
    for (int i = 0; i < n; i++) {
        int a = tml_rng_below(&r, 2), b = tml_rng_below(&r, 2), y = a ^ b;
        int c = tml_rng_uniform(&r) < 0.8 ? y : !y, d = tml_rng_uniform(&r) < 0.8 ? y : !y;
        k += (size_t)sprintf(csv + k, "p%d,q%d,r%d,s%d,%d\n", a, b, c, d, y);
        labels[i] = y;
        split[i] = i % 4 == 0; /* a quarter for validation */
    }
    TmlTable *t = table_from(csv);
    TmlDeriveSpec *s = spec_from("[tabular]\ncrosses = auto\nmax_crosses = 3\n");
    char *cand[4] = {"a", "b", "c", "d"};
    TmlError err;
    assert_int_equal(tml_derive_choose_crosses(s, t, labels, 2, split, cand, 4, &err), 0);
    assert_int_equal(s->n, 1);
    assert_string_equal(s->d[0].name, "a*b");
    tml_derive_free(s);
    tml_table_free(t);
    free(csv);
    free(labels);
    free(split);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_auto_crosses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
