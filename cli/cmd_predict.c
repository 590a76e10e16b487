/* cmd_predict.c — `ticketml predict EXPORT (--text "..." | DATA)`: predictions through the serving
 * library only (ticketml/serve.h), so what it prints is what an embedding application gets.
 * DATA (CSV or JSONL) prints one line per row: id, top label, probability (or JSON lines).
 * --dump-features writes the features each row produced, for cross-checks in other languages. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "data/history.h"
#include "data/table.h"
#include "ticketml/serve.h"

static void usage(void) {
    printf("usage: ticketml predict EXPORT (--text \"...\" | DATA) [options]\n\n"
           "Predicts with an export from `ticketml export` through the serving library.\n"
           "EXPORT is the export directory (or its model.h5 / model.json).\n\n"
           "  --text \"...\"          one ticket text (text models); prints the top labels\n"
           "  DATA                  CSV or JSONL file: one line per row with the id (the model's id column,\n"
           "                        else the row's line number), the top label and its probability.\n"
           "                        Text models read the training text column(s); tabular models read every\n"
           "                        attribute column, ticket-history features included, by name\n"
           "  --json                JSON lines: {\"id\", \"label\", \"probability\", \"top\": [{label, probability}]}\n"
           "  --top K               also print the K most probable labels (default 1)\n"
           "  --threads N           text DATA: predict with N threads (default 1)\n"
           "  --tickets FILE        tabular models with ticket-history features: compute them from this\n"
           "                        tickets file (joined on the customer id, as of the training cutoff)\n"
           "  --dump-features FILE  write the features of every row as CSV row,index,value (text: feature id\n"
           "                        and weight; tabular: dense column and value), for cross-checks\n\n"
           "Exit status: 0 ok, 1 failure, 2 bad usage or bad input.\n");
}

typedef struct Out {
    int json, top_k, C;
    const TmlServeModel *m;
} Out;

/* Indices of the k largest probabilities, descending (ties: lower index first): a stable
 * insertion sort of the class indices, cut at k. */
static void top_k(const float *p, int C, int k, int *idx) {
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

static void print_row(const Out *o, const char *id, const float *p) {
    int k = o->top_k < o->C ? o->top_k : o->C;
    int *idx = malloc((size_t)k * sizeof *idx);
    if (!idx) return;
    top_k(p, o->C, k, idx);
    if (o->json) {
        json_t *row = json_object(), *top = json_array();
        if (id) {
            json_t *js = json_string(id); /* NULL when the id is not valid UTF-8 */
            json_object_set_new(row, "id", js ? js : json_string("?"));
        }
        json_object_set_new(row, "label", json_string(tml_serve_label_name(o->m, idx[0])));
        json_object_set_new(row, "probability", json_real(p[idx[0]]));
        for (int i = 0; i < k; i++) {
            json_t *t = json_object();
            json_object_set_new(t, "label", json_string(tml_serve_label_name(o->m, idx[i])));
            json_object_set_new(t, "probability", json_real(p[idx[i]]));
            json_array_append_new(top, t);
        }
        json_object_set_new(row, "top", top);
        char *s = json_dumps(row, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
        if (s) puts(s);
        free(s);
        json_decref(row);
        free(idx);
        return;
    }
    if (id) printf("%s\t", id);
    for (int i = 0; i < k; i++) printf("%s%s\t%.6f", i ? "\t" : "", tml_serve_label_name(o->m, idx[i]), p[idx[i]]);
    printf("\n");
    free(idx);
}

/* ---- feature dump ----------------------------------------------------------------------------- */

typedef struct Dump {
    FILE *f;
    char *path, *tmp;
} Dump;

static int dump_open(Dump *d, const char *path) {
    memset(d, 0, sizeof *d);
    if (!path) return 0;
    size_t n = strlen(path) + 32;
    d->path = strdup(path);
    d->tmp = malloc(n);
    if (!d->path || !d->tmp) return -1;
    snprintf(d->tmp, n, "%s.tmp-%ld", path, (long)getpid());
    if (!(d->f = fopen(d->tmp, "w"))) {
        fprintf(stderr, "ticketml predict: %s: cannot write the feature dump\n", path);
        return -1;
    }
    fprintf(d->f, "row,index,value\n");
    return 0;
}

/* Closes the dump, renaming it into place when ok, else removing it. */
static int dump_close(Dump *d, int ok) {
    int rc = 0;
    if (d->f) {
        if (fclose(d->f) != 0) ok = 0;
        if (ok && rename(d->tmp, d->path) != 0) ok = 0;
        if (!ok) {
            unlink(d->tmp);
            rc = -1;
        }
    }
    free(d->path);
    free(d->tmp);
    return rc;
}

static int dump_text(Dump *d, const TmlServeModel *m, int64_t row, const char *text) {
    if (!d->f) return 0;
    int32_t *ids;
    float *w;
    TmlError err;
    int64_t n = tml_serve_text_features(m, text, &ids, &w, &err);
    if (n < 0) return -1;
    for (int64_t j = 0; j < n; j++) fprintf(d->f, "%lld,%d,%.9g\n", (long long)row, ids[j], (double)w[j]);
    free(ids);
    free(w);
    return 0;
}

static void dump_dense(Dump *d, int64_t row, const float *x, int dim) {
    if (!d->f) return;
    for (int j = 0; j < dim; j++) fprintf(d->f, "%lld,%d,%.9g\n", (long long)row, j, (double)x[j]);
}

/* ---- data files ------------------------------------------------------------------------------- */

static int predict_text_file(const TmlServeModel *m, const TmlTable *t, const Out *o, int threads, Dump *d) {
    int cols[32];
    TmlError cerr;
    int nc = tml_table_cols(t, tml_serve_text_columns(m), cols, 32, &cerr);
    if (nc < 0) {
        fprintf(stderr, "ticketml predict: %s (the model reads text from \"%s\")\n", cerr.msg, tml_serve_text_columns(m));
        return 2;
    }
    if (nc == 0 || nc > 32) {
        fprintf(stderr, "ticketml predict: the export names %s text columns\n", nc ? "more than 32" : "no");
        return 2;
    }
    int idc = tml_serve_id_column(m)[0] ? tml_table_col(t, tml_serve_id_column(m), NULL) : -1;
    const int C = tml_serve_n_labels(m);
    const int64_t chunk = 4096;
    char **texts = calloc((size_t)chunk, sizeof *texts);
    float *probs = malloc((size_t)chunk * (size_t)C * sizeof *probs);
    if (!texts || !probs) {
        free(texts);
        free(probs);
        fprintf(stderr, "ticketml predict: out of memory\n");
        return 1;
    }
    int rc = 0;
    for (int64_t s = 0; s < t->n_rows && rc == 0; s += chunk) {
        int64_t n = t->n_rows - s < chunk ? t->n_rows - s : chunk;
        for (int64_t i = 0; i < n; i++)
            if (!(texts[i] = tml_table_join_cells(t, s + i, cols, nc))) rc = 1;
        TmlError err;
        if (rc == 0 && tml_serve_predict_batch(m, (const char *const *)texts, n, probs, NULL, threads, &err) < 0) {
            /* name the first failing row by file:line */
            int64_t i = 0;
            for (; i < n; i++) {
                int32_t *ids;
                float *w;
                TmlError e1;
                if (tml_serve_text_features(m, texts[i], &ids, &w, &e1) < 0) {
                    fprintf(stderr, "ticketml predict: %s:%lld: %s\n", t->path, (long long)t->lines[s + i], e1.msg);
                    break;
                }
                free(ids);
                free(w);
            }
            if (i == n) fprintf(stderr, "ticketml predict: %s: %s\n", t->path, err.msg);
            rc = 2;
        }
        for (int64_t i = 0; i < n && rc == 0; i++) {
            char line[32];
            snprintf(line, sizeof line, "%lld", (long long)t->lines[s + i]);
            print_row(o, idc >= 0 ? tml_table_cell(t, s + i, idc) : line, probs + (size_t)i * C);
            if (dump_text(d, m, s + i, texts[i]) < 0) rc = 1;
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

/* History features of every row of customers t from the tickets file, computed with the export's
 * settings and written as "%.9g" text, as the trainer's joined table holds them: values
 * (n_rows, h) strings in one block. -1 with a message on error. */
static int history_fields(const TmlServeModel *m, const TmlTable *t, const char *tickets_path, char **block,
                          char ***values) {
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
    TmlError err;
    TmlTable *tk = tml_table_read(tickets_path, TML_FORMAT_AUTO, &err);
    float *out = NULL;
    int dim = 0;
    char **names = NULL;
    if (!tk || tml_history_features(&hc, t, tk, &out, &dim, &names, &err) < 0) {
        fprintf(stderr, "ticketml predict: %s\n", err.msg);
        tml_table_free(tk);
        return -1;
    }
    tml_table_free(tk);
    size_t n = (size_t)(t->n_rows > 0 ? t->n_rows : 1) * (size_t)h;
    *block = malloc(n * 24);
    *values = malloc(n * sizeof(char *));
    int rc = *block && *values ? 0 : -1;
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
    if (rc) fprintf(stderr, "ticketml predict: out of memory\n");
    return rc;
}

static int predict_tabular_file(const TmlServeModel *m, const TmlTable *t, const char *tickets, const Out *o,
                                Dump *d) {
    int h = tickets ? tml_serve_history_dim(m) : 0;
    if (tickets && h == 0) {
        fprintf(stderr, "ticketml predict: --tickets: this model uses no ticket-history features\n");
        return 2;
    }
    /* every field the model needs must be a column (or come from --tickets); name them all at once */
    int missing = 0, nf = tml_serve_n_fields(m);
    for (int k = 0; k < nf; k++) {
        const char *name = tml_serve_field_name(m, k);
        int from_tickets = 0;
        for (int j = 0; j < h && !from_tickets; j++) from_tickets = !strcmp(name, tml_serve_history_name(m, j));
        if (!from_tickets && tml_table_col(t, name, NULL) < 0)
            fprintf(stderr, "%s\"%s\"", missing++ ? ", " : "ticketml predict: missing columns: ", name);
    }
    if (missing) {
        fprintf(stderr, " in %s; the model was trained with them%s\n", t->path,
                tml_serve_history_dim(m) > 0 && !tickets
                    ? " (ticket-history features: give the tickets file with --tickets, or add them as columns)"
                    : "");
        return 2;
    }
    char *hist_block = NULL, **hist = NULL;
    if (h > 0 && history_fields(m, t, tickets, &hist_block, &hist) < 0) return 2;
    int idc = tml_serve_id_column(m)[0] ? tml_table_col(t, tml_serve_id_column(m), NULL) : -1;
    const int C = tml_serve_n_labels(m), dim = tml_serve_dense_dim(m), nn = h + t->n_cols;
    float *p = malloc((size_t)C * sizeof *p), *x = malloc((size_t)(dim > 0 ? dim : 1) * sizeof *x);
    /* computed history fields first: the first field of a name wins over a column of the file */
    const char **names = malloc((size_t)nn * sizeof *names), **vals = malloc((size_t)nn * sizeof *vals);
    int rc = p && x && names && vals ? 0 : 1;
    for (int j = 0; rc == 0 && j < h; j++) names[j] = tml_serve_history_name(m, j);
    for (int c = 0; rc == 0 && c < t->n_cols; c++) names[h + c] = t->col_names[c];
    for (int64_t r = 0; r < t->n_rows && rc == 0; r++) {
        for (int j = 0; j < h; j++) vals[j] = hist[(size_t)r * h + j];
        for (int c = 0; c < t->n_cols; c++) vals[h + c] = tml_table_cell(t, r, c);
        TmlError err;
        if (tml_serve_row_features(m, names, vals, nn, x, &err) < 0 ||
            tml_serve_predict_features(m, NULL, NULL, 0, x, p, NULL, &err) < 0) {
            fprintf(stderr, "ticketml predict: %s:%lld: %s\n", t->path, (long long)t->lines[r], err.msg);
            rc = 2;
            break;
        }
        char line[32];
        snprintf(line, sizeof line, "%lld", (long long)t->lines[r]);
        print_row(o, idc >= 0 ? tml_table_cell(t, r, idc) : line, p);
        dump_dense(d, r, x, dim);
    }
    free(p);
    free(x);
    free(names);
    free(vals);
    free(hist);
    free(hist_block);
    return rc;
}

int cmd_predict(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage();
        return 0;
    }
    const char *text = NULL, *top_s = NULL, *threads_s = NULL, *dump_path = NULL, *tickets = NULL, *pos[2];
    int n_pos = 0, json = 0;
    CliOpt opts[] = {
        {"--text", &text, NULL, NULL, NULL, 0},         {"--top", &top_s, NULL, NULL, NULL, 0},
        {"--threads", &threads_s, NULL, NULL, NULL, 0}, {"--dump-features", &dump_path, NULL, NULL, NULL, 0},
        {"--json", NULL, &json, NULL, NULL, 0},         {"--tickets", &tickets, NULL, NULL, NULL, 0},
    };
    if (cli_parse("predict", argc, argv, opts, 6, pos, 2, &n_pos) < 0) return 2;
    if (n_pos < 1 || (n_pos == 2) == (text != NULL)) {
        fprintf(stderr, "ticketml predict: needs EXPORT and either --text \"...\" or a DATA file (see --help)\n");
        return 2;
    }
    int k = 1, threads = 1;
    char *end;
    if (top_s && ((k = (int)strtol(top_s, &end, 10)) < 1 || *end)) {
        fprintf(stderr, "ticketml predict: --top must be a positive number, not '%s'\n", top_s);
        return 2;
    }
    if (threads_s && ((threads = (int)strtol(threads_s, &end, 10)) < 1 || threads > 256 || *end)) {
        fprintf(stderr, "ticketml predict: --threads must be 1..256, not '%s'\n", threads_s);
        return 2;
    }
    TmlError err;
    TmlServeModel *m = tml_serve_load(pos[0], &err);
    if (!m) {
        fprintf(stderr, "ticketml predict: %s\n", err.msg);
        return 2;
    }
    Out o = {json, k, tml_serve_n_labels(m), m};
    Dump d;
    int rc = 1;
    TmlTable *t = NULL;
    float *p = NULL;
    if (dump_open(&d, dump_path) < 0) goto done;
    if (text) {
        if (!tml_serve_is_text(m)) {
            fprintf(stderr, "ticketml predict: --text needs a text model; this one is tabular: give a DATA file\n");
            rc = 2;
            goto done;
        }
        if (!(p = malloc((size_t)o.C * sizeof *p))) goto done;
        if (tml_serve_predict_text(m, text, p, NULL, &err) < 0) {
            fprintf(stderr, "ticketml predict: --text: %s\n", err.msg);
            rc = 2;
            goto done;
        }
        print_row(&o, NULL, p);
        rc = dump_text(&d, m, 0, text) < 0 ? 1 : 0;
    } else {
        if (!(t = tml_table_read(pos[1], TML_FORMAT_AUTO, &err))) {
            fprintf(stderr, "ticketml predict: %s\n", err.msg);
            rc = 2;
            goto done;
        }
        rc = tml_serve_is_text(m) ? predict_text_file(m, t, &o, threads, &d) : predict_tabular_file(m, t, tickets, &o, &d);
    }
done:
    if (fflush(stdout) != 0 && rc == 0) rc = 1;
    if (dump_close(&d, rc == 0) < 0 && rc == 0) {
        fprintf(stderr, "ticketml predict: %s: writing the feature dump failed\n", dump_path);
        rc = 1;
    }
    free(p);
    tml_table_free(t);
    tml_serve_free(m);
    return rc;
}
