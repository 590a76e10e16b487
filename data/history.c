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

int tml_history_features(const TmlHistoryConfig *c, const TmlTable *customers, const TmlTable *tickets, float **out,
                         int *dim, char ***names, TmlError *err) {
    TmlHistoryConfig def;
    tml_history_config_default(&def);
    const char *cust_name = c && c->customer_col ? c->customer_col : def.customer_col;
    const char *time_name = c && c->time_col ? c->time_col : def.time_col;
    const char *sent_name = c ? c->sentiment_col : def.sentiment_col;
    const char *intent_name = c ? c->intent_col : def.intent_col;
    const char *resp_name = c ? c->response_col : def.response_col;
    const char *cutoff_s = c ? c->cutoff : NULL;
    *out = NULL;
    *names = NULL;
    *dim = 0;

    int cc = tml_table_col(customers, cust_name, err);
    if (cc < 0) return -1;
    int tc = tml_table_col(tickets, cust_name, err);
    if (tc < 0) return -1;
    int tt = tml_table_col(tickets, time_name, err);
    if (tt < 0) return -1;
    int ts = optional_col(tickets, sent_name), ti = optional_col(tickets, intent_name),
        tr = optional_col(tickets, resp_name);

    int rc = -1;
    int64_t nc = customers->n_rows, nt = tickets->n_rows;
    HistKey *keys = malloc((size_t)(nc ? nc : 1) * sizeof *keys);
    int64_t *group_of_row = malloc((size_t)(nc ? nc : 1) * sizeof *group_of_row);
    HistTicket *tk = malloc((size_t)(nt ? nt : 1) * sizeof *tk);
    char **intents = malloc((size_t)(nt ? nt : 1) * sizeof *intents);
    double *feat = NULL; /* (n_groups, dim) accumulators */
    int64_t n_intents = 0, n_groups = 0;
    char **nm = NULL;
    if (!keys || !group_of_row || !tk || !intents) goto oom;

    /* unique customer ids -> groups */
    for (int64_t r = 0; r < nc; r++) keys[r] = (HistKey){tml_table_cell(customers, r, cc), r};
    qsort(keys, (size_t)nc, sizeof *keys, cmp_key);
    for (int64_t i = 0; i < nc; i++) {
        if (i > 0 && strcmp(keys[i].id, keys[i - 1].id) != 0) n_groups++;
        group_of_row[keys[i].row] = n_groups;
    }
    if (nc) n_groups++;

    /* dates, the cutoff, and the ticket rows that join */
    int64_t cutoff = INT64_MIN;
    if (cutoff_s && *cutoff_s && tml_date_parse_iso(cutoff_s, &cutoff) < 0) {
        tml_fail(err, "cutoff \"%s\" is not an ISO date; write YYYY-MM-DD, e.g. 2025-03-01", cutoff_s);
        goto done;
    }
    int64_t n_tk = 0;
    char buf[512];
    for (int64_t r = 0; r < nt; r++) {
        const char *ts_s = tml_table_cell(tickets, r, tt);
        int64_t day;
        if (tml_date_parse_iso(ts_s, &day) < 0) {
            tml_fail(err, "%s:%lld: column \"%s\" holds \"%s\", not an ISO date; write YYYY-MM-DD or "
                     "YYYY-MM-DDTHH:MM:SS", tickets->path, (long long)tickets->lines[r], time_name, ts_s);
            goto done;
        }
        if (!(cutoff_s && *cutoff_s) && day > cutoff) cutoff = day;
        /* join: binary search the sorted ids */
        const char *id = tml_table_cell(tickets, r, tc);
        int64_t lo = 0, hi = nc - 1, found = -1;
        while (lo <= hi) {
            int64_t mid = lo + (hi - lo) / 2;
            int cmp = strcmp(id, keys[mid].id);
            if (cmp == 0) {
                found = mid;
                break;
            }
            if (cmp < 0) hi = mid - 1;
            else lo = mid + 1;
        }
        if (found < 0 || !*id) continue; /* ticket of a customer not in this file */
        HistTicket *h = &tk[n_tk];
        h->group = group_of_row[keys[found].row];
        h->day = day;
        h->negative = -1;
        if (ts >= 0) {
            trim_into(tml_table_cell(tickets, r, ts), buf, sizeof buf);
            if (*buf) h->negative = strcasecmp(buf, "negative") == 0;
        }
        h->response = NAN;
        if (tr >= 0) {
            const char *s = tml_table_cell(tickets, r, tr);
            trim_into(s, buf, sizeof buf);
            if (*buf) {
                char *end;
                double v = strtod(buf, &end);
                if (*end || !isfinite(v) || v < 0) {
                    tml_fail(err, "%s:%lld: column \"%s\" holds \"%s\", not a number of minutes >= 0; fix it or "
                             "leave it blank", tickets->path, (long long)tickets->lines[r], resp_name, s);
                    goto done;
                }
                h->response = v;
            }
        }
        h->intent = -1;
        if (ti >= 0) {
            const char *s = tml_table_cell(tickets, r, ti);
            while (isspace((unsigned char)*s)) s++;
            if (*s) h->intent = (int)n_intents, intents[n_intents++] = (char *)s; /* resolved below */
        }
        n_tk++;
    }
    /* tickets after the cutoff do not exist yet */
    int64_t kept = 0;
    for (int64_t i = 0; i < n_tk; i++)
        if (tk[i].day <= cutoff) tk[kept++] = tk[i];
    n_tk = kept;

    /* intents seen in the kept tickets, sorted; then map each ticket's intent to its index */
    {
        char **seen = malloc((size_t)(n_tk ? n_tk : 1) * sizeof *seen);
        if (!seen) goto oom;
        int64_t ns = 0;
        for (int64_t i = 0; i < n_tk; i++)
            if (tk[i].intent >= 0) seen[ns++] = intents[tk[i].intent];
        qsort(seen, (size_t)ns, sizeof *seen, cmp_cstr);
        int64_t nu = 0;
        for (int64_t i = 0; i < ns; i++)
            if (nu == 0 || strcmp(seen[i], seen[nu - 1]) != 0) seen[nu++] = seen[i];
        for (int64_t i = 0; i < n_tk; i++) {
            if (tk[i].intent < 0) continue;
            const char *s = intents[tk[i].intent];
            int64_t lo = 0, hi = nu - 1;
            while (lo <= hi) {
                int64_t mid = (lo + hi) / 2;
                int cmp = strcmp(s, seen[mid]);
                if (cmp == 0) {
                    tk[i].intent = (int)mid;
                    break;
                }
                if (cmp < 0) hi = mid - 1;
                else lo = mid + 1;
            }
        }
        free(intents);
        intents = seen;
        n_intents = nu;
    }

    int d = HIST_BASE + (int)n_intents;
    nm = calloc((size_t)d, sizeof *nm);
    feat = calloc((size_t)(n_groups ? n_groups : 1) * (size_t)d, sizeof *feat);
    if (!nm || !feat) goto oom;
    for (int k = 0; k < HIST_BASE; k++)
        if (!(nm[k] = strdup(BASE_NAMES[k]))) goto oom;
    for (int64_t k = 0; k < n_intents; k++) {
        size_t len = strlen(intents[k]) + 16;
        if (!(nm[HIST_BASE + k] = malloc(len))) goto oom;
        snprintf(nm[HIST_BASE + k], len, "tickets_intent=%s", intents[k]);
    }

    /* one pass over each customer's tickets in date order */
    qsort(tk, (size_t)n_tk, sizeof *tk, cmp_ticket);
    for (int64_t g = 0; g < n_groups; g++) feat[g * d + 4] = 365; /* no ticket yet */
    for (int64_t i = 0; i < n_tk;) {
        int64_t g = tk[i].group, j = i;
        double *f = feat + g * d;
        int64_t n_sent = 0, n_neg = 0, n_resp = 0;
        double resp = 0;
        for (; j < n_tk && tk[j].group == g; j++) {
            int64_t age = cutoff - tk[j].day;
            f[0] += age < 7;
            f[1] += age < 30;
            f[2] += age < 90;
            f[3] += 1;
            if (tk[j].negative >= 0) n_sent++, n_neg += tk[j].negative;
            if (!isnan(tk[j].response)) n_resp++, resp += tk[j].response;
            if (j > i && tk[j].day - tk[j - 1].day <= 7) f[7] += 1;
            if (tk[j].intent >= 0) f[HIST_BASE + tk[j].intent] += 1;
        }
        f[4] = (double)(cutoff - tk[j - 1].day);
        f[5] = n_sent ? (double)n_neg / (double)n_sent : 0;
        f[6] = n_resp ? resp / (double)n_resp : 0;
        i = j;
    }

    *out = malloc((size_t)(nc ? nc : 1) * (size_t)d * sizeof **out);
    if (!*out) goto oom;
    for (int64_t r = 0; r < nc; r++)
        for (int k = 0; k < d; k++) (*out)[r * d + k] = (float)feat[group_of_row[r] * d + k];
    *names = nm;
    nm = NULL;
    *dim = d;
    rc = 0;
    goto done;
oom:
    tml_fail(err, "%s: out of memory computing ticket-history features", tickets->path);
done:
    if (nm)
        for (int k = 0; k < HIST_BASE + n_intents; k++) free(nm[k]);
    free(nm);
    free(feat);
    free(keys);
    free(group_of_row);
    free(tk);
    free(intents);
    return rc;
}
