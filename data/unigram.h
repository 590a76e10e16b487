/* unigram.h — SentencePiece unigram tokenizer (XLM-R vocabularies, e.g. multilingual-e5-small) as
 * the Hugging Face `tokenizers` package runs a tokenizer.json with a Unigram model: the precompiled
 * character map normalizer (SentencePiece's double-array trie of replacement rules, applied per
 * grapheme cluster), runs of spaces collapsed, spaces replaced by U+2581 with one prepended, the text
 * split before each U+2581, Viterbi segmentation of each word over the scored pieces (a character no
 * piece covers becomes <unk>, adjacent unknowns fused), then <s> ... </s> with the fairseq ids
 * (<s>=0, <pad>=1, </s>=2, <unk>=3 in XLM-R's tokenizer.json). */
#ifndef TICKETML_DATA_UNIGRAM_H
#define TICKETML_DATA_UNIGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "data/strmap.h"
#include "data/tokenizer.h"
#include "ticketml/error.h"

typedef struct TmlUnigram {
    TmlStrMap prefixes;       /* every character-boundary prefix of every piece -> piece id, or -1
                                 when the prefix is not itself a matchable piece */
    double *score;            /* per id */
    int32_t vocab_size;
    int32_t unk, bos, eos, pad;
    double unk_score;         /* lowest piece score - 10, as SentencePiece and `tokenizers` score <unk> */
    int max_piece_chars;
    int collapse_spaces;      /* Replace(" {2,}", " ") in the normalizer */
    unsigned char *charsmap;  /* owned precompiled_charsmap blob, NULL for none */
    size_t charsmap_len;
    const uint32_t *trie;     /* into charsmap: double-array units */
    size_t trie_units;
    const char *repl;         /* into charsmap: NUL-terminated replacement strings */
    size_t repl_len;
} TmlUnigram;

/* Loads model_dir/tokenizer.json (a Unigram model). NULL on error with err naming the file and the fix
 * (a missing folder gets the `make models` hint). Free with tml_unigram_free. */
TmlUnigram *tml_unigram_load(const char *model_dir, TmlError *err);

/* Reads model_dir/tokenizer.json into spec (pieces, scores, control ids, character map, special
 * ids, space collapsing). 0, or -1 with err (spec left empty). Free with tml_tokspec_free. */
int tml_unigram_read_spec(const char *model_dir, TmlTokSpec *spec, TmlError *err);
/* The tokenizer of a unigram spec (copied from it); NULL with err on a bad spec. */
TmlUnigram *tml_unigram_from_spec(const TmlTokSpec *s, TmlError *err);

/* Builds a tokenizer from pieces[i] with score scores[i] (id i); control ids (bos, eos, pad, unk) are
 * never matched in text. charsmap (a precompiled_charsmap blob, copied) may be NULL. For tests. */
TmlUnigram *tml_unigram_from_pieces(const char *const *pieces, const double *scores, int n, int32_t unk, int32_t bos,
                                    int32_t eos, int32_t pad, const unsigned char *charsmap, size_t charsmap_len,
                                    TmlError *err);

void tml_unigram_free(TmlUnigram *u);

/* Encodes text[0..len) into ids: <s>, at most max_len - 2 pieces, </s>. ids holds max_len entries
 * (max_len >= 2). Returns the number of ids, -1 when out of memory. scratch may be NULL. */
int tml_unigram_encode(const TmlUnigram *u, const char *text, size_t len, int max_len, int32_t *ids,
                       TmlTokScratch *scratch);

/* Applies the normalizer (character map per grapheme, space collapsing) to text[0..len): writes the
 * UTF-8 result to out (capacity cap) and returns its length; when that exceeds cap, the return
 * value is an upper bound of the length needed (call again with that much room). For tests too. */
size_t tml_unigram_normalize(const TmlUnigram *u, const char *text, size_t len, char *out, size_t cap);

#endif
