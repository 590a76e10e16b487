/* train.c — the [train] options and the steps every training loop shares: validation with early
 * stopping and best-model saving, checkpoints, Ctrl-C, progress, class weights. The updates
 * themselves are the family's (net_train.c for the bag and mlp families). */
#include "trainer/train.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trainer/modelfile.h"

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
    if (epochs < 1 || batch < 1 || batch > 1 << 20 || oc->lr <= 0 || smoothing < 0 || smoothing >= 1 || patience < 0 ||
        eval_every < 0)
        return tml_fail(err, "%s: [train] needs epochs >= 1, 1 <= batch_size <= 1048576, lr > 0, "
                             "0 <= label_smoothing < 1, patience >= 0, eval_every >= 0",
                        cfg->path);
    o->epochs = (int)epochs;
    o->batch_size = (int)batch;
    o->seed = (uint64_t)seed;
    o->patience = (int)patience;
    o->eval_every = eval_every;
    o->label_smoothing = smoothing;
    o->class_weight_balanced = cw; /* 0 none, 1 balanced, 2 sqrt of balanced */
    o->freeze_embeddings = freeze;
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

/* ---- validation, checkpoints, the end ---------------------------------------------------------- */
int tml_train_checkpoint(TmlModel *m, const TmlTrainOptions *o, const TmlTrainState *st, TmlError *err) {
    if (!o->ckpt_path) return 0;
    return tml_modelfile_save(o->ckpt_path, o->cfg, o->task, o->features, m, st, o->opt.kind == TML_OPT_ADAMW, err);
}

int tml_train_finish(TmlModel *m, const TmlDataset *valid, const TmlTrainOptions *o, const TmlTrainState *st,
                     TmlError *err) {
    if (valid && st->best_epoch >= 0 && o->out_path) return tml_model_reload(m, o->out_path, err);
    if (o->out_path) return tml_modelfile_save(o->out_path, o->cfg, o->task, o->features, m, NULL, 0, err);
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
    float *probs = tml_model_score_new(m, valid, o->batch_size > 256 ? o->batch_size : 256, err);
    if (!probs) return -1;
    double acc;
    double v = o->metric_fn(o->metric_ctx, o->metric, probs, valid->labels, valid->n_rows, m->n_out,
                            o->features->positive, &acc);
    free(probs);
    int better = o->higher_is_better ? v > st->best_metric : v < st->best_metric;
    if (better) {
        st->best_metric = v;
        st->best_epoch = st->epoch;
        st->bad_epochs = 0;
        if (o->out_path && tml_modelfile_save(o->out_path, o->cfg, o->task, o->features, m, NULL, 0, err) < 0) return -1;
    } else {
        st->bad_epochs++;
    }
    if (!o->quiet)
        fprintf(stderr, "%svalid after epoch %d (step %lld): %s %.4f  accuracy %.4f  train loss %.4f%s\n",
                isatty(2) ? "\r\033[K" : "", st->epoch + 1, (long long)st->step, o->metric, v, acc, train_loss,
                better ? "  (best so far, saved)" : "");
    if (o->log_json) {
        fprintf(o->log_json,
                "{\"epoch\": %d, \"step\": %lld, \"train_loss\": %.6f, \"valid_%s\": %.6f, \"valid_accuracy\": %.6f, "
                "\"best\": %s, \"elapsed_s\": %.3f}\n",
                st->epoch + 1, (long long)st->step, train_loss, o->metric, v, acc, better ? "true" : "false", elapsed);
        fflush(o->log_json);
    }
    return o->patience > 0 && st->bad_epochs >= o->patience;
}
