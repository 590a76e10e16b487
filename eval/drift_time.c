/* drift_time.c — the time view: when the files carry a timestamp column ([data] time, or
 * --time), the monitor's numbers per day, week or month of each side, so a trend shows (a slow
 * slide, or a jump on the day a product launched) instead of one number for the whole file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/date.h"
#include "eval/drift_internal.h"

#define MAX_SLOTS 4000 /* periods per side; a longer span is shown per month */

typedef struct Acc {
    int64_t rows, labelled, correct, tokens, unseen, manual;
    double conf;
    int64_t *pred; /* (C) */
} Acc;

static int64_t period_start(int64_t day, int kind) {
    if (kind == 0) return day;
    if (kind == 1) return day - tml_date_weekday(day);
    int y, m, d;
    tml_date_to_civil(day, &y, &m, &d);
    return tml_date_from_civil(y, m, 1);
}

/* Slot of a period start relative to the first period start lo. */
static int64_t slot_of(int64_t start, int64_t lo, int kind) {
    if (kind == 0) return start - lo;
    if (kind == 1) return (start - lo) / 7;
    int y0, m0, d0, y, m, d;
    tml_date_to_civil(lo, &y0, &m0, &d0);
    tml_date_to_civil(start, &y, &m, &d);
    return (int64_t)(y - y0) * 12 + (m - m0);
}

/* Days of every row of one side (INT64_MIN where the cell does not parse); the count of those. */
static int64_t parse_days(const TmlDriftRows *s, int col, int64_t *days, int64_t *lo, int64_t *hi) {
    int64_t bad = 0;
    for (int64_t i = 0; i < s->table->n_rows; i++) {
        int64_t d;
        if (tml_date_parse_iso(tml_table_cell(s->table, i, col), &d)) {
            days[i] = INT64_MIN;
            bad++;
            continue;
        }
        days[i] = d;
        if (d < *lo) *lo = d;
        if (d > *hi) *hi = d;
    }
    return bad;
}

static int add_side(const TmlDriftRows *s, int side, const int64_t *days, int kind, int64_t lo, TmlDriftResult *r) {
    int C = r->C;
    int64_t hi_slot = -1;
    for (int64_t i = 0; i < s->table->n_rows; i++)
        if (days[i] != INT64_MIN) {
            int64_t k = slot_of(period_start(days[i], kind), lo, kind);
            if (k > hi_slot) hi_slot = k;
        }
    if (hi_slot < 0) return 0;
    int64_t n_slots = hi_slot + 1;
    Acc *acc = calloc((size_t)n_slots, sizeof *acc);
    int64_t *pred = calloc((size_t)(n_slots * C), sizeof *pred);
    double *share = malloc(sizeof *share * (size_t)C), *refs = malloc(sizeof *refs * (size_t)C);
    int rc = -1;
    if (!acc || !pred || !share || !refs) goto done;
    for (int64_t i = 0; i < s->table->n_rows; i++) {
        if (days[i] == INT64_MIN) continue;
        Acc *a = &acc[slot_of(period_start(days[i], kind), lo, kind)];
        a->pred = pred + (a - acc) * C;
        a->rows++;
        a->pred[s->pred[i]]++;
        a->conf += s->conf[i];
        a->manual += s->conf[i] < r->auto_threshold;
        if (s->ds->labels[i] >= 0) {
            a->labelled++;
            a->correct += s->ds->labels[i] == s->pred[i];
        }
        if (s->n_unseen && s->n_unseen[i] >= 0) {
            a->tokens += s->n_tokens[i];
            a->unseen += s->n_unseen[i];
        }
    }
    for (int c = 0; c < C; c++) refs[c] = r->classes[c].ref_share;
    int64_t n_new = 0;
    for (int64_t k = 0; k < n_slots; k++) n_new += acc[k].rows > 0;
    TmlDriftPeriod *p = realloc(r->periods, sizeof *p * (size_t)(r->n_periods + n_new));
    if (!p) goto done;
    r->periods = p;
    /* period starts walk from lo in slot steps */
    for (int64_t k = 0; k < n_slots; k++) {
        Acc *a = &acc[k];
        if (!a->rows) continue;
        int64_t start = lo;
        if (kind == 0) start = lo + k;
        else if (kind == 1) start = lo + 7 * k;
        else {
            int y, m, d;
            tml_date_to_civil(lo, &y, &m, &d);
            int64_t mm = (int64_t)(m - 1) + k;
            start = tml_date_from_civil(y + mm / 12, (int)(mm % 12) + 1, 1);
        }
        for (int c = 0; c < C; c++) share[c] = (double)a->pred[c] / (double)a->rows;
        r->periods[r->n_periods++] = (TmlDriftPeriod){
            .side = side, .start_day = start, .rows = a->rows, .labelled = a->labelled,
            .pred_psi = tml_drift_psi(refs, share, C), .mean_conf = a->conf / (double)a->rows,
            .manual_share = (double)a->manual / (double)a->rows,
            .oov_share = a->tokens ? (double)a->unseen / (double)a->tokens : NAN,
            .accuracy = a->labelled ? (double)a->correct / (double)a->labelled : NAN};
    }
    rc = 0;
done:
    free(acc);
    free(pred);
    free(share);
    free(refs);
    return rc;
}

int tml_drift_time_view(const TmlDriftRequest *rq, const char *col, const TmlDriftRows *ref, const TmlDriftRows *cur,
                        TmlDriftResult *r, TmlError *err) {
    if (!col || !col[0]) return 0;
    int cr = tml_table_col(ref->table, col, err), cc = cr < 0 ? -1 : tml_table_col(cur->table, col, err);
    if (cr < 0 || cc < 0) return 2;
    int64_t *dr = malloc(sizeof *dr * (size_t)(ref->table->n_rows + 1));
    int64_t *dc = malloc(sizeof *dc * (size_t)(cur->table->n_rows + 1));
    if (!dr || !dc || !(r->time_col = strdup(col))) {
        free(dr);
        free(dc);
        return tml_fail(err, "drift: out of memory");
    }
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    r->ref_bad_time = parse_days(ref, cr, dr, &lo, &hi);
    r->cur_bad_time = parse_days(cur, cc, dc, &lo, &hi);
    int rc = 0;
    if (lo > hi) {
        rc = tml_fail(err, "%s, %s: no value of the time column \"%s\" is an ISO-8601 date (e.g. 2025-03-01 or "
                           "2025-03-01T10:22:07Z); name the right column with --time",
                      ref->table->path, cur->table->path, col);
        rc = 2;
    } else {
        const char *p = rq->period && rq->period[0] ? rq->period : "auto";
        int kind = !strcmp(p, "day") ? 0 : !strcmp(p, "week") ? 1 : !strcmp(p, "month") ? 2 : -1;
        if (kind < 0) kind = hi - lo <= 45 ? 0 : hi - lo <= 2 * 366 ? 1 : 2;
        if (kind == 0 && hi - lo >= MAX_SLOTS) kind = 1;
        if (kind == 1 && (hi - lo) / 7 >= MAX_SLOTS) kind = 2;
        static const char *const NAMES[] = {"day", "week", "month"};
        r->period = NAMES[kind];
        int64_t start = period_start(lo, kind);
        if (add_side(ref, 0, dr, kind, start, r) || add_side(cur, 1, dc, kind, start, r))
            rc = tml_fail(err, "drift: out of memory");
    }
    free(dr);
    free(dc);
    return rc;
}
