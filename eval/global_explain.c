/* global_explain.c — top n-grams per class through the family's score (see global_explain.h). */
#include "eval/global_explain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/strmap.h"

#define MAX_WORDS 2000
#define MAX_PAIRS 1000
#define MIN_DOCS 3

typedef struct Cand {
    long e;      /* strmap entry */
    int64_t df;
    int pair;
} Cand;

static int by_df(const void *a, const void *b) {
    const Cand *x = a, *y = b;
    if (x->df != y->df) return x->df > y->df ? -1 : 1;
    return x->e < y->e ? -1 : x->e > y->e;
}

/* Tickets containing each word and each adjacent pair (counted once per ticket). */
static int count(const TmlTextFeaturizer *tf, const TmlDataset *ds, TmlStrMap *map, int64_t **df, int64_t **last,
                 int8_t **pair, size_t *cap) {
    TmlTokBuf tb;
    tml_textfeat_tokbuf_init(&tb);
    char buf[512];
    int rc = 0;
    for (int64_t r = 0; r < ds->n_rows && !rc; r++) {
        const char *t = ds->texts[r] ? ds->texts[r] : "";
        TmlError e;
        if (tml_textfeat_tokbuf_run(&tb, tml_textfeat_config(tf), t, strlen(t), &e)) continue;
        for (int i = 0; i < tb.n && !rc; i++)
            for (int p = 0; p < 2; p++) {
                if (p && (i + 1 >= tb.n || (unsigned char)tb.tok[i][0] >= 0x80 || (unsigned char)tb.tok[i + 1][0] >= 0x80))
                    continue;
                int len = p ? snprintf(buf, sizeof buf, "%s %s", tb.tok[i], tb.tok[i + 1])
                            : snprintf(buf, sizeof buf, "%s", tb.tok[i]);
                if (len <= 0 || (size_t)len >= sizeof buf) continue;
                long k = tml_strmap_put(map, buf, (size_t)len, 0);
                if (k < 0) {
                    rc = -1;
                    break;
                }
                if ((size_t)k >= *cap) {
                    size_t nc = *cap ? *cap * 2 : 4096;
                    int64_t *d = realloc(*df, nc * sizeof *d), *l = d ? realloc(*last, nc * sizeof *l) : NULL;
                    int8_t *pp = l ? realloc(*pair, nc) : NULL;
                    if (d) *df = d;
                    if (l) *last = l;
                    if (pp) *pair = pp;
                    if (!d || !l || !pp) {
                        rc = -1;
                        break;
                    }
                    for (size_t j = *cap; j < nc; j++) (*df)[j] = 0, (*last)[j] = -1;
                    *cap = nc;
                }
                (*pair)[k] = (int8_t)p;
                if ((*last)[k] != r) (*df)[k]++, (*last)[k] = r;
            }
    }
    tml_textfeat_tokbuf_free(&tb);
    return rc;
}

TmlGlobalExplanation *tml_global_explain_text(TmlLoadedModel *lm, const TmlDataset *ds, int k, TmlError *err) {
    const TmlFeatures *f = lm->features;
    int C = lm->model->n_out;
    TmlStrMap map;
    int64_t *df = NULL, *last = NULL;
    int8_t *pair = NULL;
    size_t cap = 0;
    Cand *cand = NULL;
    char **texts = NULL;
    TmlDataset *q = NULL;
    float *probs = NULL;
    TmlGlobalExplanation *g = NULL;
    int n_txt = 0;
    if (tml_strmap_init(&map, 4096)) return tml_fail(err, "global explanation: out of memory"), NULL;
    if (count(f->text, ds, &map, &df, &last, &pair, &cap)) goto oom;
    cand = malloc(sizeof *cand * (map.n > 0 ? map.n : 1));
    if (!cand) goto oom;
    size_t nc = 0;
    for (size_t e = 0; e < map.n; e++)
        if (df[e] >= MIN_DOCS) cand[nc++] = (Cand){(long)e, df[e], pair[e]};
    qsort(cand, nc, sizeof *cand, by_df);
    /* the one-n-gram tickets, and an empty one last (the baseline) */
    texts = calloc(MAX_WORDS + MAX_PAIRS + 1, sizeof *texts);
    if (!texts) goto oom;
    int words = 0, pairs = 0;
    for (size_t i = 0; i < nc; i++) {
        if (cand[i].pair ? pairs >= MAX_PAIRS : words >= MAX_WORDS) continue;
        const TmlStrMapEntry *en = &map.ent[cand[i].e];
        if (!(texts[n_txt] = malloc(en->len + 1))) goto oom;
        memcpy(texts[n_txt], map.arena + en->off, en->len);
        texts[n_txt++][en->len] = 0;
        if (cand[i].pair) pairs++;
        else words++;
    }
    if (!(texts[n_txt++] = strdup(""))) goto oom;
    q = calloc(1, sizeof *q);
    if (!q) goto oom;
    q->kind = TML_DATA_TEXT;
    q->n_rows = n_txt;
    q->texts = texts;
    texts = NULL;
    q->labels = malloc(sizeof *q->labels * (size_t)n_txt);
    q->lines = calloc((size_t)n_txt, sizeof *q->lines);
    if (!q->labels || !q->lines) goto oom;
    for (int i = 0; i < n_txt; i++) q->labels[i] = -1;
    if (tml_textfeat_transform(f->text, (const char *const *)q->texts, n_txt, &q->offsets, &q->ids, &q->w, err)) goto fail;
    if (!(probs = tml_model_score_new(lm->model, q, 4096, err))) goto fail;
    g = calloc(1, sizeof *g);
    if (!g || !(g->n = calloc((size_t)C, sizeof *g->n)) || !(g->words = calloc((size_t)C * k, sizeof *g->words)) ||
        !(g->scores = malloc(sizeof *g->scores * (size_t)C * k)))
        goto oom;
    g->C = C;
    g->k = k;
    g->n_candidates = n_txt - 1;
    const float *base = probs + (size_t)(n_txt - 1) * C;
    for (int c = 0; c < C; c++) {
        int *top = g->n + c;
        for (int i = 0; i < n_txt - 1; i++) {
            double sc = log(fmax(probs[(size_t)i * C + c], 1e-30)) - log(fmax(base[c], 1e-30));
            if (!(sc > 0)) continue;
            double *s = g->scores + (size_t)c * k;
            char **w = g->words + (size_t)c * k;
            if (*top == k && sc <= s[k - 1]) continue;
            int j = *top < k ? (*top)++ : k - 1;
            while (j > 0 && s[j - 1] < sc) {
                s[j] = s[j - 1];
                w[j] = w[j - 1];
                j--;
            }
            s[j] = sc;
            w[j] = q->texts[i]; /* borrowed for now; copied below */
        }
    }
    for (size_t i = 0; i < (size_t)C * k; i++)
        if (g->words[i] && !(g->words[i] = strdup(g->words[i]))) {
            for (size_t j = 0; j < i; j++) free(g->words[j]);
            goto oom;
        }
    free(probs);
    tml_dataset_free(q);
    free(cand), free(df), free(last), free(pair);
    tml_strmap_free(&map);
    return g;
oom:
    tml_fail(err, "global explanation: out of memory");
fail:
    if (g) { /* words may still be borrowed: drop them without freeing */
        free(g->n);
        free(g->words);
        free(g->scores);
        free(g);
    }
    if (texts)
        for (int i = 0; i < n_txt; i++) free(texts[i]);
    free(texts);
    free(probs);
    tml_dataset_free(q);
    free(cand), free(df), free(last), free(pair);
    tml_strmap_free(&map);
    return NULL;
}

void tml_global_explanation_free(TmlGlobalExplanation *g) {
    if (!g) return;
    for (size_t i = 0; g->words && i < (size_t)g->C * g->k; i++) free(g->words[i]);
    free(g->words);
    free(g->n);
    free(g->scores);
    free(g);
}
