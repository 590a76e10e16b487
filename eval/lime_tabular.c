/* lime_tabular.c — LIME for tabular rows (lime_tabular.LimeTabularExplainer with
 * discretize_continuous=True, discretizer='quartile'): numeric columns become quartile bins,
 * categorical ones stay categories; samples draw each column's bin/category by training frequency,
 * the surrogate sees "same bin/category as the instance" bits, and the model sees the dense rows. */
#include "eval/lime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One interpretable feature: a numeric column's bins or a categorical column's categories. */
typedef struct TabFeat {
    int col;            /* index into tb->cols */
    int numeric;
    int n_vals;         /* bins or categories */
    double edges[3];    /* numeric: distinct quartiles, ascending (n_vals - 1 of them) */
    double lo[4], hi[4];/* numeric: value range of each bin */
    double *cum;        /* (n_vals) cumulative sampling frequencies, last = 1 */
    int inst;           /* the instance's bin / category (-1: unseen category) */
} TabFeat;

void tml_lime_tab_raw_from_row(const TmlTabular *tb, const float *row, double *raw) {
    for (int c = 0; c < tb->n_cols; c++) {
        const TmlTabColumn *col = &tb->cols[c];
        if (col->type == TML_COL_NUMERIC) {
            raw[c] = col->mean + col->std * (double)row[col->offset];
        } else if (col->type == TML_COL_CATEGORICAL || col->type == TML_COL_BOOLEAN) {
            int best = -1;
            float bv = 0.5f;
            for (int k = 0; k < col->n_cats; k++)
                if (row[col->offset + k] > bv) bv = row[col->offset + k], best = k;
            raw[c] = best;
        } else {
            raw[c] = NAN;
        }
    }
}

/* Numeric column -> bins as lime's QuartileDiscretizer: np.unique of the quartiles are the edges;
 * bin b holds edges[b-1] < x <= edges[b] (np.searchsorted, side left). lime samples a bin by its
 * frequency in the discretized training data; only the quartiles are recorded, so the frequency is
 * taken from the quartile ranks (a quartile edge q_k closes 25% * (k + 1) of the data: 25% per bin
 * when the quartiles are distinct, merged shares when they tie). */
static void tab_numeric_bins(const TmlTabColumn *col, double x, TabFeat *f) {
    int ne = 0, rank[3];
    for (int k = 0; k < 3; k++) {
        if (ne > 0 && col->quartiles[k] == f->edges[ne - 1]) {
            rank[ne - 1] = k;
        } else {
            f->edges[ne] = col->quartiles[k];
            rank[ne++] = k;
        }
    }
    f->numeric = 1;
    f->n_vals = ne + 1;
    for (int b = 0; b < ne; b++) f->cum[b] = 0.25 * (rank[b] + 1);
    f->cum[ne] = 1.0;
    for (int b = 0; b <= ne; b++) {
        f->lo[b] = b == 0 ? col->min : f->edges[b - 1];
        f->hi[b] = b == ne ? col->max : f->edges[b];
        if (f->lo[b] > f->hi[b]) { /* the recorded range does not cover the bin: no spread */
            double v = b == 0 ? f->hi[b] : f->lo[b];
            f->lo[b] = f->hi[b] = v;
        }
    }
    /* Recovering x as mean + std * z can land a hair past an edge; treat values within a relative
     * 1e-6 of an edge as on it, so a value equal to a quartile falls in the "<=" bin as in lime. */
    int bin = 0;
    for (int b = 0; b < ne; b++) {
        double tol = 1e-6 * (fabs(f->edges[b]) > 1.0 ? fabs(f->edges[b]) : 1.0);
        if (x > f->edges[b] + tol) bin = b + 1;
    }
    f->inst = bin;
}

static void tab_categorical(const TmlTabColumn *col, double x, TabFeat *f) {
    f->numeric = 0;
    f->n_vals = col->n_cats;
    double tot = 0.0;
    for (int k = 0; k < col->n_cats; k++) tot += col->cat_freq && col->cat_freq[k] > 0 ? col->cat_freq[k] : 0.0;
    double acc = 0.0;
    for (int k = 0; k < col->n_cats; k++) {
        /* No recorded frequencies: every category equally likely. */
        double fk = tot > 0.0 ? (col->cat_freq[k] > 0 ? col->cat_freq[k] : 0.0) / tot : 1.0 / col->n_cats;
        acc += fk;
        f->cum[k] = acc;
    }
    if (col->n_cats > 0) f->cum[col->n_cats - 1] = 1.0;
    f->inst = isnan(x) || x < 0 || x >= col->n_cats ? -1 : (int)x;
}

/* Draws a bin/category index by the cumulative frequencies. */
static int tab_draw(TmlRng *rng, const TabFeat *f) {
    double u = tml_rng_uniform(rng);
    for (int v = 0; v < f->n_vals - 1; v++)
        if (u < f->cum[v]) return v;
    return f->n_vals - 1;
}

/* Writes value v of feature f into the dense row (standardized number or one-hot). */
static void tab_write(const TmlTabular *tb, const TabFeat *f, TmlRng *rng, int v, float *row) {
    const TmlTabColumn *col = &tb->cols[f->col];
    if (f->numeric) {
        double x = f->lo[v] + (f->hi[v] - f->lo[v]) * tml_rng_uniform(rng);
        row[col->offset] = (float)((x - col->mean) / (col->std != 0.0 ? col->std : 1.0));
    } else {
        for (int k = 0; k < col->n_cats; k++) row[col->offset + k] = 0.0f;
        row[col->offset + v] = 1.0f;
    }
}

/* The rule text of the instance's bin/category, as lime names it. malloc'd; caller frees. */
static char *tab_rule(const TmlTabular *tb, const TabFeat *f) {
    const TmlTabColumn *col = &tb->cols[f->col];
    char buf[512];
    if (f->numeric) {
        int ne = f->n_vals - 1, b = f->inst;
        if (b == 0)
            snprintf(buf, sizeof buf, "%s <= %.2f", col->name, f->edges[0]);
        else if (b == ne)
            snprintf(buf, sizeof buf, "%s > %.2f", col->name, f->edges[ne - 1]);
        else
            snprintf(buf, sizeof buf, "%.2f < %s <= %.2f", f->edges[b - 1], col->name, f->edges[b]);
    } else {
        snprintf(buf, sizeof buf, "%s=%s", col->name, f->inst >= 0 ? col->cats[f->inst] : "(unseen)");
    }
    return strdup(buf);
}

TmlLimeExplanation *tml_lime_tab_explain(const TmlTabular *tb, const float *row, const double *raw,
                                         const TmlLimeConfig *cfg, int n_classes, int label,
                                         TmlLimeTabScore score, void *ctx, TmlError *err) {
    TmlLimeConfig def;
    if (!(cfg = tml_lime_check_args(cfg, &def, n_classes, label, err))) return NULL;
    int S = cfg->num_samples, dim = tb->dim, C = n_classes;
    int B = cfg->batch_size > 0 && cfg->batch_size < S ? cfg->batch_size : S;
    TmlLimeExplanation *e = calloc(1, sizeof *e);
    TabFeat *feats = calloc((size_t)tb->n_cols + 1, sizeof(TabFeat));
    double *rawbuf = malloc(((size_t)tb->n_cols + 1) * sizeof(double));
    float *rows = malloc(((size_t)B * dim + 1) * sizeof(float));
    float *probs = malloc(((size_t)B * C + 1) * sizeof(float));
    double *y = malloc((size_t)S * sizeof(double));
    double *w = malloc((size_t)S * sizeof(double));
    double *X = NULL, *kern = NULL;
    int p = 0;
    if (e) e->probs = malloc((size_t)C * sizeof(float));
    if (!e || !e->probs || !feats || !rawbuf || !rows || !probs || !y || !w) {
        tml_fail(err, "lime: out of memory for %d samples of %d features", S, dim);
        goto fail;
    }
    if (!raw) {
        tml_lime_tab_raw_from_row(tb, row, rawbuf);
        raw = rawbuf;
    }
    for (int c = 0; c < tb->n_cols; c++) {
        const TmlTabColumn *col = &tb->cols[c];
        TabFeat *f = &feats[p];
        f->col = c;
        if (col->type == TML_COL_NUMERIC) {
            if (!isfinite(raw[c])) {
                tml_fail(err, "lime: column '%s' of the instance is not a finite number; impute it first",
                         col->name);
                goto fail;
            }
            if (!(f->cum = malloc(4 * sizeof(double)))) goto oom;
            tab_numeric_bins(col, raw[c], f);
        } else if ((col->type == TML_COL_CATEGORICAL || col->type == TML_COL_BOOLEAN) && col->n_cats > 0) {
            if (!(f->cum = malloc((size_t)col->n_cats * sizeof(double)))) goto oom;
            tab_categorical(col, raw[c], f);
        } else {
            continue; /* id / ignored columns are not model inputs */
        }
        p++;
    }
    X = malloc(((size_t)S * p + 1) * sizeof(double));
    kern = malloc(((size_t)p + 1) * sizeof(double));
    if (!X || !kern) goto oom;

    /* Distances are euclidean on lime's scaled data, which with discretization is this binary
     * matrix itself (every column is categorical, so the scaler leaves it as is): a sample that
     * differs from the instance in d columns is at distance sqrt(d). */
    double width = cfg->kernel_width > 0.0 ? cfg->kernel_width : 0.75 * sqrt((double)p);
    for (int d = 0; d <= p; d++) kern[d] = sqrt(exp(-(double)d / (width * width)));

    TmlRng rng;
    tml_rng_seed(&rng, cfg->seed);
    for (int start = 0; start < S; start += B) {
        int n = S - start < B ? S - start : B;
        /* Rows are drawn sample by sample, so the batch size does not change the explanation. */
        for (int r = 0; r < n; r++) {
            int i = start + r;
            float *dst = rows + (size_t)r * dim;
            double *xi = X + (size_t)i * p;
            memcpy(dst, row, (size_t)dim * sizeof(float));
            int diff = 0;
            for (int j = 0; j < p; j++) {
                if (i == 0) {
                    xi[j] = 1.0;
                    continue;
                }
                int v = tab_draw(&rng, &feats[j]);
                tab_write(tb, &feats[j], &rng, v, dst);
                xi[j] = v == feats[j].inst ? 1.0 : 0.0;
                diff += v != feats[j].inst;
            }
            w[i] = kern[diff];
        }
        if (score(ctx, rows, n, dim, probs, err) != 0 ||
            tml_lime_take_scores(probs, start, n, C, &label, e->probs, y, err) != 0)
            goto fail;
    }
    e->label = label;
    e->n_classes = C;
    e->model_prob = e->probs[label];
    e->num_samples = S;
    if (tml_lime_fit_surrogate(X, y, w, S, p, cfg, e, err) != 0) goto fail;
    for (int a = 0; a < e->n_features; a++) {
        const TabFeat *f = &feats[e->features[a].id];
        e->features[a].id = f->col;
        if (!(e->features[a].name = tab_rule(tb, f))) goto oom;
    }
    goto done;
oom:
    tml_fail(err, "lime: out of memory explaining a row of %d columns", tb->n_cols);
fail:
    tml_lime_explanation_free(e);
    e = NULL;
done:
    if (feats)
        for (int j = 0; j < tb->n_cols; j++) free(feats[j].cum);
    free(feats), free(rawbuf), free(rows), free(probs), free(y), free(w), free(X), free(kern);
    return e;
}
