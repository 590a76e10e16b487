/* run.c — training runs end to end (see run.h): the output checked and locked before any work, the
 * data and model a run starts from (fresh, cached, resumed, or a base model grown to new labels),
 * the outputs wired into the training options, the score lines at the end and the model file
 * written once, after its probabilities are checked. */
#include "trainer/run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/file.h"
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
    TmlTrainKeep *keep;    /* the best weights (a resumed run: the checkpoint's) */
    FILE *log;
    TmlFileLock *lock;     /* on the output: one run per --out */
    double t_data, t_init; /* seconds spent reading and featurizing, and building the model */
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
        if (tml_cache_check_path(rq->cache, r->cfg, err)) return 2;
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

/* Warns about every key whose value differs between the checkpoint's config and this run's (the
 * run goes on with this run's values); returns how many differ, listing them in diff. The warnings
 * are printed under --quiet too: --quiet drops progress, not a changed setting. */
static int config_diff(const TmlConfig *was, const TmlConfig *now, char *diff, size_t n) {
    int k = 0;
    diff[0] = '\0';
    for (int pass = 0; pass < 2; pass++) {
        const TmlConfig *a = pass ? was : now, *b = pass ? now : was;
        for (int i = 0; i < a->n; i++) {
            const char *key = a->entries[i].key, *va = a->entries[i].value;
            const char *vb = tml_config_str(b, key, NULL);
            if (pass && vb) continue; /* both sides have it: counted in the first pass */
            if (vb && !strcmp(va, vb)) continue;
            const char *v_now = pass ? vb : va, *v_was = pass ? va : vb;
            fprintf(stderr, "warning: --resume: %s = %s here, %s in the checkpoint\n", key, v_now ? v_now : "(unset)",
                    v_was ? v_was : "(unset)");
            size_t used = strlen(diff);
            if (used + 2 < n) snprintf(diff + used, n - used, "%s%s", k ? ", " : "", key);
            k++;
        }
    }
    return k;
}

/* A new model of the configured family, initialized or taken from the checkpoint (--resume). */
static int new_model(Run *r, const TmlTrainOptions *o, const char *ckpt, TmlError *err) {
    if (!(r->m = tml_model_configure(r->cfg, r->f, r->be, err))) return 2;
    if (!r->rq->resume) return tml_model_init(r->m, o->seed, err) < 0 ? 1 : 0;
    TmlError e2;
    TmlLoadedModel *ck = tml_modelfile_load(ckpt, r->be, 1, &e2);
    if (!ck) return tml_fail(err, "--resume: %s", e2.msg), 2;
    char diff[600];
    int nd = config_diff(ck->config, r->cfg, diff, sizeof diff);
    if (!ck->has_state || !tml_model_same_shape(ck->model, r->m)) {
        tml_loaded_model_free(ck);
        if (nd)
            return tml_fail(err, "--resume: %s holds a model of another shape than this config's (keys that differ: "
                                 "%s); resume with the options of the interrupted run (the hint it printed) or start "
                                 "without --resume", ckpt, diff), 2;
        return tml_fail(err, "--resume: %s does not match this config's model (other data or features); start "
                             "without --resume", ckpt), 2;
    }
    tml_model_free(r->m);
    r->m = ck->model;
    ck->model = NULL;
    r->st = ck->state;
    r->keep = ck->keep;
    ck->keep = NULL;
    tml_loaded_model_free(ck);
    if (!r->rq->quiet)
        fprintf(stderr, "resuming from %s at epoch %d, batch %lld (step %lld)%s\n", ckpt, r->st.epoch + 1,
                (long long)r->st.batch_pos, (long long)r->st.step,
                nd ? "; with this run's values of the keys above" : "");
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

/* The score line of a split into line; -1 (err set) when the model's probabilities on it are not
 * finite: a diverged model is never written. */
static int summarize(const Run *r, const TmlDataset *ds, const char *name, char *line, size_t n, TmlError *err) {
    line[0] = '\0';
    if (!ds) return 0;
    TmlError e2;
    float *probs = tml_model_score_new(r->m, ds, 1024, &e2);
    if (!probs) {
        fprintf(stderr, "ticketml: scoring %s: %s\n", name, e2.msg);
        return 0;
    }
    size_t np = (size_t)ds->n_rows * (size_t)r->m->n_out;
    for (size_t i = 0; i < np; i++)
        if (!isfinite(probs[i])) {
            free(probs);
            return tml_fail(err, "the trained model gives NaN or infinite probabilities on the %s rows (the training "
                                 "diverged; its weights are not finite): no model was written; train again with a "
                                 "lower train.lr", name);
        }
    if (r->rq->meter->summary(probs, ds->labels, ds->n_rows, r->m->n_out, r->f->positive, line, n, &e2) < 0) {
        fprintf(stderr, "ticketml: metrics on %s: %s\n", name, e2.msg);
        line[0] = '\0';
    }
    free(probs);
    return 0;
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

/* The output checked before any work (featurizing a million tickets, an epoch): its folder exists
 * and is writable, it is none of the run's inputs, and no other run writes it (the lock, held until
 * the run ends). 0, or the exit status. */
static int check_output(Run *r, const char *ckpt, TmlError *err) {
    const TmlRunRequest *rq = r->rq;
    if (tml_file_check_output(rq->out, "--out", err)) return 2;
    const char *keys[] = {"data.train", "data.valid", "data.test", "data.tickets"};
    for (int i = 0; i < 4; i++) {
        const char *v = tml_config_str(r->cfg, keys[i], NULL);
        if (!v || !v[0]) continue;
        char *p = tml_data_path(v);
        int same = p && (tml_file_same(p, rq->out) || tml_file_same(p, ckpt));
        free(p);
        if (same)
            return tml_fail(err, "--out %s is the %s file of the config (%s = %s); writing the model there would "
                                 "destroy it: choose another --out", rq->out, keys[i] + 5, keys[i], v), 2;
    }
    const char *other[][2] = {{rq->config_path, "the config"}, {rq->from, "the --from model"},
                              {rq->cache, "the --cache file"}, {rq->log_json, "the --log-json file"}};
    for (int i = 0; i < 4; i++)
        if (other[i][0] && (tml_file_same(other[i][0], rq->out) || !strcmp(other[i][0], rq->out)))
            return tml_fail(err, "--out %s is also %s; choose another --out", rq->out, other[i][1]), 2;
    if (rq->log_json && tml_file_check_output(rq->log_json, "--log-json", err)) return 2;
    if (!(r->lock = tml_file_lock(rq->out, "ticketml run", err))) return 2;
    return 0;
}

/* Loads config, backend, data and model, prints the header, opens the log: 0, or the exit status of
 * what failed. */
static int prepare(Run *r, TmlTrainOptions *o, TmlRunResult *res, TmlError *err) {
    const TmlRunRequest *rq = r->rq;
    if (!(r->cfg = tml_options_load(rq->config_path, rq->sets, rq->n_sets, err))) return 2;
    if (tml_train_options_from_config(r->cfg, o, err) < 0) return 2;
    int rc = check_output(r, res->ckpt, err);
    if (rc) return rc;
    if (!(r->be = tml_run_backend(rq->device, r->cfg, rq->quiet, err))) return 1;
    tml_train_state_init(&r->st, o->seed, o->higher_is_better);
    if (rq->from) {
        if (!(r->base = tml_modelfile_load(rq->from, r->be, 0, err))) return 2;
        r->f = r->base->features;
        r->task = r->base->task;
        if ((rc = base_data(r, err)) || (rc = base_model(r, o, err))) return rc;
    } else {
        r->task = tml_config_str(r->cfg, "model.task", "");
        double t0 = tml_train_now();
        if ((rc = new_data(r, err))) return rc;
        double t1 = tml_train_now();
        if ((rc = new_model(r, o, res->ckpt, err))) return rc;
        r->t_data = t1 - t0;
        r->t_init = tml_train_now() - t1;
    }
    progress_header(r, o);
    /* a resumed run continues its log */
    if (rq->log_json && !(r->log = fopen(rq->log_json, rq->resume ? "a" : "w")))
        return tml_fail(err, "%s: cannot write the JSON log: %s", rq->log_json, strerror(errno)), 1;
    if (!r->keep && !(r->keep = tml_train_keep_new())) return tml_fail(err, "out of host memory"), 1;
    return 0;
}

static void run_free(Run *r) {
    if (r->log) fclose(r->log);
    tml_train_keep_free(r->keep);
    tml_model_free(r->m);
    tml_loaded_model_free(r->base);
    tml_dataset_free(r->train);
    tml_dataset_free(r->valid);
    tml_dataset_free(r->test);
    tml_features_free(r->own);
    tml_backend_free(r->be);
    tml_config_free(r->cfg);
    tml_file_unlock(r->lock);
}

/* Closes the JSON log; a write that failed on the way (a full disk) fails the run, and the broken
 * log is removed. rc: the run's status so far. */
static int close_log(Run *r, int rc, TmlError *err) {
    if (!r->log) return rc;
    TmlError e2;
    int bad = tml_file_check(r->log, r->rq->log_json, &e2) < 0;
    if (fclose(r->log) != 0 && !bad) bad = 1, tml_fail(&e2, "%s: write failed on close", r->rq->log_json);
    r->log = NULL;
    if (!bad) return rc;
    unlink(r->rq->log_json);
    if (rc == 0 || rc == 130) {
        tml_fail(err, "the JSON log: %s (the log was removed)", e2.msg);
        return 1;
    }
    return rc;
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
        o.log_path = rq->log_json;
        o.out_path = rq->out;
        o.ckpt_path = res->ckpt;
        o.keep = r.keep;
        o.cfg = r.cfg;
        o.features = r.f;
        o.task = r.task;
        o.metric_fn = rq->meter->value;
    }
    double t_train = tml_train_now(), t_score = 0, t_save = 0;
    if (rc == 0) {
        int t = tml_model_train(r.m, r.train, r.valid, &o, &r.st, err);
        rc = t < 0 ? 1 : t == 1 ? 130 : 0;
    }
    t_score = tml_train_now();
    t_train = t_score - t_train;
    /* the scores first: a model whose probabilities are not finite is not written */
    if (rc == 0 && (summarize(&r, r.valid, "valid", res->valid, sizeof res->valid, err) ||
                    summarize(&r, r.test, "test", res->test, sizeof res->test, err)))
        rc = 1;
    t_save = tml_train_now();
    t_score = t_save - t_score;
    if (rc == 0 && tml_modelfile_save_final(rq->out, r.cfg, r.task, r.f, r.m, &r.st, err) < 0) rc = 1;
    t_save = tml_train_now() - t_save;
    /* where the command's time went (the training line above splits "training" further) */
    if (rc == 0 && !rq->quiet)
        fprintf(stderr, "time: data %.1fs, model %.1fs, training %.1fs, scoring %.1fs, saving %.1fs\n", r.t_data,
                r.t_init, t_train, t_score, t_save);
    if (rc == 0) unlink(res->ckpt); /* finished: the checkpoint has served its purpose */
    rc = close_log(&r, rc, err);
    run_free(&r);
    return rc;
}
