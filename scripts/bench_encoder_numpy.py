#!/usr/bin/env python3
"""bench_encoder_numpy.py — the numpy reference encoder's (scripts/encoder_ref.py) forward time per
batch, for scale beside build/bench/bench_encoder (same shapes: B sequences of T tokens, full rows).

usage: python3 scripts/bench_encoder_numpy.py [--model models/all-MiniLM-L6-v2] [--batch 32] [--len 32,64]
                                             [--reps 3] [--dtype float32|float64]
Exit status 77 (skipped) when the model folder or scripts/encoder_ref.py is absent.
"""
import argparse
import os
import sys
import time

SKIP = 77


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="models/all-MiniLM-L6-v2")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--len", default="32,64")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    if not os.path.exists(os.path.join(here, "encoder_ref.py")):
        print("SKIP: scripts/encoder_ref.py is absent")
        return SKIP
    if not os.path.exists(os.path.join(a.model, "model.safetensors")):
        print("SKIP: %s is absent (make models)" % a.model)
        return SKIP
    sys.path.insert(0, here)
    import numpy as np
    import encoder_ref

    enc = encoder_ref.Encoder(a.model, np.float32 if a.dtype == "float32" else np.float64)
    rng = np.random.default_rng(7)
    print("numpy %s, %s, BLAS threads as numpy configures them; median of %d" % (np.__version__, a.dtype, a.reps))
    for T in (int(t) for t in a.len.split(",")):
        ids = rng.integers(1000, 21000, size=(a.batch, T))
        mask = np.ones((a.batch, T), np.int64)
        enc.hidden(ids, mask)  # warm-up
        times = []
        for _ in range(a.reps):
            t0 = time.perf_counter()
            enc.hidden(ids, mask)
            times.append(time.perf_counter() - t0)
        times.sort()
        print("%dx%d  forward %.1f ms" % (a.batch, T, 1e3 * times[len(times) // 2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
