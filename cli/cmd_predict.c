/* cmd_predict.c — `ticketml predict EXPORT (--text "..." | DATA)`: predictions through the serving
 * library only (ticketml/serve.h), so what it prints is what an embedding application gets.
 * DATA (CSV or JSONL) prints one line per row: id, top label, probability (or JSON lines).
 * --dump-features writes the features each row produced, for cross-checks in other languages. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "ticketml/serve.h"

static void usage(void) {
    printf("usage: ticketml predict EXPORT (--text \"...\" | DATA) [options]\n\n"
           "Predicts with an export from `ticketml export` through the serving library.\n"
           "EXPORT is the export directory (or its model.h5 / model.json).\n\n"
           "  --text \"...\"          one ticket text (text models; - reads it from standard input); prints\n"
           "                        the top labels\n"
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
    struct Dump *dump;
} Out;

/* A number, or null when it is not one (json_real refuses NaN, which dropped the key). */
static json_t *jnum(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static void print_row(const Out *o, const char *id, const float *p) {
    int k = o->top_k < o->C ? o->top_k : o->C;
    int *idx = malloc((size_t)k * sizeof *idx);
    if (!idx) return;
    tml_serve_top_k(p, o->C, k, idx);
    if (o->json) {
        json_t *row = json_object(), *top = json_array();
        if (id) {
            json_t *js = json_string(id); /* NULL when the id is not valid UTF-8 */
            json_object_set_new(row, "id", js ? js : json_string("?"));
        }
        json_object_set_new(row, "label", json_string(tml_serve_label_name(o->m, idx[0])));
        json_object_set_new(row, "probability", jnum(p[idx[0]]));
        for (int i = 0; i < k; i++) {
            json_t *t = json_object();
            json_object_set_new(t, "label", json_string(tml_serve_label_name(o->m, idx[i])));
            json_object_set_new(t, "probability", jnum(p[idx[i]]));
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

struct Dump {
    FILE *f;
    char *path, *tmp;
};
typedef struct Dump Dump;

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

/* TmlServeRowFn: prints the row and dumps its features. */
static int emit_row(void *ctx, int64_t row, const char *id, const float *probs, const char *text, const float *dense) {
    const Out *o = ctx;
    print_row(o, id, probs);
    if (text) return dump_text(o->dump, o->m, row, text) < 0 ? 1 : 0;
    dump_dense(o->dump, row, dense, tml_serve_dense_dim(o->m));
    return 0;
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
    Dump d;
    Out o = {json, k, tml_serve_n_labels(m), m, &d};
    int rc = 1;
    float *p = NULL;
    char *own_text = NULL; /* --text, read from standard input for "-" */
    if (dump_open(&d, dump_path) < 0) goto done;
    if (text) {
        if (!tml_serve_is_text(m)) {
            fprintf(stderr, "ticketml predict: --text needs a text model; this one is tabular: give a DATA file\n");
            rc = 2;
            goto done;
        }
        if (!(p = malloc((size_t)o.C * sizeof *p))) goto done;
        if (!(own_text = cli_text_arg("predict", text))) {
            rc = 2;
            goto done;
        }
        text = own_text;
        int32_t *ids = NULL;
        float *w = NULL;
        int64_t nf = tml_serve_text_features(m, text, &ids, &w, &err);
        free(ids);
        free(w);
        if (nf == 0) /* before: the class prior, silently */
            fprintf(stderr, "warning: the text has no feature the model knows (empty, only punctuation, or no word or "
                            "n-gram of the model); the prediction is the model's prior\n");
        if (tml_serve_predict_text(m, text, p, NULL, &err) < 0) {
            fprintf(stderr, "ticketml predict: --text: %s\n", err.msg);
            rc = 2;
            goto done;
        }
        print_row(&o, NULL, p);
        rc = dump_text(&d, m, 0, text) < 0 ? 1 : 0;
    } else if ((rc = tml_serve_predict_file(m, pos[1], tickets, threads, emit_row, &o, &err)) != 0) {
        fprintf(stderr, "ticketml predict: %s\n", err.msg);
    }
done:
    if (fflush(stdout) != 0 && rc == 0) rc = 1;
    if (dump_close(&d, rc == 0) < 0 && rc == 0) {
        fprintf(stderr, "ticketml predict: %s: writing the feature dump failed\n", dump_path);
        rc = 1;
    }
    free(p);
    free(own_text);
    tml_serve_free(m);
    return rc;
}
