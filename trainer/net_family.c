/* net_family.c — the two first-generation model families on trainer/net.c: "bag" (text: the linear
 * model and the embedding bag with an optional hidden layer) and "mlp" (tabular: logistic
 * regression or one hidden ReLU layer). Their [model] keys, model-file part (the spec as root
 * attributes, weights/ and optimizer/ groups) and export part live here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/h5.h"
#include "trainer/net_family.h"

/* ---- config ----------------------------------------------------------------------------------- */

/* The spec from [model] keys for features f. type NULL: linear for text; for tabular mlp when
 * model.hidden > 0, else logistic. The family has already checked type against the data kind. */
static int spec_from_config(const TmlConfig *cfg, const TmlFeatures *f, const char *type, TmlNetSpec *spec,
                            TmlError *err) {
    memset(spec, 0, sizeof *spec);
    int64_t dim, hidden;
    if (tml_config_int(cfg, "model.dim", 100, &dim, err) || tml_config_int(cfg, "model.hidden", 0, &hidden, err))
        return -1;
    static const char *const losses[] = {"softmax", "ova"};
    static const char *const bags[] = {"auto", "mean", "sum"};
    int text = f->kind == TML_DATA_TEXT;
    if (!type) type = text ? "linear" : hidden > 0 ? "mlp" : "logistic";
    int loss = tml_config_choice(cfg, "model.loss", "softmax", losses, 2, err);
    int bag = loss < 0 ? -1 : tml_config_choice(cfg, "model.bag", "auto", bags, 3, err);
    if (bag < 0) return -1;
    if (dim < 1 || dim > 100000 || hidden < 0 || hidden > 100000) {
        char where[600];
        const char *key = dim < 1 || dim > 100000 ? "model.dim" : "model.hidden";
        tml_config_where(cfg, key, where, sizeof where);
        return tml_fail(err, "%s: must be in %s..100000", where, key[6] == 'd' ? "1" : "0");
    }
    int linear = !strcmp(type, "linear"), logistic = !strcmp(type, "logistic");
    spec->arch = text ? (linear ? TML_ARCH_LINEAR : TML_ARCH_EMBED) : TML_ARCH_TABULAR;
    spec->loss = (TmlLoss)loss;
    spec->in_dim = f->dim;
    spec->dim = (int)dim;
    spec->hidden = (linear || logistic) ? 0 : (int)hidden;
    spec->n_out = f->labels->n;
    int tfidf = text && f->text && tml_textfeat_config(f->text)->tfidf;
    spec->bag = bag == 1 ? TML_BAG_MEAN : bag == 2 ? TML_BAG_SUM : (tfidf ? TML_BAG_SUM : TML_BAG_MEAN);
    if (spec->n_out < 2)
        return tml_fail(err, "%s: the training data has only %d label(s); a classifier needs at least 2", cfg->path,
                        spec->n_out);
    return 0;
}

/* ---- the TmlFamily entries -------------------------------------------------------------------- */

static TmlNetModel *impl(const TmlModel *m) { return (TmlNetModel *)m->impl; }

/* Sets the generic fields from the spec (after configure, load or a class change). */
static void sync(TmlModel *m) {
    m->n_out = impl(m)->spec.n_out;
    m->arch = tml_net_arch_name(impl(m)->spec.arch);
}

static int net_configure(TmlModel *m, const char *type, const TmlConfig *cfg, const TmlFeatures *f, TmlError *err) {
    if (!(m->impl = calloc(1, sizeof(TmlNetModel)))) return tml_fail(err, "out of host memory");
    if (spec_from_config(cfg, f, type, &impl(m)->spec, err) < 0) return -1;
    sync(m);
    return 0;
}

static int net_init(TmlModel *m, uint64_t seed, TmlError *err) {
    TmlNetModel *nm = impl(m);
    tml_net_free(nm->net);
    nm->net = tml_net_create(m->be, &nm->spec, seed, err);
    return nm->net ? 0 : -1;
}

static void net_destroy(TmlModel *m) {
    tml_net_free(impl(m)->net);
    free(m->impl);
    m->impl = NULL;
}

static int net_same_shape(const TmlModel *a, const TmlModel *b) {
    return memcmp(&impl(a)->spec, &impl(b)->spec, sizeof(TmlNetSpec)) == 0;
}

static void net_describe(const TmlModel *m, char *buf, size_t n) {
    const TmlNetSpec *s = &impl(m)->spec;
    const TmlNet *net = impl(m)->net;
    snprintf(buf, n, "%s model, %d classes, %lld features, %lld weights", tml_net_arch_name(s->arch), s->n_out,
             (long long)s->in_dim, (long long)(net ? tml_net_n_weights(net) : 0));
}

static int net_save(const TmlModel *m, hid_t file, int with_optim, TmlError *err) {
    if (tml_net_spec_save(&impl(m)->spec, file, err)) return -1;
    return tml_net_save_weights(impl(m)->net, file, with_optim, err);
}

static int net_load(TmlModel *m, hid_t file, int with_optim, TmlError *err) {
    TmlNetSpec spec;
    if (tml_net_spec_load(&spec, file, err)) return -1;
    if (m->impl) { /* reload into an initialized model: the best weights of this run */
        if (memcmp(&spec, &impl(m)->spec, sizeof spec) != 0)
            return tml_fail(err, "the model file holds a model of another shape");
    } else {
        if (!(m->impl = calloc(1, sizeof(TmlNetModel)))) return tml_fail(err, "out of host memory");
        impl(m)->spec = spec;
        if (!(impl(m)->net = tml_net_create(m->be, &spec, 0, err))) return -1;
        sync(m);
    }
    return tml_net_load_weights(impl(m)->net, file, with_optim, err);
}

static int net_score(TmlModel *m, const TmlDataset *ds, int batch_size, float *probs, TmlError *err) {
    return tml_net_score(impl(m)->net, ds, batch_size, probs, err);
}

static int net_grow_classes(TmlModel *m, int new_C, uint64_t seed, TmlError *err) {
    TmlNetModel *nm = impl(m);
    TmlNet *grown = tml_net_grow_classes(nm->net, new_C, seed, err);
    if (!grown) return -1;
    tml_net_free(nm->net);
    nm->net = grown;
    nm->spec = grown->spec;
    sync(m);
    return 0;
}

static int net_export(const TmlModel *m, TmlExport *e, TmlError *err) {
    const TmlNetSpec *s = &impl(m)->spec;
    const TmlNet *net = impl(m)->net;
    if (!(e->arch = strdup(tml_net_arch_name(s->arch))) || !(e->loss = strdup(s->loss == TML_LOSS_OVA ? "ova" : "softmax")) ||
        !(e->bag = strdup(s->bag == TML_BAG_SUM ? "sum" : "mean")))
        return tml_fail(err, "out of memory");
    e->in_dim = s->in_dim;
    e->dim = s->dim;
    e->hidden = s->hidden;
    e->n_out = s->n_out;
    for (int i = 0; i < net->n_params; i++) {
        const TmlParam *p = &net->params[i];
        size_t n = (size_t)p->rows * (size_t)p->cols;
        float *host = malloc((n > 0 ? n : 1) * sizeof *host);
        if (!host) return tml_fail(err, "out of host memory for '%s' (%zu floats)", p->name, n);
        tml_download(net->be, host, p->w, n * sizeof *host);
        char key[48];
        snprintf(key, sizeof key, "weights/%s", p->name);
        if (tml_export_add_tensor(e, key, p->rows, p->cols, host, err)) return -1;
    }
    return 0;
}

/* The parameter tensors, in their fixed order: the best weights are kept as a device copy of them. */
static int net_weight_views(const TmlModel *m, TmlWeightView *out, int max) {
    const TmlNet *net = impl(m)->net;
    if (!net) return 0;
    if (net->n_params > max) return -1;
    for (int i = 0; i < net->n_params; i++) {
        out[i].w = net->params[i].w;
        out[i].n = (size_t)net->params[i].rows * (size_t)net->params[i].cols;
    }
    return net->n_params;
}

/* Keys only these families read (the common ones are in trainer/options.c). */
static const char *const NET_KEYS[] = {"model.dim",       "model.hidden",  "model.loss", "model.bag",
                                       "train.algorithm", "train.threads", NULL};

/* Both families are the same code on different data. */
#define NET_FAMILY_ENTRIES                                                                                  \
    .config_keys = NET_KEYS, .configure = net_configure, .init = net_init, .destroy = net_destroy,           \
    .same_shape = net_same_shape, .describe = net_describe, .save = net_save, .load = net_load,               \
    .train = tml_net_train, .score = net_score, .grow_classes = net_grow_classes, .export_model = net_export,     \
    .weight_views = net_weight_views

const TmlFamily tml_family_bag = {
    .name = "bag",
    .data = TML_DATA_TEXT,
    .types = (const char *const[]){"linear", "embedding", NULL},
    .archs = (const char *const[]){"linear", "embedding", NULL},
    NET_FAMILY_ENTRIES,
};

const TmlFamily tml_family_mlp = {
    .name = "mlp",
    .data = TML_DATA_TABULAR,
    .types = (const char *const[]){"mlp", "logistic", NULL},
    .archs = (const char *const[]){"tabular", NULL},
    NET_FAMILY_ENTRIES,
};
