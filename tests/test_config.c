/* test_config.c — INI configs: parsing with line numbers, --set overrides, typed getters and their
 * errors, unknown-key detection with "did you mean", and the text round trip kept in model files. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/config.h"

static const char *const INI =
    "; churn model\n"
    "[data]\n"
    "kind = tabular\n"
    "train = ${TICKETML_DATA}/telco_churn/train.csv   ; inline comment\n"
    "\n"
    "[train]\n"
    "epochs = 20\r\n"
    "lr = 0.05\n"
    "early_stop = yes\n"
    "bad_int = ten\n"
    "[data]\n"
    "seed = 7\n";

static void test_parse_and_get(void **state) {
    (void)state;
    TmlError err = {{0}};
    TmlConfig *c = tml_config_parse(INI, "churn.ini", &err);
    assert_non_null(c);
    assert_int_equal(c->n, 7);
    assert_string_equal(c->entries[0].key, "data.kind");
    assert_int_equal(c->entries[0].line, 3);
    assert_string_equal(tml_config_str(c, "data.train", NULL), "${TICKETML_DATA}/telco_churn/train.csv");
    assert_string_equal(tml_config_str(c, "data.missing", "dflt"), "dflt");
    int64_t i;
    assert_int_equal(tml_config_int(c, "train.epochs", 5, &i, &err), 0);
    assert_int_equal(i, 20);
    assert_int_equal(tml_config_int(c, "train.batch", 64, &i, &err), 0);
    assert_int_equal(i, 64);
    double d;
    assert_int_equal(tml_config_double(c, "train.lr", 0.1, &d, &err), 0);
    assert_true(d == 0.05);
    int b;
    assert_int_equal(tml_config_bool(c, "train.early_stop", 0, &b, &err), 0);
    assert_int_equal(b, 1);
    assert_int_equal(tml_config_int(c, "train.bad_int", 1, &i, &err), -1);
    assert_non_null(strstr(err.msg, "churn.ini:10: train.bad_int = \"ten\" is not an integer"));
    assert_int_equal(tml_config_double(c, "data.kind", 1, &d, &err), -1);
    assert_non_null(strstr(err.msg, "churn.ini:3: data.kind = \"tabular\" is not a finite number"));
    assert_int_equal(tml_config_bool(c, "train.lr", 1, &b, &err), -1);
    assert_non_null(strstr(err.msg, "churn.ini:8: train.lr = \"0.05\" is not a boolean"));
    assert_int_equal(c->entries[6].line, 12);
    tml_config_free(c);
}

static void test_set(void **state) {
    (void)state;
    TmlError err = {{0}};
    TmlConfig *c = tml_config_parse(INI, "churn.ini", &err);
    assert_non_null(c);
    assert_int_equal(tml_config_set(c, "train.epochs = 3", &err), 0);
    assert_int_equal(tml_config_set(c, "model.hidden=64", &err), 0);
    int64_t i;
    assert_int_equal(tml_config_int(c, "train.epochs", 5, &i, &err), 0);
    assert_int_equal(i, 3);
    assert_int_equal(tml_config_int(c, "model.hidden", 5, &i, &err), 0);
    assert_int_equal(i, 64);
    assert_int_equal(tml_config_set(c, "train.epochs=x", &err), 0);
    assert_int_equal(tml_config_int(c, "train.epochs", 5, &i, &err), -1);
    assert_non_null(strstr(err.msg, "--set train.epochs=x is not an integer"));
    assert_int_equal(tml_config_set(c, "epochs=3", &err), -1);
    assert_non_null(strstr(err.msg, "section.key"));
    assert_int_equal(tml_config_set(c, "train.epochs", &err), -1);
    assert_int_equal(tml_config_set(c, ".x=1", &err), -1);
    tml_config_free(c);
}

static void test_check_keys(void **state) {
    (void)state;
    TmlError err = {{0}};
    TmlConfig *c = tml_config_parse("[data]\nkind = text\n[train]\nepoch = 3\n", "x.ini", &err);
    assert_non_null(c);
    const char *const known[] = {"data.kind", "data.train", "train.epochs", "train.lr", "model.*", NULL};
    assert_int_equal(tml_config_check_keys(c, known, &err), -1);
    assert_non_null(strstr(err.msg, "x.ini:4: unknown key \"train.epoch\"; did you mean \"train.epochs\"?"));
    tml_config_free(c);
    c = tml_config_parse("[model]\nanything = 1\n[data]\nkind = text\n", "y.ini", &err);
    assert_int_equal(tml_config_check_keys(c, known, &err), 0);
    assert_int_equal(tml_config_set(c, "data.zzzzzzzzzzz=1", &err), 0);
    assert_int_equal(tml_config_check_keys(c, known, &err), -1);
    assert_non_null(strstr(err.msg, "--set data.zzzzzzzzzzz: unknown key"));
    assert_non_null(strstr(err.msg, "known keys: data.kind, data.train"));
    tml_config_free(c);
}

static void test_errors(void **state) {
    (void)state;
    TmlError err = {{0}};
    assert_null(tml_config_parse("[data]\nkind = text\nnot a key value line\n", "e.ini", &err));
    assert_non_null(strstr(err.msg, "e.ini:3: not an INI line"));
    assert_null(tml_config_parse("[data]\nkind = text\nkind = tabular\n", "e.ini", &err));
    assert_non_null(strstr(err.msg, "e.ini:3: data.kind is set twice (lines 2 and 3)"));
    assert_null(tml_config_parse("[data]\nkind = text\n  seed = 3\n", "e.ini", &err));
    assert_non_null(strstr(err.msg, "don't indent keys"));
    assert_null(tml_config_parse("top = 1\n", "e.ini", &err));
    assert_non_null(strstr(err.msg, "e.ini:1: key \"top\" is outside any section"));
    char long_ini[400] = "[data]\ntrain = ";
    memset(long_ini + strlen(long_ini), 'x', 250);
    assert_null(tml_config_parse(long_ini, "e.ini", &err));
    assert_non_null(strstr(err.msg, "e.ini:2: line longer than"));
    assert_null(tml_config_load("/nonexistent.ini", &err));
    assert_non_null(strstr(err.msg, "/nonexistent.ini: cannot open config"));
}

static void test_round_trip_and_load(void **state) {
    (void)state;
    TmlError err = {{0}};
    TmlConfig *c = tml_config_parse(INI, "churn.ini", &err);
    assert_int_equal(tml_config_set(c, "model.hidden=64", &err), 0);
    char *s = tml_config_to_string(c);
    assert_non_null(s);
    /* sections in first-seen order; data.seed joins its section */
    assert_non_null(strstr(s, "[data]\nkind = tabular\ntrain = ${TICKETML_DATA}/telco_churn/train.csv\nseed = 7\n"));
    assert_true(strstr(s, "[data]") < strstr(s, "[train]") && strstr(s, "[train]") < strstr(s, "[model]"));
    char path[] = "/tmp/tml_test_config_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
    close(fd);
    TmlConfig *c2 = tml_config_load(path, &err);
    unlink(path);
    assert_non_null(c2);
    assert_int_equal(c2->n, c->n);
    for (int i = 0; i < c->n; i++)
        assert_string_equal(tml_config_str(c2, c->entries[i].key, "?"), c->entries[i].value);
    assert_string_equal(c2->path, path);
    free(s);
    tml_config_free(c);
    tml_config_free(c2);
}

/* What the config fuzzer found (tests/fuzz_config.c): configs that parsed but did not read back
 * the same from the text a model file stores, so the model could not be loaded again. */
static void test_fuzz_findings(void **state) {
    (void)state;
    TmlError err = {{0}};
    /* a value that starts with ';' (inih reads "k = ;x" as an empty value and a comment) */
    TmlConfig *c = tml_config_parse("[train]\nlr =;0.5\nepochs = 3\n", "a.ini", &err);
    assert_non_null(c);
    assert_string_equal(tml_config_str(c, "train.lr", NULL), ";0.5");
    char *text = tml_config_to_string(c);
    TmlConfig *back = tml_config_parse(text, "back.ini", &err);
    assert_non_null(back);
    assert_string_equal(tml_config_str(back, "train.lr", NULL), ";0.5");
    tml_config_free(back);
    free(text);
    /* --set: a value too long for a line of the stored text, a line break, a key that is no word */
    char longv[300];
    memset(longv, 'x', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    char set[400];
    snprintf(set, sizeof set, "data.train=%s", longv);
    assert_int_equal(tml_config_set(c, set, &err), -1);
    assert_non_null(strstr(err.msg, "longer than a config line may be"));
    assert_int_equal(tml_config_set(c, "train.lr=1\n[x]", &err), -1);
    assert_int_equal(tml_config_set(c, "train.;lr=1", &err), -1);
    assert_non_null(strstr(err.msg, "section and key names are words"));
    tml_config_free(c);
    /* names the text could not give back: an empty key, a section with a dot */
    assert_null(tml_config_parse("[data]\nkind = text\n= 2\n", "b.ini", &err));
    assert_non_null(strstr(err.msg, "b.ini:3: a key name is missing"));
    assert_null(tml_config_parse("[.data]\nkind = text\n", "c.ini", &err));
    assert_non_null(strstr(err.msg, "c.ini:2: [.data] kind: section and key names are words"));
    /* a 199-character last line without its newline parsed, and written back with one was "too
     * long"; with and without the newline it now reads the same, and one more character is refused */
    char line[260], doc[300];
    memset(line, 'v', sizeof line);
    memcpy(line, "train = ", 8);
    for (int nl = 0; nl < 2; nl++) {
        snprintf(doc, sizeof doc, "[data]\n%.199s%s", line, nl ? "\n" : "");
        c = tml_config_parse(doc, "d.ini", &err);
        if (!c) fail_msg("%s", err.msg);
        assert_int_equal(strlen(tml_config_str(c, "data.train", "")), 191);
        text = tml_config_to_string(c);
        back = tml_config_parse(text, "back.ini", &err);
        if (!back) fail_msg("%s", err.msg);
        assert_string_equal(tml_config_str(back, "data.train", ""), tml_config_str(c, "data.train", ""));
        tml_config_free(back), tml_config_free(c), free(text);
    }
    snprintf(doc, sizeof doc, "[data]\n%.200s\n", line);
    assert_null(tml_config_parse(doc, "e.ini", &err));
    assert_non_null(strstr(err.msg, "e.ini:2: line longer than 199 characters"));
    /* an indented line after a key of more than 49 characters: inih gave it the key cut to 49, a
     * second key; long names are refused */
    assert_null(tml_config_parse("[train]\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa = 1\n  more\n", "f.ini", &err));
    assert_non_null(strstr(err.msg, "f.ini:2: the key name \"aaaa"));
    assert_non_null(strstr(err.msg, "is longer than 48 characters"));
    c = tml_config_parse("[train]\nlr = 1\n", "g.ini", &err);
    assert_int_equal(tml_config_set(c, "train.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb=1", &err), -1);
    assert_non_null(strstr(err.msg, "longer than 48 characters"));
    tml_config_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_get), cmocka_unit_test(test_set), cmocka_unit_test(test_check_keys),
        cmocka_unit_test(test_errors), cmocka_unit_test(test_round_trip_and_load), cmocka_unit_test(test_fuzz_findings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
