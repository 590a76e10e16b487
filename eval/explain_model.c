/* explain_model.c — scorers that run LIME's perturbed samples through a loaded model: word masks
 * become token lists, then feature ids (the model's own featurizer), then one backend forward per
 * chunk of samples. */
#include "eval/explain_model.h"

#include <stdlib.h>
#include <string.h>

#include "data/textfeat.h"

enum { SCORE_CHUNK = 1024 };

typedef struct TextCtx {
    TmlLoadedModel *lm;
    const TmlLimeText *t;
    const char **kept;     /* (n_tokens) scratch */
    int64_t *offsets;      /* (SCORE_CHUNK + 1) */
    int32_t *ids;
    float *w;
    int64_t n, cap;
    int32_t *labels;       /* (SCORE_CHUNK) all -1: inference */
} TextCtx;

static int run_batch(TmlModel *m, TmlBatch *b, float *probs, TmlError *err) {
    if (tml_model_load_batch(m, b, err) < 0) return -1;
    tml_model_forward(m, NULL);
    tml_download(m->be, probs, m->d_probs, (size_t)b->B * (size_t)m->spec.n_out * sizeof(float));
    return 0;
}

static int score_text(void *vctx, const uint8_t *masks, int S, int mw, float *probs, TmlError *err) {
    TextCtx *c = vctx;
    const TmlTextFeaturizer *tf = c->lm->features->text;
    int tfidf = tml_textfeat_config(tf)->tfidf;
    TmlModel *m = c->lm->model;
    for (int s0 = 0; s0 < S; s0 += SCORE_CHUNK) {
        int B = S - s0 < SCORE_CHUNK ? S - s0 : SCORE_CHUNK;
        c->n = 0;
        c->offsets[0] = 0;
        for (int i = 0; i < B; i++) {
            int k = tml_lime_text_kept_tokens(c->t, masks + (size_t)(s0 + i) * mw, c->kept);
            if (tml_textfeat_features(tf, (char *const *)c->kept, k, &c->ids, tfidf ? &c->w : NULL, &c->n, &c->cap) < 0)
                return tml_fail(err, "out of memory featurizing LIME samples");
            c->offsets[i + 1] = c->n;
        }
        TmlBatch b = {.B = B, .nnz = c->n, .offsets = c->offsets, .ids = c->ids, .w = tfidf ? c->w : NULL,
                      .labels = c->labels};
        if (run_batch(m, &b, probs + (size_t)s0 * m->spec.n_out, err) < 0) return -1;
    }
    return 0;
}

TmlLimeExplanation *tml_explain_text(TmlLoadedModel *lm, const char *text, const TmlLimeConfig *cfg, int label,
                                     TmlError *err) {
    if (!lm->features->text) {
        tml_fail(err, "this is a tabular model; explain rows of a data file instead of --text");
        return NULL;
    }
    char **tokens = NULL;
    int nt = tml_textfeat_tokenize(tml_textfeat_config(lm->features->text), text, &tokens, err);
    if (nt < 0) return NULL;
    TmlLimeText t;
    TmlLimeExplanation *e = NULL;
    TextCtx c = {.lm = lm, .t = &t};
    if (tml_lime_text_init(&t, tokens, nt, err) < 0) {
        tml_textfeat_tokens_free(tokens, nt);
        return NULL;
    }
    c.kept = malloc((size_t)(nt > 0 ? nt : 1) * sizeof(char *));
    c.offsets = malloc((SCORE_CHUNK + 1) * sizeof(int64_t));
    c.labels = malloc(SCORE_CHUNK * sizeof(int32_t));
    if (!c.kept || !c.offsets || !c.labels) {
        tml_fail(err, "out of memory");
        goto done;
    }
    for (int i = 0; i < SCORE_CHUNK; i++) c.labels[i] = -1;
    e = tml_lime_text_explain(&t, cfg, lm->model->spec.n_out, label, score_text, &c, err);
done:
    free(c.kept);
    free(c.offsets);
    free(c.labels);
    free(c.ids);
    free(c.w);
    tml_lime_text_free(&t);
    tml_textfeat_tokens_free(tokens, nt);
    return e;
}

typedef struct TabCtx {
    TmlModel *m;
    int32_t *labels;
} TabCtx;

static int score_rows(void *vctx, const float *rows, int S, int dim, float *probs, TmlError *err) {
    TabCtx *c = vctx;
    for (int s0 = 0; s0 < S; s0 += SCORE_CHUNK) {
        int B = S - s0 < SCORE_CHUNK ? S - s0 : SCORE_CHUNK;
        TmlBatch b = {.B = B, .dense = (float *)rows + (size_t)s0 * dim, .labels = c->labels};
        if (run_batch(c->m, &b, probs + (size_t)s0 * c->m->spec.n_out, err) < 0) return -1;
    }
    return 0;
}

TmlLimeExplanation *tml_explain_row(TmlLoadedModel *lm, const float *row, const TmlLimeConfig *cfg, int label,
                                    TmlError *err) {
    if (!lm->features->tab) {
        tml_fail(err, "this is a text model; explain with --text or rows of a text file");
        return NULL;
    }
    TabCtx c = {.m = lm->model, .labels = malloc(SCORE_CHUNK * sizeof(int32_t))};
    if (!c.labels) {
        tml_fail(err, "out of memory");
        return NULL;
    }
    for (int i = 0; i < SCORE_CHUNK; i++) c.labels[i] = -1;
    TmlLimeExplanation *e =
        tml_lime_tab_explain(lm->features->tab, row, NULL, cfg, lm->model->spec.n_out, label, score_rows, &c, err);
    free(c.labels);
    return e;
}
