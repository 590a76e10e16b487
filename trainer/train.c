/* train.c — the training loop and the [model]/[train] config keys. One optimizer step per
 * mini-batch; validation, early stopping, best-model saving, checkpoints and progress around it. */
#include "trainer/train.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trainer/batch.h"
#include "trainer/h5io.h"
#include "trainer/score.h"

const char *const TML_KNOWN_CONFIG_KEYS[] = {
    "data.kind", "data.train", "data.valid", "data.test", "data.format", "data.text", "data.label", "data.id",
    "data.seed", "data.valid_frac", "data.test_frac", "data.positive", "data.tickets", "data.history",
    "data.customer", "data.cutoff",
    "text.normalize", "text.placeholders", "text.cjk_bigrams", "text.word_ngrams", "text.minn", "text.maxn",
    "text.buckets", "text.min_count", "text.tfidf", "text.invalid_utf8",
    "tabular.numeric", "tabular.categorical", "tabular.ignore", "tabular.impute", "tabular.missing", "tabular.ratios",
    "tabular.sums", "tabular.buckets", "tabular.counts", "tabular.crosses", "tabular.max_crosses",
    "model.task", "model.type", "model.dim", "model.hidden", "model.loss", "model.bag",
    /* gradient-boosted trees (trainer/gbdt/params.c) */
    "model.growth", "model.max_leaves", "model.max_depth", "model.max_bins", "model.bin_sample",
    "model.min_child_weight", "model.min_data_in_leaf", "model.lambda_l2", "model.min_split_gain",
    "model.categorical", "model.max_cat_to_onehot", "model.max_cat_threshold", "model.cat_smooth", "model.cat_l2",
    "model.min_data_per_group", "train.rounds", "train.subsample", "train.colsample",
    "train.optimizer", "train.lr", "train.schedule", "train.warmup", "train.epochs", "train.batch_size",
    "train.weight_decay", "train.clip", "train.label_smoothing", "train.class_weight", "train.seed",
    "train.metric", "train.patience", "train.eval_every", "train.freeze_embeddings", "train.beta1",
    "train.beta2", "train.eps", "train.device",
    "eval.top_k", "eval.threshold", "eval.target_accuracy", "eval.batch_size",
    "explain.samples", "explain.features", "explain.kernel_width", "explain.seed",
    NULL};

static int pick(const char *v, const char *const *names, int n, const TmlConfig *cfg, const char *key, TmlError *err) {
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i])) return i;
    int line = 0;
    for (int i = 0; i < cfg->n; i++)
        if (!strcmp(cfg->entries[i].key, key)) line = cfg->entries[i].line;
    char opts[256] = "";
    for (int i = 0; i < n; i++) {
        strncat(opts, names[i], sizeof opts - strlen(opts) - 1);
        if (i + 1 < n) strncat(opts, " | ", sizeof opts - strlen(opts) - 1);
    }
    return tml_fail(err, "%s:%d: %s = '%s' is not one of: %s", cfg->path, line, key, v, opts);
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
    int kind = pick(tml_config_str(cfg, "train.optimizer", "adamw"), optims, 2, cfg, "train.optimizer", err);
    if (kind < 0) return -1;
    int sched = pick(tml_config_str(cfg, "train.schedule", "linear"), scheds, 3, cfg, "train.schedule", err);
    if (sched < 0) return -1;
    int cw = pick(tml_config_str(cfg, "train.class_weight", "none"), cws, 3, cfg, "train.class_weight", err);
    if (cw < 0) return -1;
    int metric = pick(tml_config_str(cfg, "train.metric", "accuracy"), metrics, 4, cfg, "train.metric", err);
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

int tml_model_spec_from_config(const TmlConfig *cfg, const TmlFeatures *f, TmlModelSpec *spec, TmlError *err) {
    memset(spec, 0, sizeof *spec);
    int64_t dim, hidden;
    if (tml_config_int(cfg, "model.dim", 100, &dim, err) || tml_config_int(cfg, "model.hidden", 0, &hidden, err))
        return -1;
    static const char *const types[] = {"linear", "embedding", "mlp", "logistic"};
    static const char *const losses[] = {"softmax", "ova"};
    static const char *const bags[] = {"auto", "mean", "sum"};
    const char *def = f->kind == TML_DATA_TABULAR ? (hidden > 0 ? "mlp" : "logistic") : "linear";
    int type = pick(tml_config_str(cfg, "model.type", def), types, 4, cfg, "model.type", err);
    int loss = type < 0 ? -1 : pick(tml_config_str(cfg, "model.loss", "softmax"), losses, 2, cfg, "model.loss", err);
    int bag = loss < 0 ? -1 : pick(tml_config_str(cfg, "model.bag", "auto"), bags, 3, cfg, "model.bag", err);
    if (bag < 0) return -1;
    int text = f->kind == TML_DATA_TEXT;
    if (text && type >= 2)
        return tml_fail(err, "%s: model.type = %s is for tabular data; text models are linear or embedding", cfg->path,
                        types[type]);
    if (!text && type < 2)
        return tml_fail(err, "%s: model.type = %s is for text; tabular models are logistic or mlp", cfg->path, types[type]);
    if (dim < 1 || dim > 100000 || hidden < 0 || hidden > 100000)
        return tml_fail(err, "%s: model.dim must be in 1..100000 and model.hidden in 0..100000", cfg->path);
    spec->arch = text ? (type == 0 ? TML_ARCH_LINEAR : TML_ARCH_EMBED) : TML_ARCH_TABULAR;
    spec->loss = (TmlLoss)loss;
    spec->in_dim = f->dim;
    spec->dim = (int)dim;
    spec->hidden = (type == 0 || type == 3) ? 0 : (int)hidden;
    spec->n_out = f->labels->n;
    int tfidf = text && f->text && tml_textfeat_config(f->text)->tfidf;
    spec->bag = bag == 1 ? TML_BAG_MEAN : bag == 2 ? TML_BAG_SUM : (tfidf ? TML_BAG_SUM : TML_BAG_MEAN);
    if (spec->n_out < 2) return tml_fail(err, "%s: the training data has only %d label(s); a classifier needs at least 2", cfg->path, spec->n_out);
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

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Progress: one updating line on a terminal, a plain line every few seconds otherwise. */
typedef struct Progress {
    int tty, quiet;
    double last, t0;
} Progress;

static void progress_show(Progress *p, int force, int epoch, int epochs, double frac, double loss, double lr,
                          double samples_s, double tokens_s, double eta) {
    if (p->quiet) return;
    double t = now_s();
    if (!force && t - p->last < (p->tty ? 0.2 : 5.0)) return;
    p->last = t;
    char tok[48] = "";
    if (tokens_s > 0) snprintf(tok, sizeof tok, "  %.2fM tok/s", tokens_s / 1e6);
    fprintf(stderr, "%sepoch %d/%d %5.1f%%  loss %.4f  lr %.3g  %.0f samples/s%s  ETA %.0fs%s", p->tty ? "\r" : "",
            epoch, epochs, 100.0 * frac, loss, lr, samples_s, tok, eta, p->tty ? "\033[K" : "\n");
    fflush(stderr);
}

static int save_checkpoint(TmlModel *m, const TmlTrainOptions *o, const TmlTrainState *st, TmlError *err) {
    if (!o->ckpt_path) return 0;
    return tml_modelfile_save(o->ckpt_path, o->cfg, o->task, o->features, m, st, o->opt.kind == TML_OPT_ADAMW, err);
}

static int reload_best(TmlModel *m, const char *path, TmlError *err) {
    tml_h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return tml_fail(err, "%s: cannot reopen the best model", path);
    int rc = tml_model_load_weights(m, f, 0, err);
    H5Fclose(f);
    return rc;
}

/* Class weights "balanced" as scikit-learn defines them: n / (C * count_c); with take_sqrt their
 * square root, a milder correction that keeps more accuracy on the majority class. */
static float *balanced_weights(const TmlDataset *d, int C, int take_sqrt) {
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
        if (take_sqrt) w[c] = sqrtf(w[c]);
    }
    free(cnt);
    return w;
}

/* Validates; updates best/bad counters and saves the best model. Returns 1 when training should
 * stop early, 0 to go on, -1 on error. */
static int validate(TmlModel *m, const TmlDataset *valid, const TmlTrainOptions *o, TmlTrainState *st, double train_loss,
                    double elapsed, TmlError *err) {
    float *probs = tml_score_dataset(m, valid, o->batch_size > 256 ? o->batch_size : 256, err);
    if (!probs) return -1;
    double acc;
    double v = o->metric_fn(o->metric_ctx, o->metric, probs, valid->labels, valid->n_rows, m->spec.n_out,
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

int tml_train(TmlModel *m, const TmlDataset *train, const TmlDataset *valid, const TmlTrainOptions *o,
              TmlTrainState *st, TmlError *err) {
    int64_t n = train->n_rows;
    if (n < 1) return tml_fail(err, "%s: no training rows", train->source ? train->source : "train data");
    int B = o->batch_size < n ? o->batch_size : (int)n;
    int64_t batches = (n + B - 1) / B;
    st->total_steps = batches * o->epochs;
    int C = m->spec.n_out;
    float *cw = o->class_weight_balanced ? balanced_weights(train, C, o->class_weight_balanced == 2) : NULL;
    tml_model_set_loss_options(m, cw, (float)o->label_smoothing);
    free(cw);
    TmlBatcher *bt = tml_batcher_new(train, m->spec.in_dim, B, m->E != NULL);
    int64_t *order = malloc((size_t)n * sizeof(int64_t));
    float *losses = malloc((size_t)B * sizeof(float));
    int rc = 0;
    if (!bt || !order || !losses) {
        rc = tml_fail(err, "out of host memory for training batches");
        goto done;
    }
    g_interrupted = 0;
    /* Tests interrupt at an exact step through the real signal path (TICKETML_INTERRUPT_AT_STEP). */
    const char *ia = getenv("TICKETML_INTERRUPT_AT_STEP");
    int64_t interrupt_at = ia ? strtoll(ia, NULL, 10) : 0;
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    Progress pr = {isatty(2), o->quiet, 0, now_s()};
    double t_start = now_s();
    double t_aside = 0; /* validation, checkpoints and model saves: not training throughput */
    int64_t samples_done = 0, tokens_done = 0;
    int stop = 0;
    /* Frozen embeddings (fine-tuning): no gradient flows into the table, no row is updated. */
    m->freeze_embeddings = o->freeze_embeddings;

    for (; st->epoch < o->epochs && !stop; st->epoch++) {
        TmlRng epoch_rng = st->rng;
        for (int64_t i = 0; i < n; i++) order[i] = i;
        for (int64_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
            int64_t j = (int64_t)tml_rng_below(&st->rng, (uint64_t)i + 1);
            int64_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        double loss_sum = 0;
        int64_t loss_n = 0;
        for (int64_t bi = st->batch_pos; bi < batches; bi++) {
            int64_t start = bi * B;
            int nb = (int)(n - start < B ? n - start : B);
            const TmlBatch *b = tml_batcher_fill(bt, order, start, nb);
            if (!b) {
                rc = tml_fail(err, "out of host memory assembling a batch");
                goto restore;
            }
            if (tml_model_load_batch(m, b, err) < 0) {
                rc = -1;
                goto restore;
            }
            int want_loss = !o->quiet || o->log_json || bi == batches - 1;
            tml_model_forward(m, want_loss ? losses : NULL);
            tml_model_backward(m, 1.0f / (float)nb);
            double lr = tml_lr_at(&o->opt, st->step, st->total_steps);
            st->step++;
            if (m->freeze_embeddings) m->n_uniq = 0;
            if (tml_optim_step(m, &o->opt, lr, st->step, 0, err) < 0) {
                rc = -1;
                goto restore;
            }
            if (want_loss) {
                for (int i = 0; i < nb; i++) loss_sum += losses[i];
                loss_n += nb;
            }
            samples_done += nb;
            tokens_done += b->nnz;
            double el = now_s() - t_start;
            double rate = (double)samples_done / (el > 0 ? el : 1e-9);
            double eta = rate > 0 ? (double)(st->total_steps - st->step) * B / rate : 0;
            progress_show(&pr, 0, st->epoch + 1, o->epochs, (double)(bi + 1) / (double)batches,
                          loss_n ? loss_sum / (double)loss_n : 0, lr, rate, (double)tokens_done / (el > 0 ? el : 1e-9), eta);
            if (valid && o->eval_every > 0 && st->step % o->eval_every == 0) {
                double ta = now_s();
                int r = validate(m, valid, o, st, loss_n ? loss_sum / (double)loss_n : 0, el, err);
                if (r < 0) {
                    rc = -1;
                    goto restore;
                }
                t_aside += now_s() - ta;
                if (r == 1) {
                    stop = 1;
                    break;
                }
            }
            if (interrupt_at > 0 && st->step == interrupt_at) raise(SIGINT);
            if (g_interrupted) {
                /* Save where we are: this epoch's starting RNG and how many batches are done. */
                TmlTrainState snap = *st;
                snap.rng = epoch_rng;
                snap.batch_pos = bi + 1;
                if (!o->quiet) fprintf(stderr, "%sinterrupted: saving checkpoint %s\n", pr.tty ? "\r\033[K" : "", o->ckpt_path ? o->ckpt_path : "(none)");
                rc = save_checkpoint(m, o, &snap, err) < 0 ? -1 : 1;
                goto restore;
            }
        }
        st->batch_pos = 0;
        double ta = now_s();
        double el = ta - t_start;
        double tl = loss_n ? loss_sum / (double)loss_n : 0;
        if (valid && o->eval_every == 0 && !stop) {
            int r = validate(m, valid, o, st, tl, el, err);
            if (r < 0) {
                rc = -1;
                goto restore;
            }
            if (r == 1) stop = 1;
        } else if (!valid && !o->quiet) {
            fprintf(stderr, "%sepoch %d/%d done: train loss %.4f, %.1fs\n", pr.tty ? "\r\033[K" : "", st->epoch + 1,
                    o->epochs, tl, el);
        }
        if (!valid && o->log_json) {
            fprintf(o->log_json, "{\"epoch\": %d, \"step\": %lld, \"train_loss\": %.6f, \"elapsed_s\": %.3f}\n",
                    st->epoch + 1, (long long)st->step, tl, el);
            fflush(o->log_json);
        }
        if (stop && !o->quiet)
            fprintf(stderr, "early stop: no %s improvement in %d evaluations; best at epoch %d\n", o->metric,
                    o->patience, st->best_epoch + 1);
        TmlTrainState snap = *st;
        snap.epoch = st->epoch + 1;
        if (save_checkpoint(m, o, &snap, err) < 0) {
            rc = -1;
            goto restore;
        }
        t_aside += now_s() - ta;
    }
    st->finished = 1;
    if (valid && st->best_epoch >= 0 && o->out_path) {
        rc = reload_best(m, o->out_path, err);
    } else if (o->out_path) {
        rc = tml_modelfile_save(o->out_path, o->cfg, o->task, o->features, m, NULL, 0, err);
    }
    if (!o->quiet && rc == 0) {
        double total = now_s() - t_start, el = total - t_aside;
        fprintf(stderr, "trained %lld steps in %.1fs (%.0f samples/s", (long long)st->step, el,
                (double)samples_done / (el > 0 ? el : 1e-9));
        if (tokens_done > 0) fprintf(stderr, ", %.2fM tokens/s", (double)tokens_done / (el > 0 ? el : 1e-9) / 1e6);
        fprintf(stderr, "); %.1fs more for validation, checkpoints and saving%s\n", total - el,
                valid ? "; best weights restored" : "");
    }
restore:
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
done:
    tml_batcher_free(bt);
    free(order);
    free(losses);
    return rc;
}
