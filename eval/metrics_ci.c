/* metrics_ci.c — how sure the headline numbers are, and what they should be compared with: the
 * Wilson score interval of accuracy, Poisson-bootstrap percentile intervals of macro-F1 and of each
 * class's F1, and the scores of two models that look at nothing (always the majority class; guess
 * by the class shares). All from the confusion matrix, through tml_metrics_fill_classes, so they
 * follow the report's own definitions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/metrics.h"
#include "ticketml/rng.h"

#define Z95 1.959963984540054
#define BOOT_SEED 0x7469636b65746d6cULL /* fixed: the same matrix gives the same intervals */

/* Poisson(lambda) draw: Knuth's product method below 30, else the normal approximation rounded
 * (at lambda >= 30 its error is far below the bootstrap's own). */
static int64_t poisson(TmlRng *r, double lambda) {
    if (lambda <= 0) return 0;
    if (lambda < 30) {
        double l = exp(-lambda), p = 1;
        int64_t k = 0;
        do {
            k++;
            p *= tml_rng_uniform(r);
        } while (p > l);
        return k - 1;
    }
    double u1 = tml_rng_uniform(r), u2 = tml_rng_uniform(r);
    double z = sqrt(-2 * log(u1 > 0 ? u1 : 1e-300)) * cos(6.283185307179586 * u2);
    double v = floor(lambda + sqrt(lambda) * z + 0.5);
    return v < 0 ? 0 : (int64_t)v;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 2.5% and 97.5% percentiles of v[0..n) (sorted in place; linear interpolation as numpy). */
static TmlInterval percentile95(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    TmlInterval iv;
    double q[2] = {0.025, 0.975}, *out[2] = {&iv.lo, &iv.hi};
    for (int k = 0; k < 2; k++) {
        double pos = q[k] * (n - 1);
        int i = (int)floor(pos);
        double f = pos - i;
        *out[k] = i + 1 < n ? v[i] * (1 - f) + v[i + 1] * f : v[i];
    }
    return iv;
}

static TmlInterval wilson(int64_t k, int64_t n) {
    if (n <= 0) return (TmlInterval){NAN, NAN};
    double p = (double)k / (double)n, z2 = Z95 * Z95, d = 1 + z2 / (double)n;
    double c = (p + z2 / (2.0 * (double)n)) / d, h = Z95 * sqrt(p * (1 - p) / (double)n + z2 / (4.0 * (double)n * (double)n)) / d;
    return (TmlInterval){c - h, c + h};
}

/* A scratch TmlMetrics over confusion cm: per-class metrics and averages filled. */
static int scratch_fill(const TmlMetrics *m, int64_t *cm, TmlClassMetrics *pc, TmlMetrics *t) {
    memset(t, 0, sizeof *t);
    t->n_classes = m->n_classes;
    t->confusion = cm;
    t->per_class = pc;
    tml_metrics_fill_classes(t);
    return 0;
}

static int fill_baseline(TmlMetrics *m, int64_t *cm, TmlClassMetrics *pc) {
    int C = m->n_classes;
    TmlBaseline *b = &m->baseline;
    int64_t n = 0;
    b->majority = 0;
    for (int c = 0; c < C; c++) {
        n += m->per_class[c].support;
        if (m->per_class[c].support > m->per_class[b->majority].support) b->majority = c;
    }
    /* always the majority class */
    memset(cm, 0, sizeof *cm * (size_t)C * (size_t)C);
    for (int t = 0; t < C; t++) cm[(int64_t)t * C + b->majority] = m->per_class[t].support;
    TmlMetrics t;
    scratch_fill(m, cm, pc, &t);
    b->majority_accuracy = n ? (double)m->per_class[b->majority].support / (double)n : NAN;
    b->majority_macro_f1 = t.macro.f1;
    /* by the shares: the expected matrix n p_t p_p, scaled up so rounding does not show */
    double acc = 0;
    for (int a = 0; a < C; a++) {
        double pa = n ? (double)m->per_class[a].support / (double)n : 0;
        acc += pa * pa;
        for (int p = 0; p < C; p++) {
            double pp = n ? (double)m->per_class[p].support / (double)n : 0;
            cm[(int64_t)a * C + p] = (int64_t)llround(1e9 * pa * pp);
        }
    }
    scratch_fill(m, cm, pc, &t);
    b->prior_accuracy = n ? acc : NAN;
    b->prior_macro_f1 = t.macro.f1;
    return 0;
}

int tml_metrics_fill_intervals(TmlMetrics *m) {
    int C = m->n_classes, reps = m->options.bootstrap;
    int64_t correct = 0, n = 0;
    for (int c = 0; c < C; c++) {
        correct += m->confusion[(int64_t)c * C + c];
        n += m->per_class[c].support;
    }
    m->accuracy_ci = wilson(correct, n);
    m->macro_f1_ci = (TmlInterval){NAN, NAN};
    m->f1_ci = malloc(sizeof *m->f1_ci * (size_t)C);
    int64_t *cm = malloc(sizeof *cm * (size_t)C * (size_t)C);
    TmlClassMetrics *pc = malloc(sizeof *pc * (size_t)C);
    double *macro = reps > 0 ? malloc(sizeof *macro * (size_t)reps) : NULL;
    double *per = reps > 0 ? malloc(sizeof *per * (size_t)reps * (size_t)C) : NULL;
    int rc = -1;
    if (!m->f1_ci || !cm || !pc || (reps > 0 && (!macro || !per))) goto done;
    for (int c = 0; c < C; c++) m->f1_ci[c] = (TmlInterval){NAN, NAN};
    if (reps > 0 && n > 0) {
        TmlRng r;
        tml_rng_seed(&r, BOOT_SEED);
        for (int k = 0; k < reps; k++) {
            /* Poisson bootstrap: each row weighs Poisson(1), so each cell is Poisson(its count) */
            for (int64_t i = 0; i < (int64_t)C * C; i++) cm[i] = poisson(&r, (double)m->confusion[i]);
            TmlMetrics t;
            scratch_fill(m, cm, pc, &t);
            macro[k] = t.macro.f1;
            for (int c = 0; c < C; c++) per[(size_t)c * reps + k] = pc[c].f1;
        }
        m->macro_f1_ci = percentile95(macro, reps);
        for (int c = 0; c < C; c++)
            if (m->per_class[c].support > 0 || m->per_class[c].predicted > 0)
                m->f1_ci[c] = percentile95(per + (size_t)c * reps, reps);
    }
    fill_baseline(m, cm, pc);
    rc = 0;
done:
    free(cm);
    free(pc);
    free(macro);
    free(per);
    return rc;
}
