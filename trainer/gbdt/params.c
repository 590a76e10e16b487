/* params.c — [model] and [train] keys of gradient-boosted trees with their defaults and ranges. */
#include "trainer/gbdt/params.h"

#include <stdio.h>
#include <string.h>

/* A range message naming where the value came from ("file:line: key = \"value\"" or "--set
 * key=value", tml_config_where), as the other families' [train] checks do. */
static int bad(const TmlConfig *cfg, const char *key, const char *rule, TmlError *err) {
    char where[600];
    tml_config_where(cfg, key, where, sizeof where);
    return tml_fail(err, "%s: must be %s", where, rule);
}

static int pick(const TmlConfig *cfg, const char *key, const char *def, const char *const *names, int n, int *out,
                TmlError *err) {
    const char *v = tml_config_str(cfg, key, def);
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i])) return *out = i, 0;
    char rule[200] = "one of";
    for (int i = 0; i < n; i++) {
        strncat(rule, i ? " | " : " ", sizeof rule - strlen(rule) - 1);
        strncat(rule, names[i], sizeof rule - strlen(rule) - 1);
    }
    return bad(cfg, key, rule, err);
}

int tml_gbdt_params_from_config(const TmlConfig *cfg, TmlGbdtParams *p, TmlError *err) {
    memset(p, 0, sizeof *p);
    static const char *const growths[] = {"leaf", "depth"};
    static const char *const cats[] = {"native", "onehot"};
    static const char *const cws[] = {"none", "balanced", "sqrt_balanced"};
    static const char *const metrics[] = {"accuracy", "macro_f1", "roc_auc", "log_loss"};
    int growth = 0, cat = 0, cw = 0, metric = 0;
    if (pick(cfg, "model.growth", "leaf", growths, 2, &growth, err) ||
        pick(cfg, "model.categorical", "native", cats, 2, &cat, err) ||
        pick(cfg, "train.class_weight", "none", cws, 3, &cw, err) ||
        pick(cfg, "train.metric", "log_loss", metrics, 4, &metric, err))
        return -1;
    int64_t leaves, depth, bins, rounds, patience, seed, onehot, max_cat, sample;
    TmlGbdtSplitParams *s = &p->grow.split;
    if (tml_config_int(cfg, "model.max_depth", growth ? 6 : 0, &depth, err) ||
        tml_config_int(cfg, "model.max_leaves", growth && depth > 0 && depth < 12 ? (int64_t)1 << depth : 31, &leaves,
                       err) ||
        tml_config_int(cfg, "model.max_bins", 255, &bins, err) ||
        tml_config_int(cfg, "model.bin_sample", 200000, &sample, err) ||
        tml_config_double(cfg, "model.min_child_weight", 1e-3, &s->min_child_weight, err) ||
        tml_config_double(cfg, "model.min_data_in_leaf", 20, &s->min_data_in_leaf, err) ||
        tml_config_double(cfg, "model.lambda_l2", 0, &s->lambda_l2, err) ||
        tml_config_double(cfg, "model.min_split_gain", 0, &s->min_split_gain, err) ||
        tml_config_int(cfg, "model.max_cat_to_onehot", 4, &onehot, err) ||
        tml_config_int(cfg, "model.max_cat_threshold", 32, &max_cat, err) ||
        tml_config_double(cfg, "model.cat_smooth", 10, &s->cat_smooth, err) ||
        tml_config_double(cfg, "model.cat_l2", 10, &s->cat_l2, err) ||
        tml_config_double(cfg, "model.min_data_per_group", 100, &s->min_data_per_group, err) ||
        tml_config_int(cfg, "train.rounds", 100, &rounds, err) ||
        tml_config_double(cfg, "train.lr", 0.1, &p->grow.learning_rate, err) ||
        tml_config_double(cfg, "train.subsample", 1.0, &p->subsample, err) ||
        tml_config_double(cfg, "train.colsample", 1.0, &p->colsample, err) ||
        tml_config_int(cfg, "train.patience", 20, &patience, err) || tml_config_int(cfg, "train.seed", 42, &seed, err))
        return -1;
    if (leaves < 2 || leaves > 65536) return bad(cfg, "model.max_leaves", "in 2..65536", err);
    if (depth < 0 || depth > 64) return bad(cfg, "model.max_depth", "in 0..64 (0: no limit)", err);
    if (bins < 2 || bins > TML_GBDT_MAX_BINS - 1) return bad(cfg, "model.max_bins", "in 2..255", err);
    if (sample < 1000) return bad(cfg, "model.bin_sample", "at least 1000", err);
    if (!(s->min_child_weight >= 0)) return bad(cfg, "model.min_child_weight", ">= 0", err);
    if (!(s->min_data_in_leaf >= 1)) return bad(cfg, "model.min_data_in_leaf", ">= 1", err);
    if (!(s->lambda_l2 >= 0)) return bad(cfg, "model.lambda_l2", ">= 0", err);
    if (!(s->min_split_gain >= 0)) return bad(cfg, "model.min_split_gain", ">= 0", err);
    if (onehot < 0 || onehot > TML_GBDT_MAX_BINS) return bad(cfg, "model.max_cat_to_onehot", "in 0..256", err);
    if (max_cat < 1 || max_cat > TML_GBDT_MAX_BINS) return bad(cfg, "model.max_cat_threshold", "in 1..256", err);
    if (!(s->cat_smooth >= 0) || !(s->cat_l2 >= 0) || !(s->min_data_per_group >= 0))
        return bad(cfg, "model.cat_smooth", ">= 0 (as cat_l2 and min_data_per_group)", err);
    if (rounds < 1 || rounds > 1000000) return bad(cfg, "train.rounds", "in 1..1000000", err);
    if (!(p->grow.learning_rate > 0) || p->grow.learning_rate > 10) return bad(cfg, "train.lr", "in (0, 10]", err);
    if (!(p->subsample > 0 && p->subsample <= 1)) return bad(cfg, "train.subsample", "in (0, 1]", err);
    if (!(p->colsample > 0 && p->colsample <= 1)) return bad(cfg, "train.colsample", "in (0, 1]", err);
    if (patience < 0) return bad(cfg, "train.patience", ">= 0", err);
    s->max_cat_to_onehot = (int32_t)onehot;
    s->max_cat_threshold = (int32_t)max_cat;
    p->grow.max_leaves = (int)leaves;
    p->grow.max_depth = (int)depth;
    p->grow.depthwise = growth;
    p->rounds = (int)rounds;
    p->max_bins = (int)bins;
    p->bin_sample = sample;
    p->native_categorical = cat == 0;
    p->patience = (int)patience;
    p->class_weight = cw;
    p->seed = (uint64_t)seed;
    snprintf(p->metric, sizeof p->metric, "%s", metrics[metric]);
    p->higher_is_better = strcmp(p->metric, "log_loss") != 0;
    return 0;
}
