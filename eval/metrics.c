/* metrics.c — tml_metrics_compute: one pass over the rows for counts and losses, then two sorts
 * (by confidence; by positive score when binary) for the threshold curves. Ties in a score are
 * always handled as a group, so no result depends on the order rows came in. */
#include "eval/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TML_LOGLOSS_EPS 1e-15 /* sklearn's historical clip for log_loss */

void tml_metrics_options_default(TmlMetricsOptions *o) {
    o->top_k = 5;
    o->threshold = 0.5;
    o->target_accuracy = 0.95;
    o->ece_bins = 15;
    o->max_pairs = 10;
    o->curve_points = 256;
    o->bootstrap = 1000;
}

/* A (score, flag) pair sorted by score descending; flag is "correct" or "is positive". */
typedef struct {
    float key;
    int32_t flag;
} ScoredRow;

static int scored_row_desc(const void *a, const void *b) {
    float x = ((const ScoredRow *)a)->key, y = ((const ScoredRow *)b)->key;
    return (x < y) - (x > y);
}

static void curve_free(TmlCurve *c) {
    free(c->x);
    free(c->y);
    free(c->threshold);
    memset(c, 0, sizeof *c);
}

/* Copies n points into c, thinned to at most max_points evenly by index (first and last kept:
 * the ends of a ROC or coverage curve matter most). Returns -1 on allocation failure. */
static int curve_set(TmlCurve *c, const double *x, const double *y, const double *t, int64_t n, int max_points) {
    int64_t keep = n;
    if (max_points >= 2 && keep > max_points) keep = max_points;
    c->x = malloc(sizeof(double) * (size_t)(keep ? keep : 1));
    c->y = malloc(sizeof(double) * (size_t)(keep ? keep : 1));
    c->threshold = malloc(sizeof(double) * (size_t)(keep ? keep : 1));
    if (!c->x || !c->y || !c->threshold) return -1;
    for (int64_t i = 0; i < keep; i++) {
        int64_t src = keep == n ? i : (int64_t)llround((double)i * (double)(n - 1) / (double)(keep - 1));
        c->x[i] = x[src];
        c->y[i] = y[src];
        c->threshold[i] = t[src];
    }
    c->n = (int)keep;
    return 0;
}

int tml_metrics_predict(const TmlMetrics *m, const float *row) {
    if (m->is_binary) {
        int pos = m->binary.positive;
        return row[pos] >= m->options.threshold ? pos : 1 - pos;
    }
    int best = 0;
    for (int c = 1; c < m->n_classes; c++)
        if (row[c] > row[best]) best = c;
    return best;
}

void tml_metrics_free(TmlMetrics *m) {
    if (!m) return;
    free(m->per_class);
    free(m->f1_ci);
    free(m->confusion);
    free(m->pairs);
    free(m->bins);
    curve_free(&m->coverage);
    curve_free(&m->binary.roc);
    curve_free(&m->binary.pr);
    free(m);
}

static int pair_cmp(const void *a, const void *b) {
    const TmlConfusedPair *x = a, *y = b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    if (x->truth != y->truth) return x->truth - y->truth;
    return x->predicted - y->predicted;
}

/* Per-class precision/recall/F1 from the confusion matrix, and the three averages. */
void tml_metrics_fill_classes(TmlMetrics *m) {
    int C = m->n_classes;
    int64_t tp_sum = 0, pred_sum = 0, sup_sum = 0;
    double mp = 0, mr = 0, mf = 0, wp = 0, wr = 0, wf = 0, pp = 0, pr = 0, pf = 0;
    int present = 0; /* classes in the labels or the predictions: scikit-learn's default macro set */
    for (int c = 0; c < C; c++) {
        TmlClassMetrics *k = &m->per_class[c];
        int64_t tp = m->confusion[(int64_t)c * C + c];
        k->support = 0;
        k->predicted = 0;
        for (int j = 0; j < C; j++) {
            k->support += m->confusion[(int64_t)c * C + j];
            k->predicted += m->confusion[(int64_t)j * C + c];
        }
        k->precision = k->predicted ? (double)tp / (double)k->predicted : 0.0;
        k->recall = k->support ? (double)tp / (double)k->support : 0.0;
        /* 2tp / (2tp + fp + fn): the same value as 2PR/(P+R), and 0 (not NaN) when tp = 0. */
        int64_t denom = k->predicted + k->support;
        k->f1 = denom ? 2.0 * (double)tp / (double)denom : 0.0;
        tp_sum += tp;
        pred_sum += k->predicted;
        sup_sum += k->support;
        mp += k->precision;
        mr += k->recall;
        mf += k->f1;
        wp += k->precision * (double)k->support;
        wr += k->recall * (double)k->support;
        wf += k->f1 * (double)k->support;
        if (k->support || k->predicted) present++, pp += k->precision, pr += k->recall, pf += k->f1;
    }
    m->macro = present ? (TmlAverage){pp / present, pr / present, pf / present} : (TmlAverage){0, 0, 0};
    m->macro_all = (TmlAverage){mp / C, mr / C, mf / C};
    double s = sup_sum ? (double)sup_sum : 1.0;
    m->weighted = (TmlAverage){wp / s, wr / s, wf / s};
    double micro_p = pred_sum ? (double)tp_sum / (double)pred_sum : 0.0;
    double micro_r = sup_sum ? (double)tp_sum / (double)sup_sum : 0.0;
    double micro_f = micro_p + micro_r > 0 ? 2 * micro_p * micro_r / (micro_p + micro_r) : 0.0;
    m->micro = (TmlAverage){micro_p, micro_r, micro_f};
}

static int fill_pairs(TmlMetrics *m) {
    int C = m->n_classes;
    int64_t n = 0;
    for (int64_t i = 0; i < (int64_t)C * C; i++)
        if (i / C != i % C && m->confusion[i] > 0) n++;
    TmlConfusedPair *all = malloc(sizeof *all * (size_t)(n ? n : 1));
    if (!all) return -1;
    int64_t k = 0;
    for (int t = 0; t < C; t++)
        for (int p = 0; p < C; p++) {
            int64_t cnt = m->confusion[(int64_t)t * C + p];
            if (t == p || cnt == 0) continue;
            all[k++] = (TmlConfusedPair){t, p, cnt, (double)cnt / (double)m->per_class[t].support};
        }
    qsort(all, (size_t)n, sizeof *all, pair_cmp);
    m->n_pairs = (int)(n < m->options.max_pairs ? n : m->options.max_pairs);
    m->pairs = all; /* the tail past n_pairs is simply unused */
    return 0;
}

/* Coverage-accuracy curve and the target point, from rows sorted by confidence (descending). Rows
 * with equal confidence are covered together: a threshold cannot split them. */
static int fill_coverage(TmlMetrics *m, const ScoredRow *rows, int64_t n) {
    double *x = malloc(sizeof(double) * (size_t)(n + 1)), *y = malloc(sizeof(double) * (size_t)(n + 1));
    double *t = malloc(sizeof(double) * (size_t)(n + 1));
    int rc = -1;
    if (!x || !y || !t) goto done;
    TmlCoverageTarget *at = &m->at_target;
    *at = (TmlCoverageTarget){m->options.target_accuracy, 0, NAN, 0.0, NAN, 1.0};
    int64_t covered = 0, correct = 0, np = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j < n && rows[j].key == rows[i].key) correct += rows[j++].flag;
        covered = j;
        double cov = (double)covered / (double)n, acc = (double)correct / (double)covered;
        x[np] = cov;
        y[np] = acc;
        t[np++] = rows[i].key;
        /* Coverage only grows along the scan, so the last threshold meeting the target covers most. */
        if (acc >= at->target) {
            at->reached = 1;
            at->threshold = rows[i].key;
            at->coverage = cov;
            at->accuracy = acc;
            at->manual_share = 1.0 - cov;
        }
        i = j;
    }
    rc = curve_set(&m->coverage, x, y, t, np, m->options.curve_points);
done:
    free(x);
    free(y);
    free(t);
    return rc;
}

/* ROC, PR, best F1 and lift from rows sorted by positive score (descending), flag = is positive. */
static int fill_binary(TmlMetrics *m, const ScoredRow *rows, int64_t n) {
    TmlBinaryMetrics *b = &m->binary;
    int64_t P = 0;
    for (int64_t i = 0; i < n; i++) P += rows[i].flag;
    int64_t Nn = n - P;
    b->positive_rate = (double)P / (double)n;
    size_t sz = sizeof(double) * (size_t)(n + 2);
    double *fx = malloc(sz), *fy = malloc(sz), *ft = malloc(sz), *rx = malloc(sz), *ry = malloc(sz), *rt = malloc(sz);
    int rc = -1;
    if (!fx || !fy || !ft || !rx || !ry || !rt) goto done;

    int64_t tp = 0, fp = 0, nroc = 0, npr = 0;
    double auc = 0, ap = 0, taken = 0, captured = 0, top = 0.1 * (double)n;
    b->best_f1 = 0.0;
    b->best_f1_threshold = NAN;
    fx[nroc] = 0, fy[nroc] = 0, ft[nroc++] = INFINITY;
    rx[npr] = 0, ry[npr] = 1, rt[npr++] = INFINITY;
    for (int64_t i = 0; i < n;) {
        int64_t j = i, gp = 0;
        while (j < n && rows[j].key == rows[i].key) gp += rows[j++].flag;
        int64_t g = j - i, prev_tp = tp, prev_fp = fp;
        tp += gp;
        fp += g - gp;
        /* Trapezoid over the tied group = Mann-Whitney with ties counting one half (sklearn). */
        auc += (double)(fp - prev_fp) * (double)(tp + prev_tp) / 2.0;
        double prec = (double)tp / (double)(tp + fp);
        if (P > 0) ap += (double)(tp - prev_tp) / (double)P * prec;
        double f1 = 2.0 * (double)tp / (double)(2 * tp + fp + (P - tp));
        if (f1 > b->best_f1) {
            b->best_f1 = f1;
            b->best_f1_threshold = rows[i].key;
        }
        /* The riskiest 10% of rows; a tied group straddling the cut counts pro rata. */
        if (taken < top) {
            double room = top - taken;
            if ((double)g <= room) {
                taken += (double)g;
                captured += (double)gp;
            } else {
                captured += (double)gp * room / (double)g;
                taken = top;
            }
        }
        fx[nroc] = Nn ? (double)fp / (double)Nn : NAN;
        fy[nroc] = P ? (double)tp / (double)P : NAN;
        ft[nroc++] = rows[i].key;
        rx[npr] = P ? (double)tp / (double)P : NAN;
        ry[npr] = prec;
        rt[npr++] = rows[i].key;
        i = j;
    }
    b->roc_auc = (P && Nn) ? auc / ((double)P * (double)Nn) : NAN;
    b->pr_auc = P ? ap : NAN;
    b->capture_top10 = P ? captured / (double)P : NAN;
    b->lift_top10 = P ? b->capture_top10 / 0.1 : NAN;
    if (curve_set(&b->roc, fx, fy, ft, nroc, m->options.curve_points) ||
        curve_set(&b->pr, rx, ry, rt, npr, m->options.curve_points))
        goto done;
    rc = 0;
done:
    free(fx), free(fy), free(ft), free(rx), free(ry), free(rt);
    return rc;
}

/* Checks the arguments and every row before anything is computed, so a bad row never leaves
 * half-computed state behind: 0 with *known (rows with a label the model knows), else -1. */
static int check_input(const float *probs, const int32_t *labels, int64_t N, int C, int positive,
                       const TmlMetricsOptions *o, int64_t *known, TmlError *err) {
    if (!probs || !labels || N <= 0)
        return tml_fail(err, "metrics: no rows to evaluate (N = %lld); evaluate at least one row", (long long)N);
    if (C < 2)
        return tml_fail(err, "metrics: %d class(es); a classifier needs at least 2 (give a binary model 2 columns: 1-p, p)", C);
    if (positive >= 0 && (C != 2 || positive > 1))
        return tml_fail(err, "metrics: positive class %d given for a %d-class model; binary metrics need C = 2 and positive 0 or 1", positive, C);
    if (o->top_k < 1 || o->ece_bins < 1 || o->max_pairs < 0 || !(o->threshold >= 0 && o->threshold <= 1) ||
        !(o->target_accuracy >= 0 && o->target_accuracy <= 1))
        return tml_fail(err, "metrics: bad options (top_k %d, ece_bins %d, max_pairs %d, threshold %g, target_accuracy %g); "
                        "top_k and ece_bins >= 1, threshold and target in [0, 1]", o->top_k, o->ece_bins, o->max_pairs,
                        o->threshold, o->target_accuracy);
    *known = 0;
    for (int64_t i = 0; i < N; i++) {
        if (labels[i] < -1 || labels[i] >= C)
            return tml_fail(err, "metrics: row %lld: label index %d outside [0, %d) (use -1 for a label the model does not know)",
                            (long long)i + 1, labels[i], C);
        for (int c = 0; c < C; c++) {
            float p = probs[i * C + c];
            if (!isfinite(p)) /* not logits: a model whose weights are NaN or infinite */
                return tml_fail(err, "metrics: row %lld, class %d: probability %g is not a number: the model's weights "
                                     "are NaN or infinite (a diverged training): train it again with a lower train.lr",
                                (long long)i + 1, c, (double)p);
            if (!(p >= -1e-6f && p <= 1.0f + 1e-6f))
                return tml_fail(err, "metrics: row %lld, class %d: probability %g is outside [0, 1]; pass softmax/sigmoid "
                                     "outputs, not logits",
                                (long long)i + 1, c, (double)p);
        }
        if (labels[i] >= 0) ++*known;
    }
    if (*known == 0)
        return tml_fail(err, "metrics: none of the %lld rows has a label the model knows; check the label column and the model", (long long)N);
    return 0;
}

/* One pass over the known rows: confusion, accuracy, top-k, log loss, Brier, the reliability bins
 * (ECE), and the rows ranked later by confidence (conf_rows) and by positive score (pos_rows). */
static int accumulate(TmlMetrics *m, const float *probs, const int32_t *labels, ScoredRow *conf_rows,
                      ScoredRow *pos_rows) {
    const TmlMetricsOptions o = m->options;
    int C = m->n_classes, positive = m->binary.positive;
    double *bin_conf = calloc((size_t)o.ece_bins, sizeof(double));
    int64_t *bin_correct = calloc((size_t)o.ece_bins, sizeof(int64_t));
    if (!bin_conf || !bin_correct) {
        free(bin_conf);
        free(bin_correct);
        return -1;
    }
    int64_t correct = 0, topk_hits = 0, k = 0;
    double logloss = 0, brier = 0;
    for (int64_t i = 0; i < m->n_rows; i++) {
        int y = labels[i];
        if (y < 0) continue;
        const float *row = probs + i * C;
        int pred = tml_metrics_predict(m, row);
        m->confusion[(int64_t)y * C + pred]++;
        correct += pred == y;

        /* Rank of the true class; ties put the higher class index first, as sklearn's reversed
         * stable argsort does in top_k_accuracy_score. */
        int above = 0;
        for (int c = 0; c < C; c++)
            above += row[c] > row[y] || (row[c] == row[y] && c > y);
        topk_hits += above < o.top_k;

        double pt = row[y];
        if (pt < TML_LOGLOSS_EPS) pt = TML_LOGLOSS_EPS;
        if (pt > 1 - TML_LOGLOSS_EPS) pt = 1 - TML_LOGLOSS_EPS;
        logloss -= log(pt);

        if (m->is_binary) {
            double d = (double)row[positive] - (y == positive);
            brier += d * d;
        } else {
            for (int c = 0; c < C; c++) {
                double d = (double)row[c] - (c == y);
                brier += d * d;
            }
        }

        float conf = row[pred];
        int b = (int)((double)conf * o.ece_bins);
        if (b >= o.ece_bins) b = o.ece_bins - 1;
        if (b < 0) b = 0;
        m->bins[b].count++;
        bin_conf[b] += conf;
        bin_correct[b] += pred == y;
        conf_rows[k] = (ScoredRow){conf, pred == y};
        if (m->is_binary) pos_rows[k] = (ScoredRow){row[positive], y == positive};
        k++;
    }
    double n = (double)m->n_evaluated;
    m->accuracy = (double)correct / n;
    m->top_k_accuracy = (double)topk_hits / n;
    m->log_loss = logloss / n;
    m->brier = brier / n;
    m->ece = 0;
    for (int b = 0; b < o.ece_bins; b++) {
        TmlReliabilityBin *bin = &m->bins[b];
        bin->lo = (double)b / o.ece_bins;
        bin->hi = (double)(b + 1) / o.ece_bins;
        bin->confidence = bin->count ? bin_conf[b] / (double)bin->count : NAN;
        bin->accuracy = bin->count ? (double)bin_correct[b] / (double)bin->count : NAN;
        if (bin->count) m->ece += (double)bin->count / n * fabs(bin->accuracy - bin->confidence);
    }
    free(bin_conf);
    free(bin_correct);
    return 0;
}

/* The positive class's confusion counts and scores, then the curves over pos_rows. */
static int fill_binary_all(TmlMetrics *m, ScoredRow *pos_rows) {
    TmlBinaryMetrics *bm = &m->binary;
    int C = m->n_classes, positive = bm->positive, neg = 1 - positive;
    bm->tp = m->confusion[positive * C + positive];
    bm->fn = m->confusion[positive * C + neg];
    bm->fp = m->confusion[neg * C + positive];
    bm->tn = m->confusion[neg * C + neg];
    bm->precision = m->per_class[positive].precision;
    bm->recall = m->per_class[positive].recall;
    bm->f1 = m->per_class[positive].f1;
    qsort(pos_rows, (size_t)m->n_evaluated, sizeof *pos_rows, scored_row_desc);
    return fill_binary(m, pos_rows, m->n_evaluated);
}

TmlMetrics *tml_metrics_compute(const float *probs, const int32_t *labels, int64_t N, int C, int positive,
                                const TmlMetricsOptions *opt, TmlError *err) {
    TmlMetricsOptions o;
    if (opt) o = *opt;
    else tml_metrics_options_default(&o);
    int64_t known = 0;
    if (check_input(probs, labels, N, C, positive, &o, &known, err) < 0) return NULL;
    if (o.top_k > C) o.top_k = C;

    TmlMetrics *m = calloc(1, sizeof *m);
    ScoredRow *conf_rows = NULL, *pos_rows = NULL;
    if (!m) goto oom;
    m->n_classes = C;
    m->n_rows = N;
    m->n_evaluated = known;
    m->n_unknown = N - known;
    m->options = o;
    m->is_binary = positive >= 0;
    m->binary.positive = positive;
    m->binary.threshold = o.threshold;
    m->per_class = calloc((size_t)C, sizeof *m->per_class);
    m->confusion = calloc((size_t)C * (size_t)C, sizeof *m->confusion);
    m->bins = calloc((size_t)o.ece_bins, sizeof *m->bins);
    conf_rows = malloc(sizeof *conf_rows * (size_t)known);
    if (m->is_binary) pos_rows = malloc(sizeof *pos_rows * (size_t)known);
    if (!m->per_class || !m->confusion || !m->bins || !conf_rows || (m->is_binary && !pos_rows)) goto oom;
    if (accumulate(m, probs, labels, conf_rows, pos_rows) < 0) goto oom;
    tml_metrics_fill_classes(m);
    if (fill_pairs(m) || tml_metrics_fill_intervals(m)) goto oom;
    qsort(conf_rows, (size_t)known, sizeof *conf_rows, scored_row_desc);
    if (fill_coverage(m, conf_rows, known)) goto oom;
    if (m->is_binary && fill_binary_all(m, pos_rows)) goto oom;
    free(conf_rows);
    free(pos_rows);
    return m;
oom:
    free(conf_rows);
    free(pos_rows);
    tml_metrics_free(m);
    tml_fail(err, "metrics: out of memory for %lld rows x %d classes", (long long)N, C);
    return NULL;
}
