/* synth_text.c — composes one ticket's text from the phrase banks: greeting, sentiment opener,
 * follow-up note, the intent's issue, details, the ask, a wait complaint, a closer; fills {slots}
 * with per-ticket values (the same {last4} twice in one ticket), then adds human noise: typos in
 * template words (never inside slot values such as emails), casing, line breaks. No allocation. */
#include <string.h>

#include "synth/synth_internal.h"

enum {
    SL_AMOUNT, SL_AMOUNT2, SL_DATE, SL_ORDER, SL_PRODUCT, SL_PLAN, SL_CARD, SL_LAST4, SL_N, SL_NTH,
    SL_DAYS, SL_HOURS, SL_CITY, SL_COUNTRY, SL_SPEED, SL_GB, SL_MERCHANT, SL_REF, SL_EMAIL,
    SL_PHONE, SL_URL, SL_TIME, SL_BANK, SL_COURIER, SL_ADDR, SL_NAME, SL_ACCT, SL_COUNT
};
static const char *const SLOT_NAMES[SL_COUNT] = {
    "amount", "amount2", "date", "order", "product", "plan", "card", "last4", "n", "nth",
    "days", "hours", "city", "country", "speed", "gb", "merchant", "ref", "email",
    "phone", "url", "time", "bank", "courier", "addr", "name", "acct"};

#define SLOT_MAX 64

typedef struct TextCtx {
    const SynthTicketSpec *t;
    SynthRng *rng;
    char *out;
    size_t len, cap;
    int truncated;
    int prev_lang;            /* language of the last part written, -1 none */
    int prev_newline;
    int64_t typo_skip;        /* template letters left until the next typo */
    char slot[2][SL_COUNT][SLOT_MAX]; /* per-language cache of this ticket's slot values */
    unsigned char have[2][SL_COUNT];
} TextCtx;

static void put_bytes(TextCtx *c, const char *s, size_t n) {
    if (c->truncated) return;
    if (c->len + n >= c->cap) {
        c->truncated = 1;
        return;
    }
    memcpy(c->out + c->len, s, n);
    c->len += n;
}
static void put_str(TextCtx *c, const char *s) { put_bytes(c, s, strlen(s)); }
static void put_char(TextCtx *c, char ch) { put_bytes(c, &ch, 1); }

static const char *pick(SynthRng *r, const char *const *list) {
    return list[tml_synth_rng_below(r, (uint32_t)tml_synth_list_len(list))];
}

/* Geometric gap to the next typo: one log per typo instead of one draw per letter. */
static int64_t typo_gap(SynthRng *r, double rate) {
    if (rate <= 0) return INT64_MAX;
    if (rate >= 1) return 0;
    double g = tml_synth_log(1.0 - tml_rng_uniform(r)) / tml_synth_log(1.0 - rate);
    return g > 1e15 ? INT64_MAX : (int64_t)g;
}

static int is_alpha(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }

/* Template literal text, with typos in ASCII letters: swap with the next letter, drop, double,
 * or hit a neighbouring key. */
static void put_literal(TextCtx *c, const char *s, size_t n) {
    static const char *const NEAR = "qwertyuiopasdfghjklzxcvbnm";
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!is_alpha(ch) || c->typo_skip-- > 0) {
            put_char(c, ch);
            continue;
        }
        c->typo_skip = typo_gap(c->rng, c->t->typo_rate);
        switch (tml_synth_rng_below(c->rng, 4)) {
        case 0:
            if (i + 1 < n && is_alpha(s[i + 1])) {
                put_char(c, s[i + 1]);
                put_char(c, ch);
                i++;
            } else {
                put_char(c, ch);
            }
            break;
        case 1: break; /* dropped */
        case 2:
            put_char(c, ch);
            put_char(c, ch);
            break;
        default: {
            int k = (int)(strchr(NEAR, ch | 0x20) - NEAR); /* neighbour on the same keyboard row */
            int j = (k == 9 || k == 18 || k == 25) ? k - 1 : k + 1;
            put_char(c, NEAR[j]);
            break;
        }
        }
    }
}

static void fmt_amount(TextCtx *c, int lang, char *buf) {
    SynthRng *r = c->rng;
    /* Mostly small amounts, a tail up to ~2000. */
    int64_t dollars = 3 + tml_synth_rng_below(r, 60);
    if (tml_synth_rng_chance(r, 0.35)) dollars = 20 + tml_synth_rng_below(r, 400);
    if (tml_synth_rng_chance(r, 0.08)) dollars = 200 + tml_synth_rng_below(r, 1800);
    int cents = tml_synth_rng_chance(r, 0.5) ? 99 : (int)tml_synth_rng_below(r, 100);
    if (tml_synth_rng_chance(r, 0.3)) cents = 0;
    if (lang == SYNTH_LANG_ZH) {
        if (cents == 0) snprintf(buf, SLOT_MAX, "%lld元", (long long)dollars * 7);
        else snprintf(buf, SLOT_MAX, "%lld.%02d元", (long long)dollars * 7, cents);
    } else {
        switch (tml_synth_rng_below(r, 6)) {
        case 0: snprintf(buf, SLOT_MAX, "%lld dollars", (long long)dollars); break;
        case 1: snprintf(buf, SLOT_MAX, "USD %lld.%02d", (long long)dollars, cents); break;
        default: snprintf(buf, SLOT_MAX, "$%lld.%02d", (long long)dollars, cents); break;
        }
    }
}

static void fmt_digits(SynthRng *r, char *buf, int n) {
    for (int i = 0; i < n; i++) buf[i] = (char)('0' + tml_synth_rng_below(r, 10));
    buf[n] = 0;
}

/* Renders slot `id` in language lang (0 en, 1 zh) into buf. */
static void slot_render(TextCtx *c, int id, int lang, char *buf) {
    SynthRng *r = c->rng;
    const SynthSlotBank *b = lang ? &tml_synth_slots_zh : &tml_synth_slots_en;
    char d[16];
    switch (id) {
    case SL_AMOUNT:
    case SL_AMOUNT2: fmt_amount(c, lang, buf); break;
    case SL_DATE: {
        int m = 1 + (int)tml_synth_rng_below(r, 12), day = 1 + (int)tml_synth_rng_below(r, 28);
        uint32_t k = tml_synth_rng_below(r, 20);
        if (k < 8) snprintf(buf, SLOT_MAX, "%s", pick(r, b->relday));
        else if (lang) snprintf(buf, SLOT_MAX, "%d月%d日", m, day);
        else if (k < 15) snprintf(buf, SLOT_MAX, "%s %d", b->month[m - 1], day);
        else snprintf(buf, SLOT_MAX, "%d/%d", m, day);
        break;
    }
    case SL_ORDER:
        fmt_digits(r, d, 7);
        snprintf(buf, SLOT_MAX, "%s%c%s", lang ? "" : "#", (char)('A' + tml_synth_rng_below(r, 6)), d);
        break;
    case SL_PRODUCT: snprintf(buf, SLOT_MAX, "%s", pick(r, b->product)); break;
    case SL_PLAN: snprintf(buf, SLOT_MAX, "%s", pick(r, b->plan)); break;
    case SL_CARD: snprintf(buf, SLOT_MAX, "%s", pick(r, b->card)); break;
    case SL_LAST4: fmt_digits(r, buf, 4); break;
    case SL_N: snprintf(buf, SLOT_MAX, "%d", 2 + (int)tml_synth_rng_below(r, 4)); break;
    case SL_NTH: {
        static const char *const NTH[] = {"2nd", "3rd", "4th", "5th", "third", "second"};
        snprintf(buf, SLOT_MAX, "%s", NTH[tml_synth_rng_below(r, 6)]);
        break;
    }
    case SL_DAYS: snprintf(buf, SLOT_MAX, "%d", 2 + (int)tml_synth_rng_below(r, 13)); break;
    case SL_HOURS: snprintf(buf, SLOT_MAX, "%d", 2 + (int)tml_synth_rng_below(r, 47)); break;
    case SL_CITY: snprintf(buf, SLOT_MAX, "%s", pick(r, b->city)); break;
    case SL_COUNTRY: snprintf(buf, SLOT_MAX, "%s", pick(r, b->country)); break;
    case SL_SPEED:
        if (tml_synth_rng_chance(r, 0.3)) snprintf(buf, SLOT_MAX, "0.%d", 1 + (int)tml_synth_rng_below(r, 9));
        else snprintf(buf, SLOT_MAX, "%d", 1 + (int)tml_synth_rng_below(r, 20));
        break;
    case SL_GB: snprintf(buf, SLOT_MAX, "%d", 5 + (int)tml_synth_rng_below(r, 56)); break;
    case SL_MERCHANT: snprintf(buf, SLOT_MAX, "%s", pick(r, b->merchant)); break;
    case SL_REF:
        fmt_digits(r, d, 6);
        snprintf(buf, SLOT_MAX, "#%s", d);
        break;
    case SL_EMAIL: {
        static const char *const USER[] = {"jsmith", "maria.g", "dave_88", "sarah.k", "mike.t",
                                           "linda.w", "jamesb", "emma.r", "wang.wei", "li.na"};
        static const char *const DOM[] = {"example.com", "mail.example.org", "inbox.example.net"};
        /* one draw per statement: argument evaluation order differs between compilers */
        const char *user = USER[tml_synth_rng_below(r, 10)];
        int num = (int)tml_synth_rng_below(r, 100);
        snprintf(buf, SLOT_MAX, "%s%d@%s", user, num, DOM[tml_synth_rng_below(r, 3)]);
        break;
    }
    case SL_PHONE:
        fmt_digits(r, d, 4);
        if (lang) snprintf(buf, SLOT_MAX, "1380013%s", d);
        else snprintf(buf, SLOT_MAX, "+1 555-01%c%c", d[0], d[1]); /* 555-01xx: fictional */
        break;
    case SL_URL:
        fmt_digits(r, d, 6);
        switch (tml_synth_rng_below(r, 3)) {
        case 0: snprintf(buf, SLOT_MAX, "https://acmetel.example/support/%s", d); break;
        case 1: snprintf(buf, SLOT_MAX, "https://img.example.com/%s.png", d); break;
        default: snprintf(buf, SLOT_MAX, "acmetel.example/help?id=%s", d); break;
        }
        break;
    case SL_TIME: {
        int h = 1 + (int)tml_synth_rng_below(r, 12);
        if (lang) snprintf(buf, SLOT_MAX, "%s%d点", tml_synth_rng_chance(r, 0.5) ? "早上" : "晚上", h);
        else if (tml_synth_rng_chance(r, 0.3)) snprintf(buf, SLOT_MAX, "%d:30%s", h, h < 7 ? "pm" : "am");
        else snprintf(buf, SLOT_MAX, "%d%s", h, tml_synth_rng_chance(r, 0.5) ? "am" : "pm");
        break;
    }
    case SL_BANK: snprintf(buf, SLOT_MAX, "%s", pick(r, b->bank)); break;
    case SL_COURIER: snprintf(buf, SLOT_MAX, "%s", pick(r, b->courier)); break;
    case SL_ADDR: {
        int num = 1 + (int)tml_synth_rng_below(r, 300);
        const char *street = pick(r, b->street);
        if (lang) snprintf(buf, SLOT_MAX, "%s%d号", street, num);
        else snprintf(buf, SLOT_MAX, "%d %s", num, street);
        break;
    }
    case SL_NAME: snprintf(buf, SLOT_MAX, "%s", pick(r, b->name)); break;
    case SL_ACCT:
        fmt_digits(r, d, 9);
        snprintf(buf, SLOT_MAX, "AC%s", d);
        break;
    default: TML_ASSERT(0);
    }
}

static int slot_lookup(const char *name, size_t n) {
    for (int i = 0; i < SL_COUNT; i++)
        if (strlen(SLOT_NAMES[i]) == n && !memcmp(SLOT_NAMES[i], name, n)) return i;
    return -1;
}

/* Writes template tpl in language lang (0 en, 1 zh), filling {slots}. A part is separated from
 * the previous one by a space, except between two Chinese parts. */
static void put_part(TextCtx *c, const char *tpl, int lang) {
    /* Chinese runs on without spaces, except after ASCII (a URL or a number must not merge
     * with the next sentence). */
    int prev_ascii = c->len > 0 && !((unsigned char)c->out[c->len - 1] & 0x80);
    if (c->len > 0 && !c->prev_newline && !(lang == 1 && c->prev_lang == 1 && !prev_ascii))
        put_char(c, ' ');
    c->prev_newline = 0;
    c->prev_lang = lang;
    const char *p = tpl;
    while (*p) {
        const char *brace = strchr(p, '{');
        if (!brace) {
            put_literal(c, p, strlen(p));
            break;
        }
        put_literal(c, p, (size_t)(brace - p));
        const char *end = strchr(brace, '}');
        TML_ASSERT(end);
        int id = slot_lookup(brace + 1, (size_t)(end - brace - 1));
        TML_ASSERT(id >= 0); /* a bank template names an unknown slot */
        if (!c->have[lang][id]) {
            slot_render(c, id, lang, c->slot[lang][id]);
            c->have[lang][id] = 1;
        }
        put_str(c, c->slot[lang][id]);
        p = end + 1;
    }
}

static void break_line(TextCtx *c) {
    if (c->len > 0 && !c->prev_newline) {
        put_char(c, '\n');
        c->prev_newline = 1;
    }
}

/* Length of the longest prefix of s[0..n) that does not end inside a UTF-8 sequence. */
static size_t utf8_complete_prefix(const char *s, size_t n) {
    size_t p = n;
    while (p > 0 && ((unsigned char)s[p - 1] & 0xC0) == 0x80) p--;
    if (p == 0) return n;
    unsigned char lead = (unsigned char)s[p - 1];
    size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    return n - (p - 1) >= need ? n : p - 1;
}

size_t tml_synth_text_compose(const SynthTicketSpec *t, SynthRng *rng, char *out) {
    TextCtx c;
    c.t = t;
    c.rng = rng;
    c.out = out;
    c.len = 0;
    c.cap = SYNTH_TEXT_MAX - 1;
    c.truncated = 0;
    c.prev_lang = -1;
    c.prev_newline = 0;
    memset(c.have, 0, sizeof c.have);
    c.typo_skip = typo_gap(rng, t->typo_rate);

    /* Language of each part: a mixed ticket writes the issue in one language and the ask (always
     * present) in the other; its other parts pick either. */
    int issue_lang = t->lang == SYNTH_LANG_MIXED ? (int)tml_synth_rng_below(rng, 2) : t->lang;
    int ask_lang = t->lang == SYNTH_LANG_MIXED ? 1 - issue_lang : t->lang;
#define PART_LANG() (t->lang == SYNTH_LANG_MIXED ? (int)tml_synth_rng_below(rng, 2) : t->lang)
#define COMMON(l) ((l) ? &tml_synth_common_zh : &tml_synth_common_en)
    int neg = t->sentiment == SYNTH_SENT_NEG, pos = t->sentiment == SYNTH_SENT_POS;
    int ch = t->channel;

    if (ch == SYNTH_CH_SOCIAL && tml_synth_rng_chance(rng, 0.7)) {
        static const char *const AT[] = {"@AcmeTel", "@AcmeTelCare", "@AcmeTel_Help"};
        put_part(&c, AT[tml_synth_rng_below(rng, 3)], 0);
    }
    double p_greet = ch == SYNTH_CH_EMAIL ? 0.7 : ch == SYNTH_CH_SOCIAL ? 0.1 : 0.3;
    if (tml_synth_rng_chance(rng, p_greet)) {
        int l = PART_LANG();
        put_part(&c, pick(rng, COMMON(l)->greeting), l);
        if (ch == SYNTH_CH_EMAIL && tml_synth_rng_chance(rng, 0.15)) break_line(&c);
    }
    if (neg && tml_synth_rng_chance(rng, 0.40)) {
        int l = PART_LANG();
        put_part(&c, pick(rng, COMMON(l)->neg_open), l);
    } else if (pos && tml_synth_rng_chance(rng, 0.30)) {
        int l = PART_LANG();
        put_part(&c, pick(rng, COMMON(l)->pos_open), l);
    }
    if (t->repeat > 0 && tml_synth_rng_chance(rng, 0.7)) {
        int l = PART_LANG();
        put_part(&c, pick(rng, COMMON(l)->followup), l);
    }
    const char *const *issues = t->vague ? COMMON(issue_lang)->generic_issue
                                         : (issue_lang ? tml_synth_zh_issue : tml_synth_en_issue)[t->intent];
    put_part(&c, pick(rng, issues), issue_lang);
    if (tml_synth_rng_chance(rng, 0.22)) {
        int l = PART_LANG();
        put_part(&c, pick(rng, COMMON(l)->detail), l);
    }
    if (t->lang == SYNTH_LANG_MIXED || tml_synth_rng_chance(rng, 0.6)) {
        const char *const *asks = (t->vague || tml_synth_rng_chance(rng, 0.15))
                                      ? COMMON(ask_lang)->generic_ask
                                      : (ask_lang ? tml_synth_zh_ask : tml_synth_en_ask)[t->intent];
        put_part(&c, pick(rng, asks), ask_lang);
    }
    if (t->long_wait && tml_synth_rng_chance(rng, neg ? 0.5 : t->sentiment == SYNTH_SENT_NEU ? 0.08 : 0.0)) {
        int l = PART_LANG();
        put_part(&c, pick(rng, COMMON(l)->wait), l);
    }
    if (neg && tml_synth_rng_chance(rng, 0.6)) {
        int l = PART_LANG();
        put_part(&c, pick(rng, COMMON(l)->neg_close), l);
    } else if (pos && tml_synth_rng_chance(rng, 0.75)) {
        int l = PART_LANG();
        put_part(&c, pick(rng, COMMON(l)->pos_close), l);
    } else if (tml_synth_rng_chance(rng, pos ? 0.5 : 0.35)) {
        int l = PART_LANG();
        put_part(&c, pick(rng, COMMON(l)->neutral_close), l);
    }
    if (ch == SYNTH_CH_SOCIAL && (neg || pos) && tml_synth_rng_chance(rng, 0.3)) {
        static const char *const NEG_TAG[] = {"#fail", "#badservice", "#neveragain"};
        static const char *const POS_TAG[] = {"#thankyou", "#greatservice", "#happycustomer"};
        put_part(&c, (neg ? NEG_TAG : POS_TAG)[tml_synth_rng_below(rng, 3)], 0);
    }
    if (ch == SYNTH_CH_EMAIL && tml_synth_rng_chance(rng, 0.3)) {
        int l = PART_LANG();
        if (tml_synth_rng_chance(rng, 0.3)) break_line(&c);
        put_part(&c, pick(rng, COMMON(l)->signoff), l);
    }
#undef PART_LANG
#undef COMMON

    if (c.truncated) c.len = utf8_complete_prefix(out, c.len);
    out[c.len] = 0;

    /* Casing noise on ASCII letters: shouting when angry, all-lowercase chat, a lowercase start. */
    uint32_t k = tml_synth_rng_below(rng, 1000);
    if (neg && k < 60) {
        for (size_t i = 0; i < c.len; i++)
            if (out[i] >= 'a' && out[i] <= 'z') out[i] = (char)(out[i] - 32);
    } else if (k >= 900) {
        for (size_t i = 0; i < c.len; i++)
            if (out[i] >= 'A' && out[i] <= 'Z') out[i] = (char)(out[i] + 32);
    } else if (k >= 780 && c.len > 0 && out[0] >= 'A' && out[0] <= 'Z') {
        out[0] = (char)(out[0] + 32);
    }
    return c.len;
}
