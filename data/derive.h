/* derive.h — engineered tabular columns, declared in [tabular] and usable by every tabular model:
 * ratios (A/B), sums (A+B+...), buckets of a numeric column, counts of conditions that hold
 * (col=value, col!=value), and crosses of two categorical columns (A*B), given or chosen on the
 * validation split (crosses = auto). They are computed from a row's own cells, appended to the
 * table before the tabular features are fitted, and recorded with the features as text in the
 * config's syntax, so eval, explain and the serving library compute them the same way.
 * Syntax and naming in docs/config.md. */
#ifndef TICKETML_DATA_DERIVE_H
#define TICKETML_DATA_DERIVE_H

#include <stdint.h>

#include "data/config.h"
#include "data/table.h"
#include "ticketml/error.h"

typedef enum TmlDeriveKind {
    TML_DERIVE_RATIO = 0, /* numeric: src[0] / src[1]; blank when either is blank or src[1] is 0 */
    TML_DERIVE_SUM,       /* numeric: src[0] + ...; blank when any is blank */
    TML_DERIVE_BUCKET,    /* categorical: which of the ranges split at edges holds src[0] */
    TML_DERIVE_COUNT,     /* numeric: how many of src[i] (=|!=) values[i] hold */
    TML_DERIVE_CROSS,     /* categorical: "a|b" of src[0], src[1]; blank when either is blank */
} TmlDeriveKind;

typedef struct TmlDerived {
    TmlDeriveKind kind;
    char *name; /* the new column: "A/B", "A+B", "A_bucket", the count's name, "A*B" */
    int n_src;
    char **src;      /* (n_src) source columns */
    char **values;   /* count: (n_src) the value compared with */
    uint8_t *negate; /* count: (n_src) 1 for != */
    int n_edges;
    double *edges; /* bucket: ascending */
} TmlDerived;

typedef struct TmlDeriveSpec {
    int n;
    TmlDerived *d;
    int auto_crosses; /* crosses = auto: choose them with tml_derive_choose_crosses */
    int max_crosses;
} TmlDeriveSpec;

/* Reads [tabular] ratios, sums, buckets, counts, crosses, max_crosses. *out is NULL when none is
 * set. Errors name file:line and key. Caller frees with tml_derive_free. */
int tml_derive_from_config(const TmlConfig *cfg, TmlDeriveSpec **out, TmlError *err);
/* Parses the text form tml_derive_to_text writes (lines "key = value"); NULL with err set. */
TmlDeriveSpec *tml_derive_parse(const char *text, TmlError *err);
/* The spec as text in the config's syntax (malloc'd; caller frees); chosen crosses are explicit. */
char *tml_derive_to_text(const TmlDeriveSpec *s);
void tml_derive_free(TmlDeriveSpec *s);
/* 1 when derived column k is categorical (buckets, crosses), 0 numeric. */
int tml_derive_is_categorical(const TmlDerived *d);

/* A table that is t plus the derived columns (cells point into t and into one block of new text):
 * free with tml_derive_table_free, never tml_table_free. Missing source columns are an error
 * naming the file and the column. */
TmlTable *tml_derive_table(const TmlDeriveSpec *s, const TmlTable *t, TmlError *err);
void tml_derive_table_free(TmlTable *t);
/* One record of named fields (the serving API's): malloc'd arrays of n + s->n names and values,
 * the derived ones appended (names borrowed from s, values owned: free them with
 * tml_derive_row_free). */
int tml_derive_row(const TmlDeriveSpec *s, char *const *names, char *const *values, int n, char ***out_names,
                   char ***out_values, TmlError *err);
void tml_derive_row_free(const TmlDeriveSpec *s, char **names, char **values, int n);

/* crosses = auto: scores every pair of candidate columns (categorical columns with 2..max_levels
 * training values, bucket columns included) by how much the validation log-loss of smoothed class
 * rates per pair beats the pair's two columns combined additively, and adds up to max_crosses
 * crosses that gain at least min_gain nats. labels: class index per row (-1 ignored); split:
 * 0 train, 1 valid per row. candidates: column names (n_cand). Prints nothing. */
int tml_derive_choose_crosses(TmlDeriveSpec *s, const TmlTable *t, const int32_t *labels, int n_classes,
                              const uint8_t *split, char *const *candidates, int n_cand, TmlError *err);

#endif
