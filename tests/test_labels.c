/* test_labels.c — label maps (sorted, stable, extension keeps old indices) and the deterministic
 * stratified split (exact per-class counts, same seed -> same split, different seed -> different). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "data/labels.h"
#include "data/split.h"

static void test_labels(void **state) {
    (void)state;
    const char *const l[] = {"positive", "negative", "neutral", "negative", "Zeta"};
    TmlError err = {{0}};
    TmlLabelMap *m = tml_labels_fit(l, 5, &err);
    assert_non_null(m);
    assert_int_equal(m->n, 4);
    assert_string_equal(m->names[0], "Zeta"); /* bytewise: uppercase first */
    assert_string_equal(m->names[1], "negative");
    assert_string_equal(m->names[3], "positive");
    assert_int_equal(tml_labels_index(m, "neutral"), 2);
    assert_int_equal(tml_labels_index(m, "angry"), -1);
    const char *const more[] = {"angry", "neutral", "", "angry", "bored"};
    assert_int_equal(tml_labels_extend(m, more, 5), 2);
    assert_int_equal(m->n, 6);
    assert_int_equal(tml_labels_index(m, "neutral"), 2); /* old indices keep their meaning */
    assert_int_equal(tml_labels_index(m, "angry"), 4);
    assert_int_equal(tml_labels_index(m, "bored"), 5);
    TmlLabelMap *c = tml_labels_from_names(m->names, m->n);
    assert_int_equal(c->n, 6);
    assert_string_equal(c->names[5], "bored");
    assert_true(c->names[5] != m->names[5]);
    tml_labels_free(c);
    tml_labels_free(m);
    const char *const bad[] = {"a", "", "b"};
    assert_null(tml_labels_fit(bad, 3, &err));
    assert_non_null(strstr(err.msg, "row 1 has an empty label"));
}

static void test_split(void **state) {
    (void)state;
    enum { N = 1000 };
    int32_t y[N];
    for (int i = 0; i < N; i++) y[i] = i < 700 ? 0 : i < 950 ? 1 : i < 999 ? 2 : 3; /* 700/250/49/1 */
    uint8_t a[N], b[N], c[N];
    assert_int_equal(tml_split_stratified(y, N, 4, 0.1, 0.2, 42, a, NULL), 0);
    assert_int_equal(tml_split_stratified(y, N, 4, 0.1, 0.2, 42, b, NULL), 0);
    assert_int_equal(tml_split_stratified(y, N, 4, 0.1, 0.2, 43, c, NULL), 0);
    assert_memory_equal(a, b, N);
    assert_true(memcmp(a, c, N) != 0);
    /* per class: valid = round(n*0.1), test = round(n*0.2), train = the rest */
    const int expect[4][3] = {{490, 70, 140}, {175, 25, 50}, {34, 5, 10}, {1, 0, 0}};
    int got[4][3] = {{0}};
    for (int i = 0; i < N; i++) got[y[i]][a[i]]++;
    for (int k = 0; k < 4; k++)
        for (int s = 0; s < 3; s++) assert_int_equal(got[k][s], expect[k][s]);
    /* pinned against an independent Python re-implementation (splitmix64, rejection draws,
     * Fisher-Yates per class in class order, round-half-up): sum(i * split[i]) = 243550 and the
     * first valid rows are 1, 6, 28, 34, 45 — the same on every machine */
    int64_t sum = 0;
    for (int i = 0; i < N; i++) sum += (int64_t)i * a[i];
    assert_int_equal(sum, 243550);
    const int first_valid[5] = {1, 6, 28, 34, 45};
    for (int k = 0, i = 0; k < 5; i++)
        if (a[i] == TML_SPLIT_VALID) assert_int_equal(i, first_valid[k++]);
    /* labels outside the map (-1) stay in train */
    y[0] = -1;
    assert_int_equal(tml_split_stratified(y, N, 4, 0.5, 0.5, 1, a, NULL), 0);
    assert_int_equal(a[0], TML_SPLIT_TRAIN);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_labels), cmocka_unit_test(test_split)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
