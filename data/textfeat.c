/* textfeat.c — the fitted text featurizer: vocabulary (open-addressing hash table, deterministic
 * ids), smooth idf, and per-document feature ids in the fastText layout (words, then hashed word
 * n-grams and character n-grams in [n_words, n_words + buckets)), with optional TF-IDF weights.
 * Tokenization lives in textfeat_tokenize.c; the serving library links this same code. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/textfeat_internal.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* String -> id table: words packed in one pool, ids in insertion order, open addressing. */
typedef struct StrTab {
    char *pool;
    size_t pool_len, pool_cap;
    size_t *off;      /* (n) word start in pool */
    uint32_t *hash;   /* (n) tml_textfeat_hash of the word */
    int64_t *count;   /* (n) */
    int64_t n, cap;
    int32_t *slots;   /* (mask + 1) id or -1 */
    size_t mask;
} StrTab;

struct TmlTextFeaturizer {
    TmlTextConfig cfg;
    StrTab vocab;
    float *idf; /* (n_words + buckets) when tfidf, else NULL */
};

uint32_t tml_textfeat_hash(const char *s, size_t len) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* FNV-1a of a NUL-terminated string, also returning its length (one pass). */
static inline uint32_t hash_cstr(const char *s, size_t *len) {
    uint32_t h = 2166136261u;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        h ^= *p++;
        h *= 16777619u;
    }
    *len = (size_t)(p - (const unsigned char *)s);
    return h;
}

static void strtab_free(StrTab *t) {
    free(t->pool);
    free(t->off);
    free(t->hash);
    free(t->count);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

static int strtab_rehash(StrTab *t, size_t nslots) {
    int32_t *s = (int32_t *)malloc(nslots * sizeof *s);
    if (!s) return -1;
    memset(s, 0xFF, nslots * sizeof *s);
    size_t mask = nslots - 1;
    for (int64_t id = 0; id < t->n; id++) {
        size_t k = tml_textfeat_hash_mix(t->hash[id]) & mask;
        while (s[k] >= 0) k = (k + 1) & mask;
        s[k] = (int32_t)id;
    }
    free(t->slots);
    t->slots = s;
    t->mask = mask;
    return 0;
}

static int64_t strtab_find(const StrTab *t, const char *w, size_t len, uint32_t h) {
    if (!t->slots) return -1;
    size_t k = tml_textfeat_hash_mix(h) & t->mask;
    for (;;) {
        int32_t id = t->slots[k];
        if (id < 0) return -1;
        if (t->hash[id] == h) {
            const char *p = t->pool + t->off[id];
            if (!memcmp(p, w, len) && p[len] == '\0') return id;
        }
        k = (k + 1) & t->mask;
    }
}

/* Adds a word known to be absent; returns its id or -1 on allocation failure. */
static int64_t strtab_add(StrTab *t, const char *w, size_t len, uint32_t h, int64_t count) {
    if (t->n >= INT32_MAX - 1) return -1;
    if (t->n == t->cap) {
        int64_t c = t->cap ? 2 * t->cap : 1024;
        size_t *o = (size_t *)realloc(t->off, (size_t)c * sizeof *o);
        if (!o) return -1;
        t->off = o;
        uint32_t *hh = (uint32_t *)realloc(t->hash, (size_t)c * sizeof *hh);
        if (!hh) return -1;
        t->hash = hh;
        int64_t *cc = (int64_t *)realloc(t->count, (size_t)c * sizeof *cc);
        if (!cc) return -1;
        t->count = cc;
        t->cap = c;
    }
    if (t->pool_len + len + 1 > t->pool_cap) {
        size_t c = t->pool_cap ? t->pool_cap : 16384;
        while (c < t->pool_len + len + 1) c *= 2;
        char *p = (char *)realloc(t->pool, c);
        if (!p) return -1;
        t->pool = p;
        t->pool_cap = c;
    }
    /* keep the load factor under 1/2 */
    if (!t->slots || (size_t)(t->n + 1) * 2 > t->mask + 1)
        if (strtab_rehash(t, t->slots ? 2 * (t->mask + 1) : 2048)) return -1;
    int64_t id = t->n++;
    t->off[id] = t->pool_len;
    memcpy(t->pool + t->pool_len, w, len);
    t->pool[t->pool_len + len] = '\0';
    t->pool_len += len + 1;
    t->hash[id] = h;
    t->count[id] = count;
    size_t k = tml_textfeat_hash_mix(h) & t->mask;
    while (t->slots[k] >= 0) k = (k + 1) & t->mask;
    t->slots[k] = (int32_t)id;
    return id;
}

TmlTextFeaturizer *tml_textfeat_new(const TmlTextConfig *c) {
    TmlTextFeaturizer *f = (TmlTextFeaturizer *)calloc(1, sizeof *f);
    if (!f) return NULL;
    f->cfg = *c;
    if (f->cfg.word_ngrams < 1) f->cfg.word_ngrams = 1;
    if (f->cfg.word_ngrams > TML_TEXT_MAX_WORD_NGRAMS) f->cfg.word_ngrams = TML_TEXT_MAX_WORD_NGRAMS;
    if (f->cfg.buckets < 0) f->cfg.buckets = 0;
    if (f->cfg.minn < 0 || f->cfg.maxn < f->cfg.minn) f->cfg.minn = f->cfg.maxn = 0;
    return f;
}

void tml_textfeat_free(TmlTextFeaturizer *f) {
    if (!f) return;
    strtab_free(&f->vocab);
    free(f->idf);
    free(f);
}

const TmlTextConfig *tml_textfeat_config(const TmlTextFeaturizer *f) { return &f->cfg; }
int64_t tml_textfeat_n_words(const TmlTextFeaturizer *f) { return f->vocab.n; }
int64_t tml_textfeat_dim(const TmlTextFeaturizer *f) { return f->vocab.n + f->cfg.buckets; }
const float *tml_textfeat_idf(const TmlTextFeaturizer *f) { return f->idf; }
const int64_t *tml_textfeat_counts(const TmlTextFeaturizer *f) { return f->vocab.count; }

const char *tml_textfeat_word(const TmlTextFeaturizer *f, int64_t id) {
    if (id < 0 || id >= f->vocab.n) return NULL;
    return f->vocab.pool + f->vocab.off[id];
}

int64_t tml_textfeat_word_id(const TmlTextFeaturizer *f, const char *token) {
    size_t len;
    uint32_t h = hash_cstr(token, &len);
    return strtab_find(&f->vocab, token, len, h);
}

/* Makes room for `more` entries in the output arrays (ids, and w when with_w). */
static int reserve(int32_t **ids, float **w, int64_t n, int64_t *cap, int64_t more, int with_w) {
    if (n + more <= *cap) return 0;
    int64_t c = *cap > 0 ? *cap : 256;
    while (c < n + more) c *= 2;
    int32_t *ni = (int32_t *)realloc(*ids, (size_t)c * sizeof *ni);
    if (!ni) return -1;
    *ids = ni;
    if (with_w) {
        float *nw = (float *)realloc(*w, (size_t)c * sizeof *nw);
        if (!nw) return -1;
        *w = nw;
    }
    *cap = c;
    return 0;
}

static inline int utf8_len(unsigned char lead) {
    return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

/* Character n-grams of "<word>" (code points minn..maxn; the lone "<" and ">" skipped, as
 * fastText does), hashed with FNV-1a over their bytes without building the strings. */
static int64_t add_char_ngrams(const TmlTextFeaturizer *f, const char *word, size_t len, int32_t *out) {
    const int minn = f->cfg.minn, maxn = f->cfg.maxn;
    const uint64_t nw = (uint64_t)f->vocab.n, nb = (uint64_t)f->cfg.buckets;
    int64_t m = 0;
    /* start positions: -1 is the virtual '<'; then each code point start of the word */
    for (long st = -1; st < (long)len;) {
        uint32_t h = 2166136261u;
        long p = st;
        for (int k = 1; k <= maxn; k++) {
            int end = 0;
            if (p == -1) {
                h = (h ^ (unsigned char)'<') * 16777619u;
                p = 0;
            } else if (p >= (long)len) {
                h = (h ^ (unsigned char)'>') * 16777619u;
                end = 1;
            } else {
                int cl = utf8_len((unsigned char)word[p]);
                if (p + cl > (long)len) cl = (int)(len - (size_t)p);
                for (int b = 0; b < cl; b++) h = (h ^ (unsigned char)word[p + b]) * 16777619u;
                p += cl;
            }
            if (k >= minn && !(k == 1 && (st == -1 || end))) out[m++] = (int32_t)(nw + h % nb);
            if (end) break;
        }
        st = st == -1 ? 0 : st + utf8_len((unsigned char)word[st]);
    }
    return m;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Sorts d[0..m) ascending (insertion sort for the typical short ticket, else qsort). */
static void sort_ids(int32_t *d, int64_t m) {
    if (m > 64) {
        qsort(d, (size_t)m, sizeof *d, cmp_i32);
        return;
    }
    for (int64_t i = 1; i < m; i++) {
        int32_t v = d[i];
        int64_t j = i;
        while (j > 0 && d[j - 1] > v) {
            d[j] = d[j - 1];
            j--;
        }
        d[j] = v;
    }
}

/* The ids of one document, duplicates kept (fastText's bag). */
static int64_t features_raw(const TmlTextFeaturizer *f, char *const *tokens, int n_tokens, int32_t **ids, float **w,
                            int64_t *n, int64_t *cap, int with_w) {
    const TmlTextConfig *c = &f->cfg;
    const int N = c->word_ngrams;
    const uint64_t nw = (uint64_t)f->vocab.n, nb = (uint64_t)c->buckets;
    const int chars = c->minn > 0 && nb > 0;
    uint32_t ring[TML_TEXT_MAX_WORD_NGRAMS]; /* hashes of the last N tokens */
    int64_t start = *n;
    for (int t = 0; t < n_tokens; t++) {
        size_t len;
        uint32_t h = hash_cstr(tokens[t], &len);
        int64_t more = 1 + (N - 1) + (chars ? (int64_t)(len + 2) * (c->maxn - c->minn + 1) : 0);
        if (reserve(ids, w, *n, cap, more, with_w)) return -1;
        int32_t *out = *ids;
        int64_t id = strtab_find(&f->vocab, tokens[t], len, h);
        if (id >= 0) out[(*n)++] = (int32_t)id;
        int placeholder = len > 2 && tokens[t][0] == '<' && tokens[t][len - 1] == '>';
        if (chars && !placeholder) *n += add_char_ngrams(f, tokens[t], len, out + *n);
        ring[t % N] = h;
        if (nb > 0)
            for (int g = 2; g <= N && g <= t + 1; g++) {
                /* the n-gram tokens[t-g+1 .. t], folded left to right as fastText does */
                uint64_t hh = ring[(t - g + 1) % N];
                for (int j = t - g + 2; j <= t; j++) hh = hh * 116049371u + ring[j % N];
                out[(*n)++] = (int32_t)(nw + hh % nb);
            }
    }
    return *n - start;
}

int64_t tml_textfeat_features(const TmlTextFeaturizer *f, char *const *tokens, int n_tokens, int32_t **ids,
                              float **w, int64_t *n, int64_t *cap) {
    const int tfidf = f->cfg.tfidf && f->idf;
    int64_t start = *n;
    if (features_raw(f, tokens, n_tokens, ids, w, n, cap, tfidf) < 0) return -1;
    if (!tfidf || *n == start) return *n - start;
    /* merge duplicates: sort this document's ids, one entry per id with its tf */
    int32_t *d = *ids + start;
    float *dw = *w + start;
    int64_t m = *n - start, u = 0;
    sort_ids(d, m);
    double norm = 0;
    for (int64_t i = 0; i < m;) {
        int64_t j = i + 1;
        while (j < m && d[j] == d[i]) j++;
        double v = (1.0 + log((double)(j - i))) * f->idf[d[i]];
        d[u] = d[i];
        dw[u] = (float)v;
        norm += v * v;
        u++;
        i = j;
    }
    if (norm > 0) {
        float inv = (float)(1.0 / sqrt(norm));
        for (int64_t i = 0; i < u; i++) dw[i] *= inv;
    }
    *n = start + u;
    return u;
}

typedef struct WordRank {
    int64_t id, count;
    const char *w;
} WordRank;

static int cmp_rank(const void *a, const void *b) {
    const WordRank *x = (const WordRank *)a, *y = (const WordRank *)b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->w, y->w);
}

static int check_dim(const TmlTextFeaturizer *f, int64_t n_words, TmlError *err) {
    if (n_words + f->cfg.buckets > INT32_MAX)
        return tml_fail(err, "feature space too large: %lld words + %lld buckets exceeds 2^31; lower [text] buckets",
                        (long long)n_words, (long long)f->cfg.buckets);
    return 0;
}

/* One thread's share of the fit: token counts (pass 1) or document frequencies (pass 2) of a
 * contiguous range of texts. */
typedef struct FitPart {
    StrTab counter;
    int64_t bad; /* first text that failed to tokenize, or -1 */
    int oom;
    TmlError err;
} FitPart;

static void fit_count_part(const TmlTextFeaturizer *f, const char *const *texts, int64_t lo, int64_t hi, FitPart *p) {
    TmlTokBuf b;
    tml_textfeat_tokbuf_init(&b);
    for (int64_t i = lo; i < hi && !p->oom; i++) {
        if (tml_textfeat_tokbuf_run(&b, &f->cfg, texts[i], strlen(texts[i]), &p->err)) {
            p->bad = i;
            break;
        }
        for (int t = 0; t < b.n; t++) {
            size_t len;
            uint32_t h = hash_cstr(b.tok[t], &len);
            int64_t id = strtab_find(&p->counter, b.tok[t], len, h);
            if (id >= 0) p->counter.count[id]++;
            else if (strtab_add(&p->counter, b.tok[t], len, h, 1) < 0) {
                p->oom = 1;
                break;
            }
        }
    }
    tml_textfeat_tokbuf_free(&b);
}

/* df[id] += 1 for every distinct id of every text in [lo, hi) (df shared: atomic adds). */
static void fit_df_part(const TmlTextFeaturizer *f, const char *const *texts, int64_t lo, int64_t hi, int32_t *df,
                        FitPart *p) {
    TmlTokBuf b;
    tml_textfeat_tokbuf_init(&b);
    int32_t *ids = NULL;
    int64_t cap = 0;
    for (int64_t i = lo; i < hi; i++) {
        if (tml_textfeat_tokbuf_run(&b, &f->cfg, texts[i], strlen(texts[i]), &p->err)) {
            p->bad = i;
            break;
        }
        int64_t m = 0;
        if (features_raw(f, b.tok, b.n, &ids, NULL, &m, &cap, 0) < 0) {
            p->oom = 1;
            break;
        }
        sort_ids(ids, m);
        for (int64_t k = 0; k < m; k++)
            if (k == 0 || ids[k] != ids[k - 1]) {
#ifdef _OPENMP
#pragma omp atomic
#endif
                df[ids[k]]++;
            }
    }
    free(ids);
    tml_textfeat_tokbuf_free(&b);
}

static int fit_threads(int64_t n) {
    int nt = 1;
#ifdef _OPENMP
    if (n >= 4096) nt = omp_get_max_threads();
    if (nt > 64) nt = 64;
#endif
    return nt;
}

/* The first failure among parts (they stop at their first bad text, so the lowest is the first). */
static int fit_parts_check(FitPart *parts, int nt, TmlError *err) {
    for (int t = 0; t < nt; t++) {
        if (parts[t].bad >= 0) return tml_fail(err, "text %lld: %s", (long long)parts[t].bad, parts[t].err.msg);
        if (parts[t].oom) return tml_fail(err, "out of memory while fitting the vocabulary");
    }
    return 0;
}

int tml_textfeat_fit(TmlTextFeaturizer *f, const char *const *texts, int64_t n, TmlError *err) {
    const int nt = fit_threads(n);
    FitPart *parts = (FitPart *)calloc((size_t)nt, sizeof *parts);
    WordRank *rank = NULL;
    int32_t *df = NULL;
    int rc = -1;
    strtab_free(&f->vocab);
    free(f->idf);
    f->idf = NULL;
    if (!parts) goto oom;
    for (int t = 0; t < nt; t++) parts[t].bad = -1;

    /* 1. count every token: per-thread tables, merged into the first */
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static, 1) if (nt > 1)
#endif
    for (int t = 0; t < nt; t++) fit_count_part(f, texts, n * t / nt, n * (t + 1) / nt, &parts[t]);
    if (fit_parts_check(parts, nt, err)) goto done;
    StrTab *counter = &parts[0].counter;
    for (int t = 1; t < nt; t++) {
        StrTab *o = &parts[t].counter;
        for (int64_t id = 0; id < o->n; id++) {
            const char *w = o->pool + o->off[id];
            size_t len = strlen(w);
            int64_t k = strtab_find(counter, w, len, o->hash[id]);
            if (k >= 0) counter->count[k] += o->count[id];
            else if (strtab_add(counter, w, len, o->hash[id], o->count[id]) < 0) goto oom;
        }
        strtab_free(o);
    }
    /* 2. vocabulary: count >= min_count, ids by descending count, then bytewise */
    rank = (WordRank *)malloc(((size_t)counter->n + 1) * sizeof *rank);
    if (!rank) goto oom;
    int64_t nv = 0;
    for (int64_t id = 0; id < counter->n; id++)
        if (counter->count[id] >= f->cfg.min_count)
            rank[nv++] = (WordRank){id, counter->count[id], counter->pool + counter->off[id]};
    qsort(rank, (size_t)nv, sizeof *rank, cmp_rank);
    if (check_dim(f, nv, err)) goto done;
    for (int64_t r = 0; r < nv; r++) {
        int64_t id = rank[r].id;
        if (strtab_add(&f->vocab, rank[r].w, strlen(rank[r].w), counter->hash[id], rank[r].count) < 0) goto oom;
    }
    /* 3. smooth idf over every feature id, as scikit-learn: ln((1 + n) / (1 + df)) + 1 */
    if (f->cfg.tfidf) {
        int64_t dim = tml_textfeat_dim(f);
        df = (int32_t *)calloc((size_t)(dim > 0 ? dim : 1), sizeof *df);
        f->idf = (float *)malloc((size_t)(dim > 0 ? dim : 1) * sizeof *f->idf);
        if (!df || !f->idf) goto oom;
        TML_ASSERT(n < INT32_MAX);
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static, 1) if (nt > 1)
#endif
        for (int t = 0; t < nt; t++) fit_df_part(f, texts, n * t / nt, n * (t + 1) / nt, df, &parts[t]);
        if (fit_parts_check(parts, nt, err)) goto done;
        for (int64_t j = 0; j < dim; j++) f->idf[j] = (float)(log((1.0 + (double)n) / (1.0 + (double)df[j])) + 1.0);
    }
    rc = 0;
    goto done;
oom:
    tml_fail(err, "out of memory while fitting the vocabulary");
done:
    if (rc) {
        strtab_free(&f->vocab);
        free(f->idf);
        f->idf = NULL;
    }
    free(rank);
    free(df);
    if (parts)
        for (int t = 0; t < nt; t++) strtab_free(&parts[t].counter);
    free(parts);
    return rc;
}

/* One thread's share of a transform: a contiguous range of texts into its own arrays. */
typedef struct Part {
    int32_t *ids;
    float *w;
    int64_t nnz, cap;
    int64_t bad; /* first text that failed to tokenize, or -1 */
    int oom;
    TmlError err;
} Part;

static void transform_part(const TmlTextFeaturizer *f, const char *const *texts, int64_t lo, int64_t hi,
                           int64_t *off, Part *p) {
    TmlTokBuf b;
    tml_textfeat_tokbuf_init(&b);
    p->bad = -1;
    for (int64_t i = lo; i < hi; i++) {
        if (tml_textfeat_tokbuf_run(&b, &f->cfg, texts[i], strlen(texts[i]), &p->err)) {
            p->bad = i;
            break;
        }
        if (tml_textfeat_features(f, b.tok, b.n, &p->ids, &p->w, &p->nnz, &p->cap) < 0) {
            p->oom = 1;
            break;
        }
        off[i + 1] = p->nnz; /* relative to the part; rebased after the merge */
    }
    tml_textfeat_tokbuf_free(&b);
}

int tml_textfeat_transform_rows(const TmlTextFeaturizer *f, const char *const *texts, int64_t n, int64_t **offsets,
                                int32_t **ids, float **w, int64_t *bad, TmlError *err) {
    *offsets = NULL;
    *ids = NULL;
    *w = NULL;
    *bad = -1;
    const int tfidf = f->cfg.tfidf && f->idf;
    int nt = 1;
#ifdef _OPENMP
    if (n >= 4096) nt = omp_get_max_threads();
    if (nt > 64) nt = 64;
#endif
    int64_t *off = (int64_t *)malloc(((size_t)n + 1) * sizeof *off);
    Part *parts = (Part *)calloc((size_t)nt, sizeof *parts);
    int rc = -1;
    if (!off || !parts) goto oom;
    off[0] = 0;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static, 1) if (nt > 1)
#endif
    for (int t = 0; t < nt; t++) transform_part(f, texts, n * t / nt, n * (t + 1) / nt, off, &parts[t]);
    for (int t = 0; t < nt; t++) { /* parts stop at their first bad text: the lowest one is the first */
        if (parts[t].bad >= 0) {
            *bad = parts[t].bad;
            tml_fail(err, "%s", parts[t].err.msg);
            goto done;
        }
        if (parts[t].oom) goto oom;
    }
    if (nt == 1) { /* the only part's arrays are the result */
        if (reserve(&parts[0].ids, &parts[0].w, parts[0].nnz, &parts[0].cap, 1, tfidf)) goto oom;
        *ids = parts[0].ids;
        *w = tfidf ? parts[0].w : NULL;
        if (!tfidf) free(parts[0].w);
        parts[0].ids = NULL;
        parts[0].w = NULL;
    } else {
        int64_t total = 0;
        for (int t = 0; t < nt; t++) total += parts[t].nnz;
        int32_t *oi = (int32_t *)malloc((size_t)(total > 0 ? total : 1) * sizeof *oi);
        float *ow = tfidf ? (float *)malloc((size_t)(total > 0 ? total : 1) * sizeof *ow) : NULL;
        if (!oi || (tfidf && !ow)) {
            free(oi);
            free(ow);
            goto oom;
        }
        int64_t base = 0;
        for (int t = 0; t < nt; t++) {
            int64_t lo = n * t / nt, hi = n * (t + 1) / nt;
            for (int64_t i = lo; i < hi; i++) off[i + 1] += base;
            if (parts[t].nnz) memcpy(oi + base, parts[t].ids, (size_t)parts[t].nnz * sizeof *oi);
            if (tfidf && parts[t].nnz) memcpy(ow + base, parts[t].w, (size_t)parts[t].nnz * sizeof *ow);
            base += parts[t].nnz;
        }
        *ids = oi;
        *w = ow;
    }
    *offsets = off;
    off = NULL;
    rc = 0;
    goto done;
oom:
    tml_fail(err, "out of memory while featurizing");
done:
    if (parts)
        for (int t = 0; t < nt; t++) {
            free(parts[t].ids);
            free(parts[t].w);
        }
    free(parts);
    free(off);
    return rc;
}

int tml_textfeat_transform(const TmlTextFeaturizer *f, const char *const *texts, int64_t n, int64_t **offsets,
                           int32_t **ids, float **w, TmlError *err) {
    int64_t bad;
    TmlError e = {{0}};
    if (tml_textfeat_transform_rows(f, texts, n, offsets, ids, w, &bad, &e) == 0) return 0;
    if (bad >= 0) return tml_fail(err, "text %lld: %s", (long long)bad, e.msg);
    return tml_fail(err, "%s", e.msg);
}

TmlTextFeaturizer *tml_textfeat_restore(const TmlTextConfig *c, char *const *words, const int64_t *counts,
                                        int64_t n_words, const float *idf, TmlError *err) {
    TmlTextFeaturizer *f = tml_textfeat_new(c);
    if (!f) {
        tml_fail(err, "out of memory");
        return NULL;
    }
    if (n_words < 0 || check_dim(f, n_words, err)) goto fail;
    for (int64_t i = 0; i < n_words; i++) {
        if (!words[i]) {
            tml_fail(err, "vocabulary word %lld is missing", (long long)i);
            goto fail;
        }
        size_t len;
        uint32_t h = hash_cstr(words[i], &len);
        if (strtab_find(&f->vocab, words[i], len, h) >= 0) {
            tml_fail(err, "vocabulary word %lld ('%s') appears twice; the features are corrupt", (long long)i,
                     words[i]);
            goto fail;
        }
        if (strtab_add(&f->vocab, words[i], len, h, counts ? counts[i] : 0) < 0) {
            tml_fail(err, "out of memory");
            goto fail;
        }
    }
    if (f->cfg.tfidf) {
        if (!idf) {
            tml_fail(err, "tfidf is on but no idf was stored; the features are incomplete");
            goto fail;
        }
        int64_t dim = tml_textfeat_dim(f);
        f->idf = (float *)malloc((size_t)(dim > 0 ? dim : 1) * sizeof *f->idf);
        if (!f->idf) {
            tml_fail(err, "out of memory");
            goto fail;
        }
        memcpy(f->idf, idf, (size_t)dim * sizeof *f->idf);
    }
    return f;
fail:
    tml_textfeat_free(f);
    return NULL;
}
