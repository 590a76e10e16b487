/* optim.h — optimizers (SGD, AdamW) and the learning-rate schedule (warmup, then linear decay to
 * zero as fastText does, cosine, or constant), applied to a model's parameters through the backend. */
#ifndef TICKETML_TRAINER_OPTIM_H
#define TICKETML_TRAINER_OPTIM_H

#include <stdint.h>

#include "trainer/net.h"
#include "ticketml/error.h"

typedef enum TmlOptimKind { TML_OPT_SGD = 0, TML_OPT_ADAMW = 1 } TmlOptimKind;
typedef enum TmlSchedule { TML_SCHED_LINEAR = 0, TML_SCHED_COSINE = 1, TML_SCHED_CONSTANT = 2 } TmlSchedule;

typedef struct TmlOptimConfig {
    TmlOptimKind kind;
    double lr, beta1, beta2, eps, weight_decay;
    TmlSchedule schedule;
    double warmup;     /* fraction of total steps (< 1) or a step count (>= 1) */
    double clip;       /* max global L2 norm of the dense gradients; 0 = off */
} TmlOptimConfig;

/* Learning rate at step t (0-based) of total. */
double tml_lr_at(const TmlOptimConfig *c, int64_t t, int64_t total);
/* Clips the dense gradients (one backend op over all of them, no synchronisation), then updates
 * every parameter; the embedding table only on the rows the loaded batch touched (m->d_uniq),
 * zeroing those gradient rows; a parameter without a gradient buffer (frozen) is left alone. step is
 * 1-based (AdamW bias correction). With want_norm, returns the dense gradient norm before clipping
 * (a synchronisation); else 0. -1 when out of memory. */
double tml_optim_step(TmlNet *m, const TmlOptimConfig *c, double lr, int64_t step, int want_norm, TmlError *err);

#endif
