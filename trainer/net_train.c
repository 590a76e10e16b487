/* net_train.c — the bag and mlp families' training loop: shuffled mini-batches, one optimizer step
 * per batch (row-sparse for the embedding table), the learning-rate schedule, and the shared steps
 * of train.h around it (validation, early stopping, the best weights kept, checkpoints every
 * train.checkpoint_every and on Ctrl-C, the stop on a diverged loss). */
#include <stdio.h>
#include <stdlib.h>

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
    float *losses;   /* (B) per-row losses of the last batch */
    int64_t n, batches;
    int B;
    TmlProgress pr;
    TmlTrainSignals *sig;
    double t_start, t_aside; /* t_aside: validation, checkpoints, saves (not training throughput) */
    int64_t samples_done, tokens_done;
    double loss_sum;         /* this epoch's summed row losses over loss_n rows */
    int64_t loss_n;
} Loop;

static double mean_loss(const Loop *L) { return L->loss_n ? L->loss_sum / (double)L->loss_n : 0; }

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

/* Forward, backward and one optimizer step on batch bi; progress line. 0 or -1. */
static int step(Loop *L, int64_t bi, TmlError *err) {
    const TmlTrainOptions *o = L->o;
    TmlTrainState *st = L->st;
    int64_t start = bi * L->B;
    int nb = (int)(L->n - start < L->B ? L->n - start : L->B);
    const TmlBatch *b = tml_batcher_fill(L->bt, L->order, start, nb);
    if (!b) return tml_fail(err, "out of host memory assembling a batch");
    if (tml_net_load_batch(L->net, b, err) < 0) return -1;
    /* the loss of every batch with progress or a JSON log; quiet, every 16th (the model file keeps
     * the training curve, and a mean over 1/16 of the batches estimates it well at 1/16 the cost) */
    int want_loss = !o->quiet || o->log_json || bi == L->batches - 1 || bi % 16 == 0;
    tml_net_forward(L->net, want_loss ? L->losses : NULL);
    tml_net_backward(L->net, 1.0f / (float)nb);
    double lr = tml_lr_at(&o->opt, st->step, st->total_steps);
    st->step++;
    if (L->net->freeze_embeddings) L->net->n_uniq = 0;
    if (tml_optim_step(L->net, &o->opt, lr, st->step, 0, err) < 0) return -1;
    if (want_loss) {
        for (int i = 0; i < nb; i++) L->loss_sum += L->losses[i];
        L->loss_n += nb;
        if (tml_train_check_loss(o, st, L->loss_sum, err)) return -1;
    }
    L->samples_done += nb;
    L->tokens_done += b->nnz;
    double el = tml_train_now() - L->t_start;
    double rate = (double)L->samples_done / (el > 0 ? el : 1e-9);
    double eta = rate > 0 ? (double)(st->total_steps - st->step) * L->B / rate : 0;
    tml_progress_show(&L->pr, 0, st->epoch + 1, o->epochs, (double)(bi + 1) / (double)L->batches, mean_loss(L), lr,
                      rate, (double)L->tokens_done / (el > 0 ? el : 1e-9), eta);
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
    for (int64_t bi = st->batch_pos; bi < L->batches; bi++) {
        if (step(L, bi, err) < 0) return -1;
        if (L->valid && o->eval_every > 0 && st->step % o->eval_every == 0) {
            double ta = tml_train_now();
            int r = tml_train_validate(L->m, L->valid, o, st, mean_loss(L), ta - L->t_start, err);
            if (r < 0) return -1;
            L->t_aside += tml_train_now() - ta;
            if (r == 1) return 1;
        }
        int r = tml_train_after_step(L->m, o, st, &epoch_rng, bi + 1, L->sig, err); /* Ctrl-C, interval */
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

static void report_speed(const Loop *L) {
    double total = tml_train_now() - L->t_start, el = total - L->t_aside;
    fprintf(stderr, "trained %lld steps in %.1fs (%.0f samples/s", (long long)L->st->step, el,
            (double)L->samples_done / (el > 0 ? el : 1e-9));
    if (L->tokens_done > 0) fprintf(stderr, ", %.2fM tokens/s", (double)L->tokens_done / (el > 0 ? el : 1e-9) / 1e6);
    fprintf(stderr, "); %.1fs more for validation and checkpoints%s\n", total - el,
            L->valid ? "; best weights restored" : "");
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
    L.bt = tml_batcher_new(train, net->spec.in_dim, L.B, net->E != NULL);
    L.order = malloc((size_t)L.n * sizeof(int64_t));
    L.losses = malloc((size_t)L.B * sizeof(float));
    if (!L.bt || !L.order || !L.losses || !(L.sig = tml_train_signals_begin())) {
        rc = tml_fail(err, "out of host memory for training batches");
        goto done;
    }
    tml_progress_init(&L.pr, o->quiet);
    L.t_start = tml_train_now();
    /* Frozen embeddings (fine-tuning): no gradient flows into the table, no row is updated, and the
     * table has neither a gradient buffer nor optimizer moments. */
    net->freeze_embeddings = o->freeze_embeddings;
    if (net->freeze_embeddings && net->E) tml_net_drop_training_state(net, net->E);
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
    rc = tml_train_finish(m, valid, o, st, err);
    if (!o->quiet && rc == 0) report_speed(&L);
done:
    tml_train_signals_end(L.sig);
    tml_batcher_free(L.bt);
    free(L.order);
    free(L.losses);
    return rc;
}
