#!/usr/bin/env python3
"""encoder_ref.py — an independent numpy reference of the BERT-style encoder forward pass, written
from the architecture (Devlin et al. 2019; Hugging Face BertModel layout), not from ticketml's C code.
ticketml's forward-parity test compares its pooled embeddings with this script's.

  x   = LayerNorm(word[id] + position[pos] + token_type[0])          (embedding LayerNorm)
  per layer (post-LayerNorm):
    a = softmax(Q K^T / sqrt(d_head) + mask) V, heads concatenated   (mask: -inf at padding keys)
    x = LayerNorm(x + a W_o + b_o)
    x = LayerNorm(x + GELU(x W_i + b_i) W_o2 + b_o2)                 (exact erf GELU)
  pooled = mean of x over the real tokens (--pooling mean) or x[0] (--pooling cls)
Positions are 0..L-1 for model_type bert, and pad_token_id+1.. for roberta / xlm-roberta.
Computed in float64 by default (--dtype float32 to see float32 rounding), one text per row, padded
per batch with the mask.

Usage:
  python3 scripts/encoder_ref.py MODEL_DIR --ids ids.txt [--pooling mean|cls] [--normalize] [--out emb.npy]
  python3 scripts/encoder_ref.py MODEL_DIR --text "first text" --text "second" [--prefix "query: "]
  python3 scripts/encoder_ref.py MODEL_DIR --texts-file texts.txt [--max-len 128]
ids.txt: one sequence per line, token ids separated by spaces, special tokens included (what the
model sees; no padding). --text / --texts-file (one text per line) tokenize with MODEL_DIR/tokenizer.json
through the `tokenizers` package (truncated to --max-len, no padding). Output: --out FILE.npy (numpy,
rows = texts), --out FILE.txt (one row of %.9g per text), or the first values of each row on stdout.
--save-ids FILE writes the ids it used in the ids.txt format.
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np

try:  # erf in C when scipy is present; the same function, one Python call per value otherwise
    from scipy.special import erf
except ImportError:
    erf = np.vectorize(math.erf, otypes=[np.float64])


def load_safetensors(path):
    """name -> numpy array (F32/F16/BF16/I64), read with the format's own spec: u64 header size,
    JSON header {name: {dtype, shape, data_offsets}}, raw little-endian data."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        dt = meta["dtype"]
        if dt == "BF16":
            raw = np.frombuffer(data[a:b], "<u2").astype(np.uint32) << 16
            arr = raw.view(np.float32)
        else:
            arr = np.frombuffer(data[a:b], {"F32": "<f4", "F16": "<f2", "I64": "<i8", "F64": "<f8"}[dt])
        out[name] = arr.reshape(meta["shape"])
    return out


class Encoder:
    def __init__(self, model_dir, dtype=np.float64):
        with open(os.path.join(model_dir, "config.json")) as f:
            self.cfg = json.load(f)
        w = load_safetensors(os.path.join(model_dir, "model.safetensors"))
        # some checkpoints prefix every name with the architecture ("bert.embeddings...")
        if "embeddings.word_embeddings.weight" not in w:
            for pre in ("bert.", "roberta.", "model."):
                if pre + "embeddings.word_embeddings.weight" in w:
                    w = {k[len(pre):]: v for k, v in w.items() if k.startswith(pre)}
                    break
        self.w = {k: v.astype(dtype) for k, v in w.items() if v.dtype.kind == "f"}
        self.dtype = dtype
        c = self.cfg
        self.H, self.L, self.nh = c["hidden_size"], c["num_hidden_layers"], c["num_attention_heads"]
        self.eps = float(c.get("layer_norm_eps", 1e-12))
        act = c.get("hidden_act", "gelu")
        if act != "gelu":
            raise SystemExit("encoder_ref: hidden_act %r is not the exact-erf gelu this reference implements" % act)
        if c.get("position_embedding_type", "absolute") != "absolute":
            raise SystemExit("encoder_ref: only absolute position embeddings are implemented")
        roberta = c.get("model_type", "bert") in ("roberta", "xlm-roberta", "camembert")
        self.pos_offset = (c.get("pad_token_id", 1) + 1) if roberta else 0

    def _ln(self, x, name):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + self.eps) * self.w[name + ".weight"] + self.w[name + ".bias"]

    def _lin(self, x, name):
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def hidden(self, ids, mask):
        """ids, mask: (B, T) int arrays -> last hidden states (B, T, H)."""
        B, T = ids.shape
        w, H, nh = self.w, self.H, self.nh
        dh = H // nh
        pos = np.arange(T) + self.pos_offset
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][pos][None]
        x = x + w["embeddings.token_type_embeddings.weight"][0]
        x = self._ln(x, "embeddings.LayerNorm")
        neg = np.where(mask[:, None, None, :] > 0, 0.0, -np.inf).astype(self.dtype)  # (B,1,1,T)
        for l in range(self.L):
            p = "encoder.layer.%d." % l
            q = self._lin(x, p + "attention.self.query").reshape(B, T, nh, dh).transpose(0, 2, 1, 3)
            k = self._lin(x, p + "attention.self.key").reshape(B, T, nh, dh).transpose(0, 2, 1, 3)
            v = self._lin(x, p + "attention.self.value").reshape(B, T, nh, dh).transpose(0, 2, 1, 3)
            s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(dh) + neg
            s = np.exp(s - s.max(-1, keepdims=True))
            a = (s / s.sum(-1, keepdims=True)) @ v  # (B, nh, T, dh)
            a = a.transpose(0, 2, 1, 3).reshape(B, T, H)
            x = self._ln(x + self._lin(a, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            hmid = self._lin(x, p + "intermediate.dense")
            hmid = 0.5 * hmid * (1.0 + erf(hmid / math.sqrt(2.0)).astype(self.dtype))  # exact GELU
            x = self._ln(x + self._lin(hmid, p + "output.dense"), p + "output.LayerNorm")
        return x

    def pooled(self, seqs, pooling="mean", normalize=False, batch=16):
        """seqs: list of id lists -> (N, H) pooled embeddings (float64 or the chosen dtype)."""
        out = np.zeros((len(seqs), self.H), self.dtype)
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))  # similar lengths per batch
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            T = max(len(seqs[i]) for i in idx)
            ids = np.zeros((len(idx), T), np.int64)
            mask = np.zeros((len(idx), T), np.int64)
            for r, i in enumerate(idx):
                ids[r, :len(seqs[i])] = seqs[i]
                mask[r, :len(seqs[i])] = 1
            h = self.hidden(ids, mask)
            if pooling == "cls":
                p = h[:, 0]
            else:
                m = mask[..., None].astype(self.dtype)
                p = (h * m).sum(1) / m.sum(1)
            out[idx] = p
        if normalize:
            out = out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


def tokenize(model_dir, texts, max_len):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=max_len)
    return [e.ids for e in tok.encode_batch(texts)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--ids", help="file: one sequence of token ids per line")
    src.add_argument("--text", action="append", help="a text to tokenize and encode (repeatable)")
    src.add_argument("--texts-file", help="file: one text per line")
    ap.add_argument("--prefix", default="", help='prepended to every text (e5: "query: ")')
    ap.add_argument("--max-len", type=int, default=512)
    ap.add_argument("--pooling", choices=["mean", "cls"], default="mean")
    ap.add_argument("--normalize", action="store_true", help="L2-normalize the pooled vectors")
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--out", help="FILE.npy or FILE.txt")
    ap.add_argument("--save-ids", help="write the token ids used (ids.txt format)")
    a = ap.parse_args()

    if a.ids:
        with open(a.ids) as f:
            seqs = [[int(t) for t in line.split()] for line in f if line.strip()]
    else:
        texts = a.text or open(a.texts_file, encoding="utf-8").read().splitlines()
        seqs = tokenize(a.model_dir, [a.prefix + t for t in texts], a.max_len)
    if a.save_ids:
        with open(a.save_ids, "w") as f:
            for s in seqs:
                f.write(" ".join(map(str, s)) + "\n")
    enc = Encoder(a.model_dir, np.float64 if a.dtype == "float64" else np.float32)
    emb = enc.pooled(seqs, a.pooling, a.normalize)
    if a.out and a.out.endswith(".npy"):
        np.save(a.out, emb)
    elif a.out:
        np.savetxt(a.out, emb, fmt="%.9g")
    else:
        for s, e in zip(seqs, emb):
            print("%d tokens: %s ..." % (len(s), " ".join("%.6f" % v for v in e[:6])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
