/* drift_tabular.c — input drift of tabular models, column by column on the model's own features
 * (every tabular family shares them): numeric columns back in their own units (the standardization
 * undone, missing values counted apart), categorical and boolean ones as shares of the categories
 * the model was fitted on plus "(other)" for values it never saw. History and engineered columns
 * are columns like any other, named as such. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/drift_internal.h"

static const char *column_kind(const TmlFeatures *f, int i) {
    const TmlTabular *tb = f->tab;
    int n_derived = f->derive ? f->derive->n : 0;
    if (i >= tb->n_cols - n_derived) return "derived";
    for (int h = 0; h < f->history_dim; h++)
        if (f->history_names && !strcmp(f->history_names[h], tb->cols[i].name)) return "history";
    return tb->cols[i].type == TML_COL_NUMERIC ? "numeric" : "categorical";
}

/* The column's values of every row, in its own units (NaN where missing). The standardized value is
 * a float, so undoing it leaves noise of ~1e-7 std: a count of 0 came back as 3.8e-09 and a 1 as
 * 0.99999994 or 1.0000001 (two bins where there is one value). Values are rounded to 1e-5 std. */
static void numeric_values(const TmlTabColumn *col, const TmlDataset *ds, float *out) {
    double q = col->std > 0 ? pow(10, floor(log10(col->std)) - 5) : 0;
    for (int64_t r = 0; r < ds->n_rows; r++) {
        float x = ds->dense[(size_t)r * (size_t)ds->dim + (size_t)col->offset];
        double v = (double)x * col->std + col->mean;
        if (q > 0) v = round(v / q) * q;
        out[r] = isnan(x) ? NAN : (float)v;
    }
}

/* Shares of each category (one-hot block of the column) and of "(other)" (no category set). */
static int category_shares(const TmlTabColumn *col, const TmlDataset *ds, double *share) {
    int64_t *cnt = calloc((size_t)col->n_cats + 1, sizeof *cnt);
    if (!cnt) return -1;
    for (int64_t r = 0; r < ds->n_rows; r++) {
        const float *x = ds->dense + (size_t)r * (size_t)ds->dim + (size_t)col->offset;
        int k = col->n_cats;
        for (int c = 0; c < col->n_cats; c++)
            if (x[c] > 0.5f) {
                k = c;
                break;
            }
        cnt[k]++;
    }
    for (int c = 0; c <= col->n_cats; c++) share[c] = ds->n_rows ? (double)cnt[c] / (double)ds->n_rows : 0;
    free(cnt);
    return 0;
}

int tml_drift_tabular_input(const TmlFeatures *f, const TmlDriftRows *ref, const TmlDriftRows *cur, TmlDriftResult *r,
                            TmlError *err) {
    const TmlTabular *tb = f->tab;
    int64_t nr = ref->ds->n_rows, nc = cur->ds->n_rows;
    r->columns = calloc((size_t)(tb->n_cols > 0 ? tb->n_cols : 1), sizeof *r->columns);
    float *vr = malloc(sizeof *vr * (size_t)(nr > 0 ? nr : 1)), *vc = malloc(sizeof *vc * (size_t)(nc > 0 ? nc : 1));
    int rc = -1;
    if (!r->columns || !vr || !vc) goto done;
    for (int i = 0; i < tb->n_cols; i++) {
        const TmlTabColumn *col = &tb->cols[i];
        if (col->type == TML_COL_ID || col->type == TML_COL_IGNORE) continue;
        TmlDriftColumn *dc = &r->columns[r->n_columns++];
        if (!(dc->name = strdup(col->name))) goto done;
        dc->kind = column_kind(f, i);
        if (col->type == TML_COL_NUMERIC) {
            numeric_values(col, ref->ds, vr);
            numeric_values(col, cur->ds, vc);
            if (tml_drift_numeric(vr, nr, vc, nc, &dc->num)) goto done;
            dc->psi = dc->num.psi;
            dc->js = dc->num.js;
            dc->chi2_p = dc->num.chi2_p;
            continue;
        }
        int k = col->n_cats + 1;
        dc->n_cats = k;
        dc->cats = calloc((size_t)k, sizeof *dc->cats);
        dc->ref = calloc((size_t)k, sizeof *dc->ref);
        dc->cur = calloc((size_t)k, sizeof *dc->cur);
        if (!dc->cats || !dc->ref || !dc->cur) goto done;
        for (int c = 0; c < k; c++)
            if (!(dc->cats[c] = strdup(c < col->n_cats ? col->cats[c] : "(other)"))) goto done;
        if (category_shares(col, ref->ds, dc->ref) || category_shares(col, cur->ds, dc->cur)) goto done;
        /* an "(other)" bucket empty on both sides is not a category of this data */
        if (dc->ref[k - 1] == 0 && dc->cur[k - 1] == 0) {
            free(dc->cats[k - 1]);
            dc->n_cats = --k;
        }
        dc->psi = tml_drift_psi(dc->ref, dc->cur, k);
        dc->js = tml_drift_js(dc->ref, dc->cur, k);
        dc->chi2_p = tml_drift_chi2_p(dc->ref, nr, dc->cur, nc, k);
    }
    rc = 0;
done:
    if (rc) tml_fail(err, "drift: out of memory comparing the columns");
    free(vr);
    free(vc);
    return rc;
}
