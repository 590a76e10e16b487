/* run.c — training runs end to end (see run.h): the data and model a run starts from (fresh,
 * cached, resumed, or a base model grown to new labels), the outputs wired into the training
 * options, and the score lines at the end. */
#include "trainer/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/split.h"
#include "trainer/modelfile.h"
#include "trainer/options.h"

/* Everything a run holds; freed by run_free. */
typedef struct Run {
    const TmlRunRequest *rq;
    TmlConfig *cfg;
    TmlBackend *be;
    TmlLoadedModel *base;  /* fine-tuning: the model started from (its features are the run's) */
    TmlFeatures *own;      /* a new model: the features fitted (or cached) for it */
    TmlFeatures *f;        /* own or base->features */
    TmlDataset *train, *valid, *test;
    TmlModel *m;
    const char *task;
    TmlTrainState st;
    FILE *log;
} Run;

TmlBackend *tml_run_backend(const char *device, const TmlConfig *cfg, int quiet, TmlError *err) {
    TmlDeviceKind kind;
    const char *d = device ? device : (cfg ? tml_config_str(cfg, "train.device", "auto") : "auto");
    if (tml_device_parse(d, &kind, err) < 0) return NULL;
    return tml_backend_create(kind, quiet, err);
}

/* ---- a new model ------------------------------------------------------------------------------ */

/* Features and splits from the cache when it is fresh, else fitted (and cached when asked). */
static int new_data(Run *r, TmlError *err) {
    const TmlRunRequest *rq = r->rq;
    int cached = 0;
    if (rq->cache) {
        if ((cached = tml_cache_read(rq->cache, r->cfg, &r->own, &r->train, &r->valid, &r->test, err)) < 0) return 2;
        if (!rq->quiet)
            fprintf(stderr, "cache %s: %s\n", rq->cache, cached ? "fresh, loaded" : "stale or absent, rebuilding");
    }
    if (!cached) {
        if (tml_features_fit(r->cfg, &r->own, &r->train, &r->valid, &r->test, err) < 0) return 2;
        TmlError e2;
        if (rq->cache && tml_cache_write(rq->cache, r->cfg, r->own, r->train, r->valid, r->test, &e2) < 0)
            fprintf(stderr, "ticketml %s: warning: cache not written: %s\n", rq->cmd, e2.msg);
    }
    r->f = r->own;
    return 0;
}

/* A new model of the configured family, initialized or taken from the checkpoint (--resume). */
static int new_model(Run *r, const TmlTrainOptions *o, const char *ckpt, TmlError *err) {
    if (!(r->m = tml_model_configure(r->cfg, r->f, r->be, err))) return 2;
    if (!r->rq->resume) return tml_model_init(r->m, o->seed, err) < 0 ? 1 : 0;
    TmlError e2;
    TmlLoadedModel *ck = tml_modelfile_load(ckpt, r->be, 1, &e2);
    if (!ck) return tml_fail(err, "--resume: %s", e2.msg), 1;
    if (!ck->has_state || !tml_model_same_shape(ck->model, r->m)) {
        tml_loaded_model_free(ck);
        return tml_fail(err, "--resume: %s does not match this config's model; start without --resume", ckpt), 1;
    }
    tml_model_free(r->m);
    r->m = ck->model;
    ck->model = NULL;
    r->st = ck->state;
    tml_loaded_model_free(ck);
    if (!r->rq->quiet)
        fprintf(stderr, "resuming from %s at epoch %d, batch %lld (step %lld)\n", ckpt, r->st.epoch + 1,
                (long long)r->st.batch_pos, (long long)r->st.step);
    return 0;
}

/* ---- fine-tuning -------------------------------------------------------------------------------- */

/* Featurizes path with the base model's features and maps its labels, extending the label map
 * with labels the model has not seen when extend is set. */
static TmlDataset *base_rows(Run *r, const char *path, int extend, TmlError *err) {
    char *p = tml_data_path(path);
    /* history features: the new config's tickets file, else the base model's */
    char *tk = tml_loaded_model_tickets(r->base, tml_config_str(r->cfg, "data.tickets", NULL));
    TmlDataset *d = tml_features_transform_file(r->f, p, tk, err);
    free(tk);
    free(p);
    if (!d) return NULL;
    if (extend && d->raw_labels) {
        int added = tml_labels_extend(r->f->labels, (const char *const *)d->raw_labels, d->n_rows);
        if (added < 0) {
            tml_fail(err, "out of memory extending labels");
            tml_dataset_free(d);
            return NULL;
        }
        if (added > 0) fprintf(stderr, "finetune: %d new label(s) in %s added to the model\n", added, path);
    }
    if (d->raw_labels)
        for (int64_t i = 0; i < d->n_rows; i++) d->labels[i] = tml_labels_index(r->f->labels, d->raw_labels[i]);
    return d;
}

/* A stratified valid split of all into r->train and r->valid: 0, or 1 when out of memory. */
static int split_valid(Run *r, const TmlDataset *all, double valid_frac, uint64_t seed, TmlError *err) {
    uint8_t *split = malloc((size_t)all->n_rows + 1);
    if (!split) return tml_fail(err, "out of memory"), 1;
    int rc = tml_split_stratified(all->labels, all->n_rows, r->f->labels->n, valid_frac, 0.0, seed, split, err) < 0;
    if (rc == 0 && (!(r->train = tml_dataset_select(all, split, TML_SPLIT_TRAIN)) ||
                    !(r->valid = tml_dataset_select(all, split, TML_SPLIT_VALID)))) {
        tml_fail(err, "out of memory");
        rc = 1;
    }
    free(split);
    return rc;
}

/* The new tickets (train, optional valid/test files, else a stratified valid split). */
static int base_data(Run *r, TmlError *err) {
    const char *train_path = tml_config_str(r->cfg, "data.train", NULL);
    if (!train_path)
        return tml_fail(err, "%s: [data] train is not set; name the new tickets file", r->cfg->path), 2;
    TmlDataset *all = base_rows(r, train_path, 1, err);
    if (!all) return 2;
    const char *valid_path = tml_config_str(r->cfg, "data.valid", NULL);
    const char *test_path = tml_config_str(r->cfg, "data.test", NULL);
    int rc = 0;
    if ((valid_path && !(r->valid = base_rows(r, valid_path, 0, err))) ||
        (test_path && !(r->test = base_rows(r, test_path, 0, err)))) {
        rc = 2;
    } else if (!r->valid) {
        double vf;
        int64_t seed;
        if (tml_config_double(r->cfg, "data.valid_frac", 0.1, &vf, err) ||
            tml_config_int(r->cfg, "data.seed", 42, &seed, err)) {
            rc = 2;
        } else if (vf > 0) {
            rc = split_valid(r, all, vf, (uint64_t)seed, err);
        }
    }
    if (rc == 0 && !r->train) {
        r->train = all;
        all = NULL;
    }
    tml_dataset_free(all);
    return rc;
}

/* The base model, grown when the new data brings labels it has never seen. */
static int base_model(Run *r, const TmlTrainOptions *o, TmlError *err) {
    r->m = r->base->model;
    r->base->model = NULL;
    if (r->f->labels->n > r->m->n_out && tml_model_grow_classes(r->m, r->f->labels->n, o->seed, err) < 0) return 1;
    return 0;
}

/* ---- the run ------------------------------------------------------------------------------------ */

static void summarize(const Run *r, const TmlDataset *ds, const char *name, char *line, size_t n) {
    line[0] = '\0';
    if (!ds) return;
    TmlError err;
    float *probs = tml_model_score_new(r->m, ds, 1024, &err);
    if (!probs) {
        fprintf(stderr, "ticketml: scoring %s: %s\n", name, err.msg);
        return;
    }
    if (r->rq->meter->summary(probs, ds->labels, ds->n_rows, r->m->n_out, r->f->positive, line, n, &err) < 0) {
        fprintf(stderr, "ticketml: metrics on %s: %s\n", name, err.msg);
        line[0] = '\0';
    }
    free(probs);
}

static void progress_header(const Run *r, const TmlTrainOptions *o) {
    if (r->rq->quiet) return;
    if (r->rq->from) {
        fprintf(stderr, "finetune: from %s (%s), %d classes, %lld train / %lld valid rows, %s backend%s\n", r->rq->from,
                r->m->arch, r->m->n_out, (long long)r->train->n_rows, (long long)(r->valid ? r->valid->n_rows : 0),
                tml_backend_name(r->be), o->freeze_embeddings ? ", embeddings frozen" : "");
        return;
    }
    char what[256];
    tml_model_describe(r->m, what, sizeof what);
    fprintf(stderr, "train: %s, %lld train / %lld valid / %lld test rows, %s backend (%s)\n", what,
            (long long)r->train->n_rows, (long long)(r->valid ? r->valid->n_rows : 0),
            (long long)(r->test ? r->test->n_rows : 0), tml_backend_name(r->be), tml_backend_device(r->be));
}

/* Loads config, backend, data and model, prints the header, opens the log: 0, or the exit status of
 * what failed. */
static int prepare(Run *r, TmlTrainOptions *o, TmlRunResult *res, TmlError *err) {
    const TmlRunRequest *rq = r->rq;
    if (!(r->cfg = tml_options_load(rq->config_path, rq->sets, rq->n_sets, err))) return 2;
    if (tml_train_options_from_config(r->cfg, o, err) < 0) return 2;
    if (!(r->be = tml_run_backend(rq->device, r->cfg, rq->quiet, err))) return 1;
    tml_train_state_init(&r->st, o->seed, o->higher_is_better);
    int rc;
    if (rq->from) {
        if (!(r->base = tml_modelfile_load(rq->from, r->be, 0, err))) return 2;
        r->f = r->base->features;
        r->task = r->base->task;
        if ((rc = base_data(r, err)) || (rc = base_model(r, o, err))) return rc;
    } else {
        r->task = tml_config_str(r->cfg, "model.task", "");
        if ((rc = new_data(r, err)) || (rc = new_model(r, o, res->ckpt, err))) return rc;
    }
    progress_header(r, o);
    if (rq->log_json && !(r->log = fopen(rq->log_json, "w")))
        return tml_fail(err, "%s: cannot write the JSON log", rq->log_json), 1;
    return 0;
}

static void run_free(Run *r) {
    if (r->log) fclose(r->log);
    tml_model_free(r->m);
    tml_loaded_model_free(r->base);
    tml_dataset_free(r->train);
    tml_dataset_free(r->valid);
    tml_dataset_free(r->test);
    tml_features_free(r->own);
    tml_backend_free(r->be);
    tml_config_free(r->cfg);
}

int tml_run_train(const TmlRunRequest *rq, TmlRunResult *res, TmlError *err) {
    memset(res, 0, sizeof *res);
    snprintf(res->ckpt, sizeof res->ckpt, "%s.ckpt", rq->out);
    Run r = {.rq = rq};
    TmlTrainOptions o;
    int rc = prepare(&r, &o, res, err);
    if (rc == 0) {
        o.quiet = rq->quiet;
        o.log_json = r.log;
        o.out_path = rq->out;
        o.ckpt_path = res->ckpt;
        o.cfg = r.cfg;
        o.features = r.f;
        o.task = r.task;
        o.metric_fn = rq->meter->value;
        int t = tml_model_train(r.m, r.train, r.valid, &o, &r.st, err);
        rc = t < 0 ? 1 : t == 1 ? 130 : 0;
    }
    if (rc == 0) {
        unlink(res->ckpt); /* finished: the checkpoint has served its purpose */
        summarize(&r, r.valid, "valid", res->valid, sizeof res->valid);
        summarize(&r, r.test, "test", res->test, sizeof res->test);
    }
    run_free(&r);
    return rc;
}
