/* training_scores.c — train and held-out scores of a model (see training_scores.h). */
#include "eval/training_scores.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "eval/training_split.h"

/* Metrics of the rows of ds with mask[i] == want (mask NULL: all rows); NULL when none. */
static TmlMetrics *masked(const TmlLoadedModel *lm, const TmlDataset *ds, const float *probs, const uint8_t *mask,
                          int want, const TmlMetricsOptions *opt, int *oom) {
    int C = lm->model->n_out;
    int64_t n = 0;
    for (int64_t i = 0; i < ds->n_rows; i++) n += !mask || mask[i] == want;
    if (!n) return NULL;
    float *p = malloc(sizeof *p * (size_t)n * (size_t)C);
    int32_t *l = malloc(sizeof *l * (size_t)n);
    TmlMetrics *m = NULL;
    if (p && l) {
        int64_t k = 0;
        for (int64_t i = 0; i < ds->n_rows; i++)
            if (!mask || mask[i] == want) {
                memcpy(p + k * C, probs + i * C, sizeof *p * (size_t)C);
                l[k++] = ds->labels[i];
            }
        TmlError e;
        m = tml_metrics_compute(p, l, n, C, lm->features->positive, opt, &e);
    }
    if (!m) *oom = 1;
    free(p);
    free(l);
    return m;
}

/* Featurizes and scores one file with the model; NULL when it cannot be read (note set). */
static TmlDataset *score_file(TmlLoadedModel *lm, const char *file, float **probs, const char **note) {
    char *path = tml_data_path(file), *tk = tml_loaded_model_tickets(lm, NULL);
    struct stat sb;
    TmlDataset *ds = NULL;
    TmlError e;
    if (!path || stat(path, &sb) != 0) *note = "the training file is not there any more";
    else if (sb.st_size > TML_TRAINING_SCORES_MAX_BYTES) *note = "the training file is larger than 256 MB (not re-read)";
    else if (!(ds = tml_features_transform_file(lm->features, path, tk, &e))) *note = "the training file could not be read";
    else if (!(*probs = tml_model_score_new(lm->model, ds, 4096, &e))) {
        tml_dataset_free(ds);
        ds = NULL;
        *note = "the training file could not be scored";
    }
    free(path);
    free(tk);
    return ds;
}

int tml_training_scores(TmlLoadedModel *lm, const TmlMetricsOptions *opt, TmlMetrics **train, TmlMetrics **valid,
                        const char **note, TmlError *err) {
    *train = *valid = NULL;
    *note = "the model's config names no training file";
    const char *tfile = tml_config_str(lm->config, "data.train", NULL);
    const char *vfile = tml_config_str(lm->config, "data.valid", NULL);
    if (!tfile || !tfile[0]) return 0;
    float *pt = NULL, *pv = NULL;
    uint8_t *mask = NULL;
    int oom = 0;
    TmlDataset *dt = score_file(lm, tfile, &pt, note), *dv = NULL;
    if (!dt) return 0;
    if (vfile && vfile[0]) {
        const char *n2;
        if ((dv = score_file(lm, vfile, &pv, &n2))) *valid = masked(lm, dv, pv, NULL, 1, opt, &oom);
        *train = masked(lm, dt, pt, NULL, 1, opt, &oom);
    } else {
        int64_t held = tml_training_holdout(lm, dt, &mask, err);
        if (held < 0) oom = 1;
        else {
            *train = masked(lm, dt, pt, mask, 0, opt, &oom);
            if (held > 0) *valid = masked(lm, dt, pt, mask, 1, opt, &oom);
        }
    }
    if (*train || *valid) *note = NULL;
    free(mask);
    free(pt);
    free(pv);
    tml_dataset_free(dt);
    tml_dataset_free(dv);
    if (oom) {
        tml_metrics_free(*train);
        tml_metrics_free(*valid);
        *train = *valid = NULL;
        return tml_fail(err, "training scores: out of memory");
    }
    return 0;
}
