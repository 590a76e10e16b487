/* synth.c — the corpus generator's story: customers with telco-like attributes and a heavy-tailed
 * contact rate; a chronological ticket stream (daily/hourly rhythm, regional outages, follow-ups on
 * unresolved issues, channel-dependent waits, sentiment from intent and wait); churn drawn last from
 * attributes AND each customer's ticket history. Streams rows through a 1 MiB buffer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "synth/synth.h"
#include "synth/synth_internal.h"

/* RNG_SHIFT*: the drift knob's own streams (a corpus without it draws nothing from them) */
enum { RNG_CUSTOMERS = 1, RNG_CALENDAR, RNG_TICKETS, RNG_TEXT, RNG_CHURN, RNG_CHARGES, RNG_SHIFT_CUSTOMERS,
       RNG_SHIFT_TICKETS };
enum { CONTRACT_M2M, CONTRACT_ONE, CONTRACT_TWO };
enum { PLAN_BASIC, PLAN_PLUS, PLAN_PREMIUM, PLAN_FAMILY };
enum { PAY_ECHECK, PAY_MAILED, PAY_BANK, PAY_CARD };

static const char *const CONTRACT_NAMES[] = {"Month-to-month", "One year", "Two year"};
static const char *const PLAN_NAMES[] = {"Basic", "Plus", "Premium", "Family"};
static const char *const PAY_NAMES[] = {"Electronic check", "Mailed check",
                                        "Bank transfer (automatic)", "Credit card (automatic)"};
static const char *const REGION_NAMES[] = {"North", "South", "East", "West", "Central"};
#define N_REGIONS 5
static const char *const CHANNEL_NAMES[SYNTH_N_CHANNELS] = {"email", "chat", "phone",
                                                            "app",   "social", "web"};
static const double CHANNEL_SHARE[SYNTH_N_CHANNELS] = {25, 30, 15, 12, 10, 8};
/* Median first-response minutes per channel: chat is answered in minutes, web forms in a day. */
static const double CHANNEL_MEDIAN[SYNTH_N_CHANNELS] = {240, 3, 8, 60, 45, 480};
static const char *const LANG_NAMES[] = {"en", "zh", "mixed"};
static const char *const SENT_NAMES[] = {"negative", "neutral", "positive"};
static const double HOUR_WEIGHT[24] = {0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 3.5, 3.8, 3.6,
                                       3.2, 3.4, 3.5, 3.3, 3.1, 2.9, 2.7, 2.6, 2.4, 2.0, 1.4, 0.8};

/* One customer: attributes, latent traits, and the ticket history accumulated while streaming. */
typedef struct SynthCustomer {
    float grump;            /* latent irritability: more negative tickets, more cancel requests */
    uint16_t monthly_cents;
    int16_t join_day;       /* relative to the window start; tickets come after it */
    uint8_t tenure, contract, plan, payment, region, senior, zh, channel;
    int32_t last_sec;       /* last ticket, seconds since window start; -1 none */
    uint16_t n_total, n_30, n_90, n_neg, n_repeat, n_long;
    uint8_t cancel_90, cancel_any;
} SynthCustomer;

typedef struct FollowUp {
    int64_t t;          /* seconds since window start when the customer writes again */
    uint32_t customer;
    uint8_t intent, repeat;
} FollowUp;

typedef struct Gen {
    const TmlSynthConfig *cfg;
    int64_t start_day;
    int days;
    SynthCustomer *cust;     /* (M) */
    uint32_t *alias;         /* (M) Vose alias table over contact rates */
    uint32_t *alias_prob;    /* (M) threshold in 2^32 units */
    uint8_t *outage;         /* (days) bitmask of regions with a network outage */
    float *day_load;         /* (days) staffing/queue factor on response times */
    int64_t *day_count;      /* (days) tickets created that day */
    double *day_weight;      /* (days) scratch for the volume allocation */
    FollowUp *heap;
    size_t heap_n, heap_cap;
    double p_speaker, p_zh_other, p_mixed_other;
    int64_t shift_day;       /* first shifted day relative to the window start; INT64_MAX: no shift */
    SynthRng shift_rng;      /* the shift's draws while streaming tickets */
} Gen;

static double sigmoid(double x) { return 1.0 / (1.0 + tml_synth_exp(-x)); }

static inline void u16_inc(uint16_t *v) {
    if (*v < UINT16_MAX) (*v)++;
}

/* ---- configuration -------------------------------------------------------------------------- */
void tml_synth_config_default(TmlSynthConfig *c) {
    memset(c, 0, sizeof *c);
    c->n_tickets = 10000;
    c->n_customers = 2000;
    c->seed = 42;
    c->start_date = "2025-01-01";
    c->days = 365;
    c->zh_share = 0.15;
    c->mixed_share = 0.05;
    c->typo_rate = 0.004;
    c->label_noise = 0.03;
    c->churn_rate = 0.26;
    c->shift = 1.0;
}

int tml_synth_config_check(const TmlSynthConfig *c, TmlError *err) {
    int64_t day;
    if (c->n_tickets < 1 || c->n_tickets > TML_SYNTH_MAX_TICKETS)
        return tml_fail(err, "synth: --tickets must be 1..%lld (got %lld)", TML_SYNTH_MAX_TICKETS,
                        (long long)c->n_tickets);
    if (c->n_customers < 1 || c->n_customers > TML_SYNTH_MAX_CUSTOMERS)
        return tml_fail(err, "synth: --customers must be 1..%lld (got %lld)",
                        TML_SYNTH_MAX_CUSTOMERS, (long long)c->n_customers);
    if (c->days < 1 || c->days > TML_SYNTH_MAX_DAYS)
        return tml_fail(err, "synth: --days must be 1..%d (got %d)", TML_SYNTH_MAX_DAYS, c->days);
    if (tml_synth_parse_date(c->start_date, &day) || day + c->days > tml_date_from_civil(9999, 12, 31))
        return tml_fail(err, "synth: --start-date '%s' is not a valid date; use YYYY-MM-DD, e.g. 2025-01-01",
                        c->start_date ? c->start_date : "(null)");
    if (!(c->zh_share >= 0 && c->mixed_share >= 0 && c->zh_share + c->mixed_share <= 0.95))
        return tml_fail(err, "synth: zh_share and mixed_share must be >= 0 with a sum <= 0.95");
    if (!(c->typo_rate >= 0 && c->typo_rate <= 0.2))
        return tml_fail(err, "synth: typo_rate must be in [0, 0.2]");
    if (!(c->label_noise >= 0 && c->label_noise <= 0.5))
        return tml_fail(err, "synth: label_noise must be in [0, 0.5]");
    if (!(c->churn_rate > 0.005 && c->churn_rate < 0.95))
        return tml_fail(err, "synth: churn_rate must be in (0.005, 0.95)");
    if (c->shift_date && tml_synth_parse_date(c->shift_date, &day))
        return tml_fail(err, "synth: --shift-date '%s' is not a valid date; use YYYY-MM-DD, e.g. 2025-10-01",
                        c->shift_date);
    if (!(c->shift >= 0 && c->shift <= 1)) return tml_fail(err, "synth: --shift must be in [0, 1]");
    return 0;
}

/* ---- customers -------------------------------------------------------------------------------- */
static double customer_rate(const SynthCustomer *cu, SynthRng *r) {
    /* log-normal spread (sigma 1.0): most customers write once or twice, a few write dozens of times */
    double w = tml_synth_exp(1.0 * tml_synth_rng_normal(r));
    if (cu->contract == CONTRACT_M2M) w *= 1.3;
    if (cu->tenure <= 2) w *= 1.8;
    if (cu->senior) w *= 1.1;
    if (cu->grump > 1.0f) w *= 1.3;
    return w;
}

/* Customers who join from the shift day on come on worse terms (the drift knob, synth_shift.c). */
static void shift_customer(SynthCustomer *cu, double s, SynthRng *r) {
    if (tml_synth_rng_chance(r, 0.6 * s)) cu->contract = CONTRACT_M2M;
    double cents = cu->monthly_cents * (1.0 + 0.25 * s);
    cu->monthly_cents = (uint16_t)(cents > 60000 ? 60000 : (int)(cents / 5) * 5);
    if (tml_synth_rng_chance(r, 0.5 * s)) cu->payment = PAY_ECHECK;
}

static void customers_make(Gen *g, double *rate) {
    SynthRng r, rs;
    tml_synth_rng_seed(&r, g->cfg->seed, RNG_CUSTOMERS);
    tml_synth_rng_seed(&rs, g->cfg->seed, RNG_SHIFT_CUSTOMERS);
    for (int64_t i = 0; i < g->cfg->n_customers; i++) {
        SynthCustomer *cu = &g->cust[i];
        double u = tml_rng_uniform(&r);
        cu->contract = u < 0.55 ? CONTRACT_M2M : u < 0.76 ? CONTRACT_ONE : CONTRACT_TWO;
        int t;
        if (cu->contract == CONTRACT_M2M) t = 1 + (int)(-16.0 * tml_synth_log(1.0 - tml_rng_uniform(&r)));
        else if (cu->contract == CONTRACT_ONE) {
            int a = (int)tml_synth_rng_below(&r, 67); /* triangular: mean of two uniforms */
            t = 6 + (a + (int)tml_synth_rng_below(&r, 67)) / 2;
        }
        else t = 72 - (int)(-14.0 * tml_synth_log(1.0 - tml_rng_uniform(&r)));
        if (t > 72) t = 72;
        if (t < 1) t = 1;
        if (cu->contract == CONTRACT_TWO && t < 12) t = 12 + (int)tml_synth_rng_below(&r, 12);
        if (tml_synth_rng_chance(&r, 0.003)) t = 0; /* signed up this month: no bill yet */
        cu->tenure = (uint8_t)t;
        static const double PLAN_W[] = {22, 35, 30, 13};
        cu->plan = (uint8_t)tml_synth_rng_pick(&r, PLAN_W, 4);
        static const int PLAN_LO[] = {1800, 4000, 7000, 9500}, PLAN_SPAN[] = {1700, 3000, 3000, 2500};
        int cents = PLAN_LO[cu->plan] + (int)tml_synth_rng_below(&r, (uint32_t)PLAN_SPAN[cu->plan]);
        cu->monthly_cents = (uint16_t)(cents / 5 * 5);
        static const double PAY_M2M[] = {45, 20, 17, 18}, PAY_LONG[] = {20, 25, 28, 27};
        cu->payment = (uint8_t)tml_synth_rng_pick(&r, cu->contract == CONTRACT_M2M ? PAY_M2M : PAY_LONG, 4);
        static const double REGION_W[] = {22, 20, 20, 20, 18};
        cu->region = (uint8_t)tml_synth_rng_pick(&r, REGION_W, N_REGIONS);
        cu->senior = (uint8_t)tml_synth_rng_chance(&r, 0.16);
        cu->zh = (uint8_t)tml_synth_rng_chance(&r, g->p_speaker);
        double chw[SYNTH_N_CHANNELS];
        memcpy(chw, CHANNEL_SHARE, sizeof chw);
        if (cu->senior) chw[SYNTH_CH_PHONE] *= 3, chw[SYNTH_CH_SOCIAL] *= 0.3;
        if (cu->zh) chw[SYNTH_CH_APP] *= 2, chw[SYNTH_CH_CHAT] *= 1.5;
        cu->channel = (uint8_t)tml_synth_rng_pick(&r, chw, SYNTH_N_CHANNELS);
        cu->grump = (float)tml_synth_rng_normal(&r);
        /* joined tenure months (+ part of a month) before the end of the window */
        double ago = (cu->tenure + tml_rng_uniform(&r)) * 30.44;
        cu->join_day = (int16_t)(g->days - (int)ago);
        if (cu->join_day >= g->shift_day) shift_customer(cu, g->cfg->shift, &rs);
        cu->last_sec = -1;
        rate[i] = customer_rate(cu, &r);
    }
}

/* Vose's alias method: O(1) draws of a customer in proportion to rate. rate is scratch. */
static void alias_build(Gen *g, double *rate, uint32_t *small, uint32_t *large) {
    int64_t n = g->cfg->n_customers;
    double total = 0;
    for (int64_t i = 0; i < n; i++) total += rate[i];
    int64_t ns = 0, nl = 0;
    for (int64_t i = 0; i < n; i++) {
        rate[i] = rate[i] * (double)n / total;
        if (rate[i] < 1.0) small[ns++] = (uint32_t)i;
        else large[nl++] = (uint32_t)i;
    }
    while (ns && nl) {
        uint32_t s = small[--ns], l = large[nl - 1];
        g->alias_prob[s] = (uint32_t)(rate[s] * 4294967295.0);
        g->alias[s] = l;
        rate[l] = (rate[l] + rate[s]) - 1.0;
        if (rate[l] < 1.0) {
            nl--;
            small[ns++] = l;
        }
    }
    while (nl) g->alias_prob[large[--nl]] = UINT32_MAX, g->alias[large[nl]] = large[nl];
    while (ns) g->alias_prob[small[--ns]] = UINT32_MAX, g->alias[small[ns]] = small[ns];
}

static uint32_t customer_draw(const Gen *g, SynthRng *r) {
    uint64_t x = tml_rng_next(r);
    uint32_t i = (uint32_t)(((x >> 32) * (uint64_t)g->cfg->n_customers) >> 32);
    return (uint32_t)x <= g->alias_prob[i] ? i : g->alias[i];
}

/* ---- calendar: outages, daily volume, queue load ----------------------------------------------- */
static void calendar_make(Gen *g) {
    SynthRng r;
    tml_synth_rng_seed(&r, g->cfg->seed, RNG_CALENDAR);
    int n_out = g->days / 25 + 1;
    for (int k = 0; k < n_out; k++) {
        int s = (int)tml_synth_rng_below(&r, (uint32_t)g->days), len = 1 + (int)tml_synth_rng_below(&r, 2);
        int region = (int)tml_synth_rng_below(&r, N_REGIONS);
        for (int d = s; d < s + len && d < g->days; d++) g->outage[d] |= (uint8_t)(1u << region);
    }
    double *w = g->day_weight, total = 0;
    for (int d = 0; d < g->days; d++) {
        int wd = tml_date_weekday(g->start_day + d);
        w[d] = (wd == 5 ? 0.72 : wd == 6 ? 0.6 : 1.0) * (1.0 + 0.2 * d / g->days);
        w[d] *= 1.0 + 0.08 * tml_synth_rng_normal(&r);
        if (w[d] < 0.2) w[d] = 0.2;
        if (g->outage[d]) w[d] *= 1.35;
        g->day_load[d] = (float)tml_synth_exp(0.3 * tml_synth_rng_normal(&r));
        total += w[d];
    }
    /* Cumulative rounding: the counts sum to exactly N. */
    double cum = 0;
    int64_t prev = 0, n = g->cfg->n_tickets;
    for (int d = 0; d < g->days; d++) {
        cum += w[d];
        int64_t upto = d == g->days - 1 ? n : (int64_t)((double)n * (cum / total));
        if (upto > n) upto = n;
        if (upto < prev) upto = prev;
        g->day_count[d] = upto - prev;
        prev = upto;
    }
}

/* ---- follow-up queue: a binary min-heap on time --------------------------------------------- */
static int heap_push(Gen *g, FollowUp f) {
    if (g->heap_n == g->heap_cap) {
        size_t cap = g->heap_cap ? g->heap_cap * 2 : 1024;
        FollowUp *h = realloc(g->heap, cap * sizeof *h);
        if (!h) return -1;
        g->heap = h;
        g->heap_cap = cap;
    }
    size_t i = g->heap_n++;
    while (i > 0 && g->heap[(i - 1) / 2].t > f.t) {
        g->heap[i] = g->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    g->heap[i] = f;
    return 0;
}

static FollowUp heap_pop(Gen *g) {
    FollowUp top = g->heap[0], last = g->heap[--g->heap_n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= g->heap_n) break;
        if (c + 1 < g->heap_n && g->heap[c + 1].t < g->heap[c].t) c++;
        if (g->heap[c].t >= last.t) break;
        g->heap[i] = g->heap[c];
        i = c;
    }
    if (g->heap_n) g->heap[i] = last;
    return top;
}

/* ---- one ticket ------------------------------------------------------------------------------ */
static int intent_draw(const SynthCustomer *cu, int outage_here, double shift, SynthRng *r) {
    double w[SYNTH_N_INTENTS];
    for (int i = 0; i < SYNTH_N_INTENTS; i++) w[i] = tml_synth_intents[i].prior;
    if (cu->contract == CONTRACT_M2M) w[SI_CANCEL_SUBSCRIPTION] *= 1.5, w[SI_BILLING_DISPUTE] *= 1.2;
    if (cu->contract == CONTRACT_TWO) w[SI_CANCEL_SUBSCRIPTION] *= 0.6, w[SI_CONTRACT_RENEWAL] *= 1.5;
    if (cu->tenure <= 3) {
        w[SI_DELIVERY_DELAY] *= 2.5, w[SI_SIM_REPLACEMENT] *= 2, w[SI_PASSWORD_RESET] *= 1.3;
        w[SI_CANCEL_SUBSCRIPTION] *= 0.7, w[SI_CONTRACT_RENEWAL] *= 0.3;
    }
    if (cu->tenure >= 48) w[SI_CONTRACT_RENEWAL] *= 1.5;
    if (cu->senior) w[SI_PASSWORD_RESET] *= 1.4, w[SI_ACCOUNT_LOCKED] *= 1.4;
    if (cu->plan == PLAN_BASIC) w[SI_UPGRADE_PLAN] *= 1.8;
    else if (cu->plan >= PLAN_PREMIUM) w[SI_ROAMING_ACTIVATION] *= 1.6, w[SI_UPGRADE_PLAN] *= 0.6;
    if (cu->grump > 0)
        w[SI_CANCEL_SUBSCRIPTION] *= 1.0 + 0.6 * cu->grump, w[SI_BILLING_DISPUTE] *= 1.0 + 0.3 * cu->grump;
    if (cu->monthly_cents > 9000) w[SI_BILLING_DISPUTE] *= 1.3, w[SI_CANCEL_SUBSCRIPTION] *= 1.2;
    if (cu->payment == PAY_ECHECK) w[SI_PAYMENT_FAILED] *= 1.3;
    if (outage_here) w[SI_NETWORK_OUTAGE] += 25, w[SI_SLOW_INTERNET] += 8;
    if (shift > 0) tml_synth_shift_intents(w, shift);
    return tml_synth_rng_pick(r, w, SYNTH_N_INTENTS);
}

typedef struct TicketRow {
    uint32_t customer;
    int intent, label, lang, sentiment, channel, repeat, minutes;
} TicketRow;

static void ticket_make(Gen *g, int day, int64_t t, SynthRng *r, TicketRow *row) {
    const TmlSynthConfig *cfg = g->cfg;
    int outage_day = g->outage[day] != 0;
    if (g->heap_n && g->heap[0].t <= t) {
        FollowUp f = heap_pop(g);
        row->customer = f.customer;
        row->intent = f.intent;
        row->repeat = f.repeat;
    } else {
        uint32_t c = customer_draw(g, r);
        /* customers who had not joined yet redraw; on outage days the hit region writes more */
        for (int k = 0; k < 16 && g->cust[c].join_day > day; k++) c = customer_draw(g, r);
        if (outage_day && tml_synth_rng_chance(r, 0.3))
            for (int k = 0; k < 8 && !((g->outage[day] >> g->cust[c].region) & 1); k++) {
                uint32_t c2 = customer_draw(g, r);
                if (g->cust[c2].join_day <= day) c = c2;
            }
        row->customer = c;
        row->intent = intent_draw(&g->cust[c], (g->outage[day] >> g->cust[c].region) & 1,
                                  day >= g->shift_day ? cfg->shift : 0, r);
        row->repeat = 0;
    }
    const SynthCustomer *cu = &g->cust[row->customer];

    double u = tml_rng_uniform(r);
    if (cu->zh) row->lang = u < 0.75 ? SYNTH_LANG_ZH : u < 0.95 ? SYNTH_LANG_MIXED : SYNTH_LANG_EN;
    else row->lang = u < g->p_zh_other ? SYNTH_LANG_ZH
                     : u < g->p_zh_other + g->p_mixed_other ? SYNTH_LANG_MIXED : SYNTH_LANG_EN;
    /* the drift knob: more English writers code-switch after the shift day */
    if (day >= g->shift_day && row->lang == SYNTH_LANG_EN && tml_synth_rng_chance(&g->shift_rng, 0.15 * cfg->shift))
        row->lang = SYNTH_LANG_MIXED;

    row->channel = tml_synth_rng_chance(r, 0.6) ? cu->channel : tml_synth_rng_pick(r, CHANNEL_SHARE, SYNTH_N_CHANNELS);

    /* first response: log-normal around the channel median, slower at night, on weekends, on
     * outage days and on busy days; fraud and lockouts jump the queue */
    int sec = (int)(t % 86400), hour = sec / 3600, wd = tml_date_weekday(g->start_day + day);
    double load = g->day_load[day];
    if (hour < 7 || hour >= 22) load *= 1.8;
    if (wd >= 5) load *= 1.5;
    if (outage_day) load *= 2.0;
    if (tml_synth_intents[row->intent].priority) load *= 0.4;
    double median = CHANNEL_MEDIAN[row->channel];
    double minutes = median * load * tml_synth_exp(0.9 * tml_synth_rng_normal(r));
    if (minutes > 10080) minutes = 10080;
    row->minutes = (int)minutes;

    /* sentiment: intent lean + how long they waited relative to the channel + repeats + temper */
    double lw = tml_synth_log(minutes / median + 0.05);
    if (lw > 3) lw = 3;
    int rep = row->repeat > 3 ? 3 : row->repeat;
    double s_neg = tml_synth_intents[row->intent].neg_bias - 0.55 + 0.55 * lw + 0.6 * rep + 0.45 * cu->grump;
    double s_pos = tml_synth_intents[row->intent].pos_bias - 0.4 - 0.35 * lw - 0.25 * cu->grump -
                   (row->repeat ? 0.5 : 0.0);
    double sw[3] = {tml_synth_exp(s_neg), 1.0, tml_synth_exp(s_pos)};
    row->sentiment = tml_synth_rng_pick(r, sw, 3);

    row->label = row->intent;
    if (tml_synth_rng_chance(r, cfg->label_noise)) {
        const int *cf = tml_synth_intents[row->intent].confuse;
        int n = 0;
        while (n < 3 && cf[n] >= 0) n++;
        if (n) row->label = cf[tml_synth_rng_below(r, (uint32_t)n)];
    }
}

/* Records the ticket in its customer's history and maybe schedules a follow-up contact. */
static int ticket_account(Gen *g, const TicketRow *row, int day, int64_t t, SynthRng *r,
                          TmlSynthStats *st) {
    SynthCustomer *cu = &g->cust[row->customer];
    int long_wait = row->minutes > 3 * CHANNEL_MEDIAN[row->channel];
    if (cu->last_sec >= 0 && t - cu->last_sec <= 7 * 86400) u16_inc(&cu->n_repeat);
    cu->last_sec = (int32_t)t;
    u16_inc(&cu->n_total);
    if (day >= g->days - 30) u16_inc(&cu->n_30);
    if (day >= g->days - 90) u16_inc(&cu->n_90);
    if (row->sentiment == SYNTH_SENT_NEG) u16_inc(&cu->n_neg);
    if (long_wait) u16_inc(&cu->n_long);
    if (row->intent == SI_CANCEL_SUBSCRIPTION) {
        cu->cancel_any = 1;
        if (day >= g->days - 90) cu->cancel_90 = 1;
    }
    st->n_zh += row->lang == SYNTH_LANG_ZH;
    st->n_mixed += row->lang == SYNTH_LANG_MIXED;
    st->n_negative += row->sentiment == SYNTH_SENT_NEG;
    st->n_positive += row->sentiment == SYNTH_SENT_POS;
    st->n_followups += row->repeat > 0;

    /* unresolved issues come back: more when angry, kept waiting, or the issue is a hard one */
    double p = 0.10 + (row->sentiment == SYNTH_SENT_NEG ? 0.15 : 0) + (long_wait ? 0.10 : 0);
    switch (row->intent) {
    case SI_NETWORK_OUTAGE: case SI_BILLING_DISPUTE: case SI_REFUND_REQUEST:
    case SI_DELIVERY_DELAY: case SI_TRANSFER_FAILED: case SI_SLOW_INTERNET: p += 0.10; break;
    default: break;
    }
    for (int k = 0; k < row->repeat; k++) p *= 0.7;
    if (tml_synth_rng_chance(r, p) && row->repeat < 250) {
        int64_t delay = 3600 + (int64_t)(-2.5 * 86400 * tml_synth_log(1.0 - tml_rng_uniform(r)));
        FollowUp f = {t + delay, row->customer, (uint8_t)row->intent, (uint8_t)(row->repeat + 1)};
        if (f.t < (int64_t)g->days * 86400 && heap_push(g, f)) return -1;
    }
    return 0;
}

/* ---- writing ------------------------------------------------------------------------------- */
static void out_id(SynthOut *o, char prefix, int64_t v, int width) {
    char s[24];
    int n = snprintf(s, sizeof s, "%c%0*lld", prefix, width, (long long)v);
    tml_synth_out_bytes(o, s, (size_t)n);
}

static void out_2d(char *s, int v) {
    s[0] = (char)('0' + v / 10);
    s[1] = (char)('0' + v % 10);
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int tickets_write(Gen *g, const char *dir, TmlSynthStats *st, TmlError *err) {
    const TmlSynthConfig *cfg = g->cfg;
    SynthOut o;
    if (tml_synth_out_open(&o, dir, "tickets.csv", err)) return -1;
    tml_synth_out_str(&o, "ticket_id,customer_id,created_at,channel,lang,text,intent,sentiment,"
                      "first_response_minutes\n");
    int64_t max_day = 0;
    for (int d = 0; d < g->days; d++)
        if (g->day_count[d] > max_day) max_day = g->day_count[d];
    int *secs = malloc(sizeof(int) * (size_t)(max_day ? max_day : 1));
    char *text = malloc(SYNTH_TEXT_MAX);
    if (!secs || !text) {
        free(secs);
        free(text);
        tml_synth_out_abort(&o);
        return tml_fail(err, "synth: out of memory for %lld tickets in one day", (long long)max_day);
    }
    SynthRng r, rt;
    tml_synth_rng_seed(&r, cfg->seed, RNG_TICKETS);
    tml_synth_rng_seed(&rt, cfg->seed, RNG_TEXT);
    int64_t id = 0, next_report = cfg->n_tickets / 10;
    double t0 = now_s();
    int rc = 0;
    for (int d = 0; d < g->days && !rc; d++) {
        int64_t n = g->day_count[d];
        for (int64_t k = 0; k < n; k++) {
            int h = tml_synth_rng_pick(&r, HOUR_WEIGHT, 24);
            secs[k] = h * 3600 + (int)tml_synth_rng_below(&r, 3600);
        }
        qsort(secs, (size_t)n, sizeof *secs, cmp_int);
        int y, m, dd;
        tml_date_to_civil(g->start_day + d, &y, &m, &dd);
        char stamp[21];
        snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT00:00:00Z", y, m, dd);
        for (int64_t k = 0; k < n; k++) {
            int64_t t = (int64_t)d * 86400 + secs[k];
            TicketRow row;
            ticket_make(g, d, t, &r, &row);
            SynthTicketSpec spec = {row.intent, row.lang, row.sentiment, row.channel, row.repeat,
                                    row.minutes > 3 * CHANNEL_MEDIAN[row.channel], row.minutes,
                                    tml_synth_rng_chance(&r, 0.05), cfg->typo_rate};
            size_t len = tml_synth_text_compose(&spec, &rt, text);
            if (d >= g->shift_day) len = tml_synth_shift_text(text, len, row.lang, cfg->shift, &g->shift_rng);

            out_id(&o, 'T', ++id, 8);
            tml_synth_out_char(&o, ',');
            out_id(&o, 'C', (int64_t)row.customer + 1, 7);
            tml_synth_out_char(&o, ',');
            out_2d(stamp + 11, secs[k] / 3600);
            out_2d(stamp + 14, secs[k] / 60 % 60);
            out_2d(stamp + 17, secs[k] % 60);
            tml_synth_out_bytes(&o, stamp, 20);
            tml_synth_out_char(&o, ',');
            tml_synth_out_str(&o, CHANNEL_NAMES[row.channel]);
            tml_synth_out_char(&o, ',');
            tml_synth_out_str(&o, LANG_NAMES[row.lang]);
            tml_synth_out_char(&o, ',');
            tml_synth_out_field(&o, text, len);
            tml_synth_out_char(&o, ',');
            tml_synth_out_str(&o, tml_synth_intents[row.label].name);
            tml_synth_out_char(&o, ',');
            tml_synth_out_str(&o, SENT_NAMES[row.sentiment]);
            tml_synth_out_char(&o, ',');
            tml_synth_out_int(&o, row.minutes);
            tml_synth_out_char(&o, '\n');

            if (ticket_account(g, &row, d, t, &r, st)) {
                rc = tml_fail(err, "synth: out of memory for the follow-up queue");
                break;
            }
            if (cfg->progress && id >= next_report && id < cfg->n_tickets) {
                double el = now_s() - t0;
                fprintf(stderr, "synth: %lld/%lld tickets (%d%%), %.1f s, %.0f MB\n", (long long)id,
                        (long long)cfg->n_tickets, (int)(100 * id / cfg->n_tickets), el,
                        o.bytes / 1e6);
                next_report += cfg->n_tickets / 10;
            }
        }
    }
    free(secs);
    free(text);
    st->n_tickets = id;
    st->bytes_tickets = o.bytes;
    if (rc) {
        tml_synth_out_abort(&o);
        return -1;
    }
    TML_ASSERT(id == cfg->n_tickets);
    return tml_synth_out_commit(&o, err);
}

/* Churn logit before the calibrated intercept: telco-like attribute effects plus the history the
 * stream produced (recent contacts, negative share, cancel requests, repeats, long waits). */
static double churn_score(const Gen *g, const SynthCustomer *cu) {
    double x = 0;
    x += cu->contract == CONTRACT_M2M ? 0.9 : cu->contract == CONTRACT_TWO ? -1.0 : 0.0;
    x += -0.028 * cu->tenure;
    x += 0.018 * (cu->monthly_cents / 100.0 - 65.0);
    x += cu->senior ? 0.3 : 0.0;
    x += cu->payment == PAY_ECHECK ? 0.35 : 0.0;
    x += 0.7 * tml_synth_log(1.0 + cu->n_30);
    x += 0.25 * tml_synth_log(1.0 + (cu->n_90 - cu->n_30));
    if (cu->n_total) {
        x += 1.4 * cu->n_neg / (double)cu->n_total;
        x += 0.6 * cu->n_long / (double)cu->n_total;
        if ((int64_t)g->days * 86400 - cu->last_sec <= 14 * 86400) x += 0.4;
    }
    x += cu->cancel_90 ? 1.3 : cu->cancel_any ? 0.4 : 0.0;
    x += 0.3 * tml_synth_log(1.0 + cu->n_repeat);
    return x;
}

static int customers_write(Gen *g, const char *dir, TmlSynthStats *st, TmlError *err) {
    const TmlSynthConfig *cfg = g->cfg;
    int64_t n = cfg->n_customers;
    float *score = malloc(sizeof(float) * (size_t)n);
    if (!score) return tml_fail(err, "synth: out of memory for %lld customers", (long long)n);
    for (int64_t i = 0; i < n; i++) score[i] = (float)churn_score(g, &g->cust[i]);
    /* intercept b with mean sigmoid(score + b) = churn_rate, on a subsample for large M */
    int64_t step = n > 200000 ? n / 200000 : 1;
    double lo = -20, hi = 20;
    for (int it = 0; it < 50; it++) {
        double b = 0.5 * (lo + hi), sum = 0;
        int64_t cnt = 0;
        for (int64_t i = 0; i < n; i += step, cnt++) sum += sigmoid(score[i] + b);
        if (sum / cnt < cfg->churn_rate) lo = b;
        else hi = b;
    }
    double b = 0.5 * (lo + hi);

    SynthOut o;
    if (tml_synth_out_open(&o, dir, "customers.csv", err)) {
        free(score);
        return -1;
    }
    tml_synth_out_str(&o, "customer_id,plan,tenure_months,monthly_charges,total_charges,contract,"
                      "payment_method,region,senior,churn\n");
    SynthRng rc, rch;
    tml_synth_rng_seed(&rc, cfg->seed, RNG_CHURN);
    tml_synth_rng_seed(&rch, cfg->seed, RNG_CHARGES);
    for (int64_t i = 0; i < n; i++) {
        const SynthCustomer *cu = &g->cust[i];
        int churn = tml_rng_uniform(&rc) < sigmoid(score[i] + b);
        st->n_churn += churn;
        out_id(&o, 'C', i + 1, 7);
        tml_synth_out_char(&o, ',');
        tml_synth_out_str(&o, PLAN_NAMES[cu->plan]);
        tml_synth_out_char(&o, ',');
        tml_synth_out_int(&o, cu->tenure);
        tml_synth_out_char(&o, ',');
        tml_synth_out_cents(&o, cu->monthly_cents);
        tml_synth_out_char(&o, ',');
        double noise = 1.0 + 0.04 * tml_synth_rng_normal(&rch); /* price changes, discounts, add-ons */
        if (cu->tenure > 0) {
            int64_t total = (int64_t)(cu->monthly_cents * (double)cu->tenure * noise + 0.5);
            if (total < cu->monthly_cents) total = cu->monthly_cents;
            tml_synth_out_cents(&o, total);
        } else {
            st->n_blank_total++;
        }
        tml_synth_out_char(&o, ',');
        tml_synth_out_str(&o, CONTRACT_NAMES[cu->contract]);
        tml_synth_out_char(&o, ',');
        tml_synth_out_str(&o, PAY_NAMES[cu->payment]);
        tml_synth_out_char(&o, ',');
        tml_synth_out_str(&o, REGION_NAMES[cu->region]);
        tml_synth_out_char(&o, ',');
        tml_synth_out_char(&o, cu->senior ? '1' : '0');
        tml_synth_out_char(&o, ',');
        tml_synth_out_str(&o, churn ? "Yes\n" : "No\n");
    }
    free(score);
    st->n_customers = n;
    st->bytes_customers = o.bytes;
    return tml_synth_out_commit(&o, err);
}

static int readme_write(const Gen *g, const char *dir, const TmlSynthStats *st, TmlError *err) {
    const TmlSynthConfig *c = g->cfg;
    SynthOut o;
    if (tml_synth_out_open(&o, dir, "README.txt", err)) return -1;
    char buf[4096];
    int y, m, d;
    tml_date_to_civil(g->start_day + g->days - 1, &y, &m, &d);
    snprintf(buf, sizeof buf,
             "Synthetic customer-service corpus written by `ticketml synth` (generator %s).\n"
             "Every value is generated; no real customer is described. Same settings -> same bytes.\n"
             "\n"
             "seed: %llu\n"
             "tickets: %lld\n"
             "customers: %lld\n"
             "window: %s .. %04d-%02d-%02d (%d days); churn is as of the day after the window\n"
             "knobs: zh_share=%.3f mixed_share=%.3f typo_rate=%.4f label_noise=%.3f churn_rate=%.3f\n"
             "\n"
             "tickets.csv: ticket_id,customer_id,created_at,channel,lang,text,intent,sentiment,"
             "first_response_minutes\n"
             "customers.csv: customer_id,plan,tenure_months,monthly_charges,total_charges,contract,"
             "payment_method,region,senior,churn\n"
             "\n"
             "observed: zh %.1f%%, mixed %.1f%%, negative %.1f%%, positive %.1f%%, follow-ups %.1f%%, "
             "churn %.1f%%, blank total_charges %lld\n"
             "%d intents; reproduce with: ticketml synth --tickets %lld --customers %lld --seed %llu "
             "--start-date %s --days %d --out DIR\n"
             "Schema and generative story: docs/synth.md in the ticketml sources.\n",
             TML_SYNTH_VERSION, (unsigned long long)c->seed, (long long)c->n_tickets,
             (long long)c->n_customers, c->start_date, y, m, d, g->days, c->zh_share, c->mixed_share,
             c->typo_rate, c->label_noise, c->churn_rate, 100.0 * st->n_zh / st->n_tickets,
             100.0 * st->n_mixed / st->n_tickets, 100.0 * st->n_negative / st->n_tickets,
             100.0 * st->n_positive / st->n_tickets, 100.0 * st->n_followups / st->n_tickets,
             100.0 * st->n_churn / st->n_customers, (long long)st->n_blank_total, SYNTH_N_INTENTS,
             (long long)c->n_tickets, (long long)c->n_customers, (unsigned long long)c->seed,
             c->start_date, g->days);
    tml_synth_out_str(&o, buf);
    if (c->shift_date) { /* only then: an unshifted corpus keeps its bytes */
        snprintf(buf, sizeof buf, "drift knob: shifted from %s at strength %.3f (add --shift-date %s --shift %.3f)\n",
                 c->shift_date, c->shift, c->shift_date, c->shift);
        tml_synth_out_str(&o, buf);
    }
    return tml_synth_out_commit(&o, err);
}

/* mkdir -p: creates dir and missing parents. */
static int make_dirs(const char *dir, TmlError *err) {
    size_t n = strlen(dir);
    if (n == 0) return tml_fail(err, "synth: --out is empty; give a directory");
    char *p = malloc(n + 1);
    if (!p) return tml_fail(err, "synth: out of memory");
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0) continue;
        char keep = p[i];
        p[i] = 0;
        if (mkdir(p, 0777) && errno != EEXIST) {
            int e = errno;
            tml_fail(err, "%s: cannot create directory (%s); choose another --out", p, strerror(e));
            free(p);
            return -1;
        }
        p[i] = keep;
    }
    free(p);
    struct stat sb;
    if (stat(dir, &sb) || !S_ISDIR(sb.st_mode))
        return tml_fail(err, "%s: exists and is not a directory; choose another --out", dir);
    return 0;
}

int tml_synth_write(const TmlSynthConfig *cfg, const char *dir, TmlSynthStats *stats, TmlError *err) {
    if (tml_synth_config_check(cfg, err)) return -1;
    if (!dir) return tml_fail(err, "synth: no output directory given; pass --out DIR");
    if (make_dirs(dir, err)) return -1;
    TmlSynthStats st_local;
    TmlSynthStats *st = stats ? stats : &st_local;
    memset(st, 0, sizeof *st);

    Gen g;
    memset(&g, 0, sizeof g);
    g.cfg = cfg;
    g.days = cfg->days;
    tml_synth_parse_date(cfg->start_date, &g.start_day);
    g.shift_day = INT64_MAX;
    if (cfg->shift_date) {
        tml_synth_parse_date(cfg->shift_date, &g.shift_day);
        g.shift_day -= g.start_day;
    }
    tml_synth_rng_seed(&g.shift_rng, cfg->seed, RNG_SHIFT_TICKETS);
    /* zh speakers write 75% zh / 20% mixed; everyone else tops the shares up to the targets */
    g.p_speaker = cfg->zh_share / 0.8 > 1.0 ? 1.0 : cfg->zh_share / 0.8;
    if (g.p_speaker < 1.0) {
        g.p_zh_other = (cfg->zh_share - 0.75 * g.p_speaker) / (1.0 - g.p_speaker);
        g.p_mixed_other = (cfg->mixed_share - 0.20 * g.p_speaker) / (1.0 - g.p_speaker);
        if (g.p_zh_other < 0) g.p_zh_other = 0;
        if (g.p_mixed_other < 0) g.p_mixed_other = 0;
    }
    size_t m = (size_t)cfg->n_customers;
    g.cust = calloc(m, sizeof *g.cust);
    g.alias = malloc(m * sizeof *g.alias);
    g.alias_prob = malloc(m * sizeof *g.alias_prob);
    g.outage = calloc((size_t)g.days, 1);
    g.day_load = malloc(sizeof(float) * (size_t)g.days);
    g.day_count = malloc(sizeof(int64_t) * (size_t)g.days);
    g.day_weight = malloc(sizeof(double) * (size_t)g.days);
    double *rate = malloc(m * sizeof *rate);
    uint32_t *small = malloc(m * sizeof *small), *large = malloc(m * sizeof *large);
    int rc = -1;
    if (!g.cust || !g.alias || !g.alias_prob || !g.outage || !g.day_load || !g.day_count || !g.day_weight ||
        !rate ||
        !small || !large) {
        tml_fail(err, "synth: out of memory for %lld customers (~%lld MB); use fewer --customers",
                 (long long)cfg->n_customers, (long long)(m * 64 / 1000000));
        goto done;
    }
    customers_make(&g, rate);
    alias_build(&g, rate, small, large);
    free(rate), free(small), free(large);
    rate = NULL, small = large = NULL;
    calendar_make(&g);
    if (tickets_write(&g, dir, st, err)) goto done;
    if (customers_write(&g, dir, st, err) || readme_write(&g, dir, st, err)) {
        /* a half corpus (tickets without matching customers) is worse than none */
        size_t n = strlen(dir) + 16;
        char *p = malloc(n);
        if (p) {
            snprintf(p, n, "%s/tickets.csv", dir);
            remove(p);
            snprintf(p, n, "%s/customers.csv", dir);
            remove(p);
            free(p);
        }
        goto done;
    }
    rc = 0;
done:
    free(rate), free(small), free(large);
    free(g.cust), free(g.alias), free(g.alias_prob), free(g.outage), free(g.day_load);
    free(g.day_count), free(g.day_weight), free(g.heap);
    return rc;
}
