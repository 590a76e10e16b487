/* family.h — the gbdt model family (family.c) as the rest of ticketml sees it: the family table
 * registered in trainer/families.c, the tree model inside a TmlModel for the explainers and the
 * report, and its export part (export.c). */
#ifndef TICKETML_TRAINER_GBDT_FAMILY_H
#define TICKETML_TRAINER_GBDT_FAMILY_H

#include "serve/export_model.h"
#include "trainer/gbdt/model.h"
#include "trainer/model.h"

extern const TmlFamily tml_family_gbdt;

/* The tree model of m, or NULL when m is not a gbdt model. */
TmlGbdtModel *tml_gbdt_of(const TmlModel *m);

/* Fills e's model part: arch "gbdt", loss "logistic" (binary) or "softmax", the dimensions and
 * the trees/ tensors (docs/export-format.md). */
int tml_gbdt_export(const TmlGbdtModel *g, TmlExport *e, TmlError *err);

#endif
