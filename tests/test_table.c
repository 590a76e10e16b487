/* test_table.c — CSV (RFC 4180) and JSONL readers: tricky quoting, line ends, BOM, streaming across
 * the 1 MiB chunk boundary, every error message, and the four real datasets' exact row counts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "data/table.h"

/* Writes n bytes to a fresh temp file with the given suffix; returns its malloc'd path. */
static char *write_tmp(const char *suffix, const char *data, size_t n) {
    char *path = malloc(256);
    snprintf(path, 256, "/tmp/tml_test_table_XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
    return path;
}

/* Reads text (as a file with suffix) into a table; asserts success. */
static TmlTable *read_str(const char *suffix, const char *text) {
    char *p = write_tmp(suffix, text, strlen(text));
    TmlError err = {{0}};
    TmlTable *t = tml_table_read(p, TML_FORMAT_AUTO, &err);
    if (!t) fprintf(stderr, "unexpected error: %s\n", err.msg);
    assert_non_null(t);
    unlink(p);
    free(p);
    return t;
}

/* Reads text expecting failure; checks the message contains every given fragment. */
static void expect_error(const char *suffix, const char *text, size_t n, const char *frag1, const char *frag2) {
    char *p = write_tmp(suffix, text, n);
    TmlError err = {{0}};
    TmlTable *t = tml_table_read(p, TML_FORMAT_AUTO, &err);
    if (t) fprintf(stderr, "expected an error for %s\n", p);
    assert_null(t);
    if (!strstr(err.msg, frag1) || (frag2 && !strstr(err.msg, frag2)))
        fprintf(stderr, "message: %s\nwanted: %s / %s\n", err.msg, frag1, frag2 ? frag2 : "");
    assert_non_null(strstr(err.msg, frag1));
    if (frag2) assert_non_null(strstr(err.msg, frag2));
    assert_non_null(strstr(err.msg, p)); /* every message names the file */
    unlink(p);
    free(p);
}

static void test_csv_quoting(void **state) {
    (void)state;
    TmlTable *t = read_str(".csv",
                           "id,text,label\n"
                           "1,\"hello, world\",a\n"
                           "2,\"she said \"\"hi\"\"\",b\n"
                           "3,\"two\r\nlines\",c\n"
                           "4,,\n"
                           "5,\"\",\"\"\"\"\n"
                           "6,plain \"inner\" quote,d");
    assert_int_equal(t->n_rows, 6);
    assert_int_equal(t->n_cols, 3);
    assert_string_equal(t->col_names[1], "text");
    assert_string_equal(tml_table_cell(t, 0, 1), "hello, world");
    assert_string_equal(tml_table_cell(t, 1, 1), "she said \"hi\"");
    assert_string_equal(tml_table_cell(t, 2, 1), "two\r\nlines");
    assert_string_equal(tml_table_cell(t, 3, 1), "");
    assert_string_equal(tml_table_cell(t, 3, 2), "");
    assert_string_equal(tml_table_cell(t, 4, 1), "");
    assert_string_equal(tml_table_cell(t, 4, 2), "\"");
    assert_string_equal(tml_table_cell(t, 5, 1), "plain \"inner\" quote"); /* no final newline */
    assert_string_equal(tml_table_cell(t, 5, 2), "d");
    /* record start lines: the embedded line break pushes later records down one line */
    assert_int_equal(t->lines[0], 2);
    assert_int_equal(t->lines[2], 4);
    assert_int_equal(t->lines[3], 6);
    assert_int_equal(t->lines[5], 8);
    tml_table_free(t);
}

static void test_csv_line_ends_bom_blank(void **state) {
    (void)state;
    TmlTable *t = read_str(".csv", "\xEF\xBB\xBF" "a,b\r\n1,2\r\n\r\n3,4\r\n");
    assert_string_equal(t->col_names[0], "a"); /* BOM skipped */
    assert_int_equal(t->n_rows, 2);            /* blank line skipped */
    assert_string_equal(tml_table_cell(t, 1, 0), "3");
    assert_string_equal(tml_table_cell(t, 1, 1), "4"); /* no stray \r */
    assert_int_equal(t->lines[1], 4);
    tml_table_free(t);
    /* lone CR line ends (old Mac) and a trailing empty field */
    t = read_str(".csv", "a,b\r1,\r");
    assert_int_equal(t->n_rows, 1);
    assert_string_equal(tml_table_cell(t, 0, 1), "");
    tml_table_free(t);
    /* single column with a quoted empty value */
    t = read_str(".txt", "text\n\"\"\nx\n");
    assert_int_equal(t->n_rows, 2);
    assert_string_equal(tml_table_cell(t, 0, 0), "");
    tml_table_free(t);
}

static void test_csv_errors(void **state) {
    (void)state;
    const char *s1 = "a,b,c,d\n1,2,3,4\n1,2,3,4,5\n";
    expect_error(".csv", s1, strlen(s1), ":3: 5 fields, header has 4", "quote fields that contain commas");
    const char *s2 = "a,b\n1,2\n3,\"never closed\n4,5\n6,7\n";
    expect_error(".csv", s2, strlen(s2), ":3: unterminated quoted field starting here", "close the quote");
    const char *s3 = "a,b\n1,\"x\"y\n";
    expect_error(".csv", s3, strlen(s3), ":2: text after the closing quote of field 2", NULL);
    expect_error(".csv", "", 0, "empty file", "header row");
    expect_error(".csv", "\n\r\n", 3, "empty file", NULL);
    const char *s4 = "a,b\n";
    expect_error(".csv", s4, strlen(s4), "no records after the header", NULL);
    const char s5[] = "a,b\n1,\0002\n";
    expect_error(".csv", s5, sizeof s5 - 1, ":2: NUL byte", "UTF-8");
    const char *s6 = "a,b,a\n1,2,3\n";
    expect_error(".csv", s6, strlen(s6), "column \"a\" appears twice", "columns 1 and 3");
    const char *s7 = "a,b\n1\n";
    expect_error(".csv", s7, strlen(s7), ":2: 1 field, header has 2", NULL);
    TmlError err = {{0}};
    assert_null(tml_table_read("/nonexistent/dir/x.csv", TML_FORMAT_AUTO, &err));
    assert_non_null(strstr(err.msg, "/nonexistent/dir/x.csv: cannot open"));
}

static void test_missing_column(void **state) {
    (void)state;
    TmlTable *t = read_str(".csv", "text,category\nhi,x\n");
    TmlError err = {{0}};
    assert_int_equal(tml_table_col(t, "category", &err), 1);
    assert_int_equal(tml_table_col(t, "label", &err), -1);
    assert_non_null(strstr(err.msg, "no column \"label\""));
    assert_non_null(strstr(err.msg, "the file has: text, category"));
    assert_int_equal(tml_table_col(t, "label", NULL), -1);
    tml_table_free(t);
}

/* A quoted field and a CRLF straddle the 1 MiB read-chunk boundary; 2.5 MiB streams in 3 chunks. */
static void test_csv_chunk_boundary(void **state) {
    (void)state;
    size_t cap = 3u << 20, n = 0;
    char *buf = malloc(cap);
    n += (size_t)sprintf(buf + n, "k,v\r\n");
    int rows = 0;
    while (n < (5u << 19)) {
        /* varying lengths so boundaries fall inside quotes, doubled quotes and line ends */
        int len = 1 + (rows * 37) % 300;
        n += (size_t)sprintf(buf + n, "%d,\"", rows);
        for (int i = 0; i < len; i++) {
            char ch = (i % 50 == 7) ? '"' : (i % 61 == 3) ? '\n' : 'x';
            buf[n++] = ch;
            if (ch == '"') buf[n++] = '"'; /* doubled inside the quoted field */
        }
        n += (size_t)sprintf(buf + n, "\"\r\n");
        rows++;
    }
    char *p = write_tmp(".csv", buf, n);
    TmlError err = {{0}};
    TmlTable *t = tml_table_read(p, TML_FORMAT_CSV, &err);
    if (!t) fprintf(stderr, "%s\n", err.msg);
    assert_non_null(t);
    assert_int_equal(t->n_rows, rows);
    for (int r = 0; r < rows; r++) {
        int len = 1 + (r * 37) % 300;
        const char *v = tml_table_cell(t, r, 1);
        assert_int_equal((int)strlen(v), len);
        for (int i = 0; i < len; i++) assert_int_equal(v[i], (i % 50 == 7) ? '"' : (i % 61 == 3) ? '\n' : 'x');
        assert_int_equal(atoi(tml_table_cell(t, r, 0)), r);
    }
    tml_table_free(t);
    unlink(p);
    free(p);
    free(buf);
}

static void test_streaming_reader(void **state) {
    (void)state;
    const char *s = "a,b\n1,\"x\ny\"\n2,z\n";
    char *p = write_tmp(".csv", s, strlen(s));
    TmlError err = {{0}};
    TmlReader *r = tml_reader_open(p, TML_FORMAT_AUTO, &err);
    assert_non_null(r);
    assert_int_equal(tml_reader_n_cols(r), 2);
    assert_string_equal(tml_reader_col_name(r, 1), "b");
    assert_int_equal(tml_reader_find_col(r, "b"), 1);
    assert_int_equal(tml_reader_find_col(r, "c"), -1);
    assert_string_equal(tml_reader_path(r), p);
    const char *const *f;
    assert_int_equal(tml_reader_next(r, &f, &err), 1);
    assert_string_equal(f[1], "x\ny");
    assert_int_equal(tml_reader_line(r), 2);
    assert_int_equal(tml_reader_next(r, &f, &err), 1);
    assert_string_equal(f[0], "2");
    assert_int_equal(tml_reader_line(r), 4);
    assert_int_equal(tml_reader_next(r, &f, &err), 0);
    tml_reader_close(r);
    unlink(p);
    free(p);
}

static void test_jsonl(void **state) {
    (void)state;
    TmlTable *t = read_str(".jsonl",
                           "{\"id\": 7, \"text\": \"caf\\u00e9, \\\"ok\\\"\", \"score\": 0.1, \"vip\": true, \"x\": null}\r\n"
                           "\n"
                           "{\"text\": \"second\", \"id\": -3, \"score\": 1e300, \"vip\": false}\n"
                           "   \n"
                           "{\"id\": 12345678901234, \"score\": 2.5, \"text\": \"\\u4e2d\\u6587\"}");
    assert_int_equal(t->n_cols, 5);
    assert_string_equal(t->col_names[0], "id"); /* first object's key order */
    assert_string_equal(t->col_names[4], "x");
    assert_int_equal(t->n_rows, 3);
    assert_string_equal(tml_table_cell(t, 0, 0), "7");
    assert_string_equal(tml_table_cell(t, 0, 1), "caf\xC3\xA9, \"ok\"");
    assert_string_equal(tml_table_cell(t, 0, 2), "0.1");
    assert_string_equal(tml_table_cell(t, 0, 3), "true");
    assert_string_equal(tml_table_cell(t, 0, 4), "");
    assert_string_equal(tml_table_cell(t, 1, 0), "-3");
    assert_string_equal(tml_table_cell(t, 1, 2), "1e+300");
    assert_string_equal(tml_table_cell(t, 1, 3), "false");
    assert_string_equal(tml_table_cell(t, 1, 4), ""); /* omitted key -> blank */
    assert_string_equal(tml_table_cell(t, 2, 0), "12345678901234");
    assert_string_equal(tml_table_cell(t, 2, 1), "\xE4\xB8\xAD\xE6\x96\x87");
    assert_string_equal(tml_table_cell(t, 2, 3), "");
    assert_int_equal(t->lines[0], 1);
    assert_int_equal(t->lines[1], 3);
    assert_int_equal(t->lines[2], 5);
    tml_table_free(t);
}

/* found by fuzz_jsonl: a null first field appended zero bytes to a not-yet-allocated buffer */
static void test_jsonl_null_first(void **state) {
    (void)state;
    TmlTable *t = read_str(".jsonl", "{\"b\": null}");
    assert_int_equal(t->n_rows, 1);
    assert_string_equal(tml_table_cell(t, 0, 0), "");
    tml_table_free(t);
}

static void test_jsonl_errors(void **state) {
    (void)state;
    const char *s1 = "{\"a\": 1}\n{\"a\": {\"b\": 2}}\n";
    expect_error(".jsonl", s1, strlen(s1), ":2: field \"a\" holds a nested object", "flatten");
    const char *s2 = "{\"a\": 1}\n{\"a\": [1]}\n";
    expect_error(".jsonl", s2, strlen(s2), ":2: field \"a\" holds a nested array", NULL);
    const char *s3 = "{\"a\": 1}\n\n{\"a\": 1,}\n";
    expect_error(".jsonl", s3, strlen(s3), ":3: invalid JSON", "one complete JSON object");
    const char *s4 = "{\"a\": 1}\n{\"a\": 2, \"b\": 3}\n";
    expect_error(".jsonl", s4, strlen(s4), ":2: key \"b\" is not among the columns", NULL);
    const char *s5 = "[1, 2]\n";
    expect_error(".jsonl", s5, strlen(s5), ":1: line is a JSON array", NULL);
    expect_error(".jsonl", "\n  \n", 4, "empty file", NULL);
    const char *s6 = "{\"a\": 1, \"a\": 2}\n";
    expect_error(".jsonl", s6, strlen(s6), ":1: invalid JSON", "duplicate");
    const char *s7 = "{}\n";
    expect_error(".jsonl", s7, strlen(s7), "first object has no keys", NULL);
    const char *s8 = "{\"a\": \"\xff\"}\n";
    expect_error(".jsonl", s8, strlen(s8), ":1: invalid JSON", NULL);
    const char *s9 = "{\"a\": \"x\"}\n{\"a\": \"y\"\n";
    expect_error(".json", s9, strlen(s9), ":2: invalid JSON", NULL);
}

/* ---- real datasets --------------------------------------------------------------------------- */

static const char *data_dir(void) {
    const char *d = getenv("TICKETML_DATA");
    return d && *d ? d : "../shared/datasets";
}

/* Reads DATA/rel, or returns NULL after printing why the test skips. */
static TmlTable *read_dataset(const char *rel) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", data_dir(), rel);
    if (access(path, R_OK) != 0) {
        printf("skip: %s not found (set TICKETML_DATA to the datasets folder)\n", path);
        return NULL;
    }
    TmlError err = {{0}};
    TmlTable *t = tml_table_read(path, TML_FORMAT_AUTO, &err);
    if (!t) fprintf(stderr, "%s\n", err.msg);
    assert_non_null(t);
    return t;
}

static int count_blank(const TmlTable *t, int col) {
    int n = 0;
    for (int64_t r = 0; r < t->n_rows; r++) {
        const char *s = tml_table_cell(t, r, col);
        while (*s == ' ') s++;
        n += *s == 0;
    }
    return n;
}

static void test_real_banking77(void **state) {
    (void)state;
    TmlTable *t = read_dataset("banking77/train.csv");
    if (!t) skip();
    assert_int_equal(t->n_rows, 10003);
    assert_int_equal(t->n_cols, 2);
    assert_string_equal(t->col_names[1], "category");
    assert_string_equal(tml_table_cell(t, 0, 0), "I am still waiting on my card?");
    assert_string_equal(tml_table_cell(t, 0, 1), "card_arrival"); /* CRLF: no trailing \r */
    /* python3 csv: row 1290 is "\nI can't seem to be able to use my card\n\n\n" (LF inside a CRLF file) */
    assert_string_equal(tml_table_cell(t, 1290, 0), "\nI can't seem to be able to use my card\n\n\n");
    assert_int_equal(t->lines[t->n_rows - 1], 10017); /* `wc -l` = 10017 */
    for (int64_t r = 0; r < t->n_rows; r++) assert_null(strchr(tml_table_cell(t, r, 1), '\r'));
    tml_table_free(t);
    t = read_dataset("banking77/test.csv");
    assert_non_null(t);
    assert_int_equal(t->n_rows, 3080);
    tml_table_free(t);
}

static void test_real_airline(void **state) {
    (void)state;
    TmlTable *t = read_dataset("airline_sentiment/train.csv");
    if (!t) skip();
    assert_int_equal(t->n_rows, 11712);
    assert_int_equal(t->n_cols, 5);
    assert_int_equal(tml_table_col(t, "airline_sentiment", NULL), 3);
    int multiline = 0;
    for (int64_t r = 0; r < t->n_rows; r++) multiline += strchr(tml_table_cell(t, r, 2), '\n') != NULL;
    assert_int_equal(multiline, 110); /* python3 csv.reader agrees */
    assert_true(strncmp(tml_table_cell(t, 14, 2), "@AmericanAir\n Your response", 27) == 0);
    assert_string_equal(tml_table_cell(t, t->n_rows - 1, 0), "568962468766212097");
    assert_string_equal(tml_table_cell(t, t->n_rows - 1, 4), "Customer Service Issue");
    assert_int_equal(t->lines[t->n_rows - 1], 11880); /* `wc -l` = 11880 */
    tml_table_free(t);
    t = read_dataset("airline_sentiment/test.csv");
    assert_non_null(t);
    assert_int_equal(t->n_rows, 2928);
    tml_table_free(t);
}

static void test_real_waimai(void **state) {
    (void)state;
    TmlTable *t = read_dataset("waimai_10k/train.csv");
    if (!t) skip();
    assert_int_equal(t->n_rows, 9589);
    assert_string_equal(t->col_names[0], "label");
    assert_string_equal(t->col_names[1], "review");
    assert_string_equal(tml_table_cell(t, 0, 1),
                        "\xE9\x80\x81\xE6\x9D\xA5\xE7\x9A\x84\xE7\x9E\xAC\xE9\x97\xB4" /* 送来的瞬间 */
                        "\xE6\x88\x91\xE5\xB0\xB1\xE4\xB8\x8D\xE6\x83\xB3\xE5\x90\x83\xE4\xBA\x86," /* 我就不想吃了, */
                        "\xE9\x80\x81\xE9\xA4\x90\xE5\x91\x98\xE8\xBA\xAB\xE4\xB8\x8A\xE7\x9A\x84\xE5\x91\xB3\xE9\x81\x93"
                        "\xE5\xA4\xAA\xE5\xA4\xA7\xE4\xBA\x86,\xE5\x94\x89,\xE6\x88\x91\xE9\x83\xBD\xE4\xB8\x8D\xE5\xA5\xBD"
                        "\xE6\x84\x8F\xE6\x80\x9D\xE8\xAF\xB4");
    int ones = 0;
    for (int64_t r = 0; r < t->n_rows; r++) ones += strcmp(tml_table_cell(t, r, 0), "1") == 0;
    assert_int_equal(ones, 3200); /* python3: Counter({'0': 6389, '1': 3200}) */
    tml_table_free(t);
    t = read_dataset("waimai_10k/test.csv");
    assert_non_null(t);
    assert_int_equal(t->n_rows, 2398);
    tml_table_free(t);
}

static void test_real_telco(void **state) {
    (void)state;
    TmlTable *t = read_dataset("telco_churn/train.csv");
    if (!t) skip();
    assert_int_equal(t->n_rows, 5634);
    assert_int_equal(t->n_cols, 21);
    int tc = tml_table_col(t, "TotalCharges", NULL);
    assert_int_equal(tc, 19);
    /* TotalCharges is " " (one space) for new customers: 9 in train + 2 in test = the 11 of the full data */
    assert_int_equal(count_blank(t, tc), 9);
    assert_string_equal(tml_table_cell(t, 0, 0), "0305-SQECB");
    assert_string_equal(tml_table_cell(t, 0, 15), "One year");
    tml_table_free(t);
    t = read_dataset("telco_churn/test.csv");
    assert_non_null(t);
    assert_int_equal(t->n_rows, 1409);
    assert_int_equal(count_blank(t, 19), 2);
    tml_table_free(t);
}

/* A header of a million columns parses in about a second (the duplicate check was quadratic: 40k
 * columns took 1.6 s, a million about 17 minutes); a duplicate at the far end is still found and
 * both columns named; lookups by name are hashed too, and a wide JSONL object likewise. */
static void test_wide_header(void **state) {
    (void)state;
    enum { N = 1000000 };
    size_t cap = (size_t)N * 16 + 64, n = 0;
    char *buf = malloc(cap);
    for (int c = 0; c < N; c++) n += (size_t)snprintf(buf + n, cap - n, "%scol%d", c ? "," : "", c);
    n += (size_t)snprintf(buf + n, cap - n, "\n");
    for (int c = 0; c < N; c++) n += (size_t)snprintf(buf + n, cap - n, "%s%d", c ? "," : "", c % 10);
    n += (size_t)snprintf(buf + n, cap - n, "\n");
    char *p = write_tmp(".csv", buf, n);
    TmlError err = {{0}};
    double t0 = (double)clock() / CLOCKS_PER_SEC;
    TmlTable *t = tml_table_read(p, TML_FORMAT_AUTO, &err);
    if (!t) fail_msg("%s", err.msg);
    assert_int_equal(t->n_cols, N);
    for (int c = 0; c < N; c += 997) {
        char name[32];
        snprintf(name, sizeof name, "col%d", c);
        assert_int_equal(tml_table_col(t, name, &err), c);
    }
    assert_int_equal(tml_table_col(t, "col999999", &err), N - 1);
    assert_int_equal(tml_table_col(t, "nope", NULL), -1);
    printf("  1M-column CSV read and 1004 lookups in %.2f s of CPU\n", (double)clock() / CLOCKS_PER_SEC - t0);
    tml_table_free(t);
    unlink(p);
    free(p);
    /* the last column repeats column 500000's name */
    char *last = strrchr(buf, '\n');
    *last = '\0';
    last = strrchr(buf, '\n');
    char *comma = last;
    while (*--comma != ',') {
    }
    size_t head = (size_t)(comma - buf) + 1;
    n = head + (size_t)snprintf(buf + head, cap - head, "col500000\n0\n");
    expect_error(".csv", buf, n, "column \"col500000\" appears twice", "(columns 500001 and 1000000)");
    /* JSONL: every key of every line is checked against the first line's: hashed */
    size_t jn = 0;
    for (int line = 0; line < 3; line++) {
        jn += (size_t)snprintf(buf + jn, cap - jn, "{");
        for (int c = 0; c < 100000; c++) jn += (size_t)snprintf(buf + jn, cap - jn, "%s\"k%d\": %d", c ? ", " : "", c, line);
        jn += (size_t)snprintf(buf + jn, cap - jn, "}\n");
    }
    p = write_tmp(".jsonl", buf, jn);
    t = tml_table_read(p, TML_FORMAT_AUTO, &err);
    if (!t) fail_msg("%s", err.msg);
    assert_int_equal(t->n_cols, 100000);
    assert_int_equal(t->n_rows, 3);
    assert_string_equal(tml_table_cell(t, 2, tml_table_col(t, "k99999", &err)), "2");
    tml_table_free(t);
    unlink(p);
    free(p);
    free(buf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_quoting),       cmocka_unit_test(test_csv_line_ends_bom_blank),
        cmocka_unit_test(test_csv_errors),        cmocka_unit_test(test_missing_column),
        cmocka_unit_test(test_csv_chunk_boundary), cmocka_unit_test(test_streaming_reader),
        cmocka_unit_test(test_jsonl),             cmocka_unit_test(test_jsonl_null_first),
        cmocka_unit_test(test_jsonl_errors),      cmocka_unit_test(test_wide_header),
        cmocka_unit_test(test_real_banking77),    cmocka_unit_test(test_real_airline),
        cmocka_unit_test(test_real_waimai),       cmocka_unit_test(test_real_telco),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
