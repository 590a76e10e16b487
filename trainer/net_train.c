/* net_train.c — the bag and mlp families' training loop: shuffled mini-batches, one optimizer step
 * per batch (row-sparse for the embedding table), the learning-rate schedule, and the shared steps
 * of train.h around it (validation, early stopping, the best weights kept, checkpoints every
 * train.checkpoint_every and on Ctrl-C, the stop on a diverged loss).
 * The text models can instead take one SGD step per example as fastText does (net_sgd.c; chosen by
 * [train] algorithm, automatically on the CPU): the same shuffled order, batches handed over in
 * chunks, each example stepping by the batch's learning rate / batch_size, i.e. the share it would
 * get in its mini-batch. Steps, checkpoints and --resume count batches in both. The loss sum stays on
 * the device and is read (and checked for divergence) when a progress line prints or an epoch ends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/batch.h"
#include "trainer/net_family.h"

/* One run of the loop: what the epochs share. */
typedef struct Loop {
    TmlModel *m;
    TmlNet *net;
    const TmlDataset *train, *valid;
    const TmlTrainOptions *o;
    TmlTrainState *st;
    TmlBatcher *bt;
    int64_t *order;  /* (n) this epoch's row order */
    int64_t n, batches;
    int B;
    TmlProgress pr;
    TmlTrainSignals *sig;
    double t_start, t_aside; /* t_aside: validation, checkpoints, saves (not training throughput) */
    int64_t samples_done, tokens_done, words_done; /* words: as fastText counts them (batch.h) */
    int sgd;                 /* per-example SGD (net_sgd.c) instead of mini-batches */
    int workers;             /* its threads (TmlBagSgd.workers) */
    int64_t chunk;           /* batches per chunk handed to it */
    double loss_sum;         /* this epoch's summed row losses over loss_n rows (as read so far from
                              * the device scalar: see mean_loss) */
    int64_t loss_n;
} Loop;

/* This epoch's mean row loss so far: reads the device loss sum (a synchronisation, so only when a
 * line prints or the epoch ends). */
static double mean_loss(Loop *L) {
    L->loss_sum += tml_net_take_loss(L->net);
    return L->loss_n ? L->loss_sum / (double)L->loss_n : 0;
}

/* Fisher-Yates over all rows with the state's RNG. */
static void shuffle(Loop *L) {
    for (int64_t i = 0; i < L->n; i++) L->order[i] = i;
    for (int64_t i = L->n - 1; i > 0; i--) {
        int64_t j = (int64_t)tml_rng_below(&L->st->rng, (uint64_t)i + 1);
        int64_t t = L->order[i];
        L->order[i] = L->order[j];
        L->order[j] = t;
    }
}

static int show_progress(Loop *L, int64_t batches_done, double lr, TmlError *err);

/* Forward, backward and one optimizer step on batch bi; progress line. 0 or -1. */
static int step(Loop *L, int64_t bi, TmlError *err) {
    const TmlTrainOptions *o = L->o;
    TmlTrainState *st = L->st;
    int64_t start = bi * L->B;
    int nb = (int)(L->n - start < L->B ? L->n - start : L->B);
    const TmlBatch *b = tml_batcher_fill(L->bt, L->order, start, nb);
    if (!b) return tml_fail(err, "out of host memory assembling a batch");
    if (tml_net_load_batch(L->net, b, err) < 0 || tml_net_forward_train(L->net, err) < 0) return -1;
    tml_net_backward(L->net, 1.0f / (float)nb);
    double lr = tml_lr_at(&o->opt, st->step, st->total_steps);
    st->step++;
    if (L->net->freeze_embeddings) L->net->n_uniq = 0;
    if (tml_optim_step(L->net, &o->opt, lr, st->step, 0, err) < 0) return -1;
    L->loss_n += nb;
    L->samples_done += nb;
    L->tokens_done += b->nnz;
    L->words_done += b->words;
    return show_progress(L, bi + 1, lr, err);
}

/* Per-example SGD over batches bi .. bi+nb-1 (one chunk): each example steps by its batch's
 * learning rate / B, interpolated linearly through the chunk. 0 or -1. */
static int sgd_step(Loop *L, int64_t bi, int64_t nb, TmlError *err) {
    const TmlTrainOptions *o = L->o;
    TmlTrainState *st = L->st;
    int64_t start = bi * L->B;
    int rows = (int)(L->n - start < nb * L->B ? L->n - start : nb * L->B);
    const TmlBatch *b = tml_batcher_fill(L->bt, L->order, start, rows);
    if (!b) return tml_fail(err, "out of host memory assembling a chunk of training rows");
    double lr0 = tml_lr_at(&o->opt, st->step, st->total_steps) / L->B;
    double lr1 = tml_lr_at(&o->opt, st->step + nb, st->total_steps) / L->B;
    if (tml_net_sgd_chunk(L->net, b, (float)lr0, (float)lr1, L->workers, err) < 0) return -1;
    st->step += nb;
    L->loss_n += rows;
    L->samples_done += rows;
    L->tokens_done += b->nnz;
    L->words_done += b->words;
    return show_progress(L, bi + nb, lr1 * L->B, err);
}

/* Batches the next chunk covers from bi: up to L->chunk, ending at the epoch's end and where a
 * validation falls due. */
static int64_t chunk_len(const Loop *L, int64_t bi) {
    int64_t nb = L->batches - bi < L->chunk ? L->batches - bi : L->chunk;
    int64_t ev = L->o->eval_every;
    if (L->valid && ev > 0 && ev - L->st->step % ev < nb) nb = ev - L->st->step % ev;
    return nb;
}

/* The progress line, when one is due: the only place mid-epoch where the loss comes to the host, so
 * also where a diverged loss stops training. 0 or -1. */
static int show_progress(Loop *L, int64_t batches_done, double lr, TmlError *err) {
    if (!tml_progress_due(&L->pr)) return 0;
    const TmlTrainOptions *o = L->o;
    TmlTrainState *st = L->st;
    double ml = mean_loss(L);
    if (tml_train_check_loss(o, st, ml, err)) return -1;
    double el = tml_train_now() - L->t_start;
    double rate = (double)L->samples_done / (el > 0 ? el : 1e-9);
    double eta = rate > 0 ? (double)(st->total_steps - st->step) * L->B / rate : 0;
    tml_progress_show(&L->pr, 0, st->epoch + 1, o->epochs, (double)batches_done / (double)L->batches, ml, lr, rate,
                      (double)(L->words_done ? L->words_done : L->tokens_done) / (el > 0 ? el : 1e-9), eta);
    return 0;
}

/* The batches of one epoch from st->batch_pos on. 0 when the epoch ran to its end, 1 when
 * validation says stop, 2 when interrupted (checkpoint written), -1 on error. */
static int run_epoch(Loop *L, TmlError *err) {
    const TmlTrainOptions *o = L->o;
    TmlTrainState *st = L->st;
    TmlRng epoch_rng = st->rng;
    shuffle(L);
    L->loss_sum = 0;
    L->loss_n = 0;
    for (int64_t bi = st->batch_pos; bi < L->batches;) {
        int64_t nb = L->sgd ? chunk_len(L, bi) : 1;
        if ((L->sgd ? sgd_step(L, bi, nb, err) : step(L, bi, err)) < 0) return -1;
        bi += nb;
        if (L->valid && o->eval_every > 0 && st->step % o->eval_every == 0) {
            double ta = tml_train_now();
            int r = tml_train_validate(L->m, L->valid, o, st, mean_loss(L), ta - L->t_start, err);
            if (r < 0) return -1;
            L->t_aside += tml_train_now() - ta;
            if (r == 1) return 1;
        }
        int r = tml_train_after_step(L->m, o, st, &epoch_rng, bi, L->sig, err); /* Ctrl-C, interval */
        if (r) return r < 0 ? -1 : 2;
    }
    return 0;
}

/* After an epoch: validation (once per epoch) or the epoch line, the JSON log without validation,
 * the early-stop note. Returns 1 when training stops, 0, or -1. */
static int end_epoch(Loop *L, int stop, TmlError *err) {
    const TmlTrainOptions *o = L->o;
    TmlTrainState *st = L->st;
    st->batch_pos = 0;
    double ta = tml_train_now();
    double el = ta - L->t_start;
    double tl = mean_loss(L);
    if (tml_train_check_loss(o, st, tl, err)) return -1;
    if (L->valid && o->eval_every == 0 && !stop) {
        int r = tml_train_validate(L->m, L->valid, o, st, tl, el, err);
        if (r < 0) return -1;
        if (r == 1) stop = 1;
    } else if (!L->valid && !o->quiet) {
        fprintf(stderr, "%sepoch %d/%d done: train loss %.4f, %.1fs\n", L->pr.tty ? "\r\033[K" : "", st->epoch + 1,
                o->epochs, tl, el);
    }
    if (!L->valid && o->log_json) {
        fprintf(o->log_json, "{\"epoch\": %d, \"step\": %lld, \"train_loss\": %.6f, \"elapsed_s\": %.3f}\n",
                st->epoch + 1, (long long)st->step, tl, el);
        fflush(o->log_json);
    }
    if (stop && !o->quiet)
        fprintf(stderr, "early stop: no %s improvement in %d evaluations; best at epoch %d\n", o->metric, o->patience,
                st->best_epoch + 1);
    L->t_aside += tml_train_now() - ta;
    return stop;
}

static void report_speed(const Loop *L, double t_end) {
    double total = tml_train_now() - L->t_start, el = t_end - L->t_start - L->t_aside;
    double t = el > 0 ? el : 1e-9;
    fprintf(stderr, "trained %lld steps in %.1fs (%.0f samples/s", (long long)L->st->step, el,
            (double)L->samples_done / t);
    if (L->words_done > 0) {
        int th = L->sgd ? (L->workers > 0 ? L->workers : tml_backend_threads(L->net->be)) : 0;
        fprintf(stderr, ", %.2fM words/s", (double)L->words_done / t / 1e6);
        if (th > 0) fprintf(stderr, ", %.0f words/s/thread on %d threads", (double)L->words_done / t / th, th);
    }
    if (L->tokens_done > 0) fprintf(stderr, ", %.2fM features/s", (double)L->tokens_done / t / 1e6);
    fprintf(stderr, "%s); %.1fs more for validation and checkpoints%s\n",
            L->sgd ? ", per-example SGD" : "", total - el, L->valid ? "; best weights restored" : "");
}

/* [train] algorithm and threads: per-example SGD when asked, or (auto) on the CPU when the model
 * and optimizer allow it. 0, or -1 with err set (exit status 2: a config error). */
static int pick_algorithm(Loop *L, TmlError *err) {
    const TmlConfig *cfg = L->o->cfg;
    static const char *const algos[] = {"auto", "minibatch", "hogwild"};
    int algo = 0;
    int64_t threads = 0;
    if (cfg) {
        if ((algo = tml_config_choice(cfg, "train.algorithm", "auto", algos, 3, err)) < 0) return -1;
        if (tml_config_int(cfg, "train.threads", 0, &threads, err)) return -1;
        if (threads < 0 || threads > 4096)
            return tml_fail(err, "%s: [train] threads must be 0 (all cores) or 1..4096, not %lld", cfg->path,
                            (long long)threads);
    }
    const TmlOptimConfig *oc = &L->o->opt;
    const char *why = tml_net_sgd_unsupported(L->net, oc->kind == TML_OPT_SGD, oc->weight_decay, oc->clip);
    if (algo == 2 && why)
        return tml_fail(err, "%s: [train] algorithm = hogwild (per-example SGD) cannot train this model: %s; use "
                             "algorithm = minibatch or auto",
                        cfg ? cfg->path : "config", why);
    L->sgd = algo == 2 || (algo == 0 && !why && !tml_backend_is_gpu(L->net->be));
    L->workers = (int)threads;
    /* a chunk of ~64k examples: a tenth of a second of work, so progress, Ctrl-C and the next
     * chunk's upload come often enough and cost nothing next to it */
    L->chunk = L->B >= 65536 ? 1 : 65536 / L->B;
    return 0;
}

int tml_net_train(TmlModel *m, const TmlDataset *train, const TmlDataset *valid, const TmlTrainOptions *o,
                  TmlTrainState *st, TmlError *err) {
    TmlNet *net = tml_net_of(m);
    Loop L = {.m = m, .net = net, .train = train, .valid = valid, .o = o, .st = st, .n = train->n_rows};
    if (L.n < 1) return tml_fail(err, "%s: no training rows", train->source ? train->source : "train data");
    L.B = o->batch_size < L.n ? o->batch_size : (int)L.n;
    L.batches = (L.n + L.B - 1) / L.B;
    st->total_steps = L.batches * o->epochs;
    int none;
    float *cw = tml_train_class_weights(train, net->spec.n_out, o->class_weight_balanced, &none);
    if (!cw && !none) return tml_fail(err, "out of host memory for the class weights");
    int rc = tml_net_set_loss_options(net, cw, (float)o->label_smoothing, err);
    free(cw);
    if (rc < 0) return -1;
    /* Frozen embeddings (fine-tuning): no gradient flows into the table, no row is updated, and the
     * table has neither a gradient buffer nor optimizer moments. */
    net->freeze_embeddings = o->freeze_embeddings;
    if (net->freeze_embeddings && net->E) tml_net_drop_training_state(net, net->E);
    if (pick_algorithm(&L, err) < 0) return -1;
    if (!L.sgd && tml_net_alloc_grads(net, err) < 0) return -1;
    int64_t max_rows = L.sgd ? (L.chunk * L.B < L.n ? L.chunk * L.B : L.n) : L.B;
    L.bt = tml_batcher_new_pinned(train, net->spec.in_dim, (int)max_rows, !L.sgd && net->E != NULL,
                                  tml_backend_is_gpu(net->be) ? net->be : NULL);
    if (L.bt && o->features && o->features->kind == TML_DATA_TEXT && o->features->text)
        L.bt->word_ids = tml_textfeat_n_words(o->features->text);
    L.order = malloc((size_t)L.n * sizeof(int64_t));
    if (!L.bt || !L.order || !(L.sig = tml_train_signals_begin())) {
        rc = tml_fail(err, "out of host memory for training batches");
        goto done;
    }
    tml_progress_init(&L.pr, o->quiet);
    if (L.bt->word_ids > 0) L.pr.unit = "words";
    L.t_start = tml_train_now();
    int stop = 0;
    for (; st->epoch < o->epochs && !stop; st->epoch++) {
        int r = run_epoch(&L, err);
        if (r < 0 || r == 2) {
            rc = r < 0 ? -1 : 1;
            goto done;
        }
        if ((r = end_epoch(&L, r == 1, err)) < 0) {
            rc = -1;
            goto done;
        }
        stop = r;
    }
    st->finished = 1;
    double t_end = tml_train_now(); /* the loop's end: what follows is saving */
    rc = tml_train_finish(m, valid, o, st, err);
    if (!o->quiet && rc == 0) report_speed(&L, t_end);
done:
    tml_train_signals_end(L.sig);
    tml_batcher_free(L.bt);
    free(L.order);
    return rc;
}
