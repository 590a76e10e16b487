/* segments.c — metrics per segment (see segments.h): group the rows by a column's value (the most
 * frequent values apart, the rest pooled) and compute the same metrics on each group. */
#include "eval/segments.h"

#include <stdlib.h>
#include <string.h>

typedef struct Group {
    const char *value;
    int64_t rows;
} Group;

static int by_rows(const void *a, const void *b) {
    const Group *x = a, *y = b;
    if (x->rows != y->rows) return x->rows > y->rows ? -1 : 1;
    return strcmp(x->value, y->value);
}

static int add(TmlSegments *out, const char *column, const char *value, int64_t rows, TmlMetrics *m) {
    TmlSegment *s = realloc(out->s, sizeof *s * (size_t)(out->n + 1));
    if (!s) return -1;
    out->s = s;
    s = &out->s[out->n];
    s->column = strdup(column);
    s->value = strdup(value);
    s->rows = rows;
    s->metrics = m;
    if (!s->column || !s->value) {
        free(s->column);
        free(s->value);
        return -1;
    }
    out->n++;
    return 0;
}

/* Metrics of the rows whose group is g (row_group[i] == g); NULL when none has a known label. */
static TmlMetrics *group_metrics(const int32_t *row_group, int g, const TmlDataset *ds, const float *probs, int C,
                                 int positive, const TmlMetricsOptions *opt, int64_t *rows, int *oom) {
    int64_t n = 0, known = 0;
    for (int64_t i = 0; i < ds->n_rows; i++)
        if (row_group[i] == g) n++, known += ds->labels[i] >= 0;
    *rows = n;
    if (!known) return NULL;
    float *p = malloc(sizeof *p * (size_t)n * (size_t)C);
    int32_t *l = malloc(sizeof *l * (size_t)n);
    TmlMetrics *m = NULL;
    if (p && l) {
        int64_t k = 0;
        for (int64_t i = 0; i < ds->n_rows; i++)
            if (row_group[i] == g) {
                memcpy(p + k * C, probs + i * C, sizeof *p * (size_t)C);
                l[k++] = ds->labels[i];
            }
        TmlError e;
        m = tml_metrics_compute(p, l, n, C, positive, opt, &e);
    }
    if (!m) *oom = 1;
    free(p);
    free(l);
    return m;
}

/* Groups the rows by value[i] (the most frequent TML_SEGMENT_MAX_VALUES apart) and adds a segment
 * per group. */
static int by_values(TmlSegments *out, const char *column, const char *const *value, const TmlDataset *ds,
                     const float *probs, int C, int positive, const TmlMetricsOptions *opt) {
    int64_t n = ds->n_rows;
    Group *g = NULL;
    int ng = 0, cap = 0, rc = -1;
    int32_t *row_group = malloc(sizeof *row_group * (size_t)(n > 0 ? n : 1));
    if (!row_group) return -1;
    /* distinct values (linear search over a short list: segment columns have few values; a column
     * with many is cut at 256 distinct values, the rest pooled) */
    for (int64_t i = 0; i < n; i++) {
        int k = 0;
        while (k < ng && strcmp(g[k].value, value[i])) k++;
        if (k == ng) {
            if (ng == 256) {
                row_group[i] = -2;
                continue;
            }
            if (ng == cap) {
                Group *ng2 = realloc(g, sizeof *g * (size_t)(cap = cap ? cap * 2 : 16));
                if (!ng2) goto done;
                g = ng2;
            }
            g[ng++] = (Group){value[i], 0};
        }
        g[k].rows++;
        row_group[i] = k;
    }
    Group *sorted = malloc(sizeof *sorted * (size_t)(ng > 0 ? ng : 1));
    int *rank = malloc(sizeof *rank * (size_t)(ng > 0 ? ng : 1));
    if (!sorted || !rank) {
        free(sorted), free(rank);
        goto done;
    }
    memcpy(sorted, g, sizeof *g * (size_t)ng);
    qsort(sorted, (size_t)ng, sizeof *sorted, by_rows);
    for (int k = 0; k < ng; k++) /* each group's rank by size; past the cut, the pooled group */
        for (int j = 0; j < ng; j++)
            if (sorted[j].value == g[k].value) rank[k] = j < TML_SEGMENT_MAX_VALUES ? j : TML_SEGMENT_MAX_VALUES;
    for (int64_t i = 0; i < n; i++) row_group[i] = row_group[i] < 0 ? TML_SEGMENT_MAX_VALUES : rank[row_group[i]];
    int shown = ng < TML_SEGMENT_MAX_VALUES ? ng : TML_SEGMENT_MAX_VALUES, oom = 0;
    for (int j = 0; j <= shown && !oom; j++) {
        int64_t rows;
        TmlMetrics *m = group_metrics(row_group, j, ds, probs, C, positive, opt, &rows, &oom);
        if (oom) break;
        if (rows == 0) continue;
        const char *v = j < shown ? sorted[j].value : "(other)";
        if (add(out, column, v[0] ? v : "(blank)", rows, m)) {
            tml_metrics_free(m);
            oom = 1;
        }
    }
    free(sorted);
    free(rank);
    rc = oom ? -1 : 0;
done:
    free(g);
    free(row_group);
    return rc;
}

TmlSegments *tml_segments_compute(const char *spec, const TmlTable *t, const TmlDataset *ds, const float *probs,
                                  int C, int positive, const TmlMetricsOptions *opt, int *bad_input, TmlError *err) {
    *bad_input = 0;
    TmlSegments *out = calloc(1, sizeof *out);
    const char **value = malloc(sizeof *value * (size_t)(ds->n_rows > 0 ? ds->n_rows : 1));
    if (!out || !value) goto oom;
    int cols[16], n_cols = 0;
    if (spec && spec[0]) {
        n_cols = tml_table_cols(t, spec, cols, 16, err);
        if (n_cols < 0) {
            *bad_input = 1;
            free(value);
            tml_segments_free(out);
            return NULL;
        }
        if (n_cols > 16) n_cols = 16;
    }
    for (int k = 0; k < n_cols; k++) {
        for (int64_t i = 0; i < ds->n_rows; i++) value[i] = tml_table_cell(t, i, cols[k]);
        if (by_values(out, t->col_names[cols[k]], value, ds, probs, C, positive, opt)) goto oom;
    }
    if (ds->texts) {
        static const char *const NAMES[TML_SCRIPT_COUNT] = {"Latin only", "CJK only", "CJK and Latin", "no letters"};
        for (int64_t i = 0; i < ds->n_rows; i++) value[i] = NAMES[tml_textfeat_script(ds->texts[i], NULL)];
        if (by_values(out, "script", value, ds, probs, C, positive, opt)) goto oom;
    }
    free(value);
    return out;
oom:
    free(value);
    tml_segments_free(out);
    tml_fail(err, "segments: out of memory");
    return NULL;
}

void tml_segments_free(TmlSegments *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++) {
        free(s->s[i].column);
        free(s->s[i].value);
        tml_metrics_free(s->s[i].metrics);
    }
    free(s->s);
    free(s);
}
