/* encoder_train.c — the encoder family's training loop: tokenized rows in batches padded to their
 * longest row (rows shuffled, then length-sorted inside windows of train.sort_window batches, then
 * the batches shuffled), gradient accumulation over train.grad_accum batches, global-norm clipping,
 * AdamW with warmup and linear decay, and the shared steps of train.h (validation, early stopping,
 * the best weights kept, checkpoints every train.checkpoint_every and on Ctrl-C, the stop on a
 * diverged loss, progress, the JSON log). With train.freeze_encoder the
 * encoder runs once over the training texts and only the head trains, on the cached pooled vectors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/encoder_family.h"

typedef struct Loop {
    TmlModel *m;
    TmlEncModel *em;
    TmlEncoder *enc;
    const TmlDataset *train, *valid;
    const TmlTrainOptions *o;
    TmlTrainState *st;
    int64_t *off;      /* tokenized training rows (CSR) */
    int32_t *ids;
    float *pooled;     /* frozen encoder: (n, C) pooled outputs, computed once; else NULL */
    int64_t n, batches;
    int B, accum;
    int64_t *order;    /* (n) this epoch's rows: batch k is order[k*B ..) */
    int64_t *bperm;    /* (batches) the order the batches run in */
    int32_t *b_ids, *b_lens, *b_labels;
    float *b_pooled;
    double *d_loss;    /* (1) device: the row losses summed since mean_loss last read them */
    TmlProgress pr;
    TmlTrainSignals *sig;
    double t_start, t_aside;
    int64_t samples_done, tokens_done, loss_n;
    double loss_sum;
} Loop;

/* This epoch's mean row loss so far; reads the device sum (a synchronisation: only when a line
 * prints, a validation runs or the epoch ends). */
static double mean_loss(Loop *L) {
    double v = 0.0;
    tml_download(L->m->be, &v, L->d_loss, sizeof v);
    tml_zero(L->m->be, L->d_loss, sizeof(double));
    L->loss_sum += v;
    return L->loss_n ? L->loss_sum / (double)L->loss_n : 0;
}
static int batch_rows(const Loop *L, int64_t k) { return (int)(L->n - k * L->B < L->B ? L->n - k * L->B : L->B); }

static const int64_t *g_off; /* for the length comparator (one training loop at a time) */
static int by_length(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    int64_t lx = g_off[x + 1] - g_off[x], ly = g_off[y + 1] - g_off[y];
    return lx != ly ? (lx < ly ? -1 : 1) : (x > y) - (x < y);
}

static void shuffle(int64_t *v, int64_t n, TmlRng *rng) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)tml_rng_below(rng, (uint64_t)i + 1), t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

/* This epoch's order from the state's RNG: rows shuffled, sorted by length inside windows (so a
 * batch pads little), batches shuffled. The same RNG state gives the same order (--resume). */
static void plan_epoch(Loop *L) {
    for (int64_t i = 0; i < L->n; i++) L->order[i] = i;
    shuffle(L->order, L->n, &L->st->rng);
    if (!L->pooled) { /* with cached pooled vectors the length no longer matters */
        int64_t w = (int64_t)L->em->sort_window * L->B;
        g_off = L->off;
        for (int64_t s = 0; s < L->n; s += w)
            qsort(L->order + s, (size_t)(L->n - s < w ? L->n - s : w), sizeof(int64_t), by_length);
    }
    for (int64_t k = 0; k < L->batches; k++) L->bperm[k] = k;
    shuffle(L->bperm, L->batches, &L->st->rng);
}

/* The pooled outputs of every training row (and of the validation rows, which enc_score then
 * reuses) through the frozen encoder, once. */
static int cache_pooled(Loop *L, TmlError *err) {
    const TmlEncoderConfig *c = &L->em->cfg;
    double t0 = tml_train_now();
    int B = L->B > 64 ? L->B : 64;
    if (!(L->pooled = malloc(sizeof(float) * (size_t)L->n * c->hidden)))
        return tml_fail(err, "out of host memory caching %lld pooled vectors", (long long)L->n);
    if (tml_enc_pool_rows(L->m, L->train, B, L->pooled, err)) return -1;
    if (L->valid && L->valid->n_rows > 0) {
        float *vp = malloc(sizeof(float) * (size_t)L->valid->n_rows * c->hidden);
        if (!vp) return tml_fail(err, "out of host memory caching the validation set");
        if (tml_enc_pool_rows(L->m, L->valid, B, vp, err)) {
            free(vp);
            return -1;
        }
        L->em->cached_pooled = vp;
        L->em->cached_ds = L->valid;
    }
    tml_encoder_release_activations(L->enc); /* the head trains on (B, 1) batches from here */
    if (!L->o->quiet)
        fprintf(stderr, "frozen encoder: %lld training and %lld validation texts encoded once in %.1fs\n", (long long)L->n,
                (long long)(L->valid ? L->valid->n_rows : 0), tml_train_now() - t0);
    return 0;
}

/* Clip, AdamW step, clear the gradients. */
static double optimizer_step(Loop *L) {
    const TmlOptimConfig *oc = &L->o->opt;
    TmlEncoder *enc = L->enc;
    size_t n = enc->n_params - enc->train_offset;
    if (oc->clip > 0) tml_clip_global_norm(L->m->be, &enc->grads, &n, 1, (float)oc->clip, NULL); /* stays on the device */
    double lr = tml_lr_at(oc, L->st->step, L->st->total_steps);
    L->st->step++;
    tml_encoder_update(enc, (float)lr, (float)oc->beta1, (float)oc->beta2, (float)oc->eps, (float)oc->weight_decay,
                       (int)L->st->step);
    tml_encoder_zero_grad(enc);
    return lr;
}

/* Forward and backward of batch k (position bi of the epoch), scaled by 1/rows of its
 * accumulation group. */
static int batch(Loop *L, int64_t bi, float scale, TmlError *err) {
    int64_t k = L->bperm[bi];
    int nb = batch_rows(L, k);
    const int64_t *rows = L->order + k * L->B;
    const TmlTrainOptions *o = L->o;
    /* dropout masks: one seed per (run seed, epoch, batch), so a resumed run draws the same */
    uint64_t seed = tml_dropout_bits(o->seed ^ 0x9E3779B97F4A7C15ull, ((uint64_t)L->st->epoch << 32) | (uint64_t)bi);
    int64_t tokens = 0;
    if (L->pooled) {
        const int C = L->em->cfg.hidden;
        for (int b = 0; b < nb; b++) {
            memcpy(L->b_pooled + (size_t)b * C, L->pooled + (size_t)rows[b] * C, sizeof(float) * C);
            L->b_labels[b] = L->train->labels[rows[b]];
        }
        if (tml_encoder_forward_head(L->enc, L->b_pooled, nb, L->b_labels, 1, seed, err)) return -1;
    } else {
        TmlEncBatch bt;
        tml_enc_fill_batch(L->em, L->off, L->ids, L->train->labels, rows, nb, L->b_ids, L->b_lens, L->b_labels, &bt);
        for (int b = 0; b < nb; b++) tokens += L->b_lens[b];
        if (tml_encoder_forward(L->enc, &bt, 1, seed, err)) return -1;
    }
    tml_encoder_backward(L->enc, scale);
    tml_sum_into(L->m->be, L->d_loss, tml_encoder_losses(L->enc), (size_t)nb);
    L->loss_n += nb;
    L->samples_done += nb;
    L->tokens_done += tokens;
    return 0;
}

/* The batches of one epoch from st->batch_pos on, an optimizer step per group of accum batches.
 * 0 when the epoch ran to its end, 1 when validation says stop, 2 when interrupted (checkpoint
 * written), -1 on error. */
static int run_epoch(Loop *L, TmlError *err) {
    const TmlTrainOptions *o = L->o;
    TmlTrainState *st = L->st;
    TmlRng epoch_rng = st->rng;
    plan_epoch(L);
    L->loss_sum = 0;
    L->loss_n = 0;
    for (int64_t g0 = st->batch_pos; g0 < L->batches; g0 += L->accum) {
        int64_t g1 = g0 + L->accum < L->batches ? g0 + L->accum : L->batches, rows = 0;
        for (int64_t bi = g0; bi < g1; bi++) rows += batch_rows(L, L->bperm[bi]);
        for (int64_t bi = g0; bi < g1; bi++)
            if (batch(L, bi, 1.0f / (float)rows, err) < 0) return -1;
        double lr = optimizer_step(L);
        double el = tml_train_now() - L->t_start - L->t_aside;
        double rate = (double)L->samples_done / (el > 0 ? el : 1e-9);
        double eta = rate > 0 ? (double)(st->total_steps - st->step) * L->accum * L->B / rate : 0;
        if (tml_progress_due(&L->pr)) { /* the loss reaches the host only here and at epoch ends */
            double ml = mean_loss(L);
            if (tml_train_check_loss(o, st, ml, err)) return -1;
            tml_progress_show(&L->pr, 0, st->epoch + 1, o->epochs, (double)g1 / (double)L->batches, ml, lr, rate,
                              (double)L->tokens_done / (el > 0 ? el : 1e-9), eta);
        }
        if (L->valid && o->eval_every > 0 && st->step % o->eval_every == 0) {
            double ta = tml_train_now();
            int r = tml_train_validate(L->m, L->valid, o, st, mean_loss(L), ta - L->t_start, err);
            L->t_aside += tml_train_now() - ta;
            if (r < 0) return -1;
            if (r == 1) return 1;
        }
        /* Ctrl-C or the checkpoint interval: replays this epoch's order; batches before g1 are done */
        int r = tml_train_after_step(L->m, o, st, &epoch_rng, g1, L->sig, err);
        if (r) return r < 0 ? -1 : 2;
    }
    return 0;
}

/* After an epoch: validation or the epoch line, the JSON log, the early-stop note. Returns 1 when
 * training stops, 0, or -1. */
static int end_epoch(Loop *L, int stop, TmlError *err) {
    const TmlTrainOptions *o = L->o;
    TmlTrainState *st = L->st;
    st->batch_pos = 0;
    double ta = tml_train_now(), el = ta - L->t_start, tl = mean_loss(L);
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

static double mib(size_t b) { return (double)b / 1048576.0; }

TmlEncFreeze tml_enc_freeze_of(const TmlEncModel *em, const TmlTrainOptions *o) {
    if (em->freeze_encoder) return TML_ENC_FREEZE_ENCODER;
    int emb = o->freeze_embeddings_set ? o->freeze_embeddings : em->cfg.vocab_size >= TML_ENC_FREEZE_VOCAB;
    return emb ? TML_ENC_FREEZE_EMBEDDINGS : TML_ENC_TRAIN_ALL;
}

/* Sets up what to train and the loss options, tokenizes, prints the memory line. */
static int prepare(Loop *L, TmlError *err) {
    const TmlTrainOptions *o = L->o;
    TmlEncModel *em = L->em;
    if (o->opt.kind != TML_OPT_ADAMW)
        return tml_fail(err, "encoder models train with train.optimizer = adamw (SGD is for the bag models)");
    TmlEncFreeze want = tml_enc_freeze_of(em, o);
    /* a resumed checkpoint brings its moments (same freeze); otherwise fresh ones */
    if ((!L->enc->grads || L->enc->freeze != want) && tml_encoder_set_trainable(L->enc, want, err)) return -1;
    tml_encoder_zero_grad(L->enc);
    int none;
    float *cw = tml_train_class_weights(L->train, em->cfg.n_classes, o->class_weight_balanced, &none);
    if (!cw && !none) return tml_fail(err, "out of host memory for the class weights");
    int rc = tml_encoder_set_loss(L->enc, cw, (float)o->label_smoothing, err);
    free(cw);
    if (rc) return -1;
    if (tml_enc_tokenize(em, L->train, &L->off, &L->ids, err)) return -1;
    size_t C = (size_t)em->cfg.hidden;
    L->order = malloc(sizeof(int64_t) * (size_t)L->n);
    L->bperm = malloc(sizeof(int64_t) * (size_t)L->batches);
    L->b_ids = malloc(sizeof(int32_t) * (size_t)L->B * em->max_len);
    L->b_lens = malloc(sizeof(int32_t) * (size_t)L->B);
    L->b_labels = malloc(sizeof(int32_t) * (size_t)L->B);
    L->b_pooled = malloc(sizeof(float) * (size_t)L->B * C);
    if (!L->order || !L->bperm || !L->b_ids || !L->b_lens || !L->b_labels || !L->b_pooled)
        return tml_fail(err, "out of host memory for training batches");
    if (!(L->d_loss = tml_alloc(L->m->be, sizeof(double))))
        return tml_fail(err, "out of %s memory for the loss sum", tml_backend_name(L->m->be));
    tml_zero(L->m->be, L->d_loss, sizeof(double));
    /* the longest training row sets the activations a batch can need */
    int T = 1;
    for (int64_t i = 0; i < L->n; i++) T = L->off[i + 1] - L->off[i] > T ? (int)(L->off[i + 1] - L->off[i]) : T;
    TmlBackend *be = L->m->be;
    int frozen = want == TML_ENC_FREEZE_ENCODER; /* frozen: one inference pass, then the head alone */
    TmlEncMemory mem = tml_encoder_memory(&em->cfg, want, frozen ? (L->B > 64 ? L->B : 64) : L->B, T, !frozen,
                                          tml_attention_saved_floats(be, L->B, T, em->cfg.hidden, em->cfg.heads),
                                          tml_attention_scratch_floats(be, L->B, T, em->cfg.hidden, em->cfg.heads));
    if (frozen) { /* the memory function counts a trained head only when training */
        TmlEncMemory head = tml_encoder_memory(&em->cfg, want, L->B, 1, 1, 0, 0);
        mem.grads = head.grads, mem.optimizer = head.optimizer;
    }
    char note[256] = "";
    if (want == TML_ENC_FREEZE_ENCODER) snprintf(note, sizeof note, ", encoder frozen (head only)");
    if (want == TML_ENC_FREEZE_EMBEDDINGS) { /* what the frozen table saves: its gradient and moments */
        TmlEncMemory all = tml_encoder_memory(&em->cfg, TML_ENC_TRAIN_ALL, L->B, T, 1, 0, 0);
        snprintf(note, sizeof note, ", word embeddings frozen%s (saves %.0f MiB of gradients and AdamW state)",
                 o->freeze_embeddings_set ? "" : " by default (vocabulary of 100k+ pieces)",
                 mib(all.grads + all.optimizer - mem.grads - mem.optimizer));
    }
    if (!o->quiet)
        fprintf(stderr, "encoder: %s memory %.0f MiB = weights %.0f + gradients %.0f + AdamW %.0f + activations %.0f "
                "(batch %d x %d tokens)%s\n", tml_backend_name(be),
                mib(mem.weights + mem.grads + mem.optimizer + mem.activations), mib(mem.weights), mib(mem.grads),
                mib(mem.optimizer), mib(mem.activations), frozen ? (L->B > 64 ? L->B : 64) : L->B, T, note);
    if (want != TML_ENC_FREEZE_ENCODER && tml_encoder_reserve(L->enc, L->B, T, 1, err)) return -1;
    return want == TML_ENC_FREEZE_ENCODER ? cache_pooled(L, err) : 0;
}

static void report_speed(const Loop *L) {
    double total = tml_train_now() - L->t_start, el = total - L->t_aside;
    fprintf(stderr, "trained %lld steps in %.1fs (%.1f samples/s", (long long)L->st->step, el,
            (double)L->samples_done / (el > 0 ? el : 1e-9));
    if (L->tokens_done > 0) fprintf(stderr, ", %.0f tokens/s", (double)L->tokens_done / (el > 0 ? el : 1e-9));
    fprintf(stderr, "); %.1fs more for validation and checkpoints%s\n", total - el,
            L->valid ? "; best weights restored" : "");
}

int tml_enc_train(TmlModel *m, const TmlDataset *train, const TmlDataset *valid, const TmlTrainOptions *o,
                  TmlTrainState *st, TmlError *err) {
    TmlEncModel *em = tml_enc_model(m);
    if (o->cfg && tml_enc_train_keys(o->cfg, em, err)) return -1;
    Loop L = {.m = m, .em = em, .enc = em->enc, .train = train, .valid = valid, .o = o, .st = st, .n = train->n_rows};
    if (L.n < 1) return tml_fail(err, "%s: no training rows", train->source ? train->source : "train data");
    L.B = o->batch_size < L.n ? o->batch_size : (int)L.n;
    L.batches = (L.n + L.B - 1) / L.B;
    L.accum = em->grad_accum;
    st->total_steps = (L.batches + L.accum - 1) / L.accum * o->epochs;
    int rc = 0;
    tml_progress_init(&L.pr, o->quiet);
    L.t_start = tml_train_now();
    if (prepare(&L, err)) {
        rc = -1;
        goto done;
    }
    if (!(L.sig = tml_train_signals_begin())) {
        rc = tml_fail(err, "out of host memory");
        goto done;
    }
    L.t_aside = 0;
    L.t_start = tml_train_now(); /* throughput from here: tokenizing and caching are set-up */
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
    free(em->cached_pooled); /* the validation set's pooled vectors belong to this run only */
    em->cached_pooled = NULL;
    em->cached_ds = NULL;
    tml_train_signals_end(L.sig);
    free(L.off), free(L.ids), free(L.pooled), free(L.order), free(L.bperm);
    free(L.b_ids), free(L.b_lens), free(L.b_labels), free(L.b_pooled);
    tml_free(m->be, L.d_loss);
    return rc;
}
