/* history.c — ticket-history aggregates for churn: each customer's tickets up to a cutoff day,
 * counted in windows, timed, and broken down by sentiment and intent. Works on whole days (the
 * date part of each timestamp as written), so results do not depend on the machine's time zone.
 * Every feature is defined in docs/data.md ("Ticket-history features"). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/date.h"
#include "data/history.h"

enum { HIST_BASE = 8 }; /* features before the per-intent counts */
static const char *const BASE_NAMES[HIST_BASE] = {
    "tickets_7d",          "tickets_30d",        "tickets_90d",  "tickets_total", "days_since_last_ticket",
    "negative_share",      "mean_first_response_minutes", "repeat_contacts_7d"};

void tml_history_config_default(TmlHistoryConfig *c) {
    c->customer_col = "customer_id";
    c->time_col = "created_at";
    c->sentiment_col = "sentiment";
    c->intent_col = "intent";
    c->response_col = "first_response_minutes";
    c->cutoff = NULL;
}

/* ---- join and aggregate ---------------------------------------------------------------------- */

typedef struct HistKey {
    const char *id;
    int64_t row;
} HistKey;

typedef struct HistTicket {
    int64_t group;  /* index into the unique customer ids */
    int64_t day;
    int negative;   /* 1 negative, 0 other, -1 no sentiment */
    double response;/* NAN when absent */
    int intent;     /* index into intents, -1 none */
} HistTicket;

static int cmp_key(const void *a, const void *b) {
    const HistKey *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}
static int cmp_ticket(const void *a, const void *b) {
    const HistTicket *x = a, *y = b;
    if (x->group != y->group) return (x->group > y->group) - (x->group < y->group);
    return (x->day > y->day) - (x->day < y->day);
}
static int cmp_cstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Trimmed copy into buf (truncated to n-1 bytes). */
static const char *trim_into(const char *s, char *buf, size_t n) {
    while (isspace((unsigned char)*s)) s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1])) len--;
    if (len >= n) len = n - 1;
    memcpy(buf, s, len);
    buf[len] = 0;
    return buf;
}

/* Optional column: index, or -1 when the config names none or the file lacks it. */
static int optional_col(const TmlTable *t, const char *name) {
    return name && *name ? tml_table_col(t, name, NULL) : -1;
}

/* The state of one join: the columns, the customers grouped by id, the joined tickets. */
typedef struct Hist {
    const TmlTable *customers, *tickets;
    int cc, tc, tt, ts, ti, tr;   /* customer id (customers, tickets), time, sentiment, intent, response */
    const char *time_name, *resp_name;
    int64_t nc, n_groups;
    HistKey *keys;                /* (nc) customer ids, sorted */
    int64_t *group_of_row;        /* (nc) group of each customer row */
    HistTicket *tk;               /* (n_tk) joined tickets */
    int64_t n_tk;
    char **intents;               /* (n_intents) intents: per ticket while joining, then the sorted unique ones */
    int64_t n_intents;
    int64_t cutoff;
} Hist;

/* Unique customer ids -> groups (rows sharing an id share a group). */
static void group_customers(Hist *h) {
    for (int64_t r = 0; r < h->nc; r++) h->keys[r] = (HistKey){tml_table_cell(h->customers, r, h->cc), r};
    qsort(h->keys, (size_t)h->nc, sizeof *h->keys, cmp_key);
    h->n_groups = 0;
    for (int64_t i = 0; i < h->nc; i++) {
        if (i > 0 && strcmp(h->keys[i].id, h->keys[i - 1].id) != 0) h->n_groups++;
        h->group_of_row[h->keys[i].row] = h->n_groups;
    }
    if (h->nc) h->n_groups++;
}

/* Index of id among the sorted customer keys, or -1. */
static int64_t find_customer(const Hist *h, const char *id) {
    int64_t lo = 0, hi = h->nc - 1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(id, h->keys[mid].id);
        if (cmp == 0) return mid;
        if (cmp < 0) hi = mid - 1;
        else lo = mid + 1;
    }
    return -1;
}

/* Sentiment, first-response minutes and intent of ticket row r into t. 0, or -1 on a bad number. */
static int read_ticket(Hist *h, int64_t r, HistTicket *t, TmlError *err) {
    char buf[512];
    t->negative = -1;
    if (h->ts >= 0) {
        trim_into(tml_table_cell(h->tickets, r, h->ts), buf, sizeof buf);
        if (*buf) t->negative = strcasecmp(buf, "negative") == 0;
    }
    t->response = NAN;
    if (h->tr >= 0) {
        const char *s = tml_table_cell(h->tickets, r, h->tr);
        trim_into(s, buf, sizeof buf);
        if (*buf) {
            char *end;
            double v = strtod(buf, &end);
            if (*end || !isfinite(v) || v < 0)
                return tml_fail(err, "%s:%lld: column \"%s\" holds \"%s\", not a number of minutes >= 0; fix it or "
                                "leave it blank", h->tickets->path, (long long)h->tickets->lines[r], h->resp_name, s);
            t->response = v;
        }
    }
    t->intent = -1;
    if (h->ti >= 0) {
        const char *s = tml_table_cell(h->tickets, r, h->ti);
        while (isspace((unsigned char)*s)) s++;
        if (*s) t->intent = (int)h->n_intents, h->intents[h->n_intents++] = (char *)s; /* resolved later */
    }
    return 0;
}

/* The tickets of known customers up to the cutoff (given, else the latest ticket's day). */
static int join_tickets(Hist *h, const char *cutoff_s, TmlError *err) {
    h->cutoff = INT64_MIN;
    if (cutoff_s && *cutoff_s && tml_date_parse_iso(cutoff_s, &h->cutoff) < 0)
        return tml_fail(err, "cutoff \"%s\" is not an ISO date; write YYYY-MM-DD, e.g. 2025-03-01", cutoff_s);
    h->n_tk = 0;
    for (int64_t r = 0; r < h->tickets->n_rows; r++) {
        const char *ts_s = tml_table_cell(h->tickets, r, h->tt);
        int64_t day;
        if (tml_date_parse_iso(ts_s, &day) < 0)
            return tml_fail(err, "%s:%lld: column \"%s\" holds \"%s\", not an ISO date; write YYYY-MM-DD or "
                            "YYYY-MM-DDTHH:MM:SS", h->tickets->path, (long long)h->tickets->lines[r], h->time_name, ts_s);
        if (!(cutoff_s && *cutoff_s) && day > h->cutoff) h->cutoff = day;
        const char *id = tml_table_cell(h->tickets, r, h->tc);
        int64_t found = find_customer(h, id);
        if (found < 0 || !*id) continue; /* ticket of a customer not in this file */
        HistTicket *t = &h->tk[h->n_tk];
        t->group = h->group_of_row[h->keys[found].row];
        t->day = day;
        if (read_ticket(h, r, t, err) < 0) return -1;
        h->n_tk++;
    }
    /* tickets after the cutoff do not exist yet */
    int64_t kept = 0;
    for (int64_t i = 0; i < h->n_tk; i++)
        if (h->tk[i].day <= h->cutoff) h->tk[kept++] = h->tk[i];
    h->n_tk = kept;
    return 0;
}

/* The intents seen in the kept tickets, sorted and unique; each ticket's intent becomes its index. */
static int index_intents(Hist *h) {
    char **seen = malloc((size_t)(h->n_tk ? h->n_tk : 1) * sizeof *seen);
    if (!seen) return -1;
    int64_t ns = 0;
    for (int64_t i = 0; i < h->n_tk; i++)
        if (h->tk[i].intent >= 0) seen[ns++] = h->intents[h->tk[i].intent];
    qsort(seen, (size_t)ns, sizeof *seen, cmp_cstr);
    int64_t nu = 0;
    for (int64_t i = 0; i < ns; i++)
        if (nu == 0 || strcmp(seen[i], seen[nu - 1]) != 0) seen[nu++] = seen[i];
    for (int64_t i = 0; i < h->n_tk; i++) {
        if (h->tk[i].intent < 0) continue;
        const char *s = h->intents[h->tk[i].intent];
        int64_t lo = 0, hi = nu - 1;
        while (lo <= hi) {
            int64_t mid = (lo + hi) / 2;
            int cmp = strcmp(s, seen[mid]);
            if (cmp == 0) {
                h->tk[i].intent = (int)mid;
                break;
            }
            if (cmp < 0) hi = mid - 1;
            else lo = mid + 1;
        }
    }
    free(h->intents);
    h->intents = seen;
    h->n_intents = nu;
    return 0;
}

/* The feature names: the base ones, then tickets_intent=<intent> per intent. NULL when out of memory. */
static char **feature_names(const Hist *h, int d) {
    char **nm = calloc((size_t)d, sizeof *nm);
    if (!nm) return NULL;
    for (int k = 0; k < d; k++) {
        if (k < HIST_BASE) {
            nm[k] = strdup(BASE_NAMES[k]);
        } else {
            size_t len = strlen(h->intents[k - HIST_BASE]) + 16;
            if ((nm[k] = malloc(len))) snprintf(nm[k], len, "tickets_intent=%s", h->intents[k - HIST_BASE]);
        }
        if (!nm[k]) {
            for (int i = 0; i < k; i++) free(nm[i]);
            free(nm);
            return NULL;
        }
    }
    return nm;
}

/* One pass over each customer's tickets in date order into feat (n_groups, d). */
static void aggregate(Hist *h, double *feat, int d) {
    HistTicket *tk = h->tk;
    qsort(tk, (size_t)h->n_tk, sizeof *tk, cmp_ticket);
    for (int64_t g = 0; g < h->n_groups; g++) feat[g * d + 4] = 365; /* no ticket yet */
    for (int64_t i = 0; i < h->n_tk;) {
        int64_t g = tk[i].group, j = i;
        double *f = feat + g * d;
        int64_t n_sent = 0, n_neg = 0, n_resp = 0;
        double resp = 0;
        for (; j < h->n_tk && tk[j].group == g; j++) {
            int64_t age = h->cutoff - tk[j].day;
            f[0] += age < 7;
            f[1] += age < 30;
            f[2] += age < 90;
            f[3] += 1;
            if (tk[j].negative >= 0) n_sent++, n_neg += tk[j].negative;
            if (!isnan(tk[j].response)) n_resp++, resp += tk[j].response;
            if (j > i && tk[j].day - tk[j - 1].day <= 7) f[7] += 1;
            if (tk[j].intent >= 0) f[HIST_BASE + tk[j].intent] += 1;
        }
        f[4] = (double)(h->cutoff - tk[j - 1].day);
        f[5] = n_sent ? (double)n_neg / (double)n_sent : 0;
        f[6] = n_resp ? resp / (double)n_resp : 0;
        i = j;
    }
}

/* The columns the config names (defaults where it names none); -1 when a required one is missing. */
static int find_columns(Hist *h, const TmlHistoryConfig *c, TmlError *err) {
    TmlHistoryConfig def;
    tml_history_config_default(&def);
    const char *cust_name = c && c->customer_col ? c->customer_col : def.customer_col;
    h->time_name = c && c->time_col ? c->time_col : def.time_col;
    h->resp_name = c ? c->response_col : def.response_col;
    if ((h->cc = tml_table_col(h->customers, cust_name, err)) < 0 ||
        (h->tc = tml_table_col(h->tickets, cust_name, err)) < 0 ||
        (h->tt = tml_table_col(h->tickets, h->time_name, err)) < 0)
        return -1;
    h->ts = optional_col(h->tickets, c ? c->sentiment_col : def.sentiment_col);
    h->ti = optional_col(h->tickets, c ? c->intent_col : def.intent_col);
    h->tr = optional_col(h->tickets, h->resp_name);
    return 0;
}

int tml_history_features(const TmlHistoryConfig *c, const TmlTable *customers, const TmlTable *tickets, float **out,
                         int *dim, char ***names, TmlError *err) {
    *out = NULL;
    *names = NULL;
    *dim = 0;
    Hist h = {.customers = customers, .tickets = tickets, .nc = customers->n_rows};
    if (find_columns(&h, c, err) < 0) return -1;
    int64_t nc = h.nc, nt = tickets->n_rows;
    h.keys = malloc((size_t)(nc ? nc : 1) * sizeof *h.keys);
    h.group_of_row = malloc((size_t)(nc ? nc : 1) * sizeof *h.group_of_row);
    h.tk = malloc((size_t)(nt ? nt : 1) * sizeof *h.tk);
    h.intents = malloc((size_t)(nt ? nt : 1) * sizeof *h.intents);
    double *feat = NULL; /* (n_groups, d) accumulators */
    char **nm = NULL;
    int rc = -1, d = 0;
    if (!h.keys || !h.group_of_row || !h.tk || !h.intents) goto oom;
    group_customers(&h);
    if (join_tickets(&h, c ? c->cutoff : NULL, err) < 0) goto done;
    if (index_intents(&h) < 0) goto oom;
    d = HIST_BASE + (int)h.n_intents;
    feat = calloc((size_t)(h.n_groups ? h.n_groups : 1) * (size_t)d, sizeof *feat);
    if (!feat || !(nm = feature_names(&h, d))) goto oom;
    aggregate(&h, feat, d);
    if (!(*out = malloc((size_t)(nc ? nc : 1) * (size_t)d * sizeof **out))) goto oom;
    for (int64_t r = 0; r < nc; r++)
        for (int k = 0; k < d; k++) (*out)[r * d + k] = (float)feat[h.group_of_row[r] * d + k];
    *names = nm;
    nm = NULL;
    *dim = d;
    rc = 0;
    goto done;
oom:
    tml_fail(err, "%s: out of memory computing ticket-history features", tickets->path);
done:
    if (nm)
        for (int k = 0; k < d; k++) free(nm[k]);
    free(nm);
    free(feat);
    free(h.keys);
    free(h.group_of_row);
    free(h.tk);
    free(h.intents);
    return rc;
}
