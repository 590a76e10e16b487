/* synth_internal.h — shared pieces of the corpus generator (synth/synth*.c only): the PRNG and
 * bit-reproducible math, the phrase banks, the ticket text composer and the buffered CSV writer. */
#ifndef TICKETML_SYNTH_INTERNAL_H
#define TICKETML_SYNTH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "data/date.h"
#include "ticketml/error.h"
#include "ticketml/rng.h"

/* Same bits on every machine: no a*b+c -> fma contraction. GCC in -std=c11 mode already does not
 * contract; clang does by default and honours this pragma (GCC would warn about it). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* ---- PRNG: xoshiro256** seeded through splitmix64 (synth_rng.c) ----------------------------
 * Rule for callers: at most one draw per expression argument list (f(draw(), draw()) runs in a
 * compiler-dependent order: GCC right to left, clang left to right). */
typedef TmlRng SynthRng; /* ticketml/rng.h: tml_rng_next, tml_rng_uniform ([0, 1), 53 bits) */

/* Seeds an independent stream from (seed, stream id), so each part of the story has its own. */
void tml_synth_rng_seed(SynthRng *r, uint64_t seed, uint64_t stream);
uint32_t tml_synth_rng_below(SynthRng *r, uint32_t n); /* uniform in [0, n), n >= 1 */
int tml_synth_rng_chance(SynthRng *r, double p);       /* 1 with probability p */
double tml_synth_rng_normal(SynthRng *r);              /* N(0, 1), Marsaglia polar with tml_synth_log */
/* Index drawn from unnormalized weights w[0..n). */
int tml_synth_rng_pick(SynthRng *r, const double *w, int n);

/* exp and log from +,*,/ and exact frexp/ldexp only: libm may round differently across machines
 * and versions, and a rare last-bit difference would change which row a draw picks. */
double tml_synth_exp(double x);
double tml_synth_log(double x);

/* ---- phrase banks (synth_bank_en.c, synth_bank_zh.c, synth_bank.c) ------------------------- */
enum {
    SI_CARD_LOST, SI_REFUND_REQUEST, SI_BILLING_DISPUTE, SI_CANCEL_SUBSCRIPTION, SI_UPGRADE_PLAN,
    SI_NETWORK_OUTAGE, SI_PASSWORD_RESET, SI_DELIVERY_DELAY, SI_PAYMENT_FAILED, SI_SLOW_INTERNET,
    SI_SIM_REPLACEMENT, SI_ACCOUNT_LOCKED, SI_ROAMING_ACTIVATION, SI_CHANGE_ADDRESS,
    SI_INVOICE_REQUEST, SI_DATA_USAGE_QUERY, SI_DEVICE_REPAIR, SI_TRANSFER_FAILED,
    SI_UPDATE_PAYMENT_METHOD, SI_CONTRACT_RENEWAL,
    SYNTH_N_INTENTS
};

/* NULL-terminated template lists; "{slot}" marks a value filled per ticket (synth_text.c). */
typedef const char *const SynthList[];

typedef struct SynthIntentInfo {
    const char *name;
    double prior;       /* relative frequency in the ticket stream */
    double neg_bias;    /* sentiment logits added for this intent (neutral = 0) */
    double pos_bias;
    int priority;       /* 1: handled faster (fraud, lockout) */
    int confuse[3];     /* intents an annotator confuses it with (label noise); -1 ends */
} SynthIntentInfo;

extern const SynthIntentInfo tml_synth_intents[SYNTH_N_INTENTS];
extern const char *const *const tml_synth_en_issue[SYNTH_N_INTENTS];
extern const char *const *const tml_synth_en_ask[SYNTH_N_INTENTS];
extern const char *const *const tml_synth_zh_issue[SYNTH_N_INTENTS];
extern const char *const *const tml_synth_zh_ask[SYNTH_N_INTENTS];

/* Parts shared by all intents, one bank per language. */
typedef struct SynthCommonBank {
    const char *const *greeting, *const *generic_issue, *const *generic_ask, *const *detail;
    const char *const *neg_open, *const *neg_close, *const *pos_open, *const *pos_close;
    const char *const *neutral_close, *const *followup, *const *wait, *const *signoff;
} SynthCommonBank;
extern const SynthCommonBank tml_synth_common_en, tml_synth_common_zh;

/* Slot value lists (per language) used by the text composer. */
typedef struct SynthSlotBank {
    const char *const *product, *const *plan, *const *card, *const *city, *const *country;
    const char *const *merchant, *const *bank, *const *courier, *const *street, *const *name;
    const char *const *relday;   /* "yesterday", "last Friday" */
    const char *const *month;    /* 12 month names (en) / unused (zh) */
} SynthSlotBank;
extern const SynthSlotBank tml_synth_slots_en, tml_synth_slots_zh;

/* Number of entries in a NULL-terminated list. */
int tml_synth_list_len(const char *const *list);

/* ---- ticket text (synth_text.c) ------------------------------------------------------------ */
enum { SYNTH_LANG_EN = 0, SYNTH_LANG_ZH = 1, SYNTH_LANG_MIXED = 2 };
enum { SYNTH_SENT_NEG = 0, SYNTH_SENT_NEU = 1, SYNTH_SENT_POS = 2 };
enum { SYNTH_CH_EMAIL, SYNTH_CH_CHAT, SYNTH_CH_PHONE, SYNTH_CH_APP, SYNTH_CH_SOCIAL, SYNTH_CH_WEB,
       SYNTH_N_CHANNELS };

typedef struct SynthTicketSpec {
    int intent, lang, sentiment, channel;
    int repeat;           /* 0 first contact, k = k-th follow-up on the same issue */
    int long_wait;        /* the customer waited long for the first answer */
    int wait_minutes;
    int vague;            /* text gives no intent-specific issue (ambiguous ticket) */
    double typo_rate;
} SynthTicketSpec;

#define SYNTH_TEXT_MAX 2048

/* Composes the text of one ticket into out (NUL-terminated, < SYNTH_TEXT_MAX bytes, valid UTF-8)
 * from the banks and rng; returns its length. No allocation. */
size_t tml_synth_text_compose(const SynthTicketSpec *t, SynthRng *rng, char *out);

/* ---- the drift knob (synth_shift.c) ------------------------------------------------------- */
/* Scales intent weights w (SYNTH_N_INTENTS) toward the shifted mix at strength s in [0, 1]. */
void tml_synth_shift_intents(double *w, double s);
/* Adds the shifted vocabulary to a composed ticket text (len bytes, buffer SYNTH_TEXT_MAX) with
 * draws from r only; returns the new length. */
size_t tml_synth_shift_text(char *text, size_t len, int lang, double s, SynthRng *r);

/* ---- buffered output (synth_out.c) --------------------------------------------------------- */
typedef struct SynthOut {
    FILE *f;
    char *tmp_path, *final_path; /* malloc'd; freed by tml_synth_out_commit/abort */
    char *buf;                   /* 1 MiB, malloc'd once */
    size_t n;
    int64_t bytes;
    int failed;                  /* a write failed; reported at close */
} SynthOut;

/* Opens dir/name.tmp for writing. Returns -1 with err set. */
int tml_synth_out_open(SynthOut *o, const char *dir, const char *name, TmlError *err);
void tml_synth_out_bytes(SynthOut *o, const char *s, size_t n);
void tml_synth_out_str(SynthOut *o, const char *s);
void tml_synth_out_char(SynthOut *o, char c);
void tml_synth_out_int(SynthOut *o, int64_t v);
void tml_synth_out_cents(SynthOut *o, int64_t cents); /* "49.95" */
/* One CSV field: quoted (with doubled quotes) only when it holds , " CR or LF. */
void tml_synth_out_field(SynthOut *o, const char *s, size_t n);
/* Flushes, fsyncs, closes and renames name.tmp -> name. Returns -1 with err set. */
int tml_synth_out_commit(SynthOut *o, TmlError *err);
/* Closes and removes name.tmp (on any failure path). Safe on a never-opened SynthOut. */
void tml_synth_out_abort(SynthOut *o);

/* Parses the --start-date "YYYY-MM-DD" strictly (exactly ten characters, a real date, not before
 * 1970) into days since 1970-01-01 (data/date.h); -1 otherwise. */
int tml_synth_parse_date(const char *s, int64_t *day);

#endif
