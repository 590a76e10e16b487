/* test_real_data.c — the shipped configs on the real datasets (../shared/datasets or
 * $TICKETML_DATA), trained through the CLI on this CPU: each must keep the test-split score it
 * reached when the config was tuned (docs/performance.md). Skips when the data or binary is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* Trains config into a temp model and parses the "test: accuracy A  macro-F1 F [ROC-AUC R  PR-AUC P]"
 * line (pr may be NULL). */
static void train_and_score_pr(const char *config, double *acc, double *f1, double *auc, double *pr) {
    const char *bin = getenv("TICKETML") ? getenv("TICKETML") : "./ticketml";
    const char *data = getenv("TICKETML_DATA") ? getenv("TICKETML_DATA") : "../shared/datasets";
    if (access(bin, X_OK) != 0 || access(data, R_OK) != 0) {
        printf("real datasets (%s) or ticketml binary (%s) absent: real-data accuracy not checked\n", data, bin);
        skip();
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s train %s --out /tmp/ticketml-real-%d.h5 --quiet --device cpu 2>&1", bin, config,
             (int)getpid());
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[1024];
    *acc = *f1 = *auc = -1;
    if (pr) *pr = -1;
    while (fgets(line, sizeof line, p)) {
        fputs(line, stdout);
        if (!strncmp(line, "test:", 5)) {
            char *a = strstr(line, "accuracy "), *f = strstr(line, "macro-F1 "), *r = strstr(line, "ROC-AUC "),
                 *p = strstr(line, "PR-AUC ");
            if (a) *acc = atof(a + 9);
            if (f) *f1 = atof(f + 9);
            if (r) *auc = atof(r + 8);
            if (p && pr) *pr = atof(p + 7);
        }
    }
    int st = pclose(p);
    snprintf(cmd, sizeof cmd, "/tmp/ticketml-real-%d.h5", (int)getpid());
    unlink(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void train_and_score(const char *config, double *acc, double *f1, double *auc) {
    train_and_score_pr(config, acc, f1, auc, NULL);
}

static void test_intent_banking77(void **state) {
    (void)state;
    double acc, f1, auc;
    train_and_score("configs/intent-banking77.ini", &acc, &f1, &auc);
    assert_true(acc >= 0.900); /* issue target; TF-IDF + logistic regression reaches 0.895 */
}

static void test_sentiment_airline(void **state) {
    (void)state;
    double acc, f1, auc;
    train_and_score("configs/sentiment-airline.ini", &acc, &f1, &auc);
    assert_true(acc >= 0.812 && f1 >= 0.750); /* issue targets; fastText autotuned 0.809 / 0.746 */
}

static void test_sentiment_waimai(void **state) {
    (void)state;
    double acc, f1, auc;
    train_and_score("configs/sentiment-waimai.ini", &acc, &f1, &auc);
    /* reached 0.8999; the issue asks 0.905 (open). Guard against regressions below fastText (0.893). */
    assert_true(acc >= 0.895);
}

static void test_intent_smp2017(void **state) {
    (void)state;
    double acc, f1, auc;
    train_and_score("configs/intent-smp2017.ini", &acc, &f1, &auc);
    /* reached 0.8726 / macro-F1 0.8748; the anchor (TF-IDF char 1-3 grams + logistic regression,
     * punctuation kept) is 0.913 (open). Guard against regressions. */
    assert_true(acc >= 0.865 && f1 >= 0.865);
}

static void test_churn_telco(void **state) {
    (void)state;
    double acc, f1, auc;
    train_and_score("configs/churn-telco.ini", &acc, &f1, &auc);
    /* with tenure buckets: reached 0.844 (0.835 without; scikit-learn's logistic regression 0.836);
     * the issue asks 0.845 (open). */
    assert_true(auc >= 0.840);
}

static void test_churn_bigml_gbdt(void **state) {
    (void)state;
    double acc, f1, auc, pr;
    train_and_score_pr("configs/churn-bigml-gbdt.ini", &acc, &f1, &auc, &pr);
    /* issue targets (scikit-learn's HistGradientBoosting: 0.918 / 0.864); reached 0.932 / 0.910 */
    assert_true(auc >= 0.925 && pr >= 0.87);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intent_banking77),
        cmocka_unit_test(test_sentiment_airline),
        cmocka_unit_test(test_sentiment_waimai),
        cmocka_unit_test(test_intent_smp2017),
        cmocka_unit_test(test_churn_telco),
        cmocka_unit_test(test_churn_bigml_gbdt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
