/* export_model.h — the export as data: every field docs/export-format.md lists, held in memory the
 * same way whichever file format it came from or goes to (HDF5, or safetensors + JSON). The
 * trainer fills one from a loaded model (trainer/export.c) and writes it; the serving library reads
 * one back, checks it, and builds its model from it. The checksum is defined over these fields. */
#ifndef TICKETML_SERVE_EXPORT_MODEL_H
#define TICKETML_SERVE_EXPORT_MODEL_H

#include <stdint.h>

#include "data/textfeat.h"
#include "data/tokenizer.h"
#include "ticketml/error.h"

#define TML_EXPORT_FORMAT "ticketml-export"
/* The newest version this library reads. Exports are written as version 1 unless they use a
 * version-2 feature (tree models, kept missing values, derived columns): version-1 readers would
 * misread those, and version-1 exports keep their bytes and checksums. */
#define TML_EXPORT_VERSION 2
#define TML_EXPORT_HASH "fnv1a32"
#define TML_EXPORT_MAX_TENSORS 24 /* an encoder has 19 */

/* An array: weights (2-D float32), the idf vector (1-D, cols = 0), or a tree model's flat arrays
 * (float32 or int32). Key is its path, e.g. "weights/embedding", "text/idf", "trees/left". */
typedef struct TmlExportTensor {
    char key[48];
    int64_t rows, cols;  /* cols 0: 1-D of rows values */
    float *data;         /* owned: a float32 tensor (NULL for int32) */
    int32_t *ints;       /* owned: an int32 tensor (NULL for float32) */
} TmlExportTensor;

typedef struct TmlExport {
    int64_t format_version;
    char *task;          /* "intent", "sentiment", "churn" or free text */
    char *kind;          /* "text" | "tabular" */
    /* model/ */
    char *arch;          /* "linear" | "embedding" | "tabular" | "gbdt" */
    char *loss;          /* "softmax" | "ova" (gbdt: "logistic" | "softmax") */
    char *bag;           /* "mean" | "sum" (gbdt: "none") */
    int64_t in_dim, dim, hidden, n_out; /* gbdt: dense width, tree features, 0, classes */
    /* labels/ */
    int64_t n_labels;
    char **labels;       /* (n_labels) class index order */
    int64_t positive;    /* -1 when not binary */
    /* data/ */
    char *text_columns, *label_column, *id_column; /* id_column "" when none */
    /* text/ (kind text) */
    TmlTextConfig text;
    int64_t n_words;
    char **vocab;        /* (n_words) in id order */
    /* tabular/ (kind tabular) */
    int64_t tab_dim, n_cols;
    char **col_name, **col_type, **col_impute; /* (n_cols) */
    double *col_fill, *col_mean, *col_std;    /* (n_cols) */
    int64_t *col_offset, *col_n_cats;          /* (n_cols) */
    int64_t n_categories;
    char **categories;   /* (n_categories): each column's categories in one-hot order, columns in order */
    char **feature_names; /* (tab_dim) */
    int64_t tab_keep_missing; /* 1: blank numbers are NaN, not imputed (tree models) */
    char *tab_derive;    /* derived columns in the config's syntax (data/derive.h); NULL: none */
    /* history/ (kind tabular) */
    int64_t history_enabled;
    char *hist_customer, *hist_time, *hist_sentiment, *hist_intent, *hist_response, *hist_cutoff;
    int64_t history_dim;
    char **history_features; /* (history_dim) */
    /* encoder/ and tokenizer/ (arch "encoder", kind text): the transformer's shape (its width is
     * model/dim, its feed-forward width model/hidden, its pooling model/bag "mean" | "cls", the
     * tokenizer's id count model/in_dim) and the tokenizer that turns raw text into its ids; an
     * encoder export has no text/ group */
    int64_t enc_layers, enc_heads, enc_max_len, enc_max_positions, enc_pos_offset, enc_type_vocab;
    double enc_ln_eps;
    TmlTokSpec tok;
    /* weights/ and text/idf */
    int n_tensors;
    TmlExportTensor tensors[TML_EXPORT_MAX_TENSORS + 1];
    char checksum[80];   /* "sha256:<64 hex>" as stored (reading) or computed (writing) */
} TmlExport;

/* A zeroed export with format_version set; NULL when out of memory. Free with tml_export_free
 * (frees every owned field). */
TmlExport *tml_export_new(void);
void tml_export_free(TmlExport *e);
/* The tensor with this key, or NULL. */
const TmlExportTensor *tml_export_tensor(const TmlExport *e, const char *key);
/* Adds a tensor taking ownership of data (freed with e). -1 when the table is full. */
int tml_export_add_tensor(TmlExport *e, const char *key, int64_t rows, int64_t cols, float *data, TmlError *err);
int tml_export_add_tensor_i32(TmlExport *e, const char *key, int64_t rows, int64_t cols, int32_t *data,
                              TmlError *err);

/* Checks the fields against each other (known kind/arch/loss, shapes matching the spec, label
 * count, vocabulary + buckets = in_dim, tabular offsets inside dim, sorted categories). where
 * names the file for messages. */
int tml_export_validate(const TmlExport *e, const char *where, TmlError *err);

/* "sha256:<hex>" of the canonical record stream (docs/export-format.md, "Checksum"). -1 with err
 * set when out of memory. */
int tml_export_digest(const TmlExport *e, char out[80], TmlError *err);

/* Name <-> enum helpers for the column types and imputation rules (data/tabular.h). */
const char *tml_export_col_type_name(int type);
int tml_export_col_type_parse(const char *s); /* -1 when unknown */
const char *tml_export_impute_name(int impute);

#endif
