/* tokspec.c — TmlTokSpec (tokenizer.h), a tokenizer without its folder: freeing, copying, checking
 * a spec read back from a model file or an export, and the kind names. */
#include <stdlib.h>
#include <string.h>

#include "data/tokenizer.h"

void tml_tokspec_free(TmlTokSpec *s) {
    if (!s) return;
    if (s->pieces)
        for (int32_t i = 0; i < s->n_pieces; i++) free(s->pieces[i]);
    free(s->pieces);
    free(s->scores);
    free(s->control);
    free(s->charsmap);
    memset(s, 0, sizeof *s);
}

int tml_tokspec_copy(TmlTokSpec *dst, const TmlTokSpec *src) {
    *dst = *src;
    dst->pieces = NULL, dst->scores = NULL, dst->control = NULL, dst->charsmap = NULL;
    int32_t n = src->n_pieces;
    dst->n_pieces = 0;
    if (n > 0 && !(dst->pieces = calloc((size_t)n, sizeof *dst->pieces))) goto oom;
    dst->n_pieces = n;
    for (int32_t i = 0; i < n; i++)
        if (!(dst->pieces[i] = strdup(src->pieces[i] ? src->pieces[i] : ""))) goto oom;
    if (src->scores) {
        if (!(dst->scores = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1)))) goto oom;
        memcpy(dst->scores, src->scores, sizeof(double) * (size_t)n);
    }
    if (src->n_control > 0) {
        if (!(dst->control = malloc(sizeof(int32_t) * (size_t)src->n_control))) goto oom;
        memcpy(dst->control, src->control, sizeof(int32_t) * (size_t)src->n_control);
    }
    if (src->charsmap && src->charsmap_len) {
        if (!(dst->charsmap = malloc(src->charsmap_len))) goto oom;
        memcpy(dst->charsmap, src->charsmap, src->charsmap_len);
    }
    return 0;
oom:
    tml_tokspec_free(dst);
    return -1;
}

const char *tml_tokkind_name(TmlTokKind k) {
    return k == TML_TOK_WORDPIECE ? "wordpiece" : k == TML_TOK_UNIGRAM ? "unigram" : "unknown";
}

TmlTokKind tml_tokkind_parse(const char *s) {
    if (s && strcmp(s, "wordpiece") == 0) return TML_TOK_WORDPIECE;
    if (s && strcmp(s, "unigram") == 0) return TML_TOK_UNIGRAM;
    return (TmlTokKind)0;
}

static int flag(int v) { return v == 0 || v == 1; }

int tml_tokspec_check(const TmlTokSpec *s, const char *where, TmlError *err) {
    int32_t n = s->n_pieces;
    if (s->kind != TML_TOK_WORDPIECE && s->kind != TML_TOK_UNIGRAM)
        return tml_fail(err, "%s: tokenizer kind %d is neither wordpiece nor unigram", where, (int)s->kind);
    if (n <= 0 || !s->pieces) return tml_fail(err, "%s: the tokenizer has no pieces", where);
    for (int32_t i = 0; i < n; i++)
        if (!s->pieces[i]) return tml_fail(err, "%s: tokenizer piece %d is missing", where, i);
    const int32_t ids[4] = {s->unk, s->first, s->last, s->pad};
    static const char *const names[4] = {"unk", "first", "last", "pad"};
    for (int k = 0; k < 4; k++)
        if (ids[k] < 0 || ids[k] >= n)
            return tml_fail(err, "%s: tokenizer %s id %d is not one of its %d pieces", where, names[k], ids[k], n);
    if (s->kind == TML_TOK_UNIGRAM) {
        if (!s->scores) return tml_fail(err, "%s: a unigram tokenizer needs its piece scores", where);
        for (int32_t i = 0; i < s->n_control; i++)
            if (!s->control || s->control[i] < 0 || s->control[i] >= n)
                return tml_fail(err, "%s: tokenizer control id %d is out of range", where, s->control ? s->control[i] : -1);
        if (!flag(s->collapse_spaces)) return tml_fail(err, "%s: tokenizer collapse_spaces is not 0/1", where);
    } else {
        if (!flag(s->clean_text) || !flag(s->chinese_chars) || !flag(s->strip_accents) || !flag(s->lowercase))
            return tml_fail(err, "%s: a WordPiece normaliser flag is not 0/1", where);
        if (s->max_word_chars < 1) return tml_fail(err, "%s: tokenizer max_word_chars = %d; it must be >= 1", where, s->max_word_chars);
        if (memchr(s->prefix, 0, sizeof s->prefix) == NULL)
            return tml_fail(err, "%s: the WordPiece continuation prefix is too long", where);
    }
    return 0;
}
