/* export_digest.c — the export checksum: SHA-256 over a canonical stream of (key, value) records,
 * one per stored field, sorted by key, so the HDF5 and the safetensors + JSON forms of one export
 * have the same checksum and any language can recompute it (docs/export-format.md, "Checksum").
 * Record: u32 LE key length, key bytes, u64 LE value length, value bytes. Values: integers as
 * int64 LE, reals as float64 LE, strings as their UTF-8 bytes, string lists as (u64 LE length,
 * bytes) per string, integer / real lists as consecutive int64 / float64 LE, float32 and int32
 * arrays as u64 LE ndim, u64 LE dims, then the 4-byte LE data. (This file assumes a little-endian
 * host.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/export_model.h"
#include "serve/sha256.h"

typedef enum { R_INT, R_REAL, R_STR, R_STRS, R_INTS, R_REALS, R_F32, R_BYTES } RecKind;

typedef struct Rec {
    const char *key;
    RecKind kind;
    int64_t i;
    const char *s;
    char *const *strs;
    const int64_t *ints;
    const double *reals;
    int64_t n;
    const TmlExportTensor *t;
    double x;
    const unsigned char *bytes;
} Rec;

typedef struct Recs {
    Rec r[96];
    int n;
} Recs;

static Rec *add(Recs *rs, const char *key, RecKind kind) {
    TML_ASSERT(rs->n < (int)(sizeof rs->r / sizeof rs->r[0]));
    Rec *r = &rs->r[rs->n++];
    memset(r, 0, sizeof *r);
    r->key = key;
    r->kind = kind;
    return r;
}
static void add_i(Recs *rs, const char *key, int64_t v) { add(rs, key, R_INT)->i = v; }
static void add_s(Recs *rs, const char *key, const char *s) { add(rs, key, R_STR)->s = s ? s : ""; }
static void add_strs(Recs *rs, const char *key, char *const *s, int64_t n) {
    Rec *r = add(rs, key, R_STRS);
    r->strs = s;
    r->n = n;
}
static void add_real(Recs *rs, const char *key, double v) { add(rs, key, R_REAL)->x = v; }
static void add_bytes(Recs *rs, const char *key, const unsigned char *b, int64_t n) {
    Rec *r = add(rs, key, R_BYTES);
    r->bytes = b;
    r->n = n;
}
static void add_ints(Recs *rs, const char *key, const int64_t *v, int64_t n) {
    Rec *r = add(rs, key, R_INTS);
    r->ints = v;
    r->n = n;
}
static void add_reals(Recs *rs, const char *key, const double *v, int64_t n) {
    Rec *r = add(rs, key, R_REALS);
    r->reals = v;
    r->n = n;
}

static int cmp_rec(const void *a, const void *b) { return strcmp(((const Rec *)a)->key, ((const Rec *)b)->key); }

static void put_u64(TmlSha256 *h, uint64_t v) { tml_sha256_update(h, &v, 8); }

static uint64_t value_len(const Rec *r) {
    switch (r->kind) {
    case R_INT:
    case R_REAL: return 8;
    case R_STR: return strlen(r->s);
    case R_BYTES: return (uint64_t)r->n;
    case R_STRS: {
        uint64_t n = 0;
        for (int64_t k = 0; k < r->n; k++) n += 8 + (r->strs[k] ? strlen(r->strs[k]) : 0);
        return n;
    }
    case R_INTS:
    case R_REALS: return 8 * (uint64_t)r->n;
    case R_F32: {
        int nd = r->t->cols > 0 ? 2 : 1;
        uint64_t n = (uint64_t)r->t->rows * (uint64_t)(r->t->cols > 0 ? r->t->cols : 1);
        return 8 + 8 * (uint64_t)nd + 4 * n;
    }
    }
    return 0;
}

static void hash_rec(TmlSha256 *h, const Rec *r) {
    uint32_t kl = (uint32_t)strlen(r->key);
    tml_sha256_update(h, &kl, 4);
    tml_sha256_update(h, r->key, kl);
    put_u64(h, value_len(r));
    switch (r->kind) {
    case R_INT: tml_sha256_update(h, &r->i, 8); break;
    case R_REAL: tml_sha256_update(h, &r->x, 8); break; /* encoder/ln_eps (version 2) */
    case R_BYTES:
        if (r->n) tml_sha256_update(h, r->bytes, (size_t)r->n);
        break;
    case R_STR: tml_sha256_update(h, r->s, strlen(r->s)); break;
    case R_STRS:
        for (int64_t k = 0; k < r->n; k++) {
            const char *s = r->strs[k] ? r->strs[k] : "";
            put_u64(h, strlen(s));
            tml_sha256_update(h, s, strlen(s));
        }
        break;
    case R_INTS:
        if (r->n) tml_sha256_update(h, r->ints, 8 * (size_t)r->n);
        break;
    case R_REALS:
        if (r->n) tml_sha256_update(h, r->reals, 8 * (size_t)r->n);
        break;
    case R_F32: {
        const TmlExportTensor *t = r->t;
        put_u64(h, t->cols > 0 ? 2 : 1);
        put_u64(h, (uint64_t)t->rows);
        if (t->cols > 0) put_u64(h, (uint64_t)t->cols);
        size_t n = (size_t)t->rows * (size_t)(t->cols > 0 ? t->cols : 1);
        if (n) tml_sha256_update(h, t->ints ? (const void *)t->ints : (const void *)t->data, 4 * n);
        break;
    }
    }
}

int tml_export_digest(const TmlExport *e, char out[80], TmlError *err) {
    Recs *rs = calloc(1, sizeof *rs);
    if (!rs) return tml_fail(err, "out of memory computing the export checksum");
    add_s(rs, "format", TML_EXPORT_FORMAT);
    add_i(rs, "format_version", e->format_version);
    add_s(rs, "task", e->task);
    add_s(rs, "kind", e->kind);
    add_s(rs, "model/arch", e->arch);
    add_s(rs, "model/loss", e->loss);
    add_s(rs, "model/bag", e->bag);
    add_i(rs, "model/in_dim", e->in_dim);
    add_i(rs, "model/dim", e->dim);
    add_i(rs, "model/hidden", e->hidden);
    add_i(rs, "model/n_out", e->n_out);
    add_strs(rs, "labels/names", e->labels, e->n_labels);
    add_i(rs, "labels/positive", e->positive);
    add_s(rs, "data/text_columns", e->text_columns);
    add_s(rs, "data/label_column", e->label_column);
    add_s(rs, "data/id_column", e->id_column);
    int64_t *control = NULL;
    if (e->arch && !strcmp(e->arch, "encoder")) {
        const TmlTokSpec *t = &e->tok;
        add_i(rs, "encoder/layers", e->enc_layers);
        add_i(rs, "encoder/heads", e->enc_heads);
        add_i(rs, "encoder/max_len", e->enc_max_len);
        add_i(rs, "encoder/max_positions", e->enc_max_positions);
        add_i(rs, "encoder/pos_offset", e->enc_pos_offset);
        add_i(rs, "encoder/type_vocab", e->enc_type_vocab);
        add_real(rs, "encoder/ln_eps", e->enc_ln_eps);
        add_s(rs, "tokenizer/kind", tml_tokkind_name(t->kind));
        add_strs(rs, "tokenizer/pieces", t->pieces, t->n_pieces);
        add_i(rs, "tokenizer/unk", t->unk);
        add_i(rs, "tokenizer/first", t->first);
        add_i(rs, "tokenizer/last", t->last);
        add_i(rs, "tokenizer/pad", t->pad);
        add_i(rs, "tokenizer/clean_text", t->clean_text);
        add_i(rs, "tokenizer/chinese_chars", t->chinese_chars);
        add_i(rs, "tokenizer/strip_accents", t->strip_accents);
        add_i(rs, "tokenizer/lowercase", t->lowercase);
        add_i(rs, "tokenizer/max_word_chars", t->max_word_chars);
        add_i(rs, "tokenizer/collapse_spaces", t->collapse_spaces);
        add_s(rs, "tokenizer/prefix", t->prefix);
        if (t->scores) add_reals(rs, "tokenizer/scores", t->scores, t->n_pieces);
        if (t->n_control > 0) {
            if (!(control = malloc(sizeof(int64_t) * (size_t)t->n_control))) {
                free(rs);
                return tml_fail(err, "out of memory computing the export checksum");
            }
            for (int32_t k = 0; k < t->n_control; k++) control[k] = t->control[k];
            add_ints(rs, "tokenizer/control", control, t->n_control);
        }
        if (t->charsmap_len) add_bytes(rs, "tokenizer/charsmap", t->charsmap, (int64_t)t->charsmap_len);
    } else if (e->kind && !strcmp(e->kind, "text")) {
        const TmlTextConfig *c = &e->text;
        add_i(rs, "text/normalize", c->normalize);
        add_i(rs, "text/placeholders", c->placeholders);
        add_i(rs, "text/cjk_bigrams", c->cjk_bigrams);
        add_i(rs, "text/word_ngrams", c->word_ngrams);
        add_i(rs, "text/minn", c->minn);
        add_i(rs, "text/maxn", c->maxn);
        add_i(rs, "text/buckets", c->buckets);
        add_i(rs, "text/min_count", c->min_count);
        add_i(rs, "text/tfidf", c->tfidf);
        add_i(rs, "text/invalid_utf8", c->invalid_utf8);
        add_s(rs, "text/hash", TML_EXPORT_HASH);
        add_i(rs, "text/n_words", e->n_words);
        add_strs(rs, "text/vocab", e->vocab, e->n_words);
    } else {
        add_i(rs, "tabular/dim", e->tab_dim);
        add_strs(rs, "tabular/columns/name", e->col_name, e->n_cols);
        add_strs(rs, "tabular/columns/type", e->col_type, e->n_cols);
        add_strs(rs, "tabular/columns/impute", e->col_impute, e->n_cols);
        add_reals(rs, "tabular/columns/fill", e->col_fill, e->n_cols);
        add_reals(rs, "tabular/columns/mean", e->col_mean, e->n_cols);
        add_reals(rs, "tabular/columns/std", e->col_std, e->n_cols);
        add_ints(rs, "tabular/columns/offset", e->col_offset, e->n_cols);
        add_ints(rs, "tabular/columns/n_cats", e->col_n_cats, e->n_cols);
        add_strs(rs, "tabular/categories", e->categories, e->n_categories);
        add_strs(rs, "tabular/feature_names", e->feature_names, e->tab_dim);
        add_i(rs, "tabular/history/enabled", e->history_enabled);
        /* recorded only when set: older exports keep their checksums */
        if (e->tab_keep_missing) add_i(rs, "tabular/keep_missing", e->tab_keep_missing);
        if (e->tab_derive && e->tab_derive[0]) add_s(rs, "tabular/derive", e->tab_derive);
        if (e->history_enabled) {
            add_s(rs, "tabular/history/customer_column", e->hist_customer);
            add_s(rs, "tabular/history/time_column", e->hist_time);
            add_s(rs, "tabular/history/sentiment_column", e->hist_sentiment);
            add_s(rs, "tabular/history/intent_column", e->hist_intent);
            add_s(rs, "tabular/history/response_column", e->hist_response);
            add_s(rs, "tabular/history/cutoff", e->hist_cutoff);
            add_strs(rs, "tabular/history/features", e->history_features, e->history_dim);
        }
    }
    for (int k = 0; k < e->n_tensors; k++) add(rs, e->tensors[k].key, R_F32)->t = &e->tensors[k];
    qsort(rs->r, (size_t)rs->n, sizeof rs->r[0], cmp_rec);
    TmlSha256 h;
    tml_sha256_init(&h);
    for (int k = 0; k < rs->n; k++) hash_rec(&h, &rs->r[k]);
    unsigned char d[32];
    tml_sha256_final(&h, d);
    char hex[65];
    tml_sha256_hex(d, hex);
    snprintf(out, 80, "sha256:%s", hex);
    free(control);
    free(rs);
    return 0;
}
