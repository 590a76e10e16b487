/* options.c — the config-key registry (see options.h): the common keys, each read where the
 * comment says, and the union with the families' keys. */
#include "trainer/options.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/model.h"

/* Keys every model reads, whatever its family. A family's own keys go in its TmlFamily table. */
static const char *const COMMON_KEYS[] = {
    /* data/dataset.c */
    "data.kind", "data.train", "data.valid", "data.test", "data.format", "data.text", "data.label", "data.id",
    "data.seed", "data.valid_frac", "data.test_frac", "data.positive", "data.tickets", "data.history",
    "data.customer", "data.cutoff",
    /* eval/drift*.c: the timestamp column of the time view */
    "data.time",
    "text.normalize", "text.placeholders", "text.cjk_bigrams", "text.word_ngrams", "text.minn", "text.maxn",
    "text.buckets", "text.min_count", "text.tfidf", "text.invalid_utf8",
    "tabular.numeric", "tabular.categorical", "tabular.ignore", "tabular.impute", "tabular.missing",
    /* data/derive.c */
    "tabular.ratios", "tabular.sums", "tabular.buckets", "tabular.counts", "tabular.crosses", "tabular.max_crosses",
    /* trainer/model.c (type picks the family), trainer/run.c (task) */
    "model.task", "model.type",
    /* trainer/train.c; train.device: trainer/run.c */
    "train.optimizer", "train.lr", "train.schedule", "train.warmup", "train.epochs", "train.batch_size",
    "train.weight_decay", "train.clip", "train.label_smoothing", "train.class_weight", "train.seed",
    "train.metric", "train.patience", "train.eval_every", "train.freeze_embeddings", "train.beta1",
    "train.beta2", "train.eps", "train.checkpoint_every", "train.device",
    /* eval/ */
    "eval.top_k", "eval.threshold", "eval.target_accuracy", "eval.batch_size", "eval.segments",
    "explain.samples", "explain.features", "explain.kernel_width", "explain.seed",
    NULL};

static const char **g_known;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static size_t section_len(const char *key) {
    const char *dot = strchr(key, '.');
    return dot ? (size_t)(dot - key) : strlen(key);
}

static int same_section(const char *a, const char *b) {
    size_t n = section_len(a);
    return n == section_len(b) && !strncmp(a, b, n);
}

static int listed(const char **v, int n, const char *key) {
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i], key)) return 1;
    return 0;
}

/* Appends the keys of lists (NULL-terminated lists of NULL-terminated lists) whose section is sec
 * (sec NULL: those in no section of COMMON_KEYS), skipping duplicates. */
static int add_section(const char **out, int n, const char *sec, const char *const *const *lists) {
    for (int l = 0; lists[l]; l++)
        for (const char *const *k = lists[l]; *k; k++) {
            int in = 0;
            if (sec) in = same_section(*k, sec);
            else
                for (const char *const *c = COMMON_KEYS; *c && !in; c++) in = same_section(*k, *c);
            if ((sec ? in : !in) && !listed(out, n, *k)) out[n++] = *k;
        }
    return n;
}

static void build(void) {
    int cap = 0, n_fam = 0;
    for (const char *const *c = COMMON_KEYS; *c; c++) cap++;
    for (const TmlFamily *const *f = tml_families(); *f; f++, n_fam++)
        for (const char *const *k = (*f)->config_keys; k && *k; k++) cap++;
    const char *const **lists = calloc((size_t)n_fam + 2, sizeof *lists);
    const char **out = calloc((size_t)cap + 1, sizeof *out);
    if (!lists || !out) {
        free(lists);
        free(out);
        return;
    }
    int nl = 0;
    for (const TmlFamily *const *f = tml_families(); *f; f++)
        if ((*f)->config_keys) lists[nl++] = (*f)->config_keys;
    /* section by section in COMMON_KEYS order: the common keys, then the families' */
    int n = 0;
    for (const char *const *c = COMMON_KEYS; *c; c++) {
        if (c != COMMON_KEYS && same_section(c[-1], *c)) continue;
        for (const char *const *k = c; *k && same_section(*k, *c); k++) out[n++] = *k;
        n = add_section(out, n, *c, lists);
    }
    n = add_section(out, n, NULL, lists); /* sections only a family reads, e.g. [encoder] */
    free(lists);
    g_known = out;
}

const char *const *tml_options_known_keys(void) {
    pthread_once(&g_once, build);
    return g_known;
}

TmlConfig *tml_options_load(const char *path, const char *const *sets, int n_sets, TmlError *err) {
    TmlConfig *cfg = tml_config_load(path, err);
    if (!cfg) return NULL;
    for (int i = 0; i < n_sets; i++) {
        TmlError e2;
        if (tml_config_set(cfg, sets[i], &e2) < 0) {
            tml_fail(err, "--set %s: %s", sets[i], e2.msg);
            tml_config_free(cfg);
            return NULL;
        }
    }
    const char *const *known = tml_options_known_keys();
    if (!known) {
        tml_fail(err, "out of memory");
        tml_config_free(cfg);
        return NULL;
    }
    if (tml_config_check_keys(cfg, known, err) < 0) {
        tml_config_free(cfg);
        return NULL;
    }
    return cfg;
}
