/* families.c — the registry of model families: the one place a family is added. Order matters
 * only for defaults (the first family for a data kind trains when [model] type is absent) and for
 * the order types are listed in messages. */
#include "trainer/model.h"

extern const TmlFamily tml_family_bag; /* trainer/net_family.c: text, linear | embedding */
extern const TmlFamily tml_family_mlp; /* trainer/net_family.c: tabular, mlp | logistic */
extern const TmlFamily tml_family_gbdt; /* trainer/gbdt/family.c: tabular, gbdt */
extern const TmlFamily tml_family_encoder; /* trainer/encoder_family.c: text, encoder */

static const TmlFamily *const FAMILIES[] = {
    &tml_family_bag,
    &tml_family_mlp,
    &tml_family_gbdt,
    &tml_family_encoder,
    NULL,
};

const TmlFamily *const *tml_families(void) { return FAMILIES; }
