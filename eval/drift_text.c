/* drift_text.c — input drift of text models: tokens as the model's own featurizer normalizes them
 * (every text family shares it), counted per ticket into one hash table of words and adjacent word
 * pairs, in parallel: each thread tokenizes a slice of a block of tickets and sorts the keys into
 * partitions; then each partition's table is filled by one thread, so nothing is locked.
 *
 * Unseen tokens: the reference is split into its even and odd rows; a token is unseen when the
 * even rows never had it. The odd rows give the reference's own rate (what unseen data from the
 * same source shows: typos, ids, names) and the current rows the current rate, both against the
 * same vocabulary, so a reference that is the training file does not read as 0. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "eval/drift_internal.h"

#define BLOCK_ROWS 32768
#define N_PARTS 16
#define MIN_DOCS_ABS 5          /* a feature listed is in at least this many tickets ... */
#define MIN_DOCS_SHARE 0.0005   /* ... and this share of the smaller side */

enum { N_SCRIPTS = TML_SCRIPT_COUNT };
static const char *const SCRIPT_NAMES[N_SCRIPTS] = {"Latin only", "CJK only", "CJK and Latin", "no letters"};

/* One distinct word or word pair of one ticket. */
typedef struct Item {
    uint64_t key;
    int32_t row;     /* row in its side */
    uint16_t count;  /* occurrences in the ticket */
    uint8_t side;    /* 0 reference even row, 1 reference odd row, 2 current */
    uint8_t unigram;
} Item;

typedef struct ItemBuf {
    Item *v;
    size_t n, cap;
} ItemBuf;

typedef struct Entry {
    uint64_t key;      /* 0: empty slot */
    uint32_t occ[3];   /* occurrences: reference even rows, reference odd rows, current */
    uint32_t df[2];    /* tickets containing it: reference, current */
    int32_t first[2];  /* lowest row containing it: reference, current (-1 none) */
    uint8_t unigram;
} Entry;

typedef struct Table {
    Entry *e;
    size_t cap, n;
} Table;

/* Per-thread state: tokenizer scratch, key scratch, one item buffer per partition, tallies. */
typedef struct Worker {
    TmlTokBuf tb;
    uint64_t *keys;
    size_t keys_cap;
    ItemBuf part[N_PARTS];
    int64_t model_oov[2], tokens[2], scripts[2][N_SCRIPTS], cjk[2];
    int failed;
} Worker;

static uint64_t fmix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

static uint64_t fnv64(const char *s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) h = (h ^ *p) * 0x100000001b3ULL;
    return h;
}

static uint64_t key_unigram(uint64_t h) {
    uint64_t k = fmix(h ^ 0x5bd1e9955bd1e995ULL);
    return k ? k : 1;
}

static uint64_t key_pair(uint64_t h1, uint64_t h2) {
    uint64_t k = fmix(h1 * 0x9E3779B97F4A7C15ULL + h2 + 0x632BE59BD9B4E019ULL);
    return k ? k : 2;
}

/* Pairs are formed between adjacent tokens of space-separated scripts only: CJK text already
 * carries character bigrams among its tokens. */
static int pairable(const char *tok) { return (unsigned char)tok[0] < 0x80; }

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int push_item(ItemBuf *b, Item it) {
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        Item *v = realloc(b->v, cap * sizeof *v);
        if (!v) return -1;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = it;
    return 0;
}

/* Tokenizes one ticket of side (0/1 reference halves, 2 current) into the worker's partitions.
 * Unigram keys get the low bit 0 after sorting rank so that counts of a key stay together. */
static int ticket_items(Worker *w, const TmlTextFeaturizer *tf, const char *text, int side, int32_t row,
                        int32_t *n_tokens) {
    TmlError e;
    const char *t = text ? text : "";
    if (tml_textfeat_tokbuf_run(&w->tb, tml_textfeat_config(tf), t, strlen(t), &e) < 0) {
        /* the featurizer already accepted this text; a failure here is out of memory */
        return -1;
    }
    int n = w->tb.n, s2 = side == 2;
    *n_tokens = n;
    size_t need = (size_t)(2 * n + 1);
    if (need > w->keys_cap) {
        uint64_t *k = realloc(w->keys, need * 2 * sizeof *k);
        if (!k) return -1;
        w->keys = k;
        w->keys_cap = need * 2;
    }
    /* unigram keys have the top bit clear, pair keys set, so one sort keeps them apart */
    int m = 0;
    uint64_t prev = 0;
    int prev_ok = 0;
    for (int i = 0; i < n; i++) {
        const char *tok = w->tb.tok[i];
        uint64_t h = fnv64(tok);
        w->keys[m++] = key_unigram(h) & ~(1ULL << 63);
        if (tml_textfeat_word_id(tf, tok) < 0) w->model_oov[s2]++;
        int ok = pairable(tok);
        if (ok && prev_ok) w->keys[m++] = key_pair(prev, h) | (1ULL << 63);
        prev = h;
        prev_ok = ok;
    }
    w->tokens[s2] += n;
    int cjk;
    w->scripts[s2][tml_textfeat_script(t, &cjk)]++;
    w->cjk[s2] += cjk;
    qsort(w->keys, (size_t)m, sizeof *w->keys, cmp_u64);
    for (int i = 0; i < m;) {
        int j = i;
        while (j < m && w->keys[j] == w->keys[i]) j++;
        Item it = {w->keys[i], row, (uint16_t)(j - i > 65535 ? 65535 : j - i), (uint8_t)side,
                   (uint8_t)!(w->keys[i] >> 63)};
        if (push_item(&w->part[w->keys[i] % N_PARTS], it)) return -1;
        i = j;
    }
    return 0;
}

static int table_grow(Table *t) {
    size_t cap = t->cap ? t->cap * 2 : 1 << 14;
    Entry *e = calloc(cap, sizeof *e);
    if (!e) return -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->e[i].key) continue;
        size_t h = (size_t)(fmix(t->e[i].key) & (cap - 1));
        while (e[h].key) h = (h + 1) & (cap - 1);
        e[h] = t->e[i];
    }
    free(t->e);
    t->e = e;
    t->cap = cap;
    return 0;
}

static Entry *table_get(Table *t, uint64_t key, int unigram) {
    if (2 * (t->n + 1) > t->cap && table_grow(t)) return NULL;
    size_t h = (size_t)(fmix(key) & (t->cap - 1));
    while (t->e[h].key && t->e[h].key != key) h = (h + 1) & (t->cap - 1);
    Entry *e = &t->e[h];
    if (!e->key) {
        e->key = key;
        e->first[0] = e->first[1] = -1;
        e->unigram = (uint8_t)unigram;
        t->n++;
    }
    return e;
}

/* Adds the items of every worker's partition p to table p; unseen counts of current and odd
 * reference rows go to their rows (several partitions add to one row: atomics). */
static int fill_partition(Table *t, Worker *ws, int nw, int p, int32_t *unseen_ref, int32_t *unseen_cur) {
    for (int k = 0; k < nw; k++) {
        ItemBuf *b = &ws[k].part[p];
        for (size_t i = 0; i < b->n; i++) {
            const Item *it = &b->v[i];
            Entry *e = table_get(t, it->key, it->unigram);
            if (!e) return -1;
            int s2 = it->side == 2;
            e->occ[it->side] += it->count;
            e->df[s2]++;
            if (e->first[s2] < 0 || it->row < e->first[s2]) e->first[s2] = it->row;
            if (it->unigram && it->side > 0 && e->occ[0] == 0)
                __atomic_fetch_add(it->side == 2 ? &unseen_cur[it->row] : &unseen_ref[it->row], it->count,
                                   __ATOMIC_RELAXED);
        }
        b->n = 0;
    }
    return 0;
}

/* The rows of one phase: phase 0 = the reference's even rows (the vocabulary), phase 1 = its odd
 * rows, then every current row. Index i of the phase -> side and row. */
static void phase_row(int phase, int64_t i, int64_t n_ref, int *side, int64_t *row) {
    if (phase == 0) {
        *side = 0;
        *row = 2 * i;
        return;
    }
    int64_t n_odd = n_ref / 2;
    if (i < n_odd) {
        *side = 1;
        *row = 2 * i + 1;
    } else {
        *side = 2;
        *row = i - n_odd;
    }
}

static int run_phases(const TmlTextFeaturizer *tf, TmlDriftRows *ref, TmlDriftRows *cur, Worker *ws, int nw,
                      Table *tables) {
    int64_t nr = ref->ds->n_rows, nc = cur->ds->n_rows;
    for (int phase = 0; phase < 2; phase++) {
        int64_t total = phase == 0 ? (nr + 1) / 2 : nr / 2 + nc;
        for (int64_t b0 = 0; b0 < total; b0 += BLOCK_ROWS) {
            int64_t b1 = b0 + BLOCK_ROWS < total ? b0 + BLOCK_ROWS : total;
            int failed = 0;
#pragma omp parallel num_threads(nw) reduction(| : failed)
            {
                Worker *w = &ws[omp_get_thread_num()];
#pragma omp for schedule(static)
                for (int64_t i = b0; i < b1; i++) {
                    int side;
                    int64_t row;
                    phase_row(phase, i, nr, &side, &row);
                    TmlDriftRows *s = side == 2 ? cur : ref;
                    if (!w->failed && ticket_items(w, tf, s->ds->texts[row], side, (int32_t)row, &s->n_tokens[row]))
                        w->failed = 1;
                }
#pragma omp for schedule(dynamic, 1)
                for (int p = 0; p < N_PARTS; p++)
                    if (fill_partition(&tables[p], ws, nw, p, ref->n_unseen, cur->n_unseen)) failed = 1;
                failed |= w->failed;
            }
            if (failed) return -1;
        }
    }
    return 0;
}

typedef struct Top {
    const Entry *e;
    double score, rs, cs;
} Top;

/* The k entries with the largest PSI term of their smoothed ticket shares, largest first. */
static int top_entries(Table *tables, int64_t nr, int64_t nc, int k, Top *top) {
    int n = 0;
    int64_t lo = nr < nc ? nr : nc;
    double min_docs = fmax(MIN_DOCS_ABS, MIN_DOCS_SHARE * (double)lo);
    for (int p = 0; p < N_PARTS; p++)
        for (size_t i = 0; i < tables[p].cap; i++) {
            const Entry *e = &tables[p].e[i];
            if (!e->key || (double)(e->df[0] + e->df[1]) < min_docs) continue;
            double rs = (e->df[0] + 0.5) / ((double)nr + 1), cs = (e->df[1] + 0.5) / ((double)nc + 1);
            double sc = (cs - rs) * log(cs / rs);
            if (n == k && sc <= top[n - 1].score) continue;
            int j = n < k ? n++ : k - 1;
            while (j > 0 && (top[j - 1].score < sc || (top[j - 1].score == sc && top[j - 1].e->key > e->key))) {
                top[j] = top[j - 1];
                j--;
            }
            top[j] = (Top){e, sc, rs, cs};
        }
    return n;
}

/* The text of entry e found again in the ticket text (tokenized the same way); NULL when out of
 * memory. */
static char *feature_text(const TmlTextFeaturizer *tf, const Entry *e, const char *text) {
    TmlTokBuf tb;
    tml_textfeat_tokbuf_init(&tb);
    TmlError err;
    char *out = NULL;
    const char *t = text ? text : "";
    if (tml_textfeat_tokbuf_run(&tb, tml_textfeat_config(tf), t, strlen(t), &err) == 0) {
        uint64_t prev = 0;
        int prev_ok = 0;
        for (int i = 0; i < tb.n && !out; i++) {
            uint64_t h = fnv64(tb.tok[i]);
            int ok = pairable(tb.tok[i]);
            if (e->unigram && (key_unigram(h) & ~(1ULL << 63)) == e->key) out = strdup(tb.tok[i]);
            else if (!e->unigram && ok && prev_ok && (key_pair(prev, h) | (1ULL << 63)) == e->key) {
                size_t n = strlen(tb.tok[i - 1]) + strlen(tb.tok[i]) + 2;
                if ((out = malloc(n))) snprintf(out, n, "%s %s", tb.tok[i - 1], tb.tok[i]);
            }
            prev = h;
            prev_ok = ok;
        }
    }
    tml_textfeat_tokbuf_free(&tb);
    return out ? out : strdup("?");
}

/* 1 when e says nothing beyond a kept feature: the same first ticket on the side where it grew and
 * nearly the same number of tickets (words of one new sentence move together; one is enough). */
static int redundant(const Top *e, const Top *kept, int n_kept) {
    int side = e->cs > e->rs;
    for (int i = 0; i < n_kept; i++) {
        const Top *k = &kept[i];
        if ((k->cs > k->rs) != side || k->e->first[side] != e->e->first[side]) continue;
        double a = e->e->df[side], b = k->e->df[side];
        if (fabs(a - b) <= 0.02 * fmax(a, b)) return 1;
    }
    return 0;
}

static int features_from(const TmlTextFeaturizer *tf, Table *tables, const TmlDriftRows *ref,
                         const TmlDriftRows *cur, int k, TmlDriftResult *r) {
    int64_t nr = ref->ds->n_rows, nc = cur->ds->n_rows;
    int cand = k * 20 < 4000 ? k * 20 : 4000;
    Top *top = calloc((size_t)(cand > 0 ? cand : 1), sizeof *top), *kept = calloc((size_t)(k > 0 ? k : 1), sizeof *kept);
    r->features = calloc((size_t)(k > 0 ? k : 1), sizeof *r->features);
    if (!top || !kept || !r->features) {
        free(top);
        free(kept);
        return -1;
    }
    int n = top_entries(tables, nr, nc, cand, top), n_kept = 0;
    for (int i = 0; i < n && n_kept < k; i++)
        if (!redundant(&top[i], kept, n_kept)) kept[n_kept++] = top[i];
    int rc = 0;
    for (int i = 0; i < n_kept && !rc; i++) {
        const Entry *e = kept[i].e;
        TmlDriftFeature *f = &r->features[r->n_features++];
        f->bigram = !e->unigram;
        f->ref_docs = e->df[0];
        f->cur_docs = e->df[1];
        f->ref_share = nr ? (double)e->df[0] / (double)nr : 0;
        f->cur_share = nc ? (double)e->df[1] / (double)nc : 0;
        f->score = kept[i].score;
        f->unseen = e->df[0] == 0;
        f->example_side = (kept[i].cs > kept[i].rs && e->first[1] >= 0) || e->first[0] < 0;
        f->example_row = e->first[f->example_side];
        const TmlDriftRows *s = f->example_side ? cur : ref;
        const char *text = s->ds->texts[f->example_row];
        f->text = feature_text(tf, e, text);
        f->example = strdup(text ? text : "");
        if (!f->text || !f->example) rc = -1;
    }
    free(top);
    free(kept);
    return rc;
}

int tml_drift_text_input(const TmlDriftRequest *rq, const TmlFeatures *f, TmlDriftRows *ref, TmlDriftRows *cur,
                         TmlDriftResult *r, TmlError *err) {
    int64_t nr = ref->ds->n_rows, nc = cur->ds->n_rows;
    const TmlTextFeaturizer *tf = f->text;
    int nw = omp_get_max_threads();
    if (nw < 1) nw = 1;
    Worker *ws = calloc((size_t)nw, sizeof *ws);
    Table *tables = calloc(N_PARTS, sizeof *tables);
    ref->n_tokens = calloc((size_t)(nr > 0 ? nr : 1), sizeof *ref->n_tokens);
    ref->n_unseen = calloc((size_t)(nr > 0 ? nr : 1), sizeof *ref->n_unseen);
    cur->n_tokens = calloc((size_t)(nc > 0 ? nc : 1), sizeof *cur->n_tokens);
    cur->n_unseen = calloc((size_t)(nc > 0 ? nc : 1), sizeof *cur->n_unseen);
    float *len_r = malloc(sizeof *len_r * (size_t)(nr > 0 ? nr : 1));
    float *len_c = malloc(sizeof *len_c * (size_t)(nc > 0 ? nc : 1));
    int rc = -1;
    if (!ws || !tables || !ref->n_tokens || !ref->n_unseen || !cur->n_tokens || !cur->n_unseen || !len_r || !len_c)
        goto done;
    for (int i = 0; i < nw; i++) tml_textfeat_tokbuf_init(&ws[i].tb);
    if (run_phases(tf, ref, cur, ws, nw, tables)) goto done;
    for (int64_t i = 0; i < nr; i += 2) ref->n_unseen[i] = -1; /* the vocabulary's own rows */

    /* unseen-token shares: held-out reference rows and current rows against the even rows */
    int64_t unseen[3] = {0}, occ[3] = {0};
    for (int p = 0; p < N_PARTS; p++)
        for (size_t i = 0; i < tables[p].cap; i++) {
            const Entry *e = &tables[p].e[i];
            if (!e->key || !e->unigram) continue;
            for (int s = 0; s < 3; s++) {
                occ[s] += e->occ[s];
                if (e->occ[0] == 0) unseen[s] += e->occ[s];
            }
        }
    r->ref_tokens = occ[1];
    r->cur_tokens = occ[2];
    r->ref.oov_share = occ[1] ? (double)unseen[1] / (double)occ[1] : NAN;
    r->cur.oov_share = occ[2] ? (double)unseen[2] / (double)occ[2] : NAN;
    int64_t moov[2] = {0}, tok[2] = {0}, scr[2][N_SCRIPTS] = {{0}}, cjk[2] = {0};
    for (int i = 0; i < nw; i++)
        for (int s = 0; s < 2; s++) {
            moov[s] += ws[i].model_oov[s];
            tok[s] += ws[i].tokens[s];
            cjk[s] += ws[i].cjk[s];
            for (int k = 0; k < N_SCRIPTS; k++) scr[s][k] += ws[i].scripts[s][k];
        }
    r->ref.model_oov_share = tok[0] ? (double)moov[0] / (double)tok[0] : NAN;
    r->cur.model_oov_share = tok[1] ? (double)moov[1] / (double)tok[1] : NAN;
    r->n_scripts = N_SCRIPTS;
    r->script_names = SCRIPT_NAMES;
    for (int k = 0; k < N_SCRIPTS; k++) {
        r->script_ref[k] = nr ? (double)scr[0][k] / (double)nr : 0;
        r->script_cur[k] = nc ? (double)scr[1][k] / (double)nc : 0;
    }
    r->script_psi = tml_drift_psi(r->script_ref, r->script_cur, N_SCRIPTS);
    r->script_js = tml_drift_js(r->script_ref, r->script_cur, N_SCRIPTS);
    r->script_p = tml_drift_chi2_p(r->script_ref, nr, r->script_cur, nc, N_SCRIPTS);
    r->ref_cjk_share = nr ? (double)cjk[0] / (double)nr : NAN;
    r->cur_cjk_share = nc ? (double)cjk[1] / (double)nc : NAN;

    for (int64_t i = 0; i < nr; i++) len_r[i] = (float)ref->n_tokens[i];
    for (int64_t i = 0; i < nc; i++) len_c[i] = (float)cur->n_tokens[i];
    if (tml_drift_numeric(len_r, nr, len_c, nc, &r->length)) goto done;
    if (features_from(tf, tables, ref, cur, rq->top_features, r)) goto done;
    rc = 0;
done:
    if (rc) tml_fail(err, "drift: out of memory counting the words of %lld + %lld tickets", (long long)nr, (long long)nc);
    if (ws)
        for (int i = 0; i < nw; i++) {
            tml_textfeat_tokbuf_free(&ws[i].tb);
            free(ws[i].keys);
            for (int p = 0; p < N_PARTS; p++) free(ws[i].part[p].v);
        }
    if (tables)
        for (int p = 0; p < N_PARTS; p++) free(tables[p].e);
    free(ws);
    free(tables);
    free(len_r);
    free(len_c);
    return rc;
}
