/* synth.h — deterministic generator of a realistic customer-service corpus (tickets.csv,
 * customers.csv, README.txt) for demos, tests and benchmarks. Same config and seed -> the same
 * bytes on every machine (own PRNG, own exp/log, no libm in any decision). Documented in docs/synth.md. */
#ifndef TICKETML_SYNTH_H
#define TICKETML_SYNTH_H

#include <stdint.h>

#include "ticketml/error.h"

#define TML_SYNTH_VERSION "synth-1"
#define TML_SYNTH_MAX_TICKETS 2000000000LL
#define TML_SYNTH_MAX_CUSTOMERS 200000000LL
#define TML_SYNTH_MAX_DAYS 3660

typedef struct TmlSynthConfig {
    int64_t n_tickets;      /* >= 1 */
    int64_t n_customers;    /* >= 1 */
    uint64_t seed;          /* default 42 */
    const char *start_date; /* "YYYY-MM-DD", first day of the ticket window; default "2025-01-01" */
    int days;               /* window length in days, 1..TML_SYNTH_MAX_DAYS; default 365 */
    double zh_share;        /* expected share of Chinese tickets; default 0.15 */
    double mixed_share;     /* expected share of code-switched en/zh tickets; default 0.05 */
    double typo_rate;       /* per-letter typo probability in template text; default 0.004 */
    double label_noise;     /* share of intent labels flipped to a confusable intent; default 0.03 */
    double churn_rate;      /* target mean churn probability (intercept is calibrated); default 0.26 */
    const char *shift_date; /* "YYYY-MM-DD": the drift knob (docs/synth.md) acts on tickets from this
                             * day and customers who join from it; NULL = no shift */
    double shift;           /* strength of the shift in [0, 1]; default 1 */
    int progress;           /* 1: progress lines on stderr every ~10% (CLI sets it for large N) */
} TmlSynthConfig;

/* What was written, for the CLI summary and for tests. */
typedef struct TmlSynthStats {
    int64_t n_tickets, n_customers;
    int64_t n_zh, n_mixed;            /* tickets by lang */
    int64_t n_negative, n_positive;   /* tickets by sentiment */
    int64_t n_churn;                  /* customers with churn=Yes */
    int64_t n_blank_total;            /* customers with tenure 0 (total_charges blank) */
    int64_t n_followups;              /* tickets that are repeat contacts on an open issue */
    int64_t bytes_tickets, bytes_customers;
} TmlSynthStats;

/* Fills c with the defaults above (n_tickets = 10000, n_customers = 2000). */
void tml_synth_config_default(TmlSynthConfig *c);

/* Checks ranges and the start date; returns -1 with err naming the bad knob. */
int tml_synth_config_check(const TmlSynthConfig *c, TmlError *err);

/* Writes dir/tickets.csv, dir/customers.csv and dir/README.txt (dir is created if missing). Each
 * file is written to name.tmp, flushed, fsynced and renamed, so a failure leaves no partial file.
 * stats may be NULL. Returns 0, or -1 with err set (bad config, dir not writable, disk full). */
int tml_synth_write(const TmlSynthConfig *c, const char *dir, TmlSynthStats *stats, TmlError *err);

/* The intent label set, in a fixed order (ids 0..n-1). Names are static strings. */
int tml_synth_intent_count(void);
const char *tml_synth_intent_name(int id);

#endif
