#!/usr/bin/env python3
"""check_unigram.py — ticketml's SentencePiece-unigram tokenizer (data/unigram.c) against the Python
`tokenizers` package with models/multilingual-e5-small/tokenizer.json on every row of waimai_10k,
smp2017_intent and airline_sentiment (train and test). `make test` runs it; it skips with a message
when tokenizers, the model folder, the helper binary or the datasets are absent.
Usage: python3 scripts/check_unigram.py [--model DIR] [--tool PATH] [--data DIR] [--max-len 128] [--sweep]"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tokcheck  # noqa: E402

if __name__ == "__main__":
    sys.exit(tokcheck.main("unigram", "multilingual-e5-small",
                           [("waimai_10k", "review"), ("smp2017_intent", "text"), ("airline_sentiment", "text")]))
