"""tokcheck.py — shared driver of scripts/check_wordpiece.py and scripts/check_unigram.py: tokenizes
every row of the named datasets (train and test) with ticketml's C tokenizer (the test helper
build*/tools/tool_tokenize) and with the Python `tokenizers` package on the same tokenizer.json, and
compares the ids row by row: unpadded and untruncated, then truncated to --max-len (default 128).
--sweep also compares every Unicode code point, alone and between two letters.
Exit 0 when all rows agree (or when something needed is absent: then it prints why it skipped),
1 on any mismatch."""
import argparse
import csv
import glob
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def skip(why):
    print("skipped: %s" % why)
    sys.exit(0)


def find_tool(arg):
    if arg:
        return arg
    d = os.environ.get("TML_TOOLS")
    if d:
        return os.path.join(d, "tool_tokenize")
    hits = sorted(glob.glob(os.path.join(ROOT, "build*", "tools", "tool_tokenize")), key=os.path.getmtime)
    return hits[-1] if hits else None


def run_tool(tool, model, texts, max_len=0):
    """ids per text from the C tokenizer (one process for all texts)."""
    data = b"".join(t.encode("utf-8") + b"\0" for t in texts)
    cmd = [tool, model] + (["--max-len", str(max_len)] if max_len else [])
    r = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit("tool_tokenize failed: %s" % r.stderr.decode(errors="replace").strip())
    lines = r.stdout.decode().split("\n")[:-1]
    if len(lines) != len(texts):
        sys.exit("tool_tokenize printed %d lines for %d texts" % (len(lines), len(texts)))
    return [[int(x) for x in line.split()] for line in lines]


def compare(what, texts, ours, theirs, show=5):
    bad = [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
    for i in bad[:show]:
        print("  MISMATCH %s row %d: %r\n    ticketml: %s\n    tokenizers: %s" % (what, i, texts[i][:200], ours[i], theirs[i]))
    return len(bad)


def main(kind, default_model, sets):
    ap = argparse.ArgumentParser(description="ticketml's %s tokenizer vs the tokenizers package on every row" % kind)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", default_model))
    ap.add_argument("--tool")
    ap.add_argument("--data", default=os.environ.get("TICKETML_DATA", os.path.join(ROOT, "..", "shared", "datasets")))
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--sweep", action="store_true", help="also every code point (slow: about a minute)")
    a = ap.parse_args()

    try:
        from tokenizers import Tokenizer
    except ImportError:
        skip("the Python package tokenizers is not installed (python3 -m pip install tokenizers)")
    if not os.path.exists(os.path.join(a.model, "tokenizer.json")):
        skip("%s is absent (run `make models`)" % a.model)
    tool = find_tool(a.tool)
    if not tool or not os.access(tool, os.X_OK):
        skip("the test helper tool_tokenize is not built (make)")
    if not os.path.isdir(a.data):
        skip("datasets folder %s is absent" % a.data)

    tok = Tokenizer.from_file(os.path.join(a.model, "tokenizer.json"))
    texts, where = [], []
    for name, col in sets:
        for split in ("train", "test"):
            with open(os.path.join(a.data, name, split + ".csv"), encoding="utf-8", newline="") as f:
                rows = [r[col] for r in csv.DictReader(f)]
            where.append((name + "/" + split, len(texts), len(texts) + len(rows)))
            texts += rows

    t0 = time.time()
    ours = run_tool(tool, a.model, texts)
    t_c = time.time() - t0
    tok.no_padding()
    tok.no_truncation()
    t0 = time.time()
    theirs = [e.ids for e in tok.encode_batch(texts)]
    t_py = time.time() - t0
    total_bad = 0
    for label, lo, hi in where:
        nb = compare(label, texts[lo:hi], ours[lo:hi], theirs[lo:hi])
        total_bad += nb
        ntok = sum(len(x) for x in theirs[lo:hi])
        print("%s %s: %d rows, %d tokens, %d mismatches" % (kind, label, hi - lo, ntok, nb))
    ours_t = run_tool(tool, a.model, texts, a.max_len)
    tok.enable_truncation(max_length=a.max_len)
    theirs_t = [e.ids for e in tok.encode_batch(texts)]
    nb = compare("truncated", texts, ours_t, theirs_t)
    total_bad += nb
    print("%s truncated to %d: %d rows (%d longer than that), %d mismatches" %
          (kind, a.max_len, len(texts), sum(len(x) > a.max_len for x in theirs), nb))
    print("%s: %d rows compared, %d mismatches; ticketml %.2f s (one process, model load included), "
          "tokenizers %.2f s (encode_batch)" % (kind, len(texts), total_bad, t_c, t_py))

    if a.sweep:
        tok.no_truncation()
        cps = [c for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF]
        probe = [chr(c) for c in cps] + ["a%sb" % chr(c) for c in cps]
        o = run_tool(tool, a.model, probe)
        t = [e.ids for e in tok.encode_batch(probe)]
        diff = sorted({cps[i % len(cps)] for i in range(len(probe)) if o[i] != t[i]})
        print("%s sweep: %d code points (alone and between letters), %d differ%s" %
              (kind, len(cps), len(diff), (": " + " ".join("U+%04X" % c for c in diff[:60])) if diff else ""))
        total_bad += 0  # the sweep documents, it does not fail (see docs/encoder.md)
    return 1 if total_bad else 0
