#!/usr/bin/env python3
"""bench_gbdt.py — ticketml's gradient-boosted trees against scikit-learn's
HistGradientBoostingClassifier on the same generated customers, side by side.

`ticketml synth` writes N customers; the last fifth (by row) is the test file, the rest the
training file. Both tools train with the same settings (255 bins, 31 leaves, 100 rounds, learning
rate 0.1, 20 rows per leaf, no L2, early stopping off, the four categorical columns split natively)
on the same rows, alternating ticketml / scikit-learn, REPS times. Reported per tool: the median
wall time of the boosting itself (ticketml's "boosted ... in Xs" line; sklearn's fit()), of the whole
job (ticketml: the `ticketml train` command, CSV parsing and model file included; sklearn: CSV
loading, encoding and fit), and the test ROC-AUC. --busy also times ticketml on 2 threads and on 1
while another process keeps one core busy.

usage: scripts/bench_gbdt.py [--rows 1000000] [--reps 3] [--device cpu|cuda] [--busy] [--keep DIR]
Run it under the heavy lock: flock /tmp/tml-heavy.lock python3 scripts/bench_gbdt.py
Exit status: 0, 1 on a failed run, 77 when scikit-learn or numpy is missing.
"""
import argparse
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    import sklearn
except ImportError as e:
    print(f"SKIP: {e} (pip install numpy scikit-learn)")
    sys.exit(77)

CATEGORICAL = ["plan", "contract", "payment_method", "region"]
NUMERIC = ["tenure_months", "monthly_charges", "total_charges", "senior"]

CONFIG = """[data]
kind = tabular
train = {train}
test = {test}
label = churn
id = customer_id
positive = Yes
valid_frac = 0
[tabular]
ignore = customer_id
categorical = {cats}
numeric = {nums}
[model]
type = gbdt
max_bins = 255
max_leaves = 31
min_data_in_leaf = 20
lambda_l2 = 0
[train]
rounds = 100
lr = 0.1
patience = 0
seed = 1
"""


def split_corpus(customers, train_path, test_path):
    """Last fifth of the rows -> test, the rest -> train (same files for both tools)."""
    with open(customers, newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    cut = len(body) - len(body) // 5
    for path, part in ((train_path, body[:cut]), (test_path, body[cut:])):
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            w.writerows(part)
    return cut, len(body) - cut


def load(path):
    """Features (categoricals as integer codes, blanks as NaN) and labels, as sklearn gets them."""
    with open(path, newline="") as fh:
        r = csv.reader(fh)
        header = next(r)
        col = {c: i for i, c in enumerate(header)}
        rows = list(r)
    X = np.empty((len(rows), len(CATEGORICAL) + len(NUMERIC)))
    for j, c in enumerate(CATEGORICAL):
        cats = sorted({row[col[c]] for row in rows})
        code = {v: k for k, v in enumerate(cats)}
        X[:, j] = [code[row[col[c]]] for row in rows]
    for j, c in enumerate(NUMERIC):
        X[:, len(CATEGORICAL) + j] = [float(row[col[c]]) if row[col[c]].strip() else np.nan for row in rows]
    y = np.array([row[col["churn"]] == "Yes" for row in rows], dtype=np.int8)
    return X, y


def run_ticketml(exe, ini, device, env=None):
    t0 = time.perf_counter()
    p = subprocess.run([exe, "train", ini, "--out", ini + ".h5", "--device", device], capture_output=True, text=True,
                       env=env)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        print(p.stdout, p.stderr)
        raise SystemExit(f"ticketml train failed ({p.returncode})")
    boost = float(re.search(r"boosted \d+ rounds in ([0-9.]+)s", p.stderr).group(1))
    auc = float(re.search(r"test: .*ROC-AUC ([0-9.]+)", p.stdout).group(1))
    return wall, boost, auc


def run_sklearn(train_path, test_path):
    t0 = time.perf_counter()
    X, y = load(train_path)
    Xt, yt = load(test_path)
    t1 = time.perf_counter()
    m = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_leaf_nodes=31, max_bins=255,
                                       min_samples_leaf=20, l2_regularization=0.0, early_stopping=False,
                                       categorical_features=list(range(len(CATEGORICAL))), random_state=1)
    m.fit(X, y)
    t2 = time.perf_counter()
    auc = roc_auc_score(yt, m.predict_proba(Xt)[:, 1])
    return t2 - t0, t2 - t1, auc


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ticketml", default="./ticketml")
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--busy", action="store_true", help="also time ticketml with another process busy on one core")
    ap.add_argument("--keep", help="keep the corpus and configs in this folder")
    a = ap.parse_args()
    exe = os.path.abspath(a.ticketml)
    tmp = a.keep or tempfile.mkdtemp(prefix="tml-bench-gbdt-")
    os.makedirs(tmp, exist_ok=True)
    corpus = os.path.join(tmp, "corpus")
    if not os.path.exists(os.path.join(corpus, "customers.csv")):
        subprocess.run([exe, "synth", "--tickets", "10000", "--customers", str(a.rows), "--seed", "1", "--out", corpus,
                        "--quiet"], check=True)
    train_path, test_path = os.path.join(tmp, "train.csv"), os.path.join(tmp, "test.csv")
    n_train, n_test = split_corpus(os.path.join(corpus, "customers.csv"), train_path, test_path)
    ini = os.path.join(tmp, "bench.ini")
    with open(ini, "w") as fh:
        fh.write(CONFIG.format(train=train_path, test=test_path, cats=", ".join(CATEGORICAL), nums=", ".join(NUMERIC)))
    print(f"{n_train} train / {n_test} test customers, 8 features (4 categorical); ticketml {a.device}, "
          f"scikit-learn {sklearn.__version__}, {os.cpu_count()} cores; {a.reps} alternating repetitions")
    T, S = [], []
    for rep in range(a.reps):
        order = ("t", "s") if rep % 2 == 0 else ("s", "t")
        for who in order:
            if who == "t":
                T.append(run_ticketml(exe, ini, a.device))
                print(f"  rep {rep + 1} ticketml      job {T[-1][0]:7.2f}s  boosting {T[-1][1]:7.2f}s  "
                      f"test ROC-AUC {T[-1][2]:.4f}", flush=True)
            else:
                S.append(run_sklearn(train_path, test_path))
                print(f"  rep {rep + 1} scikit-learn  job {S[-1][0]:7.2f}s  fit      {S[-1][1]:7.2f}s  "
                      f"test ROC-AUC {S[-1][2]:.4f}", flush=True)
    med = lambda runs, k: statistics.median(r[k] for r in runs)
    print(f"median ticketml:     job {med(T, 0):.2f}s, boosting {med(T, 1):.2f}s, test ROC-AUC {med(T, 2):.4f}")
    print(f"median scikit-learn: job {med(S, 0):.2f}s, fit {med(S, 1):.2f}s, test ROC-AUC {med(S, 2):.4f}")
    print(f"ratio ticketml / scikit-learn: boosting / fit {med(T, 1) / med(S, 1):.3f}, "
          f"whole job {med(T, 0) / med(S, 0):.3f}, ticketml whole job / sklearn fit {med(T, 0) / med(S, 1):.3f}")
    if a.busy:
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            for threads in ("2", "1"):
                env = dict(os.environ, OMP_NUM_THREADS=threads)
                runs = [run_ticketml(exe, ini, a.device, env) for _ in range(a.reps)]
                print(f"with one core busy: ticketml on {threads} thread(s): boosting median "
                      f"{statistics.median(r[1] for r in runs):.2f}s (job {statistics.median(r[0] for r in runs):.2f}s)")
        finally:
            busy.kill()
            busy.wait()
    if not a.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
