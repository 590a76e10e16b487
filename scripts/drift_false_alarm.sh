#!/bin/bash
# drift_false_alarm.sh [SEEDS] [TICKETS] — how often `ticketml drift` cries wolf, and how often it
# finds real drift, at the default limits. For each seed: a reference corpus (half a year), an
# unshifted current sample (the next two months, another seed, same generator) and the same current
# sample with the synth drift knob on from its first day at strengths 1, 0.5 and 0.3, for text
# (intent, linear model trained on the reference) and tabular data (churn, MLP, customers with the
# same window length). Prints one line per seed and the rates; exit 0. Heavy: run it under
# `flock /tmp/tml-heavy.lock`. docs/monitoring.md quotes its output.
set -u
SEEDS=${1:-20}
N=${2:-8000}
TML=${TICKETML:-./ticketml}
W=$(mktemp -d /tmp/tml-falsealarm-XXXXXX)
trap 'rm -rf "$W"' EXIT
cat >"$W/intent.ini" <<INI
[data]
kind = text
train = $W/ref/tickets.csv
text = text
label = intent
id = ticket_id
time = created_at
valid_frac = 0.1
seed = 3
[text]
word_ngrams = 2
buckets = 50000
tfidf = true
[model]
task = intent
type = linear
[train]
optimizer = adamw
lr = 0.02
epochs = 3
batch_size = 32
patience = 0
seed = 3
INI
cat >"$W/churn.ini" <<INI
[data]
kind = tabular
train = $W/ref/customers.csv
label = churn
id = customer_id
positive = Yes
tickets = $W/ref/tickets.csv
history = true
customer = customer_id
valid_frac = 0.15
seed = 3
[tabular]
ignore = customer_id
[model]
task = churn
type = mlp
[train]
optimizer = adamw
lr = 0.01
epochs = 8
batch_size = 64
metric = roc_auc
patience = 0
seed = 3
INI
C=$((N * 3 / 16))
echo "seed | text: unshifted shift=1 shift=0.5 shift=0.3 | churn: unshifted shift=1 shift=0.5 shift=0.3 (exit codes; 1 = drift reported) | what fired on the unshifted samples"
for s in $(seq 1 "$SEEDS"); do
    rm -rf "$W"/ref "$W"/cur* "$W"/*.h5
    $TML synth --tickets "$N" --customers "$C" --seed "$s" --start-date 2025-01-01 --days 180 --out "$W/ref" --quiet >/dev/null
    t=$((s + 1000))
    $TML synth --tickets "$N" --customers "$C" --seed $t --start-date 2025-07-01 --days 180 --out "$W/cur" --quiet >/dev/null
    $TML synth --tickets "$N" --customers "$C" --seed $t --start-date 2025-07-01 --days 180 --shift-date 2019-01-01 \
        --out "$W/cur1" --quiet >/dev/null
    for k in 05 03; do
        $TML synth --tickets "$N" --customers "$C" --seed $t --start-date 2025-07-01 --days 180 --shift-date 2019-01-01 \
            --shift 0.${k#0} --out "$W/cur$k" --quiet >/dev/null
    done
    $TML train "$W/intent.ini" --out "$W/intent.h5" --quiet >/dev/null
    $TML train "$W/churn.ini" --out "$W/churn.h5" --quiet >/dev/null
    line="$s |"
    for c in cur cur1 cur05 cur03; do
        $TML drift "$W/intent.h5" "$W/ref/tickets.csv" "$W/$c/tickets.csv" --json --quiet >"$W/t-$c.json"
        line="$line $?"
    done
    line="$line |"
    for c in cur cur1 cur05 cur03; do
        $TML drift "$W/churn.h5" "$W/ref/customers.csv" "$W/$c/customers.csv" --tickets "$W/ref/tickets.csv" \
            --current-tickets "$W/$c/tickets.csv" --json --quiet >"$W/c-$c.json"
        line="$line $?"
    done
    # what fired on the unshifted samples, if anything
    fired=$(python3 -c "
import json,sys
for f in sys.argv[1:]:
    d=json.load(open(f))
    for c in d['failed']: print(c['name'], round(c['value'],4), end='; ')
" "$W/t-cur.json" "$W/c-cur.json" 2>/dev/null)
    echo "$line | $fired"
done | tee "$W/lines.txt"
awk '{ n++; a += ($3 == 1); b += ($4 == 1); c += ($5 == 1); d += ($6 == 1); e += ($8 == 1); f += ($9 == 1); g += ($10 == 1); h += ($11 == 1) }
     END { printf "text:  false alarms %d/%d; detected at shift 1: %d/%d, 0.5: %d/%d, 0.3: %d/%d\n", a, n, b, n, c, n, d, n;
           printf "churn: false alarms %d/%d; detected at shift 1: %d/%d, 0.5: %d/%d, 0.3: %d/%d\n", e, n, f, n, g, n, h, n }' \
    "$W/lines.txt"
