#!/usr/bin/env python3
"""bench_fasttext.py — the fastText side of scripts/bench_train.sh: one whole command as a user runs
it (read the training file, build the dictionary, train, test, save the model), through the
fasttext-wheel package, which runs fastText's own C++ trainer.

Usage: bench_fasttext.py TRAIN.txt TEST.txt MODEL.bin --ntokens N [--dim 100] [--word-ngrams 2]
                         [--bucket 2000000] [--epoch 5] [--lr 0.1] [--thread 2]

Prints one line of `key=value` fields: the training loop's seconds and words/s computed from
fastText's own final progress line (words/sec/thread x threads, over epoch x ntokens words, where
ntokens counts every token of the file, labels and line ends included, as Dictionary::readWord and
getLine do; the caller passes it, so counting it costs this command nothing) and the test accuracy
(precision@1 with one label per line)."""
import argparse
import os
import re
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("model")
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--word-ngrams", type=int, default=2)
    ap.add_argument("--bucket", type=int, default=2000000)
    ap.add_argument("--epoch", type=int, default=5)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--thread", type=int, default=2)
    ap.add_argument("--ntokens", type=int, required=True)
    a = ap.parse_args()
    import fasttext  # the fasttext-wheel package: fastText's C++ trainer behind pybind11

    # fastText prints its progress on the C++ stderr; keep a copy to read its words/sec/thread
    log = tempfile.TemporaryFile(mode="w+b")
    saved = os.dup(2)
    os.dup2(log.fileno(), 2)
    t0 = time.monotonic()
    try:
        m = fasttext.train_supervised(input=a.train, dim=a.dim, wordNgrams=a.word_ngrams, bucket=a.bucket,
                                      epoch=a.epoch, lr=a.lr, thread=a.thread, minCount=1, loss="softmax",
                                      verbose=2)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    t_train = time.monotonic() - t0
    log.seek(0)
    text = log.read().decode("utf-8", "replace").replace("\r", "\n")
    sys.stderr.write(text.strip().split("\n")[-1] + "\n")
    wst = [float(x) for x in re.findall(r"words/sec/thread:\s*([0-9.]+)", text)]
    if not wst:
        sys.exit("bench_fasttext: no words/sec/thread line in fastText's output")
    words_read = re.findall(r"Read (\d+)M words", text)
    n, p1, _ = m.test(a.test)
    m.save_model(a.model)
    ntokens = a.ntokens
    words_per_s = wst[-1] * a.thread
    loop_s = a.epoch * ntokens / words_per_s
    print(f"fasttext loop_s={loop_s:.2f} words_per_s={words_per_s:.0f} words_per_s_thread={wst[-1]:.0f} "
          f"threads={a.thread} test_acc={p1:.4f} test_n={n} ntokens={ntokens} train_call_s={t_train:.2f} "
          f"read_m={words_read[-1] if words_read else '?'}")


if __name__ == "__main__":
    main()
