#!/usr/bin/env python3
"""check_lime.py — cross-checks ticketml's LIME core (eval/lime*.c) against the reference `lime`
package on models whose true explanation is known: a text model linear in word presence, and a
tabular model linear in one standardized numeric column.

It compiles a tiny driver against eval/*.c (no other part of ticketml is needed), runs both
explainers on the same instance and model, and checks that the top features agree in order and
sign and that the weights agree within a loose tolerance (the two use different random streams,
and for tabular ticketml samples values uniformly inside a quartile bin where lime draws from a
truncated normal). If `lime` cannot be imported it tries `pip install lime`; failing that it
compares against a numpy re-implementation of lime's algorithm (lime_text + lime_base) instead.

Usage: python3 scripts/check_lime.py [--samples 5000] [--seeds 3] [--reference auto|lime|numpy]   (run from the repository root)
Exit 0 when everything agrees, 1 otherwise.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "eval/lime.h"

typedef struct { double *wt; double bias; int dim; } Lin;

static int text_score(void *ctx, const uint8_t *masks, int S, int m, float *probs, TmlError *err) {
    Lin *L = ctx;
    for (int i = 0; i < S; i++) {
        double z = L->bias;
        for (int j = 0; j < m; j++) z += masks[(size_t)i * m + j] ? L->wt[j] : 0.0;
        double p = 1.0 / (1.0 + exp(-z));
        probs[2 * i] = (float)(1.0 - p); probs[2 * i + 1] = (float)p;
    }
    return 0;
}

static int tab_score(void *ctx, const float *rows, int S, int dim, float *probs, TmlError *err) {
    Lin *L = ctx;
    for (int i = 0; i < S; i++) {
        double z = L->bias;
        for (int j = 0; j < dim; j++) z += L->wt[j] * rows[(size_t)i * dim + j];
        double p = 1.0 / (1.0 + exp(-z));
        probs[2 * i] = (float)(1.0 - p); probs[2 * i + 1] = (float)p;
    }
    return 0;
}

static void print_exp(const TmlLimeExplanation *e) {
    printf("{\"intercept\": %.17g, \"score\": %.17g, \"local_pred\": %.17g, \"prob\": %.17g, \"features\": [",
           e->intercept, e->score, e->local_pred, e->model_prob);
    for (int a = 0; a < e->n_features; a++)
        printf("%s[\"%s\", %.17g]", a ? ", " : "", e->features[a].name, e->features[a].weight);
    printf("]}\n");
}

/* stdin, text:    "text" S K seed bias m, then m lines "word weight", then n_tokens and tokens
 * stdin, tabular: "tab" S K seed bias ncols dim, then per column "num name mean std q1 q2 q3 min max"
 *                 or "cat name n freq... cats...", then dim model weights, dim row values */
int main(void) {
    char kind[16]; int S, K; unsigned long long seed; double bias;
    if (scanf("%15s %d %d %llu %lf", kind, &S, &K, &seed, &bias) != 5) return 2;
    TmlLimeConfig cfg; tml_lime_config_default(&cfg);
    cfg.num_samples = S; cfg.num_features = K; cfg.seed = seed;
    TmlError err; Lin L = {0}; L.bias = bias;
    TmlLimeExplanation *e = NULL;
    if (strcmp(kind, "text") == 0) {
        int n; if (scanf("%d", &n) != 1) return 2;
        char **toks = calloc(n + 1, sizeof(char *)); double *tw = calloc(n + 1, sizeof(double));
        for (int i = 0; i < n; i++) { toks[i] = malloc(256); if (scanf("%255s %lf", toks[i], &tw[i]) != 2) return 2; }
        TmlLimeText t; if (tml_lime_text_init(&t, toks, n, &err)) return 3;
        L.wt = calloc(t.n_words + 1, sizeof(double));
        for (int i = 0; i < n; i++) L.wt[t.token_word[i]] = tw[i];
        e = tml_lime_text_explain(&t, &cfg, 2, 1, text_score, &L, &err);
    } else {
        int nc, dim; if (scanf("%d %d", &nc, &dim) != 2) return 2;
        TmlTabColumn *cols = calloc(nc, sizeof *cols); int off = 0;
        for (int c = 0; c < nc; c++) {
            char ty[8]; cols[c].name = malloc(128);
            if (scanf("%7s %127s", ty, cols[c].name) != 2) return 2;
            cols[c].offset = off;
            if (ty[0] == 'n') {
                cols[c].type = TML_COL_NUMERIC;
                if (scanf("%lf %lf %lf %lf %lf %lf %lf", &cols[c].mean, &cols[c].std, &cols[c].quartiles[0],
                          &cols[c].quartiles[1], &cols[c].quartiles[2], &cols[c].min, &cols[c].max) != 7) return 2;
                off += 1;
            } else {
                cols[c].type = TML_COL_CATEGORICAL;
                if (scanf("%d", &cols[c].n_cats) != 1) return 2;
                cols[c].cat_freq = calloc(cols[c].n_cats, sizeof(double));
                cols[c].cats = calloc(cols[c].n_cats, sizeof(char *));
                for (int k = 0; k < cols[c].n_cats; k++) if (scanf("%lf", &cols[c].cat_freq[k]) != 1) return 2;
                for (int k = 0; k < cols[c].n_cats; k++) { cols[c].cats[k] = malloc(128); if (scanf("%127s", cols[c].cats[k]) != 1) return 2; }
                off += cols[c].n_cats;
            }
        }
        if (off != dim) return 4;
        TmlTabular tb = {.n_cols = nc, .cols = cols, .dim = dim};
        L.wt = calloc(dim, sizeof(double)); L.dim = dim;
        float *row = calloc(dim, sizeof(float));
        for (int j = 0; j < dim; j++) if (scanf("%lf", &L.wt[j]) != 1) return 2;
        for (int j = 0; j < dim; j++) if (scanf("%f", &row[j]) != 1) return 2;
        e = tml_lime_tab_explain(&tb, row, NULL, &cfg, 2, 1, tab_score, &L, &err);
    }
    if (!e) { fprintf(stderr, "driver: %s\n", err.msg); return 1; }
    print_exp(e);
    tml_lime_explanation_free(e);
    return 0;
}
"""


def build_driver(tmp):
    src = os.path.join(tmp, "driver.c")
    exe = os.path.join(tmp, "driver")
    with open(src, "w") as f:
        f.write(DRIVER)
    files = ["eval/lime.c", "eval/lime_text.c", "eval/lime_tabular.c", "eval/ridge.c"]
    cmd = ["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-I.", "-Iinclude", src] + files + ["-o", exe, "-lm"]
    subprocess.run(cmd, check=True)
    return exe


def run_driver(exe, text):
    out = subprocess.run([exe], input=text, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ---- the text toy model -------------------------------------------------------------------------
TOKENS = "my card was declined at the shop and card payment failed again the refund".split()
WORD_WT = {"my": 0.05, "card": 0.4, "was": -0.02, "declined": 2.0, "at": 0.0, "the": 0.1, "shop": -0.8,
           "and": 0.0, "payment": 1.2, "failed": -1.5, "again": 0.3, "refund": -0.15}
BIAS = -1.0


def text_probs(strings):
    out = np.zeros((len(strings), 2))
    for i, s in enumerate(strings):
        present = set(s.split())
        z = BIAS + sum(WORD_WT[w] for w in present)
        out[i, 1] = sigmoid(z)
        out[i, 0] = 1 - out[i, 1]
    return out


def ours_text(exe, samples, K, seed):
    lines = ["text %d %d %d %r" % (samples, K, seed, BIAS), str(len(TOKENS))]
    lines += ["%s %r" % (t, WORD_WT[t]) for t in TOKENS]
    return run_driver(exe, "\n".join(lines) + "\n")


def lime_text(samples, K, seed):
    from lime.lime_text import LimeTextExplainer
    ex = LimeTextExplainer(split_expression=lambda s: s.split(), bow=True, random_state=seed)
    e = ex.explain_instance(" ".join(TOKENS), text_probs, labels=(1,), num_features=K, num_samples=samples)
    return {"features": [[w, float(v)] for w, v in e.as_list(label=1)], "intercept": float(e.intercept[1]),
            "score": float(e.score[1]) if hasattr(e.score, "__getitem__") else float(e.score)}


def numpy_text(samples, K, seed):
    """lime_text.__data_labels_distances + lime_base.explain_instance_with_data, in numpy."""
    from sklearn.linear_model import Ridge
    rs = np.random.RandomState(seed)
    words = list(dict.fromkeys(TOKENS))
    m = len(words)
    data = np.ones((samples, m))
    for i, size in enumerate(rs.randint(1, m + 1, samples - 1), start=1):
        data[i, rs.choice(range(m), size, replace=False)] = 0
    strings = [" ".join(t for t in TOKENS if data[i, words.index(t)]) for i in range(samples)]
    y = text_probs(strings)[:, 1]
    k = data.sum(1)
    d = np.where(k > 0, 1 - k / np.sqrt(k * m + 1e-300), 1.0) * 100
    w = np.sqrt(np.exp(-d ** 2 / 25 ** 2))
    if K <= 6:
        used = []
        for _ in range(min(K, m)):
            best, mx = 0, -1e8
            for f in range(m):
                if f in used:
                    continue
                r = Ridge(alpha=0).fit(data[:, used + [f]], y, sample_weight=w)
                sc = r.score(data[:, used + [f]], y, sample_weight=w)
                if sc > mx:
                    best, mx = f, sc
            used.append(best)
    else:
        coef = Ridge(alpha=0.01).fit(data, y, sample_weight=w).coef_ * data[0]
        used = [f for f, _ in sorted(enumerate(coef), key=lambda x: abs(x[1]), reverse=True)][:K]
    r = Ridge(alpha=1).fit(data[:, used], y, sample_weight=w)
    feats = sorted(zip([words[f] for f in used], r.coef_), key=lambda x: abs(x[1]), reverse=True)
    return {"features": [[a, float(b)] for a, b in feats], "intercept": float(r.intercept_),
            "score": float(r.score(data[:, used], y, sample_weight=w))}


# ---- the tabular toy model ----------------------------------------------------------------------
def tab_setup(rs):
    """Training data (tenure, charges numeric; Contract categorical), the stats ticketml's
    TmlTabular records, and a model linear in standardized tenure."""
    n = 4000
    tenure = np.round(rs.uniform(0, 72, n))
    charges = np.round(rs.uniform(18, 119, n), 2)
    contract = rs.choice(3, n, p=[0.55, 0.2, 0.25])
    train = np.column_stack([tenure, charges, contract]).astype(float)
    stats = []
    for c in range(2):
        col = train[:, c]
        stats.append((col.mean(), col.std(), *np.percentile(col, [25, 50, 75]), col.min(), col.max()))
    freq = np.bincount(contract, minlength=3) / n
    return train, stats, freq


def ours_tab(exe, samples, K, seed, stats, freq, inst):
    cats = ["Month-to-month", "One_year", "Two_year"]
    lines = ["tab %d %d %d %r 3 5" % (samples, K, seed, -0.5)]
    for name, s in zip(["tenure", "charges"], stats):
        lines.append("num %s %s" % (name, " ".join(repr(float(v)) for v in s)))
    lines.append("cat Contract 3 %s %s" % (" ".join(repr(float(v)) for v in freq), " ".join(cats)))
    wt = [-2.0, 0.0, 0.0, 0.0, 0.0]
    row = [(inst[0] - stats[0][0]) / stats[0][1], (inst[1] - stats[1][0]) / stats[1][1], 0, 0, 0]
    row[2 + int(inst[2])] = 1
    lines.append(" ".join(repr(v) for v in wt))
    lines.append(" ".join(repr(float(v)) for v in row))
    return run_driver(exe, "\n".join(lines) + "\n")


def lime_tab(samples, K, seed, train, stats, inst):
    from lime.lime_tabular import LimeTabularExplainer
    cats = ["Month-to-month", "One_year", "Two_year"]
    ex = LimeTabularExplainer(train, feature_names=["tenure", "charges", "Contract"], categorical_features=[2],
                              categorical_names={2: cats}, discretize_continuous=True, discretizer="quartile",
                              random_state=seed)

    def predict(x):
        z = -0.5 - 2.0 * (x[:, 0] - stats[0][0]) / stats[0][1]
        p = sigmoid(z)
        return np.column_stack([1 - p, p])

    e = ex.explain_instance(np.array(inst, float), predict, labels=(1,), num_features=K, num_samples=samples)
    return {"features": [[w, float(v)] for w, v in e.as_list(label=1)]}


# ---- comparison -----------------------------------------------------------------------------------
def compare(name, ours, ref, top, atol, rtol):
    ok = True
    fo, fr = ours["features"], ref["features"]
    no = [w for w, _ in fo[:top]]
    nr = [w for w, _ in fr[:top]]
    if no != nr:
        print("  %s: top-%d differ: ours %s, reference %s" % (name, top, no, nr))
        ok = False
    refd = dict((w, v) for w, v in fr)
    worst = 0.0
    for w, v in fo:
        if w not in refd:
            continue
        err = abs(v - refd[w])
        worst = max(worst, err)
        if err > atol + rtol * abs(refd[w]):
            print("  %s: weight of %r: ours %.4f, reference %.4f" % (name, w, v, refd[w]))
            ok = False
    print("  %s: %s; top %s; max |weight diff| %.4f" % (name, "agree" if ok else "DISAGREE", no, worst))
    return ok


def have_lime():
    try:
        import lime.lime_text  # noqa: F401
        return True
    except ImportError:
        pass
    print("check_lime: the lime package is not importable; trying pip install lime")
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "lime"], capture_output=True, text=True)
    if r.returncode != 0:
        why = (r.stderr.strip().splitlines() or ["no message"])[-1]
        print("check_lime: pip install lime failed (%s); comparing with a numpy re-implementation" % why)
        return False
    try:
        import lime.lime_text  # noqa: F401,F811
        return True
    except ImportError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=5000)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--reference", choices=["auto", "lime", "numpy"], default="auto",
                    help="auto: lime if importable or pip-installable, else the numpy re-implementation")
    args = ap.parse_args()
    use_lime = args.reference != "numpy" and have_lime()
    if args.reference == "lime" and not use_lime:
        print("check_lime: --reference lime asked but lime is not available")
        return 1
    ref_name = "lime" if use_lime else "numpy-lime"
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        exe = build_driver(tmp)
        for seed in range(args.seeds):
            for K in (10, 5):
                ours = ours_text(exe, args.samples, K, seed)
                ref = lime_text(args.samples, K, seed) if use_lime else numpy_text(args.samples, K, seed)
                ok &= compare("text seed %d K %d vs %s" % (seed, K, ref_name), ours, ref, top=5, atol=0.02, rtol=0.1)
                if abs(ours["score"] - ref["score"]) > 0.05:
                    print("  R^2 ours %.4f vs %.4f" % (ours["score"], ref["score"]))
                    ok = False
        if use_lime:
            train, stats, freq = tab_setup(np.random.RandomState(0))
            for inst in ([5.0, 80.0, 2], [60.0, 30.0, 0]):
                for seed in range(args.seeds):
                    ours = ours_tab(exe, args.samples, 3, seed, stats, freq, inst)
                    ref = lime_tab(args.samples, 3, seed, train, stats, inst)
                    # lime names categories "Contract=Two_year" just as we do; rules use %.2f edges.
                    ok &= compare("tabular %s seed %d vs lime" % (inst, seed), ours, ref, top=1, atol=0.03, rtol=0.25)
        else:
            print("check_lime: tabular comparison needs the lime package; skipped")
    print("check_lime: %s" % ("all comparisons agree" if ok else "DISAGREEMENT (see above)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
