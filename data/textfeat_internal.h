/* textfeat_internal.h — the reusable tokenizer buffer shared by textfeat.c (vocabulary, features)
 * and textfeat_tokenize.c (UTF-8, normalization, token rules). Not part of the public contract:
 * it lets the hot path tokenize many texts without a malloc per token or per text. */
#ifndef TICKETML_DATA_TEXTFEAT_INTERNAL_H
#define TICKETML_DATA_TEXTFEAT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "data/textfeat.h"

/* Word n-grams longer than this are refused by the config check (the n-gram ring is on the stack). */
#define TML_TEXT_MAX_WORD_NGRAMS 8

typedef struct TmlTokBuf {
    char *clean;          /* text with invalid bytes replaced (replace mode only) */
    size_t clean_cap;
    int32_t *u32;         /* utf8proc work buffer: code points, then the re-encoded UTF-8 */
    size_t u32_cap;       /* in int32 units */
    int lower_emit;       /* ASCII fast path: emit() lower-cases while copying */
    char *arena;          /* token bytes, each NUL-terminated */
    size_t arena_len, arena_cap;
    size_t *off;          /* (n) token start offsets into arena */
    char **tok;           /* (n) token pointers into arena, valid after tml_tokbuf_run */
    int n, cap, tok_cap;
} TmlTokBuf;

void tml_tokbuf_init(TmlTokBuf *b);
void tml_tokbuf_free(TmlTokBuf *b);

/* Tokenizes text[0..len) into b (reusing b's memory): b->tok[0..b->n) then point into b->arena
 * until the next call. Returns 0, or -1 on invalid UTF-8 (err names the byte offset; the caller
 * adds file:line) unless c->invalid_utf8 replaces, or on allocation failure. */
int tml_tokbuf_run(TmlTokBuf *b, const TmlTextConfig *c, const char *text, size_t len, TmlError *err);

/* tml_textfeat_transform on all OpenMP threads (results identical to one thread). On invalid
 * UTF-8 returns -1 with *bad = index of the first bad text and err = the tokenizer's message
 * without a "text K:" prefix, so callers can name file:line instead. */
int tml_textfeat_transform_rows(const TmlTextFeaturizer *f, const char *const *texts, int64_t n, int64_t **offsets,
                                int32_t **ids, float **w, int64_t *bad, TmlError *err);

/* murmur3's 32-bit finalizer: spreads FNV's weak low bits before masking into a table. */
static inline uint32_t tml_hash_mix(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

#endif
