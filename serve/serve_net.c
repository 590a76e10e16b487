/* serve_net.c — the bag and mlp families' forward pass in the serving library, in plain C loops
 * matching the trainer's kernels: embedding bag (sum, scaled by 1/len for mean) or the dense row;
 * x W1 + b1, ReLU; x W2 + b2; softmax or sigmoid. Tensors are borrowed from the export. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve_family.h"

typedef struct Net {
    int text, linear, ova, mean_bag;
    int C, D, H; /* classes; bag / input width; hidden (0: none) */
    const float *E, *W1, *b1, *W2, *b2;
} Net;

static int one_of(const char *s, const char *a, const char *b) {
    return s && ((a && !strcmp(s, a)) || (b && !strcmp(s, b)));
}

static int net_validate(const TmlExport *e, const char *where, int *n_tensors, TmlError *err) {
    if (!e->loss || !e->bag)
        return tml_fail(err, "%s: kind, task or model attributes are missing; re-export the model", where);
    if (!one_of(e->loss, "softmax", "ova")) return tml_fail(err, "%s: unknown loss '%s'", where, e->loss);
    if (!one_of(e->bag, "mean", "sum")) return tml_fail(err, "%s: unknown bag mode '%s'", where, e->bag);
    if (e->hidden < 0 || e->hidden > (1 << 24) || e->dim < 0 || e->dim > (1 << 24))
        return tml_fail(err, "%s: model dimensions are invalid (in_dim %lld, dim %lld, hidden %lld, n_out %lld)", where,
                        (long long)e->in_dim, (long long)e->dim, (long long)e->hidden, (long long)e->n_out);
    int text = !strcmp(e->kind, "text"), linear = !strcmp(e->arch, "linear");
    int64_t C = e->n_out, H = e->hidden, D = linear ? C : text ? e->dim : e->in_dim;
    if (text) {
        if (D < 1) return tml_fail(err, "%s: model/dim is 0 for an embedding model", where);
        if (tml_export_want_tensor(e, where, "weights/embedding", e->in_dim, D, err)) return -1;
        ++*n_tensors;
    }
    if (!linear) {
        int64_t in2 = D;
        if (H > 0) {
            if (tml_export_want_tensor(e, where, "weights/hidden_w", D, H, err) ||
                tml_export_want_tensor(e, where, "weights/hidden_b", H, 1, err))
                return -1;
            in2 = H;
            *n_tensors += 2;
        }
        if (tml_export_want_tensor(e, where, "weights/output_w", in2, C, err)) return -1;
        ++*n_tensors;
    }
    if (tml_export_want_tensor(e, where, "weights/output_b", C, 1, err)) return -1;
    ++*n_tensors;
    return 0;
}

static const float *tensor(const TmlExport *e, const char *key) {
    const TmlExportTensor *t = tml_export_tensor(e, key);
    return t ? t->data : NULL;
}

static void *net_build(const TmlExport *e, TmlError *err) {
    Net *n = calloc(1, sizeof *n);
    if (!n) {
        tml_fail(err, "out of memory");
        return NULL;
    }
    n->text = !strcmp(e->kind, "text");
    n->linear = !strcmp(e->arch, "linear");
    n->ova = !strcmp(e->loss, "ova");
    n->mean_bag = !strcmp(e->bag, "mean");
    n->C = (int)e->n_out;
    n->H = n->linear ? 0 : (int)e->hidden;
    n->D = n->text ? (n->linear ? n->C : (int)e->dim) : (int)e->in_dim;
    n->E = tensor(e, "weights/embedding");
    n->W1 = tensor(e, "weights/hidden_w");
    n->b1 = tensor(e, "weights/hidden_b");
    n->W2 = tensor(e, "weights/output_w");
    n->b2 = tensor(e, "weights/output_b");
    return n;
}

static void net_free(void *state) { free(state); }

static size_t net_scratch(const void *state) {
    const Net *n = state;
    return (size_t)n->D + (size_t)n->H;
}

/* out (cols) = x (n) W (n, cols) + b; W row-major, so each x[k] scales one contiguous row. */
static void affine(float *out, const float *x, int n, const float *W, const float *b, int cols) {
    memset(out, 0, (size_t)cols * sizeof *out);
    for (int k = 0; k < n; k++) {
        float xk = x[k];
        if (xk == 0.0f) continue;
        const float *w = W + (size_t)k * cols;
        for (int j = 0; j < cols; j++) out[j] += xk * w[j];
    }
    for (int j = 0; j < cols; j++) out[j] += b[j];
}

/* scratch holds D + H floats. */
static int net_forward(const void *state, const int32_t *ids, const float *w, int64_t n_ids, const float *dense,
                       float *probs, float *scratch) {
    const Net *m = state;
    int C = m->C, D = m->D, H = m->H;
    const float *x = dense;
    if (m->text) {
        float *h = m->linear ? probs : scratch;
        memset(h, 0, (size_t)D * sizeof *h);
        for (int64_t j = 0; j < n_ids; j++) {
            const float *e = m->E + (size_t)ids[j] * D;
            float wj = w ? w[j] : 1.0f;
            for (int d = 0; d < D; d++) h[d] += wj * e[d];
        }
        float s = m->mean_bag && n_ids > 0 ? 1.0f / (float)n_ids : 1.0f;
        if (s != 1.0f)
            for (int d = 0; d < D; d++) h[d] *= s;
        if (m->linear) {
            for (int c = 0; c < C; c++) probs[c] += m->b2[c];
            return tml_serve_finish(probs, C, m->ova);
        }
        x = h;
    }
    int in2 = D;
    if (H > 0) {
        float *a = scratch + D;
        affine(a, x, D, m->W1, m->b1, H);
        for (int k = 0; k < H; k++) a[k] = a[k] > 0.0f ? a[k] : 0.0f;
        x = a;
        in2 = H;
    }
    affine(probs, x, in2, m->W2, m->b2, C);
    return tml_serve_finish(probs, C, m->ova);
}

/* Both families are the same forward pass on different features. */
#define NET_SERVE_ENTRIES                                                                                   \
    .validate = net_validate, .build = net_build, .free = net_free, .scratch_floats = net_scratch,           \
    .forward = net_forward

const TmlServeFamily tml_serve_family_bag = {
    .archs = (const char *const[]){"linear", "embedding", NULL},
    .kind = "text",
    NET_SERVE_ENTRIES,
};

const TmlServeFamily tml_serve_family_mlp = {
    .archs = (const char *const[]){"tabular", NULL},
    .kind = "tabular",
    NET_SERVE_ENTRIES,
};
