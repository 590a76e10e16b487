/* tabular.c — customer attributes to dense features. Types are inferred or declared; numeric
 * columns are imputed (a recorded fill value), then standardized with train mean/std; categorical
 * and boolean columns become one-hot over their sorted training categories. All statistics come
 * from train-mask rows only, so valid/test never leak into the features. Rules in docs/data.md. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/tabular.h"

/* ---- cell helpers ---------------------------------------------------------------------------- */

/* Trimmed view of a cell: *n bytes from the returned pointer. */
static const char *cell_trim(const char *s, size_t *n) {
    while (isspace((unsigned char)*s)) s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1])) len--;
    *n = len;
    return s;
}

enum { NUM_OK = 0, NUM_BLANK = 1, NUM_BAD = 2, NUM_NONFINITE = 3 };

/* Parses a numeric cell (surrounding blanks allowed). */
static int cell_number(const char *s, double *v) {
    size_t n;
    s = cell_trim(s, &n);
    if (n == 0) return NUM_BLANK;
    char buf[64];
    if (n >= sizeof buf) return NUM_BAD;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    double d = strtod(buf, &end);
    if (end != buf + n) return NUM_BAD;
    /* strtod also reads hex ("0x1p3"); tickets never mean that, so only decimal forms count */
    for (size_t i = 0; i < n; i++)
        if (buf[i] == 'x' || buf[i] == 'X') return NUM_BAD;
    if (!isfinite(d)) return NUM_NONFINITE;
    *v = d;
    return NUM_OK;
}

/* malloc'd trimmed copy of a cell. */
static char *cell_dup(const char *s) {
    size_t n;
    s = cell_trim(s, &n);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* Compares a trimmed cell against a category name. */
static int cell_cmp(const char *cell, const char *cat) {
    size_t n;
    cell = cell_trim(cell, &n);
    int c = strncmp(cell, cat, n);
    if (c) return c;
    return cat[n] == 0 ? 0 : -1;
}

static int cmp_cstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy.percentile's default (linear interpolation) on sorted v[0..n). */
static double percentile_sorted(const double *v, int64_t n, double q) {
    double pos = q * (double)(n - 1);
    int64_t lo = (int64_t)floor(pos);
    if (lo >= n - 1) return v[n - 1];
    double frac = pos - (double)lo;
    return v[lo] + (v[lo + 1] - v[lo]) * frac;
}

static int looks_boolean_pair(const char *a, const char *b) {
    static const char *const pairs[][2] = {{"yes", "no"}, {"true", "false"}, {"y", "n"}, {"t", "f"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if ((strcasecmp(a, pairs[i][0]) == 0 && strcasecmp(b, pairs[i][1]) == 0) ||
            (strcasecmp(a, pairs[i][1]) == 0 && strcasecmp(b, pairs[i][0]) == 0))
            return 1;
    return 0;
}

/* ---- fitting --------------------------------------------------------------------------------- */

/* Sorted trimmed copies of the non-blank train cells of column col (caller frees each + array). */
static char **collect_strings(const TmlTable *t, int col, const uint8_t *mask, int64_t *n_out, int64_t *n_blank) {
    char **v = malloc((size_t)t->n_rows * sizeof *v + 1);
    if (!v) return NULL;
    int64_t n = 0, blank = 0;
    for (int64_t r = 0; r < t->n_rows; r++) {
        if (mask && !mask[r]) continue;
        size_t len;
        cell_trim(tml_table_cell(t, r, col), &len);
        if (len == 0) {
            blank++;
            continue;
        }
        if (!(v[n] = cell_dup(tml_table_cell(t, r, col)))) {
            for (int64_t i = 0; i < n; i++) free(v[i]);
            free(v);
            return NULL;
        }
        n++;
    }
    qsort(v, (size_t)n, sizeof *v, cmp_cstr);
    *n_out = n;
    *n_blank = blank;
    return v;
}

static void free_strings(char **v, int64_t n) {
    if (!v) return;
    for (int64_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* Infers a column type from its train cells (rules in tabular.h). */
static TmlColType infer_type(const TmlTable *t, int col, const uint8_t *mask, char **sorted, int64_t n) {
    int numeric = 1;
    for (int64_t r = 0; r < t->n_rows && numeric; r++) {
        if (mask && !mask[r]) continue;
        double v;
        int k = cell_number(tml_table_cell(t, r, col), &v);
        numeric = k != NUM_BAD;
    }
    if (numeric) return TML_COL_NUMERIC; /* NaN/Inf text is reported by the numeric fit */
    int64_t distinct = 0;
    for (int64_t i = 0; i < n; i++) distinct += i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0;
    if (distinct == 2) {
        const char *b = NULL;
        for (int64_t i = 1; i < n && !b; i++)
            if (strcmp(sorted[i], sorted[0]) != 0) b = sorted[i];
        if (looks_boolean_pair(sorted[0], b)) return TML_COL_BOOLEAN;
    }
    if (distinct == n && n > 1) return TML_COL_ID;
    return TML_COL_CATEGORICAL;
}

static int fit_numeric(TmlTabColumn *c, const TmlTable *t, int col, const uint8_t *mask, TmlImpute impute,
                       TmlError *err) {
    double *v = malloc((size_t)t->n_rows * sizeof *v + sizeof *v);
    if (!v) return tml_fail(err, "%s: out of memory fitting column \"%s\"", t->path, c->name);
    int64_t n = 0, blank = 0;
    for (int64_t r = 0; r < t->n_rows; r++) {
        if (mask && !mask[r]) continue;
        const char *s = tml_table_cell(t, r, col);
        int k = cell_number(s, &v[n]);
        if (k == NUM_OK) {
            n++;
        } else if (k == NUM_BLANK) {
            blank++;
        } else {
            free(v);
            if (k == NUM_NONFINITE)
                return tml_fail(err, "%s:%lld: column \"%s\" holds \"%s\"; numbers must be finite: leave the cell "
                                "blank to have it imputed", t->path, (long long)t->lines[r], c->name, s);
            return tml_fail(err, "%s:%lld: column \"%s\" holds \"%s\", not a number; fix the value or declare the "
                            "column categorical ([tabular] categorical = %s)", t->path, (long long)t->lines[r],
                            c->name, s, c->name);
        }
    }
    c->n_missing_fit = blank;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double fill = 0;
    if (n > 0 && impute == TML_IMPUTE_MEDIAN) {
        fill = percentile_sorted(v, n, 0.5);
    } else if (n > 0 && impute == TML_IMPUTE_MEAN) {
        double s = 0;
        for (int64_t i = 0; i < n; i++) s += v[i];
        fill = s / (double)n;
    }
    c->fill = fill;
    /* statistics of the imputed column (as an imputer followed by a scaler would see it) */
    int64_t m = n + blank;
    for (int64_t i = 0; i < blank; i++) v[n + i] = fill;
    if (blank) qsort(v, (size_t)m, sizeof *v, cmp_double);
    if (m == 0) {
        c->mean = 0, c->std = 1, c->min = c->max = 0;
        c->quartiles[0] = c->quartiles[1] = c->quartiles[2] = 0;
        free(v);
        return 0;
    }
    double sum = 0;
    for (int64_t i = 0; i < m; i++) sum += v[i];
    c->mean = sum / (double)m;
    double ss = 0;
    for (int64_t i = 0; i < m; i++) ss += (v[i] - c->mean) * (v[i] - c->mean);
    c->std = sqrt(ss / (double)m);
    if (!(c->std > 0)) c->std = 1;
    c->min = v[0];
    c->max = v[m - 1];
    for (int q = 0; q < 3; q++) c->quartiles[q] = percentile_sorted(v, m, 0.25 * (q + 1));
    free(v);
    return 0;
}

static int fit_categorical(TmlTabColumn *c, char **sorted, int64_t n, int64_t blank) {
    c->n_missing_fit = blank;
    int distinct = 0;
    for (int64_t i = 0; i < n; i++) distinct += i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0;
    c->cats = calloc((size_t)distinct + 1, sizeof *c->cats);
    c->cat_freq = calloc((size_t)distinct + 1, sizeof *c->cat_freq);
    if (!c->cats || !c->cat_freq) return -1;
    for (int64_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0) {
            if (!(c->cats[c->n_cats] = strdup(sorted[i]))) return -1;
            c->n_cats++;
        }
        c->cat_freq[c->n_cats - 1] += 1.0; /* count, then share among non-blank train cells */
    }
    for (int k = 0; k < c->n_cats; k++) c->cat_freq[k] /= (double)n;
    return 0;
}

static int build_feature_names(TmlTabular *tb) {
    tb->feature_names = calloc((size_t)tb->dim + 1, sizeof *tb->feature_names);
    if (!tb->feature_names) return -1;
    for (int i = 0; i < tb->n_cols; i++) {
        TmlTabColumn *c = &tb->cols[i];
        if (c->type == TML_COL_NUMERIC) {
            if (!(tb->feature_names[c->offset] = strdup(c->name))) return -1;
        } else if (c->type == TML_COL_CATEGORICAL || c->type == TML_COL_BOOLEAN) {
            for (int k = 0; k < c->n_cats; k++) {
                size_t len = strlen(c->name) + strlen(c->cats[k]) + 2;
                char *s = malloc(len);
                if (!s) return -1;
                snprintf(s, len, "%s=%s", c->name, c->cats[k]);
                tb->feature_names[c->offset + k] = s;
            }
        }
    }
    return 0;
}

TmlTabular *tml_tabular_fit(const TmlTable *t, char *const *names, const int *types, int n_names, TmlImpute impute,
                            const uint8_t *train_mask, TmlError *err) {
    int n = names ? n_names : t->n_cols;
    TmlTabular *tb = calloc(1, sizeof *tb);
    if (!tb || !(tb->cols = calloc((size_t)n + 1, sizeof *tb->cols))) {
        free(tb);
        return tml_fail(err, "%s: out of memory", t->path), NULL;
    }
    int64_t n_train = 0;
    for (int64_t r = 0; r < t->n_rows; r++) n_train += !train_mask || train_mask[r];
    if (n_train == 0) {
        tml_fail(err, "%s: no training rows to fit the tabular features on", t->path);
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        const char *name = names ? names[i] : t->col_names[i];
        int col = tml_table_col(t, name, err);
        if (col < 0) goto fail;
        TmlTabColumn *c = &tb->cols[tb->n_cols++];
        c->impute = impute;
        c->std = 1;
        if (!(c->name = strdup(name))) goto oom;
        int declared = types ? types[i] : -1;
        int64_t ns = 0, blank = 0;
        char **sorted = NULL;
        if (declared < 0 || declared == TML_COL_CATEGORICAL || declared == TML_COL_BOOLEAN) {
            if (!(sorted = collect_strings(t, col, train_mask, &ns, &blank))) goto oom;
        }
        c->type = declared >= 0 ? (TmlColType)declared : infer_type(t, col, train_mask, sorted, ns);
        int rc = 0;
        if (c->type == TML_COL_NUMERIC) {
            rc = fit_numeric(c, t, col, train_mask, impute, err);
        } else if (c->type == TML_COL_CATEGORICAL || c->type == TML_COL_BOOLEAN) {
            if (fit_categorical(c, sorted, ns, blank) < 0) {
                free_strings(sorted, ns);
                goto oom;
            }
        }
        free_strings(sorted, ns);
        if (rc < 0) goto fail;
        c->offset = tb->dim;
        tb->dim += c->type == TML_COL_NUMERIC ? 1
                   : (c->type == TML_COL_CATEGORICAL || c->type == TML_COL_BOOLEAN) ? c->n_cats
                                                                                    : 0;
    }
    if (build_feature_names(tb) < 0) goto oom;
    return tb;
oom:
    tml_fail(err, "%s: out of memory fitting tabular features", t->path);
fail:
    tml_tabular_free(tb);
    return NULL;
}

void tml_tabular_free(TmlTabular *tb) {
    if (!tb) return;
    for (int i = 0; i < tb->n_cols; i++) {
        TmlTabColumn *c = &tb->cols[i];
        free(c->name);
        for (int k = 0; k < c->n_cats; k++) free(c->cats[k]);
        free(c->cats);
        free(c->cat_freq);
    }
    if (tb->feature_names)
        for (int k = 0; k < tb->dim; k++) free(tb->feature_names[k]);
    free(tb->feature_names);
    free(tb->cols);
    free(tb);
}

/* ---- transform ------------------------------------------------------------------------------- */

/* Writes column c's features for cell s into row (dim wide, already zeroed). where: "file:line"
 * or "row" for messages. */
static int transform_cell(const TmlTabular *tb, const TmlTabColumn *c, const char *s, float *row, const char *where,
                          TmlError *err) {
    if (c->type == TML_COL_NUMERIC) {
        double v;
        int k = cell_number(s, &v);
        if (k == NUM_BLANK && tb->keep_missing) {
            row[c->offset] = NAN;
            return 0;
        }
        if (k == NUM_BLANK) v = c->fill;
        else if (k == NUM_NONFINITE)
            return tml_fail(err, "%s: column \"%s\" holds \"%s\"; numbers must be finite: leave the cell blank to "
                            "have it imputed", where, c->name, s);
        else if (k == NUM_BAD)
            return tml_fail(err, "%s: column \"%s\" holds \"%s\", not a number; the model was trained with it "
                            "numeric, so fix the value", where, c->name, s);
        row[c->offset] = (float)((v - c->mean) / c->std);
    } else if (c->type == TML_COL_CATEGORICAL || c->type == TML_COL_BOOLEAN) {
        int lo = 0, hi = c->n_cats - 1; /* cats are sorted: binary search; unseen -> all zeros */
        while (lo <= hi) {
            int mid = (lo + hi) / 2, d = cell_cmp(s, c->cats[mid]);
            if (d == 0) {
                row[c->offset + mid] = 1.0f;
                break;
            }
            if (d < 0) hi = mid - 1;
            else lo = mid + 1;
        }
    }
    return 0;
}

static int uses_input(const TmlTabColumn *c) { return c->type != TML_COL_ID && c->type != TML_COL_IGNORE; }

int tml_tabular_transform(const TmlTabular *tb, const TmlTable *t, float *out, TmlError *err) {
    int *cols = malloc(((size_t)tb->n_cols + 1) * sizeof *cols);
    if (!cols) return tml_fail(err, "%s: out of memory", t->path);
    for (int i = 0; i < tb->n_cols; i++) {
        cols[i] = -1;
        if (uses_input(&tb->cols[i]) && (cols[i] = tml_table_col(t, tb->cols[i].name, err)) < 0) {
            free(cols);
            return -1;
        }
    }
    memset(out, 0, (size_t)t->n_rows * (size_t)tb->dim * sizeof *out);
    for (int64_t r = 0; r < t->n_rows; r++) {
        for (int i = 0; i < tb->n_cols; i++) {
            if (cols[i] < 0) continue;
            const char *s = tml_table_cell(t, r, cols[i]);
            if (tb->cols[i].type == TML_COL_NUMERIC || tb->cols[i].type == TML_COL_CATEGORICAL ||
                tb->cols[i].type == TML_COL_BOOLEAN) {
                float *row = out + r * tb->dim;
                if (tb->cols[i].type != TML_COL_NUMERIC) {
                    transform_cell(tb, &tb->cols[i], s, row, "", err);
                    continue;
                }
                double v;
                if (cell_number(s, &v) == NUM_OK) { /* fast path; errors re-parse for the message */
                    row[tb->cols[i].offset] = (float)((v - tb->cols[i].mean) / tb->cols[i].std);
                    continue;
                }
                char where[1100];
                snprintf(where, sizeof where, "%s:%lld", t->path, (long long)t->lines[r]);
                if (transform_cell(tb, &tb->cols[i], s, row, where, err) < 0) {
                    free(cols);
                    return -1;
                }
            }
        }
    }
    free(cols);
    return 0;
}

int tml_tabular_transform_row(const TmlTabular *tb, char *const *names, char *const *values, int n, float *out,
                              TmlError *err) {
    memset(out, 0, (size_t)tb->dim * sizeof *out);
    for (int i = 0; i < tb->n_cols; i++) {
        const TmlTabColumn *c = &tb->cols[i];
        if (!uses_input(c)) continue;
        int j = 0;
        while (j < n && strcmp(names[j], c->name) != 0) j++;
        if (j == n)
            return tml_fail(err, "row has no field \"%s\"; send every column the model was trained on (blank "
                            "values are imputed)", c->name);
        if (transform_cell(tb, c, values[j] ? values[j] : "", out, "row", err) < 0) return -1;
    }
    return 0;
}
