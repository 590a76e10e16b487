#!/usr/bin/env python3
"""check_metrics_sklearn.py — cross-checks eval/metrics.c against scikit-learn on random
predictions (multiclass and binary, with many tied scores and some labels unknown to the model).

For each case it writes IN.csv (label,p0,...,p{C-1}; label -1 = unknown to the model), runs
`TEST_METRICS --metrics-json IN.csv OUTDIR [--positive P] [--top-k K]` (tests/test_metrics.c's dump
mode, which writes OUTDIR/report.json through the report writer) and compares report.json with
scikit-learn to 1e-6: accuracy, per-class and macro/weighted/micro precision/recall/F1, confusion
matrix, log loss, top-k accuracy, and for binary cases Brier, ROC-AUC and average precision.
Exit 0 when everything matches, 1 on any mismatch (each printed), 2 on bad usage.

    python3 scripts/check_metrics_sklearn.py --bin build/tests/test_metrics [--seed 7]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from sklearn import metrics as skm

TOL = 1e-6


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def sk_log_loss(y, probs, C):
    """sklearn's log_loss with the 1e-15 clip metrics.c uses. sklearn <= 1.2 clipped at 1e-15 (its
    eps argument); newer releases clip at float64 eps and dropped the argument, so clip here first:
    the same numbers on every sklearn version."""
    clipped = np.clip(probs, 1e-15, 1 - 1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # float32 rows sum to 1 only to ~1e-7
        return skm.log_loss(y, clipped, labels=np.arange(C))


def run_c(binary, probs32, labels, positive, top_k):
    with tempfile.TemporaryDirectory(prefix="tml-skcheck-") as tmp:
        csv = os.path.join(tmp, "in.csv")
        with open(csv, "w") as f:
            for y, row in zip(labels, probs32):
                f.write("%d,%s\n" % (y, ",".join("%.9g" % v for v in row)))
        out = os.path.join(tmp, "out")
        cmd = [binary, "--metrics-json", csv, out, "--top-k", str(top_k)]
        if positive >= 0:
            cmd += ["--positive", str(positive)]
        subprocess.run(cmd, check=True)
        with open(os.path.join(out, "report.json")) as f:
            return json.load(f)


class Checker:
    def __init__(self, name):
        self.name, self.n, self.worst, self.bad = name, 0, 0.0, []

    def near(self, what, got, want):
        self.n += 1
        d = abs(float(got) - float(want)) if got is not None else float("inf")
        self.worst = max(self.worst, d)
        if not d <= TOL:
            self.bad.append("%s: ticketml %r, sklearn %r" % (what, got, want))

    def equal(self, what, got, want):
        self.n += 1
        if got != want:
            self.bad.append("%s: ticketml %r, sklearn %r" % (what, got, want))

    def done(self):
        status = "ok" if not self.bad else "MISMATCH"
        print("%s: %s (%d values, max |diff| %.2g)" % (self.name, status, self.n, self.worst))
        for b in self.bad:
            print("    " + b)
        return not self.bad


def check_case(binary, rng, name, N, C, positive, top_k):
    if positive >= 0:
        # Scores on a 1/20 grid: heavy ties, and exact 0 and 1 (log loss clipping).
        p = (rng.randint(0, 21, size=N) / 20.0).astype(np.float32)
        probs32 = np.empty((N, 2), dtype=np.float32)
        probs32[:, positive] = p
        probs32[:, 1 - positive] = (np.float32(1) - p).astype(np.float32)
        # Make the label depend on the score so the AUC is far from 0.5.
        y = np.where(rng.rand(N) < 0.15 + 0.7 * p, positive, 1 - positive)
    else:
        # Logits on a 0.5 grid: ties inside rows (argmax, top-k) and across rows (confidence).
        logits = rng.randint(-3, 4, size=(N, C)) * 0.5
        probs32 = softmax(logits).astype(np.float32)
        y = np.where(rng.rand(N) < 0.6, probs32.argmax(axis=1), rng.randint(0, C, size=N))
    y[rng.rand(N) < 0.03] = -1  # labels the model does not know: excluded, counted
    rep = run_c(binary, probs32, y, positive, top_k)
    m = rep["metrics"]
    ck = Checker(name)

    keep = y >= 0
    yk, pk = y[keep], probs32[keep].astype(np.float64)
    if positive >= 0:
        ypred = np.where(probs32[keep][:, positive] >= np.float32(0.5), positive, 1 - positive)
    else:
        ypred = pk.argmax(axis=1)  # ties -> lowest index, as in metrics.c
    labels = np.arange(C)
    ck.equal("data.unknown_labels", rep["data"]["unknown_labels"], int((~keep).sum()))
    ck.near("accuracy", m["accuracy"], skm.accuracy_score(yk, ypred))
    P, R, F, S = skm.precision_recall_fscore_support(yk, ypred, labels=labels, zero_division=0)
    for c in range(C):
        pc = rep["per_class"]["c%d" % c]
        ck.near("per_class.c%d.precision" % c, pc["precision"], P[c])
        ck.near("per_class.c%d.recall" % c, pc["recall"], R[c])
        ck.near("per_class.c%d.f1" % c, pc["f1"], F[c])
        ck.equal("per_class.c%d.support" % c, pc["support"], int(S[c]))
    for avg in ("macro", "weighted", "micro"):
        # scikit-learn's default labels: the classes present in y_true or y_pred
        p, r, f, _ = skm.precision_recall_fscore_support(yk, ypred, average=avg, zero_division=0)
        ck.near(avg + "_precision", m[avg + "_precision"], p)
        ck.near(avg + "_recall", m[avg + "_recall"], r)
        ck.near(avg + "_f1", m[avg + "_f1"], f)
    # every class of the model, absent ones as 0: the figure kept under its own name
    p, r, f, _ = skm.precision_recall_fscore_support(yk, ypred, labels=labels, average="macro", zero_division=0)
    ck.near("macro_precision_all_labels", m["macro_precision_all_labels"], p)
    ck.near("macro_recall_all_labels", m["macro_recall_all_labels"], r)
    ck.near("macro_f1_all_labels", m["macro_f1_all_labels"], f)
    ck.equal("confusion.matrix", rep["confusion"]["matrix"], skm.confusion_matrix(yk, ypred, labels=labels).tolist())
    ck.near("log_loss", m["log_loss"], sk_log_loss(yk, pk, C))
    if positive >= 0:
        yb = (yk == positive).astype(int)
        s = pk[:, positive]
        ck.near("brier", m["brier"], skm.brier_score_loss(yb, s))
        ck.near("roc_auc", m["roc_auc"], skm.roc_auc_score(yb, s))
        ck.near("pr_auc", m["pr_auc"], skm.average_precision_score(yb, s))
        tn, fp, fn, tp = skm.confusion_matrix(yb, (s >= 0.5).astype(int), labels=[0, 1]).ravel()
        b = rep["binary"]
        ck.equal("binary.tp/fp/tn/fn", (b["tp"], b["fp"], b["tn"], b["fn"]), (int(tp), int(fp), int(tn), int(fn)))
    else:
        ck.near("top_k_accuracy", m["top_k_accuracy"], skm.top_k_accuracy_score(yk, pk, k=top_k, labels=labels))
        # No sklearn function for the multiclass Brier score: the definition, in numpy.
        ck.near("brier", m["brier"], np.mean(np.sum((pk - np.eye(C)[yk]) ** 2, axis=1)))
    return ck.done()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="tests/test_metrics program (has --metrics-json)")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    if not os.access(a.bin, os.X_OK):
        print("check_metrics_sklearn: %s is not an executable" % a.bin, file=sys.stderr)
        return 2
    rng = np.random.RandomState(a.seed)
    cases = [
        ("multiclass C=3 N=60 top-1", 60, 3, -1, 1),
        ("multiclass C=7 N=500 top-3", 500, 7, -1, 3),
        ("multiclass C=12 N=2000 top-5", 2000, 12, -1, 5),
        ("binary positive=1 N=300", 300, 2, 1, 1),
        ("binary positive=0 N=2500", 2500, 2, 0, 1),
    ]
    ok = True
    for name, N, C, pos, k in cases:
        ok &= check_case(a.bin, rng, name, N, C, pos, k)
    print("sklearn cross-check: %s" % ("all match to 1e-6" if ok else "MISMATCHES above"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
