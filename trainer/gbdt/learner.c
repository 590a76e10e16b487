/* learner.c — one tree per call (see learner.h). Histograms live in a pool of max_leaves slots on
 * the device: a leaf that may still split owns a slot; splitting hands the parent's slot to the
 * larger child (parent - smaller, in place) and a free slot to the smaller one. */
#include "trainer/gbdt/learner.h"

#include <stdlib.h>
#include <string.h>

typedef struct Leaf {
    int64_t begin, n;   /* its rows: row list [begin, begin + n) */
    int slot;           /* histogram slot, -1 when it will not split */
    int depth, node;    /* depth (root 0); its node in the tree */
    double g, h, cnt;   /* sums over its rows */
    TmlGbdtSplit split; /* best split; feature -1: stays a leaf */
} Leaf;

struct TmlGbdtLearner {
    TmlBackend *be;
    const TmlGbdtBinner *binner;
    const uint8_t *d_bins;
    int64_t N;
    int F, NB, max_leaves;
    size_t slot_len; /* doubles per histogram */
    TmlGbdtFeature *d_feats;
    int32_t *d_rows, *d_scratch, *h_iota;
    double *d_hist;        /* (max_leaves, slot_len) */
    TmlGbdtSplit *d_split; /* (2) */
    int *free_slots, n_free;
    Leaf *leaves;                          /* (max_leaves) */
    TmlGbdtNode *nodes;                    /* (2 max_leaves) */
    uint32_t *cats;                        /* (max_leaves, CAT_WORDS) */
    TmlGbdtLeafRange *h_ranges, *d_ranges; /* the last tree's leaves, cut into pieces */
    int n_ranges, cap_ranges;
};

#define RANGE_PIECE 32768 /* rows per leaf-range piece: pieces balance threads and GPU blocks */

void tml_gbdt_learner_free(TmlGbdtLearner *L) {
    if (!L) return;
    tml_free(L->be, L->d_feats);
    tml_free(L->be, L->d_rows);
    tml_free(L->be, L->d_scratch);
    tml_free(L->be, L->d_hist);
    tml_free(L->be, L->d_split);
    free(L->h_iota);
    free(L->free_slots);
    free(L->leaves);
    free(L->nodes);
    free(L->cats);
    free(L->h_ranges);
    tml_free(L->be, L->d_ranges);
    free(L);
}

TmlGbdtLearner *tml_gbdt_learner_new(TmlBackend *be, const TmlGbdtBinner *binner, const uint8_t *d_bins, int64_t N,
                                     int max_leaves, TmlError *err) {
    TmlGbdtLearner *L = calloc(1, sizeof *L);
    if (!L) goto oom_host;
    L->be = be;
    L->binner = binner;
    L->d_bins = d_bins;
    L->N = N;
    L->F = binner->F;
    L->NB = binner->NB;
    L->max_leaves = max_leaves;
    L->slot_len = (size_t)L->F * (size_t)L->NB * 3;
    size_t rows = (size_t)(N > 0 ? N : 1);
    L->free_slots = malloc((size_t)max_leaves * sizeof *L->free_slots);
    L->leaves = calloc((size_t)max_leaves, sizeof *L->leaves);
    L->nodes = calloc(2 * (size_t)max_leaves, sizeof *L->nodes);
    L->cats = calloc((size_t)max_leaves * TML_GBDT_CAT_WORDS, sizeof *L->cats);
    L->h_iota = malloc(rows * sizeof *L->h_iota);
    L->cap_ranges = max_leaves + (int)(N / RANGE_PIECE) + 2;
    L->h_ranges = malloc((size_t)L->cap_ranges * sizeof *L->h_ranges);
    if (!L->free_slots || !L->leaves || !L->nodes || !L->cats || !L->h_iota || !L->h_ranges) goto oom_host;
    for (int64_t i = 0; i < N; i++) L->h_iota[i] = (int32_t)i;
    L->d_feats = tml_alloc(be, (size_t)L->F * sizeof *L->d_feats);
    L->d_rows = tml_alloc(be, rows * sizeof *L->d_rows);
    L->d_scratch = tml_alloc(be, rows * sizeof *L->d_scratch);
    L->d_hist = tml_alloc(be, (size_t)max_leaves * L->slot_len * sizeof(double));
    L->d_split = tml_alloc(be, 2 * sizeof *L->d_split);
    L->d_ranges = tml_alloc(be, (size_t)L->cap_ranges * sizeof *L->d_ranges);
    if (!L->d_feats || !L->d_rows || !L->d_scratch || !L->d_hist || !L->d_split || !L->d_ranges) {
        tml_fail(err,
                 "out of %s memory for tree learning (%lld rows, %d features, %d leaves: %.0f MB of histograms); "
                 "lower model.max_leaves or model.max_bins",
                 tml_backend_name(be), (long long)N, L->F, max_leaves,
                 (double)max_leaves * (double)L->slot_len * 8.0 / 1e6);
        tml_gbdt_learner_free(L);
        return NULL;
    }
    tml_upload(be, L->d_feats, binner->feats, (size_t)L->F * sizeof *L->d_feats);
    return L;
oom_host:
    tml_fail(err, "out of host memory for tree learning");
    tml_gbdt_learner_free(L);
    return NULL;
}

int32_t *tml_gbdt_learner_rows(TmlGbdtLearner *L) { return L->d_rows; }

void tml_gbdt_learner_add_scores(TmlGbdtLearner *L, float *d_scores, int K, int k) {
    tml_upload(L->be, L->d_ranges, L->h_ranges, (size_t)L->n_ranges * sizeof *L->h_ranges);
    tml_gbdt_leaf_add(L->be, d_scores, K, k, L->d_rows, L->d_ranges, L->n_ranges);
}

void tml_gbdt_learner_all_rows(TmlGbdtLearner *L) {
    tml_upload(L->be, L->d_rows, L->h_iota, (size_t)L->N * sizeof *L->d_rows);
}

static double *slot_ptr(TmlGbdtLearner *L, int slot) { return L->d_hist + (size_t)slot * L->slot_len; }

static void release(TmlGbdtLearner *L, int *slot) {
    if (*slot >= 0) L->free_slots[L->n_free++] = *slot;
    *slot = -1;
}

static int take(TmlGbdtLearner *L) {
    TML_ASSERT(L->n_free > 0);
    return L->free_slots[--L->n_free];
}

/* May this leaf still be split, and is there room for one more leaf? */
static int eligible(const Leaf *f, int n_leaves, const TmlGbdtGrowParams *p) {
    if (n_leaves >= p->max_leaves) return 0;
    if (p->max_depth > 0 && f->depth >= p->max_depth) return 0;
    double md = p->split.min_data_in_leaf > 1 ? p->split.min_data_in_leaf : 1;
    return (double)f->n >= 2 * md && f->h >= 2 * p->split.min_child_weight;
}

/* The next leaf to split: largest gain (leaf-wise) or shallowest (depth-wise), lower node on ties. */
static int choose(const TmlGbdtLearner *L, int n_leaves, const TmlGbdtGrowParams *p) {
    int best = -1;
    for (int i = 0; i < n_leaves; i++) {
        const Leaf *f = &L->leaves[i];
        if (f->split.feature < 0) continue;
        if (best < 0) {
            best = i;
            continue;
        }
        const Leaf *b = &L->leaves[best];
        int better = p->depthwise
                         ? (f->depth < b->depth || (f->depth == b->depth && f->node < b->node))
                         : (f->split.gain > b->split.gain || (f->split.gain == b->split.gain && f->node < b->node));
        if (better) best = i;
    }
    return best;
}

static void make_leaf_node(TmlGbdtNode *nd, const Leaf *f, const TmlGbdtGrowParams *p) {
    memset(nd, 0, sizeof *nd);
    nd->feature = -1;
    nd->cat = -1;
    nd->left = nd->right = -1;
    double d = f->h + p->split.lambda_l2;
    nd->value = d > 0 ? (float)(-p->learning_rate * f->g / d) : 0.0f;
    nd->cover = (float)f->h;
    nd->count = (float)f->cnt;
}

int tml_gbdt_learner_grow(TmlGbdtLearner *L, const float *d_gh, int64_t n_root, int all_rows, const uint8_t *d_used,
                          const TmlGbdtGrowParams *p, const TmlGbdtNode **nodes_out, int *n_nodes_out,
                          const uint32_t **cats_out, int *n_cats_out, TmlError *err) {
    TmlBackend *be = L->be;
    TML_ASSERT(p->max_leaves >= 2 && p->max_leaves <= L->max_leaves && n_root <= L->N);
    L->n_free = 0;
    for (int s = L->max_leaves - 1; s >= 0; s--) L->free_slots[L->n_free++] = s;
    int n_leaves = 1, n_nodes = 1, n_cats = 0;
    Leaf *root = &L->leaves[0];
    memset(root, 0, sizeof *root);
    root->n = n_root;
    root->slot = take(L);
    tml_gbdt_hist(be, slot_ptr(L, root->slot), L->d_bins, L->N, L->F, L->NB, d_gh, all_rows ? NULL : L->d_rows, n_root,
                  d_used);
    tml_gbdt_split_find(be, L->d_split, slot_ptr(L, root->slot), L->d_feats, L->F, L->NB, d_used, &p->split);
    tml_download(be, &root->split, L->d_split, sizeof root->split);
    root->g = root->split.g[2];
    root->h = root->split.h[2];
    root->cnt = root->split.n[2];
    if (!eligible(root, n_leaves, p)) root->split.feature = -1;
    if (root->split.feature < 0) release(L, &root->slot);

    while (n_leaves < p->max_leaves) {
        int pick = choose(L, n_leaves, p);
        if (pick < 0) break;
        Leaf parent = L->leaves[pick];
        const TmlGbdtSplit *s = &parent.split;
        int f = s->feature, mb = L->binner->feats[f].n_bins;
        int64_t n_left =
            tml_gbdt_partition(be, L->d_rows + parent.begin, parent.n, L->d_bins, L->F, s, mb, L->d_scratch);
        TML_ASSERT(n_left == (int64_t)s->n[0] && n_left > 0 && n_left < parent.n);
        /* the parent's node becomes a split */
        TmlGbdtNode *nd = &L->nodes[parent.node];
        memset(nd, 0, sizeof *nd);
        nd->feature = f;
        nd->missing_bin = mb;
        nd->default_left = s->default_left;
        nd->left = n_nodes;
        nd->right = n_nodes + 1;
        nd->gain = (float)s->gain;
        nd->cover = (float)parent.h;
        nd->count = (float)parent.cnt;
        if (s->categorical) {
            nd->bin = -1;
            nd->cat = n_cats;
            memcpy(L->cats + (size_t)n_cats * TML_GBDT_CAT_WORDS, s->cat_left, sizeof s->cat_left);
            n_cats++;
        } else {
            nd->bin = s->bin;
            nd->cat = -1;
            nd->threshold = tml_gbdt_binner_threshold(L->binner, f, s->bin);
        }
        Leaf kid[2];
        memset(kid, 0, sizeof kid);
        for (int c = 0; c < 2; c++) {
            kid[c].begin = c ? parent.begin + n_left : parent.begin;
            kid[c].n = c ? parent.n - n_left : n_left;
            kid[c].depth = parent.depth + 1;
            kid[c].node = n_nodes + c;
            kid[c].g = s->g[c];
            kid[c].h = s->h[c];
            kid[c].cnt = s->n[c];
            kid[c].slot = -1;
            kid[c].split.feature = -1;
        }
        n_nodes += 2;
        n_leaves++;
        int el[2] = {eligible(&kid[0], n_leaves, p), eligible(&kid[1], n_leaves, p)};
        int small = kid[0].n <= kid[1].n ? 0 : 1, large = 1 - small;
        int parent_slot = parent.slot;
        if (el[0] || el[1]) {
            kid[small].slot = take(L);
            tml_gbdt_hist(be, slot_ptr(L, kid[small].slot), L->d_bins, L->N, L->F, L->NB, d_gh,
                          L->d_rows + kid[small].begin, kid[small].n, d_used);
            if (el[large]) {
                kid[large].slot = parent_slot;
                parent_slot = -1;
                tml_gbdt_hist_subtract(be, slot_ptr(L, kid[large].slot), slot_ptr(L, kid[large].slot),
                                       slot_ptr(L, kid[small].slot), L->slot_len);
            }
            for (int c = 0; c < 2; c++)
                if (el[c])
                    tml_gbdt_split_find(be, L->d_split + c, slot_ptr(L, kid[c].slot), L->d_feats, L->F, L->NB, d_used,
                                        &p->split);
            TmlGbdtSplit got[2];
            tml_download(be, got, L->d_split, sizeof got);
            for (int c = 0; c < 2; c++) {
                if (el[c]) kid[c].split = got[c];
                if (kid[c].split.feature < 0) release(L, &kid[c].slot);
            }
        }
        release(L, &parent_slot);
        L->leaves[pick] = kid[0];
        L->leaves[n_leaves - 1] = kid[1];
    }
    L->n_ranges = 0;
    for (int i = 0; i < n_leaves; i++) {
        const Leaf *f = &L->leaves[i];
        release(L, &L->leaves[i].slot);
        make_leaf_node(&L->nodes[f->node], f, p);
        for (int64_t a = 0; a < f->n; a += RANGE_PIECE) {
            TML_ASSERT(L->n_ranges < L->cap_ranges);
            TmlGbdtLeafRange *g = &L->h_ranges[L->n_ranges++];
            g->begin = f->begin + a;
            g->n = f->n - a < RANGE_PIECE ? f->n - a : RANGE_PIECE;
            g->value = L->nodes[f->node].value;
            g->pad = 0;
        }
    }
    *nodes_out = L->nodes;
    *n_nodes_out = n_nodes;
    *cats_out = L->cats;
    *n_cats_out = n_cats;
    (void)err;
    return 0;
}
