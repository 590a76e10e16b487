/* textfeat_tokenize.c — ticket text to tokens: strict UTF-8 validation (or U+FFFD replacement),
 * NFKC + case folding through utf8proc (with an ASCII fast path), placeholders for URLs, @users,
 * e-mails and numbers, words split on whitespace/punctuation with inner apostrophes kept, CJK
 * characters as single tokens followed by the bigrams of each run of adjacent CJK characters. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "data/textfeat_internal.h"
#include "data/utf8.h"

void tml_textfeat_tokbuf_init(TmlTokBuf *b) { memset(b, 0, sizeof *b); }

void tml_textfeat_tokbuf_free(TmlTokBuf *b) {
    free(b->clean);
    free(b->u32);
    free(b->arena);
    free(b->off);
    free(b->tok);
    memset(b, 0, sizeof *b);
}

/* Grows *p to hold at least need elements of size sz (doubling). 0 ok, -1 out of memory. */
static int grow(void **p, size_t *cap, size_t need, size_t sz) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * sz);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* Decodes one code point at s[0..n): returns its byte length and sets *cp, or 0 when the bytes are
 * not well-formed UTF-8 (overlong forms, surrogates, > U+10FFFF, truncated sequences). */
static int utf8_decode(const unsigned char *s, size_t n, int32_t *cp) {
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        if (n < 2 || (s[1] & 0xC0) != 0x80) return 0;
        *cp = ((c & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0; /* overlong */
        if (c == 0xED && s[1] > 0x9F) return 0; /* surrogate */
        *cp = ((c & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0; /* overlong */
        if (c == 0xF4 && s[1] > 0x8F) return 0; /* > U+10FFFF */
        *cp = ((c & 0x07) << 18) | ((s[1] & 0x3F) << 12) | ((s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        return 4;
    }
    return 0;
}

/* Ideographs, kana and hangul: scripts written without spaces between words, tokenized per
 * character (plus bigrams). Ranges from the Unicode blocks; CJK punctuation is excluded. */
int tml_textfeat_is_cjk(int32_t cp) {
    if (cp < 0x1100) return 0;
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x3FFFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0x3040 && cp <= 0x30FF && cp != 0x30A0 && cp != 0x30FB) || (cp >= 0x31F0 && cp <= 0x31FF) ||
           (cp >= 0x3005 && cp <= 0x3007) || (cp >= 0x3021 && cp <= 0x3029) ||
           (cp >= 0xAC00 && cp <= 0xD7FF) || (cp >= 0x1100 && cp <= 0x11FF) ||
           (cp >= 0x3130 && cp <= 0x318F) || (cp >= 0xA960 && cp <= 0xA97F) || (cp >= 0xFF66 && cp <= 0xFF9F);
}

int tml_textfeat_script(const char *text, int *has_cjk) {
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    size_t n = strlen((const char *)s), i = 0;
    int64_t cjk = 0, words = 0, run = 0;
    while (i < n) {
        uint32_t cp;
        i += (size_t)tml_utf8_decode(s + i, n - i, &cp);
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) {
            run++;
            continue;
        }
        words += run >= 2;
        run = 0;
        if (cp >= 0x1100 && tml_textfeat_is_cjk((int32_t)cp)) cjk++;
    }
    words += run >= 2;
    if (has_cjk) *has_cjk = cjk > 0;
    if (cjk == 0) return words ? TML_SCRIPT_LATIN : TML_SCRIPT_NONE;
    return words ? TML_SCRIPT_BOTH : TML_SCRIPT_CJK;
}

enum { CL_SEP = 0, CL_WORD = 1, CL_CJK = 2, CL_SYMBOL = 3 };

/* Letters, marks, numbers and '_' make words; "other symbols" (emoji, ©) are single tokens;
 * everything else (spaces, punctuation, math/currency signs, controls) separates. */
static const unsigned char ASCII_CLASS[128] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
    ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['_'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,
    ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1,
    ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1,
    ['x'] = 1, ['y'] = 1, ['z'] = 1};

static inline int classify(int32_t cp) {
    if (cp < 0x80) return ASCII_CLASS[cp];
    if (tml_textfeat_is_cjk(cp)) return CL_CJK;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO: case UTF8PROC_CATEGORY_PC:
        return CL_WORD;
    case UTF8PROC_CATEGORY_SO:
        return CL_SYMBOL;
    default:
        return CL_SEP;
    }
}

static int is_digit_cp(int32_t cp) {
    if (cp < 0x80) return cp >= '0' && cp <= '9';
    return utf8proc_category(cp) == UTF8PROC_CATEGORY_ND;
}

/* Code point at s[i] of an already validated buffer (decoding cannot fail). */
static inline int cp_at(const unsigned char *s, size_t len, size_t i, int32_t *cp) {
    if (s[i] < 0x80) {
        *cp = s[i];
        return 1;
    }
    int k = utf8_decode(s + i, len - i, cp);
    if (!k) { /* cannot happen after validation; treat as a separator byte */
        *cp = 0xFFFD;
        return 1;
    }
    return k;
}

static int emit(TmlTokBuf *b, const char *p, size_t n) {
    if (grow((void **)&b->arena, &b->arena_cap, b->arena_len + n + 1, 1)) return -1;
    size_t ncap = (size_t)b->cap;
    if (grow((void **)&b->off, &ncap, (size_t)b->n + 1, sizeof *b->off)) return -1;
    b->cap = (int)ncap;
    b->off[b->n++] = b->arena_len;
    if (b->lower_emit) { /* ASCII text with normalization: case-fold while copying */
        char *o = b->arena + b->arena_len;
        for (size_t i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)p[i];
            o[i] = (char)(ch + (((unsigned)(ch - 'A') < 26u) << 5));
        }
    } else {
        memcpy(b->arena + b->arena_len, p, n);
    }
    b->arena_len += n;
    b->arena[b->arena_len++] = '\0';
    return 0;
}

/* Concatenation of tokens a and a+1 (a CJK bigram). */
static int emit_pair(TmlTokBuf *b, int a) {
    size_t la = b->off[a + 1] - b->off[a] - 1;
    size_t lb = strlen(b->arena + b->off[a + 1]);
    char tmp[16]; /* two code points of at most 4 bytes */
    if (la + lb > sizeof tmp) return 0;
    memcpy(tmp, b->arena + b->off[a], la);
    memcpy(tmp + la, b->arena + b->off[a + 1], lb);
    return emit(b, tmp, la + lb);
}

static int ascii_ieq_prefix(const unsigned char *s, size_t len, const char *pre) {
    size_t n = strlen(pre);
    if (len < n) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
        if (c != (unsigned char)pre[i]) return 0;
    }
    return 1;
}

/* Length of a URL starting at s (http://, https:// or www.), 0 when none. It runs to whitespace,
 * a CJK character or a bracket/quote; trailing sentence punctuation is not part of it. */
static size_t match_url(const unsigned char *s, size_t len) {
    size_t i;
    if (ascii_ieq_prefix(s, len, "https://")) i = 8;
    else if (ascii_ieq_prefix(s, len, "http://")) i = 7;
    else if (ascii_ieq_prefix(s, len, "www.")) i = 4;
    else return 0;
    size_t host = i;
    while (i < len) {
        unsigned char c = s[i];
        if (c <= ' ' || strchr("<>\"'`()[]{}|\\^", c)) break;
        if (c >= 0x80) {
            int32_t cp;
            int k = cp_at(s, len, i, &cp);
            if (tml_textfeat_is_cjk(cp) || classify(cp) == CL_SEP) break;
            i += (size_t)k;
            continue;
        }
        i++;
    }
    while (i > host && strchr(".,;:!?", s[i - 1])) i--;
    return i > host ? i : 0;
}

static int is_email_local(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '%' || c == '+' || c == '-';
}
static int is_alnum_dash(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* Length of an e-mail address local@label.label[...] starting at s, 0 when none. */
static size_t match_email(const unsigned char *s, size_t len) {
    size_t i = 0;
    while (i < len && is_email_local(s[i])) i++;
    if (i == 0 || i >= len || s[i] != '@') return 0;
    i++;
    int labels = 0;
    size_t end = 0;
    for (;;) {
        size_t st = i;
        while (i < len && is_alnum_dash(s[i])) i++;
        if (i == st) break;
        labels++;
        end = i;
        if (i < len && s[i] == '.' && i + 1 < len && is_alnum_dash(s[i + 1])) {
            i++;
            continue;
        }
        break;
    }
    return labels >= 2 ? end : 0;
}

/* Scans the (validated, normalized) buffer into tokens. */
static int scan(TmlTokBuf *b, const TmlTextConfig *c, const unsigned char *s, size_t len) {
    int cjk_first = -1, cjk_n = 0; /* current run of CJK single-character tokens */
    int prev_word = 0;             /* previous code point belonged to a word (placeholder boundary) */
    size_t i = 0;
    while (i < len) {
        int32_t cp;
        int k = cp_at(s, len, i, &cp);
        int cl = classify(cp);
        if (cl != CL_CJK && cjk_n > 0) {
            if (c->cjk_bigrams)
                for (int a = cjk_first; a + 1 < cjk_first + cjk_n; a++)
                    if (emit_pair(b, a)) return -1;
            cjk_n = 0;
        }
        if (c->placeholders && !prev_word && cp < 0x80) {
            size_t m = 0;
            const char *ph = NULL;
            if ((cp == 'h' || cp == 'H' || cp == 'w' || cp == 'W') && (m = match_url(s + i, len - i))) ph = "<url>";
            else if (cp == '@' && i + 1 < len) {
                int32_t nx;
                int k2 = cp_at(s, len, i + 1, &nx);
                if (classify(nx) == CL_WORD) {
                    m = 1 + (size_t)k2;
                    while (i + m < len) {
                        int kk = cp_at(s, len, i + m, &nx);
                        if (classify(nx) != CL_WORD) break;
                        m += (size_t)kk;
                    }
                    ph = "<user>";
                }
            }
            if (ph) {
                if (emit(b, ph, strlen(ph))) return -1;
                i += m;
                prev_word = 1;
                continue;
            }
        }
        if (cl == CL_CJK) {
            if (cjk_n == 0) cjk_first = b->n;
            if (emit(b, (const char *)s + i, (size_t)k)) return -1;
            cjk_n++;
            i += (size_t)k;
            prev_word = 1;
            continue;
        }
        if (cl == CL_SYMBOL) {
            if (emit(b, (const char *)s + i, (size_t)k)) return -1;
            i += (size_t)k;
            prev_word = 0;
            continue;
        }
        if (cl == CL_SEP) {
            i += (size_t)k;
            prev_word = 0;
            continue;
        }
        /* A word: word characters, plus an apostrophe between two word characters and a . , : / -
         * between two digits (so 1,234.56 and 2024-01-05 stay one number). */
        size_t st = i, j = i;
        int all_num = 1, curly = 0;
        int32_t last = 0;
        while (j < len) {
            unsigned char ch = s[j];
            if (ch < 0x80 && ASCII_CLASS[ch]) { /* fast path: ASCII letters, digits, '_' */
                all_num &= ch >= '0' && ch <= '9';
                last = ch;
                j++;
                continue;
            }
            int32_t q;
            int kq = cp_at(s, len, j, &q);
            int cq = classify(q);
            if (cq == CL_WORD) {
                if (!is_digit_cp(q)) all_num = 0;
                last = q;
                j += (size_t)kq;
                continue;
            }
            int apos = q == '\'' || q == 0x2019;
            int numsep = q == '.' || q == ',' || q == ':' || q == '/' || q == '-';
            if ((apos || numsep) && j + (size_t)kq < len) {
                int32_t nx;
                cp_at(s, len, j + (size_t)kq, &nx);
                if (apos && classify(nx) == CL_WORD) {
                    all_num = 0;
                    curly |= q == 0x2019;
                    j += (size_t)kq;
                    continue;
                }
                if (numsep && is_digit_cp(last) && is_digit_cp(nx)) {
                    j += (size_t)kq;
                    continue;
                }
            }
            break;
        }
        /* An e-mail's local part is [A-Za-z0-9._%+-]+ then '@': the word can only be one when it
         * stops at one of those characters (checked here so plain words are scanned once). */
        if (c->placeholders && !prev_word && s[st] < 0x80 && j < len && s[j] < 0x80 && strchr("@._%+-", s[j])) {
            size_t m = match_email(s + st, len - st);
            if (m) {
                if (emit(b, "<email>", 7)) return -1;
                i = st + m;
                prev_word = 1;
                continue;
            }
        }
        if (c->placeholders && all_num) {
            if (emit(b, "<num>", 5)) return -1;
        } else if (curly && c->normalize) {
            /* Typographic apostrophes (don’t) count as ASCII ones (don't). */
            if (emit(b, (const char *)s + st, j - st)) return -1;
            char *w = b->arena + b->off[b->n - 1], *o = w;
            for (const char *p = w; *p;) {
                if ((unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 && (unsigned char)p[2] == 0x99) {
                    *o++ = '\'';
                    p += 3;
                } else {
                    *o++ = *p++;
                }
            }
            *o++ = '\0';
            b->arena_len = (size_t)(o - b->arena);
        } else if (emit(b, (const char *)s + st, j - st)) {
            return -1;
        }
        i = j;
        prev_word = 1;
    }
    if (cjk_n > 0 && c->cjk_bigrams)
        for (int a = cjk_first; a + 1 < cjk_first + cjk_n; a++)
            if (emit_pair(b, a)) return -1;
    return 0;
}

int tml_textfeat_tokbuf_run(TmlTokBuf *b, const TmlTextConfig *c, const char *text, size_t len, TmlError *err) {
    b->n = 0;
    b->arena_len = 0;
    const unsigned char *s = (const unsigned char *)text;
    /* 1. validate (and optionally repair) */
    int ascii = 1, bad = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] < 0x80) { /* skip ASCII 8 bytes at a time */
            uint64_t w8;
            while (i + 8 <= len && (memcpy(&w8, s + i, 8), (w8 & 0x8080808080808080ull) == 0)) i += 8;
            while (i < len && s[i] < 0x80) i++;
            continue;
        }
        ascii = 0;
        int32_t cp;
        int k = utf8_decode(s + i, len - i, &cp);
        if (!k) {
            if (!c->invalid_utf8)
                return tml_fail(err, "invalid UTF-8 at byte %zu (0x%02X); re-encode the file as UTF-8 or set "
                                     "[text] invalid_utf8 = replace",
                                i, s[i]);
            bad = 1;
            break;
        }
        i += (size_t)k;
    }
    if (bad) {
        if (grow((void **)&b->clean, &b->clean_cap, 3 * len + 1, 1)) return tml_fail(err, "out of memory");
        size_t o = 0;
        for (size_t i = 0; i < len;) {
            int32_t cp;
            int k = s[i] < 0x80 ? 1 : utf8_decode(s + i, len - i, &cp);
            if (!k) { /* each invalid byte becomes U+FFFD */
                memcpy(b->clean + o, "\xEF\xBF\xBD", 3);
                o += 3;
                i++;
            } else {
                memcpy(b->clean + o, s + i, (size_t)k);
                o += (size_t)k;
                i += (size_t)k;
            }
        }
        b->clean[o] = '\0';
        s = (const unsigned char *)b->clean;
        len = o;
    }
    /* 2. normalize */
    if (c->normalize) {
        if (ascii) { /* NFKC is the identity on ASCII and case folding is tolower: done in emit() */
            b->lower_emit = 1;
        } else {
            const utf8proc_option_t opts =
                UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE;
            utf8proc_ssize_t need = len + 1;
            for (;;) {
                if (grow((void **)&b->u32, &b->u32_cap, (size_t)need + 1, sizeof(int32_t)))
                    return tml_fail(err, "out of memory");
                need = utf8proc_decompose(s, (utf8proc_ssize_t)len, b->u32, (utf8proc_ssize_t)b->u32_cap - 1, opts);
                if (need < 0) return tml_fail(err, "cannot normalize text: %s", utf8proc_errmsg(need));
                if ((size_t)need + 1 <= b->u32_cap) break;
            }
            utf8proc_ssize_t n = utf8proc_reencode(b->u32, need, opts);
            if (n < 0) return tml_fail(err, "cannot normalize text: %s", utf8proc_errmsg(n));
            s = (const unsigned char *)b->u32;
            len = (size_t)n;
        }
    }
    /* 3. tokens */
    int rc = scan(b, c, s, len);
    b->lower_emit = 0;
    if (rc) return tml_fail(err, "out of memory while tokenizing");
    size_t tcap = (size_t)b->tok_cap;
    if (grow((void **)&b->tok, &tcap, (size_t)b->n, sizeof *b->tok)) return tml_fail(err, "out of memory");
    b->tok_cap = (int)tcap;
    for (int t = 0; t < b->n; t++) b->tok[t] = b->arena + b->off[t];
    return 0;
}

void tml_textfeat_config_default(TmlTextConfig *c) {
    memset(c, 0, sizeof *c);
    c->normalize = 1;
    c->placeholders = 1;
    c->cjk_bigrams = 1;
    c->word_ngrams = 2;
    c->minn = 0;
    c->maxn = 0;
    c->buckets = 2000000;
    c->min_count = 1;
    c->tfidf = 0;
    c->invalid_utf8 = 0;
}

int tml_textfeat_tokenize(const TmlTextConfig *c, const char *text, char ***tokens, TmlError *err) {
    *tokens = NULL;
    TmlTokBuf b;
    tml_textfeat_tokbuf_init(&b);
    if (tml_textfeat_tokbuf_run(&b, c, text, strlen(text), err)) {
        tml_textfeat_tokbuf_free(&b);
        return -1;
    }
    char **out = (char **)calloc((size_t)b.n + 1, sizeof *out);
    int ok = out != NULL;
    for (int t = 0; ok && t < b.n; t++) ok = (out[t] = strdup(b.tok[t])) != NULL;
    int n = b.n;
    tml_textfeat_tokbuf_free(&b);
    if (!ok) {
        if (out) tml_textfeat_tokens_free(out, n);
        return tml_fail(err, "out of memory while tokenizing");
    }
    *tokens = out;
    return n;
}

void tml_textfeat_tokens_free(char **tokens, int n) {
    if (!tokens) return;
    for (int i = 0; i < n; i++) free(tokens[i]);
    free(tokens);
}
