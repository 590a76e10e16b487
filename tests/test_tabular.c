/* test_tabular.c — tabular features: type inference, imputation, standardization, quartiles and
 * categories fitted on train-mask rows only, transforms of tables and single rows, and the errors
 * for NaN/Inf and non-numeric text. Telco statistics are checked against numpy. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/tabular.h"

static char *write_tmp(const char *text) {
    char *path = malloc(64);
    snprintf(path, 64, "/tmp/tml_test_tab_XXXXXX.csv");
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static TmlTable *table_from(const char *text) {
    char *p = write_tmp(text);
    TmlError err = {{0}};
    TmlTable *t = tml_table_read(p, TML_FORMAT_CSV, &err);
    assert_non_null(t);
    unlink(p);
    free(p);
    return t;
}

static const TmlTabColumn *col_named(const TmlTabular *tb, const char *name) {
    for (int i = 0; i < tb->n_cols; i++)
        if (strcmp(tb->cols[i].name, name) == 0) return &tb->cols[i];
    fail_msg("no fitted column %s", name);
    return NULL;
}

static const char *SMALL =
    "id,age,plan,vip,score\n"
    "a1,30,basic,yes,1\n"
    "a2,,pro,no,2\n"
    "a3,50,basic,no,3\n"
    "a4,10,pro,yes,\n"
    "a5,1000,gold,yes,5\n"; /* last row is held out by the mask: gold and 1000 must not be fitted */

static void test_small_fit_transform(void **state) {
    (void)state;
    TmlTable *t = table_from(SMALL);
    uint8_t mask[5] = {1, 1, 1, 1, 0};
    TmlError err = {{0}};
    TmlTabular *tb = tml_tabular_fit(t, NULL, NULL, 0, TML_IMPUTE_MEDIAN, mask, &err);
    assert_non_null(tb);
    assert_int_equal(tb->n_cols, 5);
    assert_int_equal(col_named(tb, "id")->type, TML_COL_ID);
    const TmlTabColumn *age = col_named(tb, "age"), *plan = col_named(tb, "plan"), *vip = col_named(tb, "vip");
    assert_int_equal(age->type, TML_COL_NUMERIC);
    assert_int_equal(plan->type, TML_COL_CATEGORICAL);
    assert_int_equal(vip->type, TML_COL_BOOLEAN);
    /* age train values 30, 50, 10 + one blank: median 30; imputed {30,30,50,10}: mean 30,
     * std sqrt((0+0+400+400)/4) = sqrt(200); numpy.percentile([10,30,30,50],[25,50,75]) = 25,30,35 */
    assert_int_equal(age->n_missing_fit, 1);
    assert_true(age->fill == 30);
    assert_true(fabs(age->mean - 30) < 1e-12);
    assert_true(fabs(age->std - sqrt(200)) < 1e-12);
    assert_true(age->quartiles[0] == 25 && age->quartiles[1] == 30 && age->quartiles[2] == 35);
    assert_true(age->min == 10 && age->max == 50);
    assert_int_equal(plan->n_cats, 2); /* gold only in the held-out row */
    assert_string_equal(plan->cats[0], "basic");
    assert_true(plan->cat_freq[0] == 0.5 && plan->cat_freq[1] == 0.5);
    /* dim: age 1 + plan 2 + vip 2 + score 1 */
    assert_int_equal(tb->dim, 6);
    const char *names[6] = {"age", "plan=basic", "plan=pro", "vip=no", "vip=yes", "score"};
    for (int k = 0; k < 6; k++) assert_string_equal(tb->feature_names[k], names[k]);
    float out[5 * 6];
    assert_int_equal(tml_tabular_transform(tb, t, out, &err), 0);
    float s = (float)sqrt(200);
    assert_true(fabsf(out[0] - 0.0f) < 1e-6f);                 /* age 30 */
    assert_true(fabsf(out[6] - 0.0f) < 1e-6f);                 /* blank -> 30 */
    assert_true(fabsf(out[12] - 20.0f / s) < 1e-6f);           /* 50 */
    assert_true(fabsf(out[24] - 970.0f / s) < 1e-4f);          /* held-out 1000: scaled, not refitted */
    assert_true(out[1] == 1 && out[2] == 0 && out[3] == 0 && out[4] == 1);
    assert_true(out[25] == 0 && out[26] == 0);                 /* unseen "gold": no column */
    /* score: 1,2,3 + blank -> median 2 */
    assert_true(col_named(tb, "score")->fill == 2);
    /* one named row, fields in any order, extra fields ignored */
    char *rn[] = {"score", "plan", "vip", "age", "extra"};
    char *rv[] = {"", "pro", "no", " 50 ", "zzz"};
    float row[6];
    assert_int_equal(tml_tabular_transform_row(tb, rn, rv, 5, row, &err), 0);
    assert_true(fabsf(row[0] - 20.0f / s) < 1e-6f);
    assert_true(row[1] == 0 && row[2] == 1 && row[3] == 1 && row[4] == 0);
    assert_true(fabsf(row[5] - out[6 * 3 + 5]) < 1e-6f); /* blank score imputed like row a4 */
    assert_int_equal(tml_tabular_transform_row(tb, rn, rv, 3, row, &err), -1);
    assert_non_null(strstr(err.msg, "row has no field \"age\""));
    rv[3] = "old";
    assert_int_equal(tml_tabular_transform_row(tb, rn, rv, 5, row, &err), -1);
    assert_non_null(strstr(err.msg, "column \"age\" holds \"old\", not a number"));
    tml_tabular_free(tb);
    tml_table_free(t);
}

static void test_declared_types_and_impute(void **state) {
    (void)state;
    TmlTable *t = table_from(SMALL);
    char *names[] = {"age", "score", "id"};
    int types[] = {TML_COL_CATEGORICAL, -1, TML_COL_IGNORE};
    TmlError err = {{0}};
    TmlTabular *tb = tml_tabular_fit(t, names, types, 3, TML_IMPUTE_MEAN, NULL, &err);
    assert_non_null(tb);
    assert_int_equal(tb->n_cols, 3);
    assert_int_equal(tb->cols[0].type, TML_COL_CATEGORICAL);
    assert_int_equal(tb->cols[0].n_cats, 4); /* 10, 1000, 30, 50 (blank is no category) */
    assert_string_equal(tb->cols[0].cats[1], "1000");
    assert_int_equal(tb->cols[0].n_missing_fit, 1);
    assert_true(tb->cols[1].fill == 11.0 / 4); /* mean of 1,2,3,5 */
    assert_int_equal(tb->dim, 5);
    tml_tabular_free(tb);
    tb = tml_tabular_fit(t, names + 1, (int[]){-1}, 1, TML_IMPUTE_ZERO, NULL, &err);
    assert_true(tb->cols[0].fill == 0);
    assert_int_equal(tb->cols[0].n_missing_fit, 1);
    tml_tabular_free(tb);
    char *missing[] = {"agee"};
    assert_null(tml_tabular_fit(t, missing, NULL, 1, TML_IMPUTE_MEDIAN, NULL, &err));
    assert_non_null(strstr(err.msg, "no column \"agee\""));
    assert_non_null(strstr(err.msg, "id, age, plan, vip, score"));
    tml_table_free(t);
}

static void test_bad_numbers(void **state) {
    (void)state;
    TmlError err = {{0}};
    TmlTable *t = table_from("x,y\n1,a\n2,b\nNaN,c\n");
    assert_null(tml_tabular_fit(t, NULL, NULL, 0, TML_IMPUTE_MEDIAN, NULL, &err));
    assert_non_null(strstr(err.msg, ":4: column \"x\" holds \"NaN\"; numbers must be finite"));
    tml_table_free(t);
    t = table_from("x,y\n1,a\n-inf,b\n");
    assert_null(tml_tabular_fit(t, NULL, NULL, 0, TML_IMPUTE_MEDIAN, NULL, &err));
    assert_non_null(strstr(err.msg, ":3: column \"x\" holds \"-inf\""));
    tml_table_free(t);
    /* declared numeric with text: named error; inferred it would be categorical */
    t = table_from("x,y\n1,a\n\"1,5\",b\n");
    char *names[] = {"x"};
    int types[] = {TML_COL_NUMERIC};
    assert_null(tml_tabular_fit(t, names, types, 1, TML_IMPUTE_MEDIAN, NULL, &err));
    assert_non_null(strstr(err.msg, ":3: column \"x\" holds \"1,5\", not a number"));
    assert_non_null(strstr(err.msg, "categorical = x"));
    /* a bad value only in a non-train row: fit passes, transform names the row */
    uint8_t mask[2] = {1, 0};
    TmlTabular *tb = tml_tabular_fit(t, names, types, 1, TML_IMPUTE_MEDIAN, mask, &err);
    assert_non_null(tb);
    float out[2];
    assert_int_equal(tml_tabular_transform(tb, t, out, &err), -1);
    assert_non_null(strstr(err.msg, ":3: column \"x\" holds \"1,5\", not a number"));
    tml_tabular_free(tb);
    tml_table_free(t);
    t = table_from("x\n0x10\n");
    tb = tml_tabular_fit(t, NULL, NULL, 0, TML_IMPUTE_MEDIAN, NULL, &err);
    assert_int_equal(tb->cols[0].type, TML_COL_CATEGORICAL); /* hex is not a ticket number */
    tml_tabular_free(tb);
    tml_table_free(t);
}

static void test_telco(void **state) {
    (void)state;
    const char *dir = getenv("TICKETML_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/telco_churn/train.csv", dir && *dir ? dir : "../shared/datasets");
    if (access(path, R_OK) != 0) {
        printf("skip: %s not found (set TICKETML_DATA to the datasets folder)\n", path);
        skip();
    }
    TmlError err = {{0}};
    TmlTable *t = tml_table_read(path, TML_FORMAT_AUTO, &err);
    assert_non_null(t);
    char *names[20];
    for (int i = 0; i < 20; i++) names[i] = t->col_names[i]; /* all but Churn (the label) */
    TmlTabular *tb = tml_tabular_fit(t, names, NULL, 20, TML_IMPUTE_MEDIAN, NULL, &err);
    assert_non_null(tb);
    assert_int_equal(col_named(tb, "customerID")->type, TML_COL_ID);
    assert_int_equal(col_named(tb, "SeniorCitizen")->type, TML_COL_NUMERIC);
    assert_int_equal(col_named(tb, "gender")->type, TML_COL_CATEGORICAL);
    assert_int_equal(col_named(tb, "Partner")->type, TML_COL_BOOLEAN);
    assert_int_equal(tb->dim, 45);
    /* Expected values: python3 + numpy 1.x on train.csv, blanks (" ") imputed with the median of the
     * observed values, population std, np.percentile linear:
     *   v = [float(x) if x.strip() else med for x in col]; v.mean(), v.std(), np.percentile(v, [25,50,75]) */
    const TmlTabColumn *c = col_named(tb, "tenure");
    assert_int_equal(c->type, TML_COL_NUMERIC);
    assert_int_equal(c->n_missing_fit, 0);
    assert_true(fabs(c->mean - 32.3533901313454) < 1e-9);
    assert_true(fabs(c->std - 24.594414661889548) < 1e-9);
    assert_true(c->quartiles[0] == 9 && c->quartiles[1] == 29 && c->quartiles[2] == 56);
    assert_true(c->min == 0 && c->max == 72);
    c = col_named(tb, "TotalCharges");
    assert_int_equal(c->n_missing_fit, 9);
    assert_true(fabs(c->fill - 1391.15) < 1e-9);
    assert_true(fabs(c->mean - 2277.211980830671) < 1e-7);
    assert_true(fabs(c->std - 2269.7274286863026) < 1e-7);
    assert_true(fabs(c->quartiles[0] - 402.6625) < 1e-9 && fabs(c->quartiles[2] - 3761.2625) < 1e-9);
    assert_true(c->min == 18.85 && c->max == 8684.8);
    c = col_named(tb, "MonthlyCharges");
    assert_true(fabs(c->mean - 64.66316116435925) < 1e-9 && fabs(c->std - 30.0284805544484) < 1e-9);
    c = col_named(tb, "Contract");
    assert_int_equal(c->type, TML_COL_CATEGORICAL);
    assert_int_equal(c->n_cats, 3);
    assert_string_equal(c->cats[0], "Month-to-month");
    assert_string_equal(c->cats[2], "Two year");
    assert_true(fabs(c->cat_freq[0] - 3080.0 / 5634) < 1e-12 && fabs(c->cat_freq[2] - 1365.0 / 5634) < 1e-12);
    assert_string_equal(tb->feature_names[c->offset + 2], "Contract=Two year");
    assert_int_equal(col_named(tb, "PaymentMethod")->n_cats, 4);
    float *x = malloc((size_t)t->n_rows * tb->dim * sizeof *x);
    assert_int_equal(tml_tabular_transform(tb, t, x, &err), 0);
    /* row 0: tenure 11, Contract "One year" */
    const TmlTabColumn *ten = col_named(tb, "tenure");
    assert_true(fabsf(x[ten->offset] - (float)((11 - 32.3533901313454) / 24.594414661889548)) < 1e-6f);
    const TmlTabColumn *con = col_named(tb, "Contract");
    assert_true(x[con->offset] == 0 && x[con->offset + 1] == 1 && x[con->offset + 2] == 0);
    /* standardized train columns have mean 0 */
    double s = 0;
    for (int64_t r = 0; r < t->n_rows; r++) s += x[r * tb->dim + col_named(tb, "TotalCharges")->offset];
    assert_true(fabs(s / (double)t->n_rows) < 1e-5);
    free(x);
    tml_tabular_free(tb);
    /* fitted on a mask (rows with index % 5 != 0): numpy on the same 4507 rows gives 7 blanks,
     * median 1400.7, mean 2264.339449744841, std 2261.7292508234896 */
    uint8_t *mask = malloc((size_t)t->n_rows);
    for (int64_t r = 0; r < t->n_rows; r++) mask[r] = r % 5 != 0;
    char *tc[] = {"TotalCharges"};
    tb = tml_tabular_fit(t, tc, NULL, 1, TML_IMPUTE_MEDIAN, mask, &err);
    assert_non_null(tb);
    assert_int_equal(tb->cols[0].n_missing_fit, 7);
    assert_true(fabs(tb->cols[0].fill - 1400.7) < 1e-9);
    assert_true(fabs(tb->cols[0].mean - 2264.339449744841) < 1e-7);
    assert_true(fabs(tb->cols[0].std - 2261.7292508234896) < 1e-7);
    tml_tabular_free(tb);
    free(mask);
    tml_table_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_fit_transform), cmocka_unit_test(test_declared_types_and_impute),
        cmocka_unit_test(test_bad_numbers), cmocka_unit_test(test_telco),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
