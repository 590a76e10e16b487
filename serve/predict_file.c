/* predict_file.c — the serving library over a whole data file (tml_serve_predict_file): text rows
 * in parallel chunks, tabular rows by field name with ticket-history fields computed from a
 * tickets file the way the trainer computes them, and the top-k order of a prediction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/history.h"
#include "data/table.h"
#include "ticketml/serve.h"

void tml_serve_top_k(const float *p, int C, int k, int *idx) {
    /* a stable insertion sort of the class indices, cut at k */
    int n = 0;
    for (int c = 0; c < C; c++) {
        int j = n < k ? n++ : k;
        if (j == k && !(p[c] > p[idx[k - 1]])) continue;
        if (j == k) j = k - 1;
        while (j > 0 && p[c] > p[idx[j - 1]]) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = c;
    }
}

/* The row's id: the id column's cell, else its line number (in buf). */
static const char *row_id(const TmlTable *t, int idc, int64_t r, char *buf, size_t n) {
    if (idc >= 0) return tml_table_cell(t, r, idc);
    snprintf(buf, n, "%lld", (long long)t->lines[r]);
    return buf;
}

/* ---- text ------------------------------------------------------------------------------------- */

/* Names the first failing text of a chunk by file:line (the batch call only says which text). */
static int text_error(const TmlServeModel *m, const TmlTable *t, char *const *texts, int64_t s, int64_t n,
                      const TmlError *batch_err, TmlError *err) {
    for (int64_t i = 0; i < n; i++) {
        int32_t *ids;
        float *w;
        TmlError e1;
        if (tml_serve_text_features(m, texts[i], &ids, &w, &e1) < 0)
            return tml_fail(err, "%s:%lld: %s", t->path, (long long)t->lines[s + i], e1.msg);
        free(ids);
        free(w);
    }
    return tml_fail(err, "%s: %s", t->path, batch_err->msg);
}

static int text_file(const TmlServeModel *m, const TmlTable *t, int threads, TmlServeRowFn emit, void *ctx,
                     TmlError *err) {
    int cols[32];
    TmlError cerr;
    int nc = tml_table_cols(t, tml_serve_text_columns(m), cols, 32, &cerr);
    if (nc < 0) return tml_fail(err, "%s (the model reads text from \"%s\")", cerr.msg, tml_serve_text_columns(m)), 2;
    if (nc == 0 || nc > 32) return tml_fail(err, "the export names %s text columns", nc ? "more than 32" : "no"), 2;
    int idc = tml_serve_id_column(m)[0] ? tml_table_col(t, tml_serve_id_column(m), NULL) : -1;
    const int C = tml_serve_n_labels(m);
    const int64_t chunk = 4096;
    char **texts = calloc((size_t)chunk, sizeof *texts);
    float *probs = malloc((size_t)chunk * (size_t)C * sizeof *probs);
    int rc = texts && probs ? 0 : (tml_fail(err, "out of memory"), 1);
    for (int64_t s = 0; s < t->n_rows && rc == 0; s += chunk) {
        int64_t n = t->n_rows - s < chunk ? t->n_rows - s : chunk;
        for (int64_t i = 0; i < n; i++)
            if (!(texts[i] = tml_table_join_cells(t, s + i, cols, nc))) rc = (tml_fail(err, "out of memory"), 1);
        TmlError berr;
        if (rc == 0 && tml_serve_predict_batch(m, (const char *const *)texts, n, probs, NULL, threads, &berr) < 0) {
            text_error(m, t, texts, s, n, &berr, err);
            rc = 2;
        }
        for (int64_t i = 0; i < n && rc == 0; i++) {
            char line[32];
            rc = emit(ctx, s + i, row_id(t, idc, s + i, line, sizeof line), probs + (size_t)i * C, texts[i], NULL);
            if (rc) tml_fail(err, "%s: output failed at line %lld", t->path, (long long)t->lines[s + i]);
        }
        for (int64_t i = 0; i < n; i++) {
            free(texts[i]);
            texts[i] = NULL;
        }
    }
    free(texts);
    free(probs);
    return rc;
}

/* ---- tabular ---------------------------------------------------------------------------------- */

/* History features of every row of customers t from the tickets file, computed with the export's
 * settings and written as "%.9g" text, as the trainer's joined table holds them: values
 * (n_rows, h) strings in one block. */
static int history_fields(const TmlServeModel *m, const TmlTable *t, const char *tickets_path, char **block,
                          char ***values, TmlError *err) {
    int h = tml_serve_history_dim(m);
    TmlHistoryConfig hc;
    tml_history_config_default(&hc);
    hc.customer_col = tml_serve_history_setting(m, "customer_column");
    hc.time_col = tml_serve_history_setting(m, "time_column");
    hc.sentiment_col = tml_serve_history_setting(m, "sentiment_column");
    hc.intent_col = tml_serve_history_setting(m, "intent_column");
    hc.response_col = tml_serve_history_setting(m, "response_column");
    const char *cutoff = tml_serve_history_setting(m, "cutoff");
    hc.cutoff = cutoff && cutoff[0] ? cutoff : NULL;
    TmlTable *tk = tml_table_read(tickets_path, TML_FORMAT_AUTO, err);
    float *out = NULL;
    int dim = 0;
    char **names = NULL;
    if (!tk || tml_history_features(&hc, t, tk, &out, &dim, &names, err) < 0) {
        tml_table_free(tk);
        return -1;
    }
    tml_table_free(tk);
    size_t n = (size_t)(t->n_rows > 0 ? t->n_rows : 1) * (size_t)h;
    *block = malloc(n * 24);
    *values = malloc(n * sizeof(char *));
    int rc = *block && *values ? 0 : tml_fail(err, "out of memory");
    for (int j = 0; rc == 0 && j < h; j++) {
        int src = -1; /* an intent the tickets never mention: 0, as the trainer does */
        for (int k = 0; k < dim; k++)
            if (!strcmp(names[k], tml_serve_history_name(m, j))) src = k;
        for (int64_t r = 0; r < t->n_rows; r++) {
            char *cell = *block + ((size_t)r * h + j) * 24;
            snprintf(cell, 24, "%.9g", src >= 0 ? (double)out[(size_t)r * dim + src] : 0.0);
            (*values)[(size_t)r * h + j] = cell;
        }
    }
    for (int k = 0; k < dim; k++) free(names[k]);
    free(names);
    free(out);
    return rc;
}

/* Every field the model needs must be a column (or come from the tickets file): all missing ones
 * named in one message (as many as a message holds, then how many more). h: history fields
 * computed from tickets. */
static int check_fields(const TmlServeModel *m, const TmlTable *t, int h, int have_tickets, TmlError *err) {
    const char *hint = tml_serve_history_dim(m) > 0 && !have_tickets
                           ? " (ticket-history features: give the tickets file with --tickets, or add them as columns)"
                           : "";
    static const char fmt[] = "missing columns: %s in %s; the model was trained with them%s";
    char list[8192] = "";
    size_t len = 0, ends[256];
    int missing = 0, stored = 0, nf = tml_serve_n_fields(m);
    for (int k = 0; k < nf; k++) {
        const char *name = tml_serve_field_name(m, k);
        int from_tickets = 0;
        for (int j = 0; j < h && !from_tickets; j++) from_tickets = !strcmp(name, tml_serve_history_name(m, j));
        if (from_tickets || tml_table_col(t, name, NULL) >= 0) continue;
        if (stored == missing && stored < 256 && len + strlen(name) + 5 < sizeof list) {
            len += (size_t)snprintf(list + len, sizeof list - len, "%s\"%s\"", stored ? ", " : "", name);
            ends[stored++] = len;
        }
        missing++;
    }
    if (!missing) return 0;
    /* what the message has room for besides the names: cut at a whole name, say how many are left */
    size_t avail = TML_ERROR_MSG_MAX - 1 - (sizeof fmt - 7) - strlen(t->path) - strlen(hint);
    int shown = stored;
    while (shown > 1 && (shown < missing ? ends[shown - 1] + 24 : ends[shown - 1]) > avail) shown--;
    if (shown < missing) snprintf(list + ends[shown - 1], sizeof list - ends[shown - 1], ", ... (%d more)", missing - shown);
    return tml_fail(err, fmt, list, t->path, hint);
}

static int tabular_file(const TmlServeModel *m, const TmlTable *t, const char *tickets, TmlServeRowFn emit, void *ctx,
                        TmlError *err) {
    int h = tickets ? tml_serve_history_dim(m) : 0;
    if (tickets && h == 0) return tml_fail(err, "--tickets: this model uses no ticket-history features"), 2;
    if (check_fields(m, t, h, tickets != NULL, err) < 0) return 2;
    char *hist_block = NULL, **hist = NULL;
    if (h > 0 && history_fields(m, t, tickets, &hist_block, &hist, err) < 0) return 2;
    int idc = tml_serve_id_column(m)[0] ? tml_table_col(t, tml_serve_id_column(m), NULL) : -1;
    const int C = tml_serve_n_labels(m), dim = tml_serve_dense_dim(m), nn = h + t->n_cols;
    float *p = malloc((size_t)C * sizeof *p), *x = malloc((size_t)(dim > 0 ? dim : 1) * sizeof *x);
    /* computed history fields first: the first field of a name wins over a column of the file */
    const char **names = malloc((size_t)nn * sizeof *names), **vals = malloc((size_t)nn * sizeof *vals);
    int rc = p && x && names && vals ? 0 : (tml_fail(err, "out of memory"), 1);
    for (int j = 0; rc == 0 && j < h; j++) names[j] = tml_serve_history_name(m, j);
    for (int c = 0; rc == 0 && c < t->n_cols; c++) names[h + c] = t->col_names[c];
    for (int64_t r = 0; r < t->n_rows && rc == 0; r++) {
        for (int j = 0; j < h; j++) vals[j] = hist[(size_t)r * h + j];
        for (int c = 0; c < t->n_cols; c++) vals[h + c] = tml_table_cell(t, r, c);
        TmlError e1;
        if (tml_serve_row_features(m, names, vals, nn, x, &e1) < 0 ||
            tml_serve_predict_features(m, NULL, NULL, 0, x, p, NULL, &e1) < 0) {
            tml_fail(err, "%s:%lld: %s", t->path, (long long)t->lines[r], e1.msg);
            rc = 2;
            break;
        }
        char line[32];
        if ((rc = emit(ctx, r, row_id(t, idc, r, line, sizeof line), p, NULL, x)))
            tml_fail(err, "%s: output failed at line %lld", t->path, (long long)t->lines[r]);
    }
    free(p);
    free(x);
    free(names);
    free(vals);
    free(hist);
    free(hist_block);
    return rc;
}

int tml_serve_predict_file(const TmlServeModel *m, const char *path, const char *tickets_path, int threads,
                           TmlServeRowFn emit, void *ctx, TmlError *err) {
    TmlTable *t = tml_table_read(path, TML_FORMAT_AUTO, err);
    if (!t) return 2;
    int rc = tml_serve_is_text(m) ? text_file(m, t, threads, emit, ctx, err) : tabular_file(m, t, tickets_path, emit, ctx, err);
    tml_table_free(t);
    return rc;
}
