#!/usr/bin/env python3
"""check_wordpiece.py — ticketml's WordPiece tokenizer (data/wordpiece.c) against the Python
`tokenizers` package with models/all-MiniLM-L6-v2/tokenizer.json on every row of banking77,
airline_sentiment and waimai_10k (train and test). `make test` runs it; it skips with a message
when tokenizers, the model folder, the helper binary or the datasets are absent.
Usage: python3 scripts/check_wordpiece.py [--model DIR] [--tool PATH] [--data DIR] [--max-len 128] [--sweep]"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tokcheck  # noqa: E402

if __name__ == "__main__":
    sys.exit(tokcheck.main("wordpiece", "all-MiniLM-L6-v2",
                           [("banking77", "text"), ("airline_sentiment", "text"), ("waimai_10k", "review")]))
