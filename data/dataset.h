/* dataset.h — the data layer's product: featurized rows ready for the backend (CSR text features
 * and/or dense tabular features, label indices), and the fitted featurization state (TmlFeatures)
 * that turns any later file or single record into the same features. TmlFeatures saves itself into
 * an HDF5 group, so model files, the dataset cache and the serving export all share one layout.
 *
 * Config keys read here (all documented in docs/config.md):
 *   [data]    kind = text | tabular; train, valid, test = paths (valid/test optional: split off train
 *             by valid_frac/test_frac, stratified, by seed); format = auto|csv|jsonl;
 *             text = column[,column...] (joined with a space); label = column; id = column;
 *             seed = 42; valid_frac = 0.1; test_frac = 0; positive = label value of the positive
 *             class for binary models;
 *             tickets = path (tabular: ticket file joined for history features); history = bool;
 *             customer = customer id column (default customer_id); cutoff = ISO date
 *   [text]    see TmlTextConfig: normalize, placeholders, cjk_bigrams, word_ngrams, minn, maxn,
 *             buckets, min_count, tfidf, invalid_utf8 (error|replace)
 *   [tabular] numeric = cols; categorical = cols; ignore = cols (others inferred);
 *             impute = median|mean|zero; missing = auto|impute|keep (auto: keep for model.type =
 *             gbdt); ratios, sums, buckets, counts, crosses, max_crosses (data/derive.h)
 * Paths may use ${TICKETML_DATA} (default ../shared/datasets); relative paths are taken from the
 * current directory. */
#ifndef TICKETML_DATA_DATASET_H
#define TICKETML_DATA_DATASET_H

#include <hdf5.h>
#include <stdint.h>

#include "data/config.h"
#include "data/derive.h"
#include "data/history.h"
#include "data/labels.h"
#include "data/tabular.h"
#include "data/textfeat.h"
#include "ticketml/error.h"

typedef enum TmlDataKind { TML_DATA_TEXT = 0, TML_DATA_TABULAR = 1 } TmlDataKind;

/* Featurized rows. Text kind fills the CSR arrays; tabular kind fills dense. */
typedef struct TmlDataset {
    TmlDataKind kind;
    int64_t n_rows;
    int64_t *offsets;  /* (n_rows+1) CSR into ids/w; text only */
    int32_t *ids;      /* (nnz) feature ids < TmlFeatures.dim */
    float *w;          /* (nnz) TF-IDF weights, or NULL */
    int dim;           /* tabular: width of dense */
    float *dense;      /* (n_rows, dim) row-major; tabular only */
    int32_t *labels;   /* (n_rows) class index; -1 = label not in the model's label map */
    char **texts;      /* (n_rows) raw joined text (text kind), for reports and explanations */
    char **row_ids;    /* (n_rows) id column value, or NULL when the data has no id column */
    char **raw_labels; /* (n_rows) label as written in the file (reports name unknown labels) */
    int64_t *lines;    /* (n_rows) 1-based source line */
    char *source;      /* path the rows came from */
} TmlDataset;

void tml_dataset_free(TmlDataset *d);
/* A new dataset holding the rows i with mask[i] == value, in order (deep copy; caller frees with
 * tml_dataset_free). NULL when out of memory. */
TmlDataset *tml_dataset_select(const TmlDataset *d, const uint8_t *mask, uint8_t value);

/* The fitted featurization: everything needed to featurize new data identically. */
typedef struct TmlFeatures {
    TmlDataKind kind;
    char *text_cols;          /* comma-separated column names joined into the text */
    char *label_col;
    char *id_col;             /* may be NULL */
    TmlTextFeaturizer *text;  /* text kind */
    TmlTabular *tab;          /* tabular kind: attribute columns */
    TmlDeriveSpec *derive;    /* tabular kind: engineered columns appended before tab (NULL: none) */
    int use_history;          /* tabular kind: append ticket-history features */
    TmlHistoryConfig history;
    int history_dim;
    char **history_names;     /* (history_dim) */
    TmlLabelMap *labels;
    int positive;             /* index of the positive class for binary models, else -1 */
    int labels_replace;       /* fitting text data under [text] invalid_utf8 = replace (a loaded model
                               * reads it from its text settings): invalid label bytes become U+FFFD */
    int64_t dim;              /* text: feature ids; tabular: dense width = tab->dim (tab's input
                               * columns: the file's, then history_dim history columns, then the
                               * derived ones) */
} TmlFeatures;

/* Reads the config's data files, fits features on the train rows only, and featurizes train,
 * valid and test (valid/test may come back NULL when neither given nor split off). Every file or
 * config problem is one error naming file:line and the fix. Caller frees all outputs. */
int tml_features_fit(const TmlConfig *cfg, TmlFeatures **features, TmlDataset **train,
                     TmlDataset **valid, TmlDataset **test, TmlError *err);
/* Featurizes another file with fitted features (evaluation, fine-tuning). Missing columns are an
 * error; labels unknown to the map get index -1 (counted and named by the caller's report).
 * tickets_path: the tickets file for history features (tabular with history), else NULL. */
TmlDataset *tml_features_transform_file(const TmlFeatures *f, const char *path, const char *tickets_path,
                                        TmlError *err);
/* The same for a table already in memory (the drift monitor reads each file once for its own
 * columns too). label_optional: a table without the label column gives every row label -1 and an
 * empty raw label instead of an error. */
TmlDataset *tml_features_transform_table(const TmlFeatures *f, const TmlTable *t, const char *tickets_path,
                                         int label_optional, TmlError *err);
/* One text -> features (CSR of one row, malloc'd arrays; w NULL without tfidf). */
int tml_features_text(const TmlFeatures *f, const char *text, int64_t **offsets, int32_t **ids, float **w,
                      TmlError *err);
void tml_features_free(TmlFeatures *f);

/* HDF5: write / read the fitted features as a group `name` under loc (documented in
 * docs/model-format.md). */
int tml_features_save(hid_t loc, const char *name, const TmlFeatures *f, TmlError *err);
TmlFeatures *tml_features_load(hid_t loc, const char *name, TmlError *err);

/* Dataset cache (`ticketml data`): featurized train/valid/test plus the features, keyed by a
 * fingerprint of the config text and the source files (size + mtime + first/last bytes); a stale
 * cache is rebuilt. Written to a temp name and renamed. */
int tml_cache_write(const char *path, const TmlConfig *cfg, const TmlFeatures *f, const TmlDataset *train,
                    const TmlDataset *valid, const TmlDataset *test, TmlError *err);
/* Checks, before any work, that a cache path can be written and is none of the config's data files
 * (data.train/valid/test/tickets): "delete it to rebuild" must never point at the data. 0 / -1. */
int tml_cache_check_path(const char *path, const TmlConfig *cfg, TmlError *err);
/* Returns 1 and fills outputs when the cache is fresh for cfg, 0 when stale or absent, -1 on a
 * corrupt file. */
int tml_cache_read(const char *path, const TmlConfig *cfg, TmlFeatures **f, TmlDataset **train,
                   TmlDataset **valid, TmlDataset **test, TmlError *err);

/* Expands ${TICKETML_DATA} in a config path (malloc'd result; caller frees). */
char *tml_data_path(const char *path);

#endif
