/* gbdt_hist.c — CPU reference for the tree histograms: per feature, the (gradient, hessian, rows)
 * sums of a node's rows in each bin, and the sibling's histogram by subtraction. Rows are read once
 * each (row-major bins: one cache line per row) and added to every used feature's histogram. A
 * large node is cut into a fixed number of row chunks (depending on n only), each summed into its
 * own partial histogram by whichever thread of kernels/cpu/threads.c takes it, and the partials are
 * added in chunk order: the same bits for any thread count. */
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/cpu_ops.h"
#include "kernels/cpu/threads.h"

#define HIST_CHUNK_ROWS 32768
#define HIST_MAX_CHUNKS 16
#define PREFETCH 16

typedef struct HistJob {
    double *out, *part; /* part: (chunks, F * per) partial histograms, NULL for one chunk */
    const uint8_t *bins;
    const float *gh;
    const int32_t *rows;
    const int *uf; /* used features */
    int n_uf, F, chunks;
    int64_t n, len;
    size_t per; /* NB * 3 */
} HistJob;

static void hist_chunk(void *ctx, int c) {
    const HistJob *j = ctx;
    size_t size = (size_t)j->F * j->per;
    double *h = j->part ? j->part + (size_t)c * size : j->out;
    if (j->part) memset(h, 0, size * sizeof *h);
    int64_t a = (int64_t)c * j->len, e = a + j->len < j->n ? a + j->len : j->n;
    const int *uf = j->uf;
    int nu = j->n_uf, F = j->F;
    size_t per = j->per;
    for (int64_t i = a; i < e; i++) {
        int64_t r = j->rows ? (int64_t)j->rows[i] : i;
        if (j->rows && i + PREFETCH < e) { /* sparse rows: fetch ahead what the row index names */
            int64_t q = j->rows[i + PREFETCH];
            __builtin_prefetch(j->bins + (size_t)q * (size_t)F);
            __builtin_prefetch(j->gh + 2 * q);
        }
        double g = j->gh[2 * r], hh = j->gh[2 * r + 1];
        const uint8_t *b = j->bins + (size_t)r * (size_t)F;
        for (int u = 0; u < nu; u++) {
            int f = uf[u];
            double *x = h + (size_t)f * per + (size_t)b[f] * 3;
            x[0] += g;
            x[1] += hh;
            x[2] += 1.0;
        }
    }
}

/* Adds the partials of features [f*per .. (f+1)*per) in chunk order. */
static void hist_reduce(void *ctx, int u) {
    const HistJob *j = ctx;
    size_t size = (size_t)j->F * j->per, off = (size_t)j->uf[u] * j->per;
    double *o = j->out + off;
    memcpy(o, j->part + off, j->per * sizeof *o);
    for (int c = 1; c < j->chunks; c++) {
        const double *p = j->part + (size_t)c * size + off;
        for (size_t k = 0; k < j->per; k++) o[k] += p[k];
    }
}

/* Partial histograms, kept per calling thread and grown as needed (freed at exit). */
static _Thread_local double *t_part;
static _Thread_local size_t t_part_len;

void tml_cpu_gbdt_hist(void *ctx, double *hist, const uint8_t *bins, int64_t N, int F, int NB, const float *gh,
                       const int32_t *rows, int64_t n, const uint8_t *feat_used) {
    int uf_stack[256], *uf = F <= 256 ? uf_stack : malloc((size_t)F * sizeof *uf);
    HistJob j = {hist, NULL, bins, gh, rows, uf, 0, F, 1, n, n, (size_t)NB * 3};
    memset(hist, 0, (size_t)F * j.per * sizeof(double));
    if (!uf) { /* no room for the feature list: every feature, one pass (the same sums) */
        int all[1] = {0};
        for (int f = 0; f < F; f++) {
            if (feat_used && !feat_used[f]) continue;
            all[0] = f;
            HistJob one = j;
            one.uf = all;
            one.n_uf = 1;
            hist_chunk(&one, 0);
        }
        return;
    }
    for (int f = 0; f < F; f++)
        if (!feat_used || feat_used[f]) uf[j.n_uf++] = f;
    int64_t want = n / HIST_CHUNK_ROWS;
    j.chunks = (int)(want < 1 ? 1 : want > HIST_MAX_CHUNKS ? HIST_MAX_CHUNKS : want);
    if (j.chunks > 1) {
        size_t need = (size_t)j.chunks * (size_t)F * j.per;
        if (need > t_part_len) {
            double *p = realloc(t_part, need * sizeof *p);
            if (p) t_part = p, t_part_len = need;
        }
        if (need <= t_part_len)
            j.part = t_part;
        else
            j.chunks = 1; /* out of memory for partials: one chunk, the caller's thread */
    }
    j.len = (n + j.chunks - 1) / j.chunks;
    if (j.chunks == 1) {
        hist_chunk(&j, 0);
    } else {
        tml_cpu_threads_run(j.chunks, hist_chunk, &j);
        tml_cpu_threads_run(j.n_uf, hist_reduce, &j);
    }
    if (uf != uf_stack) free(uf);
}

void tml_cpu_gbdt_hist_subtract(void *ctx, double *out, const double *parent, const double *child, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = parent[i] - child[i];
}
