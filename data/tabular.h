/* tabular.h — customer attributes to dense features: column types (numeric, categorical, boolean,
 * id) inferred or declared, blank/missing values imputed by a recorded rule, standardization and
 * one-hot maps fitted on train only and saved with the model. */
#ifndef TICKETML_DATA_TABULAR_H
#define TICKETML_DATA_TABULAR_H

#include <stdint.h>

#include "data/table.h"
#include "ticketml/error.h"

typedef enum TmlColType { TML_COL_NUMERIC = 0, TML_COL_CATEGORICAL, TML_COL_BOOLEAN, TML_COL_ID, TML_COL_IGNORE } TmlColType;
typedef enum TmlImpute { TML_IMPUTE_MEDIAN = 0, TML_IMPUTE_MEAN, TML_IMPUTE_ZERO } TmlImpute;

typedef struct TmlTabColumn {
    char *name;
    TmlColType type;
    /* numeric: imputation value used for blanks, mean and std fitted on train (std 1 if 0) */
    TmlImpute impute;
    double fill, mean, std;
    int64_t n_missing_fit; /* blanks seen while fitting */
    /* categorical / boolean: sorted categories; unseen values at transform map to no column */
    int n_cats;
    char **cats;
    double *cat_freq;      /* (n_cats) training frequencies (LIME samples by them) */
    double quartiles[3];   /* numeric: training quartiles (LIME discretizes by them) */
    double min, max;       /* numeric: training range (LIME samples values inside a bin) */
    int offset;            /* first output column of this input column */
} TmlTabColumn;

typedef struct TmlTabular {
    int n_cols;
    TmlTabColumn *cols;
    int dim;               /* output width: 1 per numeric, n_cats per categorical/boolean */
    int keep_missing;      /* 1: a blank numeric cell becomes NaN instead of its fill value (tree
                            * models route missing values themselves; [tabular] missing = keep) */
    char **feature_names;  /* (dim) "tenure", "Contract=Two year", ... */
} TmlTabular;

/* Ticket-history features (data/history.h) are appended by the dataset layer as extra numeric
 * columns of the same TmlTabular, so scaling, reports and LIME treat them like any attribute.
 *
 * Declares columns: names[i] with types[i] (TML_COL_* or -1 to infer from the data: all cells
 * numeric or blank -> numeric; two distinct values that look boolean -> boolean; unique per row
 * and non-numeric -> id (ignored); else categorical). Fits imputation, mean/std, quartiles and
 * categories on rows where train_mask[r] != 0 (NULL: all rows). NaN/Inf text in a numeric column
 * is an error naming file:line and column. Caller frees with tml_tabular_free. */
TmlTabular *tml_tabular_fit(const TmlTable *t, char *const *names, const int *types, int n_names,
                            TmlImpute impute, const uint8_t *train_mask, TmlError *err);
/* Fills out (n_rows, dim) row-major for all rows of t (which must hold the fitted columns). Blank
 * numeric cells get the column's fill value, or NaN when tb->keep_missing. */
int tml_tabular_transform(const TmlTabular *tb, const TmlTable *t, float *out, TmlError *err);
/* One record given as parallel name/value arrays (the serving API's row of named fields). */
int tml_tabular_transform_row(const TmlTabular *tb, char *const *names, char *const *values, int n,
                              float *out /*(dim)*/, TmlError *err);
void tml_tabular_free(TmlTabular *tb);

#endif
