/* config.h — INI configuration (inih) as a flat list of section.key = value entries, with
 * `--set section.key=value` overrides and typo detection against the keys each module declares.
 * The whole config is saved inside every model file so a model records how it was made. */
#ifndef TICKETML_DATA_CONFIG_H
#define TICKETML_DATA_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "ticketml/error.h"

typedef struct TmlConfigEntry {
    char *key;   /* "section.key" */
    char *value;
    int line;    /* 1-based line in the file, 0 for --set or defaults */
} TmlConfigEntry;

typedef struct TmlConfig {
    char *path;  /* file it came from, or "<string>" */
    int n, cap;
    TmlConfigEntry *entries;
} TmlConfig;

/* Parses an INI file. A syntax error names file:line. Caller frees with tml_config_free. */
TmlConfig *tml_config_load(const char *path, TmlError *err);
/* Parses INI text held in memory (model files store the config as text). */
TmlConfig *tml_config_parse(const char *text, const char *name, TmlError *err);
void tml_config_free(TmlConfig *c);
/* Applies "section.key=value" (from --set); replaces or adds. -1 if malformed. */
int tml_config_set(TmlConfig *c, const char *assignment, TmlError *err);
/* Typed getters: the value when present, else def. A value that does not parse is an error naming
 * file:line, key, value and the expected type (return -1). */
const char *tml_config_str(const TmlConfig *c, const char *key, const char *def);
int tml_config_int(const TmlConfig *c, const char *key, int64_t def, int64_t *out, TmlError *err);
int tml_config_double(const TmlConfig *c, const char *key, double def, double *out, TmlError *err);
int tml_config_bool(const TmlConfig *c, const char *key, int def, int *out, TmlError *err);
/* Index of the key's value (def when absent) in names[0..n) (exact match), or -1 with an error
 * naming file:line, the key, the value and the choices. */
int tml_config_choice(const TmlConfig *cfg, const char *key, const char *def, const char *const *names, int n,
                      TmlError *err);
/* Where key's value came from, for messages: "file:line: key = \"value\"", "--set key=value", or
 * "key (default)" when absent. */
void tml_config_where(const TmlConfig *c, const char *key, char *buf, size_t n);
/* Checks every key against known[0..n_known) (NULL-terminated list of "section.key"; a pattern
 * "section.*" accepts any key of the section). An unknown key is an error naming file:line and
 * the closest known key ("did you mean ...?"). */
int tml_config_check_keys(const TmlConfig *c, const char *const *known, TmlError *err);
/* Serializes back to INI text (malloc'd; caller frees), sections in first-seen order. */
char *tml_config_to_string(const TmlConfig *c);

#endif
