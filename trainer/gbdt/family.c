/* family.c — gradient-boosted trees as a model family (trainer/model.h): [model] type = gbdt on
 * tabular data. The model-file part is the root attribute arch = "gbdt" and the `gbdt` group
 * (trainer/gbdt/model.c); training is the boosting loop (boost.c) wired to the shared steps
 * (checkpoints every train.checkpoint_every and on Ctrl-C); the export part is the flat tree arrays. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"
#include "trainer/gbdt/boost.h"
#include "trainer/gbdt/family.h"
#include "trainer/modelfile.h"

typedef struct GbdtImpl {
    TmlGbdtParams params; /* from the config the model was configured with (a loaded model: none) */
    TmlGbdtModel *gm;
} GbdtImpl;

static GbdtImpl *impl(const TmlModel *m) { return (GbdtImpl *)m->impl; }

TmlGbdtModel *tml_gbdt_of(const TmlModel *m) {
    return m && m->family == &tml_family_gbdt && m->impl ? impl(m)->gm : NULL;
}

static int gbdt_configure(TmlModel *m, const char *type, const TmlConfig *cfg, const TmlFeatures *f, TmlError *err) {
    if (!(m->impl = calloc(1, sizeof(GbdtImpl)))) return tml_fail(err, "out of host memory");
    GbdtImpl *g = impl(m);
    if (tml_gbdt_params_from_config(cfg, &g->params, err)) return -1;
    int C = f->labels->n;
    if (C < 2)
        return tml_fail(err, "%s: the training data has only %d label(s); a classifier needs at least 2", cfg->path, C);
    if (!(g->gm = tml_gbdt_model_new(f->tab, C, C == 2 ? f->positive : -1, g->params.native_categorical, err)))
        return -1;
    m->n_out = C;
    m->arch = "gbdt";
    return 0;
}

static int gbdt_init(TmlModel *m, uint64_t seed, TmlError *err) {
    (void)m, (void)seed, (void)err; /* trees come from training: nothing to initialize */
    return 0;
}

static void gbdt_destroy(TmlModel *m) {
    tml_gbdt_model_free(impl(m)->gm);
    free(m->impl);
    m->impl = NULL;
}

static int gbdt_same_shape(const TmlModel *a, const TmlModel *b) {
    const TmlGbdtModel *x = impl(a)->gm, *y = impl(b)->gm;
    return x->n_classes == y->n_classes && x->positive == y->positive && x->in.F == y->in.F && x->in.dim == y->in.dim &&
           !memcmp(x->in.src, y->in.src, (size_t)x->in.F * sizeof *x->in.src) &&
           !memcmp(x->in.n_cats, y->in.n_cats, (size_t)x->in.F * sizeof *x->in.n_cats);
}

static void gbdt_describe(const TmlModel *m, char *buf, size_t n) {
    const TmlGbdtModel *g = impl(m)->gm;
    int ncat = 0;
    for (int f = 0; f < g->in.F; f++) ncat += g->in.n_cats[f] > 0;
    snprintf(buf, n, "gbdt model, %d classes, %d tree features (%d categorical) from %d columns, %d trees",
             g->n_classes, g->in.F, ncat, g->in.dim, g->ens ? g->ens->n_trees : 0);
}

static int gbdt_save(const TmlModel *m, hid_t file, int with_optim, TmlError *err) {
    (void)with_optim; /* boosting keeps no optimizer state: the trees and the training state are all */
    const TmlGbdtModel *g = impl(m)->gm;
    if (!g->binner || !g->ens) return tml_fail(err, "the tree model has not been trained yet; nothing to save");
    if (tml_h5_attr_write_str(file, "arch", "gbdt", err)) return -1;
    return tml_gbdt_model_save(g, file, err);
}

static int gbdt_load(TmlModel *m, hid_t file, int with_optim, TmlError *err) {
    (void)with_optim;
    TmlGbdtModel *g = tml_gbdt_model_load(file, err);
    if (!g) return -1;
    if (!m->impl && !(m->impl = calloc(1, sizeof(GbdtImpl)))) {
        tml_gbdt_model_free(g);
        return tml_fail(err, "out of host memory");
    }
    tml_gbdt_model_free(impl(m)->gm);
    impl(m)->gm = g;
    m->n_out = g->n_classes;
    m->arch = "gbdt";
    return 0;
}

/* Checkpoints go through the shared step (a model file with the training state). */
typedef struct CkptCtx {
    TmlModel *m;
    const TmlTrainOptions *o;
} CkptCtx;

static int checkpoint(void *ctx, const TmlGbdtModel *gm, const TmlTrainState *st, TmlError *err) {
    (void)gm;
    CkptCtx *c = ctx;
    return tml_train_checkpoint(c->m, c->o, st, err);
}

static int gbdt_train(TmlModel *m, const TmlDataset *train, const TmlDataset *valid, const TmlTrainOptions *o,
                      TmlTrainState *st, TmlError *err) {
    TmlGbdtTrainOptions go;
    memset(&go, 0, sizeof go);
    /* the run's config (a resumed or fine-tuned model was loaded, not configured) */
    if (tml_gbdt_params_from_config(o->cfg, &go.params, err)) return -1;
    go.quiet = o->quiet;
    go.log_json = o->log_json;
    go.metric_fn = o->metric_fn;
    go.metric_ctx = o->metric_ctx;
    CkptCtx cc = {m, o};
    go.checkpoint = o->ckpt_path ? checkpoint : NULL;
    go.checkpoint_ctx = &cc;
    go.checkpoint_every_s = o->checkpoint_every; /* train.checkpoint_every (shared) */
    /* the trees of the best round are what m holds at the end; the run writes the model file */
    return tml_gbdt_train(impl(m)->gm, m->be, train, valid, &go, st, err);
}

static int gbdt_score(TmlModel *m, const TmlDataset *ds, int batch_size, float *probs, TmlError *err) {
    (void)batch_size;
    const TmlGbdtModel *g = impl(m)->gm;
    if (!g->ens) return tml_fail(err, "the tree model has not been trained yet");
    if (ds->dim != g->in.dim)
        return tml_fail(err, "%s: rows have %d features, the tree model reads %d", ds->source ? ds->source : "data",
                        ds->dim, g->in.dim);
    float *p = tml_gbdt_model_predict(g, m->be, ds->dense, ds->n_rows, err);
    if (!p) return -1;
    memcpy(probs, p, (size_t)ds->n_rows * (size_t)g->n_classes * sizeof *p);
    free(p);
    return 0;
}

static int gbdt_grow_classes(TmlModel *m, int new_C, uint64_t seed, TmlError *err) {
    (void)seed;
    return tml_fail(err,
                    "the new data has %d labels, the tree model %d: boosting continues only on the labels it was "
                    "trained on; train a new model (ticketml train) for a new label set",
                    new_C, m->n_out);
}

static int gbdt_export(const TmlModel *m, TmlExport *e, TmlError *err) { return tml_gbdt_export(impl(m)->gm, e, err); }

/* Keys only this family reads (trainer/gbdt/params.c); train.lr, train.patience, train.metric,
 * train.seed and train.class_weight are common keys it reads with its own defaults. */
static const char *const GBDT_KEYS[] = {"model.growth",
                                        "model.max_leaves",
                                        "model.max_depth",
                                        "model.max_bins",
                                        "model.bin_sample",
                                        "model.min_child_weight",
                                        "model.min_data_in_leaf",
                                        "model.lambda_l2",
                                        "model.min_split_gain",
                                        "model.categorical",
                                        "model.max_cat_to_onehot",
                                        "model.max_cat_threshold",
                                        "model.cat_smooth",
                                        "model.cat_l2",
                                        "model.min_data_per_group",
                                        "train.rounds",
                                        "train.subsample",
                                        "train.colsample",
                                        NULL};

const TmlFamily tml_family_gbdt = {
    .name = "gbdt",
    .data = TML_DATA_TABULAR,
    .types = (const char *const[]){"gbdt", NULL},
    .archs = (const char *const[]){"gbdt", NULL},
    .config_keys = GBDT_KEYS,
    .configure = gbdt_configure,
    .init = gbdt_init,
    .destroy = gbdt_destroy,
    .same_shape = gbdt_same_shape,
    .describe = gbdt_describe,
    .save = gbdt_save,
    .load = gbdt_load,
    .train = gbdt_train,
    .score = gbdt_score,
    .grow_classes = gbdt_grow_classes,
    .export_model = gbdt_export,
};
