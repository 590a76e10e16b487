/* model.c — models of any family: picking the family (by [model] type or by a model file's "arch")
 * and forwarding each call through its TmlFamily table. The only place that dispatches on family. */
#include "trainer/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"
#include "trainer/train.h"

const TmlFamily *tml_family_for_type(const char *type) {
    for (const TmlFamily *const *f = tml_families(); *f; f++)
        for (const char *const *t = (*f)->types; *t; t++)
            if (!strcmp(*t, type)) return *f;
    return NULL;
}

const TmlFamily *tml_family_for_arch(const char *arch) {
    for (const TmlFamily *const *f = tml_families(); *f; f++)
        for (const char *const *a = (*f)->archs; *a; a++)
            if (!strcmp(*a, arch)) return *f;
    return NULL;
}

/* The types of every family (kind < 0) or of those for one data kind, in registration order. */
static int type_names(int kind, const char **names, int max) {
    int k = 0;
    for (const TmlFamily *const *f = tml_families(); *f; f++)
        if (kind < 0 || (int)(*f)->data == kind)
            for (const char *const *t = (*f)->types; *t && k < max; t++) names[k++] = *t;
    return k;
}

/* A model of family fam on be with nothing else set yet; NULL with err set. */
static TmlModel *model_new(const TmlFamily *fam, TmlBackend *be, TmlError *err) {
    TmlModel *m = calloc(1, sizeof *m);
    if (!m) {
        tml_fail(err, "out of host memory");
        return NULL;
    }
    m->family = fam;
    m->be = be;
    return m;
}

TmlModel *tml_model_configure(const TmlConfig *cfg, const TmlFeatures *f, TmlBackend *be, TmlError *err) {
    const char *type = tml_config_str(cfg, "model.type", NULL);
    const TmlFamily *fam = NULL;
    const char *names[32];
    if (type) {
        if (!(fam = tml_family_for_type(type))) {
            tml_config_choice(cfg, "model.type", NULL, names, type_names(-1, names, 32), err);
            return NULL;
        }
    } else {
        for (const TmlFamily *const *p = tml_families(); *p && !fam; p++)
            if ((*p)->data == f->kind) fam = *p;
        if (!fam) {
            tml_fail(err, "%s: no model family takes %s data", cfg->path, f->kind == TML_DATA_TEXT ? "text" : "tabular");
            return NULL;
        }
    }
    if (fam->data != f->kind) {
        char list[256] = "";
        int k = type_names((int)f->kind, names, 32);
        for (int i = 0; i < k; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i == 0 ? "" : i + 1 == k ? " or " : ", ",
                     names[i]);
        char where[600];
        tml_config_where(cfg, "model.type", where, sizeof where);
        tml_fail(err, "%s: is for %s; %s models are %s", where,
                 fam->data == TML_DATA_TEXT ? "text" : "tabular data", f->kind == TML_DATA_TEXT ? "text" : "tabular",
                 list);
        return NULL;
    }
    TmlModel *m = model_new(fam, be, err);
    if (!m) return NULL;
    if (fam->configure(m, type, cfg, f, err) < 0) {
        tml_model_free(m);
        return NULL;
    }
    return m;
}

int tml_model_init(TmlModel *m, uint64_t seed, TmlError *err) { return m->family->init(m, seed, err); }

void tml_model_free(TmlModel *m) {
    if (!m) return;
    if (m->impl) m->family->destroy(m);
    free(m);
}

int tml_model_same_shape(const TmlModel *a, const TmlModel *b) {
    return a->family == b->family && a->n_out == b->n_out && a->family->same_shape(a, b);
}

void tml_model_describe(const TmlModel *m, char *buf, size_t n) { m->family->describe(m, buf, n); }

int tml_model_train(TmlModel *m, const TmlDataset *train, const TmlDataset *valid, const TmlTrainOptions *o,
                    TmlTrainState *st, TmlError *err) {
    if (o->keep) return m->family->train(m, train, valid, o, st, err);
    /* a caller without a run (tests, tools): the best weights are kept for this call only */
    TmlTrainOptions run = *o;
    if (!(run.keep = tml_train_keep_new())) return tml_fail(err, "out of host memory");
    int rc = m->family->train(m, train, valid, &run, st, err);
    tml_train_keep_free(run.keep);
    return rc;
}

int tml_model_score(TmlModel *m, const TmlDataset *ds, int batch_size, float *probs, TmlError *err) {
    return m->family->score(m, ds, batch_size, probs, err);
}

float *tml_model_score_new(TmlModel *m, const TmlDataset *ds, int batch_size, TmlError *err) {
    float *probs = malloc((size_t)(ds->n_rows > 0 ? ds->n_rows : 1) * (size_t)m->n_out * sizeof(float));
    if (!probs) {
        tml_fail(err, "out of host memory scoring %lld rows", (long long)ds->n_rows);
        return NULL;
    }
    if (tml_model_score(m, ds, batch_size, probs, err) < 0) {
        free(probs);
        return NULL;
    }
    return probs;
}

int tml_model_grow_classes(TmlModel *m, int new_C, uint64_t seed, TmlError *err) {
    return m->family->grow_classes(m, new_C, seed, err);
}

int tml_model_save(const TmlModel *m, hid_t file, int with_optim, TmlError *err) {
    return m->family->save(m, file, with_optim, err);
}

TmlModel *tml_model_load(hid_t file, TmlBackend *be, int with_optim, TmlError *err) {
    char *arch = tml_h5_attr_read_str(file, "arch", err);
    if (!arch) return NULL;
    const TmlFamily *fam = tml_family_for_arch(arch);
    if (!fam) {
        tml_fail(err, "unknown model architecture '%s' (a newer ticketml wrote this file?)", arch);
        free(arch);
        return NULL;
    }
    free(arch);
    TmlModel *m = model_new(fam, be, err);
    if (!m) return NULL;
    if (fam->load(m, file, with_optim, err) < 0) {
        tml_model_free(m);
        return NULL;
    }
    return m;
}

int tml_model_export(const TmlModel *m, TmlExport *e, TmlError *err) { return m->family->export_model(m, e, err); }
