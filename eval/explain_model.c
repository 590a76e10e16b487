/* explain_model.c — scorers that run LIME's perturbed samples through a loaded model of any family:
 * word masks become token lists, then feature ids (the model's own featurizer), and each chunk of
 * samples becomes a small dataset the model scores (tml_model_score). */
#include "eval/explain_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/strmap.h"

#include "data/textfeat.h"
#include "eval/tree_explain.h"
#include "trainer/gbdt/family.h"
#include "trainer/run.h"

enum { SCORE_CHUNK = 1024 };

typedef struct TextCtx {
    TmlLoadedModel *lm;
    const TmlLimeText *t;
    const char **kept;     /* (n_tokens) scratch */
    int64_t *offsets;      /* (SCORE_CHUNK + 1) */
    int32_t *ids;
    float *w;
    int64_t n, cap;
    /* the kept words joined by spaces, for families that read raw text (the encoder) */
    char **texts;          /* (SCORE_CHUNK) pointers into tbuf */
    size_t *tpos;          /* (SCORE_CHUNK) */
    char *tbuf;
    size_t tlen, tcap;
    /* progress on stderr for long explanations (an encoder, many samples) */
    int total, done;
    double t0, last;
} TextCtx;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Appends the k words joined by spaces and a NUL to c->tbuf; -1 when out of memory. */
static int join_words(TextCtx *c, const char **words, int k) {
    size_t need = 1;
    for (int i = 0; i < k; i++) need += strlen(words[i]) + 1;
    if (c->tlen + need > c->tcap) {
        size_t cap = (c->tlen + need) * 2;
        char *nb = realloc(c->tbuf, cap);
        if (!nb) return -1;
        c->tbuf = nb, c->tcap = cap;
    }
    char *p = c->tbuf + c->tlen;
    for (int i = 0; i < k; i++) {
        size_t n = strlen(words[i]);
        if (i) *p++ = ' ';
        memcpy(p, words[i], n);
        p += n;
    }
    *p++ = '\0';
    c->tlen = (size_t)(p - c->tbuf);
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
        c->tlen = 0;
        for (int i = 0; i < B; i++) {
            int k = tml_lime_text_kept_tokens(c->t, masks + (size_t)(s0 + i) * mw, c->kept);
            c->tpos[i] = c->tlen;
            if (tml_textfeat_features(tf, (char *const *)c->kept, k, &c->ids, tfidf ? &c->w : NULL, &c->n, &c->cap) < 0 ||
                join_words(c, c->kept, k) < 0)
                return tml_fail(err, "out of memory featurizing LIME samples");
            c->offsets[i + 1] = c->n;
        }
        for (int i = 0; i < B; i++) c->texts[i] = c->tbuf + c->tpos[i];
        TmlDataset chunk = {.kind = TML_DATA_TEXT, .n_rows = B, .offsets = c->offsets, .ids = c->ids,
                            .w = tfidf ? c->w : NULL, .texts = c->texts};
        if (tml_model_score(m, &chunk, SCORE_CHUNK, probs + (size_t)s0 * m->n_out, err) < 0) return -1;
        c->done += B;
        double t = now_s();
        if (t - c->last >= 2.0 && c->done < c->total) { /* a line every 2 s once it takes that long */
            c->last = t;
            fprintf(stderr, "explain: %d/%d perturbed samples scored (%.0fs)\n", c->done, c->total, t - c->t0);
        }
    }
    return 0;
}

/* The first tokens of a text up to max_words distinct words (all when max_words <= 0 or the text
 * has no more): LIME's cost grows with the words times the samples, its fit with the words
 * squared, so a 1 MB text is explained on its beginning instead of running for minutes. */
static int words_within(char *const *tokens, int nt, int max_words, int *n_distinct) {
    TmlStrMap seen;
    *n_distinct = 0;
    if (max_words <= 0 || tml_strmap_init(&seen, (size_t)(nt < 4 * max_words ? nt : 4 * max_words)) < 0) return nt;
    int k = 0;
    for (; k < nt; k++) {
        size_t len = strlen(tokens[k]);
        if (tml_strmap_get(&seen, tokens[k], len) >= 0) continue;
        if (*n_distinct == max_words) break;
        if (tml_strmap_put(&seen, tokens[k], len, *n_distinct) < 0) break;
        ++*n_distinct;
    }
    tml_strmap_free(&seen);
    return k;
}

TmlLimeExplanation *tml_explain_text(TmlLoadedModel *lm, const char *text, const TmlLimeConfig *cfg, int label,
                                     TmlError *err) {
    if (!lm->features->text) {
        tml_fail(err, "this is a tabular model; explain rows of a data file instead of --text");
        return NULL;
    }
    char **tokens = NULL;
    const TmlTextFeaturizer *tf = lm->features->text;
    int nt = tml_textfeat_tokenize(tml_textfeat_config(tf), text, &tokens, err);
    if (nt < 0) return NULL;
    int distinct, k = words_within(tokens, nt, cfg ? cfg->max_words : 500, &distinct);
    if (k < nt)
        fprintf(stderr, "note: the text has %d words; LIME explains its first %d (%d distinct words: the --max-words "
                        "cap); the probability and the weights are for that part\n",
                nt, k, distinct);
    /* a text with no feature the model knows (empty, punctuation only, no known word or n-gram)
     * gets the model's prior: say so instead of explaining it */
    int32_t *fid = NULL;
    float *fw = NULL;
    int64_t nf = 0, fcap = 0;
    if (tml_textfeat_features(tf, tokens, k, &fid, tml_textfeat_config(tf)->tfidf ? &fw : NULL, &nf, &fcap) < 0) {
        tml_textfeat_tokens_free(tokens, nt);
        tml_fail(err, "out of memory featurizing the text");
        return NULL;
    }
    free(fid);
    free(fw);
    if (nf == 0)
        fprintf(stderr, "warning: the text has no feature the model knows (%s); the prediction is the model's prior "
                        "and there is nothing to explain\n",
                nt == 0 ? "it is empty or only punctuation" : "none of its words or n-grams is in the model");
    TmlLimeText t;
    TmlLimeExplanation *e = NULL;
    TextCtx c = {.lm = lm, .t = &t};
    c.total = cfg ? cfg->num_samples : 5000;
    c.t0 = c.last = now_s();
    if (tml_lime_text_init(&t, tokens, k, err) < 0) {
        tml_textfeat_tokens_free(tokens, nt);
        return NULL;
    }
    c.kept = malloc((size_t)(nt > 0 ? nt : 1) * sizeof(char *));
    c.offsets = malloc((SCORE_CHUNK + 1) * sizeof(int64_t));
    c.texts = malloc(SCORE_CHUNK * sizeof(char *));
    c.tpos = malloc(SCORE_CHUNK * sizeof(size_t));
    if (!c.kept || !c.offsets || !c.texts || !c.tpos) {
        tml_fail(err, "out of memory");
        goto done;
    }
    e = tml_lime_text_explain(&t, cfg, lm->model->n_out, label, score_text, &c, err);
    if (e && t.n_words == 0) e->score = NAN; /* one sample: no fit to judge (R^2 was printed as 1.000) */
done:
    free(c.kept);
    free(c.offsets);
    free(c.texts);
    free(c.tpos);
    free(c.tbuf);
    free(c.ids);
    free(c.w);
    tml_lime_text_free(&t);
    tml_textfeat_tokens_free(tokens, nt);
    return e;
}

static int score_rows(void *vctx, const float *rows, int S, int dim, float *probs, TmlError *err) {
    TmlModel *m = vctx;
    for (int s0 = 0; s0 < S; s0 += SCORE_CHUNK) {
        int B = S - s0 < SCORE_CHUNK ? S - s0 : SCORE_CHUNK;
        TmlDataset chunk = {.kind = TML_DATA_TABULAR, .n_rows = B, .dim = dim, .dense = (float *)rows + (size_t)s0 * dim};
        if (tml_model_score(m, &chunk, SCORE_CHUNK, probs + (size_t)s0 * m->n_out, err) < 0) return -1;
    }
    return 0;
}

/* "feature=value" of tree feature f for a dense row: the raw number (unstandardized), the
 * category, or "(missing)". malloc'd; NULL when out of memory. */
static char *tree_feature_text(const TmlGbdtModel *g, const TmlTabular *tb, const float *row, const float *x, int f) {
    char buf[512];
    const char *name = g->in.names[f];
    const TmlTabColumn *col = NULL;
    for (int i = 0; i < tb->n_cols && !col; i++)
        if (tb->cols[i].offset == g->in.src[f] && tb->cols[i].type != TML_COL_ID && tb->cols[i].type != TML_COL_IGNORE)
            col = &tb->cols[i];
    if (x[f] != x[f]) snprintf(buf, sizeof buf, "%s=(missing)", name);
    else if (g->in.n_cats[f] > 0 && col && (int)x[f] < col->n_cats) snprintf(buf, sizeof buf, "%s=%s", name, col->cats[(int)x[f]]);
    else if (col && col->type == TML_COL_NUMERIC) snprintf(buf, sizeof buf, "%s=%g", name, col->mean + col->std * (double)row[g->in.src[f]]);
    else snprintf(buf, sizeof buf, "%s=%g", name, (double)x[f]); /* a one-hot column as a number: 0 or 1 */
    return strdup(buf);
}

/* TreeSHAP of the explained label for a tree model: e->shap, largest |contribution| first, at most
 * num_features of them (the same budget as LIME's). */
static int add_tree_shap(const TmlLoadedModel *lm, const float *row, const TmlLimeConfig *cfg, TmlLimeExplanation *e,
                         TmlError *err) {
    const TmlGbdtModel *g = tml_gbdt_of(lm->model);
    int F = g->in.F, K = g->ens->K, k = K == 1 ? 0 : e->label;
    double sign = K == 1 && e->label != g->positive ? -1.0 : 1.0; /* binary: the positive class's log-odds */
    float *x = malloc(sizeof *x * (size_t)F);
    double *phi = malloc(sizeof *phi * (size_t)K * (size_t)(F + 1));
    int *ord = malloc(sizeof *ord * (size_t)F), rc = -1;
    if (!x || !phi || !ord) {
        tml_fail(err, "out of memory for TreeSHAP");
        goto done;
    }
    tml_gbdt_model_inputs(g, row, 1, x);
    if (tml_treeshap_row(g->ens, x, F, phi, err)) goto done;
    const double *p = phi + (size_t)k * (F + 1);
    for (int f = 0; f < F; f++) ord[f] = f;
    for (int i = 1; i < F; i++) { /* by |contribution|, descending; insertion sort (F is small) */
        int v = ord[i], j = i - 1;
        while (j >= 0 && fabs(p[ord[j]]) < fabs(p[v])) ord[j + 1] = ord[j], j--;
        ord[j + 1] = v;
    }
    int n = F < cfg->num_features ? F : cfg->num_features;
    if (!(e->shap = calloc((size_t)(n > 0 ? n : 1), sizeof *e->shap))) {
        tml_fail(err, "out of memory for TreeSHAP");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        e->shap[i].id = ord[i];
        e->shap[i].weight = sign * p[ord[i]];
        if (!(e->shap[i].name = tree_feature_text(g, lm->features->tab, row, x, ord[i]))) {
            tml_fail(err, "out of memory");
            goto done;
        }
        e->n_shap = i + 1;
    }
    e->shap_base = sign * p[F];
    rc = 0;
done:
    free(x);
    free(phi);
    free(ord);
    return rc;
}

TmlLimeExplanation *tml_explain_row(TmlLoadedModel *lm, const float *row, const TmlLimeConfig *cfg, int label,
                                    TmlError *err) {
    if (!lm->features->tab) {
        tml_fail(err, "this is a text model; explain with --text or rows of a text file");
        return NULL;
    }
    TmlLimeExplanation *e =
        tml_lime_tab_explain(lm->features->tab, row, NULL, cfg, lm->model->n_out, label, score_rows, lm->model, err);
    if (e && tml_gbdt_of(lm->model) && add_tree_shap(lm, row, cfg ? cfg : &(TmlLimeConfig){.num_features = 10}, e, err)) {
        tml_lime_explanation_free(e);
        return NULL;
    }
    return e;
}

/* Rows first..last of the data file, each explained and emitted. */
static int explain_rows(const TmlExplainRequest *rq, TmlLoadedModel *lm, int label, TmlExplainEmit emit, void *ctx,
                        TmlError *err) {
    char *tk = tml_loaded_model_tickets(lm, rq->tickets);
    TmlDataset *ds = tml_features_transform_file(lm->features, rq->data_path, tk, err);
    free(tk);
    if (!ds) return 2;
    int rc = 0;
    long b = rq->last_row;
    if (rq->first_row > ds->n_rows) {
        tml_fail(err, "%s has %lld rows; --rows starts at %ld", rq->data_path, (long long)ds->n_rows, rq->first_row);
        rc = 2;
    }
    if (b > ds->n_rows) b = (long)ds->n_rows;
    for (long r = rq->first_row - 1; rc == 0 && r < b; r++) {
        TmlError e2;
        TmlLimeExplanation *e = ds->kind == TML_DATA_TEXT
                                    ? tml_explain_text(lm, ds->texts[r], &rq->lime, label, &e2)
                                    : tml_explain_row(lm, ds->dense + (size_t)r * ds->dim, &rq->lime, label, &e2);
        if (!e) {
            tml_fail(err, "row %ld: %s", r + 1, e2.msg);
            rc = 1;
            break;
        }
        char what[512];
        if (ds->kind == TML_DATA_TEXT) snprintf(what, sizeof what, "row %ld: %s", r + 1, ds->texts[r]);
        else snprintf(what, sizeof what, "row %ld%s%s", r + 1, ds->row_ids ? ": " : "", ds->row_ids ? ds->row_ids[r] : "");
        emit(ctx, lm, e, what);
        tml_lime_explanation_free(e);
    }
    tml_dataset_free(ds);
    return rc;
}

int tml_explain_run(const TmlExplainRequest *rq, TmlExplainEmit emit, void *ctx, TmlError *err) {
    TmlBackend *be = tml_run_backend(rq->device, NULL, 1, err);
    if (!be) return 1;
    int rc = 2, label = -1;
    TmlLoadedModel *lm = tml_modelfile_load(rq->model_path, be, 0, err);
    if (!lm) goto done;
    if (rq->label && (label = tml_labels_index(lm->features->labels, rq->label)) < 0) {
        tml_fail(err, "--label '%s' is not one of the model's %d labels", rq->label, lm->features->labels->n);
        goto done;
    }
    if (rq->text) {
        TmlLimeExplanation *e = tml_explain_text(lm, rq->text, &rq->lime, label, err);
        if (!e) goto done;
        emit(ctx, lm, e, rq->text);
        tml_lime_explanation_free(e);
        rc = 0;
    } else {
        rc = explain_rows(rq, lm, label, emit, ctx, err);
    }
done:
    tml_loaded_model_free(lm);
    tml_backend_free(be);
    return rc;
}
