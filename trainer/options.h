/* options.h — the one registry of config keys: the common keys (data, text, tabular, the [model]
 * type and task, [train], [eval], [explain]) in trainer/options.c plus each registered family's
 * own keys (TmlFamily.config_keys). A config, after its --set overrides, is checked against their
 * union, so a typo is an error naming the closest known key. */
#ifndef TICKETML_TRAINER_OPTIONS_H
#define TICKETML_TRAINER_OPTIONS_H

#include "data/config.h"

/* Every known key, NULL-terminated, grouped by section (common keys first, then the families' in
 * registration order; duplicates once). Static storage, built on first use. NULL when out of
 * memory. */
const char *const *tml_options_known_keys(void);

/* Loads the INI file at path, applies sets[0..n_sets) ("section.key=value") and checks every key
 * is known. NULL with err set ("--set KEY=VALUE: ..." for a bad override); caller frees with
 * tml_config_free. */
TmlConfig *tml_options_load(const char *path, const char *const *sets, int n_sets, TmlError *err);

#endif
