/* lime.c — what the text and tabular explainers share: defaults, the seeded PRNG, and
 * lime_base.explain_instance_with_data (feature selection + ridge surrogate on the binary
 * interpretable representation). */
#include "eval/lime.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/ridge.h"

void tml_lime_config_default(TmlLimeConfig *c) {
    memset(c, 0, sizeof *c);
    c->num_samples = 5000;
    c->num_features = 10;
    c->kernel_width = 0.0;
    c->selection = TML_LIME_SELECT_AUTO;
    c->batch_size = 0;
    c->alpha = 1.0;
    c->seed = 0;
    c->max_words = 500;
}

void tml_lime_explanation_free(TmlLimeExplanation *e) {
    if (!e) return;
    for (int i = 0; i < e->n_features; i++) free(e->features[i].name);
    free(e->features);
    for (int i = 0; i < e->n_shap; i++) free(e->shap[i].name);
    free(e->shap);
    free(e->probs);
    free(e);
}



int tml_lime_fit_surrogate(const double *X, const double *y, const double *w, int n, int p,
                           const TmlLimeConfig *cfg, TmlLimeExplanation *e, TmlError *err) {
    TmlRidgeStats st;
    if (tml_ridge_stats_init(&st, X, y, w, n, p, err) != 0) return -1;
    int K = cfg->num_features;
    TmlLimeSelect sel = cfg->selection;
    if (sel == TML_LIME_SELECT_AUTO) sel = K <= 6 ? TML_LIME_SELECT_FORWARD : TML_LIME_SELECT_HIGHEST;
    int *feat = malloc(((size_t)p + 1) * sizeof(int));
    double *coef = malloc(((size_t)p + 1) * sizeof(double));
    int k = -1;
    if (feat && coef) {
        if (sel == TML_LIME_SELECT_NONE) {
            for (int j = 0; j < p; j++) feat[j] = j;
            k = p;
        } else if (sel == TML_LIME_SELECT_FORWARD) {
            k = tml_ridge_select_forward(&st, K, feat);
        } else {
            k = tml_ridge_select_highest(&st, X, K, feat); /* row 0 is the instance: x0 */
        }
    }
    double intercept = 0.0;
    if (k < 0 || tml_ridge_fit_subset(&st, feat, k, cfg->alpha, coef, &intercept, NULL) != 0) {
        free(feat), free(coef);
        tml_ridge_stats_free(&st);
        return tml_fail(err, "lime: out of memory fitting the surrogate on %d features", p);
    }
    tml_ridge_stats_free(&st);
    e->intercept = intercept;
    e->score = tml_ridge_score(X, n, p, feat, k, y, w, coef, intercept);
    double lp = intercept;
    for (int a = 0; a < k; a++) lp += coef[a] * X[feat[a]];
    e->local_pred = lp;
    e->features = calloc((size_t)k + 1, sizeof(TmlLimeFeature));
    if (!e->features) {
        free(feat), free(coef);
        return tml_fail(err, "lime: out of memory");
    }
    for (int a = 0; a < k; a++) {
        e->features[a].id = feat[a];
        e->features[a].weight = coef[a];
    }
    e->n_features = k;
    /* sorted(zip(used_features, coef), key=|coef|, reverse=True): stable, so ties keep the order of
     * selection. */
    for (int a = 1; a < k; a++) {
        TmlLimeFeature f = e->features[a];
        int t = a;
        while (t > 0 && fabs(e->features[t - 1].weight) < fabs(f.weight)) {
            e->features[t] = e->features[t - 1];
            t--;
        }
        e->features[t] = f;
    }
    free(feat), free(coef);
    return 0;
}

const TmlLimeConfig *tml_lime_check_args(const TmlLimeConfig *cfg, TmlLimeConfig *def, int n_classes, int label,
                                         TmlError *err) {
    if (!cfg) {
        tml_lime_config_default(def);
        cfg = def;
    }
    if (n_classes < 1 || label < -1 || label >= n_classes) {
        tml_fail(err, "lime: label %d is out of range for %d classes; use 0..%d or -1 for the top class", label,
                 n_classes, n_classes - 1);
        return NULL;
    }
    if (cfg->num_samples < 1 || cfg->num_features < 0) {
        tml_fail(err, "lime: num_samples %d / num_features %d invalid; need samples >= 1, features >= 0",
                 cfg->num_samples, cfg->num_features);
        return NULL;
    }
    return cfg;
}

int tml_lime_take_scores(const float *probs, int start, int n, int C, int *label, float *probs0, double *y,
                         TmlError *err) {
    for (size_t q = 0; q < (size_t)n * C; q++)
        if (!isfinite(probs[q]))
            return tml_fail(err, "lime: the model returned a non-finite probability for sample %d class %d; "
                                 "check the scorer",
                            start + (int)(q / C), (int)(q % C));
    if (start == 0) {
        memcpy(probs0, probs, (size_t)C * sizeof(float));
        if (*label < 0) {
            int best = 0;
            for (int c = 1; c < C; c++)
                if (probs[c] > probs[best]) best = c;
            *label = best;
        }
    }
    for (int i = 0; i < n; i++) y[start + i] = probs[(size_t)i * C + *label];
    return 0;
}
