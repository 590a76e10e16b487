/* lime_text.c — LIME for text (lime_text.LimeTextExplainer, bag-of-words mode): perturb the
 * instance by removing random subsets of its distinct words, score the perturbed documents in
 * batches, weight them by an exponential kernel on the cosine distance, fit the ridge surrogate. */
#include "eval/lime.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/strmap.h"

int tml_lime_text_init(TmlLimeText *t, char *const *tokens, int n_tokens, TmlError *err) {
    memset(t, 0, sizeof *t);
    if (n_tokens < 0) return tml_fail(err, "lime: negative token count %d", n_tokens);
    t->n_tokens = n_tokens;
    t->tokens = tokens;
    t->words = malloc(((size_t)n_tokens + 1) * sizeof(char *));
    t->token_word = malloc(((size_t)n_tokens + 1) * sizeof(int));
    if (!t->words || !t->token_word) {
        tml_lime_text_free(t);
        return tml_fail(err, "lime: out of memory indexing %d tokens", n_tokens);
    }
    /* distinct words in first-occurrence order, hashed: long texts reach here too */
    TmlStrMap seen;
    if (tml_strmap_init(&seen, (size_t)n_tokens) < 0) {
        tml_lime_text_free(t);
        return tml_fail(err, "lime: out of memory indexing %d tokens", n_tokens);
    }
    for (int i = 0; i < n_tokens; i++) {
        size_t len = strlen(tokens[i]);
        int w = tml_strmap_get(&seen, tokens[i], len);
        if (w < 0) {
            w = t->n_words++;
            t->words[w] = tokens[i];
            if (tml_strmap_put(&seen, tokens[i], len, w) < 0) {
                tml_strmap_free(&seen);
                tml_lime_text_free(t);
                return tml_fail(err, "lime: out of memory indexing %d tokens", n_tokens);
            }
        }
        t->token_word[i] = w;
    }
    tml_strmap_free(&seen);
    return 0;
}

void tml_lime_text_free(TmlLimeText *t) {
    if (!t) return;
    free(t->words);
    free(t->token_word);
    memset(t, 0, sizeof *t);
}

int tml_lime_text_kept_tokens(const TmlLimeText *t, const uint8_t *mask, const char **out) {
    int n = 0;
    for (int i = 0; i < t->n_tokens; i++)
        if (mask[t->token_word[i]]) out[n++] = t->tokens[i];
    return n;
}

/* Draws the neighborhood as lime does: row 0 keeps every word; every other row removes
 * randint(1, m + 1) words (1..m, so all of them can go), chosen without replacement. kept[i]
 * receives the number of words row i keeps. */
static void text_sample_masks(TmlRng *rng, int S, int m, uint8_t *masks, int *kept, int *perm) {
    for (int j = 0; j < m; j++) perm[j] = j;
    memset(masks, 1, (size_t)m);
    kept[0] = m;
    for (int i = 1; i < S; i++) {
        uint8_t *row = masks + (size_t)i * m;
        memset(row, 1, (size_t)m);
        int size = 1 + (int)tml_rng_below32(rng, (uint32_t)m);
        /* Partial Fisher-Yates: the first `size` entries become a uniform random subset. perm need
         * not be reset between rows: shuffling any permutation keeps the subset uniform. */
        for (int a = 0; a < size; a++) {
            int b = a + (int)tml_rng_below32(rng, (uint32_t)(m - a));
            int tmp = perm[a];
            perm[a] = perm[b];
            perm[b] = tmp;
            row[perm[a]] = 0;
        }
        kept[i] = m - size;
    }
}

/* Calls the scorer over all S rows in batches of B, keeping only the explained label's column in
 * y. Resolves *label == -1 from row 0 and copies row 0's probabilities to probs0 (C). */
static int text_score_all(const uint8_t *masks, int S, int m, int C, int B, TmlLimeTextScore score,
                          void *ctx, int *label, float *probs0, double *y, TmlError *err) {
    float *buf = malloc(((size_t)B * C + 1) * sizeof(float));
    if (!buf) return tml_fail(err, "lime: out of memory for a batch of %d x %d probabilities", B, C);
    for (int start = 0; start < S; start += B) {
        int n = S - start < B ? S - start : B;
        if (score(ctx, masks + (size_t)start * m, n, m, buf, err) != 0 ||
            tml_lime_take_scores(buf, start, n, C, label, probs0, y, err) != 0) {
            free(buf);
            return -1;
        }
    }
    free(buf);
    return 0;
}

TmlLimeExplanation *tml_lime_text_explain(const TmlLimeText *t, const TmlLimeConfig *cfg, int n_classes,
                                          int label, TmlLimeTextScore score, void *ctx, TmlError *err) {
    TmlLimeConfig def;
    if (!(cfg = tml_lime_check_args(cfg, &def, n_classes, label, err))) return NULL;
    int m = t->n_words;
    /* With no word there is nothing to remove: score the original alone (lime itself raises). */
    int S = m == 0 ? 1 : cfg->num_samples;
    int B = cfg->batch_size > 0 && cfg->batch_size < S ? cfg->batch_size : S;
    double width = cfg->kernel_width > 0.0 ? cfg->kernel_width : 25.0;

    TmlLimeExplanation *e = calloc(1, sizeof *e);
    uint8_t *masks = malloc((size_t)S * m + 1);
    int *kept = malloc((size_t)S * sizeof(int));
    int *perm = malloc(((size_t)m + 1) * sizeof(int));
    double *y = malloc((size_t)S * sizeof(double));
    double *w = malloc((size_t)S * sizeof(double));
    double *kern = malloc(((size_t)m + 1) * sizeof(double));
    double *X = malloc(((size_t)S * m + 1) * sizeof(double));
    if (e) e->probs = malloc((size_t)n_classes * sizeof(float));
    if (!e || !e->probs || !masks || !kept || !perm || !y || !w || !kern || !X) {
        tml_fail(err, "lime: out of memory for %d samples of %d words", S, m);
        goto fail;
    }
    TmlRng rng;
    tml_rng_seed(&rng, cfg->seed);
    text_sample_masks(&rng, S, m, masks, kept, perm);
    if (text_score_all(masks, S, m, n_classes, B, score, ctx, &label, e->probs, y, err) != 0) goto fail;

    /* Cosine distance between a mask keeping k of m words and the all-ones row is
     * 1 - k / sqrt(k m) = 1 - sqrt(k / m), and 1 for the empty mask (scikit-learn leaves a zero
     * row at zero after normalizing); lime multiplies it by 100. It depends on k only, so the
     * kernel is tabulated per k. */
    for (int k = 0; k <= m; k++) {
        double d = k == 0 ? 100.0 : 100.0 * (1.0 - sqrt((double)k / m));
        if (k == m) d = 0.0;
        kern[k] = sqrt(exp(-(d * d) / (width * width)));
    }
    for (int i = 0; i < S; i++) w[i] = kern[kept[i]];
    for (size_t q = 0; q < (size_t)S * m; q++) X[q] = masks[q];

    e->label = label;
    e->n_classes = n_classes;
    e->model_prob = e->probs[label];
    e->num_samples = S;
    if (tml_lime_fit_surrogate(X, y, w, S, m, cfg, e, err) != 0) goto fail;
    for (int a = 0; a < e->n_features; a++) {
        e->features[a].name = strdup(t->words[e->features[a].id]);
        if (!e->features[a].name) {
            tml_fail(err, "lime: out of memory");
            goto fail;
        }
    }
    free(masks), free(kept), free(perm), free(y), free(w), free(kern), free(X);
    return e;
fail:
    tml_lime_explanation_free(e);
    free(masks), free(kept), free(perm), free(y), free(w), free(kern), free(X);
    return NULL;
}
