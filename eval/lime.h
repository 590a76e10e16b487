/* lime.h — model-independent LIME explainers (text and tabular), faithful to the reference
 * lime package (lime_text.LimeTextExplainer, lime_tabular.LimeTabularExplainer with quartile
 * discretization, lime_base with Ridge(alpha=1) surrogates). The model enters only through a
 * scoring callback that gets the whole perturbed sample set in large batches, so the caller can run
 * it on the backend. docs/explain.md describes the algorithm and where it differs from lime. */
#ifndef TICKETML_EVAL_LIME_H
#define TICKETML_EVAL_LIME_H

#include <stdint.h>

#include "data/tabular.h"
#include "ticketml/rng.h"
#include "ticketml/error.h"

typedef enum TmlLimeSelect {
    TML_LIME_SELECT_AUTO = 0,    /* forward selection if num_features <= 6, else highest weights */
    TML_LIME_SELECT_FORWARD,     /* greedy by weighted R^2 of unregularized fits */
    TML_LIME_SELECT_HIGHEST,     /* largest |coef| of a ridge (alpha 0.01) on all features */
    TML_LIME_SELECT_NONE         /* all features (num_features ignored) */
} TmlLimeSelect;

typedef struct TmlLimeConfig {
    int num_samples;     /* neighborhood size including the original; default 5000 */
    int num_features;    /* K, features in the explanation; default 10 */
    double kernel_width; /* <= 0: the domain default (text 25, tabular 0.75 * sqrt(#columns)) */
    TmlLimeSelect selection; /* default AUTO */
    int batch_size;      /* samples per scorer call; <= 0: all num_samples in one call (default) */
    double alpha;        /* ridge regularization of the surrogate; default 1 */
    uint64_t seed;       /* same seed + same input + same scorer -> same explanation; default 0 */
    int max_words;       /* text: distinct words LIME perturbs at most; a longer text is explained on
                          * its first words up to this many distinct ones (cost grows with words x
                          * samples; the surrogate fit with their square); default 500 */
} TmlLimeConfig;

void tml_lime_config_default(TmlLimeConfig *c);

typedef struct TmlLimeFeature {
    int id;          /* text: distinct-word index; tabular: column index in TmlTabular */
    char *name;      /* text: the word; tabular: the rule ("tenure <= 9.00", "Contract=Two year") */
    double weight;   /* signed surrogate coefficient for the explained label */
} TmlLimeFeature;

typedef struct TmlLimeExplanation {
    int label;           /* the explained class (resolved when -1 was asked) */
    int n_classes;
    float *probs;        /* (n_classes) the model's probabilities for the original instance */
    double model_prob;   /* probs[label] */
    int n_features;      /* min(K, number of interpretable features) */
    TmlLimeFeature *features; /* (n_features) sorted by |weight| descending */
    double intercept;    /* surrogate intercept */
    double local_pred;   /* surrogate prediction for the original (all features present) */
    double score;        /* weighted R^2 of the surrogate on the neighborhood */
    int num_samples;     /* samples actually scored */
    /* Tree models only (0 / NULL otherwise; filled by eval/explain_model.c): exact TreeSHAP
     * contributions of each tree feature to the explained label's score (log-odds for binary
     * models, the softmax score otherwise), largest |weight| first; name "feature=value". */
    int n_shap;
    TmlLimeFeature *shap;
    double shap_base;    /* the expected score: shap_base + all contributions = the row's score */
} TmlLimeExplanation;

void tml_lime_explanation_free(TmlLimeExplanation *e);

/* ---- text ------------------------------------------------------------------------------------ */

/* The instance as LIME's bag of words: distinct words in first-occurrence order; removing a word
 * removes every occurrence of it. Borrowed pointers into the caller's tokens. */
typedef struct TmlLimeText {
    int n_tokens;
    char *const *tokens;  /* (n_tokens) borrowed, as tml_textfeat_tokenize returns them */
    int n_words;          /* m */
    const char **words;   /* (m) borrowed pointers into tokens */
    int *token_word;      /* (n_tokens) word index of each token */
} TmlLimeText;

/* Indexes tokens (the caller keeps them alive while t is used). -1 on allocation failure. Caller
 * frees with tml_lime_text_free (tokens are not touched). */
int tml_lime_text_init(TmlLimeText *t, char *const *tokens, int n_tokens, TmlError *err);
void tml_lime_text_free(TmlLimeText *t);

/* The perturbed document of one mask (m bytes, 1 = word kept): writes the kept tokens, in order,
 * to out (room for n_tokens pointers, borrowed from t->tokens) and returns how many. */
int tml_lime_text_kept_tokens(const TmlLimeText *t, const uint8_t *mask, const char **out);

/* Scores S perturbed documents given as word masks (S, m) row-major (1 = word kept; row 0 of the
 * first call is the original). Writes probs (S, C) row-major. Returns 0, or -1 with err set. */
typedef int (*TmlLimeTextScore)(void *ctx, const uint8_t *masks, int S, int m, float *probs,
                                TmlError *err);

/* Explains label (0 <= label < n_classes, or -1 for the class the model gives the highest
 * probability on the original). Samples num_samples masks (the original first), scores them in
 * batches through score, weights them by the cosine kernel and fits the surrogate. m = 0 yields an
 * explanation with no features (the original is scored alone); m = 1 works as in lime. Returns a
 * malloc'd explanation the caller frees with tml_lime_explanation_free, or NULL with err set (the
 * scorer's error passes through). */
TmlLimeExplanation *tml_lime_text_explain(const TmlLimeText *t, const TmlLimeConfig *cfg, int n_classes,
                                          int label, TmlLimeTextScore score, void *ctx, TmlError *err);

/* ---- tabular --------------------------------------------------------------------------------- */

/* Scores S dense model rows (S, dim) row-major (tml_tabular_transform's layout: standardized
 * numerics, one-hot categoricals). Writes probs (S, C). Returns 0, or -1 with err set. */
typedef int (*TmlLimeTabScore)(void *ctx, const float *rows, int S, int dim, float *probs, TmlError *err);

/* Recovers the raw per-column representation of a dense row: numeric columns get
 * mean + std * z, categorical/boolean columns the index of their hot category (the largest one-hot
 * entry if it is > 0.5, else -1 for an unseen value); id/ignored columns get NaN. raw is (n_cols). */
void tml_lime_tab_raw_from_row(const TmlTabular *tb, const float *row, double *raw);

/* Explains label (-1: the top class) for one instance: row (dim) is what the model sees; raw
 * (n_cols, see above) is its per-column representation (NULL: recovered from row). Numeric columns
 * are discretized by their training quartiles, categorical/boolean ones are kept; samples draw
 * each column's bin or category by training frequency. Returns an explanation whose features are
 * rules; caller frees it with tml_lime_explanation_free. NULL with err set on failure. */
TmlLimeExplanation *tml_lime_tab_explain(const TmlTabular *tb, const float *row, const double *raw,
                                         const TmlLimeConfig *cfg, int n_classes, int label,
                                         TmlLimeTabScore score, void *ctx, TmlError *err);

/* ---- shared by both explainers (lime_text.c, lime_tabular.c) --------------------------------- */

/* Randomness: TmlRng from ticketml/rng.h (xoshiro256** seeded through splitmix64). */

/* The checks both explainers make on their arguments: label in -1..n_classes-1, samples >= 1,
 * features >= 0. Returns cfg, or the defaults written into *def when cfg is NULL; NULL with err set. */
const TmlLimeConfig *tml_lime_check_args(const TmlLimeConfig *cfg, TmlLimeConfig *def, int n_classes, int label,
                                         TmlError *err);

/* Takes one scorer batch: probs (n, C) are the samples start..start+n. Rejects a non-finite
 * probability; on the first batch copies row 0 to probs0 (C) and resolves *label == -1 to row 0's
 * top class; writes the explained label's column into y[start..start+n). 0, or -1 with err set. */
int tml_lime_take_scores(const float *probs, int start, int n, int C, int *label, float *probs0, double *y,
                         TmlError *err);

/* lime_base.explain_instance_with_data on a binary interpretable matrix X (n, p) (row 0 = the
 * original), the explained label's probabilities y (n) and kernel weights w (n): selects features,
 * fits the ridge surrogate, scores it, and fills e's features (ids; names left NULL), intercept,
 * local_pred and score. -1 with err set on allocation failure. */
int tml_lime_fit_surrogate(const double *X, const double *y, const double *w, int n, int p,
                           const TmlLimeConfig *cfg, TmlLimeExplanation *e, TmlError *err);

#endif
