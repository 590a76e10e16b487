#!/usr/bin/env python3
"""lime_seed_overlap.py A.jsonl B.jsonl [C.jsonl ...] — stability of LIME explanations across seeds:
for the same rows explained with different --seed values (`ticketml explain ... --json`), the mean
overlap of the top-5 feature sets (|A ∩ B| / 5) and how often the top-1 feature agrees."""
import json, sys, itertools

runs = [[json.loads(l) for l in open(p)] for p in sys.argv[1:]]
pairs = list(itertools.combinations(range(len(runs)), 2))
over, top1, n = 0.0, 0, 0
for i, j in pairs:
    for a, b in zip(runs[i], runs[j]):
        ta = [f["feature"] for f in a["features"][:5]]
        tb = [f["feature"] for f in b["features"][:5]]
        k = max(1, min(5, len(ta), len(tb)))
        over += len(set(ta) & set(tb)) / k
        top1 += bool(ta and tb and ta[0] == tb[0])
        n += 1
print(f"{len(runs[0])} explanations x {len(runs)} seeds: mean top-5 overlap {over / n:.3f}, top-1 agreement {top1 / n:.3f}")
