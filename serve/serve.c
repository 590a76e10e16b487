/* serve.c — the serving library: an export turned into a read-only model (featurizer, tabular maps,
 * and the forward state of its family, see serve_family.h) and the predict calls: featurize, then
 * the family's forward pass. Every predict call allocates its own scratch, so one model serves many
 * threads at once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/derive.h"
#include "data/tabular.h"
#include "data/textfeat.h"
#include "data/tokenizer.h"
#include "serve/export_io.h"
#include "serve/serve_family.h"
#include "ticketml/serve.h"

struct TmlServeModel {
    TmlExport *ex;          /* owns weights and names */
    int text;
    int C;                  /* classes */
    int64_t in_dim;         /* feature ids (text) or dense width (tabular) */
    const TmlServeFamily *family;
    void *fwd;              /* the family's forward state (borrows ex's tensors) */
    size_t scratch_n;       /* floats of scratch one forward needs */
    TmlTextFeaturizer *tf;  /* text: the n-gram featurizer (bag models) */
    TmlTokenizer *tok;      /* text: the tokenizer (encoder models; tf is NULL then) */
    int max_len;            /* encoder: token ids per text, first and last included */
    TmlTabular tab;         /* tabular: cols owned, strings borrowed from ex */
    TmlDeriveSpec *derive;  /* tabular: derived columns computed from the row (NULL: none) */
    int n_fields;
    const char **fields;    /* (n_fields) borrowed from ex */
};

static const float *tensor(const TmlExport *e, const char *key) {
    const TmlExportTensor *t = tml_export_tensor(e, key);
    return t ? t->data : NULL;
}

static int build_tabular(TmlServeModel *m, TmlError *err) {
    const TmlExport *e = m->ex;
    TmlTabular *tb = &m->tab;
    tb->n_cols = (int)e->n_cols;
    tb->dim = (int)e->tab_dim;
    tb->feature_names = e->feature_names;
    tb->cols = calloc((size_t)e->n_cols, sizeof *tb->cols);
    m->fields = calloc((size_t)e->n_cols, sizeof *m->fields);
    if (!tb->cols || !m->fields) return tml_fail(err, "out of memory");
    int64_t cat = 0;
    for (int64_t i = 0; i < e->n_cols; i++) {
        TmlTabColumn *c = &tb->cols[i];
        c->name = e->col_name[i];
        c->type = (TmlColType)tml_export_col_type_parse(e->col_type[i]);
        c->impute = !strcmp(e->col_impute[i], "mean") ? TML_IMPUTE_MEAN
                    : !strcmp(e->col_impute[i], "zero") ? TML_IMPUTE_ZERO
                                                        : TML_IMPUTE_MEDIAN;
        c->fill = e->col_fill[i];
        c->mean = e->col_mean[i];
        c->std = e->col_std[i];
        c->n_cats = (int)e->col_n_cats[i];
        c->cats = e->categories + cat;
        c->offset = (int)e->col_offset[i];
        cat += e->col_n_cats[i];
    }
    tb->keep_missing = e->tab_keep_missing != 0;
    if (e->tab_derive && e->tab_derive[0]) {
        TmlError e2;
        if (!(m->derive = tml_derive_parse(e->tab_derive, &e2))) return tml_fail(err, "tabular/derive: %s", e2.msg);
    }
    /* the fields a row carries: every input column but the derived ones (computed from the row) */
    for (int64_t i = 0; i < e->n_cols; i++) {
        const TmlTabColumn *c = &tb->cols[i];
        int derived = 0;
        for (int k = 0; m->derive && k < m->derive->n && !derived; k++) derived = !strcmp(m->derive->d[k].name, c->name);
        if (c->type != TML_COL_ID && c->type != TML_COL_IGNORE && !derived) m->fields[m->n_fields++] = c->name;
    }
    return 0;
}

TmlServeModel *tml_serve_load(const char *path_or_dir, TmlError *err) {
    TmlExport *e = tml_export_read(path_or_dir, err);
    if (!e) return NULL;
    TmlServeModel *m = calloc(1, sizeof *m);
    if (!m) {
        tml_export_free(e);
        tml_fail(err, "out of memory");
        return NULL;
    }
    m->ex = e;
    m->text = !strcmp(e->kind, "text");
    m->C = (int)e->n_out;
    m->in_dim = e->in_dim;
    m->family = tml_serve_family_for_arch(e->arch); /* tml_export_read checked it exists */
    if (!(m->fwd = m->family->build(e, err))) {
        tml_serve_free(m);
        return NULL;
    }
    m->scratch_n = m->family->scratch_floats(m->fwd);
    if (m->text && !strcmp(e->arch, "encoder")) {
        m->max_len = (int)e->enc_max_len; /* validated by the encoder family */
        if (!(m->tok = tml_tokenizer_from_spec(&e->tok, path_or_dir, err))) {
            tml_serve_free(m);
            return NULL;
        }
    } else if (m->text) {
        TmlError e2;
        m->tf = tml_textfeat_restore(&e->text, e->vocab, NULL, e->n_words, tensor(e, "text/idf"), &e2);
        if (!m->tf) {
            tml_fail(err, "%s: cannot rebuild the featurizer: %s", path_or_dir, e2.msg);
            tml_serve_free(m);
            return NULL;
        }
    } else if (build_tabular(m, err)) {
        tml_serve_free(m);
        return NULL;
    }
    return m;
}

void tml_serve_free(TmlServeModel *m) {
    if (!m) return;
    if (m->fwd) m->family->free(m->fwd);
    tml_textfeat_free(m->tf);
    tml_tokenizer_free(m->tok);
    tml_derive_free(m->derive);
    free(m->tab.cols);
    free(m->fields);
    tml_export_free(m->ex);
    free(m);
}

int tml_serve_n_labels(const TmlServeModel *m) { return m->C; }
const char *tml_serve_label_name(const TmlServeModel *m, int k) {
    return k >= 0 && k < m->C ? m->ex->labels[k] : NULL;
}
int tml_serve_is_text(const TmlServeModel *m) { return m->text; }
const char *tml_serve_task(const TmlServeModel *m) { return m->ex->task; }
int tml_serve_positive(const TmlServeModel *m) { return (int)m->ex->positive; }
const char *tml_serve_checksum(const TmlServeModel *m) { return m->ex->checksum; }
const char *tml_serve_text_columns(const TmlServeModel *m) { return m->ex->text_columns; }
const char *tml_serve_id_column(const TmlServeModel *m) { return m->ex->id_column; }
int tml_serve_n_fields(const TmlServeModel *m) { return m->n_fields; }
const char *tml_serve_field_name(const TmlServeModel *m, int k) {
    return k >= 0 && k < m->n_fields ? m->fields[k] : NULL;
}
int tml_serve_history_dim(const TmlServeModel *m) { return m->ex->history_enabled ? (int)m->ex->history_dim : 0; }
const char *tml_serve_history_name(const TmlServeModel *m, int k) {
    return k >= 0 && k < tml_serve_history_dim(m) ? m->ex->history_features[k] : NULL;
}
const char *tml_serve_history_setting(const TmlServeModel *m, const char *key) {
    const TmlExport *e = m->ex;
    if (!e->history_enabled || !key) return NULL;
    if (!strcmp(key, "customer_column")) return e->hist_customer;
    if (!strcmp(key, "time_column")) return e->hist_time;
    if (!strcmp(key, "sentiment_column")) return e->hist_sentiment;
    if (!strcmp(key, "intent_column")) return e->hist_intent;
    if (!strcmp(key, "response_column")) return e->hist_response;
    if (!strcmp(key, "cutoff")) return e->hist_cutoff;
    return NULL;
}
int tml_serve_dense_dim(const TmlServeModel *m) { return m->text ? 0 : m->tab.dim; }

/* ---- forward ---------------------------------------------------------------------------------- */

/* The forward pass from features into probs (C); scratch holds m->scratch_n floats. Ids are
 * trusted (checked by the public entry points). Returns the top class. */
static int forward(const TmlServeModel *m, const int32_t *ids, const float *w, int64_t n, const float *dense,
                   float *probs, float *scratch) {
    return m->family->forward(m->fwd, ids, w, n, dense, probs, scratch);
}

static float *scratch_new(const TmlServeModel *m) { return malloc((m->scratch_n + 1) * sizeof(float)); }

int tml_serve_predict_features(const TmlServeModel *m, const int32_t *ids, const float *weights, int64_t n_ids,
                               const float *dense, float *probs_out, int *top, TmlError *err) {
    if (m->text) {
        for (int64_t j = 0; j < n_ids; j++)
            if (ids[j] < 0 || ids[j] >= m->in_dim)
                return tml_fail(err, "feature id %d at position %lld is outside the model's %lld features", ids[j],
                                (long long)j, (long long)m->in_dim);
    } else if (!dense) {
        return tml_fail(err, "a tabular model needs the dense features");
    }
    float *s = scratch_new(m);
    if (!s) return tml_fail(err, "out of memory");
    int t = forward(m, ids, weights, n_ids, dense, probs_out, s);
    free(s);
    if (top) *top = t;
    return 0;
}

/* ---- text ------------------------------------------------------------------------------------- */

/* Per-caller featurization state: the tokenizer buffer and the growable id / weight arrays. */
typedef struct TextScratch {
    TmlTokBuf tok;
    TmlTokScratch tks;  /* encoder models: the tokenizer's working memory */
    int32_t *ids;
    float *w;
    int64_t n, cap;
} TextScratch;

static void ts_init(TextScratch *s) {
    memset(s, 0, sizeof *s);
    tml_textfeat_tokbuf_init(&s->tok);
}

static void ts_free(TextScratch *s) {
    tml_textfeat_tokbuf_free(&s->tok);
    tml_tokscratch_free(&s->tks);
    free(s->ids);
    free(s->w);
}

/* Features of text into s->ids / s->w (w only with TF-IDF); count in s->n. */
static int featurize(const TmlServeModel *m, TextScratch *s, const char *text, TmlError *err) {
    if (!m->text) return tml_fail(err, "this is a tabular model; call tml_serve_predict_row");
    if (!text) text = "";
    if (m->tok) { /* an encoder: its token ids, [CLS] ... [SEP] cut to max_len */
        if (s->cap < m->max_len) {
            int32_t *ids = realloc(s->ids, sizeof(int32_t) * (size_t)m->max_len);
            if (!ids) return tml_fail(err, "out of memory tokenizing a text");
            s->ids = ids, s->cap = m->max_len;
        }
        int n = tml_tokenizer_encode(m->tok, text, strlen(text), m->max_len, s->ids, &s->tks);
        if (n < 0) return tml_fail(err, "out of memory tokenizing a text");
        s->n = n;
        return 0;
    }
    TmlError e2;
    if (tml_textfeat_tokbuf_run(&s->tok, tml_textfeat_config(m->tf), text, strlen(text), &e2))
        return tml_fail(err, "text: %s", e2.msg);
    s->n = 0;
    if (tml_textfeat_features(m->tf, s->tok.tok, s->tok.n, &s->ids, &s->w, &s->n, &s->cap) < 0)
        return tml_fail(err, "out of memory featurizing a text");
    return 0;
}

static const float *ts_weights(const TmlServeModel *m, const TextScratch *s) {
    return m->tf && tml_textfeat_config(m->tf)->tfidf ? s->w : NULL;
}

int tml_serve_predict_text(const TmlServeModel *m, const char *text, float *probs_out, int *top_label, TmlError *err) {
    TextScratch s;
    ts_init(&s);
    float *scr = scratch_new(m);
    int rc = -1;
    if (!scr) tml_fail(err, "out of memory");
    else if (featurize(m, &s, text, err) == 0) {
        int t = forward(m, s.ids, ts_weights(m, &s), s.n, NULL, probs_out, scr);
        if (top_label) *top_label = t;
        rc = 0;
    }
    free(scr);
    ts_free(&s);
    return rc;
}

int tml_serve_predict_batch(const TmlServeModel *m, const char *const *texts, int64_t n, float *probs_out, int *top,
                            int threads, TmlError *err) {
    if (!m->text) return tml_fail(err, "this is a tabular model; call tml_serve_predict_row per record");
    int64_t bad = -1;
    TmlError first;
    first.msg[0] = 0;
    if (threads < 1) threads = 1;
#pragma omp parallel num_threads(threads) if (threads > 1 && n > 1)
    {
        TextScratch s;
        ts_init(&s);
        float *scr = scratch_new(m);
#pragma omp for schedule(dynamic, 16)
        for (int64_t i = 0; i < n; i++) {
            TmlError e2;
            float *p = probs_out + (size_t)i * (size_t)m->C;
            if (!scr || featurize(m, &s, texts[i], &e2)) {
                if (!scr) tml_fail(&e2, "out of memory");
#pragma omp critical(tml_serve_batch_err)
                if (bad < 0 || i < bad) {
                    bad = i;
                    first = e2;
                }
                for (int c = 0; c < m->C; c++) p[c] = NAN;
                if (top) top[i] = -1;
                continue;
            }
            int t = forward(m, s.ids, ts_weights(m, &s), s.n, NULL, p, scr);
            if (top) top[i] = t;
        }
        free(scr);
        ts_free(&s);
    }
    if (bad >= 0) return tml_fail(err, "text %lld: %s", (long long)bad, first.msg);
    return 0;
}

int64_t tml_serve_text_features(const TmlServeModel *m, const char *text, int32_t **ids, float **weights,
                                TmlError *err) {
    TextScratch s;
    ts_init(&s);
    *ids = NULL;
    *weights = NULL;
    if (featurize(m, &s, text, err)) {
        ts_free(&s);
        return -1;
    }
    int64_t n = s.n;
    int32_t *oi = malloc((size_t)(n > 0 ? n : 1) * sizeof *oi);
    float *ow = malloc((size_t)(n > 0 ? n : 1) * sizeof *ow);
    if (!oi || !ow) {
        free(oi);
        free(ow);
        ts_free(&s);
        return tml_fail(err, "out of memory");
    }
    const float *w = ts_weights(m, &s);
    for (int64_t j = 0; j < n; j++) {
        oi[j] = s.ids[j];
        ow[j] = w ? w[j] : 1.0f;
    }
    ts_free(&s);
    *ids = oi;
    *weights = ow;
    return n;
}

/* ---- tabular ---------------------------------------------------------------------------------- */

int tml_serve_row_features(const TmlServeModel *m, const char *const *names, const char *const *values, int n,
                           float *dense_out, TmlError *err) {
    if (m->text) return tml_fail(err, "this is a text model; call tml_serve_predict_text");
    if (!m->derive) return tml_tabular_transform_row(&m->tab, (char *const *)names, (char *const *)values, n, dense_out, err);
    char **dn, **dv; /* the row's fields plus the derived columns computed from them */
    if (tml_derive_row(m->derive, (char *const *)names, (char *const *)values, n, &dn, &dv, err)) return -1;
    int rc = tml_tabular_transform_row(&m->tab, dn, dv, n + m->derive->n, dense_out, err);
    tml_derive_row_free(m->derive, dn, dv, n);
    return rc;
}

int tml_serve_predict_row(const TmlServeModel *m, const char *const *names, const char *const *values, int n,
                          float *probs_out, int *top, TmlError *err) {
    if (m->text) return tml_fail(err, "this is a text model; call tml_serve_predict_text");
    float *x = malloc(((size_t)m->tab.dim + m->scratch_n + 1) * sizeof *x);
    if (!x) return tml_fail(err, "out of memory");
    int rc = tml_serve_row_features(m, names, values, n, x, err);
    if (rc == 0) {
        int t = forward(m, NULL, NULL, 0, x, probs_out, x + m->tab.dim);
        if (top) *top = t;
    }
    free(x);
    return rc;
}

/* ---- shared with the families (serve_family.h) ------------------------------------------------ */

int tml_serve_finish(float *p, int C, int ova) {
    int top = 0;
    if (ova) {
        for (int c = 0; c < C; c++) {
            float x = p[c];
            if (x >= 0.0f) p[c] = 1.0f / (1.0f + expf(-x));
            else {
                float ex = expf(x);
                p[c] = ex / (1.0f + ex);
            }
        }
    } else {
        float mx = -INFINITY, sum = 0.0f;
        for (int c = 0; c < C; c++) mx = p[c] > mx ? p[c] : mx;
        for (int c = 0; c < C; c++) {
            p[c] = expf(p[c] - mx);
            sum += p[c];
        }
        float inv = 1.0f / sum;
        for (int c = 0; c < C; c++) p[c] *= inv;
    }
    for (int c = 1; c < C; c++)
        if (p[c] > p[top]) top = c;
    return top;
}
