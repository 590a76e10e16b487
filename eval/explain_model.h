/* explain_model.h — LIME explanations of a trained model's predictions (any family): the scorers
 * that feed every perturbed sample through the model on its backend, in large batches, and
 * `ticketml explain` end to end. */
#ifndef TICKETML_EVAL_EXPLAIN_MODEL_H
#define TICKETML_EVAL_EXPLAIN_MODEL_H

#include "eval/lime.h"
#include "trainer/modelfile.h"

/* Explains a text model's prediction for text (label -1: the predicted class). Returns the
 * explanation (caller frees with tml_lime_explanation_free), NULL with err set. */
TmlLimeExplanation *tml_explain_text(TmlLoadedModel *lm, const char *text, const TmlLimeConfig *cfg, int label,
                                     TmlError *err);
/* Explains a tabular model's prediction for one dense row (features->dim floats). */
TmlLimeExplanation *tml_explain_row(TmlLoadedModel *lm, const float *row, const TmlLimeConfig *cfg, int label,
                                    TmlError *err);

/* `ticketml explain`: a text, or rows first_row..last_row (1-based, inclusive; clipped to the file)
 * of a data file, explained with the model at model_path. */
typedef struct TmlExplainRequest {
    const char *model_path;
    const char *device;        /* NULL: auto */
    const char *text;          /* explain this text, or ... */
    const char *data_path;     /* ... these rows of this file */
    long first_row, last_row;
    const char *label;         /* explain this label (name); NULL: the predicted one */
    const char *tickets;       /* tickets file for history features; NULL: the model's config */
    TmlLimeConfig lime;
} TmlExplainRequest;

/* Called once per explanation with the model (for label names), the explanation and what it
 * explains (the text, or "row N: text" / "row N: id"). */
typedef void (*TmlExplainEmit)(void *ctx, const TmlLoadedModel *lm, const TmlLimeExplanation *e, const char *what);

/* Runs the explanations rq asks for. Returns the exit status: 0, 1 (failure) or 2 (bad input:
 * model file, data, label, rows), with err set. */
int tml_explain_run(const TmlExplainRequest *rq, TmlExplainEmit emit, void *ctx, TmlError *err);

#endif
