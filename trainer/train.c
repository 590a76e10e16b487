/* train.c — the [train] options and the steps every training loop shares: validation with early
 * stopping, the best weights kept in memory, checkpoints on a time interval and on Ctrl-C, the stop
 * on a diverged loss, progress, class weights. The updates themselves are the family's
 * (net_train.c for the bag and mlp families). */
#include "trainer/train.h"

#include <ctype.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "data/file.h"
#include "data/h5.h"
#include "trainer/modelfile.h"

/* A [train] value that parsed but is out of range: the key, where it came from, what is allowed. */
static int bad_value(const TmlConfig *cfg, const char *key, const char *allowed, TmlError *err) {
    char where[600];
    tml_config_where(cfg, key, where, sizeof where);
    return tml_fail(err, "%s: %s", where, allowed);
}

double tml_train_parse_duration(const char *s) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0) return -1;
    while (isspace((unsigned char)*end)) end++;
    double unit = 1;
    if (*end == 's') unit = 1, end++;
    else if (*end == 'm') unit = 60, end++;
    else if (*end == 'h') unit = 3600, end++;
    while (isspace((unsigned char)*end)) end++;
    return *end ? -1 : v * unit;
}

int tml_train_options_from_config(const TmlConfig *cfg, TmlTrainOptions *o, TmlError *err) {
    memset(o, 0, sizeof *o);
    int64_t epochs, batch, seed, patience, eval_every;
    double smoothing;
    int freeze;
    static const char *const optims[] = {"sgd", "adamw"};
    static const char *const scheds[] = {"linear", "cosine", "constant"};
    static const char *const cws[] = {"none", "balanced", "sqrt_balanced"};
    static const char *const metrics[] = {"accuracy", "macro_f1", "roc_auc", "log_loss"};
    int kind = tml_config_choice(cfg, "train.optimizer", "adamw", optims, 2, err);
    if (kind < 0) return -1;
    int sched = tml_config_choice(cfg, "train.schedule", "linear", scheds, 3, err);
    if (sched < 0) return -1;
    int cw = tml_config_choice(cfg, "train.class_weight", "none", cws, 3, err);
    if (cw < 0) return -1;
    int metric = tml_config_choice(cfg, "train.metric", "accuracy", metrics, 4, err);
    if (metric < 0) return -1;
    TmlOptimConfig *oc = &o->opt;
    oc->kind = (TmlOptimKind)kind;
    oc->schedule = (TmlSchedule)sched;
    if (tml_config_int(cfg, "train.epochs", 10, &epochs, err) || tml_config_int(cfg, "train.batch_size", 64, &batch, err) ||
        tml_config_int(cfg, "train.seed", 42, &seed, err) || tml_config_int(cfg, "train.patience", 3, &patience, err) ||
        tml_config_int(cfg, "train.eval_every", 0, &eval_every, err) ||
        tml_config_double(cfg, "train.lr", kind == TML_OPT_SGD ? 0.5 : 0.01, &oc->lr, err) ||
        tml_config_double(cfg, "train.warmup", 0, &oc->warmup, err) ||
        tml_config_double(cfg, "train.weight_decay", 0, &oc->weight_decay, err) ||
        tml_config_double(cfg, "train.clip", 0, &oc->clip, err) ||
        tml_config_double(cfg, "train.beta1", 0.9, &oc->beta1, err) ||
        tml_config_double(cfg, "train.beta2", 0.999, &oc->beta2, err) ||
        tml_config_double(cfg, "train.eps", 1e-8, &oc->eps, err) ||
        tml_config_double(cfg, "train.label_smoothing", 0, &smoothing, err) ||
        tml_config_bool(cfg, "train.freeze_embeddings", 0, &freeze, err))
        return -1;
    /* one message per key, naming where its value came from */
    if (epochs < 1) return bad_value(cfg, "train.epochs", "must be at least 1", err);
    if (batch < 1 || batch > 1 << 20) return bad_value(cfg, "train.batch_size", "must be in 1..1048576", err);
    if (!(oc->lr > 0)) return bad_value(cfg, "train.lr", "must be greater than 0, e.g. 0.01", err);
    if (smoothing < 0 || smoothing >= 1)
        return bad_value(cfg, "train.label_smoothing", "must be in [0, 1), e.g. 0.1", err);
    if (patience < 0) return bad_value(cfg, "train.patience", "must be 0 (never stop early) or more", err);
    if (eval_every < 0)
        return bad_value(cfg, "train.eval_every", "must be 0 (validate once per epoch) or a number of steps", err);
    if (oc->warmup < 0) return bad_value(cfg, "train.warmup", "must be 0 or more (a fraction of the steps, or a step count)", err);
    if (oc->weight_decay < 0) return bad_value(cfg, "train.weight_decay", "must be 0 or more", err);
    if (oc->clip < 0) return bad_value(cfg, "train.clip", "must be 0 (off) or a positive gradient norm", err);
    if (oc->beta1 < 0 || oc->beta1 >= 1) return bad_value(cfg, "train.beta1", "must be in [0, 1), e.g. 0.9", err);
    if (oc->beta2 < 0 || oc->beta2 >= 1) return bad_value(cfg, "train.beta2", "must be in [0, 1), e.g. 0.999", err);
    if (!(oc->eps > 0)) return bad_value(cfg, "train.eps", "must be greater than 0, e.g. 1e-8", err);
    o->checkpoint_every = tml_train_parse_duration(tml_config_str(cfg, "train.checkpoint_every", "10m"));
    if (o->checkpoint_every < 0)
        return bad_value(cfg, "train.checkpoint_every",
                         "is not a duration; write seconds, minutes or hours, e.g. 90s, 10m, 2h (0: only on Ctrl-C)", err);
    o->epochs = (int)epochs;
    o->batch_size = (int)batch;
    o->seed = (uint64_t)seed;
    o->patience = (int)patience;
    o->eval_every = eval_every;
    o->label_smoothing = smoothing;
    o->class_weight_balanced = cw; /* 0 none, 1 balanced, 2 sqrt of balanced */
    o->freeze_embeddings = freeze;
    o->freeze_embeddings_set = tml_config_str(cfg, "train.freeze_embeddings", NULL) != NULL;
    snprintf(o->metric, sizeof o->metric, "%s", metrics[metric]);
    o->higher_is_better = strcmp(o->metric, "log_loss") != 0;
    return 0;
}

void tml_train_state_init(TmlTrainState *st, uint64_t seed, int higher_is_better) {
    memset(st, 0, sizeof *st);
    tml_rng_seed(&st->rng, seed ^ 0x5DEECE66Dull);
    st->best_metric = higher_is_better ? -INFINITY : INFINITY;
    st->best_epoch = -1;
}

void tml_train_log_add(TmlTrainState *st, const char *metric, double train_loss, double valid_metric,
                       double valid_accuracy, double elapsed_s) {
    if (st->n_log == TML_TRAIN_LOG_MAX) { /* keep the whole run's shape: every other entry goes */
        for (int i = 0; i < TML_TRAIN_LOG_MAX / 2; i++) st->log[i] = st->log[2 * i + 1];
        st->n_log = TML_TRAIN_LOG_MAX / 2;
    }
    st->log[st->n_log++] = (TmlTrainLogEntry){st->epoch + 1, (double)st->step, train_loss, valid_metric,
                                              valid_accuracy, elapsed_s};
    snprintf(st->log_metric, sizeof st->log_metric, "%s", metric ? metric : "");
}

/* ---- Ctrl-C --------------------------------------------------------------------------------- */
static volatile sig_atomic_t g_interrupted = 0;
static void on_sigint(int sig) {
    (void)sig;
    g_interrupted = 1;
}

struct TmlTrainSignals {
    struct sigaction old_int, old_term;
    int64_t interrupt_at; /* tests interrupt at an exact step through the real signal path */
};

TmlTrainSignals *tml_train_signals_begin(void) {
    TmlTrainSignals *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    g_interrupted = 0;
    const char *ia = getenv("TICKETML_INTERRUPT_AT_STEP");
    s->interrupt_at = ia ? strtoll(ia, NULL, 10) : 0;
    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &s->old_int);
    sigaction(SIGTERM, &sa, &s->old_term);
    return s;
}

void tml_train_signals_end(TmlTrainSignals *s) {
    if (!s) return;
    sigaction(SIGINT, &s->old_int, NULL);
    sigaction(SIGTERM, &s->old_term, NULL);
    free(s);
}

int tml_train_interrupted(TmlTrainSignals *s, int64_t step) {
    /* >=: loops that take several steps at once (per-example SGD chunks) stop at the first check past it */
    if (s->interrupt_at > 0 && step >= s->interrupt_at) {
        s->interrupt_at = 0;
        raise(SIGINT);
    }
    return g_interrupted;
}

double tml_train_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- progress --------------------------------------------------------------------------------- */
void tml_progress_init(TmlProgress *p, int quiet) {
    p->tty = isatty(2);
    p->quiet = quiet;
    p->unit = NULL;
    p->last = 0;
    p->t0 = tml_train_now();
}

int tml_progress_due(const TmlProgress *p) {
    return !p->quiet && tml_train_now() - p->last >= (p->tty ? 0.2 : 5.0);
}

void tml_progress_show(TmlProgress *p, int force, int epoch, int epochs, double frac, double loss, double lr,
                       double samples_s, double tokens_s, double eta) {
    if (p->quiet) return;
    double t = tml_train_now();
    if (!force && t - p->last < (p->tty ? 0.2 : 5.0)) return;
    p->last = t;
    char tok[48] = "";
    const char *unit = p->unit ? p->unit : "tok";
    if (tokens_s >= 1e6) snprintf(tok, sizeof tok, "  %.2fM %s/s", tokens_s / 1e6, unit);
    else if (tokens_s > 0) snprintf(tok, sizeof tok, "  %.0f %s/s", tokens_s, unit); /* encoders: thousands */
    fprintf(stderr, "%sepoch %d/%d %5.1f%%  loss %.4f  lr %.3g  %.0f samples/s%s  ETA %.0fs%s", p->tty ? "\r" : "",
            epoch, epochs, 100.0 * frac, loss, lr, samples_s, tok, eta, p->tty ? "\033[K" : "\n");
    fflush(stderr);
}

/* ---- the kept weights ---------------------------------------------------------------------------- */

struct TmlTrainKeep {
    int has_best;
    TmlBackend *be;       /* where best lives */
    float *best;          /* (n) device: the family's weight views, concatenated */
    size_t n;
    unsigned char *image; /* families without weight views: their part as an in-memory HDF5 file */
    size_t image_len;
    double last_ckpt;     /* monotonic time of the last checkpoint; 0 until the first step */
};

enum { MAX_VIEWS = 64 };

TmlTrainKeep *tml_train_keep_new(void) { return calloc(1, sizeof(TmlTrainKeep)); }

void tml_train_keep_free(TmlTrainKeep *k) {
    if (!k) return;
    if (k->best) tml_free(k->be, k->best);
    free(k->image);
    free(k);
}

int tml_train_keep_has_best(const TmlTrainKeep *k) { return k && k->has_best; }

/* The model's weight views and their total size; 0 views when the family has none. */
static int views_of(const TmlModel *m, TmlWeightView *v, size_t *total, TmlError *err) {
    *total = 0;
    if (!m->family->weight_views) return 0;
    int nv = m->family->weight_views(m, v, MAX_VIEWS);
    if (nv < 0 || nv > MAX_VIEWS) return tml_fail(err, "internal: the %s family has too many weight tensors", m->family->name);
    for (int i = 0; i < nv; i++) *total += v[i].n;
    return nv;
}

int tml_train_keep_take(TmlTrainKeep *k, const TmlModel *m, TmlError *err) {
    TmlWeightView v[MAX_VIEWS];
    size_t total;
    int nv = views_of(m, v, &total, err);
    if (nv < 0) return -1;
    if (nv > 0) { /* device to device: no host round trip */
        if (k->best && (k->be != m->be || k->n != total)) {
            tml_free(k->be, k->best);
            k->best = NULL;
        }
        if (!k->best && !(k->best = tml_alloc(m->be, (total ? total : 1) * sizeof(float))))
            return tml_fail(err, "out of %s memory keeping the best weights (%.1f MiB)", tml_backend_name(m->be),
                            (double)total * 4 / 1048576.0);
        k->be = m->be;
        k->n = total;
        size_t off = 0;
        for (int i = 0; i < nv; i++) {
            if (v[i].n) tml_copy(m->be, k->best + off, v[i].w, v[i].n * sizeof(float));
            off += v[i].n;
        }
    } else { /* any family: its own part of a model file, built in memory */
        hid_t f = tml_h5_mem_create(0);
        if (f < 0) return tml_fail(err, "out of host memory keeping the best weights");
        TmlError e2;
        if (tml_model_save(m, f, 0, &e2) < 0) {
            H5Fclose(f);
            return tml_fail(err, "keeping the best weights: %s", e2.msg);
        }
        size_t len;
        unsigned char *img = tml_h5_mem_bytes(f, &len);
        if (!img) return tml_fail(err, "out of host memory keeping the best weights");
        free(k->image);
        k->image = img;
        k->image_len = len;
    }
    k->has_best = 1;
    return 0;
}

int tml_train_keep_restore(const TmlTrainKeep *k, TmlModel *m, TmlError *err) {
    if (!k->has_best) return 0;
    if (k->best) {
        TmlWeightView v[MAX_VIEWS];
        size_t total;
        int nv = views_of(m, v, &total, err);
        if (nv < 0) return -1;
        if (nv == 0 || total != k->n || k->be != m->be)
            return tml_fail(err, "internal: the kept best weights do not fit the model");
        size_t off = 0;
        for (int i = 0; i < nv; i++) {
            if (v[i].n) tml_copy(m->be, v[i].w, k->best + off, v[i].n * sizeof(float));
            off += v[i].n;
        }
        return 0;
    }
    hid_t f = tml_h5_open_bytes(k->image, k->image_len);
    if (f < 0) return tml_fail(err, "out of host memory restoring the best weights");
    int rc = m->family->load(m, f, 0, err);
    H5Fclose(f);
    return rc;
}

int tml_train_keep_save(const TmlTrainKeep *k, const TmlModel *m, hid_t file, TmlError *err) {
    (void)m;
    if (!k || !k->has_best) return 0;
    hid_t g = H5Gcreate2(file, "best", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return tml_h5_fail(err, "cannot create group 'best'");
    int rc;
    if (k->best) {
        float *host = malloc((k->n ? k->n : 1) * sizeof(float));
        if (!host) {
            H5Gclose(g);
            return tml_fail(err, "out of host memory saving the best weights");
        }
        tml_download(k->be, host, k->best, k->n * sizeof(float));
        rc = tml_h5_attr_write_str(g, "kind", "weights", err) || tml_h5_write_f32(g, "weights", host, (int64_t)k->n, 0, err)
                 ? -1
                 : 0;
        free(host);
    } else {
        hsize_t d[1] = {(hsize_t)k->image_len};
        rc = tml_h5_attr_write_str(g, "kind", "image", err) ? -1 : 0;
        if (rc == 0 && tml_h5_write(g, "image", H5T_NATIVE_UINT8, 1, d, k->image, 0) < 0)
            rc = tml_h5_fail(err, "cannot write dataset 'best/image'");
    }
    H5Gclose(g);
    return rc;
}

TmlTrainKeep *tml_train_keep_load(hid_t file, const TmlModel *m, TmlError *err) {
    err->msg[0] = '\0';
    if (!tml_h5_exists(file, "best")) return NULL;
    hid_t g = H5Gopen2(file, "best", H5P_DEFAULT);
    TmlTrainKeep *k = tml_train_keep_new();
    char *kind = g >= 0 ? tml_h5_attr_read_str(g, "kind", err) : NULL;
    int ok = 0;
    if (!k) {
        tml_fail(err, "out of host memory");
    } else if (kind && !strcmp(kind, "weights")) {
        TmlWeightView v[MAX_VIEWS];
        size_t total;
        int nv = views_of(m, v, &total, err);
        float *host = nv > 0 ? malloc((total ? total : 1) * sizeof(float)) : NULL;
        if (nv == 0) tml_fail(err, "group 'best' holds weight tensors, which this model's family does not keep");
        else if (nv > 0 && !host) tml_fail(err, "out of host memory loading the best weights");
        else if (nv > 0 && tml_h5_read_f32(g, "weights", host, (int64_t)total, 0, err) == 0) {
            if (!(k->best = tml_alloc(m->be, (total ? total : 1) * sizeof(float)))) {
                tml_fail(err, "out of %s memory for the best weights", tml_backend_name(m->be));
            } else {
                tml_upload(m->be, k->best, host, total * sizeof(float));
                k->be = m->be;
                k->n = total;
                ok = 1;
            }
        }
        free(host);
    } else if (kind && !strcmp(kind, "image")) {
        int64_t n = tml_h5_size(g, "image", NULL);
        if (n > 0 && (k->image = malloc((size_t)n)) && tml_h5_read(g, "image", H5T_NATIVE_UINT8, k->image) == 0) {
            k->image_len = (size_t)n;
            ok = 1;
        } else {
            tml_fail(err, "cannot read dataset 'best/image'");
        }
    } else if (kind) {
        tml_fail(err, "group 'best' has an unknown kind '%s'", kind);
    }
    free(kind);
    if (g >= 0) H5Gclose(g);
    if (!ok) {
        if (!err->msg[0]) tml_fail(err, "group 'best' is unreadable");
        tml_train_keep_free(k);
        return NULL;
    }
    k->has_best = 1;
    return k;
}

/* ---- divergence ------------------------------------------------------------------------------- */

static int diverged(const TmlTrainOptions *o, const TmlTrainState *st, const char *what, TmlError *err) {
    char kept[700];
    if (o->ckpt_path && access(o->ckpt_path, F_OK) == 0)
        snprintf(kept, sizeof kept, "the last checkpoint, %s, is kept (continue from it with --resume and a lower rate)",
                 o->ckpt_path);
    else
        snprintf(kept, sizeof kept, "no checkpoint had been written yet");
    return tml_fail(err, "training diverged at epoch %d, step %lld: %s. Lower the learning rate (train.lr = %g; try "
                         "--set train.lr=%g)%s. No model was written; %s",
                    st->epoch + 1, (long long)st->step, what, o->opt.lr, o->opt.lr / 10,
                    o->opt.clip > 0 ? "" : " or clip the gradients (--set train.clip=1)", kept);
}

int tml_train_check_loss(const TmlTrainOptions *o, const TmlTrainState *st, double loss, TmlError *err) {
    if (isfinite(loss)) return 0;
    char what[64];
    snprintf(what, sizeof what, "the training loss is %s", isnan(loss) ? "NaN" : "infinite");
    return diverged(o, st, what, err);
}

/* ---- validation, checkpoints, the end ---------------------------------------------------------- */

int tml_train_checkpoint(TmlModel *m, const TmlTrainOptions *o, const TmlTrainState *st, TmlError *err) {
    if (!o->ckpt_path) return 0;
    double t0 = tml_train_now();
    if (tml_modelfile_save_checkpoint(o->ckpt_path, o->cfg, o->task, o->features, m, st,
                                      o->opt.kind == TML_OPT_ADAMW, o->keep, err) < 0)
        return -1;
    double t1 = tml_train_now();
    if (o->keep) o->keep->last_ckpt = t1;
    if (!o->quiet)
        fprintf(stderr, "%scheckpoint %s written (epoch %d, step %lld) in %.1fs\n", isatty(2) ? "\r\033[K" : "",
                o->ckpt_path, st->epoch + 1, (long long)st->step, t1 - t0);
    return 0;
}

int tml_train_after_step(TmlModel *m, const TmlTrainOptions *o, const TmlTrainState *st, const TmlRng *epoch_rng,
                         int64_t batch_pos, TmlTrainSignals *sig, TmlError *err) {
    int stop = tml_train_interrupted(sig, st->step), due = 0;
    TmlTrainKeep *k = o->keep;
    if (!stop && o->ckpt_path && o->checkpoint_every > 0 && k) {
        double now = tml_train_now();
        if (k->last_ckpt == 0) k->last_ckpt = now; /* the interval counts from the first step */
        due = now - k->last_ckpt >= o->checkpoint_every;
    }
    if (!stop && !due) return 0;
    /* a resumed run replays this epoch's order from its starting RNG and skips the batches done */
    TmlTrainState snap = *st;
    snap.rng = *epoch_rng;
    snap.batch_pos = batch_pos;
    if (stop && !o->quiet)
        fprintf(stderr, "%sinterrupted: saving checkpoint %s\n", isatty(2) ? "\r\033[K" : "",
                o->ckpt_path ? o->ckpt_path : "(none)");
    if (tml_train_checkpoint(m, o, &snap, err) < 0) return -1;
    return stop;
}

int tml_train_finish(TmlModel *m, const TmlDataset *valid, const TmlTrainOptions *o, const TmlTrainState *st,
                     TmlError *err) {
    if (!valid || st->best_epoch < 0) return 0;
    if (tml_train_keep_has_best(o->keep)) return tml_train_keep_restore(o->keep, m, err);
    if (!o->quiet)
        fprintf(stderr, "note: the checkpoint this run resumed from kept no best weights (an older ticketml wrote it); "
                        "the model is the last weights, not those of epoch %d\n", st->best_epoch + 1);
    return 0;
}

float *tml_train_class_weights(const TmlDataset *d, int C, int mode, int *none) {
    *none = mode == 0;
    if (mode == 0) return NULL;
    float *w = calloc((size_t)C, sizeof(float));
    int64_t *cnt = calloc((size_t)C, sizeof(int64_t));
    int64_t n = 0;
    if (!w || !cnt) {
        free(w);
        free(cnt);
        return NULL;
    }
    for (int64_t i = 0; i < d->n_rows; i++)
        if (d->labels[i] >= 0) cnt[d->labels[i]]++, n++;
    for (int c = 0; c < C; c++) {
        w[c] = cnt[c] ? (float)n / ((float)C * (float)cnt[c]) : 0.0f;
        if (mode == 2) w[c] = sqrtf(w[c]);
    }
    free(cnt);
    return w;
}

int tml_train_validate(TmlModel *m, const TmlDataset *valid, const TmlTrainOptions *o, TmlTrainState *st,
                       double train_loss, double elapsed, TmlError *err) {
    if (tml_train_check_loss(o, st, train_loss, err)) return -1;
    float *probs = tml_model_score_new(m, valid, o->batch_size > 256 ? o->batch_size : 256, err);
    if (!probs) return -1;
    size_t np = (size_t)valid->n_rows * (size_t)m->n_out;
    for (size_t i = 0; i < np; i++)
        if (!isfinite(probs[i])) {
            free(probs);
            return diverged(o, st, "the model's validation probabilities are not finite (its weights are NaN or infinite)",
                            err);
        }
    double acc;
    double v = o->metric_fn(o->metric_ctx, o->metric, probs, valid->labels, valid->n_rows, m->n_out,
                            o->features->positive, &acc);
    free(probs);
    int better = o->higher_is_better ? v > st->best_metric : v < st->best_metric;
    if (better) {
        st->best_metric = v;
        st->best_epoch = st->epoch;
        st->bad_epochs = 0;
        if (o->keep && tml_train_keep_take(o->keep, m, err) < 0) return -1;
    } else {
        st->bad_epochs++;
    }
    tml_train_log_add(st, o->metric, train_loss, v, acc, elapsed);
    int is_acc = strcmp(o->metric, "accuracy") == 0; /* then the metric is the accuracy: say it once */
    if (!o->quiet) {
        char extra[48] = "";
        if (!is_acc) snprintf(extra, sizeof extra, "  accuracy %.4f", acc);
        fprintf(stderr, "%svalid after epoch %d (step %lld): %s %.4f%s  train loss %.4f%s\n",
                isatty(2) ? "\r\033[K" : "", st->epoch + 1, (long long)st->step, o->metric, v, extra, train_loss,
                better ? "  (best so far, kept)" : "");
    }
    if (o->log_json) {
        fprintf(o->log_json, "{\"epoch\": %d, \"step\": %lld, \"train_loss\": %.6f, \"valid_%s\": %.6f", st->epoch + 1,
                (long long)st->step, train_loss, o->metric, v);
        if (!is_acc) fprintf(o->log_json, ", \"valid_accuracy\": %.6f", acc);
        fprintf(o->log_json, ", \"best\": %s, \"elapsed_s\": %.3f}\n", better ? "true" : "false", elapsed);
        if (tml_file_check(o->log_json, o->log_path ? o->log_path : "the JSON log", err)) return -1;
    }
    return o->patience > 0 && st->bad_epochs >= o->patience;
}
