/* wordpiece.c — WordPiece encoding (wordpiece.h): one pass over the code points applies the
 * BertNormalizer steps and the BertPreTokenizer split; each finished word is matched greedily,
 * longest first, against the vocabulary, hashing the word's prefixes once per start position.
 * Character classes follow the `tokenizers` package (checked on every code point: docs/encoder.md). */
#include "data/wordpiece.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "data/utf8.h"

/* Rust's char::is_whitespace (the White_Space property), which `tokenizers` uses. */
static int is_ws(uint32_t c) {
    if (c <= 0x20) return c == 0x20 || (c >= 9 && c <= 13);
    if (c < 0x85) return 0;
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static utf8proc_category_t cat(uint32_t c) { return utf8proc_category((utf8proc_int32_t)c); }

/* Control characters that clean_text drops: categories Cc, Cf and Co, except tab, newline and
 * carriage return (whitespace to BERT) and the format characters added in Unicode 12-15 (Arabic,
 * Kaithi and Egyptian hieroglyph controls), which the category tables inside `tokenizers` predate. */
static int is_control(uint32_t c) {
    if (c == 9 || c == 10 || c == 13) return 0;
    utf8proc_category_t k = cat(c);
    if (k == UTF8PROC_CATEGORY_CC || k == UTF8PROC_CATEGORY_CO) return 1;
    if (k != UTF8PROC_CATEGORY_CF) return 0;
    return !(c == 0x890 || c == 0x891 || c == 0x8E2 || c == 0x110CD || (c >= 0x13430 && c <= 0x1343F));
}

/* The CJK ideograph blocks BERT puts spaces around (not kana or hangul, which use spaces). */
static int is_chinese(uint32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* BERT punctuation: every ASCII non-alphanumeric printable (so $ + < = > ^ ` | ~ too) and the
 * Unicode punctuation categories. */
static int is_punct(uint32_t c) {
    if (c < 128) return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
    switch (cat(c)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS: case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF: case UTF8PROC_CATEGORY_PO:
        return 1;
    default:
        return 0;
    }
}

/* Per-text state: the word being collected and the output. */
typedef struct Enc {
    const TmlWordpiece *wp;
    char *word;        /* UTF-8 bytes of the current word */
    size_t nword;
    int nchars;
    int32_t *tmp;      /* pieces of the current word before they are known to be good */
    uint32_t *hash;    /* prefix hashes per candidate end, max_piece_bytes + 1 entries */
    uint32_t *end;
    int32_t *out;      /* content ids */
    int nout, cap;
} Enc;

/* Greedy longest-match-first over the finished word; appends its pieces (or [UNK]) to the output. */
static void flush_word(Enc *e) {
    const TmlWordpiece *wp = e->wp;
    if (e->nword == 0) return;
    int ntmp = 0, bad = 0;
    if (e->nchars > wp->max_word_chars) bad = 1;
    size_t start = 0;
    while (!bad && start < e->nword) {
        uint32_t h = start == 0 ? TML_STRMAP_SEED : tml_strmap_hash(TML_STRMAP_SEED, wp->prefix, wp->nprefix);
        size_t limit = e->nword - start;
        if (limit > (size_t)wp->max_piece_bytes) limit = (size_t)wp->max_piece_bytes;
        int k = 0;
        for (size_t b = start; b < start + limit;) {
            size_t step = (size_t)tml_utf8_len((unsigned char)e->word[b]);
            if (b + step > start + limit) break;
            h = tml_strmap_hash(h, e->word + b, step);
            b += step;
            e->hash[k] = h;
            e->end[k++] = (uint32_t)b;
        }
        long hit = -1;
        int j;
        for (j = k - 1; j >= 0 && hit < 0; j--)
            hit = tml_strmap_find2(&wp->vocab, e->hash[j], start == 0 ? NULL : wp->prefix, start == 0 ? 0 : wp->nprefix,
                                   e->word + start, e->end[j] - start);
        if (hit < 0) {
            bad = 1;
            break;
        }
        e->tmp[ntmp++] = wp->vocab.ent[hit].value;
        start = e->end[j + 1];
    }
    if (bad) {
        ntmp = 1;
        e->tmp[0] = wp->unk;
    }
    for (int i = 0; i < ntmp && e->nout < e->cap; i++) e->out[e->nout++] = e->tmp[i];
    e->nword = 0;
    e->nchars = 0;
}

/* A normalized character: whitespace ends the word, punctuation is a word of its own. */
static void feed(Enc *e, uint32_t c) {
    if (is_ws(c)) {
        flush_word(e);
        return;
    }
    int p = is_punct(c);
    if (p) flush_word(e);
    e->nword += (size_t)tml_utf8_encode(c, e->word + e->nword);
    e->nchars++;
    if (p) flush_word(e);
}

/* Lowercase, then feed: Rust's full lowercase differs from the simple mapping only for U+0130. */
static void lower_feed(Enc *e, uint32_t c) {
    if (!e->wp->lowercase) {
        feed(e, c);
    } else if (c == 0x130) {
        feed(e, 'i');
        feed(e, 0x307);
    } else {
        feed(e, (uint32_t)utf8proc_tolower((utf8proc_int32_t)c));
    }
}

/* Strip accents (canonical decomposition, nonspacing marks dropped), lowercase, feed. */
static void normalize_feed(Enc *e, uint32_t c) {
    if (!e->wp->strip_accents) {
        lower_feed(e, c);
        return;
    }
    utf8proc_int32_t d[8];
    int last = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char((utf8proc_int32_t)c, d, 8, UTF8PROC_DECOMPOSE, &last);
    if (n < 1 || n > 8) {
        d[0] = (utf8proc_int32_t)c;
        n = 1;
    }
    for (utf8proc_ssize_t i = 0; i < n; i++)
        if (cat((uint32_t)d[i]) != UTF8PROC_CATEGORY_MN) lower_feed(e, (uint32_t)d[i]);
}

int tml_wordpiece_encode(const TmlWordpiece *wp, const char *text, size_t len, int max_len, int32_t *ids,
                         TmlTokScratch *scratch) {
    TmlTokScratch own = {{0}, {0}};
    TmlTokScratch *s = scratch ? scratch : &own;
    if (max_len < 2) max_len = 2;
    /* a code point decomposes into at most 4 (UTF8PROC_DECOMPOSE) of at most 4 bytes, plus U+0130 */
    size_t word_bytes = 32 * len + 16;
    size_t maxpb = (size_t)wp->max_piece_bytes + 1;
    if (tml_tokscratch_reserve(s, 0, word_bytes) || tml_tokscratch_reserve(s, 1, (8 * len + 8) * sizeof(int32_t)) ||
        tml_tokscratch_reserve(s, 2, 2 * maxpb * sizeof(uint32_t))) {
        if (s == &own) tml_tokscratch_free(&own);
        return -1;
    }
    Enc e = {.wp = wp, .word = s->buf[0], .tmp = s->buf[1], .hash = s->buf[2],
             .end = (uint32_t *)s->buf[2] + maxpb, .out = ids + 1, .cap = max_len - 2};
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0; i < len && e.nout < e.cap;) {
        uint32_t c;
        i += (size_t)tml_utf8_decode(p + i, len - i, &c);
        if (wp->clean_text) {
            if (c == 0 || c == 0xFFFD || is_control(c)) continue;
            if (is_ws(c)) c = ' ';
        }
        if (wp->chinese_chars && is_chinese(c)) {
            feed(&e, ' ');
            normalize_feed(&e, c);
            feed(&e, ' ');
        } else {
            normalize_feed(&e, c);
        }
    }
    flush_word(&e);
    ids[0] = wp->cls;
    ids[e.nout + 1] = wp->sep;
    if (s == &own) tml_tokscratch_free(&own);
    return e.nout + 2;
}
