/* cmd_synth.c — `ticketml synth`: writes a deterministic generated corpus (tickets.csv,
 * customers.csv, README.txt) through the synth/synth.h API. Argument parsing and the summary only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "synth/synth.h"

static void synth_usage(FILE *f) {
    fprintf(f,
            "usage: ticketml synth --tickets N --customers M --out DIR [options]\n"
            "\n"
            "Writes a generated customer-service corpus that behaves like real tickets: DIR/tickets.csv\n"
            "(ticket_id,customer_id,created_at,channel,lang,text,intent,sentiment,first_response_minutes),\n"
            "DIR/customers.csv (customer_id,plan,tenure_months,monthly_charges,total_charges,contract,\n"
            "payment_method,region,senior,churn) and DIR/README.txt. The same options and seed give the\n"
            "same bytes on every machine. See docs/synth.md.\n"
            "\n"
            "  --tickets N         number of tickets, >= 1 (k/M suffix allowed: 1M)\n"
            "  --customers M       number of customers, >= 1\n"
            "  --out DIR           output directory (created if missing)\n"
            "  --seed S            random seed (default 42)\n"
            "  --start-date DATE   first day of the ticket window, YYYY-MM-DD (default 2025-01-01)\n"
            "  --days D            window length in days (default 365)\n"
            "  --zh-share X        expected share of Chinese tickets (default 0.15)\n"
            "  --mixed-share X     expected share of code-switched en/zh tickets (default 0.05)\n"
            "  --typo-rate X       per-letter typo probability (default 0.004)\n"
            "  --label-noise X     share of intent labels flipped to a confusable intent (default 0.03)\n"
            "  --churn-rate X      target churn rate (default 0.26)\n"
            "  --shift-date DATE   drift knob: from DATE on, intents, words and code-switching shift, and\n"
            "                      customers who join from DATE come on worse terms (docs/synth.md)\n"
            "  --shift X           strength of that shift, 0..1 (default 1)\n"
            "  --quiet             no progress lines (they go to stderr for N >= 100000)\n"
            "  -h, --help          this help\n");
}

/* Parses a non-negative integer with an optional k/M/G suffix; -1 on junk or overflow. */
static int parse_count(const char *s, int64_t *out) {
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno || v < 0) return -1;
    long long mul = 1;
    if (*end == 'k' || *end == 'K') mul = 1000, end++;
    else if (*end == 'm' || *end == 'M') mul = 1000000, end++;
    else if (*end == 'g' || *end == 'G') mul = 1000000000, end++;
    if (*end || v > INT64_MAX / mul) return -1;
    *out = v * mul;
    return 0;
}

static int parse_real(const char *s, double *out) {
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || errno) return -1;
    *out = v;
    return 0;
}

/* A numeric option: opt's value (NULL: absent) into *out; 0, or 2 after printing a message. */
static int opt_count(const char *opt, const char *val, int64_t *out) {
    if (!val || parse_count(val, out) == 0) return 0;
    fprintf(stderr, "ticketml synth: %s: bad value '%s' (see --help)\n", opt, val);
    return 2;
}

static int opt_real(const char *opt, const char *val, double *out) {
    if (!val || parse_real(val, out) == 0) return 0;
    fprintf(stderr, "ticketml synth: %s: bad value '%s' (see --help)\n", opt, val);
    return 2;
}

static void print_stats(const char *out, const TmlSynthStats *st, double secs) {
    printf("wrote %s/tickets.csv (%lld tickets, %.1f MB) and %s/customers.csv (%lld customers, "
           "%.1f MB) in %.1f s\n",
           out, (long long)st->n_tickets, st->bytes_tickets / 1e6, out, (long long)st->n_customers,
           st->bytes_customers / 1e6, secs);
    printf("zh %.1f%%, mixed %.1f%%, negative %.1f%%, positive %.1f%%, follow-ups %.1f%%, churn "
           "%.1f%%\n",
           100.0 * st->n_zh / st->n_tickets, 100.0 * st->n_mixed / st->n_tickets,
           100.0 * st->n_negative / st->n_tickets, 100.0 * st->n_positive / st->n_tickets,
           100.0 * st->n_followups / st->n_tickets, 100.0 * st->n_churn / st->n_customers);
}

int cmd_synth(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        synth_usage(stdout);
        return 0;
    }
    TmlSynthConfig c;
    tml_synth_config_default(&c);
    c.n_tickets = c.n_customers = -1;
    const char *out = NULL, *v[12] = {NULL}, *pos[1];
    int quiet = 0, n_pos = 0;
    CliOpt opts[] = {
        {"--tickets", &v[0], NULL, NULL, NULL, 0},     {"--customers", &v[1], NULL, NULL, NULL, 0},
        {"--seed", &v[2], NULL, NULL, NULL, 0},        {"--days", &v[3], NULL, NULL, NULL, 0},
        {"--zh-share", &v[4], NULL, NULL, NULL, 0},    {"--mixed-share", &v[5], NULL, NULL, NULL, 0},
        {"--typo-rate", &v[6], NULL, NULL, NULL, 0},   {"--label-noise", &v[7], NULL, NULL, NULL, 0},
        {"--churn-rate", &v[8], NULL, NULL, NULL, 0},  {"--start-date", &v[9], NULL, NULL, NULL, 0},
        {"--out", &out, NULL, NULL, NULL, 0},          {"--quiet", NULL, &quiet, NULL, NULL, 0},
        {"--shift-date", &v[10], NULL, NULL, NULL, 0}, {"--shift", &v[11], NULL, NULL, NULL, 0},
    };
    if (cli_parse("synth", argc, argv, opts, 14, pos, 0, &n_pos) < 0) return 2;
    int64_t seed = (int64_t)c.seed, days = c.days;
    if (opt_count("--tickets", v[0], &c.n_tickets) || opt_count("--customers", v[1], &c.n_customers) ||
        opt_count("--seed", v[2], &seed) || opt_count("--days", v[3], &days) ||
        opt_real("--zh-share", v[4], &c.zh_share) || opt_real("--mixed-share", v[5], &c.mixed_share) ||
        opt_real("--typo-rate", v[6], &c.typo_rate) || opt_real("--label-noise", v[7], &c.label_noise) ||
        opt_real("--churn-rate", v[8], &c.churn_rate) || opt_real("--shift", v[11], &c.shift))
        return 2;
    c.shift_date = v[10];
    if (days < 1 || days > TML_SYNTH_MAX_DAYS) {
        fprintf(stderr, "ticketml synth: --days: bad value '%s' (see --help)\n", v[3]);
        return 2;
    }
    c.seed = (uint64_t)seed;
    c.days = (int)days;
    if (v[9]) c.start_date = v[9];
    if (c.n_tickets < 0 || c.n_customers < 0 || !out) {
        fprintf(stderr, "ticketml synth: --tickets, --customers and --out are required\n\n");
        synth_usage(stderr);
        return 2;
    }
    TmlError err = {{0}};
    if (tml_synth_config_check(&c, &err)) {
        fprintf(stderr, "ticketml %s\n", err.msg);
        return 2;
    }
    c.progress = !quiet && c.n_tickets >= 100000;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    TmlSynthStats st;
    if (tml_synth_write(&c, out, &st, &err)) {
        /* library messages start with "synth:" or with the path that failed */
        fprintf(stderr, "ticketml %s%s\n", strncmp(err.msg, "synth:", 6) ? "synth: " : "", err.msg);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_stats(out, &st, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9);
    return 0;
}
