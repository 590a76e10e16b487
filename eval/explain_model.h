/* explain_model.h — LIME explanations of a trained model's predictions: the scorers that feed
 * every perturbed sample through the model on its backend, in large batches. */
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

#endif
