/* textfeat.h — ticket text to sparse feature ids: UTF-8 validation, NFKC + case folding (utf8proc),
 * tokenization (space-separated words; CJK as single characters plus optional bigrams),
 * placeholders for URLs/@mentions/e-mails/numbers, vocabulary with a minimum count, hashed word
 * n-grams and character n-grams into a shared bucket range, optional TF-IDF weights.
 *
 * Feature id space (fastText layout): [0, n_words) vocabulary words, [n_words, n_words + buckets)
 * hashed word n-grams (n >= 2) and character n-grams. The serving library reuses this file, so
 * featurization at serving time is bit-identical to training. */
#ifndef TICKETML_DATA_TEXTFEAT_H
#define TICKETML_DATA_TEXTFEAT_H

#include <stddef.h>
#include <stdint.h>

#include "ticketml/error.h"

typedef struct TmlTextConfig {
    int normalize;       /* NFKC + case folding (1) or bytes as given (0); default 1 */
    int placeholders;    /* URLs -> <url>, @x -> <user>, e-mail -> <email>, digits -> <num>; default 1 */
    int cjk_bigrams;     /* add bigrams of adjacent CJK characters as tokens; default 1 */
    int word_ngrams;     /* max word n-gram length (1 = unigrams only); default 2 */
    int minn, maxn;      /* character n-gram lengths, in code points, over "<word>"; 0 = off; default 0 */
    int64_t buckets;     /* hash buckets for n-grams; default 2000000 */
    int min_count;       /* vocabulary minimum count; default 1 */
    int tfidf;           /* per-feature weights = sublinear tf * idf, L2-normalized per document; default 0 */
    int invalid_utf8;    /* 0: error naming file:line:byte; 1: replace with U+FFFD; default 0 */
} TmlTextConfig;

void tml_textfeat_config_default(TmlTextConfig *c);

/* Normalizes and tokenizes one text into tokens (the units LIME removes and the vocabulary
 * counts). Returns the number of tokens; *tokens receives a malloc'd array of malloc'd strings
 * that the caller frees with tml_textfeat_tokens_free. -1 on invalid UTF-8 (err names byte offset; the
 * caller adds file:line) unless config->invalid_utf8 replaces. */
int tml_textfeat_tokenize(const TmlTextConfig *c, const char *text, char ***tokens, TmlError *err);
void tml_textfeat_tokens_free(char **tokens, int n);

/* A reusable tokenizer buffer: lets a hot path (training featurization, the serving library)
 * tokenize many texts without a malloc per token or per text. One per thread. */
typedef struct TmlTokBuf {
    char *clean;          /* text with invalid bytes replaced (replace mode only) */
    size_t clean_cap;
    int32_t *u32;         /* utf8proc work buffer: code points, then the re-encoded UTF-8 */
    size_t u32_cap;       /* in int32 units */
    int lower_emit;       /* ASCII fast path: emit() lower-cases while copying */
    char *arena;          /* token bytes, each NUL-terminated */
    size_t arena_len, arena_cap;
    size_t *off;          /* (n) token start offsets into arena */
    char **tok;           /* (n) token pointers into arena, valid after tml_textfeat_tokbuf_run */
    int n, cap, tok_cap;
} TmlTokBuf;

void tml_textfeat_tokbuf_init(TmlTokBuf *b);
void tml_textfeat_tokbuf_free(TmlTokBuf *b);

/* Tokenizes text[0..len) into b (reusing b's memory): b->tok[0..b->n) then point into b->arena
 * until the next call. Returns 0, or -1 on invalid UTF-8 (err names the byte offset; the caller
 * adds file:line) unless c->invalid_utf8 replaces, or on allocation failure. */
int tml_textfeat_tokbuf_run(TmlTokBuf *b, const TmlTextConfig *c, const char *text, size_t len, TmlError *err);

/* The fitted featurizer: config + vocabulary + idf. */
typedef struct TmlTextFeaturizer TmlTextFeaturizer;

/* Creates an empty featurizer (copying config). Caller frees with tml_textfeat_free. */
TmlTextFeaturizer *tml_textfeat_new(const TmlTextConfig *c);
void tml_textfeat_free(TmlTextFeaturizer *f);
const TmlTextConfig *tml_textfeat_config(const TmlTextFeaturizer *f);

/* Fits the vocabulary (words with count >= min_count, ids ordered by descending count then
 * bytewise, so the fit is deterministic) and idf over n training texts. -1 on invalid UTF-8. */
int tml_textfeat_fit(TmlTextFeaturizer *f, const char *const *texts, int64_t n, TmlError *err);

/* Number of feature ids: n_words + buckets. */
int64_t tml_textfeat_dim(const TmlTextFeaturizer *f);
int64_t tml_textfeat_n_words(const TmlTextFeaturizer *f);
const char *tml_textfeat_word(const TmlTextFeaturizer *f, int64_t id);
/* Vocabulary id of an already-normalized token, or -1. */
int64_t tml_textfeat_word_id(const TmlTextFeaturizer *f, const char *token);

/* Features of one document from its tokens (as tml_textfeat_tokenize returns them). Appends to the
 * growable arrays *ids / *w (w only when tfidf; else left untouched), updating *n and *cap
 * (realloc; caller owns and frees). Out-of-vocabulary words contribute only via their n-grams.
 * Returns the number of ids appended, -1 on allocation failure. */
int64_t tml_textfeat_features(const TmlTextFeaturizer *f, char *const *tokens, int n_tokens,
                              int32_t **ids, float **w, int64_t *n, int64_t *cap);

/* Convenience: tokenize + features for n texts into a CSR (offsets (n+1), ids, w or NULL).
 * All three arrays malloc'd; caller frees. -1 on invalid UTF-8 (err names the text index). */
int tml_textfeat_transform(const TmlTextFeaturizer *f, const char *const *texts, int64_t n,
                           int64_t **offsets, int32_t **ids, float **w, TmlError *err);

/* Serialization as plain arrays so the trainer's HDF5 model file and the export can store them:
 * vocabulary words (n_words strings), their counts, and idf (dim floats, or NULL without tfidf).
 * tml_textfeat_restore rebuilds a fitted featurizer; the caller keeps ownership of the inputs. */
const float *tml_textfeat_idf(const TmlTextFeaturizer *f);
const int64_t *tml_textfeat_counts(const TmlTextFeaturizer *f);
TmlTextFeaturizer *tml_textfeat_restore(const TmlTextConfig *c, char *const *words, const int64_t *counts,
                                        int64_t n_words, const float *idf, TmlError *err);

/* 1 for ideographs, kana and hangul: the scripts tokenized per character (the drift monitor's
 * script mix counts them too). */
int tml_textfeat_is_cjk(int32_t cp);

/* The script mix of a text, for reports and the drift monitor: Latin only (a word of two or more
 * ASCII letters, no CJK), CJK only, both, or no letters. *has_cjk (may be NULL): any CJK character. */
enum { TML_SCRIPT_LATIN, TML_SCRIPT_CJK, TML_SCRIPT_BOTH, TML_SCRIPT_NONE, TML_SCRIPT_COUNT };
int tml_textfeat_script(const char *text, int *has_cjk);

/* The n-gram hash: FNV-1a 32-bit over the bytes, as fastText uses. Documented in the export
 * format so any serving code can reproduce it. */
uint32_t tml_textfeat_hash(const char *s, size_t len);

#endif
