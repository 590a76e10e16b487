/* finetune.h — warm starts: a trained model carried over to new tickets, its output layer grown
 * when the new data brings labels the model has never seen (old classes keep their weights). */
#ifndef TICKETML_TRAINER_FINETUNE_H
#define TICKETML_TRAINER_FINETUNE_H

#include "trainer/model.h"

/* Returns a new model on the same backend with n_out = new_C >= old->spec.n_out: every weight of
 * old copied, the columns of the new classes initialized from seed as a fresh model would be.
 * The caller frees both (old stays valid). NULL with err set. */
TmlModel *tml_model_grow_classes(const TmlModel *old, int new_C, uint64_t seed, TmlError *err);

#endif
