/* textfeat_internal.h — what textfeat.c (vocabulary, features), textfeat_tokenize.c (UTF-8,
 * normalization, token rules) and data/dataset.c share beyond textfeat.h: the n-gram limit, the
 * parallel row transform and the hash mixer. Internal to data/. */
#ifndef TICKETML_DATA_TEXTFEAT_INTERNAL_H
#define TICKETML_DATA_TEXTFEAT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "data/textfeat.h"

/* Word n-grams longer than this are refused by the config check (the n-gram ring is on the stack). */
#define TML_TEXT_MAX_WORD_NGRAMS 8

/* tml_textfeat_transform on all OpenMP threads (results identical to one thread). On invalid
 * UTF-8 returns -1 with *bad = index of the first bad text and err = the tokenizer's message
 * without a "text K:" prefix, so callers can name file:line instead. */
int tml_textfeat_transform_rows(const TmlTextFeaturizer *f, const char *const *texts, int64_t n, int64_t **offsets,
                                int32_t **ids, float **w, int64_t *bad, TmlError *err);

/* murmur3's 32-bit finalizer: spreads FNV's weak low bits before masking into a table. */
static inline uint32_t tml_textfeat_hash_mix(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

#endif
