#!/bin/sh
# demo.sh — `make demo`: the whole job on generated data, end to end. Generates a ticket +
# customer corpus and a later "holdout" corpus, trains the intent, sentiment and churn models,
# evaluates each on the holdout into an HTML report, explains predictions, and exports them.
set -eu
T=${DEMO_TICKETS:-100000}
C=${DEMO_CUSTOMERS:-20000}
OUT=demo-out
TML=./ticketml
mkdir -p $OUT
echo "== 1/5 generate $T tickets / $C customers (and a holdout corpus)"
$TML synth --tickets "$T" --customers "$C" --seed 7 --out $OUT/data
$TML synth --tickets $((T / 4)) --customers $((C / 4)) --seed 8 --out $OUT/holdout
for task in intent sentiment churn; do
    echo "== 2/5 train $task"
    $TML train configs/demo-$task.ini --out $OUT/$task.h5 --log-json $OUT/$task.log.jsonl
done
echo "== 3/5 evaluate on the holdout corpus"
$TML eval $OUT/intent.h5 $OUT/holdout/tickets.csv --report $OUT/report-intent
$TML eval $OUT/sentiment.h5 $OUT/holdout/tickets.csv --report $OUT/report-sentiment
$TML eval $OUT/churn.h5 $OUT/holdout/customers.csv --tickets $OUT/holdout/tickets.csv --report $OUT/report-churn
echo "== 4/5 explain"
$TML explain $OUT/intent.h5 --text "my card was stolen yesterday, please block it" --features 6
$TML explain $OUT/sentiment.h5 --text "waited three hours for a reply, this is ridiculous" --features 6
$TML explain $OUT/churn.h5 $OUT/holdout/customers.csv --rows 1-2 --tickets $OUT/holdout/tickets.csv --features 6
echo "== 5/5 export"
if $TML export --help >/dev/null 2>&1; then
    for task in intent sentiment churn; do $TML export $OUT/$task.h5 --out $OUT/export-$task; done
    $TML predict $OUT/export-intent --text "I want a refund for my last order"
else
    echo "export: not yet available in this build"
fi
echo "demo done: reports in $OUT/report-*/report.html"
