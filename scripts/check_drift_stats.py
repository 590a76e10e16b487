#!/usr/bin/env python3
"""check_drift_stats.py — cross-checks eval/drift_stats.c against scipy and Evidently's formulas on
random samples: continuous, with ties, with few distinct values, shifted and not.

For each case it writes A.txt and B.txt (one number per line, "nan" = missing), runs
`TEST_DRIFT --stats A.txt B.txt` (tests/test_drift.c's dump mode, JSON on stdout) and compares:
  ks           scipy.stats.ks_2samp statistic (exact)
  ks_p         scipy.stats.ks_2samp(method="asymp") p-value, to 0.01 (ticketml uses Stephens'
               approximation of the same limiting distribution)
  wasserstein  scipy.stats.wasserstein_distance / max(std(reference), 0.001)  (Evidently's
               wasserstein_distance_norm)
  psi, js      Evidently's get_binned_data (Sturges bins over both samples, or the distinct values
               when the reference has at most 20; zero shares filled as Evidently fills them), then
               its PSI sum and scipy.spatial.distance.jensenshannon
Exit 0 when everything matches, 1 on a mismatch (printed), 2 on bad usage.

    python3 scripts/check_drift_stats.py --bin build/tests/test_drift [--seed 7]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy import stats
from scipy.spatial import distance


def binned(ref, cur):
    """Evidently's get_binned_data for a numeric column (feel_zeroes applied separately)."""
    if len(np.unique(ref)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        return np.histogram(ref, bins)[0] / len(ref), np.histogram(cur, bins)[0] / len(cur)
    keys = sorted(set(ref) | set(cur))
    r = np.array([np.sum(ref == k) for k in keys]) / len(ref)
    c = np.array([np.sum(cur == k) for k in keys]) / len(cur)
    return r, c


def fill(p):
    p = p.copy()
    lo = p[p != 0].min()
    p[p == 0] = lo / 1e6 if lo <= 1e-4 else 1e-4
    return p


def expected(ref, cur):
    r, c = binned(ref, cur)
    fr, fc = fill(r), fill(c)
    return {
        "psi": float(np.sum((fr - fc) * np.log(fr / fc))),
        "js": float(distance.jensenshannon(r, c)),
        "ks": float(stats.ks_2samp(ref, cur).statistic),
        "ks_p": float(stats.ks_2samp(ref, cur, method="asymp").pvalue),
        "wasserstein": float(stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)),
    }


def cases(rng):
    yield "same normal", rng.normal(0, 1, 3000), rng.normal(0, 1, 2000)
    yield "shifted normal", rng.normal(0, 1, 3000), rng.normal(0.3, 1.2, 2500)
    yield "integers with ties", rng.poisson(20, 4000).astype(float), rng.poisson(22, 1500).astype(float)
    yield "few values", rng.integers(0, 6, 2000).astype(float), rng.integers(0, 8, 900).astype(float)
    yield "probabilities", rng.beta(8, 2, 5000), rng.beta(5, 2, 5000)
    yield "small", rng.normal(0, 1, 40), rng.normal(1, 1, 30)
    yield "constant reference", np.full(500, 3.0), rng.normal(3, 1, 500)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    bad = 0
    with tempfile.TemporaryDirectory() as d:
        for name, ref, cur in cases(rng):
            ref = ref.astype(np.float32).astype(float)
            cur = cur.astype(np.float32).astype(float)
            pa, pb = os.path.join(d, "a.txt"), os.path.join(d, "b.txt")
            np.savetxt(pa, ref, fmt="%.9g")
            np.savetxt(pb, cur, fmt="%.9g")
            out = subprocess.run([a.bin, "--stats", pa, pb], capture_output=True, text=True)
            if out.returncode != 0:
                print(f"{name}: {a.bin} failed: {out.stderr}")
                return 1
            got, want = json.loads(out.stdout), expected(ref, cur)
            for k, v in want.items():
                tol = 0.01 if k == "ks_p" else 1e-6 * max(1.0, abs(v))
                if not abs(got[k] - v) <= tol:
                    print(f"{name}: {k} = {got[k]!r}, expected {v!r}")
                    bad += 1
            print(f"{name}: psi {got['psi']:.5f} js {got['js']:.5f} ks {got['ks']:.5f} p {got['ks_p']:.4g} "
                  f"(scipy {want['ks_p']:.4g}) wasserstein {got['wasserstein']:.5f}")
    print("drift statistics: all match" if not bad else f"drift statistics: {bad} mismatch(es)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
