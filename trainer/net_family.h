/* net_family.h — internal to trainer/: what the bag and mlp families (net_family.c) share with
 * their training loop (net_train.c): a TmlModel's impl is a TmlNetModel. */
#ifndef TICKETML_TRAINER_NET_FAMILY_H
#define TICKETML_TRAINER_NET_FAMILY_H

#include "trainer/model.h"
#include "trainer/net.h"
#include "trainer/train.h"

typedef struct TmlNetModel {
    TmlNetSpec spec; /* from the config (configured) or the file (loaded) */
    TmlNet *net;     /* NULL until initialized or loaded */
} TmlNetModel;

static inline TmlNet *tml_net_of(const TmlModel *m) { return ((TmlNetModel *)m->impl)->net; }

/* The mini-batch loop (net_train.c); see tml_model_train. */
int tml_net_train(TmlModel *m, const TmlDataset *train, const TmlDataset *valid, const TmlTrainOptions *o,
                  TmlTrainState *st, TmlError *err);

#endif
