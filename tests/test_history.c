/* test_history.c — ticket-history features on a handmade customers/tickets pair whose expected
 * values are worked out by hand in the comments, plus ISO date parsing and the join's errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/date.h"
#include "data/history.h"

static TmlTable *table_from(const char *text) {
    char path[] = "/tmp/tml_test_hist_XXXXXX.csv";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    TmlError err = {{0}};
    TmlTable *t = tml_table_read(path, TML_FORMAT_CSV, &err);
    if (!t) fprintf(stderr, "%s\n", err.msg);
    assert_non_null(t);
    unlink(path);
    return t;
}

static void test_iso_day(void **state) {
    (void)state;
    int64_t d;
    /* expected values: python3 (date.fromisoformat(x) - date(1970, 1, 1)).days */
    assert_int_equal(tml_date_parse_iso("1970-01-01", &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(tml_date_parse_iso("2000-03-01", &d), 0);
    assert_int_equal(d, 11017);
    assert_int_equal(tml_date_parse_iso("2024-02-29T23:59:59.123+05:30", &d), 0);
    assert_int_equal(d, 19782);
    assert_int_equal(tml_date_parse_iso(" 2025-03-10 08:30 ", &d), 0);
    assert_int_equal(d, 20157);
    assert_int_equal(tml_date_parse_iso("2025-03-10T08:30:00Z", &d), 0);
    assert_int_equal(d, 20157);
    assert_int_equal(tml_date_parse_iso("1900-03-01", &d), 0);
    assert_int_equal(d, -25508);
    assert_int_equal(tml_date_parse_iso("1969-12-31", &d), 0);
    assert_int_equal(d, -1);
    const char *bad[] = {"2023-02-29", "2025-13-01", "2025-04-31", "2025-3-01", "2025-03-01T25:00",
                         "2025-03-01T10", "2025-03-01x", "", "03/01/2025", "2025-03-01T10:00+5", "2025-03-01T10:00:00."};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (tml_date_parse_iso(bad[i], &d) != -1) fail_msg("accepted \"%s\"", bad[i]);
    }
}

static const char *CUSTOMERS =
    "customer_id,plan\n"
    "c1,basic\n"
    "c2,pro\n"
    "c3,basic\n"
    "c1,again\n"; /* a repeated id gets the same features */

static const char *TICKETS =
    "ticket_id,customer_id,created_at,sentiment,intent,first_response_minutes\n"
    "t1,c1,2025-03-01,negative,billing,10\n"
    "t2,c1,2025-03-05T10:00:00Z,positive,billing,20\n"
    "t3,c1,2025-02-01,Negative,cancel,\n"
    "t4,c1,2024-12-15,neutral,,30\n"
    "t5,c2,2025-03-10 08:30,negative,cancel,5\n"
    "t6,c2,2025-03-20,,upgrade,\n"          /* after the 2025-03-10 cutoff */
    "t7,c9,2025-03-09,negative,refund,1\n" /* customer not in the file */
    "t8,c2,2025-03-04,negative,billing,15\n";

static void check_row(const float *got, const double *want, int d, const char *who) {
    for (int k = 0; k < d; k++)
        if ((double)got[k] != want[k]) fail_msg("%s feature %d: got %g, want %g", who, k, (double)got[k], want[k]);
}

static void test_features_with_cutoff(void **state) {
    (void)state;
    TmlTable *cu = table_from(CUSTOMERS), *ti = table_from(TICKETS);
    TmlHistoryConfig cfg;
    tml_history_config_default(&cfg);
    cfg.cutoff = "2025-03-10";
    float *x;
    int d;
    char **names;
    TmlError err = {{0}};
    assert_int_equal(tml_history_features(&cfg, cu, ti, &x, &d, &names, &err), 0);
    /* intents of kept, joined tickets only: refund (unknown customer) and upgrade (after cutoff) absent */
    assert_int_equal(d, 10);
    const char *want_names[10] = {"tickets_7d", "tickets_30d", "tickets_90d", "tickets_total",
                                  "days_since_last_ticket", "negative_share", "mean_first_response_minutes",
                                  "repeat_contacts_7d", "tickets_intent=billing", "tickets_intent=cancel"};
    for (int k = 0; k < d; k++) assert_string_equal(names[k], want_names[k]);
    /* c1: ages from the cutoff: t2 5, t1 9, t3 37, t4 85 days.
     * 7d {t2} = 1; 30d {t2,t1} = 2; 90d all = 4; total 4; last ticket 5 days ago;
     * negative: t1 and t3 ("Negative") of 4 with a sentiment = 0.5; responses 10,20,30 -> 20 (t3 blank);
     * repeats: gaps 48, 28, 4 days -> 1; billing 2, cancel 1 */
    const double c1[10] = {1, 2, 4, 4, 5, 0.5, 20, 1, 2, 1};
    /* c2: t8 (6 days), t5 (0 days); t6 after the cutoff. 7d 2, 30d 2, 90d 2, total 2; last 0;
     * negative 2/2; responses 15, 5 -> 10; gap 6 days -> 1 repeat; billing 1, cancel 1 */
    const double c2[10] = {2, 2, 2, 2, 0, 1, 10, 1, 1, 1};
    /* c3: no tickets */
    const double c3[10] = {0, 0, 0, 0, 365, 0, 0, 0, 0, 0};
    check_row(x + 0 * d, c1, d, "c1");
    check_row(x + 1 * d, c2, d, "c2");
    check_row(x + 2 * d, c3, d, "c3");
    check_row(x + 3 * d, c1, d, "c1 (second row)");
    for (int k = 0; k < d; k++) free(names[k]);
    free(names);
    free(x);
    tml_table_free(cu);
    tml_table_free(ti);
}

static void test_features_latest_cutoff(void **state) {
    (void)state;
    TmlTable *cu = table_from(CUSTOMERS), *ti = table_from(TICKETS);
    float *x;
    int d;
    char **names;
    TmlError err = {{0}};
    /* NULL config = defaults: cutoff is the latest ticket date in the file, 2025-03-20 (t6) */
    assert_int_equal(tml_history_features(NULL, cu, ti, &x, &d, &names, &err), 0);
    assert_int_equal(d, 11);
    assert_string_equal(names[10], "tickets_intent=upgrade");
    /* c2: t8 16 days, t5 10 days, t6 0 days. 7d 1; 30d 3; 90d 3; total 3; last 0;
     * negative: t5, t8 of the 2 with a sentiment (t6 blank) = 1; responses 5, 15 -> 10;
     * gaps 6 (repeat), 10 (not) -> 1; billing 1, cancel 1, upgrade 1 */
    const double c2[11] = {1, 3, 3, 3, 0, 1, 10, 1, 1, 1, 1};
    check_row(x + 1 * d, c2, d, "c2");
    /* c1: ages 15, 19, 47, 95: 7d 0, 30d 2, 90d 3, total 4, last 15 */
    const double c1[11] = {0, 2, 3, 4, 15, 0.5, 20, 1, 2, 1, 0};
    check_row(x, c1, d, "c1");
    for (int k = 0; k < d; k++) free(names[k]);
    free(names);
    free(x);
    tml_table_free(cu);
    tml_table_free(ti);
}

static void test_optional_columns_absent(void **state) {
    (void)state;
    TmlTable *cu = table_from("id\nA\nB\n");
    TmlTable *ti = table_from("id,when\nA,2025-01-01\nA,2025-01-03\n");
    TmlHistoryConfig cfg;
    tml_history_config_default(&cfg);
    cfg.customer_col = "id";
    cfg.time_col = "when";
    float *x;
    int d;
    char **names;
    TmlError err = {{0}};
    assert_int_equal(tml_history_features(&cfg, cu, ti, &x, &d, &names, &err), 0);
    assert_int_equal(d, 8); /* no intent column: no intent counts */
    const double a[8] = {2, 2, 2, 2, 0, 0, 0, 1};
    const double b[8] = {0, 0, 0, 0, 365, 0, 0, 0};
    check_row(x, a, d, "A");
    check_row(x + d, b, d, "B");
    for (int k = 0; k < d; k++) free(names[k]);
    free(names);
    free(x);
    tml_table_free(cu);
    tml_table_free(ti);
}

static void test_errors(void **state) {
    (void)state;
    TmlTable *cu = table_from(CUSTOMERS);
    TmlTable *bad = table_from("customer_id,created_at\nc1,2025-03-01\nc2,yesterday\n");
    float *x;
    int d;
    char **names;
    TmlError err = {{0}};
    assert_int_equal(tml_history_features(NULL, cu, bad, &x, &d, &names, &err), -1);
    assert_non_null(strstr(err.msg, ":3: column \"created_at\" holds \"yesterday\", not an ISO date"));
    tml_table_free(bad);
    bad = table_from("customer,created_at\nc1,2025-03-01\n");
    assert_int_equal(tml_history_features(NULL, cu, bad, &x, &d, &names, &err), -1);
    assert_non_null(strstr(err.msg, "no column \"customer_id\""));
    assert_non_null(strstr(err.msg, "customer, created_at"));
    tml_table_free(bad);
    bad = table_from("customer_id,created_at,first_response_minutes\nc1,2025-03-01,soon\n");
    assert_int_equal(tml_history_features(NULL, cu, bad, &x, &d, &names, &err), -1);
    assert_non_null(strstr(err.msg, ":2: column \"first_response_minutes\" holds \"soon\""));
    TmlHistoryConfig cfg;
    tml_history_config_default(&cfg);
    cfg.cutoff = "March";
    assert_int_equal(tml_history_features(&cfg, cu, bad, &x, &d, &names, &err), -1);
    assert_non_null(strstr(err.msg, "cutoff \"March\" is not an ISO date"));
    tml_table_free(bad);
    tml_table_free(cu);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso_day), cmocka_unit_test(test_features_with_cutoff),
        cmocka_unit_test(test_features_latest_cutoff), cmocka_unit_test(test_optional_columns_absent),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
