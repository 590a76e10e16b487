/* synth_shift.c — the drift knob (--shift-date, --shift): from a given day on, the ticket stream
 * changes as a real one does after a launch or a price change. Intents move (roaming, data and
 * device questions up, lost cards and password resets down), new words appear (a new wallet and a
 * travel eSIM, chat shorthand such as "pls"/"acct"), more English writers code-switch, and
 * customers who join from that day on come on worse terms (more month-to-month, higher charges,
 * more electronic checks). Every draw comes from the shift's own streams, so a corpus without the
 * knob is byte-identical to one generated before it existed, and the rows before the date do not
 * change. Strength s in [0, 1] scales every effect (0 = none). */
#include <string.h>

#include "synth/synth_internal.h"

/* Multiplicative change of each intent's weight at full strength (1 = unchanged). */
static const double INTENT_FACTOR[SYNTH_N_INTENTS] = {
    [SI_CARD_LOST] = 0.4,          [SI_REFUND_REQUEST] = 1,    [SI_BILLING_DISPUTE] = 1.3,
    [SI_CANCEL_SUBSCRIPTION] = 1,  [SI_UPGRADE_PLAN] = 1,      [SI_NETWORK_OUTAGE] = 1,
    [SI_PASSWORD_RESET] = 0.5,     [SI_DELIVERY_DELAY] = 2,    [SI_PAYMENT_FAILED] = 1,
    [SI_SLOW_INTERNET] = 1,        [SI_SIM_REPLACEMENT] = 1,   [SI_ACCOUNT_LOCKED] = 1,
    [SI_ROAMING_ACTIVATION] = 4,   [SI_CHANGE_ADDRESS] = 1,    [SI_INVOICE_REQUEST] = 0.5,
    [SI_DATA_USAGE_QUERY] = 2.5,   [SI_DEVICE_REPAIR] = 2,     [SI_TRANSFER_FAILED] = 1,
    [SI_UPDATE_PAYMENT_METHOD] = 1, [SI_CONTRACT_RENEWAL] = 1,
};

static const char *const NEW_EN[] = {
    "It's about the new NovaPay wallet.",
    "I set up the eSIM TravelPass last week.",
    "This is on the 5G+ Booster add-on.",
    "The NovaPay wallet keeps asking for a passkey.",
    "My TravelPass bundle shows the wrong zone.",
    "Tried the same in the NovaPay app, no luck.",
    NULL,
};

static const char *const NEW_ZH[] = {
    "是关于新的NovaPay钱包。",
    "我上周开通了eSIM漫游通行证。",
    "是5G加速包的问题。",
    "NovaPay钱包一直要我输入通行密钥。",
    NULL,
};

/* Chat shorthand replacing whole words. */
static const char *const SLANG[][2] = {
    {"please", "pls"}, {"Please", "Pls"}, {"account", "acct"}, {"thanks", "thx"}, {"Thanks", "Thx"},
    {"message", "msg"}, {"because", "bc"}, {"tomorrow", "tmrw"},
};

void tml_synth_shift_intents(double *w, double s) {
    for (int i = 0; i < SYNTH_N_INTENTS; i++)
        if (INTENT_FACTOR[i] != 1) w[i] *= tml_synth_exp(s * tml_synth_log(INTENT_FACTOR[i]));
}

static int word_byte(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Replaces whole-word occurrences of from by the shorter to, in place; returns the new length. */
static size_t replace_words(char *t, size_t len, const char *from, const char *to) {
    size_t nf = strlen(from), nt = strlen(to), w = 0;
    for (size_t i = 0; i < len;) {
        if (i + nf <= len && !memcmp(t + i, from, nf) && (i == 0 || !word_byte(t[i - 1])) &&
            (i + nf == len || !word_byte(t[i + nf]))) {
            memcpy(t + w, to, nt);
            w += nt;
            i += nf;
        } else {
            t[w++] = t[i++];
        }
    }
    t[w] = 0;
    return w;
}

size_t tml_synth_shift_text(char *text, size_t len, int lang, double s, SynthRng *r) {
    if (tml_synth_rng_chance(r, 0.55 * s)) {
        const char *const *bank = lang == SYNTH_LANG_ZH ? NEW_ZH : NEW_EN;
        const char *add = bank[tml_synth_rng_below(r, (uint32_t)tml_synth_list_len(bank))];
        size_t n = strlen(add);
        if (len + 1 + n < SYNTH_TEXT_MAX) {
            if (len && lang != SYNTH_LANG_ZH) text[len++] = ' ';
            memcpy(text + len, add, n + 1);
            len += n;
        }
    }
    if (lang != SYNTH_LANG_ZH && tml_synth_rng_chance(r, 0.4 * s))
        for (size_t k = 0; k < sizeof SLANG / sizeof SLANG[0]; k++) len = replace_words(text, len, SLANG[k][0], SLANG[k][1]);
    return len;
}
