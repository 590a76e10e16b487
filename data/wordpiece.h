/* wordpiece.h — BERT's WordPiece tokenizer (uncased MiniLM/BERT vocabularies) as the Hugging Face
 * `tokenizers` package runs it: BertNormalizer (drop NUL, U+FFFD and control characters, whitespace to
 * spaces, spaces around CJK ideographs, NFD + drop nonspacing marks, lowercase), BertPreTokenizer
 * (split on whitespace, every punctuation character its own word), greedy longest-match-first
 * WordPiece with "##" continuations ([UNK] for a word with an unmatched rest or over 100 characters),
 * then [CLS] ... [SEP]. Reads vocab.txt and the settings in tokenizer.json (or tokenizer_config.json). */
#ifndef TICKETML_DATA_WORDPIECE_H
#define TICKETML_DATA_WORDPIECE_H

#include <stddef.h>
#include <stdint.h>

#include "data/strmap.h"
#include "data/tokenizer.h"
#include "ticketml/error.h"

typedef struct TmlWordpiece {
    TmlStrMap vocab;          /* piece (with its "##" when a continuation) -> id */
    int32_t vocab_size;       /* largest id + 1 */
    int32_t unk, cls, sep, pad;
    int clean_text, chinese_chars, strip_accents, lowercase;
    int max_word_chars;       /* longer words are [UNK] (100) */
    int max_piece_bytes;      /* longest piece without its prefix: bounds the match search */
    char prefix[16];          /* continuation prefix, "##" */
    size_t nprefix;
} TmlWordpiece;

/* Loads model_dir/vocab.txt (one piece per line, id = line number) and the normalizer, model and
 * post-processor settings from model_dir/tokenizer.json, else model_dir/tokenizer_config.json, else
 * BERT-uncased defaults. NULL on error with err naming the file and the fix (a missing folder gets
 * the `make models` hint). Free with tml_wordpiece_free. */
TmlWordpiece *tml_wordpiece_load(const char *model_dir, TmlError *err);

/* Reads what tml_wordpiece_load reads (vocab.txt and the settings) into spec, the special tokens
 * resolved to ids. 0, or -1 with err (spec left empty). Free with tml_tokspec_free. */
int tml_wordpiece_read_spec(const char *model_dir, TmlTokSpec *spec, TmlError *err);
/* The tokenizer of a WordPiece spec (copied from it); NULL with err on a bad spec. */
TmlWordpiece *tml_wordpiece_from_spec(const TmlTokSpec *s, TmlError *err);

/* Builds a tokenizer from an in-memory vocabulary (pieces[i] has id i) with BERT-uncased settings;
 * special tokens are looked up by name ([UNK] must exist). For tests and tools. */
TmlWordpiece *tml_wordpiece_from_vocab(const char *const *pieces, int n, TmlError *err);

void tml_wordpiece_free(TmlWordpiece *wp);

/* Encodes text[0..len) into ids: [CLS], at most max_len - 2 tokens, [SEP]. ids holds max_len
 * entries (max_len >= 2). Returns the number of ids, -1 when out of memory. scratch may be NULL. */
int tml_wordpiece_encode(const TmlWordpiece *wp, const char *text, size_t len, int max_len, int32_t *ids,
                         TmlTokScratch *scratch);

#endif
