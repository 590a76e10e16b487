/* unigram_load.c — builds a TmlUnigram from a Hugging Face tokenizer.json (model Unigram, normalizer
 * Precompiled [+ Replace " {2,}" -> " "], pre-tokenizer Metaspace "always"/split), or from tables. The
 * prefix map lets Viterbi stop extending a candidate as soon as no piece starts with it. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/unigram.h"
#include "data/utf8.h"

void tml_unigram_free(TmlUnigram *u) {
    if (!u) return;
    tml_strmap_free(&u->prefixes);
    free(u->score);
    free(u->charsmap);
    free(u);
}

/* Takes a copy of a precompiled_charsmap: u32 trie bytes, trie units, replacement strings. */
static int set_charsmap(TmlUnigram *u, const unsigned char *b, size_t n, const char *where, TmlError *err) {
    if (!b || n == 0) return 0;
    uint32_t tsize;
    if (n < 4) return tml_fail(err, "%s: precompiled_charsmap is truncated", where);
    memcpy(&tsize, b, 4);
    if (tsize % 4 || tsize < 4 || (size_t)tsize > n - 4) return tml_fail(err, "%s: precompiled_charsmap is malformed", where);
    u->charsmap = malloc(n);
    if (!u->charsmap) return tml_fail(err, "%s: out of memory", where);
    memcpy(u->charsmap, b, n);
    u->trie = (const uint32_t *)(u->charsmap + 4); /* malloc alignment keeps this aligned */
    u->trie_units = tsize / 4;
    u->repl = (const char *)u->charsmap + 4 + tsize;
    u->repl_len = n - 4 - tsize;
    return 0;
}

/* The pieces and their prefixes into the prefix map. control[i] nonzero: never matched in text. */
static int build(TmlUnigram *u, const char *const *pieces, const size_t *lens, const double *scores, int n,
                 const unsigned char *control, const char *where, TmlError *err) {
    size_t chars = 0;
    for (int i = 0; i < n; i++) chars += lens[i];
    if (tml_strmap_init(&u->prefixes, chars / 2 + (size_t)n) != 0 || !(u->score = malloc((size_t)n * sizeof(double))))
        return tml_fail(err, "%s: out of memory", where);
    double lo = 0;
    for (int i = 0; i < n; i++) {
        u->score[i] = scores[i];
        if (i == 0 || scores[i] < lo) lo = scores[i];
        if (control[i] || lens[i] == 0) continue;
        int nch = 0;
        for (size_t b = 0; b < lens[i];) {
            b += (size_t)tml_utf8_len((unsigned char)pieces[i][b]);
            if (b > lens[i]) b = lens[i];
            nch++;
            long x = tml_strmap_put(&u->prefixes, pieces[i], b, -1);
            if (x < 0) return tml_fail(err, "%s: out of memory", where);
            if (b == lens[i]) u->prefixes.ent[x].value = i; /* a later duplicate wins, as in `tokenizers` */
        }
        if (nch > u->max_piece_chars) u->max_piece_chars = nch;
    }
    u->vocab_size = n;
    u->unk_score = lo - 10.0;
    return 0;
}

TmlUnigram *tml_unigram_from_pieces(const char *const *pieces, const double *scores, int n, int32_t unk, int32_t bos,
                                    int32_t eos, int32_t pad, const unsigned char *charsmap, size_t charsmap_len,
                                    TmlError *err) {
    TmlUnigram *u = calloc(1, sizeof *u);
    size_t *lens = calloc((size_t)n + 1, sizeof *lens);
    unsigned char *control = calloc((size_t)n + 1, 1);
    if (!u || !lens || !control) {
        tml_fail(err, "unigram: out of memory");
        goto fail;
    }
    for (int i = 0; i < n; i++) lens[i] = strlen(pieces[i]);
    int32_t sp[4] = {unk, bos, eos, pad};
    for (int k = 0; k < 4; k++)
        if (sp[k] >= 0 && sp[k] < n) control[sp[k]] = 1;
    if (unk < 0 || unk >= n) {
        tml_fail(err, "unigram: unk id %d is not a piece", unk);
        goto fail;
    }
    u->unk = unk, u->bos = bos, u->eos = eos, u->pad = pad;
    u->collapse_spaces = 1;
    if (set_charsmap(u, charsmap, charsmap_len, "unigram", err) || build(u, pieces, lens, scores, n, control, "unigram", err))
        goto fail;
    free(lens);
    free(control);
    return u;
fail:
    free(lens);
    free(control);
    tml_unigram_free(u);
    return NULL;
}

/* Decodes standard base64 (padding optional). Returns the byte count, -1 on a bad character. */
static long b64decode(const char *s, unsigned char *out) {
    long n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (; *s && *s != '='; s++) {
        int v = *s >= 'A' && *s <= 'Z' ? *s - 'A' : *s >= 'a' && *s <= 'z' ? *s - 'a' + 26
              : *s >= '0' && *s <= '9' ? *s - '0' + 52 : *s == '+' ? 62 : *s == '/' ? 63 : -1;
        if (v < 0) return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    return n;
}

/* Reads the normalizer into spec: Precompiled (the decoded character map), optionally followed by
 * Replace(" {2,}", " "), or null. */
static int read_normalizer(TmlTokSpec *spec, json_t *norm, const char *path, TmlError *err) {
    json_t *parts = norm;
    size_t n = 1;
    if (json_is_null(norm) || !norm) return 0;
    const char *type = json_string_value(json_object_get(norm, "type"));
    if (type && strcmp(type, "Sequence") == 0) {
        parts = json_object_get(norm, "normalizers");
        n = json_array_size(parts);
    }
    for (size_t i = 0; i < n; i++) {
        json_t *p = parts == norm ? norm : json_array_get(parts, i);
        const char *t = json_string_value(json_object_get(p, "type"));
        if (t && strcmp(t, "Precompiled") == 0) {
            const char *b64 = json_string_value(json_object_get(p, "precompiled_charsmap"));
            if (!b64) continue;
            unsigned char *blob = malloc(strlen(b64) / 4 * 3 + 4);
            if (!blob) return tml_fail(err, "%s: out of memory", path);
            long bn = b64decode(b64, blob);
            if (bn < 0) {
                free(blob);
                return tml_fail(err, "%s: precompiled_charsmap is not base64", path);
            }
            free(spec->charsmap);
            spec->charsmap = blob;
            spec->charsmap_len = (size_t)bn;
        } else if (t && strcmp(t, "Replace") == 0) {
            const char *re = json_string_value(json_object_get(json_object_get(p, "pattern"), "Regex"));
            const char *to = json_string_value(json_object_get(p, "content"));
            if (!re || !to || strcmp(re, " {2,}") != 0 || strcmp(to, " ") != 0)
                return tml_fail(err, "%s: normalizer Replace other than \" {2,}\" -> \" \" is not supported", path);
            spec->collapse_spaces = 1;
        } else {
            return tml_fail(err, "%s: normalizer %s is not supported (Precompiled and Replace are)", path, t ? t : "?");
        }
    }
    return 0;
}

/* Checks the pre-tokenizer is the Metaspace this tokenizer implements. */
static int check_pretok(json_t *pt, const char *path, TmlError *err) {
    const char *t = json_string_value(json_object_get(pt, "type"));
    const char *rep = json_string_value(json_object_get(pt, "replacement"));
    const char *scheme = json_string_value(json_object_get(pt, "prepend_scheme"));
    json_t *add = json_object_get(pt, "add_prefix_space"), *split = json_object_get(pt, "split");
    int prepend = scheme ? strcmp(scheme, "always") == 0 : json_is_true(add);
    if (!t || strcmp(t, "Metaspace") != 0 || !rep || strcmp(rep, "\xE2\x96\x81") != 0 || !prepend ||
        (split && !json_is_true(split)))
        return tml_fail(err, "%s: pre_tokenizer must be Metaspace (U+2581, prepend always, split)", path);
    return 0;
}

int tml_unigram_read_spec(const char *model_dir, TmlTokSpec *spec, TmlError *err) {
    char path[4096];
    struct stat st;
    memset(spec, 0, sizeof *spec);
    spec->kind = TML_TOK_UNIGRAM;
    if (stat(model_dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return tml_fail(err, "%s: no such model folder; %s", model_dir, tml_models_missing_hint(model_dir));
    snprintf(path, sizeof path, "%s/tokenizer.json", model_dir);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        if (access(path, F_OK) != 0)
            return tml_fail(err, "%s: cannot open (%s); %s", path, strerror(errno), tml_models_missing_hint(model_dir));
        return tml_fail(err, "%s:%d: not valid JSON (%s)", path, je.line, je.text);
    }
    unsigned char *control = NULL;
    json_t *model = json_object_get(root, "model"), *vocab = json_object_get(model, "vocab");
    const char *type = json_string_value(json_object_get(model, "type"));
    size_t n = json_array_size(vocab);
    if (!type || strcmp(type, "Unigram") != 0 || n == 0) {
        tml_fail(err, "%s: model is %s, not a Unigram model with a vocabulary", path, type ? type : "missing");
        goto fail;
    }
    if (n > INT32_MAX / 2) {
        tml_fail(err, "%s: too many pieces", path);
        goto fail;
    }
    if (json_is_true(json_object_get(model, "byte_fallback"))) {
        tml_fail(err, "%s: byte_fallback unigram models are not supported", path);
        goto fail;
    }
    if (read_normalizer(spec, json_object_get(root, "normalizer"), path, err) ||
        check_pretok(json_object_get(root, "pre_tokenizer"), path, err))
        goto fail;
    spec->pieces = calloc(n, sizeof *spec->pieces), spec->scores = calloc(n, sizeof *spec->scores);
    control = calloc(n, 1);
    if (!spec->pieces || !spec->scores || !control) {
        tml_fail(err, "%s: out of memory", path);
        goto fail;
    }
    spec->n_pieces = (int32_t)n;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(vocab, i);
        json_t *p = json_array_get(e, 0), *sc = json_array_get(e, 1);
        if (!json_is_string(p) || !json_is_number(sc)) {
            tml_fail(err, "%s: model.vocab[%zu] is not [piece, score]", path, i);
            goto fail;
        }
        if (!(spec->pieces[i] = strndup(json_string_value(p), json_string_length(p)))) {
            tml_fail(err, "%s: out of memory", path);
            goto fail;
        }
        spec->scores[i] = json_number_value(sc);
    }
    json_t *unk = json_object_get(model, "unk_id");
    spec->unk = json_is_integer(unk) ? (int32_t)json_integer_value(unk) : -1;
    if (spec->unk < 0 || (size_t)spec->unk >= n) {
        tml_fail(err, "%s: model.unk_id is missing or out of range", path);
        goto fail;
    }
    /* specials: added_tokens marked special are never matched inside text */
    spec->first = spec->last = spec->pad = -1;
    json_t *added = json_object_get(root, "added_tokens");
    for (size_t i = 0; i < json_array_size(added); i++) {
        json_t *a = json_array_get(added, i);
        json_t *idj = json_object_get(a, "id");
        const char *c = json_string_value(json_object_get(a, "content"));
        if (!json_is_integer(idj) || !c || json_integer_value(idj) < 0 || (size_t)json_integer_value(idj) >= n) continue;
        int32_t id = (int32_t)json_integer_value(idj);
        if (json_is_true(json_object_get(a, "special"))) control[id] = 1;
        if (strcmp(c, "<pad>") == 0) spec->pad = id;
    }
    control[spec->unk] = 1;
    /* <s> and </s>: the first and last special token of the single-sequence template */
    json_t *single = json_object_get(json_object_get(root, "post_processor"), "single");
    size_t ns = json_array_size(single);
    json_t *f = json_object_get(json_array_get(single, 0), "SpecialToken");
    json_t *l = ns ? json_object_get(json_array_get(single, ns - 1), "SpecialToken") : NULL;
    json_t *sp = json_object_get(json_object_get(root, "post_processor"), "special_tokens");
    if (f && l) {
        const char *fn = json_string_value(json_object_get(f, "id")), *ln = json_string_value(json_object_get(l, "id"));
        json_t *fi = json_array_get(json_object_get(json_object_get(sp, fn ? fn : ""), "ids"), 0);
        json_t *li = json_array_get(json_object_get(json_object_get(sp, ln ? ln : ""), "ids"), 0);
        if (json_is_integer(fi)) spec->first = (int32_t)json_integer_value(fi);
        if (json_is_integer(li)) spec->last = (int32_t)json_integer_value(li);
    }
    if (spec->first < 0 || spec->last < 0 || (size_t)spec->first >= n || (size_t)spec->last >= n) {
        tml_fail(err, "%s: post_processor does not name the <s> and </s> ids (TemplateProcessing expected)", path);
        goto fail;
    }
    if (spec->pad < 0) spec->pad = spec->unk;
    size_t nc = 0;
    for (size_t i = 0; i < n; i++) nc += control[i] != 0;
    if (!(spec->control = malloc(sizeof(int32_t) * (nc ? nc : 1)))) {
        tml_fail(err, "%s: out of memory", path);
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        if (control[i]) spec->control[spec->n_control++] = (int32_t)i;
    free(control);
    json_decref(root);
    return 0;
fail:
    free(control);
    json_decref(root);
    tml_tokspec_free(spec);
    return -1;
}

TmlUnigram *tml_unigram_from_spec(const TmlTokSpec *s, TmlError *err) {
    if (tml_tokspec_check(s, "unigram", err)) return NULL;
    if (s->kind != TML_TOK_UNIGRAM) {
        tml_fail(err, "unigram: the tokenizer spec is %s", tml_tokkind_name(s->kind));
        return NULL;
    }
    size_t n = (size_t)s->n_pieces;
    TmlUnigram *u = calloc(1, sizeof *u);
    size_t *lens = calloc(n, sizeof *lens);
    unsigned char *control = calloc(n, 1);
    if (!u || !lens || !control) {
        tml_fail(err, "unigram: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) lens[i] = strlen(s->pieces[i]);
    for (int32_t i = 0; i < s->n_control; i++) control[s->control[i]] = 1;
    u->unk = s->unk, u->bos = s->first, u->eos = s->last, u->pad = s->pad;
    u->collapse_spaces = s->collapse_spaces;
    if (set_charsmap(u, s->charsmap, s->charsmap_len, "unigram", err) ||
        build(u, (const char *const *)s->pieces, lens, s->scores, (int)n, control, "unigram", err))
        goto fail;
    free(lens);
    free(control);
    return u;
fail:
    free(lens);
    free(control);
    tml_unigram_free(u);
    return NULL;
}

TmlUnigram *tml_unigram_load(const char *model_dir, TmlError *err) {
    TmlTokSpec s;
    if (tml_unigram_read_spec(model_dir, &s, err)) return NULL;
    TmlUnigram *u = tml_unigram_from_spec(&s, err);
    tml_tokspec_free(&s);
    return u;
}
