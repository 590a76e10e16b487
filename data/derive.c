/* derive.c — engineered tabular columns (see derive.h): parsing the [tabular] keys, the text form
 * saved with the features, computing the columns for a table or one record, and choosing crosses
 * on the validation split. */
#include "data/derive.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- small helpers ----------------------------------------------------------------------------- */

/* malloc'd copy of s[0..n) without surrounding blanks. */
static char *dup_trim(const char *s, size_t n) {
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* Splits s at sep into trimmed non-empty pieces; *out malloc'd (caller frees each and the array).
 * Returns the count, -1 when out of memory. */
static int split(const char *s, char sep, char ***out) {
    int n = 0, cap = 4;
    char **v = malloc((size_t)cap * sizeof *v);
    if (!v) return -1;
    for (const char *p = s;;) {
        const char *e = strchr(p, sep);
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *piece = dup_trim(p, len);
        if (!piece) goto oom;
        if (piece[0]) {
            if (n == cap) {
                char **nv = realloc(v, (size_t)(cap *= 2) * sizeof *nv);
                if (!nv) {
                    free(piece);
                    goto oom;
                }
                v = nv;
            }
            v[n++] = piece;
        } else {
            free(piece);
        }
        if (!e) break;
        p = e + 1;
    }
    *out = v;
    return n;
oom:
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
    return -1;
}

static void free_list(char **v, int n) {
    if (!v) return;
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* Parses a number cell (blanks around allowed, decimal only). 1 ok, 0 blank, -1 not a number. */
static int parse_num(const char *s, double *v) {
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (n == 0) return 0;
    char buf[64];
    if (n >= sizeof buf) return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    for (size_t i = 0; i < n; i++)
        if (buf[i] == 'x' || buf[i] == 'X') return -1;
    char *end;
    *v = strtod(buf, &end);
    return end == buf + n && isfinite(*v) ? 1 : -1;
}

/* Trimmed view of a cell: compares it with a value. */
static int cell_equals(const char *cell, const char *value) {
    while (isspace((unsigned char)*cell)) cell++;
    size_t n = strlen(cell), m = strlen(value);
    while (n && isspace((unsigned char)cell[n - 1])) n--;
    return n == m && !memcmp(cell, value, n);
}

static int cell_blank(const char *cell) {
    while (isspace((unsigned char)*cell)) cell++;
    return *cell == 0;
}

void tml_derive_free(TmlDeriveSpec *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++) {
        TmlDerived *d = &s->d[i];
        free(d->name);
        free_list(d->src, d->n_src);
        free_list(d->values, d->values ? d->n_src : 0);
        free(d->negate);
        free(d->edges);
    }
    free(s->d);
    free(s);
}

int tml_derive_is_categorical(const TmlDerived *d) {
    return d->kind == TML_DERIVE_BUCKET || d->kind == TML_DERIVE_CROSS;
}

static TmlDerived *add(TmlDeriveSpec *s) {
    TmlDerived *nd = realloc(s->d, (size_t)(s->n + 1) * sizeof *nd);
    if (!nd) return NULL;
    s->d = nd;
    memset(&nd[s->n], 0, sizeof nd[s->n]);
    return &nd[s->n++];
}

/* name = the sources joined by op ("A/B", "A+B", "A*B"). */
static char *join_name(char *const *src, int n, const char *op) {
    size_t len = 1;
    for (int i = 0; i < n; i++) len += strlen(src[i]) + strlen(op);
    char *s = malloc(len);
    if (!s) return NULL;
    s[0] = 0;
    for (int i = 0; i < n; i++) {
        if (i) strcat(s, op);
        strcat(s, src[i]);
    }
    return s;
}

/* ---- parsing ----------------------------------------------------------------------------------- */

/* "A<op>B<op>..." entries separated by commas: ratios (exactly 2), sums (2 or more), crosses (2). */
static int parse_ops(TmlDeriveSpec *s, TmlDeriveKind kind, const char *value, char op, TmlError *err) {
    char **items = NULL;
    int n = split(value, ',', &items);
    if (n < 0) return tml_fail(err, "out of memory");
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        char **src = NULL;
        int k = split(items[i], op, &src);
        if (k < 0) {
            rc = tml_fail(err, "out of memory");
            break;
        }
        if (k < 2 || (kind != TML_DERIVE_SUM && k != 2)) {
            rc = tml_fail(err, "\"%s\": write %s", items[i],
                          kind == TML_DERIVE_RATIO ? "Column/Column"
                          : kind == TML_DERIVE_SUM ? "Column+Column[+...]"
                                                   : "Column*Column");
            free_list(src, k);
            break;
        }
        TmlDerived *d = add(s);
        char ops[2] = {op, 0};
        if (!d || !(d->name = join_name(src, k, ops))) {
            free_list(src, k);
            rc = tml_fail(err, "out of memory");
            break;
        }
        d->kind = kind;
        d->src = src;
        d->n_src = k;
    }
    free_list(items, n);
    return rc;
}

/* "col: e1 e2 ...; col2: ..." */
static int parse_buckets(TmlDeriveSpec *s, const char *value, TmlError *err) {
    char **items = NULL;
    int n = split(value, ';', &items);
    if (n < 0) return tml_fail(err, "out of memory");
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        char *colon = strrchr(items[i], ':');
        if (!colon) {
            rc = tml_fail(err, "\"%s\": write Column: edge edge ... (ascending numbers)", items[i]);
            break;
        }
        TmlDerived *d = add(s);
        if (!d) {
            rc = tml_fail(err, "out of memory");
            break;
        }
        d->kind = TML_DERIVE_BUCKET;
        d->n_src = 1;
        d->src = malloc(sizeof *d->src);
        char *col = d->src ? dup_trim(items[i], (size_t)(colon - items[i])) : NULL;
        d->edges = malloc((strlen(colon) + 1) * sizeof *d->edges);
        if (!col || !d->edges) {
            free(col);
            d->n_src = 0;
            rc = tml_fail(err, "out of memory");
            break;
        }
        d->src[0] = col;
        size_t nl = strlen(col) + 8;
        if (!(d->name = malloc(nl))) {
            rc = tml_fail(err, "out of memory");
            break;
        }
        snprintf(d->name, nl, "%s_bucket", col);
        for (const char *p = colon + 1; *p;) {
            while (*p && (isspace((unsigned char)*p) || *p == ',')) p++;
            if (!*p) break;
            char *end;
            double e = strtod(p, &end);
            if (end == p || !isfinite(e) || (d->n_edges && e <= d->edges[d->n_edges - 1])) {
                rc = tml_fail(err, "\"%s\": bucket edges must be ascending numbers", items[i]);
                break;
            }
            d->edges[d->n_edges++] = e;
            p = end;
        }
        if (!rc && d->n_edges == 0) rc = tml_fail(err, "\"%s\": give at least one bucket edge", items[i]);
    }
    free_list(items, n);
    return rc;
}

/* "name: col=value, col!=value; name2: ..." */
static int parse_counts(TmlDeriveSpec *s, const char *value, TmlError *err) {
    char **items = NULL;
    int n = split(value, ';', &items);
    if (n < 0) return tml_fail(err, "out of memory");
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        char *colon = strchr(items[i], ':');
        char **conds = NULL;
        int k = colon ? split(colon + 1, ',', &conds) : 0;
        if (!colon || k <= 0 || k > 256) {
            free_list(conds, k);
            rc = tml_fail(err, "\"%s\": write name: Column=value, Column!=value, ... (1 to 256 conditions)", items[i]);
            break;
        }
        TmlDerived *d = add(s);
        if (!d || !(d->name = dup_trim(items[i], (size_t)(colon - items[i]))) ||
            !(d->src = calloc((size_t)k, sizeof *d->src)) || !(d->values = calloc((size_t)k, sizeof *d->values)) ||
            !(d->negate = calloc((size_t)k, 1))) {
            free_list(conds, k);
            rc = tml_fail(err, "out of memory");
            break;
        }
        d->kind = TML_DERIVE_COUNT;
        d->n_src = k;
        for (int j = 0; j < k && !rc; j++) {
            char *eq = strchr(conds[j], '=');
            if (!eq || eq == conds[j]) {
                rc = tml_fail(err, "\"%s\": each condition is Column=value or Column!=value", conds[j]);
                break;
            }
            int neg = eq[-1] == '!';
            d->negate[j] = (uint8_t)neg;
            if (!(d->src[j] = dup_trim(conds[j], (size_t)(eq - conds[j]) - (size_t)neg)) ||
                !(d->values[j] = dup_trim(eq + 1, strlen(eq + 1))))
                rc = tml_fail(err, "out of memory");
        }
        free_list(conds, k);
        if (!rc && !d->name[0]) rc = tml_fail(err, "\"%s\": the count needs a name before ':'", items[i]);
    }
    free_list(items, n);
    return rc;
}

static int parse_entry(TmlDeriveSpec *s, const char *key, const char *value, TmlError *err) {
    if (!strcmp(key, "ratios")) return parse_ops(s, TML_DERIVE_RATIO, value, '/', err);
    if (!strcmp(key, "sums")) return parse_ops(s, TML_DERIVE_SUM, value, '+', err);
    if (!strcmp(key, "buckets")) return parse_buckets(s, value, err);
    if (!strcmp(key, "counts")) return parse_counts(s, value, err);
    if (!strcmp(key, "crosses")) {
        const char *v = value;
        while (isspace((unsigned char)*v)) v++;
        if (!strncasecmp(v, "auto", 4)) {
            s->auto_crosses = 1;
            return 0;
        }
        return parse_ops(s, TML_DERIVE_CROSS, value, '*', err);
    }
    if (!strcmp(key, "max_crosses")) {
        char *end;
        long m = strtol(value, &end, 10);
        if (end == value || m < 0 || m > 100) return tml_fail(err, "max_crosses must be an integer in 0..100");
        s->max_crosses = (int)m;
        return 0;
    }
    return tml_fail(err, "unknown key \"%s\"", key);
}

static const char *const KEYS[] = {"ratios", "sums", "buckets", "counts", "crosses", "max_crosses", NULL};

int tml_derive_from_config(const TmlConfig *cfg, TmlDeriveSpec **out, TmlError *err) {
    *out = NULL;
    TmlDeriveSpec *s = calloc(1, sizeof *s);
    if (!s) return tml_fail(err, "out of memory");
    s->max_crosses = 3;
    int any = 0;
    for (int k = 0; KEYS[k]; k++) {
        char key[64];
        snprintf(key, sizeof key, "tabular.%s", KEYS[k]);
        const char *v = tml_config_str(cfg, key, NULL);
        if (!v || !v[0]) continue;
        any |= strcmp(KEYS[k], "max_crosses") != 0;
        TmlError e;
        if (parse_entry(s, KEYS[k], v, &e)) {
            int line = 0;
            for (int i = 0; i < cfg->n; i++)
                if (!strcmp(cfg->entries[i].key, key)) line = cfg->entries[i].line;
            tml_derive_free(s);
            if (line > 0) return tml_fail(err, "%s:%d: [tabular] %s: %s", cfg->path, line, KEYS[k], e.msg);
            return tml_fail(err, "%s: --set tabular.%s: %s", cfg->path, KEYS[k], e.msg);
        }
    }
    if (!any) {
        tml_derive_free(s);
        return 0;
    }
    for (int i = 0; i < s->n; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(s->d[i].name, s->d[j].name)) {
                int rc = tml_fail(err, "%s: [tabular] derives the column \"%s\" twice; name it once", cfg->path,
                                  s->d[i].name);
                tml_derive_free(s);
                return rc;
            }
    *out = s;
    return 0;
}

TmlDeriveSpec *tml_derive_parse(const char *text, TmlError *err) {
    TmlDeriveSpec *s = calloc(1, sizeof *s);
    char **lines = NULL;
    int n = s ? split(text, '\n', &lines) : -1;
    if (n < 0) {
        free(s);
        tml_fail(err, "out of memory");
        return NULL;
    }
    s->max_crosses = 3;
    for (int i = 0; i < n; i++) {
        char *eq = strchr(lines[i], '=');
        char *key = eq ? dup_trim(lines[i], (size_t)(eq - lines[i])) : NULL;
        TmlError e;
        int rc = !key ? tml_fail(&e, "line \"%s\" is not key = value", lines[i]) : parse_entry(s, key, eq + 1, &e);
        free(key);
        if (rc) {
            tml_fail(err, "derived columns: %s", e.msg);
            free_list(lines, n);
            tml_derive_free(s);
            return NULL;
        }
    }
    free_list(lines, n);
    return s;
}

/* Appends printf text to a growing buffer. */
static int appendf(char **buf, size_t *len, size_t *cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int appendf(char **buf, size_t *len, size_t *cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (*len + (size_t)need + 1 > *cap) {
        size_t c = (*cap + (size_t)need + 1) * 2;
        char *b = realloc(*buf, c);
        if (!b) return -1;
        *buf = b;
        *cap = c;
    }
    va_start(ap, fmt);
    vsnprintf(*buf + *len, *cap - *len, fmt, ap);
    va_end(ap);
    *len += (size_t)need;
    return 0;
}

char *tml_derive_to_text(const TmlDeriveSpec *s) {
    char *buf = NULL;
    size_t len = 0, cap = 0;
    static const char *const keys[] = {"ratios", "sums", "buckets", "counts", "crosses"};
    int rc = appendf(&buf, &len, &cap, "%s", "");
    for (int kind = 0; kind < 5 && !rc; kind++) {
        int first = 1;
        for (int i = 0; i < s->n && !rc; i++) {
            const TmlDerived *d = &s->d[i];
            if ((int)d->kind != kind) continue;
            if (first)
                rc |= appendf(&buf, &len, &cap, "%s =", keys[kind]);
            else
                rc |= appendf(&buf, &len, &cap, "%s", (kind == 2 || kind == 3) ? ";" : ",");
            first = 0;
            if (kind == TML_DERIVE_BUCKET) {
                rc |= appendf(&buf, &len, &cap, " %s:", d->src[0]);
                for (int e = 0; e < d->n_edges; e++) rc |= appendf(&buf, &len, &cap, " %.17g", d->edges[e]);
            } else if (kind == TML_DERIVE_COUNT) {
                rc |= appendf(&buf, &len, &cap, " %s:", d->name);
                for (int j = 0; j < d->n_src; j++)
                    rc |= appendf(&buf, &len, &cap, "%s %s%s=%s", j ? "," : "", d->src[j], d->negate[j] ? "!" : "",
                                  d->values[j]);
            } else {
                rc |= appendf(&buf, &len, &cap, " %s", d->name);
            }
        }
        if (!first) rc |= appendf(&buf, &len, &cap, "\n");
    }
    if (rc) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- computing the columns ----------------------------------------------------------------------- */

/* The derived value of d for one record, written to out (room for outn bytes). get(ctx, i) is the
 * cell of source i. Returns 0, or -1 with err set (a non-numeric source of a numeric column). */
typedef const char *(*CellFn)(void *ctx, int i);

static int derive_value(const TmlDerived *d, CellFn get, void *ctx, char *out, size_t outn, const char *where,
                        TmlError *err) {
    out[0] = 0;
    double v = 0, x;
    switch (d->kind) {
    case TML_DERIVE_RATIO:
    case TML_DERIVE_SUM:
        for (int i = 0; i < d->n_src; i++) {
            int k = parse_num(get(ctx, i), &x);
            if (k < 0)
                return tml_fail(err, "%s: column \"%s\" holds \"%s\", not a number; it feeds the derived column \"%s\"",
                                where, d->src[i], get(ctx, i), d->name);
            if (k == 0) return 0; /* blank: the derived value is missing too */
            if (d->kind == TML_DERIVE_SUM)
                v = i ? v + x : x;
            else if (i == 0)
                v = x;
            else if (x == 0)
                return 0;
            else
                v /= x;
        }
        snprintf(out, outn, "%.9g", v);
        return 0;
    case TML_DERIVE_BUCKET: {
        int k = parse_num(get(ctx, 0), &x);
        if (k < 0)
            return tml_fail(err, "%s: column \"%s\" holds \"%s\", not a number; it feeds the derived column \"%s\"",
                            where, d->src[0], get(ctx, 0), d->name);
        if (k == 0) return 0;
        int b = 0;
        while (b < d->n_edges && x >= d->edges[b]) b++;
        if (b == 0)
            snprintf(out, outn, "<%g", d->edges[0]);
        else if (b == d->n_edges)
            snprintf(out, outn, ">=%g", d->edges[b - 1]);
        else
            snprintf(out, outn, "%g..%g", d->edges[b - 1], d->edges[b]);
        return 0;
    }
    case TML_DERIVE_COUNT: {
        int c = 0;
        for (int i = 0; i < d->n_src; i++) {
            const char *cell = get(ctx, i);
            if (cell_blank(cell)) continue;
            c += cell_equals(cell, d->values[i]) != d->negate[i];
        }
        snprintf(out, outn, "%d", c);
        return 0;
    }
    case TML_DERIVE_CROSS: {
        const char *a = get(ctx, 0), *b = get(ctx, 1);
        if (cell_blank(a) || cell_blank(b)) return 0;
        char *ta = dup_trim(a, strlen(a)), *tb = dup_trim(b, strlen(b));
        if (!ta || !tb) {
            free(ta);
            free(tb);
            return tml_fail(err, "out of memory");
        }
        snprintf(out, outn, "%s|%s", ta, tb);
        free(ta);
        free(tb);
        return 0;
    }
    }
    return 0;
}

#define DERIVED_CELL 256 /* longest derived cell: a cross of two longer values is cut to this */

typedef struct DerivedTable {
    TmlTable t;  /* must be first: callers hold a TmlTable* */
    char *block; /* the derived cells' text */
} DerivedTable;

void tml_derive_table_free(TmlTable *t) {
    if (!t) return;
    DerivedTable *d = (DerivedTable *)t;
    free(d->t.col_names);
    free(d->t.cells);
    free(d->block);
    free(d);
}

/* A source column is a column of the table (index >= 0) or an earlier derived column of the same
 * row (-1 - its index among the derived ones): crosses may take a bucket column. */
typedef struct RowCtx {
    const TmlTable *t;
    int64_t r;
    const int *cols;
    char (*row)[DERIVED_CELL]; /* this row's derived values so far */
} RowCtx;

static const char *table_cell(void *ctx, int i) {
    const RowCtx *c = ctx;
    return c->cols[i] >= 0 ? tml_table_cell(c->t, c->r, c->cols[i]) : c->row[-1 - c->cols[i]];
}

/* The source's column in t, or -1 - j for derived column j < k; -1 - k - 1 ... never: err set. */
static int source_col(const TmlDeriveSpec *s, int k, const TmlTable *t, const char *name, int *col, TmlError *err) {
    for (int j = 0; j < k; j++)
        if (!strcmp(s->d[j].name, name)) return *col = -1 - j, 0;
    TmlError e;
    if ((*col = tml_table_col(t, name, &e)) >= 0) return 0;
    return tml_fail(err, "%s (a source of the derived column \"%s\")", e.msg, s->d[k].name);
}

TmlTable *tml_derive_table(const TmlDeriveSpec *s, const TmlTable *t, TmlError *err) {
    char(*vals)[DERIVED_CELL] = NULL; /* one row's derived values */
    DerivedTable *d = calloc(1, sizeof *d);
    int **cols = calloc((size_t)s->n + 1, sizeof *cols);
    int64_t rows = t->n_rows > 0 ? t->n_rows : 1;
    if (!d || !cols) goto oom;
    d->t = *t;
    d->t.col_index = NULL; /* indexes t's columns, not these */
    d->t.n_cols = t->n_cols + s->n;
    d->t.col_names = malloc((size_t)d->t.n_cols * sizeof(char *));
    d->t.cells = malloc((size_t)rows * (size_t)d->t.n_cols * sizeof(char *));
    if (!d->t.col_names || !d->t.cells) goto oom;
    memcpy(d->t.col_names, t->col_names, (size_t)t->n_cols * sizeof(char *));
    for (int k = 0; k < s->n; k++) {
        d->t.col_names[t->n_cols + k] = s->d[k].name;
        if (!(cols[k] = malloc((size_t)s->d[k].n_src * sizeof(int)))) goto oom;
        for (int i = 0; i < s->d[k].n_src; i++)
            if (source_col(s, k, t, s->d[k].src[i], &cols[k][i], err)) goto fail;
    }
    /* values go one after another into a growing block; cells hold offsets until it stops moving */
    size_t used = 0, cap = (size_t)rows * (size_t)(s->n > 0 ? s->n : 1) * 8 + 64;
    if (!(d->block = malloc(cap)) || !(vals = malloc((size_t)(s->n > 0 ? s->n : 1) * DERIVED_CELL))) goto oom;
    for (int64_t r = 0; r < t->n_rows; r++) {
        char **row = d->t.cells + r * d->t.n_cols;
        memcpy(row, t->cells + r * t->n_cols, (size_t)t->n_cols * sizeof(char *));
        for (int k = 0; k < s->n; k++) {
            char *cell = vals[k];
            RowCtx c = {t, r, cols[k], vals};
            char where[1100];
            snprintf(where, sizeof where, "%s:%lld", t->path, (long long)t->lines[r]);
            if (derive_value(&s->d[k], table_cell, &c, cell, DERIVED_CELL, where, err)) goto fail;
            size_t len = strlen(cell) + 1;
            if (used + len > cap) {
                size_t nc = (used + len) * 2;
                char *nb = realloc(d->block, nc);
                if (!nb) goto oom;
                d->block = nb;
                cap = nc;
            }
            memcpy(d->block + used, cell, len);
            row[t->n_cols + k] = (char *)(uintptr_t)used;
            used += len;
        }
    }
    for (int64_t r = 0; r < t->n_rows; r++)
        for (int k = 0; k < s->n; k++) {
            char **cell = &d->t.cells[r * d->t.n_cols + t->n_cols + k];
            *cell = d->block + (uintptr_t)*cell;
        }
    for (int k = 0; k < s->n; k++) free(cols[k]);
    free(cols);
    free(vals);
    return &d->t;
oom:
    tml_fail(err, "%s: out of memory computing derived columns", t->path);
fail:
    if (cols)
        for (int k = 0; k < s->n; k++) free(cols[k]);
    free(cols);
    free(vals);
    if (d) tml_derive_table_free(&d->t);
    return NULL;
}

typedef struct FieldCtx {
    char *const *values;
    const int *idx;
} FieldCtx;

static const char *field_cell(void *ctx, int i) {
    const FieldCtx *c = ctx;
    const char *v = c->values[c->idx[i]];
    return v ? v : "";
}

void tml_derive_row_free(const TmlDeriveSpec *s, char **names, char **values, int n) {
    if (values)
        for (int k = 0; k < s->n; k++) free(values[n + k]);
    free(names);
    free(values);
}

int tml_derive_row(const TmlDeriveSpec *s, char *const *names, char *const *values, int n, char ***out_names,
                   char ***out_values, TmlError *err) {
    char **on = malloc((size_t)(n + s->n) * sizeof *on), **ov = calloc((size_t)(n + s->n), sizeof *ov);
    int idx[256];
    if (!on || !ov) {
        free(on);
        free(ov);
        return tml_fail(err, "out of memory");
    }
    memcpy(on, names, (size_t)n * sizeof *on);
    memcpy(ov, values, (size_t)n * sizeof *ov);
    for (int k = 0; k < s->n; k++) {
        const TmlDerived *d = &s->d[k];
        on[n + k] = d->name;
        for (int i = 0; i < d->n_src && i < 256; i++) {
            int j = 0; /* a field of the row, or an earlier derived column (a cross of a bucket) */
            while (j < n + k && strcmp(on[j], d->src[i])) j++;
            if (j == n + k) {
                tml_derive_row_free(s, on, ov, n);
                return tml_fail(err, "row has no field \"%s\" (needed for the derived column \"%s\")", d->src[i],
                                d->name);
            }
            idx[i] = j;
        }
        if (!(ov[n + k] = malloc(DERIVED_CELL))) {
            tml_derive_row_free(s, on, ov, n);
            return tml_fail(err, "out of memory");
        }
        FieldCtx c = {ov, idx};
        if (derive_value(d, field_cell, &c, ov[n + k], DERIVED_CELL, "row", err)) {
            tml_derive_row_free(s, on, ov, n);
            return -1;
        }
    }
    *out_names = on;
    *out_values = ov;
    return 0;
}

/* ---- choosing crosses ------------------------------------------------------------------------------ */

/* Class counts per distinct key (a cell, or "a\x1fb" for a pair) over train rows; rates smoothed
 * toward the training prior with weight M. */
#define SMOOTH_M 10.0

typedef struct Group {
    char *key;
    double *cnt; /* (C) */
    double n;
} Group;

typedef struct GroupSet {
    Group *g;
    int n, cap, C;
} GroupSet;

static int cmp_group(const void *a, const void *b) { return strcmp(((const Group *)a)->key, ((const Group *)b)->key); }

static void groups_free(GroupSet *gs) {
    for (int i = 0; i < gs->n; i++) free(gs->g[i].key), free(gs->g[i].cnt);
    free(gs->g);
    memset(gs, 0, sizeof *gs);
}

static char *pair_key(const char *a, const char *b) {
    size_t la = strlen(a), lb = b ? strlen(b) : 0;
    char *k = malloc(la + lb + 2);
    if (!k) return NULL;
    memcpy(k, a, la);
    k[la] = b ? '\x1f' : 0;
    if (b) memcpy(k + la + 1, b, lb + 1);
    return k;
}

/* Builds the sorted groups of key(a[, b]) over train rows. -1 when out of memory or when more
 * than max_groups distinct keys exist (the caller skips such candidates). */
static int groups_build(GroupSet *gs, const TmlTable *t, int ca, int cb, const int32_t *labels, const uint8_t *split,
                        int C, int max_groups) {
    memset(gs, 0, sizeof *gs);
    gs->C = C;
    for (int64_t r = 0; r < t->n_rows; r++) {
        if (split[r] != 0 || labels[r] < 0) continue;
        char *k = pair_key(tml_table_cell(t, r, ca), cb >= 0 ? tml_table_cell(t, r, cb) : NULL);
        if (!k) goto fail;
        int found = -1; /* linear scan: the candidates have few values */
        for (int i = 0; i < gs->n; i++)
            if (!strcmp(gs->g[i].key, k)) {
                found = i;
                break;
            }
        if (found < 0) {
            if (gs->n == max_groups) {
                free(k);
                goto fail;
            }
            if (gs->n == gs->cap) {
                int nc = gs->cap ? gs->cap * 2 : 16;
                Group *ng = realloc(gs->g, (size_t)nc * sizeof *ng);
                if (!ng) {
                    free(k);
                    goto fail;
                }
                gs->g = ng;
                gs->cap = nc;
            }
            Group *g = &gs->g[gs->n];
            g->key = k;
            g->n = 0;
            if (!(g->cnt = calloc((size_t)C, sizeof *g->cnt))) goto fail;
            found = gs->n++;
        } else {
            free(k);
        }
        gs->g[found].cnt[labels[r]] += 1;
        gs->g[found].n += 1;
    }
    qsort(gs->g, (size_t)gs->n, sizeof *gs->g, cmp_group);
    return 0;
fail:
    groups_free(gs);
    return -1;
}

/* log of the smoothed class rates of the group holding key (prior for an unseen key) into lp (C). */
static void group_logp(const GroupSet *gs, const char *key, const double *prior, double *lp) {
    Group want = {(char *)key, NULL, 0};
    const Group *g = gs->n ? bsearch(&want, gs->g, (size_t)gs->n, sizeof *gs->g, cmp_group) : NULL;
    for (int c = 0; c < gs->C; c++) {
        double p = g ? (g->cnt[c] + SMOOTH_M * prior[c]) / (g->n + SMOOTH_M) : prior[c];
        lp[c] = log(p > 1e-12 ? p : 1e-12);
    }
}

int tml_derive_choose_crosses(TmlDeriveSpec *s, const TmlTable *t, const int32_t *labels, int C, const uint8_t *split,
                              char *const *candidates, int n_cand, TmlError *err) {
    if (!s->auto_crosses || s->max_crosses == 0 || n_cand < 2) return 0;
    int64_t n_tr = 0, n_va = 0;
    double *prior = calloc((size_t)C, sizeof *prior), *la = malloc((size_t)C * 3 * sizeof *la);
    int *cols = malloc((size_t)n_cand * sizeof *cols), n_ok = 0;
    GroupSet *single = calloc((size_t)n_cand, sizeof *single);
    typedef struct Cand {
        double gain;
        int a, b;
    } Cand;
    Cand *best = calloc((size_t)n_cand * (size_t)n_cand + 1, sizeof *best);
    int n_best = 0, rc = -1;
    if (!prior || !la || !cols || !single || !best) goto oom;
    for (int64_t r = 0; r < t->n_rows; r++) {
        if (labels[r] < 0) continue;
        if (split[r] == 0)
            prior[labels[r]] += 1, n_tr++;
        else if (split[r] == 1)
            n_va++;
    }
    if (n_tr == 0 || n_va == 0) {
        tml_fail(err, "[tabular] crosses = auto needs a validation split (set valid_frac > 0 or [data] valid)");
        goto done;
    }
    for (int c = 0; c < C; c++) prior[c] = (prior[c] + 1.0) / ((double)n_tr + C);
    /* candidates with 2..50 training values */
    for (int i = 0; i < n_cand; i++) {
        int col = tml_table_col(t, candidates[i], NULL);
        if (col < 0) continue;
        if (groups_build(&single[n_ok], t, col, -1, labels, split, C, 50) < 0) continue;
        if (single[n_ok].n < 2) {
            groups_free(&single[n_ok]);
            continue;
        }
        cols[n_ok++] = col;
    }
    double *lp_a = la, *lp_b = la + C, *lp_ab = la + 2 * C;
    for (int a = 0; a < n_ok; a++)
        for (int b = a + 1; b < n_ok; b++) {
            GroupSet pair;
            if (groups_build(&pair, t, cols[a], cols[b], labels, split, C, 2500) < 0) continue;
            double ll_add = 0, ll_x = 0;
            for (int64_t r = 0; r < t->n_rows; r++) {
                if (split[r] != 1 || labels[r] < 0) continue;
                const char *va = tml_table_cell(t, r, cols[a]), *vb = tml_table_cell(t, r, cols[b]);
                char *ka = pair_key(va, NULL), *kb = pair_key(vb, NULL), *kab = pair_key(va, vb);
                if (!ka || !kb || !kab) {
                    free(ka), free(kb), free(kab);
                    groups_free(&pair);
                    goto oom;
                }
                group_logp(&single[a], ka, prior, lp_a);
                group_logp(&single[b], kb, prior, lp_b);
                group_logp(&pair, kab, prior, lp_ab);
                free(ka), free(kb), free(kab);
                /* additive: log p(c|a) + log p(c|b) - log p(c), renormalised over classes */
                double mx = -INFINITY, z = 0;
                for (int c = 0; c < C; c++) {
                    lp_a[c] = lp_a[c] + lp_b[c] - log(prior[c]);
                    mx = lp_a[c] > mx ? lp_a[c] : mx;
                }
                for (int c = 0; c < C; c++) z += exp(lp_a[c] - mx);
                ll_add -= lp_a[labels[r]] - mx - log(z);
                ll_x -= lp_ab[labels[r]];
            }
            groups_free(&pair);
            double gain = (ll_add - ll_x) / (double)n_va;
            if (gain >= 1e-3) best[n_best++] = (Cand){gain, a, b};
        }
    /* the largest gains first (insertion sort: few candidates), then add up to max_crosses */
    for (int i = 1; i < n_best; i++) {
        Cand c = best[i];
        int j = i - 1;
        while (j >= 0 && best[j].gain < c.gain) best[j + 1] = best[j], j--;
        best[j + 1] = c;
    }
    for (int i = 0; i < n_best && i < s->max_crosses; i++) {
        char *src[2] = {t->col_names[cols[best[i].a]], t->col_names[cols[best[i].b]]};
        TmlDerived *d = add(s);
        if (!d) goto oom;
        d->kind = TML_DERIVE_CROSS;
        d->n_src = 2;
        if (!(d->src = calloc(2, sizeof *d->src)) || !(d->src[0] = strdup(src[0])) || !(d->src[1] = strdup(src[1])) ||
            !(d->name = join_name(src, 2, "*")))
            goto oom;
    }
    s->auto_crosses = 0;
    rc = 0;
    goto done;
oom:
    tml_fail(err, "out of memory choosing crosses");
done:
    if (single)
        for (int i = 0; i < n_cand; i++) groups_free(&single[i]);
    free(single);
    free(prior);
    free(la);
    free(cols);
    free(best);
    return rc;
}
