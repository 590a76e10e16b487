#!/usr/bin/env python3
"""check_synth.py — does a `ticketml synth` corpus behave like real support data?

Trains simple scikit-learn baselines on DIR/tickets.csv and DIR/customers.csv:
  intent and sentiment: TF-IDF (ASCII words + CJK characters, uni+bigrams) + LogisticRegression
  churn: LogisticRegression on customer attributes, WITHOUT and WITH simple ticket-history
         aggregates (tickets in the last 30/90 days, negative share, days since last ticket)
and prints the accuracies and both churn AUCs. With --check it exits 1 unless the generator's
targets hold: intent accuracy 0.85-0.95, sentiment 0.78-0.92, churn AUC gain >= 0.03.

usage: python3 scripts/check_synth.py DIR [--check] [--seed 0]
"""
import argparse
import csv
import datetime as dt
import sys

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

# ASCII/Latin words of 2+ chars, or single CJK characters (bigrams of them via ngram_range).
TOKEN_PATTERN = r"(?u)[\u3400-\u9fff]|\b\w\w+\b"


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"{path}: no rows")
    return rows


def text_model(texts, labels, seed):
    x_tr, x_te, y_tr, y_te = train_test_split(texts, labels, test_size=0.2, random_state=seed)
    vec = TfidfVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=(1, 2), min_df=2,
                          sublinear_tf=True, lowercase=True)
    clf = LogisticRegression(max_iter=2000, C=5.0)
    xtr = vec.fit_transform(x_tr)
    clf.fit(xtr, y_tr)
    pred = clf.predict(vec.transform(x_te))
    return accuracy_score(y_te, pred), f1_score(y_te, pred, average="macro")


def parse_day(s):
    return dt.date.fromisoformat(s[:10]).toordinal()


def customer_matrix(customers):
    cats = {k: sorted({c[k] for c in customers}) for k in ("plan", "contract", "payment_method", "region")}
    rows = []
    for c in customers:
        tenure = float(c["tenure_months"])
        monthly = float(c["monthly_charges"])
        total = float(c["total_charges"]) if c["total_charges"] else 0.0
        feats = [tenure, monthly, total, float(c["senior"])]
        for k, vals in cats.items():
            feats += [1.0 if c[k] == v else 0.0 for v in vals]
        rows.append(feats)
    return np.array(rows)


def history_matrix(customers, tickets):
    cutoff = max(parse_day(t["created_at"]) for t in tickets)
    idx = {c["customer_id"]: i for i, c in enumerate(customers)}
    n = len(customers)
    c30, c90, tot, neg = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    last = np.full(n, -1e9)
    for t in tickets:
        i = idx.get(t["customer_id"])
        if i is None:
            sys.exit(f"ticket {t['ticket_id']}: unknown customer {t['customer_id']}")
        d = parse_day(t["created_at"])
        age = cutoff - d
        tot[i] += 1
        c30[i] += age < 30
        c90[i] += age < 90
        neg[i] += t["sentiment"] == "negative"
        last[i] = max(last[i], d)
    neg_share = np.where(tot > 0, neg / np.maximum(tot, 1), 0.0)
    since = np.where(tot > 0, cutoff - last, 365.0)
    return np.column_stack([c30, c90, neg_share, since])


def churn_auc(x, y, seed):
    aucs = []
    for tr, te in StratifiedKFold(n_splits=5, shuffle=True, random_state=seed).split(x, y):
        m = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        m.fit(x[tr], y[tr])
        aucs.append(roc_auc_score(y[te], m.predict_proba(x[te])[:, 1]))
    return float(np.mean(aucs))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--check", action="store_true", help="exit 1 unless the targets hold")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    tickets = read_csv(f"{a.dir}/tickets.csv")
    customers = read_csv(f"{a.dir}/customers.csv")
    texts = [t["text"] for t in tickets]
    n_int = len({t["intent"] for t in tickets})
    langs = {}
    for t in tickets:
        langs[t["lang"]] = langs.get(t["lang"], 0) + 1
    print(f"tickets {len(tickets)}, customers {len(customers)}, intents {n_int}, "
          + ", ".join(f"{k} {v / len(tickets):.1%}" for k, v in sorted(langs.items())))

    ia, if1 = text_model(texts, [t["intent"] for t in tickets], a.seed)
    print(f"intent    TF-IDF+LR accuracy {ia:.3f}  macro-F1 {if1:.3f}")
    sa, sf1 = text_model(texts, [t["sentiment"] for t in tickets], a.seed)
    print(f"sentiment TF-IDF+LR accuracy {sa:.3f}  macro-F1 {sf1:.3f}")

    y = np.array([c["churn"] == "Yes" for c in customers], dtype=int)
    xa = customer_matrix(customers)
    xh = np.column_stack([xa, history_matrix(customers, tickets)])
    auc_a = churn_auc(xa, y, a.seed)
    auc_h = churn_auc(xh, y, a.seed)
    print(f"churn     rate {y.mean():.3f}  AUC attributes {auc_a:.3f}  + history {auc_h:.3f}  "
          f"gain {auc_h - auc_a:+.3f}")

    if a.check:
        bad = []
        if not 0.85 <= ia <= 0.95:
            bad.append(f"intent accuracy {ia:.3f} outside 0.85-0.95")
        if not 0.78 <= sa <= 0.92:
            bad.append(f"sentiment accuracy {sa:.3f} outside 0.78-0.92")
        if auc_h - auc_a < 0.03:
            bad.append(f"history adds only {auc_h - auc_a:+.3f} churn AUC (< 0.03)")
        for b in bad:
            print("FAIL:", b)
        if bad:
            return 1
        print("OK: all targets hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
