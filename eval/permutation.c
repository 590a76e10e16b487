/* permutation.c — permutation importance through the family's score (see permutation.h). */
#include "eval/permutation.h"

#include <stdlib.h>
#include <string.h>

#include "eval/metrics.h"
#include "ticketml/rng.h"

#define MAX_ROWS 20000
#define SEED 0x5045524dULL

static double metric_of(const float *probs, const int32_t *labels, int64_t n, int C, int positive) {
    TmlMetricsOptions o;
    tml_metrics_options_default(&o);
    o.bootstrap = 0;
    TmlError e;
    TmlMetrics *m = tml_metrics_compute(probs, labels, n, C, positive, &o, &e);
    if (!m) return 0;
    double v = m->is_binary ? m->binary.roc_auc : m->accuracy;
    tml_metrics_free(m);
    return v;
}

int tml_permutation_importance(TmlLoadedModel *lm, const TmlDataset *ds, const char *const **names, double **drop,
                               const char **metric, TmlError *err) {
    const TmlTabular *tb = lm->features->tab;
    int C = lm->model->n_out, positive = lm->features->positive, dim = ds->dim;
    *metric = positive >= 0 && C == 2 ? "ROC-AUC" : "accuracy";
    /* the labelled rows, a seeded sample when there are many */
    int64_t n = 0;
    for (int64_t i = 0; i < ds->n_rows; i++) n += ds->labels[i] >= 0;
    int64_t take = n < MAX_ROWS ? n : MAX_ROWS;
    TmlRng r;
    tml_rng_seed(&r, SEED);
    TmlDataset q = {.kind = TML_DATA_TABULAR, .n_rows = take, .dim = dim};
    q.dense = malloc(sizeof *q.dense * (size_t)(take > 0 ? take : 1) * (size_t)dim);
    q.labels = malloc(sizeof *q.labels * (size_t)(take > 0 ? take : 1));
    float *orig = malloc(sizeof *orig * (size_t)(take > 0 ? take : 1) * (size_t)dim);
    int64_t *perm = malloc(sizeof *perm * (size_t)(take > 0 ? take : 1));
    double *out = calloc((size_t)(tb->n_cols > 0 ? tb->n_cols : 1), sizeof *out);
    const char **nm = calloc((size_t)(tb->n_cols > 0 ? tb->n_cols : 1), sizeof *nm);
    int n_out = 0;
    float *probs = NULL;
    int rc = -1;
    if (!q.dense || !q.labels || !orig || !perm || !out || !nm) {
        tml_fail(err, "permutation importance: out of memory");
        goto done;
    }
    int64_t k = 0, seen = 0;
    for (int64_t i = 0; i < ds->n_rows && k < take; i++) {
        if (ds->labels[i] < 0) continue;
        /* selection sampling: every labelled row equally likely, order kept */
        if ((double)(take - k) / (double)(n - seen++) > tml_rng_uniform(&r)) {
            memcpy(q.dense + (size_t)k * dim, ds->dense + (size_t)i * dim, sizeof *q.dense * (size_t)dim);
            q.labels[k++] = ds->labels[i];
        }
    }
    q.n_rows = take = k;
    memcpy(orig, q.dense, sizeof *orig * (size_t)take * (size_t)dim);
    if (!(probs = tml_model_score_new(lm->model, &q, 4096, err))) goto done;
    double base = metric_of(probs, q.labels, take, C, positive);
    free(probs);
    probs = NULL;
    for (int c = 0; c < tb->n_cols; c++) {
        const TmlTabColumn *col = &tb->cols[c];
        int w = col->type == TML_COL_NUMERIC ? 1 : col->n_cats;
        if (col->type == TML_COL_ID || col->type == TML_COL_IGNORE || w <= 0) continue;
        for (int64_t i = 0; i < take; i++) perm[i] = i;
        for (int64_t i = take - 1; i > 0; i--) { /* Fisher-Yates */
            int64_t j = (int64_t)tml_rng_below(&r, (uint64_t)(i + 1)), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        for (int64_t i = 0; i < take; i++)
            memcpy(q.dense + (size_t)i * dim + col->offset, orig + (size_t)perm[i] * dim + col->offset,
                   sizeof *q.dense * (size_t)w);
        if (!(probs = tml_model_score_new(lm->model, &q, 4096, err))) goto done;
        nm[n_out] = col->name;
        out[n_out++] = base - metric_of(probs, q.labels, take, C, positive);
        free(probs);
        probs = NULL;
        for (int64_t i = 0; i < take; i++)
            memcpy(q.dense + (size_t)i * dim + col->offset, orig + (size_t)i * dim + col->offset,
                   sizeof *q.dense * (size_t)w);
    }
    rc = n_out;
done:
    free(q.dense);
    free(q.labels);
    free(orig);
    free(perm);
    free(probs);
    if (rc < 0) {
        free(out);
        free(nm);
    } else {
        *drop = out;
        *names = nm;
    }
    return rc;
}
