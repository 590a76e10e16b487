/* test_synth.c — the corpus generator (synth/synth.h) through its C API: byte-identical output per
 * seed, schema and counts, a strict RFC 4180 check of every record, label coverage, language
 * shares, telco-like customers, and churn that really depends on ticket history. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "synth/synth.h"

#define N_TICKETS 20000
#define N_CUSTOMERS 5000

/* ---- a tiny strict CSV reader: LF records, quotes only around whole fields ------------------- */
typedef struct Csv {
    int n_cols;
    int64_t n_rows;  /* data rows, header excluded */
    char **cells;    /* ((n_rows + 1) * n_cols), row 0 = header; each malloc'd */
} Csv;

static void csv_free(Csv *c) {
    if (!c->cells) return;
    for (int64_t i = 0; i < (c->n_rows + 1) * c->n_cols; i++) free(c->cells[i]);
    free(c->cells);
    memset(c, 0, sizeof *c);
}

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)sz + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)sz, f), (size_t)sz);
    fclose(f);
    buf[sz] = 0;
    *n = (size_t)sz;
    return buf;
}

/* 1 if s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
static int utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 9;
        if (k == 9 || i + k >= n) return 0;
        if (k == 1 && c < 0xC2) return 0;
        for (size_t j = 1; j <= k; j++)
            if ((s[i + j] & 0xC0) != 0x80) return 0;
        if (k == 2 && ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0))) return 0;
        i += k + 1;
    }
    return 1;
}

/* Parses path strictly; fails the test (with the line) on any malformed record. */
static void csv_read(const char *path, Csv *out) {
    size_t n;
    char *buf = slurp(path, &n);
    assert_non_null(buf);
    assert_true(utf8_valid((const unsigned char *)buf, n));
    assert_true(n > 0 && buf[n - 1] == '\n'); /* every record ends with LF */
    memset(out, 0, sizeof *out);
    size_t cap = 1024, used = 0;
    char **cells = malloc(cap * sizeof *cells);
    char *field = malloc(n + 1);
    assert_non_null(cells);
    assert_non_null(field);
    int cols = 0, line = 1;
    size_t i = 0;
    while (i < n) {
        size_t fl = 0;
        if (buf[i] == '"') {
            i++;
            for (;;) {
                if (i >= n) fail_msg("%s:%d: unterminated quoted field", path, line);
                if (buf[i] == '"') {
                    if (i + 1 < n && buf[i + 1] == '"') {
                        field[fl++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (buf[i] == '\n') line++;
                field[fl++] = buf[i++];
            }
            if (buf[i] != ',' && buf[i] != '\n') fail_msg("%s:%d: junk after a closing quote", path, line);
            /* quoting only when needed: the field must hold a comma, quote or newline */
            int needed = 0;
            for (size_t j = 0; j < fl; j++) needed |= field[j] == ',' || field[j] == '"' || field[j] == '\n';
            if (!needed) fail_msg("%s:%d: field quoted without need", path, line);
        } else {
            while (i < n && buf[i] != ',' && buf[i] != '\n') {
                if (buf[i] == '"' || buf[i] == '\r') fail_msg("%s:%d: quote or CR in a bare field", path, line);
                field[fl++] = buf[i++];
            }
        }
        field[fl] = 0;
        if (used == cap) {
            cap *= 2;
            cells = realloc(cells, cap * sizeof *cells);
            assert_non_null(cells);
        }
        cells[used++] = strdup(field);
        cols++;
        if (buf[i] == '\n') {
            if (out->n_cols == 0) out->n_cols = cols;
            else if (cols != out->n_cols)
                fail_msg("%s:%d: %d fields, header has %d", path, line, cols, out->n_cols);
            cols = 0;
            line++;
        }
        i++; /* the comma or LF */
    }
    free(field);
    free(buf);
    out->cells = cells;
    out->n_rows = (int64_t)used / out->n_cols - 1;
}

static const char *cell(const Csv *c, int64_t row, int col) { return c->cells[(row + 1) * c->n_cols + col]; }

static int col_of(const Csv *c, const char *name) {
    for (int j = 0; j < c->n_cols; j++)
        if (!strcmp(c->cells[j], name)) return j;
    fail_msg("column %s missing", name);
    return -1;
}

/* ---- fixtures --------------------------------------------------------------------------------- */
typedef struct Corpus {
    char dir[64];
    TmlSynthStats stats;
    Csv tickets, customers;
} Corpus;

static void rm_corpus(const char *dir) {
    char p[256];
    static const char *const NAMES[] = {"tickets.csv", "customers.csv", "README.txt", "tickets.csv.tmp",
                                        "customers.csv.tmp", "README.txt.tmp"};
    for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, NAMES[i]);
        remove(p);
    }
    rmdir(dir);
}

static void make_dir_template(char *dir) {
    strcpy(dir, "/tmp/test_synth_XXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void config(TmlSynthConfig *c, uint64_t seed) {
    tml_synth_config_default(c);
    c->n_tickets = N_TICKETS;
    c->n_customers = N_CUSTOMERS;
    c->seed = seed;
}

static int setup(void **state) {
    Corpus *k = calloc(1, sizeof *k);
    make_dir_template(k->dir);
    TmlSynthConfig c;
    config(&c, 7);
    TmlError err = {{0}};
    if (tml_synth_write(&c, k->dir, &k->stats, &err)) {
        fprintf(stderr, "tml_synth_write: %s\n", err.msg);
        return -1;
    }
    char p[128];
    snprintf(p, sizeof p, "%s/tickets.csv", k->dir);
    csv_read(p, &k->tickets);
    snprintf(p, sizeof p, "%s/customers.csv", k->dir);
    csv_read(p, &k->customers);
    *state = k;
    return 0;
}

static int teardown(void **state) {
    Corpus *k = *state;
    csv_free(&k->tickets);
    csv_free(&k->customers);
    rm_corpus(k->dir);
    free(k);
    return 0;
}

static int files_equal(const char *a_dir, const char *b_dir, const char *name) {
    char pa[128], pb[128];
    snprintf(pa, sizeof pa, "%s/%s", a_dir, name);
    snprintf(pb, sizeof pb, "%s/%s", b_dir, name);
    size_t na, nb;
    char *a = slurp(pa, &na), *b = slurp(pb, &nb);
    assert_non_null(a);
    assert_non_null(b);
    int eq = na == nb && !memcmp(a, b, na);
    free(a);
    free(b);
    return eq;
}

/* ---- tests ------------------------------------------------------------------------------------ */
static void test_same_seed_same_bytes(void **state) {
    Corpus *k = *state;
    char again[64], other[64];
    make_dir_template(again);
    make_dir_template(other);
    TmlSynthConfig c;
    TmlError err = {{0}};
    config(&c, 7);
    assert_int_equal(tml_synth_write(&c, again, NULL, &err), 0);
    config(&c, 8);
    assert_int_equal(tml_synth_write(&c, other, NULL, &err), 0);
    assert_true(files_equal(k->dir, again, "tickets.csv"));
    assert_true(files_equal(k->dir, again, "customers.csv"));
    assert_true(files_equal(k->dir, again, "README.txt"));
    assert_false(files_equal(k->dir, other, "tickets.csv"));
    assert_false(files_equal(k->dir, other, "customers.csv"));
    rm_corpus(again);
    rm_corpus(other);
}

static void test_counts_and_header(void **state) {
    Corpus *k = *state;
    static const char *const TH[] = {"ticket_id", "customer_id", "created_at", "channel", "lang",
                                     "text", "intent", "sentiment", "first_response_minutes"};
    static const char *const CH[] = {"customer_id", "plan", "tenure_months", "monthly_charges",
                                     "total_charges", "contract", "payment_method", "region",
                                     "senior", "churn"};
    assert_int_equal(k->tickets.n_cols, 9);
    for (int j = 0; j < 9; j++) assert_string_equal(k->tickets.cells[j], TH[j]);
    assert_int_equal(k->customers.n_cols, 10);
    for (int j = 0; j < 10; j++) assert_string_equal(k->customers.cells[j], CH[j]);
    assert_int_equal(k->tickets.n_rows, N_TICKETS);
    assert_int_equal(k->customers.n_rows, N_CUSTOMERS);
    assert_int_equal(k->stats.n_tickets, N_TICKETS);
    assert_int_equal(k->stats.n_customers, N_CUSTOMERS);
    char p[128];
    snprintf(p, sizeof p, "%s/README.txt", k->dir);
    size_t n;
    char *readme = slurp(p, &n);
    assert_non_null(readme);
    assert_non_null(strstr(readme, TML_SYNTH_VERSION));
    assert_non_null(strstr(readme, "seed: 7\n"));
    assert_non_null(strstr(readme, "tickets: 20000\n"));
    free(readme);
    snprintf(p, sizeof p, "%s/tickets.csv.tmp", k->dir);
    assert_int_not_equal(access(p, F_OK), 0); /* temp files were renamed away */
}

static void test_ticket_fields(void **state) {
    Corpus *k = *state;
    const Csv *t = &k->tickets;
    int c_time = col_of(t, "created_at"), c_lang = col_of(t, "lang"), c_sent = col_of(t, "sentiment");
    int c_min = col_of(t, "first_response_minutes"), c_text = col_of(t, "text"), c_ch = col_of(t, "channel");
    int c_id = col_of(t, "ticket_id");
    int64_t zh = 0, mixed = 0, sent[3] = {0}, quoted_newline = 0;
    const char *prev = "";
    for (int64_t r = 0; r < t->n_rows; r++) {
        const char *ts = cell(t, r, c_time);
        assert_int_equal(strlen(ts), 20);
        assert_true(ts[4] == '-' && ts[10] == 'T' && ts[19] == 'Z');
        assert_true(strncmp(ts, "2025-", 5) == 0);
        assert_true(strcmp(prev, ts) <= 0); /* chronological */
        prev = ts;
        char want[32];
        snprintf(want, sizeof want, "T%08lld", (long long)r + 1);
        assert_string_equal(cell(t, r, c_id), want);
        const char *l = cell(t, r, c_lang);
        if (!strcmp(l, "zh")) zh++;
        else if (!strcmp(l, "mixed")) mixed++;
        else assert_string_equal(l, "en");
        const char *s = cell(t, r, c_sent);
        int si = !strcmp(s, "negative") ? 0 : !strcmp(s, "neutral") ? 1 : !strcmp(s, "positive") ? 2 : -1;
        assert_true(si >= 0);
        sent[si]++;
        char *end;
        long m = strtol(cell(t, r, c_min), &end, 10);
        assert_true(*end == 0 && m >= 0 && m <= 10080);
        assert_true(strlen(cell(t, r, c_text)) > 5);
        quoted_newline += strchr(cell(t, r, c_text), '\n') != NULL;
        const char *ch = cell(t, r, c_ch);
        assert_true(!strcmp(ch, "email") || !strcmp(ch, "chat") || !strcmp(ch, "phone") ||
                    !strcmp(ch, "app") || !strcmp(ch, "social") || !strcmp(ch, "web"));
    }
    double zs = (double)zh / t->n_rows, ms = (double)mixed / t->n_rows;
    print_message("zh %.3f mixed %.3f neg %lld neu %lld pos %lld\n", zs, ms, (long long)sent[0],
                  (long long)sent[1], (long long)sent[2]);
    assert_true(zs > 0.10 && zs < 0.21);
    assert_true(ms > 0.025 && ms < 0.08);
    for (int i = 0; i < 3; i++) assert_true(sent[i] > t->n_rows / 10); /* all three, none rare */
    assert_true(quoted_newline > 0); /* exercises embedded newlines in quoted fields */
    assert_int_equal(zh, k->stats.n_zh);
}

static void test_every_intent_present(void **state) {
    Corpus *k = *state;
    int n = tml_synth_intent_count();
    assert_true(n >= 18 && n <= 22);
    int64_t *count = calloc((size_t)n, sizeof *count);
    int c_int = col_of(&k->tickets, "intent");
    for (int64_t r = 0; r < k->tickets.n_rows; r++) {
        int found = -1;
        for (int i = 0; i < n && found < 0; i++)
            if (!strcmp(cell(&k->tickets, r, c_int), tml_synth_intent_name(i))) found = i;
        assert_true(found >= 0);
        count[found]++;
    }
    for (int i = 0; i < n; i++) {
        /* every intent, and no intent dominating: between 1% and 15% of tickets */
        assert_true(count[i] > k->tickets.n_rows / 100);
        assert_true(count[i] < k->tickets.n_rows * 15 / 100);
    }
    assert_null(tml_synth_intent_name(n));
    free(count);
}

static void test_customers_consistent(void **state) {
    Corpus *k = *state;
    const Csv *c = &k->customers;
    int c_ten = col_of(c, "tenure_months"), c_mon = col_of(c, "monthly_charges");
    int c_tot = col_of(c, "total_charges"), c_churn = col_of(c, "churn");
    int64_t blank = 0, churn = 0;
    for (int64_t r = 0; r < c->n_rows; r++) {
        int tenure = atoi(cell(c, r, c_ten));
        double monthly = atof(cell(c, r, c_mon));
        const char *tot = cell(c, r, c_tot);
        assert_true(tenure >= 0 && tenure <= 72);
        assert_true(monthly >= 15 && monthly <= 125);
        if (tenure == 0) {
            assert_string_equal(tot, ""); /* brand-new: no bill yet, like the telco data */
            blank++;
        } else {
            assert_true(tot[0] != 0);
            double total = atof(tot), expect = monthly * tenure;
            assert_true(total >= monthly - 0.005);
            assert_true(total > 0.8 * expect && total < 1.2 * expect);
        }
        const char *ch = cell(c, r, c_churn);
        assert_true(!strcmp(ch, "Yes") || !strcmp(ch, "No"));
        churn += ch[0] == 'Y';
    }
    double rate = (double)churn / c->n_rows;
    print_message("blank total %lld, churn %.3f\n", (long long)blank, rate);
    assert_true(blank > 0 && blank < c->n_rows / 50); /* a few */
    assert_true(rate > 0.15 && rate < 0.35);
}

/* Tickets go to known customers with a skewed load, and churners have more recent contact. */
static void test_history_carries_churn_signal(void **state) {
    Corpus *k = *state;
    const Csv *t = &k->tickets, *c = &k->customers;
    int64_t m = c->n_rows;
    int *recent = calloc((size_t)m, sizeof *recent), *total = calloc((size_t)m, sizeof *total);
    int c_cust = col_of(t, "customer_id"), c_time = col_of(t, "created_at");
    for (int64_t r = 0; r < t->n_rows; r++) {
        const char *id = cell(t, r, c_cust);
        assert_true(id[0] == 'C');
        long i = strtol(id + 1, NULL, 10) - 1;
        assert_true(i >= 0 && i < m);
        assert_string_equal(cell(c, i, 0), id);
        total[i]++;
        recent[i] += strcmp(cell(t, r, c_time), "2025-12-02") >= 0; /* last 30 days */
    }
    int max = 0, zero = 0;
    for (int64_t i = 0; i < m; i++) {
        if (total[i] > max) max = total[i];
        zero += total[i] == 0;
    }
    double mean = (double)t->n_rows / m;
    print_message("tickets per customer: mean %.1f max %d, %d without tickets\n", mean, max, zero);
    assert_true(max > 8 * mean);  /* heavy tail */
    assert_true(zero > m / 20);   /* many customers never write */
    int64_t n_act = 0, ch_act = 0, n_quiet = 0, ch_quiet = 0;
    int c_churn = col_of(c, "churn");
    for (int64_t i = 0; i < m; i++) {
        int y = cell(c, i, c_churn)[0] == 'Y';
        if (recent[i]) n_act++, ch_act += y;
        else n_quiet++, ch_quiet += y;
    }
    double ra = (double)ch_act / n_act, rq = (double)ch_quiet / n_quiet;
    print_message("churn: %.3f with tickets in the last 30 days, %.3f without\n", ra, rq);
    assert_true(ra > rq + 0.10);
    free(recent);
    free(total);
}

static void test_bad_config_rejected(void **state) {
    (void)state;
    TmlSynthConfig c;
    TmlError err = {{0}};
    char dir[64];
    make_dir_template(dir);
    config(&c, 1);
    c.n_tickets = 0;
    assert_int_equal(tml_synth_write(&c, dir, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "--tickets"));
    config(&c, 1);
    c.n_customers = 0;
    assert_int_equal(tml_synth_config_check(&c, &err), -1);
    assert_non_null(strstr(err.msg, "--customers"));
    config(&c, 1);
    c.start_date = "2025-02-30";
    assert_int_equal(tml_synth_config_check(&c, &err), -1);
    assert_non_null(strstr(err.msg, "2025-02-30"));
    config(&c, 1);
    c.days = 0;
    assert_int_equal(tml_synth_config_check(&c, &err), -1);
    rm_corpus(dir);
}

static void test_unwritable_dir_leaves_nothing(void **state) {
    (void)state;
    char dir[64], path[128];
    make_dir_template(dir);
    snprintf(path, sizeof path, "%s/README.txt", dir); /* a file where a directory should be */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    TmlSynthConfig c;
    TmlError err = {{0}};
    config(&c, 1);
    c.n_tickets = 100;
    c.n_customers = 10;
    snprintf(path, sizeof path, "%s/README.txt/sub", dir);
    assert_int_equal(tml_synth_write(&c, path, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "README.txt"));
    if (geteuid() != 0) { /* root writes anywhere; only check permissions as a normal user */
        snprintf(path, sizeof path, "%s/ro", dir);
        assert_int_equal(mkdir(path, 0555), 0);
        assert_int_equal(tml_synth_write(&c, path, NULL, &err), -1);
        assert_non_null(strstr(err.msg, "cannot write"));
        char p2[160];
        snprintf(p2, sizeof p2, "%s/tickets.csv.tmp", path);
        assert_int_not_equal(access(p2, F_OK), 0);
        rmdir(path);
    }
    rm_corpus(dir);
}

/* The smallest corpus works, and the directory is created with its parents. */
static void test_tiny_corpus_and_nested_dir(void **state) {
    (void)state;
    char dir[64], nested[128];
    make_dir_template(dir);
    snprintf(nested, sizeof nested, "%s/a/b", dir);
    TmlSynthConfig c;
    TmlError err = {{0}};
    config(&c, 3);
    c.n_tickets = 1;
    c.n_customers = 1;
    c.days = 1;
    c.start_date = "2024-02-29";
    TmlSynthStats st;
    assert_int_equal(tml_synth_write(&c, nested, &st, &err), 0);
    char p[160];
    snprintf(p, sizeof p, "%s/tickets.csv", nested);
    Csv t;
    csv_read(p, &t);
    assert_int_equal(t.n_rows, 1);
    assert_true(strncmp(cell(&t, 0, 2), "2024-02-29T", 11) == 0);
    csv_free(&t);
    rm_corpus(nested);
    snprintf(p, sizeof p, "%s/a", dir);
    rmdir(p);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_counts_and_header),
        cmocka_unit_test(test_ticket_fields),
        cmocka_unit_test(test_every_intent_present),
        cmocka_unit_test(test_customers_consistent),
        cmocka_unit_test(test_history_carries_churn_signal),
        cmocka_unit_test(test_bad_config_rejected),
        cmocka_unit_test(test_unwritable_dir_leaves_nothing),
        cmocka_unit_test(test_tiny_corpus_and_nested_dir),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
