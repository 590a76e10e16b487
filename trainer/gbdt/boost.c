/* boost.c — the boosting loop (see boost.h). Everything that scales with rows stays on the
 * backend: bins, labels, scores, gradients and the row lists; per round the host sees only split
 * records, the new trees and (with validation) the validation scores. */
#include "trainer/gbdt/boost.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trainer/gbdt/learner.h"
#include "ticketml/rng.h"

static double now_s(void) { return tml_train_now(); }

/* Device copies of one split's data: binned features, labels, scores. */
typedef struct Side {
    int64_t n;
    uint8_t *d_bins;   /* (n, F) */
    float *d_scores;   /* (n, K) */
    int32_t *d_labels; /* (n) */
    float *h_scores;   /* (n, K) host copy for validation */
} Side;

static void side_free(TmlBackend *be, Side *s) {
    tml_free(be, s->d_bins);
    tml_free(be, s->d_scores);
    tml_free(be, s->d_labels);
    free(s->h_scores);
}

/* Labels as the objective wants them: binary 1 = positive, 0 = the other class; -1 unknown. */
static int32_t *objective_labels(const TmlGbdtModel *m, const TmlDataset *d) {
    int32_t *y = malloc((size_t)(d->n_rows > 0 ? d->n_rows : 1) * sizeof *y);
    if (!y) return NULL;
    for (int64_t i = 0; i < d->n_rows; i++) {
        int32_t l = d->labels[i];
        y[i] = l < 0 || l >= m->n_classes ? -1 : (m->n_classes == 2 ? (l == m->positive) : l);
    }
    return y;
}

/* Bins, labels and starting scores (base + every tree already in the ensemble, added tree by tree
 * exactly as training added them) of a dataset on the backend. */
static int side_init(TmlBackend *be, const TmlGbdtModel *m, const TmlDataset *d, Side *s, int keep_host,
                     TmlError *err) {
    int F = m->in.F, K = m->ens->K;
    const TmlGbdtEnsemble *e = m->ens;
    memset(s, 0, sizeof *s);
    s->n = d->n_rows;
    size_t n = (size_t)(s->n > 0 ? s->n : 1);
    float *x = malloc(n * (size_t)F * sizeof *x);
    uint8_t *bins = malloc(n * (size_t)F);
    int32_t *y = objective_labels(m, d);
    float *sc = malloc(n * (size_t)K * sizeof *sc);
    s->d_bins = tml_alloc(be, n * (size_t)F);
    s->d_scores = tml_alloc(be, n * (size_t)K * sizeof(float));
    s->d_labels = tml_alloc(be, n * sizeof(int32_t));
    TmlGbdtNode *d_nodes = NULL;
    uint32_t *d_cats = NULL;
    int32_t *d_idx = NULL;
    int rc = -1;
    if (!x || !bins || !y || !sc || !s->d_bins || !s->d_scores || !s->d_labels) goto oom;
    tml_gbdt_model_inputs(m, d->dense, s->n, x);
    tml_gbdt_binner_apply(m->binner, x, s->n, bins);
    for (int64_t r = 0; r < s->n; r++)
        for (int k = 0; k < K; k++) sc[(size_t)r * K + k] = e->base[k];
    tml_upload(be, s->d_bins, bins, n * (size_t)F);
    tml_upload(be, s->d_labels, y, (size_t)s->n * sizeof *y);
    tml_upload(be, s->d_scores, sc, (size_t)s->n * K * sizeof *sc);
    if (e->n_trees > 0) {
        d_nodes = tml_alloc(be, (size_t)e->n_nodes * sizeof *d_nodes);
        d_cats = tml_alloc(be, (size_t)(e->n_cats > 0 ? e->n_cats : 1) * TML_GBDT_CAT_WORDS * sizeof *d_cats);
        d_idx = tml_alloc(be, 2 * (size_t)e->n_trees * sizeof *d_idx);
        if (!d_nodes || !d_cats || !d_idx) goto oom;
        tml_upload(be, d_nodes, e->nodes, (size_t)e->n_nodes * sizeof *d_nodes);
        tml_upload(be, d_cats, e->cats, (size_t)e->n_cats * TML_GBDT_CAT_WORDS * sizeof *d_cats);
        tml_upload(be, d_idx, e->roots, (size_t)e->n_trees * sizeof *d_idx);
        tml_upload(be, d_idx + e->n_trees, e->tclass, (size_t)e->n_trees * sizeof *d_idx);
        for (int t = 0; t < e->n_trees; t++)
            tml_gbdt_predict_binned(be, s->d_scores, s->d_bins, s->n, F, d_nodes, d_cats, d_idx + t,
                                    d_idx + e->n_trees + t, 1, K);
    }
    if (keep_host) {
        s->h_scores = sc;
        sc = NULL;
    }
    rc = 0;
    goto done;
oom:
    tml_fail(err, "out of %s memory for %lld rows of %d tree features", tml_backend_name(be), (long long)s->n, F);
done:
    free(x);
    free(bins);
    free(y);
    free(sc);
    tml_free(be, d_nodes);
    tml_free(be, d_cats);
    tml_free(be, d_idx);
    return rc;
}

/* Class weights in the objective's label space (binary: [negative, positive]); NULL for none. */
static float *objective_weights(const TmlGbdtModel *m, const TmlDataset *d, int mode) {
    if (!mode) return NULL;
    int C = m->n_classes;
    float *w = calloc((size_t)(C > 2 ? C : 2), sizeof *w);
    int64_t *cnt = calloc((size_t)C, sizeof *cnt), n = 0;
    if (!w || !cnt) {
        free(w);
        free(cnt);
        return NULL;
    }
    for (int64_t i = 0; i < d->n_rows; i++)
        if (d->labels[i] >= 0 && d->labels[i] < C) cnt[d->labels[i]]++, n++;
    for (int c = 0; c < C; c++) {
        double v = cnt[c] ? (double)n / ((double)C * (double)cnt[c]) : 0.0;
        w[c] = (float)(mode == 2 ? sqrt(v) : v);
    }
    if (C == 2) { /* objective labels: 1 = positive */
        float wp = w[m->positive], wn = w[1 - m->positive];
        w[0] = wn;
        w[1] = wp;
    }
    free(cnt);
    return w;
}

/* Base scores from the (weighted) label shares: the log-odds of the positive class, or log priors. */
static void base_scores(const TmlGbdtModel *m, const TmlDataset *d, const float *cw, float *base) {
    int C = m->n_classes, K = tml_gbdt_model_score_columns(m);
    double *s = calloc((size_t)C, sizeof *s), tot = 0;
    TML_ASSERT(s);
    for (int64_t i = 0; i < d->n_rows; i++) {
        int32_t l = d->labels[i];
        if (l < 0 || l >= C) continue;
        int y = C == 2 ? (l == m->positive) : l;
        double w = cw ? cw[y] : 1.0;
        s[C == 2 ? y : l] += w;
        tot += w;
    }
    if (K == 1) {
        double p = tot > 0 ? s[1] / tot : 0.5;
        p = p < 1e-6 ? 1e-6 : p > 1 - 1e-6 ? 1 - 1e-6 : p;
        base[0] = (float)log(p / (1 - p));
    } else {
        for (int k = 0; k < K; k++) {
            double p = tot > 0 ? s[k] / tot : 1.0 / K;
            base[k] = (float)log(p > 1e-6 ? p : 1e-6);
        }
    }
    free(s);
}

/* Validation log-loss (and accuracy) when the caller gave no metric function: early stopping
 * still works when boosting is driven without eval/ (library use, tests). */
static double fallback_log_loss(const float *probs, const int32_t *labels, int64_t n, int C, double *acc) {
    double s = 0;
    int64_t k = 0, right = 0;
    for (int64_t i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= C) continue;
        const float *p = probs + (size_t)i * C;
        s -= log(p[labels[i]] > 1e-15f ? (double)p[labels[i]] : 1e-15);
        int best = 0;
        for (int c = 1; c < C; c++) best = p[c] > p[best] ? c : best;
        right += best == labels[i];
        k++;
    }
    *acc = k ? (double)right / (double)k : 0;
    return k ? s / (double)k : 0;
}

typedef struct Progress {
    int tty, quiet;
    double last;
} Progress;

int tml_gbdt_train(TmlGbdtModel *m, TmlBackend *be, const TmlDataset *train, const TmlDataset *valid,
                   const TmlGbdtTrainOptions *o, TmlTrainState *st, TmlError *err) {
    const TmlGbdtParams *p = &o->params;
    int64_t N = train->n_rows;
    if (N < 1) return tml_fail(err, "%s: no training rows", train->source ? train->source : "train data");
    if (train->dim != m->in.dim || (valid && valid->dim != m->in.dim))
        return tml_fail(err, "the data has %d feature columns, the tree model reads %d", train->dim, m->in.dim);
    if (p->grow.max_leaves < 2) return tml_fail(err, "model.max_leaves must be at least 2");
    int F = m->in.F, C = m->n_classes, K = tml_gbdt_model_score_columns(m);
    float *cw = objective_weights(m, train, p->class_weight);
    if (p->class_weight && !cw) return tml_fail(err, "out of memory");
    int rc = -1;
    float *x = NULL, *h_probs = NULL, *d_cw = NULL, *d_gh = NULL;
    uint8_t *used = NULL, *d_used = NULL;
    int32_t *rows = NULL, *d_idx = NULL, *feat_order = NULL;
    TmlGbdtNode *d_tree = NULL;
    uint32_t *d_tcats = NULL;
    TmlGbdtLearner *L = NULL;
    TmlTrainSignals *sig = NULL;
    Side tr, va;
    memset(&tr, 0, sizeof tr);
    memset(&va, 0, sizeof va);
    if (!m->binner) {
        size_t n = (size_t)N;
        int *catf = malloc((size_t)F * sizeof *catf), *ncat = malloc((size_t)F * sizeof *ncat);
        x = malloc(n * (size_t)F * sizeof *x);
        if (!catf || !ncat || !x) {
            free(catf);
            free(ncat);
            tml_fail(err, "out of memory binning the training rows");
            goto done;
        }
        for (int f = 0; f < F; f++) catf[f] = m->in.n_cats[f] > 0, ncat[f] = m->in.n_cats[f];
        tml_gbdt_model_inputs(m, train->dense, N, x);
        m->binner = tml_gbdt_binner_fit(x, N, F, catf, ncat, p->max_bins, p->bin_sample, p->seed ^ 0xB1B1ull, err);
        free(catf);
        free(ncat);
        free(x);
        x = NULL;
        if (!m->binner) goto done;
    }
    if (!m->ens) {
        float base[256];
        if (K > 256) {
            tml_fail(err, "gbdt supports at most 256 classes (this data has %d)", C);
            goto done;
        }
        base_scores(m, train, cw, base);
        if (!(m->ens = tml_gbdt_ensemble_new(K, base))) {
            tml_fail(err, "out of memory");
            goto done;
        }
    }
    int base_trees = m->ens->n_trees - st->epoch * K; /* trees the run started from */
    if (base_trees < 0) {
        tml_fail(err, "checkpoint state (round %d) does not match its %d trees", st->epoch, m->ens->n_trees);
        goto done;
    }
    if (side_init(be, m, train, &tr, 0, err) || (valid && side_init(be, m, valid, &va, 1, err))) goto done;
    int ML = p->grow.max_leaves;
    if (!(L = tml_gbdt_learner_new(be, m->binner, tr.d_bins, N, ML, err))) goto done;
    d_gh = tml_alloc(be, (size_t)K * (size_t)N * 2 * sizeof *d_gh);
    d_used = tml_alloc(be, (size_t)F);
    d_tree = tml_alloc(be, 2 * (size_t)ML * sizeof *d_tree);
    d_tcats = tml_alloc(be, (size_t)ML * TML_GBDT_CAT_WORDS * sizeof *d_tcats);
    d_idx = tml_alloc(be, 2 * sizeof *d_idx);
    if (cw)
        d_cw = tml_alloc(be, 2 * sizeof *d_cw > (size_t)K * sizeof *d_cw ? 2 * sizeof *d_cw : (size_t)K * sizeof *d_cw);
    used = malloc((size_t)F);
    feat_order = malloc((size_t)F * sizeof *feat_order);
    rows = p->subsample < 1.0 ? malloc((size_t)N * sizeof *rows) : NULL;
    h_probs = valid ? malloc((size_t)(va.n > 0 ? va.n : 1) * (size_t)C * sizeof *h_probs) : NULL;
    if (!d_gh || !d_used || !d_tree || !d_tcats || !d_idx || (cw && !d_cw) || !used || !feat_order ||
        (p->subsample < 1.0 && !rows) || (valid && !h_probs)) {
        tml_fail(err, "out of %s memory for boosting", tml_backend_name(be));
        goto done;
    }
    if (cw) tml_upload(be, d_cw, cw, (size_t)(K > 2 ? K : 2) * sizeof *cw);

    if (st->epoch == 0 && st->best_epoch < 0) /* a fresh state: the metric's direction is ours */
        st->best_metric = p->higher_is_better ? -INFINITY : INFINITY;
    if (!(sig = tml_train_signals_begin())) {
        tml_fail(err, "out of memory");
        goto done;
    }
    Progress pr = {isatty(2), o->quiet, 0};
    double t0 = now_s(), t_aside = 0, last_ckpt = t0;
    int rounds_done = 0, stopped_early = 0;
    for (; st->epoch < p->rounds; st->epoch++) {
        tml_gbdt_gradients(be, d_gh, tr.d_scores, tr.d_labels, d_cw, N, K);
        int64_t n_root = N;
        if (rows) {
            n_root = 0;
            for (int64_t r = 0; r < N; r++)
                if (tml_rng_uniform(&st->rng) < p->subsample) rows[n_root++] = (int32_t)r;
            if (n_root < 2) rows[0] = 0, rows[1] = (int32_t)(N > 1), n_root = N > 1 ? 2 : 1;
        }
        for (int k = 0; k < K; k++) {
            int n_used = F;
            memset(used, 1, (size_t)F);
            if (p->colsample < 1.0) {
                n_used = (int)lround(p->colsample * F);
                n_used = n_used < 1 ? 1 : n_used;
                for (int f = 0; f < F; f++) feat_order[f] = f;
                for (int i = 0; i < n_used; i++) {
                    int j = i + (int)tml_rng_below(&st->rng, (uint64_t)(F - i));
                    int t = feat_order[i];
                    feat_order[i] = feat_order[j];
                    feat_order[j] = t;
                }
                memset(used, 0, (size_t)F);
                for (int i = 0; i < n_used; i++) used[feat_order[i]] = 1;
                tml_upload(be, d_used, used, (size_t)F);
            }
            if (rows)
                tml_upload(be, tml_gbdt_learner_rows(L), rows, (size_t)n_root * sizeof *rows);
            else
                tml_gbdt_learner_all_rows(L);
            const TmlGbdtNode *nodes;
            const uint32_t *cats;
            int n_nodes, n_cats;
            if (tml_gbdt_learner_grow(L, d_gh + (size_t)k * (size_t)N * 2, n_root, rows == NULL,
                                      n_used < F ? d_used : NULL, &p->grow, &nodes, &n_nodes, &cats, &n_cats, err) ||
                tml_gbdt_ensemble_add(m->ens, nodes, n_nodes, cats, n_cats, k, err))
                goto done;
            int32_t idx[2] = {0, k};
            tml_upload(be, d_tree, nodes, (size_t)n_nodes * sizeof *nodes);
            if (n_cats) tml_upload(be, d_tcats, cats, (size_t)n_cats * TML_GBDT_CAT_WORDS * sizeof *cats);
            tml_upload(be, d_idx, idx, sizeof idx);
            if (rows) /* rows outside the sample need the tree walked */
                tml_gbdt_predict_binned(be, tr.d_scores, tr.d_bins, N, F, d_tree, d_tcats, d_idx, d_idx + 1, 1, K);
            else
                tml_gbdt_learner_add_scores(L, tr.d_scores, K, k);
            if (valid)
                tml_gbdt_predict_binned(be, va.d_scores, va.d_bins, va.n, F, d_tree, d_tcats, d_idx, d_idx + 1, 1, K);
        }
        rounds_done++;
        double el = now_s() - t0;
        int improved = 0;
        double v = 0, acc = 0;
        if (valid) {
            double ta = now_s();
            tml_download(be, va.h_scores, va.d_scores, (size_t)va.n * K * sizeof(float));
            memcpy(h_probs, va.h_scores, (size_t)va.n * K * sizeof(float));
            tml_gbdt_model_probs(m, h_probs, va.n, h_probs);
            v = o->metric_fn ? o->metric_fn(o->metric_ctx, p->metric, h_probs, valid->labels, va.n, C,
                                            m->n_classes == 2 ? m->positive : -1, &acc)
                             : fallback_log_loss(h_probs, valid->labels, va.n, C, &acc);
            improved = p->higher_is_better ? v > st->best_metric : v < st->best_metric;
            if (improved) {
                st->best_metric = v;
                st->best_epoch = st->epoch;
                st->bad_epochs = 0;
            } else {
                st->bad_epochs++;
            }
            t_aside += now_s() - ta;
        }
        if (!o->quiet) {
            double t = now_s();
            int last = st->epoch + 1 == p->rounds;
            if (last || t - pr.last >= (pr.tty ? 0.2 : 5.0)) {
                pr.last = t;
                double rate = rounds_done / (el > 0 ? el : 1e-9);
                char vbuf[128] = "";
                if (valid)
                    snprintf(vbuf, sizeof vbuf, "  valid %s %.4f (best %.4f at round %d)", p->metric, v,
                             st->best_metric, st->best_epoch + 1);
                fprintf(stderr, "%sround %d/%d  %d trees%s  %.1f rounds/s  ETA %.0fs%s", pr.tty ? "\r" : "",
                        st->epoch + 1, p->rounds, m->ens->n_trees, vbuf, rate,
                        (p->rounds - st->epoch - 1) / (rate > 0 ? rate : 1e-9), pr.tty ? "\033[K" : "\n");
                fflush(stderr);
            }
        }
        /* the model file keeps the curve (step = trees; boosting has no training loss here) */
        if (valid) tml_train_log_add(st, p->metric, NAN, v, acc, el);
        if (o->log_json) {
            fprintf(o->log_json, "{\"round\": %d, \"trees\": %d", st->epoch + 1, m->ens->n_trees);
            if (valid) { /* the accuracy once, also when it is the metric */
                fprintf(o->log_json, ", \"valid_%s\": %.6f", p->metric, v);
                if (strcmp(p->metric, "accuracy")) fprintf(o->log_json, ", \"valid_accuracy\": %.6f", acc);
                fprintf(o->log_json, ", \"best\": %s", improved ? "true" : "false");
            }
            fprintf(o->log_json, ", \"elapsed_s\": %.3f}\n", el);
            fflush(o->log_json);
        }
        if (valid && p->patience > 0 && st->bad_epochs >= p->patience) {
            stopped_early = 1;
            st->epoch++;
            break;
        }
        st->step = st->epoch + 1; /* rounds done: the test hook TICKETML_INTERRUPT_AT_STEP counts rounds */
        int stop = tml_train_interrupted(sig, st->step);
        int want_ckpt = o->checkpoint && o->checkpoint_every_s > 0 && now_s() - last_ckpt >= o->checkpoint_every_s;
        if (stop || want_ckpt) {
            TmlTrainState snap = *st;
            snap.epoch = st->epoch + 1; /* this round is complete */
            double ta = now_s();
            if (stop && !o->quiet)
                fprintf(stderr, "%sinterrupted after round %d: saving a checkpoint\n", pr.tty ? "\r\033[K" : "",
                        st->epoch + 1);
            if (o->checkpoint && o->checkpoint(o->checkpoint_ctx, m, &snap, err) < 0) goto done;
            last_ckpt = now_s();
            t_aside += last_ckpt - ta;
            if (stop) {
                rc = 1;
                goto done;
            }
        }
    }
    if (pr.tty && !o->quiet) fprintf(stderr, "\n");
    st->finished = 1;
    if (valid && st->best_epoch >= 0) tml_gbdt_ensemble_truncate(m->ens, base_trees + (st->best_epoch + 1) * K);
    if (!o->quiet) {
        double total = now_s() - t0;
        fprintf(stderr, "boosted %d rounds in %.1fs (%.1fs of it validation and checkpoints)%s; %d trees kept\n",
                rounds_done, total, t_aside, stopped_early ? "; early stop: no improvement in patience rounds" : "",
                m->ens->n_trees);
    }
    rc = 0;
done:
    tml_train_signals_end(sig);
    free(cw);
    free(x);
    free(h_probs);
    free(used);
    free(feat_order);
    free(rows);
    tml_free(be, d_cw);
    tml_free(be, d_gh);
    tml_free(be, d_used);
    tml_free(be, d_tree);
    tml_free(be, d_tcats);
    tml_free(be, d_idx);
    tml_gbdt_learner_free(L);
    side_free(be, &tr);
    side_free(be, &va);
    return rc;
}
