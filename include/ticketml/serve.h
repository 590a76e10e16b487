/* serve.h — the serving library: load an export written by `ticketml export` and predict
 * intents, sentiment or churn on the CPU with plain C loops. No CUDA, no compute backend: link
 * libticketml_serve.a with hdf5, jansson, libutf8proc, libm and OpenMP (-fopenmp; batches only).
 * Featurization reuses the trainer's
 * own code (data/textfeat.c, data/tabular.c), so features are bit-identical to training.
 *
 * Thread safety: a loaded model is read-only; any number of threads may call the predict and
 * features functions on one model at once (each call uses its own scratch memory). Loads of
 * different models may run in parallel (the library serializes its HDF5 calls); free a model only
 * when no call on it is running.
 *
 * Errors: functions that can fail take a TmlError* (may be NULL) and return -1 / NULL with a
 * message naming the file or field and what to do. */
#ifndef TICKETML_SERVE_H
#define TICKETML_SERVE_H

#include <stdint.h>

#include "ticketml/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct TmlServeModel TmlServeModel;

/* Loads an export: the directory `ticketml export --out DIR` wrote, or its model.h5 / model.json.
 * Rejects a foreign file, a newer format version, a truncated file and a checksum mismatch.
 * Caller frees with tml_serve_free. */
TmlServeModel *tml_serve_load(const char *path_or_dir, TmlError *err);
void tml_serve_free(TmlServeModel *m);

/* What the model is. */
int tml_serve_n_labels(const TmlServeModel *m);
const char *tml_serve_label_name(const TmlServeModel *m, int k); /* NULL when k is out of range */
int tml_serve_is_text(const TmlServeModel *m);                   /* 1 text, 0 tabular */
const char *tml_serve_task(const TmlServeModel *m);              /* "intent", "churn", ... */
int tml_serve_positive(const TmlServeModel *m);                  /* binary models: positive class, else -1 */
const char *tml_serve_checksum(const TmlServeModel *m);          /* "sha256:<hex>" */
/* Data columns the model was trained from: text columns ("a,b" joined with a space), the id column
 * ("" when none). Tabular: tml_serve_n_fields / tml_serve_field_name list the named fields a row
 * must carry (attribute columns, then ticket-history features when the model uses them). */
const char *tml_serve_text_columns(const TmlServeModel *m);
const char *tml_serve_id_column(const TmlServeModel *m);
int tml_serve_n_fields(const TmlServeModel *m);
const char *tml_serve_field_name(const TmlServeModel *m, int k);
int tml_serve_history_dim(const TmlServeModel *m);               /* ticket-history fields among them */
/* Their names (k < tml_serve_history_dim), and the settings they were computed with, so a caller
 * can compute them from a tickets file the same way (data/history.h): key "customer_column",
 * "time_column", "sentiment_column", "intent_column", "response_column" or "cutoff" ("" = latest
 * ticket). NULL for an unknown key or a model without history features. */
const char *tml_serve_history_name(const TmlServeModel *m, int k);
const char *tml_serve_history_setting(const TmlServeModel *m, const char *key);

/* Text models: probabilities of every label into probs_out (n_labels floats; softmax sums to 1,
 * one-vs-all gives independent sigmoids) and the argmax into *top_label (may be NULL). */
int tml_serve_predict_text(const TmlServeModel *m, const char *text, float *probs_out, int *top_label, TmlError *err);
/* n texts: probs_out (n, n_labels) row-major, top (n) or NULL. Rows are independent; with
 * threads > 1 the batch is split over that many OpenMP threads (0 or 1: the calling thread). */
int tml_serve_predict_batch(const TmlServeModel *m, const char *const *texts, int64_t n, float *probs_out, int *top,
                            int threads, TmlError *err);

/* Tabular models: one record of named fields (names[i] = values[i]; blank values are imputed;
 * extra fields are ignored; a missing field is an error naming it). Ticket-history features are
 * named fields too (tickets_30d, ...). */
int tml_serve_predict_row(const TmlServeModel *m, const char *const *names, const char *const *values, int n,
                          float *probs_out, int *top, TmlError *err);

/* The features a prediction sees, for debugging and cross-checks. Text: feature ids and weights
 * (weights 1 when the model has no TF-IDF) of one text, malloc'd (caller frees both); returns the
 * count, -1 on error. Tabular: the dense vector (tml_serve_dense_dim floats) of one record. */
int64_t tml_serve_text_features(const TmlServeModel *m, const char *text, int32_t **ids, float **weights,
                                TmlError *err);
int tml_serve_dense_dim(const TmlServeModel *m);
int tml_serve_row_features(const TmlServeModel *m, const char *const *names, const char *const *values, int n,
                           float *dense_out, TmlError *err);
/* Probabilities from already computed features (what the two functions above return): text models
 * take ids/weights (weights NULL: all 1), tabular models take dense. Ids outside the model's
 * feature range are an error. */
int tml_serve_predict_features(const TmlServeModel *m, const int32_t *ids, const float *weights, int64_t n_ids,
                               const float *dense, float *probs_out, int *top, TmlError *err);

/* Indices of the k largest of p (C), descending (ties: lower index first) into idx (k <= C). */
void tml_serve_top_k(const float *p, int C, int k, int *idx);

/* Every row of a data file (CSV or JSONL, as the trainer reads them), predicted. Text models read
 * the training text column(s) (with `threads` OpenMP threads); tabular models read every field by
 * name, the ticket-history fields computed from tickets_path when given (joined on the customer
 * id, as of the training cutoff), else read as columns. emit is called per row in file order with
 * the row's index, its id (the model's id column, else its line number), the probabilities, and
 * the features it came from (text models: the text; tabular: the dense vector); a non-zero return
 * stops with that status. Returns 0, 1 (failure) or 2 (bad input: file, columns, a row), with err
 * naming the file and line. */
typedef int (*TmlServeRowFn)(void *ctx, int64_t row, const char *id, const float *probs, const char *text,
                             const float *dense);
int tml_serve_predict_file(const TmlServeModel *m, const char *path, const char *tickets_path, int threads,
                           TmlServeRowFn emit, void *ctx, TmlError *err);

#ifdef __cplusplus
}
#endif

#endif
