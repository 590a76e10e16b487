/* unigram.c — unigram encoding (unigram.h): the precompiled-charsmap normalizer, the Metaspace
 * split, Viterbi per word. The rules follow the `tokenizers` package, which our ids are checked
 * against on every row of waimai, smp2017_intent and airline (scripts/check_unigram.py):
 *  - charsmap: a darts-clone double array; a key's value is an offset into NUL-terminated
 *    replacement strings. For each extended grapheme cluster shorter than 6 bytes, the SHORTEST key
 *    that is a prefix of the cluster replaces the whole cluster; otherwise (or when none matches)
 *    each code point is replaced by its own key's string or kept.
 *  - Viterbi: best[byte position], pieces tried in increasing length from each character start, a
 *    later candidate replaces only a strictly better score; a character with no one-character
 *    piece also gets an <unk> edge scored min(score) - 10; consecutive <unk>s fuse into one. */
#include "data/unigram.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "data/utf8.h"

#define META_LEN 3
static const char META[META_LEN] = {(char)0xE2, (char)0x96, (char)0x81}; /* U+2581 */

/* darts-clone unit fields */
static uint32_t unit_offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }
static int unit_has_leaf(uint32_t u) { return (u >> 8) & 1; }
static uint32_t unit_label(uint32_t u) { return u & ((1u << 31) | 0xFFu); }
static uint32_t unit_value(uint32_t u) { return u & ((1u << 31) - 1); }

/* The replacement of the shortest charsmap key that is a prefix of key[0..n), as (pointer, length),
 * or NULL. A NUL byte ends the key (as in SentencePiece). */
static const char *charsmap_first(const TmlUnigram *u, const char *key, size_t n, size_t *out_len) {
    if (!u->trie) return NULL;
    size_t pos = unit_offset(u->trie[0]);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c == 0) break;
        pos ^= c;
        if (pos >= u->trie_units) return NULL;
        uint32_t unit = u->trie[pos];
        if (unit_label(unit) != c) return NULL;
        pos ^= unit_offset(unit);
        if (pos >= u->trie_units) return NULL;
        if (unit_has_leaf(unit)) {
            uint32_t v = unit_value(u->trie[pos]);
            if (v >= u->repl_len) return NULL;
            const char *s = u->repl + v;
            const char *e = memchr(s, 0, u->repl_len - v);
            *out_len = e ? (size_t)(e - s) : u->repl_len - v;
            return s;
        }
    }
    return NULL;
}

/* Appends n bytes to out (capacity cap) at *len; counts past cap so the caller learns the size. */
static void put(char *out, size_t cap, size_t *len, const char *s, size_t n) {
    if (*len + n <= cap) memcpy(out + *len, s, n);
    *len += n;
}

/* Appends normalized bytes, collapsing runs of spaces when enabled. */
static void put_norm(const TmlUnigram *u, char *out, size_t cap, size_t *len, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ' && u->collapse_spaces && *len > 0 && *len <= cap && out[*len - 1] == ' ') continue;
        put(out, cap, len, s + i, 1);
    }
}

size_t tml_unigram_normalize(const TmlUnigram *u, const char *text, size_t len, char *out, size_t cap) {
    const unsigned char *p = (const unsigned char *)text;
    size_t olen = 0, i = 0;
    char fffd[4];
    int nfffd = tml_utf8_encode(0xFFFD, fffd);
    while (i < len) {
        /* one extended grapheme cluster: [gs, ge) in the input, with bad bytes read as U+FFFD */
        size_t gs = i, ge;
        uint32_t c, prev;
        int bad = 0;
        int adv = tml_utf8_decode(p + i, len - i, &c);
        bad |= c == 0xFFFD && !(adv == 3 && p[i] == 0xEF && p[i + 1] == 0xBF && p[i + 2] == 0xBD);
        i += (size_t)adv;
        utf8proc_int32_t state = 0;
        prev = c;
        while (i < len) {
            uint32_t d;
            int a2 = tml_utf8_decode(p + i, len - i, &d);
            if (utf8proc_grapheme_break_stateful((utf8proc_int32_t)prev, (utf8proc_int32_t)d, &state)) break;
            bad |= d == 0xFFFD && !(a2 == 3 && p[i] == 0xEF && p[i + 1] == 0xBF && p[i + 2] == 0xBD);
            i += (size_t)a2;
            prev = d;
        }
        ge = i;
        size_t rl;
        const char *r;
        if (!bad && ge - gs < 6 && (r = charsmap_first(u, text + gs, ge - gs, &rl))) {
            put_norm(u, out, cap, &olen, r, rl);
            continue;
        }
        for (size_t j = gs; j < ge;) {
            int a = tml_utf8_decode(p + j, ge - j, &c);
            const char *ch = text + j;
            size_t chn = (size_t)a;
            if (c == 0xFFFD) ch = fffd, chn = (size_t)nfffd;
            j += (size_t)a;
            if ((r = charsmap_first(u, ch, chn, &rl)))
                put_norm(u, out, cap, &olen, r, rl);
            else
                put_norm(u, out, cap, &olen, ch, chn);
        }
    }
    return olen;
}

/* Viterbi state of one word. */
typedef struct Lattice {
    double *score;   /* best score of a path ending at byte position */
    int32_t *from;   /* where that path's last piece starts, -1 none yet */
    int32_t *id;     /* that piece's id */
} Lattice;

/* Segments word[0..n) (starts with U+2581) and appends its ids to out (up to cap). */
static void viterbi(const TmlUnigram *u, const char *w, size_t n, Lattice *L, int32_t *out, int *nout, int cap,
                    int32_t *rev) {
    for (size_t k = 0; k <= n; k++) L->from[k] = -1;
    L->score[0] = 0;
    for (size_t s = 0; s < n;) {
        size_t mb = (size_t)tml_utf8_len((unsigned char)w[s]);
        double base = L->score[s];
        int single = 0;
        uint32_t h = TML_STRMAP_SEED;
        size_t e = s;
        for (int k = 0; k < u->max_piece_chars && e < n; k++) {
            size_t step = (size_t)tml_utf8_len((unsigned char)w[e]);
            h = tml_strmap_hash(h, w + e, step);
            e += step;
            long x = tml_strmap_find2(&u->prefixes, h, NULL, 0, w + s, e - s);
            if (x < 0) break; /* no piece starts with these characters */
            int32_t id = u->prefixes.ent[x].value;
            if (id < 0) continue;
            double sc = base + u->score[id];
            if (L->from[e] < 0 || sc > L->score[e]) {
                L->score[e] = sc;
                L->from[e] = (int32_t)s;
                L->id[e] = id;
            }
            if (e - s == mb) single = 1;
        }
        if (!single) {
            double sc = base + u->unk_score;
            if (L->from[s + mb] < 0 || sc > L->score[s + mb]) {
                L->score[s + mb] = sc;
                L->from[s + mb] = (int32_t)s;
                L->id[s + mb] = u->unk;
            }
        }
        s += mb;
    }
    int nr = 0;
    for (size_t e = n; e > 0; e = (size_t)L->from[e]) {
        int32_t id = L->id[e];
        if (id == u->unk && nr > 0 && rev[nr - 1] == u->unk) continue; /* fuse adjacent unknowns */
        rev[nr++] = id;
    }
    while (nr > 0 && *nout < cap) out[(*nout)++] = rev[--nr];
}

int tml_unigram_encode(const TmlUnigram *u, const char *text, size_t len, int max_len, int32_t *ids,
                       TmlTokScratch *scratch) {
    TmlTokScratch own = {{0}, {0}};
    TmlTokScratch *s = scratch ? scratch : &own;
    if (max_len < 2) max_len = 2;
    int cap = max_len - 2, nout = 0;
    /* normalize into buf[0] (grown to the size the normalizer reports), plus room for the marks */
    size_t need = tml_unigram_normalize(u, text, len, s->buf[0], s->cap[0]);
    if (need > s->cap[0]) { /* the count is an upper bound when it overflows: collapsing needs the bytes */
        if (tml_tokscratch_reserve(s, 0, need)) goto oom;
        need = tml_unigram_normalize(u, text, len, s->buf[0], s->cap[0]);
    }
    const char *norm = s->buf[0];
    /* Metaspace: spaces become U+2581, one prepended unless the text already starts with one */
    if (tml_tokscratch_reserve(s, 1, 3 * need + META_LEN)) goto oom;
    norm = s->buf[0];
    char *m = s->buf[1];
    size_t mn = 0;
    if (need > 0 && norm[0] != ' ' && !(need >= META_LEN && memcmp(norm, META, META_LEN) == 0)) {
        memcpy(m, META, META_LEN);
        mn = META_LEN;
    }
    for (size_t i = 0; i < need; i++) {
        if (norm[i] == ' ') {
            memcpy(m + mn, META, META_LEN);
            mn += META_LEN;
        } else {
            m[mn++] = norm[i];
        }
    }
    /* lattice over byte positions of the longest possible word (the whole text) */
    if (tml_tokscratch_reserve(s, 2, (mn + 1) * sizeof(double)) ||
        tml_tokscratch_reserve(s, 3, 3 * (mn + 1) * sizeof(int32_t)))
        goto oom;
    Lattice L = {.score = s->buf[2], .from = s->buf[3], .id = (int32_t *)s->buf[3] + (mn + 1)};
    int32_t *rev = (int32_t *)s->buf[3] + 2 * (mn + 1);
    /* words start at each U+2581 */
    for (size_t a = 0; a < mn && nout < cap;) {
        size_t b = a + (memcmp(m + a, META, META_LEN) == 0 ? META_LEN : (size_t)tml_utf8_len((unsigned char)m[a]));
        while (b < mn && !(b + META_LEN <= mn && memcmp(m + b, META, META_LEN) == 0)) b += (size_t)tml_utf8_len((unsigned char)m[b]);
        viterbi(u, m + a, b - a, &L, ids + 1, &nout, cap, rev);
        a = b;
    }
    ids[0] = u->bos;
    ids[nout + 1] = u->eos;
    if (s == &own) tml_tokscratch_free(&own);
    return nout + 2;
oom:
    if (s == &own) tml_tokscratch_free(&own);
    return -1;
}
