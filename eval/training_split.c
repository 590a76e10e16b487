/* training_split.c — the held-out rows of a model's training file (see training_split.h). */
#include "eval/training_split.h"

#include <stdlib.h>
#include <string.h>

#include "data/split.h"

/* 1 when path is the file the model was trained on ([data] train of its config). */
int tml_training_is_train_file(const TmlLoadedModel *lm, const char *path) {
    const char *train = tml_config_str(lm->config, "data.train", NULL);
    char *t = train ? tml_data_path(train) : NULL, *p = tml_data_path(path);
    char a[4096], b[4096];
    int same = t && p && realpath(t, a) && realpath(p, b) && !strcmp(a, b);
    free(t);
    free(p);
    return same;
}

/* The reference rows the model did not train on, when the reference is its training file: the
 * validation/test rows of the same stratified split training made (same labels, fractions, seed).
 * Fills *mask (1 = held out; caller frees) and returns how many; 0 when none were held out (a
 * separate valid file), -1 when out of memory. */
int64_t tml_training_holdout(const TmlLoadedModel *lm, const TmlDataset *ds, uint8_t **mask, TmlError *err) {
    const TmlConfig *cfg = lm->config;
    const char *vfile = tml_config_str(cfg, "data.valid", NULL), *tfile = tml_config_str(cfg, "data.test", NULL);
    double vf = 0.1, tf = 0;
    int64_t seed = 42;
    TmlError e2;
    if (tml_config_double(cfg, "data.valid_frac", 0.1, &vf, &e2) || tml_config_double(cfg, "data.test_frac", 0, &tf, &e2) ||
        tml_config_int(cfg, "data.seed", 42, &seed, &e2))
        return 0;
    if (vfile && vfile[0]) vf = 0;
    if (tfile && tfile[0]) tf = 0;
    if (vf + tf <= 0) return 0;
    for (int64_t i = 0; i < ds->n_rows; i++)
        if (ds->labels[i] < 0) return 0; /* not the rows training split */
    uint8_t *split = malloc((size_t)(ds->n_rows > 0 ? ds->n_rows : 1));
    if (!split) return tml_fail(err, "out of memory"), -1;
    if (tml_split_stratified(ds->labels, ds->n_rows, lm->features->labels->n, vf, tf, (uint64_t)seed, split, err)) {
        free(split);
        return -1;
    }
    int64_t n = 0;
    for (int64_t i = 0; i < ds->n_rows; i++) n += (split[i] = split[i] != TML_SPLIT_TRAIN);
    *mask = split;
    return n;
}

