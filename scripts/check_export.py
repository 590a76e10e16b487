#!/usr/bin/env python3
"""check_export.py — an independent reading of a ticketml export, from docs/export-format.md only.

Reads the export with h5py (model.h5) or with safetensors + json (model.safetensors + model.json),
recomputes the SHA-256 checksum over the canonical records, runs `ticketml predict --json
--dump-features` on DATA and reproduces every probability with numpy from the dumped features
(text: feature ids and weights; encoder models: token ids, through the transformer of
scripts/encoder_ref.py; tabular: dense vectors, which are themselves recomputed from the
raw CSV cells with the exported column specs and derived-column rules; tree models: every tree
walked from the exported flat arrays). Fails when anything differs by more than --tol.

usage: check_export.py --ticketml ./ticketml --export DIR --data FILE [--tol 1e-5]
Exit status: 0 ok, 1 mismatch, 2 bad usage, 77 skipped (h5py/numpy/safetensors missing).
"""
import argparse
import csv
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

SKIP = 77

try:
    import numpy as np
except ImportError:
    print("SKIP: numpy is not installed (pip install numpy)")
    sys.exit(SKIP)


# ---- reading the export ---------------------------------------------------------------------------

def read_h5(path):
    """Returns (fields, checksum): fields maps key -> python value (str, int, float, list, ndarray)."""
    try:
        import h5py
    except ImportError:
        print("SKIP: h5py is not installed (pip install h5py)")
        sys.exit(SKIP)
    fields = {}
    with h5py.File(path, "r") as f:
        checksum = f.attrs["checksum"]
        checksum = checksum.decode() if isinstance(checksum, bytes) else str(checksum)

        def attrs(obj, prefix):
            for k, v in obj.attrs.items():
                key = prefix + k
                if key == "checksum":
                    continue
                if isinstance(v, bytes):
                    v = v.decode()
                elif isinstance(v, np.integer):
                    v = int(v)
                elif isinstance(v, np.floating):
                    v = float(v)
                fields[key] = v

        def visit(group, prefix):
            attrs(group, prefix)
            for name, obj in group.items():
                key = prefix + name
                if isinstance(obj, h5py.Group):
                    visit(obj, key + "/")
                elif h5py.check_string_dtype(obj.dtype) is not None:
                    fields[key] = [s.decode() if isinstance(s, bytes) else s for s in obj.asstr()[()]] \
                        if obj.shape[0] > 0 else []
                elif key == "tokenizer/charsmap":
                    fields[key] = bytes(np.asarray(obj[()], dtype=np.uint8))
                elif key == "tokenizer/control":  # an integer list record, stored as int32
                    fields[key] = [int(x) for x in obj[()]]
                elif obj.dtype == np.float32:
                    fields[key] = np.asarray(obj[()], dtype=np.float32)
                elif obj.dtype == np.int32:
                    fields[key] = np.asarray(obj[()], dtype=np.int32)
                elif obj.dtype == np.int64:
                    fields[key] = [int(x) for x in obj[()]]
                elif obj.dtype == np.float64:
                    fields[key] = [float(x) for x in obj[()]]
                else:
                    raise SystemExit(f"{path}: {key} has unexpected dtype {obj.dtype}")

        visit(f, "")
    return fields, checksum


def read_st(json_path, st_path):
    try:
        from safetensors.numpy import load_file
    except ImportError:
        print("SKIP: the safetensors package is not installed (pip install safetensors)")
        sys.exit(SKIP)
    with open(json_path, encoding="utf-8") as fh:
        meta = json.load(fh)
    checksum = meta.pop("checksum")
    fields = {}

    def flat(obj, prefix):
        for k, v in obj.items():
            if isinstance(v, dict):
                flat(v, prefix + k + "/")
            else:
                fields[prefix + k] = v

    flat(meta, "")
    if "tokenizer/charsmap_hex" in fields:  # the record is the bytes themselves
        fields["tokenizer/charsmap"] = bytes.fromhex(fields.pop("tokenizer/charsmap_hex"))
    for name, arr in load_file(st_path).items():
        fields[name] = np.asarray(arr, dtype=np.int32 if arr.dtype == np.int32 else np.float32)
    return fields, checksum


def read_export(path):
    if os.path.isdir(path):
        h5 = os.path.join(path, "model.h5")
        if os.path.exists(h5):
            return read_h5(h5), "hdf5"
        return read_st(os.path.join(path, "model.json"), os.path.join(path, "model.safetensors")), "safetensors"
    if path.endswith(".json"):
        return read_st(path, os.path.join(os.path.dirname(path), "model.safetensors")), "safetensors"
    return read_h5(path), "hdf5"


# ---- checksum (docs/export-format.md, "Checksum") --------------------------------------------------

def encode(v):
    if isinstance(v, bool):
        raise SystemExit("booleans are not part of format version 1")
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, bytes):
        return v
    if isinstance(v, int):
        return struct.pack("<q", v)
    if isinstance(v, float):
        return struct.pack("<d", v)
    if isinstance(v, np.ndarray):
        a = np.ascontiguousarray(v, dtype="<i4" if v.dtype == np.int32 else "<f4")
        return struct.pack("<Q", a.ndim) + b"".join(struct.pack("<Q", d) for d in a.shape) + a.tobytes()
    if isinstance(v, list):
        out = []
        for x in v:
            if isinstance(x, str):
                b = x.encode("utf-8")
                out.append(struct.pack("<Q", len(b)) + b)
            elif isinstance(x, int) and not isinstance(x, bool):
                out.append(struct.pack("<q", x))
            elif isinstance(x, float):
                out.append(struct.pack("<d", x))
            else:
                raise SystemExit(f"unexpected list element {x!r}")
        return b"".join(out)
    raise SystemExit(f"unexpected value {v!r}")


def digest(fields):
    h = hashlib.sha256()
    for key in sorted(fields, key=lambda k: k.encode()):
        kb, vb = key.encode(), encode(fields[key])
        h.update(struct.pack("<I", len(kb)) + kb + struct.pack("<Q", len(vb)) + vb)
    return "sha256:" + h.hexdigest()


# ---- the forward pass (docs/export-format.md, "Forward pass") --------------------------------------

def forward(F, x):
    """x: (D,) float64 input of the dense layers (text: the bag; tabular: the dense features)."""
    W = lambda k: F["weights/" + k].astype(np.float64)
    if F["model/arch"] == "linear":
        logits = x + W("output_b")[:, 0]
    else:
        if F["model/hidden"] > 0:
            x = np.maximum(x @ W("hidden_w") + W("hidden_b")[:, 0], 0.0)
        logits = x @ W("output_w") + W("output_b")[:, 0]
    if F["model/loss"] == "ova":
        return 1.0 / (1.0 + np.exp(-logits))
    e = np.exp(logits - logits.max())
    return e / e.sum()


def trees_forward(F, x):
    """A tree model's probabilities for dense row x: the tree inputs, every tree walked from the
    flat arrays, scores summed per class in tree order in float64 from the float32 base."""
    src, ncat = F["trees/input_src"], F["trees/input_n_cats"]
    xf = np.empty(len(src), dtype=np.float32)
    for f, (s0, n) in enumerate(zip(src, ncat)):
        if n == 0:
            xf[f] = np.float32(x[s0])
        else:
            hot = [k for k in range(n) if x[s0 + k] > 0.5]
            xf[f] = np.float32(hot[0]) if hot else np.float32("nan")
    feat, thr, dl, mb = F["trees/feature"], F["trees/threshold"], F["trees/default_left"], F["trees/missing_bin"]
    cat, left, right, value, cats = F["trees/cat"], F["trees/left"], F["trees/right"], F["trees/value"], F["trees/cats"]
    scores = F["trees/base"].astype(np.float64)
    for root, k in zip(F["trees/roots"], F["trees/tclass"]):
        i = int(root)
        while feat[i] >= 0:
            v = xf[feat[i]]
            if np.isnan(v):
                go = dl[i]
            elif cat[i] < 0:
                go = v <= thr[i]
            elif v < 0 or v >= mb[i] or v != np.floor(v):
                go = dl[i]
            else:
                b = int(v)
                go = (int(cats[cat[i], b >> 5]) & 0xFFFFFFFF) >> (b & 31) & 1
            i = int(left[i]) if go else int(right[i])
        scores[k] += np.float64(value[i])
    s = scores.astype(np.float32).astype(np.float64)
    C = F["model/n_out"]
    if len(s) == 1:
        q = 1.0 / (1.0 + np.exp(-s[0]))
        p = np.zeros(C)
        pos = F["labels/positive"]
        p[pos], p[1 - pos] = q, 1.0 - q
        return p
    e = np.exp(s - s.max())
    return e / e.sum()


def encoder_forward(F, ids):
    """An encoder export's probabilities for one text's token ids, in float64 with the architecture
    of scripts/encoder_ref.py (written from the BERT paper and the Hugging Face layout), its weights
    taken from the export's tensors (docs/export-format.md, "Encoder")."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import encoder_ref
    W = lambda k: np.asarray(F["weights/" + k], dtype=np.float64)
    C, Fw, L = F["model/dim"], F["model/hidden"], F["encoder/layers"]
    enc = encoder_ref.Encoder.__new__(encoder_ref.Encoder)
    enc.H, enc.L, enc.nh = C, L, F["encoder/heads"]
    enc.eps, enc.pos_offset, enc.dtype = F["encoder/ln_eps"], F["encoder/pos_offset"], np.float64
    w = {"embeddings.word_embeddings.weight": W("wte"), "embeddings.position_embeddings.weight": W("wpe"),
         "embeddings.token_type_embeddings.weight": W("wtt"), "embeddings.LayerNorm.weight": W("lne_w"),
         "embeddings.LayerNorm.bias": W("lne_b")}
    qkvw, qkvb = W("qkvw").reshape(L, 3, C, C), W("qkvb").reshape(L, 3, C)
    for l in range(L):
        p = "encoder.layer.%d." % l
        for j, name in enumerate(("query", "key", "value")):
            w[p + "attention.self." + name + ".weight"] = qkvw[l, j]
            w[p + "attention.self." + name + ".bias"] = qkvb[l, j]
        for name, wt, bt, rows in (("attention.output.dense", "attprojw", "attprojb", C),
                                   ("intermediate.dense", "fcw", "fcb", Fw), ("output.dense", "fcprojw", "fcprojb", C)):
            w[p + name + ".weight"] = W(wt).reshape(L, rows, -1)[l]
            w[p + name + ".bias"] = W(bt).reshape(L, rows)[l]
        for name, g in (("attention.output.LayerNorm", "ln1"), ("output.LayerNorm", "ln2")):
            w[p + name + ".weight"] = W(g + "w")[l]
            w[p + name + ".bias"] = W(g + "b")[l]
    enc.w = w
    pooled = enc.pooled([list(ids)], pooling=F["model/bag"])[0]
    logits = pooled @ W("clsw").T + W("clsb")
    if F["model/loss"] == "ova":
        return 1.0 / (1.0 + np.exp(-logits))
    e = np.exp(logits - logits.max())
    return e / e.sum()


def bag(F, ids, w):
    E = F["weights/embedding"]
    D = E.shape[1]
    if len(ids) == 0:
        return np.zeros(D)
    h = (E[np.asarray(ids)].astype(np.float64) * np.asarray(w, dtype=np.float64)[:, None]).sum(0)
    if F["model/bag"] == "mean":
        h /= len(ids)
    return h


def num(cell):
    """A number cell: None when blank."""
    cell = cell.strip()
    return None if cell == "" else float(cell)


def derived(rules, rec):
    """The derived columns of one record (docs/config.md, [tabular] derived columns): name -> text.
    A rule may read an earlier derived column (a cross of a bucket column)."""
    out = {}
    rec = _Chain(rec, out)
    for line in rules.splitlines():
        if "=" not in line:
            continue
        key, value = (t.strip() for t in line.split("=", 1))
        if key in ("ratios", "sums", "crosses"):
            op = {"ratios": "/", "sums": "+", "crosses": "*"}[key]
            for item in (i.strip() for i in value.split(",") if i.strip()):
                src = [c.strip() for c in item.split(op)]
                name = op.join(src)
                if key == "crosses":
                    a, b = rec.get(src[0], "").strip(), rec.get(src[1], "").strip()
                    out[name] = "" if a == "" or b == "" else f"{a}|{b}"[:255]
                    continue
                vals = [num(rec.get(c, "")) for c in src]
                if any(v is None for v in vals) or (key == "ratios" and vals[1] == 0):
                    out[name] = ""
                else:
                    out[name] = "%.9g" % (vals[0] / vals[1] if key == "ratios" else sum(vals[1:], vals[0]))
        elif key == "buckets":
            for item in (i.strip() for i in value.split(";") if i.strip()):
                col, edges = item.rsplit(":", 1)
                edges = [float(e) for e in edges.replace(",", " ").split()]
                v = num(rec.get(col.strip(), ""))
                if v is None:
                    text = ""
                else:
                    b = sum(1 for e in edges if v >= e)
                    text = "<%g" % edges[0] if b == 0 else ">=%g" % edges[-1] if b == len(edges) else \
                        "%g..%g" % (edges[b - 1], edges[b])
                out[col.strip() + "_bucket"] = text
        elif key == "counts":
            for item in (i.strip() for i in value.split(";") if i.strip()):
                name, conds = item.split(":", 1)
                n = 0
                for cond in (c.strip() for c in conds.split(",") if c.strip()):
                    col, val = cond.split("=", 1)
                    neg = col.endswith("!")
                    cell = rec.get(col.rstrip("!").strip(), "").strip()
                    if cell != "":
                        n += (cell == val.strip()) != neg
                out[name.strip()] = str(n)
    return out


class _Chain(dict):
    """The record's fields, then the derived columns computed so far."""

    def __init__(self, rec, out):
        super().__init__(rec)
        self.out = out

    def get(self, key, default=None):
        return self.out[key] if key in self.out else super().get(key, default)


def tabular_dense(F, names, values):
    """Dense features of one record from the exported column specs."""
    x = np.zeros(F["tabular/dim"])
    cats = F["tabular/categories"]
    k = 0
    rec = dict(zip(names, values))
    rec.update(derived(F.get("tabular/derive", ""), rec))
    keep_missing = F.get("tabular/keep_missing", 0) == 1
    c = F["tabular/columns/name"]
    for i, name in enumerate(c):
        typ, n_cats, off = F["tabular/columns/type"][i], F["tabular/columns/n_cats"][i], F["tabular/columns/offset"][i]
        cell = rec.get(name, "").strip()
        if typ == "numeric":
            if cell == "" and keep_missing:
                x[off] = np.nan  # tree models route missing values themselves
            else:
                v = F["tabular/columns/fill"][i] if cell == "" else float(cell)
                x[off] = (v - F["tabular/columns/mean"][i]) / F["tabular/columns/std"][i]
        elif typ in ("categorical", "boolean"):
            mine = cats[k:k + n_cats]
            if cell in mine:
                x[off + mine.index(cell)] = 1.0
        k += n_cats
    return x


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ticketml", default="./ticketml")
    ap.add_argument("--export", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--tol", type=float, default=1e-5)
    a = ap.parse_args()

    (F, stored), fmt = read_export(a.export)
    ok = True
    got = digest(F)
    if got != stored:
        print(f"FAIL checksum: stored {stored}, recomputed {got}")
        ok = False
    else:
        print(f"ok   checksum {got} ({fmt}, {len(F)} records)")
    C = F["model/n_out"]
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "features.csv")
        out = subprocess.run([a.ticketml, "predict", a.export, a.data, "--json", "--top", str(C),
                              "--dump-features", dump], capture_output=True, text=True)
        if out.returncode != 0:
            print(f"FAIL ticketml predict exited {out.returncode}: {out.stderr.strip()}")
            return 1
        rows = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
        feats = {}
        with open(dump, newline="") as fh:
            for r in csv.DictReader(fh):
                feats.setdefault(int(r["row"]), []).append((int(r["index"]), float(r["value"])))
    labels = F["labels/names"]
    worst, worst_dense = 0.0, 0.0
    raw = None
    if F["kind"] == "tabular":
        with open(a.data, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            raw = [row for row in reader]
    for i, row in enumerate(rows):
        served = np.zeros(C)
        for t in row["top"]:
            served[labels.index(t["label"])] = t["probability"]
        fs = feats.get(i, [])
        if F["model/arch"] == "encoder":
            p = encoder_forward(F, [j for j, _ in fs])
            worst = max(worst, float(np.abs(p - served).max()))
            continue
        if F["kind"] == "text":
            x = bag(F, [j for j, _ in fs], [v for _, v in fs])
        else:
            x = np.zeros(F["tabular/dim"])
            for j, v in fs:
                x[j] = v
            ref = tabular_dense(F, header, raw[i])
            same_nan = np.isnan(ref) & np.isnan(x)
            worst_dense = max(worst_dense, float(np.where(same_nan, 0.0, np.abs(ref - x)).max()))
        p = trees_forward(F, x) if F["model/arch"] == "gbdt" else forward(F, x)
        worst = max(worst, float(np.abs(p - served).max()))
    if F["kind"] == "tabular":
        good = worst_dense <= a.tol
        ok &= good
        print(f"{'ok  ' if good else 'FAIL'} dense features from the raw CSV: max abs diff {worst_dense:.3g} over {len(rows)} rows")
    good = worst <= a.tol and len(rows) > 0
    ok &= good
    print(f"{'ok  ' if good else 'FAIL'} probabilities (numpy vs serving library): max abs diff {worst:.3g} over "
          f"{len(rows)} rows x {C} labels (tol {a.tol:g})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
