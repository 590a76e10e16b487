/* fuzz_config.c — libFuzzer target: any bytes as an INI config must parse or fail with a message
 * naming the file and line; a parsed config must pass through the key check, the [train] options
 * and every typed getter without crashing, and must survive the text round trip model files rely
 * on (a model stores its config as text and parses it again on load). Built by scripts/fuzz.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/config.h"
#include "trainer/options.h"
#include "trainer/train.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The text a model file stores must parse back to the same keys and values. */
static void roundtrip(const TmlConfig *c) {
    TmlError err;
    char *back = tml_config_to_string(c);
    if (!back) return;
    TmlConfig *c2 = tml_config_parse(back, "fuzz-roundtrip.ini", &err);
    if (!c2 || c2->n != c->n) abort();
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->entries[i].value, tml_config_str(c2, c->entries[i].key, "\x01missing")) != 0) abort();
    tml_config_free(c2);
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    TmlError err = {{0}};
    TmlConfig *c = tml_config_parse(text, "fuzz.ini", &err);
    if (!c) {
        if (!strstr(err.msg, "fuzz.ini")) abort(); /* every parse error names the file */
        free(text);
        return 0;
    }
    (void)tml_config_check_keys(c, tml_options_known_keys(), &err);
    TmlTrainOptions o;
    (void)tml_train_options_from_config(c, &o, &err);
    for (int i = 0; i < c->n; i++) {
        int64_t v;
        double d;
        int b;
        char where[700];
        (void)tml_config_int(c, c->entries[i].key, 0, &v, &err);
        (void)tml_config_double(c, c->entries[i].key, 0, &d, &err);
        (void)tml_config_bool(c, c->entries[i].key, 0, &b, &err);
        tml_config_where(c, c->entries[i].key, where, sizeof where);
        if (!tml_config_str(c, c->entries[i].key, NULL)) abort();
    }
    roundtrip(c);
    /* the same bytes as a --set assignment: accepted ones must round-trip too */
    if (tml_config_set(c, text, &err) == 0) roundtrip(c);
    tml_config_free(c);
    free(text);
    return 0;
}
